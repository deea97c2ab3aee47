"""An authoritative DNS server on loopback, for tests and ``ipv6scan demo``.

Built on dnspython's message API: every packet is parsed with
``dns.message.from_wire`` and answered with ``dns.message.make_response``
from zones parsed with ``dns.zone.from_text``. It serves UDP and TCP on
127.0.0.1 and ::1 on one port, answers like an authoritative server
(AA set; NODATA and NXDOMAIN carry the zone's SOA; REFUSED outside its
zones) and follows CNAMEs inside the zone that holds them, as NSD or Knot
do: a chain into another zone stops at the CNAME and the client asks again.
Per-name behaviours simulate broken servers (SERVFAIL, REFUSED, silence,
truncation). Wildcards and delegations are not interpreted: the longest
zone origin that is a suffix of the query name answers, except that a DS
question for a zone's own origin is answered by the parent zone, where DS
records live. A query with DO set (RFC 3225) also gets the RRSIGs covering
each answer and, in a negative answer, the SOA's and the name's NSEC records
with theirs, as a signed zone (``dns.dnssec.sign_zone``) holds them.

Junk is ignored and nothing a client sends can crash it.
"""

from __future__ import annotations

import asyncio
import errno
import socket

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.zone

from ._tcp import TcpServers

BEHAVIOURS = frozenset({"normal", "servfail", "refused", "drop", "truncate"})
_MAX_CHAIN = 32  # CNAMEs followed inside one zone before giving up
_TCP_IDLE = 10.0  # seconds a TCP client may stay silent


class DnsServer:
    """Authoritative DNS for a few zones over UDP and TCP on one loopback port."""

    def __init__(self, zones: dict[str, str] | None = None, *, referrals: bool = False) -> None:
        self._zones: dict[dns.name.Name, dns.zone.Zone] = {}
        # A name below a delegation in a zone (an NS set off its apex) gets a referral, as a parent's server
        # that does not serve the child answers: the NS set (not authoritative) and the glue the zone holds for
        # it (A/AAAA of names inside the child). Off: every name is answered from the zone as if it were its own.
        self.referrals = referrals
        self._behaviours: dict[dns.name.Name, str] = {}
        self._transports: list[asyncio.DatagramTransport] = []
        self._tcp = TcpServers()
        self.queries: list[tuple[str, str, str, str]] = []  # (transport, qname, qtype, client address)
        self.port: int | None = None
        for origin, text in (zones or {}).items():
            self.add_zone(origin, text)

    def add_zone(self, origin: str, text: str) -> None:
        """Add (or replace) a zone from master-file text."""
        zone = dns.zone.from_text(text, origin, relativize=False)
        self._zones[zone.origin] = zone

    def set_behaviour(self, name: str, behaviour: str) -> None:
        """How queries for exactly this name are treated: one of BEHAVIOURS."""
        if behaviour not in BEHAVIOURS:
            raise ValueError(f"unknown behaviour {behaviour!r}; expected one of {sorted(BEHAVIOURS)}")
        self._behaviours[dns.name.from_text(name)] = behaviour

    # ------------------------------------------------------------ sockets

    async def start(self, hosts: tuple[str, ...] = ("127.0.0.1", "::1"), port: int = 0) -> int:
        """Listen on UDP and TCP on every host, all on one port; returns the port."""
        socks = _bind_all(hosts, port)
        loop = asyncio.get_running_loop()
        for kind, sock in socks:
            if kind == "udp":
                transport, _ = await loop.create_datagram_endpoint(lambda: _UdpProtocol(self), sock=sock)
                self._transports.append(transport)
            else:
                self._tcp.servers.append(await asyncio.start_server(self._serve_tcp, sock=sock))
        self.port = socks[0][1].getsockname()[1]
        return self.port

    async def close(self) -> None:
        for transport in self._transports:
            transport.close()
        await self._tcp.close()
        self._transports.clear()

    async def _serve_tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._tcp.track(writer)
        client = writer.get_extra_info("peername")[0]
        try:
            while True:
                async with asyncio.timeout(_TCP_IDLE):
                    size = int.from_bytes(await reader.readexactly(2), "big")
                    wire = await reader.readexactly(size)
                reply = self.answer(wire, "tcp", client)
                if reply is None:
                    continue
                writer.write(len(reply).to_bytes(2, "big") + reply)
                await writer.drain()
        except (OSError, EOFError, TimeoutError):
            pass
        finally:
            self._tcp.untrack(writer)
            writer.close()

    # ------------------------------------------------------------ answers

    def answer(self, wire: bytes, transport: str, client: str) -> bytes | None:
        """The reply to one query packet, or None to stay silent."""
        try:
            query = dns.message.from_wire(wire)
        except Exception:  # junk of any kind: ignore it, like a real server
            return None
        if query.flags & dns.flags.QR or len(query.question) != 1:
            return None
        question = query.question[0]
        self.queries.append(
            (transport, _text(question.name), dns.rdatatype.to_text(question.rdtype), client)
        )
        behaviour = self._behaviours.get(question.name, "normal")
        if behaviour == "drop":
            return None
        response = dns.message.make_response(query)
        if query.opcode() != dns.opcode.QUERY or question.rdclass != dns.rdataclass.IN:
            response.set_rcode(dns.rcode.NOTIMP)
        elif behaviour == "servfail":
            response.set_rcode(dns.rcode.SERVFAIL)
        elif behaviour == "refused":
            response.set_rcode(dns.rcode.REFUSED)
        elif behaviour == "truncate" and transport == "udp":
            response.flags |= dns.flags.TC
        else:
            dnssec = query.edns >= 0 and bool(query.ednsflags & dns.flags.DO)
            self._resolve(response, question.name, question.rdtype, dnssec)
        if transport == "tcp":
            return response.to_wire(max_size=65535)
        limit = max(query.payload, 512) if query.edns >= 0 else 512
        try:
            return response.to_wire(max_size=limit)
        except dns.exception.TooBig:
            response = dns.message.make_response(query)
            response.flags |= dns.flags.TC | dns.flags.AA
            return response.to_wire()

    def _zone_for(self, name: dns.name.Name, rdtype: int) -> dns.zone.Zone | None:
        """The zone with the longest origin that is a suffix of name (its parent for a DS at its origin)."""
        best = None
        for origin, zone in self._zones.items():
            if rdtype == dns.rdatatype.DS and origin == name and name != dns.name.root:
                continue  # the DS of a zone is the parent's
            if name.is_subdomain(origin) and (best is None or len(origin) > len(best.origin)):
                best = zone
        return best

    def _resolve(self, response: dns.message.Message, qname: dns.name.Name, rdtype: int, dnssec: bool = False) -> None:
        zone = self._zone_for(qname, rdtype)
        if zone is None:
            response.set_rcode(dns.rcode.REFUSED)
            return
        if self.referrals and _referral(response, zone, qname, rdtype):
            return
        response.flags |= dns.flags.AA
        name, seen = qname, {qname}
        for _ in range(_MAX_CHAIN):
            node = zone.get_node(name)
            if node is None:
                if not _has_descendants(zone, name):
                    response.set_rcode(dns.rcode.NXDOMAIN)
                _add_soa(response, zone, dnssec)  # NXDOMAIN, or NODATA at an empty non-terminal
                return
            rdataset = node.get_rdataset(dns.rdataclass.IN, rdtype)
            if rdataset is not None:
                _add(response.answer, node, name, rdataset, dnssec)
                return
            cname = None if rdtype == dns.rdatatype.CNAME else node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.CNAME)
            if cname is None:
                _add_soa(response, zone, dnssec)
                nsec = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.NSEC)
                if dnssec and nsec is not None:  # NODATA: the name's NSEC says which types it has
                    _add(response.authority, node, name, nsec, dnssec)
                return
            _add(response.answer, node, name, cname, dnssec)
            name = cname[0].target
            if name in seen or not name.is_subdomain(zone.origin):
                return  # a loop, or a chain leaving the zone: the client takes over
            seen.add(name)


class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, server: DnsServer) -> None:
        self._server = server
        self._transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple) -> None:
        reply = self._server.answer(data, "udp", addr[0])
        if reply is not None and self._transport is not None:
            self._transport.sendto(reply, addr)

    def error_received(self, exc: Exception) -> None:
        pass  # ICMP errors about earlier replies: nothing to do


def _bind_all(hosts: tuple[str, ...], port: int, attempts: int = 50) -> list[tuple[str, socket.socket]]:
    """Bound UDP and TCP sockets for every host, all on the same port."""
    for _ in range(attempts):
        socks: list[tuple[str, socket.socket]] = []
        chosen = port
        try:
            for host in hosts:
                family = socket.AF_INET6 if ":" in host else socket.AF_INET
                for kind, socktype in (("udp", socket.SOCK_DGRAM), ("tcp", socket.SOCK_STREAM)):
                    sock = socket.socket(family, socktype)
                    socks.append((kind, sock))
                    if kind == "tcp":
                        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    sock.bind((host, chosen))
                    chosen = sock.getsockname()[1]
                    if kind == "tcp":
                        sock.listen(64)
                    sock.setblocking(False)
            return socks
        except OSError as e:
            for _, sock in socks:
                sock.close()
            if e.errno != errno.EADDRINUSE or port:
                raise
    raise OSError(errno.EADDRINUSE, f"no port free on all of {hosts} after {attempts} attempts")


def _referral(response: dns.message.Message, zone: dns.zone.Zone, qname: dns.name.Name, rdtype: int) -> bool:
    """Fill ``response`` with a referral when ``qname`` is at or below a delegation of ``zone`` (the DS of the
    delegation itself is the parent's to answer): the child's NS set in authority, its glue in additional."""
    cut = qname
    while cut != zone.origin and cut.is_subdomain(zone.origin):
        node = zone.get_node(cut)
        ns = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.NS) if node is not None else None
        if ns is not None and not (cut == qname and rdtype == dns.rdatatype.DS):
            response.authority.append(_rrset(cut, ns))
            for target in (rd.target for rd in ns):
                glue = zone.get_node(target) if target.is_subdomain(cut) else None
                for kind in (dns.rdatatype.A, dns.rdatatype.AAAA):
                    found = glue.get_rdataset(dns.rdataclass.IN, kind) if glue is not None else None
                    if found is not None:
                        response.additional.append(_rrset(target, found))
            return True
        cut = cut.parent()
    return False


def _has_descendants(zone: dns.zone.Zone, name: dns.name.Name) -> bool:
    return any(owner != name and owner.is_subdomain(name) for owner in zone.nodes)


def _add_soa(response: dns.message.Message, zone: dns.zone.Zone, dnssec: bool = False) -> None:
    node = zone.get_node(zone.origin)
    soa = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.SOA) if node is not None else None
    if soa is not None:
        _add(response.authority, node, zone.origin, soa, dnssec)


def _add(section: list, node, name: dns.name.Name, rdataset, dnssec: bool) -> None:
    """An RRset into a section, with the RRSIGs covering it when the query asked for DNSSEC records."""
    section.append(_rrset(name, rdataset))
    if dnssec:
        sigs = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.RRSIG, rdataset.rdtype)
        if sigs is not None:
            section.append(dns.rrset.from_rdata_list(name, sigs.ttl, list(sigs)))


def _rrset(name: dns.name.Name, rdataset) -> dns.rrset.RRset:
    return dns.rrset.from_rdata_list(name, rdataset.ttl, list(rdataset))


def _text(name: dns.name.Name) -> str:
    return name.to_text(omit_final_dot=True).lower() if name != dns.name.root else "."
