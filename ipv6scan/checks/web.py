"""web.<scheme>.<family>: did every address of that family answer that scheme (first request)?"""

from __future__ import annotations

from typing import Any

from ..model import CheckResult, Family, HostFacts, Outcome, WebProbe
from ._facts import FAMILIES, KINDS, NOT_PROBED, SCHEMES, answered, failure, probes
from ._registry import FAIL, INFO, N_A, PASS, UNTESTED, WARN, CheckContext, check, result, say

# A scheme that only ever met these on every address is "not offered" rather than broken.
_NOTHING_LISTENING = frozenset({Outcome.REFUSED, Outcome.TIMEOUT, Outcome.UNREACHABLE, Outcome.RESET})

_IDS = tuple(f"web.{s}.{f}" for s in SCHEMES for f in FAMILIES)
_REASONS = (
    *(f"{s}_ok_{f}" for s in SCHEMES for f in FAMILIES),
    *(f"{s}_{kind}_ipv6" for s in SCHEMES for kind in KINDS.values()),
    *(f"{s}_absent" for s in SCHEMES),
    "ipv4_problem", "scanner_no_ipv6", "skipped_non_global", "not_probed",
)


@check(ids=_IDS, area="web", order=50, reasons=_REASONS)
def check_web(facts: HostFacts, ctx: CheckContext) -> list[CheckResult]:
    """web.<scheme>.<family>: did every address of that family answer that scheme (first request)?"""
    return [_web_check(facts, scheme, family) for scheme in SCHEMES for family in FAMILIES]


def _web_check(facts: HostFacts, scheme: str, family: Family) -> CheckResult:
    """IPv6 failures FAIL, IPv4 failures WARN; a scheme nobody offers on any family is only INFO."""
    cid = f"web.{scheme}.{family}"
    mine = probes(facts, scheme, family)
    probed = [p for p in mine if p.outcome not in NOT_PROBED]
    if not probed:
        return not_probed(cid, mine, say("scheme_over", scheme=scheme, family=family.value))
    bad = [p for p in probed if not answered(p)]
    if not bad:
        params = say("scheme_answered", scheme=scheme, where=[say("where", address=p.address, port=p.port) for p in probed])
        return result(cid, PASS, f"{scheme}_ok_{family}", params)
    if _absent(facts, scheme):
        return result(cid, INFO, f"{scheme}_absent", say("scheme_absent", scheme=scheme, failures=[failure(p) for p in bad]))
    params = say("scheme_on", scheme=scheme, failures=[failure(p) for p in bad])
    if family == Family.V6:
        return result(cid, FAIL, f"{scheme}_{KINDS.get(bad[0].outcome, 'error')}_ipv6", params)
    return result(cid, WARN, "ipv4_problem", params)


def _absent(facts: HostFacts, scheme: str) -> bool:
    """The site does not offer this scheme at all (nothing listening on any family) but offers the other."""
    probed = [p for p in facts.web if p.scheme == scheme and p.outcome not in NOT_PROBED]
    other_answers = any(answered(p) for p in facts.web if p.scheme != scheme)
    return other_answers and all(p.outcome in _NOTHING_LISTENING for p in probed)


def not_probed(cid: str, mine: list[WebProbe], what: dict[str, Any]) -> CheckResult:
    """A check with nothing probed: untestable (scanner without IPv6), skipped (non-global) or absent."""
    if any(p.outcome == Outcome.UNTESTABLE for p in mine):
        return result(cid, UNTESTED, "scanner_no_ipv6", say("untestable_no_ipv6", what=what))
    if mine:
        return result(cid, N_A, "skipped_non_global", say("skipped_non_global", what=what,
                                                           addresses=[p.address for p in mine]))
    return result(cid, N_A, "not_probed", say("not_probed_no_address", what=what))
