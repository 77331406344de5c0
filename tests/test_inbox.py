"""The inbox: folders and .zip attachments expanded into the files to read, each named as the clerk sees it."""

from __future__ import annotations

import io
import re
import zipfile
from decimal import Decimal
from pathlib import Path

from kjjr_fixtures import good_values, real_submission  # noqa: E402

from kjjr_excel.domain.scheme import load_scheme  # noqa: E402
from kjjr_excel.read.inbox import collect_files  # noqa: E402
from kjjr_excel.read.ingest import ingest  # noqa: E402

GD = load_scheme("guangdong-2019")


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def gbk_zip(path: Path, members: dict[str, bytes]) -> Path:
    """A zip whose member names are GBK bytes without the UTF-8 flag, as Windows' own zipper writes them on a
    Chinese machine: written under ASCII stand-ins of the same length, whose bytes are then replaced."""
    stand_ins = {}
    for n, name in enumerate(members):
        raw = name.encode("gbk")
        stand_ins[name] = (f"{n:0{len(raw)}d}".encode(), raw)
    _zip(path, {stand_ins[name][0].decode(): data for name, data in members.items()})
    data = path.read_bytes()
    for ascii_name, raw in stand_ins.values():
        assert data.count(ascii_name) == 2  # the local header and the central directory
        data = data.replace(ascii_name, raw)
    path.write_bytes(data)
    return path


def _book(tmp_path: Path, name: str, center: tuple[str, str], **values) -> bytes:
    vals = good_values(GD)
    vals.update(values)
    return real_submission(tmp_path / name, GD, center=center, values=vals).read_bytes()


def test_workbooks_inside_a_zip_are_read_and_named_by_archive_and_member(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _zip(
        inbox / "附件.zip",
        {
            "顺德分中心.xlsx": _book(tmp_path, "a.xlsx", ("GD05", "江门分中心")),
            "材料/汕头分中心.xlsx": _book(tmp_path, "b.xlsx", ("GD01", "汕头分中心"), loan_banks="30项"),
            "说明.docx": b"PK",
            "__MACOSX/._顺德分中心.xlsx": b"x",
        },
    )
    result = ingest(GD, [inbox], jobs=1)
    assert [s.file for s in result.submissions] == [
        "附件.zip › 材料/汕头分中心.xlsx",
        "附件.zip › 顺德分中心.xlsx",
    ]
    wrong_unit = [f for f in result.findings if f.code == "value-unit-wrong"]
    assert [f.file for f in wrong_unit] == ["附件.zip › 材料/汕头分中心.xlsx"]
    skipped = [f for f in result.findings if f.code == "file-skipped"]
    assert [f.file for f in skipped] == ["附件.zip › 说明.docx"]
    assert {i.file: i.status for i in result.files}["附件.zip › 顺德分中心.xlsx"] == "已读取"
    assert all(len(i.sha256) == 64 for i in result.files if i.status == "已读取")


def test_gbk_member_names_as_windows_zips_them(tmp_path):
    archive = gbk_zip(
        tmp_path / "报送.zip",
        {"汕头分中心2019年报表.xlsx": _book(tmp_path, "a.xlsx", ("GD01", "汕头分中心"))},
    )
    with zipfile.ZipFile(archive) as z:
        assert not z.infolist()[0].flag_bits & 0x800  # no UTF-8 flag: zipfile alone reads mojibake
    found, findings, _ = collect_files([archive])
    assert [d for _, d in found] == ["报送.zip › 汕头分中心2019年报表.xlsx"] and findings == []
    result = ingest(GD, [archive], jobs=1)
    assert result.submissions[0].values["loan_banks"].value == Decimal(good_values(GD)["loan_banks"])


def test_a_zip_inside_a_zip_one_level_deep_at_most(tmp_path):
    book = _book(tmp_path, "a.xlsx", ("GD01", "汕头分中心"))
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as z:
        z.writestr("汕头.xlsx", book)
    deeper = io.BytesIO()
    with zipfile.ZipFile(deeper, "w") as z:
        z.writestr("inner.zip", inner.getvalue())
    archive = _zip(tmp_path / "outer.zip", {"inner.zip": inner.getvalue(), "deeper.zip": deeper.getvalue()})
    found, findings, skipped = collect_files([archive])
    assert [d for _, d in found] == ["outer.zip › inner.zip › 汕头.xlsx"]
    assert [(f.code, f.file) for f in findings] == [("file-skipped", "outer.zip › deeper.zip › inner.zip")]
    assert "嵌套" in findings[0].message
    result = ingest(GD, [archive], jobs=1)
    assert [s.center_code for s in result.submissions] == ["GD01"]


def test_zip_bomb_and_broken_archives_are_findings(tmp_path):
    # the bomb refused on its own: the center's workbook beside it in the same zip is still read
    bomb = _zip(tmp_path / "bomb.zip", {"big.xlsx": b"\0" * (50 * 2**20), "城阳区.xlsx": b"PK-stand-in"})
    broken = tmp_path / "cut.zip"
    broken.write_bytes(bomb.read_bytes()[:200])
    rar = tmp_path / "a.rar"
    rar.write_bytes(b"Rar!")
    found, findings, skipped = collect_files([bomb, broken, rar])
    assert [c.display for c in found] == ["bomb.zip › 城阳区.xlsx"]
    assert [(f.code, f.file) for f in findings] == [
        ("file-unsafe", "bomb.zip › big.xlsx"),
        ("file-corrupt", "cut.zip"),
        ("file-skipped", "a.rar"),
    ]
    assert "压缩炸弹" in findings[0].message and "解压" in findings[2].message
    assert [i.status for i in skipped] == ["无法读取", "无法读取", "已跳过"]


def test_a_cut_zip_of_stored_workbooks_is_corrupt_not_its_last_whole_member(tmp_path):
    # zipped without compression (as some mail clients and Windows' 发送到 do): cut in the third member, the
    # last directory in the file was the second workbook's own, so that one alone was read as "the .zip"
    archive = tmp_path / "材料_下载中断.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as zf:
        for n, (code, name) in enumerate(
            [("GD01", "汕头分中心"), ("GD05", "江门分中心"), ("GD07", "湛江分中心")]
        ):
            zf.writestr(f"{name}.xlsx", _book(tmp_path, f"{n}.xlsx", (code, name)))
    data = archive.read_bytes()
    third = data.rfind(b"PK\x03\x04", 0, data.find("湛江".encode()) + 8)
    archive.write_bytes(data[: third + (len(data) - third) // 2])
    result = ingest(GD, [archive], jobs=1)
    assert result.submissions == []
    assert [(f.code, f.file) for f in result.findings] == [("file-corrupt", "材料_下载中断.zip")]
    assert "不完整" in result.findings[0].message


def test_a_member_whose_directory_lies_about_its_size_is_refused(tmp_path):
    book = _book(tmp_path, "a.xlsx", ("GD01", "汕头分中心"))
    archive = _zip(tmp_path / "lie.zip", {"a.xlsx": book})
    data = bytearray(archive.read_bytes())
    # shrink the declared size in the central directory (offset 24 of its entry)
    at = data.rfind(b"PK\x01\x02")
    data[at + 24 : at + 28] = (100).to_bytes(4, "little")
    archive.write_bytes(bytes(data))
    result = ingest(GD, [archive], jobs=1)
    assert result.submissions == []
    assert [f.code for f in result.findings] == ["file-corrupt"] and result.findings[
        0
    ].file == "lie.zip › a.xlsx"


def test_a_member_the_system_cannot_read_is_said_in_chinese(tmp_path):
    """A directory that places the member before the zip's start (a cut or badly joined download) made the
    system's seek fail, and its English text went into the Chinese finding: （Invalid argument）."""
    book = _book(tmp_path, "a.xlsx", ("GD01", "汕头分中心"))
    archive = _zip(tmp_path / "报送.zip", {"a.xlsx": book})
    data = bytearray(archive.read_bytes())
    end = data.rfind(b"PK\x05\x06")  # the end record: where the directory starts, at offset 16
    start = int.from_bytes(data[end + 16 : end + 20], "little")
    data[end + 16 : end + 20] = (start + 100_000).to_bytes(4, "little")
    archive.write_bytes(bytes(data))
    result = ingest(GD, [archive], jobs=1)
    assert result.submissions == []
    [finding] = result.findings
    assert (finding.code, finding.file) == ("file-corrupt", "报送.zip › a.xlsx")
    assert "a.xlsx 无法解压" in finding.message and "压缩包的目录已损坏" in finding.message
    assert not re.search(r"[A-Za-z]{3}", re.sub(r"xlsx|Excel", "", finding.message)), finding.message


def test_a_workbook_named_zip_is_read_as_the_workbook_it_is(tmp_path):
    renamed = tmp_path / "汕头分中心.zip"
    renamed.write_bytes(_book(tmp_path, "a.xlsx", ("GD01", "汕头分中心")))
    result = ingest(GD, [renamed], jobs=1)
    assert [s.file for s in result.submissions] == ["汕头分中心.zip"]
    assert [f.code for f in result.findings] == ["file-extension-mismatch"]


def test_archive_members_read_in_worker_processes_as_in_one(tmp_path):
    book = _book(tmp_path, "a.xlsx", ("GD01", "汕头分中心"))
    archive = _zip(tmp_path / "many.zip", {f"{n:02d}.xlsx": book for n in range(60)})  # > 2 chunks: forked
    serial = ingest(GD, [archive], jobs=1)
    parallel = ingest(GD, [archive], jobs=2)
    assert len(serial.submissions) == 60 and serial.submissions == parallel.submissions
    assert serial.files == parallel.files and serial.findings == parallel.findings


def test_a_member_under_a_zip_password_is_said_to_be_so(tmp_path):
    archive = _zip(tmp_path / "locked.zip", {"a.xlsx": _book(tmp_path, "a.xlsx", ("GD01", "汕头分中心"))})
    data = bytearray(archive.read_bytes())
    local, central = data.find(b"PK\x03\x04"), data.rfind(b"PK\x01\x02")
    data[local + 6] |= 0x1  # the "encrypted" flag, in the local header and in the central directory
    data[central + 8] |= 0x1
    archive.write_bytes(bytes(data))
    found, findings, skipped = collect_files([archive])
    assert found == [] and [(f.code, f.file) for f in findings] == [
        ("archive-member-encrypted", "locked.zip › a.xlsx")
    ]
    assert "密码" in findings[0].message and findings[0].severity.name == "ERROR"
    assert [(s.file, s.status) for s in skipped] == [("locked.zip › a.xlsx", "无法读取")]


def test_two_entries_of_one_name_are_each_read_and_told_apart(tmp_path):
    # zipfile's getinfo gives the last entry of a name: the first workbook was never read, the second twice
    import warnings

    archive = tmp_path / "两份.zip"
    with warnings.catch_warnings(), zipfile.ZipFile(archive, "w") as z:
        warnings.simplefilter("ignore")  # zipfile warns of the duplicate name it is asked to write
        z.writestr("报表.xlsx", _book(tmp_path, "a.xlsx", ("GD01", "汕头分中心")))
        z.writestr("报表.xlsx", _book(tmp_path, "b.xlsx", ("GD05", "江门分中心")))
    found, findings, _ = collect_files([archive])
    assert (
        sorted(d for _, d in found) == ["两份.zip › 报表 (2).xlsx", "两份.zip › 报表.xlsx"] and findings == []
    )
    result = ingest(GD, [archive], jobs=1)
    assert sorted(s.center_code for s in result.submissions) == ["GD01", "GD05"]


def test_a_member_under_dot_dot_is_read_in_memory_never_dropped_unsaid(tmp_path):
    # a '..' folder counted as hidden: the workbook was left out without a word
    book = _book(tmp_path, "a.xlsx", ("GD01", "汕头分中心"))
    archive = _zip(tmp_path / "up.zip", {"../../报表.xlsx": book, "..\\旧\\江门.xlsx": b"x"})
    before = set(tmp_path.parent.iterdir())
    found, findings, _ = collect_files([archive])
    assert sorted(d for _, d in found) == ["up.zip › ../../报表.xlsx", "up.zip › ..\\旧\\江门.xlsx"]
    result = ingest(GD, [archive], jobs=1)
    assert [s.center_code for s in result.submissions] == ["GD01"]
    assert set(tmp_path.parent.iterdir()) == before  # nothing written beside the inbox


def test_zips_inside_a_zip_count_together_and_a_big_one_is_not_inflated_per_file(tmp_path, monkeypatch):
    # 50 zips of 1,999 files each: each zip under the limit, 99,950 files in all (over two minutes, unbounded)
    from kjjr_excel.read import inbox as inbox_mod

    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as z:
        for n in range(1999):
            z.writestr(f"f{n}.xlsx", b"x")
    many = _zip(tmp_path / "many.zip", {f"z{n}.zip": inner.getvalue() for n in range(50)})
    found, findings, _ = collect_files([many])
    assert found == [] and [(f.code, f.file) for f in findings] == [("file-unsafe", "many.zip › z0.zip")]
    assert "共包含 2049 个文件，此压缩包及其后的压缩包均未读取" in findings[0].message  # once, not 50 times

    # a zip inside a zip is inflated again for each of its files: its size times their count is bounded
    def inner_zip(files: int) -> bytes:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as z:
            for n in range(files):
                z.writestr(f"f{n}.xlsx", b"x")
        return out.getvalue()

    big, small = inner_zip(100), inner_zip(10)
    monkeypatch.setattr(inbox_mod, "MAX_NESTED_INFLATE", 20 * len(big))
    mixed = _zip(tmp_path / "mixed.zip", {"big.zip": big, "small.zip": small})
    found, findings, _ = collect_files([mixed])
    assert len(found) == 10 and [(f.code, f.file) for f in findings] == [
        ("file-unsafe", "mixed.zip › big.zip")
    ]
    assert "又含 100 个文件，读取会耗时过长" in findings[0].message


def test_rar_or_7z_named_zip_is_said_to_be_what_it_is(tmp_path):
    rar, seven = tmp_path / "a.zip", tmp_path / "b.zip"
    rar.write_bytes(b"Rar!\x1a\x07\x00" + b"\0" * 64)
    seven.write_bytes(b"7z\xbc\xaf\x27\x1c" + b"\0" * 64)
    found, findings, _ = collect_files([rar, seven])
    assert found == [] and [f.code for f in findings] == ["file-skipped", "file-skipped"]
    assert "RAR压缩包" in findings[0].message and "7z压缩包" in findings[1].message


def test_a_form_in_a_format_not_read_is_a_warning_that_says_how_to_resave(tmp_path):
    """A form saved as .csv, .gnumeric or .xlsb (in the folder, in a zip, attached to a mail) was only a
    提示 "不是Excel文件", easy to miss while the center drops out: a 警告 naming the format and the fix."""
    from email.message import EmailMessage

    (tmp_path / "崂山分中心_考核指标.csv").write_text("序号,类别,内容\n", encoding="utf-8")
    (tmp_path / "市北.gnumeric").write_bytes(b"\x1f\x8b")
    (tmp_path / "说明.docx").write_bytes(b"PK")
    with zipfile.ZipFile(tmp_path / "附件.zip", "w") as z:
        z.writestr("李沧.xlsb", b"PK")
    mail = EmailMessage()
    mail["From"], mail["Subject"] = "a@b.cn", "报表"
    mail.set_content("见附件")
    mail.add_attachment(b"a,b\n", maintype="text", subtype="csv", filename="黄岛.csv")
    (tmp_path / "来信.eml").write_bytes(mail.as_bytes())
    result = ingest(GD, [tmp_path], jobs=1)
    found = {f.file: (f.code, f.severity.value, f.message) for f in result.findings}
    assert found["说明.docx"][:2] == ("file-skipped", "提示")
    for name, kind in (
        ("崂山分中心_考核指标.csv", "CSV文本文件"),
        ("市北.gnumeric", "Gnumeric 格式"),
        ("附件.zip › 李沧.xlsb", "Excel 二进制工作簿"),
        ("来信.eml › 黄岛.csv", "CSV文本文件"),
    ):
        code, severity, message = found[name]
        assert (code, severity) == ("file-other-format", "警告") and kind in message and "另存" in message
    assert {i.file: i.status for i in result.files}["市北.gnumeric"] == "已跳过"


def test_a_file_whose_name_lost_its_extension_is_read_by_its_content(tmp_path):
    """A mail client or a download may drop .xlsx: a workbook or a zip without an extension is read, with a
    提示 saying so; a text file, and a FIFO (never opened to wait on), are skipped as before."""
    import os

    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "汕头分中心").write_bytes(_book(tmp_path, "st.xlsx", ("GD01", "汕头分中心")))
    _zip(
        folder / "佛山附件",
        {
            "佛山分中心.xlsx": _book(tmp_path, "fs.xlsx", ("GD03", "佛山分中心")),
            "顺德分中心": _book(tmp_path, "sd.xlsx", ("GD04", "顺德分中心")),  # in the zip, without one too
            "备注": b"see the forms",
        },
    )
    (folder / "说明").write_text("见附件\n", encoding="utf-8")
    os.mkfifo(folder / "管道")
    result = ingest(GD, [folder], jobs=1)
    assert sorted(s.center_code for s in result.submissions) == ["GD01", "GD03", "GD04"]
    found = sorted((f.file, f.code) for f in result.findings)
    assert found == [
        ("佛山附件", "file-no-extension"),
        ("佛山附件 › 备注", "file-skipped"),
        ("佛山附件 › 顺德分中心", "file-no-extension"),
        ("汕头分中心", "file-no-extension"),
        ("管道", "file-skipped"),
        ("说明", "file-skipped"),
    ]
    said = {f.file: f.message for f in result.findings}
    assert "作为压缩包读取" in said["佛山附件"] and "作为Excel工作簿读取" in said["汕头分中心"]


def test_a_name_with_a_dot_a_cut_file_and_a_mail_without_extension_are_looked_at(tmp_path):
    """崂山区考核表2017.12.31 seems to have the extension .31; a download cut short without its .xlsx must be
    said damaged, not 不是Excel文件 (its center would drop out unsaid); a saved mail without .eml is read as
    the mail it is, its workbook with it."""
    from email.message import EmailMessage

    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "汕头分中心考核表2019.12.31").write_bytes(_book(tmp_path, "st.xlsx", ("GD01", "汕头分中心")))
    (folder / "佛山分中心考核表").write_bytes(_book(tmp_path, "fs.xlsx", ("GD03", "佛山分中心"))[:6000])
    mail = EmailMessage()
    mail["From"], mail["Subject"], mail["Date"] = "sd@b.cn", "顺德考核表", "Fri, 05 Jan 2018 09:30:00 +0800"
    mail.set_content("见附件")
    data = _book(tmp_path, "sd.xlsx", ("GD04", "顺德分中心"))
    mail.add_attachment(data, maintype="application", subtype="octet-stream", filename="顺德分中心.xlsx")
    (folder / "顺德来信").write_bytes(mail.as_bytes())
    (folder / "说明.txt").write_text("To: 各分中心\n请按时报送。\n", encoding="utf-8")  # text, with a .txt
    result = ingest(GD, [folder], jobs=1)
    assert sorted(s.center_code for s in result.submissions) == ["GD01", "GD04"]
    codes = sorted((f.file, f.code, f.severity.value) for f in result.findings)
    assert codes == [
        ("佛山分中心考核表", "file-corrupt", "错误"),
        ("佛山分中心考核表", "file-no-extension", "提示"),
        ("汕头分中心考核表2019.12.31", "file-no-extension", "提示"),
        ("说明.txt", "file-skipped", "提示"),
        ("顺德来信", "file-no-extension", "提示"),
    ]
    said = {f.file: f.message for f in result.findings if f.code == "file-no-extension"}
    assert said["汕头分中心考核表2019.12.31"].startswith("文件名的扩展名“.31”不是Excel文件的扩展名")
    assert "作为邮件读取。以后请在文件名后保留扩展名（如 .eml）" in said["顺德来信"]


def test_hidden_names_that_may_be_submissions_are_said_wherever_they_are(tmp_path):
    """An attachment saved with no name (".xlsx"), a dot-named workbook inside a zip and a ".附件" folder (not
    hidden in Windows' Explorer) were left out without a line: their centers only showed as 未提交. Each is
    now listed as skipped, saying to remove the dot; a .DS_Store or a .git folder stays unmentioned."""
    inbox = tmp_path / "inbox"
    (inbox / ".附件").mkdir(parents=True)
    (inbox / ".git").mkdir()
    (inbox / ".git" / "config").write_text("x")
    (inbox / ".DS_Store").write_bytes(b"\0")
    (inbox / ".xlsx").write_bytes(b"PK")
    (inbox / ".附件" / "崂山.xlsx").write_bytes(b"PK")
    with zipfile.ZipFile(inbox / "西海岸.zip", "w") as zf:
        zf.writestr(".西海岸.xlsx", b"PK")
    collected = collect_files([inbox])
    skipped = sorted((f.file, f.code) for f in collected.findings)
    assert skipped == [
        (".xlsx", "file-skipped"),
        (".附件", "file-skipped"),
        ("西海岸.zip › .西海岸.xlsx", "file-skipped"),
    ]
    assert all("去掉" in f.message and "开头的“.”" in f.message for f in collected.findings)
    assert not collected.files
