"""Receipts per center / unrecognised file, and the validate report workbook."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest
from kjjr_fixtures import good_values, real_submission  # noqa: E402

from kjjr_excel.domain.scheme import load_scheme  # noqa: E402
from kjjr_excel.domain.validate import validate  # noqa: E402
from kjjr_excel.read.ingest import ingest  # noqa: E402
from kjjr_excel.write.receipts import write_findings_report, write_receipts  # noqa: E402

GD = load_scheme("guangdong-2019")


def _inbox(tmp_path: Path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    values = good_values(GD)
    values["loan_banks"] = "约30"
    real_submission(inbox / "st.xlsx", GD, center=("GD01", "汕头分中心"), values=values)
    real_submission(inbox / "fs.xlsx", GD, center=("GD03", '=HYPERLINK("x")'), values=good_values(GD))
    (inbox / "broken.xlsx").write_bytes(b"")
    (inbox / "notes.txt").write_text("x")
    result = ingest(GD, [inbox])
    _, vfindings = validate(GD, result.submissions, roster=GD.roster, year=2019)
    return result, list(result.findings) + vfindings


def test_receipts_one_per_center_and_unrecognised_file(tmp_path):
    result, findings = _inbox(tmp_path)
    out = tmp_path / "out"
    paths = write_receipts(GD, result, findings, out, roster=GD.roster)
    names = sorted(p.name for p in paths)
    assert names == ["回执_GD01_汕头分中心.xlsx", "回执_GD03_佛山分中心.xlsx", "回执_未识别_broken.xlsx"]
    assert sorted(p.name for p in out.iterdir()) == names  # no temp files left behind
    ws = openpyxl.load_workbook(out / "回执_GD01_汕头分中心.xlsx")["回执"]
    text = [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
    assert any("请先修改以下 1 个错误" in t for t in text)
    assert any("C12" in t and "约30" in t for t in text)
    sha = next(f.sha256 for f in result.files if f.file == "st.xlsx")
    assert sha in text
    ws = openpyxl.load_workbook(out / "回执_未识别_broken.xlsx")["回执"]
    assert any("空的" in str(c.value) for row in ws.iter_rows() for c in row)


def test_findings_report_sheets_and_text_safety(tmp_path):
    result, findings = _inbox(tmp_path)
    path = write_findings_report(GD, result, findings, tmp_path / "report.xlsx", roster=GD.roster)
    wb = openpyxl.load_workbook(path)
    assert [n for n in wb.sheetnames if wb[n].sheet_state == "visible"] == ["校验问题", "文件清单", "未提交"]
    assert (
        wb["_meta"].sheet_state == "veryHidden" and wb["_meta"]["B1"].value == "report"
    )  # ours, if copied back
    ws = wb["校验问题"]
    head = [c.value for c in ws[1]]
    assert head == ["严重程度", "代码", "文件", "工作表", "单元格", "分中心", "指标", "填写内容", "说明"]
    assert ws.auto_filter.ref and ws.freeze_panes == "A2"
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
    assert rows[0][0] == "错误"  # errors first
    severities = [r[0] for r in rows]
    order = {"错误": 0, "警告": 1, "提示": 2}
    assert severities == sorted(severities, key=order.get)
    assert rows[[r[1] for r in rows].index("value-not-number")][:5] == [
        "错误",
        "value-not-number",
        "st.xlsx",
        "定量指标",
        "C12",
    ]
    files = {r[0].value: r[1].value for r in wb["文件清单"].iter_rows(min_row=2)}
    assert files == {
        "broken.xlsx": "无法读取",
        "fs.xlsx": "已读取",
        "notes.txt": "已跳过",
        "st.xlsx": "已读取",
    }
    missing = [r[0].value for r in wb["未提交"].iter_rows(min_row=2)]
    assert "GD02" in missing and "GD01" not in missing and len(missing) == len(GD.roster) - 2
    # every sheet prints A4 landscape one page wide, its header on each page, page numbers at the foot
    for name in ("校验问题", "文件清单", "未提交"):
        sheet = wb[name]
        assert sheet.page_setup.orientation == "landscape" and sheet.print_title_rows == "$1:$1", name
        assert sheet.sheet_properties.pageSetUpPr.fitToPage and int(sheet.page_setup.fitToHeight) == 0, name
        assert "&P" in sheet.oddFooter.center.text, name
    # the 说明 of a missing center wraps in a row tall enough for it (it was cut: …请催)
    row = next(r for r in wb["未提交"].iter_rows(min_row=2) if r[0].value == "GD02")
    assert wb["未提交"].row_dimensions[row[0].row].height >= 2 * 14.5
    # a center name starting with '=' stays text in the raw XML: no formula element anywhere
    import zipfile

    with zipfile.ZipFile(path) as z:
        assert not any(b"<f>" in z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/"))


def test_report_overwrite_is_atomic(tmp_path):
    result, findings = _inbox(tmp_path)
    target = tmp_path / "report.xlsx"
    target.write_bytes(b"old")
    write_findings_report(GD, result, findings, target)
    assert target.read_bytes()[:2] == b"PK"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".~kjjr_")] == []


def test_receipt_says_which_file_read_was_not_scored(tmp_path):
    """Two files from one center: the receipt lists both, and the superseded one as read but not scored."""
    from kjjr_excel.app import check_inbox
    from kjjr_excel.write.receipts import write_checked_receipts

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    real_submission(inbox / "st.xlsx", GD, center=("GD01", "汕头分中心"), values=good_values(GD))
    real_submission(inbox / "st（更正）.xlsx", GD, center=("GD01", "汕头分中心"), values=good_values(GD, 12))
    checked = check_inbox(GD, [inbox])
    kept = {s.file for s in checked.accepted}
    (path,) = write_checked_receipts(GD, checked, tmp_path / "out")
    rows = [[c.value for c in row] for row in openpyxl.load_workbook(path)["回执"].iter_rows()]
    status: dict = {}
    for row in rows:  # 收到的文件 comes first; 全部问题 lists the files again, with other columns
        if row[1] in ("st.xlsx", "st（更正）.xlsx"):
            status.setdefault(row[1], row[2])
    assert len(kept) == 1 and set(status) == {"st.xlsx", "st（更正）.xlsx"}
    for file, shown in status.items():
        assert shown == ("已读取" if file in kept else "已读取，未计分（原因见下列问题）")
    # which file was used is said once (it names both files), though 校验问题 gives it a row per file
    said = [r for r in rows if isinstance(r[6], str) and r[6].startswith("同一分中心报送了2份")]
    assert len(said) == 1
    assert sum(f.code == "duplicate-submission" for f in checked.findings) == 2


def test_a_file_whose_name_and_code_are_two_centers_gets_its_own_receipt(tmp_path):
    from kjjr_excel.app import check_inbox
    from kjjr_excel.domain.scheme import load_scheme
    from kjjr_excel.write.receipts import write_checked_receipts
    from kjjr_excel.write.template import write_submission

    gd = load_scheme("guangdong")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    jiangmen = gd.roster[4]
    write_submission(inbox / "江门.xlsx", gd, center=jiangmen)
    write_submission(inbox / "顺德.xlsx", gd, header={"center_name": "顺德分中心", "center_code": "GD05"})
    checked = check_inbox(gd, [inbox])
    names = sorted(p.name for p in write_checked_receipts(gd, checked, tmp_path / "out"))
    assert names == ["回执_GD05_江门分中心.xlsx", "回执_GD05_顺德分中心.xlsx"]


def test_receipt_a_clerk_can_act_on_alone(tmp_path):
    """Year, issuer, date, where and by when to resubmit, what happens if not fixed, every value as read."""
    from datetime import datetime

    result, findings = _inbox(tmp_path)
    when = datetime(2020, 5, 20, 9, 30)
    paths = write_receipts(GD, result, findings, tmp_path / "out", roster=GD.roster, year=2019, when=when)
    path = next(p for p in paths if "GD01" in p.name)
    rows = [[c.value for c in row] for row in openpyxl.load_workbook(path)["回执"].iter_rows()]
    text = "\n".join(str(v) for row in rows for v in row if v is not None)
    assert rows[0][0] == "广东省地市科技金融综合服务中心2019年度填报回执"
    assert "发出单位：广东省生产力促进中心" in text and "日期：2020年5月20日" in text
    assert (
        "请于2020年5月29日前" in text and "先烈中路100号大院60号楼218" in text and "gskjjrcjh@163.com" in text
    )
    error = next(t for t in text.splitlines() if t.startswith("1. ") and "C12" in t)
    assert error.endswith("（不改正的，该项按0分计，支持暂缓）")  # the scheme's word: 支持金额
    table = {
        row[1]: row for row in rows if row[0] and str(row[0]).isdigit() and row[1] and "／" in str(row[1])
    }
    banks = table["科技信贷／入驻银行机构（家）"]
    assert banks[3:] == ["C12", "有误", "约30", ""]  # typed, nothing read
    amount = table["科技信贷／撮合贷款金额（万元）"]
    assert amount[4] == "已读取" and amount[6] == amount[5]
    unrecognised = next(p for p in paths if "未识别" in p.name)
    lines = [
        str(c.value)
        for row in openpyxl.load_workbook(unrecognised)["回执"].iter_rows()
        for c in row
        if c.value
    ]
    assert any("空的" in t and t.endswith("（不改正的，本文件不参加排名）") for t in lines)


@pytest.mark.libreoffice
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_every_printed_page_of_a_receipt_says_whose_it_is_and_its_number(tmp_path):
    """A receipt runs over two pages: the second was a bare table, no center, no page number."""
    from kjjr_excel.write.pdf import convert_to_pdf

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    name = "深圳国家自主创新示范区分中心"
    real_submission(inbox / "sz.xlsx", GD, center=("GD09", name), values=good_values(GD))
    result = ingest(GD, [inbox])
    _, findings = validate(GD, result.submissions, roster=GD.roster, year=2019)
    (path,) = write_receipts(GD, result, list(result.findings) + findings, tmp_path / "out", roster=GD.roster)
    pdf = convert_to_pdf(path, tmp_path / "回执.pdf", shutil.which("soffice"))
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = ["".join(t.split()) for t in text.split("\f") if t.strip()]
    assert len(pages) >= 2
    for n, page in enumerate(pages, start=1):
        assert page.count(name) >= 1 and "广东省地市科技金融综合服务中心2019年度填报回执" in page, n
        assert f"第{n}页共{len(pages)}页" in page


def test_our_own_feedback_workbooks_in_an_inbox_are_said_to_be_ours(tmp_path):
    """A 回执, 校验报告, 催报名单 or 补助发放清单 in an inbox (copied there, or publish -o into it) was an error,
    not-template: 请使用下发的填报模板填写后报送, for a file the tool itself had written."""
    from click.testing import CliRunner

    from kjjr_excel.cli import cli

    samples = Path(__file__).parent.parent / "sample_inputs" / "qingdao"
    inbox, out = str(samples / "inbox"), tmp_path / "out"
    roster, table = str(samples / "名录.csv"), str(samples / "考核评价表.xlsx")
    runs = [
        ["validate", "qingdao", inbox, "-o", str(out / "校验报告.xlsx")],
        ["receipts", "qingdao", inbox, "-o", str(out / "回执")],
        ["remind", "qingdao", inbox, "--roster", roster, "-o", str(out / "催报")],
        ["rank", "qingdao", inbox, "--roster", roster, "--assessment", table, "-o", str(out / "排名.xlsx")],
        ["publish", "qingdao", str(out / "排名.xlsx"), "-o", str(out / "公示")],
    ]
    for args in runs:
        assert CliRunner().invoke(cli, args).exit_code in (0, 1)
    copied = tmp_path / "copied"
    copied.mkdir()
    for n, path in enumerate(sorted(out.rglob("*.xlsx"))):
        if "模板" not in path.parts:  # the blank templates remind attaches are templates indeed
            shutil.copy(path, copied / f"{n}_{path.name}")
    result = ingest(load_scheme("qingdao"), [copied])
    assert result.submissions == []
    said = {f.file.split("_", 1)[1]: (f.code, f.severity.value, f.message) for f in result.findings}
    assert {name: code for name, (code, _, _) in said.items()} == {
        "校验报告.xlsx": "own-output",
        "回执_QD01_市南区科技金融服务分中心.xlsx": "own-output",
        "青岛市科技金融服务分中心考核_2017年度_催报名单.xlsx": "own-output",
        "排名.xlsx": "ranking-workbook",
        "青岛市科技金融服务分中心2017年度补助发放清单.xlsx": "own-output",
    } | {name: "own-output" for name in said if name.startswith("回执_")}
    assert {severity for _, severity, _ in said.values()} == {"提示"}
    assert said["校验报告.xlsx"][2] == "这是本工具生成的校验报告，不是填报表，未作为报送文件读取。"
    # the payment list is named as the scheme titles it (an office's 奖励资金拨付清单)
    titled = replace(load_scheme("qingdao"), publish={"payment_title": "奖励资金拨付清单"})
    payment = next(f for f in ingest(titled, [copied]).findings if f.file.endswith("补助发放清单.xlsx"))
    assert payment.message.startswith("这是本工具生成的奖励资金拨付清单，")
