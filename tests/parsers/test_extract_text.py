"""Plain-text reports: decoded in any of the portals' encodings, normalised, artefacts left for the report parser."""

from __future__ import annotations

from pathlib import Path

import pytest

from parsers import ParseError, extract


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030", "utf-8-sig"])
def test_corpus_texts_in_each_encoding(corpus_dir: Path, encoding: str) -> None:
    for path in sorted((corpus_dir / "text").glob("*.txt")):
        source = path.read_text(encoding="utf-8")
        doc = extract(source.encode(encoding), filename=path.name)
        assert doc.kind == "text"
        expected = [line.rstrip(" \u3000\xa0") for line in source.splitlines()]
        while expected and not expected[0]:
            expected.pop(0)
        while expected and not expected[-1]:
            expected.pop()
        assert doc.text.splitlines() == expected
        assert doc.warnings == []


def test_luzhou_page_artefact_is_kept(corpus_dir: Path) -> None:
    # "PAGE 7" is the report parser's to drop, with the context it has
    source = (corpus_dir / "text" / "sichuan_luzhou_2014.txt").read_text(encoding="utf-8")
    doc = extract(source.encode("utf-8"))
    assert ("PAGE" in source) == ("PAGE" in doc.text)


def test_crlf_and_control_characters() -> None:
    doc = extract("一、总体情况\r\n主动公开\x07政府信息12条。  \r\n".encode())
    assert doc.text == "一、总体情况\n主动公开政府信息12条。"


def test_mostly_garbage_text_is_corrupt() -> None:
    garbage = ("\x01\x02abc\x03" * 200).encode()
    with pytest.raises(ParseError) as info:
        extract(garbage, filename="x.txt")
    assert info.value.kind == "corrupt"
