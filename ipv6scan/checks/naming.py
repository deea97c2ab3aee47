"""naming.gov_vn: the host is named as Decree 224/2026/NĐ-CP art. 11(4) says for its unit.

State portals and websites use ".vn"; a province's are under ``tentinhthanh.gov.vn``, a ministry's
under its ``gov.vn`` domain, a commune People's Committee's at ``tenphuongxa.tentinhthanh.gov.vn``.
The unit is the target list's ``org`` (and ``tags``: ``commune;province:<slug>``, ``legacy``), matched
against the administrative units (``ipv6scan.naming``). A domain of a unit that no longer exists
(``legacy``) and an org the rule does not name are not judged. Two communes of one province whose names
are the same in ASCII (Văn Lang, Văn Lăng) cannot both have the name; tagged ``ambiguous``, the label may end
in a number. Does not count for the verdict.
"""

from __future__ import annotations

import re

from ..model import CheckResult, HostFacts
from ._registry import FAIL, N_A, PASS, CheckContext, check, result, say

CID = "naming.gov_vn"


@check(ids=(CID,), area="dns", order=45, counts=False,
       reasons=("naming_ok", "naming_not_vn", "naming_not_gov_vn", "naming_outside_unit", "naming_unit_unknown",
                "naming_legacy"))
def check_naming(facts: HostFacts, ctx: CheckContext) -> list[CheckResult]:
    """naming.gov_vn: .vn, and under the gov.vn domain the decree names for the host's unit."""
    from ..naming import GOV_VN, expected

    host = facts.host.lower().rstrip(".")
    if "legacy" in (t.split(":", 1)[0] for t in facts.tags):
        return [result(CID, N_A, "naming_legacy", say("naming.legacy", host=facts.display))]
    rule = expected(facts.org, tuple(facts.tags))
    if rule is None:
        return [result(CID, N_A, "naming_unit_unknown", say("naming.unit_unknown", host=facts.display,
                                                             org=facts.org or "-"))]
    if not host.endswith(".vn"):
        return [result(CID, FAIL, "naming_not_vn", say("naming.not_vn", host=facts.display))]
    level, domains, unit = rule
    ambiguous = "ambiguous" in facts.tags
    under = [d for d in domains if _under(host, d, ambiguous=level == "commune" and ambiguous)]
    if not under:
        return [result(CID, FAIL, "naming_outside_unit", say(f"naming.outside_{level}", host=facts.display,
                                                              unit=unit, domain=domains[0]))]
    if not (under[0] == GOV_VN or under[0].endswith("." + GOV_VN)):
        return [result(CID, FAIL, "naming_not_gov_vn", say("naming.not_gov_vn", host=facts.display, unit=unit,
                                                            domain=under[0]))]
    return [result(CID, PASS, "naming_ok", say("naming.ok", host=facts.display, unit=unit, domain=under[0]))]


def _under(host: str, domain: str, *, ambiguous: bool) -> bool:
    """host is domain or below it; for a commune whose name another unit shares in ASCII (tagged ``ambiguous``),
    also the label followed by a number (its unit code), the only way two such units can differ."""
    if host == domain or host.endswith("." + domain):
        return True
    label, _, parent = domain.partition(".")
    first, _, rest = host.partition(".")
    return ambiguous and rest == parent and re.fullmatch(re.escape(label) + r"\d+", first) is not None
