#!/usr/bin/env python3
"DeepSpeech's bin/import_librivox.py: `deepspeech-nb import-librivox ...` with the same arguments."
import sys; from deepspeech_nb.cli import main; sys.exit(main(["import-librivox", *sys.argv[1:]]))
