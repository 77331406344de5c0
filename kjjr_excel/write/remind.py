"""`kjjr remind`: for every roster center without a valid submission, a 催报 draft with its pre-filled
template attached, and the 催报名单 to print."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import xlsxwriter

from kjjr_excel.domain.identity import RosterIndex, center_key, submission_key
from kjjr_excel.domain.model import ARCHIVE_SEPARATOR
from kjjr_excel.domain.scheme import RosterEntry, Scheme
from kjjr_excel.domain.validate import unused_reasons
from kjjr_excel.read.inbox import MAIL_EMPTY
from kjjr_excel.write.drafts import addresses, reminder_draft, write_draft
from kjjr_excel.write.output import file_name, make_folder, name_part
from kjjr_excel.write.receipts import atomic_workbook, feedback_formats
from kjjr_excel.write.styles import row_height
from kjjr_excel.write.template import center_template_name, write_submission

if TYPE_CHECKING:
    from kjjr_excel.app import Checked

__all__ = ["write_reminders", "listing_name", "LISTING_COLUMNS"]

# widths that fit A4 landscape at full size: the list prints at a readable size, not shrunk to fit
LISTING_COLUMNS = (("序号", 5), ("编号", 7), ("名称", 24), ("依托单位", 22), ("联系人", 8), ("电话", 14),
                   ("邮箱", 22), ("情况", 30))  # fmt: skip


def listing_name(scheme: Scheme, year: int) -> str:
    """The 催报名单's file name (an open one sends the listing beside it, and the command says so)."""
    return file_name(f"{scheme.name}_{year}年度_催报名单.xlsx")


def write_reminders(
    scheme: Scheme, checked: Checked, out_dir: Path, *, now: datetime | None = None
) -> tuple[Path, list[Path]]:
    """Write the drafts (and the templates they attach, under 模板/) and the 催报名单; return the listing's
    path and the drafts written, in roster order."""
    out_dir = Path(out_dir)
    now = now or datetime.now()
    as_of = f"{now.year}年{now.month}月{now.day}日"
    year = checked.year
    reasons, senders = _what_came(checked)
    drafts: list[Path] = []
    rows: list[tuple[RosterEntry, str]] = []
    templates = out_dir / "模板"
    for entry in checked.missing:
        key = center_key(entry.code, entry.name)
        reason = reasons.get(key, "未收到报送文件")
        rows.append((entry, reason))
        make_folder(templates)
        template = write_submission(
            templates / center_template_name(scheme, year, entry), scheme, center=entry, year=year
        )
        to = addresses((entry.contact, entry.email), *senders.get(key, []))
        draft = reminder_draft(scheme, year, entry, template=template, to=to, reason=reason, as_of=as_of)
        name = f"催报_{name_part(entry.code, 20)}_{name_part(entry.name)}.eml"
        drafts.append(write_draft(out_dir / name, draft))
    listing = out_dir / listing_name(scheme, year)
    title = f"{scheme.name}（{year}年度）催报名单"
    summary = f"截至{as_of}，共 {len(rows)} 个{scheme.center_label}未有效报送"
    return atomic_workbook(listing, lambda wb: _listing(wb, title, summary, rows), "reminders"), drafts


def _what_came(checked: Checked) -> tuple[dict[str, str], dict[str, list[tuple[str, str]]]]:
    """Why a roster center has no valid submission when it sent something (by center key), and the senders
    of the mails that brought its files (to address the 催报 when the roster has no 邮箱)."""
    reasons = unused_reasons(checked.roster, checked.submissions, checked.findings)
    senders: dict[str, list[tuple[str, str]]] = {}
    index = RosterIndex(checked.roster)  # built once: every submission is matched against it
    for sub in sorted(checked.submissions, key=lambda s: s.file):
        senders.setdefault(submission_key(sub, index), []).extend(
            who for o in sub.origins for who in o.answered
        )
    by_address = {e.email.lower(): center_key(e.code, e.name) for e in checked.roster if e.email}
    for row in checked.files:
        origin = row.origin
        if row.status == MAIL_EMPTY and origin is not None and origin.sender.lower() in by_address:
            mail = f"{origin.sent_text} 的来信“{origin.subject}”"
            reasons.setdefault(by_address[origin.sender.lower()], mail + _left_out(checked, row.file))
    return reasons, senders


def _left_out(checked: Checked, mail: str) -> str:
    """What a mail without a workbook brought: nothing, or the attachments left out and why (a winmail.dat
    is not 'no attachment' to the clerk who attached the file)."""
    skipped = [
        f
        for f in checked.findings
        if f.code == "file-skipped" and f.file.startswith(mail + ARCHIVE_SEPARATOR)
    ]
    if not skipped:
        return "没有附件"
    said = []
    for f in skipped:
        name, why = f.file.rsplit(ARCHIVE_SEPARATOR, 1)[-1], f.message.removeprefix("已跳过：")
        said.append(why if name in why else f"{name}：{why}")
    return "没有可读取的Excel附件（" + "".join(said).rstrip("。") + "）"


def _listing(wb: xlsxwriter.Workbook, title: str, summary: str, rows: list[tuple[RosterEntry, str]]) -> None:
    fmt = feedback_formats(wb)
    ws = wb.add_worksheet("催报名单")
    last = len(LISTING_COLUMNS) - 1
    for col, (_, width) in enumerate(LISTING_COLUMNS):
        ws.set_column(col, col, width)
    ws.set_row(0, 26)
    ws.merge_range(0, 0, 0, last, title, wb.add_format({"bold": True, "font_size": 16, "align": "center"}))
    ws.merge_range(1, 0, 1, last, summary, fmt["wrap"])
    for col, (text, _) in enumerate(LISTING_COLUMNS):
        ws.write_string(2, col, text, fmt["head"])
    for n, (entry, reason) in enumerate(rows, start=1):
        texts = (
            str(n),
            entry.code,
            entry.name,
            entry.host_unit,
            entry.contact,
            entry.phone,
            entry.email,
            reason,
        )
        ws.set_row(2 + n, row_height(zip(texts, (w for _, w in LISTING_COLUMNS), strict=True), minimum=20))
        for col, text in enumerate(texts):
            ws.write_string(2 + n, col, text, fmt["cell"])
    if not rows:
        ws.merge_range(3, 0, 3, last, "无", fmt["cell"])
    ws.set_paper(9)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)  # one page wide, as long as it takes: 40 centers on one page could not be read
    ws.repeat_rows(2)
    ws.center_horizontally()
    ws.set_footer("&C第 &P 页，共 &N 页")
    ws.print_area(0, 0, 2 + max(1, len(rows)), last)
