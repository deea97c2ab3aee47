"""web.links_ipv6: the government sites a portal links to (a click away) open over IPv6.

The page's links are read (their words too), those to names under the link domains or under the page's own site
are probed over IPv6 as a dependency is (once per scan), and the check names each one an IPv6-only citizen who
clicks cannot open. Portals and public-service portals are asked by default; a notice, never in the verdict.
"""

from __future__ import annotations

import re

import pytest
from selectolax.lexbor import LexborHTMLParser

from ipv6scan.checks import judge, message
from ipv6scan.model import CheckStatus, Outcome

from .test_checks import checks_of, dependency, page, site

# ---------------------------------------------------------------- reading the links


def test_links_are_read_with_their_words_an_images_alt_or_a_title_in_document_order():
    from ipv6scan.probe.page import tree_links

    html = """<html><head><base href="https://cong.example.gov.vn/vi/"></head><body>
    <a href="https://dichvucong.example.gov.vn/">Cổng   dịch vụ
       công</a>
    <a href="../lien-he">Liên hệ</a>
    <a href="http://motcua.example.gov.vn/"><img src="x.png" alt="Một cửa"></a>
    <a href="https://stttt.example.gov.vn/" title="Sở TT&amp;TT"></a>
    <map><area href="https://so-yte.example.gov.vn/" alt="Sở Y tế"></map>
    <a href="#top">Lên đầu</a><a href="">Trống</a><a>no href</a>
    <a href="https://dvc.example.gov.vn/">""" + "Thủ tục " * 30 + """</a></body></html>"""
    links = tree_links(LexborHTMLParser(html), "https://cong.example.gov.vn/")
    assert links[:5] == [
        ("https://dichvucong.example.gov.vn/", "Cổng dịch vụ công"),
        ("https://cong.example.gov.vn/lien-he", "Liên hệ"),  # (resolved against <base>)
        ("http://motcua.example.gov.vn/", "Một cửa"),
        ("https://stttt.example.gov.vn/", "Sở TT&TT"),
        ("https://so-yte.example.gov.vn/", "Sở Y tế"),
    ]
    assert len(links) == 6 and links[5][0] == "https://dvc.example.gov.vn/" and len(links[5][1]) == 80


def test_linked_sites_are_the_government_ones_other_than_the_host_one_per_origin_up_to_the_cap():
    from ipv6scan.probe.page import Linked, site_of

    linked = Linked(own=frozenset({"www.danang.gov.vn"}), domains=("gov.vn", site_of("www.danang.gov.vn")), cap=3)
    for url, text in [
        ("https://www.danang.gov.vn/tin-tuc", "own page"),  # the host itself
        ("https://dichvucong.danang.gov.vn/", "Dịch vụ công"),
        ("https://dichvucong.danang.gov.vn/thu-tuc", "again"),  # the same origin: counted, its first words kept
        ("http://dichvucong.danang.gov.vn/", "plain"),  # another origin (scheme)
        ("https://www.facebook.com/danang", "Facebook"),  # not a government site
        ("https://203.0.113.5/", "an address"),  # an IP literal: no name to judge
        ("mailto:vanphong@danang.gov.vn", "mail"),
        ("https://chinhphu.vn/", "outside gov.vn"),
        ("https://www.danang.gov.vn.example.com/", "lookalike"),  # not under gov.vn
        ("https://sotttt.danang.gov.vn/", "Sở TT&TT"),
        ("https://quangnam.gov.vn/", "Quảng Nam"),
        ("https://www.danang.gov.vn", "own root, no slash"),
        ("http://www.danang.gov.vn?lang=en", "own, a query"),
    ]:
        linked.add(url, text)
    assert [(o.scheme, o.host, o.refs) for o in linked.origins] == [
        ("https", "dichvucong.danang.gov.vn", 2), ("http", "dichvucong.danang.gov.vn", 1),
        ("https", "sotttt.danang.gov.vn", 1)]
    assert linked.found == 4  # quangnam.gov.vn found past the cap
    assert linked.texts[("https", "dichvucong.danang.gov.vn", 443)] == "Dịch vụ công"
    # the page's own site counts whatever the link domains: a portal outside gov.vn links to its own services
    own = Linked(own=frozenset({"portal.example.org"}), domains=("gov.vn", site_of("portal.example.org")), cap=8)
    own.read([("https://services.portal.example.org/", "Services"),
              ("https://example.org/", "the parent domain: not the page's site"),
              ("https://portal.example.org.evil.example/", "not the page's own host")])
    assert [o.host for o in own.origins] == ["services.portal.example.org"]


def test_link_domains_are_kept_as_ascii_lower_case_and_a_bad_one_is_named():
    from ipv6scan.config import DEFAULTS, link_domains
    from ipv6scan.errors import UsageProblem

    assert DEFAULTS.link_domains == ["gov.vn"]
    assert link_domains([" Gov.VN. ", "đànẵng.vn"]) == ["gov.vn", "xn--nng-8ka8v493n.vn"]  # (IDNA 2008)
    with pytest.raises(UsageProblem) as bad:
        link_domains(["gov vn"])
    assert bad.value.text("vi") == "'gov vn' không phải là một tên miền"


# ---------------------------------------------------------------- the check


def judged(links, *, found=None, **site_options):
    facts = site(page_facts=page(links=links), **site_options)
    if found is not None:
        facts.page.links_found = found
    return checks_of(judge(facts))["web.links_ipv6"]


def link(host: str, outcome: Outcome = Outcome.OK, text: str | None = None):
    found = dependency(host, outcome, kinds=("link",))
    found.text = text
    return found


def test_sites_an_ipv6_only_citizen_cannot_open_are_named_with_their_words_and_it_never_counts():
    check = judged([link("dichvucong.gov.example"), link("v4.gov.example", Outcome.DNS_NODATA, "Sở Tư pháp"),
                    link("dead.gov.example", Outcome.TIMEOUT)])
    assert (check.status, check.reason) == (CheckStatus.WARN, "links_not_ipv6")
    assert message(check, "en") == ("A citizen with IPv6 only cannot open 2 of the 3 government sites the page links "
                                    "to: v4.gov.example (“Sở Tư pháp”) has no AAAA and dead.gov.example timed out")
    assert message(check, "vi") == ("Người dân chỉ có IPv6 không mở được 2 trong 3 trang web nhà nước mà trang liên "
                                    "kết tới: v4.gov.example (“Sở Tư pháp”) không có AAAA và dead.gov.example quá "
                                    "thời gian chờ")
    facts = site(page_facts=page(links=[link("v4.gov.example", Outcome.DNS_NODATA)]))
    assert judge(facts).verdict.value == "ready"  # (a notice: the portal's own verdict is untouched)


@pytest.mark.parametrize(("links", "found", "status", "reason", "en"), [
    ([], 0, CheckStatus.PASS, "links_none", "The page links to no other government site"),
    ([link("a.gov.example"), link("b.gov.example")], 2, CheckStatus.PASS, "links_ipv6",
     "All 2 government sites the page links to answer over IPv6"),
    ([link("a.gov.example")], 5, CheckStatus.PASS, "links_ipv6",
     "All 1 government sites checked that the page links to answer over IPv6 (4 more were found and not checked: "
     "the cap)"),
    ([link("a.gov.example"), link("b.gov.example", Outcome.DNS_SERVFAIL)], 2, CheckStatus.UNTESTABLE,
     "links_dns_failed", "The AAAA lookup failed for b.gov.example: their IPv6 is unknown"),
    ([link("a.gov.example", Outcome.UNTESTABLE)], 1, CheckStatus.UNTESTABLE, "links_untestable",
     "Not tested over IPv6 from this scanner: a.gov.example"),
])
def test_what_the_check_says_of_each_case(links, found, status, reason, en):
    check = judged(links, found=found)
    assert (check.status, check.reason, message(check, "en")) == (status, reason, en)


def test_links_not_asked_or_no_page_is_not_applicable_never_a_pass():
    facts = site(page_facts=page())
    facts.page.links = None  # (page(links=None) gives the default link)
    check = checks_of(judge(facts))["web.links_ipv6"]
    assert (check.status, check.reason) == (CheckStatus.NOT_APPLICABLE, "links_not_asked")
    assert "--links" in message(check, "en") and "--links" in message(check, "vi")
    check = checks_of(judge(site(page_facts=None)))["web.links_ipv6"]
    assert (check.status, check.reason) == (CheckStatus.NOT_APPLICABLE, "deps_no_page")


# ---------------------------------------------------------------- the lab: a portal's menu


def _scan(lab, kind: str, **options):
    import ipv6scan
    from ipv6scan.targets import Target

    target = Target(host="dual.gov.example", display="dual.gov.example", input="dual.gov.example", line=1,
                    source="test", kind=kind)
    (record,) = ipv6scan.scan_hosts([target], lab.options(check_zone=False, **options), network=lab.network,
                                    loop="asyncio")
    return record


def test_a_portals_menu_is_probed_over_ipv6_and_what_a_citizen_cannot_open_is_named(lab):
    """dual.gov.example's menu links to the public-service portal (IPv6 works), a department with no AAAA and a
    one-stop system whose AAAA never answers; its own pages, a site outside the link domain and an IPv4 literal
    are not linked sites."""
    record = _scan(lab, "portal")
    links = record.facts.page.links
    assert [(d.host, d.text, d.refs) for d in links] == [
        ("www.gov.example", "Cổng dịch vụ công", 2), ("v4only.gov.example", "Sở Thông tin và Truyền thông", 1),
        ("timeout6.gov.example", "Hệ thống một cửa", 1)]
    assert record.facts.page.links_found == 3 and record.facts.page.dependencies == []
    outcomes = [d.probe.outcome for d in links]
    assert outcomes == [Outcome.OK, Outcome.DNS_NODATA, Outcome.TIMEOUT]
    assert links[0].probe.address == "2001:db8::40" and links[0].probe.for_host == "dual.gov.example"
    check = checks_of(record.result)["web.links_ipv6"]
    assert (check.status, check.reason) == (CheckStatus.WARN, "links_not_ipv6")
    assert "v4only.gov.example (“Sở Thông tin và Truyền thông”) không có AAAA" in message(check, "vi")
    assert record.result.verdict.value == "ready"


def test_only_portals_are_asked_by_default_and_the_options_say_which_and_how_many(lab):
    from ipv6scan.config import HostsAsked

    website = _scan(lab, "website")
    assert website.facts.page.links is None
    assert checks_of(website.result)["web.links_ipv6"].reason == "links_not_asked"
    asked = _scan(lab, "website", links=HostsAsked.ALL, max_links=1)
    assert [d.host for d in asked.facts.page.links] == ["www.gov.example"] and asked.facts.page.links_found == 3
    check = checks_of(asked.result)["web.links_ipv6"]
    assert (check.status, message(check, "en")) == (CheckStatus.PASS, (
        "All 1 government sites checked that the page links to answer over IPv6 (2 more were found and not "
        "checked: the cap)"))
    assert _scan(lab, "portal", links=HostsAsked.NONE).facts.page.links is None
    # another link domain: none of the menu's sites is under it (and the page's own site has none)
    elsewhere = _scan(lab, "portal", link_domains=["gov.vn"])
    assert elsewhere.facts.page.links == [] and elsewhere.facts.page.links_found == 0


def test_show_lists_the_linked_sites_with_their_words_in_vietnamese(lab, tmp_path):
    import io

    from rich.console import Console

    from ipv6scan.output import render_host

    record = _scan(lab, "portal")
    out = io.StringIO()
    render_host(Console(file=out, width=200, color_system=None), record, "vi")
    text = out.getvalue()
    assert "Trang web nhà nước mà trang liên kết tới (cách một cú bấm)" in text
    header = next(line for line in text.splitlines() if line.startswith("Trang web ") and "Liên kết" in line)
    assert header.split()[:4] == ["Trang", "web", "Liên", "kết"]
    row = next(line for line in text.splitlines() if line.startswith("v4only.gov.example"))
    assert "Sở Thông tin và Truyền thông" in row and "không có AAAA" in row
    row = next(line for line in text.splitlines() if line.startswith("timeout6.gov.example"))
    assert "Hệ thống một cửa" in row and "2001:db8::13" in row


def test_a_bad_link_domain_is_a_usage_error_on_the_line_and_in_an_audit_config(tmp_path):
    from ipv6scan.audit import AuditConfig
    from ipv6scan.errors import Ipv6scanError

    from .conftest import run_cli

    proc = run_cli("scan", "-", "--link-domain", "gov vn", "--no-save", "--no-db", stdin="dual.gov.example\n",
                   env={"IPV6SCAN_LANG": "vi"})
    assert proc.returncode == 2 and "--link-domain: 'gov vn' không phải là một tên miền" in proc.stderr
    config = AuditConfig(targets=["x.txt"], scan={"link_domains": ["Gov.VN."], "links": "all"}, origin="a.toml")
    options = config.scan_options()
    assert options.link_domains == ["gov.vn"] and options.links.value == "all"
    with pytest.raises(Ipv6scanError, match=re.escape("scan.link_domains")):
        AuditConfig(targets=["x.txt"], scan={"link_domains": ["a b"]}, origin="a.toml").scan_options()


def test_own_links_are_told_by_their_start_and_their_words_are_not_read():
    from ipv6scan.probe.page import Linked, tree_links

    linked = Linked(own=frozenset({"danang.gov.vn"}), domains=("gov.vn",), cap=8)
    html = ('<a href="/a">A</a><a href="https://danang.gov.vn/b">B</a><a href="https://DANANG.gov.vn:443/c">C</a>'
            '<a href="https://danang.gov.vn.example.com/d">D</a><a href="https://so.danang.gov.vn/e">E</a>'
            '<a href="https://so.danang.gov.vn/f">F</a><a href="https://so.danang.gov.vn:8443/g">G</a>')
    links = tree_links(LexborHTMLParser(html), "https://danang.gov.vn/", linked.wants)
    assert [text for _, text in links] == ["C", "D", "E", "F", "G"]  # (C: its own host too, told the long way)
    linked.read(links)
    assert [(o.host, o.port, o.refs) for o in linked.origins] == [("so.danang.gov.vn", 443, 2),
                                                                  ("so.danang.gov.vn", 8443, 1)]
