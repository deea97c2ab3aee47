"""The history store (ipv6scan/store.py): schema, migrations, WAL, idempotent records, damaged files."""

from __future__ import annotations

import io
import json
import sqlite3
import threading
import time
from pathlib import Path

import msgspec
import pytest

from ipv6scan import store as store_mod
from ipv6scan.model import (
    DnsLookup,
    HostFacts,
    HostRecord,
    HostResult,
    InputError,
    Outcome,
    Resolution,
    ScanHeader,
    ScanSummary,
    Verdict,
)
from ipv6scan.output import encode_line, read_scan
from ipv6scan.store import (
    APPLICATION_ID,
    MIGRATIONS,
    ResumedOutput,
    Store,
    StoreError,
    StoreSink,
    hosts_digest,
    reconcile_jsonl,
    remaining,
    targets_digest,
)
from ipv6scan.targets import read_targets


def header(started: str = "2026-01-01T00:00:00Z") -> ScanHeader:
    return ScanHeader(tool_version="0.1.0", started=started, options={"concurrency": 4, "resolvers": ["192.0.2.53"]})


def record(host: str, verdict: Verdict = Verdict.READY, *, started: str = "2026-01-01T00:00:01Z",
           reasons: tuple[str, ...] = ()) -> HostRecord:
    lookup = DnsLookup(name=host, rdtype="A", outcome=Outcome.OK, records=["192.0.2.1"])
    facts = HostFacts(host=host, display=host, input=host, line=1, started=started,
                      resolution=Resolution(name=host, canonical=host, a=lookup,
                                            aaaa=msgspec.structs.replace(lookup, rdtype="AAAA", records=[])),
                      org="Tỉnh Mẫu", kind="portal")
    return HostRecord(facts=facts, result=HostResult(host=host, verdict=verdict, reasons=list(reasons)))


def summary(hosts: int = 0, *, interrupted: bool = False) -> ScanSummary:
    return ScanSummary(finished="2026-01-01T00:01:00Z", elapsed_s=60.0, hosts=hosts, interrupted=interrupted)


@pytest.fixture
def db(tmp_path) -> Path:
    return tmp_path / "sub" / "history.sqlite"


def new_scan(store: Store, *, digest: str = "d1", started: str = "2026-01-01T00:00:00Z") -> int:
    return store.begin_scan(header(started), targets_digest=digest, targets_source="list.txt", jsonl_path=None)


# ------------------------------------------------------------------ schema, migrations, WAL


def test_migrations_from_an_empty_file(tmp_path):
    path = tmp_path / "empty.sqlite"
    path.write_bytes(b"")  # e.g. touched by a deployment script
    with Store(path) as store:
        assert store.schema_version == len(MIGRATIONS)
    con = sqlite3.connect(path)
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"scans", "runs", "hosts", "input_errors"} <= tables
    assert con.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert con.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID


def test_new_database_in_a_new_folder_is_wal(db):
    with Store(db) as store:
        assert store.journal_mode == "wal"
        assert store.db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert sqlite3.connect(db).execute("PRAGMA journal_mode").fetchone()[0] == "wal"  # persistent


def test_reopening_keeps_data_and_does_not_migrate_again(db):
    with Store(db) as store:
        scan_id = new_scan(store)
        store.record(scan_id, record("a.gov.example"))
    with Store(db) as store:
        assert store.done_hosts(scan_id) == {"a.gov.example"}


def test_a_later_migration_is_applied_to_an_existing_database(db, monkeypatch):
    with Store(db) as store:
        scan_id = new_scan(store)
        store.record(scan_id, record("a.gov.example"))
    monkeypatch.setattr(store_mod, "MIGRATIONS", [*MIGRATIONS, ("ALTER TABLE scans ADD COLUMN note TEXT",)])
    with Store(db) as store:
        assert store.schema_version == len(MIGRATIONS) + 1
        assert store.done_hosts(scan_id) == {"a.gov.example"}
        assert "note" in {r[1] for r in store.db.execute("PRAGMA table_info(scans)")}


def test_a_failing_migration_leaves_the_database_as_it_was(db, monkeypatch):
    with Store(db):
        pass
    monkeypatch.setattr(store_mod, "MIGRATIONS", [*MIGRATIONS, ("CREATE TABLE t (x)", "THIS IS NOT SQL")])
    with pytest.raises(StoreError):
        Store(db)
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert "t" not in {r[0] for r in con.execute("SELECT name FROM sqlite_master")}


def test_schema_version_too_new_is_a_clear_error(db):
    with Store(db):
        pass
    con = sqlite3.connect(db)
    con.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 5}")
    con.close()
    with pytest.raises(StoreError) as e:
        Store(db)
    message = str(e.value)
    assert str(db) in message and "newer ipv6scan" in message and "upgrade" in message


def test_a_file_that_is_not_a_database_is_reported_and_left_alone(tmp_path):
    path = tmp_path / "history.sqlite"
    garbage = b"this is not a database, it is a text file\n" * 200
    path.write_bytes(garbage)
    with pytest.raises(StoreError) as e:
        Store(path)
    assert str(path) in str(e.value) and "damaged" in str(e.value) and "move it aside" in str(e.value)
    assert path.read_bytes() == garbage  # never recreated or overwritten


def test_a_damaged_database_is_reported_and_left_alone(db):
    with Store(db) as store:
        scan_id = new_scan(store)
        for i in range(200):
            store.record(scan_id, record(f"h{i}.gov.example"))
        store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(db.read_bytes())
    page = 4096
    data[page: len(data)] = b"\xa5" * (len(data) - page)  # every page but the first: garbage
    db.write_bytes(bytes(data))
    with pytest.raises(StoreError) as e:
        with Store(db) as store:
            store.done_hosts(scan_id)
    assert str(db) in str(e.value) and "damaged" in str(e.value)
    assert db.read_bytes() == bytes(data)


def test_another_applications_database_is_not_taken_over(tmp_path):
    path = tmp_path / "other.sqlite"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE customers (name TEXT)")
    con.commit()
    con.close()
    with pytest.raises(StoreError) as e:
        Store(path)
    assert "not an ipv6scan history database" in str(e.value)


def test_a_directory_is_an_error(tmp_path):
    with pytest.raises(StoreError):
        Store(tmp_path)


# ------------------------------------------------------------------ records


def test_record_and_done_hosts(db):
    with Store(db) as store:
        scan_id = new_scan(store)
        assert store.done_hosts(scan_id) == set()
        store.record(scan_id, record("a.gov.example"))
        store.record(scan_id, record("b.gov.example", Verdict.PARTIAL, reasons=("parity_content_differs",)))
        assert store.done_hosts(scan_id) == {"a.gov.example", "b.gov.example"}
        row = store.scan(scan_id)
        assert row.status == "running" and row.hosts == 2 and row.verdicts == {"partial": 1, "ready": 1}
        # committed: another connection sees them while the scan is still running
        other = sqlite3.connect(db)
        assert other.execute("SELECT count(*) FROM hosts WHERE scan_id = ?", (scan_id,)).fetchone()[0] == 2


def test_records_come_back_as_saved(db):
    rec = record("xn--cng-qmz.gov.example", Verdict.BROKEN_IPV6, reasons=("http_timeout_ipv6",))
    with Store(db) as store:
        scan_id = new_scan(store)
        store.record(scan_id, rec)
        assert list(store.records(scan_id)) == [rec]


def test_insert_dedupe_keeps_the_first_record(db):
    with Store(db) as store:
        scan_id = new_scan(store)
        store.record(scan_id, record("a.gov.example", Verdict.READY, started="2026-01-01T00:00:01Z"))
        store.record(scan_id, record("a.gov.example", Verdict.NO_IPV6, started="2026-01-01T00:09:00Z"))
        [kept] = list(store.records(scan_id))
        assert kept.result.verdict is Verdict.READY and kept.facts.started == "2026-01-01T00:00:01Z"
        assert store.counts(scan_id) == (1, {"ready": 1}, 0)
        other = new_scan(store)  # the same host in another scan is another row
        store.record(other, record("a.gov.example"))
        assert len(store.host_history("a.gov.example")) == 2


def test_input_errors_are_saved_once(db):
    error = InputError(line=3, text="bad host!", problem="character '!' is not allowed", source="list.txt")
    with Store(db) as store:
        scan_id = new_scan(store)
        store.input_error(scan_id, error)
        store.input_error(scan_id, error)
        store.input_error(scan_id, msgspec.structs.replace(error, line=4))
        assert store.counts(scan_id)[2] == 2
        assert store.input_errors(scan_id)[0] == error


def test_finish_counts_every_host_of_the_scan_from_the_database(db):
    with Store(db) as store:
        scan_id = new_scan(store)
        store.record(scan_id, record("a.gov.example"))
        store.finish(scan_id, summary(1, interrupted=True))
        row = store.scan(scan_id)
        assert row.status == "interrupted" and row.hosts == 1 and row.finished
        store.resume_scan(scan_id)
        assert store.scan(scan_id).status == "running" and store.scan(scan_id).finished is None
        store.record(scan_id, record("b.gov.example", Verdict.NO_IPV6))
        store.finish(scan_id, summary(1))  # the summary of the second run counts only its own host
        row = store.scan(scan_id)
        assert row.status == "complete" and row.hosts == 2 and row.verdicts == {"no_ipv6": 1, "ready": 1}
        assert row.runs == 2 and row.elapsed_s == 120.0


def test_find_resumable_is_the_newest_scan_of_the_list_if_unfinished(db):
    with Store(db) as store:
        first = new_scan(store, digest="list-a")
        assert store.find_resumable("list-a").id == first  # running, its process gone: resumable
        assert store.find_resumable("list-b") is None
        store.finish(first, summary(interrupted=True))
        assert store.find_resumable("list-a").id == first
        second = new_scan(store, digest="list-a")
        store.finish(second, summary())
        assert store.find_resumable("list-a") is None  # the latest scan of this list is complete


def test_scans_newest_first_and_options(db):
    with Store(db) as store:
        ids = [new_scan(store, started=f"2026-01-0{i}T00:00:00Z") for i in range(1, 4)]
        rows = store.scans()
        assert [r.id for r in rows] == ids[::-1]
        assert rows[0].options["resolvers"] == ["192.0.2.53"] and rows[0].targets_source == "list.txt"
        assert [r.id for r in store.scans(limit=1)] == [ids[-1]]
        with pytest.raises(KeyError):
            store.scan(999)


def test_host_history_oldest_first(db):
    with Store(db) as store:
        for day, verdict in ((1, Verdict.NO_IPV6), (8, Verdict.PARTIAL), (15, Verdict.READY)):
            scan_id = new_scan(store, started=f"2026-01-{day:02d}T00:00:00Z")
            store.record(scan_id, record("a.gov.example", verdict, started=f"2026-01-{day:02d}T00:00:05Z"))
            store.finish(scan_id, summary(1))
        history = store.host_history("a.gov.example")
        assert [h.verdict for h in history] == ["no_ipv6", "partial", "ready"]
        assert history[0].started == "2026-01-01T00:00:05Z"
        assert store.host_history("b.gov.example") == []


def test_store_sink(db):
    with Store(db) as store:
        scan_id = new_scan(store)
        sink = StoreSink(store, scan_id)
        real = ScanHeader(tool_version="0.1.0", started="2026-01-01T00:00:02Z", options={"x": 1}, scanner_ipv6=False)
        sink.write(real)
        sink.write(record("a.gov.example"))
        sink.write(InputError(line=1, text="x", problem="bad"))
        sink.write(summary(1))
        sink.close()
        assert store.header(scan_id) == real and store.scan(scan_id).started == real.started
        row = store.scan(scan_id)
        assert row.status == "complete" and row.hosts == 1 and row.input_errors == 1 and row.options == {"x": 1}


def test_resumed_output_counts_the_whole_scan(db):
    class Collect:
        def __init__(self):
            self.lines = []

        def write(self, line):
            self.lines.append(line)

        def close(self):
            pass

    with Store(db) as store:
        scan_id = new_scan(store)
        store.record(scan_id, record("a.gov.example"))
        inner = Collect()
        out = ResumedOutput(inner, store, scan_id)
        out.write(header())
        store.record(scan_id, record("b.gov.example"))
        out.write(summary(1))
        assert inner.lines[0].options["resumed"] is True and inner.lines[0].options["resumed_scan"] == scan_id
        assert inner.lines[1].hosts == 2 and inner.lines[1].verdicts == {"ready": 2}


# ------------------------------------------------------------------ digest and resume helpers


def test_targets_digest_is_over_the_normalised_hosts():
    a = io.StringIO("# list\nb.gov.example\nhttps://A.gov.example/path\ncổng.gov.example\nnot a host!\n")
    b = io.StringIO("host,org\nxn--cng-qmz.gov.example,X\na.gov.example,Y\nb.gov.example.,Z\na.gov.example,Y\n")
    assert targets_digest(a) == targets_digest(b) == hosts_digest(["a.gov.example", "b.gov.example",
                                                                     "xn--cng-qmz.gov.example"])
    longer = io.StringIO("a.gov.example\nc.gov.example\n")
    assert targets_digest(io.StringIO("a.gov.example\n")) != targets_digest(longer)


def test_targets_digest_of_several_lists_and_paths(tmp_path):
    one, two = tmp_path / "one.txt", tmp_path / "two.csv"
    one.write_text("a.gov.example\n")
    two.write_text("host\nb.gov.example\na.gov.example\n")
    assert targets_digest(one, two) == targets_digest(str(one), two) == hosts_digest(["b.gov.example", "a.gov.example"])


def test_remaining_skips_what_was_saved():
    items = list(read_targets(io.StringIO("a.gov.example\nbad!\nb.gov.example\nbad2!\n"), name="l"))
    errors = [i for i in items if isinstance(i, InputError)]
    left = list(remaining(items, {"a.gov.example"}, {store_mod.error_key(errors[0])}))
    assert [getattr(i, "host", None) or i.text for i in left] == ["b.gov.example", "bad2!"]


def test_reconcile_jsonl_repairs_both_sides(db, tmp_path):
    path = tmp_path / "scan.jsonl"
    with Store(db) as store:
        scan_id = store.begin_scan(header(), targets_digest="d", targets_source="l", jsonl_path=str(path))
        a, b, c = record("a.gov.example"), record("b.gov.example"), record("c.gov.example")
        store.record(scan_id, a)
        store.record(scan_id, b)  # in the database, not yet in the file
        path.write_bytes(encode_line(header()) + encode_line(a) + encode_line(c) + encode_line(b)[:40])  # c: file only
        assert reconcile_jsonl(store, scan_id, path) == (1, 1)
        lines = list(read_scan(path))
        hosts = [line.facts.host for line in lines if isinstance(line, HostRecord)]
        assert sorted(hosts) == ["a.gov.example", "b.gov.example", "c.gov.example"]  # each once, half line cut
        assert store.done_hosts(scan_id) == {"a.gov.example", "b.gov.example", "c.gov.example"}
        assert reconcile_jsonl(store, scan_id, path) == (0, 0)  # idempotent


def test_reconcile_jsonl_rewrites_a_missing_file_from_the_database(db, tmp_path):
    path = tmp_path / "gone" / "scan.jsonl"
    with Store(db) as store:
        scan_id = store.begin_scan(header(), targets_digest="d", targets_source="l", jsonl_path=str(path))
        store.record(scan_id, record("a.gov.example"))
        store.input_error(scan_id, InputError(line=2, text="x!", problem="bad"))
        assert reconcile_jsonl(store, scan_id, path) == (0, 1)
        lines = list(read_scan(path))
        assert [type(line) for line in lines] == [ScanHeader, HostRecord, InputError]


# ------------------------------------------------------------------ the writer thread (group commits)


class SlowDisk:
    """The writer's commits held until released (a disk whose fsync has not returned), each group's size kept."""

    def __init__(self, monkeypatch, fail: Exception | None = None) -> None:
        self.groups: list[int] = []
        self.entered = threading.Event()
        self.release = threading.Event()
        self.fail = fail
        real = store_mod._Writer._commit

        def commit(db, rows):
            self.groups.append(len(rows))
            self.entered.set()
            assert self.release.wait(30), "the test never released the disk"
            if self.fail is not None:
                raise self.fail
            real(db, rows)

        monkeypatch.setattr(store_mod._Writer, "_commit", staticmethod(commit))


def test_queued_records_return_before_the_disk_and_share_a_commit(db, monkeypatch):
    disk = SlowDisk(monkeypatch)
    with Store(db) as store:
        scan_id = new_scan(store)
        sink = StoreSink(store, scan_id)
        sink.write(record("h0.gov.example"))
        assert disk.entered.wait(10)  # the writer is in its first commit, stuck on the disk ...
        for i in range(1, 50):  # ... and the scan goes on: no write waits for it
            sink.write(record(f"h{i}.gov.example"))
        sink.write(InputError(line=7, text="x!", problem="bad"))
        assert disk.groups == [1]
        disk.release.set()
        hosts, _, errors = store.counts(scan_id)  # a read waits for what was queued
        assert (hosts, errors) == (50, 1)
        assert disk.groups[0] == 1 and sum(disk.groups) == 51 and len(disk.groups) < 10  # the 50 came in few commits
        assert [r.facts.host for r in store.records(scan_id)] == [f"h{i}.gov.example" for i in range(50)]
    with Store(db, readonly=True) as again:  # committed: another connection reads them
        assert again.counts(scan_id)[0] == 50


def test_finish_and_close_commit_what_is_queued(db):
    with Store(db) as store:
        scan_id = new_scan(store)
        sink = StoreSink(store, scan_id)
        for i in range(300):  # more than a group
            sink.write(record(f"h{i}.gov.example"))
        sink.write(summary(300))  # finish: after the queue
        assert store.scan(scan_id).status == "complete" and store.scan(scan_id).hosts == 300
        scan2 = new_scan(store, digest="other")
        StoreSink(store, scan2).write(record("late.gov.example"))
    with Store(db, readonly=True) as again:  # closing committed the last one
        assert again.done_hosts(scan2) == {"late.gov.example"}


def test_a_failed_group_commit_is_said_once_and_the_row_can_still_be_closed(db, monkeypatch):
    disk = SlowDisk(monkeypatch, fail=sqlite3.OperationalError("database or disk is full"))
    with Store(db) as store:
        scan_id = new_scan(store)
        sink = StoreSink(store, scan_id)
        sink.write(record("a.gov.example"))
        disk.release.set()
        with pytest.raises(StoreError, match="cannot write"):  # at the next write, or the flush of the end
            for i in range(1000):
                sink.write(record(f"h{i}.gov.example"))
                time.sleep(0.001)
        store.flush()  # said once: closing the scan's row is still possible
        monkeypatch.undo()
        store.finish(scan_id, summary(0, interrupted=True))
        row = store.scan(scan_id)
        assert row.status == "interrupted" and row.hosts == 0  # the failed group was rolled back whole


def test_a_failure_of_the_last_group_is_raised_by_the_end(db, monkeypatch):
    disk = SlowDisk(monkeypatch, fail=sqlite3.OperationalError("database or disk is full"))
    disk.release.set()
    with Store(db) as store:
        scan_id = new_scan(store)
        sink = StoreSink(store, scan_id)
        sink.write(record("a.gov.example"))
        with pytest.raises(StoreError, match="cannot write"):
            sink.write(summary(1))  # the summary's finish waits for the queue: the failure is not lost
        monkeypatch.undo()


def test_the_queue_is_bounded(db, monkeypatch):
    """A disk slower than the scan holds the scan back; the records waiting never exceed the queue's depth."""
    monkeypatch.setattr(store_mod, "QUEUE_DEPTH", 4)
    disk = SlowDisk(monkeypatch)
    with Store(db) as store:
        scan_id = new_scan(store)
        store.record(scan_id, record("h0.gov.example"), wait=False)
        assert disk.entered.wait(10)
        done = threading.Event()

        def more():
            for i in range(1, 10):
                store.record(scan_id, record(f"h{i}.gov.example"), wait=False)
            done.set()

        threading.Thread(target=more, daemon=True).start()
        assert not done.wait(0.5)  # 4 queued, the 5th waits for the disk
        assert store._writer is not None and store._writer._queue.qsize() == 4
        disk.release.set()
        assert done.wait(10)
        assert store.counts(scan_id)[0] == 10


def test_targets_digest_of_text_and_unreadable_paths(tmp_path):
    assert targets_digest("b.gov.example\na.gov.example\n") == hosts_digest(["a.gov.example", "b.gov.example"])
    assert targets_digest(io.BytesIO(b"a.gov.example\n")) == hosts_digest(["a.gov.example"])
    with pytest.raises(OSError):
        targets_digest(tmp_path / "missing.txt")


# ------------------------------------------------------------------ pruning old scans


def _three_months(db) -> dict[str, int]:
    """Complete scans started 1 January, 1 February and 1 March, 200 hosts and an input error each, and a scan
    of 15 January that never finished (killed: still 'running', resumable)."""
    ids = {}
    with Store(db) as store:
        for day in ("2026-01-01", "2026-02-01", "2026-03-01", "2026-01-15"):
            scan_id = ids[day] = new_scan(store, digest=day, started=f"{day}T08:00:00Z")
            for i in range(200):
                store.record(scan_id, record(f"h{i}.gov.example", started=f"{day}T08:00:01Z"), wait=False)
            store.input_error(scan_id, InputError(line=2, text="x!", problem="bad"), wait=False)
            if day != "2026-01-15":
                store.finish(scan_id, summary(200))
    return ids


def test_prune_deletes_old_finished_scans_with_everything_they_hold(db):
    ids = _three_months(db)
    with Store(db) as store:
        assert store.prune("2026-02-15") == (2, 400)
        assert [row.id for row in store.scans()] == [ids["2026-01-15"], ids["2026-03-01"]]
        for table in ("hosts", "runs", "input_errors"):
            kept = {r[0] for r in store.db.execute(f"SELECT DISTINCT scan_id FROM {table}")}
            assert kept == {ids["2026-01-15"], ids["2026-03-01"]}, table
        assert store.host_history("h1.gov.example")[0].started.startswith("2026-01-15")
        assert store.prune("2026-02-15") == (0, 0)
        assert store.find_resumable("2026-01-15") is not None  # the killed scan can still be resumed


def test_vacuum_gives_the_space_back(db):
    _three_months(db)
    with Store(db) as store:
        store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        before = db.stat().st_size
        store.prune("2026-12-31")
        store.vacuum()
    assert db.stat().st_size < before / 2


def test_history_prune_before_on_the_command_line(tmp_path):
    from tests.conftest import run_cli

    db = tmp_path / "h.sqlite"
    ids = _three_months(db)
    proc = run_cli("history", "--db", str(db), "--prune-before", "2026-02-15", "--format", "json", "--lang", "en")
    assert proc.returncode == 0, proc.stderr
    assert "Deleted 2 scans started before 2026-02-15 (400 host records)" in proc.stderr
    assert [row["id"] for row in json.loads(proc.stdout)] == [ids["2026-01-15"], ids["2026-03-01"]]
    bad = run_cli("history", "--db", str(db), "--prune-before", "last week", "--lang", "vi")
    assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr and "needs a date" not in bad.stderr
    vi = run_cli("history", "--db", str(db), "--prune-before", "2026-12-31", "--format", "json", "--lang", "vi")
    assert "Đã xóa 1 lần quét" in vi.stderr and json.loads(vi.stdout)[0]["id"] == ids["2026-01-15"]
