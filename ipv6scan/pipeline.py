"""The one owner of a scan's pipeline: the target list in, lines out as hosts finish.

:func:`scan_all` feeds the targets lazily to one process (``scan.local_lines``: the
bounded pool of ``runner.stream``) or to worker processes (``workers.pool_lines``,
``options.workers > 1``) and writes every line to a sink as it comes: the header, each
host record, the input errors, and a summary (marked ``interrupted`` when cancelled).
Nothing below this module imports it.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Iterable
from contextlib import aclosing

from .config import ScanOptions
from .model import HostRecord, InputError, ScanLine, ScanSummary
from .net import Network
from .scan import local_lines
from .scanfile import Sink
from .targets import Target
from .timeutil import utcnow
from .workers import pool_lines


async def scan_all(
    items: Iterable[Target | InputError],
    options: ScanOptions,
    sink: Sink,
    *,
    network: Network | None = None,
    on_line: Callable[[ScanLine], None] | None = None,
) -> ScanSummary:
    """Scan every target, writing each line to ``sink`` as it comes; returns the summary.

    Interrupted (Ctrl-C / cancellation), it still writes a summary marked
    ``interrupted`` before re-raising, so the file says it is incomplete.
    With ``options.workers > 1`` the hosts are scanned by that many worker
    processes (``workers.py``); the lines written are the same.
    """
    t0 = time.perf_counter()
    verdicts: Counter[str] = Counter()
    errors = 0
    started = False

    def emit(line: ScanLine) -> None:
        sink.write(line)
        if on_line is not None:
            on_line(line)

    def summary(interrupted: bool) -> ScanSummary:
        return ScanSummary(
            finished=utcnow(),
            elapsed_s=round(time.perf_counter() - t0, 3),
            hosts=sum(verdicts.values()),
            verdicts=dict(verdicts),
            input_errors=errors,
            interrupted=interrupted,
        )

    if options.workers > 1:
        lines = pool_lines(items, options, network)
    else:
        lines = local_lines(items, options, network)
    try:
        async with aclosing(lines):
            async for line in lines:  # the header first, then host records and input errors
                if isinstance(line, HostRecord):
                    verdicts[line.result.verdict.value] += 1
                elif isinstance(line, InputError):
                    errors += 1
                emit(line)
                started = True
    except (asyncio.CancelledError, KeyboardInterrupt):
        if started:
            emit(summary(True))
        raise
    done = summary(False)
    emit(done)
    return done
