"""Where the crawler may go: every URL parsed once, then scheme, host allow-list, addresses.

``parse_url`` is the one place a URL is read, whether it came from the catalog, a list
page or a ``Location`` header: a malformed one (controls or whitespace where they cannot
be, a scheme that is not http(s), no ``//host``, a backslash in the authority, a host
that is not a host name or an IP literal after IDNA processing, a bad port, credentials)
becomes ``FetchError('refused')`` naming the URL and the reason, never an exception from
deeper down (``httpx.InvalidURL``) that would take the rest of a batch with it. What it
returns is the normalised URL that is requested, and the normalised host that is compared
with the allow-list, so ``WWW.Example.gov.cn.`` and ``www.example.gov.cn`` are one host
and ``www.example.gov.cn :80`` is none.

Order matters. The host allow-list is checked on the parsed URL first, so a redirect to
``http://169.254.169.254/`` or ``http://10.0.0.1/`` is refused without a DNS lookup or a
connection. Only an allowed host is resolved, and every address it resolves to must be
outside the special-use ranges (``scrapers.special_use``) unless the source is a loopback
test/demo site (``allow_private``). The same address check runs again at connect time
(``scrapers.transport``), so DNS answers that change between the check and the
connection (rebinding) gain nothing.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urljoin

import httpx
import idna

from scrapers.errors import FetchError
from scrapers.special_use import special_use

__all__ = [
    "CheckedUrl",
    "Resolver",
    "UrlPolicy",
    "address_refusal",
    "normalise_host",
    "parse_url",
    "resolve_link",
    "system_resolver",
]

#: ``host -> addresses``; injectable so tests never need DNS
Resolver = Callable[[str], Awaitable[list[str]]]

#: longer URLs are refused: no report URL is near it, and servers cut at 8 KiB anyway
MAX_URL_CHARS = 8192
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_PORT = re.compile(r"^[0-9]{1,5}$")
#: a host that WHATWG and some resolvers would read as an IPv4 number (``0x7f.1``, ``127.1``,
#: ``2130706433``): not a host name, and not the one dotted-quad form we accept
_NUMERIC_LAST_LABEL = re.compile(r"(?:^|\.)(?:0x[0-9a-f]*|[0-9]+)\.?$", re.IGNORECASE)
_LDH = re.compile(r"^[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?$")
_DEFAULT_PORT = {"http": 80, "https": 443}


@dataclass(frozen=True, slots=True)
class CheckedUrl:
    """A URL that parsed: the normalised form that is requested, and its parts."""

    url: str
    scheme: str
    #: lowercase ASCII (IDNA A-labels), no trailing dot; an IPv6 literal without brackets
    host: str
    port: int


def _refuse(url: str, reason: str) -> FetchError:
    return FetchError("refused", reason, url=url)


def normalise_host(host: str) -> str:
    """The one comparable form of a host: an IP literal in ``ipaddress`` form, or a host name
    after IDNA (UTS #46) processing, lowercase, without its trailing dot.

    Raises ``ValueError`` saying why ``host`` is neither. IDNA comes from the ``idna``
    package (IDNA 2008 + UTS #46, STD3 rules: letters, digits, hyphens), which is what turns
    ``政府.中国`` into ``xn--mxtq1m.xn--fiqs8s`` and refuses spaces, ``%`` and ``_``.
    """
    if ":" in host:  # an IPv6 literal, in brackets as in a URL or bare as in ``allowed_hosts``
        inner = host[1:-1] if host.startswith("[") and host.endswith("]") else host
        if "%" in inner:
            raise ValueError(f"IPv6 literal {host!r} carries a zone")
        try:
            return str(ipaddress.IPv6Address(inner))
        except ValueError:
            raise ValueError(f"{host!r} is not a valid IPv6 literal") from None
    if not host:
        raise ValueError("empty host")
    if _NUMERIC_LAST_LABEL.search(host):
        try:
            return str(ipaddress.IPv4Address(host))
        except ValueError:
            raise ValueError(f"{host!r} is neither a host name nor a dotted-quad IPv4 address") from None
    try:
        ascii_host = idna.encode(host, uts46=True, transitional=False, std3_rules=True).decode("ascii")
    except (idna.IDNAError, UnicodeError) as exc:
        raise ValueError(f"{host!r} is not a valid host name ({exc})") from None
    name = ascii_host.lower().removesuffix(".")
    labels = name.split(".")
    if len(name) > 253 or not all(_LDH.match(label) for label in labels):
        raise ValueError(f"{host!r} is not a valid host name")
    if _NUMERIC_LAST_LABEL.search(name):  # full-width digits map to ASCII ones in UTS #46
        raise ValueError(f"{host!r} is neither a host name nor a dotted-quad IPv4 address")
    return name


def parse_url(url: str) -> CheckedUrl:
    """Parse and check ``url`` (absolute http/https, see the module docstring).

    Raises ``FetchError('refused')`` naming the URL and the reason. Backslashes in the path
    become slashes, as browsers read them; the fragment is dropped (never sent).
    """
    if not isinstance(url, str):
        raise _refuse(repr(url), "URL is not text")
    raw = url.strip(" ")
    if len(raw) > MAX_URL_CHARS:
        raise _refuse(url[:200] + "…", f"URL longer than {MAX_URL_CHARS} characters")
    if ctl := _CONTROL.search(raw):
        raise _refuse(url, f"URL contains control character {ctl.group()!r}")
    m = _SCHEME.match(raw)
    if not m:
        raise _refuse(url, "URL has no scheme (not an absolute URL)")
    scheme = m.group(1).lower()
    if scheme not in _DEFAULT_PORT:
        raise _refuse(url, f"scheme {scheme!r} is not http/https")
    rest = raw[m.end():]
    if not rest.startswith("//"):
        if rest[:1] in ("\\", "/"):
            raise _refuse(url, "backslash or single slash where '//host' must follow the scheme")
        raise _refuse(url, "URL has no '//host' after the scheme")
    rest = rest[2:]
    end = len(rest)
    for sep in "/?#":
        i = rest.find(sep)
        if i != -1:
            end = min(end, i)
    authority, tail = rest[:end], rest[end:]
    if "\\" in authority:
        raise _refuse(url, "backslash in the host part")
    if "@" in authority:
        raise _refuse(url, "URL carries credentials")
    if any(ch.isspace() for ch in authority):
        raise _refuse(url, "whitespace in the host part")
    if authority.startswith("["):
        close = authority.find("]")
        host_text, port_text = authority[: close + 1], authority[close + 1:]
        if close == -1 or (port_text and not port_text.startswith(":")):
            raise _refuse(url, "malformed IPv6 literal")
        port_text = port_text[1:]
    else:
        host_text, _, port_text = authority.partition(":")
    if not host_text:
        raise _refuse(url, "URL has no host")
    try:
        host = normalise_host(host_text)
    except ValueError as exc:
        raise _refuse(url, str(exc)) from None
    port = _DEFAULT_PORT[scheme]
    if port_text:
        if not _PORT.match(port_text) or not 0 < int(port_text) < 65536:
            raise _refuse(url, f"port {port_text!r} is not a number from 1 to 65535")
        port = int(port_text)
    tail = tail.split("#", 1)[0]
    path, q, query = tail.partition("?")
    path = path.replace("\\", "/") or "/"
    netloc = f"[{host}]" if ":" in host else host
    if port != _DEFAULT_PORT[scheme]:
        netloc += f":{port}"
    try:
        normalised = str(httpx.URL(f"{scheme}://{netloc}{path}{q}{query}"))
    except (httpx.InvalidURL, ValueError) as exc:
        raise _refuse(url, f"malformed URL ({exc})") from None
    return CheckedUrl(normalised, scheme, host, port)


def resolve_link(base: str, link: str) -> str:
    """``link`` (an href or a ``Location``) resolved against ``base``, strictly.

    ``urljoin`` reads ``http:canary`` as a relative path, silently drops tabs and newlines,
    and keeps ``\\\\host`` as a path where browsers go to ``host``. A link with a scheme
    must be absolute (checked by ``parse_url`` later); one with controls, or starting with
    backslashes, is refused here. Raises ``FetchError('refused')`` naming the link.
    """
    raw = link.strip(" ")
    if ctl := _CONTROL.search(raw):
        raise _refuse(link, f"link contains control character {ctl.group()!r}")
    if _SCHEME.match(raw):
        return raw.split("#", 1)[0]
    if raw.startswith(("\\", "/\\")):
        raise _refuse(link, "link starts with a backslash (another host, for a browser)")
    return urljoin(base, raw).split("#", 1)[0]


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
        ip = ipaddress.ip_address(address)
    except ValueError:
        return f"{address!r} is not an IP address"
    if isinstance(ip, ipaddress.IPv6Address) and ip.scope_id:
        return f"address {address} is scoped to a link"
    return special_use(ip)


class UrlPolicy:
    """The places one source may fetch from."""

    def __init__(self, hosts: Iterable[str], *, allow_private: bool, resolver: Resolver | None = None):
        normalised = set()
        for h in hosts:
            try:
                normalised.add(normalise_host(h))
            except ValueError:
                continue  # the catalog refuses such hosts; nothing can match one anyway
            # the form as written too, for callers comparing ``urlsplit`` hostnames (IDN hosts)
            normalised.add(h.lower().removesuffix("."))
        self.hosts = frozenset(normalised)
        self.allow_private = allow_private
        self.resolver: Resolver = resolver or system_resolver

    @classmethod
    def for_source(cls, start_urls: Iterable[str], allowed_hosts: Iterable[str], *, allow_private: bool,
                   resolver: Resolver | None = None) -> UrlPolicy:
        hosts: list[str] = []
        for u in start_urls:
            try:
                hosts.append(parse_url(u).host)
            except FetchError:
                continue  # refused again, with its reason, when it is fetched
        return cls([*hosts, *allowed_hosts], allow_private=allow_private, resolver=resolver)

    def check_static(self, url: str) -> CheckedUrl:
        """The checks that need no network: ``parse_url`` and the host allow-list.

        Raises ``FetchError('refused')`` naming the URL and the reason.
        """
        checked = parse_url(url)
        if checked.host not in self.hosts:
            raise _refuse(url, f"host {checked.host!r} is not one of the source's hosts")
        return checked

    async def check(self, url: str) -> CheckedUrl:
        """Every check, DNS included: after it, the returned ``CheckedUrl.url`` may be fetched."""
        checked = self.check_static(url)
        if self.allow_private:
            return checked
        try:
            addresses = await self.resolver(checked.host)
        except OSError as exc:
            raise FetchError("network", f"cannot resolve {checked.host!r} ({exc})", url=url) from None
        if not addresses:
            raise FetchError("network", f"{checked.host!r} resolves to no address", url=url)
        for addr in addresses:
            why = address_refusal(addr)
            if why:
                raise _refuse(url, f"{checked.host!r} resolves to a non-public address: {why}")
        return checked
