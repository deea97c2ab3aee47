"""web.site_info (pure): what a page shows of Circular 32/2017 art. 16, read from its text and links."""

import gzip

from selectolax.lexbor import LexborHTMLParser

from ipv6scan.checks import judge, message
from ipv6scan.model import CheckStatus, Outcome, SiteInfo
from ipv6scan.probe.siteinfo import site_info
from tests.test_checks import FOOTER, checks_of, page, site

PORTAL = """<html><body>
<nav><a href="/">Trang chủ</a> <a href="/so-do-to-chuc">Sơ đồ tổ chức</a> <a href="/lien-he">Địa chỉ</a>
<a href="/Sitemap.aspx">Sơ đồ cổng</a></nav>
<script>var footer = "Địa chỉ: không phải đây";</script>
<footer>
  <p>CƠ QUAN CHỦ QUẢN: ỦY BAN NHÂN DÂN TỈNH MẪU</p>
  <p>Chịu trách nhiệm chính: Ông Nguyễn Văn A - Chánh Văn phòng</p>
  <p>Địa chỉ:</p><p>Số 1 đường Trần Phú, TP. Mẫu</p>
  <p>ĐT: (0236) 3822 123 - Fax: (0236) 3822 124</p>
  <p>Email: <a href="mailto:vanphong@tinhmau.gov.vn?subject=Hỏi">vanphong@tinhmau.gov.vn</a></p>
</footer></body></html>"""


def read(html: str, url: str = "https://tinhmau.gov.vn/") -> dict:
    """What the page shows, read as the scan reads it (with its HTML: links asked only when it names them); the
    same without the HTML (every link asked)."""
    found = site_info(LexborHTMLParser(html), url, html)
    assert site_info(LexborHTMLParser(html), url) == found
    return found


def test_a_vietnamese_footer_is_read_label_by_label_and_the_site_map_by_its_link():
    assert read(PORTAL) == {
        "agency": "CƠ QUAN CHỦ QUẢN: ỦY BAN NHÂN DÂN TỈNH MẪU",
        "responsible": "Chịu trách nhiệm chính: Ông Nguyễn Văn A - Chánh Văn phòng",
        "address": "Địa chỉ: Số 1 đường Trần Phú, TP. Mẫu",  # (the value on the line below its label)
        "phone": "ĐT: (0236) 3822 123 - Fax: (0236) 3822 124",
        "email": "vanphong@tinhmau.gov.vn",
        "sitemap": "https://tinhmau.gov.vn/Sitemap.aspx",  # (not "Sơ đồ tổ chức", the organisation chart)
    }


def test_an_english_page_labels_split_on_one_line_and_links_are_read_too():
    html = """<html><body><footer>Address: 1 Tran Phu St. | Tel: +84 236 3822 123 | Editor-in-chief: Mr A<br>
    Owning agency: People's Committee of Mau Province; contact: info@mau.gov.vn
    <a href="/site-map">Site map</a></footer></body></html>"""
    assert read(html, "https://e-services.mau.gov.vn/en/") == {
        "agency": "Owning agency: People's Committee of Mau Province; contact: info@mau.gov.vn",
        "responsible": "Editor-in-chief: Mr A", "address": "Address: 1 Tran Phu St.",
        "phone": "Tel: +84 236 3822 123", "email": "info@mau.gov.vn",
        "sitemap": "https://e-services.mau.gov.vn/site-map"}


def test_menu_words_scripts_and_an_empty_page_show_nothing():
    html = """<html><body><nav><a>Địa chỉ</a><a>Điện thoại</a><a href="/so-do-to-chuc">Sơ đồ tổ chức</a></nav>
    <script>document.write("Cơ quan chủ quản: UBND")</script><noscript>Email: a@b.gov.vn</noscript></body></html>"""
    assert read(html) == dict.fromkeys(("agency", "responsible", "address", "phone", "email", "sitemap"))
    assert read("") == dict.fromkeys(("agency", "responsible", "address", "phone", "email", "sitemap"))


def test_telephone_links_count_and_a_long_line_is_cut():
    found = read('<html><body><a href="tel:+84-236-3822-123">Gọi</a><p>Địa chỉ: ' + "x" * 300 + "</p></body></html>")
    assert found["phone"] == "+84-236-3822-123"
    assert len(found["address"]) == 120 and found["address"].endswith("…")


def result_for(info: SiteInfo | None):
    return checks_of(judge(site(page_facts=page(site_info=info))))["web.site_info"]


def test_the_check_names_what_was_not_seen_in_order_and_never_counts():
    assert result_for(FOOTER).status is CheckStatus.PASS
    bare = result_for(SiteInfo(address="Địa chỉ: 1 Trần Phú", email="a@gov.example"))
    assert (bare.status, bare.reason) == (CheckStatus.WARN, "site_info_missing")
    assert message(bare, "en").startswith(
        "Not found on https://portal.gov.example/: the owning agency, the person responsible, a telephone "
        "number and a link to a site map (Circular 32/2017 art. 16")
    assert message(bare, "vi").startswith("Không tìm thấy trên https://portal.gov.example/: cơ quan chủ quản, "
                                          "người chịu trách nhiệm, số điện thoại và liên kết sơ đồ cổng")
    assert judge(site(page_facts=page(site_info=SiteInfo()))).verdict == judge(site()).verdict  # (a notice)


def test_a_page_read_before_this_check_or_no_page_is_not_applicable():
    before = result_for(None)
    assert (before.status, before.reason) == (CheckStatus.NOT_APPLICABLE, "site_info_not_read")
    none = checks_of(judge(site(page_facts=None)))["web.site_info"]
    assert none.status is CheckStatus.NOT_APPLICABLE


def test_labels_inside_words_do_not_count_and_a_site_map_is_found_by_its_words_in_any_case():
    found = read('<html><body><p>Hotel: Sheraton; teleconference: yes</p>'
                 '<div class="site-footer"><a href="/Default.aspx?tabid=9">SƠ ĐỒ CỔNG</a></div></body></html>')
    assert found["phone"] is None
    assert found["sitemap"] == "https://tinhmau.gov.vn/Default.aspx?tabid=9"


def test_the_labels_are_read_in_the_footer_and_at_the_end_of_a_long_page():
    news = "".join(f"<p>Tin số {i}: Điện thoại di động và dịch vụ công</p>" for i in range(3000))  # (no number)
    html = (f'<html><body>{news}<p>Địa chỉ: 1 Trần Phú</p>'
            '<div id="main-footer">Điện thoại: 0236 3822 123</div></body></html>')
    found = read(html)
    assert found["phone"] == "Điện thoại: 0236 3822 123" and found["address"] == "Địa chỉ: 1 Trần Phú"


def test_what_counts_as_an_xml_sitemap_and_where_robots_txt_says_it_is():
    from ipv6scan.probe.sitemap import is_sitemap, robots_sitemap

    assert is_sitemap(b'\xef\xbb\xbf<?xml version="1.0"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">')
    assert is_sitemap(b"<sm:sitemapindex xmlns:sm='http://www.sitemaps.org/schemas/sitemap/0.9'>")
    assert not is_sitemap(b"<!DOCTYPE html><html><body>urlset <urlset> as text</body></html>")  # (a soft 404 page)
    assert not is_sitemap(b"") and not is_sitemap(None) and not is_sitemap(b"<urlsets>")
    gzipped = gzip.compress(b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                            + b"<url><loc>https://x.gov.vn/</loc></url>" * 2000 + b"</urlset>")
    assert is_sitemap(gzipped) and is_sitemap(gzipped[:200])  # (sitemap.xml.gz; its start is enough)
    assert not is_sitemap(b"\x1f\x8b not gzip at all")
    assert robots_sitemap("User-agent: *\nDisallow: /admin\n  SITEMAP : https://x.gov.vn/sm.xml\nSitemap: /b") == (
        "https://x.gov.vn/sm.xml")
    assert robots_sitemap("User-agent: *\n# Sitemap: commented out\n") is None


def test_the_xml_sitemap_counts_when_asked_and_an_unreadable_one_says_why():
    from ipv6scan.model import Outcome, SitemapRead

    def with_xml(**read):
        info = SiteInfo(**{f: getattr(FOOTER, f) for f in FOOTER.__struct_fields__})
        info.xml_sitemap = SitemapRead(url="https://portal.gov.example/sitemap.xml", **read) if read else None
        return result_for(info)

    assert with_xml().status is CheckStatus.PASS  # (not asked: not judged)
    found = with_xml(outcome=Outcome.OK, status=200, found=True)
    assert found.status is CheckStatus.PASS and message(found, "en").endswith(
        "a link to a site map and an XML sitemap (sitemap.xml or one named in robots.txt) (Circular 32/2017 art. 16)")
    elsewhere = with_xml(outcome=Outcome.OK, found=None, robots=True)  # (robots.txt names one on another host)
    assert elsewhere.status is CheckStatus.PASS
    none = with_xml(outcome=Outcome.OK, status=404)
    assert (none.status, none.reason) == (CheckStatus.WARN, "site_info_missing")
    assert "Not found on https://portal.gov.example/: an XML sitemap" in message(none, "en")
    unread = with_xml(outcome=Outcome.TIMEOUT)
    assert "an XML sitemap (https://portal.gov.example/sitemap.xml could not be read: timeout)" in message(unread, "en")
    assert "không đọc được" in message(unread, "vi")


def test_a_host_whose_time_runs_out_while_its_sitemap_is_asked_keeps_its_page(lab, monkeypatch):
    """The sitemap is asked last, after the page's facts are kept: a site whose sitemap never answers within the
    host's budget loses the sitemap alone, recorded as timed out for that reason (never 'not asked', never the
    whole page)."""
    import asyncio

    import ipv6scan
    import ipv6scan.probe.deps as deps
    from ipv6scan.model import Outcome
    from ipv6scan.scan import BUDGET_EXHAUSTED
    from ipv6scan.targets import Target

    async def never(*args, **kwargs):
        await asyncio.sleep(60)

    monkeypatch.setattr(deps, "read_sitemap", never)
    target = Target(host="dual.gov.example", display="dual.gov.example", input="dual.gov.example", line=1,
                    source="test", kind="portal")
    (record,) = ipv6scan.scan_hosts([target], lab.options(host_budget=3.0, check_zone=False), network=lab.network,
                                    loop="asyncio")
    assert record.facts.budget_exhausted and record.facts.page is not None
    assert record.facts.page.dependencies is not None
    xml = record.facts.page.site_info.xml_sitemap
    assert (xml.url, xml.outcome, xml.detail) == ("https://dual.gov.example/sitemap.xml", Outcome.TIMEOUT,
                                                  BUDGET_EXHAUSTED)
    found = checks_of(record.result)["web.site_info"]
    assert "an XML sitemap (https://dual.gov.example/sitemap.xml could not be read: timeout)" in message(found, "en")


def test_an_eth_typed_for_the_letter_d_is_read_as_it():
    """Ð (U+00D0, the Icelandic eth) is typed for Đ on many Vietnamese pages: "Ðịa chỉ", "Ðiện thoại"."""
    html = ("<html><body><footer><p>Ðịa chỉ: 2 Lê Lợi, TP. Mẫu</p><p>ÐIỆN THOẠI: 0236 3822 125</p>"
            "</footer></body></html>")
    found = read(html)
    assert (found["address"], found["phone"]) == ("Ðịa chỉ: 2 Lê Lợi, TP. Mẫu", "ÐIỆN THOẠI: 0236 3822 125")


def test_a_sitemap_robots_txt_names_on_another_host_is_read_there(lab):
    """chain.gov.example's robots.txt names https://sitemaps.gov.example/chain.xml: that name is resolved and the
    sitemap asked at its address (the page's family first), with its own name as Host and SNI."""
    import ipv6scan
    from ipv6scan.config import HostsAsked
    from ipv6scan.targets import Target

    target = Target(host="chain.gov.example", display="chain.gov.example", input="chain.gov.example", line=1,
                    source="test", kind="website")
    (record,) = ipv6scan.scan_hosts([target], lab.options(check_zone=False, xml_sitemap=HostsAsked.ALL),
                                    network=lab.network, loop="asyncio")
    xml = record.facts.page.site_info.xml_sitemap
    assert (xml.url, xml.address, xml.status, xml.found, xml.robots) == (
        "https://sitemaps.gov.example/chain.xml", "2001:db8::19", 200, True, True)
    assert record.facts.page.address == "2001:db8::62"  # (read over IPv6: the sitemap's host asked over IPv6 too)


async def test_a_sitemap_on_another_host_that_cannot_be_found_says_why_and_is_never_taken_as_none():
    from ipv6scan.probe import sitemap as sm

    class Web:
        async def probe(self, host, address, scheme, port, *, path, cap):
            if path == "/robots.txt":
                return type("Seen", (), {"status": 200, "outcome": Outcome.OK, "detail": None})(), \
                    b"Sitemap: https://gone.example.gov.vn/sitemap.xml\n"
            return type("Seen", (), {"status": 404, "outcome": Outcome.OK, "detail": None})(), b"not here"

    async def nowhere(name, near):
        return None, Outcome.DNS_NXDOMAIN, f"{name}: the name could not be resolved"

    xml = await sm.read_sitemap(Web(), "https://tinhmau.gov.vn/", "tinhmau.gov.vn", "2001:db8::1", nowhere)
    assert (xml.url, xml.outcome, xml.found, xml.robots) == ("https://gone.example.gov.vn/sitemap.xml",
                                                             Outcome.DNS_NXDOMAIN, False, True)
    unread = await sm.read_sitemap(Web(), "https://tinhmau.gov.vn/", "tinhmau.gov.vn", "2001:db8::1")
    assert (unread.found, unread.detail) == (None, "named by robots.txt on another host: not read")
