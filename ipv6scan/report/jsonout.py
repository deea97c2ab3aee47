"""The score report as JSON: the ``ScoreReport`` itself, ``schema_version`` first, like the scan output."""

from __future__ import annotations

from pathlib import Path

import msgspec

from ..atomic import write_file
from ..scores import ScoreReport

_decoder = msgspec.json.Decoder(ScoreReport)


def write_json(report: ScoreReport, path: Path) -> None:
    write_file(path, msgspec.json.encode(report) + b"\n")


def read_json(path: Path) -> ScoreReport:
    """A report written by :func:`write_json` (raises ``msgspec.DecodeError`` / ``ValidationError``)."""
    return _decoder.decode(path.read_bytes())
