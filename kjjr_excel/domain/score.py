"""Scoring: values + scheme -> per-indicator scores with a one-line Chinese derivation (pure).

Arithmetic is exact (fractions.Fraction from the decimal inputs), so floating-point noise can never move a
score across a grade bound; rounding (half up, 2 places) happens once, in rank.py.
"""

from __future__ import annotations

import functools
from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from types import MappingProxyType
from typing import NamedTuple

from kjjr_excel.domain.model import CenterInput, CenterScore, ItemScore, Value
from kjjr_excel.domain.scheme import RULE_PARAMS, Indicator, Rule, Scheme

ZERO = Fraction(0)


# Safe to memoise: equal keys print alike (Decimal 1.0 and 1 both as "1", and a Fraction equal to an int or
# Decimal prints as that number), so a hit can never change a derivation's text.
@functools.lru_cache(maxsize=4096)
def num(value: Decimal | Fraction | int | None) -> str:
    """A parameter or input as the seed writes it: 0.25, 30, 5. (Memoised: the rules' parameters are shown in
    every derivation, and most inputs repeat.)"""
    if value is None:
        return "0"
    if isinstance(value, int) or (isinstance(value, Decimal) and value == value.to_integral_value()):
        return str(int(value))
    d = (
        Decimal(value.numerator) / Decimal(value.denominator)
        if isinstance(value, Fraction)
        else Decimal(value)
    )
    text = f"{d.normalize():f}"
    return text


def cents(value: Fraction) -> int:
    """Hundredths of a score, rounded half up (away from zero), in integer arithmetic."""
    n, d = value.numerator, value.denominator
    q = (abs(n) * 200 + d) // (2 * d)
    return q if n >= 0 else -q


def two(value: Fraction) -> str:
    """A score with two decimals, rounded half up."""
    q = cents(value)
    sign = "-" if q < 0 else ""
    q = abs(q)
    return f"{sign}{q // 100}.{q % 100:02d}"


def round2(value: Fraction) -> float:
    """The score the meeting sees, as a number for a spreadsheet cell."""
    return cents(value) / 100


def exact_sum(terms: Iterable[Fraction]) -> Fraction:
    """The exact sum of fractions, reduced once at the end (Fraction's + reduces after every term, which is
    most of the cost of adding up N × 17 item scores)."""
    n, d = 0, 1
    for term in terms:
        n, d = n * term.denominator + term.numerator * d, d * term.denominator
    return Fraction(n, d)


# Safe to memoise: equal keys give equal Fractions.
@functools.lru_cache(maxsize=4096)
def F(value: Decimal | int | None) -> Fraction:
    """Exact value of a typed decimal (memoised: a rule's parameters are converted for every center)."""
    return Fraction(value or 0)


@dataclass(frozen=True)
class RuleKind:
    """A rule kind: its required parameters, its formula and its Excel counterpart."""

    params: tuple[str, ...]
    compute: Callable[[Rule, Fraction], Fraction]
    formula: Callable[[Rule, str], str]  # n shown as "n"
    excel: Callable[[Rule, str], str]  # Excel expression over a cell reference, before clamping


def _p(rule: Rule, name: str) -> Fraction:
    return F(rule.params[name])


RULES: dict[str, RuleKind] = MappingProxyType(
    {
        # base + step × (n − target): 5 + 0.25×(n−30)
        "linear_step": RuleKind(
            RULE_PARAMS["linear_step"],
            lambda r, n: _p(r, "base") + _p(r, "step") * (n - _p(r, "target")),
            lambda r, n: f"{num(r.params['base'])} + {num(r.params['step'])}×({n}−{num(r.params['target'])})",
            lambda r, c: f"{num(r.params['base'])}+{num(r.params['step'])}*({c}-{num(r.params['target'])})",
        ),
        # full − step × (target − n): 6 − 0.5×(12−n)
        "shortfall": RuleKind(
            RULE_PARAMS["shortfall"],
            lambda r, n: _p(r, "full") - _p(r, "step") * (_p(r, "target") - n),
            lambda r, n: f"{num(r.params['full'])} − {num(r.params['step'])}×({num(r.params['target'])}−{n})",
            lambda r, c: f"{num(r.params['full'])}-{num(r.params['step'])}*({num(r.params['target'])}-{c})",
        ),
        # step × n: 3×n
        "per_unit": RuleKind(
            RULE_PARAMS["per_unit"],
            lambda r, n: _p(r, "step") * n,
            lambda r, n: f"{num(r.params['step'])}×{n}",
            lambda r, c: f"{num(r.params['step'])}*{c}",
        ),
        # full − step × n: 10 − 1×n
        "deduction": RuleKind(
            RULE_PARAMS["deduction"],
            lambda r, n: _p(r, "full") - _p(r, "step") * n,
            lambda r, n: f"{num(r.params['full'])} − {num(r.params['step'])}×{n}",
            lambda r, c: f"{num(r.params['full'])}-{num(r.params['step'])}*{c}",
        ),
        # points as awarded by the assessor
        "as_awarded": RuleKind(
            RULE_PARAMS["as_awarded"],
            lambda r, n: n,
            lambda r, n: f"认定{n}分",
            lambda r, c: f"{c}",
        ),
        # yes ⇒ 不合格 whatever the score; contributes no points
        "veto": RuleKind(RULE_PARAMS["veto"], lambda r, n: ZERO, lambda r, n: "", lambda r, c: "0"),
    }
)


def clamp(rule: Rule, value: Fraction) -> tuple[Fraction, str]:
    """Clamp to the rule's range; the note says which bound applied."""
    lo, hi = rule.params.get("min"), rule.params.get("max")
    if hi is not None and value > F(hi):
        return F(hi), f"，超过上限按{num(hi)}分计"
    if lo is not None and value < F(lo):
        return F(lo), f"，低于下限按{num(lo)}分计"
    return value, ""


class RuleScore(NamedTuple):
    """An absolute indicator's score and its one-line derivation."""

    score: Fraction
    derivation: str


def score_rule(ind: Indicator, value: Value) -> RuleScore:
    """Score one absolute indicator and derive it in one line: `35家：5 + 0.25×(35−30) = 6.25`."""
    rule = ind.rule
    assert rule is not None
    kind = RULES[rule.kind]
    n = F(value) if not isinstance(value, bool) else Fraction(int(value))
    raw = kind.compute(rule, n)
    score, note = clamp(rule, raw)
    shown = num(value) if not isinstance(value, bool) else ("是" if value else "否")
    formula = kind.formula(rule, shown)
    if rule.kind == "as_awarded":
        return RuleScore(score, f"{formula}{note}" if note else f"{formula} = {two(score)}")
    return RuleScore(score, f"{shown}{ind.unit}：{formula} = {two(raw)}{note}")


def describe_rule(ind: Indicator) -> str:
    """The rule in words for the 说明 sheet: `5 + 0.25×(n−30)，0–10分`."""
    rule = ind.rule
    if rule is None:
        return ""
    if rule.kind == "veto":
        return rule.reason  # the loader requires a veto's reason, worded by the scheme
    text = RULES[rule.kind].formula(rule, "n")
    lo, hi = rule.params.get("min"), rule.params.get("max")
    if lo is not None or hi is not None:
        text += f"，{num(lo)}–{num(hi)}分"
    return text


def excel_formula(ind: Indicator, ref: str) -> str:
    """The same rule as an Excel formula over the input cell, clamped (no leading '=')."""
    rule = ind.rule
    assert rule is not None
    body = RULES[rule.kind].excel(rule, ref)
    lo, hi = rule.params.get("min"), rule.params.get("max")
    if hi is not None:
        body = f"MIN({num(hi)},{body})"
    if lo is not None:
        body = f"MAX({num(lo)},{body})"
    return body


# ---------------------------------------------------------------------------------------------- absolute


def score_absolute(
    scheme: Scheme, center: CenterInput, scored: dict[tuple[str, str], RuleScore] | None = None
) -> CenterScore:
    """Qingdao-style: each indicator by its own rule; a value in error scores 0 and says so. scored: the run's
    rule scores by (indicator, value as typed), shared by its centers (figures recur, and a rule score depends
    on nothing else; the text, not the value, as 5 and 5.0 are equal but shown apart)."""
    if scored is None:
        scored = {}
    items = []
    for ind in scheme.indicators:
        if ind.is_veto:
            continue
        value = center.values.get(ind.id)
        source = center.sources.get(ind.id, "自报" if ind.source == "self" else "默认")
        if ind.id in center.errors or value is None:
            if ind.source == "assessor" and ind.id not in center.errors:
                value = ind.neutral_value
            else:
                cell = center.errors.get(ind.id, "")
                items.append(
                    ItemScore(
                        ind.id,
                        None,
                        ZERO,
                        f"数据有误（{cell}），按0分计" if cell else "未填写，按0分计",
                        source,
                    )
                )
                continue
        key = (ind.id, str(value))
        found = scored.get(key)
        if found is None:
            found = scored[key] = score_rule(ind, value)
        score, derivation = found
        if source == "核定":
            derivation = f"核定数 {derivation}"
        items.append(ItemScore(ind.id, value, score, derivation, source))
    total = exact_sum(i.score for i in items)
    return CenterScore(center=center, items=tuple(items), quantitative=total, qualitative=None, total=total)


# ---------------------------------------------------------------------------------------------- relative


def percentile_inc(values: Sequence[Fraction], p: Fraction) -> Fraction:
    """Excel's PERCENTILE.INC: linear interpolation at (n−1)·p on the sorted values."""
    xs = sorted(values)
    if not xs:
        return ZERO
    pos = (len(xs) - 1) * p
    lo = int(pos)
    frac = pos - lo
    if lo + 1 >= len(xs):
        return xs[-1]
    return xs[lo] + (xs[lo + 1] - xs[lo]) * frac


def percentrank_inc(values: Sequence[Fraction], x: Fraction, significance: int = 3) -> Fraction:
    """Excel's PERCENTRANK.INC for a value of the array: share of values below it, truncated to 3 digits."""
    return _percentrank_sorted(sorted(values), x, significance)


def _percentrank_sorted(
    xs: Sequence[Decimal] | Sequence[Fraction], x: Decimal | Fraction, significance: int = 3
) -> Fraction:
    if len(xs) <= 1:
        return Fraction(1)
    # a center outside the array (vetoed, scored for the record): Excel has no rank beyond its ends (#N/A),
    # the score none above the weight
    if x > xs[-1]:
        return Fraction(1)
    if x < xs[0]:
        return Fraction(0)
    below = bisect_left(xs, x)
    rank = Fraction(below)
    if xs[below] != x:  # between two of the array's values: interpolated from the last of the lower ones
        lower, upper = Fraction(xs[below - 1]), Fraction(xs[below])
        rank = below - 1 + (Fraction(x) - lower) / (upper - lower)
    scale = 10**significance
    return Fraction(int(rank * scale // (len(xs) - 1)), scale)  # Excel rounds down to the significance


def score_relative(
    scheme: Scheme, centers: Sequence[CenterInput], reviews_given: bool = False
) -> list[CenterScore]:
    """Guangdong-style: Σ weight × min(1, value/benchmark) over the eligible centers, then the reviews."""
    pool = [c for c in centers if c.eligible and not c.vetoes]
    rules = [
        _RelativeRule(scheme, ind, [v for c in pool if (v := _pool_value(c, ind.id)) is not None])
        for ind in scheme.scored_indicators
    ]
    w_quant, w_qual = F(scheme.weight_quantitative), F(scheme.weight_qualitative)
    out = []
    for c in centers:
        items = []
        for rule in rules:
            iid = rule.ind.id
            value = c.values.get(iid)
            if iid in c.errors or value is None or isinstance(value, bool):
                cell = c.errors.get(iid, "")
                reason = f"数据有误（{cell}），按0分计" if cell else "未填写，按0分计"
                items.append(ItemScore(iid, None, ZERO, reason))
                continue
            items.append(rule.item(value))
        quant = exact_sum(i.score for i in items)
        qual = trimmed_mean(c.review_totals, scheme.trim_at) if c.review_totals else None
        combined = reviews_given or qual is not None
        total = w_quant * quant + w_qual * (qual or ZERO) if combined else quant
        out.append(
            CenterScore(center=c, items=tuple(items), quantitative=quant, qualitative=qual, total=total)
        )
    return out


def _pool_value(c: CenterInput, iid: str) -> Decimal | None:
    """A center's figure among the others' benchmark; None for one in error or left blank: it scores 0 for its
    own center, but as a 0 in the pool it would lower the p90 and raise every other percent rank."""
    value = c.values.get(iid)
    if iid in c.errors or value is None or isinstance(value, bool):
        return None
    return value


class _RelativeRule:
    """One indicator's benchmark over the pool, computed once; `item` scores a value against it.

    The pool stays in Decimal (exact for typed figures, and compared in C); Fractions appear only where a
    ratio is formed, once per item."""

    def __init__(self, scheme: Scheme, ind: Indicator, pool: list[Decimal]):
        self.ind = ind
        self.method = scheme.benchmark
        self.weight = F(ind.weight)
        self.weight_text = num(ind.weight)
        self.sorted_pool = sorted(pool) if self.method in ("p90", "rank") else []
        if not pool:
            self.bench = ZERO
        elif self.method == "p90":
            self.bench = percentile_inc([F(v) for v in self.sorted_pool], Fraction(9, 10))
        else:
            self.bench = F(max(pool))
        self.bench_text = two(self.bench)
        self.label = "最高值" if scheme.benchmark == "max" else "第90百分位数"
        # the hot path's integers, read once (Fraction's numerator and denominator are Python properties)
        self.weight_nd = (self.weight.numerator, self.weight.denominator)
        self.bench_nd = (self.bench.numerator, self.bench.denominator)
        self.full_text = two(self.weight)  # the score of a value at or above the benchmark
        # this run's items by value as typed: figures recur across centers, and an item depends on nothing else
        self.scored: dict[str, ItemScore] = {}

    def item(self, value: Decimal) -> ItemScore:
        """The item of a value; keyed by its text, not the Decimal, as 5 and 5.0 are equal but shown apart."""
        key = str(value)
        found = self.scored.get(key)
        if found is None:
            found = self.scored[key] = self._item(value)
        return found

    def _item(self, value: Decimal) -> ItemScore:
        ind, weight = self.ind, self.weight
        number = num(value)
        shown = f"{number}{ind.unit}"
        if self.method == "rank":
            pr = _percentrank_sorted(self.sorted_pool, value) if self.sorted_pool else ZERO
            score = weight * pr
            return ItemScore(
                ind.id, value, score, f"{shown}：{self.weight_text} × 百分比排位{num(pr)} = {two(score)}"
            )
        bn, bd = self.bench_nd
        if not bn:
            return ItemScore(ind.id, value, ZERO, f"{shown}：{self.label}为0，本项均计0分")
        xn, xd = value.as_integer_ratio()
        # weight × min(1, x / bench) with a single normalisation (the hot path: N × 17 items)
        if xn * bd >= bn * xd:
            score, shown_score = weight, self.full_text
        else:
            wn, wd = self.weight_nd
            score = Fraction(wn * xn * bd, wd * xd * bn)
            shown_score = two(score)
        return ItemScore(
            ind.id,
            value,
            score,
            f"{shown}：{self.weight_text} × min(1, {number}÷{self.bench_text}) = {shown_score}",
        )


def trims(count: int, trim_at: int) -> bool:
    """Whether a mean of `count` reviewers' totals drops the highest and the lowest first."""
    return count >= trim_at and count > 2


def trimmed_mean(totals: Sequence[Fraction], trim_at: int) -> Fraction:
    """Mean of the reviewers' totals; with trim_at or more, drop one highest and one lowest first."""
    xs = sorted(totals)
    if trims(len(xs), trim_at):
        xs = xs[1:-1]
    return sum(xs, ZERO) / len(xs)


def score_each(
    scheme: Scheme, centers: Sequence[CenterInput], reviews_given: bool = False
) -> list[CenterScore]:
    """Every center by its own rules (the absolute method): no center's score depends on another's."""
    scored: dict[tuple[str, str], RuleScore] = {}
    return [score_absolute(scheme, c, scored) for c in centers]


# The scoring of each method (methods.METHODS gives each its columns, notes and tables).
SCORING: dict[str, Callable[[Scheme, Sequence[CenterInput], bool], list[CenterScore]]] = MappingProxyType(
    {
        "absolute": score_each,
        "relative": score_relative,
    }
)


def score_all(
    scheme: Scheme, centers: Sequence[CenterInput], reviews_given: bool = False
) -> list[CenterScore]:
    """Score every center by the scheme's method; reviews_given: review sheets were supplied at all."""
    return SCORING[scheme.method](scheme, centers, reviews_given)
