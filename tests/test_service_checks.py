"""deps.ipv6, deps.nat64 and dns.chain_ipv6: the whole service as an IPv6-only client meets it (pure checks)."""

from __future__ import annotations

from ipv6scan.checks import judge, message
from ipv6scan.model import ChainName, CheckStatus, Family, Outcome, Verdict
from tests.test_checks import HOST, chain_link, checks_of, dependency, page, resolution_chain, site


def results(facts):
    return checks_of(judge(facts))


def test_a_page_whose_hosts_all_answer_over_ipv6_passes_and_needs_no_nat64() -> None:
    found = results(site(page_facts=page(dependency("cdn.example"), dependency("fonts.example", kinds=("css",)))))
    assert (found["deps.ipv6"].status, found["deps.ipv6"].reason) == (CheckStatus.PASS, "deps_ipv6")
    assert message(found["deps.ipv6"], "en") == "All 2 hosts the page loads from answer over IPv6"
    assert (found["deps.nat64"].status, found["deps.nat64"].reason) == (CheckStatus.PASS, "nat64_none")


def test_each_way_a_dependency_breaks_is_named_with_its_host_and_kind() -> None:
    facts = site(page_facts=page(
        dependency("cdn.example"),
        dependency("static4.example", Outcome.DNS_NODATA, kinds=("css",)),
        dependency("192.0.2.7", kinds=("image",), literal=Family.V4),
        dependency("dead6.example", Outcome.TIMEOUT, kinds=("script", "preload")),
    ))
    result = judge(facts)
    deps = checks_of(result)["deps.ipv6"]
    assert (deps.status, deps.reason) == (CheckStatus.FAIL, "deps_not_ipv6")
    assert message(deps, "en") == (
        "An IPv6-only client cannot load 3 of 4 hosts: static4.example (file named in CSS) has no AAAA; "
        "192.0.2.7 (image) is an IPv4 address in the URL; dead6.example (script and preloaded file) timed out")
    vi = message(deps, "vi")
    assert vi.startswith("Máy khách chỉ có IPv6 không tải được 3 trong 4 máy chủ") and "hình ảnh" in vi
    assert "image" not in vi and "timed out" not in vi
    assert result.verdict is Verdict.READY  # the front door works: the policy scores the whole service
    nat64 = checks_of(result)["deps.nat64"]
    assert (nat64.status, nat64.reason) == (CheckStatus.INFO, "nat64_never")
    assert message(nat64, "en") == ("Never on IPv6 only, even with NAT64 (an IPv4 address in the URL): 192.0.2.7; "
                                    "only through NAT64/DNS64 (no AAAA): static4.example")


def test_a_dns_failure_of_a_dependency_is_unknown_never_no_ipv6() -> None:
    found = results(site(page_facts=page(dependency("cdn.example"), dependency("flaky.example", Outcome.DNS_TIMEOUT))))
    assert (found["deps.ipv6"].status, found["deps.ipv6"].reason) == (CheckStatus.UNTESTABLE, "deps_dns_failed")
    assert "flaky.example" in message(found["deps.ipv6"], "en")


def test_without_scanner_ipv6_dependencies_are_untestable() -> None:
    found = results(site(page_facts=page(dependency("cdn.example", Outcome.UNTESTABLE))))
    assert (found["deps.ipv6"].status, found["deps.ipv6"].reason) == (CheckStatus.UNTESTABLE, "deps_untestable")


def test_no_page_and_not_looked_are_not_applicable_and_a_capped_page_says_so() -> None:
    assert results(site(page_facts=None))["deps.ipv6"].reason == "deps_no_page"
    old = site(page_facts=None)
    old.subresources = False
    assert {results(old)[c].reason for c in ("deps.ipv6", "deps.nat64")} == {"deps_not_checked"}
    capped = page(dependency("cdn.example"))
    capped.found = 70
    found = results(site(page_facts=capped))["deps.ipv6"]
    assert found.status is CheckStatus.PASS and "69 more were found and not checked" in message(found, "en")
    empty = page(dependency("x.example"))
    empty.dependencies = []
    empty.found = 0
    assert results(site(page_facts=empty))["deps.ipv6"].reason == "deps_none"


def test_a_zone_without_ipv6_name_servers_fails_the_chain_naming_the_zone_and_names() -> None:
    chain = resolution_chain(
        chain_link("example", ("ns1.gov.example", [Outcome.OK])),
        chain_link("gov.example", ("ns1.gov.example", [Outcome.OK])),
        chain_link("v4dns.example", ("ns.v4dns.example", [])),
        chain_link("silent.example", ("ns.silent.example", [Outcome.TIMEOUT, Outcome.REFUSED])),
        names=[ChainName(name=HOST, role="host", zones=["example", "gov.example"]),
               ChainName(name="edge.v4dns.example", role="cname", zones=["example", "v4dns.example"]),
               ChainName(name="js.silent.example", role="dependency", zones=["example", "silent.example"])],
    )
    found = results(site(chain_facts=chain))["dns.chain_ipv6"]
    assert (found.status, found.reason) == (CheckStatus.FAIL, "chain_not_ipv6")
    assert message(found, "en") == (
        "An IPv6-only resolver cannot resolve through v4dns.example (no name server has an AAAA; needed for "
        "edge.v4dns.example) and silent.example (no name server answers over IPv6; needed for js.silent.example)")
    assert "needed" not in message(found, "vi")


def test_the_chain_passes_when_every_zone_answers_and_is_unknown_when_a_lookup_failed() -> None:
    ok = results(site())["dns.chain_ipv6"]
    assert (ok.status, ok.reason) == (CheckStatus.PASS, "chain_ipv6")
    assert message(ok, "en") == "Every zone on the path of 1 name answers over IPv6: example and gov.example"
    lost = resolution_chain(chain_link("example", ("ns1.gov.example", [Outcome.OK])),
                            names=[ChainName(name=HOST, role="host", zones=["example"], outcome=Outcome.DNS_TIMEOUT)])
    assert results(site(chain_facts=lost))["dns.chain_ipv6"].status is CheckStatus.UNTESTABLE
    failed = resolution_chain(chain_link("gov.example", outcome=Outcome.DNS_SERVFAIL))
    assert results(site(chain_facts=failed))["dns.chain_ipv6"].reason == "chain_unknown"
    untested = resolution_chain(chain_link("gov.example", ("ns1.gov.example", [Outcome.UNTESTABLE])))
    assert results(site(chain_facts=untested))["dns.chain_ipv6"].reason == "chain_untestable"
    assert results(site(chain_facts=None))["dns.chain_ipv6"].reason == "chain_not_checked"


def test_a_page_or_chain_missing_because_the_host_budget_ran_out_is_unknown_not_absent() -> None:
    import msgspec

    cut = msgspec.structs.replace(site(page_facts=None), budget_exhausted=True, chain=None)
    found = results(cut)
    for cid in ("deps.ipv6", "deps.nat64"):
        assert (found[cid].status, found[cid].reason) == (CheckStatus.UNTESTABLE, "deps_budget")
    assert message(found["deps.ipv6"], "en") == "The host's time budget ran out before what its page loads was looked at"
    assert message(found["deps.ipv6"], "vi").startswith("Hết thời gian quét")
    chain = found["dns.chain_ipv6"]
    assert (chain.status, chain.reason) == (CheckStatus.UNTESTABLE, "chain_budget")
    assert "resolution chain" in message(chain, "en") and "chuỗi phân giải" in message(chain, "vi")
    fine = results(site(page_facts=None))  # the same without the budget running out: no page, nothing to say
    assert (fine["deps.ipv6"].status, fine["deps.ipv6"].reason) == (CheckStatus.NOT_APPLICABLE, "deps_no_page")


def test_mixed_content_blocked_fails_shown_passes_with_a_warning_and_http_pages_are_not_judged() -> None:
    from ipv6scan.model import InsecureRef
    from tests.test_checks import page

    script = InsecureRef(kind="script", url="http://cdn.example/app.js")
    logo = InsecureRef(kind="image", url="http://portal.tinh.gov.vn/logo.png")
    blocked = results(site(page_facts=page(insecure=(logo, script))))["web.mixed_content"]
    assert (blocked.status, blocked.reason) == (CheckStatus.FAIL, "mixed_blocked")
    assert message(blocked, "en") == "Browsers block what the HTTPS page loads by plain HTTP (1): http://cdn.example/app.js (script)"
    assert message(blocked, "vi") == ("Trình duyệt chặn các tài nguyên trang HTTPS tải qua HTTP thường (1): "
                                      "http://cdn.example/app.js (mã script)")
    shown = results(site(page_facts=page(insecure=(logo,), insecure_found=31)))["web.mixed_content"]
    assert (shown.status, shown.reason) == (CheckStatus.WARN, "mixed_passive") and "(31)" in message(shown, "en")
    clean = results(site(page_facts=page()))["web.mixed_content"]
    assert (clean.status, clean.reason) == (CheckStatus.PASS, "mixed_none")
    import msgspec

    over_http = msgspec.structs.replace(page(insecure=(script,)), url="http://portal.tinh.gov.vn/")
    assert results(site(page_facts=over_http))["web.mixed_content"].reason == "mixed_not_https"
    older = page(insecure_found=None)
    older.insecure_found = None
    assert results(site(page_facts=older))["web.mixed_content"].reason == "mixed_not_checked"
    assert results(site(page_facts=None))["web.mixed_content"].reason == "deps_no_page"



def _walked(*links, names):
    chain = resolution_chain(*links, names=[ChainName(name=HOST, role="host", zones=["example", "gov.example"]),
                                            *names])
    chain.ns_walked = True
    return chain


def _ns(name: str, *zones: str, outcome: Outcome = Outcome.OK) -> ChainName:
    return ChainName(name=name, role="ns", zones=list(zones), outcome=outcome)


TLD = chain_link("example", ("a.root-servers.example", [Outcome.OK]))  # a TLD: its servers' names are the root's


def test_a_zone_whose_servers_are_named_in_a_zone_without_ipv6_fails_naming_that_zone() -> None:
    chain = _walked(TLD, chain_link("gov.example", ("dns6.v4dns.example", [Outcome.OK])),
                    chain_link("v4dns.example", ("ns.v4dns.example", [])),
                    names=[_ns("dns6.v4dns.example", "example", "v4dns.example")])
    found = results(site(chain_facts=chain))["dns.chain_ipv6"]
    assert (found.status, found.reason) == (CheckStatus.FAIL, "chain_not_ipv6")
    assert message(found, "en") == (
        "An IPv6-only resolver cannot resolve through gov.example (its name servers answer over IPv6, but are named "
        f"in v4dns.example, which an IPv6-only resolver cannot reach; needed for {HOST}); v4dns.example "
        "(no name server has an AAAA; needed for dns6.v4dns.example)")
    assert "v4dns.example" in message(found, "vi") and "named" not in message(found, "vi")


def test_one_server_reachable_by_its_name_or_by_glue_is_enough() -> None:
    healthy = _walked(TLD, chain_link("gov.example", ("dns6.v4dns.example", [Outcome.OK]), ("ns.ok.example", [Outcome.OK])),
                      chain_link("v4dns.example", ("ns.v4dns.example", [])),
                      chain_link("ok.example", ("ns.ok.example", [Outcome.OK])),
                      names=[_ns("dns6.v4dns.example", "example", "v4dns.example"),
                             _ns("ns.ok.example", "example", "ok.example")])
    found = results(site(chain_facts=healthy))["dns.chain_ipv6"]
    assert (found.status, found.reason) == (CheckStatus.FAIL, "chain_not_ipv6")  # v4dns.example itself is still broken
    assert "gov.example (" not in message(found, "en")
    glue = _walked(TLD, chain_link("gov.example", ("ns1.gov.example", [Outcome.OK])), names=[])
    assert results(site(chain_facts=glue))["dns.chain_ipv6"].reason == "chain_ipv6"


def test_name_servers_found_only_through_each_other_are_never_reached() -> None:
    """a.example's server is named in b.example and b.example's in a.example, no glue: a resolver that starts
    with neither in its cache never finds either."""
    chain = _walked(TLD, chain_link("gov.example", ("ns1.gov.example", [Outcome.OK])),
                    chain_link("a.example", ("ns.b.example", [Outcome.OK])),
                    chain_link("b.example", ("ns.a.example", [Outcome.OK])),
                    names=[ChainName(name="cdn.a.example", role="dependency", zones=["example", "a.example"]),
                           _ns("ns.b.example", "example", "b.example"), _ns("ns.a.example", "example", "a.example")])
    found = results(site(chain_facts=chain))["dns.chain_ipv6"]
    assert found.reason == "chain_not_ipv6"
    assert "a.example (its name servers answer over IPv6, but are named in b.example" in message(found, "en")
    assert "b.example (its name servers answer over IPv6, but are named in a.example" in message(found, "en")


def test_a_server_name_whose_zones_are_unknown_leaves_the_zone_unknown_never_broken() -> None:
    failed = _walked(TLD, chain_link("gov.example", ("dns6.flaky.example", [Outcome.OK])),
                     chain_link("flaky.example", outcome=Outcome.DNS_SERVFAIL),
                     names=[_ns("dns6.flaky.example", "example", "flaky.example")])
    found = results(site(chain_facts=failed))["dns.chain_ipv6"]
    assert (found.status, found.reason) == (CheckStatus.UNTESTABLE, "chain_unknown")
    assert "gov.example" in message(found, "en")
    not_walked = _walked(TLD, chain_link("gov.example", ("deep.other.example", [Outcome.OK])), names=[])
    assert results(site(chain_facts=not_walked))["dns.chain_ipv6"].reason == "chain_unknown"


def test_chains_from_before_the_walk_are_judged_as_they_were() -> None:
    old = resolution_chain(TLD, chain_link("gov.example", ("dns6.v4dns.example", [Outcome.OK])))
    assert not old.ns_walked
    assert results(site(chain_facts=old))["dns.chain_ipv6"].reason == "chain_ipv6"


def test_a_zone_broken_by_its_servers_names_is_a_blocker_of_the_host() -> None:
    from ipv6scan.scoring import blockers

    chain = _walked(TLD, chain_link("gov.example", ("dns6.v4dns.example", [Outcome.OK])),
                    chain_link("v4dns.example", ("ns.v4dns.example", [])),
                    names=[_ns("dns6.v4dns.example", "example", "v4dns.example")])
    assert {(b.name, b.state) for b in blockers(site(chain_facts=chain))} == {
        ("gov.example", "ns_names"), ("v4dns.example", "no_aaaa")}


def _glue(link, *, referral=True, aaaa=(), outcome=Outcome.OK, parent="example"):
    """``link`` with the parent's answer for its in-zone servers: a referral whose glue has an AAAA for ``aaaa``."""
    from ipv6scan.model import GlueFacts, GlueName

    names = [GlueName(name=s.name, a=["192.0.2.53"], aaaa=["2001:db8::53"] if s.name in aaaa else [])
             for s in link.servers]
    link.glue = GlueFacts(parent=parent, address="2001:db8::1", outcome=outcome, referral=referral,
                          names=names if outcome == Outcome.OK else [])
    return link


def test_servers_named_inside_their_zone_need_aaaa_glue_at_the_parent() -> None:
    """ns1 and ns2.gov.example are named inside gov.example: an IPv6-only resolver learns their addresses only
    from example.'s referral. With A glue alone the zone is out of its reach (no_glue6), naming the parent and
    the servers; one AAAA glue record is enough; a parent server that answers for the zone itself needs none."""
    def zone(**glue):
        return _glue(chain_link("gov.example", ("ns1.gov.example", [Outcome.OK]), ("ns2.gov.example", [Outcome.OK])),
                     **glue)

    found = results(site(chain_facts=_walked(TLD, zone(), names=[])))["dns.chain_ipv6"]
    assert (found.status, found.reason) == (CheckStatus.FAIL, "chain_not_ipv6")
    assert message(found, "en") == (
        "An IPv6-only resolver cannot resolve through gov.example (its name servers answer over IPv6, but example "
        f"gives no IPv6 address (AAAA glue) for ns1.gov.example and ns2.gov.example, named inside it; needed for {HOST})")
    assert "glue AAAA" in message(found, "vi")
    from ipv6scan.scoring import blockers

    assert {(b.name, b.state) for b in blockers(site(chain_facts=_walked(TLD, zone(), names=[])))} == {
        ("gov.example", "no_glue6")}
    for fine in (zone(aaaa=("ns2.gov.example",)), zone(referral=False)):
        assert results(site(chain_facts=_walked(TLD, fine, names=[])))["dns.chain_ipv6"].reason == "chain_ipv6"
    unknown = results(site(chain_facts=_walked(TLD, zone(outcome=Outcome.TIMEOUT), names=[])))["dns.chain_ipv6"]
    assert (unknown.status, unknown.reason) == (CheckStatus.UNTESTABLE, "chain_unknown")


def test_an_out_of_zone_server_reachable_by_its_name_makes_up_for_missing_glue() -> None:
    chain = _walked(TLD, _glue(chain_link("gov.example", ("ns1.gov.example", [Outcome.OK]),
                                          ("ns.ok.example", [Outcome.OK]))),
                    chain_link("ok.example", ("ns.ok.example", [Outcome.OK])),
                    names=[_ns("ns.ok.example", "example", "ok.example")])
    assert results(site(chain_facts=chain))["dns.chain_ipv6"].reason == "chain_ipv6"


def test_a_zone_without_aaaa_glue_names_only_its_answering_servers_named_inside_it() -> None:
    """gov.example: ns1.gov.example answers over IPv6 but has no AAAA glue; ns.other.example (outside the zone)
    has no AAAA at all. The zone is out of reach for want of glue, and the words name ns1 alone."""
    link = _glue(chain_link("gov.example", ("ns1.gov.example", [Outcome.OK]), ("ns.other.example", [])))
    chain = _walked(TLD, link, chain_link("other.example", ("ns.other.example", [Outcome.OK])),
                    names=[_ns("ns.other.example", "example", "other.example")])
    found = results(site(chain_facts=chain))["dns.chain_ipv6"]
    assert (found.status, found.reason) == (CheckStatus.FAIL, "chain_not_ipv6")
    assert "example gives no IPv6 address (AAAA glue) for ns1.gov.example, named inside it" in message(found, "en")


def _delegated(link, *names, parent_only=(), outcome=Outcome.OK):
    """``link`` with its parent's referral naming ``names`` (each with AAAA glue); ``parent_only``: (name, probe
    outcomes) of the servers only the referral names (no outcome: no AAAA)."""
    from ipv6scan.model import GlueFacts, GlueName

    link.glue = GlueFacts(parent="example", address="2001:db8::1", outcome=outcome, referral=True,
                          delegated=sorted(names) if outcome == Outcome.OK else None,
                          names=[GlueName(name=n, aaaa=["2001:db8::53"]) for n in names] if outcome == Outcome.OK else [])
    link.parent_only = chain_link(link.zone, *parent_only).servers
    return link


def test_a_zone_the_parent_delegates_only_to_servers_silent_over_ipv6_is_out_of_reach() -> None:
    """gov.example's own NS set (ns1) answers over IPv6, but example.'s referral still names ns-old.gov.example
    (no AAAA in its glue) alone: a resolver walking down starts there and never gets in. Naming ns1 too, or
    ns-old answering, is enough; a chain before 1.10 leaves the zone judged by its NS set; a parent-only server
    the scanner could not test, or a parent that could not be asked, leaves the zone unknown, never broken."""
    from ipv6scan.checks._service import ZoneState, zone_states
    from ipv6scan.scoring import blockers

    def chain(*names, old=()):
        zone = _delegated(chain_link("gov.example", ("ns1.gov.example", [Outcome.OK])), *names,
                          parent_only=[("ns-old.gov.example", list(old))])
        return _walked(TLD, zone, names=[])

    stale = chain("ns-old.gov.example")
    found = results(site(chain_facts=stale))["dns.chain_ipv6"]
    assert (found.status, found.reason) == (CheckStatus.FAIL, "chain_not_ipv6")
    assert message(found, "en") == (
        "An IPv6-only resolver cannot resolve through gov.example (the referral from example names "
        "ns-old.gov.example, none of which answers over IPv6; those that do (ns1.gov.example) are not in it; "
        f"needed for {HOST})")
    assert "ủy quyền" in message(found, "vi")
    assert {(b.name, b.state) for b in blockers(site(chain_facts=stale))} == {("gov.example", "delegation")}
    for fine in (chain("ns-old.gov.example", "ns1.gov.example"), chain("ns-old.gov.example", old=[Outcome.OK])):
        assert zone_states(fine)["gov.example"] is ZoneState.OK
    untested = chain("ns-old.gov.example", old=[Outcome.UNTESTABLE])
    assert zone_states(untested)["gov.example"] is ZoneState.UNTESTABLE
    before = _walked(TLD, chain_link("gov.example", ("ns1.gov.example", [Outcome.OK])), names=[])
    assert zone_states(before)["gov.example"] is ZoneState.OK
    unasked = _walked(TLD, _delegated(chain_link("gov.example", ("ns1.gov.example", [Outcome.OK])),
                                      outcome=Outcome.TIMEOUT), names=[])
    assert zone_states(unasked)["gov.example"] is ZoneState.DNS_FAILED  # (in-zone ns1's glue is unknown too)


def test_a_delegation_that_names_other_servers_than_the_zone_is_a_notice_naming_both_sides() -> None:
    """dns.delegation compares example.'s referral for gov.example with gov.example's own NS set: the same
    servers pass; a server only the referral names and one only the zone lists are named, as a warning that
    never counts; without a referral (a parent that serves the zone itself, or a chain before 1.10) there is
    nothing to compare."""
    def checked(*delegated):
        zone = _delegated(chain_link("gov.example", ("ns1.gov.example", [Outcome.OK]), ("ns2.gov.example", [Outcome.OK])),
                          *delegated)
        facts = site(chain_facts=_walked(TLD, zone, names=[]))
        return results(facts)["dns.delegation"], judge(facts).verdict

    same, verdict = checked("ns1.gov.example", "ns2.gov.example")
    assert (same.status, same.reason) == (CheckStatus.PASS, "delegation_ok")
    drift, drifted_verdict = checked("ns1.gov.example", "old.gov.example")
    assert (drift.status, drift.reason) == (CheckStatus.WARN, "delegation_mismatch")
    assert message(drift, "en") == ("Delegation and NS set differ: gov.example (named only by example's referral: "
                                    "old.gov.example; listed only by the zone: ns2.gov.example)")
    assert "ủy quyền" in message(drift, "vi")
    assert drifted_verdict == verdict  # (a notice)
    unseen = results(site(chain_facts=_walked(TLD, chain_link("gov.example", ("ns1.gov.example", [Outcome.OK])),
                                              names=[])))["dns.delegation"]
    assert (unseen.status, unseen.reason) == (CheckStatus.NOT_APPLICABLE, "delegation_not_seen")
