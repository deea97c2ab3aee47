"""Government sites the scanned portals link to that the list does not hold: candidates for the next list.

A province's list is written by hand and misses systems: a department's site, a new one-stop system. The
portals' pages name them (``PageFacts.links``: the sites under the link domains or the portal's own site). This
module reads a saved scan's records and gathers every linked site not scanned, with who links to it, the first
link's words and how it did over IPv6; :func:`discovered_csv` writes them as a target list (``host,org,kind,tags``
and three columns a reader of the list uses, which ``read_targets`` ignores). Pure: no network.

The organisation is filled in only for a site of the linking host's own domain (the name one label below the
link domain: ``motcua.danang.gov.vn`` linked from ``dichvucong.danang.gov.vn``, both ``danang.gov.vn``), and
then tagged ``guess``; a site of another agency is left for a person to name. Every row is tagged
``discovered``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field

from .checks._service import dep_state
from .config import LINK_DOMAINS
from .model import HostRecord, ScanHeader
from .probe.page import site_of, under

__all__ = ["Discovered", "discover", "discovered_csv", "owner_domain"]

LINKED_FROM_SHOWN = 3  # linking hosts named per row (all are counted)


@dataclass
class Discovered:
    """A government site the scanned pages link to that the scan did not hold."""

    host: str
    org: str | None = None  # the linking host's, when the site is in its own domain (owner_domain; a guess)
    text: str | None = None  # the first link's words
    ipv6: str = ""  # how it did for an IPv6-only client (_service.DepState), as first probed
    linked_from: list[str] = field(default_factory=list)  # the hosts whose pages link to it, in scan order


def owner_domain(host: str, domains: Iterable[str]) -> str:
    """The domain a host's owner holds: one label below the link domain it is under (``danang.gov.vn`` for
    ``dichvucong.danang.gov.vn`` under ``gov.vn``), else its site (:func:`~.probe.page.site_of`)."""
    for domain in domains:
        if host.endswith("." + domain):
            return host[: -len(domain) - 1].rsplit(".", 1)[-1] + "." + domain
    return site_of(host)


def discover(lines: Iterable[HostRecord | ScanHeader], domains: Iterable[str] = LINK_DOMAINS
             ) -> tuple[list[Discovered], int]:
    """The linked sites not scanned, most linked first, and how many scanned pages were read for their links.
    ``lines``: a scan's host records (its header, when given, says the link domains it used)."""
    scanned: set[str] = set()
    found: dict[str, Discovered] = {}
    pages = 0
    domains = tuple(domains)
    for record in lines:
        if isinstance(record, ScanHeader):
            domains = tuple(record.options.get("link_domains") or domains)
            continue
        facts = record.facts
        scanned.update((facts.host, site_of(facts.host)))
        page = facts.page
        if page is None or page.links is None:
            continue
        pages += 1
        own = owner_domain(facts.host, domains)
        for link in page.links:
            entry = found.get(link.host)
            if entry is None:
                entry = found[link.host] = Discovered(host=link.host, text=link.text, ipv6=dep_state(link).value)
            if facts.host not in entry.linked_from:
                entry.linked_from.append(facts.host)
            if entry.org is None and facts.org and under(link.host, (own,)):
                entry.org = facts.org
    fresh = [d for d in found.values() if d.host not in scanned and site_of(d.host) not in scanned]
    return sorted(fresh, key=lambda d: (-len(d.linked_from), d.host)), pages


def discovered_csv(items: list[Discovered]) -> str:
    """A target list of the discovered sites (``ipv6scan scan`` reads it; kinds are then guessed from names)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["host", "org", "kind", "tags", "linked_from", "link_text", "ipv6"])
    for d in items:
        tags = "discovered;guess" if d.org else "discovered"
        shown = d.linked_from[:LINKED_FROM_SHOWN]
        more = len(d.linked_from) - len(shown)
        writer.writerow([d.host, d.org or "", "", tags, " ".join(shown) + (f" (+{more})" if more else ""),
                         d.text or "", d.ipv6])
    return out.getvalue()
