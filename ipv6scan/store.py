"""The history store: every scan, host by host, in an embedded SQLite database.

One database (default ``reports/history.sqlite``) holds every scan made with it:
the scan (when, which target list, its options, how it ended), each run of it (a
scan interrupted and resumed has several runs), every host record exactly as it
was saved in the scan file, and every input error. See ``docs/history.md``.

Durability: a scan's host records and input errors are committed by a writer
thread of their own in group commits (:class:`_Writer`: whatever is queued when
it is free, in one transaction), in WAL mode with ``synchronous=FULL`` (the WAL is
fsynced at every commit), so the event loop never waits on the disk. Every read
and the end of a scan (:meth:`Store.finish`, :meth:`Store.close`) wait for the
queue to be committed first. A scan killed at any moment (``kill -9``, power
cut) keeps every host committed, which is every host it had finished but those
of the group in flight; those are in the scan file, which ``ipv6scan scan
--resume`` adopts (:func:`reconcile_jsonl`), so it goes on without scanning
them again. :meth:`Store.record` called directly commits before it returns.

Schema changes are numbered migrations (``MIGRATIONS``); the version applied is
SQLite's ``PRAGMA user_version``. A database written by a newer ipv6scan, a file
that is not an ipv6scan database, or a damaged one raises :class:`StoreError`
naming the file and what to do: it is never recreated or overwritten.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import queue
import socket
import sqlite3
import threading
import urllib.parse
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any, ParamSpec, TextIO, TypeVar

import msgspec

from .catalogue import Message, os_problem
from .errors import Ipv6scanError
from .timeutil import utcnow
from .model import HostRecord, InputError, ScanHeader, ScanLine, ScanSummary
from .scanfile import BadScanLine, encode_line, read_scan

from .config import DEFAULT_DB  # noqa: E402,F401  (its home is the light config module)
APPLICATION_ID = 0x69707636  # "ipv6": PRAGMA application_id of an ipv6scan history database

# ---------------------------------------------------------------- schema

# MIGRATIONS[n] takes a database from user_version n to n + 1. Append, never edit.
MIGRATIONS: list[tuple[str, ...]] = [
    (
        """CREATE TABLE scans (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            started TEXT NOT NULL,              -- ISO 8601 UTC, from the first run's header
            finished TEXT,                      -- set when a run ends with a summary
            status TEXT NOT NULL DEFAULT 'running'
                CHECK (status IN ('running', 'interrupted', 'complete')),
            targets_digest TEXT NOT NULL,       -- sha256 of the sorted, normalised host names
            targets_source TEXT NOT NULL,       -- the list(s) as given on the command line
            jsonl_path TEXT,                    -- the saved scan file (NULL: --no-save)
            header TEXT NOT NULL,               -- the first run's scan header (JSON), options inside
            hosts INTEGER,                      -- counts over every run, set at finish
            input_errors INTEGER,
            verdicts TEXT                       -- JSON object verdict -> count, set at finish
        )""",
        "CREATE INDEX scans_by_targets ON scans (targets_digest, id)",
        """CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            scan_id INTEGER NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
            started TEXT NOT NULL,
            finished TEXT,
            elapsed_s REAL,
            interrupted INTEGER,                -- 1: ended by Ctrl-C; NULL: never ended (killed)
            pid INTEGER NOT NULL,
            machine TEXT NOT NULL,
            tool_version TEXT NOT NULL
        )""",
        "CREATE INDEX runs_by_scan ON runs (scan_id, id)",
        """CREATE TABLE hosts (
            id INTEGER PRIMARY KEY,             -- order in which hosts finished
            scan_id INTEGER NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
            run_id INTEGER REFERENCES runs (id),
            host TEXT NOT NULL,                 -- ASCII (punycode) name
            display TEXT NOT NULL,
            started TEXT NOT NULL,              -- facts.started
            verdict TEXT NOT NULL,
            reasons TEXT NOT NULL,              -- JSON list
            org TEXT,
            kind TEXT,
            record TEXT NOT NULL,               -- the host line of the scan file (JSON), as saved
            UNIQUE (scan_id, host)
        )""",
        "CREATE INDEX hosts_by_name ON hosts (host, scan_id)",
        """CREATE TABLE input_errors (
            id INTEGER PRIMARY KEY,
            scan_id INTEGER NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
            key TEXT NOT NULL,                  -- source, line, text, problem: one error once per scan
            source TEXT,
            line INTEGER,
            text TEXT NOT NULL,
            problem TEXT NOT NULL,
            UNIQUE (scan_id, key)
        )""",
    ),
    (  # 2: an input error's catalogue code and values (scan schema 1.2), to say it in either language
        "ALTER TABLE input_errors ADD COLUMN code TEXT",
        "ALTER TABLE input_errors ADD COLUMN params TEXT",  # JSON object
    ),
]

STATUSES = ("running", "interrupted", "complete")
_CHECK_ROWS = 10  # problems quick_check lists at most
GROUP_MAX = 256  # host records (and input errors) committed together at most
QUEUE_DEPTH = 1024  # waiting to be committed at most (~14 KB a record): a disk slower than the scan holds it back

_host_encoder = msgspec.json.Encoder()
_host_decoder = msgspec.json.Decoder(HostRecord)
_header_decoder = msgspec.json.Decoder(ScanHeader)


class StoreError(Ipv6scanError):
    """The history database cannot be used: the message names the file and what to do."""


class ScanRow(msgspec.Struct, kw_only=True):
    id: int
    started: str
    finished: str | None
    status: str  # "running" | "interrupted" | "complete"
    hosts: int
    input_errors: int
    verdicts: dict[str, int]
    targets_digest: str
    targets_source: str
    jsonl_path: str | None
    options: dict[str, Any]
    # beyond the agreed API, all optional
    runs: int = 1  # 1 + the number of times it was resumed
    elapsed_s: float | None = None  # summed over the runs that ended with a summary
    tool_version: str | None = None
    pid: int | None = None  # of the latest run
    machine: str | None = None  # host name of the machine of the latest run


class HostChange(msgspec.Struct, kw_only=True):
    scan_id: int
    started: str
    verdict: str
    reasons: list[str]


P = ParamSpec("P")
R = TypeVar("R")


def _guarded(method: Callable[P, R]) -> Callable[P, R]:
    """sqlite3 errors become StoreError naming the database file and what to do."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except sqlite3.Error as e:
            store = args[0]
            raise StoreError(_explain(store.path, e)) from e  # type: ignore[attr-defined]

    return wrapper


def _explain(path: Path, e: sqlite3.Error) -> Message:
    text = str(e)
    if isinstance(e, sqlite3.DatabaseError) and ("not a database" in text or "malformed" in text):
        return Message("store.damaged", path=path, detail=text)
    if "locked" in text or "busy" in text:
        return Message("store.busy", path=path, detail=text)
    if "readonly" in text or "unable to open" in text or "disk" in text or "full" in text:
        return Message("store.cannot_write", path=path, detail=text)
    return Message("store.error", path=path, detail=f"{type(e).__name__}: {text}")


class Store:
    """A history database: create or open it, migrate it, record scans into it.

    ``readonly``: for commands that only read (history, host, diff, trend): the file is
    opened read-only (``mode=ro``; on storage where even SQLite's shared-memory file cannot
    be made, ``immutable=1``), never created, migrated or checked, so it works on a
    read-only disk or a copy without write permission. Opened for writing, the database
    first passes SQLite's ``quick_check``: a damaged one is refused (nothing is written
    into it) with what was found; reading it stays possible.
    """

    def __init__(self, path: str | os.PathLike[str], *, readonly: bool = False) -> None:
        self.path = Path(path)
        self.readonly = readonly
        self._runs: dict[int, int] = {}  # scan id -> the run this process is writing
        self._writer: _Writer | None = None  # started at the first queued write
        if self.path.is_dir():
            raise StoreError(Message("store.directory", path=self.path))
        if readonly:
            self.db = self._connect_readonly()
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StoreError(Message("store.mkdir", path=self.path, problem=os_problem(e))) from None
        try:
            self.db = sqlite3.connect(self.path, isolation_level=None, timeout=10.0)
        except sqlite3.Error as e:
            raise StoreError(_explain(self.path, e)) from None
        try:
            self._open()
        except StoreError:
            self.db.close()
            raise
        except sqlite3.Error as e:
            self.db.close()
            raise StoreError(_explain(self.path, e)) from None

    def _connect_readonly(self) -> sqlite3.Connection:
        uri = "file:" + urllib.parse.quote(os.path.abspath(self.path))
        last: sqlite3.Error | None = None
        for flags in ("?mode=ro", "?mode=ro&immutable=1"):  # immutable: no -shm can be made (read-only medium)
            try:
                db = sqlite3.connect(uri + flags, uri=True, isolation_level=None, timeout=10.0)
                self._check_kind(db)
                return db
            except StoreError:
                db.close()
                raise
            except sqlite3.Error as e:
                last = e
        assert last is not None
        raise StoreError(_explain(self.path, last)) from None

    def _check_kind(self, db: sqlite3.Connection) -> None:
        """An ipv6scan history this version can read; reading the schema parses the header and page 1."""
        db.execute("PRAGMA busy_timeout = 10000")
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        app_id = db.execute("PRAGMA application_id").fetchone()[0]
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if app_id != APPLICATION_ID and (tables or version):
            raise StoreError(Message("store.not_ours", path=self.path, app_id=f"{app_id:#x}"))
        if version > len(MIGRATIONS):
            raise StoreError(Message("store.newer", path=self.path, version=version, known=len(MIGRATIONS)))
        if self.readonly and version < len(MIGRATIONS):
            raise StoreError(Message("store.older_readonly", path=self.path, version=version, known=len(MIGRATIONS)))

    def _open(self) -> None:
        db = self.db
        self._check_kind(db)
        try:
            problems = [r[0] for r in db.execute(f"PRAGMA quick_check({_CHECK_ROWS})")]
        except sqlite3.DatabaseError as e:  # damage that stops the check itself ("disk image is malformed")
            problems = [str(e)]
        if problems != ["ok"]:
            raise StoreError(Message("store.damaged_refused", path=self.path, found=len(problems),
                                     first="; ".join(problems[:2])))
        self.journal_mode = db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        db.execute("PRAGMA synchronous = FULL")  # WAL fsynced at every commit: a committed host survives a power cut
        db.execute("PRAGMA foreign_keys = ON")
        self._migrate()

    def _migrate(self) -> None:
        db = self.db
        while True:
            db.execute("BEGIN IMMEDIATE")  # one migrating process at a time; re-read the version under the lock
            try:
                version = db.execute("PRAGMA user_version").fetchone()[0]
                if version >= len(MIGRATIONS):
                    db.execute("COMMIT")
                    return
                if version == 0:
                    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                for statement in MIGRATIONS[version]:
                    db.execute(statement)
                db.execute(f"PRAGMA user_version = {version + 1}")
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise

    @property
    def schema_version(self) -> int:
        return self.db.execute("PRAGMA user_version").fetchone()[0]

    # ------------------------------------------------------------------ writing

    @_guarded
    def begin_scan(self, header: ScanHeader, *, targets_digest: str, targets_source: str,
                   jsonl_path: str | None) -> int:
        """A new scan (status running) and its first run; its id."""
        with self._transaction():
            cur = self.db.execute(
                "INSERT INTO scans (started, targets_digest, targets_source, jsonl_path, header)"
                " VALUES (?, ?, ?, ?, ?)",
                (header.started, targets_digest, targets_source, jsonl_path, _host_encoder.encode(header).decode()),
            )
            scan_id = int(cur.lastrowid or 0)
            self._runs[scan_id] = self._new_run(scan_id, header)
        return scan_id

    @_guarded
    def resume_scan(self, scan_id: int, header: ScanHeader | None = None) -> None:
        """Mark an unfinished scan running again, in a new run of this process."""
        self.scan(scan_id)  # exists?
        with self._transaction():
            self.db.execute("UPDATE scans SET status = 'running', finished = NULL WHERE id = ?", (scan_id,))
            self._runs[scan_id] = self._new_run(scan_id, header)

    def _new_run(self, scan_id: int, header: ScanHeader | None) -> int:
        from ._version import __version__

        cur = self.db.execute(
            "INSERT INTO runs (scan_id, started, pid, machine, tool_version) VALUES (?, ?, ?, ?, ?)",
            (scan_id, header.started if header else _utcnow(), os.getpid(), socket.gethostname(),
             header.tool_version if header else __version__),
        )
        return int(cur.lastrowid or 0)

    @_guarded
    def update_header(self, scan_id: int, header: ScanHeader) -> None:
        """Replace the stored header of a scan's first run (the scanner's own header, once it has started)."""
        with self._transaction():
            self.db.execute("UPDATE scans SET header = ?, started = ? WHERE id = ?",
                            (_host_encoder.encode(header).decode(), header.started, scan_id))
            if (run := self._runs.get(scan_id)) is not None:
                self.db.execute("UPDATE runs SET started = ? WHERE id = ?", (header.started, run))

    @_guarded
    def record(self, scan_id: int, record: HostRecord, *, wait: bool = True) -> None:
        """Save one host record. A host already saved in this scan is kept as it was.

        ``wait``: committed before returning (in a transaction of its own). Otherwise it is queued for the
        writer thread's next group commit; a failure of an earlier group (a full disk) is raised here."""
        self._save(_INSERT_HOST, self._host_row(scan_id, record), wait)

    def _host_row(self, scan_id: int, record: HostRecord) -> tuple[object, ...]:
        f, r = record.facts, record.result
        return (scan_id, self._runs.get(scan_id), f.host, f.display, f.started, r.verdict.value,
                json.dumps(list(r.reasons)), f.org, f.kind, _host_encoder.encode(record).decode())

    @_guarded
    def input_error(self, scan_id: int, error: InputError, *, wait: bool = True) -> None:
        """Save one input error; the same error (source, line, text, problem) is saved once per scan.
        ``wait``: as for :meth:`record`."""
        self._save(_INSERT_ERROR, (scan_id, error_key(error), error.source, error.line, error.text, error.problem,
                                   error.code, msgspec.json.encode(error.params).decode() if error.params else None),
                   wait)

    def _save(self, sql: str, row: tuple[object, ...], wait: bool) -> None:
        if not wait:
            if self._writer is None:
                self._writer = _Writer(self.path)
            self._writer.put(sql, row)
            return
        self.flush()  # after what is queued: the order of a scan's lines
        self.db.execute(sql, row)  # autocommit mode: this statement is its own transaction

    def flush(self) -> None:
        """Wait until everything queued is committed. The writer's failure (a full disk) is raised once, here or
        at the next queued write; the scan then stops, and closing its row must still be possible."""
        if self._writer is not None:
            self._writer.flush()

    @_guarded
    def finish(self, scan_id: int, summary: ScanSummary) -> None:
        """End the current run: the scan is complete, or interrupted if ``summary.interrupted``.

        The counts saved for the scan are read from the database (every run's hosts), not from ``summary``.
        """
        hosts, verdicts, errors = self.counts(scan_id)  # (after what is queued is committed)
        run = self._runs.get(scan_id)
        with self._transaction():
            self.db.execute(
                "UPDATE scans SET status = ?, finished = ?, hosts = ?, verdicts = ?, input_errors = ? WHERE id = ?",
                ("interrupted" if summary.interrupted else "complete", summary.finished, hosts,
                 json.dumps(verdicts), errors, scan_id),
            )
            if run is not None:
                self.db.execute("UPDATE runs SET finished = ?, elapsed_s = ?, interrupted = ? WHERE id = ?",
                                (summary.finished, summary.elapsed_s, int(summary.interrupted), run))

    @_guarded
    def prune(self, before: str, *, marked: tuple[str, str] | None = None) -> tuple[int, int]:
        """Delete the scans started before ``before`` (ISO 8601 UTC, compared as text: a date or a time) that are
        not running, with their runs, host records and input errors; (scans, host records) deleted. A running scan
        (or one killed while running: resumable) is kept. ``marked`` (option, value): only the scans whose header
        options say so (an audit's own scans). The file shrinks only after :meth:`vacuum`."""
        where, args = "started < ? AND status != 'running'", [before]
        if marked is not None:
            where += " AND json_extract(header, '$.options.' || ?) = ?"
            args += list(marked)
        with self._transaction():
            ids = [r[0] for r in self.db.execute(f"SELECT id FROM scans WHERE {where}", args)]
            if not ids:
                return 0, 0
            marks = ", ".join("?" * len(ids))
            hosts = self.db.execute(f"SELECT count(*) FROM hosts WHERE scan_id IN ({marks})", ids).fetchone()[0]
            self.db.execute(f"DELETE FROM scans WHERE id IN ({marks})", ids)  # runs, hosts, errors: ON DELETE CASCADE
        return len(ids), hosts

    @_guarded
    def vacuum(self) -> None:
        """Give the space of deleted rows back to the file system (rewrites the database; needs as much free space)."""
        self.flush()
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.db.execute("VACUUM")

    def _transaction(self) -> _Transaction:
        self.flush()  # the writer's rows first: one writer at a time, and in the order of the scan's lines
        return _Transaction(self.db)

    # ------------------------------------------------------------------ reading

    @_guarded
    def done_hosts(self, scan_id: int) -> set[str]:
        self.flush()
        return {r[0] for r in self.db.execute("SELECT host FROM hosts WHERE scan_id = ?", (scan_id,))}

    @_guarded
    def error_keys(self, scan_id: int) -> set[str]:
        """Keys (see :func:`error_key`) of the input errors saved for a scan."""
        self.flush()
        return {r[0] for r in self.db.execute("SELECT key FROM input_errors WHERE scan_id = ?", (scan_id,))}

    @_guarded
    def counts(self, scan_id: int) -> tuple[int, dict[str, int], int]:
        """(hosts, verdict counts, input errors) of a scan, counted from its saved rows."""
        self.flush()
        verdicts = dict(self.db.execute(
            "SELECT verdict, count(*) FROM hosts WHERE scan_id = ? GROUP BY verdict ORDER BY verdict", (scan_id,)))
        errors = self.db.execute("SELECT count(*) FROM input_errors WHERE scan_id = ?", (scan_id,)).fetchone()[0]
        return sum(verdicts.values()), verdicts, errors

    @_guarded
    def find_resumable(self, targets_digest: str) -> ScanRow | None:
        """The newest scan of these targets if it is not complete, else None.

        A scan completed after an interrupted one of the same list leaves nothing to resume.
        """
        row = self.db.execute(
            f"SELECT {_SCAN_COLUMNS} FROM scans s WHERE targets_digest = ? ORDER BY id DESC LIMIT 1", (targets_digest,)
        ).fetchone()
        if row is None or row[3] == "complete":
            return None
        return self._row(row)

    @_guarded
    def scans(self, limit: int = 50) -> list[ScanRow]:
        """The latest scans, newest first."""
        rows = self.db.execute(f"SELECT {_SCAN_COLUMNS} FROM scans s ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        return [self._row(r) for r in rows]

    @_guarded
    def scan(self, scan_id: int) -> ScanRow:
        row = self.db.execute(f"SELECT {_SCAN_COLUMNS} FROM scans s WHERE id = ?", (scan_id,)).fetchone()
        if row is None:
            raise KeyError(f"no scan {scan_id} in {self.path}")
        return self._row(row)

    def _row(self, row: tuple[Any, ...]) -> ScanRow:
        (id_, started, finished, status, digest, source, jsonl, header, hosts, errors, verdicts,
         runs, elapsed, pid, machine) = row
        head = _header_decoder.decode(header)
        if status != "complete" or hosts is None:  # unfinished: count what is there now
            hosts, counted, errors = self.counts(id_)
        else:
            counted = json.loads(verdicts)
        return ScanRow(id=id_, started=started, finished=finished, status=status, hosts=hosts, input_errors=errors,
                       verdicts=counted, targets_digest=digest, targets_source=source, jsonl_path=jsonl,
                       options=head.options, runs=runs, elapsed_s=elapsed, tool_version=head.tool_version,
                       pid=pid, machine=machine)

    @_guarded
    def header(self, scan_id: int) -> ScanHeader:
        """The stored header of a scan's first run."""
        row = self.db.execute("SELECT header FROM scans WHERE id = ?", (scan_id,)).fetchone()
        if row is None:
            raise KeyError(f"no scan {scan_id} in {self.path}")
        return _header_decoder.decode(row[0])

    def records(self, scan_id: int) -> Iterator[HostRecord]:
        """The host records of a scan as they were saved, in the order hosts finished."""
        try:
            self.flush()
            cur = self.db.execute("SELECT record FROM hosts WHERE scan_id = ? ORDER BY id", (scan_id,))
            for (raw,) in cur:
                yield _host_decoder.decode(raw)
        except sqlite3.Error as e:
            raise StoreError(_explain(self.path, e)) from e

    @_guarded
    def input_errors(self, scan_id: int) -> list[InputError]:
        self.flush()
        rows = self.db.execute("SELECT source, line, text, problem, code, params FROM input_errors WHERE scan_id = ? "
                               "ORDER BY id", (scan_id,))
        return [InputError(source=s, line=n, text=t, problem=p, code=c, params=msgspec.json.decode(v) if v else {})
                for s, n, t, p, c, v in rows]

    @_guarded
    def host_history(self, host: str) -> list[HostChange]:
        """Every scan that saw ``host`` (ASCII form), oldest first, with the verdict it was given then."""
        rows = self.db.execute(
            "SELECT scan_id, started, verdict, reasons FROM hosts WHERE host = ? ORDER BY started, scan_id", (host,))
        return [HostChange(scan_id=s, started=t, verdict=v, reasons=json.loads(r)) for s, t, v, r in rows]

    @_guarded
    def latest_record(self, host: str) -> HostRecord | None:
        """The last record saved of ``host`` (ASCII form), by scan time; None when no scan saw it."""
        row = self.db.execute("SELECT record FROM hosts WHERE host = ? ORDER BY started DESC, scan_id DESC, id DESC "
                              "LIMIT 1", (host,)).fetchone()
        return _host_decoder.decode(row[0]) if row else None

    def close(self) -> None:
        """Commit what is queued, stop the writer thread, close the database; the writer's failure, if it was not
        raised yet, is raised (after the database is closed)."""
        writer, self._writer = self._writer, None
        try:
            if writer is not None:
                writer.close()
        finally:
            self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_SCAN_COLUMNS = (
    "id, started, finished, status, targets_digest, targets_source, jsonl_path, header, hosts, input_errors, verdicts,"
    " (SELECT count(*) FROM runs r WHERE r.scan_id = s.id),"
    " (SELECT sum(elapsed_s) FROM runs r WHERE r.scan_id = s.id),"
    " (SELECT pid FROM runs r WHERE r.scan_id = s.id ORDER BY id DESC LIMIT 1),"
    " (SELECT machine FROM runs r WHERE r.scan_id = s.id ORDER BY id DESC LIMIT 1)"
)


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *_: object) -> None:
        self.db.execute("ROLLBACK" if exc_type else "COMMIT")


_INSERT_HOST = ("INSERT OR IGNORE INTO hosts (scan_id, run_id, host, display, started, verdict, reasons, org, kind,"
                " record) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
_INSERT_ERROR = ("INSERT OR IGNORE INTO input_errors (scan_id, key, source, line, text, problem, code, params) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?)")


class _Writer:
    """A thread with its own connection that commits queued rows in groups: whatever waits when it is free,
    up to ``GROUP_MAX`` rows, in one transaction and one fsync. On a fast disk a group is a row or two; on a
    slow one (a spinning disk's fsync takes 5-10 ms) the rows that came meanwhile share the next commit, so
    the scan never waits on the disk and the event loop never blocks in an fsync. The queue is bounded
    (``QUEUE_DEPTH``): a disk slower than the scan holds the scan back instead of filling the memory.

    A failing group (a full disk) is rolled back; its failure is raised once, by the next :meth:`put` or by
    :meth:`flush`; rows queued after it are dropped (the scan stops there; the scan file has them, and
    ``--resume`` adopts them)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._queue: queue.Queue[tuple[str, tuple[object, ...]] | None] = queue.Queue(QUEUE_DEPTH)
        self._failure: StoreError | None = None
        self._said = False
        self._thread = threading.Thread(target=self._run, name="ipv6scan-history", daemon=True)
        self._thread.start()

    def put(self, sql: str, row: tuple[object, ...]) -> None:
        self._raise()
        self._queue.put((sql, row))

    def flush(self) -> None:
        self._queue.join()
        self._raise()

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()
        self._raise()

    def _raise(self) -> None:
        if self._failure is not None and not self._said:
            self._said = True
            raise self._failure

    def _run(self) -> None:
        db = None
        try:
            db = sqlite3.connect(self.path, isolation_level=None, timeout=10.0, check_same_thread=False)
            db.execute("PRAGMA busy_timeout = 10000")
            db.execute("PRAGMA synchronous = FULL")  # as the Store's own connection: a committed host survives a power cut
        except sqlite3.Error as e:
            self._failure = StoreError(_explain(self.path, e))
        while True:
            group = [self._queue.get()]
            while len(group) < GROUP_MAX and group[-1] is not None:
                try:
                    group.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            rows = [item for item in group if item is not None]
            try:
                if rows and db is not None and self._failure is None:
                    self._commit(db, rows)
            except Exception as e:  # noqa: BLE001 - said by the scan's thread, never lost in this one
                self._failure = StoreError(_explain(self.path, e) if isinstance(e, sqlite3.Error) else
                                           Message("store.error", path=self.path, detail=f"{type(e).__name__}: {e}"))
            finally:
                for _ in group:
                    self._queue.task_done()
            if group[-1] is None:
                break
        if db is not None:
            db.close()

    @staticmethod
    def _commit(db: sqlite3.Connection, rows: list[tuple[str, tuple[object, ...]]]) -> None:
        with _Transaction(db):
            for sql, row in rows:
                db.execute(sql, row)


def _utcnow() -> str:
    return utcnow()


def error_key(error: InputError) -> str:
    """What makes an input error the same error again when a scan is resumed."""
    return json.dumps([error.source, error.line, error.text, error.problem], ensure_ascii=False)


# ---------------------------------------------------------------- the sink


class StoreSink:
    """An ``output.Sink`` that saves one scan's lines into a :class:`Store`.

    Host records and input errors are queued as they come for the store's writer
    thread (group commits: :class:`_Writer`). The scan header and summary are handled by
    :meth:`Store.begin_scan` / :meth:`Store.finish`: a summary line calls
    ``finish``; a header line replaces the stored header (the scanner knows
    whether it has IPv6 only once it starts) unless ``resumed`` is set, when
    the first run's header is kept.
    """

    def __init__(self, store: Store, scan_id: int, *, resumed: bool = False) -> None:
        self.store = store
        self.scan_id = scan_id
        self.resumed = resumed

    def write(self, line: ScanLine) -> None:
        if isinstance(line, HostRecord):
            self.store.record(self.scan_id, line, wait=False)
        elif isinstance(line, InputError):
            self.store.input_error(self.scan_id, line, wait=False)
        elif isinstance(line, ScanSummary):
            self.store.finish(self.scan_id, line)
        elif isinstance(line, ScanHeader) and not self.resumed:
            self.store.update_header(self.scan_id, line)

    def close(self) -> None:
        self.store.flush()


class ResumedOutput:
    """Wraps the other sinks of a resumed scan.

    The header line of the resumed run gets ``"resumed": true`` and
    ``"resumed_scan": ID`` in its options; the summary line counts every host of
    the scan (earlier runs and this one), read from the store, which must have
    seen the summary first (put the :class:`StoreSink` before this in a tee).
    """

    def __init__(self, inner: Any, store: Store, scan_id: int) -> None:
        self.inner = inner
        self.store = store
        self.scan_id = scan_id

    def write(self, line: ScanLine) -> None:
        if isinstance(line, ScanHeader):
            options = {**line.options, "resumed": True, "resumed_scan": self.scan_id}
            line = msgspec.structs.replace(line, options=options)
        elif isinstance(line, ScanSummary):
            hosts, verdicts, errors = self.store.counts(self.scan_id)
            line = msgspec.structs.replace(line, hosts=hosts, verdicts=verdicts, input_errors=errors)
        self.inner.write(line)

    def close(self) -> None:
        self.inner.close()


# ---------------------------------------------------------------- resume helpers


def targets_digest(*lists: str | os.PathLike[str] | IO[bytes] | TextIO) -> str:
    """sha256 (hex) over the normalised host names of the lists, sorted, one per line.

    Each list is a path, an open stream (text or bytes), or the text of a list
    (a ``str`` holding a newline), read with :func:`ipv6scan.targets.read_targets`:
    host names normalised (IDNA 2008 ASCII form), duplicates merged across lists,
    bad lines ignored. The same hosts in another order, with other comments,
    organisations or kinds, give the same digest: it says "the same hosts", which
    is what resuming needs. A path that cannot be read raises ``OSError``.
    """
    import io

    from .targets import read_targets

    seen: set[str] = set()
    for source in lists:
        if isinstance(source, str) and "\n" in source:
            source = io.StringIO(source)
        elif isinstance(source, (str, os.PathLike)):
            with open(source, "rb") as f:  # raises if unreadable, instead of digesting an empty list
                for _ in read_targets(f, name=os.fsdecode(source), seen=seen):
                    pass
            continue
        for _ in read_targets(source, name="<list>", seen=seen):
            pass
    return hosts_digest(seen)


def hosts_digest(hosts: Iterable[str]) -> str:
    h = hashlib.sha256()
    for host in sorted(set(hosts)):
        h.update(host.encode("ascii", "surrogateescape") + b"\n")
    return h.hexdigest()


def remaining(items: Iterable[Any], done_hosts: set[str], error_keys: set[str]) -> Iterator[Any]:
    """The targets and input errors of a list, less those a scan already saved."""
    from .targets import Target

    for item in items:
        if isinstance(item, Target) and item.host in done_hosts:
            continue
        if isinstance(item, InputError) and error_key(item) in error_keys:
            continue
        yield item


def reconcile_jsonl(store: Store, scan_id: int, path: str | os.PathLike[str]) -> tuple[int, int]:
    """Make a resumed scan's saved file and the database hold the same hosts, before appending to the file.

    A scan killed at any moment may have written a host to one and not yet to
    the other (or half a line to the file). A trailing partial line is cut; a
    host record in the file but not in the database is saved to the database
    (it will not be scanned again); a host or input error in the database but
    not in the file is appended to the file. A missing file is written anew
    from the database (stored header first). Returns (adopted into the
    database, appended to the file).
    """
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    file_hosts: set[str] = set()
    file_errors: set[str] = set()
    adopted = appended = 0
    if p.exists():
        _cut_partial_line(p)
        in_db = store.done_hosts(scan_id)
        for line in read_scan(p):
            if isinstance(line, HostRecord):
                file_hosts.add(line.facts.host)
                if line.facts.host not in in_db:
                    store.record(scan_id, line)
                    in_db.add(line.facts.host)
                    adopted += 1
            elif isinstance(line, InputError):
                file_errors.add(error_key(line))
                store.input_error(scan_id, line)
            elif isinstance(line, BadScanLine):
                continue  # reported by `show` / `report`; the database copy (if any) is appended below
    with open(p, "ab") as f:
        if p.stat().st_size == 0:
            f.write(encode_line(store.header(scan_id)))
        for rec in store.records(scan_id):
            if rec.facts.host not in file_hosts:
                f.write(encode_line(rec))
                appended += 1
        for error in store.input_errors(scan_id):
            if error_key(error) not in file_errors:
                f.write(encode_line(error))
        f.flush()
        os.fsync(f.fileno())
    return adopted, appended


def _cut_partial_line(p: Path) -> None:
    """Drop bytes after the last newline (a line cut short when the scan was killed)."""
    with open(p, "r+b") as f:
        size = f.seek(0, os.SEEK_END)
        if size == 0:
            return
        f.seek(size - 1)
        if f.read(1) == b"\n":
            return
        pos, chunk = size, 1 << 16
        while pos > 0:
            start = max(0, pos - chunk)
            f.seek(start)
            data = f.read(pos - start)
            nl = data.rfind(b"\n")
            if nl >= 0:
                f.truncate(start + nl + 1)
                return
            pos = start
        f.truncate(0)


__all__ = [
    "DEFAULT_DB",
    "HostChange",
    "ResumedOutput",
    "ScanRow",
    "Store",
    "StoreError",
    "StoreSink",
    "error_key",
    "hosts_digest",
    "reconcile_jsonl",
    "remaining",
    "targets_digest",
]
