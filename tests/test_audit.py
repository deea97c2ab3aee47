"""Audits through the real CLI against the loopback lab, with the network changing between runs.

Run 1: the baseline. Between runs 1 and 2 the lab's routing table (the file the
config's ``scan.lab_map`` names) is rewritten: dual.gov.example's IPv6 address
now leads to a closed port (a real regression), and cổng.gov.example's IPv6 HTTPS
goes through a relay that resets only its first connection (a flap: the audit's
scan sees it fail, the re-scan does not). Run 3 adds a host to the target list.
"""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
import threading
from pathlib import Path

import msgspec
import pytest

from bench.delay_proxy import pipe
from ipv6scan.audit import AuditResult, ConfigError, load_config
from ipv6scan.diff import Change, Diff
from ipv6scan.net import format_hostport
from ipv6scan.report.html import render_html
from ipv6scan.scores import PhaseTotal, ScoreReport
from ipv6scan.testnet.lab import ALLOW, IDN_HOST, ORGS

from .conftest import REPO, run_cli
from .test_metrics import parse as parse_metrics

IDN = IDN_HOST.encode("idna").decode()
HOSTS = ["dual.gov.example", "www.gov.example", IDN_HOST, "v4only.gov.example", "refuse6.gov.example",
         "nx.gov.example"]
EXTRA = "diff6.gov.example"


class FlakyRelay:
    """A TCP relay on ::1 to a lab listener that resets its first ``failures`` connections (a flapping server)."""

    def __init__(self, target: tuple[str, int], failures: int) -> None:
        self.target, self.failures = target, failures
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="flaky-relay", daemon=True)
        self.handlers: set[asyncio.Task] = set()

    def __enter__(self) -> int:
        self.thread.start()
        return asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(10)

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()

    async def _start(self) -> int:
        self.server = await asyncio.start_server(self._handle, "::1", 0)
        return self.server.sockets[0].getsockname()[1]

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.failures > 0:
            self.failures -= 1
            writer.transport.abort()  # RST: the client sees the connection reset
            return
        self.handlers.add(asyncio.current_task())
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self.handlers.discard(asyncio.current_task())

    async def _close(self) -> None:
        self.server.close()
        for task in list(self.handlers):
            task.cancel()
        await asyncio.gather(*self.handlers, return_exceptions=True)
        await self.server.wait_closed()


def write_targets(path: Path, hosts: list[str]) -> None:
    path.write_text("host,org,kind\n" + "".join(f"{h},{ORGS[h][0]},{ORGS[h][1]}\n" for h in hosts), encoding="utf-8")


def write_config(work: Path, lab, **extra: str) -> Path:
    config = work / "audit.toml"
    scan = {"resolvers": [lab.resolver], "allow_special": ALLOW, "ca_bundles": [lab.ca_bundle], "ipv6": "yes",
            "connect_timeout": 1.0, "read_timeout": 1.0, "dns_timeout": 1.0, "lab_map": "lab-routes.json",
            "link_domains": ["gov.example"]}
    lines = ['name = "lab-weekly"', 'targets = ["targets.csv"]', "", "[outputs]", 'dir = "out/reports"',
             'lang = "en"', 'metrics = "textfile/ipv6scan.prom"', "", "[flap]", "delay = 0", "",
             "[database]", 'path = "out/history.sqlite"', "", "[scan]"]
    lines += [f"{k} = {json.dumps(v)}" for k, v in scan.items()]
    config.write_text("\n".join(lines) + "\n" + "".join(f"{v}\n" for v in extra.values()), encoding="utf-8")
    return config


def audit(config: Path, *args: str) -> tuple[int, AuditResult | None, str]:
    proc = run_cli("audit", "--config", str(config), *args)
    assert "Traceback" not in proc.stderr, proc.stderr
    result = msgspec.json.decode(proc.stdout, type=AuditResult) if "json" in args else None
    return proc.returncode, result, proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def audits(lab, tmp_path_factory):
    """Three audits of a changing lab: (work dir, [(exit code, result, output)] of each run)."""
    work = tmp_path_factory.mktemp("audit")
    write_targets(work / "targets.csv", HOSTS)
    routes = lab.network.routes
    (work / "lab-routes.json").write_text(lab.network.to_json())
    config = write_config(work, lab)
    runs = [audit(config, "--format", "json")]

    changed = dict(routes)
    closed = ("::1", lab.web.free_port("::1"))
    changed[("2001:db8::10", 80)] = changed[("2001:db8::10", 443)] = closed  # dual.gov.example: IPv6 down
    with FlakyRelay(routes[("2001:db8::21", 443)], failures=1) as relay_port:
        changed[("2001:db8::21", 443)] = ("::1", relay_port)  # cổng.gov.example: HTTPS over IPv6 flaps once
        table = {format_hostport(*k): format_hostport(*v) for k, v in changed.items()}
        (work / "lab-routes.json").write_text(json.dumps({"routes": table}))
        runs.append(audit(config, "--format", "json", "--fail-under", "phase1=0.5"))
        write_targets(work / "targets.csv", [*HOSTS, EXTRA])
        runs.append(audit(config, "--fail-under", "phase1=50%"))
    return work, runs


def test_first_audit_is_the_baseline(audits):
    work, runs = audits
    code, result, output = runs[0]
    assert code == 0, output
    assert result.baseline_scan_id is None and result.diff is None and result.recheck_scan_id is None
    assert result.hosts == len(HOSTS) and result.verdicts["ready"] == 3
    assert result.problems == []


def test_second_audit_confirms_the_regression_and_not_the_flap(audits):
    _, runs = audits
    code, result, output = runs[1]
    assert code == 5, output  # regressions win over the unmet threshold
    assert result.baseline_scan_id == runs[0][1].scan_id
    found = result.diff
    (regressed,) = found.regressions
    assert regressed.host == "dual.gov.example"
    assert (regressed.before.verdict, regressed.after.verdict) == ("ready", "broken_ipv6")
    assert {"http_refused_ipv6", "https_refused_ipv6"} <= set(regressed.after.reasons)
    assert regressed.recheck.verdict == "broken_ipv6"
    (transient,) = found.of(Change.TRANSIENT)
    assert transient.host == IDN and transient.after.verdict == "partial" and transient.recheck.verdict == "ready"
    assert result.recheck_scan_id is not None
    lost = [o for o in found.orgs if o.org == "Tỉnh Mẫu A" and o.phase == "phase1"]
    assert lost and lost[0].lost and "dual.gov.example" in lost[0].hosts
    assert [t.met for t in result.thresholds] == [False]
    assert len(result.problems) == 2 and "dual.gov.example" in result.problems[0] and "phase1" in result.problems[1]
    assert "exit 5: regressed since scan" in output


def test_unmet_fail_under_exits_4_in_the_table_format(audits):
    _, runs = audits
    code, _, output = runs[2]
    assert code == 4, output
    assert "Phase 1 (2021–2022): 0% attained, at least 50% required: NOT MET" in output
    assert "Improvements: 1" in output  # the flapping host is ready again: better than its last scan


def test_reports_and_metrics_under_the_configured_dirs(audits):
    work, runs = audits
    reports = work / "out" / "reports"
    scans = sorted(p.name for p in reports.glob("scan-*.jsonl"))
    assert len(scans) == 4 and sum(name.endswith("-recheck.jsonl") for name in scans) == 1
    assert len(list(reports.glob("audit-*.json"))) == 3  # one dated set of files per audit
    for ext in ("md", "html", "json"):
        assert len(list(reports.glob(f"report-*-ipv6-for-gov-en.{ext}"))) == 3
    _, result, _ = runs[1]
    assert all(Path(p).parent == reports for p in result.reports)
    html = Path(next(p for p in result.reports if p.endswith(".html"))).read_text(encoding="utf-8")
    # the government sites dual.gov.example's menu links to that the list does not hold: candidates, each audit
    (discovered,) = [p for p in result.reports if Path(p).name.startswith("discovered-")]
    rows = Path(discovered).read_text(encoding="utf-8").splitlines()
    assert [r.split(",")[0] for r in rows[1:]] == ["timeout6.gov.example"]  # (v4only and www are listed)
    assert "Organisations attaining each phase, scan after scan" in html and html.count("<polyline") == 8  # one line per phase
    for ext in ("md", "html"):  # what changed since the previous audit (issue 15)
        text = Path(next(p for p in result.reports if p.endswith(f".{ext}"))).read_text(encoding="utf-8")
        text = text.replace("\\", "")  # Markdown's escapes
        assert "What changed since the last audit" in text and f"scan {runs[0][1].scan_id} (" in text, ext
        changed = text.split("What changed since the last audit")[1].split("Compliance by system kind")[0]
        assert "Regressions: 1" in changed and "dual.gov.example" in changed and "Broken IPv6" in changed
        assert "re-scan" in changed and "Improvements" not in changed
        assert "Tỉnh Mẫu A: Phase 1 (2021–2022): attained → not attained" in changed
        assert "The target list changed" not in changed
    last = runs[2][1] if runs[2][1] else None
    # told apart by the audit that wrote them, not by name: two audits in one second are named ...Z and ...Z-2
    mds = set(reports.glob("report-*-ipv6-for-gov-en.md"))
    written = [next(Path(p) for p in runs[i][1].reports if p.endswith(".md")) for i in (0, 1)]
    (third_path,) = mds - set(written)
    third = third_path.read_text(encoding="utf-8").replace("\\", "")
    assert "The target list changed: 1 hosts added, 0 removed" in third and "Added to the list: 1" in third
    assert "diff6.gov.example" in third.split("Added to the list")[1]
    first = written[0].read_text(encoding="utf-8")
    assert "What changed since the last audit" not in first and last is None  # the baseline has nothing to compare
    metrics = parse_metrics((work / "textfile" / "ipv6scan.prom").read_text(encoding="utf-8"))
    values = {name: family["samples"] for name, family in metrics.items()}
    assert values["ipv6scan_regressions"] == [({}, 0.0)]  # the last audit: nothing new
    assert values["ipv6scan_audit_exit_code"] == [({}, 4.0)]  # the last audit exited 4: phase1 under 50 %
    assert dict((s["verdict"], v) for s, v in values["ipv6scan_hosts"])["broken_ipv6"] == 2  # dual, refuse6
    assert ({"phase": "phase1"}, 0.0) in values["ipv6scan_phase_attainment_ratio"]
    assert ({"org": "Tỉnh Mẫu B", "phase": "phase1"}, 0.0) in values["ipv6scan_org_phase_attained"]
    assert values["ipv6scan_last_scan_timestamp_seconds"][0][1] > 1.7e9
    assert not list((work / "textfile").glob(".*"))  # no temporary file left


def test_diff_lists_the_regression_and_the_transient(audits):
    work, runs = audits
    db = work / "out" / "history.sqlite"
    first, second = runs[0][1].scan_id, runs[1][1].scan_id
    proc = run_cli("diff", str(first), str(second), "--db", str(db), "--exit-code")
    assert proc.returncode == 5, proc.stderr
    out = proc.stdout
    assert "Regressions: 1" in out and "Transient" in out and "Tỉnh Mẫu A" in out
    line = next(l for l in out.splitlines() if "dual.gov.example" in l)
    assert "Ready → Broken IPv6" in line and "HTTPS over IPv6 refused the connection on at least one address" in line
    flap = next(l for l in out.splitlines() if IDN_HOST in l)
    assert "re-scan: Ready" in flap
    assert "Phase 1 (2021–2022)" in out and "attained → not attained" in out
    as_json = run_cli("diff", str(first), str(second), "--db", str(db), "--format", "json", "--exit-code")
    assert as_json.returncode == 5  # the same exit code whatever the format
    found = msgspec.json.decode(as_json.stdout, type=Diff)
    assert [h.host for h in found.regressions] == ["dual.gov.example"]


def test_diff_of_the_last_two_scans_warns_that_the_list_changed(audits):
    work, runs = audits
    proc = run_cli("diff", "--db", str(work / "out" / "history.sqlite"), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert "warning: the target list changed between the two scans (1 hosts added, 0 removed)" in proc.stderr
    found = msgspec.json.decode(proc.stdout, type=Diff)
    second = runs[1][1]
    assert (found.before.scan_id, found.after.scan_id) == (second.scan_id, second.recheck_scan_id + 1)  # not the re-scan
    assert found.targets_changed and found.added == [EXTRA]
    assert found.regressions == [] and [h.host for h in found.of(Change.IMPROVED)] == [IDN]


def test_diff_of_two_saved_scan_files(audits):
    _, runs = audits
    proc = run_cli("diff", runs[0][1].scan_file, runs[1][1].scan_file, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    found = msgspec.json.decode(proc.stdout, type=Diff)
    assert {h.host for h in found.regressions} == {"dual.gov.example", IDN}  # files know nothing of re-scans
    assert found.before.label.startswith("scan-")


def test_diff_recheck_rescans_regressions_on_demand(audits, lab, tmp_path):
    """``diff --recheck`` re-scans the regressed hosts now: still down is confirmed, back up is transient."""
    work, runs = audits
    db = tmp_path / "history.sqlite"
    with sqlite3.connect(work / "out" / "history.sqlite") as src, sqlite3.connect(db) as dst:
        src.backup(dst)  # a copy (WAL included): the audits' history stays as it was
    first, second = str(runs[0][1].scan_id), str(runs[1][1].scan_id)
    still_down = dict(lab.network.routes)
    still_down[("2001:db8::10", 80)] = still_down[("2001:db8::10", 443)] = ("::1", lab.web.free_port("::1"))
    maps = {"down": {format_hostport(*k): format_hostport(*v) for k, v in still_down.items()},
            "healthy": json.loads(lab.network.to_json())["routes"]}
    found = {}
    for name, routes in maps.items():
        (tmp_path / f"{name}.json").write_text(json.dumps({"routes": routes}))
        proc = run_cli("diff", first, second, "--db", str(db), "--recheck", "--out", str(tmp_path / name),
                       "--lab-map", str(tmp_path / f"{name}.json"), "--format", "json", "--exit-code")
        assert "Traceback" not in proc.stderr and "1 hosts regressed: re-scanning them" in proc.stderr
        found[name] = (proc.returncode, msgspec.json.decode(proc.stdout, type=Diff))
        assert len(list((tmp_path / name).glob("scan-*-recheck.jsonl"))) == 1
    code, down = found["down"]
    assert code == 5 and [h.host for h in down.regressions] == ["dual.gov.example"]
    assert down.regressions[0].recheck.verdict == "broken_ipv6"
    code, healthy = found["healthy"]
    assert code == 0 and healthy.regressions == []
    assert {h.host: h.recheck.verdict for h in healthy.of(Change.TRANSIENT)} == {"dual.gov.example": "ready", IDN: "ready"}
    on_files = run_cli("diff", runs[0][1].scan_file, runs[1][1].scan_file, "--recheck")
    assert on_files.returncode == 2 and "needs the later scan from the history database" in on_files.stderr


def test_trend_prints_phase_shares_over_the_audits(audits):
    work, runs = audits
    db = str(work / "out" / "history.sqlite")
    proc = run_cli("trend", "--db", db, "--audit", "lab-weekly")
    assert proc.returncode == 0, proc.stderr
    rows = [l for l in proc.stdout.splitlines() if "(1/3)" in l or "(0/3)" in l or "(0/4)" in l]
    assert len(rows) == 3, proc.stdout  # the three audits, not the re-scan
    assert "33.3% (1/3)" in rows[0] and "0% (0/3)" in rows[1] and "0% (0/4)" in rows[2]  # the reports' rounding
    assert "7 *" in rows[2] and "target list changed" in proc.stdout
    assert "Tỉnh Mẫu A" in proc.stdout and "✓" in proc.stdout
    as_json = json.loads(run_cli("trend", "--db", db, "--format", "json").stdout)
    assert [p["scan_id"] for p in as_json] == [r[1].scan_id for r in runs[:2]] + [as_json[-1]["scan_id"]]
    assert [p["shares"]["phase1"] for p in as_json] == [0.3333, 0.0, 0.0]


def test_host_history_shows_the_flap(audits):
    work, _ = audits
    proc = run_cli("host", IDN_HOST, "--db", str(work / "out" / "history.sqlite"), "--all", "--format", "json")
    assert [c["verdict"] for c in json.loads(proc.stdout)["changes"]] == ["ready", "partial", "ready", "ready"]


def test_diff_trend_and_host_take_the_audits_config_instead_of_db(audits, tmp_path):
    """Issue 15: who runs the weekly audit knows its config file, not where its database is."""
    work, runs = audits
    config = str(work / "audit.toml")
    elsewhere = tmp_path  # run from another folder: the config's relative paths still hold
    first, second = runs[0][1].scan_id, runs[1][1].scan_id
    by_config = run_cli("diff", str(first), str(second), "--config", config, "--format", "json", cwd=elsewhere)
    by_db = run_cli("diff", str(first), str(second), "--db", str(work / "out" / "history.sqlite"), "--format", "json")
    assert by_config.returncode == by_db.returncode == 0, by_config.stderr
    assert by_config.stdout == by_db.stdout
    trend = json.loads(run_cli("trend", "-c", config, "--format", "json", cwd=elsewhere).stdout)
    assert [p["shares"]["phase1"] for p in trend] == [0.3333, 0.0, 0.0]  # the audit's scans (its name from the file)
    host = run_cli("host", IDN_HOST, "--config", config, "--all", "--format", "json", cwd=elsewhere)
    assert [c["verdict"] for c in json.loads(host.stdout)["changes"]] == ["ready", "partial", "ready", "ready"]
    bad = run_cli("trend", "--config", str(tmp_path / "missing.toml"))
    assert bad.returncode == 2 and "missing.toml" in bad.stderr


# ------------------------------------------------------------------ errors and the config file


def test_config_errors_name_the_key(lab, tmp_path):
    write_targets(tmp_path / "targets.csv", ["dual.gov.example"])
    (tmp_path / "lab-routes.json").write_text(lab.network.to_json())
    cases = {
        "[outputs]\nlang = \"fr\"\n": "outputs.lang",
        "[thresholds]\nfail_under = { phase1 = 2 }\n": "thresholds.fail_under",
        "[flap]\nretry = true\n": "unknown field `retry`",
        "[scan]\nconcurency = 3\n": "scan.concurency: unknown scan option",
        "[scan]\nipv6 = \"maybe\"\n": "scan.ipv6",
        "[scan]\nresolvers = [\"nowhere\"]\n": "scan.resolvers[0]",
        "[scan]\ntls_profile = \"nist\"\n": "scan.tls_profile: No TLS profile nist; the profiles: mozilla-intermediate",
        "[scan]\nxml_sitemap = \"some\"\n": "scan.xml_sitemap",
    }
    for extra, key in cases.items():
        config = tmp_path / "audit.toml"
        config.write_text(f'targets = ["targets.csv"]\n{extra}', encoding="utf-8")
        with pytest.raises(ConfigError, match=key.replace("[", r"\[").replace("]", r"\]")):
            load_config(config)
    config.write_text('targets = ["missing.csv"]\n')
    proc = run_cli("audit", "--config", str(config))
    assert proc.returncode == 2 and "targets[0]" in proc.stderr and "Traceback" not in proc.stderr
    config = write_config(tmp_path, lab)
    bad = run_cli("audit", "--config", str(config), "--fail-under", "phase9=0.5")
    assert bad.returncode == 2 and "unknown phase 'phase9'" in bad.stderr
    (tmp_path / "out" / "history.sqlite").mkdir(parents=True)  # the database path is a folder: cannot run
    proc = run_cli("audit", "--config", str(config))
    assert proc.returncode == 3 and "is a directory" in proc.stderr and "Traceback" not in proc.stderr


def test_the_xml_sitemap_is_asked_as_the_audit_config_says(tmp_path):
    from ipv6scan.config import XmlSitemap

    write_targets(tmp_path / "targets.csv", ["dual.gov.example"])
    config = tmp_path / "audit.toml"
    config.write_text('targets = ["targets.csv"]\n[scan]\nxml_sitemap = "all"\n', encoding="utf-8")
    assert load_config(config).scan_options().xml_sitemap is XmlSitemap.ALL
    config.write_text('targets = ["targets.csv"]\n', encoding="utf-8")
    assert load_config(config).scan_options().xml_sitemap is XmlSitemap.PORTALS  # (the default: portals only)


def test_documented_example_config_loads():
    config = load_config(REPO / "docs" / "audit-example.toml")
    assert config.name == "provinces-weekly" and config.targets[0] == str(REPO / "targets" / "provinces.csv")
    assert config.outputs.metrics and config.thresholds.fail_under and "lab_map" not in config.scan
    assert config.scan_options().concurrency == 32


def test_scheduling_doc_names_every_config_key_and_only_real_ones():
    """docs/scheduling.md's key table and the config model must not drift apart."""
    from ipv6scan.audit import AuditConfig
    from ipv6scan.config import Ipv6Mode, ScanOptions, XmlSitemap

    doc = (REPO / "docs" / "scheduling.md").read_text(encoding="utf-8")
    table = re.findall(r"^\| `([a-z_.]+)` \|", doc, re.M)
    expected = {f for f in AuditConfig.__struct_fields__ if f not in ("scan", "origin")}
    for section in ("outputs", "thresholds", "flap", "database"):
        expected.discard(section)
        expected |= {f"{section}.{f}" for f in type(getattr(AuditConfig(targets=["x"]), section)).__struct_fields__}
    assert set(table) == expected
    scan_row = next(line for line in doc.splitlines() if line.startswith("| `[scan]`"))
    named = set(re.findall(r"`([a-z_]+)`", scan_row)) - {m.value for m in (*Ipv6Mode, *XmlSitemap)}  # (their values)
    assert named and named <= set(ScanOptions.__struct_fields__), named - set(ScanOptions.__struct_fields__)
    for block in re.findall(r"```(?:ini|cron)\n(.*?)```", doc, re.S):
        assert "ipv6scan audit --config" in block or "OnCalendar=" in block


def test_trend_chart_escapes_and_draws_every_phase():
    phases = [PhaseTotal(phase="p<1>", orgs_total=1, orgs_attained=1, orgs_unknown=0, share=1, target_share=0.5,
                         met=True, title='Phase "<b>"')]
    report = ScoreReport(policy="p", policy_version="1", policy_title="t", generated="x", as_of="2026-11-23",
                         phases=phases)
    html = render_html(report, lang="en", trend=[("2026-11-16", {"p<1>": 0.25}), ("<script>", {"p<1>": 1.0})])
    assert "<script>" not in html and "&lt;script&gt;" in html and "<b>" not in html
    assert html.count("<polyline") == 1 and html.count("<circle") == 2
    assert "Organisations attaining each phase, scan after scan" in html
    assert "<polyline" not in render_html(report, lang="en")


def test_keep_days_prunes_this_audits_old_scans_and_nothing_else(lab, tmp_path):
    from ipv6scan.model import ScanHeader, ScanSummary
    from ipv6scan.store import Store

    write_targets(tmp_path / "targets.csv", ["dual.gov.example"])
    (tmp_path / "lab-routes.json").write_text(lab.network.to_json())
    config = write_config(tmp_path, lab)
    text = config.read_text(encoding="utf-8").replace('path = "out/history.sqlite"',
                                                      'path = "out/history.sqlite"\nkeep_days = 30')
    config.write_text(text, encoding="utf-8")
    db = tmp_path / "out" / "history.sqlite"
    db.parent.mkdir(parents=True)
    old = {}
    with Store(db) as store:
        for mark in ("lab-weekly", "other-audit", None):  # two years ago: this audit's, another's, a manual scan
            header = ScanHeader(tool_version="0.1.0", started="2024-12-01T00:00:00Z",
                                options={"audit": mark} if mark else {})
            old[mark] = store.begin_scan(header, targets_digest=str(mark), targets_source="x", jsonl_path=None)
            store.finish(old[mark], ScanSummary(finished="2024-12-01T01:00:00Z", elapsed_s=1.0, hosts=0))

    code, result, output = audit(config, "--format", "json")

    assert code == 0, output
    assert "Retention: deleted 1 of this audit's scans started before" in output
    with Store(db, readonly=True) as store:
        left = {row.id for row in store.scans()}
    assert old["lab-weekly"] not in left and {old["other-audit"], old[None], result.scan_id} <= left
