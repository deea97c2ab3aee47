"""The catalogue: every reason code and every sentence in Vietnamese and English, rendered."""

from __future__ import annotations

import re

import pytest

from ipv6scan import catalogue
from ipv6scan.addresses import _CATEGORIES
from ipv6scan.checks import CHECKS, all_reasons, check_ids, judge, message
from ipv6scan.checks._facts import DID, dns_reasons

from tests.test_checks import SCENARIOS

LETTERS = re.compile(r"[^\W\d_]", re.UNICODE)


def words(template: str) -> str:
    """What a template says besides its placeholders."""
    return LETTERS.findall(re.sub(r"\{[^}]*\}", "", template)) and re.sub(r"\{[^}]*\}", "", template).strip()


def test_every_declared_reason_has_a_line_in_both_languages():
    lines = catalogue.reasons()
    for code in all_reasons():
        assert code in lines, f"reason {code!r} has no catalogue entry"
        entry = lines[code]
        assert entry.get("en") and entry.get("vi"), code
        assert entry["vi"] != entry["en"], f"reason {code!r} is not translated"


def test_the_catalogue_has_no_reason_no_check_declares():
    assert set(catalogue.reasons()) == set(all_reasons())


@pytest.mark.parametrize("key", sorted(catalogue.texts()))
def test_every_text_renders_in_both_languages(key):
    entry = catalogue.texts()[key]
    assert set(entry) == {"en", "vi"}, key
    assert catalogue.fields(entry["en"]) == catalogue.fields(entry["vi"]), f"{key}: the languages take other values"
    if words(entry["en"]):
        assert entry["vi"] != entry["en"], f"text {key!r} is not translated"
    values = {name: 1 for name in catalogue.fields(entry["en"])}
    for lang in ("en", "vi"):
        text = catalogue.render({"f": key, **values}, lang)
        assert "{" not in text and "}" not in text


def test_every_special_range_every_outcome_and_every_dns_failure_has_words():
    texts = catalogue.texts()
    assert all(f"special.{name}" in texts for name, _ in _CATEGORIES) and "special.reserved" in texts
    assert "special.ipv4_embedded" in texts
    assert all(f"did.{outcome}" in texts for outcome in DID)
    kinds = {code.removesuffix("_a").removesuffix("_aaaa") for code in dns_reasons()}
    assert all(f"dns.{kind}" in texts for kind in kinds)


@pytest.mark.parametrize("facts", SCENARIOS)
def test_every_result_reads_in_both_languages(facts):
    for result in judge(facts).checks:
        en, vi = message(result, "en"), message(result, "vi")
        assert en == result.message and "{" not in vi, result
        assert vi != en, f"{result.id}: the Vietnamese sentence is the English one: {en}"
        assert not re.search(r"\b(the|and|over|was|is|not|has|on|failed)\b", vi), f"English in: {vi}"


def test_languages_join_and_count_their_own_way():
    params = {"f": "cert_valid_for", "where": [{"f": "where", "address": "a", "port": 443},
                                                {"f": "where", "address": "b", "port": 8443}],
              "days": 1, "until": "2026-03-04"}
    assert catalogue.render(params, "en") == "The certificate on a port 443 and b port 8,443 is valid for 1 more day (until 2026-03-04)"
    assert catalogue.render(params, "vi") == "Chứng thư số trên a cổng 443 và b cổng 8.443 còn hiệu lực 1 ngày (đến 04/03/2026)"


def test_clauses_that_hold_lists_are_set_apart_by_semicolons_in_both_languages():
    gaps = [{"f": "sechead.lacks", "where": "192.0.2.1", "headers": ["A", "B", "C"]},
            {"f": "sechead.lacks", "where": "2001:db8::1", "headers": ["C"]}]
    params = {"f": "sechead.missing", "items": gaps}
    assert catalogue.render(params, "en") == "Security headers missing: 192.0.2.1 lacks A, B and C; 2001:db8::1 lacks C"
    assert catalogue.render(params, "vi") == "Thiếu tiêu đề bảo mật: 192.0.2.1 thiếu A, B và C; 2001:db8::1 thiếu C"
    # plain items still read "a, b and c"; one clause alone has nothing to set apart
    assert catalogue.join(["a", "b", "c"], "en") == "a, b and c"
    assert catalogue.join(["x lacks A and B"], "en") == "x lacks A and B"


def test_an_unknown_text_is_a_clear_error():
    with pytest.raises(catalogue.CatalogueError, match="no text 'nope'"):
        catalogue.render({"f": "nope"}, "en")
    with pytest.raises(catalogue.CatalogueError, match="needs the value 'name'"):
        catalogue.render({"f": "resolved", "addresses": []}, "en")


def test_registry_ids_are_unique_and_every_check_is_documented():
    ids = check_ids()
    assert len(ids) == len(set(ids))
    assert all(c.doc and c.area and c.reasons for c in CHECKS)
