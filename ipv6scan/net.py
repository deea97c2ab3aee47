"""The network edge: every socket the scanner opens is opened through a Network.

``Network`` connects where it is told. ``LabNetwork`` routes a fixed table of
(address, port) pairs to other (address, port) pairs and refuses everything
else, so that tests and ``ipv6scan demo`` can publish documentation addresses
(192.0.2.0/24, 2001:db8::/32) in their DNS and still reach servers listening on
loopback ports without root — and so that nothing ever leaves the machine.
Nothing monkeypatches sockets: probes take a Network.
"""

from __future__ import annotations

import asyncio
import errno
import functools
import json
import socket
import ssl as _ssl
from pathlib import Path
import secrets
from collections.abc import Callable
from typing import Any, TypeVar

from .addresses import canonical, special_category

# A public, well-known IPv6 address used only to ask the kernel for a route:
# connect() on a UDP socket sends no packet.
_ROUTE_PROBE_V6 = "2001:4860:4860::8888"
_UDP_RECEIVE_BUFFER = 1 << 20  # bytes of DNS answers a shared UDP socket may hold unread
P = TypeVar("P", bound=asyncio.BaseProtocol)


class Unroutable(OSError):
    """The lab network has no route for this address: nothing was sent."""

    def __init__(self, address: str, port: int) -> None:
        super().__init__(errno.ENETUNREACH, f"no route to {format_hostport(address, port)} in the lab network")


def normalise_ip(address: str) -> str:
    return canonical(address.strip("[]"))


def format_hostport(address: str, port: int) -> str:
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


def split_hostport(text: str, default_port: int | None = None) -> tuple[str, int]:
    """Parse ``1.2.3.4``, ``1.2.3.4:53``, ``::1``, ``[::1]:53`` into (address, port)."""
    text = text.strip()
    if text.startswith("["):
        addr, _, rest = text[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    elif text.count(":") == 1:
        addr, port = text.split(":")
    else:
        addr, port = text, ""
    try:
        addr = normalise_ip(addr)
    except ValueError:
        raise ValueError(f"not an IP address: {text!r}") from None
    if port:
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"bad port in {text!r}")
        return addr, int(port)
    if default_port is None:
        raise ValueError(f"no port in {text!r}")
    return addr, default_port


class Network:
    """Direct connections: the address asked is the address connected to."""

    name = "direct"

    def route(self, address: str, port: int) -> tuple[str, int]:
        return normalise_ip(address), port

    async def open_tcp(
        self,
        address: str,
        port: int,
        *,
        timeout: float | None,
        limit: int = 2**16,
        routed: bool = False,
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """A fresh TCP connection to exactly this address, as asyncio streams (DNS over TCP, SMTP): what
        ``asyncio.open_connection`` builds, over :meth:`connect` (its rules: no name resolution, the address's
        family, ``timeout`` for the connect, ``routed``). ``limit``: the reader's buffer limit."""
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader(limit=limit, loop=loop)
        transport, protocol = await self.connect(
            address, port, lambda: asyncio.StreamReaderProtocol(reader, loop=loop), timeout=timeout, routed=routed)
        return reader, asyncio.StreamWriter(transport, protocol, reader, loop)  # type: ignore[arg-type]

    async def connect(
        self,
        address: str,
        port: int,
        protocol_factory: Callable[[], P],
        *,
        timeout: float | None,
        ssl: _ssl.SSLContext | None = None,
        server_hostname: str | None = None,
        on_connected: Callable[[], object] | None = None,
        routed: bool = False,
    ) -> tuple[asyncio.BaseTransport, P]:
        """A fresh TCP (optionally TLS) connection to exactly this address, driving a protocol of the caller's:
        the transport (the TLS one after a handshake) and the protocol.

        No name resolution, no Happy Eyeballs: the socket's family is the address's family. ``timeout`` covers
        connect and TLS handshake (None: no limit); a handshake that runs out of it raises ``TimeoutError``
        like a connect. ``routed``: the address is where to go already (what :meth:`route` gave, or a
        configured resolver): it is not routed again. ``on_connected`` is called once the TCP connection is
        made, before TLS. The protocol's ``connection_made`` sees the TCP transport; after a handshake its data
        comes through the TLS transport returned here (``loop.start_tls``), which is the one to write to.

        The handshake is a separate ``start_tls`` bounded by its own ``ssl_handshake_timeout`` (what is left),
        not a cancellation of ``create_connection(ssl=…)``: under uvloop, a cancel landing in the instant the
        handshake completed closed the socket before the client's Finished was flushed, and uvloop reported
        "Fatal error on SSL protocol" with a traceback on stderr (about 1800 in a 1000-host run with 0.2 s
        timeouts: tests/test_bench_smoke.py)."""
        host, p = (normalise_ip(address), port) if routed else self.route(address, port)
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        async with asyncio.timeout_at(deadline):
            transport, protocol = await loop.create_connection(protocol_factory, host, p, family=family)
        if on_connected is not None:
            on_connected()  # the TCP connection is made (before any TLS)
        if ssl is None:
            return transport, protocol
        if transport.is_closing():  # the server closed at once: uvloop's start_tls would write to a closed handle
            transport.abort()
            raise ConnectionResetError(errno.ECONNRESET, "Connection lost before the TLS handshake")
        left = None if deadline is None else max(deadline - loop.time(), 1e-3)
        try:  # bounded by its own timeout (what is left), never cancelled: see above
            tls = await loop.start_tls(transport, protocol, ssl, server_hostname=server_hostname,
                                       ssl_handshake_timeout=left)
        except BaseException as e:
            transport.abort()
            if isinstance(e, ConnectionAbortedError) and deadline is not None and loop.time() >= deadline - 0.05:
                raise TimeoutError("TLS handshake timed out") from e  # (ran out of time: like a connect)
            raise
        return tls, protocol  # type: ignore[return-value]  (start_tls's Transport | None: never None here)

    async def tls_handshake(
        self, address: str, port: int, *, timeout: float, ssl: _ssl.SSLContext, server_hostname: str | None,
    ) -> asyncio.BaseTransport:
        """A fresh TCP connection to exactly this address and a TLS handshake on it, with no streams: the TLS
        transport, for what the handshake negotiated (``get_extra_info("ssl_object")``); the caller aborts it.

        For a handshake and nothing after (the TLS-version probes): :meth:`connect` with a protocol that reads
        nothing."""
        transport, _ = await self.connect(address, port, asyncio.Protocol, timeout=timeout, ssl=ssl,
                                          server_hostname=server_hostname)
        return transport

    def udp_socket(self, family: int) -> socket.socket:
        """A fresh unconnected, non-blocking UDP socket of ``family``, bound to a random ephemeral port.

        The DNS client asks every question of a scan through one of these per family
        (to the resolvers, and to name-server addresses it has routed). An IPv6 socket
        is IPv6 only (no IPv4-mapped traffic). A subclass may hand out another socket
        (a test's, one bound to a source address).
        """
        sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            sock.setblocking(False)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            # Answers to every question in flight queue here while the loop is busy (the kernel caps this).
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _UDP_RECEIVE_BUFFER)
            _bind_random_port(sock, "::" if family == socket.AF_INET6 else "0.0.0.0")
        except BaseException:
            sock.close()
            raise
        return sock

    def ipv6_egress(self) -> tuple[bool, str]:
        """Can this machine send to the IPv6 Internet? Asks the kernel for a route; sends nothing."""
        try:
            with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
                s.connect((_ROUTE_PROBE_V6, 53))
                source = s.getsockname()[0]
        except OSError as e:
            return False, f"no IPv6 route ({e.strerror or e})"
        cat = special_category(source.split("%")[0])
        if cat is None:
            return True, f"IPv6 route with global source address {source}"
        if cat == "unique_local":
            # NAT66 / NPTv6 set-ups reach the Internet from a ULA source.
            return True, f"IPv6 route with unique-local source address {source} (NAT66?)"
        return False, f"IPv6 source address {source} is {cat}: no IPv6 Internet"

    def describe(self) -> dict[str, Any]:
        return {"kind": self.name}


class LabNetwork(Network):
    """A closed lab: only routes in the table exist; everything else is unreachable."""

    name = "lab"

    def __init__(self, routes: dict[tuple[str, int], tuple[str, int]]) -> None:
        self.routes = {(normalise_ip(a), p): (normalise_ip(a2), p2) for (a, p), (a2, p2) in routes.items()}
        for (a, _), (a2, _) in self.routes.items():
            if (":" in a) != (":" in a2):
                raise ValueError(f"lab route {a} -> {a2} changes address family")
            if special_category(a2) != "loopback":
                raise ValueError(f"lab route target {a2} is not a loopback address")

    def route(self, address: str, port: int) -> tuple[str, int]:
        key = (normalise_ip(address), port)
        try:
            return self.routes[key]
        except KeyError:
            raise Unroutable(*key) from None

    def ipv6_egress(self) -> tuple[bool, str]:
        if any(":" in a for a, _ in self.routes):
            return True, "lab network with IPv6 routes"
        return False, "lab network without IPv6 routes"

    def describe(self) -> dict[str, Any]:
        return {"kind": self.name, "routes": len(self.routes)}

    def to_json(self) -> str:
        return json.dumps(
            {"routes": {format_hostport(*k): format_hostport(*v) for k, v in self.routes.items()}}, indent=1
        )

    @classmethod
    def from_json(cls, text: str) -> LabNetwork:
        """The lab network whose routing table ``to_json`` wrote."""
        data = json.loads(text)
        routes = {split_hostport(k): split_hostport(v) for k, v in data["routes"].items()}
        return cls(routes)

    @classmethod
    def from_file(cls, path: str | Path) -> LabNetwork:
        return cls.from_json(Path(path).read_text())


def _bind_random_port(sock: socket.socket, any_address: str) -> None:
    """Bind to a random port of the ephemeral range (a few tries), else to one the kernel picks."""
    low, high = _ephemeral_ports()
    for _ in range(8):
        try:
            sock.bind((any_address, low + secrets.randbelow(high - low + 1)))
            return
        except OSError as e:
            if e.errno != errno.EADDRINUSE:
                break
    sock.bind((any_address, 0))


@functools.cache
def _ephemeral_ports() -> tuple[int, int]:
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low, high = (int(x) for x in f.read().split())
    except (OSError, ValueError):
        return 49152, 65535  # IANA's dynamic range
    return (low, high) if 1024 <= low <= high <= 65535 else (49152, 65535)
