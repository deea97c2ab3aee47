"""What a page's own text and links show of the information Circular 32/2017/TT-BTTTT art. 16 asks every
state agency's portal to carry (pure, no I/O).

Art. 16 asks for a footer naming the owning agency (cơ quan chủ quản), the person responsible (người chịu trách
nhiệm), the address, the telephone and the e-mail address, and for a site map. Vietnamese portals write them as
labelled lines ("Cơ quan chủ quản: UBND tỉnh …", "Điện thoại: …"); English pages ("e-services.…", art. 16 of
Circular 01/2018/TT-VPCP) as "Address:", "Tel:", "Email:". Each item is looked for in the page's text (what a
reader sees, scripts and styles left out) by its label, accented or not, and e-mail and telephone also by their
links (``mailto:``, ``tel:``); the site map by a link whose address or text says so ("Sơ đồ cổng", "sitemap").

What is kept is what was seen: the line that holds each label (cut to :data:`SNIPPET`), the e-mail address, the
site map link's absolute URL; None where nothing was seen. A page that builds its footer by script, or shows it as
an image, shows nothing here: the check words that as "not found in the page", never as "missing".
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from .page import join_url

SNIPPET = 120  # characters kept of each line found
TAIL = 16_000  # characters of the page's text read from its end (where a footer is), beside its footer elements
FOOTER_MAX = 32_000  # characters of the footer elements' text read

_S = "[ \\t\\u00a0]"  # a space inside a label (a label never runs over two lines)
# (item, label), lower case, accented or not; the line from the label on is what is kept. No label starts
# with an assertion: the regular expression engine then skips ahead by its first letters (a page's text is
# long). Word boundaries are checked on each match instead.
_LABELS = {
    "agency": rf"c[ơo]{_S}*quan{_S}+ch[ủu]{_S}*qu[ảa]n|owning{_S}+agency|governing{_S}+(?:body|agency)",
    "responsible": rf"ch[ịi]u{_S}+tr[áa]ch{_S}+nhi[ệe]m|responsible{_S}+(?:person|for{_S}+(?:the{_S}+)?content)|"
                   rf"editor(?:{_S}|-)+in(?:{_S}|-)+chief",
    "address": rf"[đd][ịi]a{_S}*ch[ỉi]|address|tr[ụu]{_S}*s[ởo]",
    "phone": rf"[đd]i[ệe]n{_S}*tho[ạa]i|telephone|tel|phone|hotline|đt",
    "email": rf"e-?mail|th[ưu]{_S}+đi[ệe]n{_S}+t[ửu]",
}
_LABEL_RE = {item: re.compile(rf"({label}){_S}*[:.]?") for item, label in _LABELS.items()}
_EMAIL_RE = re.compile(r"[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_PHONE_DIGITS = 6  # a telephone line holds a number ("Điện thoại di động …" in a headline does not)
_EMAIL_AROUND = 64  # characters before an "@" an address may start
_FOOTERS = 'footer, [id*="footer" i], [class*="footer" i]'
# A link to the site map, by its address or its words ("Sơ đồ tổ chức", the organisation chart, is no site map)
_SITEMAP_LINKS = ", ".join(f'a[href*="{key}" i]' for key in ("sitemap", "site-map", "so-do-cong", "sodocong",
                                                              "so-do-site", "so-do-trang", "so-do-web"))
_SITEMAP_WORDS = ", ".join(f'a:lexbor-contains("{key}" i)' for key in ("sơ đồ", "Sơ đồ", "SƠ ĐỒ", "so do", "site map"))
_SITEMAP_TEXT = re.compile(r"s[ơo]\s*đ[ồo]\s*(?:c[ổo]ng|site|trang|web)|so\s*do\s*(?:cong|site|trang|web)|site\s*map")
_HIDDEN = ["script", "style", "noscript", "template"]


def site_info(tree: Any, base_url: str) -> dict[str, str | None]:
    """The art. 16 items a parsed page shows (``tree``: selectolax's parser; its scripts and styles are removed
    from it): item -> what was seen, or None. Call it after everything else read from the tree.

    The labels are looked for where art. 16 puts them: in the page's footer elements and at the end of its
    text (:data:`TAIL`); links anywhere (``mailto:``, ``tel:``, the site map's)."""
    found: dict[str, str | None] = dict.fromkeys((*_LABELS, "sitemap"))
    for node in tree.css('a[href^="mailto:" i]'):
        if (address := _EMAIL_RE.search(node.attributes.get("href") or "")) is not None:
            found["email"] = address.group(0)
            break
    for node in tree.css('a[href^="tel:" i]'):
        if (number := (node.attributes.get("href") or "")[4:].strip()):
            found["phone"] = _cut(number)
            break
    for node in [*tree.css(_SITEMAP_LINKS), *tree.css(_SITEMAP_WORDS)]:
        href = (node.attributes.get("href") or "").strip()
        if href and not href.lower().startswith(("mailto:", "tel:", "javascript:", "#")) and (
                _SITEMAP_TEXT.search(href.lower().replace("-", " ")) or
                _SITEMAP_TEXT.search((node.text(deep=True) or "").lower())):
            found["sitemap"] = join_url(base_url, href)
            break
    tree.strip_tags(_HIDDEN)
    body = tree.body
    tail = body.text(deep=True, separator="\n")[-TAIL:] if body is not None else ""
    footers = "\n".join(node.text(deep=True, separator="\n") for node in tree.css(_FOOTERS))[:FOOTER_MAX]
    text = unicodedata.normalize("NFC", f"{footers}\n{tail}")
    low = text.lower()
    if len(low) != len(text):  # (a letter whose lower case is longer: read the lower case alone)
        text = low
    for item, label in _LABEL_RE.items():
        if found[item] is not None:
            continue
        for match in label.finditer(low):
            start, end = match.span(1)
            if (start and low[start - 1].isalnum()) or (end < len(low) and low[end].isalnum()):
                continue  # (inside a word: "hotel", "teleconference")
            seen = _seen_at(text, low, match)
            if item == "email":
                address = _EMAIL_RE.search(seen or "")
                if address:
                    found[item] = address.group(0)
                    break
            elif seen and (item != "phone" or sum(c.isdigit() for c in seen) >= _PHONE_DIGITS):
                found[item] = _cut(seen)  # (a label with something after it, not a menu word alone)
                break
    at = text.find("@")
    while found["email"] is None and at >= 0:  # (an address without its label)
        address = _EMAIL_RE.search(text, max(0, at - _EMAIL_AROUND), at + SNIPPET)
        found["email"] = address.group(0) if address else None
        at = text.find("@", at + 1)
    return found


def _seen_at(text: str, low: str, label: re.Match[str]) -> str | None:
    """The line a label starts, from the label on (up to the next label on that line); or, for a label alone on
    its line that announces a value ("Địa chỉ:", the value below), the label and the next line that is not
    blank, unless that line starts with another label. None: nothing follows the label."""
    end = text.find("\n", label.end())
    end = len(text) if end < 0 else end
    if text[label.end():end].strip(" \t\u00a0:.-–"):  # (up to the next label on the same line, if any)
        end = min((m.start() for r in _LABEL_RE.values() if (m := r.search(low, label.end(), end))), default=end)
        return " ".join(text[label.start():end].split()).rstrip(" |-–,;") or None
    if not label.group(0).rstrip().endswith(":"):  # (a menu word, "Địa chỉ" alone: no value is announced)
        return None
    for line in text[end + 1:end + 1 + 4 * SNIPPET].split("\n"):
        if line.strip():
            if any(r.match(line.strip().lower()) for r in _LABEL_RE.values()):
                return None
            return f"{text[label.start():label.end()].rstrip(' :.')}: {' '.join(line.split())}"
    return None


def _cut(value: str) -> str:
    value = " ".join(value.split())
    return value if len(value) <= SNIPPET else value[: SNIPPET - 1] + "…"
