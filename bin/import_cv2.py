#!/usr/bin/env python3
"DeepSpeech's bin/import_cv2.py: `deepspeech-nb import-cv2 ...` with the same arguments."
import sys; from deepspeech_nb.cli import main; sys.exit(main(["import-cv2", *sys.argv[1:]]))
