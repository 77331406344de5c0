"""The 说明 texts: every parameter of a scheme as it is applied, with where it comes from (pure)."""

from __future__ import annotations

import re

from kjjr_excel.domain import checks
from kjjr_excel.domain.methods import method_of
from kjjr_excel.domain.model import Parameter
from kjjr_excel.domain.parse import fmt_decimal
from kjjr_excel.domain.rank import running_years
from kjjr_excel.domain.scheme import DEFAULT_SOURCE, SEED_SOURCE, Grade, Scheme


def parameters(scheme: Scheme) -> list[Parameter]:
    """The parameter rows for the 说明 sheet; source is 通知原文 or 默认值（待确认）: a figure is
    通知原文 only where the notice fixes it (its section's `source`, or a key's own `<key>_source`, says so)."""

    def src(section: str) -> str:
        return DEFAULT_SOURCE if scheme.sources.get(section) == "default" else SEED_SOURCE

    rows: list[tuple[str, str, str]] = [
        ("考核方案", f"{scheme.name}（{scheme.id}，版本 {scheme.version}）", "方案文件"),
        ("依据", scheme.document, "通知原文"),
        (scheme.year_label, str(scheme.year), "方案文件"),
    ]
    if scheme.period:
        rows.append(("评估周期", scheme.for_year(scheme.year).period, "通知原文"))  # {year}: the scheme's
    rows += method_of(scheme).parameters(scheme, src)
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
    if scheme.subsidy_floor:
        floor = f"{scheme.money_word}下限（万元，{scheme.lowest_paid_grade}及以上）"
        rows.append((floor, fmt_decimal(scheme.subsidy_floor), src("subsidy")))
    # with a total budget the amounts per grade are not what is paid: the budget rows below say what is
    for name, amount in () if scheme.subsidy_budget else scheme.subsidy_amounts.items():
        rows.append((f"{scheme.subsidy_label}：{name}", fmt_decimal(amount), src("subsidy.amounts")))
    # a total budget is the office's (Qingdao: 具体补助办法由市科技局统一确定), never the notice's text
    if scheme.subsidy_budget:
        rows.append((f"{scheme.subsidy_label}：总额", fmt_decimal(scheme.subsidy_budget), "方案文件"))
        rows.append(
            (
                f"{scheme.subsidy_label}：分配",
                f"每个{scheme.center_label}先得保底 {fmt_decimal(scheme.subsidy_floor)}，余额按得分比例分配",
                "方案文件",
            )
        )
    if scheme.delisting:
        failing = next(g.name for g in scheme.grades if g.failing)
        rows.append(
            (
                "摘牌",
                f"{running_years(scheme.delisting_years)}{failing}或{running_years(scheme.delisting_years)}排名最后一名",
                src("delisting"),
            )
        )
    return [Parameter(*row) for row in rows]


def _quota_text(grades: tuple[Grade, ...], grade: Grade, center_label: str) -> str:
    passing = [g for g in grades if not g.failing]
    if grade.failing:
        return f"一票否决等不参加排名的{center_label}"
    if grade is passing[-1]:
        return f"其余参加排名的{center_label}"
    lead = "前" if grade is passing[0] else "其后"
    return f"{lead}{fmt_decimal(grade.share * 100)}%（人数按四舍五入取整，边界同分者均取较高等次）"


def grade_sentence(scheme: Scheme) -> str:
    """The grades in one sentence, in the notice's words (考核分值90分（含）以上为优秀；75（含）至90分为良好；…), from
    [grading] itself, so a form never words bounds the scheme no longer has."""
    if scheme.grading_method != "thresholds":
        return (
            "；".join(
                f"{g.name}：{_quota_text(scheme.grades, g, scheme.center_label)}" for g in scheme.grades
            )
            + "。"
        )
    parts = []
    for above, g in zip((None, *scheme.grades), scheme.grades, strict=False):
        low = fmt_decimal(g.min)
        if above is None:
            parts.append(f"考核分值{low}分（含）以上为{g.name}")
        elif g.failing:
            parts.append(f"{fmt_decimal(above.min)}分以下为{g.name}")
        else:
            parts.append(f"{low}（含）至{fmt_decimal(above.min)}分为{g.name}")
    return "；".join(parts) + "。"


def summary(scheme: Scheme) -> list[str]:
    """`kjjr scheme check`: what the scheme says, in Chinese, from the same rows as 说明."""
    own = len(scheme.self_indicators)
    lines = [
        f"考核方案：{scheme.name}（{scheme.id}，版本 {scheme.version}），{scheme.year}年度",
        f"方案文件：{scheme.path}",
        f"指标 {len(scheme.indicators)} 项（{scheme.center_label}自报 {own} 项，"
        f"考核方填写 {len(scheme.indicators) - own} 项）：",
    ]
    for n, ind in enumerate(scheme.indicators, 1):
        unit = f"，单位：{ind.unit}" if ind.unit else ""
        lines.append(f"  {n}. {ind.category}／{ind.label}（{ind.id}{unit}）")
    lines.append("计分、等次、补助与摘牌（与排名结果“说明”表所列一致）：")
    lines += [
        f"  {name}：{value}" + ("（默认值，待确认）" if "默认" in src else "")
        for name, value, src in parameters(scheme)[3:]
    ]
    if scheme.checks:
        lines.append(f"交叉核对 {len(scheme.checks)} 项：")
        for check in scheme.checks:
            lines.append(f"  {checks.hint(scheme, check).warning.removesuffix('，请核对')}")
    if scheme.wording_notes:
        lines.append("计分标准文字与计分规则：")
        lines += [f"  {note}" for note in scheme.wording_notes]
    if not scheme.delisting:
        lines.append("摘牌：未启用")
    if scheme.roster:
        lines.append(f"名录：{len(scheme.roster)} 个{scheme.center_label}")
    return lines


COPY_HEADER = """\
# 考核方案文件（由 kjjr scheme new 从“{source}”复制）。
# 怎样修改：
# - 用记事本等编辑器打开，保存为 UTF-8 编码；# 之后是注释，不影响计算。
# - [scheme]：id（方案编号，本文件已改为 {target}）、version（改动后请加大）、year（考核年度）、
#   total_max（满分：各指标计分上限之和，或各指标权重之和）。
# - [[indicators]]：每个指标一段。id 只用小写字母、数字和下划线；label 是表中显示的名称，unit 是单位；
#   type 为 integer（整数）、decimal（小数）或 bool（是/否）；source 为 self（自报）或 assessor（考核方填写）。
#   按固定规则计分的方案每个指标有 rule（kind 为 linear_step、shortfall、per_unit、deduction、as_awarded
#   或 veto，另有 min、max 计分范围）；相对计分的方案每个指标有 weight（权重）。
# - [grading]：等次。thresholds 按分数线（min，分数线属于较高等次），quota 按比例（share）；最后一个为不合格。
# - [subsidy]：每个等次的补助金额（万元），floor（保底）和 budget（总额，0 表示不设）。
# - [delisting]：enabled 是否摘牌，years 连续几年不合格或排名最后即摘牌。
# - source = "seed" 表示该节的数字取自通知原文，排名结果“说明”表标“通知原文”；改了这些数字而通知没有这样规定的，
#   请把该节的 source 改为 "default"（标“默认值（待确认）”）；改了某个指标的 rule，就在该 rule 中加 source = "default"。等次的文字说明按 [grading] 自动写出，不必另写。
# - 改了 rule 中的数字（如 target = 30 改为 40）而没改 standard（计分标准文字）的，模板中的文字按新数字改写
#   （30 改为 40），range（分值）按 min、max 改写；无法判断改哪个数字的，kjjr scheme check 会提示，请自己修改 standard。
# - 写错的项（包括拼错的名称）会被拒绝，并指出第几行。改完后运行：kjjr scheme check 本文件
# - 使用时把本文件的路径写在考核方案的位置，例如：kjjr template 本文件.toml

"""


def commented_copy(text: str, source: str, target_id: str) -> str:
    """A shipped scheme's text as an office's own scheme: a guide on top, its own id, no shipped aliases."""
    body = re.sub(r'(?m)^id = "[^"\n]*"', f'id = "{target_id}"', text, count=1)
    body = re.sub(r"(?m)^aliases = \[[^\]\n]*\]\n", "", body, count=1)
    return COPY_HEADER.format(source=source, target=target_id) + body
