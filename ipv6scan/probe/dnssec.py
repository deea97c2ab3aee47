"""DNSSEC validated, not only present: a zone's chain of trust walked from a trust anchor.

For each zone from the anchor down to the scanned zone (RFC 4035 section 5):
the DS set at the parent, signed by the parent's keys (or the anchor's own DS
or DNSKEY records); a DNSKEY at the zone matching a DS; the DNSKEY set signed by
that key; the zone's SOA signed by its keys. No DS, proven by the parent's
signed NSEC or NSEC3, makes the zone *insecure*; a chain that should be there
and is broken makes it *bogus*, with the reason (an expired signature, no key
matching the DS, ...); no anchor above the zone, or DNS failing on the way,
leaves it *indeterminate*. The signatures are checked by dnspython
(``dns.dnssec``, with the ``cryptography`` package) on answers asked for with
DO and CD set, so the resolver's own validation neither hides a broken chain
nor changes the answer.

Each zone's link is computed once per scan (:class:`DnssecValidator`); every
zone below reuses it. Trust anchors are the IANA root keys shipped with
ipv6scan (``root-anchors.txt``: KSK-2017, tag 20326, and KSK-2024, tag 38696)
or DS/DNSKEY records read from files given with ``--trust-anchor``.
"""

from __future__ import annotations

import base64
import datetime as dt
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import dns.exception
import dns.message
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.rrset

from ._quiet import dnssec  # dns.dnssec, imported without cryptography's DSA warning
from ..catalogue import Message, os_problem
from ..errors import Ipv6scanError
from ..model import DnssecLink, DnssecStatus, DnssecValidation, Outcome
from ._once import Once

_IN = dns.rdataclass.IN
_NSEC3_OPT_OUT = 0x01  # the NSEC3 flag: unsigned delegations in this span may have no NSEC3 of their own
LINK_LOOKUP_TRIES = 3
"""Times a link (a zone's DS and DNSKEY) whose lookup failed is asked again in one scan, by the next zone that
needs it, before the failure is kept for the rest of the scan: one lost answer must not leave every zone under
that link indeterminate for hours; a server that keeps failing is not asked again for every host."""
_DS, _DNSKEY, _RRSIG, _SOA = dns.rdatatype.DS, dns.rdatatype.DNSKEY, dns.rdatatype.RRSIG, dns.rdatatype.SOA
_NSEC, _NSEC3 = dns.rdatatype.NSEC, dns.rdatatype.NSEC3
# Which problem is named when every signature of a set fails, most telling first.
_PRIORITY = ("signature_expired", "signature_not_yet_valid", "signature_invalid", "no_matching_key")

PathFinder = Callable[[str], Awaitable[tuple[list[str], Outcome, str | None]]]


class AnchorError(Ipv6scanError, ValueError):
    """A trust-anchor file that cannot be used, with the file and line (words of the catalogue: a Vietnamese
    run says it in Vietnamese)."""


@dataclass
class TrustAnchors:
    """DS and DNSKEY records trusted without proof, by zone."""

    ds: dict[dns.name.Name, list] = field(default_factory=dict)
    keys: dict[dns.name.Name, list] = field(default_factory=dict)
    source: str = ""

    def closest(self, zone: dns.name.Name) -> dns.name.Name | None:
        """The anchored zone nearest above (or at) zone."""
        found = [n for n in (*self.ds, *self.keys) if zone.is_subdomain(n)]
        return max(found, key=len) if found else None

    def ds_for(self, zone: dns.name.Name) -> list:
        """The anchor's DS records for zone, DNSKEY anchors turned into their SHA-256 DS."""
        made = [dnssec.make_ds(zone, key, "SHA256") for key in self.keys.get(zone, [])]
        return list(self.ds.get(zone, [])) + made


def parse_anchors(text: str, source: str) -> TrustAnchors:
    """DS or DNSKEY records, one per line, master-file style (``owner [ttl] [IN] DS|DNSKEY rdata``).

    ``;`` and ``#`` start comments. Raises AnchorError naming the line and the problem."""
    anchors = TrustAnchors(source=source)
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split(";", 1)[0].split("#", 1)[0].strip()
        if not line:
            continue
        tokens = line.split()
        rest = tokens[1:]
        if rest and rest[0].isdigit():
            rest = rest[1:]
        if rest and rest[0].upper() == "IN":
            rest = rest[1:]
        if len(rest) < 2 or rest[0].upper() not in ("DS", "DNSKEY"):
            raise AnchorError(Message("anchor_bad_line", source=source, line=number, text=repr(line[:80])))
        rdtype = rest[0].upper()
        try:
            owner = dns.name.from_text(tokens[0])
        except (dns.exception.DNSException, ValueError):
            raise AnchorError(Message("anchor_bad_record", source=source, line=number, rdtype=rdtype,
                                      problem=Message("anchor.owner", owner=repr(tokens[0][:80])))) from None
        try:
            rdata = dns.rdata.from_text(_IN, rdtype, " ".join(rest[1:]))
        except (dns.exception.DNSException, ValueError) as e:
            raise AnchorError(Message("anchor_bad_record", source=source, line=number, rdtype=rdtype,
                                      problem=_record_problem(rdtype, e))) from None
        table = anchors.ds if rdata.rdtype == _DS else anchors.keys
        table.setdefault(owner, []).append(rdata)
    if not anchors.ds and not anchors.keys:
        raise AnchorError(Message("anchor_empty", source=source))
    return anchors


def _record_problem(rdtype: str, exc: BaseException) -> Message:
    """What is wrong with a DS or DNSKEY record's data, in the catalogue's words (dnspython says it in English:
    a Vietnamese run must not print that). Its few known complaints are named; anything else gets the fields
    the record needs."""
    said = str(exc)
    if "digest length" in said:
        return Message("anchor.digest_length")
    if "hexadecimal" in said.lower():
        return Message("anchor.not_hex")
    if "base64" in said or "padding" in said.lower():
        return Message("anchor.not_base64")
    return Message("anchor.fields_ds" if rdtype == "DS" else "anchor.fields_dnskey")


def root_anchors() -> TrustAnchors:
    """The IANA root zone's key-signing keys, shipped with ipv6scan."""
    text = resources.files(__package__).joinpath("root-anchors.txt").read_text(encoding="utf-8")
    return parse_anchors(text, "root-anchors.txt")


def load_anchors(paths: list[str] | list[Path]) -> TrustAnchors:
    """The anchors in the given files (together), or the shipped root keys when none are given."""
    if not paths:
        return root_anchors()
    merged = TrustAnchors(source=", ".join(str(p) for p in paths))
    for path in paths:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as e:
            raise AnchorError(Message("anchor_unreadable", path=str(path), problem=os_problem(e))) from None
        except UnicodeDecodeError as e:
            raise AnchorError(Message("anchor_unreadable", path=str(path),
                                      problem=Message("target.utf8", byte=f"0x{e.object[e.start]:02x}"))) from None
        one = parse_anchors(text, str(path))
        for mine, theirs in ((merged.ds, one.ds), (merged.keys, one.keys)):
            for zone, records in theirs.items():
                mine.setdefault(zone, []).extend(records)
    return merged


@dataclass
class _Problem:
    reason: str
    detail: str
    expired_at: str | None = None


@dataclass
class _State:
    link: DnssecLink
    keys: dns.rdataset.Rdataset | None = None  # the zone's DNSKEY set, validated (secure links only)


class DnssecValidator:
    """Validates zones for one scan; each zone's link of the chain is computed once."""

    def __init__(
        self,
        dns_client,  # DnsClient: .signed(name, rdtype)
        anchors: TrustAnchors,
        path: PathFinder,
        *,
        clock: Callable[[], float] = time.time,
        policy: dnssec.Policy | None = None,
    ) -> None:
        self.dns = dns_client
        self.anchors = anchors
        self.path = path
        self.clock = clock
        self.policy = policy or dnssec.default_policy
        self._links: Once[tuple[str, bool], _State] = Once(again=lambda s: s.link.reason == "lookup_failed",
                                                           tries=LINK_LOOKUP_TRIES)

    async def validate(self, apex: str) -> DnssecValidation:
        """The zone's status, walked from the nearest trust anchor above it."""
        zone = dns.name.from_text(apex)
        anchor = self.anchors.closest(zone)
        if anchor is None:
            return DnssecValidation(status=DnssecStatus.INDETERMINATE, reason="no_anchor",
                                    detail=f"no trust anchor covers {_text(zone)} ({self.anchors.source})")
        apexes, outcome, detail = await self.path(apex)
        if outcome is not Outcome.OK:
            return DnssecValidation(status=DnssecStatus.INDETERMINATE, reason="lookup_failed", anchor=_text(anchor),
                                    detail=detail or outcome.value)
        names = [dns.name.root, *(dns.name.from_text(a) for a in apexes)]
        if names[-1] != zone:
            names.append(zone)
        chain = [n for n in names if n.is_subdomain(anchor)]
        links: list[DnssecLink] = []
        parent: tuple[dns.name.Name, dns.rdataset.Rdataset] | None = None
        for name in chain:
            anchored = name == anchor
            state = await self._links.get((_text(name), anchored),
                                          lambda n=name, p=parent, a=anchored: self._link(n, None if a else p))
            links.append(state.link)
            if state.link.status is not DnssecStatus.SECURE or state.keys is None:
                break
            parent = (name, state.keys)
        last = links[-1]
        secure = last.status is DnssecStatus.SECURE
        return DnssecValidation(status=last.status, reason=last.reason, anchor=_text(anchor),
                                broken_at=None if secure else last.zone, detail=last.detail, links=links)

    # ------------------------------------------------------------ one zone

    async def _link(self, zone: dns.name.Name, parent: tuple[dns.name.Name, dns.rdataset.Rdataset] | None) -> _State:
        name = _text(zone)

        def link(status: DnssecStatus, reason: str, detail: str | None = None, **facts) -> _State:
            return _State(DnssecLink(zone=name, status=status, reason=reason, detail=detail, **facts))

        def bogus(problem: _Problem, **facts) -> _State:
            return link(DnssecStatus.BOGUS, problem.reason, problem.detail, expired_at=problem.expired_at, **facts)

        # 1. The DS set: the anchor's, or the parent's, signed by the parent's keys.
        if parent is None:
            ds = self.anchors.ds_for(zone)
        else:
            message, outcome, detail = await self.dns.signed(name, "DS")
            if message is None:
                return link(DnssecStatus.INDETERMINATE, "lookup_failed", detail or outcome.value)
            rrset = message.get_rrset(message.answer, zone, _IN, _DS)
            if rrset is None:
                problem = self._no_ds_proof(message, zone, parent)
                if problem is None:
                    return link(DnssecStatus.INSECURE, "no_ds",
                                f"{_text(parent[0])} proves, signed, that {name} has no DS record")
                return bogus(problem)
            problem, _ = self._verify(rrset, message.answer, {parent[0]: parent[1]}, f"the DS set of {name}")
            if problem is not None:
                return bogus(problem, ds_tags=sorted({d.key_tag for d in rrset}))
            ds = list(rrset)
        ds_tags = sorted({d.key_tag for d in ds})
        usable = [d for d in ds if self._usable_ds(d)]
        if not usable:
            algorithms = sorted({int(d.algorithm) for d in ds})
            return link(DnssecStatus.INSECURE, "unsupported_algorithm",
                        f"no DS of {name} uses an algorithm and digest validators support ({algorithms})",
                        ds_tags=ds_tags)
        # 2. The DNSKEY set: a key matching a DS signs it.
        message, outcome, detail = await self.dns.signed(name, "DNSKEY")
        if message is None:
            return link(DnssecStatus.INDETERMINATE, "lookup_failed", detail or outcome.value, ds_tags=ds_tags)
        keys = message.get_rrset(message.answer, zone, _IN, _DNSKEY)
        if keys is None:
            return link(DnssecStatus.BOGUS, "no_dnskey", f"{name} has a DS at its parent but no DNSKEY",
                        ds_tags=ds_tags)
        facts = dict(ds_tags=ds_tags, key_tags=sorted({dnssec.key_id(k) for k in keys}),
                     algorithms=sorted({int(k.algorithm) for k in keys}))
        matching = [k for k in keys if any(_matches(zone, k, d) for d in usable)]
        if not matching:
            return link(DnssecStatus.BOGUS, "no_matching_key",
                        f"no DNSKEY of {name} matches its DS (DS key tags {ds_tags})", **facts)
        trusted = dns.rdataset.from_rdata_list(keys.ttl, matching)
        problem, first = self._verify(keys, message.answer, {zone: trusted}, f"the DNSKEY set of {name}")
        if problem is not None:
            return bogus(problem, **facts)
        zone_keys = dns.rdataset.from_rdata_list(keys.ttl, list(keys))
        # 3. The zone's own data: its SOA, signed by its keys.
        message, outcome, detail = await self.dns.signed(name, "SOA")
        if message is None:
            return link(DnssecStatus.INDETERMINATE, "lookup_failed", detail or outcome.value, **facts)
        soa = message.get_rrset(message.answer, zone, _IN, _SOA)
        if soa is None:
            return link(DnssecStatus.INDETERMINATE, "lookup_failed", f"{name} gave no SOA", **facts)
        problem, second = self._verify(soa, message.answer, {zone: zone_keys}, f"the SOA of {name}")
        if problem is not None:
            return bogus(problem, **facts)
        expires = _iso(min(first, second))
        return _State(DnssecLink(zone=name, status=DnssecStatus.SECURE, reason="ok", expires=expires, **facts),
                      keys=zone_keys)

    # ------------------------------------------------------------ pieces

    def _usable_ds(self, ds) -> bool:
        """Does the policy let a validator use this DS's digest type?"""
        return bool(self.policy.ok_to_validate_ds(ds.digest_type))

    def _verify(self, rrset: dns.rrset.RRset, section: list, keys: dict, what: str) -> tuple[_Problem | None, int]:
        """None and the validating signature's expiry when one signature over rrset validates; else the problem."""
        sigs = [s for r in section if r.rdtype == _RRSIG and r.name == rrset.name and r.covers == rrset.rdtype
                for s in r]
        if not sigs:
            return _Problem("no_signature", f"{what} is not signed"), 0
        now = self.clock()
        tags = {dnssec.key_id(k) for rdataset in keys.values() for k in rdataset}
        found: dict[str, _Problem] = {}
        for sig in sigs:
            try:
                dnssec.validate_rrsig(rrset, sig, keys, now=now, policy=self.policy)
                return None, sig.expiration
            except (dnssec.ValidationFailure, dnssec.UnsupportedAlgorithm):
                pass
            if sig.key_tag not in tags or sig.signer not in keys:
                found.setdefault("no_matching_key", _Problem(
                    "no_matching_key", f"{what} is signed by key {sig.key_tag} of {_text(sig.signer)}, "
                    f"not by a trusted key ({sorted(tags)})"))
            elif sig.expiration < now:
                found.setdefault("signature_expired", _Problem(
                    "signature_expired", f"the signature over {what} expired at {_iso(sig.expiration)}",
                    expired_at=_iso(sig.expiration)))
            elif sig.inception > now:
                found.setdefault("signature_not_yet_valid", _Problem(
                    "signature_not_yet_valid", f"the signature over {what} is valid only from {_iso(sig.inception)}"))
            else:
                found.setdefault("signature_invalid", _Problem(
                    "signature_invalid", f"the signature over {what} by key {sig.key_tag} does not verify"))
        return next(found[r] for r in _PRIORITY if r in found), 0

    def _no_ds_proof(self, message: dns.message.Message, zone: dns.name.Name,
                     parent: tuple[dns.name.Name, dns.rdataset.Rdataset]) -> _Problem | None:
        """None when the parent's signed NSEC or NSEC3 says zone has no DS; else why not."""
        keys = {parent[0]: parent[1]}
        what = f"the parent's proof that {_text(zone)} has no DS"
        for rrset in message.authority:
            if rrset.rdtype == _NSEC and rrset.name == zone:
                types = rrset[0].to_text().split()[1:]
            elif rrset.rdtype == _NSEC3 and _nsec3_matches(rrset, zone):
                types = rrset[0].to_text().split()[5:]
            else:
                continue
            problem, _ = self._verify(rrset, message.authority, keys, what)
            if problem is not None:
                return problem
            if "DS" in types:
                return _Problem("no_ds_proof", f"{_text(zone)}: no DS came, yet the NSEC record says there is one")
            return None
        nsec3 = [rrset for rrset in message.authority if rrset.rdtype == _NSEC3 and len(rrset)]
        if nsec3:
            return self._opt_out_proof(message, zone, parent[0], nsec3, keys, what)
        return _Problem("no_ds_proof", f"{_text(zone)} has no DS and {_text(parent[0])} gave no signed proof of that")

    def _opt_out_proof(self, message: dns.message.Message, zone: dns.name.Name, apex: dns.name.Name,
                       nsec3: list[dns.rrset.RRset], keys: dict, what: str) -> _Problem | None:
        """An unsigned delegation in an NSEC3 opt-out span has no NSEC3 of its own (most TLDs sign so): the
        parent proves its closest encloser (an NSEC3 matching an ancestor) and covers the next closer name with
        an NSEC3 whose Opt-Out flag is set: an insecure delegation (RFC 5155 8.6). None when so proven."""
        closer, ancestor = zone, zone.parent()
        while True:
            match = next((r for r in nsec3 if _nsec3_matches(r, ancestor)), None)
            if match is not None:
                break
            if ancestor == apex or not ancestor.is_subdomain(apex):  # (the parent's own apex, at the most)
                return _Problem("no_ds_proof", f"{_text(zone)}: no DS, and the NSEC3 records given prove no "
                                               "closest encloser")
            closer, ancestor = ancestor, ancestor.parent()
        covering = next((r for r in nsec3 if _nsec3_covers(r, closer)), None)
        if covering is None:
            return _Problem("no_ds_proof", f"{_text(zone)}: no DS, and no NSEC3 record covers {_text(closer)}")
        for rrset in (match, covering):
            problem, _ = self._verify(rrset, message.authority, keys, what)
            if problem is not None:
                return problem
        if not covering[0].flags & _NSEC3_OPT_OUT:
            return _Problem("no_ds_proof", f"{_text(zone)}: the parent's NSEC3 records say {_text(closer)} does not "
                                           "exist, and its span is not opt-out")
        return None


def _nsec3_hashes(rrset: dns.rrset.RRset, name: dns.name.Name) -> tuple[str, str] | None:
    """(the hash of ``name`` with the NSEC3 record's parameters, the record's owner hash), both upper-case
    base32hex; None when the parameters cannot hash (an unknown algorithm)."""
    rdata = rrset[0]
    try:
        hashed = dnssec.nsec3_hash(name, rdata.salt, rdata.iterations, rdata.algorithm)
    except (ValueError, dns.exception.DNSException):
        return None
    return hashed.upper(), rrset.name.labels[0].decode("ascii").upper()


def _nsec3_matches(rrset: dns.rrset.RRset, zone: dns.name.Name) -> bool:
    hashes = _nsec3_hashes(rrset, zone)
    return hashes is not None and hashes[0] == hashes[1]


def _nsec3_covers(rrset: dns.rrset.RRset, name: dns.name.Name) -> bool:
    """The NSEC3 record's span (its owner's hash to the next, in hash order, the last wrapping round) holds
    the hash of ``name``."""
    hashes = _nsec3_hashes(rrset, name)
    if hashes is None:
        return False
    hashed, owner = hashes
    following = base64.b32hexencode(rrset[0].next).decode("ascii").rstrip("=").upper()
    if owner < following:
        return owner < hashed < following
    return hashed > owner or hashed < following  # (the last record of the chain: past it, or before the first)


def _matches(zone: dns.name.Name, key, ds) -> bool:
    try:
        return dnssec.make_ds(zone, key, ds.digest_type) == ds
    except (ValueError, dns.exception.DNSException):
        return False


def _text(name: dns.name.Name) -> str:
    return "." if name == dns.name.root else name.to_text(omit_final_dot=True).lower()


def _iso(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
