"""typer's usage errors in the run's language: a Vietnamese run prints no English sentence, even when the
command line itself is wrong (an unknown option, a value that is not a number, a missing argument)."""

from __future__ import annotations

import re

import pytest

from .conftest import run_cli

_ENGLISH = re.compile(r"\b(Usage|Error|error|Try|Invalid|invalid|Missing|missing|such|option|requires|"
                      r"unexpected|argument|Input|should|valid|number)\b")


def _run(monkeypatch, capsys, lang: str, *args: str) -> tuple[int, str, str]:
    from ipv6scan.cli import main

    monkeypatch.setenv("IPV6SCAN_LANG", lang)
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setattr("sys.argv", ["ipv6scan", *args])
    with pytest.raises(SystemExit) as ended:
        main()
    out, err = capsys.readouterr()
    return ended.value.code, out, err


CASES = [  # the line, then what the Vietnamese and the English error lines say
    (("scan", "--bogus", "x"), "lỗi: không có tùy chọn --bogus", "error: no such option: --bogus"),
    (("scan", "--timout", "3", "x"),
     "lỗi: không có tùy chọn --timout (có phải ý bạn là: --dns-timeout, --read-timeout, --timeout?)",
     "error: no such option: --timout (possible options: --dns-timeout, --read-timeout, --timeout)"),
    (("scan",), "lỗi: thiếu đối số 'DANH_SÁCH ...'", "error: missing argument 'TARGET ...'"),
    (("scan", "x", "--timeout", "abc"), "lỗi: giá trị không hợp lệ cho '--timeout': cần một số (x>=0.05)",
     "error: invalid value for '--timeout': Input should be a valid number"),
    (("scan", "x", "--timeout", "0"), "lỗi: giá trị không hợp lệ cho '--timeout': cần một số (x>=0.05)",
     "error: invalid value for '--timeout': Input should be greater than or equal to 0.05"),
    (("scan", "x", "-c", "1.5"),
     "lỗi: giá trị không hợp lệ cho '--concurrency' / '-c': cần một số nguyên (1<=x<=10000)",
     "error: invalid value for '--concurrency' / '-c': Input should be a valid integer"),
    (("scan", "x", "-f", "xml"),
     "lỗi: giá trị không hợp lệ cho '--format' / '-f': cần một trong các giá trị table, json, jsonl",
     "error: invalid value for '--format' / '-f': Value error, 'xml' is not one of 'table', 'json', 'jsonl'."),
    (("scan", "x", "--timeout"), "lỗi: tùy chọn '--timeout' cần một giá trị", "error: option '--timeout' requires a value"),
    (("scan", "x", "--no-save=1"), "lỗi: tùy chọn '--no-save' không nhận giá trị",
     "error: option '--no-save' does not take a value"),
    (("history", "one", "two"), "lỗi: thừa đối số: one two", "error: unexpected extra arguments: one two"),
    (("scna",), "lỗi: không có lệnh 'scna' (có phải ý bạn là: 'scan', 'schema'?)",
     "error: no such command 'scna' (possible options: 'scan', 'schema')"),
    (("audit",), "lỗi: thiếu tùy chọn '--config' / '-c'", "error: missing option '--config' / '-c'"),
]


@pytest.mark.parametrize(("line", "vi", "en"), CASES, ids=[" ".join(c[0]) for c in CASES])
def test_usage_errors_in_either_language(monkeypatch, capsys, line, vi, en) -> None:
    code, out, err = _run(monkeypatch, capsys, "vi", *line)
    assert code == 2 and out == "", err
    assert err.rstrip().splitlines()[-1].startswith(vi), err
    assert not _ENGLISH.search(err), err
    code, out, err = _run(monkeypatch, capsys, "en", *line)
    assert code == 2 and err.rstrip().splitlines()[-1].startswith(en), err


def test_a_usage_error_shows_the_usage_line_and_the_hint_in_the_language(monkeypatch, capsys) -> None:
    code, _, err = _run(monkeypatch, capsys, "vi", "scan", "--bogus", "x")
    assert err.splitlines()[:3] == ["Cách dùng: ipv6scan scan [TÙY_CHỌN] {DANH_SÁCH ...}...",
                                    "Xem 'ipv6scan scan -h' để biết cách dùng.", ""], err
    code, _, err = _run(monkeypatch, capsys, "vi", "scan", "--lang", "en", "--bogus", "x")  # the line's --lang wins
    assert err.splitlines()[:2] == ["Usage: ipv6scan scan [OPTIONS] {TARGET ...}...",
                                    "Try 'ipv6scan scan -h' for help."], err


def test_a_group_without_its_command_prints_its_help_in_the_language(monkeypatch, capsys) -> None:
    code, out, err = _run(monkeypatch, capsys, "vi", "targets")
    assert code == 2 and err.startswith("Cách dùng: ipv6scan targets [TÙY_CHỌN] LỆNH [ĐỐI_SỐ]...")
    assert "Làm việc với danh sách hệ thống cần quét." in err and not _ENGLISH.search(err)


def test_an_error_typer_may_add_later_is_still_framed_in_the_language() -> None:
    from typer._click.exceptions import UsageError

    from ipv6scan.cli_usage import usage_error_text

    assert usage_error_text(UsageError("Something new."), "vi") == "lỗi: dùng sai lệnh (Something new.)"
    assert usage_error_text(UsageError("Something new."), "en") == "error: Something new."


def test_commands_still_end_with_their_own_exit_codes(monkeypatch, capsys, tmp_path) -> None:
    """main() runs typer not standalone (to say its usage errors): a command's end is still its exit code."""
    code, out, _ = _run(monkeypatch, capsys, "vi", "schema")
    assert code == 0 and out.lstrip().startswith("{")
    bad = tmp_path / "list.txt"
    bad.write_text("portal.example.gov.vn\n192.0.2.1\n", encoding="utf-8")
    code, out, _ = _run(monkeypatch, capsys, "vi", "targets", "check", str(bad))
    assert code == 1 and "192.0.2.1" in out
    proc = run_cli("-V")
    assert proc.returncode == 0 and proc.stdout.startswith("ipv6scan ")


def test_the_language_may_come_before_the_command(tmp_path):
    """`ipv6scan -L en COMMAND …` as users write global options: the command speaks it unless it says another."""
    missing = str(tmp_path / "none.txt")
    proc = run_cli("--lang", "en", "targets", "check", missing, env={"IPV6SCAN_LANG": "vi"})
    assert proc.returncode == 2 and proc.stderr.startswith("error: target file"), proc.stderr
    proc = run_cli("-L", "vi", "targets", "check", missing, env={"IPV6SCAN_LANG": "en"})
    assert proc.returncode == 2 and proc.stderr.startswith("lỗi:"), proc.stderr
    proc = run_cli("-L", "vi", "targets", "check", "--lang", "en", missing)  # the command's own wins
    assert proc.stderr.startswith("error:"), proc.stderr
    proc = run_cli("-L", "vi", "scan", "-h", env={"IPV6SCAN_LANG": "en"})
    assert proc.returncode == 0 and proc.stdout.startswith("Cách dùng: ipv6scan scan [TÙY_CHỌN]")
