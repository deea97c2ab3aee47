"""The event loop: ``--loop auto|asyncio|uvloop`` (IPV6SCAN_LOOP), and the same outcomes on either loop.

The probe tests (test_web, test_hostile, test_http_transport, test_smtp, test_dns, ...)
run on both loops (see conftest.py); here the whole lab catalogue is scanned
through the real CLI once on each loop and every observed fact is compared,
and Ctrl-C / SIGTERM are sent to a scan on each loop.
"""

from __future__ import annotations

import asyncio
import errno
import signal
import socket
import subprocess
import sys
import threading
import time
import warnings

import msgspec
import pytest

from ipv6scan import loop as event_loop
from ipv6scan.loop import Loop, LoopUnavailable
from ipv6scan.model import HostRecord, Outcome, ScanHeader, ScanSummary
from ipv6scan.net import Network
from ipv6scan.probe.dns import DnsClient
from ipv6scan.testnet.dns_server import DnsServer
from ipv6scan.testnet.lab import SCENARIOS

from .conftest import run_cli, uvloop_version
from .test_cli_e2e import parse_jsonl
from .test_resume import cli_env

HAVE_UVLOOP = uvloop_version() is not None
needs_uvloop = pytest.mark.skipif(not HAVE_UVLOOP, reason="uvloop is not installed (a dependency on Linux and macOS)")
LOOPS = [pytest.param("asyncio"), pytest.param("uvloop", marks=needs_uvloop)]


@pytest.fixture
def no_uvloop(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """uvloop cannot be imported: in this process, and in the CLI processes run_cli starts."""
    monkeypatch.setitem(sys.modules, "uvloop", None)
    fake = tmp_path / "no-uvloop" / "uvloop"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('uvloop is not installed (test)')\n")
    monkeypatch.setenv("PYTHONPATH", str(fake.parent))


# ------------------------------------------------------------------ choosing and running


def test_auto_is_uvloop_when_installed_else_asyncio() -> None:
    assert event_loop.choose("auto")[0] is (Loop.UVLOOP if HAVE_UVLOOP else Loop.ASYNCIO)
    assert event_loop.choose(Loop.ASYNCIO) == (Loop.ASYNCIO, asyncio.new_event_loop)


def test_without_uvloop_auto_is_asyncio_and_uvloop_is_refused(no_uvloop) -> None:
    assert event_loop.choose("auto")[0] is Loop.ASYNCIO
    with pytest.raises(LoopUnavailable, match=r"pip install uvloop"):
        event_loop.choose("uvloop")

    async def work() -> int:
        return 1

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a coroutine left unawaited would warn
        with pytest.raises(LoopUnavailable):
            event_loop.run(work(), "uvloop")
    assert event_loop.run(work(), "auto") == 1


@pytest.mark.parametrize("name", LOOPS)
def test_run_uses_the_loop_asked_for_and_returns_the_result(name: str) -> None:
    async def which() -> str:
        await asyncio.sleep(0)
        return event_loop.running_loop_name()

    assert event_loop.run(which(), name) == name
    assert event_loop.run(which(), name, sigterm=True) == name


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.skipif(threading.current_thread() is not threading.main_thread(), reason="signals need the main thread")
@pytest.mark.parametrize("name", LOOPS)
def test_sigterm_cancels_the_work_and_its_handler_is_removed(name: str) -> None:
    async def wait_for_sigterm() -> None:
        asyncio.get_running_loop().call_later(0.05, signal.raise_signal, signal.SIGTERM)
        await asyncio.sleep(10)

    before, started = signal.getsignal(signal.SIGTERM), time.monotonic()
    with pytest.raises(asyncio.CancelledError):
        event_loop.run(wait_for_sigterm(), name, sigterm=True)
    assert time.monotonic() - started < 5
    assert signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, before)  # the loop's handler is gone


async def test_the_conftest_runs_this_module_on_each_loop(request: pytest.FixtureRequest) -> None:
    name = event_loop.running_loop_name()
    if HAVE_UVLOOP and request.config.getoption("--loop") == "both":
        assert request.node.name.endswith(f"[{name}]"), (name, request.node.name)


# ------------------------------------------------------------------ the command line


def test_cli_uvloop_without_uvloop_is_a_usage_error(no_uvloop) -> None:
    for args, env in ((["--loop", "uvloop"], {}), ([], {"IPV6SCAN_LOOP": "uvloop"})):
        proc = run_cli("scan", "-", "--no-save", "--no-db", *args, stdin="nx.gov.example\n", env=env)
        assert proc.returncode == 2, (args, env, proc.stderr)
        assert "--loop uvloop" in proc.stderr and "pip install uvloop" in proc.stderr and "Traceback" not in proc.stderr
    proc = run_cli("scan", "-", "--loop", "fast", stdin="nx.gov.example\n")
    assert proc.returncode == 2 and "fast" in proc.stderr


def _facts(lines) -> dict[str, dict]:
    """Every host's facts and result, without what depends on the clock or differs per request.

    (The lab's pages carry a per-request nonce: their hashes differ; the checks' messages count the days
    a certificate has left from the scan's start, and the lab's certificates are made a whole number of
    days from the lab's start; the latency check's parameters ``v4``/``v6`` are the measured milliseconds,
    and a timeout's ``seconds`` the measured wait, to a tenth: 2.0 on one loop, 2.1 on a busy machine.)
    """
    volatile = {"started", "at", "elapsed_ms", "connect_ms", "first_byte_ms", "v4", "v6", "seconds", "body_sha256",
                "message"}

    def clean(node):
        if isinstance(node, dict):
            return {k: clean(v) for k, v in node.items() if k not in volatile}
        if isinstance(node, list):
            return [clean(v) for v in node]
        return node

    return {line.facts.host: clean(msgspec.to_builtins(line)) for line in lines if isinstance(line, HostRecord)}


@pytest.fixture(scope="module")
def catalogue_on_each_loop(lab, lab_dir):
    """The lab catalogue scanned through the CLI on asyncio (chosen by IPV6SCAN_LOOP) and on uvloop (--loop)."""
    targets = lab_dir / "loop-targets.txt"
    targets.write_text(lab.targets_text(), encoding="utf-8")
    args = ["scan", str(targets), *lab.cli_args(lab_dir), "--format", "jsonl", "--no-save", "--no-db"]
    scans = {"asyncio": run_cli(*args, env={"IPV6SCAN_LOOP": "asyncio"})}
    if HAVE_UVLOOP:
        scans["uvloop"] = run_cli(*args, "--loop", "uvloop", env={"IPV6SCAN_LOOP": "asyncio"})
    for name, proc in scans.items():
        assert proc.returncode == 0, (name, proc.stderr)
    return {name: parse_jsonl(proc.stdout) for name, proc in scans.items()}


def test_the_scan_header_says_which_loop_ran_it_and_every_verdict_is_right(catalogue_on_each_loop) -> None:
    for name, lines in catalogue_on_each_loop.items():
        assert isinstance(lines[0], ScanHeader) and lines[0].options["loop"] == name
        assert isinstance(lines[-1], ScanSummary) and not lines[-1].interrupted
        verdicts = {line.facts.display: line.result.verdict for line in lines if isinstance(line, HostRecord)}
        assert verdicts == {s.host: s.verdict for s in SCENARIOS}, name


@needs_uvloop
def test_every_fact_is_the_same_on_asyncio_and_uvloop(catalogue_on_each_loop) -> None:
    on_asyncio, on_uvloop = (_facts(catalogue_on_each_loop[name]) for name in ("asyncio", "uvloop"))
    assert on_asyncio.keys() == on_uvloop.keys() and len(on_asyncio) > 10
    found = [d for host in on_asyncio for d in _differences(on_asyncio[host], on_uvloop[host], host)]
    assert not found, "\n".join(map(str, found))


def _differences(a, b, path: str) -> list[tuple[str, object, object]]:
    """(where, on asyncio, on uvloop) for each leaf that differs."""
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in a.keys() | b.keys() for d in _differences(a.get(k), b.get(k), f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in _differences(x, y, f"{path}[{i}]")]
    return [] if a == b else [(path, a, b)]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
@pytest.mark.parametrize("name", LOOPS)
def test_ctrl_c_and_sigterm_stop_a_scan_cleanly_on_each_loop(lab, tmp_path, name, sig) -> None:
    targets = tmp_path / "slow.txt"
    targets.write_text("timeout6.gov.example\n")  # never answers over IPv6: the scan is still running when stopped
    args = ["scan", str(targets), *lab.cli_args(tmp_path), "--loop", name, "--format", "jsonl", "--no-save", "--no-db",
            "--timeout", "30", "--read-timeout", "30", "--host-budget", "60"]
    proc = subprocess.Popen([sys.executable, "-m", "ipv6scan", *args], cwd=tmp_path, env=cli_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    header = proc.stdout.readline()  # the scan is running
    started = time.monotonic()
    proc.send_signal(sig)
    out, errs = proc.communicate(timeout=30)
    assert proc.returncode == 130, errs.decode()
    assert time.monotonic() - started < 10
    assert "interrupted" in errs.decode() and "Traceback" not in errs.decode()
    lines = parse_jsonl(header.decode() + out.decode())
    assert isinstance(lines[0], ScanHeader) and lines[0].options["loop"] == name
    assert isinstance(lines[-1], ScanSummary) and lines[-1].interrupted


# ------------------------------------------------------------------ known differences


class _SendBufferFullOnce(socket.socket):
    """A UDP socket whose first sendto finds the send buffer full (as under a burst of DNS questions)."""

    full = True

    def sendto(self, *args):  # type: ignore[override]
        if type(self).full:
            type(self).full = False
            raise BlockingIOError(errno.EAGAIN, "Resource temporarily unavailable")
        return super().sendto(*args)


class _SendBufferAlwaysFull(socket.socket):
    """A UDP socket that never has room (a stuck interface)."""

    def sendto(self, *args):  # type: ignore[override]
        raise BlockingIOError(errno.EAGAIN, "Resource temporarily unavailable")


class _NetworkWith(Network):
    """A network whose UDP sockets are of the class given: the DNS client's only, nothing patched."""

    def __init__(self, kind: type[socket.socket]) -> None:
        self.kind = kind
        self.handed_out: list[socket.socket] = []

    def udp_socket(self, family: int) -> socket.socket:
        plain = super().udp_socket(family)  # bound, non-blocking, as the client gets them
        sock = self.kind(family, socket.SOCK_DGRAM, fileno=plain.detach())
        sock.setblocking(False)
        self.handed_out.append(sock)
        return sock


async def test_a_dns_question_waits_for_room_in_a_full_send_buffer(monkeypatch: pytest.MonkeyPatch) -> None:
    """Not with loop.sock_sendto, which uvloop 0.23 does not implement: on both loops the answer comes."""
    monkeypatch.setattr(_SendBufferFullOnce, "full", True)
    server = DnsServer({"example.test": "$TTL 300\n@ SOA ns hostmaster 1 3600 600 86400 300\n@ NS ns\n"
                                        "ns A 192.0.2.53\nwww A 192.0.2.80\n"})
    await server.start()
    network = _NetworkWith(_SendBufferFullOnce)
    client = DnsClient(resolvers=[("127.0.0.1", server.port)], network=network, timeout=1.0)
    try:
        lookup = await client.lookup("www.example.test", "A")
    finally:
        await client.aclose()
        await server.close()
    assert not _SendBufferFullOnce.full  # the full buffer was met
    assert (lookup.outcome, lookup.detail) == (Outcome.OK, None)
    assert [s.fileno() for s in network.handed_out] == [-1]  # one socket, from the network, closed by aclose


async def test_a_dns_question_that_never_gets_room_times_out() -> None:
    client = DnsClient(resolvers=[("127.0.0.1", 9)], network=_NetworkWith(_SendBufferAlwaysFull), timeout=0.3,
                       retries=0)
    try:
        started = asyncio.get_running_loop().time()
        lookup = await client.lookup("www.example.test", "A")
        took = asyncio.get_running_loop().time() - started
    finally:
        await client.aclose()
    assert lookup.outcome is Outcome.DNS_TIMEOUT and took < 2.0


def test_a_run_collects_garbage_less_often_and_leaves_the_collector_as_it_was() -> None:
    import gc

    from ipv6scan.loop import YOUNG_THRESHOLD, run

    before = gc.get_threshold()

    async def inside() -> tuple[tuple[int, int, int], int]:
        return gc.get_threshold(), gc.get_freeze_count()

    threshold, frozen = run(inside(), "asyncio")
    assert threshold[0] == max(before[0], YOUNG_THRESHOLD) and threshold[1:] == before[1:]
    assert frozen > 0  # what existed before the run is out of the full collections
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


@pytest.mark.parametrize("kind", LOOPS)
def test_the_loops_own_reports_reach_stderr_named_as_the_loops(kind) -> None:
    """What the event loop logs (here an exception in a callback) is printed by the CLI as ``asyncio: …`` with its
    traceback, not as Python's bare last-resort line: bench/ counts these lines as problems of a run."""
    code = ("import asyncio; from ipv6scan import loop; from ipv6scan.cli import report_loop_log\n"
            "report_loop_log(); report_loop_log()\n"
            "async def work():\n"
            "    asyncio.get_running_loop().call_soon(lambda: 1 / 0)\n"
            "    await asyncio.sleep(0.01)\n"
            f"loop.run(work(), {kind!r})\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.splitlines()
    assert lines[0].startswith("asyncio: Exception in callback"), proc.stderr
    assert "Traceback (most recent call last):" in lines and lines[-1] == "ZeroDivisionError: division by zero"
    assert sum(line.startswith("asyncio:") for line in lines) == 1  # one handler, however often it is asked for
