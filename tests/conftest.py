"""Shared fixtures: the loopback lab, running in a background thread for the whole session."""

from __future__ import annotations

import os
import subprocess
import tempfile
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
_SCRATCH = Path(tempfile.mkdtemp(prefix="ipv6scan-tests-"))


@pytest.fixture(scope="session")
def lab():
    from ipv6scan.testnet.lab import LabThread

    with LabThread() as running:
        yield running


@pytest.fixture(scope="session")
def lab_dir(lab, tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("lab")


def run_cli(*args: str, stdin: str | None = None, cwd: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run the real ``ipv6scan`` command line in a child process."""
    pythonpath = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "COLUMNS": "200", "PYTHONPATH": pythonpath}
    env["IPV6SCAN_DB"] = str(_SCRATCH / "history.sqlite")  # never the user's reports/history.sqlite
    return subprocess.run(
        [sys.executable, "-m", "ipv6scan", *args],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
        cwd=cwd,
        env=env,
    )
