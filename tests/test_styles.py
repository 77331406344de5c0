"""kjjr_excel.write.styles: our Workbook/PrintWorksheet write the same sheet XML as stock XlsxWriter."""

from __future__ import annotations

import re
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
import xlsxwriter

from kjjr_excel.write import ranking as report
from kjjr_excel.write.styles import Workbook

VALUES = [
    "plain",
    "名称 “引号” <tag> & 'apos' \"dq\"",
    " leading and trailing ",
    "line\nbreak",
    "control\x01char",
    "carriage\rreturn and crlf\r\n",
    "=1+1",
    0.0,
    -12.5,
    1234567.891,
    3,
    None,
    datetime(2026, 11, 24, 6, 48, 32),
]


def _cells(path: Path) -> str:
    """The sheet's data, conditional formats and validations, and the shared strings the cells refer to."""
    with zipfile.ZipFile(path) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode()
        shared = z.read("xl/sharedStrings.xml").decode() if "xl/sharedStrings.xml" in z.namelist() else ""
    return re.search(r"<sheetData>.*</dataValidations>", xml, re.S).group(0) + shared


@pytest.mark.parametrize("constant_memory", [True, False])
def test_sheets_are_written_as_stock_xlsxwriter_writes_them(tmp_path: Path, constant_memory: bool) -> None:
    """report writes cells through XlsxWriter's undecorated methods; PrintWorksheet skips escaping the style
    index and expanding function names in formulas that call none. The XML must be the one stock XlsxWriter
    writes through its public API."""
    options = {"constant_memory": constant_memory, "strings_to_formulas": False}

    def book(cls, name: str, fast: bool) -> Path:
        path = tmp_path / name
        wb = cls(str(path), options)
        ws = wb.add_worksheet()
        plain, boxed = wb.add_format(), wb.add_format({"border": 1, "num_format": "0.00"})
        for row in range(3):
            for col, value in enumerate(VALUES):
                cell_format = boxed if (row + col) % 2 else (plain if row else None)
                if fast:
                    report._write_cell(ws, row, col, value, cell_format)
                else:  # the public API's own dispatch by type
                    ws.write(row, col, value, cell_format)
        # grade colours and validations: their formulas go through XlsxWriter's _prepare_formula
        for n, value in enumerate(['"优秀"', "=$A$1", "{=1}", "=ROUND(A1,2)", "=SORT(A1:A3)", "3", '"(x)"']):
            ws.conditional_format(
                5, n, 6, n, {"type": "cell", "criteria": "==", "value": value, "format": boxed}
            )
        ws.data_validation(7, 0, 7, 0, {"validate": "custom", "value": "=AND(A8>0,A8<9)"})
        ws.data_validation(7, 1, 7, 1, {"validate": "decimal", "criteria": ">=", "value": "=$A$1"})
        wb.close()
        return path

    stock = _cells(book(xlsxwriter.Workbook, "stock.xlsx", fast=False))
    ours = _cells(book(Workbook, "ours.xlsx", fast=True))
    # the comparison covers styles, escaping, and formulas with and without functions to expand
    assert (
        's="1"' in stock
        and "&lt;tag&gt;" in stock
        and "_xlfn._xlws.SORT(" in stock
        and "<formula>$A$1" in stock
    )
    assert ours == stock
