"""The Excel workbook: read back with openpyxl (a second, independent implementation of the format)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from ipv6scan.report import write_reports
from ipv6scan.report.i18n import STRINGS
from ipv6scan.report.xlsx import sheet_name, write_xlsx

from .test_reports import DDE, EVIL_ORG, TITLES, make_report
from .test_scoring import report as score_report, unit


def _rows(sheet) -> list[list[object]]:
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def _find(rows: list[list[object]], first: object) -> list[object]:
    return next(r for r in rows if r and r[0] == first)


def test_summary_hosts_and_one_sheet_per_organisation(tmp_path: Path):
    path = tmp_path / "r.xlsx"
    write_xlsx(make_report(), path, lang="vi", titles=TITLES)
    book = openpyxl.load_workbook(path)
    names = book.sheetnames
    assert names[:2] == ["Tổng hợp", "Hệ thống"]
    assert names[2] == "Hà Nội" and len(names) == 6  # + the hostile org and Bắc Ninh, each legal and unique
    assert names[-1] == "Bên thứ ba"  # what breaks services on IPv6 only, ranked
    third = _rows(book["Bên thứ ba"])
    assert third[3][:7] == ["Hạng", "Máy chủ hoặc vùng", "Vấn đề trên IPv6", "Dùng cho", "Hệ thống bị ảnh hưởng", "Đơn vị",
                            "Ví dụ"]
    assert third[4][0] == 1 and third[4][4:6] == [2, 1]  # numbers, not text
    assert third[4][1].startswith("=") and book["Bên thứ ba"].cell(row=5, column=2).data_type == "s"  # never a formula
    summary = _rows(book["Tổng hợp"])
    phase = _find(summary, "Giai đoạn 1 (2021–2022): Cổng thông tin điện tử và Cổng dịch vụ công")
    assert phase[1:6] == [1, 2, 0.5, 0.5, "Đạt"]  # numbers a spreadsheet can sum, not text
    assert book["Tổng hợp"].cell(row=summary.index(phase) + 1, column=4).number_format == "0.0%"
    org = _find(summary, "Bắc Ninh")
    assert org[1:3] == [0, 0] and "Chưa có Hệ thống một cửa điện tử trong danh sách quét" in org[-1]
    hosts = _rows(book["Hệ thống"])
    header = hosts[0]
    keys = ["col_host", "col_display", "col_org", "col_kind", "col_kind_inferred", "col_verdict", "col_state"]
    assert header[:7] == [STRINGS[k]["vi"] for k in keys]
    evil = next(r for r in hosts if r[0] == "dichvucong.evil.gov.vn")
    reasons = evil[header.index(STRINGS["col_reasons"]["vi"])]
    assert "Tên miền chưa có địa chỉ IPv6" in reasons  # reasons in words
    assert evil[header.index(STRINGS["col_reason_codes"]["vi"])].startswith("no_aaaa")
    hanoi = _rows(book["Hà Nội"])
    assert hanoi[0][0] == "Hà Nội" and [r[0] for r in hanoi[3:]] == ["hanoi.gov.vn"]


def test_no_cell_from_the_scan_is_ever_a_formula(tmp_path: Path):
    path = tmp_path / "r.xlsx"
    write_xlsx(make_report(), path, lang="en")
    book = openpyxl.load_workbook(path)
    seen = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for c in row:
                assert c.data_type != "f", (sheet.title, c.coordinate, c.value)
                if isinstance(c.value, str) and c.value and c.value[0] in "=+-@":
                    seen.append(c.value)
    assert any(v.startswith(DDE.split("\r")[0][:10]) for v in seen)  # the DDE payload is there, as text
    assert "+SUM(1)" in seen and "-2+3" in seen  # a final URL and a "date" that are formulas in CSV: text here
    text = " ".join(str(c.value) for s in book.worksheets for r in s.iter_rows() for c in r if c.value)
    assert "\x1b" not in text and "\u202e" not in text and "\r" not in text


def test_sheet_names_are_legal_and_unique():
    taken: set[str] = set()
    names = [sheet_name(n, taken) for n in ["A/B:C*?[x]", "a/b:c*?[x]", "x" * 40, "x" * 40, "'quoted'", "History", ""]]
    assert names[0] == "A_B_C___x_" and names[1] == "a_b_c___x_ (2)"
    assert names[2] == "x" * 31 and names[3] == "x" * 27 + " (2)" and all(len(n) <= 31 for n in names)
    assert names[4] == "quoted" and names[5] == "History_" and names[6] == "_"
    assert sheet_name(EVIL_ORG, set()).isprintable()


def test_organisations_in_vietnamese_order_and_english_words(tmp_path: Path):
    records = [r for i, org in enumerate(["Yên Bái", "Điện Biên", "An Giang"]) for r in unit(f"t{i}", org=org)]
    (path,) = write_reports(score_report(records), tmp_path, stem="r", lang="en", formats=["xlsx"])
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Summary", "Hosts", "An Giang", "Điện Biên", "Yên Bái", "Third parties"]
    assert _rows(book["Hosts"])[0][:3] == ["Host", "Display name", "Organisation"]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_a_large_report_is_written(tmp_path: Path, lang: str):
    records = [r for i in range(300) for r in unit(f"t{i}", org=f"Đơn vị {i % 40}")]
    path = tmp_path / "big.xlsx"
    write_xlsx(score_report(records), path, lang=lang)
    book = openpyxl.load_workbook(path, read_only=True)
    assert len(book.sheetnames) == 43  # summary, hosts, 40 organisations, third parties
    assert sum(1 for _ in book.worksheets[1].iter_rows()) == 1 + 900
