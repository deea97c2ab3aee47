"""The one place that owns concurrency across hosts.

A fixed pool of ``concurrency`` workers takes items from a bounded queue that a
single feeder fills lazily from the (possibly huge, possibly streamed) target
iterator. Results come out as an async iterator in the order hosts finish. At
most ``(PARKING + 3) * concurrency`` targets are in memory at any time (queued,
scanned, parked), whatever the length of the list, and no task is created per host.

Items that are not targets (input errors met while reading the list) are passed
straight through to the output, in order with the results around them.

``items`` is an ordinary iterable (a target list read lazily) or an async one
(targets arriving on a pipe, as in a worker process of ``workers.py``).

**Parking.** A host that only waits — for the verdict on an address other probes are
finding out (``probe.reach``) — need not hold one of the ``concurrency`` places: inside
:func:`parked` it gives its place to another host and takes one back when it goes on.
The pool has ``PARKING + 1`` times ``concurrency`` workers for that, of which at most
``concurrency`` are ever working at once: the number of hosts in memory stays fixed
and no task is made per host.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from typing import TypeVar

T = TypeVar("T")  # a target
R = TypeVar("R")  # what scanning one target gives
P = TypeVar("P")  # a pass-through item (e.g. an input error)

_DONE = object()
PARKING = 3  # hosts that may wait parked, per place of concurrency


class _Place:
    """A worker's place among the ``concurrency`` working ones, given up while its host is parked."""

    def __init__(self, places: asyncio.Semaphore) -> None:
        self.places, self.held, self.depth = places, False, 0
        self.lock = asyncio.Lock()

    async def take(self) -> None:
        await self.places.acquire()
        self.held = True

    def give_up(self) -> None:
        if self.held:
            self.held = False
            self.places.release()

    async def park(self) -> None:
        async with self.lock:
            self.depth += 1
            if self.depth == 1:
                self.give_up()

    async def unpark(self) -> None:
        async with self.lock:
            self.depth -= 1
            if self.depth == 0 and not self.held:
                await self.take()


_place: contextvars.ContextVar[_Place | None] = contextvars.ContextVar("ipv6scan_place", default=None)


@asynccontextmanager
async def parked() -> AsyncIterator[None]:
    """While inside, this host's place is free for another host (outside a runner: nothing happens)."""
    place = _place.get()
    if place is None:
        yield
        return
    await place.park()
    try:
        yield
    finally:
        await place.unpark()


async def stream(
    items: Iterable[T | P] | AsyncIterable[T | P],
    work: Callable[[T], Awaitable[R]],
    *,
    concurrency: int,
    is_work: Callable[[T | P], bool],
    on_error: Callable[[T, BaseException], R],
) -> AsyncIterator[R | P]:
    """Run ``work`` over the work items of ``items`` with ``concurrency`` workers.

    ``on_error`` turns an unexpected exception from ``work`` into a result, so a
    bug met on one host never stops the scan of the others.
    """
    concurrency = max(1, concurrency)
    pool = concurrency * (PARKING + 1)
    places = asyncio.Semaphore(concurrency)
    todo: asyncio.Queue[object] = asyncio.Queue(maxsize=concurrency * 2)
    done: asyncio.Queue[object] = asyncio.Queue(maxsize=concurrency * 2)

    async def put(item: object) -> None:
        await (todo if is_work(item) else done).put(item)  # type: ignore[arg-type]

    async def feeder() -> None:
        try:
            if isinstance(items, AsyncIterable):
                async for item in items:
                    await put(item)
            else:
                for item in items:
                    await put(item)
        except asyncio.CancelledError:
            raise  # the workers are being cancelled too
        finally:  # finished, or reading the list failed: let the workers finish
            if not asyncio.current_task().cancelling():  # type: ignore[union-attr]
                for _ in range(pool):
                    await todo.put(_DONE)

    async def worker() -> None:
        place = _Place(places)
        _place.set(place)  # this task's context: the host's probes see it
        while True:
            await place.take()
            item = await todo.get()
            if item is _DONE:
                place.give_up()
                break
            try:
                result: object = await work(item)  # type: ignore[arg-type]
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - one host's bug must not end the scan
                result = on_error(item, exc)  # type: ignore[arg-type]
            finally:
                place.give_up()
            await done.put(result)
        await done.put(_DONE)

    tasks = [asyncio.create_task(feeder(), name="ipv6scan-feeder")]
    tasks += [asyncio.create_task(worker(), name=f"ipv6scan-worker-{i}") for i in range(pool)]
    try:
        finished = 0
        while finished < pool:
            item = await done.get()
            if item is _DONE:
                finished += 1
                continue
            yield item  # type: ignore[misc]
        await tasks[0]  # surface a feeder error (e.g. unreadable input)
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
