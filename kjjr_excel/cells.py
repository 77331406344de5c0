"""Cell helpers: A1 references (delegated to XlsxWriter's utility), and turning what a clerk typed into a number.

`parse_value` never guesses: an unambiguous variant (full-width digits, thousands separators, a trailing unit,
无 or / for zero, a number stored as text) is normalised and reported; anything else is an error.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from xlsxwriter.utility import xl_cell_to_rowcol, xl_rowcol_to_cell

from .findings import Finding

__all__ = [
    "Parsed",
    "a1",
    "rowcol",
    "parse_value",
    "round_half_up",
    "fmt_decimal",
    "normalise_name",
    "as_text",
    "decode_text",
    "strip_unit",
]

ZERO_WORDS = {"无", "/", "／", "-", "—", "－", "没有", "暂无", "nil", "none", "n/a", "无。", "零"}
YES_WORDS = {"是", "有", "yes", "y", "true", "1", "√"}
NO_WORDS = {"否", "无", "没有", "no", "n", "false", "0", "×"}
UNITS = ("万元", "人次", "个月", "家", "项", "场", "条", "名", "人", "次", "分", "个", "元", "月", "户", "笔")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_GROUPED = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?")


@functools.lru_cache(maxsize=8192)
def a1(row: int, col: int) -> str:
    """Zero-based (row, col) to an A1 reference (memoised: the same template cells recur in every file)."""
    return xl_rowcol_to_cell(row, col)


def rowcol(ref: str) -> tuple[int, int]:
    """An A1 reference to zero-based (row, col)."""
    return xl_cell_to_rowcol(ref)


@dataclass(frozen=True)
class Parsed:
    """The outcome of reading one input cell: the value (None when unusable) and what to report."""

    value: Decimal | bool | None
    code: str = ""  # a finding code from findings.CODES, or "" when the value was clean
    fields: tuple[tuple[str, str], ...] = ()

    @property
    def ok(self) -> bool:
        return self.value is not None


def parsed_finding(parsed: Parsed, ind, raw: object, typed: str, *, label: str, **where: str) -> Finding:
    """The finding of a cell parse_value reported on (parsed.code set): the message names the indicator by
    `label` (as the clerk sees it where the value was typed: a submission's row, an assessment's column), the
    value as read, the bounds; the finding keeps the value as typed. `where`: file, sheet, cell, center."""
    fields: dict[str, object] = dict(parsed.fields)
    fields.setdefault("raw", as_text(raw))
    fields.setdefault("max", fmt_decimal(ind.max))
    fields["places"] = str(ind.places)
    fields.setdefault("value", "" if parsed.value is None else as_text(parsed.value))
    return Finding.make_typed(parsed.code, typed, indicator=ind.id, label=label, **fields, **where)


def round_half_up(value: Decimal, places: int = 2) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def fmt_decimal(value: Decimal | None, places: int | None = None) -> str:
    """Plain text of a number: no exponent, no trailing zeros unless places is given."""
    if value is None:
        return ""
    if places is not None:
        return f"{round_half_up(Decimal(value), places):f}"
    text = f"{Decimal(value).normalize():f}"
    return text


def normalise_name(text: str) -> str:
    """Key for matching names: NFKC (full-width to half-width), no spaces, no brackets' width differences."""
    if text.__class__ is str:
        return _normalised(text)  # names and codes recur across a batch: memoised
    return _normalise(text)


def _normalise(text: object) -> str:
    text = unicodedata.normalize("NFKC", str(text or ""))
    return _SPACES.sub("", text).strip().lower()


_SPACES = re.compile(r"\s+")
_normalised = functools.lru_cache(maxsize=65536)(_normalise)


@functools.lru_cache(maxsize=65536)
def _decimal_text(value: Decimal, signed: bool) -> str:
    """fmt_decimal memoised: clerks' figures recur across a batch. Equal decimals print alike (1.0 and 1 both
    as 1), except -0 and 0, which compare equal: the sign is part of the key."""
    return fmt_decimal(value)


def as_text(value: object) -> str:
    """A cell value as the clerk would read it on screen."""
    if value.__class__ is str:  # most cells: checked first
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return fmt_decimal(Decimal(repr(value)))
    if isinstance(value, Decimal):
        return _decimal_text(value, value.is_signed()) if value.is_finite() else fmt_decimal(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S").removesuffix(" 00:00:00")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value).strip()


def parse_value(
    raw: object, *, type: str, places: int = 0, maximum: Decimal | None = None, minimum: Decimal = Decimal(0)
) -> Parsed:
    """Read one input cell's value for an indicator of the given type (integer, decimal or bool)."""
    if type == "bool":
        return _parse_bool(raw)
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        return Parsed(None, "value-missing")
    if isinstance(raw, bool):
        return Parsed(None, "value-not-number", (("raw", as_text(raw)),))
    if isinstance(raw, datetime | date | time):
        return Parsed(None, "value-date", (("raw", as_text(raw)),))
    note = ""
    if isinstance(raw, int | float):
        if raw != raw or raw in (float("inf"), float("-inf")):
            return Parsed(None, "value-not-number", (("raw", as_text(raw)),))
        value = Decimal(repr(raw)) if isinstance(raw, float) else Decimal(raw)
    else:
        value, note = _parse_text(str(raw))
        if value is None:
            return Parsed(None, note or "value-not-number", (("raw", as_text(raw)),))
    return _check_number(value, raw, note, type=type, places=places, maximum=maximum, minimum=minimum)


def _check_number(
    value: Decimal,
    raw: object,
    note: str,
    *,
    type: str,
    places: int,
    maximum: Decimal | None,
    minimum: Decimal,
) -> Parsed:
    raw_text = as_text(raw)
    if value < minimum:
        return Parsed(
            None,
            "value-negative" if value < 0 else "value-over-max",
            (("raw", raw_text), ("max", fmt_decimal(maximum))),
        )
    if maximum is not None and value > maximum:
        return Parsed(None, "value-over-max", (("raw", raw_text), ("max", fmt_decimal(maximum))))
    if type == "integer" and value != value.to_integral_value():
        return Parsed(None, "value-not-integer", (("raw", raw_text),))
    if type == "integer":
        value = value.quantize(Decimal(1))
    elif type == "decimal" and -value.as_tuple().exponent > places:
        # more places than the scheme keeps: round and warn, the order of magnitude is unchanged
        value = round_half_up(value, places)
        note = note or "value-too-many-places"
    return Parsed(value, note, (("raw", raw_text), ("value", fmt_decimal(value)), ("places", str(places))))


def _parse_text(text: str) -> tuple[Decimal | None, str]:
    """(value, finding code) for a number typed as text; (None, code) when it is not one number."""
    original = text.strip()
    s = unicodedata.normalize("NFKC", original).strip().replace(" ", "").replace("\u3000", "")
    if s.lower() in ZERO_WORDS or original in ZERO_WORDS:
        return Decimal(0), "value-zero-word"
    if re.fullmatch(r"\d{4}[-/.年]\d{1,2}([-/.月]\d{1,2}日?)?", s):
        return None, "value-date"
    changed = s != original
    for unit in UNITS:
        if s.endswith(unit) and len(s) > len(unit):
            s = s[: -len(unit)]
            changed = True
            break
    if _GROUPED.fullmatch(s):
        s = s.replace(",", "")
        changed = True
    if not _NUMBER.fullmatch(s):
        return None, "value-not-number"
    try:
        value = Decimal(s)
    except InvalidOperation:
        return None, "value-not-number"
    return value, "value-normalised" if changed else "value-text-number"


def _parse_bool(raw: object) -> Parsed:
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        return Parsed(None, "value-missing")
    if isinstance(raw, bool):
        return Parsed(raw)
    text = unicodedata.normalize("NFKC", as_text(raw)).strip().lower()
    if text in YES_WORDS:
        return Parsed(
            True, "" if text == "是" else "value-normalised", (("raw", as_text(raw)), ("value", "是"))
        )
    if text in NO_WORDS:
        return Parsed(
            False, "" if text == "否" else "value-normalised", (("raw", as_text(raw)), ("value", "否"))
        )
    return Parsed(None, "value-bool", (("raw", as_text(raw)),))


def decode_text(raw: bytes) -> str | None:
    """Text of a CSV as saved by Excel or WPS on a Chinese machine: UTF-8 (with or without BOM) or GB18030."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def strip_unit(label: str) -> str:
    """'撮合贷款金额（万元）' -> '撮合贷款金额': a seed label without its trailing unit."""
    return re.sub(r"（[^（）]*）$", "", label)
