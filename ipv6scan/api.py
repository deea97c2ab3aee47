"""The blocking convenience of the public API: scan a few host names, get their records.

``ipv6scan.scan_hosts(hosts)`` is for scripts and notebooks with short lists: it keeps every
record in memory and returns them in the order the hosts finished. Long lists go through
:func:`ipv6scan.pipeline.scan_all`, which streams each record to a sink as it comes.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterable

from .config import ScanOptions
from .errors import UsageProblem
from .loop import Loop, run
from .model import HostRecord, InputError, ScanLine
from .net import Network
from .pipeline import scan_all
from .targets import Target, read_targets

__all__ = ["scan_hosts"]


class _Collect:
    def __init__(self) -> None:
        self.records: list[HostRecord] = []

    def write(self, line: ScanLine) -> None:
        if isinstance(line, HostRecord):
            self.records.append(line)

    def close(self) -> None:
        pass


def _targets(hosts: Iterable[str | Target]) -> list[Target]:
    targets: list[Target] = []
    names: list[str] = []
    for host in hosts:
        if isinstance(host, Target):
            targets.append(host)
        elif "\n" in host or "\r" in host:
            raise UsageProblem(f"{host!r}: a host name cannot hold a line break")
        else:
            names.append(host)
    problems: list[InputError] = []
    for item in read_targets(io.StringIO("\n".join(names)), name="<api>"):
        (problems if isinstance(item, InputError) else targets).append(item)  # type: ignore[arg-type]
    if problems:
        raise UsageProblem("; ".join(f"{p.text!r}: {p.problem}" for p in problems))
    return targets


def scan_hosts(
    hosts: Iterable[str | Target],
    options: ScanOptions | None = None,
    *,
    network: Network | None = None,
    loop: Loop | str = Loop.AUTO,
) -> list[HostRecord]:
    """Scan ``hosts`` (names or URLs as in a target list, or :class:`Target`) and return their records.

    Blocks until every host is done, on a new event loop (``loop``: auto, asyncio or uvloop).
    A bad entry raises :class:`~ipv6scan.errors.UsageProblem` naming it, before anything is
    scanned. Called from a running event loop, it says to await :func:`scan_all` instead.
    """
    targets = _targets(hosts)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        raise UsageProblem("ipv6scan.scan_hosts() blocks; inside an event loop, await ipv6scan.scan_all(...) instead")
    sink = _Collect()
    run(scan_all(targets, options or ScanOptions(), sink, network=network), loop)
    return sink.records
