"""gov.vn naming (Decree 224/2026/NĐ-CP art. 11(4)) and the administrative units it names.

The rule: state portals and websites use ".vn"; ministries ``tenbonganh.gov.vn`` (their units
``tendonvi.tenbonganh.gov.vn``), provinces ``tentinhthanh.gov.vn`` (the unaccented full name;
HCMC ``hochiminhcity.gov.vn``), provincial departments ``tencoquan.tentinhthanh.gov.vn``,
commune People's Committees ``tenphuongxa.tentinhthanh.gov.vn``.

The 34 provinces and 3,321 communes and wards in force since 2025-07-01 come from the
``vietnam-provinces`` package (the General Statistics Office's codes); the names the rule makes
from them are ASCII by ICU's Latin-ASCII transliteration (Vietnamese letters to their base
letter, đ to d). What the data cannot say (HCMC's domains in use, the ministries' domains) is in
``checks/gov-naming.toml``. Imported lazily: only the naming check and ``targets generate`` need it.
"""

from __future__ import annotations

import csv
from collections import Counter
import io
import re
import tomllib
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources

GOV_VN = "gov.vn"
_PROVINCE_PREFIXES = ("thành phố ", "tp. ", "tp ", "tỉnh ")
_WARD_PREFIXES = ("xã ", "phường ", "đặc khu ")


@cache
def _ascii():
    import icu  # PyICU (pyicu-wheels): already the collation library

    return icu.Transliterator.createInstance("Any-Latin; Latin-ASCII")


def ascii_slug(text: str) -> str:
    """Lower-case ASCII letters and digits only: 'Thành phố Hồ Chí Minh' -> 'thanhphohochiminh'."""
    return re.sub(r"[^a-z0-9]", "", _ascii().transliterate(text).lower())


def _strip(name: str, prefixes: tuple[str, ...]) -> str:
    lowered = name.casefold()
    for prefix in prefixes:
        if lowered.startswith(prefix):
            return name[len(prefix):].strip()
    return name.strip()


@dataclass(frozen=True)
class ProvinceUnit:
    code: int
    full_name: str  # as the statistics office writes it: 'Thành phố Đà Nẵng', 'Đắk Lắk'
    org: str  # as the target lists write it: 'Đà Nẵng', 'TP Hồ Chí Minh'
    slug: str  # the label of the portal domain in use: 'danang', 'tphcm'
    domains: tuple[str, ...]  # every domain the rule accepts: 'danang.gov.vn' (HCMC: three)

    @property
    def domain(self) -> str:
        return f"{self.slug}.{GOV_VN}"


@dataclass(frozen=True)
class Commune:
    code: int
    name: str  # 'Xã Thượng Lâm'
    slug: str  # 'thuonglam' (with its kind, 'xathuonglam', when two units of the province share a name)
    province: ProvinceUnit
    ambiguous: bool = False  # another unit of the province has the same name in ASCII: the slug ends in the code

    @property
    def host(self) -> str:
        return f"{self.slug}.{self.province.domain}"


@dataclass(frozen=True)
class Naming:
    provinces: tuple[ProvinceUnit, ...]
    ministries: dict[str, tuple[str, ...]] = field(default_factory=dict)  # org -> domains
    data_version: str = ""
    _by_label: dict[str, ProvinceUnit] = field(default_factory=dict, repr=False)
    _by_name: dict[str, ProvinceUnit] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for p in self.provinces:
            for domain in p.domains:
                self._by_label[domain.split(".")[0]] = p
            for name in (p.full_name, p.org):
                self._by_name[ascii_slug(_strip(name, _PROVINCE_PREFIXES))] = p

    def province_by_slug(self, slug: str) -> ProvinceUnit | None:
        """A province by the label of one of its domains ('danang', 'tphcm', 'hochiminhcity')."""
        return self._by_label.get(ascii_slug(slug))

    def province_of_org(self, org: str) -> ProvinceUnit | None:
        """A province by its name, with or without 'Thành phố'/'Tỉnh'/'TP', accents or not."""
        return self._by_name.get(ascii_slug(_strip(org, _PROVINCE_PREFIXES)))


@cache
def naming() -> Naming:
    """The units and their domains (built once per process)."""
    import vietnam_provinces as vp

    data = tomllib.loads(resources.files("ipv6scan.checks").joinpath("gov-naming.toml").read_text(encoding="utf-8"))
    overrides = data.get("provinces", {})
    units = []
    for p in vp.Province.iter_all():
        short = _strip(p.name, _PROVINCE_PREFIXES)
        base = ascii_slug(short)
        extra = overrides.get(base, {})
        slug = extra.get("slug", base)
        labels = dict.fromkeys([slug, *extra.get("also", [])] if extra else [base])
        units.append(ProvinceUnit(code=int(p.code), full_name=p.name, org=extra.get("org", short), slug=slug,
                                  domains=tuple(f"{label}.{GOV_VN}" for label in labels)))
    ministries = {org: tuple(domains) for org, domains in data.get("ministries", {}).items()}
    return Naming(provinces=tuple(units), ministries=ministries, data_version=str(vp.__data_version__))


def communes(province: ProvinceUnit) -> list[Commune]:
    """The province's communes, wards and special zones, each with the label the rule gives it."""
    import vietnam_provinces as vp

    wards = sorted(vp.Ward.iter_by_province(vp.ProvinceCode(province.code)), key=lambda w: int(w.code))
    short = {w.code: ascii_slug(_strip(w.name, _WARD_PREFIXES)) for w in wards}
    full = {w.code: ascii_slug(w.name) for w in wards}
    taken, full_taken = Counter(short.values()), Counter(full.values())
    out = []
    for w in wards:
        s, ambiguous = short[w.code], False
        if taken[s] > 1 or s.isdigit() or not s:  # 'Phường 1' or a 'Xã Tân An' and a 'Phường Tân An': the kind
            s = full[w.code]
            if full_taken[s] > 1:  # 'Xã Văn Lang' and 'Xã Văn Lăng': the same in ASCII, only the code tells
                s, ambiguous = f"{s}{int(w.code)}", True
        out.append(Commune(code=int(w.code), name=w.name, slug=s, province=province, ambiguous=ambiguous))
    return out


def commune_csv(provinces: list[ProvinceUnit]) -> str:
    """A target list (host,org,kind,tags,note) of the communes of the given provinces, every row a guess."""
    version = naming().data_version
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["host", "org", "kind", "tags", "note"])
    for province in provinces:
        for c in communes(province):
            tags = f"guess;commune;province:{province.slug}" + (";ambiguous" if c.ambiguous else "")
            writer.writerow([c.host, f"{c.name} ({province.org})", "portal", tags,
                             f"pattern <commune>.{province.domain} (Decree 224/2026 art. 11(4)); "
                             f"{province.org}; vietnam-provinces {version}, unit code {c.code}"])
    return buffer.getvalue()


@lru_cache(maxsize=4096)
def expected(org: str | None, tags: tuple[str, ...]) -> tuple[str, tuple[str, ...], str] | None:
    """(level, the domains the rule names for this unit, the unit's name) from its org and tags; None: unknown."""
    if not org:
        return None
    n = naming()
    tagged = {t.split(":", 1)[0]: (t.split(":", 1)[1] if ":" in t else "") for t in tags}
    if "commune" in tagged:
        province = n.province_by_slug(tagged.get("province", "")) if tagged.get("province") else None
        if province is None:
            return None
        name = re.sub(r"\s*\([^)]*\)\s*$", "", org)  # 'Xã Thượng Lâm (Tuyên Quang)': the province is in the tags
        labels = (ascii_slug(_strip(name, _WARD_PREFIXES)), ascii_slug(name))
        return "commune", tuple(dict.fromkeys(f"{lab}.{d}" for lab in labels for d in province.domains)), org
    if org in n.ministries:
        return "ministry", n.ministries[org], org
    province = n.province_of_org(org)
    if province is not None:
        return "province", province.domains, province.org
    return None
