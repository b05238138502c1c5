#!/usr/bin/env python3
"""DeepSpeech's `evaluate.py`: test a checkpoint on --test_files. Same as `deepspeech-nb evaluate`."""
import sys
from deepspeech_nb.cli import main

if __name__ == "__main__": sys.exit(main(["evaluate", *sys.argv[1:]]))
