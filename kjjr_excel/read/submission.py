"""A clerk's workbook -> Submission: its `_meta`, the cells the template puts the figures in (or, in a workbook
retyped or rearranged, the cells its labels point to), each value parsed, with findings. Never raises.

`SubmissionReader` is built once per run for a scheme and holds what every file of the run shares (the
layout, the label index, parsed figures, facts about the template's parts); it pickles, so a pool's workers
get their own copy.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from kjjr_excel import TEMPLATE_VERSION
from kjjr_excel.domain.findings import Finding, Severity
from kjjr_excel.domain.identity import parse_year
from kjjr_excel.domain.layout import (
    META_SHEET,
    OUTPUT_KINDS,
    Layout,
    layout,
    other_scheme_names,
    same_form,
)
from kjjr_excel.domain.model import CellValue, InputFile, MailOrigin, Submission
from kjjr_excel.domain.parse import (
    SAME_UNITS,
    Parsed,
    a1,
    as_text,
    fmt_decimal,
    known_unit,
    normalise_name,
    parse_value,
    parsed_finding,
    screen_text,
    unit_agrees,
    unusable_formula,
)
from kjjr_excel.domain.scheme import Indicator, Scheme
from kjjr_excel.read import guards
from kjjr_excel.read.book import Book, BookCache, Formula, Refused, open_book
from kjjr_excel.read.inbox import ArchiveMember, MemberFile

READ = "已读取"
SKIPPED = "已跳过"
UNREADABLE = "无法读取"

VALUE_HEADERS = ("数量", "填报数")
CATEGORY_HEADERS = ("一级指标", "类别")

Cell = tuple[int, int]  # zero-based (row, column)
Source = Path | ArchiveMember | MemberFile


@dataclass(frozen=True)
class Outcome:
    """What one file yielded: its Submission (None when it is not one), its findings, and its row on 说明."""

    submission: Submission | None
    findings: list[Finding]
    file: InputFile

    def with_origin(self, origin: MailOrigin | None) -> Outcome:
        """The same outcome, remembering the mail that brought the file."""
        if origin is None:
            return self
        sub = self.submission
        if sub is not None:
            sub = dataclasses.replace(sub, origins=(origin,))
        return Outcome(sub, self.findings, dataclasses.replace(self.file, origin=origin))


@dataclass(frozen=True)
class Cells:
    """Where a submission's figures are: header field -> cell, indicator -> value cell, and the indicators
    whose label was found under two categories without one above it (which one it is cannot be told)."""

    header: dict[str, Cell] = field(default_factory=dict)
    value: dict[str, Cell] = field(default_factory=dict)
    ambiguous: dict[str, tuple[Cell, ...]] = field(default_factory=dict)  # every such label's cell
    # indicator -> its label's cell and the unit written there, when that unit is not the indicator's own
    # (撮合贷款金额（元） for 万元): the row is not read, and the finding says why
    other_unit: dict[str, tuple[Cell, str]] = field(default_factory=dict)
    # a retyped table with several figure columns whose headers do not tell which holds this year's figures
    # (2016年 | 2017年 in a 2018 assessment, 目标数 | 完成数): each column's header cell and text; its rows
    # are not read
    columns: list[tuple[Cell, str]] = field(default_factory=list)

    def all(self) -> set[Cell]:
        return {
            *self.header.values(),
            *self.value.values(),
            *(c for cs in self.ambiguous.values() for c in cs),
        }


@dataclass(frozen=True)
class LabelIndex:
    """normalised label -> indicators; normalised header label -> field; normalised categories; the labels
    without their trailing unit -> indicators (to tell a row whose unit differs from a row that is missing)."""

    labels: dict[str, list[Indicator]]
    headers: dict[str, str]
    categories: frozenset[str]
    value_headers: frozenset[str]
    bare: dict[str, list[Indicator]] = field(default_factory=dict)
    year: int | None = None  # the scheme's: a retyped table's figure column headed by it is this year's


# ---------------------------------------------------------------------------------------------- the reader


class SubmissionReader:
    """Reads the submissions of one scheme. Its memos are per run: built with the reader, dropped with it."""

    PARSED_MAX = 200_000

    def __init__(self, scheme: Scheme):
        self.scheme = scheme
        self.layout = layout(scheme)
        self.index = _label_index(scheme, self.layout)
        self.expected = _expected_labels(self.layout, scheme)
        self.positions = _positions(self.layout)
        self.books = BookCache()
        self.parsed: dict[tuple, tuple[str, Parsed]] = {}
        self.tails: dict[tuple, Cells] = {}

    def read(self, path: Source, display: str) -> Outcome:
        """Read one file (a workbook inside a .zip, a mail's attachment) into a Submission; never raises
        (problems become findings). What came by mail remembers its mail."""
        if isinstance(path, MemberFile):
            size, modified, origin = len(path.data), None, path.origin
        else:
            size, modified = _size_and_time(path)
            origin = path.origin if isinstance(path, ArchiveMember) else None
        try:
            book = open_book(path, display, self.books)
        except Refused as refused:
            outcome = Outcome(
                None, refused.findings, InputFile(display, refused.sha256, UNREADABLE, size or 0)
            )
        else:
            outcome = self._read_opened(book, display, size or 0, modified)
        return outcome.with_origin(origin)

    def _read_opened(self, book: Book, display: str, size: int, modified: datetime | None) -> Outcome:
        try:
            sub, found = self._read_book(book, display, modified)
        except Refused as refused:
            return Outcome(
                None, book.findings + refused.findings, InputFile(display, book.sha256, UNREADABLE, size)
            )
        except (
            BaseException
        ) as exc:  # a reader fault on a hostile file (a native panic too) must not stop the batch
            guards.reraise_fatal(exc)
            finding = Finding.make("file-corrupt", file=display, detail=guards.describe_error(exc))
            return Outcome(None, book.findings + [finding], InputFile(display, book.sha256, UNREADABLE, size))
        return Outcome(sub, book.findings + found, InputFile(display, book.sha256, READ, size))

    def _read_book(
        self, book: Book, display: str, modified: datetime | None
    ) -> tuple[Submission | None, list[Finding]]:
        scheme = self.scheme
        names = book.sheet_names
        meta = book.meta(names)
        findings: list[Finding] = []
        if meta is not None:
            refusal = _meta_refusal(meta, scheme, display)
            if refusal is not None:
                return None, [refusal]
            findings.extend(_meta_notes(meta, display))
        located = self._locate(book, names, meta, display)
        if isinstance(located, Finding):
            return None, findings + [located]
        sheet, grid, cells, recognised = located
        formulas = book.formulas(sheet, cells.all())
        header, header_cells, notes = self._header(grid, cells)
        typed_year = _year(header.get("report_year"))
        year = _year(meta.get("year") if meta else None) or typed_year
        center = (
            header.get("center_name", "")
            or header.get("center_code", "")
            or (meta or {}).get("center_code", "")
        )
        where = _Where(display, sheet, center)
        if recognised in ("labels", "copy"):  # after the header: the finding names whose file it is
            findings.append(self._how_found(recognised, meta, sheet, grid, where))
            recognised = "labels"
        for code, ref, fields in notes:
            findings.append(Finding.make_typed(code, fields["raw"], **where.at(a1(*ref)), **fields))
        wanted = set(cells.value.values())
        looks = _Looks(book.percent_cells(sheet, wanted), book.merged_over(sheet, wanted))
        values = self._values(grid, cells, formulas, where, findings, looks)
        for copy in self._other_tables(book, names, sheet, grid, cells, recognised == "labels"):
            findings.extend(self._compared(values, header, copy, where))
        meta = meta or {}
        sub = Submission(
            file=display,
            sha256=book.sha256,
            center_code=header.get("center_code", "") or meta.get("center_code", ""),
            center_name=header.get("center_name", ""),
            host_unit=header.get("host_unit", ""),
            year=year,
            typed_year=typed_year if typed_year != year else None,
            filler_name=header.get("filler_name", ""),
            filler_phone=header.get("filler_phone", ""),
            fill_date=header.get("fill_date", ""),
            values=values,
            scheme_id=meta.get("scheme_id", "") or scheme.id,
            scheme_version=meta.get("scheme_version", ""),
            template_version=meta.get("template_version", ""),
            saved_at=book.saved_at(),
            modified_at=modified,
            recognised_by=recognised,
            sheet=sheet,
            header_cells={fld: a1(*ref) for fld, ref in header_cells.items()},
            file_format=book.fmt,
        )
        return sub, findings

    def _header(self, grid: list[list], cells: Cells) -> tuple[dict[str, str], dict[str, Cell], list[tuple]]:
        """The header fields as read, their cells, and notes on how some were read, (code, cell, fields): a
        field typed as label and value in one cell; the center's name found only under 填报单位."""
        lay = self.layout
        header_cells = {fld: cells.header[fld] for fld in lay.header_rows if fld in cells.header}
        header = {fld: as_text(_at(grid, *ref)) for fld, ref in header_cells.items()}
        notes = []
        for fld, (ref, value) in _inline_header(grid, header_cells, header, self.index).items():
            header[fld], header_cells[fld] = value, ref
            raw = as_text(_at(grid, *ref))
            notes.append(
                ("header-inline", ref, {"field": lay.header_labels[fld], "raw": raw, "value": value})
            )
        unit = None if header.get("center_name") else self._reporting_unit(grid, cells)
        if unit is not None:
            code, ref, fields = unit
            if code == "header-reporting-unit":
                header["center_name"], header_cells["center_name"] = fields["value"], ref
            notes.append(unit)
        return header, header_cells, notes

    def _reporting_unit(self, grid: list[list], cells: Cells) -> tuple[str, Cell, dict[str, str]] | None:
        """A table with no center name but a 填报单位 (a clerk's own table): the unit that filled it in is the
        center or its host unit (依托单位). Read as the center's name only when it names one (it holds the
        scheme's center label, 分中心); else it is said why it was not, and the name stays missing."""
        ref = cells.header.get(REPORTING_UNIT)
        if ref is None:
            return None
        raw = as_text(_at(grid, *ref))
        value = _COLON.split(raw, maxsplit=1)[1].strip() if _inline_label(raw) == "填报单位" else raw
        if not value:
            return None
        label = self.scheme.center_label
        fields = {"raw": raw, "value": value, "field": self.layout.header_labels["center_name"]}
        if label and normalise_name(label) in normalise_name(value):
            return "header-reporting-unit", ref, fields
        return "header-reporting-unit-unclear", ref, {**fields, "center_label": label or "单位"}

    def _how_found(
        self, recognised: str, meta: dict[str, str] | None, sheet: str, grid: list[list], where: _Where
    ) -> Finding:
        """Why the table was not read where the template put it: filled in a copy of the sheet, or found by
        its labels (_labels_finding)."""
        if recognised == "copy":
            return Finding.make("sheet-copy-filled", **where.at(""), template_sheet=self.layout.sheet)
        return self._labels_finding(meta, sheet, grid, where)

    def _labels_finding(
        self, meta: dict[str, str] | None, sheet: str, grid: list[list], where: _Where
    ) -> Finding:
        """Why the table was found by its labels: not our template (no _meta); our template whose data sheet
        was only renamed (its labels where the template put them: the same cells are read, a 提示); else
        our template with rows or columns inserted or deleted."""
        fields = {"file": where.file, "sheet": sheet, "center": where.center}
        if meta is None:
            return Finding.make("recognised-by-labels", **fields)
        if sheet != self.layout.sheet and _labels_in_place(grid, self.expected):
            return Finding.make("sheet-renamed", template_sheet=self.layout.sheet, **fields)
        return Finding.make("layout-tampered", **fields)

    def _locate(
        self, book: Book, names: list[str], meta: dict[str, str] | None, display: str
    ) -> tuple[str, list[list], Cells, str] | Finding:
        """(sheet, grid, cells, how recognised) of the data table: where the template put it, when `_meta`
        says this is our layout and the labels are still there (rows inserted or deleted in Excel leave
        _meta untouched); else found by its labels; else the not-template finding."""
        lay = self.layout
        if meta is not None and meta.get("fingerprint") == lay.fingerprint and lay.sheet in names:
            grid = book.grid(lay.sheet)
            if _labels_in_place(grid, self.expected):
                copied = self._filled_copy(book, names, grid)
                if copied is not None:  # the form's sheet left blank, a copy of it (考核指标 (2)) filled
                    return (*copied, "copy")
                return lay.sheet, grid, self.positions, "meta"
        found = self._find_by_labels(book, names)
        if found is None:
            return Finding.make("not-template", file=display, detail=self._why_no_table(book, names))
        return (*found, "labels")

    def _values(
        self,
        grid: list[list],
        cells: Cells,
        formulas: dict[Cell, Formula],
        where: _Where,
        findings: list[Finding],
        looks: _Looks,
    ) -> dict[str, CellValue]:
        values: dict[str, CellValue] = {}
        percent, covered = looks.percent, looks.covered
        for ind in self.scheme.self_indicators:
            ref = cells.value.get(ind.id)
            if ref is None:
                values[ind.id] = CellValue(ind.id, "", None, where.sheet, "", True)
                findings.append(self._row_missing(ind, cells, where))
                continue
            if ref in covered:  # merged into the cell above or beside: what it holds is not seen
                raw = as_text(_at(grid, *ref))
                values[ind.id] = CellValue(ind.id, raw, None, where.sheet, a1(*ref), True)
                findings.append(
                    Finding.make_typed(
                        "value-merged",
                        raw,
                        **where.at(a1(*ref)),
                        indicator=ind.id,
                        label=ind.label,
                        merged=covered[ref],
                        raw=raw or "（未填写）",
                    )
                )
                continue
            other = _other_unit_beside(grid, ref, ind.unit)
            if other is not None:  # 5000000 | 元 where the row counts 万元: which amount is meant, not told
                values[ind.id] = CellValue(
                    ind.id, as_text(_at(grid, *ref)), None, where.sheet, a1(*ref), True
                )
                findings.append(self._wrong_unit(ind, *other, where))
                continue
            raw = _at(grid, *ref)
            if ref in percent and isinstance(raw, int | float) and not isinstance(raw, bool):
                values[ind.id], finding = _percentage(ind, raw, a1(*ref), where)
                findings.append(finding)
                continue
            cv, found_here = self._read_value(ind, raw, a1(*ref), where, formulas.get(ref))
            values[ind.id] = cv
            findings.extend(_beside(found_here, grid, ref, ind))
        return values

    def _below(self, rows: list[list]) -> Cells:
        """_table_cells of the rows under a template's table, memoised: they are the template's own (totals,
        notes, signature lines) in nearly every file. Cells is only read by the caller, never changed.

        The key is the rows' shape: their texts, and each number by its type only (int or float). Cells holds
        positions, never values, and _table_cells reads a number only as "a number is there" (the figures
        under the template's table, its sanity checks' cached results, differ in every file)."""
        try:
            key = tuple(tuple(v.__class__ if v.__class__ in _NUMBERS else v for v in row) for row in rows)
            found = self.tails.get(key)
        except TypeError:  # an unhashable value: no reader of ours returns one, but never fail on it
            return _table_cells(rows, self.index)
        if found is None:
            found = _table_cells(rows, self.index)
            if len(self.tails) >= self.PARSED_MAX:
                self.tails.clear()
            self.tails[key] = found
        return found

    def _why_no_table(self, book: Book, names: list[str]) -> str:
        """Why no table was found: no label of the scheme anywhere, or labels with no figure to their right
        (figures typed left of them, a label run together with its category: 科技信贷-入驻银行机构)."""
        instructions = self.layout.instructions_sheet
        for name in names:
            if name in (META_SHEET, instructions):
                continue
            for row in book.grid(name):
                if any(isinstance(v, str) and _label_lookup(self.index.labels, _strip_label(v)) for v in row):
                    return f"工作表“{name}”中有指标名称，但指标名称右边没有填写数字：数字应填在指标名称右边的一列"
        return "文件中没有填报表，也找不到任何指标名称"

    def _other_tables(
        self, book: Book, names: list[str], sheet: str, grid: list[list], cells: Cells, by_labels: bool
    ) -> Iterator[_Copy]:
        """The copies of the table besides the one read, as indicator -> value typed, with how to name a cell
        of each: a row or a table pasted again on its sheet, and the sheet copied (考核指标 (2)) where the
        clerk may have typed the final figures. A plain template has neither, and costs the few rows under
        it (a row repeated inside the table moves the labels below it, so only a table found by its labels
        can hold one)."""
        if by_labels:  # the sheet without the rows read: the labels found again, wherever they are
            read = {r for r, _ in cells.value.values()}
            again, offset = (
                _table_cells([[] if r in read else row for r, row in enumerate(grid)], self.index),
                0,
            )
        else:
            offset = max((r for r, _ in cells.value.values()), default=len(grid)) + 1
            again = self._below(grid[offset:])
        if again.value:
            yield _Copy(_typed(grid, again, offset), lambda ref: f"同一工作表的 {a1(*ref)} 单元格")
        instructions = self.layout.instructions_sheet
        for name in names:
            if name in (sheet, META_SHEET, instructions):
                continue
            other = book.grid(name)
            copy = _table_cells(other, self.index)
            if copy.value:
                kind = (
                    "隐藏的工作表" if book.hidden(name) else "工作表"
                )  # else the clerk looks for it in vain
                yield _Copy(
                    _typed(other, copy, 0),
                    lambda ref, name=name, kind=kind: f"{kind}“{name}”的 {a1(*ref)} 单元格",
                    name,
                    other,
                    copy,
                )

    def _compared(
        self, values: dict[str, CellValue], header: dict[str, str], copy: _Copy, where: _Where
    ) -> Iterator[Finding]:
        """The findings of another table of the form in the workbook: its figures against the ones read, or,
        on a sheet whose header names another center, that it is not this center's and was not read."""
        elsewhere = copy.sheet and _another_center(header, self._header(copy.grid, copy.cells)[0])
        if elsewhere:
            yield Finding.make(
                "sheet-other-center", **where.at(""), other_sheet=copy.sheet, other_center=elsewhere
            )
        else:
            yield from self._conflicts(values, copy.typed, copy.place, where)

    def _conflicts(
        self,
        values: dict[str, CellValue],
        other: dict[str, tuple[Cell, object]],
        place: Callable[[Cell], str],
        where: _Where,
    ) -> Iterator[Finding]:
        """An error for each figure a copy of the table gives otherwise than the table read: which one the
        clerk meant cannot be told, so neither is used (a blank in the copy is no figure)."""
        for ind in self.scheme.self_indicators:
            if ind.id not in other or ind.id not in values:
                continue
            ref, raw = other[ind.id]
            cv, typed = values[ind.id], as_text(raw)
            if typed in ("", cv.raw) or (not cv.error and self._parse(ind, raw)[1].value == cv.value):
                continue
            values[ind.id] = cv._replace(value=None, error=True)
            there = {"other": typed, "other_place": place(ref)}
            yield Finding.make_typed(
                "value-conflict",
                cv.raw,
                **where.at(cv.cell),
                indicator=ind.id,
                label=ind.label,
                raw=cv.raw or "（未填写）",  # the copy holds the figure the table read left blank
                **there,
            )

    def _row_missing(self, ind: Indicator, cells: Cells, where: _Where) -> Finding:
        lay = self.layout
        if ind.id in cells.other_unit:
            return self._wrong_unit(ind, *cells.other_unit[ind.id], where)
        if cells.columns and ind.id not in cells.ambiguous:
            return Finding.make(
                "value-column-ambiguous",
                file=where.file,
                sheet=where.sheet,
                cell=a1(*cells.columns[0][0]),
                center=where.center,
                indicator=ind.id,
                label=ind.label,
                columns="、".join(f"{a1(*ref)}“{text}”" for ref, text in cells.columns),
                value_header=lay.columns[lay.value_col],
                year=self.scheme.year,
            )
        twice = cells.ambiguous.get(ind.id)
        return Finding.make(
            "value-row-ambiguous" if twice else "value-row-missing",
            file=where.file,
            sheet=where.sheet,
            cell=a1(*twice[0]) if twice else "",
            cells="、".join(a1(*ref) for ref in twice or ()),
            center=where.center,
            indicator=ind.id,
            label=ind.label,
            category=ind.category,
            categories="、".join(
                i.category
                for i in self.scheme.self_indicators
                if _strip_label(i.label) == _strip_label(ind.label)
            ),
            value_header=lay.columns[lay.value_col],
        )

    def _wrong_unit(self, ind: Indicator, ref: Cell, written: str, where: _Where) -> Finding:
        """value-row-unit: the unit written at `ref` (after the label, or beside the figure) is not the row's."""
        return Finding.make(
            "value-row-unit",
            file=where.file,
            sheet=where.sheet,
            cell=a1(*ref),
            center=where.center,
            indicator=ind.id,
            label=ind.label,
            written=written,
            unit=ind.unit,
        )

    def _read_value(
        self, ind: Indicator, raw: object, cell: str, where: _Where, formula: Formula | None
    ) -> tuple[CellValue, list[Finding]]:
        """One input cell -> CellValue and its findings (a typed formula is judged by its cached value)."""
        sheet = where.sheet
        if formula is None:
            raw_text, parsed = self._parse(ind, raw)
            if not parsed.code:  # the common case: a clean value, nothing to report
                return CellValue(ind.id, raw_text, parsed.value, sheet, cell, parsed.value is None), []
        base = {"file": where.file, "sheet": sheet, "cell": cell, "center": where.center, "indicator": ind.id}
        label = ind.label  # as the template's row prints it (input_label is only the input cell's prompt)
        if formula is not None:
            raw_text = f"={formula[0]}" if formula[0] else formula[2]  # (an .xls keeps no formula text)
            finding = unusable_formula(formula, raw_text, label=label, **base)
            if finding is not None:
                return CellValue(ind.id, raw_text, None, sheet, cell, True), [finding]
            parsed = self._parse(ind, raw)[1]
        findings: list[Finding] = []
        error = False
        if parsed.code:
            finding = parsed_finding(
                parsed,
                ind,
                raw,
                raw_text,
                label=label,
                file=where.file,
                sheet=sheet,
                cell=cell,
                center=where.center,
            )
            findings.append(finding)
            error = finding.severity is Severity.ERROR
        if formula is not None and not error:
            shown = "" if parsed.value is None else as_text(parsed.value)
            code = "formula-external" if _EXTERNAL_REFERENCE.search(raw_text) else "formula-cached"
            findings.append(
                Finding.make_typed(code, raw_text, label=label, raw=raw_text, value=shown, **base)
            )
        value = None if error else parsed.value
        return CellValue(ind.id, raw_text, value, sheet, cell, error or value is None), findings

    def _parse(self, ind: Indicator, raw: object) -> tuple[str, Parsed]:
        """(as_text(raw), parse_value(raw, ...)) for an indicator, memoised: a batch's clerks type the same
        figures over and over, and both functions are pure. The key holds the value's type (1, 1.0 and True
        differ) and the indicator's id, which decides every parse argument: the memo lives and dies with this
        reader, whose scheme (frozen) never changes."""
        key = (raw.__class__, raw, ind.id)
        if raw.__class__ is float and raw == 0:
            key += (str(raw),)  # -0.0 == 0.0, but the clerk's "-0" is shown as typed
        try:
            found = self.parsed.get(key)
        except TypeError:  # an unhashable value: no reader of ours returns one, but never fail on it
            return _parse_now(ind, raw)
        if found is None:
            found = _parse_now(ind, raw)
            if len(self.parsed) >= self.PARSED_MAX:
                self.parsed.clear()
            self.parsed[key] = found
        return found

    def _filled_copy(
        self, book: Book, names: list[str], grid: list[list]
    ) -> tuple[str, list[list], Cells] | None:
        """Another sheet holding the table with figures, when the template's own sheet is left blank (not one
        figure, no name, no code): the clerk copied the sheet and filled the copy. None otherwise."""
        cells = self.positions
        own = [*cells.value.values(), *(ref for f, ref in cells.header.items() if f in _WHO)]
        if any(_at(grid, *ref) is not None for ref in own):
            return None
        copied = self._find_by_labels(book, [n for n in names if n != self.layout.sheet])
        if copied is None or all(_at(copied[1], *ref) is None for ref in copied[2].value.values()):
            return None
        return copied

    def _find_by_labels(self, book: Book, names: list[str]) -> tuple[str, list[list], Cells] | None:
        """The data table among the sheets, found by its seed labels: the sheet the scheme names first, then
        any other, but only where the labels have a value column beside them (a 填报数/数量 header above them,
        else the one column where their neighbours hold numbers). The instructions sheet, which repeats every
        label beside its help text, is never it."""
        lay = self.layout
        instructions = self.layout.instructions_sheet
        ordered = [n for n in names if n == lay.sheet] + [
            n for n in names if n not in (lay.sheet, META_SHEET, instructions)
        ]
        best: tuple[int, str, list[list], Cells] | None = None
        for name in ordered:
            grid = book.grid(name)
            cells = _table_cells(grid, self.index)
            # figures in several columns with nothing telling this year's: the table, its rows not read
            found = len(cells.value) or len(cells.columns)
            if found and (best is None or found > best[0]):
                best = (found, name, grid, cells)
                if name == lay.sheet:
                    break  # the sheet the template names holds the table: no other is looked at
        return None if best is None else best[1:]


# a formula's reference to another workbook: Excel's [1]Sheet!A1 or '[1]Sheet 1'!A1 (an external link; not a
# table's column 表1[2017]), a path's [book.xlsx]Sheet!A1, LibreOffice's 'file:///…/x.xlsx'#$Sheet.A1
_EXTERNAL_REFERENCE = re.compile(
    r"(?:^|[=(,;+\-*/&^<>:\s'])\[\d+\][^\[\]!()]*!|'?file://|\.(?:xls[xmb]?|ods)\]|\.(?:xls[xmb]?|ods)'?#",
    re.IGNORECASE,
)
_WHO = ("center_name", "center_code")  # header fields that say whose form a sheet is


@dataclass(frozen=True)
class _Looks:
    """How the value cells look, beside what they hold: shown as a percentage; covered by a merged range
    (the cell -> the range), which hides what they hold."""

    percent: set[Cell]
    covered: dict[Cell, str]


@dataclass(frozen=True)
class _Copy:
    """Another table of the form in the workbook: its figures (indicator -> cell and value) and how to name
    one of its cells; on a sheet of its own, that sheet's name, grid and cells (its header tells whose it is)."""

    typed: dict[str, tuple[Cell, object]]
    place: Callable[[Cell], str]
    sheet: str = ""
    grid: list[list] = field(default_factory=list)
    cells: Cells = field(default_factory=Cells)


def _another_center(header: dict[str, str], other: dict[str, str]) -> str:
    """The center another table's header names when it is not the one of the table read (by code where both
    give one, else by name), as its header says it; "" when it is the same or cannot be told."""
    # compared as center_key compares them (full-width, case and spaces aside)
    mine = (normalise_name(header.get("center_code", "")), normalise_name(header.get("center_name", "")))
    theirs = (normalise_name(other.get("center_code", "")), normalise_name(other.get("center_name", "")))
    if mine[0] and theirs[0]:
        differs = mine[0] != theirs[0]
    else:
        differs = bool(mine[1] and theirs[1] and mine[1] != theirs[1])
    if not differs:
        return ""
    return "、".join(
        x for x in (other.get("center_name", "").strip(), other.get("center_code", "").strip()) if x
    )


@dataclass(frozen=True)
class _Where:
    """Where the values of one submission are, for its findings."""

    file: str
    sheet: str
    center: str

    def at(self, cell: str) -> dict[str, str]:
        """The fields of a finding on one cell of this submission."""
        return {"file": self.file, "sheet": self.sheet, "cell": cell, "center": self.center}


def _percentage(ind: Indicator, raw: float, cell: str, where: _Where) -> tuple[CellValue, Finding]:
    """A figure shown as a percentage (the clerk sees 100%, the cell holds 1): no count or amount is one, and
    what was meant (12 months? 1?) cannot be told, so it is an error, never read as the number it holds."""
    shown = f"{fmt_decimal(Decimal(repr(raw)) * 100)}%"
    finding = Finding.make_typed(
        "value-percent", shown, **where.at(cell), indicator=ind.id, label=ind.label, raw=shown, unit=ind.unit
    )
    return CellValue(ind.id, shown, None, where.sheet, cell, True), finding


def _beside(found: list[Finding], grid: list[list], ref: Cell, ind: Indicator) -> list[Finding]:
    """An empty value cell's findings, with a figure typed elsewhere on its row named: one cell to its right (in
    the unit column, the protection removed), further right (over the 预计得分 formula, in 备注 or 填报提示) or
    just left of it (over 分值). The clerk meant it, but which cell holds the figure is the clerk's to fix, so it
    is never used; the error says where it is and to move it, instead of only "未填写"."""
    if len(found) != 1 or found[0].code != "value-missing":
        return found
    row, col = ref
    place = _figure_in_row(grid, row, col)
    if place is None:
        return found
    missing = found[0]
    fields = {"file": missing.file, "sheet": missing.sheet, "center": missing.center}
    return [
        Finding.make(
            "value-beside" if place == col + 1 else "value-in-row",
            **fields,
            cell=missing.cell,
            indicator=ind.id,
            label=ind.label,
            beside=a1(row, place),
            raw=as_text(_at(grid, row, place)),
        )
    ]


def _figure_in_row(grid: list[list], row: int, col: int) -> int | None:
    """The column of a figure on `row` outside its value cell: the first to its right, else the one just left
    of it when nothing but empty cells stands between (the label, the standard, 分值 0-10 end the search)."""
    width = len(grid[row]) if row < len(grid) else 0
    right = next((c for c in range(col + 1, width) if _numeric_like(_at(grid, row, c))), None)
    if right is not None:
        return right
    left = next((c for c in range(col - 1, -1, -1) if as_text(_at(grid, row, c))), None)
    return left if left is not None and _numeric_like(_at(grid, row, left)) else None


def _other_unit_beside(grid: list[list], ref: Cell, own: str) -> tuple[Cell, str] | None:
    """A unit written beside a figure (the cell to its right, the unit column; or between it and its label)
    that is not the row's own unit nor one of the same meaning: its cell and the unit; None when there is
    none (a note, a number, nothing) or it agrees."""
    row, col = ref
    if not own or row >= len(grid):
        return None
    cells = grid[row]
    beside = [col + 1] if col + 1 < len(cells) else []
    for left in range(
        min(col, len(cells)) - 1, -1, -1
    ):  # back to the first filled cell: the label, or a unit
        if cells[left] not in ("", None):
            beside.append(left)
            break
    for c in beside:
        value = cells[c]
        written = _unit_text(value) if isinstance(value, str) else ""
        if written and not unit_agrees(written, normalise_name(own)):
            return (row, c), value.strip()
    return None


@functools.lru_cache(maxsize=1024)
def _unit_text(text: str) -> str:
    """A cell's text as a unit ("元", "（元）", "单位：万元" -> 元, 元, 万元), or "" when it is not one."""
    unit = normalise_name(text).strip("()").removeprefix("单位").lstrip(":")
    return unit if known_unit(unit) else ""


def _typed(grid: list[list], cells: Cells, offset: int) -> dict[str, tuple[Cell, object]]:
    """indicator -> (cell on the sheet, value) of a table found `offset` rows down the sheet's grid."""
    out = {}
    for ind, (r, c) in cells.value.items():
        out[ind] = ((r + offset, c), _at(grid, r + offset, c))
    return out


def _parse_now(ind: Indicator, raw: object) -> tuple[str, Parsed]:
    return screen_text(raw, ind.type), parse_value(
        raw, type=ind.type, places=ind.places, maximum=ind.max, minimum=ind.min, unit=ind.unit
    )


def read_submission(path: Source, display: str, scheme: Scheme) -> Outcome:
    """One file read on its own (a run reads many through one SubmissionReader, sharing its memos)."""
    return SubmissionReader(scheme).read(path, display)


def _size_and_time(path: Path | ArchiveMember) -> tuple[int | None, datetime | None]:
    """A file's size and modification time (what decides between duplicates when the workbooks carry no saved
    time); None, None when it cannot be looked at (the guarded open then says why)."""
    try:
        if isinstance(path, ArchiveMember):
            return path.size, path.modified
        stat = path.stat()
    except OSError:
        return None, None
    try:
        return stat.st_size, datetime.fromtimestamp(stat.st_mtime)
    except (ValueError, OverflowError, OSError):
        return stat.st_size, None


# ---------------------------------------------------------------------------------------------- _meta


def _meta_refusal(meta: dict[str, str], scheme: Scheme, display: str) -> Finding | None:
    """Why a workbook with `_meta` is not a submission of this scheme (a ranking, an assessor's table, another
    scheme's template); None when it is one."""
    kind = meta.get("kind", "submission")
    if kind == "ranking":
        return Finding.make("ranking-workbook", file=display)
    if kind in OUTPUT_KINDS:
        what = OUTPUT_KINDS[kind]
        if kind == "payment":  # by the title the scheme gives it (奖励资金拨付清单)
            what = scheme.publish.get("payment_title") or what
        return Finding.make("own-output", file=display, what=what)
    if kind and kind != "submission":
        what = {"assessment": "考核方评价表", "review": "评审表"}.get(kind, f"“{kind}”表")
        return Finding.make("not-submission", file=display, what=what)
    if not same_form(meta, scheme):
        # a clerk knows the assessment by its title, not by the scheme's id
        actual, expected = other_scheme_names(meta["scheme_id"], scheme)
        return Finding.make("wrong-scheme", file=display, actual=actual, expected=expected)
    return None


def _meta_notes(meta: dict[str, str], display: str) -> list[Finding]:
    version = meta.get("template_version", "")
    if not _version_older(version, TEMPLATE_VERSION):
        return []
    return [
        Finding.make(
            "old-template-version", file=display, actual=version or "（未知）", expected=TEMPLATE_VERSION
        )
    ]


def _version_older(actual: str, expected: str) -> bool:
    def key(v: str) -> tuple:
        return tuple(int(p) if p.isdigit() else 0 for p in re.split(r"[.\-]", v.strip() or "0"))

    try:
        return key(actual) < key(expected)
    except ValueError:
        return actual != expected


def _year(value: object) -> int | None:
    """A submission's year, typed or in `_meta`: the one year parser, within the years a template can carry."""
    return parse_year(value, earliest=1990, latest=2100)


# ---------------------------------------------------------------------------------------------- positions


def _positions(lay: Layout) -> Cells:
    """The header and value cells where the template puts them."""
    return Cells(
        header={f: (r, lay.header_value_col) for f, r in lay.header_rows.items()},
        value={i: (r, lay.value_col) for i, r in lay.rows.items()},
    )


def _expected_labels(lay: Layout, scheme: Scheme) -> dict[Cell, frozenset[str]]:
    """Label cell -> the texts accepted there: each label normalised (what a cell is compared with) and as
    written (a shortcut: a cell equal to it normalises to the same; _strip_label is idempotent). The labels
    depend on the scheme's input_label too, which the layout's fingerprint does not cover."""
    found: dict[Cell, frozenset[str]] = {}
    for ind in scheme.self_indicators:
        texts = [t for t in (ind.label, ind.input_label) if t]
        found[(lay.rows[ind.id], lay.label_col)] = frozenset({*texts, *map(_strip_label, texts)})
    for fld, row in lay.header_rows.items():
        text = lay.header_labels[fld]
        found[(row, lay.header_label_col)] = frozenset({text, _strip_label(text)})
    # the value column's header too: a column inserted left of it (上年数) moves the figures right while
    # every label stays where it was, and the template's cells would read last year's figures
    head = lay.columns[lay.value_col]
    found[(lay.table_header_row, lay.value_col)] = frozenset({head, _strip_label(head)})
    return found


def _labels_in_place(grid: list[list], expected: dict[Cell, frozenset[str]]) -> bool:
    for (r, c), accepted in expected.items():
        row = grid[r] if r < len(grid) else ()
        cell = row[c] if c < len(row) else None
        # a label as the template wrote it is found as it is; anything else is compared normalised (a label
        # with its value typed after it, 分中心名称：崂山…, is still the label where the template put it)
        if cell.__class__ is not str or (
            cell not in accepted
            and _strip_label(cell) not in accepted
            and _inline_label(cell) not in accepted
        ):
            return False
    return True


_COLON = re.compile(r"[:：]")


def _inline_label(text: object) -> str:
    """'分中心名称：崂山分中心' -> '分中心名称' (normalised): the label of a cell a clerk typed label and value
    into; '' when the cell is not one (no colon, or nothing after it)."""
    if text.__class__ is not str:
        return ""
    parts = _COLON.split(text, maxsplit=1)
    return _strip_label(parts[0]) if len(parts) == 2 and parts[1].strip() else ""


def _inline_header(
    grid: list[list], header_cells: dict[str, Cell], header: dict[str, str], index: LabelIndex
) -> dict[str, tuple[Cell, str]]:
    """field -> (cell, value) of each header field typed as one cell, label and value together (分中心名称：
    崂山分中心), its own value cell empty: the cell itself or one left of it in its row. Only where the label
    before the colon is that field's, so nothing else is ever read as a name or a code."""
    out = {}
    for fld, (r, c) in header_cells.items():
        value = header[fld]
        if value and index.headers.get(_inline_label(value)) != fld:
            continue
        row = grid[r] if r < len(grid) else ()
        for k in range(min(c, len(row) - 1), -1, -1):
            if index.headers.get(_inline_label(row[k])) == fld:
                out[fld] = ((r, k), _COLON.split(row[k], maxsplit=1)[1].strip())
                break
    return out


def _at(grid: list[list], row: int, col: int) -> object:
    if row < len(grid):
        r = grid[row]
        if col < len(r):
            v = r[col]
            return None if v == "" else v
    return None


# ---------------------------------------------------------------------------------------------- labels


# A pure function of its text (normalise_name is pure), so remembering it cannot change a result; it is the
# hottest call of the label comparisons, and the texts of one template repeat in every file.
@functools.lru_cache(maxsize=8192)
def _strip_label(text: str) -> str:
    return normalise_name(text).rstrip(":：*").translate(_LIST_COMMAS)


# 路演、培训 retyped as 路演,培训 or 路演；培训 (NFKC has made the full-width ones half-width)
_LIST_COMMAS = str.maketrans({",": "、", ";": "、"})


_TRAILING_BRACKET = re.compile(r"\(([^()]*)\)$")


def _label_keys(text: str, unit: str) -> tuple[set[str], ...]:
    """The normalised forms a retyped label may take, most exact first: as printed; without its trailing
    unit, and with the unit after it ("入驻银行机构", "人员配备（名）"); with a count unit that means the same
    ("人员配备（人）" for 名). Widths, brackets, spaces and list commas don't matter."""
    key = _strip_label(text)
    bare = _without_unit(key)
    own = _strip_label(unit)
    derived = {bare, f"{bare}({own})"} if own else {bare}
    return {key}, derived, {f"{bare}({u})" for u in SAME_UNITS.get(own, ())}


def _without_unit(key: str) -> str:
    return _TRAILING_BRACKET.sub("", key) if key.endswith(")") else key


def _bare_label(text: str) -> str:
    """A normalised label without a leading "1." and without its trailing bracket."""
    return _without_unit(_NUMBERING.sub("", text))


_NUMBERING = re.compile(r"^(?:\(?[一二三四五六七八九十\d]{1,3}[).、]|\([一二三四五六七八九十\d]{1,3}\))")


def _label_lookup(labels: dict[str, list[Indicator]], text: str) -> list[Indicator]:
    """The indicators a label cell names: its text normalised, else without a leading "1." or "（一）", else
    without a trailing "(单位：…)"."""
    found = labels.get(text)
    if found is None and _NUMBERING.match(text):
        text = _NUMBERING.sub("", text)
        found = labels.get(text)
    if found is None and text.endswith(")"):
        unit = _TRAILING_BRACKET.search(text)
        if unit is not None and unit.group(1).startswith(("单位:", "单位")):
            found = labels.get(f"{text[: unit.start()]}({unit.group(1).split(':')[-1].removeprefix('单位')})")
    return found or []


# 填报单位 in a clerk's own table: not a header field of ours, read as the center's name only where it names one
REPORTING_UNIT = "reporting_unit"


def _label_index(scheme: Scheme, lay: Layout) -> LabelIndex:
    # a key names the indicators of its most exact kind: a label as one row prints it wins over another
    # row's label without its unit, and that over a unit of the same meaning
    labels: dict[str, list[Indicator]] = {}
    keys = {
        ind.id: [_label_keys(text, ind.unit) for text in {ind.label, ind.input_label} - {""}]
        for ind in scheme.self_indicators
    }
    for level in range(3):
        here: dict[str, list[Indicator]] = {}
        for ind in scheme.self_indicators:
            for key in set().union(*(kinds[level] for kinds in keys[ind.id])) - {""}:
                here.setdefault(key, []).append(ind)
        for key, inds in here.items():
            labels.setdefault(key, inds)
    headers = {_strip_label(text): fld for fld, text in lay.header_labels.items()}
    headers.setdefault(_strip_label("考核年度"), "report_year")
    headers.setdefault(_strip_label("评估年度"), "report_year")
    headers.setdefault(_strip_label("名称"), "center_name")
    headers.setdefault(_strip_label("填报单位"), REPORTING_UNIT)
    categories = frozenset(_strip_label(ind.category) for ind in scheme.self_indicators)
    value_headers = frozenset(
        _strip_label(h) for h in (scheme.submission.get("value_header", ""), *VALUE_HEADERS) if h
    )
    bare: dict[str, list[Indicator]] = {}
    for ind in scheme.self_indicators:
        for key in {_bare_label(_strip_label(t)) for t in (ind.label, ind.input_label) if t}:
            bare.setdefault(key, []).append(ind)
    return LabelIndex(labels, headers, categories, value_headers, bare, scheme.year)


def _other_unit(text: str, r: int, c: int, index: LabelIndex, cells: Cells) -> None:
    """A label that names one indicator but another unit (撮合贷款金额（元）): remembered for its finding."""
    found = _TRAILING_BRACKET.search(text)
    unit = _unit_text(found.group(1)) if found else ""
    if not unit:
        return
    inds = index.bare.get(_bare_label(text), [])
    if len(inds) == 1 and inds[0].unit and not unit_agrees(unit, normalise_name(inds[0].unit)):
        cells.other_unit.setdefault(inds[0].id, ((r, c), unit))


def _numeric_like(value: object) -> bool:
    if value is None or isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    if isinstance(value, datetime | date):
        return False
    parsed = parse_value(value, type="decimal", places=6, minimum=Decimal("-1e18"))
    # a figure with some unit after it is still the figure of a table's value column
    return parsed.code in (
        "",
        "value-text-number",
        "value-normalised",
        "value-zero-word",
        "value-unit-wrong",
        "value-unit-converted",
    )


@dataclass(frozen=True)
class _Label:
    """An indicator's label found in a table: where, and the value header's column above it, if any."""

    indicator: str
    row: int
    col: int
    header_col: int | None


_NUMBERS = (int, float)  # a number's value never changes what _table_cells finds (bool is neither)


def _table_cells(grid: list[list], index: LabelIndex) -> Cells:
    """The header fields and the values of a table, when the sheet is one."""
    cells = Cells()
    found: list[_Label] = []
    value_col: int | None = None
    category = ""
    for r, row in enumerate(grid):
        texts = [_strip_label(v) if isinstance(v, str) else "" for v in row]
        here = next((c for c, t in enumerate(texts) if t in index.value_headers), None)
        if here is not None:
            value_col = here
        for t in texts:
            if t in index.categories:
                category = t
        for c, t in enumerate(texts):
            if t:
                _label_cell(row, r, c, t, category, value_col, index, cells, found)
    common = _figure_column(grid, [label for label in found if label.header_col is None], cells, index)
    for label in found:
        col = label.header_col if label.header_col is not None else common
        if col is not None and col > label.col:
            cells.value[label.indicator] = (label.row, col)
    return cells


def _figure_column(grid: list[list], labels: list[_Label], cells: Cells, index: LabelIndex) -> int | None:
    """Without a value header, the table's value column: where most labels have a number beside them. When
    most have several (a column a year, or 目标数 | 完成数), the one headed by the table's year (or the
    scheme's); with headers that say no such thing, none, and the columns are kept in `cells.columns` for
    the finding: the tool never guesses which column is this year's."""
    figures = {
        label: [k for k in range(label.col + 1, len(grid[label.row])) if _numeric_like(grid[label.row][k])]
        for label in labels
    }
    beside = Counter(cols[0] for cols in figures.values() if cols)
    if not beside:
        return None
    common = beside.most_common(1)[0][0]
    spans = Counter(tuple(cols) for cols in figures.values() if len(cols) > 1)
    if not spans or spans.most_common(1)[0][1] * 2 <= len(labels):
        return common
    columns = spans.most_common(1)[0][0]
    top = min(label.row for label in labels)
    heads = [_column_head(grid, top, col) for col in columns]
    if any(head is None for head in heads):  # a figure column without a header: as before, the first
        return common
    ref = cells.header.get("report_year")
    year = (_year(_at(grid, *ref)) if ref else None) or index.year
    years = [_year(text) if _YEAR_HEAD.fullmatch(text) else None for _, text in heads]
    if year is not None and years.count(year) == 1:
        return columns[years.index(year)]
    cells.columns.extend(heads)
    return None


_YEAR_HEAD = re.compile(r"\s*((19|20)\d{2})\s*(年度?)?(数据|数)?\s*")


def _column_head(grid: list[list], top: int, col: int) -> tuple[Cell, str] | None:
    """The nearest text above row `top` in a column (its header), with its cell; None when there is none."""
    for r in range(top - 1, -1, -1):
        value = _at(grid, r, col)
        if isinstance(value, str) and value.strip():
            return (r, col), value.strip()
        if isinstance(value, int | float) and not isinstance(value, bool) and 1990 <= value <= 2100:
            return (r, col), str(int(value))  # a year typed as a number
    return None


def _label_cell(
    row: list,
    r: int,
    c: int,
    text: str,
    category: str,
    value_col: int | None,
    index: LabelIndex,
    cells: Cells,
    found: list[_Label],
) -> None:
    """One non-empty cell of a table: a header field's label (its value is the next filled cell to the right),
    an indicator's label (remembered in `found`), or neither."""
    fld = index.headers.get(text)
    inline = index.headers.get(_inline_label(row[c]))
    if (
        inline and not fld and inline not in cells.header
    ):  # 分中心名称：崂山分中心, label and value in one cell
        cells.header[inline] = (r, c)
        return
    if fld and fld not in cells.header:
        cells.header[fld] = (r, next((k for k in range(c + 1, len(row)) if row[k] != ""), c + 1))
        return
    inds = _label_lookup(index.labels, text)
    if not inds and text.endswith(")"):
        _other_unit(text, r, c, index, cells)
    if len(inds) > 1:
        same = [i for i in inds if _strip_label(i.category) == category]
        if not same:  # 服务企业数量 with no 一级指标 above it: which one it is cannot be told
            for ind in inds:
                cells.ambiguous[ind.id] = (*cells.ambiguous.get(ind.id, ()), (r, c))
        inds = same
    if len(inds) != 1 or any(f.indicator == inds[0].id for f in found):
        return
    found.append(_Label(inds[0].id, r, c, value_col if value_col is not None and value_col > c else None))
