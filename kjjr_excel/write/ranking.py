"""The ranking workbook (SPEC §6): a RunResult -> one XlsxWriter workbook, printable 排名 first.

Every text that comes from a submission, a roster or a finding is written with write_string, so a name such
as '=1+1' stays text. Content is a function of the RunResult alone (the run time aside), in a fixed order.
"""

from __future__ import annotations

import contextlib
import itertools
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from types import MappingProxyType
from typing import Any

from xlsxwriter.chart import Chart
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from kjjr_excel import __version__
from kjjr_excel.domain.assess import VETO_FIELD, VETO_HEADER
from kjjr_excel.domain.describe import parameters as scheme_parameters
from kjjr_excel.domain.findings import Finding, Severity, sorted_findings
from kjjr_excel.domain.identity import center_key
from kjjr_excel.domain.layout import layout
from kjjr_excel.domain.methods import FLAG_NOT_ASSESSED, method_of
from kjjr_excel.domain.model import HistoryRecord, RankedCenter, RunResult, Submission, beijing_time
from kjjr_excel.domain.parse import as_text, fmt_decimal
from kjjr_excel.domain.published import (
    ROW_DIGESTS,
    SERIAL_HEADER,
    PublishedRow,
    published_labels,
    published_row_of,
    row_digest,
)
from kjjr_excel.domain.rank import (
    FLAG_DELIST,
    FLAG_DELIST_WARNING,
    PENDING,
    QUALITATIVE,
    budget_left,
    floors_covered,
    qualifying_count,
    running_years,
)
from kjjr_excel.domain.scheme import Scheme
from kjjr_excel.domain.score import num, round2, trims, two
from kjjr_excel.domain.validate import unused_reasons
from kjjr_excel.errors import OutputError
from kjjr_excel.write.output import atomic_write, private_tmpdir
from kjjr_excel.write.pdf import convert_to_pdf
from kjjr_excel.write.styles import (
    BODY,
    BODY_FONT,
    CELL,
    HEADER,
    TITLE_FONT,
    Workbook,
    cell_formats,
    display_width,
    keep_foot_with_rows,
    landscape_a4,
    lines_height,
    print_table,
    row_height,
    spacer_row,
    wrapped_lines,
    write_meta_sheet,
    write_values,
)
from kjjr_excel.write.xlsxfast import Formats, RowsApart

SHEET_RANKING = "排名"
SHEET_DETAILS = "得分明细"
SHEET_RAW = "原始数据"
SHEET_FINDINGS = "校验问题"
SHEET_MISSING = "未提交"
SHEET_HISTORY = "历年结果"
SHEET_CHARTS = "图表"
SHEET_NOTES = "说明"

SCORE_FORMAT = "0.00"
GRADE_COLOURS = MappingProxyType(
    {  # (fill, font) by a grade's place in the scheme's table; the others stay plain
        "top": ("#C6EFCE", "#006100"),
        "second": ("#DDEBF7", "#1F4E78"),
        "failing": ("#FFC7CE", "#9C0006"),
    }
)


def grade_roles(scheme: Scheme) -> dict[str, str]:
    """Grade name -> colour role: the top grade green, the next blue when three or more pass (优秀, 良好;
    合格 plain), the failing grade red. Whatever the scheme calls its grades."""
    passing = [g.name for g in scheme.grades if not g.failing]
    roles = {passing[0]: "top"}
    if len(passing) >= 3:
        roles[passing[1]] = "second"
    roles[scheme.failing_grade] = "failing"
    return roles


# Printed in black and white the fills are one pale grey: the grades differ by the type too, by their place in
# the scheme (the best bold, the next italic, a failing grade bold and underlined; the rest plain).
GRADE_TYPE = ({"bold": True}, {"italic": True})
FAILING_TYPE = MappingProxyType({"bold": True, "underline": 1})
SEVERITY_COLOURS = MappingProxyType(
    {
        Severity.ERROR: ("#FFC7CE", "#9C0006"),
        Severity.WARNING: ("#FFEB9C", "#7F6000"),
        Severity.INFO: ("#DDEBF7", "#1F4E78"),
    }
)
RECOGNISED_BY = MappingProxyType({"meta": "模板", "labels": "按指标名称识别"})
MAX_WIDTH = MappingProxyType({"text": 40, "long": 60})
DEFAULT_ROW_HEIGHT = 15  # points: XlsxWriter's, a row whose height is not set


# ---------------------------------------------------------------------------------------------- public


def write_ranking(
    result: RunResult, path: Path, *, run_time: datetime | None = None, jobs: int | None = None
) -> Path:
    """Write the ranking workbook atomically; return the path actually written (a sibling when the target is
    locked). jobs: the --jobs every command takes (None: every core; 1: this process only): with a core to
    spare, the rows of a large 得分明细 are written in a forked child while this process writes the other
    sheets (xlsxfast.RowsApart; the same file)."""
    when = (run_time or datetime.now()).replace(microsecond=0)
    return atomic_write(Path(path), lambda tmp: _write_workbook(result, tmp, when, jobs))


def _write_workbook(result: RunResult, tmp: Path, run_time: datetime, jobs: int | None) -> None:
    """Every sheet, in the order a reader meets them, then the file. XlsxWriter's scratch files (constant_memory's
    rows files) live in a folder of the writer's own, removed whatever happens."""
    with private_tmpdir() as scratch:
        wb = Workbook(
            str(tmp),
            # constant_memory: rows go to disk as they are written (flat memory for 10,000 centers, and a
            # faster close); every sheet therefore writes its rows strictly top to bottom.
            {
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
                "constant_memory": True,
                "tmpdir": scratch,
            },
        )
        wb.compresslevel = 1  # a quarter more bytes, a third of the time
        apart = RowsApart(wb, jobs)
        try:
            _set_properties(wb, result, run_time)
            fmt = _Formats(wb)
            ranking = wb.add_worksheet(SHEET_RANKING)
            _write_ranking_sheet(ranking, fmt, result)
            _write_details(wb, fmt, result, apart)
            _write_raw(wb, fmt, result, apart)
            _write_findings(wb, fmt, result)
            _write_missing(wb, fmt, result)
            _write_history(wb, fmt, result)
            _write_charts(wb, fmt, result)
            _write_notes(wb, fmt, result, run_time)
            _write_meta(wb, result)
            apart.finish()
            ranking.activate()
        except Exception:
            # close what was begun, so that the rows files are closed and go with the scratch folder (the
            # half-written file goes with atomic_write's temp file); the first error is the one raised
            with contextlib.suppress(Exception):
                wb.close()
            raise
        finally:
            apart.stop()  # a child still writing rows (an error, Ctrl+C) is ended
        wb.close()


def _set_properties(wb: Workbook, result: RunResult, run_time: datetime) -> None:
    scheme = result.scheme
    wb.set_properties(
        {
            "title": _title(result),
            "subject": scheme.name,
            "author": "kjjr-excel",
            "comments": f"kjjr-excel {__version__}",
            "created": run_time,
        }
    )


def export_pdf(xlsx: Path, out_dir: Path, soffice: str) -> Path:
    """Print 排名 alone to `out_dir`/<name>.pdf with LibreOffice's `soffice` (write.pdf.find_soffice)."""
    xlsx = Path(xlsx)
    with tempfile.TemporaryDirectory(prefix="kjjr_pdf_") as work:
        only_ranking = Path(work) / "ranking.xlsx"
        _keep_only_ranking(xlsx, only_ranking)
        return convert_to_pdf(only_ranking, Path(out_dir) / f"{xlsx.stem}.pdf", soffice, shown=xlsx)


# ---------------------------------------------------------------------------------------------- building


@dataclass(frozen=True)
class Column:
    header: str
    kind: str = "text"  # text | center | long | score | number | int | signed_int | signed_score | datetime
    min_width: int = 6
    max_width: int | None = None  # the widest it may grow (a long text wraps beyond): None, MAX_WIDTH


# The number formats by column kind; every one a bordered table cell (styles.CELL).
KIND_FORMATS: dict[str, dict[str, Any]] = MappingProxyType(
    {
        "text": {},
        "center": {"align": "center"},
        "long": {"text_wrap": True},
        "score": {"num_format": SCORE_FORMAT},
        "number": {"num_format": "General"},
        "int": {"num_format": "0", "align": "center"},
        "signed_int": {"num_format": "+0;-0;0", "align": "center"},
        "signed_score": {"num_format": "+0.00;-0.00;0.00"},
        "datetime": {"num_format": "yyyy-mm-dd hh:mm:ss"},
    }
)
HEADING = MappingProxyType({"font_name": TITLE_FONT, "bold": True, "valign": "vcenter"})


class _Formats:
    """The workbook's cell formats, created once."""

    def __init__(self, wb: Workbook):
        add = wb.add_format
        self.wb = wb
        self.title = add({**HEADING, "font_size": 16, "align": "center"})
        self.header = add(HEADER)
        self.section = add({"font_name": TITLE_FONT, "font_size": 12, "bold": True})
        self.subtitle = add({**HEADING, "font_size": 12, "align": "left"})
        self.plain = add(BODY)
        self.wrapped = add({**BODY, "text_wrap": True, "valign": "top"})
        self.year = add({**BODY, "num_format": "0", "align": "left"})
        self.by_kind: dict[str, Format] = {
            kind: add({**CELL, **extra}) for kind, extra in KIND_FORMATS.items()
        }
        # 排名 is a handout: flags that decide money in bold, the foot block wrapped over the whole width
        self.flag_strong = add({**CELL, "text_wrap": True, "bold": True})
        self.foot = add({**BODY, "text_wrap": True, "valign": "top"})
        self.foot_right = add({**BODY, "align": "right"})
        self.severity = {
            sev: add({**CELL, "bg_color": fill, "font_color": font})
            for sev, (fill, font) in SEVERITY_COLOURS.items()
        }


def _grade_formats(fmt: _Formats, scheme: Scheme) -> dict[str, Any]:
    """Conditional formats by grade: a fill and a type style each, told apart on a black-and-white page."""
    out = {}
    roles = grade_roles(scheme)
    for n, g in enumerate(scheme.grades):
        style = dict(FAILING_TYPE if g.failing else (GRADE_TYPE[n] if n < len(GRADE_TYPE) else {}))
        fill, font = GRADE_COLOURS.get(roles.get(g.name, ""), (None, None))
        if fill:
            style.update(bg_color=fill, font_color=font)
        if style:
            out[g.name] = fmt.wb.add_format(style)
    return out


def _title(result: RunResult) -> str:
    return _title_of(result.scheme, result.year)


def _running(result: RunResult) -> str:
    """The running head atop every printed page: the title, and that the result is provisional when it is (a
    page of the handout passed round alone must not read as the final result)."""
    return _title(result) + provisional_note(result)


def _title_of(scheme: Scheme, year: int) -> str:
    """'青岛市科技金融服务分中心2017年度考核结果': the year stands before the kind of result (Scheme.subject)."""
    return f"{scheme.subject}{year}年度{scheme.result_title}"


class _Table:
    """A sheet holding one table: header row, typed cells, widths fitted to the content."""

    def __init__(
        self,
        ws: Worksheet,
        fmt: _Formats,
        columns: Sequence[Column],
        header_row: int = 0,
        row_height: float | None = None,
    ):
        self.ws, self.fmt, self.columns = ws, fmt, list(columns)
        self.header_row = header_row
        self.row_height = row_height
        self.row = header_row + 1
        self.rows: list[_QueuedRow] = []
        self.heights: list[float] = []  # points, each row's as finish sets it (the sheet's pagination)
        # headers wrap onto two lines, so a long header does not widen its column past half its length
        self.widths = [max(c.min_width, min(display_width(c.header), 12) + 2) for c in self.columns]
        # a header wider than its (bounded) column wraps: the row shows all its lines
        shown = [(c.header, min(w, c.max_width or w)) for c, w in zip(self.columns, self.widths, strict=True)]
        self.header_height = max(30, lines_height(max(wrapped_lines(h, w) for h, w in shown)))
        ws.set_row(header_row, self.header_height)
        for col, c in enumerate(self.columns):
            ws.write_string(header_row, col, c.header, fmt.header)

    def add(self, values: Sequence[Any], formats: dict[int, Format] | None = None) -> int:
        """Queue one row (written by finish, once widths and heights are known); return its index."""
        row = self.row
        values = [_cell_value(v) for v in values]  # as the cells show them: measured now, written by finish
        # a text is measured once: its lines' widths fit its column here and set its row's height in finish
        measured: dict[int, list[int]] = {}
        for col, (c, value) in enumerate(zip(self.columns, values, strict=True)):
            if value.__class__ is str:
                lines = [display_width(line) for line in value.splitlines()]
                shown = max(lines, default=0)
                if c.kind == "long":
                    measured[col] = lines or [0]
            else:
                shown = _shown_width(c, value)
            if shown + 2 > self.widths[col]:
                self.widths[col] = shown + 2
        self.rows.append(_QueuedRow(values, formats or {}, measured))
        self.row += 1
        return row

    def finish(self, *, autofilter: bool = True) -> list[float]:
        """Write the queued rows top to bottom, each with its height set before its cells (constant_memory
        keeps no row once the next one is started)."""
        ws = self.ws
        widths = []
        for col, c in enumerate(self.columns):
            width = min(
                self.widths[col],
                c.max_width or (MAX_WIDTH["long"] if c.kind == "long" else MAX_WIDTH["text"]),
            )
            widths.append(width)
            ws.set_column(col, col, width)
        # the printed characters a line of each long column holds (wrapped_lines' room)
        long_cols = {
            col: max(int(widths[col]) - 1, 1) for col, c in enumerate(self.columns) if c.kind == "long"
        }
        kind_formats = [self.fmt.by_kind[c.kind] for c in self.columns]
        for n, queued in enumerate(self.rows):
            row = self.header_row + 1 + n
            # Row heights are explicit: Excel does not grow a row for wrapped text written by XlsxWriter.
            lines = max(
                (_row_lines(queued, col, room, widths[col]) for col, room in long_cols.items()), default=1
            )
            height = lines_height(lines, self.row_height or DEFAULT_ROW_HEIGHT)
            if self.row_height or lines > 1:
                ws.set_row(row, height)
            self.heights.append(height)
            formats = queued.formats
            cells = [formats.get(col) or f for col, f in enumerate(kind_formats)] if formats else kind_formats
            write_values(ws, row, queued.values, cells, cells, cells, cells)
        last = max(self.row - 1, self.header_row)
        if autofilter and self.columns:
            ws.autofilter(self.header_row, 0, last, len(self.columns) - 1)
        ws.freeze_panes(self.header_row + 1, 0)
        return widths


@dataclass(frozen=True)
class _QueuedRow:
    values: list[Any]  # as _cell_value gives them
    formats: dict[int, Format]  # by column, where not the column's own
    measured: dict[int, list[int]]  # long column -> display width of each line of its text


def _row_lines(queued: _QueuedRow, col: int, room: int, width: float) -> int:
    """Printed lines of a long column's cell (as wrapped_lines counts them); 1 for an empty cell."""
    widths = queued.measured.get(col)
    if widths is not None:
        return sum(max(1, -(-w // room)) for w in widths)
    value = queued.values[col]
    return 1 if value is None else wrapped_lines(value, width)


def _shown_width(c: Column, value: Any) -> int:
    """Characters a cell needs on screen, for fitting its column (value as _cell_value gives it)."""
    if value is None:
        return 0
    if isinstance(value, datetime):
        return 19
    if isinstance(value, float):
        return len(f"{value:.2f}") if c.kind == "score" else len(f"{value:g}")
    return max((display_width(line) for line in value.splitlines()), default=0)


def _print_setup(ws: Worksheet, header_row: int | None, running: str) -> None:
    """A table printed one page wide, centred: what the meeting prints."""
    print_table(ws, header_row, running)
    ws.center_horizontally()


# ---------------------------------------------------------------------------------------------- 排名


def _ranking_columns(scheme: Scheme, codes: Iterable[str] = ()) -> list[Column]:
    """排名's columns after 序号. Every width is bounded so that the sheet fits one A4 landscape page wide at
    full size (LibreOffice prints 11 pt text at 10.5 pt or more): names, host units and long headers wrap
    instead of widening the page. 编号 is as wide as the longest code (up to CODE_WIDTH: a code cut short
    on paper could be another center's), and 名称 gives up what it takes. The method names the scores, its
    total last."""
    code = min(max((display_width(c) + 1 for c in codes), default=5), CODE_WIDTH)
    code = max(code, 5)
    return [
        Column("排名", "int", 4, 4),
        Column("编号", "text", 5, code),
        Column("名称", "long", 14, NAME_WIDTH - (code - 5)),
        Column("依托单位", "long", 14, HOST_WIDTH),
        *(Column(header, "score", 7, 7) for header in method_of(scheme).score_columns(scheme)),
        Column("等次", "center", 6, 6),
        Column(scheme.subsidy_label, "score", 9, 9),
        Column("标记", "long", 12, FLAG_WIDTH),
    ]


NAME_WIDTH, HOST_WIDTH, FLAG_WIDTH = 25, 17, 15
CODE_WIDTH = 12
SERIAL = Column(SERIAL_HEADER, "int", 4, 4)


def _ranking_scores(scheme: Scheme, r: RankedCenter) -> list[Any]:
    return method_of(scheme).scores(scheme, r)


def _ranking_values(scheme: Scheme, n: int, r: RankedCenter, provisional: str) -> list[Any]:
    """The cells of 排名's row for the n-th center (columns: SERIAL and _ranking_columns)."""
    c = r.center
    return [
        n,
        r.rank,
        c.code,
        c.name,
        c.host_unit,
        *_ranking_scores(scheme, r),
        r.grade,
        r.subsidy if r.grade else None,
        short_flags(r.flags, FLAG_NOT_ASSESSED in provisional),
    ]


UNSETTLED_TITLE = "（结果尚未确定，见表下注）"


def provisional_note(result: RunResult) -> str:
    """'（初步结果，未经考核评价）' when part of the assessment is missing, said once in 排名's title (and on
    the 公示): without the assessor's table (Qingdao) or without any review sheet (Guangdong), or when a table
    given could not be used (pipeline: RunResult.provisional says which part); else ''."""
    scheme: Scheme = result.scheme
    if result.table_unusable:  # a table given could not be used: 考核评价不完整, 定性评分不完整…
        return f"（初步结果，{result.provisional}）"
    return method_of(scheme).provisional(scheme, result.assessed, result.reviews_given)


def short_flags(flags: Sequence[str], provisional: bool) -> str:
    """标记 as a meeting reads it: the flag alone (数据有误, 一票否决, 摘牌…), with （待数据更正后确定） where it
    hangs on a figure to correct; which cell, which file and why are on 校验问题 (and 历年结果). provisional: the title already says 未经考核评价 (no assessor table at all)."""
    shown: list[str] = []
    for flag in flags:
        if provisional and flag == FLAG_NOT_ASSESSED:
            continue
        head = re.split(r"[：（，]", flag, maxsplit=1)[0]
        if PENDING in flag and "待定" not in head:  # 排名最后, 摘牌预警 hanging on a figure to correct
            head += f"（{PENDING}）"
        if head not in shown:
            shown.append(head)
    return "；".join(shown)


def _write_ranking_sheet(ws: Worksheet, fmt: _Formats, result: RunResult) -> None:
    """排名 as the handout a meeting reads: issuer and title, 序号, flags only, grades told apart in black and
    white, and a foot block with the grading rule, the 等次汇总 with its 合计, issuer and date."""
    scheme: Scheme = result.scheme
    columns = [SERIAL, *_ranking_columns(scheme, (r.center.code for r in result.ranked))]
    title = _title(result)
    provisional = provisional_note(result)
    # grades or amounts that hang on figures to correct: said on the first line a meeting reads, not only below
    shown = provisional or (UNSETTLED_TITLE if result.unsettled else "")
    ws.set_row(0, TITLE_HEIGHT)
    heading = f"{scheme.issuer}\n{title}{shown}" if scheme.issuer else title + shown
    ws.merge_range(0, 0, 0, len(columns) - 1, heading, fmt.title)
    table = _Table(ws, fmt, columns, header_row=1, row_height=20)
    flag_col = len(columns) - 1
    for n, r in enumerate(result.ranked, start=1):
        strong = any(f.startswith(FLAG_DELIST) and not f.startswith(FLAG_DELIST_WARNING) for f in r.flags)
        table.add(_ranking_values(scheme, n, r, provisional), {flag_col: fmt.flag_strong} if strong else None)
    widths = table.finish()
    grade_col = next(n for n, col in enumerate(columns) if col.header == "等次")
    last = max(table.row - 1, 2)
    for name, grade_fmt in _grade_formats(fmt, scheme).items():
        ws.conditional_format(
            2,
            grade_col,
            last,
            grade_col,
            {"type": "cell", "criteria": "==", "value": f'"{name}"', "format": grade_fmt},
        )
    foot = _write_ranking_foot(ws, fmt, result, table.row, widths)
    _print_setup(ws, 1, title + provisional)
    ws.set_margins(left=0.4, right=0.4, top=RANKING_MARGIN, bottom=RANKING_MARGIN)
    ws.print_area(0, 0, table.row + len(foot) - 1, len(columns) - 1)
    _keep_foot_with_table(ws, table, foot)


RANKING_MARGIN = 0.6  # inches, top and bottom of 排名's pages: a handout holds as many rows a page as it can
TITLE_HEIGHT = 48  # points: 排名's first row, the issuer over the title
GAP = 8  # points: the empty rows between the table and the parts of its foot


def _keep_foot_with_table(ws: Worksheet, table: _Table, foot: list[float]) -> None:
    """排名's pages: the foot block (grading rule, 等次汇总, issuer and date) with the table's last rows."""
    keep_foot_with_rows(
        ws,
        table.header_row + 1,
        table.heights,
        foot,
        head=[TITLE_HEIGHT, table.header_height],
        repeated=[table.header_height],
        top=RANKING_MARGIN,
        bottom=RANKING_MARGIN,
    )


def grade_summary(result: RunResult) -> list[tuple[str, int, Decimal]]:
    """(grade, centers, subsidy) per grade of the scheme, then ('合计', …): the 等次汇总 of 排名 and of the
    payment list, so both say the same."""
    scheme: Scheme = result.scheme
    rows = []
    for g in scheme.grades:
        graded = [r for r in result.ranked if r.grade == g.name]
        rows.append((g.name, len(graded), sum((r.subsidy for r in graded), Decimal(0))))
    rows.append(("合计", sum(n for _, n, _ in rows), sum((a for _, _, a in rows), Decimal(0))))
    return rows


def grading_rule(scheme: Scheme, paid: int = 0, left: Decimal = Decimal(0)) -> list[str]:
    """The foot's lines on how grades, subsidy and flags are decided, in the scheme's words. paid: how many
    centers share a budget (a budget too small for their floors is shared evenly, and said so); left: what
    the budget leaves unpaid because equal scores could not share the last cents alike."""
    rows = scheme_parameters(scheme)
    grades = "；".join(
        f"{name.removeprefix('等次：')}：{value}" for name, value, _ in rows if name.startswith("等次：")
    )
    lines = [f"等次划分：{grades}。"]
    pay_line = _pay_rule(scheme, paid, left)
    if pay_line:
        lines.append(pay_line)
    if scheme.submission.get("remarks") and method_of(scheme).foot_remarks:
        lines.append(scheme.submission["remarks"])
    money = scheme.money_word
    legend = (
        f"标记：数据有误——{method_of(scheme).error_legend}，单元格和原因见“校验问题”表；"
        "等次待定——按填报的数据评定，有数据有误的项，更正后等次可能改变；"
        f"{money}暂缓——有数据有误的项{method_of(scheme).lacking_legend}，更正核实后再定{scheme.money_label}"
    )
    if scheme.delisting:
        running = running_years(scheme.delisting_years)
        legend += f"；摘牌——{running}{scheme.failing_grade}或{running}排名最后一名"
        # 再有一年 holds only for two years running: with three, one bad year leaves two to go; with one, no
        # center is ever warned
        soon = "再有一年即予摘牌" if scheme.delisting_years == 2 else f"{running}即予摘牌"
        if scheme.delisting_years > 1:
            legend += f"；摘牌预警——本年度{scheme.failing_grade}或排名最后，{soon}"
        legend += "；摘牌待定——按填报的数据应予摘牌，但有数据有误的项，更正后再定"
    lines.append(legend + f"；未列排名的不参加排名、不予{money}，原因见“校验问题”表。")
    return lines


def _pay_rule(scheme: Scheme, paid: int = 0, left: Decimal = Decimal(0)) -> str:
    """The foot's line on the money: the amount per grade, or (with a total budget) how the total is shared."""
    money = scheme.money_label
    if scheme.subsidy_budget:
        unpaid = "、".join(g.name for g in scheme.grades if not scheme.paid(g.name))
        lowest_paid = scheme.lowest_paid_grade
        budget, floor = fmt_decimal(scheme.subsidy_budget), fmt_decimal(scheme.subsidy_floor)
        pay = (
            f"总额 {budget} 万元，{lowest_paid}及以上的每个{scheme.center_label}先得保底 {floor} 万元，余额按得分比例分配"
            if floors_covered(scheme, paid)
            else f"总额 {budget} 万元不足以给{lowest_paid}及以上的 {paid} 个{scheme.center_label}每个保底 {floor} 万元，"
            "按总额平均分配"
        )
        if left:
            pay += f"（得分相同的{scheme.center_label}金额相同，余 {fmt_decimal(left)} 万元无法均分，未分配）"
        defaults = scheme.sources.get("subsidy") == "default"
    else:
        pay = "、".join(f"{g} {fmt_decimal(v)} 万元" for g, v in scheme.subsidy_amounts.items() if v)
        unpaid = "、".join(g for g, v in scheme.subsidy_amounts.items() if not v)
        defaults = scheme.sources.get("subsidy.amounts") == "default"
    if not pay:
        return ""
    return (
        f"{money}：{pay}"
        + (f"；{unpaid}不予{scheme.money_word}" if unpaid else "")
        + ("（金额为默认值，待确认）" if defaults else "")
        + "。"
    )


def _write_ranking_foot(
    ws: Worksheet, fmt: _Formats, result: RunResult, row: int, widths: list[float]
) -> list[float]:
    """The foot block from `row`, the row after the table, on: a gap, the grading rule, a gap, the 等次汇总
    and a gap, the issuer and date line. Returns the height of each of its rows (points), top to bottom."""
    scheme: Scheme = result.scheme
    last_col = len(widths) - 1
    full = sum(widths)
    heights = [spacer_row(ws, row, GAP, fmt.plain)]
    row += 1
    paid = qualifying_count(scheme, result.ranked)
    entries = [(r.center.key, r.total, r.grade) for r in result.ranked if r.rank is not None]
    # the grading rule, then why the grades and amounts are not settled yet, if they are not (unsettled_note)
    unsettled = [f"注：{result.unsettled}"] if result.unsettled else []
    for line in [*grading_rule(scheme, paid, budget_left(scheme, entries)), *unsettled]:
        heights.append(row_height([(line, full)], minimum=20))
        ws.set_row(row, heights[-1])
        ws.merge_range(row, 0, row, last_col, line, fmt.foot)
        row += 1
    heights.append(spacer_row(ws, row, GAP, fmt.plain))
    row += 1
    # 等次汇总 across: a label over 序号…依托单位, one column per grade and 合计 over the score columns. Name,
    # code and rank columns stay empty, so an earlier year's history never reads these rows as centers.
    summary = grade_summary(result)
    first = max(1, min(5, last_col + 1 - len(summary)))
    rows = [
        ("等次汇总", [name for name, _, _ in summary], fmt.header),
        (f"{scheme.center_label}数量（个）", [n for _, n, _ in summary], fmt.by_kind["int"]),
        (scheme.subsidy_label, [float(a) for _, _, a in summary], fmt.by_kind["score"]),
    ]
    for label, values, cell_fmt in rows:
        heights.append(20)
        ws.set_row(row, heights[-1])
        ws.merge_range(row, 0, row, first - 1, label, fmt.header)
        for col, value in enumerate(values, start=first):
            if isinstance(value, str):
                ws.write_string(row, col, value, cell_fmt)
            else:
                ws.write_number(row, col, value, cell_fmt)
        row += 1
    heights.append(spacer_row(ws, row, GAP, fmt.plain))
    row += 1
    # the issuer, and a date line to fill in when the handout is signed and issued: the sheet's content stays
    # a function of the results alone (the run time is on 说明)
    heights.append(24)
    ws.set_row(row, heights[-1])
    issued = f"{scheme.issuer}　　　　" if scheme.issuer else ""
    ws.merge_range(row, 3, row, last_col, f"{issued}日期：　　　　年　　月　　日", fmt.foot_right)
    return heights


# ---------------------------------------------------------------------------------------------- 得分明细


def _indicator_names(scheme: Scheme) -> dict[str, tuple[str, str]]:
    """(category, label) by the id a finding names: an indicator, or a review sheet's part or 一票否决 (never the
    scheme's English id on 校验问题)."""
    names = {part.id: (QUALITATIVE, part.label) for part in scheme.parts}
    names[VETO_FIELD] = (QUALITATIVE, VETO_HEADER)
    names.update({ind.id: (ind.category, ind.label) for ind in scheme.indicators})
    return names


NO_REVIEW = "没有评审人的定性评分，按0分计"  # reviews were given, none for this center (定性评分缺失)


def _qualitative_derivation(totals: Sequence[Fraction], trim_at: int, score: Fraction) -> str:
    """Every reviewer's total (sorted: the order does not tell who gave which), the two dropped, the mean:
    '5位评审人总分 60、70、80、90、100；去掉一个最高分和一个最低分（100、60），平均 (70+80+90)÷3 = 80.00'."""
    xs = sorted(totals)
    shown = "、".join(num(t) for t in xs)
    if trims(len(xs), trim_at):
        kept = xs[1:-1]
        dropped = f"；去掉一个最高分和一个最低分（{num(xs[-1])}、{num(xs[0])}）"
    else:
        kept, dropped = xs, ""
    mean = f"({'+'.join(num(t) for t in kept)})÷{len(kept)}" if len(kept) > 1 else num(kept[0])
    return f"{len(xs)}位评审人总分 {shown}{dropped}，平均 {mean} = {two(score)}"


def _fit(texts: Iterable[str], limit: int = 30, least: int = 10) -> int:
    """A column width that shows the widest of these texts (CJK counted double), within bounds. Exact, and
    cheap on thousands of texts: only a text that may be wider than the widest so far is measured. A wide
    character takes 3 or 4 bytes in UTF-8, so a text is at most (characters + bytes) // 2 columns wide."""
    widest = least - 2
    for text in texts:
        if widest >= limit:
            break
        if (len(text) + len(text.encode())) // 2 > widest:
            widest = max(widest, display_width(text))
    return min(limit, widest + 2)


@dataclass(frozen=True)
class WideSheet:
    """A wide data sheet (得分明细, 原始数据): fixed widths (no per-cell measuring: these sheets hold N × 17
    indicators, and the time goes into every cell), numbers in their column's format. wrap: column -> display
    width of its longest text; those columns wrap, and every data row is as tall as the longest needs, so
    nothing is cut off on screen or on paper (a column given no longest text, None, is measured row by row)."""

    name: str
    headers: Sequence[tuple[str, float]]  # (header, width)
    numbers: Sequence[Format]
    wrap: dict[int, int | None]
    rows: int  # data rows, under the header
    # the columns whose cells may hold a date and time: the rest never do, so no row has to be looked at for
    # a date's format before the rows are handed to a child (RowsApart.start's `uses`); 得分明细 has none, and
    # all its rows were built here only to find that none held one
    dated: frozenset[int] = frozenset()


def _print_wide(ws: Worksheet, widths: list[float], running: str) -> None:
    """A wide sheet printed a few pages wide at about three quarters of full size, rather than a column or two
    a page; every page after the first repeats 编号 and 名称 (not 排名, nor 原始数据's wide 文件), so that its
    figures say whose they are."""
    pages = _pages_wide(widths)
    if pages > 1:
        pages = _pages_wide(widths + widths[1:IDENTITY_COLUMNS] * (pages - 1))
    print_table(ws, 0, running, pages_wide=pages)
    if pages > 1:
        ws.repeat_columns(1, IDENTITY_COLUMNS - 1)


def _write_wide(
    wb: Workbook,
    fmt: _Formats,
    title: str,
    sheet: WideSheet,
    rows: Iterable[list[Any]],
    apart: RowsApart | None = None,
) -> None:
    """The wide sheet: header, three frozen identity columns, a filter, landscape print, then the rows (in a
    child of `apart`'s when it takes them)."""
    ws = wb.add_worksheet(sheet.name)
    headers, wrap = sheet.headers, sheet.wrap
    # the two-part headers (指标｜得分) wrap onto up to five lines, all shown
    ws.set_row(0, row_height(headers, minimum=45))
    for col, (header, width) in enumerate(headers):
        ws.write_string(0, col, header, fmt.header)
        ws.set_column(col, col, width)
    ws.freeze_panes(1, IDENTITY_COLUMNS)
    _print_wide(ws, [width for _, width in headers], title + "　" + ws.name)
    lines = max(
        (
            wrapped_lines("x" * longest, headers[col][1])
            for col, longest in wrap.items()
            if longest is not None
        ),
        default=1,
    )
    texts = [fmt.by_kind["long"] if col in wrap else fmt.by_kind["text"] for col in range(len(headers))]
    measured = {col: headers[col][1] for col, longest in wrap.items() if longest is None}
    height = lines_height(lines) if lines > 1 else None

    pending = iter(rows)
    looked_at: list[list[Any]] = []  # the rows `uses` went through, written first

    def write() -> int:
        every = itertools.chain(looked_at, pending)
        return _write_rows(ws, fmt, every, 1, sheet.numbers, texts, height, measured)

    def uses() -> Iterator[Format]:
        """The rows' formats in the order they are first used, until every one they can have was met."""
        dates = [fmt.by_kind["datetime"] if col in sheet.dated else None for col in range(len(headers))]
        left = {id(f) for f in (*texts, *sheet.numbers, *dates) if f is not None}
        for values in pending:
            looked_at.append(values)
            for used in cell_formats(values, texts, sheet.numbers, dates):
                left.discard(id(used))
                yield used
            if not left:
                return

    def done(last: int) -> None:
        ws.autofilter(0, 0, max(last, 1), len(headers) - 1)

    if apart is None:
        done(write())
    else:
        apart.start(ws, sheet.rows, write, done, uses)


def _write_details(wb: Workbook, fmt: _Formats, result: RunResult, apart: RowsApart | None = None) -> None:
    headers, wrap = _detail_headers(result)
    numbers = [fmt.by_kind["int"]] + [fmt.by_kind["score"]] * (len(headers) - 1)  # 排名, then scores
    sheet = WideSheet(SHEET_DETAILS, headers, numbers, wrap, len(result.ranked))
    _write_wide(wb, fmt, _running(result), sheet, _detail_rows(result), apart)


def _write_raw(wb: Workbook, fmt: _Formats, result: RunResult, apart: RowsApart | None = None) -> None:
    headers, wrap = _raw_headers(result.scheme, result.submissions)
    numbers = [fmt.by_kind["number"]] * len(headers)
    rows = _raw_rows(result.scheme, result.submissions)
    sheet = WideSheet(SHEET_RAW, headers, numbers, wrap, len(result.submissions), frozenset({RAW_SAVED_AT}))
    _write_wide(wb, fmt, _running(result), sheet, rows, apart)


IDENTITY_COLUMNS = (
    3  # 排名, 编号, 名称 on 得分明细; 文件, 编号, 名称 on 原始数据: frozen, and repeated in print
)

# LibreOffice prints about 115 column units on an A4 landscape page at full size (0.4 inch margins); a wide
# sheet is fitted to as many pages wide as it needs at WIDE_SCALE
PAGE_UNITS, WIDE_SCALE = 115, 0.72
WRAP_WIDTH = MappingProxyType({"derivation": 36, "name": 16, "file": 32, "cells": 24, "mail": 30})


def _pages_wide(widths: Iterable[float]) -> int:
    """Pages wide that print the sheet nearest WIDE_SCALE (LibreOffice then takes the largest scale that fits)."""
    return max(1, round(sum(w + 0.7 for w in widths) * WIDE_SCALE / PAGE_UNITS))


def _wrapped(texts: Iterable[str], cap: int, least: int = 6, lines: int = 1) -> tuple[int, int]:
    """(column width, display width of the longest text) for a column that wraps beyond `cap`; lines: the
    longest may take that many lines before the column grows past its natural width (up to `cap`)."""
    longest = _fit(texts, limit=8 * cap, least=0) - 2
    return max(least, min(cap, -(-longest // lines) + 2)), longest


def _detail_headers(result: RunResult) -> tuple[list[tuple[str, float]], dict[int, int | None]]:
    """得分明细's (header, width) and the columns that wrap: the names and the derivations."""
    scheme: Scheme = result.scheme
    name_width, name_longest = _wrapped((r.center.name for r in result.ranked), WRAP_WIDTH["name"], 10)
    headers: list[tuple[str, float]] = [("排名", 6), ("编号", 9), ("名称", name_width)]
    wrap: dict[int, int | None] = {2: name_longest}
    headers += [(c.header, 9) for c in _ranking_columns(scheme)[4:7]]
    # a derivation ends with its result ("… = 6.00"): it wraps in full in its column, never cut
    derivations: dict[str, list[str]] = {ind.id: [] for ind in scheme.scored_indicators}
    for r in result.ranked:
        for item in r.score.items:
            derivations[item.indicator].append(item.derivation)
    for ind in scheme.scored_indicators:
        label = f"{ind.category}／{ind.label}"
        width, longest = _wrapped(derivations[ind.id], WRAP_WIDTH["derivation"], 14, lines=2)
        headers += [(f"{label}｜得分", 8), (f"{label}｜计算过程（数值：计算）", width)]
        wrap[len(headers) - 1] = longest
    if _with_reviews(result):
        texts = (
            _qualitative_derivation(r.center.review_totals, scheme.trim_at, r.score.qualitative)
            for r in result.ranked
            if r.score.qualitative is not None
        )
        width, longest = _wrapped(texts, 2 * WRAP_WIDTH["derivation"], 24, lines=2)
        headers.append(("定性得分｜计算过程", width))
        wrap[len(headers) - 1] = longest
    return headers, wrap


def _with_reviews(result: RunResult) -> bool:
    return any(r.score.qualitative is not None for r in result.ranked)


def _detail_rows(result: RunResult) -> Iterator[list[Any]]:
    """得分明细's rows: for every indicator its score and one-line derivation (which
    opens with the value it was computed from: "1200万元：15 × min(1, 1200÷3000.00) = 6.00"; the value as a
    number is on 原始数据)."""
    scheme: Scheme = result.scheme
    indicators = list(scheme.scored_indicators)
    reviews = _with_reviews(result)
    for r in result.ranked:
        c = r.center
        row = [r.rank, c.code, c.name, *map(_cell_value, _ranking_scores(scheme, r))]
        items = {item.indicator: item for item in r.score.items}
        for ind in indicators:
            item = items.get(ind.id)
            row += (None, None) if item is None else (round2(item.score), item.derivation)
        if reviews:
            q = r.score.qualitative
            row.append(
                NO_REVIEW if q is None else _qualitative_derivation(c.review_totals, scheme.trim_at, q)
            )
        yield row


def _cell_value(value: Any) -> Any:
    """A value as its cell shows it: numbers as numbers (scores rounded to 2 places), yes/no as 是/否,
    everything else as text (never a formula); None for an empty cell."""
    kind = value.__class__  # exact types: isinstance(value, Fraction) walks an ABC for every number
    if kind is Decimal or kind is float or kind is int:
        return float(value)
    if kind is str:
        return value or None
    if value is None:
        return None
    if kind is bool:
        return "是" if value else "否"
    if kind is Fraction:
        return round2(value)
    if isinstance(value, datetime):
        return value
    return str(value) or None


def _beijing(when: datetime | None) -> datetime | None:
    """A saved time (UTC) as the clerks' clocks in China show it, to the second, as the mails' times are shown."""
    return None if when is None else beijing_time(when)


def _write_rows(
    ws: Worksheet,
    fmt: _Formats,
    rows: Iterable[list[Any]],
    first: int,
    numbers: Sequence[Format],
    texts: Sequence[Format],
    height: float | None = None,
    measured: dict[int, float] | None = None,
) -> int:
    """Rows of cell values (see _cell_value) from row `first` on: text in its column's format of `texts`,
    numbers in their column's format, datetimes; return the last row written (first - 1 for none). height:
    every row's; measured: column -> width of the columns whose text sets a row's height row by row (a rare
    long text)."""
    dates = [fmt.by_kind["datetime"]] * len(numbers)
    row = first - 1
    for row, values in enumerate(rows, start=first):  # noqa: B007 (the last row is returned)
        if measured:
            lines = max(
                (wrapped_lines(values[col], width) for col, width in measured.items() if values[col]),
                default=1,
            )
            if lines > 1 or height:
                ws.set_row(row, max(height or 0, lines_height(lines)))
        elif height:
            ws.set_row(row, height)
        write_values(ws, row, values, texts, numbers, dates)
    return row


def _submission_order(s: Submission) -> tuple:
    return (s.center_code, s.center_name, s.file, s.sha256)


def _raw_headers(
    scheme: Scheme, submissions: Sequence[Submission]
) -> tuple[list[tuple[str, float]], dict[int, int | None]]:
    """原始数据's (header, width) and the columns that wrap: file, name, the cells of a file read by labels."""
    lay = layout(scheme)
    file_width, file_longest = _wrapped((sub.file for sub in submissions), WRAP_WIDTH["file"], 10)
    name_width, name_longest = _wrapped((sub.center_name for sub in submissions), WRAP_WIDTH["name"], 10)
    headers: list[tuple[str, float]] = [
        ("文件", file_width),
        ("编号", 9),
        ("名称", name_width),
        ("识别方式", 9),
        ("保存时间", 18),
        ("工作表", 9),
    ]
    wrap: dict[int, int | None] = {0: file_longest, 2: name_longest}
    if any(sub.origins for sub in submissions):  # the column only when some file came by mail
        wrap[len(headers)] = None  # long, and only some rows: measured row by row
        headers.append(("来源邮件（发件人，发送时间，主题，邮件文件）", WRAP_WIDTH["mail"]))
    for ind in scheme.self_indicators:
        cell = lay.value_cell(ind.id) if ind.id in lay.rows else ""
        label = f"{ind.category}／{ind.label}（{cell}）" if cell else f"{ind.category}／{ind.label}"
        headers += [(f"{label}｜读取值", 9), (f"{label}｜填写内容（与读取值不同时）", 9)]
    headers.append(("单元格（与模板位置不同时）", WRAP_WIDTH["cells"]))
    # a file read by its labels lists its own cells (rare, and long): that row alone grows
    wrap[len(headers) - 1] = None
    return headers, wrap


RAW_SAVED_AT = 4  # 原始数据's column of the workbook's own saved time, its one column of dates


def _raw_rows(scheme: Scheme, submissions: Sequence[Submission]) -> Iterator[list[Any]]:
    """原始数据's rows: one per file read; for every input its content as typed and as read. The cell of each
    input is in the header (the template's position); a file read by its labels lists its own cells."""
    lay = layout(scheme)
    inputs = list(scheme.self_indicators)
    expected = {ind.id: lay.value_cell(ind.id) for ind in inputs if ind.id in lay.rows}
    labels = [ind.label for ind in inputs]
    repeated = {label for label in labels if labels.count(label) > 1}  # 服务企业数量（家） twice
    mailed = any(sub.origins for sub in submissions)
    for sub in sorted(submissions, key=_submission_order):
        row = [
            sub.file,
            sub.center_code,
            sub.center_name,
            RECOGNISED_BY.get(sub.recognised_by, sub.recognised_by),
            _beijing(sub.saved_at),
            sub.sheet,
        ]
        if mailed:
            row.append("；".join(o.describe() for o in sub.origins) or None)
        moved = []
        for ind in inputs:
            v = sub.values.get(ind.id)
            if v is None:
                row += (None, None)
                continue
            row += (_cell_value(v.value), v.raw if v.raw != "" and v.raw != as_text(v.value) else None)
            if v.cell and v.cell != expected.get(ind.id):
                label = f"{ind.category}／{ind.label}" if ind.label in repeated else ind.label
                moved.append(
                    f"{label}：{v.sheet}!{v.cell}"
                    if v.sheet and v.sheet != sub.sheet
                    else f"{label}：{v.cell}"
                )
        row.append("；".join(moved) or None)
        yield row


# ---------------------------------------------------------------------------------------------- 校验问题


def _write_findings(wb: Workbook, fmt: _Formats, result: RunResult) -> None:
    write_findings_sheet(wb, result.scheme, result.findings, _running(result), fmt)


def write_findings_sheet(
    wb: Workbook, scheme: Scheme, findings: Sequence[Finding], title: str, fmt: _Formats | None = None
) -> None:
    """The 校验问题 sheet: every finding, by severity then center, with filters. Shared by the ranking workbook
    and the `kjjr validate` report, so both show a finding the same way."""
    fmt = fmt or _Formats(wb)
    ws = wb.add_worksheet(SHEET_FINDINGS)
    names = _indicator_names(scheme)
    table = _Table(
        ws,
        fmt,
        [
            # bounded widths, long texts wrapped: one page wide at 9 pt or more when printed
            Column("严重程度", "text", 6, 6),
            Column("代码", "long", 10, 12),
            Column("文件", "long", 16, 20),
            Column("工作表", "long", 6, 8),
            Column("单元格", "text", 6, 6),
            Column(scheme.center_label, "long", 12, 14),
            Column("指标", "long", 14, 16),
            Column("填写内容", "long", 8, 10),
            Column("说明", "long", 34, 34),
        ],
    )
    findings = sorted_findings(list(findings))
    for f in findings:
        category, label = names.get(f.indicator, ("", f.indicator))
        table.add(
            [
                f.severity.value,
                f.code,
                f.file,
                f.sheet,
                f.cell,
                f.center,
                f"{category}／{label}" if category else label,
                f.value,
                f.message,
            ],
            {0: fmt.severity[f.severity]},
        )
    table.finish()
    if not findings:
        ws.write_string(1, 0, "未发现问题", fmt.plain)
    _print_setup(ws, 0, title + "　校验问题")


# ---------------------------------------------------------------------------------------------- 未提交


def _write_missing(wb: Workbook, fmt: _Formats, result: RunResult) -> None:
    ws = wb.add_worksheet(SHEET_MISSING)
    table = _Table(
        ws,
        fmt,
        [
            Column("序号", "int", 6),
            Column("编号", "text", 8),
            Column("名称", "text", 14),
            Column("依托单位", "text", 14),
            Column("联系方式", "text", 14),
            Column("状态", "text", 8),
            Column("说明", "long", 8, 40),
        ],
    )
    # a center that sent a form no one could count did not fail to send: which file, and why
    why = unused_reasons(result.missing, result.submissions, result.findings)
    for n, e in enumerate(result.missing, start=1):
        reason = why.get(center_key(e.code, e.name), "")
        table.add([n, e.code, e.name, e.host_unit, e.contact_line, "未计分" if reason else "未提交", reason])
    table.finish()
    if not result.missing:
        ws.write_string(1, 0, "全部已提交", fmt.plain)
    _print_setup(ws, 0, _running(result) + "　未提交名单")


# ---------------------------------------------------------------------------------------------- 历年结果


def _write_history(wb: Workbook, fmt: _Formats, result: RunResult) -> None:
    """历年结果 (after 未提交); nothing at all without earlier years' results."""
    if result.history_years:
        write_history_sheet(wb, result, fmt)


def write_history_sheet(wb: Workbook, result: RunResult, fmt: _Formats | None = None) -> None:
    """The 历年结果 sheet, printed like the other tables."""
    columns, rows = _history_table(result)
    ws = wb.add_worksheet(SHEET_HISTORY)
    table = _Table(ws, fmt or _Formats(wb), [Column(header, kind, 8) for header, kind in columns])
    for row in rows:
        table.add(row)
    table.finish()
    _print_setup(ws, 0, _running(result) + "　" + SHEET_HISTORY)


def _history_table(result: RunResult) -> tuple[list[tuple[str, str]], list[list[Any]]]:
    """历年结果 as data: (header, kind) per column (kinds of report's columns) and one row per center of this
    run: each year's grade and rank (and score for relative schemes), then the change of rank (and score)
    from the year immediately before."""
    relative = method_of(result.scheme).history_scores
    years = sorted({y for y in result.history_years if y < result.year}) + [result.year]
    columns = [("编号", "text"), ("名称", "text")]
    for y in years:
        columns += [(f"{y}年等次", "center"), (f"{y}年排名", "int")]
        columns += [(f"{y}年得分", "score")] if relative else []
    columns.append(("排名变化", "signed_int"))
    if relative:
        columns.append(("得分变化", "signed_score"))
    rows = []
    for r in result.ranked:
        by_year = {h.year: h for h in r.history}
        now = HistoryRecord(year=result.year, grade=r.grade, rank=r.rank, score=r.total)
        row: list[Any] = [r.center.code, r.center.name]
        for y in years:
            rec = now if y == result.year else by_year.get(y)
            row += [rec.grade if rec else None, rec.rank if rec else None]
            row += [rec.score if rec else None] if relative else []
        before = by_year.get(result.year - 1)
        row.append(
            before.rank - r.rank if before and before.rank is not None and r.rank is not None else None
        )
        if relative:
            row.append(r.total - before.score if before and before.score is not None else None)
        rows.append(row)
    return columns, rows


# ---------------------------------------------------------------------------------------------- 图表


CHART_COLUMNS = 12  # default-width columns a 720-pixel chart spans
BOUND_COLUMN = 6 + CHART_COLUMNS + 2  # the grade bounds' helper columns, right of the printed charts
BOUND_DASHES = ("dash", "square_dot", "long_dash_dot")


@dataclass(frozen=True)
class _ChartData:
    """What the charts are drawn from: the ranked centers by score, the grades and how many got each, and the
    fixed grade bounds (none for grading by quota)."""

    scored: list[RankedCenter]
    grades: list[str]
    counts: dict[str, int]
    bounds: list[tuple[str, Decimal]]


TITLE_FONT_CHART = {"name": TITLE_FONT, "size": 12, "bold": True}
AXIS_FONT = {"name": BODY_FONT, "size": 10, "bold": False}


def _chart_data(result: RunResult) -> _ChartData:
    scheme: Scheme = result.scheme
    scored = sorted(
        (r for r in result.ranked if r.rank is not None),
        key=lambda r: (-r.total, r.center.code, r.center.name),
    )
    grades = [g.name for g in scheme.grades]
    counts = {g: 0 for g in grades}
    for r in result.ranked:
        if r.grade in counts:
            counts[r.grade] += 1
    bounds = (
        [(g.name, g.min) for g in scheme.grades if not g.failing and g.min]
        if scheme.grading_method == "thresholds"
        else []
    )
    return _ChartData(scored, grades, counts, bounds)


def _write_chart_tables(ws: Worksheet, fmt: _Formats, scheme: Scheme, data: _ChartData) -> None:
    """One pass top to bottom over the data blocks (constant_memory): scores in A:B, grade counts in D:E, and
    each fixed grade bound repeated along the scores (the lines on the score chart) beyond the printed charts."""
    scored, grades, bounds = data.scored, data.grades, data.bounds
    for col, header in ((0, "名称"), (1, scheme.total_label), (3, "等次"), (4, "数量")):
        ws.write_string(0, col, header, fmt.header)
    for k, (name, _) in enumerate(bounds):
        ws.write_string(0, BOUND_COLUMN + k, f"{name}分数线", fmt.header)
    text, score = fmt.by_kind["text"], fmt.by_kind["score"]
    # one row of values at a time: name, score, -, grade, count, -, ..., each bound (None: no cell)
    texts = [text, None, None, text, None] + [None] * (BOUND_COLUMN - 5 + len(bounds))
    numbers = (
        [None, score, None, None, fmt.by_kind["int"]] + [None] * (BOUND_COLUMN - 5) + [score] * len(bounds)
    )
    lows = [float(low) for _, low in bounds]
    for n in range(1, max(len(scored), len(grades)) + 1):
        values: list[Any] = [None] * len(texts)
        if n <= len(scored):
            r = scored[n - 1]
            values[0], values[1], values[BOUND_COLUMN:] = r.center.name, float(r.total), lows
        elif n == 1:
            ws.write_string(1, 0, "没有参加排名的数据", fmt.plain)
        if n <= len(grades):
            values[3], values[4] = grades[n - 1], data.counts[grades[n - 1]]
        write_values(ws, n, values, texts, numbers, numbers)
    ws.set_column(0, 0, _fit([r.center.name for r in scored], MAX_WIDTH["text"]))
    ws.set_column(1, 1, 10)
    ws.set_column(3, 4, 8)


def _grade_chart(wb: Workbook, scheme: Scheme, data: _ChartData) -> Chart:
    """各等次数量: a column per grade in its grade's colour."""
    roles = grade_roles(scheme)
    grades = data.grades
    chart = wb.add_chart({"type": "column"})
    chart.add_series(
        {
            "name": "数量",
            "categories": [SHEET_CHARTS, 1, 3, len(grades), 3],
            "values": [SHEET_CHARTS, 1, 4, len(grades), 4],
            "data_labels": {"value": True},
            "points": [
                {
                    "fill": {"color": GRADE_COLOURS.get(roles.get(g, ""), ("#BFBFBF", ""))[0]},
                    "border": {"color": "#7F7F7F"},
                }
                for g in grades
            ],
        }
    )
    chart.set_title({"name": "各等次数量", "name_font": TITLE_FONT_CHART})
    chart.set_x_axis({"name": "等次", "name_font": AXIS_FONT, "num_font": AXIS_FONT})
    count_axis = {
        "name": f"{scheme.center_label}数量（个）",
        "name_font": AXIS_FONT,
        "num_font": AXIS_FONT,
        "min": 0,
    }
    if max(data.counts.values(), default=0) <= 10:
        count_axis["major_unit"] = 1  # whole centers, never 0.5
    chart.set_y_axis(count_axis)
    chart.set_legend({"none": True})
    chart.set_size({"width": 480, "height": 300})
    return chart


def _bounds_chart(wb: Workbook, scheme: Scheme, data: _ChartData, scores: dict[str, Any]) -> Chart:
    """Fixed grade bounds (90分（含）以上为优秀…): the scores as columns, a dashed line at each bound across."""
    n_scored = len(data.scored)
    chart = wb.add_chart({"type": "column"})
    chart.add_series(scores)
    lines = wb.add_chart({"type": "line"})
    for n, (name, low) in enumerate(data.bounds):
        lines.add_series(
            {
                "name": f"{name}（{fmt_decimal(low)}分）",
                "categories": [SHEET_CHARTS, 1, 0, n_scored, 0],
                "values": [SHEET_CHARTS, 1, BOUND_COLUMN + n, n_scored, BOUND_COLUMN + n],
                "line": {"color": "#000000", "width": 1.25, "dash_type": BOUND_DASHES[n % len(BOUND_DASHES)]},
                "marker": {"type": "none"},
            }
        )
    chart.combine(lines)
    chart.set_x_axis(
        {"name": scheme.center_label, "name_font": AXIS_FONT, "num_font": {**AXIS_FONT, "rotation": -45}}
    )
    chart.set_y_axis(
        {"name": "得分", "name_font": AXIS_FONT, "num_font": AXIS_FONT, "min": 0, "num_format": "0"}
    )
    chart.set_legend({"position": "bottom", "delete_series": [0], "font": AXIS_FONT})
    return chart


def _bar_chart(wb: Workbook, scheme: Scheme, scores: dict[str, Any]) -> Chart:
    """Grades by quota: a bar per center, the best on top."""
    chart = wb.add_chart({"type": "bar"})
    chart.add_series(scores)
    # In XlsxWriter's bar chart x is the horizontal value axis and y the vertical category axis. The
    # categories are reversed so the best is on top; crossing at the max keeps the value axis at the bottom.
    chart.set_x_axis(
        {"name": "得分", "name_font": AXIS_FONT, "num_font": AXIS_FONT, "min": 0, "num_format": "0"}
    )
    chart.set_y_axis(
        {
            "name": scheme.center_label,
            "name_font": AXIS_FONT,
            "num_font": AXIS_FONT,
            "reverse": True,
            "crossing": "max",
        }
    )
    chart.set_legend({"none": True})
    return chart


def _write_charts(wb: Workbook, fmt: _Formats, result: RunResult) -> None:
    scheme: Scheme = result.scheme
    data = _chart_data(result)
    ws = wb.add_worksheet(SHEET_CHARTS)
    _write_chart_tables(ws, fmt, scheme, data)
    landscape_a4(ws, _running(result) + "　" + SHEET_CHARTS)  # like every other sheet: title, page numbers
    ws.insert_chart(0, 6, _grade_chart(wb, scheme, data))
    if not data.scored:
        ws.print_area(0, 6, 16, 6 + CHART_COLUMNS)
        return
    n_scored = len(data.scored)
    scores = {
        "name": scheme.total_label,
        "categories": [SHEET_CHARTS, 1, 0, n_scored, 0],
        "values": [SHEET_CHARTS, 1, 1, n_scored, 1],
        "data_labels": {"value": True, "num_format": SCORE_FORMAT, "font": AXIS_FONT},
        "fill": {"color": "#4472C4"},
        "gap": 60,
    }
    if data.bounds:
        chart, height = _bounds_chart(wb, scheme, data, scores), 420
    else:
        chart, height = _bar_chart(wb, scheme, scores), max(300, 24 * n_scored + 110)
    chart.set_title(
        {"name": f"{scheme.total_label}（按{scheme.center_label}，从高到低）", "name_font": TITLE_FONT_CHART}
    )
    chart.set_size({"width": 720, "height": height})
    ws.insert_chart(16, 6, chart)
    # the page shows the charts alone, not the helper tables they are drawn from (A:E), on one page
    ws.print_area(0, 6, 16 + -(-height // 20) + 1, 6 + CHART_COLUMNS)
    ws.fit_to_pages(1, 1)


# ---------------------------------------------------------------------------------------------- 说明


# the widest the 项目, 内容 and 来源 (or SHA-256) columns, and a file's 来源邮件, may grow: one page wide at 9 pt or
# more printed (a 来源邮件 column, when files came by mail, widens the page)
NOTES_GROW_TO = MappingProxyType({0: 20, 1: 32, 2: 66, 3: 12, 4: 30})


class _NotesSheet:
    """说明, written row by row; each column as wide as its widest text, within NOTES_GROW_TO."""

    def __init__(self, ws: Worksheet, fmt: _Formats):
        self.ws, self.fmt = ws, fmt
        self.widths = [12, 32, 20, 12, 12]
        self.row = 0
        self.formats: dict[tuple, tuple[Formats, Formats]] = {}  # (texts, numbers) by row kind (_formats)

    def put(self, values: Sequence[Any], cell_fmt: Format | None = None) -> None:
        ws, grow_to = self.ws, NOTES_GROW_TO
        # a text longer than its column may grow (the input locations, a long note) wraps in a taller row,
        # instead of running on and shrinking the printed page
        long = {
            col: str(v)
            for col, v in enumerate(values)
            if col in grow_to and display_width(str(v)) + 2 > grow_to[col]
        }
        if long:
            ws.set_row(self.row, row_height((text, grow_to[col]) for col, text in long.items()))
        cells: list[Any] = []
        for col, value in enumerate(values):
            if value is None or value == "":
                cells.append(None)
                continue
            text = str(value)
            cells.append(float(value) if isinstance(value, int | float | Decimal) else text)
            width = min(max(self.widths[col], display_width(text) + 2), grow_to.get(col, MAX_WIDTH["text"]))
            self.widths[col] = width
        texts, numbers = self._formats(cell_fmt, long, len(cells))
        write_values(ws, self.row, cells, texts, numbers, numbers)
        self.row += 1

    def _formats(self, cell_fmt: Format | None, long: dict[int, str], width: int) -> tuple[Formats, Formats]:
        """The (texts, numbers) formats of a row: the same sequences for every row of one kind, so the writer
        plans such a row once (it keys its plans by the sequences given), not once a row (10,000 file rows)."""
        key = (id(cell_fmt), tuple(long), width)
        found = self.formats.get(key)
        if found is None:
            fmt = self.fmt
            texts = tuple(cell_fmt or (fmt.wrapped if col in long else fmt.plain) for col in range(width))
            found = self.formats[key] = (texts, (cell_fmt or fmt.plain,) * width)
        return found

    def skip(self) -> None:
        self.row += 1


def _notes_run(notes: _NotesSheet, result: RunResult, run_time: datetime) -> None:
    """The head of 说明: scheme, year, run, inputs, and what each assessment table was used as."""
    scheme: Scheme = result.scheme
    ws, fmt = notes.ws, notes.fmt
    ws.write_string(notes.row, 0, "项目", fmt.header)
    ws.write_string(notes.row, 1, "内容", fmt.header)
    notes.skip()
    notes.put(["考核方案", f"{scheme.name}（{scheme.id}，版本 {scheme.version}）"])
    ws.write_string(notes.row, 0, scheme.year_label, fmt.plain)  # read back by history._file_year
    ws.write_number(notes.row, 1, result.year, fmt.year)
    notes.skip()
    notes.put(["运行时间", run_time.strftime("%Y-%m-%d %H:%M:%S")])
    notes.put(["工具版本", f"kjjr-excel {__version__}"])
    notes.put(["方案文件", Path(scheme.path).name if scheme.path else scheme.id])
    notes.put(["方案文件SHA-256", scheme.sha256])
    if result.inputs:
        notes.put(["输入位置", "；".join(result.inputs)])
    method = method_of(scheme)
    if result.provisional:
        notes.put(["结果", f"暂定结果：{result.provisional}"])
    used = [u for u in result.tables if u.used]
    if result.tables:
        notes.put([method.table_title, f"已使用 {len(used)} 份" if used else "没有可用的"])
    else:  # a result made without the tables' account (what each file was used as)
        given = method.table_given(result.assessed, result.reviews_given)
        notes.put([method.table_title, "已提供" if given else "未提供"])
    for u in result.tables:  # what each table given (or found among the inputs) was used as
        if not u.used:
            notes.put(["", f"未使用：{u.file}（{u.note}）"])
        elif u.reviewer:
            notes.put(
                ["", f"{u.kind}：{u.file}，评审人 {u.reviewer}，评分 {u.centers} 个{scheme.center_label}"]
            )
        else:
            notes.put(["", f"{u.kind}：{u.file}，{u.centers} 个{scheme.center_label}"])


def _notes_files(notes: _NotesSheet, result: RunResult) -> None:
    """输入文件: every file read, with its status, hash, size (and the mail it came in)."""
    fmt = notes.fmt
    notes.put(["输入文件"], fmt.section)
    mailed = any(f.origin for f in result.files)  # the column only when some file came by mail
    notes.put(["文件", "状态", "SHA-256", "大小（字节）", *(["来源邮件"] if mailed else [])], fmt.header)
    for f in sorted(result.files, key=lambda f: (f.file, f.sha256)):
        origin = [f.origin.describe() if f.origin else ""] if mailed else []
        notes.put([f.file, f.status, f.sha256, f.size, *origin])
    if not result.files:
        notes.put(["", "无"])


def _write_notes(wb: Workbook, fmt: _Formats, result: RunResult, run_time: datetime) -> None:
    ws = wb.add_worksheet(SHEET_NOTES)
    notes = _NotesSheet(ws, fmt)
    _notes_run(notes, result, run_time)
    notes.skip()
    notes.put(["说明"], fmt.section)
    for note in result.notes:
        notes.put(["", note])
    if not result.notes:
        notes.put(["", "无"])
    notes.skip()
    notes.put(["考核参数"], fmt.section)
    notes.put(["参数", "取值", "来源"], fmt.header)
    for name, value, source in result.parameters:
        # the scheme's own year is its default; the year of this run is the row above
        notes.put([(f"方案默认{name}" if name == result.scheme.year_label else name), value, source])
    notes.skip()
    _notes_files(notes, result)
    for col, width in enumerate(notes.widths):
        ws.set_column(col, col, width)
    ws.freeze_panes(1, 0)
    # 说明 is several tables one under the other: the first's header (项目｜内容) is not repeated above the
    # others' rows on later pages
    _print_setup(ws, None, _running(result) + "　说明")


# ---------------------------------------------------------------------------------------------- _meta


RANKING_KIND = "ranking"


def ranking_meta(result: RunResult) -> list[tuple[str, str]]:
    """What `kjjr publish` needs to know the workbook as one of ours: kind, scheme, year, whether provisional or
    unsettled (others' grades or amounts hang on a figure to correct), and a digest of each row of 排名 as publish reads it (published_row), to notice a cell changed by hand."""
    scheme: Scheme = result.scheme
    provisional = provisional_note(result)
    headers = [SERIAL.header, *(c.header for c in _ranking_columns(scheme))]
    digests = "".join(
        row_digest(published_row(scheme, dict(zip(headers, map(_cell_value, values), strict=True))))
        for values in (
            _ranking_values(scheme, n, r, provisional) for n, r in enumerate(result.ranked, start=1)
        )
    )
    return [
        ("kind", RANKING_KIND),
        ("scheme_id", scheme.id),
        ("scheme_version", scheme.version),
        ("scheme_sha256", scheme.sha256),
        ("year", str(result.year)),
        ("provisional", provisional),
        ("unsettled", result.unsettled),
        ("centers", str(len(result.ranked))),
        ("tool_version", __version__),
        *(
            (f"{ROW_DIGESTS}{k + 1}", digests[start : start + DIGEST_CELL])
            for k, start in enumerate(range(0, len(digests), DIGEST_CELL))
        ),
    ]


def published_headers(scheme: Scheme) -> list[str]:
    """The headers of 排名 whose cells publish reads."""
    return published_labels(scheme.total_label, scheme.subsidy_label)


def published_row(scheme: Scheme, cells: dict[str, Any]) -> PublishedRow:
    """A row of 排名 from its cells by header (domain.published.published_row_of with the scheme's labels)."""
    return published_row_of(cells, scheme.total_label, scheme.subsidy_label)


DIGEST_CELL = 8 * 4000


def _write_meta(wb: Workbook, result: RunResult) -> None:
    """The `_meta` sheet: ingestion leaves the workbook out of the submissions, publish recognises it as a
    ranking workbook this tool wrote."""
    write_meta_sheet(wb, ranking_meta(result))


# ---------------------------------------------------------------------------------------------- PDF


def _keep_only_ranking(xlsx: Path, out: Path) -> None:
    """A copy of the workbook holding only 排名 (LibreOffice prints every sheet), print setup kept."""
    import openpyxl

    wb = openpyxl.load_workbook(xlsx)
    try:
        if SHEET_RANKING not in wb.sheetnames:
            raise OutputError(f"{xlsx} 中没有“{SHEET_RANKING}”工作表，无法生成PDF。")
        for name in list(wb.sheetnames):
            if name != SHEET_RANKING:
                del wb[name]
        wb.active = 0
        wb.save(out)
    finally:
        with contextlib.suppress(Exception):
            wb.close()


__all__ = ["write_ranking", "write_findings_sheet", "write_history_sheet", "export_pdf"]
