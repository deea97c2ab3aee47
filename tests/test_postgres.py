"""docs/postgres-schema.sql against a real, throw-away PostgreSQL server (skipped when PostgreSQL is not installed).

The server runs on a Unix socket in a temporary folder (no TCP port), as the
``postgres`` user when the tests run as root (PostgreSQL refuses root).
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import msgspec
import pytest

from ipv6scan.model import InputError, ScanHeader, ScanSummary, Verdict
from ipv6scan.output import encode_line

from .conftest import REPO
from .test_store import record

SCHEMA = REPO / "docs" / "postgres-schema.sql"


def _pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


@pytest.fixture(scope="module")
def pg():
    initdb, pg_ctl, psql = _pg_bin("initdb"), _pg_bin("pg_ctl"), shutil.which("psql")
    if not (initdb and pg_ctl and psql):
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl, psql) are not installed")
    as_user: list[str] = []
    base = Path(tempfile.mkdtemp(prefix="ipv6scan-pg-"))
    if os.geteuid() == 0:
        runuser = shutil.which("runuser")
        try:
            import pwd

            pw = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no 'postgres' user to run the server")
        if not runuser:
            pytest.skip("running as root without runuser")
        os.chown(base, pw.pw_uid, pw.pw_gid)
        as_user = [runuser, "-u", "postgres", "--"]
    data = base / "data"
    try:
        subprocess.run([*as_user, initdb, "-D", str(data), "-A", "trust", "-U", "ipv6scan", "-E", "UTF8"],
                       check=True, capture_output=True, timeout=120)
        subprocess.run([*as_user, pg_ctl, "-D", str(data), "-l", str(base / "log"), "-w", "-t", "60",
                        "-o", f"-k {base} -c listen_addresses='' -p 54329", "start"],
                       check=True, capture_output=True, timeout=120)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as e:
        shutil.rmtree(base, ignore_errors=True)
        pytest.skip(f"could not start a throw-away PostgreSQL: {getattr(e, 'stderr', b'')!r}")

    def sql(script: str, *, file: Path | None = None) -> str:
        cmd = [psql, "-h", str(base), "-p", "54329", "-U", "ipv6scan", "-d", "postgres", "-v", "ON_ERROR_STOP=1",
               "-X", "-q", "-A", "-t"]
        cmd += ["-f", str(file)] if file else []
        proc = subprocess.run(cmd, input=None if file else script, capture_output=True, text=True, timeout=60)
        if proc.returncode:
            raise AssertionError(proc.stderr)
        return proc.stdout.strip()

    try:
        yield sql
    finally:
        subprocess.run([*as_user, pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(base, ignore_errors=True)


def import_file(sql, path: Path) -> str:
    """The import procedure of docs/history.md, as written there."""
    return sql(f"""BEGIN;
CREATE TEMP TABLE ipv6scan_staging (n bigserial, line text) ON COMMIT DROP;
\\copy ipv6scan_staging (line) FROM '{path}' WITH (FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02')
SELECT ipv6scan_import('{path.name}');
COMMIT;
""")


def header(started: str, **options: object) -> ScanHeader:
    return ScanHeader(tool_version="0.1.0", started=started, options={"concurrency": 1, **options})


def test_import_scan_files_and_changelog(pg, tmp_path):
    pg("", file=SCHEMA)
    pg("", file=SCHEMA)  # installing again is harmless

    # a resumed scan's file: killed once (a half line), resumed (second header), completed
    first = tmp_path / "scan-1.jsonl"
    nasty = record("xn--cng-qmz.gov.example", Verdict.PARTIAL, reasons=("tls_invalid",))
    nasty = msgspec.structs.replace(nasty, facts=msgspec.structs.replace(
        nasty.facts, org='Tỉnh "Mẫu" \\ A,\tB', input="cổng.gov.example"))
    first.write_bytes(
        encode_line(header("2026-01-01T00:00:00Z"))
        + encode_line(record("a.gov.example", Verdict.NO_IPV6, started="2026-01-01T00:00:01Z"))
        + encode_line(nasty)
        + encode_line(record("b.gov.example", Verdict.READY))[:50] + b"\n"
        + encode_line(header("2026-01-01T00:05:00Z", resumed=True, resumed_scan=1))
        + encode_line(record("b.gov.example", Verdict.READY))
        + encode_line(record("a.gov.example", Verdict.READY))  # a duplicate: the first line is kept
        + encode_line(InputError(line=9, text="bad!", problem="character '!' is not allowed", source="l.txt"))
        + encode_line(ScanSummary(finished="2026-01-01T00:06:00Z", elapsed_s=60.0, hosts=3))
    )
    scan_id = import_file(pg, first)
    row = pg(f"SELECT status, hosts, input_errors, verdicts::text, bad_lines FROM ipv6scan_scans WHERE id = {scan_id}")
    assert row.split("|") == ["complete", "3", "1", '{"ready": 1, "no_ipv6": 1, "partial": 1}', "1"]
    assert pg("SELECT org FROM ipv6scan_hosts WHERE host = 'xn--cng-qmz.gov.example'") == 'Tỉnh "Mẫu" \\ A,\tB'
    assert pg("SELECT record->'facts'->>'input' FROM ipv6scan_hosts WHERE host = 'xn--cng-qmz.gov.example'") \
        == "cổng.gov.example"

    assert import_file(pg, first) != scan_id  # imported again: replaces itself
    assert pg("SELECT count(*) FROM ipv6scan_scans") == "1"

    # a later scan, interrupted: a.gov.example went from no_ipv6 to ready
    second = tmp_path / "scan-2.jsonl"
    second.write_bytes(
        encode_line(header("2026-02-01T00:00:00Z"))
        + encode_line(record("a.gov.example", Verdict.READY, started="2026-02-01T00:00:01Z"))
        + encode_line(ScanSummary(finished="2026-02-01T00:01:00Z", elapsed_s=60.0, hosts=1, interrupted=True))
    )
    import_file(pg, second)
    assert pg("SELECT status FROM ipv6scan_scans ORDER BY started DESC LIMIT 1") == "interrupted"
    changes = pg("SELECT coalesce(before, '-') || '>' || verdict FROM ipv6scan_host_changes "
                 "WHERE host = 'a.gov.example' ORDER BY started").splitlines()
    assert changes == ["->no_ipv6", "no_ipv6>ready"]


def test_a_file_that_is_not_a_scan_is_refused(pg, tmp_path):
    pg("", file=SCHEMA)
    bad = tmp_path / "notes.jsonl"
    bad.write_text('{"hello": "world"}\n')
    with pytest.raises(AssertionError, match="no scan header line"):
        import_file(pg, bad)
