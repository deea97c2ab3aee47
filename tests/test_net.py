"""The network edge: lab routing, address parsing, special-purpose classification."""

from __future__ import annotations

import asyncio
import errno

import pytest

from ipv6scan.addresses import is_allowed, parse_prefixes, special_category
from ipv6scan.net import LabNetwork, Unroutable, normalise_ip, split_hostport


@pytest.mark.parametrize(
    "address, category",
    [
        ("8.8.8.8", None),
        ("2001:4860:4860::8888", None),
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("fd00::1", "unique_local"),
        ("fe80::1", "link_local"),
        ("::ffff:1.2.3.4", "ipv4_mapped"),
        ("2001:db8::1", "documentation"),
        ("192.0.2.1", "documentation"),
        ("10.1.2.3", "private"),
        ("100.64.0.1", "shared_cgnat"),
        ("ff02::1", "multicast"),
    ],
)
def test_special_categories(address, category):
    assert special_category(address) == category


@pytest.mark.parametrize(
    "address, category",
    [
        # 6to4 (2002::/16) and NAT64 (64:ff9b::/96) are as special as the IPv4 they carry
        ("2002:7f00:1::", "ipv4_embedded"),  # 127.0.0.1
        ("2002:a9fe:a9fe::1", "ipv4_embedded"),  # 169.254.169.254, cloud metadata
        ("2002:0a00:0001::", "ipv4_embedded"),  # 10.0.0.1
        ("2002:c0a8:0101::", "ipv4_embedded"),  # 192.168.1.1
        ("64:ff9b::7f00:1", "ipv4_embedded"),
        ("64:ff9b::a9fe:a9fe", "ipv4_embedded"),
        ("64:ff9b::10.1.2.3", "ipv4_embedded"),
        ("2002:0808:0808::1", None),  # 8.8.8.8 through 6to4: global
        ("64:ff9b::808:808", None),  # 8.8.8.8 through NAT64: global
        ("64:ff9b:1::1", "ipv4_translated"),  # local-use NAT64 prefix
        ("::127.0.0.1", "ipv4_compatible"),
        ("::10.0.0.1", "ipv4_compatible"),
        ("::ffff:0:7f00:1", "ipv4_translated"),  # SIIT
        ("fec0::1", "site_local"),
        ("5f00::1", "reserved"),  # SRv6 SIDs
        ("192.88.99.1", "reserved"),  # 6to4 relay anycast
        ("100::1", "reserved"),
        ("::", "unspecified"),
    ],
)
def test_addresses_that_reach_an_internal_ipv4_are_special(address, category):
    assert special_category(address) == category
    assert is_allowed(address, []) is (category is None)


def test_an_embedded_address_is_allowed_by_its_own_prefix_only():
    assert not is_allowed("2002:7f00:1::", parse_prefixes(["127.0.0.0/8"]))  # the IPv4 allowed, not the 6to4 path
    assert is_allowed("2002:7f00:1::", parse_prefixes(["2002:7f00::/24"]))


def test_allowed_prefixes():
    allowed = parse_prefixes(["2001:db8::/32"])
    assert is_allowed("2001:db8::10", allowed)
    assert not is_allowed("fd00::1", allowed)
    assert is_allowed("2a00:1450::1", [])
    with pytest.raises(ValueError, match="not an IP prefix"):
        parse_prefixes(["nonsense"])


@pytest.mark.parametrize(
    "text, expected",
    [("1.2.3.4", ("1.2.3.4", 53)), ("1.2.3.4:5353", ("1.2.3.4", 5353)), ("::1", ("::1", 53)), ("[::1]:5353", ("::1", 5353))],
)
def test_split_hostport(text, expected):
    assert split_hostport(text, 53) == expected


def test_lab_network_routes_only_its_table(tmp_path):
    net = LabNetwork({("2001:db8::10", 443): ("::1", 18443)})
    assert net.route("2001:DB8::10", 443) == ("::1", 18443)
    with pytest.raises(Unroutable) as info:
        net.route("2001:db8::11", 443)
    assert info.value.errno == errno.ENETUNREACH
    path = tmp_path / "routes.json"
    path.write_text(net.to_json())
    assert LabNetwork.from_file(path).routes == net.routes
    with pytest.raises(ValueError, match="family"):
        LabNetwork({("2001:db8::10", 443): ("127.0.0.1", 1)})
    with pytest.raises(ValueError, match="loopback"):
        LabNetwork({("192.0.2.1", 443): ("10.0.0.1", 1)})


async def test_open_tcp_is_pinned_to_the_routed_family():
    got = []

    async def handle(reader, writer):
        got.append(writer.get_extra_info("peername")[0])
        writer.close()

    server = await asyncio.start_server(handle, "::1", 0)
    port = server.sockets[0].getsockname()[1]
    net = LabNetwork({("2001:db8::1", 80): ("::1", port)})
    reader, writer = await net.open_tcp("2001:db8::1", 80, timeout=2)
    await reader.read()
    writer.close()
    server.close()
    assert got == ["::1"]
    with pytest.raises(OSError):
        await net.open_tcp("192.0.2.1", 80, timeout=2)


async def test_a_bare_tls_handshake_says_what_was_negotiated_and_times_out_on_a_silent_server() -> None:
    """Network.tls_handshake (the TLS-version probes): the handshake alone, no streams; a server that accepts
    and never answers the ClientHello is a TimeoutError within the timeout, a closed port a refusal."""
    import ssl
    import time

    import trustme

    ca = trustme.CA()
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("www.example.test").configure_cert(server_ctx)
    client_ctx = ssl.create_default_context()
    ca.configure_trust(client_ctx)

    async def quiet(reader, writer):
        await asyncio.sleep(5)

    tls_server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0, ssl=server_ctx)
    silent = await asyncio.start_server(quiet, "127.0.0.1", 0)
    closed = await asyncio.start_server(quiet, "127.0.0.1", 0)
    closed_port = closed.sockets[0].getsockname()[1]
    closed.close()
    await closed.wait_closed()
    net = LabNetwork({("192.0.2.1", 443): ("127.0.0.1", tls_server.sockets[0].getsockname()[1]),
                      ("192.0.2.2", 443): ("127.0.0.1", silent.sockets[0].getsockname()[1]),
                      ("192.0.2.3", 443): ("127.0.0.1", closed_port)})
    try:
        transport = await net.tls_handshake("192.0.2.1", 443, timeout=2, ssl=client_ctx,
                                            server_hostname="www.example.test")
        assert transport.get_extra_info("ssl_object").version() in ("TLSv1.2", "TLSv1.3")
        transport.abort()
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            await net.tls_handshake("192.0.2.2", 443, timeout=0.3, ssl=client_ctx, server_hostname="www.example.test")
        assert time.monotonic() - started < 1.5
        with pytest.raises(ConnectionRefusedError):
            await net.tls_handshake("192.0.2.3", 443, timeout=2, ssl=client_ctx, server_hostname="www.example.test")
        with pytest.raises(Unroutable):
            await net.tls_handshake("192.0.2.9", 443, timeout=2, ssl=client_ctx, server_hostname="www.example.test")
    finally:
        tls_server.close()
        silent.close()


@pytest.mark.parametrize(
    ("written", "canonical"),
    [("::FFFF:C000:0201", "::ffff:192.0.2.1"), ("::ffff:192.0.2.1", "::ffff:192.0.2.1"),
     ("[2001:DB8:0::1]", "2001:db8::1"), ("192.0.2.1", "192.0.2.1"), ("::ffff:0:c000:201", "::ffff:0:c000:201")],
)
def test_one_written_form_of_an_address(written, canonical):
    assert normalise_ip(written) == canonical
