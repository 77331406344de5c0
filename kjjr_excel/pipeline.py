"""The whole flow: ingest -> validate -> assessments/reviews -> score -> rank -> RunResult.

Only ingestion reads files; everything after it is pure. The CLI and the demo call these two functions.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path

from .assess import Assessment, Review, read_assessments, read_reviews
from .cells import fmt_decimal, normalise_name
from .describe import parameters
from .findings import Finding, sorted_findings
from .guards import display_name
from .methods import method_of
from .model import CenterInput, RunResult, Submission
from .rank import rank_centers
from .roster import read_roster
from .scheme import RosterEntry, Scheme
from .score import score_all
from .validate import center_identity, center_key, missing_centers

Progress = Callable[[int], None] | None
OnRead = Callable[[int, list[Submission]], None] | None


def load_roster(scheme: Scheme, roster_path: Path | None) -> tuple[RosterEntry, ...]:
    """The roster given on the command line, else the scheme's built-in one (Guangdong), else none."""
    if roster_path is not None:
        return read_roster(roster_path)
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
    # (key, code, name, host unit) of each accepted submission, by its position in `accepted`
    identities: list[tuple[str, str, str, str]] = field(default_factory=list)


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
    from .ingest import ingest
    from .validate import validate

    roster = load_roster(scheme, roster_path)
    result = ingest(scheme, [Path(p) for p in inputs], progress=progress)
    run_year, year_note = choose_year(scheme, year, result.submissions)
    if on_read is not None:
        on_read(run_year, result.submissions)
    accepted, findings = validate(scheme, result.submissions, roster=roster, year=run_year)
    identities = [center_identity(s, roster) for s in accepted]
    missing = missing_centers(roster, (key for key, _, _, _ in identities))
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
    lookup = _resolver(checked.identities, checked.roster)

    assessments = expand_tables(assessments, findings)
    tables = [_read_table(p, scheme) for p in assessments]
    for _, _, _, table_findings in tables:
        findings.extend(table_findings)
    tables3 = [(f, s, rows) for f, s, rows, _ in tables]
    assessed_by: dict[str, Assessment] = {}
    reviews: dict[str, list[Review]] = {}
    method = method_of(scheme)
    if method.table == "review":
        reviews, review_findings = read_reviews(scheme, tables3, lookup)
        findings.extend(review_findings)
    else:
        assessed_by, assess_findings = read_assessments(scheme, tables3, lookup)
        findings.extend(assess_findings)
    reviews_given = method.table == "review" and bool(assessments)

    centers: list[CenterInput] = []
    for n, sub in enumerate(checked.accepted):
        key, code, name, host = checked.identities[n]
        center, center_findings = build_center(
            scheme, sub, key, code, name, host, assessed_by.get(key), reviews.get(key, []), reviews_given
        )
        centers.append(center)
        findings.extend(center_findings)
    if strict:  # left out of the ranking, so out of the benchmarks the others are measured against
        centers = [replace(c, eligible=False) if c.errors else c for c in centers]
    scores = score_all(scheme, centers, reviews_given=reviews_given)

    hist_records: dict = {}
    history_years: list[int] = []
    if history:
        from .history import load_history

        hist = load_history(
            [Path(p) for p in history], [(c.key, c.code, c.name) for c in centers], year=checked.year
        )
        hist_records, history_years = hist.records, hist.years
        findings.extend(hist.findings)

    ranked = rank_centers(
        scheme,
        scores,
        strict=strict,
        history=hist_records,
        year=checked.year,
        assessed=bool(assessments),
        reviews_given=reviews_given,
    )
    notes = [checked.year_note, *_notes(scheme, bool(assessments), strict)]
    return RunResult(
        scheme=scheme,
        year=checked.year,
        ranked=ranked,
        submissions=checked.submissions,
        findings=sorted_findings(findings),
        missing=checked.missing,
        files=checked.files,
        reviews_given=reviews_given,
        assessed=bool(assessments),
        parameters=parameters(scheme),
        notes=notes,
        inputs=[display_name(str(p)) for p in (*inputs, *assessments, *history)],
        history_years=history_years,
    )


def expand_tables(paths: Sequence[Path], problems: list[Finding] | None = None) -> list[Path]:
    """--assessment takes files or folders (every workbook inside, lock and hidden files left out). A folder
    that cannot be read, or nests too deep, is a finding in `problems`."""
    from .inbox import folder_files

    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(
                f
                for f in folder_files(p, problems if problems is not None else [])
                if f.suffix.lower() in (".xlsx", ".xlsm", ".xls")
            )
        else:
            out.append(p)
    return out


def _read_table(path: Path, scheme: Scheme):
    from .ingest import read_table

    required = list(method_of(scheme).table_required)
    rows, table_findings, sheet = read_table(path, path.name, required=required)
    return path.name, sheet, rows, table_findings


def _resolver(identities: Sequence[tuple[str, str, str, str]], roster: Sequence[RosterEntry]):
    """identities: (key, code, name, host unit) of each accepted submission (one per center)."""
    by_code = {normalise_name(code): key for key, code, _, _ in identities if code}
    by_name: dict[str, list[str]] = {}
    for key, _, name, _ in identities:
        by_name.setdefault(normalise_name(name), []).append(key)
    roster_by_code = {normalise_name(r.code): center_key(r.code, r.name) for r in roster}
    roster_by_name = {normalise_name(r.name): center_key(r.code, r.name) for r in roster}

    def resolve(code: str, name: str) -> str | None:
        """A table row's center: by code, then by name; roster centers without a submission resolve too
        (their assessment simply has nothing to apply to)."""
        if code and normalise_name(code) in by_code:
            return by_code[normalise_name(code)]
        matches = by_name.get(normalise_name(name), [])
        if len(matches) == 1:
            return matches[0]
        if code and normalise_name(code) in roster_by_code:
            return roster_by_code[normalise_name(code)]
        return roster_by_name.get(normalise_name(name))

    return resolve


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
    if assessment is not None:
        for iid, value in assessment.values.items():
            values[iid] = value
            sources[iid] = "考核"
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
    for review in reviews:
        if review.veto:
            vetoes.append(f"一票否决：{review.reason or '未注明原因'}（{review.file}）")
        if review.total is not None:
            totals.append(review.total)
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
        file=sub.file,
        notes=tuple(notes),
    )
    return center, findings


def _notes(scheme: Scheme, assessed: bool, strict: bool) -> list[str]:
    notes = method_of(scheme).notes(scheme, assessed)
    if strict:
        notes.append(f"使用了 --strict：数据有误的{scheme.center_label}不参加排名。")
    else:
        notes.append("数据有误的指标按0分计，并在“标记”中注明指标和单元格。")
    notes.append("得分保留两位小数（四舍五入），排名和等次按两位小数的得分确定，同分同名次。")
    return notes
