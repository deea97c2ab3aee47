"""web.latency: IPv6 answers much later than IPv4 (connect and first byte, per address).

Dual-stack browsers race the two families (Happy Eyeballs, RFC 8305): when IPv6 is much slower they use
IPv4, and the IPv6 service is effectively unused even though it works. Per IPv6 address, its fastest
connect and first byte over both schemes are compared with the fastest IPv4 address's: more than
``SLOWER_MS`` later *and* more than ``SLOWER_RATIO`` times as long is a warning naming the address and
both figures. An address that gave no answer is judged by the reachability checks, not here.
"""

from __future__ import annotations

from ..model import CheckResult, Family, HostFacts, WebProbe
from ._facts import untested_ipv6
from ._registry import N_A, PASS, WARN, CheckContext, check, result, say

SLOWER_MS = 300.0
SLOWER_RATIO = 2.0
_MEASURES = ("connect_ms", "first_byte_ms")


def _best(probes: list[WebProbe], measure: str) -> float | None:
    values = [getattr(p, measure) for p in probes if getattr(p, measure) is not None]
    return min(values) if values else None


@check(ids=("web.latency",), area="web", order=97, counts=False, severity=WARN,
       reasons=("latency_ok", "ipv6_slower", "scanner_no_ipv6", "not_probed"))
def check_latency(facts: HostFacts, ctx: CheckContext) -> list[CheckResult]:
    """web.latency: no IPv6 address connects or answers far later than IPv4 (> 300 ms and > 2x)."""
    v4 = [p for p in facts.web if p.family is Family.V4 and p.status is not None]
    v6: dict[str, list[WebProbe]] = {}
    for p in facts.web:
        if p.family is Family.V6 and p.status is not None:
            v6.setdefault(p.address, []).append(p)
    if not v4 or not v6:
        return [untested_ipv6("web.latency", facts.web, say("what.latency"))
                or result("web.latency", N_A, "not_probed", say("latency_one_family"))]
    slow = []
    for address, probes in v6.items():
        for measure in _MEASURES:
            base, mine = _best(v4, measure), _best(probes, measure)
            if base is None or mine is None:
                continue
            if mine - base > SLOWER_MS and mine > SLOWER_RATIO * base:
                slow.append(say(f"latency.{measure}", address=address, v6=round(mine), v4=round(base)))
                break
    if slow:
        return [result("web.latency", WARN, "ipv6_slower", say("ipv6_slower", items=slow))]
    return [result("web.latency", PASS, "latency_ok", say("latency_ok"))]
