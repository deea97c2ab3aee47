"""The event loop the command line runs a scan on: asyncio's own, or uvloop.

uvloop (a dependency of ipv6scan on Linux and macOS) is a drop-in event
loop on libuv: in the benchmark it cuts the scanner's CPU per host by about a
quarter and its peak memory too. The scan gives the same outcomes on both
loops (the probe tests run on each).

:func:`run` is the one place the command line runs the scanner's coroutines
(``scan``, ``demo``, ``audit``, ``diff --recheck``). ``loop`` is ``auto``
(uvloop when it can be imported, else asyncio), ``asyncio`` or ``uvloop``
(:class:`LoopUnavailable` when it is not installed). Library users running
:func:`ipv6scan.pipeline.scan_all` keep choosing their own loop.
"""

from __future__ import annotations

import signal
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar

from .errors import Ipv6scanError

if TYPE_CHECKING:  # asyncio is imported when a loop is made: the CLI's --help needs only the enum
    import asyncio

T = TypeVar("T")
LoopFactory = Callable[[], "asyncio.AbstractEventLoop"]


class Loop(StrEnum):
    AUTO = "auto"  # uvloop when installed, else asyncio
    ASYNCIO = "asyncio"
    UVLOOP = "uvloop"


class LoopUnavailable(Ipv6scanError, RuntimeError):
    """The event loop asked for cannot be used here (uvloop is not installed)."""


def choose(loop: Loop | str = Loop.AUTO) -> tuple[Loop, LoopFactory]:
    """The concrete loop ``loop`` stands for here (``asyncio`` or ``uvloop``), and what makes one."""
    import asyncio

    loop = Loop(loop)
    if loop is Loop.ASYNCIO:
        return Loop.ASYNCIO, asyncio.new_event_loop
    try:
        import uvloop
    except ImportError as e:
        if loop is Loop.UVLOOP:
            raise LoopUnavailable(
                f"the uvloop event loop is not installed ({e}): pip install uvloop "
                "(Linux and macOS), or use --loop asyncio"
            ) from None
        return Loop.ASYNCIO, asyncio.new_event_loop
    return Loop.UVLOOP, uvloop.new_event_loop


def run(work: Coroutine[Any, Any, T], loop: Loop | str = Loop.AUTO, *, sigterm: bool = False) -> T:
    """Run ``work`` to its end on a new event loop of the kind asked; its result.

    Ctrl-C cancels ``work`` and then raises KeyboardInterrupt, as ``asyncio.run``
    does. With ``sigterm``, SIGTERM (a service manager, ``kill``) cancels it too,
    and ``CancelledError`` comes out: the caller stops cleanly either way.
    """
    try:
        _, factory = choose(loop)
    except BaseException:
        work.close()  # never awaited: no "coroutine was never awaited" warning
        raise
    import asyncio

    with collector_tuned(), asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(stoppable(work) if sigterm else work)


YOUNG_THRESHOLD = 100_000
"""Allocations (less deallocations) between two collections of the youngest generation during a run (Python's
default: 700). A scan allocates fast and keeps little, and what it drops is freed by reference counting: the
probes drop their exceptions' tracebacks (``probe._errors.forget_traceback``), so a healthy scan leaves no cycle
for the collector (bench, 2000 hosts: none left at the end of the run; the mixed population: 480 objects in all).
Each collection only walked the live hosts' objects: at 700 it ran about 0.6 times a host and took a tenth of the
CPU (1.49 s of 15.9); at 10 000, 0.5-0.7 s (~13 ms a collection, ~45 of them); at 100 000, a few hundredths.
Garbage in cycles is never freed until collected, so it counts toward the threshold: at most this many such
objects wait for a collection."""


@contextmanager
def collector_tuned() -> Iterator[None]:
    """For the length of a run: the young generation collected less often, and what exists before the run
    (modules, their data: the communes, Babel's, ICU's) frozen out of the full collections. Both undone after,
    so a library caller's process is left as it was."""
    import gc

    before = gc.get_threshold()
    freezing = gc.get_freeze_count() == 0  # (a caller that froze its own objects keeps them as it left them)
    if freezing:
        gc.freeze()
    gc.set_threshold(max(before[0], YOUNG_THRESHOLD), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)
        if freezing:
            gc.unfreeze()


def running_loop_name() -> str:
    """The kind of event loop running now: ``uvloop``, ``asyncio`` or the loop's module."""
    import asyncio

    module = type(asyncio.get_running_loop()).__module__
    if module.startswith("uvloop"):
        return Loop.UVLOOP.value
    return Loop.ASYNCIO.value if module.startswith("asyncio") else module


async def stoppable(work: Awaitable[T]) -> T:
    """Await ``work`` so that SIGTERM stops it like Ctrl-C: the task is cancelled, cleanly, with a summary."""
    import asyncio

    loop, task = asyncio.get_running_loop(), asyncio.current_task()
    try:
        loop.add_signal_handler(signal.SIGTERM, task.cancel)  # type: ignore[union-attr]
    except (NotImplementedError, RuntimeError, ValueError):  # not on this platform / not the main thread
        pass
    try:
        return await work
    finally:
        try:
            loop.remove_signal_handler(signal.SIGTERM)
        except (NotImplementedError, RuntimeError, ValueError):
            pass
