"""Helpers on facts shared by the check modules (pure), and the fragments that name facts."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from ..addresses import IPNetwork, is_allowed, parse_prefixes
from ..model import (
    CERT_FAILURES,
    DNS_FAILURES,
    TLS_FAILURES,
    Address,
    CheckResult,
    DnsLookup,
    DnsServerProbe,
    Family,
    HostFacts,
    MailServer,
    NameServer,
    Outcome,
    Resolution,
    SmtpProbe,
    WebProbe,
)
from ._registry import UNTESTED, result, say

SCHEMES = ("http", "https")
FAMILIES = (Family.V4, Family.V6)
NOT_PROBED = frozenset({Outcome.SKIPPED_NON_GLOBAL, Outcome.UNTESTABLE})
ANSWERED = CERT_FAILURES | {Outcome.OK}

# Connection outcomes as they appear in reason codes, e.g. "https_refused_ipv6".
KINDS: dict[Outcome, str] = {
    Outcome.REFUSED: "refused",
    Outcome.TIMEOUT: "timeout",
    Outcome.UNREACHABLE: "unreachable",
    Outcome.RESET: "reset",
    Outcome.PROTOCOL_ERROR: "protocol_error",
    Outcome.TLS_HANDSHAKE_FAILED: "tls_handshake_failed",
    Outcome.ERROR: "error",
}
# Outcomes with a "did" fragment (``text."did.<outcome>"``): what a connection did.
DID = frozenset({*KINDS, *TLS_FAILURES})


def other(family: Family) -> Family:
    return Family.V4 if family == Family.V6 else Family.V6


def allowed_of(facts: HostFacts) -> tuple[IPNetwork, ...]:
    return _prefixes(tuple(facts.allowed_special))


@functools.lru_cache(maxsize=64)
def _prefixes(texts: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    """Parsed once per distinct list (every host of a scan carries the same one); a tuple, so no caller can change it."""
    return tuple(parse_prefixes(texts))


def addresses(res: Resolution, family: Family) -> list[Address]:
    return [a for a in res.addresses if a.family == family]


def routable(address: Address, allowed: Iterable[IPNetwork]) -> bool:
    """Can it be probed: globally routable, or inside a special prefix the user allowed?"""
    return address.special is None or is_allowed(address.address, list(allowed))


def failed(lookup: DnsLookup) -> bool:
    """A DNS failure (anything but an answer or a clean "no such record")."""
    return lookup.outcome not in (Outcome.OK, Outcome.DNS_NODATA)


def probes(facts: HostFacts, scheme: str, family: Family) -> list[WebProbe]:
    return [p for p in facts.web if p.scheme == scheme and p.family == family]


def answered(p: WebProbe) -> bool:
    """An HTTP response came back (a certificate problem still means the server answered)."""
    return p.outcome in ANSWERED


def reach(facts: HostFacts, scheme: str, family: Family) -> bool | None:
    """Did any address of the family answer the scheme? None when none was probed."""
    probed = [p for p in probes(facts, scheme, family) if p.outcome not in NOT_PROBED]
    return any(answered(p) for p in probed) if probed else None


def ipv6_untested(probes: Iterable[WebProbe | SmtpProbe | DnsServerProbe]) -> bool:
    """Was an IPv6 address left unprobed because the scanner had no IPv6 (an untestable probe)?"""
    return any(p.family is Family.V6 and p.outcome == Outcome.UNTESTABLE for p in probes)


def untested_ipv6(cid: str, probes: Iterable[WebProbe | SmtpProbe | DnsServerProbe],
                  what: dict[str, Any]) -> CheckResult | None:
    """``cid`` untestable when some of ``probes`` (a host's web probes, its mail servers') did not reach IPv6
    because the scanner had none: what it would judge over IPv6 is unknown, never "not applicable"; else None."""
    if ipv6_untested(probes):
        return result(cid, UNTESTED, "scanner_no_ipv6", say("untestable_no_ipv6", what=what))
    return None


def https_pages(facts: HostFacts, family: Family | None = None) -> list[WebProbe]:
    """The HTTPS probes (of ``family``, or both) whose redirects ended on an HTTPS page that answered: where
    what users meet over HTTPS (HSTS, the security headers) is read."""
    return [p for p in facts.web if p.scheme == "https" and (family is None or p.family is family)
            and p.final_status is not None and (p.final_url or "").startswith("https:")]


def tls_problem(p: WebProbe) -> Outcome | None:
    """The TLS failure of the first handshake of an HTTPS probe, if any."""
    seen = (p.tls.outcome if p.tls is not None else None, p.outcome)
    return next((o for o in seen if o in TLS_FAILURES), None)


def tls_probes(facts: HostFacts, family: Family) -> list[WebProbe]:
    """HTTPS probes of the family that got as far as a TLS handshake."""
    return [p for p in probes(facts, "https", family) if p.tls is not None or tls_problem(p)]


def cert_probes(facts: HostFacts, family: Family) -> list[WebProbe]:
    return [p for p in probes(facts, "https", family) if p.tls is not None and p.tls.cert is not None]


def aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def parse_time(text: str) -> datetime:
    """ISO 8601 (``Z`` or an offset; naive means UTC)."""
    return aware(datetime.fromisoformat(text))


def answers_ipv6(server: NameServer | MailServer) -> bool:
    return any(p.family == Family.V6 and p.outcome == Outcome.OK for p in server.probes)


# ---------------------------------------------------------------- fragments naming facts


def where(p: WebProbe) -> dict[str, Any]:
    """ "2001:db8::10 port 443" """
    return say("where", address=p.address, port=p.port)


def did(outcome: Outcome | None, detail: str | None = None) -> dict[str, Any]:
    """What a connection did: "timed out", "refused the connection", "failed (detail)"."""
    if outcome == Outcome.ERROR and detail:
        return say("did.error_detail", detail=detail)
    if outcome in DID:
        return say(f"did.{outcome}")
    return say("did.other", outcome=str(outcome))


def waited_s(p: WebProbe) -> float | None:
    """How long the first request waited before it gave up, in seconds (tries together); None: it did not wait
    (answered from the scan's connect facts, or never timed out)."""
    if p.outcome != Outcome.TIMEOUT or p.connect_shared:
        return None
    ms = p.hops[0].elapsed_ms if p.hops else p.elapsed_ms
    return round(ms / 1000, 1) if ms >= 100 else None


def failure(p: WebProbe) -> dict[str, Any]:
    """ "2001:db8::10 port 443 refused the connection"; a timeout says how long it waited:
    "2001:db8::10 port 443 gave no answer within 10 s" (never that nothing is there)."""
    seconds = waited_s(p)
    if seconds is not None:
        within = say("did.no_answer_within_tries", seconds=seconds, tries=p.attempts) if p.attempts > 1 else \
            say("did.no_answer_within", seconds=seconds)
        return say("failure", where=where(p), did=within)
    return say("failure", where=where(p), did=did(p.outcome, p.detail))


def dns_kind(outcome: Outcome) -> Outcome:
    return outcome if outcome in DNS_FAILURES else Outcome.DNS_ERROR


def dns_why(outcome: Outcome) -> dict[str, Any]:
    """Why a DNS lookup failed: "the query timed out", "the name does not exist (NXDOMAIN)"."""
    return say(f"dns.{dns_kind(outcome)}")


def dns_reason(outcome: Outcome, rdtype: str | None = None) -> str:
    """Reason code of a DNS failure: NXDOMAIN and CNAME trouble concern the name; others the record type."""
    kind = dns_kind(outcome)
    if kind in (Outcome.DNS_NXDOMAIN, Outcome.CNAME_LOOP, Outcome.CNAME_TOO_LONG) or rdtype is None:
        return str(kind)
    return f"{kind}_{rdtype.lower()}"


def dns_reasons() -> tuple[str, ...]:
    """Every reason code :func:`dns_reason` can give."""
    codes = [dns_reason(o) for o in DNS_FAILURES]
    return tuple(dict.fromkeys(codes + [dns_reason(o, t) for o in DNS_FAILURES for t in ("A", "AAAA")]))


def lookup_reason(lookup: DnsLookup) -> str:
    return dns_reason(lookup.outcome, lookup.rdtype)


def lookup_failure(lookup: DnsLookup) -> dict[str, Any]:
    """ "The AAAA lookup for x failed: the query timed out" """
    return say("lookup_failed", rdtype=lookup.rdtype, name=lookup.name, why=dns_why(lookup.outcome))
