"""Signed zones for the test network: real DNSSEC signatures made with dnspython.

``dns.dnssec.sign_zone`` adds the DNSKEY, an RRSIG over every RRset the zone
is authoritative for and the NSEC chain (delegations get only NSEC, as
RFC 4035 says); the parent zone carries the child's DS made from its key.
ECDSA P-256 (algorithm 13), the algorithm most zones use today.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import dns.name
import dns.zone
from cryptography.hazmat.primitives.asymmetric import ec

from ..probe._quiet import dnssec  # dns.dnssec, imported without cryptography's DSA warning


@dataclass(frozen=True)
class ZoneKey:
    private: ec.EllipticCurvePrivateKey
    dnskey: object  # dns.rdtypes.ANY.DNSKEY.DNSKEY

    def ds(self, origin: str) -> str:
        """The DS rdata (SHA-256) a parent publishes for this key, as master-file text."""
        return dnssec.make_ds(dns.name.from_text(origin), self.dnskey, "SHA256").to_text()


def new_key() -> ZoneKey:
    """A fresh key-signing key (flags 257), ECDSA P-256."""
    private = ec.generate_private_key(ec.SECP256R1())
    return ZoneKey(private, dnssec.make_dnskey(private.public_key(), dnssec.Algorithm.ECDSAP256SHA256,
                                                   flags=257))


def sign(text: str, origin: str, key: ZoneKey, *, valid_from: float | None = None,
         valid_until: float | None = None) -> str:
    """The zone signed with key, as master-file text. Signatures valid from an hour ago for a week unless told."""
    now = time.time()
    zone = dns.zone.from_text(text, origin, relativize=False)
    with zone.writer() as txn:
        dnssec.sign_zone(zone, txn, keys=[(key.private, key.dnskey)],
                             inception=int(valid_from if valid_from is not None else now - 3600),
                             expiration=int(valid_until if valid_until is not None else now + 7 * 86400))
    return zone.to_text(relativize=False)


def anchor_line(origin: str, key: ZoneKey) -> str:
    """A trust-anchor file line naming key by its DS."""
    return f"{dns.name.from_text(origin).to_text()} IN DS {key.ds(origin)}\n"
