"""A timed-out connect is retried beside the first try, a stagger after it, not after the whole timeout (issue 16).

A real HTTP server on loopback answers; the network in front of it can make chosen connects hang as a
blackholed SYN does (nothing, then the connect timeout). Times are bounded loosely from above and below:
what is asserted is which schedule ran (one timeout and a stagger, or two timeouts), not how fast.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from ipv6scan.addresses import parse_prefixes
from ipv6scan.config import ScanOptions
from ipv6scan.model import Outcome
from ipv6scan.net import LabNetwork
from ipv6scan.polite import Polite
from ipv6scan.probe.reach import STAGGER, Reachability
from ipv6scan.probe.web import WebProber

ADDRESS = "192.0.2.10"
CONNECT = 1.0  # connect timeout: the stagger is STAGGER of it
PAGE = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"


class _Server:
    """An HTTP server on loopback that counts the requests it answered."""

    def __init__(self) -> None:
        self.requests = 0

    async def __aenter__(self) -> _Server:
        self.server = await asyncio.start_server(self._answer, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.server.close()
        await self.server.wait_closed()

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        self.requests += 1
        writer.write(PAGE)
        await writer.drain()
        writer.close()


class _Network(LabNetwork):
    """Routes the address to the server; the connects numbered in ``hang`` (from 1) hang until their timeout,
    and those in ``slow`` connect after ``slow_s`` seconds. Records when each connect started."""

    def __init__(self, port: int, *, hang: set[int] = frozenset(), slow: set[int] = frozenset(),
                 slow_s: float = 0.0) -> None:
        super().__init__({(ADDRESS, 80): ("127.0.0.1", port)})
        self.hang, self.slow, self.slow_s = hang, slow, slow_s
        self.starts: list[float] = []
        self.cancelled = 0

    async def connect(self, address, port, factory, *, timeout, **kw):  # type: ignore[no-untyped-def, override]
        self.starts.append(time.monotonic())
        n = len(self.starts)
        try:
            if n in self.hang:
                await asyncio.sleep(timeout)
                raise TimeoutError("connect timed out")
            if n in self.slow:
                await asyncio.sleep(self.slow_s)
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        return await super().connect(address, port, factory, timeout=timeout, **kw)


def _prober(network: _Network, *, retries: int = 1, reach: Reachability | None = None,
            polite: Polite | None = None) -> WebProber:
    options = ScanOptions(connect_timeout=CONNECT, read_timeout=CONNECT, retries=retries)
    return WebProber(network=network, options=options, resolve=_no_dns, allowed=parse_prefixes(["192.0.2.0/24"]),
                     reach=reach, polite=polite)


async def _no_dns(name, family):  # type: ignore[no-untyped-def]
    return Outcome.DNS_NXDOMAIN, []


async def _probe(network: _Network, **kw) -> tuple[object, float]:
    prober = _prober(network, **kw)
    started = time.monotonic()
    try:
        result, _ = await prober.probe("www.example.test", ADDRESS, "http", 80)
    finally:
        await prober.aclose()
    return result, time.monotonic() - started


async def test_a_dead_address_costs_one_timeout_and_a_stagger_not_two_timeouts() -> None:
    async with _Server() as server:
        network = _Network(server.port, hang={1, 2})
        result, took = await _probe(network)

    assert result.outcome == Outcome.TIMEOUT and result.attempts == 2
    assert len(network.starts) == 2
    second_after = network.starts[1] - network.starts[0]
    assert STAGGER * CONNECT * 0.9 <= second_after < CONNECT * 0.9  # the retry started beside, before the timeout
    assert took < 2 * CONNECT  # (sequential tries: two whole timeouts)


async def test_the_retry_that_connects_answers_and_the_first_try_is_called_off() -> None:
    async with _Server() as server:
        network = _Network(server.port, hang={1})
        result, took = await _probe(network)

    assert result.outcome == Outcome.OK and result.status == 200 and result.attempts == 1
    assert network.cancelled == 1 and server.requests == 1  # the hanging try was called off, never sent
    assert took < CONNECT  # not the first try's whole timeout


async def test_a_slow_first_connect_goes_on_and_the_second_try_is_called_off() -> None:
    async with _Server() as server:
        network = _Network(server.port, slow={1}, hang={2}, slow_s=STAGGER * CONNECT * 2)
        result, _ = await _probe(network)

    assert result.outcome == Outcome.OK and result.attempts == 1
    assert len(network.starts) == 2 and network.cancelled == 1 and server.requests == 1


async def test_a_first_try_that_connects_in_time_starts_no_second() -> None:
    async with _Server() as server:
        network = _Network(server.port)
        result, _ = await _probe(network)
        await asyncio.sleep(STAGGER * CONNECT * 1.5)  # the stagger's timer is gone: nothing starts later

    assert result.outcome == Outcome.OK and len(network.starts) == 1 and server.requests == 1


@pytest.mark.parametrize(("retries", "bound"), [(0, 1.5), (2, 2.6)])
async def test_every_retry_is_spent_and_no_more(retries: int, bound: float) -> None:
    """2 retries: the first two tries staggered (a timeout and a stagger), then the third after them (a timeout):
    about 2.2 timeouts, where one after the other took 3."""
    async with _Server() as server:
        network = _Network(server.port, hang=set(range(1, 10)))
        result, took = await _probe(network, retries=retries)

    assert result.outcome == Outcome.TIMEOUT and result.attempts == retries + 1
    assert len(network.starts) == retries + 1
    assert took < bound * CONNECT


async def test_with_shared_connect_facts_the_staggered_retry_is_the_confirmation() -> None:
    reach = Reachability(stagger=STAGGER * CONNECT)
    async with _Server() as server:
        network = _Network(server.port, hang=set(range(1, 10)))
        first, took = await _probe(network, reach=reach)
        other, other_took = await _probe(network, reach=reach)

    assert first.outcome == Outcome.TIMEOUT and first.attempts == 2 and took < 2 * CONNECT
    assert other.outcome == Outcome.TIMEOUT and other.connect_shared and other.attempts == 0
    assert len(network.starts) == 2 and other_took < STAGGER * CONNECT  # answered from the two observations


async def test_waiting_for_a_politeness_slot_is_not_a_silent_connect() -> None:
    """The stagger counts from the connect, not from the wait for the address's slot (other names hold it)."""
    polite = Polite(connections=1)
    async with _Server() as server:
        network = _Network(server.port)

        async def busy() -> None:
            async with polite.slot(ADDRESS):
                await asyncio.sleep(STAGGER * CONNECT * 2)

        holder = asyncio.create_task(busy())
        await asyncio.sleep(0)
        result, took = await _probe(network, polite=polite)
        await holder

    assert result.outcome == Outcome.OK and result.attempts == 1
    assert len(network.starts) == 1 and server.requests == 1 and took >= STAGGER * CONNECT * 2


async def test_the_host_budget_cancelling_a_probe_cancels_its_second_try_too() -> None:
    async with _Server() as server:
        network = _Network(server.port, hang={1, 2})
        prober = _prober(network)
        task = asyncio.create_task(prober.probe("www.example.test", ADDRESS, "http", 80))
        await asyncio.sleep(STAGGER * CONNECT * 1.5)  # both tries are connecting
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.sleep(0.05)
        await prober.aclose()

    assert len(network.starts) == 2 and network.cancelled == 2  # nothing left running after the probe


@pytest.mark.parametrize(("retries", "waits"), [(0, 1.0), (1, 1.2), (2, 2.2), (3, 2.4)])
def test_the_wait_on_a_dead_address_that_the_bench_counts_as_ideal(retries: int, waits: float) -> None:
    from ipv6scan.probe.web import dead_address_wait

    assert dead_address_wait(1.0, retries) == pytest.approx(waits)
