"""ipv6scan: IPv6 readiness and "IPv6 For Gov" compliance scanner.

The public API is what this module exports; everything else may change between versions::

    import ipv6scan

    records = ipv6scan.scan_hosts(["tinh-a.gov.vn", "dichvucong.tinh-a.gov.vn"])   # small lists, blocking
    for record in records:
        print(record.facts.host, record.result.verdict, record.result.reasons)

    report = ipv6scan.score(records, ipv6scan.load_policy())               # the programme's phases
    again = ipv6scan.judge(records[0].facts)                               # checks are pure: facts in

For long lists use :func:`scan_all` (async, lazy, results streamed to a sink as hosts finish)
with :func:`read_targets`; a saved scan is read back with :func:`read_scan`. Every error the
library raises on purpose is an :class:`Ipv6scanError`.

The names are imported on first use, so ``import ipv6scan`` (and ``ipv6scan --help``) stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__

# public name -> the module that defines it
_EXPORTS: dict[str, str] = {
    # scanning
    "scan_hosts": "ipv6scan.api",
    "scan_all": "ipv6scan.pipeline",
    "read_targets": "ipv6scan.targets",
    "Target": "ipv6scan.targets",
    "ScanOptions": "ipv6scan.config",
    "Ipv6Mode": "ipv6scan.config",
    "Network": "ipv6scan.net",
    # judging and scoring (no network)
    "judge": "ipv6scan.checks",
    "CHECKS": "ipv6scan.checks",
    "load_policy": "ipv6scan.policy",
    "Policy": "ipv6scan.policy",
    "score": "ipv6scan.scoring",
    # saved scans
    "read_scan": "ipv6scan.scanfile",
    "JsonlSink": "ipv6scan.scanfile",
    # the facts and results
    "HostRecord": "ipv6scan.model",
    "HostFacts": "ipv6scan.model",
    "HostResult": "ipv6scan.model",
    "CheckResult": "ipv6scan.model",
    "Verdict": "ipv6scan.model",
    "Outcome": "ipv6scan.model",
    "InputError": "ipv6scan.model",
    "ScanSummary": "ipv6scan.model",
    # errors
    "Ipv6scanError": "ipv6scan.errors",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'ipv6scan' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # the next lookup is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:  # for type checkers and editors; at run time the names load lazily
    from .api import scan_hosts
    from .checks import CHECKS, judge
    from .config import Ipv6Mode, ScanOptions
    from .errors import Ipv6scanError
    from .model import (CheckResult, HostFacts, HostRecord, HostResult, InputError, Outcome, ScanSummary,
                        Verdict)
    from .net import Network
    from .pipeline import scan_all
    from .policy import Policy, load_policy
    from .scanfile import JsonlSink, read_scan
    from .scoring import score
    from .targets import Target, read_targets
