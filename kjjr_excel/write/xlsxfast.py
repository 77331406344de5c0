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
  constant_memory, a text too long, a value of another type) is left to the caller's public writes.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Sequence
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

TESTED_VERSIONS = ("3.3.1",)


def enabled_for(version: str) -> bool:
    """Whether the fast path may run with this XlsxWriter version."""
    return version in TESTED_VERSIONS


ENABLED = enabled_for(xlsxwriter.__version__)


# A text that XlsxWriter's inline-string path would change (control characters, its own _xHHHH_ escapes,
# non-characters, XML's & < >, a rich string) or mark xml:space="preserve" (leading or trailing white space);
# any other text is written as it is. A text that matches is written by XlsxWriter's own _write_cell.
_NOT_PLAIN = re.compile(r"[\x00-\x08\x0b-\x1f\ufffe\uffff&<>]|_x[0-9a-fA-F]{4}_|^\s|\s$")
_DATES = (datetime, date, time)

Formats = Sequence[Format | None]


@dataclass(frozen=True)
class _Row:
    row: int
    values: tuple[Any, ...]
    texts: Formats
    numbers: Formats
    dates: Formats
    blanks: Formats | None


class FastWorksheet(Worksheet):
    _pending: _Row | None = None  # the row write_values took, until XlsxWriter writes the row out
    _columns: tuple[str, ...] = ()  # column letters, A onwards, as many as the widest row so far

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
        first = last = -1
        for col, value in enumerate(values):
            if value is None:
                if blanks is None or blanks[col] is None:
                    continue
            elif not _takes(value, texts[col], numbers[col], dates[col]):
                return False
            if first < 0:
                first = col
            last = col
        if first < 0:
            return True
        if last >= self.xls_colmax:
            return False
        self._check_dimensions(row, first)
        self._check_dimensions(row, last)
        if row > self.previous_row:
            self._write_single_row(row)
        self._pending = _Row(row, tuple(values), texts, numbers, dates, blanks)
        return True

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
        pass for plain text and numbers, through _write_cell itself for any other cell."""
        row, values, texts, numbers, blanks = (
            pending.row,
            pending.values,
            pending.texts,
            pending.numbers,
            pending.blanks,
        )
        columns = self._columns
        if len(columns) < len(values):
            columns = self._columns = tuple(xl_col_to_name(c) for c in range(len(values)))
        number = str(row + 1)
        out: list[str] = []
        for col, value in enumerate(values):
            kind = value.__class__
            if kind is str and _NOT_PLAIN.search(value) is None:
                xf = texts[col]._get_xf_index()
                out.append(
                    f'<c r="{columns[col]}{number}" s="{xf}" t="inlineStr"><is><t>{value}</t></is></c>'
                )
            elif kind is float or kind is int:
                xf = numbers[col]._get_xf_index()
                out.append(f'<c r="{columns[col]}{number}" s="{xf}"><v>{value:.16G}</v></c>')
            elif value is None:
                if blanks is not None and blanks[col] is not None:
                    out.append(f'<c r="{columns[col]}{number}" s="{blanks[col]._get_xf_index()}"/>')
            else:
                self.fh.write("".join(out))
                out.clear()
                self._write_cell(row, col, self._cell(pending, col))
        self.fh.write("".join(out))

    def _cell(self, pending: _Row, col: int) -> Any:
        """One cell of a pending row as the public write would have stored it in XlsxWriter's row table."""
        value = pending.values[col]
        kind = value.__class__
        if kind is str:
            return CellStringTuple(value, pending.texts[col])
        if kind is float or kind is int:
            return CellNumberTuple(value, pending.numbers[col])
        if value is None:
            return CellBlankTuple(pending.blanks[col])  # type: ignore[index]  # a blank with a format
        return CellDatetimeTuple(self._convert_date_time(value), pending.dates[col])

    def _cells(self, pending: _Row) -> dict[int, Any]:
        blanks = pending.blanks
        return {
            col: self._cell(pending, col)
            for col, value in enumerate(pending.values)
            if value is not None or (blanks is not None and blanks[col] is not None)
        }

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


def _takes(value: Any, text: Format | None, number: Format | None, date: Format | None) -> bool:
    """Whether write_values may take a cell: a format to give it, and a value the public call would write as
    it is (no text long enough to be measured and perhaps cut, no NaN or infinity, which write_number
    refuses)."""
    kind = value.__class__
    if kind is str:
        return text is not None and len(value) <= 16383
    if kind is float or kind is int:
        return number is not None and math.isfinite(value)
    return isinstance(value, _DATES) and date is not None


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
