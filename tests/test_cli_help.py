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
