"""One workbook reader: bytes -> a guarded `Book` over python-calamine's public API (.xlsx .xlsm .xls .ods).

Every file is read once into memory, hashed, sniffed by its first bytes, checked for zip bombs and XML tricks
*before* any parser sees it, then opened with python-calamine. Formulas, which calamine does not report, are
found in the sheet's XML read through zipfile's public API. Problems raise `Refused` carrying the findings;
the readers above (submission.py, the table readers) turn them into their own results, never a traceback.
"""

from __future__ import annotations

import functools
import hashlib
import io
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar
from xml.etree import ElementTree

from python_calamine import CalamineSheet, CalamineWorkbook, SheetVisibleEnum

from kjjr_excel.domain.findings import Finding
from kjjr_excel.domain.layout import META_SHEET
from kjjr_excel.domain.parse import a1, as_text
from kjjr_excel.errors import os_error_text
from kjjr_excel.read import guards
from kjjr_excel.read.inbox import ArchiveMember, MemberFile, unlisted_suffix

# Safety limits, checked on the zip central directory before anything is inflated.
MAX_FILE_BYTES = 100 * 2**20
MAX_TOTAL_UNCOMPRESSED = 200 * 2**20
MAX_PART_UNCOMPRESSED = 50 * 2**20
MAX_RATIO = 200
RATIO_MIN_SIZE = 2**20
MAX_PARTS = 10_000
# Excel caps a cell's text at 32,767 characters; escaped as UTF-8 that is well under 1 MB, so a longer run
# without a tag delimiter is not spreadsheet content (and costs expat quadratic time).
MAX_TOKEN = 2**20
_HUGE_TOKEN = re.compile(rb"(?:^|[<>])[^<>]{%d}" % MAX_TOKEN)

ZIP_MAGIC, OLE_MAGIC = guards.ZIP_MAGIC, guards.OLE_MAGIC

_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_NS_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_NS_DCTERMS = "{http://purl.org/dc/terms/}"
_NS_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_NS_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_NS_DC = "{http://purl.org/dc/elements/1.1/}"
_NS_CALCEXT = "{urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0}"
_NS_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
ODS_MIMETYPES = (
    b"application/vnd.oasis.opendocument.spreadsheet",
    b"application/vnd.oasis.opendocument.spreadsheet-template",
)
XLSX_SUFFIXES = (".xlsx", ".xlsm", ".xltx", ".xltm")

# What zipfile raises on a member it cannot inflate (RuntimeError: an encrypted member)
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    OSError,
    EOFError,
    ValueError,
    NotImplementedError,
    RuntimeError,
    zlib.error,
)

# (formula text, has a cached value, the cached error value such as #DIV/0! or "" when the result is not one)
Formula = tuple[str, bool, str]
T = TypeVar("T", dict, set)


class Refused(Exception):
    """The file cannot be read; carries the finding(s) that say why, and the file's hash when it was read."""

    def __init__(self, *findings: Finding):
        super().__init__(findings[0].code if findings else "")
        self.findings = list(findings)
        self.sha256 = ""


@dataclass
class BookCache:
    """Facts a batch learns once and every later book of it reuses; one per run (a reader object holds it),
    never module state. Each entry is keyed by everything its value depends on, so a hit cannot change an
    outcome, and each table is emptied when full (a few hundred small entries at most)."""

    sheet_parts: dict[tuple, str | None] = field(default_factory=dict)
    cell_tags: dict[frozenset, tuple[bytes, ...]] = field(default_factory=dict)
    # parts whose first bytes were seen to declare no DTD, by name, CRC-32 and sizes in the zip directory
    checked_parts: set[tuple] = field(default_factory=set)
    # parts bounded small, and the targets of relationship parts, by their bytes (_content_key)
    small_parts: set[tuple] = field(default_factory=set)
    targets: dict[tuple, frozenset[bytes]] = field(default_factory=dict)
    # the percentage styles of a styles part, by its directory entry (percent_styles)
    styles: dict[tuple, frozenset[int]] = field(default_factory=dict)
    # whether a docProps/app.xml names LibreOffice, by its directory entry (by_libreoffice)
    programs: dict[tuple, bool] = field(default_factory=dict)

    # the cells merged ranges cover, by the ranges (covered)
    merged: dict[tuple, dict[tuple[int, int], str] | None] = field(default_factory=dict)

    LIMIT = 256
    COVERED_CELLS = 4096

    def room(self, table: T) -> T:
        """`table`, emptied first when it holds more than LIMIT entries."""
        if len(table) > self.LIMIT:
            table.clear()
        return table

    def checked(self, info: zipfile.ZipInfo) -> bool:
        """True when a part with this directory entry passed the XML scan in an earlier book of the batch.

        Every file written from one template holds the same workbook, styles and shared strings parts; their
        scan is the largest cost of opening a file. The key is what the zip directory declares (no inflating),
        and calamine's reader checks the CRC-32 of what it inflates. A part could be forged to match one seen
        before (a CRC-32 can be forced), so the key is trusted only for parts no parser of ours reads:
        Book.part checks every part it inflates itself, whatever this says."""
        return (info.filename, info.CRC, info.file_size, info.compress_size) in self.checked_parts

    def passed(self, info: zipfile.ZipInfo) -> None:
        self.room(self.checked_parts).add((info.filename, info.CRC, info.file_size, info.compress_size))

    def sheet_part(self, book: Book, sheet: str, display: str) -> str | None:
        """The zip part of a sheet, remembered by the CRC and size of workbook.xml and its relationships as
        the zip directory declares them (identical in every file written from one template, so a batch
        parses them once; the directory is already read, so the key costs no inflation)."""
        key: tuple = (sheet,)
        for name in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels"):
            info = _info(book.zip, name)
            key += (info.CRC, info.file_size) if info is not None else (None, None)
        if key not in self.sheet_parts:
            self.room(self.sheet_parts)[key] = _sheet_part(book, sheet, display)
        return self.sheet_parts[key]

    def percent_styles(self, book: Book) -> frozenset[int]:
        """_percent_styles of a book's xl/styles.xml, remembered by its entry in the zip directory (name,
        CRC-32 and sizes: every file saved by one program from one template holds the same styles part, so a
        batch inflates it once). A part forged to match an earlier one could only hide a percentage format,
        which a clerk can do by typing the figure; nothing parses a part on a hit."""
        info = _info(book.zip, "xl/styles.xml")
        if info is None:
            return frozenset()
        key = (info.filename, info.CRC, info.file_size, info.compress_size)
        found = self.styles.get(key)
        if found is None:
            found = self.room(self.styles)[key] = _percent_styles(book.part("xl/styles.xml"))
        return found

    def by_libreoffice(self, book: Book) -> bool:
        """Whether docProps/app.xml names LibreOffice as the program that saved the package, remembered by the
        part's entry in the zip directory (every file one program saved holds the same part). A part forged
        to match could only shift a saved time by the clerk's zone, which a clerk's clock can do anyway."""
        info = _info(book.zip, "docProps/app.xml")
        if info is None:
            return False
        key = ("app", info.CRC, info.file_size, info.compress_size)
        found = self.programs.get(key)
        if found is None:
            found = self.room(self.programs)[key] = _LIBREOFFICE.search(book.part(info.filename)) is not None
        return found

    def covered(
        self, merges: Sequence[tuple[tuple[int, int], tuple[int, int]]]
    ) -> dict[tuple[int, int], str] | None:
        """Every cell the merged ranges cover without being a range's first cell, with its range (F13:F14):
        the same ranges in every file written from one template, so a batch lists them once. None when the
        ranges cover more than COVERED_CELLS cells (then merged_over looks at the wanted cells one by one)."""
        key = tuple(merges)
        found = self.merged.get(key, False)
        if found is False:
            found = self.room(self.merged)[key] = _covered_cells(key, self.COVERED_CELLS)
        return found

    def tags(self, wanted: set[tuple[int, int]]) -> tuple[bytes, ...]:
        """b'<c r="F5"' for each wanted cell, in the row-major order a sheet part lists them."""
        key = frozenset(wanted)
        found = self.cell_tags.get(key)
        if found is None:
            found = self.room(self.cell_tags)[key] = tuple(
                b'<c r="%s"' % a1(r, c).encode() for r, c in sorted(key)
            )
        return found


@dataclass
class Book:
    """A workbook that passed the guards: its bytes, format and an open calamine reader."""

    data: bytes
    sha256: str
    fmt: str  # xlsx | xlsm | xls | ods
    reader: CalamineWorkbook | None
    zip: zipfile.ZipFile | None
    findings: list[Finding]
    display: str = ""
    parts: dict[str, bytes] = field(default_factory=dict)  # inflated XML parts that passed the scan
    cache: BookCache = field(default_factory=BookCache)
    sheets_bounded: bool = False  # every part calamine could load as a sheet was bounded (_bound_sheet)
    # sheet -> its merged ranges ((first row, first col), (last row, last col)), as grid() loaded it; a
    # format calamine gives none for (.ods) is absent
    merges: dict[str, list[tuple[tuple[int, int], tuple[int, int]]]] = field(default_factory=dict)

    def part(self, name: str) -> bytes:
        """A part of the package, inflated once, bounded by its declared size; b"" when absent. Every part a
        parser of ours reads comes through here and is refused if it declares a DTD."""
        if self.zip is None:
            return b""
        return _inflated(self.zip, self.parts, name, self.display)

    @property
    def sheet_names(self) -> list[str]:
        return list(self.reader.sheet_names) if self.reader is not None else []

    def hidden(self, name: str) -> bool:
        """Whether a sheet is hidden (a clerk does not see it unless told where to look)."""
        if self.reader is None:
            return False
        return any(
            m.name == name and m.visible != SheetVisibleEnum.Visible for m in self.reader.sheets_metadata
        )

    def sheet(self, name: str) -> CalamineSheet:
        """A sheet, loaded only once its extent is bounded (guards.xml_extent over its part for a zip package;
        an .xls or .ods was bounded whole when opened), so no sheet makes calamine allocate more than a
        reader of ours needs."""
        if self.fmt in ("xlsx", "xlsm"):
            self._bound_sheet(name)
        try:
            return self.reader.get_sheet_by_name(name)
        except BaseException as exc:
            guards.reraise_fatal(exc)
            if self.fmt not in ("xlsx", "xlsm"):
                raise
            raise Refused(
                Finding.make("file-corrupt", file=self.display, sheet=name, detail=guards.describe_error(exc))
            ) from None

    def _bound_sheet(self, name: str) -> None:
        if self.cache.sheet_part(self, name, self.display) is None:
            # not a sheet we can bound (a chart sheet, a broken workbook.xml): not loaded
            raise Refused(
                Finding.make(
                    "file-corrupt", file=self.display, sheet=name, detail="工作表的结构信息缺失或损坏"
                )
            )
        if not self.sheets_bounded:
            for part_name, loose in self._sheet_candidates():
                self._bound_part(part_name, name, loose=loose)
            self.sheets_bounded = True

    def _sheet_candidates(self) -> Iterator[tuple[str, bool]]:
        """(part, read loosely) for every part calamine could load as a sheet: all under its sheet folders, and
        (loosely: a theme, styles, a macro project need not be XML) any a relationship of the workbook names."""
        names = self.zip.namelist()
        rels = next((n for n in names if _folded(n) == b"xl/_rels/workbook.xml.rels"), None)
        targets: frozenset[bytes] = frozenset()
        if rels is not None:
            part = self.part(rels)
            key = _content_key(rels, part)
            if key not in self.cache.targets:
                self.cache.room(self.cache.targets)[key] = _targets(part)
            targets = self.cache.targets[key]
        for part_name in names:
            folded = _folded(part_name)
            if (folded + b"/").startswith(_SHEET_FOLDERS):
                yield part_name, False
            elif folded in targets:
                yield part_name, True

    def _bound_part(self, name: str, asked: str, *, loose: bool = False) -> None:
        """Bound one part calamine could load as a sheet; one too large is named by the sheet it holds."""
        part = self._loose_part(name) if loose else self.part(name)
        key = _content_key(name, part)
        try:
            strings = self._shared_strings()  # (not in the key: the same sheet may come with other strings)
            guards.check_shared_text(part, strings, lambda: guards.longest_shared(strings))
            if key in self.cache.small_parts:  # the very bytes bounded in an earlier book of the batch
                return
            if not guards.plainly_small(part):
                guards.check_extent(*(guards.loose_extent(part) if loose else guards.xml_extent(part)))
        except guards.Guarded as refused:
            sheets = [n for n in self.sheet_names if self.cache.sheet_part(self, n, self.display) == name]
            if sheets:
                raise Refused(
                    _guarded(refused, self.display, asked if asked in sheets else sheets[0])
                ) from None
            # no sheet of workbook.xml holds it as we read it, but calamine's reading might find it
            detail = refused.fields.get("detail") or f"范围过大，最远的单元格为 {refused.fields.get('far')}"
            finding = Finding.make(
                "file-corrupt", file=self.display, detail=f"不属于任何工作表的部件 {name}：{detail}"
            )
            raise Refused(finding) from None
        self.cache.room(self.cache.small_parts).add(key)

    def _shared_strings(self) -> bytes:
        """The shared strings part calamine reads (its name compared ignoring case), inflated; b"" if none."""
        name = _shared_strings_name(self.zip)
        return b"" if name is None else self.part(name)

    def _loose_part(self, name: str) -> bytes:
        """A part that need not be XML (a macro project), inflated to be searched, never parsed: no DTD or
        long-token check (a binary part may hold either by chance); b"" when it cannot be inflated, as
        calamine could not load it either (the same inflation, the same CRC)."""
        found = self.parts.get(name)
        if found is not None:
            return found
        try:
            return _read_part(self.zip, name, self.display)
        except Refused:
            return b""

    def grid(self, name: str) -> list[list]:
        """A sheet as rows anchored at A1 (calamine may start at the first non-empty cell)."""
        sheet = self.sheet(name)
        rows = sheet.to_python(skip_empty_area=False)
        merged = sheet.merged_cell_ranges
        if merged:
            self.merges[name] = list(merged)
        start = sheet.start
        if start and rows and (start[0] or start[1]) and len(rows) < (sheet.end[0] + 1 if sheet.end else 0):
            rows = [[""] * start[1] + list(r) for r in rows]
            rows = [[] for _ in range(start[0])] + rows
        return rows

    def meta(self, names: Sequence[str] | None = None) -> dict[str, str] | None:
        """The `_meta` sheet this tool writes into its workbooks, as key -> value; None when there is none."""
        if META_SHEET not in (self.sheet_names if names is None else names):
            return None
        meta: dict[str, str] = {}
        for row in self.grid(META_SHEET):
            if len(row) >= 2 and row[0] != "":
                meta[as_text(row[0])] = as_text(row[1])
        return meta

    def saved_at(self) -> datetime | None:
        """The workbook's own last-saved time (docProps/core.xml, meta.xml, or the OLE summary information)."""
        try:
            if self.fmt == "ods":
                stamp = _ods_saved_at(self.part("meta.xml"))
            elif self.zip is not None:
                stamp = _xlsx_saved_at(self.part("docProps/core.xml"))
                if stamp is not None and self.cache.by_libreoffice(self):
                    # LibreOffice (7.4 here) writes its local clock time marked Z: the time as on the clerk's
                    # clock, like its .ods (the same zone as this machine's, as _ods_saved_at takes it)
                    stamp = stamp.replace(tzinfo=None).astimezone()
            else:
                stamp = _ole_saved_at(self.data)
            if stamp is not None and stamp.tzinfo is not None:
                stamp = stamp.astimezone(UTC).replace(tzinfo=None)
            return stamp
        except Exception:  # a missing or odd timestamp only weakens duplicate resolution
            return None

    def formulas(
        self, sheet: str, wanted: set[tuple[int, int]], *, shortcut: bool = True
    ) -> dict[tuple[int, int], Formula]:
        """(row, col) -> (formula text, has cached value) for the wanted cells that hold a formula; {} for an
        .xls, only those whose saved result is an error value (the rest: calamine's values are all there is).

        shortcut: a byte search first, the sheet is parsed only when a wanted cell may hold a formula; False
        always parses (the reference the shortcut is tested against). The part is at hand already: a sheet is
        inflated whole to be bounded before calamine loads it."""
        if self.fmt == "xls":
            return _xls_formula_errors(self.data, sheet, wanted) if wanted else {}
        if self.zip is None:
            return {}
        if self.fmt == "ods":
            return _ods_formulas(self, sheet, wanted)
        if shortcut and not wanted:
            return {}
        by_row: dict[int, list[tuple[int, int]]] = {}
        for r, c in wanted:
            by_row.setdefault(r, []).append((r, c))
        return self._xlsx_formulas(
            sheet,
            lambda r: {a1(*rc): rc for rc in by_row.get(r, ())},
            self.cache.tags(wanted) if shortcut else (),
        )

    def merged_over(self, sheet: str, wanted: set[tuple[int, int]]) -> dict[tuple[int, int], str]:
        """The wanted cells a merged range covers without being its first cell, each with the range (F13:F14):
        what such a cell holds is not shown in Excel, WPS or LibreOffice. Only for a sheet grid() loaded."""
        if self.fmt == "ods" and wanted and sheet not in self.merges:  # calamine lists no merges of an .ods
            self.merges[sheet] = _ods_merges(self, sheet)
        merges = self.merges.get(sheet)
        if not merges:
            return {}
        hidden = self.cache.covered(merges)
        if hidden is not None:
            return {rc: hidden[rc] for rc in wanted if rc in hidden}
        covered: dict[tuple[int, int], str] = {}
        for (r0, c0), (r1, c1) in merges:
            for r, c in wanted:
                if r0 <= r <= r1 and c0 <= c <= c1 and (r, c) != (r0, c0):
                    covered[(r, c)] = _range_a1(r0, c0, r1, c1)
        return covered

    def percent_cells(self, sheet: str, wanted: set[tuple[int, int]]) -> set[tuple[int, int]]:
        """The wanted cells whose number is shown as a percentage (50% is stored as 0.5), at no cost for a
        workbook whose styles hold no percentage format."""
        if not wanted:
            return set()
        if self.fmt == "xls":
            return _xls_percent(self.data, sheet, wanted)
        if self.zip is None:
            return set()
        if self.fmt == "ods":
            return _ods_percent(self, sheet, wanted)
        styles = self.cache.percent_styles(self)
        name = self.cache.sheet_part(self, sheet, self.display) if styles else None
        if name is None:
            return set()
        part = self.part(name)
        return {rc for rc in wanted if _xlsx_style_of(part, a1(*rc)) in styles}

    def grid_formulas(self, sheet: str, grid: Sequence[Sequence]) -> dict[tuple[int, int], Formula]:
        """Book.formulas for every cell of `grid` (the sheet as read): one streamed parse, where a set of the
        cells and a search for each would cost 2 million of each for a sheet at the bound (38 s and 1.7 GB for
        a 7 KB file of four such sheets)."""
        if self.fmt not in ("xlsx", "xlsm"):
            return self.formulas(sheet, {(r, c) for r, row in enumerate(grid) for c in range(len(row))})
        widths = [len(row) for row in grid]
        return self._xlsx_formulas(
            sheet, lambda r: {a1(r, c): (r, c) for c in range(widths[r])} if r < len(widths) else {}, ()
        )

    def _xlsx_formulas(
        self, sheet: str, cells_in_row: Callable[[int], dict[str, tuple[int, int]]], tags: Sequence[bytes]
    ) -> dict[tuple[int, int], Formula]:
        """The formulas of a sheet's part (_xlsx_formulas); when `tags` are given, {} without a parse when the
        wanted cells they find surely hold none."""
        try:
            name = self.cache.sheet_part(self, sheet, self.display)
            if name is None or (tags and _surely_no_formula(self.part(name), tags)):
                return {}
            return _xlsx_formulas(self.part(name), cells_in_row)
        except ElementTree.ParseError as exc:
            raise _sheet_xml_error(self.display, sheet, exc) from None


# ---------------------------------------------------------------------------------------------- opening


def _range_a1(r0: int, c0: int, r1: int, c1: int) -> str:
    return f"{a1(r0, c0)}:{a1(r1, c1)}"


def _covered_cells(
    merges: Sequence[tuple[tuple[int, int], tuple[int, int]]], limit: int
) -> dict[tuple[int, int], str] | None:
    """BookCache.covered's map, or None when the ranges cover more than `limit` cells."""
    if sum((r1 - r0 + 1) * (c1 - c0 + 1) for (r0, c0), (r1, c1) in merges) > limit:
        return None
    covered: dict[tuple[int, int], str] = {}
    for (r0, c0), (r1, c1) in merges:
        name = _range_a1(r0, c0, r1, c1)
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                if (r, c) != (r0, c0):
                    covered[(r, c)] = name
    return covered


def open_book(path: Path | ArchiveMember | MemberFile, display: str, cache: BookCache | None = None) -> Book:
    """Read a file (through guards.read_input: a regular file only, to the size cap; a workbook inside a .zip
    bounded by its declared size; a mail's attachment from its bytes), hash, sniff and guard it; raise Refused
    with the finding when it cannot be read."""
    if isinstance(path, MemberFile):
        data = path.data
        if len(data) > MAX_FILE_BYTES:
            refused = Refused(_too_big(len(data), display))
            refused.sha256 = hashlib.sha256(data).hexdigest()
            raise refused
    else:
        data = _read_bytes(path, display)
    digest = hashlib.sha256(data).hexdigest()
    try:
        book = _guard(data, digest, path.suffix.lower(), display, cache or BookCache())
    except Refused as refused:
        refused.sha256 = digest
        raise
    except BaseException as exc:  # zlib.error, a native reader's panic: any fault is this file's finding
        guards.reraise_fatal(exc)
        refused = Refused(Finding.make("file-corrupt", file=display, detail=guards.describe_error(exc)))
        refused.sha256 = digest
        raise refused from None
    return book


def _too_big(size: int, display: str) -> Finding:
    return Finding.make("file-unsafe", file=display, detail=f"文件大小 {size // 2**20} MB，超出上限")


def _read_bytes(path: Path | ArchiveMember, display: str) -> bytes:
    try:
        if isinstance(path, ArchiveMember):
            if path.size > MAX_FILE_BYTES:
                raise Refused(_too_big(path.size, display))
            return path.read_bytes()  # bounded by the member's declared size, itself checked above
        return guards.read_input(path, MAX_FILE_BYTES)
    except guards.Guarded as refused:
        raise Refused(_guarded(refused, display)) from None
    except OSError as exc:  # an archive member that cannot be inflated: inbox says why, in Chinese, without
        # an errno; the system's own text (strerror) is English, so an errno is said in the users' words
        detail = str(exc) if exc.errno is None else os_error_text(exc, "读取时发生系统错误")
        raise Refused(Finding.make("file-corrupt", file=display, detail=detail)) from None


def _guarded(refused: guards.Guarded, display: str, sheet: str = "") -> Finding:
    fields = {"sheet": sheet, **refused.fields}  # a guard over a whole book names the sheet it refused
    return Finding.make(refused.code, file=display, **fields)


def _guard(data: bytes, digest: str, suffix: str, display: str, cache: BookCache) -> Book:
    if not data:
        raise Refused(Finding.make("file-empty", file=display))
    if data.startswith(ZIP_MAGIC):
        zf = _check_zip(data, display)
        names = set(zf.namelist())
        if "mimetype" in names and "content.xml" in names:
            return _ods_book(data, digest, zf, suffix, display, cache)
        return _xlsx_book(data, digest, zf, names, suffix, display, cache)
    if data.startswith(OLE_MAGIC):
        _check_ole(data, display)
        notes = []
        if suffix in XLSX_SUFFIXES:
            notes.append(Finding.make("file-extension-mismatch", file=display, ext=suffix, actual=".xls"))
        reader = _calamine(data, display)
        return Book(data, digest, "xls", reader, None, notes, display, cache=cache)  # every sheet bounded
    raise Refused(Finding.make("file-not-workbook", file=display, detail=_what_it_is(data, display)))


def _what_it_is(data: bytes, display: str) -> str:
    """What a file that is neither a zip package nor an OLE container is, for file-not-workbook."""
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<html", b"<!doctype html", b"<?xml", b"<table", b"<")):
        return "实际是网页（HTML）或XML文本" if b"html" in data[:4096].lower() else "实际是XML文本"
    if data.startswith(b"%PDF"):
        return "实际是PDF文件"
    if data.startswith(ZIP_MAGIC[:2]):
        raise Refused(Finding.make("file-corrupt", file=display, detail="压缩结构不完整"))
    return "实际是文本或其他格式的文件" if _looks_text(data[:4096]) else "无法识别的文件格式"


def _xlsx_book(
    data: bytes,
    digest: str,
    zf: zipfile.ZipFile,
    names: set[str],
    suffix: str,
    display: str,
    cache: BookCache,
) -> Book:
    if "xl/workbook.xml" not in names and "xl/workbook.bin" not in names:
        kind = "Word文档" if "word/document.xml" in names else "压缩包或其他文件"
        raise Refused(Finding.make("file-not-workbook", file=display, detail=f"实际是{kind}"))
    if "xl/workbook.bin" in names:
        raise Refused(
            Finding.make(
                "file-not-workbook", file=display, detail="Excel二进制工作簿（.xlsb），请另存为 .xlsx"
            )
        )
    macro = "xl/vbaProject.bin" in names or suffix in (".xlsm", ".xltm")
    notes: list[Finding] = []
    if not unlisted_suffix(suffix) and suffix not in XLSX_SUFFIXES:  # (else inbox said file-no-extension)
        notes.append(Finding.make("file-extension-mismatch", file=display, ext=suffix, actual=".xlsx"))
    if macro:
        notes.append(Finding.make("file-macros-ignored", file=display))
    parts = _check_xml_parts(zf, display, cache)
    _check_shared_strings(zf, parts, display)
    reader = _calamine(data, display)
    return Book(data, digest, "xlsm" if macro else "xlsx", reader, zf, notes, display, parts, cache)


def _shared_strings_name(zf: zipfile.ZipFile) -> str | None:
    return next((n for n in zf.namelist() if _folded(n) == b"xl/sharedstrings.xml"), None)


def _check_shared_strings(zf: zipfile.ZipFile, parts: dict[str, bytes], display: str) -> None:
    """Bound what calamine reserves for shared strings as it opens a package (guards.check_shared_strings),
    in the part it reads: xl/sharedStrings.xml, its name compared ignoring case."""
    name = _shared_strings_name(zf)
    if name is None:
        return
    try:
        guards.check_shared_strings(_inflated(zf, parts, name, display), name)
    except guards.Guarded as refused:
        raise Refused(_guarded(refused, display)) from None


def _ods_book(
    data: bytes, digest: str, zf: zipfile.ZipFile, suffix: str, display: str, cache: BookCache
) -> Book:
    """An OpenDocument package (LibreOffice's and Gnumeric's own format): a spreadsheet is read like an .xlsx,
    behind the same checks; any other OpenDocument file (a text document) is not a workbook."""
    mimetype = _read_part(zf, "mimetype", display).strip()
    if mimetype not in ODS_MIMETYPES:
        kind = "OpenDocument文本文档" if b"opendocument.text" in mimetype else "OpenDocument文档，不是表格"
        raise Refused(Finding.make("file-not-workbook", file=display, detail=f"实际是{kind}"))
    if b"encryption-data" in _read_part(zf, "META-INF/manifest.xml", display):  # saved with a password
        raise Refused(Finding.make("file-encrypted", file=display))
    notes: list[Finding] = []
    if not unlisted_suffix(suffix) and suffix not in (".ods", ".ots"):
        notes.append(Finding.make("file-extension-mismatch", file=display, ext=suffix, actual=".ods"))
    parts = _check_xml_parts(zf, display, cache)
    try:  # calamine expands every table of an .ods as it opens it: bound them all first
        guards.check_ods(_inflated(zf, parts, "content.xml", display))
    except guards.Guarded as refused:
        raise Refused(_guarded(refused, display)) from None
    except ElementTree.ParseError:
        raise Refused(
            Finding.make("file-corrupt", file=display, detail="表格内容（content.xml）不规范")
        ) from None
    try:
        reader = _calamine(data, display)
    except Refused:
        # calamine stops at the whitespace an indenting writer (Gnumeric) puts between table elements; that
        # whitespace is not cell content, so the package is read again without it
        reader = _calamine(_ods_without_indent(zf, display), display)
    return Book(data, digest, "ods", reader, zf, notes, display, parts, cache)


# whitespace right after a table element's tag or right before one: indentation, never a cell's text
_ODS_INDENT = re.compile(rb"(<table:[^<>]*>|</table:[^<>]*>)\s+(?=<)|>\s+(?=</?table:)")


def _ods_without_indent(zf: zipfile.ZipFile, display: str) -> bytes:
    """A copy of an .ods package whose content.xml has no indentation between table elements."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as copy:
        for info in zf.infolist():
            part = _read_part(zf, info.filename, display)
            if info.filename == "content.xml":
                part = _ODS_INDENT.sub(lambda m: m.group(1) or b">", part)
            copy.writestr(info.filename, part, zipfile.ZIP_STORED if info.filename == "mimetype" else None)
    return out.getvalue()


def _looks_text(head: bytes) -> bool:
    try:
        head.decode("utf-8")
        return True
    except UnicodeDecodeError:
        try:
            head.decode("gb18030")
            return b"\x00" not in head
        except UnicodeDecodeError:
            return False


def _check_zip(data: bytes, display: str) -> zipfile.ZipFile:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise Refused(
            Finding.make("file-corrupt", file=display, detail="压缩结构损坏，文件可能没有下载或复制完整")
        ) from None
    if guards.starts_late(infos):  # data before the package: a cut zip
        raise Refused(
            Finding.make(
                "file-corrupt",
                file=display,
                detail="文件开头有不属于工作簿的内容，文件可能没有下载或复制完整",
            )
        )
    if len(infos) > MAX_PARTS:
        raise Refused(Finding.make("file-unsafe", file=display, detail=f"包含 {len(infos)} 个部件"))
    seen: set[bytes] = set()
    total = 0
    for info in infos:
        folded = _folded(info.filename)
        if folded in seen:  # which of the two each reader takes differs (ours: the last; calamine: by case)
            detail = f"部件 {info.filename} 重复出现（名称相同或只有大小写不同）"
            raise Refused(Finding.make("file-corrupt", file=display, detail=detail))
        seen.add(folded)
        total += info.file_size
        if info.file_size > MAX_PART_UNCOMPRESSED:
            detail = f"部件 {info.filename} 解压后 {info.file_size // 2**20} MB"
            raise Refused(Finding.make("file-unsafe", file=display, detail=detail))
        if info.file_size > RATIO_MIN_SIZE and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            detail = f"部件 {info.filename} 压缩比异常（疑似压缩炸弹）"
            raise Refused(Finding.make("file-unsafe", file=display, detail=detail))
    if total > MAX_TOTAL_UNCOMPRESSED:
        raise Refused(Finding.make("file-unsafe", file=display, detail=f"解压后共 {total // 2**20} MB"))
    return zf


def _info(zf: zipfile.ZipFile | None, name: str) -> zipfile.ZipInfo | None:
    try:
        return zf.getinfo(name) if zf is not None else None
    except KeyError:
        return None


def _inflated(zf: zipfile.ZipFile, parts: dict[str, bytes], name: str, display: str) -> bytes:
    """A part a parser of ours reads: inflated once (kept in `parts`), refused if it declares a DTD or holds a
    huge token; b"" when absent."""
    found = parts.get(name)
    if found is None:
        found = parts[name] = _read_part(zf, name, display)
        _refuse_unsafe_xml(found, name, display)
    return found


def _read_part(zf: zipfile.ZipFile, name: str, display: str) -> bytes:
    """Inflate one part, bounded by its declared size (a lying directory cannot inflate more); zipfile checks
    its CRC when the whole declared size was read."""
    info = _info(zf, name)
    if info is None:
        return b""
    try:
        with zf.open(info) as fh:
            out = fh.read(info.file_size + 1)
    except _ZIP_ERRORS:
        raise Refused(
            Finding.make("file-corrupt", file=display, detail=f"部件 {name} 的压缩数据已损坏，无法解压")
        ) from None
    if len(out) > info.file_size:
        raise Refused(Finding.make("file-unsafe", file=display, detail=f"部件 {name} 的实际大小与声明不符"))
    return out


# Where calamine can find a sheet. It resolves a sheet's part by its own rules, which ours cannot mirror in
# every case (a relationship id given twice: the last; a sheet or relationship element in any namespace; the
# raw text of an id or a target, references not expanded; a target kept as written, "." and ".." included,
# one starting with "xl/" as it stands, one starting with "/" from the package root), and looks the name up
# in the zip directory ignoring case. So before any sheet is loaded, every entry under these folders (in any
# case) is bounded, and every part a relationship of the workbook names (_targets), not only the one we
# resolve.
_SHEET_FOLDERS = (b"xl/worksheets/", b"xl/chartsheets/", b"xl/dialogsheets/")


def _content_key(name: str, part: bytes) -> tuple[str, bytes]:
    """A part's name and its inflated bytes: a hit is a byte-for-byte equal part (a CRC-32 in the zip directory
    can be forged to match another part's; the bytes compared cannot). Held at most LIMIT at a time."""
    return name, part


# A relationship's target as calamine's attribute reader can find it (quick-xml: blanks around '=', either
# quote); found anywhere in the part, so nothing it reads is missed (more can only bound more)
_TARGET = re.compile(rb"""Target\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_TYPE = re.compile(rb"""Type\s*=\s*(?:"([^"]*)"|'([^']*)')""")
# Relationship types calamine never loads as a sheet: a sheet whose relationship has one of them is refused
# ("Unrecognized sheet:type", seen with calamine 0.37 for each of these), so their targets need no bound.
# Exact, as written by Excel, LibreOffice, XlsxWriter and openpyxl; any other spelling is bounded.
_NOT_SHEET_TYPES = frozenset(
    b"http://schemas.openxmlformats.org/officeDocument/2006/relationships/" + kind
    for kind in (
        b"theme",
        b"styles",
        b"sharedStrings",
        b"calcChain",
        b"externalLink",
        b"customXml",
        b"connections",
        b"pivotCacheDefinition",
        b"volatileDependencies",
        b"metadata",
    )
)


def _targets(rels: bytes) -> frozenset[bytes]:
    """Folded names of every part a target of the workbook's relationships may name, by any reading: as
    written or with references expanded, from the root or from xl/, normalised or not. A target whose element
    (the text from the '<' before it to the '<' after it) has a Type, and only types of _NOT_SHEET_TYPES, is
    left out: calamine refuses to load it as a sheet."""
    import html
    import posixpath

    out: set[bytes] = set()
    for match in _TARGET.finditer(rels):
        if _not_a_sheet(rels, match.start(), match.end()):
            continue
        raw = guards.quoted_value(match).decode("utf-8", "replace")
        for target in {raw, html.unescape(raw)}:
            for name in (target, target.lstrip("/"), "xl/" + target, "xl/" + target.lstrip("/")):
                out |= {_folded(name), _folded(posixpath.normpath(name.replace("\\", "/")))}
    return frozenset(out)


# One whole element and nothing else, no '<' or '>' inside a value: its attributes are what they seem
_PLAIN_ELEMENT = re.compile(rb"""<[\w.:-]+(?:\s+[\w.:-]+\s*=\s*(?:"[^"<>]*"|'[^'<>]*'))*\s*/?>\s*""")


def _not_a_sheet(rels: bytes, start: int, end: int) -> bool:
    """True when the Target at rels[start:end] stands in a plain element whose Types are all of
    _NOT_SHEET_TYPES; False (bound it) for anything less plain."""
    left, right = rels.rfind(b"<", 0, start), rels.find(b"<", end)
    element = rels[max(left, 0) : len(rels) if right < 0 else right]
    if left < 0 or _PLAIN_ELEMENT.fullmatch(element) is None:
        return False
    types = {guards.quoted_value(m) for m in _TYPE.finditer(element)}
    return bool(types) and types <= _NOT_SHEET_TYPES


# Pure, and a batch's files hold the same few names: remembering it cannot change a result.
@functools.lru_cache(maxsize=4096)
def _folded(name: str) -> bytes:
    """A part name as calamine's lookup compares it (ASCII letters in either case; bytes.lower() folds no
    other), a backslash as a slash (as zipfile reads the name on Windows)."""
    return name.replace("\\", "/").encode("utf-8", "surrogateescape").lower()


# Parts no parser of ours reads (calamine reads the workbook, its relationships, shared strings, styles and
# the sheets asked for; we read core.xml and the data sheet).
_UNPARSED = ("xl/theme/", "xl/media/", "xl/printerSettings/", "xl/drawings/", "customXml/", "docProps/app")


def _check_xml_parts(zf: zipfile.ZipFile, display: str, cache: BookCache) -> dict[str, bytes]:
    """Refuse DTDs/entities and huge tokens in the XML parts a parser will read; return those inflated here.

    A part is inflated whole when a reader of ours reads it anyway (_READ_WHOLE), when its first bytes do not
    prove it declares no DTD, or when it is large enough to hold a huge token; the others are inflated later,
    by the reader that needs them (Book.part, which checks them again). A part seen to pass in an earlier file
    of the batch is not opened (BookCache.checked)."""
    parts: dict[str, bytes] = {}
    for info in zf.infolist():
        name = info.filename
        if (
            not name.endswith((".xml", ".rels", ".vml"))
            or name.startswith(_UNPARSED)
            or name.startswith("_rels")
            or name == "[Content_Types].xml"
            or cache.checked(info)
        ):
            continue
        if info.file_size <= MAX_TOKEN and not name.startswith(_READ_WHOLE) and _root_starts_prolog(zf, info):
            cache.passed(info)  # no DTD possible, no token long enough to matter
            continue
        try:
            part = _read_part(zf, name, display)
        except Refused:
            # damaged, not hostile: a parser is never fed it, the reader that needs it says it is damaged
            # (docProps/core.xml costs only the saved time)
            continue
        _refuse_unsafe_xml(part, name, display)
        cache.passed(info)
        parts[name] = part
    return parts


# Parts a reader of ours inflates whole anyway (a sheet, to bound it before calamine loads it; the saved time;
# the shared strings, whose count is checked before calamine opens the file):
# inflated whole at once rather than opened twice
_READ_WHOLE = ("xl/worksheets/", "docProps/core.xml", "xl/sharedStrings.xml")


def _declares_dtd(part: bytes) -> bool:
    """A DTD stands before the root element: a part that starts plainly (_PLAIN_PROLOG) declares none."""
    if _PLAIN_PROLOG.match(part) is not None or b"<!" not in part:
        return False
    return b"<!DOCTYPE" in part or b"<!ENTITY" in part or b"<!doctype" in part


def _refuse_unsafe_xml(part: bytes, name: str, display: str) -> None:
    """Raise Refused('file-unsafe') for a part that declares a DTD or entities, or holds a huge token."""
    if _declares_dtd(part):
        raise Refused(Finding.make("file-unsafe", file=display, detail=f"部件 {name} 含有DTD或实体声明"))
    if len(part) > MAX_TOKEN and _HUGE_TOKEN.search(part):
        raise Refused(Finding.make("file-unsafe", file=display, detail=f"部件 {name} 含有超长的数据"))


_PLAIN_PROLOG = re.compile(rb"\s*(?:<\?xml[^<>]*\?>)?\s*<[A-Za-z_]")
PROLOG_BYTES = 256  # an XML declaration and the root element's first letter fit with room to spare


def _root_starts_prolog(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    """True when a part's first inflated bytes are at most an XML declaration and then the root element.

    A DTD (and so any entity) can only stand before the root element, so such a part declares none, and the
    whole part need not be inflated to know it. False (a comment, a BOM, a DTD, anything unusual, or a part
    that cannot be inflated) means "inflate and scan it all"."""
    try:
        with zf.open(info) as fh:
            prefix = fh.read(PROLOG_BYTES)
    except _ZIP_ERRORS:
        return False
    return _PLAIN_PROLOG.match(prefix) is not None


def _check_ole(data: bytes, display: str) -> None:
    import msoffcrypto
    import olefile

    try:
        ole = olefile.OleFileIO(data)
        try:
            streams = {"/".join(s).lower() for s in ole.listdir()}
            book_stream = next((s for s in ("workbook", "book") if s in streams), None)
            biff = ole.openstream(book_stream).read() if book_stream else b""
        finally:
            ole.close()
    except Exception:  # olefile raises OSError and friends on broken containers
        raise Refused(
            Finding.make("file-corrupt", file=display, detail="文件结构（OLE）损坏，可能没有下载或复制完整")
        ) from None
    if "encryptioninfo" in streams or "encryptedpackage" in streams:
        raise Refused(Finding.make("file-encrypted", file=display))
    if "workbook" not in streams and "book" not in streams:
        kind = "Word文档" if "worddocument" in streams else "其他Office文件"
        raise Refused(Finding.make("file-not-workbook", file=display, detail=f"实际是{kind}"))
    try:
        encrypted = msoffcrypto.OfficeFile(io.BytesIO(data)).is_encrypted()
    except Exception:  # not decidable: let the reader try
        encrypted = False
    if encrypted:
        raise Refused(Finding.make("file-encrypted", file=display))
    try:  # calamine loads every sheet of an .xls as it opens it: bound them all first
        guards.check_xls(biff)
    except guards.Guarded as refused:
        raise Refused(_guarded(refused, display)) from None


def _calamine(data: bytes, display: str) -> CalamineWorkbook:
    try:
        return CalamineWorkbook.from_filelike(io.BytesIO(data))
    except BaseException as exc:  # calamine's own error types, or a panic: all mean "cannot read"
        guards.reraise_fatal(exc)
        text = str(exc)
        if "password" in text.lower() or "encrypt" in text.lower():
            raise Refused(Finding.make("file-encrypted", file=display)) from None
        raise Refused(Finding.make("file-corrupt", file=display, detail=guards.describe_error(exc))) from None


# ---------------------------------------------------------------------------------------------- saved time

_MODIFIED = re.compile(rb"<dcterms:modified(?:\s[^<>]*)?>([^<>&]*)</dcterms:modified>")


def _ods_saved_at(part: bytes) -> datetime | None:
    el = ElementTree.fromstring(part or b"<x/>").find(f"{_NS_OFFICE}meta/{_NS_DC}date")
    text = "" if el is None else (el.text or "").strip()
    if not text:
        return None
    stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if stamp.tzinfo is None:  # LibreOffice writes local time without an offset: this machine's zone
        stamp = stamp.astimezone()
    return stamp


# docProps/app.xml of a package LibreOffice saved: <Application>LibreOffice/7.4.7.2$Linux_X86_64 …
_LIBREOFFICE = re.compile(rb"<Application>\s*LibreOffice")


def _xlsx_saved_at(part: bytes) -> datetime | None:
    if not part:
        return None
    plain = _MODIFIED.search(part)  # the usual prefix; anything else goes through the parser
    if plain is not None:
        text = plain.group(1).decode()
    else:  # the first child of the root of that name (as ElementTree's find), the whole part parsed
        ended = (el for event, el, depth in _elements(part) if event == "end" and depth == 1)
        texts = [el.text or "" for el in ended if el.tag == f"{_NS_DCTERMS}modified"]
        text = texts[0] if texts else ""
    if not text.strip():
        return None
    return datetime.fromisoformat(text.strip().replace("Z", "+00:00"))


def _ole_saved_at(data: bytes) -> datetime | None:
    import olefile

    ole = olefile.OleFileIO(data)
    try:
        return ole.get_metadata().last_saved_time
    finally:
        ole.close()


# ---------------------------------------------------------------------------------------------- formulas


def _sheet_part(book: Book, sheet: str, display: str) -> str | None:
    """The zip part name of a sheet, from workbook.xml and its relationships."""
    found = _first_element(book.part("xl/workbook.xml"), f"{_NS_MAIN}sheet", "name", sheet)
    rid = None if found is None else found.get(f"{_NS_REL}id")
    if rid is None:
        return None
    found = _first_element(book.part("xl/_rels/workbook.xml.rels"), f"{_NS_PKG_REL}Relationship", "Id", rid)
    return None if found is None else _resolve_target(found.get("Target", ""))


def _first_element(part: bytes, tag: str, key: str, value: str) -> dict[str, str] | None:
    """The attributes of the first `tag` element, at any depth, whose `key` is `value` (_elements)."""
    found = None
    for event, el, _ in _elements(part):
        if found is None and event == "start" and el.tag == tag and el.get(key) == value:
            found = dict(el.attrib)
    return found


def _elements(part: bytes) -> Iterator[tuple[str, ElementTree.Element, int]]:
    """(event, element, depth below the root) for a parse of the whole part (ElementTree.ParseError when it
    is not well-formed) that drops each element once it has ended (its text and children are read at "end"):
    a tree of a 45 MB workbook.xml (names defined by the million) took 400 MB."""
    open_elements: list[ElementTree.Element] = []
    for event, el in ElementTree.iterparse(io.BytesIO(part), events=("start", "end")):
        if event == "start":
            yield event, el, len(open_elements)
            open_elements.append(el)
            continue
        open_elements.pop()
        yield event, el, len(open_elements)
        if open_elements:
            open_elements[-1].remove(el)  # its parent's only child by now: each one is removed as it ends


def _resolve_target(target: str) -> str:
    """A relationship target of xl/workbook.xml as a part name of the package."""
    if target.startswith("/"):
        return target.lstrip("/")
    parts: list[str] = ["xl"]
    for piece in target.split("/"):
        if piece == "..":
            if parts:
                parts.pop()
        elif piece and piece != ".":
            parts.append(piece)
    return "/".join(parts)


def _xlsx_formulas(
    part: bytes, cells_in_row: Callable[[int], dict[str, tuple[int, int]]]
) -> dict[tuple[int, int], Formula]:
    """The cells of a sheet part that hold a formula, of those `cells_in_row(r)` names by their r attribute in
    row r (raises ElementTree.ParseError).

    Streamed, one row held at a time: a tree of the whole part would cost some 13 times its size (500 MB for
    a 40 MB sheet, one a 4 MB file holds) where a row costs next to nothing."""
    out: dict[tuple[int, int], Formula] = {}
    depth = 0
    data = None  # the first sheetData under the root, while it is open
    seen = False
    n = -1
    for event, el in ElementTree.iterparse(io.BytesIO(part), events=("start", "end")):
        if event == "start":
            depth += 1
            if depth == 2 and not seen and el.tag == f"{_NS_MAIN}sheetData":
                data, seen = el, True
            continue
        depth -= 1
        if data is not None and depth == 2:  # a row of sheetData (or anything else in it), complete
            n += 1
            _row_formulas(el, n, cells_in_row, out)
            data.clear()  # the rows read are dropped; the parser appends the next ones to it
        elif el is data:
            data = None
    return out


def _row_formulas(
    row_el: ElementTree.Element,
    n: int,
    cells_in_row: Callable[[int], dict[str, tuple[int, int]]],
    out: dict[tuple[int, int], Formula],
) -> None:
    if all(cell_el.find(f"{_NS_MAIN}f") is None for cell_el in row_el):
        return  # nothing to find: the row's wanted cells are not even named
    number = row_el.get("r")
    refs_here = cells_in_row(int(number) - 1 if number and number.isdigit() else n)
    for cell_el in row_el:
        rc = refs_here.get(cell_el.get("r", ""))
        if rc is None:
            continue
        f = cell_el.find(f"{_NS_MAIN}f")
        if f is not None:
            v = cell_el.find(f"{_NS_MAIN}v")
            cached = (v is not None and (v.text or "") != "") or cell_el.find(f"{_NS_MAIN}is") is not None
            error = (v.text or "").strip() if cached and v is not None and cell_el.get("t") == "e" else ""
            out[rc] = ((f.text or "").strip(), cached, error)


def _sheet_xml_error(display: str, sheet: str, exc: ElementTree.ParseError) -> Refused:
    """A sheet's XML that does not parse: where, in plain Chinese (never the parser's English)."""
    line, column = exc.position
    detail = f"工作表内容不规范（第{line}行第{column}列）"
    return Refused(Finding.make("file-corrupt", file=display, sheet=sheet, detail=detail))


_ODS_ROW_GROUPS = frozenset(f"{_NS_TABLE}{t}" for t in ("table-header-rows", "table-row-group", "table-rows"))
_ODS_CELLS = frozenset((f"{_NS_TABLE}table-cell", f"{_NS_TABLE}covered-table-cell"))
_ODS_FORMULA_PREFIX = re.compile(r"^[A-Za-z]+:(?==)")  # of:=…, oooc:=…, msoxl:=…


def _ods_rows(parent: ElementTree.Element) -> Iterator[ElementTree.Element]:
    for child in parent:
        if child.tag == f"{_NS_TABLE}table-row":
            yield child
        elif child.tag in _ODS_ROW_GROUPS:
            yield from _ods_rows(child)


def _ods_formulas(book: Book, sheet: str, wanted: set[tuple[int, int]]) -> dict[tuple[int, int], Formula]:
    """Book.formulas for an .ods: the wanted cells that carry a table:formula attribute, and whether the file
    saved its result (an office:value-type beside it)."""
    out: dict[tuple[int, int], Formula] = {}
    for cell_el, rc in _ods_wanted_cells(book, sheet, wanted, (b"table:formula=",)):
        formula = cell_el.get(f"{_NS_TABLE}formula")
        if formula is not None:
            text = _ODS_FORMULA_PREFIX.sub("", formula).removeprefix("=").strip()
            cached = cell_el.get(f"{_NS_OFFICE}value-type") is not None
            out[rc] = (text, cached, _ods_error(cell_el) if cached else "")
    return out


def _ods_wanted_cells(
    book: Book, sheet: str, wanted: set[tuple[int, int]], markers: tuple[bytes, ...]
) -> Iterator[tuple[ElementTree.Element, tuple[int, int]]]:
    """(cell element, wanted cell it covers) of a sheet of an .ods, parsed only when one of `markers` is in
    it. Repeated rows and cells are counted, never expanded."""
    table = _ods_table(book, sheet, markers) if wanted else None
    if table is None:
        return
    last_row = max(r for r, _ in wanted)
    r = 0
    for row_el in _ods_rows(table):
        rows = int(row_el.get(f"{_NS_TABLE}number-rows-repeated", "1") or 1)
        c = 0
        for cell_el in row_el:
            if cell_el.tag not in _ODS_CELLS:
                continue
            cols = int(cell_el.get(f"{_NS_TABLE}number-columns-repeated", "1") or 1)
            for rc in wanted:
                if r <= rc[0] < r + rows and c <= rc[1] < c + cols:
                    yield cell_el, rc
            c += cols
        r += rows
        if r > last_row:
            break


def _ods_table(book: Book, sheet: str, markers: tuple[bytes, ...]) -> ElementTree.Element | None:
    """A sheet's table element in an .ods's content.xml, parsed only when one of `markers` is in the part."""
    part = book.part("content.xml")
    if not any(marker in part for marker in markers):
        return None
    try:
        root = ElementTree.fromstring(part)
    except ElementTree.ParseError as exc:
        raise _sheet_xml_error(book.display, sheet, exc) from None
    return next((t for t in root.iter(f"{_NS_TABLE}table") if t.get(f"{_NS_TABLE}name") == sheet), None)


def _ods_merges(book: Book, sheet: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """The merged ranges of an .ods sheet, as calamine lists an .xlsx's: each cell spanning rows or columns
    (LibreOffice keeps what the cells it covers held, unseen). Repeated rows and cells are counted."""
    table = _ods_table(book, sheet, (b"covered-table-cell",))
    merges: list[tuple[tuple[int, int], tuple[int, int]]] = []
    r = 0
    for row_el in _ods_rows(table) if table is not None else ():
        c = 0
        for cell_el in row_el:
            if cell_el.tag not in _ODS_CELLS:
                continue
            down = int(cell_el.get(f"{_NS_TABLE}number-rows-spanned", "1") or 1)
            across = int(cell_el.get(f"{_NS_TABLE}number-columns-spanned", "1") or 1)
            if down > 1 or across > 1:
                merges.append(((r, c), (r + down - 1, c + across - 1)))
            c += int(cell_el.get(f"{_NS_TABLE}number-columns-repeated", "1") or 1)
        r += int(row_el.get(f"{_NS_TABLE}number-rows-repeated", "1") or 1)
    return merges


def _ods_percent(book: Book, sheet: str, wanted: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """Cells shown as a percentage: LibreOffice types them (value-type percentage); Gnumeric writes a float
    with a percentage style, which the cell's text shows ("100.00%" for the value 1)."""
    markers = (b'value-type="percentage"', b"%</text:p>")
    cells = _ods_wanted_cells(book, sheet, wanted, markers)
    return {rc for cell_el, rc in cells if _ods_shown_as_percent(cell_el)}


def _ods_shown_as_percent(cell_el: ElementTree.Element) -> bool:
    kind = cell_el.get(f"{_NS_OFFICE}value-type")
    return kind == "percentage" or (kind == "float" and "".join(cell_el.itertext()).strip().endswith("%"))


# builtin number formats 9 (0%) and 10 (0.00%); a custom one is a percentage when a % is not quoted or escaped
_PERCENT_FORMATS = frozenset({"9", "10"})
_QUOTED = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]')


_BIFF_FORMAT, _BIFF_XF, _BIFF_MULRK = 0x041E, 0x00E0, 0x00BD
_BIFF_XF_CELLS = frozenset({0x0203, 0x027E, 0x0006, 0x0201, 0x00FD, 0x0204})  # row, col, XF index, ...


def _xls_percent(data: bytes, sheet: str, wanted: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """The wanted cells of an .xls (BIFF8) sheet whose XF's number format shows a percentage: the workbook
    globals' FORMAT and XF records, then the sheet's cell records (calamine gives their values, not their
    formats). A BIFF5 book, or anything unexpected: set() (no percentage known)."""
    try:
        stream = _xls_stream(data)
        percent = _xls_percent_xfs(stream)
        if not percent:
            return set()
        return {rc for rc, xf, _ in _xls_cells(stream, sheet) if xf in percent and rc in wanted}
    except Exception:  # a closer look only: a book it cannot follow shows no percentage
        return set()


def _xls_formula_errors(
    data: bytes, sheet: str, wanted: set[tuple[int, int]]
) -> dict[tuple[int, int], Formula]:
    """The wanted cells of an .xls sheet holding a formula whose saved result is an error value (#DIV/0!):
    calamine reads them as empty, and the clerk was told the cell was not filled in. The formula's text is
    not kept in the file (only its compiled form): ""."""
    try:
        stream = _xls_stream(data)
        found = {}
        for rc, _, record in _xls_cells(stream, sheet):
            kind, body, size = record
            if kind == _BIFF_FORMULA_CELL and size >= 14 and rc in wanted:
                result = stream[body + 6 : body + 14]
                if result[6:8] == b"\xff\xff" and result[0] == 2:
                    found[rc] = ("", True, _BIFF_ERRORS.get(result[2], "#VALUE!"))
        return found
    except Exception:  # a closer look only
        return {}


_BIFF_FORMULA_CELL = 0x0006
_BIFF_ERRORS = {
    0x00: "#NULL!",
    0x07: "#DIV/0!",
    0x0F: "#VALUE!",
    0x17: "#REF!",
    0x1D: "#NAME?",
    0x24: "#NUM!",
}
_BIFF_ERRORS[0x2A] = "#N/A"


def _xls_stream(data: bytes) -> bytes:
    import olefile

    ole = olefile.OleFileIO(data)
    try:
        return ole.openstream("Workbook").read()
    finally:
        ole.close()


def _xls_cells(stream: bytes, sheet: str) -> Iterator[tuple[tuple[int, int], int, tuple[int, int, int]]]:
    """((row, col), XF index, (kind, body, size)) of each cell record of a sheet of an .xls Workbook stream."""
    start = next((at for name, at in guards.xls_sheets(stream) if name == sheet), None)
    if start is None:
        return
    for kind, body, size in guards.biff_records(stream, start):
        if kind in _BIFF_XF_CELLS and size >= 6:
            r, c, xf = struct.unpack_from("<HHH", stream, body)
            yield (r, c), xf, (kind, body, size)
        elif kind == _BIFF_MULRK and size >= 6:
            r, first = struct.unpack_from("<HH", stream, body)
            for k in range((size - 6) // 6):
                yield (
                    (r, first + k),
                    struct.unpack_from("<H", stream, body + 4 + 6 * k)[0],
                    (kind, body, size),
                )


def _xls_percent_xfs(stream: bytes) -> frozenset[int]:
    """The XF indexes of a BIFF8 workbook's globals whose number format shows a percentage."""
    formats = {int(f) for f in _PERCENT_FORMATS}
    xfs: list[int] = []
    for kind, body, size in guards.biff_records(stream, 0):
        if kind in (0x0809,) and size >= 2 and struct.unpack_from("<H", stream, body)[0] != 0x0600:
            return frozenset()  # not BIFF8: its FORMAT records are laid out otherwise
        if kind == _BIFF_FORMAT and size >= 5:
            ifmt, count, flags = struct.unpack_from("<HHB", stream, body)
            text = stream[body + 5 : body + size]
            code = (
                text[: count * 2].decode("utf-16-le", "replace")
                if flags & 1
                else text[:count].decode("latin-1")
            )
            if "%" in _QUOTED.sub("", code):
                formats.add(ifmt)
        elif kind == _BIFF_XF and size >= 4:
            xfs.append(struct.unpack_from("<H", stream, body + 2)[0])
    return frozenset(i for i, ifmt in enumerate(xfs) if ifmt in formats)


def _percent_styles(styles: bytes) -> frozenset[int]:
    """The cellXfs indices of an .xlsx's styles part whose number format shows a percentage."""
    if b"%" not in styles and b'numFmtId="9"' not in styles and b'numFmtId="10"' not in styles:
        return frozenset()
    try:
        root = ElementTree.fromstring(styles)
    except ElementTree.ParseError:
        return frozenset()  # the styles decide no figure: a broken part is only no percentage known
    percent = set(_PERCENT_FORMATS)
    for fmt in root.iter(f"{_NS_MAIN}numFmt"):
        if "%" in _QUOTED.sub("", fmt.get("formatCode", "")):
            percent.add(fmt.get("numFmtId", ""))
    xfs = root.find(f"{_NS_MAIN}cellXfs")
    found = () if xfs is None else xfs.iter(f"{_NS_MAIN}xf")
    return frozenset(i for i, xf in enumerate(found) if xf.get("numFmtId", "0") in percent)


def _xlsx_style_of(part: bytes, ref: str) -> int | None:
    """The style index (s) of one cell of a sheet part, found by its reference; None without one."""
    m = re.search(rb"<(?:\w+:)?c\s[^>]*?\br=\"" + ref.encode() + rb"\"[^>]*>", part)
    if m is None:
        return None
    s = re.search(rb'\ss="(\d+)"', m.group(0))
    return int(s.group(1)) if s else None


def _ods_error(cell_el: ElementTree.Element) -> str:
    """The error a formula's saved result is (#DIV/0!, #N/A, Err:502), as LibreOffice marks it; "" for a value."""
    if cell_el.get(f"{_NS_CALCEXT}value-type") != "error":
        return ""
    shown = "".join(p.text or "" for p in cell_el.iter(f"{_NS_TEXT}p")).strip()
    return shown or "#VALUE!"


def _surely_no_formula(part: bytes, tags: Sequence[bytes]) -> bool:
    """Cheap pre-check: True when each wanted cell's element is found and holds no <f child.

    Only a shortcut: False (a cell not found as written by Excel/XlsxWriter, or an <f inside) means
    "parse the sheet to be sure", never "there is a formula". Cells are searched from the previous one on,
    so a sheet in row order is scanned about once.
    """
    pos = 0
    for tag in tags:
        start = part.find(tag, pos)
        if start < 0:
            start = part.find(tag)
            if start < 0:
                return False
        end = part.find(b">", start)
        if end < 0:
            return False
        if part[end - 1] != 0x2F:  # not an empty <c .../>
            close = part.find(b"</c>", end)
            if close < 0 or part.find(b"<f", end, close) >= 0:
                return False
        pos = end
    return True


# ---------------------------------------------------------------------------------------------- as tables


def _tables(book: Book, names: Sequence[str], max_rows: int) -> Iterator[tuple[str, list[list]]]:
    """Each sheet but `_meta` as rows anchored at A1, cut to `max_rows`, as a table reader keeps them all: each
    sheet is bounded as it is loaded, and all of them together too (guards.MAX_TABLE_CELLS), else a small file
    of many sheets, each at the bound, holds gigabytes."""
    total = 0
    for name in names:
        if name == META_SHEET:
            continue
        grid = book.grid(name)[:max_rows]
        total += sum(len(row) for row in grid)
        if total > guards.MAX_TABLE_CELLS:
            detail = f"全部工作表共 {total} 个单元格，远超应有的大小"
            raise Refused(Finding.make("file-unsafe", file=book.display, detail=detail))
        yield name, grid


def read_sheets(
    path: Path, display: str, *, max_rows: int = 100_000
) -> tuple[list[tuple[str, list[list]]], list[Finding]]:
    """Every sheet of a workbook (but `_meta`) as rows anchored at A1, behind the same guards as submissions
    (format sniffing, zip and XML bombs, passwords): read_book_with_meta without the `_meta`."""
    _, sheets, findings = read_book_with_meta(path, display, max_rows=max_rows)
    return sheets, findings


def _fault(display: str, exc: Exception) -> Finding:
    return Finding.make("file-corrupt", file=display, detail=guards.describe_error(exc))


def read_book_with_meta(
    path: Path, display: str, *, max_rows: int = 100_000
) -> tuple[dict[str, str] | None, list[tuple[str, list[list]]], list[Finding]]:
    """(its `_meta` as key -> value or None, every other sheet as rows anchored at A1, findings), behind the same
    guards as every input: a ranking workbook publish or the history reads back, a roster, any table file.
    Problems are findings, never exceptions."""
    try:
        book = open_book(path, display)
        names = book.sheet_names
        sheets = list(_tables(book, names, max_rows))
        return book.meta(names), sheets, list(book.findings)
    except Refused as refused:
        return None, [], refused.findings
    except BaseException as exc:  # hostile input (a native panic too) must not stop the run
        guards.reraise_fatal(exc)
        return None, [], [_fault(display, exc)]


@dataclass
class TableBook:
    """A workbook read as tables (assessor tables, review sheets): every sheet but `_meta` as rows anchored at
    A1, its `_meta` (None when it has none), its own saved time, and the formulas of its cells."""

    sheets: list[tuple[str, list[list]]]
    findings: list[Finding]
    meta: dict[str, str] | None = None
    saved_at: datetime | None = None
    sha256: str = ""
    formulas: dict[str, dict[str, Formula]] = field(default_factory=dict)  # sheet -> A1 -> formula


def read_table_book(path: Path | MemberFile, display: str, *, max_rows: int = 10_000) -> TableBook:
    """Like read_sheets, with what a table that decides grades needs besides: `_meta` (what the file is), the
    saved time (which copy is newest) and each cell's formula with whether it has a cached value (read like a
    submission's). Behind the same guards; problems are findings, never exceptions."""
    try:
        book = open_book(path, display)
        names = book.sheet_names
        out = TableBook([], list(book.findings), book.meta(names), book.saved_at(), book.sha256)
        for name, grid in _tables(book, names, max_rows):
            out.sheets.append((name, grid))
            if book.zip is not None:  # .xlsx, .xlsm, .ods: where formulas can be told from values
                out.formulas[name] = {a1(r, c): f for (r, c), f in book.grid_formulas(name, grid).items()}
        return out
    except Refused as refused:
        return TableBook([], refused.findings, sha256=refused.sha256)
    except Exception as exc:  # hostile input must not stop the run
        return TableBook([], [_fault(display, exc)])
