#!/usr/bin/env python3
"DeepSpeech's bin/play.py: `deepspeech-nb play [--augment SPEC]... SOURCE...` with the same arguments."
import sys; from deepspeech_nb.cli import main; sys.exit(main(["play", *sys.argv[1:]]))
