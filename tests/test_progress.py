"""The scan's progress bar (issue 15): done/total entries, rate, time left, the slowest host so far."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from ipv6scan.cli import entries_to_report
from ipv6scan.model import InputError
from ipv6scan.output import ScanProgress

from .test_store import record


def test_the_total_is_what_the_scan_reports_not_the_lines_of_the_files(tmp_path: Path) -> None:
    a = tmp_path / "a.csv"
    a.write_text("host,org\n# a comment\n\nx1.gov.vn,A\nX1.GOV.VN,A\nbad..gov.vn,B\nx2.gov.vn,B\n")
    b = tmp_path / "b.txt"
    b.write_text("x2.gov.vn\nx3.gov.vn\r\n")  # x2 repeats a's: merged across lists
    assert entries_to_report([("a.csv", a), ("b.txt", b)], None) == 4  # x1, the error, x2, x3 (not 9 lines)
    assert entries_to_report([("-", io.StringIO("x.gov.vn\n"))], None) is None  # stdin is read once


def render(progress: ScanProgress) -> str:
    out = Console(file=io.StringIO(), width=160, force_terminal=False, color_system=None)
    out.print(progress.progress.make_tasks_table(progress.progress.tasks))
    return out.file.getvalue()  # type: ignore[attr-defined]


def test_the_bar_ends_at_total_with_rate_and_the_slowest_host() -> None:
    progress = ScanProgress(Console(file=io.StringIO()), total=3, lang="en")
    slow = record("slow.gov.vn")
    slow.facts.elapsed_ms = 12_500.0
    for line in (record("a.gov.vn"), slow, InputError(line=3, text="bad..x", problem="empty label", source="l")):
        progress.on_line(line)
    text = render(progress)
    assert "3/3" in text and "slowest: slow.gov.vn (12.5 s)" in text
    assert "hosts/s" in text
    vi = ScanProgress(Console(file=io.StringIO()), total=1, lang="vi")
    vi.on_line(slow)
    vi.on_line(record("b.gov.vn"))
    assert "chậm nhất: slow.gov.vn (12,5 giây)" in render(vi) and "hệ thống/giây" in render(vi)


def test_without_a_bar_nothing_is_counted_or_worded() -> None:
    """--no-progress (or stderr not a terminal): lines pass by untouched, no speed computed per host."""
    progress = ScanProgress(Console(file=io.StringIO()), total=2, lang="en", enabled=False)
    for line in (record("a.gov.vn"), record("b.gov.vn")):
        progress.on_line(line)
    task = progress.progress.tasks[0]
    assert task.completed == 0 and task.fields["rate"] == "" and task.description == ""
