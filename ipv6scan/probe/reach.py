"""What TCP connects to each (address, port) showed in this scan, shared between host names.

Provincial data centres put dozens of portals on one address; when its IPv6 path is
broken, every one of those names would wait for its own connect timeouts (and their
retries), queued behind the per-address limit: 100 names x 2 schemes x 2 attempts x 5 s.
A TCP connect that times out, is refused or finds no route is a fact about the
address and port, not about the name, so :class:`Reachability` lets one scan learn it
once:

* While an (address, port) is not known to connect, one probe finds out
  (:meth:`Reachability.turn`), joined by a second ``stagger`` seconds later if the
  first has not connected by then; the others wait for the answer **without holding
  a politeness slot** (they have not started connecting).
* A connect that succeeds makes the address *alive* for the rest of the scan: from
  then on every probe connects on its own, at once, as before.
* A failed connect is an observation (outcome, detail, which host and scheme, when).
  The first makes the address *suspect*: the second finder (or the next probe) is its
  re-confirmation. The second failure **confirms** it: the address is
  *dead* for this scan, and every later probe of that (address, port) ends at once
  with that outcome, recorded with both observations (``WebProbe.connect_shared``),
  never as if it had connected itself.
* Only the TCP connect is shared. TLS and HTTP results depend on the name (SNI, Host)
  and are never taken from another probe.

Memory: the key of each (address, port) that connected (about 100 bytes: 10 MB per 100 000
distinct ones), and an entry for those being found out or dead.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field

from ..model import ConnectObservation, Outcome
from ..runner import parked
from ..timeutil import utcnow

CONNECT_FAILURES = frozenset({Outcome.TIMEOUT, Outcome.REFUSED, Outcome.UNREACHABLE})
"""Outcomes of a TCP connect that say something about the address and port, whatever the name."""
CONFIRMATIONS = 2
"""Failed connects on one (address, port) before they answer for other probes."""
STAGGER = 0.2
"""Of the connect timeout: when a second connect to an address that has not connected yet starts beside the
first (a second probe confirming it here; a probe's own retry in ``web.py``)."""


class SharedFailure(Exception):
    """A confirmed connect failure of this (address, port), answered from the scan's observations."""

    def __init__(self, outcome: Outcome, observations: list[ConnectObservation]) -> None:
        super().__init__(outcome.value)
        self.outcome, self.observations = outcome, observations


@dataclass
class _Entry:
    alive: bool = False
    observations: list[ConnectObservation] = field(default_factory=list)
    starts: list[float] = field(default_factory=list)  # loop times the probes finding out now started
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def dead(self) -> bool:
        return len(self.observations) >= CONFIRMATIONS

    def signal(self) -> None:
        """Wake the probes waiting for this address (a verdict, or a finder's place free)."""
        self.changed.set()
        self.changed = asyncio.Event()


class Turn:
    """One probe's connect to an (address, port): say how it went (that lets the next probe go)."""

    def __init__(self, entry: _Entry | None, host: str, scheme: str, *, started: float | None = None,
                 on_alive: Callable[[], None] = lambda: None) -> None:
        self._entry, self._host, self._scheme, self._started = entry, host, scheme, started
        self._on_alive = on_alive

    def connected(self) -> None:
        if self._entry is not None and not self._entry.alive:
            self._entry.alive = True
            self._entry.observations.clear()
            self._on_alive()
        self.release()

    def failed(self, outcome: Outcome, detail: str | None) -> None:
        """The connect itself failed (no TCP connection): an observation, if the outcome is one of the address."""
        entry = self._entry
        if entry is not None and not entry.alive and outcome in CONNECT_FAILURES:
            entry.observations.append(ConnectObservation(outcome=outcome, detail=detail, host=self._host,
                                                         scheme=self._scheme, at=utcnow()))
        self.release()

    def release(self) -> None:
        """The connect is over (or was never made): a waiting probe may find out, or learn the verdict."""
        if self._started is not None and self._entry is not None:
            self._entry.starts.remove(self._started)
            self._started = None
            self._entry.signal()


class _Free:
    """The turn of a probe to an address known to connect (or with sharing off): nothing to wait for, nothing
    to record."""

    __slots__ = ()
    turn = Turn(None, "", "")

    async def __aenter__(self) -> Turn:
        return self.turn

    async def __aexit__(self, *exc: object) -> None:
        return None


_FREE = _Free()


class Reachability:
    """The connect facts of one scan, per (address, port). ``enabled=False``: every probe connects on its own.

    ``stagger``: while the first probe is finding out whether an address connects, a second may
    start this many seconds after it (the confirmation, running alongside, rather than after the
    first's whole timeout). Never more than two at once, and none new while one failure waits
    for its confirmation.
    """

    def __init__(self, *, enabled: bool = True, stagger: float = 1.0) -> None:
        self.enabled = enabled
        self.stagger = stagger
        self._entries: dict[str, _Entry] = {}  # (address, port)s not known to connect: being found out, or dead
        self._alive: set[str] = set()  # those that connected: a key each, ~100 bytes (memory grows with addresses only)

    def turn(self, address: str, port: int, *, host: str, scheme: str) -> AbstractAsyncContextManager[Turn]:
        """``async with reach.turn(...) as turn``: wait until this probe may connect to (address, port); raises
        :class:`SharedFailure` when it is dead.

        While the address is not known to connect, the probe is one of the (at most two) finding out,
        from here until it says :meth:`Turn.connected` or :meth:`Turn.failed` (or leaves the block),
        so others wait only for the connect, not for the whole request. Once it is known to connect,
        nothing is waited for and nothing is recorded (the same do-nothing turn for every probe)."""
        key = f"[{address}]:{port}"
        if not self.enabled or key in self._alive:
            return _FREE
        return self._finding_out(key, host, scheme)

    @asynccontextmanager
    async def _finding_out(self, key: str, host: str, scheme: str) -> AsyncIterator[Turn]:
        entry = self._entries.setdefault(key, _Entry())
        loop = asyncio.get_running_loop()
        started = None
        while not entry.alive:
            self._raise_if_dead(entry)
            now = loop.time()
            if not entry.starts or (len(entry.starts) == 1 and not entry.observations
                                    and now >= entry.starts[0] + self.stagger):
                started = now
                entry.starts.append(now)
                break
            wait = None if len(entry.starts) > 1 or entry.observations else entry.starts[0] + self.stagger - now
            try:  # holding nothing: no politeness slot, no connection, and the host's place lent to another host
                async with parked(), asyncio.timeout(wait):
                    await entry.changed.wait()
            except TimeoutError:  # (not asyncio.wait_for: on 3.11 it returned the wait's result when this task
                pass              # was cancelled in the same iteration, and the probe took its turn: a Ctrl-C ignored)
        turn = Turn(entry, host, scheme, started=started, on_alive=lambda: self._came_alive(key, entry))
        try:
            yield turn
        finally:
            turn.release()

    def _came_alive(self, key: str, entry: _Entry) -> None:
        """Keep only the key of an address that connects (its waiters hold the entry and see it alive)."""
        self._alive.add(key)
        if self._entries.get(key) is entry:
            del self._entries[key]

    @staticmethod
    def _raise_if_dead(entry: _Entry) -> None:
        if entry.dead:
            raise SharedFailure(entry.observations[-1].outcome, list(entry.observations))
