"""Map exceptions met during I/O onto the closed Outcome vocabulary.

Every probe catches what it can meet and calls :func:`outcome_of` so that the
same trouble gets the same name everywhere (DNS-server probes, SMTP, web).
TLS certificate errors are classified in ``tls.py``; here they only become
TLS_HANDSHAKE_FAILED if nothing more specific is known.
"""

from __future__ import annotations

import errno
import ssl

from ..model import Outcome

_UNREACHABLE_ERRNOS = frozenset(
    {
        errno.ENETUNREACH,
        errno.EHOSTUNREACH,
        errno.EADDRNOTAVAIL,
        errno.EAFNOSUPPORT,
        errno.ENETDOWN,
        errno.EHOSTDOWN,
    }
)


def outcome_of(exc: BaseException) -> tuple[Outcome, str]:
    """The outcome an exception stands for, and a short detail for people."""
    detail = f"{type(exc).__name__}: {exc}".strip().rstrip(":")
    if isinstance(exc, TimeoutError):
        return Outcome.TIMEOUT, "timed out"
    if isinstance(exc, ConnectionRefusedError):
        return Outcome.REFUSED, "connection refused"
    if isinstance(exc, (ConnectionResetError, BrokenPipeError, ConnectionAbortedError)):
        return Outcome.RESET, detail
    if isinstance(exc, ssl.SSLError):
        return Outcome.TLS_HANDSHAKE_FAILED, detail
    if isinstance(exc, OSError) and exc.errno in _UNREACHABLE_ERRNOS:
        return Outcome.UNREACHABLE, detail
    if isinstance(exc, OSError) and exc.errno == errno.ECONNREFUSED:
        return Outcome.REFUSED, "connection refused"
    if isinstance(exc, OSError) and exc.errno == errno.ETIMEDOUT:
        return Outcome.TIMEOUT, "timed out"
    if isinstance(exc, (EOFError, UnicodeDecodeError, ValueError)):
        return Outcome.PROTOCOL_ERROR, detail
    return Outcome.ERROR, detail
