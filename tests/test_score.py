"""Hand-computed cases straight from the Qingdao notice (Annex 2) and the Guangdong default method."""

from dataclasses import replace
from decimal import Decimal as D
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kjjr_excel.domain.model import CenterInput
from kjjr_excel.domain.scheme import load_scheme
from kjjr_excel.domain.score import (
    excel_formula,
    percentile_inc,
    percentrank_inc,
    score_all,
    score_rule,
    trimmed_mean,
)

QD = load_scheme("qingdao")
GD = load_scheme("guangdong")


def rule(iid, n):
    return score_rule(QD.indicator(iid), D(n))[0]


@pytest.mark.parametrize(
    ("iid", "n", "expected"),
    [
        # 每年收集30家，基本分5分，每多一家加0.25分，每少一家减0.25分，0-10
        ("enterprise_info", 30, 5),
        ("enterprise_info", 31, 5.25),
        ("enterprise_info", 29, 4.75),
        ("enterprise_info", 35, 6.25),
        ("enterprise_info", 50, 10),
        ("enterprise_info", 51, 10),
        ("enterprise_info", 10, 0),
        ("enterprise_info", 9, 0),
        ("enterprise_info", 0, 0),
        # 每年征集100条，基本分5分
        ("financing_needs", 100, 5),
        ("financing_needs", 120, 10),
        ("financing_needs", 121, 10),
        ("financing_needs", 80, 0),
        ("financing_needs", 81, 0.25),
        ("financing_needs", 99, 4.75),
        # 满分6分，每少一次减0.5分
        ("monthly_reports", 12, 6),
        ("monthly_reports", 11, 5.5),
        ("monthly_reports", 0, 0),
        ("monthly_reports", 1, 0.5),
        # 每月一次（12场）基本分10分，每多一场加3分，每少一场减3分，0-25
        ("finance_events", 12, 10),
        ("finance_events", 13, 13),
        ("finance_events", 17, 25),
        ("finance_events", 16, 22),
        ("finance_events", 18, 25),
        ("finance_events", 9, 1),
        ("finance_events", 8, 0),
        ("finance_events", 0, 0),
        # 每推动一项加1分，0-10
        ("policies_implemented", 0, 0),
        ("policies_implemented", 7, 7),
        ("policies_implemented", 10, 10),
        ("policies_implemented", 11, 10),
        # 每发布一项加3分，0-15
        ("new_policies_products", 1, 3),
        ("new_policies_products", 5, 15),
        ("new_policies_products", 6, 15),
        # 1名1分，每增加1名加1分，0-4
        ("fulltime_staff", 0, 0),
        ("fulltime_staff", 1, 1),
        ("fulltime_staff", 4, 4),
        ("fulltime_staff", 5, 4),
        # 计10分，出现一次较大失误减1分
        ("major_errors", 0, 10),
        ("major_errors", 3, 7),
        ("major_errors", 10, 0),
        ("major_errors", 12, 0),
        # 重大贡献 as awarded, 0-10
        ("major_contribution", 0, 0),
        ("major_contribution", D("7.5"), 7.5),
        ("major_contribution", 10, 10),
    ],
)
def test_qingdao_rules(iid, n, expected):
    assert rule(iid, n) == Fraction(str(expected))


def test_derivation_text_matches_spec_example():
    assert score_rule(QD.indicator("enterprise_info"), D(35))[1] == "35家：5 + 0.25×(35−30) = 6.25"
    text = score_rule(QD.indicator("finance_events"), D(20))[1]
    assert text.startswith("20场：10 + 3×(20−12) = 34.00") and "上限按25分计" in text
    assert "下限按0分计" in score_rule(QD.indicator("enterprise_info"), D(2))[1]


def test_excel_formula_is_clamped():
    assert excel_formula(QD.indicator("enterprise_info"), "F12") == "MAX(0,MIN(10,5+0.25*(F12-30)))"


def center(key, values, **kw):
    return CenterInput(key=key, code=key, name=key, values={k: D(str(v)) for k, v in values.items()}, **kw)


def test_qingdao_total_with_neutral_assessor_fields():
    values = dict(
        enterprise_info=30,
        financing_needs=100,
        monthly_reports=12,
        finance_events=12,
        policies_implemented=0,
        new_policies_products=0,
        fulltime_staff=0,
    )
    (s,) = score_all(QD, [center("A", values)])
    # 5 + 5 + 6 + 10 + 0 + 0 + 0 + 工作落实10 + 重大贡献0
    assert s.total == 36


def test_error_value_scores_zero_and_says_where():
    values = dict(
        enterprise_info=50,
        financing_needs=100,
        monthly_reports=12,
        finance_events=12,
        policies_implemented=0,
        new_policies_products=0,
        fulltime_staff=0,
    )
    c = center("A", values, errors={"enterprise_info": "F12"})
    (s,) = score_all(QD, [c])
    item = next(i for i in s.items if i.indicator == "enterprise_info")
    assert item.score == 0 and "F12" in item.derivation


def gd_values(**over):
    base = {i.id: 10 for i in GD.indicators}
    base.update(over)
    return base


def test_guangdong_ratio_to_best_and_weights():
    a = center("A", gd_values(loan_amount=3000))
    b = center("B", gd_values(loan_amount=1500))
    sa, sb = score_all(GD, [a, b])
    assert sa.quantitative == 100
    # loan_amount weight 15: half of the best gives 7.5, so 100 − 7.5
    assert sb.quantitative == Fraction(925, 10)


def test_guangdong_zero_benchmark_gives_everyone_zero():
    a = center("A", gd_values(ipo_main_board=0))
    b = center("B", gd_values(ipo_main_board=0))
    sa, _ = score_all(GD, [a, b])
    item = next(i for i in sa.items if i.indicator == "ipo_main_board")
    assert item.score == 0
    assert sa.quantitative == 100 - 8


def test_vetoed_and_ineligible_centers_do_not_enter_the_benchmark():
    a = center("A", gd_values(loan_amount=1000))
    v = center("V", gd_values(loan_amount=100000), vetoes=("一票否决：弄虚作假",))
    sa, sv = score_all(GD, [a, v])
    assert sa.quantitative == 100
    assert sv.quantitative == 100  # capped at 1 against the others' best, kept for the record


def test_percentile_and_percentrank_match_excel():
    xs = [Fraction(x) for x in (1, 2, 3, 4, 5, 6, 7, 8, 9, 10)]
    assert percentile_inc(xs, Fraction(9, 10)) == Fraction(91, 10)  # =PERCENTILE.INC({1..10},0.9) = 9.1
    assert percentrank_inc(xs, Fraction(4)) == Fraction(333, 1000)  # =PERCENTRANK.INC({1..10},4) = 0.333
    assert percentrank_inc(xs, Fraction(10)) == 1


def test_percentrank_of_a_value_outside_the_array_stays_between_0_and_1():
    """A vetoed center is scored for the record against the others: Excel's PERCENTRANK.INC interpolates a value
    between two of the array's ({1000,2000,4000}, 3000: 0.75) and has none beyond its ends (#N/A): 1 above the
    highest, 0 below the lowest, so an indicator never scores more than its weight nor the total over 100."""
    xs = [Fraction(x) for x in (1000, 2000, 4000)]
    assert percentrank_inc(xs, Fraction(3000)) == Fraction(3, 4)
    assert percentrank_inc(xs, Fraction(10**6)) == 1 and percentrank_inc(xs, Fraction(1)) == 0
    # with equal values below it, from the last of them, as LibreOffice's PERCENTRANK.INC does: {1,1,3}, 2: 0.75
    assert percentrank_inc([Fraction(1), Fraction(1), Fraction(3)], Fraction(2)) == Fraction(3, 4)
    assert percentrank_inc([Fraction(1), Fraction(5), Fraction(5)], Fraction(5)) == Fraction(1, 2)
    ranked = replace(GD, benchmark="rank")
    pool = [center(k, gd_values(loan_amount=v)) for k, v in (("A", 1000), ("B", 2000), ("C", 4000))]
    high = center("V", {i.id: 10**6 for i in GD.indicators}, vetoes=("一票否决：弄虚作假",))
    mid = center("W", gd_values(loan_amount=3000), vetoes=("一票否决：弄虚作假",))
    *_, sv, sw = score_all(ranked, [*pool, high, mid])
    assert sv.quantitative == 100
    loan = next(i for i in sw.items if i.indicator == "loan_amount")
    assert loan.score == 15 * Fraction(3, 4) and "百分比排位0.75" in loan.derivation


def test_trimmed_mean_drops_one_highest_and_one_lowest_from_five():
    totals = [Fraction(x) for x in (60, 70, 80, 90, 100)]
    assert trimmed_mean(totals, 5) == 80
    assert trimmed_mean([Fraction(60), Fraction(100), Fraction(90), Fraction(70)], 5) == 80
    assert trimmed_mean([Fraction(50), Fraction(50), Fraction(99), Fraction(0), Fraction(50)], 5) == 50


def test_final_score_combines_quantitative_and_qualitative():
    a = center("A", gd_values(), review_totals=(Fraction(80),))
    (s,) = score_all(GD, [a], reviews_given=True)
    assert s.total == Fraction(6, 10) * 100 + Fraction(4, 10) * 80


def test_without_reviews_final_is_quantitative():
    a = center("A", gd_values(loan_amount=5))
    b = center("B", gd_values(loan_amount=10))
    sa, _ = score_all(GD, [a, b])
    assert sa.total == sa.quantitative and sa.qualitative is None


def test_missing_review_counts_zero_when_reviews_were_given():
    a = center("A", gd_values())
    (s,) = score_all(GD, [a], reviews_given=True)
    assert s.total == 60


@given(
    st.lists(
        st.fixed_dictionaries({i.id: st.integers(0, 10**6) for i in GD.indicators}), min_size=1, max_size=8
    ),
    st.lists(st.integers(0, 100), max_size=6),
)
def test_guangdong_scores_stay_within_0_100(rows, reviews):
    centers = [
        center(f"C{n}", r, review_totals=tuple(Fraction(x) for x in reviews)) for n, r in enumerate(rows)
    ]
    for s in score_all(GD, centers, reviews_given=bool(reviews)):
        assert 0 <= s.quantitative <= 100
        assert 0 <= s.total <= 100


@given(st.fixed_dictionaries({i.id: st.integers(0, 500) for i in QD.self_indicators}))
def test_qingdao_total_stays_within_0_100(values):
    (s,) = score_all(QD, [center("A", values)])
    assert 0 <= s.total <= 100
    for item in s.items:
        ind = QD.indicator(item.indicator)
        assert 0 <= item.score <= ind.rule.params["max"]


# Scoring keeps the scores it worked out for a run by value as typed: equal figures typed apart (5 and 5.0) keep
# their own value, and a center's items do not depend on which center came first.
_TYPED = st.sampled_from(["0", "5", "5.0", "5.00", "12", "12.5", "30", "35", "-0"])


@given(st.lists(st.fixed_dictionaries({i.id: _TYPED for i in QD.self_indicators}), min_size=1, max_size=6))
def test_qingdao_items_of_a_batch_are_each_centers_own(rows):
    centers = [
        CenterInput(key=f"C{n}", code=f"C{n}", name=f"C{n}", values={k: D(v) for k, v in r.items()})
        for n, r in enumerate(rows)
    ]
    for c, s in zip(centers, score_all(QD, centers), strict=True):
        (alone,) = score_all(QD, [c])
        assert s.items == alone.items and s.total == alone.total
        assert all(repr(i.value) == repr(c.values[i.indicator]) for i in s.items if i.indicator in c.values)


@given(st.lists(st.fixed_dictionaries({i.id: _TYPED for i in GD.indicators}), min_size=1, max_size=6))
def test_guangdong_items_do_not_depend_on_the_order_of_the_centers(rows):
    centers = [
        CenterInput(key=f"C{n}", code=f"C{n}", name=f"C{n}", values={k: D(v) for k, v in r.items()})
        for n, r in enumerate(rows)
    ]
    forward = score_all(GD, centers)
    backward = score_all(GD, centers[::-1])[::-1]
    for c, f, b in zip(centers, forward, backward, strict=True):
        assert f.items == b.items
        assert [repr(i.value) for i in f.items] == [repr(c.values[i.indicator]) for i in f.items]


def test_a_figure_in_error_is_not_a_zero_in_the_others_benchmark():
    """A figure the tool could not read scores 0 for its own center, but is no figure of the others' pool: as a
    0 it would lower the p90 benchmark and raise every other percent rank ({1000, 2000} and one in error: 1000
    ranks 0, not 0.5)."""
    ranked = replace(GD, benchmark="rank")
    a, b = center("A", gd_values(loan_amount=1000)), center("B", gd_values(loan_amount=2000))
    bad = center("X", gd_values(), errors={"loan_amount": "C13"})
    sa, sb, sx = score_all(
        ranked, [a, b, replace(bad, values={k: v for k, v in bad.values.items() if k != "loan_amount"})]
    )
    loan = {s.center.key: next(i for i in s.items if i.indicator == "loan_amount") for s in (sa, sb, sx)}
    assert loan["A"].score == 0 and loan["B"].score == 15 and loan["X"].score == 0
    p90 = replace(GD, benchmark="p90")
    sa, sb, _ = score_all(
        p90, [a, b, replace(bad, values={k: v for k, v in bad.values.items() if k != "loan_amount"})]
    )
    # PERCENTILE.INC({1000, 2000}, 0.9) = 1900: 1000 scores 15 × 1000/1900
    assert next(i for i in sa.items if i.indicator == "loan_amount").score == Fraction(15 * 1000, 1900)
