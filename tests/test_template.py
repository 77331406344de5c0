"""Templates: structure (openpyxl), determinism, the committed files, and LibreOffice round trips."""

from __future__ import annotations

import multiprocessing
import re
import shutil
import subprocess
import zipfile
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import openpyxl
import pytest
from openpyxl.cell.cell import MergedCell
from openpyxl.utils.cell import range_boundaries
from python_calamine import CalamineWorkbook

from kjjr_excel import TEMPLATE_VERSION
from kjjr_excel.domain.layout import META_KEYS, layout
from kjjr_excel.domain.parse import a1, round_half_up
from kjjr_excel.domain.rank import grade_for
from kjjr_excel.domain.scheme import RosterEntry, load_scheme
from kjjr_excel.domain.score import score_rule
from kjjr_excel.write.output import file_name
from kjjr_excel.write.template import (
    REVIEWER_NAME,
    generate,
    regenerate_committed,
    write_assessment,
    write_submission,
)

ROOT = Path(__file__).resolve().parents[1]
QD = load_scheme("qingdao-2017")
GD = load_scheme("guangdong-2019")
SCHEMES = {"qingdao": QD, "guangdong": GD}
SOFFICE = shutil.which("soffice")
needs_lo = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")


def dv_cells(ws) -> dict[tuple[int, int], object]:
    """(row, col) 1-based -> the data validation covering it."""
    out = {}
    for dv in ws.data_validations.dataValidation:
        for rng in str(dv.sqref).split():
            c1, r1, c2, r2 = range_boundaries(rng)
            for r in range(r1, r2 + 1):
                for c in range(c1, c2 + 1):
                    out[(r, c)] = dv
    return out


def unlocked_cells(ws) -> set[tuple[int, int]]:
    return {
        (cell.row, cell.column)
        for row in ws.iter_rows()
        for cell in row
        if not isinstance(cell, MergedCell) and not cell.protection.locked
    }


def meta(wb) -> dict[str, str]:
    rows = list(wb["_meta"].iter_rows(values_only=True))
    assert rows[0] == ("key", "value")
    return {k: v for k, v in rows[1:]}


@pytest.fixture(params=sorted(SCHEMES))
def scheme(request):
    return SCHEMES[request.param]


# ---------------------------------------------------------------------------------------------- submission


def test_submission_sheets_meta_and_active(tmp_path, scheme):
    path = write_submission(tmp_path / "blank.xlsx", scheme)
    wb = openpyxl.load_workbook(path)
    lay = layout(scheme)
    assert wb.sheetnames == ["填报说明", lay.sheet, "_meta"]
    assert wb.active.title == lay.sheet
    assert wb["_meta"].sheet_state == "veryHidden"
    m = meta(wb)
    assert tuple(m) == META_KEYS
    assert m == {
        "scheme_id": scheme.id,
        "scheme_version": scheme.version,
        "year": str(scheme.year),
        "center_code": "",
        "template_version": TEMPLATE_VERSION,
        "fingerprint": lay.fingerprint,
        "kind": "submission",
    }
    ws = wb[lay.sheet]
    assert ws["A1"].value.startswith(
        "青岛市科技金融服务分中心考核指标（2017年度）" if scheme is QD else "地市分中心评估数据统计表"
    )
    assert [ws.cell(lay.table_header_row + 1, c + 1).value for c in range(lay.width)] == list(lay.columns)


def test_defined_names_point_at_layout_cells(tmp_path, scheme):
    wb = openpyxl.load_workbook(write_submission(tmp_path / "blank.xlsx", scheme))
    lay = layout(scheme)
    expected = {i.id: lay.value_cell(i.id) for i in scheme.self_indicators}
    expected.update({f: lay.header_cell(f) for f in lay.header_rows})
    names = {name: dn.attr_text for name, dn in wb.defined_names.items()}
    assert set(names) == set(expected)
    for name, cell in expected.items():
        col, row = re.fullmatch(r"([A-Z]+)(\d+)", cell).groups()
        assert names[name] == f"'{lay.sheet}'!${col}${row}"
    if scheme is QD:
        assert names["enterprise_info"] == "'考核指标'!$F$12"


@pytest.mark.parametrize("with_center", [False, True])
def test_only_inputs_unlocked_and_each_validated(tmp_path, scheme, with_center):
    center = RosterEntry("X01", "测试分中心", "测试依托单位") if with_center else None
    wb = openpyxl.load_workbook(write_submission(tmp_path / "t.xlsx", scheme, center=center))
    lay = layout(scheme)
    ws = wb[lay.sheet]
    expected = {(r + 1, lay.value_col + 1) for r in lay.rows.values()}
    fixed = {"report_year"} | ({"center_name", "center_code", "host_unit"} if with_center else set())
    expected |= {(r + 1, lay.header_value_col + 1) for f, r in lay.header_rows.items() if f not in fixed}
    assert unlocked_cells(ws) == expected
    dvs = dv_cells(ws)
    for cell in expected:
        assert cell in dvs, f"no validation on {a1(cell[0] - 1, cell[1] - 1)}"
        dv = dvs[cell]
        assert dv.showErrorMessage and dv.error and dv.errorTitle
        assert re.search(r"[\u4e00-\u9fff]", dv.error)
    for ind in scheme.self_indicators:
        dv = dvs[(lay.rows[ind.id] + 1, lay.value_col + 1)]
        assert dv.type == {"integer": "whole", "decimal": "decimal", "bool": "list"}[ind.type]
        assert dv.prompt and dv.promptTitle
        assert float(dv.formula1) == float(ind.min)
        if ind.max is not None:
            assert dv.operator in (None, "between") and float(dv.formula2) == float(ind.max)
    if scheme is QD:
        assert dvs[(lay.rows["monthly_reports"] + 1, lay.value_col + 1)].error.startswith(
            "请填写0至12之间的整数"
        )
        assert dvs[(lay.rows["enterprise_info"] + 1, lay.value_col + 1)].error.startswith("请填写0或正整数")
    # the assessor rows are shown but never editable
    for r in lay.assessor_rows.values():
        cell = ws.cell(r + 1, lay.value_col + 1)
        assert cell.value == "（考核方填写）" and cell.protection.locked
    date_cell = (lay.header_rows["fill_date"] + 1, lay.header_value_col + 1)
    assert dvs[date_cell].type == "date"


def test_protection_print_and_fonts(tmp_path, scheme):
    wb = openpyxl.load_workbook(write_submission(tmp_path / "t.xlsx", scheme))
    lay = layout(scheme)
    for name in ("填报说明", lay.sheet):
        ws = wb[name]
        assert ws.protection.sheet is True
        assert not ws.protection.password
        assert str(ws.page_setup.paperSize) == "9"
        assert ws.page_setup.fitToWidth in (1, "1", None)  # None means the default, 1
        assert ws.sheet_properties.pageSetUpPr.fitToPage
    ws = wb[lay.sheet]
    assert ws.page_setup.orientation == "portrait"
    assert ws.page_setup.fitToHeight in (1, "1", None)  # None means the default, 1 page tall
    assert str(wb["填报说明"].page_setup.fitToHeight) == "0"
    assert ws.print_title_rows == f"${lay.table_header_row + 1}:${lay.table_header_row + 1}"
    assert ws["A1"].font.name == "黑体"
    first = min(lay.rows.values()) + 1
    assert ws.cell(first, lay.label_col + 1).font.name == "宋体"
    assert ws.cell(lay.table_header_row + 1, 1).font.name == "黑体"


def test_a_roster_without_the_host_unit_leaves_it_for_the_clerk(tmp_path, scheme):
    """A roster with no 依托单位 column: the per-center form locks the name and code, and leaves 依托单位 open
    (validated) for the clerk, not locked and empty."""
    wb = openpyxl.load_workbook(
        write_submission(tmp_path / "t.xlsx", scheme, center=RosterEntry("X01", "测试"))
    )
    lay = layout(scheme)
    ws = wb[lay.sheet]
    host = (lay.header_rows["host_unit"] + 1, lay.header_value_col + 1)
    assert host in unlocked_cells(ws) and host in dv_cells(ws)
    assert ws[lay.header_cell("center_name")].protection.locked


def test_center_is_locked_and_text_stays_text(tmp_path):
    center = RosterEntry("QD01", '=HYPERLINK("http://x","点我")', "+1-2")
    path = write_submission(tmp_path / "c.xlsx", QD, center=center, year=2018)
    wb = openpyxl.load_workbook(path)
    lay = layout(QD)
    ws = wb[lay.sheet]
    name = ws[lay.header_cell("center_name")]
    assert name.value == center.name and name.data_type == "s" and name.protection.locked
    assert ws[lay.header_cell("host_unit")].value == "+1-2"
    assert ws[lay.header_cell("report_year")].value == 2018
    assert ws["A1"].value == "青岛市科技金融服务分中心考核指标（2018年度）"
    assert meta(wb)["center_code"] == "QD01" and meta(wb)["year"] == "2018"


def test_prefilled_values_and_cached_preview(tmp_path):
    """Pre-filled values are written as typed, and the preview's cached results equal the Python scoring."""
    values = {
        "enterprise_info": 35,
        "financing_needs": "１２０条",
        "monthly_reports": 12,
        "finance_events": 30,
    }
    header = {"filler_name": "=张三", "fill_date": "2018-01-05"}
    path = write_submission(tmp_path / "v.xlsx", QD, values=values, header=header)
    lay = layout(QD)
    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(lay.sheet).to_python()
    col, score_col = lay.value_col, lay.columns.index("预计得分")
    assert sheet[lay.rows["enterprise_info"]][col] == 35
    assert sheet[lay.rows["financing_needs"]][col] == "１２０条"
    assert sheet[lay.header_rows["filler_name"]][lay.header_value_col] == "=张三"
    assert sheet[lay.rows["enterprise_info"]][score_col] == 6.25
    assert sheet[lay.rows["financing_needs"]][score_col] == "请填数字"
    assert sheet[lay.rows["finance_events"]][score_col] == 25  # clamped at the maximum
    assert sheet[lay.rows["policies_implemented"]][score_col] == ""
    total_row = lay.last_indicator_row + 1
    assert sheet[total_row][score_col] == 6.25 + 6 + 25 + 10  # + 工作落实 previewed at 10
    assert sheet[total_row + 1][score_col] == "填完后显示"  # no grade before the form is complete
    # 3 indicators blank, "１２０条" is text the preview cannot use (not filled in), 4 header fields blank
    assert sheet[total_row + 2][score_col] == "还有 8 项未填写"


def test_guangdong_hints_from_checks(tmp_path):
    lay = layout(GD)
    path = write_submission(tmp_path / "g.xlsx", GD, values={"loan_amount": 1_000_000, "loan_projects": 2})
    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(lay.sheet).to_python()
    tail = sheet[lay.last_indicator_row + 1 :]
    labels = [row[0] for row in tail]
    assert labels[0] == "填报进度"
    assert sum(1 for t in labels if t.startswith("核对：")) == len(GD.checks)
    ratio_row = next(r for r in tail if r[0] == "核对：平均每项撮合贷款金额（万元）")
    assert ratio_row[lay.value_col] == 500000
    assert "请核对" in ratio_row[-1]
    wb = openpyxl.load_workbook(path)
    ws = wb[lay.sheet]
    formulas = [
        c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith("=")
    ]
    assert any("<1" in f and ">50000" in f for f in formulas)
    assert not any(i.id in f for f in formulas for i in GD.indicators)  # cell references, never ids


# ---------------------------------------------------------------------------------------------- assessment


def test_qingdao_assessment_blank_and_with_roster(tmp_path):
    wb = openpyxl.load_workbook(write_assessment(tmp_path / "a.xlsx", QD))
    assert wb.sheetnames == ["填报说明", "考核评价", "_meta"]
    assert meta(wb)["kind"] == "assessment"
    ws = wb["考核评价"]
    assert ws["A1"].value == "青岛市科技金融服务分中心考核评价表（2017年度）"  # 考核 said once
    headers = [c.value for c in ws[2]]
    verified = ["核定数：" + i.label for i in QD.self_indicators if i.verifiable]
    assert headers == [
        "编号",
        "名称",
        "依托单位",
        "较大失误次数",
        "重大责任事故",
        "重大贡献认定分",
        *verified,
        "备注",
    ]
    assert ws.max_row == 2 + 20
    unlocked = unlocked_cells(ws)
    assert unlocked == {(r, c) for r in range(3, 23) for c in range(1, len(headers) + 1)}
    dvs = dv_cells(ws)
    assert all(cell in dvs for cell in unlocked)
    assert dvs[(3, 4)].type == "whole" and float(dvs[(3, 4)].formula1) == 0
    assert dvs[(3, 5)].type == "list" and dvs[(3, 5)].formula1 == '"是,否"'
    assert dvs[(3, 6)].type == "decimal" and (float(dvs[(3, 6)].formula1), float(dvs[(3, 6)].formula2)) == (
        0,
        10,
    )
    assert str(ws.page_setup.paperSize) == "9" and ws.page_setup.orientation == "landscape"
    assert ws.print_title_rows == "$2:$2"

    roster = [RosterEntry("QD01", "市南区分中心", "市南区科技局"), RosterEntry("QD02", "=1+1", "崂山区")]
    rows = {
        "QD02": {"major_errors": 2, "major_accident": True},
        "QD99": {"name": "未列入", "major_errors": 1},
    }
    wb = openpyxl.load_workbook(write_assessment(tmp_path / "b.xlsx", QD, roster=roster, rows=rows))
    ws = wb["考核评价"]
    assert [c.value for c in ws[3]][:3] == ["QD01", "市南区分中心", "市南区科技局"]
    assert ws["B4"].value == "=1+1" and ws["B4"].data_type == "s" and ws["B4"].protection.locked
    assert ws["D4"].value == 2 and ws["E4"].value == "是"
    assert ws["A5"].value == "QD99" and not ws["A5"].protection.locked and ws["D5"].value == 1
    assert ws.max_row == 5


def test_guangdong_review_sheet(tmp_path):
    path = write_assessment(tmp_path / "r.xlsx", GD, rows={"GD01": {"operations": 25, "highlights": 30.5}})
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["填报说明", "定性评分", "_meta"]
    assert meta(wb)["kind"] == "review"
    ws = wb["定性评分"]
    headers = [c.value for c in ws[2]]
    parts = [f"{p.label}（{p.max}分）" for p in GD.parts]
    assert headers == ["编号", "名称", "依托单位", *parts, "合计", "一票否决", "否决原因", "评审意见"]
    assert ws.max_row == 2 + 32
    assert [ws.cell(3 + n, 2).value for n in range(32)] == [e.name for e in GD.roster]
    total_col = headers.index("合计") + 1
    assert ws.cell(3, total_col).value.startswith("=") and ws.cell(3, total_col).protection.locked
    reviewer = wb.defined_names[REVIEWER_NAME].attr_text
    assert (
        reviewer.startswith("'定性评分'!$")
        and ws[reviewer.split("!")[1].replace("$", "")].protection.locked is False
    )
    dvs = dv_cells(ws)
    for n, part in enumerate(GD.parts):
        dv = dvs[(3, 4 + n)]
        assert dv.type == "decimal" and float(dv.formula2) == float(part.max)
    assert dvs[(3, headers.index("一票否决") + 1)].formula1 == '"是,否"'
    assert unlocked_cells(ws) <= set(dvs)
    cached = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("定性评分").to_python()
    assert cached[2][total_col - 1] == 55.5 and cached[3][total_col - 1] == ""
    text = " ".join(str(c.value) for row in wb["填报说明"].iter_rows() for c in row if c.value)
    assert (
        "包括但不限于依托建设单位软硬件支持和保障、主要负责人及团队建设、机构和制度建设、财务状况等" in text
    )
    assert "对于考核材料弄虚作假或有重大不良诚信记录等情况的单位，一票否决" in text


# ---------------------------------------------------------------------------------------------- files


def test_generate_names_progress_and_sanitising(tmp_path):
    roster = [RosterEntry("QD01", "市南区分中心", "x"), RosterEntry("QD/02", 'a:b*?"<>|', "y")]
    seen: list[int] = []
    paths = generate(
        QD, tmp_path, roster=roster, year=2018, per_center=True, assessment=True, progress=seen.append
    )
    names = [p.name for p in paths]
    assert names == [
        "青岛市科技金融服务分中心考核_2018_填报模板.xlsx",
        "青岛市科技金融服务分中心考核_2018_填报模板_QD01_市南区分中心.xlsx",
        "青岛市科技金融服务分中心考核_2018_填报模板_QD_02_a_b______.xlsx",
        "青岛市科技金融服务分中心考核_2018_考核评价表.xlsx",
    ]
    assert seen == [1, 1, 1, 1]  # increments, as click's bar.update takes them
    assert all(p.is_file() for p in paths)
    assert file_name("con. ") == "_con"  # CON, NUL, ... are devices on Windows, with or without extension
    assert file_name("NUL.xlsx") == "_NUL.xlsx"
    gd = generate(GD, tmp_path / "gd", assessment=True)
    assert [p.name for p in gd] == [
        "广东省地市科技金融综合服务中心监测评估_2019_填报模板.xlsx",
        "广东省地市科技金融综合服务中心监测评估_2019_定性评分表.xlsx",
    ]


def test_many_centers_in_parallel_keep_order_and_bytes(tmp_path):
    roster = [RosterEntry(f"C{n:03d}", f"中心{n}") for n in range(70)]
    seen: list[int] = []
    paths = generate(QD, tmp_path / "two", roster=roster, per_center=True, jobs=2, progress=seen.append)
    assert len(paths) == 71 and [p.name.split("_")[-2] for p in paths[1:]] == [e.code for e in roster]
    assert sum(seen) == 71 and max(seen) > 1  # the workers report chunk by chunk: they did write them
    wb = openpyxl.load_workbook(paths[-1], read_only=False)
    assert meta(wb)["center_code"] == "C069"
    serial = generate(QD, tmp_path / "one", roster=roster, per_center=True, jobs=1)
    assert [p.name for p in serial] == [p.name for p in paths]
    assert [p.read_bytes() for p in serial] == [p.read_bytes() for p in paths]


@pytest.mark.skipif("spawn" not in multiprocessing.get_all_start_methods(), reason="no spawn here")
def test_per_center_templates_in_spawned_workers_as_on_windows(tmp_path, monkeypatch):
    roster = [RosterEntry(f"G{n:02d}", f"中心{n}", "依托") for n in range(64)]
    serial = generate(GD, tmp_path / "one", roster=roster, per_center=True, jobs=1)
    spawn = multiprocessing.get_context("spawn")
    monkeypatch.setattr(multiprocessing, "get_context", lambda method=None: spawn)
    seen: list[int] = []
    spawned = generate(GD, tmp_path / "two", roster=roster, per_center=True, jobs=2, progress=seen.append)
    assert sum(seen) == 65 and max(seen) > 1  # the workers report chunk by chunk: they did write them
    assert [p.name for p in spawned] == [p.name for p in serial]
    assert [p.read_bytes() for p in spawned] == [p.read_bytes() for p in serial]


def test_output_is_deterministic(tmp_path):
    a = write_submission(tmp_path / "a.xlsx", QD)
    b = write_submission(tmp_path / "b.xlsx", QD)
    assert a.read_bytes() == b.read_bytes()


def test_committed_templates_are_current(tmp_path):
    fresh = regenerate_committed(tmp_path)
    assert len(fresh) == 4
    for path in fresh:
        committed = ROOT / "templates" / path.name
        assert committed.is_file(), f"run `python -m kjjr_excel.write.template` to create {path.name}"
        assert committed.read_bytes() == path.read_bytes(), (
            f"{path.name} is stale: run python -m kjjr_excel.write.template"
        )


def test_committed_sample_inputs_are_current(tmp_path):
    """sample_inputs/ is what the demo and README's first command read: built from today's templates."""
    from kjjr_excel.demo.samples import build_all

    build_all(tmp_path)
    fresh = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    assert len(fresh) > 50
    stale = [
        str(p.relative_to(tmp_path))
        for p in fresh
        if (ROOT / "sample_inputs" / p.relative_to(tmp_path)).read_bytes() != p.read_bytes()
    ]
    assert stale == [], "stale: run python -m kjjr_excel.demo.samples"


# ---------------------------------------------------------------------------------------------- LibreOffice


def _soffice(args: list[str], profile: Path, timeout: int = 240) -> subprocess.CompletedProcess:
    return subprocess.run(
        [SOFFICE, f"-env:UserInstallation={profile.as_uri()}", "--headless", *args],
        capture_output=True,
        timeout=timeout,
        check=False,
    )


RECALC_PROFILE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def _strip_cached_values(path: Path) -> None:
    """Drop every formula's cached result, so the numbers read back can only come from a recalculation."""
    with zipfile.ZipFile(path) as zin:
        parts = [(info, zin.read(info)) for info in zin.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info, data in parts:
            if info.filename.startswith("xl/worksheets/sheet"):
                data = re.sub(rb"(</f>)<v>[^<]*</v>", rb"\1", data)
                data = data.replace(b' t="str"', b"")
            zout.writestr(info, data)


@pytest.mark.libreoffice
@needs_lo
def test_every_template_converts_to_pdf_and_prints_on_a4(tmp_path):
    paths = regenerate_committed(tmp_path)
    paths.append(
        write_submission(tmp_path / "center.xlsx", QD, center=RosterEntry("QD01", "市南区分中心", "x"))
    )
    out = tmp_path / "pdf"
    done = _soffice(
        ["--convert-to", "pdf", "--outdir", str(out), *map(str, paths)], tmp_path / "lo_profile_pdf"
    )
    assert done.returncode == 0, done.stderr
    for path in paths:
        assert (out / f"{path.stem}.pdf").stat().st_size > 1000
    if shutil.which("pdftoppm"):
        qd_blank = next(p for p in paths if p.name.startswith("青岛") and p.name.endswith("填报模板.xlsx"))
        subprocess.run(
            ["pdftoppm", "-r", "40", "-png", str(out / f"{qd_blank.stem}.pdf"), str(tmp_path / "qd")],
            check=True,
        )
        pages = sorted(tmp_path.glob("qd-*.png"))
        assert len(pages) == 2  # 填报说明 on one page, the data sheet on exactly one A4 page
        from struct import unpack

        width, height = unpack(">II", pages[-1].read_bytes()[16:24])
        assert abs(height / width - 297 / 210) < 0.01  # A4 portrait


def _grid() -> list[dict[str, int]]:
    """Per indicator: 0, 1, target±1, where the clamps begin, the bound; each workbook takes the k-th point."""
    points: dict[str, list[int]] = {}
    for ind in QD.self_indicators:
        upper = int(ind.max) if ind.max is not None else 120
        scores = [score_rule(ind, Decimal(n))[0] for n in range(upper + 2)]
        chosen = {0, 1, upper}
        target = ind.rule.get("target")
        if target is not None:
            chosen |= {int(target) - 1, int(target), int(target) + 1}
        hi, lo = max(scores), min(scores)
        first_max = scores.index(hi)
        last_min = len(scores) - 1 - scores[::-1].index(lo)
        chosen |= {first_max - 1, first_max, first_max + 1, last_min, last_min + 1}
        points[ind.id] = sorted(n for n in chosen if 0 <= n <= upper)
    width = max(len(v) for v in points.values())
    grid = [{iid: pts[k % len(pts)] for iid, pts in points.items()} for k in range(width)]
    full = {
        "enterprise_info": 50,
        "financing_needs": 120,
        "monthly_reports": 12,
        "finance_events": 17,
        "policies_implemented": 10,
        "new_policies_products": 5,
        "fulltime_staff": 4,
    }
    grid.append(dict(full))  # 90 -> 优秀
    grid.append({**full, "enterprise_info": 49})  # 89.75 -> 良好
    grid.append({**full, "new_policies_products": 0})  # 75 -> 良好
    grid.append({**full, "new_policies_products": 0, "finance_events": 12})  # 60 -> 合格
    grid.append({**full, "new_policies_products": 0, "finance_events": 12, "enterprise_info": 49})  # 59.75
    return grid


@pytest.mark.libreoffice
@needs_lo
def test_preview_formulas_match_python_scoring_after_recalculation(tmp_path):
    lay = layout(QD)
    score_col = lay.columns.index("预计得分")
    grid = _grid()
    header = {f: "x" for f in ("center_name", "center_code", "host_unit", "filler_name", "filler_phone")}
    header["fill_date"] = "2018-01-05"
    paths = []
    for n, values in enumerate(grid):
        partial = dict(values)
        if n == 0:
            partial.pop("fulltime_staff")  # one blank: '' preview and an incomplete line
        if n == 1:
            partial["policies_implemented"] = "3项"  # stray text: no #VALUE!
        path = write_submission(tmp_path / f"g{n:02d}.xlsx", QD, values=partial, header=header if n else None)
        _strip_cached_values(path)
        paths.append((path, partial))
    profile = tmp_path / "lo_profile_recalc"
    (profile / "user").mkdir(parents=True)
    (profile / "user" / "registrymodifications.xcu").write_text(RECALC_PROFILE, encoding="utf-8")
    out = tmp_path / "out"
    done = _soffice(["--convert-to", "xlsx", "--outdir", str(out), *(str(p) for p, _ in paths)], profile)
    assert done.returncode == 0, done.stderr
    totals_seen = set()
    for path, values in paths:
        sheet = CalamineWorkbook.from_path(str(out / path.name)).get_sheet_by_name(lay.sheet).to_python()
        total = Fraction(0)
        for ind in QD.self_indicators:
            got = sheet[lay.rows[ind.id]][score_col]
            value = values.get(ind.id)
            if value is None:
                assert got == "", ind.id
            elif isinstance(value, str):
                assert got == "请填数字", ind.id
            else:
                expected = score_rule(ind, Decimal(value))[0]
                assert got == float(expected), (path.name, ind.id, value)
                total += expected
        for ind in QD.assessor_indicators:
            if not ind.is_veto:
                total += score_rule(ind, Decimal(ind.neutral or 0))[0]
        total_row = lay.last_indicator_row + 1
        assert sheet[total_row][score_col] == float(total), path.name
        decimal_total = round_half_up(Decimal(total.numerator) / Decimal(total.denominator), 2)
        # a text in a numeric input ("3项") is not filled in; the grade shows once nothing is left to fill
        blanks = sum(1 for i in QD.self_indicators if not isinstance(values.get(i.id), int | float))
        blanks += 0 if path.name != "g00.xlsx" else 6
        grade = grade_for(QD, decimal_total) if blanks == 0 else "填完后显示"
        assert sheet[total_row + 1][score_col] == grade, path.name
        done_text = sheet[total_row + 2][score_col]
        assert done_text == ("已全部填写" if blanks == 0 else f"还有 {blanks} 项未填写"), path.name
        totals_seen.add(decimal_total)
    assert {Decimal(90), Decimal("89.75"), Decimal(75), Decimal(60), Decimal("59.75")} <= totals_seen


# ---------------------------------------------------------------------------------------------- paper


@pytest.mark.parametrize("scheme", [QD, GD], ids=["qingdao", "guangdong"])
def test_submission_carries_the_sign_block_on_its_page(tmp_path, scheme):
    """申报单位（盖章）, 负责人（签字）, 日期 (Guangdong: the stamps 附件2 names) below the form, printed."""
    ws = openpyxl.load_workbook(write_submission(tmp_path / "s.xlsx", scheme))[layout(scheme).sheet]
    texts = {c.coordinate: c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    where, sign = next((k, v) for k, v in texts.items() if "负责人（签字）" in v)
    expected = ["申报单位（盖章）"] if scheme is QD else ["地市科技主管部门（盖章）", "依托单位（盖章）"]
    assert all(label in sign for label in expected) and "日期：" in sign and "年　　月　　日" in sign
    last_printed = int(re.search(r"\$(\d+)$", ws.print_area).group(1))
    assert int(re.sub(r"\D", "", where)) == last_printed  # the last printed row: on the form's one page
    assert ws.page_setup.fitToHeight == 1


def test_assessor_and_reviewer_tables_sign_at_the_foot(tmp_path):
    def table(path):
        return next(ws for ws in openpyxl.load_workbook(path).worksheets if ws.oddFooter.left.text)

    qd = table(write_assessment(tmp_path / "a.xlsx", QD))
    gd = table(write_assessment(tmp_path / "r.xlsx", GD))
    assert "考核单位（盖章）" in qd.oddFooter.left.text and "负责人（签字）" in qd.oddFooter.left.text
    assert "评审人签字" in gd.oddFooter.left.text and "日期" in gd.oddFooter.left.text
    assert "第 &P 页" in gd.oddFooter.right.text


def test_completeness_is_green_when_done_and_prompts_say_places_once(tmp_path):
    lay = layout(GD)
    values = {ind.id: 1 for ind in GD.self_indicators}
    header = {"filler_name": "张三", "filler_phone": "020-1", "fill_date": "2020-05-20"}
    header |= {"center_name": "汕头分中心", "center_code": "GD01", "host_unit": "汕头科技金融超市"}
    path = write_submission(tmp_path / "g.xlsx", GD, values=values, header=header)
    ws = openpyxl.load_workbook(path)[lay.sheet]
    done = next(c for row in ws.iter_rows() for c in row if isinstance(c.value, str) and "COUNT(" in c.value)
    assert done.font.color.rgb.endswith("006100")  # 已全部填写 in green; 还有… turns red by a rule
    rules = [r for rng in ws.conditional_formatting for r in rng.rules if done.coordinate in str(rng.sqref)]
    assert rules and rules[0].operator == "beginsWith" and rules[0].text == "还有"
    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(lay.sheet).to_python()
    assert "已全部填写" in [v for row in sheet for v in row]
    messages = [dv.prompt for dv in ws.data_validations.dataValidation if dv.prompt]
    assert messages and all(m.count("位小数") <= 1 for m in messages)
    assert any("最多两位小数" in m for m in messages)


def test_edited_grades_are_worded_on_every_form_not_the_notices_bounds(tmp_path: Path) -> None:
    """A copy of Qingdao with bounds 85/70/60 and its own grade names: 填报说明, the form's 备注 and the assessor
    workbook say those bounds (worded from [grading]), never the built-in 90/75 sentence."""
    text = (Path(QD.path)).read_text(encoding="utf-8")
    for old, new in (
        ('{ name = "优秀", min = 90 }', '{ name = "优秀", min = 85 }'),
        ('{ name = "良好", min = 75 }', '{ name = "良好", min = 70 }'),
        ('{ name = "合格", min = 60 }', '{ name = "达标", min = 60 }'),
        ('{ name = "不合格", min = 0, failing = true }', '{ name = "不达标", min = 0, failing = true }'),
        ('"合格" = 20, "不合格" = 0', '"达标" = 20, "不达标" = 0'),
    ):
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / "my.toml"
    path.write_text(text, encoding="utf-8")
    scheme = load_scheme(path)
    words = "考核分值85分（含）以上为优秀；70（含）至85分为良好；60（含）至70分为达标；60分以下为不达标。"
    books = generate(scheme, tmp_path / "out", assessment=True)
    assert len(books) == 2
    for book in books:
        wb = CalamineWorkbook.from_path(str(book))
        cells = [
            str(v) for name in wb.sheet_names for row in wb.get_sheet_by_name(name).to_python() for v in row
        ]
        said = [c for c in cells if "分（含）以上" in c]
        assert said and all(words in c for c in said), (book.name, said)
        assert not any("90分" in c or "为合格" in c for c in cells), book.name
    form = CalamineWorkbook.from_path(str(books[0])).get_sheet_by_name(scheme.submission["sheet"]).to_python()
    assert any(str(v).startswith(f"备注：{words}预计得分仅供参考") for row in form for v in row)


def test_a_form_graded_by_shares_previews_its_score_but_not_a_grade(tmp_path: Path) -> None:
    """Qingdao's rules with grades by share of the ranked centers: the preview's IF chain over absent bounds
    said 优秀 for any total (>=0); the grade row now says the grade comes from the ranking."""
    text = Path(QD.path).read_text(encoding="utf-8")
    start, end = text.index("\n[grading]\n"), text.index("\n[subsidy]\n")
    grading = (
        '\n[grading]\nmethod = "quota"\ngrades = [\n  { name = "优秀", share = 0.3 },\n  { name = "合格" },\n'
    )
    text = text[:start] + grading + '  { name = "不合格", failing = true },\n]\n' + text[end:]
    text = text.replace('"良好" = 20, ', "", 1)
    path = tmp_path / "quota.toml"
    path.write_text(text, encoding="utf-8")
    scheme = load_scheme(path)
    book = generate(scheme, tmp_path / "out")[0]
    ws = openpyxl.load_workbook(book)[scheme.submission["sheet"]]
    cells = {c.coordinate: c.value for row in ws.iter_rows() for c in row if c.value is not None}
    label = next(ref for ref, v in cells.items() if v == "预计等次")
    grade_cells = [v for ref, v in cells.items() if ref[1:] == label[1:] and ref != label]
    assert grade_cells == ["按排名确定"]
    assert not any(isinstance(v, str) and '"优秀"' in v for v in cells.values())


def test_a_relative_form_without_a_qualitative_part_does_not_promise_one(tmp_path: Path) -> None:
    text = Path(GD.path).read_text(encoding="utf-8")
    start, end = text.index("\n[qualitative]\n"), text.index("\n[grading]\n")
    text = text[:start] + "\n[combination]\nquantitative = 1\nqualitative = 0\n" + text[end:]
    text = text.replace('roster = "guangdong-2019-roster.csv"\n', "")
    path = tmp_path / "quantitative-only.toml"
    path.write_text(text, encoding="utf-8")
    scheme = load_scheme(path)
    book = generate(scheme, tmp_path / "out")[0]
    rows = CalamineWorkbook.from_path(str(book)).get_sheet_by_name("填报说明").to_python()
    how = next(row[1] for row in rows if row[0] == "评估方式")
    assert how.startswith("按本表数据评价；定量得分与其他分中心相比较计算") and "定性" not in how
    rows = CalamineWorkbook.from_path(str(generate(GD, tmp_path / "gd")[0])).get_sheet_by_name("填报说明")
    assert any(str(r[1]).startswith("定性评价（工作绩效自评报告）与定量评价") for r in rows.to_python())


def test_a_form_for_another_year_asks_for_that_years_figures(tmp_path: Path) -> None:
    """--year 2020 on Guangdong: every help text and the period said 2019 (填写2019年度…); they are worded with
    {year} in the scheme and said as the form's year."""
    book = generate(GD, tmp_path, year=2020, assessment=True)
    texts = []
    for path in book:
        wb = CalamineWorkbook.from_path(str(path))
        for name in wb.sheet_names:
            if name != "_meta":
                texts += [str(v) for row in wb.get_sheet_by_name(name).to_python() for v in row if v]
    assert not [t for t in texts if "2019" in t or "{year}" in t]
    assert "评估周期：2020年1月1日—2020年12月31日" in texts
    assert sum("填写2020年度" in t for t in texts) >= len(GD.indicators)
    ws = openpyxl.load_workbook(book[0])[GD.submission["sheet"]]
    prompts = [dv.prompt for dv in ws.data_validations.dataValidation if dv.prompt]
    assert prompts and all("2019" not in p for p in prompts) and any("2020年度" in p for p in prompts)
