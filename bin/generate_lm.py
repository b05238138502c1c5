#!/usr/bin/env python3
"DeepSpeech's data/lm/generate_lm.py: `deepspeech-nb build-lm --input_txt ... --output_dir ...` (also packages kenlm.scorer)."
import sys; from deepspeech_nb.cli import main; sys.exit(main(["build-lm", *sys.argv[1:]]))
