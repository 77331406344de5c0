"""The whole flow: ingest -> validate -> assessments/reviews -> score -> rank -> RunResult.

Only ingestion reads files; everything after it is pure. The CLI and the demo call these two functions.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path

from kjjr_excel.domain.assess import (
    VETO_HEADER,
    Assessment,
    Review,
    read_assessments,
    read_reviews,
)
from kjjr_excel.domain.describe import parameters
from kjjr_excel.domain.findings import Finding, sorted_findings
from kjjr_excel.domain.identity import (
    CenterIdentity,
    CenterRef,
    CenterResolver,
    RosterIndex,
    center_identity,
    missing_centers,
)
from kjjr_excel.domain.methods import method_of
from kjjr_excel.domain.model import CenterInput, RunResult, Submission
from kjjr_excel.domain.parse import fmt_decimal
from kjjr_excel.domain.rank import QUALITATIVE, rank_centers
from kjjr_excel.domain.scheme import RosterEntry, Scheme
from kjjr_excel.domain.score import score_all
from kjjr_excel.read.guards import display_name
from kjjr_excel.read.roster import read_roster
from kjjr_excel.read.tables import read_tables, table_files, tables_in_inputs

Progress = Callable[[int], None] | None
OnRead = Callable[[int, list[Submission]], None] | None


def load_roster(scheme: Scheme, roster_path: Path | None) -> tuple[RosterEntry, ...]:
    """The roster given on the command line, else the scheme's built-in one (Guangdong), else none."""
    if roster_path is not None:
        return read_roster(roster_path, center_label=scheme.center_label)
    return scheme.roster


@dataclass
class Checked:
    """Ingestion and validation of one inbox."""

    year: int
    roster: tuple[RosterEntry, ...]
    submissions: list[Submission]
    accepted: list[Submission]
    findings: list[Finding]
    files: list
    missing: list[RosterEntry] = field(default_factory=list)
    ingest_result: object = None
    year_note: str = ""  # which year was used and why (console and 说明)
    # the center of each accepted submission, by its position in `accepted`
    identities: list[CenterIdentity] = field(default_factory=list)


def check_inbox(
    scheme: Scheme,
    inputs: Sequence[Path],
    *,
    roster_path: Path | None = None,
    year: int | None = None,
    progress: Progress = None,
    on_read: OnRead = None,
) -> Checked:
    """Read and validate every submission in the inputs (what `kjjr validate` shows). `on_read(year,
    submissions)` is called once the files are read, before validation (`kjjr rank` starts writing 原始数据
    then)."""
    from kjjr_excel.domain.validate import validate
    from kjjr_excel.read.ingest import ingest

    roster = load_roster(scheme, roster_path)
    result = ingest(scheme, [Path(p) for p in inputs], progress=progress)
    run_year, year_note = choose_year(scheme, year, result.submissions)
    if on_read is not None:
        on_read(run_year, result.submissions)
    accepted, findings = validate(scheme, result.submissions, roster=roster, year=run_year)
    index = RosterIndex(roster)
    identities = [center_identity(s, index) for s in accepted]
    missing = missing_centers(roster, (i.key for i in identities))
    return Checked(
        year=run_year,
        roster=roster,
        submissions=result.submissions,
        accepted=accepted,
        findings=list(result.findings) + list(findings),
        files=result.files,
        missing=missing,
        ingest_result=result,
        identities=identities,
        year_note=year_note,
    )


def choose_year(scheme: Scheme, year: int | None, submissions: Sequence[Submission]) -> tuple[int, str]:
    """The assessment year and the sentence that says why: --year when given, else the scheme's year. Never
    the files' majority (clerks reuse last year's templates); files of a newer year are pointed out, as
    the year the user may have meant."""
    if year is not None:
        return year, f"{scheme.year_label}：{year}年（按 --year 指定）。"
    note = f"{scheme.year_label}：{scheme.year}年（取自考核方案“{scheme.name}”；其他年度请用 --year 指定）。"
    newer = Counter(s.year for s in submissions if s.year and s.year > scheme.year)
    if newer:
        newest = max(newer)
        note += (
            f"报送文件中有 {newer[newest]} 份填报的是 {newest} 年度，按本年度考核未计分；"
            f"如本次考核的是 {newest} 年度，请加 --year {newest} 重新运行。"
        )
    return scheme.year, note


def run_rank(
    scheme: Scheme,
    inputs: Sequence[Path],
    *,
    roster_path: Path | None = None,
    year: int | None = None,
    assessments: Sequence[Path] = (),
    history: Sequence[Path] = (),
    strict: bool = False,
    progress: Progress = None,
    on_read: OnRead = None,
) -> RunResult:
    """Everything `kjjr rank` computes; the report module writes it. on_read: see check_inbox."""
    checked = check_inbox(
        scheme, inputs, roster_path=roster_path, year=year, progress=progress, on_read=on_read
    )
    findings = list(checked.findings)
    lookup = CenterResolver(checked.identities, checked.roster)

    given = table_files(scheme, assessments)
    from_inputs = tables_in_inputs(inputs, checked.findings)
    findings = [f for f in findings if not (f.code == "not-submission" and f.file in from_inputs.displays)]
    read = read_tables(scheme, given.files, strict_kind=True, year=checked.year)
    read.merge(read_tables(scheme, from_inputs.files, strict_kind=False, year=checked.year))
    findings += given.findings + read.findings
    assessed_by: dict[str, Assessment] = {}
    reviews: dict[str, list[Review]] = {}
    method = method_of(scheme)
    if method.table == "review":
        from_reviews = read_reviews(scheme, read.tables, lookup)
        reviews, table_findings, uses = from_reviews.by_center, from_reviews.findings, from_reviews.uses
    else:
        from_assessments = read_assessments(scheme, read.tables, lookup)
        assessed_by, table_findings, uses = (
            from_assessments.by_center,
            from_assessments.findings,
            from_assessments.uses,
        )
    findings.extend(table_findings)
    uses = sorted(read.uses + uses, key=lambda u: u.file)
    provisional = given.unusable or read.unusable or _provisional_codes(table_findings)
    reviews_given = method.table == "review" and any(u.used for u in uses)
    assessed = any(u.used for u in uses)

    centers: list[CenterInput] = []
    for n, sub in enumerate(checked.accepted):
        ident = checked.identities[n]
        key = ident.key
        center, center_findings = build_center(
            scheme,
            sub,
            key,
            ident.code,
            ident.name,
            ident.host_unit,
            assessed_by.get(key),
            reviews.get(key, []),
            reviews_given,
        )
        centers.append(center)
        findings.extend(center_findings)
    if strict:  # left out of the ranking, so out of the benchmarks the others are measured against
        centers = [replace(c, eligible=False) if c.errors else c for c in centers]
    scores = score_all(scheme, centers, reviews_given=reviews_given)

    hist_records: dict = {}
    history_years: list[int] = []
    if history:
        from kjjr_excel.read.history import load_history

        hist = load_history(
            [Path(p) for p in history],
            [CenterRef(c.key, c.code, c.name) for c in centers],
            year=checked.year,
            center_label=scheme.center_label,
        )
        hist_records, history_years = hist.records, hist.years
        findings.extend(hist.findings)

    ranked = rank_centers(
        scheme,
        scores,
        strict=strict,
        history=hist_records,
        year=checked.year,
        assessed=assessed,
        reviews_given=reviews_given,
        withhold=_withheld(scheme) if provisional else "",
    )
    seen_files = {f.file for f in checked.files}  # a table among the inputs is listed once
    notes = [checked.year_note, *_notes(scheme, assessed, strict, given=bool(uses))]
    provisional_reason = method.provisional_reason(scheme, assessed, provisional)
    if provisional:
        notes.insert(1, _provisional_note(scheme, provisional_reason))  # after the year (the CLI prints it)
    return RunResult(
        scheme=scheme,
        year=checked.year,
        ranked=ranked,
        submissions=checked.submissions,
        findings=sorted_findings(findings),
        missing=checked.missing,
        files=checked.files + [f for f in read.files if f.file not in seen_files],
        reviews_given=reviews_given,
        assessed=assessed,
        parameters=parameters(scheme),
        notes=notes,
        inputs=[display_name(str(p)) for p in (*inputs, *assessments, *history)],
        history_years=history_years,
        tables=uses,
        provisional=provisional_reason,
        table_unusable=provisional,
    )


def _provisional_codes(findings: Sequence[Finding]) -> bool:
    """A review sheet left out whole (no reviewer's name, copies whose order cannot be told) may hold a veto."""
    return any(f.code in ("review-no-reviewer", "review-reviewer-unclear") for f in findings)


def _withheld(scheme: Scheme) -> str:
    what = method_of(scheme).table_kind
    return f"{scheme.subsidy_label.split('（')[0]}暂不确定（有{what}无法使用）"


def _provisional_note(scheme: Scheme, reason: str) -> str:
    what = method_of(scheme).table_kind
    money = scheme.subsidy_label.split("（")[0]
    return (
        f"暂定结果（{reason}）：有{what}无法使用（见“校验问题”），其中的内容没有计入，"
        f"所有{scheme.center_label}的{money}暂不确定。核对该文件后重新运行排名。"
    )


def build_center(
    scheme: Scheme,
    sub: Submission,
    key: str,
    code: str,
    name: str,
    host: str,
    assessment: Assessment | None,
    reviews: list[Review],
    reviews_given: bool,
) -> tuple[CenterInput, list[Finding]]:
    """One center's scoring input: the submitted values, the assessor's fields and verified counts (which
    replace the self-reported figure and are flagged), the reviews and the vetoes."""
    findings: list[Finding] = []
    values = {iid: cv.value for iid, cv in sub.values.items() if not cv.error and cv.value is not None}
    errors = {iid: cv.cell for iid, cv in sub.values.items() if cv.error}
    sources = {iid: "自报" for iid in sub.values}
    notes: list[str] = []
    vetoes: list[str] = []
    eligible, not_eligible = True, ""
    if assessment is not None:
        for iid, value in assessment.values.items():
            values[iid] = value
            sources[iid] = "考核"
        for iid, cell in assessment.errors.items():  # never the neutral value in its place
            values.pop(iid, None)
            sources[iid] = "考核"
            errors[iid] = cell
            ind = scheme.indicator(iid)
            if ind.is_veto:  # nobody can tell whether it fails the center: not ranked, no money
                eligible = False
                not_eligible = f"{ind.display_label}填写有误，无法确定，未参加排名"
        for iid, cell in sorted(assessment.verified_errors.items()):
            values.pop(iid, None)
            sources[iid] = "核定"
            errors[iid] = f"核定数 {cell}"
        for iid, verified in sorted(assessment.verified.items()):
            ind = scheme.indicator(iid)
            reported = sub.values.get(iid)
            reported_text = reported.raw if reported is not None else ""
            if reported is None or reported.value != verified:
                notes.append(
                    f"核定数与自报数不一致（{ind.label}：自报{reported_text or '未填'}，核定{fmt_decimal(verified)}）"
                )
                findings.append(
                    Finding.make(
                        "verified-differs",
                        file=assessment.file,
                        sheet=assessment.sheet,
                        cell=assessment.cells.get(iid, ""),
                        center=name,
                        indicator=iid,
                        value=fmt_decimal(verified),
                        label=ind.label,
                        reported=reported_text or "未填",
                        verified=fmt_decimal(verified),
                    )
                )
            values[iid] = verified
            sources[iid] = "核定"
            errors.pop(iid, None)
    for ind in scheme.indicators:
        if ind.is_veto and values.get(ind.id) is True:
            reason = ind.rule.reason or f"{ind.display_label}：是"
            vetoes.append(reason)
            assessed = assessment is not None and ind.id in assessment.values
            findings.append(
                Finding.make(
                    "veto",
                    file=assessment.file if assessed else sub.file,
                    sheet=assessment.sheet if assessed else sub.values[ind.id].sheet,
                    cell=assessment.cells[ind.id] if assessed else sub.values[ind.id].cell,
                    center=name,
                    indicator=ind.id,
                    value="是",
                    reason=reason,
                )
            )
    totals: list[Fraction] = []
    # a printed sheet must not reveal which expert cast a veto: the reasons only (the file is on 校验问题)
    reasons = sorted({r.reason or "未注明原因" for r in reviews if r.veto})
    if reasons:
        vetoes.append(f"一票否决：{'；'.join(reasons)}")
    for review in reviews:
        if review.total is not None:
            totals.append(review.total)
        if review.error:
            errors[QUALITATIVE] = ""
        if review.veto_unknown and not reasons:
            eligible, not_eligible = False, f"{VETO_HEADER}填写有误，无法确定，未参加排名"
    if reviews_given and not totals:
        findings.append(Finding.make("review-missing", center=name, name=name))
    center = CenterInput(
        key=key,
        code=code,
        name=name,
        host_unit=host,
        values=values,
        sources=sources,
        errors=errors,
        review_totals=tuple(sorted(totals)),
        vetoes=tuple(vetoes),
        assessed=assessment is not None,
        eligible=eligible,
        not_eligible_reason=not_eligible,
        file=sub.file,
        notes=tuple(notes),
    )
    return center, findings


def _notes(scheme: Scheme, assessed: bool, strict: bool, given: bool = False) -> list[str]:
    """given: tables were given (or found among the inputs), whether or not any could be used."""
    notes = method_of(scheme).notes(scheme, assessed, offered=given)
    if strict:
        notes.append(f"使用了 --strict：数据有误的{scheme.center_label}不参加排名。")
    else:
        notes.append(
            "数据有误的指标按0分计，并在“标记”中注明指标和单元格；这些单位照常排名和评定等次，但补助暂缓（计为0），更正并核实后再确定。"
        )
    notes.append("得分保留两位小数（四舍五入），排名和等次按两位小数的得分确定，同分同名次。")
    return notes
