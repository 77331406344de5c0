"""Guards every input file passes before any parser sees it: the one guarded open, and sheet extents.

Everything the tool reads (inbox, assessment and review tables, history, roster) is opened here: a regular file
only (a FIFO or a device would hang the run), read to a size cap, every OS error named for what it is. A sheet's
extent is bounded before python-calamine loads it: calamine allocates the whole rectangle up to the farthest
cell, so one cell at XFD1048576 in a 14 KB file asks for 512 GiB and aborts the process. Problems are raised as
`Guarded(code, fields)`; each reader turns them into its own finding or message.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import struct
import zipfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

from kjjr_excel.errors import os_error_text

# The largest sheet any reader of ours loads: rows x columns of the rectangle from A1 to the farthest cell
# (calamine's allocation). A filled template is a few hundred cells; a ranking workbook of 10,000 centers,
# read back as history, about 600,000 on its widest sheet.
MAX_SHEET_CELLS = 2_000_000
# How a file starts: a zip package (.xlsx .ods, or an archive) and an OLE container (.xls, or an Outlook .msg)
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MAX_SHEET_ROWS = 1_048_576
MAX_SHEET_COLS = 16_384
MAX_BOOK_CELLS = 4_000_000  # an .xls is loaded whole: all its sheets at once
MAX_TABLE_CELLS = (
    8_000_000  # the sheets a table reader keeps, together (a ranking workbook read back as history)
)
# Text in the cells of a book loaded whole (.xls, .ods), in characters: each cell holds its own copy of a text
# shared (an .xls string table) or repeated (.ods). A ranking workbook of 10,000 centers holds about 20 million.
MAX_BOOK_TEXT = 50_000_000
# Characters moved while calamine builds an .xls's formula texts (see xls_load): a second's work at most.
MAX_FORMULA_WORK = 10**10

# Native readers raise these through Python; a fault in one file must not stop the batch, but the user's
# Ctrl+C (and an exit asked for) must still stop it.
FATAL = (KeyboardInterrupt, SystemExit, GeneratorExit, MemoryError)


class Guarded(Exception):
    """A file refused by a guard: a finding code of findings.CODES and the fields of its message."""

    def __init__(self, code: str, **fields: str):
        super().__init__(code)
        self.code = code
        self.fields = fields


def reraise_fatal(exc: BaseException) -> None:
    """Call in an `except BaseException` around a native reader: lets Ctrl+C and exits through, keeps faults
    (pyo3's PanicException derives from BaseException) for the caller to turn into a finding."""
    if isinstance(exc, FATAL):
        raise exc


def describe_error(exc: BaseException) -> str:
    """A reader's exception as Chinese detail for a finding: its kind, never the library's English."""
    name = type(exc).__name__
    if isinstance(exc, OSError):
        return "读取时发生系统错误"
    if "zlib" in type(exc).__module__ or name == "error":
        return "压缩数据已损坏"
    if "Panic" in name:
        return "表格内容损坏，读取程序无法解析"
    if isinstance(exc, UnicodeError):
        return "文字编码错误"
    if isinstance(exc, RecursionError):
        return "表格结构嵌套过深"
    return "表格内容损坏或格式不规范"


# ---------------------------------------------------------------------------------------------- the open

_KINDS = (
    (stat.S_ISDIR, "文件夹"),
    (stat.S_ISFIFO, "命名管道（FIFO）"),
    (stat.S_ISCHR, "字符设备"),
    (stat.S_ISBLK, "块设备"),
    (stat.S_ISSOCK, "套接字"),
)


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "特殊文件")


def os_error(exc: OSError) -> Guarded:
    """An OS error met on an input file, as the finding that names its cause."""
    code = exc.errno
    if isinstance(exc, FileNotFoundError) or code == errno.ENOENT:
        return Guarded("file-missing")
    if isinstance(exc, PermissionError) or code in (errno.EACCES, errno.EPERM):
        return Guarded("file-no-permission")
    if code == errno.ELOOP:
        return Guarded("file-link-loop")
    if code == errno.ENAMETOOLONG:
        return Guarded("file-io-error", detail="文件名或路径过长")
    if code == errno.EISDIR:
        return Guarded("file-not-regular", kind="文件夹")
    return Guarded("file-io-error", detail=os_error_text(exc, "读取时发生系统错误"))


def open_input(path: str | os.PathLike) -> BinaryIO:
    """An input file opened for reading, once it is known to be a regular file; raise Guarded otherwise.

    Opened without blocking and checked with fstat on the open descriptor, so a FIFO or device swapped in
    after a directory listing is refused too, never waited on. Read-only: inputs are never modified."""
    flags = (
        os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
    )
    try:
        before = os.stat(path)
        if not stat.S_ISREG(before.st_mode):
            raise Guarded("file-not-regular", kind=_kind(before.st_mode))
        fd = os.open(path, flags)
    except OSError as exc:
        raise os_error(exc) from None
    try:
        mode = os.fstat(fd).st_mode
    except OSError as exc:
        os.close(fd)
        raise os_error(exc) from None
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise Guarded("file-not-regular", kind=_kind(mode))
    return os.fdopen(fd, "rb", buffering=0)


def read_input(path: str | os.PathLike, limit: int) -> bytes:
    """The bytes of an input file (open_input), at most `limit`: a larger file is Guarded('file-unsafe')."""
    with open_input(path) as fh:
        try:
            size = os.fstat(fh.fileno()).st_size
            if size > limit:
                raise Guarded("file-unsafe", detail=f"文件大小 {size // 2**20} MB，超出上限")
            chunks: list[bytes] = []
            total = 0
            # read(n) allocates n bytes up front: ask for what fstat says (+1 to notice growth), then on to the cap
            want = size + 1
            while total <= limit:
                chunk = fh.read(min(want, limit + 1 - total))
                if not chunk:
                    break
                chunks.append(chunk)
                total += len(chunk)
                want = 2**20
        except OSError as exc:
            raise os_error(exc) from None
    if total > limit:
        raise Guarded("file-unsafe", detail=f"文件大小超过 {limit // 2**20} MB 的上限")
    return b"".join(chunks)


def display_name(name: str) -> str:
    """A file name fit to show: one that is not valid UTF-8 (what unzip leaves of a Chinese name on Linux)
    is decoded as GBK when it can be, else its odd bytes are shown as \\xNN; never a surrogate. A control
    character (a newline in a Linux name) is shown as \\n or \\xNN too: it broke the console's one line per
    file, and a cell of 校验问题, in two."""
    try:
        name.encode("utf-8")
        return _visible(name)
    except UnicodeEncodeError:
        pass
    raw = os.fsencode(name)
    try:
        return _visible(raw.decode("gb18030"))
    except UnicodeDecodeError:
        return _visible(raw.decode("utf-8", "backslashreplace"))


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_SHOWN = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _visible(text: str) -> str:
    return _CONTROL.sub(lambda m: _CONTROL_SHOWN.get(m[0], f"\\x{ord(m[0]):02x}"), text)


def name_is_odd(name: str) -> bool:
    """True when a file name is not valid UTF-8 (Python keeps such bytes as surrogates)."""
    try:
        name.encode("utf-8")
        return False
    except UnicodeEncodeError:
        return True


# ---------------------------------------------------------------------------------------------- extents


def _column_number(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


# The one form the usual writers (Excel, LibreOffice, Gnumeric, XlsxWriter, openpyxl) give a row or cell start
# tag: r first, in double quotes; then attributes one space apart, none of them an r (prefixed or not), no
# quote, < or > inside a value; then > or />. A tag of this form has exactly one reference, and ends where it
# seems to (a '>' inside a quoted value would not end it for calamine's parser).
_ATTRIBUTES = rb'(?: (?!r=)[\w.-]+(?::(?!r=)[\w.-]+)?="[^"<>]*")*/?>'
_CELL_PLAIN = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"' + _ATTRIBUTES)
_ROW_PLAIN = re.compile(rb'<row r="[0-9]{1,7}"' + _ATTRIBUTES)
# Every row or cell start tag as calamine's parser sees one: the name (after a prefix; a name ending in :c is
# counted too, which can only overstate) ends at white space, / or >. Inside a comment one counts as well.
_ANY_TAG = re.compile(rb"<(?:[^\s<>/!?\"']*:)?(?:c|row)(?=[\s/>])")


def _by_length(text: bytes) -> tuple[int, bytes]:
    return len(text), text


def xml_extent(part: bytes) -> tuple[int, int]:
    """(rows, columns) of the rectangle from A1 to the farthest cell of a sheet part, as calamine allocates it.

    Only cells count: a row element without cells allocates nothing (LibreOffice writes an empty
    `<row r="1048576">` after a row is deleted). When every row and cell tag has the usual writers' form, each
    cell carries its own reference and three searches find them all. Anything else (a tab between attributes,
    single quotes, a prefix, a cell without r, a second r, a '>' inside a value) is parsed as XML, where a cell
    without r is placed after the one before (in the current row), a row without r after the one before, and
    every r in a tag counts: the bound holds whatever a file says. Raise Guarded('file-corrupt') when the part
    is not well-formed XML (no bound can be given for what calamine might make of it)."""
    cells = _CELL_PLAIN.findall(part)
    if len(_ANY_TAG.findall(part)) == len(cells) + len(_ROW_PLAIN.findall(part)):
        # digit strings compare as numbers by (length, text); a leading zero can only overstate the bound
        digits = {d for _, d in cells}
        letters = {c for c, _ in cells}
        far_row = int(max(digits, key=_by_length)) if digits else 0
        return far_row, _column_number(max(letters, key=_by_length).decode()) if letters else 0
    return _parsed_extent(part)


_REFERENCE = re.compile(r"\s*([A-Za-z]*)([0-9]*)")


def _parsed_extent(part: bytes) -> tuple[int, int]:
    from xml.parsers import expat

    far = [0, 0]  # farthest row, column
    at = [0, 0]  # the current row, and the column of the cell before

    def start(name: str, attributes: dict[str, str]) -> None:
        local = name.rpartition(":")[2]
        if local not in ("c", "row"):
            return
        refs = [_REFERENCE.match(v).groups() for k, v in attributes.items() if k.rpartition(":")[2] == "r"]
        if local == "row":
            at[0] = max((_number(d) for _, d in refs if d), default=at[0] + 1)
            at[1] = 0
            return
        row, col = at
        placed = [(row or 1, col + 1)] if not refs else []
        for letters, digits in refs:
            placed.append(
                (
                    _number(digits) if digits else row or 1,
                    _column(letters) if letters else col + 1,
                )
            )
        for r, c in placed:
            far[0], far[1] = max(far[0], r), max(far[1], c)
        at[1] = max(c for _, c in placed)

    def refuse(*_: object) -> None:
        raise ValueError("DTD")

    parser = expat.ParserCreate()
    parser.StartElementHandler = start
    parser.StartDoctypeDeclHandler = refuse  # the part's scan refuses a DTD first; never expand one here
    parser.EntityDeclHandler = refuse
    try:
        parser.Parse(part, True)
    except (expat.ExpatError, ValueError) as exc:
        where = f"在第 {exc.lineno} 行" if isinstance(exc, expat.ExpatError) else ""
        raise Guarded("file-corrupt", detail=f"工作表的XML内容{where}不规范，无法确定其范围") from None
    return far[0], far[1]


# An r attribute however written (any prefix, blanks around '=', either quote), found anywhere in a part
_LOOSE_R = re.compile(rb"""[\s"'](?:[^\s<>=/"']*:)?r\s*=\s*(?:"([^"]*)"|'([^']*)')""")


def loose_extent(part: bytes) -> tuple[int, int]:
    """(rows, columns) no reader can place a cell beyond in a part that need not be XML at all (a part a sheet
    might be made to point to: a theme, styles, a macro project): the farthest r anywhere, plus one row and
    one column for every row or cell tag (each one without r is placed one after the one before)."""
    import html

    tags = len(_ANY_TAG.findall(part))
    rows = cols = 0
    for match in _LOOSE_R.finditer(part):
        letters, digits = _REFERENCE.match(
            html.unescape(quoted_value(match).decode("utf-8", "replace"))
        ).groups()
        rows = max(rows, _number(digits) if digits else 0)
        cols = max(cols, _column(letters) if letters else 0)
    return rows + tags, cols + tags


def _number(digits: str) -> int:
    return int(digits) if len(digits) <= 7 else 10 ** len(digits)


def _column(letters: str) -> int:
    """A reference's column number; past three letters only its order of size (no sheet is that wide)."""
    return _column_number(letters) if len(letters) <= 3 else 26 ** len(letters)


def starts_late(infos: Sequence[zipfile.ZipInfo]) -> bool:
    """Whether a zip's first entry does not start the file: the directory zipfile found is then not this file's
    own (a cut download of a zip of stored workbooks ends in the directory of one of them), and zipfile shifted
    every offset to fit it."""
    return bool(infos) and min(i.header_offset for i in infos) > 0


def quoted_value(match: re.Match[bytes]) -> bytes:
    """The value of an attribute matched as `(?:"([^"]*)"|'([^']*)')`, whichever quote it has."""
    return match.group(1) if match.group(1) is not None else match.group(2)


# The first row or cell start tag that is not in the usual writers' form (above) with a near reference (a row
# below 1000, a column before AAA). One search that stops at its first hit: in a filled template it finds
# nothing. A prefixed tag is looked for apart, by what its name ends with, wherever it stands (anywhere
# else it can only make a sheet not plain): one search for a rare byte instead of a test at every tag.
_NOT_PLAINLY_SMALL = re.compile(
    rb'<(?:c(?:(?! r="[A-Z]{1,2}[0-9]{1,3}"' + _ATTRIBUTES + rb")[\s/>])"
    rb'|row(?:(?! r="[0-9]{1,3}"' + _ATTRIBUTES + rb")[\s/>]))"
)
_PREFIXED = re.compile(rb":(?:c|row)[\s/>]")
SMALL = (999, 702)  # rows x columns (ZZ999) a sheet is at most when plainly_small


def plainly_small(part: bytes) -> bool:
    """True when a sheet part is surely within SMALL: every row and cell tag has the usual writers' form with a
    near r (one without r is placed by counting, so it is never plain). Then xml_extent is not needed: most of
    a batch, every filled template, is plain."""
    return _PREFIXED.search(part) is None and _NOT_PLAINLY_SMALL.search(part) is None


# calamine reserves room for as many shared strings as the part's uniqueCount says (24 bytes each) before it
# reads one: a uniqueCount of 4294967295 in a 10 KB file asks for 96 GiB and aborts. Every one is looked at,
# wherever it stands and however it is quoted or written (a reference expanded).
_UNIQUE_COUNT = re.compile(rb"""uniqueCount\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_SHORTEST_STRING = len(b"<si/>")


def check_shared_strings(part: bytes, name: str) -> None:
    """Raise Guarded('file-unsafe') when a shared strings part declares more strings than it can hold (each
    one takes at least `<si/>`): only a forged count does, and calamine would reserve room for all of them."""
    import html

    room = len(part) // _SHORTEST_STRING + 1
    for match in _UNIQUE_COUNT.finditer(part):
        value = html.unescape(quoted_value(match).decode("utf-8", "replace")).strip()
        digits = value.removeprefix("+")
        if digits.isdigit() and (len(digits) > 12 or int(digits) > room):
            raise Guarded("file-unsafe", detail=f"部件 {name} 声明的字符串数量（{value[:20]}）与其内容不符")


def check_extent(rows: int, cols: int, *, max_cells: int = MAX_SHEET_CELLS) -> None:
    """Raise Guarded('sheet-too-large') when a sheet's rectangle is more than any reader of ours should load."""
    if rows > MAX_SHEET_ROWS or cols > MAX_SHEET_COLS or rows * cols > max_cells:
        raise Guarded("sheet-too-large", far=far_cell(rows, cols))


def far_cell(rows: int, cols: int) -> str:
    """The A1 name of the farthest cell, capped at the largest a sheet can hold."""
    from kjjr_excel.domain.parse import a1

    return a1(min(max(rows, 1), MAX_SHEET_ROWS) - 1, min(max(cols, 1), MAX_SHEET_COLS) - 1)


# BIFF records whose data start with row (2 bytes) and column (2 bytes): the cells of an .xls sheet.
# (BIFF8 FORMULA BLANK NUMBER LABEL BOOLERR RK LABELSST RSTRING; the BIFF2-4 forms of the same.)
_BIFF_CELLS = frozenset(
    {0x0006, 0x0201, 0x0203, 0x0204, 0x0205, 0x027E, 0x00FD, 0x00D6, 0x0001, 0x0002, 0x0003, 0x0004, 0x0005}
    | {0x0206, 0x0406}
)
_BIFF_MULTI = frozenset({0x00BD, 0x00BE})  # MULRK, MULBLANK: row, first column, ..., last column
_BIFF_DIMENSIONS = 0x0200
_BIFF_BOUNDSHEET = 0x0085
_BIFF_FILEPASS = 0x002F
_BIFF_LABELSST = 0x00FD
_BIFF_FORMULA = 0x0006
_BIFF_SST = 0x00FC
_BIFF_CONTINUE = 0x003C
_BIFF_BOF = frozenset({0x0809, 0x0409, 0x0209, 0x0009})
_BIFF_EOF = 0x000A


def _biff_records(stream: bytes, at: int) -> Iterator[tuple[int, int, int]]:
    """(kind, body offset, size) of each record from `at` on, to and without the first EOF record, as
    calamine walks them (it stops at a record that runs past the stream: so does this)."""
    end = len(stream)
    while at + 4 <= end:
        kind, size = struct.unpack_from("<HH", stream, at)
        if kind == _BIFF_EOF or at + 4 + size > end:
            return
        yield kind, at + 4, size
        at += 4 + size


biff_records = _biff_records  # for book's closer look at an .xls (its number formats)


def xls_sheets(stream: bytes) -> list[tuple[str, int]]:
    """(name, where its records start) of each sheet a BOUNDSHEET record of the workbook globals names, as
    calamine reads them: every BOUNDSHEET before the globals' EOF record, in order. Raise
    Guarded('file-encrypted') for a FILEPASS record there: calamine refuses RC4 but reads the cells of an
    XOR-obfuscated book as they stand, garbage, and msoffcrypto looks only when the stream starts with a BOF."""
    sheets: list[tuple[str, int]] = []
    biff8 = True
    for kind, body, size in _biff_records(stream, 0):
        if kind == _BIFF_FILEPASS:
            raise Guarded("file-encrypted")
        if kind in _BIFF_BOF and size >= 2 and not sheets:
            biff8 = struct.unpack_from("<H", stream, body)[0] in (0x0600, 0)
        elif kind == _BIFF_BOUNDSHEET and size >= 4:
            sheets.append(
                (
                    _sheet_name(stream[body + 6 : body + size], biff8),
                    struct.unpack_from("<I", stream, body)[0],
                )
            )
    return sheets


def _sheet_name(short_string: bytes, biff8: bool) -> str:
    """A BOUNDSHEET's name (a ShortXLUnicodeString; BIFF5 names in the machine's code page, GBK here)."""
    if not short_string:
        return ""
    count = short_string[0]
    if not biff8:
        return short_string[1 : 1 + count].decode("gb18030", "replace")
    wide = len(short_string) > 1 and short_string[1] & 1
    text = short_string[2 : 2 + count * (2 if wide else 1)]
    return text.decode("utf-16-le", "replace") if wide else text.decode("latin-1")


def _xls_sheet_records(stream: bytes) -> Iterator[tuple[int, int, int, int]]:
    """(sheet number, kind, body offset, size) of each record of each sheet of xls_sheets, read from where its
    BOUNDSHEET points to its EOF record, wherever that lies (inside another record, or shared by several
    sheets: each is read again). Raise Guarded('file-corrupt') for a sheet that starts outside the stream,
    Guarded('file-unsafe') for sheets read over and over (overlapping ones)."""
    walked = 0
    for n, (_, start) in enumerate(xls_sheets(stream)):
        if start + 4 > len(stream):
            raise Guarded("file-corrupt", detail="工作表的位置超出文件范围")
        for kind, body, size in _biff_records(stream, start):
            walked += size + 4
            yield n, kind, body, size
        if walked > 2 * len(stream):  # sheets that do not overlap are read once in all
            raise Guarded("file-unsafe", detail="多个工作表指向同一段内容")


def xls_extent(stream: bytes) -> list[tuple[int, int]]:
    """(rows, columns) of each sheet of an .xls Workbook stream, as calamine loads it (_xls_sheet_records):
    the larger of what its DIMENSIONS record makes calamine reserve and its farthest cell record."""
    extents = [(0, 0)] * len(xls_sheets(stream))
    for n, kind, body, size in _xls_sheet_records(stream):
        r, c = _biff_far(stream, kind, body, size)
        rows, cols = extents[n]
        extents[n] = (max(rows, r), max(cols, c))
    return extents


def xls_load(stream: bytes) -> tuple[int, int]:
    """(characters of text, formula work) calamine spends on the sheets of an .xls as it opens it, beyond one
    cell each. Each cell pointing at a shared string gets its own copy: one string of 65,535 characters shared
    by 60,000 cells is 4 GB from a 1 MB file. A formula's spaces (PtgAttrSpace, up to 255 per 4 bytes) are
    inserted one character at a time into its text: the work is counted as spaces x length."""
    lengths: list[int] | None = None
    text = work = 0
    for _, kind, body, size in _xls_sheet_records(stream):
        if kind == _BIFF_LABELSST and size >= 10:
            lengths = _sst_lengths(stream) if lengths is None else lengths
            (index,) = struct.unpack_from("<I", stream, body + 6)
            text += lengths[index] if index < len(lengths) else 0xFFFF  # unknown: the longest a string is
        elif kind == _BIFF_FORMULA and size > 22:
            tokens = stream[body + 22 : body + size]
            spaces = sum(m[0] for m in _ATTR_SPACE.findall(tokens))
            work += spaces * (spaces + len(tokens))
    return text, work


# PtgAttrSpace (0x19 0x40, or 0x41 for a volatile one), its kind and its count; at every offset (overlapping),
# so a byte that only looks like one can overstate the count, never hide a real one
_ATTR_SPACE = re.compile(rb"(?=\x19[\x40\x41].(.))", re.DOTALL)


def _biff_far(stream: bytes, kind: int, body: int, size: int) -> tuple[int, int]:
    """(rows, columns) one sheet record asks calamine for: through its cell, or what a DIMENSIONS reserves."""
    unpack = struct.unpack_from
    if kind in _BIFF_CELLS and size >= 4:
        r, c = unpack("<HH", stream, body)
        return r + 1, c + 1
    if kind in _BIFF_MULTI and size >= 6:
        r, _ = unpack("<HH", stream, body)
        (last,) = unpack("<H", stream, body + size - 2)
        return r + 1, last + 1
    if kind == _BIFF_DIMENSIONS and size in (10, 14):  # BIFF5 and older: 2-byte rows; BIFF8: 4-byte rows
        first_row, last_row, first_col, last_col = unpack("<HHHH" if size == 10 else "<IIHH", stream, body)
        if last_row < 1 or last_col < 1:
            return 1, 1
        # calamine reserves (last - first) rows in 32-bit arithmetic: a first row after the last one wraps
        # round to some 4 billion rows (and a first column after the last is no sheet at all)
        return max(last_row, (last_row - first_row) % 2**32), max(last_col, (last_col - first_col) % 2**32)
    return 0, 0


def check_xls(stream: bytes) -> None:
    """Raise Guarded('sheet-too-large') when an .xls holds a sheet, or sheets together, too large to load;
    Guarded('file-unsafe') when opening it would copy more text, or parse formulas longer, than any
    workbook of ours needs."""
    check_book(xls_extent(stream), [name for name, _ in xls_sheets(stream)])
    text, work = xls_load(stream)
    check_text(text)
    if work > MAX_FORMULA_WORK:
        raise Guarded("file-unsafe", detail="公式中有大量异常的空白字符，读取会耗时过长")


# An .xlsx sheet's cells of shared strings: calamine copies the string into each cell, so one long string
# referenced by many cells is copied as often (40 KB of file asked for 2 GB). The plain forms only.
_SHARED_ITEM = re.compile(rb"<si>(.*?)</si>|<si/>", re.S)
_TAG_TEXT = re.compile(rb"<[^>]*>")
_SHARED_CELL = re.compile(rb"""<c\s[^>]*?\bt="s"[^>]*>\s*<v>\s*([0-9]{1,9})\s*</v>""")
_SHARED_TYPE = re.compile(rb"""\bt\s*=\s*(?:"s"|'s')""")


_SMALLEST_CELL = len(
    b"<c><v>0</v></c>"
)  # a sheet part holds no more cells with a value than its bytes / this


def longest_shared(strings: bytes) -> int:
    """Bytes of the longest shared string of a shared strings part, at most (its <si> pieces)."""
    return max(map(len, strings.split(b"<si")))


def check_shared_text(sheet: bytes, strings: bytes, longest: Callable[[], int]) -> None:
    """Raise Guarded('file-unsafe') when the cells of a sheet part would hold more text copied from the shared
    strings than MAX_BOOK_TEXT. First bounds that cost next to nothing: the most cells the part can hold times
    the whole shared strings part, then times its longest string (`longest()`, asked only then); only past
    both, the sum over the cells, which needs both parts in their usual form (anything else, at such a size,
    is refused)."""
    cells = len(sheet) // _SMALLEST_CELL
    if not strings or cells * len(strings) <= MAX_BOOK_TEXT or cells * longest() <= MAX_BOOK_TEXT:
        return
    items = _SHARED_ITEM.findall(strings)
    found = _SHARED_CELL.findall(sheet)
    if len(items) != strings.count(b"<si") or len(found) != len(_SHARED_TYPE.findall(sheet)):
        raise Guarded("file-unsafe", detail="共享文字被大量单元格引用，读取会占用过多内存")
    lengths = [len(_TAG_TEXT.sub(b"", item).decode("utf-8", "replace")) for item in items]
    check_text(sum(lengths[int(i)] for i in found if int(i) < len(lengths)))


def check_text(characters: int) -> None:
    """Raise Guarded('file-unsafe') when a book loaded whole would hold more text in its cells than any
    reader of ours needs (a text repeated over many cells is copied into each)."""
    if characters > MAX_BOOK_TEXT:
        raise Guarded("file-unsafe", detail=f"单元格中的文字共约 {characters // 10_000} 万字，远超应有的大小")


def _sst_lengths(stream: bytes) -> list[int]:
    """The length in characters of each string of the workbook's (last) shared string table, read as calamine
    reads it; the list ends where calamine would fail (then it opens nothing)."""
    sst = [(body, size) for kind, body, size in _biff_records(stream, 0) if kind == _BIFF_SST]
    if not sst or sst[-1][1] < 8:
        return []
    body, size = sst[-1]
    chunks = [stream[body + 8 : body + size]]
    at = body + size
    while at + 4 < len(stream) and struct.unpack_from("<H", stream, at)[0] == _BIFF_CONTINUE:
        (n,) = struct.unpack_from("<H", stream, at + 2)
        chunks.append(stream[at + 4 : at + 4 + n])
        at += 4 + n
    (count,) = struct.unpack_from("<i", stream, body + 4)
    return _sst_strings(chunks, max(count, 0))


def _sst_strings(chunks: list[bytes], count: int) -> list[int]:
    """_sst_lengths over the SST's data and its CONTINUE records: each string's header in one record, its
    characters carried on in the next after a byte of flags, its formatting runs and extra data skipped."""
    data, rest = chunks[0], chunks[:0:-1]  # rest: the CONTINUE records, last first (popped in order)
    lengths: list[int] = []
    for _ in range(count):
        if not data and rest:
            data = rest.pop()
        if len(data) < 3:
            break
        (chars,), flags = struct.unpack_from("<H", data), data[2]
        head = 3 + 2 * bool(flags & 8) + 4 * bool(flags & 4)
        if len(data) < head:
            break
        runs = struct.unpack_from("<H", data, 3)[0] if flags & 8 else 0
        extra = struct.unpack_from("<I", data, head - 4)[0] if flags & 4 else 0
        data, left, wide = data[head:], chars, flags & 1
        while True:
            taken = min(left, len(data) // 2 if wide else len(data))
            data, left = data[taken * (2 if wide else 1) :], left - taken
            if not left or not rest:
                break
            data = rest.pop()
            if not data:
                break
            data, wide = data[1:], data[0] & 1
        if left:
            break
        lengths.append(chars)
        skip = runs * 4 + extra
        while skip > len(data) and rest:
            skip -= len(data)
            data = rest.pop()
        if skip > len(data):
            break
        data = data[skip:]
    return lengths


def check_book(extents: list[tuple[int, int]], names: Sequence[str] = ()) -> None:
    """Raise Guarded('sheet-too-large') for a workbook loaded whole (.xls, .ods) with a sheet too large (named
    from `names`, the sheets' names in the same order); Guarded('file-unsafe') when all of them together are."""
    total = 0
    for n, (rows, cols) in enumerate(extents):
        try:
            check_extent(rows, cols)
        except Guarded as refused:
            refused.fields["sheet"] = names[n] if n < len(names) else ""
            raise
        total += rows * cols
    if total > MAX_BOOK_CELLS:
        raise Guarded("file-unsafe", detail=f"全部工作表共 {total} 个单元格，远超应有的大小")


def is_regular(path: Path) -> bool:
    """A regular file (following links), without opening it."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


# ---------------------------------------------------------------------------------------------- CSV

MAX_CSV_FIELD = 32_767  # Excel's own limit for a cell's text
MAX_CSV_ROWS = 100_000


def csv_rows(text: str) -> list[list[str]]:
    """Rows of a CSV text (a roster, a history table), strictly: a quote left open, a field longer than a cell
    can hold, or more rows than any roster raise Guarded('csv-malformed') with the line, instead of a
    traceback or (worse) the rest of the file silently swallowed into one field."""
    import csv
    import io

    reader = csv.reader(io.StringIO(text), strict=True)
    rows: list[list[str]] = []
    try:
        for row in reader:
            if any(len(field) > MAX_CSV_FIELD for field in row):
                raise Guarded(
                    "csv-malformed", line=str(reader.line_num), detail=f"有超过 {MAX_CSV_FIELD} 个字符的内容"
                )
            rows.append(row)
            if len(rows) > MAX_CSV_ROWS:
                raise Guarded("csv-malformed", line=str(reader.line_num), detail=f"超过 {MAX_CSV_ROWS} 行")
    except csv.Error as exc:
        line = str(reader.line_num)
        if "field larger than field limit" in str(exc):
            detail = f"有超过 {MAX_CSV_FIELD} 个字符的内容（可能是引号没有配对）"
        elif "end of data" in str(exc) or "EOF" in str(exc):
            detail = '引号没有配对（有一个“"”没有结束）'
        else:
            detail = "格式不规范（引号或分隔符的位置有误）"
        raise Guarded("csv-malformed", line=line, detail=detail) from None
    return rows


# What calamine reads of an .ods table, by local name: it matches the prefixes table:, office: and text: as
# written, whatever namespace they are bound to, so the bound matches local names in any namespace.
_ODS_CELLS = frozenset({"table-cell", "covered-table-cell"})
_ODS_VALUES = frozenset({"value-type", "value", "string-value", "date-value", "time-value", "boolean-value"})
_ODS_TEXTS = frozenset({"string-value", "date-value", "time-value", "formula"})  # copied into each cell


def _local(name: str) -> str:
    return name.rpartition("}")[2]


def _repeats(el, local: str) -> int:
    """An element's repeat count: the largest of its attributes of that local name (1 without one)."""
    return max((_repeat(v) for k, v in el.attrib.items() if _local(k) == local), default=1)


def ods_extent(content: bytes) -> list[tuple[int, int]]:
    """(rows, columns) of each table of an .ods content.xml: ods_load's extents."""
    return ods_load(content)[0]


def ods_load(content: bytes) -> tuple[list[tuple[int, int]], list[str], int]:
    """(rows, columns) of each table of an .ods content.xml through its last cell with content, the tables'
    names, and the characters of text calamine copies into their cells, repeats (number-rows-repeated,
    number-columns-repeated) counted and never expanded: what calamine expands when it opens the file, every
    table at once. Content is any value or formula attribute, or any child; what lies inside a cell (a table
    in a cell) is skipped, as calamine skips it. A streaming parse: elements are dropped as read."""
    import io
    from xml.etree import ElementTree

    extents: list[tuple[int, int]] = []
    names: list[str] = []
    text = depth = in_cell = 0  # characters in all; tables open; elements open in the current cell
    rows = far_row = far_col = col = row_far_col = row_text = 0
    for event, el in ElementTree.iterparse(io.BytesIO(content), events=("start", "end")):
        if in_cell:
            in_cell += 1 if event == "start" else -1
            if not in_cell:  # the cell's own end
                repeat = _repeats(el, "number-columns-repeated")
                col += repeat
                if len(el) or any(_local(k) in _ODS_VALUES or _local(k) == "formula" for k in el.attrib):
                    row_far_col = col
                    row_text += repeat * _cell_text(el)
                el.clear()
            continue
        local = _local(el.tag)
        if event == "start":
            if local in _ODS_CELLS and depth:
                in_cell = 1
            elif local == "table":
                if not depth:
                    rows = far_row = far_col = 0
                    names.append(next((v for k, v in el.attrib.items() if _local(k) == "name"), ""))
                depth += 1
            elif local == "table-row" and depth:
                col = row_far_col = row_text = 0
        elif local == "table-row" and depth:
            repeat = _repeats(el, "number-rows-repeated")
            rows += repeat
            text += repeat * row_text
            if row_far_col:
                far_row, far_col = rows, max(far_col, row_far_col)
            el.clear()
        elif local == "table" and depth:
            depth -= 1
            if not depth:
                extents.append((far_row, far_col))
                el.clear()
    return extents, names, text


def _cell_text(el) -> int:
    """Characters of text one cell holds once read: its text, its text attributes, its runs of spaces."""
    size = sum(len(v) for k, v in el.attrib.items() if _local(k) in _ODS_TEXTS)
    size += sum(len(t) for t in el.itertext())
    for child in el.iter():
        if _local(child.tag) == "s":
            size += max((_repeat(v) for k, v in child.attrib.items() if _local(k) == "c"), default=1)
    return size


def _repeat(text: str | None) -> int:
    if not text:
        return 1
    return int(text) if text.isdigit() and len(text) <= 9 else 10**9


def check_ods(content: bytes) -> None:
    """Raise Guarded('sheet-too-large') when an .ods holds a table, or tables together, too large to load;
    Guarded('file-unsafe') when its cells would hold more text than any reader of ours needs."""
    extents, names, text = ods_load(content)
    check_book(extents, names)
    check_text(text)
