"""tools/execute_notebooks.py beyond executing: the kernel `make lab` starts."""
import json, os, sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))
from execute_notebooks import QUIET_KERNEL_LINE, TF_NOISE, write_kernelspec  # noqa: E402


def test_make_lab_kernel_installs_the_quiet_import_hook(tmp_path):
    spec = json.loads((write_kernelspec(tmp_path) / "kernel.json").read_text())
    assert f"--IPKernelApp.exec_lines={[QUIET_KERNEL_LINE]!r}" in spec["argv"]
    assert spec["env"]["TF_CPP_MIN_LOG_LEVEL"] == "2" and spec["env"]["PYTHONPATH"] == str(REPO)


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
