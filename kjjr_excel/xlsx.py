"""XlsxWriter with one correction for printing: write fitToWidth/fitToHeight explicitly.

XlsxWriter leaves out fitToWidth="1" and fitToHeight="1" because 1 is the OOXML default; Excel and
LibreOffice honour the default, but other readers (openpyxl, some WPS versions) then report no fit at all.
Writing the attributes costs nothing and makes "one page wide" unambiguous for every reader.
"""

from __future__ import annotations

import xlsxwriter
from xlsxwriter.worksheet import Worksheet


class PrintWorksheet(Worksheet):
    def _write_page_setup(self) -> None:
        if not self.fit_page:
            super()._write_page_setup()
            return
        write = self._xml_empty_tag

        def tag(name, attributes=None):
            if name == "pageSetup":
                attributes = list(attributes or [])
                present = {key for key, _ in attributes}
                extra = [
                    (k, v)
                    for k, v in (("fitToWidth", self.fit_width), ("fitToHeight", self.fit_height))
                    if k not in present
                ]
                at = 1 if attributes and attributes[0][0] == "paperSize" else 0
                attributes[at:at] = extra
            return write(name, attributes)

        self._xml_empty_tag = tag
        try:
            super()._write_page_setup()
        finally:
            del self._xml_empty_tag


class Workbook(xlsxwriter.Workbook):
    """xlsxwriter.Workbook whose sheets state their fit-to-page settings explicitly."""

    worksheet_class = PrintWorksheet
