"""One scan session, from start to end, for `scan`, `demo` and `audit` alike.

A session decides where a scan's lines go and how the scan ends:

* **history** — a new scan row in the history database, or the unfinished one being
  resumed (:func:`open_history`): hosts it saved are not scanned again, its saved file
  and the database are reconciled first;
* **the dated scan file** — ``<save_dir>/scan-<UTC time>.jsonl`` for a new scan (never
  overwritten), the scan's own file appended to when resumed;
* **the user's output** (``-o FILE`` or stdout) in the chosen format; on a resumed scan
  ``-o FILE`` is rewritten so that it holds every host of the scan exactly once (the
  earlier runs' hosts replayed from the database, then this run's);
* **the end** — complete, interrupted (Ctrl-C / SIGTERM: what was saved is kept and the
  resume command is said) or could not run (the history row is not left "running").

It prints nothing itself: what a person should be told goes to ``notices``.
"""

from __future__ import annotations

import asyncio
import os
import shlex
import shutil
import socket
import sys
import tempfile
from collections.abc import Awaitable, Callable, Iterable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import msgspec

from ._version import __version__
from .config import ScanOptions
from .catalogue import Message, os_problem
from .errors import CannotRun, Ipv6scanError, UsageProblem
from .loop import Loop, run as run_on
from .model import InputError, ScanHeader, ScanLine, ScanSummary
from .scanfile import JsonlSink, Sink, WriteFailed, create_new, scan_stem, tee
from .store import ResumedOutput, ScanRow, Store, StoreError, StoreSink, reconcile_jsonl, remaining, targets_digest
from .targets import Target
from .timeutil import utcnow

# Exit codes (4 and 5 are the audit's: a phase under ``fail_under``, confirmed regressions) and Notices live in the
# light ``ends`` module, so that ``--help`` imports neither the scanner nor the history.
from .ends import EXIT_CANNOT_RUN, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, EXIT_WRITE_FAILED, Notices  # noqa: E402,F401

Source = tuple[str, Path | Any]  # (name for messages, a path or an open stream)
ScanJob = Callable[[Sink, Callable[[ScanLine], None]], Awaitable[object]]



# ------------------------------------------------------------------ history


class History:
    """The history database side of one scan: a new scan, or the unfinished one being resumed."""

    def __init__(self, store: Store, *, digest: str, source: str, header: ScanHeader, row: ScanRow | None,
                 save: bool) -> None:
        self.store, self.digest, self.source, self.header, self.row = store, digest, source, header, row
        self.scan_id: int | None = row.id if row else None
        self.done: set[str] = set()
        self.errors: set[str] = set()
        self.saved: Path | None = Path(row.jsonl_path) if row and row.jsonl_path and save else None

    @property
    def resumed(self) -> bool:
        return self.row is not None

    def resume(self, notices: Notices) -> None:
        """Make the saved file and the database agree, then mark the scan running again."""
        assert self.row is not None
        if self.saved is not None:
            adopted, appended = reconcile_jsonl(self.store, self.row.id, self.saved)
            if adopted or appended:
                notices.info(Message("resume_reconciled", adopted=adopted, path=self.saved, appended=appended))
        self.done = self.store.done_hosts(self.row.id)
        self.errors = self.store.error_keys(self.row.id)
        self.store.resume_scan(self.row.id, self.header)

    def start(self, saved: Path | None) -> Sink:
        """The sink that saves this run into the database (a new scan is created here)."""
        if self.scan_id is None:
            self.scan_id = self.store.begin_scan(self.header, targets_digest=self.digest, targets_source=self.source,
                                                 jsonl_path=os.path.abspath(saved) if saved else None)
        return StoreSink(self.store, self.scan_id, resumed=self.resumed)

    def remaining(self, items: Iterable[Target | InputError]) -> Iterable[Target | InputError]:
        """What is left to scan: on a resumed scan, not what it saved already."""
        return remaining(items, self.done, self.errors) if self.resumed else items

    def abandon(self) -> None:
        """The scan could not run: do not leave it marked running."""
        abandon(self.store, self.scan_id)


def abandon(store: Store, scan_id: int | None) -> None:
    """Close a scan row that could not run as interrupted, so it is not left "running"."""
    if scan_id is not None and store.scan(scan_id).status == "running":
        store.finish(scan_id, ScanSummary(finished=utcnow(), elapsed_s=0.0, hosts=0, interrupted=True))


def new_header(options: ScanOptions, marks: dict[str, object] | None = None) -> ScanHeader:
    """The header of a new scan with these options (and an audit's marks)."""
    return ScanHeader(tool_version=__version__, started=utcnow(), options={**msgspec.to_builtins(options), **(marks or {})})


def open_history(db: Path, sources: list[Source], options: ScanOptions, *, resume: bool, save: bool,
                 notices: Notices) -> History:
    """Open the history database and find what to do: a new scan, or (``resume``) the one to go on with.

    Raises :class:`UsageProblem` when there is nothing to resume (or it is still running), and
    :class:`CannotRun` when the database cannot be used. Standard input is spooled so it can be
    digested and then scanned (``sources`` is updated in place).
    """
    for i, (name, src) in enumerate(sources):
        if not isinstance(src, Path):  # stdin is read once: keep a copy to digest it, then scan it
            spool = tempfile.TemporaryFile()
            shutil.copyfileobj(getattr(src, "buffer", src), spool)
            spool.seek(0)
            sources[i] = (name, spool)
    digest = targets_digest(*(src for _, src in sources))
    for _, src in sources:
        if not isinstance(src, Path):
            src.seek(0)
    header = new_header(options)
    source = ", ".join(name for name, _ in sources)
    try:
        store = Store(db)
        row = store.find_resumable(digest)
        if not resume:
            if row is not None and row.status == "running" and still_running(row):
                notices.info(Message("scan_running_elsewhere", scan=row.id, pid=row.pid))
            elif row is not None:
                notices.info(Message("scan_unfinished_hint", scan=row.id, started=row.started,
                                     status=Message(f"status.{row.status}"), hosts=row.hosts))
            return History(store, digest=digest, source=source, header=header, row=None, save=save)
        if row is None:
            raise UsageProblem(Message("resume_nothing", db=db))
        if row.status == "running" and still_running(row):
            raise UsageProblem(Message("resume_still_running", scan=row.id, pid=row.pid))
        _warn_changed_options(row, header, notices)
        history = History(store, digest=digest, source=source, header=header, row=row, save=save)
        history.resume(notices)
        notices.info(Message("resuming", scan=row.id, started=row.started, done=len(history.done)))
        return history
    except StoreError as e:
        raise CannotRun(*e.args) from None


def still_running(row: ScanRow) -> bool:
    """Is the process that last ran this scan alive on this machine (and an ipv6scan)?"""
    if row.pid is None or row.pid == os.getpid() or row.machine != socket.gethostname():
        return False
    try:
        os.kill(row.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    try:
        return b"ipv6scan" in Path(f"/proc/{row.pid}/cmdline").read_bytes()
    except OSError:
        return True


_VOLATILE_OPTIONS = {"concurrency", "workers", "network", "loop", "resumed", "resumed_scan"}


def _warn_changed_options(row: ScanRow, header: ScanHeader, notices: Notices) -> None:
    changed = sorted(k for k in set(row.options) | set(header.options)
                     if k not in _VOLATILE_OPTIONS and row.options.get(k) != header.options.get(k))
    if changed:
        notices.warn(Message("resume_other_options", scan=row.id, options=", ".join(changed)))


def resume_command(argv: list[str] | None = None) -> str | Message:
    """The command line that resumes this scan: this one, with --resume."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] != "scan":
        return Message("resume_same_command")
    if Path(sys.argv[0]).name == "ipv6scan":
        prog = ["ipv6scan"]
    else:  # python -m ipv6scan ...
        orig = getattr(sys, "orig_argv", [])
        prog = orig[: len(orig) - len(argv)] if len(orig) > len(argv) and orig[len(orig) - len(argv):] == argv else ["ipv6scan"]
    command = shlex.join([*prog, *argv, *([] if "--resume" in argv else ["--resume"])])
    return command + (" (with the same list on standard input)" if "-" in argv[1:] else "")


# ------------------------------------------------------------------ replay


class Replay:
    """A resumed scan's ``-o FILE``: after the header, every host and input error saved by earlier runs
    (read from the database, which has seen only those yet), then this run's lines."""

    def __init__(self, inner: Sink, store: Store, scan_id: int) -> None:
        self.inner, self.store, self.scan_id = inner, store, scan_id

    def write(self, line: ScanLine) -> None:
        self.inner.write(line)
        if isinstance(line, ScanHeader):
            for record in self.store.records(self.scan_id):
                self.inner.write(record)
            for error in self.store.input_errors(self.scan_id):
                self.inner.write(error)

    def close(self) -> None:
        self.inner.close()


class Marked:
    """A sink that adds ``marks`` to the options of the scan header it passes on (audit name, re-scan of)."""

    def __init__(self, inner: Sink, marks: dict[str, object]) -> None:
        self.inner, self.marks = inner, marks

    def write(self, line: ScanLine) -> None:
        if isinstance(line, ScanHeader):
            line = msgspec.structs.replace(line, options={**line.options, **self.marks})
        self.inner.write(line)

    def close(self) -> None:
        self.inner.close()


# ------------------------------------------------------------------ the session


@dataclass
class Session:
    """One scan's sinks and its end. ``output``: the user's sink and the files it writes (None: no output);
    ``output_is_file``: it is ``-o FILE`` (rewritten whole on a resumed scan)."""

    history: History | None = None
    save_dir: Path | None = None
    stem: str | None = None
    output: tuple[Sink, list[IO]] | None = None
    output_is_file: bool = False
    notices: Notices = field(default_factory=Notices)
    marks: dict[str, object] = field(default_factory=dict)  # added to the header's options (an audit's name, ...)
    saved: Path | None = None
    files: list[IO] = field(default_factory=list)

    def open(self) -> Sink:
        """Open the scan file, the database row and the output; the sink every line of the scan goes to."""
        sink = self._open()
        return Marked(sink, self.marks) if self.marks else sink

    def _open(self) -> Sink:
        history = self.history
        resumed = history is not None and history.resumed
        sinks: list[Sink] = []
        try:
            if resumed:  # the scan's own file, appended to (None: it had none, or --no-save)
                self.saved = history.saved  # type: ignore[union-attr]
                if self.saved is not None:
                    f = open(self.saved, "ab")
                    self.files.append(f)
                    sinks.append(JsonlSink(f))
            elif self.save_dir is not None:
                self.saved, f = create_new(self.save_dir, self.stem or scan_stem(), ".jsonl")
                self.files.append(f)
                sinks.append(JsonlSink(f))
        except OSError as e:
            self.close()
            raise CannotRun(Message("cannot_write_output", problem=os_problem(e))) from None
        user: Sink | None = None
        if self.output is not None:
            user, closers = self.output
            self.files += closers
        if history is None:
            return tee(*sinks, *([user] if user else []))
        try:  # the database first: it is what --resume trusts
            store_sink = history.start(self.saved)
        except StoreError as e:
            self.close()
            raise CannotRun(*e.args) from None
        if resumed:
            assert history.scan_id is not None
            if user is not None and self.output_is_file:
                user = Replay(user, history.store, history.scan_id)
            rest = ResumedOutput(tee(*sinks, *([user] if user else [])), history.store, history.scan_id)
            return tee(store_sink, rest)
        return tee(store_sink, *sinks, *([user] if user else []))

    def close(self) -> None:
        """Close every file; a file that cannot be flushed (disk full) is said, not raised: the others still close."""
        failed = None
        for f in self.files:
            try:
                f.close()
            except OSError as e:
                failed = failed or WriteFailed.of(f, e)
        self.files = []
        if failed is not None:
            raise failed

    def run(self, job: ScanJob, *, loop: Loop = Loop.AUTO, on_line: Callable[[ScanLine], None] = lambda _: None,
            progress: AbstractContextManager[Any] | None = None,
            runner: Callable[[Awaitable[object]], object] | None = None, close_store: bool = True) -> int:
        """Run ``job`` into this session's sinks; the exit code (0, 3, 130). Never raises for the scan's own failure.

        ``runner`` runs the coroutine (default: the chosen ``loop``, SIGTERM as Ctrl-C); ``close_store``: close the
        history database at the end (an audit that scans again keeps it open)."""
        out = self.open()
        code = EXIT_OK
        try:
            with progress or nullcontext():
                if runner is not None:
                    runner(job(out, on_line))
                else:
                    run_on(job(out, on_line), loop, sigterm=True)
        except (KeyboardInterrupt, asyncio.CancelledError):
            code = EXIT_INTERRUPTED
            self._interrupted()
        except (WriteFailed, StoreError) as e:  # a full disk: the scan stops; what was written stays, and can be resumed
            code = EXIT_WRITE_FAILED
            self._write_failed(e)
        except OSError as e:  # a sink that does not name its file (-o FILE as json or a table): the same end
            code = EXIT_WRITE_FAILED
            self._write_failed(WriteFailed(Message("write_failed_output", problem=os_problem(e))))
        except Exception as e:  # noqa: BLE001 - the scan could not run at all; say why, no traceback
            code = EXIT_CANNOT_RUN
            self.notices.error(Message("scan_could_not_run",
                                       problem=e if isinstance(e, Ipv6scanError) else f"{type(e).__name__}: {e}"))
        finally:
            try:
                self.close()
            except WriteFailed as e:
                if code == EXIT_OK:
                    code = EXIT_WRITE_FAILED
                    self._write_failed(e)
        return self._end(code, close_store)

    def _write_failed(self, e: WriteFailed | StoreError) -> None:
        self.notices.error(e)
        history = self.history
        if history is not None and history.scan_id is not None:
            self.notices.info(Message("write_failed_kept", db=history.store.path, scan=history.scan_id))
            self.notices.info(Message("resume_with", command=resume_command()))

    def _interrupted(self) -> None:
        history = self.history
        kept: list[str | Message] = [str(self.saved)] if self.saved else []
        if history is not None:
            kept.append(Message("db_scan", db=history.store.path, scan=history.scan_id))
        self.notices.info(Message("interrupted_kept", where=kept) if kept else Message("interrupted"))
        if history is not None:
            self.notices.info(Message("resume_with", command=resume_command()))

    def _end(self, code: int, close_store: bool) -> int:
        history = self.history
        if history is not None:
            try:
                if code in (EXIT_CANNOT_RUN, EXIT_WRITE_FAILED):
                    history.abandon()  # closed as interrupted, never left "running"
                elif code == EXIT_OK and history.resumed:
                    row = history.store.scan(history.scan_id)  # type: ignore[arg-type]
                    self.notices.info(Message("resumed_status", scan=row.id, status=Message(f"status.{row.status}"),
                                              hosts=row.hosts))
            except StoreError as e:
                if code != EXIT_WRITE_FAILED:  # a full disk that also stops closing the row was said already: still 6
                    self.notices.error(e)  # (the row stays "running", which --resume takes up like after kill -9)
                    code = EXIT_CANNOT_RUN
            if close_store:
                history.store.close()
        if self.saved and code not in (EXIT_CANNOT_RUN, EXIT_WRITE_FAILED):
            self.notices.info(Message("saved", path=self.saved))
        return code
