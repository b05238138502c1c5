#!/usr/bin/env python3
"DeepSpeech's bin/data_set_tool.py: `deepspeech-nb data-set-tool SOURCES... TARGET`."
import sys; from deepspeech_nb.cli import main; sys.exit(main(["data-set-tool", *sys.argv[1:]]))
