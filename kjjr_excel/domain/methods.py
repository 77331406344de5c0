"""Scoring methods as objects: each owns its scoring, its score columns on 排名, its notes and parameter rows
on 说明, the kind of table its assessors fill and what its template previews. A scheme names its method
(`[scheme] method`); nothing outside this module asks which one it is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction
from types import MappingProxyType

from kjjr_excel.domain.assess import KIND_ASSESSMENT, KIND_REVIEW
from kjjr_excel.domain.model import CenterInput, CenterScore, RankedCenter
from kjjr_excel.domain.parse import fmt_decimal
from kjjr_excel.domain.scheme import Scheme
from kjjr_excel.domain.score import SCORING, describe_rule, exact_sum

FLAG_NOT_ASSESSED = "未经考核评价"
FLAG_REVIEW_MISSING = "定性评分缺失"
Source = Callable[[str], str]  # section -> 通知原文 / 默认值（待确认）

BENCHMARK_TEXT = MappingProxyType(
    {
        "max": ("最高值得满分，其余按比例折算", "最高值"),
        "p90": ("以第90百分位数（PERCENTILE.INC）为基准", "第90百分位数"),
        "rank": ("按百分比排位（PERCENTRANK.INC）计分", "百分比排位"),
    }
)


class Method:
    """What a scoring method decides. `table` is the kind of workbook its assessors fill: 'assessment' (the
    city center's 考核评价表: assessor fields and verified counts) or 'review' (one 定性评分表 per reviewer);
    `preview` what its submission template shows: 'score' (live expected score) or 'hints' (completeness and
    the cross-field hints only, where a score depends on the other centers)."""

    id: str = ""
    table: str = "assessment"
    table_sheet: str = ""  # sheet name of the table
    table_title: str = ""  # its kind in file names and titles
    table_required: tuple[str, ...] = ("名称",)
    table_kind: str = KIND_ASSESSMENT  # what one such file is called in findings and on 说明
    table_reviewers: bool = False  # one sheet per reviewer, who names themself on it (评审人)
    # 排名's title and 说明 when a table given could not be used
    table_incomplete: str = "考核评价不完整"
    preview: str = "score"
    history_scores: bool = False  # earlier years' scores are comparable and shown beside the grades

    def score(self, scheme: Scheme, centers: Sequence[CenterInput], reviews_given: bool) -> list[CenterScore]:
        return SCORING[self.id](scheme, centers, reviews_given)

    def score_columns(self, scheme: Scheme) -> list[str]:
        """The headers of the scores on 排名 before 等次, the total last."""
        raise NotImplementedError

    def scores(self, scheme: Scheme, r: RankedCenter) -> list[Fraction | None]:
        raise NotImplementedError

    def parameters(self, scheme: Scheme, src: Source) -> list[tuple[str, str, str]]:
        raise NotImplementedError

    def notes(self, scheme: Scheme, table_given: bool, offered: bool = False) -> list[str]:
        """offered: tables were given (or found among the inputs) though none could be used."""
        return []

    def table_content(self, scheme: Scheme) -> str:
        """What a table holds that is lost when it cannot be used (the table-unusable finding)."""
        raise NotImplementedError

    def provisional_reason(self, scheme: Scheme, assessed: bool, unusable: bool) -> str:
        """Why the results are provisional (说明, 排名's title): a table given could not be used, or (Qingdao)
        none was; '' when final."""
        return self.table_incomplete if unusable else ""

    def flags(self, scheme: Scheme, center: CenterInput, reviews_given: bool) -> list[str]:
        return []

    def lacking(self, center: CenterInput, reviews_given: bool) -> str:
        """What a center's score lacks that its assessors still owe (its money waits for it); '' when none."""
        return ""

    # lacking()'s flag, and the legend's words for it after 有数据有误的项
    lacking_flag: str = ""
    lacking_legend: str = ""
    # the legend's words for 数据有误: what happens to an input in error
    error_legend: str = "有错误的填报项按0分计"

    def table_given(self, assessed: bool, reviews_given: bool) -> bool:
        return assessed

    def provisional(self, scheme: Scheme, assessed: bool, reviews_given: bool) -> str:
        """What a result lacks when part of the assessment is missing, said once in 排名's title; else ''."""
        return ""

    # 排名's foot repeats the scheme's remarks unless they only restate the grade bounds printed above them
    foot_remarks: bool = False


class Absolute(Method):
    """Each indicator scored by its own rule against fixed targets (Qingdao 2017)."""

    id = "absolute"
    table_sheet = "考核评价"
    table_title = "考核评价表"

    def score_columns(self, scheme: Scheme) -> list[str]:
        return ["自报得分", "考核得分", scheme.total_label]

    def scores(self, scheme: Scheme, r: RankedCenter) -> list[Fraction | None]:
        s = r.score
        by_assessor = {ind.id for ind in scheme.assessor_indicators}  # every other indicator is self-reported
        own = exact_sum(i.score for i in s.items if i.indicator not in by_assessor)
        assessed = exact_sum(i.score for i in s.items if i.indicator in by_assessor)
        return [own, assessed, r.total]

    def parameters(self, scheme: Scheme, src: Source) -> list[tuple[str, str, str]]:
        return [
            (f"计分规则：{ind.category}／{ind.label}", describe_rule(ind), src(f"indicators.{ind.id}"))
            for ind in scheme.indicators
            if ind.rule is not None
        ]

    def notes(self, scheme: Scheme, table_given: bool, offered: bool = False) -> list[str]:
        if not scheme.assessor_indicators or table_given:
            return []
        neutral = "、".join(
            f"{i.display_label}按{f'“{i.neutral_text}”' if i.type == 'bool' else i.neutral_text}"
            for i in scheme.assessor_indicators
        )
        which = "没有可用的" if offered else "未提供"
        return [
            f"{which}{self.table_title}：{neutral}计，所有{scheme.center_label}标记“{FLAG_NOT_ASSESSED}”。"
        ]

    def table_content(self, scheme: Scheme) -> str:
        return "、".join(i.display_label for i in scheme.assessor_indicators) + "和核定数"

    def provisional_reason(self, scheme: Scheme, assessed: bool, unusable: bool) -> str:
        if not unusable and not (scheme.assessor_indicators and not assessed):
            return ""
        return self.table_incomplete if assessed else FLAG_NOT_ASSESSED

    def flags(self, scheme: Scheme, center: CenterInput, reviews_given: bool) -> list[str]:
        return [FLAG_NOT_ASSESSED] if not center.assessed and scheme.assessor_indicators else []

    def provisional(self, scheme: Scheme, assessed: bool, reviews_given: bool) -> str:
        return "（初步结果，未经考核评价）" if scheme.assessor_indicators and not assessed else ""


class Relative(Method):
    """Σ weight × min(1, value / benchmark) over the other centers, combined with reviewers' marks
    (Guangdong 2019)."""

    id = "relative"
    table = "review"
    table_sheet = "定性评分"
    table_title = "定性评分表"
    table_required = ("名称", "一票否决")
    table_kind = KIND_REVIEW
    table_reviewers = True
    table_incomplete = "定性评分不完整"
    preview = "hints"
    history_scores = True

    def score_columns(self, scheme: Scheme) -> list[str]:
        return ["定量得分", "定性得分", scheme.total_label]

    def scores(self, scheme: Scheme, r: RankedCenter) -> list[Fraction | None]:
        return [r.score.quantitative, r.score.qualitative, r.total]

    def parameters(self, scheme: Scheme, src: Source) -> list[tuple[str, str, str]]:
        rows = [
            (f"权重：{ind.category}／{ind.label}", fmt_decimal(ind.weight), src("quantitative"))
            for ind in scheme.indicators
        ]
        rows.append(("定量计分方法", BENCHMARK_TEXT[scheme.benchmark][0], src("quantitative")))
        for part in scheme.parts:
            rows.append((f"定性评分：{part.label}（满分）", fmt_decimal(part.max), src("qualitative")))
        rows.append(("定性评分去掉最高分和最低分的评审人数下限", str(scheme.trim_at), src("qualitative")))
        rows.append(("一票否决", f"任何一位评审人在{self.table_title}中选“是”", src("qualitative")))
        rows.append(
            (
                "综合得分",
                f"定量得分×{fmt_decimal(scheme.weight_quantitative)} + 定性得分×{fmt_decimal(scheme.weight_qualitative)}",
                src("combination"),
            )
        )
        return rows

    def notes(self, scheme: Scheme, table_given: bool, offered: bool = False) -> list[str]:
        which = "没有可用的" if offered else "未提供"
        notes = [] if table_given else [f"{which}{self.table_title}：综合得分即定量得分。"]
        label = BENCHMARK_TEXT[scheme.benchmark][1]
        notes.append(f"一票否决和未报送的{scheme.center_label}不参加定量指标基准值（{label}）的计算。")
        return notes

    def table_content(self, scheme: Scheme) -> str:
        return "评分和一票否决"

    def flags(self, scheme: Scheme, center: CenterInput, reviews_given: bool) -> list[str]:
        return [self.lacking_flag] if self.lacking(center, reviews_given) else []

    def lacking(self, center: CenterInput, reviews_given: bool) -> str:
        # its 定性得分 0 is a stand-in: a review could move it to any grade
        return "没有评审人的定性评分" if reviews_given and not center.review_totals else ""

    lacking_flag = FLAG_REVIEW_MISSING
    lacking_legend = "或没有定性评分"
    # a reviewer's row in error (a part over its points, one left blank) is left out, not scored 0
    error_legend = "有错误的填报项按0分计，评审表中有误的评分不计入"

    def table_given(self, assessed: bool, reviews_given: bool) -> bool:
        return reviews_given

    foot_remarks = True  # the one-vote veto

    def provisional(self, scheme: Scheme, assessed: bool, reviews_given: bool) -> str:
        return "（初步结果，未经定性评价）" if scheme.weight_qualitative and not reviews_given else ""


METHODS: dict[str, Method] = {m.id: m for m in (Absolute(), Relative())}


def method_of(scheme: Scheme) -> Method:
    """The scheme's scoring method (the loader admits only the names in scheme.METHODS)."""
    return METHODS[scheme.method]
