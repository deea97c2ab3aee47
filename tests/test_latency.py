"""web.latency: IPv6 answering far later than IPv4 is a warning (Happy Eyeballs picks IPv4) (pure)."""

from __future__ import annotations

import msgspec

from ipv6scan.checks import judge, message
from ipv6scan.model import CheckStatus, Family
from tests.test_checks import V6A, V6B, site


def timed(facts, **by_address):
    """Each probe of an address gets (connect_ms, first_byte_ms); the others (20, 40)."""
    web = [msgspec.structs.replace(p, connect_ms=by_address.get(p.address, (20, 40))[0],
                                   first_byte_ms=by_address.get(p.address, (20, 40))[1]) for p in facts.web]
    return msgspec.structs.replace(facts, web=web)


def latency(facts):
    return {c.id: c for c in judge(facts).checks}["web.latency"]


def test_alike_families_pass_and_a_late_ipv6_address_is_named_with_both_figures() -> None:
    assert latency(timed(site())).status is CheckStatus.PASS
    late = timed(site(aaaa=(V6A, V6B)), **{V6B: (25, 1540)})
    found = latency(late)
    assert (found.status, found.reason) == (CheckStatus.WARN, "ipv6_slower")
    assert message(found, "en") == "Dual-stack browsers (Happy Eyeballs) will use IPv4: 2001:db8::11 answers in 1,540 ms, IPv4 in 40 ms"
    assert "trả lời trong 1.540 ms" in message(found, "vi")
    assert judge(late).verdict.value == "ready"


def test_both_thresholds_must_be_crossed() -> None:
    assert latency(timed(site(), **{V6A: (20, 300)})).status is CheckStatus.PASS  # 260 ms later: under 300 ms
    slow_base = timed(site(), **{"192.0.2.10": (400, 800), V6A: (450, 1200)})  # 400 ms later, but 1.5x
    assert latency(slow_base).status is CheckStatus.PASS
    assert latency(timed(site(), **{V6A: (700, 720)})).reason == "ipv6_slower"  # the connect


def test_one_family_or_older_scans_without_timings() -> None:
    assert latency(timed(site(aaaa=()))).status is CheckStatus.NOT_APPLICABLE
    assert latency(site()).status is CheckStatus.PASS  # no timings recorded (a 1.4 scan): nothing to compare
    assert Family.V6
