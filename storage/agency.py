"""Agency identity: the key under which one government's reports line up across the years.

Pure text rules, the ones the reports themselves follow when they name their
author: full-width characters and whitespace are typography (``平潭综合实验区　``),
a leading parent region is an address (``淮安市洪泽区`` is ``洪泽区``), and the
suffixes ``人民政府`` / ``管委会`` / ``管理委员会`` / ``办公室`` name the body that
writes the report for the place (``平潭综合实验区管委会`` is ``平潭综合实验区``).
What stays is the level word that makes two places different: ``平潭县`` is
not ``平潭综合实验区``, and a department (``…税务局``) keeps its own name, so it
never merges into its government.

It lives in ``storage`` rather than ``parsers`` because it is not about reading
one report: it decides which stored reports are the same agency, and only the
store applies it (``Store`` on every report write). It reads nothing but its
argument.

Known limit: a parent region is dropped, so two districts of one name in
different cities (福州市鼓楼区, 南京市鼓楼区) share a key. The panel shows such
a merge as two reports in one year, and a catalog entry's ``agency:`` pins the
identity of its source.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["agency_key"]

#: the body that writes the report for its place; stripped from the end, repeatedly
#: (``洪泽区人民政府办公室`` → ``洪泽区``)
_BODY_SUFFIXES = ("人民政府", "管理委员会", "管委会", "办公室")
#: ``…区政府`` is how many titles shorten ``…区人民政府``; only after a level word
_SHORT_GOVERNMENT = re.compile(r"(?<=[省市区县旗州盟])政府$")
#: characters that make a name an office or department rather than a place
_NOT_A_PLACE = "局厅委办署院"
#: an administrative level word that can end a parent region, within its first characters
_LEVEL = re.compile(r"(?<=.)(?:自治区|地区|省|市|州|盟)")
_MAX_PARENT = 12
#: zones every city has: their city is part of their identity
_GENERIC_ZONES = ("经济", "高新", "开发区", "新区", "市辖区", "城区", "郊区", "矿区", "工业园")
#: what a parent region must be followed by: a place of its own (a district, county, zone…)
_PLACE = re.compile(rf"^[^{_NOT_A_PLACE}]{{1,12}}?(?:区|县|市|旗)")
_SPACE = re.compile(r"\s+")


def agency_key(name: str | None) -> str | None:
    """The identity key of an agency name, or None for no name.

    ``淮安市洪泽区人民政府`` → ``洪泽区``; ``平潭综合实验区管委会`` → ``平潭综合实验区``;
    ``平潭县人民政府`` → ``平潭县``; ``国家税务总局洪泽区税务局`` stays itself.
    """
    if name is None:
        return None
    key = _SPACE.sub("", unicodedata.normalize("NFKC", name))
    key = _strip_bodies(key)
    while (rest := _without_parent(key)) is not None:
        key = rest
    key = _strip_bodies(key)
    return key or None


def _strip_bodies(name: str) -> str:
    changed = True
    while changed:
        changed = False
        for suffix in _BODY_SUFFIXES:
            if name.endswith(suffix) and len(name) > len(suffix):
                name, changed = name[: -len(suffix)], True
        short = _SHORT_GOVERNMENT.sub("", name)
        if short != name and short:
            name, changed = short, True
    return name


def _without_parent(name: str) -> str | None:
    """``name`` without its leading parent region, or None when it has none.

    The parent must be followed by a place of its own: ``淮安市税务局`` keeps
    ``淮安市`` (the bureau is the city's), ``淮安市`` alone is the place itself,
    and a generic zone (``淮安市经济技术开发区``) keeps its city, since every city
    has one. A ``州`` directly followed by a level word is part of a city's name
    (``杭州市``), not a parent. The shortest parent that fits wins.
    """
    for m in _LEVEL.finditer(name[:_MAX_PARENT]):
        end = m.end()
        parent, rest = name[:end], name[end:]
        if any(c in _NOT_A_PLACE for c in parent):
            return None
        if parent.endswith("州") and rest[:1] in ("市", "县", "区", "地"):
            continue
        if _PLACE.match(rest) and not rest.startswith(_GENERIC_ZONES):
            return rest
    return None
