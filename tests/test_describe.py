"""The 说明 texts: every parameter of a scheme as applied, with where it comes from."""

import openpyxl

from kjjr_excel.domain.describe import parameters
from kjjr_excel.domain.scheme import load_scheme, resolve_scheme_path
from kjjr_excel.write.template import generate


def test_parameters_mark_defaults():
    rows = parameters(load_scheme("guangdong"))
    assert any(src == "默认值（待确认）" and "撮合贷款金额" in name for name, _, src in rows)
    rows = parameters(load_scheme("qingdao"))
    # the notice fixes the rules, the grades and the floor of 20万元 (合格及以上 20万元以上) ...
    assert ("补助下限（万元，合格及以上）", "20", "通知原文") in rows
    assert all(src == "通知原文" for name, _, src in rows if name.startswith(("计分规则", "等次", "摘牌")))
    # ... but not the amount per grade: 具体补助办法由市科技局统一确定
    amounts = [(name, src) for name, _, src in rows if name.startswith("补助金额（万元）：")]
    assert len(amounts) == 4 and all(src == "默认值（待确认）" for _, src in amounts)


def test_every_row_names_its_source_and_the_method_adds_its_own():
    for name in ("qingdao", "guangdong"):
        rows = parameters(load_scheme(name))
        assert rows[0].name == "考核方案" and rows[0].source == "方案文件"
        assert rows[0][0] == "考核方案" and all(
            len(r) == 3 and all(isinstance(x, str) for x in r) for r in rows
        )
        assert {src for _, _, src in rows} <= {"方案文件", "通知原文", "默认值（待确认）"}
    names = [n for n, _, _ in parameters(load_scheme("guangdong"))]
    assert "定量计分方法" in names and "综合得分" in names
    assert any(n.startswith("计分规则：") for n, _, _ in parameters(load_scheme("qingdao")))


def test_scheme_check_words_the_checks_in_chinese_and_the_grades_as_the_notice_does():
    from kjjr_excel.domain.describe import grade_sentence, summary

    lines = summary(load_scheme("guangdong"))
    checks = lines[lines.index("交叉核对 6 项：") + 1 :][:6]
    assert checks[0] == "  “撮合贷款金额（万元）”与“撮合贷款项目数量（项）”两者应同时为0或同时大于0"
    assert not any(kind in line for line in checks for kind in ("paired", "requires", "ratio_range"))
    # the sentence the Qingdao notice prints, now worded from [grading] (the TOML no longer repeats it)
    assert grade_sentence(load_scheme("qingdao")) == (
        "考核分值90分（含）以上为优秀；75（含）至90分为良好；60（含）至75分为合格；60分以下为不合格。"
    )


def _headings(book) -> list[str]:
    return [str(c.value) for row in openpyxl.load_workbook(book)["填报说明"].iter_rows() for c in row]


def test_a_rule_marked_default_is_printed_as_the_offices_not_the_notices(tmp_path):
    """Qingdao's copy raising 30 enterprises to 40: 说明 said 5 + 0.25×(n−40) came from the notice, and there was
    no way to say otherwise. source = "default" in that rule marks it alone; the form's heading drops 通知原文."""
    text = resolve_scheme_path("qingdao").read_text(encoding="utf-8")
    old = "target = 30, min = 0, max = 10 }"
    assert old in text
    path = tmp_path / "mine.toml"
    path.write_text(
        text.replace(old, 'target = 40, min = 0, max = 10, source = "default" }', 1), encoding="utf-8"
    )
    scheme = load_scheme(path)
    rows = {name: (value, src) for name, value, src in parameters(scheme)}
    assert rows["计分规则：基础服务／征集科技型中小企业信息"] == (
        "5 + 0.25×(n−40)，0–10分",
        "默认值（待确认）",
    )
    assert rows["计分规则：基础服务／征集科技型中小企业融资需求"][1] == "通知原文"
    headings = _headings(generate(scheme, tmp_path)[0])
    assert "二、计分标准" in headings and "二、计分标准（通知原文）" not in headings
    assert "二、计分标准（通知原文）" in _headings(generate(load_scheme("qingdao"), tmp_path / "q")[0])


def test_a_budget_is_the_scheme_files_never_the_notices():
    """The notice fixes the 20 万元 floor and leaves 具体补助办法 to the 市科技局: a total budget and its split
    are set in the scheme file, so 说明 never cites them as 通知原文 (the floor still is)."""
    from dataclasses import replace
    from decimal import Decimal

    rows = {p.name: p for p in parameters(replace(load_scheme("qingdao"), subsidy_budget=Decimal(200)))}
    assert rows["补助金额（万元）：总额"].source == "方案文件"
    assert rows["补助金额（万元）：分配"].source == "方案文件"
    assert rows["补助下限（万元，合格及以上）"].source == "通知原文"
