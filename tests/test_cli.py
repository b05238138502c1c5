"""The `deepspeech-nb` entry point and the DeepSpeech-style shims, run as a user would: in subprocesses."""
import subprocess, sys
from pathlib import Path

import pytest

from deepspeech_nb.cli import SUBCOMMANDS, resolve

ROOT = Path(__file__).resolve().parents[1]
CLI = [str(Path(sys.executable).parent / "deepspeech-nb")]


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, cwd=ROOT, timeout=300, **kw)


def test_help_lists_every_subcommand():
    out = run(CLI + ["--help"])
    assert out.returncode == 0, out.stderr
    for name in SUBCOMMANDS: assert name in out.stdout


def test_unknown_subcommand_is_a_clear_error():
    out = run(CLI + ["no-such-thing"])
    assert out.returncode == 2
    assert "unknown subcommand 'no-such-thing'" in out.stderr


@pytest.mark.parametrize("name", sorted(SUBCOMMANDS))
def test_every_subcommand_resolves_to_a_function(name):
    assert callable(resolve(name))
