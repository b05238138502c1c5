#!/usr/bin/env python3
"DeepSpeech-style importer shim: `deepspeech-nb import-asterisk-prompts --language LANG DIR` with the same arguments."
import sys; from deepspeech_nb.cli import main; sys.exit(main(["import-asterisk-prompts", *sys.argv[1:]]))
