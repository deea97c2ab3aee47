"""Files replaced whole or not at all: a report is never left as 0 bytes or half a page.

:func:`replacing` writes into a temporary file in the same folder (so the rename
stays on one file system), flushes and fsyncs it, then renames it over the target
(``os.replace``, atomic on POSIX). If anything fails — a full disk, an error while
rendering — the temporary file is removed and the target is left as it was. Readers
(a browser, a spreadsheet, Prometheus' textfile collector, which reads only
``*.prom``) see the old file or the new one, never a mix.

Written here rather than taken from a library: ``atomicwrites`` was archived by its
author in 2022; the standard library has the parts (``tempfile.mkstemp``,
``os.replace``).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

MODE = 0o644  # mkstemp makes 0600; reports are read by others (a web server, the collector's user)


@contextmanager
def replacing(path: str | os.PathLike[str], mode: str = "w", *, encoding: str | None = "utf-8",
              newline: str | None = None) -> Iterator[IO[Any]]:
    """An open temporary file that replaces ``path`` when the block ends without an error."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        binary = "b" in mode
        with os.fdopen(fd, mode, encoding=None if binary else encoding, newline=None if binary else newline) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, MODE)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_file(path: str | os.PathLike[str], data: str | bytes, *, encoding: str = "utf-8") -> Path:
    """Replace ``path`` with ``data`` (text is written in ``encoding``), atomically."""
    with replacing(path, "wb" if isinstance(data, bytes) else "w", encoding=encoding) as f:
        f.write(data)
    return Path(path)
