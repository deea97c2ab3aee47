"""The HTML report pages: the charts' geometry, then every page in a real headless Chromium (issue 15).

Chromium (Debian's ``chromium``, installed by ``netlab/install-deps.sh`` like the lab's servers) loads
each page from a file: a screenshot that is not blank, no console message at all (a CSP violation, a
broken SVG, a script error would each log one), the text present in the DOM it built, and the page
printed to PDF on A4.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET
import zlib
from datetime import date
from pathlib import Path

import pytest

from ipv6scan.diff import ScanRef, diff
from ipv6scan.policy import load_policy
from ipv6scan.report.charts import scan_labels, trend_chart
from ipv6scan.report.html import render_html

from .test_reports import TITLES, make_report
from .test_scoring import report as score_report, unit
from .test_waivers import _waivers

SVG = "{http://www.w3.org/2000/svg}"
TREND = [("2026-11-09T08:30:00+00:00", {"phase1": 0.5, "phase2": 0.5}),
         ("2026-11-16T08:30:00+00:00", {"phase1": 0.5, "phase2": 0.5}),
         ("2026-11-16T14:05:00+00:00", {"phase1": 2 / 3, "phase2": 1 / 3})]


def _svgs(page: str) -> list[ET.Element]:
    return [ET.fromstring(s) for s in re.findall(r"<svg .*?</svg>", page, re.S)]


def test_scans_on_the_same_day_are_told_apart_by_their_time():
    moments = [m for m, _ in TREND]
    assert scan_labels(moments, "vi") == ["09/11/2026", "16/11/2026 08:30 UTC", "16/11/2026 14:05 UTC"]
    assert scan_labels(moments, "en") == ["2026-11-09", "2026-11-16 08:30 UTC", "2026-11-16 14:05 UTC"]
    assert scan_labels(["2026-11-16", "<script>"], "en") == ["2026-11-16", "<script>"]


def test_overlapping_lines_stay_visible_and_every_target_is_drawn():
    chart = trend_chart("c", TREND, [("phase1", "Phase 1", 0.5), ("phase2", "Phase 2", 1.0)], "en", "target")
    one, two = chart.series
    assert one.points.split()[:2] == two.points.split()[:2]  # the same shares: the lines lie on each other
    assert one.dash != two.dash and one.markers[0].kind != two.markers[0].kind  # ... and are still told apart
    assert one.target["y"] == "110.0" and two.target["y"] == "10.0"  # 50 % and 100 % of a 200 px plot from y=10
    assert one.latest == "66.6%" and two.latest == "33.3%" and two.target["label"] == "target 100%"
    page = render_html(_audit_report(), lang="en", trend=TREND)
    trend = next(s for s in _svgs(page) if "scan after scan" in (s.findtext(f"{SVG}title") or ""))
    lines = trend.findall(f"{SVG}polyline")
    assert len(lines) == 2 and len({line.get("stroke-dasharray") for line in lines}) == 2  # 2 phases, 2 dashes
    goals = [g for g in trend.findall(f"{SVG}line") if g.get("class") == "goal"]
    assert len(goals) == 2
    labels = [t.text for t in trend.findall(f"{SVG}text") if t.get("class") == "scan"]
    assert labels == ["2026-11-09", "2026-11-16 08:30 UTC", "2026-11-16 14:05 UTC"]


def _audit_report():
    """An audit's report: waivers in force and expired, judged against the previous scan."""
    return score_report(_after(), as_of=date(2025, 6, 1), waivers=_waivers())


def _after():
    return (unit("hanoi", dvc="no_ipv6", org="Hà Nội") + unit("bacninh", portal="no_ipv6", org="Bắc Ninh")
            + unit("danang", org="Đà Nẵng") + unit("yenbai", org="Yên Bái"))


def _changes():
    before = unit("hanoi", org="Hà Nội") + unit("bacninh", portal="no_ipv6", org="Bắc Ninh") + unit("danang", org="Đà Nẵng")
    return diff(before, _after(), load_policy(), as_of=date(2025, 6, 1),
                before_ref=ScanRef(label="scan 1", started="2025-05-25T08:00:00+00:00", scan_id=1),
                after_ref=ScanRef(label="scan 2", started="2025-06-01T08:00:00+00:00", scan_id=2))


def test_what_changed_section_names_regressions_additions_and_the_list_change():
    page = render_html(_audit_report(), lang="vi", trend=TREND, changes=_changes())
    changed = page.split("Thay đổi so với lần kiểm tra trước")[1].split("Mức tuân thủ theo loại hệ thống")[0]
    assert "Danh sách hệ thống đã thay đổi: thêm 3, bớt 0" in changed
    assert "Kém đi: 1" in changed and "dichvucong.hanoi.gov.vn" in changed and "Thêm vào danh sách: 3" in changed
    assert "lần quét 1 (25/05/2025 08:00 UTC, 9 hệ thống) → lần quét 2 (01/06/2025 08:00 UTC, 12 hệ thống)" in changed
    assert "Hà Nội: Phase 1 (2021–2022): đạt → đạt (có giải trình)" not in changed  # diffs are judged without waivers
    assert "Hà Nội: Phase 1 (2021–2022): đạt → chưa đạt" in changed


# ------------------------------------------------------------------ in a real browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--enable-logging=stderr", "--v=0"]

browser = pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed "
                             "(netlab/install-deps.sh installs Debian's chromium)")


def _chromium(tmp: Path, url: str, *args: str) -> subprocess.CompletedProcess:
    proc = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={tmp / 'profile'}", *args, url],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc


def _png_pixels(path: Path) -> tuple[int, int, bytes]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, width, height, idat = 8, 0, 0, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    return width, height, zlib.decompress(idat)


PAGES = {
    "report-vi": lambda: render_html(make_report(), lang="vi", titles=TITLES),
    "audit-vi": lambda: render_html(_audit_report(), lang="vi", trend=TREND, changes=_changes()),
    "audit-en": lambda: render_html(_audit_report(), lang="en", trend=TREND, changes=_changes()),
}
EXPECTED = {
    "report-vi": ["Báo cáo mức sẵn sàng IPv6", "Hà Nội", "Sở **bold**", "<script>alert(1)</script>"],
    "audit-vi": ["Thay đổi so với lần kiểm tra trước", "Đã giải trình", "Đà Nẵng",
                 "Giải trình (tuân thủ hoặc giải trình)", "16/11/2026 14:05 UTC"],
    "audit-en": ["What changed since the last audit", "Explained", "Explanations (comply or explain)",
                 "2026-11-16 14:05 UTC"],
}


@browser
@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_renders_in_chromium_without_a_console_message(tmp_path: Path, name: str):
    page = tmp_path / f"{name}.html"
    page.write_text(PAGES[name](), encoding="utf-8")
    url = page.as_uri()
    shot = tmp_path / "shot.png"
    proc = _chromium(tmp_path, url, f"--screenshot={shot}", "--window-size=1280,2400", "--hide-scrollbars")
    console = [line for line in proc.stderr.splitlines() if ":CONSOLE" in line]
    assert console == [], console  # a CSP violation, an SVG error or a script would each log a message
    width, height, pixels = _png_pixels(shot)
    assert (width, height) == (1280, 2400) and len(set(pixels)) > 32  # not a blank page

    dom = _chromium(tmp_path, url, "--dump-dom").stdout
    text = re.sub(r"<[^>]+>", " ", dom).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    text = " ".join(text.split())
    for expected in EXPECTED[name]:
        assert expected in text, expected
    assert "<script" not in dom.lower() and "<img" not in dom.lower()  # hostile text stayed text in the live DOM
    assert dom.count("<svg") >= (3 if name.startswith("audit") else 2)

    pdf = tmp_path / "page.pdf"
    _chromium(tmp_path, url, f"--print-to-pdf={pdf}", "--no-pdf-header-footer")
    body = pdf.read_bytes()
    boxes = {tuple(round(float(v)) for v in m) for m in re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", body)}
    assert boxes == {(595, 842)}, boxes  # A4 in points, every page
    assert len(re.findall(rb"/Type\s*/Page\b", body)) >= 2
