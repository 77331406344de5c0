"""Mail out: 回执 drafts beside the receipts, 催报 drafts with pre-filled templates, the 催报名单; roster contacts."""

from __future__ import annotations

import email
import email.header
from datetime import datetime, timedelta, timezone
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import openpyxl
from click.testing import CliRunner
from kjjr_fixtures import good_values, real_submission  # noqa: E402

from kjjr_excel.cli import cli  # noqa: E402
from kjjr_excel.domain.scheme import load_scheme  # noqa: E402
from kjjr_excel.read.ingest import ingest  # noqa: E402
from kjjr_excel.read.roster import read_roster  # noqa: E402

QD = load_scheme("qingdao-2017")
CST = timezone(timedelta(hours=8))
ROSTER = (
    "编号,名称,依托单位,联系人,电话,邮箱\n"
    "QD01,市南区科技金融服务分中心,市南区科学技术局,张敏,0532-82871234,shinan@example.cn\n"
    "QD02,市北区科技金融服务分中心,市北区科学技术局,李强,0532-83662345,shibei@example.cn\n"
    "QD03,李沧区科技金融服务分中心,李沧区科学技术局,王磊,0532-87633456,\n"
)


def roster(tmp_path: Path) -> Path:
    path = tmp_path / "名录.csv"
    path.write_text(ROSTER, encoding="utf-8-sig")
    return path


def mail_with(tmp_path: Path, sender: str, subject: str, code: str, name: str, values: dict) -> bytes:
    path = tmp_path / f"{code}.xlsx"
    real_submission(path, QD, center=(code, name), values=values)
    msg = EmailMessage()
    msg["From"] = sender
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime(2018, 1, 5, 9, 30, tzinfo=CST))
    msg.set_content("附件是考核表。")
    msg.add_attachment(
        path.read_bytes(),
        maintype="application",
        subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        filename=f"{name}考核表.xlsx",
    )
    path.unlink()
    return msg.as_bytes()


def parse(path: Path) -> EmailMessage:
    return email.message_from_bytes(path.read_bytes(), policy=policy.default)


def attachments(msg: EmailMessage) -> dict[str, bytes]:
    return {part.get_filename(): part.get_content() for part in msg.iter_attachments()}


def test_roster_reads_contact_phone_and_email(tmp_path):
    entries = read_roster(roster(tmp_path))
    assert [(e.contact, e.phone, e.email) for e in entries] == [
        ("张敏", "0532-82871234", "shinan@example.cn"),
        ("李强", "0532-83662345", "shibei@example.cn"),
        ("王磊", "0532-87633456", ""),
    ]
    assert entries[0].contact_line == "张敏　0532-82871234　shinan@example.cn"


def test_receipts_mail_writes_a_draft_to_the_sender_with_the_receipt_attached(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    bad = good_values(QD, 40)
    bad["monthly_reports"] = 13  # over the bound: an error to fix
    raw = mail_with(tmp_path, "刘工 <liu@example.cn>", "市南报送", "QD01", "市南区科技金融服务分中心", bad)
    (inbox / "市南.eml").write_bytes(raw)
    # a folder file from a center whose address only the roster knows
    real_submission(
        inbox / "市北.xlsx", QD, center=("QD02", "市北区科技金融服务分中心"), values=good_values(QD)
    )
    out = tmp_path / "回执"
    result = CliRunner().invoke(
        cli, ["receipts", "qingdao", str(inbox), "--roster", str(roster(tmp_path)), "-o", str(out), "--mail"]
    )
    assert result.exit_code == 0, result.output
    assert "已生成邮件草稿 2 份" in result.output
    drafts = sorted(out.glob("*.eml"))
    assert [p.stem for p in drafts] == [p.stem for p in sorted(out.glob("*.xlsx"))]  # one beside each receipt
    shinan = parse(next(p for p in drafts if "QD01" in p.name))
    assert shinan["X-Unsent"] == "1"
    assert [a.addr_spec for a in shinan["To"].addresses] == ["liu@example.cn"]  # the sender, not the roster
    assert (
        shinan["Subject"]
        == "青岛市科技金融服务分中心考核（2017年度）填报回执：市南区科技金融服务分中心（有1处需要修改）"
    )
    body = shinan.get_body(("plain",)).get_content()
    assert body.startswith("市南区科技金融服务分中心 刘工：")  # the person it goes to
    assert "2018-01-05 09:30 来信“市南报送”的附件 市南区科技金融服务分中心考核表.xlsx" in body
    assert "信息统计及报送" in body and "qd_stf2015@163.com" in body
    receipt = next(out.glob("回执_QD01_*.xlsx"))
    assert attachments(shinan) == {receipt.name: receipt.read_bytes()}
    shibei = parse(next(p for p in drafts if "QD02" in p.name))
    assert [a.addr_spec for a in shibei["To"].addresses] == ["shibei@example.cn"]
    assert "已收到" in shibei["Subject"]
    assert (
        shibei.get_body(("plain",)).get_content().startswith("市北区科技金融服务分中心 李强：")
    )  # the roster's
    # a mail without a workbook gets its answer too
    empty = EmailMessage()
    empty["From"] = "王五 <ww@example.cn>"
    empty["Subject"] = "考核表"
    empty.set_content("忘了附件")
    (inbox / "忘了附件.eml").write_bytes(empty.as_bytes())
    again = CliRunner().invoke(cli, ["receipts", "qingdao", str(inbox), "-o", str(tmp_path / "r2"), "--mail"])
    assert again.exit_code == 0, again.output
    forgot = parse(tmp_path / "r2" / "回执_未识别_忘了附件.eml")
    assert [a.addr_spec for a in forgot["To"].addresses] == ["ww@example.cn"]
    forgot_body = forgot.get_body(("plain",)).get_content()
    assert "没有可读取的Excel附件" in forgot_body
    # nothing was read: neither the mail nor the receipt may say there is nothing to correct
    assert "未读取到填报表" in forgot["Subject"] and "已收到）" not in forgot["Subject"]
    assert "未读取到填报表，本次报送未计入" in forgot_body and "没有必须修改" not in forgot_body
    assert "来信“考核表”。" in forgot_body and "的附件 忘了附件.eml" not in forgot_body
    texts = [
        c.value
        for row in openpyxl.load_workbook(tmp_path / "r2" / "回执_未识别_忘了附件.xlsx")["回执"].iter_rows()
        for c in row
        if isinstance(c.value, str)
    ]
    assert any(t.startswith("未读取到填报表，本次报送未计入。") for t in texts)
    assert not any("没有必须修改" in t for t in texts)
    assert any(t.startswith("重新报送：") for t in texts)
    # Outlook's RTF mail packed the workbook in winmail.dat: the receipt to the sender says how to send it
    rtf = EmailMessage()
    rtf["From"] = "赵六 <zl@example.cn>"
    rtf["Subject"] = "考核表（RTF）"
    rtf.set_content("见附件")
    rtf.add_attachment(
        b"\x78\x9f\x3e\x22" + b"\0" * 64, maintype="application", subtype="ms-tnef", filename="winmail.dat"
    )
    (inbox / "rtf.eml").write_bytes(rtf.as_bytes())
    third = CliRunner().invoke(cli, ["receipts", "qingdao", str(inbox), "-o", str(tmp_path / "r3"), "--mail"])
    assert third.exit_code == 0, third.output
    body = parse(tmp_path / "r3" / "回执_未识别_rtf.eml").get_body(("plain",)).get_content()
    assert "改为“HTML”或“纯文本”后重新发送" in body and "请联系发件人" not in body
    ws = openpyxl.load_workbook(receipt)["回执"]
    assert "联系人：张敏　0532-82871234　shinan@example.cn" in ws["A3"].value


def test_remind_drafts_attach_the_prefilled_template_and_the_listing_prints_one_page_wide(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    raw = mail_with(
        tmp_path, "刘工 <liu@example.cn>", "市南报送", "QD01", "市南区科技金融服务分中心", good_values(QD)
    )
    (inbox / "市南.eml").write_bytes(raw)
    empty = EmailMessage()
    empty["From"] = "李强 <shibei@example.cn>"
    empty["Subject"] = "考核表"
    empty["Date"] = format_datetime(datetime(2018, 1, 6, 9, 30, tzinfo=CST))
    empty.set_content("忘了附件")
    (inbox / "市北.eml").write_bytes(empty.as_bytes())
    out = tmp_path / "催报"
    result = CliRunner().invoke(
        cli, ["remind", "qingdao", str(inbox), "--roster", str(roster(tmp_path)), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    drafts = sorted(out.glob("*.eml"))
    assert [p.name for p in drafts] == [
        "催报_QD02_市北区科技金融服务分中心.eml",
        "催报_QD03_李沧区科技金融服务分中心.eml",
    ]
    assert "1 份草稿没有收件地址" in result.output  # 李沧 has no 邮箱 and sent nothing
    shibei = parse(drafts[0])
    assert shibei["X-Unsent"] == "1"
    assert [a.addr_spec for a in shibei["To"].addresses] == ["shibei@example.cn"]
    assert (
        shibei["Subject"]
        == "催报：请报送青岛市科技金融服务分中心考核（2017年度）填报表（市北区科技金融服务分中心）"
    )
    body = shibei.get_body(("plain",)).get_content()
    assert "没有附件" in body and "按市科技金融服务中心考核通知规定的时间报送" in body
    ((name, data),) = attachments(shibei).items()
    template = out / "模板" / name
    assert name.endswith("_QD02_市北区科技金融服务分中心.xlsx") and template.read_bytes() == data
    # the attached template is the center's own: name and code locked in, the filler from the roster
    read = ingest(QD, [template])
    (sub,) = read.submissions
    assert (sub.center_code, sub.center_name, sub.filler_name, sub.filler_phone) == (
        "QD02",
        "市北区科技金融服务分中心",
        "李强",
        "0532-83662345",
    )
    assert "李沧" not in parse(drafts[0]).get_body(("plain",)).get_content()
    assert parse(drafts[1])["To"] is None
    listing = next(out.glob("*催报名单.xlsx"))
    ws = openpyxl.load_workbook(listing)["催报名单"]
    assert ws["A1"].value == "青岛市科技金融服务分中心考核（2017年度）催报名单"
    assert ws["A2"].value.endswith("共 2 个分中心未有效报送")
    assert [c.value for c in ws[3]] == ["序号", "编号", "名称", "依托单位", "联系人", "电话", "邮箱", "情况"]
    assert [c.value for c in ws[4]][:7] == ["1", "QD02", "市北区科技金融服务分中心", "市北区科学技术局", "李强",
                                           "0532-83662345", "shibei@example.cn"]  # fmt: skip
    assert ws["A6"].value is None
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)  # as long as it takes


def test_a_draft_is_the_same_bytes_every_time_and_names_survive_old_clients(tmp_path):
    from kjjr_excel.write.drafts import draft_bytes

    name = "青岛市科技金融服务分中心考核_2017_填报模板_QD02_市北区科技金融服务分中心.xlsx"
    one = draft_bytes([("李强", "shibei@example.cn")], "催报", "请报送。\n", [(name, b"PK\x03\x04data")])
    assert one == draft_bytes(
        [("李强", "shibei@example.cn")], "催报", "请报送。\n", [(name, b"PK\x03\x04data")]
    )
    msg = email.message_from_bytes(one, policy=policy.default)
    (part,) = msg.iter_attachments()
    assert part.get_filename() == name and part.get_content() == b"PK\x03\x04data"
    # the RFC 2047 name parameter older Outlook and Foxmail read
    legacy = email.message_from_bytes(one)
    (old,) = [p for p in legacy.walk() if p.get_content_maintype() == "application"]
    assert str(email.header.make_header(email.header.decode_header(old.get_param("name")))) == name


def test_remind_without_a_roster_says_one_is_needed(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    real_submission(inbox / "a.xlsx", QD, center=("QD01", "市南区科技金融服务分中心"), values=good_values(QD))
    result = CliRunner().invoke(cli, ["remind", "qingdao", str(inbox), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2 and "催报需要名录" in result.output
    assert not (tmp_path / "out").exists()


def test_a_receipt_names_the_mails_as_the_clerk_sent_them_not_the_analyst_s_folders(tmp_path):
    """Two mails of one center saved in the analyst's sub-folders: the receipt and its draft say which copy
    was used by each mail's time and subject, never by 收件/2018-01-05/… or the saved mail's file name."""
    inbox = tmp_path / "inbox"
    for n, (day, base) in enumerate(((5, 40), (8, 45)), 1):
        folder = inbox / f"收件{n}"
        folder.mkdir(parents=True)
        raw = mail_with(
            tmp_path,
            "刘工 <liu@example.cn>",
            f"市南报送{n}",
            "QD01",
            "市南区科技金融服务分中心",
            good_values(QD, base),
        )
        raw = raw.replace(b"Fri, 05 Jan 2018 09:30:00 +0800", f"Mon, 0{day} Jan 2018 09:30:00 +0800".encode())
        (folder / f"第{n}封.eml").write_bytes(raw)
    out = tmp_path / "回执"
    result = CliRunner().invoke(cli, ["receipts", "qingdao", str(inbox), "-o", str(out), "--mail"])
    assert result.exit_code == 0, result.output
    body = parse(next(out.glob("回执_QD01*.eml"))).get_body(("plain",)).get_content()
    assert "同一分中心报送了2份" in body and "来信“市南报送2”的附件" in body
    assert "收件1" not in body and "第2封.eml" not in body
    book = openpyxl.load_workbook(next(out.glob("回执_QD01*.xlsx")))
    said = " ".join(
        str(c) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row if c
    )
    assert (
        "同一分中心报送了2份" in said
        and "收件1/第1封.eml ›" not in said.split("同一分中心报送了2份")[1][:200]
    )
