"""Parity: is the page served over IPv6 the page served over IPv4? Pure, no I/O.

Two fetches of the same page differ even on a healthy dual-stack site: CSRF
tokens, CSP nonces, ASP.NET view state, timestamps and session ids change on
every request. :func:`normalise_body` removes that noise, then
:func:`similarity` compares what is left.

Bodies are split into *units*: lines, and additionally a new unit at every
opening tag, so that minified one-line HTML still compares tag by tag.
"""

from __future__ import annotations

import codecs
import re
from collections import Counter

from ..model import ParityFacts, WebProbe

DEFAULT_CAP = 256 * 1024

_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.I)

_NOISY_NAME = re.compile(r"csrf|xsrf|token|nonce|authenticity|__viewstate|__eventvalidation|__eventargument", re.I)
_INPUT_TAG = re.compile(r"<input\b[^>]*>", re.I)
_META_TAG = re.compile(r"<meta\b[^>]*>", re.I)
_NAME_ATTR = re.compile(r"""\b(?:name|id|property)\s*=\s*["']?([^"'\s>]+)""", re.I)
_VALUE_ATTR = re.compile(r"""\b(value|content)\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)""", re.I)
_NONCE_ATTR = re.compile(r"""\bnonce\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)""", re.I)
_SESSION_IN_URL = re.compile(
    r"""(;jsessionid=|\b(?:PHPSESSID|JSESSIONID|ASPSESSIONID\w*|sid|sessionid|session_id)=)[^&;#"'\s<>]*""", re.I
)
# Dates and times: ISO 8601, RFC 1123 / HTTP dates, d/m/y, clock times, Unix epochs (s or ms).
_TIMESTAMPS = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
    r"|\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{1,2} \w{3} \d{4} \d{2}:\d{2}:\d{2}(?: GMT| [+-]\d{4})?"
    r"|\b\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b"
    r"|\b\d{1,2}:\d{2}(?::\d{2})?(?:\s?[AaPp][Mm])?\b"
    r"|\b1\d{9}(?:\d{3})?\b"
)
# Long hex / base64 / base64url runs; only those with a digit and a letter are tokens.
_TOKEN = re.compile(r"[A-Za-z0-9+/_-]{24,}={0,2}")
_DIGIT, _LETTER = re.compile(r"\d"), re.compile(r"[A-Za-z]")
_UNIT_BREAK = re.compile(r"\n|(?=<[^/])")
_SPACES = re.compile(r"\s+")


def decode_html(body: bytes) -> str:
    """Text of an HTML body: its declared charset, else UTF-8, else Latin-1."""
    match = _CHARSET.search(body[:2048])
    if match:
        try:
            return body.decode(codecs.lookup(match.group(1).decode("ascii")).name, errors="replace")
        except LookupError:
            pass
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as e:
        if e.start >= len(body) - 3:  # a character cut by the body cap
            return body[: e.start].decode("utf-8")
        return body.decode("latin-1")


def _token_or_text(run: re.Match[str]) -> str:
    text = run.group(0)
    return "~" if _DIGIT.search(text) and _LETTER.search(text) else text


def _blank_noisy_values(tag: re.Match[str]) -> str:
    text = tag.group(0)
    name = _NAME_ATTR.search(text)
    if name and _NOISY_NAME.search(name.group(1)):
        return _VALUE_ATTR.sub(r'\1=""', text)
    return text


def normalise_body(body: bytes, *, cap: int = DEFAULT_CAP) -> str:
    """The first ``cap`` bytes of a body as text, per-request noise removed, one unit per line."""
    text = decode_html(body[:cap])
    text = _INPUT_TAG.sub(_blank_noisy_values, text)
    text = _META_TAG.sub(_blank_noisy_values, text)
    text = _NONCE_ATTR.sub('nonce=""', text)
    text = _SESSION_IN_URL.sub(r"\1", text)
    text = _TIMESTAMPS.sub("~", text)
    text = _TOKEN.sub(_token_or_text, text)
    units = (_SPACES.sub(" ", unit).strip() for unit in _UNIT_BREAK.split(text))
    return "\n".join(unit for unit in units if unit)


def similarity(a: str, b: str) -> float:
    """0..1: Dice coefficient of the two bodies' multisets of unit pairs (bigrams).

    Pairs of consecutive units keep local order (the same template filled with
    different content shares few pairs) while the cost stays linear in the
    size of the bodies: no alignment is computed. A body of one unit counts as
    one pair. Identical texts score 1.0, texts without a common pair 0.0.
    """
    if a == b:
        return 1.0
    pairs_a, pairs_b = _pairs(a), _pairs(b)
    common = sum((pairs_a & pairs_b).values())
    total = sum(pairs_a.values()) + sum(pairs_b.values())
    return round(2 * common / total, 4) if total else 1.0


def _pairs(text: str) -> Counter[tuple[str, str]]:
    units = text.split("\n") if text else []
    if len(units) == 1:
        return Counter([(units[0], "")])
    return Counter(zip(units, units[1:]))


def compare(v4: WebProbe, v4_body: bytes | None, v6: WebProbe, v6_body: bytes | None) -> ParityFacts:
    """What differed between the same URL fetched over IPv4 and over IPv6."""
    score = None
    if v4_body is not None and v6_body is not None:
        # Byte-identical pages (the common case) need no noise removal: ~17% of a scan's CPU in the benchmark.
        score = 1.0 if v4_body == v6_body else similarity(normalise_body(v4_body), normalise_body(v6_body))
    same_cert = None
    if v4.scheme == "https" and v4.tls and v4.tls.cert and v6.tls and v6.tls.cert:
        same_cert = v4.tls.cert.sha256 == v6.tls.cert.sha256
    return ParityFacts(
        scheme=v4.scheme,
        v4_address=v4.address,
        v6_address=v6.address,
        v4_status=v4.final_status,
        v6_status=v6.final_status,
        v4_length=v4.body_length,
        v6_length=v6.body_length,
        similarity=score,
        same_certificate=same_cert,
    )
