"""Saved e-mails in the inbox: attachments read as if they lay in the folder, each with its mail."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import subprocess
import zipfile
from datetime import UTC, datetime, timedelta, timezone
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest
from kjjr_fixtures import good_values, real_submission  # noqa: E402

from kjjr_excel.domain.scheme import load_scheme  # noqa: E402
from kjjr_excel.domain.validate import validate  # noqa: E402
from kjjr_excel.read.inbox import collect_files  # noqa: E402
from kjjr_excel.read.ingest import ingest  # noqa: E402
from kjjr_excel.read.mail import decode_name, read_mail  # noqa: E402

QD = load_scheme("qingdao-2017")
CST = timezone(timedelta(hours=8))
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook(tmp_path: Path, code: str, name: str, base: int = 40, saved: datetime | None = None) -> bytes:
    path = tmp_path / f"wb_{code}_{base}_{saved.timestamp() if saved else 0}.xlsx"
    real_submission(path, QD, center=(code, name), values=good_values(QD, base), saved=saved)
    return path.read_bytes()


def mail(
    sender: str,
    subject: str,
    attachments: list[tuple[str, bytes]],
    sent: datetime = datetime(2018, 1, 5, 9, 30, tzinfo=CST),
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "qd_stf2015@163.com"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(sent)
    msg.set_content("您好，附件是我单位的考核表，请查收。")
    for name, data in attachments:
        maintype, subtype = (XLSX if name.endswith(".xlsx") else "application/octet-stream").split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg


def is_workbook(name: str) -> bool:
    return name.lower().endswith((".xlsx", ".xls"))


# ---------------------------------------------------------------------------------------------- names


def test_utf8_attachment_name_and_origin(tmp_path):
    data = workbook(tmp_path, "QD01", "市南区分中心")
    raw = mail("张三 <zhangsan@example.cn>", "报送：市南区分中心考核表", [("市南区考核表.xlsx", data)])
    content = read_mail(raw.as_bytes(), "inbox/张三.eml", is_workbook)
    assert [f.display for f in content.files] == ["inbox/张三.eml › 市南区考核表.xlsx"]
    assert content.files[0].data == data
    origin = content.files[0].origin
    assert (origin.sender, origin.sender_name, origin.subject) == (
        "zhangsan@example.cn",
        "张三",
        "报送：市南区分中心考核表",
    )
    assert origin.sent_at == datetime(2018, 1, 5, 9, 30, tzinfo=CST)
    assert origin.sent_utc == datetime(2018, 1, 5, 1, 30)
    assert not content.findings


GBK_NAME = "李喆的考核表.xlsx"  # 喆 is in GBK but not in GB2312: clients label such text gb2312 all the same


def _mime(filename_params: str, subject: bytes, data: bytes) -> bytes:
    body = base64.encodebytes(data).decode("ascii")
    return (
        b"From: =?GB2312?B?" + base64.b64encode("李喆".encode("gbk")) + b"?= <lizhe@example.cn>\r\n"
        b"Subject: " + subject + b"\r\n"
        b"Date: Fri, 5 Jan 2018 10:00:00 +0800\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="XX"\r\n\r\n'
        b"--XX\r\nContent-Type: text/plain; charset=gbk\r\n\r\n" + "附件".encode("gbk") + b"\r\n"
        b"--XX\r\nContent-Type: application/octet-stream\r\n"
        b"Content-Transfer-Encoding: base64\r\n"
        b"Content-Disposition: attachment; "
        + filename_params
        + b"\r\n\r\n"
        + body.encode()
        + b"\r\n--XX--\r\n"
    )


@pytest.mark.parametrize(
    "params",
    [
        # Outlook and Foxmail: an RFC 2047 word inside the parameter, labelled gb2312
        b'filename="=?gb2312?B?' + base64.b64encode(GBK_NAME.encode("gbk")) + b'?="',
        # RFC 2231, as Thunderbird writes it
        b"filename*=gbk''" + "".join(f"%{b:02X}" for b in GBK_NAME.encode("gbk")).encode(),
        # raw 8-bit GBK, as some web mail saves it
        b'filename="' + GBK_NAME.encode("gbk") + b'"',
        # RFC 2231 with the name left unencoded, as some web mail and phone clients write it: the mail was
        # unreadable as a whole (文字编码错误), every attachment lost
        b"filename*=gbk''" + GBK_NAME.encode("gbk"),
        b"filename*=UTF-8''" + GBK_NAME.encode("utf-8"),
        # a name in two RFC 2231 pieces, the first %-encoded, the second raw
        b"filename*0*=UTF-8''"
        + "".join(f"%{b:02X}" for b in "李喆".encode()).encode()
        + b'; filename*1="'
        + GBK_NAME[2:].encode()
        + b'"',
    ],
    ids=["rfc2047-gb2312", "rfc2231-gbk", "raw-gbk", "rfc2231-raw-gbk", "rfc2231-raw-utf8", "rfc2231-mixed"],
)
def test_gbk_attachment_names_are_decoded(tmp_path, params):
    data = workbook(tmp_path, "QD02", "市北区分中心")
    raw = _mime(params, b"=?GBK?B?" + base64.b64encode("报送考核表".encode("gbk")) + b"?=", data)
    content = read_mail(raw, "李喆.eml", is_workbook)
    assert [f.name for f in content.files] == [GBK_NAME]
    assert content.files[0].data == data
    assert content.origin.sender_name == "李喆"
    assert content.origin.subject == "报送考核表"


def test_a_sender_named_last_comma_first_keeps_the_address(tmp_path):
    """Outlook's 'Zhang, San' order, as Python's email writes it: one encoded word holding the comma. Decoded
    before the address was parsed, the sender was '张' with no address, and the receipt had no one to go to."""
    from email.headerregistry import Address

    data = workbook(tmp_path, "QD02", "市北区分中心")
    msg = mail("x@example.cn", "市北报送", [("市北.xlsx", data)])
    del msg["From"]
    msg["From"] = Address("张, 三", addr_spec="zs@example.cn")
    raw = msg.as_bytes(policy=policy.SMTP)
    assert b"From: =?utf-8?b?" in raw  # the comma inside the encoded word
    content = read_mail(raw, "市北.eml", is_workbook)
    assert (content.origin.sender, content.origin.sender_name) == ("zs@example.cn", "张, 三")


@pytest.mark.parametrize("raw", ["市南区科技局 张敏", "Zhang Min"])
def test_a_sender_named_without_an_address_keeps_the_whole_name(raw):
    """Outlook's .msg gives the sender's display name alone: not cut at its first space (区科技局 办公室)."""
    from kjjr_excel.read.mail import _sender

    assert _sender(raw) == (raw, "")


def test_raw_text_beside_encoded_words_is_read_as_text():
    """A web mail puts raw 回复： before the encoded subject it answers: email hands the raw part back as
    raw-unicode-escape bytes, and the subject read '\\u56de\\u590d\\uff1a考核表'."""
    word = b"=?GBK?B?" + base64.b64encode("考核表".encode("gbk")) + b"?="
    raw = _mime(b'filename="a.xlsx"', "回复：".encode() + word, b"x")
    raw = raw.replace(b"From: =?GB2312?B?", "From: 市南区 ".encode() + b"=?GB2312?B?")
    content = read_mail(raw, "m.eml", is_workbook)
    assert content.origin.subject == "回复：考核表"
    assert content.origin.sender_name == "市南区 李喆"


def test_raw_gbk_subject_is_decoded():
    assert decode_name(("gb2312", "", "喆".encode("gbk").decode("latin-1"))) == "喆"
    raw = _mime(b'filename="a.txt"', "考核表（市北）".encode("gbk"), b"x")
    content = read_mail(raw, "m.eml", is_workbook)
    assert content.origin.subject == "考核表（市北）"


# ---------------------------------------------------------------------------------------------- zip, nesting


@pytest.mark.skipif(shutil.which("zip") is None, reason="needs Info-ZIP's zip")
def test_zip_attachment_made_by_info_zip_with_gbk_names(tmp_path):
    """Info-ZIP (like Windows' compressed folders on a Chinese system) stores names in the local code page
    without the UTF-8 flag; the zip is opened as inbox.py opens one of the folder."""
    data = workbook(tmp_path, "QD03", "黄岛区分中心")
    folder = tmp_path / "zipme"
    folder.mkdir()
    with open(os.path.join(os.fsencode(folder), "黄岛区考核表.xlsx".encode("gbk")), "wb") as fh:
        fh.write(data)
    (folder / "说明.txt").write_bytes("备注".encode("gbk"))
    archive = tmp_path / "a.zip"
    env = {**os.environ, "LANG": "C", "LC_ALL": "C"}
    subprocess.run(["zip", "-q", "-r", str(archive), "."], cwd=folder, check=True, env=env)
    with zipfile.ZipFile(archive) as zf:
        assert not any(i.flag_bits & 0x800 for i in zf.infolist())  # really not marked UTF-8
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    raw = mail("黄岛 <hd@example.cn>", "考核材料", [("考核材料.zip", archive.read_bytes())])
    (inbox / "hd.eml").write_bytes(raw.as_bytes())
    result = ingest(QD, [inbox])
    (sub,) = result.submissions
    assert sub.file == "hd.eml › 考核材料.zip › 黄岛区考核表.xlsx" and sub.center_code == "QD03"
    assert sub.sha256 == hashlib.sha256(data).hexdigest()
    assert [o.sender for o in sub.origins] == ["hd@example.cn"]
    skipped = [f.file for f in result.findings if f.code == "file-skipped"]
    assert skipped == ["hd.eml › 考核材料.zip › 说明.txt"]


def test_a_zip_bomb_inside_a_mail_is_refused_before_inflating(tmp_path):
    import io

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("bomb.xlsx", b"\0" * (60 * 2**20))
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "m.eml").write_bytes(mail("x <x@example.cn>", "炸弹", [("bomb.zip", buf.getvalue())]).as_bytes())
    files, findings, _ = collect_files([inbox])
    assert not files
    assert [(f.code, f.file) for f in findings] == [
        ("file-unsafe", "m.eml › bomb.zip › bomb.xlsx")
    ]  # the entry


def test_forwarded_mail_is_read_one_level_deep(tmp_path):
    data = workbook(tmp_path, "QD04", "崂山区分中心")
    inner = mail("崂山 <ls@example.cn>", "考核表", [("崂山.xlsx", data)])
    deeper = mail("x <x@example.cn>", "更早", [("更早.eml", inner.as_bytes())])
    outer = EmailMessage()
    outer["From"] = "转发人 <fw@example.cn>"
    outer["Subject"] = "转发：考核表"
    outer["Date"] = format_datetime(datetime(2018, 1, 6, 8, 0, tzinfo=CST))
    outer.set_content("转发")
    outer.add_attachment(inner)  # message/rfc822
    outer.add_attachment(deeper.as_bytes(), maintype="application", subtype="octet-stream", filename="旧.eml")
    content = read_mail(outer.as_bytes(), "fw.eml", is_workbook)
    assert [f.name for f in content.files] == ["崂山.xlsx"]
    assert content.files[0].origin.sender == "fw@example.cn"  # the mail the analyst saved
    # the clerk who wrote the forwarded mail is answered first, then the office that forwarded it
    origin = content.files[0].origin
    assert origin.answered == [("崂山", "ls@example.cn"), ("转发人", "fw@example.cn")]
    assert "转发人 <fw@example.cn>（转发 崂山 <ls@example.cn> 的来信）" in origin.describe()
    assert "mail-nested-too-deep" in [f.code for f in content.findings]


def test_an_old_version_forwarded_later_does_not_replace_the_correction(tmp_path):
    # the center sends v1 at 09:00 and its correction at 15:00; next day an office forwards the v1 mail: the
    # forward's own time made v1 the newest (合格 instead of 良好). A version is dated by the mail it came in.
    v1 = workbook(tmp_path, "QD04", "崂山区分中心", base=10)
    v2 = workbook(tmp_path, "QD04", "崂山区分中心", base=60)
    first = mail(
        "崂山 <ls@example.cn>", "报送", [("崂山.xlsx", v1)], sent=datetime(2018, 1, 16, 9, tzinfo=CST)
    )
    fixed = mail(
        "崂山 <ls@example.cn>", "更正", [("崂山.xlsx", v2)], sent=datetime(2018, 1, 16, 15, tzinfo=CST)
    )
    forward = mail("办公室 <of@example.cn>", "转发：报送", [], sent=datetime(2018, 1, 17, 9, tzinfo=CST))
    forward.add_attachment(first)  # message/rfc822
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "b_更正.eml").write_bytes(fixed.as_bytes())
    (inbox / "c_转发.eml").write_bytes(forward.as_bytes())
    result = ingest(QD, [inbox], jobs=1)
    accepted, findings = validate(QD, result.submissions, year=2017)
    assert [s.file for s in accepted] == ["b_更正.eml › 崂山.xlsx"]
    forwarded = next(s for s in result.submissions if s.file.startswith("c_"))
    origin = forwarded.origins[0]
    # the mail saved is still the forward: its sender is shown and answered; the version keeps its own time
    assert origin.sender == "of@example.cn" and origin.version_utc == datetime(2018, 1, 16, 1)
    assert any(f.code == "duplicate-submission" and "邮件发送时间最新" in f.message for f in findings)


def test_a_reply_still_carrying_the_first_attachment_does_not_replace_the_correction(tmp_path):
    """v1 on the 12th, the corrected v2 on the 14th, then on the 18th a reply that still carries v1 (the same
    bytes): v1 is one submission brought by two mails, and it was first sent on the 12th. It scored 53 不合格
    instead of 62 合格, "邮件发送时间最新" said of the oldest mail (a helper's analyst test)."""
    v1 = workbook(tmp_path, "QD04", "崂山区分中心", base=10)
    v2 = workbook(tmp_path, "QD04", "崂山区分中心", base=60)
    sent = [datetime(2018, 1, day, 9, tzinfo=CST) for day in (12, 14, 18)]
    mails = [
        ("a_报送.eml", mail("崂山 <ls@example.cn>", "考核表", [("崂山.xlsx", v1)], sent=sent[0])),
        ("b_更正.eml", mail("崂山 <ls@example.cn>", "更正", [("崂山.xlsx", v2)], sent=sent[1])),
        ("c_回复.eml", mail("崂山 <ls@example.cn>", "回复：考核表", [("崂山.xlsx", v1)], sent=sent[2])),
    ]
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name, message in mails:
        (inbox / name).write_bytes(message.as_bytes())
    result = ingest(QD, [inbox], jobs=1)
    accepted, findings = validate(QD, result.submissions, year=2017)
    assert [s.file for s in accepted] == ["b_更正.eml › 崂山.xlsx"]
    (kept,) = [f for f in findings if f.code == "duplicate-submission" and f.file == "b_更正.eml › 崂山.xlsx"]
    assert "已采用 b_更正.eml › 崂山.xlsx（邮件发送时间最新）" in kept.message


def _parts_mail(parts: bytes) -> bytes:
    """A mail from a web mail or an Exchange server: its multipart body given as written after the text."""
    return (
        b"From: =?GBK?B?" + base64.b64encode("赵六".encode("gbk")) + b"?= <zl@example.cn>\r\n"
        b"Subject: =?GBK?B?" + base64.b64encode("城阳报送".encode("gbk")) + b"?=\r\n"
        b"Date: Fri, 5 Jan 2018 10:00:00 +0800\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="XX"\r\n\r\n'
        b"--XX\r\nContent-Type: text/plain; charset=gbk\r\n\r\n" + "附件".encode("gbk") + b"\r\n"
        b"--XX\r\n" + parts + b"\r\n--XX--\r\n"
    )


def test_a_workbook_attached_without_any_name_is_read_by_its_type(tmp_path):
    """It was passed over as if it were body text, and the mail said to have no attachment."""
    data = workbook(tmp_path, "QD05", "城阳区分中心")
    part = (
        b"Content-Type: " + XLSX.encode() + b"\r\nContent-Disposition: attachment\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(data)
    )
    octets = b"Content-Type: application/octet-stream\r\nContent-Disposition: attachment\r\n\r\nxx"
    content = read_mail(_parts_mail(part + b"\r\n--XX\r\n" + octets), "城阳.eml", is_workbook)
    assert [(f.display, f.data) for f in content.files] == [("城阳.eml › 未命名附件.xlsx", data)]
    # an attachment of no name and no workbook's type is said, not passed over unseen
    assert [(f.code, f.file) for f in content.findings] == [("file-skipped", "城阳.eml › 未命名附件")]


def test_a_workbook_of_no_name_no_disposition_and_a_generic_type_is_read_by_its_bytes(tmp_path):
    """application/octet-stream with neither a name nor Content-Disposition (some web mail): a workbook by its
    bytes is read (its name lost: said), a text is still the body."""
    data = workbook(tmp_path, "QD05", "城阳区分中心")
    part = (
        b"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(data)
    )
    content = read_mail(_parts_mail(part), "城阳.eml", lambda name: False)
    assert [(f.display, f.data) for f in content.files] == [("城阳.eml › 未命名附件", data)]
    assert [f.code for f in content.findings] == ["file-no-extension"]


def test_an_encrypted_mail_says_why_its_attachment_is_not_read(tmp_path):
    """An opaque S/MIME mail (the whole body smime.p7m) holds the workbook encrypted: the mail is said to have
    none readable, and the p7m is listed with what the sender can do."""
    raw = (
        b"From: a <a@example.cn>\r\nSubject: x\r\nDate: Fri, 5 Jan 2018 10:00:00 +0800\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(b"0\x82\x01\x00" + bytes(200))
    )
    content = read_mail(raw, "加密.eml", is_workbook)
    said = {f.code: f.message for f in content.findings}
    assert set(said) == {"file-skipped", "mail-no-attachment"}
    assert "邮件是加密的（S/MIME" in said["file-skipped"] and "不加密" in said["file-skipped"]


def test_an_attachment_cut_short_in_a_truncated_mail_is_said_damaged_not_text(tmp_path):
    """A mail file cut in the middle of its base64: the attachment is an incomplete workbook (file-corrupt),
    not 'a text file' (the email package hands back the base64 text when it cannot decode it)."""
    data = workbook(tmp_path, "QD05", "城阳区分中心")
    full = mail("a <a@example.cn>", "报送", [("cy.xlsx", data)]).as_bytes()
    cut = full[: full.index(b"UEsDB") + len(base64.b64encode(data)) // 2 + 3]  # not a multiple of 4
    (tmp_path / "inbox").mkdir()
    (tmp_path / "inbox" / "截断.eml").write_bytes(cut)
    result = ingest(QD, [tmp_path / "inbox"])
    assert result.submissions == []
    assert [(f.code, f.file) for f in result.findings] == [("file-corrupt", "截断.eml › cy.xlsx")]


def test_a_mail_attached_base64_encoded_is_read(tmp_path):
    """A forwarded mail attached as message/rfc822 in base64 (RFC 2046 forbids it; Exchange writes it): email
    parsed the base64 text as a mail with no headers, and the workbook inside was lost."""
    data = workbook(tmp_path, "QD05", "城阳区分中心")
    inner = mail("城阳 <cy@example.cn>", "考核表", [("城阳区考核表.xlsx", data)]).as_bytes()
    part = (
        b"Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n"
        b'Content-Disposition: attachment; filename="=?GBK?B?'
        + base64.b64encode("考核表".encode("gbk"))
        + b'?="'
        b"\r\n\r\n" + base64.encodebytes(inner)
    )
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "转发.eml").write_bytes(_parts_mail(part))
    result = ingest(QD, [inbox])
    (sub,) = result.submissions
    assert sub.file == "转发.eml › 考核表.eml › 城阳区考核表.xlsx" and sub.center_code == "QD05"
    assert [(o.sender, o.subject) for o in sub.origins] == [("zl@example.cn", "城阳报送")]
    assert not [f for f in result.findings if f.code.startswith("mail-")]


def test_winmail_dat_says_it_is_outlook_rich_text_and_what_the_sender_does(tmp_path):
    tnef = b"\x78\x9f\x3e\x22\x01\x00" + b"\x00" * 64  # the TNEF signature Outlook starts winmail.dat with
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "rtf.eml").write_bytes(
        mail("赵六 <zl@example.cn>", "城阳报送", [("winmail.dat", tnef)]).as_bytes()
    )
    result = ingest(QD, [inbox])
    (skipped,) = [f for f in result.findings if f.code == "file-skipped"]
    assert skipped.file == "rtf.eml › winmail.dat"
    assert "RTF格式" in skipped.message and "改为“HTML”或“纯文本”后重新发送" in skipped.message
    assert "mail-no-attachment" in [f.code for f in result.findings]


# ---------------------------------------------------------------------------------------------- the inbox


def test_mail_without_attachment_is_a_finding_naming_sender_and_subject(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "问题.eml").write_bytes(mail("王五 <ww@example.cn>", "请问截止时间？", []).as_bytes())
    result = ingest(QD, [inbox])
    assert not result.submissions
    (finding,) = [f for f in result.findings if f.code == "mail-no-attachment"]
    assert finding.file == "问题.eml"
    assert "王五 <ww@example.cn>" in finding.message and "请问截止时间？" in finding.message


def test_garbage_named_eml_is_a_finding_not_a_crash(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "坏.msg").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    result = ingest(QD, [inbox])
    assert [f.code for f in result.findings] == ["mail-unreadable"]
    assert "（Outlook邮件文件（.msg）结构损坏）" in result.findings[0].message  # said in Chinese
    assert [f.status for f in result.files] == ["无法读取"]


def test_a_file_named_eml_that_is_no_mail_is_unreadable_not_a_mail_without_attachment(tmp_path):
    """A workbook renamed .eml, a .msg that is not Outlook's: no header at all, yet it was said to be a mail
    from （发件人不详） with no attachment, and the analyst told to ask that sender to send it again."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "考核表.eml").write_bytes(workbook(tmp_path, "QD01", "市南区分中心"))
    (inbox / "坏.msg").write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
    result = ingest(QD, [inbox])
    assert sorted((f.code, f.file) for f in result.findings) == [
        ("mail-unreadable", "坏.msg"),
        ("mail-unreadable", "考核表.eml"),
    ]
    assert all("已损坏" in f.message for f in result.findings)
    assert [f.status for f in result.files] == ["无法读取", "无法读取"]


def test_multipart_nested_1500_deep_is_said_in_chinese(tmp_path):
    # the finding said "RecursionError: maximum recursion depth exceeded while getting the str of an object"
    levels = "".join(f'--B{k}\nContent-Type: multipart/mixed; boundary="B{k + 1}"\n\n' for k in range(1500))
    raw = 'From: a@example.cn\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="B0"\n\n' + levels
    content = read_mail(raw.encode(), "深.eml", is_workbook)
    (finding,) = content.findings
    assert finding.code == "mail-unreadable" and "嵌套" in finding.message
    assert not any("a" <= ch.lower() <= "z" for ch in finding.message.replace(".eml", ""))


def test_inbox_of_mails_reads_attachments_with_provenance(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shinan = workbook(tmp_path, "QD01", "市南区分中心")
    raw = mail("张三 <zhangsan@example.cn>", "市南报送", [("市南.xlsx", shinan), ("照片.jpg", b"\xff\xd8")])
    (inbox / "市南.eml").write_bytes(raw.as_bytes())
    before = (inbox / "市南.eml").read_bytes()
    result = ingest(QD, [inbox])
    (sub,) = result.submissions
    assert sub.file == "市南.eml › 市南.xlsx" and sub.center_code == "QD01"
    assert [o.sender for o in sub.origins] == ["zhangsan@example.cn"]
    rows = {f.file: f for f in result.files}
    assert rows["市南.eml"].status == "邮件（已读取附件）"
    assert rows["市南.eml › 市南.xlsx"].status == "已读取"
    assert rows["市南.eml › 市南.xlsx"].origin == sub.origins[0]
    assert rows["市南.eml › 照片.jpg"].status == "已跳过"
    assert (inbox / "市南.eml").read_bytes() == before  # inputs never modified


def test_same_attachment_in_two_mails_is_one_submission_naming_both(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    data = workbook(tmp_path, "QD01", "市南区分中心")
    first = mail(
        "张三 <zs@example.cn>", "报送", [("市南.xlsx", data)], datetime(2018, 1, 5, 9, 0, tzinfo=CST)
    )
    again = mail(
        "张三 <zs@example.cn>", "重发", [("市南.xlsx", data)], datetime(2018, 1, 6, 9, 0, tzinfo=CST)
    )
    (inbox / "1.eml").write_bytes(first.as_bytes())
    (inbox / "2.eml").write_bytes(again.as_bytes())
    result = ingest(QD, [inbox])
    (sub,) = result.submissions
    assert [o.subject for o in sub.origins] == ["报送", "重发"]
    (dup,) = [f for f in result.findings if f.code == "attachment-duplicate"]
    assert "1.eml" in dup.message and "2.eml" in dup.message
    accepted, findings = validate(QD, result.submissions, year=2017)
    assert len(accepted) == 1
    assert "duplicate-submission" not in [f.code for f in findings]


def test_duplicates_by_mail_are_decided_by_sent_time_when_saved_times_disagree(tmp_path):
    """The clerk fixed the file on a machine whose clock is a year behind and mailed it again: the mail sent
    last is the one that counts."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    newer_saved = workbook(tmp_path, "QD01", "市南区分中心", 40, datetime(2018, 1, 4, 9, 0))
    older_saved = workbook(tmp_path, "QD01", "市南区分中心", 45, datetime(2017, 1, 4, 9, 0))
    first = mail("张三 <zs@example.cn>", "报送", [("a.xlsx", newer_saved)], datetime(2018, 1, 5, tzinfo=CST))
    fixed = mail(
        "张三 <zs@example.cn>", "修改后", [("b.xlsx", older_saved)], datetime(2018, 1, 8, tzinfo=CST)
    )
    (inbox / "1.eml").write_bytes(first.as_bytes())
    (inbox / "2.eml").write_bytes(fixed.as_bytes())
    result = ingest(QD, [inbox])
    accepted, findings = validate(QD, result.submissions, year=2017)
    assert [s.file for s in accepted] == ["2.eml › b.xlsx"]
    dup = [f for f in findings if f.code == "duplicate-submission"]
    assert dup and "邮件发送时间" in dup[0].message


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("Mon, 08 Jan 2018 11:00:00", "2018-01-08 11:00"),  # no zone: Beijing time
        ("Wed, 10 Jan 2018 11:00:00 GMT+0800", "2018-01-10 11:00"),  # Python alone drops the +0800
        ("Wed, 10 Jan 2018 20:00:00 CST", "2018-01-10 20:00"),  # China Standard Time, not US Central
        ("Mon, 08 Jan 2018 03:00:00 -0000", "2018-01-08 11:00"),  # UTC, the sender's zone unknown
        ("Mon, 08 Jan 2018 03:00:00 GMT", "2018-01-08 11:00"),
        ("Mon, 08 Jan 2018 11:00:00 +0800 (CST)", "2018-01-08 11:00"),
        ("2018-01-08 11:00:00", "2018-01-08 11:00"),
        ("Fri, 31 Dec 9999 23:00:00 -1200", "（发送时间不详）"),  # out of range: unknown, never a crash
        ("31 Feb 2018 11:00:00 +0800", "（发送时间不详）"),
    ],
)
def test_a_mail_s_date_is_read_as_chinese_mail_programs_mean_it(raw, shown):
    from kjjr_excel.domain.model import MailOrigin
    from kjjr_excel.read.mail import mail_time

    assert MailOrigin(file="m.eml", sent_at=mail_time(raw)).sent_text == shown


def test_a_correction_dated_with_a_zone_beats_an_original_dated_without_one(tmp_path):
    """The first mail says 11:00 with no zone (Beijing time), the correction 15:00 +0800: the correction is the
    later one, as both are shown; a mail dated year 9999 beside them does not stop the batch."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    first = mail("张三 <zs@example.cn>", "报送", [("a.xlsx", workbook(tmp_path, "QD01", "市南区分中心", 40))])
    fixed = mail(
        "张三 <zs@example.cn>", "修改后", [("b.xlsx", workbook(tmp_path, "QD01", "市南区分中心", 45))]
    )
    odd = mail("李四 <ls@example.cn>", "报送", [("c.xlsx", workbook(tmp_path, "QD02", "市北区分中心", 45))])
    dates = (
        "Mon, 08 Jan 2018 11:00:00",
        "Mon, 08 Jan 2018 15:00:00 +0800",
        "Fri, 31 Dec 9999 23:00:00 -1200",
    )
    for n, (msg, date) in enumerate(zip((first, fixed, odd), dates, strict=True), 1):
        raw = re.sub(rb"(?m)^Date: .*$", b"Date: " + date.encode(), msg.as_bytes(), count=1)
        (inbox / f"{n}.eml").write_bytes(raw)  # as written: the email package would add -0000
    result = ingest(QD, [inbox])
    accepted, _ = validate(QD, result.submissions, year=2017)
    assert sorted(s.file for s in accepted) == ["2.eml › b.xlsx", "3.eml › c.xlsx"]


@pytest.mark.parametrize("name", ["收件箱导出.eml", "收件箱.mbox", "Inbox"])
def test_a_mailbox_of_several_mails_is_read_mail_by_mail(tmp_path, name):
    """An mbox (Thunderbird keeps a folder as one, named Inbox; an export may say .eml or .mbox) holds mails
    one after another, each after a "From " line: every mail is read, none dropped after the first."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    centers = [("QD01", "市南区分中心"), ("QD02", "市北区分中心"), ("QD04", "崂山区分中心")]
    mails = [
        mail(f"{code} <{code.lower()}@example.cn>", "报送", [(f"{code}.xlsx", workbook(tmp_path, code, who))])
        for code, who in centers
    ]
    text = b"".join(
        b"From - Mon Jan 08 11:00:00 2018\n" + m.as_bytes().replace(b"\r\n", b"\n") + b"\n" for m in mails
    )
    (inbox / name).write_bytes(text)
    result = ingest(QD, [inbox])
    assert sorted(s.center_code for s in result.submissions) == ["QD01", "QD02", "QD04"]
    assert sorted(s.file for s in result.submissions) == [
        f"{name} › 第{n}封邮件 › {code}.xlsx" for n, (code, _) in enumerate(centers, 1)
    ]
    said = [f for f in result.findings if f.code == "mail-mailbox"]
    assert len(said) == 1 and "其中有 3 封邮件" in said[0].message
    one = inbox / "one.eml"  # a single saved mail that starts with a "From " line is one mail, even when its
    (inbox / name).unlink()  # text has a line starting "From " after a blank line (a quoted reply)
    quoted = (
        mails[0]
        .as_bytes()
        .replace("您好，附件是我单位的考核表，请查收。".encode(), "您好。\n\nFrom 张敏 的回复：".encode())
    )
    one.write_bytes(b"From - Mon Jan 08 11:00:00 2018\n" + quoted)
    result = ingest(QD, [inbox])
    assert [s.file for s in result.submissions] == ["one.eml › QD01.xlsx"]
    assert not [f for f in result.findings if f.code == "mail-mailbox"]


def test_outlook_msg_fixture_is_read(tmp_path):
    """The .msg is produced by aspose-email-foss (an MIT library that writes Outlook .msg files) from a mail
    built with `email`, with the transport headers and sender address Outlook keeps for a received mail,
    and read back by extract-msg as the tool does."""
    from aspose.email_foss.msg import CommonMessagePropertyId, MapiMessage, PropertyTypeCode

    data = workbook(tmp_path, "QD05", "城阳区分中心")
    source = mail("赵六 <zl@example.cn>", "城阳报送", [("城阳区考核表.xlsx", data)])
    msg = MapiMessage.from_email_message(source)
    msg.set_property(
        CommonMessagePropertyId.SENDER_EMAIL_ADDRESS, PropertyTypeCode.PTYP_STRING, "zl@example.cn"
    )
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "城阳.msg").write_bytes(msg.to_bytes())
    result = ingest(QD, [inbox])
    (sub,) = result.submissions
    assert sub.file == "城阳.msg › 城阳区考核表.xlsx" and sub.center_code == "QD05"
    (origin,) = sub.origins
    assert (origin.sender, origin.subject) == ("zl@example.cn", "城阳报送")
    assert origin.sent_utc == datetime(2018, 1, 5, 1, 30)
    assert origin.sent_at.astimezone(UTC) == datetime(2018, 1, 5, 1, 30, tzinfo=UTC)
    assert origin.sent_text == "2018-01-05 09:30"  # as the clerk's Outlook shows it, not the UTC it keeps


def test_our_own_draft_saved_into_the_inbox_is_not_a_submission(tmp_path):
    """A 催报 draft carries the blank pre-filled template of a center that sent nothing: kept in the inbox,
    it was read as that center's submission, which was ranked 不合格 with 摘牌预警 instead of listed 未提交."""
    from click.testing import CliRunner

    from kjjr_excel.cli import cli

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    data = workbook(tmp_path, "QD01", "市南区科技金融服务分中心")
    (inbox / "市南.eml").write_bytes(
        mail("张三 <zs@example.cn>", "市南报送", [("市南.xlsx", data)]).as_bytes()
    )
    roster = tmp_path / "名录.csv"
    roster.write_text(
        "编号,名称,依托单位,邮箱\nQD01,市南区科技金融服务分中心,甲,zs@example.cn\n"
        "QD02,市北区科技金融服务分中心,乙,sb@example.cn\n",
        encoding="utf-8-sig",
    )
    run = CliRunner().invoke(
        cli, ["remind", "qingdao", str(inbox), "--roster", str(roster), "-o", str(tmp_path / "催报")]
    )
    assert run.exit_code == 0, run.output
    (draft,) = (tmp_path / "催报").glob("*.eml")
    (inbox / "已发").mkdir()
    shutil.copy(draft, inbox / "已发")  # the mails of the season in one folder, this one too
    result = ingest(QD, [inbox])
    assert [s.center_code for s in result.submissions] == ["QD01"]
    shown = f"已发/{draft.name}"
    (finding,) = [f for f in result.findings if f.code == "mail-draft"]
    assert finding.file == shown and "尚未发出的邮件草稿" in finding.message
    assert {f.file: f.status for f in result.files}[shown] == "已跳过"
    assert not [f for f in result.findings if f.file.startswith(shown + " ›")]


def test_a_mail_with_too_many_attachments_is_read_in_part(tmp_path):
    from kjjr_excel.read import mail as mailbox

    data = workbook(tmp_path, "QD01", "市南区分中心")
    many = [(f"{n:03d}.xlsx", data) for n in range(mailbox.MAX_ATTACHMENTS + 5)]
    content = read_mail(mail("群发 <q@example.cn>", "很多附件", many).as_bytes(), "many.eml", is_workbook)
    assert len(content.files) == mailbox.MAX_ATTACHMENTS
    assert [f.code for f in content.findings] == ["mail-unsafe"]


def run_on_one_mail(tmp_path: Path, command: str, out: Path):
    """`kjjr COMMAND qingdao inbox -o OUT` on an inbox of one mail from 张三 carrying 市南.xlsx."""
    from click.testing import CliRunner

    from kjjr_excel.cli import cli

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    data = workbook(tmp_path, "QD01", "市南区分中心")
    (inbox / "市南.eml").write_bytes(
        mail("张三 <zs@example.cn>", "市南报送", [("市南.xlsx", data)]).as_bytes()
    )
    return CliRunner().invoke(cli, [command, "qingdao", str(inbox), "-o", str(out)])


def test_ranking_shows_each_mail_on_raw_data_and_notes(tmp_path):
    import openpyxl

    out = tmp_path / "排名.xlsx"
    result = run_on_one_mail(tmp_path, "rank", out)
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(out)
    raw = wb["原始数据"]
    header = [c.value for c in raw[1]]
    col = header.index("来源邮件（发件人，发送时间，主题，邮件文件）")
    assert raw.cell(2, 1).value == "市南.eml › 市南.xlsx"
    assert (
        raw.cell(2, col + 1).value
        == "张三 <zs@example.cn>，2018-01-05 09:30，主题“市南报送”，邮件文件 市南.eml"
    )
    notes = [[c.value for c in row] for row in wb["说明"].iter_rows()]
    at = next(n for n, row in enumerate(notes) if row[:2] == ["文件", "状态"])
    assert notes[at][4] == "来源邮件"
    rows = {row[0]: row for row in notes[at + 1 :]}
    assert rows["市南.eml"][1] == "邮件（已读取附件）"
    assert rows["市南.eml › 市南.xlsx"][4].startswith("张三 <zs@example.cn>")


def test_outlook_msg_forwarding_an_outlook_message_reads_the_inner_attachment(tmp_path):
    from aspose.email_foss.msg import MapiMessage

    data = workbook(tmp_path, "QD06", "西海岸新区分中心")
    inner = MapiMessage.from_email_message(mail("原发件人 <a@example.cn>", "报送", [("西海岸.xlsx", data)]))
    outer = MapiMessage.from_email_message(mail("转发人 <fw@example.cn>", "转发：报送", []))
    outer.add_embedded_message_attachment(inner, filename="报送.msg")
    content = read_mail(outer.to_bytes(), "fw.msg", is_workbook)
    assert [(f.display, f.data == data) for f in content.files] == [("fw.msg › 报送.msg › 西海岸.xlsx", True)]
    assert content.files[0].origin.subject == "转发：报送"


@pytest.mark.libreoffice
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
@pytest.mark.skipif(shutil.which("ssconvert") is None, reason="Gnumeric (ssconvert) not installed")
def test_workbooks_saved_by_libreoffice_and_gnumeric_read_from_one_mail(tmp_path):
    """What a clerk without Excel sends: an .xls saved by LibreOffice and an .ods saved by Gnumeric."""
    from decimal import Decimal

    lo_values, gn_values = good_values(QD, 31), good_values(QD, 33)
    real_submission(tmp_path / "lo.xlsx", QD, center=("QD07", "即墨区分中心"), values=lo_values)
    real_submission(tmp_path / "gn.xlsx", QD, center=("QD08", "胶州市分中心"), values=gn_values)
    profile = (tmp_path / "lo-profile").as_uri()
    subprocess.run(
        ["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", "xls", "--outdir",
         str(tmp_path / "lo"), str(tmp_path / "lo.xlsx")],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    subprocess.run(
        ["ssconvert", str(tmp_path / "gn.xlsx"), str(tmp_path / "gn.ods")], check=True, capture_output=True
    )
    raw = mail(
        "两个分中心 <two@example.cn>",
        "即墨、胶州报送",
        [
            ("即墨.xls", (tmp_path / "lo" / "lo.xls").read_bytes()),
            ("胶州.ods", (tmp_path / "gn.ods").read_bytes()),
        ],
    )
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "报送.eml").write_bytes(raw.as_bytes())
    result = ingest(QD, [inbox])
    got = {s.file: (s.center_code, s.file_format) for s in result.submissions}
    assert got == {"报送.eml › 即墨.xls": ("QD07", "xls"), "报送.eml › 胶州.ods": ("QD08", "ods")}
    by_code = {s.center_code: s for s in result.submissions}
    for code, values in (("QD07", lo_values), ("QD08", gn_values)):
        assert {k: cv.value for k, cv in by_code[code].values.items()} == {
            k: Decimal(str(v)) for k, v in values.items()
        }
        assert [o.sender for o in by_code[code].origins] == ["two@example.cn"]


def test_validate_report_lists_each_file_with_its_mail(tmp_path):
    import openpyxl

    out = tmp_path / "校验.xlsx"
    result = run_on_one_mail(tmp_path, "validate", out)
    assert result.exit_code == 0, result.output
    rows = [[c.value for c in row] for row in openpyxl.load_workbook(out)["文件清单"].iter_rows()]
    assert rows[0] == ["文件", "状态", "大小（字节）", "SHA-256", "来源邮件"]
    by_file = {row[0]: row for row in rows[1:]}
    assert by_file["市南.eml › 市南.xlsx"][4].startswith(
        "张三 <zs@example.cn>，2018-01-05 09:30，主题“市南报送”"
    )


def test_attachments_read_in_forked_workers_equal_a_serial_read(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    books = [workbook(tmp_path, f"QD{n:02d}", f"分中心{n}") for n in range(1, 31)]
    for m in range(3):  # 90 attachments in three mails: more than the two chunks a fork needs
        sent = datetime(2018, 1, 5 + m, 9, 0, tzinfo=CST)
        raw = mail(
            f"发件人{m} <s{m}@example.cn>", f"第{m}批", [(f"{n}.xlsx", b) for n, b in enumerate(books)], sent
        )
        (inbox / f"{m}.eml").write_bytes(raw.as_bytes())
    serial = ingest(QD, [inbox], jobs=1)
    forked = ingest(QD, [inbox], jobs=2)
    assert len(serial.submissions) == 30  # each workbook three times: one submission naming three mails
    assert all(len(s.origins) == 3 for s in serial.submissions)
    assert forked.submissions == serial.submissions
    assert forked.findings == serial.findings and forked.files == serial.files


def test_outlook_messages_embedded_90_deep_are_read_one_level_in_bounded_memory(tmp_path):
    # extract-msg loaded every level eagerly: this 500 KB file took 2.6 GB (1.5 GB: MemoryError, unreadable)
    import json
    import sys

    from aspose.email_foss.msg import MapiMessage

    inner = MapiMessage.from_email_message(mail("a <a@example.cn>", "报送", [("a.xlsx", b"PK")]))
    for level in range(90):
        outer = MapiMessage.from_email_message(mail("fw <fw@example.cn>", f"转发{level}", []))
        outer.add_embedded_message_attachment(inner, filename=f"fw{level}.msg")
        inner = outer
    (tmp_path / "deep.msg").write_bytes(inner.to_bytes())
    cap = 1536 * 2**20
    code = (
        f"import resource, json, pathlib; resource.setrlimit(resource.RLIMIT_AS, ({cap}, {cap}))\n"
        "from kjjr_excel.read.mail import read_mail\n"
        f"data = pathlib.Path({str(tmp_path / 'deep.msg')!r}).read_bytes()\n"
        "print(json.dumps([f.code for f in read_mail(data, 'deep.msg', lambda n: True).findings]))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout) == ["mail-nested-too-deep", "mail-no-attachment"]


def test_a_mail_of_thousands_of_parts_is_refused_before_it_is_parsed():
    # 20,000 one-byte attachments (3.5 MB): 11 s and 20,000 findings; a 200 MB one would take minutes
    raw = mail("a <a@example.cn>", "很多附件", [])
    for n in range(20_000):
        raw.add_attachment(b"x", maintype="text", subtype="plain", filename=f"n{n}.txt")
    content = read_mail(raw.as_bytes(), "多.eml", is_workbook)
    assert [f.code for f in content.findings] == ["mail-unreadable"] and content.files == []
    assert "20002 个部分" in content.findings[0].message


def test_a_signature_picture_in_the_text_is_not_listed_as_left_out(tmp_path):
    data = workbook(tmp_path, "QD01", "市南区分中心")
    msg = mail("张三 <zhangsan@example.cn>", "考核表", [])
    msg.add_alternative('<p>附件是考核表。</p><img src="cid:image001.png@01DA">', subtype="html")
    html = msg.get_payload()[1]
    # Outlook's signature logo: inline, with a name and the Content-ID the HTML shows it by
    html.make_related()
    html.add_related(
        b"\x89PNG\r\n\x1a\n",
        maintype="image",
        subtype="png",
        cid="<image001.png@01DA>",
        disposition="inline",
        filename="image001.png",
    )
    msg.add_attachment(data, maintype="application", subtype="vnd.ms-excel", filename="市南区.xlsx")
    msg.add_attachment(b"\xff\xd8\xff", maintype="image", subtype="jpeg", filename="盖章页.jpg")
    content = read_mail(msg.as_bytes(), "inbox/张三.eml", is_workbook)
    assert [f.display for f in content.files] == ["inbox/张三.eml › 市南区.xlsx"]
    # the photo attached is said to be left out (it may be what the clerk meant to send); the logo is not
    assert [(f.code, f.file) for f in content.findings] == [("file-skipped", "inbox/张三.eml › 盖章页.jpg")]


def test_an_attached_workbook_whose_name_lost_its_extension_is_read_by_its_content(tmp_path):
    import io

    import docx

    word = io.BytesIO()
    docx.Document().save(word)
    data = workbook(tmp_path, "QD01", "崂山区科技金融服务分中心")
    msg = mail("a@b.cn", "考核表", [("崂山分中心考核表", data), ("通知", word.getvalue())])
    content = read_mail(msg.as_bytes(), "崂山.eml", is_workbook)
    assert [(f.display, f.data) for f in content.files] == [("崂山.eml › 崂山分中心考核表", data)]
    assert sorted((f.code, f.file) for f in content.findings) == [
        ("file-no-extension", "崂山.eml › 崂山分中心考核表"),
        ("file-skipped", "崂山.eml › 通知"),  # a Word document without its .docx: not a workbook
    ]


def test_an_attached_zip_whose_name_lost_its_extension_is_opened(tmp_path):
    # a mail client that drops the extension of a zip of workbooks left the center on 未提交: the attachment
    # was "not an Excel file" although its bytes are a zip holding the clerk's workbook
    data = workbook(tmp_path, "QD01", "崂山区科技金融服务分中心")
    packed = tmp_path / "packed.zip"
    with zipfile.ZipFile(packed, "w") as zf:
        zf.writestr("崂山分中心考核表.xlsx", data)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    msg = mail("a@b.cn", "考核表", [("崂山分中心材料", packed.read_bytes())])
    (inbox / "崂山.eml").write_bytes(msg.as_bytes())
    result = ingest(QD, [inbox])
    assert [s.center_code for s in result.submissions] == ["QD01"]
    assert [s.file for s in result.submissions] == ["崂山.eml › 崂山分中心材料 › 崂山分中心考核表.xlsx"]
    assert [(f.code, f.file) for f in result.findings if f.code == "file-no-extension"] == [
        ("file-no-extension", "崂山.eml › 崂山分中心材料")
    ]
