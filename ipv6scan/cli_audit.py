"""Commands for scheduled compliance audits (diff, audit, trend), registered on the main app.

Exit codes, the same for every ``--format`` (docs/scheduling.md):
  0  done: no confirmed regression, every --fail-under met
  2  usage error: bad option, config file or policy, unknown scan, nothing to compare
  3  could not run: history database, scan, reports or metrics not writable
  4  audit: a phase's share of organisations attaining it is under its --fail-under
  5  audit: hosts regressed since the previous audit, confirmed by a re-scan
     (diff --exit-code: the diff has regressions); 5 wins when 4 applies too
  130 interrupted (Ctrl-C or SIGTERM): what was scanned is kept
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Optional

import msgspec
import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from .audit import (EXIT_REGRESSIONS, AuditError, ConfigError, HistoryScans, load_config, parse_fail_under, run_audit,
                    scan_options_of)
from .cli_common import EXIT_CANNOT_RUN, EXIT_INTERRUPTED, EXIT_USAGE, LOOP_OPTION, _fail, app, chosen_loop, err
from .diff import Change, Diff, HostDiff, ScanRef, confirm, diff
from .loop import Loop, run as run_on
from .model import HostRecord, ScanHeader
from .net import LabNetwork, Network
from .output import VERDICT_STYLE, BadScanLine, read_scan, scan_stem
from .policy import PolicyError, load_policy
from .report import render_terminal
from .scores import State
from .store import DEFAULT_DB, Store, StoreError
from .trend import TrendPoint, complete_scans, load_trend, rechecks_of, rejudged, scan_records


class Output(StrEnum):
    TABLE = "table"
    JSON = "json"


DB_OPTION = typer.Option("--db", envvar="IPV6SCAN_DB", help="History database.")
POLICY_OPTION = typer.Option("--policy", "-p", help="Policy file (TOML) or shipped name. Default: ipv6-for-gov.")
AUDIT_OPTION = typer.Option("--audit", help="Only the scans made by the audit of this name (its config's `name`).")


# ------------------------------------------------------------------ audit


@app.command()
def audit(
    config: Annotated[Path, typer.Option("--config", "-c", help="The audit's config file (TOML, docs/scheduling.md).")],
    fail_under: Annotated[list[str], typer.Option("--fail-under", help="PHASE=SHARE (0.5 or 50%): exit 4 when fewer organisations attain the phase. Repeatable; adds to the config's.")] = [],
    fmt: Annotated[Output, typer.Option("--format", "-f", help="What to print: table (for people) or json (the audit summary).")] = Output.TABLE,
    loop: Annotated[Loop, LOOP_OPTION] = Loop.AUTO,
) -> None:
    """Scan, diff with the previous audit, re-check regressions, write dated reports and metrics: one run for a scheduler."""
    event_loop = chosen_loop(loop)
    try:
        cfg = load_config(config)
        minimums = parse_fail_under(fail_under)
    except (ConfigError, ValueError) as e:
        raise _fail(EXIT_USAGE, str(e)) from None
    try:
        result, report = run_audit(cfg, fail_under=minimums, run=lambda work: run_on(work, event_loop, sigterm=True),
                                   log=lambda text: err.print(Text(text)))
    except (ConfigError, PolicyError) as e:
        raise _fail(EXIT_USAGE, str(e)) from None
    except AuditError as e:
        raise _fail(EXIT_CANNOT_RUN, str(e)) from None
    except (KeyboardInterrupt, asyncio.CancelledError):
        err.print(f"[yellow]interrupted[/]: what was scanned is kept in {cfg.database.path}", highlight=False)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    if fmt is Output.JSON:
        print(msgspec.json.encode(result).decode())
    else:
        out = Console(highlight=False)
        render_terminal(report, out, lang=cfg.outputs.lang)
        if result.diff is not None:
            _print_diff(result.diff, out)
        else:
            out.print(f"first scan of audit {cfg.name!r}: nothing to compare with yet")
        for t in result.thresholds:
            out.print(Text(f"{t.phase}: {t.share:.1%} attained, at least {t.minimum:.1%} required: "
                           f"{'met' if t.met else 'NOT MET'}", style="green" if t.met else "bold red"))
    for path in result.reports:
        err.print(Text(f"wrote: {path}"))
    if result.metrics:
        err.print(Text(f"metrics: {result.metrics}"))
    for problem in result.problems:
        err.print(Text(f"exit {result.exit_code}: {problem}", style="bold red"))
    raise typer.Exit(result.exit_code)


# ------------------------------------------------------------------ diff


@app.command("diff")
def diff_command(
    a: Annotated[Optional[str], typer.Argument(help="The earlier scan: an id in --db or a saved scan file. Default: the complete scan before the latest.")] = None,
    b: Annotated[Optional[str], typer.Argument(help="The later scan: an id in --db or a saved scan file. Default: the latest complete scan.")] = None,
    db: Annotated[Path, DB_OPTION] = DEFAULT_DB,
    policy: Annotated[Optional[str], POLICY_OPTION] = None,
    audit_name: Annotated[Optional[str], AUDIT_OPTION] = None,
    fmt: Annotated[Output, typer.Option("--format", "-f", help="table or json.")] = Output.TABLE,
    exit_code: Annotated[bool, typer.Option("--exit-code", help="Exit 5 when the diff has regressions.")] = False,
    recheck: Annotated[bool, typer.Option("--recheck", help="Re-scan the regressed hosts now (the later scan's options; saved in --db and --out): those fine again are reported as transient.")] = False,
    out_dir: Annotated[Path, typer.Option("--out", help="Where --recheck writes its scan file.")] = Path("reports"),
    lab_map: Annotated[Optional[Path], typer.Option("--lab-map", hidden=True, help="Route --recheck through a lab routing table (tests).")] = None,
    loop: Annotated[Loop, LOOP_OPTION] = Loop.AUTO,
) -> None:
    """Regressions and improvements between two scans, per host and per organisation, with the reasons.

    Regressions are final only once re-scanned: by the audit that made the scan, or here with --recheck.
    """
    event_loop = chosen_loop(loop) if recheck else Loop.AUTO
    try:
        pol = load_policy(policy)
    except PolicyError as e:
        raise _fail(EXIT_USAGE, str(e)) from None
    store = _open(db) if db.exists() else None
    try:
        if b is None:
            a, b = _latest_pair(a, store, db, audit_name)
        (old_ref, old), (new_ref, new) = _side(a, store, db), _side(b, store, db)
        when = datetime.fromisoformat(new_ref.started).date() if new_ref.started else date.today()
        found = diff(old, new, pol, before_ref=old_ref, after_ref=new_ref, as_of=when)
        if store is not None and new_ref.scan_id is not None:
            for done in rechecks_of(store, new_ref.scan_id):
                found = confirm(found, scan_records(store, done.id), pol)
        if recheck and found.regressions:
            if store is None or new_ref.scan_id is None:
                raise _fail(EXIT_USAGE, "--recheck needs the later scan from the history database (an id, not a file)")
            found = _recheck(found, store, new_ref.scan_id, new, pol, out_dir, lab_map, event_loop)
    except (StoreError, AuditError) as e:  # the database, or the re-scan's files
        raise _fail(EXIT_CANNOT_RUN, str(e)) from None
    except (KeyboardInterrupt, asyncio.CancelledError):
        err.print(f"[yellow]interrupted[/]: the re-scan so far is kept in {db}", highlight=False)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    finally:
        if store is not None:
            store.close()
    if found.targets_changed:
        err.print(Text(f"warning: the target list changed between the two scans ({len(found.added)} hosts added, "
                       f"{len(found.removed)} removed): phase shares are over different sets of hosts", style="yellow"))
    if fmt is Output.JSON:
        print(msgspec.json.encode(found).decode())
    else:
        _print_diff(found, Console(highlight=False))
    raise typer.Exit(EXIT_REGRESSIONS if exit_code and found.regressions else 0)


def _recheck(found: Diff, store: Store, scan_id: int, records: list[HostRecord], pol, out_dir: Path,
             lab_map: Path | None, loop: Loop) -> Diff:
    """``diff --recheck``: the flap check of an audit, on demand, with the options the later scan was made with."""
    try:
        options = scan_options_of(store.scan(scan_id).options)
        network = LabNetwork.from_file(lab_map) if lab_map else Network()
    except (ValueError, OSError, KeyError) as e:
        raise _fail(EXIT_USAGE, f"--recheck: {e}") from None
    scans = HistoryScans(store, options, network, out_dir, run=lambda work: run_on(work, loop, sigterm=True),
                         log=lambda text: err.print(Text(text)))
    checked, _ = scans.recheck(found, records, pol, scan_id, scan_stem("-recheck"), delay=0.0, marks={})
    return checked


def _open(db: Path) -> Store:
    try:
        return Store(db)
    except StoreError as e:
        raise _fail(EXIT_CANNOT_RUN, str(e)) from None


def _latest_pair(a: str | None, store: Store | None, db: Path, audit_name: str | None) -> tuple[str, str]:
    """The scans to compare when B (or both) is not given: A (or the one before the latest) and the latest."""
    latest = [str(row.id) for row in complete_scans(store, audit=audit_name)] if store else []
    if a is not None and latest:
        return a, latest[0]
    if a is None and len(latest) >= 2:
        return latest[1], latest[0]
    raise _fail(EXIT_USAGE, f"{db} has {len(latest)} complete scans{f' of audit {audit_name!r}' if audit_name else ''}: "
                            "not enough to compare")


def _side(which: str, store: Store | None, db: Path) -> tuple[ScanRef, list[HostRecord]]:
    """One side of a diff: a scan of the history by id, or a saved scan file; its host records re-judged."""
    if which.isdigit():
        if store is None:
            raise _fail(EXIT_USAGE, f"no scans saved in {db} yet: there is no scan {which}")
        try:
            row = store.scan(int(which))
        except KeyError:
            raise _fail(EXIT_USAGE, f"no scan {which} in {db} (see: ipv6scan history)") from None
        if row.status != "complete":
            err.print(Text(f"warning: scan {row.id} is {row.status}: it does not hold every host of its list",
                           style="yellow"))
        return ScanRef(label=f"scan {row.id}", started=row.started, scan_id=row.id), scan_records(store, row.id)
    path = Path(which)
    if not path.is_file():
        raise _fail(EXIT_USAGE, f"{which}: neither a scan id nor a scan file")
    header, records = None, []
    for line in read_scan(path):
        if isinstance(line, BadScanLine):
            err.print(Text(f"warning: {line}", style="yellow"))
        elif isinstance(line, ScanHeader):
            header = header or line
        elif isinstance(line, HostRecord):
            records.append(line)
    return ScanRef(label=path.name, started=header.started if header else None), rejudged(records)


_SECTIONS = [
    (Change.REGRESSED, "Regressions", "bold red"),
    (Change.TRANSIENT, "Transient (worse in the scan, not on the re-scan: not counted as regressions)", "yellow"),
    (Change.IMPROVED, "Improvements", "bold green"),
    (Change.UNKNOWN, "Unknown changes (IPv6 could not be judged on one side)", "magenta"),
    (Change.ADDED, "Added to the list", "cyan"),
    (Change.REMOVED, "Removed from the list", "cyan"),
    (Change.CHANGED, "Same verdict, other reasons", "dim"),
]


def _print_diff(found: Diff, out: Console) -> None:
    """The diff for people: phases, then hosts by kind of change and organisation, then organisations."""
    out.print(Text.assemble(("Diff ", "bold"), _ref(found.before), " → ", _ref(found.after),
                            f" · policy {found.policy}, judged as of {found.as_of}"))
    if found.targets_changed:
        out.print(Text(f"The target list changed: {len(found.added)} hosts added, {len(found.removed)} removed; "
                       "phase shares are over different sets of hosts.", style="yellow"))
    table = Table(title="Organisations attaining each phase")
    for col in ("Phase", "Before", "After", "Change"):
        table.add_column(col)
    for p in found.phases:
        delta = p.share_after - p.share_before
        table.add_row(Text(p.phase), f"{p.share_before:.0%} ({p.attained_before}/{p.total_before})",
                      f"{p.share_after:.0%} ({p.attained_after}/{p.total_after})",
                      Text(f"{delta:+.0%}" if delta else "=", style="red" if delta < 0 else "green" if delta else ""))
    out.print(table)
    for change, heading, style in _SECTIONS:
        hosts = found.of(change)
        if not hosts:
            continue
        out.print(Text(f"{heading}: {len(hosts)}", style=style))
        org = None
        for h in hosts:
            if h.org != org:
                org = h.org
                out.print(Text(f"  {org}", style="bold"))
            out.print(_host_line(h))
    if found.orgs:
        out.print(Text("Organisations", style="bold"))
        for o in found.orgs:
            text = Text(f"  {o.org}: {o.phase} ")
            text.append_text(_attainment(o.before)).append(" → ").append_text(_attainment(o.after))
            if o.hosts:
                text.append(f" ({', '.join(o.hosts)})", style="dim")
            out.print(text)
    out.print(f"{found.unchanged} hosts unchanged.")


def _ref(ref: ScanRef) -> Text:
    when = ref.started.replace("T", " ").removesuffix("Z") if ref.started else "?"
    return Text(f"{ref.label} ({when}, {ref.hosts} hosts)")


def _host_line(h: HostDiff) -> Text:
    """``    host (kind): old → new: reasons`` (the reasons of the later side; of the earlier when removed)."""
    text = Text(f"    {h.display} ({h.kind}): ")
    for i, side in enumerate((h.before, h.after)):
        if i:
            text.append(" → ")
        text.append(side.verdict if side else "—", style=_verdict_style(side.verdict) if side else "")
    shown = h.after or h.before
    if shown and shown.reasons:
        text.append(f": {', '.join(shown.reasons)}")
    if h.recheck is not None:
        text.append(" · re-scan: ").append(h.recheck.verdict, style=_verdict_style(h.recheck.verdict))
    return text


def _verdict_style(verdict: str) -> str:
    return next((style for v, style in VERDICT_STYLE.items() if v.value == verdict), "")


def _attainment(state: State | None) -> Text:
    if state is None:
        return Text("not in the scan", style="dim")
    return Text({State.PASS: "attained", State.FAIL: "not attained", State.UNKNOWN: "unknown",
                 State.NOT_APPLICABLE: "not applicable"}[state],
                style={State.PASS: "green", State.FAIL: "red"}.get(state, "yellow"))


# ------------------------------------------------------------------ trend


@app.command()
def trend(
    db: Annotated[Path, DB_OPTION] = DEFAULT_DB,
    policy: Annotated[Optional[str], POLICY_OPTION] = None,
    audit_name: Annotated[Optional[str], AUDIT_OPTION] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="How many of the latest complete scans.")] = 12,
    fmt: Annotated[Output, typer.Option("--format", "-f", help="table or json.")] = Output.TABLE,
) -> None:
    """Compliance over time: each phase's share of organisations, and each organisation's phases, scan after scan."""
    try:
        pol = load_policy(policy)
    except PolicyError as e:
        raise _fail(EXIT_USAGE, str(e)) from None
    points: list[TrendPoint] = []
    if db.exists():
        store = _open(db)
        try:
            points = load_trend(store, pol, limit=limit, audit=audit_name)
        except StoreError as e:
            raise _fail(EXIT_CANNOT_RUN, str(e)) from None
        finally:
            store.close()
    if fmt is Output.JSON:
        print(msgspec.json.encode(points).decode())
        return
    out = Console(highlight=False)
    if not points:
        out.print(Text(f"no complete scans in {db} yet"))
        return
    phases = [p.id for p in pol.phases]
    table = Table(title=f"Organisations attaining each phase, scan after scan (policy {pol.id})")
    for col in ("Scan", "Started (UTC)", "Hosts", *phases):
        table.add_column(col, justify="right" if col not in ("Started (UTC)",) else "left")
    for p in points:
        table.add_row(str(p.scan_id), p.started.replace("T", " ").removesuffix("Z"),
                      f"{p.hosts}{' *' if p.targets_changed else ''}",
                      *(f"{p.shares.get(ph, 0):.0%} ({p.attained.get(ph, 0)}/{p.totals.get(ph, 0)})" for ph in phases))
    out.print(table)
    if any(p.targets_changed for p in points):
        out.print(Text("* the target list changed since the previous scan: shares are over other hosts", style="yellow"))
    orgs = Table(title="Phases attained by each organisation (one ✓ or ✗ per phase, in the order above)")
    orgs.add_column("Organisation")
    for p in points:
        orgs.add_column(f"scan {p.scan_id}", justify="center")
    for org in sorted({o for p in points for o in p.orgs}, key=lambda o: (o.casefold(), o)):
        orgs.add_row(Text(org), *(_org_cell(p, org, phases) for p in points))
    out.print(orgs)
    out.print(Text("✓ attained · ✗ not attained (or unknown) · – not in the scan · then compliant hosts / hosts",
                   style="dim"))


def _org_cell(point: TrendPoint, org: str, phases: list[str]) -> Text:
    found = point.orgs.get(org)
    if found is None:
        return Text("–", style="dim")
    text = Text()
    for phase in phases:
        text.append("✓" if phase in found.attained else "✗", style="green" if phase in found.attained else "red")
    return text.append(f" {found.compliant_hosts}/{found.hosts}")
