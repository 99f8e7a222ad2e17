"""`make lint` as a test: ruff (line length 100, E501 on) and mypy pass over the tree."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _run(tool: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / tool), *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_ruff_passes():
    result = _run("ruff", "check", "bot", "forms", "tasks", "tests", "bench")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_refuses_a_line_of_101_characters():
    line = "x = " + repr("a" * 95) + "\n"
    assert len(line.rstrip("\n")) == 101
    result = _run("ruff", "check", "--stdin-filename", "bot/probe.py", "-", stdin=line)
    assert result.returncode == 1
    assert "E501" in result.stdout


def test_mypy_passes():
    result = _run("mypy")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues found" in result.stdout
