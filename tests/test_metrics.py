"""Prometheus text format: parsed back line by line, label escaping, atomic writes."""

from __future__ import annotations

import math
import os
import re

import pytest

from ipv6scan.metrics import Family, Sample, audit_metrics, escape_label, render, write_textfile
from ipv6scan.scores import OrgPhase, OrgScore, PhaseTotal, ScoreReport, State

_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"')
_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:%s)(?:,%s)*)\})? (\S+)$' % ((_LABEL.pattern,) * 2))


def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"n": "\n"}.get(m.group(1), m.group(1)), value)


def parse(text: str) -> dict[str, dict]:
    """A strict reader of the text format: every line is HELP, TYPE or a sample of the family just declared."""
    assert text.endswith("\n")
    families: dict[str, dict] = {}
    current = None
    for line in text.splitlines():
        if line.startswith("# HELP "):
            name, help_text = line[7:].split(" ", 1)
            assert name not in families, f"{name} declared twice"
            current = families[name] = {"help": help_text, "type": None, "samples": []}
        elif line.startswith("# TYPE "):
            name, kind = line[7:].split(" ")
            assert current is families[name] and kind in ("gauge", "counter")
            current["type"] = kind
        else:
            m = _SAMPLE.match(line)
            assert m, f"not a sample line: {line!r}"
            name, labels, value = m.group(1), m.group(2) or "", m.group(m.lastindex)
            assert current is families[name] and current["type"], f"{name} sample outside its family"
            pairs = {k: _unescape(v) for k, v in _LABEL.findall(labels)}
            current["samples"].append((pairs, float(value)))
    return families


def test_label_values_are_escaped_and_read_back():
    nasty = 'Sở "A"\\B\nline 2'
    assert escape_label(nasty) == 'Sở \\"A\\"\\\\B\\nline 2'
    text = render([Family("x_info", "help with \\ and\nnewline", [Sample({"org": nasty, "phase": "p1"}, 1)])])
    assert text.count("\n") == 3  # the newline inside the label and the help is escaped
    parsed = parse(text)
    assert parsed["x_info"]["samples"] == [({"org": nasty, "phase": "p1"}, 1.0)]
    assert parsed["x_info"]["help"] == "help with \\\\ and\\nnewline"


def test_numbers_and_unlabelled_samples():
    text = render([Family("a", "a", [Sample({}, 12)]), Family("b", "b", [Sample({}, 0.25)]),
                   Family("c", "c", [Sample({}, float("nan"))]), Family("d", "d", [Sample({}, 1763900000.5)])])
    assert "a 12\n" in text and "b 0.25\n" in text and "c NaN\n" in text and "d 1763900000.5\n" in text
    parsed = parse(text)
    assert math.isnan(parsed["c"]["samples"][0][1])


@pytest.mark.parametrize("family", [Family("bad-name", "x", []), Family("ok", "x", [Sample({"bad-label": "v"}, 1)])])
def test_invalid_names_are_refused(family):
    with pytest.raises(ValueError):
        render([family])


def test_audit_metrics():
    phases = [PhaseTotal(phase="phase1", orgs_total=2, orgs_attained=1, orgs_unknown=0, share=0.5, target_share=0.5,
                         met=True)]
    orgs = [OrgScore(org='Tỉnh "A"', hosts=2, compliant_hosts=2,
                     phases=[OrgPhase(phase="phase1", state=State.PASS, attainment=State.PASS),
                             OrgPhase(phase="circular32", state=State.NOT_APPLICABLE,
                                      attainment=State.NOT_APPLICABLE)]),
            OrgScore(org="Tỉnh B", hosts=1, compliant_hosts=0,
                     phases=[OrgPhase(phase="phase1", state=State.UNKNOWN, attainment=State.UNKNOWN)])]
    report = ScoreReport(policy="p", policy_version="1", policy_title="t", generated="x", as_of="2026-11-23",
                         phases=phases, orgs=orgs)
    text = render(audit_metrics(report, verdicts={"ready": 2, "no_ipv6": 1}, duration_s=3.5, input_errors=1,
                                regressions=2, transient=1, finished=1763900000.0, exit_code=5))
    m = parse(text)
    hosts = {s[0]["verdict"]: s[1] for s in m["ipv6scan_hosts"]["samples"]}
    assert hosts["ready"] == 2 and hosts["no_ipv6"] == 1 and hosts["broken_ipv6"] == 0 and len(hosts) == 7
    assert m["ipv6scan_phase_attainment_ratio"]["samples"] == [({"phase": "phase1"}, 0.5)]
    assert m["ipv6scan_org_phase_attained"]["samples"] == [({"org": 'Tỉnh "A"', "phase": "phase1"}, 1.0),
                                                           ({"org": "Tỉnh B", "phase": "phase1"}, 0.0)]
    single = {name: f["samples"][0][1] for name, f in m.items() if len(f["samples"]) == 1 and not f["samples"][0][0]}
    assert single == {"ipv6scan_scan_duration_seconds": 3.5, "ipv6scan_input_errors": 1, "ipv6scan_regressions": 2,
                      "ipv6scan_transient_regressions": 1, "ipv6scan_last_scan_timestamp_seconds": 1763900000.0,
                      "ipv6scan_audit_exit_code": 5}
    assert all(f["type"] == "gauge" and f["help"] for f in m.values())


def test_write_textfile_replaces_atomically(tmp_path):
    target = tmp_path / "collector" / "ipv6scan.prom"
    write_textfile(target, "a 1\n")
    inode = target.stat().st_ino
    write_textfile(target, "a 2\n")
    assert target.read_text() == "a 2\n"
    assert target.stat().st_ino != inode  # a new file renamed over the old one, not rewritten in place
    assert oct(target.stat().st_mode & 0o777) == oct(0o644)
    assert sorted(os.listdir(target.parent)) == ["ipv6scan.prom"]  # no temporary file left
