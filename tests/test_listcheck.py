"""`ipv6scan targets check`: validates lists without scanning, naming each problem's line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import REPO, run_cli

SHIPPED = sorted((REPO / "targets").glob("*.csv"))


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_shipped_lists_validate(path: Path):
    proc = run_cli("targets", "check", str(path), "--format", "json")
    assert proc.returncode == 0, proc.stdout
    (report,) = json.loads(proc.stdout)
    assert report["errors"] == 0 and report["targets"] > 0


def test_problems_are_named_with_their_line(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "host,org,kind\ndanang.gov.vn,Đà Nẵng,portal\n1.2.3.4,X,portal\nfoo.gov.vn,,webbsite\nbar_x.gov.vn,Y,\n",
        encoding="utf-8",
    )
    proc = run_cli("targets", "check", str(bad), "--format", "json")
    assert proc.returncode == 1
    (report,) = json.loads(proc.stdout)
    errors = {p["line"]: p["problem"] for p in report["problems"] if p["severity"] == "error"}
    assert set(errors) == {3, 4, 5}
    assert "IP address" in errors[3] and "unknown kind 'webbsite'" in errors[4] and "underscore" in errors[5]
    warnings = [p["problem"] for p in report["problems"] if p["severity"] == "warning"]
    assert any("no organisation" in w for w in warnings)

    table = run_cli("targets", "check", str(bad))
    assert table.returncode == 1
    assert f"{bad}:4" in table.stdout.replace("\n", "") and "Traceback" not in table.stderr


def test_missing_file_is_a_usage_error(tmp_path):
    proc = run_cli("targets", "check", str(tmp_path / "nope.csv"))
    assert proc.returncode == 2 and "no such file" in proc.stderr


def test_a_list_with_more_problems_than_are_listed_says_how_many_more(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("".join(f"192.0.2.{i % 250}\n" for i in range(1203)), encoding="utf-8")
    proc = run_cli("targets", "check", str(bad))
    assert proc.returncode == 1
    assert proc.stdout.count("is an IP address") == 1000
    assert "… and 203 more problems not listed" in proc.stdout
    vi = run_cli("targets", "check", str(bad), "--lang", "vi")
    assert "… và 203 vấn đề khác không liệt kê" in vi.stdout
