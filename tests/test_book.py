"""read/book.py: the one workbook reader. Its shortcuts (a part's first bytes instead of all of it, a byte
search before a parse) agree with reading everything through zipfile; damage is refused where it matters."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from kjjr_fixtures import good_values, real_submission, rewrite_zip, sheet_part

from kjjr_excel.domain.layout import META_SHEET, layout
from kjjr_excel.domain.scheme import load_scheme
from kjjr_excel.read import book as book_mod
from kjjr_excel.read.book import Refused, open_book, read_table_book
from kjjr_excel.read.mail import MemberFile

ROOT = Path(__file__).resolve().parents[1]

GD = load_scheme("guangdong-2019")


def _wanted(scheme) -> set[tuple[int, int]]:
    lay = layout(scheme)
    return {(r, lay.value_col) for r in lay.rows.values()} | {
        (r, lay.header_value_col) for r in lay.header_rows.values()
    }


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Path:
    return real_submission(tmp_path_factory.mktemp("book") / "clean.xlsx", GD, values=good_values(GD))


def test_a_clean_template_is_a_book_with_its_meta_and_sheets(clean):
    book = open_book(clean, "c.xlsx")
    assert book.fmt == "xlsx" and book.findings == [] and len(book.sha256) == 64
    assert layout(GD).sheet in book.sheet_names and META_SHEET in book.sheet_names
    assert book.meta()["scheme_id"] == GD.id
    assert book.saved_at() is not None
    grid = book.grid(layout(GD).sheet)
    assert grid and all(isinstance(row, list) for row in grid)


def test_a_mail_attachment_is_the_same_book_as_the_file(clean):
    from_file = open_book(clean, "c.xlsx")
    from_mail = open_book(MemberFile("c.xlsx", "c.xlsx", clean.read_bytes()), "c.xlsx")
    assert from_mail.sha256 == from_file.sha256
    name = layout(GD).sheet
    assert from_mail.grid(name) == from_file.grid(name) and from_mail.meta() == from_file.meta()


def test_refused_carries_the_hash_of_what_was_read(tmp_path, clean):
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(clean.read_bytes()[:3000])
    with pytest.raises(Refused) as refused:
        open_book(broken, "b.xlsx")
    assert [f.code for f in refused.value.findings] == ["file-corrupt"]
    assert refused.value.sha256 and len(refused.value.sha256) == 64


def test_typed_formulas_are_found_with_and_without_the_shortcut(tmp_path):
    cached = real_submission(tmp_path / "f.xlsx", GD, values={**good_values(GD), "loan_banks": "=3+4"})
    wb = openpyxl.load_workbook(cached)
    wb[layout(GD).sheet]["C13"] = "=SUM(1,2)"
    wb.save(tmp_path / "nocache.xlsx")
    book = open_book(tmp_path / "nocache.xlsx", "f")
    fast = book.formulas(layout(GD).sheet, _wanted(GD))
    # openpyxl re-saved the file: neither typed formula (C12, C13) has a cached value any more
    assert {ref: has_cache for ref, (_, has_cache, _) in fast.items()} == {(11, 2): False, (12, 2): False}
    assert fast == open_book(tmp_path / "nocache.xlsx", "f").formulas(
        layout(GD).sheet, _wanted(GD), shortcut=False
    )


def test_the_prolog_shortcut_never_passes_a_dtd(tmp_path, clean):
    """A part skipped by its first bytes declares no DTD, by zipfile's own full read; and a DTD or entity in
    any part a parser reads refuses the file, wherever it stands."""
    lol = b'<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY a "aaaa">]><sst xmlns="x"><si><t>&a;</t></si></sst>'
    rewrite_zip(clean, tmp_path / "lol.xlsx", replace={"xl/sharedStrings.xml": lol})
    part = sheet_part(clean, layout(GD).sheet)
    with zipfile.ZipFile(clean) as z:
        xml = z.read(part)
    commented = b'<?xml version="1.0"?><!-- <root> --><!DOCTYPE x []>' + xml.split(b"?>", 1)[1]
    rewrite_zip(clean, tmp_path / "commented.xlsx", replace={part: commented})
    for name in ("lol.xlsx", "commented.xlsx"):
        with pytest.raises(Refused) as refused:
            open_book(tmp_path / name, name)
        assert [f.code for f in refused.value.findings] == ["file-unsafe"]
    checked = 0
    with zipfile.ZipFile(clean) as zf:
        for info in zf.infolist():
            if book_mod._root_starts_prolog(zf, info):
                full = zf.read(info)
                assert b"<!DOCTYPE" not in full and b"<!ENTITY" not in full, info.filename
                checked += 1
    assert checked >= 5


def test_a_part_seen_before_is_not_scanned_again_but_what_we_parse_always_is(tmp_path, clean):
    """One batch's books share a BookCache: a part whose directory entry (name, CRC-32, sizes) passed the scan
    in an earlier file is not opened again. A DTD in a changed part is still refused (its CRC differs); and
    where a part is forged to match a key seen before (here: the key put in by hand), a part a parser of ours
    reads is refused when it is inflated (the shared strings too: their uniqueCount is checked before calamine
    opens the file), and nothing of it stops the batch."""
    from kjjr_excel.read.submission import SubmissionReader

    cache = book_mod.BookCache()
    first = open_book(clean, "clean.xlsx", cache)
    assert first.cache is cache and len(cache.checked_parts) >= 5
    lol = b'<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY a "aaaa">]><sst xmlns="x"><si><t>&a;</t></si></sst>'
    rewrite_zip(clean, tmp_path / "lol.xlsx", replace={"xl/sharedStrings.xml": lol})
    with pytest.raises(Refused) as refused:
        open_book(tmp_path / "lol.xlsx", "lol.xlsx", cache)
    assert [f.code for f in refused.value.findings] == ["file-unsafe"]

    sheet = sheet_part(clean, layout(GD).sheet)
    with zipfile.ZipFile(clean) as z:
        xml = z.read(sheet)
    dtd = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>' + xml.split(b"?>", 1)[1]
    in_sheet = rewrite_zip(clean, tmp_path / "sheet.xlsx", replace={sheet: dtd})
    in_strings = rewrite_zip(clean, tmp_path / "strings.xlsx", replace={"xl/sharedStrings.xml": lol})
    for forged in (in_sheet, in_strings):
        with zipfile.ZipFile(forged) as z:
            for info in z.infolist():
                cache.passed(info)  # as if each part had the CRC and sizes of one seen before
    with pytest.raises(Refused) as refused:
        open_book(in_sheet, "sheet.xlsx", cache).part(sheet)
    assert [f.code for f in refused.value.findings] == ["file-unsafe"]
    reader = SubmissionReader(GD)
    reader.books = cache
    outcome = reader.read(in_sheet, "sheet.xlsx")
    assert outcome.submission is None and [f.code for f in outcome.findings] == ["file-unsafe"]
    outcome = reader.read(in_strings, "strings.xlsx")
    assert outcome.submission is None and [f.code for f in outcome.findings] == ["file-unsafe"]


def _declare(src: Path, dst: Path, part: str, field: slice, change) -> Path:
    """A copy whose central directory says something else about `part` (its bytes untouched)."""
    data = bytearray(src.read_bytes())
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        size = int.from_bytes(data[at + 28 : at + 30], "little")
        if data[at + 46 : at + 46 + size] == part.encode():
            where = slice(at + field.start, at + field.stop)
            data[where] = change(bytes(data[where]))
            break
        at = data.find(b"PK\x01\x02", at + 4)
    assert at >= 0, part
    dst.write_bytes(bytes(data))
    return dst


SIZE = slice(24, 28)  # uncompressed size in a central directory entry
CRC = slice(16, 20)


def _one_short(raw: bytes) -> bytes:
    return (int.from_bytes(raw, "little") - 1).to_bytes(4, "little")


def _flipped(raw: bytes) -> bytes:
    return bytes(b ^ 0xFF for b in raw)


@pytest.mark.parametrize("field, change", [(SIZE, _one_short), (CRC, _flipped)], ids=["size", "crc"])
def test_a_damaged_part_is_refused_by_the_reader_that_needs_it(tmp_path, clean, field, change):
    """A part the directory misdescribes cannot be inflated (zipfile reads no more than the declared size and
    checks the CRC): the sheet calamine would load refuses the file; the saved time is only lost."""
    from kjjr_excel.read.submission import read_submission

    sheet = sheet_part(clean, layout(GD).sheet)
    damaged = _declare(clean, tmp_path / "sheet.xlsx", sheet, field, change)
    outcome = read_submission(damaged, "s.xlsx", GD)
    assert outcome.submission is None and [f.code for f in outcome.findings] == ["file-corrupt"]
    damaged = _declare(clean, tmp_path / "core.xlsx", "docProps/core.xml", field, change)
    outcome = read_submission(damaged, "c.xlsx", GD)
    assert outcome.submission is not None and outcome.submission.saved_at is None
    assert outcome.findings == read_submission(clean, "c.xlsx", GD).findings


def test_a_table_book_gives_sheets_meta_and_formulas(tmp_path):
    path = real_submission(tmp_path / "t.xlsx", GD, values={**good_values(GD), "loan_banks": "=3+4"})
    table = read_table_book(path, "t.xlsx")
    assert table.findings == [] and table.meta is not None and table.sha256
    assert [name for name, _ in table.sheets] and all(name != META_SHEET for name, _ in table.sheets)
    assert any(f[0] == "3+4" for sheet in table.formulas.values() for f in sheet.values())


def test_formulas_of_a_large_sheet_are_read_one_row_at_a_time(tmp_path, clean):
    """A sheet within the bound can still be 40 MB in a 4 MB file; its formulas were read from a tree of the
    whole part, some 13 times its size (500 MB). Now what the search holds is about one row."""
    import tracemalloc

    from kjjr_excel.domain.parse import a1

    sheet = layout(GD).sheet
    part = sheet_part(clean, sheet)
    with zipfile.ZipFile(clean) as z:
        xml = z.read(part)
    far = "".join(
        f'<row r="{r + 1}">' + "".join(f'<c r="{a1(r, c)}"><v>{c}</v></c>' for c in range(200)) + "</row>"
        for r in range(200, 1200)
    )
    far = far.replace('<c r="GR1200"><v>199</v></c>', '<c r="GR1200"><f>1+2</f></c>')
    xml = xml.replace(b"</sheetData>", far.encode() + b"</sheetData>")
    assert len(xml) > 4_000_000
    big = rewrite_zip(clean, tmp_path / "big.xlsx", replace={part: xml})
    book = open_book(big, "big.xlsx")
    book.part(part)  # inflated before the measure: only the search is measured
    wanted = {(r, c) for r in (5, 1199) for c in (5, 199)}
    tracemalloc.start()
    found = book.formulas(sheet, wanted, shortcut=False)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert found == {(1199, 199): ("1+2", False, "")}
    assert peak < len(xml) // 4, peak


def test_a_large_workbook_part_is_read_one_element_at_a_time(tmp_path, clean):
    """workbook.xml (which sheet is in which part) and core.xml (the saved time) were parsed into a tree of the
    whole part, some 10 times its size; each element is now dropped once read, and the answer is the same."""
    import tracemalloc

    with zipfile.ZipFile(clean) as z:
        wb, core = z.read("xl/workbook.xml"), z.read("docProps/core.xml")
    names = "".join(f'<definedName name="n{n}">x!$A${n}</definedName>' for n in range(200_000))
    wb = wb.replace(b"</definedNames>", names.encode() + b"</definedNames>")
    core = core.replace(b"dcterms:", b"d:").replace(b"xmlns:dcterms=", b"xmlns:d=")  # not the usual prefix
    core = core.replace(
        b"</cp:coreProperties>",
        b"<x:y xmlns:x='urn:x'>" + b"<x:z/>" * 100_000 + b"</x:y></cp:coreProperties>",
    )
    big = rewrite_zip(
        clean, tmp_path / "big.xlsx", replace={"xl/workbook.xml": wb, "docProps/core.xml": core}
    )
    book = open_book(big, "big.xlsx")
    sheet = layout(GD).sheet
    book.part("xl/workbook.xml"), book.part("docProps/core.xml")  # inflated before the measure
    tracemalloc.start()
    part = book_mod._sheet_part(book, sheet, "big.xlsx")
    saved = book.saved_at()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert part == sheet_part(clean, sheet) and saved == open_book(clean, "c.xlsx").saved_at()
    assert peak < len(wb) // 4, peak


def _wide_table(path: Path, sheets: int, formula: bool = False) -> Path:
    """A table workbook (7 KB) of sheets each near the bound: a header and one cell at XFD(122 - n), about
    two million cells a sheet once loaded; optionally a formula without a cached value in the first."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    for n in range(sheets):
        ws = wb.add_worksheet(f"考核{n}")
        ws.write_row(0, 0, ["编号", "名称", "分数"])
        ws.write_string(121 - n, 16383, "x")
        if formula and n == 0:
            ws.write_formula(5, 16000, "=1+2", None, "")
    wb.close()
    return path


def test_a_table_of_sheets_at_the_bound_costs_its_cells_not_a_set_and_a_search_of_each(tmp_path):
    """Each cell's formula was looked for through a set of every cell and a byte search for each: a 7 KB
    table of four sheets at the bound took 38 s and 1.7 GB. One streamed parse finds the same formulas."""
    import tracemalloc

    path = _wide_table(tmp_path / "wide.xlsx", 1, formula=True)
    tracemalloc.start()
    table = read_table_book(path, "wide.xlsx")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert table.findings == [] and [len(rows) for _, rows in table.sheets] == [122]
    assert table.formulas == {"考核0": {"WQK6": ("1+2", False, "")}}  # row 5, column 16000
    assert peak < 100 * 2**20, peak  # the rows themselves: 122 lists of 16,384
    book = open_book(path, "wide.xlsx")
    small = {(r, c) for r in range(4, 7) for c in range(15_999, 16_002)}
    assert (
        book.formulas("考核0", small)
        == book.formulas("考核0", small, shortcut=False)
        == {(5, 16000): ("1+2", False, "")}
    )


def test_a_table_of_many_sheets_at_the_bound_is_refused_not_held(tmp_path):
    path = _wide_table(tmp_path / "wide.xlsx", 5)
    table = read_table_book(path, "wide.xlsx")
    assert table.sheets == [] and [f.code for f in table.findings] == ["file-unsafe"]
    assert "全部工作表共" in table.findings[0].message and "工作表“" not in table.findings[0].message
    sheets, findings = book_mod.read_sheets(path, "wide.xlsx")
    assert sheets == [] and [f.code for f in findings] == ["file-unsafe"]


def test_a_macro_project_is_searched_for_cells_never_refused_as_xml(tmp_path, clean):
    """Every part a relationship of the workbook names is bounded (a sheet may be pointed at it), but a binary
    one is only searched: a DTD or a long run without '<' in a macro project is no reason to refuse it."""
    import random

    from kjjr_excel.read.submission import read_submission

    noise = bytes(b for b in random.Random(7).randbytes(1_300_000) if b not in b"<>")
    vba = b'\xd0\xcf\x11\xe0 Sub x(): s = "<!DOCTYPE html>" End Sub ' + noise
    with zipfile.ZipFile(clean) as z:
        rels = z.read("xl/_rels/workbook.xml.rels")
    kind = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
    rel = f'<Relationship Id="rId99" Type="{kind}" Target="vbaProject.bin"/></Relationships>'
    rels = rels.replace(b"</Relationships>", rel.encode())
    macro = rewrite_zip(
        clean,
        tmp_path / "m.xlsm",
        replace={"xl/_rels/workbook.xml.rels": rels},
        add={"xl/vbaProject.bin": vba},
    )
    outcome = read_submission(macro, macro.name, GD)
    assert outcome.submission is not None, [f.message for f in outcome.findings]
    assert [f.code for f in outcome.findings] == ["file-macros-ignored"]


_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"


@pytest.mark.parametrize(
    "element, bounded",
    [
        (f'<Relationship Id="rId1" Type="{_REL}styles" Target="styles.xml"/>', False),
        (f"<Relationship Id='rId1' Target='theme/theme1.xml' Type='{_REL}theme' />", False),
        (f'<Relationship Id="rId1" Type="{_REL}worksheet" Target="styles.xml"/>', True),
        ('<Relationship Id="rId1" Target="styles.xml"/>', True),  # no type: calamine's reading unknown
        (f'<Relationship Type="{_REL}styles" Target="styles.xml" Type="{_REL}worksheet"/>', True),
        (f'<Relationship Type="{_REL}styles" Target="styles.xml" x="<" Type="{_REL}worksheet"/>', True),
        (f'<Relationship Type="{_REL}styles" Target="styles.xml" y=">" x="<" Type="{_REL}worksheet"/>', True),
        (f'<Relationship Type="{_REL}Styles" Target="styles.xml"/>', True),  # not the exact spelling
    ],
)
def test_a_relationship_target_is_bounded_unless_it_is_plainly_not_a_sheet(element, bounded):
    """calamine refuses to load a sheet whose relationship has a theme, styles or shared-strings type
    ('Unrecognized sheet:type'), so only such a target, in a plain element, is spared the sheet bound (and
    the inflating it costs on every file); every other target is bounded."""
    rels = f'<?xml version="1.0"?><Relationships xmlns="x">{element}</Relationships>'.encode()
    assert (
        b"xl/styles.xml" in book_mod._targets(rels) or b"xl/theme/theme1.xml" in book_mod._targets(rels)
    ) is bounded


@pytest.mark.libreoffice
@pytest.mark.skipif(shutil.which("soffice") is None, reason="needs LibreOffice")
def test_a_libreoffice_xlsx_saved_time_is_its_clock_time_not_utc(tmp_path: Path, monkeypatch) -> None:
    """LibreOffice writes the local clock time into docProps/core.xml marked Z (UTC): saved in Beijing at
    02:00 it says 02:00Z, eight hours later than an .ods, an .xls or an Excel file saved at the same moment.
    A stale original then beat its correction as the newest. The time is read as the clock's, as its .ods."""
    import time
    from datetime import UTC, datetime

    from lo_fill import fill_with_libreoffice

    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    try:
        template = ROOT / "templates" / "青岛市科技金融服务分中心考核_2017_填报模板.xlsx"
        before = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
        (filled,) = fill_with_libreoffice(
            [(template, tmp_path / "a.xlsx", [("考核指标", "F12", 40)])], tmp_path
        )
        after = datetime.now(UTC).replace(tzinfo=None)
        with zipfile.ZipFile(filled) as zf:
            assert b"Z</dcterms:modified>" in zf.read("docProps/core.xml")  # what LibreOffice writes
        saved = open_book(filled, "a.xlsx").saved_at()
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    assert before <= saved <= after
