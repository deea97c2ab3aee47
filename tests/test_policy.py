"""Policies as data: the shipped policy, validation errors that name the key, user policies."""

from __future__ import annotations

import re
from datetime import date
from importlib import resources
from pathlib import Path

import pytest

from ipv6scan.kinds import KINDS
from ipv6scan.policy import PolicyError, Title, load_policy, shipped_policies
from ipv6scan.scores import State
from ipv6scan.scoring import score

from .test_scoring import NOW, check, org_of, record, total_of, unit

GOV = load_policy()

VALID = """
id = "mine"
version = "1"
title = { vi = "Quy định của tôi", en = "My rule" }

[[criteria]]
id = "ready"
title = { vi = "Sẵn sàng IPv6", en = "Ready over IPv6" }
source = "Internal rule 1"
kinds = ["portal"]
verdicts = ["ready"]

[[phases]]
id = "p1"
title = { vi = "Giai đoạn 1", en = "Phase 1" }
source = "Internal rule 2"
start = 2024-01-01
end = 2024-12-31
org_share = 0.5

[[phases.requirements]]
kinds = ["portal"]
criteria = ["ready"]
"""


def write(tmp_path: Path, text: str, name: str = "mine.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------- the shipped policy


def test_shipped_policy_loads_by_default_and_by_name():
    assert load_policy() == load_policy("ipv6-for-gov") == GOV
    assert GOV.id == "ipv6-for-gov"
    assert [p.id for p in GOV.phases] == ["phase1", "phase2", "ipv6only-2030", "circular32", "decree224", "web-security",
                                           "portal-info", "ipv6only-links"]
    assert "ipv6-for-gov" in shipped_policies() and "strict-example" in shipped_policies()
    assert resources.files("ipv6scan.policy").joinpath("ipv6-for-gov.toml").is_file()


def test_every_criterion_and_phase_cites_a_source_and_has_both_titles():
    for item in [*GOV.criteria, *GOV.phases, GOV]:
        assert item.title.vi.strip() and item.title.en.strip()
        assert not item.title.vi.isascii(), f"{item.id}: Vietnamese title without diacritics"
    for item in [*GOV.criteria, *GOV.phases]:
        assert item.source.en.strip() and item.source.vi.strip(), item.id
    # sources and notes are in both languages, so a Vietnamese report quotes no English
    for item in [*GOV.criteria, *GOV.phases, GOV]:
        for words in (getattr(item, "source", None), item.note):
            if words is not None:
                assert isinstance(words, Title) and words.vi != words.en and not words.vi.isascii(), item.id


def test_an_unknown_check_id_is_an_error_naming_file_line_and_known_ids(tmp_path):
    text = VALID.replace('verdicts = ["ready"]', 'verdicts = ["ready"]\nchecks_pass = ["ns.ipv6", "tls.hstss"]')
    path = write(tmp_path, text)
    with pytest.raises(PolicyError) as e:
        load_policy(path)
    message = str(e.value)
    line = next(n for n, t in enumerate(text.splitlines(), 1) if "tls.hstss" in t)
    assert message.startswith(f"{path}:{line}: criteria[0].checks_pass")
    assert 'unknown check "tls.hstss"' in message and "dns.resolve" in message and "zone.dnssec" in message


def test_an_unknown_criterion_names_its_line(tmp_path):
    text = VALID.replace('criteria = ["ready"]', 'criteria = ["redy"]')
    path = write(tmp_path, text)
    with pytest.raises(PolicyError, match=rf'{re.escape(str(path))}:\d+: phases\[0\]\.requirements\[0\]\.criteria'):
        load_policy(path)


def test_a_plain_text_source_is_shown_as_written_in_both_languages(tmp_path):
    policy = load_policy(write(tmp_path, VALID))
    assert policy.criteria[0].source == "Internal rule 1"


def test_shipped_targets_follow_the_programme():
    phases = {p.id: p for p in GOV.phases}
    p1, p2, only, c32 = phases["phase1"], phases["phase2"], phases["ipv6only-2030"], phases["circular32"]
    assert (p1.start, p1.end, p1.org_share) == (date(2021, 1, 1), date(2022, 12, 31), 0.5)
    assert (p2.start, p2.end, p2.org_share) == (date(2023, 1, 1), date(2025, 12, 31), 1.0)
    assert "Decision 38/QĐ-BTTTT" in p1.source.en and "Decision 38/QĐ-BTTTT" in p2.source.en
    assert p1.requirements[0].kinds == ["portal", "dichvucong"] and p1.requirements[0].required
    assert {k for r in p2.requirements for k in r.kinds} == set(KINDS) - {"other"}
    assert "3369/QĐ-BKHCN" in only.source.en and "unconfirmed" in only.note.en and not only.binding
    assert "Circular 32/2017/TT-BTTTT art. 15(4)" in c32.source.en and "khoản 4 Điều 15" in c32.source.vi and c32.standalone and c32.end is None
    assert GOV.criterion("dnssec_signed").checks_pass == ["zone.dnssec"]
    assert GOV.criterion("mail_ipv6").checks_pass == ["mx.ipv6"] and GOV.criterion("mail_ipv6").kinds == ["mail"]


def test_strict_example_loads_by_name():
    assert load_policy("strict-example").id == "strict-example"


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('kinds = ["portal"]\nverdicts', 'kinds = ["portl"]\nverdicts',
         'criteria[0].kinds (criterion "ready"): unknown kind "portl"'),
        ('criteria = ["ready"]', 'criteria = ["ready", "nope"]',
         'phases[0].requirements[0].criteria (phase "p1"): unknown criterion "nope"'),
        ("org_share = 0.5", "org_share = 1.5", 'phases[0].org_share (phase "p1"): Expected `float` <= 1.0'),
        ("org_share = 0.5", "org_share = -0.1", "phases[0].org_share"),
        ("end = 2024-12-31", "end = 2023-12-31", 'phases[0].end (phase "p1"): 2023-12-31 is before start 2024-01-01'),
        ('title = { vi = "Giai đoạn 1", en = "Phase 1" }', 'title = { en = "Phase 1" }',
         'phases[0].title (phase "p1"): Object missing required field `vi`'),
        ('title = { vi = "Giai đoạn 1", en = "Phase 1" }', 'title = { vi = "", en = "Phase 1" }',
         "phases[0].title.vi"),
        ('source = "Internal rule 1"', 'source = "Internal rule 1"\ncolour = "red"',
         'criteria[0] (criterion "ready"): Object contains unknown field `colour`'),
        ('version = "1"', 'version = "1"\ncolour = "red"', "top level: Object contains unknown field `colour`"),
        ('verdicts = ["ready"]', 'verdicts = ["redy"]',
         "criteria[0].verdicts[0] (criterion \"ready\"): Invalid enum value 'redy'"),
        ('verdicts = ["ready"]', "", 'criteria[0] (criterion "ready"): needs a condition'),
        ('verdicts = ["ready"]', 'checks_pass = ["mx ipv6"]', "criteria[0].checks_pass[0]"),
        ('criteria = ["ready"]', 'criteria = ["ready"]\nscope = "most"', "phases[0].requirements[0].scope"),
        ('criteria = ["ready"]', 'criteria = ["ready"]\nrequired = "yes"', "phases[0].requirements[0].required"),
        ('kinds = ["portal"]\ncriteria', 'kinds = ["portal", "mail"]\ncriteria',
         'phases[0].requirements[0] (phase "p1"): criterion "ready" does not apply to kind "mail"'),
        ("start = 2024-01-01", 'start = "soon"', "phases[0].start"),
        ('id = "p1"', 'id = "Phase One"', "phases[0].id"),
        ('version = "1"', "version = 1", "version: Expected `str`, got `int`"),
        ("[[criteria]]", "[[criteria]\n", "not valid TOML"),
    ],
)
def test_validation_errors_name_the_file_and_key(tmp_path, old, new, expected):
    assert old in VALID
    path = write(tmp_path, VALID.replace(old, new, 1))
    with pytest.raises(PolicyError) as error:
        load_policy(path)
    # the file, then the line where the table's id stands when the problem is in a table
    assert re.match(rf"{re.escape(str(path))}(:\d+)?: ", str(error.value))
    assert expected in str(error.value)


def test_duplicate_ids_and_every_problem_are_reported(tmp_path):
    criterion = VALID[VALID.index("[[criteria]]"):VALID.index("[[phases]]")]
    duplicated = VALID.replace("[[phases]]", criterion + "[[phases]]")
    text = duplicated.replace("end = 2024-12-31", "end = 2020-01-01")
    with pytest.raises(PolicyError) as error:
        load_policy(write(tmp_path, text))
    lines = str(error.value).splitlines()
    assert len(lines) == 2
    assert 'criteria: id "ready" is used twice' in lines[0] and "before start" in lines[1]


def test_missing_policy_file_lists_the_shipped_ones(tmp_path):
    with pytest.raises(PolicyError, match=r"no such policy file \(shipped policies: ipv6-for-gov, strict-example\)"):
        load_policy(tmp_path / "nowhere.toml")
    with pytest.raises(PolicyError, match="no such policy file"):
        load_policy("ipv6-for-mars")


def test_the_valid_example_loads(tmp_path):
    policy = load_policy(str(write(tmp_path, VALID)))
    requirement = policy.phases[0].requirements[0]
    assert (policy.id, requirement.scope, requirement.required) == ("mine", "all", True)


# ---------------------------------------------------------------- a user's own policy


STRICTER = """
id = "stricter-internal"
version = "2026.1"
title = { vi = "Quy định nội bộ chặt hơn", en = "Stricter internal rule" }

[[criteria]]
id = "ready_same_site"
title.vi = "Sẵn sàng IPv6 và cùng nội dung với IPv4"
title.en = "Ready over IPv6 with the same site as over IPv4"
source = "Internal rule 7, art. 2"
kinds = ["portal", "dichvucong", "motcua", "website", "data_portal", "document_management"]
verdicts = ["ready"]
checks_pass = ["parity.https"]

[[criteria]]
id = "mail"
title = { vi = "Thư điện tử qua IPv6", en = "Mail over IPv6" }
source = "Internal rule 7, art. 3"
kinds = ["mail"]
checks_pass = ["mx.ipv6"]

[[phases]]
id = "all-systems"
title = { vi = "Mọi hệ thống", en = "Every system" }
source = "Internal rule 7"
start = 2026-01-01
org_share = 1.0

[[phases.requirements]]
kinds = ["portal", "dichvucong", "motcua", "website", "data_portal", "document_management"]
criteria = ["ready_same_site"]
required = false

[[phases.requirements]]
kinds = ["portal", "dichvucong"]
criteria = ["ready_same_site"]

[[phases.requirements]]
kinds = ["mail"]
criteria = ["mail"]
"""


def test_a_user_policy_changes_the_result_of_the_same_records(tmp_path):
    policy = load_policy(write(tmp_path, STRICTER, "stricter.toml"))
    records = [
        *unit("hanoi"),
        *unit("hue"),
        record("dichvucong.haiphong.gov.vn", "ready", check("parity.https", "fail", "parity_status_differs")),
        record("haiphong.gov.vn"),
        record("mail.haiphong.gov.vn"),
    ]
    # parity_status_differs makes the verdict partial in a real scan; here the verdict stays ready
    # to show the user criterion reads the check itself.
    gov = score(records, GOV, now=NOW)
    mine = score(records, policy, now=NOW)
    assert total_of(gov, "phase2").orgs_attained == 3
    assert total_of(mine, "all-systems").orgs_attained == 2
    assert org_of(mine, "haiphong.gov.vn").todo == ["dichvucong.haiphong.gov.vn: parity_status_differs"]
    assert mine.policy == "stricter-internal" and mine.policy_version == "2026.1"
    assert {h.state for h in mine.hosts if h.kind == "portal"} == {State.PASS}


def test_the_examples_in_the_documentation_load(tmp_path):
    text = (Path(__file__).resolve().parent.parent / "docs" / "policy.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```toml\n(.*?)```", text, flags=re.S)
    assert len(blocks) == 2
    for n, block in enumerate(blocks):
        assert load_policy(write(tmp_path, block, f"example{n}.toml")).phases
