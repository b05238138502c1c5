#!/usr/bin/env python3
"DeepSpeech's lm_optimizer.py: `deepspeech-nb lm-optimize --test_files ... --scorer_path ...` with the same flags."
import sys
from deepspeech_nb.cli import main

# Guarded: worker processes import this file as __mp_main__ and must not run the command again.
if __name__ == "__main__": sys.exit(main(["lm-optimize", *sys.argv[1:]]))
