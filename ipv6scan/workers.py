"""A scan spread over worker processes (``ScanOptions.workers > 1``): one per core lifts the one-core CPU limit.

The main process reads the target list lazily and hands each target to the
worker (``python -m ipv6scan._worker``, see its docstring for the pipe
protocol) with the fewest targets outstanding. Each worker has a window of
``2 * its concurrency`` targets outstanding at most: when every window is
full, the list is not read further, so memory stays flat whatever its length.
Host records come back as each host finishes and go out from here, with the
input errors (in list order), so ``pipeline.scan_all`` writes the same lines as a
one-process scan: one header (the first worker's, with the options as given),
the records, the summary.

Trade-offs. Each worker is a separate ``Scanner``: its caches (zone facts, TLS
certificates) are its own, so a zone shared by hosts of different workers is
probed once per worker. The politeness limits are divided between the
workers (``per_address_connections // n`` each, ``rate_per_address / n``
each, ``ceil(concurrency / n)`` hosts each), so their sum never exceeds the
configured limit; to keep that true with at least one connection each, the
number of workers is capped at ``per_address_connections`` (and at
``concurrency``).

A worker that dies (killed, crashed) has its outstanding hosts recorded as
scanner errors (``failed_record``): nothing is lost silently, and the scan
goes on with the others; when none is left, the scan stops with
:class:`WorkerError`. Cancelled, the pool closes the workers' stdin (they stop
at once), then terminates and kills whatever is still running after a grace
period. A main process killed outright leaves no worker behind either: they
stop on the end of their stdin.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import sys
from collections.abc import AsyncIterator, Iterable
from pathlib import Path

import msgspec

from .errors import Ipv6scanError
from ._worker import END, LINE_LIMIT, Config, Done, Job, encode
from .config import ScanOptions
from .loop import running_loop_name
from .model import HostRecord, InputError, ScanHeader
from .net import LabNetwork, Network
from .scan import _public_options, failed_record, local_lines
from .targets import Target

GRACE = 2.0
"""Seconds a stopping worker has to exit before SIGTERM, then again before SIGKILL."""

_header = msgspec.json.Decoder(ScanHeader)
_done = msgspec.json.Decoder(Done)
_EXITED = object()  # a worker's reader is done
_FED = object()  # the feeder is done


class WorkerError(Ipv6scanError, RuntimeError):
    """The worker processes could not start, or every one of them died."""


def worker_count(options: ScanOptions) -> int:
    """How many workers the scan uses: ``options.workers``, capped so each gets a share of every limit."""
    return max(1, min(options.workers, options.per_address_connections, options.concurrency))


def worker_options(options: ScanOptions, n: int) -> ScanOptions:
    """One worker's share of the options: the limits divided so that the n shares add up to no more than them."""
    rate = options.rate_per_address
    return msgspec.structs.replace(
        options,
        workers=1,
        concurrency=math.ceil(options.concurrency / n),
        per_address_connections=max(1, options.per_address_connections // n),
        rate_per_address=None if rate is None else rate / n,
    )


def _lab_routes(network: Network | None) -> str | None:
    """The network, as a worker can rebuild it; other kinds of networks cannot cross a process boundary."""
    if network is None or type(network) is Network:
        return None
    if type(network) is LabNetwork:
        return network.to_json()
    raise WorkerError(f"workers > 1: a {type(network).__name__} network cannot be passed to worker processes")


class _Worker:
    def __init__(self, proc: asyncio.subprocess.Process, window: int) -> None:
        self.proc = proc
        self.window = window
        self.pending: dict[int, Target] = {}  # sent, no record back yet
        self.alive = True  # its stdout is still open


async def _start(config: bytes, window: int) -> _Worker:
    package_root = str(Path(__file__).resolve().parent.parent)  # the worker imports this very ipv6scan
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "ipv6scan._worker", running_loop_name(),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, limit=LINE_LIMIT, env=env,
    )
    worker = _Worker(proc, window)
    assert proc.stdin is not None
    proc.stdin.write(config)
    return worker


async def _first_line(worker: _Worker) -> ScanHeader:
    assert worker.proc.stdout is not None
    line = await worker.proc.stdout.readline()
    if not line:
        raise WorkerError(f"worker process {worker.proc.pid} exited at start (exit code {await worker.proc.wait()})")
    return _header.decode(line)


async def _stop(workers: list[_Worker]) -> None:
    """Close every worker's stdin (they stop), then terminate, then kill what is still running."""
    for w in workers:
        if w.proc.stdin is not None and not w.proc.stdin.is_closing():
            w.proc.stdin.close()
    for signal_them in (lambda p: None, lambda p: p.terminate(), lambda p: p.kill()):
        running = [w.proc for w in workers if w.proc.returncode is None]
        for p in running:
            with contextlib.suppress(ProcessLookupError):
                signal_them(p)
        if running:
            await asyncio.wait([asyncio.ensure_future(p.wait()) for p in running], timeout=GRACE)


async def pool_lines(
    items: Iterable[Target | InputError], options: ScanOptions, network: Network | None
) -> AsyncIterator[ScanHeader | HostRecord | InputError]:
    """The scan by ``worker_count(options)`` worker processes: the header, then records and input errors."""
    n = worker_count(options)
    if n == 1:
        async for line in local_lines(items, msgspec.structs.replace(options, workers=1), network):
            yield line
        return
    share = worker_options(options, n)
    config = encode(Config(options=share, lab_routes=_lab_routes(network)))
    workers: list[_Worker] = []
    tasks: list[asyncio.Task[None]] = []
    try:
        for _ in range(n):
            workers.append(await _start(config, 2 * share.concurrency))
        headers = await asyncio.gather(*(_first_line(w) for w in workers))
        first = headers[0]
        yield msgspec.structs.replace(first, options={**_public_options(options), "workers": n,
                                                      "network": first.options.get("network"),
                                                      "loop": first.options.get("loop")})
        out: asyncio.Queue[object] = asyncio.Queue(maxsize=sum(w.window for w in workers))
        room = asyncio.Event()  # set when a worker's window may have room (a record came back, a worker died)

        async def pick() -> _Worker:
            while True:
                live = [w for w in workers if w.alive]
                if not live:
                    raise WorkerError("every worker process has exited: the rest of the list was not scanned")
                w = min(live, key=lambda w: len(w.pending))
                if len(w.pending) < w.window:
                    return w
                room.clear()
                await room.wait()

        async def feed() -> None:
            seq = 0
            try:
                for item in items:
                    if not isinstance(item, Target):
                        await out.put(item)
                        continue
                    w = await pick()
                    w.pending[seq] = item
                    assert w.proc.stdin is not None
                    w.proc.stdin.write(encode(Job(seq=seq, target=item)))
                    seq += 1
                    with contextlib.suppress(ConnectionError):  # died: its reader records the outstanding hosts
                        await w.proc.stdin.drain()
            finally:  # the list is done (or unreadable): the workers finish what they have, then exit
                if not asyncio.current_task().cancelling():  # type: ignore[union-attr]
                    for w in workers:
                        if w.alive and w.proc.stdin is not None and not w.proc.stdin.is_closing():
                            w.proc.stdin.write(END)
                            with contextlib.suppress(ConnectionError):
                                await w.proc.stdin.drain()
                    await out.put(_FED)

        async def read(w: _Worker) -> None:
            assert w.proc.stdout is not None
            try:
                while line := await w.proc.stdout.readline():
                    done = _done.decode(line)
                    w.pending.pop(done.seq, None)
                    room.set()
                    await out.put(done.record)
            except (ValueError, msgspec.DecodeError):  # an over-long or garbled line: this worker is broken
                with contextlib.suppress(ProcessLookupError):
                    w.proc.kill()
            w.alive = False
            room.set()
            code = await w.proc.wait()
            died = WorkerError(f"worker process {w.proc.pid} exited (exit code {code}) before this host was done")
            for seq in sorted(w.pending):
                await out.put(failed_record(w.pending[seq], died, ipv6_ok=first.scanner_ipv6))
            w.pending.clear()
            room.set()
            await out.put(_EXITED)

        tasks = [asyncio.create_task(feed(), name="ipv6scan-pool-feeder")]
        tasks += [asyncio.create_task(read(w), name=f"ipv6scan-pool-reader-{i}") for i, w in enumerate(workers)]
        exited, fed = 0, False
        while exited < n or not fed:
            line = await out.get()
            if line is _EXITED:
                exited += 1
            elif line is _FED:
                fed = True
            else:
                yield line  # type: ignore[misc]
        await tasks[0]  # surface a feeder error (unreadable input, no worker left)
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await _stop(workers)
