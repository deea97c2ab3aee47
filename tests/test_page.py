"""What a page loads without a click (probe/page.py): pure extraction from hostile markup."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ipv6scan.model import Family
from ipv6scan.probe.page import Found, css_references, page_references, refresh_url, srcset_urls

BASE = "https://portal.gov.example/tin-tuc/"


def kinds_of(html: str, base: str = BASE) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for kind, url in page_references(html, base):
        out.setdefault(url, []).append(kind)
    return out


def test_every_element_a_browser_fetches_without_a_click() -> None:
    html = """<html><head>
      <link rel="stylesheet" href="/a.css"><link rel="PRELOAD" href="https://p.example/f.woff2" as="font">
      <link rel="modulepreload" href="//m.example/m.js"><link rel="shortcut icon" href="https://i.example/fav.ico">
      <link rel="apple-touch-icon" href="https://i2.example/t.png"><link rel="manifest" href="https://mf.example/m.json">
      <link rel="canonical" href="https://canon.example/"><link rel="dns-prefetch" href="//prefetch.example">
      <script src="https://s.example/app.js"></script><script>var x = "https://inline-js.example/";</script>
      <style>@import "https://imp.example/x.css"; .b { background: url('https://bg.example/b.png') }</style>
      <meta http-equiv="refresh" content="30; URL='https://next.example/'">
    </head><body>
      <img src="https://img.example/a.png" srcset="https://srcset.example/a.png 2x, https://srcset2.example/b.png 3x">
      <picture><source srcset="https://pic.example/p.webp" type="image/webp"></picture>
      <video src="https://v.example/v.mp4" poster="https://poster.example/p.jpg"><track src="https://t.example/t.vtt"></video>
      <audio src="https://au.example/a.mp3"></audio><iframe src="https://map.example/embed"></iframe>
      <frame src="https://frame.example/"><embed src="https://em.example/x.swf"><object data="https://ob.example/o"></object>
      <input type="image" src="https://btn.example/b.png"><div style="background-image:url(https://style.example/s.png)"></div>
      <a href="https://link.example/">a click</a><form action="https://form.example/"></form>
    </body></html>"""
    found = kinds_of(html)
    expected = {
        "https://portal.gov.example/a.css": "stylesheet", "https://p.example/f.woff2": "preload",
        "https://m.example/m.js": "script", "https://i.example/fav.ico": "icon", "https://i2.example/t.png": "icon",
        "https://mf.example/m.json": "manifest", "https://s.example/app.js": "script",
        "https://imp.example/x.css": "import", "https://bg.example/b.png": "css", "https://next.example/": "refresh",
        "https://img.example/a.png": "image", "https://srcset.example/a.png": "image",
        "https://srcset2.example/b.png": "image", "https://pic.example/p.webp": "image", "https://v.example/v.mp4": "media",
        "https://poster.example/p.jpg": "image", "https://t.example/t.vtt": "media", "https://au.example/a.mp3": "media",
        "https://map.example/embed": "frame", "https://em.example/x.swf": "object",
        "https://ob.example/o": "object", "https://btn.example/b.png": "image", "https://style.example/s.png": "css",
    }
    assert {url: kinds[0] for url, kinds in found.items()} == expected
    # Links, forms, canonical and prefetch hints load nothing by themselves; script text is never run or read;
    # a <frame> outside a <frameset> is dropped by HTML5's tree builder, as a browser drops it.
    assert not any(h in url for url in found for h in ("link.", "form.", "canon.", "prefetch.", "inline-js.", "frame."))


def test_base_href_relative_and_protocol_relative_urls() -> None:
    html = '<base href="https://static.gov.example/v2/"><img src="x.png"><script src="//cdn.example/a.js"></script>'
    assert set(kinds_of(html, "http://portal.gov.example/")) == {"https://static.gov.example/v2/x.png",
                                                                   "https://cdn.example/a.js"}


def test_css_tokens_comments_quotes_and_escapes() -> None:
    css = r"""/* url(https://commented.example/) */ @import 'https://a.example/1.css' screen;
    @import url(https://b.example/2.css); .x { background: URL( "https://c.example/3.png" ) }
    .y { background: url(https://d.example/4\).png) } .z { src: url(h\74 tps://e.example/5.woff) }
    .w { background: url() } .v { content: "url(not-a-url)" }"""
    assert css_references(css) == [
        ("import", "https://a.example/1.css"), ("import", "https://b.example/2.css"), ("css", "https://c.example/3.png"),
        ("css", "https://d.example/4).png"), ("css", "https://e.example/5.woff"), ("css", "not-a-url"),
    ]


def test_srcset_urls_may_hold_commas() -> None:
    assert srcset_urls("a.png 1x, b,c.png 2x,d.png , e.png (x, y) 3w,,") == ["a.png", "b,c.png", "d.png", "e.png"]
    assert srcset_urls("") == []


@pytest.mark.parametrize("content, url", [("5; url=https://a.example/", "https://a.example/"), ("0;URL='/b'", "/b"),
                                          ("3, http://c.example/", "http://c.example/"), ("5", None), ("", None)])
def test_refresh_url(content: str, url: str | None) -> None:
    assert refresh_url(content) == url


def test_origins_are_counted_once_capped_and_literals_told_apart() -> None:
    found = Found(own=frozenset({"portal.gov.example"}))
    refs = [("script", "https://cdn.example/a.js"), ("image", "https://cdn.example/b.png"),
            ("image", "http://192.0.2.7/logo.png"), ("css", "https://[2001:DB8::7]:8443/x"),
            ("image", "https://portal.gov.example/own.png"), ("image", "data:image/png;base64,AAAA"),
            ("frame", "javascript:alert(1)"), ("image", "https://bad host.example/"), ("image", "http://[::1/"),
            ("image", "https://Bücher.example/x"), ("image", "https://over.cap.example/"), ("image", "https://e.example:99999/"),
            ("image", "https://over.cap.example/again.png")]
    for kind, url in refs:
        found.add(kind, url, cap=4)
    assert [(o.scheme, o.host, o.port, o.kinds, o.refs, o.literal) for o in found.origins] == [
        ("https", "cdn.example", 443, ["script", "image"], 2, None),
        ("http", "192.0.2.7", 80, ["image"], 1, Family.V4),
        ("https", "2001:db8::7", 8443, ["css"], 1, Family.V6),
        ("https", "xn--bcher-kva.example", 443, ["image"], 1, None),
    ]
    assert found.found == 5  # over.cap.example was seen (twice, counted once) but is past the cap of 4
    assert found.skipped == 5  # data:, javascript:, a space in the host, a broken literal, a bad port


def test_a_hostile_page_is_parsed_quickly_and_bounded() -> None:
    nested = "<div>" * 20_000 + "<img src='https://deep.example/x.png'>" + "</div>" * 20_000
    many = "".join(f'<img src="https://h{i}.example/i.png">' for i in range(5_000))
    broken = '<img src="https://ok.example/a.png"><script src="https://s.example/x.js" <<<>>> <style>url(' * 200
    started = time.perf_counter()
    refs = page_references(nested + many + broken, BASE)
    elapsed = time.perf_counter() - started
    found = Found()
    for kind, url in refs:
        found.add(kind, url, cap=64)
    assert len(found.origins) == 64 and found.found > 5_000
    assert "https://deep.example/x.png" in {url for _, url in refs}
    assert elapsed < 5  # a bound against a parser that would go quadratic, not a speed claim


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400), st.text(max_size=100))
def test_any_text_parses_without_error(html: str, css: str) -> None:
    for kind, url in page_references(html + f"<style>{css}</style><img srcset='{css}'>", BASE):
        Found().add(kind, url, cap=8)
    css_references(css)
    srcset_urls(css)
    refresh_url(css)
