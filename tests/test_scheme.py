"""Schemes load, drive everything by data, and reject malformed files with the key and line."""

import shutil
from decimal import Decimal as D
from pathlib import Path

import pytest

from kjjr_excel.errors import SchemeError
from kjjr_excel.model import CenterInput
from kjjr_excel.scheme import load_scheme, resolve_scheme_path, shipped_schemes
from kjjr_excel.score import score_all


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


def test_weights_must_sum_to_100(tmp_path):
    path = copy_scheme(tmp_path, "guangdong-2019")
    text = path.read_text(encoding="utf-8").replace("weight = 15", "weight = 16", 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SchemeError, match="权重之和应为100"):
        load_scheme(path)


def test_parameters_mark_defaults():
    rows = load_scheme("guangdong").parameters()
    assert any(src == "默认值（待确认）" and "撮合贷款金额" in name for name, _, src in rows)
    rows = load_scheme("qingdao").parameters()
    # the notice fixes the rules, the grades and the floor of 20万元 (合格及以上 20万元以上) ...
    assert ("补助下限（万元，合格及以上）", "20", "通知原文") in rows
    assert all(src == "通知原文" for name, _, src in rows if name.startswith(("计分规则", "等次", "摘牌")))
    # ... but not the amount per grade: 具体补助办法由市科技局统一确定
    amounts = [(name, src) for name, _, src in rows if name.startswith("补助金额（万元）：")]
    assert len(amounts) == 4 and all(src == "默认值（待确认）" for _, src in amounts)


def test_a_copied_guangdong_scheme_still_finds_the_shipped_roster(tmp_path):
    path = copy_scheme(tmp_path, "guangdong-2019")
    text = path.read_text(encoding="utf-8").replace('benchmark = "max"', 'benchmark = "p90"')
    path.write_text(text, encoding="utf-8")
    s = load_scheme(path)
    assert len(s.roster) == 32 and s.benchmark == "p90"
