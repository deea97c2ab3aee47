"""Safety of the scanner itself: it cannot be turned against its user or an internal network, and loses no data.

* Special-purpose addresses published in DNS (here: loopback) are not probed
  unless allowed, and redirects to them are refused: loopback listeners that
  would see any such probe see nothing (and do see it when allowed: the
  positive control proves the test can tell).
* Politeness: one address never sees more than ``per_address_connections``
  connections at once, nor new ones faster than ``rate_per_address``.
* The User-Agent names ipv6scan; ``--user-agent`` changes it.
* A scan killed with SIGKILL leaves every line it wrote intact, and
  ``ipv6scan show`` reports the file as cut short instead of failing.
"""

from __future__ import annotations

import asyncio
import io
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dns.flags
import dns.message
import msgspec
import pytest

from ipv6scan.config import DEFAULT_USER_AGENT, Ipv6Mode, ScanOptions
from ipv6scan.model import HostRecord, Outcome, ScanHeader, ScanLine, ScanSummary
from ipv6scan.net import LabNetwork, Network, Unroutable
from ipv6scan.polite import Polite
from ipv6scan.pipeline import scan_all
from ipv6scan.scan import Scanner
from ipv6scan.targets import Target, read_targets
from ipv6scan.testnet.dns_server import DnsServer
from ipv6scan.testnet.hostile import HostileServer

from .conftest import REPO, run_cli

ZONE = """$TTL 300
@ SOA ns hostmaster 1 3600 600 86400 300
@ NS ns
@ MX 10 mail
ns A 127.0.0.1
ns AAAA ::1
mail A 127.0.0.1
mail AAAA ::1
www A 127.0.0.1
www AAAA ::1
ua A 127.0.0.1
"""
SHARED = "192.0.2.80"  # the one address of every host of shared.example
SHARED_ZONE = "$TTL 300\n@ SOA ns hostmaster 1 3600 600 86400 300\n@ NS ns\n" + "".join(
    f"h{i} A {SHARED}\n" for i in range(20)
)
decoder = msgspec.json.Decoder(ScanLine)


class Background:
    """An event loop in a thread, serving test servers to CLI child processes."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


class Inside:
    """DNS pointing www, mail, ns and ua of inside.example at loopback, and listeners on those loopbacks.

    One port serves HTTP, HTTPS and SMTP on 127.0.0.1 and ::1 (``port``); the
    DNS server notes every query sent without RD, which only a name-server
    probe does.
    """

    def __init__(self) -> None:
        self.dns = DnsServer({"inside.example": ZONE})
        self.web = HostileServer(interval=0.0)
        self.probes_without_rd: list[str] = []
        self.port = 0

    async def start(self) -> None:
        await self.dns.start()
        self.port = await self.web.listen_both("slow_answer")
        answer = self.dns.answer

        def spy(wire: bytes, transport: str, client: str) -> bytes | None:
            query = dns.message.from_wire(wire)
            if not query.flags & dns.flags.RD:
                self.probes_without_rd.append(query.question[0].name.to_text())
            return answer(wire, transport, client)

        self.dns.answer = spy  # type: ignore[method-assign]

    async def close(self) -> None:
        await self.web.close()
        await self.dns.close()

    def connections(self) -> int:
        return sum(self.web.connections.values())

    def heads(self) -> list[bytes]:
        """The HTTP request heads received so far, oldest first."""
        return self.web.heads[self.port]

    def cli_args(self) -> list[str]:
        p = str(self.port)
        return ["--resolver", f"127.0.0.1:{self.dns.port}", "--dns-timeout", "0.3", "--timeout", "0.5",
                "--read-timeout", "0.5", "--retries", "0", "--ipv6", "yes", "--http-port", p, "--https-port", p,
                "--smtp-port", p, "--dns-port", str(self.dns.port), "--format", "jsonl", "--no-save"]


@pytest.fixture(scope="module")
def inside():
    loop = Background()
    servers = Inside()
    loop.run(servers.start())
    yield servers
    loop.run(servers.close())
    loop.stop()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def records(stdout: str) -> list[HostRecord]:
    return [line for line in map(decoder.decode, stdout.splitlines()) if isinstance(line, HostRecord)]


# ------------------------------------------------------------------ non-global addresses


def test_loopback_in_dns_is_never_probed_by_default(inside) -> None:
    before, asked = inside.connections(), len(inside.probes_without_rd)
    proc = run_cli("scan", "-", *inside.cli_args(), stdin="www.inside.example\n")

    assert proc.returncode == 0, proc.stderr
    assert inside.connections() == before and len(inside.probes_without_rd) == asked  # nothing reached them
    (rec,) = records(proc.stdout)
    zone = rec.facts.zone
    assert {p.outcome for p in rec.facts.web} == {Outcome.SKIPPED_NON_GLOBAL} and len(rec.facts.web) == 4
    assert {p.outcome for s in zone.name_servers + zone.mail_servers for p in s.probes} == {Outcome.SKIPPED_NON_GLOBAL}


def test_loopback_is_probed_when_allowed(inside) -> None:
    """The positive control: the listeners and the DNS spy do see probes that are allowed."""
    before, asked, heads = inside.connections(), len(inside.probes_without_rd), len(inside.heads())
    allow = ["--allow-special", "127.0.0.0/8", "--allow-special", "::1/128"]
    proc = run_cli("scan", "-", *inside.cli_args(), *allow, stdin="www.inside.example\n")

    assert proc.returncode == 0, proc.stderr
    assert inside.connections() > before and len(inside.probes_without_rd) > asked
    (rec,) = records(proc.stdout)
    assert {p.status for p in rec.facts.web if p.scheme == "http"} == {200}
    # The User-Agent names ipv6scan by default.
    assert DEFAULT_USER_AGENT.startswith("ipv6scan/")
    assert {user_agent(head) for head in inside.heads()[heads:]} == {DEFAULT_USER_AGENT}


async def scan_direct(host: str, options: ScanOptions) -> HostRecord:
    target = Target(host=host, display=host, input=host, line=1, source="test")
    async with Scanner(options, Network()) as scanner:
        return await scanner.scan(target)


@pytest.mark.parametrize(("allow", "followed"), [(["127.0.0.1/32"], False), (["127.0.0.0/8"], True)])
async def test_redirect_to_another_loopback_address_is_refused_unless_allowed(allow, followed) -> None:
    """A site on 127.0.0.1 (allowed: the user asked for it) redirects to 127.0.0.2, an internal service."""
    web = HostileServer(interval=0.0)
    internal = await web.listen("127.0.0.2", "slow_answer")
    site = await web.listen("127.0.0.1", "redirect_to", location=f"http://127.0.0.2:{internal}/admin")
    dns_server = DnsServer({"inside.example": ZONE})
    await dns_server.start()
    options = ScanOptions(
        resolvers=[f"127.0.0.1:{dns_server.port}"], dns_timeout=0.3, allow_special=allow, ipv6=Ipv6Mode.YES,
        check_zone=False, http_port=site, https_port=closed_port(), connect_timeout=0.5, read_timeout=0.5,
    )
    try:
        rec = await scan_direct("ua.inside.example", options)
    finally:
        await web.close()
        await dns_server.close()

    http = next(p for p in rec.facts.web if p.scheme == "http")
    assert http.status == 302
    if followed:
        assert (http.final_outcome, http.final_status, web.connections[internal]) == (Outcome.OK, 200, 1)
    else:
        assert http.final_outcome == Outcome.REDIRECT_REFUSED and web.connections[internal] == 0


class _LoopbackOnly(Network):
    """The real network for loopback; any other address is recorded and never connected to."""

    def __init__(self) -> None:
        self.refused: list[str] = []

    def route(self, address: str, port: int) -> tuple[str, int]:
        if address not in ("127.0.0.1", "127.0.0.2", "::1"):
            self.refused.append(address)
            raise Unroutable(address, port)
        return address, port


async def scan_guarded(host: str, options: ScanOptions) -> tuple[HostRecord, _LoopbackOnly]:
    """Scan one host through a network that connects to loopback only (and notes any other address asked)."""
    network = _LoopbackOnly()
    async with Scanner(options, network) as scanner:
        return await scanner.scan(Target(host=host, display=host, input=host, line=1, source="test")), network


@pytest.mark.parametrize("target", ["[2002:7f00:2::]", "[64:ff9b::7f00:2]", "[::127.0.0.2]", "[2002:a9fe:a9fe::]",
                                    "[fec0::2]"])
async def test_a_redirect_to_an_address_carrying_an_internal_ipv4_is_refused(target) -> None:
    """6to4 / NAT64 / IPv4-compatible forms of 127.0.0.2 or 169.254.169.254 are internal too: never connected."""
    web = HostileServer(interval=0.0)
    site = await web.listen("127.0.0.1", "redirect_to", location=f"http://{target}:8080/admin")
    dns_server = DnsServer({"inside.example": ZONE})
    await dns_server.start()
    options = ScanOptions(
        resolvers=[f"127.0.0.1:{dns_server.port}"], dns_timeout=0.3, allow_special=["127.0.0.1/32"],
        ipv6=Ipv6Mode.YES, check_zone=False, http_port=site, https_port=closed_port(), connect_timeout=0.5,
        read_timeout=0.5,
    )
    try:
        rec, network = await scan_guarded("ua.inside.example", options)
    finally:
        await web.close()
        await dns_server.close()
    http = next(p for p in rec.facts.web if p.scheme == "http" and p.address == "127.0.0.1")
    assert http.status == 302 and http.final_outcome == Outcome.REDIRECT_REFUSED
    assert network.refused == []  # refused by the scanner's judgement, not by the guard


EMBEDDED_ZONE = """$TTL 300
@ SOA ns hostmaster 1 3600 600 86400 300
@ NS ns
@ MX 10 mail
ns AAAA 2002:7f00:1::
ns AAAA ::127.0.0.1
mail AAAA 64:ff9b::a9fe:a9fe
mail AAAA fec0::25
www AAAA 64:ff9b::7f00:1
www AAAA 2002:a00:1::
www AAAA 64:ff9b:1::7f00:1
"""


async def test_dns_answers_and_name_and_mail_servers_carrying_internal_ipv4_are_never_probed() -> None:
    """Issue 17 item 1, the other paths: AAAA answers, NS and MX addresses in 6to4, NAT64 (both prefixes),
    IPv4-compatible and site-local forms of 127.0.0.1, 10.0.0.1 and 169.254.169.254 are judged by what they carry."""
    dns_server = DnsServer({"embedded.example": EMBEDDED_ZONE})
    await dns_server.start()
    options = ScanOptions(resolvers=[f"127.0.0.1:{dns_server.port}"], dns_timeout=0.3, ipv6=Ipv6Mode.YES,
                          connect_timeout=0.5, read_timeout=0.5)
    try:
        rec, network = await scan_guarded("www.embedded.example", options)
    finally:
        await dns_server.close()

    assert {p.address for p in rec.facts.web} == {"64:ff9b::7f00:1", "2002:a00:1::", "64:ff9b:1::7f00:1"}
    assert {p.outcome for p in rec.facts.web} == {Outcome.SKIPPED_NON_GLOBAL}
    zone = rec.facts.zone
    servers = zone.name_servers + zone.mail_servers
    assert {p.address for s in servers for p in s.probes} == {"2002:7f00:1::", "::7f00:1", "64:ff9b::a9fe:a9fe",
                                                               "fec0::25"}
    assert {p.outcome for s in servers for p in s.probes} == {Outcome.SKIPPED_NON_GLOBAL}
    assert network.refused == []  # not one connection tried: the scanner judged them, not the guard


# ------------------------------------------------------------------ politeness


async def scan_shared(hosts: int, behaviour: str, **options) -> tuple[HostileServer, int, list[HostRecord]]:
    """Scan h0..h<hosts> of shared.example, all on one address routed to one listener."""
    web = HostileServer(interval=0.1)
    dns_server = DnsServer({"shared.example": SHARED_ZONE})
    await dns_server.start()
    port = await web.listen("127.0.0.1", behaviour)
    network = LabNetwork({(SHARED, 80): ("127.0.0.1", port)})  # 443 is unrouted: unreachable at once
    base = dict(
        resolvers=[f"127.0.0.1:{dns_server.port}"], dns_timeout=0.5, allow_special=["192.0.2.0/24"],
        ipv6=Ipv6Mode.YES, check_zone=False, concurrency=32, connect_timeout=2.0, read_timeout=2.0,
    )
    lines: list[object] = []

    class Collect:
        def write(self, line: object) -> None:
            lines.append(line)

        def close(self) -> None:
            pass

    targets = read_targets(io.StringIO("".join(f"h{i}.shared.example\n" for i in range(hosts))), name="shared")
    try:
        await scan_all(targets, ScanOptions(**(base | options)), Collect(), network=network)
    finally:
        await web.close()
        await dns_server.close()
    return web, port, [x for x in lines if isinstance(x, HostRecord)]


async def test_one_address_never_sees_more_than_its_connection_limit() -> None:
    web, port, recs = await scan_shared(20, "slow_answer", per_address_connections=2)

    assert web.peak[port] == 2 and web.connections[port] == 20
    assert len(recs) == 20
    assert all(p.status == 200 for r in recs for p in r.facts.web if p.scheme == "http")


async def test_rate_per_address_spaces_new_connections() -> None:
    rate = 10.0
    web, port, recs = await scan_shared(5, "slow_answer", rate_per_address=rate)

    starts = web.accepted[port]  # http only; the https starts (unrouted) take their turns too
    assert len(starts) == 5 and len(recs) == 5
    assert starts[-1] - starts[0] > 4 / rate - 0.05, starts
    assert min(b - a for a, b in zip(starts, starts[1:])) > 0.5 / rate, starts


async def test_polite_memory_is_bounded_by_the_addresses_in_use() -> None:
    polite = Polite(connections=2)
    async with polite.slot("192.0.2.1"), polite.slot("192.0.2.1"), polite.slot("2001:db8::1"):
        assert polite.remembered == 2
    for i in range(1000):
        async with polite.slot(f"10.0.{i // 250}.{i % 250}"):
            pass
    assert polite.remembered == 0  # an address nobody uses is forgotten at once


async def test_a_probe_cancelled_while_waiting_for_a_slot_takes_none_and_leaves_nothing_behind() -> None:
    polite = Polite(connections=1)
    held, release = asyncio.Event(), asyncio.Event()

    async def holder() -> None:
        async with polite.slot("192.0.2.1"):
            held.set()
            await release.wait()

    async def waiter() -> None:
        async with polite.slot("192.0.2.1"):
            raise AssertionError("the slot was taken")

    first = asyncio.create_task(holder())
    await held.wait()
    second = asyncio.create_task(waiter())
    await asyncio.sleep(0.01)
    second.cancel()
    with pytest.raises(asyncio.CancelledError):
        await second
    release.set()
    await first
    assert polite.remembered == 0
    async with polite.slot("192.0.2.1"):  # the one slot is free again
        pass


async def test_polite_forgets_rate_limited_addresses_once_their_rate_allows_a_start() -> None:
    polite = Polite(rate=5.0)  # an address is remembered 0.2 s after its last start
    for i in range(100):
        async with polite.slot(f"10.0.0.{i}"):
            pass
    assert polite.remembered == 100
    await asyncio.sleep(0.25)
    for i in range(30):  # new addresses: the old ones are swept as the table grows
        async with polite.slot(f"10.0.1.{i}"):
            pass
    assert polite.remembered <= 30


# ------------------------------------------------------------------ the User-Agent


def test_user_agent_can_be_changed(inside) -> None:
    heads = len(inside.heads())
    custom = "AuditBot/2.0 (+mailto:noc@example.gov.vn)"
    args = [*inside.cli_args(), "--allow-special", "127.0.0.1/32", "--no-zone", "--user-agent", custom]
    proc = run_cli("scan", "-", *args, stdin="ua.inside.example\n")

    assert proc.returncode == 0, proc.stderr
    assert {user_agent(head) for head in inside.heads()[heads:]} == {custom}


def user_agent(head: bytes) -> str:
    return next(line.split(b":", 1)[1].strip().decode() for line in head.split(b"\r\n")
                if line.lower().startswith(b"user-agent:"))


# ------------------------------------------------------------------ no data lost


def test_a_killed_scan_keeps_what_it_wrote_and_show_says_it_was_cut_short(tmp_path: Path) -> None:
    loop = Background()
    dns_server = DnsServer({"inside.example": ZONE})
    dns_server.set_behaviour("hang.inside.example", "drop")  # the second host never resolves
    loop.run(dns_server.start())
    save_dir = tmp_path / "reports"
    args = ["scan", "-", "--resolver", f"127.0.0.1:{dns_server.port}", "--dns-timeout", "60", "--no-zone",
            "--format", "jsonl", "--save-dir", str(save_dir), "--concurrency", "2"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    child = subprocess.Popen([sys.executable, "-m", "ipv6scan", *args], stdin=subprocess.PIPE,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        child.stdin.write(b"nowhere.example.org\nhang.inside.example\n")
        child.stdin.close()
        saved = _wait_for_a_host_record(save_dir, timeout=30)
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    finally:
        if child.poll() is None:
            child.kill()
        loop.run(dns_server.close())
        loop.stop()

    assert child.returncode == -signal.SIGKILL
    raw = saved.read_bytes()
    assert raw.endswith(b"\n")
    lines = [decoder.decode(line) for line in raw.splitlines()]  # every line intact
    assert isinstance(lines[0], ScanHeader) and isinstance(lines[1], HostRecord)
    assert lines[1].facts.host == "nowhere.example.org" and not any(isinstance(x, ScanSummary) for x in lines)

    proc = run_cli("show", str(saved), "--format", "jsonl")
    assert proc.returncode == 0, proc.stderr
    assert "cut short" in proc.stderr and "Traceback" not in proc.stderr
    shown = list(map(decoder.decode, proc.stdout.splitlines()))
    assert [type(x) for x in shown] == [ScanHeader, HostRecord, ScanSummary] and shown[-1].interrupted


def _wait_for_a_host_record(save_dir: Path, timeout: float) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in save_dir.glob("scan-*.jsonl"):
            if b'"type":"host"' in path.read_bytes():
                return path
        time.sleep(0.05)
    raise AssertionError(f"no host record saved under {save_dir} within {timeout} s")


def test_a_partial_last_line_is_reported_not_fatal(tmp_path: Path) -> None:
    header = ScanHeader(tool_version="0", started="2026-01-01T00:00:00Z")
    saved = tmp_path / "scan-partial.jsonl"
    saved.write_bytes(msgspec.json.encode(header) + b"\n" + b'{"type":"host","facts":{"host":"cut.exam')
    proc = run_cli("show", str(saved), "--format", "jsonl")

    assert proc.returncode == 0, proc.stderr
    assert f"{saved}:2" in proc.stderr and "cut short" in proc.stderr and "Traceback" not in proc.stderr


def test_an_existing_results_file_is_never_overwritten(tmp_path: Path) -> None:
    save_dir = tmp_path / "reports"
    save_dir.mkdir()
    now = datetime.now(UTC)
    precious = {save_dir / f"scan-{(now + timedelta(seconds=s)).strftime('%Y%m%dT%H%M%SZ')}.jsonl": f"kept {s}\n"
                for s in range(-2, 60)}  # every name this scan could pick
    for path, text in precious.items():
        path.write_text(text)
    proc = run_cli("scan", "-", "--resolver", "127.0.0.1:9", "--dns-timeout", "0.05", "--no-zone",
                   "--format", "jsonl", "--save-dir", str(save_dir), stdin="nowhere.example.org\n")

    assert proc.returncode == 0, proc.stderr
    assert all(path.read_text() == text for path, text in precious.items())
    assert len(list(save_dir.glob("scan-*.jsonl"))) == len(precious) + 1
