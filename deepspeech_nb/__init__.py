"""Train your own speech-to-text model the Mozilla DeepSpeech way, notebook-first, on TensorFlow 2 + Keras 3

Modules:

- `deepspeech_nb.flags`: DeepSpeech 0.9's training flags (absl), turned into one flat `params` dict and then into each module's frozen configuration.
- `deepspeech_nb.pipeline`: From sample collections to padded batches of features: parallel decoding, augmentation hooks, feature cache, batches of similar duration, resumable epoch plans.
- `deepspeech_nb.train`: CTC training with Adam: dev loss and WER after every epoch, early stopping, learning-rate plateaus, checkpoints that resume exactly, mixed precision, several GPUs or machines, and a run record."""

__version__ = "0.0.1"
