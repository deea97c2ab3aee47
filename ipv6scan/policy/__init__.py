"""Compliance policies as data: criteria for hosts, phases for organisations.

A policy is a TOML file (format: ``docs/policy.md``). It names **criteria** —
conditions one host's scan result must meet (a verdict, checks that must pass or
must not fail) for the kinds of system they apply to — and **phases** — which
kinds of system of what share of organisations must meet which criteria, and
when. Every criterion and phase cites its legal source.

:func:`load_policy` reads and validates one; the shipped ``ipv6-for-gov`` policy
(Decision 38/QĐ-BTTTT and related instruments) is the default. Anything wrong
raises :class:`PolicyError` naming the file, the key and the problem.
"""

from __future__ import annotations

import re
import tomllib
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec

from ..catalogue import Lines, Message, os_problem
from ..errors import Ipv6scanError
from ..checks import check_ids
from ..kinds import KINDS
from ..model import Verdict

SHIPPED = "ipv6-for-gov"
LANGS = ("en", "vi")

Id = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9_.-]*$")]
CheckId = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")]
Text = Annotated[str, msgspec.Meta(min_length=1)]
Share = Annotated[float, msgspec.Meta(ge=0, le=1)]


class PolicyError(Ipv6scanError, ValueError):
    """A policy file that cannot be read or is not valid; the message names the file and the key."""


class _Struct(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """Policy tables: immutable, unknown keys rejected (a typo is an error, not a no-op)."""


class Title(_Struct, kw_only=True):
    """A text in Vietnamese and in English."""

    vi: Text
    en: Text

    def text(self, lang: str) -> str:
        return self.vi if lang == "vi" else self.en


# A source or a note: in both languages ({ vi = ..., en = ... }), or one text shown as written in both.
Words = Title | Text


def words(value: Words | None, lang: str) -> str | None:
    """A source or note in ``lang`` (a plain text as written)."""
    if value is None or isinstance(value, str):
        return value
    return value.text(lang)


class Criterion(_Struct, kw_only=True):
    """What one host of the given kinds must show; every condition given must hold."""

    id: Id
    title: Title
    source: Words  # the instrument and article, e.g. "Circular 32/2017/TT-BTTTT art. 15(4)"
    kinds: list[str]
    note: Words | None = None  # e.g. confidence in the source, how it was read
    verdicts: list[Verdict] = []  # the host's verdict is one of these
    checks_pass: list[CheckId] = []  # every result of these checks is "pass"
    checks_not_fail: list[CheckId] = []  # no result of these checks is "fail"


class Requirement(_Struct, kw_only=True):
    """Hosts of these kinds in an organisation must meet these criteria."""

    kinds: list[str]
    criteria: list[str]
    scope: Literal["all", "any"] = "all"  # every host of the kinds, or at least one
    required: bool = True  # an organisation with no host of one of the kinds does not meet it


class Phase(_Struct, kw_only=True):
    """A target: by the end of its period, ``org_share`` of the organisations meet every requirement."""

    id: Id
    title: Title
    source: Words
    start: date
    end: date | None = None  # None: open-ended (in force since ``start``)
    org_share: Share
    requirements: list[Requirement]
    note: Words | None = None
    standalone: bool = False  # outside the ladder: needs no earlier phase, blocks no later one
    binding: bool = True  # False: shown and scored, but hosts are not judged against it (e.g. unconfirmed)


class Policy(_Struct, kw_only=True):
    """A whole policy: criteria for hosts and phases for organisations, in the order they are reported."""

    id: Id
    version: Text
    title: Title
    note: Words | None = None
    criteria: list[Criterion]
    phases: list[Phase]

    def criterion(self, criterion_id: str) -> Criterion:
        return next(c for c in self.criteria if c.id == criterion_id)


# ---------------------------------------------------------------- loading


def load_policy(path_or_name: str | Path | None = None) -> Policy:
    """Read and validate a policy: a shipped one by name (default ``ipv6-for-gov``) or a TOML file."""
    origin, text = _read(SHIPPED if path_or_name is None else path_or_name)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(Message("policy_not_toml", origin=origin, problem=exc)) from None
    return parse_policy(data, origin, text=text)


def parse_policy(data: dict[str, Any], origin: str = "<policy>", *, text: str | None = None) -> Policy:
    """Validate a policy already parsed from TOML (``origin`` names it in error messages; with the
    file's ``text``, a problem with a value also names the line it is on)."""
    try:
        policy = msgspec.convert(data, Policy)
    except msgspec.ValidationError as exc:
        raise PolicyError(_conversion_error(origin, data, str(exc))) from None
    problems = _problems(policy)
    if problems:
        raise PolicyError(Message("policy_problems", problems=Lines(
            Message("policy_problem", where=f"{origin}{_line(text, table, value)}", problem=p)
            for p, table, value in problems)))
    return policy


def shipped_policies() -> list[str]:
    """Names of the policies that ship with the package."""
    files = resources.files(__package__).iterdir()
    return sorted(f.name.removesuffix(".toml") for f in files if f.name.endswith(".toml"))


def _read(path_or_name: str | Path) -> tuple[str, str]:
    """(name for messages, text): a shipped policy by bare name, else a file path."""
    text = str(path_or_name)
    if isinstance(path_or_name, str) and text in shipped_policies():
        return f"{text} (shipped)", resources.files(__package__).joinpath(f"{text}.toml").read_text(encoding="utf-8")
    try:
        return text, Path(path_or_name).read_text(encoding="utf-8")
    except FileNotFoundError:
        shipped = ", ".join(shipped_policies())
        raise PolicyError(Message("policy_missing", path=text, shipped=shipped)) from None
    except OSError as exc:
        raise PolicyError(Message("policy_unreadable", path=text, problem=os_problem(exc))) from None
    except UnicodeDecodeError as exc:
        raise PolicyError(Message("policy_unreadable", path=text, problem=exc)) from None


# ---------------------------------------------------------------- validation


def _conversion_error(origin: str, data: dict[str, Any], message: str) -> Message:
    """msgspec's "problem - at `$.phases[1].org_share`" as "file: phases[1].org_share (phase "x"): problem"
    (the problem in msgspec's words)."""
    problem, _, where = message.partition(" - at ")
    path = where.strip("`").removeprefix("$").lstrip(".")
    return Message("policy_problem", where=origin,
                   problem=Message("policy_at", key=Message("top_level") if not path else path + _named(data, path),
                                   problem=problem))


_SINGULAR = {"criteria": "criterion", "phases": "phase"}


def _named(data: Any, path: str) -> str:
    """The ids of the tables on the way down a path, e.g. ' (phase "phase2")', to find them in the file."""
    names = []
    for key, index in re.findall(r"([A-Za-z_]+)\[(\d+)\]", path):
        data = data.get(key) if isinstance(data, dict) else None
        data = data[int(index)] if isinstance(data, list) and int(index) < len(data) else None
        if isinstance(data, dict) and isinstance(data.get("id"), str):
            names.append(f'{_SINGULAR.get(key, key)} "{data["id"]}"')
    return f" ({', '.join(names)})" if names else ""


Located = tuple[Message, str | None, str | None]  # (the problem; the id of its table; the value it is about)


def _problems(policy: Policy) -> list[Located]:
    """Every rule the typed policy breaks that a type cannot say (cross-references, check ids, kinds, dates)."""
    criteria = {c.id: c for c in policy.criteria}
    problems: list[Located] = [
        *((p, None, None) for p in _duplicates("criteria", [c.id for c in policy.criteria])),
        *((p, None, None) for p in _duplicates("phases", [p.id for p in policy.phases])),
    ]
    if not policy.phases:
        problems.append((Message("policy_at", key="phases", problem=Message("policy.no_phase")), None, None))
    for i, criterion in enumerate(policy.criteria):
        for key, text, value in _criterion_problems(criterion):
            problems.append((Message("policy_at", key=f'criteria[{i}]{key} (criterion "{criterion.id}")', problem=text),
                             criterion.id, value))
    for i, phase in enumerate(policy.phases):
        for key, text, value in _phase_problems(phase, criteria):
            problems.append((Message("policy_at", key=f'phases[{i}]{key} (phase "{phase.id}")', problem=text),
                             phase.id, value))
    return problems


def _line(text: str | None, table: str | None, value: str | None) -> str:
    """ ":12" — the line of the file where ``value`` stands in the table whose id is ``table`` (else "")."""
    if text is None or table is None:
        return ""
    lines = text.splitlines()
    start = next((n for n, line in enumerate(lines) if re.match(rf'\s*id\s*=\s*["\']{re.escape(table)}["\']', line)),
                 None)
    if start is None:
        return ""
    if value is None:
        return f":{start + 1}"
    quoted = re.compile(rf'["\']{re.escape(value)}["\']')
    found = next((n for n in range(start, len(lines)) if quoted.search(lines[n])), start)
    return f":{found + 1}"


Problem = tuple[str, Message, str | None]  # (key below the table, e.g. ".kinds"; what is wrong; the value at fault)


def _duplicates(table: str, ids: list[str]) -> list[Message]:
    return [Message("policy_at", key=table, problem=Message("policy.duplicate_id", id=i))
            for n, i in enumerate(ids) if i in ids[:n]]


def _kind_problems(key: str, kinds: list[str]) -> list[Problem]:
    if not kinds:
        return [(f"{key}.kinds", Message("policy.no_kind", known=", ".join(KINDS)), None)]
    return [(f"{key}.kinds", Message("policy.unknown_kind", kind=k, known=", ".join(KINDS)), k)
            for k in kinds if k not in KINDS]


def _criterion_problems(criterion: Criterion) -> list[Problem]:
    problems = _kind_problems("", criterion.kinds)
    if not (criterion.verdicts or criterion.checks_pass or criterion.checks_not_fail):
        problems.append(("", Message("policy.no_condition"), None))
    known = check_ids()
    for key in ("checks_pass", "checks_not_fail"):
        for cid in getattr(criterion, key):
            if cid not in known:
                problems.append((f".{key}", Message("policy.unknown_check", check=cid, known=", ".join(known)), cid))
    return problems


def _phase_problems(phase: Phase, criteria: dict[str, Criterion]) -> list[Problem]:
    problems = []
    if phase.end is not None and phase.end < phase.start:
        problems.append((".end", Message("policy.end_before_start", end=str(phase.end), start=str(phase.start)), None))
    if not phase.requirements:
        problems.append((".requirements", Message("policy.no_requirement"), None))
    for i, req in enumerate(phase.requirements):
        key = f".requirements[{i}]"
        problems += _kind_problems(key, req.kinds)
        if not req.criteria:
            problems.append((f"{key}.criteria", Message("policy.no_criterion"), None))
        for cid in req.criteria:
            criterion = criteria.get(cid)
            if criterion is None:
                problems.append((f"{key}.criteria", Message("policy.unknown_criterion", criterion=cid,
                                                            defined=", ".join(criteria)), cid))
            elif all(k in KINDS for k in criterion.kinds):  # else its own kinds are reported already
                outside = [k for k in req.kinds if k in KINDS and k not in criterion.kinds]
                problems += [(key, Message("policy.kind_outside", criterion=cid, kind=k), k) for k in outside]
    return problems
