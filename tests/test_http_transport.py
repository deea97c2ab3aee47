"""ipv6scan.probe._http.PinnedTransport against real loopback servers.

A scripted raw TCP/TLS listener plays exact bytes (so framing, limits, cuts and
stalls are what the test says), the test network's WebServer checks Host and
SNI, and every connection goes through a LabNetwork route from a documentation
address to loopback, as in a scan.
"""

from __future__ import annotations

import asyncio
import errno
import socket
import ssl
import time
from collections.abc import Awaitable, Callable, Sequence

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st
import pytest
from cryptography import x509

from ipv6scan.addresses import parse_prefixes
from ipv6scan.config import ScanOptions
from ipv6scan.model import Outcome
from ipv6scan.net import LabNetwork, Unroutable
from ipv6scan.probe import _http
from ipv6scan.probe._http import PinnedTransport
from ipv6scan.probe.tls import TlsContexts
from ipv6scan.probe.web import WebProber
from ipv6scan.testnet.web_server import CertFactory, Page, WebServer

HOST = "www.example.test"
V4, V6 = "192.0.2.7", "2001:db8::7"
TIMEOUT = 0.3
SLACK = 1.5

Step = bytes | float  # bytes to send, or seconds to wait
Script = Sequence[Step]


class Scripted:
    """Loopback listeners that read one request head, then play a script: bytes to send, pauses.

    After the script the connection is closed, unless ``hold`` (then it stays
    open until the client goes). ``heads`` keeps every request head read;
    ``client_gone`` is set when a connection ended (script played, or the
    client went away).
    """

    def __init__(self) -> None:
        self.heads: list[bytes] = []
        self.connections = 0
        self.client_gone = asyncio.Event()
        self._servers: list[asyncio.Server] = []

    async def listen(self, script: Script, *, host: str = "127.0.0.1", hold: bool = False,
                     tls: ssl.SSLContext | None = None, read_head: bool = True) -> int:
        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.connections += 1
            try:
                if read_head:
                    self.heads.append(await reader.readuntil(b"\r\n\r\n"))
                for step in script:
                    if isinstance(step, float):
                        await asyncio.sleep(step)
                    else:
                        writer.write(step)
                        await writer.drain()
                if hold:
                    await reader.read()  # until the client closes
            except (OSError, asyncio.IncompleteReadError):
                pass
            finally:
                self.client_gone.set()
                writer.close()

        server = await asyncio.start_server(serve, host, 0, ssl=tls)
        self._servers.append(server)
        return server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        for server in self._servers:
            server.close()
        for server in self._servers:
            if hasattr(server, "close_clients"):  # pragma: no cover - Python 3.13+
                server.close_clients()


@pytest.fixture
async def scripted():
    server = Scripted()
    yield server
    await server.close()


@pytest.fixture(scope="module")
def certs() -> CertFactory:
    return CertFactory()


def transport_to(port: int, *, address: str = V4, context: ssl.SSLContext | None = None, **kw) -> PinnedTransport:
    """A transport whose network routes address:80 and address:443 to ``port`` on loopback."""
    loopback = "::1" if ":" in address else "127.0.0.1"
    network = LabNetwork({(address, 80): (loopback, port), (address, 443): (loopback, port)})
    return PinnedTransport(network, context or ssl.create_default_context(), **kw)


def get(url: str, *, host: str = HOST, timeout: float = TIMEOUT, trace=None, **headers: str) -> httpx.Request:
    extensions: dict = {"timeout": {"connect": timeout, "read": timeout, "write": timeout, "pool": timeout},
                        "sni_hostname": host}
    if trace is not None:
        extensions["trace"] = trace
    return httpx.Request("GET", url, headers={"Host": host, "Connection": "close", **headers}, extensions=extensions)


async def body_of(response: httpx.Response) -> list[bytes]:
    try:
        return [chunk async for chunk in response.aiter_raw()]
    finally:
        await response.aclose()


async def raises(exc_type: type[BaseException], call: Callable[[], Awaitable[object]]) -> tuple[BaseException, float]:
    started = time.monotonic()
    with pytest.raises(exc_type) as info:
        await call()
    return info.value, time.monotonic() - started


def response(head: str, body: bytes = b"") -> bytes:
    return head.replace("\n", "\r\n").encode() + b"\r\n" + body


# ------------------------------------------------------------------ framing


async def test_content_length_body_and_the_request_on_the_wire(scripted) -> None:
    port = await scripted.listen([response("HTTP/1.1 200 OK\nContent-Length: 5\nX-A: 1\nx-a: 2\n", b"hello")])
    resp = await transport_to(port).handle_async_request(get(f"http://{V4}/p?q=1", **{"User-Agent": "t/1"}))

    assert (resp.status_code, resp.http_version, resp.reason_phrase) == (200, "HTTP/1.1", "OK")
    assert resp.headers.get_list("x-a") == ["1", "2"]
    assert b"".join(await body_of(resp)) == b"hello"
    head = scripted.heads[0].decode()
    assert head.startswith("GET /p?q=1 HTTP/1.1\r\n")
    assert f"Host: {HOST}\r\n" in head and "Connection: close\r\n" in head and "User-Agent: t/1\r\n" in head
    assert scripted.connections == 1


async def test_chunked_body_is_streamed_as_it_comes(scripted) -> None:
    chunks = [b"5\r\nhello\r\n", 0.05, b"6\r\n world\r\n", 0.05, b"0\r\n\r\n"]
    head = response("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n")
    port = await scripted.listen([head, *chunks], host="::1", hold=True)
    resp = await transport_to(port, address=V6).handle_async_request(get(f"http://[{V6}]/"))

    parts = await body_of(resp)
    assert b"".join(parts) == b"hello world" and len(parts) >= 2  # not buffered until the end


async def test_body_without_length_ends_with_the_connection(scripted) -> None:
    port = await scripted.listen([response("HTTP/1.0 200 OK\n", b"until "), 0.02, b"close"])
    resp = await transport_to(port).handle_async_request(get(f"http://{V4}/"))
    assert resp.http_version == "HTTP/1.0" and b"".join(await body_of(resp)) == b"until close"


async def test_interim_1xx_answers_are_skipped(scripted) -> None:
    script = [b"HTTP/1.1 100 Continue\r\n\r\n", response("HTTP/1.1 204 No Content\n")]
    port = await scripted.listen(script)
    resp = await transport_to(port).handle_async_request(get(f"http://{V4}/"))
    assert resp.status_code == 204 and await body_of(resp) == []


async def test_body_is_never_decoded(scripted) -> None:
    gzipped = b"\x1f\x8b\x08\x00" + b"\x00" * 16
    head = f"HTTP/1.1 200 OK\nContent-Encoding: gzip\nContent-Length: {len(gzipped)}\n"
    port = await scripted.listen([response(head, gzipped)])
    resp = await transport_to(port).handle_async_request(get(f"http://{V4}/"))
    assert b"".join(await body_of(resp)) == gzipped


# ------------------------------------------------------------------ bounds


async def test_an_endless_body_is_read_only_as_far_as_the_reader_goes(scripted) -> None:
    endless = [response("HTTP/1.1 200 OK\nContent-Length: 1000000000\n")] + [b"x" * 65536] * 2000
    port = await scripted.listen(endless)
    resp = await transport_to(port).handle_async_request(get(f"http://{V4}/"))

    cap, got = 100_000, 0
    async for chunk in resp.aiter_raw():
        assert len(chunk) <= _http.READ_SIZE
        got += len(chunk)
        if got >= cap:
            break
    await resp.aclose()
    await asyncio.wait_for(scripted.client_gone.wait(), 2)  # the connection is gone, the server stopped sending
    assert got < cap + _http.READ_SIZE


async def test_a_body_sent_faster_than_it_is_read_waits_in_the_kernel_not_in_the_scanner(scripted) -> None:
    size = 64 * 65536  # 4 MiB, sent as fast as the connection takes it
    port = await scripted.listen([response(f"HTTP/1.1 200 OK\nContent-Length: {size}\n")] + [b"z" * 65536] * 64)
    resp = await transport_to(port).handle_async_request(get(f"http://{V4}/"))
    await asyncio.sleep(0.3)  # the reader reads nothing for a while: reading is paused, not buffered

    waiting = sum(map(len, resp.stream._parse.pieces))
    assert waiting <= _http._HIGH_WATER + 256 * 1024  # (what one read of the event loop brings)
    got = sum(len(chunk) for chunk in await body_of(resp))  # and it resumes as the reader reads
    assert got == size


async def test_web_prober_caps_the_body(scripted) -> None:
    port = await scripted.listen([response("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n")]
                                 + [b"8000\r\n" + b"y" * 0x8000 + b"\r\n"] * 100 + [b"0\r\n\r\n"])

    async def nowhere(name, family):
        return Outcome.DNS_NXDOMAIN, []

    network = LabNetwork({(V4, 80): ("127.0.0.1", port)})
    prober = WebProber(network=network, options=ScanOptions(body_cap=70_000, read_timeout=1), resolve=nowhere,
                       allowed=parse_prefixes(["192.0.2.0/24"]))
    result, body = await prober.probe(HOST, V4, "http", 80)
    assert (result.outcome, result.status, result.body_truncated, len(body)) == (Outcome.OK, 200, True, 70_000)


async def test_response_head_is_limited_in_bytes(scripted) -> None:
    headers = "".join(f"X-Junk-{i}: {'j' * 100}\n" for i in range(2000))  # ~230 KB of head, never ending
    port = await scripted.listen([response(f"HTTP/1.1 200 OK\n{headers}")], hold=True)
    exc, elapsed = await raises(httpx.RemoteProtocolError,
                                lambda: transport_to(port).handle_async_request(get(f"http://{V4}/")))
    assert "Receive buffer too long" in str(exc) and elapsed < TIMEOUT + SLACK


async def test_a_head_under_the_limit_is_fine_and_the_limit_can_be_set(scripted) -> None:
    headers = "".join(f"X-Junk-{i}: {'j' * 100}\n" for i in range(100))  # ~11 KB
    head = response(f"HTTP/1.1 200 OK\nContent-Length: 0\n{headers}")
    port = await scripted.listen([head])
    # The limit is on the incomplete head (bytes received without its end): a head that
    # arrives whole in one read may pass it by up to a read, so this one comes in pieces.
    pieces = [step for i in range(0, len(head), 2048) for step in (head[i : i + 2048], 0.01)]
    port_small = await scripted.listen(pieces, hold=True)

    resp = await transport_to(port).handle_async_request(get(f"http://{V4}/"))
    assert resp.status_code == 200 and len(resp.headers) == 101
    await resp.aclose()
    with pytest.raises(httpx.RemoteProtocolError):
        await transport_to(port_small, max_head=4096).handle_async_request(get(f"http://{V4}/"))


# ------------------------------------------------------------------ cut short, garbage, silence


@pytest.mark.parametrize(
    ("script", "words"),
    [
        ([], "without sending a response"),
        ([b"HTTP/1.1 200 OK\r\nContent-Le"], "before the end of the response head"),
    ],
)
async def test_connection_closed_before_the_head_is_complete(scripted, script, words) -> None:
    port = await scripted.listen(script)
    exc, _ = await raises(httpx.RemoteProtocolError,
                          lambda: transport_to(port).handle_async_request(get(f"http://{V4}/")))
    assert words in str(exc) and "disconnected" in str(exc)  # web.py calls this a reset


async def test_connection_closed_in_the_body(scripted) -> None:
    port = await scripted.listen([response("HTTP/1.1 200 OK\nContent-Length: 100\n", b"only ten..")])
    resp = await transport_to(port).handle_async_request(get(f"http://{V4}/"))
    with pytest.raises(httpx.RemoteProtocolError, match="closed"):
        await body_of(resp)


async def test_garbage_is_a_protocol_error(scripted) -> None:
    port = await scripted.listen([b"SSH-2.0-OpenSSH_9.6\r\nand more\r\n\r\n"])
    with pytest.raises(httpx.RemoteProtocolError, match="illegal status line"):
        await transport_to(port).handle_async_request(get(f"http://{V4}/"))


async def test_silence_is_a_read_timeout(scripted) -> None:
    port = await scripted.listen([], hold=True)
    exc, elapsed = await raises(httpx.ReadTimeout,
                                lambda: transport_to(port).handle_async_request(get(f"http://{V4}/")))
    assert isinstance(exc.__cause__, TimeoutError) and TIMEOUT <= elapsed < TIMEOUT + SLACK


async def test_a_body_that_stalls_is_a_read_timeout(scripted) -> None:
    port = await scripted.listen([response("HTTP/1.1 200 OK\nContent-Length: 10\n", b"12345")], hold=True)
    resp = await transport_to(port).handle_async_request(get(f"http://{V4}/"))
    with pytest.raises(httpx.ReadTimeout):
        await body_of(resp)


# ------------------------------------------------------------------ connecting


async def test_refused_and_unroutable_keep_the_socket_error_as_cause(scripted) -> None:
    with socketless_port() as port:
        refused, _ = await raises(httpx.ConnectError,
                                  lambda: transport_to(port).handle_async_request(get(f"http://{V4}/")))
    assert isinstance(refused.__cause__, ConnectionRefusedError)

    unroutable, _ = await raises(httpx.ConnectError,
                                 lambda: transport_to(1).handle_async_request(get("http://192.0.2.99/")))
    assert isinstance(unroutable.__cause__, Unroutable) and unroutable.__cause__.errno == errno.ENETUNREACH


async def test_a_bad_header_value_is_refused_before_connecting(scripted) -> None:
    port = await scripted.listen([])
    with pytest.raises(httpx.LocalProtocolError):
        await transport_to(port).handle_async_request(get(f"http://{V4}/", Cookie="a=b\r\nInjected: 1"))
    assert scripted.connections == 0


# ------------------------------------------------------------------ TLS


@pytest.fixture
async def web(certs):
    server = WebServer(certs)
    yield server
    await server.close()


async def test_tls_sends_sni_and_exposes_the_certificate(web, certs) -> None:
    port = await web.listen("::1", tls=True, sites={HOST: Page(body="<title>tls</title>")})
    seen: list[tuple[str, object]] = []

    async def trace(event: str, info: dict) -> None:
        seen.append((event, info["return_value"]))

    context = TlsContexts([certs.ca_pem_path]).verifying
    resp = await transport_to(port, address=V6, context=context).handle_async_request(
        get(f"https://[{V6}]/", trace=trace)
    )
    assert b"".join(await body_of(resp)) == b"<title>tls</title>"

    ssl_object = resp.extensions["network_stream"].get_extra_info("ssl_object")
    cert = x509.load_der_x509_certificate(ssl_object.getpeercert(binary_form=True))
    assert cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
        x509.DNSName) == [HOST]
    assert ssl_object.version() in ("TLSv1.2", "TLSv1.3") and ssl_object.cipher()
    assert seen == [(_http.TLS_COMPLETE, resp.extensions["network_stream"])]
    assert web.requests == [("::1", str(port), HOST, HOST)]  # Host header and SNI: the name, not the address


async def test_certificate_failure_is_a_connect_error_caused_by_ssl(web, certs) -> None:
    port = await web.listen("127.0.0.1", tls=True, sites={HOST: Page()}, default_cert="expired")
    context = TlsContexts([certs.ca_pem_path]).verifying
    exc, _ = await raises(httpx.ConnectError,
                          lambda: transport_to(port, context=context).handle_async_request(get(f"https://{V4}/")))
    assert isinstance(exc.__cause__, ssl.SSLCertVerificationError) and exc.__cause__.verify_code == 10


async def test_tls_handshake_that_never_completes_is_a_connect_timeout(web) -> None:
    port = await web.listen("127.0.0.1", tls=True, sites={}, behaviour="blackhole")
    exc, elapsed = await raises(httpx.ConnectTimeout,
                                lambda: transport_to(port).handle_async_request(get(f"https://{V4}/")))
    assert TIMEOUT <= elapsed < TIMEOUT + SLACK


async def test_tls_server_that_hangs_up_in_the_handshake(scripted) -> None:
    port = await scripted.listen([], read_head=False)  # accepts, reads nothing, closes
    exc, _ = await raises(httpx.ConnectError,
                          lambda: transport_to(port).handle_async_request(get(f"https://{V4}/")))
    assert isinstance(exc.__cause__, OSError)


class socketless_port:
    """A loopback port with nothing listening (connections to it are refused)."""

    def __enter__(self) -> int:
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))  # bound, never listening: refused, and not reused meanwhile
        return self._sock.getsockname()[1]

    def __exit__(self, *exc: object) -> None:
        self._sock.close()


@pytest.mark.parametrize(
    ("headers", "target"),
    [
        ([(b"Cookie", b"a=b\r\nInjected: 1")], b"/"),  # a server's value cannot add a line
        ([(b"Cookie", b"a=b\x00")], b"/"),
        ([(b"X-Trailing", b"value ")], b"/"),  # RFC 9110: no white space at either end of a value
        ([(b"Bad Name", b"v")], b"/"),  # a name is a token
        ([(b"X-Colon:", b"v")], b"/"),
        ([], b"/a b"),  # the target has no white space
        ([], b"/a\r\nHost: x"),
    ],
)
def test_the_request_is_refused_when_it_would_not_be_the_request_we_meant(headers, target) -> None:
    with pytest.raises(httpx.LocalProtocolError):
        _http.request_bytes("GET", target, headers)


def test_the_request_on_the_wire_keeps_order_and_case_and_frames_a_body() -> None:
    wire = _http.request_bytes("GET", b"/p?q=1", [(b"Host", b"h.example"), (b"x-Mixed", b"a  b"), (b"Cookie", b"")])
    assert wire == b"GET /p?q=1 HTTP/1.1\r\nHost: h.example\r\nx-Mixed: a  b\r\nCookie: \r\n\r\n"
    posted = _http.request_bytes("POST", b"/", [(b"Host", b"h")], b"abc")
    assert posted == b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"


@pytest.mark.parametrize(
    "data",
    [
        b"HTTP/1.1 200 OK\nContent-Length: 2\nServer: x\n\nok",  # bare LF line ends
        b"HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\nContent-Length: 2\r\n\r\nok",  # a header folded over two lines
        b"HTTP/1.1 200 OK\r\nX-A: a\x01b\r\nContent-Length: 2\r\n\r\nok",  # a control character in a value
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n2\r\nok\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\ncontent-length:  2\r\n\r\nok",  # the same length twice
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2 \r\nok\r\n0\r\n\r\n",  # a padded chunk size
    ],
)
@pytest.mark.parametrize("step", [1, 7, 4096])
def test_what_browsers_load_is_not_a_protocol_error(data, step) -> None:
    """Sloppy servers that browsers (and h11, before httptools) accept: the page is read, whatever the reads."""
    parse = _http._Parse()
    for i in range(0, len(data), step):
        parse.feed(data[i : i + step])
    assert parse.head is not None and parse.head.status == 200 and b"".join(parse.pieces) == b"ok" and parse.done


@pytest.mark.parametrize("step", [1, 7, 4096])
def test_two_different_lengths_are_a_protocol_error(step) -> None:
    data = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok"
    parse = _http._Parse()
    with pytest.raises(httpx.RemoteProtocolError, match="Content-Length"):
        for i in range(0, len(data), step):
            parse.feed(data[i : i + step])


_RESPONSES = [
    b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
    b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    b"HTTP/1.0 200 OK\nX: a\n b\n\nbody until close",
]


def test_a_repetition_the_second_reading_cannot_mend_is_a_protocol_error_not_a_loop() -> None:
    """(Found by fuzzing: llhttp counted a folded line as a second Content-Length; reading again recursed.)"""
    parse = _http._Parse()
    with pytest.raises(httpx.RemoteProtocolError, match="Duplicate Content-Length"):
        parse.feed(b"HTTP/1.0 200 OK\nX: a\nContent-Length: 5\r\n b\n\nbody until close")


@pytest.mark.parametrize("head", [b"HTTP/1.1 000 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
                                  b"HTTP/1.1 000 OK\r\nContent-Length: 5\r\n\r\nhello",
                                  b"HTTP/1.1 099 Low\r\n\r\n"])
def test_a_status_code_below_100_is_an_illegal_status_line(head) -> None:
    """(Found by fuzzing: llhttp reads "000" as status 0, and the page was taken as an answer.)"""
    parse = _http._Parse()
    with pytest.raises(httpx.RemoteProtocolError, match="illegal status line: status 0"):
        parse.feed(head)


@settings(max_examples=300, deadline=None)
@given(base=st.sampled_from(_RESPONSES),
       edits=st.lists(st.tuples(st.integers(0, 200), st.sampled_from([b"\r\n", b"\n", b":", b" ", b"\x00", b"0", b"",
                                                                      b"Content-Length: 5\r\n", b"\xa8"])),
                      max_size=4),
       step=st.sampled_from([1, 2, 3, 7, 64, 4096]))
def test_whatever_the_server_sends_the_parser_ends_in_a_page_or_a_protocol_error(base, edits, step) -> None:
    data = bytearray(base)
    for at, piece in edits:
        at = min(at, len(data))
        if piece:
            data[at:at] = piece
        elif data:
            del data[min(at, len(data) - 1)]
    parse = _http._Parse()
    try:
        for i in range(0, len(data), step):
            parse.feed(bytes(data[i : i + step]))
    except httpx.RemoteProtocolError:
        return
    assert parse.head is None or 100 <= parse.head.status <= 999


async def test_a_connection_closed_before_the_tls_handshake_is_an_error_not_a_loop_traceback(scripted) -> None:
    """The server closes as soon as it accepts (seen here before the handshake starts: a protocol that closes in
    connection_made stands for it): a ConnectionResetError, and nothing reported to the loop's exception handler
    (uvloop's start_tls on a closed handle logs a RuntimeError traceback)."""
    port = await scripted.listen([], read_head=False)
    loop = asyncio.get_running_loop()
    reported: list[dict] = []
    loop.set_exception_handler(lambda _loop, context: reported.append(context))

    class ClosesAtOnce(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            transport.close()

    network = LabNetwork({(V4, 443): ("127.0.0.1", port)})
    try:
        with pytest.raises(ConnectionResetError):
            async with asyncio.timeout(4 * TIMEOUT):  # (without the guard, uvloop's handshake never ends)
                await network.connect(V4, 443, ClosesAtOnce, timeout=TIMEOUT, ssl=ssl.create_default_context(),
                                      server_hostname=HOST)
        await asyncio.sleep(0.05)  # (a callback the handshake scheduled would run now)
    finally:
        loop.set_exception_handler(None)
    assert reported == []


async def test_a_response_and_its_end_that_come_before_the_request_is_written_are_still_read() -> None:
    """A server that answers at once and closes its side (FIN) before our request is written: the request is still
    written (our side stays open, as a half-closed TCP connection allows) and the response read, not a WriteError."""
    written: list[bytes] = []

    class Transport:
        def write(self, data: bytes) -> None:
            written.append(data)

        def abort(self) -> None:
            pass

    conversation = _http._Conversation(read_timeout=1)
    conversation.connection_made(Transport())  # type: ignore[arg-type]
    conversation.data_received(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
    assert conversation.eof_received() is True  # (True: the transport does not close our side)
    await conversation.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", 1)
    head = await conversation.head()
    assert written and head.status == 200 and [chunk async for chunk in conversation] == [b"ok"]


async def test_a_tls_server_closing_after_its_answer_leaves_nothing_in_the_loop_log(web, certs, caplog) -> None:
    """Over TLS the end of the server's sending ends the connection (close_notify): the protocol does not ask to keep
    its side open, which asyncio's and uvloop's TLS layers refuse with a warning on stderr per connection (twice a
    host in a scan: ~1000 lines in a 500-host bench run)."""
    port = await web.listen("127.0.0.1", tls=True, sites={HOST: Page(body="<title>tls</title>")})
    context = TlsContexts([certs.ca_pem_path]).verifying
    with caplog.at_level("DEBUG", logger="asyncio"):
        for _ in range(3):
            resp = await transport_to(port, context=context).handle_async_request(get(f"https://{V4}/"))
            assert b"".join(await body_of(resp)) == b"<title>tls</title>"
        await asyncio.sleep(0.05)  # (the server's close_notify, the connection's end)
    assert [r.getMessage() for r in caplog.records if r.name == "asyncio"] == []
