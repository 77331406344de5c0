"""Guards: one guarded open, sheet extents bounded before calamine loads them, hostile paths; every fault a
finding and every good file still ranked. Hostile files run in a child process under a memory cap."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from kjjr_fixtures import (  # noqa: E402
    biff_records,
    good_values,
    real_submission,
    rewrite_zip,
    sheet_part,
    xls_with_sheet,
)

from kjjr_excel.domain.layout import META_SHEET, layout  # noqa: E402
from kjjr_excel.domain.scheme import load_scheme  # noqa: E402
from kjjr_excel.read import guards  # noqa: E402
from kjjr_excel.read.inbox import MAX_DEPTH, collect_files, folder_files  # noqa: E402
from kjjr_excel.read.ingest import ingest  # noqa: E402
from kjjr_excel.read.submission import read_submission  # noqa: E402

QD = load_scheme("qingdao-2017")
ROOT = Path(__file__).parent.parent
CAP = 1536 * 2**20


def codes(findings) -> set[str]:
    return {f.code for f in findings}


def capped_rank(inbox: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    """`kjjr rank qingdao INBOX -o OUT` in a child process under an address-space cap."""
    code = (
        f"import resource, sys; resource.setrlimit(resource.RLIMIT_AS, ({CAP}, {CAP})); "
        "sys.argv = ['kjjr', *sys.argv[1:]]; from kjjr_excel.cli import main; main()"
    )
    return subprocess.run(
        [sys.executable, "-c", code, "rank", "qingdao-2017", str(inbox), "-o", str(out), *extra],
        capture_output=True,
        text=True,
        timeout=300,  # a hang guard, not a speed assertion
        cwd=ROOT,
    )


def findings_of(path: Path) -> list[dict]:
    """校验问题 of a ranking workbook, as dicts by header."""
    from python_calamine import CalamineWorkbook

    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("校验问题").to_python()
    at = next(n for n, row in enumerate(rows) if "说明" in row)
    head = rows[at]
    return [dict(zip(head, row, strict=False)) for row in rows[at + 1 :]]


def ranked_names(path: Path) -> set[str]:
    from python_calamine import CalamineWorkbook

    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("排名").to_python()
    at = next(n for n, row in enumerate(rows) if "名称" in row)
    col = rows[at].index("名称")
    # the centers' rows: 序号 (or 排名) a number; the 等次 summary and the signature lines below are not
    return {row[col] for row in rows[at + 1 :] if len(row) > col and row[col] and isinstance(row[0], float)}


def with_far_cell(src: Path, dst: Path, ref: str, sheet: str, tag: str = '<c r="{ref}"') -> Path:
    """A copy of a workbook with one more cell at `ref` on `sheet` (the file stays a few KB); `tag` is how
    the cell's start tag begins."""
    part = sheet_part(src, sheet)
    with zipfile.ZipFile(src) as z:
        xml = z.read(part)
    row = re.sub(r"[A-Z]", "", ref)
    start = tag.format(ref=ref, row=row)
    extra = f'<row r="{row}">{start} t="inlineStr"><is><t>x</t></is></c></row></sheetData>'
    return rewrite_zip(src, dst, replace={part: xml.replace(b"</sheetData>", extra.encode())})


# ---------------------------------------------------------------------------------------------- extents


def sheet(data: bytes) -> bytes:
    """A sheet part around rows (the extent is read as XML when the tags are not in the usual form)."""
    return b'<?xml version="1.0"?><worksheet xmlns="x"><sheetData>' + data + b"</sheetData></worksheet>"


@pytest.mark.parametrize(
    "xml, extent",
    [
        (b'<row r="3"><c r="B2"/><c r="AA10"/></row>', (10, 27)),
        (b'<row r="1048576"><c r="XFD1048576"/></row>', (1_048_576, 16_384)),
        # no r: each row and cell is placed one after the one before; a row without cells allocates nothing
        (b'<row><c t="s"><v>1</v></c><c/></row><row/>', (1, 2)),
        (b"<row/><row/><row><c/></row>", (3, 1)),
        (b'<row><c/></row><row r="1048576"/><row><c r="XFD"/></row>', (1_048_577, 16_384)),
        # LibreOffice writes an empty last row after a row is deleted: only the cells count
        (b'<row r="24"><c r="I24" s="1"/></row><row r="1048576" ht="12.8"></row>', (24, 9)),
        (b"<x:row r='5'><x:c r = 'XFD1048576'/></x:row>", (1_048_576, 16_384)),
        # an r hidden in another attribute's value cannot make the bound smaller
        (b'<row r="1"><c t=\'x r="A1"\' r="ZZZZ9"/></row>', (9, 26**4)),
        # forms calamine reads a far cell from (each one aborted the whole run before it was bounded): white
        # space other than one blank, a '>' inside a value, a character reference, a prefixed r
        (b'<row r="1"><c r="A1"/><c\tr="XFD1048576"/></row>', (1_048_576, 16_384)),
        (b'<row r="1"><c\nr="XFD1"/></row>', (1, 16_384)),
        (b'<row r="1"><c s=">" r="XFD1048576"/></row>', (1_048_576, 16_384)),
        (b'<row r="1"><c r="&#88;FD1048576"/></row>', (1_048_576, 16_384)),
        (b'<row r="1"><c r="A1" x:r="XFD9"/></row>', (9, 16_384)),
        (b'<row r="9"><c r="A9"/></row><row r="1048576"><c><v>1</v></c></row>', (1_048_576, 1)),
        # a comment is not read by calamine; where every tag is plain it still counts (the bound may overstate)
        (b'<row r="9"><!-- <c r="A1" s="1"> --><c r="B9" s="1"/></row>', (9, 2)),
        (b'<row r="9"><!-- <c r="XFD9"/> --><c r="B9" s="1"/></row>', (9, 16_384)),
        (b"", (0, 0)),
    ],
)
def test_xml_extent_bounds_what_calamine_allocates(xml, extent):
    assert guards.xml_extent(sheet(xml)) == extent


@pytest.mark.parametrize(
    "xml",
    [
        b'<row r="1"><c r="A1" r="XFD1048576"/></row>',  # calamine takes the last r
        b'<row r="1"><c r="A1"\tr="XFD1048576"/></row>',
        b"<row r='1'><c r='A1'><v>1</v></row>",  # not well-formed: no bound can be given
    ],
)
def test_xml_extent_refuses_a_sheet_it_cannot_bound(xml):
    with pytest.raises(guards.Guarded) as refused:
        guards.xml_extent(sheet(xml))
    assert refused.value.code == "file-corrupt" and "无法确定其范围" in refused.value.fields["detail"]


def test_check_extent_refuses_what_no_reader_needs():
    guards.check_extent(10_000, 60)
    for rows, cols in ((1_048_576, 26), (1_048_576, 16_384), (10, 16_385), (3_000, 1_000)):
        with pytest.raises(guards.Guarded) as refused:
            guards.check_extent(rows, cols)
        assert refused.value.code == "sheet-too-large"


@pytest.mark.parametrize("ref", ["XFD1048576", "Z1048576", "CV1048576"])
def test_far_cell_on_the_data_sheet_is_a_finding_not_an_abort(tmp_path, ref):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    real_submission(inbox / "good.xlsx", QD, center=("Q1", "甲中心"), values=good_values(QD))
    src = real_submission(tmp_path / "src.xlsx", QD, center=("Q2", "乙中心"), values=good_values(QD))
    far = with_far_cell(src, inbox / "far.xlsx", ref, layout(QD).sheet)
    assert far.stat().st_size < 30_000
    done = capped_rank(inbox, tmp_path / "out.xlsx")
    assert done.returncode == 0, done.stderr
    found = [f for f in findings_of(tmp_path / "out.xlsx") if f["文件"] == "far.xlsx"]
    assert any(ref in f["说明"] and "范围过大" in f["说明"] for f in found), found
    assert ranked_names(tmp_path / "out.xlsx") == {"甲中心"}


@pytest.mark.parametrize(
    "tag, said",
    [
        ('<c\tr="{ref}"', "范围过大"),  # a tab where writers put a blank
        ('<c s=">" r="{ref}"', "范围过大"),  # a '>' inside a value does not end the tag
        ('<c r="A{row}" r="{ref}"', "不规范，无法确定其范围"),  # calamine takes the second r
    ],
)
def test_far_cell_in_an_odd_tag_is_a_finding_not_an_abort(tmp_path, tag, said):
    """Each of these made calamine ask for 512 GiB and abort the whole run (2026-12-01)."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    real_submission(inbox / "good.xlsx", QD, center=("Q1", "甲中心"), values=good_values(QD))
    src = real_submission(tmp_path / "src.xlsx", QD, center=("Q2", "乙中心"), values=good_values(QD))
    with_far_cell(src, inbox / "far.xlsx", "XFD1048576", layout(QD).sheet, tag)
    done = capped_rank(inbox, tmp_path / "out.xlsx")
    assert done.returncode == 0, done.stderr
    found = [f for f in findings_of(tmp_path / "out.xlsx") if f["文件"] == "far.xlsx"]
    assert any(said in f["说明"] for f in found), found
    assert ranked_names(tmp_path / "out.xlsx") == {"甲中心"}


def test_one_long_shared_string_in_many_cells_is_a_finding_not_gigabytes(tmp_path):
    """calamine copies a shared string into every cell that refers to it: a 40 KB .xlsx of 12,800 cells over
    one 32,000-character string took 2 GB (and more cells, the whole machine) before it was refused."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    real_submission(inbox / "good.xlsx", QD, center=("Q1", "甲中心"), values=good_values(QD))
    src = real_submission(tmp_path / "src.xlsx", QD, center=("Q2", "乙中心"), values=good_values(QD))
    part = sheet_part(src, layout(QD).sheet)
    with zipfile.ZipFile(src) as z:
        xml, strings = z.read(part), z.read("xl/sharedStrings.xml")
    index = strings.count(b"<si>")
    strings = strings.replace(b"</sst>", ("<si><t>" + "长" * 32_000 + "</t></si></sst>").encode())
    cells = "".join(
        f'<row r="{r}">'
        + "".join(f'<c r="{c}{r}" t="s"><v>{index}</v></c>' for c in "FGHIJKLMNOPQRSTU")
        + "</row>"
        for r in range(200, 1000)
    )
    rewrite_zip(
        src,
        inbox / "amplified.xlsx",
        replace={
            part: xml.replace(b"</sheetData>", cells.encode() + b"</sheetData>"),
            "xl/sharedStrings.xml": strings,
        },
    )
    assert (inbox / "amplified.xlsx").stat().st_size < 100_000
    done = capped_rank(inbox, tmp_path / "out.xlsx")
    assert done.returncode == 0, done.stderr
    found = [f for f in findings_of(tmp_path / "out.xlsx") if f["文件"] == "amplified.xlsx"]
    assert any("远超应有的大小" in f["说明"] for f in found), found
    assert ranked_names(tmp_path / "out.xlsx") == {"甲中心"}


def test_a_real_history_workbook_is_not_taken_for_amplified_text(tmp_path):
    """The exact sum is taken when the cheap bound is passed: a ranking workbook's many string cells pass."""
    strings = (
        b"<sst>"
        + b"".join(b"<si><t>%s</t></si>" % (b"x" * 2000 if n == 0 else b"y") for n in range(10))
        + b"</sst>"
    )
    sheet = (
        b"<sheetData>"
        + b'<c r="A1" t="s"><v>0</v></c>'
        + b'<c r="B1" t="s"><v>1</v></c>' * 30_000
        + b"</sheetData>"
    )
    # 30,001 cells x 2,000 bytes is over both cheap bounds; the sum is not
    guards.check_shared_text(sheet, strings, lambda: guards.longest_shared(strings))
    with pytest.raises(guards.Guarded):
        guards.check_shared_text(sheet.replace(b"<v>1</v>", b"<v>0</v>"), strings, lambda: 2009)


def test_far_cell_on_meta_is_refused_too(tmp_path):
    src = real_submission(tmp_path / "src.xlsx", QD, values=good_values(QD))
    far = with_far_cell(src, tmp_path / "far.xlsx", "XFD1048576", META_SHEET)
    outcome = read_submission(far, far.name, QD)
    sub, findings, info = outcome.submission, outcome.findings, outcome.file
    assert sub is None and "sheet-too-large" in codes(findings) and info.status == "无法读取"


def _libreoffice_xls(tmp_path: Path, name: str, fill) -> Path:
    """An .xls LibreOffice saved from a workbook of one sheet 表 that `fill(worksheet)` wrote with XlsxWriter."""
    import shutil

    import xlsxwriter

    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice is not installed")
    src = tmp_path / f"{name}.xlsx"
    wb = xlsxwriter.Workbook(str(src))
    fill(wb.add_worksheet("表"))
    wb.close()
    profile = f"file:///tmp/lo-15-guards-{os.getpid()}"
    subprocess.run(
        ["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", "xls", "--outdir"]
        + [str(tmp_path), str(src)],
        capture_output=True,
        timeout=300,
    )
    out = tmp_path / f"{name}.xls"
    assert out.exists()
    return out


def _xls_with_far_cell(tmp_path: Path) -> Path:
    """An .xls written by LibreOffice with one cell at IV65536 (5 KB; calamine reserves 65536 x 256 cells)."""

    def fill(ws) -> None:
        ws.write_string(0, 0, "a")
        ws.write_string(65535, 255, "z")

    return _libreoffice_xls(tmp_path, "far", fill)


@pytest.mark.libreoffice
def test_xls_extent_is_checked_before_calamine_opens_it(tmp_path):
    xls = _xls_with_far_cell(tmp_path)
    import olefile

    with olefile.OleFileIO(str(xls)) as ole:
        assert guards.xls_extent(ole.openstream("Workbook").read()) == [(65536, 256)]
    code = (
        f"import resource, json; resource.setrlimit(resource.RLIMIT_AS, ({CAP}, {CAP}))\n"
        "from pathlib import Path\nfrom kjjr_excel.read.submission import read_submission\n"
        "from kjjr_excel.domain.scheme import load_scheme\n"
        f"outcome = read_submission(Path({str(xls)!r}), 'far.xls', load_scheme('qingdao'))\n"
        "sub, fs, info = outcome.submission, outcome.findings, outcome.file\n"
        "print(json.dumps([f.code for f in fs]))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert "sheet-too-large" in json.loads(done.stdout)


def _biff_records(stream: bytes) -> list[tuple[int, int, int]]:
    """(offset, kind, size) of each record of a BIFF stream, in order."""
    import struct

    out, at = [], 0
    while at + 4 <= len(stream):
        kind, size = struct.unpack_from("<HH", stream, at)
        out.append((at, kind, size))
        at += 4 + size
    return out


def _forged_xls(tmp_path: Path, change) -> Path:
    """A copy of the .xls LibreOffice saved (tests/examples) whose Workbook stream `change` edits in place (the
    stream keeps its size, so the OLE container is LibreOffice's own)."""
    import shutil

    import olefile

    src = next((ROOT / "tests" / "examples" / "qd-libreoffice-xls" / "inbox").glob("*.xls"))
    dst = tmp_path / "forged.xls"
    shutil.copy(src, dst)
    with olefile.OleFileIO(str(dst), write_mode=True) as ole:
        stream = bytearray(ole.openstream("Workbook").read())
        change(stream)
        ole.write_stream("Workbook", bytes(stream))
    return dst


def _dimensions_upside_down(stream: bytearray) -> None:
    """Every sheet's DIMENSIONS says its first row is after its last (calamine reserves ~4 billion rows)."""
    import struct

    for at, kind, size in _biff_records(stream):
        if kind == 0x0200 and size == 14:
            struct.pack_into("<II", stream, at + 4, 10, 5)


def _sheets_hidden_in_a_palette(stream: bytearray) -> None:
    """A sheet of two cells, A1 and IV65536, written inside the body of the PALETTE record (which the globals
    skip), and every BOUNDSHEET pointed at it: read from start to end, the stream holds no far cell."""
    import struct

    records = _biff_records(stream)
    palette = next(at for at, kind, _ in records if kind == 0x0092)
    bof = next(at for at, kind, _ in records[1:] if kind == 0x0809)
    hidden = bytes(stream[bof : bof + 20])
    for row, col in ((0, 0), (65535, 255)):
        hidden += struct.pack("<HHHHHd", 0x0203, 14, row, col, 15, 1.0)
    hidden += struct.pack("<HH", 0x000A, 0)
    stream[palette + 4 : palette + 4 + len(hidden)] = hidden
    for at, kind, _ in records:
        if kind == 0x0085:
            struct.pack_into("<I", stream, at + 4, palette + 4)


def test_xls_extent_follows_each_sheet_from_where_its_boundsheet_points(tmp_path):
    import olefile

    with olefile.OleFileIO(str(_forged_xls(tmp_path, _sheets_hidden_in_a_palette))) as ole:
        assert guards.xls_extent(ole.openstream("Workbook").read()) == [(65536, 256)] * 3


@pytest.mark.parametrize(
    "change, said",
    [(_dimensions_upside_down, "1048576"), (_sheets_hidden_in_a_palette, "IV65536")],
)
def test_forged_xls_sheet_bounds_are_a_finding_not_an_abort(tmp_path, change, said):
    # both made calamine ask for gigabytes (858 GB for the DIMENSIONS) and abort the whole run
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    real_submission(inbox / "good.xlsx", QD, center=("Q1", "甲中心"), values=good_values(QD))
    forged = _forged_xls(inbox, change)
    done = capped_rank(inbox, tmp_path / "out.xlsx")
    assert done.returncode == 0, done.stderr[-2000:]
    found = [f for f in findings_of(tmp_path / "out.xlsx") if f["文件"] == forged.name]
    assert len(found) == 1 and "范围过大" in found[0]["说明"] and said in found[0]["说明"]
    assert found[0]["工作表"] == "填报说明"  # the first sheet, named as the clerk sees it
    assert ranked_names(tmp_path / "out.xlsx") == {"甲中心"}


def _xor_obfuscated_behind_a_record(stream: bytearray) -> None:
    """The globals' BOF replaced by an unknown record and a FILEPASS of XOR obfuscation (same 20 bytes):
    calamine reads on without a BOF, msoffcrypto does not look without one."""
    import struct

    stream[0:20] = struct.pack("<HH6s", 0x0000, 6, b"") + struct.pack("<HHHHH", 0x002F, 6, 0, 0x1234, 0x5678)


def test_xls_protected_by_xor_obfuscation_is_refused_wherever_its_filepass_stands(tmp_path):
    # calamine reads the cells of an XOR-obfuscated book as they stand: every figure would be garbage
    forged = _forged_xls(tmp_path, _xor_obfuscated_behind_a_record)
    outcome = read_submission(forged, forged.name, QD)
    assert outcome.submission is None and codes(outcome.findings) == {"file-encrypted"}


def _run_with_good_file(tmp_path: Path, name: str, data: bytes, said: str) -> None:
    """An inbox of one good submission and a hostile file: ranked under the memory cap, the good one ranked,
    the hostile one named once in 校验问题 with `said` in its message."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    real_submission(inbox / "good.xlsx", QD, center=("Q1", "甲中心"), values=good_values(QD))
    (inbox / name).write_bytes(data)
    done = capped_rank(inbox, tmp_path / "out.xlsx")
    assert done.returncode == 0, done.stderr[-2000:]
    found = [f for f in findings_of(tmp_path / "out.xlsx") if f["文件"] == name]
    assert len(found) == 1 and said in found[0]["说明"], found
    assert ranked_names(tmp_path / "out.xlsx") == {"甲中心"}


LIBREOFFICE_XLS = ROOT / "tests" / "examples" / "qd-libreoffice-xls" / "inbox" / "崂山分中心.xls"
LIBREOFFICE_ODS = ROOT / "tests" / "examples" / "qd-libreoffice-ods" / "inbox" / "崂山分中心.ods"


def _one_string_in_many_cells() -> bytes:
    """60,000 cells of one shared string of 65,535 characters: 930 KB, and 4 GB once each cell has its copy."""
    import struct

    data = struct.pack("<IIHB", 60_000, 1, 0xFFFF, 0) + b"a" * 0xFFFF
    sst = [(0x00FC, data[:8224])] + [
        (0x003C, b"\0" + data[n : n + 8223]) for n in range(8224, len(data), 8223)
    ]
    cells = [(0x00FD, struct.pack("<HHHI", row, 0, 15, 0)) for row in range(60_000)]
    return xls_with_sheet(LIBREOFFICE_XLS, cells, sst)


def _formula_of_spaces() -> bytes:
    """One formula of 2,000 space tokens of 255 spaces each: calamine inserts them one by one (3 s a cell)."""
    import struct

    tokens = b"\x1e\x01\x00" + b"\x19\x40\x00\xff" * 2000
    body = struct.pack("<HHHd", 0, 0, 15, 1.0) + b"\0" * 6 + struct.pack("<H", len(tokens)) + tokens
    return xls_with_sheet(LIBREOFFICE_XLS, [(0x0006, body)])


@pytest.mark.parametrize(
    "forge, said",
    [(_one_string_in_many_cells, "单元格中的文字"), (_formula_of_spaces, "公式中有大量异常的空白")],
)
def test_xls_that_would_copy_gigabytes_or_parse_for_hours_is_a_finding(tmp_path, forge, said):
    # the shared string made calamine abort the run; the formula took 3 s a cell (11 hours for 100 MB)
    _run_with_good_file(tmp_path, "forged.xls", forge(), said)


_ODS_ROWS = (
    '<table:table-row table:number-rows-repeated="{rows}">'
    '<table:table-cell table:number-columns-repeated="{cols}" {cell}>{text}</table:table-cell>{more}'
    "</table:table-row>"
)
_FLOAT = 'office:value-type="float" office:value="1"'
_TABLE_IN_A_CELL = '<table:table-cell><table:table table:name="in"><table:table-row><table:table-cell/>'
_TABLE_IN_A_CELL += "</table:table-row></table:table></table:table-cell>"


@pytest.mark.parametrize(
    "table, cell, text, more, said",
    [
        ('<table:table table:name="X">', 'table:formula="of:=1"', "", "", "范围过大"),
        ('<table:table table:name="X">', 'office:value="1"', "", "", "范围过大"),
        ('<table:table table:name="X">', 'office:boolean-value="true"', "", "", "范围过大"),
        ('<table:table xmlns:table="urn:x" table:name="X">', _FLOAT, "", "", "范围过大"),
        ('<table:table table:name="X">', _FLOAT, "", _TABLE_IN_A_CELL, "范围过大"),
        (
            '<table:table table:name="X">',
            'office:value-type="string"',
            "<text:p>" + "汉" * 300_000 + "</text:p>",
            "",
            "文字",
        ),
    ],
    ids=[
        "formula-only",
        "value-without-type",
        "boolean-only",
        "table-prefix-rebound",
        "table-in-a-cell",
        "long-text",
    ],
)
def test_ods_cells_calamine_expands_are_bounded_however_they_are_written(
    tmp_path, table, cell, text, more, said
):
    # each made calamine expand some 100 million cells (or copy 900 KB into 10,000 cells) and abort the run;
    # the guard counted only cells with an office:value-type, by namespace, and a table in a cell reset its row
    with zipfile.ZipFile(LIBREOFFICE_ODS) as z:
        content = z.read("content.xml").decode()
    rows, cols = ("100", "100") if text else ("6000", "16000")
    hostile = (
        table + _ODS_ROWS.format(rows=rows, cols=cols, cell=cell, text=text, more=more) + "</table:table>"
    )
    content = content.replace("</office:spreadsheet>", hostile + "</office:spreadsheet>")
    forged = rewrite_zip(LIBREOFFICE_ODS, tmp_path / "forged.ods", replace={"content.xml": content.encode()})
    _run_with_good_file(tmp_path, "forged.ods", forged.read_bytes(), said)


@pytest.mark.libreoffice
def test_shared_string_lengths_are_read_as_calamine_reads_them(tmp_path):
    # the text bound is only as good as this: a table split over CONTINUE records, as LibreOffice writes one
    import olefile
    from python_calamine import CalamineWorkbook

    def fill(ws) -> None:
        for row in range(3000):
            ws.write_string(row, 0, "汉字abc" * (row % 29 + 1) + str(row))
            ws.write_string(row, 1, "x" * (row % 293 + 1) + str(row))

    xls = _libreoffice_xls(tmp_path, "strings", fill)
    with olefile.OleFileIO(str(xls)) as ole:
        stream = ole.openstream("Workbook").read()
    assert sum(1 for kind, _ in biff_records(stream) if kind == 0x003C) > 10  # the table is split
    rows = CalamineWorkbook.from_path(str(xls)).get_sheet_by_name("表").to_python()
    read = sorted(len(v) for row in rows for v in row if v)
    assert sorted(guards._sst_lengths(stream)) == read and guards.xls_load(stream) == (sum(read), 0)


# ---------------------------------------------------------------------------------------------- the open


def test_fifo_in_the_inbox_is_its_own_finding_and_never_waited_on(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    real_submission(inbox / "good.xlsx", QD, center=("Q1", "甲中心"), values=good_values(QD))
    os.mkfifo(inbox / "x.xlsx")
    done = capped_rank(inbox, tmp_path / "out.xlsx")
    assert done.returncode == 0, done.stderr
    found = [f for f in findings_of(tmp_path / "out.xlsx") if f["文件"] == "x.xlsx"]
    assert len(found) == 1 and "命名管道" in found[0]["说明"] and "找不到" not in found[0]["说明"]
    assert ranked_names(tmp_path / "out.xlsx") == {"甲中心"}


def test_fifo_given_as_assessment_does_not_hang(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    real_submission(inbox / "good.xlsx", QD, center=("Q1", "甲中心"), values=good_values(QD))
    os.mkfifo(tmp_path / "考核评价表.xlsx")
    table = str(tmp_path / "考核评价表.xlsx")
    # a table given that cannot be used makes the results provisional: exit 1 unless allowed (issue 14)
    done = capped_rank(inbox, tmp_path / "out.xlsx", "--assessment", table, "--allow-missing-assessment")
    assert done.returncode == 0, done.stderr
    assert any("命名管道" in f["说明"] for f in findings_of(tmp_path / "out.xlsx"))


@pytest.mark.parametrize(
    "error, code",
    [
        (PermissionError(13, "Permission denied"), "file-no-permission"),
        (FileNotFoundError(2, "No such file"), "file-missing"),
        (OSError(5, "Input/output error"), "file-io-error"),
    ],
)
def test_each_os_error_has_its_own_finding(tmp_path, monkeypatch, error, code):
    path = real_submission(tmp_path / "a.xlsx", QD, values=good_values(QD))
    real_open = os.open

    def failing_open(name, *args, **kwargs):
        if Path(name) == path:
            raise error
        return real_open(name, *args, **kwargs)

    monkeypatch.setattr(os, "open", failing_open)
    outcome = read_submission(path, path.name, QD)
    sub, findings = outcome.submission, outcome.findings
    assert sub is None and codes(findings) == {code}
    message = findings[0].message
    assert ("找不到" in message) == (code == "file-missing")
    assert "损坏" not in message and "Error" not in message and "denied" not in message


def test_read_input_caps_what_it_reads(tmp_path):
    path = tmp_path / "big.xlsx"
    path.write_bytes(b"x" * 5000)
    with pytest.raises(guards.Guarded) as refused:
        guards.read_input(path, 4096)
    assert refused.value.code == "file-unsafe"
    assert guards.read_input(path, 5000) == b"x" * 5000


# ---------------------------------------------------------------------------------------------- paths


def _remove_tree(top: Path) -> None:
    """rm -r without recursion (shutil.rmtree, and so pytest's tmp_path clean-up, recurse per level)."""
    subprocess.run(["rm", "-rf", str(top)], check=True)


def test_folders_nested_deeper_than_any_inbox_are_a_finding(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    real_submission(inbox / "good.xlsx", QD, values=good_values(QD))
    deep = inbox
    try:
        for _ in range(1100):
            deep = deep / "d"
            deep.mkdir()
        files, findings, _ = collect_files([inbox])
        assert [display for _, display in files] == ["good.xlsx"]
        assert [f.code for f in findings] == ["folder-too-deep"]
        assert findings[0].file.count("/") == MAX_DEPTH
    finally:
        _remove_tree(inbox)


def test_symlink_loop_and_broken_link_are_skipped(tmp_path):
    real_submission(tmp_path / "good.xlsx", QD, values=good_values(QD))
    os.symlink("loop.xlsx", tmp_path / "loop.xlsx")
    os.symlink("gone.xlsx", tmp_path / "broken.xlsx")
    os.symlink(".", tmp_path / "again")  # a link to a folder (itself) is not followed
    files, findings, skipped = collect_files([tmp_path])
    assert [display for _, display in files] == ["good.xlsx"]
    reasons = {f.file: f.message for f in findings}
    assert "循环" in reasons["loop.xlsx"] and "无效" in reasons["broken.xlsx"]
    assert {s.file for s in skipped} == {"loop.xlsx", "broken.xlsx"}


def test_a_link_to_a_folder_elsewhere_is_a_finding_not_a_silent_loss(tmp_path):
    """A link to a folder outside the inbox is not followed (no loop, no reading our own outputs beside the
    inbox through '..'): its submissions were left out without a word; now each such link is an error naming
    it. A link back into the inbox loses nothing and stays quiet."""
    inbox, elsewhere = tmp_path / "inbox", tmp_path / "elsewhere"
    (inbox / "sub").mkdir(parents=True)
    elsewhere.mkdir()
    real_submission(inbox / "good.xlsx", QD, values=good_values(QD))
    real_submission(elsewhere / "linked.xlsx", QD, center=("Q2", "乙"), values=good_values(QD))
    os.symlink(elsewhere, inbox / "sub" / "邮件附件")
    os.symlink("..", inbox / "sub" / "back")  # the inbox itself, read already
    os.symlink(tmp_path, inbox / "up")
    files, findings, _ = collect_files([inbox])
    assert [display for _, display in files] == ["good.xlsx"]
    got = sorted((f.code, f.file, f.severity.value) for f in findings)
    assert got == [("folder-link", "sub/邮件附件", "错误"), ("folder-link", "up", "错误")]
    message = next(f.message for f in findings if f.file == "sub/邮件附件")
    assert "没有读取" in message and "“sub/邮件附件”" in message
    assert folder_files(inbox, problems := []) == [inbox / "good.xlsx"] and len(problems) == 2


def test_unreadable_folder_is_a_finding_and_the_rest_is_read(tmp_path, monkeypatch):
    real_submission(tmp_path / "good.xlsx", QD, values=good_values(QD))
    (tmp_path / "locked").mkdir()
    real_submission(tmp_path / "locked" / "b.xlsx", QD, values=good_values(QD))
    real_scandir = os.scandir

    def scandir(path):  # root reads any folder, so the denial is injected where the OS would raise it
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    files, findings, _ = collect_files([tmp_path])
    assert [display for _, display in files] == ["good.xlsx"]
    assert [(f.code, f.file) for f in findings] == [("folder-unreadable", "locked")]
    assert "没有权限" in findings[0].message


@pytest.mark.skipif(
    os.mkdir not in os.supports_dir_fd, reason="makes the levels relative to a folder descriptor"
)
def test_a_folder_whose_path_is_too_long_is_said_in_chinese(tmp_path):
    """A folder nested so that its path passes the system's 4,096 bytes (30 levels of 60 Chinese characters; no
    injection, the real ENAMETOOLONG): the finding said （File name too long）… 请检查文件夹的权限."""
    real_submission(tmp_path / "good.xlsx", QD, values=good_values(QD))
    deep = tmp_path
    fd = os.open(tmp_path, os.O_RDONLY)
    try:
        for _ in range(30):  # each level made relative to the last: no path this long is ever passed whole
            os.mkdir("层" * 60, dir_fd=fd)
            inner = os.open("层" * 60, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
            deep = deep / ("层" * 60)
    finally:
        os.close(fd)
    assert len(os.fsencode(deep)) > 4096
    files, findings, _ = collect_files([tmp_path])
    assert [display for _, display in files] == ["good.xlsx"]
    assert [f.code for f in findings] == ["folder-unreadable"]
    message = findings[0].message
    assert "（文件名或路径过长）" in message and "路径较短的文件夹" in message and "File name" not in message
    _remove_tree(tmp_path / ("层" * 60))


def test_file_name_not_utf8_is_shown_decoded_and_read(tmp_path):
    src = real_submission(tmp_path / "src.xlsx", QD, values=good_values(QD))
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    raw = os.fsencode(inbox) + b"/" + "市南区自报表.xlsx".encode("gbk")
    with open(raw, "wb") as out:
        out.write(src.read_bytes())
    result = ingest(QD, [inbox])
    assert [s.file for s in result.submissions] == ["市南区自报表.xlsx"]
    assert "file-name-encoding" in codes(result.findings)
    for f in result.findings:
        f.file.encode("utf-8")  # nothing a writer cannot write


def test_a_newline_in_a_file_name_is_shown_not_obeyed(tmp_path):
    """A Linux name may hold a newline: it split validate's one line per file in two on the console (the second
    half looking like a line of its own) and the 校验问题 cell."""
    from click.testing import CliRunner

    from kjjr_excel.cli import cli

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    real_submission(inbox / "市南区\n✓ 伪造的一行.xlsx", QD, values=good_values(QD))
    result = ingest(QD, [inbox])
    assert [s.file for s in result.submissions] == ["市南区\\n✓ 伪造的一行.xlsx"]
    out = CliRunner().invoke(cli, ["validate", "qingdao", str(inbox), "-o", str(tmp_path / "r.xlsx")]).output
    assert "✓ 市南区\\n✓ 伪造的一行.xlsx：已读取" in out.splitlines()
    assert guards.display_name("a\tb\x07c\r.xlsx") == "a\\tb\\x07c\\r.xlsx"


def test_roster_csv_unterminated_quote_and_huge_field_are_exit_3(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    real_submission(inbox / "good.xlsx", QD, center=("Q1", "甲中心"), values=good_values(QD))
    quote = tmp_path / "quote.csv"
    quote.write_text('编号,名称,依托单位\nQ1,"甲中心,单位\nQ2,乙中心,单位\n', encoding="utf-8")
    huge = tmp_path / "huge.csv"
    huge.write_text("编号,名称,依托单位\nQ1,甲中心," + "长" * 200_000 + "\n", encoding="utf-8")
    for roster, words in ((quote, "引号没有配对"), (huge, "个字符")):
        done = capped_rank(inbox, tmp_path / "out.xlsx", "--roster", str(roster))
        assert done.returncode == 3, done.stderr
        assert words in done.stderr and "Traceback" not in done.stderr


def test_read_input_refuses_what_is_not_a_regular_file(tmp_path):
    os.mkfifo(tmp_path / "pipe.xlsx")
    os.symlink("loop.xlsx", tmp_path / "loop.xlsx")
    (tmp_path / "folder.xlsx").mkdir()
    for name, code in (("pipe.xlsx", "file-not-regular"), ("loop.xlsx", "file-link-loop")):
        with pytest.raises(guards.Guarded) as refused:
            guards.read_input(tmp_path / name, 2**20)
        assert refused.value.code == code
    with pytest.raises(guards.Guarded) as refused:
        guards.read_input(tmp_path / "folder.xlsx", 2**20)
    assert refused.value.code == "file-not-regular" and refused.value.fields == {"kind": "文件夹"}


@pytest.mark.parametrize(
    "text, line",
    [('a,b\n1,"2\n3,4\n', "3"), ("a,b\n1," + "x" * 40_000 + "\n", "2"), ('a,b\n"x"y,1\n', "2")],
    ids=["unterminated-quote", "huge-field", "text-after-quote"],
)
def test_csv_rows_is_strict(text, line):
    with pytest.raises(guards.Guarded) as refused:
        guards.csv_rows(text)
    assert refused.value.code == "csv-malformed" and refused.value.fields["line"] == line
    assert guards.csv_rows('编号,名称\nQ1,"甲, 中心"\n') == [["编号", "名称"], ["Q1", "甲, 中心"]]


def test_ods_extent_counts_repeats_without_expanding_them():
    t = 'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    o = 'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
    content = (
        f"<r {t}{o}><table:table><table:table-row><table:table-cell office:value-type='string'/>"
        "<table:table-cell table:number-columns-repeated='16383'/></table:table-row>"
        "<table:table-row table:number-rows-repeated='1048574'><table:table-cell/></table:table-row>"
        "<table:table-row><table:table-cell table:number-columns-repeated='25'/>"
        "<table:table-cell office:value-type='float'/></table:table-row></table:table>"
        "<table:table><table:table-row table:number-rows-repeated='9'><table:table-cell "
        "table:number-columns-repeated='3'/></table:table-row></table:table></r>"
    ).encode()
    # trailing empty cells and rows are not loaded; the second table holds nothing
    assert guards.ods_extent(content) == [(1_048_576, 26), (0, 0)]
    with pytest.raises(guards.Guarded):
        guards.check_ods(content)


def test_history_figures_that_are_not_finite_are_not_a_rank_or_a_year():
    from kjjr_excel.domain.identity import parse_year as _parse_year
    from kjjr_excel.read.history import _parse_rank

    for value in (float("inf"), float("-inf"), float("nan"), 1e30):
        assert _parse_rank(value) is None and _parse_year(value) is None
    assert _parse_rank(3.0) == 3 and _parse_year(2018.0) == 2018


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_roster_given_as_a_fifo_is_named_for_what_it_is(tmp_path, suffix):
    from kjjr_excel.errors import RosterError
    from kjjr_excel.read.roster import read_roster

    os.mkfifo(tmp_path / f"名录{suffix}")
    with pytest.raises(RosterError) as refused:
        read_roster(tmp_path / f"名录{suffix}")
    assert "命名管道" in str(refused.value) and "找不到" not in str(refused.value)


def test_assessment_folder_nested_deep_with_a_fifo_is_findings_not_a_crash(tmp_path):
    from kjjr_excel.app import run_rank

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    real_submission(inbox / "good.xlsx", QD, center=("Q1", "甲中心"), values=good_values(QD))
    tables = tmp_path / "assessment"
    tables.mkdir()
    os.mkfifo(tables / "考核评价表.xlsx")
    deep = tables
    try:
        for _ in range(1100):
            deep = deep / "d"
            deep.mkdir()
        result = run_rank(QD, [inbox], assessments=[tables])
        found = codes(result.findings)
        assert {"folder-too-deep", "file-not-regular"} <= found
        assert [r.center.name for r in result.ranked if r.rank is not None] == ["甲中心"]
    finally:
        _remove_tree(tables)


@pytest.mark.parametrize(
    "xml, small",
    [
        (b'<row r="3" spans="1:9"><c r="B2" s="1"/><c r="ZZ999"><v>1</v></c></row>', True),
        (b'<row r="1000"><c r="A1000"/></row>', False),
        (b'<row r="1"><c r="AAA1"/></row>', False),
        (b"<row><c/></row>", False),
        (b'<row r="1"><c s="1"/></row>', False),
        (b"<x:row r='5'><x:c r='B1'/></x:row>", False),
        (b'<row r="1"><c r = "A1"/></row>', False),
        (b'<row r="1"><c\tr="A1"/></row>', False),
        (b'<row r="1"><c r="A1"\ts="1"/></row>', False),
        (b'<row r="1"><c r="A1" r="XFD1048576"/></row>', False),
        (b'<row r="1"><c r="A1" x:r="XFD1048576"/></row>', False),
        (b'<row r="1"><c r="A1" s=">" r="XFD1048576"/></row>', False),
        (b'<row r="1"><c r="A1" t=\'s\'/></row>', False),
        (b'<row\nr="1"><c r="A1"/></row>', False),
        (b'<row r="1" spans="1:5" x14ac:dyDescent="0.25"><c r="E1" s="2" t="s"><v>0</v></c></row>', True),
    ],
)
def test_plainly_small_is_only_said_of_what_is_surely_small(xml, small):
    assert guards.plainly_small(sheet(xml)) is small
    if small:
        rows, cols = guards.xml_extent(sheet(xml))
        assert rows <= guards.SMALL[0] and cols <= guards.SMALL[1]


# ---------------------------------------------------------------------------------------------- sheet parts

_WS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"


def _far_part(src: Path, sheet: str) -> bytes:
    """The part of `sheet` with one more cell at XFD1048576."""
    with zipfile.ZipFile(src) as z:
        xml = z.read(sheet_part(src, sheet))
    extra = b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>'
    return xml.replace(b"</sheetData>", extra)


def _hidden_far_part(src: Path, dst: Path, form: str) -> Path:
    """A copy of a submission whose data sheet, as calamine resolves it, is a far part our reading of
    workbook.xml and its relationships did not lead to (each form aborted the whole run, 2026-12-01)."""
    sheet = layout(QD).sheet
    part = sheet_part(src, sheet)
    target = part.removeprefix("xl/")
    with zipfile.ZipFile(src) as z:
        wb, rels = z.read("xl/workbook.xml").decode(), z.read("xl/_rels/workbook.xml.rels").decode()
    rid = re.search(rf'<Relationship [^>]*Id="([^"]+)"[^>]*Target="{target}"', rels).group(1)
    far = _far_part(src, sheet)
    extra = f'<Relationship Id="rId99" Type="{_WS}" Target="worksheets/far.xml"/></Relationships>'
    if form == "id-twice":  # calamine takes the last of two relationships with one id
        rels = rels.replace("</Relationships>", extra.replace("rId99", rid))
    elif form == "sheet-in-other-namespace":  # calamine reads <sheet> in any namespace, the first of a name
        wb = wb.replace(
            "<sheets>", f'<sheets><o:sheet xmlns:o="urn:o" name="{sheet}" sheetId="99" r:id="rId99"/>'
        )
        rels = rels.replace("</Relationships>", extra)
    elif form == "reference-in-target":  # calamine does not expand references in a target
        rels = rels.replace(f'Target="{target}"', f'Target="{target.replace(".xml", "&#46;xml")}"')
        return rewrite_zip(
            src,
            dst,
            replace={"xl/_rels/workbook.xml.rels": rels.encode()},
            add={part.replace(".xml", "&#46;xml"): far},
        )
    elif form == "absolute-target":  # calamine takes /far.xml from the root of the package
        rels = rels.replace(f'Target="{target}"', 'Target="/far.xml"')
        return rewrite_zip(
            src, dst, replace={"xl/_rels/workbook.xml.rels": rels.encode()}, add={"far.xml": far}
        )
    elif form == "target-from-root":  # calamine keeps a target that starts with xl/
        rels = rels.replace(f'Target="{target}"', f'Target="{part}"')
        return rewrite_zip(src, dst, replace={"xl/_rels/workbook.xml.rels": rels.encode(), part: far})
    elif form == "name-twice":  # two entries of one name (ignoring case): which one a reader takes differs
        return rewrite_zip(src, dst, add={part.upper(): far})
    replace = {"xl/workbook.xml": wb.encode(), "xl/_rels/workbook.xml.rels": rels.encode()}
    return rewrite_zip(src, dst, replace=replace, add={"xl/worksheets/far.xml": far})


@pytest.mark.parametrize(
    "form",
    [
        "id-twice",
        "sheet-in-other-namespace",
        "reference-in-target",
        "absolute-target",
        "target-from-root",
        "name-twice",
    ],
)
def test_far_part_calamine_resolves_otherwise_is_a_finding_not_an_abort(tmp_path, form):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    real_submission(inbox / "good.xlsx", QD, center=("Q1", "甲中心"), values=good_values(QD))
    src = real_submission(tmp_path / "src.xlsx", QD, center=("Q2", "乙中心"), values=good_values(QD))
    _hidden_far_part(src, inbox / "far.xlsx", form)
    done = capped_rank(inbox, tmp_path / "out.xlsx")
    assert done.returncode == 0, done.stderr
    found = [f["说明"] for f in findings_of(tmp_path / "out.xlsx") if f["文件"] == "far.xlsx"]
    # the bound, or (python-calamine at its floor, for /far.xml) calamine refusing the package as it opens it
    damaged = form == "absolute-target" and any("文件已损坏" in said for said in found)
    assert damaged or any("XFD1048576" in said or "重复出现" in said for said in found), found
    assert ranked_names(tmp_path / "out.xlsx") == {"甲中心"}


def test_loose_extent_bounds_a_part_that_is_not_xml():
    assert guards.loose_extent(b"\x89PNG\x00\x01 binary <r> rich text") == (0, 0)
    # well-formed or not, whatever the quoting, a reference expanded or not: the far cell counts
    far = b"<ws><sheetData><row></x><c\tx:r = '&#88;FD1048576'/></row></sheetData>\x00\xff"
    assert guards.loose_extent(far) == (1_048_576 + 2, 16_384 + 2)
    assert guards.loose_extent(b"<row><c/><c/></row>") == (3, 3)  # no r: placed by counting


@pytest.mark.parametrize("count", ['uniqueCount="4294967295"', "uniqueCount = '100000000'"])
def test_shared_strings_count_beyond_the_part_is_a_finding_not_an_abort(tmp_path, count):
    """calamine reserved room for uniqueCount strings as it opened the file: 96 GiB for 4294967295."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    real_submission(inbox / "good.xlsx", QD, center=("Q1", "甲中心"), values=good_values(QD))
    src = real_submission(tmp_path / "src.xlsx", QD, center=("Q2", "乙中心"), values=good_values(QD))
    with zipfile.ZipFile(src) as z:
        strings = z.read("xl/sharedStrings.xml")
    forged = re.sub(rb'uniqueCount="[0-9]+"', count.encode(), strings)
    assert forged != strings
    rewrite_zip(src, inbox / "far.xlsx", replace={"xl/sharedStrings.xml": forged})
    done = capped_rank(inbox, tmp_path / "out.xlsx")
    assert done.returncode == 0, done.stderr
    found = [f["说明"] for f in findings_of(tmp_path / "out.xlsx") if f["文件"] == "far.xlsx"]
    assert any("字符串数量" in said and "sharedStrings.xml" in said for said in found), found
    assert ranked_names(tmp_path / "out.xlsx") == {"甲中心"}


def test_shared_strings_count_of_a_real_file_passes(tmp_path):
    src = real_submission(tmp_path / "src.xlsx", QD, values=good_values(QD))
    with zipfile.ZipFile(src) as z:
        guards.check_shared_strings(z.read("xl/sharedStrings.xml"), "xl/sharedStrings.xml")
    guards.check_shared_strings(b'<sst count="9" uniqueCount="2"><si/><si/></sst>', "s")  # at the bound
    with pytest.raises(guards.Guarded):
        guards.check_shared_strings(b'<sst uniqueCount="&#57;"><si/></sst>', "s")  # 35 bytes: 8 at most
