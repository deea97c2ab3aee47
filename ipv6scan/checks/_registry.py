"""The check registry: every check declared once, with what it is and what it may say.

A check module defines a function ``(facts, ctx) -> list[CheckResult]`` and declares
it with :func:`check`::

    @check(ids=("tls.hsts",), area="tls", order=75, counts=False,
           reasons=("hsts_ok", "hsts_missing", "not_probed"))
    def check_hsts(facts, ctx): ...

The registry is the one list of checks: :func:`judge` runs them in ``order``, the
verdict rules read ``counts``, the policy loader rejects an id it does not list, and
the tests iterate it. Results are built with :func:`result`: a reason code and the
params of the sentence (``say(key, ...)``), never a sentence.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..addresses import IPNetwork
from ..model import CheckResult, CheckStatus, HostFacts
from ._profiles import TlsProfile, tls_profile

PASS, FAIL, WARN, INFO = CheckStatus.PASS, CheckStatus.FAIL, CheckStatus.WARN, CheckStatus.INFO
UNTESTED, N_A = CheckStatus.UNTESTABLE, CheckStatus.NOT_APPLICABLE


@dataclass(frozen=True)
class CheckContext:
    """What checks need besides the facts: the judging time and the user's policy."""

    now: datetime
    expiry_warn_days: int
    allowed: tuple[IPNetwork, ...]
    # What tls.profile.* judge against (the default); None: the facts name a profile this version does not ship.
    tls_profile: TlsProfile | None = field(default_factory=tls_profile)


CheckFn = Callable[[HostFacts, CheckContext], list[CheckResult]]


@dataclass(frozen=True)
class Check:
    """One registered check.

    ``ids``: the result ids it emits (one per family or scheme, e.g. ``web.https.ipv6``);
    ``area``: dns, web, tls, parity, redirect, ns, mx, zone, scan;
    ``counts``: whether a FAIL of it makes the verdict ``partial`` (see ``_verdict``);
    ``severity``: the worst status it gives (FAIL or WARN), for documentation and policies;
    ``reasons``: every reason code it may emit (each has a catalogue entry);
    ``order``: where its results stand in a host's result, most fundamental first.
    """

    name: str
    ids: tuple[str, ...]
    area: str
    run: CheckFn
    counts: bool
    severity: CheckStatus
    reasons: tuple[str, ...]
    order: int
    doc: str

    def __call__(self, facts: HostFacts, ctx: CheckContext) -> list[CheckResult]:
        return self.run(facts, ctx)


_REGISTRY: dict[str, Check] = {}


def check(
    *,
    ids: tuple[str, ...],
    area: str,
    order: int,
    reasons: tuple[str, ...],
    counts: bool = True,
    severity: CheckStatus = FAIL,
) -> Callable[[CheckFn], Check]:
    """Declare a check (see the module doc). An id declared twice is a programming error."""

    def register(fn: CheckFn) -> Check:
        taken = {i for c in _REGISTRY.values() for i in c.ids}
        if taken & set(ids) or fn.__name__ in _REGISTRY:
            raise ValueError(f"check {fn.__name__}: id {sorted(taken & set(ids))} declared twice")
        entry = Check(name=fn.__name__, ids=tuple(ids), area=area, run=fn, counts=counts, severity=severity,
                      reasons=tuple(dict.fromkeys(reasons)), order=order, doc=(fn.__doc__ or "").strip())
        _REGISTRY[entry.name] = entry
        return entry

    return register


def registered() -> tuple[Check, ...]:
    """Every registered check, in report order."""
    return tuple(sorted(_REGISTRY.values(), key=lambda c: (c.order, c.name)))


def say(key: str, **params: Any) -> dict[str, Any]:
    """The params of a sentence or fragment: the catalogue's ``text.<key>`` filled with ``params``."""
    return {"f": key, **params}


def result(cid: str, status: CheckStatus, reason: str, params: dict[str, Any]) -> CheckResult:
    """A check result: id, status, reason code and the params of its sentence (rendered later)."""
    return CheckResult(id=cid, status=status, reason=reason, params=params)
