"""Tests for ipv6scan.targets: reading, validating and normalising target lists."""

from __future__ import annotations

import io
import os
import itertools
import re
import sys
import unicodedata

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ipv6scan.model import InputError
from ipv6scan.targets import IP_PROBLEM, Target, TargetReader, display_name, normalise_host, read_targets

BO_CONG_AN = "bộcôngan.vn"
BO_CONG_AN_ASCII = "xn--bcngan-jxa6332d.vn"


def read(text: str | bytes, name: str | None = None) -> list[Target | InputError]:
    stream = io.BytesIO(text) if isinstance(text, bytes) else io.StringIO(text)
    return list(read_targets(stream, name=name))


def hosts(items) -> list[str]:
    return [i.host for i in items if isinstance(i, Target)]


def errors(items) -> list[InputError]:
    return [i for i in items if isinstance(i, InputError)]


# ---------------------------------------------------------------- normalise_host


@pytest.mark.parametrize(
    ("text", "host"),
    [
        ("example.gov.vn", "example.gov.vn"),
        ("  Example.GOV.vn.  ", "example.gov.vn"),
        ("https://user:pw@Host.gov.vn:8443/path?q", "host.gov.vn"),
        ("http://host.gov.vn", "host.gov.vn"),
        ("HTTPS://host.gov.vn/#top", "host.gov.vn"),
        ("https://a@b@host.gov.vn/", "host.gov.vn"),
        ("host.gov.vn:8080", "host.gov.vn"),
        ("host.gov.vn:", "host.gov.vn"),
        ("host.gov.vn/portal/index.html", "host.gov.vn"),
        ("ｅｘａｍｐｌｅ。ｇｏｖ。ｖｎ", "example.gov.vn"),  # full-width forms (UTS 46)
        ("r3---sn-abc.example.com", "r3---sn-abc.example.com"),  # valid DNS name, not an IDNA R-LDH error
        ("xn--bcher-kva.de", "xn--bcher-kva.de"),
        ("123.example.vn", "123.example.vn"),
    ],
)
def test_normalise_host_accepts(text, host):
    assert normalise_host(text) == host


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("192.0.2.1", IP_PROBLEM),
        ("192.0.2.1.", IP_PROBLEM),
        ("192.0.2.1:80", IP_PROBLEM),
        ("2001:db8::1", IP_PROBLEM),
        ("[2001:db8::1]", IP_PROBLEM),
        ("[2001:db8::1]:443", IP_PROBLEM),
        ("https://[2001:db8::1]:8443/x", IP_PROBLEM),
        ("http://192.0.2.1/", IP_PROBLEM),
        ("fe80::1%eth0", IP_PROBLEM),
        ("[not-an-ip]", "not a valid bracketed IPv6 address"),
        ("a..b.vn", "empty label"),
        (".a.vn", "empty label"),
        ("a.vn..", "empty label"),
        ("_dmarc.example.vn", "underscore is not allowed in a host name"),
        ("my_host.gov.vn", "underscore is not allowed in a host name"),
        ("localhost", "not a fully-qualified name"),
        ("intranet.", "not a fully-qualified name"),
        ("ftp://files.gov.vn", "scheme 'ftp' is not supported"),
        ("mailto://x.gov.vn", "scheme 'mailto' is not supported"),
        ("admin@mic.gov.vn", "looks like an e-mail address"),
        ("host.gov.vn:http", "'http' is not a port number"),
        ("host.gov.vn:70000", "'70000' is not a port number"),
        ("a:b:c.vn", "more than one ':'"),
        ("bo cong an.vn", "contains whitespace"),
        ("a\u00a0b.vn", "contains whitespace"),
        ("host!.gov.vn", "character '!' is not allowed"),
        ("-host.gov.vn", "starts or ends with a hyphen"),
        ("host-.gov.vn", "starts or ends with a hyphen"),
        ("example.123", "is a number"),
        ("", "empty host name"),
        ("https:///path", "empty host name"),
        ("a" * 64 + ".vn", "is 64 octets long in ASCII; the limit is 63"),
        ("bộcôngan" * 8 + ".vn", "octets long in ASCII; the limit is 63"),
        (".".join(["a" * 60] * 5), "the name is 304 octets long; the limit is 253"),
        ("xn--zz.vn", "not a valid A-label"),
        ("a\u200db.vn", "not a valid IDNA 2008 label"),  # joiner in a Latin context
        ("a\x00b.vn", "character '\\x00' is not allowed"),
    ],
)
def test_normalise_host_rejects(text, problem):
    with pytest.raises(ValueError, match=re.escape(problem)):
        normalise_host(text)


def test_longest_names_are_accepted():
    label = "a" * 63
    assert normalise_host(f"{label}.vn") == f"{label}.vn"
    name = ".".join(["a" * 63] * 3 + ["b" * 61])  # 253 octets
    assert normalise_host(name + ".") == name


def test_idn_nfc_and_nfd_give_the_same_punycode():
    nfc = unicodedata.normalize("NFC", BO_CONG_AN)
    nfd = unicodedata.normalize("NFD", BO_CONG_AN)
    assert nfc != nfd
    assert normalise_host(nfc) == normalise_host(nfd) == BO_CONG_AN_ASCII
    assert display_name(BO_CONG_AN_ASCII) == nfc
    assert normalise_host(f"https://{nfd.upper()}/trang-chu") == BO_CONG_AN_ASCII


def test_idn_with_hyphen_and_gov_suffix():
    host = normalise_host("Hà-Nội.gov.vn")
    assert host.startswith("xn--") and host.endswith(".gov.vn")
    assert display_name(host) == "hà-nội.gov.vn"
    assert normalise_host(display_name(host)) == host


# ---------------------------------------------------------------- plain text


def test_plain_text_comments_blank_lines_crlf_bom():
    data = "\ufeff# targets\r\n\r\nmic.gov.vn\r\n   \r\nmof.gov.vn   # Bộ Tài chính\r\n  # indented comment\r\nhttps://x.gov.vn/#frag\r\n"
    items = read(data.encode("utf-8"))
    assert items == [
        Target(host="mic.gov.vn", display="mic.gov.vn", input="mic.gov.vn", line=3, source="<stdin>"),
        Target(host="mof.gov.vn", display="mof.gov.vn", input="mof.gov.vn", line=5, source="<stdin>"),
        Target(host="x.gov.vn", display="x.gov.vn", input="https://x.gov.vn/#frag", line=7, source="<stdin>"),
    ]


def test_bom_on_a_text_stream():
    assert hosts(read("\ufeffmic.gov.vn\n")) == ["mic.gov.vn"]


def test_idn_targets_keep_input_and_display():
    nfd = unicodedata.normalize("NFD", BO_CONG_AN)
    [target] = read(f"{nfd}\n")
    assert target.host == BO_CONG_AN_ASCII
    assert target.display == BO_CONG_AN
    assert target.input == nfd


def test_duplicates_are_merged_first_wins_and_counted():
    data = "mic.gov.vn\nMIC.gov.vn\nmic.gov.vn.\nhttps://mic.gov.vn:443/x\nother.gov.vn\nMic.Gov.Vn.\n"
    reader = TargetReader(io.StringIO(data))
    items = list(reader)
    assert [(t.host, t.line, t.input) for t in items] == [
        ("mic.gov.vn", 1, "mic.gov.vn"),
        ("other.gov.vn", 5, "other.gov.vn"),
    ]
    assert (reader.targets, reader.duplicates, reader.errors) == (2, 4, 0)


def test_idn_duplicates_in_unicode_and_punycode():
    data = f"{BO_CONG_AN}\n{BO_CONG_AN_ASCII}\n{unicodedata.normalize('NFD', BO_CONG_AN)}\n"
    reader = TargetReader(io.StringIO(data))
    assert hosts(reader) == [BO_CONG_AN_ASCII]
    assert reader.duplicates == 2


def test_bad_lines_are_reported_and_reading_goes_on():
    data = "good1.gov.vn\n192.0.2.1\n\n# comment\nbad_name.gov.vn\ngood2.gov.vn\nlocalhost\nhttps://[2001:db8::1]/\ngood3.gov.vn\n"
    items = read(data, name="list.txt")
    assert hosts(items) == ["good1.gov.vn", "good2.gov.vn", "good3.gov.vn"]
    assert [(e.line, e.text, e.source) for e in errors(items)] == [
        (2, "192.0.2.1", "list.txt"),
        (5, "bad_name.gov.vn", "list.txt"),
        (7, "localhost", "list.txt"),
        (8, "https://[2001:db8::1]/", "list.txt"),
    ]
    problems = [e.problem for e in errors(items)]
    assert problems[0] == IP_PROBLEM
    assert problems[1] == "underscore is not allowed in a host name"
    assert problems[2].startswith("not a fully-qualified name")
    assert problems[3] == IP_PROBLEM


def test_invalid_utf8_line_is_an_error_not_a_crash():
    data = b"a.gov.vn\nb\xff\xfe.gov.vn\nc.gov.vn # comment with bad byte \xe0\n# \xc3 bad comment\nd.gov.vn\n"
    items = read(data)
    assert hosts(items) == ["a.gov.vn", "c.gov.vn", "d.gov.vn"]
    [error] = errors(items)
    assert (error.line, error.text, error.problem) == (2, "b\\xff\\xfe.gov.vn", "not valid UTF-8 (byte 0xff)")


def test_windows_1258_file_is_reported_line_by_line():
    data = "mic.gov.vn\nh\u00e0-n\u00f4\u0323i.gov.vn\n".encode("cp1258")  # how Windows-1258 spells Hà-Nội
    items = read(data)
    assert hosts(items) == ["mic.gov.vn"]
    assert [e.line for e in errors(items)] == [2]
    assert errors(items)[0].problem.startswith("not valid UTF-8")


def test_stdin_dash_reads_bytes_and_reports_bad_utf8(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"a.gov.vn\n\xff.gov.vn\n")))
    items = list(read_targets("-"))
    assert hosts(items) == ["a.gov.vn"]
    assert [(e.line, e.source) for e in errors(items)] == [(2, "<stdin>")]


def test_stringio_as_stdin():
    items = list(read_targets(io.StringIO("mic.gov.vn\n"), name="<stdin>"))
    assert items == [Target(host="mic.gov.vn", display="mic.gov.vn", input="mic.gov.vn", line=1, source="<stdin>")]


def test_reads_files_by_path(tmp_path):
    path = tmp_path / "list.txt"
    path.write_bytes(b"mic.gov.vn\r\nbad..name\r\n")
    items = list(read_targets(path))
    assert hosts(items) == ["mic.gov.vn"]
    assert errors(items)[0].source == str(path)
    renamed = list(read_targets(str(path), name="L"))
    assert renamed == [msgspec.structs.replace(i, source="L") for i in items]


def test_unreadable_file_is_one_error(tmp_path):
    [error] = list(read_targets(tmp_path))  # a directory
    assert (error.line, error.code, error.problem) == (None, "target.directory", "is a directory, not a list file")
    [error] = list(read_targets(tmp_path / "missing.txt"))
    assert (error.line, error.code) == (None, "target.no_such_file")
    (tmp_path / "locked.txt").write_text("a.gov.vn\n")
    (tmp_path / "locked.txt").chmod(0)
    if os.geteuid() != 0:  # root reads it anyway
        [error] = list(read_targets(tmp_path / "locked.txt"))
        assert error.problem.startswith("cannot read the list")


def test_empty_and_comment_only_lists():
    assert read("") == []
    assert read("# nothing\n\n   \n") == []


def test_reading_is_lazy():
    """An endless list yields as it goes: nothing is read ahead or kept."""

    def endless():
        for n in itertools.count():
            yield f"host{n}.gov.vn\n"

    first = list(itertools.islice(read_targets(endless(), name="endless"), 3))
    assert hosts(first) == ["host0.gov.vn", "host1.gov.vn", "host2.gov.vn"]


def test_ten_thousand_lines_of_garbage_and_names(tmp_path):
    garbage = ["192.0.2.7", "no_underscore.vn", "single", "a..b", "ftp://x.vn", "\u2603\u2603", "x" * 70 + ".vn"]
    lines = []
    for n in range(10_000):
        if n % 5 == 0:
            lines.append(garbage[n % len(garbage)])
        elif n % 5 == 1:
            lines.append(f"# comment {n}")
        elif n % 5 == 2:
            lines.append(f"HOST{n // 5 % 1000}.Gov.VN.")  # 2000 lines, 1000 distinct names
        else:
            lines.append(f"https://site{n}.gov.vn/path")
    path = tmp_path / "big.txt"
    path.write_text("\n".join(lines), encoding="utf-8")
    reader = TargetReader(path)
    items = list(reader)
    assert len(hosts(items)) == reader.targets == 1000 + 4000
    assert len(errors(items)) == reader.errors == 2000
    assert reader.duplicates == 1000


# ---------------------------------------------------------------- CSV


def test_csv_with_all_columns():
    data = (
        "host,org,kind,tags\n"
        "mic.gov.vn,Bộ Thông tin và Truyền thông,ministry,central;portal\n"
        "https://hanoi.gov.vn/,UBND Hà Nội,province,north|capital\n"
        "\n"
        "# a comment\n"
        "danang.gov.vn,,,\n"
        "192.0.2.1,Bad,x,\n"
        '"quoted.gov.vn","Org, with comma",portal," a ; b "\n'
    )
    items = read(data, name="list.csv")
    assert [(t.host, t.line, t.org, t.kind, t.tags) for t in items if isinstance(t, Target)] == [
        ("mic.gov.vn", 2, "Bộ Thông tin và Truyền thông", "ministry", ["central", "portal"]),
        ("hanoi.gov.vn", 3, "UBND Hà Nội", "province", ["north", "capital"]),
        ("danang.gov.vn", 6, None, None, []),
        ("quoted.gov.vn", 8, "Org, with comma", "portal", ["a", "b"]),
    ]
    [error] = errors(items)
    assert (error.line, error.text, error.problem, error.source) == (7, "192.0.2.1", IP_PROBLEM, "list.csv")
    assert items[1].input == "https://hanoi.gov.vn/"


@pytest.mark.parametrize("header", ["Host,Org", "HOSTNAME,organisation", "Domain , Organization", "URL,org"])
def test_csv_detected_by_header_with_capitalised_host_and_aliases(header):
    [target] = read(f"# exported list\n{header}\nhttps://mic.gov.vn/,MIC\n")
    assert (target.host, target.org, target.line, target.input) == ("mic.gov.vn", "MIC", 3, "https://mic.gov.vn/")


def test_csv_host_column_preferred_over_url():
    [target] = read("url,host\nhttps://other.gov.vn/,mic.gov.vn\n")
    assert target.host == "mic.gov.vn"


def test_csv_with_semicolons_from_a_vietnamese_spreadsheet():
    data = "\ufeffHost;Org;Tags\r\nmic.gov.vn;Bộ TT&TT;\"a;b\"\r\n"
    [target] = read(data.encode("utf-8"), name="export.csv")
    assert (target.host, target.org, target.tags) == ("mic.gov.vn", "Bộ TT&TT", ["a", "b"])


def test_csv_without_host_column_is_one_error():
    items = read("name,org\nmic.gov.vn,MIC\nmof.gov.vn,MOF\n", name="orgs.csv")
    [error] = items
    assert error.line == 1
    assert error.problem == "no host column: the header has 'name', 'org'; expected one of host, hostname, domain, url"


def test_text_with_commas_but_no_header_is_plain_text():
    items = read("mic.gov.vn,mof.gov.vn\n")
    assert hosts(items) == []
    assert errors(items)[0].problem == "character ',' is not allowed in a host name"


def test_csv_rows_without_host_and_bad_bytes():
    data = b"host,org\n,Orphan org\nmic.gov.vn,Org \xff\nmof.gov.vn\n"
    items = read(data, name="l.csv")
    assert hosts(items) == ["mof.gov.vn"]
    assert [(e.line, e.text, e.problem) for e in errors(items)] == [
        (2, ",Orphan org", "no host in this row"),
        (3, "mic.gov.vn", "not valid UTF-8 (byte 0xff)"),
    ]


def test_a_quote_never_runs_past_its_line_and_errors_do_not_stop_reading():
    """Issue 17: an unclosed quote used to swallow every line after it (a list "ok, 2 hosts" that had 3)."""
    data = 'host,org\nmic.gov.vn,"two\nlines"\nbad\rrow,x\nmof.gov.vn,y\n'
    items = read(data, name="l.csv")
    assert [(t.host, t.line, t.org) for t in items if isinstance(t, Target)] == [("mof.gov.vn", 6, "y")]
    assert [(e.line, e.text, e.code) for e in errors(items)] == [
        (2, 'mic.gov.vn,"two', "target.unclosed_quote"), (3, 'lines"', "target.single_label"),
        (4, "bad", "target.single_label"), (5, "row", "target.single_label")]  # a lone CR ends a line too


@pytest.mark.parametrize("delimiter", [";", ","])
def test_an_unclosed_quote_loses_no_line_after_it(delimiter):
    rows = ["host{d}org", "e1.gov.vn{d}Org", 'e2.gov.vn{d}"Tinh A', *(f"h{i}.gov.vn{{d}}Org" for i in range(200))]
    items = read("\n".join(r.format(d=delimiter) for r in rows) + "\n", name="l.csv")
    assert len(hosts(items)) == 201 and [(e.line, e.code) for e in errors(items)] == [(3, "target.unclosed_quote")]


def test_text_glued_after_a_closing_quote_is_an_error_not_part_of_the_name():
    items = read('host;org\n"d1.gov.vn"x;Org\n', name="l.csv")
    assert hosts(items) == [] and [(e.line, e.code) for e in errors(items)] == [(2, "target.text_after_quote")]


def test_csv_duplicates_merged():
    reader = TargetReader(io.StringIO("host,org\nmic.gov.vn,first\nMIC.GOV.VN.,second\n"))
    assert [t.org for t in reader] == ["first"]
    assert reader.duplicates == 1


# ---------------------------------------------------------------- properties

LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
HOSTY = st.text(alphabet="abcxyz019-._:/@[]# \t,;|\r\nĐđộàôơ\u0301\u0323ßｅ。\u200d\ufeffXNxn%\x00\udcff", max_size=80)
NAMES = st.lists(
    st.text(alphabet="abcđộàôơHNữ0-\u0301", min_size=1, max_size=20), min_size=1, max_size=5
).map(".".join)


def assert_valid_host(host: str) -> None:
    assert host.isascii() and host == host.lower()
    assert len(host) <= 253 and "." in host
    for label in host.split("."):
        assert 1 <= len(label) <= 63 and LABEL.fullmatch(label), label


def check_items(items) -> None:
    for item in items:
        assert isinstance(item, (Target, InputError))
        msgspec.json.encode(item)  # nothing unencodable (lone surrogates) leaks out
        if isinstance(item, Target):
            assert_valid_host(item.host)
            assert normalise_host(item.host) == item.host
        else:
            assert item.problem


@settings(max_examples=300)
@given(st.text() | HOSTY, st.sampled_from([None, "list.csv"]))
def test_read_targets_never_raises_on_text(text, name):
    check_items(read_targets(io.StringIO(text), name=name))


@settings(max_examples=300)
@given(st.binary() | HOSTY.map(lambda s: s.encode("utf-8", "surrogateescape")), st.sampled_from([None, "list.csv"]))
def test_read_targets_never_raises_on_bytes(data, name):
    check_items(read_targets(io.BytesIO(data), name=name))


@settings(max_examples=300)
@given(st.lists(st.lists(HOSTY, max_size=4).map(",".join), max_size=6).map("\n".join))
def test_read_targets_never_raises_on_csv(body):
    check_items(read_targets(io.StringIO("host,org,kind,tags\n" + body)))


@settings(max_examples=500)
@given(NAMES | HOSTY | st.text())
def test_normalise_host_output_is_valid_and_idempotent(text):
    try:
        host = normalise_host(text)
    except ValueError as e:
        assert str(e)
        return
    assert_valid_host(host)
    assert normalise_host(host) == host
    assert normalise_host(display_name(host)) == host


@pytest.mark.parametrize("text", ["http://u.gov.vn\\@evil.com", "https://u.gov.vn\\x@evil.com/p", "u.gov.vn\\@evil.com",
                                  "https://u.gov.vn\\"])
def test_a_backslash_ends_the_host_as_in_a_browser_so_no_other_host_is_scanned(text):
    """Issue 17: `u.gov.vn\\@evil.com` scanned evil.com; browsers read the backslash as a slash (WHATWG URL)."""
    assert normalise_host(text) == "u.gov.vn"


# ------------------------------------------------------------------ files as they come (issue 17, item 2)


def test_line_ends_are_lf_crlf_or_cr_even_when_a_read_cuts_a_crlf_in_two(monkeypatch):
    from ipv6scan import targets

    data = b"a1.gov.vn\r\na2.gov.vn\ra3.gov.vn\na4.gov.vn\r\n\r\na6.gov.vn"
    for size in (1, 2, 3, 5, 10, 64 * 1024):  # every cut, a CRLF split over two reads included
        monkeypatch.setattr(targets, "_READ", size)
        items = read(data)
        assert [(t.host, t.line) for t in items] == [("a1.gov.vn", 1), ("a2.gov.vn", 2), ("a3.gov.vn", 3),
                                                     ("a4.gov.vn", 4), ("a6.gov.vn", 6)], size


def test_unicode_line_separators_split_entries_of_one_line():
    items = read("x1.gov.vn\u2028x2.gov.vn\u2029bad_x.gov.vn\nx3.gov.vn\x85x4.gov.vn\n".encode())
    assert [(t.host, t.line) for t in items if isinstance(t, Target)] == [
        ("x1.gov.vn", 1), ("x2.gov.vn", 1), ("x3.gov.vn", 2), ("x4.gov.vn", 2)]
    assert [(e.line, e.code) for e in errors(items)] == [(1, "target.underscore")]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-8-sig"])
def test_utf16_and_utf32_lists_are_read_as_their_lines(encoding):
    text = "host;org\r\nhue.gov.vn;Thành phố Huế\r\nbad..hue.gov.vn;X\r\nđànẵng.gov.vn;Đà Nẵng\r\n"
    items = read(text.encode(encoding), name="l.csv")
    assert [(t.host, t.line, t.org) for t in items if isinstance(t, Target)] == [
        ("hue.gov.vn", 2, "Thành phố Huế"), (normalise_host("đànẵng.gov.vn"), 4, "Đà Nẵng")]
    assert [(e.line, e.code) for e in errors(items)] == [(3, "target.empty_label")]


def test_a_ten_megabyte_line_is_one_error_read_in_bounded_memory():
    import tracemalloc

    data = b"x" * 10_000_000 + b"\nafter.gov.vn\n" + b"y" * 20_000
    tracemalloc.start()
    try:
        items = read(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2_000_000, peak  # the data itself is not traced (made before start): this is the reader's
    assert [(t.host, t.line) for t in items if isinstance(t, Target)] == [("after.gov.vn", 2)]
    assert [(e.line, e.code, e.params) for e in errors(items)] == [
        (1, "target.line_too_long", {"limit": 16384}), (3, "target.line_too_long", {"limit": 16384})]
    assert errors(items)[0].text == "x" * 60 + "…"


def test_a_fifo_is_read_like_a_file_and_a_device_is_refused(tmp_path):
    import threading

    fifo = tmp_path / "list.fifo"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_bytes(b"p1.gov.vn\np2.gov.vn\n"))
    writer.start()
    assert hosts(list(read_targets(fifo))) == ["p1.gov.vn", "p2.gov.vn"]
    writer.join()
    [error] = list(read_targets("/dev/zero"))
    assert (error.line, error.code) == (None, "target.device")


def test_the_cli_says_what_a_target_path_is(tmp_path):
    from .conftest import run_cli

    for path, words in [("/dev/zero", "is a device"), (str(tmp_path), "is a directory"),
                        (str(tmp_path / "nope.txt"), "no such file")]:
        for command in (("scan", path, "--no-save", "--no-db"), ("targets", "check", path)):
            proc = run_cli(*command, "--lang", "en")
            assert proc.returncode == 2 and f"target file {path}: {words}" in proc.stderr, (command, proc.stderr)
    proc = run_cli("targets", "check", "/dev/zero", "--lang", "vi")
    assert "là một thiết bị" in proc.stderr


@pytest.mark.parametrize(("data", "hosts", "error_lines"), [
    ("a.vn\n".encode("utf-16-le") + b"\x00\xdcb\x00\n\x00" + "c.vn\n".encode("utf-16-le"), ["a.vn", "c.vn"], [2]),
    ("a.vn\nb.vn\n".encode("utf-16-le") + b"c", ["a.vn", "b.vn"], [3]),  # the last character cut short
])
def test_a_utf16_list_with_a_code_unit_that_does_not_decode_names_its_line_and_goes_on(data, hosts, error_lines):
    """A lone surrogate or a last character cut short made reading the whole list raise UnicodeDecodeError
    (found by test_read_targets_never_raises_on_bytes)."""
    items = list(read_targets(io.BytesIO(data), name="list.txt"))
    assert [i.host for i in items if isinstance(i, Target)] == hosts
    assert [i.line for i in items if isinstance(i, InputError)] == error_lines
