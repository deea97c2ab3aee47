"""probe_smtp against the testnet SMTP server over loopback."""

from __future__ import annotations

import socket

import pytest

from ipv6scan.model import Family, Outcome
from ipv6scan.net import LabNetwork, Network
from ipv6scan.probe.smtp import probe_smtp
from ipv6scan.testnet.smtp_server import SmtpServer

TIMEOUT = 0.3


async def serve(banner: str, host: str) -> tuple[SmtpServer, int]:
    server = SmtpServer(banner)
    return server, await server.start(host)


@pytest.mark.parametrize(("host", "family"), [("::1", Family.V6), ("127.0.0.1", Family.V4)])
async def test_greeting_220(host, family):
    server, port = await serve("220 mail.example.vn ESMTP ready", host)
    try:
        probe = await probe_smtp(Network(), host, port, timeout=TIMEOUT)
    finally:
        await server.close()
    assert (probe.outcome, probe.family, probe.port) == (Outcome.OK, family, port)
    assert probe.banner == "220 mail.example.vn ESMTP ready" and probe.detail is None
    assert server.connections == 1


async def test_multiline_greeting_keeps_first_line():
    server, port = await serve("220-mail.example.vn welcome\n220-second line\n220 ready", "::1")
    try:
        probe = await probe_smtp(Network(), "::1", port, timeout=TIMEOUT)
    finally:
        await server.close()
    assert probe.outcome == Outcome.OK and probe.banner == "220-mail.example.vn welcome"


async def test_banner_is_truncated():
    server, port = await serve("220 " + "x" * 500, "::1")
    try:
        probe = await probe_smtp(Network(), "::1", port, timeout=TIMEOUT)
    finally:
        await server.close()
    assert probe.outcome == Outcome.OK and len(probe.banner) == 200


@pytest.mark.parametrize(
    ("banner", "detail"),
    [("554 5.7.1 no service for you", "554"), ("HTTP/1.1 400 Bad Request", "not an SMTP reply")],
)
async def test_not_a_220_greeting(banner, detail):
    server, port = await serve(banner, "127.0.0.1")
    try:
        probe = await probe_smtp(Network(), "127.0.0.1", port, timeout=TIMEOUT)
    finally:
        await server.close()
    assert probe.outcome == Outcome.PROTOCOL_ERROR
    assert probe.banner == banner and detail in probe.detail


async def test_closed_port_is_refused():
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
        s.bind(("::1", 0))
        port = s.getsockname()[1]
    probe = await probe_smtp(Network(), "::1", port, timeout=TIMEOUT)
    assert probe.outcome == Outcome.REFUSED and probe.banner is None


async def test_silent_server_times_out_after_retries():
    server, port = await serve("", "::1")  # accepts, never greets
    try:
        probe = await probe_smtp(Network(), "::1", port, timeout=TIMEOUT, retries=1)
    finally:
        await server.close()
    assert probe.outcome == Outcome.TIMEOUT and "2 attempts" in probe.detail
    assert server.connections == 2
    assert probe.elapsed_ms >= 2 * TIMEOUT * 1000 * 0.9


async def test_lab_routes_and_unroutable():
    server, port = await serve("220 lab ESMTP", "::1")
    lab = LabNetwork({("2001:db8::25", 25): ("::1", port)})
    try:
        routed = await probe_smtp(lab, "2001:db8::25", 25, timeout=TIMEOUT)
        unrouted = await probe_smtp(lab, "2001:db8::26", 25, timeout=TIMEOUT)
    finally:
        await server.close()
    assert (routed.outcome, routed.address, routed.port) == (Outcome.OK, "2001:db8::25", 25)
    assert unrouted.outcome == Outcome.UNREACHABLE and server.connections == 1


# ------------------------------------------------------------ EHLO and STARTTLS (from schema 1.8)


@pytest.fixture(scope="module")
def certs():
    from ipv6scan.testnet.web_server import CertFactory

    return CertFactory()


@pytest.mark.parametrize("host", ["::1", "127.0.0.1"])
async def test_starttls_offered_is_taken_and_nothing_but_ehlo_starttls_and_quit_is_said(host, certs):
    server = SmtpServer("220 mail.example.vn ESMTP", tls=certs.context_for("valid", ["mail.example.vn"]))
    port = await server.start(host)
    try:
        probe = await probe_smtp(Network(), host, port, timeout=2, server_name="mail.example.vn")
    finally:
        await server.close()
    assert (probe.outcome, probe.starttls, probe.tls_protocol) == (Outcome.OK, Outcome.OK, "TLSv1.3")
    assert probe.ehlo == ["PIPELINING", "8BITMIME", "STARTTLS"]
    assert [c.split(" ")[0] for c in server.commands] == ["EHLO", "STARTTLS", "QUIT"]  # the QUIT over TLS
    # EHLO names this end of the connection by its address literal (RFC 5321 4.1.3), not a bare host name
    assert server.commands[0] == ("EHLO [IPv6:::1]" if host == "::1" else "EHLO [127.0.0.1]")


async def test_no_starttls_offered_and_a_handshake_that_fails_are_told_apart():
    plain = SmtpServer("220 mail.example.vn ESMTP")
    broken = SmtpServer("220 mail.example.vn ESMTP", broken_tls=True)
    ports = [await plain.start("::1"), await broken.start("::1")]
    try:
        offered_none, failed = [await probe_smtp(Network(), "::1", p, timeout=2) for p in ports]
    finally:
        await plain.close()
        await broken.close()
    assert (offered_none.outcome, offered_none.ehlo, offered_none.starttls) == (
        Outcome.OK, ["PIPELINING", "8BITMIME"], None)
    assert [c.split(" ")[0] for c in plain.commands] == ["EHLO", "QUIT"]
    assert failed.outcome == Outcome.OK and failed.starttls not in (None, Outcome.OK)
    assert failed.tls_detail.startswith("TLS handshake: ") and failed.tls is None


async def test_a_mail_server_speaking_only_tls_1_0_still_encrypts_as_senders_see_it(certs):
    """Opportunistic TLS takes TLS 1.0 (Postfix's default, ">=TLSv1"): such a server encrypts the mail it is sent,
    and what it negotiated is recorded (not a failed handshake, as a TLS 1.2-only client would see it)."""
    old = SmtpServer("220 mail.example.vn ESMTP", tls=certs.context_for("valid", ["mail.example.vn"], ("TLSv1", "TLSv1")))
    port = await old.start("::1")
    try:
        probe = await probe_smtp(Network(), "::1", port, timeout=2, server_name="mail.example.vn")
    finally:
        await old.close()
    assert (probe.starttls, probe.tls_protocol) == (Outcome.OK, "TLSv1")
    assert probe.tls is not None and probe.tls.name_matches is True


async def test_a_greeting_that_is_not_220_asks_nothing_more():
    server, port = await serve("554 no service", "::1")
    try:
        probe = await probe_smtp(Network(), "::1", port, timeout=TIMEOUT)
    finally:
        await server.close()
    assert probe.outcome == Outcome.PROTOCOL_ERROR and probe.ehlo is None and probe.starttls is None
    assert [c.split(" ")[0] for c in server.commands] == ["QUIT"]
