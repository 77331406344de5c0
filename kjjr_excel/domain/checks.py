"""Cross-field checks (the scheme's [[checks]]): one entry per kind, like score.RULES for scoring.

Each kind evaluates a submission's values, builds its finding from the message table in findings.py and
renders its Excel hint for the template, and all three carry the kind's one sentence of the rule (`rule`),
so the template, 校验问题 and the receipt say the same thing in the same words. Pure: no workbook here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import NamedTuple

from kjjr_excel.domain.findings import Finding
from kjjr_excel.domain.parse import fmt_decimal, round_half_up, strip_unit
from kjjr_excel.domain.scheme import Check, Indicator, Scheme

# what a kind found (a field's position; a ratio, its direction and the likely unit), for its finding builder
Hit = tuple[int | Decimal | str, ...]


class Hint(NamedTuple):
    """A check's live hint on the template: the row's title and the warning (the rule's sentence)."""

    title: str
    warning: str


class Shown(NamedTuple):
    """A figure the hint row shows beside its warning: an Excel expression and its unit."""

    expression: str
    unit: str


@dataclass(frozen=True)
class CheckKind:
    """evaluate: the values (in the check's field order) -> hits, empty when all is well; rule: the sentence;
    findings: one Finding per hit; fails: an Excel condition over the cells, TRUE when the hint should show."""

    evaluate: Callable[[Check, Sequence[Decimal]], list[Hit]]
    rule: Callable[[Check, Sequence[Indicator]], str]
    findings: Callable[
        [Check, Sequence[Indicator], Sequence[Decimal], list[Hit], dict[str, str]], list[Finding]
    ]
    fails: Callable[[Check, Sequence[str]], str]
    title: Callable[[Check, Sequence[Indicator]], str]
    # an Excel figure shown beside the hint (the ratio itself), with its unit, or None
    shown: Callable[[Check, Sequence[str], Sequence[Indicator]], tuple[str, str] | None] = lambda c, r, i: (
        None
    )


def _labels(inds: Sequence[Indicator]) -> str:
    return "与".join(f"“{i.label}”" for i in inds)


# ---- paired: all zero or all above zero -----------------------------------------------------------------


def _paired_hits(check: Check, vals: Sequence[Decimal]) -> list[Hit]:
    a = vals[0]
    return [(n,) for n, b in enumerate(vals[1:], start=1) if (a > 0) != (b > 0)]


def _paired_findings(
    check: Check, inds: Sequence[Indicator], vals: Sequence[Decimal], hits: list[Hit], base: dict[str, str]
) -> list[Finding]:
    rule = _paired_rule(check, inds)
    return [
        Finding.make(
            "cross-paired",
            value=fmt_decimal(vals[0]),
            label_a=inds[0].label,
            value_a=fmt_decimal(vals[0]),
            label_b=inds[n].label,
            value_b=fmt_decimal(vals[n]),
            rule=rule,
            **base,
        )
        for (n,) in hits
    ]


def _paired_rule(check: Check, inds: Sequence[Indicator]) -> str:
    both = "两者" if len(inds) == 2 else "各项"
    return f"{_labels(inds)}{both}应同时为0或同时大于0"


def _paired_fails(check: Check, refs: Sequence[str]) -> str:
    first = refs[0]
    return "OR(" + ",".join(f"(N({first})>0)<>(N({ref})>0)" for ref in refs[1:]) + ")"


# ---- requires: a figure needs another above zero -----------------------------------------------------------


def _requires_hits(check: Check, vals: Sequence[Decimal]) -> list[Hit]:
    return [()] if vals[0] > 0 and vals[1] == 0 else []


def _requires_findings(
    check: Check, inds: Sequence[Indicator], vals: Sequence[Decimal], hits: list[Hit], base: dict[str, str]
) -> list[Finding]:
    a = fmt_decimal(vals[0])
    return [
        Finding.make(
            "cross-requires",
            value=a,
            label_a=inds[0].label,
            value_a=a,
            label_b=inds[1].label,
            rule=_requires_rule(check, inds),
            **base,
        )
    ]


def _requires_rule(check: Check, inds: Sequence[Indicator]) -> str:
    return f"填写了“{inds[0].label}”，“{inds[1].label}”就不应为0"


def _requires_fails(check: Check, refs: Sequence[str]) -> str:
    return f"AND(N({refs[0]})>0,N({refs[1]})=0)"


# ---- ratio_range: a ratio between two figures, outside which the unit is likely wrong ----------------------


def _ratio_hits(check: Check, vals: Sequence[Decimal]) -> list[Hit]:
    a, b = vals[0], vals[1]
    if a <= 0 or b <= 0:
        return []
    ratio = a / b
    if check.max is not None and ratio > check.max:
        return [(ratio, "偏大", check.large_unit)]
    if check.min is not None and ratio < check.min:
        return [(ratio, "偏小", check.small_unit)]
    return []


def _ratio_bounds(check: Check, inds: Sequence[Indicator]) -> str:
    a, b = inds
    return f"平均每{b.unit}{strip_unit(a.label)}应在 {fmt_decimal(check.min)}–{fmt_decimal(check.max)} {a.unit}之间"


def _ratio_rule(check: Check, inds: Sequence[Indicator]) -> str:
    a, _ = inds
    text = _ratio_bounds(check, inds)
    wrong = [u for u in (check.large_unit, check.small_unit) if u]
    if wrong:
        text += f"，超出时可能是按“{'”或“'.join(wrong)}”而不是“{a.unit}”填写的"
    return text


def _ratio_findings(
    check: Check, inds: Sequence[Indicator], vals: Sequence[Decimal], hits: list[Hit], base: dict[str, str]
) -> list[Finding]:
    ratio, direction, unit = hits[0]
    a, b = inds
    return [
        Finding.make(
            "cross-unit-suspect",
            value=fmt_decimal(vals[0]),
            per=b.unit,
            label_a=strip_unit(a.label),
            label=a.label,
            expected=a.unit,
            ratio=fmt_decimal(round_half_up(ratio, 2)),
            direction=direction,
            guess=f"，可能是按“{unit}”而不是“{a.unit}”填写的" if unit else "",
            rule=_ratio_bounds(check, inds),  # the finding names its own guess of the unit
            **base,
        )
    ]


def _ratio_fails(check: Check, refs: Sequence[str]) -> str:
    ratio = f"N({refs[0]})/N({refs[1]})"
    bounds = [f"{ratio}<{fmt_decimal(check.min)}", f"{ratio}>{fmt_decimal(check.max)}"]
    return f"AND(N({refs[0]})>0,N({refs[1]})>0,OR({','.join(bounds)}))"


CHECKS: dict[str, CheckKind] = MappingProxyType(
    {
        "paired": CheckKind(
            _paired_hits,
            _paired_rule,
            _paired_findings,
            _paired_fails,
            lambda c, inds: "核对：" + "与".join(strip_unit(i.label) for i in inds),
        ),
        "requires": CheckKind(
            _requires_hits,
            _requires_rule,
            _requires_findings,
            _requires_fails,
            lambda c, inds: f"核对：{strip_unit(inds[0].label)}与{strip_unit(inds[1].label)}",
        ),
        "ratio_range": CheckKind(
            _ratio_hits,
            _ratio_rule,
            _ratio_findings,
            _ratio_fails,
            lambda c, inds: f"核对：平均每{inds[1].unit}{strip_unit(inds[0].label)}（{inds[0].unit}）",
            lambda c, refs, inds: (
                f'IF(AND(N({refs[0]})>0,N({refs[1]})>0),ROUND({refs[0]}/{refs[1]},2),"")',
                inds[0].unit,
            ),
        ),
    }
)


def indicators(scheme: Scheme, check: Check) -> list[Indicator]:
    """The check's fields' indicators, in the check's order."""
    return [scheme.indicator(f) for f in check.fields]


def evaluate(
    scheme: Scheme,
    check: Check,
    vals: Sequence[Decimal],
    base: Callable[[], dict[str, str]],
) -> list[Finding]:
    """The findings of one check over one submission's values (empty in the common case, decided before any
    text is built). base() gives the findings' file, cell and so on: asked only when the check finds
    something."""
    kind = CHECKS[check.kind]
    hits = kind.evaluate(check, vals)
    return kind.findings(check, indicators(scheme, check), vals, hits, base()) if hits else []


def hint(scheme: Scheme, check: Check) -> Hint:
    """The check's live hint on the template: the warning is the rule's sentence."""
    kind = CHECKS[check.kind]
    inds = indicators(scheme, check)
    return Hint(kind.title(check, inds), f"{kind.rule(check, inds)}，请核对")


def shown(scheme: Scheme, check: Check, refs: Sequence[str]) -> Shown | None:
    """A figure the hint row shows beside its warning, or None."""
    found = CHECKS[check.kind].shown(check, refs, indicators(scheme, check))
    return None if found is None else Shown(*found)


def excel_condition(check: Check, refs: Sequence[str]) -> str:
    """An Excel condition over the fields' cells (in the check's order), TRUE when the check fails."""
    return CHECKS[check.kind].fails(check, refs)
