"""Comply or explain: a waivers file, its errors, its effect on scoring and in every report (issue 15)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import msgspec
import openpyxl
import pytest
from rich.console import Console

from ipv6scan.policy import load_policy
from ipv6scan.report import render_terminal, write_reports
from ipv6scan.scores import State
from ipv6scan.waivers import WaiverError, load_waivers, parse_waivers

from .conftest import run_cli
from .test_scoring import host_of, org_of, phase_of, report, total_of, unit

GOV = load_policy()
AS_OF = date(2025, 6, 1)

WAIVERS = """\
# accepted by the provincial ICT department
[[waiver]]
host = "dichvucong.hanoi.gov.vn"
criterion = "web_ready"
reason = "Chuyển sang trung tâm dữ liệu mới, IPv6 sau khi chuyển"
expires = 2025-12-31
approved_by = "Sở KH&CN Hà Nội, CV 123"

[[waiver]]
org = "Bắc Ninh"
criterion = "web_ready"
reason = "Hợp đồng nâng cấp đã ký"
expires = 2025-01-31

[[waiver]]
host = "danang.gov.vn"
criterion = "web_ready"
reason = "đã khắc phục?"
expires = 2026-01-01
"""


def _waivers(text: str = WAIVERS):
    return parse_waivers(text, "waivers.toml", GOV)


def _scored(**kw):
    records = (unit("hanoi", dvc="no_ipv6", org="Hà Nội") + unit("bacninh", portal="no_ipv6", org="Bắc Ninh")
               + unit("danang", org="Đà Nẵng"))
    return report(records, as_of=AS_OF, **kw)


def test_a_waiver_in_force_explains_a_failure_and_the_organisation_attains_the_phase():
    rep = _scored(waivers=_waivers())
    criterion = next(c for c in host_of(rep, "dichvucong.hanoi.gov.vn").criteria if c.criterion == "web_ready")
    assert criterion.state is State.EXPLAINED and criterion.reasons  # the failure's reasons are kept
    assert criterion.waiver.reason.startswith("Chuyển sang") and not criterion.waiver.expired
    assert criterion.waiver.source == "waivers.toml:2" and criterion.waiver.approved_by == "Sở KH&CN Hà Nội, CV 123"
    assert host_of(rep, "dichvucong.hanoi.gov.vn").state is State.EXPLAINED
    assert phase_of(rep, "Hà Nội", "phase1").attainment is State.EXPLAINED and "phase1" in org_of(rep, "Hà Nội").attained
    hanoi = org_of(rep, "Hà Nội")
    assert hanoi.explained_hosts == 1 and hanoi.compliant_hosts == 2
    total = total_of(rep, "phase1")
    assert total.orgs_attained == 2 and total.orgs_explained == 1  # Hà Nội (explained) and Đà Nẵng
    dvc = next(k for k in rep.kinds if k.kind == "dichvucong")
    assert (dvc.compliant, dvc.explained, dvc.failing) == (2, 1, 0) and dvc.share == 1.0
    without = _scored()
    assert host_of(without, "dichvucong.hanoi.gov.vn").state is State.FAIL and without.waivers_file is None


def test_an_expired_waiver_leaves_the_failure_standing_and_says_so():
    rep = _scored(waivers=_waivers())
    portal = next(c for c in host_of(rep, "bacninh.gov.vn").criteria if c.criterion == "web_ready")
    assert portal.state is State.FAIL and portal.waiver.expired and portal.waiver.scope == "org"
    assert "phase1" not in org_of(rep, "Bắc Ninh").attained
    # the same file judged after the first waiver's last day: the failure stands again
    after = report(unit("hanoi", dvc="no_ipv6", org="Hà Nội"), as_of=date(2026, 1, 1), waivers=_waivers())
    dvc = next(c for c in host_of(after, "dichvucong.hanoi.gov.vn").criteria if c.criterion == "web_ready")
    assert dvc.state is State.FAIL and dvc.waiver.expired
    assert report(unit("hanoi", dvc="no_ipv6", org="Hà Nội"), as_of=date(2025, 12, 31),
                  waivers=_waivers()).hosts[0].state is State.EXPLAINED  # in force on its last day


def test_unused_waivers_are_listed_and_a_hosts_own_waiver_wins_over_its_organisations():
    rep = _scored(waivers=_waivers())
    assert rep.waivers_unused == ["waivers.toml:15"]  # danang.gov.vn passes: nothing to explain
    text = WAIVERS + '\n[[waiver]]\norg = "Hà Nội"\ncriterion = "web_ready"\nreason = "org-wide"\nexpires = 2030-01-01\n'
    rep = _scored(waivers=_waivers(text))
    dvc = next(c for c in host_of(rep, "dichvucong.hanoi.gov.vn").criteria if c.criterion == "web_ready")
    assert dvc.waiver.scope == "host" and "waivers.toml:21" in rep.waivers_unused


def test_an_unknown_host_state_is_not_explained():
    rep = report(unit("hanoi", dvc="untestable", org="Hà Nội"), as_of=AS_OF, waivers=_waivers())
    assert host_of(rep, "dichvucong.hanoi.gov.vn").state is State.UNKNOWN and rep.waivers_unused == [
        "waivers.toml:2", "waivers.toml:9", "waivers.toml:15"]


@pytest.mark.parametrize(("text", "expected"), [
    ('[[waiver]]\nhost = "a.gov.vn"\ncriterion = "web_ipv7"\nreason = "x"\nexpires = 2030-01-01\n',
     "waivers.toml:1 (waiver 1): the policy has no criterion 'web_ipv7' (its criteria: web_ready, mail_ipv6"),
    ('\n\n[[waiver]]\nhost = "a.gov.vn"\norg = "A"\ncriterion = "web_ready"\nreason = "x"\nexpires = 2030-01-01\n',
     "waivers.toml:3 (waiver 1): give exactly one of host (one host) or org"),
    ('[[waiver]]\norg = "A"\ncriterion = "web_ready"\nreason = "x"\nexpires = 2030-01-01\n'
     '[[waiver]]\norg = "A"\ncriterion = "web_ready"\nreason = "y"\nexpires = 2030-01-01\n',
     "waivers.toml:6 (waiver 2): the same as waivers.toml:1 (waiver 1)"),
    ('[[waiver]]\nhost = "10.0.0.1"\ncriterion = "web_ready"\nreason = "x"\nexpires = 2030-01-01\n',
     "waivers.toml:1 (waiver 1): '10.0.0.1' is not a host name"),
    ('[[waiver]]\norg = "A"\ncriterion = "web_ready"\nexpires = 2030-01-01\n', "waivers.toml:1 (waiver 1): Object missing required field `reason`"),
    ('[[waiver]]\norg = "A"\ncriterion = "web_ready"\nreason = "x"\nexpires = "soon"\n', "waivers.toml:1 (waiver 1): expires: Invalid RFC3339 encoded date"),
    ('[[waiver]]\norg = "A"\ncriterion = "web_ready"\nreason = "x"\nexpires = 2030-01-01\nuntil = 1\n', "Object contains unknown field `until`"),
    ('[[waiver]\n', "waivers.toml: not valid TOML"),
])
def test_every_problem_names_the_waiver_and_its_line(text: str, expected: str):
    with pytest.raises(WaiverError) as caught:
        _waivers(text)
    assert expected in str(caught.value), str(caught.value)


def test_problems_are_said_in_vietnamese_and_every_one_is_listed(tmp_path: Path):
    bad = tmp_path / "w.toml"
    bad.write_text('[[waiver]]\nhost = "a.gov.vn"\ncriterion = "web_ipv7"\nreason = "x"\nexpires = 2030-01-01\n'
                   '[[waiver]]\ncriterion = "web_ready"\nreason = "x"\nexpires = 2030-01-01\n', encoding="utf-8")
    with pytest.raises(WaiverError) as caught:
        load_waivers(bad, GOV)
    vi = caught.value.text("vi")
    assert "w.toml:1 (giải trình thứ 1): bộ tiêu chí không có tiêu chí 'web_ipv7'" in vi
    assert "w.toml:6 (giải trình thứ 2): cần đúng một trong hai khóa host" in vi
    assert "waiver" not in vi.replace("w.toml", "")
    with pytest.raises(WaiverError, match="no such waivers file"):
        load_waivers(tmp_path / "none.toml", GOV)


def test_every_report_shows_explained_expired_and_unused(tmp_path: Path):
    rep = _scored(waivers=_waivers())
    md, html, hosts_csv, _orgs, _third, xlsx, _ = write_reports(rep, tmp_path, stem="r", lang="vi")
    for path in (md, html, hosts_csv):
        text = path.read_text(encoding="utf-8-sig")
        assert "Chuyển sang trung tâm dữ liệu mới" in text and "31/12/2025" in text, path.name
        assert "đã hết hạn" in text and "Hợp đồng nâng cấp đã ký" in text, path.name
    for path in (md, html):
        text = path.read_text(encoding="utf-8")
        assert "Đã giải trình" in text and "Giải trình không khớp tiêu chí chưa đạt nào" in text
        assert "waivers.toml:15" in text and "1 đơn vị nhờ giải trình" in text
    book = openpyxl.load_workbook(xlsx)
    assert "Giải trình" in book.sheetnames
    cells = [c for row in book["Giải trình"].iter_rows(values_only=True) for c in row if c]
    assert "Sở KH&CN Hà Nội, CV 123" in cells and "dichvucong.hanoi.gov.vn" in cells
    console = Console(record=True, width=200)
    render_terminal(rep, console, lang="vi")
    out = console.export_text()
    assert "≈" in out and "Giải trình (tuân thủ hoặc giải trình)" in out and "đã hết hạn" in out
    console = Console(record=True, width=200)
    render_terminal(rep, console, lang="en")
    assert "Explanations (comply or explain)" in console.export_text()


def test_report_command_takes_a_waivers_file(tmp_path: Path):
    scan = tmp_path / "scan.jsonl"
    records = unit("hanoi", dvc="no_ipv6", org="Hà Nội")
    for r in records:  # re-judged from the facts by `report`: an IPv4 address and no AAAA fail web_ready
        r.facts.resolution.a.records = ["192.0.2.10"]
    scan.write_bytes(b"".join(msgspec.json.encode(r) + b"\n" for r in records))
    waivers = tmp_path / "waivers.toml"
    waivers.write_text(WAIVERS.replace("2025-12-31", "2099-12-31"), encoding="utf-8")
    out = tmp_path / "out"
    proc = run_cli("report", str(scan), "--out-dir", str(out), "--waivers", str(waivers), "-f", "md", "--lang", "vi")
    assert proc.returncode == 0, proc.stderr
    text = next(out.glob("*.md")).read_text(encoding="utf-8")
    assert "Chuyển sang trung tâm dữ liệu mới" in text and "Tệp giải trình" in text
    assert "Giải trình (tuân thủ hoặc giải trình)" in proc.stdout
    waivers.write_text('[[waiver]]\norg = "A"\ncriterion = "web_ipv7"\nreason = "x"\nexpires = 2030-01-01\n',
                       encoding="utf-8")
    proc = run_cli("report", str(scan), "--out-dir", str(out), "--waivers", str(waivers), env={"IPV6SCAN_LANG": "vi"})
    assert proc.returncode == 2
    assert "waivers.toml:1 (giải trình thứ 1): bộ tiêu chí không có tiêu chí 'web_ipv7'" in proc.stderr, proc.stderr


def test_an_audit_checks_its_waivers_file_before_it_scans(tmp_path: Path):
    from ipv6scan.audit import load_config, run_audit

    (tmp_path / "targets.txt").write_text("hanoi.gov.vn\n", encoding="utf-8")
    (tmp_path / "w.toml").write_text('[[waiver]]\norg = "A"\ncriterion = "nope"\nreason = "x"\nexpires = 2030-01-01\n',
                                     encoding="utf-8")
    config = tmp_path / "audit.toml"
    config.write_text('targets = ["targets.txt"]\nwaivers = "w.toml"\n[database]\npath = "h.sqlite"\n', encoding="utf-8")
    cfg = load_config(config)
    assert cfg.waivers == str(tmp_path / "w.toml")  # relative to the config file
    scanned = []
    with pytest.raises(WaiverError, match="criterion 'nope'"):
        run_audit(cfg, run=scanned.append)
    assert scanned == [] and not (tmp_path / "h.sqlite").exists()  # nothing ran, no history made
    proc = run_cli("audit", "--config", str(config), "--lang", "vi")
    assert proc.returncode == 2 and "w.toml:1 (giải trình thứ 1)" in proc.stderr, proc.stderr
