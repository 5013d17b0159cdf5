"""Decoding real-world bytes: declared, undeclared, lying, BOM'd."""

from __future__ import annotations

from parsers.decode import decode_bytes, normalise_charset

SAMPLE = "平潭综合实验区2022年度政府信息公开工作年度报告"


def test_gbk_declared_in_meta_only() -> None:
    page = f'<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"></head><body>{SAMPLE}</body></html>'
    d = decode_bytes(page.encode("gbk"))
    assert SAMPLE in d.text and d.encoding == "gb18030" and d.replacements == 0


def test_gbk_undeclared_falls_back_to_gb18030() -> None:
    d = decode_bytes(f"<p>{SAMPLE}</p>".encode("gbk"))
    assert SAMPLE in d.text and d.encoding == "gb18030"


def test_http_charset_wins_over_meta() -> None:
    page = f'<meta charset="gbk"><p>{SAMPLE}</p>'.encode()
    d = decode_bytes(page, http_charset="utf-8")
    assert SAMPLE in d.text and d.encoding == "utf-8"


def test_lying_meta_is_not_trusted() -> None:
    page = f'<meta charset="gbk"><p>{SAMPLE}</p>'.encode()  # says gbk, is utf-8
    # UTF-8 CJK happens to be invalid GBK here, so the honest fallback wins
    assert SAMPLE in decode_bytes(page).text


def test_bom_first() -> None:
    d = decode_bytes(b"\xef\xbb\xbf" + SAMPLE.encode(), http_charset="gbk")
    assert d.text == SAMPLE


def test_normalise_charset() -> None:
    assert normalise_charset("GB2312") == "gb18030"
    assert normalise_charset('"utf-8"') == "utf-8"
    assert normalise_charset("no-such") is None
    assert normalise_charset(None) is None
