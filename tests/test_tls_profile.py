"""tls.chain, tls.name and tls.profile.<family> (pure), the profiles file, and the version prober's contexts."""

from __future__ import annotations

import ssl

import msgspec
import pytest

from ipv6scan.checks import judge, message
from ipv6scan.checks._profiles import ProfileError, parse_profiles, tls_profile
from ipv6scan.model import CertInfo, CheckStatus, Outcome, TlsVersionTry
from ipv6scan.probe import tlsversions
from tests.test_checks import V4A, V6A, cert, checks_of, healthy_versions, replace_probe, site


def with_tls(facts, address, **changes):
    """The HTTPS probe of ``address`` with its TLS facts changed."""
    probe = next(p for p in facts.web if p.scheme == "https" and p.address == address)
    return replace_probe(facts, "https", address, tls=msgspec.structs.replace(probe.tls, **changes))


def root(subject="CN=Stranger Root") -> CertInfo:
    return msgspec.structs.replace(cert(), subject=subject, issuer=subject, self_signed=True, sha256="r" * 64)


def intermediate(subject="CN=Intermediate CA", issuer="CN=Stranger Root") -> CertInfo:
    return msgspec.structs.replace(cert(), subject=subject, issuer=issuer, sha256="i" * 64)


# ---------------------------------------------------------------- tls.chain


@pytest.mark.parametrize(
    ("changes", "status", "reason", "words"),
    [
        ({}, CheckStatus.PASS, "chain_ok", "sends one certificate reaching a trusted root"),
        ({"issuer_in_store": False, "intermediates": [intermediate(), root()]}, CheckStatus.FAIL,
         "chain_untrusted_root", "sends 3 certificates ending at the root CN=Stranger Root, which is not trusted"),
        ({"issuer_in_store": False, "cert": msgspec.structs.replace(cert(), ca_issuers=["http://ca.example/i.crt"])},
         CheckStatus.FAIL, "chain_missing_intermediate", "(an intermediate, published at http://ca.example/i.crt)"),
        ({"issuer_in_store": False}, CheckStatus.FAIL, "chain_untrusted_issuer", "which is neither sent nor trusted"),
        ({"issuer_in_store": False, "cert": root("CN=" + "portal.gov.example")}, CheckStatus.FAIL, "chain_self_signed",
         "serves a self-signed certificate"),
    ],
)
def test_the_chain_as_served_is_classified(changes, status, reason, words):
    facts = with_tls(site(), V6A, **changes)
    found = checks_of(judge(facts))["tls.chain"]
    assert (found.status, found.reason) == (status, reason)
    assert words in found.message
    assert judge(facts).verdict.value == "ready"  # it explains; tls.ipv6 is what counts


def test_a_missing_intermediate_is_worse_than_a_complete_chain_elsewhere_and_named_where_it_is():
    facts = with_tls(site(), V6A, issuer_in_store=False,
                     cert=msgspec.structs.replace(cert(), ca_issuers=["http://ca.example/i.crt"]))
    found = checks_of(judge(facts))["tls.chain"]
    assert "2001:db8::10 port 443 does not send the certificate of" in found.message
    assert V4A not in found.message


def test_records_without_chain_facts_are_not_judged():
    facts = site()
    for address in (V4A, V6A):
        facts = with_tls(facts, address, issuer_in_store=None, name_matches=None, versions=[])
    checks = checks_of(judge(facts))
    assert {checks[i].status for i in ("tls.chain", "tls.name", "tls.profile.ipv4", "tls.profile.ipv6")} == {
        CheckStatus.NOT_APPLICABLE}


# ---------------------------------------------------------------- tls.name


def test_the_name_is_judged_on_its_own_and_names_what_the_certificate_covers():
    facts = with_tls(site(), V6A, name_matches=False, issuer_in_store=False,
                     cert=msgspec.structs.replace(cert(), san=["other.example", "*.other.example"]))
    found = checks_of(judge(facts))["tls.name"]
    assert (found.status, found.reason) == (CheckStatus.FAIL, "name_mismatch")
    assert found.message == ("The certificate does not name portal.gov.example: 2001:db8::10 port 443 serves a "
                             "certificate for other.example and *.other.example")
    assert message(found, "vi").startswith("Chứng thư không ghi tên portal.gov.example: 2001:db8::10 cổng 443")


# ---------------------------------------------------------------- tls.profile.<family>


def test_old_versions_fail_on_the_family_that_accepts_them_only():
    facts = with_tls(site(), V6A, versions=healthy_versions("TLSv1", "TLSv1.2", "TLSv1.3"))
    checks = checks_of(judge(facts))
    assert (checks["tls.profile.ipv6"].status, checks["tls.profile.ipv6"].reason) == (CheckStatus.FAIL,
                                                                                     "profile_old_versions")
    assert checks["tls.profile.ipv6"].message == (
        "Against Mozilla intermediate (Server Side TLS 5.7) (allows TLSv1.2 and TLSv1.3): "
        "2001:db8::10 port 443 accepts TLSv1")
    assert checks["tls.profile.ipv4"].status == CheckStatus.PASS
    vi = message(checks["tls.profile.ipv6"], "vi")
    assert vi == ("So với Mozilla intermediate (Server Side TLS 5.7) (cho phép TLSv1.2 và TLSv1.3): "
                  "2001:db8::10 cổng 443 chấp nhận TLSv1")


def test_no_tls13_is_a_warning_and_an_unknown_answer_is_never_a_refusal():
    no13 = checks_of(judge(with_tls(site(), V6A, versions=healthy_versions("TLSv1.2"))))["tls.profile.ipv6"]
    assert (no13.status, no13.reason) == (CheckStatus.WARN, "profile_missing_recommended")
    unknown = healthy_versions()
    unknown[0] = TlsVersionTry(version="TLSv1", accepted=None, outcome=Outcome.TIMEOUT, how="alone")
    found = checks_of(judge(with_tls(site(), V6A, versions=unknown)))["tls.profile.ipv6"]
    assert (found.status, found.reason) == (CheckStatus.WARN, "profile_unknown_versions")
    assert "no answer known for TLSv1" in found.message


def test_a_small_key_fails_the_profile():
    small = msgspec.structs.replace(cert(), key_type="RSA", key_bits=1024)
    found = checks_of(judge(with_tls(site(), V4A, cert=small)))["tls.profile.ipv4"]
    assert (found.status, found.reason) == (CheckStatus.FAIL, "profile_weak_key")
    assert "has a 1,024-bit RSA key" in found.message


# ---------------------------------------------------------------- the profiles file


def test_the_shipped_default_is_mozilla_intermediate():
    profile = tls_profile()
    assert profile.name == "mozilla-intermediate" and profile.versions == ("TLSv1.2", "TLSv1.3")
    assert tls_profile("mozilla-modern").versions == ("TLSv1.3",)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('default = "x"\n[profile.x]\ntitle = {vi = "a", en = "a"}\nversions = ["TLSv1.4"]\n',
         "profile 'x': versions must be among TLSv1, TLSv1.1, TLSv1.2, TLSv1.3 (got TLSv1.4)"),
        ('default = "y"\n[profile.x]\ntitle = {vi = "a", en = "a"}\nversions = ["TLSv1.2"]\n',
         "the default profile 'y' is not one of x"),
        ('default = "x"\n[profile.x]\nversions = ["TLSv1.2"]\n', "profile 'x' lacks 'title'"),
        ("default = \n", "not TOML"),
    ],
)
def test_a_wrong_profiles_file_is_a_clear_error(text, words):
    with pytest.raises(ProfileError) as e:
        parse_profiles(text, "my-profiles.toml")
    assert str(e.value).startswith("my-profiles.toml: ") and words in str(e.value)


def test_an_unknown_profile_names_the_ones_there_are():
    with pytest.raises(ProfileError, match="No TLS profile nope; the profiles: mozilla-intermediate, "
                                           "mozilla-modern, mozilla-old") as e:
        tls_profile("nope")
    assert e.value.text("vi") == ("Không có hồ sơ TLS nope; các hồ sơ: mozilla-intermediate, mozilla-modern, "
                                  "mozilla-old")


# ---------------------------------------------------------------- the profile a scan chose (--tls-profile)


def test_the_profile_the_scan_chose_is_the_one_judged_against():
    facts = site()  # accepts TLS 1.2 and 1.3 on every address: intermediate passes
    assert {checks_of(judge(facts))[f"tls.profile.{f}"].status for f in ("ipv4", "ipv6")} == {CheckStatus.PASS}
    modern = checks_of(judge(msgspec.structs.replace(facts, tls_profile="mozilla-modern")))
    for family in ("ipv4", "ipv6"):
        found = modern[f"tls.profile.{family}"]
        assert (found.status, found.reason) == (CheckStatus.FAIL, "profile_old_versions")
        assert "Against Mozilla modern (Server Side TLS 5.7) (allows TLSv1.3)" in found.message
        assert "accepts TLSv1.2" in found.message
    old = checks_of(judge(msgspec.structs.replace(facts, tls_profile="mozilla-old")))
    assert old["tls.profile.ipv6"].status is CheckStatus.PASS
    assert "Mozilla old" in old["tls.profile.ipv6"].message


def test_a_profile_this_version_does_not_ship_is_untestable_and_said_so_in_either_language():
    facts = msgspec.structs.replace(site(), tls_profile="bsi-2030")  # saved by a version that had it
    result = judge(facts)
    for family in ("ipv4", "ipv6"):
        found = checks_of(result)[f"tls.profile.{family}"]
        assert (found.status, found.reason) == (CheckStatus.UNTESTABLE, "profile_not_shipped")
        assert "TLS profile bsi-2030, which this version does not have (it has mozilla-intermediate" in found.message
        assert message(found, "vi") == ("Lần quét chọn hồ sơ TLS bsi-2030 để đánh giá, nhưng phiên bản này không có "
                                        "hồ sơ đó (chỉ có mozilla-intermediate, mozilla-modern và mozilla-old)")
    assert result.verdict.value == "ready"  # the profile never counts for the verdict


# ---------------------------------------------------------------- the version prober


def test_what_the_request_handshake_already_says():
    assert [(t.version, t.accepted, t.how) for t in tlsversions.from_request("TLSv1.3")] == [
        ("TLSv1.3", True, "negotiated")]
    assert [(t.version, t.accepted, t.how) for t in tlsversions.from_request("TLSv1.2")] == [
        ("TLSv1.2", True, "negotiated"), ("TLSv1.3", False, "not_chosen")]
    assert tlsversions.from_request("TLSv1") == []  # the request never offers it: not its word


@pytest.mark.parametrize("version", tlsversions.VERSIONS)
def test_each_context_offers_its_version_alone(version):
    ctx = tlsversions._context(version)
    assert isinstance(ctx, ssl.SSLContext), ctx
    assert ctx.minimum_version == ctx.maximum_version and ctx.verify_mode == ssl.CERT_NONE
    assert ctx is tlsversions._context(version)  # built once


class _Counting:
    """A network whose TLS connects take a moment and fail as a server refusing the version would; it counts
    how many were open at once."""

    def __init__(self) -> None:
        self.open = self.most = self.calls = 0

    async def tls_handshake(self, address, port, **kwargs):
        import asyncio

        self.calls += 1
        self.open += 1
        self.most = max(self.most, self.open)
        try:
            await asyncio.sleep(0.05)
        finally:
            self.open -= 1
        raise ssl.SSLError(1, "[SSL: TLSV1_ALERT_PROTOCOL_VERSION] tlsv1 alert protocol version")


@pytest.mark.parametrize(("at_once", "most"), [(False, 1), (True, 3)])
async def test_the_versions_are_asked_one_by_one_or_at_once_with_the_same_facts(at_once, most) -> None:
    from ipv6scan.polite import Polite

    network = _Counting()
    prober = tlsversions.TlsVersionProber(network=network, polite=Polite(4), timeout=1.0)  # type: ignore[arg-type]
    tries = await prober.probe("h.example", "192.0.2.1", 443, "TLSv1.3", at_once=at_once)

    assert network.calls == 3 and network.most == most  # TLS 1.0, 1.1 and 1.2 asked; 1.3 was negotiated
    assert [(t.version, t.accepted, t.how) for t in tries] == [
        ("TLSv1", False, "alone"), ("TLSv1.1", False, "alone"), ("TLSv1.2", False, "alone"),
        ("TLSv1.3", True, "negotiated")]


async def test_at_once_still_keeps_to_the_politeness_limit() -> None:
    from ipv6scan.polite import Polite

    network = _Counting()
    prober = tlsversions.TlsVersionProber(network=network, polite=Polite(2), timeout=1.0)  # type: ignore[arg-type]
    await prober.probe("h.example", "192.0.2.1", 443, "TLSv1.3", at_once=True)
    assert network.calls == 3 and network.most == 2


async def test_the_scan_asks_a_slow_addresss_versions_at_once_and_a_quick_ones_one_by_one() -> None:
    """An address whose HTTPS answer took SLOW_ADDRESS_MS or more has its TLS versions asked at once (one wait
    instead of three); a quick one, one after the other; an address without a TLS session is not asked."""
    from ipv6scan.config import ScanOptions
    from ipv6scan.model import Address, Family, TlsFacts, WebProbe
    from ipv6scan.net import LabNetwork
    from ipv6scan.scan import SLOW_ADDRESS_MS, Scanner, _Observed

    timing = {"192.0.2.1": SLOW_ADDRESS_MS, "2001:db8::1": SLOW_ADDRESS_MS - 1, "192.0.2.2": 10.0}
    asked: list[tuple[str, bool]] = []

    class Web:
        async def probe(self, host, address, scheme, port):
            tls = TlsFacts(outcome=Outcome.OK, protocol="TLSv1.3") if scheme == "https" and address != "192.0.2.2" \
                else None
            family = Family.V6 if ":" in address else Family.V4
            return WebProbe(scheme=scheme, address=address, family=family, port=port, outcome=Outcome.OK, status=200,
                            tls=tls, first_byte_ms=timing[address]), b""

        async def aclose(self):
            pass

    class Versions:
        async def probe(self, host, address, port, negotiated, *, at_once=False):
            asked.append((address, at_once))
            return []

    async with Scanner(ScanOptions(ipv6="yes", allow_special=["192.0.2.0/24", "2001:db8::/32"]),
                       LabNetwork({})) as scanner:
        scanner.web, scanner.versions = Web(), Versions()  # type: ignore[assignment]
        addresses = [Address(address=a, family=Family.V6 if ":" in a else Family.V4) for a in timing]
        await scanner._web("h.example", addresses, _Observed())
    assert sorted(asked) == [("192.0.2.1", True), ("2001:db8::1", False)]
