"""What an inbox holds: folders and archives expanded into the files to read, each with its display name.

The one place that decides which files a batch reads. A folder is walked recursively (sorted); a .zip is
opened (its directory checked against bombs first) and its workbooks become files of their own, named
`archive.zip › member.xlsx`, with a zip inside a zip read one level deep at most. A saved mail (.eml, .msg;
mailbox.py reads it) gives its attachments, `mail.eml › 附件.xlsx`, its zips opened the same way, each
remembering the mail. Everything left out is
said in a file-skipped finding. Nothing here parses a workbook: ingest.py reads what this yields.
"""

from __future__ import annotations

import errno
import hashlib
import io
import os
import re
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from types import MappingProxyType
from typing import NamedTuple

from kjjr_excel.domain.findings import Finding
from kjjr_excel.domain.model import ARCHIVE_SEPARATOR, InputFile, MailOrigin
from kjjr_excel.domain.parse import decode_text
from kjjr_excel.errors import os_error_text
from kjjr_excel.read import guards

__all__ = ["ArchiveMember", "ARCHIVE_SEPARATOR", "SPREADSHEET_SUFFIXES", "collect_files", "member_bytes"]

MAIL_SUFFIXES = (".eml", ".msg", ".mbox")  # .mbox: mails one after another (Thunderbird's folders)
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xltx", ".xltm", ".xlt", ".et", ".ods", ".ots")
ARCHIVE_SUFFIXES = (".zip",)
UNREAD_ARCHIVES = (".rar", ".7z", ".tar", ".gz", ".tgz", ".bz2", ".xz")
SKIPPED = "已跳过"
# Spreadsheets in formats this tool does not read, which a clerk may well have sent the form in: each is a
# warning naming the format and how to re-save it, where any other file is only listed as skipped.
OTHER_SHEETS = MappingProxyType(
    {
        ".csv": (
            "CSV文本文件（只保存了一个工作表的文字）",
            "用Excel或WPS打开下发的填报模板填写，另存为 .xlsx",
        ),
        ".gnumeric": ("Gnumeric 格式的文件", "在 Gnumeric 中“另存为”Excel 2007（.xlsx）格式"),
        ".xml": ("XML 文件（如“XML 电子表格 2003”格式）", "在Excel或WPS中另存为“Excel 工作簿（.xlsx）”"),
        ".fods": ("平面 ODF 表格（.fods）", "在 LibreOffice 中另存为 .xlsx 或 .ods"),
        ".xlsb": ("Excel 二进制工作簿（.xlsb）", "在Excel中另存为“Excel 工作簿（.xlsx）”"),
        ".numbers": ("Apple Numbers 文件", "在 Numbers 中“导出为”Excel（.xlsx）"),
    }
)
UNREADABLE = "无法读取"
MAIL = "邮件（已读取附件）"
MAIL_EMPTY = "邮件（没有可读取的Excel附件）"

# An archive is a container of attachments, not a workbook: its members are read one at a time, each under
# the workbook limits of ingest.py; these bound the archive's own directory.
MAX_ARCHIVE_BYTES = 200 * 2**20
MAX_MEMBER_BYTES = 100 * 2**20  # ingest.MAX_FILE_BYTES: a member is read as a file of that size at most
MAX_ARCHIVE_MEMBERS = 2_000
MAX_ARCHIVE_TOTAL = 2 * 2**30
MAX_ARCHIVE_RATIO = 200
RATIO_MIN_SIZE = 2**20
MAX_NESTING = 1  # a zip inside a zip is read; one inside that is not
# A zip inside a zip is inflated again for each of its files: its size times their number, at most
MAX_NESTED_INFLATE = 2 * 2**30


@dataclass(frozen=True)
class MemberFile:
    """A mail's attachment: read from memory like a file of the folder. `origin` is the mail that brought it
    (the outer one, for a mail attached to a mail)."""

    display: str
    name: str
    data: bytes
    origin: MailOrigin | None = None

    @property
    def suffix(self) -> str:
        return PurePosixPath(self.name).suffix

    @property
    def size(self) -> int:
        return len(self.data)


def unique_name(name: str, taken: set[str]) -> str:
    """Two attachments of one mail (or entries of one zip) may share a name: the second is shown as
    'name (2).xlsx'."""
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    candidate, n = name, 1
    while candidate.lower() in taken:
        n += 1
        candidate = f"{stem} ({n}).{ext}" if ext else f"{stem} ({n})"
    taken.add(candidate.lower())
    return candidate


@dataclass(frozen=True)
class ArchiveMember:
    """A workbook inside a .zip (or inside a zip inside one): `names` are the members' names as the zip
    directory stores them, outermost first."""

    archive: Path | MemberFile  # the zip on disk, or a mail's zip attachment (in memory)
    names: tuple[str, ...]
    size: int
    modified: datetime | None = None  # as the zip directory dates the member
    offsets: tuple[int, ...] = ()  # where each of `names` starts in its zip: two entries may share a name

    @property
    def origin(self) -> MailOrigin | None:
        """The mail that brought the zip, if one did."""
        return self.archive.origin if isinstance(self.archive, MemberFile) else None

    @property
    def name(self) -> str:
        return PurePosixPath(self.names[-1]).name

    @property
    def suffix(self) -> str:
        return PurePosixPath(self.names[-1]).suffix

    def read_bytes(self) -> bytes:
        """The member's bytes, bounded by the sizes its directory declares (OSError when it cannot be). The
        archive on disk is not read whole: only its directory and the member (a batch reads each member of
        an archive of many this way); a mail's zip attachment is already in memory."""
        offsets = self.offsets or (None,) * len(self.names)
        if isinstance(self.archive, MemberFile):
            data = member_bytes(self.archive.data, self.names[0], offsets[0])
        else:
            try:
                with guards.open_input(self.archive) as fh:  # read-only; never written
                    data = _member(fh, self.names[0], offsets[0])
            except guards.Guarded as refused:  # e.g. the archive went away between listing and reading
                raise OSError(Finding.make(refused.code, **refused.fields).message) from None
        for name, offset in zip(self.names[1:], offsets[1:], strict=True):
            data = member_bytes(data, name, offset)
        return data


def _read_file(path: Path, limit: int) -> bytes:
    """A file's bytes through the guarded open (a FIFO named x.eml is refused, never waited on)."""
    try:
        return guards.read_input(path, limit)  # read-only; never written
    except guards.Guarded as refused:
        raise OSError(Finding.make(refused.code, **refused.fields).message) from None


def member_bytes(data: bytes, name: str, offset: int | None = None) -> bytes:
    """One member of an in-memory zip (the entry of that name starting at `offset`, when given), never more
    than its declared size (a lying directory is an error)."""
    return _member(io.BytesIO(data), name, offset)


def _member(fh, name: str, offset: int | None = None) -> bytes:
    try:
        with zipfile.ZipFile(fh) as zf:
            info = zf.getinfo(name) if offset is None else _entry(zf, name, offset)
            if info.file_size > MAX_MEMBER_BYTES:
                raise OSError(f"解压后 {info.file_size // 2**20} MB，超出上限")
            with zf.open(info) as fh:
                out = fh.read(info.file_size + 1)
    except (
        zipfile.BadZipFile,
        KeyError,
        EOFError,
        ValueError,
        NotImplementedError,
        RuntimeError,
        zlib.error,
    ):
        raise OSError(
            f"压缩包中的 {_decoded(name)} 无法解压（压缩数据已损坏或使用了不支持的压缩方式）"
        ) from None
    except OSError as exc:
        if exc.errno is None:  # ours just above, already in Chinese
            raise
        raise OSError(f"压缩包中的 {_decoded(name)} 无法解压（{_zip_os_reason(exc)}）") from None
    if len(out) != info.file_size:
        raise OSError(f"压缩包中的 {_decoded(name)} 实际大小与声明不符")
    return out


def _zip_os_reason(exc: OSError) -> str:
    """Why the system refused to read a member, in Chinese: a seek before the file's start (EINVAL) comes from
    a directory that places the member where no data is, as in a cut or badly joined download."""
    if exc.errno == errno.EINVAL:
        return "压缩包的目录已损坏"
    return os_error_text(exc, "读取时发生系统错误")


def _entry(zf: zipfile.ZipFile, name: str, offset: int) -> zipfile.ZipInfo:
    """The entry of a name that starts at `offset` (KeyError when there is none)."""
    found = next((i for i in zf.infolist() if i.filename == name and i.header_offset == offset), None)
    if found is None:
        raise KeyError(name)
    return found


def _decoded(name: str) -> str:
    """A member's name as its writer meant it. zipfile decodes names not flagged UTF-8 as CP437; Windows'
    own zipper writes them in the machine's code page (GBK on a Chinese machine) and some tools write UTF-8
    without the flag, so the CP437 reading is undone and the bytes decoded as UTF-8, else GB18030."""
    try:
        raw = name.encode("cp437")
    except UnicodeEncodeError:
        return name  # flagged UTF-8: zipfile decoded it right
    return decode_text(raw) or name


def _hidden_workbook(name: str) -> bool:
    """A hidden file named like a workbook, an archive or a mail: said when left out, as it may be a submission
    (macOS's ._ companions, which only hold a file's Finder details, are not)."""
    known = (*SPREADSHEET_SUFFIXES, *ARCHIVE_SUFFIXES, *MAIL_SUFFIXES)
    # (the whole name may be the extension: an attachment saved without its name, ".xlsx")
    return not name.startswith("._") and name not in (".", "..") and name.lower().endswith(known)


HIDDEN_SKIPPED = "隐藏文件（名称以“.”开头），未读取；如是报送的文件，请去掉名称开头的“.”"
HIDDEN_FOLDER_SKIPPED = "隐藏文件夹（名称以“.”开头）中的文件未读取；如有报送的文件，请去掉文件夹名称开头的“.”"


def _holds_submissions(folder: str) -> bool:
    """Whether a hidden folder holds, at its top, a file named like a workbook, an archive or a mail (a
    ".附件" folder is not hidden in Windows' Explorer); unreadable: no."""
    known = (*SPREADSHEET_SUFFIXES, *ARCHIVE_SUFFIXES, *MAIL_SUFFIXES)
    try:
        with os.scandir(folder) as listing:
            return any(
                e.name.lower().endswith(known) and not e.name.startswith(("~$", "._")) for e in listing
            )
    except OSError:
        return False


def _hidden(part: str) -> bool:
    return part.startswith(".") or part.startswith("~$")


MAX_DEPTH = 64  # folders below the one given; a clerk's inbox is a few levels deep, never a thousand


def _folder_files(top: str, problems: list[Finding]) -> Iterator[tuple[tuple[str, ...], os.DirEntry]]:
    """Every entry under a folder that is not a folder, with its path relative to the top as parts. Hidden and
    lock-named folders are left out with their content; a link to a folder is not followed (so no loop), and is
    a finding in `problems` when it leads out of the top folder. A folder that cannot be opened, or lies deeper
    than MAX_DEPTH, is a finding too. (os.scandir: the entries carry their type, so a folder of 10,000 files
    costs no stat call per file; a stack, not recursion, so no depth of folders exhausts Python's.)"""
    stack: list[tuple[str, tuple[str, ...]]] = [(top, ())]
    while stack:
        folder, parts = stack.pop()
        shown = "/".join(map(guards.display_name, parts)) or top
        if len(parts) > MAX_DEPTH:
            problems.append(Finding.make("folder-too-deep", file=shown, depth=MAX_DEPTH))
            continue
        try:
            with os.scandir(folder) as listing:
                entries = list(listing)
        except OSError as exc:
            detail = os_error_text(exc, "打开时发生系统错误")  # strerror is the system's English
            problems.append(Finding.make("folder-unreadable", file=shown, detail=detail))
            continue
        for entry in entries:
            here = (*parts, entry.name)
            try:
                folder_here = entry.is_dir(follow_symlinks=False)
            except OSError:
                folder_here = False
            if folder_here:
                if not _hidden(entry.name):
                    stack.append((entry.path, here))
                elif entry.name not in (".", "..") and _holds_submissions(entry.path):
                    shown_folder = "/".join(map(guards.display_name, here))
                    problems.append(
                        Finding.make("file-skipped", file=shown_folder, reason=HIDDEN_FOLDER_SKIPPED)
                    )
            elif not _link_to_folder(entry):
                yield here, entry
            elif not _hidden(entry.name) and not _within(entry.path, top):
                # its files are not read: said, so a linked folder of submissions is never lost unseen
                shown_link = "/".join(map(guards.display_name, here))
                problems.append(Finding.make("folder-link", file=shown_link))


def folder_files(top: Path, problems: list[Finding]) -> list[Path]:
    """The files under a folder, sorted, without recursion, hidden and lock files left out, a folder that
    cannot be opened or lies too deep a finding in `problems` (for --assessment folders)."""
    return [
        Path(entry.path)
        for parts, entry in sorted(_folder_files(str(top), problems), key=lambda pe: pe[0])
        if not entry.name.startswith((".", "~$")) and not _link_problem(entry)
    ]


def _link_to_folder(entry: os.DirEntry) -> bool:
    try:
        return entry.is_symlink() and entry.is_dir()
    except OSError:
        return False


def _within(link: str, top: str) -> bool:
    """True when a link to a folder leads back into the folder being read (itself, a folder below): nothing in
    it is missed by not following it."""
    try:
        target, root = Path(os.path.realpath(link)), Path(os.path.realpath(top))
    except (OSError, ValueError):
        return False
    return target == root or root in target.parents


def _link_problem(entry: os.DirEntry) -> str:
    """Why a link is left out ("" for anything else): it loops, or points at nothing."""
    try:
        if not entry.is_symlink() or entry.is_file():
            return ""
        os.stat(entry.path)  # raises for a broken or looping link
        return ""  # a link to a FIFO or device: the guarded open says what it is
    except OSError as exc:
        return "循环的快捷方式（符号链接指向自身）" if exc.errno == errno.ELOOP else "无效的快捷方式"


class Candidate(NamedTuple):
    """A file to read: where its bytes are, and its name as shown to the user."""

    source: Path | ArchiveMember | MemberFile
    display: str


class Collected(NamedTuple):
    """What collect_files found: the files to read, the findings on what was left out, and its rows."""

    files: list[Candidate]
    findings: list[Finding]
    skipped: list[InputFile]


def other_sheet_finding(display: str, suffix: str) -> Finding:
    """The warning on a spreadsheet in a format of OTHER_SHEETS: what it is and how to re-save it."""
    kind, fix = OTHER_SHEETS[suffix]
    return Finding.make("file-other-format", file=display, kind=kind, fix=fix)


class _Collector:
    """The candidates, findings and skipped rows of one collect_files call."""

    def __init__(self) -> None:
        self.found: list[Candidate] = []
        self.findings: list[Finding] = []
        self.skipped: list[InputFile] = []
        self.counted = 0  # entries of the archive being read, the zips inside it included

    def skip(self, display: str, reason: str, size: int = 0, status: str = SKIPPED, code: str = "") -> None:
        if code:
            self.findings.append(Finding.make(code, file=display, detail=reason))
        else:
            self.findings.append(Finding.make("file-skipped", file=display, reason=reason))
        self.skipped.append(InputFile(file=display, sha256="", status=status, size=size))

    def other_sheet(self, display: str, suffix: str, size: int) -> None:
        """A spreadsheet in a format not read (a form saved as .csv or .gnumeric): skipped, with a warning."""
        self.findings.append(other_sheet_finding(display, suffix))
        self.skipped.append(InputFile(file=display, sha256="", status=SKIPPED, size=size))

    def unreadable(self, finding: Finding, size: int) -> None:
        """A file that cannot be read, and the finding that says why."""
        self.findings.append(finding)
        self.skipped.append(InputFile(file=finding.file, sha256="", status=UNREADABLE, size=size))

    def add(self, path: Path, display: str, name: str) -> None:
        """One file found on disk (in a folder, or given by itself)."""
        suffix = Path(name).suffix.lower()
        if name.startswith("~$"):
            self.skip(display, "Office 临时锁定文件（~$ 开头），不是报送的文件", _size(path))
        elif suffix in ARCHIVE_SUFFIXES:
            self.archive(path, display)
        elif suffix in MAIL_SUFFIXES:
            self.mail(path, display)
        elif suffix in UNREAD_ARCHIVES:
            self.skip(display, f"{suffix} 压缩包无法读取，请解压后把其中的Excel文件放入文件夹", _size(path))
        elif OTHER_SHEETS.get(suffix):
            self.other_sheet(display, suffix, _size(path))
        elif suffix not in SPREADSHEET_SUFFIXES and (kind := _content_kind(path, mail=not suffix)):
            self.findings.append(no_extension_finding(display, suffix, kind))
            if kind == ARCHIVE_KIND:
                self.archive(path, display)
            elif kind == MAIL_KIND:
                self.mail(path, display)
            else:
                self.found.append(Candidate(path, display))
        elif suffix not in SPREADSHEET_SUFFIXES:
            self.skip(display, f"不是Excel文件（{guards.display_name(suffix) or '无扩展名'}）", _size(path))
        else:
            if guards.name_is_odd(name):
                self.findings.append(Finding.make("file-name-encoding", file=display, shown=display))
            self.found.append(Candidate(path, display))

    def archive(self, path: Path, display: str) -> None:
        size = _size(path)
        if size > MAX_ARCHIVE_BYTES:
            self.skip(display, f"压缩包大小 {size // 2**20} MB，超出上限", size, UNREADABLE, "file-unsafe")
            return
        try:
            data = guards.read_input(path, MAX_ARCHIVE_BYTES)
        except (guards.Guarded, OSError) as exc:  # an OS error in the system's English: said as guards say it
            refused = exc if isinstance(exc, guards.Guarded) else guards.os_error(exc)
            self.unreadable(Finding.make(refused.code, file=display, **refused.fields), _size(path))
            return
        self.members(path, data, (), display)

    def mail(self, path: Path, display: str) -> None:
        """A saved mail: its workbook attachments join the candidates, its zips are opened; the mail itself
        is listed as a file read, with its sender."""
        try:
            data = _read_file(path, MAX_ARCHIVE_BYTES)
        except OSError as exc:  # _read_file's own (Chinese) message
            self.unreadable(Finding.make("mail-unreadable", file=display, detail=str(exc)), _size(path))
            return
        from kjjr_excel.read.mail import mbox_mails  # email's modules: only for an inbox with mail

        mails = mbox_mails(data)
        if len(mails) == 1:
            self.one_mail(data, display)
            return
        # a mailbox (an mbox file, named .eml, .mbox or nothing): each of its mails as if saved on its own
        self.findings.append(Finding.make("mail-mailbox", file=display, count=len(mails)))
        for n, message in enumerate(mails, 1):
            self.one_mail(message, f"{display}{ARCHIVE_SEPARATOR}第{n}封邮件")

    def one_mail(self, data: bytes, display: str) -> None:
        from kjjr_excel.read.mail import read_mail

        content = read_mail(data, display, _wanted_attachment, sep=ARCHIVE_SEPARATOR)
        readable = not any(f.code == "mail-unreadable" and f.file == display for f in content.findings)
        digest = hashlib.sha256(data).hexdigest()
        self.skipped.append(
            InputFile(
                display,
                digest,
                SKIPPED if content.draft else _mail_status(readable, bool(content.files)),
                len(data),
                content.origin,
            )
        )
        self.findings.extend(content.findings)
        self.skipped.extend(
            InputFile(shown, "", SKIPPED, size, content.origin) for shown, size in content.skipped
        )
        for member in content.files:
            suffix = member.suffix.lower()
            if suffix in ARCHIVE_SUFFIXES or (
                unlisted_suffix(suffix) and kind_of_bytes(member.data) == ARCHIVE_KIND
            ):
                self.members(member, member.data, (), member.display)  # a zip, by its name or by its bytes
            else:
                self.found.append(Candidate(member, member.display))

    def members(self, path: Path | MemberFile, data: bytes, outer: Outer, display: str) -> None:
        """The workbooks of one zip (outer: the zips it lies in, within the archive on disk, each by its name
        and where its entry starts: two entries may share a name)."""
        infos = self.directory(data, display)
        if infos is None:
            return
        names = {i.filename for i in infos}
        if "xl/workbook.xml" in names or {"mimetype", "content.xml"} <= names:
            # a workbook whose name says .zip (renamed by a mail client or a clerk): read as the workbook it is
            self.found.append(Candidate(_archive_member(path, outer, len(data)) if outer else path, display))
            return
        counted = len(infos) + (self.counted if outer else 0)  # the zips inside count with the one given
        unsafe = _unsafe_archive(infos) or _too_much(infos, len(data), counted, bool(outer))
        if unsafe:
            self.skip(display, unsafe, len(data), UNREADABLE, "file-unsafe")
        self.counted = counted
        taken: set[str] = set()
        for info in () if unsafe else sorted(infos, key=lambda i: (_decoded(i.filename), i.header_offset)):
            self.member(path, data, outer, display, info, taken)

    def directory(self, data: bytes, display: str) -> list[zipfile.ZipInfo] | None:
        """A zip's entries; None (and the finding) when it is not a zip that can be read."""
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                infos = zf.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
            other = next((kind for magic, kind in _OTHER_ARCHIVES if data.startswith(magic)), "")
            if other:
                self.skip(
                    display, f"实际是{other}压缩包，无法读取。请解压后把其中的Excel文件放入文件夹", len(data)
                )
            else:
                self.skip(display, "压缩包已损坏或不完整", len(data), UNREADABLE, "file-corrupt")
            return None
        if guards.starts_late(infos):  # one member alone would be read, the others lost without a word
            detail = (
                "压缩包不完整（可能没有下载或复制完整），其中的文件无法全部读取。请重新下载或请对方重新发送"
            )
            self.skip(display, detail, len(data), UNREADABLE, "file-corrupt")
            return None
        return infos

    def member(
        self, path, data: bytes, outer: Outer, display: str, info: zipfile.ZipInfo, taken: set[str]
    ) -> None:
        """One entry of a zip: a workbook to read, a zip to open, or a finding on why it is left out."""
        name = _decoded(info.filename)
        shown = f"{display}{ARCHIVE_SEPARATOR}{unique_name(name, taken)}"
        # a folder of the name: '\' too (some Windows zippers); '..' and '.' are no hidden folders
        parts = [p for p in re.split(r"[\\/]", name) if p]
        if info.is_dir() or any(_hidden(p) and p not in (".", "..") or p == "__MACOSX" for p in parts[:-1]):
            return
        base = parts[-1] if parts else name
        suffix = PurePosixPath(base).suffix.lower()
        here = (*outer, (info.filename, info.header_offset))
        if _bomb(info):  # never inflated; what it could be is not looked at either
            self.skip(
                shown,
                "压缩比异常（疑似压缩炸弹），出于安全考虑未解压",
                info.file_size,
                UNREADABLE,
                "file-unsafe",
            )
            return
        if base.startswith("."):
            if _hidden_workbook(base):
                self.skip(shown, HIDDEN_SKIPPED, info.file_size)
            return
        if unlisted_suffix(suffix) and not info.flag_bits & 0x1 and (kind := _member_kind(data, info)):
            self.findings.append(no_extension_finding(shown, suffix, kind))
            suffix = ".zip" if kind == ARCHIVE_KIND else ".xlsx"  # (the reader goes by the bytes)
        if info.flag_bits & 0x1 and suffix in SPREADSHEET_SUFFIXES:  # a submission, lost unless someone acts
            self.unreadable(Finding.make("archive-member-encrypted", file=shown), info.file_size)
        elif info.flag_bits & 0x1:
            self.skip(shown, "压缩包设置了密码，无法读取。请解压后把Excel文件放入文件夹", info.file_size)
        elif base.startswith("~$"):
            self.skip(shown, "Office 临时锁定文件（~$ 开头），不是报送的文件", info.file_size)
        elif suffix in ARCHIVE_SUFFIXES and len(outer) >= MAX_NESTING:
            self.skip(shown, "压缩包嵌套超过一层，未读取。请解压后把Excel文件放入文件夹", info.file_size)
        elif suffix in ARCHIVE_SUFFIXES and self.counted > MAX_ARCHIVE_MEMBERS:
            return  # the zip before it said that the archive holds too many files, and that the rest is not read
        elif suffix in ARCHIVE_SUFFIXES:
            try:
                inner = member_bytes(data, info.filename, info.header_offset)
            except OSError as exc:
                self.skip(shown, str(exc), info.file_size, UNREADABLE, "file-corrupt")
                return
            self.members(path, inner, here, shown)
        elif OTHER_SHEETS.get(suffix):
            self.other_sheet(shown, suffix, info.file_size)
        elif suffix not in SPREADSHEET_SUFFIXES:
            self.skip(shown, f"不是Excel文件（{suffix or '无扩展名'}）", info.file_size)
        else:
            self.found.append(Candidate(_archive_member(path, here, info.file_size, _dated(info)), shown))


Outer = tuple[tuple[str, int], ...]  # (name, header offset) of each zip a member lies in, outermost first
_OTHER_ARCHIVES = ((b"Rar!\x1a\x07", "RAR"), (b"7z\xbc\xaf\x27\x1c", "7z"))


def _too_much(infos: list[zipfile.ZipInfo], size: int, counted: int, inner: bool) -> str:
    """Why a zip is too much to read beyond its own directory ("" when it is not): with the zips read before
    it in the same archive it holds too many files (`counted`), or, inside another zip, it would be inflated
    again for each of its many files."""
    if counted > MAX_ARCHIVE_MEMBERS:
        return f"压缩包及其中的压缩包共包含 {counted} 个文件，此压缩包及其后的压缩包均未读取"
    books = sum(1 for i in infos if PurePosixPath(i.filename).suffix.lower() in SPREADSHEET_SUFFIXES)
    if inner and size * books > MAX_NESTED_INFLATE:
        return f"压缩包中的压缩包有 {size // 2**20} MB，又含 {books} 个文件，读取会耗时过长"
    return ""


def _archive_member(path, within: Outer, size: int, modified: datetime | None = None) -> ArchiveMember:
    return ArchiveMember(path, tuple(n for n, _ in within), size, modified, tuple(o for _, o in within))


def _dated(info: zipfile.ZipInfo) -> datetime | None:
    try:
        return datetime(*info.date_time)
    except ValueError:  # a directory entry dated 1980-00-00 and the like
        return None


def _mail_status(readable: bool, has_files: bool) -> str:
    if not readable:
        return UNREADABLE
    return MAIL if has_files else MAIL_EMPTY


def _wanted_attachment(name: str) -> bool:
    """A mail's attachment worth reading: a workbook or a zip (a lock file or hidden file is neither)."""
    suffix = PurePosixPath(name).suffix.lower()
    return not _hidden(name) and suffix in (*SPREADSHEET_SUFFIXES, *ARCHIVE_SUFFIXES)


def _unsafe_archive(infos: list[zipfile.ZipInfo]) -> str:
    """Why a zip's directory is refused whole before anything is inflated ("" when it is not): too many
    entries, or too much once inflated (a member refused on its own, _bomb, does not count)."""
    if len(infos) > MAX_ARCHIVE_MEMBERS:
        return f"压缩包包含 {len(infos)} 个文件"
    total = sum(info.file_size for info in infos if not _bomb(info))
    if total > MAX_ARCHIVE_TOTAL:
        return f"压缩包解压后共 {total // 2**20} MB"
    return ""


def _bomb(info: zipfile.ZipInfo) -> bool:
    """An entry that would inflate far beyond what any workbook compresses to: refused on its own, the zip's
    other entries (a center's real workbook beside it) read as usual."""
    return info.file_size > RATIO_MIN_SIZE and info.file_size > MAX_ARCHIVE_RATIO * max(info.compress_size, 1)


BOOK_KIND, ARCHIVE_KIND, MAIL_KIND = "Excel工作簿", "压缩包", "邮件"
# the first header of a saved mail (.eml): Received, From, Return-Path, …, as mail programs write them
_MAIL_HEADER = re.compile(
    rb"(?i)(?:received|return-path|from|to|date|subject|mime-version|message-id|delivered-to|x-[a-z0-9-]+)"
    rb"[ \t]*:"
)
# Stream names (UTF-16) of OLE files that are no workbook: a .doc, a .ppt, an Outlook .msg (its properties)
_MSG_STREAM = "__substg1.0_".encode("utf-16-le")
_OTHER_OLE_STREAMS = (*(n.encode("utf-16-le") for n in ("WordDocument", "PowerPoint Document")), _MSG_STREAM)


def no_extension_finding(display: str, suffix: str, kind: str) -> Finding:
    """file-no-extension: a file read by its content, its name having no Excel extension."""
    what = "没有扩展名" if not suffix else f"的扩展名“{guards.display_name(suffix)}”不是Excel文件的扩展名"
    example = {ARCHIVE_KIND: ".zip", MAIL_KIND: ".eml"}.get(kind, ".xlsx")
    return Finding.make("file-no-extension", file=display, what=what, actual=kind, example=example)


def unlisted_suffix(suffix: str) -> bool:
    """An extension that says nothing of a file's content (none, 崂山区考核表2017.12.31's .31): looked at."""
    known = (*SPREADSHEET_SUFFIXES, *ARCHIVE_SUFFIXES, *MAIL_SUFFIXES, *UNREAD_ARCHIVES, *OTHER_SHEETS)
    return suffix not in known


def _content_kind(path: Path, *, mail: bool = False) -> str:
    """What a file whose name has no Excel extension holds, by its bytes (a mail client or a download may
    drop the name's .xlsx, and a name with a dot, 报送v1.2, then seems to have one): a workbook, a zip
    archive, or "" (neither, or not a regular file: skipped as before). Only a file that starts as a zip or
    an OLE container is read whole."""
    try:
        with guards.open_input(path) as fh:
            head = fh.read(1024)
        if mail and _looks_like_mail(head):
            return MAIL_KIND
        if not head.startswith((guards.ZIP_MAGIC, guards.OLE_MAGIC)):
            return ""
        data = guards.read_input(path, MAX_ARCHIVE_BYTES)
        if mail and data.startswith(guards.OLE_MAGIC) and _MSG_STREAM in data:
            return MAIL_KIND  # an Outlook .msg (a name with no extension only: mail: look for a mail too)
        return kind_of_bytes(data)
    except (guards.Guarded, OSError):
        return ""


def _looks_like_mail(head: bytes) -> bool:
    """A saved mail's first bytes: a header line (after an mbox "From " line, when there is one)."""
    text = head.lstrip()
    if text.startswith(b"From "):
        text = text.partition(b"\n")[2]
    return _MAIL_HEADER.match(text) is not None and b"\n" in text


def _member_kind(data: bytes, info: zipfile.ZipInfo) -> str:
    """_content_kind of a zip's entry without an extension ("" when it cannot be inflated)."""
    if info.file_size > MAX_ARCHIVE_BYTES:
        return ""
    try:
        return kind_of_bytes(member_bytes(data, info.filename, info.header_offset))
    except OSError:
        return ""


def kind_of_bytes(data: bytes) -> str:
    """What bytes hold, for a name without an extension: BOOK_KIND (an .xls: an OLE container with a workbook
    stream; an .xlsx or .ods package), ARCHIVE_KIND (another zip) or "" (neither: a Word document, a mail,
    text)."""
    if data.startswith(guards.OLE_MAGIC):
        # another program's container (Word, PowerPoint, an Outlook mail) names its own streams; one cut short
        # names none, and is the reader's to call damaged
        return "" if any(name in data for name in _OTHER_OLE_STREAMS) else BOOK_KIND
    if not data.startswith(guards.ZIP_MAGIC):
        return ""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = zf.namelist()
            if "mimetype" in names:
                return BOOK_KIND if b"spreadsheet" in zf.read("mimetype")[:100] else ""
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, KeyError, RuntimeError, zlib.error):
        return BOOK_KIND  # a package cut short (a download): the reader says it is damaged and what to do
    if "[Content_Types].xml" in names:
        return BOOK_KIND if any(n.startswith("xl/") for n in names) else ""
    return ARCHIVE_KIND


def _size(path: Path) -> int:
    try:
        return path.stat().st_size if path.is_file() else 0
    except OSError:
        return 0


def collect_files(inputs: Sequence[Path]) -> Collected:
    """Expand folders recursively (sorted) and .zip archives, skip lock files, hidden files and
    non-spreadsheets (reported).

    Returns the spreadsheet candidates (a path, ArchiveMember or MemberFile, and its display name), the
    findings on what was left out and the InputFile rows of it. The display name is the path relative to the folder given, with
    ` › ` before each member of an archive, fit to show (a name that is not UTF-8 is decoded as GBK and said
    so). A FIFO or device named like a workbook is kept: the guarded open refuses it with its own finding.
    """
    out = _Collector()
    for given in inputs:
        given = Path(given)
        if given.is_dir():
            for parts, entry in sorted(_folder_files(str(given), out.findings), key=lambda pe: pe[0]):
                display = "/".join(map(guards.display_name, parts))
                path = Path(entry.path)
                if entry.name.startswith("."):
                    if _hidden_workbook(entry.name):
                        out.skip(display, HIDDEN_SKIPPED)
                    continue  # other hidden files (.DS_Store and the like) are not even worth a line
                problem = _link_problem(entry)
                if problem:
                    out.skip(display, problem)
                else:
                    out.add(path, display, entry.name)
        elif given.exists() or given.is_symlink():  # a FIFO or device too: the guarded open says what it is
            out.add(given, guards.display_name(given.name), given.name)
        else:
            out.skip(guards.display_name(str(given)), "找不到这个文件或文件夹")
    # by display name; a path breaks a tie (never the repr of a mail's attachment: it holds the bytes)
    out.found.sort(key=lambda item: (item[1], str(item[0]) if isinstance(item[0], Path) else ""))
    return Collected(out.found, out.findings, out.skipped)
