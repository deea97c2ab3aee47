"""tls.py: certificate errors -> Outcome (real OpenSSL handshakes in memory), certificate facts."""

from __future__ import annotations

import datetime
import re
import ssl

import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.x509.oid import NameOID

from ipv6scan.model import Outcome
from ipv6scan.probe import tls
from ipv6scan.testnet.web_server import CertFactory

HOST = "www.example.test"
ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


@pytest.fixture(scope="module")
def certs() -> CertFactory:
    return CertFactory()


def _handshake(server_ctx: ssl.SSLContext, client_ctx: ssl.SSLContext, hostname: str) -> ssl.SSLObject:
    """A TLS handshake between two in-memory SSLObjects; raises the client's error."""
    c_in, c_out, s_in, s_out = ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO()
    client = client_ctx.wrap_bio(c_in, c_out, server_hostname=hostname)
    server = server_ctx.wrap_bio(s_in, s_out, server_side=True)
    done = {"client": False, "server": False}
    for _ in range(10):
        for name, side in (("client", client), ("server", server)):
            try:
                side.do_handshake()
                done[name] = True
            except ssl.SSLWantReadError:
                pass
            except ssl.SSLError:
                if side is client:
                    raise
        s_in.write(c_out.read())
        c_in.write(s_out.read())
        if all(done.values()):
            return client
    raise AssertionError("handshake did not finish")


def _der(leaf: trustme.LeafCert) -> bytes:
    return ssl.PEM_cert_to_DER_cert(leaf.cert_chain_pems[0].bytes().decode())


@pytest.mark.parametrize(
    ("kind", "outcome"),
    [
        ("expired", Outcome.TLS_EXPIRED),
        ("not_yet_valid", Outcome.TLS_NOT_YET_VALID),
        ("self_signed", Outcome.TLS_SELF_SIGNED),
        ("untrusted", Outcome.TLS_UNTRUSTED),
        ("wrong_name", Outcome.TLS_HOSTNAME_MISMATCH),
    ],
)
def test_real_verification_failures_are_classified(certs: CertFactory, kind: str, outcome: Outcome) -> None:
    contexts = tls.TlsContexts([certs.ca_pem_path])
    with pytest.raises(ssl.SSLCertVerificationError) as failure:
        _handshake(certs.context_for(kind, [HOST]), contexts.verifying, HOST)
    got, detail = tls.classify_verify_error(failure.value)
    assert got == outcome and detail == failure.value.verify_message


def test_valid_certificate_verifies_and_facts_are_read(certs: CertFactory) -> None:
    contexts = tls.TlsContexts([certs.ca_pem_path])
    client = _handshake(certs.context_for("valid", [HOST]), contexts.verifying, HOST)
    facts = tls.tls_facts(client, Outcome.OK, None)
    assert facts.outcome == Outcome.OK and facts.protocol == "TLSv1.3" and facts.cipher
    assert facts.cert is not None and facts.cert.san == [HOST]


def test_unverified_context_still_sees_the_certificate(certs: CertFactory) -> None:
    client = _handshake(certs.context_for("self_signed", [HOST]), tls.get_contexts().unverified, HOST)
    facts = tls.tls_facts(client, Outcome.TLS_SELF_SIGNED, "self-signed certificate")
    assert facts.cert is not None and facts.cert.self_signed
    assert facts.verify_detail == "self-signed certificate"


@pytest.mark.parametrize(
    ("code", "outcome"),
    [
        (10, Outcome.TLS_EXPIRED),
        (9, Outcome.TLS_NOT_YET_VALID),
        (18, Outcome.TLS_SELF_SIGNED),
        (19, Outcome.TLS_SELF_SIGNED),
        (20, Outcome.TLS_UNTRUSTED),
        (21, Outcome.TLS_UNTRUSTED),
        (2, Outcome.TLS_UNTRUSTED),
        (62, Outcome.TLS_HOSTNAME_MISMATCH),
        (7, Outcome.TLS_UNTRUSTED),  # signature failure: a certificate, but not trustworthy
    ],
)
def test_verify_codes(code: int, outcome: Outcome) -> None:
    err = ssl.SSLCertVerificationError(1, "certificate verify failed")
    err.verify_code, err.verify_message = code, f"code {code}"
    assert tls.classify_verify_error(err) == (outcome, f"code {code}")


def test_hostname_mismatch_by_message_and_other_errors() -> None:
    err = ssl.SSLCertVerificationError(1, "certificate verify failed")
    err.verify_code, err.verify_message = 0, "Hostname mismatch, certificate is not valid for 'x'."
    assert tls.classify_verify_error(err)[0] == Outcome.TLS_HOSTNAME_MISMATCH
    assert tls.classify_verify_error(ssl.SSLError(1, "[SSL] sslv3 alert handshake failure"))[0] == (
        Outcome.TLS_HANDSHAKE_FAILED
    )
    assert tls.classify_verify_error(EOFError())[0] == Outcome.TLS_HANDSHAKE_FAILED


def test_contexts_are_shared_per_bundle_set(certs: CertFactory) -> None:
    contexts = tls.get_contexts([certs.ca_pem_path])
    assert tls.get_contexts((certs.ca_pem_path,)) is contexts
    assert tls.get_contexts() is not contexts
    assert contexts.verifying.check_hostname and contexts.verifying.verify_mode == ssl.CERT_REQUIRED
    assert not contexts.unverified.check_hostname and contexts.unverified.verify_mode == ssl.CERT_NONE


def test_cert_info_of_a_ca_issued_ec_leaf() -> None:
    ca = trustme.CA()
    not_after = datetime.datetime(2031, 11, 22, tzinfo=datetime.UTC)
    leaf = ca.issue_cert(HOST, "2001:db8::1", "192.0.2.1", not_after=not_after)
    info = tls.cert_info(_der(leaf))

    assert info.key_type == "EC" and info.key_bits == 256
    assert info.san == [HOST, "2001:db8::1", "192.0.2.1"]
    assert info.not_after == "2031-11-22T00:00:00Z" and ISO_UTC.match(info.not_before)
    assert not info.self_signed and info.issuer != info.subject
    assert re.fullmatch(r"[0-9a-f]{64}", info.sha256)


def test_cert_info_of_an_rsa_leaf_and_of_a_root() -> None:
    ca = trustme.CA()
    rsa_leaf = tls.cert_info(_der(ca.issue_cert(HOST, key_type=trustme.KeyType.RSA)))
    assert (rsa_leaf.key_type, rsa_leaf.key_bits) == ("RSA", 2048)
    root = tls.cert_info(ssl.PEM_cert_to_DER_cert(ca.cert_pem.bytes().decode()))
    assert root.self_signed and root.san == []


def _ed25519_cert(key: ed25519.Ed25519PrivateKey, signer: ed25519.Ed25519PrivateKey) -> bytes:
    """A DER certificate for HOST with subject == issuer, signed by ``signer``."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(signer, None)
    )
    return cert.public_bytes(serialization.Encoding.DER)


def test_cert_info_of_a_self_signed_ed25519_certificate() -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    info = tls.cert_info(_ed25519_cert(key, key))
    assert (info.key_type, info.key_bits, info.self_signed) == ("Ed25519", 256, True)
    assert info.subject == f"CN={HOST}"


def test_same_subject_and_issuer_but_signed_by_another_key_is_not_self_signed() -> None:
    key, other = ed25519.Ed25519PrivateKey.generate(), ed25519.Ed25519PrivateKey.generate()
    assert not tls.cert_info(_ed25519_cert(key, other)).self_signed


class _FakeSSLObject:
    def version(self) -> str:
        return "TLSv1.2"

    def cipher(self) -> tuple[str, str, int]:
        return ("ECDHE-RSA-AES128-GCM-SHA256", "TLSv1.2", 128)

    def getpeercert(self, binary_form: bool = False) -> bytes:
        return b"not a certificate"


def test_tls_facts_survive_a_garbage_certificate_and_no_ssl_object() -> None:
    facts = tls.tls_facts(_FakeSSLObject(), Outcome.OK, None)  # type: ignore[arg-type]
    assert (facts.protocol, facts.cipher, facts.cert) == ("TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256", None)
    assert facts.verify_detail == "unparsable certificate"
    assert tls.tls_facts(None, Outcome.TLS_HANDSHAKE_FAILED, "alert").protocol is None


def test_the_factorys_self_signed_leaf_is_self_signed(certs: CertFactory) -> None:
    info = tls.cert_info(_der(certs.leaf("self_signed", [HOST])))
    assert info.self_signed and info.san == [HOST] and info.key_type == "EC"
