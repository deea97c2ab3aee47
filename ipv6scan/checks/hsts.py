"""tls.hsts: every HTTPS answer says Strict-Transport-Security with a max-age of a year or more (RFC 6797).

Read from the final response of each HTTPS probe that answered over HTTPS (both families);
the worst address decides. A max-age under a year is a warning; none (or max-age=0) is a fail.
It says nothing about IPv6, so it does not count for the verdict: a policy scores it.
"""

from __future__ import annotations

import re

from ..model import CheckResult, HostFacts
from ._facts import https_pages
from ._registry import FAIL, N_A, PASS, WARN, CheckContext, check, result, say

ONE_YEAR = 31_536_000  # seconds: what browsers' preload lists ask for
_MAX_AGE = re.compile(r'^\s*max-age\s*=\s*"?(\d+)"?\s*$', re.IGNORECASE)


@check(ids=("tls.hsts",), area="tls", order=95, counts=False, reasons=("hsts_ok", "hsts_short", "hsts_missing", "not_probed"))
def check_hsts(facts: HostFacts, ctx: CheckContext) -> list[CheckResult]:
    """tls.hsts: every HTTPS answer sends HSTS with max-age of at least a year."""
    answered = https_pages(facts)
    if not answered:
        return [result("tls.hsts", N_A, "not_probed", say("hsts_no_https"))]
    ages = {p.address: max_age(p.headers.get("strict-transport-security")) for p in answered}
    missing = sorted(a for a, age in ages.items() if not age)
    if missing:
        return [result("tls.hsts", FAIL, "hsts_missing", say("hsts_missing", addresses=missing))]
    shortest = min(ages.values())
    if shortest < ONE_YEAR:  # type: ignore[operator]
        short = sorted(a for a, age in ages.items() if age == shortest)
        return [result("tls.hsts", WARN, "hsts_short", say("hsts_short", days=shortest // 86400, addresses=short))]
    return [result("tls.hsts", PASS, "hsts_ok", say("hsts_ok", days=shortest // 86400, subdomains=_subdomains(answered)))]


def _subdomains(answered: list) -> dict:
    """includeSubDomains, noted (not judged: a portal may have sub-sites still on HTTP only)."""
    without = sorted({p.address for p in answered if not include_subdomains(p.headers.get("strict-transport-security"))})
    return say("hsts.no_subdomains", addresses=without) if without else say("hsts.subdomains")


def include_subdomains(header: str | None) -> bool:
    """Does the first Strict-Transport-Security value carry includeSubDomains?"""
    first = (header or "").split(",")[0]
    return any(d.strip().lower() == "includesubdomains" for d in first.split(";"))


def max_age(header: str | None) -> int | None:
    """The max-age of a Strict-Transport-Security value (the first header when several were joined); None: none."""
    if not header:
        return None
    first = header.split(",")[0]
    for directive in first.split(";"):
        if m := _MAX_AGE.match(directive):
            return int(m[1])
    return None
