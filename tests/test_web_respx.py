"""WebProber's HTTP layer without sockets: respx replaces the transport's network exchange.

WebProber sends every request to :class:`ipv6scan.probe._http.PinnedTransport`;
the respx mocker registered here (``respx.mock(using="ipv6scan")``) patches its
``exchange``, so requests are seen exactly as WebProber hands them to the
transport (the address as URL, Host header, the SNI name as ``sni_hostname``), and
responses and exceptions come back the way the transport returns and raises
them: httpx exceptions with the socket's or ssl's error as ``__cause__``.
"""

from __future__ import annotations

import ssl

import httpx
import pytest
import respx
from respx.mocks import AbstractRequestMocker
from respx.models import SideEffectError

from ipv6scan.addresses import parse_prefixes
from ipv6scan.config import ScanOptions
from ipv6scan.model import Family, Outcome
from ipv6scan.net import Network, Unroutable
from ipv6scan.probe import _http
from ipv6scan.probe.web import WebProber

HOST = "www.example.test"
V4, V6 = "192.0.2.10", "2001:db8::10"
ALLOWED = parse_prefixes(["192.0.2.0/24", "2001:db8::/32"])


class PinnedTransportMocker(AbstractRequestMocker):
    """respx mocker for ipv6scan's own transport (respx's default one patches httpcore, unused here).

    WebProber hands the transport its light ``_http.Request``; respx sees it as an ``httpx.Request`` (the URL
    holds the address; headers as sent; extensions ``sni_hostname`` and ``timeout``), and the mocked
    ``httpx.Response`` comes back as the transport's ``_http.Response``."""

    name = "ipv6scan"
    targets = ["ipv6scan.probe._http.PinnedTransport"]
    target_methods = ["exchange"]

    @classmethod
    def to_httpx_request(cls, **kwargs) -> httpx.Request:
        lean: _http.Request = kwargs["request"]
        return httpx.Request(lean.method, lean.url, headers=lean.headers,
                             extensions={"sni_hostname": lean.sni, "timeout": lean.timeouts})

    @classmethod
    async def from_async_httpx_response(cls, httpx_response: httpx.Response, target, **kwargs) -> _http.Response:
        """A fresh, unread response around the mocked one's stream, as the transport returns it."""
        ext = httpx_response.extensions
        return _http.Response(httpx_response.status_code, httpx_response.headers.raw, httpx_response.stream,
                              reason=ext.get("reason_phrase", b""), network_stream=ext.get("network_stream"))

    @classmethod
    async def _send_async_request(cls, httpx_request, **kwargs):
        """respx re-raises a side effect ``from`` its own SideEffectError: give it back the cause it had."""
        try:
            return await super()._send_async_request(httpx_request, **kwargs)
        except Exception as e:
            if isinstance(e.__cause__, SideEffectError):
                e.__cause__, e.__context__ = getattr(e, "wrapped", None), None
            raise


def raised(wrapper: type[httpx.TransportError], cause: BaseException) -> httpx.TransportError:
    """What the transport raises for ``cause``: an httpx exception ``from`` it."""
    exc = wrapper(str(cause) or type(cause).__name__)
    exc.__cause__ = exc.wrapped = cause  # type: ignore[attr-defined]
    return exc


class Resolver:
    """A fake DNS: answers from a table and remembers the questions."""

    def __init__(self, table: dict[str, tuple[Outcome, list[str]]] | None = None) -> None:
        self.table = table or {}
        self.asked: list[tuple[str, Family]] = []

    async def __call__(self, name: str, family: Family) -> tuple[Outcome, list[str]]:
        self.asked.append((name, family))
        return self.table.get(name, (Outcome.DNS_NXDOMAIN, []))


@pytest.fixture
def dns() -> Resolver:
    return Resolver()


@pytest.fixture
async def make(dns: Resolver):
    probers: list[WebProber] = []

    def make(resolve=dns, **options) -> WebProber:
        prober = WebProber(network=Network(), options=ScanOptions(**options), resolve=resolve, allowed=ALLOWED)
        probers.append(prober)
        return prober

    yield make
    for prober in probers:
        await prober.aclose()


@pytest.fixture
def mock():
    with respx.mock(assert_all_mocked=True, assert_all_called=False, using=PinnedTransportMocker.name) as router:
        yield router


async def test_request_is_pinned_to_the_address_and_names_the_host(make, mock) -> None:
    route = mock.get("https://[2001:db8::10]:8443/").respond(200)
    result, _ = await make(user_agent="probe/1").probe(HOST, V6, "https", 8443)

    request = route.calls.last.request
    assert result.outcome == Outcome.OK and result.family == Family.V6
    assert request.headers["host"] == f"{HOST}:8443"
    assert request.extensions["sni_hostname"] == HOST
    assert request.headers["user-agent"] == "probe/1"
    assert request.headers["connection"] == "close"
    assert request.headers["accept-encoding"] == "identity"
    assert "cookie" not in request.headers


async def test_kept_headers_are_lower_case_and_truncated(make, mock) -> None:
    headers = [
        ("Server", "nginx"),
        ("X-Powered-By", "P" * 500),
        ("Alt-Svc", 'h3=":443"'),
        ("Alt-Svc", 'h2=":443"'),
        ("Set-Cookie", "a=b"),
        ("X-Other", "dropped"),
    ]
    mock.get(f"http://{V4}/").respond(200, headers=headers, html="<title>t</title>")
    result, body = await make().probe(HOST, V4, "http", 80)

    assert result.headers == {
        "server": "nginx",
        "x-powered-by": "P" * 200,
        "alt-svc": 'h3=":443", h2=":443"',
        "content-type": "text/html; charset=utf-8",
    }
    assert body == b"<title>t</title>" and result.body_length == len(body) and not result.body_truncated


@pytest.mark.parametrize(
    ("effect", "outcome", "calls"),
    [
        (raised(httpx.ConnectTimeout, TimeoutError()), Outcome.TIMEOUT, 2),
        (raised(httpx.ReadTimeout, TimeoutError()), Outcome.TIMEOUT, 2),
        (raised(httpx.ConnectError, ConnectionRefusedError(111, "Connection refused")), Outcome.REFUSED, 1),
        (raised(httpx.ConnectError, Unroutable(V4, 443)), Outcome.UNREACHABLE, 1),
        (httpx.RemoteProtocolError("Server disconnected without sending a response."), Outcome.RESET, 1),
        (httpx.RemoteProtocolError("illegal status line: bytearray(b'SSH-2.0')"), Outcome.PROTOCOL_ERROR, 1),
        (raised(httpx.ReadError, ConnectionResetError("Connection lost")), Outcome.RESET, 1),
        (
            raised(httpx.ConnectError, ssl.SSLError(1, "[SSL: TLSV1_ALERT_PROTOCOL_VERSION] alert")),
            Outcome.TLS_HANDSHAKE_FAILED,
            1,
        ),
    ],
)
async def test_failures_map_to_outcomes_and_only_timeouts_are_retried(make, mock, effect, outcome, calls) -> None:
    route = mock.get(f"https://{V4}/").mock(side_effect=effect)
    result, body = await make(retries=1).probe(HOST, V4, "https", 443)

    assert (result.outcome, result.final_outcome, result.attempts, route.call_count) == (outcome, outcome, calls, calls)
    assert result.status is None and body is None and result.detail


def _verify_error(code: int, message: str) -> ssl.SSLCertVerificationError:
    err = ssl.SSLCertVerificationError(1, f"[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: {message}")
    err.verify_code, err.verify_message = code, message
    return err


async def test_certificate_failure_is_named_then_fetched_unverified(make, mock) -> None:
    route = mock.get(f"https://{V4}/").mock(
        side_effect=[
            raised(httpx.ConnectError, _verify_error(10, "certificate has expired")),
            httpx.Response(200, html="<title>old</title>"),
        ]
    )
    result, body = await make().probe(HOST, V4, "https", 443)

    assert route.call_count == 2
    assert (result.outcome, result.status, result.title) == (Outcome.TLS_EXPIRED, 200, "old")
    assert result.tls is not None and result.tls.outcome == Outcome.TLS_EXPIRED
    assert result.tls.verify_detail == "certificate has expired"
    assert result.hops[0].outcome == Outcome.TLS_EXPIRED and result.hops[0].status == 200


async def test_relative_and_same_site_redirects_keep_the_probe_port(make, mock) -> None:
    mock.get(f"http://{V4}:8080/").respond(301, headers={"Location": "/a?x=1"})
    mock.get(f"http://{V4}:8080/a?x=1").respond(302, headers={"Location": f"http://{HOST.upper()}/b"})
    mock.get(f"http://{V4}:8080/b").respond(302, headers={"Location": f"https://{HOST}/c"})
    last = mock.get(f"https://{V4}/c").respond(200, html="<title>end</title>")
    result, _ = await make().probe(HOST, V4, "http", 8080)

    assert [(h.url, h.address, h.status) for h in result.hops] == [
        (f"http://{HOST}:8080/", V4, 301),
        (f"http://{HOST}:8080/a?x=1", V4, 302),
        (f"http://{HOST}:8080/b", V4, 302),
        (f"https://{HOST}/c", V4, 200),
    ]
    assert last.calls.last.request.headers["host"] == HOST
    assert (result.status, result.final_status, result.final_outcome, result.title) == (301, 200, Outcome.OK, "end")


async def test_redirect_to_another_host_asks_dns_in_the_probes_family(make, mock, dns) -> None:
    dns.table["cdn.example.test"] = (Outcome.OK, ["2001:db8::20", "2001:db8::21"])
    mock.get(f"http://[{V6}]/").respond(302, headers={"Location": "https://cdn.example.test/x"})
    route = mock.get("https://[2001:db8::20]/x").respond(200)
    result, _ = await make().probe(HOST, V6, "http", 80)

    assert dns.asked == [("cdn.example.test", Family.V6)]
    assert result.final_outcome == Outcome.OK and result.hops[1].address == "2001:db8::20"
    request = route.calls.last.request
    assert request.headers["host"] == "cdn.example.test" and request.extensions["sni_hostname"] == "cdn.example.test"


@pytest.mark.parametrize(
    ("answer", "outcome"),
    [
        ((Outcome.DNS_NODATA, []), Outcome.REDIRECT_LEAVES_FAMILY),
        ((Outcome.OK, ["2001:db8::20"]), Outcome.REDIRECT_LEAVES_FAMILY),  # v6 only, probe is v4
        ((Outcome.DNS_SERVFAIL, []), Outcome.DNS_SERVFAIL),
        ((Outcome.OK, ["10.1.2.3"]), Outcome.REDIRECT_REFUSED),  # not global, not allowed
    ],
)
async def test_redirect_target_without_a_usable_address(make, mock, dns, answer, outcome) -> None:
    dns.table["next.example.test"] = answer
    mock.get(f"http://{V4}/").respond(301, headers={"Location": "http://next.example.test/"})
    result, _ = await make().probe(HOST, V4, "http", 80)

    assert result.outcome == Outcome.OK and result.final_outcome == outcome
    assert result.hops[-1].address is None and result.hops[-1].url == "http://next.example.test/"
    assert result.final_status == 301


async def test_too_many_redirects(make, mock) -> None:
    for i in range(5):
        mock.get(f"http://{V4}/{i}" if i else f"http://{V4}/").respond(302, headers={"Location": f"/{i + 1}"})
    result, _ = await make(max_redirects=2).probe(HOST, V4, "http", 80)

    assert [h.status for h in result.hops] == [302, 302, 302, None]
    assert result.final_outcome == Outcome.TOO_MANY_REDIRECTS and result.final_url == f"http://{HOST}/2"


async def test_cookie_check_redirect_is_not_a_loop(make, mock) -> None:
    def gate(request: httpx.Request) -> httpx.Response:
        if request.headers.get("cookie") == "seen=1":
            return httpx.Response(200, html="<title>in</title>")
        return httpx.Response(302, headers={"Location": "/", "Set-Cookie": "seen=1; Path=/; HttpOnly"})

    mock.get(f"http://{V4}/").mock(side_effect=gate)
    result, _ = await make().probe(HOST, V4, "http", 80)
    assert [h.status for h in result.hops] == [302, 200] and result.final_outcome == Outcome.OK


async def test_a_cookie_that_is_not_ascii_goes_back_as_it_came(make, mock) -> None:
    """A cookie value in UTF-8 (Vietnamese, say) is sent back byte for byte; it once made the next request
    fail to encode, and the whole host became a scanner error."""
    cookie = "ten=Hà Nội".encode()

    def gate(request: httpx.Request) -> httpx.Response:
        if request.headers.raw and (b"Cookie", cookie) in request.headers.raw:
            return httpx.Response(200, html="<title>vào</title>")
        return httpx.Response(302, headers=[(b"Location", b"/"), (b"Set-Cookie", cookie + b"; Path=/")])

    route = mock.get(f"http://{V4}/").mock(side_effect=gate)
    result, _ = await make().probe(HOST, V4, "http", 80)
    assert [h.status for h in result.hops] == [302, 200] and result.title == "vào"
    assert route.calls.last.request.headers.raw[-1] == (b"Cookie", cookie)


async def test_a_header_in_latin_1_is_read_as_httpx_reads_it(make, mock) -> None:
    mock.get(f"http://{V4}/").respond(200, headers=[(b"Server", "Caf\xe9".encode("latin-1"))])
    result, _ = await make().probe(HOST, V4, "http", 80)
    assert result.headers["server"] == "Café"


async def test_a_path_is_sent_percent_encoded_as_browsers_send_it(make, mock) -> None:
    route = mock.get(f"http://{V4}/a%20b?q=%C3%A9").respond(200)
    result, _ = await make().probe(HOST, V4, "http", 80, path="/a b?q=é#top")
    assert result.outcome == Outcome.OK and route.call_count == 1


async def test_redirect_to_itself_is_a_loop(make, mock) -> None:
    route = mock.get(f"http://{V4}/").respond(302, headers={"Location": f"http://{HOST}/"})
    result, _ = await make().probe(HOST, V4, "http", 80)
    assert result.final_outcome == Outcome.REDIRECT_LOOP and route.call_count == 1


async def test_a_failing_resolver_is_an_error_not_a_crash(make, mock) -> None:
    async def broken(name: str, family: Family) -> tuple[Outcome, list[str]]:
        raise RuntimeError("resolver bug")

    mock.get(f"http://{V4}/").respond(301, headers={"Location": "http://elsewhere.example.test/"})
    result, _ = await make(resolve=broken).probe(HOST, V4, "http", 80)
    assert result.final_outcome == Outcome.ERROR and "resolver bug" in (result.hops[-1].detail or "")


@pytest.mark.parametrize("status", [300, 304, 301])
async def test_3xx_without_a_followable_location_ends_the_chain(make, mock, status) -> None:
    mock.get(f"http://{V4}/").respond(status)
    result, _ = await make().probe(HOST, V4, "http", 80)
    assert len(result.hops) == 1 and result.final_status == status and result.final_outcome == Outcome.OK
