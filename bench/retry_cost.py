"""What the staggered retry's machinery costs a request that connects in time (issue 16).

One process, uvloop: an HTTP server on loopback and WebProber probing it (http, one address) N times,
with ``retries=0`` (one try, no stagger machinery) and with the default ``retries=1`` (a timer per request,
a second try only if the connect is not made within the stagger). Prints the CPU per probe of each,
client and server together, in rounds alternating the two (this VM's speed drifts within minutes).

    python3 -m bench.retry_cost [--probes 3000] [--rounds 3]

No root, no namespaces: loopback only (192.0.2.10 is routed to it by a LabNetwork).
"""

from __future__ import annotations

import argparse
import asyncio
import time

from ipv6scan.addresses import parse_prefixes
from ipv6scan.config import ScanOptions
from ipv6scan.loop import run
from ipv6scan.model import Outcome
from ipv6scan.net import LabNetwork
from ipv6scan.probe.web import WebProber

ADDRESS = "192.0.2.10"
PAGE = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"


async def _answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.readuntil(b"\r\n\r\n")
    writer.write(PAGE)
    await writer.drain()
    writer.close()


async def _no_dns(name: str, family: object) -> tuple[Outcome, list[str]]:
    return Outcome.DNS_NXDOMAIN, []


async def cpu_per_probe(retries: int, probes: int) -> float:
    """Microseconds of CPU per probe (after 200 probes of warm-up)."""
    server = await asyncio.start_server(_answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    prober = WebProber(network=LabNetwork({(ADDRESS, 80): ("127.0.0.1", port)}), options=ScanOptions(retries=retries),
                       resolve=_no_dns, allowed=parse_prefixes(["192.0.2.0/24"]))
    try:
        for _ in range(200):
            await prober.probe("www.example.test", ADDRESS, "http", 80)
        started = time.process_time()
        for _ in range(probes):
            result, _ = await prober.probe("www.example.test", ADDRESS, "http", 80)
            assert result.outcome == Outcome.OK, result
        return (time.process_time() - started) / probes * 1e6
    finally:
        await prober.aclose()
        server.close()
        await server.wait_closed()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--probes", type=int, default=3000)
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args()
    for n in range(1, args.rounds + 1):
        for retries in (0, 1):
            us = run(cpu_per_probe(retries, args.probes), "uvloop")
            print(f"round {n}: retries={retries}: {us:.1f} us of CPU per probe (client and server, one process)")


if __name__ == "__main__":
    main()
