"""Several workers on tf.distribute (issue #16 item 3), on localhost: the cluster resolver picked from the
environment (TF_CONFIG / Kubernetes, Slurm), two workers following one worker's loss curve, only the chief writing,
and a killed worker stopping the other with one line, then the same commands resuming.

The runs use a 16-unit model on six cuts of LDC93S1 (`cuts` fixture of test_train.py's kind) with dropout off, so
one worker and two workers see the same global batches and compute the same updates up to float summation order.
The multi-process runs take a minute or two each on two cores: `pytest -m slow tests/test_multiworker.py`.
"""
import json, os, signal, socket, subprocess, sys, time
from pathlib import Path
from unittest import mock

import pytest

ROOT = Path(__file__).resolve().parents[1]
CLI = [str(Path(sys.executable).parent / "deepspeech-nb"), "train"]
ENV = {k: v for k, v in os.environ.items() if k != "TF_CONFIG" and not k.startswith("SLURM_")}
ENV.update(TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES="")
WORDS = "she had your dark suit in greasy wash water all year".split()
LOSS_RTOL = 1e-4   # two workers vs one at the same global batch: only the all-reduce's summation order differs


def args(csv, checkpoint_dir, batch_size, epochs, *extra):
    return ["--train_files", str(csv), "--train_batch_size", str(batch_size), "--epochs", str(epochs),
            "--n_hidden", "16", "--dropout_rate", "0", "--noshow_progressbar", "--checkpoint_dir", str(checkpoint_dir),
            *extra]


def free_ports(n):
    socks = [socket.socket() for _ in range(n)]
    for s in socks: s.bind(("localhost", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks: s.close()
    return ports


def train_losses(checkpoint_dir):
    return [m["train_loss"] for m in json.loads((Path(checkpoint_dir) / "run" / "metrics.json").read_text())]


def start(cmd, env):
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)


# ---- the resolver (in-process, fast) ---------------------------------------------------------------------------

def test_resolver_follows_the_environment():
    from deepspeech_nb.train import cluster_resolver_from_env, cluster_workers
    slurm = {"SLURM_PROCID": "0", "SLURM_STEP_NUM_TASKS": "4", "SLURM_STEP_NODELIST": "node[1-2]",
             "SLURM_STEP_TASKS_PER_NODE": "2(x2)", "CUDA_VISIBLE_DEVICES": "", "DEEPSPEECH_NB_PORT_BASE": "9000"}
    with mock.patch.dict(os.environ, slurm, clear=True):
        resolver = cluster_resolver_from_env()
        assert resolver.cluster_spec().as_dict() == {"worker": ["node1:9000", "node1:9001", "node2:9000", "node2:9001"]}
        assert (resolver.task_type, resolver.task_id, cluster_workers()) == ("worker", 0, 4)
    kube = json.dumps({"cluster": {"chief": ["a:2222"], "worker": ["b:2222"]}, "task": {"type": "worker", "index": 0}})
    with mock.patch.dict(os.environ, {**slurm, "TF_CONFIG": kube}, clear=True):   # TF_CONFIG wins (a TFJob pod)
        resolver = cluster_resolver_from_env()
        assert type(resolver).__name__ == "TFConfigClusterResolver" and cluster_workers() == 2
    with mock.patch.dict(os.environ, {}, clear=True): assert cluster_resolver_from_env() is None and cluster_workers() == 1


# ---- two workers versus one ------------------------------------------------------------------------------------

@pytest.mark.slow
def test_two_slurm_workers_follow_one_workers_loss_curve_and_only_the_chief_writes(cuts, tmp_path):
    single = subprocess.run(CLI + args(cuts, tmp_path / "one", 2, 3), env=ENV, capture_output=True, text=True,
                            timeout=600, cwd=ROOT)
    assert single.returncode == 0, single.stderr[-3000:]
    # the same global batch of 2: one sample per worker; each worker gets its own --checkpoint_dir so that anything
    # the non-chief wrote would show (in real runs they share one)
    port = free_ports(1)[0]
    slurm = {"SLURM_STEP_NUM_TASKS": "2", "SLURM_STEP_NODELIST": "localhost", "SLURM_STEP_TASKS_PER_NODE": "2",
             "DEEPSPEECH_NB_PORT_BASE": str(port)}
    procs = [start(CLI + args(cuts, tmp_path / f"worker{i}", 1, 3), {**ENV, **slurm, "SLURM_PROCID": str(i)})
             for i in range(2)]
    outs = [p.communicate(timeout=600) for p in procs]
    for p, (_, err) in zip(procs, outs): assert p.returncode == 0, err[-3000:]
    assert all("(3 steps" in out for out, _ in outs)                        # 6 samples, 2 per step
    assert train_losses(tmp_path / "worker0") == pytest.approx(train_losses(tmp_path / "one"), rel=LOSS_RTOL)
    assert (tmp_path / "worker0" / "last" / "checkpoint").exists()
    assert not (tmp_path / "worker1" / "last").exists() and not (tmp_path / "worker1" / "run" / "metrics.json").exists()
    losses = lambda out: [line.split(" (")[0] for line in out.splitlines() if line.startswith("epoch ")]
    assert losses(outs[0][0]) == losses(outs[1][0]) and len(losses(outs[0][0])) == 3   # both saw the same losses
    one, two = train_losses(tmp_path / "one"), train_losses(tmp_path / "worker0")
    print(f"train loss per epoch: one worker {one}, two workers {two}; "
          f"largest relative difference {max(abs(a - b) / abs(a) for a, b in zip(one, two)):.1e}")


# ---- a worker killed ---------------------------------------------------------------------------------------------

def progress_step(checkpoint_dir) -> int:
    try: return json.loads((Path(checkpoint_dir) / "last" / "progress.json").read_text())["global_step"]
    except (OSError, ValueError, KeyError): return 0


@pytest.mark.slow
def test_killed_worker_stops_the_other_with_one_line_and_the_same_commands_resume(cuts, tmp_path):
    workers = [f"localhost:{p}" for p in free_ports(2)]
    envs = [{**ENV, "TF_CONFIG": json.dumps({"cluster": {"worker": workers}, "task": {"type": "worker", "index": i}})}
            for i in range(2)]
    cmd = CLI + args(cuts, tmp_path / "ckpt", 1, 12, "--checkpoint_secs", "0")   # 3 steps an epoch, saved each step
    procs = [start(cmd, env) for env in envs]
    deadline = time.monotonic() + 300
    while progress_step(tmp_path / "ckpt") < 6 and procs[0].poll() is None and time.monotonic() < deadline: time.sleep(0.05)
    assert 6 <= progress_step(tmp_path / "ckpt") < 36, "the run was not caught mid-training"
    os.kill(procs[1].pid, signal.SIGKILL); killed_at = time.monotonic(); procs[1].communicate()
    _, err = procs[0].communicate(timeout=300)                     # a timeout, not a hang: within minutes
    waited = time.monotonic() - killed_at
    assert procs[0].returncode == 3, err[-3000:]
    last = [line for line in err.splitlines() if line.startswith("deepspeech-nb train: ")]
    assert len(last) == 1 and "restart the same command on every worker" in last[0], err[-3000:]
    assert "Traceback" not in err, err[-3000:]
    print(f"the surviving worker stopped {waited:.0f} s after its peer was killed")

    procs = [start(cmd, env) for env in envs]                       # the same two commands again
    outs = [p.communicate(timeout=600) for p in procs]
    for p, (_, err) in zip(procs, outs): assert p.returncode == 0, err[-3000:]
    assert all("resuming from" in out for out, _ in outs)
    assert progress_step(tmp_path / "ckpt") == 36                   # 12 epochs x 3 steps, none lost or repeated
    assert [m["epoch"] for m in json.loads((tmp_path / "ckpt" / "run" / "metrics.json").read_text())][-1] == 12
