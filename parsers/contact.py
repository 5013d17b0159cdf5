"""The contact block most reports print in their opening or closing paragraph.

Labels wrap over lines in PDF layout text ("电\\n子邮箱：…", "淮\\n安市翔宇南道 1 号"),
so everything is read from the text with whitespace removed. Labelled fields
need their colon: "公开电话 97 件" in the prose is not a phone number.
"""

from __future__ import annotations

import re

from parsers.record import Contact

__all__ = ["find_contact"]

_STOP = r"(?=[，,；;。）)、]|邮编|邮政编码|联系电话|电话|传真|电子邮|邮箱|网址|$)"
_ADDRESS = re.compile(r"(?:通讯地址|通信地址|联系地址|办公地址|地址)[:：]([^，,；;。）)：:]{2,60}?)" + _STOP)
_POSTCODE = re.compile(r"(?:邮编|邮政编码)[:：]?(\d{6})(?!\d)")
_PHONE_NUMBER = r"((?:[（(]\d{3,4}[)）])?\d[\d\-—－–]{4,}\d(?:转\d{1,6})?)"
_PHONE = re.compile(r"(?<!传真)(?:(?:联系|咨询|办公|服务)电话(?:号码)?(?:[:：]|为|是)|(?:联系方式|电话号码|电话)[:：])"
                    + _PHONE_NUMBER)
_SITE_CONTEXT = re.compile(r"网站|网址|门户|电子版|电子文本|下载|查阅|网上")
_FAX = re.compile(r"传真(?:电话)?[:：]" + _PHONE_NUMBER)
_EMAIL = re.compile(r"(?:电子邮箱|电子信箱|电子邮件|邮箱|E-?mail|email)[:：]?([A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9\-]{1,63}(?:\.[A-Za-z0-9\-]{1,63}){1,5})", re.IGNORECASE)
_ANY_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9\-]{1,63}(?:\.[A-Za-z0-9\-]{1,63}){1,5}")
_WEBSITE = re.compile(
    r"https?://[A-Za-z0-9.\-]{3,100}(?::\d{1,5})?(?:/[A-Za-z0-9._\-/%?=&#~]{0,200})?"
    r"|www\.[A-Za-z0-9\-]{1,63}(?:\.[A-Za-z0-9\-]{1,63}){1,5}(?:/[A-Za-z0-9._\-/%?=&#~]{0,200})?"
    r"|(?<![@A-Za-z0-9.\-])[A-Za-z0-9\-]{1,63}(?:\.[A-Za-z0-9\-]{1,63}){0,4}\.gov\.cn(?![A-Za-z0-9])"
)


def _first(pattern: re.Pattern[str], text: str) -> str | None:
    m = pattern.search(text)
    return m.group(1) if m else None


def find_contact(text: str) -> Contact:
    """Address, postcode, phone, fax, email and website, each as printed or None."""
    flat = re.sub(r"\s+", "", text)
    emails = [m.span() for m in _ANY_EMAIL.finditer(flat)]
    # the report's own site: the first address introduced as 网站/网址/下载…, else the first address
    urls = [m for m in _WEBSITE.finditer(flat) if not any(s <= m.start() < e for s, e in emails)]
    chosen = next((m for m in urls if _SITE_CONTEXT.search(flat, max(0, m.start() - 30), m.start())),
                  urls[0] if urls else None)
    website = chosen.group(0).rstrip("./") if chosen else None
    address = _first(_ADDRESS, flat)
    if address:
        address = address.rstrip("（(")
    return Contact(
        address=address or None,
        postcode=_first(_POSTCODE, flat),
        phone=_first(_PHONE, flat),
        fax=_first(_FAX, flat),
        email=_first(_EMAIL, flat),
        website=website,
    )
