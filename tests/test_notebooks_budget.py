"""The committed notebooks carry their outputs (`make notebooks`), stay small, and reopen cleanly in JupyterLab."""
import json, re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NBS = REPO / "nbs"
BUDGET_MB = 30  # all notebooks together: 64-colour PNG figures and a few seconds of 16 kHz clips per lesson
WIDGET_STATE, WIDGET_VIEW = "application/vnd.jupyter.widget-state+json", "application/vnd.jupyter.widget-view+json"
TF_NOISE = re.compile(r"absl::InitializeLog|^[IWE]\d{4} \d\d:\d\d:\d\d\.\d+ +\d+ [\w.]+:\d+\]", re.M)
LESSONS = sorted(NBS.glob("[0-9][0-9]_*.ipynb"))


def _nb(path): return json.loads(path.read_text())
def _outputs(nb): return [o for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])]
def _text(o): return "".join(o["text"]) if isinstance(o["text"], list) else o["text"]
def _executed(): return [p for p in sorted(NBS.rglob("*.ipynb")) if _outputs(_nb(p))]


def test_notebooks_fit_the_budget():
    sizes = {p.relative_to(REPO): p.stat().st_size for p in NBS.rglob("*.ipynb")}
    total_mb = sum(sizes.values()) / 2**20
    biggest = sorted(sizes.items(), key=lambda kv: -kv[1])[:3]
    assert total_mb <= BUDGET_MB, f"notebooks hold {total_mb:.1f} MB (budget {BUDGET_MB} MB); biggest: {biggest}"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_every_lesson_has_outputs(path):
    assert _outputs(_nb(path)), f"{path.name} has no stored outputs: run `make notebooks` and commit the result"


@pytest.mark.parametrize("path", _executed(), ids=lambda p: p.stem)
def test_executed_notebook_reopens_cleanly(path):
    nb = _nb(path)
    meta = nb["metadata"]
    assert meta.get("kernelspec", {}).get("name") == "python3" and "language_info" in meta, \
        f"{path.name}: kernelspec/language_info missing, JupyterLab would mark it modified on opening"
    shown = {o["data"][WIDGET_VIEW]["model_id"] for o in _outputs(nb) if WIDGET_VIEW in o.get("data", {})}
    saved = meta.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    assert shown <= saved.keys(), f"{path.name}: {len(shown - saved.keys())} widgets shown without saved state"
    errors = [o.get("ename") for o in _outputs(nb) if o["output_type"] == "error"]
    assert not errors, f"{path.name}: stored error outputs {errors}"
    noise = [_text(o)[:80] for o in _outputs(nb) if o["output_type"] == "stream" and TF_NOISE.search(_text(o))]
    assert not noise, f"{path.name}: TensorFlow start-up lines in outputs: {noise}"
