"""A synthetic report as format-neutral blocks: headings, paragraphs, tables.

One ``ReportDoc`` is rendered three ways (Word-pasted HTML, a PDF with a text
layer, a DOCX), so the numbers in every format are the same ones the ground truth
holds. Wording, headings and the table row labels are copied from the real
reports in ``corpus/text`` so that a parser built on real reports reads these.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from portalsim.stats import APPLICANT_COLS, OUTCOME_ROWS_2019, OUTCOME_ROWS_2021

__all__ = ["Block", "Cell", "Contact", "Para", "ReportDoc", "Table", "build_report_doc"]

Stats = dict[str, float | int]


@dataclass(slots=True)
class Cell:
    text: str
    rowspan: int = 1
    colspan: int = 1


@dataclass(slots=True)
class Table:
    rows: list[list[Cell]]

    def grid(self) -> list[list[str]]:
        """Rows × columns with spans resolved (merged cells repeated), as parsers see them."""
        grid: dict[tuple[int, int], str] = {}
        width = 0
        for r, row in enumerate(self.rows):
            c = 0
            for cell in row:
                while (r, c) in grid:
                    c += 1
                for dr in range(cell.rowspan):
                    for dc in range(cell.colspan):
                        grid[(r + dr, c + dc)] = cell.text
                c += cell.colspan
                width = max(width, c)
        height = max((r for r, _ in grid), default=-1) + 1
        return [[grid.get((r, c), "") for c in range(width)] for r in range(height)]


@dataclass(slots=True)
class Para:
    text: str
    heading: bool = False


Block = Para | Table


@dataclass(slots=True)
class Contact:
    address: str
    postcode: str
    phone: str
    email: str | None = None


@dataclass(slots=True)
class ReportDoc:
    title: str
    agency: str
    year: int
    format: str
    blocks: list[Block]
    section_headings: list[str]
    contact: Contact
    period: tuple[str, str] | None
    stats: Stats
    notes: list[str] = field(default_factory=list)


def _n(v: float | int) -> str:
    if isinstance(v, float):
        return f"{v:.2f}".rstrip("0").rstrip(".")
    return str(v)


def _signed(v: float | int) -> str:
    return f"+{v}" if v > 0 else str(v)


# Row labels exactly as the 2019/2021 uniform tables print them (corpus: pingtan_2022, huaian_2024, dadukou_2020).
_COL_LABELS = ("自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他")
_DENIED_LABELS = (
    "1.属于国家秘密",
    "2.其他法律行政法规禁止公开",
    "3.危及“三安全一稳定”",
    "4.保护第三方合法权益",
    "5.属于三类内部事务信息",
    "6.属于四类过程性信息",
    "7.属于行政执法案卷",
    "8.属于行政查询事项",
)
_UNABLE_LABELS = ("1.本机关不掌握相关政府信息", "2.没有现成信息需要另行制作", "3.补正后申请内容仍不明确")
_NP_LABELS = (
    "1.信访举报投诉类申请",
    "2.重复申请",
    "3.要求提供公开出版物",
    "4.无正当理由大量反复申请",
    "5.要求行政机关确认或重新出具已获取信息",
)
_OTHER_LABELS = (
    "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
    "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
    "3.其他",
)


def _vals(s: Stats, row: str) -> list[Cell]:
    return [Cell(_n(s[f"requests.table.{row}.{c}"])) for c in (*APPLICANT_COLS, "total")]


def application_table(s: Stats, fmt: str) -> Table:
    """三、收到和处理政府信息公开申请情况, laid out as the Word original (10 columns)."""
    rows: list[list[Cell]] = [
        [Cell("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", 3, 3), Cell("申请人情况", 1, 7)],
        [Cell("自然人", 2), Cell("法人或其他组织", 1, 5), Cell("总计", 2)],
        [Cell(x) for x in _COL_LABELS[1:]],
        [Cell("一、本年新收政府信息公开申请数量", 1, 3), *_vals(s, "new_received")],
        [Cell("二、上年结转政府信息公开申请数量", 1, 3), *_vals(s, "carried_over")],
    ]
    outcome_rows = OUTCOME_ROWS_2021 if fmt == "2021" else OUTCOME_ROWS_2019
    body_rows = len(outcome_rows) + 1  # + （七）总计
    rows.append([Cell("三、本年度办理结果", body_rows), Cell("（一）予以公开", 1, 2), *_vals(s, "granted")])
    rows.append([Cell("（二）部分公开（区分处理的，只计这一情形，不计其他情形）", 1, 2), *_vals(s, "partially_granted")])

    def group(label: str, keys: tuple[str, ...], labels: tuple[str, ...]) -> None:
        for i, (k, lab) in enumerate(zip(keys, labels, strict=True)):
            lead = [Cell(label, len(keys))] if i == 0 else []
            rows.append([*lead, Cell(lab), *_vals(s, k)])

    group("（三）不予公开", OUTCOME_ROWS_2021[2:10], _DENIED_LABELS)
    group("（四）无法提供", OUTCOME_ROWS_2021[10:13], _UNABLE_LABELS)
    group("（五）不予处理", OUTCOME_ROWS_2021[13:18], _NP_LABELS)
    if fmt == "2021":
        group("（六）其他处理", OUTCOME_ROWS_2021[18:21], _OTHER_LABELS)
    else:
        rows.append([Cell("（六）其他处理", 1, 2), *_vals(s, "other")])
    rows.append([Cell("（七）总计", 1, 2), *_vals(s, "total")])
    rows.append([Cell("四、结转下年度继续办理", 1, 3), *_vals(s, "carried_forward")])
    return Table(rows)


def review_table(s: Stats) -> Table:
    """四、政府信息公开行政复议、行政诉讼情况 (15 columns)."""
    res = ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")
    keys = ("upheld", "corrected", "other", "pending", "total")
    return Table(
        [
            [Cell("行政复议", 1, 5), Cell("行政诉讼", 1, 10)],
            [*(Cell(x, 2) for x in res), Cell("未经复议直接起诉", 1, 5), Cell("复议后起诉", 1, 5)],
            [Cell(x) for x in res * 2],
            [
                *(Cell(_n(s[f"review.{k}"])) for k in keys),
                *(Cell(_n(s[f"litigation.direct.{k}"])) for k in keys),
                *(Cell(_n(s[f"litigation.after_review.{k}"])) for k in keys),
            ],
        ]
    )


def art20_table(s: Stats, fmt: str) -> Table:
    """二、主动公开政府信息情况: the 第二十条 tables, as one 4-column Word table."""
    if fmt == "2021":
        return Table(
            [
                [Cell("第二十条第（一）项", 1, 4)],
                [Cell("信息内容"), Cell("本年制发件数"), Cell("本年废止件数"), Cell("现行有效件数")],
                [Cell("规章"), *(Cell(_n(s[f"art20.rules.{k}"])) for k in ("issued", "repealed", "in_force"))],
                [Cell("行政规范性文件"), *(Cell(_n(s[f"art20.normative.{k}"])) for k in ("issued", "repealed", "in_force"))],
                [Cell("第二十条第（五）项", 1, 4)],
                [Cell("信息内容"), Cell("本年处理决定数量", 1, 3)],
                [Cell("行政许可"), Cell(_n(s["art20.licensing.decisions"]), 1, 3)],
                [Cell("第二十条第（六）项", 1, 4)],
                [Cell("信息内容"), Cell("本年处理决定数量", 1, 3)],
                [Cell("行政处罚"), Cell(_n(s["art20.penalty.decisions"]), 1, 3)],
                [Cell("行政强制"), Cell(_n(s["art20.enforcement.decisions"]), 1, 3)],
                [Cell("第二十条第（八）项", 1, 4)],
                [Cell("信息内容"), Cell("本年收费金额（单位：万元）", 1, 3)],
                [Cell("行政事业性收费"), Cell(_n(s["art20.fees.amount_wan"]), 1, 3)],
            ]
        )

    def trio(kind: str) -> list[Cell]:
        return [
            Cell(_n(s[f"art20.{kind}.prior"])),
            Cell(_signed(int(s[f"art20.{kind}.change"]))),
            Cell(_n(s[f"art20.{kind}.decisions"])),
        ]

    return Table(
        [
            [Cell("第二十条第（一）项", 1, 4)],
            [Cell("信息内容"), Cell("本年新制作数量"), Cell("本年新公开数量"), Cell("对外公开总数量")],
            [Cell("规章"), *(Cell(_n(s[f"art20.rules.{k}"])) for k in ("made", "published", "public_total"))],
            [Cell("规范性文件"), *(Cell(_n(s[f"art20.normative.{k}"])) for k in ("made", "published", "public_total"))],
            [Cell("第二十条第（五）项", 1, 4)],
            [Cell("信息内容"), Cell("上一年项目数量"), Cell("本年增/减"), Cell("处理决定数量")],
            [Cell("行政许可"), *trio("licensing")],
            [Cell("其他对外管理服务事项"), *trio("other_services")],
            [Cell("第二十条第（六）项", 1, 4)],
            [Cell("信息内容"), Cell("上一年项目数量"), Cell("本年增/减"), Cell("处理决定数量")],
            [Cell("行政处罚"), *trio("penalty")],
            [Cell("行政强制"), *trio("enforcement")],
            [Cell("第二十条第（八）项", 1, 4)],
            [Cell("信息内容"), Cell("上一年项目数量"), Cell("本年增/减", 1, 2)],
            [Cell("行政事业性收费"), Cell(_n(s["art20.fees.prior"])), Cell(_signed(int(s["art20.fees.change"])), 1, 2)],
            [Cell("第二十条第（九）项", 1, 4)],
            [Cell("信息内容"), Cell("采购项目数量"), Cell("采购总金额", 1, 2)],
            [
                Cell("政府集中采购"),
                Cell(_n(s["art20.procurement.items"])),
                Cell(_n(s["art20.procurement.amount_wan"]) + " 万元", 1, 2),
            ],
        ]
    )


# Prose, sentence by sentence from the corpus reports (names and numbers replaced).
_OVERVIEW = (
    "{year}年，{short}坚持以习近平新时代中国特色社会主义思想为指导，认真贯彻落实《中华人民共和国政府信息公开条例》，"
    "紧紧围绕中心工作，强化责任担当，加强信息公开平台建设，扎实推进政务公开工作。",
    "一是提升政府网站管理水平。以政府网站集约化平台建设为契机，不断优化信息发布、解读回应、办事服务、互动交流功能，"
    "已建立“7×24”小时值班读网制度，初步形成内容监测常态化机制。",
    "二是完善依申请公开工作制度。完善了接收、登记、审核、办理、答复、归档等办理流程，规范了答复口径，推行标准文本。",
    "三是建立完善政策解读制度。按照“谁起草、谁解读”原则，严格实行解读方案、解读材料与政策文件同步组织、同步审签、同步部署。",
    "四是加强政务新媒体管理，坚持“集约开设、及时注销”的原则，对无人维护或信息更新不及时的政务新媒体进行关停。",
)
_PROBLEMS = (
    "对照上级新要求和公众新期待，还有一些需要加强和改进的地方。主要表现在：一是政策解读质量仍需提升，"
    "个别单位政策解读内容简单、形式单一；二是政务公开队伍建设还需进一步加强，个别单位存在人员配备不足、兼职多、流动性过快的问题。",
    "针对存在问题，下一步将着力加强政策解读质效，重点提升解读的针对性和通俗化；建立健全“传帮带”机制，"
    "定期组织业务培训，全面提升政务公开工作队伍水平。",
)
_LEGACY_OVERVIEW = (
    "{year}年，{short}认真贯彻落实《条例》，坚持以公开为常态、不公开为例外原则，扎实推进政府信息公开工作。",
    "（一）加强组织领导。明确分管领导负责政府信息公开工作，构建横向到部门、纵向到社区的工作架构。",
    "（二）完善信息公开配套制度。严格执行政府信息公开保密审查办法，将保密审查程序与公文运转程序、信息发布程序有机结合起来。",
    "（三）丰富载体平台。进一步调整优化和实时更新门户网站相关栏目，抓好政务微博、微信等新媒体，编辑出版政务文件汇编。",
)
_LEGACY_PROBLEMS = (
    "一年来，我们按照上级要求认真推进政务公开工作落实，但离人民群众的期盼还存在一定差距，主要表现为：一是部分单位工作重视程度不够，"
    "公开意识有待进一步强化；二是信息发布不够规范，存在审核不严的情况；三是专职人员少、队伍不稳定。",
    "下一步，将按照《条例》的规定以及上级要求，不断丰富主动公开内容，积极推进依申请公开工作，让权力在阳光下运行。",
)
_NUMERALS = "一二三四五六七八九十"


def _contact_sentence(c: Contact, office: str) -> str:
    parts = [f"地址：{c.address}", f"邮编：{c.postcode}", f"电话：{c.phone}"]
    if c.email:
        parts.append(f"电子邮箱：{c.email}")
    return f"如对本报告有疑问，请与{office}联系（{'，'.join(parts)}）。"


def _table_report(doc: ReportDoc, rng: random.Random, short: str, office: str) -> None:
    s, fmt, y = doc.stats, doc.format, doc.year
    notice = "（国办公开办函〔2021〕30号）" if fmt == "2021" else "（国办公开办函〔2019〕60号）"
    doc.blocks.append(
        Para(
            f"本报告根据《中华人民共和国政府信息公开条例》（以下简称《条例》）和《中华人民共和国政府信息公开工作年度报告格式》"
            f"{notice}要求，由{office}编制。本报告中所列数据统计期限自{y}年1月1日至{y}年12月31日。"
            + _contact_sentence(doc.contact, office)
        )
    )
    headings = [
        "总体情况",
        "主动公开政府信息情况",
        "收到和处理政府信息公开申请情况",
        "政府信息公开行政复议、行政诉讼情况",
        "存在的主要问题及改进情况",
        "其他需要报告的事项",
    ]
    doc.section_headings = headings
    doc.blocks.append(Para(f"一、{headings[0]}", heading=True))
    overview = [p.format(year=y, short=short) for p in _OVERVIEW]
    if "proactive.total" in s:
        overview.insert(1, f"（一）主动公开情况。{y}年，{short}共主动公开政府信息{s['proactive.total']}条。")
    overview.insert(
        2,
        f"（二）依申请公开情况。{y}年，共收到政府信息公开申请{s['requests.received']}件，均在法定期限内予以答复。",
    )
    doc.blocks.extend(Para(p) for p in overview[: 2 + rng.randint(1, 4)])
    doc.blocks.append(Para(f"二、{headings[1]}", heading=True))
    doc.blocks.append(art20_table(s, fmt))
    doc.blocks.append(Para(f"三、{headings[2]}", heading=True))
    doc.blocks.append(application_table(s, fmt))
    doc.blocks.append(Para(f"四、{headings[3]}", heading=True))
    doc.blocks.append(review_table(s))
    doc.blocks.append(Para(f"五、{headings[4]}", heading=True))
    doc.blocks.extend(Para(p) for p in _PROBLEMS)
    doc.blocks.append(Para(f"六、{headings[5]}", heading=True))
    fee = s.get("fees.total_yuan")
    if fee:
        doc.blocks.append(Para(f"{y}年，严格落实《政府信息公开信息处理费管理办法》，全年收取政府信息公开信息处理费{fee}元。"))
    elif fee == 0:
        doc.blocks.append(Para(f"{y}年，未收取政府信息公开信息处理费。无其他需要报告的事项。"))
    else:
        doc.blocks.append(Para("无其他需要报告的事项。"))


def _legacy_report(doc: ReportDoc, rng: random.Random, short: str, office: str) -> None:
    s, y = doc.stats, doc.year
    headings = ["概述", "主动公开政府信息情况", "政府信息依申请公开情况", "政府信息公开收费及减免情况",
                "因政府信息公开申请行政复议、提起行政诉讼的情况"]
    if "staff.total" in s or "spending_wan" in s:
        headings.append("工作人员及政府信息公开事务支出情况")
    headings.append("存在的主要问题及改进措施")
    doc.section_headings = headings
    doc.blocks.append(
        Para(
            f"本年度报告根据《中华人民共和国政府信息公开条例》（以下简称《条例》）要求，由{office}编制。"
            f"全文包括{'、'.join(headings)}{_NUMERALS[len(headings) - 1]}个部分。" + _contact_sentence(doc.contact, office)
        )
    )
    sec = iter(_NUMERALS)

    def head(h: str) -> None:
        doc.blocks.append(Para(f"{next(sec)}、{h}", heading=True))

    head(headings[0])
    doc.blocks.extend(Para(p.format(year=y, short=short)) for p in _LEGACY_OVERVIEW[: 2 + rng.randint(0, 2)])
    head(headings[1])
    doc.blocks.append(
        Para(
            f"{y}年，{short}全年主动公开政府信息{s['proactive.total']}条，重点为公文、人事、规划计划、统计分析、财政数据、"
            "工作动态类、便民服务类信息。"
        )
    )
    head(headings[2])
    rec = s["requests.received"]
    if rec:
        doc.blocks.append(
            Para(
                f"{y}年，共受理政府信息公开申请{rec}件，均已按时办理答复。已办理答复件中，同意公开{s['requests.granted']}件，"
                f"部分公开{s['requests.partially_granted']}件，不予公开{s['requests.denied']}件。"
            )
        )
    else:
        doc.blocks.append(Para(f"{y}年，全年未收到公民、法人和其他组织依申请公开政府信息的申请。"))
    head(headings[3])
    doc.blocks.append(Para(f"{y}年，在为公民、法人或其他组织提供政府信息时，未收取任何费用。"))
    head(headings[4])
    rv, lt = s["review.total"], s["litigation.total"]
    if rv == 0 and lt == 0:
        doc.blocks.append(Para(f"{y}年，未发生因政府信息公开申请行政复议、提起行政诉讼的情况。"))
    else:
        if rv:
            text = (
                f"{y}年，收到政府信息公开行政复议申请{rv}件，维持具体行政行为{s['review.upheld']}件，"
                f"被依法纠错{s['review.corrected']}件，其他情形{s['review.other']}件；"
            )
        else:
            text = f"{y}年，未发生因政府信息公开申请行政复议的情况；"
        text += f"收到行政诉讼{lt}件。" if lt else "未发生因政府信息公开提起行政诉讼的情况。"
        doc.blocks.append(Para(text))
    if "staff.total" in s or "spending_wan" in s:
        head(headings[5])
        if "staff.total" in s:
            doc.blocks.append(
                Para(
                    f"全区从事政府信息公开工作的人员为{s['staff.total']}人，其中全职{s['staff.full_time']}人，"
                    f"兼职{s['staff.part_time']}人。"
                )
            )
        if "spending_wan" in s:
            doc.blocks.append(Para(f"{y}年用于政府信息公开申请受理点、网站改版和更新等费用是{s['spending_wan']}万元。"))
    head(headings[-1])
    doc.blocks.extend(Para(p) for p in _LEGACY_PROBLEMS)


def build_report_doc(
    *,
    rng: random.Random,
    title: str,
    agency: str,
    short: str,
    office: str,
    year: int,
    fmt: str,
    stats: Stats,
    contact: Contact,
) -> ReportDoc:
    """Assemble the blocks of one report; ``stats`` may gain prose-stated keys."""
    period = (f"{year}-01-01", f"{year}-12-31") if fmt != "legacy" else None
    doc = ReportDoc(title, agency, year, fmt, [], [], contact, period, stats)
    if fmt == "legacy":
        _legacy_report(doc, rng, short, office)
    else:
        if rng.random() < 0.5:
            stats["proactive.total"] = rng.randint(500, 30000)
        stats["fees.total_yuan"] = rng.choice([0, 0, rng.randint(10, 5000)])
        _table_report(doc, rng, short, office)
    return doc
