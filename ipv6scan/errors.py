"""The library's one exception root.

Everything ipv6scan raises on purpose is an :class:`Ipv6scanError` (a caller can catch
that one class): a policy or audit config that is not valid, a history database that
cannot be used, a scan that cannot run, a catalogue entry that is missing, a worker
that died, an event loop that is not installed, a scan file line that cannot be read.
Each keeps the built-in base it had (``ValueError``, ``RuntimeError``, ...), so older
``except ValueError`` code still works.

Network trouble is never raised: a probe ends in a ``model.Outcome``. (``net.Unroutable``
is an ``OSError`` on purpose: the probes map it to ``unreachable`` like any other.)
"""

from __future__ import annotations


class Ipv6scanError(Exception):
    """The root of every exception ipv6scan raises on purpose.

    Its first argument is the message: a plain string, or a ``catalogue.Message``
    (a UI key and its values), which :meth:`text` renders in either language and
    ``str()`` renders in English.
    """

    def text(self, lang: str) -> str:
        """The message in ``lang`` (a plain-string message is shown as it is)."""
        first = self.args[0] if self.args else ""
        return first.text(lang) if hasattr(first, "text") else str(self)


class UsageProblem(Ipv6scanError, ValueError):
    """What the user asked for cannot be done as asked (the CLI exits 2)."""


class CannotRun(Ipv6scanError):
    """The scan cannot run: output not writable, history not usable, ... (the CLI exits 3)."""
