"""How a command ends: its exit codes, and where a session's words for people go.

Light on purpose (no scanner, no asyncio, no sqlite): the CLI's shared module imports it
to print ``--help`` quickly; :mod:`ipv6scan.session` re-exports both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .catalogue import Message
from .errors import Ipv6scanError

EXIT_OK, EXIT_USAGE, EXIT_CANNOT_RUN, EXIT_INTERRUPTED = 0, 2, 3, 130
EXIT_WRITE_FAILED = 6  # results could not be written (disk full): the scan stopped, --resume goes on


@dataclass
class Notices:
    """Where a session's words for people go (the CLI prints them on stderr)."""

    info: Callable[[Message], None] = lambda _: None
    warn: Callable[[Message], None] = lambda _: None
    error: Callable[[Message | Ipv6scanError], None] = lambda _: None
