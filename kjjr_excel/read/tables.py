"""The one header-table reader: assessor tables, review sheets, rosters and earlier years' results.

A table is a sheet region under a header row. The header row is found by the texts its cells hold (aliases
per role, compared normalised), and every row under it becomes a `TableRow` that carries its file, sheet and
A1 cells for findings. Files are opened behind the same guards as submissions (read.guards, the book reader);
CSV is read strictly (guards.csv_rows).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

from kjjr_excel.domain.assess import KIND_ASSESSMENT, KIND_REVIEW, Reviewer, Table, TableUse, reviewer_of
from kjjr_excel.domain.findings import Finding, Severity
from kjjr_excel.domain.identity import TableRow, aliases
from kjjr_excel.domain.layout import other_scheme_names, same_form
from kjjr_excel.domain.methods import method_of
from kjjr_excel.domain.model import InputFile
from kjjr_excel.domain.parse import as_text, decode_text, normalise_name
from kjjr_excel.domain.scheme import Scheme
from kjjr_excel.read import guards

if TYPE_CHECKING:  # the book reader is imported where it is used: reading a roster needs none of it
    from kjjr_excel.read.book import TableBook
    from kjjr_excel.read.inbox import ArchiveMember, MemberFile

CSV_SUFFIXES = (".csv", ".txt")
WORKBOOK_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")
MAX_ROWS = 100_000

Grid = list[list[object]]


@dataclass(frozen=True)
class Sheet:
    """One sheet as read: its name and its rows anchored at A1."""

    name: str
    rows: Grid


class Unreadable(Exception):
    """A table file that cannot be read at all; `detail` is the Chinese reason as its finding words it."""

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


class Undecodable(Unreadable):
    """A CSV in an encoding that is neither UTF-8 nor GB18030 (each reader says what to save it as)."""

    def __init__(self) -> None:
        super().__init__("")


# ---------------------------------------------------------------------------------------------- opening


def open_sheets(path: Path, *, limit: int, sniff: bool, max_rows: int = MAX_ROWS) -> list[Sheet]:
    """Every sheet of a table file (CSV: one sheet named after the file); raise Unreadable (see open_table_file)."""
    return open_table_file(path, limit=limit, sniff=sniff, max_rows=max_rows)[0]


def open_table_file(
    path: Path, *, limit: int, sniff: bool, max_rows: int = MAX_ROWS
) -> tuple[list[Sheet], dict[str, str] | None]:
    """Every sheet of a table file and its `_meta` (None for a CSV or a workbook without one); raise Unreadable.

    sniff: every file is read through guards.read_input(limit) first, an empty one is refused, and a .csv that
    is a workbook inside is read as one (history); else only a CSV is, and its suffix decides (roster)."""
    is_csv = path.suffix.lower() in CSV_SUFFIXES
    data = b""
    if sniff or is_csv:
        data = _read_bytes(path, limit)
    if sniff:
        if not data:
            raise Unreadable("文件是空的（0字节）")
        is_csv = is_csv and not data.startswith(WORKBOOK_MAGIC)
    if is_csv:
        return [Sheet(path.stem, _csv_rows(path, data)[:max_rows])], None
    from kjjr_excel.read.book import read_book_with_meta

    meta, sheets, problems = read_book_with_meta(path, path.name, max_rows=max_rows)
    refused = [f for f in problems if f.severity is Severity.ERROR]
    if refused:
        raise Unreadable(refused[0].message)
    return [Sheet(name, rows) for name, rows in sheets], meta


def _read_bytes(path: Path, limit: int) -> bytes:
    try:
        return guards.read_input(path, limit)
    except guards.Guarded as refused:
        raise Unreadable(_guarded_message(refused, path)) from None


def _csv_rows(path: Path, data: bytes) -> Grid:
    text = decode_text(data)
    if text is None:
        raise Undecodable()
    try:
        return list(guards.csv_rows(text))
    except guards.Guarded as refused:
        raise Unreadable(_guarded_message(refused, path)) from None


def _guarded_message(refused: guards.Guarded, path: Path) -> str:
    return Finding.make(refused.code, file=str(path), **refused.fields).message


# ---------------------------------------------------------------------------------------------- headers


@dataclass(frozen=True)
class TableSpec:
    """How to recognise a table's header row and what its columns are.

    roles: role -> accepted headers (the first present one wins, then the leftmost column with it); needs: for
    each group, at least one of its roles must be a column; required: header texts that must all be there,
    each the key of its own column; scan_rows: the header is within a sheet's first rows (None: anywhere)."""

    roles: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    needs: tuple[tuple[str, ...], ...] = ()
    required: tuple[str, ...] = ()
    scan_rows: int | None = None


@dataclass(frozen=True)
class Header:
    """A header row found: its sheet, its row index, the column of each role and each column's header key."""

    sheet: Sheet
    index: int
    columns: Mapping[str, int]
    keys: Mapping[int, str]


def identity_roles(center_label: str = "", *, year: bool = False) -> dict[str, tuple[str, ...]]:
    """The code and name columns (and the year's) as identity.ALIASES names them, with the scheme's label."""
    roles = {"code": aliases("code"), "name": aliases("name", center_label)}
    return roles | ({"year": aliases("year")} if year else {})


def find_header(sheets: Sequence[Sheet], spec: TableSpec) -> Header | None:
    """The first row (sheet by sheet) that the spec recognises as a header row; None when no sheet has one."""
    return next(find_headers(sheets, spec), None)


def find_headers(sheets: Sequence[Sheet], spec: TableSpec) -> Iterator[Header]:
    """Each sheet's first row that the spec recognises as a header row (sheets without one are passed)."""
    required = {normalise_name(r): r for r in spec.required}
    for sheet in sheets:
        for n, row in enumerate(sheet.rows[: spec.scan_rows]):
            texts = [normalise_name(as_text(c)) for c in row]
            if not set(required) <= set(texts):
                continue
            columns = _columns(texts, spec.roles)
            if all(any(role in columns for role in group) for group in spec.needs):
                keys = {c: required.get(t, as_text(row[c])) for c, t in enumerate(texts) if t}
                yield Header(sheet, n, columns, keys)
                break


def _columns(texts: list[str], roles: Mapping[str, tuple[str, ...]]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for role, names in roles.items():
        found = next((texts.index(t) for t in map(normalise_name, names) if t in texts), None)
        if found is not None:
            columns[role] = found
    return columns


def table_rows(header: Header, file: str) -> list[TableRow]:
    """The rows under a header row that hold anything, each with its cells by header text and by role."""
    sheet, columns, keys = header.sheet.name, header.columns, header.keys
    return [
        TableRow(file, sheet, r, data, columns, keys)
        for r, data in enumerate(header.sheet.rows[header.index + 1 :], start=header.index + 1)
        if not all(v == "" or v is None for v in data)
    ]


# ---------------------------------------------------------------------------------------------- assessor tables


@dataclass
class TablesRead:
    """Assessor tables or review sheets read for a run: the usable ones, findings, what each file was used as
    (the unusable ones; assess adds the rest) and whether a table that was given could not be used."""

    tables: list[Table] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    uses: list[TableUse] = field(default_factory=list)
    files: list[InputFile] = field(default_factory=list)
    unusable: bool = False

    def merge(self, other: TablesRead) -> None:
        self.tables += other.tables
        self.findings += other.findings
        self.uses += other.uses
        self.files += other.files
        self.unusable = self.unusable or other.unusable


_REFUSED = MappingProxyType(
    {  # what the analyst is told a file's guard finding means (the clerk's wording says 再报送)
        "file-corrupt": "文件已损坏或不完整",
        "file-encrypted": "文件设置了打开密码",
        "file-not-workbook": "不是可以读取的表格文件",
        "file-unsafe": "文件结构异常，出于安全考虑未读取",
        "file-empty": "文件是空的（0字节）",
    }
)


def unusable_finding(display: str, detail: str, scheme: Scheme) -> Finding:
    """table-unusable: a file given as (or recognised as) the scheme's table that cannot be used, and why."""
    method = method_of(scheme)
    money = scheme.money_label
    return Finding.make(
        "table-unusable",
        file=display,
        what=method.table_kind,
        detail=detail,
        content=method.table_content(scheme),
        money=money,
    )


def _refusal(book: TableBook, scheme: Scheme, *, strict_kind: bool, year: int | None) -> str:
    """Why a table book cannot be used ('' when it can): a guard's refusal, another scheme's, another year's,
    or another kind of file by its _meta."""
    what = method_of(scheme).table_kind
    errors = [f for f in book.findings if f.severity is Severity.ERROR]
    meta = book.meta or {}
    if errors:
        first = errors[0]
        inner = re.search(r"（([^（）]*)）", first.message)
        detail = _REFUSED.get(first.code, first.message.rstrip("。"))
        return detail + (f"：{inner.group(1)}" if inner and first.code in _REFUSED else "")
    if not same_form(meta, scheme):
        return f"这是“{meta['scheme_id']}”的表格，不是本次考核“{scheme.name}”的{what}" if strict_kind else ""
    if year and meta.get("year", "").isdigit() and int(meta["year"]) != year:
        return f"这是{meta['year']}年度的{what}，本次考核年度为{year}年"
    if meta and meta.get("kind", "submission") != method_of(scheme).table:
        other = {"submission": "填报表", "assessment": KIND_ASSESSMENT, "review": KIND_REVIEW}
        return f"这是{other.get(meta.get('kind', 'submission'), '其他表格')}，不是{what}"
    return ""


@dataclass
class TableFiles:
    """The files to read as tables, the findings met listing them, the displays of the inputs recognised as
    tables (their not-submission findings are dropped) and whether a file named as a table is unusable."""

    files: list[tuple[Path, str]]
    findings: list[Finding] = field(default_factory=list)
    displays: set[str] = field(default_factory=set)
    unusable: bool = False


def table_files(scheme: Scheme, paths: Sequence[Path]) -> TableFiles:
    """--assessment takes files or folders: every workbook inside a folder, as the inbox is read (lock and
    hidden files left out). A file named on the command line that is not a workbook cannot be used."""
    from kjjr_excel.read.inbox import collect_files

    files, skipped, _ = collect_files([Path(p) for p in paths])
    named = {Path(p).name for p in paths if Path(p).is_file()}
    out = TableFiles(files)
    for f in skipped:
        if f.file in named and "~$" not in f.message:
            detail = f.message.removeprefix("已跳过：").rstrip("。")
            out.findings.append(unusable_finding(f.file, detail, scheme))
            out.unusable = True
        else:
            out.findings.append(f)
    return out


def tables_in_inputs(inputs: Sequence[Path], findings: Sequence[Finding]) -> TableFiles:
    """Assessor tables and review sheets among the inputs (ingest recognised them by `_meta` and did not read
    them as submissions): they are used as such, wherever they were given."""
    displays = {f.file for f in findings if f.code == "not-submission"}
    if not displays:
        return TableFiles([])
    from kjjr_excel.read.inbox import collect_files

    files, _, _ = collect_files([Path(p) for p in inputs])
    return TableFiles([(path, d) for path, d in files if d in displays], displays=displays)


def read_tables(
    scheme: Scheme, files: Sequence[tuple[Path, str]], *, strict_kind: bool, year: int | None = None
) -> TablesRead:
    """Read each file as the scheme's assessor table (Qingdao) or review sheet (Guangdong), behind the same
    guards as submissions. strict_kind: the files were given as tables (--assessment), so one that cannot be
    used makes the results provisional; a table of another scheme among the inputs is only an error finding.
    year: the run's; a table whose _meta names another year is not used."""
    out = TablesRead()
    for path, display in files:
        _read_one(out, scheme, path, display, strict_kind=strict_kind, year=year)
    return out


def _read_one(
    out: TablesRead, scheme: Scheme, path: Path, display: str, *, strict_kind: bool, year: int | None
) -> None:
    from kjjr_excel.read.book import read_table_book
    from kjjr_excel.read.submission import READ, UNREADABLE

    method = method_of(scheme)
    book = read_table_book(path, display)
    errors = [f for f in book.findings if f.severity is Severity.ERROR]
    meta = book.meta or {}
    detail = _refusal(book, scheme, strict_kind=strict_kind, year=year)
    if not errors and not detail and not same_form(meta, scheme):
        actual, expected = other_scheme_names(meta["scheme_id"], scheme)
        out.findings.append(Finding.make("wrong-scheme", file=display, actual=actual, expected=expected))
        out.files.append(InputFile(display, book.sha256, READ, _size(path)))
        return
    spec = TableSpec(roles=identity_roles(scheme.center_label), required=method.table_required)
    # every sheet's header row, found once: a review workbook may hold one sheet per reviewer, each read as
    # a review sheet of its own; an assessor workbook is its first sheet with a header
    headers = [] if detail else list(find_headers([Sheet(n, g) for n, g in book.sheets], spec))
    header = headers[0] if headers else None
    if header is None and not detail:
        detail = f"找不到包含“{'、'.join(method.table_required)}”的表头行"
    out.files.append(InputFile(display, book.sha256, READ if not errors else UNREADABLE, _size(path)))
    if header is None:
        out.findings.append(unusable_finding(display, detail, scheme))
        # the guard's own finding stays beside it, unless it is worded for a clerk (另存为 … 再报送)
        out.findings += [
            f for f in book.findings if f.severity is not Severity.ERROR or f.code not in _REFUSED
        ]
        out.uses.append(TableUse(display, method.table_kind, False, note=detail))
        out.unusable = True  # given as a table, or recognised as one of this scheme by its _meta
        return
    out.findings += book.findings
    for found in headers if method.table_reviewers else [header]:
        out.tables.append(_table(found, book, display, reviewers=method.table_reviewers))


def _table(header: Header, book: TableBook, display: str, *, reviewers: bool) -> Table:
    """The rows under a header row found, with the sheet's formulas and (a review sheet) its reviewer."""
    sheet = header.sheet.name
    reviewer = reviewer_of(header.sheet.rows, header.index) if reviewers else Reviewer("", "")
    rows = table_rows(header, display)
    formulas = book.formulas.get(sheet, {})
    return Table(display, sheet, rows, formulas, reviewer.name, reviewer.cell, book.saved_at, book.sha256)


def _size(path: Path | ArchiveMember | MemberFile) -> int:
    """A file's size, a zip member's as its archive declares it, a mail attachment's."""
    if hasattr(path, "size"):
        return path.size
    if hasattr(path, "data"):
        return len(path.data)
    try:
        return path.stat().st_size
    except OSError:
        return 0
