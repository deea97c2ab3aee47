"""How a language writes numbers, shares and dates, and how it orders names: one rule for every output.

* Numbers and shares come from Babel (CLDR data): ``1.234`` and ``58,8%`` in Vietnamese,
  ``1,234`` and ``58.8%`` in English. A share is **rounded down** to one decimal,
  ``,0`` dropped, everywhere (terminal, reports, audit, trend, check texts): a share
  just below a target never reads as the target, and one share never reads as
  ``16,6%``, ``16.7%`` and ``17%`` in one run.
* Names are ordered by ICU's collation for the language (Vietnamese: ``Ă`` after
  ``A``, ``Đ`` after ``D``, tones after the letter; ``Điện Biên`` before ``Yên Bái``),
  ties broken by the text itself so an order is total and stable.
* Dates: ``01/07/2025`` (vi) / ``2025-07-01`` (en); a moment with its hour and zone.

Babel and ICU are imported on first use, so a command that prints no number pays for neither.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any, TypeVar

T = TypeVar("T")

_BABEL_LOCALE = {"vi": "vi", "en": "en"}


def number(n: int | float, lang: str) -> str:
    """``1.234`` (vi) / ``1,234`` (en); ``1,5`` / ``1.5``."""
    if type(n) is int:
        return _whole(n, lang)
    from babel.numbers import format_decimal

    return format_decimal(n, locale=_locale(lang))


@lru_cache(maxsize=4096)
def _whole(n: int, lang: str) -> str:
    """A whole number as Babel writes it, remembered: check texts say the same ports, counts and days per host."""
    from babel.numbers import format_decimal

    return format_decimal(n, locale=_locale(lang))


@lru_cache(maxsize=4)
def _locale(lang: str) -> Any:
    """Babel's Locale of a language, parsed once (a locale given by name is parsed again on every call)."""
    from babel import Locale

    return Locale.parse(_BABEL_LOCALE[lang])


def tenths_down(share: float) -> Decimal:
    """A fraction 0..1 as a percentage rounded down to one decimal (0.16666 -> 16.6)."""
    return Decimal(math.floor(round(float(share) * 1000, 6))) / 10


def percent(share: float, lang: str) -> str:
    """``58,8%`` (vi) / ``58.8%`` (en); ``50%`` for a whole one; rounded down (:func:`tenths_down`)."""
    return _tenths_percent(tenths_down(share), lang)


@lru_cache(maxsize=4096)
def _tenths_percent(tenths: Decimal, lang: str) -> str:
    """A percentage in tenths as Babel writes it, remembered (a share has 1 001 tenths from 0 to 100, and Babel
    parses the pattern on every call)."""
    from babel.numbers import format_percent

    return format_percent(tenths / 100, format="#,##0.#%", locale=_locale(lang))


def day(text: str, lang: str) -> str:
    """``2026-01-10`` (en) / ``10/01/2026`` (vi) from an ISO date or timestamp; other text as it is."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    return moment.strftime("%d/%m/%Y" if lang == "vi" else "%Y-%m-%d")


def when(text: str | None, lang: str) -> str:
    """An ISO date or timestamp for people: ``01/07/2025 08:30 UTC`` (vi), ``2025-07-01 08:30 UTC`` (en)."""
    if not text:
        return "–"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    date = day(text, lang)
    if len(text) <= 10:  # a date without a time
        return date
    offset = moment.strftime("%z")
    zone = "" if not offset else " UTC" if offset == "+0000" else f" UTC{offset[:3]}:{offset[3:]}"
    return f"{date} {moment:%H:%M}{zone}"


@lru_cache(maxsize=4)
def _collator(lang: str) -> Any:
    import icu

    collator = icu.Collator.createInstance(icu.Locale(lang))
    return collator


def collation_key(text: str, lang: str = "vi") -> tuple[bytes, str]:
    """A sort key ordering ``text`` the way ``lang`` orders words (ICU), ties by code point."""
    return _collator(lang).getSortKey(text), text


def collated(items: Iterable[T], lang: str = "vi", key: Callable[[T], str] | None = None) -> list[T]:
    """``items`` in the language's order of ``key(item)`` (the item itself when no key)."""
    pick = key or (lambda item: item)  # type: ignore[assignment,return-value]
    return sorted(items, key=lambda item: collation_key(pick(item), lang))
