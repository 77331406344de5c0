"""A scoring standard printed on the template says what its rule scores: a changed figure is rewritten, one that
cannot be told is pointed out, and the notice's own sentences are left as they are."""

from decimal import Decimal as D

from kjjr_excel.domain.scheme import load_scheme
from kjjr_excel.domain.wording import agree

ENTERPRISES = "每年收集30家新增科技型企业信息，并在市科技金融服务中心网站系统录入，基本分5分，每多录入一家加0.25分，每少录入一家减0.25分。"
EVENTS = "每月举办一次项目路演活动或市科技金融服务中心认可的科技金融专题活动，基本分10分。每多举行一场加3分，每少举行一场减3分。"


def linear(base, step, target):
    return {"base": D(base), "step": D(step), "target": D(target)}


def test_the_shipped_schemes_are_printed_as_the_notices_say():
    for name in ("qingdao", "guangdong"):
        scheme = load_scheme(name)
        assert scheme.wording_notes == ()
    qingdao = load_scheme("qingdao")
    assert qingdao.indicator("enterprise_info").standard == ENTERPRISES
    assert qingdao.indicator("enterprise_info").rule.source == "seed"


def test_a_raised_target_is_rewritten_where_the_old_one_stood():
    worded = agree("征集科技型中小企业信息", ENTERPRISES, "0-10", linear(5, "0.25", 40), D(0), D(10))
    assert worded.standard == ENTERPRISES.replace("30家", "40家")
    assert worded.range == "0-10"
    assert worded.notes == (
        "指标“征集科技型中小企业信息”：计分标准文字中的 30 已按计分规则（target = 40）改为 40。",
    )


def test_a_changed_step_is_rewritten_in_both_places():
    worded = agree("x", ENTERPRISES, "0-10", linear(5, "0.5", 30), D(0), D(10))
    assert worded.standard.count("0.5分") == 2 and "0.25" not in worded.standard


def test_two_figures_changed_at_once_cannot_be_told_apart_and_are_pointed_out():
    worded = agree("x", ENTERPRISES, "0-10", linear(6, "0.25", 40), D(0), D(10))
    assert worded.standard == ENTERPRISES
    assert len(worded.notes) == 1 and worded.notes[0].startswith("请核对：指标“x”的计分标准")
    assert "base = 6、target = 40" in worded.notes[0]


def test_a_target_said_in_words_counts_and_a_changed_one_is_pointed_out():
    assert agree("x", EVENTS, "0-25", linear(10, 3, 12), D(0), D(25)).notes == ()  # 每月 is 12
    changed = agree("x", EVENTS, "0-25", linear(10, 3, 9), D(0), D(25))
    assert changed.standard == EVENTS and changed.notes[0].startswith("请核对：")


def test_a_range_that_says_other_bounds_is_rewritten_from_the_rule():
    worded = agree("x", "", "0-10", {}, D(0), D(12))
    assert worded.range == "0-12"
    assert worded.notes == ("指标“x”：分值 0-10 已按计分规则（min = 0、max = 12）改为 0-12。",)
    assert agree("x", "", "见附件", {}, D(0), D(12)).range == "见附件"  # not a range: left as written


def test_chinese_figures_in_a_sentence_are_understood():
    assert (
        agree("x", "满分十二分，每少一次减三分", "", {"full": D(12), "step": D(3)}, D(0), D(12)).notes == ()
    )
