"""Schemes load, drive everything by data, and reject malformed files with the key and line."""

import re
import shutil
from decimal import Decimal as D
from pathlib import Path

import pytest

from kjjr_excel.domain.describe import parameters
from kjjr_excel.domain.model import CenterInput
from kjjr_excel.domain.scheme import load_scheme, resolve_scheme_path, shipped_schemes
from kjjr_excel.domain.score import score_all
from kjjr_excel.errors import SchemeError


def test_shipped_schemes_and_aliases():
    ids = [sid for sid, _, _ in shipped_schemes()]
    assert ids == ["guangdong-2019", "qingdao-2017"]
    assert load_scheme("qingdao").id == load_scheme("qingdao-2017").id == "qingdao-2017"
    assert load_scheme("guangdong").id == "guangdong-2019"


def test_qingdao_has_the_ten_indicators_of_annex_2():
    s = load_scheme("qingdao")
    assert [i.id for i in s.self_indicators] == [
        "enterprise_info",
        "financing_needs",
        "monthly_reports",
        "finance_events",
        "policies_implemented",
        "new_policies_products",
        "fulltime_staff",
    ]
    assert [i.id for i in s.assessor_indicators] == ["major_errors", "major_accident", "major_contribution"]
    assert s.indicator("finance_events").label == "举办项目路演、专题培训、讲座、论坛等科技金融活动"
    assert s.year == 2017


def test_guangdong_roster_and_distinct_service_rows():
    s = load_scheme("guangdong")
    assert len(s.roster) == 32
    assert s.roster[0].code == "GD01" and s.roster[0].name == "汕头分中心"
    assert s.roster[31].code == "GD32" and s.roster[31].host_unit == "珠海市横琴·澳门青年创业谷"
    served = [i for i in s.indicators if i.label == "服务企业数量（家）"]
    assert [(i.id, i.category) for i in served] == [
        ("loan_firms_served", "科技信贷"),
        ("vc_firms_served", "创业投资"),
    ]
    assert sum(i.weight for i in s.indicators) == 100


def test_unknown_scheme_names_the_choices():
    with pytest.raises(SchemeError, match="qingdao-2017"):
        resolve_scheme_path("shanghai")


def test_a_scheme_path_that_is_no_file_or_cannot_be_read_says_which(tmp_path, monkeypatch):
    """A folder or a FIFO given as the scheme was 找不到考核方案 (it is there); a file it may not read ended in
    程序内部错误：PermissionError (root reads anything: the refusal is injected where the OS raises it)."""
    import os

    (tmp_path / "方案.toml").mkdir()
    with pytest.raises(SchemeError, match="是一个文件夹，不是考核方案文件"):
        load_scheme(tmp_path / "方案.toml")
    os.mkfifo(tmp_path / "管道.toml")
    with pytest.raises(SchemeError, match="不是普通文件，未读取"):
        load_scheme(tmp_path / "管道.toml")
    locked = copy_scheme(tmp_path)
    real = Path.read_bytes

    def read_bytes(self):
        if self == locked:
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    with pytest.raises(SchemeError, match=r"my.toml 无法读取（没有权限）") as raised:
        load_scheme(locked)
    assert "Errno" not in str(raised.value)


def copy_scheme(tmp_path: Path, name="qingdao-2017") -> Path:
    src = resolve_scheme_path(name)
    dst = tmp_path / "my.toml"
    shutil.copy(src, dst)
    return dst


def test_raising_a_target_is_a_change_of_the_scheme_file_alone(tmp_path):
    path = copy_scheme(tmp_path)
    text = path.read_text(encoding="utf-8").replace(
        'rule = { kind = "linear_step", base = 5, step = 0.25, target = 30,',
        'rule = { kind = "linear_step", base = 5, step = 0.25, target = 40,',
    )
    path.write_text(text, encoding="utf-8")
    s = load_scheme(path)
    c = CenterInput(key="a", code="a", name="a", values={"enterprise_info": D(40)})
    item = next(i for i in score_all(s, [c])[0].items if i.indicator == "enterprise_info")
    assert item.score == 5 and "(40−40)" in item.derivation
    # what the clerks read says 40 too (the sentence was the notice's for 30), and the rule is no longer the notice's
    ind = s.indicator("enterprise_info")
    assert ind.standard.startswith("每年收集40家新增科技型企业信息") and "30" not in ind.standard
    assert ind.rule.source == "default"
    assert any("30 已按计分规则（target = 40）改为 40" in note for note in s.wording_notes)


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ('method = "absolute"', 'method = "magic"', "scheme.method"),
        ('kind = "per_unit", step = 3', 'kind = "per_unitt", step = 3', "kind"),
        ("year = 2017", 'year = "twenty"', "scheme.year"),
        ('{ name = "良好", min = 75 }', '{ name = "良好" }', "min"),
    ],
)
def test_malformed_scheme_names_key_and_line(tmp_path, old, new, key):
    path = copy_scheme(tmp_path)
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(SchemeError) as exc:
        load_scheme(path)
    assert key in str(exc.value) and "行" in str(exc.value)


def test_toml_syntax_error_is_reported(tmp_path):
    path = copy_scheme(tmp_path)
    path.write_text(path.read_text(encoding="utf-8") + "\n[[indicators]\n", encoding="utf-8")
    with pytest.raises(SchemeError, match="格式错误"):
        load_scheme(path)


@pytest.mark.parametrize(
    "line, said",
    [
        ('id = "my', "引号没有闭合"),
        ("id = my", "文字要加英文双引号"),
        ('id = "my"，', "多余的内容"),
        ('id ＝ "my"', "缺少“=”"),
        ('rule = { kind = "veto"', "花括号 { } 没有闭合"),
        ('path = "C:\\x\\y"', "反斜杠"),
        # a full-width comma between two items of a table, typed in a Chinese input method: named as the cause
        ("amounts = { 优秀 = 20， 良好 = 10 }", "这一行有中文标点“，”，请改为英文半角标点"),
        ('name2 = "甲，乙" x', "多余的内容"),  # a comma inside quotes is the text's own: not named
    ],
)
def test_toml_syntax_error_says_where_and_what_in_chinese(tmp_path, line, said):
    """What a clerk editing the file in Notepad gets wrong, said in Chinese with the line (tomllib's English
    reason was shown as it was)."""
    path = tmp_path / "my.toml"
    path.write_text(f'[scheme]\nname = "x"\n{line}\n', encoding="utf-8")
    with pytest.raises(SchemeError) as refused:
        load_scheme(path)
    text = str(refused.value)
    assert "第3行" in text and said in text, text
    if "甲，乙" in line:  # inside quotes a comma is the text's own
        assert "这一行有中文标点" not in text, text
    assert not re.search(r"Invalid|Unclosed|Unterminated|Expected|Illegal|Found|Cannot|line|column", text), (
        text
    )


def test_weights_must_sum_to_100(tmp_path):
    path = copy_scheme(tmp_path, "guangdong-2019")
    text = path.read_text(encoding="utf-8").replace("weight = 15", "weight = 16", 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SchemeError, match="权重之和应为100"):
        load_scheme(path)


def test_a_copied_guangdong_scheme_still_finds_the_shipped_roster(tmp_path):
    path = copy_scheme(tmp_path, "guangdong-2019")
    text = path.read_text(encoding="utf-8").replace('benchmark = "max"', 'benchmark = "p90"')
    path.write_text(text, encoding="utf-8")
    s = load_scheme(path)
    assert len(s.roster) == 32 and s.benchmark == "p90"


def _edit(tmp_path: Path, name: str, old: str, new: str) -> tuple[Path, str]:
    path = copy_scheme(tmp_path, name)
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    text = text.replace(old, new, 1)
    path.write_text(text, encoding="utf-8")
    return path, text


def _line_of(text: str, fragment: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if fragment in line)


def _refused(path: Path) -> SchemeError:
    with pytest.raises(SchemeError) as exc:
        load_scheme(path)
    assert str(path) in str(exc.value)
    return exc.value


def test_a_misspelt_key_is_refused_with_the_nearest_known_one(tmp_path):
    path, text = _edit(tmp_path, "qingdao-2017", "outlier_threshold = 3.5", "outlier_treshold = 9.9")
    err = _refused(path)
    assert err.key == "validation.outlier_treshold"
    assert err.line == _line_of(text, "outlier_treshold")
    assert f"第{err.line}行" in str(err) and "outlier_threshold" in str(err)


def test_a_misspelt_required_rule_key_is_named_beside_the_missing_one(tmp_path):
    path, text = _edit(
        tmp_path, "qingdao-2017", "base = 5, step = 0.25, target = 30", "base = 5, stepp = 0.25, target = 30"
    )
    err = _refused(path)
    assert err.key == "indicators[0].rule.step"
    assert "缺少这一项" in str(err) and "stepp" in str(err)


def test_an_unknown_key_inside_an_inline_rule_is_refused(tmp_path):
    path, text = _edit(tmp_path, "qingdao-2017", "target = 100, min = 0", "target = 100, bonus = 2, min = 0")
    err = _refused(path)
    assert err.key == "indicators[1].rule.bonus" and err.line == _line_of(text, "bonus = 2")


def test_an_unknown_section_is_refused(tmp_path):
    path, text = _edit(tmp_path, "qingdao-2017", "[validation]", "[validaton]")
    err = _refused(path)
    assert err.key == "validaton" and err.line == _line_of(text, "[validaton]") and "validation" in str(err)


def test_a_wrong_type_is_refused(tmp_path):
    path, text = _edit(tmp_path, "qingdao-2017", "step = 0.25, target = 30,", 'step = 0.25, target = "30",')
    err = _refused(path)
    assert err.key == "indicators[0].rule.target" and err.line == _line_of(text, 'target = "30"')
    assert "应为数字" in str(err)


def test_a_flag_written_as_text_is_refused(tmp_path):
    path, text = _edit(tmp_path, "qingdao-2017", "enabled = true", 'enabled = "yes"')
    err = _refused(path)
    assert err.key == "delisting.enabled" and err.line == _line_of(text, 'enabled = "yes"')


@pytest.mark.parametrize(
    ("old", "new", "key", "words"),
    [
        ('{ name = "良好", min = 75 }', '{ name = "良好", min = 90 }', "grading.grades[1].min", "重叠"),
        ('{ name = "合格", min = 60 }', '{ name = "合格", min = 80 }', "grading.grades[2].min", "重叠"),
        ('{ name = "不合格", min = 0,', '{ name = "不合格", min = 10,', "grading.grades[3].min", "没有等次"),
        (
            '{ name = "良好", min = 75 }',
            '{ name = "良好", min = 75, max = 89 }',
            "grading.grades[1].max",
            "空档",
        ),
        (
            '{ name = "良好", min = 75 }',
            '{ name = "良好", min = 75, max = 95 }',
            "grading.grades[1].max",
            "重叠",
        ),
        # a total is kept to two decimals: 74.995 is no line a total can be on (74.99 or 75.00)
        (
            '{ name = "良好", min = 75 }',
            '{ name = "良好", min = 74.995 }',
            "grading.grades[1].min",
            "74.995 超过两位小数",
        ),
    ],
)
def test_grade_tables_with_gaps_or_overlaps_are_refused(tmp_path, old, new, key, words):
    path, text = _edit(tmp_path, "qingdao-2017", old, new)
    err = _refused(path)
    assert err.key == key and words in str(err)
    assert err.line == _line_of(text, new)


def test_quota_shares_must_add_up(tmp_path):
    path, text = _edit(
        tmp_path, "guangdong-2019", '{ name = "合格", share = 0.4 }', '{ name = "合格", share = 0.5 }'
    )
    err = _refused(path)
    assert (
        err.key == "grading.grades[2].share"
        and err.line == _line_of(text, "share = 0.5")
        and "之和应为1" in str(err)
    )


def test_rule_maxima_must_sum_to_the_stated_total(tmp_path):
    path, _ = _edit(
        tmp_path, "qingdao-2017", "target = 12, min = 0, max = 25", "target = 12, min = 0, max = 30"
    )
    err = _refused(path)
    assert "之和应为100" in str(err) and "105" in str(err) and err.line


def test_relative_weights_must_sum_to_the_stated_total(tmp_path):
    path, text = _edit(tmp_path, "guangdong-2019", "total_max = 100", "total_max = 101")
    err = _refused(path)
    assert "权重之和应为101" in str(err) and err.line == _line_of(text, "weight = 5")


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        (
            "base = 5, step = 0.25, target = 30",
            "base = 5, step = -0.25, target = 30",
            "indicators[0].rule.step",
        ),
        (
            "base = 5, step = 0.25, target = 30",
            "base = 12, step = 0.25, target = 30",
            "indicators[0].rule.base",
        ),
        ("target = 30, min = 0, max = 10", "target = 30, min = 10, max = 0", "indicators[0].rule.max"),
        ("target = 30,", "target = -3,", "indicators[0].rule.target"),
        ("years = 2", "years = 0", "delisting.years"),
        ("outlier_min_centers = 5", "outlier_min_centers = 1", "validation.outlier_min_centers"),
        ('amounts = { "优秀" = 20,', 'amounts = { "优秀" = -20,', "subsidy.amounts.优秀"),
        ('"不合格" = 0 }', '"不合格" = 5 }', "subsidy.amounts.不合格"),
        ('"合格" = 20, "不合格" = 0 }', '"合格" = 20, "不合格" = 0, "及格" = 5 }', "subsidy.amounts.及格"),
    ],
)
def test_rule_and_section_parameters_out_of_range_are_refused(tmp_path, old, new, key):
    path, text = _edit(tmp_path, "qingdao-2017", old, new)
    err = _refused(path)
    assert err.key == key, str(err)
    assert err.line == _line_of(text, new.split(",")[0] if "amounts" in new else new), str(err)


def test_relative_parameters_out_of_range_are_refused(tmp_path):
    path, text = _edit(tmp_path, "guangdong-2019", "trim_at = 5", "trim_at = 2")
    err = _refused(path)
    assert err.key == "qualitative.trim_at" and err.line == _line_of(text, "trim_at = 2")
    path, text = _edit(tmp_path, "guangdong-2019", "quantitative = 0.6", "quantitative = 0.7")
    err = _refused(path)
    assert err.key == "combination.qualitative" and "之和应为1" in str(err)


def test_an_absolute_scheme_refuses_relative_sections(tmp_path):
    path, text = _edit(
        tmp_path, "qingdao-2017", "[validation]", '[quantitative]\nbenchmark = "p90"\n\n[validation]'
    )
    err = _refused(path)
    assert err.key == "quantitative" and err.line == _line_of(text, "[quantitative]")


def test_a_missing_key_names_its_table(tmp_path):
    path, text = _edit(tmp_path, "qingdao-2017", 'title = "科技金融服务分中心考核指标"\n', "")
    err = _refused(path)
    assert err.key == "scheme.title" and err.line == _line_of(text, "[scheme]") and "缺少" in str(err)


def test_scheme_imports_nothing_of_the_package_but_its_errors():
    import subprocess
    import sys

    code = (
        "import sys, kjjr_excel.domain.scheme as s; s.load_scheme('guangdong'); s.load_scheme('qingdao');"
        "print(sorted(m for m in sys.modules if m.startswith('kjjr_excel')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert (
        out.strip()
        == "['kjjr_excel', 'kjjr_excel.domain', 'kjjr_excel.domain.scheme', 'kjjr_excel.domain.wording', "
        "'kjjr_excel.errors']"
    )


def test_a_budget_is_printed_with_its_floor_as_applied(tmp_path):
    path, _ = _edit(tmp_path, "qingdao-2017", "budget = 0 ", "budget = 100 ")
    rows = {name: value for name, value, _ in parameters(load_scheme(path))}
    assert rows["补助金额（万元）：总额"] == "100"
    assert rows["补助金额（万元）：分配"] == "每个分中心先得保底 20，余额按得分比例分配"


@pytest.mark.parametrize(
    ("old", "new", "key", "words"),
    [
        ('sheet = "考核指标"', 'sheet = "考核指标/2018"', "submission.sheet", "不允许的字符 /"),
        ('sheet = "考核指标"', f'sheet = "{"考核" * 16}"', "submission.sheet", "最多允许31个字"),
        ('sheet = "考核指标"', 'sheet = "填报说明"', "submission.instructions_sheet", "同名"),
        ('sheet = "考核指标"', 'sheet = "_META"', "submission.sheet", "_meta"),
    ],
)
def test_a_sheet_name_excel_refuses_is_refused_by_the_scheme(tmp_path, old, new, key, words):
    """XlsxWriter stops at such a name half way through writing the template: refuse it with its line."""
    path, text = _edit(tmp_path, "qingdao-2017", old, new)
    with pytest.raises(SchemeError) as exc:
        load_scheme(path)
    err = exc.value
    assert err.key == key and words in str(err)
    assert err.line == _line_of(text, key.split(".")[1] + " = ")


@pytest.mark.parametrize("amount", ["10", "0"])
def test_an_amount_under_the_floor_is_refused_unless_a_budget_shares_the_money(tmp_path, amount):
    """合格 paid less than the 补助下限 the same scheme prints (合格及以上 at least 20) is a contradiction: refused
    at its line with what to change. With a budget the amounts are not what is paid, so it loads."""
    path, text = _edit(tmp_path, "qingdao-2017", '"合格" = 20', f'"合格" = {amount}')
    with pytest.raises(SchemeError) as exc:
        load_scheme(path)
    err = exc.value
    assert err.key == "subsidy.amounts.合格" and err.line == _line_of(text, "amounts = {")
    assert f"金额 {amount} 低于补助下限 floor = 20" in str(err) and "降低 floor" in str(err)
    path.write_text(text.replace("budget = 0 ", "budget = 100 "), encoding="utf-8")
    assert load_scheme(path).subsidy_amounts["合格"] == D(amount)
    path.write_text(text.replace("floor = 20", "floor = 0"), encoding="utf-8")
    assert load_scheme(path).subsidy_floor == 0


def test_a_misspelt_placeholder_in_the_notice_text_is_refused(tmp_path):
    """{year} is replaced on the 公示 notice; {yaer} would be printed on it as typed."""
    path, text = _edit(tmp_path, "qingdao-2017", "开展了{year}年度考核", "开展了{yaer}年度考核")
    with pytest.raises(SchemeError) as exc:
        load_scheme(path)
    assert exc.value.key == "publish.intro" and exc.value.line == _line_of(text, "intro = ")
    assert "{yaer} 不是可用的占位符" in str(exc.value)


def test_remarks_that_state_other_grades_than_grading_are_refused(tmp_path):
    """A copy made before the grade sentence was worded from [grading] keeps the notice's remarks: with edited
    bounds the form would print 90 beside 85. Remarks that agree (qingdao-2018) load."""
    path = copy_scheme(tmp_path)
    text = path.read_text(encoding="utf-8")
    stale = 'remarks = "考核分值90分（含）以上为优秀；75（含）至90分为良好；60（含）至75分为合格；60分以下为不合格。"'
    text = text.replace('sign = "申报单位', stale + '\nsign = "申报单位', 1)
    text = text.replace('{ name = "优秀", min = 90 }', '{ name = "优秀", min = 85 }', 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SchemeError) as exc:
        load_scheme(path)
    assert exc.value.key == "submission.remarks" and exc.value.line == _line_of(text, "remarks = ")
    assert "没有写到：85分" in str(exc.value) and "删除" in str(exc.value)
    agreeing = load_scheme(Path(__file__).parent / "schemes" / "qingdao-2018.toml")
    assert agreeing.remarks_grade_the_centers and not load_scheme("qingdao").remarks_grade_the_centers


@pytest.mark.parametrize(
    ("old", "new", "key", "words"),
    [
        (
            'fields = ["loan_amount", "loan_projects"]',
            'fields = ["loan_amount", "loan_amount"]',
            "checks[0].fields",
            "指标 loan_amount 写了两次",
        ),
        ('requires = "roadshow_events"', 'requires = "roadshow_attendees"', "checks[2].requires", "写了两次"),
        # the amount now in 亿元, the check left as it was: it would tell clerks 按“亿元”而不是“亿元”填写
        (
            'label = "撮合贷款金额（万元）"\nunit = "万元"',
            'label = "撮合贷款金额（亿元）"\nunit = "亿元"',
            "checks[4].small_unit",
            "“亿元”就是指标 loan_amount 的单位",
        ),
        ("[qualitative]", "[qualitive]", "qualitive", "是否应为 qualitative"),
        # a copy made before {year}, or edited by hand: the form would ask for another year's figures
        (
            'period = "{year}年1月1日—{year}年12月31日"',
            'period = "2018年1月1日—2018年12月31日"',
            "scheme.period",
            "写的是2018年，而考核年度（[scheme] year）是2019年",
        ),
        (
            'help = "填写{year}年度入驻本中心的银行机构数量',
            'help = "填写2018年度入驻本中心的银行机构数量',
            "indicators[0].help",
            "请把2018改为 {year}",
        ),
        ('period = "{year}年1月1日', 'period = "{yr}年1月1日', "scheme.period", "{yr} 不是可用的占位符"),
        (
            'title = "地市分中心评估数据统计表（定量指标）"',
            'title = "地市分中心{year}年度评估数据统计表"',
            "scheme.title",
            "这里的 {year} 不会换成考核年度",
        ),
    ],
)
def test_guangdong_edits_that_would_check_or_print_something_untrue_are_refused(
    tmp_path, old, new, key, words
):
    path, text = _edit(tmp_path, "guangdong-2019", old, new)
    with pytest.raises(SchemeError) as exc:
        load_scheme(path)
    assert exc.value.key == key and words in str(exc.value), str(exc.value)


@pytest.mark.parametrize(
    ("new", "key", "words"),
    [
        ('type = "bool"\nweight = 5', "indicators[0].type", "“是/否”指标无法比较"),
        ('type = "integer"\nsource = "assessor"\nweight = 5', "indicators[0].source", "没有考核方填写表"),
    ],
)
def test_a_relative_indicator_nobody_can_compare_or_fill_is_refused(tmp_path, new, key, words):
    """Both loaded and scored 0 for every center (未填写，按0分计): a 是 is not a figure to compare, and a
    relative scheme has no assessor workbook to fill an assessor's field in."""
    path, _ = _edit(tmp_path, "guangdong-2019", 'type = "integer"\nweight = 5', new)
    with pytest.raises(SchemeError) as exc:
        load_scheme(path)
    assert exc.value.key == key and words in str(exc.value)


def test_a_yes_no_indicator_scored_as_a_figure_is_refused(tmp_path):
    """重大责任事故 given 1×n: Python counted 是 as 1 while the form's preview said 请填数字 beside its 是/否 list."""
    path, text = _edit(
        tmp_path,
        "qingdao-2017",
        'rule = { kind = "veto", reason = "有重大责任事故，评定为不合格" }',
        'rule = { kind = "per_unit", step = 1, min = 0, max = 1 }',
    )
    # 重大贡献 one point less, so the maxima still add up to 100 and nothing else is wrong
    text = text.replace(
        'rule = { kind = "as_awarded", min = 0, max = 10 }',
        'rule = { kind = "as_awarded", min = 0, max = 9 }',
    )
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SchemeError) as exc:
        load_scheme(path)
    assert exc.value.key == "indicators[8].rule.kind" and "只能用一票否决（veto）" in str(exc.value)
    assert exc.value.line == _line_of(text, 'rule = { kind = "per_unit", step = 1, min = 0, max = 1 }')


def test_for_year_says_the_year_in_the_period_and_help_only():
    gd = load_scheme("guangdong").for_year(2021)
    assert gd.period == "2021年1月1日—2021年12月31日" and gd.indicators[0].help.startswith("填写2021年度")
    assert gd.year == 2019 and gd.indicators[0].label == load_scheme("guangdong").indicators[0].label


def test_money_finer_than_a_hundred_yuan_is_refused(tmp_path):
    """Amounts are paid to 0.01 万元 (100 元): a budget of 200.005 万元 would leave half a cent nobody can be paid,
    so the scheme is refused at its line, as any other figure it cannot apply."""
    path, text = _edit(tmp_path, "qingdao-2017", "budget = 0 ", "budget = 200.005 ")
    with pytest.raises(SchemeError) as exc:
        load_scheme(path)
    assert exc.value.key == "subsidy.budget" and exc.value.line == _line_of(text, "budget = 200.005")
    assert "最多保留2位小数" in str(exc.value)
    path.write_text(text.replace("budget = 200.005 ", "budget = 200.05 "), encoding="utf-8")
    assert load_scheme(path).subsidy_budget == D("200.05")


@pytest.mark.parametrize("label", ["补贴金额（元）", "奖励资金(单位：千元)"])
def test_a_subsidy_label_in_another_unit_than_wan_yuan_is_refused(tmp_path, label):
    """Amounts are 万元 everywhere (排名, 公示, the capitals on the 发放清单): a scheme whose label says 元 would
    print 50000 as 伍亿元整. Refused at the label with what to change; （万元） and no unit load."""
    path, text = _edit(tmp_path, "qingdao-2017", 'label = "补助金额（万元）"', f'label = "{label}"')
    err = _refused(path)
    assert err.key == "subsidy.label" and err.line == _line_of(text, f'label = "{label}"')
    assert "一律以万元计" in str(err) and "（万元）" in str(err)
    path.write_text(text.replace(f'label = "{label}"', 'label = "补助金额"'), encoding="utf-8")
    assert load_scheme(path).subsidy_label == "补助金额"
    path.write_text(text.replace(f'label = "{label}"', 'label = "补助资金(万元)"'), encoding="utf-8")
    half = load_scheme(path)  # half-width brackets: the money is 补助资金, not 补助资金(万元)
    assert (half.money_label, half.money_word) == ("补助资金", "补助资金")


def test_a_budget_with_no_grade_paid_is_refused(tmp_path):
    """With a total budget the grades whose amount is more than 0 share it: all amounts 0 would pay nobody."""
    text = copy_scheme(tmp_path, "qingdao-2017").read_text(encoding="utf-8")
    path, text = _edit(
        tmp_path,
        "qingdao-2017",
        '"优秀" = 20, "良好" = 20, "合格" = 20',
        '"优秀" = 0, "良好" = 0, "合格" = 0',
    )
    path.write_text(text.replace("budget = 0 ", "budget = 100 ").replace("floor = 20", "floor = 0"), "utf-8")
    err = _refused(path)
    assert err.key == "subsidy.amounts" and "没有一个等次的金额大于0" in str(err)


@pytest.mark.parametrize("text", ["", "# 只有注释\n\n", "\ufeff"])
def test_an_empty_scheme_file_is_said_to_be_empty(tmp_path, text):
    path = tmp_path / "空.toml"
    path.write_text(text, encoding="utf-8")
    err = _refused(path)
    assert "是空的" in str(err) and "kjjr scheme new" in str(err)


def test_a_result_title_starting_with_nian_du_is_not_printed_twice(tmp_path):
    """Titles read {subject}{year}年度{result_title}: 年度评估结果 would print 2023年度年度评估结果."""
    path, _ = _edit(tmp_path, "qingdao-2017", 'result_title = "考核结果"', 'result_title = "年度评估结果"')
    assert load_scheme(path).result_title == "评估结果"
