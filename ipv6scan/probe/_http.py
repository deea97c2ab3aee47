"""A small httpx transport: one HTTP/1.1 request per connection, on plain asyncio streams.

Why not httpx's own transport: under it, httpcore's pool and anyio's streams
and cancel scopes cost about half of the scanner's CPU per host in the
benchmark (bench/RESULTS.md, "Profile at 4e76079": 8.3 of 15.5 ms), for
features the web probe never uses (a pool, keep-alive, retries, proxies,
HTTP/2, a backend for every async library). This transport keeps httpx's
types as the interface (``httpx.Request`` in, ``httpx.Response`` out,
httpx's exception classes) so ``probe/web.py`` does not depend on how bytes
move, and does only what a probe needs:

* Every request gets a fresh connection, opened by the scan's
  :class:`~ipv6scan.net.Network` (so a ``LabNetwork`` routes it) to the IP
  literal of the URL, in that address's family: no name resolution here.
  HTTPS is asyncio's TLS with the request's ``sni_hostname`` extension as SNI
  and the name the certificate is checked against. There is no pool: the
  connection is closed with the response, so a connection made for one host
  name never answers for another. Nothing is retried here.
* The request is written once; the response is parsed by h11, whose
  ``max_incomplete_event_size`` bounds the response head (status line and
  headers): a head still incomplete after ``max_head`` bytes is an error, so
  no head longer than ``max_head`` + one read (``READ_SIZE``) is accepted.
  The body is streamed as sent (no decoding): the caller reads what it wants
  (``body_cap``) and closes the response, which closes the connection.
* Work per response is bounded, not only bytes: at most ``MAX_INTERIM``
  interim (1xx) responses before the final one (more is
  ``httpx.RemoteProtocolError``), and at most ``MAX_BODY_PIECES`` pieces of
  body (chunks, or reads) after it (more raises :class:`BodyCut`: the body
  read so far is kept, marked truncated). Parsing costs about 10 µs a piece,
  so a server flooding ``103 Early Hints`` or one-byte chunks costs a probe
  milliseconds of the event loop, not the whole request deadline.
* Timeouts come from the request's ``timeout`` extension, as in httpx:
  ``connect`` covers TCP connect and TLS handshake, ``read`` each wait for
  data, ``write`` the request. They are raised as ``httpx.ConnectTimeout``,
  ``ReadTimeout``, ``WriteTimeout``.
* Network trouble is raised as ``httpx.ConnectError``, ``ReadError``,
  ``WriteError`` with the socket's ``OSError`` or ``ssl.SSLError`` as
  ``__cause__`` (the errno and the TLS error stay findable); a response that
  is not HTTP/1.x, or is cut short, as ``httpx.RemoteProtocolError``.
* TLS facts: the response's ``network_stream`` extension (as httpx's own
  transport has it) is the connection's ``asyncio.StreamWriter``, whose
  ``get_extra_info("ssl_object")`` gives the negotiated protocol, cipher and
  the peer certificate. When the request has a ``trace`` extension it is
  awaited with httpcore's event name ``connection.start_tls.complete`` and
  ``{"return_value": <that writer>}`` once the handshake is done, so that the
  certificate of a server that goes quiet afterwards is still seen. An
  ``on_tcp_connected`` extension (a plain callable) is called once the TCP
  connection is made, before TLS: the scan's reachability facts are about
  the connect alone.

Memory: Python 3.11's asyncio TLS gives every TLS connection a 256 KiB read
buffer (``asyncio.sslproto.SSLProtocol.max_size``; uvloop's TLS too,
``SSL_READ_MAX_SIZE``), so peak RSS grows with the TLS connections open at
once (about +26 MB at 64 hosts at once in the benchmark); it does not grow
with the length of the host list.

Event loops: only streams, ``asyncio.timeout`` and the transport's
``abort``/``get_extra_info`` are used, so asyncio's loop and uvloop give the
same exceptions here (tests/test_http_transport.py runs on both).
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import h11
import httpx

from ..net import Network

MAX_HEAD = 100 * 1024
"""Bytes of response head (status line + headers) accepted at most, as httpcore had it."""
READ_SIZE = 64 * 1024
MAX_INTERIM = 16
"""Interim (1xx) responses accepted before the final response (real servers send one or two)."""
MAX_BODY_PIECES = 1024
"""Body pieces (h11 ``Data`` events: one per chunk, or per read) parsed at most per response."""
DEFAULT_PORTS = {"http": 80, "https": 443}
TLS_COMPLETE = "connection.start_tls.complete"

Trace = Callable[[str, dict[str, Any]], Awaitable[None]]


class PinnedTransport(httpx.AsyncBaseTransport):
    """HTTP/1.1 over a fresh connection per request, opened through a Network (see the module doc)."""

    def __init__(self, network: Network, ssl_context: ssl.SSLContext, *, max_head: int = MAX_HEAD) -> None:
        self._network = network
        self._ssl_context = ssl_context
        self._max_head = max_head

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.scheme not in DEFAULT_PORTS:
            raise httpx.UnsupportedProtocol(f"unsupported URL scheme {url.scheme!r}")
        timeouts = request.extensions.get("timeout") or {}
        parser = h11.Connection(h11.CLIENT, max_incomplete_event_size=self._max_head)
        try:  # before connecting: a header h11 refuses costs no connection
            head = h11.Request(method=request.method, target=url.raw_path, headers=request.headers.raw)
            events: list[h11.Event] = [head]
            body = await request.aread()  # b"" for a GET
            events += [h11.Data(data=body), h11.EndOfMessage()] if body else [h11.EndOfMessage()]
            data = b"".join(parser.send(event) or b"" for event in events)
        except h11.LocalProtocolError as e:
            raise httpx.LocalProtocolError(str(e)) from e
        tls = url.scheme == "https"
        sni = (request.extensions.get("sni_hostname") or url.host) if tls else None
        try:
            reader, writer = await self._network.open_tcp(
                url.host,
                url.port or DEFAULT_PORTS[url.scheme],
                timeout=timeouts.get("connect"),
                ssl=self._ssl_context if tls else None,
                server_hostname=sni,
                on_connected=request.extensions.get("on_tcp_connected"),
            )
        except TimeoutError as e:
            raise httpx.ConnectTimeout(_describe(e, "connect timed out")) from e
        except OSError as e:  # socket errors, ssl.SSLError, net.Unroutable
            raise httpx.ConnectError(_describe(e)) from e
        stream = _ResponseStream(reader, writer, parser, timeouts.get("read"))
        try:
            trace: Trace | None = request.extensions.get("trace")
            if tls and trace is not None:
                await trace(TLS_COMPLETE, {"return_value": writer})
            await stream.send(data, timeouts.get("write"))
            event = await stream.head()
        except BaseException:
            await stream.aclose()
            raise
        return httpx.Response(
            event.status_code,
            headers=event.headers.raw_items(),
            stream=stream,
            request=request,
            extensions={
                "http_version": b"HTTP/" + event.http_version,
                "reason_phrase": event.reason,
                "network_stream": writer,
            },
        )


class BodyCut(httpx.StreamError):
    """The body came in more than ``MAX_BODY_PIECES`` pieces: reading stopped there (what was read stands)."""


class _ResponseStream(httpx.AsyncByteStream):
    """One connection's exchange: writes the request, reads the head, then yields body bytes as sent."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        parser: h11.Connection,
        read_timeout: float | None,
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._parser = parser
        self._read_timeout = read_timeout
        self._received = 0

    async def send(self, data: bytes, timeout: float | None) -> None:
        self._writer.write(data)
        try:
            async with asyncio.timeout(timeout):
                await self._writer.drain()
        except TimeoutError as e:
            raise httpx.WriteTimeout(_describe(e, "write timed out")) from e
        except OSError as e:
            raise httpx.WriteError(_describe(e)) from e

    async def head(self) -> h11.Response:
        """The response's status line and headers (at most ``MAX_INTERIM`` 1xx interim responses skipped)."""
        for _ in range(MAX_INTERIM + 1):
            event = await self._next_event()
            if type(event) is h11.Response:
                return event
            if type(event) is not h11.InformationalResponse:  # pragma: no cover - h11 sends nothing else first
                raise httpx.RemoteProtocolError(f"unexpected {type(event).__name__} before the response")
        raise httpx.RemoteProtocolError(f"more than {MAX_INTERIM} interim (1xx) responses before the response")

    async def __aiter__(self) -> AsyncIterator[bytes]:
        pieces = 0
        while True:
            event = await self._next_event()
            if type(event) is h11.Data:
                pieces += 1
                if pieces > MAX_BODY_PIECES:
                    raise BodyCut(f"the body came in more than {MAX_BODY_PIECES} pieces")
                yield bytes(event.data)
            elif type(event) is h11.EndOfMessage:
                return

    async def aclose(self) -> None:
        """Close the connection at once: the exchange is over, whether or not the body was read to its end.

        ``abort`` rather than ``close``: asyncio's TLS ``close`` sends
        close_notify and then waits (up to 30 s) for the server's; the
        request said ``Connection: close`` and nothing more will be read.
        (httpcore's anyio streams did not send close_notify either.)
        """
        self._writer.transport.abort()

    async def _next_event(self) -> Any:
        parser = self._parser
        while True:
            try:
                event = parser.next_event()
            except h11.RemoteProtocolError as e:
                raise httpx.RemoteProtocolError(str(e)) from e
            if event is not h11.NEED_DATA:
                return event
            data = await self._read()
            if not data and parser.their_state is h11.SEND_RESPONSE:
                # h11 would say "peer unexpectedly closed connection"; httpcore's words are kept.
                if self._received:
                    raise httpx.RemoteProtocolError("Server disconnected before the end of the response head.")
                raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
            self._received += len(data)
            parser.receive_data(data)

    async def _read(self) -> bytes:
        try:
            async with asyncio.timeout(self._read_timeout):
                return await self._reader.read(READ_SIZE)
        except TimeoutError as e:
            raise httpx.ReadTimeout(_describe(e, "read timed out")) from e
        except OSError as e:  # reset, ssl.SSLError (bad record, ...)
            raise httpx.ReadError(_describe(e)) from e


def _describe(exc: BaseException, default: str = "") -> str:
    return str(exc) or default or type(exc).__name__
