"""Connect failures shared between the names on one address (issue 16, items 1 and 2).

The dead address is a real loopback black hole (testnet._tcp.BlackHole: the kernel drops
the SYNs), reached through a LabNetwork that records every connect it is asked for. What
is asserted is behaviour: how many connects were tried, what each probe recorded, that a
waiting probe held no politeness slot; never how long anything took.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from ipv6scan.addresses import parse_prefixes
from ipv6scan.config import ScanOptions
from ipv6scan.model import Family, HostRecord, Outcome
from ipv6scan.output import web_cell
from ipv6scan.polite import Polite
from ipv6scan.probe.reach import CONFIRMATIONS, Reachability
from ipv6scan.probe.web import WebProber
from ipv6scan.testnet._tcp import BlackHole
from ipv6scan.testnet.hostile import HostileServer

from .test_hostile import ALLOW, HostileLab

DEAD = "2001:db8::dead"
OPTIONS = {"connect_timeout": 0.3, "read_timeout": 0.5, "retries": 1, "body_cap": 64 * 1024}


@pytest.fixture
async def lab():
    server = HostileServer(interval=0.05)
    hole = BlackHole("::1")
    hostile = HostileLab(server)
    for port in (80, 443):
        hostile.routes[(DEAD, port)] = ("::1", hole.port)
    yield hostile
    for prober in hostile.probers:
        await prober.aclose()
    await server.close()
    hole.close()


def prober(lab: HostileLab, reach: Reachability, polite: Polite | None = None, **options) -> WebProber:
    p = WebProber(network=lab.network, options=ScanOptions(**(OPTIONS | options)), resolve=lab.resolve,
                  allowed=parse_prefixes(ALLOW), reach=reach, polite=polite)
    lab.probers.append(p)
    return p


def connects(lab: HostileLab, address: str, port: int) -> int:
    return lab.routed.count((address, port))


async def test_thirty_names_on_a_dead_address_cost_two_connects_per_port(lab) -> None:
    reach = Reachability()
    web = prober(lab, reach)
    hosts = [f"h{i}.tinh.gov.vn" for i in range(30)]

    results = await asyncio.gather(*(web.probe(h, DEAD, s, 443 if s == "https" else 80)
                                     for h in hosts for s in ("http", "https")))

    assert {r.outcome for r, _ in results} == {Outcome.TIMEOUT}
    assert (connects(lab, DEAD, 80), connects(lab, DEAD, 443)) == (CONFIRMATIONS, CONFIRMATIONS)  # not 60 each
    for scheme in ("http", "https"):  # its own connects: the first observer's, and the confirmation (its retry,
        assert sum(r.attempts for r, _ in results if r.scheme == scheme) == CONFIRMATIONS  # or another name's)
    own = [r for r, _ in results if not r.connect_shared]  # a probe whose last attempt was itself the confirmation
    assert len(own) <= 2 and all(r.attempts for r in own) and len(results) - len(own) >= 58
    for r in (r for r, _ in results if r.connect_shared):
        first, confirmed = r.connect_shared
        assert (first.outcome, first.detail) == (Outcome.TIMEOUT, "connect timed out")
        assert first.scheme == r.scheme and first.host in hosts and first.at and confirmed.at >= first.at
        assert "not tried again" in (r.detail or "") and f"first by {first.host}" in r.detail
        assert r.attempts in (0, 1, 2)


class _Timed(list):
    """HostileLab.routed that also notes when each connect was asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.times: list[tuple[float, tuple[str, int]]] = []

    def append(self, item: tuple[str, int]) -> None:
        self.times.append((time.monotonic(), item))
        super().append(item)


async def test_the_confirmation_starts_alongside_the_first_connect_not_after_it(lab) -> None:
    """Item 3: the second connect to a silent address starts ``stagger`` after the first, while it still waits."""
    lab.routed = _Timed()
    web = prober(lab, Reachability(stagger=0.1), connect_timeout=1.0, retries=1)
    started = time.monotonic()
    results = await asyncio.gather(*(web.probe(f"s{i}.gov.vn", DEAD, "http", 80) for i in range(10)))

    times = [t - started for t, key in lab.routed.times if key == (DEAD, 80)]
    assert len(times) == CONFIRMATIONS and times[1] - times[0] < 1.0  # the second began before the first timed out
    assert {r.outcome for r, _ in results} == {Outcome.TIMEOUT} and sum(r.attempts for r, _ in results) == 2


async def test_without_sharing_every_name_pays_its_own_connects(lab) -> None:
    web = prober(lab, Reachability(enabled=False))
    await asyncio.gather(*(web.probe(f"h{i}.gov.vn", DEAD, "http", 80) for i in range(5)))
    assert connects(lab, DEAD, 80) == 10  # 5 names x 2 attempts: what sharing saves


async def test_probes_waiting_for_the_verdict_hold_no_politeness_slot(lab) -> None:
    """Item 2: probes queued on a dead address must not take the slots a live server on the same address needs."""
    live = await lab.add("slow_answer", family=Family.V6, ports=(8080,))
    lab.routes[(DEAD, 8080)] = lab.routes.pop((live, 8080))  # the same address: 80/443 dead, 8080 answers
    polite = Polite(connections=1)
    web = prober(lab, Reachability(), polite=polite)
    dead = [asyncio.create_task(web.probe(f"d{i}.gov.vn", DEAD, "http", 80)) for i in range(20)]
    await asyncio.sleep(0.05)  # the first is connecting (holding the one slot); 19 wait for its verdict

    result, _ = await web.probe("live.gov.vn", DEAD, "http", 8080)

    assert (result.outcome, result.status) == (Outcome.OK, 200)  # got the slot while 19 waited
    assert {r.outcome for r, _ in await asyncio.gather(*dead)} == {Outcome.TIMEOUT}


async def test_a_live_address_is_never_answered_for_and_tls_is_never_shared(lab) -> None:
    address = await lab.add("tls_garbage", family=Family.V6)  # TCP connects; TLS fails, for any name
    web = prober(lab, Reachability())

    results = await asyncio.gather(*(web.probe(f"t{i}.gov.vn", address, "https", 443) for i in range(6)))

    assert {r.outcome for r, _ in results} == {Outcome.TLS_HANDSHAKE_FAILED}
    assert not any(r.connect_shared for r, _ in results) and connects(lab, address, 443) == 6


async def test_a_refusing_port_is_shared_once_confirmed(lab) -> None:
    address = await lab.add("slow_answer", family=Family.V6, ports=(80,))  # 443 not routed: unreachable at once
    web = prober(lab, Reachability())
    first = [await web.probe(f"r{i}.gov.vn", address, "https", 443) for i in range(2)]  # one by one: two observe
    later = await asyncio.gather(*(web.probe(f"r{i}.gov.vn", address, "https", 443) for i in range(2, 12)))

    assert [(r.connect_shared, r.attempts) for r in (p for p, _ in first)] == [([], 1), ([], 1)]
    assert {r.outcome for r, _ in later} == {Outcome.UNREACHABLE} and all(r.connect_shared for r, _ in later)
    assert connects(lab, address, 443) == 2
    assert (await web.probe("r99.gov.vn", address, "http", 80))[0].status == 200  # port 80 is its own fact


def test_show_details_say_which_probe_saw_it_first(lab) -> None:
    from tests.test_store import record

    async def one() -> HostRecord:
        web = prober(lab, Reachability())
        results = await asyncio.gather(*(web.probe(f"s{i}.gov.vn", DEAD, "http", 80) for i in range(4)))
        rec = record("s3.gov.vn")
        rec.facts.web = [r for r, _ in results if r.connect_shared][:1]
        return rec

    rec = asyncio.run(one())
    seen = rec.facts.web[0].connect_shared[0]
    assert f"not tried: connects to this address had failed for {seen.host} http" in web_cell(rec, Family.V6, "en")
    assert f"không thử lại: kết nối đến địa chỉ này đã thất bại khi quét {seen.host}" in web_cell(rec, Family.V6, "vi")


async def test_an_address_that_connects_costs_only_its_key() -> None:
    """A list of 100k hosts may have tens of thousands of addresses: what connected keeps ~100 bytes, not an entry."""
    import tracemalloc

    reach = Reachability()
    addresses = [f"2001:db8::{i:x}" for i in range(20_000)]
    tracemalloc.start()
    try:
        for address in addresses:
            async with reach.turn(address, 443, host="h.gov.vn", scheme="https") as turn:
                turn.connected()
        used, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert used < 20_000 * 200, used  # was ~1.2 KB an address (an asyncio.Event, lists) before
    async with reach.turn(addresses[0], 443, host="h2.gov.vn", scheme="https") as turn:
        turn.failed(Outcome.TIMEOUT, "connect timed out")  # alive for the scan: a later failure is its own
    async with reach.turn(addresses[0], 443, host="h3.gov.vn", scheme="https") as turn:
        turn.failed(Outcome.TIMEOUT, "connect timed out")
    async with reach.turn(addresses[0], 443, host="h4.gov.vn", scheme="https"):
        pass  # not answered for: no SharedFailure


@pytest.mark.parametrize("steps", range(6))
async def test_a_waiting_probe_cancelled_as_the_finder_leaves_stops(steps) -> None:
    """The scan stopped (Ctrl-C cancels every host's task at once): a probe waiting for its turn while the one
    finding out leaves must end cancelled, whatever the order, not take its turn and connect (Python 3.11's
    ``asyncio.wait_for`` returned the wait's result when both came in one iteration: a Ctrl-C that did not stop the
    scan until that connect timed out; seen once in the suite, a 30 s hang after Ctrl-C). ``steps``: loop iterations
    between the two cancels."""
    reach = Reachability(stagger=100.0)
    never = asyncio.Event()
    turns: list[str] = []

    async def probe(name: str) -> None:
        async with reach.turn(DEAD, 443, host=f"{name}.tinh.gov.vn", scheme="https"):
            turns.append(name)
            await never.wait()

    finder = asyncio.create_task(probe("a"))
    waiter = asyncio.create_task(probe("b"))
    for _ in range(5):
        await asyncio.sleep(0)
    assert turns == ["a"]  # b waits for a's connect
    finder.cancel()
    for _ in range(steps):
        await asyncio.sleep(0)
    waiter.cancel()
    for _ in range(10):
        await asyncio.sleep(0)
    assert finder.cancelled() and waiter.cancelled(), (finder, waiter)  # (b may have had its turn first: then left)
