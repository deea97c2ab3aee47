"""web.mixed_content: a page read over HTTPS loads nothing by plain ``http:`` (W3C Mixed Content).

What the page would run or lay out from ``http:`` — scripts, stylesheets, frames, objects, preloads,
manifests, stylesheets' ``@import`` — browsers block: the page breaks for every visitor (FAIL). Images,
media, icons and a stylesheet's ``url()`` (backgrounds, fonts) are upgraded to ``https:`` or shown with a
"Not secure" mark (WARN). Read from the page the scan read (its own host's references included) and the
stylesheets it loads over HTTPS. It says nothing about IPv6, so it does not count for the verdict: a policy
scores it (Circular 32/2017's HTTPS for public services is kept only if the page's parts are HTTPS too).
"""

from __future__ import annotations

from ..model import CheckResult, HostFacts, InsecureRef
from ._registry import FAIL, N_A, PASS, WARN, CheckContext, check, result, say
from ._service import page_not_looked

BLOCKED = frozenset({"script", "stylesheet", "frame", "object", "preload", "manifest", "import"})
SHOWN = 5  # references named in the sentence (the facts keep deps.MAX_INSECURE and the first of each kind)


@check(ids=("web.mixed_content",), area="web", order=97, counts=False,
       reasons=("mixed_none", "mixed_blocked", "mixed_passive", "mixed_not_https", "mixed_not_checked",
                "deps_not_checked", "deps_no_page", "deps_budget"))
def check_mixed_content(facts: HostFacts, ctx: CheckContext) -> list[CheckResult]:
    """web.mixed_content: nothing on the HTTPS page is loaded by plain HTTP."""
    skipped = page_not_looked("web.mixed_content", facts)
    if skipped:
        return [skipped]
    page = facts.page
    assert page is not None
    if not page.url.lower().startswith("https:"):
        return [result("web.mixed_content", N_A, "mixed_not_https", say("mixed_not_https"))]
    if page.insecure_found is None:  # a scan from before 1.7
        return [result("web.mixed_content", N_A, "mixed_not_checked", say("mixed_not_checked"))]
    if not page.insecure_found:
        return [result("web.mixed_content", PASS, "mixed_none", say("mixed_none"))]
    blocked = [r for r in page.insecure if r.kind in BLOCKED]  # (the first of every kind is kept: none is missed)
    if blocked:
        n = sum(page.insecure_kinds.get(k, 0) for k in BLOCKED) or len(blocked)
        return [result("web.mixed_content", FAIL, "mixed_blocked", say("mixed_blocked", n=n, items=_items(blocked)))]
    return [result("web.mixed_content", WARN, "mixed_passive",
                   say("mixed_passive", n=page.insecure_found, items=_items(page.insecure)))]


def _items(refs: list[InsecureRef]) -> list[dict]:
    return [say("mixed_item", url=r.url, kind=say(f"depkind.{r.kind}")) for r in refs[:SHOWN]]
