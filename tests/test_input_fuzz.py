"""Hostile target lists: every bad line is named with its line number and reason, every good line is scanned.

Two halves:

* a corpus of hostile list files (``tests/corpus/targets/``, expectations in
  ``expected.toml``) plus a generated 10 000-line file of mixed garbage, each
  run through the real ``ipv6scan scan`` command in a child process. The
  resolver is 127.0.0.1:9, where nothing listens, so every good host ends
  quickly as unresolvable: what matters here is that it got a record.
* property-based tests (hypothesis), besides those of ``test_targets.py``
  (which check that reading never raises and that names come out valid):
  Unicode normalisation forms agree, URLs reduce to their host, and every
  line of arbitrary bytes is accounted for once, in order.
"""

from __future__ import annotations

import io
import random
import re
import tomllib
import unicodedata
from pathlib import Path

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ipv6scan.model import HostRecord, InputError, ScanLine, ScanSummary
from ipv6scan.targets import Target, TargetReader, normalise_host

from .conftest import run_cli

CORPUS = Path(__file__).parent / "corpus" / "targets"
EXPECTED = tomllib.loads((CORPUS / "expected.toml").read_text(encoding="utf-8"))
GENERATED = "generated-10k.txt"
SCAN = ("--resolver", "127.0.0.1:9", "--dns-timeout", "0.05", "--format", "jsonl", "--no-save", "--no-zone",
        "--concurrency", "128")  # nothing listens on 127.0.0.1:9: every good host ends quickly, unresolvable
decoder = msgspec.json.Decoder(ScanLine)


# ------------------------------------------------------------------ the generated 10k-line list

BAD = [  # (line, words of the problem)
    ("bad..dots.gov.vn", "empty label"),
    ("192.0.2.7", "IP address"),
    ("[2001:db8::7]:443", "IP address"),
    ("under_score.gov.vn", "underscore"),
    ("with space.gov.vn", "whitespace"),
    ("x" * 64 + ".gov.vn", "64 octets"),
    ("nodot", "not a fully-qualified name"),
    ("ftp://files.gov.vn/", "scheme 'ftp'"),
    ("someone@gov.vn", "e-mail"),
    ("portal.gov.vn:http", "not a port number"),
    ("-x.gov.vn", "hyphen"),
    ("xn--zz.gov.vn", "not a valid A-label"),
]
BAD_BYTES = [(b"\xff\xfe\xfdjunk.gov.vn", "not valid UTF-8"), (b"nul\x00.gov.vn", "NUL")]


def generate(path: Path, lines: int = 10_000, seed: int = 2025) -> dict:
    """Write a list of mixed garbage; return what it must give (the shape of an expected.toml entry)."""
    rnd = random.Random(seed)
    hosts: dict[str, str] = {}
    errors: dict[str, str] = {}
    first: list[str] = []
    out = bytearray("\ufeff".encode())
    for n in range(1, lines + 1):
        kind = rnd.random()
        if kind < 0.01:  # a new host, in one of its spellings
            host = f"host{len(first)}.tinh{rnd.randrange(34)}.gov.vn"
            first.append(host)
            hosts[str(n)] = host
            line = rnd.choice([host, host.upper(), f"https://{host}/path?q={n}", f"{host}.", f"  {host}  # c"]).encode()
        elif kind < 0.06 and first:  # a duplicate of an earlier host
            line = rnd.choice(first).upper().encode()
        elif kind < 0.20:
            line = rnd.choice([b"", b"   ", b"# comment", b"\t# indented comment"])
        elif kind < 0.25:
            line, errors[str(n)] = rnd.choice(BAD_BYTES)
        else:
            text, errors[str(n)] = rnd.choice(BAD)
            line = text.encode()
        out += line + rnd.choice([b"\n", b"\r\n"])
    path.write_bytes(bytes(out))
    return {"hosts": hosts, "errors": errors}


# ------------------------------------------------------------------ through the CLI


@pytest.fixture(scope="module")
def scan(tmp_path_factory) -> tuple[dict[str, dict], dict[str, Path], object]:
    """One ``ipv6scan scan`` of every corpus file and the generated list together: (expected, paths, process)."""
    expected = dict(EXPECTED)
    generated = tmp_path_factory.mktemp("fuzz") / GENERATED
    expected[GENERATED] = generate(generated)
    paths = {name: CORPUS / name for name in EXPECTED} | {GENERATED: generated}
    return expected, paths, run_cli("scan", *map(str, paths.values()), *SCAN)


@pytest.fixture(scope="module")
def output(scan) -> tuple[list[object], dict[str, dict[int, InputError]], dict[str, int]]:
    """The scan's lines, its input errors per list and line, and the line each host came from."""
    _, _, proc = scan
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = [decoder.decode(line) for line in proc.stdout.splitlines()]
    errors: dict[str, dict[int, InputError]] = {}
    for e in lines:
        if isinstance(e, InputError):
            assert e.line not in errors.setdefault(e.source, {}), e  # one error per line
            errors[e.source][e.line] = e
    hosts = {r.facts.host: r.facts.line for r in lines if isinstance(r, HostRecord)}
    return lines, errors, hosts


def meaningful_lines(data: bytes, encoding: str = "utf-8") -> set[int]:
    """Lines that are neither blank nor whole-line comments (as a person reading the list sees them).

    Lines end at LF, CRLF or CR (what an editor shows as line ends); ``encoding`` is the file's, as
    ``expected.toml`` says it (UTF-8 unless told).
    """
    found = set()
    for n, raw in enumerate(re.split(r"\r\n|\r|\n", data.decode(encoding, "surrogateescape")), 1):
        text = raw.removeprefix("\ufeff" if n == 1 else "").strip()
        if text and not text.startswith("#"):
            found.add(n)
    return found


def test_the_scan_completes_with_a_summary_that_counts_everything(scan, output) -> None:
    expected, _, _ = scan
    lines, errors, hosts = output
    summary = lines[-1]
    assert isinstance(summary, ScanSummary) and not summary.interrupted
    assert summary.input_errors == sum(map(len, errors.values()))
    assert summary.hosts == len(hosts) == sum(1 if isinstance(h, str) else len(h)
                                              for e in expected.values() for h in e.get("hosts", {}).values())
    assert all(e.problem and len(e.text) <= 300 and len(e.problem) <= 300 for f in errors.values() for e in f.values())


@pytest.mark.parametrize("name", [*EXPECTED, GENERATED])
def test_every_bad_line_is_named_and_every_good_line_scanned(scan, output, name) -> None:
    expected, paths, _ = scan
    _, errors, hosts = output
    found = errors.get(str(paths[name]), {})
    if expected[name].get("all_errors"):
        assert set(found) == meaningful_lines(paths[name].read_bytes())
        return
    want = {host: int(n) for n, entries in expected[name].get("hosts", {}).items()
            for host in ([entries] if isinstance(entries, str) else entries)}  # a line may hold several entries
    assert {host: hosts.get(host) for host in want} == want  # scanned, from that line
    want_errors = expected[name].get("errors", {})
    assert set(found) == {int(n) for n in want_errors}
    for n, words in want_errors.items():
        assert words in found[int(n)].problem, (n, found[int(n)].problem)


def test_the_expectations_cover_every_meaningful_line() -> None:
    """The corpus expectations are complete: a line of a file is a host, an error or a duplicate."""
    for name, expected in EXPECTED.items():
        if expected.get("all_errors"):
            continue
        named = {int(n) for n in expected.get("hosts", {})} | {int(n) for n in expected.get("errors", {})}
        named |= set(expected.get("duplicates", [])) | set(expected.get("not_entries", []))
        assert named == meaningful_lines((CORPUS / name).read_bytes(), expected.get("encoding", "utf-8")), name


# ------------------------------------------------------------------ properties

LDH_LABEL = st.from_regex(r"\A[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?\Z")
NAMES = st.builds(
    lambda labels, tld: ".".join([*labels, tld]),
    st.lists(LDH_LABEL, min_size=1, max_size=4),
    st.sampled_from(["vn", "gov.vn", "com", "example", "xn--p1ai"]),
)
fuzz = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@fuzz
@given(st.text(max_size=100))
def test_unicode_normalisation_forms_agree(text: str) -> None:
    def outcome(form: str) -> str:
        try:
            return normalise_host(unicodedata.normalize(form, text))
        except ValueError:
            return "rejected"

    assert outcome("NFC") == outcome("NFD")


@fuzz
@given(
    NAMES,
    st.sampled_from(["http", "https", "HTTPS"]),
    st.sampled_from(["", "user@", "user:p%40ss@"]),
    st.sampled_from(["", ":80", ":8443"]),
    st.sampled_from(["", "/", "/a/b?q=1&r=%20", "#frag", "/x#y"]),
)
def test_urls_reduce_to_their_host(name: str, scheme: str, userinfo: str, port: str, rest: str) -> None:
    try:
        host = normalise_host(name)
    except ValueError:
        return  # e.g. an all-digit last label
    assert normalise_host(f"{scheme}://{userinfo}{name.upper()}{port}{rest}") == host
    if not userinfo:
        assert normalise_host(f"{name}{port}{rest}") == host


@fuzz
@given(st.lists(st.binary(max_size=80) | NAMES.map(str.encode), max_size=40), st.sampled_from([b"\n", b"\r\n"]),
       st.booleans())
def test_reading_any_bytes_accounts_for_every_line_once(chunks: list[bytes], newline: bytes, bom: bool) -> None:
    data = (b"\xef\xbb\xbf" if bom else b"") + newline.join([b"first.example.vn", *chunks])  # a text list
    reader = TargetReader(io.BytesIO(data), name="fuzz")
    items = list(reader)
    for item in items:
        msgspec.json.encode(item)  # always serialisable (no lone surrogates)
        assert isinstance(item, Target) or (item.problem and len(item.text) <= 300)
    reported = [item.line for item in items]
    assert reported == sorted(set(reported))  # at most one item per line, in order
    assert len(reported) + reader.duplicates == len(meaningful_lines(data))  # and every line accounted for
