"""WebProber over real TCP/TLS on loopback, through a LabNetwork.

Documentation addresses (192.0.2.x, 2001:db8::x, ports 80/443) are routed to
WebServer listeners on 127.0.0.1 / ::1; the trustme CA of the CertFactory is
the extra CA bundle; redirect targets are resolved by a dict.
"""

from __future__ import annotations

import asyncio
import datetime

import pytest

from ipv6scan.addresses import family_of, parse_prefixes
from ipv6scan.config import ScanOptions
from ipv6scan.model import Family, Outcome
from ipv6scan.net import LabNetwork
from ipv6scan.probe.parity import compare
from ipv6scan.probe.web import WebProber
from ipv6scan.testnet.web_server import WRONG_NAME, CertFactory, Page, WebServer

V4, V6 = "192.0.2.10", "2001:db8::10"
V4_OTHER = "192.0.2.20"
ALLOWED = parse_prefixes(["192.0.2.0/24", "2001:db8::/32"])
HOST = "www.example.test"


@pytest.fixture(scope="module")
def certs() -> CertFactory:
    return CertFactory()


@pytest.fixture
async def server(certs: CertFactory):
    web = WebServer(certs)
    yield web
    await web.close()


class Lab:
    """Listeners + routes + DNS table -> a WebProber."""

    def __init__(self, server: WebServer, certs: CertFactory) -> None:
        self.server = server
        self.certs = certs
        self.routes: dict[tuple[str, int], tuple[str, int]] = {}
        self.dns: dict[str, list[str]] = {}
        self.probers: list[WebProber] = []

    async def site(self, address: str, port: int, **listen) -> int:
        """Route address:port to a new listener on the loopback of the same family."""
        loopback = "::1" if ":" in address else "127.0.0.1"
        listen.setdefault("tls", port == 443)
        real = await self.server.listen(loopback, **listen)
        self.routes[(address, port)] = (loopback, real)
        return real

    def refuse(self, address: str, port: int) -> None:
        loopback = "::1" if ":" in address else "127.0.0.1"
        self.routes[(address, port)] = (loopback, self.server.free_port(loopback))

    async def resolve(self, name: str, family: Family) -> tuple[Outcome, list[str]]:
        if name not in self.dns:
            return Outcome.DNS_NXDOMAIN, []
        found = [a for a in self.dns[name] if family_of(a) == family]
        return (Outcome.OK if found else Outcome.DNS_NODATA), found

    def prober(self, **options) -> WebProber:
        opts = {"connect_timeout": 0.5, "read_timeout": 0.5, "retries": 1, "ca_bundles": [self.certs.ca_pem_path]}
        prober = WebProber(
            network=LabNetwork(self.routes),
            options=ScanOptions(**(opts | options)),
            resolve=self.resolve,
            allowed=ALLOWED,
        )
        self.probers.append(prober)
        return prober


@pytest.fixture
async def web_lab(server: WebServer, certs: CertFactory):
    lab = Lab(server, certs)
    yield lab
    for prober in lab.probers:
        await prober.aclose()


async def test_http_ok_over_both_families_with_host_on_the_wire(web_lab: Lab) -> None:
    p4 = await web_lab.site(V4, 80, sites={HOST: Page()})
    p6 = await web_lab.site(V6, 80, sites={HOST: Page()})
    prober = web_lab.prober()

    r4, body4 = await prober.probe(HOST, V4, "http", 80)
    r6, body6 = await prober.probe(HOST, V6, "http", 80)

    assert (r4.outcome, r4.status, r4.family, r4.final_outcome) == (Outcome.OK, 200, Family.V4, Outcome.OK)
    assert (r6.outcome, r6.status, r6.family, r6.final_outcome) == (Outcome.OK, 200, Family.V6, Outcome.OK)
    assert r6.final_url == f"http://{HOST}/" and r6.hops[0].address == V6
    assert body4 == body6 and r4.title == "ok" and r4.headers["content-type"].startswith("text/html")
    assert r4.tls is None
    assert web_lab.server.requests == [("127.0.0.1", str(p4), HOST, ""), ("::1", str(p6), HOST, "")]


async def test_https_valid_sends_sni_and_records_tls(web_lab: Lab) -> None:
    port = await web_lab.site(V6, 443, sites={HOST: Page()})
    result, _ = await web_lab.prober().probe(HOST, V6, "https", 443)

    assert result.outcome == Outcome.OK and result.status == 200
    assert result.tls is not None and result.tls.outcome == Outcome.OK
    assert result.tls.protocol in ("TLSv1.2", "TLSv1.3") and result.tls.cipher
    assert result.tls.cert is not None and result.tls.cert.san == [HOST] and not result.tls.cert.self_signed
    assert web_lab.server.requests == [("::1", str(port), HOST, HOST)]


async def test_refused(web_lab: Lab) -> None:
    web_lab.refuse(V4, 80)
    result, body = await web_lab.prober().probe(HOST, V4, "http", 80)
    assert (result.outcome, result.attempts, result.status, body) == (Outcome.REFUSED, 1, None, None)
    assert result.final_outcome == Outcome.REFUSED and result.hops[0].outcome == Outcome.REFUSED


async def test_blackhole_times_out_after_a_retry(web_lab: Lab) -> None:
    port = await web_lab.site(V4, 80, sites={}, behaviour="blackhole")
    result, _ = await web_lab.prober(connect_timeout=0.3, read_timeout=0.3).probe(HOST, V4, "http", 80)
    assert result.outcome == Outcome.TIMEOUT and result.attempts == 2
    assert web_lab.server.connections[port] == 2


async def test_tls_blackhole_times_out_in_the_handshake(web_lab: Lab) -> None:
    await web_lab.site(V6, 443, sites={}, behaviour="blackhole")
    result, _ = await web_lab.prober(connect_timeout=0.3, read_timeout=0.3, retries=0).probe(HOST, V6, "https", 443)
    assert (result.outcome, result.attempts, result.tls) == (Outcome.TIMEOUT, 1, None)


async def test_slow_server_is_cut_by_the_overall_deadline(web_lab: Lab) -> None:
    web_lab.server.slow_interval = 0.05  # each byte comes well within the read timeout
    await web_lab.site(V4, 80, sites={}, behaviour="slow")
    result, _ = await web_lab.prober(connect_timeout=0.2, read_timeout=0.3, retries=0).probe(HOST, V4, "http", 80)
    assert result.outcome == Outcome.TIMEOUT and "within 0.5 s" in (result.detail or "")


async def test_https_server_that_goes_quiet_after_the_handshake_keeps_its_tls_facts(web_lab: Lab) -> None:
    web_lab.server.slow_interval = 0.05
    await web_lab.site(V6, 443, sites={HOST: Page()}, behaviour="slow")  # TLS completes, then a byte at a time
    result, _ = await web_lab.prober(connect_timeout=0.3, read_timeout=0.3, retries=0).probe(HOST, V6, "https", 443)
    assert result.outcome == Outcome.TIMEOUT and result.status is None
    assert result.tls is not None and result.tls.protocol in ("TLSv1.2", "TLSv1.3")
    assert result.tls.cert is not None and result.tls.cert.san == [HOST]


async def test_unmapped_address_is_unreachable(web_lab: Lab) -> None:
    result, _ = await web_lab.prober().probe(HOST, "2001:db8::99", "https", 443)
    assert result.outcome == Outcome.UNREACHABLE and result.attempts == 1


@pytest.mark.parametrize(
    ("kind", "outcome"),
    [
        ("expired", Outcome.TLS_EXPIRED),
        ("not_yet_valid", Outcome.TLS_NOT_YET_VALID),
        ("wrong_name", Outcome.TLS_HOSTNAME_MISMATCH),
        ("self_signed", Outcome.TLS_SELF_SIGNED),
        ("untrusted", Outcome.TLS_UNTRUSTED),
    ],
)
async def test_broken_certificates_are_named_and_still_observed(web_lab: Lab, kind: str, outcome: Outcome) -> None:
    await web_lab.site(V4, 443, sites={HOST: Page()}, default_cert=kind)
    result, body = await web_lab.prober().probe(HOST, V4, "https", 443)

    assert result.outcome == outcome and result.final_outcome == outcome
    assert result.tls is not None and result.tls.outcome == outcome and result.tls.verify_detail
    assert result.status == 200 and result.title == "ok" and body  # from the unverified fetch
    cert = result.tls.cert
    assert cert is not None
    assert cert.san == ([WRONG_NAME] if kind == "wrong_name" else [HOST])
    assert cert.self_signed == (kind == "self_signed")
    if kind == "expired":
        assert cert.not_after < datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def test_one_address_two_names_never_share_a_connection(web_lab: Lab) -> None:
    good, bad = "good.example.test", "bad.example.test"
    port = await web_lab.site(V4, 443, sites={good: Page(), bad: Page()}, certs={bad: "wrong_name"})
    prober = web_lab.prober()

    first, _ = await prober.probe(good, V4, "https", 443)
    second, _ = await prober.probe(bad, V4, "https", 443)

    assert first.outcome == Outcome.OK and first.tls and first.tls.cert and first.tls.cert.san == [good]
    assert second.outcome == Outcome.TLS_HOSTNAME_MISMATCH
    assert second.tls and second.tls.cert and second.tls.cert.san == [WRONG_NAME]
    assert first.tls.cert.sha256 != second.tls.cert.sha256
    # good: one connection; bad: the verifying handshake (rejected), then the unverified fetch.
    assert web_lab.server.connections[port] == 3
    assert [(host, sni) for _, _, host, sni in web_lab.server.requests] == [(good, good), (bad, bad)]


async def test_concurrent_probes_of_two_names_keep_host_and_sni_together(web_lab: Lab) -> None:
    names = [f"site{i}.example.test" for i in range(6)]
    port = await web_lab.site(V6, 443, sites={n: Page(body=f"<title>{n}</title>") for n in names})
    prober = web_lab.prober()

    results = await asyncio.gather(*(prober.probe(n, V6, "https", 443) for n in names * 2))

    assert [r.title for r, _ in results] == names * 2
    assert all(r.tls and r.tls.cert and r.tls.cert.san == [r.title] for r, _ in results)
    assert all(host == sni for _, _, host, sni in web_lab.server.requests)
    assert web_lab.server.connections[port] == len(names) * 2


async def test_redirect_to_https_on_the_same_host_stays_on_the_address(web_lab: Lab) -> None:
    await web_lab.site(V6, 80, sites={HOST: Page(status=301, headers={"Location": f"https://{HOST}/start"})})
    await web_lab.site(V6, 443, sites={HOST: Page(body="<title>secure</title>")})
    result, _ = await web_lab.prober().probe(HOST, V6, "http", 80)

    assert (result.outcome, result.status) == (Outcome.OK, 301)
    assert [(h.url, h.address, h.status) for h in result.hops] == [
        (f"http://{HOST}/", V6, 301),
        (f"https://{HOST}/start", V6, 200),
    ]
    assert result.hops[0].location == f"https://{HOST}/start"
    assert (result.final_outcome, result.final_status, result.final_url) == (Outcome.OK, 200, f"https://{HOST}/start")
    assert result.title == "secure"
    assert result.tls is None  # the first hop was plain HTTP


async def test_redirect_to_another_host_uses_its_address_in_the_family(web_lab: Lab) -> None:
    web_lab.dns["cdn.example.test"] = [V4_OTHER, "2001:db8::20"]
    await web_lab.site(V4, 80, sites={HOST: Page(status=302, headers={"Location": "http://cdn.example.test/x?y=1"})})
    await web_lab.site(V4_OTHER, 80, sites={"cdn.example.test": Page(body="<title>cdn</title>")})
    result, _ = await web_lab.prober().probe(HOST, V4, "http", 80)

    assert result.final_outcome == Outcome.OK and result.title == "cdn"
    assert [(h.url, h.address) for h in result.hops][1] == ("http://cdn.example.test/x?y=1", V4_OTHER)


async def test_redirect_to_a_host_without_ipv6_leaves_the_family(web_lab: Lab) -> None:
    web_lab.dns["v4only.example.test"] = [V4_OTHER]
    await web_lab.site(V6, 80, sites={HOST: Page(status=301, headers={"Location": "http://v4only.example.test/"})})
    result, _ = await web_lab.prober().probe(HOST, V6, "http", 80)

    assert result.outcome == Outcome.OK and result.final_outcome == Outcome.REDIRECT_LEAVES_FAMILY
    assert result.final_status == 301 and result.final_url == f"http://{HOST}/"
    last = result.hops[-1]
    assert (last.url, last.address) == ("http://v4only.example.test/", None)
    assert last.outcome == Outcome.REDIRECT_LEAVES_FAMILY


async def test_redirect_to_an_unknown_host_ends_with_the_dns_outcome(web_lab: Lab) -> None:
    await web_lab.site(V4, 80, sites={HOST: Page(status=301, headers={"Location": "http://nowhere.example.test/"})})
    result, _ = await web_lab.prober().probe(HOST, V4, "http", 80)
    assert result.final_outcome == Outcome.DNS_NXDOMAIN


async def test_redirect_loop(web_lab: Lab) -> None:
    other = "other.example.test"
    web_lab.dns[other] = [V4]
    await web_lab.site(
        V4,
        80,
        sites={
            HOST: Page(status=302, headers={"Location": f"http://{other}/"}),
            other: Page(status=302, headers={"Location": f"http://{HOST}/"}),
        },
    )
    result, _ = await web_lab.prober().probe(HOST, V4, "http", 80)

    assert result.final_outcome == Outcome.REDIRECT_LOOP
    assert [h.address for h in result.hops] == [V4, V4, None]
    assert len(web_lab.server.requests) == 2


@pytest.mark.parametrize(
    "location", ["file:///etc/passwd", "http://10.0.0.1/", "http://[fe80::1]/", "ftp://example.test/"]
)
async def test_redirect_refused(web_lab: Lab, location: str) -> None:
    await web_lab.site(V4, 80, sites={HOST: Page(status=302, headers={"Location": location})})
    result, _ = await web_lab.prober().probe(HOST, V4, "http", 80)

    assert result.final_outcome == Outcome.REDIRECT_REFUSED
    assert result.hops[-1].address is None and len(web_lab.server.requests) == 1


async def test_body_cap_truncates(web_lab: Lab) -> None:
    await web_lab.site(V4, 80, sites={HOST: Page(body="<title>big</title>" + "x" * 50_000)})
    result, body = await web_lab.prober(body_cap=10_000).probe(HOST, V4, "http", 80)

    assert result.body_truncated and result.body_length == 10_000 and body is not None and len(body) == 10_000
    assert result.title == "big" and result.body_sha256


async def test_body_at_exactly_the_cap_is_not_truncated(web_lab: Lab) -> None:
    page = "<title>t</title>".ljust(4096, "x")
    await web_lab.site(V4, 80, sites={HOST: Page(body=page)})
    result, body = await web_lab.prober(body_cap=4096).probe(HOST, V4, "http", 80)
    assert not result.body_truncated and body == page.encode()


async def test_title_is_unescaped_and_collapsed(web_lab: Lab) -> None:
    page = "<html><head><TITLE lang=vi>\n  Cổng  thông tin &amp; dịch vụ\n</TITLE></head></html>"
    await web_lab.site(V6, 80, sites={HOST: Page(body=page)})
    result, _ = await web_lab.prober().probe(HOST, V6, "http", 80)
    assert result.title == "Cổng thông tin & dịch vụ"


async def test_unknown_host_gets_the_servers_misdirected_page(web_lab: Lab) -> None:
    await web_lab.site(V4, 80, sites={HOST: Page()})
    result, _ = await web_lab.prober().probe("other.example.test", V4, "http", 80)
    assert (result.outcome, result.status, result.title) == (Outcome.OK, 421, "misdirected")


async def test_a_dual_stack_site_has_parity_despite_per_request_tokens(web_lab: Lab) -> None:
    page = Page(
        body='<html><head><meta name="csrf-token" content="{nonce}"><title>t</title></head>'
        '<body><form><input type="hidden" name="csrf" value="{nonce}"></form>hello</body></html>'
    )
    await web_lab.site(V4, 443, sites={HOST: page})
    await web_lab.site(V6, 443, sites={HOST: page})
    prober = web_lab.prober()
    (r4, b4), (r6, b6) = await asyncio.gather(prober.probe(HOST, V4, "https", 443), prober.probe(HOST, V6, "https", 443))

    assert b4 != b6
    facts = compare(r4, b4, r6, b6)
    assert (facts.v4_status, facts.v6_status, facts.similarity, facts.same_certificate) == (200, 200, 1.0, True)
