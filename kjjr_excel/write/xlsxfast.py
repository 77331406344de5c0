"""The one module that touches XlsxWriter's private internals, for speed; nothing else may.

Enabled only for the XlsxWriter versions it is tested with (TESTED_VERSIONS, checked at import against the
installed XlsxWriter's __version__); with any other version `ENABLED` is False and styles.Workbook takes the plain path
(public API only), which writes the same parts: tests/test_xlsxfast.py writes the golden workbooks both ways
and compares them unzipped, byte for byte.

What it changes, each for the same XML:
- the fit-to-page attributes are written by the sheet itself (_write_page_setup), so the plain path's copy of
  the whole package, to add them, is not needed;
- the package is deflated at the workbook's compresslevel (_store_workbook, XlsxWriter's ZipFile swapped for
  the length of that call) instead of the default level and then again;
- a style index (an int) is not passed through XlsxWriter's attribute escaping, which raises and catches a
  TypeError for it (_escape_attributes);
- a whole row of plain values (FastWorksheet.write_values, constant_memory only) is kept as it is given and
  turned into its XML in one pass when XlsxWriter writes the row out (_write_single_row), at the moment, in
  the column order and with the style indexes the cell-by-cell path would use. Only text that XlsxWriter
  writes unchanged, finite numbers and datetimes with a format take the one-pass path; any other cell of the
  row is handed to XlsxWriter's own _write_cell in its place, and a row the path cannot take at all (no
  constant_memory, a text too long, a value of another type) is left to the caller's public writes. The one
  pass is a single str.format of a template per kind of row (_Plan: the row's value types in its format
  sequences), built the first time such a row is written out;
- the rows of a large sheet may be written in a forked child while this process writes the other sheets
  (RowsApart), their XML then copied into the sheet's rows file: the same bytes, as the child writes them
  with the same code and gives no style index: the formats its rows use first are given theirs here before
  the fork, in the order the rows would give them (a child that would still give one sends nothing back).
"""

from __future__ import annotations

import functools
import itertools
import math
import operator
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

import xlsxwriter
from xlsxwriter import workbook as xlsxwriter_workbook
from xlsxwriter.format import Format
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import (
    CellBlankTuple,
    CellDatetimeTuple,
    CellNumberTuple,
    CellStringTuple,
    Worksheet,
)

from kjjr_excel.read import batch

TESTED_VERSIONS = ("3.3.1",)


def enabled_for(version: str) -> bool:
    """Whether the fast path may run with this XlsxWriter version."""
    return version in TESTED_VERSIONS


ENABLED = enabled_for(xlsxwriter.__version__)


# A text that XlsxWriter's inline-string path would change (control characters, its own _xHHHH_ escapes,
# non-characters, XML's & < >, a rich string) or mark xml:space="preserve" (leading or trailing white space);
# any other text is written as it is. A text that matches is written by XlsxWriter's own _write_cell.
_NOT_PLAIN = re.compile(r"[\x00-\x08\x0b-\x1f\ufffe\uffff&<>]|_x[0-9a-fA-F]{4}_|^\s|\s$")
# The same for a row's texts joined by newlines, a newline before the first and after the last: a text that
# starts or ends with white space puts it beside a newline. It may also find a text that is plain (a newline
# beside a blank inside one), which is then only written cell by cell; it never misses one that is not.
_NOT_PLAIN_JOINED = re.compile(r"[\x00-\x08\x0b-\x1f\ufffe\uffff&<>]|_x[0-9a-fA-F]{4}_|\n\s|\s\n")
_DATES = (datetime, date, time)

Formats = Sequence[Format | None]


@dataclass(frozen=True)
class _Row:
    row: int
    values: tuple[Any, ...]
    plan: _Plan  # its format sequences, and which cells it has
    strings: tuple[Any, ...]  # its texts (plan.strings of values), as write_values measured them


@dataclass
class _Plan:
    """How write_values writes a row whose values have these types, in these format sequences: the columns
    with a cell (`cells`: column and kind, in column order), and, from the first row written with it, the
    row's <c> elements as one str.format template (the style indexes in it, the texts and numbers its
    arguments). The format sequences are held, so their ids in the key cannot be reused."""

    texts: Formats
    numbers: Formats
    dates: Formats
    blanks: Formats | None
    cells: tuple[tuple[int, str], ...]
    strings: Callable[[Sequence[Any]], tuple[Any, ...]]  # the row's texts, in column order
    floats: Callable[[Sequence[Any]], tuple[Any, ...]]  # its numbers (int and float)
    arguments: Callable[[Sequence[Any]], tuple[Any, ...]]  # the values the template takes, in column order
    dated: tuple[int, ...]  # positions among the arguments that are dates (converted as XlsxWriter does)
    template: str = ""

    def format_of(self, col: int, what: str) -> Format:
        """The format of a cell of the plan, by its kind (text, number, date, blank)."""
        formats = {"text": self.texts, "number": self.numbers, "date": self.dates}.get(what, self.blanks)
        return formats[col]  # type: ignore[index,return-value]  # the plan holds only cells with a format


def _element(ref: str, xf: int, what: str, shown: str = "") -> str:
    """A <c> element as XlsxWriter's _write_cell writes one in constant_memory mode: blank, inline text
    (`shown` as it is), or a number (`shown` already in %.16G)."""
    if what == "blank":
        return f'<c r="{ref}" s="{xf}"/>'
    if what == "text":
        return f'<c r="{ref}" s="{xf}" t="inlineStr"><is><t>{shown}</t></is></c>'
    return f'<c r="{ref}" s="{xf}"><v>{shown}</v></c>'


def _getter(columns: Sequence[int]) -> Callable[[Sequence[Any]], tuple[Any, ...]]:
    """values -> the values at `columns`, always as a tuple."""
    if not columns:
        return lambda values: ()
    if len(columns) == 1:
        col = columns[0]
        return lambda values: (values[col],)
    return operator.itemgetter(*columns)


class FastWorksheet(Worksheet):
    _pending: _Row | None = None  # the row write_values took, until XlsxWriter writes the row out
    _plans: dict[tuple, _Plan | None] | None = None  # by the row's value types and format sequences
    _columns: tuple[str, ...] = ()  # column letters, A onwards, as many as the widest row so far
    PLANS_MAX = 64

    def write_values(
        self,
        row: int,
        values: Sequence[Any],
        texts: Formats,
        numbers: Formats,
        dates: Formats,
        blanks: Formats | None = None,
    ) -> bool:
        """Write a row as write_string (str, in its column's format of `texts`), write_number (int and float,
        `numbers`), write_datetime (date and time, `dates`) and write_blank (None, `blanks`; no cell without
        blanks) would, and return True; False, with nothing written, when it must go through them instead."""
        if not self.constant_memory or row < self.previous_row or row >= self.xls_rowmax:
            return False
        if row == self.previous_row and (self.table.get(row) or self._pending is not None):
            return False
        plan = self._plan(values, texts, numbers, dates, blanks)
        if plan is None:  # a cell of another type, or with no format for its type
            return False
        if not plan.cells:
            return True
        strings = plan.strings(values)
        if max(map(len, strings), default=0) > 16383:  # a text the public call measures, and may cut
            return False
        if not all(map(math.isfinite, plan.floats(values))):  # NaN and infinity: write_number refuses them
            return False
        first, last = plan.cells[0][0], plan.cells[-1][0]
        if last >= self.xls_colmax:
            return False
        self._check_dimensions(row, first)
        self._check_dimensions(row, last)
        if row > self.previous_row:
            self._write_single_row(row)
        self._pending = _Row(row, tuple(values), plan, strings)
        return True

    def _plan(
        self, values: Sequence[Any], texts: Formats, numbers: Formats, dates: Formats, blanks: Formats | None
    ) -> _Plan | None:
        key = (tuple(map(type, values)), id(texts), id(numbers), id(dates), id(blanks))
        plans = self._plans
        if plans is None:
            plans = self._plans = {}
        elif key in plans:
            return plans[key]
        if len(plans) >= self.PLANS_MAX:
            plans.clear()
        cells: list[tuple[int, str]] = []
        plan: _Plan | None = None
        for col, kind in enumerate(key[0]):
            if kind is str and texts[col] is not None:
                cells.append((col, "text"))
            elif (kind is float or kind is int) and numbers[col] is not None:
                cells.append((col, "number"))
            elif kind is type(None):
                if blanks is not None and blanks[col] is not None:
                    cells.append((col, "blank"))
            elif issubclass(kind, _DATES) and dates[col] is not None:
                cells.append((col, "date"))
            else:
                break
        else:
            given = [col for col, what in cells if what != "blank"]
            plan = _Plan(
                texts,
                numbers,
                dates,
                blanks,
                tuple(cells),
                _getter([col for col, what in cells if what == "text"]),
                _getter([col for col, what in cells if what == "number"]),
                _getter(given),
                tuple(n for n, (_, what) in enumerate(c for c in cells if c[1] != "blank") if what == "date"),
            )
        plans[key] = plan
        return plan

    def _write_single_row(self, current_row_num: int = 0) -> None:
        pending, self._pending = self._pending, None
        if pending is None:
            super()._write_single_row(current_row_num)
            return
        if self.table.get(pending.row):  # cells written the public way into the same row: XlsxWriter merges
            self.table[pending.row] = {**self._cells(pending), **self.table[pending.row]}
            super()._write_single_row(current_row_num)
            return
        self.previous_row = current_row_num
        self._write_row(pending.row, None, self.row_info.get(pending.row))
        self._write_values(pending)
        self._xml_end_tag("row")
        self.table.clear()

    def _write_values(self, pending: _Row) -> None:
        """The <c> elements of a pending row, as _write_cell writes them in constant_memory mode: in one
        str.format of its plan's template when every text is plain, else cell by cell."""
        plan, texts = pending.plan, pending.strings
        if texts and _NOT_PLAIN_JOINED.search("\n" + "\n".join(texts) + "\n") is not None:
            self._write_cells(pending)
            return
        if not plan.template:
            plan.template = self._template(plan)
        arguments = plan.arguments(pending.values)
        if plan.dated:
            arguments = list(arguments)
            for n in plan.dated:
                arguments[n] = self._convert_date_time(arguments[n])
        self.fh.write(plan.template.format(str(pending.row + 1), *arguments))

    def _letters(self, plan: _Plan) -> tuple[str, ...]:
        """Column letters for every column of the plan's rows (A onwards), kept for the widest so far."""
        width = plan.cells[-1][0] + 1
        if len(self._columns) < width:
            self._columns = tuple(xl_col_to_name(c) for c in range(width))
        return self._columns

    def _template(self, plan: _Plan) -> str:
        """The <c> elements of a plan's cells, with {0} for the row number and {1}, {2}... for its values.
        The style indexes are asked for in column order, as _write_cell asks for them (a format's index is
        given at its first use)."""
        letters = self._letters(plan)
        out: list[str] = []
        given = 0
        for col, what in plan.cells:
            shown = ""
            if what != "blank":
                given += 1
                shown = f"{{{given}}}" if what == "text" else f"{{{given}:.16G}}"
            out.append(
                _element(f"{letters[col]}{{0}}", plan.format_of(col, what)._get_xf_index(), what, shown)
            )
        return "".join(out)

    def _write_cells(self, pending: _Row) -> None:
        """The <c> elements of a pending row one by one: plain text, numbers and blanks as _template writes
        them, any other cell (a text XlsxWriter changes, a date) through _write_cell itself."""
        plan, values, row = pending.plan, pending.values, pending.row
        letters, number = self._letters(plan), str(row + 1)
        out: list[str] = []
        for col, what in plan.cells:
            value = values[col]
            if what == "date" or (what == "text" and _NOT_PLAIN.search(value) is not None):
                self.fh.write("".join(out))
                out.clear()
                self._write_cell(row, col, self._cell(pending, col))
                continue
            shown = "" if what == "blank" else value if what == "text" else f"{value:.16G}"
            out.append(
                _element(f"{letters[col]}{number}", plan.format_of(col, what)._get_xf_index(), what, shown)
            )
        self.fh.write("".join(out))

    def _cell(self, pending: _Row, col: int) -> Any:
        """One cell of a pending row as the public write would have stored it in XlsxWriter's row table."""
        value, plan = pending.values[col], pending.plan
        kind = value.__class__
        if kind is str:
            return CellStringTuple(value, plan.texts[col])
        if kind is float or kind is int:
            return CellNumberTuple(value, plan.numbers[col])
        if value is None:
            return CellBlankTuple(plan.blanks[col])  # type: ignore[index]  # a blank with a format
        return CellDatetimeTuple(self._convert_date_time(value), plan.dates[col])

    def _cells(self, pending: _Row) -> dict[int, Any]:
        """The plan's cells of a pending row, as the public writes would have stored them."""
        return {col: self._cell(pending, col) for col, _ in pending.plan.cells}

    def _escape_attributes(self, attribute: Any) -> Any:
        if attribute.__class__ is int:  # XlsxWriter returns an int unchanged, after a caught TypeError
            return attribute
        return super()._escape_attributes(attribute)

    def _write_page_setup(self) -> None:
        if not self.fit_page:
            super()._write_page_setup()
            return
        write = self._xml_empty_tag

        def tag(name: str, attributes: list[tuple[str, Any]] | None = None) -> None:
            if name == "pageSetup":  # as styles._explicit_setup puts them: after paperSize, else first
                attributes = list(attributes or [])
                present = {key for key, _ in attributes}
                extra = [(k, 1) for k in ("fitToWidth", "fitToHeight") if k not in present]
                at = 1 if attributes and attributes[0][0] == "paperSize" else 0
                attributes[at:at] = extra
            write(name, attributes)

        self._xml_empty_tag = tag
        try:
            super()._write_page_setup()
        finally:
            del self._xml_empty_tag


@dataclass(frozen=True)
class _RowsXml:
    """What a sheet's rows came to in a child (RowsApart): their XML, in a file of the workbook's scratch
    folder (as flat in memory as the sheet's own rows file), and the sheet's state after them."""

    xml: str  # the file's path
    last: int  # what the writing returned (the last row written)
    dimensions: tuple[int | None, int | None, int | None, int | None]  # rows min, max, columns min, max
    previous_row: int


class RowsApart:
    """The rows of constant_memory sheets written in forked children while this process writes the other
    sheets (start), then put in their place (finish), the same XML as if written here in turn.

    A sheet is handed over only when it is large (MIN_ROWS), there is a core to spare (jobs), the platform
    forks (batch.fork_call) and its header rows are the only ones written. The child writes the rows as this
    process would, into a file of the workbook's scratch folder instead of the sheet's rows file, and that
    file is copied into the rows file at finish. A style index is given at a format's first use; the caller
    says which formats its rows use (`uses`), and they are given theirs here, in that order, before the fork.
    A child that would still give one (a format it was not told of) sends nothing back: those rows, like
    those of a child that failed, are written here at finish, in a valid file whose style indexes may then
    be numbered in another order."""

    MIN_ROWS = 500

    def __init__(self, wb: xlsxwriter.Workbook, jobs: int | None):
        self.wb = wb
        self.spare = batch.processes(jobs) > 1
        self.pending: list[tuple[Worksheet, Callable[[], int], Callable[[int], None], Any]] = []

    def start(
        self,
        ws: Worksheet,
        rows: int,
        write: Callable[[], int],
        done: Callable[[int], None],
        uses: Callable[[], Iterable[Format]] | None = None,
    ) -> None:
        """Have `write()` (it writes the rows under the header, top to bottom, and returns the last row) run in
        a child when worth it, else here now; `done(last)` runs after the rows are in place, here.

        uses: the formats of the rows' cells in the order write() gives them style indexes (styles.cell_formats
        row by row), looked at only until every format they can have was met. Before the child forks, this
        process gives those formats their indexes in that order, as writing the rows here would: the child
        then gives none, and its rows are used (a format met later still makes it send nothing back)."""
        child = None
        if self.spare and rows >= self.MIN_ROWS and _header_only(ws):
            if uses is not None:  # the header row, written out by the first row under it, comes first
                _index_in_order(itertools.chain(_pending_formats(ws), uses()))
            child = batch.fork_call(lambda: _rows_xml(self.wb, ws, write))
        if child is None:
            done(write())
            return
        self.pending.append((ws, write, done, child))

    def finish(self) -> None:
        """Put every handed-over sheet's rows in place (or write them here: a child that sent nothing)."""
        try:
            while self.pending:
                ws, write, done, child = self.pending[0]
                written = child.result()
                self.pending.pop(0)
                if written is None:
                    done(write())
                    continue
                ws.table.clear()  # the header row, pending here, is in the child's XML
                with open(written.xml, encoding="utf-8") as rows:
                    shutil.copyfileobj(rows, ws.fh, 2**16)
                os.unlink(written.xml)
                ws.dim_rowmin, ws.dim_rowmax, ws.dim_colmin, ws.dim_colmax = written.dimensions
                ws.previous_row = written.previous_row
                done(written.last)
        finally:
            self.stop()

    def stop(self) -> None:
        """End every child not yet finished (after an error, or Ctrl+C): none outlives the workbook."""
        pending, self.pending = self.pending, []
        for *_, child in pending:
            child.stop()


def _index_in_order(formats: Iterable[Format]) -> None:
    """Give each format its style index at its first use, as XlsxWriter does when a cell is written out."""
    seen: set[int] = set()
    for fmt in formats:
        if id(fmt) not in seen:
            seen.add(id(fmt))
            fmt._get_xf_index()


def _pending_formats(ws: Worksheet) -> Iterator[Format]:
    """The formats of the cells of the row XlsxWriter has not written out yet, in column order."""
    for row in sorted(ws.table):
        for col in sorted(ws.table[row]):
            cell_format = getattr(ws.table[row][col], "format", None)
            if cell_format is not None:
                yield cell_format


def _header_only(ws: Worksheet) -> bool:
    """An xlsxfast sheet in constant_memory mode with no row written under its header rows (none taken)."""
    return (
        isinstance(ws, FastWorksheet)
        and ws.constant_memory
        and ws._pending is None
        and ws.previous_row == (ws.dim_rowmax or 0)
    )


def _rows_xml(wb: xlsxwriter.Workbook, ws: FastWorksheet, write: Callable[[], int]) -> _RowsXml | None:
    """In the child: the sheet's rows as write() writes them, the last one flushed as the next row would;
    None when they needed a style index not given yet (see RowsApart)."""
    styles = len(wb.xf_format_indices)
    descriptor, name = tempfile.mkstemp(dir=wb.tmpdir, suffix=".rows")
    with open(descriptor, "w", encoding="utf-8") as ws.fh:
        last = write()
        ws._write_single_row(ws.previous_row + 1)
    if len(wb.xf_format_indices) != styles:
        os.unlink(name)
        return None
    dimensions = (ws.dim_rowmin, ws.dim_rowmax, ws.dim_colmin, ws.dim_colmax)
    return _RowsXml(name, last, dimensions, ws.previous_row)


class FastWorkbook(xlsxwriter.Workbook):
    """XlsxWriter's Workbook with FastWorksheet sheets, packed at `compresslevel` (None: zlib's default)."""

    worksheet_class = FastWorksheet
    compresslevel: int | None = None

    def _store_workbook(self) -> None:
        if self.compresslevel is None:
            super()._store_workbook()
            return
        original = xlsxwriter_workbook.ZipFile
        xlsxwriter_workbook.ZipFile = functools.partial(original, compresslevel=self.compresslevel)
        try:
            super()._store_workbook()
        finally:
            xlsxwriter_workbook.ZipFile = original
