"""Place names, departments and title patterns for synthetic government sites.

Titles follow the patterns seen on real portals (corpus/text, corpus/html): the
agency first or the year first, "年" or "年度", the year in brackets at the end.
"""

from __future__ import annotations

__all__ = ["CITIES", "DEPARTMENTS", "DISTRICTS", "NON_REPORT_TITLES", "REPORT_TITLES", "TOWNS"]

CITIES = (
    "泸州市", "淮安市", "长春市", "宜宾市", "赣州市", "泉州市", "绵阳市", "湛江市", "丽水市", "咸宁市",
    "遵义市", "宿迁市", "南平市", "德阳市", "衢州市", "襄阳市", "铜仁市", "韶关市",
)
DISTRICTS = (
    "江阳区", "清江浦区", "宽城区", "南关区", "翠屏区", "章贡区", "丰泽区", "涪城区", "赤坎区",
    "莲都区", "咸安区", "汇川区", "宿城区", "延平区", "旌阳区", "柯城区", "樊城区", "碧江区", "浈江区",
)
DEPARTMENTS = (
    "教育委员会", "财政局", "人力资源和社会保障局", "生态环境局", "住房和城乡建设委员会", "交通运输局",
    "卫生健康委员会", "市场监督管理局", "司法局", "民政局", "应急管理局", "统计局", "农业农村委员会",
    "文化和旅游发展委员会", "规划和自然资源局", "水利局",
)
TOWNS = ("河包镇", "青年镇", "跳磴镇", "八桥镇", "新山村街道", "春晖路街道", "建胜镇", "茄子溪街道")

#: {agency} {year}; agency is printed exactly as the record's ``agency``
REPORT_TITLES = (
    "{agency}{year}年政府信息公开工作年度报告",
    "{agency}{year}年度政府信息公开工作年度报告",
    "{agency}政府信息公开工作年度报告（{year}年度）",
    "{agency}{year}年政府信息公开工作年度报告",
)

#: (kind, title pattern): things that share the column with the reports on real sites
NON_REPORT_TITLES = (
    ("workplan", "{agency}{year}年政务公开工作要点"),
    ("notice", "关于开展{year}年度政务公开工作第三方评估的通知"),
    ("notice", "{agency}关于报送{year}年政府信息公开工作年度报告的通知"),
    ("guide", "{agency}政府信息公开指南"),
    ("notice", "关于调整政府信息公开工作领导小组成员的通知"),
    ("workplan", "{agency}{year}年政务公开重点工作任务分工方案"),
)
