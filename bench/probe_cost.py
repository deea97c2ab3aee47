"""What one web probe costs in CPU, against a bare asyncio GET of the same server (issue 16).

One process, uvloop: an HTTP server on loopback, and N requests to it of each kind, in rounds (this VM's
speed drifts within minutes):

* ``raw``: ``asyncio.open_connection``, write a GET, read to the end: the floor's request (bench/floor.py);
* ``probe retries=0``: ipv6scan's ``WebProber.probe`` (http, one address) with one try;
* ``probe retries=1``: the same with the default retry (a timer per request for the staggered retry).

Prints the client's CPU per request of each (the server runs in a process of its own, so its CPU is not
counted and its TLS work does not blur the figures; ``--one-process`` puts it back in the client's, as
before): the difference between the probe and raw is what the probe's own layers cost a request (politeness, reachability, deadlines, parsing, the
facts recorded); between the two probe rows, what the staggered retry's timer costs.

``--versions``: the TLS-version handshakes instead (a TLS 1.2/1.3 server on loopback, a certificate from
a throw-away CA, trustme): the floor's three handshakes (TLS 1.0, 1.1, 1.2 each offered alone, as
bench/floor.py asks them when 1.3 was negotiated) against ``TlsVersionProber.probe`` asking the same.

    python3 -m bench.probe_cost [--probes 3000] [--rounds 3] [--versions]

No root, no namespaces: loopback only (192.0.2.10 is routed to it by a LabNetwork).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

from ipv6scan.addresses import parse_prefixes
from ipv6scan.config import ScanOptions
from ipv6scan.loop import collector_tuned, run
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


async def _cpu_us(one: Callable[[], Awaitable[None]], *, warm_up: int, times: int) -> float:
    """Microseconds of this process's CPU per ``await one()``, after ``warm_up`` of them."""
    for _ in range(warm_up):
        await one()
    started = time.process_time()
    for _ in range(times):
        await one()
    return (time.process_time() - started) / times * 1e6


@contextlib.asynccontextmanager
async def _server_at(port: int | None, start: Callable[[], Awaitable[asyncio.Server]]) -> AsyncIterator[int]:
    """``port``; or, when None, the port of a server ``start()`` runs in this process (its CPU counted with the
    client's), closed afterwards."""
    if port is not None:
        yield port
        return
    server = await start()
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


async def raw_get(port: int) -> int:
    """The floor's request: connect, write a GET, read to the end; the status code."""
    async with asyncio.timeout(5):
        reader, writer = await asyncio.open_connection("127.0.0.1", port, family=socket.AF_INET)
        try:
            writer.write(b"GET / HTTP/1.1\r\nHost: www.example.test\r\nUser-Agent: floor\r\nAccept: */*\r\n"
                         b"Accept-Encoding: identity\r\nConnection: close\r\n\r\n")
            data = bytearray()
            while chunk := await reader.read(65536):
                data += chunk
        finally:
            writer.close()
    return int(data[9:12])


async def http_server(port: int = 0) -> asyncio.Server:
    return await asyncio.start_server(_answer, "127.0.0.1", port)


async def tls_server(port: int = 0) -> asyncio.Server:
    """A TLS 1.2/1.3 server (a throw-away CA's certificate, trustme) holding each connection until the client goes."""
    import ssl

    import trustme

    ca = trustme.CA()
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("www.example.test").configure_cert(server_ctx)

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.read(1)
        except (OSError, ssl.SSLError):
            pass
        writer.close()

    return await asyncio.start_server(hold, "127.0.0.1", port, ssl=server_ctx)


def _serve(tls: bool, ports: multiprocessing.Queue) -> None:
    """The server process: listen, say the port, serve until terminated."""
    async def serve() -> None:
        server = await (tls_server() if tls else http_server())
        ports.put(server.sockets[0].getsockname()[1])
        await asyncio.Event().wait()

    run(serve(), "uvloop")


@contextlib.contextmanager
def server_process(tls: bool) -> Iterator[int]:
    """A server (plain HTTP, or TLS) in a process of its own; its port."""
    ctx = multiprocessing.get_context("fork")  # (before any loop of this process runs: nothing to inherit)
    ports: multiprocessing.Queue = ctx.Queue()
    child = ctx.Process(target=_serve, args=(tls, ports), daemon=True)
    child.start()
    try:
        yield ports.get(timeout=30)
    finally:
        child.terminate()
        child.join(10)


async def cpu_per_request(kind: str, requests: int, port: int | None = None) -> float:
    """Microseconds of CPU per request of ``kind`` (``raw``, ``retries=0``, ``retries=1``), after 200 of warm-up,
    to the server at ``port`` (None: one started in this process, its CPU counted too)."""
    async with _server_at(port, http_server) as port:
        retries = 1 if kind == "retries=1" else 0
        prober = WebProber(network=LabNetwork({(ADDRESS, 80): ("127.0.0.1", port)}),
                           options=ScanOptions(retries=retries), resolve=_no_dns,
                           allowed=parse_prefixes(["192.0.2.0/24"]))

        async def one() -> None:
            if kind == "raw":
                assert await raw_get(port) == 200
            else:
                result, _ = await prober.probe("www.example.test", ADDRESS, "http", 80)
                assert result.outcome == Outcome.OK, result

        try:
            return await _cpu_us(one, warm_up=200, times=requests)
        finally:
            await prober.aclose()


async def cpu_per_versions(kind: str, rounds: int, port: int | None = None) -> float:
    """Microseconds of CPU per three TLS-version handshakes of ``kind`` (``floor`` or ``ipv6scan``) to the server at
    ``port`` (None: one started in this process, its CPU counted too)."""
    import ssl
    import warnings

    from bench.floor import version_contexts
    from ipv6scan.polite import Polite
    from ipv6scan.probe.tlsversions import TlsVersionProber

    async with _server_at(port, tls_server) as port:
        prober = TlsVersionProber(network=LabNetwork({(ADDRESS, 443): ("127.0.0.1", port)}), polite=Polite(4),
                                  timeout=5)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            contexts = [c for name, c in version_contexts().items() if name != "TLSv1.3"]

        async def one() -> None:
            if kind == "ipv6scan":
                await prober.probe("www.example.test", ADDRESS, 443, "TLSv1.3")
                return
            for ctx in contexts:  # bench/floor.py's versions(), to the loopback port
                try:
                    async with asyncio.timeout(5):
                        _, writer = await asyncio.open_connection("127.0.0.1", port, family=socket.AF_INET, ssl=ctx,
                                                                  server_hostname="www.example.test")
                    writer.transport.abort()
                except (OSError, ssl.SSLError, TimeoutError) as e:
                    e.__traceback__ = None

        try:
            return await _cpu_us(one, warm_up=50, times=rounds)
        finally:
            await asyncio.sleep(0.2)  # the server's last handlers see their connections end


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--probes", type=int, default=3000, help="requests of each kind per round")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--versions", action="store_true", help="the TLS-version handshakes instead")
    p.add_argument("--one-process", action="store_true", help="the server in this process, its CPU counted too")
    args = p.parse_args()
    whose = "client and server, one process" if args.one_process else "client only"
    with contextlib.nullcontext(None) if args.one_process else server_process(tls=args.versions) as port:
        if args.versions:
            for n in range(1, args.rounds + 1):
                for kind in ("floor", "ipv6scan"):
                    with collector_tuned():
                        us = run(cpu_per_versions(kind, max(1, args.probes // 5), port), "uvloop")
                    print(f"round {n}: {kind}: {us:.0f} us of CPU per 3 version handshakes ({whose})")
            return
        for n in range(1, args.rounds + 1):
            for kind in ("raw", "retries=0", "retries=1"):
                label = "raw GET" if kind == "raw" else f"probe {kind}"
                with collector_tuned():  # as a scan's run has it
                    us = run(cpu_per_request(kind, args.probes, port), "uvloop")
                print(f"round {n}: {label}: {us:.1f} us of CPU per request ({whose})")


if __name__ == "__main__":
    main()
