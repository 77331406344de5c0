"""The paperwork after the ranking (Qingdao: 考核 → 确定补助金额 → 公示 → 发放补助): the 公示 notice (Word and
PDF) and the payment list (补助发放清单), both read back from the ranking workbook this tool wrote, so that
what is published and paid is exactly what 排名 shows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

import cn2an
import xlsxwriter
from xlsxwriter.format import Format

from kjjr_excel import __version__
from kjjr_excel.domain.findings import Severity
from kjjr_excel.domain.methods import method_of
from kjjr_excel.domain.parse import as_text
from kjjr_excel.domain.published import PublishedRow, digest_of, kept_digests, row_digest
from kjjr_excel.domain.rank import FLAG_GRADE_PENDING, pay_held_word
from kjjr_excel.domain.scheme import Scheme, say_year
from kjjr_excel.errors import KjjrError, OutputError
from kjjr_excel.write.output import Written, atomic_write, make_folder, refuse_inputs
from kjjr_excel.write.pdf import convert_to_pdf, find_soffice
from kjjr_excel.write.ranking import (
    RANKING_KIND,
    SERIAL,
    SHEET_RANKING,
    published_headers,
    published_row,
)
from kjjr_excel.write.styles import (
    Workbook,
    display_width,
    keep_foot_with_rows,
    row_height,
    spacer_row,
    write_meta_sheet,
)

if TYPE_CHECKING:
    from docx.document import Document as DocxDocument
    from docx.enum.text import WD_PARAGRAPH_ALIGNMENT
    from docx.text.paragraph import Paragraph
    from docx.text.run import Run
    from xlsxwriter.worksheet import Worksheet

NOTICE_DAYS = 5  # 公示期 in working days when the scheme names none
CENT = Decimal("0.01")


class PublishError(KjjrError):
    """The ranking workbook cannot be published (not ours, another scheme, provisional, altered)."""


@dataclass(frozen=True)
class RankingBook:
    scheme_id: str
    year: int
    rows: tuple[PublishedRow, ...]


def read_ranking(scheme: Scheme, path: Path) -> RankingBook:
    """The 排名 table of a ranking workbook this tool wrote for `scheme`, read behind the same guards as every
    input; PublishError (a Chinese message) for anything else, a cell of it changed since it was written too."""
    from kjjr_excel.read.book import read_book_with_meta

    path = Path(path)
    meta, sheets, findings = read_book_with_meta(path, path.name)
    errors = [f for f in findings if f.severity is Severity.ERROR]
    if errors:
        raise PublishError(f"无法读取 {path.name}：{errors[0].message}")
    _check_meta(scheme, path, meta)
    grid = dict(sheets).get(SHEET_RANKING)
    if not grid or len(grid) < 2:
        raise PublishError(
            f"{path.name} 中没有“{SHEET_RANKING}”表，无法发布。请重新运行 kjjr rank 生成排名结果表。"
        )
    rows = _ranking_rows(scheme, path, grid)
    if str(len(rows)) != meta.get("centers", str(len(rows))):
        raise PublishError(
            f"{path.name} 的“{SHEET_RANKING}”表有 {len(rows)} 行，生成时为 {meta.get('centers')} 行（表格被改动过）。"
            "请重新运行 kjjr rank 生成排名结果表。"
        )
    _check_unchanged(path, meta, rows)
    # in 排名's order as written: rows moved by hand (each unchanged, its 序号 with it) go back to their places
    published = tuple(sorted((row for _, row in rows), key=lambda row: row.serial))
    return RankingBook(scheme_id=scheme.id, year=int(meta.get("year") or scheme.year), rows=published)


def _check_unchanged(path: Path, meta: Mapping[str, str], rows: Sequence[tuple[int, PublishedRow]]) -> None:
    """PublishError naming the rows of 排名 whose published cells differ from what rank wrote (row_digest); a
    workbook written before the digests were kept is taken as it is."""
    digests = kept_digests(meta)
    if not digests:
        return
    changed = [(line, row) for line, row in rows if digest_of(digests, row.serial) != row_digest(row)]
    if changed:
        shown = "、".join(f"第{line}行（{row.name or row.code or row.serial}）" for line, row in changed[:5])
        more = f"等 {len(changed)} 行" if len(changed) > 5 else ""
        raise PublishError(
            f"{path.name} 的“{SHEET_RANKING}”表在生成后被改动过：{shown}{more}的内容（序号、排名、名称、得分、"
            f"等次、金额或标记）与生成时不同。公示和发放清单须与考核结果一致：请撤销改动，或更正报送数据后"
            "重新运行 kjjr rank 生成排名结果表，再发布。"
        )


def _check_meta(scheme: Scheme, path: Path, meta: Mapping[str, str] | None) -> None:
    """PublishError unless the workbook is a final ranking this tool wrote for `scheme`."""
    if meta is None or meta.get("kind") != RANKING_KIND:
        raise PublishError(
            f"{path.name} 不是本工具生成的排名结果表（没有识别标记）。请用 kjjr rank 生成排名结果表后，再对它发布公示。"
        )
    if meta.get("scheme_id") != scheme.id:
        raise PublishError(
            f"{path.name} 是“{meta.get('scheme_id')}”方案的排名结果，不是“{scheme.name}”（{scheme.id}）的。请核对考核方案。"
        )
    if meta.get("provisional"):
        why = meta["provisional"].replace("（初步结果，", "（")
        table = method_of(scheme).table_title
        raise PublishError(
            f"{path.name} 是初步结果{why}，不能据此公示或发放{scheme.money_word}。"
            f"请用 kjjr rank … --assessment 指定{table}重新排名后，再对新的排名结果表发布。"
        )
    if meta.get("unsettled"):  # others' grades or amounts hang on a figure still to correct (unsettled_note)
        raise PublishError(
            f"{path.name} 的结果尚未确定，不能据此公示或发放{scheme.money_word}：{meta['unsettled']}"
        )


def _ranking_rows(
    scheme: Scheme, path: Path, grid: Sequence[Sequence[object]]
) -> list[tuple[int, PublishedRow]]:
    """(row number as Excel shows it, row) for the rows of 排名 (row 2 holds the headers), down to where 序号
    stops: the foot block follows."""
    header = [as_text(v) for v in grid[1]]
    wanted = published_headers(scheme)
    absent = [h for h in wanted if h not in header]
    if absent:
        raise PublishError(
            f"{path.name} 的“{SHEET_RANKING}”表缺少列：{'、'.join(absent)}（表格被改动过）。请重新运行 kjjr rank 生成排名结果表。"
        )
    col = {h: header.index(h) for h in wanted}
    rows = []
    for line, cells in enumerate(grid[2:], start=3):
        serial = cells[col[SERIAL.header]] if len(cells) > col[SERIAL.header] else ""
        if not isinstance(serial, int | float) or isinstance(serial, bool):
            break
        rows.append(
            (line, published_row(scheme, {h: cells[c] if c < len(cells) else "" for h, c in col.items()}))
        )
    return rows


def in_capitals(amount_wan: Decimal) -> str:
    """An amount in 万元 as 人民币大写 of its yuan: 20 -> 贰拾万元整 (cn2an's rmb mode)."""
    yuan = (amount_wan * 10000).quantize(CENT, ROUND_HALF_UP)
    if yuan == 0:
        return "零元整"
    return cn2an.an2cn(str(int(yuan)) if yuan == yuan.to_integral() else str(yuan), "rmb")


def figures(amount: Decimal | None) -> str:
    return "" if amount is None else f"{amount:.2f}"


def _date_text(when: datetime) -> str:
    return f"{when.year}年{when.month}月{when.day}日"


def _texts(scheme: Scheme, year: int, days: int | None) -> dict[str, str]:
    # {year} in any of [publish]'s texts (the loader accepts it in each), not only in the intro
    pub = {key: say_year(text, year) for key, text in scheme.publish.items()}
    issuer = pub.get("issuer") or scheme.issuer
    days = days if days is not None else int(pub.get("notice_days") or NOTICE_DAYS)
    subject = f"{scheme.subject}{year}年度{scheme.result_title}"
    return {
        "issuer": issuer,
        "heading": f"关于{subject}的公示",
        "intro": pub.get("intro", "") or f"现将{subject}予以公示。",
        "period": f"公示期为{days}个工作日，自发布之日起计算。",
        "objection": pub.get("objection", ""),
        "contact": pub.get("contact", ""),
        "address": f"地址：{pub['address']}" if pub.get("address") else "",
        "payment_title": f"{scheme.subject}{year}年度{pub.get('payment_title') or '补助发放清单'}",
    }


# ---------------------------------------------------------------------------------------------- 公示

# display columns (a Chinese character is two) of a 20 pt heading line across the notice's 15.8 cm
HEADING_COLUMNS = 44


def _heading_lines(heading: str, first: str) -> list[str]:
    """The 公示's title in lines: whole when it fits one, else broken after `first` (关于 and who is
    assessed) rather than wherever the line ends (考核结 / 果的公示)."""
    if display_width(heading) <= HEADING_COLUMNS or not heading.startswith(first) or heading == first:
        return [heading]
    return [first, heading.removeprefix(first)]


def notice_table(scheme: Scheme, book: RankingBook) -> list[list[str]]:
    """The 公示 table, header first: 序号, 单位名称, 得分, 等次, 补助金额 as 排名 shows them. An amount held
    (补助暂缓: data to correct) is 暂缓确定, not the 0.00 排名 keeps beside its flag: the 公示 has no flags,
    and would announce that a center graded 优秀 gets nothing."""
    rows = [["序号", "单位名称", "得分", "等次", scheme.subsidy_label]]
    # 补助暂缓, or the scheme's own word (支持暂缓), as 排名's 标记 shows it; 补助暂缓 also in a book written before
    held = {pay_held_word(scheme), "补助暂缓"}
    for r in book.rows:
        flags = set(r.flags.split("；"))
        amount = PAY_HELD_SHOWN if held & flags else figures(r.subsidy) or "—"
        # a grade correcting the center's figures could change is not announced (排名 keeps it, flagged)
        grade = GRADE_PENDING_SHOWN if GRADE_PENDING in flags else r.grade or "—"
        rows.append([str(r.serial), r.name, figures(r.total), grade, amount])
    return rows


PAY_HELD_SHOWN = "暂缓确定"
GRADE_PENDING = FLAG_GRADE_PENDING.split("（")[0]  # 等次待定, as 排名's 标记 shows it
GRADE_PENDING_SHOWN = "待定"


def pending_note(scheme: Scheme, book: RankingBook) -> str:
    """Why a grade of the 公示 reads 待定, or an amount 暂缓确定 ('' when none does): data being corrected."""
    held_words = {pay_held_word(scheme), "补助暂缓"}
    graded, held = [], []
    for r in book.rows:
        flags = set(r.flags.split("；"))
        if GRADE_PENDING in flags:
            graded.append(r.name)
        elif held_words & flags:
            held.append(r.name)
    money = scheme.money_word
    notes = []
    if graded:
        notes.append(f"{'、'.join(graded)}有填报数据待更正，等次和{money}金额待数据更正后确定")
    if held:
        notes.append(f"{'、'.join(held)}有数据待更正或核实，{money}金额暂缓确定")
    return f"注：{'；'.join(notes)}。" if notes else ""


def unranked_note(scheme: Scheme, book: RankingBook) -> str:
    """Why the centers listed without a rank are there (a veto keeps its score: a full score graded 不合格 would
    read as an error): the reason 排名's 标记 gives first (有重大责任事故, 一票否决, 数据有误); '' when none."""
    unranked = [
        f"{r.name}（{r.flags.split('；')[0]}）" if r.flags else r.name for r in book.rows if r.rank is None
    ]
    if not unranked:
        return ""
    return f"注：{'、'.join(unranked)}不参加排名，不予{scheme.money_word}。"


def write_notice(scheme: Scheme, book: RankingBook, path: Path, *, days: int | None, when: datetime) -> Path:
    """The 公示 as a Word document (python-docx), in the form offices publish."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    t = _texts(scheme, book.year, days)
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.6)
    section.top_margin, section.bottom_margin = Cm(3.0), Cm(2.5)
    heading = doc.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    heading.paragraph_format.space_after = Pt(18)
    lines = _heading_lines(t["heading"], f"关于{scheme.subject}")
    for n, line in enumerate(lines):
        run = heading.add_run(line)
        _font(run, "黑体", 20, bold=True)
        if n < len(lines) - 1:
            run.add_break()
    _paragraph(doc, t["intro"])
    _notice_grid(doc, notice_table(scheme, book))
    texts = (
        unranked_note(scheme, book),
        pending_note(scheme, book),
        t["period"],
        t["objection"],
        t["contact"],
        t["address"],
    )
    last = [_paragraph(doc, text) for text in texts if text][-1:]
    _page_numbers(section)
    # the last paragraph, the issuer and the date on one page: a signature alone on a page signs nothing
    last += [doc.add_paragraph(), _paragraph(doc, t["issuer"], align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)]
    for paragraph in last:
        paragraph.paragraph_format.keep_with_next = True
    _paragraph(doc, _date_text(when), align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
    doc.core_properties.title = t["heading"]
    doc.core_properties.author = "kjjr-excel"
    return atomic_write(Path(path), lambda tmp: doc.save(str(tmp)))


def _page_numbers(section) -> None:
    """— 1 — centred at the foot of every page, as official documents number theirs: a 公示 of many centers
    runs over pages posted side by side. A PAGE field (python-docx has no API for fields: its runs are
    given w:fldChar and w:instrText)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    p = section.footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(p.add_run("— "), "宋体", 14)
    for kind, instruction in (("begin", ""), ("", "PAGE"), ("end", "")):
        run = p.add_run()
        _font(run, "宋体", 14)
        element = OxmlElement("w:fldChar" if kind else "w:instrText")
        if kind:
            element.set(qn("w:fldCharType"), kind)
        else:
            element.text = instruction
        run.font.element.append(element)  # the run's w:r, after its properties
    _font(p.add_run(" —"), "宋体", 14)


def _font(run: Run, name: str, size: float, bold: bool = False) -> None:
    """A run's font, the East Asian one too: Word takes 宋体 for Chinese text only from w:eastAsia."""
    from docx.oxml.ns import qn
    from docx.shared import Pt

    run.font.name, run.font.size, run.font.bold = name, Pt(size), bold
    run.font.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)


def _paragraph(
    doc: DocxDocument,
    text: str,
    *,
    size: float = 16,
    name: str = "仿宋",
    align: WD_PARAGRAPH_ALIGNMENT | None = None,
    indent: bool = True,
) -> Paragraph:
    """A paragraph of an official notice: 仿宋, 28 pt lines, the first line indented by two characters."""
    from docx.shared import Pt

    p = doc.add_paragraph()
    p.paragraph_format.line_spacing = Pt(28)
    if indent:
        p.paragraph_format.first_line_indent = Pt(size * 2)
    if align is not None:
        p.alignment = align
    _font(p.add_run(text), name, size)
    return p


def _notice_grid(doc: DocxDocument, table_rows: Sequence[Sequence[str]]) -> None:
    """The 公示 table, centred, with fixed column widths; names left-aligned, the rest centred."""
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm

    table = doc.add_table(rows=len(table_rows), cols=len(table_rows[0]))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    widths = [Cm(1.4), Cm(7.6), Cm(2.2), Cm(1.9), Cm(2.7)]
    table.autofit = False  # LibreOffice and Word keep the widths set on the grid columns and each cell
    for j, width in enumerate(widths):
        table.columns[j].width = width
    for i, values in enumerate(table_rows):
        for j, value in enumerate(values):
            cell = table.cell(i, j)
            cell.width = widths[j]
            p = cell.paragraphs[0]
            p.alignment = WD_ALIGN_PARAGRAPH.LEFT if (j == 1 and i) else WD_ALIGN_PARAGRAPH.CENTER
            _font(p.add_run(value), "黑体" if i == 0 else "宋体", 12, bold=i == 0)
    _print_rows_whole(doc)


def _print_rows_whole(doc: DocxDocument) -> None:
    """The table just added, as a long 公示 prints: its header row atop every page, no row split across two
    (python-docx has no API for either; w:tblHeader and w:cantSplit are set on the rows' properties)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    rows = doc.element.body.findall(qn("w:tbl"))[-1].findall(qn("w:tr"))
    for n, tr in enumerate(rows):
        properties = tr.get_or_add_trPr()
        properties.append(OxmlElement("w:cantSplit"))
        if n == 0:
            properties.append(OxmlElement("w:tblHeader"))


# ---------------------------------------------------------------------------------------------- 发放清单


def payment_rows(book: RankingBook) -> list[PublishedRow]:
    """The centers paid: a subsidy above 0 on 排名, in its order."""
    return [r for r in book.rows if r.subsidy]


def write_payment_list(scheme: Scheme, book: RankingBook, path: Path, *, when: datetime) -> Path:
    """补助发放清单: one row per supported center, amount in figures and in 人民币大写, 合计, signatures."""
    t = _texts(scheme, book.year, None)

    def write(tmp: Path) -> None:
        wb = Workbook(str(tmp), {"strings_to_formulas": False, "strings_to_urls": False})
        _payment_sheet(wb, scheme, t, payment_rows(book))
        write_meta_sheet(wb, [("kind", "payment"), ("tool_version", __version__)])
        wb.set_properties({"title": t["payment_title"], "author": "kjjr-excel", "created": when})
        wb.close()

    return atomic_write(Path(path), write)


def _payment_formats(wb: xlsxwriter.Workbook) -> dict[str, Format]:
    base = {"font_name": "宋体", "font_size": 12, "valign": "vcenter"}
    cell = {**base, "border": 1, "text_wrap": True}
    title = {**base, "font_name": "黑体", "font_size": 16, "bold": True, "align": "center", "text_wrap": True}
    spec = {
        "title": title,
        "head": {**cell, "font_name": "黑体", "bold": True, "align": "center", "bg_color": "#D9D9D9"},
        "text": cell,
        "mid": {**cell, "align": "center"},
        # figures and capitals side by side, each a character off its border: never read as one 20.00贰拾万元整
        "money": {**cell, "num_format": "0.00", "align": "right", "indent": 1},
        "capitals": {**cell, "align": "left", "indent": 1},
        "bold": {**cell, "bold": True, "align": "center"},
        "bold_money": {**cell, "bold": True, "num_format": "0.00", "align": "right", "indent": 1},
        "bold_capitals": {**cell, "bold": True, "align": "left", "indent": 1},
        "plain": base,
    }
    return {name: wb.add_format(props) for name, props in spec.items()}


# 发放清单's columns (None: the scheme's subsidy label), their widths, and its page margins (inches)
PAYMENT_HEADERS = ("序号", "单位名称", "依托单位", "等次", None, "金额（人民币大写）", "收款单位签章")
PAYMENT_WIDTHS = (6, 26, 24, 8, 12, 26, 16)
PAYMENT_MARGINS = MappingProxyType({"left": 0.5, "right": 0.5, "top": 0.75, "bottom": 0.7})
# row heights in points: the issuer over the title, the header row (and 合计), a center's row, a signature
# line; PAYMENT_LINE: the basis line and the foot's empty rows, one line of 12-point type (not 15: XlsxWriter
# leaves a row of its default height unstated, and each program would print that row as high as it sees fit)
PAYMENT_TITLE, PAYMENT_HEADER, PAYMENT_ROW, PAYMENT_SIGN = 50, 36, 28, 30
PAYMENT_LINE = 15.75
# a wrapped line of 12-point 宋体 in a table cell (styles.LINE is 11-point's): a payee's long name is printed
# whole, never its middle line alone in a row of one line's height
PAYMENT_WRAPPED_LINE = 17.0


def _payment_sheet(
    wb: xlsxwriter.Workbook, scheme: Scheme, t: Mapping[str, str], paid: Sequence[PublishedRow]
) -> None:
    """发放清单: title, one row per center paid, then the foot (合计 in figures and capitals, the basis and the
    signatures), printed on one page with the last rows."""
    f = _payment_formats(wb)
    ws = wb.add_worksheet("发放清单")
    # the amount's label broken before its unit: wrapped by the column, 补助金额（万元 left '）' alone on a line
    headers = [h or scheme.subsidy_label.replace("（", "\n（", 1) for h in PAYMENT_HEADERS]
    for col, width in enumerate(PAYMENT_WIDTHS):
        ws.set_column(col, col, width)
    ws.set_row(0, PAYMENT_TITLE)
    ws.merge_range(0, 0, 0, len(headers) - 1, f"{t['issuer']}\n{t['payment_title']}", f["title"])
    ws.set_row(1, PAYMENT_HEADER)
    for col, h in enumerate(headers):
        ws.write_string(1, col, h, f["head"])
    row = 2
    heights = [_payment_row_height(r) for r in paid]
    for n, (r, height) in enumerate(zip(paid, heights, strict=True), start=1):
        ws.set_row(row, height)
        ws.write_number(row, 0, n, f["mid"])
        ws.write_string(row, 1, r.name, f["text"])
        ws.write_string(row, 2, r.host_unit, f["text"])
        ws.write_string(row, 3, r.grade, f["mid"])
        ws.write_number(row, 4, float(r.subsidy or 0), f["money"])
        ws.write_string(row, 5, in_capitals(r.subsidy or Decimal(0)), f["capitals"])
        ws.write_blank(row, 6, None, f["text"])
        row += 1
    foot = _payment_foot(ws, f, t, paid, row)
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(1)
    ws.center_horizontally()
    ws.set_margins(**PAYMENT_MARGINS)
    ws.set_footer("&C第 &P 页 共 &N 页")
    ws.print_area(0, 0, row + len(foot) - 1, len(headers) - 1)
    keep_foot_with_rows(
        ws,
        2,
        heights,
        foot,
        head=[PAYMENT_TITLE, PAYMENT_HEADER],
        repeated=[PAYMENT_HEADER],
        top=PAYMENT_MARGINS["top"],
        bottom=PAYMENT_MARGINS["bottom"],
    )


def _payment_row_height(r: PublishedRow) -> float:
    """A center's row on 发放清单: one line's height at least, as many lines as its longest text wraps to."""
    wrapped = [(r.name, PAYMENT_WIDTHS[1]), (r.host_unit, PAYMENT_WIDTHS[2])]
    wrapped.append((in_capitals(r.subsidy or Decimal(0)), PAYMENT_WIDTHS[5]))
    return row_height(wrapped, minimum=PAYMENT_ROW, line=PAYMENT_WRAPPED_LINE)


def _payment_foot(
    ws: Worksheet, f: Mapping[str, Format], t: Mapping[str, str], paid: Sequence[PublishedRow], row: int
) -> list[float]:
    """The foot from `row`, the row after the table: 合计, the basis of the payments and the signature lines.
    Returns the height of each of its rows (points), top to bottom; the file states every one."""
    total = sum((r.subsidy or Decimal(0) for r in paid), Decimal(0))
    ws.set_row(row, PAYMENT_HEADER)
    ws.merge_range(row, 0, row, 3, f"合计（{len(paid)}个）", f["bold"])
    ws.write_number(row, 4, float(total), f["bold_money"])
    ws.write_string(row, 5, in_capitals(total), f["bold_capitals"])
    ws.write_blank(row, 6, None, f["text"])
    basis = t["heading"].removeprefix("关于").removesuffix("的公示")
    lines: list[tuple[float, dict[int, str]]] = [
        (PAYMENT_LINE, {}),
        (PAYMENT_LINE, {0: f"依据：{basis}（与排名结果表、公示一致）"}),
        (PAYMENT_LINE, {}),
        (PAYMENT_SIGN, {0: "经办人：", 2: "审核人：", 4: "负责人："}),
        (PAYMENT_SIGN, {4: "日期：　　年　　月　　日"}),
    ]
    for n, (height, texts) in enumerate(lines, start=row + 1):
        if not texts:
            spacer_row(ws, n, height, f["plain"])
            continue
        ws.set_row(n, height)
        for col, text in texts.items():
            ws.write_string(n, col, text, f["plain"])
    return [PAYMENT_HEADER] + [height for height, _ in lines]


# ---------------------------------------------------------------------------------------------- publish


def publish(
    scheme: Scheme, ranking: Path, out_dir: Path, *, days: int | None = None, when: datetime | None = None
) -> tuple[list[Path], list[str]]:
    """The paths publish_written wrote, and its notes."""
    written, notes = publish_written(scheme, ranking, out_dir, days=days, when=when)
    return [w.path for w in written], notes


def publish_written(
    scheme: Scheme, ranking: Path, out_dir: Path, *, days: int | None = None, when: datetime | None = None
) -> tuple[list[Written], list[str]]:
    """Write the 公示 (.docx, and .pdf where LibreOffice is present) and the payment list from a ranking
    workbook; return what was written where (an open file sends its output beside) and notes to show (e.g. no
    PDF without LibreOffice)."""
    when = (when or datetime.now()).replace(microsecond=0)
    book = read_ranking(scheme, ranking)
    out_dir = Path(out_dir)
    make_folder(out_dir)
    t = _texts(scheme, book.year, days)
    wanted = {suffix: out_dir / f"{t['heading']}{suffix}" for suffix in (".docx", ".pdf")}
    wanted[".xlsx"] = out_dir / f"{t['payment_title']}.xlsx"
    for name in wanted.values():
        refuse_inputs(name, [ranking])  # a ranking saved under one of these names is not replaced
    docx = Written(write_notice(scheme, book, wanted[".docx"], days=days, when=when), wanted[".docx"])
    # the payment list before the PDF: LibreOffice may be missing or fail, and takes nothing else with it
    payment = Written(write_payment_list(scheme, book, wanted[".xlsx"], when=when), wanted[".xlsx"])
    soffice = find_soffice()
    if soffice.executable is None:
        return [docx, payment], [f"公示未生成PDF：{soffice.missing}也可以在Word或WPS中打开 .docx 另存为PDF。"]
    try:
        pdf = convert_to_pdf(docx.path, wanted[".pdf"], soffice.executable)
    except OutputError as exc:  # it names the .docx written; the payment list was written too
        raise OutputError(f"{exc}{payment.path} 也已生成。") from None
    return [docx, Written(pdf, wanted[".pdf"]), payment], []


__all__: Sequence[str] = [
    "publish",
    "publish_written",
    "read_ranking",
    "notice_table",
    "payment_rows",
    "in_capitals",
    "PublishError",
]
