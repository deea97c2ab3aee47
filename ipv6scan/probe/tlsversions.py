"""Which TLS protocol versions one address accepts for one name: a handshake per version, offering it alone.

The request's own handshake (``probe/web.py``) offers TLS 1.2 and 1.3, so it already tells two things:
the version it negotiated is accepted, and when that is TLS 1.2, TLS 1.3 is not (a server that has it
must choose it). Every other version is asked on a fresh connection to the same address, with the
host name as SNI, offering that version alone — TLS 1.0 and 1.1 with OpenSSL's security level lowered
to 0 for that handshake only (at its default level OpenSSL will not offer them). Nothing is verified
in these handshakes: only whether the server completes one.

A version this scanner's OpenSSL cannot offer at all is ``untestable`` for it, never "refused".
Each handshake holds a politeness slot at the address like every connection of the scan.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
import time
import warnings

from ..model import Outcome, TlsVersionTry
from ..net import Network
from ..polite import Polite
from ._errors import forget_traceback, outcome_of

VERSIONS = ("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")  # oldest first; the names ssl.SSLObject.version() gives
_TLS_VERSION = {
    "TLSv1": ssl.TLSVersion.TLSv1,
    "TLSv1.1": ssl.TLSVersion.TLSv1_1,
    "TLSv1.2": ssl.TLSVersion.TLSv1_2,
    "TLSv1.3": ssl.TLSVersion.TLSv1_3,
}
_OLD = frozenset({"TLSv1", "TLSv1.1"})
# The request's handshake offers these (Python's default client minimum is TLS 1.2).
OFFERED_BY_REQUEST = ("TLSv1.2", "TLSv1.3")


@functools.cache
def _context(version: str) -> ssl.SSLContext | str:
    """A client context offering ``version`` alone; or why this OpenSSL cannot make one."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # ssl.TLSVersion.TLSv1/TLSv1_1 are deprecated: we know
        try:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            ctx.minimum_version = ctx.maximum_version = _TLS_VERSION[version]
            if version in _OLD:
                ctx.set_ciphers("DEFAULT:@SECLEVEL=0")  # this probe only: the old versions need SHA-1 signatures
        except (ssl.SSLError, ValueError) as e:
            return f"this scanner's OpenSSL cannot offer {version}: {e}"
    return ctx


def from_request(negotiated: str | None) -> list[TlsVersionTry]:
    """What the request's handshake (offering TLS 1.2 and 1.3) already says about versions."""
    if negotiated not in OFFERED_BY_REQUEST:
        return []
    known = [TlsVersionTry(version=negotiated, accepted=True, outcome=Outcome.OK, how="negotiated")]
    if negotiated == "TLSv1.2":
        known.append(TlsVersionTry(version="TLSv1.3", accepted=False, outcome=Outcome.OK, how="not_chosen",
                                   detail="offered with TLSv1.2; the server chose TLSv1.2"))
    return known


class TlsVersionProber:
    """Asks one address, per version, whether it completes a handshake offering that version alone."""

    def __init__(self, *, network: Network, polite: Polite, timeout: float) -> None:
        self._network = network
        self._polite = polite
        self._timeout = timeout

    async def probe(self, host: str, address: str, port: int, negotiated: str | None, *,
                    at_once: bool = False) -> list[TlsVersionTry]:
        """Every version in :data:`VERSIONS`, oldest first: what the request said, the rest asked.

        One after the other, or all at once with ``at_once`` (the scan asks so of an address whose
        request was slow: one wait instead of three). Each handshake holds its own politeness slot
        either way. Not at once by default: every TLS connection carries a 256 KiB read buffer, and
        three at once for every address of every host in flight would weigh on memory."""
        known = {t.version: t for t in from_request(negotiated)}
        asked = [v for v in VERSIONS if v not in known]
        if at_once:
            answers = dict(zip(asked, await asyncio.gather(*(self._one(host, address, port, v) for v in asked))))
        else:
            answers = {v: await self._one(host, address, port, v) for v in asked}
        return [known[v] if v in known else answers[v] for v in VERSIONS]

    async def _one(self, host: str, address: str, port: int, version: str) -> TlsVersionTry:
        ctx = _context(version)
        if isinstance(ctx, str):
            return TlsVersionTry(version=version, accepted=None, outcome=Outcome.UNTESTABLE, how="alone", detail=ctx)
        started = time.monotonic()
        try:
            async with self._polite.slot(address):
                transport = await self._network.tls_handshake(address, port, timeout=self._timeout, ssl=ctx,
                                                              server_hostname=host)
                ssl_object = transport.get_extra_info("ssl_object")
                got = ssl_object.version() if ssl_object is not None else None
                cipher = ssl_object.cipher() if ssl_object is not None else None
                transport.abort()
        except Exception as e:  # noqa: BLE001 - every failure becomes an outcome
            outcome, detail = outcome_of(e)
            forget_traceback(e)
            if isinstance(e, ssl.SSLError) and "NO_PROTOCOLS_AVAILABLE" in detail:  # (detail holds str(e))
                return TlsVersionTry(version=version, accepted=None, outcome=Outcome.UNTESTABLE, how="alone",
                                     detail=f"this scanner's OpenSSL cannot offer {version}: {detail}")
            # The server ended the handshake (an alert, or it closed): it does not accept the version.
            refused = outcome in (Outcome.TLS_HANDSHAKE_FAILED, Outcome.RESET, Outcome.PROTOCOL_ERROR)
            return TlsVersionTry(version=version, accepted=False if refused else None, outcome=outcome, how="alone",
                                 detail=detail, elapsed_ms=_ms(started))
        return TlsVersionTry(version=version, accepted=got == version, outcome=Outcome.OK, how="alone",
                             cipher=cipher[0] if cipher else None, elapsed_ms=_ms(started),
                             detail=None if got == version else f"the server answered with {got}")


def _ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)
