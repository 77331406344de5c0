"""The cross-field check kinds: what each finds, the sentence it says, the Excel condition of its hint."""

from decimal import Decimal as D

import pytest

from kjjr_excel.domain import checks
from kjjr_excel.domain.scheme import CHECK_KINDS, Check, load_scheme

GD = load_scheme("guangdong")
PAIRED = Check(kind="paired", fields=("loan_amount", "loan_projects"))
REQUIRES = Check(kind="requires", fields=("roadshow_attendees", "roadshow_events"))
RATIO = Check(
    kind="ratio_range", fields=("loan_amount", "loan_projects"), min=D(1), max=D(50000), large_unit="元"
)
BASE = {"file": "a.xlsx", "sheet": "填报表", "cell": "C12", "center": "甲中心"}


def test_every_kind_the_loader_admits_is_in_the_registry():
    assert set(checks.CHECKS) == set(CHECK_KINDS)


@pytest.mark.parametrize(
    "check, vals, codes",
    [
        (PAIRED, [D(0), D(0)], []),
        (PAIRED, [D(5), D(2)], []),
        (PAIRED, [D(5), D(0)], ["cross-paired"]),
        (PAIRED, [D(0), D(3)], ["cross-paired"]),
        (REQUIRES, [D(30), D(0)], ["cross-requires"]),
        (REQUIRES, [D(0), D(0)], []),
        (REQUIRES, [D(30), D(2)], []),
        (RATIO, [D(100), D(10)], []),
        (RATIO, [D(0), D(10)], []),  # a zero is the paired check's business, not the ratio's
        (RATIO, [D(600000), D(10)], ["cross-unit-suspect"]),
        (RATIO, [D(5), D(10)], ["cross-unit-suspect"]),
    ],
)
def test_what_each_kind_finds(check, vals, codes):
    found = checks.evaluate(GD, check, vals, lambda: BASE)
    assert [f.code for f in found] == codes
    assert all((f.file, f.cell, f.center) == ("a.xlsx", "C12", "甲中心") for f in found)


def test_a_paired_check_of_three_fields_names_each_one_that_disagrees():
    three = Check(kind="paired", fields=("loan_amount", "loan_projects", "loan_firms_served"))
    found = checks.evaluate(GD, three, [D(500), D(0), D(0)], lambda: BASE)
    assert len(found) == 2
    assert "各项应同时为0或同时大于0" in found[0].message


def test_the_finding_the_hint_and_the_rule_say_the_same_sentence():
    (finding,) = checks.evaluate(GD, RATIO, [D(600000), D(10)], lambda: BASE)
    title, warning = checks.hint(GD, RATIO)
    bounds, guess = warning.removesuffix("，请核对").split("，超出时")
    assert bounds == "平均每项撮合贷款金额应在 1–50000 万元之间" and bounds in finding.message
    # the finding names its own guess of the unit, once
    assert guess == "可能是按“元”而不是“万元”填写的" and finding.message.count(guess) == 1
    assert "明显偏大" in finding.message
    assert title == checks.hint(GD, RATIO).title and title.startswith("核对：")
    (finding,) = checks.evaluate(GD, REQUIRES, [D(30), D(0)], lambda: BASE)
    assert checks.hint(GD, REQUIRES).warning.removesuffix("，请核对") in finding.message


def test_the_excel_conditions_over_the_cells():
    assert checks.excel_condition(PAIRED, ["C12", "C13"]) == "OR((N(C12)>0)<>(N(C13)>0))"
    assert checks.excel_condition(REQUIRES, ["C20", "C19"]) == "AND(N(C20)>0,N(C19)=0)"
    assert checks.excel_condition(RATIO, ["C12", "C13"]) == (
        "AND(N(C12)>0,N(C13)>0,OR(N(C12)/N(C13)<1,N(C12)/N(C13)>50000))"
    )


def test_only_the_ratio_shows_a_figure_beside_its_hint():
    assert checks.shown(GD, PAIRED, ["C12", "C13"]) is None
    shown = checks.shown(GD, RATIO, ["C12", "C13"])
    assert shown == ('IF(AND(N(C12)>0,N(C13)>0),ROUND(C12/C13,2),"")', "万元")
    assert shown.unit == "万元"


def test_the_shipped_checks_are_of_known_kinds_on_known_indicators():
    assert GD.checks and all(c.kind in checks.CHECKS for c in GD.checks)
    assert all(len(checks.indicators(GD, c)) == len(c.fields) for c in GD.checks)
