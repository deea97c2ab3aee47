"""Compare two scans: hosts that got worse or better, organisations that gained or lost a phase, list changes.

Pure: two lists of host records and a policy in, a :class:`Diff` out. Both sides
are scored under the policy at the same date (``as_of``, the later scan's), so a
phase coming into force between the scans is not mistaken for a change.

What "worse" means, explicitly:

* Verdicts are ranked ``ready`` (3) > ``partial`` (2) > ``no_ipv6`` (1) >
  ``broken_ipv6`` (0): an AAAA record that nothing answers on is worse than no
  AAAA at all (clients that prefer IPv6 fail or wait), see ``model.Verdict``.
* ``untestable``, ``unresolvable`` and ``error`` have no rank: they say nothing
  about the host's IPv6. A change to or from one of them is ``unknown`` — never a
  regression, never an improvement.
* Between ranked verdicts, a host also regresses when its policy state goes from
  ``pass`` to ``fail`` at an unchanged rank (official mail whose MX lost IPv6, a
  zone that lost DNSSEC). Anything worse makes a regression, even if something
  else got better.

A regression the scanner could not reproduce on a re-scan (:func:`confirm`) is
``transient``: reported, but not as a regression.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from enum import StrEnum

import msgspec

from .locales import collated, collation_key
from .model import HostRecord, Verdict
from .policy import Policy
from .scores import HostScore, ScoreReport, State
from .scoring import score

RANK: dict[str, int] = {Verdict.READY: 3, Verdict.PARTIAL: 2, Verdict.NO_IPV6: 1, Verdict.BROKEN_IPV6: 0}


class Change(StrEnum):
    REGRESSED = "regressed"  # worse, and (after a flap check) reproduced
    TRANSIENT = "transient"  # worse in the scan, not worse on the re-scan
    IMPROVED = "improved"
    UNKNOWN = "unknown"  # the verdict changed to or from one that says nothing about IPv6
    CHANGED = "changed"  # same verdict and state, other reasons
    UNCHANGED = "unchanged"
    ADDED = "added"  # in the later scan only
    REMOVED = "removed"  # in the earlier scan only


class Struct(msgspec.Struct, kw_only=True):
    """Base of the diff records (JSON-friendly)."""


class Observation(Struct):
    """One host in one scan: its verdict, its policy state and why."""

    verdict: str
    state: State
    reasons: list[str] = []  # the verdict's reason codes, then those of failing criteria


class HostDiff(Struct):
    host: str
    display: str
    org: str
    kind: str
    change: Change
    before: Observation | None = None  # None: added
    after: Observation | None = None  # None: removed
    recheck: Observation | None = None  # what the flap re-scan saw (regressions only)


class OrgPhaseDiff(Struct):
    """An organisation's attainment of one phase, before and after (None: the org was not in that scan)."""

    org: str
    phase: str
    before: State | None
    after: State | None
    hosts: list[str] = []  # the org's hosts whose change explains it (anything but unchanged)

    @property
    def gained(self) -> bool:
        return self.after == State.PASS and self.before != State.PASS

    @property
    def lost(self) -> bool:
        return self.before == State.PASS and self.after != State.PASS


class PhaseDiff(Struct):
    """Organisations attaining a phase over the whole list, before and after."""

    phase: str
    attained_before: int
    total_before: int
    share_before: float
    attained_after: int
    total_after: int
    share_after: float


class ScanRef(Struct):
    """Which scan a side of the diff is: a history scan id or a file, and when it started."""

    label: str  # "scan 12" or the file name
    started: str | None = None
    scan_id: int | None = None
    hosts: int = 0


class Diff(Struct):
    before: ScanRef
    after: ScanRef
    policy: str
    as_of: str  # ISO date both sides were scored at
    hosts: list[HostDiff] = []  # every host that is not unchanged, by organisation then name
    unchanged: int = 0
    added: list[str] = []  # host names only in the later scan
    removed: list[str] = []  # host names only in the earlier scan
    targets_changed: bool = False  # the host list differs: shares are over other sets of hosts
    orgs: list[OrgPhaseDiff] = []  # changed attainments only
    phases: list[PhaseDiff] = []

    def of(self, change: Change) -> list[HostDiff]:
        return [h for h in self.hosts if h.change is change]

    @property
    def regressions(self) -> list[HostDiff]:
        return self.of(Change.REGRESSED)


def diff(
    before: Sequence[HostRecord],
    after: Sequence[HostRecord],
    policy: Policy,
    *,
    before_ref: ScanRef,
    after_ref: ScanRef,
    as_of: date,
) -> Diff:
    """Compare two scans host by host, organisation by organisation and phase by phase."""
    old, new = _score(before, policy, as_of), _score(after, policy, as_of)
    old_hosts, new_hosts = {h.host: h for h in old.hosts}, {h.host: h for h in new.hosts}
    hosts, unchanged = [], 0
    for name in sorted(old_hosts.keys() | new_hosts.keys()):
        was, now = old_hosts.get(name), new_hosts.get(name)
        shown = now or was
        assert shown is not None
        a, b = (observe(h) if h else None for h in (was, now))
        change = Change.ADDED if a is None else Change.REMOVED if b is None else compare(a, b)
        if change is Change.UNCHANGED:
            unchanged += 1
            continue
        hosts.append(HostDiff(host=name, display=shown.display, org=shown.org, kind=shown.kind, change=change,
                              before=a, after=b))
    hosts.sort(key=lambda h: (collation_key(h.org), h.host))
    added, removed = sorted(new_hosts.keys() - old_hosts.keys()), sorted(old_hosts.keys() - new_hosts.keys())
    return Diff(
        before=msgspec.structs.replace(before_ref, hosts=len(old_hosts)),
        after=msgspec.structs.replace(after_ref, hosts=len(new_hosts)),
        policy=policy.id,
        as_of=as_of.isoformat(),
        hosts=hosts,
        unchanged=unchanged,
        added=added,
        removed=removed,
        targets_changed=bool(added or removed),
        orgs=_org_changes(old, new, policy, hosts),
        phases=[_phase_diff(p.id, old, new) for p in policy.phases],
    )


def compare(before: Observation, after: Observation) -> Change:
    """How one host changed between two observations (the rules in the module docstring)."""
    old, new = RANK.get(before.verdict), RANK.get(after.verdict)
    if old is None or new is None:
        if before.verdict != after.verdict:
            return Change.UNKNOWN
        return Change.UNCHANGED if set(before.reasons) == set(after.reasons) else Change.CHANGED
    lost_pass = before.state == State.PASS and after.state == State.FAIL
    won_pass = before.state == State.FAIL and after.state == State.PASS
    if new < old or lost_pass:
        return Change.REGRESSED
    if new > old or won_pass:
        return Change.IMPROVED
    same = before.verdict == after.verdict and before.state == after.state
    return Change.UNCHANGED if same and set(before.reasons) == set(after.reasons) else Change.CHANGED


def confirm(result: Diff, records: Iterable[HostRecord], policy: Policy) -> Diff:
    """Judge regressions again on a re-scan of those hosts (``records``).

    A regression whose re-scan is judged and no longer worse than the earlier
    scan becomes ``transient``. It stays a regression when the re-scan is worse
    too, could not judge the host (unknown verdict), or has no record of it.
    """
    again = {h.host: observe(h) for h in _score(records, policy, date.fromisoformat(result.as_of)).hosts}
    hosts = []
    for h in result.hosts:
        seen = again.get(h.host)
        if h.change is Change.REGRESSED and seen is not None and h.before is not None:
            judged = seen.verdict in RANK
            worse = compare(h.before, seen) is Change.REGRESSED
            h = msgspec.structs.replace(h, recheck=seen,
                                        change=Change.TRANSIENT if judged and not worse else Change.REGRESSED)
        hosts.append(h)
    return msgspec.structs.replace(result, hosts=hosts)


def observe(host: HostScore) -> Observation:
    """A scored host as one side of a comparison."""
    failing = [r for c in host.criteria if c.state == State.FAIL for r in c.reasons]
    return Observation(verdict=host.verdict, state=host.state, reasons=list(dict.fromkeys([*host.reasons, *failing])))


def _score(records: Iterable[HostRecord], policy: Policy, as_of: date) -> ScoreReport:
    midnight = datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC)  # `generated` is not used: no clock
    return score(records, policy, as_of=as_of, now=midnight)


def _org_changes(old: ScoreReport, new: ScoreReport, policy: Policy, hosts: list[HostDiff]) -> list[OrgPhaseDiff]:
    """Every (organisation, phase) whose attainment differs, with the org's changed hosts."""
    attained = [{o.org: {p.phase: p.attainment for p in o.phases} for o in r.orgs} for r in (old, new)]
    changes = []
    for org in collated(attained[0].keys() | attained[1].keys()):
        why = [h.host for h in hosts if h.org == org]
        for phase in policy.phases:
            a, b = (side[org].get(phase.id) if org in side else None for side in attained)
            if a != b:
                changes.append(OrgPhaseDiff(org=org, phase=phase.id, before=a, after=b, hosts=why))
    return changes


def _phase_diff(phase: str, old: ScoreReport, new: ScoreReport) -> PhaseDiff:
    a = next(p for p in old.phases if p.phase == phase)
    b = next(p for p in new.phases if p.phase == phase)
    return PhaseDiff(phase=phase, attained_before=a.orgs_attained, total_before=a.orgs_total, share_before=a.share,
                     attained_after=b.orgs_attained, total_after=b.orgs_total, share_after=b.share)
