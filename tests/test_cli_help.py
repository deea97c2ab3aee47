"""Help that reads like a manual (issue 15): -h and -V, no type labels on flags, examples and exit codes."""

from __future__ import annotations

import re

import typer

from ipv6scan._version import __version__

from .conftest import run_cli


def commands() -> list[tuple[str, ...]]:
    from ipv6scan import cli, cli_audit  # noqa: F401  (cli_audit registers its commands)

    found: list[tuple[str, ...]] = []

    def walk(command, path: tuple[str, ...]) -> None:
        found.append(path)
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, (*path, name))

    walk(typer.main.get_command(cli.app), ())
    return found


def test_every_command_has_h_and_no_type_labels_on_flags_or_lists() -> None:
    paths = commands()
    assert ("scan",) in paths and ("targets", "check") in paths and ("audit",) in paths
    for path in paths:
        short, long = run_cli(*path, "-h"), run_cli(*path, "--help")
        assert short.returncode == long.returncode == 0, (path, short.stderr)
        assert short.stdout == long.stdout and "Usage: ipv6scan" in short.stdout, path
        assert "<bool>" not in short.stdout and "<list[" not in short.stdout, (path, short.stdout)


def test_version_short_and_long() -> None:
    for flag in ("-V", "--version"):
        proc = run_cli(flag)
        assert (proc.returncode, proc.stdout.strip()) == (0, f"ipv6scan {__version__}")


def test_scan_help_gives_examples_and_exit_codes() -> None:
    text = " ".join(run_cli("scan", "-h").stdout.split())
    assert "Examples:" in text and "ipv6scan scan targets/hanoi.csv" in text
    assert "Exit codes: 0 done" in text and "6 results not written (disk full" in text and "130 interrupted" in text
    assert "-r, --resolver RESOLVER ..." in text  # a repeatable option names one value, not <list[str]>
    assert "--timeout SECONDS" in text and "-c, --concurrency N" in text and "-f, --format [table|json|jsonl]" in text
    assert not re.search(r"<[a-z]", text)  # no type label: <str>, <int range>, <float range>, <path>, <bool>
    top = " ".join(run_cli("-h").stdout.split())
    assert "Exit codes: 0 done, 1 targets check found errors" in top and "--install-completion" in top


def test_shell_completion_script_is_printed() -> None:
    # typer detects the shell from the parent processes (none when the tests run detached, as under cron);
    # its own switch makes --show-completion take the shell's name instead
    proc = run_cli("--show-completion", "bash", env={"_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"})
    assert proc.returncode == 0 and "complete" in proc.stdout and "ipv6scan" in proc.stdout, proc.stderr


def test_help_does_not_load_the_scanner() -> None:
    """Issue 15: `--help` loaded the whole scanner (httpx, dnspython, cryptography, the probes): 1.3 s."""
    import subprocess
    import sys

    from .conftest import REPO

    heavy = ("ipv6scan.scan", "ipv6scan.pipeline", "ipv6scan.probe.web", "ipv6scan.probe.dns", "httpx",
             # and since the lazy imports of the command modules: no history, session, scoring, reports, asyncio
             "ipv6scan.session", "ipv6scan.store", "ipv6scan.scoring", "ipv6scan.report", "ipv6scan.checks",
             "ipv6scan.audit", "asyncio", "sqlite3")
    code = ("import sys, runpy; sys.argv = ['ipv6scan', '--help']\n"
            "try:\n    runpy.run_module('ipv6scan', run_name='__main__')\nexcept SystemExit:\n    pass\n"
            f"print(sorted(m for m in sys.modules if m in {heavy!r}))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "[]", proc.stdout[-500:]


def test_help_written_without_parsing_is_typers_own_help(capsys, monkeypatch) -> None:
    """`ipv6scan [CMD [SUB]] -h` is written from the command tree (no pydantic import): the same text as typer's."""
    import typer.main

    from ipv6scan import cli_audit  # noqa: F401  (registers its commands)
    from ipv6scan.cli import app, help_only
    from ipv6scan.cli_common import tidy_help

    command = typer.main.get_command(app)
    tidy_help(command)
    paths = [[]] + [[name] for name in command.commands] + [["targets", name] for name in command.commands["targets"].commands]
    monkeypatch.setenv("COLUMNS", "80")
    for path in paths:
        ours = help_only(command, [*path, "-h"])
        try:  # typer's way: parse the line, the eager --help prints and exits
            command.main(args=[*path, "--help"], prog_name="ipv6scan", standalone_mode=False)
        except SystemExit:
            pass
        theirs = capsys.readouterr().out
        assert ours is not None and theirs.startswith("Usage:"), path
        assert " ".join(ours.split()) == " ".join(theirs.split()), path
    assert help_only(command, ["scan", "--lang", "en", "-h"]) is None  # more than help: parsed as usual
    assert help_only(command, ["nosuch", "-h"]) is None and help_only(command, []) is None
    proc = run_cli("scan", "-h")
    assert proc.returncode == 0 and proc.stdout.startswith("Usage: ipv6scan scan [OPTIONS]")


# ---------------------------------------------------------------- help in Vietnamese

def _tree(lang: str):
    import typer.main

    from ipv6scan import cli, cli_audit  # noqa: F401  (cli_audit registers its commands)
    from ipv6scan.cli_common import tidy_help

    command = typer.main.get_command(cli.app)
    tidy_help(command, lang)
    return command


def _texts(command) -> list[str]:
    """Every help text of a command tree: commands' help, short help and epilog, options' help and panels."""
    found = [getattr(command, attr) for attr in ("help", "short_help", "epilog")]
    found += [getattr(p, attr, None) for p in command.params for attr in ("help", "rich_help_panel")]
    for sub in getattr(command, "commands", {}).values():
        found += _texts(sub)
    return [text for text in found if text]


def _metavars(command) -> set[str]:
    found = {p.metavar for p in command.params if p.metavar}
    for sub in getattr(command, "commands", {}).values():
        found |= _metavars(sub)
    return found


_FRAME = {"Usage: ", "Options", "Arguments", "Commands", "default: {default}", "env var: {env_var}", "required",
          "Show this message and exit.", "[OPTIONS]", "COMMAND [ARGS]...", "SECONDS", "NUMBER"}


def test_every_help_text_has_its_vietnamese_and_every_entry_is_used() -> None:
    """help.toml is keyed by the English the code writes: a help text changed without its Vietnamese, or an
    entry no command uses any more, is named here."""
    from ipv6scan.catalogue import help_catalogue

    catalogue = help_catalogue()
    texts = set(_texts(_tree("en")))
    assert len(texts) > 80
    assert sorted(texts - catalogue["help"].keys()) == []  # no Vietnamese
    assert sorted(catalogue["help"].keys() - texts) == []  # used by nothing
    assert all(vi.strip() and vi != en for en, vi in catalogue["help"].items())
    words = {m for m in _metavars(_tree("en")) if not m.startswith("[") and len(m) > 1}  # (choices, N, A, B)
    assert sorted(words - catalogue["chrome"].keys()) == []
    assert sorted(catalogue["chrome"].keys() - words - _FRAME) == []
    for en, vi in catalogue["chrome"].items():  # a placeholder is kept
        assert re.findall(r"\{\w+\}", en) == re.findall(r"\{\w+\}", vi), en


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_every_commands_help_in_vietnamese_has_no_english_sentence(monkeypatch) -> None:
    from ipv6scan.catalogue import help_catalogue
    from ipv6scan.cli import help_only

    monkeypatch.setenv("COLUMNS", "80")
    english = [_flat(en) for en in help_catalogue()["help"]]
    command = _tree("vi")
    for path in commands():
        text = _flat(help_only(command, [*path, "-h"]) or "")
        assert text.startswith("Cách dùng: ipv6scan"), path
        leaked = [en for en in english if en in text]
        assert leaked == [], (path, leaked)
        for frame in ("Usage:", "Options:", "Arguments:", "Commands:", "[OPTIONS]", "[default:", "required]",
                      "Show this message", "SECONDS", "env var"):
            assert frame not in text, (path, frame)
    assert "Mã thoát: 0 đã ghi, 2 không biết tỉnh này." in _flat(help_only(command, ["targets", "generate", "-h"]))


def test_scan_help_in_vietnamese_from_the_environment_or_the_line() -> None:
    vi = run_cli("scan", "-h", env={"IPV6SCAN_LANG": "vi"})
    text = _flat(vi.stdout)
    assert vi.returncode == 0 and vi.stdout.startswith("Cách dùng: ipv6scan scan [TÙY_CHỌN] {DANH_SÁCH ...}...")
    assert "Ví dụ: ipv6scan scan targets/hanoi.csv" in text and "Mã thoát: 0 xong" in text
    assert "Đối số: DANH_SÁCH ..." in text and "Tùy chọn: -r, --resolver ĐỊA_CHỈ[:CỔNG] ..." in text
    assert "--timeout GIÂY Thời gian chờ kết nối/bắt tay, tính bằng giây. [mặc định: 5.0; x>=0.05]" in text
    assert "[bắt buộc]" in text and "--help In hướng dẫn này rồi thoát." in text
    # the line's --lang wins over the environment, either way (parsed as usual: more than -h on the line)
    en = run_cli("scan", "--lang", "en", "-h", env={"IPV6SCAN_LANG": "vi"})
    assert en.returncode == 0 and en.stdout.startswith("Usage: ipv6scan scan [OPTIONS]"), en.stdout[:200]
    vi2 = run_cli("history", "-Lvi", "-h")
    assert vi2.returncode == 0 and "Cơ sở dữ liệu lịch sử. [biến môi trường: IPV6SCAN_DB;" in _flat(vi2.stdout)
    top = run_cli("-h", env={"IPV6SCAN_LANG": "vi"})
    assert "Lệnh: scan Quét các tên miền để đánh giá mức sẵn sàng IPv6." in _flat(top.stdout)


def test_help_language_is_the_lines_last_lang_else_the_environments(monkeypatch) -> None:
    from ipv6scan.cli_common import help_lang

    monkeypatch.setenv("IPV6SCAN_LANG", "vi")
    assert help_lang(["scan", "-h"]) == "vi"
    assert help_lang(["scan", "--lang", "en", "-h"]) == help_lang(["scan", "--lang=en"]) == "en"
    assert help_lang(["scan", "-Len"]) == help_lang(["scan", "-L", "vi", "-L", "en"]) == "en"
    assert help_lang(["scan", "--lang", "fr"]) == "vi"  # not a language of ours: the environment's
    assert help_lang(["scan", "--", "--lang", "en"]) == "vi"  # after --: a target, not an option
    monkeypatch.setenv("IPV6SCAN_LANG", "en")
    assert help_lang(["scan", "-L", "vi", "-h"]) == "vi" and help_lang(["scan"]) == "en"
