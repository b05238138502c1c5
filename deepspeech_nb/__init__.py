"""Train your own speech-to-text model the Mozilla DeepSpeech way, notebook-first, on TensorFlow 2 + Keras 3

Modules:

- `deepspeech_nb.commands`: The lessons composed: DeepSpeech.py's whole run (train → test → export), `evaluate.py`, `lm_optimizer.py`, export and `data_set_tool.py`, each a `main_*` that the command line and the `bin/` shims call.
- `deepspeech_nb.evaluate`: A model's outputs on a test set — from a training checkpoint, an exported TFLite model or a saved logits file — decoded greedily or with beam search and a scorer, and reported as DeepSpeech does.
- `deepspeech_nb.flags`: DeepSpeech 0.9's training flags (absl), turned into one flat `params` dict and then into each module's frozen configuration.
- `deepspeech_nb.metrics`: From a model's per-frame scores to text, and the numbers that judge the text: greedy CTC decoding, the CTC loss, WER, CER and DeepSpeech's best/median/worst report, in numpy alone.
- `deepspeech_nb.pipeline`: From sample collections to padded batches of features: parallel decoding, augmentation hooks, feature cache, batches of similar duration, resumable epoch plans.
- `deepspeech_nb.train`: CTC training with Adam: dev loss and WER after every epoch, early stopping, learning-rate plateaus, checkpoints that resume exactly, mixed precision, several GPUs or machines, and a run record."""

__version__ = "0.0.1"
