"""Decree 224/2026 art. 11(4) gov.vn naming: the check against the shipped lists, and commune list generation."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import msgspec
import pytest

from ipv6scan.checks import judge
from ipv6scan.model import CheckStatus
from ipv6scan.naming import commune_csv, communes, naming
from ipv6scan.targets import Target, read_targets
from tests.conftest import run_cli
from tests.test_checks import checks_of, site

TARGETS = Path(__file__).resolve().parent.parent / "targets"


def naming_of(host: str, org: str | None, tags: list[str] = ()):
    facts = msgspec.structs.replace(site(), host=host, display=host, org=org, tags=list(tags))
    got = checks_of(judge(facts))["naming.gov_vn"]
    return got.status, got.reason, got.message


def rows(name: str) -> list[Target]:
    return [t for t in read_targets(TARGETS / name) if isinstance(t, Target)]


def test_every_province_host_in_the_shipped_list_is_under_its_province_domain():
    targets = rows("provinces.csv")
    assert len(targets) > 100
    for t in targets:
        status, reason, message = naming_of(t.host, t.org, t.tags)
        assert (status, reason) == (CheckStatus.PASS, "naming_ok"), (t.host, t.org, message)


def test_ministry_hosts_pass_and_a_domain_outside_gov_vn_is_named():
    for t in rows("ministries.csv"):
        status, reason, message = naming_of(t.host, t.org, t.tags)
        if "legacy" in t.tags:
            assert (status, reason) == (CheckStatus.NOT_APPLICABLE, "naming_legacy")
        elif t.host.endswith("chinhphu.vn"):  # Văn phòng Chính phủ: chinhphu.vn is not under gov.vn
            assert (status, reason) == (CheckStatus.FAIL, "naming_not_gov_vn") and "chinhphu.vn" in message
        else:
            assert (status, reason) == (CheckStatus.PASS, "naming_ok"), (t.host, t.org, message)


@pytest.mark.parametrize("host, org, tags, want", [
    ("dichvucong.danang.gov.vn", "Hà Nội", [], (CheckStatus.FAIL, "naming_outside_unit")),
    ("hanoi.vn", "Thành phố Hà Nội", [], (CheckStatus.FAIL, "naming_outside_unit")),
    ("portal-hanoi.com", "Hà Nội", [], (CheckStatus.FAIL, "naming_not_vn")),
    ("hochiminhcity.gov.vn", "TP Hồ Chí Minh", [], (CheckStatus.PASS, "naming_ok")),  # the decree's own example
    ("tphcm.gov.vn", "Thành phố Hồ Chí Minh", [], (CheckStatus.PASS, "naming_ok")),  # the one in use
    ("soyte.thanhhoa.gov.vn", "Thanh Hoa", ["province"], (CheckStatus.PASS, "naming_ok")),  # unaccented org too
    ("www.example.org", "Công ty ABC", [], (CheckStatus.NOT_APPLICABLE, "naming_unit_unknown")),
    ("yenbai.gov.vn", "Lào Cai", ["guess", "legacy", "merged-into:laocai"], (CheckStatus.NOT_APPLICABLE, "naming_legacy")),
    ("thuonglam.tuyenquang.gov.vn", "Xã Thượng Lâm (Tuyên Quang)", ["commune", "province:tuyenquang"],
     (CheckStatus.PASS, "naming_ok")),
    ("xathuonglam.tuyenquang.gov.vn", "Xã Thượng Lâm", ["commune", "province:tuyenquang"], (CheckStatus.PASS, "naming_ok")),
    ("ubnd-thuonglam.tuyenquang.gov.vn", "Xã Thượng Lâm", ["commune", "province:tuyenquang"],
     (CheckStatus.FAIL, "naming_outside_unit")),
    ("thuonglam.laocai.gov.vn", "Xã Thượng Lâm", ["commune", "province:tuyenquang"],
     (CheckStatus.FAIL, "naming_outside_unit")),
    ("xalocthanh25280.dongnai.gov.vn", "Xã Lộc Thạnh", ["commune", "province:dongnai", "ambiguous"],
     (CheckStatus.PASS, "naming_ok")),
    ("xalocthanh25280.dongnai.gov.vn", "Xã Lộc Thạnh", ["commune", "province:dongnai"],
     (CheckStatus.FAIL, "naming_outside_unit")),
])
def test_the_rule_for_each_level(host, org, tags, want):
    status, reason, message = naming_of(host, org, tags)
    assert (status, reason) == want, message


def test_a_failure_names_the_domain_the_rule_gives():
    _, _, message = naming_of("dichvucong.danang.gov.vn", "Hà Nội")
    assert "hanoi.gov.vn" in message and "tentinhthanh.gov.vn" in message


def test_commune_lists_cover_every_unit_once_each_a_guess():
    units = naming()
    assert len(units.provinces) == 34
    everything = [c for p in units.provinces for c in communes(p)]
    assert len(everything) == 3321
    assert len({c.host for c in everything}) == 3321  # no two units get one name
    table = list(csv.DictReader(commune_csv(list(units.provinces)).splitlines()))
    assert len(table) == 3321 and all(r["tags"].split(";")[:2] == ["guess", "commune"] for r in table)
    assert Counter(r["kind"] for r in table) == {"portal": 3321}


def test_every_generated_name_passes_the_naming_check():
    units = naming()
    for p in units.provinces[:5] + (units.province_by_slug("dongnai"),):
        for row in csv.DictReader(commune_csv([p]).splitlines()):
            status, reason, message = naming_of(row["host"], row["org"], row["tags"].split(";"))
            assert status is CheckStatus.PASS, message


def test_the_shipped_commune_lists_are_what_the_generator_writes():
    units = naming()
    shipped = sorted((TARGETS / "communes").glob("*.csv"))
    assert [f.stem for f in shipped] == sorted(p.slug for p in units.provinces)
    for f in shipped:
        assert f.read_text(encoding="utf-8") == commune_csv([units.province_by_slug(f.stem)]), \
            f"regenerate: ipv6scan targets generate --level commune --province {f.stem} -o {f}"


def test_targets_generate_through_the_cli(tmp_path):
    out = tmp_path / "danang.csv"
    proc = run_cli("targets", "generate", "--level", "commune", "--province", "danang", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    table = list(csv.DictReader(out.read_text(encoding="utf-8").splitlines()))
    assert len(table) == len(communes(naming().province_by_slug("danang"))) > 50
    assert all(r["host"].endswith(".danang.gov.vn") and "(Đà Nẵng)" in r["org"] for r in table)
    both = run_cli("targets", "generate", "--province", "hue", "--province", "tphcm")
    assert both.returncode == 0 and {r["host"].split(".", 1)[1] for r in csv.DictReader(both.stdout.splitlines())} == {
        "hue.gov.vn", "tphcm.gov.vn"}
    bad = run_cli("targets", "generate", "--province", "saigon", "--lang", "vi")
    assert bad.returncode == 2 and "saigon" in bad.stderr and "danang" in bad.stderr and "Traceback" not in bad.stderr
    assert "No province" not in bad.stderr  # Vietnamese only
