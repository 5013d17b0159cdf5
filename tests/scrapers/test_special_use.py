"""Special-use addresses (``scrapers.special_use``): the IANA registries as an explicit table,
IPv4 carried inside IPv6 judged as IPv4, and the check applied where the connection is made."""

from __future__ import annotations

import asyncio
import ipaddress

import httpx
import pytest
from crawler_helpers import FAST_RETRY, make_source

from scrapers import FetchError, open_client
from scrapers.guard import address_refusal
from scrapers.http import make_http_client
from scrapers.special_use import IPV4_SPECIAL, IPV6_SPECIAL, embedded_ipv4, special_use

pytestmark = [pytest.mark.timeout(60)]


@pytest.mark.parametrize(("address", "why"), [
    # 6to4 carrying loopback, private, metadata, CGNAT
    ("2002:7f00:1::", "6to4 for 127.0.0.1"),
    ("2002:a00:1::1", "6to4 for 10.0.0.1"),
    ("2002:a9fe:a9fe::", "6to4 for 169.254.169.254"),
    ("2002:6440:1::", "6to4 for 100.64.0.1"),
    # NAT64, well-known and local-use (RFC 6052 /48 layout skips the u octet)
    ("64:ff9b::7f00:1", "NAT64 for 127.0.0.1"),
    ("64:ff9b::a9fe:a9fe", "NAT64 for 169.254.169.254"),
    ("64:ff9b:1:c0a8:1:100::", "NAT64 local-use for 192.168.1.1"),
    # IPv4-mapped and IPv4-compatible
    ("::ffff:127.0.0.1", "IPv4-mapped for 127.0.0.1"),
    ("::ffff:10.1.2.3", "IPv4-mapped for 10.1.2.3"),
    ("::127.0.0.1", "IPv4-compatible for 127.0.0.1"),
    ("::a9fe:a9fe", "IPv4-compatible for 169.254.169.254"),
    # Teredo: server 65.54.227.120, client 127.0.0.1 obfuscated (~0x7f000001 = 0x80fffffe)
    ("2001:0:4136:e378:8000:63bf:80ff:fffe", "Teredo client for 127.0.0.1"),
    # plain IPv6 special ranges, and space outside 2000::/3
    ("fec0::1", "site-local"),
    ("fc00::1", "unique-local"),
    ("fe80::1", "link-local"),
    ("::1", "loopback"),
    ("::", "unspecified"),
    ("ff02::1", "multicast"),
    ("2001:db8::1", "documentation"),
    ("3fff::1", "documentation"),
    ("100::1", "discard-only"),
    ("5f00::1", "segment routing"),
    ("4000::1", "outside 2000::/3"),
    ("2001:4:112::1", "IETF protocol assignments"),
    # IPv4
    ("0.1.2.3", "this network"),
    ("100.64.0.1", "shared address space"),
    ("192.0.0.9", "IETF protocol assignments"),
    ("192.88.99.1", "6to4 relay"),
    ("198.18.0.1", "benchmarking"),
    ("224.0.0.251", "multicast"),
    ("255.255.255.255", "broadcast"),
    ("240.0.0.1", "reserved"),
])
def test_special_use_addresses_are_refused_with_the_range(address: str, why: str) -> None:
    reason = special_use(address)
    assert reason is not None and why in reason
    assert address_refusal(address) == reason


@pytest.mark.parametrize("address", [
    "93.184.216.34", "1.1.1.1", "223.5.5.5", "2400:3200::1", "2606:4700:4700::1111",
    "2002:5db8:d822::1",  # 6to4 of a public IPv4
    "::ffff:93.184.216.34",  # IPv4-mapped public
    "64:ff9b::5db8:d822",  # NAT64 of a public IPv4 (IPv6-only networks reach portals this way)
])
def test_public_addresses_pass(address: str) -> None:
    assert special_use(address) is None


def test_carriers_that_are_themselves_special_stay_refused_for_a_public_ipv4() -> None:
    assert "Teredo" in (special_use("2001:0:4136:e378:8000:63bf:a247:2dcb") or "")
    assert "IPv4-compatible" in (special_use("::5db8:d822") or "")
    assert "local-use" in (special_use("64:ff9b:1:5db8:d8:2200::") or "")


def test_scoped_and_malformed_addresses_are_refused() -> None:
    assert "scoped" in (address_refusal("fe80::1%eth0") or "")
    assert "not an IP address" in (address_refusal("www.example.gov.cn") or "")


def test_embedded_ipv4_decodes_every_carrier() -> None:
    v4 = ipaddress.IPv4Address("198.51.100.7")
    forms = {
        "::ffff:198.51.100.7": "IPv4-mapped",
        "::198.51.100.7": "IPv4-compatible",
        "64:ff9b::198.51.100.7": "NAT64",
        "2002:c633:6407::": "6to4",
    }
    for address, form in forms.items():
        assert embedded_ipv4(ipaddress.IPv6Address(address)) == [(v4, form)]
    server, client = embedded_ipv4(ipaddress.IPv6Address("2001:0:4136:e378:8000:63bf:3fff:fdd2"))
    assert (str(server[0]), str(client[0])) == ("65.54.227.120", "192.0.2.45")  # RFC 4380's example


def test_the_tables_cover_the_ranges_python_calls_private() -> None:
    """Every range Python 3.11 calls private is in the table (the table may say more)."""
    for net in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "169.254.0.0/16", "0.0.0.0/8"):
        assert any(ipaddress.ip_network(net).subnet_of(n) for n, _ in IPV4_SPECIAL)
    for net in ("fc00::/7", "fe80::/10", "2001:db8::/32", "::1/128"):
        assert any(ipaddress.ip_network(net).subnet_of(n) for n, _ in IPV6_SPECIAL)


# -- at connect time, on a real socket ---------------------------------------------------------

@pytest.mark.anyio
@pytest.mark.parametrize("answer", [
    ["2002:7f00:1::1"],
    ["64:ff9b::7f00:1"],
    ["::ffff:127.0.0.1"],
    ["93.184.216.34", "::ffff:127.0.0.1"],  # one bad answer among good ones refuses the host
    ["fec0::1"],
])
async def test_every_address_a_name_resolves_to_is_checked_where_aiohttp_connects(settings, answer: list[str]) -> None:  # type: ignore[no-untyped-def]
    accepted: list[int] = []

    async def on_conn(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(1)
        writer.close()

    server = await asyncio.start_server(on_conn, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]

    async def rebinding(host: str) -> list[str]:
        return answer

    try:
        async with make_http_client(settings, allow_private=False, resolver=rebinding) as http:
            with pytest.raises(httpx.ConnectError, match="refused"):
                await http.get(f"http://www.example.gov.cn:{port}/")
    finally:
        server.close()
        await server.wait_closed()
    assert accepted == []


@pytest.mark.anyio
@pytest.mark.parametrize("literal", ["[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "[64:ff9b::7f00:1]", "[2002:7f00:1::]"])
async def test_ip_literals_carrying_loopback_are_refused_through_the_client(settings, literal: str) -> None:  # type: ignore[no-untyped-def]
    """Through the whole client on the real transport: refused, logged, nothing accepted.
    (``::ffff:127.0.0.1`` really reaches a 127.0.0.1 server on a dual-stack socket.)"""
    accepted: list[int] = []

    async def on_conn(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(1)
        writer.close()

    server = await asyncio.start_server(on_conn, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    url = f"http://{literal}:{port}/a.html"
    try:
        async with open_client(make_source(url), settings, retry=FAST_RETRY) as c:
            with pytest.raises(FetchError) as ei:
                await c.fetch(url)
    finally:
        server.close()
        await server.wait_closed()
    assert ei.value.kind == "refused" and "non-public" in ei.value.reason
    assert accepted == [] and c.log[-1].error is not None
