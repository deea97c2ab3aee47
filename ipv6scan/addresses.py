"""Address classification: which addresses are globally routable.

A published AAAA that is not globally routable (ULA, link-local, loopback,
IPv4-mapped, documentation, ...) is a misconfiguration: nobody on the Internet
can reach it, and probing it could make the scanner poke an internal network.
Such addresses are not probed unless the user allowed their prefix (labs and
internal networks need that).
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable

from .model import Address, Family

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Checked in order; the first match names the category.
_CATEGORIES: list[tuple[str, list[str]]] = [
    ("unspecified", ["0.0.0.0/8", "::/128"]),
    ("loopback", ["127.0.0.0/8", "::1/128"]),
    ("ipv4_compatible", ["::/96"]),  # deprecated (RFC 4291 2.5.5.1): ::127.0.0.1 reaches 127.0.0.1 on some stacks
    ("ipv4_mapped", ["::ffff:0:0/96"]),
    ("ipv4_translated", ["64:ff9b:1::/48", "::ffff:0:0:0/96"]),  # local-use NAT64 (RFC 8215), SIIT (RFC 2765)
    ("link_local", ["169.254.0.0/16", "fe80::/10"]),
    ("site_local", ["fec0::/10"]),  # deprecated (RFC 3879), still routed inside some networks
    ("unique_local", ["fc00::/7"]),
    ("documentation", ["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32", "3fff::/20"]),
    ("private", ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]),
    ("shared_cgnat", ["100.64.0.0/10"]),
    ("benchmarking", ["198.18.0.0/15", "2001:2::/48"]),
    ("multicast", ["224.0.0.0/4", "ff00::/8"]),
    ("reserved", ["240.0.0.0/4", "255.255.255.255/32", "192.0.0.0/24", "192.88.99.0/24", "100::/64", "2001::/23",
                  "5f00::/16"]),  # 6to4 relay anycast (RFC 7526), discard-only, IETF protocol, SRv6 SIDs (RFC 9602)
]

# IPv6 ranges whose addresses carry an IPv4 address a gateway forwards to: such an address is as special
# as the IPv4 it embeds (2002:7f00:1:: is 127.0.0.1 through a 6to4 relay; 64:ff9b::a9fe:a9fe the cloud
# metadata address through NAT64). Judged here, not by ``is_global``, whose answer differs across Pythons.
EMBEDDED = "ipv4_embedded"
_EMBEDDING: list[tuple[IPNetwork, int]] = [
    (ipaddress.ip_network("2002::/16"), 80),  # 6to4 (RFC 3056): bits 16..47
    (ipaddress.ip_network("64:ff9b::/96"), 0),  # NAT64 well-known prefix (RFC 6052): the last 32 bits
]
_NETS: list[tuple[str, list[IPNetwork]]] = [
    (name, [ipaddress.ip_network(n) for n in nets]) for name, nets in _CATEGORIES
]


def canonical(address: str | IPAddress) -> str:
    """The address's one written form (RFC 5952): an IPv4-mapped IPv6 address as ``::ffff:192.0.2.1``.

    Python before 3.13 writes that one ``::ffff:c000:201``, which nobody reading a report recognises.
    A text is parsed once while it is among the last few thousand asked (every probe asks)."""
    if isinstance(address, str):
        return _canonical_text(address)
    return _canonical(address)


@functools.lru_cache(maxsize=8192)
def _canonical_text(address: str) -> str:
    return _canonical(_ip_text(address))


def _canonical(ip: IPAddress) -> str:
    if ip.version == 6 and ip.ipv4_mapped is not None:
        return f"::ffff:{ip.ipv4_mapped}"
    return str(ip)


def family_of(address: str) -> Family:
    return Family.V6 if ":" in address else Family.V4


def embedded_ipv4(address: str | IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address a 6to4 or NAT64 (64:ff9b::/96) address carries; None for any other address."""
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    for net, shift in _EMBEDDING:
        if ip.version == 6 and ip in net:
            return ipaddress.IPv4Address((int(ip) >> shift) & 0xFFFFFFFF)
    return None


def special_category(address: str | IPAddress) -> str | None:
    """None for a globally routable address, else the name of its special range.

    A 6to4 or NAT64 address is special (``ipv4_embedded``) when the IPv4 address it
    carries is, and global when that one is. An address given as text is classified once
    while it is among the last few thousand asked (every probe asks, some several times).
    """
    if isinstance(address, str):
        return _special_text(address)
    return _special(address)


@functools.lru_cache(maxsize=8192)
def _ip_text(address: str) -> IPAddress:
    return ipaddress.ip_address(address)


@functools.lru_cache(maxsize=8192)
def _special_text(address: str) -> str | None:
    return _special(_ip_text(address))


def _special(ip: IPAddress) -> str | None:
    for name, nets in _NETS:
        for net in nets:
            if ip.version == net.version and ip in net:
                return name
    inner = embedded_ipv4(ip)
    if inner is not None:
        return EMBEDDED if _special(inner) is not None else None
    if not ip.is_global:
        return "reserved"
    return None


def parse_prefixes(prefixes: Iterable[str]) -> list[IPNetwork]:
    """Parse user-given CIDR prefixes; raises ValueError naming the bad one."""
    out: list[IPNetwork] = []
    for p in prefixes:
        try:
            out.append(ipaddress.ip_network(p.strip(), strict=False))
        except ValueError as e:
            raise ValueError(f"not an IP prefix: {p!r} ({e})") from None
    return out


def is_allowed(address: str, allowed: Iterable[IPNetwork]) -> bool:
    """True when the address may be probed: globally routable, or inside an allowed prefix."""
    if special_category(address) is None:
        return True
    ip = _ip_text(address)
    return any(ip.version == n.version and ip in n for n in allowed)


def classify(address: str) -> Address:
    return Address(address=address, family=family_of(address), special=special_category(address))
