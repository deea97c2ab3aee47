"""Every word a judgement shows, in Vietnamese and English, as data.

``ui.toml`` holds the words of the reports and the command line (:func:`ui`, :func:`say_ui`);
``checks.toml`` the words of the checks, in two tables:

* ``[reason.<code>]`` — one line per reason code (``en``, ``vi``): what the code
  means, for report columns and legends.
* ``[text.<key>]`` — sentence and fragment templates (``en``, ``vi``) with
  ``{placeholders}``. A check result's ``params`` is itself a fragment: ``params["f"]``
  names its sentence, the other keys fill it.

A placeholder's value is plain data (a host name, an address, a number) or a
fragment (a dict whose ``"f"`` names another ``text`` entry), or a list of either,
joined the way the language joins ("a, b and c" / "a, b và c"). A format spec
after the name shapes a value for the language:

==================  ===============================================================
``{n}``             an int is written as a number of the language (``1,234`` / ``1.234``)
``{n:plural:a|b}``  ``a`` when n is 1, else ``b`` (English; Vietnamese has no plural)
``{x:percent}``     a fraction 0..1 as a whole percent, rounded down (``42%``)
``{d:date}``        an ISO date or timestamp as a date (``2026-01-10`` / ``10/01/2026``)
``{s:upper}``       upper case (``https`` -> ``HTTPS``)
``{fam:family}``    ``ipv4`` / ``ipv6`` -> ``IPv4`` / ``IPv6``
``{x:short}``       the first 16 characters and an ellipsis (fingerprints)
==================  ===============================================================

:func:`render` fills a template; :func:`reason_line` gives a code's one line. Nothing
here knows a check: checks name keys, renderers ask for a language.
"""

from __future__ import annotations

from ..errors import Ipv6scanError

import math
import string
import tomllib
from collections.abc import Mapping
from datetime import datetime
from functools import lru_cache
from importlib import resources
from typing import Any

LANGS = ("vi", "en")
FRAGMENT = "f"  # the key of a fragment's template name in its params

_AND = {"en": " and ", "vi": " và "}


class CatalogueError(Ipv6scanError, KeyError):
    """A template or reason code the catalogue does not have, or a value a template cannot take."""

    def __str__(self) -> str:  # KeyError quotes its argument; this is a sentence
        return str(self.args[0]) if self.args else ""


@lru_cache(maxsize=1)
def _data() -> dict[str, dict[str, dict[str, str]]]:
    text = resources.files(__package__).joinpath("checks.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    return {"reason": data.get("reason", {}), "text": data.get("text", {})}


@lru_cache(maxsize=1)
def ui() -> dict[str, dict[str, str]]:
    """The words of the reports and the command line (``ui.toml``): key -> {"vi": ..., "en": ...}."""
    text = resources.files(__package__).joinpath("ui.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def say_ui(key: str, lang: str, **values: Any) -> str:
    """The UI string ``key`` in ``lang`` with its ``{placeholders}`` filled in (plain ``str.format``)."""
    entry = ui().get(key)
    if entry is None:
        raise CatalogueError(f"the catalogue has no UI string {key!r}")
    return entry[lang].format(**values) if values else entry[lang]


def reasons() -> Mapping[str, Mapping[str, str]]:
    """Every reason code -> {"en": ..., "vi": ...}."""
    return _data()["reason"]


def texts() -> Mapping[str, Mapping[str, str]]:
    """Every template key -> {"en": ..., "vi": ...}."""
    return _data()["text"]


def reason_line(code: str, lang: str) -> str:
    """The one line of a reason code in ``lang``; an unknown code is shown as the code."""
    entry = reasons().get(code)
    return entry[lang] if entry else code


def render(fragment: Mapping[str, Any], lang: str) -> str:
    """The sentence or fragment ``fragment`` (``{"f": key, **params}``) in ``lang``."""
    key = fragment.get(FRAGMENT)
    entry = texts().get(key) if isinstance(key, str) else None
    if entry is None:
        raise CatalogueError(f"the catalogue has no text {key!r}")
    try:
        return _FORMATTER.vformat(entry[lang], (), _Values(fragment, lang))
    except KeyError as exc:
        raise CatalogueError(f"text {key!r} ({lang}) needs the value {exc.args[0]!r}") from None


def fields(template: str) -> set[str]:
    """The placeholder names of a template (for tests: both languages take the same values)."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def join(items: list[str], lang: str) -> str:
    """ "a", "a and b", "a, b and c" (English); "a, b và c" (Vietnamese)."""
    return ", ".join(items[:-1]) + _AND[lang] + items[-1] if len(items) > 1 else "".join(items)


def number(n: int, lang: str) -> str:
    """``1.234`` (vi) / ``1,234`` (en)."""
    text = f"{n:,}"
    return text.replace(",", ".") if lang == "vi" else text


def when_date(text: str, lang: str) -> str:
    """``2026-01-10`` (en) / ``10/01/2026`` (vi) from an ISO date or timestamp."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    return moment.strftime("%d/%m/%Y" if lang == "vi" else "%Y-%m-%d")


class _Values(Mapping[str, Any]):
    """A fragment's params seen through the language: what ``vformat`` reads."""

    __slots__ = ("params", "lang")

    def __init__(self, params: Mapping[str, Any], lang: str) -> None:
        self.params, self.lang = params, lang

    def __getitem__(self, key: str) -> Any:
        return _Value(self.params[key], self.lang)

    def __iter__(self):
        return iter(self.params)

    def __len__(self) -> int:
        return len(self.params)


class _Value:
    """One value and the language it is written in; ``format`` applies the spec."""

    __slots__ = ("value", "lang")

    def __init__(self, value: Any, lang: str) -> None:
        self.value, self.lang = value, lang

    def __format__(self, spec: str) -> str:
        return _shape(self.value, spec, self.lang)


def _shape(value: Any, spec: str, lang: str) -> str:
    if isinstance(value, list):
        return join([_shape(v, spec, lang) for v in value], lang)
    if isinstance(value, Mapping):
        return render(value, lang)
    if not spec:
        if isinstance(value, bool) or not isinstance(value, int):
            return str(value)
        return number(value, lang)
    kind, _, arg = spec.partition(":")
    if kind == "plural":
        one, _, many = arg.partition("|")
        return one if value == 1 else many
    if kind == "percent":
        return f"{int(math.floor(round(float(value) * 100, 6)))}%"
    if kind == "date":
        return when_date(str(value), lang)
    if kind == "upper":
        return str(value).upper()
    if kind == "family":
        return {"ipv4": "IPv4", "ipv6": "IPv6"}.get(str(value), str(value))
    if kind == "short":
        return f"{str(value)[:16]}…"
    raise CatalogueError(f"unknown format {spec!r}")


_FORMATTER = string.Formatter()
