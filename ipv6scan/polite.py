"""Politeness towards each target address, across the whole scan.

Many host names of a list often share one address (a provincial portal
platform, a hosting company). Scanning them concurrently must not look like an
attack on that address: :class:`Polite` lets at most ``connections``
connections be open to one address at once and, optionally, starts at most
``rate`` new ones per second there (a token bucket holding one token, so starts
are at least ``1 / rate`` seconds apart).

One instance is shared by every probe of a scan (web, SMTP, name-server
queries). Memory stays bounded: an address is forgotten as soon as nobody
holds or waits for a slot there and its rate would allow a new start anyway.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

_SWEEP_MIN = 64


@dataclass
class _Address:
    """Book-keeping for one address that is in use (or was, less than 1/rate seconds ago)."""

    limit: asyncio.Semaphore
    users: int = 0  # holding or waiting for a slot
    next_start: float = field(default=float("-inf"))  # loop time before which no new connection starts


class Polite:
    """Per-address connection limit and optional start rate; both off when None."""

    def __init__(self, connections: int | None = None, rate: float | None = None) -> None:
        if connections is not None and connections < 1:
            raise ValueError("connections per address must be at least 1")
        if rate is not None and rate <= 0:
            raise ValueError("the rate per address must be positive")
        self.connections = connections
        self.rate = rate
        self._addresses: dict[str, _Address] = {}
        self._sweep_at = _SWEEP_MIN  # size at which idle addresses are looked for (amortised)

    @property
    def remembered(self) -> int:
        """How many addresses are remembered (in use, or rate-limited a moment longer)."""
        return len(self._addresses)

    def slot(self, address: str) -> _Slot | _Unlimited:
        """``async with polite.slot(address)``: hold one connection slot at ``address`` (waiting for it, and
        for the rate, if needed). (A class, not a generator-based context manager: it is entered for every
        connection of a scan.)"""
        if self.connections is None and self.rate is None:
            return _UNLIMITED
        return _Slot(self, address)

    def _enter(self, address: str) -> _Address:
        entry = self._addresses.get(address)
        if entry is None:
            if len(self._addresses) >= self._sweep_at:
                self._forget_idle()
            entry = self._addresses[address] = _Address(asyncio.Semaphore(self.connections or 2**31))
        entry.users += 1
        return entry

    def _leave(self, address: str, entry: _Address) -> None:
        entry.users -= 1
        if entry.users == 0 and (self.rate is None or entry.next_start <= _now()):  # (no rate: no clock asked)
            self._addresses.pop(address, None)

    async def _pace(self, entry: _Address) -> None:
        """Wait for this address's next start time, and book the one after."""
        if self.rate is None:
            return
        now = _now()
        start = max(now, entry.next_start)
        entry.next_start = start + 1 / self.rate
        if start > now:
            await asyncio.sleep(start - now)

    def _forget_idle(self) -> None:
        """Drop every address nobody uses whose rate allows a new start already."""
        now = _now()
        idle = [a for a, e in self._addresses.items() if e.users == 0 and e.next_start <= now]
        for address in idle:
            del self._addresses[address]
        self._sweep_at = max(_SWEEP_MIN, 2 * len(self._addresses))


class _Slot:
    """One connection's slot at one address (see :meth:`Polite.slot`)."""

    __slots__ = ("_polite", "_address", "_entry")

    def __init__(self, polite: Polite, address: str) -> None:
        self._polite, self._address = polite, address

    async def __aenter__(self) -> None:
        polite = self._polite
        entry = self._entry = polite._enter(self._address)
        try:
            await entry.limit.acquire()
        except BaseException:
            polite._leave(self._address, entry)
            raise
        try:
            await polite._pace(entry)
        except BaseException:
            entry.limit.release()
            polite._leave(self._address, entry)
            raise

    async def __aexit__(self, *exc: object) -> None:
        self._entry.limit.release()
        self._polite._leave(self._address, self._entry)


class _Unlimited:
    """The slot when there are no limits: nothing to wait for."""

    __slots__ = ()

    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, *exc: object) -> None:
        return None


_UNLIMITED = _Unlimited()


def _now() -> float:
    return asyncio.get_running_loop().time()
