"""Scanning with worker processes (ScanOptions.workers > 1): same lines as one process, bounded, robust."""

from __future__ import annotations

import asyncio
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import msgspec
import pytest

from ipv6scan.config import ScanOptions
from ipv6scan.model import HostRecord, InputError, ScanHeader, ScanSummary
from ipv6scan.pipeline import scan_all
from ipv6scan.targets import Target, read_targets
from ipv6scan.workers import worker_count, worker_options

from .conftest import REPO, run_cli

SLOW = "timeout6.gov.example"  # its IPv6 addresses never answer: each probe runs to its timeouts


class Collect:
    def __init__(self) -> None:
        self.lines: list[object] = []

    def write(self, line: object) -> None:
        self.lines.append(line)

    def close(self) -> None:
        pass

    def records(self) -> list[HostRecord]:
        return [x for x in self.lines if isinstance(x, HostRecord)]


def target(host: str, line: int) -> Target:
    return Target(host=host, display=host, input=host, line=line, source="test")


def worker_pids() -> list[int]:
    """The ipv6scan worker processes whose parent is this process."""
    pids = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            cmdline, stat = (d / "cmdline").read_bytes(), (d / "stat").read_text()
        except OSError:
            continue
        if b"ipv6scan._worker" in cmdline and int(stat.rsplit(")", 1)[1].split()[1]) == os.getpid():
            pids.append(int(d.name))
    return pids


def gone(pid: int) -> bool:
    """Exited and reaped (a zombie still counts as there)."""
    return not Path(f"/proc/{pid}").exists()


def test_limits_are_divided_so_their_sum_never_exceeds_the_configured_one():
    for workers, conc, per_addr, rate in [(2, 32, 4, None), (3, 10, 4, 9.0), (8, 5, 2, 1.0), (2, 1, 4, None)]:
        options = ScanOptions(workers=workers, concurrency=conc, per_address_connections=per_addr,
                              rate_per_address=rate)
        n = worker_count(options)
        share = worker_options(options, n)
        assert 1 <= n <= workers and share.workers == 1
        assert n * share.per_address_connections <= per_addr and share.per_address_connections >= 1
        assert share.concurrency * n >= conc and share.concurrency >= 1
        assert rate is None or share.rate_per_address * n == pytest.approx(rate)


async def test_same_verdicts_input_errors_in_order_and_summary(lab):
    text = lab.targets_text() + "first bad entry!\nhttp://\nsecond bad entry!\n"
    scans = {}
    for workers in (1, 2):
        sink = Collect()
        items = read_targets(io.StringIO(text), name="lab")
        summary = await scan_all(items, lab.options(workers=workers), sink, network=lab.network)
        scans[workers] = sink, summary
    (one, s1), (two, s2) = scans[1], scans[2]
    assert {r.facts.host: r.result.verdict for r in two.records()} == {
        r.facts.host: r.result.verdict for r in one.records()}
    assert not any(r.facts.error for r in two.records())
    errors = [(e.line, e.text) for e in two.lines if isinstance(e, InputError)]
    assert errors == [(e.line, e.text) for e in one.lines if isinstance(e, InputError)] and len(errors) == 3
    assert isinstance(two.lines[0], ScanHeader) and isinstance(two.lines[-1], ScanSummary)
    assert sum(isinstance(x, ScanHeader) for x in two.lines) == 1
    assert two.lines[0].options["workers"] == 2
    assert two.lines[0].options["concurrency"] == lab.options().concurrency  # as given, not one worker's share
    assert two.lines[0].options["network"] == one.lines[0].options["network"]
    assert s2.hosts == s1.hosts == len(lab.scenarios) and s2.verdicts == s1.verdicts
    assert s2.input_errors == 3 and not s2.interrupted and two.lines[-1] == s2


async def test_the_list_is_read_no_further_ahead_than_the_windows(lab):
    pulled = emitted = max_ahead = 0
    total = 200

    def items():
        nonlocal pulled
        for i in range(total):
            pulled += 1
            yield target("nx.gov.example" if i % 2 else "v4only.gov.example", i + 1)

    def on_line(line):
        nonlocal emitted, max_ahead
        if isinstance(line, HostRecord):
            emitted += 1
            max_ahead = max(max_ahead, pulled - emitted)

    options = lab.options(workers=2, concurrency=4, check_zone=False)
    summary = await scan_all(items(), options, Collect(), network=lab.network, on_line=on_line)
    assert summary.hosts == emitted == pulled == total
    windows = 2 * 2 * 2  # two workers, each 2 x its concurrency (4 / 2)
    assert max_ahead <= 2 * windows + 2  # outstanding in the workers + records waiting to go out + one in hand


async def test_a_killed_worker_has_its_hosts_recorded_as_errors_and_the_scan_completes(lab):
    targets = [target(SLOW, i + 1) for i in range(6)]
    killed: list[int] = []

    def kill_one():
        pids = worker_pids()
        assert len(pids) == 2
        os.kill(pids[0], signal.SIGKILL)
        killed.append(pids[0])

    def on_line(line):
        if isinstance(line, ScanHeader):
            asyncio.get_running_loop().call_later(0.5, kill_one)

    sink = Collect()
    options = lab.options(workers=2, concurrency=8)
    summary = await asyncio.wait_for(scan_all(targets, options, sink, network=lab.network, on_line=on_line), 60)
    assert killed
    records = sink.records()
    assert sorted(r.facts.line for r in records) == list(range(1, 7))  # every host has its record
    lost = [r for r in records if r.facts.error]
    assert lost and all(f"worker process {killed[0]} exited" in r.facts.error for r in lost)
    assert all(r.result.verdict.value == "error" for r in lost)
    assert summary.hosts == 6 and summary.verdicts.get("error") == len(lost) and not summary.interrupted
    assert worker_pids() == []


async def test_cancelling_writes_an_interrupted_summary_and_leaves_no_worker(lab):
    targets = [target(SLOW, i + 1) for i in range(20)]
    pids: list[int] = []
    sink = Collect()

    def on_line(line):
        if isinstance(line, ScanHeader):
            pids.extend(worker_pids())

    options = lab.options(workers=2, concurrency=4, connect_timeout=5.0, read_timeout=5.0)
    task = asyncio.create_task(scan_all(targets, options, sink, network=lab.network, on_line=on_line))
    while not pids:
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)
    t0 = time.monotonic()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert time.monotonic() - t0 < 3  # the workers stop on the end of their stdin, no grace period needed
    assert len(pids) == 2 and all(gone(pid) for pid in pids)
    last = sink.lines[-1]
    assert isinstance(last, ScanSummary) and last.interrupted
    assert sum(isinstance(x, ScanSummary) for x in sink.lines) == 1


_MAIN = """
import asyncio, io, json, sys
from ipv6scan.config import ScanOptions
from ipv6scan.net import LabNetwork
from ipv6scan.pipeline import scan_all
from ipv6scan.targets import Target
from ipv6scan.model import ScanHeader

args = json.loads(sys.argv[1])
options = ScanOptions(**args["options"])
targets = [Target(host=args["host"], display=args["host"], input=args["host"], line=i, source="t") for i in range(1, 41)]

class Out:
    def write(self, line):
        if isinstance(line, ScanHeader):
            print("started", flush=True)
    def close(self):
        pass

asyncio.run(scan_all(targets, options, Out(), network=LabNetwork.from_json(args["routes"])))
"""


def test_workers_stop_by_themselves_when_the_main_process_is_killed(lab, tmp_path):
    options = lab.options(workers=2, concurrency=4, connect_timeout=5.0, read_timeout=5.0)
    args = json.dumps({"options": msgspec.to_builtins(options), "routes": lab.network.to_json(), "host": SLOW})
    script = tmp_path / "main.py"
    script.write_text(_MAIN)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    main = subprocess.Popen([sys.executable, str(script), args], stdout=subprocess.PIPE, env=env, text=True)
    try:
        assert main.stdout.readline().strip() == "started"
        children = [int(p) for p in Path(f"/proc/{main.pid}/task/{main.pid}/children").read_text().split()]
        assert len(children) == 2
        main.kill()
        main.wait(10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not all(not Path(f"/proc/{p}").exists() or _zombie(p)
                                                      for p in children):
            time.sleep(0.05)
        assert all(not Path(f"/proc/{p}").exists() or _zombie(p) for p in children)
    finally:
        if main.poll() is None:
            main.kill()
            main.wait()


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def test_an_audit_scans_with_workers_from_its_config(lab, tmp_path):
    """Through the real CLI: the audit config's [scan] table takes ``workers`` like any ScanOptions field."""
    from .test_audit import HOSTS, audit, write_config, write_targets

    write_targets(tmp_path / "targets.csv", HOSTS)
    (tmp_path / "lab-routes.json").write_text(lab.network.to_json())
    config = write_config(tmp_path, lab, workers="workers = 2")
    code, result, output = audit(config, "--format", "json")
    assert code == 0, output
    assert result.hosts == len(HOSTS) and result.verdicts["ready"] == 3
    (saved,) = (tmp_path / "out" / "reports").glob("scan-*.jsonl")
    header = msgspec.json.decode(saved.read_bytes().splitlines()[0], type=ScanHeader)
    assert header.options["workers"] == 2


def test_scan_workers_flag_and_the_loop_in_the_header(lab, tmp_path):
    """``ipv6scan scan --workers 2``: the same verdicts as one process; the header says how it ran."""
    from .test_audit import HOSTS

    targets = tmp_path / "hosts.txt"
    targets.write_text("\n".join(HOSTS) + "\n", encoding="utf-8")
    verdicts = {}
    for workers in ("1", "2"):
        out = tmp_path / f"scan-{workers}.jsonl"
        proc = run_cli("scan", str(targets), *lab.cli_args(tmp_path), "--workers", workers, "--format", "jsonl",
                       "-o", str(out), "--no-save", "--no-progress", "--loop", "asyncio")
        assert proc.returncode == 0, proc.stderr
        lines = out.read_bytes().splitlines()
        header = msgspec.json.decode(lines[0], type=ScanHeader)
        assert header.options["workers"] == int(workers) and header.options["loop"] == "asyncio"
        records = [json.loads(line) for line in lines[1:] if b'"facts"' in line]
        verdicts[workers] = {r["facts"]["host"]: r["result"]["verdict"] for r in records}
    assert len(verdicts["1"]) == len(HOSTS) and verdicts["2"] == verdicts["1"]
