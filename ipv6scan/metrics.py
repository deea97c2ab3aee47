"""Audit metrics in the Prometheus text exposition format (0.0.4), for node_exporter's textfile collector.

:func:`audit_metrics` turns an audit's scan, scores and diff into metric
families; :func:`render` writes them out (``# HELP`` and ``# TYPE`` lines, then
the samples; label values escaped: backslash, double quote, line feed);
:func:`write_textfile` replaces the file atomically (a temporary file in the same
folder, fsynced, then ``os.replace``), so the collector never reads half a file.
No sample carries a timestamp: the textfile collector refuses them.

Metrics (all gauges, about the latest audit):

* ``ipv6scan_hosts{verdict}``: hosts per verdict (every verdict, 0 included)
* ``ipv6scan_phase_attainment_ratio{phase}``: share of organisations attaining the phase
* ``ipv6scan_phase_target_ratio{phase}``: the share the policy asks for
* ``ipv6scan_org_phase_attained{org,phase}``: 1 attained, 0 not (or unknown); absent when not applicable
* ``ipv6scan_scan_duration_seconds``, ``ipv6scan_input_errors``
* ``ipv6scan_regressions``, ``ipv6scan_transient_regressions``: against the previous audit
* ``ipv6scan_last_scan_timestamp_seconds``: when the scan finished (Unix time)
* ``ipv6scan_audit_exit_code``: the audit's exit code (0, 4 or 5; see docs/scheduling.md)
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

from .atomic import write_file
from .model import Verdict
from .scores import ScoreReport, State

_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
_LABEL = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")


class Sample(NamedTuple):
    labels: Mapping[str, str]
    value: float


class Family(NamedTuple):
    name: str
    help: str
    samples: Sequence[Sample]
    type: str = "gauge"


def escape_label(value: str) -> str:
    """A label value as the text format wants it: ``\\`` ``"`` and line feed escaped."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _number(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def render(families: Iterable[Family]) -> str:
    """The exposition text of the families, each with its HELP and TYPE lines; ends with a line feed."""
    lines = []
    for family in families:
        if not _NAME.match(family.name):
            raise ValueError(f"invalid metric name {family.name!r}")
        lines += [f"# HELP {family.name} {_escape_help(family.help)}", f"# TYPE {family.name} {family.type}"]
        for sample in family.samples:
            bad = [k for k in sample.labels if not _LABEL.match(k)]
            if bad:
                raise ValueError(f"invalid label name {bad[0]!r} on {family.name}")
            labels = ",".join(f'{k}="{escape_label(v)}"' for k, v in sample.labels.items())
            lines.append(f"{family.name}{{{labels}}} {_number(sample.value)}" if labels
                         else f"{family.name} {_number(sample.value)}")
    return "\n".join(lines) + "\n"


def write_textfile(path: str | os.PathLike[str], text: str) -> Path:
    """Replace ``path`` with ``text`` atomically (the collector reads only ``*.prom``: the temporary name is not one)."""
    return write_file(path, text)


def audit_metrics(
    report: ScoreReport,
    *,
    verdicts: Mapping[str, int],
    duration_s: float,
    input_errors: int,
    regressions: int,
    transient: int,
    finished: float,
    exit_code: int,
) -> list[Family]:
    """The metric families of one audit: its scan (``verdicts``, duration, errors, end time), scores and diff counts."""
    attained = [
        Sample({"org": org.org, "phase": p.phase}, 1.0 if p.attainment in (State.PASS, State.EXPLAINED) else 0.0)
        for org in report.orgs
        for p in org.phases
        if p.attainment != State.NOT_APPLICABLE
    ]
    return [
        Family("ipv6scan_hosts", "Hosts of the last audit scan per verdict.",
               [Sample({"verdict": v.value}, verdicts.get(v.value, 0)) for v in Verdict]),
        Family("ipv6scan_phase_attainment_ratio", "Share of organisations attaining the phase (0-1).",
               [Sample({"phase": p.phase}, p.share) for p in report.phases]),
        Family("ipv6scan_phase_target_ratio", "Share of organisations the policy requires for the phase (0-1).",
               [Sample({"phase": p.phase}, p.target_share) for p in report.phases]),
        Family("ipv6scan_org_phase_attained", "1 if the organisation attains the phase, 0 if not or unknown.", attained),
        Family("ipv6scan_scan_duration_seconds", "Duration of the last audit scan.", [Sample({}, duration_s)]),
        Family("ipv6scan_input_errors", "Target list lines that could not be scanned.", [Sample({}, input_errors)]),
        Family("ipv6scan_regressions", "Hosts worse than in the previous audit, confirmed by a re-scan.",
               [Sample({}, regressions)]),
        Family("ipv6scan_transient_regressions", "Hosts worse in the scan but not on the re-scan.",
               [Sample({}, transient)]),
        Family("ipv6scan_last_scan_timestamp_seconds", "When the last audit scan finished (Unix time).",
               [Sample({}, finished)]),
        Family("ipv6scan_audit_exit_code", "Exit code of the last audit (0 ok, 4 under a threshold, 5 regressions).",
               [Sample({}, exit_code)]),
    ]
