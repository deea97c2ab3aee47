"""Disks that fill up, storage that is read-only, a history database that is damaged (issue 17, items 4, 6, 7).

Full and read-only disks are real: a small tmpfs mounted for the test (this needs
root, as the netlab tests do; CI runs as root), filled by the scan itself or
remounted read-only. A damaged database is a real one with 8 KB overwritten in the
middle. Every scan goes through the real CLI in a child process; the resolver is
127.0.0.1:9, where nothing listens, so each host ends at once as unresolvable and
still makes a record.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
from pathlib import Path

import pytest

from ipv6scan.atomic import write_file
from ipv6scan.model import ScanSummary
from ipv6scan.report import write_reports
from ipv6scan.session import EXIT_WRITE_FAILED
from ipv6scan.store import Store

from .conftest import run_cli
from .test_store import new_scan, record

SCAN = ("--resolver", "127.0.0.1:9", "--dns-timeout", "0.05", "--no-zone", "--lang", "en")


@pytest.fixture
def mount(tmp_path):
    """``mount(size)``: a new tmpfs of that size under tmp_path; unmounted after the test."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root (as netlab does); CI runs as root")
    mounted: list[Path] = []

    def make(size: str) -> Path:
        point = tmp_path / f"disk{len(mounted)}"
        point.mkdir()
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(point)], check=True)
        mounted.append(point)
        return point

    yield make
    for point in reversed(mounted):
        subprocess.run(["umount", "-l", str(point)], check=False)


def remount(point: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(point)], check=True)


def host_list(tmp_path: Path, n: int) -> Path:
    path = tmp_path / f"list-{n}.txt"
    path.write_text("".join(f"h{i}.tinh.gov.vn\n" for i in range(n)))
    return path


def saved_hosts(path: Path) -> list[str]:
    """The hosts of a scan file; every line must be whole JSON."""
    return [line["facts"]["host"] for line in map(json.loads, path.read_bytes().splitlines()) if "facts" in line]


def fill(path: Path) -> None:
    """Write into ``path`` until its disk is full."""
    with open(path, "wb", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * 4096)
        except OSError:
            pass


def status(db: Path) -> tuple[str, int]:
    with Store(db, readonly=True) as store:
        row = store.scans()[0]
        return row.status, row.hosts


# ------------------------------------------------------------------ a full disk


def test_a_full_save_dir_stops_the_scan_clearly_and_resume_finishes_it(tmp_path, mount) -> None:
    disk, targets, db = mount("16k"), host_list(tmp_path, 300), tmp_path / "h.sqlite"
    command = ("scan", str(targets), *SCAN, "--save-dir", str(disk), "--db", str(db), "-f", "jsonl")

    proc = run_cli(*command)

    assert proc.returncode == EXIT_WRITE_FAILED == 6, proc.stderr
    assert "Traceback" not in proc.stderr
    [saved] = disk.glob("scan-*.jsonl")
    assert f"cannot write {saved}: no space left on the disk; the scan stopped" in proc.stderr
    assert "--resume" in proc.stderr and f"kept in {db}" in proc.stderr
    state, done = status(db)
    assert state == "interrupted" and 0 < done < 300  # closed, never left "running"

    remount(disk, "size=4m")  # room made
    again = run_cli(*command, "--resume")

    assert again.returncode == 0, again.stderr
    assert status(db) == ("complete", 300)
    hosts = saved_hosts(saved)  # the torn last line of the full disk is gone: every line parses
    assert sorted(hosts) == sorted(f"h{i}.tinh.gov.vn" for i in range(300)) and len(set(hosts)) == 300


def test_a_full_disk_under_the_history_database_is_the_same_clear_stop(tmp_path, mount) -> None:
    disk, targets = mount("600k"), host_list(tmp_path, 3000)
    db = disk / "h.sqlite"
    command = ("scan", str(targets), *SCAN, "--save-dir", str(tmp_path / "reports"), "--db", str(db), "-f", "jsonl")

    proc = run_cli(*command, "--lang", "vi")

    assert proc.returncode == 6 and "Traceback" not in proc.stderr, proc.stderr
    assert "không ghi được cơ sở dữ liệu lịch sử" in proc.stderr and "--resume" in proc.stderr
    remount(disk, "size=64m")
    assert run_cli(*command, "--resume").returncode == 0
    assert status(db) == ("complete", 3000)


@pytest.mark.parametrize("fmt", ["jsonl", "json", "table"])
def test_output_to_a_full_device_is_said_in_words(tmp_path, fmt) -> None:
    proc = run_cli("scan", str(host_list(tmp_path, 50)), *SCAN, "--no-save", "--no-db", "-f", fmt, "-o", "/dev/full")

    assert proc.returncode == 6 and "Traceback" not in proc.stderr
    assert "no space left on the disk; the scan stopped" in proc.stderr


def test_reports_are_replaced_whole_or_not_at_all(tmp_path, mount, monkeypatch) -> None:
    from ipv6scan.report import html as html_report
    from ipv6scan.scoring import score
    from ipv6scan.policy import load_policy

    report = score([record(f"r{i}.gov.vn") for i in range(50)], load_policy(None), scan_started="2026-01-01T00:00:00Z",
                   scan_file="scan.jsonl", lang="en")
    disk = mount("256k")
    written = write_reports(report, disk, stem="weekly", lang="en")
    before = {p.name: p.read_bytes() for p in written}
    assert all(before.values())

    def broken(*args, **kwargs):
        raise RuntimeError("a renderer failed half-way")

    monkeypatch.setattr("ipv6scan.report.render_html", broken)  # an error while rendering
    with pytest.raises(RuntimeError):
        write_reports(report, disk, stem="weekly", lang="en", formats=["md", "html"])
    monkeypatch.undo()
    fill(disk / "filler")  # then the disk fills up
    with pytest.raises(OSError):
        write_reports(report, disk, stem="weekly", lang="vi")

    assert {p.name: p.read_bytes() for p in written} == before  # every report as it was: none 0 bytes, none half
    assert not [p for p in disk.iterdir() if p.name.endswith(".tmp")]  # no temporary file left behind
    assert html_report  # (imported so that the patched name is the one write_reports calls)


def test_write_file_keeps_the_old_file_when_the_new_one_cannot_be_written(tmp_path, mount) -> None:
    disk = mount("64k")
    target = write_file(disk / "audit.csv", "old,complete\n")
    with pytest.raises(OSError):
        write_file(target, "x" * 200_000)
    assert target.read_text() == "old,complete\n" and [p.name for p in disk.iterdir()] == ["audit.csv"]
    assert oct(target.stat().st_mode & 0o777) == "0o644"


# ------------------------------------------------------------------ read-only storage


def test_reading_commands_work_on_read_only_storage(tmp_path, mount) -> None:
    disk, targets = mount("8m"), host_list(tmp_path, 20)
    db = disk / "h.sqlite"
    for _ in range(2):
        assert run_cli("scan", str(targets), *SCAN, "--save-dir", str(disk), "--db", str(db)).returncode == 0
    remount(disk, "ro")

    for command in (("history",), ("host", "h3.tinh.gov.vn"), ("diff",), ("trend",)):
        proc = run_cli(*command, "--db", str(db), "--lang", "en")
        assert proc.returncode == 0, (command, proc.stderr)
        assert "cannot write" not in proc.stderr and "Traceback" not in proc.stderr
    assert "h3.tinh.gov.vn" in run_cli("host", "h3.tinh.gov.vn", "--db", str(db)).stdout

    proc = run_cli("scan", str(targets), *SCAN, "--save-dir", str(tmp_path), "--db", str(db))
    assert proc.returncode == 3 and "cannot write the history database" in proc.stderr  # writing: a clear no


# ------------------------------------------------------------------ a damaged history database


def damaged_history(tmp_path: Path) -> tuple[Path, bytes]:
    """A history of three complete scans of 400 hosts, then 8 KB of random bytes in the middle of the file
    (among the host records: the list of scans stays readable)."""
    db = tmp_path / "h.sqlite"
    with Store(db) as store:
        for n in range(3):
            scan_id = new_scan(store, digest=f"d{n}", started=f"2026-01-0{n + 1}T00:00:00Z")
            for i in range(400):
                store.record(scan_id, record(f"d{i}.gov.vn"))
            store.finish(scan_id, ScanSummary(finished=f"2026-01-0{n + 1}T01:00:00Z", elapsed_s=3600.0, hosts=400))
        store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(db.read_bytes())
    middle = len(data) // 2 // 4096 * 4096
    data[middle:middle + 8192] = random.Random(17).randbytes(8192)
    db.write_bytes(bytes(data))
    return db, bytes(data)


def test_a_damaged_database_is_refused_for_writing_and_still_read(tmp_path) -> None:
    db, damaged = damaged_history(tmp_path)

    proc = run_cli("scan", str(host_list(tmp_path, 5)), *SCAN, "--save-dir", str(tmp_path), "--db", str(db))

    said = " ".join(proc.stderr.split())  # as one line, whatever the terminal width folded
    assert proc.returncode == 3 and "Traceback" not in said
    assert f"{db}: the history database is damaged (the integrity check found" in said
    assert "nothing is written into it" in said
    assert db.read_bytes() == damaged  # not one byte written
    listing = run_cli("history", "--db", str(db), "--lang", "en")
    assert listing.returncode == 0 and listing.stdout.count("2026-01-0") == 3  # what can be read, is

    vi = run_cli("scan", str(host_list(tmp_path, 5)), *SCAN, "--save-dir", str(tmp_path), "--db", str(db),
                 "--lang", "vi")
    assert "cơ sở dữ liệu lịch sử bị hỏng" in " ".join(vi.stderr.split()) and "database is damaged" not in vi.stderr


def test_a_full_disk_that_also_stops_closing_the_history_row_still_exits_6() -> None:
    """The race seen in CI-like load: the disk fills, then closing the row ("interrupted") fails too."""
    from types import SimpleNamespace

    from ipv6scan.session import EXIT_CANNOT_RUN, EXIT_WRITE_FAILED, Session
    from ipv6scan.store import StoreError

    said: list[object] = []

    def abandon() -> None:
        raise StoreError("database or disk is full")

    def session(resumed: bool = False):
        history = SimpleNamespace(abandon=abandon, resumed=resumed, store=SimpleNamespace(close=lambda: None))
        return SimpleNamespace(history=history, notices=SimpleNamespace(error=said.append, info=said.append), saved=None)

    assert Session._end(session(), EXIT_WRITE_FAILED, True) == EXIT_WRITE_FAILED and said == []  # said once already
    assert Session._end(session(), EXIT_CANNOT_RUN, True) == EXIT_CANNOT_RUN and len(said) == 1
