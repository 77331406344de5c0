"""kjjr_excel.write.styles: the shared Workbook (stock XlsxWriter plus explicit fit-to-page attributes), the
printed page, and the measuring of text."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from hypothesis import assume, given
from hypothesis import strategies as st
from xlsxwriter.exceptions import FileCreateError

from kjjr_excel.write import styles, xlsxfast
from kjjr_excel.write.styles import (
    Workbook,
    display_width,
    lines_height,
    page_starts,
    row_height,
    stored_height,
    wrapped_lines,
)

VALUES = [
    "plain",
    "名称 “引号” <tag> & 'apos'",
    "line\nbreak",
    "=1+1",
    0.0,
    -12.5,
    3,
    None,
    datetime(2026, 11, 24),
]


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {info.filename: zf.read(info) for info in zf.infolist()}


def _book(cls, path: Path, fits: list[tuple[int, int] | None], constant_memory: bool = False) -> Path:
    wb = cls(str(path), {"constant_memory": constant_memory, "strings_to_formulas": False})
    wb.set_properties(
        {"created": datetime(2026, 1, 15, 9, 30)}
    )  # not the clock: books compared byte for byte
    boxed = wb.add_format({"border": 1, "num_format": "0.00"})
    for n, fit in enumerate(fits):
        ws = wb.add_worksheet(f"S{n}")
        for row in range(3):
            for col, value in enumerate(VALUES):
                ws.write(row, col, value, boxed if (row + col) % 2 else None)
        ws.set_landscape()
        ws.set_paper(9)
        if fit is not None:
            ws.fit_to_pages(*fit)
    wb.close()
    return path


def _without_fit(xml: bytes) -> bytes:
    return re.sub(rb' fitTo(Width|Height)="1"', b"", xml)


@pytest.fixture(params=["plain", "fast"])
def way(request, monkeypatch: pytest.MonkeyPatch) -> str:
    """The plain path (public API), and xlsxfast where this XlsxWriter version has it."""
    if request.param == "plain":
        monkeypatch.setattr(xlsxfast, "ENABLED", False)
    elif not xlsxfast.ENABLED:
        pytest.skip("xlsxfast is not enabled for this XlsxWriter version")
    return request.param


@pytest.mark.parametrize("constant_memory", [False, True])
def test_workbook_is_stock_xlsxwriter_with_the_default_fit_stated(
    tmp_path: Path, constant_memory: bool, way: str
) -> None:
    fits = [(1, 0), (1, 1), (3, 0), (2, 2), None]
    stock = _parts(_book(xlsxwriter.Workbook, tmp_path / "stock.xlsx", fits, constant_memory))
    ours = _parts(_book(Workbook, tmp_path / "ours.xlsx", fits, constant_memory))
    assert list(ours) == list(stock)  # the same parts in the same order
    assert [name for name in stock if _without_fit(ours[name]) != stock[name]] == []
    setups = [
        re.search(rb"<pageSetup [^>]*>", ours[f"xl/worksheets/sheet{n}.xml"]).group(0) for n in range(1, 6)
    ]
    assert setups == [
        b'<pageSetup paperSize="9" fitToWidth="1" fitToHeight="0" orientation="landscape"/>',
        b'<pageSetup paperSize="9" fitToWidth="1" fitToHeight="1" orientation="landscape"/>',
        b'<pageSetup paperSize="9" fitToWidth="3" fitToHeight="0" orientation="landscape"/>',
        b'<pageSetup paperSize="9" fitToWidth="2" fitToHeight="2" orientation="landscape"/>',
        b'<pageSetup paperSize="9" orientation="landscape"/>',  # no fit: nothing added
    ]
    # what openpyxl (and some WPS versions) read: the fit, not "none"
    ws = openpyxl.load_workbook(tmp_path / "ours.xlsx")["S1"]
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 1)
    assert ws.sheet_properties.pageSetUpPr.fitToPage


def test_a_package_needing_no_fit_is_copied_as_xlsxwriter_packed_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stock = _book(xlsxwriter.Workbook, tmp_path / "stock.xlsx", [None, (2, 3)])
    copy = io.BytesIO()
    with stock.open("rb") as package:
        styles.explicit_fit(package, copy)
    assert copy.getvalue() == stock.read_bytes()  # byte for byte: names, dates, compression kept
    monkeypatch.setattr(xlsxfast, "ENABLED", False)
    assert _parts(_book(Workbook, tmp_path / "ours.xlsx", [None, (2, 3)])) == _parts(stock)


def test_a_file_that_cannot_be_written_is_reported_as_xlsxwriter_does(tmp_path: Path, way: str) -> None:
    wb = Workbook(str(tmp_path / "missing" / "x.xlsx"))
    wb.add_worksheet()
    with pytest.raises(FileCreateError) as caught:
        wb.close()
    assert isinstance(caught.value.args[0], FileNotFoundError)


def test_explicit_setup_puts_the_attributes_after_the_paper_or_first() -> None:
    fit = b'<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>'
    assert styles._explicit_setup(fit + b'<pageSetup orientation="portrait"/>') == (
        fit + b'<pageSetup fitToWidth="1" fitToHeight="1" orientation="portrait"/>'
    )
    assert (
        styles._explicit_setup(fit + b"<pageSetup/>") == fit + b'<pageSetup fitToWidth="1" fitToHeight="1"/>'
    )
    unfitted = b'<pageSetup paperSize="9"/>'
    assert styles._explicit_setup(unfitted) is unfitted


def test_closing_twice_rewrites_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xlsxfast, "ENABLED", False)  # the plain path's copy
    calls = []
    monkeypatch.setattr(styles, "explicit_fit", lambda package, out, **_: calls.append(out.name))
    wb = Workbook(str(tmp_path / "x.xlsx"))
    wb.add_worksheet().fit_to_pages(1, 0)
    wb.close()
    with pytest.warns(UserWarning):  # XlsxWriter's own: the file is closed already
        wb.close()
    assert calls == [str(tmp_path / "x.xlsx")]


def test_print_table_and_running_head(tmp_path: Path) -> None:
    wb = Workbook(str(tmp_path / "p.xlsx"))
    ws = wb.add_worksheet("表")
    ws.write_string(0, 0, "标题")
    styles.print_table(ws, 0, "考核结果 & 说明", pages_wide=2)
    wb.close()
    ws = openpyxl.load_workbook(tmp_path / "p.xlsx")["表"]
    assert (ws.page_setup.orientation, int(ws.page_setup.paperSize)) == ("landscape", 9)
    assert (int(ws.page_setup.fitToWidth), int(ws.page_setup.fitToHeight)) == (2, 0)
    assert ws.print_title_rows == "$1:$1"
    assert (ws.page_margins.left, ws.page_margins.top, ws.page_margins.header) == (0.4, 0.75, 0.3)
    assert ws.oddHeader.right.text == "考核结果 && 说明"  # a literal &, not a header code
    assert ws.oddFooter.center.text == "第 &P 页 共 &N 页"


def test_text_on_paper() -> None:
    assert display_width("ab") == 2 and display_width("科技ab") == 6 and display_width("１２") == 4
    assert wrapped_lines("", 10) == 1
    assert wrapped_lines("科技金融服务中心", 9) == 2  # 16 columns in 8 a line
    assert wrapped_lines("一\n二\n三", 40) == 3
    assert lines_height(1) == 19.5 and lines_height(1, minimum=20) == 20 and lines_height(3) == 3 * 15.5 + 4
    assert row_height([("科技金融服务中心", 9), ("", 2), ("x", 40)]) == lines_height(2)
    assert row_height([]) == lines_height(1)


# ---------------------------------------------------------------------------------------------- pages


def _pages(rows: list[float], starts: list[int]) -> list[list[float]]:
    bounds = [0, *starts, len(rows)]
    return [rows[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]


def test_a_table_and_foot_that_fit_one_page_get_no_break() -> None:
    assert page_starts([20] * 10, [100], head=[50], repeated=[30], room=500, keep=3) == []
    assert page_starts([], [100], head=[50], repeated=[30], room=500, keep=3) == []


def test_the_foot_takes_the_last_rows_onto_its_page() -> None:
    # 50 + 20 rows of 20 = 450: the table fits page 1, the foot (100) does not; it goes over with 3 rows
    assert page_starts([20] * 20, [100], head=[50], repeated=[30], room=500, keep=3) == [17]
    # 50 + 22 rows = 490: page 1 ends after 22 rows, the 23rd alone would carry the foot; 2 more join it
    assert page_starts([20] * 23, [100], head=[50], repeated=[30], room=500, keep=3) == [20]
    # a table that fits page 2 with room for the foot keeps the pages it has
    assert page_starts([20] * 30, [100], head=[50], repeated=[30], room=500, keep=3) == [22]


def test_tall_last_rows_go_with_the_foot_as_far_as_they_fit() -> None:
    # the foot and one 150-point row fill a page (30 + 150 + 300 = 480); two of them would not
    assert page_starts([20] * 3 + [150] * 3, [300], head=[50], repeated=[30], room=500, keep=3) == [5]
    # the foot's page never starts before the table: one row at least stays on page 1
    assert page_starts([150] * 2, [300], head=[50], repeated=[30], room=500, keep=3) == [1]


def test_heights_count_as_the_file_stores_them() -> None:
    assert stored_height(20) == 20.25 and stored_height(15) == 15 and stored_height(8) == 8.25
    # 24 rows of 20 points are 480 as given, 486 as stored: one row less fits
    assert page_starts([20] * 40, [0], head=[], repeated=[], room=480, keep=1) == [23]


@given(
    rows=st.lists(st.sampled_from([20.0, 35.5, 51.0, 66.5]), max_size=150),
    foot=st.lists(st.sampled_from([8.0, 20.0, 24.0, 35.5, 51.0]), min_size=1, max_size=12),
    keep=st.integers(1, 4),
)
def test_pages_fit_and_the_foot_never_stands_alone(rows: list[float], foot: list[float], keep: int) -> None:
    head, repeated, room = [48.0, 35.25], [35.25], 488.0
    # a foot that a page holds with the tallest row, as 排名's does: else no page could hold it with the table
    assume(sum(map(stored_height, head + foot + rows[:1] + sorted(rows)[-1:])) <= room)
    starts = page_starts(rows, foot, head=head, repeated=repeated, room=room, keep=keep)
    assert starts == sorted(set(starts)) and all(0 < n < len(rows) for n in starts)
    pages = _pages(rows, starts)
    tops = [head] + [repeated] * (len(pages) - 1)
    used = [sum(map(stored_height, top + page)) for top, page in zip(tops, pages, strict=True)]
    assert all(u <= room for u, page in zip(used, pages, strict=True) if len(page) > 1)
    last = used[-1] + sum(map(stored_height, foot))
    assert last <= room  # the foot on one page with the table's end
    # the last `keep` rows go with it where they fit (on page 1 when they are the whole table)
    wanted = min(keep, len(rows))
    top = head if wanted == len(rows) else repeated
    if sum(map(stored_height, top + rows[len(rows) - wanted :] + foot)) <= room:
        assert len(pages[-1]) >= wanted


def test_cell_formats_are_those_write_values_gives_in_column_order(tmp_path):
    from datetime import datetime as moment

    wb = styles.Workbook(str(tmp_path / "f.xlsx"))
    text, number, date, blank = (wb.add_format({"font_size": n}) for n in (9, 10, 11, 12))
    row = ["a", 1, None, moment(2026, 1, 1), 2.5, None]
    n = len(row)
    assert list(styles.cell_formats(row, [text] * n, [number] * n, [date] * n)) == [
        text,
        number,
        date,
        number,
    ]
    blanks = [None, None, blank, None, None, None]
    assert list(styles.cell_formats(row, [text] * n, [number] * n, [date] * n, blanks)) == [
        text,
        number,
        blank,
        date,
        number,
    ]
    wb.close()
