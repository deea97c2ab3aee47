"""A worker process of a multi-process scan (``ScanOptions.workers > 1``; the pool is in ``workers.py``).

Run as ``python -m ipv6scan._worker [asyncio|uvloop]`` (the main process's event loop) with pipes on stdin and stdout. The
protocol is JSON Lines (msgspec):

* main -> worker: one :class:`Config` line, then one :class:`Job` line per
  target, then ``null`` when there are no more targets;
* worker -> main: its :class:`~ipv6scan.model.ScanHeader`, then one
  :class:`Done` line per host as it finishes.

After ``null`` the worker finishes its outstanding hosts and exits 0. End of
stdin *without* ``null`` means the main process is gone (killed) or is
cancelling the scan: the worker stops at once (exit code 3), so no worker
outlives its scan. SIGINT is ignored: Ctrl-C in a terminal reaches the whole
process group, and the main process is the one that handles it.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import AsyncIterator

import msgspec

from .config import ScanOptions
from .model import HostRecord
from .targets import Target

LINE_LIMIT = 32 * 1024 * 1024
"""Bytes of one line on the worker pipes at most (a host record is far smaller)."""
STOPPED = 3
"""Exit code of a worker stopped by the end of its stdin before ``null``."""


class Config(msgspec.Struct, kw_only=True):
    options: ScanOptions  # this worker's share (workers=1, divided limits)
    lab_routes: str | None = None  # LabNetwork.to_json(); None: direct connections


class Job(msgspec.Struct, array_like=True):
    seq: int  # the main process's number for this target
    target: Target


class Done(msgspec.Struct, array_like=True):
    seq: int
    record: HostRecord


END = b"null\n"

_encoder = msgspec.json.Encoder()
_jobs = msgspec.json.Decoder(Job | None)


def encode(message: object) -> bytes:
    return _encoder.encode(message) + b"\n"


async def _pipes() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=LINE_LIMIT)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin.buffer)
    transport, protocol = await loop.connect_write_pipe(asyncio.streams.FlowControlMixin, sys.stdout.buffer)
    transport.set_write_buffer_limits(0)  # drain() returns once a line is in the pipe: none is lost at exit
    return reader, asyncio.StreamWriter(transport, protocol, None, loop)


async def serve() -> None:
    from .net import LabNetwork, Network
    from .runner import stream
    from .scan import Scanner, failed_record

    reader, writer = await _pipes()
    config = msgspec.json.decode(await reader.readline(), type=Config)
    network = LabNetwork.from_json(config.lab_routes) if config.lab_routes else Network()
    me = asyncio.current_task()
    async with Scanner(config.options, network) as scanner:
        writer.write(encode(scanner.header()))
        await writer.drain()

        async def jobs() -> AsyncIterator[Job]:
            while line := await reader.readline():
                job = _jobs.decode(line)
                if job is None:
                    return
                yield job
            me.cancel()  # type: ignore[union-attr]  # the main process is gone or cancelling: stop now

        def line_of(job: Job, record: HostRecord) -> bytes:
            line = encode(Done(seq=job.seq, record=record))
            if len(line) >= LINE_LIMIT:
                too_big = ValueError(f"its record of {len(line)} bytes is over the {LINE_LIMIT}-byte line limit")
                line = encode(Done(seq=job.seq, record=failed_record(job.target, too_big, ipv6_ok=scanner.ipv6_ok)))
            return line

        async def work(job: Job) -> bytes:
            return line_of(job, await scanner.scan(job.target))

        def on_error(job: Job, exc: BaseException) -> bytes:
            return line_of(job, failed_record(job.target, exc, ipv6_ok=scanner.ipv6_ok))

        results = stream(jobs(), work, concurrency=config.options.concurrency, is_work=lambda _: True,
                         on_error=on_error)
        async for line in results:
            writer.write(line)
            await writer.drain()
    writer.close()


def main() -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from .loop import run

    try:
        run(serve(), _loop_from_argv())
    except asyncio.CancelledError:
        return STOPPED
    except (BrokenPipeError, ConnectionResetError):  # the main process is gone
        return STOPPED
    return 0


def _loop_from_argv() -> str:
    from .loop import Loop

    return sys.argv[1] if len(sys.argv) > 1 and sys.argv[1] in (Loop.ASYNCIO, Loop.UVLOOP) else Loop.ASYNCIO


if __name__ == "__main__":
    sys.exit(main())
