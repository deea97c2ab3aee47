"""Compliance over time: the series of complete scans in the history, scored per phase and per organisation.

Which scans count: complete ones, except the flap re-scans an audit makes
(their header options carry ``confirms_scan``); optionally only those of one
audit (header option ``audit``, the audit's name). Their host records are judged
again with this version's checks (as ``ipv6scan report`` does), so a change of
the checks between versions does not show as a change of the hosts.

A point whose host list differs from the previous point's is marked
``targets_changed``: its shares are over another set of hosts.
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from .checks import judge
from .model import HostRecord
from .policy import Policy
from .scoring import score
from .store import ScanRow, Store

AUDIT_OPTION = "audit"  # header option: the name of the audit that made the scan
CONFIRMS_OPTION = "confirms_scan"  # header option of a flap re-scan: the id of the scan it re-checked
_EVERY_SCAN = 1_000_000  # Store.scans(limit): "all of them"


class OrgPoint(msgspec.Struct, kw_only=True):
    hosts: int
    compliant_hosts: int
    attained: list[str]  # phase ids attained, in policy order


class TrendPoint(msgspec.Struct, kw_only=True):
    scan_id: int | None
    started: str
    hosts: int
    targets_changed: bool  # the host list differs from the previous point's
    shares: dict[str, float]  # phase id -> share of organisations attaining it
    attained: dict[str, int]  # phase id -> organisations attaining it
    totals: dict[str, int]  # phase id -> organisations it applies to
    orgs: dict[str, OrgPoint]


def complete_scans(store: Store, *, audit: str | None = None) -> list[ScanRow]:
    """Complete scans, newest first, flap re-scans left out; only those of the audit named ``audit`` if given."""
    rows = [r for r in store.scans(_EVERY_SCAN) if r.status == "complete" and CONFIRMS_OPTION not in r.options]
    return [r for r in rows if audit is None or r.options.get(AUDIT_OPTION) == audit]


def rechecks_of(store: Store, scan_id: int) -> list[ScanRow]:
    """The flap re-scans an audit made of scan ``scan_id``."""
    return [r for r in store.scans(_EVERY_SCAN) if r.options.get(CONFIRMS_OPTION) == scan_id]


def scan_records(store: Store, scan_id: int) -> list[HostRecord]:
    """A history scan's host records, judged again from their facts."""
    return rejudged(store.records(scan_id))


def rejudged(records: Iterable[HostRecord]) -> list[HostRecord]:
    return [HostRecord(facts=r.facts, result=judge(r.facts)) for r in records]


def trend(scans: Iterable[tuple[ScanRow, list[HostRecord]]], policy: Policy) -> list[TrendPoint]:
    """One point per scan (oldest first), scored under ``policy``."""
    points: list[TrendPoint] = []
    before: set[str] | None = None
    for row, records in sorted(scans, key=lambda s: (s[0].started, s[0].id)):
        hosts = {r.facts.host for r in records}
        report = score(records, policy, scan_started=row.started)
        points.append(TrendPoint(
            scan_id=row.id,
            started=row.started,
            hosts=len(hosts),
            targets_changed=before is not None and hosts != before,
            shares={p.phase: p.share for p in report.phases},
            attained={p.phase: p.orgs_attained for p in report.phases},
            totals={p.phase: p.orgs_total for p in report.phases},
            orgs={o.org: OrgPoint(hosts=o.hosts, compliant_hosts=o.compliant_hosts, attained=list(o.attained))
                  for o in report.orgs},
        ))
        before = hosts
    return points


def load_trend(store: Store, policy: Policy, *, limit: int, audit: str | None = None) -> list[TrendPoint]:
    """The trend over the ``limit`` latest complete scans (of one audit if ``audit`` is given), oldest first."""
    rows = complete_scans(store, audit=audit)[:limit]
    return trend(((row, scan_records(store, row.id)) for row in rows), policy)

