"""XlsxWriter, with one correction for printing and a way to write large sheets in parallel.

Printing: XlsxWriter leaves out fitToWidth="1" and fitToHeight="1" because 1 is the OOXML default; Excel and
LibreOffice honour the default, but other readers (openpyxl, some WPS versions) then report no fit at all.
Writing the attributes costs nothing and makes "one page wide" unambiguous for every reader.

Parallel sheets: XlsxWriter spends 5-10 µs a cell, and the ranking workbook's two detail sheets hold about
70 cells a center; `sheets_in_background` writes them in forked children while the parent writes the rest.
Both pieces lean on XlsxWriter internals (`_write_page_setup`, constant_memory's rows file); the tests
compare the parallel file with the serial one, so a change in XlsxWriter shows there.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import tempfile
from collections.abc import Callable, Iterable, Sequence
from typing import Any

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

    def discard(self) -> None:
        """Give up a workbook that will not be closed: remove the rows files constant_memory keeps per sheet
        (close() would remove them; a failed write never gets there)."""
        for ws in self.worksheets():
            filename = getattr(ws, "row_data_filename", None)
            if filename:
                if not ws.row_data_fh_closed:
                    ws.row_data_fh.close()
                    ws.row_data_fh_closed = True
                with contextlib.suppress(OSError):
                    os.unlink(filename)
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
# The sheets a forked child writes: set just before the pool forks, so children inherit them (a worksheet and
# its writer cannot be pickled, and need not be).
_DETACHED: list[tuple[Worksheet, Callable[[], None]]] = []


def freeze_formats(formats: Iterable[Any]) -> None:
    """Give each cell format its style index now. XlsxWriter numbers a format on first use; sheets written in
    separate processes must agree on the numbers, so they are fixed before any cell is written."""
    for cell_format in formats:
        cell_format._get_xf_index()


@contextlib.contextmanager
def sheets_in_background(jobs: Sequence[tuple[Worksheet, Callable[[], None]]], *, parallel: bool):
    """Write the given sheets while the caller writes the others.

    Each job is (worksheet, writer); the writer fills that worksheet (and only it) through XlsxWriter's API,
    using formats frozen by freeze_formats. In constant_memory mode a sheet's rows go to its own temporary
    file, so a forked child can write them: it writes into a fresh temporary file and sends back what changed
    on the worksheet object (dimensions, widths, row heights, print settings); on leaving the block the parent
    adopts both. Without fork (Windows) or when not `parallel`, the writers run here, one after the other,
    before the block. The result is the same file either way (a test compares them).
    """
    context = _fork_context() if parallel and jobs else None
    if context is None:
        for _, write in jobs:
            write()
        yield
        return
    _DETACHED[:] = jobs
    try:
        pool = context.Pool(len(jobs))
    finally:
        _DETACHED.clear()
    outcomes: list[tuple[str, dict[str, Any]]] = []
    try:
        pending = [pool.apply_async(_write_detached, (n,)) for n in range(len(jobs))]
        yield
        for job in pending:
            outcomes.append(job.get())
        for (ws, _), (filename, changed) in zip(jobs, outcomes, strict=True):
            _adopt(ws, filename, changed)
        outcomes = []  # adopted: XlsxWriter deletes them once copied into the workbook
    finally:
        pool.terminate()
        pool.join()
        for filename, _ in outcomes:  # a failure after a child wrote: leave no temporary file behind
            with contextlib.suppress(OSError):
                os.unlink(filename)


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


def _write_detached(index: int) -> tuple[str, dict[str, Any]]:
    """In the child: write one sheet into a new temporary file; return the file and the changed attributes."""
    ws, write = _DETACHED[index]
    before = _carried(ws)
    fd, filename = tempfile.mkstemp(dir=ws.tmpdir)
    os.close(fd)
    fh = open(filename, "w+", encoding="utf-8")  # noqa: SIM115 - XlsxWriter's own way of holding it
    ws.row_data_fh = ws.fh = fh
    try:
        write()
        # Flush the last row now; the row number given is past any sheet's end, so the flush XlsxWriter does
        # when it assembles the file finds nothing left to write.
        ws._write_single_row(ws.xls_rowmax)
    except BaseException:
        fh.close()
        os.unlink(filename)
        raise
    fh.close()
    after = _carried(ws)
    changed = {key: getattr(ws, key) for key, dumped in after.items() if before.get(key) != dumped}
    return filename, changed


def _adopt(ws: Worksheet, filename: str, changed: dict[str, Any]) -> None:
    """In the parent: take the child's rows file (XlsxWriter reopens it when it assembles the sheet) and the
    attributes it changed, dropping the empty rows file the sheet was created with."""
    if not ws.row_data_fh_closed:
        ws.row_data_fh.close()
    with contextlib.suppress(OSError):
        os.unlink(ws.row_data_filename)
    vars(ws).update(changed)
    ws.row_data_filename = filename
    ws.row_data_fh_closed = True
