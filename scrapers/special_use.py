"""The addresses a public source may never connect to: the IANA special-purpose registries, written out.

Why a table and not ``ipaddress``'s ``is_global`` / ``is_private``: their answers depend on
the Python version (3.11 counts ``fec0::/10`` site-local as global, ``2002::/16`` 6to4 as
global whatever IPv4 it carries, and misses ranges registered since), and they never look
inside an IPv6 address that embeds an IPv4 one. A crawler's refusal must not change with
an interpreter upgrade, so the ranges are listed here with their source, in one place.

Sources (as of 2026-12): the IANA IPv4 Special-Purpose Address Registry, the IANA IPv6
Special-Purpose Address Registry, and the IANA IPv6 Address Space registry, of which only
``2000::/3`` is global unicast (so ``fec0::/10``, ``4000::/3`` … are refused as
"not global unicast"). Every registered range is refused, even the few the registry marks
globally reachable (anycast services such as AS112 or TURN): a report portal is never one
of them, and a shorter rule is easier to trust.

IPv6 forms that carry an IPv4 address are judged by that IPv4 address: IPv4-mapped
(``::ffff:0:0/96``), IPv4-compatible (``::/96``, deprecated), NAT64 (``64:ff9b::/96``
and the local-use ``64:ff9b:1::/48``, RFC 6052 layout), 6to4 (``2002::/16``) and Teredo
(``2001::/32``, server and obfuscated client). Where the carrier range is itself special
(IPv4-compatible, local-use NAT64, Teredo) the address stays refused even when the IPv4
inside is public.
"""

from __future__ import annotations

import ipaddress
from typing import Final

__all__ = ["IPV4_SPECIAL", "IPV6_SPECIAL", "embedded_ipv4", "special_use"]

IPv4 = ipaddress.IPv4Network
IPv6 = ipaddress.IPv6Network

#: (range, what it is) — IANA IPv4 Special-Purpose Address Registry, plus multicast (RFC 5771)
IPV4_SPECIAL: Final[tuple[tuple[IPv4, str], ...]] = tuple((IPv4(net), why) for net, why in (
    ("0.0.0.0/8", "'this network' (RFC 791)"),
    ("10.0.0.0/8", "private-use (RFC 1918)"),
    ("100.64.0.0/10", "shared address space / carrier-grade NAT (RFC 6598)"),
    ("127.0.0.0/8", "loopback (RFC 1122)"),
    ("169.254.0.0/16", "link-local (RFC 3927)"),
    ("172.16.0.0/12", "private-use (RFC 1918)"),
    ("192.0.0.0/24", "IETF protocol assignments (RFC 6890)"),
    ("192.0.2.0/24", "documentation TEST-NET-1 (RFC 5737)"),
    ("192.31.196.0/24", "AS112-v4 (RFC 7535)"),
    ("192.52.193.0/24", "AMT (RFC 7450)"),
    ("192.88.99.0/24", "deprecated 6to4 relay anycast (RFC 7526)"),
    ("192.168.0.0/16", "private-use (RFC 1918)"),
    ("192.175.48.0/24", "direct delegation AS112 service (RFC 7534)"),
    ("198.18.0.0/15", "benchmarking (RFC 2544)"),
    ("198.51.100.0/24", "documentation TEST-NET-2 (RFC 5737)"),
    ("203.0.113.0/24", "documentation TEST-NET-3 (RFC 5737)"),
    ("224.0.0.0/4", "multicast (RFC 5771)"),
    ("240.0.0.0/4", "reserved (RFC 1112)"),
    ("255.255.255.255/32", "limited broadcast (RFC 919)"),
))

#: (range, what it is) — IANA IPv6 Special-Purpose Address Registry, plus the ranges of the
#: IPv6 Address Space registry inside 2000::/3 that are not global unicast
IPV6_SPECIAL: Final[tuple[tuple[IPv6, str], ...]] = tuple((IPv6(net), why) for net, why in (
    ("::1/128", "loopback (RFC 4291)"),
    ("::/128", "unspecified (RFC 4291)"),
    ("::ffff:0:0/96", "IPv4-mapped (RFC 4291)"),
    ("::/96", "IPv4-compatible, deprecated (RFC 4291)"),
    ("64:ff9b::/96", "NAT64 well-known prefix (RFC 6052)"),
    ("64:ff9b:1::/48", "local-use IPv4/IPv6 translation (RFC 8215)"),
    ("100::/64", "discard-only (RFC 6666)"),
    ("100:0:0:1::/64", "dummy IPv6 prefix (RFC 9780)"),
    ("2001::/23", "IETF protocol assignments (RFC 2928)"),
    ("2001::/32", "Teredo (RFC 4380)"),
    ("2001:db8::/32", "documentation (RFC 3849)"),
    ("2002::/16", "6to4 (RFC 3056)"),
    ("2620:4f:8000::/48", "direct delegation AS112 service (RFC 7534)"),
    ("3fff::/20", "documentation (RFC 9637)"),
    ("5f00::/16", "segment routing SIDs (RFC 9602)"),
    ("fc00::/7", "unique-local (RFC 4193)"),
    ("fe80::/10", "link-local (RFC 4291)"),
    ("fec0::/10", "site-local, deprecated (RFC 3879)"),
    ("ff00::/8", "multicast (RFC 4291)"),
))

_GLOBAL_UNICAST: Final = IPv6("2000::/3")
_MAPPED, _COMPAT, _NAT64, _NAT64_LOCAL, _TEREDO, _6TO4 = (
    IPv6("::ffff:0:0/96"), IPv6("::/96"), IPv6("64:ff9b::/96"), IPv6("64:ff9b:1::/48"),
    IPv6("2001::/32"), IPv6("2002::/16"),
)
#: the tables, most specific range first, so a reason names the narrowest range
_V4_BY_SPECIFICITY: Final = sorted(IPV4_SPECIAL, key=lambda item: -item[0].prefixlen)
_V6_BY_SPECIFICITY: Final = sorted(IPV6_SPECIAL, key=lambda item: -item[0].prefixlen)
#: carriers judged only by the IPv4 they embed (the registry marks them reachable or N/A)
_TRANSPARENT: Final = (_MAPPED, _NAT64, _6TO4)


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[tuple[ipaddress.IPv4Address, str]]:
    """The IPv4 addresses an IPv6 address carries, each with the form that carries it."""
    n = int(ip)
    if ip in _MAPPED:
        return [(ipaddress.IPv4Address(n & 0xFFFFFFFF), "IPv4-mapped")]
    if ip in _COMPAT and n > 1:  # ::, ::1 are not IPv4-compatible addresses
        return [(ipaddress.IPv4Address(n & 0xFFFFFFFF), "IPv4-compatible")]
    if ip in _NAT64:
        return [(ipaddress.IPv4Address(n & 0xFFFFFFFF), "NAT64")]
    if ip in _NAT64_LOCAL:
        # RFC 6052 /48 layout: IPv4 bits 0-15 in bits 48-63, bits 64-71 are the zero "u" octet
        hi = (n >> 64) & 0xFFFF
        lo = (n >> 40) & 0xFFFF
        return [(ipaddress.IPv4Address((hi << 16) | lo), "NAT64 local-use")]
    if ip in _6TO4:
        return [(ipaddress.IPv4Address((n >> 80) & 0xFFFFFFFF), "6to4")]
    if ip in _TEREDO:
        server = ipaddress.IPv4Address((n >> 64) & 0xFFFFFFFF)
        client = ipaddress.IPv4Address(~n & 0xFFFFFFFF)
        return [(server, "Teredo server"), (client, "Teredo client")]
    return []


def _v4_special(ip: ipaddress.IPv4Address) -> str | None:
    for net, why in _V4_BY_SPECIFICITY:
        if ip in net:
            return f"{net} {why}"
    return None


def special_use(address: str | ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why ``address`` is special-use (so never connected to for a public source), or None.

    Raises ``ValueError`` for something that is not an IP address (a scoped address
    ``fe80::1%eth0`` included: a zone only means anything on a link-local address).
    """
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    if isinstance(ip, ipaddress.IPv4Address):
        why = _v4_special(ip)
        return f"address {ip} is in {why}" if why else None
    for v4, form in embedded_ipv4(ip):
        why = _v4_special(v4)
        if why:
            return f"address {ip} is {form} for {v4}, in {why}"
    if any(ip in net for net in _TRANSPARENT):
        return None
    for net, why in _V6_BY_SPECIFICITY:
        if ip in net:
            return f"address {ip} is in {net} {why}"
    if ip not in _GLOBAL_UNICAST:
        return f"address {ip} is outside 2000::/3, the only global unicast space (IANA IPv6 address space)"
    return None
