#!/usr/bin/env python3
"DeepSpeech's data/lm/generate_lm.py: `deepspeech-nb build-lm --input_txt ... --output_dir ...` (also packages kenlm.scorer)."
import sys
from deepspeech_nb.cli import main

# Guarded: worker processes import this file as __mp_main__ and must not run the command again.
if __name__ == "__main__": sys.exit(main(["build-lm", *sys.argv[1:]]))
