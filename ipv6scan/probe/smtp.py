"""SMTP probe: does a mail server greet on this address, and does it encrypt?

Connects through the Network, reads the greeting (a 220 reply, possibly multi-line); after a 220 says
EHLO and, when the server offers STARTTLS, asks for it and completes a TLS handshake (nothing verified:
mail servers encrypt opportunistically, RFC 3207; the certificate served is recorded as it is, for the checks
to judge as a sender that verifies would, MTA-STS); then QUIT. Nothing else is ever sent: no MAIL, no RCPT.
The handshake is bounded by its own timeout, never cancelled (see ``Network.connect`` on uvloop).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import re
import socket
import ssl
import time
import warnings
from dataclasses import dataclass

from ..addresses import family_of
from ..model import Outcome, SmtpProbe, TlsFacts
from ..net import Network
from ._errors import forget_traceback, outcome_of
from .tls import TrustStore, tls_facts

_GREETING_CAP = 4096  # bytes of greeting read at most
_BANNER_CHARS = 200
_QUIT_WAIT = 1.0  # seconds to wait for the 221 after QUIT
_REPLY_LINE = re.compile(r"(\d{3})([ -]|$)")
_EHLO_KEYWORDS = 32  # extension keywords kept at most


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """STARTTLS as a sending mail server does it: encrypt, verify nothing (opportunistic TLS), and take TLS 1.0
    and 1.1 too (Postfix's default, ">=TLSv1"): a mail server that speaks only those still encrypts the mail it
    is sent; what it negotiated is recorded. Built once, when first needed, and without loading any trust store
    (nothing is verified): not at import."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        with warnings.catch_warnings():  # ssl.TLSVersion.TLSv1 is deprecated: offering it is the point here
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")  # (TLS 1.0/1.1's ciphers; TLS 1.3's suites are not touched)
    except (ValueError, ssl.SSLError):  # an OpenSSL built without them: TLS 1.2 and 1.3 only, as before
        pass
    return ctx


def helo_name(writer: asyncio.StreamWriter) -> str:
    """What this scanner says in EHLO: the address literal of its own end of the connection (RFC 5321 4.1.3,
    ``[192.0.2.1]``, ``[IPv6:2001:db8::1]``), true on any machine and accepted where a bare host name is not
    (Postfix's reject_non_fqdn_helo_hostname turns away "scanner01"); the host name if the socket says none."""
    local = writer.get_extra_info("sockname")
    if not local:
        return socket.gethostname() or "ipv6scan"
    address = str(local[0]).split("%", 1)[0]  # (a link-local scope is not the server's business)
    return f"[IPv6:{address}]" if ":" in address else f"[{address}]"


@dataclass
class _Session:
    """What one connection learnt after its greeting."""

    ehlo: list[str] | None = None
    starttls: Outcome | None = None
    detail: str | None = None
    tls: TlsFacts | None = None


class _BadGreeting(Exception):
    """The server said something that is not an SMTP greeting."""

    def __init__(self, message: str, banner: str | None) -> None:
        super().__init__(message)
        self.banner = banner


async def probe_smtp(network: Network, address: str, port: int, *, timeout: float, retries: int = 1,
                     server_name: str | None = None, store: TrustStore | None = None) -> SmtpProbe:
    """Connect, read the greeting, EHLO, STARTTLS when offered, QUIT: OK iff the server greets with 220.

    Connect and greeting together are bounded by ``timeout``, and so are EHLO and STARTTLS with its
    handshake; a timed-out greeting is tried again ``retries`` times. ``server_name``: the mail server's
    name, sent as SNI in the handshake (and the name its certificate should hold); ``store``: the trust store
    the certificate's last issuer is looked up in (None: not looked at)."""
    start = time.monotonic()
    attempts = retries + 1
    for attempt in range(1, attempts + 1):
        outcome, banner, detail, session = await _attempt(network, address, port, timeout, server_name, store)
        if outcome != Outcome.TIMEOUT or attempt == attempts:
            break
    if outcome == Outcome.TIMEOUT:
        detail = f"no connection and greeting within {timeout:g} s ({attempts} attempts)"
    return SmtpProbe(
        address=address,
        family=family_of(address),
        port=port,
        outcome=outcome,
        banner=banner,
        elapsed_ms=(time.monotonic() - start) * 1000,
        detail=detail,
        ehlo=session.ehlo,
        starttls=session.starttls,
        tls_protocol=session.tls.protocol if session.tls is not None else None,
        tls_detail=session.detail,
        tls=session.tls,
    )


async def _attempt(network: Network, address: str, port: int, timeout: float, server_name: str | None,
                   store: TrustStore | None) -> tuple[Outcome, str | None, str | None, _Session]:
    """One connection: (outcome, first banner line, detail, what came after the greeting)."""
    streams = None
    code: str | None = None
    session = _Session()
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        streams = await network.open_tcp(address, port, timeout=timeout, limit=_GREETING_CAP)  # bounds the connect
        async with asyncio.timeout_at(deadline):  # the rest of the same time: not a second timeout around it
            code, lines = await _read_reply(streams[0], "greeting")
            banner = lines[0][:_BANNER_CHARS]
    except _BadGreeting as e:
        outcome, banner, detail = Outcome.PROTOCOL_ERROR, e.banner, str(e)
    except Exception as e:  # socket trouble, timeout, over-long line, ...
        (outcome, detail), banner = outcome_of(e), None
        forget_traceback(e)
    else:
        outcome = Outcome.OK if code == "220" else Outcome.PROTOCOL_ERROR
        detail = None if code == "220" else f"greeting code {code}, not 220"
    if streams is not None and outcome == Outcome.OK:
        session = await _after_greeting(*streams, timeout=timeout, server_name=server_name, store=store)
    if streams is not None:
        # Wait for the reply to QUIT only from a server that greeted: a silent one would waste time.
        await _quit(*streams, wait=min(timeout, _QUIT_WAIT) if code else 0.0)
    return outcome, banner, detail, session


async def _after_greeting(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, timeout: float,
                          server_name: str | None, store: TrustStore | None) -> _Session:
    """EHLO; STARTTLS and a handshake if offered; all within ``timeout``. Never raises."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    session = _Session()
    step = "EHLO"
    try:
        async with asyncio.timeout_at(deadline):
            writer.write(f"EHLO {helo_name(writer)}\r\n".encode("ascii", "replace"))
            code, lines = await _read_reply(reader, "EHLO reply")
            if code != "250":
                session.detail = f"EHLO answered {code}"
                return session
            keywords = [line[4:].split() for line in lines[1:]]  # (after "250-"; the first line greets)
            session.ehlo = [words[0].upper() for words in keywords if words][:_EHLO_KEYWORDS]
            if "STARTTLS" not in session.ehlo:
                return session
            step = "STARTTLS"
            writer.write(b"STARTTLS\r\n")
            code, _ = await _read_reply(reader, "STARTTLS reply")
        if code != "220":
            session.starttls, session.detail = Outcome.PROTOCOL_ERROR, f"STARTTLS answered {code}"
            return session
        step = "TLS handshake"
        left = max(deadline - loop.time(), 1e-3)  # bounded by its own timeout, never cancelled
        await writer.start_tls(_tls_context(), server_hostname=server_name, ssl_handshake_timeout=left)
    except Exception as e:  # noqa: BLE001 - every failure becomes an outcome
        outcome, why = (Outcome.PROTOCOL_ERROR, str(e)) if isinstance(e, _BadGreeting) else outcome_of(e)
        forget_traceback(e)
        if step != "EHLO":
            session.starttls = outcome
        session.detail = f"{step}: {why}"
        return session
    session.starttls = Outcome.OK
    session.tls = tls_facts(writer.get_extra_info("ssl_object"), Outcome.OK, None, store)
    return session


async def _read_reply(reader: asyncio.StreamReader, what: str) -> tuple[str, list[str]]:
    """One whole reply, possibly multi-line: (its code, each line as it came, without the line end)."""
    lines: list[str] = []
    read = 0
    while True:
        line = await reader.readline()
        read += len(line)
        if not line:
            raise _BadGreeting(f"connection closed before a complete {what}", lines[0] if lines else None)
        text = line.decode("utf-8", "replace").rstrip("\r\n")
        match = _REPLY_LINE.match(text)
        if match is None:
            raise _BadGreeting("not an SMTP reply", lines[0] if lines else text[:_BANNER_CHARS])
        lines.append(text)
        if match.group(2) != "-":
            return match.group(1), lines
        if read >= _GREETING_CAP:
            raise _BadGreeting(f"{what} longer than {_GREETING_CAP} bytes", lines[0])


async def _quit(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, wait: float) -> None:
    """Say QUIT, wait up to ``wait`` seconds for the reply, close; errors no longer matter."""
    with contextlib.suppress(Exception):
        writer.write(b"QUIT\r\n")
        if wait > 0:
            async with asyncio.timeout(wait):
                await writer.drain()
                await reader.readline()
    writer.close()
    with contextlib.suppress(Exception):
        async with asyncio.timeout(max(wait, 0.1)):
            await writer.wait_closed()
