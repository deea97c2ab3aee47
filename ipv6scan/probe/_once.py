"""Once per scan: one task per key, started by the first caller, awaited by every caller (shielded)."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Once(Generic[K, V]):
    """One task per key for the whole scan. ``limit``: keys remembered at most (the least recently used go
    first: a key asked again after that is computed again); None: every key is kept.

    ``again(value)``: the value is a failure worth asking again (a lookup that got no answer): the next caller
    computes the key anew, up to ``tries`` computations of it in all; then the last failure is kept. One lost
    answer must not stick to every later host of a long scan, and a server that keeps failing is not asked
    for every host."""

    def __init__(self, limit: int | None = None, *, again: Callable[[V], bool] | None = None,
                 tries: int = 1) -> None:
        self._tasks: OrderedDict[K, asyncio.Task[V]] = OrderedDict()
        self._limit = limit
        self._again = again
        self._tries = tries
        self._failed: dict[K, int] = {}  # keys whose computation failed (``again``): how many times

    async def get(self, key: K, make: Callable[[], Awaitable[V]]) -> V:
        """The value for ``key``: computed by ``make()`` for the first caller; a caller cancelled while it
        waits does not cancel the computation others wait for."""
        task = self._tasks.get(key)
        if task is None:
            task = self._tasks[key] = asyncio.ensure_future(make())
            while self._limit is not None and len(self._tasks) > self._limit:
                self._tasks.popitem(last=False)
        else:
            self._tasks.move_to_end(key)
        value = await asyncio.shield(task)
        if self._again is not None and self._tasks.get(key) is task and self._again(value):
            failed = self._failed[key] = self._failed.get(key, 0) + 1  # (the first of the callers that shared it)
            if failed < self._tries:
                del self._tasks[key]
        return value

    def pending(self, key: K) -> asyncio.Task[V] | None:
        """The task for ``key`` if one was started (done or not)."""
        return self._tasks.get(key)

    def cancel(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        self._tasks.clear()
