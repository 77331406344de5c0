"""The one module that touches XlsxWriter's private internals, for speed; nothing else may.

Enabled only for the XlsxWriter versions it is tested with (TESTED_VERSIONS, checked at import against the
installed distribution); with any other version `ENABLED` is False and styles.Workbook takes the plain path
(public API only), which writes the same parts: tests/test_xlsxfast.py writes the golden workbooks both ways
and compares them unzipped, byte for byte.

What it changes, each for the same XML:
- the fit-to-page attributes are written by the sheet itself (_write_page_setup), so the plain path's copy of
  the whole package, to add them, is not needed;
- the package is deflated at the workbook's compresslevel (_store_workbook, XlsxWriter's ZipFile swapped for
  the length of that call) instead of the default level and then again;
- a style index (an int) is not passed through XlsxWriter's attribute escaping, which raises and catches a
  TypeError for it (_escape_attributes).
"""

from __future__ import annotations

import functools
import importlib.metadata
from typing import Any

import xlsxwriter
from xlsxwriter import workbook as xlsxwriter_workbook
from xlsxwriter.worksheet import Worksheet

TESTED_VERSIONS = ("3.3.1",)


def enabled_for(version: str) -> bool:
    """Whether the fast path may run with this XlsxWriter version."""
    return version in TESTED_VERSIONS


ENABLED = enabled_for(importlib.metadata.version("XlsxWriter"))


class FastWorksheet(Worksheet):
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
