"""The pure diff of two scans: verdict ordering, unknown states, organisations, list changes, flap confirmation."""

from __future__ import annotations

from datetime import date

import pytest

from ipv6scan.diff import RANK, Change, Observation, ScanRef, compare, confirm, diff
from ipv6scan.model import (
    CheckResult,
    CheckStatus,
    DnsLookup,
    HostFacts,
    HostRecord,
    HostResult,
    Outcome,
    Resolution,
    Verdict,
)
from ipv6scan.policy import load_policy
from ipv6scan.scores import State

POLICY = load_policy(None)
AS_OF = date(2026, 11, 23)
DNSSEC = [CheckResult(id="zone.dnssec", status=CheckStatus.PASS, reason="dnssec_signed", message=""),
          CheckResult(id="zone.dnssec_valid", status=CheckStatus.PASS, reason="dnssec_secure", message=""),
          CheckResult(id="naming.gov_vn", status=CheckStatus.PASS, reason="naming_ok", message="")]


def rec(host: str, verdict: Verdict, *reasons: str, org: str = "Tỉnh A", kind: str = "portal",
        checks: list[CheckResult] | None = None) -> HostRecord:
    lookup = DnsLookup(name=host, rdtype="A", outcome=Outcome.OK)
    facts = HostFacts(host=host, display=host, input=host, started="2026-11-23T00:00:00Z", org=org, kind=kind,
                      resolution=Resolution(name=host, canonical=host, a=lookup, aaaa=lookup))
    result = HostResult(host=host, verdict=verdict, reasons=list(reasons), checks=list(DNSSEC) if checks is None else checks)
    return HostRecord(facts=facts, result=result)


def mail(host: str, mx: CheckStatus, org: str = "Tỉnh A") -> HostRecord:
    check = CheckResult(id="mx.ipv6", status=mx, reason="mx_ipv6" if mx == "pass" else "mx_no_ipv6", message="")
    return rec(host, Verdict.READY, org=org, kind="mail", checks=[check])


def run(before, after):
    return diff(before, after, POLICY, before_ref=ScanRef(label="scan 1", scan_id=1),
                after_ref=ScanRef(label="scan 2", scan_id=2), as_of=AS_OF)


def obs(verdict: str, state: State = State.FAIL, *reasons: str) -> Observation:
    return Observation(verdict=verdict, state=state, reasons=list(reasons))


# ------------------------------------------------------------------ the ordering


def test_verdict_order_is_explicit():
    assert sorted(RANK, key=RANK.get, reverse=True) == ["ready", "partial", "no_ipv6", "broken_ipv6"]


@pytest.mark.parametrize("old, new, change", [
    ("ready", "partial", Change.REGRESSED),
    ("ready", "broken_ipv6", Change.REGRESSED),
    ("partial", "no_ipv6", Change.REGRESSED),
    ("no_ipv6", "broken_ipv6", Change.REGRESSED),  # an AAAA nothing answers on is worse than none
    ("broken_ipv6", "no_ipv6", Change.IMPROVED),
    ("partial", "ready", Change.IMPROVED),
    ("ready", "ready", Change.UNCHANGED),
])
def test_ranked_verdicts(old, new, change):
    assert compare(obs(old), obs(new)) is change


@pytest.mark.parametrize("unknown", ["untestable", "unresolvable", "error"])
def test_unknown_states_are_never_a_regression(unknown):
    assert compare(obs("ready", State.PASS), obs(unknown, State.UNKNOWN)) is Change.UNKNOWN
    assert compare(obs(unknown, State.UNKNOWN), obs("broken_ipv6")) is Change.UNKNOWN
    assert compare(obs(unknown, State.UNKNOWN, "x"), obs(unknown, State.UNKNOWN, "x")) is Change.UNCHANGED


def test_same_verdict_other_reasons_is_changed_not_worse():
    assert compare(obs("partial", State.FAIL, "a"), obs("partial", State.FAIL, "b")) is Change.CHANGED
    assert compare(obs("partial", State.FAIL, "a", "b"), obs("partial", State.FAIL, "b", "a")) is Change.UNCHANGED


def test_policy_state_pass_to_fail_at_the_same_rank_regresses():
    assert compare(obs("ready", State.PASS), obs("ready", State.FAIL)) is Change.REGRESSED
    assert compare(obs("ready", State.FAIL), obs("ready", State.PASS)) is Change.IMPROVED
    assert compare(obs("ready", State.PASS), obs("ready", State.UNKNOWN)) is Change.CHANGED
    # anything worse wins over something better
    assert compare(obs("partial", State.PASS), obs("ready", State.FAIL)) is Change.REGRESSED


# ------------------------------------------------------------------ two scans


def test_hosts_orgs_and_phases():
    before = [rec("a.gov", Verdict.READY), rec("b.gov", Verdict.READY, kind="dichvucong"),
              rec("c.gov", Verdict.NO_IPV6, "no_aaaa", org="Tỉnh B"), rec("d.gov", Verdict.PARTIAL, org="Tỉnh B",
                                                                           kind="dichvucong")]
    after = [rec("a.gov", Verdict.BROKEN_IPV6, "https_refused_ipv6", "http_refused_ipv6"),
             rec("b.gov", Verdict.READY, kind="dichvucong"),
             rec("c.gov", Verdict.READY, org="Tỉnh B"), rec("d.gov", Verdict.READY, org="Tỉnh B", kind="dichvucong")]
    d = run(before, after)
    changes = {h.host: h.change for h in d.hosts}
    assert changes == {"a.gov": Change.REGRESSED, "c.gov": Change.IMPROVED, "d.gov": Change.IMPROVED}
    assert d.unchanged == 1 and not d.targets_changed
    a = d.regressions[0]
    assert (a.before.verdict, a.after.verdict) == ("ready", "broken_ipv6")
    assert a.after.reasons[:2] == ["https_refused_ipv6", "http_refused_ipv6"]
    assert (a.org, a.kind) == ("Tỉnh A", "portal")
    phase1 = {o.org: o for o in d.orgs if o.phase == "phase1"}
    assert phase1["Tỉnh A"].lost and phase1["Tỉnh A"].hosts == ["a.gov"]
    assert phase1["Tỉnh B"].gained and phase1["Tỉnh B"].hosts == ["c.gov", "d.gov"]
    total = next(p for p in d.phases if p.phase == "phase1")
    assert (total.attained_before, total.attained_after, total.total_before, total.total_after) == (1, 1, 2, 2)


def test_mail_losing_ipv6_is_a_regression_with_its_reason():
    d = run([mail("mail.gov", CheckStatus.PASS)], [mail("mail.gov", CheckStatus.FAIL)])
    (host,) = d.regressions
    assert host.before.verdict == host.after.verdict == "ready"
    assert (host.before.state, host.after.state) == (State.PASS, State.FAIL)
    assert "mx_no_ipv6" in host.after.reasons


def test_unresolvable_host_is_an_unknown_change():
    d = run([rec("a.gov", Verdict.READY)], [rec("a.gov", Verdict.UNRESOLVABLE, "dns_servfail")])
    assert [h.change for h in d.hosts] == [Change.UNKNOWN] and not d.regressions
    assert d.orgs and all(o.after == State.UNKNOWN for o in d.orgs if o.phase == "phase1")


def test_target_list_changes_are_flagged():
    before = [rec("a.gov", Verdict.READY), rec("gone.gov", Verdict.PARTIAL, org="Tỉnh C")]
    after = [rec("a.gov", Verdict.READY), rec("new.gov", Verdict.READY, org="Tỉnh D")]
    d = run(before, after)
    assert d.targets_changed and d.added == ["new.gov"] and d.removed == ["gone.gov"]
    assert {h.host: h.change for h in d.hosts} == {"gone.gov": Change.REMOVED, "new.gov": Change.ADDED}
    gone = [o for o in d.orgs if o.org == "Tỉnh C"]
    assert gone and all(o.before is not None and o.after is None for o in gone)
    assert (d.before.hosts, d.after.hosts) == (2, 2)


def test_scored_at_one_date_for_both_sides():
    d = run([rec("a.gov", Verdict.READY)], [rec("a.gov", Verdict.READY)])
    assert d.as_of == "2026-11-23" and d.hosts == [] and d.orgs == []


# ------------------------------------------------------------------ flap confirmation


def test_confirm_marks_what_did_not_reproduce_as_transient():
    before = [rec(h, Verdict.READY) for h in ("flap.gov", "down.gov", "dns.gov", "gone.gov")]
    after = [rec(h, Verdict.BROKEN_IPV6, "https_refused_ipv6") for h in ("flap.gov", "down.gov", "dns.gov", "gone.gov")]
    d = run(before, after)
    assert len(d.regressions) == 4
    again = [rec("flap.gov", Verdict.READY), rec("down.gov", Verdict.PARTIAL, "https_refused_ipv6"),
             rec("dns.gov", Verdict.UNRESOLVABLE, "dns_timeout")]  # gone.gov: no record of the re-scan
    checked = confirm(d, again, POLICY)
    changes = {h.host: h.change for h in checked.hosts}
    assert changes == {"flap.gov": Change.TRANSIENT, "down.gov": Change.REGRESSED, "dns.gov": Change.REGRESSED,
                       "gone.gov": Change.REGRESSED}
    flap = next(h for h in checked.hosts if h.host == "flap.gov")
    assert flap.recheck.verdict == "ready" and flap.after.verdict == "broken_ipv6"
    assert next(h for h in checked.hosts if h.host == "gone.gov").recheck is None
    assert [h.host for h in checked.regressions] == ["dns.gov", "down.gov", "gone.gov"]
