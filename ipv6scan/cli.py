"""The command line: thin typer commands over the library.

Exit codes (the same for every output format):
  0  the scan completed (whatever the verdicts; input lines with errors are reported)
  1  `targets check`: a list has errors
  2  usage error (bad option, unreadable target file, bad resolver address, ...)
  3  the scan could not run (e.g. no resolver, the history database damaged or not writable)
  6  results could not be written (disk full): the scan stopped, --resume goes on
  130 interrupted (Ctrl-C, or SIGTERM); what was scanned so far is saved
"""

from __future__ import annotations

import itertools
import json
import logging
import socket
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, Any, Optional

import msgspec
import typer
from rich.text import Text
from rich.table import Table

from .safe_console import SafeConsole
from .config import DEFAULTS, HostsAsked, Ipv6Mode, ScanOptions, XmlSitemap, link_domains
from .loop import Loop
from .catalogue import os_problem, problem_text, reason_line
from .errors import CannotRun, UsageProblem
from .config import DEFAULT_DB
from .ends import EXIT_OK
from .cli_usage import ClickErrors, UsageErrors, usage_error_text
from .cli_common import (ADVANCED, help_lang, tidy_help, LANG_OPTION, LOOP_OPTION, NOTICES, Format, Lang, Message, UsageError, _fail, app,
                         chosen_loop, err, lang as run_lang, speak, warn, words)

if TYPE_CHECKING:  # names of annotations only: their modules load when a command runs
    from .model import HostRecord, InputError, ScanHeader, ScanLine
    from .output import Sink
    from .policy import Policy
    from .session import History, ScanJob
    from .store import Store
    from .targets import Target
    from .waivers import Waivers


@app.command()
def scan(
    targets: Annotated[list[str], typer.Argument(help="Target files (text: one host or URL per line; CSV with a 'host' column), or - for stdin.")],
    resolver: Annotated[list[str], typer.Option("--resolver", "-r", help="Recursive resolver ADDR[:PORT] (repeatable). Default: /etc/resolv.conf.")] = [],
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output on stdout (or --output).")] = Format.TABLE,
    output: Annotated[Optional[str], typer.Option("--output", "-o", help="Write the chosen format to this file instead of stdout.")] = None,
    save_dir: Annotated[Path, typer.Option("--save-dir", help="Every scan is saved here as JSON Lines, host by host.")] = Path("reports"),
    no_save: Annotated[bool, typer.Option("--no-save", help="Do not save the scan under --save-dir.")] = False,
    concurrency: Annotated[int, typer.Option("--concurrency", "-c", min=1, max=10000, help="Hosts scanned at once.")] = DEFAULTS.concurrency,
    connect_timeout: Annotated[float, typer.Option("--timeout", min=0.05, help="Connect/handshake timeout, seconds.")] = DEFAULTS.connect_timeout,
    read_timeout: Annotated[float, typer.Option("--read-timeout", min=0.05, help="Read timeout, seconds.")] = DEFAULTS.read_timeout,
    dns_timeout: Annotated[float, typer.Option("--dns-timeout", min=0.05, help="DNS query timeout, seconds.")] = DEFAULTS.dns_timeout,
    retries: Annotated[int, typer.Option("--retries", min=0, max=5, help="Retries of a timed-out probe before it counts.")] = DEFAULTS.retries,
    allow_special: Annotated[list[str], typer.Option("--allow-special", help="Probe special-purpose addresses in this prefix (labs, internal networks). Repeatable.")] = [],
    ipv6: Annotated[Ipv6Mode, typer.Option("--ipv6", help="Does this machine have IPv6? auto asks the kernel; no marks IPv6 results untestable.")] = DEFAULTS.ipv6,
    ca_bundle: Annotated[list[Path], typer.Option("--ca-bundle", help="Extra trusted CA certificates (PEM), added to certifi's. Repeatable.")] = [],
    no_zone: Annotated[bool, typer.Option("--no-zone", help="Skip the zone's name servers and mail servers, and the resolution chain (every zone from the TLD down over IPv6).")] = False,
    trust_anchor: Annotated[list[Path], typer.Option("--trust-anchor", metavar="FILE", help="DS or DNSKEY records trusted for DNSSEC validation, one per line ('zone DS ...'), instead of the IANA root keys shipped with ipv6scan. Repeatable.")] = [],
    no_dnssec_validation: Annotated[bool, typer.Option("--no-dnssec-validation", help="Record whether zones are signed, but do not walk their chain of trust and check the signatures.")] = False,
    no_tls_versions: Annotated[bool, typer.Option("--no-tls-versions", help="Do not ask each HTTPS address which TLS versions it accepts (TLS 1.0 to 1.3, a handshake each).")] = False,
    tls_profile: Annotated[Optional[str], typer.Option("--tls-profile", metavar="NAME", help="TLS profile each HTTPS address is judged against (tls.profile.*): mozilla-intermediate (the default), mozilla-modern or mozilla-old (ipv6scan/checks/tls-profiles.toml). Kept with each host: show and report judge it so again.")] = None,
    no_subresources: Annotated[bool, typer.Option("--no-subresources", help="Do not read the page for what it loads without a click (scripts, CSS, fonts, images, frames), nor probe those hosts over IPv6.")] = False,
    xml_sitemap: Annotated[XmlSitemap, typer.Option("--xml-sitemap", help="Ask the page's site for its XML sitemap (Circular 32/2017 art. 16; one or two requests a host): portals (hosts listed as portal or dichvucong), all or none.")] = DEFAULTS.xml_sitemap,
    links: Annotated[HostsAsked, typer.Option("--links", help="Probe over IPv6 the government sites the page links to (a click away: the public-service portal, the departments' sites): portals (hosts listed as portal or dichvucong), all or none.")] = DEFAULTS.links,
    link_domain: Annotated[list[str], typer.Option("--link-domain", metavar="DOMAIN", help="A site the page links to is probed when its name is under one of these domains (repeatable; default: gov.vn) or under the page's own site.")] = [],
    max_links: Annotated[int, typer.Option("--max-links", min=1, max=1000, rich_help_panel=ADVANCED, help="Sites a page links to that are probed, at most per page (the number found beyond is recorded).")] = DEFAULTS.max_links,
    max_dependencies: Annotated[int, typer.Option("--max-dependencies", min=1, max=1000, rich_help_panel=ADVANCED, help="Hosts a page loads from that are probed, at most per page (the number found beyond is recorded).")] = DEFAULTS.max_dependencies,
    user_agent: Annotated[Optional[str], typer.Option("--user-agent", help="User-Agent header sent to web servers.")] = None,
    host_budget: Annotated[float, typer.Option("--host-budget", min=1.0, help="Seconds for one host in all; what is unfinished then is recorded as timed out.")] = DEFAULTS.host_budget,
    per_address: Annotated[int, typer.Option("--per-address", min=1, max=1000, help="Connections at once to one target address, across the scan.")] = DEFAULTS.per_address_connections,
    workers: Annotated[int, typer.Option("--workers", min=1, max=64, help="Worker processes (one per core for CPU-bound scans of long lists); limits are shared out between them.")] = DEFAULTS.workers,
    rate: Annotated[Optional[float], typer.Option("--rate", min=0.01, help="New connections per second to one target address (default: no limit).")] = None,
    progress: Annotated[Optional[bool], typer.Option("--progress/--no-progress", help="Progress bar on stderr (default: when stderr is a terminal).")] = None,
    db: Annotated[Path, typer.Option("--db", envvar="IPV6SCAN_DB", help="History database (SQLite): every scan is saved in it, host by host (docs/history.md).")] = DEFAULT_DB,
    no_db: Annotated[bool, typer.Option("--no-db", help="Do not save the scan in the history database (it cannot be resumed then).")] = False,
    resume: Annotated[bool, typer.Option("--resume", help="Go on with the last unfinished scan of the same hosts in --db: hosts it saved are not scanned again.")] = False,
    share_failures: Annotated[bool, typer.Option("--share-connect-failures/--no-share-connect-failures", rich_help_panel=ADVANCED, help="A connect to an address and port that failed twice (timeout, refused, no route) answers at once for the other names on it, saying so; TLS and HTTP are never shared.")] = DEFAULTS.share_connect_failures,
    http_port: Annotated[int, typer.Option("--http-port", rich_help_panel=ADVANCED, help="Port probed for HTTP.")] = DEFAULTS.http_port,
    https_port: Annotated[int, typer.Option("--https-port", rich_help_panel=ADVANCED, help="Port probed for HTTPS.")] = DEFAULTS.https_port,
    smtp_port: Annotated[int, typer.Option("--smtp-port", rich_help_panel=ADVANCED, help="Port probed on mail servers.")] = DEFAULTS.smtp_port,
    dns_port: Annotated[int, typer.Option("--dns-port", rich_help_panel=ADVANCED, help="Port probed on name servers.")] = DEFAULTS.dns_port,
    lab_map: Annotated[Optional[Path], typer.Option("--lab-map", hidden=True, help="Route addresses through a lab routing table (tests).")] = None,
    loop: Annotated[Loop, LOOP_OPTION] = Loop.AUTO,
    lang: Annotated[Optional[Lang], LANG_OPTION] = None,
) -> None:
    """Scan host names for IPv6 readiness.

    Examples:

      ipv6scan scan targets/hanoi.csv

      ipv6scan scan list.txt -f jsonl -o scan.jsonl --lang en

      cat list.txt | ipv6scan scan - --resume

    Exit codes: 0 done (whatever the verdicts), 2 usage error, 3 could not run, 6 results not written (disk full; --resume goes on), 130 interrupted (what was scanned is kept).
    """
    from .addresses import parse_prefixes
    from .net import LabNetwork, Network, split_hostport
    from .session import EXIT_CANNOT_RUN, EXIT_USAGE, open_history
    speak(lang)
    event_loop = chosen_loop(loop)
    try:
        for r in resolver:
            split_hostport(r, 53)
        parse_prefixes(allow_special)
        try:
            domains = link_domains(link_domain) if link_domain else list(DEFAULTS.link_domains)
        except ValueError as e:
            raise UsageError(Message("option_problem", option="--link-domain", problem=e)) from None
        if tls_profile is not None:
            from .checks._profiles import tls_profile as named_profile
            named_profile(tls_profile)  # a profile this version does not ship stops here, naming those it does
        for b in ca_bundle:
            if not b.is_file():
                raise UsageError(Message("no_such_file", path=f"--ca-bundle {b}"))
        if not no_zone and not no_dnssec_validation:
            from .probe.dnssec import load_anchors
            load_anchors(trust_anchor)  # a malformed file stops here, naming its line
        network: Network = LabNetwork.from_file(lab_map) if lab_map else Network()
        sources = [_open_source(t) for t in targets]
    except (UsageError, ValueError, KeyError) as e:
        raise _fail(EXIT_USAGE, e) from None
    except OSError as e:
        raise _fail(EXIT_USAGE, os_problem(e)) from None
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
        subresources=not no_subresources,
        xml_sitemap=xml_sitemap,
        links=links,
        link_domains=domains,
        max_links=max_links,
        tls_versions=not no_tls_versions,
        tls_profile=tls_profile,
        dnssec_validation=not no_dnssec_validation,
        trust_anchors=[str(p) for p in trust_anchor],
        max_dependencies=max_dependencies,
        host_budget=host_budget,
        per_address_connections=per_address,
        workers=workers,
        rate_per_address=rate,
        share_connect_failures=share_failures,
        **({"user_agent": user_agent} if user_agent else {}),
    )
    if resume and no_db:
        raise _fail(EXIT_USAGE, "resume_needs_db")
    try:
        history = None if no_db else open_history(db, sources, options, resume=resume, save=not no_save,
                                                  notices=NOTICES)
    except UsageProblem as e:
        raise _fail(EXIT_USAGE, e) from None
    except CannotRun as e:
        raise _fail(EXIT_CANNOT_RUN, e) from None
    items = _entries(sources, history)
    code, _ = run(
        lambda sink, on_line: _scan_all()(items, options, sink, network=network, on_line=on_line),
        fmt=fmt,
        output=output,
        save_dir=None if no_save else save_dir,
        progress=progress,
        total=lambda: entries_to_report(sources, history),
        history=history,
        loop=event_loop,
    )
    raise typer.Exit(code)


def _scan_all():  # noqa: ANN202
    """The scanner, imported when a scan runs: `--help` and the reading commands do not load it (~0.2 s)."""
    from .pipeline import scan_all

    return scan_all


def entries_to_report(sources: list[tuple[str, Path | object]], history: History | None) -> int | None:
    """What a scan of these lists will report — hosts (duplicates merged) and input errors, less what a
    resumed scan saved already — from a first read of the lists; None when one is not a regular file."""
    if not all(isinstance(s, Path) and s.is_file() for _, s in sources):
        return None
    return sum(1 for _ in _entries(sources, history))


def _entries(sources: list[tuple[str, Path | object]], history: History | None) -> Iterable[Target | InputError]:
    """The lists' entries, read lazily: duplicates merged across every list given; on a resumed scan, not what
    it saved already."""
    from .targets import read_targets
    seen: set[str] = set()
    entries = itertools.chain.from_iterable(read_targets(src, name=name, seen=seen) for name, src in sources)
    return history.remaining(entries) if history is not None and history.resumed else entries


def _open_source(text: str) -> tuple[str, Path | object]:
    from .targets import list_file_problem
    if text == "-":
        return "<stdin>", sys.stdin
    p = Path(text)
    if problem := list_file_problem(p):
        raise UsageError(Message("target.file", path=text, problem=problem))
    return text, p


def output_sink(fmt: Format, output: str | None, *, details: bool = False) -> tuple[Sink, list[IO]]:
    """The sink for the chosen format on stdout or in a file, and the files to close."""
    from .output import JsonSink, JsonlSink, PipeGuard, TerminalSink, open_binary
    if fmt is Format.TABLE:
        if output in (None, "-"):
            return PipeGuard(TerminalSink(SafeConsole(), lang=run_lang(), details=details)), []
        f = open(output, "w", encoding="utf-8")
        return TerminalSink(SafeConsole(file=f, width=160), lang=run_lang(), details=details), [f]
    out = open_binary(output)
    if output in (None, "-"):
        return PipeGuard(JsonlSink(out) if fmt is Format.JSONL else JsonSink(out)), []
    return (JsonlSink(out) if fmt is Format.JSONL else JsonSink(out)), [out]


def run(
    job: ScanJob,
    *,
    fmt: Format,
    output: str | None,
    save_dir: Path | None,
    progress: bool | None,
    total: Callable[[], int | None] | None,
    history: History | None = None,
    loop: Loop = Loop.AUTO,
) -> tuple[int, Path | None]:
    """Run a scan job in a :class:`~ipv6scan.session.Session` (history, saved JSONL, output) with a progress bar;
    the exit code and the saved file."""
    from .output import ScanProgress
    from .session import EXIT_CANNOT_RUN, Session
    try:
        user = output_sink(fmt, output)
    except OSError as e:
        raise _fail(EXIT_CANNOT_RUN, "cannot_write_output", problem=os_problem(e)) from None
    session = Session(history=history, save_dir=save_dir, output=user, output_is_file=output not in (None, "-"),
                      notices=NOTICES)
    show_progress = err.is_terminal if progress is None else progress
    bar = ScanProgress(err, total=total() if callable(total) and show_progress else None, lang=run_lang(),
                       enabled=show_progress)
    on_line = bar.on_line

    try:
        code = session.run(job, loop=loop, on_line=on_line, progress=bar)
    except CannotRun as e:
        raise _fail(EXIT_CANNOT_RUN, e) from None
    return code, session.saved


# ------------------------------------------------------------------ show


@app.command()
def show(
    source: Annotated[str, typer.Argument(metavar="SCAN_OR_HOST", help="A scan saved as JSON Lines (reports/scan-*.jsonl), or a host name: its latest record in the history database, in full.")],
    host: Annotated[Optional[str], typer.Option("--host", "-H", help="Show this one host of the scan in full: every check, what its page loads, its resolution chain.")] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f")] = Format.TABLE,
    output: Annotated[Optional[str], typer.Option("--output", "-o")] = None,
    rejudge: Annotated[bool, typer.Option("--rejudge/--as-saved", help="Judge the saved facts again with this version's checks (no network).")] = True,
    details: Annotated[bool, typer.Option("--details", "-d", help="Per-family columns too (web, TLS, parity, NS, MX): for a wide terminal.")] = False,
    db: Annotated[Path, typer.Option("--db", envvar="IPV6SCAN_DB", help="History database (for a host name).")] = DEFAULT_DB,
    config: Annotated[Optional[Path], typer.Option("--config", "-c", help="An audit's config file: its history database is used (no need for --db).")] = None,
    lang: Annotated[Optional[Lang], LANG_OPTION] = None,
) -> None:
    """Show a saved scan again, re-judged offline from its facts; or one host in full.

    Examples:

      ipv6scan show reports/scan-20261203T080000Z.jsonl

      ipv6scan show reports/scan-20261203T080000Z.jsonl --host dichvucong.danang.gov.vn

      ipv6scan show dichvucong.danang.gov.vn
    """
    from .checks import judge
    from .model import HostRecord, ScanSummary
    from .session import EXIT_CANNOT_RUN
    speak(lang)
    scan_file = Path(source)
    if not scan_file.is_file() or host is not None:
        rec = _one_host(scan_file, host or source, db, config)
        if rejudge:
            rec = HostRecord(facts=rec.facts, result=judge(rec.facts))
        if fmt is not Format.TABLE:
            print(msgspec.json.encode(rec).decode())
            return
        from .output import render_host
        render_host(SafeConsole(highlight=False), rec, run_lang())
        return
    sink, closers = output_sink(fmt, output, details=details)
    good = 0
    summary: ScanSummary | None = None
    verdicts: dict[str, int] = {}
    for line in _scan_lines(scan_file):
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
        warn("no_summary_line")
        summary = ScanSummary(finished="", elapsed_s=0.0, hosts=sum(verdicts.values()), interrupted=True)
    sink.write(msgspec.structs.replace(summary, verdicts=verdicts, hosts=sum(verdicts.values())))
    sink.close()
    for f in closers:
        f.close()
    if good == 0:
        raise _fail(EXIT_CANNOT_RUN, "no_scan_records", path=scan_file)


def _one_host(scan_file: Path, name: str, db: Path, config: Path | None) -> HostRecord:
    """One host's record: its last in the scan file (when there is one), else its latest in the history."""
    from .model import HostRecord
    from .session import EXIT_CANNOT_RUN, EXIT_USAGE
    from .store import StoreError
    from .targets import normalise_host
    try:
        wanted = normalise_host(name)
    except ValueError as e:
        if not scan_file.exists() and ("/" in name or name.endswith((".jsonl", ".json"))):
            raise _fail(EXIT_USAGE, "no_such_file", path=scan_file) from None
        raise _fail(EXIT_USAGE, "bad_host", host=repr(name), problem=e) from None
    if scan_file.is_file():
        found = None
        for line in _scan_lines(scan_file):
            if isinstance(line, HostRecord) and line.facts.host == wanted:
                found = line
        if found is None:
            raise _fail(EXIT_CANNOT_RUN, "show_no_host", host=wanted, path=scan_file)
        return found
    if config is not None:
        from .cli_audit import audit_defaults

        db, _, _ = audit_defaults(config, db, None, None)
    store = _open_history(db)
    try:
        rec = store.latest_record(wanted) if store else None
    except StoreError as e:
        raise _fail(EXIT_CANNOT_RUN, e) from None
    if rec is None:
        raise _fail(EXIT_CANNOT_RUN, "show_host_not_in_history", host=wanted, db=db)
    return rec


# ------------------------------------------------------------------ history


def _open_history(db: Path) -> Store | None:
    """The history database, opened read-only (None: there is none yet; it is not created)."""
    from .session import EXIT_CANNOT_RUN
    from .store import Store, StoreError
    if not db.exists():
        return None
    try:
        return Store(db, readonly=True)
    except StoreError as e:
        raise _fail(EXIT_CANNOT_RUN, e) from None


def _verdict_text(verdicts: dict[str, int], sep: str = ", ") -> Text:
    from .model import Verdict
    from .output import VERDICT_STYLE
    text = Text()
    for verdict in Verdict:
        if n := verdicts.get(verdict.value):
            if text:
                text.append(sep)
            text.append(f"{n} {words(f'verdict.{verdict.value}')}", style=VERDICT_STYLE[verdict])
    return text


@app.command()
def history(
    db: Annotated[Path, typer.Option("--db", envvar="IPV6SCAN_DB", help="History database.")] = DEFAULT_DB,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="How many scans, newest first.")] = 50,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="table, json (one document) or jsonl (one scan a line).")] = Format.TABLE,
    lang: Annotated[Optional[Lang], LANG_OPTION] = None,
    prune_before: Annotated[Optional[str], typer.Option(
        "--prune-before", metavar="DATE",
        help="Delete the scans started before DATE (YYYY-MM-DD, UTC) that are not running, with their host "
             "records, and give the space back to the disk; then list what is left.")] = None,
) -> None:
    """Past scans saved in the history database, newest first, with their summary."""
    from .session import EXIT_CANNOT_RUN, still_running
    from .store import StoreError
    speak(lang)
    if prune_before is not None:
        _prune(db, prune_before)
    store = _open_history(db)
    try:
        rows = store.scans(limit) if store else []
    except StoreError as e:
        raise _fail(EXIT_CANNOT_RUN, e) from None
    if fmt is Format.JSON:
        print(msgspec.json.encode(rows).decode())
        return
    if fmt is Format.JSONL:
        for row in rows:
            print(msgspec.json.encode(row).decode())
        return
    out = SafeConsole(highlight=False)
    if not rows:
        out.print(Text(words("no_scans_yet", db=db)))
        return
    table = Table(title=Text(words("history_title", db=db)))
    for col in ("scan", "started", "status", "hosts", "verdicts", "errors", "targets"):
        table.add_column(words(f"col_{col}"), overflow="fold", no_wrap=col in ("scan", "started", "status", "hosts"),
                         min_width=16 if col == "verdicts" else None)
    for row in rows:
        shown = row.status
        if shown == "running" and row.machine == socket.gethostname() and not still_running(row):
            shown = "unfinished"  # its process is gone (killed, power cut): resumable
        status = Text(words(f"status.{shown}") + ("\n" + words("runs", n=row.runs) if row.runs > 1 else ""),
                      style={"complete": "green", "interrupted": "yellow"}.get(row.status, "magenta"))
        table.add_row(str(row.id), row.started.replace("T", "\n").removesuffix("Z"), status, str(row.hosts),
                      _verdict_text(row.verdicts, sep="\n"), str(row.input_errors), Text(row.targets_source))
    out.print(table)
    if any(row.status != "complete" for row in rows):
        out.print(Text(words("history_resume_hint")))


def _prune(db: Path, before: str) -> None:
    """``history --prune-before``: delete, vacuum, say what went and what the file weighs now (on stderr)."""
    import datetime as dt

    from .session import EXIT_CANNOT_RUN, EXIT_USAGE
    from .store import Store, StoreError
    try:
        day = dt.date.fromisoformat(before)
    except ValueError:
        raise _fail(EXIT_USAGE, "prune_bad_date", value=before) from None
    if not db.exists():
        return
    size = db.stat().st_size
    try:
        with Store(db) as store:
            scans, hosts = store.prune(day.isoformat())
            if scans:
                store.vacuum()
    except StoreError as e:
        raise _fail(EXIT_CANNOT_RUN, e) from None
    NOTICES.info(Message("pruned", scans=scans, hosts=hosts, day=day.isoformat(), before=_megabytes(size),
                         after=_megabytes(db.stat().st_size)))


def _megabytes(size: int) -> float:
    return round(size / 1e6, 1)  # (written in the run's language: 12,3 / 12.3)


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
    lang: Annotated[Optional[Lang], LANG_OPTION] = None,
    config: Annotated[Optional[Path], typer.Option("--config", "-c", help="An audit's config file: its history database is used (no need for --db).")] = None,
) -> None:
    """A host's changelog: every change of its verdict over the scans in the history database."""
    from .output import verdict_style
    from .session import EXIT_CANNOT_RUN, EXIT_USAGE
    from .store import StoreError
    from .targets import display_name, normalise_host
    speak(lang)
    if config is not None:
        from .cli_audit import audit_defaults

        db, _, _ = audit_defaults(config, db, None, None)
    try:
        host = normalise_host(name)
    except ValueError as e:
        raise _fail(EXIT_USAGE, "bad_host", host=repr(name), problem=e) from None
    store = _open_history(db)
    try:
        seen = store.host_history(host) if store else []
    except StoreError as e:
        raise _fail(EXIT_CANNOT_RUN, e) from None
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
    out = SafeConsole(highlight=False)
    label = display_name(host) if display_name(host) == host else f"{display_name(host)} ({host})"
    if not seen:
        out.print(Text(words("host_not_seen", host=label, db=db)))
        return
    n_changes = sum(c.before is not None and c.before != c.verdict for c in changes)
    table = Table(title=Text(words("host_title", host=label, scans=len(seen), changes=n_changes)))
    for col in ("when_utc", "scan", "verdict", "reasons"):
        table.add_column(words(f"col_{col}"), overflow="fold")
    for c in changes:
        change = Text()
        if c.before is not None and c.before != c.verdict:
            change.append(_verdict_word(c.before), style=verdict_style(c.before))
            change.append(" → ")
        change.append(_verdict_word(c.verdict), style=verdict_style(c.verdict))
        reasons = "; ".join(reason_line(code, run_lang()) for code in c.reasons)
        table.add_row(c.started.replace("T", " ").removesuffix("Z"), str(c.scan_id), change, Text(reasons))
    out.print(table)
    last = seen[-1]
    out.print(Text.assemble(words("host_now"), " ", (_verdict_word(last.verdict), verdict_style(last.verdict)),
                            " ", words("host_now_scan", scan=last.scan_id,
                                       started=last.started.replace("T", " ").removesuffix("Z"))))


def _verdict_word(verdict: str) -> str:
    """A verdict in words; one this version does not know is shown as saved."""
    from .report.i18n import verdict_label
    return verdict_label(verdict, run_lang())


# ------------------------------------------------------------------ demo


@app.command()
def demo(
    fmt: Annotated[Format, typer.Option("--format", "-f")] = Format.TABLE,
    output: Annotated[Optional[str], typer.Option("--output", "-o")] = None,
    save_dir: Annotated[Path, typer.Option("--save-dir")] = Path("reports"),
    no_save: Annotated[bool, typer.Option("--no-save")] = False,
    lang: Annotated[Optional[Lang], LANG_OPTION] = None,
    loop: Annotated[Loop, LOOP_OPTION] = Loop.AUTO,
) -> None:
    """Scan a built-in test network (real DNS, TCP and TLS over 127.0.0.1 and ::1; no internet, no root)."""
    from .policy import load_policy
    from .session import EXIT_CANNOT_RUN, EXIT_OK
    speak(lang)
    try:
        from .testnet.lab import demo_job
    except ImportError as e:  # aiohttp / trustme come with the "lab" extra, not with the scanner
        raise _fail(EXIT_CANNOT_RUN, "demo_needs_lab", missing=e.name or str(e)) from None

    event_loop = chosen_loop(loop)
    code, saved = run(demo_job(), fmt=fmt, output=output, save_dir=None if no_save else save_dir, progress=False,
                      total=None, loop=event_loop)
    if code == EXIT_OK and saved is not None:  # show what the phase scoring makes of it, and write the reports
        make_reports(saved, load_policy(None), lang=run_lang(), out_dir=saved.parent, formats=(),
                     as_of=None, terminal=fmt is Format.TABLE and output is None)
    raise typer.Exit(code)


@app.command()
def report(
    scan_file: Annotated[Path, typer.Argument(help="A saved scan (reports/scan-*.jsonl).")],
    policy: Annotated[Optional[str], typer.Option("--policy", "-p", help="Policy file (TOML) or shipped name. Default: ipv6-for-gov.")] = None,
    lang: Annotated[Optional[Lang], LANG_OPTION] = None,
    out_dir: Annotated[Path, typer.Option("--out-dir", help="Where the report files go.")] = Path("reports"),
    formats: Annotated[list[str], typer.Option("--format", "-f", help="md, html, csv, xlsx, json (repeatable). Default: all.")] = [],
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="Judge phases at this date (YYYY-MM-DD). Default: the scan's date.")] = None,
    terminal: Annotated[bool, typer.Option("--terminal/--no-terminal", help="Print the phase summary.")] = True,
    waivers: Annotated[Optional[Path], typer.Option("--waivers", "-w", help="Accepted explanations (TOML, docs/waivers.md): a failure they explain reads 'explained' until it expires.")] = None,
) -> None:
    """Score a saved scan against a policy (offline) and write phase reports: Markdown, HTML, CSV, XLSX, JSON."""
    from .policy import PolicyError, load_policy
    from .report import FORMATS
    from .session import EXIT_USAGE
    from .waivers import load_waivers
    speak(lang)
    try:
        if not scan_file.is_file():
            raise UsageError(Message("no_such_file", path=scan_file))
        pol = load_policy(policy)
        try:
            day = date.fromisoformat(as_of) if as_of else None
        except ValueError:
            raise UsageError(Message("bad_date", option="--as-of", value=as_of)) from None
        bad = [f for f in formats if f not in FORMATS]
        if bad:
            raise UsageError(Message("unknown_report_format", formats=", ".join(bad), known=", ".join(FORMATS)))
        explained = load_waivers(waivers, pol) if waivers is not None else None
    except (UsageError, PolicyError, ValueError) as e:
        raise _fail(EXIT_USAGE, e) from None
    make_reports(scan_file, pol, lang=run_lang(), out_dir=out_dir, formats=formats, as_of=day, terminal=terminal,
                 waivers=explained)


def make_reports(scan_file: Path, pol: Policy, *, lang: str, out_dir: Path, formats: Sequence[str],
                 as_of: date | None, terminal: bool, waivers: Waivers | None = None) -> None:
    """Score a saved scan under a policy, write the report files, print the phase summary."""
    from .report import FORMATS, render_terminal, write_reports
    from .scoring import score
    from .session import EXIT_CANNOT_RUN
    header, records = _read_rejudged(scan_file)
    if not records:
        raise _fail(EXIT_CANNOT_RUN, "no_host_records", path=scan_file)
    scores = score(records, pol, as_of=as_of, scan_started=header.started if header else None,
                   scan_file=str(scan_file), lang=lang, waivers=waivers)
    titles = {item.id: {"vi": item.title.vi, "en": item.title.en} for item in (pol, *pol.phases, *pol.criteria)}
    stamp = (header.started if header else datetime.now(UTC).isoformat()).replace(":", "").replace("-", "")[:15]
    stem = f"report-{stamp}-{pol.id}-{lang}"
    try:
        paths = write_reports(scores, out_dir, stem=stem, lang=lang, formats=formats or FORMATS, titles=titles)
    except OSError as e:
        raise _fail(EXIT_CANNOT_RUN, "cannot_write_reports", problem=os_problem(e)) from None
    if terminal:
        render_terminal(scores, SafeConsole(), lang=lang, titles=titles)
    for path in paths:
        err.print(Text(words("wrote", path=path)), highlight=False)


def _read_rejudged(scan_file: Path) -> tuple[ScanHeader | None, list[HostRecord]]:
    """The host records of a saved scan, judged again from their facts; damaged lines are named on stderr."""
    from .checks import judge
    from .model import HostRecord, ScanHeader
    header, records = None, []
    for line in _scan_lines(scan_file):
        if isinstance(line, ScanHeader):
            header = header or line
        elif isinstance(line, HostRecord):
            records.append(HostRecord(facts=line.facts, result=judge(line.facts)))
    return header, records


def _scan_lines(scan_file: Path) -> Iterator[ScanLine]:
    """The readable lines of a saved scan, each host once (its first record); damaged lines and repeated hosts
    (copied lines, a bad merge) are named on stderr."""
    from .model import HostRecord
    from .output import BadScanLine, read_scan
    seen: set[str] = set()
    repeated = 0
    for line in read_scan(scan_file):
        if isinstance(line, BadScanLine):
            warn(line)
        elif isinstance(line, HostRecord) and line.facts.host in seen:
            repeated += 1
        else:
            if isinstance(line, HostRecord):
                seen.add(line.facts.host)
            yield line
    if repeated:
        warn("repeated_hosts", n=repeated)


targets_app = typer.Typer(help="Work with target lists.", no_args_is_help=True)
app.add_typer(targets_app, name="targets")


@targets_app.command("check")
def targets_check(
    files: Annotated[list[Path], typer.Argument(help="Target lists to validate (text or CSV).")],
    fmt: Annotated[Format, typer.Option("--format", "-f", help="table (for people) or json.")] = Format.TABLE,
    lang: Annotated[Optional[Lang], LANG_OPTION] = None,
) -> None:
    """Validate target lists without scanning: says exactly what is wrong where. Exit 1 if any list has errors."""
    from .listcheck import check_list
    from .report.i18n import kind_label
    from .session import EXIT_USAGE
    from .targets import list_file_problem
    speak(lang)
    reports = []
    for f in files:
        if problem := list_file_problem(f):
            raise _fail(EXIT_USAGE, "target.file", path=f, problem=problem)
        reports.append(check_list(f))
    if fmt is not Format.TABLE:
        print(msgspec.json.encode(reports).decode())
    else:
        out = SafeConsole(highlight=False)
        for r in reports:
            status = Text(words("list_ok"), style="green") if r.ok else Text(words("list_errors", n=r.errors), style="red")
            out.print(Text.assemble((r.source, "bold"), ": ", status, words(
                "list_counts", hosts=r.targets, orgs=r.orgs, duplicates=r.duplicates, warnings=r.warnings)))
            out.print(Text("  " + words("list_kinds", kinds=", ".join(
                f"{kind_label(k, run_lang())} {n}" for k, n in r.kinds.items()))))
            for p in r.problems:
                where = f"{r.source}:{p.line}" if p.line else r.source
                colour = "red" if p.severity == "error" else "yellow"
                out.print(Text("  " + words("list_problem", where=where, severity=words(f"severity.{p.severity}"),
                                            problem=problem_text(p.problem, p.code, p.params, run_lang()),
                                            text=repr(p.text)), style=colour))
            if (unlisted := r.errors + r.warnings - len(r.problems)) > 0:
                out.print(Text("  " + words("more_problems", n=unlisted)), style="yellow")
    if not all(r.ok for r in reports):
        raise typer.Exit(1)


class Level(StrEnum):  # the units `targets generate` lists
    COMMUNE = "commune"


@targets_app.command("generate")
def targets_generate(
    level: Annotated[Level, typer.Option("--level", help="Which units: commune (the communes, wards and special zones of a province; People's Committee portals).")] = Level.COMMUNE,
    province: Annotated[list[str], typer.Option("--province", metavar="SLUG", help="The province by the label of its portal domain (danang, tphcm, hue, ...). Repeatable; none: all 34.")] = [],
    output: Annotated[Optional[Path], typer.Option("--output", "-o", metavar="FILE", help="Write the list here (default: standard output).")] = None,
    lang: Annotated[Optional[Lang], LANG_OPTION] = None,
) -> None:
    """Write a target list of every commune of a province, named as Decree 224/2026 art. 11(4) says
    (tenphuongxa.tentinhthanh.gov.vn), from the vietnam-provinces data. Every row is tagged guess.

    Examples:

      ipv6scan targets generate --level commune --province danang -o targets/communes/danang.csv

    Exit codes: 0 written, 2 unknown province.
    """
    from .atomic import write_file
    from .naming import commune_csv, naming
    from .session import EXIT_USAGE
    speak(lang)
    units = naming()
    chosen = []
    for slug in province:
        unit = units.province_by_slug(slug)
        if unit is None:
            known = ", ".join(sorted(p.slug for p in units.provinces))
            raise _fail(EXIT_USAGE, "unknown_province", province=slug, known=known)
        chosen.append(unit)
    text = commune_csv(chosen or list(units.provinces))
    if output is None:
        sys.stdout.write(text)
    else:
        write_file(output, text)


@targets_app.command("discover")
def targets_discover(
    scan_file: Annotated[Path, typer.Argument(help="A saved scan (reports/scan-*.jsonl) whose pages were read for their links.")],
    output: Annotated[Optional[Path], typer.Option("--output", "-o", metavar="FILE", help="Write the list here (default: standard output).")] = None,
    lang: Annotated[Optional[Lang], LANG_OPTION] = None,
) -> None:
    """Write a target list of the government sites the scanned pages link to that the scan did not hold, most
    linked first: candidates for the next list (scan --links; names under gov.vn or under the page's own
    site). Every row is tagged discovered; a site of the linking host's own domain gets its organisation,
    tagged guess.

    Examples:

      ipv6scan targets discover reports/scan-20261203T080000Z.jsonl -o targets/discovered.csv

    Exit codes: 0 written, 2 no such scan file, 3 no page of the scan was read for its links.
    """
    from .atomic import write_file
    from .discover import discover, discovered_csv
    from .model import HostRecord, ScanHeader
    from .session import EXIT_CANNOT_RUN, EXIT_USAGE
    speak(lang)
    if not scan_file.is_file():
        raise _fail(EXIT_USAGE, "no_such_file", path=scan_file)
    found, pages = discover(line for line in _scan_lines(scan_file) if isinstance(line, (HostRecord, ScanHeader)))
    if not pages:
        raise _fail(EXIT_CANNOT_RUN, "discover_no_links", path=scan_file)
    text = discovered_csv(found)
    if output is None:
        sys.stdout.write(text)
    else:
        write_file(output, text)
    err.print(Text(words("discovered", n=len(found), pages=pages, path=output or "-")), highlight=False)


@app.command()
def schema() -> None:
    """Print the JSON Schema of a scan line (docs/scan-schema.json)."""
    from .model import json_schema
    print(json.dumps(json_schema(), indent=1, ensure_ascii=False))


def help_only(command: typer.core.TyperGroup, args: list[str]) -> str | None:
    """The help text when the arguments ask for nothing else (``[COMMAND [SUBCOMMAND]] -h|--help``), else None.

    Written from the command tree without parsing: typer 0.29 parses a command's arguments through pydantic
    (~0.2 s to import), which help does not need. Anything more on the line goes the normal way.
    """
    if not args or args[-1] not in ("-h", "--help") or any(a.startswith("-") for a in args[:-1]):
        return None
    node: Any = command
    ctx = command.context_class(command, info_name="ipv6scan")  # typer's own (vendored) click Context
    for name in args[:-1]:
        node = getattr(node, "commands", {}).get(name)
        if node is None:
            return None
        ctx = node.context_class(node, info_name=name, parent=ctx)
    return node.get_help(ctx)


class _LoopReport(logging.Handler):
    """The event loop's own reports (asyncio's logger: an exception in a callback, uvloop's TLS errors, a protocol
    misused) on stderr as ``asyncio: …``, the traceback after it, rather than Python's bare last-resort line: a
    reader, and bench/, can tell them from ipv6scan's words. None is expected in a scan: each is a bug, ours or the
    loop's. The stream is looked up at each report (a test's runner replaces it)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
        except Exception:  # noqa: BLE001 - as logging's own handlers: a report must not end the scan
            self.handleError(record)


def report_loop_log() -> None:
    """Send the event loop's log to stderr as :class:`_LoopReport` lines (once per process)."""
    log = logging.getLogger("asyncio")
    if not any(isinstance(h, _LoopReport) for h in log.handlers):
        handler = _LoopReport()
        handler.setFormatter(logging.Formatter("asyncio: %(message)s"))
        log.addHandler(handler)
        log.propagate = False


def main() -> None:
    from . import cli_audit  # noqa: F401  (registers diff / audit / trend commands on app)

    report_loop_log()
    lang = help_lang(sys.argv[1:])
    try:
        command = typer.main.get_command(app)
        tidy_help(command, lang)
        if (text := help_only(command, sys.argv[1:])) is not None:
            typer.echo(text)
            sys.exit(EXIT_OK)
        # Not standalone: a usage error comes back here to be said in the run's language (typer's is English).
        # What a command ends with (typer.Exit(code), Ctrl-C as 130) comes back as its exit code.
        code = command.main(prog_name="ipv6scan", standalone_mode=False)
    except UsageErrors as e:
        typer.echo(usage_error_text(e, lang), err=True)
        sys.exit(e.exit_code)
    except ClickErrors as e:  # (none of ours raises another; typer's own way, should one come)
        e.show()
        sys.exit(e.exit_code)
    except BrokenPipeError:  # `ipv6scan history | head`: the reader has what it wanted
        from .output import stdout_to_devnull

        stdout_to_devnull()
        sys.exit(EXIT_OK)
    sys.exit(code if isinstance(code, int) else EXIT_OK)


if __name__ == "__main__":
    main()
