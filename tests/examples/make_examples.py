"""Regenerate the corpus of returned files: `python -m tests.examples.make_examples` from the repository root,
with the package installed (`pip install -e '.[test]'`; needs LibreOffice and Gnumeric on PATH). Each case folder
holds `inbox/` (the files as a clerk returns them) and `expected.toml`
(written by hand from the seed's rules; this script never writes it).

Every file is made by a real program from the shipped template: our template writer fills it as a clerk
would type, then LibreOffice (headless, with a Basic macro doing the clerk's edit: insert a row, delete a
sheet, type into a cell, copy the sheets into a workbook of one's own) or Gnumeric's ssconvert saves it.
"""

from __future__ import annotations

import base64
import functools
import io
import shutil
import subprocess
import sys
import tempfile
import zipfile
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

import openpyxl

from kjjr_excel.domain.scheme import RosterEntry, load_scheme
from kjjr_excel.write.template import write_submission

HERE = Path(__file__).resolve().parent

QD = load_scheme("qingdao-2017")
GD = load_scheme("guangdong-2019")

# 5+0.25×(50−30)=10, 5+0.25×(120−100)=10, 6, 10+3×(17−12)=25, 10, 15, 4: 80, + 工作落实 10 = 90 优秀
QD_BASE = dict(
    enterprise_info=50,
    financing_needs=120,
    monthly_reports=12,
    finance_events=17,
    policies_implemented=10,
    new_policies_products=5,
    fulltime_staff=4,
)
LAOSHAN = RosterEntry("QD01", "崂山区科技金融服务分中心", "崂山区科技局")
SHIBEI = RosterEntry("QD02", "市北区科技金融服务分中心", "市北区科技局")

# The clerk's edits, done by LibreOffice itself. ops: commands separated by "~", fields by "|":
#   insert|sheet index|row index|text   a row inserted above (0-based), text typed in its column A
#   delete|sheet index                  a sheet deleted (the template's _meta)
#   set|sheet index|A1|text             text typed into a cell (as a string, as Excel keeps "50000000元")
#   type|sheet index|A1|text            text typed as at the keyboard (=20+30 a formula, 2018-01-05 a date)
#   column|sheet index|column index     a column inserted on the left of that one (0-based)
#   rename|sheet index|name             the sheet renamed
#   remove|sheet index|row index        a row deleted (0-based)
#   move|sheet index|new index          the sheet moved to another place in the workbook
#   copy|sheet index|name|new index     the sheet copied (as 移动或复制工作表 → 建立副本 does) under a new name
#   paste|sheet index|A1:B2|A1          a range copied and pasted elsewhere on the same sheet
#   merge|sheet index|A1:B2             the range merged, the covered cells' contents kept (hidden)
#   format|sheet index|A1|code          the cell's number format set (Format Cells → 0% shows 1 as 100%)
#   own                                 every visible sheet copied into a new workbook of the clerk's own
#   password|text                       saved with an opening password
BASIC = """\
Sub Edit(src As String, dst As String, filter As String, ops As String)
  Dim args(0) As New com.sun.star.beans.PropertyValue
  args(0).Name = "Hidden"
  args(0).Value = True
  doc = StarDesktop.loadComponentFromURL(ConvertToURL(src), "_blank", 0, args())
  target = doc
  secret = ""
  For Each op In Split(ops, "~")
    f = Split(op, "|")
    If f(0) = "own" Then
      target = StarDesktop.loadComponentFromURL("private:factory/scalc", "_blank", 0, args())
      target.Sheets.getByIndex(0).getCellRangeByName("A1").setString("本单位内部台账（与报送无关）")
      For i = 0 To doc.Sheets.Count - 1
        If doc.Sheets.getByIndex(i).IsVisible Then
          target.Sheets.importSheet(doc, doc.Sheets.getByIndex(i).Name, target.Sheets.Count)
        End If
      Next i
    ElseIf f(0) = "password" Then
      secret = f(1)
    ElseIf f(0) = "delete" Then
      doc.Sheets.removeByName(doc.Sheets.getByIndex(CLng(f(1))).Name)
    ElseIf f(0) <> "" Then
      sh = doc.Sheets.getByIndex(CLng(f(1)))
      sh.unprotect("")
      If f(0) = "insert" Then
        sh.Rows.insertByIndex(CLng(f(2)), 1)
        If UBound(f) >= 3 Then sh.getCellByPosition(0, CLng(f(2))).setString(f(3))
      ElseIf f(0) = "set" Then
        sh.getCellRangeByName(f(2)).setString(f(3))
      ElseIf f(0) = "type" Then
        sh.getCellRangeByName(f(2)).setFormula(f(3))
      ElseIf f(0) = "column" Then
        sh.Columns.insertByIndex(CLng(f(2)), 1)
      ElseIf f(0) = "rename" Then
        sh.Name = f(2)
      ElseIf f(0) = "remove" Then
        sh.Rows.removeByIndex(CLng(f(2)), 1)
      ElseIf f(0) = "move" Then
        doc.Sheets.moveByName(sh.Name, CInt(f(2)))
      ElseIf f(0) = "copy" Then
        doc.Sheets.copyByName(sh.Name, f(2), CInt(f(3)))
      ElseIf f(0) = "format" Then
        Dim loc As New com.sun.star.lang.Locale
        key = doc.NumberFormats.queryKey(f(3), loc, False)
        If key = -1 Then key = doc.NumberFormats.addNew(f(3), loc)
        sh.getCellRangeByName(f(2)).NumberFormat = key
      ElseIf f(0) = "paste" Then
        sh.copyRange(sh.getCellRangeByName(f(3)).CellAddress, sh.getCellRangeByName(f(2)).RangeAddress)
      ElseIf f(0) = "merge" Then
        sh.getCellRangeByName(f(2)).merge(True)
      End If
    End If
  Next op
  Dim out(1) As New com.sun.star.beans.PropertyValue
  out(0).Name = "FilterName"
  out(0).Value = filter
  out(1).Name = "Overwrite"
  out(1).Value = True
  If secret <> "" Then
    out(1).Name = "Password"
    out(1).Value = secret
  End If
  target.storeToURL(ConvertToURL(dst), out())
  If Not EqualUnoObjects(target, doc) Then target.close(True)
  doc.close(True)
End Sub
"""


def _basic_module() -> str:
    """The macro as a Basic module file of a LibreOffice profile."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<!DOCTYPE script:module PUBLIC "-//OpenOffice.org//DTD OfficeDocument 1.0//EN" "module.dtd">\n'
        '<script:module xmlns:script="http://openoffice.org/2000/script" script:name="Module1" '
        'script:language="StarBasic">' + escape(BASIC, {'"': "&quot;"}) + "</script:module>\n"
    )


FILTERS = {".xlsx": "Calc MS Excel 2007 XML", ".xls": "MS Excel 97", ".ods": "calc8"}


class LibreOffice:
    """soffice with a profile of its own holding the edit macro."""

    def __init__(self, root: Path) -> None:
        self.profile = root / "lo-profile"
        self._run(["--terminate_after_init"])
        basic = self.profile / "user" / "basic" / "Standard"
        (basic / "Module1.xba").write_text(_basic_module(), encoding="utf-8")

    def _run(self, args: list[str]) -> None:
        subprocess.run(
            ["soffice", f"-env:UserInstallation={self.profile.as_uri()}", "--headless", *args],
            check=True,
            capture_output=True,
            timeout=300,
        )

    def edit(self, src: Path, dst: Path, ops: str) -> Path:
        dst.parent.mkdir(parents=True, exist_ok=True)
        quoted = ",".join(f'"{a}"' for a in (str(src), str(dst), FILTERS[dst.suffix], ops))
        self._run([f"macro:///Standard.Module1.Edit({quoted})"])
        if not dst.exists():
            raise RuntimeError(f"LibreOffice did not write {dst} ({ops})")
        return dst

    def save_as(self, src: Path, dst: Path) -> Path:
        """Open and save in another format, as a clerk's 另存为 does (no edit)."""
        return self.edit(src, dst, "")


def gnumeric(src: Path, dst: Path) -> Path:
    dst.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["ssconvert", str(src), str(dst)], check=True, capture_output=True, timeout=300)
    return dst


def filled(tmp: Path, name: str, scheme=QD, center=LAOSHAN, year=None, **values) -> Path:
    figures = dict(QD_BASE) if scheme is QD else {i.id: 10 for i in scheme.self_indicators}
    figures.update(values)
    header = {"filler_name": "王敏", "filler_phone": "0532-8888 6666", "fill_date": "2018-01-12"}
    return write_submission(tmp / name, scheme, center=center, year=year, values=figures, header=header)


def without_core_properties(src: Path, dst: Path) -> Path:
    """The workbook without docProps/core.xml (no saved time), as some converters and WPS versions write."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename != "docProps/core.xml":
                data = zin.read(info)
                if info.filename == "[Content_Types].xml":
                    data = data.replace(
                        b'<Override PartName="/docProps/core.xml"', b'<Override PartName="/x"'
                    )
                if info.filename == "_rels/.rels":
                    data = data.replace(b"docProps/core.xml", b"docProps/none.xml")
                zout.writestr(info, data)
    return dst


def gbk_zip(path: Path, members: dict[str, bytes]) -> Path:
    """A zip as Windows' own 发送到→压缩文件夹 writes it on a Chinese machine: member names in GBK, no UTF-8
    flag. Written under ASCII stand-ins of the same byte length, whose bytes are then replaced."""
    stand_ins = {
        name: (f"{n:0{len(name.encode('gbk'))}d}", name.encode("gbk")) for n, name in enumerate(members)
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            info = zipfile.ZipInfo(stand_ins[name][0], date_time=(2018, 1, 15, 9, 30, 0))
            z.writestr(info, data, zipfile.ZIP_DEFLATED)
    data = path.read_bytes()
    for ascii_name, raw in stand_ins.values():
        data = data.replace(ascii_name.encode(), raw)
    path.write_bytes(data)
    return path


def utf8_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(zipfile.ZipInfo(name, date_time=(2018, 1, 15, 9, 30, 0)), data, zipfile.ZIP_DEFLATED)
    return path


def _fresh_inbox(root: Path, case: str) -> Path:
    """A case's inbox/, emptied."""
    folder = root / case / "inbox"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder


def build(root: Path) -> None:
    with tempfile.TemporaryDirectory() as work:
        tmp = Path(work)
        lo = LibreOffice(tmp)

        inbox = functools.partial(_fresh_inbox, root)
        base = filled(tmp, "base.xlsx")
        # formats
        lo.save_as(base, inbox("qd-libreoffice-ods") / "崂山分中心.ods")
        gnumeric(base, inbox("qd-gnumeric-ods") / "崂山分中心.ods")
        lo.save_as(base, inbox("qd-libreoffice-xls") / "崂山分中心.xls")
        gnumeric(base, inbox("qd-gnumeric-xls") / "崂山分中心.xls")
        gnumeric(base, inbox("qd-gnumeric-xlsx") / "崂山分中心.xlsx")
        # layout edits (label fallback must find the table, never 填报说明)
        lo.edit(base, inbox("qd-blank-row-above-table") / "崂山分中心.xlsx", "insert|1|10")
        lo.edit(
            base, inbox("qd-comment-row-on-top") / "崂山分中心.ods", "insert|1|0|本表数据已经分管领导审核"
        )
        lo.edit(base, inbox("qd-meta-deleted") / "崂山分中心.xlsx", "delete|2")
        lo.edit(base, inbox("qd-own-workbook") / "崂山分中心.xlsx", "own")
        lo.edit(base, inbox("qd-own-workbook-ods") / "崂山分中心.ods", "insert|1|10~own")
        lo.edit(
            filled(tmp, "gdm.xlsx", GD, GD.roster[9]),
            inbox("gd-meta-deleted-row-inserted") / "广州分中心.ods",
            "delete|2~insert|1|11",
        )
        lo.edit(base, inbox("qd-ods-password") / "崂山分中心.ods", "password|123456")
        renamed = inbox("qd-ods-renamed-xlsx") / "崂山分中心.xlsx"
        shutil.copy(lo.save_as(base, tmp / "renamed.ods"), renamed)
        # typed values
        lo.edit(base, inbox("qd-space-inside-number") / "崂山分中心.xlsx", "set|1|F15|12 3")
        lo.edit(base, inbox("qd-grouped-number") / "崂山分中心.ods", "set|1|F13|1 200")
        lo.edit(base, inbox("qd-staff-wrong-unit") / "崂山分中心.xlsx", "set|1|F18|4人")
        lo.edit(base, inbox("qd-own-unit") / "崂山分中心.xlsx", "set|1|F18|4名")
        lo.edit(base, inbox("qd-full-width-digits") / "崂山分中心.xls", "set|1|F12|５０")
        # Guangdong: 元 in a 万元 field must not become the benchmark
        gd = inbox("gd-yuan-in-wan-yuan-field")
        shantou, foshan, shunde = GD.roster[0], GD.roster[2], GD.roster[3]
        lo.edit(filled(tmp, "st.xlsx", GD, shantou), gd / "汕头分中心.xlsx", "set|1|C13|50000000元")
        lo.save_as(filled(tmp, "fs.xlsx", GD, foshan, loan_amount=5000), gd / "佛山分中心.xlsx")
        gnumeric(filled(tmp, "sd.xlsx", GD, shunde, loan_amount=2500), gd / "顺德分中心.ods")
        gd = inbox("gd-yi-yuan-and-wan-in-counts")
        lo.edit(
            filled(tmp, "st2.xlsx", GD, shantou), gd / "汕头分中心.ods", "set|1|C17|0.5亿元~set|1|C25|1.2万"
        )
        lo.save_as(
            filled(tmp, "fs2.xlsx", GD, foshan, vc_amount=4000, roadshow_attendees=6000),
            gd / "佛山分中心.xlsx",
        )
        # name and code of two different centers (顺德 typed on the blank template with 江门's code)
        gd = inbox("gd-name-code-mismatch")
        jiangmen = GD.roster[4]
        blank = filled(tmp, "blank.xlsx", GD, None)
        lo.edit(blank, gd / "顺德分中心.xlsx", "set|1|B3|顺德分中心~set|1|B4|GD05~set|1|B6|2019")
        lo.save_as(filled(tmp, "jm.xlsx", GD, jiangmen), gd / "江门分中心.xlsx")
        # year: two of three files on next year's template, no --year
        qd = inbox("qd-year-not-majority")
        lo.save_as(filled(tmp, "y1.xlsx", QD, LAOSHAN, year=2018), qd / "崂山分中心2018.xlsx")
        lo.save_as(filled(tmp, "y2.xlsx", QD, SHIBEI, year=2018), qd / "市北分中心2018.xlsx")
        lo.save_as(
            filled(tmp, "y3.xlsx", QD, RosterEntry("QD03", "李沧区科技金融服务分中心", "")),
            qd / "李沧分中心.xlsx",
        )
        # duplicates: a 更正 copy without a saved time
        qd = inbox("qd-correction-without-saved-time")
        lo.save_as(filled(tmp, "o.xlsx", QD, LAOSHAN, fulltime_staff=2), qd / "崂山分中心.xlsx")
        corrected = lo.save_as(filled(tmp, "c.xlsx", QD, LAOSHAN), tmp / "corrected.xlsx")
        without_core_properties(corrected, qd / "崂山分中心（更正）.xlsx")
        shutil.copytree(qd, inbox("qd-correction-same-file-time"), dirs_exist_ok=True)
        # zip attachments
        members = {
            "崂山分中心.xlsx": lo.save_as(base, tmp / "zl.xlsx").read_bytes(),
            "市北分中心.ods": lo.save_as(
                filled(tmp, "sb.xlsx", QD, SHIBEI, fulltime_staff=2), tmp / "sb.ods"
            ).read_bytes(),
        }
        gbk_zip(inbox("qd-zip-gbk-names") / "报送材料.zip", members)
        nested = io.BytesIO()
        with zipfile.ZipFile(nested, "w", zipfile.ZIP_DEFLATED) as z:
            for name, data in members.items():
                z.writestr(zipfile.ZipInfo(f"附件/{name}", date_time=(2018, 1, 15, 9, 30, 0)), data)
        utf8_zip(
            inbox("qd-zip-inside-zip") / "邮件附件.zip",
            {"报送材料.zip": nested.getvalue(), "说明.txt": "见附件".encode()},
        )
        _mail_cases(inbox, lo, tmp, base)
        _more_clerk_edits(inbox, lo, tmp, base)
        _typed_by_hand(inbox, lo, tmp, base)
        _clerk_slips(inbox, lo, tmp, base)
        _placed_wrong(inbox, lo, tmp, base)
        # retyped tables
        retyped = tmp / "retyped.xlsx"
        _retyped_guangdong(retyped)
        lo.save_as(retyped, inbox("gd-retyped-table") / "中山火炬高新区分中心自填表.xlsx")
        _retyped_qingdao(tmp / "retyped_qd.xlsx")
        gnumeric(tmp / "retyped_qd.xlsx", inbox("qd-retyped-with-units") / "崂山分中心.xls")
        print(f"corpus written under {root} at {datetime.now():%Y-%m-%d %H:%M}")


def _more_clerk_edits(inbox, lo: LibreOffice, tmp: Path, base: Path) -> None:
    """Edits a clerk makes in LibreOffice that the first cases did not cover."""
    # the year cell unlocked and retyped: the figures' year cannot be told from the template's own record
    qd = inbox("qd-year-cell-edited")
    lo.edit(base, qd / "崂山分中心.xlsx", "type|1|C6|2016")
    lo.save_as(filled(tmp, "sb-year.xlsx", QD, SHIBEI), qd / "市北分中心.xlsx")
    lo.edit(base, inbox("qd-column-inserted-meta-deleted") / "崂山分中心.xlsx", "column|1|2~delete|2")
    lo.edit(base, inbox("qd-row-removed") / "崂山分中心.xlsx", "remove|1|17")
    lo.edit(base, inbox("qd-formula-typed-ods") / "崂山分中心.ods", "type|1|F15|=SUM(10;7)")
    # a date typed where a count belongs (Excel keeps it as a number formatted as a date), saved as .xls
    dated = tmp / "dated.xlsx"
    book = openpyxl.load_workbook(base)
    book["考核指标"]["F12"] = datetime(2018, 1, 5)
    book["考核指标"]["F12"].number_format = "yyyy-mm-dd"
    book.save(dated)
    lo.save_as(dated, inbox("qd-date-typed-xls") / "崂山分中心.xls")
    _retyped_without_categories(tmp / "nocat.xlsx")
    gnumeric(tmp / "nocat.xlsx", inbox("gd-retyped-without-categories") / "佛山分中心自填表.xlsx")


def _clerk_slips(inbox, lo: LibreOffice, tmp: Path, base: Path) -> None:
    """Slips a clerk makes on the template that read as something else than what the clerk sees."""
    # TRUE typed where a count belongs (Excel keeps a boolean cell), the file then re-saved in LibreOffice
    typed = tmp / "true.xlsx"
    book = openpyxl.load_workbook(base)
    book["考核指标"]["F12"] = True
    book.save(typed)
    lo.save_as(typed, inbox("qd-true-in-count") / "崂山分中心.xlsx")
    # the data sheet renamed (_meta intact): found by its labels, and the finding says it was renamed
    lo.edit(base, inbox("qd-data-sheet-renamed") / "崂山分中心.xlsx", "rename|1|崂山分中心数据")
    # the figure typed one cell to the right, in the unit column (protection removed), the value cell cleared
    lo.edit(base, inbox("qd-figure-in-unit-column") / "崂山分中心.xlsx", "type|1|F12|~type|1|G12|50")
    # own tables headed 填报单位: the center's name in one cell with its label; the host unit (not a center)
    unit = inbox("qd-retyped-reporting-unit")
    _retyped_with_reporting_unit(tmp / "unit1.xlsx", LAOSHAN, [f"填报单位：{LAOSHAN.name}"])
    gnumeric(tmp / "unit1.xlsx", unit / "崂山分中心自填表.xlsx")
    _retyped_with_reporting_unit(tmp / "unit2.xlsx", SHIBEI, ["填报单位", SHIBEI.host_unit])
    gnumeric(tmp / "unit2.xlsx", unit / "市北分中心自填表.xlsx")
    # the center's name typed into its label cell, the value cell left empty
    lo.edit(
        base,
        inbox("qd-name-in-label-cell") / "崂山分中心.xlsx",
        "set|1|A3|分中心名称：崂山区科技金融服务分中心~type|1|C3|",
    )


def _placed_wrong(inbox, lo: LibreOffice, tmp: Path, base: Path) -> None:
    """Figures and forms put where the reader does not look for them."""
    # the figure typed over the 预计得分 formula (H12), the value cell F12 cleared
    lo.edit(base, inbox("qd-figure-over-score-formula") / "崂山分中心.xlsx", "type|1|F12|~type|1|H12|50")
    # a column inserted left of 填报数 for last year's figures (_meta and every label kept where they were)
    last_year = "~".join(f"type|1|F{12 + n}|{v}" for n, v in enumerate((20, 80, 10, 12, 5, 2, 2)))
    lo.edit(
        base,
        inbox("qd-column-inserted-before-values") / "崂山分中心.xlsx",
        f"column|1|5~type|1|F11|2016年填报数~{last_year}",
    )
    # two value cells merged (F14:F15, 信息统计及报送 over 科技金融活动): F15's 17 kept but hidden
    lo.edit(base, inbox("qd-value-cells-merged") / "崂山分中心.xlsx", "merge|1|F14:F15")
    # the same as .ods: calamine gives no merged ranges of an .ods (read from content.xml)
    lo.edit(base, inbox("qd-value-cells-merged-ods") / "崂山分中心.ods", "merge|1|F14:F15")
    # the data sheet copied (考核指标 (2)) and the copy filled; the template's own sheet left blank
    blank = "~".join(f"type|1|{cell}|" for cell in ("C3", "C4", "C5", *(f"F{r}" for r in range(12, 19))))
    lo.edit(base, inbox("qd-sheet-copy-filled") / "崂山分中心.xlsx", f"copy|1|考核指标 (2)|2~{blank}")
    # a second center's form in the same workbook: the data sheet copied and filled in for 市北
    lo.edit(
        base,
        inbox("qd-two-centers-one-workbook") / "崂山分中心和市北分中心.xlsx",
        f"copy|1|市北|2~type|2|C3|{SHIBEI.name}~type|2|C4|{SHIBEI.code}~type|2|C5|{SHIBEI.host_unit}"
        "~type|2|F12|40",
    )


def _retyped_with_reporting_unit(path: Path, center: RosterEntry, first: list) -> None:
    """Qingdao's table retyped by a clerk who heads it 填报单位 instead of 分中心名称 (`first`: that row)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "自报表"
    ws.append(first)
    ws.append(["编号", center.code])
    ws.append(["考核年度", 2017])
    ws.append(["类别", "内容", "填报数"])
    for ind in QD.self_indicators:
        ws.append([ind.category, ind.label, QD_BASE[ind.id]])
    wb.save(path)


def _typed_by_hand(inbox, lo: LibreOffice, tmp: Path, base: Path) -> None:
    """Values a clerk types at the keyboard in LibreOffice that read as something else than they look."""
    # a formula whose saved result is an error value: re-saving keeps the error, the clerk must type a number
    lo.edit(base, inbox("qd-formula-error-xlsx") / "崂山分中心.xlsx", "type|1|F15|=F16/0")
    lo.edit(base, inbox("qd-formula-error-ods") / "崂山分中心.ods", "type|1|F12|=VLOOKUP(1;A30:B31;2;0)")
    # the data sheet copied and the copy edited: which figures are final cannot be told
    lo.edit(
        base, inbox("qd-sheet-copied-copy-edited") / "崂山分中心.xlsx", "copy|1|考核指标 (2)|2~type|2|F12|10"
    )
    # an amount in a 文本 cell with four digits before the point (not a date)
    gd = inbox("gd-amount-as-text-not-date")
    shantou, foshan, shunde = GD.roster[0], GD.roster[2], GD.roster[3]
    lo.edit(filled(tmp, "st-text.xlsx", GD, shantou), gd / "汕头分中心.xlsx", "set|1|C13|2501.5")
    lo.save_as(filled(tmp, "fs-text.xlsx", GD, foshan, loan_amount=5003), gd / "佛山分中心.xlsx")
    lo.save_as(filled(tmp, "sd-text.xlsx", GD, shunde, loan_amount=5003), gd / "顺德分中心.xlsx")
    # the form saved in a format not read: the data sheet as CSV (ssconvert -S writes one file per sheet),
    # and Gnumeric's own .gnumeric; 市北 sent an .xlsx, which is read
    folder = inbox("qd-saved-as-csv")
    subprocess.run(
        ["ssconvert", "-S", str(base), str(tmp / "崂山分中心_%s.csv")], check=True, capture_output=True
    )
    shutil.copy(tmp / "崂山分中心_考核指标.csv", folder / "崂山分中心_考核指标.csv")
    lo.save_as(filled(tmp, "sb-csv.xlsx", QD, SHIBEI), folder / "市北分中心.xlsx")
    folder = inbox("qd-saved-as-gnumeric")
    gnumeric(base, folder / "崂山分中心.gnumeric")
    lo.save_as(filled(tmp, "sb-gnumeric.xlsx", QD, SHIBEI), folder / "市北分中心.xlsx")
    # a row inserted in the table, the row above copied into it and its figure changed (the old one kept)
    lo.edit(
        base,
        inbox("qd-row-repeated-in-table") / "崂山分中心.xlsx",
        "insert|1|13~paste|1|A13:I13|A14~type|1|F14|200",
    )
    # a table of the clerk's own with the figures left of the labels: said so, not "no label found"
    _retyped_values_left_of_labels(tmp / "left.xlsx")
    folder = inbox("qd-retyped-values-left-of-labels")
    lo.save_as(tmp / "left.xlsx", folder / "崂山分中心自填表.xlsx")
    lo.save_as(filled(tmp, "sb-left.xlsx", QD, SHIBEI), folder / "市北分中心.xlsx")
    # 信息统计及报送 typed as 100% (按时报送率): the cell holds 1, shown as 100%
    lo.edit(base, inbox("qd-percent-in-month-count") / "崂山分中心.xlsx", "type|1|F14|1~format|1|F14|0%")
    # the table pasted again under itself and one figure changed there
    lo.edit(base, inbox("qd-table-pasted-below") / "崂山分中心.ods", "paste|1|A11:I18|A30~type|1|F34|1")


def _retyped_without_categories(path: Path) -> None:
    """Guangdong's table retyped with the 二级指标 only: 服务企业数量（家） twice, under no 一级指标."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "定量指标"
    for row in (["分中心名称", "佛山分中心"], ["编号", "GD03"], ["评估年度", 2019], [], ["指标", "数量"]):
        ws.append(row)
    for ind in GD.self_indicators:
        ws.append([ind.label, 10])
    wb.save(path)


CST = timezone(timedelta(hours=8))
XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def eml(sender: str, subject: str, sent: datetime, attachments: dict[str, bytes]) -> EmailMessage:
    """A received mail as Thunderbird or a web mailbox saves it (UTF-8, RFC 2231 names)."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "qd_stf2015@163.com"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(sent)
    msg.set_content("您好，附件是我单位的考核自报表，请查收。")
    for name, data in attachments.items():
        maintype, subtype = XLSX_TYPE if name.endswith(".xlsx") else ("application", "octet-stream")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg


def foxmail_eml(name: str, data: bytes) -> bytes:
    """A mail as Foxmail on a Chinese machine writes it: GBK text labelled gb2312, RFC 2047 words inside the
    filename parameter (the name has 喆, which GBK has and GB2312 has not)."""

    def word(text: str) -> bytes:
        return b"=?gb2312?B?" + base64.b64encode(text.encode("gbk")) + b"?="

    body = base64.encodebytes(data)
    return (
        b"From: " + word("李喆") + b" <lizhe@laoshan.example.cn>\r\n"
        b"To: qd_stf2015@163.com\r\n"
        b"Subject: " + word("崂山分中心2017年度考核自报表") + b"\r\n"
        b"Date: Fri, 12 Jan 2018 10:05:00 +0800\r\n"
        b"X-Mailer: Foxmail 7.2.25.228[cn]\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="----=_NextPart_5A581B9C_0A1E2B30_1F2E3D4C"\r\n\r\n'
        b"------=_NextPart_5A581B9C_0A1E2B30_1F2E3D4C\r\n"
        b"Content-Type: text/plain; charset=gb2312\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes("您好，附件是自报表。".encode("gbk"))
        + b"\r\n------=_NextPart_5A581B9C_0A1E2B30_1F2E3D4C\r\n"
        b'Content-Type: application/octet-stream; name="' + word(name) + b'"\r\n'
        b"Content-Transfer-Encoding: base64\r\n"
        b'Content-Disposition: attachment; filename="'
        + word(name)
        + b'"\r\n\r\n'
        + body
        + b"\r\n------=_NextPart_5A581B9C_0A1E2B30_1F2E3D4C--\r\n"
    )


def outlook_msg(msg: EmailMessage, sender: str) -> bytes:
    """The mail as Outlook's 另存为 .msg keeps it, written by aspose-email-foss (MIT), with the sender's
    address property Outlook sets on a received mail."""
    from aspose.email_foss.msg import CommonMessagePropertyId, MapiMessage, PropertyTypeCode

    mapi = MapiMessage.from_email_message(msg)
    mapi.set_property(CommonMessagePropertyId.SENDER_EMAIL_ADDRESS, PropertyTypeCode.PTYP_STRING, sender)
    return mapi.to_bytes()


def _mail_cases(inbox, lo: LibreOffice, tmp: Path, base: Path) -> None:
    """Saved mails: what an analyst drags out of the mail program into inbox/."""
    laoshan = lo.save_as(base, tmp / "ml.xlsx").read_bytes()
    (inbox("qd-mail-foxmail-gbk") / "崂山分中心来信.eml").write_bytes(
        foxmail_eml("崂山分中心（李喆）.xlsx", laoshan)
    )
    shibei = lo.save_as(filled(tmp, "msb.xlsx", QD, SHIBEI, fulltime_staff=2), tmp / "msb.ods").read_bytes()
    sent = datetime(2018, 1, 12, 15, 20, tzinfo=CST)
    mail = eml(
        "市北区科技局 刘洋 <liuyang@shibei.example.cn>",
        "市北区分中心考核自报表",
        sent,
        {"市北分中心.ods": shibei},
    )
    (inbox("qd-mail-outlook-msg") / "市北区分中心考核自报表.msg").write_bytes(
        outlook_msg(mail, "liuyang@shibei.example.cn")
    )
    folder = inbox("qd-mail-resent")
    first = eml("李喆 <lizhe@laoshan.example.cn>", "考核自报表", sent, {"崂山分中心.xlsx": laoshan})
    again = eml(
        "李喆 <lizhe@laoshan.example.cn>",
        "重发：考核自报表",
        sent + timedelta(days=1),
        {"崂山分中心.xlsx": laoshan},
    )
    (folder / "考核自报表.eml").write_bytes(first.as_bytes())
    (folder / "重发：考核自报表.eml".replace("：", "_")).write_bytes(again.as_bytes())
    folder = inbox("qd-mail-correction-later-mail")
    original = lo.save_as(
        filled(tmp, "mo.xlsx", QD, LAOSHAN, fulltime_staff=2), tmp / "mo_lo.xlsx"
    ).read_bytes()
    corrected = without_core_properties(
        lo.save_as(filled(tmp, "mc.xlsx"), tmp / "mc_lo.xlsx"), tmp / "mc_nocore.xlsx"
    )
    (folder / "1.eml").write_bytes(
        eml("李喆 <lizhe@laoshan.example.cn>", "考核自报表", sent, {"崂山分中心.xlsx": original}).as_bytes()
    )
    later = eml(
        "李喆 <lizhe@laoshan.example.cn>",
        "更正：考核自报表",
        sent + timedelta(days=3),
        {"崂山分中心.xlsx": corrected.read_bytes()},
    )
    (folder / "2.eml").write_bytes(later.as_bytes())
    folder = inbox("qd-mail-no-attachment")
    (folder / "崂山.eml").write_bytes(first.as_bytes())
    forgot = eml("市北区科技局 刘洋 <liuyang@shibei.example.cn>", "市北区分中心考核自报表", sent, {})
    (folder / "市北.eml").write_bytes(forgot.as_bytes())


def _retyped_guangdong(path: Path, labels: dict[str, str] | None = None) -> None:
    """A clerk's own table typed from the notice: labels without units or with half-width brackets and
    spaces, 服务企业数量 twice under its two categories, one row (新三板) left out; `labels` replaces some."""

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "数据"
    ws.append(["地市分中心评估数据统计表"])
    ws.append(["名称", "中山火炬高新区分中心"])
    ws.append(["编号", "GD02"])
    ws.append(["评估年度", "2019年"])
    ws.append(["一级指标", "二级指标", "数量"])
    category = ""
    for n, ind in enumerate(GD.self_indicators):
        if ind.id == "ipo_neeq":
            continue
        label = ind.label
        if n % 3 == 0:
            label = label.replace("（", "(").replace("）", ")")
        elif n % 3 == 1:
            label = label.rsplit("（", 1)[0]
        else:
            label = label.replace("（", " （")
        label = (labels or {}).get(ind.id, label)
        ws.append([ind.category if ind.category != category else None, label, 20 + n])
        category = ind.category
    wb.save(path)


def _retyped_qingdao(
    path: Path, units: dict[str, str] | None = None, commas: dict[str, str] | None = None
) -> None:
    """Qingdao's table retyped with the unit written after each label (人员配备（名）), no value header;
    `units` writes another unit word after some, `commas` another comma for their 、."""

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "自报表"
    ws.append(["分中心名称", "崂山区科技金融服务分中心"])
    ws.append(["编号", "QD01"])
    ws.append(["考核年度", 2017])
    for ind in QD.self_indicators:
        label = ind.label.replace("、", (commas or {}).get(ind.id, "、"))
        ws.append([ind.category, label + (units or {}).get(ind.id, f"（{ind.unit}）"), QD_BASE[ind.id]])
    wb.save(path)


def _retyped_values_left_of_labels(path: Path) -> None:
    """Qingdao's table retyped with the figures in the first column and the labels after them."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["分中心名称", "崂山区科技金融服务分中心"])
    ws.append(["编号", "QD01"])
    ws.append(["考核年度", 2017])
    ws.append(["数量", "指标"])
    for ind in QD.self_indicators:
        ws.append([QD_BASE[ind.id], ind.label])
    wb.save(path)


def _retyped_labels(inbox, lo: LibreOffice, tmp: Path, base: Path) -> None:
    """Tables retyped by hand whose labels differ from the form in a unit word or a comma."""
    # 按时提报统计信息的月数（月） for （个月）, 专职人员（人） for （名）, the activity's 、 typed as , (the form's
    # comma): read as the form's rows
    qd = tmp / "units.xlsx"
    _retyped_qingdao(qd, {"monthly_reports": "（月）", "fulltime_staff": "（人）"}, {"finance_events": "，"})
    lo.save_as(qd, inbox("qd-retyped-unit-words-and-commas") / "崂山分中心自填表.xlsx")
    # 撮合贷款金额（元） where the form asks 万元: not read (which unit the figure is in cannot be told), said so;
    # 佛山 sent the form
    gd = inbox("gd-retyped-label-in-yuan")
    yuan = tmp / "yuan.xlsx"
    _retyped_guangdong(yuan, {"loan_amount": "撮合贷款金额（元）"})
    lo.save_as(yuan, gd / "中山火炬高新区分中心自填表.xlsx")
    lo.save_as(filled(tmp, "fs-yuan.xlsx", GD, GD.roster[2]), gd / "佛山分中心.xlsx")


def _names_lost(inbox, lo: LibreOffice, tmp: Path, base: Path) -> None:
    """Files whose name lost its extension on the way (a mail client, a download): read by their content."""
    folder = inbox("qd-name-without-extension")
    lo.save_as(base, tmp / "laoshan.xlsx")
    shutil.copy(tmp / "laoshan.xlsx", folder / "崂山分中心考核表")
    lo.save_as(filled(tmp, "sb-noext.xlsx", QD, SHIBEI), tmp / "shibei.xls")
    with zipfile.ZipFile(folder / "市北分中心附件", "w") as zf:  # a zip of the form, its name cut too
        zf.write(tmp / "shibei.xls", "市北分中心.xls")
    (folder / "说明").write_text("附件为考核表。\n", encoding="utf-8")  # neither: skipped as before


def build_mail(root: Path, cases=None) -> None:
    """Only the saved-mail cases (`python tests/examples/make_examples.py mail`), or only the later clerk
    edits (`... clerk`)."""
    with tempfile.TemporaryDirectory() as work:
        tmp = Path(work)
        make = cases or _mail_cases
        make(functools.partial(_fresh_inbox, root), LibreOffice(tmp), tmp, filled(tmp, "base.xlsx"))


if __name__ == "__main__":
    if sys.argv[1:] == ["mail"]:
        build_mail(HERE)
    elif sys.argv[1:] == ["clerk"]:
        build_mail(HERE, _more_clerk_edits)
    elif sys.argv[1:] == ["slips"]:
        build_mail(HERE, _clerk_slips)
    elif sys.argv[1:] == ["names"]:
        build_mail(HERE, _names_lost)
    elif sys.argv[1:] == ["retyped"]:
        build_mail(HERE, _retyped_labels)
    elif sys.argv[1:] == ["typed"]:
        build_mail(HERE, _typed_by_hand)
    elif sys.argv[1:] == ["placed"]:
        build_mail(HERE, _placed_wrong)
    else:
        build(HERE)
