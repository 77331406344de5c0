"""Scoring methods as objects: each decides its columns, notes, flags and what its tables and templates are."""

from decimal import Decimal as D
from fractions import Fraction

from kjjr_excel.domain.methods import FLAG_NOT_ASSESSED, FLAG_REVIEW_MISSING, method_of
from kjjr_excel.domain.model import CenterInput
from kjjr_excel.domain.rank import rank_centers
from kjjr_excel.domain.scheme import load_scheme
from kjjr_excel.domain.score import score_all

QD = load_scheme("qingdao")
GD = load_scheme("guangdong")


def test_every_method_the_loader_admits_has_its_object_and_its_scoring():
    from kjjr_excel.domain.methods import METHODS, method_of
    from kjjr_excel.domain.scheme import METHODS as NAMES
    from kjjr_excel.domain.scheme import RULE_PARAMS, load_scheme
    from kjjr_excel.domain.score import RULES, SCORING

    assert set(METHODS) == set(NAMES) == set(SCORING)
    assert set(RULES) == set(RULE_PARAMS) and all(RULES[k].params == RULE_PARAMS[k] for k in RULES)
    qd, gd = method_of(load_scheme("qingdao")), method_of(load_scheme("guangdong"))
    assert (qd.table, qd.preview, qd.table_sheet) == ("assessment", "score", "考核评价")
    assert (gd.table, gd.preview, gd.table_sheet) == ("review", "hints", "定性评分")


def test_score_columns_end_with_the_total_and_match_the_scores():
    qd, gd = method_of(QD), method_of(GD)
    assert qd.score_columns(QD) == ["自报得分", "考核得分", QD.total_label]
    assert gd.score_columns(GD) == ["定量得分", "定性得分", GD.total_label]
    values = {i.id: D(10) for i in GD.indicators}
    c = CenterInput(key="A", code="A", name="A", values=values, review_totals=(Fraction(80), Fraction(90)))
    (ranked,) = rank_centers(GD, score_all(GD, [c], reviews_given=True), year=GD.year)
    quant, qual, total = gd.scores(GD, ranked)
    assert (quant, qual) == (100, 85) and total == ranked.total


def test_the_absolute_method_splits_own_and_assessed_points():
    values = {i.id: D(0) for i in QD.self_indicators} | {"enterprise_info": D(30)}
    c = CenterInput(key="A", code="A", name="A", values=values, assessed=True)
    (ranked,) = rank_centers(QD, score_all(QD, [c]), year=QD.year)
    own, assessed, total = method_of(QD).scores(QD, ranked)
    assert own + assessed == ranked.score.total and total == ranked.total
    assert assessed == 10  # 工作落实 without errors, no 重大贡献


def test_what_is_provisional_and_flagged_without_the_tables():
    qd, gd = method_of(QD), method_of(GD)
    assert qd.provisional(QD, assessed=False, reviews_given=False) == "（初步结果，未经考核评价）"
    assert qd.provisional(QD, assessed=True, reviews_given=False) == ""
    assert qd.provisional_reason(QD, assessed=False, unusable=False) == FLAG_NOT_ASSESSED
    assert qd.provisional_reason(QD, assessed=True, unusable=True) == "考核评价不完整"
    assert gd.provisional(GD, assessed=False, reviews_given=False) == "（初步结果，未经定性评价）"
    assert gd.provisional_reason(GD, assessed=False, unusable=False) == ""
    c = CenterInput(key="A", code="A", name="A")
    assert qd.flags(QD, c, reviews_given=False) == [FLAG_NOT_ASSESSED]
    assert gd.flags(GD, c, reviews_given=True) == [FLAG_REVIEW_MISSING]
    assert gd.flags(GD, c, reviews_given=False) == []


def test_notes_say_what_was_missing():
    assert method_of(GD).notes(GD, table_given=False)[0] == "未提供定性评分表：综合得分即定量得分。"
    assert method_of(GD).notes(GD, table_given=False, offered=True)[0].startswith("没有可用的定性评分表")
    (note,) = method_of(QD).notes(QD, table_given=False)
    assert note.startswith("未提供考核评价表：") and note.endswith(f"标记“{FLAG_NOT_ASSESSED}”。")
    assert method_of(QD).notes(QD, table_given=True) == []
