"""Mail drafts (.eml) the analyst opens and sends: a 回执 beside each receipt, a 催报 to each center that has not
submitted, and the 催报名单 to print.

A draft carries `X-Unsent: 1`, so Outlook opens it as a new message ready to send (Foxmail and Thunderbird
open it too; Thunderbird's "编辑为新消息" sends it). It has no Date and no Message-ID: the mail program adds
them when it sends, and the same inputs give the same bytes. The wording is built from the scheme's own
texts (its name, issuer, 报送时间, 报送方式 and 联系方式) and the findings' messages.
"""

from __future__ import annotations

import email
import email.encoders
import email.header
import email.utils
import hashlib
import mimetypes
from collections.abc import Sequence
from email import policy
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from pathlib import Path

from kjjr_excel.domain.findings import Finding, Severity, sorted_findings
from kjjr_excel.domain.scheme import RosterEntry, Scheme
from kjjr_excel.write.output import atomic_write

__all__ = ["draft_bytes", "write_draft", "receipt_draft", "reminder_draft", "addresses", "draft_recipients"]

# CRLF line ends as RFC 5322 wants; Outlook reads LF too, but some web mail imports do not
_POLICY = policy.compat32.clone(linesep="\r\n")
MAX_LISTED = 20  # findings spelt out in a mail's body; the receipt attached lists them all


def addresses(*candidates: tuple[str, str]) -> list[tuple[str, str]]:
    """(name, address) pairs with a plausible address, each address once, in the order given."""
    seen: set[str] = set()
    out: list[tuple[str, str]] = []
    for name, addr in candidates:
        addr = (addr or "").strip()
        if "@" not in addr or addr.lower() in seen:
            continue
        seen.add(addr.lower())
        out.append((name, addr))
    return out


def draft_bytes(
    to: Sequence[tuple[str, str]], subject: str, body: str, attachments: Sequence[tuple[str, bytes]]
) -> bytes:
    """An unsent message: To, Subject, a plain-text body and the attachments (name, bytes).

    Attachment names are written as Thunderbird writes them: RFC 2231 in Content-Disposition (what today's
    programs read) and an RFC 2047 word in Content-Type's name (what older Outlook and Foxmail read). Built
    with email's compat32 classes, whose headers are written as given (policy.default would re-encode the
    RFC 2047 name, and fold Content-Type itself into encoded words)."""
    msg = MIMEMultipart() if attachments else MIMEText(body, "plain", "utf-8")
    if to:
        msg["To"] = ", ".join(_address(name, addr) for name, addr in to)
    msg["Subject"] = email.header.Header(subject, "utf-8", header_name="Subject")
    msg["X-Unsent"] = "1"
    if attachments:
        msg.attach(MIMEText(body, "plain", "utf-8"))
        for name, data in attachments:
            ctype = mimetypes.guess_type(name)[0] or "application/octet-stream"
            maintype, subtype = ctype.split("/", 1)
            part = MIMEBase(maintype, subtype, name=email.header.Header(name, "utf-8").encode(maxlinelen=998))
            part.set_payload(data)
            email.encoders.encode_base64(part)
            part.add_header("Content-Disposition", "attachment", filename=("utf-8", "", name))
            msg.attach(part)
        # a boundary from the content, not a random one: the same draft, the same bytes
        digest = hashlib.sha256(subject.encode() + body.encode() + b"".join(d for _, d in attachments))
        msg.set_boundary(f"=_kjjr_{digest.hexdigest()[:32]}")
    return msg.as_bytes(policy=_POLICY)


def _address(name: str, addr: str) -> str:
    return email.utils.formataddr((name, addr), charset="utf-8")


def draft_recipients(path: Path) -> list[str]:
    """The To addresses of a draft written here (for the console's count of drafts without one)."""
    msg = email.message_from_bytes(Path(path).read_bytes(), policy=policy.default)
    return [a.addr_spec for a in msg["To"].addresses] if msg["To"] else []


def write_draft(path: Path, data: bytes) -> Path:
    """Write a draft atomically (a locked target gets a sibling name); return the path written."""
    return atomic_write(Path(path), lambda tmp: Path(tmp).write_bytes(data))


def _footer(scheme: Scheme) -> list[str]:
    sub = scheme.submission
    lines = [""]
    if sub.get("send_to"):
        lines.append(f"报送方式：{sub['send_to']}")
    if sub.get("contact"):
        lines.append(sub["contact"])  # the notice's own words: 联系人：… 联系电话：…
    lines += ["", scheme.issuer]
    return lines


def _greeting(name: str, to: Sequence[tuple[str, str]], entry: RosterEntry | None) -> str:
    """市南区科技金融服务分中心 张敏：— the person the draft goes to, else the roster's 联系人."""
    who = next((n for n, _ in to if n), "") or (entry.contact if entry is not None else "")
    return " ".join(x for x in (name, who) if x) + "：" if name or who else "您好："


# what a receipt and its mail say when no form was read from what was sent (a mail without its workbook)
NOTHING_READ = "未读取到填报表，本次报送未计入。"


def receipt_draft(
    scheme: Scheme,
    year: int,
    *,
    name: str,
    files: Sequence[str],  # as the sender knows them: a mail's attachment by its mail, not the saved path
    findings: Sequence[Finding],
    receipt: Path,
    to: Sequence[tuple[str, str]],
    entry: RosterEntry | None = None,
    read: bool = True,
) -> bytes:
    """The mail that answers a submission: what was received, what must be fixed, by when; receipt attached.
    read: a form was read from the files (else the mail says nothing was counted and asks to send again)."""
    ordered = sorted_findings(list(findings))
    errors = [f for f in ordered if f.severity is Severity.ERROR]
    others = [f for f in ordered if f.severity is not Severity.ERROR]
    title = f"{scheme.name}（{year}年度）"
    state = f"有{len(errors)}处需要修改" if errors else ("已收到" if read else "未读取到填报表")
    subject = f"{title}填报回执：{name or '报送文件'}（{state}）"
    lines = [_greeting(name, to, entry), ""]
    lines.append(f"已收到{('“' + name + '”的') if name else ''}报送文件：{'、'.join(files) or '（无）'}。")
    if errors:
        lines.append(f"经校验，有以下 {len(errors)} 处需要修改，请修改后重新报送：")
        lines += _listed(errors)
    elif not read:
        lines.append(f"经校验，{NOTHING_READ}请处理以下问题后重新报送：")
        lines += _listed(others)
    elif others:
        lines.append("经校验，没有必须修改的错误；请核对以下提醒：")
        lines += _listed(others)
    else:
        lines.append("经校验，未发现问题。谢谢！")
    if (errors or not read) and scheme.submission.get("deadline"):
        lines.append(f"报送时间：{scheme.submission['deadline']}")
    lines += ["", f"详细情况见附件回执（{receipt.name}）。", *_footer(scheme)]
    return draft_bytes(to, subject, "\n".join(lines) + "\n", [(receipt.name, receipt.read_bytes())])


def _listed(findings: Sequence[Finding]) -> list[str]:
    lines = []
    for n, f in enumerate(findings[:MAX_LISTED], start=1):
        where = "　".join(x for x in (f.sheet, f.cell) if x)
        lines.append(f"  {n}. {where + '：' if where else ''}{f.message}")
    if len(findings) > MAX_LISTED:
        lines.append(f"  ……共 {len(findings)} 条，其余见附件回执。")
    return lines


def reminder_draft(
    scheme: Scheme,
    year: int,
    entry: RosterEntry,
    *,
    template: Path,
    to: Sequence[tuple[str, str]],
    reason: str,
    as_of: str,
) -> bytes:
    """催报: the center has no valid submission; its pre-filled template is attached."""
    title = f"{scheme.name}（{year}年度）"
    subject = f"催报：请报送{title}填报表（{entry.name}）"
    lines = [_greeting(entry.name, to, entry), ""]
    lines.append(f"截至{as_of}，尚未收到{entry.name}有效的{title}填报表（{reason}）。")
    lines.append(f"请使用附件中的填报模板（已预填单位名称和编号）填写后报送：{template.name}")
    if scheme.submission.get("deadline"):
        lines.append(f"报送时间：{scheme.submission['deadline']}")
    lines += _footer(scheme)
    return draft_bytes(to, subject, "\n".join(lines) + "\n", [(template.name, template.read_bytes())])
