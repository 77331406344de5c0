"""催报 (write.remind): who is reminded and why, the drafts' names and templates, the 催报名单."""

from __future__ import annotations

import email
import re
import shutil
import subprocess
from datetime import datetime
from email import policy
from pathlib import Path

import openpyxl
import pytest
from kjjr_fixtures import good_values, real_submission  # noqa: E402

from kjjr_excel.app import check_inbox  # noqa: E402
from kjjr_excel.domain.scheme import load_scheme  # noqa: E402
from kjjr_excel.read.ingest import ingest  # noqa: E402
from kjjr_excel.write.remind import LISTING_COLUMNS, write_reminders  # noqa: E402

QD = load_scheme("qingdao-2017")
ROSTER = (
    "编号,名称,依托单位,联系人,电话,邮箱\n"
    "QD01,市南区科技金融服务分中心,市南区科学技术局,张敏,0532-82871234,shinan@example.cn\n"
    "QD02,市北区科技金融服务分中心,市北区科学技术局,李强,0532-83662345,shibei@example.cn\n"
    "QD03,李沧区科技金融服务分中心,李沧区科学技术局,王磊,0532-87633456,\n"
)
NOW = datetime(2018, 1, 20, 9, 0)


def checked(tmp_path: Path, files: dict[str, dict[str, object]], years: dict[str, int] | None = None):
    """check_inbox over an inbox of real submissions (center code -> values; years: code -> the year a
    file is for, default the scheme's) and the three-center roster."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    names = dict(line.split(",")[:2] for line in ROSTER.splitlines()[1:])
    for code, values in files.items():
        year = (years or {}).get(code)
        real_submission(inbox / f"{code}.xlsx", QD, center=(code, names[code]), values=values, year=year)
    roster = tmp_path / "名录.csv"
    roster.write_text(ROSTER, encoding="utf-8-sig")
    return check_inbox(QD, [inbox], roster_path=roster)


def body(path: Path) -> str:
    return (
        email.message_from_bytes(path.read_bytes(), policy=policy.default).get_body(("plain",)).get_content()
    )


def test_a_center_whose_file_failed_is_told_why_and_one_that_sent_nothing_is_told_that(tmp_path):
    # 市北 sent last year's file (not ranked this year); 李沧 sent nothing
    run = checked(tmp_path, {"QD01": good_values(QD), "QD02": good_values(QD)}, years={"QD02": 2016})
    listing, drafts = write_reminders(QD, run, tmp_path / "out", now=NOW)
    assert [p.name for p in drafts] == [
        "催报_QD02_市北区科技金融服务分中心.eml",
        "催报_QD03_李沧区科技金融服务分中心.eml",
    ]
    failed = body(drafts[0])
    assert "截至2018年1月20日" in failed and "收到的文件 QD02.xlsx 未通过校验：" in failed
    assert "未收到报送文件" in body(drafts[1])
    ws = openpyxl.load_workbook(listing)["催报名单"]
    assert listing.name == "青岛市科技金融服务分中心考核_2017年度_催报名单.xlsx"
    assert ws["A2"].value == "截至2018年1月20日，共 2 个分中心未有效报送"
    reasons = [ws.cell(row, len(LISTING_COLUMNS)).value for row in (4, 5)]
    assert reasons[0].startswith("收到的文件 QD02.xlsx 未通过校验：") and "2016" in reasons[0]
    assert reasons[1] == "未收到报送文件"
    # each draft's template is the center's own, written under 模板/
    (sub,) = ingest(QD, sorted((tmp_path / "out" / "模板").glob("*_QD03_*.xlsx"))).submissions
    assert (sub.center_code, sub.center_name) == ("QD03", "李沧区科技金融服务分中心")


def test_nobody_missing_gives_an_empty_listing_and_no_drafts(tmp_path):
    run = checked(tmp_path, {code: good_values(QD) for code in ("QD01", "QD02", "QD03")})
    listing, drafts = write_reminders(QD, run, tmp_path / "out", now=NOW)
    assert drafts == [] and not (tmp_path / "out" / "模板").exists()
    ws = openpyxl.load_workbook(listing)["催报名单"]
    assert ws["A2"].value == "截至2018年1月20日，共 0 个分中心未有效报送"
    assert ws["A4"].value == "无" and ws.print_area == "'催报名单'!$A$1:$H$4"


@pytest.mark.libreoffice
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_a_long_listing_prints_at_a_readable_size_over_pages_with_its_header(tmp_path):
    """Early in the season nobody has sent anything: 40 centers were shrunk onto one page, in 4-point type."""
    from kjjr_excel.write.pdf import convert_to_pdf

    rows = ["编号,名称,依托单位,联系人,电话,邮箱"]
    rows += [
        f"QD{n:02d},第{n}区科技金融服务分中心,第{n}区科学技术局,联系人{n},0532-8287{n:04d},"
        for n in range(1, 41)
    ]
    (tmp_path / "inbox").mkdir()
    (tmp_path / "名录.csv").write_text("\n".join(rows) + "\n", encoding="utf-8-sig")
    run = check_inbox(QD, [tmp_path / "inbox"], roster_path=tmp_path / "名录.csv")
    listing, _ = write_reminders(QD, run, tmp_path / "out", now=NOW)
    pdf = convert_to_pdf(listing, tmp_path / "名单.pdf", shutil.which("soffice"))
    xml = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, check=True
    ).stdout.decode()
    pages = xml.split("<page ")[1:]
    assert len(pages) >= 2
    found = re.findall(
        r'xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">(第\d+区科技金融服务分中心)<', xml
    )
    assert sorted(int(re.sub(r"\D", "", name)) for _, _, name in found) == list(range(1, 41))  # each once
    for x0, x1, name in found:  # a CJK character is as wide as its type is large (a digit half as wide)
        assert (float(x1) - float(x0)) / (len(name) - len(re.sub(r"\D", "", name)) / 2) >= 8, name
    for page in pages:  # the header row atop every page
        assert ">序号<" in page and ">情况<" in page


def test_a_center_whose_mail_held_only_winmail_dat_is_told_what_to_change(tmp_path):
    """It was told its mail had no attachment, to a clerk who had attached the file: Outlook in rich-text
    format had packed it into winmail.dat."""
    from email.message import EmailMessage

    checked(tmp_path, {"QD01": good_values(QD), "QD03": good_values(QD)})  # the inbox and the roster
    msg = EmailMessage()
    msg["From"] = "李强 <shibei@example.cn>"
    msg["Subject"] = "市北报送"
    msg.set_content("附件是考核表")
    msg.add_attachment(
        b"\x78\x9f\x3e\x22\x01\x00", maintype="application", subtype="ms-tnef", filename="winmail.dat"
    )
    (tmp_path / "inbox" / "市北.eml").write_bytes(msg.as_bytes())
    run = check_inbox(QD, [tmp_path / "inbox"], roster_path=tmp_path / "名录.csv")
    _, (draft,) = write_reminders(QD, run, tmp_path / "out", now=NOW)
    text = body(draft)
    assert (
        "来信“市北报送”没有可读取的Excel附件（邮件附件 winmail.dat 是Outlook" in text
        and "没有附件" not in text
    )
    assert "改为“HTML”或“纯文本”后重新发送" in text
