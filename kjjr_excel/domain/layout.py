"""Where things are on a submission sheet: the one place that fixes the cell of every header field and input.

Template writing and ingestion both derive from `layout(scheme)`, and the fingerprint stored in `_meta` is a
hash of it, so a template whose rows were moved is recognised as tampered.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from kjjr_excel.domain.methods import method_of
from kjjr_excel.domain.parse import a1
from kjjr_excel.domain.scheme import Indicator, Scheme, shipped_schemes

HEADER_FIELDS: tuple[tuple[str, str], ...] = (
    ("center_name", "{center}名称"),
    ("center_code", "编号"),
    ("host_unit", "依托单位"),
    ("report_year", "{year}"),
    ("filler_name", "填报人"),
    ("filler_phone", "联系电话"),
    ("fill_date", "填报日期"),
)
META_SHEET = "_meta"
META_KEYS = ("scheme_id", "scheme_version", "year", "center_code", "template_version", "fingerprint", "kind")
# The feedback workbooks this tool writes, by the `kind` their `_meta` holds, and what each is called: one of
# them found in an inbox (copied there, or written there by publish) is said to be ours, never a submission.
OUTPUT_KINDS = {"receipt": "回执", "report": "校验报告", "reminders": "催报名单", "payment": "补助发放清单"}

ABSOLUTE_COLUMNS = ("序号", "类别", "内容", "计分标准", "分值", "{value}", "单位", "预计得分", "备注")
RELATIVE_COLUMNS = ("一级指标", "二级指标", "{value}", "单位", "填报提示")

HEADER_ROW0 = 2  # zero-based row of the first header field (row 3)
TABLE_HEADER_ROW0 = HEADER_ROW0 + len(HEADER_FIELDS) + 1  # row 11


@dataclass(frozen=True)
class Layout:
    sheet: str
    columns: tuple[str, ...]
    label_col: int  # zero-based column of the indicator label (内容 / 二级指标)
    category_col: int
    value_col: int
    header_label_col: int
    header_value_col: int
    header_rows: dict[str, int]  # field -> zero-based row
    header_labels: dict[str, str]
    table_header_row: int
    rows: dict[str, int]  # self-reported indicator id -> zero-based row
    assessor_rows: dict[str, int]  # assessor indicator id -> row (preview only, not input)
    last_indicator_row: int
    fingerprint: str
    # the instructions sheet beside it, which repeats every label (never the table); not in the fingerprint
    instructions_sheet: str = "填报说明"

    def header_cell(self, field: str) -> str:
        return a1(self.header_rows[field], self.header_value_col)

    def value_cell(self, indicator_id: str) -> str:
        return a1(self.rows[indicator_id], self.value_col)

    @property
    def width(self) -> int:
        return len(self.columns)


def _layout(
    preview: str,
    sheet: str,
    value_header: str,
    center_label: str,
    year_label: str,
    indicators: tuple[Indicator, ...],
    instructions_sheet: str,
) -> Layout:
    relative = preview == "hints"  # no score column: the score depends on the other centers
    columns = tuple(
        c.format(value=value_header) for c in (RELATIVE_COLUMNS if relative else ABSOLUTE_COLUMNS)
    )
    header_rows = {f: HEADER_ROW0 + n for n, (f, _) in enumerate(HEADER_FIELDS)}
    header_labels = {f: lbl.format(center=center_label, year=year_label) for f, lbl in HEADER_FIELDS}
    rows: dict[str, int] = {}
    assessor_rows: dict[str, int] = {}
    row = TABLE_HEADER_ROW0 + 1
    for ind in indicators:
        if ind.source == "self":
            rows[ind.id] = row
            row += 1
    for ind in indicators:
        if ind.source == "assessor":
            assessor_rows[ind.id] = row
            row += 1
    value_col = columns.index(value_header)
    label_col = 1 if relative else 2
    category_col = 0 if relative else 1
    shape = {
        "sheet": sheet,
        "columns": columns,
        "value_col": value_col,
        "header_rows": header_rows,
        "header_labels": header_labels,
        "rows": rows,
        "assessor_rows": assessor_rows,
        "labels": {i.id: [i.category, i.label] for i in indicators},
    }
    fingerprint = hashlib.sha256(json.dumps(shape, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[
        :16
    ]
    return Layout(
        sheet=sheet,
        columns=columns,
        label_col=label_col,
        category_col=category_col,
        value_col=value_col,
        header_label_col=0,
        header_value_col=2 if not relative else 1,
        header_rows=header_rows,
        header_labels=header_labels,
        table_header_row=TABLE_HEADER_ROW0,
        rows=rows,
        assessor_rows=assessor_rows,
        last_indicator_row=row - 1,
        fingerprint=fingerprint,
        instructions_sheet=instructions_sheet,
    )


def build_layout(scheme: Scheme) -> Layout:
    """Work out the submission sheet's layout for a scheme (`layout` gives the one memoised on the scheme)."""
    return _layout(
        method_of(scheme).preview,
        scheme.submission.get("sheet", "填报表"),
        scheme.submission.get("value_header", "填报数"),
        scheme.center_label,
        scheme.year_label,
        scheme.indicators,
        scheme.submission.get("instructions_sheet", "填报说明"),
    )


def layout(scheme: Scheme) -> Layout:
    """The submission sheet's layout for a scheme (worked out once per scheme object: the hot path asks for
    it for every file)."""
    return scheme.sheet_layout


def same_form(meta: dict[str, str], scheme: Scheme) -> bool:
    """Whether a workbook whose `_meta` names another scheme was made for this scheme's form all the same: a
    copy of a shipped scheme (kjjr scheme new) that only changes the scoring (the budget the 市科技局 sets
    after the assessment, another benchmark) keeps the title and the layout, so the forms and tables the
    clerks and assessors already returned are read. Another assessment's form (another title or layout) is
    not."""
    other = meta.get("scheme_id", "")
    if not other or other == scheme.id:
        return True
    if meta.get("fingerprint") != layout(scheme).fingerprint:
        return False
    return scheme_title(other, scheme.name) == scheme.name


def other_scheme_names(scheme_id: str, scheme: Scheme) -> tuple[str, str]:
    """(the workbook's scheme, this run's) as the wrong-scheme finding names them: by title, and by id as well
    where the titles are the same (a copy of the shipped scheme whose form was changed)."""
    actual = scheme_title(scheme_id, scheme_id)
    if actual != scheme.name:
        return actual, scheme.name
    return f"{actual}（方案 {scheme_id}）", f"{scheme.name}（方案 {scheme.id}）"


def scheme_title(scheme_id: str, default: str) -> str:
    """The title a clerk knows a shipped scheme by; default for a scheme of the user's own."""
    return {sid: name for sid, _, name in shipped_schemes()}.get(scheme_id, default)
