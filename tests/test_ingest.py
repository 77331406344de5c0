"""Ingestion: format sniffing, safety guards, recognition, dirty values, formulas, determinism."""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import subprocess
import sys
import zipfile
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from kjjr_fixtures import (  # noqa: E402
    build_submission,
    good_values,
    real_submission,
    rewrite_zip,
    sheet_part,
    soffice_convert,
)

from kjjr_excel.domain.layout import layout  # noqa: E402
from kjjr_excel.domain.scheme import load_scheme  # noqa: E402
from kjjr_excel.read.inbox import collect_files  # noqa: E402
from kjjr_excel.read.ingest import ingest  # noqa: E402
from kjjr_excel.read.submission import read_submission  # noqa: E402

GD = load_scheme("guangdong-2019")
QD = load_scheme("qingdao-2017")


def codes(findings) -> list[str]:
    return sorted({f.code for f in findings})


def read(path: Path, scheme=GD):
    outcome = read_submission(path, path.name, scheme)
    return outcome.submission, outcome.findings, outcome.file


# ---------------------------------------------------------------------------------------------- basics


@pytest.mark.parametrize("scheme", [GD, QD], ids=["guangdong", "qingdao"])
def test_clean_template_reads_every_value_by_position(tmp_path, scheme):
    values = good_values(scheme)
    path = real_submission(tmp_path / "a.xlsx", scheme, values=values, saved=datetime(2020, 3, 1, 8, 30))
    sub, findings, info = read(path, scheme)
    assert findings == []
    assert info.status == "已读取" and info.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert sub.recognised_by == "meta" and sub.center_code == "GD01" and sub.center_name == "汕头分中心"
    assert sub.year == scheme.year
    assert sub.saved_at == datetime(2020, 3, 1, 8, 30)
    lay = layout(scheme)
    for iid, v in values.items():
        cv = sub.values[iid]
        assert cv.value == Decimal(v) and not cv.error
        assert cv.cell == lay.value_cell(iid) and cv.sheet == lay.sheet


def test_collect_files_skips_lock_hidden_and_non_spreadsheets(tmp_path):
    (tmp_path / "sub" / ".git").mkdir(parents=True)
    (tmp_path / "sub" / ".git" / "x.xlsx").write_bytes(b"PK")
    (tmp_path / "~$a.xlsx").write_bytes(b"lock")
    (tmp_path / ".hidden.xlsx").write_bytes(b"x")  # may be a submission: listed as left out
    (tmp_path / "._a.XLSX").write_bytes(b"x")  # macOS's companion of a.XLSX: not a workbook, not listed
    (tmp_path / ".DS_Store").write_bytes(b"x")
    (tmp_path / "readme.docx").write_bytes(b"x")
    (tmp_path / "sub" / "b.xls").write_bytes(b"x")
    (tmp_path / "a.XLSX").write_bytes(b"x")
    (tmp_path / "sub" / "deeper").mkdir()
    (tmp_path / "sub" / "deeper" / "c.xlsm").write_bytes(b"x")
    (tmp_path / "odd.").write_bytes(b"x")
    if sys.platform != "win32":
        (tmp_path / "gone.xlsx").symlink_to(tmp_path / "nowhere.xlsx")  # a shortcut to a deleted file
        (tmp_path / "linked").symlink_to(tmp_path / "sub", target_is_directory=True)  # not followed
    files, findings, infos = collect_files([tmp_path])
    assert [d for _, d in files] == ["a.XLSX", "sub/b.xls", "sub/deeper/c.xlsm"]
    expected = {
        "readme.docx": "不是Excel文件（.docx）",
        "~$a.xlsx": "锁定文件",
        "odd.": "（无扩展名）",
        ".hidden.xlsx": "隐藏文件",
        "sub/.git": "隐藏文件夹",  # a folder whose name starts with a dot, holding a workbook: said, not read
    }
    if sys.platform != "win32":
        expected["gone.xlsx"] = "无效的快捷方式"
    assert sorted(f.file for f in findings) == sorted(expected)
    assert all(expected[f.file] in f.message for f in findings)
    assert {f.code for f in findings} == {"file-skipped"}
    assert all(i.status == "已跳过" for i in infos)


# ---------------------------------------------------------------------------------------------- formats


def test_format_by_first_bytes(tmp_path):
    good = real_submission(tmp_path / "g.xlsx", GD, values=good_values(GD))
    renamed = tmp_path / "renamed.xls"
    shutil.copy(good, renamed)
    sub, findings, _ = read(renamed)
    assert sub is not None and "file-extension-mismatch" in codes(findings)
    html = tmp_path / "page.xls"
    html.write_text("<html><body><table><tr><td>1</td></tr></table></body></html>", encoding="utf-8")
    assert codes(read(html)[1]) == ["file-not-workbook"]
    empty = tmp_path / "empty.xlsx"
    empty.write_bytes(b"")
    sub, findings, info = read(empty)
    assert sub is None and codes(findings) == ["file-empty"] and info.status == "无法读取"
    text = tmp_path / "notes.xlsx"
    text.write_text("这不是表格", encoding="utf-8")
    assert codes(read(text)[1]) == ["file-not-workbook"]


def test_truncated_zip_is_corrupt(tmp_path):
    good = real_submission(tmp_path / "g.xlsx", GD, values=good_values(GD))
    bad = tmp_path / "cut.xlsx"
    bad.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    sub, findings, info = read(bad)
    assert sub is None and codes(findings) == ["file-corrupt"] and info.status == "无法读取"


def test_encrypted_workbook(tmp_path):
    from msoffcrypto.format.ooxml import OOXMLFile

    good = real_submission(tmp_path / "g.xlsx", GD, values=good_values(GD))
    enc = tmp_path / "enc.xlsx"
    with open(good, "rb") as fh, open(enc, "wb") as out:
        OOXMLFile(fh).encrypt("secret", out)
    assert enc.read_bytes()[:4] == b"\xd0\xcf\x11\xe0"
    sub, findings, _ = read(enc)
    assert sub is None and codes(findings) == ["file-encrypted"]
    assert "密码" in findings[0].message


def test_xlsm_macros_ignored(tmp_path):
    path = real_submission(tmp_path / "m.xlsx", GD, values=good_values(GD))
    xlsm = rewrite_zip(path, tmp_path / "m.xlsm", add={"xl/vbaProject.bin": b"\x00" * 64})
    sub, findings, _ = read(xlsm)
    assert sub is not None and sub.file_format == "xlsm"
    assert codes(findings) == ["file-macros-ignored"]


# ---------------------------------------------------------------------------------------------- hostile


def _run_bounded(path: Path, scheme_id: str = "guangdong-2019") -> list[dict]:
    """read_submission in a child process with a 1.5 GiB address-space cap."""
    code = f"""
import json, resource, sys
from pathlib import Path
resource.setrlimit(resource.RLIMIT_AS, (1536 * 2**20, 1536 * 2**20))
from kjjr_excel.read.submission import read_submission
from kjjr_excel.domain.scheme import load_scheme
outcome = read_submission(Path({str(path)!r}), "x.xlsx", load_scheme({scheme_id!r}))
sub, findings, info = outcome.submission, outcome.findings, outcome.file
print(json.dumps([f.as_dict() for f in findings], ensure_ascii=False))
"""
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=300,  # a hang guard, not a speed assertion
        cwd=Path(__file__).parent.parent,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_zip_bomb_part_refused(tmp_path):
    good = real_submission(tmp_path / "g.xlsx", GD, values=good_values(GD))
    bomb = tmp_path / "bomb.xlsx"
    shutil.copy(good, bomb)
    with zipfile.ZipFile(bomb, "a", zipfile.ZIP_DEFLATED) as z, z.open("xl/worksheets/sheet9.xml", "w") as fh:
        chunk = b"\0" * 2**20
        for _ in range(64):  # 64 MiB of zeros -> ~64 KB compressed
            fh.write(chunk)
    assert bomb.stat().st_size < 2 * 2**20
    found = _run_bounded(bomb)
    assert [f["code"] for f in found] == ["file-unsafe"]


def test_high_compression_ratio_refused(tmp_path):
    good = real_submission(tmp_path / "g.xlsx", GD, values=good_values(GD))
    bomb = rewrite_zip(good, tmp_path / "ratio.xlsx", add={"xl/media/x.bin": b"\0" * (5 * 2**20)})
    sub, findings, _ = read(bomb)
    assert sub is None and codes(findings) == ["file-unsafe"] and "压缩" in findings[0].message


def test_billion_laughs_refused(tmp_path):
    good = real_submission(tmp_path / "g.xlsx", GD, values=good_values(GD))
    lol = [b'<!ENTITY lol0 "lol">'] + [
        b'<!ENTITY lol%d "%s">' % (n, b"&lol%d;" % (n - 1) * 10) for n in range(1, 10)
    ]
    xml = (
        b'<?xml version="1.0"?><!DOCTYPE sst [' + b"".join(lol) + b"]>"
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&lol9;</t></si></sst>'
    )
    bomb = rewrite_zip(good, tmp_path / "lol.xlsx", replace={"xl/sharedStrings.xml": xml})
    found = _run_bounded(bomb)
    assert [f["code"] for f in found] == ["file-unsafe"]


def test_external_entity_refused(tmp_path):
    good = real_submission(tmp_path / "g.xlsx", GD, values=good_values(GD))
    part = sheet_part(good, layout(GD).sheet)
    with zipfile.ZipFile(good) as z:
        xml = z.read(part)
    evil = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        + xml.split(b"?>", 1)[1]
    )
    bad = rewrite_zip(good, tmp_path / "xxe.xlsx", replace={part: evil})
    sub, findings, _ = read(bad)
    assert sub is None and codes(findings) == ["file-unsafe"]


def test_huge_token_refused(tmp_path):
    good = real_submission(tmp_path / "g.xlsx", GD, values=good_values(GD))
    part = sheet_part(good, layout(GD).sheet)
    with zipfile.ZipFile(good) as z:
        xml = z.read(part)
    head, rest = xml.split(b"<sheetData", 1)
    huge = head + b'<sheetPr codeName="' + b"A" * (30 * 2**20) + b'"/><sheetData' + rest
    bad = rewrite_zip(
        good, tmp_path / "token.xlsx", replace={part: huge}, stored=True
    )  # ratio 1: only the token
    found = _run_bounded(bad)
    assert [f["code"] for f in found] == ["file-unsafe"]
    assert "超长" in found[0]["message"]


def test_inputs_never_modified(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    real_submission(inbox / "a.xlsx", GD, values=good_values(GD))
    (inbox / "b.xls").write_text("<html></html>")
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in inbox.iterdir()}
    mtimes = {p.name: p.stat().st_mtime_ns for p in inbox.iterdir()}
    result = ingest(GD, [inbox])
    assert {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in inbox.iterdir()} == before
    assert {p.name: p.stat().st_mtime_ns for p in inbox.iterdir()} == mtimes
    assert {f.file: f.sha256 for f in result.files if f.sha256} == before


# ---------------------------------------------------------------------------------------------- recognition


def test_meta_checks_wrong_scheme_old_version_tampered(tmp_path):
    wrong = build_submission(
        tmp_path / "w.xlsx", GD, values=good_values(GD), meta={"scheme_id": "qingdao-2017"}
    )
    sub, findings, _ = read(wrong)
    assert sub is None and codes(findings) == ["wrong-scheme"]
    # named by the titles the clerk sees on the templates, never by a scheme id
    assert findings[0].message.startswith(
        "这是“青岛市科技金融服务分中心考核”的模板，不是本次考核“广东省地市科技金融综合服务中心监测评估”的模板。"
    )
    old = build_submission(tmp_path / "o.xlsx", GD, values=good_values(GD), meta={"template_version": "0"})
    sub, findings, _ = read(old)
    assert sub is not None and codes(findings) == ["old-template-version"]
    moved = build_submission(tmp_path / "t.xlsx", GD, values=good_values(GD), shift_rows=2)
    sub, findings, _ = read(moved)
    assert codes(findings) == ["layout-tampered"] and sub.recognised_by == "labels"
    assert findings[0].center == sub.center_name != ""  # whose file was changed, on 校验问题
    assert sub.values["loan_banks"].cell == "C14" and sub.values["loan_banks"].value == 10


def test_labels_fallback_tells_the_two_firms_served_rows_apart(tmp_path):
    values = good_values(GD)
    path = build_submission(tmp_path / "own.xlsx", GD, values=values, with_meta=False, shift_rows=5)
    sub, findings, _ = read(path)
    assert codes(findings) == ["recognised-by-labels"]
    assert sub.values["loan_firms_served"].value == values["loan_firms_served"]
    assert sub.values["vc_firms_served"].value == values["vc_firms_served"]
    assert sub.center_name == "汕头分中心" and sub.year == 2019


def test_clerks_own_table_without_template(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "我的表"
    ws.append(["分中心名称", "汕头分中心"])
    ws.append(["一级指标", "二级指标", "数量"])
    for ind in GD.self_indicators:
        ws.append([ind.category, ind.label, 7])
    path = tmp_path / "own.xlsx"
    wb.save(path)
    sub, findings, _ = read(path)
    assert codes(findings) == ["recognised-by-labels"]
    assert all(cv.value == 7 for cv in sub.values.values())
    assert sub.values["vc_firms_served"].cell == "C10"


def test_not_template(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append(["随便", "什么"])
    wb.save(tmp_path / "x.xlsx")
    sub, findings, info = read(tmp_path / "x.xlsx")
    assert sub is None and codes(findings) == ["not-template"] and info.status == "已读取"


# ---------------------------------------------------------------------------------------------- values


DIRTY = {
    "loan_banks": ("１２", "value-normalised", Decimal(12)),
    "loan_amount": ("1,200", "value-normalised", Decimal(1200)),
    "loan_projects": ("30项", "value-normalised", Decimal(30)),  # the field's own unit
    "loan_firms_served": ("无", "value-zero-word", Decimal(0)),
    "vc_institutions": ("/", "value-zero-word", Decimal(0)),
    "vc_amount": ("约30", "value-not-number", None),
    "vc_projects": ("30-40", "value-not-number", None),
    "vc_firms_served": ("2019-05-01", "value-date", None),
    "ipo_main_board": (-3, "value-negative", None),
    "ipo_neeq": (2.5, "value-not-integer", None),
    "ipo_regional_equity": (None, "value-missing", None),
    "ipo_coached_unlisted": ("15", "value-text-number", Decimal(15)),
    "roadshow_events": (12.345, "value-not-integer", None),
    "training_events": (3, "", Decimal(3)),
    "training_attendees": ("30家", "value-unit-wrong", None),  # not the field's unit: never taken as 30
    "roadshow_attendees": ("1.2万", "value-unit-converted", Decimal(12000)),
}


def test_dirty_values(tmp_path):
    values = good_values(GD)
    values.update({k: v[0] for k, v in DIRTY.items()})
    values["vc_amount"] = "约30"
    path = build_submission(tmp_path / "d.xlsx", GD, values=values)
    sub, findings, _ = read(path)
    by_ind = {f.indicator: f for f in findings}
    for iid, (_raw, code, value) in DIRTY.items():
        cv = sub.values[iid]
        assert cv.value == value, iid
        if code:
            assert by_ind[iid].code == code, iid
            assert by_ind[iid].cell == cv.cell
            assert cv.error == (by_ind[iid].severity.value == "错误"), iid
            assert "缺少" not in by_ind[iid].message, by_ind[iid].message
        else:
            assert iid not in by_ind
    assert by_ind["ipo_main_board"].value == "-3"
    assert by_ind["loan_amount"].message.endswith("已按 1200 读取。以后请只填写数字。")


def test_a_value_under_a_scheme_minimum_is_said_to_be_under_it(tmp_path):
    """An office's copy asking for at least 1 full-time staff: 0 was reported as 超过上限 (the max), and -2 as
    negative with 请填写0或正数 although 0 is not allowed either."""
    from dataclasses import replace

    staff = replace(QD.indicator("fulltime_staff"), min=Decimal(1), max=Decimal(50))
    scheme = replace(QD, indicators=tuple(staff if i.id == staff.id else i for i in QD.indicators))
    for typed, shown in ((0, "0"), (-2, "-2")):
        values = good_values(scheme)
        values["fulltime_staff"] = typed
        path = build_submission(tmp_path / f"q{typed}.xlsx", scheme, values=values)
        _, findings, _ = read(path, scheme)
        assert [(f.code, f.indicator) for f in findings] == [("value-under-min", "fulltime_staff")]
        assert findings[0].message == f"“人员配备”为 {shown}，低于下限 1。请在 F18 单元格核对后重新填写。"


def test_month_count_over_bound_and_decimal_places(tmp_path):
    values = good_values(QD)
    values["monthly_reports"] = 13
    path = build_submission(tmp_path / "q.xlsx", QD, values=values)
    sub, findings, _ = read(path, QD)
    assert [(f.code, f.indicator) for f in findings] == [("value-over-max", "monthly_reports")]
    assert "12" in findings[0].message and sub.values["monthly_reports"].error
    # named as the template's row prints it, not by the input cell's prompt (按时提报统计信息的月数)
    assert findings[0].message.startswith("“信息统计及报送”"), findings[0].message
    values = good_values(GD)
    values["loan_amount"] = 12.345
    sub, findings, _ = read(build_submission(tmp_path / "g.xlsx", GD, values=values))
    assert codes(findings) == ["value-too-many-places"]
    assert sub.values["loan_amount"].value == Decimal("12.35")


def test_typed_formulas_with_and_without_cached_value(tmp_path):
    values = good_values(GD)
    values["loan_banks"] = "=3+4"  # XlsxWriter writes a cached 0
    path = real_submission(tmp_path / "f.xlsx", GD, values=values)
    sub, findings, _ = read(path)
    assert [(f.code, f.cell) for f in findings] == [("formula-cached", "C12")]
    assert sub.values["loan_banks"].raw == "=3+4" and sub.values["loan_banks"].value == 0
    # openpyxl writes formulas without a cached value
    wb = openpyxl.load_workbook(path)
    wb[layout(GD).sheet]["C13"] = "=SUM(1,2)"
    nocache = tmp_path / "nocache.xlsx"
    wb.save(nocache)
    sub, findings, _ = read(nocache)
    found = {f.cell: f.code for f in findings}
    assert found["C13"] == "formula-no-cache"
    assert sub.values["loan_amount"].error and sub.values["loan_amount"].value is None
    assert sub.values["loan_amount"].raw == "=SUM(1,2)"


def test_a_formula_whose_result_is_an_error_value_says_so(tmp_path):
    """#DIV/0! saved as a formula's result is no number: an error naming it, never "未填写" (re-saving keeps
    the error, so the clerk is told to type the number)."""
    wb = openpyxl.load_workbook(real_submission(tmp_path / "f.xlsx", GD, values=good_values(GD)))
    wb[layout(GD).sheet]["C13"] = "=C14/0"
    wb.save(tmp_path / "e.xlsx")
    with zipfile.ZipFile(tmp_path / "e.xlsx") as zin, zipfile.ZipFile(tmp_path / "div0.xlsx", "w") as zout:
        for info in zin.infolist():  # the result Excel saves beside such a formula
            cell = rb'(<c r="C13"[^>]*)><f>C14/0</f><v\s*(/>|></v>)'
            zout.writestr(info, re.sub(cell, rb'\1 t="e"><f>C14/0</f><v>#DIV/0!</v>', zin.read(info)))
    sub, findings, _ = read(tmp_path / "div0.xlsx")
    found = [(f.code, f.cell, f.severity.value) for f in findings]
    assert found == [("formula-error", "C13", "错误")], found
    assert "#DIV/0!" in findings[0].message and "未填写" not in findings[0].message
    assert sub.values["loan_amount"].error and sub.values["loan_amount"].value is None


def test_a_copy_of_the_table_with_other_figures_makes_them_errors(tmp_path):
    """A data sheet copied (考核指标 (2)) or the table pasted below itself, with a figure changed in the copy:
    which one is final cannot be told, so that figure is an error naming both cells; figures the copy gives
    alike, or leaves blank, are read as usual."""
    path = real_submission(tmp_path / "a.xlsx", GD, values=good_values(GD))
    wb = openpyxl.load_workbook(path)
    sheet = wb[layout(GD).sheet]
    copy = wb.copy_worksheet(sheet)
    copy.title = "定量指标 (2)"
    copy["C12"], copy["C14"] = 99, None  # loan_banks changed, loan_projects cleared
    sheet["C15"], copy["C15"] = None, 8  # loan_firms_served typed only in the copy
    for r in range(11, 29):  # and the table again under the original, vc_institutions changed there
        for c in range(1, 4):
            sheet.cell(r + 40, c, sheet.cell(r, c).value)
    sheet["C56"] = 77
    wb.save(tmp_path / "copied.xlsx")
    sub, findings, _ = read(tmp_path / "copied.xlsx")
    found = {(f.code, f.cell, f.indicator): f.message for f in findings if f.severity.value == "错误"}
    assert set(found) == {
        ("value-conflict", "C12", "loan_banks"),
        ("value-conflict", "C16", "vc_institutions"),
        ("value-missing", "C15", "loan_firms_served"),
        ("value-conflict", "C15", "loan_firms_served"),
    }
    assert (
        "C15 单元格填写为“（未填写）”，工作表“定量指标 (2)”的 C15 单元格却填写为“8”"
        in (found["value-conflict", "C15", "loan_firms_served"])
    )
    assert "工作表“定量指标 (2)”的 C12 单元格却填写为“99”" in found["value-conflict", "C12", "loan_banks"]
    assert "同一工作表的 C56 单元格却填写为“77”" in found["value-conflict", "C16", "vc_institutions"]
    assert sub.values["loan_banks"].error and sub.values["loan_banks"].value is None
    assert sub.values["vc_institutions"].error and sub.values["vc_institutions"].value is None
    assert sub.values["loan_projects"].value == Decimal(good_values(GD)["loan_projects"])
    # the same copy hidden (as a clerk hides last year's sheet): the message says so, else it is not found
    wb = openpyxl.load_workbook(tmp_path / "copied.xlsx")
    wb["定量指标 (2)"].sheet_state = "hidden"
    wb.save(tmp_path / "hidden.xlsx")
    _, findings, _ = read(tmp_path / "hidden.xlsx")
    conflict = next(f for f in findings if f.code == "value-conflict" and f.cell == "C12")
    assert "隐藏的工作表“定量指标 (2)”的 C12 单元格" in conflict.message and "取消隐藏" in conflict.message
    assert not sub.values["loan_amount"].error


def test_a_figure_shown_as_a_percentage_is_an_error(tmp_path):
    """50% in a count or an amount is stored as 0.5: neither 0.5 nor 50 is what the clerk can be taken to mean,
    so it is an error showing the percentage, never read as the number it holds; other cells are untouched."""
    wb = openpyxl.load_workbook(real_submission(tmp_path / "a.xlsx", GD, values=good_values(GD)))
    sheet = wb[layout(GD).sheet]
    sheet["C13"], sheet["C13"].number_format = 0.5, "0%"
    sheet["C25"], sheet["C25"].number_format = 1, "0.00%"
    sheet["C12"].number_format = '0"%"'  # a quoted % is a literal, not a percentage
    wb.save(tmp_path / "percent.xlsx")
    sub, findings, _ = read(tmp_path / "percent.xlsx")
    found = {(f.code, f.cell): f for f in findings}
    assert set(found) == {("value-percent", "C13"), ("value-percent", "C25")}
    assert found["value-percent", "C13"].severity.value == "错误"
    assert "百分数（50%）" in found["value-percent", "C13"].message
    assert "“万元”" in found["value-percent", "C13"].message
    assert sub.values["loan_amount"].error and sub.values["loan_amount"].value is None
    assert sub.values["loan_amount"].raw == "50%"
    assert sub.values["loan_banks"].value == Decimal(good_values(GD)["loan_banks"])


# ---------------------------------------------------------------------------------------------- batch


@pytest.mark.libreoffice
@pytest.mark.skipif(shutil.which("soffice") is None or shutil.which("ssconvert") is None, reason="soffice")
@pytest.mark.parametrize("program, fmt", [("soffice", "xls"), ("ssconvert", "xls"), ("ssconvert", "ods")])
def test_a_percentage_is_an_error_in_an_xls_and_a_gnumeric_ods_too(tmp_path, program, fmt):
    """The same filled form as .xlsx gave value-percent for 100% in a month count; saved as .xls (LibreOffice,
    Gnumeric) or as .ods by Gnumeric it was read as 1 month with no word (a helper's clerk test). The .xls's
    number formats (FORMAT and XF records) and Gnumeric's text of the cell now tell it too."""
    wb = openpyxl.load_workbook(real_submission(tmp_path / "a.xlsx", GD, values=good_values(GD)))
    sheet = wb[layout(GD).sheet]
    sheet["C25"], sheet["C25"].number_format = 1, "0.00%"
    sheet["C13"], sheet["C13"].number_format = 0.5, "0%"
    wb.save(tmp_path / "percent.xlsx")
    if program == "soffice":
        saved = soffice_convert(tmp_path / "percent.xlsx", fmt, tmp_path / "out", tmp_path.name)
    else:
        saved = tmp_path / f"percent.{fmt}"
        subprocess.run(
            ["ssconvert", str(tmp_path / "percent.xlsx"), str(saved)], check=True, capture_output=True
        )
    sub, findings, _ = read(saved)
    assert {(f.code, f.cell) for f in findings if f.code == "value-percent"} == {
        ("value-percent", "C13"),
        ("value-percent", "C25"),
    }
    assert sub.values["loan_amount"].value is None and sub.values["loan_projects"].value is not None


def test_ingest_is_deterministic_and_parallel_equals_serial(tmp_path):
    inbox = tmp_path / "inbox"
    (inbox / "z").mkdir(parents=True)
    for n in range(6):
        real_submission(inbox / ("z" if n % 2 else "") / f"{n}.xlsx", GD, center=(f"GD0{n + 1}", f"中心{n}"))
    (inbox / "bad.xlsx").write_bytes(b"")
    serial = ingest(GD, [inbox], jobs=1)
    ticks: list[int] = []
    parallel = ingest(GD, [inbox], jobs=2, progress=ticks.append)
    assert sum(ticks) == 7
    assert serial.submissions == parallel.submissions
    assert serial.findings == parallel.findings and serial.files == parallel.files
    assert [s.file for s in serial.submissions] == sorted(s.file for s in serial.submissions)
    assert "z/1.xlsx" in {s.file for s in serial.submissions}


# ---------------------------------------------------------------------------------------------- LibreOffice


@pytest.mark.libreoffice
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
@pytest.mark.parametrize("fmt", ["xlsx", "xls"])
def test_libreoffice_round_trip(tmp_path, fmt):
    values = good_values(GD)
    values["loan_amount"] = 1234.5
    src = real_submission(tmp_path / "filled.xlsx", GD, values=values)
    out = soffice_convert(src, fmt, tmp_path / "out", f"{fmt}_{tmp_path.name}")
    sub, findings, info = read(out)
    assert info.status == "已读取", findings
    assert sub is not None, findings
    assert sub.file_format == fmt
    assert {k: cv.value for k, cv in sub.values.items()} == {k: Decimal(str(v)) for k, v in values.items()}
    assert sub.center_name == "汕头分中心" and sub.year == 2019
    assert not [f for f in findings if f.severity.value == "错误"], findings


def test_bytes_api_is_not_needed_for_reading(tmp_path):
    """read_submission takes a path; a BytesIO round-trip of the same bytes yields the same hash."""
    path = real_submission(tmp_path / "a.xlsx", GD)
    _, _, info = read(path)
    assert info.sha256 == hashlib.sha256(io.BytesIO(path.read_bytes()).getvalue()).hexdigest()


# ---------------------------------------------------------------------------------------------- .ods


def _ods_package(parts: dict[str, bytes], path: Path) -> Path:
    """An OpenDocument package: `mimetype` stored first, then the other parts."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("mimetype", parts.pop("mimetype"), compress_type=zipfile.ZIP_STORED)
        for name, data in parts.items():
            z.writestr(name, data)
    return path


def _ods_parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {info.filename: z.read(info) for info in z.infolist()}


@pytest.mark.libreoffice
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
def test_libreoffice_ods_reads_like_xlsx_with_its_formulas(tmp_path):
    values = good_values(QD)
    values["policies_implemented"] = "=3+4"  # a formula typed by the clerk: XlsxWriter caches 0
    src = real_submission(tmp_path / "filled.xlsx", QD, values=values, center=("QD01", "崂山分中心"))
    ods = soffice_convert(src, "ods", tmp_path / "out", f"ods_{tmp_path.name}")
    sub, findings, info = read(ods, QD)
    assert info.status == "已读取" and sub.file_format == "ods" and sub.recognised_by == "meta"
    assert [(f.code, f.cell) for f in findings] == [("formula-cached", "F16")]
    assert sub.values["policies_implemented"].raw == "=3+4"
    assert sub.values["fulltime_staff"].value == Decimal(values["fulltime_staff"])
    assert sub.center_name == "崂山分中心" and sub.year == 2017
    # the same file without the formula's saved result (as a script writing .ods may leave it)
    parts = _ods_parts(ods)
    content = parts["content.xml"].decode()
    at = content.index('table:formula="of:=3+4"')
    cell_end = content.index(">", at)
    cell = content[at:cell_end]
    stripped = cell.replace('office:value-type="float"', "").replace('calcext:value-type="float"', "")
    parts["content.xml"] = (content[:at] + stripped + content[cell_end:]).encode()
    sub, findings, _ = read(_ods_package(parts, tmp_path / "nocache.ods"), QD)
    assert ("formula-no-cache", "F16") in [(f.code, f.cell) for f in findings]
    assert sub.values["policies_implemented"].error and sub.values["policies_implemented"].value is None


@pytest.mark.skipif(shutil.which("ssconvert") is None, reason="Gnumeric (ssconvert) not installed")
def test_gnumeric_ods_with_indented_xml_is_read(tmp_path):
    values = good_values(GD)
    values["loan_amount"] = 1234.5
    src = real_submission(tmp_path / "filled.xlsx", GD, values=values)
    ods = tmp_path / "gnumeric.ods"
    subprocess.run(["ssconvert", str(src), str(ods)], check=True, capture_output=True, timeout=300)
    with zipfile.ZipFile(ods) as z:
        assert b"\n" in z.read("content.xml")  # Gnumeric indents its XML (what calamine alone stops at)
    sub, findings, info = read(ods)
    assert info.status == "已读取" and findings == [], findings
    assert {k: cv.value for k, cv in sub.values.items()} == {k: Decimal(str(v)) for k, v in values.items()}
    assert sub.file_format == "ods" and sub.center_code == "GD01"
    renamed = tmp_path / "renamed.xlsx"  # chosen by its first bytes, whatever its name says
    shutil.copy(ods, renamed)
    sub, findings, _ = read(renamed)
    assert sub.file_format == "ods" and codes(findings) == ["file-extension-mismatch"]


def test_ods_guards_and_sniffing(tmp_path):
    content = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        b'<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"/>'
    )
    mimetype = b"application/vnd.oasis.opendocument.spreadsheet"
    evil = _ods_package({"mimetype": mimetype, "content.xml": content}, tmp_path / "xxe.ods")
    sub, findings, _ = read(evil)
    assert sub is None and codes(findings) == ["file-unsafe"]
    text = _ods_package(
        {"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<x/>"}, tmp_path / "a.ods"
    )
    sub, findings, _ = read(text)
    assert sub is None and codes(findings) == ["file-not-workbook"] and "文本文档" in findings[0].message
    found, skipped, _ = collect_files([tmp_path])
    assert [d for _, d in found] == ["a.ods", "xxe.ods"] and skipped == []


# ---------------------------------------------------------------------------------------------- label fallback


def test_label_fallback_reads_the_table_never_the_instructions_sheet(tmp_path):
    values = good_values(QD)
    path = real_submission(tmp_path / "q.xlsx", QD, values=values, center=("QD01", "崂山分中心"))
    wb = openpyxl.load_workbook(path)
    del wb["_meta"]
    ws = wb[layout(QD).sheet]
    ws.insert_rows(12)  # a blank row above the first indicator row
    ws.insert_rows(1)  # and a comment on top
    ws["A1"] = "本表由办公室填写，请核对"
    wb.move_sheet(layout(QD).sheet, offset=1)  # 填报说明 first, as the template has it
    moved = tmp_path / "moved.xlsx"
    wb.save(moved)
    sub, findings, _ = read(moved, QD)
    assert sub.sheet == layout(QD).sheet and sub.recognised_by == "labels"
    assert {k: cv.value for k, cv in sub.values.items()} == {k: Decimal(v) for k, v in values.items()}
    assert sub.values["enterprise_info"].cell == "F14" and sub.center_name == "崂山分中心"
    assert codes(findings) == ["recognised-by-labels"]
    # the table copied into a workbook of the clerk's own, under another name, after the instructions
    ws.title = "Sheet1"
    wb.save(moved)
    sub, findings, _ = read(moved, QD)
    assert sub.sheet == "Sheet1" and sub.values["fulltime_staff"].value == values["fulltime_staff"]
    # with the table gone, the instructions are not read as one
    del wb["Sheet1"]
    wb.save(moved)
    sub, findings, _ = read(moved, QD)
    assert sub is None and codes(findings) == ["not-template"]


def test_retyped_table_labels_with_or_without_unit_and_a_missing_row(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["名称", "佛山分中心"])
    ws.append(["编号", "GD03"])
    ws.append(["评估年度", 2019])
    for n, ind in enumerate(GD.self_indicators):
        if ind.id == "ipo_neeq":
            continue  # a row left out while retyping
        label = ind.label
        if n % 3 == 0:
            label = label.replace("（", "(").replace("）", ")")  # half-width brackets
        elif n % 3 == 1:
            label = label.rsplit("（", 1)[0] + " "  # without its unit, a trailing space
        elif n % 4 == 0:
            label = f"（{n}）{label}"  # numbered as a clerk numbers rows
        ws.append([ind.category, label, 10 + n])
    path = tmp_path / "retyped.xlsx"
    wb.save(path)
    sub, findings, _ = read(path)
    missing = [f for f in findings if f.code == "value-row-missing"]
    assert [f.indicator for f in missing] == ["ipo_neeq"]
    assert "辅导企业在新三板挂牌数量（家）" in missing[0].message and "单元格" not in missing[0].message
    assert missing[0].severity.value == "错误"
    read_values = {k: cv.value for k, cv in sub.values.items() if k != "ipo_neeq"}
    assert read_values == {ind.id: 10 + n for n, ind in enumerate(GD.self_indicators) if ind.id != "ipo_neeq"}
    assert sub.values["loan_firms_served"].cell != sub.values["vc_firms_served"].cell


def test_a_label_under_two_categories_without_its_category_is_neither_guessed_nor_called_missing(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in (["名称", "佛山分中心"], ["编号", "GD03"], ["评估年度", 2019]):
        ws.append(row)
    for n, ind in enumerate(GD.self_indicators):
        ws.append([ind.label, 10 + n])  # no 一级指标 column: 服务企业数量（家） twice, alike
    path = tmp_path / "retyped.xlsx"
    wb.save(path)
    sub, findings, _ = read(path)
    twice = [f for f in findings if f.code == "value-row-ambiguous"]
    assert [(f.indicator, f.cell) for f in twice] == [("loan_firms_served", "A7"), ("vc_firms_served", "A7")]
    assert all("（A7、A11 单元格）" in f.message for f in twice)  # both rows named, not the first one twice
    assert (
        "科技信贷、创业投资下各有一个" in twice[0].message and "“科技信贷”的这一项未计分" in twice[0].message
    )
    assert not [f for f in findings if f.code == "value-row-missing"]
    assert sub.values["loan_firms_served"].value is None and sub.values["vc_firms_served"].value is None
    assert sub.values["vc_amount"].value == 15


@pytest.mark.libreoffice
@pytest.mark.skipif(shutil.which("soffice") is None, reason="needs LibreOffice")
def test_a_formula_error_in_an_xls_is_said_as_such_not_as_a_blank(tmp_path):
    """=C14/0 saved as .xls by LibreOffice: calamine reads the cell as empty, and the clerk was told 未填写
    (a helper's clerk test); the .xlsx of the same form said formula-error. The FORMULA record's saved
    result is an error value: formula-error, with the value, in both."""
    wb = openpyxl.load_workbook(real_submission(tmp_path / "a.xlsx", GD, values=good_values(GD)))
    wb[layout(GD).sheet]["C13"] = "=C14/0"
    wb.save(tmp_path / "formula.xlsx")
    saved = soffice_convert(tmp_path / "formula.xlsx", "xls", tmp_path / "out", tmp_path.name)
    sub, findings, _ = read(saved)
    (error,) = [f for f in findings if f.cell == "C13"]
    assert error.code == "formula-error" and "#DIV/0!" in error.message
    assert sub.values["loan_amount"].value is None and sub.values["loan_amount"].error
