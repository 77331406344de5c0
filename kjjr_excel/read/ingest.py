"""Read clerks' workbooks: path -> Submission (values as typed and as read, with cells) + findings.

The only module that opens input workbooks. Every file is read once into memory, hashed, sniffed by its first
bytes, checked for zip bombs and XML tricks *before* any parser sees it, then read with python-calamine. Data
problems become findings; nothing raises out of `read_submission` or `ingest`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import io
import os
import re
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree

from kjjr_excel import TEMPLATE_VERSION, lifecycle
from kjjr_excel.domain.findings import Finding, Severity
from kjjr_excel.domain.layout import META_SHEET, Layout, layout
from kjjr_excel.domain.model import CellValue, InputFile, MailOrigin, Submission
from kjjr_excel.domain.parse import Parsed, a1, as_text, normalise_name, parse_value, parsed_finding
from kjjr_excel.domain.scheme import shipped_schemes
from kjjr_excel.read import guards
from kjjr_excel.read.inbox import SPREADSHEET_SUFFIXES, ArchiveMember, collect_files
from kjjr_excel.read.mail import MemberFile

__all__ = [
    "IngestResult",
    "TableBook",
    "collect_files",
    "ingest",
    "read_submission",
    "read_table",
    "read_table_book",
    "SPREADSHEET_SUFFIXES",
]

READ = "已读取"
SKIPPED = "已跳过"
UNREADABLE = "无法读取"

# Safety limits, checked on the zip central directory before anything is inflated.
MAX_FILE_BYTES = 100 * 2**20
MAX_TOTAL_UNCOMPRESSED = 200 * 2**20
MAX_PART_UNCOMPRESSED = 50 * 2**20
MAX_RATIO = 200
RATIO_MIN_SIZE = 2**20
MAX_PARTS = 10_000
# Excel caps a cell's text at 32,767 characters; escaped as UTF-8 that is well under 1 MB, so a longer run
# without a tag delimiter is not spreadsheet content (and costs expat quadratic time).
MAX_TOKEN = 2**20
_HUGE_TOKEN = re.compile(rb"(?:^|[<>])[^<>]{%d}" % MAX_TOKEN)

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_NS_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_NS_DCTERMS = "{http://purl.org/dc/terms/}"
_NS_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_NS_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_NS_DC = "{http://purl.org/dc/elements/1.1/}"
ODS_MIMETYPES = (
    b"application/vnd.oasis.opendocument.spreadsheet",
    b"application/vnd.oasis.opendocument.spreadsheet-template",
)

VALUE_HEADERS = ("数量", "填报数")
CATEGORY_HEADERS = ("一级指标", "类别")


@dataclass
class IngestResult:
    """What a batch of inputs yielded: one Submission per recognised file, findings, and every file looked at."""

    submissions: list[Submission] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    files: list[InputFile] = field(default_factory=list)


class _Refused(Exception):
    """Internal: the file cannot be read; carries the finding(s) that say why."""

    def __init__(self, *findings: Finding):
        super().__init__(findings[0].code if findings else "")
        self.findings = list(findings)
        self.sha256 = ""


# ---------------------------------------------------------------------------------------------- the batch
# (what to read: inbox.collect_files)


# What a forked worker reads with: set in the parent just before it forks, so it is inherited instead of being
# pickled: the scheme, the chunks of files, and which chunks are taken.
_WORKER: dict = {}
CHUNK = 25
MAX_WORKERS = 4  # processes reading at once (the main one included); the chunks balance them as they go

Outcome = tuple[Submission | None, list[Finding], InputFile]


def _reading_worker(conn) -> None:
    """A worker's whole life: read every chunk it can take, from the front, sending each back as it is read.
    Ctrl+C is the main process's to handle (it stops the workers); a worker would only print a traceback."""
    lifecycle.worker_started()
    scheme, chunks, taken = _WORKER["scheme"], _WORKER["chunks"], _WORKER["taken"]
    for index, chunk in enumerate(chunks):
        if _claim(taken, index):
            conn.send((index, [read_submission(path, display, scheme) for path, display in chunk]))
    conn.close()


def _claim(taken, index: int) -> bool:
    with taken.get_lock():
        if taken[index]:
            return False
        taken[index] = 1
        return True


def ingest(
    scheme,
    inputs: Sequence[Path],
    *,
    progress: Callable[[int], None] | None = None,
    workers: int | None = None,
) -> IngestResult:
    """Read every workbook under `inputs`. `progress(n)` is called with the number of files just finished
    (an increment, like click's progressbar.update). Results are ordered by display name, whatever `workers`."""
    files, findings, skipped = collect_files(inputs)
    result = IngestResult(findings=list(findings), files=list(skipped))
    if workers is None:
        workers = 1 if len(files) < 200 else min(MAX_WORKERS, os.cpu_count() or 1)
    fork = None
    if workers > 1 and len(files) > 2 * CHUNK:
        import multiprocessing

        with contextlib.suppress(ValueError):  # platforms without fork read serially
            fork = multiprocessing.get_context("fork")
    if fork is None:
        for path, display in files:
            _collect(result, read_submission(path, display, scheme))
            if progress:
                progress(1)
    else:
        for outcomes in _read_forked(fork, scheme, files, workers, progress):
            for outcome in outcomes:
                _collect(result, outcome)
    _merge_same_attachments(result)
    result.files.sort(key=lambda f: f.file)
    return result


def _merge_same_attachments(result: IngestResult) -> None:
    """The same file (same SHA-256) brought by more than one mail, or by a mail and saved into the folder
    too, is one submission: the first by name is kept, naming every mail; the copies' findings (the same
    ones, under another name) are dropped and their rows on 说明 say which file they repeat."""
    groups: dict[str, list[Submission]] = {}
    for sub in result.submissions:
        groups.setdefault(sub.sha256, []).append(sub)
    copies: dict[str, str] = {}  # file of a copy -> the file kept
    merged: dict[str, Submission] = {}
    for group in groups.values():
        if len(group) < 2 or not any(s.origins for s in group):
            continue
        group.sort(key=lambda s: s.file)
        kept = group[0]
        origins = sorted(
            {o for s in group for o in s.origins}, key=lambda o: (o.sent_utc or datetime.min, o.file)
        )
        merged[kept.file] = dataclasses.replace(kept, origins=tuple(origins))
        for sub in group[1:]:
            copies[sub.file] = kept.file
        places = [o.describe() for o in origins] + [s.file for s in group if not s.origins]
        result.findings.append(
            Finding.make(
                "attachment-duplicate",
                file=kept.file,
                count=len(group),
                mails="；".join(places),
            )
        )
    if not copies:
        return
    result.submissions = [merged.get(s.file, s) for s in result.submissions if s.file not in copies]
    result.findings = [f for f in result.findings if f.file not in copies]
    result.files = [
        dataclasses.replace(f, status=f"{f.status}（与 {copies[f.file]} 相同，按一份计）")
        if f.file in copies
        else f
        for f in result.files
    ]


def _read_forked(fork, scheme, files, workers: int, progress) -> list[list[Outcome]]:
    """Read the files in chunks, in forked workers and in this process at once, balanced as they go: the
    workers take chunks from the front, this process from the back, each chunk read once (a shared flag per
    chunk), until they meet. The chunks come back in order. A chunk a worker took but never sent (the worker
    was killed: out of memory, a signal) is read here afterwards, so nothing is lost and nothing waits forever."""
    import threading

    layout(scheme)  # memoise before forking
    chunks = [files[n : n + CHUNK] for n in range(0, len(files), CHUNK)]
    taken = fork.Array("b", len(chunks))
    done: list[list[Outcome] | None] = [None] * len(chunks)
    received = [0]  # files the workers have sent, counted by the receiving threads

    def receive(reader) -> None:  # a thread per worker keeps its pipe drained, so a worker never waits on it
        with contextlib.suppress(EOFError, OSError):  # EOF: the worker is done, or died
            while True:
                index, outcomes = reader.recv()
                done[index] = outcomes
                received[0] += len(outcomes)

    children = []
    shown = 0
    try:
        _WORKER.update(scheme=scheme, chunks=chunks, taken=taken)
        try:
            for _ in range(workers - 1):
                reader, writer = fork.Pipe(duplex=False)
                process = fork.Process(target=_reading_worker, args=(writer,), daemon=True)
                process.start()
                writer.close()  # the worker has its own: the pipe ends when the worker does
                thread = threading.Thread(target=receive, args=(reader,), daemon=True)
                children.append((process, thread, reader))
        finally:
            _WORKER.clear()
        for _, thread, _ in children:  # threads only once every fork is done (a fork copies no thread)
            thread.start()
        for index in reversed(range(len(chunks))):
            if not _claim(taken, index):
                break  # the workers have come this far
            done[index] = [read_submission(path, display, scheme) for path, display in chunks[index]]
            if progress:
                progress(len(chunks[index]) + received[0] - shown)
                shown = received[0]
        for process, thread, reader in children:
            thread.join()
            process.join()
            reader.close()
    finally:
        for process, _, _ in children:
            if process.is_alive():
                process.terminate()
                process.join()
    if progress and received[0] > shown:
        progress(received[0] - shown)
    for index, outcomes in enumerate(done):
        if outcomes is None:  # taken by a worker that died before sending it
            done[index] = [read_submission(path, display, scheme) for path, display in chunks[index]]
            if progress:
                progress(len(chunks[index]))
    return [outcomes or [] for outcomes in done]


def _collect(result: IngestResult, outcome: Outcome) -> None:
    sub, found, info = outcome
    if sub is not None:
        result.submissions.append(sub)
    result.findings.extend(found)
    result.files.append(info)


# ---------------------------------------------------------------------------------------------- one file


@dataclass
class _Book:
    """A workbook that passed the guards: its bytes, format and an open calamine reader."""

    data: bytes
    sha256: str
    fmt: str  # xlsx | xlsm | xls | ods
    reader: object
    zip: zipfile.ZipFile | None
    findings: list[Finding]
    parts: dict[str, bytes] = field(default_factory=dict)  # inflated XML parts that passed the scan

    def part(self, name: str, display: str) -> bytes:
        found = self.parts.get(name)
        if found is None and self.zip is not None:
            found = self.parts[name] = _read_part(self.zip, name, display)
        return found or b""


def _open_book(path: Path | ArchiveMember, display: str, size: int | None = None) -> _Book:
    """Read (a file through guards.read_input: a regular file only, to the size cap; a workbook inside a .zip
    bounded by its declared size), hash, sniff and guard one file; raise _Refused with the finding when it
    cannot be read. `size`: what the caller's stat gave, if any (the guarded open checks it again)."""
    try:
        if isinstance(path, ArchiveMember):
            if path.size > MAX_FILE_BYTES:
                raise guards.Guarded("file-unsafe", detail=f"文件大小 {path.size // 2**20} MB，超出上限")
            data = path.read_bytes()  # bounded by the member's declared size, itself checked above
        else:
            data = guards.read_input(path, MAX_FILE_BYTES)
    except guards.Guarded as refused:
        raise _Refused(_guarded(refused, display)) from None
    except OSError as exc:  # an archive member that cannot be inflated (the message says why, in Chinese)
        detail = exc.strerror or (str(exc) if exc.errno is None else "读取时发生系统错误")
        raise _Refused(Finding.make("file-corrupt", file=display, detail=detail)) from None
    digest = hashlib.sha256(data).hexdigest()
    try:
        return _guard(data, digest, path, display)
    except _Refused as refused:
        refused.sha256 = digest
        raise
    except BaseException as exc:  # zlib.error, a native reader's panic: any fault is this file's finding
        guards.reraise_fatal(exc)
        refused = _Refused(Finding.make("file-corrupt", file=display, detail=guards.describe_error(exc)))
        refused.sha256 = digest
        raise refused from None


def _guarded(refused: guards.Guarded, display: str, sheet: str = "") -> Finding:
    return Finding.make(refused.code, file=display, sheet=sheet, **refused.fields)


def _guard(data: bytes, digest: str, path: Path, display: str) -> _Book:
    suffix = path.suffix.lower()
    notes: list[Finding] = []
    if not data:
        raise _Refused(Finding.make("file-empty", file=display))
    if data.startswith(ZIP_MAGIC):
        zf = _check_zip(data, display)
        names = set(zf.namelist())
        if "mimetype" in names and "content.xml" in names:
            return _ods_book(data, digest, zf, suffix, display)
        if "xl/workbook.xml" not in names and "xl/workbook.bin" not in names:
            kind = "Word文档" if "word/document.xml" in names else "压缩包或其他文件"
            raise _Refused(Finding.make("file-not-workbook", file=display, detail=f"实际是{kind}"))
        if "xl/workbook.bin" in names:
            raise _Refused(
                Finding.make(
                    "file-not-workbook", file=display, detail="Excel二进制工作簿（.xlsb），请另存为 .xlsx"
                )
            )
        macro = "xl/vbaProject.bin" in names or suffix in (".xlsm", ".xltm")
        fmt = "xlsm" if macro else "xlsx"
        if suffix not in (".xlsx", ".xlsm", ".xltx", ".xltm"):
            notes.append(
                Finding.make("file-extension-mismatch", file=display, ext=suffix or "（无）", actual=".xlsx")
            )
        if macro:
            notes.append(Finding.make("file-macros-ignored", file=display))
        parts = _check_xml_parts(zf, display)
        book = _Book(data, digest, fmt, None, zf, notes, parts)
        book.reader = _SheetGuard(_calamine(data, display), book, display)
        return book
    if data.startswith(OLE_MAGIC):
        _check_ole(data, display)
        if suffix in (".xlsx", ".xlsm", ".xltx", ".xltm"):
            notes.append(Finding.make("file-extension-mismatch", file=display, ext=suffix, actual=".xls"))
        reader = _calamine(data, display)
        return _Book(data, digest, "xls", reader, None, notes)  # _check_ole bounded every sheet already
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<html", b"<!doctype html", b"<?xml", b"<table", b"<")):
        detail = "实际是网页（HTML）或XML文本" if b"html" in data[:4096].lower() else "实际是XML文本"
    elif data.startswith(b"%PDF"):
        detail = "实际是PDF文件"
    elif data.startswith(ZIP_MAGIC[:2]):
        raise _Refused(Finding.make("file-corrupt", file=display, detail="压缩结构不完整"))
    else:
        detail = "实际是文本或其他格式的文件" if _looks_text(data[:4096]) else "无法识别的文件格式"
    raise _Refused(Finding.make("file-not-workbook", file=display, detail=detail))


def _ods_book(data: bytes, digest: str, zf: zipfile.ZipFile, suffix: str, display: str) -> _Book:
    """An OpenDocument package (LibreOffice's and Gnumeric's own format): a spreadsheet is read like an .xlsx,
    behind the same checks; any other OpenDocument file (a text document) is not a workbook."""
    mimetype = _read_part(zf, "mimetype", display).strip()
    if mimetype not in ODS_MIMETYPES:
        kind = "OpenDocument文本文档" if b"opendocument.text" in mimetype else "OpenDocument文档，不是表格"
        raise _Refused(Finding.make("file-not-workbook", file=display, detail=f"实际是{kind}"))
    if b"encryption-data" in _read_part(zf, "META-INF/manifest.xml", display):  # saved with a password
        raise _Refused(Finding.make("file-encrypted", file=display))
    notes: list[Finding] = []
    if suffix not in (".ods", ".ots"):
        notes.append(
            Finding.make("file-extension-mismatch", file=display, ext=suffix or "（无）", actual=".ods")
        )
    parts = _check_xml_parts(zf, display)
    try:  # calamine expands every table of an .ods as it opens it: bound them all first
        guards.check_ods(_read_part(zf, "content.xml", display))
    except guards.Guarded as refused:
        raise _Refused(_guarded(refused, display)) from None
    except ElementTree.ParseError:
        raise _Refused(
            Finding.make("file-corrupt", file=display, detail="表格内容（content.xml）不规范")
        ) from None
    try:
        reader = _calamine(data, display)
    except _Refused:
        # calamine stops at the whitespace an indenting writer (Gnumeric) puts between table elements; that
        # whitespace is not cell content, so the package is read again without it
        reader = _calamine(_ods_without_indent(zf, display), display)
    return _Book(data, digest, "ods", reader, zf, notes, parts)


# whitespace right after a table element's tag or right before one: indentation, never a cell's text
_ODS_INDENT = re.compile(rb"(<table:[^<>]*>|</table:[^<>]*>)\s+(?=<)|>\s+(?=</?table:)")


def _ods_without_indent(zf: zipfile.ZipFile, display: str) -> bytes:
    """A copy of an .ods package whose content.xml has no indentation between table elements."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as copy:
        for info in zf.infolist():
            part = _read_part(zf, info.filename, display)
            if info.filename == "content.xml":
                part = _ODS_INDENT.sub(lambda m: m.group(1) or b">", part)
            copy.writestr(info.filename, part, zipfile.ZIP_STORED if info.filename == "mimetype" else None)
    return out.getvalue()


def _looks_text(head: bytes) -> bool:
    try:
        head.decode("utf-8")
        return True
    except UnicodeDecodeError:
        try:
            head.decode("gb18030")
            return b"\x00" not in head
        except UnicodeDecodeError:
            return False


def _check_zip(data: bytes, display: str) -> zipfile.ZipFile:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise _Refused(
            Finding.make("file-corrupt", file=display, detail="压缩结构损坏，文件可能没有下载或复制完整")
        ) from None
    if len(infos) > MAX_PARTS:
        raise _Refused(Finding.make("file-unsafe", file=display, detail=f"包含 {len(infos)} 个部件"))
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > MAX_PART_UNCOMPRESSED:
            raise _Refused(
                Finding.make(
                    "file-unsafe",
                    file=display,
                    detail=f"部件 {info.filename} 解压后 {info.file_size // 2**20} MB",
                )
            )
        if info.file_size > RATIO_MIN_SIZE and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise _Refused(
                Finding.make(
                    "file-unsafe", file=display, detail=f"部件 {info.filename} 压缩比异常（疑似压缩炸弹）"
                )
            )
    if total > MAX_TOTAL_UNCOMPRESSED:
        raise _Refused(Finding.make("file-unsafe", file=display, detail=f"解压后共 {total // 2**20} MB"))
    return zf


def _member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, data: memoryview) -> memoryview | None:
    """The compressed bytes of a stored or deflated, unencrypted entry of an in-memory zip; None otherwise."""
    if info.flag_bits & 0x1 or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        return None
    at = info.header_offset
    head = bytes(data[at : at + 30])
    if len(head) < 30 or head[:4] != ZIP_MAGIC:
        return None
    start = at + 30 + int.from_bytes(head[26:28], "little") + int.from_bytes(head[28:30], "little")
    end = start + info.compress_size
    return data[start:end] if end <= len(data) else None


def _raw_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes | None:
    """A copy of the compressed bytes of a stored or deflated, unencrypted entry of an in-memory zip."""
    if not isinstance(zf.fp, io.BytesIO):
        return None
    with zf.fp.getbuffer() as data:
        raw = _member(zf, info, data)
        if raw is None:
            return None
        with raw:
            return bytes(raw)


def _inflate_raw(raw: bytes, method: int, limit: int) -> bytes | None:
    """At most `limit` inflated bytes of a member's compressed bytes; None on a broken stream."""
    try:
        if method == zipfile.ZIP_STORED:
            return raw[:limit]
        return zlib.decompressobj(-15).decompress(raw, limit)
    except zlib.error:
        return None


# Facts about parts, keyed by the part's exact compressed bytes (and whatever else the fact depends on):
# inflation is a pure function of those bytes, so an identical key proves an identical result, whatever the
# directory claims. Every file written from one template repeats most parts byte for byte, so a batch inflates
# them once. Only small parts are remembered, and the caches are emptied when full (a few MB at most).
_FACT_MAX_RAW = 32 * 2**10
_FACT_MAX_INFLATED = 16 * 2**10  # a batch's data sheets differ file to file: not worth keeping
_FACT_MAX_ENTRIES = 256
_PLAIN_PROLOG_PARTS: set[tuple[int, bytes]] = set()
_INFLATED: dict[tuple[int, int, int, bytes], bytes | None] = {}


def _inflate(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes | None:
    """A whole part, bounded by its declared size (+1 to notice a lie) and checked against its CRC."""
    raw = _raw_member(zf, info)
    if raw is None:
        return None
    # the outcome depends on the bytes, the method, the declared size (the bound) and the declared CRC
    key = (info.compress_type, info.file_size, info.CRC, raw)
    if key in _INFLATED:
        return _INFLATED[key]
    out = _inflate_raw(raw, info.compress_type, info.file_size + 1)
    if out is None or (len(out) == info.file_size and zlib.crc32(out) != info.CRC):
        out = None
    if info.file_size <= _FACT_MAX_INFLATED and len(raw) <= _FACT_MAX_RAW:
        if len(_INFLATED) >= _FACT_MAX_ENTRIES:
            _INFLATED.clear()
        _INFLATED[key] = out
    return out


def _read_part(zf: zipfile.ZipFile, name: str, display: str) -> bytes:
    """Inflate one part, bounded by its declared size (a lying directory cannot inflate more)."""
    try:
        info = zf.getinfo(name)
        out = _inflate(zf, info)
        if out is None:
            with zf.open(info) as fh:
                out = fh.read(info.file_size + 1)
    except KeyError:
        return b""
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, zlib.error):
        raise _Refused(
            Finding.make("file-corrupt", file=display, detail=f"部件 {name} 的压缩数据已损坏，无法解压")
        ) from None
    if len(out) > info.file_size:
        raise _Refused(Finding.make("file-unsafe", file=display, detail=f"部件 {name} 的实际大小与声明不符"))
    return out


# Parts no parser of ours reads (calamine reads the workbook, its relationships, shared strings, styles and
# the sheets asked for; we read core.xml and the data sheet).
_UNPARSED = ("xl/theme/", "xl/media/", "xl/printerSettings/", "xl/drawings/", "customXml/", "docProps/app")


def _check_xml_parts(zf: zipfile.ZipFile, display: str) -> dict[str, bytes]:
    """Refuse DTDs/entities and huge tokens in the XML parts a parser will read; return them inflated."""
    parts: dict[str, bytes] = {}
    for info in zf.infolist():
        name = info.filename
        if (
            not name.endswith((".xml", ".rels", ".vml"))
            or name.startswith(_UNPARSED)
            or name.startswith("_rels")
        ):
            continue
        if name == "[Content_Types].xml":
            continue
        if info.file_size <= MAX_TOKEN and _root_starts_prolog(zf, info):
            continue  # no DTD possible, no token long enough to matter: inflated later only if read
        part = _read_part(zf, name, display)
        if b"<!DOCTYPE" in part or b"<!ENTITY" in part or b"<!doctype" in part:
            raise _Refused(Finding.make("file-unsafe", file=display, detail=f"部件 {name} 含有DTD或实体声明"))
        if len(part) > MAX_TOKEN and _HUGE_TOKEN.search(part):
            raise _Refused(Finding.make("file-unsafe", file=display, detail=f"部件 {name} 含有超长的数据"))
        parts[name] = part
    return parts


_PLAIN_PROLOG = re.compile(rb"\s*(?:<\?xml[^<>]*\?>)?\s*<[A-Za-z_]")
PROLOG_BYTES = 256  # an XML declaration and the root element's first letter fit with room to spare


def _root_starts_prolog(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    """True when a part's first inflated bytes are at most an XML declaration and then the root element.

    A DTD (and so any entity) can only stand before the root element, so such a part declares none, and the
    whole part need not be inflated to know it. False (a comment, a BOM, a DTD, anything unusual, or a part
    that cannot be inflated this way) means "inflate and scan it all"."""
    raw = _raw_member(zf, info)
    if raw is None:
        return False
    key = (info.compress_type, raw)  # the first PROLOG_BYTES inflated depend on nothing else
    if key in _PLAIN_PROLOG_PARTS:
        return True
    prefix = _inflate_raw(raw, info.compress_type, PROLOG_BYTES)
    plain = prefix is not None and _PLAIN_PROLOG.match(prefix) is not None
    if plain and len(raw) <= _FACT_MAX_RAW:
        if len(_PLAIN_PROLOG_PARTS) >= _FACT_MAX_ENTRIES:
            _PLAIN_PROLOG_PARTS.clear()
        _PLAIN_PROLOG_PARTS.add(key)
    return plain


def _check_ole(data: bytes, display: str) -> None:
    import msoffcrypto
    import olefile

    try:
        ole = olefile.OleFileIO(data)
        try:
            streams = {"/".join(s).lower() for s in ole.listdir()}
            book_stream = next((s for s in ("workbook", "book") if s in streams), None)
            biff = ole.openstream(book_stream).read() if book_stream else b""
        finally:
            ole.close()
    except Exception:  # olefile raises OSError and friends on broken containers
        raise _Refused(
            Finding.make("file-corrupt", file=display, detail="文件结构（OLE）损坏，可能没有下载或复制完整")
        ) from None
    if "encryptioninfo" in streams or "encryptedpackage" in streams:
        raise _Refused(Finding.make("file-encrypted", file=display))
    if "workbook" not in streams and "book" not in streams:
        kind = "Word文档" if "worddocument" in streams else "其他Office文件"
        raise _Refused(Finding.make("file-not-workbook", file=display, detail=f"实际是{kind}"))
    try:
        encrypted = msoffcrypto.OfficeFile(io.BytesIO(data)).is_encrypted()
    except Exception:  # not decidable: let the reader try
        encrypted = False
    if encrypted:
        raise _Refused(Finding.make("file-encrypted", file=display))
    try:  # calamine loads every sheet of an .xls as it opens it: bound them all first
        guards.check_xls(biff)
    except guards.Guarded as refused:
        raise _Refused(_guarded(refused, display)) from None


def _calamine(data: bytes, display: str):
    from python_calamine import CalamineWorkbook

    try:
        return CalamineWorkbook.from_filelike(io.BytesIO(data))
    except BaseException as exc:  # calamine's own error types, or a panic: all mean "cannot read"
        guards.reraise_fatal(exc)
        text = str(exc)
        if "password" in text.lower() or "encrypt" in text.lower():
            raise _Refused(Finding.make("file-encrypted", file=display)) from None
        raise _Refused(
            Finding.make("file-corrupt", file=display, detail=guards.describe_error(exc))
        ) from None


class _SheetGuard:
    """A calamine workbook whose sheets load only once their extent is bounded (guards.xml_extent over the
    sheet's part), so no sheet makes calamine allocate more than a reader of ours needs. Offers the reader's
    two members the readers use, `sheet_names` and `get_sheet_by_name`."""

    def __init__(self, reader, book: _Book, display: str):
        self._reader = reader
        self._book = book
        self._display = display
        self.sheet_names = reader.sheet_names

    def get_sheet_by_name(self, name: str):
        book, display = self._book, self._display
        part_name = _sheet_part_cached(book, name, display)
        if part_name is None:  # not a sheet we can bound (a chart sheet, a broken workbook.xml): not loaded
            raise _Refused(
                Finding.make("file-corrupt", file=display, sheet=name, detail="工作表的结构信息缺失或损坏")
            )
        try:
            part = book.part(part_name, display)
            if not guards.plainly_small(part):
                guards.check_extent(*guards.xml_extent(part))
        except guards.Guarded as refused:
            raise _Refused(_guarded(refused, display, name)) from None
        try:
            return self._reader.get_sheet_by_name(name)
        except BaseException as exc:
            guards.reraise_fatal(exc)
            raise _Refused(
                Finding.make("file-corrupt", file=display, sheet=name, detail=guards.describe_error(exc))
            ) from None


def _grid(reader, name: str) -> list[list]:
    """A sheet as rows anchored at A1 (calamine may start at the first non-empty cell)."""
    sheet = reader.get_sheet_by_name(name)
    rows = sheet.to_python(skip_empty_area=False)
    start = sheet.start
    if start and rows and (start[0] or start[1]) and len(rows) < (sheet.end[0] + 1 if sheet.end else 0):
        rows = [[""] * start[1] + list(r) for r in rows]
        rows = [[] for _ in range(start[0])] + rows
    return rows


def _at(grid: list[list], row: int, col: int) -> object:
    if row < len(grid):
        r = grid[row]
        if col < len(r):
            v = r[col]
            return None if v == "" else v
    return None


def _sheet_names(reader) -> list[str]:
    return list(reader.sheet_names)


# ---------------------------------------------------------------------------------------------- submission


def read_submission(
    path: Path | ArchiveMember | MemberFile, display: str, scheme
) -> tuple[Submission | None, list[Finding], InputFile]:
    """Read one file (a workbook inside a .zip, a mail's attachment) into a Submission; never raises (problems
    become findings). What came by mail remembers its mail."""
    if isinstance(path, MemberFile):
        return _with_origin(_read_member(path, display, scheme), path.origin)
    try:
        if isinstance(path, ArchiveMember):
            size, modified = path.size, path.modified
        else:
            stat = path.stat()
            size, modified = stat.st_size, _timestamp(stat.st_mtime)
    except OSError:
        size, modified = None, None  # _open_book says why
    origin = path.origin if isinstance(path, ArchiveMember) else None
    try:
        book = _open_book(path, display, size)
    except _Refused as refused:
        return _with_origin(
            (None, refused.findings, InputFile(display, refused.sha256, UNREADABLE, size or 0)), origin
        )
    return _with_origin(_read_opened(book, display, scheme, size or 0, modified), origin)


def _open_member(member: MemberFile, display: str) -> _Book:
    """A mail's attachment guarded like a file, from its bytes; _Refused (with the hash) when unreadable."""
    digest = hashlib.sha256(member.data).hexdigest()
    size = len(member.data)
    try:
        if size > MAX_FILE_BYTES:
            raise _Refused(
                Finding.make("file-unsafe", file=display, detail=f"文件大小 {size // 2**20} MB，超出上限")
            )
        return _guard(member.data, digest, Path(member.name), display)
    except _Refused as refused:
        refused.sha256 = digest
        raise


def _read_member(member: MemberFile, display: str, scheme) -> Outcome:
    """A mail's attachment: guarded and read from its bytes like a file."""
    size = len(member.data)
    try:
        book = _open_member(member, display)
    except _Refused as refused:
        return None, refused.findings, InputFile(display, refused.sha256, UNREADABLE, size)
    return _read_opened(book, display, scheme, size, None)


def _with_origin(outcome: Outcome, origin: MailOrigin | None) -> Outcome:
    sub, found, info = outcome
    if origin is None:
        return outcome
    if sub is not None:
        sub = dataclasses.replace(sub, origins=(origin,))
    return sub, found, dataclasses.replace(info, origin=origin)


def _read_opened(book: _Book, display: str, scheme, size: int, modified: datetime | None) -> Outcome:
    try:
        sub, found = _read_book(book, display, scheme, modified)
    except _Refused as refused:
        return None, book.findings + refused.findings, InputFile(display, book.sha256, UNREADABLE, size)
    except (
        BaseException
    ) as exc:  # a reader fault on a hostile file (a native panic too) must not stop the batch
        guards.reraise_fatal(exc)
        finding = Finding.make("file-corrupt", file=display, detail=guards.describe_error(exc))
        return None, book.findings + [finding], InputFile(display, book.sha256, UNREADABLE, size)
    return sub, book.findings + found, InputFile(display, book.sha256, READ, size)


def _timestamp(mtime: float) -> datetime | None:
    """A file's modification time (what decides between duplicates when the workbooks carry no saved time)."""
    try:
        return datetime.fromtimestamp(mtime)
    except (ValueError, OverflowError, OSError):
        return None


def _read_meta(reader, names: list[str]) -> dict[str, str] | None:
    if META_SHEET not in names:
        return None
    grid = _grid(reader, META_SHEET)
    meta: dict[str, str] = {}
    for row in grid:
        if len(row) >= 2 and row[0] != "":
            meta[as_text(row[0])] = as_text(row[1])
    return meta


def _version_older(actual: str, expected: str) -> bool:
    def key(v: str) -> tuple:
        return tuple(int(p) if p.isdigit() else 0 for p in re.split(r"[.\-]", v.strip() or "0"))

    try:
        return key(actual) < key(expected)
    except ValueError:
        return actual != expected


def _read_book(
    book: _Book, display: str, scheme, modified: datetime | None = None
) -> tuple[Submission | None, list[Finding]]:
    lay = layout(scheme)
    reader = book.reader
    names = _sheet_names(reader)
    meta = _read_meta(reader, names)
    findings: list[Finding] = []
    if meta is not None:
        kind = meta.get("kind", "submission")
        if kind == "ranking":
            findings.append(Finding.make("ranking-workbook", file=display))
            return None, findings
        if kind and kind != "submission":
            what = {"assessment": "考核方评价表", "review": "评审表"}.get(kind, f"“{kind}”表")
            findings.append(Finding.make("not-submission", file=display, what=what))
            return None, findings
        if meta.get("scheme_id") and meta["scheme_id"] != scheme.id:
            # a clerk knows the assessment by its title, not by the scheme's id
            titles = {sid: name for sid, _, name in shipped_schemes()}
            actual = titles.get(meta["scheme_id"], meta["scheme_id"])
            findings.append(Finding.make("wrong-scheme", file=display, actual=actual, expected=scheme.name))
            return None, findings
        version = meta.get("template_version", "")
        if _version_older(version, TEMPLATE_VERSION):
            findings.append(
                Finding.make(
                    "old-template-version",
                    file=display,
                    actual=version or "（未知）",
                    expected=TEMPLATE_VERSION,
                )
            )
    positional = meta is not None and meta.get("fingerprint") == lay.fingerprint and lay.sheet in names
    grid: list[list] = []
    if positional:
        grid = _grid(reader, lay.sheet)
        # rows inserted or deleted in Excel leave _meta untouched: check the labels are where we expect them
        positional = _labels_in_place(grid, lay, scheme)
    if positional:
        cells = _positions(lay, scheme)
        recognised = "meta"
        sheet = lay.sheet
    else:
        found = _find_by_labels(reader, names, scheme, lay)
        if found is None:
            detail = "文件中没有填报表，也找不到任何指标名称"
            findings.append(Finding.make("not-template", file=display, detail=detail))
            return None, findings
        sheet, grid, cells = found
        recognised = "labels"
        code = "layout-tampered" if meta is not None else "recognised-by-labels"
        findings.append(Finding.make(code, file=display, sheet=sheet))
    formulas = _formulas(book, sheet, {cell for cell in cells.values()}, display) if book.zip else {}
    header: dict[str, str] = {}
    header_cells: dict[str, str] = {}
    for fld in lay.header_rows:
        ref = cells.get(("header", fld))
        if ref is None:
            continue
        header_cells[fld] = a1(*ref)
        header[fld] = as_text(_at(grid, *ref))
    typed_year = _year(header.get("report_year"))
    year = _year(meta.get("year") if meta else None) or typed_year
    center_name = header.get("center_name", "")
    center = center_name or header.get("center_code", "") or (meta or {}).get("center_code", "")
    values: dict[str, CellValue] = {}
    for ind in scheme.self_indicators:
        ref = cells.get(("value", ind.id))
        if ref is None:
            values[ind.id] = CellValue(ind.id, "", None, sheet, "", True)
            twice = cells.get(("ambiguous", ind.id))
            findings.append(
                Finding.make(
                    "value-row-ambiguous" if twice else "value-row-missing",
                    file=display,
                    sheet=sheet,
                    cell=a1(*twice) if twice else "",
                    center=center,
                    indicator=ind.id,
                    label=ind.label,
                    category=ind.category,
                    categories="、".join(
                        i.category
                        for i in scheme.self_indicators
                        if _strip_label(i.label) == _strip_label(ind.label)
                    ),
                    value_header=lay.columns[lay.value_col],
                )
            )
            continue
        cell = a1(*ref)
        raw = _at(grid, *ref)
        cv, found_here = _read_value(ind, raw, cell, sheet, display, center, formulas.get(ref))
        values[ind.id] = cv
        findings.extend(found_here)
    sub = Submission(
        file=display,
        sha256=book.sha256,
        center_code=header.get("center_code", "") or (meta or {}).get("center_code", ""),
        center_name=center_name,
        host_unit=header.get("host_unit", ""),
        year=year,
        typed_year=typed_year if typed_year != year else None,
        filler_name=header.get("filler_name", ""),
        filler_phone=header.get("filler_phone", ""),
        fill_date=header.get("fill_date", ""),
        values=values,
        scheme_id=(meta or {}).get("scheme_id", "") or scheme.id,
        scheme_version=(meta or {}).get("scheme_version", ""),
        template_version=(meta or {}).get("template_version", ""),
        saved_at=_saved_at(book, display),
        modified_at=modified,
        recognised_by=recognised,
        sheet=sheet,
        header_cells=header_cells,
        file_format=book.fmt,
    )
    return sub, findings


def _labels_in_place(grid: list[list], lay: Layout, scheme) -> bool:
    expected = _expected_labels(lay, scheme)
    for (r, c), accepted in expected.items():
        row = grid[r] if r < len(grid) else ()
        cell = row[c] if c < len(row) else None
        # a label as the template wrote it is found as it is; anything else is compared normalised
        if cell.__class__ is not str or (cell not in accepted and _strip_label(cell) not in accepted):
            return False
    return True


# keyed like layout()'s own memo: the labels depend on the scheme's input_label too, which the layout's
# fingerprint (positions and labels as printed) does not cover
_EXPECTED: dict[tuple[str, str, str], dict[tuple[int, int], set[str]]] = {}


def _expected_labels(lay: Layout, scheme) -> dict[tuple[int, int], set[str]]:
    key = (scheme.id, scheme.version, scheme.sha256)
    found = _EXPECTED.get(key)
    if found is None:
        found = {}
        # each accepted label normalised (what a cell is compared with) and as written (a shortcut: a cell
        # equal to it normalises to the same; _strip_label is idempotent)
        for ind in scheme.self_indicators:
            texts = [t for t in (ind.label, ind.input_label) if t]
            found[(lay.rows[ind.id], lay.label_col)] = {*texts, *map(_strip_label, texts)}
        for fld, row in lay.header_rows.items():
            text = lay.header_labels[fld]
            found[(row, lay.header_label_col)] = {text, _strip_label(text)}
        _EXPECTED[key] = found
    return found


def _year(text: object) -> int | None:
    if text is None:
        return None
    if isinstance(text, int | float) and not isinstance(text, bool):
        n = int(text)
        return n if 1990 <= n <= 2100 and n == text else None
    m = re.fullmatch(r"\s*(\d{4})(\.0+)?\s*年?(度)?\s*", str(text))
    if m:
        n = int(m.group(1))
        return n if 1990 <= n <= 2100 else None
    return None


_POSITIONS: dict[str, dict] = {}


def _positions(lay: Layout, scheme) -> dict:
    """(kind, id) -> (row, col) of the header and value cells (memoised per layout)."""
    found = _POSITIONS.get(lay.fingerprint)
    if found is None:
        found = {("header", f): (r, lay.header_value_col) for f, r in lay.header_rows.items()}
        found.update({("value", i): (r, lay.value_col) for i, r in lay.rows.items()})
        _POSITIONS[lay.fingerprint] = found
    return found


def _read_value(
    ind, raw: object, cell: str, sheet: str, display: str, center: str, formula: tuple[str, bool] | None
) -> tuple[CellValue, list[Finding]]:
    """One input cell -> CellValue and its findings (a typed formula is judged by its cached value)."""
    if formula is None:
        raw_text, parsed = _parse(ind, raw)
        if not parsed.code:  # the common case: a clean value, nothing to report
            return CellValue(ind.id, raw_text, parsed.value, sheet, cell, parsed.value is None), []
    base = {"file": display, "sheet": sheet, "cell": cell, "center": center, "indicator": ind.id}
    label = ind.label  # as the template's row prints it (input_label is only the input cell's prompt)
    if formula is not None:
        raw_text = f"={formula[0]}"
        if not formula[1]:
            finding = Finding.make_typed("formula-no-cache", raw_text, label=label, raw=raw_text, **base)
            return CellValue(ind.id, raw_text, None, sheet, cell, True), [finding]
        parsed = _parse(ind, raw)[1]
    findings: list[Finding] = []
    error = False
    if parsed.code:
        finding = parsed_finding(
            parsed, ind, raw, raw_text, label=label, file=display, sheet=sheet, cell=cell, center=center
        )
        findings.append(finding)
        error = finding.severity is Severity.ERROR
    if formula is not None and not error:
        shown = "" if parsed.value is None else as_text(parsed.value)
        findings.append(
            Finding.make_typed("formula-cached", raw_text, label=label, raw=raw_text, value=shown, **base)
        )
    value = None if error else parsed.value
    return CellValue(ind.id, raw_text, value, sheet, cell, error or value is None), findings


_PARSED: dict[tuple, tuple[str, Parsed]] = {}
_PARSED_MAX = 200_000


def _parse(ind, raw: object) -> tuple[str, Parsed]:
    """(as_text(raw), parse_value(raw, ...)) for an indicator, memoised: a batch's clerks type the same
    figures over and over, and both functions are pure. The key holds the value's type (1, 1.0 and True
    differ) and every parse argument, so an edited scheme never reuses another's result."""
    key = (raw.__class__, raw, ind.type, ind.places, ind.max, ind.min, ind.unit)
    if raw.__class__ is float and raw == 0:
        key += (str(raw),)  # -0.0 == 0.0, but the clerk's "-0" is shown as typed
    try:
        found = _PARSED.get(key)
    except TypeError:  # an unhashable value: no reader of ours returns one, but never fail on it
        return as_text(raw), parse_value(
            raw, type=ind.type, places=ind.places, maximum=ind.max, minimum=ind.min, unit=ind.unit
        )
    if found is None:
        parsed = parse_value(
            raw, type=ind.type, places=ind.places, maximum=ind.max, minimum=ind.min, unit=ind.unit
        )
        found = (as_text(raw), parsed)
        if len(_PARSED) >= _PARSED_MAX:
            _PARSED.clear()
        _PARSED[key] = found
    return found


# ---------------------------------------------------------------------------------------------- xml helpers


def _sheet_part(book: _Book, sheet: str, display: str) -> str | None:
    """The zip part name of a sheet, from workbook.xml and its relationships."""
    wb = ElementTree.fromstring(book.part("xl/workbook.xml", display))
    rid = None
    for el in wb.iter(f"{_NS_MAIN}sheet"):
        if el.get("name") == sheet:
            rid = el.get(f"{_NS_REL}id")
            break
    if rid is None:
        return None
    rels = ElementTree.fromstring(book.part("xl/_rels/workbook.xml.rels", display))
    for el in rels.iter(f"{_NS_PKG_REL}Relationship"):
        if el.get("Id") == rid:
            target = el.get("Target", "")
            if target.startswith("/"):
                return target.lstrip("/")
            parts: list[str] = ["xl"]
            for piece in target.split("/"):
                if piece == "..":
                    if parts:
                        parts.pop()
                elif piece and piece != ".":
                    parts.append(piece)
            return "/".join(parts)
    return None


_SHEET_PARTS: dict[tuple, str | None] = {}


def _sheet_part_cached(book: _Book, sheet: str, display: str) -> str | None:
    """_sheet_part, remembered by the CRC and size of workbook.xml and its relationships as the zip directory
    declares them (identical in every file written from one template, so a batch parses them once; the
    directory is already read, so the key costs no inflation)."""
    key: tuple = (sheet,)
    for name in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels"):
        try:
            info = book.zip.getinfo(name) if book.zip is not None else None
        except KeyError:
            info = None
        key += (info.CRC, info.file_size) if info is not None else (None, None)
    if key not in _SHEET_PARTS:
        if len(_SHEET_PARTS) > 256:
            _SHEET_PARTS.clear()
        _SHEET_PARTS[key] = _sheet_part(book, sheet, display)
    return _SHEET_PARTS[key]


def _formulas(
    book: _Book, sheet: str, wanted: set[tuple[int, int]], display: str, *, shortcut: bool = True
) -> dict[tuple[int, int], tuple[str, bool]]:
    """(row, col) -> (formula text, has cached value) for the wanted cells that hold a formula.

    shortcut: a byte search first (in the part's rows up to the last wanted cell, then if need be in all of
    it), the sheet is parsed only when a wanted cell may hold a formula; False always parses (the reference the
    shortcut is tested against)."""
    if book.fmt == "ods":
        return _ods_formulas(book, sheet, wanted, display)
    try:
        name = _sheet_part_cached(book, sheet, display)
        if name is None:
            return {}
        tags = _cell_tags(wanted) if shortcut else ()
        if shortcut:
            if not tags:
                return {}
            head = _head_through(book, name, tags[-1])
            if head is not None and _surely_no_formula(head, tags):
                return {}
        part = book.part(name, display)
        if shortcut and _surely_no_formula(part, tags):
            return {}
        root = ElementTree.fromstring(part)
        data = root.find(f"{_NS_MAIN}sheetData")
        if data is None:
            return {}
        by_row: dict[int, list[tuple[int, int]]] = {}
        for r, c in wanted:
            by_row.setdefault(r, []).append((r, c))
        out: dict[tuple[int, int], tuple[str, bool]] = {}
        for n, row_el in enumerate(data):
            number = row_el.get("r")
            r = int(number) - 1 if number and number.isdigit() else n
            if r not in by_row:
                continue
            refs_here = {a1(rc[0], rc[1]): rc for rc in by_row[r]}
            for cell_el in row_el:
                rc = refs_here.get(cell_el.get("r", ""))
                if rc is None:
                    continue
                f = cell_el.find(f"{_NS_MAIN}f")
                if f is not None:
                    v = cell_el.find(f"{_NS_MAIN}v")
                    cached = (v is not None and (v.text or "") != "") or cell_el.find(
                        f"{_NS_MAIN}is"
                    ) is not None
                    out[rc] = ((f.text or "").strip(), cached)
        return out
    except ElementTree.ParseError as exc:
        raise _sheet_xml_error(display, sheet, exc) from None


def _sheet_xml_error(display: str, sheet: str, exc: ElementTree.ParseError) -> _Refused:
    """A sheet's XML that does not parse: where, in plain Chinese (never the parser's English)."""
    line, column = exc.position
    detail = f"工作表内容不规范（第{line}行第{column}列）"
    return _Refused(Finding.make("file-corrupt", file=display, sheet=sheet, detail=detail))


_ODS_ROW_GROUPS = {f"{_NS_TABLE}{t}" for t in ("table-header-rows", "table-row-group", "table-rows")}
_ODS_CELLS = {f"{_NS_TABLE}table-cell", f"{_NS_TABLE}covered-table-cell"}
_ODS_FORMULA_PREFIX = re.compile(r"^[A-Za-z]+:(?==)")  # of:=…, oooc:=…, msoxl:=…


def _ods_rows(parent: ElementTree.Element) -> Iterator[ElementTree.Element]:
    for child in parent:
        if child.tag == f"{_NS_TABLE}table-row":
            yield child
        elif child.tag in _ODS_ROW_GROUPS:
            yield from _ods_rows(child)


def _ods_formulas(
    book: _Book, sheet: str, wanted: set[tuple[int, int]], display: str
) -> dict[tuple[int, int], tuple[str, bool]]:
    """_formulas for an .ods: the wanted cells that carry a table:formula attribute, and whether the file
    saved its result (an office:value-type beside it). Repeated rows and cells are counted, never expanded."""
    part = book.part("content.xml", display)
    if b"table:formula=" not in part:
        return {}
    try:
        root = ElementTree.fromstring(part)
    except ElementTree.ParseError as exc:
        raise _sheet_xml_error(display, sheet, exc) from None
    table = next((t for t in root.iter(f"{_NS_TABLE}table") if t.get(f"{_NS_TABLE}name") == sheet), None)
    if table is None or not wanted:
        return {}
    last_row = max(r for r, _ in wanted)
    out: dict[tuple[int, int], tuple[str, bool]] = {}
    r = 0
    for row_el in _ods_rows(table):
        rows = int(row_el.get(f"{_NS_TABLE}number-rows-repeated", "1") or 1)
        c = 0
        for cell_el in row_el:
            if cell_el.tag not in _ODS_CELLS:
                continue
            cols = int(cell_el.get(f"{_NS_TABLE}number-columns-repeated", "1") or 1)
            formula = cell_el.get(f"{_NS_TABLE}formula")
            if formula is not None:
                text = _ODS_FORMULA_PREFIX.sub("", formula).removeprefix("=").strip()
                cached = cell_el.get(f"{_NS_OFFICE}value-type") is not None
                for rc in wanted:
                    if r <= rc[0] < r + rows and c <= rc[1] < c + cols:
                        out[rc] = (text, cached)
            c += cols
        r += rows
        if r > last_row:
            break
    return out


_CELL_TAGS: dict[frozenset, tuple[bytes, ...]] = {}


def _cell_tags(wanted: set[tuple[int, int]]) -> tuple[bytes, ...]:
    """b'<c r="F5"' for each wanted cell, in the row-major order a sheet part lists them (memoised)."""
    key = frozenset(wanted)
    found = _CELL_TAGS.get(key)
    if found is None:
        if len(_CELL_TAGS) > 256:
            _CELL_TAGS.clear()
        found = _CELL_TAGS[key] = tuple(b'<c r="%s"' % a1(r, c).encode() for r, c in sorted(key))
    return found


HEAD_STEP = 8192  # inflated bytes per step of _head_through


def _head_through(book: _Book, name: str, tag: bytes) -> bytes | None:
    """The start of a deflated sheet part, inflated up to the end of the row that holds `tag` (the last wanted
    cell): the shortcut needs no more, and a template's data validations and print settings, often half the
    part, come after its rows. None when the part is not at hand this way, or the row is not found within the
    size the directory declares (the caller then inflates the whole part, with its checks)."""
    try:
        info = book.zip.getinfo(name) if book.zip is not None else None
    except KeyError:
        return None
    if info is None or info.compress_type != zipfile.ZIP_DEFLATED:
        return None
    raw = _raw_member(book.zip, info)
    if raw is None:
        return None
    inflater = zlib.decompressobj(-15)
    head, at = b"", -1
    try:
        while len(head) <= info.file_size:
            head += inflater.decompress(inflater.unconsumed_tail if head else raw, HEAD_STEP)
            if at < 0:
                at = head.find(tag)
            if at >= 0 and head.find(b"</row>", at) >= 0:
                return head
            if not inflater.unconsumed_tail:
                return None
    except zlib.error:
        return None
    return None


def _surely_no_formula(part: bytes, tags: Sequence[bytes]) -> bool:
    """Cheap pre-check: True when each wanted cell's element is found and holds no <f child.

    Only a shortcut: False (a cell not found as written by Excel/XlsxWriter, or an <f inside) means
    "parse the sheet to be sure", never "there is a formula". Cells are searched from the previous one on,
    so a sheet in row order is scanned about once.
    """
    pos = 0
    for tag in tags:
        start = part.find(tag, pos)
        if start < 0:
            start = part.find(tag)
            if start < 0:
                return False
        end = part.find(b">", start)
        if end < 0:
            return False
        if part[end - 1] != 0x2F:  # not an empty <c .../>
            close = part.find(b"</c>", end)
            if close < 0 or part.find(b"<f", end, close) >= 0:
                return False
        pos = end
    return True


_MODIFIED = re.compile(rb"<dcterms:modified(?:\s[^<>]*)?>([^<>&]*)</dcterms:modified>")


def _saved_at(book: _Book, display: str) -> datetime | None:
    """The workbook's own last-saved time (docProps/core.xml, or the OLE summary information)."""
    try:
        if book.fmt == "ods":
            el = ElementTree.fromstring(book.part("meta.xml", display) or b"<x/>").find(
                f"{_NS_OFFICE}meta/{_NS_DC}date"
            )
            text = "" if el is None else (el.text or "").strip()
            if not text:
                return None
            stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
            if stamp.tzinfo is None:  # LibreOffice writes local time without an offset: this machine's zone
                stamp = stamp.astimezone()
        elif book.zip is not None:
            part = book.part("docProps/core.xml", display)
            if not part:
                return None
            plain = _MODIFIED.search(part)  # the usual prefix; anything else goes through the parser
            if plain is not None:
                text = plain.group(1).decode()
            else:
                el = ElementTree.fromstring(part).find(f"{_NS_DCTERMS}modified")
                text = "" if el is None else el.text or ""
            if not text.strip():
                return None
            stamp = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
        else:
            import olefile

            ole = olefile.OleFileIO(book.data)
            try:
                stamp = ole.get_metadata().last_saved_time
            finally:
                ole.close()
            if stamp is None:
                return None
        if stamp.tzinfo is not None:
            stamp = stamp.astimezone(UTC).replace(tzinfo=None)
        return stamp
    except Exception:  # a missing or odd timestamp only weakens duplicate resolution
        return None


# ---------------------------------------------------------------------------------------------- labels


@functools.lru_cache(maxsize=8192)
def _strip_label(text: str) -> str:
    return normalise_name(text).rstrip(":：*")


_TRAILING_BRACKET = re.compile(r"\(([^()]*)\)$")


def _label_keys(text: str, unit: str) -> set[str]:
    """The normalised forms a retyped label may take: as printed, without its trailing unit, and with the
    unit added ("入驻银行机构（家）", "入驻银行机构", "人员配备（名）"); widths, brackets and spaces don't matter."""
    key = _strip_label(text)
    bare = _TRAILING_BRACKET.sub("", key) if key.endswith(")") else key
    keys = {key, bare}
    if unit:
        keys.add(f"{bare}({_strip_label(unit)})")
    return {k for k in keys if k}


_NUMBERING = re.compile(r"^(?:\(?[一二三四五六七八九十\d]{1,3}[).、]|\([一二三四五六七八九十\d]{1,3}\))")


def _label_lookup(index: dict[str, list], text: str) -> list:
    """The indicators a label cell names: its text normalised, else without a leading "1." or "（一）", else
    without a trailing "(单位：…)"."""
    found = index.get(text)
    if found is None and _NUMBERING.match(text):
        text = _NUMBERING.sub("", text)
        found = index.get(text)
    if found is None and text.endswith(")"):
        unit = _TRAILING_BRACKET.search(text)
        if unit is not None and unit.group(1).startswith(("单位:", "单位")):
            found = index.get(f"{text[: unit.start()]}({unit.group(1).split(':')[-1].removeprefix('单位')})")
    return found or []


def _label_index(scheme, lay: Layout) -> tuple[dict[str, list], dict[str, str], set[str]]:
    """normalised label -> indicators; normalised header label -> field; normalised categories."""
    labels: dict[str, list] = {}
    for ind in scheme.self_indicators:
        keys = set().union(*(_label_keys(text, ind.unit) for text in {ind.label, ind.input_label} - {""}))
        for key in keys:
            labels.setdefault(key, []).append(ind)
    headers = {_strip_label(text): fld for fld, text in lay.header_labels.items()}
    headers.setdefault(_strip_label("考核年度"), "report_year")
    headers.setdefault(_strip_label("评估年度"), "report_year")
    headers.setdefault(_strip_label("名称"), "center_name")
    categories = {_strip_label(ind.category) for ind in scheme.self_indicators}
    return labels, headers, categories


def _numeric_like(value: object) -> bool:
    if value is None or isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    if isinstance(value, datetime | date):
        return False
    parsed = parse_value(value, type="decimal", places=6, minimum=Decimal("-1e18"))
    # a figure with some unit after it is still the figure of a table's value column
    return parsed.code in (
        "",
        "value-text-number",
        "value-normalised",
        "value-zero-word",
        "value-unit-wrong",
        "value-unit-converted",
    )


def _find_by_labels(reader, names: list[str], scheme, lay: Layout) -> tuple[str, list[list], dict] | None:
    """The data table among the sheets, found by its seed labels: the sheet the scheme names first, then any
    other, but only where the labels have a value column beside them (a 填报数/数量 header above them, else the
    one column where their neighbours hold numbers). The instructions sheet, which repeats every label beside
    its help text, is never it. Returns (sheet, grid, cells)."""
    index = _label_index(scheme, lay)
    instructions = scheme.submission.get("instructions_sheet", "填报说明")
    ordered = [n for n in names if n == lay.sheet] + [
        n for n in names if n not in (lay.sheet, META_SHEET, instructions)
    ]
    best: tuple[int, str, list[list], dict] | None = None
    for name in ordered:
        grid = _grid(reader, name)
        cells = _table_cells(grid, scheme, index)
        count = sum(1 for k in cells if k[0] == "value")
        if count and (best is None or count > best[0]):
            best = (count, name, grid, cells)
            if name == lay.sheet:
                break  # the sheet the template names holds the table: no other is looked at
    return None if best is None else best[1:]


def _table_cells(grid: list[list], scheme, index) -> dict:
    """(kind, id) -> (row, col) of the header fields and the values of a table, when the sheet is one."""
    labels, headers, categories = index
    value_headers = {
        _strip_label(h) for h in (scheme.submission.get("value_header", ""), *VALUE_HEADERS) if h
    }
    cells: dict = {}
    found: list[tuple[str, int, int, int | None]] = []  # indicator id, row, label column, value header column
    value_col: int | None = None
    category = ""
    for r, row in enumerate(grid):
        texts = [_strip_label(v) if isinstance(v, str) else "" for v in row]
        here = next((c for c, t in enumerate(texts) if t in value_headers), None)
        if here is not None:
            value_col = here
        for t in texts:
            if t in categories:
                category = t
        for c, t in enumerate(texts):
            if not t:
                continue
            fld = headers.get(t)
            if fld and ("header", fld) not in cells:
                target = next((k for k in range(c + 1, len(row)) if row[k] != ""), c + 1)
                cells[("header", fld)] = (r, target)
                continue
            inds = _label_lookup(labels, t)
            if len(inds) > 1:
                same = [i for i in inds if _strip_label(i.category) == category]
                if not same:  # 服务企业数量 with no 一级指标 above it: which one it is cannot be told
                    for ind in inds:
                        cells.setdefault(("ambiguous", ind.id), (r, c))
                inds = same
            if len(inds) != 1 or any(f[0] == inds[0].id for f in found):
                continue
            found.append((inds[0].id, r, c, value_col if value_col is not None and value_col > c else None))
    # without a value header, the table's value column is where most labels have a number beside them
    beside = Counter(
        next((k for k in range(c + 1, len(grid[r])) if _numeric_like(grid[r][k])), None)
        for _, r, c, header_col in found
        if header_col is None
    )
    beside.pop(None, None)
    common = beside.most_common(1)[0][0] if beside else None
    for iid, r, c, header_col in found:
        col = header_col if header_col is not None else common
        if col is not None and col > c:
            cells[("value", iid)] = (r, col)
    return cells


# ---------------------------------------------------------------------------------------------- tables


def read_sheets(
    path: Path, display: str, *, max_rows: int = 100_000
) -> tuple[list[tuple[str, list[list]]], list[Finding]]:
    """Every sheet of a workbook (but `_meta`) as rows anchored at A1, behind the same guards as submissions
    (format sniffing, zip and XML bombs, passwords). For rosters and earlier years' results: problems are
    findings, never exceptions."""
    try:
        book = _open_book(path, display)
        return [
            (name, _grid(book.reader, name)[:max_rows])
            for name in _sheet_names(book.reader)
            if name != META_SHEET
        ], list(book.findings)
    except _Refused as refused:
        return [], refused.findings
    except BaseException as exc:  # hostile input (a native panic too) must not stop the run
        guards.reraise_fatal(exc)
        return [], [Finding.make("file-corrupt", file=display, detail=guards.describe_error(exc))]


def read_book_with_meta(
    path: Path, display: str, *, max_rows: int = 100_000
) -> tuple[dict[str, str] | None, list[tuple[str, list[list]]], list[Finding]]:
    """(its `_meta` as key -> value or None, every other sheet as read_sheets gives it, findings): a workbook
    this tool wrote, read back behind the same guards as every input (publish reads a ranking workbook)."""
    try:
        book = _open_book(path, display)
        names = _sheet_names(book.reader)
        sheets = [(name, _grid(book.reader, name)[:max_rows]) for name in names if name != META_SHEET]
        return _read_meta(book.reader, names), sheets, list(book.findings)
    except _Refused as refused:
        return None, [], refused.findings
    except Exception as exc:  # hostile input must not stop the run
        return (
            None,
            [],
            [Finding.make("file-corrupt", file=display, detail=f"{type(exc).__name__}: {str(exc)[:160]}")],
        )


@dataclass
class TableBook:
    """A workbook read as tables (assessor tables, review sheets): every sheet but `_meta` as rows anchored at
    A1, its `_meta` (None when it has none), its own saved time, and the formulas of its cells."""

    sheets: list[tuple[str, list[list]]]
    findings: list[Finding]
    meta: dict[str, str] | None = None
    saved_at: datetime | None = None
    sha256: str = ""
    formulas: dict[str, dict[str, tuple[str, bool]]] = field(default_factory=dict)  # sheet -> A1 -> formula


def read_table_book(path: Path, display: str, *, max_rows: int = 10_000) -> TableBook:
    """Like read_sheets, with what a table that decides grades needs besides: `_meta` (what the file is), the
    saved time (which copy is newest) and each cell's formula with whether it has a cached value (read like a
    submission's). Behind the same guards; problems are findings, never exceptions."""
    try:
        book = _open_member(path, display) if isinstance(path, MemberFile) else _open_book(path, display)
        names = _sheet_names(book.reader)
        out = TableBook([], list(book.findings), _read_meta(book.reader, names), _saved_at(book, display))
        out.sha256 = book.sha256
        for name in names:
            if name == META_SHEET:
                continue
            grid = _grid(book.reader, name)[:max_rows]
            out.sheets.append((name, grid))
            if book.zip is not None:  # .xlsx, .xlsm, .ods: where formulas can be told from values
                wanted = {(r, c) for r, row in enumerate(grid) for c in range(len(row))}
                found = _formulas(book, name, wanted, display)
                out.formulas[name] = {a1(r, c): f for (r, c), f in found.items()}
        return out
    except _Refused as refused:
        return TableBook([], refused.findings, sha256=refused.sha256)
    except Exception as exc:  # hostile input must not stop the run
        detail = f"{type(exc).__name__}: {str(exc)[:160]}"
        return TableBook([], [Finding.make("file-corrupt", file=display, detail=detail)])


def table_rows(
    sheets: Sequence[tuple[str, list[list]]], required: Sequence[str]
) -> tuple[list[dict[str, tuple[object, str]]], str, int] | None:
    """(rows, sheet, header row index) of the first sheet region whose header row holds all `required` texts
    (compared normalised); None when no sheet has one. See read_table for the rows."""
    want = {normalise_name(r): r for r in required}
    for name, grid in sheets:
        for h, row in enumerate(grid):
            norm = [normalise_name(as_text(v)) for v in row]
            if not set(want) <= set(norm):
                continue
            keys: dict[int, str] = {}
            for c, n in enumerate(norm):
                if n and c not in keys:
                    keys[c] = want.get(n, as_text(row[c]))
            rows = [
                {
                    key: (None if c >= len(data) or data[c] == "" else data[c], a1(r, c))
                    for c, key in keys.items()
                }
                for r, data in enumerate(grid[h + 1 :], start=h + 1)
                if not all(v == "" or v is None for v in data)
            ]
            return rows, name, h
    return None


def read_table(
    path: Path, display: str, *, required: Sequence[str]
) -> tuple[list[dict[str, tuple[object, str]]], list[Finding], str]:
    """Rows of the first sheet region whose header row holds all `required` texts (compared normalised).

    Each row maps header text -> (value, A1 cell); a `required` text is used as the key of its column.
    Same guards as submissions (read_sheets); problems are findings (file-*, not-template), never exceptions.
    """
    sheets, findings = read_sheets(path, display)
    if any(f.severity is Severity.ERROR for f in findings):
        return [], findings, ""
    found = table_rows(sheets, required)
    if found is not None:
        return found[0], findings, found[1]
    findings.append(
        Finding.make("not-template", file=display, detail=f"找不到包含“{'、'.join(required)}”的表头行")
    )
    return [], findings, ""
