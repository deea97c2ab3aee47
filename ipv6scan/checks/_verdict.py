"""The verdict rules: a named default over the registry (documented in docs/DESIGN.md).

Rules are tried in order; the first that matches gives the verdict:

1. ``unresolvable`` — the CNAME chain or the AAAA lookup failed (a DNS failure is never "no IPv6");
2. ``no_ipv6`` — no AAAA record (the lookup itself succeeded);
3. ``broken_ipv6`` — AAAA published, but none of it can be reached (non-global, not allowed);
4. ``untestable`` — the scanner had no IPv6, or no IPv6 probe could be made;
5. ``broken_ipv6`` — nothing answered over IPv6 on any address and scheme;
6. ``partial`` — a check that ``counts`` (see the registry) failed;
7. ``ready`` — otherwise.

The reasons behind a verdict are the reason codes of counted checks: FAIL ones in
check order, then WARN ones (for ``untestable``, the UNTESTABLE ones first).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..model import CheckResult, Family, HostFacts, Outcome, Verdict
from ._facts import NOT_PROBED, addresses, allowed_of, answered, failed, routable
from ._registry import FAIL, UNTESTED, WARN


@dataclass(frozen=True)
class Rule:
    name: str
    verdict: Verdict
    applies: Callable[[HostFacts, list[CheckResult], frozenset[str]], bool]


def _unresolvable(facts: HostFacts, checks: list[CheckResult], counted: frozenset[str]) -> bool:
    return facts.resolution.chain_outcome != Outcome.OK or failed(facts.resolution.aaaa)


def _no_aaaa(facts: HostFacts, checks: list[CheckResult], counted: frozenset[str]) -> bool:
    return not addresses(facts.resolution, Family.V6)


def _none_routable(facts: HostFacts, checks: list[CheckResult], counted: frozenset[str]) -> bool:
    allowed = allowed_of(facts)
    return not any(routable(a, allowed) for a in addresses(facts.resolution, Family.V6))


def _untestable(facts: HostFacts, checks: list[CheckResult], counted: frozenset[str]) -> bool:
    v6 = [p.outcome for p in facts.web if p.family == Family.V6]
    return not facts.scanner_ipv6 or (Outcome.UNTESTABLE in v6 and all(o in NOT_PROBED for o in v6))


def _nothing_answers(facts: HostFacts, checks: list[CheckResult], counted: frozenset[str]) -> bool:
    return not any(answered(p) for p in facts.web if p.family == Family.V6)


def _a_counted_fail(facts: HostFacts, checks: list[CheckResult], counted: frozenset[str]) -> bool:
    return any(c.status == FAIL for c in checks if c.id in counted)


DEFAULT_RULES: tuple[Rule, ...] = (
    Rule("dns_failed", Verdict.UNRESOLVABLE, _unresolvable),
    Rule("no_aaaa", Verdict.NO_IPV6, _no_aaaa),
    Rule("aaaa_unreachable", Verdict.BROKEN_IPV6, _none_routable),
    Rule("scanner_cannot_test", Verdict.UNTESTABLE, _untestable),
    Rule("nothing_answers_ipv6", Verdict.BROKEN_IPV6, _nothing_answers),
    Rule("a_counted_check_fails", Verdict.PARTIAL, _a_counted_fail),
)


def verdict(facts: HostFacts, checks: list[CheckResult], counted: frozenset[str],
            rules: Iterable[Rule] = DEFAULT_RULES) -> Verdict:
    """The verdict of the first rule that applies, else ``ready``."""
    return next((r.verdict for r in rules if r.applies(facts, checks, counted)), Verdict.READY)


def reasons(v: Verdict, checks: list[CheckResult], counted: frozenset[str]) -> list[str]:
    """FAIL reasons in check order, then WARN; for an untestable verdict, why it was untestable first."""
    order = [FAIL, WARN]
    if v == Verdict.UNTESTABLE:
        order.insert(0, UNTESTED)
    mine = [c for c in checks if c.id in counted]
    return list(dict.fromkeys(c.reason for status in order for c in mine if c.status == status))
