"""web.security_headers (pure): nosniff and framing protection warn, CSP and Referrer-Policy inform, per address."""

from __future__ import annotations

import pytest

from ipv6scan.checks import judge, message
from ipv6scan.checks.secheaders import missing_headers
from ipv6scan.model import CheckStatus, Outcome
from tests.test_checks import V4A, V6A, checks_of, replace_probe, site, web_probe

HSTS = {"strict-transport-security": "max-age=31536000"}
GOOD = {**HSTS, "x-content-type-options": "nosniff", "x-frame-options": "SAMEORIGIN",
        "content-security-policy": "default-src 'self'", "referrer-policy": "strict-origin-when-cross-origin"}


def with_headers(headers_v4: dict[str, str], headers_v6: dict[str, str] | None = None):
    facts = replace_probe(site(), "https", V4A, headers=headers_v4)
    return replace_probe(facts, "https", V6A, headers=headers_v4 if headers_v6 is None else headers_v6)


def found(facts):
    return checks_of(judge(facts))["web.security_headers"]


@pytest.mark.parametrize(
    ("headers", "missing"),
    [
        (GOOD, []),
        (HSTS, ["X-Content-Type-Options", "X-Frame-Options", "Content-Security-Policy", "Referrer-Policy"]),
        ({**GOOD, "x-frame-options": "ALLOW-FROM https://a.example"}, ["X-Frame-Options"]),
        ({**GOOD, "x-frame-options": "", "content-security-policy": "default-src 'self'; frame-ancestors 'none'"}, []),
        # two CSP headers joined: the second one's frame-ancestors protects too
        ({**GOOD, "x-frame-options": "", "content-security-policy": "default-src 'self', frame-ancestors 'self'"}, []),
        ({**GOOD, "x-content-type-options": "nosniff, nosniff"}, []),
        ({**GOOD, "x-content-type-options": "sniff"}, ["X-Content-Type-Options"]),
        ({**GOOD, "referrer-policy": "no-referrer, unsafe-url"}, ["Referrer-Policy"]),  # the last one is used
        ({**GOOD, "referrer-policy": "unsafe-url, no-referrer"}, []),
    ],
)
def test_what_each_answer_lacks(headers, missing):
    facts = with_headers(headers)
    probe = next(p for p in facts.web if p.scheme == "https")
    assert missing_headers(probe) == missing


def test_all_sent_passes_and_nosniff_or_framing_missing_warns_naming_the_address():
    assert found(with_headers(GOOD)).status is CheckStatus.PASS
    result = found(with_headers(GOOD, {**GOOD, "x-frame-options": ""}))
    assert (result.status, result.reason) == (CheckStatus.WARN, "security_headers_missing")
    assert result.message == "Security headers missing: 2001:db8::10 lacks X-Frame-Options"
    assert message(result, "vi") == "Thiếu tiêu đề bảo mật: 2001:db8::10 thiếu X-Frame-Options"


def test_only_csp_or_referrer_policy_missing_is_said_not_warned():
    result = found(with_headers({**GOOD, "content-security-policy": "", "referrer-policy": ""}))
    assert (result.status, result.reason) == (CheckStatus.INFO, "security_headers_partial")
    assert "192.0.2.10 lacks Content-Security-Policy and Referrer-Policy" in result.message


def test_no_https_page_is_not_applicable_and_never_counts_for_the_verdict():
    facts = site(outcomes={("https", V4A): Outcome.REFUSED, ("https", V6A): Outcome.REFUSED})
    assert found(facts).status is CheckStatus.NOT_APPLICABLE
    bare = with_headers(HSTS)
    assert found(bare).status is CheckStatus.WARN and judge(bare).verdict.value == "ready"
