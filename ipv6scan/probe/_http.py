"""A small httpx transport: one HTTP/1.1 request per connection, driven by its own asyncio protocol.

Why not httpx's own transport: under it, httpcore's pool and anyio's streams
and cancel scopes cost about half of the scanner's CPU per host in the
benchmark (bench/RESULTS.md, "Profile at 4e76079": 8.3 of 15.5 ms), for
features the web probe never uses (a pool, keep-alive, retries, proxies,
HTTP/2, a backend for every async library). The web probe hands
:meth:`PinnedTransport.exchange` a light :class:`Request` (address, port, raw
target and headers, SNI name, timeouts, two callbacks) and gets a light
:class:`Response` (status, raw headers, the body as sent): building
``httpx.Request``/``httpx.Response`` and their ``Headers`` for every request
cost a tenth of the scanner's own work per host (bench/RESULTS.md). httpx's
exception classes stay the error vocabulary, and
:meth:`PinnedTransport.handle_async_request` offers the same exchange to an
httpx client (``httpx.Request`` in, ``httpx.Response`` out). It does only what
a probe needs:

* Every request gets a fresh connection, opened by the scan's
  :class:`~ipv6scan.net.Network` (so a ``LabNetwork`` routes it) to the IP
  literal of the URL, in that address's family: no name resolution here.
  HTTPS is asyncio's TLS with the request's ``sni_hostname`` extension as SNI
  and the name the certificate is checked against. There is no pool: the
  connection is closed with the response, so a connection made for one host
  name never answers for another. Nothing is retried here.
* The request is written once (header names and values checked first: a
  value from a server, a cookie, cannot add a line); the response is parsed
  by httptools (Node.js's llhttp, in C: about 3 us a response where h11, in
  Python, took 50). A head still incomplete after ``max_head`` bytes is an
  error, so no head longer than ``max_head`` + one read (``READ_SIZE``) is
  accepted; bytes that are not HTTP are a protocol error at once.
  The body is streamed as sent (no decoding): the caller reads what it wants
  (``body_cap``) and closes the response, which closes the connection.
* Work per response is bounded, not only bytes: at most ``MAX_INTERIM``
  interim (1xx) responses before the final one (more is
  ``httpx.RemoteProtocolError``), and at most ``MAX_BODY_PIECES`` pieces of
  body (chunks, or reads) after it (more raises :class:`BodyCut`: the body
  read so far is kept, marked truncated; the parser stops at the bound), so a
  server flooding ``103 Early Hints`` or one-byte chunks costs a probe
  milliseconds of the event loop, not the whole request deadline.
* Timeouts (``Request.timeouts``; the ``timeout`` extension through httpx):
  ``connect`` covers TCP connect and TLS handshake, ``read`` each wait for
  data, ``write`` the request. They are raised as ``httpx.ConnectTimeout``,
  ``ReadTimeout``, ``WriteTimeout``.
* Network trouble is raised as ``httpx.ConnectError``, ``ReadError``,
  ``WriteError`` with the socket's ``OSError`` or ``ssl.SSLError`` as
  ``__cause__`` (the errno and the TLS error stay findable); a response that
  is not HTTP/1.x, or is cut short, as ``httpx.RemoteProtocolError``.
* TLS facts: ``Response.network_stream`` (httpx: the ``network_stream``
  extension, as httpx's own transport has it) is the connection's
  transport (the TLS one), whose ``get_extra_info("ssl_object")`` gives the
  negotiated protocol, cipher and the peer certificate. ``Request.on_tls`` is
  called with that transport once the handshake is done (httpx: a ``trace``
  extension awaited with httpcore's event ``connection.start_tls.complete``),
  so that the certificate of a server that goes quiet afterwards is still
  seen. ``Request.on_tcp_connected`` (httpx: the ``on_tcp_connected``
  extension) is called once the TCP connection is made, before TLS: the
  scan's reachability facts are about the connect alone.

Memory: Python 3.11's asyncio TLS gives every TLS connection a 256 KiB read
buffer (``asyncio.sslproto.SSLProtocol.max_size``; uvloop's TLS too,
``SSL_READ_MAX_SIZE``), so peak RSS grows with the TLS connections open at
once (about +26 MB at 64 hosts at once in the benchmark); it does not grow
with the length of the host list.

Event loops: only a protocol's callbacks, ``start_tls``, ``asyncio.timeout``
and the transport's ``write``/``abort``/``pause_reading``/``get_extra_info``
are used, so asyncio's loop and uvloop give the same exceptions here
(tests/test_http_transport.py runs on both). No streams: a
``StreamReader``/``StreamWriter`` pair and a coroutine per read cost about a
tenth of a request's CPU (bench/RESULTS.md); the response is parsed as it
arrives, in the protocol's ``data_received``.
"""

from __future__ import annotations

import asyncio
import functools
import re
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, cast

import httptools
import httpx

from ..net import Network, format_hostport

MAX_HEAD = 100 * 1024
"""Bytes of response head (status line + headers) accepted at most, as httpcore had it."""
READ_SIZE = 64 * 1024
MAX_INTERIM = 16
"""Interim (1xx) responses accepted before the final response (real servers send one or two)."""
MAX_BODY_PIECES = 1024
"""Body pieces (one per chunk, or per piece of a read) parsed at most per response."""
DEFAULT_PORTS = {"http": 80, "https": 443}
TLS_COMPLETE = "connection.start_tls.complete"

Trace = Callable[[str, dict[str, Any]], Awaitable[None]]


class Request:
    """One request as the web probe asks it: where to connect, what to send, how long to wait.

    ``target`` is the raw path and query, ``headers`` the raw header lines in order (``Host`` among them);
    ``sni`` the name sent in TLS and checked against the certificate. ``timeouts``: ``connect`` (TCP and
    TLS), ``read`` (each wait for data), ``write``. ``on_tcp_connected()`` is called once the TCP connection
    is made, before TLS; ``on_tls(transport)`` once the handshake is done, with the connection's TLS
    transport (so the certificate of a server that goes quiet afterwards is still seen)."""

    __slots__ = ("method", "scheme", "address", "port", "target", "headers", "body", "sni", "timeouts",
                 "on_tcp_connected", "on_tls")

    def __init__(self, scheme: str, address: str, port: int, target: bytes, headers: list[tuple[bytes, bytes]], *,
                 method: str = "GET", body: bytes = b"", sni: str | None = None,
                 timeouts: dict[str, float | None] | None = None, on_tcp_connected: Callable[[], None] | None = None,
                 on_tls: Callable[[asyncio.BaseTransport], None] | None = None) -> None:
        self.method, self.scheme, self.address, self.port, self.target = method, scheme, address, port, target
        self.headers, self.body, self.sni, self.timeouts = headers, body, sni, timeouts or {}
        self.on_tcp_connected, self.on_tls = on_tcp_connected, on_tls

    @property
    def url(self) -> str:
        """The URL this request goes to: the address, not a name."""
        return f"{self.scheme}://{format_hostport(self.address, self.port)}{self.target.decode('ascii', 'replace')}"


class Response:
    """The final response's status line and headers as sent (raw names and values, repeats kept); the body is
    read with :meth:`aiter_raw`, as sent, and :meth:`aclose` closes the connection."""

    __slots__ = ("status", "version", "reason", "headers", "network_stream", "stream")

    def __init__(self, status: int, headers: list[tuple[bytes, bytes]], stream: httpx.AsyncByteStream, *,
                 version: str = "1.1", reason: bytes = b"", network_stream: Any = None) -> None:
        self.status, self.headers, self.stream = status, headers, stream
        self.version, self.reason, self.network_stream = version, reason, network_stream

    def aiter_raw(self) -> AsyncIterator[bytes]:
        return self.stream.__aiter__()

    async def aclose(self) -> None:
        await self.stream.aclose()


class PinnedTransport(httpx.AsyncBaseTransport):
    """HTTP/1.1 over a fresh connection per request, opened through a Network (see the module doc).

    The web probe calls :meth:`exchange` with this module's light :class:`Request`; an httpx client can
    use the same transport through :meth:`handle_async_request`."""

    def __init__(self, network: Network, ssl_context: ssl.SSLContext, *, max_head: int = MAX_HEAD) -> None:
        self._network = network
        self._ssl_context = ssl_context
        self._max_head = max_head

    async def exchange(self, request: Request) -> Response:
        """Send ``request`` on a fresh connection to its address; the response once its head is read."""
        data, transport, stream = await self._open(request)
        if request.on_tls is not None and request.scheme == "https":
            request.on_tls(transport)
        head = await self._converse(stream, data, request.timeouts.get("write"))
        return Response(head.status, head.headers, stream, version=head.version, reason=head.reason,
                        network_stream=transport)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """The same exchange for an httpx client: the URL holds the IP literal; extensions ``sni_hostname``,
        ``timeout``, ``on_tcp_connected`` and ``trace`` (awaited with ``connection.start_tls.complete``)."""
        url = request.url
        if url.scheme not in DEFAULT_PORTS:
            raise httpx.UnsupportedProtocol(f"unsupported URL scheme {url.scheme!r}")
        ext = request.extensions
        lean = Request(url.scheme, url.host, url.port or DEFAULT_PORTS[url.scheme], url.raw_path,
                       request.headers.raw, method=request.method, body=await request.aread(),
                       sni=ext.get("sni_hostname") or url.host, timeouts=ext.get("timeout"),
                       on_tcp_connected=ext.get("on_tcp_connected"))
        data, transport, stream = await self._open(lean)
        trace: Trace | None = ext.get("trace")
        if lean.scheme == "https" and trace is not None:
            try:
                await trace(TLS_COMPLETE, {"return_value": transport})
            except BaseException:
                await stream.aclose()
                raise
        head = await self._converse(stream, data, lean.timeouts.get("write"))
        return httpx.Response(
            head.status,
            headers=head.headers,
            stream=stream,
            request=request,
            extensions={
                "http_version": b"HTTP/" + head.version.encode("ascii"),
                "reason_phrase": head.reason,
                "network_stream": transport,
            },
        )

    async def _open(self, request: Request) -> tuple[bytes, asyncio.BaseTransport, _Conversation]:
        """The request's bytes (checked before connecting) and the connection, TLS done."""
        if request.scheme not in DEFAULT_PORTS:
            raise httpx.UnsupportedProtocol(f"unsupported URL scheme {request.scheme!r}")
        data = request_bytes(request.method, request.target, request.headers, request.body)  # before connecting
        timeouts = request.timeouts
        tls = request.scheme == "https"
        try:
            transport, conversation = await self._network.connect(
                request.address,
                request.port,
                lambda: _Conversation(timeouts.get("read"), self._max_head, tls=tls),
                timeout=timeouts.get("connect"),
                ssl=self._ssl_context if tls else None,
                server_hostname=(request.sni or request.address) if tls else None,
                on_connected=request.on_tcp_connected,
            )
        except TimeoutError as e:
            raise httpx.ConnectTimeout(_describe(e, "connect timed out")) from e
        except OSError as e:  # socket errors, ssl.SSLError, net.Unroutable
            raise httpx.ConnectError(_describe(e)) from e
        conversation.transport = transport  # (after a handshake: the TLS transport)
        return data, transport, conversation

    @staticmethod
    async def _converse(stream: _Conversation, data: bytes, write_timeout: float | None) -> _Head:
        """Write the request, read the response head; the connection is closed if that fails."""
        try:
            await stream.send(data, write_timeout)
            return await stream.head()
        except BaseException:
            await stream.aclose()
            raise


_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_FIELD_VALUE = re.compile(rb"(?:[\x21-\x7e\x80-\xff](?:[ \t]*[\x21-\x7e\x80-\xff])*)?")
_TARGET = re.compile(rb"[\x21-\x7e\x80-\xff]+")


def request_bytes(method: str, target: bytes, headers: list[tuple[bytes, bytes]], body: bytes = b"") -> bytes:
    """The request as sent: request line, headers as given (order and case kept), the body framed by its length.

    What RFC 9110/9112 do not allow in a name, a value (CR, LF, NUL, other controls, space at either end)
    or the target raises ``httpx.LocalProtocolError``: a value from a server (a cookie) cannot add a header."""
    if not _TOKEN.fullmatch(method.encode("ascii", "replace")) or not _TARGET.fullmatch(target):
        raise httpx.LocalProtocolError(f"illegal request line: {method!r} {target!r}")
    lines = [b"%s %s HTTP/1.1\r\n" % (method.encode("ascii"), target)]
    lines += [_field_line(name, value) for name, value in headers]
    if body and not any(name.lower() in (b"content-length", b"transfer-encoding") for name, _ in headers):
        lines.append(b"Content-Length: %d\r\n" % len(body))
    lines.append(b"\r\n")
    return b"".join(lines) + body


@functools.lru_cache(maxsize=1024)
def _field_line(name: bytes, value: bytes) -> bytes:
    """``name: value`` and its line end, once both are checked. Remembered while among the last thousand: the
    scan's own headers (User-Agent, Accept, ...) are the same in every request (a failure is not remembered)."""
    if not _TOKEN.fullmatch(name):
        raise httpx.LocalProtocolError(f"illegal header name {name!r}")
    if not _FIELD_VALUE.fullmatch(value):
        raise httpx.LocalProtocolError(f"illegal header value {value!r}")
    return b"%s: %s\r\n" % (name, value)


class BodyCut(httpx.StreamError):
    """The body came in more than ``MAX_BODY_PIECES`` pieces: reading stopped there (what was read stands)."""


class _Head:
    """The final response's status line and headers as sent (raw names and values, repeats kept)."""

    __slots__ = ("status", "version", "reason", "headers")

    def __init__(self, status: int, version: str, reason: bytes, headers: list[tuple[bytes, bytes]]) -> None:
        self.status, self.version, self.reason, self.headers = status, version, reason, headers


class _TooMany(Exception):
    """Raised from a parser callback to stop llhttp where a bound is reached."""


class _BadStatus(Exception):
    """A status line whose code is no HTTP status (not 100-999): raised in the parser's callback."""


class _Parse:
    """httptools' callbacks for one response: interim (1xx) answers skipped, body pieces queued as parsed."""

    def __init__(self) -> None:
        self.parser = self._new_parser()
        self.head: _Head | None = None  # the final response's head, once complete
        self.done = False  # the final response ended (its body too)
        self.framed = False  # the final response says how long its body is (Content-Length or chunked)
        self.interim = 0
        self.cut = False  # more body pieces than are parsed: the rest is not read
        self.pieces: list[bytes] = []
        self.parsed_pieces = 0
        self._reason = b""
        self._headers: list[tuple[bytes, bytes]] = []
        self._before_head = bytearray()  # what came before the final head was complete (for a second reading)
        self._waiting_for_head = False
        self._read_once_more = False  # the head was read again with a repeated Content-Length said once

    def _new_parser(self) -> httptools.HttpResponseParser:
        parser = httptools.HttpResponseParser(self)
        # llhttp is strict by default; browsers (and h11, before) load pages from servers that end lines with a
        # bare LF, fold a header over two lines, put a control character in a value, send Content-Length beside
        # chunked or twice, or pad a chunk size. A site that works in a browser must not read as a protocol
        # error here. (These leniencies matter to a server or proxy that shares a connection between requests,
        # request smuggling; this client reads one response per connection and closes it.)
        parser.set_dangerous_leniencies(
            lenient_headers=True, lenient_chunked_length=True, lenient_optional_cr_before_lf=True,
            lenient_spaces_after_chunk_size=True, lenient_optional_crlf_after_chunk=True)
        return parser

    def on_message_begin(self) -> None:
        self._reason, self._headers = b"", []

    def on_status(self, status: bytes) -> None:
        self._reason += status

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((bytes(name), bytes(value)))

    def on_headers_complete(self) -> None:
        status = self.parser.get_status_code()
        if not 100 <= status <= 999:  # (llhttp reads "HTTP/1.1 000 OK" as status 0: no HTTP status)
            raise _BadStatus(status)
        if 100 <= status < 200:  # an interim answer: skipped, counted at its end
            return
        self.head = _Head(status, self.parser.get_http_version(), self._reason, self._headers)
        self.framed = any(n.lower() in (b"content-length", b"transfer-encoding") for n, _ in self._headers)

    def on_body(self, data: bytes) -> None:
        self.parsed_pieces += 1
        if self.parsed_pieces > MAX_BODY_PIECES:
            raise _TooMany
        self.pieces.append(bytes(data))

    def on_message_complete(self) -> None:
        if self.head is None:
            self.interim += 1
            if self.interim > MAX_INTERIM:
                raise _TooMany
        else:
            self.done = True

    def feed(self, data: bytes) -> None:
        if self.head is None:
            self._before_head += data
            if self._waiting_for_head:  # a repeated Content-Length seen: read again once the head is all here
                self._read_again()
                return
        failed: httptools.HttpParserError | None = None
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            if not self.done:
                raise httpx.RemoteProtocolError("the server switched protocols (101) on a plain GET") from None
        except httptools.HttpParserError as e:
            failed = e
        if failed is not None and not self.done:  # (bytes after the end of the response: not read, not judged)
            self._failed(failed)  # outside the except block: nothing raised there chains to this error
        if self.head is not None:
            self._before_head = bytearray()

    def _failed(self, e: httptools.HttpParserError) -> None:
        if isinstance(e, httptools.HttpParserCallbackError):
            if isinstance(e.__context__, _BadStatus):
                raise httpx.RemoteProtocolError(f"illegal status line: status {e.__context__.args[0]:03d}")
            if not isinstance(e.__context__, _TooMany):
                raise e.__context__ or e  # our callback failed: the scanner's error, not the server's
            if self.head is None:
                raise httpx.RemoteProtocolError(f"more than {MAX_INTERIM} interim (1xx) responses before the response")
            self.cut = True  # raised by the body's reader once the pieces before it are given out
            return
        if self.head is None and "Duplicate Content-Length" in str(e) and not self._read_once_more:
            self._read_again()
            return
        if self.head is None and not self._reason and not self._headers:
            raise httpx.RemoteProtocolError(f"illegal status line: {_describe(e)}")
        raise httpx.RemoteProtocolError(f"malformed response: {_describe(e)}")

    def _read_again(self) -> None:
        """A head that says the same Content-Length twice (or more) is read again, once, with it said once, as
        RFC 9110 section 8.6 allows and browsers (and h11) do; different lengths stay an error. While the
        head is not all here, what comes is kept and read again once it is."""
        data = bytes(self._before_head)
        try:
            collapsed = _one_length(data)
        except ValueError:
            raise httpx.RemoteProtocolError("malformed response: two different Content-Length values") from None
        self._waiting_for_head = collapsed is None
        if collapsed is None:
            return
        if collapsed == data:  # llhttp saw a repetition this reading does not: not one to mend
            raise httpx.RemoteProtocolError("malformed response: Duplicate Content-Length")
        self._read_once_more = True
        self.parser, self.interim, self._before_head = self._new_parser(), 0, bytearray()
        self.feed(collapsed)


def _one_length(data: bytes) -> bytes | None:
    """The response from its start with each head's repeated, identical Content-Length said once; None while
    the final head is not complete; ValueError when a head gives two different lengths."""
    out: list[bytes] = []
    pos = 0
    while True:  # a head per answer: interim (1xx) ones, then the final one
        first, lengths = True, set()
        interim = False
        while True:
            end = data.find(b"\n", pos)
            if end < 0:
                return None
            line, pos = data[pos:end + 1], end + 1
            if first:
                parts = line.split(None, 2)
                interim = len(parts) > 1 and parts[1][:1] == b"1"
                first = False
            elif line in (b"\r\n", b"\n"):
                out.append(line)
                break
            else:
                name, colon, value = line.partition(b":")
                if colon and name.strip().lower() == b"content-length":
                    if lengths and value.strip() not in lengths:
                        raise ValueError("two different Content-Length values")
                    if lengths:
                        continue
                    lengths.add(value.strip())
            out.append(line)
        if not interim:
            return b"".join(out) + data[pos:]


class _Conversation(asyncio.Protocol, httpx.AsyncByteStream):
    """One connection's exchange, as the connection's own protocol (no streams): writes the request, parses
    what comes as it comes (httptools, Node.js's llhttp, in C), gives the head, then the body as sent.

    Bytes go to the parser in ``data_received``; a reader waits only when it needs more (one future, under
    a read-timeout timer). Reading is paused while more than ``_HIGH_WATER`` bytes of body wait for a
    reader, so a server sending faster than the reader reads fills the kernel's buffers, not this one's."""

    def __init__(self, read_timeout: float | None, max_head: int = MAX_HEAD, *, tls: bool = False) -> None:
        self.transport: asyncio.BaseTransport | None = None  # the TLS transport once there is one
        self._tls = tls  # the exchange runs over TLS (a handshake follows connection_made)
        self._read_timeout = read_timeout
        self._max_head = max_head
        self._parse = _Parse()
        self._received = 0  # bytes before the end of the head
        self._waiting: asyncio.Future[bool] | None = None  # a reader waiting for more (True), or timed out (False)
        self._ended = False  # no more will come: the server closed its side, or the connection is lost
        self._gone = False  # the connection is lost
        self._lost: BaseException | None = None  # ... with this error
        self._failed: BaseException | None = None  # what reading the response raised (raised to the reader)
        self._paused = False  # reading paused: body enough waits for the reader
        self._draining: asyncio.Future[None] | None = None  # the request waiting for room to be written

    # -------------------------------------------------------------- the connection's side

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        parse = self._parse
        if self._failed is not None or parse.parser is None:
            return
        kept = len(parse.pieces)
        try:
            parse.feed(data)
        except Exception as e:  # noqa: BLE001 - a malformed response (or our own bug): the reader raises it
            del parse.pieces[kept:]  # (the body of the piece that failed is not given out)
            self._failed = e
        else:
            if parse.head is None:
                self._received += len(data)
                if self._received > self._max_head:
                    self._failed = httpx.RemoteProtocolError(
                        f"Receive buffer too long: no end of the response head in {self._received} bytes")
            elif not self._paused and sum(map(len, parse.pieces)) > _HIGH_WATER:
                self._paused = True
                self.transport.pause_reading()  # type: ignore[union-attr]
        self._wake()

    def eof_received(self) -> bool:
        self._ended = True
        self._wake()
        # Our side stays open (a server may answer and close before the request is written), over TCP: over TLS
        # the end of the server's sending ends the connection, and the TLS layer warns on stderr if asked otherwise.
        return not self._tls

    def connection_lost(self, exc: BaseException | None) -> None:
        self._ended, self._gone, self._lost = True, True, exc
        self._wake()
        if self._draining is not None and not self._draining.done():
            self._draining.set_result(None)

    def pause_writing(self) -> None:
        self._draining = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        if self._draining is not None and not self._draining.done():
            self._draining.set_result(None)
        self._draining = None

    def _wake(self) -> None:
        if self._waiting is not None and not self._waiting.done():
            self._waiting.set_result(True)

    # -------------------------------------------------------------- the reader's side

    async def send(self, data: bytes, timeout: float | None) -> None:
        """Write the request; wait (at most ``timeout``) only if the kernel did not take it all."""
        transport = cast(asyncio.WriteTransport, self.transport)  # (uvloop's are not its subclasses)
        if self._gone:
            lost = self._lost or ConnectionResetError("Connection lost")
            raise httpx.WriteError(_describe(lost)) from lost
        transport.write(data)
        draining = self._draining
        if draining is None:
            return
        try:
            async with asyncio.timeout(timeout):
                await draining
        except TimeoutError as e:
            raise httpx.WriteTimeout(_describe(e, "write timed out")) from e
        if self._lost is not None:
            raise httpx.WriteError(_describe(self._lost)) from self._lost

    async def head(self) -> _Head:
        """The response's status line and headers (at most ``MAX_INTERIM`` 1xx interim responses skipped).

        A head still incomplete after ``max_head`` bytes is refused (so none longer than that and what one
        read brings passes)."""
        parse = self._parse
        while parse.head is None:
            self._raise_failure()
            if self._ended:
                # httpcore's words, as before.
                if self._received:
                    raise httpx.RemoteProtocolError("Server disconnected before the end of the response head.")
                raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
            await self._more()
        return parse.head

    async def __aiter__(self) -> AsyncIterator[bytes]:
        parse = self._parse
        while True:
            if parse.pieces:
                pieces, parse.pieces = parse.pieces, []
                if self._paused:
                    self._paused = False
                    self.transport.resume_reading()  # type: ignore[union-attr]
                for piece in pieces:
                    for at in range(0, len(piece), READ_SIZE):  # (a read of the kernel's may hold more)
                        yield piece[at:at + READ_SIZE] if len(piece) > READ_SIZE else piece
            if parse.cut:
                raise BodyCut(f"the body came in more than {MAX_BODY_PIECES} pieces")
            if parse.done:
                return
            self._raise_failure()
            if self._ended:
                if not parse.framed:  # no length given: the body ends with the connection
                    return
                raise httpx.RemoteProtocolError("the server closed the connection before the end of the body")
            await self._more()

    async def aclose(self) -> None:
        """Close the connection at once: the exchange is over, whether or not the body was read to its end.

        ``abort`` rather than ``close``: asyncio's TLS ``close`` sends
        close_notify and then waits (up to 30 s) for the server's; the
        request said ``Connection: close`` and nothing more will be read.
        (httpcore's anyio streams did not send close_notify either.)
        The parser and its callbacks refer to each other: the link is cut here, so both go at once
        rather than at the garbage collector's next pass.
        """
        if self.transport is not None:
            self.transport.abort()
        self._parse.parser = None  # type: ignore[assignment]

    def _raise_failure(self) -> None:
        """What reading has met so far, raised: a malformed response, or the connection's error."""
        if self._failed is not None:
            raise self._failed
        if self._lost is not None:  # reset, ssl.SSLError (bad record, ...)
            raise httpx.ReadError(_describe(self._lost)) from self._lost

    async def _more(self) -> None:
        """Wait for more from the connection (bytes, its end or its error), at most the read timeout.

        The wait is a future and a timer that ends it: no timeout block around every wait."""
        loop = asyncio.get_running_loop()
        waiting = self._waiting = loop.create_future()
        timer = None if self._read_timeout is None else loop.call_later(self._read_timeout, _timed_out, waiting)
        try:
            came = await waiting
        finally:
            self._waiting = None
            if timer is not None:
                timer.cancel()
        if not came:
            raise httpx.ReadTimeout("read timed out") from TimeoutError()


_HIGH_WATER = 2 * READ_SIZE
"""Bytes of parsed body waiting for the reader above which reading is paused (resumed once it reads)."""


def _timed_out(waiting: asyncio.Future[bool]) -> None:
    if not waiting.done():
        waiting.set_result(False)


def _describe(exc: BaseException, default: str = "") -> str:
    return str(exc) or default or type(exc).__name__
