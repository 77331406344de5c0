"""Earlier years' results: read them back for the 摘牌 rule, and show them on the 历年结果 sheet.

History comes either from the ranking workbooks this tool wrote in earlier years (sheet 排名 with a title row
and a header row; the year on 说明/考核年度 or in the title 'YYYY年度') or from a plain table with the columns
年度, 名称 (or 编号), 等次, 排名. Every problem is a finding; a broken file never stops the run.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from kjjr_excel.domain.findings import Finding, Severity
from kjjr_excel.domain.methods import method_of
from kjjr_excel.domain.model import HistoryRecord
from kjjr_excel.domain.parse import a1, as_text, decode_text, normalise_name
from kjjr_excel.read import guards

FAILING_GRADE = "不合格"
SHEET_NAME = "历年结果"

# column role -> accepted headers; for the score the first present header wins (综合得分 before 总分)
HEADERS: dict[str, tuple[str, ...]] = {
    "year": ("年度", "考核年度"),
    "code": ("编号", "代码"),
    "name": ("名称", "分中心名称", "中心名称"),
    "grade": ("等次", "考核等次", "考核结果"),
    "rank": ("排名", "名次"),
    "score": ("综合得分", "总分", "得分"),
}
HEADER_SCAN_ROWS = 15

# Guards against hostile files, checked on the zip directory before any parsing (cheap and reliable).
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_ROWS = 100_000

_YEAR = re.compile(r"(\d{4})\s*年")
_YEAR_CELL = re.compile(r"(\d{4})(?:\.0+)?(?:年度?)?")


class _Unreadable(Exception):
    """A history file that cannot be used at all; the message is the Chinese detail."""


@dataclass(frozen=True)
class HistoryRow:
    """One row of an earlier year's result as read, before and after matching to a center."""

    file: str
    sheet: str
    cell: str  # A1 of the row's name (or code) cell
    year: int
    code: str
    name: str
    grade: str
    rank: int | None
    score: Decimal | None = None
    last: bool = False
    key: str = ""  # the matched center's key; "" when unmatched or ambiguous

    @property
    def label(self) -> str:
        return self.name or self.code

    def record(self) -> HistoryRecord:
        return HistoryRecord(
            year=self.year,
            grade=self.grade,
            rank=self.rank,
            last=self.last,
            score=self.score,
            failing=self.grade == FAILING_GRADE,
        )


@dataclass
class History:
    """Earlier years' records per center key, sorted by year, with the findings met while reading."""

    records: dict[str, list[HistoryRecord]] = field(default_factory=dict)
    years: list[int] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    rows: list[HistoryRow] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------- loading


def load_history(paths: Sequence[Path], centers: Sequence[tuple[str, str, str]], *, year: int) -> History:
    """Read earlier years' results and match them to this run's centers, given as (key, code, name)."""
    history = History()
    index = _CenterIndex(centers)
    chosen: dict[tuple[str, int], HistoryRow] = {}
    for path in paths:
        path = Path(path)
        try:
            rows, findings = _read_file(path)
        except _Unreadable as exc:
            history.findings.append(Finding.make("history-unreadable", file=str(path), detail=str(exc)))
            continue
        except BaseException as exc:  # any reader failure on a hostile file is a finding, never a crash
            guards.reraise_fatal(exc)
            detail = f"文件已损坏或格式无法识别（{guards.describe_error(exc)}）"
            history.findings.append(Finding.make("history-unreadable", file=str(path), detail=detail))
            continue
        history.findings.extend(findings)
        ignored_years: set[int] = set()
        for row in rows:
            if row.year >= year:
                if row.year not in ignored_years:
                    ignored_years.add(row.year)
                    history.findings.append(
                        Finding.make(
                            "history-year-ignored",
                            file=row.file,
                            sheet=row.sheet,
                            year=row.year,
                            current=year,
                        )
                    )
                continue
            row = _match(index, row, history.findings)
            history.rows.append(row)
            if row.key:
                _choose(chosen, row, history.findings)
    for (key, _), row in sorted(chosen.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        history.records.setdefault(key, []).append(row.record())
    history.years = sorted({y for _, y in chosen})
    return history


class _CenterIndex:
    def __init__(self, centers: Sequence[tuple[str, str, str]]):
        self.by_code: dict[str, set[str]] = {}
        self.by_name: dict[str, set[str]] = {}
        self.names: dict[str, str] = {}
        for key, code, name in centers:
            self.names[key] = name
            if normalise_name(code):
                self.by_code.setdefault(normalise_name(code), set()).add(key)
            if normalise_name(name):
                self.by_name.setdefault(normalise_name(name), set()).add(key)

    def lookup(self, row: HistoryRow) -> set[str]:
        """Keys matching the row: by code first, then by name; more than one means ambiguous."""
        for table, text in ((self.by_code, row.code), (self.by_name, row.name)):
            keys = table.get(normalise_name(text), set()) if normalise_name(text) else set()
            if keys:
                return keys
        return set()


def _match(index: _CenterIndex, row: HistoryRow, findings: list[Finding]) -> HistoryRow:
    keys = index.lookup(row)
    if len(keys) == 1:
        return replace(row, key=next(iter(keys)))
    code = "history-ambiguous" if keys else "history-unmatched"
    findings.append(
        Finding.make(
            code,
            file=row.file,
            sheet=row.sheet,
            cell=row.cell,
            center=row.label,
            value=row.label,
            name=row.label,
            year=row.year,
        )
    )
    return row


def _choose(chosen: dict[tuple[str, int], HistoryRow], row: HistoryRow, findings: list[Finding]) -> None:
    """One record per center and year: the first one read wins; a different second one is reported."""
    kept = chosen.setdefault((row.key, row.year), row)
    if kept is not row and (kept.grade, kept.rank) != (row.grade, row.rank):
        findings.append(
            Finding.make(
                "history-conflict",
                file=row.file,
                sheet=row.sheet,
                cell=row.cell,
                center=row.label,
                name=row.label,
                year=row.year,
                kept=f"{kept.file}（{kept.sheet}!{kept.cell}）",
            )
        )


def _read_file(path: Path) -> tuple[list[HistoryRow], list[Finding]]:
    """Rows of one history file (with `last` decided per year) and row-level findings."""
    sheets = _read_sheets(path)
    for sheet, cells in sheets:
        at = _find_header(cells)
        if at is None:
            continue
        header_row, cols = at
        file_year = None
        if cols.get("year") is None:
            file_year = _file_year(sheets, cells[:header_row])
            if file_year is None:
                raise _Unreadable(
                    f"工作表“{sheet}”中找不到考核年度（应在“说明”表的“考核年度”一行，或标题中的“YYYY年度”）"
                )
        rows, findings = _rows(str(path), sheet, cells, header_row, cols, file_year)
        return _mark_last(rows), findings
    raise _Unreadable("没有找到历年结果表：需要“年度”“名称”（或“编号”）“等次”“排名”列，或本工具生成的排名表")


def _read_sheets(path: Path) -> list[tuple[str, list[list[Any]]]]:
    try:
        data = guards.read_input(path, MAX_FILE_BYTES)
    except guards.Guarded as refused:
        message = Finding.make(refused.code, file=str(path), **refused.fields).message
        raise _Unreadable(message.rstrip("。")) from None
    if not data:
        raise _Unreadable("文件是空的（0字节）")
    workbook = data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0"))
    if not workbook and path.suffix.lower() in (".csv", ".txt"):
        return [(path.stem, _read_csv(data))]
    from kjjr_excel.read.ingest import read_sheets

    sheets, problems = read_sheets(path, path.name, max_rows=MAX_ROWS)
    refused = [f for f in problems if f.severity is Severity.ERROR]
    if refused:
        raise _Unreadable(refused[0].message.rstrip("。"))
    return sheets


def _read_csv(data: bytes) -> list[list[Any]]:
    text = decode_text(data)
    if text is None:
        raise _Unreadable("CSV文件的编码无法识别，请另存为 UTF-8 编码")
    try:
        return list(guards.csv_rows(text))[:MAX_ROWS]
    except guards.Guarded as refused:
        raise _Unreadable(Finding.make(refused.code, **refused.fields).message.rstrip("。")) from None


def _find_header(cells: list[list[Any]]) -> tuple[int, dict[str, int | None]] | None:
    """(row index, column per role) of the first row that has 等次, 排名 and 名称 or 编号."""
    for n, row in enumerate(cells[:HEADER_SCAN_ROWS]):
        texts = [normalise_name(as_text(c)) for c in row]
        cols: dict[str, int | None] = {}
        for role, names in HEADERS.items():
            cols[role] = next(
                (texts.index(normalise_name(h)) for h in names if normalise_name(h) in texts), None
            )
        has_center = cols["name"] is not None or cols["code"] is not None
        if cols["grade"] is not None and cols["rank"] is not None and has_center:
            return n, cols
    return None


def _file_year(sheets: list[tuple[str, list[list[Any]]]], above_header: list[list[Any]]) -> int | None:
    """The year of one of our ranking workbooks: 说明/考核年度 first, else 'YYYY年度' in the title rows."""
    for name, cells in sheets:
        if name != "说明":
            continue
        for row in cells:
            if len(row) >= 2 and normalise_name(as_text(row[0])) == "考核年度":
                found = _parse_year(row[1])
                if found:
                    return found
    for row in above_header:
        for cell in row:
            m = _YEAR.search(unicodedata.normalize("NFKC", as_text(cell)))
            if m:
                return int(m.group(1))
    return None


def _rows(
    file: str,
    sheet: str,
    cells: list[list[Any]],
    header_row: int,
    cols: dict[str, int | None],
    file_year: int | None,
) -> tuple[list[HistoryRow], list[Finding]]:
    rows, findings = [], []
    for n, row in enumerate(cells[header_row + 1 :], start=header_row + 1):

        def get(role: str, row: list[Any] = row) -> Any:
            idx = cols.get(role)
            return row[idx] if idx is not None and idx < len(row) else None

        code, name = as_text(get("code")), as_text(get("name"))
        grade = re.sub(r"\s+", "", unicodedata.normalize("NFKC", as_text(get("grade"))))
        rank = _parse_rank(get("rank"))
        if not (code or name) or (not grade and rank is None):
            continue  # blank lines, notes under the table, centers left out without a result
        where = a1(n, cols["name"] if cols.get("name") is not None else cols["code"] or 0)
        year = file_year
        if year is None:
            year = _parse_year(get("year"))
            if year is None:
                findings.append(
                    Finding.make(
                        "history-bad-year",
                        file=file,
                        sheet=sheet,
                        cell=a1(n, cols["year"] or 0),
                        center=name or code,
                        value=as_text(get("year")),
                        name=name or code,
                        raw=as_text(get("year")),
                    )
                )
                continue
        rows.append(
            HistoryRow(
                file=file,
                sheet=sheet,
                cell=where,
                year=year,
                code=code,
                name=name,
                grade=grade,
                rank=rank,
                score=_parse_decimal(get("score")),
            )
        )
    return rows, findings


def _mark_last(rows: list[HistoryRow]) -> list[HistoryRow]:
    """Last = ranked with the highest rank of its year (ties all last), when at least two were ranked."""
    worst: dict[int, int] = {}
    counts: dict[int, int] = {}
    for r in rows:
        if r.rank is not None:
            worst[r.year] = max(worst.get(r.year, r.rank), r.rank)
            counts[r.year] = counts.get(r.year, 0) + 1
    return [
        replace(r, last=True) if r.rank is not None and counts[r.year] >= 2 and r.rank == worst[r.year] else r
        for r in rows
    ]


def _parse_year(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return int(value) if 1900 <= value <= 2999 and value == int(value) else None  # NaN, INF: None
    m = _YEAR_CELL.fullmatch(re.sub(r"\s+", "", unicodedata.normalize("NFKC", as_text(value))))
    return int(m.group(1)) if m and 1900 <= int(m.group(1)) <= 2999 else None


def _parse_rank(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return int(value) if 1 <= value < 2**31 and value == int(value) else None  # NaN, INF: None
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", as_text(value)))
    m = re.fullmatch(r"第?(\d+)(?:\.0+)?名?", text)
    return int(m.group(1)) if m and int(m.group(1)) >= 1 else None


def _parse_decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    text = unicodedata.normalize("NFKC", as_text(value)).replace(",", "").strip()
    try:
        result = Decimal(text)
    except (InvalidOperation, ValueError):
        return None
    return result if result.is_finite() else None


# ---------------------------------------------------------------------------------------------- writing


def history_table(result: Any) -> tuple[list[tuple[str, str]], list[list[Any]]]:
    """历年结果 as data: (header, kind) per column (kinds of report's columns) and one row per center of this
    run: each year's grade and rank (and score for relative schemes), then the change of rank (and score)
    from the year immediately before. report.py writes it."""
    relative = method_of(result.scheme).history_scores
    years = sorted({y for y in result.history_years if y < result.year}) + [result.year]
    columns = [("编号", "text"), ("名称", "text")]
    for y in years:
        columns += [(f"{y}年等次", "center"), (f"{y}年排名", "int")]
        columns += [(f"{y}年得分", "score")] if relative else []
    columns.append(("排名变化", "signed_int"))
    if relative:
        columns.append(("得分变化", "signed_score"))
    rows = []
    for r in result.ranked:
        by_year = {h.year: h for h in r.history}
        now = HistoryRecord(year=result.year, grade=r.grade, rank=r.rank, score=r.total)
        row: list[Any] = [r.center.code, r.center.name]
        for y in years:
            rec = now if y == result.year else by_year.get(y)
            row += [rec.grade if rec else None, rec.rank if rec else None]
            row += [rec.score if rec else None] if relative else []
        before = by_year.get(result.year - 1)
        row.append(
            before.rank - r.rank if before and before.rank is not None and r.rank is not None else None
        )
        if relative:
            row.append(r.total - before.score if before and before.score is not None else None)
        rows.append(row)
    return columns, rows
