"""Golden ranking workbooks: what `kjjr rank` writes from the shipped sample inputs, compared with the
workbooks committed under tests/golden/, XlsxWriter-style (its test suite compares against files Excel
wrote, with the volatile parts masked).

Both files are read back (openpyxl for the sheets, the zip's chart and drawing parts as XML) into a plain
summary: sheet names and order, visibility, every cell's value and number format and the style a reader
sees, merged ranges, conditional formats, print set-up (orientation, paper, fit to pages, margins, print
titles and area, header and footer, page breaks), column widths, row heights, frozen panes, filters, the
charts. The summaries must be equal, so a library upgrade that only reorders XML passes and any change of
content fails. The run time is fixed, the inputs are named relative to the folder a case runs in, and the
tool's version is masked.

An intentional change of the workbook: regenerate, look at the diff of the summaries, commit the files:

    KJJR_REGENERATE_GOLDEN=1 python -m pytest tests/test_golden.py
    (or: python tests/test_golden.py)
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import shutil
import sys
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
import pytest

from kjjr_excel import __version__
from kjjr_excel.app import run_rank
from kjjr_excel.domain.scheme import load_scheme
from kjjr_excel.write.ranking import write_ranking

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_inputs"
GOLDEN = Path(__file__).resolve().parent / "golden"
RUN_TIME = datetime(2026, 1, 15, 9, 30, 0)
REGENERATE = os.environ.get("KJJR_REGENERATE_GOLDEN") == "1"


@dataclass(frozen=True)
class Case:
    name: str  # the golden file's stem
    scheme: str
    history: str | None = None  # the case whose workbook is this one's history (历年结果, 摘牌)


CASES = (
    Case("guangdong_2019", "guangdong"),
    Case("qingdao_2017", "qingdao"),
    Case("qingdao_2018", "qingdao", history="qingdao_2017"),
)


def write_case(case: Case, out_dir: Path) -> Path:
    """The case's ranking workbook, written by today's code from a copy of sample_inputs in out_dir. The
    inputs are named relative to out_dir, so 说明 lists them (and sizes their rows) the same wherever the
    test runs."""
    if not (out_dir / "sample_inputs").is_dir():
        shutil.copytree(SAMPLES, out_dir / "sample_inputs")
    scheme = load_scheme(case.scheme)
    base = Path("sample_inputs") / case.scheme
    with contextlib.chdir(out_dir):
        if case.scheme == "guangdong":
            reviews = sorted((base / "reviews").glob("*.xlsx"))
            result = run_rank(scheme, [base / "inbox"], assessments=reviews)
        elif case.history is None:
            result = run_rank(
                scheme,
                [base / "inbox"],
                roster_path=base / "名录.csv",
                assessments=[base / "考核评价表.xlsx"],
            )
        else:
            if not Path(f"{case.history}.xlsx").is_file():
                write_case(next(c for c in CASES if c.name == case.history), out_dir)
            year = scheme.year + 1
            result = run_rank(
                scheme,
                [base / f"inbox_{year}"],
                roster_path=base / "名录.csv",
                history=[Path(f"{case.history}.xlsx")],
                year=year,
            )
        return write_ranking(result, Path(f"{case.name}.xlsx"), run_time=RUN_TIME).resolve()


# ---------------------------------------------------------------------------------------------- summary


def masker():
    """Replace what may differ from run to run in a text: the tool's version. (The run time is fixed, the
    inputs are named relative to the folder the case runs in.)"""
    pairs = [(f"kjjr-excel {__version__}", "kjjr-excel <version>")]

    def mask(value):
        if isinstance(value, str):
            for old, new in pairs:
                value = value.replace(old, new)
        return value

    return mask


def _style(cell) -> tuple:
    f, a = cell.font, cell.alignment
    fill = cell.fill.fgColor.rgb if cell.fill and cell.fill.fill_type else None
    border = tuple(getattr(cell.border, side).style for side in ("left", "right", "top", "bottom"))
    return (
        f.name,
        f.sz,
        f.b,
        f.i,
        f.u,
        f.color.rgb if f.color is not None else None,
        fill,
        border,
        a.horizontal,
        a.vertical,
        a.wrap_text,
    )


def _print_setup(ws) -> dict:
    ps, m, hf = ws.page_setup, ws.page_margins, ws.oddHeader
    props = ws.sheet_properties.pageSetUpPr
    return {
        "orientation": ps.orientation,
        "paper": ps.paperSize,
        "fit_to_page": props.fitToPage if props is not None else None,
        "fit": (ps.fitToWidth, ps.fitToHeight),  # as written: styles.Workbook states a 1 too
        "scale": ps.scale,
        "margins": (m.left, m.right, m.top, m.bottom, m.header, m.footer),
        "centered": (ws.print_options.horizontalCentered, ws.print_options.verticalCentered),
        "titles": (ws.print_title_rows, ws.print_title_cols),
        "area": ws.print_area,
        "header": (hf.left.text, hf.center.text, hf.right.text),
        "footer": (ws.oddFooter.left.text, ws.oddFooter.center.text, ws.oddFooter.right.text),
        "row_breaks": [b.id for b in ws.row_breaks.brk],
        "col_breaks": [b.id for b in ws.col_breaks.brk],
    }


def _conditional(ws) -> list:
    out = []
    for cf in ws.conditional_formatting:
        for rule in cf.rules:
            dxf = rule.dxf
            font = (dxf.font.b, dxf.font.i, dxf.font.u, dxf.font.color.rgb if dxf.font.color else None)
            fill = dxf.fill.bgColor.rgb if dxf.fill is not None and dxf.fill.bgColor is not None else None
            out.append((str(cf.sqref), rule.type, rule.operator, tuple(rule.formula), font, fill))
    return sorted(out)


def sheet_summary(ws, mask) -> dict:
    cells = {}
    for row in ws.iter_rows():
        for c in row:
            if c.value is None and not c.has_style:
                continue
            cells[c.coordinate] = (mask(c.value), c.data_type, c.number_format, _style(c))
    return {
        "state": ws.sheet_state,
        "cells": cells,
        "merged": sorted(str(r) for r in ws.merged_cells.ranges),
        "conditional": _conditional(ws),
        "print": _print_setup(ws),
        "columns": sorted(
            (k, d.min, d.max, d.width, d.hidden) for k, d in ws.column_dimensions.items() if d.customWidth
        ),
        # heights in screen pixels (96 dpi, 0.75 pt each), as Excel shows them: XlsxWriter 3.2 writes 35 pt
        # as given, 3.3 as the 35.25 pt of its 47 pixels
        "rows": sorted(
            (k, round(d.height * 4 / 3), d.hidden) for k, d in ws.row_dimensions.items() if d.customHeight
        ),
        "freeze": ws.freeze_panes,
        "filter": ws.auto_filter.ref,
        "active": ws.parent.active.title == ws.title,
    }


def _flat_xml(data: bytes) -> list[tuple]:
    """Every element of an XML part as (path of tags, attributes, text), sorted: equal for the same content
    written in another order."""
    out = []

    def walk(el, path):
        here = f"{path}/{el.tag.rsplit('}', 1)[-1]}"
        out.append((here, tuple(sorted(el.attrib.items())), (el.text or "").strip()))
        for child in el:
            walk(child, here)

    walk(ElementTree.fromstring(data), "")
    return sorted(out)


def _drawings(path: Path) -> dict[str, list]:
    """The chart and drawing parts (openpyxl does not read charts back), by their place in the package."""
    with zipfile.ZipFile(path) as zf:
        return {
            name: _flat_xml(zf.read(name))
            for name in sorted(zf.namelist())
            if posixpath.dirname(name) in ("xl/charts", "xl/drawings") and name.endswith(".xml")
        }


def summary(path: Path, mask) -> dict:
    wb = openpyxl.load_workbook(path)
    props = wb.properties
    return {
        "sheets": wb.sheetnames,
        "properties": (props.title, props.subject, props.creator, mask(props.description), props.created),
        "by_sheet": {ws.title: sheet_summary(ws, mask) for ws in wb.worksheets},
        "drawings": _drawings(path),
    }


# ---------------------------------------------------------------------------------------------- tests


def regenerate(out_dir: Path) -> None:
    GOLDEN.mkdir(exist_ok=True)
    for case in CASES:
        shutil.copyfile(write_case(case, out_dir), GOLDEN / f"{case.name}.xlsx")


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("golden")
    if REGENERATE:
        regenerate(out)
    for case in CASES:
        if not (out / f"{case.name}.xlsx").is_file():
            write_case(case, out)
    return out


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_ranking_workbook_matches_golden(case: Case, written: Path) -> None:
    golden = GOLDEN / f"{case.name}.xlsx"
    assert golden.is_file(), f"missing {golden}: regenerate (see this module's docstring)"
    mask = masker()
    expected, actual = summary(golden, mask), summary(written / f"{case.name}.xlsx", mask)
    assert actual["sheets"] == expected["sheets"]
    assert actual["properties"] == expected["properties"]
    for name in expected["sheets"]:
        for part, value in expected["by_sheet"][name].items():
            assert actual["by_sheet"][name][part] == value, f"{case.name}: sheet {name}: {part} differs"
    assert actual["drawings"] == expected["drawings"]


def test_summary_sees_a_changed_cell_and_print_setting(written: Path, tmp_path: Path) -> None:
    """The comparison is not vacuous: one cell's value, one number format, one page setting changed."""
    mask = masker()
    original = written / "qingdao_2017.xlsx"
    before = summary(original, mask)
    for change in ("value", "format", "landscape"):
        wb = openpyxl.load_workbook(original)
        ws = wb["排名"]
        if change == "value":
            ws["F3"] = 1.0 if ws["F3"].value != 1.0 else 2.0
        elif change == "format":
            ws["F3"].number_format = "0.000"
        else:
            ws.page_setup.orientation = "portrait"
        wb.save(tmp_path / f"{change}.xlsx")
        after = summary(tmp_path / f"{change}.xlsx", mask)
        assert after["by_sheet"]["排名"] != before["by_sheet"]["排名"], change


def test_run_time_is_in_the_workbook_and_fixed_here(written: Path) -> None:
    wb = openpyxl.load_workbook(written / "guangdong_2019.xlsx")
    shown = [row[1].value for row in wb["说明"].iter_rows() if row[0].value == "运行时间"]
    assert shown == [RUN_TIME.strftime("%Y-%m-%d %H:%M:%S")]
    # no path of this machine in the workbook: the inputs are named as given, relative
    assert "sample_inputs/guangdong/inbox；" in str(summary(written / "guangdong_2019.xlsx", masker()))
    assert str(written) not in str(summary(written / "guangdong_2019.xlsx", masker()))


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as work:
        regenerate(Path(work))
    print(f"regenerated {len(CASES)} golden workbooks in {GOLDEN}", file=sys.stderr)
