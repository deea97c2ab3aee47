"""The command line: thin typer commands over the library.

Exit codes (the same for every output format):
  0  the scan completed (whatever the verdicts; input lines with errors are reported)
  1  `targets check`: a list has errors
  2  usage error (bad option, unreadable target file, bad resolver address, ...)
  3  the scan could not run (e.g. no resolver, output not writable)
  130 interrupted (Ctrl-C, or SIGTERM); what was scanned so far is saved
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import shlex
import shutil
import socket
import sys
import tempfile
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import IO, Annotated, Optional

import msgspec
import typer
from rich.console import Console
from rich.markup import escape
from rich.text import Text
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from . import __version__
from .addresses import parse_prefixes
from .checks import judge
from .config import Ipv6Mode, ScanOptions
from .listcheck import check_list
from .loop import Loop, LoopUnavailable, choose as choose_loop, run as run_on
from .model import HostRecord, InputError, ScanHeader, ScanLine, ScanSummary, Verdict, json_schema
from .net import LabNetwork, Network, split_hostport
from .policy import Policy, PolicyError, load_policy
from .report import FORMATS, render_terminal, write_reports
from .scoring import score
from .output import (BadScanLine, JsonlSink, JsonSink, Sink, TerminalSink, create_new, open_binary, read_scan,
                     scan_stem, tee)
from .scan import scan_all, utcnow
from .store import DEFAULT_DB, ResumedOutput, ScanRow, Store, StoreError, StoreSink, reconcile_jsonl, remaining, targets_digest
from .targets import display_name, normalise_host, read_targets

EXIT_OK, EXIT_USAGE, EXIT_CANNOT_RUN, EXIT_INTERRUPTED = 0, 2, 3, 130

app = typer.Typer(
    name="ipv6scan",
    help="IPv6 readiness scanner: DNS, web (every address, each family), TLS, name servers and mail over IPv6.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True)


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"
    JSONL = "jsonl"


class Lang(StrEnum):
    VI = "vi"
    EN = "en"


class UsageError(Exception):
    """A problem with what the user asked for: printed, exit code 2."""


def _fail(code: int, message: str) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code)


def _version(value: bool) -> None:
    if value:
        print(f"ipv6scan {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")] = False,
) -> None:
    """IPv6 readiness and IPv6 For Gov compliance scanner."""


# ------------------------------------------------------------------ scan

ADVANCED = "Advanced / test options"
LOOP_OPTION = typer.Option(
    "--loop", envvar="IPV6SCAN_LOOP",
    help="Event loop: uvloop (pip install 'ipv6scan\\[fast]': about a quarter less CPU per host) or asyncio's own; "
         "auto takes uvloop when it is installed.")


def chosen_loop(loop: Loop) -> Loop:
    """The concrete loop ``--loop`` stands for; exit 2 (usage) when uvloop is asked for and not installed."""
    try:
        return choose_loop(loop)[0]
    except LoopUnavailable as e:
        raise _fail(EXIT_USAGE, escape(f"--loop {loop.value}: {e}")) from None


@app.command()
def scan(
    targets: Annotated[list[str], typer.Argument(help="Target files (text: one host or URL per line; CSV with a 'host' column), or - for stdin.")],
    resolver: Annotated[list[str], typer.Option("--resolver", "-r", help="Recursive resolver ADDR[:PORT] (repeatable). Default: /etc/resolv.conf.")] = [],
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output on stdout (or --output).")] = Format.TABLE,
    output: Annotated[Optional[str], typer.Option("--output", "-o", help="Write the chosen format to this file instead of stdout.")] = None,
    save_dir: Annotated[Path, typer.Option("--save-dir", help="Every scan is saved here as JSON Lines, host by host.")] = Path("reports"),
    no_save: Annotated[bool, typer.Option("--no-save", help="Do not save the scan under --save-dir.")] = False,
    concurrency: Annotated[int, typer.Option("--concurrency", "-c", min=1, max=10000, help="Hosts scanned at once.")] = 32,
    connect_timeout: Annotated[float, typer.Option("--timeout", min=0.05, help="Connect/handshake timeout, seconds.")] = 5.0,
    read_timeout: Annotated[float, typer.Option("--read-timeout", min=0.05, help="Read timeout, seconds.")] = 10.0,
    dns_timeout: Annotated[float, typer.Option("--dns-timeout", min=0.05, help="DNS query timeout, seconds.")] = 3.0,
    retries: Annotated[int, typer.Option("--retries", min=0, max=5, help="Retries of a timed-out probe before it counts.")] = 1,
    allow_special: Annotated[list[str], typer.Option("--allow-special", help="Probe special-purpose addresses in this prefix (labs, internal networks). Repeatable.")] = [],
    ipv6: Annotated[Ipv6Mode, typer.Option("--ipv6", help="Does this machine have IPv6? auto asks the kernel; no marks IPv6 results untestable.")] = Ipv6Mode.AUTO,
    ca_bundle: Annotated[list[Path], typer.Option("--ca-bundle", help="Extra trusted CA certificates (PEM), added to certifi's. Repeatable.")] = [],
    no_zone: Annotated[bool, typer.Option("--no-zone", help="Skip the zone's name servers and mail servers.")] = False,
    user_agent: Annotated[Optional[str], typer.Option("--user-agent", help="User-Agent header sent to web servers.")] = None,
    host_budget: Annotated[float, typer.Option("--host-budget", min=1.0, help="Seconds for one host in all; what is unfinished then is recorded as timed out.")] = 120.0,
    per_address: Annotated[int, typer.Option("--per-address", min=1, max=1000, help="Connections at once to one target address, across the scan.")] = 4,
    workers: Annotated[int, typer.Option("--workers", min=1, max=64, help="Worker processes (one per core for CPU-bound scans of long lists); limits are shared out between them.")] = 1,
    rate: Annotated[Optional[float], typer.Option("--rate", min=0.01, help="New connections per second to one target address (default: no limit).")] = None,
    progress: Annotated[Optional[bool], typer.Option("--progress/--no-progress", help="Progress bar on stderr (default: when stderr is a terminal).")] = None,
    db: Annotated[Path, typer.Option("--db", envvar="IPV6SCAN_DB", help="History database (SQLite): every scan is saved in it, host by host (docs/history.md).")] = DEFAULT_DB,
    no_db: Annotated[bool, typer.Option("--no-db", help="Do not save the scan in the history database (it cannot be resumed then).")] = False,
    resume: Annotated[bool, typer.Option("--resume", help="Go on with the last unfinished scan of the same hosts in --db: hosts it saved are not scanned again.")] = False,
    http_port: Annotated[int, typer.Option("--http-port", rich_help_panel=ADVANCED, help="Port probed for HTTP.")] = 80,
    https_port: Annotated[int, typer.Option("--https-port", rich_help_panel=ADVANCED, help="Port probed for HTTPS.")] = 443,
    smtp_port: Annotated[int, typer.Option("--smtp-port", rich_help_panel=ADVANCED, help="Port probed on mail servers.")] = 25,
    dns_port: Annotated[int, typer.Option("--dns-port", rich_help_panel=ADVANCED, help="Port probed on name servers.")] = 53,
    lab_map: Annotated[Optional[Path], typer.Option("--lab-map", hidden=True, help="Route addresses through a lab routing table (tests).")] = None,
    loop: Annotated[Loop, LOOP_OPTION] = Loop.AUTO,
) -> None:
    """Scan host names for IPv6 readiness."""
    event_loop = chosen_loop(loop)
    try:
        for r in resolver:
            split_hostport(r, 53)
        parse_prefixes(allow_special)
        for b in ca_bundle:
            if not b.is_file():
                raise UsageError(f"--ca-bundle {b}: no such file")
        network: Network = LabNetwork.from_file(lab_map) if lab_map else Network()
        sources = [_open_source(t) for t in targets]
    except (UsageError, ValueError, OSError, KeyError) as e:
        raise _fail(EXIT_USAGE, str(e)) from None
    options = ScanOptions(
        resolvers=list(resolver),
        dns_timeout=dns_timeout,
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        retries=retries,
        http_port=http_port,
        https_port=https_port,
        smtp_port=smtp_port,
        dns_port=dns_port,
        ca_bundles=[str(b) for b in ca_bundle],
        allow_special=list(allow_special),
        ipv6=ipv6,
        concurrency=concurrency,
        check_zone=not no_zone,
        host_budget=host_budget,
        per_address_connections=per_address,
        workers=workers,
        rate_per_address=rate,
        **({"user_agent": user_agent} if user_agent else {}),
    )
    if resume and no_db:
        raise _fail(EXIT_USAGE, "--resume needs the history database: drop --no-db")
    history = None if no_db else _history(db, sources, options, resume=resume, save=not no_save)
    seen: set[str] = set()  # duplicates merge across every list given
    items = itertools.chain.from_iterable(read_targets(src, name=name, seen=seen) for name, src in sources)
    total = sum(_count_lines(src) for _, src in sources if isinstance(src, Path))
    if history is not None and history.row is not None:  # resuming: what the scan saved is not scanned again
        items = remaining(items, history.done, history.errors)
        total = max(1, total - len(history.done) - len(history.errors))
    code, _ = run(
        lambda sink, on_line: scan_all(items, options, sink, network=network, on_line=on_line),
        fmt=fmt,
        output=output,
        save_dir=None if no_save else save_dir,
        progress=progress,
        total=total if all(isinstance(s, Path) for _, s in sources) else None,
        history=history,
        loop=event_loop,
    )
    raise typer.Exit(code)


class _History:
    """The history database side of one `scan`: a new scan, or the unfinished one being resumed."""

    def __init__(self, store: Store, *, digest: str, source: str, header: ScanHeader, row: ScanRow | None,
                 save: bool) -> None:
        self.store, self.digest, self.source, self.header, self.row = store, digest, source, header, row
        self.scan_id: int | None = row.id if row else None
        self.done: set[str] = set()
        self.errors: set[str] = set()
        self.saved: Path | None = Path(row.jsonl_path) if row and row.jsonl_path and save else None

    def resume(self) -> None:
        """Make the saved file and the database agree, then mark the scan running again."""
        assert self.row is not None
        if self.saved is not None:
            adopted, appended = reconcile_jsonl(self.store, self.row.id, self.saved)
            if adopted or appended:
                err.print(f"resume: {adopted} hosts taken from {self.saved} into the database, "
                          f"{appended} from the database appended to it", highlight=False)
        self.done = self.store.done_hosts(self.row.id)
        self.errors = self.store.error_keys(self.row.id)
        self.store.resume_scan(self.row.id, self.header)

    def start(self, saved: Path | None) -> Sink:
        """The sink that saves this run into the database (a new scan is created here)."""
        if self.scan_id is None:
            self.scan_id = self.store.begin_scan(self.header, targets_digest=self.digest, targets_source=self.source,
                                                 jsonl_path=os.path.abspath(saved) if saved else None)
        return StoreSink(self.store, self.scan_id, resumed=self.row is not None)

    def abandon(self) -> None:
        """The scan could not run: do not leave it marked running."""
        if self.scan_id is not None and self.store.scan(self.scan_id).status == "running":
            self.store.finish(self.scan_id, ScanSummary(finished=utcnow(), elapsed_s=0.0, hosts=0, interrupted=True))


def _history(db: Path, sources: list[tuple[str, Path | object]], options: ScanOptions, *, resume: bool,
             save: bool) -> _History:
    """Open the history database and find what to do: a new scan, or (--resume) the one to go on with."""
    for i, (name, src) in enumerate(sources):
        if not isinstance(src, Path):  # stdin is read once: keep a copy to digest it, then scan it
            spool = tempfile.TemporaryFile()
            shutil.copyfileobj(getattr(src, "buffer", src), spool)
            spool.seek(0)
            sources[i] = (name, spool)
    digest = targets_digest(*(src for _, src in sources))  # type: ignore[arg-type]
    for _, src in sources:
        if not isinstance(src, Path):
            src.seek(0)  # type: ignore[attr-defined]
    header = ScanHeader(tool_version=__version__, started=utcnow(), options=msgspec.to_builtins(options))
    source = ", ".join(name for name, _ in sources)
    try:
        store = Store(db)
        row = store.find_resumable(digest)
        if not resume:
            if row is not None and row.status == "running" and _still_running(row):
                err.print(f"note: scan {row.id} of these hosts is running now (process {row.pid}); "
                          "this starts another one", highlight=False)
            elif row is not None:
                err.print(f"note: scan {row.id} of these hosts ({row.started}, {row.status}, {row.hosts} hosts saved) "
                          "was not finished; add --resume to go on with it instead of starting again", highlight=False)
            return _History(store, digest=digest, source=source, header=header, row=None, save=save)
        if row is None:
            raise _fail(EXIT_USAGE, f"--resume: {db} has no unfinished scan of these hosts (the last scan of this list "
                                    "is complete, or the list changed: resuming needs the same hosts); "
                                    "run without --resume to start a new scan")
        if row.status == "running" and _still_running(row):
            raise _fail(EXIT_USAGE, f"--resume: scan {row.id} of these hosts is still running (process {row.pid}); "
                                    "stop it first")
        _warn_changed_options(row, header)
        history = _History(store, digest=digest, source=source, header=header, row=row, save=save)
        history.resume()
        err.print(f"resuming scan {row.id} ({row.started}): {len(history.done)} hosts already saved are not "
                  "scanned again", highlight=False)
        return history
    except StoreError as e:
        raise _fail(EXIT_CANNOT_RUN, str(e)) from None


def _still_running(row: ScanRow) -> bool:
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


def _warn_changed_options(row: ScanRow, header: ScanHeader) -> None:
    changed = sorted(k for k in set(row.options) | set(header.options)
                     if k not in _VOLATILE_OPTIONS and row.options.get(k) != header.options.get(k))
    if changed:
        err.print(f"[yellow]warning:[/] resuming scan {row.id} with other options than it started with "
                  f"({escape(', '.join(changed))}): its hosts are not all scanned the same way", highlight=False)


def _resume_command() -> str:
    """The command line that resumes this scan: this one, with --resume."""
    argv = sys.argv[1:]
    if not argv or argv[0] != "scan":
        return "the same command with --resume"
    if Path(sys.argv[0]).name == "ipv6scan":
        prog = ["ipv6scan"]
    else:  # python -m ipv6scan ...
        orig = getattr(sys, "orig_argv", [])
        prog = orig[: len(orig) - len(argv)] if len(orig) > len(argv) and orig[len(orig) - len(argv):] == argv else ["ipv6scan"]
    command = shlex.join([*prog, *argv, *([] if "--resume" in argv else ["--resume"])])
    return command + (" (with the same list on standard input)" if "-" in argv[1:] else "")


def _open_source(text: str) -> tuple[str, Path | object]:
    if text == "-":
        return "<stdin>", sys.stdin
    p = Path(text)
    if not p.is_file():
        raise UsageError(f"target file {text}: no such file")
    return text, p


def _count_lines(path: Path) -> int:
    """A cheap upper bound on the number of targets, for the progress bar."""
    with open(path, "rb") as f:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b"")) or 1


def output_sink(fmt: Format, output: str | None) -> tuple[Sink, list[IO]]:
    """The sink for the chosen format on stdout or in a file, and the files to close."""
    if fmt is Format.TABLE:
        if output in (None, "-"):
            return TerminalSink(Console()), []
        f = open(output, "w", encoding="utf-8")
        return TerminalSink(Console(file=f, width=160)), [f]
    out = open_binary(output)
    closers = [] if output in (None, "-") else [out]
    return (JsonlSink(out) if fmt is Format.JSONL else JsonSink(out)), closers


ScanJob = Callable[[Sink, Callable[[ScanLine], None]], Awaitable[object]]


def run(
    job: ScanJob,
    *,
    fmt: Format,
    output: str | None,
    save_dir: Path | None,
    progress: bool | None,
    total: int | None,
    history: _History | None = None,
    loop: Loop = Loop.AUTO,
) -> tuple[int, Path | None]:
    """Run a scan job with its sinks (history database, stdout format, saved JSONL, progress); the exit code and the saved file."""
    sinks: list[Sink] = []
    files: list[IO] = []
    saved = None
    resumed = history is not None and history.row is not None
    try:
        if resumed:  # the scan's own file, appended to (None: it had none, or --no-save)
            saved = history.saved  # type: ignore[union-attr]
            if saved is not None:
                f = open(saved, "ab")
                files.append(f)
                sinks.append(JsonlSink(f))
        elif save_dir is not None:
            saved, f = create_new(save_dir, scan_stem(), ".jsonl")
            files.append(f)
            sinks.append(JsonlSink(f))
        sink, closers = output_sink(fmt, output)
        sinks.append(sink)
        files += closers
    except OSError as e:
        raise _fail(EXIT_CANNOT_RUN, f"cannot write output: {e}") from None
    out: Sink = tee(*sinks)
    if history is not None:  # the database first: it is what --resume trusts
        try:
            store_sink = history.start(saved)
        except StoreError as e:
            for f in files:
                f.close()
            raise _fail(EXIT_CANNOT_RUN, str(e)) from None
        out = tee(store_sink, ResumedOutput(out, history.store, history.scan_id) if resumed else out)  # type: ignore[arg-type]

    show_progress = err.is_terminal if progress is None else progress
    bar = Progress(TextColumn("scanning"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   TextColumn("{task.description}"), console=err, transient=True, disable=not show_progress)
    task = bar.add_task("", total=total)

    def on_line(line: ScanLine) -> None:
        if isinstance(line, HostRecord):
            bar.update(task, advance=1, description=line.facts.display)
        elif isinstance(line, InputError):
            bar.update(task, advance=1)

    code = EXIT_OK
    try:
        with bar:
            run_on(job(out, on_line), loop, sigterm=True)
    except (KeyboardInterrupt, asyncio.CancelledError):
        code = EXIT_INTERRUPTED
        kept = [str(saved)] if saved else []
        if history is not None:
            kept.append(f"{history.store.path} (scan {history.scan_id})")
        err.print("[yellow]interrupted[/]: results so far are kept" + (f" in {escape(' and '.join(kept))}" if kept else ""))
        if history is not None:
            err.print(f"to go on where it stopped, run:\n  {escape(_resume_command())}", highlight=False, soft_wrap=True)
    except Exception as e:  # noqa: BLE001 - the scan could not run at all; say why, no traceback
        code = EXIT_CANNOT_RUN
        err.print(f"[bold red]error:[/] the scan could not run: {type(e).__name__}: {e}", highlight=False)
    finally:
        for f in files:
            f.close()
    if history is not None:
        try:
            if code == EXIT_CANNOT_RUN:
                history.abandon()
            elif code == EXIT_OK and resumed:
                row = history.store.scan(history.scan_id)  # type: ignore[arg-type]
                err.print(f"resumed scan {row.id} is {row.status}: {row.hosts} hosts in all", highlight=False)
        except StoreError as e:
            err.print(f"[bold red]error:[/] {escape(str(e))}", highlight=False)
            code = EXIT_CANNOT_RUN
        history.store.close()
    if saved and code != EXIT_CANNOT_RUN:
        err.print(f"saved: {saved}", highlight=False)
    return code, saved


# ------------------------------------------------------------------ show


@app.command()
def show(
    scan_file: Annotated[Path, typer.Argument(help="A scan saved as JSON Lines (reports/scan-*.jsonl).")],
    fmt: Annotated[Format, typer.Option("--format", "-f")] = Format.TABLE,
    output: Annotated[Optional[str], typer.Option("--output", "-o")] = None,
    rejudge: Annotated[bool, typer.Option("--rejudge/--as-saved", help="Judge the saved facts again with this version's checks (no network).")] = True,
) -> None:
    """Show a saved scan again, re-judged offline from its facts."""
    if not scan_file.is_file():
        raise _fail(EXIT_USAGE, f"{scan_file}: no such file")
    sink, closers = output_sink(fmt, output)
    good = 0
    summary: ScanSummary | None = None
    verdicts: dict[str, int] = {}
    for line in read_scan(scan_file):
        if isinstance(line, BadScanLine):
            err.print(f"[yellow]warning:[/] {line}", highlight=False)
            continue
        good += 1
        if isinstance(line, HostRecord):
            if rejudge:
                line = HostRecord(facts=line.facts, result=judge(line.facts))
            verdicts[line.result.verdict.value] = verdicts.get(line.result.verdict.value, 0) + 1
        if isinstance(line, ScanSummary):
            summary = line
            continue
        sink.write(line)
    if summary is None:
        err.print("[yellow]warning:[/] no summary line: the scan was cut short; showing what it holds", highlight=False)
        summary = ScanSummary(finished="", elapsed_s=0.0, hosts=sum(verdicts.values()), interrupted=True)
    sink.write(msgspec.structs.replace(summary, verdicts=verdicts, hosts=sum(verdicts.values())))
    sink.close()
    for f in closers:
        f.close()
    if good == 0:
        raise _fail(EXIT_CANNOT_RUN, f"{scan_file}: no readable scan records")


# ------------------------------------------------------------------ history


def _open_history(db: Path) -> Store | None:
    """The history database for reading (None: there is none yet; it is not created)."""
    if not db.exists():
        return None
    try:
        return Store(db)
    except StoreError as e:
        raise _fail(EXIT_CANNOT_RUN, str(e)) from None


def _verdict_text(verdicts: dict[str, int], sep: str = ", ") -> Text:
    from .output import VERDICT_STYLE

    text = Text()
    for verdict in Verdict:
        if n := verdicts.get(verdict.value):
            if text:
                text.append(sep)
            text.append(f"{n} {verdict.value}", style=VERDICT_STYLE[verdict])
    return text


@app.command()
def history(
    db: Annotated[Path, typer.Option("--db", envvar="IPV6SCAN_DB", help="History database.")] = DEFAULT_DB,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="How many scans, newest first.")] = 50,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="table, json (one document) or jsonl (one scan a line).")] = Format.TABLE,
) -> None:
    """Past scans saved in the history database, newest first, with their summary."""
    store = _open_history(db)
    try:
        rows = store.scans(limit) if store else []
    except StoreError as e:
        raise _fail(EXIT_CANNOT_RUN, str(e)) from None
    if fmt is Format.JSON:
        print(msgspec.json.encode(rows).decode())
        return
    if fmt is Format.JSONL:
        for row in rows:
            print(msgspec.json.encode(row).decode())
        return
    out = Console(highlight=False)
    if not rows:
        out.print(f"no scans saved in {escape(str(db))} yet")
        return
    table = Table(title=f"Scans in {escape(str(db))} (times in UTC)")
    for col in ("Scan", "Started", "Status", "Hosts", "Verdicts", "Errors", "Targets"):
        table.add_column(col, overflow="fold", no_wrap=col in ("Scan", "Started", "Status", "Hosts"),
                         min_width=16 if col == "Verdicts" else None)
    for row in rows:
        shown = row.status
        if shown == "running" and row.machine == socket.gethostname() and not _still_running(row):
            shown = "unfinished"  # its process is gone (killed, power cut): resumable
        status = Text(shown + (f"\n({row.runs} runs)" if row.runs > 1 else ""),
                      style={"complete": "green", "interrupted": "yellow"}.get(row.status, "magenta"))
        table.add_row(str(row.id), row.started.replace("T", "\n").removesuffix("Z"), status, str(row.hosts),
                      _verdict_text(row.verdicts, sep="\n"), str(row.input_errors), Text(row.targets_source))
    out.print(table)
    if any(row.status != "complete" for row in rows):
        out.print("A scan that is not complete can be continued: ipv6scan scan LIST --resume (the same hosts, same --db).")


class HostChangeRow(msgspec.Struct, kw_only=True):
    scan_id: int
    started: str
    before: str | None  # None: first time the host was seen
    verdict: str
    reasons: list[str]


@app.command("host")
def host_changes(
    name: Annotated[str, typer.Argument(help="Host name (Unicode or ASCII) or URL.")],
    db: Annotated[Path, typer.Option("--db", envvar="IPV6SCAN_DB", help="History database.")] = DEFAULT_DB,
    every: Annotated[bool, typer.Option("--all", help="Every scan that saw the host, not only the changes.")] = False,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="table or json.")] = Format.TABLE,
) -> None:
    """A host's changelog: every change of its verdict over the scans in the history database."""
    try:
        host = normalise_host(name)
    except ValueError as e:
        raise _fail(EXIT_USAGE, f"{name!r}: {e}") from None
    store = _open_history(db)
    try:
        seen = store.host_history(host) if store else []
    except StoreError as e:
        raise _fail(EXIT_CANNOT_RUN, str(e)) from None
    changes: list[HostChangeRow] = []
    before: str | None = None
    for i, obs in enumerate(seen):
        if every or i == 0 or obs.verdict != before:
            changes.append(HostChangeRow(scan_id=obs.scan_id, started=obs.started, before=before,
                                         verdict=obs.verdict, reasons=obs.reasons))
        before = obs.verdict
    if fmt is not Format.TABLE:
        doc = {"host": host, "display": display_name(host), "scans": len(seen), "changes": changes}
        print(msgspec.json.encode(doc).decode())
        return
    out = Console(highlight=False)
    label = display_name(host) if display_name(host) == host else f"{display_name(host)} ({host})"
    if not seen:
        out.print(f"{escape(label)}: not seen in any scan in {escape(str(db))}")
        return
    n_changes = sum(c.before is not None and c.before != c.verdict for c in changes)
    table = Table(title=f"{escape(label)}: seen in {len(seen)} scan{'s' * (len(seen) != 1)}, "
                        f"{n_changes} change{'s' * (n_changes != 1)} of verdict")
    for col in ("When (UTC)", "Scan", "Verdict", "Reasons"):
        table.add_column(col, overflow="fold")
    for c in changes:
        change = Text()
        if c.before is not None and c.before != c.verdict:
            change.append(c.before, style=_style(c.before))
            change.append(" → ")
        change.append(c.verdict, style=_style(c.verdict))
        table.add_row(c.started.replace("T", " ").removesuffix("Z"), str(c.scan_id), change, Text(", ".join(c.reasons)))
    out.print(table)
    last = seen[-1]
    out.print(Text.assemble("now: ", (last.verdict, _style(last.verdict)),
                            f" (scan {last.scan_id}, {last.started.replace('T', ' ').removesuffix('Z')})"))


def _style(verdict: str) -> str:
    from .output import VERDICT_STYLE

    try:
        return VERDICT_STYLE.get(Verdict(verdict), "")
    except ValueError:
        return ""


# ------------------------------------------------------------------ demo


@app.command()
def demo(
    fmt: Annotated[Format, typer.Option("--format", "-f")] = Format.TABLE,
    output: Annotated[Optional[str], typer.Option("--output", "-o")] = None,
    save_dir: Annotated[Path, typer.Option("--save-dir")] = Path("reports"),
    no_save: Annotated[bool, typer.Option("--no-save")] = False,
    lang: Annotated[Lang, typer.Option("--lang", help="Language of the phase report.")] = Lang.VI,
    loop: Annotated[Loop, LOOP_OPTION] = Loop.AUTO,
) -> None:
    """Scan a built-in test network (real DNS, TCP and TLS over 127.0.0.1 and ::1; no internet, no root)."""
    from .testnet.lab import demo_job

    event_loop = chosen_loop(loop)
    code, saved = run(demo_job(), fmt=fmt, output=output, save_dir=None if no_save else save_dir, progress=False,
                      total=None, loop=event_loop)
    if code == EXIT_OK and saved is not None:  # show what the phase scoring makes of it, and write the reports
        make_reports(saved, load_policy(None), lang=lang.value, out_dir=saved.parent, formats=(),
                     as_of=None, terminal=fmt is Format.TABLE and output is None)
    raise typer.Exit(code)


@app.command()
def report(
    scan_file: Annotated[Path, typer.Argument(help="A saved scan (reports/scan-*.jsonl).")],
    policy: Annotated[Optional[str], typer.Option("--policy", "-p", help="Policy file (TOML) or shipped name. Default: ipv6-for-gov.")] = None,
    lang: Annotated[Lang, typer.Option("--lang", help="Language of the reports: vi (Vietnamese) or en.")] = Lang.VI,
    out_dir: Annotated[Path, typer.Option("--out-dir", help="Where the report files go.")] = Path("reports"),
    formats: Annotated[list[str], typer.Option("--format", "-f", help="md, html, csv, json (repeatable). Default: all.")] = [],
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="Judge phases at this date (YYYY-MM-DD). Default: the scan's date.")] = None,
    terminal: Annotated[bool, typer.Option("--terminal/--no-terminal", help="Print the phase summary.")] = True,
) -> None:
    """Score a saved scan against a policy (offline) and write phase reports: Markdown, HTML, CSV, JSON."""
    try:
        if not scan_file.is_file():
            raise UsageError(f"{scan_file}: no such file")
        pol = load_policy(policy)
        day = date.fromisoformat(as_of) if as_of else None
        bad = [f for f in formats if f not in FORMATS]
        if bad:
            raise UsageError(f"unknown report format {', '.join(bad)}: use {', '.join(FORMATS)}")
    except (UsageError, PolicyError, ValueError) as e:
        raise _fail(EXIT_USAGE, str(e)) from None
    make_reports(scan_file, pol, lang=lang.value, out_dir=out_dir, formats=formats, as_of=day, terminal=terminal)


def make_reports(scan_file: Path, pol: Policy, *, lang: str, out_dir: Path, formats: Sequence[str],
                 as_of: date | None, terminal: bool) -> None:
    """Score a saved scan under a policy, write the report files, print the phase summary."""
    header, records = _read_rejudged(scan_file)
    if not records:
        raise _fail(EXIT_CANNOT_RUN, f"{scan_file}: no host records to score")
    scores = score(records, pol, as_of=as_of, scan_started=header.started if header else None,
                   scan_file=str(scan_file), lang=lang)
    titles = {item.id: {"vi": item.title.vi, "en": item.title.en} for item in (pol, *pol.phases, *pol.criteria)}
    stamp = (header.started if header else datetime.now(UTC).isoformat()).replace(":", "").replace("-", "")[:15]
    stem = f"report-{stamp}-{pol.id}-{lang}"
    try:
        paths = write_reports(scores, out_dir, stem=stem, lang=lang, formats=formats or FORMATS, titles=titles)
    except OSError as e:
        raise _fail(EXIT_CANNOT_RUN, f"cannot write reports: {e}") from None
    if terminal:
        render_terminal(scores, Console(), lang=lang, titles=titles)
    for path in paths:
        err.print(f"wrote: {path}", highlight=False)


def _read_rejudged(scan_file: Path) -> tuple[ScanHeader | None, list[HostRecord]]:
    """The host records of a saved scan, judged again from their facts; damaged lines are named on stderr."""
    header, records = None, []
    for line in read_scan(scan_file):
        if isinstance(line, BadScanLine):
            err.print(f"[yellow]warning:[/] {escape(str(line))}", highlight=False)
        elif isinstance(line, ScanHeader):
            header = header or line
        elif isinstance(line, HostRecord):
            records.append(HostRecord(facts=line.facts, result=judge(line.facts)))
    return header, records


targets_app = typer.Typer(help="Work with target lists.", no_args_is_help=True)
app.add_typer(targets_app, name="targets")


@targets_app.command("check")
def targets_check(
    files: Annotated[list[Path], typer.Argument(help="Target lists to validate (text or CSV).")],
    fmt: Annotated[Format, typer.Option("--format", "-f", help="table (for people) or json.")] = Format.TABLE,
) -> None:
    """Validate target lists without scanning: says exactly what is wrong where. Exit 1 if any list has errors."""
    reports = []
    for f in files:
        if not f.is_file():
            raise _fail(EXIT_USAGE, f"{f}: no such file")
        reports.append(check_list(f))
    if fmt is not Format.TABLE:
        print(msgspec.json.encode(reports).decode())
    else:
        out = Console(highlight=False)
        for r in reports:
            status = "[green]ok[/]" if r.ok else f"[red]{r.errors} errors[/]"
            out.print(f"[bold]{escape(r.source)}[/]: {status}, {r.targets} hosts, {r.orgs} organisations, "
                      f"{r.duplicates} duplicates merged, {r.warnings} warnings")
            out.print("  kinds: " + ", ".join(f"{k} {n}" for k, n in r.kinds.items()))
            for p in r.problems:
                where = f"{r.source}:{p.line}" if p.line else r.source
                colour = "red" if p.severity == "error" else "yellow"
                out.print(Text(f"  {where}: {p.severity}: {p.problem}: {p.text!r}", style=colour))
    if not all(r.ok for r in reports):
        raise typer.Exit(1)


@app.command()
def schema() -> None:
    """Print the JSON Schema of a scan line (docs/scan-schema.json)."""
    print(json.dumps(json_schema(), indent=1, ensure_ascii=False))


def main() -> None:
    from . import cli_audit  # noqa: F401  (registers diff / audit / trend commands on app)

    app()


if __name__ == "__main__":
    main()
