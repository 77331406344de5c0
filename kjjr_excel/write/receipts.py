"""Feedback workbooks: one receipt (回执) per center or unrecognised file, and the validation report.

Written with XlsxWriter; text always with write_string (a name starting with '=' stays text). Every file is
written to a temporary name in the target folder and moved into place.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

import xlsxwriter
from xlsxwriter.format import Format

from kjjr_excel import __version__
from kjjr_excel.domain.findings import GROUP_CODES, Finding, Severity, sorted_findings
from kjjr_excel.domain.identity import RosterIndex, match_center
from kjjr_excel.domain.model import ARCHIVE_SEPARATOR, InputFile, Submission
from kjjr_excel.domain.parse import fmt_decimal
from kjjr_excel.domain.scheme import RosterEntry, Scheme
from kjjr_excel.errors import OutputError
from kjjr_excel.read.inbox import MAIL_EMPTY
from kjjr_excel.read.ingest import IngestResult
from kjjr_excel.read.submission import READ, UNREADABLE
from kjjr_excel.write.drafts import NOTHING_READ, addresses, receipt_draft, write_draft
from kjjr_excel.write.output import UniqueNames, Written, atomic_write, batch_stopped, file_name, name_part
from kjjr_excel.write.ranking import write_findings_sheet
from kjjr_excel.write.styles import Workbook, print_table, row_height, running_head, write_meta_sheet

if TYPE_CHECKING:
    from kjjr_excel.app import Checked

__all__ = [
    "write_receipts",
    "write_checked_receipts",
    "write_findings_report",
    "atomic_workbook",
    "feedback_formats",
]

# in_memory: a receipt is small, and XlsxWriter then leaves no scratch file in TMPDIR, whatever happens
_OPTIONS = MappingProxyType(
    {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False, "in_memory": True}
)


def atomic_workbook(path: Path, build: Callable[[xlsxwriter.Workbook], None], kind: str) -> Path:
    """Build a workbook through output.atomic_write (temp file, then moved into place; a locked target gets a
    ' (2)' sibling), marked in `_meta` as this `kind` of ours (layout.OUTPUT_KINDS); return the path written."""

    def write(tmp: Path) -> None:
        wb = Workbook(str(tmp), dict(_OPTIONS))
        build(wb)
        write_meta_sheet(wb, [("kind", kind), ("tool_version", __version__)])
        wb.close()

    return atomic_write(Path(path), write)


def feedback_formats(wb: xlsxwriter.Workbook) -> dict[str, Format]:
    """The plain formats of the feedback workbooks: 回执, 校验报告 and 催报名单."""
    return {
        "title": wb.add_format({"bold": True, "font_size": 14}),
        "head": wb.add_format({"bold": True, "bg_color": "#D9E1F2", "border": 1, "text_wrap": True}),
        "cell": wb.add_format({"border": 1, "text_wrap": True, "valign": "top"}),
        "bold": wb.add_format({"bold": True}),
        "wrap": wb.add_format({"text_wrap": True, "valign": "top"}),
        "错误": wb.add_format({"border": 1, "font_color": "#C00000", "bold": True, "valign": "top"}),
        "警告": wb.add_format({"border": 1, "font_color": "#9C5700", "valign": "top"}),
        "提示": wb.add_format({"border": 1, "font_color": "#375623", "valign": "top"}),
    }


def _row(ws, row: int, values: Sequence[str], fmt) -> None:
    for col, text in enumerate(values):
        ws.write_string(row, col, str(text), fmt)


# ---------------------------------------------------------------------------------------------- receipts


@dataclass(frozen=True)
class ReceiptContext:
    year: int
    when: datetime
    kept: set[str] | None  # files validation kept (None: not known)

    @property
    def read_at(self) -> str:
        return self.when.strftime("%Y-%m-%d %H:%M")


def write_receipts(
    scheme: Scheme, result: IngestResult, findings: list[Finding], out_dir: Path, **options
) -> list[Path]:
    """The paths receipt_files wrote (it takes the same options)."""
    return [w.path for w in receipt_files(scheme, result, findings, out_dir, **options)]


def receipt_files(
    scheme: Scheme,
    result: IngestResult,
    findings: list[Finding],
    out_dir: Path,
    *,
    roster: Sequence[RosterEntry] = (),
    accepted: Sequence[Submission] | None = None,
    mail: bool = False,
    year: int | None = None,
    when: datetime | None = None,
) -> list[Written]:
    """One 回执 per center (all its files) and one per unrecognised file; returns what was written where (an
    open receipt sends its successor beside it). accepted:
    the submissions validation kept; a file read but not kept (a superseded copy, another year) says so.
    mail: beside each receipt an .eml draft to the sender of its mails (else the roster's 邮箱), receipt
    attached; year: the assessment year the receipts and drafts name (default the scheme's); when: the
    receipts' date (default now)."""
    when = when or datetime.now()
    kept = None if accepted is None else {s.file for s in accepted}
    index = RosterIndex(roster)  # built once: every submission is matched against it
    run = _ReceiptRun(scheme, Path(out_dir), index, mail, ReceiptContext(year or scheme.year, when, kept))
    run.index(result, findings)
    centers: dict[tuple[str, str], list[Submission]] = {}
    for sub in sorted(result.submissions, key=lambda s: s.file):
        entry = match_center(sub, index) if roster else None
        code = entry.code if entry else sub.center_code
        name = entry.name if entry else sub.center_name
        centers.setdefault((code, name), []).append(sub)
    try:
        for (code, name), subs in sorted(centers.items()):
            run.center(code, name, subs)
        recognised = {s.file for s in result.submissions}
        for info_row in sorted(result.files, key=lambda x: x.file):
            # a mail that brought no workbook is answered too; skipped files, other mails and copies are not
            answered = (READ, UNREADABLE, MAIL_EMPTY)
            if info_row.file not in recognised and info_row.status in answered:
                run.unrecognised(info_row)
    except OutputError as exc:  # a full disk half-way: how many were written, and where (to be mailed)
        raise batch_stopped(exc, len(run.written), Path(out_dir)) from None
    return run.written


@dataclass
class _ReceiptRun:
    """One write_receipts call: the findings by file and by center, the names taken in out_dir."""

    scheme: Scheme
    out_dir: Path
    roster: RosterIndex
    mail: bool
    context: ReceiptContext
    by_file: dict[str, list[Finding]] = field(default_factory=dict)
    by_center: dict[str, list[Finding]] = field(
        default_factory=dict
    )  # findings naming no file (定性评分缺失)
    files: dict[str, InputFile] = field(default_factory=dict)
    # 甲/乙 and 甲_乙, two a.xlsx in two folders: each its own receipt on disk
    names: UniqueNames = field(default_factory=UniqueNames)
    written: list[Written] = field(default_factory=list)  # every file so far: a full disk says how many

    def index(self, result: IngestResult, findings: Sequence[Finding]) -> None:
        read = set(result.findings)
        for f in list(result.findings) + [f for f in findings if f not in read]:
            self.by_file.setdefault(f.file, []).append(f)
            if not f.file and f.center:
                self.by_center.setdefault(f.center, []).append(f)
        self.files = {f.file: f for f in result.files}

    def status(self, file: str) -> str:
        shown = self.files[file].status if file in self.files else ""
        kept = self.context.kept
        if kept is not None and shown == READ and file not in kept:
            return f"{shown}，未计分（原因见下列问题）"
        return shown

    def write(self, fname: str, build: Callable[[xlsxwriter.Workbook], None]) -> Path:
        wanted = self.out_dir / self.names.claim(file_name(fname))
        path = atomic_workbook(wanted, build, "receipt")
        self.names.add(path.name)  # a sibling written beside an open file is taken too
        self.written.append(Written(path, wanted))
        return path

    def draft(self, receipt: Path, message: bytes) -> Path:
        """The mail draft beside a receipt."""
        wanted = receipt.with_suffix(".eml")
        path = write_draft(wanted, message)
        self.written.append(Written(path, wanted))
        return path

    def center(self, code: str, name: str, subs: Sequence[Submission]) -> list[Path]:
        """The receipt of one center (and its draft with mail)."""
        files = [s.file for s in subs]
        found = _once(
            [f for file in files for f in self.by_file.get(file, [])] + self.by_center.get(name, [])
        )
        sent = {s.file: _as_sent(s.file, s.origins) for s in subs}
        sent |= {f"，邮件文件 {o.file}": "" for s in subs for o in s.origins}  # (MailOrigin.described)
        found = _told_as_sent(found, sent)
        fname = f"回执_{name_part(code or '无编号', 20)}_{name_part(name or '未填名称')}.xlsx"
        info = [
            ReceivedFile(file, self.files[file].sha256 if file in self.files else "", self.status(file))
            for file in files
        ]
        entry = match_center(subs[0], self.roster) if self.roster else None
        receipt = self.write(
            fname,
            lambda wb: _receipt(wb, self.scheme, code, name, info, found, self.context, subs, entry),
        )
        if not self.mail:
            return [receipt]
        origins = sorted(
            (o for s in subs for o in s.origins), key=lambda o: o.sent_utc or datetime.min, reverse=True
        )
        to = addresses(*(who for o in origins for who in o.answered))  # a forward's writer first
        to = to or addresses((entry.contact, entry.email) if entry else ("", ""))
        draft = receipt_draft(
            self.scheme,
            self.context.year,
            name=name,
            files=[_as_sent(s.file, s.origins) for s in subs],
            findings=found,
            receipt=receipt,
            to=to,
            entry=entry,
        )
        return [receipt, self.draft(receipt, draft)]

    def unrecognised(self, info_row: InputFile) -> list[Path]:
        """The receipt of a file no center could be told from (and its draft with mail)."""
        # the folder is part of the name: two a.xlsx in two sub-folders get two receipts
        fname = f"回执_未识别_{name_part(str(Path(info_row.file).with_suffix('')))}.xlsx"
        # a mail's own findings and its attachments' (a winmail.dat skipped says how to send it again)
        inside = info_row.file + ARCHIVE_SEPARATOR
        fs = self.by_file.get(info_row.file, []) + [
            f for file, found in self.by_file.items() if file.startswith(inside) for f in found
        ]
        row = [ReceivedFile(info_row.file, info_row.sha256, info_row.status)]
        receipt = self.write(fname, lambda wb: _receipt(wb, self.scheme, "", "", row, fs, self.context, ()))
        if not self.mail:
            return [receipt]
        origin = info_row.origin
        to = addresses(*origin.answered) if origin else []
        sent = [_as_sent(info_row.file, (origin,) if origin else ())]
        draft = receipt_draft(
            self.scheme,
            self.context.year,
            name="",
            files=sent,
            findings=fs,
            receipt=receipt,
            to=to,
            read=False,
        )
        return [receipt, self.draft(receipt, draft)]


def _once(found: list[Finding]) -> list[Finding]:
    """A center's findings with each said of a group of its files (GROUP_CODES) kept once."""
    seen: set[tuple[str, str]] = set()
    kept = []
    for f in found:
        if f.code in GROUP_CODES:
            if (f.code, f.message) in seen:
                continue
            seen.add((f.code, f.message))
        kept.append(f)
    return kept


def _told_as_sent(found: list[Finding], sent: dict[str, str]) -> list[Finding]:
    """The findings with the files their messages name (同一分中心报送了2份：收件箱/2回复.eml › a.xlsx…) as
    their sender knows them (_as_sent): the analyst's folders and saved mails mean nothing to a clerk."""
    if not sent:
        return found
    # one pass, longest name first: a mail's display is the start of its attachments'
    names = re.compile("|".join(map(re.escape, sorted(sent, key=len, reverse=True))))
    return [replace(f, message=names.sub(lambda m: sent[m.group()], f.message)) for f in found]


def _as_sent(file: str, origins) -> str:
    """A file as its sender knows it: an attachment by its mail (the saved mail's name means nothing to
    them), a file of the folder by its name."""
    if not origins:
        return Path(file).name
    o = origins[-1]  # the latest mail (origins are in sent order)
    if file == o.file:  # the mail itself, which brought no workbook
        return f"{o.sent_text} 来信“{o.subject or '（无主题）'}”"
    inside = file.removeprefix(o.file + ARCHIVE_SEPARATOR) if file.startswith(o.file) else Path(file).name
    return f"{o.sent_text} 来信“{o.subject or '（无主题）'}”的附件 {inside}"


def write_checked_receipts(
    scheme: Scheme, checked: Checked, out_dir: Path, *, mail: bool = False
) -> list[Path]:
    """The paths checked_receipt_files wrote."""
    return [w.path for w in checked_receipt_files(scheme, checked, out_dir, mail=mail)]


def checked_receipt_files(
    scheme: Scheme, checked: Checked, out_dir: Path, *, mail: bool = False
) -> list[Written]:
    """receipt_files for an inbox that app.check_inbox read and validated (kjjr receipts, the demo)."""
    return receipt_files(
        scheme,
        checked.ingest_result,
        checked.findings,
        out_dir,
        roster=checked.roster,
        accepted=checked.accepted,
        mail=mail,
        year=checked.year,
    )


RECEIPT_WIDTHS = (6, 30, 10, 8, 8, 14, 70)  # 序号 文件 工作表 单元格 严重程度 填写内容 说明


def consequence(f: Finding, scheme: Scheme, kept: set[str] | None) -> str:
    """What happens to an error left unfixed: the input scores 0, or the file is not ranked at all."""
    if f.severity is not Severity.ERROR:
        return ""
    if kept is not None and f.file and f.file not in kept:
        return "不改正的，本文件不参加排名"
    if f.indicator and any(ind.id == f.indicator for ind in scheme.indicators):
        return f"不改正的，该项按0分计，{scheme.money_word}暂缓"
    return "" if kept is not None else "不改正的，本文件不参加排名"


def _read_as(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    return fmt_decimal(value) if isinstance(value, Decimal) else str(value)


@dataclass(frozen=True)
class ReceivedFile:
    """A row of a receipt's 收到的文件 table."""

    file: str
    sha256: str
    status: str


def _receipt(
    wb: xlsxwriter.Workbook,
    scheme: Scheme,
    code: str,
    name: str,
    files: Sequence[ReceivedFile],
    findings: list[Finding],
    context: ReceiptContext,
    subs: Sequence[Submission],
    entry: RosterEntry | None = None,
) -> None:
    """The 回执 sheet: who it is for, the files received, what to correct, every finding, the values read."""
    fmt = feedback_formats(wb)
    ws = wb.add_worksheet("回执")
    for col, width in enumerate(RECEIPT_WIDTHS):
        ws.set_column(col, col, width)
    issuer = scheme.publish.get("issuer") or scheme.issuer
    title = f"{scheme.subject}{context.year}年度填报回执"
    ws.write_string(0, 0, title, fmt["title"])
    label = scheme.center_label
    ws.write_string(1, 0, f"{label}：{name or '（未识别）'}　编号：{code or '（无）'}", fmt["bold"])
    contact = entry.contact_line if entry is not None else ""
    when = context.when
    ws.write_string(
        2,
        0,
        f"发出单位：{issuer}　日期：{when.year}年{when.month}月{when.day}日　读取时间：{context.read_at}"
        + (f"　联系人：{contact}" if contact else ""),
    )
    row = _received_files(ws, fmt, files, 4)
    ordered = sorted_findings(findings)
    row = _to_correct(ws, fmt, scheme, ordered, context, row + 2, read=bool(subs))
    if ordered:
        row = _all_findings(ws, fmt, ordered, row + 2)
    _values_read(ws, fmt, scheme, subs, row + 2)
    ws.set_paper(9)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    # a receipt of many findings runs over pages: each names whose receipt it is, and its number
    running_head(ws, f"{name or '（未识别）'}　{title}")


def _received_files(ws, fmt, files: Sequence[ReceivedFile], row: int) -> int:
    """收到的文件, from `row`; returns the last row written."""
    ws.write_string(row, 0, "收到的文件", fmt["bold"])
    row += 1
    # the files table shares the columns of the findings table below; SHA-256 spans the last four
    _row(ws, row, ("序号", "文件", "读取状态"), fmt["head"])
    ws.merge_range(row, 3, row, 6, "SHA-256", fmt["head"])
    for n, received in enumerate(files, start=1):
        row += 1
        # the status wraps in its column as the name does (已读取，未计分（原因见下列问题） was cut on paper)
        ws.set_row(
            row, row_height([(received.file, RECEIPT_WIDTHS[1]), (received.status, RECEIPT_WIDTHS[2])])
        )
        _row(ws, row, (str(n), received.file, received.status), fmt["cell"])
        ws.merge_range(row, 3, row, 6, received.sha256, fmt["cell"])
    return row


def _to_correct(
    ws, fmt, scheme: Scheme, ordered: Sequence[Finding], context: ReceiptContext, row: int, *, read: bool
) -> int:
    """The errors to correct, each with what happens if it is not, and where to resubmit (or that there is
    nothing to correct); returns the last row written. read: a submission was read from the files (a mail
    without a workbook, a workbook that is no form: nothing was, and that is never "nothing to correct")."""
    errors = [f for f in ordered if f.severity is Severity.ERROR]
    listed = errors or ([] if read else list(ordered))
    if listed:
        head = (
            f"请先修改以下 {len(errors)} 个错误，修改后重新报送："
            if errors
            else f"{NOTHING_READ}请按以下说明处理后重新报送："
        )
        ws.write_string(row, 0, head, fmt["bold"])
        for n, f in enumerate(listed, start=1):
            row += 1
            where = "　".join(x for x in (f.sheet, f.cell) if x)
            then = consequence(f, scheme, context.kept)
            text = f"{n}. {where + '：' if where else ''}{f.message}" + (f"（{then}）" if then else "")
            ws.set_row(row, row_height([(text, sum(RECEIPT_WIDTHS))]))
            ws.merge_range(row, 0, row, len(RECEIPT_WIDTHS) - 1, text, fmt["wrap"])
        row += 1
        text = _resubmit(scheme)
        ws.set_row(row, row_height([(text, sum(RECEIPT_WIDTHS))]))
        ws.merge_range(row, 0, row, len(RECEIPT_WIDTHS) - 1, text, fmt["wrap"])
    elif not read:
        ws.write_string(row, 0, NOTHING_READ + _resubmit(scheme), fmt["bold"])
    elif ordered:
        ws.write_string(row, 0, "没有必须修改的错误；请核对下列提醒。", fmt["bold"])
    else:
        ws.write_string(row, 0, "已收到，未发现问题。", fmt["bold"])
    return row


def _all_findings(ws, fmt, ordered: Sequence[Finding], row: int) -> int:
    """全部问题, one row per finding; returns the last row written."""
    ws.write_string(row, 0, "全部问题", fmt["bold"])
    row += 1
    _row(ws, row, ("序号", "文件", "工作表", "单元格", "严重程度", "填写内容", "说明"), fmt["head"])
    for n, f in enumerate(ordered, start=1):
        row += 1
        texts = (str(n), f.file, f.sheet, f.cell, f.severity.value, f.value, f.message)
        ws.set_row(row, row_height(zip(texts, RECEIPT_WIDTHS, strict=True)))
        _row(ws, row, texts[:4], fmt["cell"])
        ws.write_string(row, 4, f.severity.value, fmt[f.severity.value])
        ws.write_string(row, 5, f.value, fmt["cell"])
        ws.write_string(row, 6, f.message, fmt["cell"])
    return row


def _resubmit(scheme: Scheme) -> str:
    """By when and where to send the corrected file: the scheme's deadline, address and contact."""
    deadline = scheme.submission.get("resubmit_deadline") or scheme.submission.get("deadline", "")
    when = f"请于{deadline}" if deadline and not deadline.startswith("按") else deadline
    parts = (when, scheme.submission.get("send_to", ""), scheme.submission.get("contact", ""))
    return "重新报送：" + "；".join(x for x in parts if x) + "。"


def _values_read(ws, fmt, scheme: Scheme, subs: Sequence[Submission], row: int) -> int:
    """Every input of each file as typed beside the value read from it, so the clerk can check them alone."""
    for sub in subs:
        ws.write_string(
            row, 0, f"读取结果核对（{sub.file}）：请核对“读取值”与填写的内容是否一致", fmt["bold"]
        )
        row += 1
        _row(ws, row, ("序号", "指标", "工作表", "单元格", "状态", "填写内容", "读取值"), fmt["head"])
        for n, ind in enumerate(scheme.self_indicators, start=1):
            v = sub.values.get(ind.id)
            raw = v.raw if v is not None else ""
            state = (
                "有误"
                if v is not None and v.error
                else ("未填写" if v is None or v.value is None else "已读取")
            )
            read = _read_as(v.value) if v is not None and not v.error else ""
            label = f"{ind.category}／{ind.label}"
            row += 1
            ws.set_row(row, row_height([(label, RECEIPT_WIDTHS[1])]))
            cells = (str(n), label, v.sheet if v else "", v.cell if v else "", state, raw, read)
            _row(ws, row, cells, fmt["cell"])
        row += 2
    return row


# ---------------------------------------------------------------------------------------------- report


def write_findings_report(
    scheme: Scheme,
    result: IngestResult,
    findings: Sequence[Finding],
    path: Path,
    *,
    roster: Sequence[RosterEntry] = (),
) -> Path:
    """`kjjr validate -o REPORT.xlsx`: 校验问题, 文件清单, 未提交, each printed A4 landscape one page wide with
    its header row repeated and page numbers. Returns the path written."""
    ordered = sorted_findings(list(findings))
    missing = [f for f in ordered if f.code == "center-missing"]
    title = f"{scheme.name}　校验报告"

    def build(wb: xlsxwriter.Workbook) -> None:
        fmt = feedback_formats(wb)
        write_findings_sheet(wb, scheme, ordered, title)
        _file_list_sheet(wb, fmt, result.files, title)
        _missing_sheet(wb, fmt, missing, roster, title)

    return atomic_workbook(Path(path), build, "report")


FILE_LIST_WIDTHS = (36, 14, 12, 66)  # 文件 状态 大小 SHA-256 (来源邮件 60 when some file came by mail)
MISSING_WIDTHS = (10, 28, 32, 20, 50)  # 编号 名称 依托单位 联系方式 说明


def _file_list_sheet(wb: xlsxwriter.Workbook, fmt, files: Sequence[InputFile], title: str) -> None:
    """文件清单: every file looked at, its status, size and SHA-256 (and its mail)."""
    ws = wb.add_worksheet("文件清单")
    mailed = any(info.origin for info in files)  # the column only when some file came by mail
    widths = FILE_LIST_WIDTHS + ((60,) if mailed else ())
    _row(ws, 0, ("文件", "状态", "大小（字节）", "SHA-256", *(["来源邮件"] if mailed else [])), fmt["head"])
    for r, info in enumerate(sorted(files, key=lambda x: x.file), start=1):
        mail = info.origin.describe() if mailed and info.origin else ""
        texts = (info.file, info.status, "", info.sha256, mail)[: len(widths)]
        ws.set_row(r, row_height(zip(texts, widths, strict=True)))
        _row(ws, r, (info.file, info.status), fmt["cell"])
        ws.write_number(r, 2, info.size, fmt["cell"])
        ws.write_string(r, 3, info.sha256, fmt["cell"])
        if mailed:
            ws.write_string(r, 4, mail, fmt["cell"])
    for col, width in enumerate(widths):
        ws.set_column(col, col, width)
    ws.freeze_panes(1, 0)
    print_table(ws, 0, f"{title}　文件清单")


def _missing_sheet(
    wb: xlsxwriter.Workbook, fmt, missing: Sequence[Finding], roster: Sequence[RosterEntry], title: str
) -> None:
    """未提交: the roster's centers without a valid form, with how to reach them."""
    by_name = {r.name: r for r in roster}  # a center-missing finding names its roster entry
    ws = wb.add_worksheet("未提交")
    _row(ws, 0, ("编号", "名称", "依托单位", "联系方式", "说明"), fmt["head"])
    for r, f in enumerate(missing, start=1):
        entry = by_name.get(f.center)
        texts = (
            entry.code if entry else "",
            f.center,
            entry.host_unit if entry else "",
            entry.contact_line if entry else "",
            f.message,
        )
        ws.set_row(r, row_height(zip(texts, MISSING_WIDTHS, strict=True)))
        _row(ws, r, texts, fmt["cell"])
    for col, width in enumerate(MISSING_WIDTHS):
        ws.set_column(col, col, width)
    ws.freeze_panes(1, 0)
    print_table(ws, 0, f"{title}　未提交")
