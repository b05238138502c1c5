#!/usr/bin/env python3
"DeepSpeech's DeepSpeech.py: `deepspeech-nb train` with the same flags (`python DeepSpeech.py --helpfull`)."
import sys
from deepspeech_nb.cli import main

if __name__ == "__main__":   # decoding workers are spawned: they import this file again and must not re-run it
    sys.exit(main(["train", *sys.argv[1:]]))
