"""Streaming and resume through the real CLI against the loopback lab: a real kill -9, a real Ctrl-C (SIGINT).

A scan saves each host in the history database as it finishes. Killed at any
moment, ``ipv6scan scan ... --resume`` goes on with the same scan: the hosts it
had saved are not scanned again, and every target ends up exactly once in the
database and in the saved scan file.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import msgspec
import pytest

from ipv6scan.model import HostRecord, ScanHeader, ScanLine, ScanSummary
from ipv6scan.targets import normalise_host
from ipv6scan.testnet.lab import SCENARIOS

from .conftest import REPO, run_cli

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def cli_env() -> dict[str, str]:
    pythonpath = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONIOENCODING": "utf-8", "COLUMNS": "200", "PYTHONPATH": pythonpath}


def start_cli(*args: str, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "ipv6scan", *args], cwd=cwd, env=cli_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def host_rows(db: Path) -> list[tuple[int, str, str]]:
    """(scan_id, host, facts.started) of every saved host, read by another connection while a scan runs."""
    if not db.exists():
        return []
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            return con.execute("SELECT scan_id, host, started FROM hosts ORDER BY id").fetchall()
        finally:
            con.close()
    except sqlite3.OperationalError:  # not created / migrated yet
        return []


def wait_for_hosts(proc: subprocess.Popen, db: Path, n: int, timeout: float = 60) -> list[tuple[int, str, str]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = host_rows(db)
        if len(rows) >= n:
            return rows
        if proc.poll() is not None:
            out, errs = proc.communicate()
            pytest.fail(f"the scan ended (exit {proc.returncode}) before {n} hosts were saved: {errs.decode()[-2000:]}")
        time.sleep(0.01)
    proc.kill()
    pytest.fail(f"fewer than {n} hosts saved after {timeout} s")


def target_list(prefix: str) -> tuple[str, list[str]]:
    """Every lab scenario, with fast NXDOMAIN names around them and the slow one (timeout6, ~2 s) early on."""
    slow = "timeout6.gov.example"
    others = [s.host for s in SCENARIOS if s.host != slow]
    names = [others[0], f"{prefix}0.gov.example", others[1], f"{prefix}1.gov.example", slow]
    for i, host in enumerate(others[2:], 2):
        names += [host, f"{prefix}{i}.gov.example"]
    text = "# resume test\n" + "".join(f"{n}\n" for n in names) + "not a host name!\n"
    return text, [normalise_host(n) for n in names]


def jsonl(data: bytes | str) -> list[ScanLine]:
    dec = msgspec.json.Decoder(ScanLine)
    text = data.decode() if isinstance(data, bytes) else data
    return [dec.decode(line) for line in text.splitlines() if line.strip()]


def hosts_of(lines: list[ScanLine]) -> list[str]:
    return [line.facts.host for line in lines if isinstance(line, HostRecord)]


def dns_names_asked(lab, since: int) -> set[str]:
    return {q.rstrip(".").lower() for _, q, t, _ in lab.dns.queries[since:] if t in ("A", "AAAA")}


def test_kill_9_then_resume(lab, tmp_path):
    text, expected = target_list("nxkill")
    targets = tmp_path / "targets.txt"
    targets.write_text(text, encoding="utf-8")
    db, reports = tmp_path / "db" / "history.sqlite", tmp_path / "reports"
    args = ["scan", str(targets), *lab.cli_args(tmp_path), "--db", str(db), "--save-dir", str(reports),
            "--concurrency", "1", "--format", "jsonl"]

    t0 = time.monotonic()
    proc = start_cli(*args, cwd=tmp_path)
    wait_for_hosts(proc, db, 2)
    proc.send_signal(signal.SIGKILL)  # kill -9: no handler runs, no summary is written
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    before = {host: started for _, host, started in host_rows(db)}
    scan_ids = {scan_id for scan_id, _, _ in host_rows(db)}
    assert scan_ids == {1}
    assert 2 <= len(before) < len(expected), "the kill must land in the middle of the scan"
    con = sqlite3.connect(db)
    assert con.execute("SELECT status FROM scans WHERE id = 1").fetchone()[0] == "running"
    con.close()
    [saved] = reports.glob("scan-*.jsonl")
    killed_at = time.monotonic() - t0
    # a host of the group commit in flight at the kill is in the scan file, not yet in the database: adopted
    whole_lines = saved.read_bytes().split(b"\n")[:-1]  # (a line cut by the kill has no newline yet)
    in_file = {d["facts"]["host"] for d in map(json.loads, whole_lines) if d.get("type") == "host"}

    queries_before = len(lab.dns.queries)
    t1 = time.monotonic()
    resumed = run_cli(*args, "--resume", cwd=tmp_path)
    resume_s = time.monotonic() - t1
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming scan 1" in resumed.stderr

    # the hosts saved before the kill were not scanned again ...
    again = hosts_of(jsonl(resumed.stdout))
    assert set(again) == set(expected) - set(before) - in_file and len(again) == len(set(again))
    # (redirect6's redirect to v4only resolves v4only again, rightly, when v4only was saved before the kill)
    assert not dns_names_asked(lab, queries_before) & ((set(before) | in_file) - {"v4only.gov.example"})
    # ... and kept as they were
    after = {host: started for _, host, started in host_rows(db)}
    assert {h: after[h] for h in before} == before

    # every target exactly once in the database, in one scan, now complete
    con = sqlite3.connect(db)
    rows = con.execute("SELECT host, count(*) FROM hosts WHERE scan_id = 1 GROUP BY host").fetchall()
    assert sorted(h for h, _ in rows) == sorted(expected) and {n for _, n in rows} == {1}
    assert con.execute("SELECT count(*) FROM hosts WHERE scan_id != 1").fetchone()[0] == 0
    assert con.execute("SELECT status, hosts, input_errors FROM scans WHERE id = 1").fetchone() == (
        "complete", len(expected), 1)
    assert con.execute("SELECT count(*) FROM scans").fetchone()[0] == 1
    assert con.execute("SELECT count(*) FROM runs WHERE scan_id = 1").fetchone()[0] == 2
    con.close()

    # the saved scan file: every host once, a second header marked resumed, a summary of the whole scan
    lines = jsonl(saved.read_bytes())
    assert sorted(hosts_of(lines)) == sorted(expected)
    headers = [line for line in lines if isinstance(line, ScanHeader)]
    assert len(headers) == 2 and lines[0] == headers[0] and "resumed" not in headers[0].options
    assert headers[1].options["resumed"] is True and headers[1].options["resumed_scan"] == 1
    assert isinstance(lines[-1], ScanSummary) and not lines[-1].interrupted
    assert lines[-1].hosts == len(expected) and sum(lines[-1].verdicts.values()) == len(expected)
    assert sum(1 for line in lines if type(line).__name__ == "InputError") == 1
    stdout_summary = jsonl(resumed.stdout)[-1]
    assert isinstance(stdout_summary, ScanSummary) and stdout_summary.hosts == len(expected)

    # `ipv6scan history` lists it with its summary
    hist = run_cli("history", "--db", str(db), "--format", "json", cwd=tmp_path)
    assert hist.returncode == 0, hist.stderr
    [row] = json.loads(hist.stdout)
    assert row["id"] == 1 and row["status"] == "complete" and row["hosts"] == len(expected)
    assert sum(row["verdicts"].values()) == len(expected) and row["input_errors"] == 1 and row["runs"] == 2
    table = run_cli("history", "--db", str(db), cwd=tmp_path)
    assert table.returncode == 0 and "complete" in table.stdout and str(len(expected)) in table.stdout

    # resuming a complete scan is refused, with a clear message
    again = run_cli(*args, "--resume", cwd=tmp_path)
    assert again.returncode == 2 and "no unfinished scan" in again.stderr
    print(f"\n[resume] killed after {killed_at:.2f} s with {len(before)}/{len(expected)} hosts saved; "
          f"resume scanned {len(expected) - len(before)} hosts in {resume_s:.2f} s")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_ctrl_c_says_how_to_resume(lab, tmp_path, sig):
    text, expected = target_list(f"nx{sig.name.lower()}")
    targets = tmp_path / "targets.txt"
    targets.write_text(text, encoding="utf-8")
    db, reports = tmp_path / "history.sqlite", tmp_path / "reports"
    args = ["scan", str(targets), *lab.cli_args(tmp_path), "--db", str(db), "--save-dir", str(reports),
            "--concurrency", "1", "--format", "jsonl"]

    proc = start_cli(*args, cwd=tmp_path)
    wait_for_hosts(proc, db, 1)
    proc.send_signal(sig)
    out, errs = proc.communicate(timeout=60)
    stderr = errs.decode()
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr and "--resume" in stderr
    command = stderr.split("to go on where it stopped, run:\n", 1)[1].splitlines()[0].strip()
    assert shlex.split(command)[-1] == "--resume" and str(targets) in command

    con = sqlite3.connect(db)
    status, saved_hosts = con.execute("SELECT status, (SELECT count(*) FROM hosts) FROM scans").fetchone()
    con.close()
    assert status == "interrupted" and 1 <= saved_hosts < len(expected)
    [saved] = reports.glob("scan-*.jsonl")
    lines = jsonl(saved.read_bytes())
    assert isinstance(lines[-1], ScanSummary) and lines[-1].interrupted

    # the command it printed, run as printed, finishes the scan
    done = subprocess.run(shlex.split(command), cwd=tmp_path, env=cli_env(), capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    con = sqlite3.connect(db)
    rows = con.execute("SELECT host, count(*) FROM hosts GROUP BY host").fetchall()
    assert sorted(h for h, _ in rows) == sorted(expected) and {n for _, n in rows} == {1}
    assert con.execute("SELECT status FROM scans").fetchall() == [("complete",)]
    con.close()
    assert sorted(hosts_of(jsonl(saved.read_bytes()))) == sorted(expected)


def test_resume_without_an_unfinished_scan_is_an_error(lab, tmp_path):
    targets = tmp_path / "t.txt"
    targets.write_text("nx.gov.example\n")
    proc = run_cli("scan", str(targets), *lab.cli_args(tmp_path), "--db", str(tmp_path / "h.sqlite"), "--resume",
                   "--no-save", cwd=tmp_path)
    assert proc.returncode == 2 and "no unfinished scan" in proc.stderr and "Traceback" not in proc.stderr
    proc = run_cli("scan", str(targets), "--no-db", "--resume", cwd=tmp_path)
    assert proc.returncode == 2 and "--no-db" in proc.stderr


def test_corrupt_database_exits_3_without_traceback(lab, tmp_path):
    db = tmp_path / "history.sqlite"
    db.write_bytes(b"garbage" * 1000)
    targets = tmp_path / "t.txt"
    targets.write_text("nx.gov.example\n")
    for args in (["scan", str(targets), *lab.cli_args(tmp_path), "--db", str(db), "--no-save"],
                 ["history", "--db", str(db)], ["host", "nx.gov.example", "--db", str(db)]):
        proc = run_cli(*args, cwd=tmp_path)
        assert proc.returncode == 3, (args, proc.stderr)
        assert str(db) in proc.stderr.replace("\n", "") and "Traceback" not in proc.stderr
    assert db.read_bytes() == b"garbage" * 1000


def test_history_and_host_changelog(lab, tmp_path):
    """Two scans of the same list: `host` shows each change of verdict, IDN names accepted."""
    from ipv6scan.testnet.lab import IDN_HOST

    db = tmp_path / "h.sqlite"
    targets = tmp_path / "t.txt"
    targets.write_text(f"dual.gov.example\n{IDN_HOST}\n", encoding="utf-8")
    for ipv6 in ("no", "yes"):  # without IPv6 the scanner cannot test it: untestable, then ready
        args = [a for a in lab.cli_args(tmp_path)]
        args[args.index("--ipv6") + 1] = ipv6
        proc = run_cli("scan", str(targets), *args, "--db", str(db), "--no-save", "--format", "json", cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
    hist = json.loads(run_cli("history", "--db", str(db), "--format", "json").stdout)
    assert [r["id"] for r in hist] == [2, 1] and all(r["status"] == "complete" and r["hosts"] == 2 for r in hist)

    proc = run_cli("host", IDN_HOST, "--db", str(db), "--format", "json")
    doc = json.loads(proc.stdout)
    assert doc["host"] == normalise_host(IDN_HOST) and doc["scans"] == 2
    assert [(c["before"], c["verdict"]) for c in doc["changes"]] == [(None, "untestable"), ("untestable", "ready")]
    table = run_cli("host", "https://dual.gov.example/x", "--db", str(db))
    assert table.returncode == 0 and "Untestable → Ready" in table.stdout, table.stdout
    assert run_cli("host", "not a host!", "--db", str(db)).returncode == 2
    unseen = run_cli("host", "other.gov.example", "--db", str(db))
    assert unseen.returncode == 0 and "not seen" in unseen.stdout


@pytest.mark.parametrize("fmt", ["jsonl", "json"])
def test_resume_with_output_file_holds_every_host_once(lab, tmp_path, fmt):
    """The command printed after Ctrl-C, `scan ... -o FILE --resume`, leaves FILE with the whole scan, not its rest."""
    text, expected = target_list(f"nxout{fmt}")
    targets = tmp_path / "targets.txt"
    targets.write_text(text, encoding="utf-8")
    db, out = tmp_path / "history.sqlite", tmp_path / f"out.{fmt}"
    args = ["scan", str(targets), *lab.cli_args(tmp_path), "--db", str(db), "--save-dir", str(tmp_path / "reports"),
            "--concurrency", "1", "--format", fmt, "-o", str(out)]
    proc = start_cli(*args, cwd=tmp_path)
    wait_for_hosts(proc, db, 2)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    before = {host for _, host, _ in host_rows(db)}
    assert 2 <= len(before) < len(expected)

    resumed = run_cli(*args, "--resume", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    if fmt == "jsonl":
        lines = jsonl(out.read_bytes())
        hosts, errors = hosts_of(lines), [x for x in lines if type(x).__name__ == "InputError"]
        assert isinstance(lines[0], ScanHeader) and lines[0].options["resumed"] is True
        assert isinstance(lines[-1], ScanSummary) and lines[-1].hosts == len(expected)
    else:
        doc = json.loads(out.read_text(encoding="utf-8"))
        hosts, errors = [h["facts"]["host"] for h in doc["hosts"]], doc["input_errors"]
        assert doc["summary"]["hosts"] == len(expected)
    assert sorted(hosts) == sorted(expected), "every host of the scan, each exactly once"
    assert len(errors) == 1  # the bad line, once
