"""Scheme (+ roster) -> fillable template workbooks, written with XlsxWriter.

Every cell position of a submission comes from `layout(scheme)`; this module only decides how things look:
fonts, fills, validation, protection, print setup and the live preview formulas. Output is deterministic
(fixed creation date, XlsxWriter's fixed zip timestamps), so the committed blank templates can be compared
byte for byte with freshly generated ones.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from types import MappingProxyType
from typing import Any

import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell

from kjjr_excel import TEMPLATE_VERSION
from kjjr_excel.domain import checks
from kjjr_excel.domain.describe import grade_sentence
from kjjr_excel.domain.layout import META_KEYS, META_SHEET, Layout, layout
from kjjr_excel.domain.methods import method_of
from kjjr_excel.domain.parse import a1
from kjjr_excel.domain.rank import grade_for, to_decimal
from kjjr_excel.domain.scheme import Check, Indicator, RosterEntry, Scheme, load_scheme, shipped_schemes
from kjjr_excel.domain.score import excel_formula, num, score_rule
from kjjr_excel.errors import OutputError
from kjjr_excel.read.batch import parallel_map
from kjjr_excel.write import output
from kjjr_excel.write.styles import Workbook, row_height

__all__ = [
    "write_submission",
    "write_assessment",
    "generate",
    "regenerate_committed",
    "assessment_sheet_name",
    "REVIEWER_NAME",
]

BODY_FONT = "宋体"
HEAD_FONT = "黑体"
INPUT_FILL = "#FFF2CC"  # light yellow: the only cells a clerk may edit
LOCKED_FILL = "#F2F2F2"
HEAD_FILL = "#DDEBF7"
BLANK_ASSESSMENT_ROWS = 20
# per-center templates a process must get before another is started: a spawned worker (Windows) imports the
# package again first, which costs as much as writing a dozen or so templates
CENTERS_PER_JOB = 32
REVIEWER_NAME = "reviewer"  # defined name of the reviewer's name cell on the 定性评分表
TEXT_MAX = 255  # Excel's limit for validation messages; also the text-length limit of free-text inputs
KIND_SUBMISSION, KIND_ASSESSMENT, KIND_REVIEW = "submission", "assessment", "review"


# ---------------------------------------------------------------------------------------------- helpers


def _height(pairs: Iterable[tuple[str, float]], minimum: float = 20.0) -> float:
    """Row height (points) that shows every (text, column width) pair wrapped in full."""
    return row_height(pairs, minimum, line=13.5)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def assessment_sheet_name(scheme: Scheme) -> str:
    """The table sheet of the assessor workbook (考核评价) or of the reviewer's score sheet (定性评分)."""
    return method_of(scheme).table_sheet


def _hints_only(scheme: Scheme) -> bool:
    """The method's template shows completeness and hints, not a score (it depends on the other centers)."""
    return method_of(scheme).preview == "hints"


def _reviewed(scheme: Scheme) -> bool:
    """The method's assessors fill reviewers' score sheets (one per reviewer), not one assessment table."""
    return method_of(scheme).table == KIND_REVIEW


def _fixed_created(year: int) -> datetime:
    return datetime(year, 1, 1, 0, 0, 0)


def _workbook(path: Path, year: int, title: str, created: datetime | None) -> xlsxwriter.Workbook:
    wb = Workbook(str(path), {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False})
    wb.set_properties({"title": title, "created": created or _fixed_created(year), "author": ""})
    return wb


def _close(wb: xlsxwriter.Workbook, path: Path) -> Path:
    """Store a template through output.atomic_write: a full disk or Ctrl+C leaves no half-written template,
    and one open in Excel is written beside it. Returns the path written."""

    def store(tmp: Path) -> None:
        wb.filename = str(tmp)
        wb.close()

    return output.atomic_write(Path(path), store)


def _formats(wb: xlsxwriter.Workbook) -> dict[str, object]:
    base = {"font_name": BODY_FONT, "font_size": 10, "valign": "vcenter", "text_wrap": True}
    cell = {**base, "border": 1}
    head = {"font_name": HEAD_FONT, "valign": "vcenter", "text_wrap": True}
    inp = {**cell, "font_size": 11, "locked": False, "bg_color": INPUT_FILL}
    spec: dict[str, dict] = {
        "title": {**head, "font_size": 16, "align": "center"},
        "subtitle": {**base, "align": "center"},
        "section": {**head, "font_size": 12},
        "th": {**head, "font_size": 10, "border": 1, "align": "center", "bg_color": HEAD_FILL},
        "td": {**cell},
        "td_c": {**cell, "align": "center"},
        "label": {**cell, "font_name": HEAD_FONT},
        "label_r": {**cell, "font_name": HEAD_FONT, "align": "right"},
        "fixed": {**cell, "font_size": 11, "bg_color": LOCKED_FILL},
        "fixed_c": {**cell, "font_size": 11, "bg_color": LOCKED_FILL, "align": "center"},
        "input": {**inp, "align": "center"},
        "input_text": {**inp},
        "input_date": {**inp, "align": "center", "num_format": "yyyy-mm-dd"},
        "score": {**cell, "align": "center", "num_format": "0.00"},
        "score_b": {**cell, "align": "center", "num_format": "0.00", "bold": True, "font_name": HEAD_FONT},
        "assessor": {
            **cell,
            "align": "center",
            "italic": True,
            "font_color": "#7F7F7F",
            "bg_color": LOCKED_FILL,
        },
        "note": {**base, "font_size": 9},
        "warn": {**cell, "font_color": "#C00000"},
        "done": {**cell, "font_color": "#006100", "bold": True},
        "sign": {**base, "font_name": HEAD_FONT, "font_size": 11, "valign": "bottom"},
        "plain": {**base},
    }
    formats = {name: wb.add_format(props) for name, props in spec.items()}
    formats["warn_dxf"] = wb.add_format({"font_color": "#C00000", "bold": False})
    return formats


def _write_raw(ws, row: int, col: int, value: object, fmt, date_fmt=None) -> None:
    """Write a value as a clerk would have typed it: numbers as numbers, text as text, '=…' as a formula."""
    if value is None:
        ws.write_blank(row, col, None, fmt)
    elif isinstance(value, bool):
        ws.write_string(row, col, "是" if value else "否", fmt)
    elif isinstance(value, int | float | Decimal | Fraction):
        ws.write_number(row, col, float(value), fmt)
    elif isinstance(value, datetime | date):
        ws.write_datetime(row, col, value, date_fmt or fmt)
    elif isinstance(value, str) and value.startswith("=") and len(value) > 1:
        ws.write_formula(row, col, value, fmt)
    else:
        ws.write_string(row, col, str(value), fmt)


def _xl(value: Decimal) -> int | float:
    """A bound as Excel should show it: 12, not 12.0."""
    return int(value) if value == value.to_integral_value() else float(value)


def _yes_no(title: str, message: str) -> dict:
    """Data validation of a 是/否 cell: a drop-down list, and a stop for anything else."""
    return {
        "input_title": title,
        "input_message": message,
        "error_type": "stop",
        "validate": "list",
        "source": ["是", "否"],
        "error_title": "请从下拉列表中选择",
        "error_message": "只能选择“是”或“否”。",
    }


def _validation(ind: Indicator) -> dict:
    """Data validation of one indicator's input cell, with Chinese messages."""
    title = _clip(ind.display_label, 32)
    message = _clip(ind.help or f"请填写{ind.label}", TEXT_MAX)
    common = {"input_title": title, "input_message": message, "error_type": "stop"}
    if ind.type == "bool":
        return _yes_no(title, message)
    lo, hi = ind.min, ind.max
    kind = "integer" if ind.type == "integer" else "decimal"
    noun = "整数" if kind == "integer" else "数字"
    if hi is not None:
        bounds = {"criteria": "between", "minimum": _xl(lo), "maximum": _xl(hi)}
        text = f"请填写{num(lo)}至{num(hi)}之间的{noun}"
    else:
        bounds = {"criteria": ">=", "value": _xl(lo)}
        text = "请填写0或正整数" if kind == "integer" and lo == 0 else f"请填写不小于{num(lo)}的{noun}"
    if kind == "decimal":
        text += f"，最多{ind.places}位小数"
        if "位小数" not in message:  # the help text may say it already (最多两位小数): say it once
            message = _clip(f"{message}（最多{ind.places}位小数）", TEXT_MAX)
    unit = f"，单位：{ind.unit}" if ind.unit else ""
    return {
        **common,
        "input_message": message,
        **bounds,
        "validate": kind,
        "error_title": "填写的数值不符合要求",
        "error_message": _clip(f"{text}{unit}。不要填写单位、文字或公式。", TEXT_MAX),
    }


def _text_validation(title: str, message: str, limit: int = 60) -> dict:
    return {
        "validate": "length",
        "criteria": "<=",
        "value": limit,
        "input_title": _clip(title, 32),
        "input_message": _clip(message, TEXT_MAX),
        "error_title": "内容过长",
        "error_message": f"不超过{limit}个字。",
    }


def _date_validation(year: int) -> dict:
    """The 填报日期 cell's validation; its example is early in the year after the one assessed (2017: 2018-01-15)."""
    example = f"{year + 1}-01-15"
    return {
        "validate": "date",
        "criteria": "between",
        "minimum": date(2000, 1, 1),
        "maximum": date(2100, 12, 31),
        "input_title": "填报日期",
        "input_message": f"填写日期，例如 {example}。",
        "error_title": "日期格式不正确",
        "error_message": f"请填写日期，例如 {example}。",
    }


def _protect(ws) -> None:
    # No password (the README says so): protection prevents accidents, not determined users.
    ws.protect("", {"select_locked_cells": True, "select_unlocked_cells": True})


def _print_setup(ws, *, landscape: bool, title: str, repeat_row: int, one_page: bool) -> None:
    ws.set_paper(9)
    if landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.fit_to_pages(1, 1 if one_page else 0)
    ws.set_margins(left=0.5, right=0.5, top=0.7, bottom=0.7)
    ws.center_horizontally()
    ws.repeat_rows(repeat_row)
    ws.set_header(f"&L&8{title}")
    ws.set_footer("&C&8第 &P 页，共 &N 页")


def _write_meta(wb: xlsxwriter.Workbook, values: Mapping[str, str]) -> None:
    ws = wb.add_worksheet(META_SHEET)
    ws.write_string(0, 0, "key")
    ws.write_string(0, 1, "value")
    for n, key in enumerate(META_KEYS, start=1):
        ws.write_string(n, 0, key)
        ws.write_string(n, 1, str(values.get(key, "")))
    ws.protect()
    ws.very_hidden()


def _meta(scheme: Scheme, year: int, kind: str, center_code: str = "") -> dict[str, str]:
    return {
        "scheme_id": scheme.id,
        "scheme_version": scheme.version,
        "year": str(year),
        "center_code": center_code,
        "template_version": TEMPLATE_VERSION,
        "fingerprint": layout(scheme).fingerprint,
        "kind": kind,
    }


def _runs(keys: Sequence[str]) -> list[tuple[int, int, str]]:
    """(start, end, key) of consecutive equal keys: merged vertically like the seed's table."""
    out: list[tuple[int, int, str]] = []
    for n, key in enumerate(keys):
        if out and out[-1][2] == key:
            out[-1] = (out[-1][0], n, key)
        else:
            out.append((n, n, key))
    return out


def _merge_text(ws, r1: int, c1: int, r2: int, c2: int, text: str, fmt) -> None:
    """A (possibly merged) cell holding text that must stay text (never a formula)."""
    if (r1, c1) == (r2, c2):
        ws.write_string(r1, c1, text, fmt)
    else:
        ws.merge_range(r1, c1, r2, c2, "", fmt)
        ws.write_string(r1, c1, text, fmt)


# ---------------------------------------------------------------------------------------------- instructions

Section = tuple[str, Sequence[tuple[str, str]]]  # a heading of 填报说明, then its (item, text) rows


def _instructions(
    wb: xlsxwriter.Workbook,
    fmts: dict,
    name: str,
    title: str,
    sections: Sequence[Section],
) -> None:
    """A protected two-column instructions sheet: section headings, then (item, text) rows."""
    ws = wb.add_worksheet(name)
    widths = (22, 88)
    ws.set_column(0, 0, widths[0])
    ws.set_column(1, 1, widths[1])
    ws.hide_gridlines(2)
    ws.set_row(0, 30)
    ws.merge_range(0, 0, 0, 1, "", fmts["title"])
    ws.write_string(0, 0, title, fmts["title"])
    row = 2
    for heading, items in sections:
        ws.set_row(row, 22)
        _merge_text(ws, row, 0, row, 1, heading, fmts["section"])
        row += 1
        for item, text in items:
            if item:
                ws.set_row(row, _height([(item, widths[0]), (text, widths[1])], minimum=18))
                ws.write_string(row, 0, item, fmts["td"])
                ws.write_string(row, 1, text, fmts["td"])
            else:
                ws.set_row(row, _height([(text, sum(widths))], minimum=18))
                _merge_text(ws, row, 0, row, 1, text, fmts["plain"])
            row += 1
        row += 1
    _print_setup(ws, landscape=False, title=title, repeat_row=0, one_page=False)
    ws.fit_to_pages(1, 0)
    _protect(ws)


def _submission_sections(scheme: Scheme, lay: Layout, year: int) -> list[Section]:
    """The submission's 填报说明: what to fill, the rules (or for hints-only methods how it is assessed),
    where to send it, what not to do."""
    fill = [
        (
            f"{ind.label}",
            f"{ind.help}（填写在“{lay.sheet}”表 {lay.value_cell(ind.id)} 单元格，单位：{ind.unit or '—'}）",
        )
        for ind in scheme.self_indicators
    ]
    header_help = [
        (
            "表头",
            "填写本单位名称、编号（名录中的编号）、依托单位、填报人、联系电话和填报日期；已预先填好的内容不能修改。",
        )
    ]
    sections: list[Section] = [("一、填报内容", header_help + fill)]
    sections += _hint_sections(scheme, year) if _hints_only(scheme) else _rule_sections(scheme)
    sub = scheme.submission
    sending = [
        ("报送时间", sub.get("deadline", "")),
        ("报送方式", sub.get("send_to", "")),
        ("联系方式", sub.get("contact", "")),
    ]
    return sections + [("四、报送", sending), _SUBMISSION_CAUTIONS]


def _hint_sections(scheme: Scheme, year: int) -> list[Section]:
    """二 and 三 of a template that shows hints, not a score: the period and how the centers are compared."""
    # a scheme without a qualitative part scores this form's figures alone
    how = (
        "定性评价（工作绩效自评报告）与定量评价（本表数据）相结合；"
        if scheme.weight_qualitative
        else "按本表数据评价；"
    )
    hints = [
        (
            "评估方式",
            f"{how}定量得分与其他{scheme.center_label}相比较计算，本表只检查填写是否完整并提示可能的填写错误。",
        ),
    ]
    if scheme.submission.get("remarks"):
        hints.append(("一票否决", scheme.submission["remarks"]))
    return [("二、评估周期", [("评估周期", scheme.period or f"{year}年度")]), ("三、评估规则", hints)]


def _grade_words(scheme: Scheme) -> str:
    """The grades as [grading] decides them, then the scheme's remarks; remarks that state the grades (held to
    [grading] by the loader) stand for the sentence. A copy whose bounds were edited never prints the old ones."""
    remarks = scheme.submission.get("remarks", "")
    return remarks if scheme.remarks_grade_the_centers else grade_sentence(scheme) + remarks


def _rules_heading(scheme: Scheme) -> str:
    """（通知原文） only while every rule is the notice's: a rule marked source = "default" is the office's own."""
    own = any(i.rule is not None and i.rule.source == "default" for i in scheme.indicators)
    return "二、计分标准" if own else "二、计分标准（通知原文）"


def _rule_sections(scheme: Scheme) -> list[Section]:
    """二 and 三 of a template that previews the score: the notice's scoring rules, and what the preview is."""
    rules = []
    for ind in scheme.indicators:
        extra = f"（分值：{ind.range}）" if ind.range else ""
        note = f" 备注：{ind.note}" if ind.note and ind.note != ind.standard else ""
        who = "" if ind.source == "self" else "【考核方填写】"
        rules.append((f"{ind.category}／{ind.label}", f"{who}{ind.standard}{extra}{note}"))
    rules.append(("等次", _grade_words(scheme)))
    assessed = "、".join(
        f"{i.display_label}（未填写时预览按{i.neutral_text}计）" for i in scheme.assessor_indicators
    )
    preview = (
        "预览",
        "“预计得分”列按上述计分标准自动计算，仅供参考，以考核结果为准。"
        f"考核方填写的部分由考核方评定，预览按中性值计：{assessed}。",
    )
    return [(_rules_heading(scheme), rules), ("三、预计得分", [preview])]


_SUBMISSION_CAUTIONS: Section = (
    "五、注意事项",
    (
        ("可填写的单元格", "只有黄色单元格可以填写，其他单元格已保护，不能也不要修改。"),
        (
            "不要改动表格",
            "不要插入或删除行、列，不要修改工作表名称，不要复制到其他工作簿中填写，否则无法自动识别。",
        ),
        ("填写数字", "数量栏只填写数字，不要填写单位或文字；没有的填0。"),
        ("文件名", "文件名可以修改，不影响识别；请保存为 .xlsx 格式。"),
    ),
)


# ---------------------------------------------------------------------------------------------- submission


def _submission_title(scheme: Scheme, year: int) -> tuple[str, str]:
    if _hints_only(scheme):
        return scheme.title, f"评估周期：{scheme.period}" if scheme.period else f"{scheme.year_label}：{year}"
    subtitle = scheme.submission.get("subtitle", f"（{scheme.center_label}自报，考核方填写部分由考核方填写）")
    return f"{scheme.name}指标（{year}年度）", subtitle


_ABSOLUTE_WIDTHS = (5, 9, 18, 38, 7, 10, 6, 9, 20)
_RELATIVE_WIDTHS = (14, 38, 14, 8, 46)


def _widths(lay: Layout, relative: bool) -> tuple[float, ...]:
    base = _RELATIVE_WIDTHS if relative else _ABSOLUTE_WIDTHS
    return tuple(base[n] if n < len(base) else 12 for n in range(lay.width))


def write_submission(
    path: str | Path,
    scheme: Scheme,
    *,
    center: RosterEntry | None = None,
    year: int | None = None,
    values: Mapping[str, object] | None = None,
    header: Mapping[str, object] | None = None,
    created: datetime | None = None,
) -> Path:
    """One submission workbook. center given: name/code/host unit filled in and locked. values (indicator id ->
    raw value as a clerk might type it; a text starting with '=' becomes a formula) and header (field -> value)
    pre-fill inputs. created: the workbook's creation time (default: fixed from the year, so bytes repeat)."""
    path = Path(path)
    year = year or scheme.year
    scheme = scheme.for_year(year)
    lay = layout(scheme)
    relative = _hints_only(scheme)
    title, subtitle = _submission_title(scheme, year)
    wb = _workbook(path, year, title, created)
    fmts = _formats(wb)
    _instructions(
        wb,
        fmts,
        lay.instructions_sheet,
        f"{title}填报说明",
        _submission_sections(scheme, lay, year),
    )
    ws = wb.add_worksheet(lay.sheet)
    ws.activate()
    widths = _widths(lay, relative)
    for col, width in enumerate(widths):
        ws.set_column(col, col, width)
    last_col = lay.width - 1
    ws.set_row(0, 32)
    _merge_text(ws, 0, 0, 0, last_col, title, fmts["title"])
    _merge_text(ws, 1, 0, 1, last_col, subtitle, fmts["subtitle"])
    if center is not None:  # the roster's 联系人 and 电话 pre-fill the filler, who may change them
        roster_header = {"filler_name": center.contact, "filler_phone": center.phone}
        header = {**{k: v for k, v in roster_header.items() if v}, **(header or {})}
    _header_block(wb, ws, fmts, scheme, lay, year, center, header or {})
    row = lay.table_header_row
    ws.set_row(row, 24)
    for col, text in enumerate(lay.columns):
        ws.write_string(row, col, text, fmts["th"])
    inputs = _header_inputs(lay, center)
    # header inputs count for completeness; the cached result needs to know which were pre-filled
    known = {**(values or {}), **{f"header:{k}": v for k, v in (header or {}).items()}}
    if relative:
        end = _relative_rows(ws, fmts, scheme, lay, widths, known, inputs)
    else:
        end = _absolute_rows(ws, fmts, scheme, lay, widths, known, inputs)
    end = _sign_block(ws, fmts, scheme.submission.get("sign", SUBMISSION_SIGN), end + 1, last_col)
    _print_setup(ws, landscape=False, title=title, repeat_row=lay.table_header_row, one_page=True)
    ws.print_area(0, 0, end, last_col)
    ws.freeze_panes(lay.table_header_row + 1, 0)
    _protect(ws)
    _define_names(wb, scheme, lay)
    _write_meta(wb, _meta(scheme, year, KIND_SUBMISSION, center.code if center else ""))
    return _close(wb, path)


def _define_names(wb: xlsxwriter.Workbook, scheme: Scheme, lay: Layout) -> None:
    """A workbook-level defined name per input (the indicator id, the header field), as SPEC promises: an
    input can be found by its name whatever the cell."""
    for ind in scheme.self_indicators:
        wb.define_name(ind.id, f"='{lay.sheet}'!{_abs(lay.rows[ind.id], lay.value_col)}")
    for field in lay.header_rows:
        wb.define_name(field, f"='{lay.sheet}'!{_abs(lay.header_rows[field], lay.header_value_col)}")


SUBMISSION_SIGN = "申报单位（盖章）；负责人（签字）；日期"  # the notices ask for stamped, signed paper
ASSESSMENT_SIGN = "考核单位（盖章）；负责人（签字）；日期"
REVIEW_SIGN = "评审人签字；日期"
DATE_BLANK = "　　　　年　　月　　日"


def sign_line(labels: str) -> str:
    """'申报单位（盖章）：＿＿  负责人（签字）：＿＿  日期：  年  月  日' from the scheme's '；'-separated labels."""
    parts = []
    for label in (p.strip() for p in labels.split("；") if p.strip()):
        parts.append(f"{label}：{DATE_BLANK}" if label == "日期" else f"{label}：　　　　　　　　　　")
    return "　　".join(parts)


def _sign_block(ws, fmts, labels: str, row: int, last_col: int) -> int:
    """The block the notices ask for on paper, below the form, inside its one printed page; returns its row."""
    ws.set_row(row, 8)
    ws.set_row(row + 1, 40)
    _merge_text(ws, row + 1, 0, row + 1, last_col, sign_line(labels), fmts["sign"])
    return row + 1


def _abs(row: int, col: int) -> str:
    return xl_rowcol_to_cell(row, col, row_abs=True, col_abs=True)


_HEADER_HELP = MappingProxyType(
    {
        "center_name": "填写本单位在名录中的名称。",
        "center_code": "填写名录中的编号；没有编号的可不填。",
        "host_unit": "填写依托单位全称。",
        "filler_name": "填写填报人姓名。",
        "filler_phone": "填写填报人的联系电话（手机或座机）。",
    }
)


def _header_block(
    wb, ws, fmts, scheme: Scheme, lay: Layout, year: int, center: RosterEntry | None, header: Mapping
) -> None:
    label_end = max(lay.header_label_col, lay.header_value_col - 1)
    last_col = lay.width - 1
    fixed: dict[str, int | str] = {"report_year": year}
    if center is not None:
        fixed.update(center_name=center.name, center_code=center.code)
        if center.host_unit:  # a roster without the host unit leaves it to the clerk
            fixed.update(host_unit=center.host_unit)
    for field, row in lay.header_rows.items():
        ws.set_row(row, 20)
        label = lay.header_labels[field]
        _merge_text(ws, row, lay.header_label_col, row, label_end, label, fmts["label"])
        c1 = lay.header_value_col
        if field in fixed:
            value = fixed[field]
            ws.merge_range(row, c1, row, last_col, "", fmts["fixed"])
            if isinstance(value, int):
                ws.write_number(row, c1, value, fmts["fixed"])
            else:
                ws.write_string(row, c1, str(value), fmts["fixed"])
            continue
        fmt = fmts["input_date"] if field == "fill_date" else fmts["input_text"]
        ws.merge_range(row, c1, row, last_col, "", fmt)
        given = header.get(field)
        if isinstance(given, str):
            ws.write_string(row, c1, given, fmt)  # a name typed as '=…' stays text
        elif given is not None:
            _write_raw(ws, row, c1, given, fmt, fmts["input_date"])
        if field == "fill_date":
            ws.data_validation(row, c1, row, c1, _date_validation(year))
        else:
            ws.data_validation(
                row, c1, row, c1, _text_validation(label, _HEADER_HELP.get(field, f"填写{label}。"))
            )


def _input_cell(ws, fmts, ind: Indicator, row: int, col: int, values: Mapping[str, object]) -> None:
    _write_raw(ws, row, col, values.get(ind.id), fmts["input"], fmts["input_date"])
    ws.data_validation(row, col, row, col, _validation(ind))


def _ordered(lay: Layout, scheme: Scheme) -> list[tuple[int, Indicator]]:
    rows = {**lay.rows, **lay.assessor_rows}
    return sorted(((rows[i.id], i) for i in scheme.indicators if i.id in rows), key=lambda t: t[0])


def _grade_formula(scheme: Scheme, ref: str) -> str:
    """IF chain over the thresholds; the bound belongs to the higher grade (>=), on the total rounded to 2."""
    grades = list(scheme.grades)
    expr = f'"{grades[-1].name}"'
    for grade in reversed(grades[:-1]):
        expr = f'IF(ROUND({ref},2)>={num(grade.min)},"{grade.name}",{expr})'
    return expr


def _is_blank(value: object) -> bool:
    return value is None or value == ""


def _number(value: object) -> float | None:
    """What ISNUMBER/N() see in a pre-filled input: numbers only (None for text, blanks and formulas)."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | Fraction):
        return None
    return float(value)


def _cached_score(ind: Indicator, value: object) -> Fraction | str | None:
    """The preview formula's result for a pre-filled value, stored as the cell's cached value so that readers
    which do not recalculate (previews, calamine) see the right figure; None when only Excel can tell."""
    if _is_blank(value):
        return ""
    if isinstance(value, str):
        return None if value.startswith("=") else "请填数字"
    if _number(value) is None:
        return None
    return score_rule(ind, Decimal(str(value)))[0]


def _completeness_cell(ws, fmts, scheme, lay, values, header_inputs, row: int, c1: int, c2: int) -> None:
    ranges = _input_ranges(lay, scheme, header_inputs)
    blanks = _cached_unfilled(scheme, values, header_inputs)
    cached = DONE if blanks == 0 else f"还有 {blanks} 项未填写"
    if c1 != c2:
        ws.merge_range(row, c1, row, c2, "", fmts["done"])
    ws.write_formula(row, c1, _completeness(ranges, _numeric_ranges(lay, scheme)), fmts["done"], cached)
    # 已全部填写 in green (the cell's own format), anything still to do in red
    ws.conditional_format(
        row,
        c1,
        row,
        c2,
        {"type": "text", "criteria": "begins with", "value": "还有", "format": fmts["warn_dxf"]},
    )


DONE = "已全部填写"
PENDING_GRADE = "填完后显示"
QUOTA_GRADE = "按排名确定"


def _cached_unfilled(scheme: Scheme, values: Mapping[str, object], header_inputs: Sequence[str]) -> int:
    """What the completeness formula gives for pre-filled values: blanks, and numeric inputs not a number."""
    unfilled = 0
    for ind in scheme.self_indicators:
        value = values.get(ind.id)
        if _is_blank(value) or (ind.type != "bool" and _number(value) is None):
            unfilled += 1
    return unfilled + sum(_is_blank(values.get(f"header:{f}")) for f in header_inputs)


def _blank_count(ranges: Sequence[str], numeric: Sequence[str] = ()) -> str:
    """Inputs not yet filled: blank cells, and in a numeric input anything that is not a number ("约90"
    is not filled in)."""
    others = [r for r in ranges if r not in numeric]
    terms = [f"(ROWS({r})-COUNT({r}))" for r in numeric] + [f"COUNTBLANK({r})" for r in others]
    return "+".join(terms)


def _completeness(ranges: Sequence[str], numeric: Sequence[str] = ()) -> str:
    n = _blank_count(ranges, numeric)
    return f'=IF({n}=0,"{DONE}","还有 "&({n})&" 项未填写")'


def _numeric_ranges(lay: Layout, scheme: Scheme) -> list[str]:
    """The ranges of _input_ranges that hold numeric indicators only."""
    numeric = {lay.rows[i.id] for i in scheme.self_indicators if i.type != "bool"}
    return [
        r
        for r in _input_ranges(lay, scheme, [])
        if all(row in numeric for row in range(_row_of(r.split(":")[0]), _row_of(r.split(":")[-1]) + 1))
    ]


def _row_of(cell: str) -> int:
    return int("".join(ch for ch in cell if ch.isdigit())) - 1


def _input_ranges(lay: Layout, scheme: Scheme, header_inputs: Sequence[str]) -> list[str]:
    rows = sorted(lay.rows[i.id] for i in scheme.self_indicators)
    ranges: list[str] = []
    start = prev = rows[0]
    for r in [*rows[1:], None]:
        if r is not None and r == prev + 1:
            prev = r
            continue
        ranges.append(f"{a1(start, lay.value_col)}:{a1(prev, lay.value_col)}")
        if r is not None:
            start = prev = r
    return ranges + [a1(lay.header_rows[f], lay.header_value_col) for f in header_inputs]


def _header_inputs(lay: Layout, center: RosterEntry | None) -> list[str]:
    """The header fields the clerk fills: all but the year, and the roster's name, code and host unit."""
    fixed = {"report_year"}
    if center is not None:
        fixed |= {"center_name", "center_code"} | ({"host_unit"} if center.host_unit else set())
    return [f for f in lay.header_rows if f not in fixed]


@dataclass(frozen=True)
class ScoreColumns:
    """Where each part of an indicator row sits on a template that previews the score."""

    number: int
    category: int
    label: int
    standard: int
    range: int
    unit: int
    value: int
    score: int
    note: int

    @classmethod
    def of(cls, lay: Layout) -> ScoreColumns:
        cols = {name: n for n, name in enumerate(lay.columns)}
        return cls(
            number=cols["序号"],
            category=lay.category_col,
            label=lay.label_col,
            standard=cols["计分标准"],
            range=cols["分值"],
            unit=cols["单位"],
            value=lay.value_col,
            score=cols["预计得分"],
            note=cols["备注"],
        )


def _absolute_rows(
    ws, fmts, scheme: Scheme, lay: Layout, widths, values: Mapping[str, object], header_inputs: Sequence[str]
) -> int:
    """The indicator rows with their live scores, then the total, grade, completeness and remark rows;
    returns the last row written."""
    cols = ScoreColumns.of(lay)
    ordered = _ordered(lay, scheme)
    total = Fraction(0)
    for row, ind in ordered:
        total += _score_row(ws, fmts, cols, widths, row, ind, values)
    first = ordered[0][0]
    for start, end, key in _runs([i.number for _, i in ordered]):
        _merge_text(ws, first + start, cols.number, first + end, cols.number, key, fmts["td_c"])
    for start, end, key in _runs([i.category for _, i in ordered]):
        _merge_text(ws, first + start, cols.category, first + end, cols.category, key, fmts["td_c"])
    return _score_footer(ws, fmts, scheme, lay, widths, values, header_inputs, (first, ordered[-1][0]), total)


def _score_row(
    ws, fmts, cols: ScoreColumns, widths, row: int, ind: Indicator, values: Mapping[str, object]
) -> Fraction:
    """One indicator's row: texts, its input (or the assessor's placeholder) and its preview score; returns
    the score the cached total counts for it."""
    assessor = ind.source != "self"
    note = ind.note
    if assessor:
        neutral = ind.neutral_value
        if ind.is_veto:
            preview = f"预览按“{ind.neutral_text}”计"
        else:
            preview = f"预览按{num(score_rule(ind, neutral)[0])}分计"
        note = f"{preview}；{note}" if note else preview
    pairs = [
        (ind.label, widths[cols.label]),
        (ind.standard, widths[cols.standard]),
        (note, widths[cols.note]),
    ]
    ws.set_row(row, _height(pairs, minimum=24))
    ws.write_string(row, cols.label, ind.label, fmts["td"])
    ws.write_string(row, cols.standard, ind.standard, fmts["td"])
    ws.write_string(row, cols.range, ind.range, fmts["td_c"])
    ws.write_string(row, cols.unit, ind.unit, fmts["td_c"])
    ws.write_string(row, cols.note, note, fmts["td"])
    ref = a1(row, cols.value)
    if assessor:
        ws.write_string(row, cols.value, "（考核方填写）", fmts["assessor"])
        if ind.is_veto:
            ws.write_string(row, cols.score, ind.neutral_text, fmts["score"])
            return Fraction(0)
        neutral_score = score_rule(ind, ind.neutral_value)[0]
        ws.write_number(row, cols.score, float(neutral_score), fmts["score"])
        return neutral_score
    _input_cell(ws, fmts, ind, row, cols.value, values)
    expr = excel_formula(ind, ref)
    cached = _cached_score(ind, values.get(ind.id))
    counted = Fraction(0)
    if isinstance(cached, Fraction):
        counted = cached
        cached = float(cached)
    formula = f'=IF({ref}="","",IF(ISNUMBER({ref}),{expr},"请填数字"))'
    ws.write_formula(row, cols.score, formula, fmts["score"], cached)
    return counted


def _score_footer(
    ws,
    fmts,
    scheme: Scheme,
    lay: Layout,
    widths,
    values: Mapping[str, object],
    header_inputs: Sequence[str],
    span: tuple[int, int],
    total: Fraction,
) -> int:
    """Below the indicators: 预计总分, 预计等次, 填报进度 and the remark; returns the remark's row."""
    cols = ScoreColumns.of(lay)
    first, last = span
    c_score, c_note = cols.score, cols.note
    total_row, grade_row, done_row, remark_row = last + 1, last + 2, last + 3, last + 4
    label_end = c_score - 1
    for r in (total_row, grade_row, done_row):
        ws.set_row(r, 22)
    _merge_text(
        ws, total_row, 0, total_row, label_end, "预计总分（考核方填写部分按中性值预览）", fmts["label_r"]
    )
    total_ref = a1(total_row, c_score)
    ws.write_formula(
        total_row, c_score, f"=SUM({a1(first, c_score)}:{a1(last, c_score)})", fmts["score_b"], float(total)
    )
    _merge_text(ws, grade_row, 0, grade_row, label_end, "预计等次", fmts["label_r"])
    if scheme.grading_method == "thresholds":
        # no grade before every input is filled: a blank form would preview 不合格
        unfilled = _blank_count(_input_ranges(lay, scheme, header_inputs), _numeric_ranges(lay, scheme))
        complete = _cached_unfilled(scheme, values, header_inputs) == 0
        grade = grade_for(scheme, to_decimal(total)) if complete else PENDING_GRADE
        formula = f'=IF({unfilled}=0,{_grade_formula(scheme, total_ref)},"{PENDING_GRADE}")'
        ws.write_formula(grade_row, c_score, formula, fmts["score_b"], grade)
    else:  # grades by share of the ranked centers: no one form can tell its own
        ws.write_string(grade_row, c_score, QUOTA_GRADE, fmts["score_b"])
    _merge_text(ws, done_row, 0, done_row, label_end, "填报进度", fmts["label_r"])
    _completeness_cell(ws, fmts, scheme, lay, values, header_inputs, done_row, c_score, c_note)
    for r in (total_row, grade_row):
        ws.write_blank(r, c_note, None, fmts["td"])
    text = f"备注：{_grade_words(scheme)}预计得分仅供参考，以考核结果为准。只能在黄色单元格中填写。"
    ws.set_row(remark_row, _height([(text, sum(widths))], minimum=20))
    _merge_text(ws, remark_row, 0, remark_row, lay.width - 1, text, fmts["plain"])
    return remark_row


def _relative_rows(
    ws, fmts, scheme: Scheme, lay: Layout, widths, values: Mapping[str, object], header_inputs: Sequence[str]
) -> int:
    cols = {name: n for n, name in enumerate(lay.columns)}
    c_cat, c_label, c_val = lay.category_col, lay.label_col, lay.value_col
    c_unit, c_hint = cols["单位"], cols["填报提示"]
    ordered = _ordered(lay, scheme)
    for row, ind in ordered:
        ws.set_row(row, _height([(ind.label, widths[c_label]), (ind.help, widths[c_hint])], minimum=22))
        ws.write_string(row, c_label, ind.label, fmts["td"])
        ws.write_string(row, c_unit, ind.unit, fmts["td_c"])
        ws.write_string(row, c_hint, ind.help, fmts["td"])
        _input_cell(ws, fmts, ind, row, c_val, values)
    first, last = ordered[0][0], ordered[-1][0]
    for start, end, key in _runs([i.category for _, i in ordered]):
        _merge_text(ws, first + start, c_cat, first + end, c_cat, key, fmts["td_c"])
    row = last + 1
    ws.set_row(row, 22)
    _merge_text(ws, row, 0, row, c_val - 1, "填报进度", fmts["label_r"])
    _completeness_cell(ws, fmts, scheme, lay, values, header_inputs, row, c_val, lay.width - 1)
    for check in scheme.checks:
        row += 1
        _check_row(ws, fmts, scheme, lay, widths, check, row, values)
    row += 1
    text = f"说明：本表数据与其他{scheme.center_label}比较计算定量得分，核对提示仅供参考。只能在黄色单元格中填写。"
    if scheme.submission.get("remarks"):
        text += scheme.submission["remarks"]
    ws.set_row(row, _height([(text, sum(widths))], minimum=20))
    _merge_text(ws, row, 0, row, lay.width - 1, text, fmts["plain"])
    return row


def _check_row(
    ws, fmts, scheme: Scheme, lay: Layout, widths, check: Check, row: int, values: Mapping[str, object]
) -> None:
    """One sanity hint from the scheme's cross-field checks, as a live formula over all its fields (with its
    cached result); the words are the check's own (checks.py), as validation and the receipt say them."""
    c_val, c_hint = lay.value_col, lay.width - 1
    refs = [lay.value_cell(f) for f in check.fields]
    label, warn = checks.hint(scheme, check)
    blank = ",".join(f'{ref}=""' for ref in refs)
    expr = f'=IF(OR({blank}),"",IF({checks.excel_condition(check, refs)},"{warn}",""))'
    given = [_number(values.get(f)) for f in check.fields]
    cached = ""
    if all(g is not None for g in given):
        found = checks.evaluate(scheme, check, [Decimal(str(g)) for g in given], dict)
        cached = warn if found else ""
    first = c_val
    figure = checks.shown(scheme, check, refs)
    if figure is not None and c_val + 1 < c_hint:  # the figure itself and its unit, then the warning
        numbers = [g for g in given if g is not None]
        value = round(numbers[0] / numbers[1], 2) if len(numbers) == 2 and min(numbers) > 0 else ""
        ws.write_formula(row, c_val, f"={figure[0]}", fmts["score"], value)
        ws.write_string(row, c_val + 1, figure[1], fmts["td_c"])
        first = c_val + 2
    if first < c_hint:
        ws.merge_range(row, first, row, c_hint, "", fmts["warn"])
    ws.write_formula(row, first, expr, fmts["warn"], cached)
    ws.set_row(row, _height([(label, widths[c_val - 1] if c_val else 10), (warn, sum(widths[first:]))]))
    _merge_text(ws, row, 0, row, c_val - 1, label, fmts["label_r"])


# ---------------------------------------------------------------------------------------------- assessment


@dataclass(frozen=True)
class TableColumn:
    """A column of the assessor or reviewer table: its id (indicator, part, or code/name/host_unit/total/
    veto/veto_reason/comment/note), header, data validation (None: locked or computed) and width."""

    id: str
    header: str
    validation: dict | None
    width: float


def _assessment_columns(scheme: Scheme) -> list[TableColumn]:
    """The columns of the assessor or reviewer table, in order."""
    cols = [
        TableColumn("code", "编号", _text_validation("编号", "填写名录中的编号。", 30), 9),
        TableColumn("name", "名称", _text_validation("名称", f"填写{scheme.center_label}名称。"), 22),
        TableColumn("host_unit", "依托单位", _text_validation("依托单位", "填写依托单位。"), 26),
    ]
    return cols + (_review_columns(scheme) if _reviewed(scheme) else _assessor_columns(scheme))


def _review_columns(scheme: Scheme) -> list[TableColumn]:
    """A reviewer's columns: one score per part of the 自评报告, 合计, 一票否决 and why, 评审意见."""
    cols = [
        TableColumn(
            part.id,
            f"{part.label}（{num(part.max)}分）",
            {
                "validate": "decimal",
                "criteria": "between",
                "minimum": 0,
                "maximum": _xl(part.max),
                "input_title": _clip(part.label, 32),
                "input_message": _clip(f"0至{num(part.max)}分。{part.description}", TEXT_MAX),
                "error_title": "分数不符合要求",
                "error_message": f"请填写0至{num(part.max)}之间的分数，最多两位小数。",
            },
            12,
        )
        for part in scheme.parts
    ]
    veto_help = _clip(scheme.submission.get("remarks", "") + "如否决，请填写否决原因。", TEXT_MAX)
    return cols + [
        TableColumn("total", "合计", None, 9),
        TableColumn("veto", "一票否决", _yes_no("一票否决", veto_help), 9),
        TableColumn(
            "veto_reason", "否决原因", _text_validation("否决原因", "一票否决时填写原因。", TEXT_MAX), 22
        ),
        TableColumn(
            "comment", "评审意见", _text_validation("评审意见", "简要评审意见（可不填）。", TEXT_MAX), 30
        ),
    ]


def _assessor_columns(scheme: Scheme) -> list[TableColumn]:
    """The assessor's columns: the indicators it scores, 核定数 of the verifiable self-reported ones, 备注."""
    cols = [
        TableColumn(ind.id, ind.display_label, _validation(ind), 12) for ind in scheme.assessor_indicators
    ]
    for ind in scheme.self_indicators:
        if ind.verifiable:
            v = _validation(ind)
            v["input_title"] = _clip("核定数：" + ind.label, 32)
            v["input_message"] = _clip(
                f"核定数（可不填）：填写后替代{scheme.center_label}自报数计分。" + ind.help, TEXT_MAX
            )
            cols.append(TableColumn(ind.id, "核定数：" + ind.label, v, 14))
    cols.append(
        TableColumn("note", "备注", _text_validation("备注", "需要说明的情况（可不填）。", TEXT_MAX), 20)
    )
    return cols


def _assessment_sections(scheme: Scheme, year: int) -> list[Section]:
    """填报说明 of the reviewer's score sheet or of the assessor workbook."""
    return _review_sections(scheme, year) if _reviewed(scheme) else _assessor_sections(scheme)


def _review_sections(scheme: Scheme, year: int) -> list[Section]:
    sheet = assessment_sheet_name(scheme)
    parts = [
        (f"{p.label}（满分{num(p.max)}分）", p.description or f"按自评报告“{p.label}”部分评分。")
        for p in scheme.parts
    ]
    return [
        (
            "一、评分内容（工作绩效自评报告提纲）",
            parts,
        ),
        (
            "二、填写方法",
            [
                (
                    "评审人",
                    f"在“{sheet}”表第1行右侧的黄色单元格填写评审人姓名。每位评审人填写一份，一人一个文件。",
                ),
                (
                    "评分",
                    f"对每个{scheme.center_label}按上述各部分分别打分，分数不超过该部分满分，可保留两位小数；“合计”自动计算。",
                ),
                (
                    "完整填写",
                    "一行中的各部分分数要么全部填写，要么全部不填；只填了一部分的行不计入结果。",
                ),
                (
                    "一票否决",
                    (
                        scheme.submission.get("remarks", "")
                        + "需否决的，在“一票否决”列选择“是”，并在“否决原因”列写明原因。"
                    ),
                ),
                (
                    "计分方式",
                    f"各评审人合计分的平均值为定性得分；评审人达到{scheme.trim_at}人及以上时，先去掉一个最高分和一个最低分。",
                ),
            ],
        ),
        (
            "三、注意事项",
            [
                (
                    "可填写的单元格",
                    "只有黄色单元格可以填写；不要修改表头、插入或删除行列、修改工作表名称。",
                ),
                ("评估周期", scheme.period or f"{year}年度"),
            ],
        ),
    ]


def _assessor_sections(scheme: Scheme) -> list[Section]:
    neutral = "；".join(f"{i.display_label}未填写按{i.neutral_text}计" for i in scheme.assessor_indicators)
    rules = [
        (f"{i.label}（{i.input_label}）", f"{i.standard}" + (f"（分值：{i.range}）" if i.range else ""))
        for i in scheme.assessor_indicators
    ]
    return [
        (
            "一、填写内容",
            [
                (
                    "考核方填写",
                    f"由考核方对每个{scheme.center_label}填写本表，一行一个{scheme.center_label}。",
                ),
                ("空白的含义", f"空白按中性值计：{neutral}。"),
                (
                    "核定数",
                    f"“核定数：”各列填写经核实的数量；填写后替代{scheme.center_label}自报的数字计分，结果中标注与自报数的差异；不填写则按自报数计分。",
                ),
                (
                    "编号、名称",
                    f"已列出的{scheme.center_label}不能修改；没有名单时在空白行填写编号和名称（与{scheme.center_label}填报表一致）。",
                ),
            ],
        ),
        (_rules_heading(scheme), rules + [("等次", _grade_words(scheme))]),
        (
            "三、注意事项",
            [("可填写的单元格", "只有黄色单元格可以填写；不要修改表头、插入或删除列、修改工作表名称。")],
        ),
    ]


@dataclass(frozen=True)
class TableRow:
    """A row of the assessor or reviewer table: its center, and whether the roster fixed it (locked)."""

    entry: RosterEntry
    fixed: bool


IDENTITY_COLUMNS = ("code", "name", "host_unit")


def write_assessment(
    path: str | Path,
    scheme: Scheme,
    *,
    roster: Sequence[RosterEntry] = (),
    year: int | None = None,
    rows: Mapping[str, Mapping[str, object]] | None = None,
    created: datetime | None = None,
    reviewer: str = "",
) -> Path:
    """Qingdao (absolute): the assessor workbook 考核评价表; Guangdong (relative): the reviewer's 定性评分表
    (reviewer: the 评审人 name to pre-fill, for samples and tests).
    rows: center code -> {column id -> value} to pre-fill; column ids are indicator ids (核定数 for
    self-reported ones), part ids, 'veto', 'veto_reason', 'comment', 'note', and for centers not on the
    roster also 'name' and 'host_unit'."""
    path = Path(path)
    year = year or scheme.year
    scheme = scheme.for_year(year)
    relative = _reviewed(scheme)
    roster = tuple(roster) or (scheme.roster if relative else ())
    rows = rows or {}
    if relative:
        title = scheme.review_title or f"{scheme.name}定性评分表"
    else:
        title = f"{scheme.subject}考核评价表（{year}年度）"
    wb = _workbook(path, year, title, created)
    fmts = _formats(wb)
    _instructions(wb, fmts, "填报说明", f"{title}填报说明", _assessment_sections(scheme, year))
    ws = wb.add_worksheet(assessment_sheet_name(scheme))
    ws.activate()
    cols = _assessment_columns(scheme)
    _assessment_head(wb, ws, fmts, scheme, cols, title, reviewer)
    entries = _table_rows(roster, rows)
    first = 2
    for n, row in enumerate(entries):
        data = rows.get(row.entry.code, {}) if row.entry.code else {}
        _assessment_row(ws, fmts, scheme, cols, first + n, row, data)
    last_row = first + max(len(entries), 1) - 1
    _assessment_validations(ws, cols, entries, first, last_row)
    ws.freeze_panes(2, 3)
    _print_setup(ws, landscape=True, title=title, repeat_row=1, one_page=False)
    # the signatures print at the foot of every page: the table is read by its headers, so no cell below it
    # may hold anything but centers
    sign = REVIEW_SIGN if relative else ASSESSMENT_SIGN
    ws.set_footer(f"&L&10{sign_line(sign)}&R&8第 &P 页，共 &N 页", {"margin": 0.3})
    ws.set_margins(left=0.5, right=0.5, top=0.7, bottom=0.9)
    ws.print_area(0, 0, last_row, len(cols) - 1)
    _protect(ws)
    _write_meta(wb, _meta(scheme, year, method_of(scheme).table))
    return _close(wb, path)


def _assessment_head(
    wb: xlsxwriter.Workbook, ws, fmts, scheme: Scheme, cols: Sequence[TableColumn], title: str, reviewer: str
) -> None:
    """Column widths, the title (and for a reviewer the 评审人 cell beside it) and the header row."""
    last_col = len(cols) - 1
    for n, col in enumerate(cols):
        ws.set_column(n, n, col.width)
    ws.set_row(0, 32)
    if _reviewed(scheme):
        _merge_text(ws, 0, 0, 0, last_col - 2, title, fmts["title"])
        ws.write_string(0, last_col - 1, "评审人", fmts["label_r"])
        if reviewer:
            ws.write_string(0, last_col, reviewer, fmts["input_text"])
        else:
            ws.write_blank(0, last_col, None, fmts["input_text"])
        ws.data_validation(0, last_col, 0, last_col, _text_validation("评审人", "填写评审人姓名。", 30))
        wb.define_name(REVIEWER_NAME, f"='{assessment_sheet_name(scheme)}'!{_abs(0, last_col)}")
    else:
        _merge_text(ws, 0, 0, 0, last_col, title, fmts["title"])
    ws.set_row(1, _height(((c.header, c.width) for c in cols), minimum=30))
    for n, col in enumerate(cols):
        ws.write_string(1, n, col.header, fmts["th"])


def _table_rows(roster: Sequence[RosterEntry], rows: Mapping[str, Mapping[str, object]]) -> list[TableRow]:
    """The roster's centers (fixed), then pre-filled centers not on it; without a roster, blank rows to fill."""
    entries = [TableRow(e, True) for e in roster]
    known = {e.code for e in roster}
    for code, data in rows.items():
        if code not in known:
            entry = RosterEntry(
                code=code, name=str(data.get("name", "")), host_unit=str(data.get("host_unit", ""))
            )
            entries.append(TableRow(entry, False))
    if not roster:
        entries += [TableRow(RosterEntry(code="", name=""), False)] * max(
            0, BLANK_ASSESSMENT_ROWS - len(entries)
        )
    return entries


def _assessment_row(
    ws, fmts, scheme: Scheme, cols: Sequence[TableColumn], r: int, row: TableRow, data: Mapping[str, object]
) -> None:
    """One center's row: its identity (locked when the roster fixed it), the inputs, the reviewer's 合计."""
    entry = row.entry
    ws.set_row(r, _height([(entry.name, cols[1].width), (entry.host_unit, cols[2].width)], minimum=20))
    for c, col in enumerate(cols):
        if col.id in IDENTITY_COLUMNS:
            text = {"code": entry.code, "name": entry.name, "host_unit": entry.host_unit}[col.id]
            if row.fixed:
                ws.write_string(r, c, text, fmts["fixed"])
            elif text:
                ws.write_string(r, c, text, fmts["input_text"])
            else:
                ws.write_blank(r, c, None, fmts["input_text"])
        elif col.id == "total":
            parts = f"{a1(r, 3)}:{a1(r, 3 + len(scheme.parts) - 1)}"
            given = [_number(data.get(p.id)) for p in scheme.parts]
            numbers = [g for g in given if g is not None]
            cached = sum(numbers) if numbers else ""
            ws.write_formula(r, c, f'=IF(COUNT({parts})=0,"",SUM({parts}))', fmts["score"], cached)
        else:
            numeric = col.validation and col.validation["validate"] != "length"
            fmt = fmts["input"] if numeric else fmts["input_text"]
            _write_raw(ws, r, c, data.get(col.id), fmt, fmts["input_date"])


def _assessment_validations(
    ws, cols: Sequence[TableColumn], entries: Sequence[TableRow], first: int, last_row: int
) -> None:
    """Each input column validated down the table; the identity columns only in the rows left open."""
    any_open = any(not row.fixed for row in entries)
    for c, col in enumerate(cols):
        if col.validation is None or (col.id in IDENTITY_COLUMNS and not any_open):
            continue
        if col.id in IDENTITY_COLUMNS:
            for n, row in enumerate(entries):
                if not row.fixed:
                    ws.data_validation(first + n, c, first + n, c, dict(col.validation))
        else:
            ws.data_validation(first, c, last_row, c, dict(col.validation))


# ---------------------------------------------------------------------------------------------- files


def _names(scheme: Scheme, year: int) -> tuple[str, str]:
    stem = f"{scheme.name}_{year}"
    kind = method_of(scheme).table_title
    return f"{stem}_填报模板", f"{stem}_{kind}"


def center_template_name(scheme: Scheme, year: int, entry: RosterEntry) -> str:
    """The file name of a center's pre-filled template (kjjr template --per-center, the 催报 drafts)."""
    return output.file_name(f"{_names(scheme, year)[0]}_{entry.code}_{entry.name}.xlsx")


def generate(scheme: Scheme, out_dir: str | Path, **options: Any) -> list[Path]:
    """What `kjjr template` does (generate_written, which takes the same options); the paths written."""
    return [w.path for w in generate_written(scheme, out_dir, **options)]


def generate_written(
    scheme: Scheme,
    out_dir: str | Path,
    *,
    roster: Sequence[RosterEntry] = (),
    year: int | None = None,
    per_center: bool = False,
    assessment: bool = False,
    progress: Callable[[int], None] | None = None,
    jobs: int | None = None,
) -> list[output.Written]:
    """The blank submission template, one per roster center with per_center (the scheme's own roster when none
    is given), and the assessment workbook with assessment; each with the name it was meant to have, which an
    open file sends beside. `progress(n)` is called with the number of files just written (an increment, as
    ingest does); `jobs`: processes for the per-center templates (default every core, 1: this process only).
    The files do not depend on it."""
    year = year or scheme.year
    out = Path(out_dir)
    output.make_folder(out)
    blank, assess_name = _names(scheme, year)
    done: list[output.Written] = []
    todo = _center_templates(scheme, year, out, roster, assessment) if per_center else []
    wanted = [out / output.file_name(f"{name}.xlsx") for name in (blank, assess_name)]
    rewritten = output.Rewritten([*wanted, *(job.path for job in todo)])

    def tick(wanted: Path, write: Callable[[Path], Path]) -> None:
        done.append(output.Written(write(wanted), wanted))
        if progress is not None:
            progress(1)

    try:
        tick(wanted[0], lambda p: write_submission(p, scheme, year=year))
        paths = _write_centers(scheme, year, todo, progress=progress, jobs=jobs)
        done.extend(output.Written(path, job.path) for path, job in zip(paths, todo, strict=True))
        if assessment:
            tick(wanted[1], lambda p: write_assessment(p, scheme, roster=roster, year=year))
    except OutputError as exc:  # a full disk half-way: how many were written, and where
        raise output.batch_stopped(exc, rewritten.count(), out) from None
    return done


def _center_templates(
    scheme: Scheme, year: int, out: Path, roster: Sequence[RosterEntry], assessment: bool
) -> list[CenterTemplate]:
    """The per-center templates to write (the scheme's own roster when none is given), each its own name."""
    blank, assess_name = _names(scheme, year)
    names = output.UniqueNames()  # codes A/1 and A_1 give two files, not one written twice
    names.add(output.file_name(f"{blank}.xlsx"))
    if assessment:
        names.add(output.file_name(f"{assess_name}.xlsx"))
    return [
        CenterTemplate(out / names.claim(center_template_name(scheme, year, entry)), entry)
        for entry in tuple(roster) or scheme.roster
    ]


@dataclass(frozen=True)
class CenterTemplate:
    """One per-center template to write: where, and for which roster center."""

    path: Path
    entry: RosterEntry


def _write_center(scheme: Scheme, year: int, job: CenterTemplate) -> Path:
    return write_submission(job.path, scheme, center=job.entry, year=year)


def _write_centers(
    scheme: Scheme,
    year: int,
    todo: Sequence[CenterTemplate],
    *,
    progress: Callable[[int], None] | None,
    jobs: int | None,
) -> list[Path]:
    """Per-center templates, on `jobs` cores (default every core) when there are enough of them: XlsxWriter's
    close() is most of a template's cost, and one process writes them one after another."""
    write = functools.partial(_write_center, scheme, year)
    started = time.time()
    try:
        return parallel_map(write, todo, jobs=jobs, min_per_job=CENTERS_PER_JOB, progress=progress)
    except KeyboardInterrupt:  # a worker ended mid-write left its temp file: the files finished stay
        for folder in sorted({job.path.parent for job in todo}):
            output.remove_temp_files(folder, started)
        raise


def regenerate_committed(root: Path) -> list[Path]:
    """Rewrite the committed blank templates under root/'templates' for every shipped scheme (blank submission
    and assessment workbook, at the scheme's own year). Same bytes on every run."""
    out = Path(root) / "templates"
    written: list[Path] = []
    for scheme_id, _, _ in shipped_schemes():
        written += generate(load_scheme(scheme_id), out, assessment=True)
    return written


if __name__ == "__main__":
    for written_path in regenerate_committed(Path.cwd()):
        print(written_path)
