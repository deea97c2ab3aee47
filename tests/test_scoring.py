"""Scoring a scan against a policy: hosts -> criteria, organisations -> phases, totals (no network)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime

import msgspec
import pytest

from ipv6scan.model import (
    CheckResult,
    CheckStatus,
    DnsLookup,
    Family,
    HostFacts,
    HostRecord,
    HostResult,
    Outcome,
    Resolution,
    Verdict,
    WebProbe,
)
from ipv6scan.policy import load_policy, parse_policy
from ipv6scan.scores import ScoreReport, State
from ipv6scan.scoring import evaluate, in_force, score

NOW = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)
STARTED = "2025-06-01T03:00:00Z"
GOV = load_policy()

# ---------------------------------------------------------------- builders


def check(cid: str, status: str = "pass", reason: str | None = None) -> CheckResult:
    return CheckResult(id=cid, status=CheckStatus(status), reason=reason or f"{cid}_{status}", message="")


# Checks of a host that is fine everywhere (the zone signed, two name servers and the MX on IPv6, every zone on
# the resolution path and everything the page loads on IPv6).
GOOD = (
    check("web.https_enforced", reason="https_enforced"),
    check("dns.chain_ipv6", reason="chain_ipv6"),
    check("deps.ipv6", reason="deps_ipv6"),
    check("web.https.ipv6", reason="https_ok_ipv6"),
    check("tls.ipv6", reason="tls_valid"),
    check("parity.https", reason="parity_ok"),
    check("redirect.ipv6", reason="redirect_ok_ipv6"),
    check("ns.ipv6", reason="ns_ipv6"),
    check("mx.ipv6", reason="mx_ipv6"),
    check("mx.ptr6", reason="ptr6_ok"),
    check("mx.spf6", reason="spf6_ok"),
    check("mx.starttls6", reason="starttls6_ok"),
    check("mx.cert6", reason="cert6_ok"),
    check("zone.dnssec", reason="dnssec_signed"),
    check("zone.dnssec_valid", reason="dnssec_secure"),
    check("naming.gov_vn", reason="naming_ok"),
)


def record(
    host: str,
    verdict: str = "ready",
    *checks: CheckResult,
    kind: str | None = None,
    org: str | None = None,
    reasons: list[str] | None = None,
    started: str = STARTED,
    web: list[WebProbe] | None = None,
) -> HostRecord:
    """A host record; ``checks`` replace the GOOD checks of the same id. Reasons: FAIL then WARN codes."""
    given = {c.id for c in checks}
    all_checks = [c for c in GOOD if c.id not in given] + list(checks)
    if reasons is None:
        reasons = [c.reason for s in ("fail", "warn") for c in all_checks if c.status == s and c.id != "mx.ipv6"]
    lookup = {t: DnsLookup(name=host, rdtype=t, outcome=Outcome.OK) for t in ("A", "AAAA")}
    facts = HostFacts(
        host=host,
        display=host,
        input=host,
        started=started,
        resolution=Resolution(name=host, canonical=host, a=lookup["A"], aaaa=lookup["AAAA"]),
        kind=kind,
        org=org,
        web=web or [],
    )
    result = HostResult(host=host, verdict=Verdict(verdict), reasons=reasons, checks=all_checks)
    return HostRecord(facts=facts, result=result)


def unit(slug: str, *, portal="ready", dvc="ready", mail="pass", org=None) -> list[HostRecord]:
    """A province: portal, public-service portal and mail domain, with kinds inferred from the names."""
    records = [record(f"{slug}.gov.vn", portal, org=org)]
    if dvc is not None:
        records.append(record(f"dichvucong.{slug}.gov.vn", dvc, org=org))
    if mail is not None:
        records.append(record(f"mail.{slug}.gov.vn", "ready", check("mx.ipv6", mail, f"mx_{mail}"), org=org))
    return records


def report(records, policy=GOV, **kw) -> ScoreReport:
    return score(records, policy, now=NOW, **kw)


def org_of(rep: ScoreReport, name: str):
    return next(o for o in rep.orgs if o.org == name)


def host_of(rep: ScoreReport, name: str):
    return next(h for h in rep.hosts if h.host == name)


def phase_of(rep: ScoreReport, org: str, phase: str):
    return next(p for p in org_of(rep, org).phases if p.phase == phase)


def total_of(rep: ScoreReport, phase: str):
    return next(p for p in rep.phases if p.phase == phase)


def kind_total(rep: ScoreReport, kind: str):
    return next(k for k in rep.kinds if k.kind == kind)


def small_policy(**phase2) -> dict:
    """Two ladder phases: "a" needs a ready portal, "b" a mail domain on IPv6 (tweakable)."""
    title = {"vi": "Tiêu đề", "en": "Title"}
    return {
        "id": "small", "version": "1", "title": title,
        "criteria": [
            {"id": "ready", "title": title, "source": "s", "kinds": ["portal", "website"], "verdicts": ["ready"]},
            {"id": "mail", "title": title, "source": "s", "kinds": ["mail"], "checks_pass": ["mx.ipv6"]},
        ],
        "phases": [
            {"id": "a", "title": title, "source": "s", "start": date(2021, 1, 1), "org_share": 0.5,
             "requirements": [{"kinds": ["portal"], "criteria": ["ready"]}]},
            {"id": "b", "title": title, "source": "s", "start": date(2023, 1, 1), "org_share": 1.0,
             "requirements": [{"kinds": ["mail"], "criteria": ["mail"]}], **phase2},
        ],
    }


# ---------------------------------------------------------------- phases for one organisation


def test_ready_portal_and_public_service_portal_attain_phase1():
    rep = report(unit("danang", mail=None))
    org = org_of(rep, "danang.gov.vn")
    assert phase_of(rep, "danang.gov.vn", "phase1").state == State.PASS
    assert org.attained[0] == "phase1"
    assert org.next_phase == "phase2"
    assert org.todo == ["no mail system in the list"]


def test_partial_public_service_portal_blocks_phase1_and_todo_names_host_and_reasons():
    dvc = record(
        "dichvucong.danang.gov.vn", "partial",
        check("web.https.ipv6", "fail", "https_refused_ipv6"),
        check("parity.https", "fail", "parity_content_differs"),
        check("tls.expiry", "warn", "tls_expiring"),
    )
    rep = report([record("danang.gov.vn"), dvc])
    org = org_of(rep, "danang.gov.vn")
    requirement = phase_of(rep, "danang.gov.vn", "phase1").requirements[0]
    assert requirement.state == State.FAIL and requirement.failing == ["dichvucong.danang.gov.vn"]
    assert "phase1" not in org.attained and org.next_phase == "phase1"
    # Only what fails is to do; the warning is in the host's reasons, not in the todo.
    assert org.todo == ["dichvucong.danang.gov.vn: https_refused_ipv6, parity_content_differs"]
    assert "tls_expiring" in host_of(rep, "dichvucong.danang.gov.vn").reasons


@pytest.mark.parametrize(
    ("verdict", "reason"),
    [("untestable", "scanner_no_ipv6"), ("unresolvable", "dns_servfail_aaaa"), ("error", "scanner_error")],
)
def test_untestable_or_unresolvable_public_service_portal_leaves_phase1_unknown(verdict, reason):
    rep = report([record("hue.gov.vn"), record("dichvucong.hue.gov.vn", verdict, reasons=[reason])])
    phase1 = phase_of(rep, "hue.gov.vn", "phase1")
    assert phase1.state == State.UNKNOWN
    assert phase1.requirements[0].unknown == ["dichvucong.hue.gov.vn"] and phase1.requirements[0].failing == []
    org = org_of(rep, "hue.gov.vn")
    assert org.attained == [] and org.next_phase == "phase1"
    assert org.todo == [f"dichvucong.hue.gov.vn: not judged ({reason})"]
    total = total_of(rep, "phase1")
    assert (total.orgs_total, total.orgs_attained, total.orgs_unknown) == (1, 0, 1)
    dvc = kind_total(rep, "dichvucong")
    assert (dvc.compliant, dvc.failing, dvc.unknown, dvc.share) == (0, 0, 1, 0.0)


def test_missing_required_kind_is_not_attained_and_named_in_todo():
    rep = report([record("laichau.gov.vn")])
    requirement = phase_of(rep, "laichau.gov.vn", "phase1").requirements[0]
    assert requirement.state == State.FAIL and requirement.missing_kinds == ["dichvucong"]
    org = org_of(rep, "laichau.gov.vn")
    assert "phase1" not in org.attained
    assert org.todo == ["no dichvucong system in the list"]


def test_optional_kinds_are_judged_only_when_listed():
    rep = report(unit("angiang"))
    phase2 = phase_of(rep, "angiang.gov.vn", "phase2")
    assert [r.state for r in phase2.requirements] == [State.PASS, State.NOT_APPLICABLE, State.PASS]
    assert phase2.state == State.PASS
    slow = record("motcua.angiang.gov.vn", "no_ipv6", check("dns.aaaa", "fail", "no_aaaa"))
    rep = report([*unit("angiang"), slow])
    assert phase_of(rep, "angiang.gov.vn", "phase2").state == State.FAIL
    assert org_of(rep, "angiang.gov.vn").todo == ["motcua.angiang.gov.vn: no_aaaa"]


def test_full_ladder_and_next_phase_is_never_a_standalone_phase():
    rep = report(unit("quangninh"))
    org = org_of(rep, "quangninh.gov.vn")
    assert org.attained == ["phase1", "phase2", "ipv6only-2030", "circular32", "decree224"]
    assert org.next_phase is None and org.todo == []
    # signed, but its signatures expired: validators reject it, and Circular 32 is not met
    unsigned = record("quangninh.gov.vn", "ready", check("zone.dnssec_valid", "fail", "dnssec_signature_expired"))
    rep = report([unsigned, *unit("quangninh")[1:]])
    org = org_of(rep, "quangninh.gov.vn")
    assert org.attained == ["phase1", "phase2", "ipv6only-2030", "decree224"]  # DNSSEC neither needs nor blocks the ladder
    assert org.next_phase is None
    assert phase_of(rep, "quangninh.gov.vn", "circular32").requirements[0].failing == ["quangninh.gov.vn"]


def test_decree_224_naming_is_a_standing_obligation_off_the_ladder():
    misnamed = record("quangninh.gov.vn", "ready", check("naming.gov_vn", "fail", "naming_not_gov_vn"))
    rep = report([misnamed, *unit("quangninh")[1:]])
    org = org_of(rep, "quangninh.gov.vn")
    assert "decree224" not in org.attained and org.attained[:3] == ["phase1", "phase2", "ipv6only-2030"]
    assert phase_of(rep, "quangninh.gov.vn", "decree224").requirements[0].failing == ["quangninh.gov.vn"]
    # binding since 2026-07-01: the portal's own state fails on it then; a unit the rule does not name is not held
    assert host_of(rep, "quangninh.gov.vn").state == State.PASS  # a scan of 2025: not in force yet
    late = date(2026, 12, 1)
    assert host_of(report([misnamed, *unit("quangninh")[1:]], as_of=late), "quangninh.gov.vn").state == State.FAIL
    unnamed = record("quangninh.gov.vn", "ready", check("naming.gov_vn", "not_applicable", "naming_unit_unknown"))
    assert host_of(report([unnamed, *unit("quangninh")[1:]], as_of=late), "quangninh.gov.vn").state == State.PASS


def test_hsts_and_tls_profile_are_recommendations_scored_for_organisations_only():
    weak = record("quangninh.gov.vn", "ready", check("tls.hsts", "fail", "hsts_missing"),
                  check("tls.profile.ipv4", "fail", "tls_profile_old_version"), check("tls.profile.ipv6", reason="tls_profile_ok"))
    rep = report([weak, *unit("quangninh")[1:]])
    assert phase_of(rep, "quangninh.gov.vn", "web-security").state == State.FAIL
    assert host_of(rep, "quangninh.gov.vn").state == State.PASS  # not binding: never a host's failure
    profile = next(c for c in host_of(rep, "quangninh.gov.vn").criteria if c.criterion == "tls_profile")
    assert profile.state == State.FAIL and profile.reasons == ["tls_profile_old_version"]


def test_a_later_phase_is_attained_only_when_the_earlier_ones_are():
    policy = parse_policy(small_policy())
    records = [record("x.gov.vn", "no_ipv6", check("dns.aaaa", "fail", "no_aaaa")), record("mail.x.gov.vn")]
    rep = report(records, policy)
    assert phase_of(rep, "x.gov.vn", "b").state == State.PASS  # b's own requirements are met ...
    assert org_of(rep, "x.gov.vn").attained == []  # ... but a is not
    assert phase_of(rep, "x.gov.vn", "b").attainment == State.FAIL  # so b is not attained on the ladder
    assert total_of(rep, "b").orgs_attained == 0
    standalone = parse_policy(small_policy(standalone=True))
    assert org_of(report(records, standalone), "x.gov.vn").attained == ["b"]


def test_dnssec_is_unknown_until_scans_have_the_check():
    old = record("ninhbinh.gov.vn")
    old.result.checks = [c for c in old.result.checks if c.id != "zone.dnssec_valid"]  # a scan before schema 1.6
    rep = report([old])
    host = host_of(rep, "ninhbinh.gov.vn")
    dnssec = next(c for c in host.criteria if c.criterion == "dnssec_valid")
    assert dnssec.state == State.UNKNOWN and dnssec.reasons == ["not_checked:zone.dnssec_valid"]
    assert phase_of(rep, "ninhbinh.gov.vn", "circular32").state == State.UNKNOWN
    # Circular 32 is binding, so the portal's own state waits for the check too; phase 1 does not.
    assert host.state == State.UNKNOWN
    assert phase_of(rep, "ninhbinh.gov.vn", "phase1").requirements[0].failing == []


# ---------------------------------------------------------------- totals


def test_phase_totals_against_target_shares():
    records = [*unit("hanoi"), *unit("haiphong"), *unit("cantho", dvc="partial")]
    rep = report(records)
    phase1, phase2 = total_of(rep, "phase1"), total_of(rep, "phase2")
    assert (phase1.orgs_total, phase1.orgs_attained, phase1.orgs_unknown) == (3, 2, 0)
    assert phase1.share == pytest.approx(0.6667) and phase1.target_share == 0.5 and phase1.met
    assert phase2.share == pytest.approx(0.6667) and phase2.target_share == 1.0 and not phase2.met
    described = (phase1.title, phase1.start, phase1.end, phase1.standalone)
    assert described == (GOV.phases[0].title.en, "2021-01-01", "2022-12-31", False)


def test_target_share_is_compared_exactly():
    policy = parse_policy(small_policy(org_share=0.7, requirements=[{"kinds": ["portal"], "criteria": ["ready"]}]))
    records = [r for i in range(10) for r in unit(f"p{i}", portal="ready" if i < 7 else "partial")]
    total = total_of(report(records, policy), "b")
    assert total.share == 0.7 and total.met  # 7/10 >= 0.7, whatever 0.7 * 10 is in floating point


def test_kind_totals_leave_unknown_hosts_out_of_the_share():
    records = [
        record("a.gov.vn"),
        record("b.gov.vn"),
        record("c.gov.vn", "broken_ipv6", check("web.https.ipv6", "fail", "https_timeout_ipv6")),
        record("d.gov.vn", "untestable", reasons=["scanner_no_ipv6"]),
    ]
    portal = kind_total(report(records), "portal")
    assert (portal.hosts, portal.compliant, portal.failing, portal.unknown) == (4, 2, 1, 1)
    assert portal.share == pytest.approx(0.6667)


def test_mail_is_judged_on_its_mx_only():
    rep = report([
        record("mail.hue.gov.vn", "no_ipv6", check("dns.aaaa", "fail", "no_aaaa")),  # no web over IPv6: irrelevant
        record("mail.hatinh.gov.vn", "ready", check("mx.ipv6", "fail", "mx_no_ipv6")),
        record("mail.sonla.gov.vn", "ready", check("mx.ipv6", "not_applicable", "no_mx")),
    ])
    states = {h.host: (h.state, h.criteria[0].criterion, h.criteria[0].reasons) for h in rep.hosts}
    assert states["mail.hue.gov.vn"] == (State.PASS, "mail_ipv6", [])
    assert states["mail.hatinh.gov.vn"] == (State.FAIL, "mail_ipv6", ["mx_no_ipv6"])
    assert states["mail.sonla.gov.vn"] == (State.UNKNOWN, "mail_ipv6", ["no_mx"])


def test_kind_and_org_are_inferred_and_marked_when_the_list_gives_none():
    rep = report([record("dichvucong.hue.gov.vn"), record("vpdt.hue.gov.vn", kind="website", org="Huế")])
    guessed, given = host_of(rep, "dichvucong.hue.gov.vn"), host_of(rep, "vpdt.hue.gov.vn")
    assert (guessed.kind, guessed.kind_inferred, guessed.org) == ("dichvucong", True, "hue.gov.vn")
    assert (given.kind, given.kind_inferred, given.org) == ("website", False, "Huế")
    assert [o.org for o in rep.orgs] == ["hue.gov.vn", "Huế"]


# ---------------------------------------------------------------- hosts and criteria


def test_hosts_are_judged_against_binding_phases_in_force():
    single_ns = record("dongnai.gov.vn", "ready", check("ns.ipv6", "warn", "ns_single_ipv6"))
    host = host_of(report([single_ns]), "dongnai.gov.vn")
    assert host.state == State.PASS  # the IPv6-only phase is not binding: its ns.ipv6 criterion does not count
    assert next(c for c in host.criteria if c.criterion == "ipv6only_web").state == State.FAIL
    assert [p.id for p in in_force(GOV, date(2022, 6, 1))] == ["phase1", "circular32"]
    website = record("sokhcn.dongnai.gov.vn")
    assert host_of(report([website], as_of=date(2022, 6, 1)), "sokhcn.dongnai.gov.vn").state == State.NOT_APPLICABLE
    assert host_of(report([website], as_of=date(2024, 6, 1)), "sokhcn.dongnai.gov.vn").state == State.PASS


def test_host_details_prefer_ipv6_and_https():
    def probe(scheme, family, title, server):
        return WebProbe(scheme=scheme, address="2001:db8::1" if family == Family.V6 else "192.0.2.1", family=family,
                        port=443, outcome=Outcome.OK, title=title, headers={"server": server},
                        final_url=f"{scheme}://{family}.example/")
    web = [probe("http", Family.V4, "v4 http", "a"), probe("http", Family.V6, "v6 http", "b"),
           probe("https", Family.V6, "v6 https", "c")]
    host = host_of(report([record("tayninh.gov.vn", web=web)]), "tayninh.gov.vn")
    assert (host.title, host.server, host.final_url) == ("v6 https", "c", "https://ipv6.example/")


@pytest.mark.parametrize(
    ("conditions", "checks", "state", "reasons"),
    [
        ({"checks_pass": ["ns.ipv6"]}, [check("ns.ipv6", "warn", "ns_single_ipv6")], State.FAIL, ["ns_single_ipv6"]),
        ({"checks_pass": ["ns.ipv6"]}, [check("ns.ipv6", "untestable", "scanner_no_ipv6")],
         State.UNKNOWN, ["scanner_no_ipv6"]),
        ({"checks_pass": ["ns.ipv6"]}, [check("ns.ipv6", "not_applicable", "zone_not_checked")],
         State.UNKNOWN, ["zone_not_checked"]),
        ({"checks_pass": ["zone.dnssec"]}, [], State.UNKNOWN, ["not_checked:zone.dnssec"]),
        ({"checks_not_fail": ["ns.ipv6"]}, [check("ns.ipv6", "warn", "ns_single_ipv6")], State.PASS, []),
        ({"checks_not_fail": ["ns.ipv6"]}, [check("ns.ipv6", "not_applicable", "not_probed")], State.PASS, []),
        ({"checks_not_fail": ["ns.ipv6"]}, [check("ns.ipv6", "fail", "ns_no_ipv6")], State.FAIL, ["ns_no_ipv6"]),
        # Several results of one check (one per comparison): all must pass.
        ({"checks_pass": ["parity.https"]},
         [check("parity.https"), check("parity.https", "fail", "parity_status_differs")],
         State.FAIL, ["parity_status_differs"]),
        # AND: a definite failure wins over an unknown part.
        ({"checks_pass": ["zone.dnssec", "ns.ipv6"]}, [check("ns.ipv6", "fail", "ns_no_ipv6")],
         State.FAIL, ["ns_no_ipv6"]),
    ],
)
def test_criterion_conditions_on_checks(conditions, checks, state, reasons):
    criterion = parse_policy(small_policy()).criteria[0]
    criterion = msgspec.structs.replace(criterion, verdicts=[], **conditions)
    result = HostResult(host="h.gov.vn", verdict=Verdict.READY, checks=checks)
    judged = evaluate(criterion, result, "portal")
    assert (judged.state, judged.reasons) == (state, reasons)


def test_criterion_on_another_kind_is_not_applicable_and_scanner_errors_are_unknown():
    criterion = GOV.criterion("web_ready")
    assert evaluate(criterion, record("mail.hue.gov.vn").result, "mail").state == State.NOT_APPLICABLE
    failed = HostResult(host="x", verdict=Verdict.ERROR, reasons=["scanner_error"])
    assert evaluate(GOV.criterion("mail_ipv6"), failed, "mail").state == State.UNKNOWN


def test_scope_any_needs_one_passing_host():
    policy = small_policy()
    policy["phases"][0]["requirements"] = [{"kinds": ["website"], "criteria": ["ready"], "scope": "any"}]
    policy = parse_policy(policy)
    bad = record("a.x.gov.vn", "no_ipv6", check("dns.aaaa", "fail", "no_aaaa"), kind="website", org="x")
    unknown = record("b.x.gov.vn", "untestable", kind="website", org="x", reasons=["scanner_no_ipv6"])
    good = record("c.x.gov.vn", kind="website", org="x")
    assert phase_of(report([bad, good], policy), "x", "a").state == State.PASS
    assert phase_of(report([bad, unknown], policy), "x", "a").state == State.UNKNOWN
    assert phase_of(report([bad], policy), "x", "a").state == State.FAIL
    assert org_of(report([bad], policy), "x").todo == ["a.x.gov.vn: no_aaaa"]


# ---------------------------------------------------------------- the report


def test_two_policies_judge_the_same_records_differently():
    records = [*unit("hanoi"), *unit("hue")]
    records[0] = record("hanoi.gov.vn", "ready", check("parity.https", "info", "parity_not_comparable"))
    gov = report(records)
    strict = report(records, load_policy("strict-example"))
    assert total_of(gov, "phase2").orgs_attained == 2
    assert total_of(strict, "strict").orgs_attained == 1
    assert org_of(strict, "hanoi.gov.vn").todo == ["hanoi.gov.vn: parity_not_comparable"]


def test_report_is_deterministic_and_sorted():
    records = [*unit("hue"), *unit("angiang"), *unit("Cantho", org="Cần Thơ")]
    shuffled = records[:]
    random.Random(4).shuffle(shuffled)
    first, second = report(records), report(shuffled)
    assert msgspec.json.encode(first) == msgspec.json.encode(second)
    assert [o.org for o in first.orgs] == ["angiang.gov.vn", "Cần Thơ", "hue.gov.vn"]
    assert [h.host for h in first.hosts][:3] == ["angiang.gov.vn", "dichvucong.angiang.gov.vn", "mail.angiang.gov.vn"]


def test_as_of_defaults_to_the_scan_date():
    records = [
        record("hue.gov.vn", started="2024-03-05T10:00:00Z"),
        record("dichvucong.hue.gov.vn", started="2024-03-04T23:00:00Z"),
    ]
    assert report(records).as_of == "2024-03-04"
    assert report(records, scan_started="2023-01-02T00:00:00Z").as_of == "2023-01-02"
    assert report(records, as_of=date(2030, 1, 1)).as_of == "2030-01-01"
    assert report([]).as_of == NOW.date().isoformat()


def test_vietnamese_texts():
    rep = report([record("laichau.gov.vn")], lang="vi")
    assert rep.policy_title == GOV.title.vi and rep.lang == "vi"
    assert org_of(rep, "laichau.gov.vn").todo == ["chưa có hệ thống loại dichvucong trong danh sách"]
    assert total_of(rep, "phase1").title == GOV.phases[0].title.vi
    with pytest.raises(ValueError, match="lang"):
        report([], lang="fr")


def test_json_round_trip():
    rep = report([*unit("hue"), *unit("hatinh", dvc="untestable")], scan_file="scan.jsonl", scan_started=STARTED)
    data = msgspec.json.encode(rep)
    assert msgspec.json.decode(data, type=ScoreReport) == rep
    assert rep.generated == "2025-06-02T12:00:00Z" and rep.scan_file == "scan.jsonl"
    assert [c.id for c in rep.criteria] == [c.id for c in GOV.criteria]


def test_the_report_says_which_tls_profile_the_hosts_were_judged_against():
    """The tls_profile criterion means what the scan chose (--tls-profile, kept in each host's facts): the report's
    header says it, in either language (the default when the scan chose none)."""
    from ipv6scan.report.markdown import render_markdown

    assert report(unit("quangninh")).tls_profiles == ["mozilla-intermediate"]
    modern = [msgspec.structs.replace(r, facts=msgspec.structs.replace(r.facts, tls_profile="mozilla-modern"))
              for r in unit("quangninh")]
    rep = report(modern)
    assert rep.tls_profiles == ["mozilla-modern"]
    assert "- **TLS profile judged against**: Mozilla modern \\(Server Side TLS 5.7\\)" in render_markdown(rep, lang="en")
    assert "- **Hồ sơ TLS dùng để đánh giá**: Mozilla modern" in render_markdown(rep, lang="vi")
