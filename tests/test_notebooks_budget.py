"""The committed notebooks carry their outputs (`make notebooks`), stay small, and reopen cleanly in JupyterLab."""
import json, re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NBS = REPO / "nbs"
BUDGET_MB = 30  # all notebooks together: 64-colour PNG figures and a few seconds of 16 kHz clips per lesson
WIDGET_STATE, WIDGET_VIEW = "application/vnd.jupyter.widget-state+json", "application/vnd.jupyter.widget-view+json"
TF_NOISE = re.compile(r"absl::InitializeLog|^[IWE]\d{4} \d\d:\d\d:\d+\.\d+ +\d+ [\w.]+:\d+\]", re.M)
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


# tools/execute_notebooks.py, the tool behind `make notebooks`, on small in-memory notebooks
import sys  # noqa: E402
sys.path.insert(0, str(REPO / "tools"))
import nbformat  # noqa: E402
from execute_notebooks import (GUARDED_EXPORT, drop_tf_noise, guard_export_cell, prune_widget_state,  # noqa: E402
                               should_run)

def _cell(src, outputs=()):
    cell = nbformat.v4.new_code_cell(src); cell.outputs = [nbformat.from_dict(o) for o in outputs]; return cell


def test_flagged_cells_run_only_when_asked():
    assert should_run(_cell("x = 1"), set()) and should_run(_cell("#| export\nx = 1"), set())
    assert not should_run(_cell("#| slow\ntrain()"), set()) and should_run(_cell("#| slow\ntrain()"), {"slow"})
    assert not should_run(_cell("#| hide\n#| eval: false\nimport nbdev"), {"slow"})
    assert should_run(_cell("x = 1\n#| slow"), set())           # a directive only counts at the top


def test_tf_start_up_lines_leave_the_outputs():
    noise = ("WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
             "I0000 00:00:1796162847.713175   11801 port.cc:153] oneDNN custom operations are on.\n"
             "E0000 00:00:1796162851.886772   11801 cuda_platform.cc:52] failed call to cuInit: INTERNAL\n")
    cell = _cell("import tensorflow", [{"output_type": "stream", "name": "stderr", "text": noise},
                                       {"output_type": "stream", "name": "stdout", "text": noise + "kept\n"}])
    nb = nbformat.v4.new_notebook(cells=[cell])
    assert drop_tf_noise(nb) == 6 and [o.text for o in cell.outputs] == ["kept\n"]


def test_widget_state_keeps_what_is_shown_and_its_children():
    view = {"output_type": "display_data", "metadata": {},
            "data": {WIDGET_VIEW: {"model_id": "aa", "version_major": 2, "version_minor": 0}, "text/plain": "VBox()"}}
    state = {"aa": {"state": {"children": ["IPY_MODEL_bb"]}}, "bb": {"state": {"layout": "IPY_MODEL_cc"}},
             "cc": {"state": {}}, "dd": {"state": {"value": "a test's widget"}}}
    nb = nbformat.v4.new_notebook(cells=[_cell("ui", [view])],
                                  metadata={"widgets": {WIDGET_STATE: {"state": state, "version_major": 2, "version_minor": 0}}})
    assert prune_widget_state(nb) == 3 and set(nb.metadata.widgets[WIDGET_STATE]["state"]) == {"aa", "bb", "cc"}


def test_export_cell_is_guarded_once():
    nb = nbformat.v4.new_notebook(cells=[_cell("x = 1"), _cell("#| hide\n#| eval: false\nimport nbdev; nbdev.nbdev_export()")])
    assert guard_export_cell(nb) and nb.cells[1].source == GUARDED_EXPORT and not guard_export_cell(nb)
    assert "is_nbdev()" in GUARDED_EXPORT
