"""Judge one host: pure functions from :class:`HostFacts` to :class:`HostResult`.

Each check is one module of this package, declared once in the registry
(``_registry.check``): its ids, area, whether it counts for the verdict, its default
severity and every reason code it may emit. Modules are found here by themselves:
adding a check is adding a module (and its words in ``catalogue/checks.toml``).

No I/O and no clock: :func:`judge` takes ``now`` (by default the time the host's
scan started), so re-judging a saved scan gives the same result. Checks emit a
status, a reason code and the params of a sentence; the sentence itself comes from
the catalogue (``message`` is its English, for readers of the JSON).
"""

from __future__ import annotations

import importlib
import pkgutil
from datetime import datetime

from .. import catalogue
from ..model import CheckResult, HostFacts, HostResult, Verdict
from . import _verdict
from ._facts import allowed_of, aware, parse_time
from ._profiles import shipped_profile
from ._registry import UNTESTED, Check, CheckContext, check, registered, result, say
from ._verdict import DEFAULT_RULES, Rule

for _module in pkgutil.iter_modules(__path__):
    if not _module.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_module.name}")

SCANNER_ERROR = "scan.error"  # the one result of a host the scanner failed on (no registered check runs)

CHECKS: tuple[Check, ...] = registered()
COUNTED: frozenset[str] = frozenset(i for c in CHECKS for i in c.ids if c.counts)
NOT_IN_VERDICT: frozenset[str] = frozenset(i for c in CHECKS for i in c.ids if not c.counts)


def check_ids() -> list[str]:
    """Every result id a scan can contain, in report order (the policy may name these)."""
    return [i for c in CHECKS for i in c.ids] + [SCANNER_ERROR]


def all_reasons() -> list[str]:
    """Every reason code a check may emit (each has a catalogue entry)."""
    return list(dict.fromkeys([r for c in CHECKS for r in c.reasons] + ["scanner_error"]))


def judge(facts: HostFacts, *, now: datetime | None = None, expiry_warn_days: int = 21) -> HostResult:
    """Run every registered check on the facts of one host and pick its verdict.

    ``now`` defaults to the time the host's scan started, so re-judging a saved
    scan is reproducible. The facts are never modified.
    """
    if facts.error is not None:
        return _scanner_error(facts)
    ctx = CheckContext(
        now=aware(now) if now is not None else parse_time(facts.started),
        expiry_warn_days=expiry_warn_days,
        allowed=allowed_of(facts),
        tls_profile=shipped_profile(facts.tls_profile),
    )
    checks = [_worded(r) for c in CHECKS for r in c.run(facts, ctx)]
    verdict, reasons = verdict_of(checks, facts)
    return HostResult(host=facts.host, verdict=verdict, reasons=reasons, checks=checks)


def verdict_of(checks: list[CheckResult], facts: HostFacts) -> tuple[Verdict, list[str]]:
    """The verdict (the default rules, in order) and the reason codes behind it, worst first."""
    counted = frozenset(c.id for c in checks if c.id not in NOT_IN_VERDICT)
    v = _verdict.verdict(facts, checks, counted)
    return v, _verdict.reasons(v, checks, counted)


def message(result_: CheckResult, lang: str) -> str:
    """The sentence of a check result in ``lang`` (from its params; a result without params: its message)."""
    return catalogue.render(result_.params, lang) if result_.params else result_.message


def _worded(r: CheckResult) -> CheckResult:
    r.message = catalogue.render(r.params, "en")
    return r


def _scanner_error(facts: HostFacts) -> HostResult:
    """The scanner itself failed on this host: its facts are incomplete, so nothing else is judged."""
    found = _worded(result(SCANNER_ERROR, UNTESTED, "scanner_error",
                           say("scanner_failed", name=facts.display, error=facts.error)))
    return HostResult(host=facts.host, verdict=Verdict.ERROR, reasons=[found.reason], checks=[found])


def _reason_texts() -> dict[str, str]:
    """One line of English per reason code (the catalogue's), for renderers and older callers."""
    return {code: entry["en"] for code, entry in catalogue.reasons().items()}


REASON_TEXT: dict[str, str] = _reason_texts()

__all__ = [
    "CHECKS", "COUNTED", "DEFAULT_RULES", "NOT_IN_VERDICT", "REASON_TEXT", "SCANNER_ERROR", "Check", "CheckContext",
    "Rule", "all_reasons", "check", "check_ids", "judge", "message", "verdict_of",
]
