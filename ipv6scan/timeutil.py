"""The one clock every stage reads: UTC timestamps as the scan files write them."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> str:
    """Now, UTC, to the second: ``2026-12-02T10:15:00Z``."""
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
