"""What a list, a server or a database says reaches the terminal as visible text, never as a control sequence."""

from __future__ import annotations

import io

from rich.table import Table
from rich.text import Text

from ipv6scan.safe_console import SafeConsole, for_terminal

from tests.conftest import run_cli

ESC_TITLE = "\x1b]0;pwned\x07"  # set the window title
OSC8 = "\x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\"  # a hyperlink
CLEAR = "\x1b[2J\x1b[H"
CLIPBOARD = "\x1b]52;c;ZXZpbA==\x07"
RLO = "\u202e"  # right-to-left override
HOSTILE = (ESC_TITLE, OSC8, CLEAR, CLIPBOARD, RLO, "\u2066", "\x9b31m", "\u2028", "\x7f")


def dangerous(text: str) -> list[str]:
    bad = {chr(c) for c in range(0x20) if c not in (9, 10)} | {chr(c) for c in range(0x7F, 0xA0)}
    bad |= {"\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069", "\u2028"}
    return sorted({c for c in text if c in bad})


def test_every_control_becomes_one_visible_character():
    for payload in HOSTILE:
        safe = for_terminal(payload)
        assert len(safe) == len(payload) and dangerous(safe) == [], repr(payload)
    assert for_terminal("Tỉnh Mẫu A\tcổng.gov.vn\n") == "Tỉnh Mẫu A\tcổng.gov.vn\n"
    assert for_terminal("\x1b[31m") == "␛[31m"


def test_the_console_keeps_its_own_styles_and_neutralises_the_data():
    out = io.StringIO()
    console = SafeConsole(file=out, force_terminal=True, color_system="standard", width=100)
    table = Table()
    table.add_column("org")
    for payload in HOSTILE:
        table.add_row(Text(f"Tỉnh{payload}A", style="bold"))
    console.print(table)
    console.print(Text(OSC8 + RLO, style="red"))
    written = out.getvalue()
    assert "\x1b[1m" in written  # rich's own escape codes still style the text
    no_style = written.replace("\x1b[1m", "").replace("\x1b[0m", "").replace("\x1b[31m", "")
    assert dangerous(no_style) == [], dangerous(no_style)
    assert "␛]0;pwned" in written and "�" in written


def test_hostile_names_from_a_list_reach_no_terminal_raw(lab, lab_dir):
    targets = lab_dir / "hostile.csv"
    org = f"Tỉnh{ESC_TITLE}{RLO}{CLEAR}A"
    targets.write_text(f'host,org,kind\ndual.gov.example,"{org}",portal\n"x.gov.example:{CLEAR}",X,portal\n',
                       encoding="utf-8")
    check = run_cli("targets", "check", str(targets))
    assert check.returncode == 1 and "not a port number" in check.stdout
    assert dangerous(check.stdout) == [] and "␛[2J" in check.stdout
    scan_file = lab_dir / "hostile.jsonl"
    scan = run_cli("scan", str(targets), *lab.cli_args(lab_dir), "--no-save", "--no-db", "--no-zone",
                   "--format", "jsonl", "-o", str(scan_file))
    assert scan.returncode == 0, scan.stderr
    table = run_cli("show", str(scan_file))
    assert "x.gov.example" in table.stdout and dangerous(table.stdout + table.stderr) == []
    report = run_cli("report", str(scan_file), "--out-dir", str(lab_dir / "out"), "--lang", "vi")
    assert report.returncode == 0, report.stderr
    assert "]0;pwned" in report.stdout  # the organisation is named, visibly
    assert dangerous(report.stdout + report.stderr) == []
