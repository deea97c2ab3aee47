"""Validate a target list without scanning it (``ipv6scan targets check FILE``).

Beyond what reading a list already reports (bad host names, IP literals, a CSV
without a host column, each with its line number), a list that feeds phase
scoring must name known system kinds; rows without an organisation or a kind
are legal but worth knowing about, since scoring then guesses them.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import msgspec

from .catalogue import Message
from .kinds import KINDS, infer_kind
from .model import InputError
from .targets import Target, TargetReader


class Problem(msgspec.Struct, kw_only=True):
    line: int | None
    text: str
    problem: str  # in English
    severity: str  # "error": the row is unusable or wrong; "warning": usable, but scoring will guess
    code: str | None = None  # the problem's catalogue key (ui.toml ``target.*``)
    params: dict[str, str | int] = {}


class ListCheck(msgspec.Struct, kw_only=True):
    source: str
    targets: int = 0
    duplicates: int = 0
    errors: int = 0
    warnings: int = 0
    kinds: dict[str, int] = {}
    orgs: int = 0
    problems: list[Problem] = []

    @property
    def ok(self) -> bool:
        return self.errors == 0


def check_list(path: str | Path, *, max_problems: int = 1000) -> ListCheck:
    """Read a list like a scan would and say what is wrong where."""
    reader = TargetReader(path)
    report = ListCheck(source=str(path))
    kinds: Counter[str] = Counter()
    orgs: set[str] = set()
    missing_org = missing_kind = 0

    def add(line: int | None, text: str, problem: Message, severity: str) -> None:
        if severity == "error":
            report.errors += 1
        else:
            report.warnings += 1
        if len(report.problems) < max_problems:
            report.problems.append(Problem(line=line, text=text, problem=str(problem), severity=severity,
                                           code=problem.key, params=problem.values))

    for item in reader:
        if isinstance(item, InputError):
            report.errors += 1
            if len(report.problems) < max_problems:
                report.problems.append(Problem(line=item.line, text=item.text, problem=item.problem, severity="error",
                                               code=item.code, params=item.params))
            continue
        assert isinstance(item, Target)
        if item.kind is not None and item.kind not in KINDS:
            add(item.line, item.input, Message("target.unknown_kind", kind=repr(item.kind), known=", ".join(KINDS)),
                "error")
        kind = item.kind or infer_kind(item.host)
        kinds[kind] += 1
        if item.org:
            orgs.add(item.org)
        else:
            missing_org += 1
        if item.kind is None:
            missing_kind += 1
    report.targets = reader.targets
    report.duplicates = reader.duplicates
    report.kinds = dict(sorted(kinds.items()))
    report.orgs = len(orgs)
    if missing_org and report.targets:
        add(None, str(path), Message("target.no_org", missing=missing_org, rows=report.targets), "warning")
    if missing_kind and report.targets:
        add(None, str(path), Message("target.no_kind", missing=missing_kind, rows=report.targets), "warning")
    return report
