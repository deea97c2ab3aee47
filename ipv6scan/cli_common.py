"""What every command module of the CLI shares: the typer app, stderr, exit codes, common options.

The command modules (``cli``, ``cli_audit``) import this; it imports none of them.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Sequence
from enum import StrEnum
from typing import Annotated, Any, Optional

import typer
from rich.markup import escape

from .safe_console import SafeConsole
from ._version import __version__
from .catalogue import LANGS, Message, help_text, in_lang, lang_from_env
from .errors import Ipv6scanError
from .ends import EXIT_CANNOT_RUN, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, Notices
from .loop import Loop, LoopUnavailable, choose as choose_loop

__all__ = ["ADVANCED", "EXIT_CANNOT_RUN", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_USAGE", "LANG_OPTION", "LOOP_OPTION",
           "NOTICES", "Format", "Lang", "Message", "UsageError", "_fail", "app", "chosen_loop", "err", "help_lang", "lang",
           "speak", "warn", "words"]

app = typer.Typer(
    name="ipv6scan",
    help="IPv6 readiness scanner: DNS, web (every address, each family), TLS, name servers and mail over IPv6.",
    no_args_is_help=True,
    add_completion=True,
    rich_markup_mode=None,  # click's plain help: a third of the time of rich's panels, and it reads at 80 columns
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog="Exit codes: 0 done, 1 targets check found errors, 2 usage error, 3 could not run, 4 audit: a phase "
           "under fail_under, 5 audit/diff: confirmed regressions, 6 results could not be written (disk full), "
           "130 interrupted. Examples: ipv6scan demo; ipv6scan scan LIST; ipv6scan show; ipv6scan report SCAN.",
)
err = SafeConsole(stderr=True)


class _Speech:
    """The language this run of the CLI speaks (one command per process): set by :func:`speak`."""

    lang = lang_from_env()


def speak(choice: "Lang | None") -> str:
    """Every message of this command in ``--lang`` if given, else as the environment says (``lang_from_env``)."""
    _Speech.lang = choice.value if choice is not None else lang_from_env()
    return _Speech.lang


def lang() -> str:
    return _Speech.lang


def words(what: "str | Message | BaseException", /, **values: object) -> str:
    """``what`` in the run's language: a UI key (with ``values``), a Message, or an exception."""
    return str(in_lang(Message(what, **values) if isinstance(what, str) else what, _Speech.lang))


def warn(what: "str | Message | BaseException", /, **values: object) -> None:
    """A warning on stderr in the run's language (plain text, never markup)."""
    err.print(f"[yellow]{escape(words('prefix_warning'))}[/] {escape(words(what, **values))}", highlight=False)


def error(what: "str | Message | BaseException", /, **values: object) -> None:
    """An error on stderr in the run's language (plain text, never markup)."""
    err.print(f"[bold red]{escape(words('prefix_error'))}[/] {escape(words(what, **values))}", highlight=False)


# What a session says goes to stderr, never as markup (paths and host names are data).
NOTICES = Notices(
    info=lambda msg: err.print(escape(words(msg)), highlight=False, soft_wrap=True),
    warn=warn,
    error=error,
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


def _fail(code: int, what: "str | Message | BaseException", /, **values: object) -> typer.Exit:
    """Print ``what`` (a UI key with ``values``, a Message or an exception) in the run's language and exit ``code``.

    Plain text, never markup: it holds paths, host names and data.
    """
    error(what, **values)
    return typer.Exit(code)


def tidy_help(command: Any, lang: str = "en") -> None:
    """Help that reads like a manual, in ``lang``: no type label on flags (typer prints ``<bool>``), and a list
    option shows the word of one value, repeatable (``--resolver ADDR ...``), not ``<list[str]>``.

    In Vietnamese every help text is its Vietnamese from the catalogue (``help.toml``), and so are the words
    of help's frame: the usage line, the section headings, ``[default: …]`` and ``required``."""
    for param in getattr(command, "params", []):
        if getattr(param, "is_flag", False) or getattr(param, "is_bool_flag", False):
            param.metavar = ""
        elif param.metavar is None and (getattr(param, "multiple", False) or param.nargs == -1):
            param.metavar = (param.name or "value").upper().removesuffix("S") + " ..."
            if getattr(param, "param_type_name", "") == "argument":  # its name says it; no <list[str]> beside it
                param.display_type_rich = lambda ctx: None
        elif param.metavar is None:
            param.metavar = _value_word(param)
        if param.metavar:  # (a word for the value: FILE, DATE; a choice [table|json] is the same in either)
            param.metavar = help_text(param.metavar, lang, table="chrome")
        if getattr(param, "help", None):
            param.help = help_text(param.help, lang)
        if getattr(param, "rich_help_panel", None):
            param.rich_help_panel = help_text(param.rich_help_panel, lang)
    for attr in ("help", "short_help", "epilog"):
        if getattr(command, attr, None):
            setattr(command, attr, help_text(getattr(command, attr), lang))
    if lang != "en":
        if command.options_metavar:
            command.options_metavar = help_text(command.options_metavar, lang, table="chrome")
        if getattr(command, "subcommand_metavar", None):
            command.subcommand_metavar = help_text(command.subcommand_metavar, lang, table="chrome")
        command.context_class = _speaking(command.context_class, lang)
    make_help = command.get_help_option

    def help_option(ctx: Any) -> Any:
        option = make_help(ctx)
        if option is not None:
            option.metavar = ""
            option.help = help_text(option.help, lang, table="chrome")
        return option

    command.get_help_option = help_option
    for sub in getattr(command, "commands", {}).values():
        tidy_help(sub, lang)


@functools.cache
def _speaking(context_class: type, lang: str) -> type:
    """typer's context class, its help written by a formatter that speaks ``lang`` (help's frame: see
    :func:`tidy_help`). A subclass per command tree: typer's own classes are left as they are."""
    base = context_class.formatter_class

    class Formatter(base):  # type: ignore[misc,valid-type]
        def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
            super().write_usage(prog, args, help_text("Usage: ", lang, table="chrome") if prefix is None else prefix)

        def section(self, name: str) -> Any:
            return super().section(help_text(name, lang, table="chrome"))

        def write_dl(self, rows: Any, *args: Any, **kwargs: Any) -> None:
            super().write_dl([(term, _extras_in(text, lang)) for term, text in rows], *args, **kwargs)

    return type(context_class.__name__, (context_class,), {"formatter_class": Formatter})


_EXTRAS = re.compile(r"\[([^\[\]]*)\]$")


def _extras_in(text: str, lang: str) -> str:
    """An option's ``[env var: X; default: x; 1<=x<=5; required]`` (what typer adds after its help) in ``lang``."""
    found = _EXTRAS.search(text)
    if found is None:
        return text
    words = []
    for part in found.group(1).split("; "):
        name, colon, value = part.partition(": ")
        if colon and name in ("default", "env var"):
            part = help_text(f"{name}: {{{name.replace(' ', '_')}}}", lang, table="chrome").format(
                default=value, env_var=value)
        elif part == "required":
            part = help_text(part, lang, table="chrome")
        words.append(part)
    return f"{text[:found.start()]}[{'; '.join(words)}]"


def help_lang(args: Sequence[str]) -> str:
    """The language of the help and of the usage errors a command line gets: its ``--lang``/``-L`` (the last one
    given), else the environment's (:func:`~ipv6scan.catalogue.lang_from_env`), as every message of the run."""
    chosen = None
    line = iter(args)
    for arg in line:
        if arg == "--":
            break
        if arg in ("-L", "--lang"):
            chosen = next(line, None)
        elif arg.startswith("--lang="):
            chosen = arg.removeprefix("--lang=")
        elif arg.startswith("-L") and len(arg) > 2:
            chosen = arg[2:]
    return chosen if chosen in LANGS else lang_from_env()


def _value_word(param: Any) -> str:
    """The word for an option's value in help (``--timeout SECONDS``), never a type label (``<float range>``)."""
    descriptor = getattr(param, "type_descriptor", None)
    kind = getattr(descriptor, "annotation", None) or getattr(getattr(param, "type", None), "name", None)
    if isinstance(kind, type) and issubclass(kind, StrEnum):
        return "[" + "|".join(m.value for m in kind) + "]"
    if kind in (int, "integer", "integer range"):
        return "N"
    if kind in (float, "float", "float range"):
        return "SECONDS" if "second" in (getattr(param, "help", "") or "").lower() else "NUMBER"
    return (param.name or "value").upper()


def _version(value: bool) -> None:
    if value:
        print(f"ipv6scan {__version__}")
        raise typer.Exit()


# ------------------------------------------------------------------ scan

ADVANCED = "Advanced / test options"
LOOP_OPTION = typer.Option(
    "--loop", envvar="IPV6SCAN_LOOP",
    help="Event loop: uvloop (installed with ipv6scan on Linux and macOS: about a quarter less CPU per host) or asyncio's own; "
         "auto takes uvloop when it is installed.")


LANG_OPTION = typer.Option(
    "--lang", "-L",
    help="Language of messages and reports: vi (Vietnamese) or en. Default: $IPV6SCAN_LANG, else the locale "
         "(LANGUAGE, LC_ALL, LC_MESSAGES, LANG), else vi.")


@app.callback()
def _main(
    version: Annotated[bool, typer.Option("--version", "-V", callback=_version, is_eager=True, help="Print the version.")] = False,
    lang: Annotated[Optional[Lang], LANG_OPTION] = None,
) -> None:
    """IPv6 readiness and IPv6 For Gov compliance scanner."""
    if lang is not None:  # (before the command, `ipv6scan -L en scan …`: its language unless it says another)
        os.environ["IPV6SCAN_LANG"] = lang.value


def chosen_loop(loop: Loop) -> Loop:
    """The concrete loop ``--loop`` stands for; exit 2 (usage) when uvloop is asked for and not installed."""
    try:
        return choose_loop(loop)[0]
    except LoopUnavailable as e:
        raise _fail(EXIT_USAGE, "option_problem", option=f"--loop {loop.value}", problem=e) from None


