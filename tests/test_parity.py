"""parity.py: per-request noise is removed, real differences are not."""

from __future__ import annotations

import secrets

import pytest

from ipv6scan.model import CertInfo, Family, Outcome, TlsFacts, WebProbe
from ipv6scan.probe.parity import compare, decode_html, normalise_body, similarity

TEMPLATE = """<!DOCTYPE html>
<html><head>
<meta charset="utf-8">
<meta name="csrf-token" content="{token}">
<title>Cổng thông tin điện tử</title>
<script nonce="{nonce}">var t = {epoch};</script>
</head><body>
<form method="post" action="/login;jsessionid={session}">
<input type="hidden" name="__VIEWSTATE" value="{viewstate}" />
<input type="hidden" name="__EVENTVALIDATION" value="{viewstate}" />
<input name="__RequestVerificationToken" type="hidden" value="{token}">
<input type="hidden" name="_csrf" value="{token}">
<input type="text" name="user" value="">
</form>
<a href="/news?PHPSESSID={session}">Tin tức</a>
<p>Cập nhật lúc {clock} ngày {date} — {iso}</p>
<p>Generated {http_date}</p>
<img src="/static/{hash}.png">
{paragraphs}
</body></html>
"""


def _page(seed: int, paragraphs: str = "") -> bytes:
    rnd = secrets.token_hex
    text = TEMPLATE.format(
        token=rnd(16),
        nonce=secrets.token_urlsafe(16),
        epoch=1_700_000_000 + seed,
        session=rnd(12).upper(),
        viewstate=secrets.token_urlsafe(120),
        clock=f"{seed % 24:02d}:{seed % 60:02d}",
        date=f"{seed % 28 + 1:02d}/0{seed % 9 + 1}/2025",
        iso=f"2025-0{seed % 9 + 1}-1{seed % 9}T10:{seed % 60:02d}:00Z",
        http_date=f"Mon, 0{seed % 9 + 1} Jun 2025 10:00:{seed % 60:02d} GMT",
        hash=rnd(20),
        paragraphs=paragraphs or "\n".join(f"<p>Đoạn văn số {i} về dịch vụ công.</p>" for i in range(40)),
    )
    return text.encode()


def test_pages_differing_only_by_per_request_noise_are_the_same() -> None:
    a, b = _page(1), _page(37)
    assert a != b
    assert normalise_body(a) == normalise_body(b)
    assert similarity(normalise_body(a), normalise_body(b)) >= 0.99


def test_a_different_page_is_not_similar() -> None:
    home = _page(1)
    error = _page(2, paragraphs="<h1>404 Not Found</h1><p>The requested URL was not found on this server.</p>")
    other = b"<html><head><title>nginx</title></head><body><h1>Welcome to nginx!</h1></body></html>"
    assert similarity(normalise_body(home), normalise_body(error)) < 0.9
    assert similarity(normalise_body(home), normalise_body(other)) < 0.1


def test_a_small_real_change_lowers_similarity_a_little() -> None:
    a = _page(1)
    b = a.replace("Đoạn văn số 7 ".encode(), "Thông báo mới ".encode())
    score = similarity(normalise_body(a), normalise_body(b))
    assert 0.9 < score < 1.0


def test_minified_html_is_compared_tag_by_tag() -> None:
    units = normalise_body(b"<html><body><p>one</p><p>two</p></body></html>").split("\n")
    assert units == ["<html>", "<body>", "<p>one</p>", "<p>two</p></body></html>"]


def test_normalisation_keeps_content_and_meaningful_numbers() -> None:
    text = normalise_body(b"<p>Hotline 1900 1234, route 66, version 2.1</p>\n\n   <p>  a \t b </p>")
    assert text == "<p>Hotline 1900 1234, route 66, version 2.1</p>\n<p> a b </p>"


def test_ordinary_inputs_and_long_words_are_kept() -> None:
    body = b'<input name="email" value="a@b.test"><p>internationalisation-and-localisation</p>'
    text = normalise_body(body)
    assert 'value="a@b.test"' in text and "internationalisation-and-localisation" in text


def test_cap_limits_what_is_compared() -> None:
    assert normalise_body(b"<p>same</p>" + b"A" * 100, cap=11) == normalise_body(b"<p>same</p>" + b"B" * 100, cap=11)


@pytest.mark.parametrize(
    ("body", "text"),
    [
        ('<meta charset="windows-1258"><p>Vi\u00ea\u0323t</p>'.encode("cp1258"), "Vi\u00ea\u0323t"),
        ("<p>Việt Nam</p>".encode(), "Việt Nam"),
        ("<p>café</p>".encode("latin-1"), "café"),
        ("<p>Việt".encode()[:-1], "<p>Vi"),  # a character cut by the cap
    ],
)
def test_decoding(body: bytes, text: str) -> None:
    assert text in decode_html(body)


def test_similarity_edges() -> None:
    assert similarity("", "") == 1.0
    assert similarity("a", "") == 0.0
    assert similarity("a", "a") == 1.0
    assert similarity("a", "b") == 0.0


def _probe(family: Family, address: str, *, status: int | None, length: int | None, sha: str | None) -> WebProbe:
    cert = None
    if sha:
        cert = CertInfo(
            sha256=sha, subject="CN=x", issuer="CN=ca", not_before="2025-01-01T00:00:00Z",
            not_after="2026-01-01T00:00:00Z", key_type="EC",
        )
    return WebProbe(
        scheme="https",
        address=address,
        family=family,
        port=443,
        outcome=Outcome.OK,
        final_status=status,
        body_length=length,
        tls=TlsFacts(outcome=Outcome.OK, cert=cert),
    )


def test_compare_reports_statuses_lengths_similarity_and_certificate() -> None:
    a, b = _page(1), _page(2)
    v4 = _probe(Family.V4, "192.0.2.1", status=200, length=len(a), sha="aa")
    v6 = _probe(Family.V6, "2001:db8::1", status=200, length=len(b), sha="aa")
    facts = compare(v4, a, v6, b)
    assert (facts.scheme, facts.v4_address, facts.v6_address) == ("https", "192.0.2.1", "2001:db8::1")
    assert (facts.v4_status, facts.v6_status, facts.v4_length, facts.v6_length) == (200, 200, len(a), len(b))
    assert facts.similarity == 1.0 and facts.same_certificate is True

    v6_other = _probe(Family.V6, "2001:db8::1", status=503, length=10, sha="bb")
    facts = compare(v4, a, v6_other, None)
    assert facts.v6_status == 503 and facts.similarity is None and facts.same_certificate is False

    no_cert = _probe(Family.V6, "2001:db8::1", status=None, length=None, sha=None)
    assert compare(v4, a, no_cert, None).same_certificate is None


def test_identical_bodies_are_the_same_page_without_normalising(monkeypatch: pytest.MonkeyPatch) -> None:
    import ipv6scan.probe.parity as parity

    def forbidden(*args: object, **kwargs: object) -> str:
        raise AssertionError("identical bodies must not be normalised")

    monkeypatch.setattr(parity, "normalise_body", forbidden)
    page = _page(1)
    v4 = _probe(Family.V4, "192.0.2.1", status=200, length=len(page), sha="aa")
    v6 = _probe(Family.V6, "2001:db8::1", status=200, length=len(page), sha="aa")
    assert compare(v4, page, v6, bytes(page)).similarity == 1.0
