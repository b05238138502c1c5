#!/usr/bin/env python3
"DeepSpeech's bin/import_cv2.py: `deepspeech-nb import-cv2 ...` with the same arguments."
import sys
from deepspeech_nb.cli import main

# Guarded: worker processes import this file as __mp_main__ and must not run the command again.
if __name__ == "__main__": sys.exit(main(["import-cv2", *sys.argv[1:]]))
