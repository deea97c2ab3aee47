"""HTTP and HTTPS to one address of one family, redirects followed in that family.

Every request of a probe is pinned to one address: the URL holds the IP
literal, ``Host`` and TLS SNI carry the host name, and the connection is used
for that one request only (``Connection: close``, no pool), so a connection
made for one host name never answers for another. Requests go through
:class:`~ipv6scan.probe._http.PinnedTransport`, which opens every connection
with the scan's :class:`~ipv6scan.net.Network` and never resolves names;
httpx gives the types (request, response, URL, exceptions).

An https request is first made with the verifying SSL context. When the
certificate fails verification the outcome names the problem (``tls_*``) and
the request is made again without verification, so that the certificate,
status and page the server serves are still recorded.

Redirects are followed hop by hop: to the same host name on the same address,
to another host name on its first address *of the same family*. A redirect
that would leave the family, go to a non-global address or to another scheme
ends the chain with an outcome saying so. Cookies set along a chain are sent
back within that chain only (per host name), so a cookie-check redirect to the
same URL is not mistaken for a loop.

Requests go straight to the transport: httpx's client is not used, so no
redirect is ever followed or even parsed by it (a hostile ``Location`` cannot
turn an answer into an error), and no cookie jar is kept. Each request is
bounded as a whole (connect + read timeout), the redirects after the first
answer together get the same time again (``retries`` included), and every
connection waits for a slot at its address under the scan's
:class:`~ipv6scan.polite.Polite` limits.

Bodies are requested with ``Accept-Encoding: identity`` and read as sent, at
most ``options.body_cap`` bytes: nothing is decompressed, whatever
``Content-Encoding`` the server chose.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import html
import ipaddress
import re
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

from ..addresses import IPNetwork, family_of, is_allowed
from ..config import ScanOptions
from ..model import (
    CERT_FAILURES,
    TLS_FAILURES,
    ConnectObservation,
    Family,
    HttpHop,
    Outcome,
    TlsFacts,
    WebProbe,
)
from ..net import Network, normalise_ip
from ..polite import Polite
from . import tls
from ._errors import forget_traceback, outcome_of
from ._http import DEFAULT_PORTS, BodyCut, PinnedTransport, Request, Response
from .parity import decode_html
from .reach import STAGGER, Reachability, SharedFailure

ResolveFamily = Callable[[str, Family], Awaitable[tuple[Outcome, list[str]]]]
"""The DNS client's ``addresses(name, family)``: how the lookup ended, and the addresses."""

KEPT_HEADERS = ("server", "content-type", "location", "strict-transport-security", "alt-svc", "x-powered-by",
                "content-security-policy", "x-content-type-options", "x-frame-options", "referrer-policy")
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_HEADER_MAX = 200
_TITLE_MAX = 200
_URL_MAX = 2048  # characters of a URL or Location kept in a hop
_TITLE = re.compile(r"<title[^>]*>(.*?)</title", re.I | re.S)


@dataclass(frozen=True)
class _Target:
    """One request: which URL (by host name) goes to which address."""

    scheme: str
    host: str  # lower-case host name, or an IP literal without brackets
    port: int
    path: str  # raw path and query
    address: str
    cap: int | None = None  # bytes of the body read at most (None: options.body_cap)

    @property
    def authority(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"

    @property
    def url(self) -> str:
        """The URL as a browser shows it (host name, not address)."""
        return f"{self.scheme}://{self.authority}{self.path}"

    @property
    def raw_target(self) -> bytes:
        """The path and query as sent (percent-encoded as browsers do)."""
        return _raw_target(self.path)


@dataclass
class _Answer:
    """How one request ended, and what came back."""

    outcome: Outcome
    detail: str | None = None
    status: int | None = None
    location: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    set_cookies: list[bytes] = field(default_factory=list)  # raw, as sent
    body: bytes | None = None
    truncated: bool = False
    tls: TlsFacts | None = None
    attempts: int = 1
    elapsed_ms: float = 0.0
    connect_ms: float | None = None  # from sending the request (a slot held) to the TCP connection made
    first_byte_ms: float | None = None  # ... to the response head
    shared: list[ConnectObservation] = field(default_factory=list)  # the connect failure came from these


def dead_address_wait(connect_timeout: float, retries: int) -> float:
    """How long one request's tries wait on an address that never connects: pairs of tries staggered (a timeout
    and a stagger each pair), a try left over after them (a timeout)."""
    pairs, single = divmod(retries + 1, 2)
    return pairs * connect_timeout * (1 + STAGGER) + single * connect_timeout


class _Race:
    """The two tries of one staggered request (:meth:`WebProber._staggered`)."""

    __slots__ = ("first_made", "second", "second_made", "second_off", "call_off", "deadline", "called_off")

    def __init__(self) -> None:
        self.first_made = self.second_made = False  # each has connected
        self.second: asyncio.Future[_Answer] | None = None
        self.second_off = False  # the second try was called off (its clean-up runs on its own)
        self.call_off: asyncio.Timeout | None = None  # the first try's request deadline, while it runs
        self.deadline: float | None = None  # ... as it was set
        self.called_off = False  # the first try's deadline was brought forward to call it off

    def reschedule(self, when: float | None) -> bool:
        """Move the first try's deadline; False when its request is no longer under it (nothing to move)."""
        if self.call_off is None or self.call_off.expired():
            return False
        try:
            self.call_off.reschedule(when)
        except RuntimeError:  # the request's block has exited
            return False
        return True

    def call_off_second(self, *, connected_too: bool = False) -> None:
        """The second try is not needed: cancelled if it is still connecting (or ``connected_too``: at all)."""
        if self.second is not None and not self.second_off and (connected_too or not self.second_made):
            self.second_off = True
            self.second.cancel()


@dataclass
class _Chain:
    """State of one probe's redirect chain: addresses and cookies per host name."""

    family: Family
    addresses: dict[str, str]
    cookies: dict[str, dict[bytes, bytes]] = field(default_factory=dict)  # sent back as they came (bytes)
    seen: set[tuple[object, ...]] = field(default_factory=set)

    def cookie_header(self, host: str) -> list[tuple[bytes, bytes]]:
        jar = self.cookies.get(host)
        return [(b"Cookie", b"; ".join(k + b"=" + v for k, v in jar.items()))] if jar else []

    def remember(self, host: str, set_cookies: list[bytes]) -> None:
        """Keep name=value of each Set-Cookie, per exact host name, for this chain only."""
        for line in set_cookies:
            name, sep, value = line.split(b";", 1)[0].partition(b"=")
            if sep and name.strip():
                self.cookies.setdefault(host, {})[name.strip()] = value.strip()

    def visit(self, target: _Target) -> bool:
        """Record a request; False when the same URL was already asked with the same cookies."""
        key = (target.url, frozenset(self.cookies.get(target.host, {}).items()))
        if key in self.seen:
            return False
        self.seen.add(key)
        return True


class WebProber:
    """HTTP(S) probes for one scan: two transports (verifying, unverified) shared by all probes."""

    def __init__(
        self,
        *,
        network: Network,
        options: ScanOptions,
        resolve: ResolveFamily,
        allowed: list[IPNetwork],
        contexts: tls.TlsContexts | None = None,
        polite: Polite | None = None,
        reach: Reachability | None = None,
    ) -> None:
        self._options = options
        self._reach = reach if reach is not None else Reachability(enabled=False)
        self._resolve = resolve
        self._allowed = allowed
        self._polite = polite if polite is not None else Polite()
        contexts = contexts or tls.get_contexts(options.ca_bundles)
        self._verifying = PinnedTransport(network, contexts.verifying)
        self._unverified = PinnedTransport(network, contexts.unverified)
        self._store = contexts.store
        o = options
        self._timeout = {"connect": o.connect_timeout, "read": o.read_timeout, "write": o.read_timeout}
        self._headers = [
            (b"User-Agent", o.user_agent.encode()),  # (UTF-8 where it is not ASCII: obs-text, as browsers send)
            (b"Accept", b"text/html,application/xhtml+xml,*/*;q=0.8"),
            (b"Accept-Encoding", b"identity"),  # bodies are compared and capped as sent
            (b"Connection", b"close"),
        ]
        # A slow server that sends a byte now and then defeats the read timeout;
        # this bounds each request as a whole.
        self._deadline = o.connect_timeout + o.read_timeout
        # The redirects after the first answer, together, get the time of one request and its retries.
        self._chain_budget = (o.retries + 1) * self._deadline
        self._stagger = o.connect_timeout * STAGGER

    async def aclose(self) -> None:
        await self._verifying.aclose()
        await self._unverified.aclose()

    async def probe(
        self, host: str, address: str, scheme: str, port: int, *, path: str = "/", follow: bool = True,
        cap: int | None = None,
    ) -> tuple[WebProbe, bytes | None]:
        """GET scheme://[address]:port/path for ``host``; returns the facts and the final body (capped).

        ``follow=False``: one request, its redirect recorded but not followed (a page's sub-resource);
        ``cap``: bytes of the body read at most, if fewer than ``options.body_cap``."""
        started = time.monotonic()
        address = normalise_ip(address)
        family = family_of(address)
        target = _Target(scheme, host.lower().rstrip("."), port, path or "/", address, cap)
        chain = _Chain(family=family, addresses={target.host: address})
        chain.visit(target)
        first = await self._request(target, chain, until=None)
        result = WebProbe(
            scheme=scheme,
            address=address,
            family=family,
            port=port,
            outcome=first.outcome,
            detail=first.detail,
            attempts=first.attempts,
            status=first.status,
            tls=first.tls,
            hops=[_hop(target, first)],
            connect_shared=first.shared,
            connect_ms=first.connect_ms,
            first_byte_ms=first.first_byte_ms,
        )
        last, last_target = await self._follow(result, first, target, chain) if follow else (first, target)
        result.final_outcome = next((h.outcome for h in result.hops if h.outcome != Outcome.OK), Outcome.OK)
        result.final_url = last_target.url[:_URL_MAX]
        result.final_status = last.status
        result.headers = last.headers
        if last.body is not None:
            result.body_length = len(last.body)
            result.body_truncated = last.truncated
            result.body_sha256 = hashlib.sha256(last.body).hexdigest()
            result.title = _title(last.body)
        result.elapsed_ms = _ms_since(started)
        return result, last.body

    async def _follow(
        self, result: WebProbe, first: _Answer, origin: _Target, chain: _Chain
    ) -> tuple[_Answer, _Target]:
        """Follow the redirects after the first answer, adding a hop each; the last answer and its target."""
        until = asyncio.get_running_loop().time() + self._chain_budget
        last, last_target = first, origin
        while last.status in REDIRECT_STATUSES and last.location:
            if len(result.hops) > self._options.max_redirects:
                detail = f"more than {self._options.max_redirects} redirects"
                result.hops.append(_refused(last.location, Outcome.TOO_MANY_REDIRECTS, detail))
                break
            nxt = await self._next(last_target, last.location, origin, chain)
            if isinstance(nxt, HttpHop):
                result.hops.append(nxt)
                break
            answer = await self._request(nxt, chain, until=until)
            result.hops.append(_hop(nxt, answer))
            last, last_target = answer, nxt
        return last, last_target

    async def _next(self, current: _Target, location: str, origin: _Target, chain: _Chain) -> _Target | HttpHop:
        """Where a redirect goes, in this family; or a never-sent hop saying why not."""
        try:
            url = httpx.URL(current.url).join(location)
        except httpx.InvalidURL as e:
            return _refused(location, Outcome.REDIRECT_REFUSED, f"unusable Location: {e}")
        if url.scheme not in DEFAULT_PORTS or not url.raw_host:
            return _refused(str(url), Outcome.REDIRECT_REFUSED, f"redirect to unsupported URL {str(url)[:200]!r}")
        host = url.raw_host.decode("ascii").lower().rstrip(".")
        port = url.port
        if port is None:
            same_site = host == origin.host and url.scheme == origin.scheme
            port = origin.port if same_site else DEFAULT_PORTS[url.scheme]
        path = url.raw_path.decode("ascii")
        address = await self._address_for(host, chain)
        if isinstance(address, tuple):
            return _refused(str(url), *address)
        target = _Target(url.scheme, host, port, path, address)
        if not chain.visit(target):
            return _refused(target.url, Outcome.REDIRECT_LOOP, "already visited")
        return target

    async def _address_for(self, host: str, chain: _Chain) -> str | tuple[Outcome, str]:
        """The address a redirect to ``host`` is sent to, or (outcome, detail) when there is none."""
        if host in chain.addresses:
            return chain.addresses[host]
        try:
            literal = ipaddress.ip_address(host)
        except ValueError:
            literal = None
        if literal is not None:
            candidates = [str(literal)]
        else:
            try:
                outcome, found = await self._resolve(host, chain.family)
            except Exception as e:  # noqa: BLE001 - a resolver bug must not end the scan
                return Outcome.ERROR, f"resolving {host}: {type(e).__name__}: {e}"
            candidates = [normalise_ip(a) for a in found if family_of(a) == chain.family]
            if outcome not in (Outcome.OK, Outcome.DNS_NODATA):
                return outcome, f"resolving {host}: {outcome}"
            if not candidates:
                return Outcome.REDIRECT_LEAVES_FAMILY, f"{host} has no {chain.family} address"
        address = candidates[0]
        if not is_allowed(address, self._allowed):
            return Outcome.REDIRECT_REFUSED, f"redirect to non-global address {address}"
        if family_of(address) != chain.family:
            return Outcome.REDIRECT_LEAVES_FAMILY, f"redirect to {address}, not {chain.family}"
        chain.addresses[host] = address
        return address

    async def _request(self, target: _Target, chain: _Chain, *, until: float | None) -> _Answer:
        """One request, a timeout retried ``options.retries`` times, all before loop time ``until``."""
        started = time.monotonic()
        answer = await self._tries(target, chain, until)
        answer.elapsed_ms = _ms_since(started)
        chain.remember(target.host, answer.set_cookies)
        return answer

    async def _tries(self, target: _Target, chain: _Chain, until: float | None) -> _Answer:
        """The request, tried again after a timeout (``options.retries`` times at most).

        A retry does not wait for the try before it to time out when that one has not even connected
        ``stagger`` seconds after it started (a lost SYN, an address that drops them): it starts then,
        beside it (:meth:`_staggered`). A dead address costs one connect timeout and a stagger, not two
        timeouts; a try that connected and then timed out is retried after it, as before (a slow server is
        not asked twice at once). ``attempts``: the tries that connected or failed on their own (not one
        called off because the other connected, nor one answered from the scan's connect facts)."""
        left = self._options.retries + 1
        tried = 0
        while True:
            answers = await (self._staggered(target, chain, until) if left > 1 else
                             self._single(target, chain, until))
            left -= len(answers)
            tried += sum(not a.shared for a in answers)
            final = next((a for a in answers if a.outcome != Outcome.TIMEOUT or a.shared), None)
            if final is not None or _expired(until) or left < 1:
                answer = final or answers[-1]
                answer.attempts = tried
                return answer

    async def _single(self, target: _Target, chain: _Chain, until: float | None) -> list[_Answer]:
        return [await self._verified(target, chain, until)]

    async def _staggered(self, target: _Target, chain: _Chain, until: float | None) -> list[_Answer]:
        """A try in this task; if it has not connected ``stagger`` seconds after its connect started (a
        politeness slot held: waiting for one is not a silent address), a second try beside it. The first to
        connect goes on and the other, if it has not connected, is called off (no TLS is under way to cut).
        The answers of the tries that were not called off, in the order they started.

        Costs a timer per request when the first try connects in time (no task, no waiting on two)."""
        loop = asyncio.get_running_loop()
        race = _Race()
        timer: asyncio.TimerHandle | None = None

        def first_connecting(deadline: asyncio.Timeout) -> None:  # (once: the first fetch's connect)
            nonlocal timer
            race.call_off, race.deadline = deadline, deadline.when()  # the first try's own deadline calls it off
            timer = loop.call_later(self._stagger, start_second)

        def first_connected() -> None:
            race.first_made = True
            if timer is not None:
                timer.cancel()
            race.call_off_second()
            if race.called_off:  # both connected at once: neither is called off
                race.called_off = not race.reschedule(race.deadline)

        def second_connected() -> None:
            race.second_made = True
            if not race.first_made and not race.called_off:
                race.called_off = race.reschedule(loop.time())  # the first try, still connecting, is called off

        def start_second() -> None:
            race.second = asyncio.ensure_future(self._verified(target, chain, until, None, second_connected))

        try:
            first: _Answer | None = await self._verified(target, chain, until, first_connecting, first_connected)
        except BaseException:  # this task is cancelled (the host's budget): the second try goes too
            race.call_off_second(connected_too=True)
            raise
        finally:
            if timer is not None:
                timer.cancel()
            race.call_off = None
        if race.called_off:
            first = None  # (its deadline, brought forward, ended it: not a timeout of its own)
        elif first is not None and (first.outcome != Outcome.TIMEOUT or first.shared):
            race.call_off_second()  # the first try has its answer; the second, if still connecting, is not needed
        answers = [first] if first is not None else []
        if race.second is not None and not race.second_off:
            answers.append(await race.second)  # (this task cancelled here: the second is cancelled with it)
        return answers

    async def _verified(self, target: _Target, chain: _Chain, until: float | None,
                        connecting: Callable[[asyncio.Timeout], None] | None = None,
                        connected: Callable[[], None] | None = None) -> _Answer:
        """Fetch; on a certificate problem fetch again unverified to see what is served. ``connecting(deadline)``
        is called when a connect starts (a politeness slot held) with the request's deadline (bringing it
        forward ends the request as cut short), ``connected()`` when the connect is made."""
        answer = await self._fetch(self._verifying, target, chain, until, connecting, connected)
        if target.scheme != "https" or answer.outcome not in CERT_FAILURES:
            return answer
        seen = await self._fetch(self._unverified, target, chain, until)
        if seen.tls is not None:
            seen.tls.outcome, seen.tls.verify_detail = answer.outcome, answer.detail
        else:
            seen.tls = answer.tls
        if seen.outcome != Outcome.OK:
            seen.detail = f"{answer.detail}; unverified retry: {seen.outcome}: {seen.detail}"
        else:
            seen.detail = answer.detail
        seen.outcome = answer.outcome
        return seen

    async def _fetch(self, transport: PinnedTransport, target: _Target, chain: _Chain, until: float | None,
                     connecting: Callable[[asyncio.Timeout], None] | None = None,
                     connected: Callable[[], None] | None = None) -> _Answer:
        """One GET on a fresh connection, before its deadline and ``until``; never raises for network trouble.

        The connect waits for its turn at the scan's :class:`~.reach.Reachability`: an (address, port)
        whose connects failed twice in this scan answers at once, saying so."""
        tcp: list[float] = []  # when the TCP connection was made (whatever came after)
        answer = _Answer(outcome=Outcome.OK)
        try:
            request = Request(target.scheme, target.address, target.port, target.raw_target,
                              [*self._headers, (b"Host", target.authority.encode("ascii")),
                               *chain.cookie_header(target.host)],
                              sni=target.host, timeouts=self._timeout, on_tcp_connected=lambda: _connected(tcp, connected))
        except (UnicodeError, httpx.InvalidURL) as e:  # (not a name or path a request can carry)
            answer.outcome, answer.detail = Outcome.ERROR, f"cannot make the request: {e}"
            return answer
        try:
            async with self._reach.turn(target.address, target.port, host=target.host, scheme=target.scheme) as turn:
                cut = await self._exchange(transport, request, target, until, answer, tcp, connecting)
                if tcp:
                    turn.connected()
                elif not cut:  # (a connect cut short by the redirect budget says nothing about the address)
                    turn.failed(answer.outcome, answer.detail)
        except SharedFailure as e:
            first = e.observations[0]
            answer.outcome, answer.shared = e.outcome, e.observations
            answer.detail = (f"{first.detail or e.outcome.value}: not tried again, as {len(e.observations)} connects "
                             f"to this address and port failed in this scan (first by {first.host} {first.scheme} at "
                             f"{first.at})")
        return answer

    async def _exchange(self, transport: PinnedTransport, request: Request, target: _Target,
                        until: float | None, answer: _Answer, tcp: list[float],
                        connecting: Callable[[asyncio.Timeout], None] | None = None) -> bool:
        """The request and its response into ``answer``; never raises for network trouble. True when the
        request's own deadline (or the redirects' budget) cut it, rather than the network ending it."""
        handshake: list[asyncio.BaseTransport] = []  # the TLS transport, once the handshake completed
        request.on_tls = handshake.append
        body = bytearray()  # filled as the body comes, so that what came before a timeout is kept
        cut_by_chain = cut = False
        try:
            async with self._polite.slot(target.address):
                deadline = asyncio.get_running_loop().time() + self._deadline
                cut_by_chain = until is not None and until < deadline
                async with asyncio.timeout_at(until if cut_by_chain else deadline) as bound:
                    sent = time.monotonic()
                    if connecting is not None:
                        connecting(bound)
                    response = await transport.exchange(request)
                    answer.first_byte_ms = _ms_since(sent)
                    if tcp:
                        answer.connect_ms = round((tcp[0] - sent) * 1000, 1)
                    try:
                        _read_head(response, target, answer, self._store)
                        cap = self._options.body_cap if target.cap is None else min(target.cap, self._options.body_cap)
                        answer.truncated = await _read_body(response, cap, body)
                        answer.body = bytes(body)
                    finally:
                        await response.aclose()
        except TimeoutError as e:
            forget_traceback(e)
            cut = True
            answer.outcome = Outcome.TIMEOUT
            answer.detail = (
                f"the redirects took more than {self._chain_budget:g} s in all"
                if cut_by_chain
                else f"no complete answer within {self._deadline:g} s"
            )
        except Exception as e:  # noqa: BLE001 - every failure becomes an outcome
            answer.outcome, answer.detail = _classify(e, target.scheme)
            forget_traceback(e)
            if target.scheme == "https" and answer.outcome in TLS_FAILURES:
                answer.tls = TlsFacts(outcome=answer.outcome, verify_detail=answer.detail)
        if answer.tls is None and handshake:  # the handshake completed, then the server went quiet
            answer.tls = tls.tls_facts(handshake[0].get_extra_info("ssl_object"), Outcome.OK, None, self._store)
        if answer.status is not None and answer.outcome == Outcome.TIMEOUT and body:
            # A page that never ends (no Content-Length, the connection left open): the page came, kept as truncated.
            answer.outcome, answer.body, answer.truncated = Outcome.OK, bytes(body), True
            answer.detail = f"the body did not end ({answer.detail}); the {len(body)} bytes that came are kept"
        elif answer.status is not None and answer.outcome != Outcome.OK:
            answer.detail = f"{answer.detail} (after status {answer.status}, reading the body)"
        return cut


_READ_HEADERS = frozenset(KEPT_HEADERS) | {"set-cookie"}


def _read_head(response: Response, target: _Target, answer: _Answer, store: tls.TrustStore) -> None:
    answer.status = response.status
    raw = response.headers
    encoding = _header_encoding(raw)
    found: dict[str, list[str]] = {}  # one pass over the headers (names lower-cased), repeats kept in order
    for name, value in raw:
        key = name.decode(encoding).lower()
        if key in _READ_HEADERS:
            if key == "set-cookie":
                answer.set_cookies.append(value)  # sent back as it came
            else:
                found.setdefault(key, []).append(value.decode(encoding))
    location = found.get("location")
    answer.location = ", ".join(location) if location else None
    answer.headers = {name: ", ".join(found[name])[:_HEADER_MAX] for name in KEPT_HEADERS if name in found}
    if target.scheme == "https":
        stream = response.network_stream
        ssl_object = stream.get_extra_info("ssl_object") if stream is not None else None
        answer.tls = tls.tls_facts(ssl_object, Outcome.OK, None, store)


def _header_encoding(raw: list[tuple[bytes, bytes]]) -> str:
    """How the head's names and values are read, one encoding for all (as httpx reads them): ASCII, which
    they should be; else UTF-8 if every one is; else ISO-8859-1, which reads any byte."""
    if all(name.isascii() and value.isascii() for name, value in raw):
        return "ascii"
    try:
        for name, value in raw:
            name.decode("utf-8"), value.decode("utf-8")
    except UnicodeDecodeError:
        return "iso-8859-1"
    return "utf-8"


async def _read_body(response: Response, cap: int, body: bytearray) -> bool:
    """Read at most ``cap`` bytes of the body as sent (no decoding) into ``body``; True when there was more
    (more bytes, or more pieces than the transport parses: ``BodyCut``)."""
    try:
        async for chunk in response.aiter_raw():
            room = cap - len(body)
            body += chunk[:room]
            if len(chunk) > room:
                return True
    except BodyCut:
        return True
    return False


# Exceptions that only wrap another: the transport raises httpx's ``from`` the
# socket's or ssl's error; one re-raised ``from None`` would leave the wrapped
# error in ``__context__`` only.
_WRAPPERS = (httpx.HTTPError,)


def _causes(exc: BaseException) -> list[BaseException]:
    """An exception and those it stands for, outermost first (not what was merely being handled)."""
    chain = [exc]
    while True:
        inner = exc.__cause__ if exc.__cause__ is not None else exc.__context__ if isinstance(exc, _WRAPPERS) else None
        if inner is None or inner in chain:
            return chain
        chain.append(inner)
        exc = inner


def _classify(exc: Exception, scheme: str) -> tuple[Outcome, str]:
    """The outcome of an exception raised by httpx, or by the Network before httpx wrapped anything."""
    causes = _causes(exc)
    ssl_error = next((e for e in causes if isinstance(e, ssl.SSLError)), None)
    if ssl_error is not None:
        return tls.classify_verify_error(ssl_error)
    if isinstance(exc, httpx.TimeoutException):
        return Outcome.TIMEOUT, {
            httpx.ConnectTimeout: "connect timed out",
            httpx.ReadTimeout: "read timed out",
            httpx.WriteTimeout: "write timed out",
        }.get(type(exc), "timed out")
    # The innermost OSError with an errno (asyncio's own "Connection lost" has none).
    os_errors = [e for e in causes if isinstance(e, OSError) and e.errno is not None]
    if os_errors:
        return outcome_of(os_errors[-1])
    if isinstance(exc, httpx.RemoteProtocolError):
        if "disconnected" in str(exc) or "closed" in str(exc):
            return Outcome.RESET, str(exc)
        return Outcome.PROTOCOL_ERROR, str(exc)
    if isinstance(exc, httpx.ConnectError) and scheme == "https":
        return Outcome.TLS_HANDSHAKE_FAILED, f"closed during the TLS handshake ({str(exc) or type(exc).__name__})"
    if isinstance(exc, (httpx.ConnectError, httpx.ReadError, httpx.WriteError)):
        return Outcome.RESET, f"connection closed ({str(exc) or type(exc).__name__})"
    return outcome_of(exc)


def _hop(target: _Target, answer: _Answer) -> HttpHop:
    return HttpHop(
        url=target.url[:_URL_MAX],
        address=target.address,
        outcome=answer.outcome,
        status=answer.status,
        location=answer.location[:_URL_MAX] if answer.location else None,
        elapsed_ms=answer.elapsed_ms,
        detail=answer.detail,
    )


def _refused(url: str, outcome: Outcome, detail: str) -> HttpHop:
    """A redirect that was not followed: the hop is recorded but never sent."""
    return HttpHop(url=url[:_URL_MAX], address=None, outcome=outcome, detail=detail)


@functools.lru_cache(maxsize=4096)
def _raw_target(path: str) -> bytes:
    """The request target of ``path`` (path and query) as httpx, like browsers, writes it: percent-encoded where
    it must be, dot segments removed, no fragment. Cached: the same few paths are asked of every host."""
    return httpx.URL(f"http://x{path}").raw_path


def _title(body: bytes) -> str | None:
    match = _TITLE.search(decode_html(body[: 64 * 1024]))
    if not match:
        return None
    return " ".join(html.unescape(match.group(1)).split())[:_TITLE_MAX] or None


def _connected(tcp: list[float], then: Callable[[], None] | None) -> None:
    tcp.append(time.monotonic())
    if then is not None:
        then()


def _expired(until: float | None) -> bool:
    return until is not None and asyncio.get_running_loop().time() >= until


def _ms_since(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)
