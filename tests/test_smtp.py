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
