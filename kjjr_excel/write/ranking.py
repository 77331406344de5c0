"""The ranking workbook (SPEC §6): a RunResult -> one XlsxWriter workbook, printable 排名 first.

Every text that comes from a submission, a roster or a finding is written with write_string, so a name such
as '=1+1' stays text. Content is a function of the RunResult alone (the run time aside), in a fixed order.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import pickle
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from xlsxwriter.worksheet import Worksheet

from kjjr_excel import __version__
from kjjr_excel.domain.describe import parameters as scheme_parameters
from kjjr_excel.domain.findings import Severity, sorted_findings
from kjjr_excel.domain.layout import META_SHEET, layout
from kjjr_excel.domain.methods import FLAG_NOT_ASSESSED, method_of
from kjjr_excel.domain.model import RankedCenter, RunResult, Submission
from kjjr_excel.domain.parse import as_text, fmt_decimal
from kjjr_excel.domain.rank import FLAG_DELIST, FLAG_DELIST_WARNING, years_text
from kjjr_excel.domain.scheme import SEED_SOURCE
from kjjr_excel.domain.score import num, round2, trims, two
from kjjr_excel.errors import OutputError
from kjjr_excel.write.output import atomic_write, private_tmpdir
from kjjr_excel.write.styles import (
    BackgroundSheets,
    Workbook,
    display_width,
    freeze_formats,
    lines_height,
    row_height,
    wrapped_lines,
)

SHEET_RANKING = "排名"
SHEET_DETAILS = "得分明细"
SHEET_RAW = "原始数据"
SHEET_FINDINGS = "校验问题"
SHEET_MISSING = "未提交"
SHEET_HISTORY = "历年结果"
SHEET_CHARTS = "图表"
SHEET_NOTES = "说明"

BODY_FONT = "宋体"
TITLE_FONT = "黑体"
FOOTER = "&C第 &P 页 共 &N 页"
SCORE_FORMAT = "0.00"
GRADE_COLOURS = {  # (fill, font) by a grade's place in the scheme's table; the others stay plain
    "top": ("#C6EFCE", "#006100"),
    "second": ("#DDEBF7", "#1F4E78"),
    "failing": ("#FFC7CE", "#9C0006"),
}


def grade_roles(scheme: Any) -> dict[str, str]:
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
FAILING_TYPE = {"bold": True, "underline": 1}
SEVERITY_COLOURS = {
    Severity.ERROR: ("#FFC7CE", "#9C0006"),
    Severity.WARNING: ("#FFEB9C", "#7F6000"),
    Severity.INFO: ("#DDEBF7", "#1F4E78"),
}
RECOGNISED_BY = {"meta": "模板", "labels": "按指标名称识别"}
MAX_WIDTH = {"text": 40, "long": 60}
PDF_TIMEOUT = 300
PARALLEL_ROWS = 400  # rows on a wide sheet from which writing it in forked children pays
PACK_ROWS = 3000  # rows from which a child gets them packed (rows_for_child): memory counts more than time
PACK_BATCH = 500


# ---------------------------------------------------------------------------------------------- public


def write_ranking(result: RunResult, path: Path, *, run_time: datetime | None = None) -> Path:
    """Write the ranking workbook atomically; return the path actually written (a sibling when the target is
    locked)."""
    with RankingWriter(run_time) as writer:
        return writer.finish(result, path)


class RankingWriter:
    """The ranking workbook, built in two steps so that 原始数据, which needs only the submissions, can be
    written (in a forked child, on a large run) while the pipeline still validates and scores: `begin` once
    the submissions are read, `finish` with the RunResult. Use it as a context manager: leaving it unfinished
    (an error in between) stops the child and leaves no temporary file behind."""

    def __init__(self, run_time: datetime | None = None):
        self.run_time = (run_time or datetime.now()).replace(microsecond=0)
        self.wb: Workbook | None = None
        self.raw: BackgroundSheets | None = None
        self.started: tuple[Any, int, list[Submission]] | None = None
        # XlsxWriter's scratch files (constant_memory's rows files) live in a folder of the writer's own,
        # removed with the workbook whatever happens: nothing is left in TMPDIR after an error or a signal
        self.scratch = contextlib.ExitStack()

    def __enter__(self) -> RankingWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self._abandon()

    def begin(self, scheme: Any, year: int, submissions: list[Submission]) -> None:
        """Open the workbook and start writing 原始数据 from the submissions just read."""
        self._abandon()
        # the real (temporary) file name is given by finish: XlsxWriter opens no file before close()
        wb = Workbook(
            "",
            # constant_memory: rows go to disk as they are written (flat memory for 10,000 centers, and a
            # faster close); every sheet therefore writes its rows strictly top to bottom.
            {
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
                "constant_memory": True,
                "tmpdir": self.scratch.enter_context(private_tmpdir()),
            },
        )
        wb.compresslevel = 1  # a quarter more bytes, a third of the time
        self.wb, self.started = wb, (scheme, year, submissions)
        try:
            title = _title_of(scheme, year)
            wb.set_properties(
                {
                    "title": title,
                    "subject": scheme.name,
                    "author": "kjjr-excel",
                    "comments": f"kjjr-excel {__version__}",
                    "created": self.run_time,
                }
            )
            self.fmt = _Formats(wb)
            self.ranking = wb.add_worksheet(SHEET_RANKING)
            self.details = wb.add_worksheet(SHEET_DETAILS)
            raw = wb.add_worksheet(SHEET_RAW)
            n = len(submissions)
            parallel = n >= PARALLEL_ROWS
            rows = rows_for_child(
                functools.partial(_raw_rows, scheme, submissions), pack=parallel and n >= PACK_ROWS
            )
            headers, wrap = _raw_headers(scheme, submissions)
            numbers = [self.fmt.by_kind["number"]] * len(headers)
            write_raw = functools.partial(
                _write_wide, raw, self.fmt, title, headers, numbers, rows, 0, n, wrap
            )
            self.raw = BackgroundSheets([(raw, write_raw)], parallel=parallel)
        except BaseException:
            self._abandon()
            raise

    def finish(self, result: RunResult, path: Path) -> Path:
        """Write the other sheets and the file, atomically; return the path actually written."""
        started = self.started
        if (
            started is None
            or started[0] is not result.scheme
            or started[1:] != (result.year, result.submissions)
        ):
            self.begin(result.scheme, result.year, result.submissions)
        return atomic_write(Path(path), lambda tmp: self._complete(result, tmp))

    def _complete(self, result: RunResult, tmp: Path) -> None:
        wb, fmt = self.wb, self.fmt
        assert wb is not None and self.raw is not None
        wb.filename = str(tmp)
        # 得分明细 holds the most cells: on a large run it is written in two blocks of rows by two children,
        # beside the sheets this process writes (same file either way)
        n = len(result.ranked)
        (headers, wrap), title = _detail_headers(result), _title(result)
        numbers = [fmt.by_kind["int"]] + [fmt.by_kind["score"]] * (len(headers) - 1)  # 排名, then scores
        blocks = []
        bounds = [0, n // 2, n] if n > 1 else [0, n]  # the block from 0 alone writes the header
        parallel = n >= PARALLEL_ROWS
        for start, stop in itertools.pairwise(bounds):
            build = functools.partial(_detail_rows, result, start, stop)
            rows = rows_for_child(build, pack=parallel and n >= PACK_ROWS)
            write = functools.partial(
                _write_wide, self.details, fmt, title, headers, numbers, rows, start, n, wrap
            )
            blocks.append((self.details, write))
        details = BackgroundSheets(blocks, parallel=parallel)
        try:
            _write_ranking_sheet(self.ranking, fmt, result)
            _write_findings(wb, fmt, result)
            _write_missing(wb, fmt, result)
            _write_history(wb, fmt, result)
            _write_charts(wb, fmt, result)
            _write_notes(wb, fmt, result, self.run_time)
            _write_meta(wb, result)
            self.ranking.activate()
            details.adopt()
            self.raw.adopt()
        except BaseException:
            details.abandon()
            raise
        wb.close()
        self.wb = self.raw = self.started = None
        self.scratch.close()

    def _abandon(self) -> None:
        try:
            if self.raw is not None:
                self.raw.abandon()
            if self.wb is not None:
                self.wb.discard()
        finally:
            self.wb = self.raw = self.started = None
            self.scratch.close()


def export_pdf(xlsx: Path, out_dir: Path) -> Path | None:
    """Print 排名 to PDF with LibreOffice headless when soffice is on PATH, else None (caller says so)."""
    xlsx = Path(xlsx)
    with tempfile.TemporaryDirectory(prefix="kjjr_pdf_") as work:
        only_ranking = Path(work) / "ranking.xlsx"
        if shutil.which("soffice") or shutil.which("libreoffice"):
            _keep_only_ranking(xlsx, only_ranking)
        return convert_to_pdf(only_ranking, Path(out_dir) / f"{xlsx.stem}.pdf", shown=xlsx)


def convert_to_pdf(source: Path, target: Path, *, shown: Path | None = None) -> Path | None:
    """`source` (a workbook or a Word document) printed to `target` by LibreOffice headless, with a profile of
    its own; None when soffice is not on PATH. `shown`: the file the user has, named in an error."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        return None
    shown = shown or source
    with tempfile.TemporaryDirectory(prefix="kjjr_pdf_") as work:
        work_dir = Path(work)
        profile = work_dir / "lo_profile"
        cmd = [
            soffice,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(work_dir),
            str(source),
        ]
        try:
            proc = subprocess.run(cmd, capture_output=True, timeout=PDF_TIMEOUT, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise OutputError(f"用LibreOffice生成PDF失败（{exc}）。{shown} 已写好，可直接打印。") from exc
        produced = work_dir / f"{Path(source).stem}.pdf"
        if proc.returncode != 0 or not produced.is_file():
            detail = (proc.stderr or proc.stdout).decode("utf-8", "replace").strip()[:200]
            raise OutputError(
                f"用LibreOffice生成PDF失败（{detail or '没有生成文件'}）。{shown} 已写好，可直接打印。"
            )
        return atomic_write(Path(target), lambda tmp: shutil.copyfile(produced, tmp))


# ---------------------------------------------------------------------------------------------- building


@dataclass(frozen=True)
class Column:
    header: str
    kind: str = "text"  # text | center | long | score | number | int | signed_int | signed_score | datetime
    min_width: int = 6
    max_width: int | None = None  # the widest it may grow (a long text wraps beyond): None, MAX_WIDTH


class _Formats:
    """The workbook's cell formats, created once."""

    def __init__(self, wb: Workbook):
        base = {"font_name": BODY_FONT, "font_size": 11, "valign": "vcenter"}
        cell = {**base, "border": 1}
        self.title = wb.add_format(
            {"font_name": TITLE_FONT, "font_size": 16, "bold": True, "align": "center", "valign": "vcenter"}
        )
        self.header = wb.add_format(
            {
                "font_name": TITLE_FONT,
                "font_size": 11,
                "bold": True,
                "align": "center",
                "valign": "vcenter",
                "text_wrap": True,
                "border": 1,
                "bg_color": "#D9D9D9",
            }
        )
        self.section = wb.add_format({"font_name": TITLE_FONT, "font_size": 12, "bold": True})
        self.plain = wb.add_format(base)
        self.wrapped = wb.add_format({**base, "text_wrap": True, "valign": "top"})
        self.by_kind = {
            "text": wb.add_format(cell),
            "center": wb.add_format({**cell, "align": "center"}),
            "long": wb.add_format({**cell, "text_wrap": True}),
            "score": wb.add_format({**cell, "num_format": SCORE_FORMAT}),
            "number": wb.add_format({**cell, "num_format": "General"}),
            "int": wb.add_format({**cell, "num_format": "0", "align": "center"}),
            "signed_int": wb.add_format({**cell, "num_format": "+0;-0;0", "align": "center"}),
            "signed_score": wb.add_format({**cell, "num_format": "+0.00;-0.00;0.00"}),
            "datetime": wb.add_format({**cell, "num_format": "yyyy-mm-dd hh:mm:ss"}),
        }
        self.year = wb.add_format({**base, "num_format": "0", "align": "left"})
        self.wb = wb
        # 排名 is a handout: flags that decide money in bold, the foot block wrapped over the whole width
        self.flag_strong = wb.add_format({**cell, "text_wrap": True, "bold": True})
        self.foot = wb.add_format({**base, "text_wrap": True, "valign": "top"})
        self.foot_right = wb.add_format({**base, "align": "right"})
        self.subtitle = wb.add_format(
            {"font_name": TITLE_FONT, "font_size": 12, "bold": True, "align": "left", "valign": "vcenter"}
        )
        self.severity = {
            sev: wb.add_format({**cell, "bg_color": fill, "font_color": font})
            for sev, (fill, font) in SEVERITY_COLOURS.items()
        }
        # every cell format (the grade colours are conditional formats only); see freeze_formats
        freeze_formats(
            [
                self.title,
                self.header,
                self.section,
                self.plain,
                self.wrapped,
                self.year,
                self.flag_strong,
                self.foot,
                self.foot_right,
                self.subtitle,
                *self.by_kind.values(),
            ]
            + list(self.severity.values())
        )


def _grade_formats(fmt: _Formats, scheme: Any) -> dict[str, Any]:
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


def _title_of(scheme: Any, year: int) -> str:
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
        self.rows: list[tuple[list[Any], dict[int, Any]]] = []
        # headers wrap onto two lines, so a long header does not widen its column past half its length
        self.widths = [max(c.min_width, min(display_width(c.header), 12) + 2) for c in self.columns]
        # a header wider than its (bounded) column wraps: the row shows all its lines
        shown = [(c.header, min(w, c.max_width or w)) for c, w in zip(self.columns, self.widths, strict=True)]
        ws.set_row(header_row, max(30, lines_height(max(wrapped_lines(h, w) for h, w in shown))))
        for col, c in enumerate(self.columns):
            ws.write_string(header_row, col, c.header, fmt.header)

    def add(self, values: Sequence[Any], formats: dict[int, Any] | None = None) -> int:
        """Queue one row (written by finish, once widths and heights are known); return its index."""
        row = self.row
        values = [_cell_value(v) for v in values]  # as the cells show them: measured now, written by finish
        self.rows.append((values, formats or {}))
        for col, (c, value) in enumerate(zip(self.columns, values, strict=True)):
            self.widths[col] = max(self.widths[col], _shown_width(c, value) + 2)
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
        long_cols = [col for col, c in enumerate(self.columns) if c.kind == "long"]
        kind_formats = [self.fmt.by_kind[c.kind] for c in self.columns]
        for n, (values, formats) in enumerate(self.rows):
            row = self.header_row + 1 + n
            # Row heights are explicit: Excel does not grow a row for wrapped text written by XlsxWriter.
            lines = max(
                (
                    wrapped_lines(values[col], widths[col])
                    for col in long_cols
                    if values[col] not in (None, "")
                ),
                default=1,
            )
            if self.row_height or lines > 1:
                ws.set_row(row, lines_height(lines, self.row_height or 15))
            for col, value in enumerate(values):
                _write_cell(ws, row, col, value, formats.get(col) or kind_formats[col])
        last = max(self.row - 1, self.header_row)
        if autofilter and self.columns:
            ws.autofilter(self.header_row, 0, last, len(self.columns) - 1)
        ws.freeze_panes(self.header_row + 1, 0)
        return widths


def _shown_width(c: Column, value: Any) -> int:
    """Characters a cell needs on screen, for fitting its column (value as _cell_value gives it)."""
    if value is None:
        return 0
    if isinstance(value, datetime):
        return 19
    if isinstance(value, float):
        return len(f"{value:.2f}") if c.kind == "score" else len(f"{value:g}")
    return max((display_width(line) for line in value.splitlines()), default=0)


def _write_cell(ws: Worksheet, row: int, col: int, value: Any, cell_fmt: Any) -> None:
    """One cell of a value as _cell_value gives it; an empty cell keeps its border. (XlsxWriter's undecorated
    methods, as in _write_rows.)"""
    if value is None:
        ws._write_blank(row, col, None, cell_fmt)
    elif isinstance(value, str):
        ws._write_string(row, col, value, cell_fmt)
    elif isinstance(value, datetime):
        ws._write_datetime(row, col, value, cell_fmt)
    else:
        ws._write_number(row, col, value, cell_fmt)


def _print_setup(ws: Worksheet, header_row: int, running_head: str) -> None:
    """A4 landscape, one page wide, header row repeated, page numbers: what the meeting prints."""
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(header_row)
    ws.center_horizontally()
    ws.set_margins(left=0.4, right=0.4, top=0.75, bottom=0.7)
    _running_head(ws, running_head)


def _running_head(ws: Worksheet, text: str) -> None:
    """The title at the top right of every printed page, 第 &P 页 共 &N 页 at the bottom."""
    ws.set_header(f'&R&"{BODY_FONT},Regular"&9{text.replace("&", "&&")}', {"margin": 0.3})
    ws.set_footer(FOOTER, {"margin": 0.3})


# ---------------------------------------------------------------------------------------------- 排名


def _ranking_columns(scheme: Any) -> list[Column]:
    """排名's columns after 序号. Every width is bounded so that the sheet fits one A4 landscape page wide at
    full size (LibreOffice prints 11 pt text at 10.5 pt or more): names, host units and long headers wrap
    instead of widening the page. The method names the scores, its total last."""
    return [
        Column("排名", "int", 4, 4),
        Column("编号", "text", 5, 5),
        Column("名称", "long", 14, NAME_WIDTH),
        Column("依托单位", "long", 14, HOST_WIDTH),
        *(Column(header, "score", 7, 7) for header in method_of(scheme).score_columns(scheme)),
        Column("等次", "center", 6, 6),
        Column(scheme.subsidy_label, "score", 9, 9),
        Column("标记", "long", 12, FLAG_WIDTH),
    ]


NAME_WIDTH, HOST_WIDTH, FLAG_WIDTH = 25, 17, 15
SERIAL = Column("序号", "int", 4, 4)


def _ranking_scores(scheme: Any, r: RankedCenter) -> list[Any]:
    return method_of(scheme).scores(scheme, r)


def provisional_note(result: RunResult) -> str:
    """'（初步结果，未经考核评价）' when part of the assessment is missing, said once in 排名's title (and on
    the 公示): without the assessor's table (Qingdao) or without any review sheet (Guangdong), or when a table
    given could not be used (pipeline: RunResult.provisional says which part); else ''."""
    scheme: Any = result.scheme
    if result.table_unusable:  # a table given could not be used: 考核评价不完整, 定性评分不完整…
        return f"（初步结果，{result.provisional}）"
    return method_of(scheme).provisional(scheme, result.assessed, result.reviews_given)


def short_flags(flags: Sequence[str], provisional: bool) -> str:
    """标记 as a meeting reads it: the flag alone (数据有误, 一票否决, 摘牌…); which cell, which file and why are
    on 校验问题 (and 历年结果). 未经考核评价, true of every row of a provisional result, is in the title."""
    shown: list[str] = []
    for flag in flags:
        if provisional and flag == FLAG_NOT_ASSESSED:
            continue
        head = re.split(r"[：（，]", flag, maxsplit=1)[0]
        if head not in shown:
            shown.append(head)
    return "；".join(shown)


def _write_ranking_sheet(ws: Worksheet, fmt: _Formats, result: RunResult) -> None:
    """排名 as the handout a meeting reads: issuer and title, 序号, flags only, grades told apart in black and
    white, and a foot block with the grading rule, the 等次汇总 with its 合计, issuer and date."""
    scheme: Any = result.scheme
    columns = [SERIAL, *_ranking_columns(scheme)]
    title = _title(result)
    provisional = provisional_note(result)
    ws.set_row(0, 48)
    heading = f"{scheme.issuer}\n{title}{provisional}" if scheme.issuer else title + provisional
    ws.merge_range(0, 0, 0, len(columns) - 1, heading, fmt.title)
    table = _Table(ws, fmt, columns, header_row=1, row_height=20)
    flag_col = len(columns) - 1
    for n, r in enumerate(result.ranked, start=1):
        c = r.center
        flags = short_flags(r.flags, bool(provisional))
        strong = any(f.startswith(FLAG_DELIST) and not f.startswith(FLAG_DELIST_WARNING) for f in r.flags)
        table.add(
            [
                n,
                r.rank,
                c.code,
                c.name,
                c.host_unit,
                *_ranking_scores(scheme, r),
                r.grade,
                r.subsidy if r.grade else None,
                flags,
            ],
            {flag_col: fmt.flag_strong} if strong else None,
        )
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
    ws.set_row(table.row, GAP)
    _write_ranking_foot(ws, fmt, result, table.row + 1, widths)
    _print_setup(ws, 1, title)
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)  # a handout: as many rows a page as it can
    ws.print_area(0, 0, table.row + FOOT_ROWS, len(columns) - 1)


FOOT_ROWS = 14  # rows of the foot block (an upper bound: the print area ends there)
GAP = 8  # points: the empty rows between the table and the parts of its foot


def grade_summary(result: RunResult) -> list[tuple[str, int, Decimal]]:
    """(grade, centers, subsidy) per grade of the scheme, then ('合计', …): the 等次汇总 of 排名 and of the
    payment list, so both say the same."""
    scheme: Any = result.scheme
    rows = []
    for g in scheme.grades:
        graded = [r for r in result.ranked if r.grade == g.name]
        rows.append((g.name, len(graded), sum((r.subsidy for r in graded), Decimal(0))))
    rows.append(("合计", sum(n for _, n, _ in rows), sum((a for _, _, a in rows), Decimal(0))))
    return rows


def grading_rule(scheme: Any) -> list[str]:
    """The foot's lines on how grades, subsidy and flags are decided, in the scheme's words."""
    rows = scheme_parameters(scheme)
    grades = "；".join(
        f"{name.removeprefix('等次：')}：{value}" for name, value, _ in rows if name.startswith("等次：")
    )
    amounts = [
        (name.split("：", 1)[1], value, source)
        for name, value, source in rows
        if name.startswith(f"{scheme.subsidy_label}：")
    ]
    pay = "、".join(f"{g} {v} 万元" for g, v, _ in amounts if Decimal(v))
    unpaid = "、".join(g for g, v, _ in amounts if not Decimal(v))
    defaults = {source for _, _, source in amounts} - {SEED_SOURCE}
    lines = [f"等次划分：{grades}。"]
    if pay:
        money = scheme.subsidy_label.split("（", 1)[0]
        lines.append(
            f"{money}：{pay}"
            + (f"；{unpaid}不予{money.removesuffix('金额')}" if unpaid else "")
            + ("（金额为默认值，待确认）" if defaults else "")
            + "。"
        )
    if scheme.submission.get("remarks") and method_of(scheme).foot_remarks:
        lines.append(scheme.submission["remarks"])
    legend = "标记：数据有误——有错误的填报项按0分计，单元格和原因见“校验问题”表；补助暂缓——有数据有误的项，更正核实后再定补助"
    if scheme.delisting:
        legend += (
            f"；摘牌——连续{years_text(scheme.delisting_years)}年{scheme.failing_grade}"
            f"或连续{years_text(scheme.delisting_years)}年排名最后一名"
            f"；摘牌预警——本年度{scheme.failing_grade}或排名最后，再有一年即予摘牌"
        )
    lines.append(legend + "；未列排名的不参加排名、不予补助，原因见“校验问题”表。")
    return lines


def _write_ranking_foot(
    ws: Worksheet, fmt: _Formats, result: RunResult, row: int, widths: list[float]
) -> None:
    scheme: Any = result.scheme
    last_col = len(widths) - 1
    full = sum(widths)
    for line in grading_rule(scheme):
        ws.set_row(row, row_height([(line, full)], minimum=20))
        ws.merge_range(row, 0, row, last_col, line, fmt.foot)
        row += 1
    ws.set_row(row, GAP)
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
        ws.set_row(row, 20)
        ws.merge_range(row, 0, row, first - 1, label, fmt.header)
        for col, value in enumerate(values, start=first):
            if isinstance(value, str):
                ws.write_string(row, col, value, cell_fmt)
            else:
                ws.write_number(row, col, value, cell_fmt)
        row += 1
    ws.set_row(row, GAP)
    row += 1
    # the issuer, and a date line to fill in when the handout is signed and issued: the sheet's content stays
    # a function of the results alone (the run time is on 说明)
    ws.set_row(row, 24)
    issued = f"{scheme.issuer}　　　　" if scheme.issuer else ""
    ws.merge_range(row, 3, row, last_col, f"{issued}日期：　　　　年　　月　　日", fmt.foot_right)


# ---------------------------------------------------------------------------------------------- 得分明细


def _indicator_names(scheme: Any) -> dict[str, tuple[str, str]]:
    return {ind.id: (ind.category, ind.label) for ind in scheme.indicators}


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


def _write_wide(
    ws: Worksheet,
    fmt: _Formats,
    title: str,
    headers: Sequence[tuple[str, float]],
    numbers: list[Any],
    rows: Callable[[], Iterable[list[Any]]],
    start: int,
    total: int,
    wrap: dict[int, int | None] | None = None,
) -> None:
    """A wide data sheet (得分明细, 原始数据), or a block of its rows: rows() are rows `start`… of `total`,
    numbers in their column's format of `numbers`. The block from 0 also writes the header and the settings:
    fixed widths (no per-cell measuring: these sheets hold N × 17 indicators, and the time goes into every
    cell), three frozen identity columns, a filter, landscape print (see BackgroundSheets for the blocks).
    wrap: column -> display width of its longest text; those columns wrap, and every data row is as tall as
    the longest needs, so nothing is cut off on screen or on paper."""
    wrap = wrap or {}
    # a column given no longest text (None) is measured row by row; the others set one height for all rows
    lines = max(
        (
            wrapped_lines("x" * longest, headers[col][1])
            for col, longest in wrap.items()
            if longest is not None
        ),
        default=1,
    )
    measured = {col: headers[col][1] for col, longest in wrap.items() if longest is None}
    if start == 0:
        # the two-part headers (指标｜得分) wrap onto up to five lines, all shown
        ws.set_row(0, row_height(headers, minimum=45))
        for col, (header, width) in enumerate(headers):
            ws.write_string(0, col, header, fmt.header)
            ws.set_column(col, col, width)
        ws.freeze_panes(1, 3)
        ws.set_landscape()
        ws.set_paper(9)
        ws.repeat_rows(0)
        # printed a few pages wide at about three quarters of full size, rather than a column or two a page
        ws.fit_to_pages(_pages_wide(width for _, width in headers), 0)
        ws.set_margins(left=0.4, right=0.4, top=0.75, bottom=0.7)
        _running_head(ws, title + "　" + ws.name)
        ws.autofilter(0, 0, max(total, 1), len(headers) - 1)
    texts = [fmt.by_kind["long"] if col in wrap else fmt.by_kind["text"] for col in range(len(headers))]
    height = lines_height(lines) if lines > 1 else None
    _write_rows(ws, fmt, rows(), start + 1, numbers, texts, height, measured)


# LibreOffice prints about 115 column units on an A4 landscape page at full size (0.4 inch margins); a wide
# sheet is fitted to as many pages wide as it needs at WIDE_SCALE
PAGE_UNITS, WIDE_SCALE = 115, 0.72
WRAP_WIDTH = {"derivation": 36, "name": 16, "file": 32, "cells": 24, "mail": 30}


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
    scheme: Any = result.scheme
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


def _detail_rows(result: RunResult, start: int = 0, stop: int | None = None) -> Iterator[list[Any]]:
    """得分明细's rows for ranked[start:stop]: for every indicator its score and one-line derivation (which
    opens with the value it was computed from: "1200万元：15 × min(1, 1200÷3000.00) = 6.00"; the value as a
    number is on 原始数据)."""
    scheme: Any = result.scheme
    indicators = list(scheme.scored_indicators)
    reviews = _with_reviews(result)
    for r in result.ranked[start:stop]:
        c = r.center
        row = [r.rank, c.code, c.name, *map(_cell_value, _ranking_scores(scheme, r))]
        items = {item.indicator: item for item in r.score.items}
        for ind in indicators:
            item = items.get(ind.id)
            row += (None, None) if item is None else (round2(item.score), item.derivation)
        if reviews:
            q = r.score.qualitative
            row.append(None if q is None else _qualitative_derivation(c.review_totals, scheme.trim_at, q))
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


def _write_rows(
    ws: Worksheet,
    fmt: _Formats,
    rows: Iterable[list[Any]],
    first: int,
    numbers: list[Any],
    texts: list[Any] | None = None,
    height: float | None = None,
    measured: dict[int, float] | None = None,
) -> None:
    """Rows of cell values (see _cell_value) from row `first` on: text in its column's format of `texts`,
    numbers in their column's format, datetimes. height: every row's; measured: column -> width of the
    columns whose text sets a row's height row by row (a rare long text)."""
    text, when = fmt.by_kind["text"], fmt.by_kind["datetime"]
    texts = texts or [text] * len(numbers)
    # XlsxWriter's own undecorated methods, there since 3.1 (the public ones only add A1-notation parsing):
    # a tenth of the time of these sheets' N × 40 cells
    write_string, write_number = ws._write_string, ws._write_number
    for row, values in enumerate(rows, start=first):
        if measured:
            lines = max(
                (wrapped_lines(values[col], width) for col, width in measured.items() if values[col]),
                default=1,
            )
            if lines > 1 or height:
                ws.set_row(row, max(height or 0, lines_height(lines)))
        elif height:
            ws.set_row(row, height)
        for col, value in enumerate(values):
            if value is None:
                continue
            kind = type(value)
            if kind is str:
                write_string(row, col, value, texts[col])
            elif kind is float or kind is int:
                write_number(row, col, value, numbers[col])
            else:
                ws.write_datetime(row, col, value, when)


def rows_for_child(
    build: Callable[[], Iterable[list[Any]]], *, pack: bool
) -> Callable[[], Iterable[list[Any]]]:
    """Where a sheet written in a forked child gets its rows. Building them there reads this process's
    objects, and a child copies every page whose objects it reads (reading writes reference counts): on a large
    run each writer would hold a copy of much of the parent. pack: build them here, pickled a batch at a time,
    so the child reads bytes it shares and holds one batch of its own at a time."""
    if not pack:
        return build
    batches, rows = [], iter(build())
    while batch := list(itertools.islice(rows, PACK_BATCH)):
        batches.append(pickle.dumps(batch, pickle.HIGHEST_PROTOCOL))
    return lambda: itertools.chain.from_iterable(map(pickle.loads, batches))


def _submission_order(s: Submission) -> tuple:
    return (s.center_code, s.center_name, s.file, s.sha256)


def _raw_headers(
    scheme: Any, submissions: Sequence[Submission]
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


def _raw_rows(scheme: Any, submissions: Sequence[Submission]) -> Iterator[list[Any]]:
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
            None if sub.saved_at is None else sub.saved_at.replace(tzinfo=None),
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
    write_findings_sheet(wb, result.scheme, result.findings, _title(result), fmt)


def write_findings_sheet(
    wb: Workbook, scheme: Any, findings: Sequence[Any], title: str, fmt: _Formats | None = None
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
        ],
    )
    for n, entry in enumerate(result.missing, start=1):
        e: Any = entry
        table.add([n, e.code, e.name, e.host_unit, e.contact_line, "未提交"])
    table.finish()
    if not result.missing:
        ws.write_string(1, 0, "全部已提交", fmt.plain)
    _print_setup(ws, 0, _title(result) + "　未提交名单")


# ---------------------------------------------------------------------------------------------- 历年结果


def _write_history(wb: Workbook, fmt: _Formats, result: RunResult) -> None:
    """历年结果 (after 未提交); nothing at all without earlier years' results."""
    if result.history_years:
        write_history_sheet(wb, result, fmt)


def write_history_sheet(wb: Workbook, result: RunResult, fmt: _Formats | None = None) -> None:
    """The 历年结果 sheet from history.history_table, printed like the other tables."""
    from kjjr_excel.read.history import SHEET_NAME, history_table

    columns, rows = history_table(result)
    ws = wb.add_worksheet(SHEET_NAME)
    table = _Table(ws, fmt or _Formats(wb), [Column(header, kind, 8) for header, kind in columns])
    for row in rows:
        table.add(row)
    table.finish()
    _print_setup(ws, 0, _title(result) + "　" + SHEET_NAME)


# ---------------------------------------------------------------------------------------------- 图表


CHART_COLUMNS = 12  # default-width columns a 720-pixel chart spans
BOUND_COLUMN = 6 + CHART_COLUMNS + 2  # the grade bounds' helper columns, right of the printed charts
BOUND_DASHES = ("dash", "square_dot", "long_dash_dot")


def _write_charts(wb: Workbook, fmt: _Formats, result: RunResult) -> None:
    scheme: Any = result.scheme
    ws = wb.add_worksheet(SHEET_CHARTS)
    scored = sorted(
        (r for r in result.ranked if r.rank is not None),
        key=lambda r: (-r.total, r.center.code, r.center.name),
    )
    grades = [g.name for g in scheme.grades]
    roles = grade_roles(scheme)
    counts = {g: 0 for g in grades}
    for r in result.ranked:
        if r.grade in counts:
            counts[r.grade] += 1
    bounds = (
        [(g.name, g.min) for g in scheme.grades if not g.failing and g.min]
        if scheme.grading_method == "thresholds"
        else []
    )
    # one pass top to bottom over the data blocks (constant_memory): scores in A:B, grade counts in D:E, and
    # each fixed grade bound repeated along the scores (the lines on the score chart) beyond the printed charts
    for n in range(max(len(scored), len(grades)) + 1):
        if n == 0:
            for col, header in ((0, "名称"), (1, scheme.total_label), (3, "等次"), (4, "数量")):
                ws.write_string(0, col, header, fmt.header)
            for k, (name, _) in enumerate(bounds):
                ws.write_string(0, BOUND_COLUMN + k, f"{name}分数线", fmt.header)
            continue
        if n <= len(scored):
            r = scored[n - 1]
            ws.write_string(n, 0, r.center.name, fmt.by_kind["text"])
            ws.write_number(n, 1, float(r.total), fmt.by_kind["score"])
            for k, (_, low) in enumerate(bounds):
                ws.write_number(n, BOUND_COLUMN + k, float(low), fmt.by_kind["score"])
        elif n == 1:
            ws.write_string(1, 0, "没有参加排名的数据", fmt.plain)
        if n <= len(grades):
            ws.write_string(n, 3, grades[n - 1], fmt.by_kind["text"])
            ws.write_number(n, 4, counts[grades[n - 1]], fmt.by_kind["int"])
    ws.set_column(0, 0, _fit([r.center.name for r in scored], MAX_WIDTH["text"]))
    ws.set_column(1, 1, 10)
    ws.set_column(3, 4, 8)
    ws.set_landscape()
    ws.set_paper(9)
    _running_head(ws, _title(result) + "　" + SHEET_CHARTS)  # like every other sheet: title, page numbers
    title_font = {"name": TITLE_FONT, "size": 12, "bold": True}
    axis_font = {"name": BODY_FONT, "size": 10, "bold": False}

    grade_chart = wb.add_chart({"type": "column"})
    grade_chart.add_series(
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
    grade_chart.set_title({"name": "各等次数量", "name_font": title_font})
    grade_chart.set_x_axis({"name": "等次", "name_font": axis_font, "num_font": axis_font})
    count_axis = {
        "name": f"{scheme.center_label}数量（个）",
        "name_font": axis_font,
        "num_font": axis_font,
        "min": 0,
    }
    if max(counts.values(), default=0) <= 10:
        count_axis["major_unit"] = 1  # whole centers, never 0.5
    grade_chart.set_y_axis(count_axis)
    grade_chart.set_legend({"none": True})
    grade_chart.set_size({"width": 480, "height": 300})
    ws.insert_chart(0, 6, grade_chart)

    if not scored:
        ws.print_area(0, 6, 16, 6 + CHART_COLUMNS)
        return
    chart_title = {
        "name": f"{scheme.total_label}（按{scheme.center_label}，从高到低）",
        "name_font": title_font,
    }
    scores = {
        "name": scheme.total_label,
        "categories": [SHEET_CHARTS, 1, 0, len(scored), 0],
        "values": [SHEET_CHARTS, 1, 1, len(scored), 1],
        "data_labels": {"value": True, "num_format": SCORE_FORMAT, "font": axis_font},
        "fill": {"color": "#4472C4"},
        "gap": 60,
    }
    if bounds:
        # fixed grade bounds (90分（含）以上为优秀…): columns, with a dashed line at each bound across them
        chart = wb.add_chart({"type": "column"})
        chart.add_series(scores)
        lines = wb.add_chart({"type": "line"})
        for n, (name, low) in enumerate(bounds):
            lines.add_series(
                {
                    "name": f"{name}（{fmt_decimal(low)}分）",
                    "categories": [SHEET_CHARTS, 1, 0, len(scored), 0],
                    "values": [SHEET_CHARTS, 1, BOUND_COLUMN + n, len(scored), BOUND_COLUMN + n],
                    "line": {
                        "color": "#000000",
                        "width": 1.25,
                        "dash_type": BOUND_DASHES[n % len(BOUND_DASHES)],
                    },
                    "marker": {"type": "none"},
                }
            )
        chart.combine(lines)
        chart.set_title(chart_title)
        chart.set_x_axis(
            {"name": scheme.center_label, "name_font": axis_font, "num_font": {**axis_font, "rotation": -45}}
        )
        chart.set_y_axis(
            {
                "name": "得分",
                "name_font": axis_font,
                "num_font": axis_font,
                "min": 0,
                "num_format": "0",
            }
        )
        chart.set_legend({"position": "bottom", "delete_series": [0], "font": axis_font})
        height = 420
    else:
        chart = wb.add_chart({"type": "bar"})
        chart.add_series(scores)
        chart.set_title(chart_title)
        # In XlsxWriter's bar chart x is the horizontal value axis and y the vertical category axis. The
        # categories are reversed so the best is on top; crossing at the max keeps the value axis at the bottom.
        chart.set_x_axis(
            {"name": "得分", "name_font": axis_font, "num_font": axis_font, "min": 0, "num_format": "0"}
        )
        chart.set_y_axis(
            {
                "name": scheme.center_label,
                "name_font": axis_font,
                "num_font": axis_font,
                "reverse": True,
                "crossing": "max",
            }
        )
        chart.set_legend({"none": True})
        height = max(300, 24 * len(scored) + 110)
    chart.set_size({"width": 720, "height": height})
    ws.insert_chart(16, 6, chart)
    # the page shows the charts alone, not the helper tables they are drawn from (A:E), on one page
    ws.print_area(0, 6, 16 + -(-height // 20) + 1, 6 + CHART_COLUMNS)
    ws.fit_to_pages(1, 1)


# ---------------------------------------------------------------------------------------------- 说明


def _write_notes(wb: Workbook, fmt: _Formats, result: RunResult, run_time: datetime) -> None:
    scheme: Any = result.scheme
    ws = wb.add_worksheet(SHEET_NOTES)
    widths = [12, 32, 20, 12, 12]
    # the widest the 项目, 内容 and 来源 (or SHA-256) columns, and a file's 来源邮件, may grow: one page wide at
    # 9 pt or more printed (a 来源邮件 column, when files came by mail, widens the page)
    grow_to = {0: 20, 1: 32, 2: 66, 3: 12, 4: 30}
    row = 0

    def put(values: Sequence[Any], cell_fmt: Any = None) -> None:
        nonlocal row
        # a text longer than its column may grow (the input locations, a long note) wraps in a taller row,
        # instead of running on and shrinking the printed page
        long = {
            col: str(v)
            for col, v in enumerate(values)
            if col in grow_to and display_width(str(v)) + 2 > grow_to[col]
        }
        if long:
            ws.set_row(row, row_height((text, grow_to[col]) for col, text in long.items()))
        for col, value in enumerate(values):
            if value is None or value == "":
                continue
            if isinstance(value, int | float | Decimal):
                ws.write_number(row, col, float(value), cell_fmt or fmt.plain)
                text = str(value)
            else:
                text = str(value)
                ws.write_string(row, col, text, cell_fmt or (fmt.wrapped if col in long else fmt.plain))
            widths[col] = min(max(widths[col], display_width(text) + 2), grow_to.get(col, MAX_WIDTH["text"]))
        row += 1

    ws.write_string(row, 0, "项目", fmt.header)
    ws.write_string(row, 1, "内容", fmt.header)
    row += 1
    put(["考核方案", f"{scheme.name}（{scheme.id}，版本 {scheme.version}）"])
    ws.write_string(row, 0, "考核年度", fmt.plain)
    ws.write_number(row, 1, result.year, fmt.year)
    row += 1
    put(["运行时间", run_time.strftime("%Y-%m-%d %H:%M:%S")])
    put(["工具版本", f"kjjr-excel {__version__}"])
    put(["方案文件", Path(scheme.path).name if scheme.path else scheme.id])
    put(["方案文件SHA-256", scheme.sha256])
    if result.inputs:
        put(["输入位置", "；".join(result.inputs)])
    method = method_of(scheme)
    if result.provisional:
        put(["结果", f"暂定结果：{result.provisional}"])
    used = [u for u in result.tables if u.used]
    if result.tables:
        put([method.table_title, f"已使用 {len(used)} 份" if used else "没有可用的"])
    else:  # a result made without the tables' account (what each file was used as)
        given = method.table_given(result.assessed, result.reviews_given)
        put([method.table_title, "已提供" if given else "未提供"])
    for u in result.tables:  # what each table given (or found among the inputs) was used as
        if not u.used:
            put(["", f"未使用：{u.file}（{u.note}）"])
        elif u.reviewer:
            put(["", f"{u.kind}：{u.file}，评审人 {u.reviewer}，评分 {u.centers} 个{scheme.center_label}"])
        else:
            put(["", f"{u.kind}：{u.file}，{u.centers} 个{scheme.center_label}"])
    row += 1
    put(["说明"], fmt.section)
    for note in result.notes:
        put(["", note])
    if not result.notes:
        put(["", "无"])
    row += 1
    put(["考核参数"], fmt.section)
    put(["参数", "取值", "来源"], fmt.header)
    for name, value, source in result.parameters:
        # the scheme's own year is its default; the year of this run is the 考核年度 row above
        put([("方案默认考核年度" if name == "考核年度" else name), value, source])
    row += 1
    put(["输入文件"], fmt.section)
    mailed = any(f.origin for f in result.files)  # the column only when some file came by mail
    put(["文件", "状态", "SHA-256", "大小（字节）", *(["来源邮件"] if mailed else [])], fmt.header)
    for f in sorted(result.files, key=lambda f: (f.file, f.sha256)):
        put(
            [
                f.file,
                f.status,
                f.sha256,
                f.size,
                *([f.origin.describe() if f.origin else ""] if mailed else []),
            ]
        )
    if not result.files:
        put(["", "无"])
    for col, width in enumerate(widths):
        ws.set_column(col, col, width)
    ws.freeze_panes(1, 0)
    _print_setup(ws, 0, _title(result) + "　说明")


# ---------------------------------------------------------------------------------------------- _meta


RANKING_KIND = "ranking"


def ranking_meta(result: RunResult) -> list[tuple[str, str]]:
    """What `kjjr publish` needs to know the workbook as one of ours: kind, scheme, year, whether provisional."""
    scheme: Any = result.scheme
    return [
        ("kind", RANKING_KIND),
        ("scheme_id", scheme.id),
        ("scheme_version", scheme.version),
        ("scheme_sha256", scheme.sha256),
        ("year", str(result.year)),
        ("provisional", provisional_note(result)),
        ("centers", str(len(result.ranked))),
        ("tool_version", __version__),
    ]


def _write_meta(wb: Workbook, result: RunResult) -> None:
    """A very hidden `_meta` sheet, as on the templates: ingestion reads its kind and leaves the workbook out
    of the submissions, publish recognises it as a ranking workbook this tool wrote."""
    ws = wb.add_worksheet(META_SHEET)
    for row, (key, value) in enumerate(ranking_meta(result)):
        ws.write_string(row, 0, key)
        ws.write_string(row, 1, value)
    ws.very_hidden()


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
