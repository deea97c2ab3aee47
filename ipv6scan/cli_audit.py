"""Commands for scheduled compliance audits (diff, audit, trends), registered on the main app."""

from __future__ import annotations

from .cli import app  # noqa: F401
