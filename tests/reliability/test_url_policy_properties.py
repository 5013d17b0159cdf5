"""Property tests over the URL guard (``scrapers.guard.UrlPolicy``): whatever URL a page or
a redirect hands the crawler, it is either refused with ``FetchError('refused')`` or it is an
http(s) URL on one of the source's own hosts, without credentials. Never another exception.

(The attachment-name sanitiser has its properties in tests/scrapers/test_archive.py.)
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scrapers.errors import FetchError
from scrapers.guard import UrlPolicy, address_refusal
from scrapers.special_use import embedded_ipv4

pytestmark = [pytest.mark.timeout(60)]

HOSTS = ["www.example.gov.cn", "cdn.example.gov.cn"]
POLICY = UrlPolicy(HOSTS, allow_private=False)

hosts = st.sampled_from([*HOSTS, "WWW.EXAMPLE.GOV.CN.", "evil.example.com", "169.254.169.254", "10.0.0.1",
                         "127.0.0.1", "[::1]", "[::ffff:127.0.0.1]", "localhost", "0", "example.gov.cn",
                         "www.example.gov.cn.evil.com", "xn--fiqs8s", "", "www.example.gov.cn@evil.com"])
schemes = st.sampled_from(["http", "https", "HTTP", "file", "ftp", "javascript", "data", "gopher", ""])
tails = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40)
urls = st.one_of(
    st.builds(lambda s, u, h, p, t: f"{s}://{u}{h}{p}/{t}", schemes,
              st.sampled_from(["", "user:pw@", "a@", "@"]), hosts,
              st.sampled_from(["", ":80", ":8080", ":0", ":99999", ":x"]), tails),
    st.text(max_size=80),
)


@settings(max_examples=400, deadline=None)
@given(urls)
def test_a_url_is_refused_or_on_the_sources_hosts(url: str) -> None:
    try:
        checked = POLICY.check_static(url)
    except FetchError as exc:
        assert exc.kind == "refused" and exc.url == url and exc.reason
        return
    parts = urlsplit(url)
    assert parts.scheme.lower() in ("http", "https")
    assert checked.host in HOSTS and (parts.hostname or "").rstrip(".").lower() == checked.host
    assert not parts.username and not parts.password
    assert 0 < checked.port <= 65535
    # what is requested parses to the same host and port, whatever httpx makes of it
    sent = httpx.URL(checked.url)
    assert sent.host == checked.host and (sent.port or {"http": 80, "https": 443}[sent.scheme]) == checked.port


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.ip_addresses().map(str), st.text(max_size=40)))
def test_address_check_never_raises_and_passes_only_global_unicast(address: str) -> None:
    import ipaddress

    why = address_refusal(address)
    if why is None:
        ip = ipaddress.ip_address(address)
        # an IPv6 address carrying an IPv4 one is judged by it (Python's own answer for the
        # carrier differs between versions); everything else must be global unicast
        judged = [v4 for v4, _ in embedded_ipv4(ip)] if isinstance(ip, ipaddress.IPv6Address) else []
        for one in judged or [ip]:
            assert one.is_global and not one.is_multicast and not one.is_loopback and not one.is_private


@settings(max_examples=100, deadline=None)
@given(st.ip_addresses().filter(lambda ip: not ip.is_global and not (ip.version == 6 and embedded_ipv4(ip))).map(str))
def test_hosts_resolving_to_non_public_addresses_are_refused(address: str) -> None:
    async def resolver(host: str) -> list[str]:
        return [address]

    policy = UrlPolicy(HOSTS, allow_private=False, resolver=resolver)
    with pytest.raises(FetchError) as ei:
        asyncio.run(policy.check("http://www.example.gov.cn/a.pdf"))
    assert ei.value.kind == "refused" and "non-public" in ei.value.reason
