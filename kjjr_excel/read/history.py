"""Earlier years' results: read them back for the 摘牌 rule and for the 历年结果 sheet (write/ranking).

History comes either from the ranking workbooks this tool wrote in earlier years (sheet 排名 with a title row
and a header row; the year on 说明/考核年度 or in the title 'YYYY年度') or from a plain table with the columns
年度, 名称 (or 编号), 等次, 排名. Every problem is a finding; a broken file never stops the run.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import MappingProxyType

from kjjr_excel.domain.findings import Finding
from kjjr_excel.domain.identity import CenterRef, TableRow, parse_year, year_in_text
from kjjr_excel.domain.model import HistoryRecord
from kjjr_excel.domain.parse import as_text, normalise_name
from kjjr_excel.domain.published import (
    SERIAL_HEADER,
    digest_of,
    kept_digests,
    published_row_of,
    row_digest,
)
from kjjr_excel.read import guards
from kjjr_excel.read.tables import (
    Sheet,
    TableSpec,
    Undecodable,
    Unreadable,
    find_header,
    identity_roles,
    open_table_file,
    table_rows,
)

FAILING_GRADE = "不合格"

# a history table's own columns besides the code, the name and the year (identity.ALIASES); for the score the
# first present header wins (综合得分 before 总分)
COLUMNS: dict[str, tuple[str, ...]] = MappingProxyType(
    {
        "grade": ("等次", "考核等次", "考核结果"),
        "rank": ("排名", "名次"),
        "score": ("综合得分", "总分", "得分"),
        "flags": ("标记",),
    }
)
# 标记 of an earlier ranking that says its grade or place was still to be settled: a figure in error (数据有误)
# or a flag waiting for one (待数据更正后确定, 等次待定). Not 摘牌待定: that year's delisting waited on the year
# before it, while its own grade and place were settled
UNSETTLED_FLAGS = ("数据有误", "待数据更正后确定", "等次待定")
HEADER_SCAN_ROWS = 15

# Guards against hostile files, checked before any parsing (cheap and reliable).
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_ROWS = 100_000


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
    pending: bool = False  # its 标记 says the grade or place waited for a figure to be corrected
    last_unknown: bool = False  # last of the rows, in a year whose places are not all there (_rank_gaps)

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
            pending=self.pending,
            last_unknown=self.last_unknown,
        )


@dataclass
class History:
    """Earlier years' records per center key, sorted by year, with the findings met while reading."""

    records: dict[str, list[HistoryRecord]] = field(default_factory=dict)
    years: list[int] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    rows: list[HistoryRow] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------- loading


def load_history(
    paths: Sequence[Path], centers: Sequence[CenterRef], *, year: int, center_label: str = ""
) -> History:
    """Read earlier years' results and match them to this run's centers. center_label: the scheme's, whose
    '分中心名称' is a name column too."""
    history = History()
    index = _CenterIndex(centers)
    chosen: dict[tuple[str, int], HistoryRow] = {}
    conflicted: set[tuple[str, int]] = set()
    for path in paths:
        rows = _rows_of(Path(path), center_label, history.findings)
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
            if row.key and _choose(chosen, row, history.findings):
                conflicted.add((row.key, row.year))
    # the years the files hold, matched or not: a year whose rows all name other centers is there, not missing
    history.years = sorted({y for _, y in chosen} | {r.year for r in history.rows})
    for (
        pair
    ) in conflicted:  # which record is right cannot be told: that year counts as none, whatever the order
        del chosen[pair]
    for (key, _), row in sorted(chosen.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        history.records.setdefault(key, []).append(row.record())
    if paths:
        history.findings.extend(_gaps(history, centers, year, center_label or "单位"))
    return history


def _gaps(history: History, centers: Sequence[CenterRef], year: int, center_label: str) -> list[Finding]:
    """What the history given lacks for this run: the year before (a wrong file: nothing consecutive can be
    told), or a center's record of it (that center is judged as if new). Said, not guessed."""
    if any(f.code == "history-unreadable" for f in history.findings):
        return []  # the file is the problem, and said
    before = year - 1
    if before not in history.years:
        found = "、".join(str(y) for y in history.years) or "无"
        return [Finding.make("history-year-missing", year=before, found=found)]
    had = {key for key, records in history.records.items() if any(r.year == before for r in records)}
    return [
        Finding.make(
            "history-center-missing",
            center=c.name or c.code,
            name=c.name or c.code,
            year=before,
            center_label=center_label,
        )
        for c in centers
        if c.key not in had
    ]


def _rows_of(path: Path, center_label: str, findings: list[Finding]) -> list[HistoryRow]:
    """The rows of one history file, its findings added; none (and a finding) when it cannot be used."""
    try:
        rows, row_findings = _read_file(path, center_label)
    except _Unreadable as exc:
        findings.append(Finding.make("history-unreadable", file=str(path), detail=str(exc)))
        return []
    except BaseException as exc:  # any reader failure on a hostile file is a finding, never a crash
        guards.reraise_fatal(exc)
        detail = f"文件已损坏或格式无法识别（{guards.describe_error(exc)}）"
        findings.append(Finding.make("history-unreadable", file=str(path), detail=detail))
        return []
    findings.extend(row_findings)
    return rows


class _CenterIndex:
    def __init__(self, centers: Sequence[CenterRef]):
        self.by_code: dict[str, set[str]] = {}
        self.by_name: dict[str, set[str]] = {}
        self.names: dict[str, str] = {}
        for center in centers:
            key, code, name = center.key, center.code, center.name
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


def _choose(chosen: dict[tuple[str, int], HistoryRow], row: HistoryRow, findings: list[Finding]) -> bool:
    """One record per center and year; True (and a finding) when a second one says otherwise than the first."""
    kept = chosen.setdefault((row.key, row.year), row)
    conflict = kept is not row and (kept.grade, kept.rank) != (row.grade, row.rank)
    if not conflict and kept.pending and not row.pending:  # the same result, once final: whatever the order
        chosen[(row.key, row.year)] = row
    if conflict:
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
    return conflict


def _read_file(path: Path, center_label: str = "") -> tuple[list[HistoryRow], list[Finding]]:
    """Rows of one history file (with `last` decided per year) and row-level findings."""
    sheets, meta = _read_sheets(path)
    spec = TableSpec(
        identity_roles(center_label, year=True) | COLUMNS,
        needs=(("grade",), ("rank",), ("name", "code")),
        scan_rows=HEADER_SCAN_ROWS,
    )
    header = find_header(sheets, spec)
    if header is None:
        raise _Unreadable(
            "没有找到历年结果表：需要“年度”“名称”（或“编号”）“等次”“排名”列，或本工具生成的排名表"
        )
    file_year = None
    if "year" not in header.columns:
        file_year = _file_year(sheets, header.sheet.rows[: header.index])
        if file_year is None:
            raise _Unreadable(
                f"工作表“{header.sheet.name}”中找不到考核年度（应在“说明”表的“考核年度”一行，或标题中的“YYYY年度”）"
            )
    read = table_rows(header, str(path))
    rows, findings = _rows(read, file_year)
    rows, edits = _untouched(path, meta, read, rows)
    findings += edits
    said = next(
        (
            m.group()
            for row in header.sheet.rows[: header.index]
            for c in row
            if (m := _NOT_FINAL.search(as_text(c)))
        ),
        "",
    )
    if said and rows:
        # a ranking that was itself provisional (no assessor table) or not settled: its grades and places
        # may not be that year's, so what they complete waits too (摘牌待定), as a flag waiting for a correction
        rows = [replace(r, pending=True) for r in rows]
        findings.append(
            Finding.make("history-provisional", file=rows[0].file, sheet=rows[0].sheet, said=said)
        )
    rows = _mark_last(rows)
    gaps = _rank_gaps(rows)
    for year, missing in sorted(gaps.items()):
        # rows missing (deleted, left out of a typed table): who was last that year cannot be told
        rows = [replace(r, last_unknown=True) if r.year == year and r.last else r for r in rows]
        findings.append(
            Finding.make(
                "history-rank-gap", file=str(path), sheet=header.sheet.name, year=year, missing=missing
            )
        )
    return rows, findings


def _untouched(
    path: Path, meta: dict[str, str] | None, read: list[TableRow], rows: list[HistoryRow]
) -> tuple[list[HistoryRow], list[Finding]]:
    """One of our ranking workbooks checked against the digests its `_meta` keeps of 排名's rows: a row changed
    by hand (a grade typed over) waits (摘牌待定), and rows deleted leave who was last unknown; each said.
    Any other table, or a ranking written before digests were kept, is taken as it is."""
    digests = kept_digests(meta) if meta and meta.get("kind") == "ranking" else ""
    if not digests or not read:
        return rows, []
    headers = list(read[0].keys.values())
    at = headers.index("等次") if "等次" in headers else -1
    if at < 1 or at + 1 >= len(headers) or SERIAL_HEADER not in headers:
        return rows, []
    total, subsidy = headers[at - 1], headers[at + 1]  # 排名: … 总分/综合得分, 等次, 补助金额 …
    changed, counted = set(), 0
    for row in read:
        cells = {key: row.cells[key].value for key in headers}
        serial = cells.get(SERIAL_HEADER)
        if not isinstance(serial, int | float) or isinstance(serial, bool):
            continue
        counted += 1
        if digest_of(digests, int(serial)) != row_digest(published_row_of(cells, total, subsidy)):
            changed.add(row.index)
    lost = max(0, len(digests) // 8 - counted)
    if not changed and not lost:
        return rows, []
    said = [f"第{n + 1}行" for n in sorted(changed)[:5]] + ([f"少了{lost}行"] if lost else [])
    rows = [
        replace(
            r,
            pending=r.pending or _row_of(r.cell) in changed,
            last_unknown=r.last_unknown or bool(lost) and r.last,
        )
        for r in rows
    ]
    where = {"file": str(path), "sheet": read[0].sheet}
    return rows, [Finding.make("history-edited", rows="、".join(said), **where)]


def _row_of(cell: str) -> int:
    """The 0-based row of an A1 reference."""
    digits = "".join(ch for ch in cell if ch.isdigit())
    return int(digits) - 1 if digits else -1


def _rank_gaps(rows: list[HistoryRow]) -> dict[int, str]:
    """Per year, the places no row holds although a lower place is held and no tie explains it: competition
    ranks go 1, 2, 2, 4 (a tie of two covers the next place), so 1, 2, 4 lacks 第3名. Dense ranks (1, 1, 2)
    lack nothing. Said as 第3名 or 第3、7名."""
    ranks: dict[int, list[int]] = {}
    for r in rows:
        if r.rank is not None:
            ranks.setdefault(r.year, []).append(r.rank)
    gaps = {}
    for year, places in ranks.items():
        held = Counter(places)  # a place held by k centers covers the k - 1 places after it (a tie)
        covered = {p + k for p, count in held.items() for k in range(count)}
        missing = sorted(set(range(1, max(held) + 1)) - covered)
        if missing:
            gaps[year] = f"第{'、'.join(str(m) for m in missing[:5])}名" + ("等" if len(missing) > 5 else "")
    return gaps


# what the title of one of our rankings says when its results were not final
_NOT_FINAL = re.compile(r"初步结果[^）)]*|暂定结果|结果尚未确定")


def _read_sheets(path: Path) -> tuple[list[Sheet], dict[str, str] | None]:
    try:
        return open_table_file(path, limit=MAX_FILE_BYTES, sniff=True, max_rows=MAX_ROWS)
    except Undecodable:
        raise _Unreadable("CSV文件的编码无法识别，请另存为 UTF-8 编码") from None
    except Unreadable as refused:
        raise _Unreadable(refused.detail.rstrip("。")) from None


def _year_row(label: str) -> bool:
    """Whether a 说明 row is the run's year: the scheme's year label (考核年度, 评估年度, 评价年份), not the
    parameter 方案默认考核年度 further down."""
    return label.endswith(("年度", "年份")) and not label.startswith("方案默认") and len(label) <= 8


def _file_year(sheets: Sequence[Sheet], above_header: Sequence[Sequence[object]]) -> int | None:
    """The year of one of our ranking workbooks: 说明's year row (考核年度, 评估年度) first, else 'YYYY年度' in
    the title rows."""
    for sheet in sheets:
        if sheet.name != "说明":
            continue
        for row in sheet.rows:
            if len(row) >= 2 and _year_row(normalise_name(as_text(row[0]))):
                found = parse_year(row[1])
                if found:
                    return found
    for row in above_header:
        for cell in row:
            found = year_in_text(cell)
            if found is not None:
                return found
    return None


def _rows(table: Sequence[TableRow], file_year: int | None) -> tuple[list[HistoryRow], list[Finding]]:
    rows, findings = [], []
    for row in table:
        code, name = row.text("code"), row.text("name")
        grade = re.sub(r"\s+", "", unicodedata.normalize("NFKC", row.text("grade")))
        rank = _parse_rank(row.value("rank"))
        if not (code or name) or (not grade and rank is None):
            continue  # blank lines, notes under the table, centers left out without a result
        year = file_year if file_year is not None else parse_year(row.value("year"))
        if year is None:
            findings.append(
                Finding.make(
                    "history-bad-year",
                    file=row.file,
                    sheet=row.sheet,
                    cell=row.role("year").ref,
                    center=name or code,
                    value=row.text("year"),
                    name=name or code,
                    raw=row.text("year"),
                )
            )
            continue
        where = (row.role("name") or row.role("code")).ref
        rows.append(
            HistoryRow(
                file=row.file,
                sheet=row.sheet,
                cell=where,
                year=year,
                code=code,
                name=name,
                grade=grade,
                rank=rank,
                score=_parse_decimal(row.value("score")),
                pending=any(flag in row.text("flags") for flag in UNSETTLED_FLAGS),
            )
        )
    return rows, findings


def _mark_last(rows: list[HistoryRow]) -> list[HistoryRow]:
    """Last = ranked with the highest rank of its year (ties all last), when another was ranked ahead of it:
    nobody is last alone, nor in a year where every ranked center tied."""
    worst: dict[int, int] = {}
    best: dict[int, int] = {}
    for r in rows:
        if r.rank is not None:
            worst[r.year] = max(worst.get(r.year, r.rank), r.rank)
            best[r.year] = min(best.get(r.year, r.rank), r.rank)
    return [
        replace(r, last=True) if r.rank is not None and best[r.year] < r.rank == worst[r.year] else r
        for r in rows
    ]


def _parse_rank(value: object) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return int(value) if 1 <= value < 2**31 and value == int(value) else None  # NaN, INF: None
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", as_text(value)))
    m = re.fullmatch(r"第?(\d+)(?:\.0+)?名?", text)
    return int(m.group(1)) if m and int(m.group(1)) >= 1 else None


def _parse_decimal(value: object) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    text = unicodedata.normalize("NFKC", as_text(value)).replace(",", "").strip()
    try:
        result = Decimal(text)
    except (InvalidOperation, ValueError):
        return None
    return result if result.is_finite() else None
