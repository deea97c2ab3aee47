"""`ipv6scan scan … | head`: the reader leaving early does not stop the scan or lose what it saved."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import REPO

HOSTS = "".join(f"{name}.gov.example\n" for name in ("dual", "v4only", "nx", "www", "multi6", "refuse6", "diff6"))


def scan_into_closed_pipe(lab, lab_dir, *args: str) -> tuple[int, str, list[dict]]:
    targets = lab_dir / "pipe.txt"
    targets.write_text(HOSTS, encoding="utf-8")
    save = lab_dir / f"saved{len(list(lab_dir.glob('saved*')))}"
    env = {**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "80", "IPV6SCAN_DB": str(lab_dir / "pipe.sqlite")}
    proc = subprocess.Popen([sys.executable, "-m", "ipv6scan", "scan", str(targets), *lab.cli_args(lab_dir),
                             "--save-dir", str(save), "--concurrency", "1", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=lab_dir)
    proc.stdout.readline()  # like `head -1`: one line, then the pipe is closed
    proc.stdout.close()
    stderr = proc.stderr.read().decode("utf-8")
    code = proc.wait(timeout=120)
    (saved,) = save.glob("scan-*.jsonl")
    return code, stderr, [json.loads(line) for line in saved.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("fmt", ["jsonl", "json", "table"])
def test_a_closed_stdout_ends_nothing(lab, lab_dir, fmt):
    code, stderr, saved = scan_into_closed_pipe(lab, lab_dir, "--format", fmt)
    assert code == 0, stderr
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr and "Exception ignored" not in stderr, stderr
    assert [line["type"] for line in saved].count("host") == 7 and saved[-1]["type"] == "summary"
