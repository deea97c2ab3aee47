"""Presenting a scan: the rich terminal summary (the JSON writers live in ``scanfile``, re-exported here).

Renderers only present: they never probe and never judge. Every sink takes the
same lines (``ScanHeader``, ``HostRecord``, ``InputError``, ``ScanSummary``)
in the order the runner produces them, and writes each as soon as it comes, so
nothing scanned is lost if the scan is interrupted.
"""

from __future__ import annotations

from collections import Counter

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from .model import (
    Family,
    HostRecord,
    InputError,
    Outcome,
    ScanHeader,
    ScanLine,
    ScanSummary,
    Verdict,
)

from .scanfile import (BadScanLine, JsonlSink, JsonSink, Sink, create_new, encode_line, open_binary, read_scan,
                       scan_stem, tee)

VERDICT_STYLE = {
    Verdict.READY: "bold green",
    Verdict.PARTIAL: "bold yellow",
    Verdict.BROKEN_IPV6: "bold red",
    Verdict.NO_IPV6: "red",
    Verdict.UNRESOLVABLE: "magenta",
    Verdict.UNTESTABLE: "blue",
    Verdict.ERROR: "bold magenta",
}

# Table order: what needs fixing first.
WORST_FIRST = [
    Verdict.BROKEN_IPV6,
    Verdict.PARTIAL,
    Verdict.NO_IPV6,
    Verdict.UNRESOLVABLE,
    Verdict.ERROR,
    Verdict.UNTESTABLE,
    Verdict.READY,
]


# ------------------------------------------------------------------ terminal


def _mark(ok: int, total: int) -> str:
    if total == 0:
        return "–"
    return "✓" if ok == total else ("✗" if ok == 0 else f"{ok}/{total}")


def web_cell(rec: HostRecord, family: Family) -> str:
    parts = []
    for scheme in ("http", "https"):
        probes = [p for p in rec.facts.web if p.scheme == scheme and p.family is family]
        if not probes:
            continue
        if all(p.outcome in (Outcome.SKIPPED_NON_GLOBAL, Outcome.UNTESTABLE) for p in probes):
            parts.append(f"{scheme} {probes[0].outcome.value}")
            continue
        ok = sum(p.status is not None for p in probes)
        text = f"{scheme} {_mark(ok, len(probes))}"
        failed = next((p for p in probes if p.status is None), None)
        if failed is not None:
            text += f" {failed.outcome.value}"
        parts.append(text)
    return "\n".join(parts) or "–"


def tls_cell(rec: HostRecord) -> str:
    probes = [p for p in rec.facts.web if p.scheme == "https" and p.tls is not None]
    if not probes:
        return "–"
    bad = [p for p in probes if p.tls and p.tls.outcome is not Outcome.OK]
    if bad:
        return "\n".join(sorted({f"{p.family.value}: {p.tls.outcome.value}" for p in bad if p.tls}))
    proto = sorted({p.tls.protocol or "?" for p in probes if p.tls})
    return "ok " + ",".join(proto)


def parity_cell(rec: HostRecord) -> str:
    cells = []
    for par in rec.facts.parity:
        if par.v4_status != par.v6_status:
            cells.append(f"{par.scheme} {par.v4_status}≠{par.v6_status}")
        elif par.similarity is None:
            cells.append(f"{par.scheme} ?")
        else:
            cells.append(f"{par.scheme} {par.similarity:.0%}")
    return "\n".join(cells) or "–"


def ns_cell(rec: HostRecord) -> str:
    zone = rec.facts.zone
    if zone is None:
        return "–"
    if zone.zone is None:
        return zone.outcome.value
    hosts = zone.name_servers
    ok = sum(any(p.family is Family.V6 and p.outcome is Outcome.OK for p in ns.probes) for ns in hosts)
    return f"{ok}/{len(hosts)}" if hosts else "none"


def mx_cell(rec: HostRecord) -> str:
    zone = rec.facts.zone
    if zone is None or zone.zone is None:
        return "–"
    hosts = zone.mail_servers
    if not hosts:
        return "no MX"
    ok = sum(any(p.family is Family.V6 and p.outcome is Outcome.OK for p in mx.probes) for mx in hosts)
    return f"{ok}/{len(hosts)}"


class TerminalSink:
    """The rich summary: one row per host (worst first at the end), then totals."""

    def __init__(self, console: Console, *, max_rows: int = 1000) -> None:
        self.console = console
        self.max_rows = max_rows
        self.rows: list[tuple[int, tuple[str, ...], Verdict]] = []
        self.errors: list[InputError] = []
        self.header: ScanHeader | None = None
        self.omitted = 0

    def write(self, line: ScanLine) -> None:
        if isinstance(line, ScanHeader):
            self.header = line
        elif isinstance(line, InputError):
            self.errors.append(line)
        elif isinstance(line, HostRecord):
            self._add(line)
        elif isinstance(line, ScanSummary):
            self._render(line)

    def _add(self, rec: HostRecord) -> None:
        verdict = rec.result.verdict
        rank = WORST_FIRST.index(verdict)
        host = rec.facts.display if rec.facts.display == rec.facts.host else f"{rec.facts.display}\n({rec.facts.host})"
        row = (
            host,
            verdict.value,
            web_cell(rec, Family.V4),
            web_cell(rec, Family.V6),
            tls_cell(rec),
            parity_cell(rec),
            ns_cell(rec),
            mx_cell(rec),
            ", ".join(rec.result.reasons[:4]) + (" …" if len(rec.result.reasons) > 4 else ""),
        )
        self.rows.append((rank, row, verdict))
        if len(self.rows) > self.max_rows * 2:  # keep memory flat: keep the worst rows only
            self._trim()

    def _trim(self) -> None:
        self.rows.sort(key=lambda r: (r[0], r[1][0]))
        self.omitted += max(0, len(self.rows) - self.max_rows)
        del self.rows[self.max_rows :]

    def _render(self, summary: ScanSummary) -> None:
        self._trim()
        table = Table(title="IPv6 readiness", show_lines=True, expand=False)
        for col in ("Host", "Verdict", "IPv4 web", "IPv6 web", "TLS", "Parity", "NS v6", "MX v6", "Reasons"):
            table.add_column(col, overflow="fold")
        for _, row, verdict in sorted(self.rows, key=lambda r: (r[0], r[1][0])):
            cells = [Text(c) for c in row]  # site-controlled text is never markup
            cells[1].stylize(VERDICT_STYLE.get(verdict, ""))
            table.add_row(*cells)
        if self.rows:
            self.console.print(table)
        if self.omitted:
            self.console.print(f"({self.omitted} more hosts not shown; the saved scan has them all)")
        for err in self.errors[:50]:
            where = f"{err.source or 'input'}:{err.line}" if err.line else (err.source or "input")
            self.console.print(Text(f"input error {where}: {err.problem}: {err.text!r}", style="yellow"))
        if len(self.errors) > 50:
            self.console.print(f"… and {len(self.errors) - 50} more input errors")
        self.console.print(summary_text(summary, self.header))

    def close(self) -> None:
        pass


def summary_text(summary: ScanSummary, header: ScanHeader | None) -> Text:
    text = Text()
    text.append(f"{summary.hosts} hosts in {summary.elapsed_s:.1f} s: ")
    counts = Counter(summary.verdicts)
    first = True
    for verdict in Verdict:
        if counts.get(verdict.value):
            text.append("" if first else ", ")
            text.append(f"{counts[verdict.value]} {verdict.value}", style=VERDICT_STYLE[verdict])
            first = False
    if summary.input_errors:
        text.append(f"; {summary.input_errors} input errors", style="yellow")
    if summary.interrupted:
        text.append(" (interrupted)", style="bold red")
    if header is not None and not header.scanner_ipv6:
        text.append(f"\nThis scanner has no IPv6 ({escape(header.scanner_ipv6_detail or '')}): IPv6 results are untestable.")
    return text


__all__ = [
    "BadScanLine",
    "JsonSink",
    "JsonlSink",
    "TerminalSink",
    "encode_line",
    "open_binary",
    "read_scan",
    "tee",
    "Sink",
    "create_new",
    "scan_stem",
]
