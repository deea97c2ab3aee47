"""Renderers of a :class:`~ipv6scan.scores.ScoreReport`: they present, never score.

``write_reports(report, outdir, stem=...)`` writes, per requested format:

* ``md``   -> ``<stem>.md``: the phase report in Markdown, to paste into an official report
* ``html`` -> ``<stem>.html``: one self-contained page (Jinja2 template, inline CSS and SVG charts, no script,
  a print stylesheet for A4)
* ``csv``  -> ``<stem>.csv`` (one row per host), ``<stem>-orgs.csv`` (one row per organisation) and
  ``<stem>-third-parties.csv`` (what breaks services on IPv6 only, ranked), UTF-8 with BOM for Excel
* ``xlsx`` -> ``<stem>.xlsx``: an Excel workbook (summary sheet, all hosts, one sheet per organisation)
* ``json`` -> ``<stem>.json``: the ScoreReport itself (``schema_version`` first)

``render_terminal(report, console)`` prints the phase summary. Human-facing output
is in Vietnamese (``lang="vi"``, the default) or English (``"en"``). ``titles``
maps policy phase / criterion ids to ``{"vi": ..., "en": ...}``; where it has no
title in ``lang``, the report's own (in the language it was scored in) is shown,
else the id.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..atomic import write_file
from ..diff import Diff
from ..scores import ScoreReport
from .charts import Trend
from .html import render_html
from .i18n import LANGS, Titles, check_lang
from .jsonout import read_json, write_json
from .markdown import render_markdown
from .tables import write_hosts_csv, write_orgs_csv, write_third_parties_csv
from .terminal import render_terminal
from .xlsx import write_xlsx

FORMATS = ("md", "html", "csv", "xlsx", "json")


def write_reports(
    report: ScoreReport,
    outdir: Path,
    *,
    stem: str,
    lang: str = "vi",
    formats: Sequence[str] = FORMATS,
    titles: Titles | None = None,
    trend: Trend | None = None,
    changes: Diff | None = None,
) -> list[Path]:
    """Write the requested formats into ``outdir`` (created if needed); the paths written, in order.

    An audit adds ``trend`` (the HTML page's chart of past scans) and ``changes`` (its diff against the previous
    audit: the "what changed" section of the HTML and Markdown reports).
    """
    check_lang(lang)
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ValueError(f"unknown report format {', '.join(unknown)}: use {', '.join(FORMATS)}")
    if not stem or stem in (".", "..") or Path(stem).name != stem:
        raise ValueError(f"report name {stem!r} must be a plain file name")
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for fmt in dict.fromkeys(formats):
        if fmt == "md":
            path = outdir / f"{stem}.md"
            write_file(path, render_markdown(report, lang=lang, titles=titles, changes=changes))
            written.append(path)
        elif fmt == "html":
            path = outdir / f"{stem}.html"
            write_file(path, render_html(report, lang=lang, titles=titles, trend=trend, changes=changes))
            written.append(path)
        elif fmt == "csv":
            hosts, orgs = outdir / f"{stem}.csv", outdir / f"{stem}-orgs.csv"
            third = outdir / f"{stem}-third-parties.csv"
            write_hosts_csv(report, hosts, lang=lang, titles=titles)
            write_orgs_csv(report, orgs, lang=lang, titles=titles)
            write_third_parties_csv(report, third, lang=lang)
            written += [hosts, orgs, third]
        elif fmt == "xlsx":
            path = outdir / f"{stem}.xlsx"
            write_xlsx(report, path, lang=lang, titles=titles)
            written.append(path)
        else:
            path = outdir / f"{stem}.json"
            write_json(report, path)
            written.append(path)
    return written


__all__ = ["FORMATS", "LANGS", "read_json", "render_terminal", "write_reports"]
