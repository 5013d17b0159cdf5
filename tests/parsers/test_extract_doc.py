"""Legacy .doc/.wps: antiword when installed, a clear "unsupported" error when it is not.

The tests run the same on both kinds of machine: they assert the behaviour
that matches the tools actually present, and simulate absence with PATH.
"""

from __future__ import annotations

import shutil

import pytest

from parsers import ParseError, extract
from parsers.doc import antiword_table_lines, converter

#: an OLE2 compound file header with nothing behind it: a damaged .doc
DAMAGED_DOC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4088


def test_without_any_converter_says_what_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert converter() is None
    with pytest.raises(ParseError) as info:
        extract(DAMAGED_DOC, filename="report.doc")
    assert info.value.kind == "unsupported"
    assert str(info.value) == "report.doc: unsupported: install antiword to read .doc files"
    with pytest.raises(ParseError) as info:
        extract(DAMAGED_DOC, filename="report.wps")
    assert info.value.reason == "unsupported: install antiword to read .wps files"


@pytest.mark.timeout(60)
def test_with_the_installed_converter() -> None:
    tool = converter()
    if tool is None:
        with pytest.raises(ParseError) as info:
            extract(DAMAGED_DOC, filename="report.doc")
        assert info.value.kind == "unsupported"
        return
    assert shutil.which("antiword") or shutil.which("soffice")
    with pytest.raises(ParseError) as info:
        extract(DAMAGED_DOC, filename="report.doc")
    # the converter ran and refused the damaged file: corrupt, naming the file
    assert info.value.kind == "corrupt"
    assert str(info.value).startswith("report.doc: corrupt:")


def test_antiword_tables_become_tab_rows() -> None:
    raw = "二、主动公开政府信息情况\n|信息内容 |本年制发件数 |本年废止件数 |\n|规章     |1           |0           |\n\n结尾"
    text, tables = antiword_table_lines(raw)
    assert text.splitlines()[1:3] == ["信息内容\t本年制发件数\t本年废止件数", "规章\t1\t0"]
    assert tables == [[["信息内容", "本年制发件数", "本年废止件数"], ["规章", "1", "0"]]]
