"""End to end against real server software: BIND, nginx, exim and nftables in network namespaces.

The lab (netlab/) is brought up once for this module: a server namespace holding every
service address (documentation prefixes only) and a client namespace where the real
``ipv6scan`` CLI runs, resolving through a recursive BIND that knows only the lab root.
Each scenario of ``netlab/scenarios.py`` must get its verdict, reasons and check statuses.

Needs root, ``ip netns`` and the Debian packages of ``netlab/install-deps.sh``; without
them every test here is skipped with the reason. Set NETLAB_KEEP=1 to keep the lab's
working directory (configs, logs) after the run; the namespaces are always deleted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from netlab.lab import (
    REPO,
    LabError,
    LabUnavailable,
    NetLab,
    stale_test_labs,
    unavailable_reason,
)
from netlab.scenarios import BY_HOST, IDN_HOST, SCENARIOS


@pytest.fixture(scope="module")
def netlab():
    reason = unavailable_reason()
    if reason:
        pytest.skip(f"network namespaces unavailable: {reason}")
    for stale in stale_test_labs():  # left by a test run that was killed
        stale.down()
    lab = NetLab(f"ipv6lab-t{os.getpid()}")
    try:
        lab.up(log=lambda _msg: None)
    except LabUnavailable as e:
        pytest.skip(f"network namespaces unavailable: {e}")
    except LabError as e:
        lab.down(keep_files=True)
        pytest.fail(f"the real-network lab did not come up: {e}", pytrace=False)
    try:
        yield lab
    finally:
        lab.down(keep_files=bool(os.environ.get("NETLAB_KEEP")))


@pytest.fixture(scope="module")
def scan(netlab):
    """One run of the real CLI over every scenario, inside the client namespace."""
    cmd = [sys.executable, "-m", "ipv6scan", "scan", str(netlab.dir / "targets.txt"), *netlab.scan_options(),
           "--format", "jsonl", "--no-save"]
    started = time.monotonic()
    proc = netlab.in_client(cmd, capture_output=True, text=True, encoding="utf-8", env=netlab.python_env(),
                            cwd=REPO, timeout=180)
    elapsed = time.monotonic() - started
    assert proc.returncode == 0, f"ipv6scan exited {proc.returncode}: {proc.stderr[-3000:]}"
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    hosts = {line["facts"]["display"]: line for line in lines if line["type"] == "host"}
    return lines, hosts, elapsed


def _checks(rec: dict) -> dict[str, dict]:
    return {c["id"]: c for c in rec["result"]["checks"]}


def _web(rec: dict, family: str | None = None, scheme: str | None = None) -> list[dict]:
    return [p for p in rec["facts"]["web"]
            if (family is None or p["family"] == family) and (scheme is None or p["scheme"] == scheme)]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.host for s in SCENARIOS])
def test_scenario(scan, scenario):
    _, hosts, _ = scan
    assert scenario.host in hosts, f"no result for {scenario.host}"
    result = hosts[scenario.host]["result"]
    assert result["verdict"] == scenario.verdict, (scenario.about, result["reasons"])
    assert scenario.reasons <= set(result["reasons"]), (scenario.about, result["reasons"])
    checks = _checks(hosts[scenario.host])
    got = {cid: checks.get(cid, {}).get("status") for cid in scenario.checks}
    assert got == scenario.checks, (scenario.about, {cid: checks.get(cid) for cid in scenario.checks})


def test_stream_is_complete(scan):
    lines, hosts, elapsed = scan
    assert lines[0]["type"] == "scan" and lines[0]["scanner_ipv6"] is True
    assert lines[-1]["type"] == "summary" and not lines[-1]["interrupted"]
    assert lines[-1]["hosts"] == len(SCENARIOS) == len(hosts)
    assert not [line for line in lines if line["type"] == "input_error"]
    assert elapsed < 90, f"the scan of the lab took {elapsed:.0f} s"


def test_timeouts_are_real_and_retried(scan):
    """nftables drops: connect timeouts, each retried once; nginx waiting on a dead backend: read timeouts."""
    hosts = scan[1]
    for host, family in (("timeout6.gov.example", "ipv6"), ("slow.gov.example", None)):
        probes = _web(hosts[host], family)
        assert probes and all(p["outcome"] == "timeout" and p["attempts"] == 2 for p in probes), probes
    dead = [p for p in _web(hosts["multi6.gov.example"]) if p["address"] == "2001:db8::24"]
    assert {p["outcome"] for p in dead} == {"timeout"}
    alive = [p for p in _web(hosts["multi6.gov.example"], "ipv6") if p["address"] == "2001:db8::23"]
    assert {p["outcome"] for p in alive} == {"ok"}


def test_refused_by_tcp_reset(scan):
    hosts = scan[1]
    assert {p["outcome"] for p in _web(hosts["refuse6.gov.example"], "ipv6")} == {"refused"}
    assert {p["outcome"] for p in _web(hosts["refuse6.gov.example"], "ipv4")} == {"ok"}
    # HTTP only: nothing listens on 443, the kernel refuses on both families
    assert {p["outcome"] for p in _web(hosts["httponly.gov.example"], scheme="https")} == {"refused"}


def test_nftables_did_the_work(netlab, scan):
    """The drop/reject rules were hit (the failures came from the firewall, not from a missing listener)."""
    proc = netlab.in_server(["nft", "-j", "list", "table", "inet", "netlab"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    rules = [item["rule"] for item in json.loads(proc.stdout)["nftables"] if "rule" in item]
    packets = [next(e["counter"]["packets"] for e in r["expr"] if "counter" in e) for r in rules]
    assert len(packets) == 3 and all(n > 0 for n in packets), packets


def test_tls_facts(scan):
    hosts = scan[1]
    dual = _web(hosts["dual.gov.example"], scheme="https")
    assert all(p["tls"]["outcome"] == "ok" and p["tls"]["protocol"] in ("TLSv1.2", "TLSv1.3") for p in dual)
    assert len({p["tls"]["cert"]["sha256"] for p in dual}) == 1
    expired = _web(hosts["expired.gov.example"], scheme="https")
    assert {p["tls"]["outcome"] for p in expired} == {"tls_expired"} and all(p["status"] == 200 for p in expired)
    bad6 = {p["family"]: p["tls"]["outcome"] for p in _web(hosts["badcert6.gov.example"], scheme="https")}
    assert bad6 == {"ipv4": "ok", "ipv6": "tls_self_signed"}
    assert {p["tls"]["outcome"] for p in _web(hosts["shared-a.gov.example"], scheme="https")} == {"ok"}
    assert {p["tls"]["outcome"] for p in _web(hosts["shared-b.gov.example"], scheme="https")} == {"tls_hostname_mismatch"}


def test_parity_sees_through_per_request_noise(scan):
    """nginx puts $request_id in every page (like a CSRF token): still the same page; the maintenance page is not."""
    hosts = scan[1]
    same = hosts["dual.gov.example"]["facts"]["parity"]
    assert {p["scheme"] for p in same} == {"http", "https"}
    assert all(p["similarity"] >= 0.99 and p["v4_status"] == p["v6_status"] == 200 for p in same), same
    diff = hosts["diff6.gov.example"]["facts"]["parity"]
    assert diff and all(p["similarity"] < 0.9 for p in diff), diff


def test_redirect_leaves_ipv6(scan):
    rec = scan[1]["redirect6.gov.example"]
    finals = {(p["family"], p["scheme"]): p["final_outcome"] for p in _web(rec)}
    assert finals[("ipv6", "https")] == "redirect_leaves_family"
    assert finals[("ipv4", "https")] == "ok"


def test_cname_chain_across_zones(scan):
    res = scan[1]["www.gov.example"]["facts"]["resolution"]
    assert res["cname_chain"] == ["cdn.gov.example", "edge.cdn-provider.example"]
    assert res["canonical"] == "edge.cdn-provider.example"
    assert sorted(a["address"] for a in res["addresses"]) == ["192.0.2.40", "2001:db8::40"]


def test_idn_host(scan):
    rec = scan[1][IDN_HOST]
    assert rec["facts"]["host"] == "xn--cng-qmz.gov.example" and rec["facts"]["display"] == IDN_HOST


def test_dns_failures_are_never_no_ipv6(scan):
    hosts = scan[1]
    assert hosts["nx.gov.example"]["facts"]["resolution"]["aaaa"]["outcome"] == "dns_nxdomain"
    for host in ("www.lame.gov.example", "loop.gov.example"):  # BIND answers SERVFAIL for both
        assert hosts[host]["facts"]["resolution"]["aaaa"]["outcome"] == "dns_servfail", BY_HOST[host].about


def test_name_servers_and_mail_over_ipv6(scan):
    hosts = scan[1]
    zone = hosts["dual.gov.example"]["facts"]["zone"]
    assert zone["zone"] == "gov.example"
    v6_ns = [p for ns in zone["name_servers"] for p in ns["probes"] if p["family"] == "ipv6"]
    assert len(v6_ns) == 2 and all(p["outcome"] == "ok" and p["authoritative"] for p in v6_ns), v6_ns
    v6_mx = [p for mx in zone["mail_servers"] for p in mx["probes"] if p["family"] == "ipv6"]
    assert v6_mx and all(p["outcome"] == "ok" and p["banner"].startswith("220 ") and "Exim" in p["banner"]
                         for p in v6_mx), v6_mx

    nsv4 = hosts["www.nsv4.example"]["facts"]["zone"]
    assert nsv4["zone"] == "nsv4.example"
    assert not [p for s in nsv4["name_servers"] + nsv4["mail_servers"] for p in s["probes"] if p["family"] == "ipv6"]
    v4_mx = [p for mx in nsv4["mail_servers"] for p in mx["probes"]]
    assert v4_mx and all(p["outcome"] == "ok" and "mx.nsv4.example" in p["banner"] for p in v4_mx), v4_mx

    onens = hosts["www.onens.example"]["facts"]["zone"]
    answering = {ns["name"] for ns in onens["name_servers"] for p in ns["probes"]
                 if p["family"] == "ipv6" and p["outcome"] == "ok"}
    assert answering == {"a.onens.example"}


def test_rate_limited_name_server_retried_over_tcp(netlab, scan):
    """BIND's RRL slips truncated UDP answers: the scanner must retry them over TCP and count them as answers."""
    zone = scan[1]["www.rrl.example"]["facts"]["zone"]
    probes = [p for ns in zone["name_servers"] for p in ns["probes"]]
    assert len(probes) == 8 and all(p["outcome"] == "ok" for p in probes), probes
    for family in ("ipv4", "ipv6"):
        assert any(p["transport"] == "tcp" for p in probes if p["family"] == family), probes
    log = (netlab.named_dir / "logs" / "named-auth.log").read_text(errors="replace")
    assert "rate limit slip response to 192.0.2.0/24 for rrl.example" in log
    assert "rate limit slip response to 2001:db8::/56 for rrl.example" in log


def test_dnssec_signed_zone(scan):
    """gov.example is signed for real (dnssec-signzone); DS lives in the parent zone example."""
    zone = scan[1]["dual.gov.example"]["facts"]["zone"]
    assert zone["dnssec"]["ds"]["records"] and zone["dnssec"]["dnskey"]["records"]


def test_lab_stays_inside_its_namespaces(netlab):
    """Nothing of the lab is visible in the host namespace: no documentation addresses, no lab processes."""
    addrs = subprocess.run(["ip", "-o", "address"], check=False, capture_output=True, text=True).stdout
    assert "2001:db8::53" not in addrs and "192.0.2.53/" not in addrs
    server_pids = subprocess.run(["ip", "netns", "pids", netlab.server_ns], check=False, capture_output=True, text=True).stdout
    assert len(server_pids.split()) >= 4  # named x2, nginx, exim


def test_what_the_page_loads_over_ipv6(netlab, scan):
    """Real nginx pages: each origin the page and its stylesheet load, probed over IPv6 through the real resolver."""
    rec = scan[1]["deps.gov.example"]
    page = rec["facts"]["page"]
    assert page["family"] == "ipv6" and page["url"] == "https://deps.gov.example/"
    assert [(s["url"], s["status"]) for s in page["stylesheets"]] == [("https://deps.gov.example/site.css", 200)]
    deps = {d["host"]: d for d in page["dependencies"]}
    assert set(deps) == {"js.cdn-provider.example", "dead6.cdn-provider.example", "192.0.2.10",
                         "fonts.cdn-provider.example", "static4.cdn-provider.example"}
    assert (deps["js.cdn-provider.example"]["probe"]["outcome"], deps["js.cdn-provider.example"]["probe"]["status"]) \
        == ("ok", 200)
    assert deps["dead6.cdn-provider.example"]["probe"]["outcome"] == "timeout"
    assert deps["static4.cdn-provider.example"]["probe"]["outcome"] == "dns_nodata"
    assert deps["192.0.2.10"]["literal"] == "ipv4" and deps["192.0.2.10"]["probe"] is None
    assert deps["fonts.cdn-provider.example"]["probe"]["resolution"]["cname_chain"] == ["js.cdn-provider.example"]
    message = _checks(rec)["deps.ipv6"]["message"]
    for host in ("dead6.cdn-provider.example", "192.0.2.10", "static4.cdn-provider.example"):
        assert host in message
    log = (netlab.dir / "logs" / "nginx-access.log").read_text(errors="replace")
    assert "GET /site.css" in log and "GET /app.js" in log


def test_the_resolution_chain_over_ipv6(scan):
    """The real delegation example. -> gov.example, and a CNAME into nsv4.example (an IPv4-only name server)."""
    hosts = scan[1]
    dual = hosts["dual.gov.example"]["facts"]["chain"]
    assert [n["zones"] for n in dual["names"] if n["name"] == "dual.gov.example"] == [["example", "gov.example"]]
    answered = {z["zone"]: {p["address"] for s in z["servers"] for p in s["probes"] if p["outcome"] == "ok"}
                for z in dual["zones"]}
    assert answered["example"] == {"2001:db8::5"} and answered["gov.example"] == {"2001:db8::53", "2001:db8::54"}
    chain = hosts["cname4ns.gov.example"]["facts"]["chain"]
    nsv4 = next(z for z in chain["zones"] if z["zone"] == "nsv4.example")
    assert [(s["name"], s["aaaa_outcome"], s["probes"]) for s in nsv4["servers"]] == [
        ("ns.nsv4.example", "dns_nodata", [])]
    message = _checks(hosts["cname4ns.gov.example"])["dns.chain_ipv6"]["message"]
    assert "nsv4.example" in message and "www.nsv4.example" in message


def test_dnssec_validated_through_a_real_resolver(scan):
    """example. and gov.example signed by dnssec-signzone (example.'s DS is the trust anchor); badsig.example
    signed with signatures that ended a week ago; nsv4.example unsigned, proven by example.'s NSEC."""
    hosts = scan[1]
    good = hosts["dual.gov.example"]["facts"]["zone"]["dnssec"]["validation"]
    assert (good["status"], good["anchor"], [link["zone"] for link in good["links"]]) == (
        "secure", "example", ["example", "gov.example"])
    bad = hosts["www.badsig.example"]["facts"]["zone"]["dnssec"]["validation"]
    assert (bad["status"], bad["reason"], bad["broken_at"]) == ("bogus", "signature_expired", "badsig.example")
    assert bad["links"][-1]["expired_at"]
    assert _checks(hosts["www.badsig.example"])["zone.dnssec_valid"]["reason"] == "dnssec_signature_expired"
    unsigned = hosts["www.nsv4.example"]["facts"]["zone"]["dnssec"]["validation"]
    assert (unsigned["status"], unsigned["reason"]) == ("insecure", "no_ds")


def test_tls_versions_chain_and_late_answers_from_real_nginx(scan):
    hosts = scan[1]
    for p in _web(hosts["oldtls.gov.example"], scheme="https"):
        accepted = {v["version"] for v in p["tls"]["versions"] if v["accepted"]}
        assert accepted == {"TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"}, (p["family"], p["tls"]["versions"])
    assert _checks(hosts["nointer.gov.example"])["tls.chain"]["reason"] == "chain_missing_intermediate"
    late = {(p["family"], p["scheme"]): p["first_byte_ms"] for p in _web(hosts["late6.gov.example"])}
    assert all(late[("ipv6", s)] >= 1400 for s in ("http", "https")), late
    assert all(late[("ipv4", s)] < 500 for s in ("http", "https")), late
