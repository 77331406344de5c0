"""XlsxWriter, with one correction for printing and a way to write large sheets in parallel.

Printing: XlsxWriter leaves out fitToWidth="1" and fitToHeight="1" because 1 is the OOXML default; Excel and
LibreOffice honour the default, but other readers (openpyxl, some WPS versions) then report no fit at all.
Writing the attributes costs nothing and makes "one page wide" unambiguous for every reader.

Parallel sheets: XlsxWriter spends about 5 µs a cell, and the ranking workbook's two detail sheets hold about
60 cells a center; `BackgroundSheets` writes them in forked children while the parent writes the rest.
Both lean on XlsxWriter internals (`_write_page_setup`, constant_memory's rows file), as do PrintWorksheet's
three shortcuts for speed; the tests compare the parallel file with the serial one, and PrintWorksheet's XML
with stock XlsxWriter's, so a change in XlsxWriter shows there.
"""

from __future__ import annotations

import contextlib
import functools
import os
import pickle
import shutil
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from kjjr_excel import lifecycle
from kjjr_excel.errors import OutputError
from kjjr_excel.write.output import disk_full, disk_full_error

# ---------------------------------------------------------------------------------------------- text on paper


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


class PrintWorksheet(Worksheet):
    def _escape_attributes(self, attribute):
        # XlsxWriter escapes every attribute of every cell, the style index too: an int, which its regex
        # rejects with a TypeError that it catches and returns unchanged. Returning ints at once gives the
        # same XML without raising an exception for each formatted cell (0.5 µs of a cell's ~5 µs).
        if attribute.__class__ is int:
            return attribute
        return super()._escape_attributes(attribute)

    def _prepare_formula(self, formula, expand_future_functions=False):
        # For every conditional-format and validation formula XlsxWriter tries ~150 substitutions of the form
        # r"\bNAME\(" -> "_xlfn.NAME(", compiling each pattern on first use: about 6 ms a process, paid when the
        # ranking workbook is closed (its grade colours are `"优秀"`-style comparisons). A formula without "("
        # calls no function, so no substitution can apply: only XlsxWriter's own stripping is left to do.
        if "(" in formula:
            return super()._prepare_formula(formula, expand_future_functions)
        formula = formula.removeprefix("{").removeprefix("=")
        return formula.removesuffix("}")

    def _write_optimized_sheet_data(self) -> None:
        # constant_memory: XlsxWriter copies the rows file into the sheet part through two text files, decoding
        # and re-encoding every byte (3.3 MB of XML for 1,000 centers, in the single-threaded close). Both are
        # UTF-8 and raw "\r" never occurs in them (XlsxWriter writes it as _x000D_), so the bytes are copied.
        target = getattr(self.fh, "buffer", None)
        if self.dim_rowmin is None or target is None:
            super()._write_optimized_sheet_data()
            return
        self._xml_start_tag("sheetData")
        self.row_data_fh.flush()
        self.fh.flush()
        with open(self.row_data_filename, "rb") as rows:
            shutil.copyfileobj(rows, target, 2**20)
        _drop_rows_file(self)
        self._xml_end_tag("sheetData")

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
    # zlib level for the package. XlsxWriter uses the default (6); level 1 deflates the 44 MB of XML of a
    # 10,000-center ranking workbook in 0.22 s instead of 0.72 s, for a file of 6.6 MB instead of 5.0 MB.
    compresslevel: int | None = None

    def _store_workbook(self) -> None:
        if self.compresslevel is None:
            super()._store_workbook()
            return
        # XlsxWriter opens its ZipFile without a compresslevel; give it one for the length of this call.
        from xlsxwriter import workbook as module

        original = module.ZipFile
        module.ZipFile = functools.partial(original, compresslevel=self.compresslevel)
        try:
            super()._store_workbook()
        finally:
            module.ZipFile = original

    def discard(self) -> None:
        """Give up a workbook that will not be closed: remove the rows files constant_memory keeps per sheet
        (close() would remove them; a failed write never gets there)."""
        for ws in self.worksheets():
            if getattr(ws, "row_data_filename", None):
                _drop_rows_file(ws)
        self.fileclosed = True  # nothing for __del__ to warn about


# ---------------------------------------------------------------------------------------------- sheets in parallel

# Worksheet attributes a detached writer must not carry back: its own file handles, and the objects the sheet
# shares with its workbook (a child's copies of them would replace the parent's).
_NOT_CARRIED = frozenset(
    {
        "fh",
        "row_data_fh",
        "row_data_filename",
        "row_data_fh_closed",
        "workbook_add_format",
        "str_table",
        "worksheet_meta",
    }
)
# The sheets forked children write: set just before the pool forks, so children inherit them (a worksheet and
# its writer cannot be pickled, and need not be).
_DETACHED: list[tuple[Worksheet, Callable[[], None], str]] = []


def freeze_formats(formats: Iterable[Any]) -> None:
    """Give each cell format its style index now. XlsxWriter numbers a format on first use; sheets written in
    separate processes must agree on the numbers, so they are fixed before any cell is written."""
    for cell_format in formats:
        cell_format._get_xf_index()


class BackgroundSheets:
    """Sheets written while this process does other work.

    Each job is (worksheet, writer); the writer fills that worksheet (and only it) through XlsxWriter's API,
    using formats frozen by freeze_formats. In constant_memory mode a sheet's rows go to a temporary file of
    its own, so a forked child can write them: it writes into a new rows file (named here, so that nothing is
    left behind whatever happens to the child) and sends back what changed on the worksheet object
    (dimensions, widths, row heights, print settings); `adopt` takes both into this process's workbook.
    A worksheet may have several jobs, each writing the next block of rows (the first one also the header and
    the sheet's settings, the others rows only): their rows files are joined in job order. Without fork
    (Windows) or when not `parallel`, the writers run at once, here, in order. The file is the same either way
    (a test compares them). Call `adopt` or `abandon` once.
    """

    def __init__(self, jobs: Sequence[tuple[Worksheet, Callable[[], None]]], *, parallel: bool):
        self.jobs = list(jobs)
        self.children: list[tuple[Any, Any]] = []  # (process, the read end of its pipe)
        self.files: list[str] = []
        context = _fork_context() if parallel and self.jobs else None
        if context is None:
            for _, write in self.jobs:
                write()
            return
        try:
            for ws, _ in self.jobs:
                fd, filename = tempfile.mkstemp(dir=ws.tmpdir)
                os.close(fd)
                self.files.append(filename)
            _DETACHED[:] = [(ws, write, f) for (ws, write), f in zip(self.jobs, self.files, strict=True)]
            for index in range(len(self.jobs)):
                reader, writer = context.Pipe(duplex=False)
                process = context.Process(target=_run_detached, args=(index, writer), daemon=True)
                process.start()
                writer.close()  # the child has its own: the pipe ends when the child does
                self.children.append((process, reader))
        except BaseException:
            self.abandon()
            raise
        finally:
            _DETACHED.clear()

    def adopt(self) -> None:
        """Wait for the children and take their sheets into this process's workbook. A child's error is
        raised here; so is a child that died without a word (killed, out of memory), instead of a wait that
        never ends."""
        if not self.children:
            return
        try:
            changes = [_outcome(process, reader) for process, reader in self.children]
            first: dict[int, str] = {}  # id(worksheet) -> the rows file of its first block
            for (ws, _), filename, changed in zip(self.jobs, self.files, changes, strict=True):
                if id(ws) not in first:
                    first[id(ws)] = filename
                    _adopt(ws, filename, changed)
                else:
                    _adopt_more_rows(ws, filename, changed)
            self.files = [f for f in self.files if f not in first.values()]
            # the later blocks, now copied into the first ones, go in abandon(); the first blocks belong to
            # the worksheets now, and XlsxWriter deletes them once copied into the workbook
        finally:
            self.abandon()

    def abandon(self) -> None:
        """Stop the children and remove whatever they wrote."""
        for process, reader in self.children:
            if process.is_alive():
                process.terminate()
            process.join()
            reader.close()
        self.children = []
        for filename in self.files:
            with contextlib.suppress(OSError):
                os.unlink(filename)
        self.files = []


def _run_detached(index: int, conn: Any) -> None:
    """A child's whole life: write its sheet, send back ("ok", changes) or ("error", text). Ctrl+C is the
    parent's to handle (it stops the children)."""
    lifecycle.worker_started()
    try:
        message: tuple = ("ok", _write_detached(index))
    except OSError as exc:  # the disk: the user can act on it
        message = ("disk", (exc.errno, exc.strerror, exc.filename))
    except BaseException as exc:  # everything goes back to the parent, which raises it
        message = ("error", f"{type(exc).__name__}: {exc}")
    conn.send(message)
    conn.close()


def _outcome(process: Any, reader: Any) -> dict[str, Any]:
    try:
        kind, payload = reader.recv()
    except EOFError:
        process.join()
        raise OutputError(
            f"写入结果文件的子进程意外退出（退出码 {process.exitcode}，可能是内存不足），结果文件没有写出。"
            "请重试。"
        ) from None
    if kind == "disk":
        error = OSError(*payload)
        if disk_full(error):
            raise disk_full_error(error)
        raise OutputError(f"写入临时文件时出错（{error.strerror or '系统错误'}）。请确认磁盘空间充足后重试。")
    if kind != "ok":
        raise RuntimeError(f"写入工作表时出错：{payload}")
    return payload


def _fork_context():
    import multiprocessing

    try:
        return multiprocessing.get_context("fork")
    except ValueError:
        return None


def _carried(ws: Worksheet) -> dict[str, bytes]:
    return {
        key: pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
        for key, value in vars(ws).items()
        if key not in _NOT_CARRIED
    }


def _write_detached(index: int) -> dict[str, Any]:
    """In the child: write one sheet into its rows file; return the worksheet attributes that changed."""
    ws, write, filename = _DETACHED[index]
    before = _carried(ws)
    with open(filename, "w", encoding="utf-8") as fh:
        ws.row_data_fh = ws.fh = fh
        write()
        # Flush the last row now; the row number given is past any sheet's end, so the flush XlsxWriter does
        # when it assembles the file finds nothing left to write.
        ws._write_single_row(ws.xls_rowmax)
    after = _carried(ws)
    return {key: getattr(ws, key) for key, dumped in after.items() if before.get(key) != dumped}


# What a block of rows after the first may change on its worksheet: the extent of the data, the row
# XlsxWriter's constant_memory mode is at, and the heights of its own rows (set_row: wrapped text).
_ROW_BLOCK_CHANGES = frozenset(
    {"dim_rowmin", "dim_rowmax", "dim_colmin", "dim_colmax", "previous_row", "table", "row_info", "row_sizes"}
)
_ROW_BLOCK_MERGED = ("row_info", "row_sizes")  # dicts by row: a later block adds its rows' entries


def _adopt_more_rows(ws: Worksheet, filename: str, changed: dict[str, Any]) -> None:
    """In the parent: append a later block of rows to the worksheet's rows file and widen its extent."""
    unexpected = set(changed) - _ROW_BLOCK_CHANGES
    if unexpected:  # a writer bug: a later block must write rows only
        raise RuntimeError(f"a later block of rows changed {sorted(unexpected)} on sheet {ws.name}")
    for key, pick in (("dim_rowmin", min), ("dim_rowmax", max), ("dim_colmin", min), ("dim_colmax", max)):
        if key in changed:
            mine, theirs = getattr(ws, key), changed[key]
            setattr(ws, key, theirs if mine is None else pick(mine, theirs))
    for key in _ROW_BLOCK_MERGED:
        if key in changed:
            getattr(ws, key).update(changed[key])
    with open(ws.row_data_filename, "ab") as out, open(filename, "rb") as block:
        shutil.copyfileobj(block, out, 2**20)


def _adopt(ws: Worksheet, filename: str, changed: dict[str, Any]) -> None:
    """In the parent: take the child's rows file (XlsxWriter reopens it when it assembles the sheet) and the
    attributes it changed, dropping the empty rows file the sheet was created with."""
    _drop_rows_file(ws)
    vars(ws).update(changed)
    ws.row_data_filename = filename
    ws.row_data_fh_closed = True


def _drop_rows_file(ws: Worksheet) -> None:
    """Close and delete the temporary file constant_memory keeps a sheet's rows in."""
    if not ws.row_data_fh_closed:
        ws.row_data_fh_closed = True
        with contextlib.suppress(OSError):  # a full disk fails the final flush: the file goes all the same
            ws.row_data_fh.close()
    with contextlib.suppress(OSError):
        os.unlink(ws.row_data_filename)
