"""Bad input gets a clear ParseError of the right kind, bounded in time; never a crash or a hang.

Every file here is real: generated with reportlab/python-docx/zipfile or taken
from the corpus, then damaged the way real attachments are.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from docgen import (
    JSL_PAGE,
    LOGIN_PAGE,
    RUISHU_412,
    docx_billion_laughs,
    docx_zip_bomb,
    pdf_from_text,
    pdf_image_only,
)

from parsers import ParseError, extract, parse_bytes
from parsers.limits import Limits

pytestmark = pytest.mark.timeout(60)


def _kind(data: bytes, **kwargs: object) -> ParseError:
    with pytest.raises(ParseError) as info:
        parse_bytes(data, **kwargs)  # type: ignore[arg-type]
    return info.value


@pytest.fixture(scope="module")
def report_pdf(corpus_dir: Path) -> bytes:
    return pdf_from_text((corpus_dir / "text" / "chongqing_dadukou_2020.txt").read_text(encoding="utf-8"))


def test_empty() -> None:
    err = _kind(b"", filename="empty.pdf")
    assert err.kind == "empty" and str(err) == "empty.pdf: empty document"


@pytest.mark.parametrize("seed", range(5))
def test_random_bytes(seed: int) -> None:
    data = random.Random(seed).randbytes(4096 * (seed + 1))
    assert _kind(data, filename="random.bin").kind in ("corrupt", "not_a_report")


def test_random_bytes_behind_a_pdf_header() -> None:
    data = b"%PDF-1.7\n" + random.Random(7).randbytes(20000)
    assert _kind(data).kind == "corrupt"


def test_truncated_pdf(report_pdf: bytes) -> None:
    for cut in (len(report_pdf) // 3, len(report_pdf) // 2, len(report_pdf) - 300):
        err = _kind(report_pdf[:cut], filename="cut.pdf")
        assert err.kind == "corrupt", cut
        assert str(err).startswith("cut.pdf: corrupt:")


def test_encrypted_pdf(corpus_dir: Path) -> None:
    data = pdf_from_text("一、总体情况\n本年度主动公开政府信息12条。", encrypt_password="secret")
    err = _kind(data, filename="locked.pdf")
    assert err.kind == "encrypted" and "password" in err.reason


def test_image_only_pdf() -> None:
    err = _kind(pdf_image_only(), filename="scan.pdf")
    assert err.kind == "no_text_layer" and err.reason == "no text layer, and OCR found no text on its pages"


def test_size_cap_refuses_before_parsing(report_pdf: bytes) -> None:
    # the "200 MB file" case, with a lower cap so that the test allocates nothing large
    err = _kind(report_pdf, filename="big.pdf", limits=Limits(max_bytes=len(report_pdf) - 1))
    assert err.kind == "too_large" and "over the cap" in err.reason


def test_docx_zip_bomb() -> None:
    err = _kind(docx_zip_bomb(8), filename="bomb.docx")
    assert err.kind == "too_large" and "zip bomb" in err.reason
    # the total-size cap, independent of the ratio
    err = _kind(docx_zip_bomb(3), limits=Limits(max_unzipped_bytes=2 * 1024 * 1024, max_zip_ratio=1e9))
    assert err.kind == "too_large"


def test_docx_billion_laughs_is_refused() -> None:
    err = _kind(docx_billion_laughs(), filename="laughs.docx")
    assert err.kind == "corrupt" and "entit" in err.reason


def test_docx_billion_laughs_is_harmless_even_past_our_check() -> None:
    # the parts' own parser does not expand entities: bounded even without check_zip
    import io
    import zipfile

    from lxml import etree

    from parsers.docx import read_xml

    with zipfile.ZipFile(io.BytesIO(docx_billion_laughs())) as zf:
        raw = zf.read("word/document.xml")
    try:
        root = read_xml(raw)
    except etree.XMLSyntaxError:
        return  # refused by the parser: also bounded
    assert len("".join(root.itertext())) < 1000


def test_damaged_docx() -> None:
    from docgen import docx_from_text

    data = docx_from_text("一、总体情况\n正文")
    assert _kind(data[: len(data) // 2], filename="cut.docx").kind == "corrupt"


@pytest.mark.parametrize("page", [RUISHU_412, JSL_PAGE, LOGIN_PAGE])
def test_walls_are_blocked(page: str) -> None:
    err = _kind(page.encode(), url="https://www.example.gov.cn/zwgk/")
    assert err.kind == "blocked"
    assert str(err).startswith("https://www.example.gov.cn/zwgk/: blocked:")


def test_a_page_that_is_not_a_report(corpus_dir: Path) -> None:
    # the real column list page: a readable page, but not an annual report
    err = _kind((corpus_dir / "html" / "pingtan_list.html").read_bytes(), filename="list.html")
    assert err.kind == "not_a_report"


def test_an_article_that_is_not_a_report() -> None:
    html = "<html><head><title>关于开展植树节活动的通知</title></head><body><div class='TRS_Editor'><p>各单位：为迎接植树节，定于3月12日组织义务植树活动，请各单位做好准备。</p></div></body></html>"
    assert _kind(html.encode()).kind == "not_a_report"


def test_unsupported_formats() -> None:
    assert _kind(b"{\\rtf1\\ansi report}").kind == "unsupported"
    with pytest.raises(ParseError) as info:
        extract(b"PK\x03\x04" + b"\0" * 100)
    assert info.value.kind == "corrupt"
