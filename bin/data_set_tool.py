#!/usr/bin/env python3
"DeepSpeech's bin/data_set_tool.py: `deepspeech-nb data-set-tool SOURCES... TARGET`."
import sys
from deepspeech_nb.cli import main

# Guarded: worker processes import this file as __mp_main__ and must not run the command again.
if __name__ == "__main__": sys.exit(main(["data-set-tool", *sys.argv[1:]]))
