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
    if isinstance(exc, TimeoutError):
        return Outcome.TIMEOUT, "timed out"
    if isinstance(exc, ConnectionRefusedError):
        return Outcome.REFUSED, "connection refused"
    detail = f"{type(exc).__name__}: {exc}".strip().rstrip(":")  # (after the two commonest: no words made for them)
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


def forget_traceback(exc: BaseException | None) -> None:
    """Drop the tracebacks of a handled exception and of those it chains (``__cause__``, ``__context__``).

    A traceback holds the frames it passed through, and those frames hold the futures and streams that
    hold the exception: a reference cycle that only the garbage collector frees, with every transport and
    TLS object on it. A probe that has turned the exception into an outcome needs none of it; without
    the cycle it is freed at once (bench/RESULTS.md: the collector's share of the CPU, issue 16)."""
    seen = 0
    while exc is not None and seen < 16:
        exc.__traceback__ = None
        exc = exc.__cause__ or exc.__context__
        seen += 1
