#!/usr/bin/env python
"""Execute the lessons (in number order), tutorials and run notebooks, writing their outputs into the committed files.

`make notebooks` runs it. The stored notebooks then read without running them: outputs, the state of their widgets
(so a reopened notebook shows its widgets), the `language_info` JupyterLab writes (so opening one does not mark it
modified), and nbdev's trailing `nbdev_export()` cell guarded so Run All outside a checkout is harmless. Cells flagged `#| slow`, `#| notest`, `#| gpu` or `#| eval: false` are skipped unless `--flags` names
the flag; TensorFlow's C++ start-up lines are kept out of every cell, and this machine's absolute paths are rewritten in
the stored outputs (relative to the notebook inside the checkout, `/tmp/tmpXXXXXXXX` for temporary folders, `~` for home).

    .venv/bin/python tools/execute_notebooks.py                    # every notebook
    .venv/bin/python tools/execute_notebooks.py nbs/18_widgets.ipynb nbs/02_audio.ipynb
    .venv/bin/python tools/execute_notebooks.py --flags slow --timeout 1200     # tutorials always run their slow cells
    .venv/bin/python tools/execute_notebooks.py --kernelspec work/jupyter   # only write the kernelspec `make lab` uses
    .venv/bin/python tools/execute_notebooks.py --quiet-venv-kernel         # make setup: the venv's python3 kernel too
"""
import argparse, json, os, re, sys, tempfile, time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

REPO = Path(__file__).resolve().parents[1]
NBS = REPO / "nbs"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
SKIP_FLAGS = ("slow", "notest", "gpu")  # pyproject [tool.nbdev] tst_flags: run only when --flags names them
# nbdev-clean rewrites kernelspec.display_name to its name, so the kernel JupyterLab offers must be called that too
KERNELSPEC = {"display_name": "python3", "language": "python", "name": "python3"}
# TensorFlow/absl (and LiteRT) C++ logging ignores TF_CPP_MIN_LOG_LEVEL before absl::InitializeLog(): these lines are dropped
TF_NOISE = re.compile(r"^(WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
                      r"|[IWE]\d{4} \d\d:\d\d:\d+\.\d+ +\d+ [\w.]+:\d+\] .*"
                      r"|INFO: Created TensorFlow Lite XNNPACK delegate for CPU\.)$")  # LiteRT, on opening a model
KERNEL_ENV = {"TF_CPP_MIN_LOG_LEVEL": "2", "TF_ENABLE_ONEDNN_OPTS": "0", "PYTHONPATH": str(REPO),
              "PYTHONWARNINGS": "ignore::DeprecationWarning"}
# Imports TensorFlow with the C-level stderr sent to /dev/null, so its start-up lines (oneDNN, CUDA probing,
# cuInit) are printed there and not into whichever cell imports it first. Run before the first cell, not stored.
QUIET_TF_START = """
import os as _os
_saved, _null = _os.dup(2), _os.open(_os.devnull, _os.O_WRONLY)
_os.dup2(_null, 2)
try:
    import tensorflow as _tf; _tf.constant(0) + 0
except ImportError: pass
finally: _os.dup2(_saved, 2); _os.close(_null); _os.close(_saved)
"""


def notebooks_in_order(nbs: Path = NBS) -> list:
    "Lessons by number, then the index, tutorials and run notebooks (each folder sorted)."
    lessons = sorted(p for p in nbs.glob("[0-9][0-9]_*.ipynb"))
    return lessons + [nbs / "index.ipynb"] + sorted((nbs / "tutorials").glob("*.ipynb")) + sorted((nbs / "runs").glob("*.ipynb"))


def cell_flags(cell) -> set:
    "The nbdev flags of a code cell: `#| slow` -> {'slow'}, `#| eval: false` -> {'eval: false'}."
    flags = set()
    for line in cell.source.splitlines():
        if not line.startswith("#|"): break
        directive = line[2:].strip()
        flags.add("eval: false" if re.fullmatch(r"eval:\s*false", directive) else directive)
    return flags


def should_run(cell, run_flags: set) -> bool:
    "A code cell runs unless it is `eval: false` or carries a skip flag not asked for."
    flags = cell_flags(cell)
    return "eval: false" not in flags and not any(f in flags and f not in run_flags for f in SKIP_FLAGS)


class SelectiveClient(NotebookClient):
    "An nbclient that skips cells per their flags, and leaves skipped cells without outputs."
    def __init__(self, nb, run_flags: set = frozenset(), **kw):
        super().__init__(nb, **kw)
        self.run_flags = set(run_flags)

    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        if cell.cell_type == "code" and not should_run(cell, self.run_flags):
            cell.outputs, cell.execution_count = [], None
            return cell
        return await super().async_execute_cell(cell, cell_index, execution_count, store_history)


def drop_tf_noise(nb) -> int:
    "Remove TensorFlow's C++ start-up lines from stream outputs; returns how many lines went."
    dropped = 0
    for cell in nb.cells:
        kept = []
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                lines = out.text.splitlines(keepends=True)
                clean = [l for l in lines if not TF_NOISE.match(l.rstrip("\n"))]
                dropped += len(lines) - len(clean)
                if not clean: continue
                out.text = "".join(clean)
            kept.append(out)
        if cell.cell_type == "code": cell.outputs = kept
    return dropped


# Python's tempfile names: a prefix ("tmp" by default, or one ending in "-"/"_" such as "ckpts-") and 8 random characters
TEMP_NAME = r"(tmp|[\w.-]*?[-_])[a-z0-9_]{8}(?![a-z0-9_])"
TEXT_MIME = re.compile(r"text/.*|application/(json|javascript)")


def path_rewriter(notebook_dir: Path, repo: Path = REPO, tmp: str = tempfile.gettempdir(), home: str = str(Path.home())):
    """A function that rewrites this machine's absolute paths in a text: under the notebook's folder -> relative to it,
    elsewhere in the repository -> relative to the notebook (`../deepspeech_nb/...`), a tempfile-made name ->
    `tmpXXXXXXXX`, the home folder -> `~`. The stored outputs then read the same on every machine and re-run."""
    notebook_dir, repo = Path(notebook_dir).resolve(), Path(repo).resolve()
    up = os.path.relpath(repo, notebook_dir)
    start, end = r"(?:(?<![\w/.-])|(?<=file://))", r"(?![\w.-])"   # whole path components (a file:// URL too): /work/x is neither /work/xy nor /mnt/work/x
    def rule(path, rest, repl): return re.compile(start + re.escape(str(path).rstrip("/")) + rest), repl
    rules = [rule(notebook_dir, "/", ""), rule(notebook_dir, end, "."), rule(repo, "/", up + "/"), rule(repo, end, up),
             rule(tmp, "/" + TEMP_NAME, lambda m: f"{tmp.rstrip('/')}/{m[1]}XXXXXXXX")]
    if home.rstrip("/") and not str(repo).startswith(home.rstrip("/") + "/"): rules.append(rule(home, end, "~"))
    def rewrite(text: str) -> str:
        for pattern, repl in rules: text = pattern.sub(repl, text)
        return text
    return rewrite


def _rewrite_strings(value, rewrite):
    "`value` (JSON-like) with `rewrite` applied to every string in it."
    if isinstance(value, str): return rewrite(value)
    if isinstance(value, list): return [_rewrite_strings(v, rewrite) for v in value]
    if isinstance(value, dict): return type(value)({k: _rewrite_strings(v, rewrite) for k, v in value.items()})
    return value


def neutral_paths(nb, notebook_dir: Path, repo: Path = REPO) -> int:
    "Rewrite absolute paths (`path_rewriter`) in stored text outputs, tracebacks and widget state; returns the outputs changed."
    rewrite, changed = path_rewriter(notebook_dir, repo), 0
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            before = json.dumps(out, sort_keys=True)
            if "text" in out: out.text = rewrite(out.text)
            for key in ("evalue", "traceback"):
                if key in out: out[key] = _rewrite_strings(out[key], rewrite)
            for mime, data in out.get("data", {}).items():
                if TEXT_MIME.fullmatch(mime) or mime == WIDGET_STATE: out.data[mime] = _rewrite_strings(data, rewrite)
            changed += json.dumps(out, sort_keys=True) != before
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {})
    if "state" in state: state["state"] = nbformat.from_dict(_rewrite_strings(state["state"], rewrite))
    return changed


def shown_widget_ids(nb) -> set:
    "Model ids of the widgets the outputs display."
    return {out["data"][WIDGET_VIEW]["model_id"] for cell in nb.cells for out in cell.get("outputs", [])
            if WIDGET_VIEW in out.get("data", {})}


def prune_widget_state(nb) -> int:
    "Keep only the state of displayed widgets and the models they reference (test-only widgets go); returns the count kept."
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state")
    if state is None: return 0
    keep, todo = set(), list(shown_widget_ids(nb))
    while todo:
        model_id = todo.pop()
        if model_id in keep or model_id not in state: continue
        keep.add(model_id)
        todo += re.findall(r"IPY_MODEL_([0-9a-f]+)", json.dumps(state[model_id]))
    nb.metadata.widgets[WIDGET_STATE]["state"] = {k: v for k, v in state.items() if k in keep}
    if not keep: del nb.metadata["widgets"]
    return len(keep)


# nbdev's trailing export cell, guarded: outside a checkout (a copied notebook) Run All must not end in a traceback
GUARDED_EXPORT = """#| hide
#| eval: false
import nbdev
if nbdev.config.is_nbdev(): nbdev.nbdev_export()  # only inside a checkout: Run All elsewhere stays harmless"""


def guard_export_cell(nb) -> bool:
    "Replace a bare `import nbdev; nbdev.nbdev_export()` cell by `GUARDED_EXPORT`; True when one was."
    for cell in nb.cells:
        body = [l.strip() for l in cell.source.splitlines() if l.strip() and not l.startswith("#|")]
        if cell.cell_type == "code" and body == ["import nbdev; nbdev.nbdev_export()"]:
            cell.source = GUARDED_EXPORT
            return True
    return False


def kernel_env() -> dict:
    "The kernel's environment: ours, TensorFlow quiet, this checkout's `deepspeech_nb` first on the path."
    env = {**os.environ, **KERNEL_ENV}
    env.pop("MPLBACKEND", None)   # ipykernel's inline backend stores figures as PNG outputs; agg would drop them
    return env


def execute_notebook(path: Path, run_flags: set = frozenset(), timeout: int = 600) -> dict:
    "Execute `path` in its folder and write it back with outputs and widget state; returns a summary."
    nb = nbformat.read(path, as_version=4)
    guarded = guard_export_cell(nb)
    nb.cells.insert(0, nbformat.v4.new_code_cell(QUIET_TF_START))
    client = SelectiveClient(nb, run_flags, timeout=timeout, kernel_name=KERNELSPEC["name"], store_widget_state=True,
                             resources={"metadata": {"path": str(path.parent)}})
    started, error = time.time(), None
    try: client.execute(env=kernel_env())
    except CellExecutionError as e: error = str(e).strip().splitlines()[-1]
    finally: nb.cells.pop(0)
    nb.metadata.kernelspec = nbformat.from_dict(KERNELSPEC)
    summary = {"notebook": str(path.relative_to(REPO)), "seconds": round(time.time() - started, 1),
               "tf_lines_dropped": drop_tf_noise(nb), "widgets_kept": prune_widget_state(nb),
               "outputs_with_paths_made_neutral": neutral_paths(nb, path.parent), "export_cell_guarded": guarded, "error": error}
    nbformat.write(nb, path)
    return summary


# Run by the live kernel (`make lab`) before the reader's first cell: TF_CPP_MIN_LOG_LEVEL cannot hold back the lines
# TensorFlow prints before absl::InitializeLog() (oneDNN, "Could not find cuda drivers", cuInit), so the kit's import
# hook imports TensorFlow (and LiteRT) with fd 2 filtered, whenever a cell first imports it (kernel start-up: +0.2 s).
QUIET_KERNEL_LINE = "from deepspeech_nb.core import quiet_tensorflow; quiet_tensorflow()"


def write_kernelspec(folder: Path) -> Path:
    "A `kernels/python3` spec for JupyterLab (JUPYTER_PATH=folder) named as nbdev-clean stores it, TensorFlow kept quiet."
    spec_dir = folder / "kernels" / KERNELSPEC["name"]
    spec_dir.mkdir(parents=True, exist_ok=True)
    spec = {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}",
                     f"--IPKernelApp.exec_lines={[QUIET_KERNEL_LINE]!r}"],
            "display_name": KERNELSPEC["display_name"], "language": "python", "env": KERNEL_ENV}
    (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1) + "\n")
    return spec_dir


def quiet_venv_kernel(prefix: Path = Path(sys.prefix)) -> Path:
    "Make the environment's own `python3` kernel (papermill: `deepspeech-nb run`, nbclient) install the quiet hook too."
    path = Path(prefix) / "share" / "jupyter" / "kernels" / KERNELSPEC["name"] / "kernel.json"
    spec = json.loads(path.read_text())   # ipykernel's, written when pip installed it: kept as it is, one flag added
    flag = f"--IPKernelApp.exec_lines={[QUIET_KERNEL_LINE]!r}"
    spec["argv"] = [a for a in spec["argv"] if not a.startswith("--IPKernelApp.exec_lines=")] + [flag]
    spec.setdefault("env", {}).setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    path.write_text(json.dumps(spec, indent=1) + "\n")
    return path


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="notebooks to execute (default: all, in order)")
    parser.add_argument("--flags", default="", help="space-separated nbdev flags whose cells run too (e.g. 'slow')")
    parser.add_argument("--tutorial-flags", default="slow",
                        help="flags for nbs/tutorials/ notebooks, which run end to end by default (their slow cells, "
                             "e.g. training the model tutorial 05 listens with, are the walkthrough); '' to skip them")
    parser.add_argument("--timeout", type=int, default=600, help="seconds one cell may run")
    parser.add_argument("--kernelspec", type=Path, help="only write the kernelspec JupyterLab uses into this folder")
    parser.add_argument("--quiet-venv-kernel", action="store_true",
                        help="only add the quiet-TensorFlow hook to this environment's own python3 kernel (make setup)")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.kernelspec: print(write_kernelspec(args.kernelspec)); return 0
    if args.quiet_venv_kernel: print(quiet_venv_kernel()); return 0
    paths = [p.resolve() for p in args.notebooks] or notebooks_in_order()
    missing = [str(p) for p in paths if not p.is_file()]
    if missing: print(f"error: no such notebook: {', '.join(missing)} (give paths like nbs/18_widgets.ipynb)", file=sys.stderr); return 2
    failed = 0
    for path in paths:
        flags = set(args.flags.split()) | (set(args.tutorial_flags.split()) if path.parent.name == "tutorials" else set())
        summary = execute_notebook(path, flags, args.timeout)
        failed += summary["error"] is not None
        print(json.dumps(summary), flush=True)
    return 1 if failed else 0


if __name__ == "__main__": sys.exit(main())
