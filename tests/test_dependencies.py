"""A dependency that redirects (issue 16's whole service): the client follows, so where it lands decides.

The DNS and the web are stand-ins answering per host name (what each origin's probe would get); what is
asserted is which origins were asked, what each record says, and how the checks judge it."""

from __future__ import annotations

from ipv6scan.addresses import parse_prefixes
from ipv6scan.checks import judge, message
from ipv6scan.config import ScanOptions
from ipv6scan.addresses import classify
from ipv6scan.model import CheckStatus, DnsLookup, Family, HttpHop, Outcome, Resolution, WebProbe
from ipv6scan.probe.deps import REDIRECT_HOPS, Dependencies
from ipv6scan.probe.page import origin_of
from tests.test_checks import checks_of, page, site

AAAA = {"cdn.example": "2001:db8::a", "cdn2.example": "2001:db8::b", "loop-a.example": "2001:db8::c",
        "loop-b.example": "2001:db8::d", **{f"hop{i}.example": f"2001:db8::1:{i}" for i in range(6)}}


class Dns:
    async def resolve(self, name: str) -> Resolution:
        have = AAAA.get(name)
        aaaa = DnsLookup(name=name, rdtype="AAAA", outcome=Outcome.OK if have else Outcome.DNS_NODATA,
                         records=[have] if have else [])
        a = DnsLookup(name=name, rdtype="A", outcome=Outcome.OK, records=["192.0.2.9"])
        return Resolution(name=name, canonical=name, a=a, aaaa=aaaa,
                          addresses=[classify(r) for r in a.records + aaaa.records])


class Web:
    """Each host's answer: (status, Location) or a failure outcome."""

    def __init__(self, answers: dict[str, tuple[int, str | None] | Outcome]) -> None:
        self.answers, self.asked = answers, []

    async def probe(self, host, address, scheme, port, *, path="/", follow=True, cap=None):
        self.asked.append(host)
        answer = self.answers.get(host, (200, None))
        if isinstance(answer, Outcome):
            return WebProbe(scheme=scheme, address=address, family=Family.V6, port=port, outcome=answer,
                            detail="timed out"), None
        status, location = answer
        hop = HttpHop(url=f"{scheme}://{host}{path}", address=address, outcome=Outcome.OK, status=status,
                      location=location)
        return WebProbe(scheme=scheme, address=address, family=Family.V6, port=port, outcome=Outcome.OK,
                        status=status, hops=[hop]), b""


async def probe(url: str, answers: dict) -> tuple:
    web = Web(answers)
    deps = Dependencies(dns=Dns(), web=web, options=ScanOptions(), allowed=parse_prefixes(["2001:db8::/32"]),
                        ipv6_ok=True)
    return await deps._origin(origin_of(url), "portal.tinh.gov.vn"), web.asked


async def test_a_redirect_to_another_origin_is_followed_and_recorded() -> None:
    found, asked = await probe("https://cdn.example/lib.js", {"cdn.example": (301, "https://cdn2.example/lib.js")})
    assert asked == ["cdn.example", "cdn2.example"]
    assert (found.status, found.redirect.url, found.redirect.status) == (301, "https://cdn2.example/lib.js", 200)
    assert found.redirect.address == "2001:db8::b" and found.redirect.redirect is None


async def test_a_redirect_on_the_same_origin_or_no_redirect_is_not_followed() -> None:
    same, asked = await probe("https://cdn.example/lib.js", {"cdn.example": (302, "/v2/lib.js")})
    assert same.redirect is None and asked == ["cdn.example"]
    not_found, _ = await probe("https://cdn.example/lib.js", {"cdn.example": (404, "https://cdn2.example/")})
    assert not_found.redirect is None


async def test_redirects_stop_at_a_loop_and_after_the_hop_limit() -> None:
    loop, asked = await probe("https://loop-a.example/x", {"loop-a.example": (301, "https://loop-b.example/x"),
                                                           "loop-b.example": (301, "https://loop-a.example/x")})
    assert asked == ["loop-a.example", "loop-b.example"] and loop.redirect.redirect is None
    chain = {f"hop{i}.example": (302, f"https://hop{i + 1}.example/") for i in range(5)}
    far, asked = await probe("https://hop0.example/", chain)
    assert len(asked) == REDIRECT_HOPS + 1 == 4


async def test_a_redirect_to_a_host_without_ipv6_or_to_an_ipv4_address_breaks_the_dependency() -> None:
    to_v4, _ = await probe("https://cdn.example/a.js", {"cdn.example": (301, "https://v4only.example/a.js")})
    assert to_v4.redirect.outcome == Outcome.DNS_NODATA
    literal, asked = await probe("https://cdn.example/a.js", {"cdn.example": (301, "http://192.0.2.7/a.js")})
    assert literal.redirect.outcome == Outcome.UNREACHABLE and asked == ["cdn.example"]

    from tests.test_checks import dependency
    dep = dependency("cdn.example")
    dep.probe.redirect = to_v4.redirect
    result = judge(site(page_facts=page(dep, dependency("fonts.example"))))
    deps = checks_of(result)["deps.ipv6"]
    assert (deps.status, deps.reason) == (CheckStatus.FAIL, "deps_not_ipv6")
    assert "cdn.example → v4only.example (script) has no AAAA" in message(deps, "en")
    assert "cdn.example → v4only.example" in message(deps, "vi")


async def test_the_lab_redirect_is_followed_with_the_real_prober(lab) -> None:
    """redirect6.gov.example answers 301 to https://v4only.gov.example/ (no AAAA): a page loading it loses it."""
    from ipv6scan.probe.dns import DnsClient
    from ipv6scan.probe.web import WebProber
    from ipv6scan.testnet.lab import ALLOW

    options, allowed = lab.options(), parse_prefixes(list(ALLOW))
    address, port = lab.resolver.rsplit(":", 1)
    dns = DnsClient(resolvers=[(address, int(port))], network=lab.network, timeout=1.0)
    web = WebProber(network=lab.network, options=options, resolve=dns.addresses, allowed=allowed)
    deps = Dependencies(dns=dns, web=web, options=options, allowed=allowed, ipv6_ok=True)
    try:
        found = await deps._origin(origin_of("https://redirect6.gov.example/app.js"), "portal.gov.example")
    finally:
        await web.aclose()
        await dns.aclose()
    assert (found.outcome, found.status) == (Outcome.OK, 301) and found.address.startswith("2001:db8::")
    assert found.redirect.url == "https://v4only.gov.example/" and found.redirect.outcome == Outcome.DNS_NODATA


async def test_a_frame_by_http_after_many_images_by_http_is_still_seen_and_fails_the_page() -> None:
    """The page's plain-http references are kept up to a cap; past it, the first of each kind still is (a page's
    references come per kind of element: scripts, then images, then frames)."""
    web = Web({})
    deps = Dependencies(dns=Dns(), web=web, options=ScanOptions(), allowed=parse_prefixes(["2001:db8::/32"]),
                        ipv6_ok=True)
    body = ("<html><body>" + "".join(f'<img src="http://portal.tinh.gov.vn/i{i}.png">' for i in range(25))
            + '<iframe src="http://portal.tinh.gov.vn/map"></iframe><iframe src="http://cdn.example/chat"></iframe>'
            "</body></html>").encode()
    probe = WebProbe(scheme="https", address="2001:db8::1", family=Family.V6, port=443, outcome=Outcome.OK,
                     status=200, final_status=200, final_url="https://portal.tinh.gov.vn/")
    found = await deps.read("portal.tinh.gov.vn", [probe], [body])
    assert found.insecure_found == 27 and found.insecure_kinds == {"image": 25, "frame": 2}
    assert [r.kind for r in found.insecure] == ["image"] * 20 + ["frame"]  # (the first frame, past the cap)
    result = judge(site(page_facts=found))
    mixed = checks_of(result)["web.mixed_content"]
    assert (mixed.status, mixed.reason) == (CheckStatus.FAIL, "mixed_blocked")
    assert message(mixed, "en") == ("Browsers block what the HTTPS page loads by plain HTTP (2): "
                                    "http://portal.tinh.gov.vn/map (embedded frame)")
