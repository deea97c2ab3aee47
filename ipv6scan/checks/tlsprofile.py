"""tls.profile.ipv6, tls.profile.ipv4: each HTTPS address against a named TLS profile, per family.

The profile is data (``checks/tls-profiles.toml``, Mozilla's "intermediate" by default; a scan may
choose another, ``--tls-profile``, kept in each host's facts): the protocol versions a server may accept,
the ones it should, and the smallest certificate keys.
Per address of the family, from the versions asked one by one (``TlsFacts.versions``):

* accepting a version the profile does not allow (TLS 1.0 or 1.1 for "intermediate") fails, naming
  the address and the versions; so does a certificate key below the profile's size;
* not accepting a recommended version (TLS 1.3) is a warning;
* a version whose answer is unknown (the try timed out) is said, never counted as refused.

It says nothing about IPv6 reachability, so it does not count for the verdict: a policy scores it.
"""

from __future__ import annotations

from typing import Any

from ..model import CheckResult, Family, HostFacts, WebProbe
from ._facts import FAMILIES, cert_probes, untested_ipv6, where
from ._profiles import TlsProfile, profile_names
from ._registry import FAIL, N_A, PASS, UNTESTED, WARN, CheckContext, check, result, say

_REASONS = ("profile_ok", "profile_old_versions", "profile_weak_key", "profile_missing_recommended",
            "profile_unknown_versions", "profile_not_shipped", "scanner_no_ipv6", "not_probed")


@check(ids=tuple(f"tls.profile.{f}" for f in FAMILIES), area="tls", order=92, counts=False, reasons=_REASONS)
def check_tls_profile(facts: HostFacts, ctx: CheckContext) -> list[CheckResult]:
    """tls.profile.<family>: every HTTPS address of the family accepts only the profile's TLS versions
    (and the recommended ones), with a key of the profile's size."""
    if ctx.tls_profile is None:  # a scan saved by a version that shipped the profile it chose
        said = say("profile.not_shipped", name=facts.tls_profile or "", known=profile_names())
        return [result(f"tls.profile.{family}", UNTESTED, "profile_not_shipped", said) for family in FAMILIES]
    return [_family(facts, family, ctx.tls_profile) for family in FAMILIES]


def _accepted(p: WebProbe) -> list[str]:
    return [t.version for t in p.tls.versions if t.accepted]


def _weak_key(p: WebProbe, profile: TlsProfile) -> bool:
    cert = p.tls.cert
    if cert is None or cert.key_bits is None:
        return False
    minimum = {"RSA": profile.rsa_min_bits, "EC": profile.ecdsa_min_bits, "DSA": profile.rsa_min_bits}.get(cert.key_type)
    return minimum is not None and cert.key_bits < minimum


def _family(facts: HostFacts, family: Family, profile: TlsProfile) -> CheckResult:
    cid = f"tls.profile.{family}"
    asked = [p for p in cert_probes(facts, family) if p.tls.versions]
    named = say("profile.named", title=profile.title, allowed=list(profile.versions))
    if not asked:
        untested = untested_ipv6(cid, facts.web, say("what.profile6")) if family is Family.V6 else None
        return untested or result(cid, N_A, "not_probed", say("profile.not_asked", family=family.value))
    fails: list[dict[str, Any]] = []
    code = None
    for p in asked:
        extra = [v for v in _accepted(p) if v not in profile.versions]
        if extra:
            fails.append(say("profile.accepts", where=where(p), versions=extra))
            code = code or "profile_old_versions"
        if _weak_key(p, profile):
            fails.append(say("profile.weak_key", where=where(p), kind=p.tls.cert.key_type, bits=p.tls.cert.key_bits))
            code = code or "profile_weak_key"
    if fails:
        return result(cid, FAIL, code, say("profile.fails", profile=named, items=fails))
    missing = [say("profile.lacks", where=where(p), versions=[v for v in profile.recommended if v not in _accepted(p)])
               for p in asked if any(v not in _accepted(p) for v in profile.recommended)
               and all(t.accepted is not None for t in p.tls.versions if t.version in profile.recommended)]
    if missing:
        return result(cid, WARN, "profile_missing_recommended", say("profile.warns", profile=named, items=missing))
    unknown = [say("profile.unknown", where=where(p), versions=[t.version for t in p.tls.versions if t.accepted is None])
               for p in asked if any(t.accepted is None for t in p.tls.versions)]
    if unknown:
        return result(cid, WARN, "profile_unknown_versions", say("profile.warns", profile=named, items=unknown))
    versions = sorted({v for p in asked for v in _accepted(p)})
    return result(cid, PASS, "profile_ok", say("profile.ok", profile=named, versions=versions,
                                               where=[where(p) for p in asked], n=len(asked)))
