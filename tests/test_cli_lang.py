"""The command line speaks Vietnamese or English: --lang, else IPV6SCAN_LANG, else the locale, else Vietnamese."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from ipv6scan.catalogue import Message, lang_from_env, say_ui, ui
from ipv6scan.targets import TargetProblem, normalise_host

from tests.conftest import REPO, run_cli

# English words a Vietnamese line must not hold (host names, paths and protocol names are taken out first).
ENGLISH = re.compile(r"\b(the|and|over|was|is|not|has|on|failed|hosts|saved|wrote|error|warning|scan|of|in|no|yet|"
                     r"ready|partial|broken|organisations|report)\b", re.IGNORECASE)
DATA = re.compile(r"\S*(/|\.example|\.jsonl|\.html|\.md|\.csv|\.json)\S*")


def english_in(text: str) -> list[str]:
    return [line for line in text.splitlines() if ENGLISH.search(DATA.sub(" ", line))]


@pytest.mark.parametrize("env, lang", [
    ({}, "vi"),
    ({"LANG": "C.UTF-8"}, "vi"),
    ({"LANG": "en_GB.UTF-8"}, "en"),
    ({"LANG": "vi_VN.UTF-8"}, "vi"),
    ({"LANG": "fr_FR.UTF-8"}, "vi"),
    ({"LANG": "vi_VN.UTF-8", "LC_ALL": "en_US.UTF-8"}, "en"),
    ({"LANG": "en_US.UTF-8", "LC_MESSAGES": "vi_VN"}, "vi"),
    ({"LANGUAGE": "en:vi", "LANG": "vi_VN.UTF-8"}, "en"),
    ({"LANGUAGE": "", "LANG": "en_US"}, "en"),
    ({"IPV6SCAN_LANG": "vi", "LC_ALL": "en_US.UTF-8"}, "vi"),
    ({"IPV6SCAN_LANG": "en", "LANG": "vi_VN"}, "en"),
])
def test_the_language_follows_the_environment_the_way_gettext_reads_it(env, lang):
    assert lang_from_env(env) == lang


def test_every_ui_string_is_in_both_languages_with_the_same_values():
    import string

    for key, entry in ui().items():
        assert set(entry) == {"vi", "en"}, key
        names = [{n for _, n, _, _ in string.Formatter().parse(entry[lang]) if n} for lang in ("vi", "en")]
        assert names[0] == names[1], f"{key}: the languages take other values"


def test_every_message_key_in_the_code_is_in_the_catalogue():
    used = set()
    for path in (REPO / "ipv6scan").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r'Message\(\s*"([^"{]+)"', text))
        used |= set(re.findall(r'(?:_fail\(EXIT_\w+|words|warn|say_ui)\(\s*"([^"{]+)"', text))
        used |= set(re.findall(r'_fail\(EXIT_\w+, "([^"{]+)"', text))
    missing = sorted(k for k in used if k not in ui())
    assert not missing, missing
    assert len(used) > 100  # the scan found the messages, not nothing


def test_a_bad_host_is_said_in_both_languages():
    with pytest.raises(TargetProblem) as caught:
        normalise_host("192.0.2.1")
    assert str(caught.value) == say_ui("target.ip_address", "en")
    assert caught.value.text("vi") == "là địa chỉ IP; ipv6scan quét tên miền (cần tên miền cho Host/SNI)"
    assert str(Message("no_such_file", path="x")) == "x: no such file"


def test_the_demo_in_vietnamese_prints_and_writes_no_english_sentence(tmp_path):
    proc = run_cli("demo", "--lang", "vi", cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "Mức sẵn sàng IPv6" in proc.stdout and "Sẵn sàng IPv6" in proc.stdout and "đã lưu:" in proc.stderr
    assert "đã ghi:" in proc.stderr
    assert english_in(proc.stdout) == [] and english_in(proc.stderr) == []
    (md,) = (tmp_path / "reports").glob("report-*-vi.md")
    assert english_in(md.read_text(encoding="utf-8")) == []


def test_with_nothing_said_the_cli_speaks_vietnamese_and_the_locale_can_say_english(tmp_path):
    bad = tmp_path / "list.txt"
    bad.write_text("192.0.2.1\nbad..name\nmic.gov.vn\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("IPV6SCAN_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES")}
    env["COLUMNS"] = "200"
    quiet = dict(env, LANG="C.UTF-8")
    vi = subprocess.run([sys.executable, "-m", "ipv6scan", "targets", "check", str(bad)], env=quiet,
                        capture_output=True, text=True, encoding="utf-8", cwd=REPO)
    assert vi.returncode == 1
    assert "là địa chỉ IP" in vi.stdout and "có nhãn trống" in vi.stdout and "2 lỗi" in vi.stdout, vi.stdout
    assert english_in(vi.stdout) == []
    en = subprocess.run([sys.executable, "-m", "ipv6scan", "targets", "check", str(bad)], env=dict(env, LANG="en_US.UTF-8"),
                        capture_output=True, text=True, encoding="utf-8", cwd=REPO)
    assert "is an IP address" in en.stdout and "2 errors" in en.stdout, en.stdout
    missing = subprocess.run([sys.executable, "-m", "ipv6scan", "scan", str(tmp_path / "nope.txt")], env=quiet,
                             capture_output=True, text=True, encoding="utf-8", cwd=REPO)
    assert missing.returncode == 2 and "lỗi:" in missing.stderr and "không có tệp này" in missing.stderr


def test_input_errors_keep_their_code_and_are_said_in_vietnamese_in_the_scan_table(lab, lab_dir):
    proc = run_cli("scan", "-", *lab.cli_args(lab_dir), "--no-save", "--no-db", "--lang", "vi",
                   stdin="dual.gov.example\nuser@mail.gov.example\n")
    assert proc.returncode == 0, proc.stderr
    assert "lỗi đầu vào <stdin>:2: có '@': giống địa chỉ thư điện tử" in proc.stdout, proc.stdout
    assert "1 lỗi đầu vào" in proc.stdout and english_in(proc.stdout) == []
    as_json = run_cli("scan", "-", *lab.cli_args(lab_dir), "--no-save", "--no-db", "--format", "jsonl",
                      stdin="user@mail.gov.example\n")
    assert '"code":"target.email"' in as_json.stdout


def test_the_demo_without_the_lab_extra_says_what_to_install():
    code = ("import sys; sys.modules['aiohttp'] = None; sys.argv = ['ipv6scan', 'demo', '--lang', 'vi'];"
            "from ipv6scan.cli import main; main()")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, encoding="utf-8", cwd=REPO)
    assert proc.returncode == 3
    assert "ipv6scan[lab]" in proc.stderr and "thuộc phần bổ sung" in proc.stderr and "Traceback" not in proc.stderr
