"""Where the crawler may go: scheme, host allow-list, and the addresses a host resolves to.

Order matters. The host allow-list is checked on the URL string first, so a redirect to
``http://169.254.169.254/`` or ``http://10.0.0.1/`` is refused without a DNS lookup or a
connection. Only an allowed host is resolved, and every address it resolves to must be
public unless the source is a loopback test/demo site (``allow_private``). The same
address check runs again at connect time (``scrapers.transport``), so DNS
answers that change between the check and the connection (rebinding) gain nothing.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable
from urllib.parse import urlsplit

from scrapers.errors import FetchError

__all__ = ["Resolver", "UrlPolicy", "address_refusal", "system_resolver"]

#: ``host -> addresses``; injectable so tests never need DNS
Resolver = Callable[[str], Awaitable[list[str]]]


async def system_resolver(host: str) -> list[str]:
    """Addresses for ``host`` from the system resolver (no I/O for IP literals)."""
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


def address_refusal(address: str) -> str | None:
    """Why connecting to ``address`` is refused for a public-only source, or None if fine."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return f"{address!r} is not an IP address"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for attr in ("is_loopback", "is_private", "is_link_local", "is_reserved", "is_multicast", "is_unspecified"):
        if getattr(ip, attr):
            return f"address {ip} is {attr[3:].replace('_', '-')}"
    if not ip.is_global:
        return f"address {ip} is not globally routable"
    return None


def _norm_host(host: str) -> str:
    return host.strip().rstrip(".").lower()


class UrlPolicy:
    """The places one source may fetch from."""

    def __init__(self, hosts: Iterable[str], *, allow_private: bool, resolver: Resolver | None = None):
        self.hosts = frozenset(_norm_host(h) for h in hosts if h)
        self.allow_private = allow_private
        self.resolver: Resolver = resolver or system_resolver

    @classmethod
    def for_source(cls, start_urls: Iterable[str], allowed_hosts: Iterable[str], *, allow_private: bool,
                   resolver: Resolver | None = None) -> UrlPolicy:
        hosts = [urlsplit(u).hostname or "" for u in start_urls] + list(allowed_hosts)
        return cls(hosts, allow_private=allow_private, resolver=resolver)

    def check_static(self, url: str) -> tuple[str, int]:
        """Scheme and host checks that need no network; returns ``(host, port)``.

        Raises ``FetchError('refused')`` naming the URL and the reason.
        """
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise FetchError("refused", f"malformed URL ({exc})", url=url) from None
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https"):
            raise FetchError("refused", f"scheme {scheme or '(none)'!r} is not http/https", url=url)
        host = _norm_host(parts.hostname or "")
        if not host:
            raise FetchError("refused", "URL has no host", url=url)
        if parts.username or parts.password:
            raise FetchError("refused", "URL carries credentials", url=url)
        if host not in self.hosts:
            raise FetchError("refused", f"host {host!r} is not one of the source's hosts", url=url)
        return host, port or (443 if scheme == "https" else 80)

    async def check(self, url: str) -> None:
        """Every check, DNS included: after it, ``url`` may be fetched."""
        host, _ = self.check_static(url)
        if self.allow_private:
            return
        try:
            addresses = await self.resolver(host)
        except OSError as exc:
            raise FetchError("network", f"cannot resolve {host!r} ({exc})", url=url) from None
        if not addresses:
            raise FetchError("network", f"{host!r} resolves to no address", url=url)
        for addr in addresses:
            why = address_refusal(addr)
            if why:
                raise FetchError("refused", f"{host!r} resolves to a non-public address: {why}", url=url)
