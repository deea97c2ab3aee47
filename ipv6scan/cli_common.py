"""What every command module of the CLI shares: the typer app, stderr, exit codes, common options.

The command modules (``cli``, ``cli_audit``) import this; it imports none of them.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from ._version import __version__
from .errors import Ipv6scanError
from .loop import Loop, LoopUnavailable, choose as choose_loop
from .session import EXIT_CANNOT_RUN, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, Notices

__all__ = ["ADVANCED", "EXIT_CANNOT_RUN", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_USAGE", "LOOP_OPTION", "NOTICES", "Format",
           "Lang", "UsageError", "_fail", "app", "chosen_loop", "err"]

app = typer.Typer(
    name="ipv6scan",
    help="IPv6 readiness scanner: DNS, web (every address, each family), TLS, name servers and mail over IPv6.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True)
# What a session says goes to stderr, never as markup (paths and host names are data).
NOTICES = Notices(
    info=lambda text: err.print(escape(text), highlight=False, soft_wrap=True),
    warn=lambda text: err.print(f"[yellow]warning:[/] {escape(text)}", highlight=False),
    error=lambda text: err.print(f"[bold red]error:[/] {escape(text)}", highlight=False),
)


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"
    JSONL = "jsonl"


class Lang(StrEnum):
    VI = "vi"
    EN = "en"


class UsageError(Ipv6scanError):
    """A problem with what the user asked for: printed, exit code 2."""


def _fail(code: int, message: str) -> typer.Exit:
    """Print ``message`` (plain text, never markup: it holds paths, host names and data) and exit ``code``."""
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    return typer.Exit(code)


def _version(value: bool) -> None:
    if value:
        print(f"ipv6scan {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")] = False,
) -> None:
    """IPv6 readiness and IPv6 For Gov compliance scanner."""


# ------------------------------------------------------------------ scan

ADVANCED = "Advanced / test options"
LOOP_OPTION = typer.Option(
    "--loop", envvar="IPV6SCAN_LOOP",
    help="Event loop: uvloop (pip install 'ipv6scan\\[fast]': about a quarter less CPU per host) or asyncio's own; "
         "auto takes uvloop when it is installed.")


def chosen_loop(loop: Loop) -> Loop:
    """The concrete loop ``--loop`` stands for; exit 2 (usage) when uvloop is asked for and not installed."""
    try:
        return choose_loop(loop)[0]
    except LoopUnavailable as e:
        raise _fail(EXIT_USAGE, f"--loop {loop.value}: {e}") from None


