"""Grades at the bounds, competition ranks, vetoes, quota grades, subsidies and delisting flags."""

import random
from dataclasses import replace
from decimal import Decimal as D
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kjjr_excel.domain.model import CenterInput, CenterScore, HistoryRecord, ItemScore
from kjjr_excel.domain.rank import competition_ranks, grade_for, quota_counts, rank_centers, subsidies
from kjjr_excel.domain.scheme import load_scheme

QD = load_scheme("qingdao")
GD = load_scheme("guangdong")


@pytest.mark.parametrize(
    ("total", "grade"),
    [
        ("100", "优秀"),
        ("90", "优秀"),
        ("90.00", "优秀"),
        ("89.99", "良好"),
        ("75", "良好"),
        ("74.99", "合格"),
        ("60", "合格"),
        ("59.99", "不合格"),
        ("0", "不合格"),
    ],
)
def test_bound_belongs_to_the_higher_grade(total, grade):
    assert grade_for(QD, D(total)) == grade


def test_competition_ranking():
    assert competition_ranks([D(90), D(80), D(80), D(70)]) == [1, 2, 2, 4]


def scored(key, total, *, vetoes=(), errors=None, assessed=True, qual=None):
    c = CenterInput(key=key, code=key, name=key, vetoes=vetoes, errors=errors or {}, assessed=assessed)
    t = Fraction(str(total))
    return CenterScore(center=c, items=(), quantitative=t, qualitative=qual, total=t)


def test_rounding_decides_rank_and_grade():
    # 89.995 rounds half up to 90.00: 优秀, and ties with an exact 90
    rows = rank_centers(QD, [scored("A", "89.995"), scored("B", "90"), scored("C", "89.994")])
    by = {r.center.key: r for r in rows}
    assert by["A"].total == D("90.00") and by["A"].grade == "优秀" and by["A"].rank == 1
    assert by["B"].rank == 1 and by["C"].rank == 3 and by["C"].grade == "良好"


def test_veto_keeps_score_but_no_rank_and_fails():
    rows = rank_centers(QD, [scored("A", 95, vetoes=("有重大责任事故，评定为不合格",)), scored("B", 70)])
    assert [r.center.key for r in rows] == ["B", "A"]
    a = rows[1]
    assert a.rank is None and a.grade == "不合格" and a.subsidy == 0 and a.total == D("95.00")
    assert any("重大责任事故" in f for f in a.flags)
    assert rows[0].rank == 1


def test_subsidy_per_grade_default_20():
    rows = rank_centers(QD, [scored("A", 95), scored("B", 80), scored("C", 61), scored("D", 40)])
    assert [(r.grade, r.subsidy) for r in rows] == [("优秀", 20), ("良好", 20), ("合格", 20), ("不合格", 0)]


def test_subsidy_budget_floor_and_proportional_share():
    from dataclasses import replace

    scheme = replace(QD, subsidy_budget=D(100))
    pay = subsidies(scheme, [("A", D(90), "优秀"), ("B", D(60), "合格"), ("C", D(50), "不合格")])
    # floor 20 each for A and B, the remaining 60 split 90:60
    assert pay == {"A": D("56.00"), "B": D("44.00"), "C": D(0)}
    pay = subsidies(scheme, [("A", D(70), "合格"), ("B", D(70), "合格"), ("C", D(70), "合格")])
    # 40 shared three ways: 13.33 each; the 0.01 left cannot go to one of three equal scores (said on 排名)
    assert set(pay.values()) == {D("33.33")} and sum(pay.values()) == D("99.99")


def test_strict_leaves_erroneous_centers_unranked():
    rows = rank_centers(QD, [scored("A", 80, errors={"x": "F12"}), scored("B", 70)], strict=True)
    a = next(r for r in rows if r.center.key == "A")
    assert a.rank is None
    assert any("数据有误" in f for f in a.flags)
    rows = rank_centers(QD, [scored("A", 80, errors={"x": "F12"}), scored("B", 70)])
    assert next(r for r in rows if r.center.key == "A").rank == 1


def test_not_assessed_flag():
    rows = rank_centers(QD, [scored("A", 80, assessed=False)])
    assert "未经考核评价" in rows[0].flags


@pytest.mark.parametrize(
    ("n", "excellent", "good"), [(32, 6, 19), (10, 2, 6), (5, 1, 3), (1, 0, 1), (3, 1, 2)]
)
def test_quota_counts_round_half_up(n, excellent, good):
    counts = dict(quota_counts(GD, n))
    assert counts["优秀"] == excellent and counts["良好"] == good and counts["合格"] == n


def test_quota_ties_at_the_boundary_take_the_higher_grade():
    totals = [95, 90, 85, 85, 80, 75, 70, 65, 60, 55]  # 10 ranked: 2 优秀, 6 优秀+良好
    totals[1] = totals[2] = 85  # ranks 1,2,2,2 -> three share rank 2 ≤ 2
    rows = rank_centers(GD, [scored(f"C{n:02d}", t) for n, t in enumerate(totals)])
    grades = [r.grade for r in rows]
    assert grades[:4] == ["优秀"] * 4
    assert grades.count("良好") == 2  # ranks 5,6
    assert grades[6:] == ["合格"] * 4


def test_quota_veto_is_failing_and_not_counted():
    rows = rank_centers(
        GD, [scored("A", 99, vetoes=("一票否决：x",))] + [scored(f"C{n}", 50 + n) for n in range(5)]
    )
    vetoed = rows[-1]
    assert vetoed.rank is None and vetoed.grade == "不合格" and vetoed.subsidy == 0
    assert [r.grade for r in rows[:5]] == ["优秀", "良好", "良好", "合格", "合格"]
    assert [r.subsidy for r in rows[:5]] == [50, 30, 30, 10, 10]


def test_delisting_two_years_failing_and_warning():
    hist = {
        "A": [HistoryRecord(year=2016, grade="不合格", rank=5, failing=True)],
        "B": [HistoryRecord(year=2015, grade="不合格", rank=5, failing=True)],
    }
    rows = rank_centers(QD, [scored("A", 50), scored("B", 55), scored("C", 80)], history=hist, year=2017)
    by = {r.center.key: r for r in rows}
    assert any(f.startswith("摘牌（") for f in by["A"].flags)
    assert "摘牌预警" in by["B"].flags  # a gap year: 2015 is not the year immediately before
    assert not any("摘牌" in f for f in by["C"].flags)


def test_delisting_two_years_last_with_ties():
    hist = {k: [HistoryRecord(year=2016, grade="合格", rank=3, last=True)] for k in ("A", "B")}
    rows = rank_centers(QD, [scored("A", 61), scored("B", 61), scored("C", 80)], history=hist, year=2017)
    by = {r.center.key: r for r in rows}
    assert by["A"].rank == by["B"].rank == 2
    assert any(f.startswith("摘牌（") for f in by["A"].flags) and any(
        f.startswith("摘牌（") for f in by["B"].flags
    )


def test_delisting_after_the_years_the_scheme_says():
    # [delisting] years = 3: two failing years running are a warning, three are 摘牌（连续三年不合格）
    three = replace(QD, delisting_years=3)
    failed = lambda year: HistoryRecord(year=year, grade="不合格", rank=3, failing=True)  # noqa: E731
    hist = {"A": [failed(2016)], "B": [failed(2016), failed(2015)], "C": [failed(2016), failed(2014)]}
    centers = [scored("A", 50), scored("B", 55), scored("C", 58), scored("D", 80)]
    by = {r.center.key: r for r in rank_centers(three, centers, history=hist, year=2017)}
    assert "摘牌预警" in by["A"].flags and not any(f.startswith("摘牌（") for f in by["A"].flags)
    assert "摘牌（连续三年不合格）" in by["B"].flags
    assert "摘牌预警" in by["C"].flags  # 2015 missing: not three years running
    by = {r.center.key: r for r in rank_centers(QD, centers, history=hist, year=2017)}
    assert "摘牌（连续两年不合格）" in by["A"].flags


def test_single_ranked_center_is_never_last():
    rows = rank_centers(QD, [scored("A", 70)], year=2017)
    assert not any("摘牌" in f for f in rows[0].flags)


@given(st.lists(st.integers(0, 10000), min_size=1, max_size=30), st.randoms())
def test_ranking_does_not_depend_on_input_order(totals, rnd):
    items = [scored(f"C{n:02d}", Fraction(t, 100)) for n, t in enumerate(totals)]
    shuffled = items[:]
    rnd.shuffle(shuffled)
    for scheme in (QD, GD):
        a = [(r.center.key, r.rank, r.grade, r.subsidy, r.flags) for r in rank_centers(scheme, items)]
        b = [(r.center.key, r.rank, r.grade, r.subsidy, r.flags) for r in rank_centers(scheme, shuffled)]
        assert a == b


def test_random_smoke_ranks_are_consistent():
    rng = random.Random(1)
    rows = rank_centers(QD, [scored(f"C{n}", rng.randint(0, 100)) for n in range(40)])
    totals = [r.total for r in rows]
    assert totals == sorted(totals, reverse=True)


def test_totals_round_once_and_exactly():
    """123.4449…(33 places) is 123.44: dividing in Decimal first (28 digits) would make it 123.445 -> 123.45."""
    from kjjr_excel.domain.rank import to_decimal

    assert str(to_decimal(Fraction(123445 * 10**30 - 1, 10**33))) == "123.44"
    assert str(to_decimal(Fraction(89995, 1000))) == "90.00"  # half up: the 优秀 bound
    assert str(to_decimal(Fraction(-23, 17588))) == "0.00"  # no '-0.00' on a sheet


def test_money_held_is_said_in_the_schemes_own_word():
    """Guangdong pays 支持金额: a center in error is flagged 支持暂缓, not Qingdao's 补助暂缓."""
    gd = [scored(f"C{n}", 90 - n, errors={"x": "C12"} if n == 0 else None) for n in range(5)]
    held = [f for r in rank_centers(GD, gd) for f in r.flags if "暂缓" in f]
    assert held == ["支持暂缓：有数据有误的填报项，更正并核实后再确定支持金额"]
    qd = [scored("A", 95, errors={"x": "F12"}), scored("B", 80)]
    held = [f for r in rank_centers(QD, qd) for f in r.flags if "暂缓" in f]
    assert held == ["补助暂缓：有数据有误的填报项，更正并核实后再确定补助金额"]


def test_a_center_without_any_review_is_not_paid_until_it_is_reviewed():
    """Reviews given, none for C0: its 定性得分 0 is a stand-in (a review could make it 优秀), so its grade is
    shown but its 支持金额 waits for the review, as a score in error does; --strict leaves it out."""

    def center(n):
        c = CenterInput(
            key=f"C{n}", code=f"C{n}", name=f"C{n}", review_totals=() if n == 0 else (Fraction(80),)
        )
        return CenterScore(
            center=c, items=(), quantitative=Fraction(90 - n), qualitative=None, total=Fraction(90 - n)
        )

    gd = [center(n) for n in range(5)]
    rows = {r.center.key: r for r in rank_centers(GD, gd, reviews_given=True)}
    c0 = rows["C0"]
    assert c0.rank == 1 and c0.grade == "优秀" and c0.subsidy == 0
    assert "定性评分缺失" in c0.flags and not any("数据有误" in f for f in c0.flags)
    assert "支持暂缓：没有评审人的定性评分，补齐评审表后再确定支持金额" in c0.flags
    assert rows["C1"].subsidy == 30 and not any("暂缓" in f for f in rows["C1"].flags)
    rows = {r.center.key: r for r in rank_centers(GD, gd, reviews_given=True, strict=True)}
    assert rows["C0"].rank is None and rows["C0"].subsidy == 0 and rows["C1"].rank == 1
    assert "定性评分缺失，未参加排名（--strict）" in rows["C0"].flags


def test_when_every_ranked_center_ties_nobody_is_last():
    """连续两年排名最后一名: with all the ranked centers on one score nobody is ranked behind another, so
    nobody is last, as with a single center: three 优秀 centers on 95 are not warned of 摘牌."""
    rows = rank_centers(QD, [scored("A", 95), scored("B", 95), scored("C", 95)], year=2017)
    assert [r.rank for r in rows] == [1, 1, 1]
    assert not any("排名最后" in f or "摘牌" in f for r in rows for f in r.flags)
    rows = rank_centers(QD, [scored("A", 95), scored("B", 70), scored("C", 70)], year=2017)
    assert [("排名最后" in r.flags) for r in rows] == [False, True, True]


def test_shared_grades_or_budget_wait_for_the_centers_in_error():
    """Guangdong's grades are shares of the ranked centers and a budget is shared by score: a center in error
    whose figure is corrected can move the others' grades and amounts, so the run says so; Qingdao's
    thresholds without a budget decide each center alone."""
    from kjjr_excel.domain.rank import unsettled_note

    gd = [scored(f"C{n}", 90 - n, errors={"x": "C12"} if n == 3 else None) for n in range(5)]
    note = unsettled_note(GD, rank_centers(GD, gd), reviews_given=False)
    assert note.startswith(
        "等次按参加排名的分中心的比例评定：C3的数据更正或评分补齐后，其他分中心的等次和支持金额"
    )
    qd = [scored("A", 95, errors={"x": "F12"}), scored("B", 80)]
    assert unsettled_note(QD, rank_centers(QD, qd), reviews_given=False) == ""
    budget = replace(QD, subsidy_budget=D(100))
    note = unsettled_note(budget, rank_centers(budget, qd), reviews_given=False)
    assert note.startswith("补助金额按总额和得分比例分配：A的数据更正后，其他分中心的补助金额也可能改变")
    assert unsettled_note(GD, rank_centers(GD, [scored("A", 90), scored("B", 80)]), reviews_given=False) == ""


def test_equal_scores_get_equal_money_from_a_budget():
    """In proportion to score: the cents left by rounding go by largest remainder to whole groups of equal
    scores, stopping at the first group they cannot all reach, so equal scores are paid alike and a higher score
    never gets less. (qd: 200.05 万元 gave 21.89 to one of three centers on 65.00 and 21.88 to the others.)"""
    from kjjr_excel.domain.rank import budget_left

    scheme = replace(QD, subsidy_budget=D("60.01"))
    entries = [("A", D(65), "合格"), ("B", D(65), "合格"), ("C", D(62), "合格")]
    pay = subsidies(scheme, entries)
    assert pay == {"A": D(20), "B": D(20), "C": D(20)}  # 1 cent: A and B first, and it cannot reach both
    assert budget_left(scheme, entries) == D("0.01")
    scheme = replace(QD, subsidy_budget=D("60.02"))
    assert subsidies(scheme, entries) == {"A": D("20.01"), "B": D("20.01"), "C": D(20)}
    assert budget_left(scheme, entries) == 0
    totals = [D(95), D(90), D(85), D("84.99"), D(80), D(65), D(65), D(65), D(62)]
    entries = [(f"C{n}", t, "合格") for n, t in enumerate(totals)]
    pay = subsidies(replace(QD, subsidy_budget=D("200.05")), entries)
    assert pay["C5"] == pay["C6"] == pay["C7"]
    amounts = [pay[f"C{n}"] for n in range(len(totals))]
    assert amounts == sorted(amounts, reverse=True)


def test_a_center_known_by_its_code_alone_is_not_paid_until_it_is_named():
    """No roster and the name left blank on the form: the center is ranked and graded by its code, but nobody
    could be named on the 公示 and the payment list, so its money waits for the name."""
    nameless = scored("QD02", 95)
    nameless = CenterScore(
        center=CenterInput(key="QD02", code="QD02", name=""),
        items=(),
        quantitative=nameless.total,
        qualitative=None,
        total=nameless.total,
    )
    rows = {r.center.key: r for r in rank_centers(QD, [nameless, scored("B", 80)], year=2017)}
    assert rows["QD02"].rank == 1 and rows["QD02"].grade == "优秀" and rows["QD02"].subsidy == 0
    assert "补助暂缓：分中心名称未填写，补填后再确定补助金额" in rows["QD02"].flags
    assert rows["B"].subsidy == 20 and not any("暂缓" in f for f in rows["B"].flags)


def _in_error(key, total, iid):
    """A Qingdao center whose figure for `iid` is in error (so it scores 0 there) and the rest gives `total`."""
    c = CenterInput(key=key, code=key, name=key, errors={iid: "F12"})
    item = ItemScore(iid, None, Fraction(0), "数据有误，按0分计")
    t = Fraction(total)
    return CenterScore(center=c, items=(item,), quantitative=t, qualitative=None, total=t)


def test_a_failing_center_whose_corrected_figures_could_pass_waits_and_is_not_delisted():
    # 融资服务 scores at most 25: 51 could become 76 (合格, paid), 20 only 45 (不合格 whatever is corrected)
    hist = {k: [HistoryRecord(year=2016, grade="不合格", rank=3, failing=True)] for k in ("A", "B")}
    rows = rank_centers(
        QD,
        [_in_error("A", 51, "finance_events"), _in_error("B", 20, "finance_events"), scored("C", 70)],
        history=hist,
        year=2017,
    )
    by = {r.center.key: r for r in rows}
    a, b = by["A"], by["B"]
    assert a.grade == "不合格" and a.subsidy == 0
    assert any(f.startswith("补助暂缓：") for f in a.flags)  # the money waits for the correction
    assert "摘牌待定（连续两年不合格，待数据更正后确定）" in a.flags
    assert not any(f.startswith("摘牌（") for f in a.flags)
    # its grade is graded as scored, and said to wait, right after what it follows from (the 公示 prints 待定)
    at = next(n for n, f in enumerate(a.flags) if f.startswith("数据有误"))
    assert a.flags[at + 1] == "等次待定（待数据更正后确定）"
    # B's grade is settled whatever its figure: no money to wait for, and its delisting stands
    assert not any(f.startswith("等次待定") for f in b.flags)
    assert not any(f.startswith("补助暂缓") for f in b.flags)
    assert "摘牌（连续两年不合格）" in b.flags
    # B is last, but correcting its figure could lift it above A: that much waits
    assert "排名最后（待数据更正后确定）" in b.flags


def test_a_figure_in_error_without_an_upper_bound_always_waits():
    # an error the scheme cannot bound (no such indicator, a relative score): the tool cannot tell, so it waits
    rows = rank_centers(QD, [scored("A", 10, errors={"x": "F12"}), scored("B", 70)])
    a = next(r for r in rows if r.center.key == "A")
    assert a.subsidy == 0 and any(f.startswith("补助暂缓") for f in a.flags)


def test_a_delisting_completed_by_an_unsettled_earlier_year_waits_too():
    """胶州's 2017 不合格 rested on a figure in error (its 标记 said 数据有误); the 2018 run took it as final
    and printed a plain 摘牌 (a helper's analyst test). The running years it completes are pending: 摘牌待定."""
    hist = {
        "A": [HistoryRecord(year=2016, grade="不合格", rank=5, failing=True, pending=True)],
        "B": [HistoryRecord(year=2016, grade="不合格", rank=4, failing=True)],
    }
    rows = rank_centers(QD, [scored("A", 50), scored("B", 51), scored("C", 80)], history=hist, year=2017)
    by = {r.center.key: r for r in rows}
    assert [f for f in by["A"].flags if "摘牌" in f] == ["摘牌待定（连续两年不合格，待数据更正后确定）"]
    assert any(f.startswith("摘牌（") for f in by["B"].flags)


def test_a_benchmark_the_checks_doubt_leaves_the_results_unsettled():
    """Guangdong measures each figure against the pool's highest: 韶关's 撮合贷款金额 typed in 元 (813657200
    万元) made every other center's 15 points 0, and grades and money moved when it was corrected (a
    helper's analyst test). A doubted highest figure (the unit check's finding, or an outlier a thousand
    times the median) is named; a center only much busier than the others is not."""
    from kjjr_excel.domain.findings import Finding
    from kjjr_excel.domain.rank import benchmark_note

    def center(code, amount):
        return CenterInput(key=code, code=code, name=f"{code}分中心", values={"loan_amount": D(amount)})

    centers = [center("GD01", 5000), center("GD02", 6000), center("GD03", 813657200)]
    unit = Finding.make(
        "cross-unit-suspect",
        center="GD03分中心",
        indicator="loan_amount",
        value="813657200",
        per="项",
        label_a="撮合贷款金额",
        label="撮合贷款金额（万元）",
        expected="万元",
        ratio="1",
        direction="偏大",
        guess="",
        rule="",
    )
    note = benchmark_note(GD, centers, [unit])
    assert "“撮合贷款金额（万元）”的基准（最高值）是GD03分中心填写的 813657200" in note and "重新排名" in note
    far = replace(unit, code="value-outlier")
    assert benchmark_note(GD, centers, [far]) == note
    busy = [center("GD01", 5000), center("GD02", 6000), center("GD03", 90000)]
    assert benchmark_note(GD, busy, [far]) == ""  # 15× the others: an outlier, not a unit
    assert benchmark_note(GD, centers, []) == "" and benchmark_note(QD, centers, [unit]) == ""


def test_a_center_that_is_last_but_for_a_center_with_figures_to_correct_waits_for_its_delisting():
    """B was last in 2016 and is second-last now, above only C, whose figure is in error: corrected, C could
    rise above B and leave it last two years running (摘牌). B's 摘牌 is pending, said on 排名 (a helper's
    clerk test: nothing marked it). With C's figures settled, B is not last and nothing is said."""
    hist = {"B": [HistoryRecord(year=2016, grade="合格", rank=3, last=True)]}
    centers = [scored("A", "67.5"), scored("B", "61.5"), scored("C", "51.5", errors={"x": "F15"})]
    by = {r.center.key: r for r in rank_centers(QD, centers, history=hist, year=2017)}
    assert [f for f in by["B"].flags if f.startswith("摘牌")] == [
        "摘牌待定（连续两年排名最后，待数据更正后确定：排在其后的分中心数据有误）"
    ]
    assert by["B"].subsidy == 20 and by["A"].flags == ()
    settled = [scored("A", "67.5"), scored("B", "61.5"), scored("C", "51.5")]
    by = {r.center.key: r for r in rank_centers(QD, settled, history=hist, year=2017)}
    assert not any(f.startswith("摘牌") for f in by["B"].flags)


def test_a_grade_the_scheme_pays_nothing_takes_no_share_of_a_budget():
    """A budget is shared by the grades whose amount is more than 0: 合格 set to 0 is paid nothing, and the
    floor goes to the grades above it only."""
    amounts = {**QD.subsidy_amounts, "合格": D(0)}
    scheme = replace(QD, subsidy_budget=D(100), subsidy_amounts=amounts)
    pay = subsidies(scheme, [("A", D(90), "优秀"), ("B", D(80), "良好"), ("C", D(65), "合格")])
    assert pay["C"] == 0 and pay["A"] + pay["B"] == D(100) and pay["A"] > pay["B"] >= D(20)
    assert scheme.lowest_paid_grade == "良好" and QD.lowest_paid_grade == "合格"
