"""DeepSpeech 0.9.3's own clients run `--export_deepspeech_client` models (issue #17): the real `deepspeech-tflite`
(TensorFlow Lite 2.3) and `deepspeech` (TensorFlow 2.3, `.pbmm`) packages from PyPI, in a Python 3.9 venv made by
`scripts/setup-deepspeech-client.sh`, transcribe what `deepspeech-nb transcribe` transcribes: an overfit LDC93S1
model and a small model trained on a synthetic multi-speaker corpus, without a scorer, with the bundled
`pruned_lm.scorer` and with one from `build-lm`, whole utterances and through `createStream` / `feedAudioContent` /
`finishStream`. DeepSpeech's own decoder (`ds_ctcdecoder`) decodes the kit's probabilities for the
reference. Timings of both runtimes are printed side by side (`-s` shows them).

Slow (trains two small models, ~5 min on two cores): `pytest -m slow -s tests/test_deepspeech_client.py`."""
import csv, json, subprocess, sys, time
from pathlib import Path

import numpy as np
import pytest

from deepspeech_nb.core import data_path

ROOT = Path(__file__).resolve().parents[1]
CLI = [str(Path(sys.executable).parent / "deepspeech-nb")]
TFLITE_CLIENT = ROOT / ".venv-ds093" / "bin" / "python"       # deepspeech-tflite==0.9.3
TF_CLIENT = ROOT / ".venv-ds093-tf" / "bin" / "python"        # deepspeech==0.9.3
LDC93S1 = data_path("deepspeech", "LDC93S1.wav")
BUNDLED_SCORER = data_path("deepspeech", "pruned_lm.scorer")
CHUNK = 1600   # samples fed per feedAudioContent call: 100 ms

# Runs inside the Python 3.9 venv with DeepSpeech 0.9.3's binding: argv = model, scorer or "", wav files.
CLIENT_SCRIPT = r'''
import json, sys, time, wave
import numpy as np, deepspeech
model_path, scorer, files = sys.argv[1], sys.argv[2], sys.argv[3:]
start = time.perf_counter(); ds = deepspeech.Model(model_path); load_s = time.perf_counter() - start
if scorer: ds.enableExternalScorer(scorer)
out = {"load_s": load_s, "sample_rate": ds.sampleRate(), "beam_width": ds.beamWidth(), "files": {}}
for f in files:
    with wave.open(f) as w: audio = np.frombuffer(w.readframes(w.getnframes()), np.int16)
    start = time.perf_counter(); text = ds.stt(audio); stt_s = time.perf_counter() - start
    stream = ds.createStream()
    for i in range(0, len(audio), %d): stream.feedAudioContent(audio[i:i + %d])
    out["files"][f] = {"stt": text, "stream": stream.finishStream(), "stt_s": stt_s, "audio_s": len(audio) / 16000}
print(json.dumps(out))
''' % (CHUNK, CHUNK)


# Runs in the same venv: DeepSpeech 0.9.3's own CTC decoder (ds_ctcdecoder) on probabilities the kit computed.
# argv = .npz of (frames, classes) float32 arrays named 0, 1, ..., scorer or "", alphabet.txt, beam width.
DECODE_SCRIPT = r'''
import json, sys
import numpy as np, ds_ctcdecoder as d
probs, alphabet = np.load(sys.argv[1]), d.Alphabet(sys.argv[3])
scorer = None
if sys.argv[2]: scorer = d.Scorer(); scorer.init(sys.argv[2].encode(), alphabet)   # the package's alpha and beta
print(json.dumps([d.ctc_beam_search_decoder(probs[k].astype(np.float64), alphabet, int(sys.argv[4]), scorer=scorer)[0][1]
                  for k in sorted(probs.files, key=int)]))
'''
ALPHABET = data_path("deepspeech", "alphabet.txt")   # what both trainings used (the default --alphabet_config_path)


def run(args, timeout=900):
    out = subprocess.run([*map(str, args)], capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    assert out.returncode == 0, f"{args[:3]}...: {out.stderr[-3000:]}"
    return out


@pytest.fixture(scope="module")
def clients(request):
    "The two DeepSpeech 0.9.3 venvs, made (once) by the set-up script; skip with its message when it cannot."
    if "slow" not in (request.config.getoption("-m") or ""): pytest.skip("slow: run with -m slow")
    res = subprocess.run(["bash", str(ROOT / "scripts" / "setup-deepspeech-client.sh")], capture_output=True, text=True)
    if res.returncode != 0: pytest.skip((res.stderr.strip().splitlines() or ["setup-deepspeech-client.sh failed"])[-1])
    return {"tflite": TFLITE_CLIENT, "tf": TF_CLIENT}


def _train(tmp: Path, train_csv: Path, n_hidden: int, epochs: int, batch: int, lr: float) -> Path:
    ckpt = tmp / "ckpt"
    run([sys.executable, ROOT / "DeepSpeech.py", "--noshow_progressbar", "--train_files", train_csv,
         "--train_batch_size", batch, "--n_hidden", n_hidden, "--epochs", epochs, "--dropout_rate", 0,
         "--learning_rate", lr, "--checkpoint_dir", ckpt], timeout=1800)
    return ckpt


def _export(ckpt: Path, out: Path, *flags) -> Path:
    run([*CLI, "export", "--checkpoint_dir", ckpt, "--export_dir", out, "--export_tflite", "--export_deepspeech_client", *flags])
    return out


def _wavs(csv_path: Path) -> list[Path]:
    with open(csv_path) as f: return [csv_path.parent / Path(r["wav_filename"]) for r in csv.DictReader(f)]


@pytest.fixture(scope="module")
def ldc93s1(clients, tmp_path_factory):
    "bin/run-ldc93s1.sh's overfit model (n_hidden 100, 200 epochs), exported int8 and float."
    tmp = tmp_path_factory.mktemp("ldc93s1")
    run([*CLI, "import-ldc93s1", tmp / "data"])
    ckpt = _train(tmp, tmp / "data" / "ldc93s1.csv", n_hidden=100, epochs=200, batch=1, lr=0.002)
    return {"int8": _export(ckpt, tmp / "int8"), "float": _export(ckpt, tmp / "float", "--noexport_quantize"),
            "wavs": [LDC93S1], "text": tmp / "data" / "ldc93s1.csv"}


@pytest.fixture(scope="module")
def synthetic(clients, tmp_path_factory):
    """A model trained on the 32 training clips of a 48-clip synthetic multi-speaker corpus (the TTS voices installed
    here) until it knows them (85 epochs, ~2 min), both exports; its clips are what both runtimes transcribe."""
    tmp = tmp_path_factory.mktemp("synth")
    run([*CLI, "synth-corpus", tmp / "corpus", "-n", 48, "--seed", 0, "--jobs", 2])
    run([*CLI, "import-cv2", tmp / "corpus"])
    clips = tmp / "corpus" / "clips"
    ckpt = _train(tmp, clips / "train.csv", n_hidden=100, epochs=85, batch=4, lr=0.002)
    wavs = _wavs(clips / "train.csv")[:6]
    return {"int8": _export(ckpt, tmp / "int8"), "float": _export(ckpt, tmp / "float", "--noexport_quantize"),
            "wavs": wavs, "text": clips / "train.csv"}


def client_transcribe(python: Path, model: Path, wavs: list, scorer="") -> dict:
    "DeepSpeech 0.9.3's transcripts (whole and streamed) and timings, from its own Python binding."
    return json.loads(run([python, "-c", CLIENT_SCRIPT, model, scorer, *wavs]).stdout.strip().splitlines()[-1])


def kit_transcribe(model: Path, wavs: list, scorer="") -> dict:
    "The kit's `inference.Model` (what `deepspeech-nb transcribe` runs): its transcripts, its probabilities, timings."
    from deepspeech_nb.audio import load_audio
    from deepspeech_nb.inference import Model, log_softmax
    start = time.perf_counter(); m = Model(model); load_s = time.perf_counter() - start
    if scorer: m.enable_external_scorer(str(scorer), None, None)
    out = {"load_s": load_s, "files": {}, "probs": []}
    for f in wavs:
        audio = load_audio(f)
        start = time.perf_counter(); text = m.stt(audio); stt_s = time.perf_counter() - start
        out["probs"].append(np.exp(log_softmax(m.logits(audio))).astype(np.float32))
        out["files"][str(f)] = {"stt": text, "stt_s": stt_s, "audio_s": len(audio) / 16000}
    return out


def deepspeech_decode(python: Path, probs: list, tmp: Path, scorer="", beam_width: int = 500) -> list[str]:
    "DeepSpeech 0.9.3's decoder (ds_ctcdecoder) on the kit's probabilities: the client's decoding of the kit's model."
    path = tmp / "probs.npz"; np.savez(path, **{str(i): p for i, p in enumerate(probs)})
    return json.loads(run([python, "-c", DECODE_SCRIPT, path, scorer, ALPHABET, beam_width]).stdout.strip().splitlines()[-1])


def cli_transcripts(model: Path, wavs: list, scorer="") -> list[str]:
    "The `deepspeech-nb transcribe --json` command itself (greedy without a scorer)."
    args = [*CLI, "transcribe", "--model", model, "--json", *(["--scorer", scorer] if scorer else []), *wavs]
    res = json.loads(run(args).stdout)
    return [r["transcript"] for r in (res if isinstance(res, list) else [res])]


def timing_row(name: str, res: dict) -> str:
    stt = sum(f["stt_s"] for f in res["files"].values()); audio = sum(f["audio_s"] for f in res["files"].values())
    return f"{name:<44} load {res['load_s']:7.3f} s   stt {stt:7.3f} s for {audio:6.2f} s audio   RTF {stt / audio:.3f}"


def texts(res: dict, wavs: list, key: str = "stt") -> list[str]:
    "Transcripts in `wavs` order, spaces normalised (DeepSpeech returns a model's stray spaces, the kit strips them)."
    return [" ".join(res["files"][w][key].split()) for w in wavs]


def compare(label: str, data: dict, clients: dict, tmp: Path, scorer="") -> list[str]:
    """Client vs kit on one model and scorer, whole and streamed; the timing lines. Both sides decode with
    DeepSpeech's own decoder, so float models must give exactly the same text (the kit's flashlight decoder may
    differ on a hard utterance, which is a decoder's choice, so its own transcripts are printed, not compared).
    int8 may differ by a character: TFLite 2.3's hybrid kernels have one weight scale per matrix where the kit's
    int8 export has one per channel, so the two int8 models are not the same numbers."""
    from deepspeech_nb.metrics import cer
    wavs, rows = [str(w) for w in data["wavs"]], []
    for precision in ("float", "int8"):
        kit = kit_transcribe(data[precision] / "output_graph.tflite", wavs, scorer)
        want = deepspeech_decode(clients["tflite"], kit["probs"], tmp, str(scorer))
        ds = client_transcribe(clients["tflite"], data[precision] / "output_graph_deepspeech.tflite", wavs, str(scorer))
        for key in ("stt", "stream"):
            got = texts(ds, wavs, key)
            if precision == "float": assert got == want, (label, precision, key, got, want)
            else: assert np.mean([cer(w, g) for w, g in zip(want, got)]) <= 0.05, (label, precision, key, got, want)
        own = np.mean([cer(w, g) for w, g in zip(texts(kit, wavs), texts(ds, wavs))])
        rows += [timing_row(f"{label} {precision} deepspeech-nb (LiteRT)", kit) + f"   CER vs client {own:.3f}",
                 timing_row(f"{label} {precision} deepspeech-tflite 0.9.3", ds)]
        if precision == "float": float_want = want
    pbmm = client_transcribe(clients["tf"], data["float"] / "output_graph_deepspeech.pbmm", wavs, str(scorer))
    for key in ("stt", "stream"): assert texts(pbmm, wavs, key) == float_want, (label, "pbmm", key, texts(pbmm, wavs, key))
    return rows + [timing_row(f"{label} float deepspeech 0.9.3 (.pbmm)", pbmm)]


@pytest.fixture(scope="module")
def built_scorer(ldc93s1, synthetic, tmp_path_factory):
    "A scorer from `build-lm` over both training transcripts (skips without KenLM's programs)."
    from deepspeech_nb.decode import KenLMNotFoundError, find_kenlm_bins
    try: find_kenlm_bins()
    except KenLMNotFoundError: pytest.skip("KenLM programs not built: run scripts/build-kenlm.sh")
    tmp = tmp_path_factory.mktemp("lm")
    lines = [r["transcript"] for p in (ldc93s1["text"], synthetic["text"]) for r in csv.DictReader(open(p))]
    (tmp / "corpus.txt").write_text("\n".join(lines) + "\n")
    run([*CLI, "build-lm", "--input_txt", tmp / "corpus.txt", "--output_dir", tmp, "--top_k", 5000, "--arpa_order", 3,
         "--arpa_prune", "0", "--max_arpa_memory", "10%", "--discount_fallback"])
    return tmp / "kenlm.scorer"


@pytest.mark.slow
def test_ldc93s1_runs_in_deepspeech_093(clients, ldc93s1, tmp_path):
    rows = compare("LDC93S1", ldc93s1, clients, tmp_path) + compare("LDC93S1 +pruned_lm", ldc93s1, clients, tmp_path, BUNDLED_SCORER)
    assert cli_transcripts(ldc93s1["int8"] / "output_graph.tflite", [LDC93S1]) == \
        ["she had your dark suit in greasy wash water all year"]
    print("\n" + "\n".join(rows))


@pytest.mark.slow
def test_synthetic_multi_speaker_model_runs_in_deepspeech_093(clients, synthetic, tmp_path):
    rows = compare("synthetic", synthetic, clients, tmp_path) + \
        compare("synthetic +pruned_lm", synthetic, clients, tmp_path, BUNDLED_SCORER)
    print("\n" + "\n".join(rows))


@pytest.mark.slow
def test_build_lm_scorer_in_deepspeech_093(clients, ldc93s1, synthetic, built_scorer, tmp_path):
    rows = compare("LDC93S1 +build-lm", ldc93s1, clients, tmp_path, built_scorer) + \
        compare("synthetic +build-lm", synthetic, clients, tmp_path, built_scorer)
    print("\n" + "\n".join(rows))


@pytest.mark.slow
def test_client_reads_the_models_metadata(clients, ldc93s1):
    "sampleRate / beamWidth come from the metadata_* outputs; the alphabet check passes (else CreateModel fails)."
    for python, name in ((clients["tflite"], "output_graph_deepspeech.tflite"), (clients["tf"], "output_graph_deepspeech.pbmm")):
        res = client_transcribe(python, ldc93s1["float"] / name, [str(LDC93S1)])
        assert (res["sample_rate"], res["beam_width"]) == (16000, 500)
