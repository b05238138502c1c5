"""Train your own speech-to-text model the Mozilla DeepSpeech way, notebook-first, on TensorFlow 2 + Keras 3

Modules:

- `deepspeech_nb.flags`: DeepSpeech 0.9's training flags (absl), turned into one flat `params` dict and then into each module's frozen configuration.
- `deepspeech_nb.pipeline`: From sample collections to padded batches of features: parallel decoding, augmentation hooks, feature cache, batches of similar duration, resumable epoch plans."""

__version__ = "0.0.1"
