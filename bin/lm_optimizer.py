#!/usr/bin/env python3
"DeepSpeech's lm_optimizer.py: `deepspeech-nb lm-optimize --test_files ... --scorer_path ...` with the same flags."
import sys; from deepspeech_nb.cli import main; sys.exit(main(["lm-optimize", *sys.argv[1:]]))
