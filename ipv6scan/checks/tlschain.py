"""tls.chain and tls.name: the certificate chain exactly as served, and the host name, each judged on its own.

OpenSSL reports the first problem it meets, so a certificate with a broken chain never says whether
it names the host, and "unable to get local issuer certificate" says nothing of why. From the chain
as served (``TlsFacts.intermediates``) and whether the trust store holds the issuer of its last
certificate (``TlsFacts.issuer_in_store``), per HTTPS address:

* the last certificate's issuer is trusted: the chain is complete;
* the chain ends at a self-signed root nobody trusts: an untrusted root;
* the last certificate is not self-signed, its issuer neither sent nor trusted, and it names where its
  issuer's certificate is published (AIA caIssuers): a missing intermediate — the server leaves out a
  certificate browsers must fetch or already hold;
* the same without such a pointer: an untrusted issuer;
* a self-signed leaf alone: self-signed.

tls.name states whether the leaf's names cover the host (RFC 6125, no common-name fallback) even when
the chain fails first. Neither counts for the verdict (``tls.ipv6``/``tls.ipv4`` do): they explain.
"""

from __future__ import annotations

from typing import Any

from ..model import CertInfo, CheckResult, Family, HostFacts, WebProbe
from ._facts import cert_probes, where
from ._registry import FAIL, N_A, PASS, CheckContext, check, result, say

_CHAIN_PROBLEMS = ("chain_missing_intermediate", "chain_untrusted_root", "chain_untrusted_issuer",
                   "chain_self_signed")


def _served(facts: HostFacts) -> list[WebProbe]:
    return cert_probes(facts, Family.V6) + cert_probes(facts, Family.V4)


def chain_state(p: WebProbe) -> tuple[str, dict[str, Any]] | None:
    """The chain's state at one address (a reason code and its fragment); None: not recorded."""
    t = p.tls
    if t is None or t.cert is None or t.issuer_in_store is None:
        return None
    last: CertInfo = t.intermediates[-1] if t.intermediates else t.cert
    sent = len(t.intermediates) + 1
    if t.issuer_in_store:
        return "chain_ok", say("chain.complete", where=where(p), sent=sent)
    if last.self_signed and not t.intermediates:
        return "chain_self_signed", say("chain.self_signed", where=where(p), subject=last.subject)
    if last.self_signed:
        return "chain_untrusted_root", say("chain.untrusted_root", where=where(p), sent=sent, root=last.subject)
    if last.ca_issuers:
        return "chain_missing_intermediate", say("chain.missing_intermediate", where=where(p), sent=sent,
                                                 issuer=last.issuer, url=last.ca_issuers[0])
    return "chain_untrusted_issuer", say("chain.untrusted_issuer", where=where(p), sent=sent, issuer=last.issuer)


@check(ids=("tls.chain",), area="tls", order=62, counts=False,
       reasons=("chain_ok", *_CHAIN_PROBLEMS, "not_probed"))
def check_tls_chain(facts: HostFacts, ctx: CheckContext) -> list[CheckResult]:
    """tls.chain: every HTTPS address serves a chain that reaches a trusted root (missing intermediate,
    untrusted root or issuer told apart)."""
    states = [s for s in map(chain_state, _served(facts)) if s is not None]
    if not states:
        return [result("tls.chain", N_A, "not_probed", say("no_certificate"))]
    bad = [(code, fragment) for code, fragment in states if code != "chain_ok"]
    if not bad:
        return [result("tls.chain", PASS, "chain_ok", say("chain_ok", items=[f for _, f in states]))]
    worst = min((code for code, _ in bad), key=_CHAIN_PROBLEMS.index)
    return [result("tls.chain", FAIL, worst, say("chain_problems", items=[f for _, f in bad]))]


@check(ids=("tls.name",), area="tls", order=64, counts=False, reasons=("name_ok", "name_mismatch", "not_probed"))
def check_tls_name(facts: HostFacts, ctx: CheckContext) -> list[CheckResult]:
    """tls.name: the certificate at every HTTPS address names the host, whatever else is wrong with it."""
    stated = [p for p in _served(facts) if p.tls.name_matches is not None]
    if not stated:
        return [result("tls.name", N_A, "not_probed", say("no_certificate"))]
    wrong = [p for p in stated if not p.tls.name_matches]
    if wrong:
        items = [say("name.names", where=where(p), names=p.tls.cert.san or [say("name.none")]) for p in wrong]
        return [result("tls.name", FAIL, "name_mismatch", say("name_mismatch", host=facts.display, items=items))]
    return [result("tls.name", PASS, "name_ok", say("name_ok", host=facts.display))]
