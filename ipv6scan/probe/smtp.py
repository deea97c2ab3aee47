"""SMTP banner probe: does a mail server greet on this address?

Connects through the Network, reads the greeting (a 220 reply, possibly
multi-line), says QUIT and hangs up. Nothing is ever sent besides QUIT.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time

from ..addresses import family_of
from ..model import Outcome, SmtpProbe
from ..net import Network
from ._errors import forget_traceback, outcome_of

_GREETING_CAP = 4096  # bytes of greeting read at most
_BANNER_CHARS = 200
_QUIT_WAIT = 1.0  # seconds to wait for the 221 after QUIT
_REPLY_LINE = re.compile(r"(\d{3})([ -]|$)")


class _BadGreeting(Exception):
    """The server said something that is not an SMTP greeting."""

    def __init__(self, message: str, banner: str | None) -> None:
        super().__init__(message)
        self.banner = banner


async def probe_smtp(network: Network, address: str, port: int, *, timeout: float, retries: int = 1) -> SmtpProbe:
    """Connect, read the greeting, QUIT: OK iff the server greets with 220.

    Connect and greeting together are bounded by ``timeout``; a timed-out
    attempt is tried again ``retries`` times.
    """
    start = time.monotonic()
    attempts = retries + 1
    for attempt in range(1, attempts + 1):
        outcome, banner, detail = await _attempt(network, address, port, timeout)
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
    )


async def _attempt(network: Network, address: str, port: int, timeout: float) -> tuple[Outcome, str | None, str | None]:
    """One connection: (outcome, first banner line, detail)."""
    streams = None
    code: str | None = None
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        streams = await network.open_tcp(address, port, timeout=timeout, limit=_GREETING_CAP)  # bounds the connect
        async with asyncio.timeout_at(deadline):  # the rest of the same time: not a second timeout around it
            code, banner = await _read_greeting(streams[0])
    except _BadGreeting as e:
        outcome, banner, detail = Outcome.PROTOCOL_ERROR, e.banner, str(e)
    except Exception as e:  # socket trouble, timeout, over-long line, ...
        (outcome, detail), banner = outcome_of(e), None
        forget_traceback(e)
    else:
        outcome = Outcome.OK if code == "220" else Outcome.PROTOCOL_ERROR
        detail = None if code == "220" else f"greeting code {code}, not 220"
    if streams is not None:
        # Wait for the reply to QUIT only from a server that greeted: a silent one would waste time.
        await _quit(*streams, wait=min(timeout, _QUIT_WAIT) if code else 0.0)
    return outcome, banner, detail


async def _read_greeting(reader: asyncio.StreamReader) -> tuple[str, str]:
    """Read the whole greeting: (reply code, first line truncated)."""
    first: str | None = None
    read = 0
    while True:
        line = await reader.readline()
        read += len(line)
        if not line:
            raise _BadGreeting("connection closed before a complete greeting", first)
        text = line.decode("utf-8", "replace").rstrip("\r\n")
        first = first if first is not None else text[:_BANNER_CHARS]
        match = _REPLY_LINE.match(text)
        if match is None:
            raise _BadGreeting("not an SMTP reply", first)
        if match.group(2) != "-":
            return match.group(1), first
        if read >= _GREETING_CAP:
            raise _BadGreeting(f"greeting longer than {_GREETING_CAP} bytes", first)


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
