"""What every workbook we write shares: XlsxWriter's Workbook, the fonts and cell formats, the printed page
(A4 landscape, the running head, page numbers), and the measuring of text on paper (column widths and the
heights of wrapped rows, which neither XlsxWriter nor Excel computes).

Public XlsxWriter and zipfile APIs only. fitToWidth="1" and fitToHeight="1": XlsxWriter leaves them out
because 1 is the OOXML default; Excel and LibreOffice honour the default, but other readers (openpyxl, some
WPS versions) then report no fit at all. So Workbook.close() writes them into the file as it writes it out:
XlsxWriter packs the workbook in memory, and the package is copied to the file, part by part, the sheets
that lack the attributes with them added. (write/xlsxfast.py, the one module allowed XlsxWriter internals,
writes the same parts faster with the XlsxWriter versions it is tested with.)
"""

from __future__ import annotations

import functools
import io
import os
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from types import MappingProxyType
from typing import Any, BinaryIO

import xlsxwriter
from xlsxwriter.exceptions import FileCreateError
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from kjjr_excel.domain.layout import META_SHEET
from kjjr_excel.write import xlsxfast
from kjjr_excel.write.xlsxfast import Formats  # one format (or None) per column


class Workbook(xlsxwriter.Workbook):
    """The workbook every writer uses (template, ranking, receipts, 公示): XlsxWriter's, whose sheets state
    their fit-to-page settings explicitly. Plain path: XlsxWriter packs the file in memory, and close() copies
    the package to the file name given, the attributes added (see explicit_fit). With an XlsxWriter version
    xlsxfast is tested with, Workbook(...) is an xlsxfast workbook instead, which writes the same parts.
    compresslevel: zlib's level for the file (None: zlib's default, as XlsxWriter packs)."""

    compresslevel: int | None = None
    plain = True

    def __new__(cls, *args: Any, **kwargs: Any) -> Workbook:
        if cls is Workbook and xlsxfast.ENABLED:
            return super().__new__(_FastWorkbook)
        return super().__new__(cls)

    def __init__(self, filename: str | os.PathLike[str], options: dict[str, Any] | None = None):
        self.target = str(filename)
        self.package = io.BytesIO()
        super().__init__(self.package if self.plain else self.target, options)

    def close(self) -> None:
        if self.fileclosed or not self.plain:
            super().close()  # XlsxWriter's own (a warning when closed already)
            return
        if self.filename is not self.package:  # a writer named the file after creating the workbook
            self.target, self.filename = str(self.filename), self.package
        super().close()
        try:
            with open(self.target, "wb") as out:
                explicit_fit(self.package, out, compresslevel=self.compresslevel)
        except OSError as exc:  # as XlsxWriter reports a file it cannot create
            raise FileCreateError(exc) from exc
        finally:
            self.package = self.filename = io.BytesIO()


class _FastWorkbook(xlsxfast.FastWorkbook, Workbook):
    plain = False


_SETUP = re.compile(rb"<pageSetup\b([^>]*?)(/?)>")
_FIT_PAGE = b'<pageSetUpPr fitToPage="1"'


def _explicit_setup(xml: bytes) -> bytes:
    """A sheet part with fitToWidth/fitToHeight written out where they were left to the default (1), put
    after paperSize; the part unchanged (the same object) when it fits to no page or states both."""
    if _FIT_PAGE not in xml:
        return xml
    found = _SETUP.search(xml)
    if found is None:
        return xml
    attributes = found.group(1)
    extra = b"".join(
        b' %s="1"' % key for key in (b"fitToWidth", b"fitToHeight") if b" %s=" % key not in attributes
    )
    if not extra:
        return xml
    paper = re.match(rb' paperSize="[^"]*"', attributes)
    at = paper.end() if paper else 0
    setup = b"<pageSetup" + attributes[:at] + extra + attributes[at:] + found.group(2) + b">"
    return xml[: found.start()] + setup + xml[found.end() :]


def explicit_fit(package: BinaryIO, out: BinaryIO, *, compresslevel: int | None = None) -> None:
    """Copy an .xlsx package to `out`, every sheet fitted to pages stating fitToWidth and fitToHeight, every
    part otherwise as it was (same order, names, dates, compression method). One part is held at a time."""
    with (
        zipfile.ZipFile(package) as zf,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as copy,
    ):
        for info in zf.infolist():
            data = zf.read(info)
            if info.filename.startswith("xl/worksheets/sheet"):
                data = _explicit_setup(data)
            copy.writestr(info, data, compress_type=info.compress_type, compresslevel=compresslevel)


BODY_FONT = "宋体"
TITLE_FONT = "黑体"
FOOTER = "&C第 &P 页 共 &N 页"
A4 = 9  # XlsxWriter's paper index

# The formats' properties every table shares: body text, and a table cell (the same with a border).
BODY = MappingProxyType({"font_name": BODY_FONT, "font_size": 11, "valign": "vcenter"})
CELL = MappingProxyType({**BODY, "border": 1})
HEADER = MappingProxyType(
    {
        "font_name": TITLE_FONT,
        "font_size": 11,
        "bold": True,
        "align": "center",
        "valign": "vcenter",
        "text_wrap": True,
        "border": 1,
        "bg_color": "#D9D9D9",
    }
)

# ---------------------------------------------------------------------------------------------- text on paper


def write_values(
    ws: Worksheet,
    row: int,
    values: Sequence[Any],
    texts: Formats,
    numbers: Formats,
    dates: Formats,
    blanks: Formats | None = None,
) -> None:
    """Write one row of cell values, each in its column's format: text in `texts`, int and float in
    `numbers`, a date or time in `dates`, None as a blank cell in `blanks` (no cell without blanks, or where
    its format is None). An xlsxfast sheet writes the row in one pass, the same XML; the plain path writes
    it cell by cell."""
    if isinstance(ws, xlsxfast.FastWorksheet) and ws.write_values(row, values, texts, numbers, dates, blanks):
        return
    writers = (ws.write_string, ws.write_number, None, ws.write_datetime)
    formats = (texts, numbers, None, dates)
    for col, value in enumerate(values):
        kind = _cell_kind(value)
        if kind != _BLANK:
            writers[kind](row, col, value, formats[kind][col])
        elif blanks is not None and blanks[col] is not None:
            ws.write_blank(row, col, None, blanks[col])


_BLANK = 2


def _cell_kind(value: Any) -> int:
    """Which of write_values' format sequences a value takes: 0 text, 1 number, 2 blank (None), 3 date."""
    kind = value.__class__
    if kind is str:
        return 0
    if kind is float or kind is int:
        return 1
    return _BLANK if value is None else 3


def cell_formats(
    values: Sequence[Any], texts: Formats, numbers: Formats, dates: Formats, blanks: Formats | None = None
) -> Iterator[Format]:
    """The formats write_values gives a row's cells, in column order (the order their style indexes are
    given in when the row is written out)."""
    for col, value in enumerate(values):
        formats = (texts, numbers, blanks, dates)[_cell_kind(value)]
        if formats is not None and formats[col] is not None:
            yield formats[col]


# Pure and total: the cache can only repeat the answer it would compute (names repeat across sheets).
@functools.lru_cache(maxsize=65536)
def display_width(text: str) -> int:
    """Columns a text needs on screen: CJK (wide and full-width) characters count 2."""
    if text.isascii():  # no ASCII character is wide
        return len(text)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def wrapped_lines(text: str, width: float) -> int:
    """Printed lines of a text wrapped in a column of the given width (Excel column units)."""
    room = max(int(width) - 1, 1)
    return sum(max(1, -(-display_width(line) // room)) for line in str(text).splitlines() or [""])


# Points a wrapped line of 11-point text takes. CJK fonts set their lines further apart than Latin ones: at
# 14.5 LibreOffice printed the last of three lines touching the cell's bottom border.
LINE = 15.5


def lines_height(lines: int, minimum: float = 15.0, line: float = LINE) -> float:
    """Row height (points) that shows `lines` wrapped lines."""
    return max(minimum, line * lines + 4)


def row_height(pairs: Iterable[tuple[str, float]], minimum: float = 15.0, line: float = LINE) -> float:
    """Row height (points) that shows every (text, column width) pair wrapped in full. XlsxWriter does not
    grow a row for wrapped text, and neither does Excel when it opens the file."""
    lines = max((wrapped_lines(text, width) for text, width in pairs if text), default=1)
    return lines_height(lines, minimum, line)


# ---------------------------------------------------------------------------------------------- the printed page


def running_head(ws: Worksheet, text: str) -> None:
    """The title at the top right of every printed page, 第 &P 页 共 &N 页 at the bottom."""
    ws.set_header(f'&R&"{BODY_FONT},Regular"&9{text.replace("&", "&&")}', {"margin": 0.3})
    ws.set_footer(FOOTER, {"margin": 0.3})


def landscape_a4(ws: Worksheet, running: str) -> None:
    """A4 landscape with the running head: every printed sheet starts from this."""
    ws.set_landscape()
    ws.set_paper(A4)
    running_head(ws, running)


def print_table(ws: Worksheet, header_row: int | None, running: str, *, pages_wide: int = 1) -> None:
    """A table as the meeting prints it: A4 landscape, `pages_wide` pages wide and as long as it takes, the
    header row repeated (None: a sheet of several tables, none repeated), page numbers."""
    landscape_a4(ws, running)
    ws.fit_to_pages(pages_wide, 0)
    if header_row is not None:
        ws.repeat_rows(header_row)
    ws.set_margins(left=0.4, right=0.4, top=0.75, bottom=0.7)


# A4's short side in points: the height of a landscape page. A page is planned this much short of its room:
# LibreOffice fills a page to within a row of it, and Excel and WPS round row heights to their printer's dots.
A4_SHORT_SIDE = 595.28
PAGE_SLACK = 20.0


def stored_height(points: float) -> float:
    """A row's height as the file holds it: XlsxWriter stores whole pixels (3/4 point)."""
    return int(points * 4 / 3 + 0.5) * 0.75


def landscape_room(top: float, bottom: float) -> float:
    """Points of rows a landscape A4 page holds at full size between its top and bottom margins (inches; the
    running head and the page number sit in the margins), less PAGE_SLACK."""
    return A4_SHORT_SIDE - 72 * (top + bottom) - PAGE_SLACK


def page_starts(
    rows: Sequence[float],
    foot: Sequence[float],
    *,
    head: Sequence[float],
    repeated: Sequence[float],
    room: float,
    keep: int,
) -> list[int]:
    """Where pages start (indexes into `rows`, a table's row heights in points) so that every page holds at
    most `room` points and the `foot` rows after the table share a page with its last `keep` rows (fewer only
    when the table has fewer, or when no more fit with the foot): the foot is never alone on a page nor
    broken across two. `head`: the rows above the table on page 1; `repeated`: the rows printed atop every
    later page. Set as manual breaks, these are every break, so a program that fits a page a little fuller
    prints the same pages."""
    rows, foot = [stored_height(h) for h in rows], sum(stored_height(h) for h in foot)
    first, later = sum(stored_height(h) for h in head), sum(stored_height(h) for h in repeated)
    starts, used, top = [], first, first
    for n, height in enumerate(rows):
        if used + height > room and used > top:  # a page holds at least one row, however tall
            starts.append(n)
            used = top = later
        used += height
    last = starts[-1] if starts else 0
    wanted = min(keep, len(rows))
    if used + foot <= room and len(rows) - last >= wanted:
        return starts
    # the foot's page: the last `wanted` rows, or as many of them as fit with the foot (one at least)
    while wanted > 1 and (first if wanted == len(rows) else later) + sum(rows[-wanted:]) + foot > room:
        wanted -= 1
    cut = len(rows) - wanted
    return [n for n in starts if n < cut] + ([cut] if cut else [])


FOOT_KEEPS = 3  # table rows printed on the foot's page at least (all of them when the table has fewer)


def keep_foot_with_rows(
    ws: Worksheet,
    first_row: int,
    rows: Sequence[float],
    foot: Sequence[float],
    *,
    head: Sequence[float],
    repeated: Sequence[float],
    top: float,
    bottom: float,
) -> None:
    """Every page break of a landscape table set by hand (page_starts): pages as full as they go, the foot
    block on one page with the last FOOT_KEEPS rows. first_row: the sheet row of rows[0]; top, bottom: the
    page margins (inches)."""
    starts = page_starts(
        rows, foot, head=head, repeated=repeated, room=landscape_room(top, bottom), keep=FOOT_KEEPS
    )
    ws.set_h_pagebreaks([first_row + n for n in starts])


def spacer_row(ws: Worksheet, row: int, height: float, cell_format: Format) -> float:
    """An empty row of the given height (points), returned. It holds a blank cell: in constant_memory mode
    XlsxWriter writes out only the row it is on when the next is started, so a row given a height and no cell
    between two written rows is dropped, and prints at the default height."""
    ws.set_row(row, height)
    ws.write_blank(row, 0, None, cell_format)
    return height


def write_meta_sheet(wb: xlsxwriter.Workbook, rows: Iterable[tuple[str, str]]) -> None:
    """A very hidden `_meta` sheet of key/value rows, as on the templates: ingestion reads its `kind` and leaves
    the workbook out of the submissions."""
    ws = wb.add_worksheet(META_SHEET)
    for row, (key, value) in enumerate(rows):
        ws.write_string(row, 0, key)
        ws.write_string(row, 1, value)
    ws.very_hidden()
