"""Report renderers: hostile text stays inert in every format; both languages; files written."""

from __future__ import annotations

import csv
import io
import re
import string
from html.parser import HTMLParser
from pathlib import Path

import msgspec
import pytest
from rich.console import Console

from ipv6scan import kinds
from ipv6scan.checks import REASON_TEXT
from ipv6scan.report import FORMATS, read_json, render_terminal, write_reports
from ipv6scan.report.html import CSP, render_html
from ipv6scan import catalogue
from ipv6scan.report.i18n import STRINGS, percent, reason_text, when
from ipv6scan.report.markdown import md, render_markdown
from ipv6scan.report.tables import cell
from ipv6scan.scores import (
    Blocker,
    CriterionInfo,
    CriterionResult,
    HostScore,
    ThirdParty,
    KindTotal,
    OrgPhase,
    OrgScore,
    PhaseTotal,
    RequirementResult,
    ScoreReport,
    State,
)

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
JS_URL = "javascript:alert(1)"
DDE = "=cmd|' /C calc'!A0"
MD_LINK = "[link](javascript:alert(1))"
PIPES = "| col | injection |"
EVIL_ORG = f"Sở **bold** {IMG}\n{PIPES} \x1b[2J\u202eevil"
PHASE1_VI = "Giai đoạn 1 (2021–2022): Cổng thông tin điện tử và Cổng dịch vụ công"
# The caller's titles (the policy's) win over the report's own; here only English is given.
TITLES = {
    "ipv6-for-gov": {"en": "IPv6 For Gov"},
    "phase1": {"en": "Phase 1 (2021–2022): portals"},
    "web_ipv6": {"en": "Web over IPv6"},
}


def _host(host: str, org: str, kind: str, state: State, reasons: list[str], **facts: object) -> HostScore:
    return HostScore(
        host=host,
        display=host,
        org=org,
        kind=kind,
        kind_inferred=kind == kinds.PORTAL,
        verdict="ready" if state is State.PASS else "no_ipv6",
        state=state,
        criteria=[CriterionResult(criterion="web_ipv6", state=state, reasons=reasons)],
        reasons=reasons,
        **facts,
    )


def _phase(phase: str, state: State, *, failing=(), unknown=(), missing=()) -> OrgPhase:
    req = RequirementResult(
        kinds=[kinds.PORTAL, kinds.DICHVUCONG, kinds.MOTCUA],
        criteria=["web_ipv6"],
        state=state,
        failing=list(failing),
        unknown=list(unknown),
        missing_kinds=list(missing),
    )
    return OrgPhase(phase=phase, state=state, requirements=[req])


def _total(phase: str, target: float, orgs: int = 2, **policy: str | bool) -> PhaseTotal:
    return PhaseTotal(
        phase=phase,
        orgs_total=orgs,
        orgs_attained=min(orgs, 1),
        orgs_unknown=0,
        share=0.5 if orgs else 0.0,
        target_share=target,
        met=bool(orgs) and target <= 0.5,
        **policy,
    )


def make_report() -> ScoreReport:
    """Hà Nội attains both phases, Bắc Ninh one, the hostile org none (its phase 2 passes on its own)."""
    hosts = [
        _host(
            "hanoi.gov.vn", "Hà Nội", kinds.PORTAL, State.PASS, [],
            title="Cổng thông tin điện tử Hà Nội", server="nginx", final_url="https://hanoi.gov.vn/",
            cert_issuer="R11", cert_not_after="2026-01-01T00:00:00+00:00",
        ),
        _host(
            "dichvucong.evil.gov.vn", EVIL_ORG, kinds.DICHVUCONG, State.FAIL, ["no_aaaa", MD_LINK],
            title=f"{SCRIPT} {MD_LINK}\n**bold**", server=f"{DDE}\r\n{IMG}", final_url=JS_URL,
            cert_issuer=f"{PIPES} +SUM(1) {IMG}", cert_not_after="-2+3",
            blocked_by=[Blocker(name="static4.example", role="dependency", state="no_aaaa", kinds=["css"]),
                        Blocker(name="v4dns.example", role="zone", state="no_aaaa")],
        ),
        _host(
            "motcua.evil.gov.vn", EVIL_ORG, kinds.MOTCUA, State.UNKNOWN, ["dns_timeout"],
            title="@foo", final_url="+SUM(1)",
        ),
    ]
    evil_phases = [
        _phase(
            "phase1", State.FAIL, failing=["dichvucong.evil.gov.vn"], unknown=["motcua.evil.gov.vn"], missing=["portal"]
        ),
        _phase("phase2", State.PASS),
    ]
    orgs = [
        OrgScore(
            org="Hà Nội",
            hosts=1,
            compliant_hosts=1,
            phases=[_phase("phase1", State.PASS), _phase("phase2", State.PASS)],
            attained=["phase1", "phase2"],
        ),
        OrgScore(
            org=EVIL_ORG,
            hosts=2,
            compliant_hosts=0,
            phases=evil_phases,
            next_phase="phase1",
            todo=[f"dichvucong.evil.gov.vn: no_aaaa {SCRIPT}"],
        ),
        OrgScore(  # one phase ahead of the hostile org: listed after it
            org="Bắc Ninh",
            hosts=0,
            compliant_hosts=0,
            phases=[_phase("phase1", State.PASS), _phase("phase2", State.FAIL, missing=["motcua"])],
            attained=["phase1"],
            next_phase="phase2",
        ),
    ]
    phases = [
        _total("phase1", 0.5, title=PHASE1_VI, source=f"QĐ 38/QĐ-BTTTT {SCRIPT}", start="2021-01-01", end="2022-12-31"),
        _total("phase2", 1.0, binding=False),  # no title: shown by its id
        _total("circular32", 1.0, orgs=0, title="Thông tư 32/2017: DNSSEC", start="2018-06-01", standalone=True),
    ]
    for org in orgs:  # ladder attainment, as the scorer sets it: own pass but an earlier phase missed -> fail
        for p in org.phases:
            p.attainment = State.PASS if p.phase in org.attained else State.FAIL if p.state == State.PASS else p.state
    criteria = [CriterionInfo(id="web_ipv6", title="Hệ thống hoạt động tốt qua IPv6", source="QĐ 38", kinds=["portal"])]
    return ScoreReport(
        policy="ipv6-for-gov",
        policy_version="2021.1",
        policy_title=f"IPv6 For Gov {MD_LINK}",
        scan_started="2025-07-01T08:30:00+00:00",
        scan_file="scan.jsonl",
        generated="2025-07-02T10:00:00+07:00",
        as_of="2025-07-01",
        hosts=hosts,
        orgs=orgs,
        phases=phases,
        kinds=[
            KindTotal(kind=kinds.PORTAL, hosts=1, compliant=1, failing=0, unknown=0, share=1.0),
            KindTotal(kind=kinds.DICHVUCONG, hosts=1, compliant=0, failing=1, unknown=0, share=0.0),
            KindTotal(kind=kinds.MOTCUA, hosts=1, compliant=0, failing=0, unknown=1, share=0.0),
        ],
        lang="vi",
        criteria=criteria,
        third_parties=[
            ThirdParty(name=f"={DDE}", role="dependency", state="broken", outcome="timeout", kinds=["script"],
                       hosts=2, orgs=1, examples=["dichvucong.evil.gov.vn", f"{SCRIPT}"]),
            ThirdParty(name="v4dns.example", role="zone", state="no_aaaa", hosts=1, orgs=1, examples=["hanoi.gov.vn"]),
        ],
    )


# ------------------------------------------------------------------ i18n


def test_every_string_in_both_languages_with_the_same_placeholders():
    fields = lambda text: {f for _, f, _, _ in string.Formatter().parse(text) if f}  # noqa: E731
    for key, texts in STRINGS.items():
        assert set(texts) == {"vi", "en"}, key
        assert all(texts.values()), key
        assert fields(texts["vi"]) == fields(texts["en"]), key


def test_every_kind_state_and_vietnamese_reason_is_known():
    assert {f"kind.{k}" for k in kinds.KINDS} <= set(STRINGS)
    assert {f"state.{s}" for s in State} <= set(STRINGS)
    assert all(entry["vi"] for entry in catalogue.reasons().values())  # every code in Vietnamese
    assert set(catalogue.reasons()) == set(REASON_TEXT)  # no typo'd codes
    assert reason_text("no_aaaa", "vi") == "Tên miền chưa có địa chỉ IPv6 (bản ghi AAAA)"
    assert reason_text("no_aaaa", "en") == REASON_TEXT["no_aaaa"]
    assert reason_text("made_up_code", "vi") == "made_up_code"
    assert reason_text("not_checked:zone.dnssec", "vi") == "Lần quét không có kết quả của phép kiểm tra zone.dnssec"


def test_numbers_and_dates_follow_the_language():
    assert percent(20 / 34, "vi") == "58,8%" and percent(20 / 34, "en") == "58.8%"
    assert percent(0.5, "vi") == "50%"
    assert percent(0.9999, "en") == "99.9%"  # rounded down: never shows a missed 100% target as met
    assert when("2025-07-01", "vi") == "01/07/2025"
    assert when("2025-07-01T08:30:00+07:00", "en") == "2025-07-01 08:30 UTC+07:00"


# ------------------------------------------------------------------ HTML


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))


def test_html_escapes_everything_and_links_only_http():
    page = render_html(make_report(), lang="vi", titles=TITLES)
    assert "<script" not in page.lower()
    assert "<img" not in page.lower()
    assert not re.search(r"<[^>]*onerror=", page)
    assert 'href="javascript:' not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in page  # markupsafe's escapes (Jinja2 autoescape)
    assert f'<meta http-equiv="Content-Security-Policy" content="{CSP.replace(chr(39), "&#39;")}">' in page
    assert '<meta charset="utf-8">' in page
    parser = _Tags()
    parser.feed(page)
    names = {tag for tag, _ in parser.tags}
    assert names <= {"html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "table", "thead", "tbody",
                     "tr", "th", "td", "ul", "li", "p", "a", "strong", "small", "br", "span", "section", "figure",
                     "figcaption", "svg", "text", "rect", "line"}
    hrefs = [v for tag, attrs in parser.tags for k, v in attrs if k == "href"]
    assert hrefs and all(h.startswith(("#org-", "https://", "http://")) for h in hrefs)
    assert "https://hanoi.gov.vn/" in hrefs
    assert "<td>javascript:alert(1)</td>" in page  # shown, never a link
    assert not any(k.startswith("on") for _, attrs in parser.tags for k, _ in attrs)
    assert "src=" not in "".join(f"{k}=" for _, attrs in parser.tags for k, _ in attrs)
    assert f"{PHASE1_VI}: 1/2 đơn vị (50%) — mục tiêu 50% — Đạt" in page
    assert "Căn cứ: QĐ 38/QĐ-BTTTT &lt;script&gt;" in page and "Thời gian: 01/01/2021 – 31/12/2022" in page
    assert not re.search("[\x00-\x08\x0b-\x1f\u202a-\u202e]", page)


# ------------------------------------------------------------------ Markdown


def _cells(row: str) -> list[str]:
    """A GFM table row split on its unescaped pipes."""
    cells, current, chars = [], "", iter(row.strip()[1:-1])
    for ch in chars:
        if ch == "\\":
            current += ch + next(chars, "")
        elif ch == "|":
            cells.append(current)
            current = ""
        else:
            current += ch
    return cells + [current]


def test_markdown_escapes_and_keeps_tables_whole():
    text = render_markdown(make_report(), lang="vi", titles=TITLES)
    live = re.sub(r"\\.", "", text)  # what is left once backslash escapes are taken out
    assert "<" not in live and "[" not in live and "](" not in live
    assert r"\<script\>alert\(1\)\</script\>" in text
    assert r"\[link\]\(javascript:alert\(1\)\)" in text
    assert r"\*\*bold\*\*" in text and "**bold**" not in text.replace(r"\*\*bold\*\*", "")
    lines = text.splitlines()
    tables = 0
    for i, line in enumerate(lines):
        if i + 1 < len(lines) and lines[i + 1].startswith("|---"):  # a table header
            tables += 1
            width = len(_cells(line))
            for row in lines[i + 2 :]:
                if not row.startswith("|"):
                    break
                assert len(_cells(row)) == width, row
    assert tables == 4
    plain = text.replace("\\", "")
    assert f"- {PHASE1_VI}: 1/2 đơn vị (50%) — mục tiêu 50% — Đạt" in plain
    assert "  - Căn cứ: QĐ 38/QĐ-BTTTT <script>alert(1)</script> · Thời gian: 01/01/2021 – 31/12/2022" in plain
    assert "- phase2: 1/2 đơn vị (50%) — mục tiêu 100% — Chưa đạt\n  - Không bắt buộc" in plain
    assert "- Thông tư 32/2017: DNSSEC: 0/0 đơn vị (–)" in plain
    assert "Áp dụng từ 01/06/2018 · Nghĩa vụ độc lập, ngoài lộ trình các giai đoạn" in plain
    # organisations × phases: attainment; the hostile org's phase 2 passes alone but is not attained
    assert "| Giai đoạn 1 (2021–2022) | phase2 | Thông tư 32/2017 | Giai đoạn tiếp theo |" in plain
    assert "| ✓ Đạt | ✓ Đạt | – Không áp dụng | Đã đạt mọi giai đoạn |" in plain
    assert "| ✗ Chưa đạt | ✗ Chưa đạt | – Không áp dụng | Giai đoạn 1 (2021–2022) |" in plain
    assert "- **Hệ thống hoạt động tốt qua IPv6** (Cổng thông tin điện tử): Căn cứ: QĐ 38" in plain
    assert "Chưa có Cổng thông tin điện tử trong danh sách quét" in text  # the missing kind, as a fix
    assert "**motcua.evil.gov.vn**: Chưa xác định được: Phân giải tên miền lỗi: truy vấn quá thời gian chờ" in text


def test_md_escape_flattens_lines():
    assert md("a\nb\r\nc|d\x1b[0m") == r"a b c\|d\[0m"
    assert md("# x") == r"\# x"


# ------------------------------------------------------------------ CSV


def _read_csv(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in raw
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def test_csv_neutralises_formulas_and_keeps_vietnamese(tmp_path):
    paths = write_reports(make_report(), tmp_path, stem="r", formats=["csv"], titles=TITLES)
    assert paths == [tmp_path / "r.csv", tmp_path / "r-orgs.csv", tmp_path / "r-third-parties.csv"]
    hosts = _read_csv(paths[0])
    header, rows = hosts[0], hosts[1:]
    assert header[:3] == ["Đơn vị", "Hệ thống (tên miền)", "Tên hiển thị"]
    assert "Hệ thống hoạt động tốt qua IPv6" in header  # the report's own title: TITLES has no Vietnamese
    evil = next(r for r in rows if r[1] == "dichvucong.evil.gov.vn")
    col = {name: evil[i] for i, name in enumerate(header)}
    assert col["Máy chủ web"].startswith("'" + DDE)
    assert col["Chứng thư số hết hạn"] == "'-2+3"
    assert col["Đơn vị cấp chứng thư số"].startswith("| col")  # not a formula: kept verbatim
    assert col["Đơn vị"] == EVIL_ORG
    assert col["Hỏng trên IPv6-only do"] == ("static4.example (tệp nêu trong CSS): không có AAAA; "
                                            "vùng v4dns.example: không máy chủ tên miền nào có AAAA")
    assert col["Loại hệ thống"] == "Cổng dịch vụ công" and col["Trạng thái"] == "Chưa đạt"
    motcua = next(r for r in rows if r[1] == "motcua.evil.gov.vn")
    assert motcua[header.index("Tiêu đề trang")] == "'@foo"
    assert motcua[header.index("URL cuối (IPv6)")] == "'+SUM(1)"
    hanoi = next(r for r in rows if r[1] == "hanoi.gov.vn")
    assert hanoi[0] == "Hà Nội" and hanoi[header.index("Tiêu đề trang")] == "Cổng thông tin điện tử Hà Nội"
    orgs = _read_csv(paths[1])
    header = ["Giai đoạn 1 (2021–2022)", "phase2", "Thông tư 32/2017", "Giai đoạn tiếp theo", "Việc cần làm"]
    assert orgs[0][3:] == header
    assert orgs[1][:7] == ["Hà Nội", "1", "1", "Đạt", "Đạt", "Không áp dụng", "Đã đạt mọi giai đoạn"]
    assert orgs[2][3:7] == ["Chưa đạt", "Chưa đạt", "Không áp dụng", "Giai đoạn 1 (2021–2022)"]
    assert "Chưa có Cổng thông tin điện tử trong danh sách quét" in orgs[2][7]
    third = _read_csv(paths[2])
    assert third[0] == ["Hạng", "Máy chủ hoặc vùng", "Vấn đề trên IPv6", "Dùng cho", "Hệ thống bị ảnh hưởng", "Đơn vị",
                        "Ví dụ"]
    assert third[1][:6] == ["1", "'=" + DDE, "có AAAA nhưng qua IPv6 thì quá thời gian chờ", "mã script", "2", "1"]
    assert third[2][:4] == ["2", "vùng v4dns.example", "không máy chủ tên miền nào có AAAA", "phân giải tên miền"]


@pytest.mark.parametrize("value", ["=1", "+1", "-1", "@x", "\t=1", "\r=1", "＝1", "＋1", "－1", "＠x"])
def test_csv_cell_neutralises_every_formula_start(value):
    assert cell(value) == "'" + value
    assert cell("Hà Nội") == "Hà Nội" and cell(3) == 3


# ------------------------------------------------------------------ JSON


def test_json_round_trips(tmp_path):
    report = make_report()
    [path] = write_reports(report, tmp_path, stem="r", formats=["json"])
    assert path.read_bytes().startswith(b'{"schema_version":')
    assert read_json(path) == report
    assert msgspec.json.decode(path.read_bytes(), type=ScoreReport) == report


# ------------------------------------------------------------------ languages, terminal, files


def test_languages_give_different_headings():
    report = make_report()
    vi, en = render_markdown(report, lang="vi"), render_markdown(report, lang="en")
    assert "## Tổng hợp theo giai đoạn" in vi and "## Progress by phase" in en
    assert "Cổng dịch vụ công" in vi and "Public\\-service portal" not in en and "Public-service portal" in en
    assert f"{PHASE1_VI}: 1/2 organisations (50%)" in en.replace("\\", "")  # the report's own title
    titled = render_markdown(report, lang="en", titles=TITLES).replace("\\", "")
    assert titled.startswith("# IPv6 readiness report: IPv6 For Gov\n")
    assert "- Phase 1 (2021–2022): portals: 1/2 organisations (50%) — target 50% — Met" in titled
    assert "- phase2: 1/2 organisations (50%) — target 100% — Not met" in titled  # no title anywhere: the id
    assert "Đơn vị" not in en
    with pytest.raises(ValueError):
        write_reports(report, Path("unused"), stem="r", lang="fr")


def test_terminal_summary_shows_orgs_states_and_todo():
    console = Console(record=True, width=120)
    render_terminal(make_report(), console, lang="vi", titles=TITLES)
    out = console.export_text()
    assert "Hà Nội" in out and "Sở **bold**" in out
    assert "\x1b" not in out and "\u202e" not in out  # no escape sequence from a site reaches the terminal
    assert "✓" in out and "✗" in out and "Đạt" in out and "Chưa đạt" in out
    assert "Đơn vị cần ưu tiên khắc phục" in out
    assert "dichvucong.evil.gov.vn" in out and "Tên miền chưa có địa chỉ IPv6" in out
    assert "Chưa có Cổng thông tin điện tử trong danh sách quét" in out
    assert "phase2 (tham khảo)" in out and "Thông tư 32/2017 (độc lập)" in out
    console = Console(record=True, width=120)
    render_terminal(make_report(), console, lang="en")
    out = console.export_text()
    assert "Organisations furthest behind" in out and "The name has no IPv6 (AAAA) address" in out


def test_worst_offenders_are_those_furthest_from_their_next_phase():
    console = Console(record=True, width=120)
    render_terminal(make_report(), console, lang="vi", worst=1)
    out = console.export_text()
    assert "Sở **bold**" in out.split("Đơn vị cần ưu tiên khắc phục")[1]
    assert "Chưa có Hệ thống một cửa điện tử" not in out  # Bắc Ninh's fix: beyond the one shown
    assert "… và 1 đơn vị khác" in out
    console = Console(record=True, width=120)
    render_terminal(make_report(), console, lang="vi")
    out = console.export_text().split("Đơn vị cần ưu tiên khắc phục")[1]
    assert out.index("Sở **bold**") < out.index("Bắc Ninh") < out.index("Chưa có Hệ thống một cửa điện tử trong danh sách quét")


def test_todo_falls_back_to_the_scorers_text():
    report = make_report()
    report.orgs[1].phases[0].requirements = []
    console = Console(record=True, width=200)
    render_terminal(report, console, lang="en")
    assert f"dichvucong.evil.gov.vn: no_aaaa {SCRIPT}" in console.export_text()


def test_write_reports_writes_every_format(tmp_path):
    out = tmp_path / "reports" / "2025"
    paths = write_reports(make_report(), out, stem="tinh", lang="en", titles=TITLES)
    assert [p.name for p in paths] == ["tinh.md", "tinh.html", "tinh.csv", "tinh-orgs.csv", "tinh-third-parties.csv",
                                       "tinh.xlsx", "tinh.json"]
    assert all(p.is_file() and p.stat().st_size > 0 for p in paths)
    assert FORMATS == ("md", "html", "csv", "xlsx", "json")
    with pytest.raises(ValueError):
        write_reports(make_report(), out, stem="../x")
    with pytest.raises(ValueError):
        write_reports(make_report(), out, stem="x", formats=["pdf"])


def test_the_programmes_own_names_of_the_systems():
    """Issue 15: the terms the programme's documents use, in every Vietnamese report and CLI line."""
    from ipv6scan.report.i18n import kind_label

    assert kind_label("motcua", "vi") == "Hệ thống một cửa điện tử"
    assert kind_label("document_management", "vi") == "Hệ thống quản lý văn bản và điều hành"


def test_the_terminal_summary_reads_at_80_columns():
    """Issue 15: no line wider than the terminal, no word split, one line per organisation."""
    from .test_scoring import report as score_report, unit

    rep = score_report(unit("hanoi", org="Hà Nội") + unit("bacninh", portal="no_ipv6", org="Bắc Ninh"))
    console = Console(record=True, width=80)
    render_terminal(rep, console, lang="vi")
    out = console.export_text()
    assert max(len(line) for line in out.splitlines()) <= 80
    assert "(2021–2022)" in out and not re.search(r"\(20\d\d–20\d\d\s*│", out)  # a period is never cut
    rows = [line for line in out.splitlines() if line.startswith("│ Hà Nội") or line.startswith("│ Bắc Ninh")]
    assert len(rows) == 2 and all("│ ✓ │" in r or "│ ✗ │" in r for r in rows)
    assert "1 = Phase 1 (2021–2022)" in out  # the numbered phase columns are named under the table
    assert "Tỉ lệ đạt" in out.split("Mức tuân thủ theo loại hệ thống")[1]  # the kind table is whole, not cropped
