"""targets discover: the government sites the scanned portals link to that the list does not hold."""

from __future__ import annotations

import io

import msgspec

from ipv6scan.checks import judge
from ipv6scan.discover import discover, discovered_csv
from ipv6scan.model import HostRecord, Outcome

from .conftest import run_cli
from .test_checks import page, site
from .test_links import link


def record(host: str, org: str | None, links):
    facts = site(page_facts=page(links=links) if links is not None else None)
    facts = msgspec.structs.replace(facts, host=host, display=host, input=host, org=org)
    if links is None:
        facts.page = page()
        facts.page.links = None  # (read, but not for its links)
    return HostRecord(facts=facts, result=judge(facts))


def test_linked_sites_not_scanned_most_linked_first_with_who_links_them_and_a_guessed_unit():
    records = [
        record("danang.gov.vn", "Đà Nẵng", [link("dichvucong.danang.gov.vn"),  # scanned below: not a candidate
                                            link("sotttt.danang.gov.vn", text="Sở TT&TT"),
                                            link("chinhphu.gov.vn", text="Chính phủ"),
                                            link("www.quangnam.gov.vn")]),  # quangnam.gov.vn is scanned: same site
        record("dichvucong.danang.gov.vn", "Đà Nẵng", [link("chinhphu.gov.vn", Outcome.TIMEOUT, "Cổng Chính phủ"),
                                                       link("motcua.danang.gov.vn", Outcome.DNS_NODATA)]),
        record("quangnam.gov.vn", "Quảng Nam", None),  # its page was not read for links
    ]
    found, pages = discover(records)
    assert pages == 2
    assert [(d.host, d.org, d.text, d.ipv6, d.linked_from) for d in found] == [
        ("chinhphu.gov.vn", None, "Chính phủ", "ok", ["danang.gov.vn", "dichvucong.danang.gov.vn"]),
        # under the linking portal's site: its unit, a guess (a site of another agency is left blank)
        ("motcua.danang.gov.vn", "Đà Nẵng", None, "no_aaaa", ["dichvucong.danang.gov.vn"]),
        ("sotttt.danang.gov.vn", "Đà Nẵng", "Sở TT&TT", "ok", ["danang.gov.vn"]),
    ]


def test_the_list_written_is_a_target_list_ipv6scan_reads():
    from ipv6scan.targets import read_targets

    found, _ = discover([record("danang.gov.vn", "Đà Nẵng", [link("sotttt.danang.gov.vn", text="Sở TT&TT, Đà Nẵng"),
                                                             link("chinhphu.gov.vn")])])
    text = discovered_csv(found)
    assert text.splitlines()[0] == "host,org,kind,tags,linked_from,link_text,ipv6"
    assert text.splitlines()[2] == 'sotttt.danang.gov.vn,Đà Nẵng,,discovered;guess,danang.gov.vn,"Sở TT&TT, Đà Nẵng",ok'
    targets = [t for t in read_targets(io.StringIO(text), name="discovered.csv") if hasattr(t, "host")]
    assert [(t.host, t.org, t.tags) for t in targets] == [
        ("chinhphu.gov.vn", None, ["discovered"]), ("sotttt.danang.gov.vn", "Đà Nẵng", ["discovered", "guess"])]


def test_discover_from_a_lab_scan_on_the_command_line(lab, tmp_path):
    scan = tmp_path / "scan.jsonl"
    proc = run_cli("scan", "-", *lab.cli_args(tmp_path), "--links", "all", "--no-zone", "--no-save", "--no-db",
                   "-f", "jsonl", "-o", str(scan), stdin="dual.gov.example\nwww.gov.example\n")
    assert proc.returncode == 0, proc.stderr
    proc = run_cli("targets", "discover", str(scan), env={"IPV6SCAN_LANG": "vi"})
    assert proc.returncode == 0, proc.stderr
    rows = [line.split(",") for line in proc.stdout.splitlines()[1:]]
    assert [(r[0], r[3], r[4], r[6]) for r in rows] == [
        ("timeout6.gov.example", "discovered", "dual.gov.example", "broken"),
        ("v4only.gov.example", "discovered", "dual.gov.example", "no_aaaa")]  # (www.gov.example was scanned)
    assert "2 trang web nhà nước được 2 trang đã quét liên kết tới nhưng chưa có trong danh sách" in proc.stderr
    out = tmp_path / "new.csv"
    assert run_cli("targets", "discover", str(scan), "-o", str(out)).returncode == 0
    assert out.read_text(encoding="utf-8") == proc.stdout
    # a scan whose pages were not read for their links says so; a missing file is a usage error
    plain = tmp_path / "plain.jsonl"
    assert run_cli("scan", "-", *lab.cli_args(tmp_path), "--no-zone", "--no-save", "--no-db", "-f", "jsonl", "-o",
                   str(plain), stdin="dual.gov.example\n").returncode == 0
    proc = run_cli("targets", "discover", str(plain), env={"IPV6SCAN_LANG": "vi"})
    assert proc.returncode == 3 and "không trang nào của lần quét này được đọc để tìm liên kết" in proc.stderr
    assert run_cli("targets", "discover", str(tmp_path / "none.jsonl")).returncode == 2


def test_the_owners_domain_is_one_label_below_the_link_domain():
    from ipv6scan.discover import owner_domain

    assert owner_domain("dichvucong.danang.gov.vn", ("gov.vn",)) == "danang.gov.vn"
    assert owner_domain("danang.gov.vn", ("gov.vn",)) == "danang.gov.vn"
    assert owner_domain("www.portal.example.org", ("gov.vn",)) == "portal.example.org"  # (its site)
    assert owner_domain("a.b.gov.example", ("gov.vn", "gov.example")) == "b.gov.example"
