"""parity.<scheme>: the scheme answers on both families, with the same status and page."""

from __future__ import annotations

from ..model import CheckResult, Family, HostFacts, ParityFacts
from ..model import Outcome
from ._facts import SCHEMES, failure, probes, reach
from ._registry import FAIL, INFO, N_A, PASS, CheckContext, check, result, say
from .web import not_probed

SIMILARITY_THRESHOLD = 0.9  # below this the IPv6 page is "another page"

_REASONS = (
    *(f"{s}_{side}" for s in SCHEMES for side in ("ipv4_only", "ipv6_only", "ipv6_no_answer")),
    "parity_ok", "parity_status_differs", "parity_content_differs", "parity_not_comparable", "not_compared",
    "scanner_no_ipv6", "skipped_non_global", "not_probed",
)


@check(ids=tuple(f"parity.{s}" for s in SCHEMES), area="parity", order=100, reasons=_REASONS)
def check_parity(facts: HostFacts, ctx: CheckContext) -> list[CheckResult]:
    """parity.<scheme>: the scheme answers on both families, with the same status and page."""
    return [r for scheme in SCHEMES for r in _parity_checks(facts, scheme)]


def _parity_checks(facts: HostFacts, scheme: str) -> list[CheckResult]:
    """Answering on IPv4 but not IPv6 FAILs; answering on both is judged by the recorded comparison."""
    cid = f"parity.{scheme}"
    v4, v6 = reach(facts, scheme, Family.V4), reach(facts, scheme, Family.V6)
    if v6 is None:
        return [not_probed(cid, probes(facts, scheme, Family.V6), say("scheme_over", scheme=scheme, family="ipv6"))]
    if v4 and not v6:
        mine = probes(facts, scheme, Family.V6)
        if mine and all(p.outcome == Outcome.TIMEOUT for p in mine):  # slow or silent: never "nothing there"
            params = say("answers_ipv4_no_answer_ipv6", scheme=scheme, failures=[failure(p) for p in mine])
            return [result(cid, FAIL, f"{scheme}_ipv6_no_answer", params)]
        return [result(cid, FAIL, f"{scheme}_ipv4_only", say("answers_ipv4_only", scheme=scheme))]
    if v6 and not v4:
        return [result(cid, INFO, f"{scheme}_ipv6_only", say("answers_ipv6_only", scheme=scheme))]
    comparisons = [c for c in facts.parity if c.scheme == scheme]
    if not (v4 and v6 and comparisons):
        return [result(cid, N_A, "not_compared", say("not_compared", scheme=scheme))]
    return [_compare(cid, scheme, c) for c in comparisons]


def _compare(cid: str, scheme: str, c: ParityFacts) -> CheckResult:
    """Same final status, and pages at least ``SIMILARITY_THRESHOLD`` alike."""
    if c.v4_status != c.v6_status:
        params = say("status_differs", scheme=scheme, v4_status=str(c.v4_status), v4=c.v4_address,
                     v6_status=str(c.v6_status), v6=c.v6_address)
        return result(cid, FAIL, "parity_status_differs", params)
    if c.similarity is None:
        return result(cid, INFO, "parity_not_comparable", say("not_comparable", scheme=scheme, v4=c.v4_address,
                                                              v6=c.v6_address))
    pages = say("pages", scheme=scheme, v6=c.v6_address, v6_size=_size(c.v6_length), similarity=c.similarity,
                v4=c.v4_address, v4_size=_size(c.v4_length))
    if c.similarity < SIMILARITY_THRESHOLD:
        return result(cid, FAIL, "parity_content_differs", say("different_page", pages=pages))
    return result(cid, PASS, "parity_ok", say("same_page", pages=pages))


def _size(length: int | None) -> dict:
    return say("size_unknown") if length is None else say("size_bytes", n=length)
