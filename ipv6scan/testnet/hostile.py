"""Hostile and broken servers on loopback, for robustness tests.

A compliance scanner points at servers nobody here controls. These servers
misbehave on purpose so that tests can check that every probe still ends in
time, with a named outcome and bounded memory.

:class:`HostileServer` runs raw TCP listeners (no HTTP library: nothing
smooths the misbehaviour away), one behaviour per listener. Behaviours that
"answer" read the request head first; the others act on their own:

* ``never_answer``: accepts, reads, never sends a byte.
* ``slowloris``: from the start, trickles a plausible HTTP response one byte
  every ``interval`` seconds (each byte well within any read timeout).
* ``slow_answer``: a valid small response after ``interval`` seconds (for
  politeness tests: it keeps connections open for a while).
* ``endless_body``: 200 without a length, then body bytes until the client goes.
* ``huge_body``: 200 with ``Content-Length`` 50 MB, streamed.
* ``gzip_bomb``: ``Content-Encoding: gzip`` on ~1 MiB that inflates to 1 GiB,
  whatever ``Accept-Encoding`` said.
* ``endless_headers``: a status line, then header lines forever.
* ``endless_line``: from the start, bytes without a line end, forever.
* ``redirect_loop``: 302 to the very URL asked.
* ``long_redirect_chain``: ``/hop/N`` redirects to ``/hop/N+1``, 200 at hop 50.
* ``slow_redirect_chain``: the same, each answer ``interval`` seconds late.
* ``redirect_to``: 302 to a fixed ``location`` (file:, javascript:, private IPs, ...).
* ``tls_garbage``: reads the ClientHello, answers random bytes, hangs up.
* ``http09``: a page with no status line and no headers, then hangs up (HTTP/0.9).
* ``non_http_banner``: says ``SSH-2.0-OpenSSH_9.6`` and waits.
* ``reset_after_accept``: accepts and resets the connection (RST).
* ``informational_flood``: ``100 Continue`` and ``103 Early Hints`` responses, forever, never the final one.
* ``tiny_chunks``: 200, chunked, then one-byte chunks forever.
* ``open_after_page``: a page without ``Content-Length``, then the connection left open, silent.

:class:`HostileDnsServer` is the test network's DNS server with per-name
misbehaviour (see ``DNS_BEHAVIOURS``); other names are answered normally.
"""

from __future__ import annotations

import asyncio
import errno
import functools
import gzip
import itertools
import random
import socket
import struct
import time

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from ._tcp import TcpServers
from .dns_server import DnsServer

BEHAVIOURS = frozenset(
    {
        "never_answer",
        "slowloris",
        "slow_answer",
        "endless_body",
        "huge_body",
        "gzip_bomb",
        "endless_headers",
        "endless_line",
        "redirect_loop",
        "long_redirect_chain",
        "slow_redirect_chain",
        "redirect_to",
        "tls_garbage",
        "http09",
        "non_http_banner",
        "reset_after_accept",
        "informational_flood",
        "tiny_chunks",
        "open_after_page",
    }
)
HUGE_BODY = 50_000_000  # bytes declared (and streamed) by huge_body
BOMB_INFLATED = 1 << 30  # bytes a gzip_bomb body inflates to
REDIRECT_HOPS = 50  # long_redirect_chain: hops before the final 200
SSH_BANNER = b"SSH-2.0-OpenSSH_9.6\r\n"

_CHUNK = 64 * 1024
_HEAD_LIMIT = 16 * 1024  # bytes of request head read at most
_LIFETIME = 30.0  # no connection lives longer, whatever the client does
_SLOW = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 1000\r\n\r\n" + b"x" * 1000
_HTTP09_PAGE = b"<html>\r\n<head><title>1991</title></head>\r\n\r\n<body>No status line, no headers.</body></html>\r\n"
_SMALL_PAGE = b"<html><head><title>fine</title></head><body>a small page</body></html>"


@functools.cache
def gzip_bomb() -> bytes:
    """One gzip member of 16 MiB of zeros, repeated: ~1 MiB that inflates to BOMB_INFLATED bytes."""
    member = gzip.compress(bytes(16 << 20), compresslevel=9)
    return member * (BOMB_INFLATED // (16 << 20))


def _response(status: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return f"HTTP/1.1 {status}\r\n{head}\r\n".encode() + body


_SMALL_RESPONSE = _response(
    "200 OK", {"Content-Type": "text/html", "Content-Length": str(len(_SMALL_PAGE)), "Connection": "close"}, _SMALL_PAGE
)


class HostileServer:
    """Raw TCP listeners on loopback, each with one misbehaviour.

    ``connections`` counts accepted connections per port, ``peak`` the most
    open at once, ``accepted`` their times (``time.monotonic``), and
    ``heads`` the request heads read, per port.
    """

    def __init__(self, *, interval: float = 1.0) -> None:
        self.interval = interval  # slowloris: seconds between bytes; slow_answer, slow_redirect_chain: delay
        self.connections: dict[int, int] = {}
        self.peak: dict[int, int] = {}
        self.accepted: dict[int, list[float]] = {}
        self.heads: dict[int, list[bytes]] = {}
        self._open: dict[int, int] = {}
        self._tcp = TcpServers()

    async def listen(self, host: str, behaviour: str, *, location: str = "", port: int = 0) -> int:
        """Start a listener on ``host`` (127.0.0.1 or ::1) with one behaviour; returns its port."""
        if behaviour not in BEHAVIOURS:
            raise ValueError(f"unknown behaviour {behaviour!r}; one of {', '.join(sorted(BEHAVIOURS))}")
        if behaviour == "redirect_to" and not location:
            raise ValueError("redirect_to needs a location")
        if behaviour == "gzip_bomb":
            await asyncio.to_thread(gzip_bomb)  # built once, before any client waits for it

        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await self._serve(reader, writer, bound, behaviour, location)

        server = await asyncio.start_server(serve, host, port, limit=_HEAD_LIMIT)
        bound = server.sockets[0].getsockname()[1]
        self._tcp.servers.append(server)
        self.connections[bound] = self.peak[bound] = self._open[bound] = 0
        self.accepted[bound], self.heads[bound] = [], []
        return bound

    async def listen_both(self, behaviour: str, *, location: str = "", tries: int = 20) -> int:
        """One behaviour on 127.0.0.1 and ::1 on the same port; its port.

        The port is the kernel's pick on 127.0.0.1; ::1 may have it taken already (another program's
        ephemeral port): then both are given up and another port is tried.
        """
        for _ in range(tries):
            port = await self.listen("127.0.0.1", behaviour, location=location)
            try:
                await self.listen("::1", behaviour, location=location, port=port)
            except OSError as e:
                if e.errno != errno.EADDRINUSE:
                    raise
                server = self._tcp.servers.pop()
                server.close()
                await server.wait_closed()
                continue
            return port
        raise OSError(errno.EADDRINUSE, "no port free on both 127.0.0.1 and ::1")

    async def close(self) -> None:
        await self._tcp.close()

    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, port: int, behaviour: str, location: str
    ) -> None:
        self._tcp.track(writer)
        self.connections[port] += 1
        self.accepted[port].append(time.monotonic())
        self._open[port] += 1
        self.peak[port] = max(self.peak[port], self._open[port])
        try:
            async with asyncio.timeout(_LIFETIME):
                await getattr(self, f"_{behaviour}")(reader, writer, port, location)
                await writer.drain()
        except (OSError, EOFError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass  # the client went away (or never finished its request): nothing to do
        finally:
            self._open[port] -= 1
            self._tcp.untrack(writer)
            writer.close()

    async def _head(self, reader: asyncio.StreamReader, port: int) -> bytes:
        head = await reader.readuntil(b"\r\n\r\n")
        self.heads[port].append(head)
        return head

    @staticmethod
    def _path(head: bytes) -> str:
        parts = head.split(b"\r\n", 1)[0].split(b" ")
        return parts[1].decode("latin-1") if len(parts) > 2 else "/"

    # ------------------------------------------------------------ behaviours

    async def _never_answer(self, reader, writer, port, location) -> None:
        while await reader.read(_CHUNK):
            pass

    async def _slowloris(self, reader, writer, port, location) -> None:
        for i in range(len(_SLOW)):
            if writer.is_closing() or reader.at_eof():
                return
            writer.write(_SLOW[i : i + 1])
            await writer.drain()
            await asyncio.sleep(self.interval)

    async def _slow_answer(self, reader, writer, port, location) -> None:
        await self._head(reader, port)
        await asyncio.sleep(self.interval)
        writer.write(_SMALL_RESPONSE)

    async def _stream(self, writer: asyncio.StreamWriter, head: bytes, total: int | None) -> None:
        """Write ``head`` then body chunks: ``total`` bytes, or forever (None)."""
        writer.write(head)
        sent, chunk = 0, b"<p>" + b"a" * (_CHUNK - 3)
        while total is None or sent < total:
            piece = chunk if total is None else chunk[: total - sent]
            writer.write(piece)
            sent += len(piece)
            await writer.drain()

    async def _endless_body(self, reader, writer, port, location) -> None:
        await self._head(reader, port)
        await self._stream(writer, _response("200 OK", {"Content-Type": "text/html", "Connection": "close"}), None)

    async def _huge_body(self, reader, writer, port, location) -> None:
        await self._head(reader, port)
        head = _response("200 OK", {"Content-Type": "text/html", "Content-Length": str(HUGE_BODY)})
        await self._stream(writer, head, HUGE_BODY)

    async def _gzip_bomb(self, reader, writer, port, location) -> None:
        await self._head(reader, port)
        bomb = gzip_bomb()
        headers = {"Content-Type": "text/html", "Content-Encoding": "gzip", "Content-Length": str(len(bomb))}
        writer.write(_response("200 OK", headers))
        for i in range(0, len(bomb), _CHUNK):
            writer.write(bomb[i : i + _CHUNK])
            await writer.drain()

    async def _endless_headers(self, reader, writer, port, location) -> None:
        await self._head(reader, port)
        writer.write(b"HTTP/1.1 200 OK\r\n")
        for n in itertools.count():
            writer.write(f"X-Junk-{n}: {'j' * 100}\r\n".encode())
            await writer.drain()

    async def _endless_line(self, reader, writer, port, location) -> None:
        while True:
            writer.write(b"A" * _CHUNK)
            await writer.drain()

    @staticmethod
    def _redirect(writer: asyncio.StreamWriter, location: str) -> None:
        writer.write(_response("302 Found", {"Location": location, "Content-Length": "0", "Connection": "close"}))

    async def _redirect_loop(self, reader, writer, port, location) -> None:
        self._redirect(writer, self._path(await self._head(reader, port)))

    async def _long_redirect_chain(self, reader, writer, port, location) -> None:
        path = self._path(await self._head(reader, port))
        hop = int(path[5:]) if path.startswith("/hop/") and path[5:].isdigit() else 0
        if hop < REDIRECT_HOPS:
            self._redirect(writer, f"/hop/{hop + 1}")
        else:
            writer.write(_SMALL_RESPONSE)

    async def _slow_redirect_chain(self, reader, writer, port, location) -> None:
        await asyncio.sleep(self.interval)
        await self._long_redirect_chain(reader, writer, port, location)

    async def _redirect_to(self, reader, writer, port, location) -> None:
        await self._head(reader, port)
        self._redirect(writer, location)

    async def _tls_garbage(self, reader, writer, port, location) -> None:
        await reader.read(_CHUNK)  # the ClientHello
        writer.write(random.Random(port).randbytes(1024))

    async def _http09(self, reader, writer, port, location) -> None:
        await self._head(reader, port)
        writer.write(_HTTP09_PAGE)

    async def _non_http_banner(self, reader, writer, port, location) -> None:
        writer.write(SSH_BANNER)
        await writer.drain()
        await self._never_answer(reader, writer, port, location)

    async def _reset_after_accept(self, reader, writer, port, location) -> None:
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()

    async def _informational_flood(self, reader, writer, port, location) -> None:
        await self._head(reader, port)
        interim = (b"HTTP/1.1 100 Continue\r\n\r\n"
                   b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload; as=style\r\n\r\n") * 500
        while True:
            writer.write(interim)
            await writer.drain()

    async def _tiny_chunks(self, reader, writer, port, location) -> None:
        await self._head(reader, port)
        writer.write(_response("200 OK", {"Content-Type": "text/html", "Transfer-Encoding": "chunked"}))
        while True:
            writer.write(b"1\r\na\r\n" * 4096)
            await writer.drain()

    async def _open_after_page(self, reader, writer, port, location) -> None:
        await self._head(reader, port)
        writer.write(_response("200 OK", {"Content-Type": "text/html"}, _SMALL_PAGE))
        await writer.drain()
        await self._never_answer(reader, writer, port, location)


# ---------------------------------------------------------------- DNS

DNS_BEHAVIOURS = frozenset(
    {
        "truncated",  # TC set and no answer, over UDP and over TCP alike
        "malformed",  # a reply whose header promises records that are not there
        "oversized",  # 500 AAAA records: too big for UDP, fine over TCP
        "wrong_id",  # the reply carries another message ID
        "wrong_question",  # the reply is about another name
        "inconsistent",  # the question is echoed, but the answer holds records of another name and type
        "cname_loop",  # the name is a CNAME to itself
        "cname_endless",  # every name is a CNAME to a new, longer name
    }
)
OVERSIZED_RECORDS = 500


class HostileDnsServer(DnsServer):
    """The test network's DNS server, with per-name misbehaviour on top (see DNS_BEHAVIOURS).

    A behaviour set for a name applies to every name under it too, so that
    ``cname_endless`` keeps misbehaving along the chain it makes up.
    Other names are answered by the normal server.
    """

    def __init__(self, zones: dict[str, str] | None = None) -> None:
        super().__init__(zones)
        self._hostile: dict[dns.name.Name, str] = {}

    def set_hostile(self, name: str, behaviour: str) -> None:
        if behaviour not in DNS_BEHAVIOURS:
            raise ValueError(f"unknown behaviour {behaviour!r}; one of {', '.join(sorted(DNS_BEHAVIOURS))}")
        self._hostile[dns.name.from_text(name)] = behaviour

    def answer(self, wire: bytes, transport: str, client: str) -> bytes | None:
        try:
            query = dns.message.from_wire(wire)
            qname, rdtype = query.question[0].name, query.question[0].rdtype
        except Exception:  # junk: the normal server ignores it
            return super().answer(wire, transport, client)
        base = next((n for n in self._hostile if qname.is_subdomain(n)), None)
        if base is None:
            return super().answer(wire, transport, client)
        self.queries.append((transport, qname.to_text(True).lower(), dns.rdatatype.to_text(rdtype), client))
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        return _HOSTILE_ANSWERS[self._hostile[base]](response, qname, rdtype, transport, base)


def _add(response: dns.message.Message, name: dns.name.Name | str, rdtype: str, *texts: str) -> None:
    owner = dns.name.from_text(name) if isinstance(name, str) else name
    response.answer.append(dns.rrset.from_text_list(owner, 300, "IN", rdtype, list(texts)))


def _truncated(response, qname, rdtype, transport, base) -> bytes:
    response.flags |= dns.flags.TC
    return response.to_wire()


def _malformed(response, qname, rdtype, transport, base) -> bytes:
    response.use_edns(False)
    wire = response.to_wire()
    return wire[:6] + struct.pack("!H", 3) + wire[8:] + b"\xc0\x0c\x00"  # 3 answers promised, 3 bytes follow


def _oversized(response, qname, rdtype, transport, base) -> bytes:
    if transport == "udp":
        return _truncated(response, qname, rdtype, transport, base)
    if rdtype == dns.rdatatype.AAAA:
        _add(response, qname, "AAAA", *(f"2001:db8::{i:x}" for i in range(1, OVERSIZED_RECORDS + 1)))
    return response.to_wire(max_size=65535)


def _wrong_id(response, qname, rdtype, transport, base) -> bytes:
    wire = response.to_wire()
    return struct.pack("!H", (response.id + 1) & 0xFFFF) + wire[2:]


def _wrong_question(response, qname, rdtype, transport, base) -> bytes:
    other = dns.message.make_query("elsewhere.invalid", rdtype)
    other.id = response.id
    reply = dns.message.make_response(other)
    _add(reply, "elsewhere.invalid", "A", "192.0.2.66")
    return reply.to_wire()


def _inconsistent(response, qname, rdtype, transport, base) -> bytes:
    _add(response, "elsewhere.invalid", "A", "192.0.2.66")
    return response.to_wire()


def _cname_loop(response, qname, rdtype, transport, base) -> bytes:
    _add(response, qname, "CNAME", qname.to_text())
    return response.to_wire()


def _cname_endless(response, qname, rdtype, transport, base) -> bytes:
    target = dns.name.Name((b"x%d" % random.randrange(10**9),) + base.labels)  # a new name every time
    _add(response, qname, "CNAME", target.to_text())
    return response.to_wire()


_HOSTILE_ANSWERS = {
    "truncated": _truncated,
    "malformed": _malformed,
    "oversized": _oversized,
    "wrong_id": _wrong_id,
    "wrong_question": _wrong_question,
    "inconsistent": _inconsistent,
    "cname_loop": _cname_loop,
    "cname_endless": _cname_endless,
}
