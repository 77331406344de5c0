"""Assessor workbooks (Qingdao 考核评价表) and reviewer sheets (Guangdong 定性评分表): rows -> per-center data.

The workbooks are tables read by their headers (read.tables); this module is pure: it turns those rows
into assessor values, verified counts, qualitative totals and vetoes, with findings for what is unusable.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from fractions import Fraction

from kjjr_excel.domain.findings import Finding, Severity
from kjjr_excel.domain.identity import ALIASES, Cell, RowIdentity, TableRow
from kjjr_excel.domain.parse import (
    a1,
    as_text,
    fmt_decimal,
    normalise_name,
    parse_value,
    parsed_finding,
    screen_text,
    unusable_formula,
)
from kjjr_excel.domain.scheme import Indicator, Part, Scheme

VETO_HEADER = "一票否决"
NOTE_HEADER = "备注"  # an assessor table's notes: not scored
TOTAL_HEADER = "合计"  # a review sheet's sum of the parts (a formula in the template)
VETO_REASON_HEADER = "否决原因"
# a row an assessor or reviewer adds under the centers (合计 or 平均 of a column) names no center
TOTAL_ROW_LABELS = ("合计", "总计", "小计", "平均", "平均分", "平均值")


@dataclass
class Table:
    """One assessor table or review sheet as read: its rows (by their headers), the formulas of its cells, and
    what identifies it (the reviewer's name on a review sheet, the workbook's own saved time)."""

    file: str
    sheet: str
    rows: Sequence[TableRow]
    # A1 -> (formula, has a cached value, its error value or "")
    formulas: Mapping[str, tuple[str, bool, str]] = field(default_factory=dict)
    reviewer: str = ""
    reviewer_cell: str = ""
    saved_at: datetime | None = None
    sha256: str = ""  # the same file given twice (in the inbox and with --assessment) counts once


@dataclass
class TableUse:
    """What a table given to a run was used as, for 说明: the file, as what, by whom, how many centers."""

    file: str
    kind: str  # 考核评价表 / 评审表
    used: bool
    reviewer: str = ""
    centers: int = 0
    note: str = ""  # why a file was not used


@dataclass
class Assessment:
    """What the assessor decided for one center."""

    values: dict[str, Decimal | bool] = field(default_factory=dict)  # assessor indicator id -> value
    verified: dict[str, Decimal] = field(default_factory=dict)  # self-reported id -> 核定数
    cells: dict[str, str] = field(default_factory=dict)  # indicator id -> the cell it was read from
    errors: dict[str, str] = field(default_factory=dict)  # indicator id -> cell of a value in error
    verified_errors: dict[str, str] = field(default_factory=dict)  # self-reported id -> cell of a bad 核定数
    file: str = ""
    sheet: str = ""


@dataclass
class Review:
    total: Fraction | None  # None: the row was not counted (incomplete, in error) and may only carry a veto
    file: str
    veto: bool = False
    reason: str = ""
    error: bool = False  # the row has an error finding: the center is flagged 数据有误
    veto_unknown: bool = False  # the 一票否决 cell could not be read: nobody can tell whether it vetoes


KIND_ASSESSMENT, KIND_REVIEW = "考核评价表", "评审表"


@dataclass
class AssessmentsRead:
    """read_assessments: what the assessor decided per center key, the findings, what each table was used as."""

    by_center: dict[str, Assessment]
    findings: list[Finding]
    uses: list[TableUse]
    unmatched: int = 0  # rows holding values whose center is not known: one may be a center left unassessed


@dataclass
class ReviewsRead:
    """read_reviews: the reviews per center key (one per reviewer), the findings, what each sheet was used as."""

    by_center: dict[str, list[Review]]
    findings: list[Finding]
    uses: list[TableUse]
    unmatched: int = 0  # rows holding scores or a veto whose center is not known


@dataclass(frozen=True)
class Reviewer:
    """Who a review sheet says reviewed it, and the cell that says so (or should)."""

    name: str
    cell: str


def reviewer_of(grid: Sequence[Sequence[object]], header_row: int) -> Reviewer:
    """The name (and cell) of the reviewer above a review sheet's header row: the cell right of a 评审人 label (as the
    template has it), or the text after 评审人： in the label's own cell; no name and the label's cell when empty."""
    wanted = {normalise_name(t) for t in ALIASES["reviewer"]}
    label_cell = ""
    for r, row in enumerate(grid[:header_row]):
        for c, value in enumerate(row):
            text = normalise_name(as_text(value))  # NFKC: a full-width colon is ':' here
            head, sep, rest = text.partition(":")
            if sep and head in wanted and rest:
                return Reviewer(
                    unicodedata.normalize("NFKC", as_text(value)).split(":", 1)[1].strip(), a1(r, c)
                )
            if text.rstrip(":") not in wanted:
                continue
            label_cell = label_cell or a1(r, c)
            for k in range(c + 1, len(row)):
                if as_text(row[k]):
                    return Reviewer(as_text(row[k]), a1(r, k))
            return Reviewer("", a1(r, c + 1))
    return Reviewer("", label_cell)


def _cell(row: TableRow, *names: str, startswith: bool = False) -> Cell | None:
    wanted = [normalise_name(n) for n in names]
    for header, found in row.cells.items():
        key = normalise_name(header)
        if any(key == w or (startswith and key.startswith(w)) for w in wanted):
            return found
    return None


def _assessor_headers(scheme: Scheme, ind: Indicator) -> list[str]:
    """Headers an assessor's column may carry: the template's (较大失误次数), or the seed's indicator name
    when no other assessor field shares it (重大贡献 — but not 工作落实, which names two fields)."""
    names = [ind.input_label] if ind.input_label else []
    if sum(1 for other in scheme.assessor_indicators if other.label == ind.label) == 1:
        names.append(ind.label)
    return names


def _verified_cell(row: TableRow, ind: Indicator) -> Cell | None:
    """A 核定数 column for a self-reported indicator: '核定数：征集科技型中小企业信息' as the template writes it,
    or any header naming 核定 together with the indicator's name."""
    names = {normalise_name(n) for n in (ind.label, ind.input_label) if n}
    for header, found in row.cells.items():
        key = normalise_name(header)
        if "核定" in key and any(n in key for n in names):
            return found
    return None


Resolver = Callable[[str, str], str | None]  # (code, name) -> center key, or None when unknown


def is_total_row(code: str, name: str) -> bool:
    """A 合计 / 平均 row under the centers: its code and name cells hold nothing but such a label."""
    texts = {normalise_name(code), normalise_name(name)} - {""}
    return bool(texts) and texts <= {normalise_name(t) for t in TOTAL_ROW_LABELS}


def _unknown(code: str, file: str, sheet: str, cell: str, who: str) -> Finding:
    return Finding.make(code, file=file, sheet=sheet, cell=cell, center=who, value=who, name=who)


def _not_found(resolve: Resolver, unknown: str, file: str, sheet: str, ident: RowIdentity) -> Finding:
    """Why a table's row is for no center: its code and its name are two centers (which one cannot be told),
    or it names none of them (`unknown`)."""
    conflict = getattr(resolve, "conflict", None)  # a CenterResolver tells; a plain lookup cannot
    clash = conflict(ident.code, ident.name) if conflict is not None else None
    who = ident.name or ident.code
    if clash is None:
        return _unknown(unknown, file, sheet, ident.cell, who)
    return Finding.make(
        "table-code-name-conflict",
        file=file,
        sheet=sheet,
        cell=ident.cell,
        value=f"{ident.code} {ident.name}",
        typed_code=ident.code,
        name=ident.name,
        code_center=clash[0],
        name_center=clash[1],
    )


def read_cell(
    table: Table, found: Cell, ind: CellField, *, label: str, center: str
) -> tuple[Decimal | bool | None, bool, list[Finding]]:
    """One value cell of a table read as a submission's cell is: (value, in error, findings). A formula is
    judged by its cached value (a 提示 says so), and is an error when it has none."""
    raw, cell = found.value, found.ref
    where = {"file": table.file, "sheet": table.sheet, "cell": cell, "center": center}
    formula = table.formulas.get(cell)
    typed = f"={formula[0]}" if formula else screen_text(raw, ind.type)
    unusable = (
        None if formula is None else unusable_formula(formula, typed, indicator=ind.id, label=label, **where)
    )
    if unusable is not None:
        return None, True, [unusable]
    parsed = parse_value(
        raw, type=ind.type, places=ind.places, maximum=ind.max, minimum=ind.min, unit=ind.unit
    )
    findings = []
    if parsed.code:
        findings.append(parsed_finding(parsed, ind, raw, typed, label=label, **where))
    error = any(f.severity is Severity.ERROR for f in findings)
    if formula is not None and not error:
        shown = "" if parsed.value is None else as_text(parsed.value)
        findings.append(
            Finding.make_typed(
                "formula-cached", typed, indicator=ind.id, label=label, raw=typed, value=shown, **where
            )
        )
    return (None if error else parsed.value), error, findings


def _text_cell(table: Table, found: Cell | None, label: str, center: str) -> tuple[str, list]:
    """A text cell (否决原因): its text, or its formula's cached text with a 提示; '' and an error without one."""
    if found is None:
        return "", []
    raw, cell = found.value, found.ref
    formula = table.formulas.get(cell)
    if formula is None:
        return as_text(raw), []
    typed = f"={formula[0]}"
    where = {"file": table.file, "sheet": table.sheet, "cell": cell, "center": center, "label": label}
    unusable = unusable_formula(formula, typed, **where)
    if unusable is not None:
        return "", [unusable]
    return as_text(raw), [Finding.make_typed("formula-cached", typed, raw=typed, value=as_text(raw), **where)]


def read_assessments(scheme: Scheme, tables: Sequence[Table], resolve: Resolver) -> AssessmentsRead:
    """A later row of one file wins for the same center (and says so); rows of two files that disagree are
    neither used (assessment-conflict: no order of files tells which is final). A value with an error finding
    is kept out (Assessment.errors / verified_errors name its cell), never replaced by the neutral value
    unsaid."""
    out: dict[str, Assessment] = {}
    seen: dict[str, list[tuple[str, str, str, str]]] = {}  # key -> (name shown, file, sheet, cell) per row
    given: dict[str, list[Assessment]] = {}  # key -> its rows' assessments, in order
    findings: list[Finding] = []
    uses: list[TableUse] = []
    first_of: dict[str, str] = {}  # sha256 -> file: the same file given twice is read once
    unmatched = 0
    for table in tables:
        file, sheet = table.file, table.sheet
        if table.sha256 and table.sha256 in first_of:
            uses.append(
                TableUse(file, KIND_ASSESSMENT, False, note=f"与{first_of[table.sha256]}内容相同，只计一次")
            )
            continue
        first_of.setdefault(table.sha256, file)
        centers = 0
        for row in table.rows:
            ident = row.identity()
            code, name, name_cell = ident.code, ident.name, ident.cell
            if (not code and not name) or is_total_row(code, name):
                continue
            key = resolve(code, name)
            if key is None:
                findings.append(_not_found(resolve, "assessment-unknown-center", file, sheet, ident))
                unmatched += any(True for _ in _filled_cells(scheme, table, row))
                continue
            centers += 1
            assessment = _assessment(scheme, table, row, name or code, findings)
            seen.setdefault(key, []).append((name or code, file, sheet, name_cell))
            given.setdefault(key, []).append(assessment)
            out[key] = assessment
        uses.append(TableUse(file, KIND_ASSESSMENT, True, centers=centers))
    for key, places in seen.items():
        if _tables_disagree(given[key]):
            # two rows say different things of one center: which is final, no order of rows or files tells
            del out[key]
            who = places[-1][0]
            findings.append(
                Finding.make("assessment-conflict", center=who, name=who, files=_rows_named(places))
            )
        elif len(places) > 1:
            who, file, sheet, cell = places[-1]
            findings.append(
                Finding.make(
                    "assessment-duplicate",
                    file=file,
                    sheet=sheet,
                    cell=cell,
                    center=who,
                    name=who,
                    count=len(places),
                    rows=_rows_named(places, cells=True),
                )
            )
    return AssessmentsRead(out, findings, uses, unmatched)


def _tables_disagree(rows: Sequence[Assessment]) -> bool:
    """Whether the rows of one center (in one file or several) give it different values or 核定数: a second
    row of one table (市南 with 重大责任事故 是, and again with it blank) is no more the correction than the
    first."""
    return len({(tuple(sorted(a.values.items())), tuple(sorted(a.verified.items()))) for a in rows}) > 1


def _rows_named(places: Sequence[tuple[str, str, str, str]], *, cells: bool = False) -> str:
    """The rows of one center as a finding names them: a.xlsx、b.xlsx (a row in each), a.xlsx（B3、B5） (two in
    one file); with `cells`, every file with its cells (a.xlsx B3、b.xlsx B4)."""
    by_file: dict[str, list[str]] = {}
    for _, file, _, cell in places:
        by_file.setdefault(file, []).append(cell)
    if cells:
        return "、".join(f"{file} {'、'.join(c)}" for file, c in by_file.items())
    several = len(places) > len(by_file)
    return "、".join(f"{file}（{'、'.join(c)}）" if several else file for file, c in by_file.items())


def _assessment(scheme: Scheme, table: Table, row: TableRow, who: str, findings: list[Finding]) -> Assessment:
    """The assessor's fields and the 核定数 of one row; the findings of their cells added."""
    assessment = Assessment(file=table.file, sheet=table.sheet)
    for ind, found, verified in _filled_cells(scheme, table, row):
        findings.extend(_parse_into(table, assessment, ind, found, who, verified=verified))
    note = _cell(row, NOTE_HEADER)
    if (
        note is not None and as_text(note.value).strip()
    ):  # 备注 scores nothing: it may say what belongs in a column
        where = {"file": table.file, "sheet": table.sheet, "cell": note.ref, "center": who}
        items = "、".join(ind.display_label for ind in scheme.assessor_indicators[:2])
        text = as_text(note.value).strip()[:60]
        findings.append(Finding.make("assessment-note", name=who, note=text, items=items, **where))
    return assessment


def _filled_cells(scheme: Scheme, table: Table, row: TableRow) -> Iterator[tuple[Indicator, Cell, bool]]:
    """The assessor fields and 核定数 cells of a row that hold something: (indicator, cell, is a 核定数)."""
    wanted = [
        (ind, _cell(row, *_assessor_headers(scheme, ind), startswith=True), False)
        for ind in scheme.assessor_indicators
    ]
    wanted += [(ind, _verified_cell(row, ind), True) for ind in scheme.self_indicators if ind.verifiable]
    for ind, found, verified in wanted:
        if found is not None and (as_text(found.value) != "" or found.ref in table.formulas):
            yield ind, found, verified


def _parse_into(
    table: Table, assessment: Assessment, ind: Indicator, found: Cell, name: str, *, verified: bool
) -> list[Finding]:
    """Read one cell of an assessment row into the assessment (its values or 核定数), remembering where."""
    cell = found.ref
    assessment.cells[ind.id] = cell
    # the column's header: an assessor field's own (较大失误次数), a 核定数 column names the indicator
    label = ind.label if verified else ind.display_label
    value, error, findings = read_cell(table, found, ind, label=label, center=name)
    if error:
        (assessment.verified_errors if verified else assessment.errors)[ind.id] = cell
    elif value is not None:
        (assessment.verified if verified else assessment.values)[ind.id] = value
    return findings


@dataclass(frozen=True)
class _Field:
    """A review sheet's cell as read_cell reads it: a part's score (0 to the part's maximum, two decimals), or
    the 一票否决 yes/no."""

    id: str
    label: str
    type: str
    places: int
    min: Decimal | None
    max: Decimal | None
    unit: str


def _part_field(part: Part) -> _Field:
    return _Field(part.id, part.label, "decimal", 2, Decimal(0), part.max, "分")


VETO_FIELD = "veto"  # the id findings on a review sheet's 一票否决 cell carry
_VETO = _Field(VETO_FIELD, VETO_HEADER, "bool", 0, Decimal(0), None, "")
CellField = Indicator | _Field  # what read_cell parses a cell as


def _newest_copies(tables: Sequence[Table]) -> tuple[list[Table], list[Finding], list[TableUse]]:
    """One sheet per reviewer: the newest copy by the workbook's own saved time; a sheet without a reviewer's
    name, or copies whose order cannot be told, are not used (an error finding each)."""
    findings: list[Finding] = []
    uses: list[TableUse] = []
    by_reviewer: dict[str, list[Table]] = {}
    for table in tables:
        if not table.reviewer:
            findings.append(
                Finding.make(
                    "review-no-reviewer", file=table.file, sheet=table.sheet, cell=table.reviewer_cell
                )
            )
            uses.append(TableUse(table.file, KIND_REVIEW, False, note="没有填写评审人姓名"))
            continue
        by_reviewer.setdefault(normalise_name(table.reviewer), []).append(table)
    kept: list[Table] = []
    for group in by_reviewer.values():
        copies: list[Table] = []
        for table in sorted(group, key=lambda t: t.file):
            same = next(
                (t for t in copies if table.sha256 and t.sha256 == table.sha256 and t.sheet == table.sheet),
                None,
            )
            if same is None:
                copies.append(table)
            else:
                note = f"与{same.file}内容相同，只计一次"
                uses.append(TableUse(table.file, KIND_REVIEW, False, table.reviewer, note=note))
        if len(copies) == 1:
            kept.append(copies[0])
            continue
        order = sorted(copies, key=lambda t: (t.saved_at is not None, t.saved_at or datetime.min, t.file))
        newest, runner_up = order[-1], order[-2]
        files = "、".join(t.file for t in sorted(copies, key=lambda t: t.file))
        where = {"file": newest.file, "sheet": newest.sheet, "cell": newest.reviewer_cell}
        if newest.saved_at is None or newest.saved_at == runner_up.saved_at:
            findings.append(
                Finding.make("review-reviewer-unclear", name=newest.reviewer, files=files, **where)
            )
            note = "同一评审人的多份评审表，无法判断哪份最新"
            uses += [TableUse(t.file, KIND_REVIEW, False, t.reviewer, note=note) for t in copies]
            continue
        findings.append(
            Finding.make(
                "review-reviewer-copies", name=newest.reviewer, files=files, kept=newest.file, **where
            )
        )
        note = f"同一评审人有保存时间更新的一份（{newest.file}）"
        uses += [TableUse(t.file, KIND_REVIEW, False, t.reviewer, note=note) for t in order[:-1]]
        kept.append(newest)
    return sorted(kept, key=lambda t: t.file), findings, uses


def read_reviews(scheme: Scheme, tables: Sequence[Table], resolve: Resolver) -> ReviewsRead:
    """Reviewer sheets, one per reviewer (see _newest_copies): a complete row gives a total; a row partly filled,
    in error, or for a center listed twice on the sheet is a finding and is not counted (Review.error);
    一票否决 = 是 vetoes the center, naming the file."""
    out: dict[str, list[Review]] = {}
    kept, findings, uses = _newest_copies(tables)
    unmatched = 0
    blank: list[tuple[str, Finding]] = []  # a center's row a reviewer left empty
    listed: dict[str, set[str]] = {}  # file -> the centers its sheet has a row for (filled or not)
    names: dict[str, str] = {}  # center key -> its name as a sheet gives it
    for table in kept:
        rows: list[tuple[str, Review]] = []
        first_cell: dict[str, str] = {}
        for row in table.rows:
            found = _review_row(scheme, table, row, resolve, findings, blank)
            if found is None:
                continue
            key, review, name, name_cell = found
            if review is None:  # a center not known: which center's score was it?
                unmatched += 1
                continue
            if key in first_cell:  # counted once at most: which of the rows did the reviewer mean?
                findings.append(
                    Finding.make(
                        "review-center-twice",
                        file=table.file,
                        sheet=table.sheet,
                        cell=name_cell,
                        center=name,
                        name=name,
                        first=first_cell[key],
                    )
                )
                for k, earlier in rows:
                    if k == key:
                        earlier.total, earlier.error = None, True
                review.total, review.error = None, True
            first_cell.setdefault(key, name_cell)
            names.setdefault(key, name)
            rows.append((key, review))
        for key, review in rows:
            out.setdefault(key, []).append(review)
        listed[table.file] = {key for key, _ in rows}
        scored = len({key for key, review in rows if review.total is not None})
        uses.append(TableUse(table.file, KIND_REVIEW, True, table.reviewer, centers=scored))
    # said only where other reviewers scored the center: one nobody scored is review-missing's (an error)
    findings += [f for key, f in blank if any(r.total is not None or r.error for r in out.get(key, ()))]
    for key, f in blank:
        listed.setdefault(f.file, set()).add(key)
    findings += _rows_left_out(kept, listed, out, names)
    return ReviewsRead(out, findings, sorted(uses, key=lambda u: u.file), unmatched)


def _rows_left_out(
    kept: Sequence[Table], listed: dict[str, set[str]], out: dict[str, list[Review]], names: dict[str, str]
) -> list[Finding]:
    """A 提示 for each center other reviewers scored that a reviewer's sheet has no row for (the row deleted):
    its score is then the others' alone, as for a row left empty (review-row-empty)."""
    scored = {key for key, reviews in out.items() if any(r.total is not None for r in reviews)}
    return [
        Finding.make(
            "review-row-missing",
            file=table.file,
            sheet=table.sheet,
            center=names.get(key, ""),
            name=names.get(key, key),
            reviewer=table.reviewer or table.file,
        )
        for table in kept
        for key in sorted(scored)
        if key not in listed.get(table.file, set())
    ]


@dataclass
class _ReviewCells:
    """What one review-sheet row holds, before it is known whose it is: the parts' scores read, the parts left
    empty, the first part in error (with its findings), the veto, and the findings the row carries."""

    values: list[Decimal] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    bad: tuple[Part, Cell, list[Finding]] | None = None
    veto: bool = False
    veto_unknown: bool = False
    veto_cell: Cell | None = None
    reason: str = ""
    findings: list[Finding] = field(default_factory=list)
    total_typed: Decimal | None = None  # a number typed over the 合计 formula (the parts may say otherwise)
    total_cell: str = ""

    @property
    def empty(self) -> bool:
        return (
            not self.values
            and self.bad is None
            and not self.veto
            and not self.veto_unknown
            and not self.total_typed
        )


def _review_cells(scheme: Scheme, table: Table, row: TableRow, who: str) -> _ReviewCells:
    out = _ReviewCells()
    for part in scheme.parts:
        found = _cell(row, part.label, startswith=True)
        if found is None or (as_text(found.value) == "" and found.ref not in table.formulas):
            out.missing.append(part.label)
            continue
        value, error, cell_findings = read_cell(table, found, _part_field(part), label=part.label, center=who)
        if error:
            out.bad = out.bad or (part, found, cell_findings)
        else:
            out.findings.extend(cell_findings)  # a formula's 提示, a third decimal
            out.values.append(value)
    total = _cell(row, TOTAL_HEADER)
    if total is not None and total.ref not in table.formulas:  # the template's formula replaced by a figure
        typed = parse_value(total.value, type="decimal", places=6)
        out.total_typed, out.total_cell = typed.value, total.ref
    veto_cell = out.veto_cell = _cell(row, VETO_HEADER)
    if veto_cell is not None and (as_text(veto_cell.value) != "" or veto_cell.ref in table.formulas):
        value, out.veto_unknown, cell_findings = read_cell(
            table, veto_cell, _VETO, label=VETO_HEADER, center=who
        )
        out.findings.extend(cell_findings)
        out.veto = value is True
    reason_cell = _cell(row, VETO_REASON_HEADER)
    out.reason, reason_findings = _text_cell(table, reason_cell, VETO_REASON_HEADER, who)
    if out.veto:
        out.findings.extend(reason_findings)
    elif out.reason.strip() and not out.veto_unknown:
        # a reason for a veto the 一票否决 cell does not cast (left blank, 否, ×): which one the reviewer meant
        # nobody can tell, and a veto is never dropped silently
        out.veto_unknown = True
        shown = as_text(veto_cell.value) if veto_cell is not None else ""
        out.findings.append(
            Finding.make(
                "review-veto-unclear",
                file=table.file,
                sheet=table.sheet,
                cell=reason_cell.ref if reason_cell is not None else "",
                center=who,
                name=who,
                reason=out.reason.strip(),
                veto=f"填写为“{shown}”" if shown else "没有填写",
            )
        )
    return out


def _review_row(
    scheme: Scheme,
    table: Table,
    row: TableRow,
    resolve: Resolver,
    findings: list[Finding],
    blank: list[tuple[str, Finding]],
) -> tuple[str, Review | None, str, str] | None:
    """One row of a review sheet -> (center key, review, name shown, cell of the name); None for a blank row, no
    review for a center not known (a finding)."""
    ident = row.identity()
    if (not ident.code and not ident.name) or is_total_row(ident.code, ident.name):
        return None
    who = ident.name or ident.code
    cells = _review_cells(scheme, table, row, who)
    if cells.empty:
        blank_key = resolve(ident.code, ident.name)
        if blank_key is not None:  # a center of the run this reviewer did not score
            blank.append(
                (
                    blank_key,
                    Finding.make(
                        "review-row-empty",
                        file=table.file,
                        sheet=table.sheet,
                        cell=ident.cell,
                        center=who,
                        name=who,
                        reviewer=table.reviewer or table.file,
                    ),
                )
            )
        return None
    key = resolve(ident.code, ident.name)
    if key is None:
        findings.append(_not_found(resolve, "review-unknown-center", table.file, table.sheet, ident))
        return "", None, who, ident.cell
    findings.extend(cells.findings)
    review = Review(
        total=None,
        file=table.file,
        veto=cells.veto,
        reason=cells.reason,
        error=cells.veto_unknown,
        veto_unknown=cells.veto_unknown,
    )
    where = {
        "file": table.file,
        "sheet": table.sheet,
        "center": ident.name,
        "name": who,
        "center_label": scheme.center_label,
    }
    findings.extend(_review_findings(scheme, cells, review, ident.cell, where))
    return key, review, who, ident.cell


def _review_findings(
    scheme: Scheme, cells: _ReviewCells, review: Review, name_cell: str, where: dict[str, str]
) -> list[Finding]:
    """The row's veto, its part in error or its parts left empty (each marks the review in error), else its
    total."""
    findings = []
    if cells.veto:
        cell = cells.veto_cell.ref if cells.veto_cell else ""
        reason = cells.reason or "未注明原因"
        findings.append(
            Finding.make("review-veto", cell=cell, reason=reason, failing=scheme.failing_grade, **where)
        )
    if (
        cells.bad is not None
    ):  # a score over the part's maximum, or no score at all ('优', a date, -5, a formula)
        part, found, cell_findings = cells.bad
        review.error = True
        if cell_findings and cell_findings[0].code == "formula-no-cache":
            findings.extend(cell_findings)
        else:
            over = any(f.code == "value-over-max" for f in cell_findings)
            findings.append(
                Finding.make(
                    "review-over-max" if over else "review-not-number",
                    cell=found.ref,
                    value=as_text(found.value),
                    label=part.label,
                    raw=as_text(found.value),
                    max=fmt_decimal(part.max),
                    **where,
                )
            )
    elif cells.missing and cells.values:
        review.error = True
        findings.append(
            Finding.make("review-partial", cell=name_cell, missing="、".join(cells.missing), **where)
        )
    elif not cells.missing:
        review.total = sum((Fraction(v) for v in cells.values), Fraction(0))
    findings.extend(_typed_total(cells, review, where))
    return findings


def _typed_total(cells: _ReviewCells, review: Review, where: dict[str, str]) -> list[Finding]:
    """A figure typed in 合计 (its formula overwritten): alone, the row is in error (the parts are what is
    scored); beside parts that add up otherwise, the parts count and a warning says so."""
    typed = cells.total_typed
    if not typed:  # nothing, or the 0 an .xls keeps of the formula over blank parts (it keeps no formulas)
        return []
    shown = fmt_decimal(typed)
    if not cells.values and cells.bad is None:
        review.error = True
        return [Finding.make("review-total-only", cell=cells.total_cell, value=shown, total=shown, **where)]
    if review.total is not None and abs(Fraction(typed) - review.total) >= Fraction(1, 200):
        parts = fmt_decimal(Decimal(review.total.numerator) / Decimal(review.total.denominator))
        return [
            Finding.make(
                "review-total-differs", cell=cells.total_cell, value=shown, total=shown, parts=parts, **where
            )
        ]
    return []
