"""Every word a judgement shows, in Vietnamese and English, as data.

``ui.toml`` holds the words of the reports and the command line (:func:`ui`, :func:`say_ui`);
``checks.toml`` the words of the checks, in two tables:

* ``[reason.<code>]`` — one line per reason code (``en``, ``vi``): what the code
  means, for report columns and legends.
* ``[text.<key>]`` — sentence and fragment templates (``en``, ``vi``) with
  ``{placeholders}``. A check result's ``params`` is itself a fragment: ``params["f"]``
  names its sentence, the other keys fill it.

A placeholder's value is plain data (a host name, an address, a number) or a
fragment (a dict whose ``"f"`` names another ``text`` entry), a value given in each language
(``{"vi": ..., "en": ...}``, e.g. a title from a data file), or a list of these,
joined the way the language joins ("a, b and c" / "a, b và c"). A format spec
after the name shapes a value for the language:

==================  ===============================================================
``{n}``             a number is written as the language writes it (``1,234.5`` / ``1.234,5``)
``{n:plural:a|b}``  ``a`` when n is 1, else ``b`` (English; Vietnamese has no plural)
``{x:percent}``     a fraction 0..1 as a percent, rounded down to one decimal (``42,5%``)
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
from ..locales import day, number, percent

import errno
import os
import string
import tomllib
from collections.abc import Mapping
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


@lru_cache(maxsize=1)
def help_catalogue() -> dict[str, dict[str, str]]:
    """The command line's help in Vietnamese (``help.toml``): ``"help"`` and ``"chrome"``, each English -> Vietnamese.

    Keyed by the English the code writes (gettext's way): a help text changed in the code without its
    Vietnamese has none (tests/test_cli_help.py says which)."""
    data = tomllib.loads(resources.files(__package__).joinpath("help.toml").read_text(encoding="utf-8"))
    return {table: {entry["en"]: entry["vi"] for entry in data.get(table, [])} for table in ("help", "chrome")}


def help_text(english: str, lang: str, *, table: str = "help") -> str:
    """A help text (``table="chrome"``: a word of help's frame) in ``lang``; its English when ``lang`` is English
    or the catalogue has no Vietnamese for it."""
    if lang == "en" or not english:
        return english
    return help_catalogue()[table].get(english, english)


def say_ui(key: str, lang: str, /, **values: Any) -> str:
    """The UI string ``key`` in ``lang`` with its ``{placeholders}`` filled in (plain ``str.format``)."""
    entry = ui().get(key)
    if entry is None:
        raise CatalogueError(f"the catalogue has no UI string {key!r}")
    return entry[lang].format(**values) if values else entry[lang]


class Message:
    """Words for people not yet in a language: a UI key of ``ui.toml`` and its values.

    Library code raises and reports these (``raise CannotRun(Message("no_such_file", path=p))``);
    whoever shows them picks the language (:meth:`text`); ``str()`` is English (logs, tracebacks).
    A value may itself be a Message, or an exception whose ``text(lang)`` says it in the language.
    """

    __slots__ = ("key", "values")

    def __init__(self, key: str, /, **values: Any) -> None:
        self.key, self.values = key, values

    def text(self, lang: str) -> str:
        return say_ui(self.key, lang, **{k: in_lang(v, lang) for k, v in self.values.items()})

    def __str__(self) -> str:
        return self.text("en")

    def __repr__(self) -> str:
        return f"Message({self.key!r}, **{self.values!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Message) and (self.key, self.values) == (other.key, other.values)


def in_lang(value: Any, lang: str) -> Any:
    """A Message, or an exception that can say itself in ``lang``, as text; anything else as it is."""
    if isinstance(value, Message):
        return value.text(lang)
    if isinstance(value, BaseException):
        return value.text(lang) if hasattr(value, "text") else str(value)
    if isinstance(value, Lines):
        return "\n".join(str(in_lang(v, lang)) for v in value)
    if isinstance(value, (list, tuple)):
        return join([str(in_lang(v, lang)) for v in value], lang)
    return value


class Lines(list):
    """A value that is several messages, one a line (a list value is joined as the language joins: "a, b and c")."""


# The OS errors a user can do something about, said in words (``errno.<NAME>`` in ui.toml).
_ERRNO_WORDS = ("ENOENT", "EACCES", "EPERM", "ENOSPC", "EDQUOT", "EROFS", "EISDIR", "ENOTDIR", "EEXIST", "ENAMETOOLONG",
                "EMFILE", "EIO")


def os_problem(e: OSError) -> Message:
    """An OSError in words: the file it is about and what went wrong (the OS's own words when not catalogued)."""
    name = errno.errorcode.get(e.errno or -1, "")
    problem: Any = Message(f"errno.{name}") if name in _ERRNO_WORDS else (e.strerror or str(e))
    if e.filename is not None:
        return Message("os_error_path", path=e.filename, problem=problem)
    return Message("os_error", problem=problem)


def problem_text(problem: str, code: str | None, params: Mapping[str, Any], lang: str) -> str:
    """An input problem in ``lang`` from its code and values; as saved (English) when the code is not known here."""
    if code and code in ui():
        try:
            return say_ui(code, lang, **params)
        except (KeyError, IndexError, ValueError):
            pass
    return problem


# What a session's language is when nothing says: the programme's users read Vietnamese.
DEFAULT_LANG = "vi"


def lang_from_env(environ: Mapping[str, str] | None = None) -> str:
    """The language of messages when no ``--lang`` is given.

    ``IPV6SCAN_LANG`` (``vi`` or ``en``) first, then the locale the way gettext reads it
    (``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``, ``LANG``: the first that is set decides);
    a locale that is neither Vietnamese nor English (``C``, ``POSIX``, ``fr_FR``) means
    the default, Vietnamese.
    """
    env = os.environ if environ is None else environ
    for var in ("IPV6SCAN_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(var, "")
        if not value:
            continue
        code = value.split(":")[0].split(".")[0].split("_")[0].split("-")[0].lower()
        if var == "LANGUAGE" and code in ("", "c", "posix"):
            continue  # gettext ignores LANGUAGE under the C locale; an empty entry says nothing
        return code if code in LANGS else DEFAULT_LANG
    return DEFAULT_LANG


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


_Pieces = tuple[tuple[str, str | None, "str | _Pieces"], ...]


def render(fragment: Mapping[str, Any], lang: str) -> str:
    """The sentence or fragment ``fragment`` (``{"f": key, **params}``) in ``lang``."""
    key = fragment.get(FRAGMENT)
    try:
        try:
            pieces = _PIECES[lang][key]
        except (KeyError, TypeError):  # (not yet met; or a key that is not a name at all)
            pieces = _pieces_of(key, lang)
        return _fill(pieces, fragment, lang)
    except KeyError as exc:
        raise CatalogueError(f"text {key!r} ({lang}) needs the value {exc.args[0]!r}") from None


_PIECES: dict[str, dict[str, _Pieces]] = {}
"""lang -> template key -> the template cut once into (literal, placeholder, spec) pieces, as ``str.format``
reads it, filled as templates are met. Filling the pieces costs a third of ``string.Formatter.vformat``, which
parses the template every time (bench/RESULTS.md: wording the checks was a tenth of the scanner's CPU per host);
finding them here rather than through the catalogue at every fragment, a fifth of what is left (a scan words
some thirty sentences a host, most of them nested). The catalogue's templates are finite: each is held once."""


def _pieces_of(key: object, lang: str) -> _Pieces:
    entry = texts().get(key) if isinstance(key, str) else None
    if entry is None:
        raise CatalogueError(f"the catalogue has no text {key!r}")
    pieces = _cut(entry[lang])
    _PIECES.setdefault(lang, {})[key] = pieces  # type: ignore[index]
    return pieces


def _cut(template: str) -> _Pieces:
    """A spec that holds placeholders itself (``{n:plural:one|{n} items}``) is cut too."""
    pieces = []
    for literal, name, spec, conversion in _FORMATTER.parse(template):
        if conversion:
            raise CatalogueError(f"conversion !{conversion} in {template!r} is not supported")
        nested: str | _Pieces = _cut(spec) if spec and "{" in spec else (spec or "")
        pieces.append((literal, name, nested))
    return tuple(pieces)


def _fill(pieces: _Pieces, params: Mapping[str, Any], lang: str) -> str:
    out = []
    for literal, name, spec in pieces:
        out.append(literal)
        if name is not None:
            value = params[name]
            if not spec and type(value) is str:  # most values: a name, an address (what _shape does first)
                out.append(value)
            else:
                out.append(_shape(value, spec if type(spec) is str else _fill(spec, params, lang), lang))
    return "".join(out)


def fields(template: str) -> set[str]:
    """The placeholder names of a template (for tests: both languages take the same values)."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def join(items: list[str], lang: str) -> str:
    """ "a", "a and b", "a, b and c" (English); "a, b và c" (Vietnamese).

    Items that hold a list or a comma themselves are clauses: they are set apart by semicolons
    ("192.0.2.1 lacks A, B and C; 2001:db8::1 lacks C"), as a careful writer does in either language,
    never "… B and C and 2001:db8::1 …"."""
    if len(items) < 2:
        return "".join(items)
    if any(", " in item or _AND[lang] in item for item in items):
        return "; ".join(items)
    return ", ".join(items[:-1]) + _AND[lang] + items[-1]


_PLAIN = frozenset({str, int, float, bool, type(None)})  # types that are neither a list nor a mapping


def _shape(value: Any, spec: str, lang: str) -> str:
    kind = type(value)
    if not spec and kind is str:  # the common case first: a name, an address
        return value
    if kind is list or (kind not in _PLAIN and isinstance(value, list)):
        return join([_shape(v, spec, lang) for v in value], lang)
    if kind is dict or (kind not in _PLAIN and isinstance(value, Mapping)):
        if FRAGMENT not in value and lang in value:  # a value given in both languages (a title from data)
            return str(value[lang])
        return render(value, lang)
    if not spec:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return str(value)
        return number(value, lang)
    kind, _, arg = spec.partition(":")
    if kind == "plural":
        one, _, many = arg.partition("|")
        return one if value == 1 else many
    if kind == "percent":
        return percent(float(value), lang)
    if kind == "date":
        return day(str(value), lang)
    if kind == "upper":
        return str(value).upper()
    if kind == "family":
        return {"ipv4": "IPv4", "ipv6": "IPv6"}.get(str(value), str(value))
    if kind == "short":
        return f"{str(value)[:16]}…"
    raise CatalogueError(f"unknown format {spec!r}")


_FORMATTER = string.Formatter()
