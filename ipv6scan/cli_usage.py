"""typer's usage errors (an option it does not know, a value it cannot read, an argument missing) in the run's
language, with the usage line and the hint to ``-h``, as typer prints them.

typer (its vendored click) writes them in English; a Vietnamese run prints no English sentence. Each kind is
a key of ``catalogue/ui.toml``. What typer says of a value it cannot read (pydantic's English: "Input should
be a valid number") is kept in English; in Vietnamese the value's kind is said instead, from the option's
type (a number, a whole number, one of the choices, within the range)."""

from __future__ import annotations

import re
from enum import Enum
from typing import Any

from typer._click import exceptions as click_errors  # (typer's vendored click: its exception classes)

from .catalogue import say_ui

__all__ = ["ClickErrors", "UsageErrors", "usage_error_text"]

UsageErrors = click_errors.UsageError
ClickErrors = click_errors.ClickException


def usage_error_text(error: click_errors.UsageError, lang: str) -> str:
    """What to print for ``error`` (stderr): the usage line and the hint when the command is known, then the error.
    A command that needs more and got nothing (``ipv6scan targets``): its help, already in the language."""
    if isinstance(error, click_errors.NoArgsIsHelpError):
        return error.format_message()
    lines = []
    ctx = error.ctx
    if ctx is not None:
        lines.append(ctx.get_usage())
        if ctx.command.get_help_option(ctx) is not None:
            lines.append(say_ui("usage_hint", lang, command=f"{ctx.command_path} {ctx.help_option_names[0]}"))
        lines.append("")
    lines.append(f"{say_ui('prefix_error', lang)} {_message(error, lang)}")
    return "\n".join(lines)


def _message(error: click_errors.UsageError, lang: str) -> str:
    if isinstance(error, click_errors.NoSuchOption):
        text = say_ui("usage_no_such_option", lang, option=error.option_name)
        if error.possibilities:
            text += " " + say_ui("usage_did_you_mean", lang, options=", ".join(sorted(error.possibilities)))
        return text
    if isinstance(error, click_errors.MissingParameter):
        param = error.param
        kind = error.param_type or (param.param_type_name if param is not None else "parameter")
        key = "usage_missing_argument" if kind == "argument" else "usage_missing_option"
        return say_ui(key, lang, name=_hint(error))
    if isinstance(error, click_errors.BadParameter):
        problem = error.message if lang == "en" or error.param is None else _expected(error.param, lang)
        if error.param is None and error.param_hint is None:
            return say_ui("usage_bad_value_alone", lang, problem=problem)
        return say_ui("usage_bad_value", lang, name=_hint(error), problem=problem)
    message = error.message
    for pattern, key in _SAID:
        found = pattern.fullmatch(message)
        if found:
            values = found.groupdict()
            like = values.pop("like", None)
            text = say_ui(key, lang, **values)
            return text + " " + say_ui("usage_did_you_mean", lang, options=like) if like else text
    return message if lang == "en" else say_ui("usage_other", lang, problem=message)


_SAID = [  # typer's other usage errors, by their English (core.py, parser.py of its vendored click)
    (re.compile(r"Option '(?P<option>[^']+)' requires (an argument|\d+ arguments)\."), "usage_needs_value"),
    (re.compile(r"Option '(?P<option>[^']+)' does not take a value\."), "usage_takes_no_value"),
    (re.compile(r"Got unexpected extra argument\(s\) \((?P<extra>.*)\)", re.S), "usage_extra_arguments"),
    (re.compile(r"Missing command\."), "usage_missing_command"),
    (re.compile(r"No such command '(?P<name>[^']*)'\.(?: Did you mean (?P<like>.*)\?)?", re.S), "usage_no_such_command"),
]


def _hint(error: click_errors.BadParameter) -> str:
    if error.param_hint is not None:
        hint = error.param_hint
        return hint if isinstance(hint, str) else " / ".join(repr(h) for h in hint)
    return error.param.get_error_hint() if error.param is not None else ""


def _expected(param: Any, lang: str) -> str:
    """What a value of ``param`` has to be, said from its type: ``lang``'s words, never pydantic's."""
    descriptor = getattr(param, "type_descriptor", None)
    kind = getattr(descriptor, "annotation", None)
    if isinstance(kind, type) and issubclass(kind, Enum):
        return say_ui("usage_expected_choice", lang, choices=", ".join(str(m.value) for m in kind))
    limits = getattr(param, "_get_number_range_help_str", lambda: None)() or ""
    if kind is int:
        return say_ui("usage_expected_integer", lang) + (f" ({limits})" if limits else "")
    if kind is float:
        return say_ui("usage_expected_number", lang) + (f" ({limits})" if limits else "")
    return say_ui("usage_expected_other", lang)
