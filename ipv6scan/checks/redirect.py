"""redirect.ipv6: redirect chains followed over IPv6 stay on IPv6 and end in an answer."""

from __future__ import annotations

from ..model import CheckResult, Family, HostFacts, Outcome, WebProbe
from ._facts import answered, did, untested_ipv6, where
from ._registry import FAIL, N_A, PASS, CheckContext, check, result, say

# Redirect-chain endings over IPv6 -> reason code (its sentence end: text."ending.<code>").
_ENDINGS: dict[Outcome, str] = {
    Outcome.REDIRECT_LEAVES_FAMILY: "redirect_leaves_ipv6",
    Outcome.REDIRECT_LOOP: "redirect_loop_ipv6",
    Outcome.TOO_MANY_REDIRECTS: "too_many_redirects_ipv6",
    Outcome.REDIRECT_REFUSED: "redirect_refused_ipv6",
}


@check(ids=("redirect.ipv6",), area="redirect", order=110,
       reasons=("redirect_ok_ipv6", "redirect_failed_ipv6", *_ENDINGS.values(), "scanner_no_ipv6", "not_probed"))
def check_redirects(facts: HostFacts, ctx: CheckContext) -> list[CheckResult]:
    """redirect.ipv6: redirect chains followed over IPv6 stay on IPv6 and end in an answer."""
    ok = [p for p in facts.web if p.family == Family.V6 and answered(p)]
    if not ok:
        return [untested_ipv6("redirect.ipv6", facts.web, say("what.redirect6"))
                or result("redirect.ipv6", N_A, "not_probed", say("nothing_answered_ipv6"))]
    broken = [p for p in ok if _chain_failed(p)]
    if not broken:
        return [result("redirect.ipv6", PASS, "redirect_ok_ipv6", say("redirects_ok"))]
    endings = [_ending(p) for p in broken]
    chains = [say("chain_from", scheme=p.scheme, where=where(p), ending=text) for p, (_, text) in zip(broken, endings)]
    return [result("redirect.ipv6", FAIL, endings[0][0], say("over_ipv6", chains=chains))]


def _chain_failed(p: WebProbe) -> bool:
    """The redirect chain ended badly after the first answer (not just the first hop's own certificate problem)."""
    ending = p.final_outcome
    return ending not in (None, Outcome.OK) and (ending != p.outcome or len(p.hops) > 1)


def _ending(p: WebProbe) -> tuple[str, dict]:
    """Reason code and sentence end for a failed redirect chain."""
    url = p.final_url or (p.hops[-1].url if p.hops else None)
    url_text = url if url else say("the_next_hop")
    if p.final_outcome in _ENDINGS:
        reason = _ENDINGS[p.final_outcome]
        return reason, say(f"ending.{reason}", url=url_text)
    return "redirect_failed_ipv6", say("ending.redirect_failed_ipv6", url=url_text, did=did(p.final_outcome))
