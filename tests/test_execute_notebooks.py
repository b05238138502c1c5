"""tools/execute_notebooks.py beyond executing: the neutral paths it stores and the kernel `make lab` starts."""
import json, os, sys, tempfile
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))
from execute_notebooks import (QUIET_KERNEL_LINE, TF_NOISE, WIDGET_STATE, neutral_paths, path_rewriter,  # noqa: E402
                               quiet_venv_kernel, write_kernelspec)

TMP, HOME = tempfile.gettempdir().rstrip("/"), str(Path.home())


def test_paths_under_the_notebook_and_the_repository_become_relative():
    rewrite = path_rewriter(REPO / "nbs" / "tutorials", REPO)
    assert rewrite(f"Test on {REPO}/nbs/tutorials/run/data/ldc93s1.csv - WER: 0") == "Test on run/data/ldc93s1.csv - WER: 0"
    assert rewrite(f"'{REPO}/deepspeech_nb/data/alphabet.txt'") == "'../../deepspeech_nb/data/alphabet.txt'"
    assert rewrite(f"cd {REPO}/nbs/tutorials; ls {REPO}") == "cd .; ls ../.."
    assert rewrite(f"0  {REPO}/nbs/tutorials/run/dat...") == "0  run/dat..."       # pandas' cut-off cells too
    assert rewrite(f"{REPO}x/y and /mnt{REPO}/y") == f"{REPO}x/y and /mnt{REPO}/y"  # whole path components only


def test_temporary_names_and_home_become_neutral():
    rewrite = path_rewriter(REPO / "nbs", REPO, tmp=TMP, home="/home/reader")
    assert rewrite(f"Assets written to: {TMP}/tmpev4g_hgx/assets") == f"Assets written to: {TMP}/tmpXXXXXXXX/assets"
    assert rewrite(f"{TMP}/ckpts-t0yqio0d/last {TMP}/damaged-ckpts-uyv5fdtk {TMP}/tmpi_cm8bg8.json") == \
        f"{TMP}/ckpts-XXXXXXXX/last {TMP}/damaged-ckpts-XXXXXXXX {TMP}/tmpXXXXXXXX.json"
    assert rewrite(f"{TMP}/ck/run {TMP}/my-checkpoints") == f"{TMP}/ck/run {TMP}/my-checkpoints"   # chosen names stay
    assert rewrite("/home/reader/.local/share/deepspeech_nb /home/readers") == "~/.local/share/deepspeech_nb /home/readers"


def test_stored_outputs_tracebacks_and_widget_state_are_rewritten():
    nbdir = REPO / "nbs" / "tutorials"
    outputs = [{"output_type": "stream", "name": "stdout", "text": f"exported: tflite {nbdir}/run/model/output_graph.tflite\n"},
               {"output_type": "execute_result", "execution_count": 1, "metadata": {},
                "data": {"text/plain": f"'{TMP}/tmpabcd_123/x.wav'", "text/html": f"<td>{REPO}/nbs/x.csv</td>",
                         "image/png": "iVBORw0KGgo="}},
               {"output_type": "error", "ename": "FileNotFoundError", "evalue": f"{nbdir}/gone.wav",
                "traceback": [f"File {REPO}/deepspeech_nb/audio.py:12"]}]
    cell = nbformat.v4.new_code_cell("x"); cell.outputs = [nbformat.from_dict(o) for o in outputs]
    state = {"aa": {"state": {"value": f"{nbdir}/run/clip.wav", "children": []}}}
    nb = nbformat.v4.new_notebook(cells=[cell, nbformat.v4.new_code_cell("y")],
                                  metadata={"widgets": {WIDGET_STATE: {"state": state, "version_major": 2, "version_minor": 0}}})
    assert neutral_paths(nb, nbdir) == 3
    stream, result, error = cell.outputs
    assert stream.text == "exported: tflite run/model/output_graph.tflite\n"
    assert result.data == {"text/plain": f"'{TMP}/tmpXXXXXXXX/x.wav'", "text/html": "<td>../../nbs/x.csv</td>", "image/png": "iVBORw0KGgo="}
    assert (error.evalue, error.traceback) == ("gone.wav", ["File ../../deepspeech_nb/audio.py:12"])
    assert nb.metadata.widgets[WIDGET_STATE]["state"]["aa"]["state"]["value"] == "run/clip.wav"
    assert neutral_paths(nb, nbdir) == 0 and str(REPO) not in json.dumps(nb)


def test_make_lab_kernel_installs_the_quiet_import_hook(tmp_path):
    spec = json.loads((write_kernelspec(tmp_path) / "kernel.json").read_text())
    assert f"--IPKernelApp.exec_lines={[QUIET_KERNEL_LINE]!r}" in spec["argv"]
    assert spec["env"]["TF_CPP_MIN_LOG_LEVEL"] == "2" and spec["env"]["PYTHONPATH"] == str(REPO)


def test_the_venv_kernel_gets_the_hook_once_and_keeps_the_rest(tmp_path):
    "make setup adds the hook to ipykernel's own python3 kernel, which papermill (`deepspeech-nb run`) starts."
    spec_dir = tmp_path / "share" / "jupyter" / "kernels" / "python3"; spec_dir.mkdir(parents=True)
    ipykernel_spec = {"argv": ["python", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                      "display_name": "Python 3 (ipykernel)", "language": "python", "metadata": {"debugger": True}}
    (spec_dir / "kernel.json").write_text(json.dumps(ipykernel_spec))
    quiet_venv_kernel(tmp_path); quiet_venv_kernel(tmp_path)
    spec = json.loads((spec_dir / "kernel.json").read_text())
    assert spec["argv"] == ipykernel_spec["argv"] + [f"--IPKernelApp.exec_lines={[QUIET_KERNEL_LINE]!r}"]
    assert spec["env"] == {"TF_CPP_MIN_LOG_LEVEL": "2"} and spec["metadata"] == {"debugger": True}


@pytest.mark.slow
def test_make_lab_kernel_imports_tensorflow_without_start_up_lines(tmp_path):
    "A real kernel from the kernelspec `make lab` writes: no oneDNN/CUDA/cuInit line reaches a cell (~15 s)."
    jupyter_client = pytest.importorskip("jupyter_client")
    from jupyter_client.kernelspec import KernelSpecManager
    write_kernelspec(tmp_path)
    km = jupyter_client.KernelManager(kernel_name="python3", kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(tmp_path / "kernels")]))
    km.start_kernel(env={k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", "PYTHONPATH")}, cwd=str(tmp_path))
    kc = km.client(); kc.start_channels()
    try:
        kc.wait_for_ready(timeout=120)
        streams = []
        for code in ("import tensorflow as tf", "print(float(tf.constant(2.0) * 2))", "import time; time.sleep(1)"):
            reply = kc.execute_interactive(code, timeout=180, output_hook=lambda m: m["msg_type"] == "stream" and streams.append(m["content"]["text"]))
            assert reply["content"]["status"] == "ok", reply["content"]
        noise = [line for text in streams for line in text.splitlines() if TF_NOISE.match(line) or "cuda" in line.lower()]
        assert not noise and "4.0\n" in streams, streams
    finally:
        kc.stop_channels(); km.shutdown_kernel(now=True)
