#!/usr/bin/env python3
"DeepSpeech's DeepSpeech.py: `deepspeech-nb train` with the same flags (`python DeepSpeech.py --helpfull`)."
import sys
from deepspeech_nb.cli import main

# Guarded: worker processes import this file as __mp_main__ and must not run the command again.
if __name__ == "__main__": sys.exit(main(["train", *sys.argv[1:]]))
