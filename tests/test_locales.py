"""Vietnamese order of names and one rule for numbers and shares, in every output (issue 15)."""

from __future__ import annotations

import re
from pathlib import Path

from rich.console import Console

from ipv6scan import catalogue
from ipv6scan.locales import collated, number, percent, when
from ipv6scan.report import render_terminal, write_reports

from .test_scoring import report, unit

# The order a Vietnamese dictionary gives: Ă and Â after A, Đ after D, Ơ after Ô after O, Ư after U,
# tones only after the letters (Hà Tĩnh before Hải Phòng: "ha t" < "hai").
VIETNAMESE_ORDER = ["An Giang", "Âu Lạc", "Bà Rịa", "Bắc Ninh", "Cà Mau", "Cao Bằng", "Dak Test", "Đà Nẵng", "Đắk Lắk",
                    "Điện Biên", "Đồng Tháp", "Hà Nội", "Hà Tĩnh", "Hải Phòng", "Hậu Giang", "Hưng Yên", "Ô Môn",
                    "Ơn Tây", "Uông Bí", "Ưu Đàm", "Yên Bái"]


def test_names_are_in_vietnamese_order_not_code_point_order():
    shuffled = sorted(VIETNAMESE_ORDER, reverse=True)
    assert sorted(VIETNAMESE_ORDER) != VIETNAMESE_ORDER  # code point order would put Đ... and Ư... last
    assert collated(shuffled) == VIETNAMESE_ORDER
    assert collated([("b", "Yên Bái"), ("a", "Điện Biên")], key=lambda x: x[1])[0][1] == "Điện Biên"


def test_scored_organisations_and_every_renderer_list_them_in_vietnamese_order(tmp_path: Path):
    orgs = ["Yên Bái", "Điện Biên", "Đà Nẵng", "Bắc Ninh", "An Giang"]
    records = [r for i, org in enumerate(orgs) for r in unit(f"t{i}", org=org)]
    rep = report(records)
    expected = ["An Giang", "Bắc Ninh", "Đà Nẵng", "Điện Biên", "Yên Bái"]
    assert [o.org for o in rep.orgs] == expected
    assert list(dict.fromkeys(h.org for h in rep.hosts)) == expected
    md, html, hosts_csv, orgs_csv, _third = write_reports(rep, tmp_path, stem="r", lang="vi",
                                                        formats=["md", "html", "csv"])
    for path in (md, html, hosts_csv, orgs_csv):
        text = path.read_text(encoding="utf-8-sig")
        positions = [text.index(org) for org in expected]
        assert positions == sorted(positions), path.name
    console = Console(record=True, width=120)
    render_terminal(rep, console, lang="vi")
    out = console.export_text()
    assert [out.index(org) for org in expected] == sorted(out.index(org) for org in expected)


def test_one_rounding_rule_for_every_share():
    """1/6 is 16,6% (vi) and 16.6% (en) wherever it is shown: never 16,7% or 17%."""
    share = 1 / 6
    assert percent(share, "vi") == "16,6%" and percent(share, "en") == "16.6%"
    params = {"f": "pages", "scheme": "https", "v6": "200", "v4": "200", "v6_size": "1 KB", "v4_size": "6 KB",
              "similarity": share}
    for lang, expected in (("vi", "16,6%"), ("en", "16.6%")):
        text = catalogue.render(params, lang)
        assert expected in text and not re.search(r"16[.,]7|17%", text), text
    assert percent(0.5, "vi") == "50%" and percent(0.995, "en") == "99.5%" and percent(0.99999, "vi") == "99,9%"
    assert percent(1.0, "en") == "100%" and percent(0.0, "vi") == "0%"
    assert percent(0.29, "en") == "29%"  # 0.29 * 1000 is 289.99999999999994 in binary: still 29%


def test_numbers_and_dates_follow_the_language():
    assert number(1234567, "vi") == "1.234.567" and number(1234567, "en") == "1,234,567"
    assert number(12, "vi") == "12"
    assert when("2025-07-01T08:30:00+00:00", "vi") == "01/07/2025 08:30 UTC"
    assert when("2025-07-01", "en") == "2025-07-01" and when(None, "vi") == "–"
