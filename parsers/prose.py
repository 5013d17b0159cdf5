"""Headline numbers stated in prose, and the statistics table some legacy reports append.

Legacy (2008-regulation) reports state their numbers in sentences: "全年主动公开
政府信息80165条", "共受理政府信息公开申请528件", "未发生因政府信息公开申请行政
复议…". Only exact statements count: an approximate "2万余条" or "5500 余条" is not
a number the report commits to, so the key is left out rather than guessed. Every
pattern is bounded ({0,n}) so a long sentence cannot make matching slow.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from parsers.numbers import split_runs, to_stat, tokenize

__all__ = ["ProseResult", "fees_and_proactive", "join_wrapped_lines", "legacy_headlines", "legacy_table"]

Stats = dict[str, float | int]
_N = r"(\d{1,12}(?:\.\d{1,4})?)"
_APPROX_AFTER = re.compile(r"^\s*(?:余|多|多余)")
_APPROX_BEFORE = re.compile(r"(?:约|近|超过|逾|达到约)\s*$")


@dataclass(slots=True)
class ProseResult:
    stats: Stats = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def _num(s: str) -> float | int:
    return to_stat(float(s))


def _exact(text: str, m: re.Match[str], group: int = 1) -> bool:
    """False when the number is hedged ("约120万元", "2万余条", "5500 余条", "4.2万")."""
    after = text[m.end(group): m.end(group) + 3]
    before = text[max(0, m.start(group) - 3): m.start(group)]
    if _APPROX_AFTER.match(after) or _APPROX_BEFORE.search(before):
        return False
    return not re.match(r"^\s*万(?!元)", after)


#: a count with thousands separators ("1,200")
_N_SEP = r"(\d{1,3}(?:[,，]\d{3})+(?!\d)|\d{1,12}(?:\.\d{1,4})?)"
_PROACTIVE = re.compile(
    r"主动公开(?:各类|各种)?(?:政府)?信息(?:总数|总量|数量|总计|共计|合计|累计|共|数)?\s*(?:为|达|是|:|：)?\s*"
    + _N_SEP + r"\s*(?:万|余|多)?\s*(?:条|件|项)?"
)
#: "通过政府网站主动公开信息800条": one channel's count, not the total
_CHANNEL = re.compile(r"(?:通过|在|于|经)[^，,。；;]{0,12}?(?:网站|网|公报|平台|微博|微信|栏|媒体)[^，,。；;]{0,4}$")
_PROACTIVE_2 = re.compile(r"共(?:发布|公开)(?:各类)?(?:政府)?(?:公开)?信息\s*" + _N + r"\s*(?:余|多)?\s*(?:条|件)")
_FEES_NONE = re.compile(r"(?:未|无|没有|不)(?:实行|进行|发生|产生|曾)?(?:任何)?(?:信息(?:处理)?)?(?:收费|收取)")
_FEES = re.compile(r"收取[^。；;\d]{0,24}?(?:费|费用)\s*(?:共计|合计|共|为)?\s*" + _N + r"\s*(万元|元)")


_WRAP = re.compile(r"(?<=[^。；;：:！？!?\s])[ \t]*\n[ \t\n]*(?=\S)")


def join_wrapped_lines(text: str) -> str:
    """Undo hard line breaks inside sentences (Word/PDF text: "共受理政府信息公开申\n请528件").

    A line that does not end a sentence is joined to the next one; the prose
    patterns then see each sentence whole.
    """
    return _WRAP.sub("", text)


def fees_and_proactive(text: str) -> ProseResult:
    """``proactive.total`` and ``fees.total_yuan`` from prose (every format states them in prose)."""
    out = ProseResult()
    text = join_wrapped_lines(text)
    m = next((m for m in _PROACTIVE.finditer(text)
              if not _CHANNEL.search(text, max(0, m.start() - 20), m.start())), None) or _PROACTIVE_2.search(text)
    if m:
        if _exact(text, m):
            out.stats["proactive.total"] = _num(re.sub(r"[,，]", "", m.group(1)))
        else:
            out.warnings.append(f"proactive total stated approximately ({m.group(0).strip()}); omitted")
    m = _FEES.search(text)
    if m and _exact(text, m):
        amount = _num(m.group(1))
        out.stats["fees.total_yuan"] = to_stat(amount * 10000) if m.group(2) == "万元" else amount
    else:
        for s in _sentences(text):
            if ("费" in s or "收取" in s) and _FEES_NONE.search(s) and ("信息" in s or "申请" in s or "费用" in s):
                out.stats["fees.total_yuan"] = 0
                break
    return out


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"[。；;\n]", text) if s.strip()]


_RECEIVED = re.compile(
    r"(?:收到|受理|接受|接到|共有)(?:了)?[^。；;，,\d]{0,20}?申请(?:公开)?(?:政府)?(?:信息)?(?:的)?(?:共计|共|数|总数)?\s*(?:为|达)?\s*" + _N + r"\s*(?:件|条|个|宗|份|次)"
)
_RECEIVED_NONE = re.compile(r"(?:未|没有)(?:收到|受理|接到|发生)[^。；;]{0,30}?申请")
_GRANTED = re.compile(r"(?<![不未])(?:同意|予以|全部)公开(?:答复)?(?:数|的)?\s*(?:为)?\s*" + _N + r"\s*(?:件|条|个|次)")
_PARTIAL = re.compile(r"部分公开(?:答复)?(?:数|的)?\s*(?:为)?\s*" + _N + r"\s*(?:件|条|个|次)")
_DENIED = re.compile(r"(?:不予以?公开|不公开|否决公开)(?:答复)?(?:数|的)?\s*(?:为)?\s*" + _N + r"\s*(?:件|条|个|次)")
_DENIED_NONE = re.compile(r"(?:未|没有|无)(?:发生|出现|有)?[^。；;，,]{0,10}?不予公开")
_REVIEW = re.compile(r"行政复议[^。；;，,、\d]{0,8}?(?:共|总数)?\s*(?:为)?\s*" + _N + r"\s*(?:件|起|宗|个|次)")
_LITIGATION = re.compile(r"诉讼[^。；;，,、\d]{0,8}?(?:共|总数)?\s*(?:为)?\s*" + _N + r"\s*(?:件|起|宗|个|次)")
_NONE_BEFORE = r"(?:未|没有|无)[^。；;]{0,40}?"
_REVIEW_NONE = re.compile(_NONE_BEFORE + r"行政复议")
_LITIGATION_NONE = re.compile(_NONE_BEFORE + r"诉讼")
_REVIEW_PARTS = {
    "upheld": re.compile(r"维持[^。；;，,\d]{0,12}?" + _N + r"\s*(?:件|起|宗)"),
    "corrected": re.compile(r"纠(?:正|错)[^。；;，,\d]{0,6}?" + _N + r"\s*(?:件|起|宗)"),
    "other": re.compile(r"其他(?:情形|结果|情况)?[^。；;，,\d]{0,6}?" + _N + r"\s*(?:件|起|宗)"),
    "pending": re.compile(r"尚未审结[^。；;，,\d]{0,6}?" + _N + r"\s*(?:件|起|宗)"),
}
_STAFF_TOTAL = (
    re.compile(r"从事[^。；;，,]{0,16}?(?:工作的|的)?(?:工作)?(?<!专职)(?<!兼职)(?<!全职)人员(?:共|为|有)?\s*" + _N + r"\s*(?:人|名)"),
    re.compile(_N + r"\s*(?:名|人)(?:工作人员|专兼职人员|专\(兼\)职人员)?从事[^。；;]{0,16}?公开工作"),
    re.compile(r"(?:信息公开|政务公开)工作(?:人员)?(?:共|总数为|为)\s*" + _N + r"\s*(?:人|名)"),
)
_STAFF_QUALIFIER = r"(?:[^，,。；;：:\d兼]{0,8}?(?:人员|干部))?(?:共计|合计|总计|共|为|有|计)?\s*"
_STAFF_FULL = re.compile(r"(?:全职|专职)" + _STAFF_QUALIFIER + _N + r"\s*(?:人|名)")
_STAFF_PART = re.compile(r"(?<!专)兼职" + _STAFF_QUALIFIER + _N + r"\s*(?:人|名)")
_STAFF_CONTEXT = re.compile(r"信息公开|政务公开|公开工作")
_WAN = re.compile(_N + r"\s*万元")


def _first_exact(pattern: re.Pattern[str], text: str) -> float | int | None:
    for m in pattern.finditer(text):
        if _exact(text, m):
            return _num(m.group(1))
        return None
    return None


def legacy_headlines(text: str) -> ProseResult:
    """Requests, outcomes, reviews, lawsuits, staff and spending stated in a legacy report's prose."""
    out = ProseResult()
    st = out.stats
    text = join_wrapped_lines(text)
    sentences = _sentences(text)
    about_requests = [s for s in sentences if "申请" in s and "复议" not in s and "诉讼" not in s]
    for s in about_requests:
        m = _RECEIVED.search(s)
        if m and _exact(s, m):
            st["requests.received"] = _num(m.group(1))
            break
    else:
        for s in about_requests:
            if _RECEIVED_NONE.search(s) and ("公开" in s):
                st["requests.received"] = 0
                break
    for key, pat in (("requests.granted", _GRANTED), ("requests.partially_granted", _PARTIAL),
                     ("requests.denied", _DENIED)):
        for s in sentences:
            if "复议" in s or "诉讼" in s:
                continue
            m = pat.search(s)
            if m and _exact(s, m):
                st[key] = _num(m.group(1))
                break
    if "requests.denied" not in st and any(_DENIED_NONE.search(s) for s in sentences):
        st["requests.denied"] = 0
    _review_and_litigation(sentences, st)
    _staff_and_spending(text, st)
    return out


def _review_and_litigation(sentences: list[str], st: Stats) -> None:
    relevant = [s for s in sentences if ("复议" in s or "诉讼" in s) and ("信息公开" in s or re.search(r"(?:复议|诉讼)\D{0,4}\d", s))]
    for s in relevant:
        m = _REVIEW.search(s)
        if m and _exact(s, m):
            st["review.total"] = _num(m.group(1))
            tail = s[m.end():]
            lit = tail.find("诉讼")
            part = tail[:lit] if lit >= 0 else tail
            for key, pat in _REVIEW_PARTS.items():
                pm = pat.search(part)
                if pm:
                    st[f"review.{key}"] = _num(pm.group(1))
            break
    if "review.total" not in st and any(_REVIEW_NONE.search(s) for s in relevant):
        st["review.total"] = 0
    for s in relevant:
        m = _LITIGATION.search(s)
        if m and _exact(s, m):
            st["litigation.total"] = _num(m.group(1))
            break
    if "litigation.total" not in st and any(_LITIGATION_NONE.search(s) for s in relevant):
        st["litigation.total"] = 0


def _staff_and_spending(text: str, st: Stats) -> None:
    for s in _sentences(text):
        if "staff.total" not in st:
            for pat in _STAFF_TOTAL:
                m = pat.search(s)
                if m and _exact(s, m):
                    st["staff.total"] = _num(m.group(1))
                    break
    # staff counts: in a sentence about disclosure work, or right after one (…公开工作。专职3人；兼职25人)
    for line in text.split("\n"):
        if "staff.full_time" in st or "staff.part_time" in st:
            break
        for m in _STAFF_FULL.finditer(line):
            start = max(line.rfind("。", 0, m.start()) + 1, m.start() - 120)
            end = line.find("。", m.end())
            if _STAFF_CONTEXT.search(line, start, end if end >= 0 else len(line)) or "staff.total" in st:
                st["staff.full_time"] = _num(m.group(1))
                part = _STAFF_PART.search(line, m.end(), m.end() + 80)
                if part:
                    st["staff.part_time"] = _num(part.group(1))
                break
    for m in re.finditer("支出", text):
        window = text[m.end(): m.end() + 300]
        stop = [i for i, ch in enumerate(window) if ch == "。"]
        if len(stop) >= 2:
            window = window[: stop[1]]
        w = _WAN.search(window)
        if w and _exact(window, w):
            st["spending_wan"] = _num(w.group(1))
            return


# The legacy 统计表: label + unit + this year's value (+ cumulative value)
_LEGACY_ROWS: list[tuple[str, re.Pattern[str]]] = [
    ("proactive.total", re.compile(r"^(?!.*其中).*主动公开.*数")),
    ("requests.received", re.compile(r"^(?!.*(?:复议|诉讼|申诉)).*(?:受理.*申请.*数|申请.*总数)")),
    ("requests.partially_granted", re.compile(r"部分公开")),
    ("requests.granted", re.compile(r"同意公开|予以公开")),
    ("requests.denied", re.compile(r"否决|不予公开")),
    ("review.total", re.compile(r"行政复议")),
    ("litigation.total", re.compile(r"行政诉讼")),
    ("staff.full_time", re.compile(r"专职|全职")),
    ("staff.part_time", re.compile(r"兼职")),
    ("staff.total", re.compile(r"^(?!.*其中).*(?:工作)?人员.*数?")),
    ("fees.total_yuan", re.compile(r"收取.*费|收费")),
    ("spending_wan", re.compile(r"支出|经费")),
]
_TABLE_HEADER = re.compile(r"指\s*标\s*名\s*称|计\s*量\s*单\s*位|统计指标")


def _two_cells(run: str, prose: frozenset[int]) -> int | None:
    """This year's value of a flattened "this year | cumulative" pair, e.g. "18535395" → 1853."""
    cands = split_runs([run], 2, lambda c: c[0] <= c[1])
    if not cands:
        return None

    def score(c: list[int]) -> tuple[int, int]:
        return (1 if c[0] >= 10 and c[0] in prose else 0, -abs(len(str(c[0])) - len(str(c[1]))))

    return max(cands, key=score)[0]


def legacy_table(text: str, prose: frozenset[int]) -> ProseResult:
    """The 政府信息公开情况统计表 of legacy reports (指标名称 | 计量单位 | 本年度 | 历年累计)."""
    out = ProseResult()
    header = _TABLE_HEADER.search(text)
    if header is None:
        return out
    start = header.start()
    region = text[start: start + 6000]
    cumulative = "累计" in region[:200]
    label: list[str] = []
    rows: list[tuple[str, list[str]]] = []
    nums: list[str] = []
    for tok in tokenize(region):
        if tok.kind == "text":
            if nums:
                rows.append(("".join(label), nums))
                label, nums = [], []
            label.append(re.sub(r"\s+", "", tok.value))
        elif tok.kind == "num":
            nums.append(tok.value)
        else:
            nums.append("")
    if nums:
        rows.append(("".join(label), nums))
    split_rows: list[str] = []
    for lab, cells in rows:
        for key, pat in _LEGACY_ROWS:
            if key in out.stats or not pat.search(lab):
                continue
            value: int | float | None = None
            if len(cells) >= 2 or not cumulative:
                value = _num(cells[0]) if cells[0] and re.fullmatch(r"\d+(?:\.\d+)?", cells[0]) else None
            elif cells[0].isdigit() and len(cells[0]) >= 2:
                value = _two_cells(cells[0], prose)
                if value is not None:
                    split_rows.append(key)
            elif cells[0].isdigit():
                value = int(cells[0])  # one digit: this year's value, the cumulative cell left blank
            if value is not None:
                if key == "fees.total_yuan" and "万元" in lab:
                    value = to_stat(value * 10000)
                elif key == "spending_wan" and "万元" not in lab:
                    if "元" not in lab:
                        break  # unit unknown: not a reading we can commit to
                    value = to_stat(value / 10000)
                out.stats[key] = value
            break
    if split_rows:
        out.warnings.append("statistics table: run-together cells read as this year | cumulative for "
                            + ", ".join(split_rows))
    return out
