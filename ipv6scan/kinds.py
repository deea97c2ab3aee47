"""System kinds (a closed vocabulary) and their inference from well-known host-name patterns.

A target list may say what each host is; when it does not, the kind is guessed
from the name (``dichvucong.<province>.gov.vn`` is a public-service portal,
``<province>.gov.vn`` a portal, ...) and marked as guessed in the scores.
"""

from __future__ import annotations

import re

PORTAL = "portal"  # Cổng thông tin điện tử (provincial / ministerial web portal)
DICHVUCONG = "dichvucong"  # Cổng dịch vụ công (public-service portal)
MOTCUA = "motcua"  # Hệ thống một cửa (one-stop system)
WEBSITE = "website"  # agency website
MAIL = "mail"  # official mail domain: judged on its MX
DOCUMENT_MANAGEMENT = "document_management"  # quản lý văn bản / e-office
DATA_PORTAL = "data_portal"  # open-data portal
OTHER = "other"

KINDS = (PORTAL, DICHVUCONG, MOTCUA, WEBSITE, MAIL, DOCUMENT_MANAGEMENT, DATA_PORTAL, OTHER)

# National portals that live outside .gov.vn.
_NATIONAL_PORTALS = {"chinhphu.vn"}

# First label -> kind. Order matters only for readability; labels are exact or prefixes as marked.
_FIRST_LABEL: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^(dichvucong|dvc|dichvucong[a-z0-9-]*|dvctt|congdichvucong)$"), DICHVUCONG),
    (re.compile(r"^(motcua|mc|motcualienthong|1cua)$"), MOTCUA),
    (re.compile(r"^(vpdt|qlvb|vbdh|edoc|eoffice|ioffice|qlvbdh|vanban|vbdt)$"), DOCUMENT_MANAGEMENT),
    (re.compile(r"^(mail|email|webmail|thudientu|mail\d*)$"), MAIL),
    (re.compile(r"^(data|opendata|dulieu|csdl)$"), DATA_PORTAL),
]


def infer_kind(host: str) -> str:
    """The kind a host name suggests; ``other`` when nothing matches."""
    labels = host.lower().rstrip(".").split(".")
    if labels[0] == "www":
        labels = labels[1:]
    if len(labels) < 2:
        return OTHER
    if ".".join(labels) in _NATIONAL_PORTALS:
        return PORTAL
    for pattern, kind in _FIRST_LABEL:
        if pattern.match(labels[0]):
            return kind
    if labels[-2:] == ["gov", "vn"]:
        return PORTAL if len(labels) <= 3 else WEBSITE
    return OTHER


def infer_org(host: str) -> str:
    """A stand-in organisation when the list gives none: the unit's domain.

    ``dichvucong.danang.gov.vn`` -> ``danang.gov.vn``; ``dichvucongbyt.moh.gov.vn`` ->
    ``moh.gov.vn``; other names -> their last two labels (a guess).
    """
    labels = host.lower().rstrip(".").split(".")
    if labels[-2:] == ["gov", "vn"] and len(labels) >= 3:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])
