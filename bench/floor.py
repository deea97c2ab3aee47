"""The floor: the least a Python client must do for ipv6scan's network work per host.

Per host, with nothing else (no checks, no records, no output but one summary line):

* DNS: A and AAAA, at once, over ONE shared UDP socket for the whole run, answers
  matched to questions by message id (an id -> future map); dnspython only builds and
  parses the messages.
* Per family (the first A and the first AAAA): a plain HTTP GET and a TLS handshake +
  GET, each on a fresh TCP connection pinned to the address (Host / SNI = the host
  name, ``Connection: close``, body read to the end), the certificate verified with
  one shared SSLContext. The four requests run at once.
* With ``--tls-versions`` (what ipv6scan does by default): after each HTTPS GET, a
  handshake per other TLS version on a fresh connection to the same address, offering
  that version alone (TLS 1.0/1.1 at OpenSSL security level 0), one after the other, as
  ipv6scan's ``probe/tlsversions.py`` asks them: the version the GET negotiated is not
  asked again, nor TLS 1.3 when the GET got TLS 1.2.
* A fixed pool of ``--concurrency`` workers takes host names from the list.
* The garbage collector tuned as ipv6scan's runs tune it (``ipv6scan.loop.collector_tuned``).

It prints one JSON line: hosts, ok (hosts whose four GETs answered 200), failures by
kind, elapsed seconds. Runs in the benchmark's client namespace::

    python3 bench/floor.py --targets hosts.txt --resolver 192.0.2.1 --ca ca.pem --concurrency 64
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import random
import socket
import ssl
import sys
import time
import warnings
from collections.abc import Iterable

import dns.flags
import dns.message
import dns.rdatatype

BODY_CAP = 512 * 1024


class DnsMux(asyncio.DatagramProtocol):
    """One UDP socket, many questions in flight, answers matched by id."""

    def __init__(self) -> None:
        self.pending: dict[int, asyncio.Future[bytes]] = {}
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport) -> None:  # type: ignore[override]
        self.transport = transport

    def datagram_received(self, data: bytes, addr) -> None:  # type: ignore[override]
        if len(data) < 12:
            return
        fut = self.pending.get(int.from_bytes(data[:2], "big"))
        if fut is not None and not fut.done():
            fut.set_result(data)

    def error_received(self, exc: Exception) -> None:  # pragma: no cover - ICMP errors
        pass

    async def query(self, name: str, rdtype: str, *, timeout: float = 3.0, tries: int = 2) -> dns.message.Message:
        loop = asyncio.get_running_loop()
        for _ in range(tries):
            q = dns.message.make_query(name, rdtype, use_edns=0, payload=1232)
            while q.id in self.pending:
                q.id = random.getrandbits(16)
            fut: asyncio.Future[bytes] = loop.create_future()
            self.pending[q.id] = fut
            try:
                assert self.transport is not None
                self.transport.sendto(q.to_wire())
                async with asyncio.timeout(timeout):
                    data = await fut
            except TimeoutError:
                continue
            finally:
                del self.pending[q.id]
            r = dns.message.from_wire(data)
            if not q.is_response(r):
                raise ValueError("answer does not match the question")
            if r.flags & dns.flags.TC:
                raise ValueError("truncated answer (TCP not implemented in the floor)")
            return r
        raise TimeoutError(f"{name} {rdtype}: no answer")


def first_address(msg: dns.message.Message, rdtype: str) -> str | None:
    want = dns.rdatatype.from_text(rdtype)
    for rrset in msg.answer:
        if rrset.rdtype == want:
            for rr in rrset:
                return rr.address
    return None


VERSIONS = {"TLSv1": ssl.TLSVersion.TLSv1, "TLSv1.1": ssl.TLSVersion.TLSv1_1,
            "TLSv1.2": ssl.TLSVersion.TLSv1_2, "TLSv1.3": ssl.TLSVersion.TLSv1_3}


def version_contexts() -> dict[str, ssl.SSLContext]:
    """A context per TLS version offering it alone, nothing verified (built once)."""
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # ssl.TLSVersion.TLSv1/TLSv1_1: we know
        for name, version in VERSIONS.items():
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
            ctx.minimum_version = ctx.maximum_version = version
            if version < ssl.TLSVersion.TLSv1_2:
                ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
            out[name] = ctx
    return out


async def versions(address: str, host: str, negotiated: str | None, ctxs: dict[str, ssl.SSLContext],
                   timeout: float) -> int:
    """A handshake per version the GET did not already tell about, one after the other; how many completed."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    accepted = 0
    for name, ctx in ctxs.items():
        if name == negotiated or (negotiated == "TLSv1.2" and name == "TLSv1.3"):
            continue
        try:
            async with asyncio.timeout(timeout):
                _, writer = await asyncio.open_connection(address, 443, family=family, ssl=ctx, server_hostname=host)
            accepted += 1
            writer.transport.abort()
        except (OSError, ssl.SSLError, TimeoutError) as e:
            e.__traceback__ = None  # no reference cycle through the frames: freed at once, as ipv6scan does
    return accepted


async def get(address: str, host: str, port: int, ctx: ssl.SSLContext | None, timeout: float,
              ctxs: dict[str, ssl.SSLContext] | None = None) -> int:
    """One GET on a fresh connection to exactly this address; the status code.

    ``ctxs`` (HTTPS only): afterwards, the other TLS versions asked one by one (:func:`versions`)."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    negotiated = None
    async with asyncio.timeout(timeout):
        reader, writer = await asyncio.open_connection(
            address, port, family=family, ssl=ctx, server_hostname=host if ctx else None
        )
        if ctx is not None:
            negotiated = writer.get_extra_info("ssl_object").version()
        try:
            writer.write(
                f"GET / HTTP/1.1\r\nHost: {host}\r\nUser-Agent: floor\r\nAccept: */*\r\n"
                f"Accept-Encoding: identity\r\nConnection: close\r\n\r\n".encode("ascii")
            )
            data = bytearray()
            while len(data) < BODY_CAP:
                chunk = await reader.read(65536)
                if not chunk:
                    break
                data += chunk
        finally:
            writer.close()
    if not data.startswith(b"HTTP/1."):
        raise ValueError("not an HTTP response")
    if ctxs is not None:
        await versions(address, host, negotiated, ctxs, timeout)
    return int(data[9:12])


async def run(hosts: Iterable[str], resolver: str, ca: str, concurrency: int, timeout: float,
              tls_versions: bool = False) -> dict:
    loop = asyncio.get_running_loop()
    family = socket.AF_INET6 if ":" in resolver else socket.AF_INET
    transport, mux = await loop.create_datagram_endpoint(DnsMux, remote_addr=(resolver, 53), family=family)
    ctx = ssl.create_default_context(cafile=ca)  # built once, shared by every handshake
    ctxs = version_contexts() if tls_versions else None
    failures: collections.Counter[str] = collections.Counter()
    ok = total = 0
    it = iter(hosts)  # read lazily: memory does not grow with the list

    async def one(host: str) -> bool:
        try:
            a, aaaa = await asyncio.gather(mux.query(host, "A"), mux.query(host, "AAAA"))
        except Exception as e:  # noqa: BLE001
            failures[f"dns: {type(e).__name__}"] += 1
            return False
        addrs = [x for x in (first_address(a, "A"), first_address(aaaa, "AAAA")) if x]
        if len(addrs) != 2:
            failures["dns: missing A or AAAA"] += 1
        probes = [get(addr, host, port, c, timeout, ctxs if c else None)
                  for addr in addrs for port, c in ((80, None), (443, ctx))]
        results = await asyncio.gather(*probes, return_exceptions=True)
        good = True
        for r in results:
            if isinstance(r, BaseException):
                failures[f"web: {type(r).__name__}"] += 1
                good = False
            elif r != 200:
                failures[f"web: status {r}"] += 1
                good = False
        return good and len(addrs) == 2

    async def worker() -> None:
        nonlocal ok, total
        for host in it:
            total += 1
            good = await one(host)  # (not `ok += await ...`: that reads ok before the await)
            ok += good

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(max(1, concurrency))))
    elapsed = time.perf_counter() - t0
    transport.close()
    return {"tool": "floor", "tls_versions": tls_versions, "hosts": total, "ok": ok, "failures": dict(failures), "elapsed_s": round(elapsed, 3)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--targets", required=True, help="one host name per line")
    p.add_argument("--resolver", required=True, help="DNS server address (port 53)")
    p.add_argument("--ca", required=True, help="CA bundle (PEM) to verify the servers' certificates")
    p.add_argument("--concurrency", type=int, default=64)
    p.add_argument("--timeout", type=float, default=15.0, help="seconds per request as a whole")
    p.add_argument("--tls-versions", action="store_true",
                   help="after each HTTPS GET, a handshake per other TLS version (ipv6scan's default)")
    p.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio",
                   help="event loop (uvloop: the floor on the fastest loop, to compare with ipv6scan on uvloop)")
    args = p.parse_args(argv)
    factory = asyncio.new_event_loop
    if args.loop == "uvloop":
        import uvloop  # noqa: PLC0415 - optional

        factory = uvloop.new_event_loop
    from ipv6scan.loop import collector_tuned  # noqa: PLC0415 - the collector as ipv6scan's runs have it

    with open(args.targets, encoding="utf-8") as f:
        hosts = (line.strip() for line in f if line.strip() and not line.startswith("#"))
        with collector_tuned(), asyncio.Runner(loop_factory=factory) as runner:
            result = runner.run(run(hosts, args.resolver, args.ca, args.concurrency, args.timeout,
                                         args.tls_versions))
        result["loop"] = args.loop
    print(json.dumps(result), flush=True)
    return 0 if result["ok"] == result["hosts"] else 1


if __name__ == "__main__":
    sys.exit(main())
