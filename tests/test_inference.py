"""Exported models in the TF-free runtime: a process without TensorFlow, memory-mapped loading, streaming parity,
and the messages for bad input (lessons 15 and 16). Float vs int8 on the overfit LDC93S1 model is in lesson 16's
`#| slow` cells (`nbdev-test --flags slow nbs/16_inference.ipynb`)."""
import json, os, subprocess, sys, textwrap
from pathlib import Path

import numpy as np
import pytest

from deepspeech_nb.core import data_path

LDC93S1 = data_path("deepspeech", "LDC93S1.wav")
LDC93S1_8K = data_path("deepspeech", "LDC93S1_pcms16le_1_8000.wav")

# Makes `import tensorflow` (and keras) fail in the process that loads it: the runtime must not need them.
BLOCKER = textwrap.dedent('''
    import sys
    class _HideTensorFlow:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("tensorflow", "keras", "tf_keras", "tensorboard"):
                raise ImportError(f"{name} is hidden by tests/test_inference.py: the runtime must not import it")
    sys.meta_path.insert(0, _HideTensorFlow())
''')


def _export(tmp: Path, n_hidden: int = 64, quantize: bool = False, seed: int = 1, name: str = "export"):
    "A model with random weights exported with its TFLite streaming step; returns (keras model, files)."
    import keras
    from deepspeech_nb.export import ExportConfig, export_model
    from deepspeech_nb.model import ModelConfig, build_model
    from deepspeech_nb.text import load_alphabet
    keras.utils.set_random_seed(seed)
    cfg = ModelConfig(n_hidden=n_hidden)
    model = build_model(cfg)
    files = export_model(model, ExportConfig(str(tmp / name), export_tflite=True, export_quantize=quantize),
                         cfg, None, load_alphabet())
    return model, files


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    "A small float export and its Keras model."
    return _export(tmp_path_factory.mktemp("float"))


def _run_without_tf(tmp: Path, code: str) -> subprocess.CompletedProcess:
    "Run `code` in a fresh Python where importing TensorFlow fails."
    (tmp / "sitecustomize.py").write_text(BLOCKER)
    env = {**os.environ, "PYTHONPATH": str(tmp)}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)


def test_transcribes_without_tensorflow(exported, tmp_path):
    _, files = exported
    from deepspeech_nb.inference import Model
    want = Model(files["tflite"]).stt(_audio())
    code = textwrap.dedent(f'''
        import sys, json
        try:
            import tensorflow
            print("tensorflow imported"); sys.exit(3)
        except ImportError: pass
        from deepspeech_nb.cli import main
        rc = main(["transcribe", {str(LDC93S1)!r}, "--model", {str(files["tflite"])!r}, "--json"])
        assert not any(m.split(".")[0] in ("tensorflow", "keras") for m in sys.modules), "TF got imported"
        sys.exit(rc)
    ''')
    res = _run_without_tf(tmp_path, code)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["transcript"] == want
    assert all({"word", "start_time", "duration"} <= set(w) for w in out["words"])


def _audio() -> np.ndarray:
    from deepspeech_nb.audio import load_audio
    return load_audio(LDC93S1)


def test_streaming_matches_whole_utterance(exported):
    "Keras streaming twin and TFLite stream, in ragged chunks, give the whole-utterance logits."
    model, files = exported
    from deepspeech_nb.export import streaming_twin
    from deepspeech_nb.inference import Model
    from deepspeech_nb.features import numpy_features, numpy_add_context
    from deepspeech_nb.model import ModelConfig, run_streaming
    audio, cfg = _audio(), ModelConfig(n_hidden=64)
    feats = numpy_features(audio)
    whole = np.asarray(model(feats[None]))[0]
    keras_stream = run_streaming(streaming_twin(model, cfg), numpy_add_context(feats, 9), cfg)
    np.testing.assert_allclose(keras_stream, whole, atol=1e-4)
    stream = Model(files["tflite"]).create_stream()
    for piece in np.array_split(audio, [5, 321, 5120, 5121, 20000]): stream.feed_audio_content(piece)
    stream.finish_stream()
    np.testing.assert_allclose(stream.logits, whole, atol=1e-4)


def test_memory_mapped_load_stays_below_file_size(tmp_path):
    "Loading a ~48 MB model adds a few MB of resident memory: LiteRT maps the file (what .pbmm was for)."
    from deepspeech_nb.export import resident_mb_after_load, to_tflite
    from deepspeech_nb.model import ModelConfig, build_streaming_model
    cfg = ModelConfig(n_hidden=1024)
    path = tmp_path / "big.tflite"
    path.write_bytes(to_tflite(build_streaming_model(cfg, batch_size=1), quantize=False))
    mapped, copied = resident_mb_after_load(path, "path"), resident_mb_after_load(path, "content")
    assert mapped["file_mb"] > 40
    assert mapped["loaded_mb"] < mapped["file_mb"] / 2, (mapped, copied)
    assert copied["loaded_mb"] > 0.9 * copied["file_mb"], (mapped, copied)


def test_bad_inputs_give_clear_messages(exported, tmp_path):
    _, files = exported
    from deepspeech_nb.inference import Model, InferenceError, ModelError, main_transcribe
    corrupt = tmp_path / "corrupt.tflite"
    corrupt.write_bytes(files["tflite"].read_bytes()[:3000])
    with pytest.raises(ModelError, match="export it again"): Model(corrupt)
    garbage = tmp_path / "garbage.tflite"
    garbage.write_bytes(b"\x00" * 64)
    with pytest.raises(ModelError, match="not a TFLite model"): Model(garbage)
    model = Model(files["tflite"])
    with pytest.raises(InferenceError, match="empty"): model.stt(np.zeros(0, np.int16))
    res = subprocess.run([str(Path(sys.executable).parent / "deepspeech-nb"), "transcribe", str(LDC93S1_8K),
                          "--model", str(files["tflite"])], capture_output=True, text=True)
    assert res.returncode == 0 and "8000 Hz; resampled to the model's 16000 Hz" in res.stderr, res.stderr
    empty = tmp_path / "empty.wav"
    from deepspeech_nb.audio import write_wav
    write_wav(empty, np.zeros(0, np.float32))
    assert main_transcribe([str(empty), "--model", str(files["tflite"])]) == 1


def test_scorer_for_another_alphabet_is_refused(tmp_path):
    decode = pytest.importorskip("deepspeech_nb.decode")
    if not hasattr(decode, "load_scorer"): pytest.skip("deepspeech_nb.decode has no load_scorer yet")
    import keras
    from deepspeech_nb.export import ExportConfig, export_model
    from deepspeech_nb.inference import Model, InferenceError
    from deepspeech_nb.model import ModelConfig, build_model
    from deepspeech_nb.text import Alphabet
    russian = Alphabet(data_path("deepspeech", "russian_sample_data", "alphabet.ru"))
    cfg = ModelConfig(n_hidden=16, n_classes=russian.size + 1)
    files = export_model(build_model(cfg), ExportConfig(str(tmp_path / "ru"), export_tflite=True), cfg, None, russian)
    with pytest.raises(InferenceError, match="cannot be used with model"):
        Model(files["tflite"]).enable_external_scorer(data_path("deepspeech", "pruned_lm.scorer"))


def test_zip_bundle_transcribes(tmp_path):
    "An --export_zip bundle is enough to transcribe: model, metadata and card in one file."
    import keras
    from deepspeech_nb.export import ExportConfig, export_model
    from deepspeech_nb.inference import Model, main_transcribe, open_bundle
    from deepspeech_nb.model import ModelConfig, build_model
    from deepspeech_nb.text import load_alphabet
    keras.utils.set_random_seed(2)
    cfg = ModelConfig(n_hidden=16)
    files = export_model(build_model(cfg), ExportConfig(str(tmp_path / "en"), export_zip=True), cfg, None, load_alphabet())
    assert files["zip"] == tmp_path / "en.zip"
    model_path, scorer = open_bundle(files["zip"])
    assert model_path.name == "output_graph.tflite" and scorer is None
    assert main_transcribe([str(LDC93S1), "--model", str(files["zip"])]) == 0
    assert Model(model_path).stt(_audio()) == Model(files["tflite"]).stt(_audio())


def test_weight_cache_mode_matches_and_reuses_its_file(exported, tmp_path):
    "The lean mode (XNNPACK weights packed once into a cache file, then memory-mapped) gives the same logits."
    _, files = exported
    from deepspeech_nb.inference import Model
    audio, cache = _audio(), tmp_path / "weights.xnnpack_cache"
    want = Model(files["tflite"]).logits(audio)
    lean = Model(files["tflite"], weight_cache=cache)
    np.testing.assert_allclose(lean.logits(audio), want, atol=1e-4)
    assert cache.stat().st_size > 64 * 64 * 4, "the packed weights were not written to the cache file"
    written = cache.stat().st_mtime_ns
    again = Model(files["tflite"], weight_cache=cache)   # a second process/model loads the packed weights
    assert again.stt(audio) == Model(files["tflite"]).stt(audio)
    assert cache.stat().st_mtime_ns == written


def test_weight_cache_mode_runs_without_tensorflow(exported, tmp_path):
    "`transcribe --weight_cache` needs no TensorFlow either."
    _, files = exported
    from deepspeech_nb.inference import Model
    want = Model(files["tflite"]).stt(_audio())
    code = textwrap.dedent(f'''
        import sys
        from deepspeech_nb.cli import main
        sys.exit(main(["transcribe", {str(LDC93S1)!r}, "--model", {str(files["tflite"])!r},
                       "--weight_cache", {str(tmp_path / "w.cache")!r}]))
    ''')
    res = _run_without_tf(tmp_path, code)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.strip() == want


def _calibration_csv(tmp: Path) -> Path:
    "A DeepSpeech CSV of the bundled English utterances."
    import csv
    rows = [(LDC93S1, "she had your dark suit in greasy wash water all year"),
            (data_path("deepspeech", "new-home-in-the-stars-16k.wav"), "")]
    path = tmp / "calibration.csv"
    with open(path, "w", newline="") as f:
        w = csv.writer(f); w.writerow(["wav_filename", "wav_filesize", "transcript"])
        for wav, text in rows: w.writerow([str(wav), Path(wav).stat().st_size, text])
    return path


def test_full_integer_export_has_int8_activations_and_transcribes(tmp_path):
    "--export_full_integer: every matrix product takes int8 activations, and the runtime still runs it."
    import keras
    from deepspeech_nb.export import ExportConfig, export_model
    from deepspeech_nb.inference import Model, read_metadata
    from deepspeech_nb.model import ModelConfig, build_model
    from deepspeech_nb.text import load_alphabet
    from ai_edge_litert.interpreter import Interpreter
    keras.utils.set_random_seed(1)
    cfg = ModelConfig(n_hidden=32)
    model = build_model(cfg)
    files = export_model(model, ExportConfig(str(tmp_path / "out"), export_tflite=True, export_full_integer=True,
                                             calibration_files=str(_calibration_csv(tmp_path)), calibration_steps=12),
                         cfg, None, load_alphabet())
    path = files["full_int8_tflite"]
    assert read_metadata(path)["full_integer"] is True
    it = Interpreter(model_path=str(path))
    tensors = it.get_tensor_details()
    fc = [o for o in it._get_ops_details() if o["op_name"] == "FULLY_CONNECTED"]
    assert fc and all(tensors[o["inputs"][0]]["dtype"] == np.int8 for o in fc)
    assert "WHILE" not in {o["op_name"] for o in it._get_ops_details()}
    audio = _audio()
    want, got = Model(files["tflite"]).logits(audio), Model(path).logits(audio)
    assert got.shape == want.shape
    assert np.corrcoef(got.ravel(), want.ravel())[0, 1] > 0.9   # coarse, but the same function


def test_full_integer_export_needs_calibration_samples(tmp_path):
    import keras
    from deepspeech_nb.export import ExportConfig, ExportError, config_from_params, export_model
    from deepspeech_nb.model import ModelConfig, build_model
    from deepspeech_nb.text import load_alphabet
    cfg = ModelConfig(n_hidden=16)
    with pytest.raises(ExportError, match="--calibration_files"):
        export_model(build_model(cfg), ExportConfig(str(tmp_path / "o"), export_full_integer=True), cfg, None, load_alphabet())
    params = {"export_dir": "x", "export_full_integer": True, "dev_files": "dev.csv", "train_files": "train.csv"}
    assert config_from_params(params).calibration_files == "dev.csv"


def test_export_cli_full_integer_calibrates_on_dev_files(tmp_path):
    "`deepspeech-nb export --export_full_integer --dev_files X` writes the full-int8 model; it transcribes in lean mode."
    from deepspeech_nb.checkpoints import ProgressState, checkpoint_meta, save_checkpoint
    from deepspeech_nb.commands import main_export
    from deepspeech_nb.features import FeatureConfig
    from deepspeech_nb.inference import Model
    from deepspeech_nb.model import ModelConfig, build_model
    from deepspeech_nb.text import load_alphabet
    cfg = ModelConfig(n_hidden=32)
    save_checkpoint(tmp_path / "ckpt", build_model(cfg), None, ProgressState(epoch=1, global_step=1),
                    meta=checkpoint_meta(cfg, FeatureConfig(), load_alphabet()))
    out = tmp_path / "out"
    assert main_export(["--checkpoint_dir", str(tmp_path / "ckpt"), "--export_dir", str(out), "--export_tflite",
                        "--export_full_integer", "--dev_files", str(_calibration_csv(tmp_path)),
                        "--calibration_steps", "8"]) == 0
    model = Model(out / "output_graph_full_int8.tflite", weight_cache=tmp_path / "w.cache")
    assert model.logits(_audio()).shape[1] == cfg.n_classes


def test_normalised_model_exports_fold_the_statistics(tmp_path):
    "A model with input statistics (--normalize_features): every export takes raw windows and gives its logits."
    import keras
    from deepspeech_nb.export import ExportConfig, export_model
    from deepspeech_nb.features import numpy_features
    from deepspeech_nb.inference import Model
    from deepspeech_nb.model import ModelConfig, build_model
    from deepspeech_nb.text import load_alphabet
    audio = _audio(); feats = numpy_features(audio)
    keras.utils.set_random_seed(3)
    cfg = ModelConfig(n_hidden=32, feature_mean=feats.mean(0) + 1.0, feature_std=feats.std(0) * 2)
    model = build_model(cfg)
    files = export_model(model, ExportConfig(str(tmp_path / "e"), export_tflite=True, export_quantize=False,
                                             export_deepspeech_client=True), cfg, None, load_alphabet())
    whole = np.asarray(model(feats[None]))[0]
    raw = np.asarray(build_model(ModelConfig(n_hidden=32))(feats[None]))[0]   # (another model: not a vacuous check)
    stream = Model(files["tflite"]).create_stream(); stream.feed_audio_content(audio); stream.finish_stream()
    np.testing.assert_allclose(stream.logits, whole, atol=1e-4)
    assert np.abs(raw - whole).max() > 1e-2
    assert {"deepspeech_tflite", "deepspeech_pbmm"} <= set(files)   # the client graphs passed their own output checks
