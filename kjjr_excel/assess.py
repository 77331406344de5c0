"""Assessor workbooks (Qingdao 考核评价表) and reviewer sheets (Guangdong 定性评分表): rows -> per-center data.

The workbooks are tables read by their headers (ingest.read_table); this module is pure: it turns those rows
into assessor values, verified counts, qualitative totals and vetoes, with findings for what is unusable.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from .cells import as_text, fmt_decimal, normalise_name, parse_value, parsed_finding
from .findings import Finding
from .scheme import Scheme

Row = Mapping[str, tuple[object, str]]  # header text -> (value, A1 cell)
CODE_HEADERS = ("编号",)
NAME_HEADERS = ("名称",)  # and the scheme's own: 分中心名称, 服务站名称
VETO_HEADER = "一票否决"
VETO_REASON_HEADER = "否决原因"


@dataclass
class Assessment:
    """What the assessor decided for one center."""

    values: dict[str, Decimal | bool] = field(default_factory=dict)  # assessor indicator id -> value
    verified: dict[str, Decimal] = field(default_factory=dict)  # self-reported id -> 核定数
    cells: dict[str, str] = field(default_factory=dict)  # indicator id -> the cell it was read from
    file: str = ""
    sheet: str = ""


@dataclass
class Review:
    total: Fraction | None  # None: the row was incomplete and only carries a veto
    file: str
    veto: bool = False
    reason: str = ""


def _cell(row: Row, *names: str, startswith: bool = False) -> tuple[object, str] | None:
    wanted = [normalise_name(n) for n in names]
    for header, found in row.items():
        key = normalise_name(header)
        if any(key == w or (startswith and key.startswith(w)) for w in wanted):
            return found
    return None


def _assessor_headers(scheme: Scheme, ind) -> list[str]:
    """Headers an assessor's column may carry: the template's (较大失误次数), or the seed's indicator name
    when no other assessor field shares it (重大贡献 — but not 工作落实, which names two fields)."""
    names = [ind.input_label] if ind.input_label else []
    if sum(1 for other in scheme.assessor_indicators if other.label == ind.label) == 1:
        names.append(ind.label)
    return names


def _verified_cell(row: Row, ind) -> tuple[object, str] | None:
    """A 核定数 column for a self-reported indicator: '核定数：征集科技型中小企业信息' as the template writes it,
    or any header naming 核定 together with the indicator's name."""
    names = {normalise_name(n) for n in (ind.label, ind.input_label) if n}
    for header, found in row.items():
        key = normalise_name(header)
        if "核定" in key and any(n in key for n in names):
            return found
    return None


def row_identity(row: Row, center_label: str = "") -> tuple[str, str, str]:
    """(code, name, cell of the name) of a table row; the name under 名称 or the scheme's 分中心名称."""
    code = _cell(row, *CODE_HEADERS)
    name = _cell(row, *NAME_HEADERS, *([f"{center_label}名称"] if center_label else []))
    return (as_text(code[0]) if code else "", as_text(name[0]) if name else "", name[1] if name else "")


Resolver = Callable[[str, str], str | None]  # (code, name) -> center key, or None when unknown


def _unknown(code: str, file: str, sheet: str, cell: str, who: str) -> Finding:
    return Finding.make(code, file=file, sheet=sheet, cell=cell, center=who, value=who, name=who)


def read_assessments(
    scheme: Scheme, tables: Sequence[tuple[str, str, Sequence[Row]]], resolve: Resolver
) -> tuple[dict[str, Assessment], list[Finding]]:
    """tables: (file, sheet, rows). Later files and rows win for the same center (and say so)."""
    out: dict[str, Assessment] = {}
    seen: dict[str, list[tuple[str, str, str, str]]] = {}  # key -> (name shown, file, sheet, cell) per row
    findings: list[Finding] = []
    for file, sheet, rows in tables:
        for row in rows:
            code, name, name_cell = row_identity(row, scheme.center_label)
            if not code and not name:
                continue
            key = resolve(code, name)
            if key is None:
                findings.append(_unknown("assessment-unknown-center", file, sheet, name_cell, name or code))
                continue
            assessment = Assessment(file=file, sheet=sheet)
            for ind in scheme.assessor_indicators:
                found = _cell(row, *_assessor_headers(scheme, ind), startswith=True)
                if found is None or as_text(found[0]) == "":
                    continue
                findings.extend(_parse_into(assessment, assessment.values, ind, found, name))
            for ind in scheme.self_indicators:
                if not ind.verifiable:
                    continue
                found = _verified_cell(row, ind)
                if found is None or as_text(found[0]) == "":
                    continue
                findings.extend(_parse_into(assessment, assessment.verified, ind, found, name))
            seen.setdefault(key, []).append((name or code, file, sheet, name_cell))
            out[key] = assessment
    for places in seen.values():
        if len(places) > 1:
            who, file, sheet, cell = places[-1]
            findings.append(
                Finding.make(
                    "assessment-duplicate",
                    file=file,
                    sheet=sheet,
                    cell=cell,
                    center=who,
                    name=who,
                    count=len(places),
                )
            )
    return out, findings


def _parse_into(
    assessment: Assessment, target: dict, ind, found: tuple[object, str], name: str
) -> list[Finding]:
    """Read one cell of an assessment row into target (values or verified), remembering where it was."""
    raw, cell = found
    file, sheet = assessment.file, assessment.sheet
    assessment.cells[ind.id] = cell
    parsed = parse_value(
        raw, type=ind.type, places=ind.places, maximum=ind.max, minimum=ind.min, unit=ind.unit
    )
    if parsed.value is not None:
        target[ind.id] = parsed.value
    if not parsed.code:
        return []
    # the column's header: an assessor field's own (较大失误次数), a 核定数 column names the indicator
    label = ind.display_label if ind.source == "assessor" else ind.label
    where = {"file": file, "sheet": sheet, "cell": cell, "center": name}
    return [parsed_finding(parsed, ind, raw, as_text(raw), label=label, **where)]


def read_reviews(
    scheme: Scheme, tables: Sequence[tuple[str, str, Sequence[Row]]], resolve: Resolver
) -> tuple[dict[str, list[Review]], list[Finding]]:
    """Reviewer sheets: a complete row gives a total; a partly filled row is a finding and is left out;
    一票否决 = 是 vetoes the center, naming the file."""
    out: dict[str, list[Review]] = {}
    findings: list[Finding] = []
    for file, sheet, rows in sorted(tables, key=lambda t: t[0]):
        for row in rows:
            code, name, name_cell = row_identity(row, scheme.center_label)
            if not code and not name:
                continue
            parts: list[tuple[object, str]] = []
            missing: list[str] = []
            over = None
            for part in scheme.parts:
                found = _cell(row, part.label, startswith=True)
                if found is None or as_text(found[0]) == "":
                    missing.append(part.label)
                    parts.append((None, found[1] if found else ""))
                    continue
                parsed = parse_value(found[0], type="decimal", places=2, maximum=part.max)
                if parsed.value is None:
                    over = (part, found, parsed.code)
                parts.append((parsed.value, found[1]))
            veto_cell = _cell(row, VETO_HEADER)
            reason_cell = _cell(row, VETO_REASON_HEADER)
            veto = veto_cell is not None and parse_value(veto_cell[0], type="bool").value is True
            filled = len(scheme.parts) - len(missing)
            if filled == 0 and not veto:
                continue
            key = resolve(code, name)
            if key is None:
                findings.append(_unknown("review-unknown-center", file, sheet, name_cell, name or code))
                continue
            review = Review(
                total=None, file=file, veto=veto, reason=as_text(reason_cell[0]) if reason_cell else ""
            )
            if veto:
                findings.append(
                    Finding.make(
                        "review-veto",
                        file=file,
                        sheet=sheet,
                        cell=veto_cell[1] if veto_cell else "",
                        center=name,
                        name=name or code,
                        reason=review.reason or "未注明原因",
                        center_label=scheme.center_label,
                        failing=scheme.failing_grade,
                    )
                )
            if over is not None:  # a score over the part's maximum, or no score at all ('优', a date, -5)
                part, (raw, cell), parse_code = over
                findings.append(
                    Finding.make(
                        "review-over-max" if parse_code == "value-over-max" else "review-not-number",
                        file=file,
                        sheet=sheet,
                        cell=cell,
                        center=name,
                        value=as_text(raw),
                        name=name or code,
                        label=part.label,
                        raw=as_text(raw),
                        max=fmt_decimal(part.max),
                    )
                )
            elif missing and filled:
                findings.append(
                    Finding.make(
                        "review-partial",
                        file=file,
                        sheet=sheet,
                        cell=name_cell,
                        center=name,
                        name=name or code,
                        missing="、".join(missing),
                    )
                )
            elif not missing:
                review.total = sum((Fraction(v) for v, _ in parts), Fraction(0))
                out.setdefault(key, []).append(review)
                continue
            if veto:  # an incomplete row still carries its veto
                out.setdefault(key, []).append(review)
    return out, findings
