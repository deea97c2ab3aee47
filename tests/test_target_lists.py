"""The shipped target lists (targets/*.csv) read cleanly and say what the reference says.

No network: these tests check the lists as data — that they read without errors,
use the closed kind vocabulary, mark every host ``confirmed`` or ``guess`` honestly
(confirmed = named in /work/shared/reference/ipv6-for-gov.md), and cover the 34
provinces and centrally-run cities in force since 2025-07-01.
"""

from __future__ import annotations

import csv
import unicodedata
from collections import defaultdict
from pathlib import Path

import pytest

from ipv6scan import kinds
from ipv6scan.model import InputError
from ipv6scan.targets import Target, TargetReader

TARGETS = Path(__file__).resolve().parent.parent / "targets"
LISTS = ("provinces.csv", "ministries.csv", "national.csv", "legacy-provinces.csv")
HEADER = ["host", "org", "kind", "tags", "note"]

# Resolution 202/2025/QH15: 6 centrally-run cities and 28 provinces.
CITIES = {"Hà Nội", "Huế", "Hải Phòng", "Đà Nẵng", "TP Hồ Chí Minh", "Cần Thơ"}
UNITS_2025 = CITIES | {
    # unchanged
    "Lai Châu", "Điện Biên", "Sơn La", "Lạng Sơn", "Quảng Ninh", "Thanh Hóa", "Nghệ An", "Hà Tĩnh", "Cao Bằng",
    # merged (the absorbing province keeps its name)
    "Tuyên Quang", "Lào Cai", "Thái Nguyên", "Phú Thọ", "Bắc Ninh", "Hưng Yên", "Ninh Bình", "Quảng Trị",
    "Quảng Ngãi", "Gia Lai", "Khánh Hòa", "Lâm Đồng", "Đắk Lắk", "Đồng Nai", "Tây Ninh", "Vĩnh Long",
    "Đồng Tháp", "Cà Mau", "An Giang",
}
ABSORBED_2025 = {
    "Hà Giang", "Yên Bái", "Bắc Kạn", "Vĩnh Phúc", "Hòa Bình", "Bắc Giang", "Thái Bình", "Hải Dương", "Hà Nam",
    "Nam Định", "Quảng Bình", "Quảng Nam", "Kon Tum", "Bình Định", "Ninh Thuận", "Đắk Nông", "Bình Thuận",
    "Phú Yên", "Bình Dương", "Bà Rịa–Vũng Tàu", "Bình Phước", "Long An", "Sóc Trăng", "Hậu Giang", "Bến Tre",
    "Trà Vinh", "Tiền Giang", "Bạc Liêu", "Kiên Giang",
}

_PORTAL_SLUGS = ("hanoi tphcm hochiminhcity haiphong danang cantho hue dongnai angiang bacninh caobang camau "
                 "dienbien daklak dongthap gialai hatinh hungyen khanhhoa laichau laocai lamdong langson nghean "
                 "ninhbinh phutho quangngai quangninh quangtri sonla thanhhoa thainguyen tuyenquang tayninh vinhlong")
_DVC_SLUGS = ("quangninh laichau bacninh danang ninhbinh lamdong quangngai laocai hanoi hochiminhcity haiphong "
              "langson thanhhoa hatinh dongnai quangtri hue angiang")
# Every host name the reference says was seen in public sources: exactly these are `confirmed`.
REFERENCE_HOSTS = frozenset(
    [f"{s}.gov.vn" for s in _PORTAL_SLUGS.split()]
    + [f"dichvucong.{s}.gov.vn" for s in _DVC_SLUGS.split()]
    + ["dichvucong.gov.vn"]
    + [f"motcua.{s}.gov.vn" for s in ("daklak", "cantho", "angiang", "tphcm")]
    + [f"{p}.daklak.gov.vn" for p in ("vpdt", "mail", "baocao")]
    + ["dichvucongnganhtuphap.moj.gov.vn", "dichvucongbyt.moh.gov.vn", "dichvucongbnv.moha.gov.vn",
       "dvc.moet.gov.vn", "dvc.moc.gov.vn", "dichvucong-tthc.moit.gov.vn", "dichvucong.bvhttdl.gov.vn",
       "dichvucongnnmt.mae.gov.vn"]
    + ["binhthuan.gov.vn", "dichvucong.binhthuan.gov.vn", "motcua.binhthuan.gov.vn", "binhduong.gov.vn",
       "bacgiang.gov.vn", "dichvucong.bacgiang.gov.vn", "dichvucong.kiengiang.gov.vn", "data.nghean.gov.vn"]
)
BINH_THUAN = {"binhthuan.gov.vn", "dichvucong.binhthuan.gov.vn", "motcua.binhthuan.gov.vn"}

# Hosts outside .gov.vn that belong in the lists (with their subdomains).
NON_GOV_VN = ("chinhphu.vn", "vnnic.vn")

KNOWN_INFER_GAPS: set[str] = set()  # real hosts infer_kind does not guess right (none)


def _read(name: str) -> tuple[list[Target], list[InputError], int]:
    reader = TargetReader(TARGETS / name)
    items = list(reader)
    return ([i for i in items if isinstance(i, Target)], [i for i in items if isinstance(i, InputError)],
            reader.duplicates)


@pytest.fixture(scope="module")
def lists() -> dict[str, list[Target]]:
    return {name: _read(name)[0] for name in LISTS}


def _all(lists: dict[str, list[Target]]) -> list[Target]:
    return [t for targets in lists.values() for t in targets]


def _tag(target: Target, prefix: str) -> list[str]:
    return [t.removeprefix(prefix) for t in target.tags if t.startswith(prefix)]


@pytest.mark.parametrize("name", LISTS)
def test_list_reads_without_errors_or_duplicates(name):
    targets, errors, duplicates = _read(name)
    assert errors == []
    assert duplicates == 0
    assert targets


@pytest.mark.parametrize("name", LISTS)
def test_list_is_plain_csv_with_the_documented_header(name):
    with open(TARGETS / name, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == HEADER
    assert all(len(row) == len(HEADER) for row in rows), "every row has host,org,kind,tags,note"


def test_no_host_is_in_two_lists():
    seen: set[str] = set()
    for name in LISTS:
        reader = TargetReader(TARGETS / name, seen=seen)
        list(reader)
        assert reader.duplicates == 0, f"{name} repeats a host of an earlier list"


def test_every_row_is_either_confirmed_or_guess(lists):
    for t in _all(lists):
        assert ("confirmed" in t.tags) != ("guess" in t.tags), f"{t.source}:{t.line} {t.host}: {t.tags}"


def test_confirmed_means_named_in_the_reference(lists):
    confirmed = {t.host for t in _all(lists) if "confirmed" in t.tags}
    assert confirmed <= REFERENCE_HOSTS, "hosts marked confirmed that the reference does not name"
    assert REFERENCE_HOSTS <= confirmed, "hosts named in the reference that no list carries as confirmed"


def test_kinds_orgs_and_hosts_are_well_formed(lists):
    for t in _all(lists):
        where = f"{t.source}:{t.line} {t.host}"
        assert t.kind in kinds.KINDS, where
        assert t.org and t.org == unicodedata.normalize("NFC", t.org), where
        assert t.host == t.input, f"{where}: written in its normalised form"
        assert t.host.endswith(".gov.vn") or any(
            t.host == d or t.host.endswith("." + d) for d in NON_GOV_VN), where


def test_provinces_cover_the_34_units_of_2025(lists):
    by_org: dict[str, set[str]] = defaultdict(set)
    for t in lists["provinces.csv"]:
        by_org[t.org].add(t.kind)
        assert ("city" in t.tags) == (t.org in CITIES), t.host
        assert ("province" in t.tags) == (t.org not in CITIES), t.host
        assert "legacy" not in t.tags, t.host
    assert len(UNITS_2025) == 34
    assert set(by_org) == UNITS_2025
    for org, found in by_org.items():
        assert {kinds.PORTAL, kinds.DICHVUCONG, kinds.MOTCUA, kinds.MAIL} <= found, org


def test_mail_rows_name_the_mail_host_of_the_units_own_zone(lists):
    portals = {t.org: t.host for t in lists["provinces.csv"] if t.kind == kinds.PORTAL}
    for t in lists["provinces.csv"]:
        if t.kind == kinds.MAIL:
            assert t.host == "mail." + portals[t.org]


def test_legacy_provinces_point_at_their_2025_province(lists):
    slug_org = {t.host.removesuffix(".gov.vn"): t.org for t in lists["provinces.csv"] if t.kind == kinds.PORTAL}
    formers: dict[str, set[str]] = defaultdict(set)
    for t in lists["legacy-provinces.csv"]:
        assert "legacy" in t.tags, t.host
        [into] = _tag(t, "merged-into:")
        assert slug_org[into] == t.org, t.host
        for former in _tag(t, "former:"):
            formers[former].add(t.kind)
    assert set(formers) == ABSORBED_2025
    for former, found in formers.items():
        assert {kinds.PORTAL, kinds.DICHVUCONG, kinds.MOTCUA} <= found, former


def test_binh_thuan_systems_from_the_programme_reporting(lists):
    rows = {t.host: t for t in lists["legacy-provinces.csv"] if t.host in BINH_THUAN}
    assert set(rows) == BINH_THUAN
    for t in rows.values():
        assert "confirmed" in t.tags and t.org == "Lâm Đồng"
        assert "merged-into:lamdong" in t.tags and "former:Bình Thuận" in t.tags


def test_ministries_and_their_legacy_domains(lists):
    current = {t.host.split(".")[0]: t.org for t in lists["ministries.csv"]
               if t.kind == kinds.PORTAL and "legacy" not in t.tags}
    assert len(current) == 17  # 14 ministries + Government Office, Government Inspectorate, State Bank
    for t in lists["ministries.csv"]:
        assert "ministry" in t.tags, t.host
        if "legacy" in t.tags:
            [into] = _tag(t, "merged-into:")
            assert current[into] == t.org, t.host
    assert "dichvucong.gov.vn" in {t.host for t in lists["national.csv"]}


def _infer_mismatches(lists) -> set[str]:
    checked = (kinds.PORTAL, kinds.DICHVUCONG, kinds.MOTCUA)
    return {t.host for t in _all(lists) if t.kind in checked and kinds.infer_kind(t.host) != t.kind}


def test_infer_kind_covers_the_real_lists_except_known_gaps(lists):
    assert _infer_mismatches(lists) <= KNOWN_INFER_GAPS


def test_infer_kind_covers_the_real_lists_entirely(lists):
    assert _infer_mismatches(lists) == set()
