"""tls.hsts: read from the final HTTPS answers of every address; the worst address decides."""

from __future__ import annotations

import msgspec
import pytest

from ipv6scan.checks import judge, message
from ipv6scan.checks.hsts import max_age
from ipv6scan.model import CheckStatus, Outcome
from ipv6scan.policy import load_policy
from ipv6scan.scoring import score
from ipv6scan.model import HostRecord

from tests.test_checks import V4A, V6A, site

YEAR = "max-age=31536000"


def with_hsts(v4: str | None, v6: str | None):
    facts = site()
    web = []
    for p in facts.web:
        if p.scheme == "https":
            value = v4 if p.address == V4A else v6
            p = msgspec.structs.replace(p, headers={} if value is None else {"strict-transport-security": value})
        web.append(p)
    return msgspec.structs.replace(facts, web=web)


def hsts(facts):
    return next(c for c in judge(facts).checks if c.id == "tls.hsts")


@pytest.mark.parametrize("value, seconds", [
    ("max-age=31536000; includeSubDomains; preload", 31536000),
    ('max-age="63072000"', 63072000),
    ("includeSubDomains; MAX-AGE = 600", 600),
    ("max-age=600, max-age=31536000", 600),  # two headers joined: the first one counts (RFC 6797 8.1)
    ("max-age=abc", None),
    ("", None),
    (None, None),
])
def test_max_age_is_read_as_rfc_6797_says(value, seconds):
    assert max_age(value) == seconds


def test_a_year_on_both_families_passes():
    found = hsts(with_hsts(YEAR, "max-age=63072000; includeSubDomains"))
    assert (found.status, found.reason) == (CheckStatus.PASS, "hsts_ok")
    # includeSubDomains is noted, per address, never judged
    assert message(found, "en") == "Every HTTPS answer sends HSTS for 365 days; without includeSubDomains on 192.0.2.10"
    both = hsts(with_hsts(YEAR + "; includeSubDomains", "max-age=63072000; includeSubDomains"))
    assert message(both, "en") == "Every HTTPS answer sends HSTS for 365 days; includeSubDomains on every one"
    assert message(both, "vi").endswith("mọi trả lời đều có includeSubDomains")


def test_missing_on_the_ipv6_address_alone_fails_and_names_it():
    found = hsts(with_hsts(YEAR, None))
    assert (found.status, found.reason) == (CheckStatus.FAIL, "hsts_missing")
    assert V6A in message(found, "en") and V4A not in message(found, "en")
    assert "Không có tiêu đề HSTS" in message(found, "vi")


def test_max_age_zero_is_no_hsts_and_a_short_one_is_a_warning():
    assert hsts(with_hsts("max-age=0", YEAR)).reason == "hsts_missing"
    short = hsts(with_hsts("max-age=86400", YEAR))
    assert (short.status, short.reason) == (CheckStatus.WARN, "hsts_short") and "1 days" in message(short, "en")


def test_no_https_answer_is_not_applicable_and_the_verdict_never_moves():
    facts = site(outcomes={("https", V4A): Outcome.REFUSED, ("https", V6A): Outcome.REFUSED})
    found = hsts(facts)
    assert (found.status, found.reason) == (CheckStatus.NOT_APPLICABLE, "not_probed")
    assert judge(with_hsts(None, None)).verdict == judge(with_hsts(YEAR, YEAR)).verdict == "ready"


def test_the_policy_scores_hsts_for_portals_in_no_binding_phase():
    policy = load_policy(None)
    criterion = policy.criterion("hsts")
    assert criterion.checks_pass == ["tls.hsts"] and set(criterion.kinds) == {"portal", "dichvucong"}
    # a recommendation: only the non-binding web-security phase names it, so it never fails a host
    assert [p.id for p in policy.phases if any("hsts" in r.criteria for r in p.requirements)] == ["web-security"]
    assert not next(p for p in policy.phases if p.id == "web-security").binding
    records = [HostRecord(facts=msgspec.structs.replace(f, kind="portal", org="X"), result=judge(f))
               for f in (with_hsts(YEAR, YEAR),)]
    bad = with_hsts(None, YEAR)
    records.append(HostRecord(facts=msgspec.structs.replace(bad, host="b.gov.example", kind="portal", org="X"),
                              result=judge(bad)))
    report = score(records, policy, lang="en")
    states = {h.host: next(c.state for c in h.criteria if c.criterion == "hsts") for h in report.hosts}
    assert states == {records[0].facts.host: "pass", "b.gov.example": "fail"}
