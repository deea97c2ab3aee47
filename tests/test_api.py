"""The public API (``import ipv6scan``): scan a list, judge, score, load a policy — against the lab."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import pytest

import ipv6scan
from ipv6scan.testnet.lab import SCENARIOS


def test_import_is_cheap_and_lazy() -> None:
    """``import ipv6scan`` loads none of the scanner; a public name loads its module on first use."""
    code = ("import sys, ipv6scan; heavy = [m for m in ('ipv6scan.scan', 'ipv6scan.pipeline', 'httpx', 'dns.resolver')"
            " if m in sys.modules]; print(heavy); ipv6scan.judge; print('ipv6scan.checks' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[0] == "[]"
    assert out[1] == "True"


def test_every_exported_name_resolves() -> None:
    # a submodule of the same name would replace the export once something imports it
    submodules = {info.name for info in pkgutil.iter_modules(ipv6scan.__path__)}
    assert not submodules & set(ipv6scan.__all__)
    for name in ipv6scan.__all__:
        assert getattr(ipv6scan, name) is not None, name
    assert sorted(dir(ipv6scan)) == sorted(ipv6scan.__all__)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        ipv6scan.nope  # noqa: B018


def test_scan_judge_score_through_the_public_api(lab) -> None:
    wanted = {s.host: s for s in SCENARIOS if s.host in {"dual.gov.example", "v4only.gov.example",
                                                         "nx.gov.example", "refuse6.gov.example"}}
    records = ipv6scan.scan_hosts(list(wanted), lab.options(), network=lab.network, loop="asyncio")

    assert sorted(r.facts.host for r in records) == sorted(wanted)
    for record in records:
        assert record.result.verdict == wanted[record.facts.host].verdict, record.facts.host
        # judging is pure: the saved facts give the same result again, with no network
        assert ipv6scan.judge(record.facts).verdict == record.result.verdict

    report = ipv6scan.score(records, ipv6scan.load_policy(), lang="vi")
    assert report.hosts and {h.host for h in report.hosts} == set(wanted)


def test_bad_entries_are_named_before_anything_is_scanned() -> None:
    with pytest.raises(ipv6scan.Ipv6scanError, match="a b.gov.vn"):
        ipv6scan.scan_hosts(["ok.gov.vn", "a b.gov.vn"])
    with pytest.raises(ValueError, match="line break"):
        ipv6scan.scan_hosts(["ok.gov.vn\nevil.example"])


async def test_scan_inside_an_event_loop_says_what_to_use() -> None:
    with pytest.raises(ipv6scan.Ipv6scanError, match="await ipv6scan.scan_all"):
        ipv6scan.scan_hosts(["ok.gov.vn"])
