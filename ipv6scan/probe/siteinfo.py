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

import bisect
import re
import unicodedata
from typing import Any

from .page import join_url

SNIPPET = 120  # characters kept of each line found
TAIL = 16_000  # characters of the page's text read from its end (where a footer is), beside its footer elements
FOOTER_MAX = 32_000  # characters of the footer elements' text read

# Each item's labels, lower case, with and without accents, spaces as one: found by plain substring search (a
# page's text is long: a regular expression over it, its first letters a set of accented ones, cost 50 ns a
# character, ten times the rest of the reading) and kept where they stand as words.
_KEYS = {
    "agency": ("cơ quan chủ quản", "co quan chu quan", "owning agency", "governing body", "governing agency"),
    "responsible": ("chịu trách nhiệm", "chiu trach nhiem", "responsible person", "responsible for",
                    "editor-in-chief", "editor in chief"),
    "address": ("địa chỉ", "dia chi", "address", "trụ sở", "tru so"),
    "phone": ("điện thoại", "dien thoai", "telephone", "tel", "phone", "hotline", "đt"),
    "email": ("email", "e-mail", "thư điện tử", "thu dien tu"),
}
_ALL_KEYS = tuple(key for keys in _KEYS.values() for key in keys)
_EMAIL_RE = re.compile(r"[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_PHONE_DIGITS = 6  # a telephone line holds a number ("Điện thoại di động …" in a headline does not)
_EMAIL_AROUND = 64  # characters before an "@" an address may start
_FOOTERS = 'footer, [id*="footer" i], [class*="footer" i]'
# A link to the site map, by its address or its words ("Sơ đồ tổ chức", the organisation chart, is no site map).
# Links are asked of the tree only when the page's HTML names them, and the words' link only when its text holds
# them: a selector walks every element (a fifth of a 200 KB page's parse for the five that were asked each time).
_LINK_HINTS = tuple(case(hint) for hint in ("mailto:", "tel:", "sitemap", "site-map", "so-do", "sodo")
                    for case in (str.lower, str.upper, str.capitalize))  # (a 200 KB page's lower() costs 1.5 ms)
_LINKS = ", ".join(('a[href^="mailto:" i]', 'a[href^="tel:" i]',
                    *(f'a[href*="{key}" i]' for key in ("sitemap", "site-map", "so-do", "sodo"))))
_SITEMAP_WORDS = ("sơ đồ", "so do", "site map", "sitemap")
_SITEMAP_TEXT = re.compile(r"s[ơo]\s*đ[ồo]\s*(?:c[ổo]ng|site|trang|web)|so\s*do\s*(?:cong|site|trang|web)|site\s*map")
_HIDDEN = ["script", "style", "noscript", "template"]


def site_info(tree: Any, base_url: str, source: str | None = None) -> dict[str, str | None]:
    """The art. 16 items a parsed page shows (``tree``: selectolax's parser; its scripts and styles are removed
    from it): item -> what was seen, or None. Call it after everything else read from the tree. ``source``: the
    page's HTML, when the caller has it (links are then looked for only when it names them).

    The labels are looked for where art. 16 puts them: in the page's footer elements and at the end of its
    text (:data:`TAIL`); links anywhere (``mailto:``, ``tel:``, the site map's)."""
    found: dict[str, str | None] = dict.fromkeys((*_KEYS, "sitemap"))
    if source is None or any(hint in source for hint in _LINK_HINTS):
        for node in tree.css(_LINKS):
            _link(node, base_url, found)
    footer_nodes = tree.css(_FOOTERS)
    tree.strip_tags(_HIDDEN)
    body = tree.body
    whole = body.text(deep=True, separator="\n") if body is not None else ""
    if found["sitemap"] is None:  # (in the page's first and last words: its menus, its footer)
        _sitemap_by_words(tree, whole[:TAIL], base_url, found)
        if found["sitemap"] is None and len(whole) > TAIL:
            _sitemap_by_words(tree, whole[-TAIL:], base_url, found)
    tail = whole[-TAIL:]
    footers = "\n".join(node.text(deep=True, separator="\n") for node in footer_nodes)[:FOOTER_MAX]
    text = _one_space(unicodedata.normalize("NFC", f"{footers}\n{tail}"))
    # Ð (U+00D0, the Icelandic eth) typed for Đ, as on many Vietnamese pages: read as the letter it stands for
    low = text.lower().replace("ð", "đ")
    if len(low) != len(text):  # (a letter whose lower case is longer: read the lower case alone)
        text = low
    labels = {item: _labels(low, keys) for item, keys in _KEYS.items()}
    starts = sorted(start for places in labels.values() for start, _ in places)
    for item, found_at in labels.items():
        if found[item] is not None:
            continue
        for start, end in found_at:
            seen = _seen_at(text, start, end, starts)
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


def _link(node: Any, base_url: str, found: dict[str, str | None]) -> None:
    """What one link says: an e-mail address (mailto:), a telephone (tel:) or the site map (by its address or
    its words)."""
    href = (node.attributes.get("href") or "").strip()
    scheme = href[:7].lower()
    if scheme == "mailto:":
        if found["email"] is None and (address := _EMAIL_RE.search(href)) is not None:
            found["email"] = address.group(0)
    elif scheme.startswith("tel:"):
        if found["phone"] is None and href[4:].strip():
            found["phone"] = _cut(href[4:])
    elif found["sitemap"] is None and href and not scheme.startswith(("javascript", "#")) and (
            _SITEMAP_TEXT.search(href.lower().replace("-", " ")) or
            _SITEMAP_TEXT.search((node.text(deep=True) or "").lower())):
        found["sitemap"] = join_url(base_url, href)


def _sitemap_by_words(tree: Any, text: str, base_url: str, found: dict[str, str | None]) -> None:
    """A link whose words say site map ("Sơ đồ cổng"), looked for only where the page's text holds them, by those
    words as written (the selector's case folding is ASCII's only)."""
    low = text.lower()
    for key in _SITEMAP_WORDS:
        at = low.find(key)
        while at >= 0 and found["sitemap"] is None:
            if _SITEMAP_TEXT.match(low, at) and len(low) == len(text):
                words = text[at:at + len(key)].replace('"', "")
                for node in tree.css(f'a[href]:lexbor-contains("{words}")'):
                    _link(node, base_url, found)
                    if found["sitemap"] is not None:
                        return
            at = low.find(key, at + 1)


def _one_space(text: str) -> str:
    """Spaces inside a line as one plain space (a label never runs over two lines). By str.replace: a regular
    expression substituting every space cost 40 ns a character."""
    text = text.replace("\u00a0", " ").replace("\t", " ")
    while "  " in text:
        text = text.replace("  ", " ")
    return text


def _labels(low: str, keys: tuple[str, ...]) -> list[tuple[int, int]]:
    """Where one item's labels stand as words in ``low``, in order: (start, end past a space and a colon)."""
    found = []
    for key in keys:
        at = low.find(key)
        while at >= 0:
            end = at + len(key)
            if not (at and low[at - 1].isalnum()) and not (end < len(low) and low[end].isalnum()):
                end += low.startswith(" ", end)
                end += low.startswith((":", "."), end)
                found.append((at, end))
            at = low.find(key, at + 1)
    return sorted(found)


def _seen_at(text: str, start: int, end: int, starts: list[int]) -> str | None:
    """The line a label starts, from the label on (up to the next label on that line); or, for a label alone on
    its line that announces a value ("Địa chỉ:", the value below), the label and the next line that is not
    blank, unless that line starts with another label. None: nothing follows the label."""
    eol = text.find("\n", end)
    eol = len(text) if eol < 0 else eol
    if text[end:eol].strip(" :.-–"):  # (up to the next label on the same line, if any)
        after = bisect.bisect_right(starts, end - 1)
        stop = starts[after] if after < len(starts) and starts[after] < eol else eol
        return " ".join(text[start:stop].split()).rstrip(" |-–,;") or None
    if not text[start:end].rstrip().endswith(":"):  # (a menu word, "Địa chỉ" alone: no value is announced)
        return None
    for line in text[eol + 1:eol + 1 + 4 * SNIPPET].split("\n"):
        if line.strip():
            if line.strip().lower().startswith(_ALL_KEYS):
                return None
            return f"{text[start:end].rstrip(' :.')}: {' '.join(line.split())}"
    return None


def _cut(value: str) -> str:
    value = " ".join(value.split())
    return value if len(value) <= SNIPPET else value[: SNIPPET - 1] + "…"
