"""Read, validate and normalise target lists.

A target list is plain text (one host name or URL per line, ``#`` comments) or
CSV with a ``host`` column and optional ``org``, ``kind`` and ``tags`` columns.
Reading is lazy: :func:`read_targets` yields one :class:`Target` or one
:class:`~ipv6scan.model.InputError` per entry, so a list is never held in
memory; only the set of host names already seen (for de-duplication) grows.

:func:`normalise_host` is the pure core: it reduces a host name or URL to the
ASCII form used on the wire (IDNA 2008 A-labels, lower case, no trailing dot),
or raises ``ValueError`` saying why the text is not a host name that can be
scanned.
"""

from __future__ import annotations

import codecs
import csv
import ipaddress
import itertools
import os
import re
import stat
import sys
import unicodedata
from collections.abc import Iterable, Iterator
from typing import NamedTuple, TextIO

import idna
import msgspec

from .catalogue import Message
from .errors import Ipv6scanError
from .model import InputError

HOST_COLUMNS = ("host", "hostname", "domain", "url")  # in order of preference
ORG_COLUMNS = ("org", "organisation", "organization")

_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")
_END_OF_AUTHORITY = re.compile(r"[/?#\\]")  # a backslash ends it too, as in browsers (WHATWG URL, special schemes)
_TRAILING_COMMENT = re.compile(r"\s#")
_TAG_SEPARATOR = re.compile(r"[;|]")
_SURROGATE = re.compile("[\ud800-\udfff]")  # undecodable bytes (surrogateescape) or unpaired surrogates
_LDH = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")
_ECHO_MAX = 300  # characters of an entry, or of a problem, that an input error holds


class Target(msgspec.Struct, kw_only=True):
    """One host name to scan, and where it came from."""

    host: str  # ASCII (punycode), lower case, no trailing dot
    display: str  # Unicode form, for people
    input: str  # the entry as written (line without comment, or CSV cell), stripped
    line: int  # 1-based physical line (CSV: the first line of the record)
    source: str  # file name, or "<stdin>"
    org: str | None = None
    kind: str | None = None
    tags: list[str] = []


# ---------------------------------------------------------------- host names


IP_PROBLEM = "is an IP address; ipv6scan scans host names (it needs the name for Host/SNI)"  # target.ip_address, en


class TargetProblem(Ipv6scanError, ValueError):
    """Why an entry is not a host name to scan: a ``catalogue.Message`` (``target.*``), English as ``str()``."""


def _bad(key: str, **values: str | int) -> TargetProblem:
    return TargetProblem(Message(key, **values))


def normalise_host(text: str) -> str:
    """Reduce a host name or http(s) URL to its ASCII host name.

    Credentials, port, path, query and fragment are dropped; the name is NFC
    normalised, mapped with UTS 46 (lower case, full-width forms, ...), loses
    its trailing dot and each Unicode label becomes an IDNA 2008 A-label.
    Raises ``ValueError`` with a one-line reason for anything that is not a
    fully-qualified host name: IP addresses, bad characters, empty or
    over-long labels, single-label names, other URL schemes, IDNA errors.
    """
    host = _host_part(unicodedata.normalize("NFC", text.strip()))
    if any(c.isspace() for c in host):
        raise _bad("target.whitespace")
    # Over-long ASCII names are named here: idna's own message for them varies by version.
    if host.isascii():
        for label in host.split("."):
            _check_length(label, label)
        if len(host.removesuffix(".")) > 253:
            raise _bad("target.name_too_long", octets=len(host.removesuffix(".")))
    try:
        host = idna.uts46_remap(host, std3_rules=False)
    except idna.IDNAError as e:
        raise _bad("target.not_a_name", detail=str(e)) from None
    host = host.removesuffix(".")
    if _is_ip(host):
        raise _bad("target.ip_address")
    if not host:
        raise _bad("target.empty")
    if "_" in host:
        raise _bad("target.underscore")
    labels = host.split(".")
    if "" in labels:
        raise _bad("target.empty_label")
    if len(labels) == 1:
        raise _bad("target.single_label")
    if labels[-1].isascii() and labels[-1].isdigit():
        raise _bad("target.numeric_tld", label=labels[-1])
    name = ".".join(_a_label(label) for label in labels)
    if len(name) > 253:
        raise _bad("target.name_too_long", octets=len(name))
    return name


def display_name(host: str) -> str:
    """The Unicode form of a host returned by :func:`normalise_host`, for people."""
    return ".".join(idna.ulabel(label) if label.startswith("xn--") else label for label in host.split("."))


def _host_part(text: str) -> str:
    """The host of a URL or of ``host[:port][/path]`` text."""
    if m := _SCHEME.match(text):
        if m[1].lower() not in ("http", "https"):
            raise _bad("target.scheme", scheme=m[1])
        authority = _END_OF_AUTHORITY.split(text[m.end() :], 1)[0].rpartition("@")[2]  # drop credentials
    else:
        authority = _END_OF_AUTHORITY.split(text, 1)[0]
        if "@" in authority:
            raise _bad("target.email")
    if authority.startswith("["):
        inner = authority[1:].partition("]")[0]
        raise _bad("target.ip_address") if _is_ip(inner) else _bad("target.bad_brackets", text=authority)
    if authority.count(":") > 1:
        raise _bad("target.ip_address") if _is_ip(authority) else _bad("target.colons")
    host, _, port = authority.partition(":")
    if port and not (port.isascii() and port.isdigit() and int(port) <= 65535):
        raise _bad("target.port", port=port)
    return host


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _a_label(label: str) -> str:
    """One label (already UTS 46 mapped) in checked ASCII form."""
    if not label.isascii():
        ascii_label = "xn--" + label.encode("punycode").decode("ascii")
        _check_length(label, ascii_label)
        try:
            return idna.alabel(label).decode("ascii")
        except idna.IDNAError as e:
            raise _bad("target.idna", label=label, detail=str(e)) from None
    if bad := [c for c in label if c not in _LDH]:
        raise _bad("target.character", char=repr(bad[0]))
    if label.startswith("-") or label.endswith("-"):
        raise _bad("target.hyphen", label=_short(label))
    _check_length(label, label)
    if label.startswith("xn--"):
        try:
            idna.ulabel(label)
        except idna.IDNAError as e:
            raise _bad("target.a_label", label=label, detail=str(e)) from None
    return label


def _check_length(label: str, ascii_label: str) -> None:
    if len(ascii_label) > 63:
        raise _bad("target.label_too_long", label=_short(label), octets=len(ascii_label))


def _short(label: str) -> str:
    """A label as an error message shows it: an over-long one is cut (the message says how long it is)."""
    return label if len(label) <= 80 else label[:40] + "…" + label[-10:]


# ---------------------------------------------------------------- reading lists


class _Entry(NamedTuple):
    line: int
    text: str
    org: str | None = None
    kind: str | None = None
    tags: tuple[str, ...] = ()


class TargetReader:
    """The targets of one list, with counts of what was dropped.

    Iterating yields a :class:`Target` for each new host and an
    :class:`~ipv6scan.model.InputError` for each bad entry; later occurrences
    of a host already yielded are skipped and counted in ``duplicates``.
    """

    def __init__(self, source: str | os.PathLike[str] | TextIO, *, name: str | None = None,
                 seen: set[str] | None = None) -> None:
        self.source = source
        self.name = name or _source_name(source)
        self.seen = set() if seen is None else seen  # share one set to merge duplicates across lists
        self.targets = 0
        self.duplicates = 0
        self.errors = 0

    def __iter__(self) -> Iterator[Target | InputError]:
        seen = self.seen
        for entry in self._entries():
            if isinstance(entry, InputError):
                self.errors += 1
                yield entry
                continue
            try:
                host = normalise_host(entry.text)
            except ValueError as e:
                self.errors += 1
                yield self._error(entry.line, entry.text, e.args[0] if isinstance(e, TargetProblem) else str(e))
                continue
            if host in seen:
                self.duplicates += 1
                continue
            seen.add(host)
            self.targets += 1
            yield Target(host=host, display=display_name(host), input=entry.text, line=entry.line,
                         source=self.name, org=entry.org, kind=entry.kind, tags=list(entry.tags))

    def _error(self, line: int | None, text: str, problem: str | Message) -> InputError:
        """An input error; a Message problem is kept as its key and values too, to be said in either language."""
        if isinstance(problem, Message):
            params = {k: _clip(v) if isinstance(v, str) else v for k, v in problem.values.items()}
            return InputError(line=line, text=_clip(_printable(text)), problem=_clip(str(problem)), source=self.name,
                              code=problem.key, params=params)
        return InputError(line=line, text=_clip(_printable(text)), problem=_clip(problem), source=self.name)

    def _entries(self) -> Iterator[_Entry | InputError]:
        try:
            lines = _meaningful(_lines(self.source))
            first = next(lines, None)
        except TargetProblem as e:
            yield self._error(None, self.name, e.args[0])
            return
        except OSError as e:
            yield self._error(None, self.name, Message("target.unreadable", problem=e.strerror or str(e)))
            return
        if first is None:
            return
        lines = itertools.chain([first], lines)
        delimiter = None if isinstance(first[1], _Overlong) else _csv_delimiter(first[1], self.name)
        yield from self._csv_entries(lines, delimiter) if delimiter else self._text_entries(lines)

    def _text_entries(self, lines: Iterable[tuple[int, str]]) -> Iterator[_Entry | InputError]:
        for n, text in lines:
            if isinstance(text, _Overlong):
                yield self._error(n, text.strip(), _too_long())
                continue
            entry = _TRAILING_COMMENT.split(text, 1)[0].strip()
            if problem := _undecodable(entry):
                yield self._error(n, entry, problem)
            else:
                yield _Entry(n, entry)

    def _csv_entries(self, lines: Iterable[tuple[int, str]], delimiter: str) -> Iterator[_Entry | InputError]:
        """One record per physical line: a quoted value never runs on to the next line (an unclosed quote
        would swallow every line after it), and text after a closing quote is an error, not glued on."""
        columns: dict[str, int] | None = None
        for n, text in lines:
            if isinstance(text, _Overlong):
                yield self._error(n, text.strip(), _too_long())
                continue
            try:
                (row,) = csv.reader([text], delimiter=delimiter, strict=True)
            except csv.Error as e:
                yield self._error(n, text.strip(), _csv_problem(str(e), delimiter))
                continue
            except ValueError:  # an empty record: nothing to say
                continue
            if columns is None:
                columns = _columns(row)
                if "host" not in columns:
                    found = ", ".join(repr(c.strip()) for c in row)
                    yield self._error(n, text.strip(), Message("target.no_host_column", found=found,
                                                               expected=", ".join(HOST_COLUMNS)))
                    return
                continue
            cells = {key: row[i].strip() for key, i in columns.items() if i < len(row)}
            host = cells.get("host", "")
            if problem := _undecodable(delimiter.join(row)):
                yield self._error(n, host or text.strip(), problem)
            elif not host:
                yield self._error(n, text.strip(), Message("target.no_host"))
            else:
                tags = tuple(t.strip() for t in _TAG_SEPARATOR.split(cells.get("tags", "")) if t.strip())
                yield _Entry(n, host, cells.get("org") or None, cells.get("kind") or None, tags)


def _too_long() -> Message:
    return Message("target.line_too_long", limit=MAX_LINE)


def _csv_problem(detail: str, delimiter: str) -> Message:
    """The csv module's complaint about one line, in words when it is a common one."""
    if "unexpected end of data" in detail:
        return Message("target.unclosed_quote")
    if "expected after" in detail:
        return Message("target.text_after_quote", delimiter=delimiter)
    return Message("target.csv", detail=detail)


def read_targets(source: str | os.PathLike[str] | TextIO, *, name: str | None = None,
                 seen: set[str] | None = None) -> Iterator[Target | InputError]:
    """Yield the targets of one list (a path, ``"-"`` for stdin, or an open stream), lazily.

    ``name`` is what :attr:`Target.source` and error messages call the list
    (default: the path, the stream's name, or ``"<stdin>"``). The list is CSV
    if its name ends in ``.csv`` or its first line is a header with a host
    column, else plain text. Bad entries become
    :class:`~ipv6scan.model.InputError`; duplicates are dropped silently (use
    :class:`TargetReader` to count them); pass one ``seen`` set to several
    calls to merge duplicates across lists.
    """
    return iter(TargetReader(source, name=name, seen=seen))


def _source_name(source: object) -> str:
    if source == "-" or source is sys.stdin:
        return "<stdin>"
    if isinstance(source, (str, os.PathLike)):
        return os.fsdecode(source)
    return str(getattr(source, "name", None) or "<stdin>")


MAX_LINE = 16 * 1024
"""Characters a list line may hold; a longer line is an error of its own (its start echoed), read in bounded memory."""
_READ = 64 * 1024
_LINE_END = re.compile(r"\r\n|\r|\n")  # universal newlines: LF, CRLF and CR-only files alike
_ENTRY_SEPARATOR = re.compile("[\u2028\u2029\x85]")  # Unicode line/paragraph separators, NEL: entries apart
_BOMS = ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"), (b"\xff\xfe", "utf-16"),
         (b"\xfe\xff", "utf-16"), (b"\xef\xbb\xbf", "utf-8-sig"))


class _Overlong(str):
    """The start of a line longer than ``MAX_LINE``: the rest was read and dropped."""


def list_file_problem(path: str | os.PathLike[str]) -> Message | None:
    """Why ``path`` cannot be read as a target list before trying (missing, a directory, a device), or None.

    A FIFO or a process substitution (``<(…)``) is a list like any other; a
    device such as ``/dev/zero`` is not, and would never end.
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return Message("target.no_such_file")
    except OSError as e:
        return Message("target.unreadable", problem=e.strerror or str(e))
    if stat.S_ISDIR(mode):
        return Message("target.directory")
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return Message("target.device")
    return None


def _lines(source: str | os.PathLike[str] | TextIO) -> Iterator[tuple[int, str]]:
    """(line number, text without line ending) for each line; BOM removed.

    Files and stdin are read as bytes in bounded chunks and decoded as UTF-8
    (UTF-16/32 when the file starts with their byte order mark, or UTF-16
    when its first characters are ASCII with NUL bytes between), undecodable
    bytes kept as surrogate escapes so that one bad line is reported by the
    caller instead of ending the read. Lines end at LF, CRLF or CR; U+2028,
    U+2029 and NEL separate entries of one line (same line number). A line
    longer than ``MAX_LINE`` comes as an :class:`_Overlong` holding its start.
    """
    if source == "-" or source is sys.stdin:
        source = getattr(sys.stdin, "buffer", sys.stdin)
    if isinstance(source, (str, os.PathLike)):
        if problem := list_file_problem(source):
            raise TargetProblem(problem)
        with open(source, "rb") as f:
            yield from _lines(f)
        return
    for n, line in _split(_decoded(source)):
        if n == 1 and line.startswith("\ufeff"):  # a text stream keeps its byte order mark
            line = type(line)(line[1:])
        if isinstance(line, _Overlong):
            yield n, line
            continue
        for entry in _ENTRY_SEPARATOR.split(line):
            yield n, entry


def _decoded(stream: object) -> Iterator[str]:
    """The text of a stream (or of any iterable of str or bytes pieces) in pieces, decoded as it comes."""
    read = getattr(stream, "read1", None) or getattr(stream, "read", None)
    pieces: Iterator[str | bytes] = iter(lambda: read(_READ), None) if read else iter(stream)  # type: ignore[arg-type]
    first = b""
    for piece in pieces:
        if not piece:
            break  # end of stream (b"" or "")
        if isinstance(piece, str):
            yield piece
            continue
        first += piece
        if len(first) >= 4:
            break
    if not first:
        return
    encoding = _encoding(first)
    # UTF-8: a byte that is not UTF-8 is kept (escaped) so that its line can name it. UTF-16/32: a code unit
    # that does not decode (a lone surrogate, a last character cut short) cannot be escaped byte by byte
    # (surrogateescape takes only bytes >= 0x80): it becomes U+FFFD, and its line an invalid name.
    decoder = codecs.getincrementaldecoder(encoding)("surrogateescape" if encoding.startswith("utf-8") else "replace")
    for piece in itertools.chain([first], pieces):
        if not piece:
            break
        if text := decoder.decode(piece):
            yield text
    if text := decoder.decode(b"", final=True):
        yield text


def _encoding(start: bytes) -> str:
    for bom, encoding in _BOMS:
        if start.startswith(bom):
            return encoding
    if len(start) >= 4 and start[1] == start[3] == 0 and start[0] and start[2]:
        return "utf-16-le"  # ASCII text saved as UTF-16 without a byte order mark (Windows "Unicode")
    if len(start) >= 4 and start[0] == start[2] == 0 and start[1] and start[3]:
        return "utf-16-be"
    return "utf-8"


def _split(chunks: Iterable[str]) -> Iterator[tuple[int, str]]:
    """Number the lines of text given in chunks; memory bounded by ``MAX_LINE`` plus one chunk."""
    n, pending, overlong = 0, "", None
    for chunk in chunks:
        pending += chunk
        start = 0
        for m in _LINE_END.finditer(pending):
            if m.end() == len(pending) and m[0] == "\r":
                break  # the chunk may have cut a CRLF in two: wait for the next one
            n += 1
            yield n, overlong if overlong is not None else pending[start : m.start()]
            overlong, start = None, m.end()
        pending = pending[start:]
        if len(pending) > MAX_LINE:
            if overlong is None:
                overlong = _Overlong(pending[:60] + "…")
            pending = pending[-1:] if pending.endswith("\r") else ""
    if overlong is not None or pending:
        yield n + 1, overlong if overlong is not None else pending.removesuffix("\r")


def _meaningful(lines: Iterable[tuple[int, str]]) -> Iterator[tuple[int, str]]:
    """Drop blank lines and whole-line ``#`` comments."""
    for n, text in lines:
        stripped = text.strip()
        if stripped and not stripped.startswith("#"):
            yield n, text


def _csv_delimiter(first_line: str, name: str) -> str | None:
    """The CSV delimiter if the list is CSV, else None (plain text).

    A list is CSV if its first line is a header with a host column (see
    ``HOST_COLUMNS``) separated by ``,`` (or ``;``, as spreadsheets in
    Vietnamese locales write), or if its name ends in ``.csv``.
    """
    for delimiter in ",;":
        if delimiter in first_line:
            try:
                header = next(csv.reader([first_line], delimiter=delimiter))
            except csv.Error:
                continue
            if "host" in _columns(header):
                return delimiter
    return "," if name.lower().endswith(".csv") else None


def _columns(header: list[str]) -> dict[str, int]:
    """Map ``host``, ``org``, ``kind``, ``tags`` to their index in a CSV header."""
    names = [c.strip().lower() for c in header]
    columns = {}
    for key, aliases in (("host", HOST_COLUMNS), ("org", ORG_COLUMNS), ("kind", ("kind",)), ("tags", ("tags",))):
        if found := [names.index(a) for a in aliases if a in names]:
            columns[key] = found[0]
    return columns


def _undecodable(text: str) -> Message | None:
    """Why text read from the list cannot be used as is (bytes that are not UTF-8), or None."""
    if "\x00" in text:
        return Message("target.nul")
    if m := _SURROGATE.search(text):
        c = ord(m[0])
        return Message("target.utf8", byte=f"0x{c - 0xDC00:02x}") if 0xDC80 <= c <= 0xDCFF else Message("target.surrogate")
    return None


def _clip(text: str) -> str:
    """At most ``_ECHO_MAX`` characters of what an input error echoes: a 1 MB line is not repeated whole."""
    return text if len(text) <= _ECHO_MAX else text[: _ECHO_MAX - 1] + "…"


def _printable(text: str) -> str:
    """Text safe to write as JSON: undecodable bytes shown as ``\\xNN``."""
    def escape(m: re.Match[str]) -> str:
        c = ord(m[0])
        return f"\\x{c - 0xDC00:02x}" if 0xDC80 <= c <= 0xDCFF else f"\\u{c:04x}"

    return _SURROGATE.sub(escape, text)
