"""The scan file codec and the sinks that write scan lines: JSON Lines, one JSON document, tees, new files.

Used by everything that reads or writes scans (the scanner's output, the session, the
history store, the reports), so it sits low: it knows the model, nothing above it.
Every sink takes the same lines (``ScanHeader``, ``HostRecord``, ``InputError``,
``ScanSummary``) in the order the scan produces them and writes each as it comes.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Protocol

import msgspec

from .catalogue import Message, os_problem
from .errors import CannotRun, Ipv6scanError
from .model import SCHEMA_VERSION, HostRecord, InputError, ScanHeader, ScanLine, ScanSummary

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(ScanLine)


def decode_line(raw: bytes | str) -> ScanLine:
    """One line of a scan file (raises msgspec's DecodeError / ValidationError)."""
    return _decoder.decode(raw)


def encode_line(line: ScanLine) -> bytes:
    return _encoder.encode(line) + b"\n"


class BadScanLine(Ipv6scanError, ValueError):
    def __init__(self, path: str, lineno: int, problem: str) -> None:
        super().__init__(f"{path}:{lineno}: {problem}")
        self.lineno = lineno


def read_scan(path: str | Path) -> Iterator[ScanLine | BadScanLine]:
    """Lines of a saved JSONL scan; a corrupt line is yielded as BadScanLine, never skipped silently."""
    with open(path, "rb") as f:
        for n, raw in enumerate(f, 1):
            if not raw.strip():
                continue
            try:
                yield _decoder.decode(raw)
            except (msgspec.DecodeError, msgspec.ValidationError) as e:
                yield BadScanLine(str(path), n, f"not a scan record ({e})")


class Sink(Protocol):
    def write(self, line: ScanLine) -> None: ...
    def close(self) -> None: ...


class WriteFailed(CannotRun):
    """A scan's line could not be written to a file (disk full, ...): the scan stops, what was written stays."""

    @classmethod
    def of(cls, f: object, e: OSError) -> WriteFailed:
        """The failure of writing (or closing) file ``f``, naming it."""
        return cls(Message("write_failed", path=getattr(f, "name", "?"), problem=os_problem(e)))


class JsonlSink:
    """One JSON document per line, flushed as each host finishes."""

    def __init__(self, out: IO[bytes]) -> None:
        self.out = out

    def write(self, line: ScanLine) -> None:
        try:
            self.out.write(encode_line(line))
            self.out.flush()
        except BrokenPipeError:
            raise  # stdout's reader went away (`| head`): output.PipeGuard's to handle, not a failed write
        except OSError as e:  # a full disk, a lost mount: say which file
            raise WriteFailed.of(self.out, e) from e

    def close(self) -> None:
        try:
            self.out.flush()
        except BrokenPipeError:
            raise
        except OSError as e:
            raise WriteFailed.of(self.out, e) from e


class JsonSink:
    """One JSON document, streamed: {"schema_version", "scan", "hosts": [...], "input_errors", "summary"}."""

    def __init__(self, out: IO[bytes]) -> None:
        self.out = out
        self.first_host = True
        self.errors: list[InputError] = []
        self.out.write(b'{"schema_version":' + _encoder.encode(SCHEMA_VERSION))

    def write(self, line: ScanLine) -> None:
        if isinstance(line, ScanHeader):
            self.out.write(b',"scan":' + _encoder.encode(line) + b',"hosts":[')
        elif isinstance(line, HostRecord):
            self.out.write((b"\n" if self.first_host else b",\n") + _encoder.encode(line))
            self.first_host = False
        elif isinstance(line, InputError):
            self.errors.append(line)
        elif isinstance(line, ScanSummary):
            self.out.write(b'],\n"input_errors":' + _encoder.encode(self.errors))
            self.out.write(b',\n"summary":' + _encoder.encode(line) + b"}\n")
        self.out.flush()

    def close(self) -> None:
        self.out.flush()


def scan_stem(suffix: str = "") -> str:
    """The name (without extension) of a scan file started now: ``scan-<UTC time><suffix>``."""
    return f"scan-{datetime.now(UTC):%Y%m%dT%H%M%SZ}{suffix}"


def create_new(folder: Path, stem: str, suffix: str) -> tuple[Path, IO[bytes]]:
    """A new file ``folder/stem+suffix`` (or ``stem-2``, ``stem-3``, ...): an existing file is never overwritten."""
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(1, 10_000):
        path = folder / f"{stem}{'' if n == 1 else f'-{n}'}{suffix}"
        try:
            return path, open(path, "xb")
        except FileExistsError:
            continue
    raise FileExistsError(f"{folder}/{stem}*{suffix}: no free name")


def open_binary(path: str | None) -> IO[bytes]:
    """A file to write to (its folder created), or stdout for None / "-"."""
    if path in (None, "-"):
        return sys.stdout.buffer
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    return open(p, "wb")


def tee(*sinks: Sink) -> Sink:
    return _Tee(list(sinks))


class _Tee:
    def __init__(self, sinks: list[Sink]) -> None:
        self.sinks = sinks

    def write(self, line: ScanLine) -> None:
        for s in self.sinks:
            s.write(line)

    def close(self) -> None:
        for s in self.sinks:
            s.close()
