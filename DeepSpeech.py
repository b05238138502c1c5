#!/usr/bin/env python3
"DeepSpeech's DeepSpeech.py: `deepspeech-nb train` with the same flags (`python DeepSpeech.py --helpfull`)."
import sys; from deepspeech_nb.cli import main; sys.exit(main(["train", *sys.argv[1:]]))
