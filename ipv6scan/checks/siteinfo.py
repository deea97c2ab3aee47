"""web.site_info: the page shows what Circular 32/2017/TT-BTTTT art. 16 asks a state agency's portal to carry.

Art. 16 asks for a footer naming the owning agency, the person responsible, the address, the telephone and the
e-mail address, and for a site map page and an XML sitemap. The probe looks for each in the text of the page it
read (its labels, accented or not; ``mailto:`` and ``tel:`` links; a link to "Sơ đồ cổng" or a site map), asks
the site for ``/sitemap.xml`` (or what robots.txt names) when the scan asks it of the host (``--xml-sitemap``:
portals by default), and keeps what it saw (``PageFacts.site_info``); this check names what it did not see.

A notice, never counted for the verdict: the page is read as HTML, so a footer built by script or drawn as an
image is not seen (the words say "not found on" the page and why that can be, never "missing"), and whether
art. 16 is still in force after Circular 22/2023 was not verified. The shipped policy judges it in a phase of
its own that binds no host (``portal-info``), on portals and public-service portals.
"""

from __future__ import annotations

from ..model import CheckResult, HostFacts, Outcome
from ._registry import N_A, PASS, WARN, CheckContext, check, result, say
from ._service import page_not_looked

CID = "web.site_info"
ITEMS = ("agency", "responsible", "address", "phone", "email", "sitemap")  # in the order art. 16 lists them


@check(ids=(CID,), area="web", order=99, counts=False, severity=WARN,
       reasons=("site_info_ok", "site_info_missing", "site_info_not_read", "deps_not_checked", "deps_budget",
                "deps_no_page"))
def check_site_info(facts: HostFacts, ctx: CheckContext) -> list[CheckResult]:
    """web.site_info: the page shows its owning agency, the person responsible, an address, a telephone, an
    e-mail address and a link to a site map, and the site has an XML sitemap when it was asked for
    (Circular 32/2017 art. 16)."""
    skipped = page_not_looked(CID, facts)
    if skipped is not None:
        return [skipped]
    assert facts.page is not None  # (page_not_looked said so)
    info = facts.page.site_info
    if info is None:  # (a scan before 1.10)
        return [result(CID, N_A, "site_info_not_read", say("siteinfo.not_read"))]
    seen = [item for item in ITEMS if getattr(info, item) is not None]
    unseen = [say(f"siteinfo.item.{item}") for item in ITEMS if item not in seen]
    xml = info.xml_sitemap
    if xml is not None and xml.found is False:  # (None: robots.txt names one on another host)
        unseen.append(say("siteinfo.item.xml_sitemap") if xml.outcome == Outcome.OK
                      else say("siteinfo.item.xml_unread", url=xml.url, outcome=xml.outcome.value))
    elif xml is not None:
        seen.append("xml_sitemap")
    if not unseen:
        return [result(CID, PASS, "site_info_ok", say("siteinfo.ok", url=facts.page.url,
                                                      items=[say(f"siteinfo.item.{item}") for item in seen]))]
    return [result(CID, WARN, "site_info_missing", say("siteinfo.missing", url=facts.page.url, items=unseen))]
