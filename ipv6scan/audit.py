"""Scheduled compliance audits: one run, driven by a config file (format and examples: ``docs/scheduling.md``).

An audit scans the configured target lists into the history database and a
dated scan file, diffs the result against the previous complete scan *of the
same audit* (its ``name``), re-scans the hosts that regressed to rule out flaps,
scores the scan under the policy, writes dated reports (the HTML one with the
trend over past audits) and a JSON summary, and replaces a Prometheus textfile.
Its exit code says what a scheduler needs to act on (:data:`EXIT_REGRESSIONS`,
:data:`EXIT_UNDER_THRESHOLD`).

Flap check: the regressed hosts are scanned once more, after ``flap.delay``
seconds, by a fresh scanner with the same options. That re-scan is saved in the
history as a scan of its own (header option ``confirms_scan``: the audit scan's
id; file ``scan-<time>-recheck.jsonl``), so ``ipv6scan host NAME`` shows the flap,
while the audit's scan stays exactly what was observed in one pass. Diffs, trends
and the next audit's baseline leave re-scans out. A regression whose re-scan is
judged and no longer worse than the baseline is *transient*: reported, never
counted as a regression (see :func:`ipv6scan.diff.confirm`).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import tomllib
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from datetime import date, datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec

from .atomic import write_file
from .catalogue import Message, os_problem
from .errors import Ipv6scanError
from .addresses import parse_prefixes
from .config import ScanOptions, link_domains
from .diff import Change, Diff, ScanRef, confirm, diff
from .discover import discover, discovered_csv
from .locales import percent
from .metrics import audit_metrics, render, write_textfile
from .model import HostRecord, InputError
from .net import LabNetwork, Network, split_hostport
from .scanfile import scan_stem
from .waivers import Waivers, load_waivers
from .policy import Policy, load_policy, shipped_policies
from .report import FORMATS, write_reports
from .errors import CannotRun
from .session import EXIT_INTERRUPTED, History, Notices, Session, new_header
from .scores import PhaseTotal, ScoreReport
from .scoring import score
from .store import DEFAULT_DB, Store, StoreError, targets_digest
from .targets import Target, list_file_problem, read_targets
from .trend import AUDIT_OPTION, CONFIRMS_OPTION, complete_scans, load_trend, scan_records

EXIT_OK, EXIT_UNDER_THRESHOLD, EXIT_REGRESSIONS = 0, 4, 5

Share = Annotated[float, msgspec.Meta(ge=0, le=1)]
Runner = Callable[[Coroutine[Any, Any, object]], object]  # asyncio.run, or the CLI's wrapper (SIGTERM stops cleanly)


class ConfigError(Ipv6scanError, ValueError):
    """The config file cannot be used: the message names the file and the key."""


class AuditError(Ipv6scanError):
    """The audit could not run (scan, database, reports or metrics not writable)."""


# ------------------------------------------------------------------ the config file


class _Table(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """Config tables: unknown keys rejected (a typo is an error, not a no-op); each sets ``kw_only`` (not inherited)."""


class Outputs(_Table, kw_only=True):
    dir: str = "reports"  # scan files, reports and audit summaries, dated
    formats: list[str] = msgspec.field(default_factory=lambda: list(FORMATS))
    lang: Literal["vi", "en"] = "vi"
    metrics: str | None = None  # Prometheus textfile (node_exporter textfile collector), replaced atomically
    trend_scans: Annotated[int, msgspec.Meta(ge=1)] = 12  # audits shown in the HTML trend chart
    # discovered-<time>.csv: the government sites the scanned portals link to that the list does not hold
    # (targets discover), written when there are any
    discovered: bool = True


class Thresholds(_Table, kw_only=True):
    fail_under: dict[str, Share] = {}  # phase id -> least share of organisations attaining it (else exit 4)
    fail_on_regression: bool = True  # confirmed regressions -> exit 5


class Flap(_Table, kw_only=True):
    recheck: bool = True  # re-scan regressed hosts once before calling them regressions
    delay: Annotated[float, msgspec.Meta(ge=0)] = 30.0  # seconds to wait before the re-scan


class Database(_Table, kw_only=True):
    path: str = str(DEFAULT_DB)
    # Days of this audit's scans kept: after a run, its scans (and their re-scans) started more than this many
    # days before it are deleted and the file compacted. None: every scan is kept.
    keep_days: Annotated[int, msgspec.Meta(ge=1)] | None = None


class AuditConfig(_Table, kw_only=True):
    """A whole config file; paths are made absolute (relative ones: to the config file's folder) on loading."""

    name: str = ""  # the audit's name in the history (default: the config file's name without .toml)
    targets: Annotated[list[str], msgspec.Meta(min_length=1)]
    policy: str = "ipv6-for-gov"  # a shipped policy's name or a policy file
    waivers: str | None = None  # accepted explanations (docs/waivers.md), checked against the policy before the scan
    outputs: Outputs = Outputs()
    thresholds: Thresholds = Thresholds()
    flap: Flap = Flap()
    database: Database = Database()
    scan: dict[str, Any] = {}  # ScanOptions fields (docs/scheduling.md), plus lab_map (tests)
    origin: str = ""  # the config file (set on loading)

    def scan_options(self) -> ScanOptions:
        """The ``[scan]`` table as ScanOptions; ConfigError naming the key if it is not valid."""
        fields = set(ScanOptions.__struct_fields__)
        unknown = sorted(set(self.scan) - fields - {"lab_map"})
        if unknown:
            raise ConfigError(Message("config_unknown_option", origin=self.origin, key=f"scan.{unknown[0]}",
                                      known=", ".join(sorted(fields))))
        if not isinstance(self.scan.get("lab_map", ""), str):
            raise ConfigError(Message("config_key_problem", origin=self.origin, key="scan.lab_map", problem="Expected `str`"))
        try:
            options = msgspec.convert({k: v for k, v in self.scan.items() if k != "lab_map"}, ScanOptions)
        except msgspec.ValidationError as e:
            raise ConfigError(_conversion_error(self.origin, str(e), prefix="scan.")) from None
        for i, resolver in enumerate(options.resolvers):
            try:
                split_hostport(resolver, 53)
            except ValueError as e:
                raise ConfigError(Message("config_key_problem", origin=self.origin, key=f"scan.resolvers[{i}]",
                                          problem=e)) from None
        try:
            parse_prefixes(options.allow_special)
        except ValueError as e:
            raise ConfigError(Message("config_key_problem", origin=self.origin, key="scan.allow_special",
                                      problem=e)) from None
        try:
            options.link_domains = link_domains(options.link_domains)
        except ValueError as e:
            raise ConfigError(Message("config_key_problem", origin=self.origin, key="scan.link_domains",
                                      problem=e)) from None
        if options.tls_profile is not None:
            from .checks._profiles import ProfileError, tls_profile
            try:
                tls_profile(options.tls_profile)
            except ProfileError as e:
                raise ConfigError(Message("config_key_problem", origin=self.origin, key="scan.tls_profile",
                                          problem=e)) from None
        for i, bundle in enumerate(options.ca_bundles):
            if not Path(bundle).is_file():
                raise ConfigError(Message("config_no_such_file", origin=self.origin, key=f"scan.ca_bundles[{i}]",
                                          path=bundle))
        return options

    def network(self) -> Network:
        """The network scans go through: the real one, or a lab routing table (``scan.lab_map``, tests)."""
        lab_map = self.scan.get("lab_map")
        if lab_map is None:
            return Network()
        try:
            return LabNetwork.from_file(lab_map)
        except (OSError, ValueError, KeyError) as e:
            raise ConfigError(Message("config_key_problem", origin=self.origin, key="scan.lab_map",
                                      problem=f"{lab_map}: {e}")) from None


def scan_options_of(header_options: dict[str, Any]) -> ScanOptions:
    """The ScanOptions a scan was made with, from its header's options (marks such as ``audit`` left out)."""
    fields = set(ScanOptions.__struct_fields__)
    try:
        return msgspec.convert({k: v for k, v in header_options.items() if k in fields}, ScanOptions)
    except msgspec.ValidationError as e:
        raise ValueError(f"the scan's saved options are not valid for this version: {e}") from None


def load_config(path: str | Path) -> AuditConfig:
    """Read, validate and resolve a config file; ConfigError says which key is wrong and why."""
    origin = str(path)
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(Message("config_missing", origin=origin)) from None
    except OSError as e:
        raise ConfigError(Message("config_unreadable", origin=origin, problem=os_problem(e))) from None
    except UnicodeDecodeError as e:
        raise ConfigError(Message("config_unreadable", origin=origin, problem=e)) from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(Message("config_not_toml", origin=origin, problem=e)) from None
    if "origin" in data:
        raise ConfigError(Message("config_unknown_key", origin=origin, key="origin"))
    try:
        config = msgspec.convert(data, AuditConfig)
    except msgspec.ValidationError as e:
        raise ConfigError(_conversion_error(origin, str(e))) from None
    config = _resolved(config, Path(path), origin)
    _check(config)
    return config


def _conversion_error(origin: str, message: str, prefix: str = "") -> Message:
    """msgspec's "problem - at `$.outputs.lang`" as "file: outputs.lang: problem" (msgspec's problem in its words)."""
    problem, _, where = message.partition(" - at ")
    key = prefix + where.strip("`").removeprefix("$").lstrip(".")
    return Message("config_key_problem", origin=origin, key=key.rstrip(".") or Message("top_level"), problem=problem)


def _resolved(config: AuditConfig, path: Path, origin: str) -> AuditConfig:
    """Relative paths made relative to the config file's folder; the default name filled in."""
    base = path.resolve().parent

    def at(p: str) -> str:
        return os.path.normpath(base / Path(p).expanduser())

    scan = dict(config.scan)
    if isinstance(scan.get("ca_bundles"), list):
        scan["ca_bundles"] = [at(b) if isinstance(b, str) else b for b in scan["ca_bundles"]]
    if isinstance(scan.get("lab_map"), str):
        scan["lab_map"] = at(scan["lab_map"])
    policy = config.policy if config.policy in shipped_policies() else at(config.policy)
    outputs = msgspec.structs.replace(config.outputs, dir=at(config.outputs.dir),
                                      metrics=at(config.outputs.metrics) if config.outputs.metrics else None)
    return msgspec.structs.replace(
        config, name=config.name or path.stem, targets=[at(t) for t in config.targets], policy=policy,
        waivers=at(config.waivers) if config.waivers else None,
        outputs=outputs, database=msgspec.structs.replace(config.database, path=at(config.database.path)), scan=scan, origin=origin)


def _check(config: AuditConfig) -> None:
    """What types cannot say: files exist, report formats are known, the scan options are valid."""
    for i, target in enumerate(config.targets):
        if problem := list_file_problem(target):
            raise ConfigError(Message("config_bad_file", origin=config.origin, key=f"targets[{i}]", path=target,
                                      problem=problem))
    bad = [f for f in config.outputs.formats if f not in FORMATS]
    if bad:
        raise ConfigError(Message("config_unknown_format", origin=config.origin, format=bad[0], known=", ".join(FORMATS)))
    if not config.name.strip():
        raise ConfigError(Message("config_empty_name", origin=config.origin))
    config.scan_options()


def parse_fail_under(texts: list[str]) -> dict[str, float]:
    """``PHASE=SHARE`` options (SHARE: 0.5 or 50%) as {phase: share}; ValueError naming the bad one."""
    found = {}
    for text in texts:
        phase, sep, value = text.partition("=")
        try:
            share = float(value.removesuffix("%")) / (100 if value.endswith("%") else 1)
        except ValueError:
            share = -1.0
        if not sep or not phase or not 0 <= share <= 1:
            raise ConfigError(Message("fail_under_bad", text=repr(text)))
        found[phase] = share
    return found


# ------------------------------------------------------------------ the result


class ThresholdResult(msgspec.Struct, kw_only=True):
    phase: str
    share: float  # of organisations attaining it
    minimum: float
    met: bool


class AuditResult(msgspec.Struct, kw_only=True):
    """What one audit did and found (also written as ``audit-<time>.json`` next to its reports)."""

    name: str
    config: str
    exit_code: int
    problems: list[str] = []  # why the exit code is not 0, for people
    scan_id: int
    scan_file: str
    started: str
    finished: str | None
    duration_s: float
    hosts: int
    verdicts: dict[str, int]
    input_errors: int
    baseline_scan_id: int | None = None  # the previous complete scan of this audit (None: first audit)
    recheck_scan_id: int | None = None  # the flap re-scan, if regressions were re-scanned
    diff: Diff | None = None
    phases: list[PhaseTotal] = []
    thresholds: list[ThresholdResult] = []
    reports: list[str] = []
    metrics: str | None = None


# ------------------------------------------------------------------ the audit


def run_audit(
    config: AuditConfig,
    *,
    fail_under: dict[str, float] | None = None,
    run: Runner = asyncio.run,
    log: Callable[[Message], None] = lambda _: None,
) -> tuple[AuditResult, ScoreReport]:
    """Scan, diff, re-check regressions, score, write reports and metrics; the result and the scores.

    ``fail_under`` adds to / overrides ``thresholds.fail_under``. Raises ConfigError
    (or PolicyError) for what the config asks that cannot be done, AuditError when
    the audit could not run, KeyboardInterrupt / CancelledError when stopped.
    """
    policy = load_policy(config.policy)
    waivers = load_waivers(config.waivers, policy) if config.waivers else None  # a bad file stops it before the scan
    minimums = {**config.thresholds.fail_under, **(fail_under or {})}
    phases = [p.id for p in policy.phases]
    for phase in minimums:
        if phase not in phases:
            raise ConfigError(Message("fail_under_unknown_phase", phase=phase, policy=policy.id, phases=", ".join(phases)))
    options, network = config.scan_options(), config.network()
    try:
        with Store(config.database.path) as store:
            return _Audit(config, store, options, network, run, log).run(policy, minimums, waivers)
    except StoreError as e:
        raise AuditError(*e.args) from None
    except OSError as e:
        raise AuditError(Message("audit_cannot_write", problem=os_problem(e))) from None


class _Audit:
    """One audit run: its config, and the scans it makes into the history."""

    def __init__(self, config: AuditConfig, store: Store, options: ScanOptions, network: Network, run: Runner,
                 log: Callable[[Message], None]) -> None:
        self.config, self.store, self.log = config, store, log
        self.out_dir = Path(config.outputs.dir)
        self.options = options
        self.scans = HistoryScans(store, options, network, self.out_dir, run=run, log=log)

    def run(self, policy: Policy, minimums: dict[str, float], waivers: Waivers | None) -> tuple[AuditResult, ScoreReport]:
        config, store = self.config, self.store
        previous = next(iter(complete_scans(store, audit=config.name)), None)
        seen: set[str] = set()
        items = itertools.chain.from_iterable(read_targets(t, seen=seen) for t in config.targets)
        scan_id, scan_file = self.scans.scan(items, scan_stem(),
                                       marks={AUDIT_OPTION: config.name}, digest=targets_digest(*config.targets),
                                       source=", ".join(config.targets))
        stamp = scan_file.stem.removeprefix("scan-")  # the audit's files are named after its scan file: never reused
        row = store.scan(scan_id)
        self.log(Message("audit_scan_done", scan=scan_id, hosts=row.hosts, errors=row.input_errors, path=scan_file))
        records = scan_records(store, scan_id)
        found, recheck_id = None, None
        if previous is not None:
            found = diff(scan_records(store, previous.id), records, policy,
                         as_of=datetime.fromisoformat(row.started).date(),
                         before_ref=ScanRef(label=f"scan {previous.id}", started=previous.started, scan_id=previous.id),
                         after_ref=ScanRef(label=f"scan {scan_id}", started=row.started, scan_id=scan_id))
            if found.regressions and config.flap.recheck:
                found, recheck_id = self.scans.recheck(found, records, policy, scan_id, f"scan-{stamp}-recheck",
                                                       delay=config.flap.delay, marks={AUDIT_OPTION: config.name})
        report = score(records, policy, scan_started=row.started, scan_file=str(scan_file), lang=config.outputs.lang,
                       waivers=waivers)
        trend = load_trend(store, policy, limit=config.outputs.trend_scans, audit=config.name)
        paths = _write_reports(report, policy, [(p.started, p.shares) for p in trend], found, self.out_dir,
                               f"report-{stamp}-{policy.id}-{config.outputs.lang}", config.outputs)
        if config.outputs.discovered:
            paths += self._discovered(records, stamp)
        thresholds = [_threshold(next(p for p in report.phases if p.phase == phase), share)
                      for phase, share in minimums.items()]
        code, problems = _verdict(found, thresholds, config.thresholds.fail_on_regression)
        result = AuditResult(
            name=config.name, config=config.origin, exit_code=code, problems=problems, scan_id=scan_id,
            scan_file=str(scan_file), started=row.started, finished=row.finished, duration_s=row.elapsed_s or 0.0,
            hosts=row.hosts, verdicts=row.verdicts, input_errors=row.input_errors,
            baseline_scan_id=previous.id if previous else None, recheck_scan_id=recheck_id, diff=found,
            phases=report.phases, thresholds=thresholds, reports=[str(p) for p in paths],
            metrics=config.outputs.metrics,
        )
        summary_file = self.out_dir / f"audit-{stamp}.json"
        write_file(summary_file, msgspec.json.format(msgspec.json.encode(result), indent=1) + b"\n")
        result.reports.append(str(summary_file))
        if config.outputs.metrics:
            families = audit_metrics(report, verdicts=row.verdicts, duration_s=result.duration_s,
                                     input_errors=row.input_errors, regressions=len(found.regressions) if found else 0,
                                     transient=len(found.of(Change.TRANSIENT)) if found else 0,
                                     finished=datetime.fromisoformat(row.finished or row.started).timestamp(),
                                     exit_code=code)
            write_textfile(config.outputs.metrics, render(families))
        if config.database.keep_days is not None:
            self._prune(datetime.fromisoformat(row.started).date() - timedelta(days=config.database.keep_days))
        return result, report

    def _prune(self, before: date) -> None:
        """This audit's scans started before ``before`` deleted (``[database] keep_days``), the file compacted."""
        scans, hosts = self.store.prune(before.isoformat(), marked=(AUDIT_OPTION, self.config.name))
        if scans:
            self.store.vacuum()
        self.log(Message("audit_pruned", scans=scans, hosts=hosts, day=before.isoformat()))

    def _discovered(self, records: list[HostRecord], stamp: str) -> list[Path]:
        """``discovered-<stamp>.csv`` when the scanned pages link to government sites the list does not hold."""
        found, _ = discover(records, self.options.link_domains)
        if not found:
            return []
        path = self.out_dir / f"discovered-{stamp}.csv"
        write_file(path, discovered_csv(found).encode("utf-8"))
        self.log(Message("audit_discovered", n=len(found), path=path))
        return [path]


class HistoryScans:
    """Scans into the history database and new files under ``out_dir``: an audit's, and flap re-scans (also ``diff --recheck``)."""

    def __init__(self, store: Store, options: ScanOptions, network: Network, out_dir: Path, *, run: Runner = asyncio.run,
                 log: Callable[[Message], None] = lambda _: None) -> None:
        self.store, self.options, self.network, self.out_dir, self.runner, self.log = store, options, network, out_dir, run, log

    def scan(self, items: Iterable[Target | InputError], stem: str, *, marks: dict[str, object], digest: str,
             source: str, delay: float = 0.0) -> tuple[int, Path]:
        """One scan into the history and a new file ``<outputs.dir>/<stem>.jsonl``; its id and file."""
        header = new_header(self.options, marks)
        history = History(self.store, digest=digest, source=source, header=header, row=None, save=True)
        problems: list[object] = []
        session = Session(history=history, save_dir=self.out_dir, stem=stem, marks=marks,
                          notices=Notices(error=problems.append))
        try:
            from .pipeline import scan_all  # the scanner loads when an audit scans, not with the CLI's --help

            code = session.run(lambda sink, on_line: _after(delay, scan_all(items, self.options, sink,
                                                                            network=self.network)),
                               runner=self.runner, close_store=False)
        except CannotRun as e:
            raise AuditError(*e.args) from None
        if code == EXIT_INTERRUPTED:
            raise KeyboardInterrupt
        if code != EXIT_OK:
            raise AuditError(problems[0] if len(problems) == 1 else Message("audit_scan_failed", problems=problems))
        assert history.scan_id is not None and session.saved is not None
        return history.scan_id, session.saved

    def recheck(self, found: Diff, records: list[HostRecord], policy: Policy, scan_id: int, stem: str, *,
                delay: float, marks: dict[str, object]) -> tuple[Diff, int]:
        """The flap check: re-scan the regressed hosts of ``records`` (scan ``scan_id``) once, after ``delay`` s,
        with a fresh scanner and this object's options; the diff with transient ones marked, and the re-scan's id."""
        regressed = {h.host for h in found.regressions}
        targets = [Target(host=r.facts.host, display=r.facts.display, input=r.facts.input, line=r.facts.line or 0,
                          source=f"scan {scan_id}", org=r.facts.org, kind=r.facts.kind, tags=list(r.facts.tags))
                   for r in records if r.facts.host in regressed]
        self.log(Message("audit_rechecking", n=len(targets), delay=f"{delay:g}"))
        recheck_id, _ = self.scan(targets, stem, marks={**marks, CONFIRMS_OPTION: scan_id},
                                  digest="", source=f"re-scan of {len(targets)} regressed hosts of scan {scan_id}",
                                  delay=delay)
        checked = confirm(found, scan_records(self.store, recheck_id), policy)
        self.log(Message("audit_rechecked", scan=recheck_id, confirmed=len(checked.regressions),
                         transient=len(targets) - len(checked.regressions)))
        return checked, recheck_id


async def _after(delay: float, work: Awaitable[object]) -> object:
    """``work`` after ``delay`` seconds (a wait the CLI's SIGTERM handling can stop like the scan)."""
    if delay:
        await asyncio.sleep(delay)
    return await work


def _write_reports(report: ScoreReport, policy: Policy, trend: list[tuple[str, dict[str, float]]],
                   changes: Diff | None, out_dir: Path, stem: str, outputs: Outputs) -> list[Path]:
    """The report files of the scan: the HTML page with the trend chart, HTML and Markdown with what changed."""
    titles = {item.id: {"vi": item.title.vi, "en": item.title.en} for item in (policy, *policy.phases, *policy.criteria)}
    return write_reports(report, out_dir, stem=stem, lang=outputs.lang, titles=titles, formats=outputs.formats,
                         trend=trend, changes=changes)


def _threshold(total: PhaseTotal, minimum: float) -> ThresholdResult:
    met = bool(total.orgs_total) and Fraction(total.orgs_attained, total.orgs_total) >= Fraction(str(minimum))
    return ThresholdResult(phase=total.phase, share=total.share, minimum=minimum, met=met)


def _verdict(found: Diff | None, thresholds: list[ThresholdResult], fail_on_regression: bool) -> tuple[int, list[str]]:
    """The exit code (regressions first, then thresholds) and every reason for a non-zero one."""
    problems = []
    regressions = found.regressions if found and fail_on_regression else []
    if regressions:
        problems.append(f"regressed since scan {found.before.scan_id}, confirmed: "  # type: ignore[union-attr]
                        + ", ".join(h.display for h in regressions))
    under = [t for t in thresholds if not t.met]
    problems += [f"{t.phase}: {percent(t.share, 'en')} of organisations attain it, under the {percent(t.minimum, 'en')} required"
                 for t in under]
    code = EXIT_REGRESSIONS if regressions else EXIT_UNDER_THRESHOLD if under else EXIT_OK
    return code, problems

