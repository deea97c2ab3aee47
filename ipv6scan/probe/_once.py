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
    first: a key asked again after that is computed again); None: every key is kept."""

    def __init__(self, limit: int | None = None) -> None:
        self._tasks: OrderedDict[K, asyncio.Task[V]] = OrderedDict()
        self._limit = limit

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
        return await asyncio.shield(task)

    def forget(self, key: K, value: V) -> bool:
        """Compute ``key`` again for the next caller, if what is kept for it is ``value`` (not another caller's later
        computation); whether it was forgotten. Of the callers that shared one computation, the first forgets."""
        task = self._tasks.get(key)
        if task is None or not task.done() or task.cancelled() or task.exception() is not None \
                or task.result() is not value:
            return False
        del self._tasks[key]
        return True

    def pending(self, key: K) -> asyncio.Task[V] | None:
        """The task for ``key`` if one was started (done or not)."""
        return self._tasks.get(key)

    def cancel(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        self._tasks.clear()
