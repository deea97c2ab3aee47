"""HTTP/HTTPS test servers on loopback, for tests and ``ipv6scan demo``.

One :class:`WebServer` runs any number of listeners (127.0.0.1 or ::1, HTTP or
HTTPS). A listener serves several sites: the ``Host`` header picks the page,
and for HTTPS the TLS SNI picks the certificate, so tests can check that a
probe sent the right name on the right connection. Certificates come from a
:class:`CertFactory`: valid ones from a trustme CA whose PEM file is given to
the scanner as an extra CA bundle, and every kind of broken one.

Besides serving, a listener can misbehave: ``blackhole`` accepts TCP and never
sends a byte; ``slow`` completes TLS (when asked) and then sends a response
one byte per ``slow_interval`` seconds.
"""

from __future__ import annotations

import asyncio
import datetime
import os
import secrets
import socket
import ssl
import tempfile
import weakref
from dataclasses import dataclass, field
from pathlib import Path

import trustme
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

BEHAVIOURS = ("serve", "blackhole", "slow", "late")  # late: serves, each answer ``late_delay`` s after the request
CERT_KINDS = ("valid", "expired", "not_yet_valid", "wrong_name", "self_signed", "untrusted",
              "chained", "missing_intermediate", "untrusted_root")
# chained: issued by an intermediate of the trusted CA, the intermediate sent after the leaf;
# missing_intermediate: the same, but only the leaf is sent (its AIA names where the intermediate could be fetched);
# untrusted: issued directly by a CA nobody trusts, only the leaf sent;
# untrusted_root: issued by an intermediate of a CA nobody trusts, intermediate and that root sent
AIA_URL = "http://ca.gov.example/intermediate.crt"
WRONG_NAME = "wrong.invalid"
_SLOW_RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 1000\r\n\r\n" + b"x" * 1000


@dataclass
class Page:
    """What a site answers. ``{nonce}`` in the body becomes a fresh random token per request."""

    status: int = 200
    body: str = "<html><head><title>ok</title></head><body>hello</body></html>"
    headers: dict[str, str] = field(default_factory=dict)
    paths: dict[str, Page] = field(default_factory=dict)  # what other paths of the site answer (else this page)


class CertFactory:
    """Certificates of every kind, issued once per (kind, names) and cached."""

    def __init__(self) -> None:
        self.ca = trustme.CA()
        self._stranger_ca = trustme.CA()  # nobody trusts it
        self._intermediate = self.ca.create_child_ca()
        self._stranger_intermediate = self._stranger_ca.create_child_ca()
        fd, self.ca_pem_path = tempfile.mkstemp(prefix="ipv6scan-ca-", suffix=".pem")
        os.close(fd)
        self.ca.cert_pem.write_to_path(self.ca_pem_path)
        # The file goes when the factory is collected, or at exit.
        weakref.finalize(self, Path(self.ca_pem_path).unlink, missing_ok=True)
        self._leaves: dict[tuple[str, tuple[str, ...]], trustme.LeafCert] = {}
        self._contexts: dict[tuple[str, tuple[str, ...]], ssl.SSLContext] = {}

    def context_for(self, kind: str, hostnames: list[str], versions: tuple[str, str] | None = None) -> ssl.SSLContext:
        """A server context presenting a ``kind`` certificate for ``hostnames``; ``versions``: the oldest and
        newest TLS version it accepts (None: OpenSSL's defaults, TLS 1.2 and 1.3)."""
        key = (kind, tuple(hostnames), versions)
        if key not in self._contexts:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.leaf(kind, hostnames).configure_cert(ctx)
            if versions is not None:
                _accept(ctx, *versions)
            self._contexts[key] = ctx
        return self._contexts[key]

    def leaf(self, kind: str, hostnames: list[str]) -> trustme.LeafCert:
        key = (kind, tuple(hostnames))
        if key not in self._leaves:
            self._leaves[key] = self._issue(kind, hostnames)
        return self._leaves[key]

    def _issue(self, kind: str, hostnames: list[str]) -> trustme.LeafCert:
        now = datetime.datetime.now(datetime.timezone.utc)
        # Half a day off whole days: "expired N days ago" / "N days left" do not change in the seconds a scan takes.
        day, half = datetime.timedelta(days=1), datetime.timedelta(hours=12)
        if kind == "valid":
            return self.ca.issue_cert(*hostnames)
        if kind == "expired":
            return self.ca.issue_cert(*hostnames, not_before=now - 30 * day, not_after=now - day - half)
        if kind == "not_yet_valid":
            return self.ca.issue_cert(*hostnames, not_before=now + day + half, not_after=now + 30 * day + half)
        if kind == "wrong_name":
            return self.ca.issue_cert(WRONG_NAME)
        if kind == "untrusted":
            return self._stranger_ca.issue_cert(*hostnames)
        if kind == "self_signed":
            return _self_signed(hostnames, now)
        if kind == "chained":
            return self._intermediate.issue_cert(*hostnames)
        if kind == "missing_intermediate":
            return issued_by(self._intermediate, hostnames, now, aia=AIA_URL, chain=[])
        if kind == "untrusted_root":
            leaf = self._stranger_intermediate.issue_cert(*hostnames)
            return trustme.LeafCert(leaf.private_key_pem.bytes(), leaf.cert_chain_pems[0].bytes(),
                                    [p.bytes() for p in leaf.cert_chain_pems[1:]] + [self._stranger_ca.cert_pem.bytes()])
        raise ValueError(f"unknown certificate kind {kind!r}; one of {', '.join(CERT_KINDS)}")


_TLS_VERSIONS = {"TLSv1": "TLSv1", "TLSv1.1": "TLSv1_1", "TLSv1.2": "TLSv1_2", "TLSv1.3": "TLSv1_3"}


def _accept(ctx: ssl.SSLContext, oldest: str, newest: str) -> None:
    """Accept TLS ``oldest`` to ``newest`` (an old server: TLS 1.0 needs OpenSSL's security level 0)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version = getattr(ssl.TLSVersion, _TLS_VERSIONS[oldest])
        ctx.maximum_version = getattr(ssl.TLSVersion, _TLS_VERSIONS[newest])
    if oldest in ("TLSv1", "TLSv1.1"):
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")


def issued_by(ca: trustme.CA, hostnames: list[str], now: datetime.datetime, *, aia: str,
               chain: list[bytes]) -> trustme.LeafCert:
    """A leaf issued by ``ca`` naming its issuer's certificate at ``aia`` (caIssuers), served with ``chain`` only."""
    issuer = x509.load_pem_x509_certificate(ca.cert_pem.bytes())
    ca_key = serialization.load_pem_private_key(ca.private_key_pem.bytes(), password=None)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostnames[0])]))
        .issuer_name(issuer.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30, hours=12))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(h) for h in hostnames]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .add_extension(x509.AuthorityInformationAccess([x509.AccessDescription(
            x509.AuthorityInformationAccessOID.CA_ISSUERS, x509.UniformResourceIdentifier(aia))]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return trustme.LeafCert(key_pem, cert.public_bytes(serialization.Encoding.PEM), chain)


def _self_signed(hostnames: list[str], now: datetime.datetime) -> trustme.LeafCert:
    """A leaf certificate signed by its own key (subject == issuer), as a trustme LeafCert."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostnames[0])])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30, hours=12))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(h) for h in hostnames]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return trustme.LeafCert(key_pem, cert.public_bytes(serialization.Encoding.PEM), [])


@dataclass
class _Listener:
    host: str
    port: int = 0
    server: asyncio.AbstractServer | None = None
    sites: dict[str, Page] = field(default_factory=dict)
    transports: set[asyncio.BaseTransport] = field(default_factory=set)
    delay: float = 0.0  # seconds before each answer (behaviour "late")


class _Silent(asyncio.Protocol):
    """blackhole / slow: read and ignore the request; slow trickles a response."""

    def __init__(self, listener: _Listener, interval: float | None) -> None:
        self._listener = listener
        self._interval = interval
        self._transport: asyncio.BaseTransport | None = None
        self._task: asyncio.Task[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport
        self._listener.transports.add(transport)
        if self._interval is not None:
            self._task = asyncio.get_running_loop().create_task(self._trickle(transport))

    async def _trickle(self, transport: asyncio.BaseTransport) -> None:
        for i in range(len(_SLOW_RESPONSE)):
            if transport.is_closing():
                return
            transport.write(_SLOW_RESPONSE[i : i + 1])  # type: ignore[attr-defined]
            await asyncio.sleep(self._interval)

    def connection_lost(self, exc: Exception | None) -> None:
        self._listener.transports.discard(self._transport)  # type: ignore[arg-type]
        if self._task:
            self._task.cancel()


class WebServer:
    """Loopback HTTP/HTTPS listeners that record which Host and SNI reached them."""

    slow_interval = 1.0  # seconds between bytes for behaviour="slow"
    late_delay = 0.6  # seconds behaviour="late" waits before each answer

    def __init__(self, certs: CertFactory) -> None:
        self.certs = certs
        # (listener host, port, Host header, SNI or "") for every request served
        self.requests: list[tuple[str, str, str, str]] = []
        self.connections: dict[int, int] = {}  # port -> TCP connections accepted
        self._listeners: list[_Listener] = []
        self._held: list[socket.socket] = []  # free_port's ports: bound, never listening
        self._aiohttp: web.Server | None = None  # needs a running loop: made by the first listen()
        self._sni: weakref.WeakKeyDictionary[ssl.SSLObject, str] = weakref.WeakKeyDictionary()

    async def listen(
        self,
        host: str,
        *,
        tls: bool,
        sites: dict[str, Page],
        certs: dict[str, str] | None = None,
        default_cert: str = "valid",
        behaviour: str = "serve",
        port: int = 0,
        tls_versions: tuple[str, str] | None = None,
    ) -> int:
        """Start a listener on ``host`` (127.0.0.1 or ::1); return its port.

        ``certs`` maps an SNI name to a certificate kind (default ``default_cert``);
        each name gets a certificate for itself. Connections without SNI get a
        ``default_cert`` certificate for every site of the listener. ``tls_versions``: the oldest and
        newest TLS version accepted (e.g. ``("TLSv1", "TLSv1.3")``, an old server).
        """
        if behaviour not in BEHAVIOURS:
            raise ValueError(f"unknown behaviour {behaviour!r}; one of {', '.join(BEHAVIOURS)}")
        listener = _Listener(host=host, sites={name.lower(): page for name, page in sites.items()},
                             delay=self.late_delay if behaviour == "late" else 0.0)
        ssl_ctx = None
        if tls and behaviour != "blackhole":
            ssl_ctx = self._server_context(sites, certs or {}, default_cert, tls_versions)

        if self._aiohttp is None:
            self._aiohttp = web.Server(self._handle)
        serve = self._aiohttp

        def protocol() -> asyncio.BaseProtocol:
            self.connections[listener.port] += 1
            if behaviour in ("serve", "late"):
                return serve()
            return _Silent(listener, self.slow_interval if behaviour == "slow" else None)

        loop = asyncio.get_running_loop()
        listener.server = await loop.create_server(protocol, host, port, ssl=ssl_ctx, reuse_address=True)
        listener.host, listener.port = listener.server.sockets[0].getsockname()[:2]
        self.connections[listener.port] = 0
        self._listeners.append(listener)
        return listener.port

    def _server_context(self, sites: dict[str, Page], certs: dict[str, str], default_cert: str,
                        versions: tuple[str, str] | None) -> ssl.SSLContext:
        """A context of this listener only: default certificate, then one per SNI name."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.certs.leaf(default_cert, sorted(sites) or ["localhost"]).configure_cert(ctx)
        if versions is not None:
            _accept(ctx, *versions)
        kinds = {name.lower(): kind for name, kind in certs.items()}

        def choose(ssl_obj: ssl.SSLObject, server_name: str | None, _ctx: ssl.SSLContext) -> None:
            if server_name:
                name = server_name.lower()
                self._sni[ssl_obj] = name
                ssl_obj.context = self.certs.context_for(kinds.get(name, default_cert), [name], versions)

        ctx.sni_callback = choose  # type: ignore[assignment]
        return ctx

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        transport = request.transport
        assert transport is not None
        address, port = transport.get_extra_info("sockname")[:2]
        listener = next(x for x in self._listeners if x.port == port and x.host == address)
        ssl_obj = transport.get_extra_info("ssl_object")
        sni = self._sni.get(ssl_obj, "") if ssl_obj is not None else ""
        host_header = request.headers.get("Host", "")
        name = _strip_port(host_header).lower()
        self.requests.append((listener.host, str(listener.port), host_header, sni))
        page = listener.sites.get(name)
        if listener.delay:
            await asyncio.sleep(listener.delay)
        if page is None:
            text = f"<html><head><title>misdirected</title></head><body>no site {name!r} here</body></html>"
            return web.Response(status=421, text=text, content_type="text/html")
        page = page.paths.get(request.path, page)
        body = page.body.replace("{nonce}", secrets.token_urlsafe(24))
        headers = {"Content-Type": "text/html; charset=utf-8", **page.headers}
        return web.Response(status=page.status, body=body.encode(), headers=headers)

    def free_port(self, host: str) -> int:
        """A port on ``host`` with nothing listening (connections to it are refused).

        The port stays bound, never listening, until :meth:`close`: a port only found free and let go
        could be handed to the next listener of the lab (which binds port 0), and a refusing site answer."""
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        s = socket.socket(family, socket.SOCK_STREAM)
        s.bind((host, 0))
        self._held.append(s)
        return s.getsockname()[1]

    async def close(self) -> None:
        for held in self._held:
            held.close()
        self._held.clear()
        for listener in self._listeners:
            assert listener.server is not None
            listener.server.close()
            for transport in list(listener.transports):
                transport.abort()  # type: ignore[attr-defined]
        if self._aiohttp is not None:
            await self._aiohttp.shutdown(timeout=1.0)
        for listener in self._listeners:
            assert listener.server is not None
            await listener.server.wait_closed()
        self._listeners.clear()


def _strip_port(host_header: str) -> str:
    if host_header.startswith("["):
        return host_header[: host_header.find("]") + 1]
    return host_header.rsplit(":", 1)[0] if host_header.count(":") == 1 else host_header
