"""Ranking: scored centers + history -> ranks, grades, subsidy and flags (pure).

Rank and grade are decided on the total rounded half up to 2 places, so two centers the meeting sees with the
same figure always share a rank. Competition ranking: 1, 2, 2, 4.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from fractions import Fraction
from statistics import median

from kjjr_excel.domain.findings import Finding
from kjjr_excel.domain.methods import Method, method_of
from kjjr_excel.domain.model import CenterInput, CenterScore, HistoryRecord, RankedCenter
from kjjr_excel.domain.parse import fmt_decimal
from kjjr_excel.domain.scheme import Scheme
from kjjr_excel.domain.score import cents
from kjjr_excel.domain.validate import UNIT_GAP

FLAG_DELIST = "摘牌"
FLAG_DELIST_WARNING = "摘牌预警"
FLAG_DATA_ERROR = "数据有误"
# A center ranked with a value the tool could not read is graded as scored, but not paid until the value is
# corrected: the tool never decides public money on a figure it could not tell.
PAY_HELD = (
    "{money}暂缓：有数据有误的填报项，更正并核实后再确定{label}"  # 补助暂缓 (Qingdao), 支持暂缓 (Guangdong)
)
PAY_HELD_LACKING = "{money}暂缓：{lacking}，补齐评审表后再确定{label}"
# a center known by its code alone (no roster, the name left blank on its form): nobody can be named on the
# 公示 and the payment list, so its money waits for the name
PAY_HELD_NAMELESS = "{money}暂缓：{center}名称未填写，补填后再确定{label}"
FLAG_LAST = "排名最后"
# a flag that the center's figures in error decide (correcting them could lift it) says so; 摘牌 itself waits
PENDING = "待数据更正后确定"
# a ranked center's grade that correcting its figures in error could change: graded as scored, said to wait
# (the 公示 prints it as 待定, never as a grade the center may not have)
FLAG_GRADE_PENDING = f"等次待定（{PENDING}）"
FLAG_DELIST_PENDING = "摘牌待定"
QUALITATIVE = "定性评分"  # CenterInput.errors key of a reviewer's row in error (not an indicator of its own)


def to_decimal(value: Fraction) -> Decimal:
    """A total rounded half up to 2 places, exactly (score.cents; dividing in Decimal first would round twice,
    at 28 digits and then at 2)."""
    return Decimal(cents(value)).scaleb(-2)


def pay_held_flag(scheme: Scheme, lacking: str = "") -> str:
    """The flag of a center ranked with data to correct (or, lacking, a part of its score its assessors still
    owe), in the scheme's word for the money."""
    if lacking:
        return PAY_HELD_LACKING.format(money=scheme.money_word, label=scheme.money_label, lacking=lacking)
    return PAY_HELD.format(money=scheme.money_word, label=scheme.money_label)


def pay_held_nameless(scheme: Scheme) -> str:
    """The flag of a ranked center whose name nobody gave (see PAY_HELD_NAMELESS)."""
    return PAY_HELD_NAMELESS.format(
        money=scheme.money_word, label=scheme.money_label, center=scheme.center_label
    )


def pay_held_word(scheme: Scheme) -> str:
    """The flag's short form, as 排名's 标记 prints it: 补助暂缓, 支持暂缓."""
    return f"{scheme.money_word}暂缓"


def floors_covered(scheme: Scheme, qualifying: int) -> bool:
    """Whether a total budget gives each of `qualifying` centers its floor (else it is shared evenly)."""
    return scheme.subsidy_budget >= scheme.subsidy_floor * qualifying


def years_text(n: int) -> str:
    """A count of years as the notice writes it: 两 (连续两年), 三, …; digits from 11 on."""
    return "一两三四五六七八九十"[n - 1] if 1 <= n <= 10 else str(n)


def running_years(n: int) -> str:
    """How many years running delist, as the notice words it: 连续两年; one year is 本年度, not 连续一年."""
    return "本年度" if n == 1 else f"连续{years_text(n)}年"


def competition_ranks(totals: Sequence[Decimal]) -> list[int]:
    """1,2,2,4 by total descending; the input order is kept in the output."""
    ascending = sorted(totals)
    # rank = 1 + how many totals are strictly greater
    return [1 + len(ascending) - bisect_right(ascending, t) for t in totals]


def grade_for(scheme: Scheme, total: Decimal) -> str:
    """Threshold grading; the bound belongs to the higher grade (90分（含）以上为优秀)."""
    for grade in scheme.grades:
        if grade.min is not None and total >= grade.min:
            return grade.name
    return scheme.grades[-1].name


def quota_counts(scheme: Scheme, ranked: int) -> list[tuple[str, int]]:
    """Cumulative counts per grade: shares × the number ranked, rounded half up (32: 6 优秀, 19 良好)."""
    out, cumulative = [], Decimal(0)
    for grade in scheme.grades:
        if grade.failing:
            continue
        cumulative += grade.share if grade.share is not None else Decimal(1) - cumulative
        count = int((cumulative * ranked).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        out.append((grade.name, min(count, ranked)))
    return out


def quota_grade(counts: list[tuple[str, int]], rank: int, fallback: str) -> str:
    """A center of competition rank r takes the first grade whose cumulative count reaches r: ties at a
    boundary share the first one's rank and so all take the higher grade."""
    for name, count in counts:
        if rank <= count:
            return name
    return fallback


def failing_grade(scheme: Scheme) -> str:
    return scheme.failing_grade


def subsidies(scheme: Scheme, entries: list[tuple[str, Decimal, str]]) -> dict[str, Decimal]:
    """Subsidy per center key from (key, total, grade). With a budget: the floor to each qualifying center
    and the rest shared in proportion to score, to the 0.01 万元 by largest remainder (the sum is exact)."""
    qualifying = [(k, t, g) for k, t, g in entries if scheme.paid(g)]
    out = {k: Decimal(0) for k, _, _ in entries}
    if not scheme.subsidy_budget or not qualifying:
        for k, _, g in qualifying:
            out[k] = scheme.subsidy_amounts.get(g, Decimal(0))
        return out
    floor = scheme.subsidy_floor
    rest = scheme.subsidy_budget - floor * len(qualifying)
    score_sum = sum(t for _, t, _ in qualifying)
    if rest <= 0 or score_sum <= 0:
        share = even_share(scheme, len(qualifying))
        covered = floors_covered(scheme, len(qualifying))
        for k, _, _ in qualifying:
            out[k] = floor if covered else min(floor, share)
        return out
    for k, share in _shared_cents(int(rest * 100), [(k, t) for k, t, _ in qualifying]).items():
        out[k] = floor + Decimal(share) / 100
    return out


def qualifying_count(scheme: Scheme, ranked: Sequence[RankedCenter]) -> int:
    """How many ranked centers have a grade that is paid (Scheme.paid)."""
    return sum(1 for r in ranked if r.rank is not None and scheme.paid(r.grade))


def even_share(scheme: Scheme, qualifying: int) -> Decimal:
    """A budget shared evenly among `qualifying` centers, to the 0.01 万元 below."""
    return (scheme.subsidy_budget / qualifying).quantize(Decimal("0.01"), rounding=ROUND_DOWN)


def short_budget_note(scheme: Scheme, ranked: Sequence[RankedCenter]) -> str:
    """What the run must say when a total budget cannot give every qualifying center its floor (the notice's
    合格及以上等次的分中心给予20万元以上的补助 is then not kept; '' otherwise): the 排名 foot says it too."""
    paid = qualifying_count(scheme, ranked)
    if not scheme.subsidy_budget or not paid or floors_covered(scheme, paid):
        return ""
    lowest = scheme.lowest_paid_grade
    label, word = scheme.center_label, scheme.money_word
    budget, floor = fmt_decimal(scheme.subsidy_budget), fmt_decimal(scheme.subsidy_floor)
    share = fmt_decimal(min(scheme.subsidy_floor, even_share(scheme, paid)))
    return (
        f"注意：{word}总额 {budget} 万元不足以给{lowest}及以上的 {paid} 个{label}每个保底 {floor} 万元，"
        f"已按总额平均分配（每个 {share} 万元），达不到“{lowest}及以上等次的{label}给予{floor}万元以上的{word}”。"
        f"请核对考核方案中的{word}总额（[subsidy] budget）后重新排名，再公示和发放。"
    )


def _shared_cents(cents: int, totals: list[tuple[str, Decimal]]) -> dict[str, int]:
    """`cents` shared in proportion to the totals, in whole cents by largest remainder, given to whole groups of
    equal totals: equal scores are paid alike, so the cents stop at the first group they cannot all reach (a
    group further down would be paid more than a higher score); what is left is said on 排名."""
    score_sum = sum(t for _, t in totals)
    exact = {t: Fraction(cents) * Fraction(t) / Fraction(score_sum) for t in {t for _, t in totals}}
    base = {t: int(v) for t, v in exact.items()}
    members = {t: sum(1 for _, u in totals if u == t) for t in exact}
    left = cents - sum(base[t] for _, t in totals)
    for t in sorted(exact, key=lambda t: (-(exact[t] - base[t]), -t)):
        if members[t] > left:
            break
        base[t] += 1
        left -= members[t]
    return {k: base[t] for k, t in totals}


def budget_left(scheme: Scheme, entries: list[tuple[str, Decimal, str]]) -> Decimal:
    """What a budget leaves unpaid because equal scores could not share the last cents alike (0 without one,
    and when the floors take it all: then it is shared evenly, as the foot says)."""
    if not scheme.subsidy_budget:
        return Decimal(0)
    qualifying = sum(1 for _, _, g in entries if scheme.paid(g))
    if not qualifying or not floors_covered(scheme, qualifying):
        return Decimal(0)
    return scheme.subsidy_budget - sum(subsidies(scheme, entries).values())


@dataclass
class _Decided:
    """A center on its way through ranking: its total as the meeting sees it, its rank and grade, its flags."""

    score: CenterScore
    total: Decimal
    excluded: bool  # vetoed, not eligible, or (strict) in error: listed after the ranked, without a rank
    flags: list[str]
    rank: int | None = None
    grade: str = ""


def rank_centers(
    scheme: Scheme,
    scores: Sequence[CenterScore],
    *,
    strict: bool = False,
    history: Mapping[str, Sequence[HistoryRecord]] | None = None,
    year: int | None = None,
    assessed: bool = True,
    reviews_given: bool = False,
    withhold: str = "",
) -> list[RankedCenter]:
    """Ranks, grades, subsidy and flags. Vetoed (and, with strict, erroneous) centers keep their score but
    are listed after the ranked ones, without a rank; the failing grade goes to a veto. withhold: nobody gets
    money (an assessor table or review sheet that could have failed anyone was not read); the flag says so."""
    year = year or scheme.year
    method = method_of(scheme)
    rows = [
        _Decided(
            s,
            to_decimal(s.total),
            _excluded(s.center, strict, method.lacking(s.center, reviews_given)),
            _flags(scheme, method, s.center, strict, reviews_given),
        )
        for s in sorted(scores, key=lambda s: (s.center.code, s.center.name, s.center.key))
    ]
    decided = _graded(scheme, rows)
    ranks = [d.rank for d in decided if d.rank is not None]
    # last needs someone ranked ahead: nobody is last alone, nor when every ranked center ties (ranks start at 1)
    last_rank = max(ranks) if ranks and max(ranks) > 1 else None
    pay = subsidies(scheme, [(d.score.center.key, d.total, d.grade) for d in decided if d.rank is not None])
    bests = _best_cases(scheme, method, decided)
    out = []
    for d in decided:
        s, rank, grade, flags = d.score, d.rank, d.grade, d.flags
        past = tuple(sorted((history or {}).get(s.center.key, ()), key=lambda h: h.year))
        in_error = bool(s.center.errors) and rank is not None
        best = bests.get(s.center.key) if in_error else d.total
        flags = _grade_flag(scheme, flags, grade, best) if in_error else flags
        if scheme.delisting and grade:
            lift = _Lift(d.total, best) if in_error else None
            flags = flags + _delisting(scheme, d, decided, bests, last_rank, past, year, lift)
        hold = _hold(scheme, method, s.center, reviews_given)
        paid = bool(pay.get(s.center.key))
        held = bool(hold) and rank is not None and _money_waits(scheme, grade, paid, in_error, best)
        if rank is not None and (withhold or held):  # nobody's money (a table not read), or this one's
            flags = flags + [withhold or hold]
        out.append(
            RankedCenter(
                score=s,
                total=d.total,
                rank=rank,
                grade=grade,
                subsidy=Decimal(0) if withhold or held else pay.get(s.center.key, Decimal(0)),
                flags=tuple(flags),
                history=past,
            )
        )
    out.sort(key=lambda r: (r.rank is None, r.rank or 0, -r.total, r.center.code, r.center.name))
    return out


def _grade_flag(scheme: Scheme, flags: list[str], grade: str, best: Decimal | None) -> list[str]:
    """A ranked center in error: 等次待定 after 数据有误 when correcting could give it another grade (best:
    _best_case, None when nothing bounds it)."""
    if best is None or grade_for(scheme, best) != grade:
        return _after_data_error(flags, FLAG_GRADE_PENDING)
    return flags


def _after_data_error(flags: list[str], flag: str) -> list[str]:
    """flags with `flag` placed right after 数据有误 (what it follows from)."""
    at = next((n + 1 for n, f in enumerate(flags) if f.startswith(FLAG_DATA_ERROR)), len(flags))
    return [*flags[:at], flag, *flags[at:]]


def _delisting(
    scheme: Scheme,
    d: _Decided,
    decided: Sequence[_Decided],
    bests: Mapping[str, Decimal | None],
    last_rank: int | None,
    past: Sequence[HistoryRecord],
    year: int,
    lift: _Lift | None,
) -> list[str]:
    """_delisting_flags of a center, and 摘牌待定 when it is last but for centers with figures to correct."""
    flags = _delisting_flags(scheme, d.grade, d.rank, last_rank, past, year, lift)
    if d.rank is not None and d.rank != last_rank and _may_fall_last(d, decided, bests):
        flags += _delisting_if_last(scheme, past, year, flags)
    return flags


def _best_cases(scheme: Scheme, method: Method, decided: Sequence[_Decided]) -> dict[str, Decimal | None]:
    """_best_case of each ranked center with figures in error, by key."""
    ranked = (d for d in decided if d.rank is not None and d.score.center.errors)
    return {d.score.center.key: _best_case(scheme, method, d.score) for d in ranked}


def _may_fall_last(d: _Decided, decided: Sequence[_Decided], bests: Mapping[str, Decimal | None]) -> bool:
    """Whether a ranked center not last now would be, were every center below it to correct its figures in
    error: each of them is in error, and correcting could take it above this one (no bound known: could)."""
    below = [o for o in decided if o.rank is not None and o.total < d.total]
    return bool(below) and all(
        o.score.center.key in bests
        and (bests[o.score.center.key] is None or bests[o.score.center.key] > d.total)
        for o in below
    )


def _delisting_if_last(
    scheme: Scheme, past: Sequence[HistoryRecord], year: int, flags: Sequence[str]
) -> list[str]:
    """摘牌待定 for a center that is second-last only while the centers below it have figures to correct,
    when the years before were last too: corrected, they could leave it last, and delisted."""
    if any(f.startswith(FLAG_DELIST) and not f.startswith(FLAG_DELIST_WARNING) for f in flags):
        return []  # delisted, or pending, on another count already
    by_year = {h.year: h for h in past}
    earlier = [by_year.get(year - n) for n in range(1, scheme.delisting_years)]
    if not earlier or not all(h is not None and h.last for h in earlier):
        return []
    running = running_years(scheme.delisting_years)
    return [f"{FLAG_DELIST_PENDING}（{running}排名最后，{PENDING}：排在其后的{scheme.center_label}数据有误）"]


def _hold(scheme: Scheme, method: Method, c: CenterInput, reviews_given: bool) -> str:
    """The flag that holds a ranked center's money ('' when nothing does): a figure in error, a part of its
    score its assessors still owe, or no name to pay it under."""
    if c.errors:
        return pay_held_flag(scheme)
    lacking = method.lacking(c, reviews_given)
    if lacking:
        return pay_held_flag(scheme, lacking)
    return "" if c.name else pay_held_nameless(scheme)


def _money_waits(scheme: Scheme, grade: str, paid: bool, in_error: bool, best: Decimal | None) -> bool:
    """Whether a held center's money waits: it has some now, or correcting its figures in error could give it
    another grade (best: _best_case, None when no bound is known)."""
    return paid or (in_error and (best is None or grade_for(scheme, best) != grade))


@dataclass(frozen=True)
class _Lift:
    """A ranked center with figures in error: its total now and the most correcting them could give it (None:
    no bound is known, see _best_case)."""

    total: Decimal
    best: Decimal | None


def _best_case(scheme: Scheme, method: Method, s: CenterScore) -> Decimal | None:
    """The total a center with figures in error could reach, each of them given its rule's highest score (an
    indicator in error scores 0); None when that cannot be told: scores relative to the other centers, grades by
    shares of the ranked, or a figure in error whose rule has no upper bound."""
    if method.id != "absolute" or scheme.grading_method == "quota":
        return None
    items = {item.indicator: item for item in s.items}
    best = s.total
    for iid in s.center.errors:
        rule = scheme.indicator(iid).rule if iid in items else None
        top = rule.get("max") if rule is not None else None
        if top is None:  # not an indicator's own score (定性评分), or a rule without a cap
            return None
        best += max(Fraction(top) - items[iid].score, Fraction(0))
    return to_decimal(best)


def _excluded(c: CenterInput, strict: bool, lacking: str) -> bool:
    return bool(c.vetoes) or not c.eligible or (strict and bool(c.errors or lacking))


def _flags(scheme: Scheme, method: Method, c: CenterInput, strict: bool, reviews_given: bool) -> list[str]:
    """A center's flags before ranking: vetoes, inputs in error, what its method and the run say of it."""
    flags: list[str] = list(c.vetoes)
    if (
        c.errors
    ):  # which inputs, in the scheme's order, by the labels the form prints: 数据有误：人员配备（F18）
        # an assessor's field by its column's header (工作落实 names two of them)
        labels = [
            (ind.id, ind.display_label if ind.source == "assessor" else ind.label)
            for ind in scheme.indicators
        ] + [(QUALITATIVE, QUALITATIVE)]
        wrong = [
            f"{label}（{c.errors[iid]}）" if c.errors[iid] else label
            for iid, label in labels
            if iid in c.errors
        ]
        flags.append(f"{FLAG_DATA_ERROR}：{'、'.join(wrong)}")
    flags.extend(method.flags(scheme, c, reviews_given))
    flags.extend(c.notes)
    if strict and c.errors and not c.vetoes:
        flags.append("数据有误，未参加排名（--strict）")
    elif strict and not c.vetoes and method.lacking(c, reviews_given):
        flags.append(f"{method.lacking_flag}，未参加排名（--strict）")
    if not c.eligible and c.not_eligible_reason:
        flags.append(c.not_eligible_reason)
    return flags


def _graded(scheme: Scheme, rows: list[_Decided]) -> list[_Decided]:
    """The ranked centers with their ranks and grades, then the excluded ones (a veto gets the failing grade)."""
    failing = failing_grade(scheme)
    ranked = [r for r in rows if not r.excluded]
    ranks = competition_ranks([r.total for r in ranked])
    counts = quota_counts(scheme, len(ranked)) if scheme.grading_method == "quota" else []
    for r, rank in zip(ranked, ranks, strict=True):
        r.rank = rank
        r.grade = quota_grade(counts, rank, failing) if counts else grade_for(scheme, r.total)
    excluded = [r for r in rows if r.excluded]
    for r in excluded:
        r.grade = failing if r.score.center.vetoes else ""
    return ranked + excluded


def _delisting_flags(
    scheme: Scheme,
    grade: str,
    rank: int | None,
    last_rank: int | None,
    past: Sequence[HistoryRecord],
    year: int,
    lift: _Lift | None = None,
) -> list[str]:
    """排名最后, 摘牌 or 摘牌预警 for this year's grade and rank. lift: for a ranked center with figures in error,
    what correcting them could give; a flag that correction could lift says so (摘牌 waits: 摘牌待定)."""
    failing_names = {g.name for g in scheme.grades if g.failing}
    fails_now = grade in failing_names
    last_now = rank is not None and last_rank is not None and rank == last_rank
    if not (fails_now or last_now):
        return []
    by_year = {h.year: h for h in past}
    earlier = [by_year.get(year - n) for n in range(1, scheme.delisting_years)]  # the N−1 years before
    failed_running = fails_now and all(
        h is not None and (h.failing or h.grade in failing_names) for h in earlier
    )
    last_running = last_now and all(h is not None and h.last for h in earlier)
    # would correcting its figures in error lift it out of the failing grade, or above the last?
    open_fail = (
        fails_now and lift is not None and (lift.best is None or grade_for(scheme, lift.best) != grade)
    )
    open_last = last_now and lift is not None and (lift.best is None or lift.best > lift.total)
    open_now = (open_fail or not fails_now) and (open_last or not last_now)
    flags = [FLAG_LAST + (f"（{PENDING}）" if open_last else "")] if last_now else []
    running = running_years(scheme.delisting_years)
    if failed_running or last_running:
        # an earlier year whose grade or place waited for a correction (its 标记 said so) settles nothing:
        # the running years it completes are open as this year's would be
        before = any(h is not None and h.pending for h in earlier)
        # a year whose table lacks places cannot say its last one was last (history-rank-gap)
        unsure_last = any(h is not None and h.last_unknown for h in earlier)
        fail_open, last_open = open_fail or before, open_last or before or unsure_last
        # by the failing grade unless only the last place is settled; pending when no route that delists is
        failing = failed_running and (not fail_open or not last_running or last_open)
        pending = (not failed_running or fail_open) and (not last_running or last_open)
        reason = f"{running}{grade if failing else '排名最后'}"
        flags.append(
            f"{FLAG_DELIST_PENDING}（{reason}，{PENDING}）" if pending else f"{FLAG_DELIST}（{reason}）"
        )
    else:
        flags.append(FLAG_DELIST_WARNING + (f"（{PENDING}）" if open_now else ""))
    return flags


def unsettled_note(scheme: Scheme, ranked: Sequence[RankedCenter], reviews_given: bool) -> str:
    """What the run must say when others' results hang on a center not yet settled ('' when nothing does):
    grades by shares of the ranked centers (quota) and a budget shared by score move with every center's
    score, so correcting one figure (or scoring a center no reviewer scored) can change the others' grades
    and amounts; thresholds without a budget decide each center alone."""
    method = method_of(scheme)
    quota = scheme.grading_method == "quota"
    if not (quota or scheme.subsidy_budget):
        return ""
    open_names = [  # what holds a center's money, or keeps it out of the ranking, may still change
        r.center.name or r.center.code
        for r in ranked
        if not r.center.vetoes and (not r.center.eligible or _hold(scheme, method, r.center, reviews_given))
    ]
    if not open_names:
        return ""
    label, money = scheme.center_label, scheme.money_label
    if quota:
        how, what = f"等次按参加排名的{label}的比例评定", f"等次和{money}"
    else:
        how, what = f"{money}按总额和得分比例分配", money
    fixed = "的数据更正或评分补齐后" if method.lacking_flag else "的数据更正后"
    return f"{how}：{'、'.join(open_names)}{fixed}，其他{label}的{what}也可能改变。请更正后重新排名，再公示和发放。"


# A benchmark is doubted when the checks say its figure's unit looks wrong (cross-unit-suspect), or call it
# far out of line (value-outlier) and it is at least UNIT_GAP times the pool's median: the gap of a figure
# typed in 千元 or 元 for 万元 (validate.UNIT_GAP). A center that is only much busier than the others is not held up.


def benchmark_note(scheme: Scheme, centers: Sequence[CenterInput], findings: Sequence[Finding]) -> str:
    """What the run must say when a relative scheme's benchmark (the pool's highest value) is a figure the
    checks doubt ('' when none is): every center's score on that indicator is measured against it, so one
    figure typed in 元 for 万元 decides the others' grades and money. The figure is not changed (SPEC: a
    warning), but the results are not settled until it is confirmed or corrected."""
    if scheme.method != "relative" or scheme.benchmark != "max":
        return ""
    unit = {(f.indicator, f.center) for f in findings if f.code == "cross-unit-suspect"}
    far = {(f.indicator, f.center) for f in findings if f.code == "value-outlier"}
    if not unit and not far:
        return ""
    pool = [c for c in centers if c.eligible and not c.vetoes]
    said = []
    for ind in scheme.scored_indicators:
        values = {c.key: v for c in pool if (v := _figure(c, ind.id)) is not None}
        if not values:
            continue
        top = max(values.values())
        doubted = unit | (far if top >= UNIT_GAP * median(values.values()) else set())
        setters = [c for c in pool if values.get(c.key) == top]
        names = [c.name or c.code for c in setters if {(ind.id, c.name), (ind.id, c.code)} & doubted]
        if names:
            said.append(f"“{ind.label}”的基准（最高值）是{'、'.join(names)}填写的 {fmt_decimal(top)}")
    if not said:
        return ""
    label = scheme.center_label
    return (
        f"{'；'.join(said)}，校验问题中提示这个数字可能有误（单位或位数）：各{label}这一项的得分都以它为准。"
        "请核实或更正后重新排名，再公示和发放。"
    )


def _figure(c: CenterInput, iid: str) -> Decimal | None:
    value = c.values.get(iid)
    if iid in c.errors or value is None or isinstance(value, bool):
        return None
    return value
