"""Saved e-mails in the inbox: the bytes of an .eml or Outlook .msg -> its attachments, each with where it came
from (sender, sent time, subject, the message's file), as if they lay in the folder.

Attachments are taken from the whole MIME tree (clients nest them in multipart/related or /alternative); a
mail attached to a mail is read one level deep. A zip attachment is handed on as it is: inbox.py opens it
as it opens a zip of the folder. Names come in every
encoding Chinese mail programs use: RFC 2047 words (also inside parameters, as Outlook and Foxmail write
them), RFC 2231 parameters, and raw 8-bit GBK or UTF-8; a label of gb2312 is read as GB18030, its superset,
since clients label GBK text gb2312. Problems are findings; nothing raises out of `read_mail`.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import email
import email.errors
import email.header
import email.utils
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, timezone
from email import policy
from email.message import EmailMessage, Message
from pathlib import PurePosixPath
from types import MappingProxyType

from kjjr_excel.domain.findings import Finding
from kjjr_excel.domain.model import BEIJING_TIME, MailOrigin
from kjjr_excel.read import guards
from kjjr_excel.read.inbox import (
    MAIL_SUFFIXES,
    OTHER_SHEETS,
    MemberFile,
    kind_of_bytes,
    no_extension_finding,
    other_sheet_finding,
    unique_name,
    unlisted_suffix,
)

__all__ = ["MAIL_SUFFIXES", "MailOrigin", "MemberFile", "read_mail", "decode_name"]

MAX_ATTACHMENTS = 100  # files one mail may carry
MAX_ATTACHMENT_BYTES = 200 * 2**20  # decoded bytes of one mail's attachments, all together
MAX_DEPTH = 1  # a mail attached to a mail is read; one attached to that one is not
# MIME parts of one .eml, counted by their Content-Type header lines (a line of the text that looks like one
# can only overstate): 20,000 parts took the email parser 7 s for 3.5 MB, so 7 minutes for a 200 MB mail
MAX_MIME_PARTS = 2_000
_PART_HEADER = re.compile(rb"^content-type[ \t]*:", re.IGNORECASE | re.MULTILINE)
# Outlook opens a mail marked so as a draft to send (the drafts written here carry it): never a received mail,
# and its attachments are the office's own (a receipt, the blank template of a 催报), not a submission
_UNSENT = re.compile(rb"^x-unsent[ \t]*:[ \t]*1[ \t]*\r?$", re.IGNORECASE | re.MULTILINE)
_HEADER_END = re.compile(rb"\r?\n\r?\n")


def _headers(data: bytes) -> bytes:
    """A mail's header block, without copying its body (split would copy all of a 50 MB mail's rest)."""
    end = _HEADER_END.search(data)
    return data if end is None else data[: end.start()]


OLE_MAGIC = guards.OLE_MAGIC  # an Outlook .msg (an .eml is text)

TNEF_MAGIC = b"\x78\x9f\x3e\x22"  # winmail.dat: Outlook's rich-text mail packs every attachment in it
# a workbook or zip attached with no name at all is named by its type, so it is read and not lost unseen
_UNNAMED = MappingProxyType(
    {
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
        "application/vnd.ms-excel.sheet.macroenabled.12": ".xlsm",
        "application/vnd.ms-excel": ".xls",
        "application/vnd.oasis.opendocument.spreadsheet": ".ods",
        "application/zip": ".zip",
        "application/x-zip-compressed": ".zip",
    }
)

_GB = frozenset(
    {"gb2312", "gb_2312", "gb_2312-80", "gbk", "x-gbk", "cp936", "euc-cn", "x-euc-cn", "hz-gb-2312"}
)


@dataclass
class MailContent:
    """What one mail file yielded: workbook candidates, findings, and the file's own origin."""

    origin: MailOrigin
    files: list[MemberFile] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    skipped: list[tuple[str, int]] = field(default_factory=list)  # (display, size) of attachments left out
    draft: bool = False  # an unsent draft: left out whole


# ---------------------------------------------------------------------------------------------- decoding


def _charset(name: str | None) -> str:
    name = (name or "").strip().lower()
    return "gb18030" if name in _GB else name or "utf-8"


def _bytes_text(data: bytes, charset: str | None = None) -> str:
    """Bytes of a name or subject: in their declared charset when it decodes, else UTF-8, else GB18030."""
    for candidate in (_charset(charset) if charset else None, "utf-8", "gb18030"):
        if candidate is None:
            continue
        try:
            return data.decode(candidate)
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode("gb18030", errors="replace")


def _unescape(text: str) -> str:
    """A header read from bytes keeps raw 8-bit as surrogate escapes: give them back as UTF-8 or GBK text."""
    if not any("\udc80" <= ch <= "\udcff" for ch in text):
        return text
    return _bytes_text(text.encode("utf-8", errors="surrogateescape"))


def decode_words(raw: str) -> str:
    """A header value as sent: RFC 2047 encoded words (gb2312 labels read as GB18030), raw 8-bit text."""
    raw = _unescape(raw)
    if "=?" not in raw:
        return " ".join(raw.split())
    try:
        pieces = email.header.decode_header(raw)
    except (ValueError, email.errors.HeaderParseError):  # type: ignore[attr-defined]
        return raw
    out = []
    for piece, charset in pieces:
        if isinstance(piece, str):
            out.append(piece)
        elif charset:
            out.append(_bytes_text(piece, charset))
        else:  # the text between the words, which email gives back as raw-unicode-escape bytes
            out.append(piece.decode("raw-unicode-escape", errors="replace"))
    return "".join(out).strip()


def decode_name(value: object) -> str:
    """A filename parameter as email's get_param gives it: an RFC 2231 (charset, language, text) triple or a
    plain text that may hold RFC 2047 words or raw 8-bit bytes."""
    if isinstance(value, tuple):
        charset, _, text = value
        return _percent_text(str(text), charset)
    return decode_words(str(value or ""))


def _percent_text(text: str, charset: str | None) -> str:
    """An RFC 2231 value after its %XX were undone: each byte a character below 256, decoded in its charset.
    Characters above (some web mail and phone clients write the name unencoded: raw 8-bit text, already
    decoded with the header) are kept as they are, not an error that lost the whole mail."""
    out: list[str] = []
    run = bytearray()
    for ch in text + "\uffff":  # a sentinel above 255 ends the last run of bytes
        code = ord(ch)
        if code < 256 or 0xDC80 <= code <= 0xDCFF:  # a byte, or one kept as a surrogate escape
            run.append(code & 0xFF)
            continue
        if run:
            out.append(_bytes_text(bytes(run), charset))
            run.clear()
        out.append(ch)
    return "".join(out[:-1])


# ---------------------------------------------------------------------------------------------- reading


# an mbox's "From " line, which starts each of its mails: at the top, or after a blank line (mboxo and mboxrd
# quote a body's own "From " lines as ">From ")
_MBOX_FROM = re.compile(
    rb"(?:\A|(?<=\n\n)|(?<=\n\r\n))From \S+ +(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) +[A-Z][a-z]{2} +\d{1,2} +"
    rb"\d{1,2}:\d{2}(?::\d{2})?(?: +[^\r\n]*)?\r?\n(?=[A-Za-z][A-Za-z0-9-]*[ \t]*:)"
)  # "From - Mon Jan  8 10:31:02 2018" (the sender, an asctime date) before a header line: a body's own
# "From 张敏 的回复：" after a blank line is none


def mbox_mails(data: bytes) -> list[bytes]:
    """The mails of a mailbox file, each without its "From " line, in file order; [data] for a single mail
    (a saved .eml may start with one "From " line too). The file's size is bounded as any mail's."""
    if not data.startswith(b"From "):
        return [data]
    lines = list(_MBOX_FROM.finditer(data))
    ends = [m.start() for m in lines[1:]] + [len(data)]
    mails = [data[m.end() : end] for m, end in zip(lines, ends, strict=True) if data[m.end() : end].strip()]
    return mails or [data]


def read_mail(
    data: bytes,
    display: str,
    wanted: Callable[[str], bool],
    *,
    sep: str = " › ",
    depth: int = 0,
    outer: MailOrigin | None = None,
) -> MailContent:
    """The attachments of one saved mail (.eml or .msg, told by its first bytes) that `wanted(name)` accepts
    (workbooks, zips), with those of the mails attached to it; each is shown as the mail's display, `sep`,
    its own name. Never raises."""
    origin = MailOrigin(file=display)
    parts_declared = 0 if data.startswith(OLE_MAGIC) else len(_PART_HEADER.findall(data))
    if parts_declared > MAX_MIME_PARTS:  # the parser would take minutes over them before any is looked at
        content = MailContent(origin)
        detail = f"邮件由 {parts_declared} 个部分组成，远超正常邮件"
        content.findings.append(Finding.make("mail-unreadable", file=display, detail=detail))
        return content
    if depth == 0 and not data.startswith(OLE_MAGIC) and _UNSENT.search(_headers(data)):
        content = MailContent(origin, draft=True)
        content.findings.append(Finding.make("mail-draft", file=display))
        return content
    try:
        if data.startswith(OLE_MAGIC):
            origin, parts = _read_msg(data, display)
        else:
            origin, parts = _read_eml(data, display)
    except Exception as exc:  # a hostile or damaged mail must not stop the batch
        content = MailContent(origin)
        content.findings.append(Finding.make("mail-unreadable", file=display, detail=_why(exc, data)))
        return content
    content = MailContent(origin if outer is None else _forwarded(outer, origin))
    _collect(content, parts, display, wanted, sep, depth)
    if not content.files:
        content.findings.append(
            Finding.make(
                "mail-no-attachment",
                file=display,
                sender=origin.who,
                subject=origin.subject or "（无主题）",
                sent=origin.sent_text,
            )
        )
    return content


Part = tuple[str, "bytes | Message | object"]  # (file name, bytes, or an attached mail to read)


def _collect(content: MailContent, parts: Sequence[Part], display: str, wanted, sep: str, depth: int) -> None:
    names: set[str] = set()
    total = 0
    for name, payload in parts:
        shown = f"{display}{sep}{unique_name(name or '未命名附件', names)}"
        if len(content.files) >= MAX_ATTACHMENTS:
            content.findings.append(
                Finding.make("mail-unsafe", file=display, detail=f"附件超过 {MAX_ATTACHMENTS} 个，其余未读取")
            )
            return
        lower = name.lower()
        if isinstance(payload, bytes | bytearray):
            total += len(payload)
            if total > MAX_ATTACHMENT_BYTES:
                detail = f"附件合计超过 {MAX_ATTACHMENT_BYTES // 2**20} MB，其余未读取"
                content.findings.append(Finding.make("mail-unsafe", file=display, detail=detail))
                return
        if not isinstance(payload, bytes | bytearray) or lower.endswith(MAIL_SUFFIXES):
            if depth >= MAX_DEPTH:
                content.findings.append(Finding.make("mail-nested-too-deep", file=shown))
                continue
            nested = _nested(payload, shown, wanted, sep, depth + 1, content.origin)
            content.files.extend(nested.files)
            content.skipped.extend(nested.skipped)
            content.findings.extend(f for f in nested.findings if f.code != "mail-no-attachment")
        elif wanted(name):
            content.files.append(MemberFile(shown, name, bytes(payload), content.origin))
        elif unlisted_suffix(suffix := PurePosixPath(name).suffix.lower()) and (
            kind := kind_of_bytes(bytes(payload))
        ):  # a workbook or a zip whose name lost its extension: read by what its bytes are
            content.findings.append(no_extension_finding(shown, suffix, kind))
            content.files.append(MemberFile(shown, name, bytes(payload), content.origin))
        else:
            content.skipped.append((shown, len(payload)))
            suffix = PurePosixPath(name).suffix.lower()
            content.findings.append(
                other_sheet_finding(shown, suffix)
                if OTHER_SHEETS.get(suffix)
                else Finding.make("file-skipped", file=shown, reason=_skipped_why(name, payload))
            )


def _skipped_why(name: str, payload: bytes) -> str:
    """Why an attachment is not read, and what the sender can do when a workbook may be inside it."""
    if bytes(payload[:4]) == TNEF_MAGIC or name.lower() == "winmail.dat":
        return (
            "邮件附件 winmail.dat 是Outlook以“RTF格式”发信时打包的附件，其中的Excel文件无法读取。"
            "请发件人在Outlook中把邮件格式改为“HTML”或“纯文本”后重新发送"
        )
    suffix = PurePosixPath(name).suffix
    if suffix.lower() == ".p7m":
        return "邮件是加密的（S/MIME，smime.p7m），其中的附件无法读取。请发件人不加密（可以只签名）重新发送"
    return f"邮件附件，不是Excel文件（{suffix or '无扩展名'}）"


def _nested(payload, shown: str, wanted, sep: str, depth: int, outer: MailOrigin) -> MailContent:
    """A mail attached to a mail. Its attachments keep the outer mail as their origin: the one the analyst
    saved, and the one a receipt answers."""
    if isinstance(payload, bytes | bytearray):
        return read_mail(bytes(payload), shown, wanted, sep=sep, depth=depth, outer=outer)
    content = MailContent(outer)
    try:
        # message/rfc822 comes parsed with the outer mail; an Outlook embedded message is extract-msg's object
        if isinstance(payload, Message):
            inner, parts = _eml_origin(payload, shown), list(_eml_parts(payload))
        else:
            inner, parts = _msg_origin(payload, shown), list(_msg_parts(payload))
        content = MailContent(_forwarded(outer, inner))
    except Exception as exc:
        content.findings.append(Finding.make("mail-unreadable", file=shown, detail=_why(exc, b"")))
        return content
    _collect(content, parts, shown, wanted, sep, depth)
    return content


def _forwarded(outer: MailOrigin, inner: MailOrigin) -> MailOrigin:
    """The origin of a file in a mail forwarded inside `outer`: the mail the analyst saved (its sender answers
    and is shown), with the forwarded mail's own time, by which versions are told apart (validate)."""
    writer = (
        (inner.first_sender_name, inner.first_sender)
        if inner.first_sender
        else (inner.sender_name, inner.sender)
    )
    return replace(
        outer,
        first_sent_at=inner.first_sent_at or inner.sent_at or outer.first_sent_at,
        first_sender_name=writer[0] if writer[1] else outer.first_sender_name,
        first_sender=writer[1] or outer.first_sender,
    )


def _why(exc: Exception, data: bytes) -> str:
    """Why a mail cannot be read, in Chinese (the analyst never reads the library's English)."""
    if isinstance(exc, RecursionError):
        return "邮件层层嵌套（转发）过深"
    if isinstance(exc, MemoryError):
        return "邮件过大"
    if isinstance(exc, UnicodeError):
        return "文字编码错误"
    if data.startswith(OLE_MAGIC):
        return "Outlook邮件文件（.msg）结构损坏"
    return "邮件格式不规范或已损坏"


def _clean_name(name: str) -> str:
    """A name as a file of the folder: no path a sender's program put before it, no control characters."""
    name = re.split(r"[\\/]", name.strip())[-1]
    return re.sub(r"[\x00-\x1f]+", "", name).strip()


# ---------------------------------------------------------------------------------------------- .eml


def _read_eml(data: bytes, display: str) -> tuple[MailOrigin, list[Part]]:
    msg = email.message_from_bytes(data, policy=policy.default)
    if not msg.keys():  # not one header: no mail at all (a damaged file, a .msg that is not Outlook's)
        raise ValueError("no header")
    return _eml_origin(msg, display), list(_eml_parts(msg))


def _raw_header(msg: Message, name: str) -> str:
    for key, value in msg.raw_items() if isinstance(msg, EmailMessage) else msg.items():
        if key.lower() == name:
            return str(value)
    return ""


# name <local@domain>: no part can match in two ways, so a hostile header costs one pass, not a quadratic one
_NAME_ADDRESS = re.compile(r"(.*?)<([^<>\s@]+@[^<>\s]+)>\s*", re.DOTALL)


def _sender(raw: str) -> tuple[str, str]:
    """(name, address) of a From header as sent. The address is found before the name's encoded words are
    decoded: a comma decoded from them (Outlook's 'Zhang, San' order: “张, 三”) would part the name from its
    address, and the sender would be '张' with no address to answer."""
    found = _NAME_ADDRESS.fullmatch(_unescape(raw))
    if found is None:
        text = decode_words(raw).strip()
        if (
            "@" not in text and "<" not in text
        ):  # a name alone (Outlook's .msg: '市南区科技局 张敏'), kept whole
            return text.strip('"'), ""
        return email.utils.parseaddr(text)
    name = found.group(1).strip()
    if len(name) > 1 and name[0] == name[-1] == '"':
        name = name[1:-1].replace('\\"', '"')
    return decode_words(name), found.group(2)


# the zone of a Date header as Chinese mail programs and webmail write it: +0800, GMT+0800, UTC+08:00
_ZONE = re.compile(r"\d{1,2}:\d{2}(?::\d{2})?\s*(?:GMT|UTC)?\s*([+-])(\d{2}):?(\d{2})\b", re.IGNORECASE)
_NAMED_ZONE = re.compile(r"\d{1,2}:\d{2}(?::\d{2})?\s*([A-Za-z]{1,5})\b")


def mail_time(raw: str) -> datetime | None:
    """A mail's Date header as an aware time; None when it cannot be read or is out of range (year 9999 at
    -1200). A time without a zone, and CST, are Beijing time (as the clerks' mail programs mean them; Python
    reads CST as US Central); GMT+0800 is +08:00 (Python drops it); -0000 is UTC."""
    parts = email.utils.parsedate_tz(raw.strip()) if raw and raw.strip() else None
    if parts is None:
        try:  # 2018-01-08 11:00:00, as some tools write it
            iso = datetime.fromisoformat(raw.strip())
        except (ValueError, AttributeError):
            return None
        return _comparable(iso if iso.tzinfo else iso.replace(tzinfo=BEIJING_TIME))
    zone = _ZONE.search(raw)
    named = _NAMED_ZONE.search(raw)
    if zone is not None:
        sign = -1 if zone.group(1) == "-" else 1
        offset = sign * timedelta(hours=int(zone.group(2)), minutes=int(zone.group(3)))
    elif named is not None and named.group(1).upper() not in ("CST", "AM", "PM"):
        offset = timedelta(seconds=parts[9] or 0)  # GMT, UT, Z, EST…: as email.utils reads them
    else:
        offset = BEIJING_TIME.utcoffset(None)
    try:
        return _comparable(datetime(*parts[:6], tzinfo=timezone(offset)))
    except ValueError:  # 31 February, an offset of a day or more
        return None


def _comparable(when: datetime | None) -> datetime | None:
    """`when`, or None when it cannot be shown in Beijing time or compared in UTC (year 9999 at -1200)."""
    if when is None:
        return None
    try:
        when.astimezone(UTC), when.astimezone(BEIJING_TIME)
    except (ValueError, OverflowError):
        return None
    return when


def _eml_origin(msg: Message, display: str) -> MailOrigin:
    sender_name, sender = _sender(_raw_header(msg, "from"))
    sent_at = mail_time(_raw_header(msg, "date"))
    return MailOrigin(
        file=display,
        sender=sender,
        sender_name=sender_name,
        sent_at=sent_at,
        subject=decode_words(_raw_header(msg, "subject")),
    )


def _eml_parts(msg: Message) -> Iterator[Part]:
    """Every attachment in the MIME tree, without descending into attached mails (they are read apart)."""
    if msg.get_content_type() in _ENCRYPTED:  # the whole mail encrypted (S/MIME): said as left out, and why
        payload = msg.get_payload(decode=True)
        yield _part_filename(msg) or "smime.p7m", payload if isinstance(payload, bytes) else b""
    for part in msg.get_payload() if msg.is_multipart() else ():
        ctype = part.get_content_type()
        if ctype == "message/rfc822":
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) and inner else inner
            name, payload = _part_filename(part) or "附件邮件.eml", _base64_mail(part, inner)
            mail_named = isinstance(payload, Message) or name.lower().endswith(MAIL_SUFFIXES)
            yield (name if mail_named else f"{name}.eml"), payload  # its bytes are read as a mail
        elif part.is_multipart():
            yield from _eml_parts(part)
        else:
            name = _part_filename(part) or _unnamed(part)
            payload = _decoded(part)
            if not name and part.get_content_maintype() == "application" and _binary_file(payload):
                name = "未命名附件"  # no name, no disposition: a workbook or zip by its bytes
            if not name and part.get_content_disposition() != "attachment" or _picture_in_text(part):
                continue  # a body text, or a picture shown in it
            yield name, payload


_ENCRYPTED = ("application/pkcs7-mime", "application/x-pkcs7-mime")


def _decoded(part: Message) -> bytes:
    """A part's content. Base64 cut short (a mail file truncated in saving or copying) is decoded as far as it
    goes: the email package would give the base64 text itself, which then looked like a text file, not the
    incomplete workbook it is (said as damaged)."""
    payload = part.get_payload(decode=True)
    payload = payload if isinstance(payload, bytes) else b""
    if any(isinstance(d, email.errors.InvalidBase64LengthDefect) for d in part.defects):
        text = re.sub(rb"[^A-Za-z0-9+/]", b"", payload)
        with contextlib.suppress(binascii.Error, ValueError):
            return base64.b64decode(text[: len(text) - len(text) % 4])
    return payload


def _binary_file(payload: bytes) -> bool:
    """Bytes that start as a zip or an OLE file (a workbook, a zip, an .xls): worth reading without a name."""
    return payload.startswith((guards.ZIP_MAGIC, guards.OLE_MAGIC))


def _picture_in_text(part: Message) -> bool:
    """A picture shown in the body, not attached: a signature's logo (Outlook sends image001.png inline, with a
    Content-ID the HTML refers to). One 已跳过 line per mail for it would bury the files really left out."""
    if part.get_content_maintype() != "image":
        return False
    disposition = part.get_content_disposition()
    return disposition == "inline" or (disposition is None and part.get("content-id") is not None)


def _base64_mail(part: Message, inner: object) -> object:
    """An attached mail as its bytes when it was sent base64-encoded (RFC 2046 forbids it, some Outlook and
    Exchange versions write it): email parses the base64 text as a mail without headers, which would hide
    its attachments. Otherwise the mail as parsed."""
    encoding = str(part.get("content-transfer-encoding", "")).strip().lower()
    if encoding != "base64" or not isinstance(inner, Message) or inner.is_multipart() or inner.keys():
        return inner
    try:
        return base64.b64decode(str(inner.get_payload()))
    except (binascii.Error, ValueError):
        return inner


def _unnamed(part: Message) -> str:
    """The name given to a workbook or zip attached without one ("" for any other type)."""
    suffix = _UNNAMED.get(part.get_content_type(), "")
    return f"未命名附件{suffix}" if suffix else ""


def _part_filename(part: Message) -> str:
    """The attachment's name from its headers as sent: policy.default would already have decoded them, with
    the declared charset and replacement characters, before decode_name could read GBK labelled gb2312."""
    raw = Message()  # compat32: parameters are returned undecoded
    for header in ("content-disposition", "content-type"):
        value = _raw_header(part, header)
        if value:
            raw[header] = _unescape(value)  # compat32 would turn raw 8-bit into replacement characters
    found = raw.get_param("filename", header="content-disposition") or raw.get_param("name")
    return _clean_name(decode_name(found)) if found else ""


# ---------------------------------------------------------------------------------------------- .msg


def _read_msg(data: bytes, display: str) -> tuple[MailOrigin, list[Part]]:
    import logging

    import extract_msg

    # its log lines about odd properties are not for the analyst: what stops the reading becomes a finding
    logging.getLogger("extract_msg").setLevel(logging.CRITICAL)
    # attachments are loaded level by level, as they are asked for: loaded eagerly, Outlook messages embedded
    # in one another 90 deep (a 500 KB file) took 2.6 GB. One level below is read (MAX_DEPTH), so it is asked
    # for while the file is open; what lies deeper is only named in a finding.
    msg = extract_msg.openMsg(data, delayAttachments=True)
    try:
        parts = list(_msg_parts(msg))
        for _, payload in parts:
            if not isinstance(payload, bytes):
                _ = payload.attachments
        return _msg_origin(msg, display), parts
    finally:
        msg.close()


def _msg_origin(msg, display: str) -> MailOrigin:
    sender_name, sender = _sender(msg.sender or "")
    if "@" not in sender:
        # PR_SENDER_SMTP_ADDRESS, PR_SENDER_EMAIL_ADDRESS, PR_SENT_REPRESENTING_EMAIL_ADDRESS
        for stream in ("__substg1.0_5D01", "__substg1.0_0C1F", "__substg1.0_0065"):
            found = msg.getStringStream(stream)
            if found and "@" in found:
                sender_name, sender = sender_name or sender, found.strip()
                break
    sent_at = _comparable(msg.date) if isinstance(msg.date, datetime) else None
    return MailOrigin(
        file=display, sender=sender, sender_name=sender_name, sent_at=sent_at, subject=msg.subject or ""
    )


def _msg_parts(msg) -> Iterator[Part]:
    for att in msg.attachments:
        name = _clean_name(att.longFilename or att.shortFilename or att.displayName or "")
        payload = att.data
        if isinstance(payload, bytes | bytearray):
            if name:
                yield name, bytes(payload)
        elif payload is not None:  # an embedded Outlook message
            yield name or "附件邮件.msg", payload
