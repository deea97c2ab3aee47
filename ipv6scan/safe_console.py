"""The one terminal sanitiser: what a list, a server or a database says reaches a terminal as visible text.

Organisation names, host names, page titles, reason params, paths and problems come from
outside; printed raw, their control characters would act on the terminal (set the window
title, write the clipboard, clear the screen, draw OSC 8 links) and bidi controls would
reorder what is shown. :class:`SafeConsole` is the ``rich`` console every command prints
through: each text segment is sanitised as it is rendered, after markup and layout, so
the styles ipv6scan adds still work and no caller has to remember.

Each dangerous character becomes one visible character (the width of the text is kept):
C0 controls but newline and tab as their Unicode control pictures (ESC → ␛), DEL as ␡,
C1 controls, bidi embeddings/overrides/isolates/marks and line/paragraph separators as �.
"""

from __future__ import annotations

import errno
from collections.abc import Iterable

from rich.console import Console, ConsoleOptions, RenderableType
from rich.segment import Segment

_MAP: dict[int, str] = {c: chr(0x2400 + c) for c in range(0x20) if c not in (0x09, 0x0A)}
_MAP[0x7F] = "\u2421"
_MAP.update({c: "\ufffd" for c in range(0x80, 0xA0)})
_MAP.update({c: "\ufffd" for c in (0x061C, 0x200E, 0x200F, 0x2028, 0x2029, *range(0x202A, 0x202F),
                                      *range(0x2066, 0x206A))})


def for_terminal(text: str) -> str:
    """``text`` with every control, bidi and separator character made visible (one character each)."""
    return text.translate(_MAP)


class SafeConsole(Console):
    """A rich Console whose text segments are sanitised with :func:`for_terminal` (control segments, the
    escape codes rich itself writes for styles and cursor moves, are left alone)."""

    def render(self, renderable: RenderableType, options: ConsoleOptions | None = None) -> Iterable[Segment]:
        for segment in super().render(renderable, options):
            if segment.control or segment.text.isprintable():
                yield segment
            else:
                yield Segment(for_terminal(segment.text), segment.style, segment.control)

    def on_broken_pipe(self) -> None:
        """The reader went away (``… | head``): stdout to /dev/null as rich does, then a BrokenPipeError for the
        caller to decide (a scan goes on saving; rich's own answer would be to exit 1 on the spot)."""
        self.quiet = True
        try:
            super().on_broken_pipe()
        except SystemExit:
            pass
        raise BrokenPipeError(errno.EPIPE, "the reader of this output went away")
