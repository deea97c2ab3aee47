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

from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import msgspec
import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from .safe_console import SafeConsole
from .catalogue import reason_line
from .cli_common import (EXIT_CANNOT_RUN, EXIT_INTERRUPTED, EXIT_USAGE, LANG_OPTION, LOOP_OPTION, Lang, Message, _fail,
                         app, chosen_loop, err, lang as run_lang, speak, warn, words)
from .loop import Loop, run as run_on
from .config import DEFAULT_DB

if TYPE_CHECKING:  # names of annotations only: their modules load when a command runs
    from .diff import Diff, HostDiff, ScanRef
    from .model import HostRecord
    from .policy import Policy
    from .scores import State
    from .store import Store
    from .trend import TrendPoint


class Output(StrEnum):
    TABLE = "table"
    JSON = "json"


DB_OPTION = typer.Option("--db", envvar="IPV6SCAN_DB", help="History database.")
POLICY_OPTION = typer.Option("--policy", "-p", help="Policy file (TOML) or shipped name. Default: ipv6-for-gov.")
CONFIG_OPTION = typer.Option("--config", "-c", help="An audit's config file: its history database, its audit name and its policy are used (no need for --db, --audit, --policy).")


def audit_defaults(config: Path | None, db: Path, audit_name: str | None,
                   policy: str | None) -> tuple[Path, str | None, str | None]:
    """(db, audit name, policy) from ``--config`` when given (what --audit and --policy say still wins); as given else."""
    from .audit import ConfigError, load_config
    if config is None:
        return db, audit_name, policy
    try:
        cfg = load_config(config)
    except ConfigError as e:
        raise _fail(EXIT_USAGE, e) from None
    return Path(cfg.database.path), audit_name or cfg.name, policy or cfg.policy


AUDIT_OPTION = typer.Option("--audit", help="Only the scans made by the audit of this name (its config's `name`).")


# ------------------------------------------------------------------ audit


@app.command()
def audit(
    config: Annotated[Path, typer.Option("--config", "-c", help="The audit's config file (TOML, docs/scheduling.md).")],
    fail_under: Annotated[list[str], typer.Option("--fail-under", help="PHASE=SHARE (0.5 or 50%): exit 4 when fewer organisations attain the phase. Repeatable; adds to the config's.")] = [],
    fmt: Annotated[Output, typer.Option("--format", "-f", help="What to print: table (for people) or json (the audit summary).")] = Output.TABLE,
    loop: Annotated[Loop, LOOP_OPTION] = Loop.AUTO,
    lang: Annotated[Optional[Lang], LANG_OPTION] = None,
) -> None:
    """Scan, diff with the previous audit, re-check regressions, write dated reports and metrics: one run for a scheduler.

    Messages and the terminal summary follow --lang (else the environment); the report files, the config's outputs.lang.
    """
    import asyncio  # here, not for --help
    from .audit import AuditError, ConfigError, load_config, parse_fail_under, run_audit
    from .policy import PolicyError, load_policy
    from .report import render_terminal
    from .report.i18n import percent
    from .waivers import WaiverError
    speak(lang)
    event_loop = chosen_loop(loop)
    try:
        cfg = load_config(config)
        minimums = parse_fail_under(fail_under)
    except (ConfigError, ValueError) as e:
        raise _fail(EXIT_USAGE, e) from None
    try:
        result, report = run_audit(cfg, fail_under=minimums, run=lambda work: run_on(work, event_loop, sigterm=True),
                                   log=_log)
        pol = load_policy(cfg.policy)
    except (ConfigError, PolicyError, WaiverError) as e:
        raise _fail(EXIT_USAGE, e) from None
    except AuditError as e:
        raise _fail(EXIT_CANNOT_RUN, e) from None
    except (KeyboardInterrupt, asyncio.CancelledError):
        _interrupted("audit_interrupted", db=cfg.database.path)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    if fmt is Output.JSON:
        print(msgspec.json.encode(result).decode())
    else:
        out = SafeConsole(highlight=False)
        render_terminal(report, out, lang=run_lang(), titles=_titles(pol))
        if result.diff is not None:
            _print_diff(result.diff, out, pol)
        else:
            out.print(Text(words("audit_first", name=cfg.name)))
        for t in result.thresholds:
            out.print(Text(words("threshold_line", phase=_phase(pol, t.phase), share=percent(t.share, run_lang()),
                                 minimum=percent(t.minimum, run_lang()),
                                 result=words("threshold_met" if t.met else "threshold_not_met")),
                           style="green" if t.met else "bold red"))
    for path in result.reports:
        err.print(Text(words("wrote", path=path)))
    if result.metrics:
        err.print(Text(words("wrote_metrics", path=result.metrics)))
    for problem in _problems(result, pol):
        err.print(Text(words("audit_exit", code=result.exit_code, problem=problem), style="bold red"))
    raise typer.Exit(result.exit_code)


def _log(message: Message) -> None:
    err.print(Text(words(message)))


def _interrupted(key: str, **values: object) -> None:
    err.print(Text.assemble((words("interrupted_word"), "yellow"), words(key, **values)))


def _titles(pol: Policy) -> dict[str, dict[str, str]]:
    return {item.id: {"vi": item.title.vi, "en": item.title.en} for item in (pol, *pol.phases, *pol.criteria)}


def _phase(pol: Policy, phase: str) -> str:
    """A phase's short title in the run's language (its id when the policy has no such phase)."""
    item = next((p for p in pol.phases if p.id == phase), None)
    return (getattr(item.title, run_lang()) or phase).split(": ", 1)[0] if item else phase


def _problems(result, pol: Policy) -> list[str]:
    """Why the audit exits non-zero, in the run's language (the audit JSON keeps them in English)."""
    from .audit import EXIT_REGRESSIONS
    from .report.i18n import percent
    lines = []
    if result.exit_code == EXIT_REGRESSIONS and result.diff is not None:
        hosts = [h.display for h in result.diff.regressions]
        lines.append(words("audit_regressed", scan=result.diff.before.scan_id, hosts=", ".join(hosts)))
    lines += [words("audit_under", phase=_phase(pol, t.phase), share=percent(t.share, run_lang()),
                    minimum=percent(t.minimum, run_lang())) for t in result.thresholds if not t.met]
    return lines or list(result.problems)


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
    lang: Annotated[Optional[Lang], LANG_OPTION] = None,
    config: Annotated[Optional[Path], CONFIG_OPTION] = None,
) -> None:
    """Regressions and improvements between two scans, per host and per organisation, with the reasons.

    Regressions are final only once re-scanned: by the audit that made the scan, or here with --recheck.
    """
    import asyncio  # here, not for --help
    from .audit import AuditError, EXIT_REGRESSIONS
    from .diff import confirm, diff
    from .policy import PolicyError, load_policy
    from .store import StoreError
    from .trend import rechecks_of, scan_records
    speak(lang)
    db, audit_name, policy = audit_defaults(config, db, audit_name, policy)
    event_loop = chosen_loop(loop) if recheck else Loop.AUTO
    try:
        pol = load_policy(policy)
    except PolicyError as e:
        raise _fail(EXIT_USAGE, e) from None
    store = _open(db, readonly=not recheck) if db.exists() else None
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
                raise _fail(EXIT_USAGE, "recheck_needs_db")
            found = _recheck(found, store, new_ref.scan_id, new, pol, out_dir, lab_map, event_loop)
    except (StoreError, AuditError) as e:  # the database, or the re-scan's files
        raise _fail(EXIT_CANNOT_RUN, e) from None
    except (KeyboardInterrupt, asyncio.CancelledError):
        _interrupted("recheck_interrupted", db=db)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    finally:
        if store is not None:
            store.close()
    if found.targets_changed:
        warn("targets_changed_warning", added=len(found.added), removed=len(found.removed))
    if fmt is Output.JSON:
        print(msgspec.json.encode(found).decode())
    else:
        _print_diff(found, SafeConsole(highlight=False), pol)
    raise typer.Exit(EXIT_REGRESSIONS if exit_code and found.regressions else 0)


def _recheck(found: Diff, store: Store, scan_id: int, records: list[HostRecord], pol, out_dir: Path,
             lab_map: Path | None, loop: Loop) -> Diff:
    """``diff --recheck``: the flap check of an audit, on demand, with the options the later scan was made with."""
    from .audit import HistoryScans, scan_options_of
    from .net import LabNetwork, Network
    from .output import scan_stem
    try:
        options = scan_options_of(store.scan(scan_id).options)
        network = LabNetwork.from_file(lab_map) if lab_map else Network()
    except (ValueError, OSError, KeyError) as e:
        raise _fail(EXIT_USAGE, "option_problem", option="--recheck", problem=e) from None
    scans = HistoryScans(store, options, network, out_dir, run=lambda work: run_on(work, loop, sigterm=True),
                         log=_log)
    checked, _ = scans.recheck(found, records, pol, scan_id, scan_stem("-recheck"), delay=0.0, marks={})
    return checked


def _open(db: Path, *, readonly: bool) -> Store:
    from .store import Store, StoreError
    try:
        return Store(db, readonly=readonly)
    except StoreError as e:
        raise _fail(EXIT_CANNOT_RUN, e) from None


def _latest_pair(a: str | None, store: Store | None, db: Path, audit_name: str | None) -> tuple[str, str]:
    """The scans to compare when B (or both) is not given: A (or the one before the latest) and the latest."""
    from .trend import complete_scans
    latest = [str(row.id) for row in complete_scans(store, audit=audit_name)] if store else []
    if a is not None and latest:
        return a, latest[0]
    if a is None and len(latest) >= 2:
        return latest[1], latest[0]
    if audit_name:
        raise _fail(EXIT_USAGE, "diff_too_few_of_audit", db=db, n=len(latest), audit=audit_name)
    raise _fail(EXIT_USAGE, "diff_too_few", db=db, n=len(latest))


def _side(which: str, store: Store | None, db: Path) -> tuple[ScanRef, list[HostRecord]]:
    """One side of a diff: a scan of the history by id, or a saved scan file; its host records re-judged."""
    from .diff import ScanRef
    from .model import HostRecord, ScanHeader
    from .output import BadScanLine, read_scan
    from .trend import rejudged, scan_records
    if which.isdigit():
        if store is None:
            raise _fail(EXIT_USAGE, "no_scan_no_db", db=db, scan=which)
        try:
            row = store.scan(int(which))
        except KeyError:
            raise _fail(EXIT_USAGE, "no_scan", db=db, scan=which) from None
        if row.status != "complete":
            warn("scan_incomplete", scan=row.id, status=Message(f"status.{row.status}"))
        return ScanRef(label=f"scan {row.id}", started=row.started, scan_id=row.id), scan_records(store, row.id)
    path = Path(which)
    if not path.is_file():
        raise _fail(EXIT_USAGE, "not_scan_id_or_file", which=which)
    header, records = None, []
    for line in read_scan(path):
        if isinstance(line, BadScanLine):
            warn(line)
        elif isinstance(line, ScanHeader):
            header = header or line
        elif isinstance(line, HostRecord):
            records.append(line)
    return ScanRef(label=path.name, started=header.started if header else None), rejudged(records)


_SECTIONS = [  # the kind of change (diff.Change), its heading (ui.toml: diff.<change>), its style
    ("regressed", "bold red"),
    ("transient", "yellow"),
    ("improved", "bold green"),
    ("unknown", "magenta"),
    ("added", "cyan"),
    ("removed", "cyan"),
    ("changed", "dim"),
]


def _print_diff(found: Diff, out: Console, pol: Policy) -> None:
    """The diff for people: phases, then hosts by kind of change and organisation, then organisations."""
    from .diff import Change
    from .report.i18n import number, percent
    lang = run_lang()
    out.print(Text.assemble((words("diff_title"), "bold"), " ", _ref(found.before), " → ", _ref(found.after),
                            " · ", words("diff_policy", policy=found.policy, as_of=found.as_of)))
    if found.targets_changed:
        out.print(Text(words("targets_changed", added=len(found.added), removed=len(found.removed)), style="yellow"))
    table = Table(title=words("diff_phases_title"))
    for col in ("col_phase", "col_before", "col_after", "col_change"):
        table.add_column(words(col))
    for p in found.phases:
        delta = p.share_after - p.share_before
        table.add_row(Text(_phase(pol, p.phase)), f"{percent(p.share_before, lang)} ({p.attained_before}/{p.total_before})",
                      f"{percent(p.share_after, lang)} ({p.attained_after}/{p.total_after})",
                      Text(("+" if delta > 0 else "−") + percent(abs(delta), lang) if delta else "=",
                           style="red" if delta < 0 else "green" if delta else ""))
    out.print(table)
    for change, style in _SECTIONS:
        hosts = found.of(Change(change))
        if not hosts:
            continue
        out.print(Text(f"{words(f'diff.{change}')}: {number(len(hosts), lang)}", style=style))
        org = None
        for h in hosts:
            if h.org != org:
                org = h.org
                out.print(Text(f"  {org}", style="bold"))
            out.print(_host_line(h), soft_wrap=True)  # one line a host, however long: grep-able
    if found.orgs:
        out.print(Text(words("col_org"), style="bold"))
        for o in found.orgs:
            text = Text(f"  {o.org}: {_phase(pol, o.phase)} ")
            text.append_text(_attainment(o.before)).append(" → ").append_text(_attainment(o.after))
            if o.hosts:
                text.append(f" ({', '.join(o.hosts)})", style="dim")
            out.print(text)
    out.print(Text(words("diff_unchanged", n=number(found.unchanged, lang))))


def _ref(ref: ScanRef) -> Text:
    when = ref.started.replace("T", " ").removesuffix("Z") if ref.started else "?"
    label = words("scan_n", scan=ref.scan_id) if ref.scan_id is not None else ref.label
    return Text(words("scan_ref", label=label, when=when, hosts=ref.hosts))


def _host_line(h: HostDiff) -> Text:
    """``    host (kind): old → new · re-scan: verdict: reasons`` (the reasons of the later side; of the earlier when removed)."""
    from .output import verdict_style
    from .report.i18n import kind_label, verdict_label
    kind = kind_label(h.kind, run_lang()) if h.kind else "?"
    text = Text(f"    {h.display} ({kind}): ")
    for i, side in enumerate((h.before, h.after)):
        if i:
            text.append(" → ")
        text.append(verdict_label(side.verdict, run_lang()) if side else "—", style=verdict_style(side.verdict) if side else "")
    if h.recheck is not None:
        text.append(" · " + words("recheck_word") + " ").append(verdict_label(h.recheck.verdict, run_lang()),
                                                               style=verdict_style(h.recheck.verdict))
    shown = h.after or h.before
    if shown and shown.reasons:
        text.append(": " + "; ".join(reason_line(code, run_lang()) for code in shown.reasons))
    return text


def _attainment(state: State | None) -> Text:
    from .scores import State
    if state is None:
        return Text(words("not_in_scan"), style="dim")
    return Text(words(f"attain.{state.value}"), style={State.PASS: "green", State.EXPLAINED: "cyan", State.FAIL: "red"}.get(state, "yellow"))


# ------------------------------------------------------------------ trend


@app.command()
def trend(
    db: Annotated[Path, DB_OPTION] = DEFAULT_DB,
    policy: Annotated[Optional[str], POLICY_OPTION] = None,
    audit_name: Annotated[Optional[str], AUDIT_OPTION] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="How many of the latest complete scans.")] = 12,
    fmt: Annotated[Output, typer.Option("--format", "-f", help="table or json.")] = Output.TABLE,
    lang: Annotated[Optional[Lang], LANG_OPTION] = None,
    config: Annotated[Optional[Path], CONFIG_OPTION] = None,
) -> None:
    """Compliance over time: each phase's share of organisations, and each organisation's phases, scan after scan."""
    from .locales import collated
    from .policy import PolicyError, load_policy
    from .report.i18n import number, percent
    from .store import StoreError
    from .trend import load_trend
    speak(lang)
    db, audit_name, policy = audit_defaults(config, db, audit_name, policy)
    lang_ = run_lang()
    try:
        pol = load_policy(policy)
    except PolicyError as e:
        raise _fail(EXIT_USAGE, e) from None
    points: list[TrendPoint] = []
    if db.exists():
        store = _open(db, readonly=True)
        try:
            points = load_trend(store, pol, limit=limit, audit=audit_name)
        except StoreError as e:
            raise _fail(EXIT_CANNOT_RUN, e) from None
        finally:
            store.close()
    if fmt is Output.JSON:
        print(msgspec.json.encode(points).decode())
        return
    out = SafeConsole(highlight=False)
    if not points:
        out.print(Text(words("no_complete_scans", db=db)))
        return
    phases = [p.id for p in pol.phases]
    table = Table(title=Text(words("trend_title", policy=pol.id)))
    table.add_column(words("col_scan"), justify="right")
    table.add_column(words("col_started_utc"))
    table.add_column(words("col_hosts"), justify="right")
    for ph in phases:
        table.add_column(_phase(pol, ph), justify="right")
    for p in points:
        table.add_row(str(p.scan_id), p.started.replace("T", " ").removesuffix("Z"),
                      f"{number(p.hosts, lang_)}{' *' if p.targets_changed else ''}",
                      *(f"{percent(p.shares.get(ph, 0), lang_)} ({p.attained.get(ph, 0)}/{p.totals.get(ph, 0)})"
                        for ph in phases))
    out.print(table)
    if any(p.targets_changed for p in points):
        out.print(Text(words("trend_targets_changed"), style="yellow"))
    orgs = Table(title=Text(words("trend_orgs_title")))
    orgs.add_column(words("col_org"))
    for p in points:
        orgs.add_column(words("scan_n", scan=p.scan_id), justify="center")
    for org in collated({o for p in points for o in p.orgs}):
        orgs.add_row(Text(org), *(_org_cell(p, org, phases) for p in points))
    out.print(orgs)
    out.print(Text(words("trend_legend"), style="dim"))


def _org_cell(point: TrendPoint, org: str, phases: list[str]) -> Text:
    found = point.orgs.get(org)
    if found is None:
        return Text("–", style="dim")
    text = Text()
    for phase in phases:
        text.append("✓" if phase in found.attained else "✗", style="green" if phase in found.attained else "red")
    return text.append(f" {found.compliant_hosts}/{found.hosts}")
