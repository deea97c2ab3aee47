"""Every word a report shows, in Vietnamese and English, and the language-dependent formatting.

``STRINGS`` holds the UI strings (key -> {"vi": ..., "en": ...}); kinds, states and
verdicts are keys too (``kind.portal``, ``state.pass``, ``verdict.ready``).
Reason codes read in Vietnamese from ``REASON_VI``, in English from
``checks.REASON_TEXT``; a code neither knows is shown as the code.

Numbers follow the language: ``58,8%`` and ``1.234`` in Vietnamese, ``58.8%`` and
``1,234`` in English. Shares are rounded *down* to one decimal, so a share below
a target never reads as the target.

The renderers share the rest of what they show from here too: phase and
criterion titles (:func:`report_titles`), a phase's summary line and notes, each
organisation's attainment per phase, what it must fix for its next phase
(:func:`fixes`), who is furthest behind (:func:`behind`), the order hosts are
listed in. Everything returned is plain text: each renderer escapes it for its
format.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import datetime
from typing import NamedTuple

from ..checks import REASON_TEXT
from ..scores import HostScore, KindTotal, OrgScore, PhaseTotal, ScoreReport, State

LANGS = ("vi", "en")

Titles = Mapping[str, Mapping[str, str]]  # policy id (phase, criterion) -> {"vi": ..., "en": ...}

STRINGS: dict[str, dict[str, str]] = {
    # headings and labels
    "report_title": {"vi": "Báo cáo mức sẵn sàng IPv6", "en": "IPv6 readiness report"},
    "policy": {"vi": "Bộ tiêu chí", "en": "Policy"},
    "version": {"vi": "phiên bản", "en": "version"},
    "scan_date": {"vi": "Ngày quét", "en": "Scan date"},
    "as_of": {"vi": "Đánh giá tại ngày", "en": "Judged as of"},
    "scan_file": {"vi": "Tệp kết quả quét", "en": "Scan file"},
    "generated": {"vi": "Thời điểm lập báo cáo", "en": "Generated"},
    "summary": {"vi": "{hosts} hệ thống của {orgs} đơn vị", "en": "{hosts} hosts of {orgs} organisations"},
    "phases_heading": {"vi": "Tổng hợp theo giai đoạn", "en": "Progress by phase"},
    "phase_line": {
        "vi": "{phase}: {attained}/{total} đơn vị ({share}) — mục tiêu {target} — {result}",
        "en": "{phase}: {attained}/{total} organisations ({share}) — target {target} — {result}",
    },
    "phase_unknown": {"vi": "{n} đơn vị chưa xác định được", "en": "{n} could not be determined"},
    "basis": {"vi": "Căn cứ: {source}", "en": "Source: {source}"},
    "period": {"vi": "Thời gian: {start} – {end}", "en": "Period: {start} – {end}"},
    "period_open": {"vi": "Áp dụng từ {start}", "en": "From {start}"},
    "not_binding": {
        "vi": "Không bắt buộc: chỉ để tham khảo, hệ thống không bị đánh giá theo giai đoạn này",
        "en": "Not binding: shown for reference, hosts are not judged against it",
    },
    "standalone": {
        "vi": "Nghĩa vụ độc lập, ngoài lộ trình các giai đoạn",
        "en": "A standing obligation outside the ladder of phases",
    },
    "tag_not_binding": {"vi": "tham khảo", "en": "reference"},
    "tag_standalone": {"vi": "độc lập", "en": "standalone"},
    "criteria_heading": {"vi": "Tiêu chí đánh giá", "en": "Criteria"},
    "target_met": {"vi": "Đạt", "en": "Met"},
    "target_not_met": {"vi": "Chưa đạt", "en": "Not met"},
    "kinds_heading": {"vi": "Mức tuân thủ theo loại hệ thống", "en": "Compliance by system kind"},
    "share_note": {
        "vi": "Tỉ lệ đạt không tính các hệ thống không xác định.",
        "en": "Compliance leaves out hosts whose state is unknown.",
    },
    "orgs_heading": {"vi": "Kết quả theo đơn vị", "en": "Results by organisation"},
    "legend": {
        "vi": "✓ đạt · ✗ chưa đạt · ? không xác định · – không áp dụng",
        "en": "✓ attained · ✗ not attained · ? unknown · – not applicable",
    },
    "fixes_heading": {"vi": "Việc cần làm để đạt giai đoạn tiếp theo", "en": "What to fix for the next phase"},
    "worst_heading": {"vi": "Đơn vị cần ưu tiên khắc phục", "en": "Organisations furthest behind"},
    "more_orgs": {"vi": "… và {n} đơn vị khác", "en": "… and {n} more organisations"},
    "hosts_heading": {"vi": "Chi tiết theo hệ thống", "en": "Host details"},
    "org_detail_heading": {"vi": "Chi tiết từng đơn vị", "en": "Each organisation in detail"},
    "all_attained": {"vi": "Đã đạt mọi giai đoạn", "en": "All phases attained"},
    "chart_phases": {
        "vi": "Tỉ lệ đơn vị đạt theo giai đoạn (vạch đứng: mục tiêu)",
        "en": "Organisations attaining each phase (vertical line: target)",
    },
    "chart_kinds": {"vi": "Tỉ lệ hệ thống đạt theo loại", "en": "Compliant hosts by system kind"},
    "guessed": {"vi": "suy đoán", "en": "guessed"},
    "yes": {"vi": "Có", "en": "Yes"},
    "no": {"vi": "Không", "en": "No"},
    # what to fix
    "reason_not_checked": {
        "vi": "Lần quét không có kết quả của phép kiểm tra {check}",
        "en": "The scan has no result of check {check}",
    },
    "fix_missing_kind": {"vi": "Chưa có {kind} trong danh sách quét", "en": "No {kind} in the scanned list"},
    "fix_unknown": {"vi": "Chưa xác định được: {reasons}", "en": "Could not be determined: {reasons}"},
    "fix_failing": {"vi": "Chưa đạt tiêu chí {criteria}", "en": "Fails {criteria}"},
    # column headers
    "col_org": {"vi": "Đơn vị", "en": "Organisation"},
    "col_hosts": {"vi": "Số hệ thống", "en": "Hosts"},
    "col_compliant": {"vi": "Đạt", "en": "Compliant"},
    "col_failing": {"vi": "Chưa đạt", "en": "Failing"},
    "col_unknown": {"vi": "Không xác định", "en": "Unknown"},
    "col_share": {"vi": "Tỉ lệ đạt", "en": "Compliance"},
    "col_phase": {"vi": "Giai đoạn", "en": "Phase"},
    "col_attained": {"vi": "Đơn vị đạt", "en": "Attained"},
    "col_target": {"vi": "Mục tiêu", "en": "Target"},
    "col_result": {"vi": "Kết quả", "en": "Result"},
    "col_next_phase": {"vi": "Giai đoạn tiếp theo", "en": "Next phase"},
    "col_todo": {"vi": "Việc cần làm", "en": "To do"},
    "col_host": {"vi": "Hệ thống (tên miền)", "en": "Host"},
    "col_display": {"vi": "Tên hiển thị", "en": "Display name"},
    "col_kind": {"vi": "Loại hệ thống", "en": "Kind"},
    "col_kind_inferred": {"vi": "Loại do suy đoán", "en": "Kind guessed"},
    "col_verdict": {"vi": "Đánh giá kỹ thuật", "en": "Verdict"},
    "col_state": {"vi": "Trạng thái", "en": "State"},
    "col_reason_codes": {"vi": "Mã lý do", "en": "Reason codes"},
    "col_reasons": {"vi": "Lý do", "en": "Reasons"},
    "col_title": {"vi": "Tiêu đề trang", "en": "Page title"},
    "col_server": {"vi": "Máy chủ web", "en": "Server"},
    "col_final_url": {"vi": "URL cuối (IPv6)", "en": "Final URL (IPv6)"},
    "col_cert_issuer": {"vi": "Đơn vị cấp chứng thư số", "en": "Certificate issuer"},
    "col_cert_not_after": {"vi": "Chứng thư số hết hạn", "en": "Certificate expires"},
    # system kinds (kinds.KINDS)
    "kind.portal": {"vi": "Cổng thông tin điện tử", "en": "Web portal"},
    "kind.dichvucong": {"vi": "Cổng dịch vụ công", "en": "Public-service portal"},
    "kind.motcua": {"vi": "Hệ thống một cửa", "en": "One-stop system"},
    "kind.website": {"vi": "Trang thông tin điện tử", "en": "Agency website"},
    "kind.mail": {"vi": "Thư điện tử công vụ", "en": "Official mail"},
    "kind.document_management": {"vi": "Hệ thống quản lý văn bản", "en": "Document management system"},
    "kind.data_portal": {"vi": "Cổng dữ liệu mở", "en": "Open-data portal"},
    "kind.other": {"vi": "Khác", "en": "Other"},
    # states (scores.State)
    "state.pass": {"vi": "Đạt", "en": "Pass"},
    "state.fail": {"vi": "Chưa đạt", "en": "Fail"},
    "state.unknown": {"vi": "Không xác định", "en": "Unknown"},
    "state.not_applicable": {"vi": "Không áp dụng", "en": "Not applicable"},
    # verdicts (model.Verdict)
    "verdict.ready": {"vi": "Sẵn sàng IPv6", "en": "Ready"},
    "verdict.partial": {"vi": "Hỗ trợ một phần", "en": "Partial"},
    "verdict.broken_ipv6": {"vi": "IPv6 bị lỗi", "en": "Broken IPv6"},
    "verdict.no_ipv6": {"vi": "Chưa có IPv6", "en": "No IPv6"},
    "verdict.unresolvable": {"vi": "Không phân giải được", "en": "Unresolvable"},
    "verdict.untestable": {"vi": "Không kiểm tra được", "en": "Untestable"},
    "verdict.error": {"vi": "Lỗi công cụ quét", "en": "Scanner error"},
}

STATE_SYMBOL = {State.PASS: "✓", State.FAIL: "✗", State.UNKNOWN: "?", State.NOT_APPLICABLE: "–"}

# Worst first: the order hosts are listed in within an organisation.
STATE_ORDER = {State.FAIL: 0, State.UNKNOWN: 1, State.PASS: 2, State.NOT_APPLICABLE: 3}


def _reasons_vi() -> dict[str, str]:
    """Vietnamese for the reason codes of ``checks`` (the same codes as ``REASON_TEXT``)."""
    texts = {
        "scanner_error": "Lỗi của chính công cụ quét trên hệ thống này; chưa đánh giá được",
        "dns_ok": "Tên miền phân giải được ít nhất một địa chỉ",
        "no_addresses": "Tên miền tồn tại nhưng không có bản ghi A và AAAA",
        "a_present": "Tên miền có địa chỉ IPv4 (bản ghi A)",
        "no_a": "Tên miền không có địa chỉ IPv4 (bản ghi A) (không ảnh hưởng mức sẵn sàng IPv6)",
        "aaaa_present": "Tên miền có địa chỉ IPv6 (bản ghi AAAA)",
        "no_aaaa": "Tên miền chưa có địa chỉ IPv6 (bản ghi AAAA)",
        "aaaa_routable": "Mọi địa chỉ IPv6 đều định tuyến được trên Internet",
        "aaaa_not_global": "Bản ghi AAAA trỏ tới địa chỉ không định tuyến toàn cầu (ULA, link-local, loopback, ...)",
        "not_probed": "Không có gì để kiểm tra hoặc đánh giá ở mục này",
        "not_compared": "Chưa so sánh trang web giữa IPv4 và IPv6",
        "skipped_non_global": "Không kiểm tra: địa chỉ không định tuyến toàn cầu",
        "scanner_no_ipv6": "Không kiểm tra được: máy quét không có kết nối IPv6",
        "ipv4_problem": "Chỉ có lỗi qua IPv4 (ghi nhận; công cụ này đánh giá mức sẵn sàng IPv6)",
        "tls_valid": "Chứng thư số hợp lệ, được tin cậy và khớp tên miền",
        "tls_invalid": "Chứng thư số hoặc bắt tay TLS lỗi trên cả IPv4 và IPv6 (lỗi với mọi người dùng)",
        "tls_ipv6_only_problem": "Chứng thư số hoặc bắt tay TLS lỗi qua IPv6 nhưng không lỗi qua IPv4",
        "tls_same_cert": "IPv4 và IPv6 dùng cùng một chứng thư số",
        "tls_cert_differs": "IPv4 và IPv6 dùng hai chứng thư số khác nhau",
        "tls_expiry_ok": "Chứng thư số chưa sắp hết hạn",
        "tls_expiring": "Chứng thư số sắp hết hạn (hoặc đã hết hạn)",
        "tls_protocol_ok": "Mọi kết nối HTTPS dùng TLS 1.2 trở lên",
        "tls_old_protocol": "Có kết nối HTTPS dùng giao thức cũ hơn TLS 1.2",
        "parity_ok": "Trang web qua IPv4 và IPv6 giống nhau",
        "parity_status_differs": "IPv4 và IPv6 trả về mã trạng thái HTTP khác nhau",
        "parity_content_differs": "Trang web qua IPv6 khác trang qua IPv4",
        "parity_not_comparable": "Không so sánh được trang web qua IPv4 và IPv6",
        "redirect_ok_ipv6": "Chuyển hướng qua IPv6 vẫn ở trên IPv6 và kết thúc bằng một phản hồi",
        "redirect_failed_ipv6": "Chuỗi chuyển hướng qua IPv6 bị lỗi ở một bước sau",
        "redirect_leaves_ipv6": "Chuỗi chuyển hướng qua IPv6 dẫn tới một địa chỉ không có IPv6",
        "redirect_loop_ipv6": "Chuỗi chuyển hướng qua IPv6 bị lặp vòng",
        "too_many_redirects_ipv6": "Chuỗi chuyển hướng qua IPv6 có quá nhiều bước",
        "redirect_refused_ipv6": "Chuỗi chuyển hướng qua IPv6 dẫn tới địa chỉ không được phép truy cập",
        "ns_ipv6": "Có ít nhất hai máy chủ tên miền trả lời truy vấn DNS qua IPv6",
        "ns_single_ipv6": "Chỉ một máy chủ tên miền trả lời qua IPv6 (cần ít nhất hai)",
        "ns_no_ipv6": "Không máy chủ tên miền nào của vùng trả lời truy vấn DNS qua IPv6",
        "mx_ipv6": "Có máy chủ thư trả lời SMTP qua IPv6",
        "mx_no_ipv6": "Không máy chủ thư nào của vùng trả lời SMTP qua IPv6",
        "no_mx": "Vùng không có máy chủ thư (MX)",
        "zone_not_checked": "Chưa kiểm tra máy chủ tên miền và máy chủ thư của vùng",
        "zone_dns_failed": "Truy vấn DNS cho vùng hoặc các máy chủ của vùng bị lỗi nên chưa đánh giá được",
        "dns_nxdomain": "Phân giải tên miền lỗi: tên miền không tồn tại (NXDOMAIN)",
        "cname_too_long": "Phân giải tên miền lỗi: chuỗi CNAME quá dài",
        "cname_loop": "Phân giải tên miền lỗi: chuỗi CNAME bị lặp vòng",
    }
    dns_phrases = {
        "timeout": "truy vấn quá thời gian chờ",
        "refused": "máy chủ phân giải từ chối truy vấn",
        "error": "phản hồi sai định dạng hoặc không như mong đợi",
        "servfail": "máy chủ phân giải trả về SERVFAIL",
    }
    for outcome, phrase in dns_phrases.items():
        texts[f"dns_{outcome}"] = f"Phân giải tên miền lỗi: {phrase}"
        for rdtype in ("A", "AAAA"):
            texts[f"dns_{outcome}_{rdtype.lower()}"] = f"Truy vấn bản ghi {rdtype} lỗi: {phrase}"
    web_phrases = {
        "refused": "bị từ chối kết nối",
        "timeout": "quá thời gian chờ",
        "unreachable": "không truy cập được",
        "reset": "bị ngắt kết nối",
        "protocol_error": "không trả về phản hồi hợp lệ",
        "tls_handshake_failed": "lỗi bắt tay TLS",
        "error": "bị lỗi",
    }
    for scheme in ("http", "https"):
        proto = scheme.upper()
        for family, name in (("ipv4", "IPv4"), ("ipv6", "IPv6")):
            texts[f"{scheme}_ok_{family}"] = f"{proto} trả lời trên mọi địa chỉ {name}"
        for kind, phrase in web_phrases.items():
            texts[f"{scheme}_{kind}_ipv6"] = f"{proto} qua IPv6 {phrase} ở ít nhất một địa chỉ"
        texts[f"{scheme}_absent"] = f"Không có {proto} qua cả IPv4 lẫn IPv6"
        texts[f"{scheme}_ipv4_only"] = f"{proto} trả lời qua IPv4 nhưng không trên địa chỉ IPv6 nào"
        texts[f"{scheme}_ipv6_only"] = f"{proto} trả lời qua IPv6 nhưng không qua IPv4"
    return texts


REASON_VI: dict[str, str] = _reasons_vi()


_BREAKS = re.compile(r"[\r\n\t\v\f\x85\u2028\u2029]+")
_INVISIBLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def one_line(text: object) -> str:
    """``text`` on one line: line breaks become spaces; other control and bidi-override characters go.

    Every renderer but CSV applies it to every string: no escape sequence from a
    site reaches the terminal, no line break splits a Markdown table row, no
    invisible character reorders what a page shows.
    """
    return _INVISIBLE.sub("", _BREAKS.sub(" ", str(text)))


def check_lang(lang: str) -> None:
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}: use one of {', '.join(LANGS)}")


def t(key: str, lang: str, **values: object) -> str:
    """The UI string ``key`` in ``lang``, with ``{placeholders}`` filled in."""
    text = STRINGS[key][lang]
    return text.format(**values) if values else text


def label(prefix: str, code: str, lang: str) -> str:
    """A kind / state / verdict name; a code without a translation is shown as the code."""
    entry = STRINGS.get(f"{prefix}.{code}")
    return entry[lang] if entry else code


def kind_label(kind: str, lang: str) -> str:
    return label("kind", kind, lang)


def state_label(state: State, lang: str) -> str:
    return label("state", state.value, lang)


def verdict_label(verdict: str, lang: str) -> str:
    return label("verdict", verdict, lang)


def reason_text(code: str, lang: str) -> str:
    """One line for a reason code: Vietnamese, else the English of ``checks``, else the code.

    The scorer's ``not_checked:<check id>`` (a check the scan has no result of) reads as such.
    """
    if code.startswith("not_checked:"):
        return t("reason_not_checked", lang, check=code.removeprefix("not_checked:"))
    if lang == "vi" and code in REASON_VI:
        return REASON_VI[code]
    return REASON_TEXT.get(code, code)


def report_titles(report: ScoreReport, titles: Titles | None) -> Titles:
    """Policy, phase and criterion titles by id: the caller's (per language), else the report's own.

    The report carries its titles in the language it was scored in (``report.lang``);
    they stand in for any language the caller gives no title in.
    """
    own = {report.policy: report.policy_title} | {p.phase: p.title for p in report.phases}
    own |= {c.id: c.title for c in report.criteria}
    merged = {ident: dict.fromkeys(LANGS, text) for ident, text in own.items() if text}
    for ident, texts in (titles or {}).items():
        merged.setdefault(ident, {}).update({lang: text for lang, text in texts.items() if text})
    return merged


def title(ident: str, lang: str, titles: Titles | None) -> str:
    """The title of a phase or criterion id (see :func:`report_titles`), else the id."""
    return (titles or {}).get(ident, {}).get(lang) or ident


def short_title(ident: str, lang: str, titles: Titles | None) -> str:
    """A title's head, for column headers and charts: ``Giai đoạn 1 (2021–2022)`` of
    ``Giai đoạn 1 (2021–2022): Cổng thông tin điện tử ...``; a title without ``": "`` whole."""
    return title(ident, lang, titles).split(": ", 1)[0]


def percent(share: float, lang: str) -> str:
    """``58,8%`` (vi) / ``58.8%`` (en): rounded down to one decimal, ``,0`` dropped."""
    tenths = math.floor(share * 1000 + 1e-9)
    whole, decimal = divmod(tenths, 10)
    text = f"{whole}" if decimal == 0 else f"{whole}{',' if lang == 'vi' else '.'}{decimal}"
    return text + "%"


def number(n: int, lang: str) -> str:
    """``1.234`` (vi) / ``1,234`` (en)."""
    text = f"{n:,}"
    return text.replace(",", ".") if lang == "vi" else text


def kind_share(total: KindTotal, lang: str) -> str:
    """A kind's compliance, or ``–`` when none of its hosts could be judged."""
    return percent(total.share, lang) if total.compliant + total.failing else "–"


def phase_share(total: PhaseTotal, lang: str) -> str:
    """The share of organisations attaining a phase, or ``–`` when it concerns none."""
    return percent(total.share, lang) if total.orgs_total else "–"


KIND_COLUMNS = ("col_kind", "col_hosts", "col_compliant", "col_failing", "col_unknown", "col_share")


def kind_row(total: KindTotal, lang: str) -> list[str]:
    """A row of the per-kind table (columns ``KIND_COLUMNS``)."""
    counts = [number(n, lang) for n in (total.hosts, total.compliant, total.failing, total.unknown)]
    return [kind_label(total.kind, lang), *counts, kind_share(total, lang)]


def when(text: str | None, lang: str) -> str:
    """An ISO date or timestamp for people: ``01/07/2025 08:30 UTC`` (vi), ``2025-07-01 08:30 UTC`` (en)."""
    if not text:
        return "–"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    day = moment.strftime("%d/%m/%Y" if lang == "vi" else "%Y-%m-%d")
    if len(text) <= 10:  # a date without a time
        return day
    offset = moment.strftime("%z")
    zone = "" if not offset else " UTC" if offset == "+0000" else f" UTC{offset[:3]}:{offset[3:]}"
    return f"{day} {moment:%H:%M}{zone}"


def phase_line(total: PhaseTotal, lang: str, titles: Titles | None) -> str:
    """``Giai đoạn 1: 20/34 đơn vị (58,8%) — mục tiêu 50% — Đạt`` (+ how many are unknown)."""
    line = t(
        "phase_line",
        lang,
        phase=title(total.phase, lang, titles),
        attained=number(total.orgs_attained, lang),
        total=number(total.orgs_total, lang),
        share=phase_share(total, lang),
        target=percent(total.target_share, lang),
        result=t("target_met" if total.met else "target_not_met", lang),
    )
    if total.orgs_unknown:
        line += f" ({t('phase_unknown', lang, n=number(total.orgs_unknown, lang))})"
    return line


def heading(report: ScoreReport, lang: str, titles: Titles | None) -> str:
    return f"{t('report_title', lang)}: {title(report.policy, lang, titles)}"


def facts(report: ScoreReport, lang: str, titles: Titles | None) -> list[tuple[str, str]]:
    """The report's header facts as (label, value): policy, scan date, judged as of, generated, scan file."""
    policy = f"{title(report.policy, lang, titles)} ({report.policy}, {t('version', lang)} {report.policy_version})"
    rows = [
        (t("policy", lang), policy),
        (t("scan_date", lang), when(report.scan_started, lang)),
        (t("as_of", lang), when(report.as_of, lang)),
        (t("generated", lang), when(report.generated, lang)),
    ]
    if report.scan_file:
        rows.append((t("scan_file", lang), report.scan_file))
    return rows


def summary(report: ScoreReport, lang: str) -> str:
    return t("summary", lang, hosts=number(len(report.hosts), lang), orgs=number(len(report.orgs), lang))


def phase_states(org: OrgScore, phases: list[str]) -> list[State]:
    """Whether the organisation attained each of ``phases`` (its ladder attainment), as the scorer says."""
    attainment = {p.phase: p.attainment for p in org.phases}
    return [attainment.get(phase, State.NOT_APPLICABLE) for phase in phases]


def next_phase(org: OrgScore, lang: str, titles: Titles | None) -> str:
    return short_title(org.next_phase, lang, titles) if org.next_phase else t("all_attained", lang)


def phase_notes(total: PhaseTotal, lang: str) -> list[str]:
    """Where a phase comes from and when it runs; whether it binds and whether it is on the ladder."""
    notes = [t("basis", lang, source=total.source)] if total.source else []
    if total.start and total.end:
        notes.append(t("period", lang, start=when(total.start, lang), end=when(total.end, lang)))
    elif total.start:
        notes.append(t("period_open", lang, start=when(total.start, lang)))
    notes += [t("not_binding", lang)] if not total.binding else []
    return notes + ([t("standalone", lang)] if total.standalone else [])


def phase_tags(total: PhaseTotal, lang: str) -> list[str]:
    """One-word tags for a phase that does not bind, or stands outside the ladder."""
    tags = [t("tag_not_binding", lang)] if not total.binding else []
    return tags + ([t("tag_standalone", lang)] if total.standalone else [])


class Fix(NamedTuple):
    """One thing an organisation must do for its next phase: about a host (or none), and what."""

    host: str | None
    detail: str


def fixes(org: OrgScore, hosts: Mapping[str, HostScore], lang: str, titles: Titles | None) -> list[Fix]:
    """What ``org`` lacks for its next phase, from the phase's requirement results.

    Required kinds the list has no host of, then each failing host, then each
    unknown one, once, with the reasons of the required criteria it does not meet.
    The scorer's free-text ``todo`` is shown only when the requirements say nothing.
    """
    if org.next_phase is None:
        return []
    phase = next((p for p in org.phases if p.phase == org.next_phase), None)
    requirements = [r for r in (phase.requirements if phase else []) if r.state is not State.PASS]
    missing = dict.fromkeys(k for r in requirements for k in r.missing_kinds)
    out = [Fix(None, t("fix_missing_kind", lang, kind=kind_label(k, lang))) for k in missing]
    failing: dict[str, dict[str, None]] = {}
    unknown: dict[str, dict[str, None]] = {}
    for req in requirements:
        for name in req.failing:
            failing.setdefault(name, {}).update(dict.fromkeys(req.criteria))
        for name in req.unknown:
            unknown.setdefault(name, {}).update(dict.fromkeys(req.criteria))
    for name, criteria in failing.items():
        host = hosts.get(name)
        text = _reasons(host, criteria, State.FAIL, lang)
        names = ", ".join(title(c, lang, titles) for c in criteria)
        out.append(Fix(_display(host, name), text or t("fix_failing", lang, criteria=names)))
    for name, criteria in unknown.items():
        if name not in failing:
            host = hosts.get(name)
            text = _reasons(host, criteria, State.UNKNOWN, lang)
            detail = t("fix_unknown", lang, reasons=text) if text else state_label(State.UNKNOWN, lang)
            out.append(Fix(_display(host, name), detail))
    return out or [Fix(None, line) for line in org.todo]


def behind(report: ScoreReport, lang: str, titles: Titles | None) -> list[tuple[OrgScore, list[Fix]]]:
    """Organisations with a phase still to attain, furthest behind first, each with its fixes.

    Furthest = the earliest next phase (in policy order), then the most to fix, then by name.
    """
    hosts = {h.host: h for h in report.hosts}
    order = {p.phase: i for i, p in enumerate(report.phases)}
    rows = [(org, fixes(org, hosts, lang, titles)) for org in report.orgs if org.next_phase is not None]
    return sorted(rows, key=lambda row: (order.get(row[0].next_phase or "", -1), -len(row[1]), row[0].org))


def sorted_hosts(report: ScoreReport) -> list[HostScore]:
    """Hosts by organisation, worst state first, then by name."""
    return sorted(report.hosts, key=lambda h: (h.org, STATE_ORDER[h.state], h.display or h.host))


def _reasons(host: HostScore | None, criteria: Mapping[str, None], state: State, lang: str) -> str:
    """Why ``host`` is in ``state`` for ``criteria``: those criteria's reasons, else the verdict's."""
    if host is None:
        return ""
    codes = [r for c in host.criteria if c.criterion in criteria and c.state is state for r in c.reasons]
    return "; ".join(reason_text(code, lang) for code in dict.fromkeys(codes or host.reasons))


def _display(host: HostScore | None, name: str) -> str:
    return host.display if host is not None and host.display else name
