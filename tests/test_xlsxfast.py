"""kjjr_excel.write.xlsxfast against the plain path: the same workbooks written both ways are equal part for
part, unzipped, byte for byte; an XlsxWriter version it is not tested with gets the plain path."""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from test_golden import CASES, write_case
from xlsxwriter.worksheet import Worksheet

from kjjr_excel.domain.scheme import load_scheme
from kjjr_excel.read import batch
from kjjr_excel.write import styles, xlsxfast
from kjjr_excel.write.template import write_assessment, write_submission

pytestmark = pytest.mark.skipif(
    not xlsxfast.ENABLED,
    reason=f"XlsxWriter {importlib.metadata.version('XlsxWriter')} takes the plain path only",
)


def _parts(path: Path) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(path) as zf:
        return [(info.filename, zf.read(info)) for info in zf.infolist()]


def _both_ways(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, write) -> tuple[list, list]:
    fast = write(tmp_path / "fast")
    with monkeypatch.context() as m:
        m.setattr(xlsxfast, "ENABLED", False)
        plain = write(tmp_path / "plain")
    return fast, plain


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_ranking_workbooks_are_the_same_both_ways(
    case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def write(folder: Path) -> list:
        folder.mkdir()
        return _parts(write_case(case, folder))

    fast, plain = _both_ways(tmp_path, monkeypatch, write)
    assert [name for name, _ in fast] == [name for name, _ in plain]
    assert [name for (name, data), (_, other) in zip(fast, plain, strict=True) if data != other] == []
    assert any(b'fitToWidth="1"' in data for name, data in fast if name.startswith("xl/worksheets/"))


@pytest.mark.parametrize("scheme_id", ["guangdong", "qingdao"])
def test_templates_are_the_same_both_ways(
    scheme_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scheme = load_scheme(scheme_id)

    def write(folder: Path) -> list:
        folder.mkdir()
        paths = [
            write_submission(folder / "blank.xlsx", scheme),
            write_submission(
                folder / "center.xlsx", scheme, center=scheme.roster[0] if scheme.roster else None
            ),
            write_assessment(folder / "assessment.xlsx", scheme, roster=scheme.roster),
        ]
        return [(p.name, _parts(p)) for p in paths]

    fast, plain = _both_ways(tmp_path, monkeypatch, write)
    assert len(fast) == 3 and fast == plain


def test_an_untested_version_takes_the_plain_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert not xlsxfast.enabled_for("3.1.0") and not xlsxfast.enabled_for("99.0")
    assert xlsxfast.enabled_for(importlib.metadata.version("XlsxWriter"))  # else this module is skipped
    monkeypatch.setattr(xlsxfast, "ENABLED", xlsxfast.enabled_for("3.1.0"))
    wb = styles.Workbook(str(tmp_path / "plain.xlsx"))
    assert type(wb) is styles.Workbook and type(wb.add_worksheet()) is Worksheet
    wb.close()
    monkeypatch.setattr(xlsxfast, "ENABLED", True)
    wb = styles.Workbook(str(tmp_path / "fast.xlsx"))
    assert isinstance(wb, styles.Workbook) and isinstance(wb, xlsxfast.FastWorkbook)
    assert type(wb.add_worksheet()) is xlsxfast.FastWorksheet
    wb.close()


# Cells XlsxWriter writes in a way of its own: control characters, its _xHHHH_ escapes, a non-character,
# XML's specials, leading and trailing white space, a rich string, an empty text; numbers at the edges of
# %.16G; dates; blanks with and without a format
ODD_TEXTS = [
    "plain",
    "中文 名称",
    "a\x01b",
    "_x0041_",
    "x\ufffey",
    "a & b < c > d",
    ' "quoted" ',
    " lead",
    "trail ",
    "line\nbreak",
    "<r><t>rich</t></r>",
    "",
    "\t",
]
ODD_NUMBERS = [0, -0.0, 1, 1.5, 1e-300, 1e300, 123456789012345678, 2**53 + 1, 0.1 + 0.2, -7]


def _odd_rows() -> list[list]:
    rows: list[list] = []
    when = datetime(2026, 12, 1, 9, 30, 15)
    for n, text in enumerate(ODD_TEXTS):
        number = ODD_NUMBERS[n % len(ODD_NUMBERS)]
        rows.append([text, number, None, when if n % 3 == 0 else date(2020, 1, n + 1), text, None])
    rows.append([None] * 6)  # an empty row
    rows.append([float("nan"), 1, "x", None, None, None])  # write_number refuses NaN: taken the public way
    rows.append(["x" * 20_000, 2, None, None, None, "y"])  # a long text: the public way
    rows.append([Decimal("1.5"), "odd type", None, None, None, None])  # neither text nor number: public
    return rows


def _write_odd(path: Path, constant_memory: bool) -> Path:
    wb = styles.Workbook(str(path), {"constant_memory": constant_memory, "nan_inf_to_errors": True})
    wb.set_properties({"created": datetime(2026, 12, 1, 9, 0, 0)})  # both ways the same, whatever the clock
    ws = wb.add_worksheet("cells")
    text, number, when, blank = (wb.add_format({"num_format": f}) for f in ("@", "0.00", "yyyy-mm-dd", "0"))
    other = wb.add_format({"bold": True})  # first used by a later row: style indexes follow first use
    ws.write_string(0, 0, "header")
    for n, values in enumerate(_odd_rows(), start=1):
        if n % 2:
            ws.set_row(n, 30)
        texts = [other if n == 5 and c == 4 else text for c in range(6)]
        blanks = [blank if n % 4 == 0 else None] * 6
        # the plain path's write_datetime refuses a Decimal, and so does the fast one, which hands it over
        with contextlib.suppress(TypeError):
            styles.write_values(ws, n, values, texts, [number] * 6, [when] * 6, blanks)
        if n == 7:  # a public write into a row write_values took: XlsxWriter merges the two
            ws.write_string(n, 7, "public", text)
    ws.set_row(len(_odd_rows()) + 2, 40)  # a row with a height only, after the last row of values
    wb.close()
    return path


@pytest.mark.parametrize("constant_memory", [True, False])
def test_rows_of_odd_values_are_the_same_both_ways(
    constant_memory: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast, plain = _both_ways(
        tmp_path, monkeypatch, lambda d: _parts(_write_odd(d.with_suffix(".xlsx"), constant_memory))
    )
    assert [name for (name, data), (_, other) in zip(fast, plain, strict=True) if data != other] == []
    sheet = b"".join(data for _, data in fast)  # without constant_memory the texts are shared strings
    assert b"_x0001_" in sheet and b"_x005F_x0041_" in sheet and b"&amp;" in sheet  # the odd ones are there
    assert b"public" in sheet and b"#NUM!" in sheet


def test_a_fast_sheet_takes_plain_rows_in_one_pass(tmp_path: Path) -> None:
    wb = styles.Workbook(str(tmp_path / "fast.xlsx"), {"constant_memory": True})
    ws = wb.add_worksheet()
    fmt = wb.add_format()
    assert ws.write_values(1, ["a", 1.0, None], [fmt] * 3, [fmt] * 3, [fmt] * 3)  # one pass
    assert not ws.write_values(1, ["again"], [fmt], [fmt], [fmt])  # the same row twice: the public way
    assert not ws.write_values(0, ["above"], [fmt], [fmt], [fmt])  # above a row already written
    assert not ws.write_values(2, [float("inf")], [fmt], [fmt], [fmt])
    wb.close()


# ---------------------------------------------------------------------------------------------- rows apart


@pytest.fixture
def apart_always(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """RowsApart hands over every sheet it is given, with a core to spare; the list records, for each
    fork_call, whether a child was started."""
    started: list[bool] = []
    real = batch.fork_call

    def counting(fn):
        child = real(fn)
        started.append(child is not None)
        return child

    monkeypatch.setattr(batch, "fork_call", counting)
    monkeypatch.setattr(batch, "default_jobs", lambda: 2)
    monkeypatch.setattr(xlsxfast.RowsApart, "MIN_ROWS", 0)
    return started


def _children_used(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """For each handed-over sheet, in turn: whether its child's rows were used (False: written here)."""
    used: list[bool] = []
    real_finish = xlsxfast.RowsApart.finish

    def finish(self):
        for *_, child in self.pending:  # a child answers once: what it sent is kept for finish to use
            answer = child.result()
            used.append(answer is not None)
            child.result = lambda answer=answer: answer
        real_finish(self)

    monkeypatch.setattr(xlsxfast.RowsApart, "finish", finish)
    return used


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_rows_written_in_a_child_are_the_same_as_the_plain_path(
    case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, apart_always: list[bool]
) -> None:
    def write(folder: Path) -> list:
        folder.mkdir()
        return _parts(write_case(case, folder))

    used = _children_used(monkeypatch)
    fast, plain = _both_ways(tmp_path, monkeypatch, write)
    assert apart_always and all(
        apart_always
    )  # 得分明细 and 原始数据 went to children (never on the plain path)
    assert used == [True] * len(apart_always)  # and their rows were used
    assert [name for (name, data), (_, other) in zip(fast, plain, strict=True) if data != other] == []


def test_only_the_first_rows_are_built_here_before_the_hand_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, apart_always: list[bool]
) -> None:
    # the formats of 得分明细's rows are met in its first row or two: the rest are built in the child. Its rows
    # hold no date, and while a date's format was looked for, every row was built here before the fork
    from kjjr_excel.write import ranking

    built_here: list[int] = []
    real_rows = ranking._detail_rows
    parent = os.getpid()

    def counted(result):
        for row in real_rows(result):
            if os.getpid() == parent:
                built_here.append(1)
            yield row

    monkeypatch.setattr(ranking, "_detail_rows", counted)
    used = _children_used(monkeypatch)
    write_case(CASES[1], tmp_path)  # Qingdao: 12 centers
    assert apart_always[0] and used[0]
    assert 1 <= len(built_here) <= 2


def test_a_child_that_fails_leaves_its_rows_to_this_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, apart_always: list[bool]
) -> None:
    case = CASES[0]

    def broken(*args):
        raise RuntimeError("a child that fails")

    def write(folder: Path) -> list:
        folder.mkdir()
        return _parts(write_case(case, folder))

    monkeypatch.setattr(xlsxfast, "_rows_xml", broken)
    fast, plain = _both_ways(tmp_path, monkeypatch, write)
    assert apart_always == [True, True]  # 得分明细, 原始数据
    assert [name for (name, data), (_, other) in zip(fast, plain, strict=True) if data != other] == []


def _sheet_with_rows(path: Path, jobs: int | None, *, told: bool = False) -> Path:
    """A header, then 30 rows in formats no cell used before (their style indexes are given by the rows);
    told: RowsApart is told the formats the rows use."""
    wb = styles.Workbook(str(path), {"constant_memory": True})
    wb.set_properties({"created": datetime(2026, 12, 1, 9, 0, 0)})
    header, fresh = wb.add_format({"bold": True}), wb.add_format({"italic": True})
    number = wb.add_format({"italic": True, "num_format": "0.0"})
    ws = wb.add_worksheet("rows")
    ws.write_string(0, 0, "header", header)
    apart = xlsxfast.RowsApart(wb, jobs)
    values = [[f"row {n}", n * 1.5] for n in range(1, 31)]
    texts, numbers = [fresh] * 2, [number] * 2

    def rows() -> int:
        for n, row in enumerate(values, 1):
            styles.write_values(ws, n, row, texts, numbers, numbers)
        return 30

    def uses():
        for row in values:
            yield from styles.cell_formats(row, texts, numbers, numbers)

    apart.start(ws, 30, rows, lambda last: ws.autofilter(0, 0, last, 1), uses if told else None)
    ws2 = wb.add_worksheet("after")
    ws2.write_string(0, 0, "after", wb.add_format({"underline": True}))
    apart.finish()
    wb.close()
    return path


def test_a_child_that_would_give_a_style_index_leaves_its_rows_here(
    tmp_path: Path, apart_always: list[bool]
) -> None:
    here = openpyxl_rows(_sheet_with_rows(tmp_path / "apart.xlsx", jobs=2))
    assert apart_always == [True]
    assert here == openpyxl_rows(_sheet_with_rows(tmp_path / "one.xlsx", jobs=1))
    assert apart_always == [True]  # --jobs 1: no child
    assert here["rows"][0] == (("header", True, False, None), (None, False, False, None))
    assert here["rows"][30] == (("row 30", False, True, None), (45.0, False, True, None))
    assert here["after"] == [(("after", False, False, "single"),)]


def test_a_child_told_the_formats_of_its_rows_writes_them_as_this_process_would(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, apart_always: list[bool]
) -> None:
    """The rows' new formats are given their indexes here before the fork, in the order the rows use them:
    the child's rows are used, and the file is the one --jobs 1 writes, byte for byte."""
    used = _children_used(monkeypatch)
    apart = _parts(_sheet_with_rows(tmp_path / "apart.xlsx", jobs=2, told=True))
    assert apart_always == [True] and used == [True]
    assert apart == _parts(_sheet_with_rows(tmp_path / "one.xlsx", jobs=1))
    _sheet_with_rows(tmp_path / "untold.xlsx", jobs=2)
    assert used == [True, False]  # not told: the child gave indexes, and sent nothing back


def openpyxl_rows(path: Path) -> dict[str, list[tuple]]:
    import openpyxl

    wb = openpyxl.load_workbook(path)
    return {
        ws.title: [tuple((c.value, c.font.b, c.font.i, c.font.u) for c in row) for row in ws.iter_rows()]
        for ws in wb.worksheets
    }
