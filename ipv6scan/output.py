"""Presenting a scan: the rich terminal summary (the JSON writers live in ``scanfile``, re-exported here).

Renderers only present: they never probe and never judge. Every sink takes the
same lines (``ScanHeader``, ``HostRecord``, ``InputError``, ``ScanSummary``)
in the order the runner produces them, and writes each as soon as it comes, so
nothing scanned is lost if the scan is interrupted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from .model import (
    Dependency,
    Family,
    HostFacts,
    HostRecord,
    InputError,
    Outcome,
    PageFacts,
    ScanHeader,
    ScanLine,
    ScanSummary,
    SiteInfo,
    Verdict,
)

from .catalogue import problem_text, reason_line, say_ui
from .locales import number, percent
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

def verdict_style(verdict: str) -> str:
    """The style of a verdict as saved (a string); none for one this version does not know."""
    return next((style for v, style in VERDICT_STYLE.items() if v.value == verdict), "")


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


def web_cell(rec: HostRecord, family: Family, lang: str = "en") -> str:
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
            if failed.connect_shared:  # not tried: the address's connects had failed for other probes
                seen = failed.connect_shared[0]
                text += " " + say_ui("web_connect_shared", lang, host=seen.host, scheme=seen.scheme, at=seen.at)
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


def parity_cell(rec: HostRecord, lang: str) -> str:
    cells = []
    for par in rec.facts.parity:
        if par.v4_status != par.v6_status:
            cells.append(f"{par.scheme} {par.v4_status}≠{par.v6_status}")
        elif par.similarity is None:
            cells.append(f"{par.scheme} ?")
        else:
            cells.append(f"{par.scheme} {percent(par.similarity, lang)}")
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
    """The rich summary: one line per host (worst first), then totals, in ``lang``.

    The line says the host, its verdict and its main reason in words (``+N`` when it has
    more), so it reads at 80 columns; ``details=True`` adds the per-family columns
    (web, TLS, parity, name and mail servers) for a wide terminal (``show --details``).
    """

    def __init__(self, console: Console, *, lang: str = "en", max_rows: int = 1000, details: bool = False) -> None:
        self.console = console
        self.lang = lang
        self.details = details
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
        facts = rec.facts
        # the name as the list gave it; its A-label (xn--…) is a detail
        host = facts.display if facts.display == facts.host or not self.details else f"{facts.display}\n({facts.host})"
        reasons = rec.result.reasons
        main = reason_line(reasons[0], self.lang) if reasons else "—"
        if len(reasons) > 1:
            main += f" (+{len(reasons) - 1})"
        row: tuple[str, ...] = (host, say_ui(f"verdict.{verdict.value}", self.lang), main)
        if self.details:
            row += (web_cell(rec, Family.V4, self.lang), web_cell(rec, Family.V6, self.lang), tls_cell(rec), parity_cell(rec, self.lang),
                    ns_cell(rec), mx_cell(rec))
        self.rows.append((rank, row, verdict))
        if len(self.rows) > self.max_rows * 2:  # keep memory flat: keep the worst rows only
            self._trim()

    def _trim(self) -> None:
        self.rows.sort(key=lambda r: (r[0], r[1][0]))
        self.omitted += max(0, len(self.rows) - self.max_rows)
        del self.rows[self.max_rows :]

    def _render(self, summary: ScanSummary) -> None:
        self._trim()
        lang = self.lang
        table = Table(title=say_ui("scan_table_title", lang), box=box.SIMPLE_HEAD, expand=False,
                      show_lines=self.details)
        # the name and the verdict are read whole (a long name folds); the reason takes what is left
        host_w = min(max((cell_len(line) for r in self.rows for line in r[1][0].splitlines()), default=10), 32)
        verdict_w = max((cell_len(r[1][1]) for r in self.rows), default=8)
        reason_w = None if self.details else max(12, self.console.width - host_w - verdict_w - 10)
        table.add_column(say_ui("col_host", lang), overflow="fold", width=host_w)
        table.add_column(say_ui("col_verdict", lang), no_wrap=True, width=verdict_w)
        table.add_column(say_ui("col_main_reason", lang), overflow="ellipsis", no_wrap=not self.details, width=reason_w)
        if self.details:
            for key in ("col_web_v4", "col_web_v6", "col_tls", "col_parity", "col_ns_v6", "col_mx_v6"):
                table.add_column(say_ui(key, lang), overflow="fold")
        for _, row, verdict in sorted(self.rows, key=lambda r: (r[0], r[1][0])):
            cells = [Text(c) for c in row]  # site-controlled text is never markup
            cells[1].stylize(VERDICT_STYLE.get(verdict, ""))
            table.add_row(*cells)
        if self.rows:
            self.console.print(table)
        if self.omitted:
            self.console.print(Text(say_ui("rows_omitted", lang, n=number(self.omitted, lang))))
        for err in self.errors[:50]:
            self.console.print(Text(input_error_line(err, lang), style="yellow"))
        if len(self.errors) > 50:
            self.console.print(Text(say_ui("more_input_errors", lang, n=number(len(self.errors) - 50, lang))))
        self.console.print(summary_text(summary, self.header, lang))

    def close(self) -> None:
        pass


class PipeGuard:
    """A sink on stdout that a closed pipe (``ipv6scan scan … | head``) does not stop.

    When the reader goes away the scan goes on: the saved scan file and the history
    still get every host; stdout is pointed at /dev/null so nothing raises again, and
    :attr:`gone` says it happened.
    """

    def __init__(self, sink: Sink) -> None:
        self.sink = sink
        self.gone = False

    def write(self, line: ScanLine) -> None:
        if not self.gone:
            self._guarded(self.sink.write, line)

    def close(self) -> None:
        if not self.gone:
            self._guarded(self.sink.close)

    def _guarded(self, call, *args) -> None:  # noqa: ANN001
        try:
            call(*args)
        except BrokenPipeError:
            self.gone = True
            stdout_to_devnull()


def stdout_to_devnull() -> None:
    """Point file descriptor 1 at /dev/null: what is still buffered for a closed pipe is dropped quietly."""
    import os
    import sys

    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    finally:
        os.close(devnull)


def input_error_line(err: InputError, lang: str) -> str:
    """``input error LIST:LINE: problem: 'text'`` in ``lang``."""
    where = f"{err.source or say_ui('input', lang)}:{err.line}" if err.line else (err.source or say_ui("input", lang))
    problem = problem_text(err.problem, err.code, err.params, lang)
    return say_ui("input_error", lang, where=where, problem=problem, text=repr(err.text))


def seconds(value: float, lang: str) -> str:
    """``2.2`` (en) / ``2,2`` (vi): one decimal."""
    text = f"{value:.1f}"
    return text.replace(".", ",") if lang == "vi" else text


def summary_text(summary: ScanSummary, header: ScanHeader | None, lang: str = "en") -> Text:
    text = Text()
    text.append(say_ui("scan_summary", lang, hosts=number(summary.hosts, lang), seconds=seconds(summary.elapsed_s, lang)))
    counts = Counter(summary.verdicts)
    first = True
    for verdict in Verdict:
        if counts.get(verdict.value):
            text.append("" if first else ", ")
            text.append(f"{number(counts[verdict.value], lang)} {say_ui(f'verdict.{verdict.value}', lang)}",
                        style=VERDICT_STYLE[verdict])
            first = False
    if summary.input_errors:
        text.append(say_ui("summary_input_errors", lang, n=number(summary.input_errors, lang)), style="yellow")
    if summary.interrupted:
        text.append(say_ui("summary_interrupted", lang), style="bold red")
    if header is not None and not header.scanner_ipv6:
        text.append("\n" + say_ui("scanner_no_ipv6", lang, detail=header.scanner_ipv6_detail or ""))
    return text


__all__ = [
    "BadScanLine",
    "JsonSink",
    "JsonlSink",
    "PipeGuard",
    "TerminalSink",
    "VERDICT_STYLE",
    "input_error_line",
    "verdict_style",
    "stdout_to_devnull",
    "summary_text",
    "encode_line",
    "open_binary",
    "read_scan",
    "tee",
    "Sink",
    "create_new",
    "scan_stem",
]


# ------------------------------------------------------------------ progress


class ScanProgress:
    """The progress bar of a scan on stderr: done/total entries, rate, time left, and the slowest host so far.

    ``total`` counts the entries the scan will report (hosts after duplicates merged, plus input
    errors), so the bar ends at total/total. The label is the slowest host finished so far, not the
    last one: that is the one worth knowing about on a long scan.
    """

    def __init__(self, console: Console, *, total: int | None, lang: str, enabled: bool = True) -> None:
        from rich.markup import escape
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, \
            TimeRemainingColumn

        self.lang = lang
        self.progress = Progress(
            TextColumn(escape(say_ui("progress_scanning", lang))), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TextColumn("·"), TimeRemainingColumn(),
            TextColumn("{task.description}"), console=console, transient=True, disable=not enabled)
        self.task = self.progress.add_task("", total=total, rate="")
        self.slowest: tuple[float, str] | None = None
        self.enabled = enabled

    def on_line(self, line: ScanLine) -> None:
        if not self.enabled:  # no bar (stderr not a terminal, --no-progress): nothing to count or word
            return
        if isinstance(line, HostRecord):
            seconds = line.facts.elapsed_ms / 1000
            if self.slowest is None or seconds > self.slowest[0]:
                self.slowest = (seconds, line.facts.display)
            self.progress.update(self.task, advance=1, description=self._slowest())
        elif isinstance(line, InputError):
            self.progress.update(self.task, advance=1)
        task = self.progress.tasks[0]
        if task.speed:
            self.progress.update(self.task, rate=say_ui("progress_rate", self.lang, rate=_decimal(task.speed, self.lang)))

    def _slowest(self) -> str:
        if self.slowest is None:
            return ""
        seconds, host = self.slowest
        return say_ui("progress_slowest", self.lang, host=host, seconds=_decimal(seconds, self.lang))

    def __enter__(self) -> ScanProgress:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.__exit__(*exc)  # type: ignore[arg-type]


def _decimal(x: float, lang: str) -> str:
    """One decimal, in the language's way: ``12,5`` (vi), ``12.5`` (en)."""
    text = f"{x:.1f}"
    return text.replace(".", ",") if lang == "vi" else text


# ------------------------------------------------------------------ one host in full (`ipv6scan show HOST`)

_STATUS_MARK = {"pass": ("✓", "green"), "fail": ("✗", "bold red"), "warn": ("!", "yellow"), "info": ("i", "cyan"),
                "untestable": ("?", "blue"), "not_applicable": ("–", "dim")}
_DEP_STYLE = {"ok": "green", "no_aaaa": "red", "ipv4_literal": "bold red", "broken": "bold red", "dns_failed": "magenta",
              "untestable": "blue", "not_probed": "dim"}


def _render_mail(console: Console, facts: HostFacts, lang: str, how: Callable[[Outcome], str]) -> None:
    """The zone's mail servers, one row per address: the greeting, STARTTLS and the certificate it showed, reverse
    DNS (IPv6), SPF."""
    from .catalogue import join, render
    from .checks._facts import did, parse_time
    from .checks.mailcert import problems

    zone = facts.zone
    servers = [m for m in zone.mail_servers if m.name.strip(".")] if zone is not None else []
    if not servers:
        return
    console.print(Text(say_ui("show_mail", lang, zone=zone.zone or ""), style="bold"))
    spf = {c.address: c.result for c in zone.spf.checks} if zone.spf is not None else {}
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for key in ("col_mail_server", "col_address", "col_greeting", "col_starttls", "col_mail_cert", "col_ptr",
                "col_spf"):
        table.add_column(say_ui(key, lang), overflow="fold")
    for server in servers:
        reverse = {r.address: r for r in server.reverse or []}
        for p in server.probes:
            if p.outcome != Outcome.OK:
                starttls = ""
            elif p.starttls is None:
                starttls = say_ui("starttls_not_offered" if p.ehlo is not None else "not_looked", lang)
            else:
                starttls = (p.tls_protocol or "✓") if p.starttls == Outcome.OK else render(did(p.starttls), lang)
            found = problems(p, parse_time(facts.started))
            cert = "" if found is None else "✓" if not found else join([render(f, lang) for f in found], lang)
            r = reverse.get(p.address)
            if r is None:
                ptr = say_ui("not_looked", lang)
            elif r.confirmed:
                ptr = f"{r.confirmed[0]} ✓"
            elif r.ptr.records:
                ptr = say_ui("ptr_not_back", lang, name=", ".join(r.ptr.records))
            else:
                ptr = say_ui("ptr_none", lang) if r.ptr.outcome in (Outcome.OK, Outcome.DNS_NXDOMAIN,
                                                                     Outcome.DNS_NODATA) else how(r.ptr.outcome)
            result = spf.get(p.address)
            table.add_row(server.name, p.address, how(p.outcome), starttls, cert, ptr,
                          render({"f": f"spf.{result}"}, lang) if result is not None else say_ui("not_looked", lang))
    console.print(table)


def _render_site_info(console: Console, info: SiteInfo | None, lang: str,
                      how: Callable[[Outcome, int | None], str]) -> None:
    """What the page showed of Circular 32/2017 art. 16, item by item, as seen (so a reader can tell a footer the
    scanner missed from one that is not there), and the XML sitemap asked for."""
    from .catalogue import render
    from .checks.siteinfo import ITEMS

    if info is None:
        return
    console.print(Text(say_ui("show_site_info", lang), style="bold"))
    for item in ITEMS:
        seen = getattr(info, item)
        line = Text(f"  {render({'f': f'siteinfo.item.{item}'}, lang)}: ")
        line.append(seen if seen is not None else say_ui("show_not_seen", lang), style="" if seen else "magenta")
        console.print(line)
    xml = info.xml_sitemap
    if xml is not None:
        judged = ("show_xml_found" if xml.found else "show_xml_elsewhere" if xml.found is None
                  else "show_xml_not_sitemap")
        line = Text(f"  {say_ui('show_xml_sitemap', lang)}: {xml.url} ({how(xml.outcome, xml.status)}) ")
        line.append(say_ui(judged, lang), style="green" if xml.found else "magenta")
        console.print(line)


def _origins_table(origins: list[Dependency], first: str, second: str, lang: str,
                   how: Callable[[Outcome, int | None], str], what: Callable[[Dependency], str]) -> Table:
    """Origins probed over IPv6 (what the page loads, the sites it links to), one a row: the host (and where its
    redirects led; column ``first``), ``second`` (``what`` of each), how it does on IPv6 only, the address and
    answer, when and for which host it was probed (once per scan)."""
    from .checks._service import dep_path, dep_state, landing

    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for key in (first, second, "col_ipv6", "col_detail", "col_probed_for"):
        table.add_column(say_ui(key, lang), overflow="fold")
    for dep in origins:
        state = dep_state(dep)
        probe = landing(dep)  # (where its redirects led, if they did: the host column names the way)
        detail = "" if probe is None or state in ("no_aaaa", "dns_failed") else how(probe.outcome, probe.status)
        address = f"{probe.address} " if probe is not None and probe.address else ""
        probed = "" if probe is None else say_ui("show_probed_for", lang, host=probe.for_host, at=probe.at)
        table.add_row(dep_path(dep), what(dep), Text(say_ui(f"dep_state.{state}", lang), style=_DEP_STYLE[state]),
                      f"{address}{detail}".strip(), probed)
    return table


def _render_links(console: Console, page: PageFacts, lang: str, how: Callable[[Outcome, int | None], str]) -> None:
    """The government sites the page links to (``--links``), each as an IPv6-only citizen who clicks finds it."""
    if page.links is None:
        return  # (not asked: web.links_ipv6 says so among the checks)
    console.print(Text(say_ui("show_links", lang), style="bold"))
    if not page.links:
        console.print(Text("  " + say_ui("show_links_none", lang)))
        return
    console.print(_origins_table(page.links, "col_site", "col_link_text", lang, how, lambda dep: dep.text or ""))
    more = page.links_found - len(page.links)
    if more > 0:
        console.print(Text("  " + say_ui("show_links_more", lang, n=number(more, lang))))


def render_host(console: Console, rec: HostRecord, lang: str) -> None:
    """Everything judged about one host: every check in words, what its page loads (each origin over IPv6,
    when and for which host it was probed) and every zone on its resolution path."""
    from .catalogue import join, render
    from .checks import message
    from .checks._facts import did, dns_why
    from .checks._service import BROKEN_ZONES, names_through, zone_states

    def how(outcome: Outcome, status: int | None = None) -> str:
        """What a request did, in words: "HTTP 200", "timed out", ..."""
        if outcome == Outcome.OK or status is not None and outcome not in (Outcome.TIMEOUT,):
            return f"HTTP {status}" if status is not None else "✓"
        return render(dns_why(outcome) if outcome.value.startswith(("dns_", "cname_")) else did(outcome), lang)

    facts, result = rec.facts, rec.result
    title = Text(facts.display, style="bold")
    if facts.display != facts.host:
        title.append(f" ({facts.host})")
    title.append(" — ")
    title.append(say_ui(f"verdict.{result.verdict.value}", lang), style=verdict_style(result.verdict.value))
    console.print(title)
    console.print(Text(say_ui("show_scanned", lang, when=facts.started), style="dim"))
    console.print(Text(say_ui("show_checks", lang), style="bold"))
    for check in result.checks:
        mark, style = _STATUS_MARK.get(check.status.value, ("·", ""))
        line = Text(f"  {mark} ", style=style)
        line.append(check.id, style="cyan")
        line.append(f"  {message(check, lang)}")
        console.print(line)
    page = facts.page
    console.print(Text(say_ui("show_deps", lang), style="bold"))
    if page is None:
        console.print(Text("  " + say_ui("show_not_looked" if not facts.subresources else "show_no_page", lang)))
    else:
        console.print(Text("  " + say_ui("show_page", lang, url=page.url, family="IPv6" if page.family == "ipv6"
                                         else "IPv4", address=page.address, found=number(page.found, lang),
                                         cap=number(page.cap, lang))))
        for sheet in page.stylesheets:
            console.print(Text("  " + say_ui("show_stylesheet", lang, url=sheet.url,
                                             outcome=how(sheet.outcome, sheet.status))))
        if page.dependencies:
            console.print(_origins_table(page.dependencies, "col_blocker", "col_used_for", lang, how,
                                         lambda dep: join([render({"f": f"depkind.{k}"}, lang) for k in dep.kinds], lang)))
        _render_site_info(console, page.site_info, lang, how)
        _render_links(console, page, lang, how)
    _render_mail(console, facts, lang, how)
    chain = facts.chain
    console.print(Text(say_ui("show_chain", lang), style="bold"))
    if chain is None:
        console.print(Text("  " + say_ui("show_chain_not_looked", lang)))
        return
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for key in ("col_zone", "col_ipv6", "col_name_servers", "col_needed_for"):
        table.add_column(say_ui(key, lang), overflow="fold")
    states = zone_states(chain)
    parent_only = f" ({say_ui('ns_parent_only', lang)})"
    for link in chain.zones:
        state = states[link.zone]
        listed = [(s, "") for s in link.servers] + [(s, parent_only) for s in link.parent_only]
        servers = "; ".join(
            f"{s.name}{mark}: " + (", ".join(f"{p.address} {how(p.outcome)}" for p in s.probes)
                                   or say_ui("ns_no_aaaa" if s.aaaa_outcome == Outcome.DNS_NODATA
                                             else "dep_state.dns_failed", lang))
            for s, mark in listed) or how(link.outcome)
        style = "green" if state == "ok" else "bold red" if state in BROKEN_ZONES else "magenta"
        table.add_row(link.zone, Text(say_ui(f"zone_state.{state}", lang), style=style), servers,
                      ", ".join(names_through(chain, link.zone)))
    console.print(table)
    for name in chain.names:
        if name.outcome != Outcome.OK:
            console.print(Text("  " + say_ui("show_chain_lost", lang, name=name.name, detail=how(name.outcome)),
                               style="magenta"))
