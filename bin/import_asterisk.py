#!/usr/bin/env python3
"DeepSpeech-style importer shim: `deepspeech-nb import-asterisk-prompts --language LANG DIR` with the same arguments."
import sys
from deepspeech_nb.cli import main

# Guarded: worker processes import this file as __mp_main__ and must not run the command again.
if __name__ == "__main__": sys.exit(main(["import-asterisk-prompts", *sys.argv[1:]]))
