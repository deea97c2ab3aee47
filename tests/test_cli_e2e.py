"""End to end through the real CLI against the loopback lab: real DNS packets, real TCP and TLS on 127.0.0.1 and ::1."""

from __future__ import annotations

import json
import re

import msgspec
import pytest

from ipv6scan.model import SCHEMA_VERSION, DnssecStatus, Family, HostRecord, InputError, Outcome, ScanHeader, ScanLine, ScanSummary
from ipv6scan.testnet.lab import IDN_HOST, SCENARIOS

from .conftest import run_cli


def shown_vi(lab_dir, scan: str, name: str, host: str, columns: str = "200") -> str:
    """``ipv6scan show HOST --lang vi`` of a scan's output, saved as ``lab_dir/name``: what it printed (it must
    succeed)."""
    scan_file = lab_dir / name
    scan_file.write_text(scan, encoding="utf-8")
    shown = run_cli("show", str(scan_file), "--host", host, "--lang", "vi", env={"COLUMNS": columns})
    assert shown.returncode == 0, shown.stderr
    return shown.stdout


def parse_jsonl(text: str) -> list[ScanLine]:
    dec = msgspec.json.Decoder(ScanLine)
    return [dec.decode(line) for line in text.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def catalogue_scan(lab, lab_dir):
    """One scan of every scenario, through the CLI, saved under a reports dir too."""
    targets = lab_dir / "targets.txt"
    targets.write_text(lab.targets_text(), encoding="utf-8")
    def ns_queries() -> tuple[int, int]:  # gov.example's NS asked of the resolver (IPv4), of example.'s server (IPv6)
        asked = [client for _, q, t, client in lab.dns.queries if t == "NS" and q.rstrip(".") == "gov.example"]
        return sum(":" not in c for c in asked), sum(":" in c for c in asked)

    ns_before = ns_queries()
    reports = lab_dir / "reports"
    proc = run_cli("scan", str(targets), *lab.cli_args(lab_dir), "--format", "jsonl", "--save-dir", str(reports))
    ns_queries = tuple(after - before for after, before in zip(ns_queries(), ns_before))
    assert proc.returncode == 0, proc.stderr
    lines = parse_jsonl(proc.stdout)
    hosts = {line.facts.display: line for line in lines if isinstance(line, HostRecord)}
    return proc, lines, hosts, reports, ns_queries


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.host for s in SCENARIOS])
def test_scenario_verdicts(catalogue_scan, scenario):
    _, _, hosts, _, _ = catalogue_scan
    rec = hosts[scenario.host]
    assert rec.result.verdict == scenario.verdict, (scenario.about, rec.result.reasons)
    assert scenario.reasons <= set(rec.result.reasons), rec.result.reasons


def test_stream_has_header_and_summary(catalogue_scan):
    _, lines, hosts, _, _ = catalogue_scan
    assert isinstance(lines[0], ScanHeader) and lines[0].schema_version == SCHEMA_VERSION
    assert isinstance(lines[-1], ScanSummary)
    assert lines[-1].hosts == len(SCENARIOS) == len(hosts)
    assert not lines[-1].interrupted


def test_scan_is_saved_under_reports(catalogue_scan):
    proc, lines, _, reports, _ = catalogue_scan
    saved = list(reports.glob("scan-*.jsonl"))
    assert len(saved) == 1
    assert f"saved: {saved[0]}" in proc.stderr
    assert len(parse_jsonl(saved[0].read_text())) == len(lines)


def test_every_address_and_family_probed_separately(catalogue_scan):
    rec = catalogue_scan[2]["multi6.gov.example"]
    seen = {(p.scheme, p.address) for p in rec.facts.web}
    assert seen == {(s, a) for s in ("http", "https") for a in ("192.0.2.23", "2001:db8::23", "2001:db8::24")}
    dead = [p for p in rec.facts.web if p.address == "2001:db8::24"]
    assert {p.outcome for p in dead} == {Outcome.REFUSED}


def test_timeouts_are_retried_once(catalogue_scan):
    rec = catalogue_scan[2]["timeout6.gov.example"]
    v6 = [p for p in rec.facts.web if p.family is Family.V6]
    assert v6 and all(p.outcome is Outcome.TIMEOUT and p.attempts == 2 for p in v6)


def test_a_connect_that_gets_no_answer_is_retried_beside_it_through_the_cli(lab, tmp_path):
    """Issue 16, item 3, through the CLI: timeout6's IPv6 web ports routed to ports that drop every SYN (a
    real connect timeout, unlike the lab's own silent server). The retry starts a fifth of the 1 s timeout
    after the first try, so each probe waits one timeout and the stagger, not two timeouts (the schedule:
    one after the other, two tries cannot end before 2000 ms)."""
    from ipv6scan.testnet._tcp import BlackHole

    holes = [BlackHole("::1"), BlackHole("::1")]
    args = lab.cli_args(tmp_path)
    routes_file = args[args.index("--lab-map") + 1]
    routes = json.loads(open(routes_file, encoding="utf-8").read())
    for port, hole in zip((80, 443), holes):
        routes["routes"][f"[2001:db8::13]:{port}"] = f"[::1]:{hole.port}"
    with open(routes_file, "w", encoding="utf-8") as f:
        json.dump(routes, f)
    targets = tmp_path / "t.txt"
    targets.write_text("timeout6.gov.example\n")
    try:
        proc = run_cli("scan", str(targets), *args, "--no-db", "--no-save", "--format", "jsonl", "--no-zone")
    finally:
        for hole in holes:
            hole.close()
    assert proc.returncode == 0, proc.stderr
    rec = next(line for line in parse_jsonl(proc.stdout) if isinstance(line, HostRecord))
    v6 = [p for p in rec.facts.web if p.family is Family.V6]
    assert len(v6) == 2 and all(p.outcome is Outcome.TIMEOUT and p.attempts == 2 for p in v6), v6
    assert all("connect timed out" in p.detail for p in v6), [p.detail for p in v6]
    assert all(1000 <= p.elapsed_ms < 1900 for p in v6), [p.elapsed_ms for p in v6]


def test_tls_facts_recorded(catalogue_scan):
    hosts = catalogue_scan[2]
    dual = [p for p in hosts["dual.gov.example"].facts.web if p.scheme == "https"]
    assert all(p.tls.outcome is Outcome.OK and p.tls.protocol and p.tls.cert.not_after for p in dual)
    assert len({p.tls.cert.sha256 for p in dual}) == 1
    expired = [p for p in hosts["expired.gov.example"].facts.web if p.scheme == "https"]
    assert {p.tls.outcome for p in expired} == {Outcome.TLS_EXPIRED}
    assert all(p.status == 200 for p in expired)  # the server answered: only trust is missing
    bad6 = {p.family: p.tls.outcome for p in hosts["badcert6.gov.example"].facts.web if p.scheme == "https"}
    assert bad6 == {Family.V4: Outcome.OK, Family.V6: Outcome.TLS_SELF_SIGNED}


def test_two_names_on_one_address_get_their_own_certificate(catalogue_scan):
    hosts = catalogue_scan[2]
    a = {p.tls.outcome for p in hosts["shared-a.gov.example"].facts.web if p.scheme == "https"}
    b = {p.tls.outcome for p in hosts["shared-b.gov.example"].facts.web if p.scheme == "https"}
    assert a == {Outcome.OK} and b == {Outcome.TLS_HOSTNAME_MISMATCH}


def test_parity_records_why(catalogue_scan):
    hosts = catalogue_scan[2]
    same = hosts["dual.gov.example"].facts.parity
    assert {p.scheme for p in same} == {"http", "https"}
    assert all(p.similarity >= 0.99 and p.v4_status == p.v6_status == 200 for p in same)  # csrf nonce removed
    diff = hosts["diff6.gov.example"].facts.parity
    assert diff and all(p.similarity < 0.9 and p.v4_length != p.v6_length for p in diff)


def test_cname_chain_and_loop(catalogue_scan):
    hosts = catalogue_scan[2]
    www = hosts["www.gov.example"].facts.resolution
    assert www.cname_chain == ["cdn.gov.example", "edge.cdn-provider.example"]
    assert www.canonical == "edge.cdn-provider.example"
    assert hosts["loop.gov.example"].facts.resolution.chain_outcome is Outcome.CNAME_LOOP


def test_dns_failures_are_never_no_ipv6(catalogue_scan):
    hosts = catalogue_scan[2]
    assert hosts["nx.gov.example"].facts.resolution.aaaa.outcome is Outcome.DNS_NXDOMAIN
    assert hosts["servfail.gov.example"].facts.resolution.aaaa.outcome is Outcome.DNS_SERVFAIL


def test_idn_host(catalogue_scan):
    rec = catalogue_scan[2][IDN_HOST]
    assert rec.facts.host == IDN_HOST.encode("idna").decode() and rec.facts.host.startswith("xn--")
    assert rec.facts.display == IDN_HOST


def test_redirect_to_ipv4_only_host_leaves_ipv6(catalogue_scan):
    rec = catalogue_scan[2]["redirect6.gov.example"]
    finals = {(p.family, p.scheme): p.final_outcome for p in rec.facts.web}
    assert finals[(Family.V6, "https")] is Outcome.REDIRECT_LEAVES_FAMILY
    assert finals[(Family.V4, "https")] is Outcome.OK


def test_name_servers_and_mail_over_ipv6(catalogue_scan):
    hosts = catalogue_scan[2]
    zone = hosts["dual.gov.example"].facts.zone
    assert zone.zone == "gov.example"
    v6_ns = [p for ns in zone.name_servers for p in ns.probes if p.family is Family.V6]
    assert len(v6_ns) == 2 and all(p.outcome is Outcome.OK for p in v6_ns)
    v6_mx = [p for mx in zone.mail_servers for p in mx.probes if p.family is Family.V6]
    assert v6_mx and all(p.outcome is Outcome.OK and p.banner.startswith("220") for p in v6_mx)
    checks = {c.id: c for c in hosts["dual.gov.example"].result.checks}
    assert checks["mx.ipv6"].status == "pass"
    assert checks["zone.dnssec"].status == "pass"  # DS + DNSKEY published

    nsv4 = hosts["www.nsv4.example"]
    assert nsv4.facts.zone.zone == "nsv4.example"
    assert not any(p.family is Family.V6 for ns in nsv4.facts.zone.name_servers for p in ns.probes if p.outcome is Outcome.OK)
    checks = {c.id: c for c in nsv4.result.checks}
    assert checks["mx.ipv6"].status == "fail"
    assert checks["zone.dnssec"].status == "fail" and checks["zone.dnssec"].reason == "dnssec_unsigned"

    onens = {c.id: c for c in hosts["www.onens.example"].result.checks}
    assert onens["ns.ipv6"].status in ("warn", "pass")


def test_dnssec_validated_from_the_trust_anchor_through_the_cli(catalogue_scan):
    hosts = catalogue_scan[2]

    def valid(host: str):
        return {c.id: c for c in hosts[host].result.checks}["zone.dnssec_valid"]

    secure = hosts["dual.gov.example"].facts.zone.dnssec.validation
    assert (secure.status, secure.anchor, [link.zone for link in secure.links]) == (
        DnssecStatus.SECURE, "example", ["example", "gov.example"])
    assert valid("dual.gov.example").status == "pass"
    # signed, DS right, signatures ran out a week ago: bogus, with when
    bad = valid("www.badsig.example")
    assert (bad.status, bad.reason) == ("fail", "dnssec_signature_expired") and "expired at" in bad.message
    assert hosts["www.badsig.example"].facts.zone.dnssec.validation.broken_at == "badsig.example"
    # presence alone says the same zone is signed: only validation tells
    assert {c.id: c for c in hosts["www.badsig.example"].result.checks}["zone.dnssec"].status == "pass"
    # unsigned, proven by example.'s signed NSEC
    insecure = valid("www.nsv4.example")
    assert (insecure.status, insecure.reason) == ("fail", "dnssec_insecure")
    # not in the verdict: the bogus zone's web host is still ready
    assert hosts["www.badsig.example"].result.verdict == "ready"


def test_a_malformed_trust_anchor_stops_the_scan_naming_the_line(lab, tmp_path):
    anchor = tmp_path / "anchor.txt"
    anchor.write_text("; mine\nexample. IN DS 1 13 2 abcd\n")
    targets = tmp_path / "t.txt"
    targets.write_text("dual.gov.example\n")
    args = [a for a in lab.cli_args(tmp_path)]
    args[args.index("--trust-anchor") + 1] = str(anchor)
    proc = run_cli("scan", str(targets), *args, "--no-db", "--lang", "en")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "line 2" in proc.stderr and "anchor.txt" in proc.stderr
    vi = run_cli("scan", str(targets), *args, "--no-db", "--lang", "vi")  # in Vietnamese, all of it
    assert vi.returncode == 2 and "dòng 2: không phải bản ghi DS hợp lệ" in vi.stderr, vi.stderr
    assert "line 2" not in vi.stderr and "not a valid" not in vi.stderr
    off = run_cli("scan", str(targets), *args, "--no-db", "--no-dnssec-validation", "-f", "jsonl")
    assert off.returncode == 0, off.stderr
    rec = next(line for line in parse_jsonl(off.stdout) if isinstance(line, HostRecord))
    assert rec.facts.zone.dnssec.validation is None


def test_zone_facts_looked_up_once_per_zone(catalogue_scan):
    *_, ns_queries = catalogue_scan
    # a dozen hosts in gov.example: one NS lookup, and one question to its parent's server for its glue
    assert ns_queries == (1, 1)


# ------------------------------------------------------------------ the whole service on IPv6 only


def test_what_the_page_loads_is_probed_over_ipv6_once_per_scan(catalogue_scan):
    _, _, hosts, _, _ = catalogue_scan
    rec = hosts["deps.gov.example"]
    page = rec.facts.page
    assert page is not None and page.family is Family.V6 and page.url == "https://deps.gov.example/"
    assert [(s.url, s.outcome, s.status) for s in page.stylesheets] == [
        ("https://deps.gov.example/site.css", Outcome.OK, 200)]
    deps = {d.host: d for d in page.dependencies}
    assert set(deps) == {"js.cdn-ok.example", "dead6.deps-cdn.example", "192.0.2.77", "fonts.cdn-ok.example",
                         "static4.deps-cdn.example", "redirect6.gov.example"}
    # a script whose host redirects elsewhere: followed, and where it lands (no AAAA) decides
    moved = deps["redirect6.gov.example"].probe
    assert (moved.outcome, moved.status) == (Outcome.OK, 301)
    assert (moved.redirect.url, moved.redirect.outcome) == ("https://v4only.gov.example/", Outcome.DNS_NODATA)
    assert page.skipped == 1  # the data: image
    assert deps["192.0.2.77"].literal is Family.V4 and deps["192.0.2.77"].probe is None
    assert (deps["js.cdn-ok.example"].probe.outcome, deps["js.cdn-ok.example"].probe.status) == (Outcome.OK, 200)
    assert deps["dead6.deps-cdn.example"].probe.outcome is Outcome.TIMEOUT
    assert deps["static4.deps-cdn.example"].probe.outcome is Outcome.DNS_NODATA
    assert deps["fonts.cdn-ok.example"].kinds == ["import"] and deps["fonts.cdn-ok.example"].in_css
    assert deps["fonts.cdn-ok.example"].probe.resolution.cname_chain == ["js.cdn-ok.example"]
    checks = {c.id: c for c in rec.result.checks}
    assert checks["deps.ipv6"].status == "fail" and rec.result.verdict == "ready"
    for host in ("static4.deps-cdn.example", "192.0.2.77", "dead6.deps-cdn.example",
                 "redirect6.gov.example → v4only.gov.example (script) has no AAAA"):
        assert host in checks["deps.ipv6"].message
    assert checks["deps.nat64"].reason == "nat64_never"
    assert checks["dns.chain_ipv6"].status == "pass"
    assert [n.zones for n in rec.facts.chain.names if n.name == "deps.gov.example"] == [["example", "gov.example"]]
    # A host without sub-resources still has its page read: nothing to load.
    assert {c.id: c for c in hosts["dual.gov.example"].result.checks}["deps.ipv6"].reason == "deps_none"
    # Mixed content: the HTTPS page loads an image, and its stylesheet a background, by plain http:
    assert [(r.kind, r.url, r.in_css) for r in page.insecure] == [
        ("image", "http://192.0.2.77/logo.png", False), ("css", "http://static4.deps-cdn.example/bg.png", True)]
    assert page.insecure_found == 2
    assert (checks["web.mixed_content"].status, checks["web.mixed_content"].reason) == ("warn", "mixed_passive")
    assert "http://192.0.2.77/logo.png (image)" in checks["web.mixed_content"].message
    dual = {c.id: c for c in hosts["dual.gov.example"].result.checks}["web.mixed_content"]
    assert (dual.status, dual.reason) == ("pass", "mixed_none")


def test_a_cname_into_a_zone_with_ipv4_only_name_servers_breaks_the_chain(catalogue_scan):
    _, _, hosts, _, _ = catalogue_scan
    rec = hosts["cname4ns.gov.example"]
    check = {c.id: c for c in rec.result.checks}["dns.chain_ipv6"]
    assert (check.status, check.reason) == ("fail", "chain_not_ipv6")
    assert "v4dns.example" in check.message and "edge.v4dns.example" in check.message
    assert rec.result.verdict == "ready"  # the front door works over IPv6; the IPv6-only criterion fails it


def test_a_zone_whose_name_server_is_named_in_an_ipv4_only_zone_breaks_the_chain(lab, lab_dir):
    """nsname4.example's only server, dns6.v4dns.example, answers over IPv6, but its name is in v4dns.example,
    whose own server has no AAAA: an IPv6-only resolver never learns dns6's address. The server's name is
    walked (role ns) and the zone is broken for that reason, named in both languages; show says it too."""
    proc = run_cli("scan", "-", *lab.cli_args(lab_dir), "--format", "jsonl", "--no-save", "--no-db",
                   stdin="www.nsname4.example\n")
    assert proc.returncode == 0, proc.stderr
    rec = next(line for line in parse_jsonl(proc.stdout) if isinstance(line, HostRecord))
    chain = rec.facts.chain
    assert chain is not None and chain.ns_walked
    assert [(n.name, n.zones) for n in chain.names if n.role == "ns"] == [
        ("dns6.v4dns.example", ["example", "v4dns.example"])]
    link = next(z for z in chain.zones if z.zone == "nsname4.example")
    assert [(s.name, [p.outcome for p in s.probes]) for s in link.servers] == [("dns6.v4dns.example", ["ok"])]
    check = {c.id: c for c in rec.result.checks}["dns.chain_ipv6"]
    assert (check.status, check.reason) == ("fail", "chain_not_ipv6")
    assert "nsname4.example (its name servers answer over IPv6, but are named in v4dns.example" in check.message
    assert "v4dns.example (no name server has an AAAA; needed for dns6.v4dns.example)" in check.message
    shown = shown_vi(lab_dir, proc.stdout, "nsname4.jsonl", "www.nsname4.example")
    assert "tên máy chủ tên miền không phân giải được qua IPv6" in shown
    assert "được đặt tên trong v4dns.example" in shown


def test_the_tls_profile_a_scan_chose_is_kept_with_each_host_and_judged_again_by_show(lab, lab_dir, tmp_path):
    """dual.gov.example accepts TLS 1.2 and 1.3: it passes Mozilla intermediate (the default) and fails Mozilla
    modern, which a scan may choose (--tls-profile). The choice is in the header's options and in each host's
    facts, so show (from the file or from the history) judges it against the same profile again."""
    db = tmp_path / "history.sqlite"
    proc = run_cli("scan", "-", *lab.cli_args(lab_dir), "--format", "jsonl", "--no-save", "--no-zone", "--db",
                   str(db), "--tls-profile", "mozilla-modern", stdin="dual.gov.example\n")
    assert proc.returncode == 0, proc.stderr
    lines = parse_jsonl(proc.stdout)
    assert lines[0].options["tls_profile"] == "mozilla-modern"
    rec = next(line for line in lines if isinstance(line, HostRecord))
    assert rec.facts.tls_profile == "mozilla-modern"
    for family in ("ipv4", "ipv6"):
        found = _checks(rec)[f"tls.profile.{family}"]
        assert (found.status, found.reason) == ("fail", "profile_old_versions")
        assert "Against Mozilla modern (Server Side TLS 5.7) (allows TLSv1.3)" in found.message
    scan_file = tmp_path / "modern.jsonl"
    scan_file.write_text(proc.stdout, encoding="utf-8")
    for source in (str(scan_file), "dual.gov.example"):
        shown = run_cli("show", source, "--format", "json", "--db", str(db), *(["--host", "dual.gov.example"]
                                                                                if source.endswith(".jsonl") else []))
        assert shown.returncode == 0, shown.stderr
        again = msgspec.json.decode(shown.stdout, type=HostRecord)
        assert _checks(again)["tls.profile.ipv6"].reason == "profile_old_versions", source
    vi = run_cli("show", str(scan_file), "--host", "dual.gov.example", "--lang", "vi", env={"COLUMNS": "200"})
    assert vi.returncode == 0 and "So với Mozilla modern" in vi.stdout, vi.stdout


def test_a_tls_profile_that_does_not_exist_is_a_usage_error_naming_those_that_do(lab, lab_dir):
    proc = run_cli("scan", "-", *lab.cli_args(lab_dir), "--no-save", "--no-db", "--tls-profile", "nist",
                   "--lang", "vi", stdin="dual.gov.example\n")
    assert proc.returncode == 2
    assert "Không có hồ sơ TLS nist; các hồ sơ: mozilla-intermediate, mozilla-modern, mozilla-old" in proc.stderr


def test_the_certificate_a_mail_server_shows_over_ipv6_after_starttls_is_judged_against_ipv4s(lab, lab_dir):
    """mx.mailcert6.example shows over IPv4 (192.0.2.27) a certificate for its name from the lab CA, over IPv6
    (2001:db8::27, another machine) one for another name: mx.cert6 fails naming the address and the problem;
    gov.example's mail server shows a good one on both families. show's mail table says it too (vi)."""
    proc = run_cli("scan", "-", *lab.cli_args(lab_dir), "--format", "jsonl", "--no-save", "--no-db",
                   stdin="dual.gov.example\nwww.mailcert6.example\n")
    assert proc.returncode == 0, proc.stderr
    hosts = {line.facts.host: line for line in parse_jsonl(proc.stdout) if isinstance(line, HostRecord)}
    (mx,) = hosts["www.mailcert6.example"].facts.zone.mail_servers
    seen = {p.address: (p.tls.name_matches, p.tls.issuer_in_store, p.tls.cert.san) for p in mx.probes}
    assert seen["192.0.2.27"][:2] == (True, True) and "mx.mailcert6.example" in seen["192.0.2.27"][2]
    assert seen["2001:db8::27"][:2] == (False, True)
    bad = {c.id: c for c in hosts["www.mailcert6.example"].result.checks}["mx.cert6"]
    assert (bad.status, bad.reason) == ("fail", "cert6_worse")
    assert "where 192.0.2.27 holds up over IPv4: 2001:db8::27 (mx.mailcert6.example): the certificate does not " \
           "name the server" in bad.message
    good = {c.id: c for c in hosts["dual.gov.example"].result.checks}["mx.cert6"]
    assert (good.status, good.reason) == ("pass", "cert6_ok")
    shown = shown_vi(lab_dir, proc.stdout, "mailcert6.jsonl", "www.mailcert6.example", columns="240")
    assert "Chứng thư" in shown and "chứng thư không ghi tên máy chủ" in shown


def test_a_zone_whose_parent_gives_no_aaaa_glue_for_its_in_zone_name_server_breaks_the_chain(lab, lab_dir):
    """glue6.example's own server (a server of that zone alone, answering with referrals) delegates
    noglue.glue6.example to ns.noglue.glue6.example with an A glue record only, and glued.glue6.example with A
    and AAAA glue. The scan asks the parent's server over IPv6 for each zone's NS, as a resolver walking down:
    the first zone is out of an IPv6-only resolver's reach, the second is not; show names the state (vi)."""
    proc = run_cli("scan", "-", *lab.cli_args(lab_dir), "--format", "jsonl", "--no-save", "--no-db",
                   stdin="www.noglue.glue6.example\nwww.glued.glue6.example\n")
    assert proc.returncode == 0, proc.stderr
    hosts = {line.facts.host: line for line in parse_jsonl(proc.stdout) if isinstance(line, HostRecord)}
    links = {z.zone: z for z in hosts["www.noglue.glue6.example"].facts.chain.zones}
    glue = links["noglue.glue6.example"].glue
    assert (glue.parent, glue.address, glue.outcome, glue.referral) == ("glue6.example", "2001:db8::70", "ok", True)
    assert [(g.name, g.a, g.aaaa) for g in glue.names] == [("ns.noglue.glue6.example", ["192.0.2.71"], [])]
    assert links["glue6.example"].glue.referral is False  # example.'s server serves glue6.example too
    bad = {c.id: c for c in hosts["www.noglue.glue6.example"].result.checks}["dns.chain_ipv6"]
    assert (bad.status, bad.reason) == ("fail", "chain_not_ipv6")
    assert ("noglue.glue6.example (its name servers answer over IPv6, but glue6.example gives no IPv6 address "
            "(AAAA glue) for ns.noglue.glue6.example, named inside it") in bad.message
    good = {c.id: c for c in hosts["www.glued.glue6.example"].result.checks}["dns.chain_ipv6"]
    assert (good.status, good.reason) == ("pass", "chain_ipv6")
    shown = shown_vi(lab_dir, proc.stdout, "glue6.jsonl", "www.noglue.glue6.example", columns="240")
    assert "vùng cha thiếu glue AAAA cho máy chủ tên miền" in shown


def test_a_parent_that_delegates_only_to_servers_without_ipv6_breaks_the_chain(lab, lab_dir):
    """glue6.example's own server still delegates stale.glue6.example to ns.nsv4.example (no AAAA), which that
    zone no longer lists: its own NS set, ns1.gov.example, answers over IPv6, but an IPv6-only resolver walking
    down starts from the referral and never gets in. moved.glue6.example's referral names ns1.gov.example
    beside the old server: the zone is reached, and the old server, named by the parent only, is on the path as
    every name server is (its zone, nsv4.example, has no IPv6); show says both (vi)."""
    proc = run_cli("scan", "-", *lab.cli_args(lab_dir), "--format", "jsonl", "--no-save", "--no-db",
                   stdin="www.stale.glue6.example\nwww.moved.glue6.example\n")
    assert proc.returncode == 0, proc.stderr
    hosts = {line.facts.host: line for line in parse_jsonl(proc.stdout) if isinstance(line, HostRecord)}
    stale = {z.zone: z for z in hosts["www.stale.glue6.example"].facts.chain.zones}["stale.glue6.example"]
    assert (stale.glue.parent, stale.glue.referral, stale.glue.delegated) == ("glue6.example", True,
                                                                             ["ns.nsv4.example"])
    assert [s.name for s in stale.servers] == ["ns1.gov.example"]
    assert [(s.name, s.aaaa_outcome, s.probes) for s in stale.parent_only] == [("ns.nsv4.example", "dns_nodata", [])]
    bad = {c.id: c for c in hosts["www.stale.glue6.example"].result.checks}["dns.chain_ipv6"]
    assert (bad.status, bad.reason) == ("fail", "chain_not_ipv6")
    assert ("stale.glue6.example (the referral from glue6.example names ns.nsv4.example, none of which answers over "
            "IPv6; those that do (ns1.gov.example) are not in it; needed for www.stale.glue6.example)") in bad.message
    moved_host = hosts["www.moved.glue6.example"]
    moved = {z.zone: z for z in moved_host.facts.chain.zones}["moved.glue6.example"]
    assert moved.glue.delegated == ["ns.moved.glue6.example", "ns.nsv4.example", "ns1.gov.example"]
    # (the in-zone one is asked where a resolver finds it, its glue: an A record alone, so no AAAA)
    assert [(s.name, s.aaaa_outcome, s.probes) for s in moved.parent_only] == [
        ("ns.moved.glue6.example", "dns_nodata", []), ("ns.nsv4.example", "dns_nodata", [])]
    # both drifts are named by the notice dns.delegation, which never counts
    drift = {c.id: c for c in hosts["www.stale.glue6.example"].result.checks}["dns.delegation"]
    assert (drift.status, drift.reason) == ("warn", "delegation_mismatch")
    assert ("stale.glue6.example (named only by glue6.example's referral: ns.nsv4.example; listed only by the zone: "
            "ns1.gov.example)") in drift.message
    assert {c.id: c for c in moved_host.result.checks}["dns.delegation"].status == "warn"
    moved_chain = {c.id: c for c in moved_host.result.checks}["dns.chain_ipv6"]
    # the zone itself is reached (through ns1.gov.example); the old server's own zone is on the path all the same
    assert "moved.glue6.example (" not in moved_chain.message
    assert "nsv4.example (no name server has an AAAA; needed for ns.nsv4.example)" in moved_chain.message
    for host, said in (("www.stale.glue6.example", "vùng cha ủy quyền cho máy chủ không trả lời qua IPv6"),
                       ("www.moved.glue6.example", "ns.moved.glue6.example (chỉ vùng cha ủy quyền): không có AAAA")):
        shown = shown_vi(lab_dir, proc.stdout, "delegation.jsonl", host, columns="240")
        assert said in shown, shown


def test_mail_servers_ipv6_addresses_in_reverse_dns_in_spf_and_with_starttls(lab, lab_dir):
    """gov.example's mail server (2001:db8::25) has a PTR, mail.gov.example, whose AAAA is that address, the
    zone's SPF (mx) passes both its addresses, and both encrypt (STARTTLS); nsname4.example's (mx6,
    2001:db8::26) has no PTR, its SPF lists the IPv4 address only, and only its IPv4 offers STARTTLS."""
    proc = run_cli("scan", "-", *lab.cli_args(lab_dir), "--format", "jsonl", "--no-save", "--no-db",
                   stdin="dual.gov.example\nwww.nsname4.example\n")
    assert proc.returncode == 0, proc.stderr
    hosts = {line.facts.host: line for line in parse_jsonl(proc.stdout) if isinstance(line, HostRecord)}
    good = hosts["dual.gov.example"]
    (mail,) = good.facts.zone.mail_servers
    (reverse,) = mail.reverse
    assert (reverse.address, reverse.ptr.records, reverse.confirmed) == ("2001:db8::25", ["mail.gov.example"],
                                                                         ["mail.gov.example"])
    check = {c.id: c for c in good.result.checks}["mx.ptr6"]
    assert (check.status, check.reason) == ("pass", "ptr6_ok")
    assert check.message == "Each IPv6 address of the mail servers resolves back through its PTR: 2001:db8::25 → mail.gov.example"
    bad = {c.id: c for c in hosts["www.nsname4.example"].result.checks}["mx.ptr6"]
    assert (bad.status, bad.reason) == ("fail", "ptr6_missing")
    assert "2001:db8::26 (mx6.nsname4.example) has no PTR" in bad.message
    spf = {c.id: c for c in good.result.checks}["mx.spf6"]
    assert (spf.status, spf.reason, good.facts.zone.spf.record) == ("pass", "spf6_ok", "v=spf1 mx -all")
    assert [(c.address, c.result, c.term) for c in good.facts.zone.spf.checks] == [
        ("192.0.2.25", "pass", "mx"), ("2001:db8::25", "pass", "mx")]
    v4_only = {c.id: c for c in hosts["www.nsname4.example"].result.checks}["mx.spf6"]
    assert (v4_only.status, v4_only.reason) == ("fail", "spf6_not_covered")
    assert v4_only.message.startswith("The SPF of nsname4.example authorises 192.0.2.26 but not the IPv6 addresses")
    assert v4_only.message.endswith("2001:db8::26 (mx6.nsname4.example): fail")
    tls6 = {c.id: c for c in good.result.checks}["mx.starttls6"]
    assert (tls6.status, tls6.reason) == ("pass", "starttls6_ok")
    assert {(p.family, p.starttls, "STARTTLS" in p.ehlo) for p in mail.probes} == {("ipv4", "ok", True),
                                                                                    ("ipv6", "ok", True)}
    plain6 = {c.id: c for c in hosts["www.nsname4.example"].result.checks}["mx.starttls6"]
    assert (plain6.status, plain6.reason) == ("fail", "starttls6_missing")
    assert plain6.message == ("Mail over IPv6 travels unencrypted where 192.0.2.26 encrypts over IPv4: "
                              "2001:db8::26 (mx6.nsname4.example) offers no STARTTLS")
    shown = shown_vi(lab_dir, proc.stdout, "ptr6.jsonl", "www.nsname4.example")
    assert "2001:db8::26 (mx6.nsname4.example) không có bản ghi PTR" in shown
    assert "SPF của nsname4.example cho phép 192.0.2.26 nhưng không cho phép các địa chỉ IPv6" in shown
    # the mail servers' table: one row per address (greeting, STARTTLS, PTR, SPF)
    assert re.search(r"mx6\.nsname4\.example\s+2001:db8::26\s+✓\s+không hỗ trợ\s+không có PTR\s+không đạt \(fail\)",
                     shown), shown
    assert re.search(r"mx6\.nsname4\.example\s+192\.0\.2\.26\s+✓\s+TLSv1\.3\s+✓\s+—\s+đạt", shown)


def test_no_subresources_turns_the_page_off(lab, lab_dir):
    before = len(lab.web.requests)
    proc = run_cli("scan", "-", *lab.cli_args(lab_dir), "--format", "jsonl", "--no-save", "--no-db",
                   "--no-subresources", stdin="deps.gov.example\n")
    assert proc.returncode == 0, proc.stderr
    rec = next(line for line in parse_jsonl(proc.stdout) if isinstance(line, HostRecord))
    assert rec.facts.page is None and rec.facts.subresources is False
    assert {c.id: c for c in rec.result.checks}["deps.ipv6"].reason == "deps_not_checked"
    assert not any("cdn-ok" in request[2] for request in lab.web.requests[before:])
    assert any("deps.gov.example" in request[2] for request in lab.web.requests[before:])


def test_a_host_cut_by_its_time_budget_says_its_page_is_unknown_not_absent(lab, lab_dir):
    """timeout6.gov.example's IPv6 never answers: with a 1 s budget and 30 s timeouts no page is read in time."""
    proc = run_cli("scan", "-", *lab.cli_args(lab_dir), "--timeout", "30", "--read-timeout", "30",
                   "--host-budget", "1", "--format", "jsonl", "--no-save", "--no-db", stdin="timeout6.gov.example\n")
    assert proc.returncode == 0, proc.stderr
    rec = next(line for line in parse_jsonl(proc.stdout) if isinstance(line, HostRecord))
    assert rec.facts.budget_exhausted and rec.facts.page is None
    for cid in ("deps.ipv6", "web.mixed_content"):
        found = {c.id: c for c in rec.result.checks}[cid]
        assert (found.status, found.reason) == ("untestable", "deps_budget"), cid


# ------------------------------------------------------------------ formats, input, exit codes


def test_json_format_is_one_document(lab, lab_dir):
    proc = run_cli("scan", "-", *lab.cli_args(lab_dir), "--format", "json", "--no-save", stdin="dual.gov.example\n")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["schema_version"] == SCHEMA_VERSION
    assert [h["result"]["verdict"] for h in doc["hosts"]] == ["ready"]
    assert doc["summary"]["hosts"] == 1 and doc["input_errors"] == []


def test_table_format(lab, lab_dir):
    proc = run_cli("scan", "-", *lab.cli_args(lab_dir), "--no-save", stdin="dual.gov.example\nv4only.gov.example\n")
    assert proc.returncode == 0, proc.stderr
    for text in ("dual.gov.example", "Ready", "v4only.gov.example", "No IPv6", "2 hosts",
                 "The name has no IPv6 (AAAA) address"):
        assert text in proc.stdout


def test_bad_lines_are_reported_and_the_scan_goes_on(lab, lab_dir):
    targets = lab_dir / "mixed.csv"
    targets.write_text("host,org,kind\n192.0.2.10,X,portal\ndual.gov.example,Đà Nẵng,portal\nbad..name,X,other\nhttps://DUAL.gov.example/x,X,portal\n", encoding="utf-8")
    proc = run_cli("scan", str(targets), *lab.cli_args(lab_dir), "--format", "jsonl", "--no-save")
    assert proc.returncode == 0, proc.stderr
    lines = parse_jsonl(proc.stdout)
    errors = [line for line in lines if isinstance(line, InputError)]
    hosts = [line for line in lines if isinstance(line, HostRecord)]
    assert sorted(e.line for e in errors) == [2, 4]
    assert "IP address" in next(e for e in errors if e.line == 2).problem
    assert [h.facts.host for h in hosts] == ["dual.gov.example"]  # duplicate merged
    assert hosts[0].facts.org == "Đà Nẵng" and hosts[0].facts.kind == "portal" and hosts[0].facts.line == 3


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["scan", "/nonexistent/list.txt"], 2, "no such file"),
        (["scan", "-", "--resolver", "not-an-ip"], 2, "not an IP address"),
        (["scan", "-", "--allow-special", "10.0.0.0/33"], 2, "not an IP prefix"),
        (["scan", "-", "--format", "xml"], 2, "xml"),
        (["scan", "-", "--no-save", "--format", "jsonl", "-o", "/proc/forbidden/out.jsonl"], 3, "cannot write output"),
    ],
)
def test_exit_codes(args, code, message):
    proc = run_cli(*args, stdin="dual.gov.example\n")
    assert proc.returncode == code, (proc.stdout, proc.stderr)
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr


def test_unreachable_resolver_is_a_dns_timeout_not_no_ipv6(lab, lab_dir):
    args = lab.cli_args(lab_dir)
    args[args.index("--resolver") + 1] = "127.0.0.1:9"  # nothing listens there
    proc = run_cli("scan", "-", *args, "--format", "jsonl", "--no-save", "--dns-timeout", "0.2", stdin="dual.gov.example\n")
    assert proc.returncode == 0, proc.stderr
    rec = next(line for line in parse_jsonl(proc.stdout) if isinstance(line, HostRecord))
    assert rec.result.verdict == "unresolvable"


def test_scanner_without_ipv6_reports_untestable(lab, lab_dir):
    args = lab.cli_args(lab_dir)
    args[args.index("--ipv6") + 1] = "no"
    proc = run_cli("scan", "-", *args, "--format", "jsonl", "--no-save", stdin="dual.gov.example\nrefuse6.gov.example\n")
    assert proc.returncode == 0, proc.stderr
    recs = [line for line in parse_jsonl(proc.stdout) if isinstance(line, HostRecord)]
    assert {r.result.verdict for r in recs} == {"untestable"}
    assert all(p.outcome is Outcome.UNTESTABLE for r in recs for p in r.facts.web if p.family is Family.V6)


def test_special_addresses_not_probed_unless_allowed(lab, lab_dir):
    args = [a for a in lab.cli_args(lab_dir)]
    while "--allow-special" in args:
        i = args.index("--allow-special")
        del args[i : i + 2]
    proc = run_cli("scan", "-", *args, "--format", "jsonl", "--no-save", stdin="dual.gov.example\n")
    rec = next(line for line in parse_jsonl(proc.stdout) if isinstance(line, HostRecord))
    assert {p.outcome for p in rec.facts.web} == {Outcome.SKIPPED_NON_GLOBAL}
    assert rec.result.verdict == "broken_ipv6" and "aaaa_not_global" in rec.result.reasons


def test_show_rejudges_a_saved_scan_offline(catalogue_scan, tmp_path):
    _, lines, _, reports, _ = catalogue_scan
    saved = next(reports.glob("scan-*.jsonl"))
    proc = run_cli("show", str(saved), "--format", "jsonl")
    assert proc.returncode == 0, proc.stderr
    again = parse_jsonl(proc.stdout)
    before = {line.facts.host: line.result for line in lines if isinstance(line, HostRecord)}
    after = {line.facts.host: line.result for line in again if isinstance(line, HostRecord)}
    assert after == before
    # a damaged file: the bad line is named, the rest still shown
    damaged = tmp_path / "damaged.jsonl"
    raw = saved.read_text().splitlines()
    damaged.write_text("\n".join(raw[:3] + ["{not json"] + raw[3:6]) + "\n")
    proc = run_cli("show", str(damaged))
    assert proc.returncode == 0
    assert f"{damaged}:4" in proc.stderr and "cut short" in proc.stderr


def test_show_one_host_in_full_from_a_scan_file_or_the_history(catalogue_scan, lab, lab_dir, tmp_path):
    _, _, _, reports, _ = catalogue_scan
    saved = next(reports.glob("scan-*.jsonl"))
    proc = run_cli("show", str(saved), "--host", "deps.gov.example", "--lang", "vi", env={"COLUMNS": "200"})  # (a line each)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for text in ("deps.gov.example — Sẵn sàng IPv6", "✗ deps.ipv6", "Trang đã đọc: https://deps.gov.example/ (qua IPv6",
                 "Tệp CSS đã đọc: https://deps.gov.example/site.css (HTTP 200)", "js.cdn-ok.example",
                 "static4.deps-cdn.example", "không có AAAA (chỉ qua NAT64)", "địa chỉ IPv4 trong URL (không bao giờ)",
                 "2001:db8::45 quá thời gian chờ", "cho deps.gov.example", "Chuỗi phân giải tên miền qua IPv6",
                 "deps-cdn.example"):
        assert text in out, text
    for english in ("timed out", "no AAAA records", "answers over IPv6", "Checks"):
        assert english not in out, english
    # By host name: the latest record in the history database, as JSON too.
    db = tmp_path / "history.sqlite"
    scan = run_cli("scan", "-", *lab.cli_args(lab_dir), "--no-save", "--db", str(db), stdin="cname4ns.gov.example\n")
    assert scan.returncode == 0, scan.stderr
    proc = run_cli("show", "cname4ns.gov.example", "--db", str(db), "--lang", "en", env={"COLUMNS": "160"})
    assert proc.returncode == 0, proc.stderr
    assert "v4dns.example" in proc.stdout and "no name server has an AAAA" in proc.stdout
    assert "edge.v4dns.example" in proc.stdout
    as_json = run_cli("show", "cname4ns.gov.example", "--db", str(db), "--format", "json")
    rec = msgspec.json.decode(as_json.stdout, type=HostRecord)
    assert rec.facts.chain is not None and {z.zone for z in rec.facts.chain.zones} >= {"example", "v4dns.example"}
    missing = run_cli("show", "nowhere.gov.example", "--db", str(db), "--lang", "en")
    assert missing.returncode == 3 and "No scan in" in missing.stderr
    not_in_file = run_cli("show", str(saved), "--host", "nowhere.gov.example", "--lang", "en")
    assert not_in_file.returncode == 3 and "nowhere.gov.example is not in" in not_in_file.stderr
    assert run_cli("show", str(tmp_path / "gone.jsonl")).returncode == 2


def test_demo_runs_the_lab(tmp_path):
    proc = run_cli("demo", "--format", "jsonl", "--no-save", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    recs = {line.facts.display: line for line in parse_jsonl(proc.stdout) if isinstance(line, HostRecord)}
    assert {s.host for s in SCENARIOS} == set(recs)
    assert all(recs[s.host].result.verdict == s.verdict for s in SCENARIOS)


# ------------------------------------------------------------------ phase reports from a saved scan


def test_report_scores_a_saved_scan_offline(catalogue_scan, tmp_path):
    from ipv6scan.report import read_json

    saved = next(catalogue_scan[3].glob("scan-*.jsonl"))
    out = tmp_path / "out"
    proc = run_cli("report", str(saved), "--out-dir", str(out), "--lang", "vi")
    assert proc.returncode == 0, proc.stderr
    assert "Tỉnh Mẫu A" in proc.stdout and "Giai đoạn 1" in proc.stdout
    files = sorted(p.name for p in out.iterdir())
    assert [f.rsplit(".", 1)[1] for f in files] == ["csv", "csv", "csv", "html", "json", "md", "xlsx"]
    import openpyxl

    book = openpyxl.load_workbook(next(out.glob("*.xlsx")), read_only=True)
    assert book.sheetnames[:2] == ["Tổng hợp", "Hệ thống"] and "Tỉnh Mẫu A" in book.sheetnames
    report = read_json(next(out.glob("*.json")))
    orgs = {o.org: o for o in report.orgs}
    assert orgs["Tỉnh Mẫu A"].attained[:1] == ["phase1"]
    phase1 = {o: next(p.state for p in orgs[o].phases if p.phase == "phase1") for o in orgs}
    assert phase1["Tỉnh Mẫu A"] == "pass" and phase1["Tỉnh Mẫu B"] == "fail"
    assert phase1["Tỉnh Mẫu E"] == "unknown"  # unresolvable hosts are never counted as failing or compliant
    totals = {t.phase: t for t in report.phases}
    assert (totals["phase1"].orgs_attained, totals["phase1"].orgs_unknown, totals["phase1"].orgs_total) == (3, 1, 7)
    md = next(out.glob("*.md")).read_text(encoding="utf-8")
    assert "Tỉnh Mẫu A" in md
    # The third parties that break services on IPv6 only, ranked, in every format
    assert "| static4.deps-cdn.example | không có AAAA | tệp nêu trong CSS | 1 | 1 | deps.gov.example |" in md
    # and the government sites a portal links to that an IPv6-only citizen cannot open (a click away)
    assert "| v4only.gov.example | không có AAAA | trang liên kết tới | 1 | 1 | dual.gov.example |" in md
    linked = next(tp for tp in report.third_parties if tp.name == "timeout6.gov.example")
    assert (linked.role, linked.state, linked.outcome, linked.kinds) == ("link", "broken", "timeout", ["link"])
    assert {tp.name for tp in report.third_parties} >= {"192.0.2.77", "dead6.deps-cdn.example",
                                                        "static4.deps-cdn.example", "v4dns.example", "nsv4.example"}
    third = next(out.glob("*-third-parties.csv")).read_text(encoding="utf-8-sig")
    assert "vùng v4dns.example,không máy chủ tên miền nào có AAAA" in third
    sheet = book[book.sheetnames[-1]]
    assert book.sheetnames[-1] == "Bên thứ ba" and any("dead6.deps-cdn.example" in str(c.value) for r in sheet.iter_rows()
                                                        for c in r)
    ipv6only = next(c for c in next(h for h in report.hosts if h.host == "deps.gov.example").criteria
                    if c.criterion == "ipv6only_web")
    assert ipv6only.state == "fail" and "deps_not_ipv6" in ipv6only.reasons
    assert next(out.glob("*-orgs.csv")).read_bytes().startswith(b"\xef\xbb\xbf")


def test_report_in_english_under_another_policy(catalogue_scan, tmp_path):
    saved = next(catalogue_scan[3].glob("scan-*.jsonl"))
    proc = run_cli("report", str(saved), "--out-dir", str(tmp_path), "--lang", "en", "--policy", "strict-example",
                   "--format", "json", "--no-terminal")
    assert proc.returncode == 0, proc.stderr
    assert [p.suffix for p in tmp_path.iterdir()] == [".json"]
    bad = run_cli("report", str(saved), "--policy", str(tmp_path / "missing.toml"))
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_a_host_repeated_in_a_scan_file_counts_once_in_show_and_report(lab, lab_dir):
    scan_file = lab_dir / "twice.jsonl"
    proc = run_cli("scan", "-", *lab.cli_args(lab_dir), "--no-save", "--no-db", "--format", "jsonl",
                   "-o", str(scan_file), stdin="dual.gov.example\nv4only.gov.example\n")
    assert proc.returncode == 0, proc.stderr
    lines = scan_file.read_text(encoding="utf-8").splitlines()
    host_lines = [l for l in lines if '"type":"host"' in l]
    scan_file.write_text("\n".join([*lines[:-1], *host_lines, host_lines[0], lines[-1]]) + "\n", encoding="utf-8")
    shown = run_cli("show", str(scan_file))
    assert "2 hosts in" in shown.stdout and "3 records repeat a host" in shown.stderr, shown.stdout + shown.stderr
    report = run_cli("report", str(scan_file), "--out-dir", str(lab_dir / "twice"), "--format", "json", "--lang", "en")
    assert report.returncode == 0 and "3 records repeat a host" in report.stderr
    (doc,) = (lab_dir / "twice").glob("*.json")
    assert len(json.loads(doc.read_text(encoding="utf-8"))["hosts"]) == 2


def test_https_as_the_law_asks(catalogue_scan):
    """Circular 32 art. 20: HTTP redirects to HTTPS on the same site, HTTPS valid (web.https_enforced)."""
    _, _, hosts, _, _ = catalogue_scan
    secure = {c.id: c for c in hosts["secure.gov.example"].result.checks}
    assert (secure["web.https_enforced"].status, secure["web.https_enforced"].reason) == ("pass", "https_enforced")
    assert secure["tls.hsts"].status == "pass"
    plain = {c.id: c for c in hosts["dual.gov.example"].result.checks}["web.https_enforced"]
    assert (plain.status, plain.reason) == ("fail", "http_not_redirected")
    assert "192.0.2.10" in plain.message and "2001:db8::10" in plain.message
    expired = {c.id: c for c in hosts["expired.gov.example"].result.checks}["web.https_enforced"]
    assert expired.reason == "https_not_valid"


def test_the_footer_circular_32_asks_for_is_read_from_the_page(catalogue_scan):
    """secure.gov.example's page shows its owning agency, the person responsible, its address, telephone,
    e-mail and a link to its site map (web.site_info passes, what was seen kept in the facts);
    dual.gov.example's shows none of them: a warning naming each, which never counts for the verdict."""
    _, _, hosts, _, _ = catalogue_scan
    secure = hosts["secure.gov.example"]
    assert secure.facts.page.site_info.email == "vanphong@secure.gov.example"
    assert secure.facts.page.site_info.sitemap == "https://secure.gov.example/so-do-cong"
    assert {c.id: c for c in secure.result.checks}["web.site_info"].status == "pass"
    dual = hosts["dual.gov.example"]
    bare = {c.id: c for c in dual.result.checks}["web.site_info"]
    assert (bare.status, bare.reason) == ("warn", "site_info_missing")
    assert dual.result.verdict == "ready"
    # the XML sitemap is asked of portals by default: dual.gov.example is one, secure.gov.example a website
    assert secure.facts.page.site_info.xml_sitemap is None
    xml = dual.facts.page.site_info.xml_sitemap
    assert (xml.url, xml.status, xml.found, xml.robots) == ("https://dual.gov.example/sitemap.xml", 200, False, False)
    assert "an XML sitemap (sitemap.xml or one named in robots.txt)" in bare.message


def test_the_xml_sitemap_is_found_where_robots_txt_says_when_sitemap_xml_is_none(lab, lab_dir):
    """--xml-sitemap all: secure.gov.example's /sitemap.xml is its page again (no sitemap), its robots.txt names
    /sitemap-index.xml, a <sitemapindex>: found, at the address the page was read from."""
    proc = run_cli("scan", "-", *lab.cli_args(lab_dir), "--format", "jsonl", "--no-save", "--no-db", "--no-zone",
                   "--xml-sitemap", "all", stdin="secure.gov.example\n")
    assert proc.returncode == 0, proc.stderr
    (host,) = [line for line in parse_jsonl(proc.stdout) if isinstance(line, HostRecord)]
    xml = host.facts.page.site_info.xml_sitemap
    assert (xml.url, xml.status, xml.found, xml.robots) == ("https://secure.gov.example/sitemap-index.xml", 200,
                                                            True, True)
    assert xml.address == host.facts.page.address
    assert {c.id: c for c in host.result.checks}["web.site_info"].status == "pass"
    shown = shown_vi(lab_dir, proc.stdout, "sitemap.jsonl", "secure.gov.example")
    assert "cơ quan chủ quản: Cơ quan chủ quản: Ủy ban nhân dân Tỉnh Mẫu A" in shown  # (what was seen)
    assert "https://secure.gov.example/sitemap-index.xml (HTTP 200) đúng định dạng sơ đồ XML" in shown


def test_the_basic_security_headers_are_read_from_every_https_answer(catalogue_scan):
    """secure.gov.example sends nosniff, a CSP with frame-ancestors and a Referrer-Policy (web.security_headers
    passes); dual.gov.example sends none of them: a warning naming each address, never counted."""
    _, _, hosts, _, _ = catalogue_scan
    secure = {c.id: c for c in hosts["secure.gov.example"].result.checks}["web.security_headers"]
    assert (secure.status, secure.reason) == ("pass", "security_headers_ok")
    dual = hosts["dual.gov.example"]
    bare = {c.id: c for c in dual.result.checks}["web.security_headers"]
    assert (bare.status, bare.reason) == ("warn", "security_headers_missing")
    assert ("192.0.2.10 lacks X-Content-Type-Options, X-Frame-Options, Content-Security-Policy and Referrer-Policy"
            in bare.message) and "2001:db8::10 lacks" in bare.message
    assert dual.result.verdict == "ready"


def test_a_security_header_on_one_family_only(catalogue_scan):
    _, _, hosts, _, _ = catalogue_scan
    found = {c.id: c for c in hosts["diff6.gov.example"].result.checks}["parity.headers"]
    assert (found.status, found.reason) == ("warn", "headers_differ")
    assert "X-Frame-Options (IPv4: deny; IPv6: none)" in found.message
    assert {c.id: c for c in hosts["dual.gov.example"].result.checks}["parity.headers"].status == "pass"


def test_ipv6_answering_late_is_a_warning_with_the_figures(catalogue_scan):
    _, _, hosts, _, _ = catalogue_scan
    rec = hosts["late6.gov.example"]
    found = {c.id: c for c in rec.result.checks}["web.latency"]
    assert (found.status, found.reason) == ("warn", "ipv6_slower") and "2001:db8::18 answers in" in found.message
    v6 = [p for p in rec.facts.web if p.family is Family.V6]
    assert all(p.first_byte_ms >= 600 and p.connect_ms < 300 for p in v6), [(p.connect_ms, p.first_byte_ms) for p in v6]
    assert rec.result.verdict == "ready"
    assert {c.id: c for c in hosts["dual.gov.example"].result.checks}["web.latency"].status == "pass"


def _checks(rec):
    return {c.id: c for c in rec.result.checks}


def test_tls_versions_are_asked_one_by_one_and_judged_against_the_profile_per_family(catalogue_scan):
    _, _, hosts, _, _ = catalogue_scan
    old = hosts["oldtls.gov.example"]
    for p in old.facts.web:
        if p.scheme == "https":
            got = {t.version: (t.accepted, t.how) for t in p.tls.versions}
            assert got == {"TLSv1": (True, "alone"), "TLSv1.1": (True, "alone"), "TLSv1.2": (True, "alone"),
                           "TLSv1.3": (True, "negotiated")}, (p.address, p.tls.versions)
    for family in ("ipv4", "ipv6"):
        found = _checks(old)[f"tls.profile.{family}"]
        assert (found.status, found.reason) == ("fail", "profile_old_versions")
        assert "accepts TLSv1 and TLSv1.1" in found.message and "Mozilla intermediate" in found.message
    assert old.result.verdict == "ready"  # compliance, not reachability: a policy scores it
    tls12 = _checks(hosts["tls12.gov.example"])
    assert (tls12["tls.profile.ipv6"].status, tls12["tls.profile.ipv6"].reason) == ("warn", "profile_missing_recommended")
    v6 = next(p for p in hosts["tls12.gov.example"].facts.web if p.scheme == "https" and p.family is Family.V6)
    assert {t.version: t.how for t in v6.tls.versions}["TLSv1.3"] == "not_chosen"
    dual = _checks(hosts["dual.gov.example"])
    assert dual["tls.profile.ipv4"].status == dual["tls.profile.ipv6"].status == "pass"
    assert "2001:db8::10 port 443 accepts TLSv1.2 and TLSv1.3 only" in dual["tls.profile.ipv6"].message


def test_the_chain_as_served_tells_a_missing_intermediate_from_an_untrusted_issuer_or_root(catalogue_scan):
    _, _, hosts, _, _ = catalogue_scan
    want = {
        "dual.gov.example": ("pass", "chain_ok"),
        "chain.gov.example": ("pass", "chain_ok"),
        "nointer.gov.example": ("fail", "chain_missing_intermediate"),
        "badroot.gov.example": ("fail", "chain_untrusted_root"),
        "badcert6.gov.example": ("fail", "chain_self_signed"),
    }
    for host, expected in want.items():
        found = _checks(hosts[host])["tls.chain"]
        assert (found.status, found.reason) == expected, (host, found.message)
    chained = next(p for p in hosts["chain.gov.example"].facts.web if p.scheme == "https")
    assert len(chained.tls.intermediates) == 1 and chained.tls.intermediates[0].subject == chained.tls.cert.issuer
    missing = _checks(hosts["nointer.gov.example"])["tls.chain"].message
    assert "does not send the certificate of" in missing and "http://ca.gov.example/intermediate.crt" in missing
    root = next(p for p in hosts["badroot.gov.example"].facts.web if p.scheme == "https")
    assert len(root.tls.intermediates) == 2 and root.tls.intermediates[-1].self_signed


def test_the_host_name_is_stated_even_when_the_chain_fails_first(catalogue_scan):
    _, _, hosts, _, _ = catalogue_scan
    nointer = _checks(hosts["nointer.gov.example"])
    assert nointer["tls.ipv6"].status == "fail"  # OpenSSL stopped at the chain...
    assert nointer["tls.name"].status == "pass"  # ...and the name is still said
    wrong = _checks(hosts["shared-b.gov.example"])["tls.name"]
    assert (wrong.status, wrong.reason) == ("fail", "name_mismatch") and "wrong.invalid" in wrong.message
