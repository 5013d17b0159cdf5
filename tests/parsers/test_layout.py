"""parsers.layout: positioned text boxes → text, tables read by position (pure, no pdfium)."""

from __future__ import annotations

from parsers.layout import Rule, TextBox, read_layout


def _chars(page: int, x: float, y: float, text: str, size: float = 10.0) -> list[TextBox]:
    """One box per character, as a PDF text layer gives them (y grows downward)."""
    out = []
    for ch in text:
        w = size if ch >= "\u2e80" else size / 2
        out.append(TextBox(page, x, y, x + w, y + size, ch))
        x += w
    return out


def test_rows_are_read_by_position_in_y_order() -> None:
    boxes = [*_chars(1, 100, 30, "34"), *_chars(1, 0, 30, "行"), *_chars(1, 0, 10, "甲"), *_chars(1, 100, 10, "1")]
    layout = read_layout(boxes)
    assert layout.pages == ["甲\t1\n行\t34"] and layout.tables == 1 and layout.warnings == []
    assert read_layout([]).pages == [] and read_layout([]).text == ""


def test_ocr_boxes_with_blank_columns_and_header_leaves() -> None:
    """OCR gives one box per word or cell; a blank column stays blank because the header says where it is."""
    boxes = [
        TextBox(1, 200, 0, 400, 10, "法人或其他组织", 0.98),  # parent cell over two leaves
        TextBox(1, 200, 15, 280, 25, "商业企业"), TextBox(1, 320, 15, 400, 25, "科研机构"),
        TextBox(1, 440, 15, 480, 25, "总计"),
        TextBox(1, 0, 40, 120, 50, "一、本年新收", 0.9), TextBox(1, 230, 40, 240, 50, "5"),
        TextBox(1, 450, 40, 460, 50, "5"),
        TextBox(1, 0, 60, 120, 70, "二、上年结转"), TextBox(1, 230, 60, 370, 70, "1 2"),
    ]
    layout = read_layout(boxes)
    rows = layout.pages[0].splitlines()[-2:]
    assert rows == ["一、本年新收\t5\t\t5", "二、上年结转\t1\t2\t"] and layout.warnings == []


def test_vertical_group_label_is_written_once_and_kept_out_of_row_labels() -> None:
    # the merged cell 三、本年度办理结果 printed one character per line, on the rows' baselines
    boxes: list[TextBox] = []
    labels = ["1.属于国家秘密", "2.其他法律行政法规禁止公开", "3.危及“三安全一稳定”", "4.保护第三方合法权益"]
    for i, (ch, label) in enumerate(zip("办理结果", labels, strict=True)):
        y = 100 + i * 14
        boxes += _chars(1, 10, y, ch) + _chars(1, 40, y, label) + _chars(1, 300, y, str(i)) + _chars(1, 360, y, str(i))
    text = read_layout(boxes).pages[0]
    assert text.splitlines() == ["办理结果", *(f"{label}\t{i}\t{i}" for i, label in enumerate(labels))]


def test_wrapped_label_joins_its_row_by_ruling_lines() -> None:
    """Numbers on the middle line of a three-line label: the ruling lines say which row each line is in."""
    boxes = [
        *_chars(1, 10, 80, "（七）总计"), *_chars(1, 300, 80, "175"), *_chars(1, 360, 80, "181"),
        *_chars(1, 10, 100, "1、申请人无正当理由逾期不补"), *_chars(1, 10, 112, "正、行政机关不再处理其政府信"),
        *_chars(1, 300, 112, "67"), *_chars(1, 360, 112, "71"), *_chars(1, 10, 124, "息公开申请"),
        *_chars(1, 10, 145, "3、其他"), *_chars(1, 300, 145, "108"), *_chars(1, 360, 145, "110"),
    ]
    rules = [Rule(1, 5, y, 400, y + 0.5) for y in (75, 95, 138, 160)]
    assert read_layout(boxes, rules).pages[0].splitlines() == [
        "（七）总计\t175\t181", "1、申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请\t67\t71", "3、其他\t108\t110"]
    # without ruling lines the numbered first line and the nearer row decide the same
    assert read_layout(boxes).pages[0].splitlines() == [
        "（七）总计\t175\t181", "1、申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请\t67\t71", "3、其他\t108\t110"]
