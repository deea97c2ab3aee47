"""SPF (RFC 7208): would mail sent from this address for this domain pass the domain's SPF?

``check_host`` as a receiving mail server runs it, with the scan's own DNS client: the record (one TXT
``v=spf1 …``), its mechanisms in order — ``all``, ``ip4``, ``ip6``, ``a``, ``mx``, ``ptr``, ``include``,
``exists`` — and ``redirect``; the limits of section 4.6.4 (10 terms that look something up, 10 names of
an ``mx``, 2 lookups that find nothing); macros (section 7) in domain specifications. The sender is taken
as ``postmaster@<domain>`` and the HELO name as the mail server's own name: what a server sending for the
domain would say.

A DNS lookup that got no answer is ``temperror`` (unknown), never a verdict about the address. Only
``exp=`` is not evaluated (it words a rejection, it does not change the result).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from ..model import DNS_UNANSWERED, DnsLookup, Outcome, SpfResult
from .dns import forward_confirmed

Lookup = Callable[[str, str], Awaitable[DnsLookup]]

MAX_LOOKUPS = 10  # terms that cause DNS lookups, in one evaluation with its includes (RFC 7208 4.6.4)
MAX_VOID = 2  # lookups answering nothing (NXDOMAIN, no records) before it is an error
MAX_NAMES = 10  # names of one mx (or ptr) looked at
_QUALIFIERS = {"+": SpfResult.PASS, "-": SpfResult.FAIL, "~": SpfResult.SOFTFAIL, "?": SpfResult.NEUTRAL}
_TERM = re.compile(r"^(?P<name>[a-z][a-z0-9_.-]*)(?::(?P<domain>[^/]*))?(?:/(?P<c4>\d+))?(?://(?P<c6>\d+))?$", re.I)
_MACRO = re.compile(r"%(?:\{(?P<letter>[slodiphvcrt])(?P<digits>\d*)(?P<reverse>r?)(?P<delims>[.\-+,/_=]*)\}|(?P<esc>[%_-]))",
                    re.I)


class SpfError(Exception):
    """Evaluation ends: ``result`` is permerror or temperror; ``code`` says why (one of :data:`ERRORS`),
    ``at`` where (a name or a term); the message is its English, for the JSON."""

    def __init__(self, result: SpfResult, code: str, at: str, detail: str) -> None:
        super().__init__(detail)
        self.result, self.code, self.at = result, code, at


ERRORS = ("no_answer", "two_records", "bad_network", "unknown_mechanism", "no_record", "too_many_names",
          "too_many_lookups", "too_many_void", "bad_macro")
"""Why an evaluation ended in an error: the codes SpfCheck.error may hold (each worded in the catalogue)."""


def spf_record(lookup: DnsLookup) -> str | None:
    """The domain's SPF record among its TXT records; None when it has none. Raises :class:`SpfError`."""
    if lookup.outcome in DNS_UNANSWERED:
        raise SpfError(SpfResult.TEMPERROR, "no_answer", f"TXT {lookup.name}", f"TXT {lookup.name}: {lookup.outcome}")
    if lookup.outcome != Outcome.OK:
        return None
    found = [r for r in lookup.records if r.lower() == "v=spf1" or r.lower().startswith("v=spf1 ")]
    if len(found) > 1:
        raise SpfError(SpfResult.PERMERROR, "two_records", lookup.name, f"{lookup.name} publishes {len(found)} SPF records")
    return found[0] if found else None


class Evaluation:
    """One check_host run for one address (its lookup counts are its own)."""

    def __init__(self, lookup: Lookup, address: str, *, helo: str) -> None:
        self._lookup = lookup
        self.ip = ipaddress.ip_address(address)
        self.helo = helo
        self.lookups = 0
        self.voids = 0
        self.term: str | None = None  # the term that decided, in the domain where it matched

    async def check_host(self, domain: str, record: str | None = None) -> SpfResult:
        """The result for ``domain`` (``record``: its SPF record when the caller already has it)."""
        if record is None:
            record = spf_record(await self._lookup(domain, "TXT"))
            if record is None:
                return SpfResult.NONE
        redirect = None
        for term in record.split()[1:]:
            name, eq, value = term.partition("=")
            if eq and ":" not in name and "/" not in name:  # a modifier
                if name.lower() == "redirect" and redirect is None:
                    redirect = value
                continue
            qualifier = term[0] if term[0] in _QUALIFIERS else "+"
            if await self._matches(term[1:] if term[0] in _QUALIFIERS else term, domain):
                self.term = term
                return _QUALIFIERS[qualifier]
        if redirect is not None:
            self._count()
            target = self._expand(redirect, domain)
            result = await self.check_host(target)
            if result is SpfResult.NONE:
                raise SpfError(SpfResult.PERMERROR, "no_record", f"redirect={target}", f"redirect={target} has no SPF record")
            return result
        self.term = None
        return SpfResult.NEUTRAL

    async def _matches(self, mechanism: str, domain: str) -> bool:
        name = mechanism.split(":", 1)[0].split("/", 1)[0].lower()
        if name == "all":
            return True
        if name in ("ip4", "ip6"):
            try:
                network = ipaddress.ip_network(mechanism.split(":", 1)[1], strict=False)
            except (IndexError, ValueError):
                raise SpfError(SpfResult.PERMERROR, "bad_network", mechanism, f"not a network: {mechanism}") from None
            if (network.version == 4) != (name == "ip4"):
                raise SpfError(SpfResult.PERMERROR, "bad_network", mechanism, f"not a network: {mechanism}")
            return self.ip.version == network.version and self.ip in network
        parsed = _TERM.match(mechanism)
        if parsed is None or name not in ("a", "mx", "ptr", "include", "exists"):
            raise SpfError(SpfResult.PERMERROR, "unknown_mechanism", mechanism, f"unknown mechanism: {mechanism}")
        target = self._expand(parsed["domain"], domain) if parsed["domain"] else domain
        self._count()
        if name == "include":
            if not parsed["domain"]:
                raise SpfError(SpfResult.PERMERROR, "unknown_mechanism", mechanism, "include without a domain")
            outer = self.term
            result = await self.check_host(target)
            self.term = outer  # what matched inside the include is not what decided here
            if result in (SpfResult.PERMERROR, SpfResult.NONE):
                raise SpfError(SpfResult.PERMERROR, "no_record", f"include:{target}", f"include:{target} has no usable SPF record")
            return result is SpfResult.PASS
        if name == "exists":
            return bool(await self._records(target, "A"))
        if name == "ptr":
            return await self._ptr(target)
        prefix = int(parsed["c6"] or 128) if self.ip.version == 6 else int(parsed["c4"] or 32)
        hosts = [target] if name == "a" else \
            [r.split(" ", 1)[1] for r in await self._records(target, "MX")][: MAX_NAMES + 1]
        if len(hosts) > MAX_NAMES:
            raise SpfError(SpfResult.PERMERROR, "too_many_names", f"mx:{target}", f"mx:{target} has more than {MAX_NAMES} names")
        for host in hosts:
            for address in await self._records(host, "AAAA" if self.ip.version == 6 else "A"):
                if self.ip in ipaddress.ip_network(f"{address}/{prefix}", strict=False):
                    return True
        return False

    async def _ptr(self, target: str) -> bool:
        """ptr (discouraged, still met): a name of the address's PTR that resolves back to it is ``target`` or
        below it. A failed PTR lookup fails to match; a name whose lookup failed is skipped (section 5.5)."""
        reverse = await forward_confirmed(self._lookup, str(self.ip), names=MAX_NAMES)
        if not reverse.ptr.records and reverse.ptr.outcome not in DNS_UNANSWERED:
            self._void(reverse.ptr.name)
        return any(name == target or name.endswith("." + target) for name in reverse.confirmed)

    async def _records(self, name: str, rdtype: str) -> list[str]:
        found = await self._lookup(name, rdtype)
        if found.outcome in DNS_UNANSWERED:
            raise SpfError(SpfResult.TEMPERROR, "no_answer", f"{rdtype} {name}", f"{rdtype} {name}: {found.outcome}")
        if not found.records:
            self._void(name)
        return found.records

    def _void(self, name: str) -> None:
        """A lookup found nothing (NXDOMAIN, no records): more than MAX_VOID is an error (section 4.6.4)."""
        self.voids += 1
        if self.voids > MAX_VOID:
            raise SpfError(SpfResult.PERMERROR, "too_many_void", name, f"more than {MAX_VOID} lookups found nothing")

    def _count(self) -> None:
        self.lookups += 1
        if self.lookups > MAX_LOOKUPS:
            raise SpfError(SpfResult.PERMERROR, "too_many_lookups", str(MAX_LOOKUPS), f"more than {MAX_LOOKUPS} DNS lookups")

    def _expand(self, spec: str, domain: str) -> str:
        """A domain specification with its macros expanded (RFC 7208 section 7)."""
        def letter(key: str) -> str:
            return {
                "s": f"postmaster@{domain}", "l": "postmaster", "o": domain, "d": domain, "h": self.helo,
                "i": ".".join(self.ip.exploded.replace(":", "")) if self.ip.version == 6 else str(self.ip),
                "v": "ip6" if self.ip.version == 6 else "in-addr", "p": "unknown",
            }.get(key, "")

        def one(m: re.Match[str]) -> str:
            if m["esc"]:
                return {"%": "%", "_": " ", "-": "%20"}[m["esc"]]
            parts = re.split("[" + re.escape(m["delims"] or ".") + "]", letter(m["letter"].lower()))
            if m["reverse"]:
                parts.reverse()
            if m["digits"]:
                parts = parts[-int(m["digits"]):] if int(m["digits"]) else parts
            return ".".join(parts)

        if "%" in spec and re.sub(_MACRO, "", spec).count("%"):
            raise SpfError(SpfResult.PERMERROR, "bad_macro", spec, f"a bad macro in {spec}")
        out = _MACRO.sub(one, spec).rstrip(".")
        while len(out) > 253 and "." in out:  # (section 7.3: the left labels go)
            out = out.split(".", 1)[1]
        return out.lower()


async def evaluate(lookup: Lookup, address: str, domain: str, record: str, *, helo: str) -> SpfOutcome:
    """check_host(address, domain) with the domain's record already read."""
    run = Evaluation(lookup, address, helo=helo)
    try:
        result = await run.check_host(domain, record)
    except SpfError as e:
        return SpfOutcome(e.result, error=e)
    return SpfOutcome(result, term=run.term)


@dataclass(frozen=True)
class SpfOutcome:
    """The result; the term that decided it (None: none matched); the error that ended it."""

    result: SpfResult
    term: str | None = None
    error: SpfError | None = None
