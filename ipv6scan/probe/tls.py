"""TLS: shared SSL contexts, certificate facts, and certificate errors -> Outcome.

Two client contexts exist per set of trust anchors, built once per process:

* ``verifying`` trusts certifi's bundle plus any extra PEM bundles, and checks
  the host name. Every https request is first made with it.
* ``unverified`` checks nothing. It is used only after ``verifying`` failed on
  the certificate, to observe what the server serves (its certificate, status
  and page) so that a broken certificate is reported with its facts.

Both require TLS 1.2 or newer (the Python/OpenSSL default): a server that only
speaks older protocols ends in ``TLS_HANDSHAKE_FAILED`` (which versions it does take
is asked separately: ``probe/tlsversions.py``).

Every completed handshake records the chain exactly as served (the certificates after
the leaf, in the order sent), whether the trust store holds the issuer of the last one,
and whether the leaf's names cover the host (``service_identity``, RFC 6125) — stated
on its own, since OpenSSL reports only the first problem it meets.
"""

from __future__ import annotations

import functools
import hashlib
import ssl
import threading
import warnings

import _ssl
from collections.abc import Callable, Hashable, Sequence
from typing import TypeVar

import certifi
import msgspec
from cryptography import x509
from service_identity import VerificationError
from service_identity.cryptography import extract_patterns
from service_identity.hazmat import DNS_ID, verify_service_identity
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa

from ._quiet import DSAPublicKey
from ..model import CertInfo, Outcome, TlsFacts

# OpenSSL X509_V_ERR_* codes (include/openssl/x509_vfy.h) that name a specific problem.
_VERIFY_CODES: dict[int, Outcome] = {
    2: Outcome.TLS_UNTRUSTED,  # unable to get issuer certificate
    9: Outcome.TLS_NOT_YET_VALID,  # certificate is not yet valid
    10: Outcome.TLS_EXPIRED,  # certificate has expired
    18: Outcome.TLS_SELF_SIGNED,  # self-signed certificate
    19: Outcome.TLS_SELF_SIGNED,  # self-signed certificate in certificate chain
    20: Outcome.TLS_UNTRUSTED,  # unable to get local issuer certificate
    21: Outcome.TLS_UNTRUSTED,  # unable to verify the first certificate
    62: Outcome.TLS_HOSTNAME_MISMATCH,  # hostname mismatch
    64: Outcome.TLS_HOSTNAME_MISMATCH,  # IP address mismatch
}

_ISO_UTC = "%Y-%m-%dT%H:%M:%SZ"


class TlsContexts:
    """The verifying and the unverified client context for one set of trust anchors."""

    def __init__(self, ca_bundles: Sequence[str] = ()) -> None:
        self.verifying = ssl.create_default_context(cafile=certifi.where())
        for bundle in ca_bundles:
            self.verifying.load_verify_locations(cafile=bundle)
        self.unverified = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # no trust store: nothing is verified
        self.unverified.check_hostname = False
        self.unverified.verify_mode = ssl.CERT_NONE

    @functools.cached_property
    def store(self) -> TrustStore:
        """The verifying context's trust anchors, by subject and by fingerprint (read once, on first use)."""
        return TrustStore(self.verifying.get_ca_certs(binary_form=True))


class TrustStore:
    """Who the scan trusts: each anchor's subject (RFC 4514) and SHA-256 fingerprint."""

    def __init__(self, ders: Sequence[bytes]) -> None:
        subjects, hashes = set(), set()
        for der in ders:
            try:
                with warnings.catch_warnings():  # a root with a non-positive serial: still a root the bundle trusts
                    warnings.simplefilter("ignore")
                    subjects.add(x509.load_der_x509_certificate(der).subject.rfc4514_string())
            except ValueError:
                continue
            hashes.add(hashlib.sha256(der).hexdigest())
        self.subjects, self.hashes = frozenset(subjects), frozenset(hashes)

    def anchors(self, last: CertInfo) -> bool:
        """Does the store hold the issuer of ``last`` (or ``last`` itself, a self-signed certificate)?"""
        if last.self_signed:
            return last.sha256 in self.hashes
        return last.issuer in self.subjects


@functools.cache
def _contexts(ca_bundles: tuple[str, ...]) -> TlsContexts:
    return TlsContexts(ca_bundles)


def get_contexts(ca_bundles: Sequence[str] = ()) -> TlsContexts:
    """The process-wide contexts for these extra CA bundles (built on first use)."""
    return _contexts(tuple(ca_bundles))


def classify_verify_error(exc: BaseException) -> tuple[Outcome, str]:
    """The TLS outcome of a failed handshake (given its ssl.SSLError), and OpenSSL's message.

    A certificate that fails verification for a reason without its own outcome
    (bad signature, invalid CA, wrong purpose, ...) is ``TLS_UNTRUSTED``: a
    certificate was served but cannot be trusted. Any other TLS error (no shared
    protocol or cipher, alert, garbage) is ``TLS_HANDSHAKE_FAILED``.
    """
    if isinstance(exc, ssl.SSLCertVerificationError):
        message = exc.verify_message or str(exc)
        if exc.verify_code in _VERIFY_CODES:
            return _VERIFY_CODES[exc.verify_code], message
        if "hostname mismatch" in message.lower():
            return Outcome.TLS_HOSTNAME_MISMATCH, message
        return Outcome.TLS_UNTRUSTED, message
    if isinstance(exc, ssl.SSLError):
        return Outcome.TLS_HANDSHAKE_FAILED, str(exc)
    return Outcome.TLS_HANDSHAKE_FAILED, f"{type(exc).__name__}: {exc}"


def _key_facts(cert: x509.Certificate) -> tuple[str, int | None]:
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA", key.key_size
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "EC", key.curve.key_size
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519", 256
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448", 456
    if isinstance(key, DSAPublicKey):
        return "DSA", key.key_size
    return type(key).__name__, None


def _san(cert: x509.Certificate) -> list[str]:
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return ext.get_values_for_type(x509.DNSName) + [str(ip) for ip in ext.get_values_for_type(x509.IPAddress)]


def _ca_issuers(cert: x509.Certificate) -> list[str]:
    try:
        aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    except (x509.ExtensionNotFound, ValueError):
        return []
    return [d.access_location.value for d in aia
            if d.access_method == x509.AuthorityInformationAccessOID.CA_ISSUERS
            and isinstance(d.access_location, x509.UniformResourceIdentifier)][:4]


def _is_self_signed(cert: x509.Certificate) -> bool:
    if cert.issuer != cert.subject:
        return False
    try:
        cert.verify_directly_issued_by(cert)
    except Exception:  # noqa: BLE001 - unsupported key type, bad signature, ...: not provably self-signed
        return False
    return True


_CERT_CACHE_SIZE = 2048  # parsed certificates kept (~1 KB each): one is served for many hosts and both families
_cert_cache: dict[str, CertInfo] = {}  # DER sha256 -> facts, least recently used first
_cert_cache_lock = threading.Lock()
_MISSING = object()
T = TypeVar("T")
K = TypeVar("K", bound=Hashable)


def cert_info(der: bytes) -> CertInfo:
    """Facts about a DER leaf certificate. Raises ValueError if it cannot be parsed.

    Parsed once per certificate (by the DER's SHA-256) while it is among the
    last ``_CERT_CACHE_SIZE`` used; each call gets its own copy.
    """
    digest = hashlib.sha256(der).hexdigest()
    facts = _remembered(_cert_cache, digest, lambda: _parse_cert(der, digest))
    return msgspec.structs.replace(facts, san=list(facts.san), ca_issuers=list(facts.ca_issuers))


def _remembered(cache: dict[K, T], key: K, make: Callable[[], T]) -> T:
    """``cache[key]``, made by ``make()`` when missing (an exception is not remembered); the least recently
    used go beyond ``_CERT_CACHE_SIZE``."""
    with _cert_cache_lock:
        found = cache.pop(key, _MISSING)
    value = make() if found is _MISSING else found
    with _cert_cache_lock:
        cache[key] = value  # the last used, last
        while len(cache) > _CERT_CACHE_SIZE:
            del cache[next(iter(cache))]
    return value  # type: ignore[return-value]


def _parse_cert(der: bytes, digest: str) -> CertInfo:
    cert = x509.load_der_x509_certificate(der)
    key_type, key_bits = _key_facts(cert)
    return CertInfo(
        sha256=digest,
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        san=_san(cert),
        not_before=cert.not_valid_before_utc.strftime(_ISO_UTC),
        not_after=cert.not_valid_after_utc.strftime(_ISO_UTC),
        key_type=key_type,
        key_bits=key_bits,
        self_signed=_is_self_signed(cert),
        ca_issuers=_ca_issuers(cert),
    )


_ENCODING_DER = getattr(_ssl, "ENCODING_DER", 2)  # _ssl.Certificate.public_bytes' format (ssl does not export it)
_MAX_CHAIN = 8  # certificates after the leaf recorded at most (a server may send any number)


def served_chain(ssl_object: ssl.SSLObject) -> list[bytes]:
    """The DER certificates the peer sent, leaf first, as sent (not as OpenSSL would build a path).

    ``SSLSocket.get_unverified_chain`` is public from Python 3.13; before, the same method is on the
    ``_ssl`` object inside the ``SSLObject``."""
    get = getattr(ssl_object, "get_unverified_chain", None) or getattr(
        getattr(ssl_object, "_sslobj", None), "get_unverified_chain", None)
    if get is None:
        return []
    certs = get() or []
    return [c if isinstance(c, bytes) else c.public_bytes(_ENCODING_DER) for c in certs[: _MAX_CHAIN + 1]]


def name_matches(der: bytes, host: str, digest: str | None = None) -> bool | None:
    """Do the certificate's subject alternative names cover ``host`` (RFC 6125: no CN fallback)? None: unknown.

    service_identity's own test (``verify_certificate_hostname``), with the certificate's names read once per
    certificate, and the answer remembered per (certificate, host), while among the last ``_CERT_CACHE_SIZE``
    asked about: the same certificate served over both families is checked once. ``digest``: the DER's
    SHA-256 (hex), when the caller has it."""
    digest = digest or hashlib.sha256(der).hexdigest()
    return _remembered(_matches_cache, (digest, host), lambda: _matches(der, digest, host))


def _matches(der: bytes, digest: str, host: str) -> bool | None:
    try:
        patterns = _remembered(_patterns_cache, digest, lambda: _patterns(der))
        if patterns is None:
            return None
        verify_service_identity(cert_patterns=patterns, obligatory_ids=[DNS_ID(host)], optional_ids=[])
    except VerificationError:
        return False
    except Exception:  # noqa: BLE001 - a certificate service_identity cannot read: not stated
        return None
    return True


_patterns_cache: dict[str, Sequence[object] | None] = {}  # DER sha256 -> the names service_identity read
_matches_cache: dict[tuple[str, str], bool | None] = {}  # (DER sha256, host) -> name_matches


def _patterns(der: bytes) -> Sequence[object] | None:
    try:
        return extract_patterns(x509.load_der_x509_certificate(der))
    except Exception:  # noqa: BLE001 - unreadable names: not stated
        return None


def tls_facts(ssl_object: ssl.SSLObject | None, outcome: Outcome, detail: str | None,
              store: TrustStore | None = None) -> TlsFacts:
    """What a completed handshake negotiated, the chain as served and whether the leaf names the host."""
    facts = TlsFacts(outcome=outcome, verify_detail=detail)
    if ssl_object is None:
        return facts
    facts.protocol = ssl_object.version()
    cipher = ssl_object.cipher()
    facts.cipher = cipher[0] if cipher else None
    der = ssl_object.getpeercert(binary_form=True)
    if not der:
        return facts
    try:
        facts.cert = cert_info(der)
        facts.intermediates = [cert_info(c) for c in served_chain(ssl_object)[1:]]
    except Exception:  # noqa: BLE001 - whatever a server sends must not end the probe
        facts.verify_detail = f"{detail + '; ' if detail else ''}unparsable certificate"
        return facts
    if store is not None:
        facts.issuer_in_store = store.anchors(facts.intermediates[-1] if facts.intermediates else facts.cert)
    if ssl_object.server_hostname:
        facts.name_matches = name_matches(der, ssl_object.server_hostname, facts.cert.sha256)
    return facts
