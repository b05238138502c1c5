"""Large collections in bounded memory (issue #16 item 1): CSV rows as columns with durations from `wav_filesize`,
sharded SDBs written by data-set-tool and read back interleaved, and (slow) the 1 M-row CSV and SDB benchmarks
against their limits. The sharded feature cache is tested in nbs/08_pipeline.ipynb."""
import json, shutil, subprocess, sys, time
from pathlib import Path

import numpy as np
import pytest

from deepspeech_nb import samples
from deepspeech_nb.audio import write_wav, audio_duration
from deepspeech_nb.core import data_path
from deepspeech_nb.samples import open_collection, CollectionError

ROOT = Path(__file__).resolve().parents[1]
CLI = [str(Path(sys.executable).parent / "deepspeech-nb")]


def pool_csv(folder: Path, rows: int, n_files: int = 8) -> Path:
    "A CSV of `rows` rows over `n_files` real 16 kHz wav files of 0.5-2 s (row i -> file i % n_files)."
    sizes = []
    for k in range(n_files):
        write_wav(folder / f"c{k}.wav", np.zeros(8000 + 24000 * k // (n_files - 1), np.float32), 16000)
        sizes.append((folder / f"c{k}.wav").stat().st_size)
    lines = [f"c{i % n_files}.wav,{sizes[i % n_files]},row {i}\n" for i in range(rows)]
    (folder / "big.csv").write_text("wav_filename,wav_filesize,transcript\n" + "".join(lines))
    return folder / "big.csv"


def test_big_csv_durations_come_from_sizes_not_headers(tmp_path, monkeypatch):
    csv_path = pool_csv(tmp_path, 50_000)
    truth = {f"c{k}.wav": audio_duration(tmp_path / f"c{k}.wav") for k in range(8)}
    def no_headers(path): raise AssertionError(f"read the header of {path}")
    monkeypatch.setattr(samples, "audio_duration", no_headers)   # any per-row header read fails the test
    t = time.perf_counter()
    collection = open_collection(csv_path)
    seconds = time.perf_counter() - t
    assert len(collection) == 50_000 and seconds < 20, seconds
    assert (np.diff(collection.durations) >= 0).all()
    expected = sorted(truth[f"c{i % 8}.wav"] for i in range(50_000))
    np.testing.assert_allclose(collection.durations, expected, atol=1e-9)
    assert collection.ids is collection.ids                       # one cached column, not rebuilt per access
    assert Path(collection.ids[0]).name == "c0.wav" and collection.transcripts[0] == "row 0"
    assert collection.sources[0].files.dtype == object and collection.sources[0].sizes.dtype == np.int64


def test_a_lying_wav_filesize_falls_back_to_headers(tmp_path):
    csv_path = pool_csv(tmp_path, 40)
    text = csv_path.read_text().splitlines()
    name, size, transcript = text[1].split(",")
    csv_path.write_text("\n".join([text[0], f"{name},{int(size) * 3},{transcript}"] + text[2:]) + "\n")
    collection = open_collection(csv_path)
    assert collection.durations[0] == pytest.approx(0.5, abs=1e-9)   # c0.wav is 0.5 s whatever the row says


def test_data_set_tool_writes_shards_read_back_interleaved(tmp_path):
    csv_path = pool_csv(tmp_path, 30, n_files=30)   # distinct durations: one true order
    one, sharded = tmp_path / "one.sdb", tmp_path / "sharded.sdb"
    for target, extra in ((one, []), (sharded, ["--shards", "3"])):
        out = subprocess.run(CLI + ["data-set-tool", str(csv_path), str(target), "--audio-type", "wav",
                                    "--workers", "1"] + extra, capture_output=True, text=True, cwd=ROOT, timeout=300)
        assert out.returncode == 0, out.stderr
    shards = sorted(p.name for p in tmp_path.glob("sharded-*.sdb"))
    assert shards == [f"sharded-{i:05d}-of-00003.sdb" for i in range(3)] and not sharded.exists()
    whole, parts = open_collection(one), open_collection(sharded)
    assert len(parts.sources) == 3 and [len(s) for s in parts.sources] == [10, 10, 10]
    assert parts.transcripts == whole.transcripts
    np.testing.assert_allclose(parts.durations, whole.durations)
    np.testing.assert_array_equal(parts[29].audio, whole[29].audio)
    bad = subprocess.run(CLI + ["data-set-tool", str(csv_path), str(tmp_path / "x.csv"), "--shards", "2"],
                         capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert bad.returncode == 1 and "--shards needs a .sdb target" in bad.stderr and "Traceback" not in bad.stderr


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["csv", "sdb"])
def test_million_row_collection_plan_and_first_batches_within_limits(tmp_path, kind):
    out = subprocess.run([sys.executable, "bench/large_collection.py", "--rows", "1000000", "--format", kind,
                          "--workdir", str(tmp_path)],
                         capture_output=True, text=True, cwd=ROOT, timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    rows = {r["unit"]: r for r in (json.loads(l.split(" ", 1)[1]) for l in out.stdout.splitlines()
                                   if l.startswith("BENCH_ROW "))}
    assert rows["s"]["value"] < 60, rows["s"]
    assert rows["GB"]["value"] < 2.0, rows["GB"]
