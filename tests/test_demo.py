"""`make demo` (scripts/demo.sh) end to end at toy sizes: every stage runs and reports, alongside and one after the other."""
import os, re, subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SPANISH = Path("/usr/share/asterisk/sounds/es").is_dir()
TINY = {"DEMO_CLIPS": "40", "DEMO_EPOCHS": "1", "DEMO_N_HIDDEN": "16", "DEMO_ES_EPOCHS": "1", "DEMO_ES_N_HIDDEN": "16"}


@pytest.mark.slow
@pytest.mark.parametrize("parallel", ["1", "0"])
def test_demo_runs_every_stage(tmp_path, parallel):
    "About a minute each: the Spanish part (when its pack is installed) alongside the English one, or after it."
    out = subprocess.run(["bash", str(REPO / "scripts" / "demo.sh"), str(tmp_path / "demo")], cwd=REPO, text=True,
                         capture_output=True, timeout=900, env={**os.environ, **TINY, "DEMO_PARALLEL": parallel})
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    text = out.stdout
    stages = [int(n) for n in re.findall(r"^== (\d) ", text, re.M)]
    expected = [1, 2, 3, 4, 5, 6] + ([7, 8] if SPANISH else [])
    assert stages == expected, stages                       # the Spanish log follows the English stages, in order
    times = re.findall(r"^ +\d+ s  (\d) ", text, re.M)
    assert [int(n) for n in times] == expected and re.search(r"^ +\d+ s  total$", text, re.M)
    results = text.split("== results on held-out data")[1].split("\n", 1)[1].split("== time per stage")[0]
    labels = ["synthetic English, greedy", "synthetic English, beam + scorer"] + \
             (["real Spanish, greedy", "real Spanish, beam + scorer"] if SPANISH else [])
    assert [l[:34].strip() for l in results.strip().splitlines()] == labels
    assert all("WER:" in l and "CER:" in l for l in results.strip().splitlines())
    assert ("ran alongside" in text) == (parallel == "1" and SPANISH)
    assert "make lab" in text.strip().splitlines()[-1]
    assert (tmp_path / "demo" / "model" / "output_graph.tflite").is_file()
