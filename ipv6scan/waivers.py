"""Waivers: comply or explain.

A waivers file (TOML, format in ``docs/waivers.md``) lists accepted explanations
for criteria a host or every host of an organisation does not meet yet::

    [[waiver]]
    host = "motcua.hanoi.gov.vn"          # or: org = "Hà Nội" (every host of that organisation)
    criterion = "web_ipv6"                 # a criterion id of the policy
    reason = "Chuyển sang trung tâm dữ liệu mới; IPv6 sau khi chuyển"
    expires = 2027-06-30                   # the last day it is in force
    approved_by = "Sở KH&CN Hà Nội, CV 123/SKHCN"   # optional

Scoring (:func:`ipv6scan.scoring.score`) applies a waiver to a criterion the host
**fails**: while the waiver is in force on the date judged at, the criterion reads
``explained`` (not failing, not passing: shown apart in every report, counted by
itself); once it has expired, the failure stands and the reports say the
explanation ran out. A host's own waiver wins over its organisation's. A waiver
that matched no failing criterion is listed as unused, so stale ones are seen.

Everything wrong in the file is an error naming the file, the waiver (its number
and line) and the problem: a criterion the policy does not have, neither or both
of ``host`` and ``org``, a missing reason or date, an unknown key.
"""

from __future__ import annotations

import re
import tomllib
from datetime import date
from pathlib import Path
from typing import Annotated

import msgspec

from .catalogue import Lines, Message, os_problem
from .errors import Ipv6scanError
from .policy import Policy
from .targets import normalise_host

Text = Annotated[str, msgspec.Meta(min_length=1)]


class WaiverError(Ipv6scanError, ValueError):
    """A waivers file that cannot be read or is not valid; the message names the file, the waiver and the line."""


class Waiver(msgspec.Struct, frozen=True, kw_only=True):
    """One accepted explanation: for ``host`` (an ASCII host name) or for every host of ``org``."""

    criterion: str
    reason: str
    expires: date
    host: str | None = None
    org: str | None = None
    approved_by: str | None = None
    source: str = ""  # "waivers.toml:12": where it is declared, for reports

    @property
    def scope(self) -> str:
        return "host" if self.host else "org"


class _Entry(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    criterion: Text
    reason: Text
    expires: date
    host: Text | None = None
    org: Text | None = None
    approved_by: Text | None = None


class _File(msgspec.Struct, forbid_unknown_fields=True):
    waiver: list[_Entry] = []


class Waivers:
    """The waivers of one file, looked up by (host, criterion) and (org, criterion)."""

    def __init__(self, waivers: list[Waiver], origin: str) -> None:
        self.all, self.origin = list(waivers), origin
        self._by_host = {(w.host, w.criterion): w for w in waivers if w.host}
        self._by_org = {(w.org, w.criterion): w for w in waivers if w.org}

    def find(self, host: str, org: str, criterion: str) -> Waiver | None:
        """The waiver for this host's criterion: its own, else its organisation's, else None."""
        return self._by_host.get((host, criterion)) or self._by_org.get((org, criterion))

    def __len__(self) -> int:
        return len(self.all)


def load_waivers(path: str | Path, policy: Policy) -> Waivers:
    """Read and validate a waivers file against ``policy`` (its criteria ids)."""
    origin = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise WaiverError(Message("waivers.missing", path=origin)) from None
    except OSError as exc:
        raise WaiverError(Message("waivers.unreadable", path=origin, problem=os_problem(exc))) from None
    except UnicodeDecodeError as exc:
        raise WaiverError(Message("waivers.unreadable", path=origin, problem=exc)) from None
    return parse_waivers(text, origin, policy)


def parse_waivers(text: str, origin: str, policy: Policy) -> Waivers:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise WaiverError(Message("waivers.not_toml", origin=origin, problem=exc)) from None
    lines = _waiver_lines(text)
    try:
        parsed = msgspec.convert(data, _File)
    except msgspec.ValidationError as exc:
        problem, _, where = str(exc).partition(" - at ")
        found = re.match(r"`\$\.waiver\[(\d+)\]", where)
        at = _where(origin, lines, int(found.group(1))) if found else origin
        key = re.sub(r"^waiver\[\d+\]\.?", "", where.strip("`").removeprefix("$").lstrip("."))
        raise WaiverError(Message("waivers.problem", where=at, problem=f"{key}: {problem}" if key else problem)) from None
    criteria = [c.id for c in policy.criteria]
    problems: list[Message] = []
    waivers: list[Waiver] = []
    seen: dict[tuple[str | None, str, str], Message] = {}
    for i, entry in enumerate(parsed.waiver):
        where = _where(origin, lines, i)
        problem, host = _problem(entry, criteria)
        if problem is None:
            key = (host or entry.org, entry.criterion, "host" if host else "org")
            if key in seen:
                problem = Message("waivers.duplicate", other=seen[key])
            seen[key] = where
        if problem is not None:
            problems.append(Message("waivers.problem", where=where, problem=problem))
            continue
        waivers.append(Waiver(criterion=entry.criterion, reason=entry.reason, expires=entry.expires, host=host,
                              org=None if host else entry.org, approved_by=entry.approved_by,
                              source=_at(origin, lines, i)))
    if problems:
        raise WaiverError(Message("waivers.problems", problems=Lines(problems)))
    return Waivers(waivers, origin)


def _problem(entry: _Entry, criteria: list[str]) -> tuple[Message | None, str | None]:
    """What is wrong with one waiver (None: nothing), and its host name in ASCII."""
    if (entry.host is None) == (entry.org is None):
        return Message("waivers.host_or_org"), None
    if entry.criterion not in criteria:
        return Message("waivers.unknown_criterion", criterion=entry.criterion, known=", ".join(criteria)), None
    if entry.host is None:
        return None, None
    try:
        return None, normalise_host(entry.host)
    except ValueError as exc:
        return Message("waivers.bad_host", host=entry.host, problem=exc), None


def _waiver_lines(text: str) -> list[int]:
    """The line number of each ``[[waiver]]`` header, in order."""
    return [n for n, line in enumerate(text.splitlines(), 1) if re.match(r"\s*\[\[\s*waiver\s*\]\]", line)]


def _at(origin: str, lines: list[int], index: int) -> str:
    """``waivers.toml:12``: the file and the line of the waiver's header."""
    return f"{origin}:{lines[index]}" if index < len(lines) else origin


def _where(origin: str, lines: list[int], index: int) -> Message:
    """``waivers.toml:12 (waiver 3)`` in the words of the run's language."""
    return Message("waivers.where", at=_at(origin, lines, index), n=index + 1)
