"""The 说明 texts: every parameter of a scheme as it is applied, with where it comes from (pure)."""

from __future__ import annotations

from .cells import fmt_decimal
from .rank import years_text
from .scheme import Grade, Scheme
from .score import describe_rule


def parameters(scheme: Scheme) -> list[tuple[str, str, str]]:
    """(parameter, value, source) rows for the 说明 sheet; source is 通知原文 or 默认值（待评估方确认）."""

    def src(section: str) -> str:
        return "默认值（待评估方确认）" if scheme.sources.get(section) == "default" else "通知原文"

    rows: list[tuple[str, str, str]] = [
        ("考核方案", f"{scheme.name}（{scheme.id}，版本 {scheme.version}）", "方案文件"),
        ("依据", scheme.document, "通知原文"),
        ("考核年度", str(scheme.year), "方案文件"),
    ]
    if scheme.period:
        rows.append(("评估周期", scheme.period, "通知原文"))
    for ind in scheme.indicators:
        if scheme.is_relative:
            rows.append((f"权重：{ind.category}／{ind.label}", fmt_decimal(ind.weight), src("quantitative")))
        elif ind.rule is not None:
            rows.append((f"计分规则：{ind.category}／{ind.label}", describe_rule(ind), "通知原文"))
    if scheme.is_relative:
        bench = {
            "max": "最高值得满分，其余按比例折算",
            "p90": "以第90百分位数（PERCENTILE.INC）为基准",
            "rank": "按百分比排位（PERCENTRANK.INC）计分",
        }[scheme.benchmark]
        rows.append(("定量计分方法", bench, src("quantitative")))
        for part in scheme.parts:
            rows.append((f"定性评分：{part.label}（满分）", fmt_decimal(part.max), src("qualitative")))
        rows.append(("定性评分去掉最高分和最低分的评审人数下限", str(scheme.trim_at), src("qualitative")))
        rows.append(
            (
                "综合得分",
                f"定量得分×{fmt_decimal(scheme.weight_quantitative)} + 定性得分×{fmt_decimal(scheme.weight_qualitative)}",
                src("combination"),
            )
        )
    rows.append(("满分", fmt_decimal(scheme.total_max), "方案文件"))
    lowest_pass = min((g.min for g in scheme.grades if not g.failing and g.min is not None), default=None)
    for g in scheme.grades:
        if scheme.grading_method == "thresholds":
            rows.append(
                (
                    f"等次：{g.name}",
                    f"{fmt_decimal(g.min)}分（含）以上"
                    if not g.failing
                    else f"低于{fmt_decimal(lowest_pass)}分",
                    src("grading"),
                )
            )
        else:
            rows.append(
                (f"等次：{g.name}", _quota_text(scheme.grades, g, scheme.center_label), src("grading"))
            )
    for name, amount in scheme.subsidy_amounts.items():
        rows.append((f"{scheme.subsidy_label}：{name}", fmt_decimal(amount), src("subsidy")))
    if scheme.subsidy_budget:
        rows.append(("补助总额（万元）", fmt_decimal(scheme.subsidy_budget), src("subsidy")))
    if scheme.delisting:
        failing = next(g.name for g in scheme.grades if g.failing)
        rows.append(
            (
                "摘牌",
                f"连续{years_text(scheme.delisting_years)}年{failing}或连续{years_text(scheme.delisting_years)}年排名最后一名",
                src("delisting"),
            )
        )
    return rows


def _quota_text(grades: tuple[Grade, ...], grade: Grade, center_label: str) -> str:
    passing = [g for g in grades if not g.failing]
    if grade.failing:
        return f"一票否决等不参加排名的{center_label}"
    if grade is passing[-1]:
        return f"其余参加排名的{center_label}"
    lead = "前" if grade is passing[0] else "其后"
    return f"{lead}{fmt_decimal(grade.share * 100)}%（人数按四舍五入取整，边界同分者均取较高等次）"
