"""Checks across submissions (pure: no file access): headers, year, roster, duplicates, cross-field, outliers."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from pathlib import PurePosixPath
from statistics import median

from kjjr_excel.domain import checks
from kjjr_excel.domain.findings import Finding, Severity
from kjjr_excel.domain.identity import (
    RosterIndex,
    file_named_for,
    match_center,
    missing_centers,
    roster_index,
    submission_key,
)
from kjjr_excel.domain.layout import layout
from kjjr_excel.domain.model import ARCHIVE_SEPARATOR, Submission, beijing_time
from kjjr_excel.domain.parse import fmt_decimal, normalise_name
from kjjr_excel.domain.scheme import RosterEntry, Scheme

__all__ = ["validate"]


def _who(sub: Submission) -> str:
    return sub.center_name or sub.center_code


def validate(
    scheme: Scheme,
    submissions: Sequence[Submission],
    *,
    roster: Sequence[RosterEntry] = (),
    year: int | None = None,
    now: datetime | None = None,
) -> tuple[list[Submission], list[Finding]]:
    """Accepted submissions (one per center, newest saved kept) and the findings across submissions. now: the
    run's time (UTC, no zone): a mail sent or a workbook saved after it was dated by a wrong clock, and does not
    decide which copy is the newest (None: every time is taken as given)."""
    roster = roster_index(roster)  # built once: every submission is matched against it
    findings: list[Finding] = []
    label = scheme.center_label
    header_labels = layout(scheme).header_labels  # 分中心名称, 考核年度 / 评估年度: as the template says them
    candidates: list[Submission] = []
    for sub in sorted(submissions, key=lambda s: s.file):
        ok = _header_ok(sub, header_labels, year, findings) and _filled(sub, findings)
        if roster and ok:
            ok = _roster_ok(sub, roster, label, findings)
        if ok:
            candidates.append(sub)
    if not roster:
        candidates = _without_identity_conflicts(candidates, label, findings)
        candidates = _codes_by_name(candidates, label, findings)
    accepted = _resolve_duplicates(candidates, roster, label, findings, now)
    for sub in accepted:
        findings.extend(_cross_checks(scheme, sub))
    findings.extend(_outliers(scheme, accepted))
    for entry in missing_centers(roster, (submission_key(s, roster) for s in accepted)):
        findings.append(
            Finding.make("center-missing", center=entry.name, name=entry.name, roster_code=entry.code)
        )
    return accepted, findings


def _filled(sub: Submission, findings: list[Finding]) -> bool:
    """Whether anything was typed into the table's input cells. A form sent back blank (the template as mailed,
    a 催报's attachment saved into the inbox) is no submission: ranked, it would take a place and a grade's
    share from the others (a quota scheme pays by shares), and, saved last, would replace the center's real
    file among its duplicates. Rows that could not be found are left out of the test (their own finding)."""
    located = [v for v in sub.values.values() if v.cell]
    if not located or any(v.raw != "" for v in located):
        return True
    findings.append(Finding.make("submission-empty", file=sub.file, sheet=sub.sheet, center=_who(sub)))
    return False


def _header_ok(
    sub: Submission, header_labels: dict[str, str], year: int | None, findings: list[Finding]
) -> bool:
    """Whether a submission's header names its center and the year assessed; adds the findings on it."""
    ok = True
    if not sub.center_name:
        cell = sub.header_cells.get("center_name", "")
        findings.append(
            Finding.make(
                "header-missing",
                file=sub.file,
                sheet=sub.sheet,
                cell=cell,
                field=header_labels["center_name"],
            )
        )
        ok = bool(sub.center_code)  # still identifiable by its code
    where = {
        "file": sub.file,
        "sheet": sub.sheet,
        "cell": sub.header_cells.get("report_year", ""),
        "center": _who(sub),
    }
    if sub.typed_year is not None:
        # the cell and the template's own record disagree: which year the figures are for is unknown
        field = header_labels["report_year"]
        expected = year or sub.year
        findings.append(
            Finding.make(
                "year-conflict",
                field=field,
                value=sub.typed_year,
                actual=sub.year,
                expected=expected,
                **where,
            )
        )
        ok = False
    elif year is not None and sub.year != year:
        if sub.year is None:
            field = header_labels["report_year"]
            findings.append(Finding.make("header-missing", field=field, severity=Severity.WARNING, **where))
        else:
            findings.append(
                Finding.make("wrong-year", value=sub.year, actual=sub.year, expected=year, **where)
            )
            ok = False
    return ok


def _roster_ok(sub: Submission, roster: RosterIndex, label: str, findings: list[Finding]) -> bool:
    """Whether a submission's name and code tell one center of the roster; adds the findings on them."""
    conflict = _name_code_conflict(sub, roster)
    if conflict is not None:
        by_name, by_code = conflict
        findings.append(
            _identity_finding(
                "center-name-code-mismatch",
                sub,
                label,
                name_center=by_name.name,
                name_code=by_name.code,
                code_center=by_code.name,
            )
        )
        return False  # not ranked as either center, and never one of their duplicates
    entry = match_center(sub, roster)
    if entry is None:
        findings.append(
            Finding.make(
                "center-unknown",
                file=sub.file,
                sheet=sub.sheet,
                cell=sub.header_cells.get("center_name", ""),
                center=_who(sub),
                value=_who(sub),
                name=_who(sub),
                center_label=label,
            )
        )
        return False
    if sub.center_name and normalise_name(entry.name) != normalise_name(sub.center_name):
        # a name on no roster entry beside a roster code: most likely a typo, counted by the code
        findings.append(_identity_finding("center-name-differs", sub, label, roster_name=entry.name))
    return True


def _name_code_conflict(sub: Submission, roster: RosterIndex) -> tuple[RosterEntry, RosterEntry] | None:
    """(the entry its name names, the entry its code names) when a submission's name and code are both on the
    roster but belong to different centers: which of them submitted cannot be told."""
    code_entry = roster.by_code.get(normalise_name(sub.center_code)) if sub.center_code else None
    name_entry = roster.by_name.get(normalise_name(sub.center_name)) if sub.center_name else None
    if code_entry is None or name_entry is None or code_entry is name_entry:
        return None
    return name_entry, code_entry


def _identity_finding(code: str, sub: Submission, label: str, **fields: str) -> Finding:
    """A finding on the name and code a submission's header gives (at its code cell)."""
    return Finding.make(
        code,
        file=sub.file,
        sheet=sub.sheet,
        cell=sub.header_cells.get("center_code", ""),
        center=_who(sub),
        value=sub.center_code,
        name=sub.center_name,
        typed_code=sub.center_code,
        center_label=label,
        **fields,
    )


def _without_identity_conflicts(
    subs: list[Submission], label: str, findings: list[Finding]
) -> list[Submission]:
    """Without a roster a center is known only by what its files say: files that share a code under different
    names, or a name under different codes, cannot be told apart or together. Each is an error and none of
    them is ranked (merged, one would silently replace another; kept apart, one center could be ranked
    twice)."""
    names_of: dict[str, set[str]] = {}
    codes_of: dict[str, set[str]] = {}
    for sub in subs:
        code, name = normalise_name(sub.center_code), normalise_name(sub.center_name)
        if code and name:
            names_of.setdefault(code, set()).add(name)
            codes_of.setdefault(name, set()).add(code)
    clash = {c for c, names in names_of.items() if len(names) > 1}
    clash_names = {n for n, codes in codes_of.items() if len(codes) > 1}
    kept: list[Submission] = []
    for sub in subs:
        code, name = normalise_name(sub.center_code), normalise_name(sub.center_name)
        if (code and code in clash) or (name and name in clash_names):
            others = [
                o
                for o in subs
                if o is not sub
                and (
                    (code and normalise_name(o.center_code) == code)
                    or (name and normalise_name(o.center_name) == name)
                )
            ]
            shown = "、".join(f"{o.file}（{o.center_name}，{o.center_code}）" for o in others)
            findings.append(_identity_finding("center-identity-conflict", sub, label, others=shown))
        else:
            kept.append(sub)
    return kept


def _codes_by_name(subs: list[Submission], label: str, findings: list[Finding]) -> list[Submission]:
    """Without a roster, a file that names its center but leaves the code blank is the center of the files
    with that name and a code, when they all give one code: a correction sent without the code would
    otherwise be a center of its own, ranked and paid beside the first (its key is the name, theirs the
    code). It takes that code, with a note; a name under several codes stays as it is (told apart by
    _without_identity_conflicts' own finding, or by nothing it could be matched with)."""
    coded: dict[str, dict[str, list[Submission]]] = {}
    for sub in subs:
        code, name = normalise_name(sub.center_code), normalise_name(sub.center_name)
        if code and name:
            coded.setdefault(name, {}).setdefault(code, []).append(sub)
    out: list[Submission] = []
    for sub in subs:
        codes = coded.get(normalise_name(sub.center_name), {}) if not sub.center_code.strip() else {}
        if len(codes) != 1:
            out.append(sub)
            continue
        (others,) = codes.values()
        code = others[0].center_code.strip()
        findings.append(
            Finding.make(
                "center-code-from-name",
                file=sub.file,
                sheet=sub.sheet,
                cell=sub.header_cells.get("center_code", ""),
                center=sub.center_name,
                name=sub.center_name,
                others="、".join(o.file for o in others),
                same_code=code,
                center_label=label,
            )
        )
        out.append(replace(sub, center_code=code))
    return out


# Words and marks in a file name that say it replaces an earlier one (更正版, 修改后, 最新, v2, (1))
_NEWER_WORDS = ("更正", "修改", "修订", "最新", "终版", "最终", "定稿", "补充")
_VERSION = re.compile(r"(?:v|版本|第)\s*(\d{1,2})|[(（](\d{1,2})[)）]", re.IGNORECASE)


def _name_rank(sub: Submission) -> tuple[int, int]:
    """(has a word saying it is newer, the highest version number in it) of a submission's file name."""
    name = PurePosixPath(sub.file.rsplit(ARCHIVE_SEPARATOR, 1)[-1]).stem
    numbers = [int(a or b or 1) for a, b in _VERSION.findall(name)]
    return (int(any(w in name for w in _NEWER_WORDS)), max(numbers, default=0))


def _sent(sub: Submission, now: datetime | None = None) -> datetime | None:
    """When this version of the file was first sent: the earliest of the mails that brought these very bytes,
    a forwarded one by its own time (None: it lay in the folder, or a mail is dated after `now`, by a wrong
    clock). A reply that still carries the first attachment, sent after the correction, does not make the
    first version the newest."""
    times = [o.version_utc for o in sub.origins if o.version_utc is not None]
    if now is not None and any(t > now for t in times):
        return None
    return min(times) if times else None


def _saved(sub: Submission, now: datetime | None) -> datetime | None:
    """The workbook's saved time, None when it is after `now` (the clerk's clock is wrong)."""
    return None if now is not None and sub.saved_at is not None and sub.saved_at > now else sub.saved_at


def _future_times(sub: Submission, now: datetime | None) -> Iterator[Finding]:
    """A warning for each time of a copy that is later than the run: not used to tell the newest."""
    if now is None:
        return
    for o in sub.origins:
        if o.version_utc is not None and o.version_utc > now:
            when = f"邮件“{o.subject or '（无主题）'}”的发送时间 {o.sent_text}"
            yield Finding.make("time-in-future", file=sub.file, center=_who(sub), when=when)
    if sub.saved_at is not None and sub.saved_at > now:
        when = f"文件中记录的保存时间 {beijing_time(sub.saved_at):%Y-%m-%d %H:%M}"
        yield Finding.make("time-in-future", file=sub.file, center=_who(sub), when=when)


def _newest(group: list[Submission], now: datetime | None = None) -> tuple[Submission | None, str]:
    """The submission that replaces the others and the rule that decided; (None, "") when no rule can tell
    (and their figures differ). When every copy came by mail, the mail sent last decides: saved times come
    from the clerk's own clock and may be missing or contradict the order of the mails. Else the workbook's
    saved time decides only when every file carries one; then the file's modification time (when the analyst
    saved it) and the file name (更正, v2): when those two point at different copies, nothing can tell."""
    sent = [_sent(s, now) for s in group]
    if None not in sent and sent.count(max(sent)) == 1:
        return group[sent.index(max(sent))], "邮件发送时间最新"
    saved = [_saved(s, now) for s in group]
    if None not in saved and saved.count(max(saved)) == 1:
        return group[saved.index(max(saved))], "保存时间最新"
    why = "有的文件中没有保存时间" if None in saved else "保存时间相同"
    modified = [s.modified_at for s in group]
    by_time = (
        group[modified.index(max(modified))]
        if None not in modified and modified.count(max(modified)) == 1
        else None
    )
    names = [_name_rank(s) for s in group]
    by_name = (
        group[names.index(max(names))] if max(names) != (0, 0) and names.count(max(names)) == 1 else None
    )
    if by_time is not None and by_name is not None and by_time is not by_name:
        # the name says one is the correction, the file times (when the attachments were saved) the other
        kept, rule = _same_figures(group)
        return kept, rule or f"文件名表明 {by_name.file} 是更正版，文件修改时间却是 {by_time.file} 最新"
    if by_time is not None:
        return by_time, f"{why}，按文件修改时间最新"
    if by_name is not None:
        return by_name, f"{why}，文件修改时间也无法区分，按文件名中的“更正”“v2”“(1)”等字样"
    return _same_figures(group)


def _same_figures(group: list[Submission]) -> tuple[Submission | None, str]:
    """When no rule tells which copy replaces the others: any of them if their figures are all the same (the
    last by name), else (None, "")."""
    if len({tuple(sorted((k, cv.value, cv.error) for k, cv in s.values.items())) for s in group}) == 1:
        return max(group, key=lambda s: s.file), "各份填报的数字相同"
    return None, ""


def _resolve_duplicates(
    subs: list[Submission], roster: RosterIndex, label: str, findings: list[Finding], now: datetime | None
) -> list[Submission]:
    groups: dict[str, list[Submission]] = {}
    for sub in subs:
        groups.setdefault(submission_key(sub, roster), []).append(sub)
    accepted: list[Submission] = []
    for group in groups.values():
        if len(group) == 1:
            accepted.append(group[0])
            continue
        group.sort(key=lambda s: s.file)
        kept, rule = _newest(group, now)
        astray = _named_for_another(group, roster)
        if kept is not None and astray and _same_figures(group)[0] is None:
            # 崂山分中心.xlsx with 市北's name and code beside 市北's own file: which is 市北's, no time tells
            kept, rule = None, astray
        for sub in group:
            findings.extend(_future_times(sub, now))
        files = "、".join(s.file for s in group)
        if kept is not None:
            accepted.append(kept)
        for sub in group:
            if kept is None:
                finding = Finding.make(
                    "duplicate-undecided",
                    file=sub.file,
                    center=_who(sub),
                    count=len(group),
                    files=files,
                    center_label=label,
                    why=rule or "文件中没有保存时间，文件名也看不出先后",
                )
            else:
                finding = Finding.make(
                    "duplicate-submission",
                    file=sub.file,
                    center=_who(kept),
                    count=len(group),
                    files=files,
                    kept=kept.file,
                    rule=rule,
                    center_label=label,
                )
            findings.append(finding)
    accepted.sort(key=lambda s: s.file)
    return accepted


def _named_for_another(group: list[Submission], roster: RosterIndex) -> str:
    """Why a group of one center's copies cannot be ordered by time: a copy whose file name names another
    roster center may be that center's form with this one's header typed in ('' when none does)."""
    own = match_center(group[0], roster) if roster else None
    if own is None:
        return ""
    for sub in group:
        other = file_named_for(sub.file, own, roster)
        if other is not None:
            return f"{sub.file} 的文件名是“{other.name}”的，表中填写的却是“{own.name}”，可能填错了名称和编号"
    return ""


def _num(sub: Submission, iid: str) -> Decimal | None:
    cv = sub.values.get(iid)
    if cv is None or cv.error or type(cv.value) is not Decimal:  # noqa: E721 - bool/None never count
        return None
    return cv.value


def _cross_checks(scheme: Scheme, sub: Submission) -> list[Finding]:
    found: list[Finding] = []
    for check in scheme.checks:
        vals = [_num(sub, f) for f in check.fields]
        if None in vals:
            continue
        found.extend(
            checks.evaluate(scheme, check, vals, functools.partial(_check_base, sub, check.fields[0]))
        )
    return found


def _check_base(sub: Submission, field: str) -> dict[str, str]:
    """Where a cross-check's finding points: the cell of its first field."""
    cv = sub.values[field]
    return {"file": sub.file, "sheet": cv.sheet, "cell": cv.cell, "center": _who(sub), "indicator": field}


# the gap of a figure typed in 元 or 千元 for 万元 (or 亿元 for 万元, the other way): a positive figure this many
# times below the pool's median is out of line whatever the spread (0 never is: a center that did none of
# it); rank.benchmark_note doubts a highest figure this many times above it
UNIT_GAP = 1000


def _outliers(scheme: Scheme, accepted: list[Submission]) -> Iterator[Finding]:
    """Modified z-score (Iglewicz–Hoaglin, median/MAD; mean absolute deviation when MAD is 0)."""
    if len(accepted) < scheme.outlier_min_centers:
        return
    threshold = float(scheme.outlier_threshold)
    ratio = float(scheme.outlier_ratio)
    for ind in scheme.self_indicators:
        # a bounded input (0-12 months) cannot be far out of line; bounds are checked on their own
        if ind.type == "bool" or ind.max is not None:
            continue
        points = [(s, v) for s in accepted if (v := _num(s, ind.id)) is not None]
        if len(points) < scheme.outlier_min_centers:
            continue
        xs = [float(v) for _, v in points]
        med = median(xs)
        above, below = med * ratio, med / ratio
        if med <= 0:  # with most centers at 0 there is no scale to call a value far out of line
            continue
        mad = median(abs(x - med) for x in xs)
        if mad > 0:
            scale = mad / 0.6745
        else:
            mean_ad = sum(abs(x - med) for x in xs) / len(xs)
            if mean_ad == 0:
                continue
            scale = mean_ad * 1.253314
        for (sub, _), x in zip(points, xs, strict=True):
            # both an order-of-magnitude gap and a robust z-score: a typo or a wrong unit, not a busy year; or,
            # below, a figure a thousand times smaller than the median (3 for 3亿元 in 万元), which a z-score
            # never reaches (it is at most one median away, and a wide pool's scale is larger)
            far = (x > above or x < below) and abs(x - med) / scale > threshold
            if far or 0 < x * UNIT_GAP <= med:
                cv = sub.values[ind.id]
                yield Finding.make(
                    "value-outlier",
                    file=sub.file,
                    sheet=cv.sheet,
                    cell=cv.cell,
                    center=_who(sub),
                    indicator=ind.id,
                    value=cv.raw,
                    label=ind.label,
                    median=fmt_decimal(Decimal(repr(med))),
                    center_label=scheme.center_label,
                )


def unused_reasons(
    roster: Sequence[RosterEntry], submissions: Sequence[Submission], findings: Sequence[Finding]
) -> dict[str, str]:
    """Why a roster center that sent a form has none counted (by center key): the file and its first error
    (another year, a blank form, a name of another center...), as 未提交 and the 催报 say it. A center
    whose form was counted is never asked for: callers look up the roster's missing centers only."""
    errors: dict[str, str] = {}
    for f in findings:
        if f.severity is Severity.ERROR and f.file and f.file not in errors:
            errors[f.file] = f.message
    index = roster_index(roster)
    reasons: dict[str, str] = {}
    for sub in sorted(submissions, key=lambda s: s.file):
        reason = f"收到的文件 {sub.file} 未通过校验：{errors.get(sub.file, '详见回执')}"
        reasons.setdefault(submission_key(sub, index), reason)
    return reasons
