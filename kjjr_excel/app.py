"""The use cases: make templates, check an inbox, rank, receipts, reminders, publish, the demo.

The flow of a run: ingest -> validate -> assessments/reviews -> score -> rank -> RunResult. Only ingestion
reads files; everything after it is pure. The CLI calls one function of this module per command; nothing
else chains the stages.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from kjjr_excel.domain.assess import Assessment, Review, TableUse, read_assessments, read_reviews
from kjjr_excel.domain.center import build_center
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
from kjjr_excel.domain.model import CenterInput, InputFile, RunResult, Submission
from kjjr_excel.domain.rank import benchmark_note, rank_centers, short_budget_note, unsettled_note
from kjjr_excel.domain.scheme import RosterEntry, Scheme
from kjjr_excel.domain.score import score_all
from kjjr_excel.errors import KjjrError, WrongUsage
from kjjr_excel.read.guards import display_name
from kjjr_excel.read.roster import read_roster
from kjjr_excel.read.tables import read_tables, table_files, tables_in_inputs
from kjjr_excel.write.output import Written, make_folder, refuse_inputs

if TYPE_CHECKING:
    from kjjr_excel.read.history import History
    from kjjr_excel.read.ingest import IngestResult

Progress = Callable[[int], None] | None
# A progress display: `bars(label, total)` is a context that yields update(n), or None to show nothing.
Bars = Callable[[str, int], AbstractContextManager[Progress]]


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
    files: list[InputFile]
    missing: list[RosterEntry] = field(default_factory=list)
    ingest_result: IngestResult | None = None
    year_note: str = ""  # which year was used and why (console and 说明)
    identities: list[CenterIdentity] = field(default_factory=list)  # one per submission in `accepted`


def check_inbox(
    scheme: Scheme,
    inputs: Sequence[Path],
    *,
    roster_path: Path | None = None,
    year: int | None = None,
    progress: Progress = None,
    jobs: int | None = None,
) -> Checked:
    """Read and validate every submission in the inputs (what `kjjr validate` shows). jobs: processes that
    read the files (None: every core; 1: this process only)."""
    from kjjr_excel.domain.validate import validate
    from kjjr_excel.read.ingest import ingest

    roster = load_roster(scheme, roster_path)
    if scheme.roster_required and not roster:  # else every file would be ranked, its center on no list
        raise WrongUsage(
            f"考核方案要求名录（[scheme] roster_required = true），但方案中没有名录：请用 --roster 指定名录文件"
            f"（编号、名称、依托单位），只有名录中的{scheme.center_label}参加排名。"
        )
    result = ingest(scheme, [Path(p) for p in inputs], progress=progress, jobs=jobs)
    run_year, year_note = choose_year(scheme, year, result.submissions)
    with read_kept():
        now = datetime.now(UTC).replace(tzinfo=None)  # a copy dated later was dated by a wrong clock
        accepted, findings = validate(scheme, result.submissions, roster=roster, year=run_year, now=now)
        index = RosterIndex(roster)
        identities = [center_identity(s, index) for s in accepted]
        missing = missing_centers(roster, (who.key for who in identities))
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


@dataclass
class _Assessed:
    """What a run's assessor tables or review sheets gave, ready to be applied to the centers."""

    findings: list[Finding]
    assessed_by: dict[str, Assessment]
    reviews: dict[str, list[Review]]
    uses: list[TableUse]
    files: list[InputFile]
    provisional: bool  # a table could not be used: the results are provisional
    reviews_given: bool
    assessed: bool
    displays: set[str]  # tables found among the inputs (ingest's not-submission findings name them)


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
    jobs: int | None = None,
) -> RunResult:
    """Everything `kjjr rank` computes; write/ranking writes it. jobs: see check_inbox."""
    checked = check_inbox(scheme, inputs, roster_path=roster_path, year=year, progress=progress, jobs=jobs)
    with read_kept():
        return _rank_checked(scheme, inputs, checked, assessments, history, strict)


def _rank_checked(
    scheme: Scheme,
    inputs: Sequence[Path],
    checked: Checked,
    assessments: Sequence[Path],
    history: Sequence[Path],
    strict: bool,
) -> RunResult:
    tables = _read_assessor_tables(scheme, inputs, assessments, checked)
    findings = [f for f in checked.findings if not (f.code == "not-submission" and f.file in tables.displays)]
    findings += tables.findings
    centers = _build_centers(scheme, checked, tables, strict, findings)
    scores = score_all(scheme, centers, reviews_given=tables.reviews_given)
    past = _history(scheme, history, centers, checked.year)
    if past is not None:
        findings.extend(past.findings)
    ranked = rank_centers(
        scheme,
        scores,
        strict=strict,
        history=past.records if past is not None else {},
        year=checked.year,
        assessed=tables.assessed,
        reviews_given=tables.reviews_given,
        withhold=_withheld(scheme) if tables.provisional else "",
    )
    seen_files = {f.file for f in checked.files}  # a table among the inputs is listed once
    notes = [checked.year_note, *_notes(scheme, tables.assessed, strict, given=bool(tables.uses))]
    provisional_reason = method_of(scheme).provisional_reason(scheme, tables.assessed, tables.provisional)
    if tables.provisional:
        notes.insert(1, _provisional_note(scheme, provisional_reason))  # after the year (the CLI prints it)
    notes_open = (
        unsettled_note(scheme, ranked, tables.reviews_given),
        benchmark_note(scheme, centers, findings),
    )
    unsettled = " ".join(note for note in notes_open if note)
    short_budget = short_budget_note(scheme, ranked)
    notes += [note for note in (unsettled, short_budget) if note]
    return RunResult(
        scheme=scheme,
        year=checked.year,
        ranked=ranked,
        submissions=checked.submissions,
        findings=sorted_findings(findings),
        missing=checked.missing,
        files=checked.files + [f for f in tables.files if f.file not in seen_files],
        reviews_given=tables.reviews_given,
        assessed=tables.assessed,
        parameters=parameters(scheme.for_year(checked.year)),  # the period of the year ranked
        notes=notes,
        inputs=[display_name(str(p)) for p in (*inputs, *assessments, *history)],
        history_years=past.years if past is not None else [],
        tables=tables.uses,
        provisional=provisional_reason,
        table_unusable=tables.provisional,
        unsettled=unsettled,
        short_budget=short_budget,
    )


def _read_assessor_tables(
    scheme: Scheme, inputs: Sequence[Path], assessments: Sequence[Path], checked: Checked
) -> _Assessed:
    """The tables given with --assessment and those found among the inputs, read and matched to centers."""
    lookup = CenterResolver(checked.identities, checked.roster)
    given = table_files(scheme, assessments)
    from_inputs = tables_in_inputs(inputs, checked.findings)
    read = read_tables(scheme, given.files, strict_kind=True, year=checked.year)
    read.merge(read_tables(scheme, from_inputs.files, strict_kind=False, year=checked.year))
    assessed_by: dict[str, Assessment] = {}
    reviews: dict[str, list[Review]] = {}
    unmatched = False  # a row of values no center was found for, while a center went without one
    method = method_of(scheme)
    if method.table == "review":
        from_reviews = read_reviews(scheme, read.tables, lookup)
        reviews, table_findings, uses = from_reviews.by_center, from_reviews.findings, from_reviews.uses
        sheets = sum(1 for u in uses if u.used)
        short = any(len(reviews.get(who.key, [])) < sheets for who in checked.identities)
        unmatched = bool(from_reviews.unmatched) and short
    else:
        from_assessments = read_assessments(scheme, read.tables, lookup)
        assessed_by, table_findings, uses = (
            from_assessments.by_center,
            from_assessments.findings,
            from_assessments.uses,
        )
        missing = [who for who in checked.identities if who.key not in assessed_by]
        # a table that was used but has no row for a center: its assessor fields are neutral for want of a
        # row, not by the assessor's word (an accident, a contribution not entered): a provisional result
        if missing and any(u.used for u in uses):
            table_findings = table_findings + [
                Finding.make("assessment-missing", center=who.name or who.code, name=who.name or who.code)
                for who in missing
            ]
        unmatched = bool(missing) and (bool(from_assessments.unmatched) or any(u.used for u in uses))
    uses = sorted(read.uses + uses, key=lambda u: u.file)
    return _Assessed(
        findings=given.findings + read.findings + table_findings,
        assessed_by=assessed_by,
        reviews=reviews,
        uses=uses,
        files=read.files,
        provisional=given.unusable or read.unusable or unmatched or _provisional_codes(table_findings),
        reviews_given=method.table == "review" and any(u.used for u in uses),
        assessed=any(u.used for u in uses),
        displays=from_inputs.displays,
    )


def _build_centers(
    scheme: Scheme, checked: Checked, tables: _Assessed, strict: bool, findings: list[Finding]
) -> list[CenterInput]:
    """Every accepted submission's scoring input, its assessment and reviews applied; each center's findings
    are added to `findings`."""
    centers: list[CenterInput] = []
    for sub, who in zip(checked.accepted, checked.identities, strict=True):
        center, center_findings = build_center(
            scheme,
            sub,
            who,
            tables.assessed_by.get(who.key),
            tables.reviews.get(who.key, []),
            tables.reviews_given,
        )
        centers.append(center)
        findings.extend(center_findings)
    if strict:  # left out of the ranking, so out of the benchmarks the others are measured against
        centers = [replace(c, eligible=False) if c.errors else c for c in centers]
    return centers


def _history(
    scheme: Scheme, paths: Sequence[Path], centers: Sequence[CenterInput], year: int
) -> History | None:
    """Earlier years' results (--history) matched to this run's centers; None when none were given."""
    if not paths:
        return None
    from kjjr_excel.read.history import load_history

    return load_history(
        [Path(p) for p in paths],
        [CenterRef(c.key, c.code, c.name) for c in centers],
        year=year,
        center_label=scheme.center_label,
    )


def _provisional_codes(findings: Sequence[Finding]) -> bool:
    """A review sheet left out whole (no reviewer's name, copies whose order cannot be told) may hold a veto."""
    return any(f.code in ("review-no-reviewer", "review-reviewer-unclear") for f in findings)


def _withheld(scheme: Scheme) -> str:
    what = method_of(scheme).table_kind
    return f"{scheme.money_label}暂不确定（有{what}无法使用）"


def _provisional_note(scheme: Scheme, reason: str) -> str:
    what = method_of(scheme).table_kind
    money = scheme.money_label
    return (
        f"暂定结果（{reason}）：有{what}无法使用（见“校验问题”），其中的内容没有计入，"
        f"所有{scheme.center_label}的{money}暂不确定。核对该文件后重新运行排名。"
    )


def _notes(scheme: Scheme, assessed: bool, strict: bool, given: bool = False) -> list[str]:
    """given: tables were given (or found among the inputs), whether or not any could be used."""
    notes = method_of(scheme).notes(scheme, assessed, offered=given)
    if strict:
        notes.append(f"使用了 --strict：数据有误的{scheme.center_label}不参加排名。")
    else:
        notes.append(
            "数据有误的指标按0分计，并在“标记”中注明指标和单元格；这些单位照常排名和评定等次，"
            f"但{scheme.money_word}暂缓（计为0），更正并核实后再确定。"
        )
    notes.append("得分保留两位小数（四舍五入），排名和等次按两位小数的得分确定，同分同名次。")
    return notes


# ---------------------------------------------------------------------------------------------- use cases
# One function per command; each takes the options the user gave and returns what the CLI prints.


@dataclass(frozen=True)
class Inbox:
    """What every command that reads an inbox is given."""

    scheme: Scheme
    inputs: tuple[Path, ...]
    roster: Path | None = None
    year: int | None = None
    jobs: int | None = None  # processes reading the files: None every core, 1 this process only

    def paths(self, *more: Path) -> list[Path]:
        """Every path the run reads (the inputs, the roster and `more`), which no output may replace."""
        return [*self.inputs, *more, *([self.roster] if self.roster else [])]


@contextmanager
def _bar(bars: Bars | None, label: str, count: Callable[[], int]) -> Iterator[Progress]:
    """A progress display for one step; `count` is called only when there is a display to size."""
    if bars is None:
        yield None
        return
    with bars(label, count()) as update:
        yield update


def _count_inputs(inputs: Sequence[Path]) -> int:
    from kjjr_excel.read.inbox import collect_files

    files, _, _ = collect_files(list(inputs))
    return len(files)


def _checked(inbox: Inbox, bars: Bars | None) -> Checked:
    with _bar(bars, "读取文件", lambda: _count_inputs(inbox.inputs)) as update:
        return check_inbox(
            inbox.scheme,
            inbox.inputs,
            roster_path=inbox.roster,
            year=inbox.year,
            progress=update,
            jobs=inbox.jobs,
        )


def default_output(scheme: Scheme, suffix: str) -> Path:
    """Where a workbook goes when -o is not given."""
    return Path("outputs") / f"{scheme.name}_{suffix}.xlsx"


@dataclass(frozen=True)
class TemplateOptions:
    scheme: Scheme
    out_dir: Path
    roster: Path | None = None
    year: int | None = None
    per_center: bool = False  # one prefilled template per roster center
    assessment: bool = False  # the assessor table (Qingdao) or review sheet (Guangdong) too
    jobs: int | None = None


def make_templates(options: TemplateOptions, bars: Bars | None = None) -> list[Written]:
    """`kjjr template`: the blank template, per-center ones, the assessment workbook; what was written where."""
    from kjjr_excel.write.template import generate_written

    entries = load_roster(options.scheme, options.roster)
    if options.per_center and not entries:
        raise WrongUsage("--per-center 需要名录：请用 --roster 指定名录文件。")
    total = 1 + (len(entries) if options.per_center else 0) + (1 if options.assessment else 0)
    with _bar(bars, "生成模板", lambda: total) as update:
        return generate_written(
            options.scheme,
            options.out_dir,
            roster=entries,
            year=options.year,
            per_center=options.per_center,
            assessment=options.assessment,
            progress=update,
            jobs=options.jobs,
        )


@dataclass(frozen=True)
class Validated:
    checked: Checked
    report: Written


def validate_inbox(inbox: Inbox, output: Path | None = None, bars: Bars | None = None) -> Validated:
    """`kjjr validate`: read and check the inbox, and write the validation report."""
    from kjjr_excel.write.receipts import write_findings_report

    out = output or default_output(inbox.scheme, "校验报告")
    refuse_inputs(out, inbox.paths())
    checked = _checked(inbox, bars)
    written = write_findings_report(
        inbox.scheme, checked.ingest_result, checked.findings, out, roster=checked.roster
    )
    return Validated(checked, Written(written, out))


@dataclass(frozen=True)
class RankOptions:
    inbox: Inbox
    assessments: tuple[Path, ...] = ()
    history: tuple[Path, ...] = ()
    strict: bool = False
    output: Path | None = None


@dataclass(frozen=True)
class Ranked:
    result: RunResult
    workbook: Written


def rank_inbox(options: RankOptions, bars: Bars | None = None) -> Ranked:
    """`kjjr rank`: read, check, score and rank the inbox, and write the ranking workbook. KjjrError when
    nothing could be ranked (no empty workbook is written)."""
    from kjjr_excel.write.ranking import write_ranking

    inbox, run_time = options.inbox, datetime.now()
    read = inbox.paths(*options.assessments, *options.history)
    if options.output is not None:
        refuse_inputs(options.output, read)  # before anything is read or written
    with _bar(bars, "读取文件", lambda: _count_inputs(inbox.inputs)) as update:
        result = run_rank(
            inbox.scheme,
            inbox.inputs,
            roster_path=inbox.roster,
            year=inbox.year,
            assessments=options.assessments,
            history=options.history,
            strict=options.strict,
            progress=update,
            jobs=inbox.jobs,
        )
    if not result.ranked:
        raise KjjrError(_nothing_ranked(result))
    out = options.output or default_output(inbox.scheme, f"{result.year}年度排名结果")
    refuse_inputs(out, read)
    with read_kept():
        written = write_ranking(result, out, run_time=run_time, jobs=inbox.jobs)
    return Ranked(result, Written(written, out))


@contextmanager
def read_kept() -> Iterator[None]:
    """What was read and computed so far (10,000 submissions are millions of objects, kept to the end of the
    run) is left out of the cyclic garbage collector's passes while the next stage allocates (gc.freeze),
    and handed back to it after (gc.unfreeze): a caller's own garbage is collected as before. Measured in
    benchmarks/README.md."""
    import gc

    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@dataclass(frozen=True)
class RankingPdf:
    path: Path | None  # None: LibreOffice was not found
    note: str = ""  # then why, and what to do


def ranking_pdf(workbook: Path) -> RankingPdf:
    """`kjjr rank --pdf`: the 排名 sheet printed to a PDF beside the workbook, or why not. A step of its own,
    after the summary is shown: it is slow and may fail once the workbook is written."""
    from kjjr_excel.write.pdf import find_soffice
    from kjjr_excel.write.ranking import export_pdf

    soffice = find_soffice()
    if soffice.executable is None:
        return RankingPdf(None, f"未生成PDF：{soffice.missing}也可以在Excel中打印“排名”表。")
    return RankingPdf(export_pdf(workbook, workbook.parent, soffice.executable))


def _nothing_ranked(result: RunResult) -> str:
    """Why a ranking would be empty, in words a double-click user can act on (no blank sheet is written)."""
    lines = [
        f"没有可以排名的填报表，未生成排名结果表。共查看 {len(result.files)} 个文件，"
        "其中没有一份是可读取、可计分的填报表。",
        result.notes[0],
    ]
    shown = [f for f in result.findings if f.file][:8]
    lines += [f"  {f.file}：[{f.severity.value}] {f.message}" for f in shown]
    if len(result.findings) > len(shown):
        lines.append("  ……（运行 kjjr validate 查看全部问题）")
    lines.append(
        f"请把各{result.scheme.center_label}报送的填报表（.xlsx、.xlsm、.xls、.ods，或装有这些文件的 .zip）"
        "放入输入文件夹后重新运行。"
    )
    return "\n".join(lines)


@dataclass(frozen=True)
class Drafts:
    """Mail drafts written (.eml), and those without a recipient, which the user must address by hand."""

    paths: list[Path]
    unaddressed: list[Path]


def _drafts(paths: Sequence[Path]) -> Drafts:
    from kjjr_excel.write.drafts import draft_recipients

    drafts = [p for p in paths if p.suffix == ".eml"]
    return Drafts(drafts, [p for p in drafts if not draft_recipients(p)])


@dataclass(frozen=True)
class Receipts:
    receipts: int
    drafts: Drafts
    written: list[Written] = field(
        default_factory=list
    )  # every file, to say those written beside an open one


def write_receipts(inbox: Inbox, out_dir: Path, *, mail: bool = False, bars: Bars | None = None) -> Receipts:
    """`kjjr receipts`: one receipt per center (and with mail a draft beside each) in out_dir."""
    from kjjr_excel.write.receipts import checked_receipt_files

    refuse_inputs(out_dir, inbox.paths(), folder=True)
    checked = _checked(inbox, bars)
    written = checked_receipt_files(inbox.scheme, checked, out_dir, mail=mail)
    drafts = _drafts([w.path for w in written])
    return Receipts(len(written) - len(drafts.paths), drafts, written)


@dataclass(frozen=True)
class Reminders:
    listing: Written
    drafts: Drafts


def write_reminders(inbox: Inbox, out_dir: Path, bars: Bars | None = None) -> Reminders:
    """`kjjr remind`: a draft for every roster center without a valid submission, and the list of them."""
    from kjjr_excel.write.remind import listing_name
    from kjjr_excel.write.remind import write_reminders as write_all

    if inbox.roster is None and not inbox.scheme.roster:
        raise WrongUsage("催报需要名录：请用 --roster 指定名录文件（编号、名称、依托单位、邮箱）。")
    refuse_inputs(out_dir, inbox.paths(), folder=True)  # its drafts and templates would be read next time
    checked = _checked(inbox, bars)
    listing, drafts = write_all(inbox.scheme, checked, out_dir)
    wanted = Path(out_dir) / listing_name(inbox.scheme, checked.year)
    return Reminders(Written(listing, wanted), _drafts(drafts))


@dataclass(frozen=True)
class Published:
    written: list[Written]
    notes: list[str]  # what the user should know (no PDF without LibreOffice...)

    @property
    def paths(self) -> list[Path]:
        return [w.path for w in self.written]


def publish(
    scheme: Scheme, ranking: Path, out_dir: Path, *, days: int | None = None, when: datetime | None = None
) -> Published:
    """`kjjr publish`: the 公示 (.docx, .pdf) and the payment list from a ranking workbook."""
    from kjjr_excel.write.notice import publish_written

    written, notes = publish_written(scheme, ranking, out_dir, days=days, when=when)
    return Published(written, notes)


def scheme_summary(file: str) -> list[str]:
    """`kjjr scheme check`: the scheme file loaded strictly (SchemeError says where), described in lines."""
    from kjjr_excel.domain.describe import summary
    from kjjr_excel.domain.scheme import load_scheme

    return summary(load_scheme(file))


def new_scheme(source: str, output: Path) -> str:
    """`kjjr scheme new`: a commented copy of a scheme at output; returns the new scheme's id."""
    from kjjr_excel.domain.describe import commented_copy
    from kjjr_excel.domain.scheme import load_scheme, resolve_scheme_path
    from kjjr_excel.write.output import atomic_write

    origin = load_scheme(source)
    if os.path.lexists(output):  # lexists: a name too long is no traceback here, atomic_write says so
        raise WrongUsage(f"{output} 已存在，未覆盖。请换一个文件名。")
    stem = output.stem if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", output.stem) else f"{origin.id}-copy"
    text = commented_copy(resolve_scheme_path(source).read_text(encoding="utf-8-sig"), origin.id, stem)
    make_folder(output.parent)
    atomic_write(output, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
    return stem


def run_demo(out_dir: Path, samples: Path | None = None) -> Iterator[str]:
    """`kjjr demo`: templates, validation, receipts, ranking and 公示 for both schemes on the sample inputs
    (the repository's, else built afresh); yields Chinese progress lines as it goes."""
    out_dir = make_folder(Path(out_dir))  # before the samples are built in it: a message, not a traceback
    if samples is None and (Path("sample_inputs") / "qingdao" / "inbox").is_dir():
        samples = Path("sample_inputs")
    if samples is None:
        from kjjr_excel.demo.samples import build_all  # the sample generator is loaded by the demo only

        samples = make_folder(
            out_dir / "sample_inputs"
        )  # an existing read-only -o: said here, not a traceback
        yield f"未找到 sample_inputs，正在生成示例报送文件：{samples}"
        build_all(samples)
    else:
        yield f"使用示例报送文件：{samples}"
    now = datetime.now()
    yield from _demo_qingdao(samples / "qingdao", out_dir, now)
    yield from _demo_guangdong(samples / "guangdong", out_dir, now)


def _demo_qingdao(samples: Path, out_dir: Path, now: datetime) -> Iterator[str]:
    from kjjr_excel.domain.scheme import load_scheme
    from kjjr_excel.write.ranking import write_ranking
    from kjjr_excel.write.receipts import write_checked_receipts
    from kjjr_excel.write.template import generate

    qd = load_scheme("qingdao")
    roster_path = samples / "名录.csv"
    generate(
        qd,
        out_dir / "qingdao" / "模板",
        roster=load_roster(qd, roster_path),
        per_center=True,
        assessment=True,
    )
    yield f"青岛：模板已生成到 {out_dir / 'qingdao' / '模板'}"
    checked = check_inbox(qd, [samples / "inbox"], roster_path=roster_path)
    receipts = write_checked_receipts(qd, checked, out_dir / "qingdao" / "回执")
    yield f"青岛：回执 {len(receipts)} 份 → {out_dir / 'qingdao' / '回执'}"
    result = run_rank(
        qd, [samples / "inbox"], roster_path=roster_path, assessments=[samples / "考核评价表.xlsx"]
    )
    path = write_ranking(result, out_dir / f"青岛_{result.year}年度考核结果.xlsx", run_time=now)
    yield f"青岛：排名结果 → {path}"
    yield from _demo_published("青岛", qd, path, out_dir / "qingdao" / "公示", now)
    next_inbox = samples / f"inbox_{result.year + 1}"
    if next_inbox.is_dir():  # the following year, with this year's result as history: 摘牌 / 摘牌预警
        following = run_rank(qd, [next_inbox], roster_path=roster_path, history=[path], year=result.year + 1)
        later = write_ranking(following, out_dir / f"青岛_{following.year}年度考核结果.xlsx", run_time=now)
        yield f"青岛：{following.year}年度排名结果（以{result.year}年度结果为历年结果，判断摘牌）→ {later}"


def _demo_guangdong(samples: Path, out_dir: Path, now: datetime) -> Iterator[str]:
    from kjjr_excel.domain.scheme import load_scheme
    from kjjr_excel.write.ranking import write_ranking
    from kjjr_excel.write.receipts import write_checked_receipts
    from kjjr_excel.write.template import generate

    gd = load_scheme("guangdong")
    generate(gd, out_dir / "guangdong" / "模板", roster=gd.roster, per_center=True, assessment=True)
    yield f"广东：模板已生成到 {out_dir / 'guangdong' / '模板'}"
    checked = check_inbox(gd, [samples / "inbox"])
    receipts = write_checked_receipts(gd, checked, out_dir / "guangdong" / "回执")
    yield f"广东：回执 {len(receipts)} 份 → {out_dir / 'guangdong' / '回执'}"
    reviews = sorted((samples / "reviews").glob("*.xlsx"))
    result = run_rank(gd, [samples / "inbox"], assessments=reviews)
    path = write_ranking(result, out_dir / f"广东_{result.year}年度监测评估结果.xlsx", run_time=now)
    yield f"广东：排名结果 → {path}"
    yield from _demo_published("广东", gd, path, out_dir / "guangdong" / "公示", now)


def _demo_published(place: str, scheme: Scheme, ranking: Path, out_dir: Path, now: datetime) -> Iterator[str]:
    """kjjr publish on a demo ranking: the 公示 (.docx, .pdf) and the payment list; or why not (the Guangdong
    sample's grades hang on two centers' figures to correct: publish refuses, and the demo shows it)."""
    from kjjr_excel.write.notice import PublishError

    try:
        published = publish(scheme, ranking, out_dir, when=now)
    except PublishError as refused:
        yield f"{place}：未生成公示和发放清单：{refused}"
        return
    yield f"{place}：公示和发放清单 → {out_dir}（{'、'.join(p.suffix for p in published.paths)}）"
    for note in published.notes:
        yield f"{place}：{note}"
