"""Cell helpers: A1 references, and turning what a clerk typed into a number.

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
from types import MappingProxyType
from typing import TYPE_CHECKING

from kjjr_excel.domain.findings import Finding

if TYPE_CHECKING:
    from kjjr_excel.domain.scheme import Indicator

__all__ = [
    "Parsed",
    "a1",
    "parse_value",
    "round_half_up",
    "fmt_decimal",
    "normalise_name",
    "as_text",
    "screen_text",
    "decode_text",
    "strip_unit",
    "unusable_formula",
]

# a dash doubled is how Chinese forms write one (破折号 ——, or -- on a keyboard): the same as a single dash
ZERO_WORDS = frozenset(
    {"无", "/", "／", "-", "—", "－", "--", "——", "没有", "暂无", "nil", "none", "n/a", "无。", "零"}
)
YES_WORDS = frozenset({"是", "有", "yes", "y", "true", "1", "√"})
NO_WORDS = frozenset({"否", "无", "没有", "no", "n", "false", "0", "×"})
# Units a clerk may write after a figure. Only the field's own unit (the scheme's indicator unit) is ever just
# dropped; any other is converted exactly when it is a multiple of the field's unit, else it is an error.
UNITS = ("万元", "人次", "个月", "家", "项", "场", "条", "名", "人", "次", "分", "个", "元", "月", "户", "笔")
MONEY_UNITS = MappingProxyType({"元": 1, "千元": 10**3, "万元": 10**4, "百万元": 10**6, "亿元": 10**8})
MULTIPLIERS = MappingProxyType({"千": 10**3, "万": 10**4, "亿": 10**8})
# Units that name the same thing, accepted beside a figure or in a retyped table's label (按时提报统计信息的
# 月数（月）, 专职人员（人）, 撮合贷款金额（万）) and in a figure's own cell ("4人" for 名, read as 4 with a note):
# counts, and 万 for 万元 (the same amount; 元 and 万元 differ by 10,000).
SAME_UNITS = MappingProxyType(
    {
        "个月": ("月",),
        "月": ("个月",),
        "名": ("人", "位"),
        "人": ("名", "位"),
        "场": ("场次", "次"),
        "家": ("个", "户"),
        "项": ("个",),
        "万元": ("万",),
    }
)


def known_unit(text: str) -> bool:
    """Whether a (normalised) text is a unit a clerk writes: a count, an amount of money, 千 万 亿, or a count
    in tens to hundreds of millions (万条, 百家, 万人次: never the row's own unit)."""
    if text in UNITS or text in MONEY_UNITS or text in MULTIPLIERS:
        return True
    return any(text.startswith(scale) and text[len(scale) :] in UNITS for scale in SCALES)


SCALES = ("十", "百", "千", "万", "十万", "百万", "千万", "亿")


def unit_agrees(written: str, own: str) -> bool:
    """Whether a unit written beside a figure or after its label (normalised) is the row's own (normalised)."""
    return written == own or written in SAME_UNITS.get(own, ())


_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
# digits grouped by three with one kind of separator (1,200 / 1 200 000), as Excel and WPS print them
_GROUPED = re.compile(r"[+-]?\d{1,3}(?P<sep>[, ])\d{3}((?P=sep)\d{3})*(\.\d+)?")
# A date as typed: 2019-05, 2019/5/1, 2019年5月, 2019.5.1 (a year of this or the last century). A dot with
# no day is a decimal point, as every spreadsheet reads it: 1250.5 and 2019.12 万元 are amounts, not dates.
_DATE_TEXT = re.compile(
    r"(19|20)\d{2}\s*(?:[-/年]\s*\d{1,2}(\s*[-/.月]\s*(\d{1,2}日?)?)?|\.\s*\d{1,2}\s*\.\s*\d{1,2}日?)"
)
_FIGURE = re.compile(r"(?P<num>[+-]?[\d., ]*\d\.?)\s*(?P<suffix>[^\d\s.,+-]*)")


# Safe to memoise: a pure function of two small ints, and the same template cells recur in every file.
@functools.lru_cache(maxsize=8192)
def a1(row: int, col: int) -> str:
    """Zero-based (row, col) to an A1 reference: (0, 0) -> A1, (9, 26) -> AA10; '' for a negative index."""
    if row < 0 or col < 0:
        return ""
    letters = ""
    n = col + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row + 1}"


@dataclass(frozen=True)
class Parsed:
    """The outcome of reading one input cell: the value (None when unusable) and what to report."""

    value: Decimal | bool | None
    code: str = ""  # a finding code from findings.CODES, or "" when the value was clean
    fields: tuple[tuple[str, str], ...] = ()

    @property
    def ok(self) -> bool:
        return self.value is not None


def parsed_finding(
    parsed: Parsed, ind: Indicator, raw: object, typed: str, *, label: str, **where: str
) -> Finding:
    """The finding of a cell parse_value reported on (parsed.code set): the message names the indicator by
    `label` (as the clerk sees it where the value was typed: a submission's row, an assessment's column), the
    value as read, the bounds; the finding keeps the value as typed. `where`: file, sheet, cell, center."""
    fields: dict[str, object] = dict(parsed.fields)
    fields.setdefault("raw", as_text(raw))
    fields.setdefault("max", fmt_decimal(ind.max))
    fields["places"] = str(ind.places)
    fields.setdefault("value", "" if parsed.value is None else as_text(parsed.value))
    return Finding.make_typed(parsed.code, typed, indicator=ind.id, label=label, **fields, **where)


def unusable_formula(formula: tuple[str, bool, str], typed: str, **fields: str) -> Finding | None:
    """The error of a typed formula that gives no value to read: no saved result (re-save it), or an error
    value such as #DIV/0! as its result (which re-saving keeps); None when its saved result can be read."""
    if formula[2]:
        return Finding.make_typed("formula-error", typed, raw=typed, error=formula[2], **fields)
    if not formula[1]:
        return Finding.make_typed("formula-no-cache", typed, raw=typed, **fields)
    return None


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
# Safe to memoise: a pure function of a str (only str keys reach it), and names and codes recur in a batch.
_normalised = functools.lru_cache(maxsize=65536)(_normalise)


@functools.lru_cache(maxsize=65536)
def _decimal_text(value: Decimal, signed: bool) -> str:
    """fmt_decimal memoised: clerks' figures recur across a batch. Safe because equal decimals print alike (1.0
    and 1 both as 1), except -0 and 0, which compare equal: the sign is part of the key."""
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


def screen_text(value: object, type: str = "") -> str:
    """A cell as the clerk's spreadsheet shows it, for an indicator of `type`: a boolean cell (TRUE typed into
    a count) reads TRUE/FALSE in Excel, WPS and LibreOffice alike, so a message quoting 是/否 would name a
    value the clerk cannot find; in a yes/no indicator it is the answer, shown as as_text gives it (是/否)."""
    if isinstance(value, bool) and type != "bool":
        return "TRUE" if value else "FALSE"
    return as_text(value)


# A spreadsheet keeps 15 significant digits: a figure from 10^15 up was not typed as an exact count (and
# 10^28 and up would overflow Decimal's default precision where a count is rounded to a whole number)
EXACT_LIMIT = Decimal(10) ** 15


def parse_value(
    raw: object,
    *,
    type: str,
    places: int = 0,
    maximum: Decimal | None = None,
    minimum: Decimal = Decimal(0),
    unit: str = "",
) -> Parsed:
    """Read one input cell's value for an indicator of the given type (integer, decimal or bool) whose unit
    is `unit` (the only unit that may trail the figure unconverted)."""
    if type == "bool":
        return _parse_bool(raw)
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        return Parsed(None, "value-missing")
    if isinstance(raw, bool):
        return Parsed(None, "value-not-number", (("raw", screen_text(raw, type)),))
    if isinstance(raw, datetime | date | time):
        return Parsed(None, "value-date", (("raw", as_text(raw)),))
    note = ""
    if isinstance(raw, int | float):
        if raw != raw or raw in (float("inf"), float("-inf")):
            return Parsed(None, "value-not-number", (("raw", as_text(raw)),))
        value = Decimal(repr(raw)) if isinstance(raw, float) else Decimal(raw)
    else:
        value, note = _parse_text(str(raw), unit)
        if value is None:
            return Parsed(None, note or "value-not-number", (("raw", as_text(raw)), ("unit", unit)))
    return _check_number(
        value, raw, note, type=type, places=places, maximum=maximum, minimum=minimum, unit=unit
    )


def _check_number(
    value: Decimal,
    raw: object,
    note: str,
    *,
    type: str,
    places: int,
    maximum: Decimal | None,
    minimum: Decimal,
    unit: str = "",
) -> Parsed:
    raw_text = as_text(raw)
    if value < minimum:  # "填写0或正数" only where 0 is allowed
        if value < 0 and minimum <= 0:
            return Parsed(None, "value-negative", (("raw", raw_text),))
        return Parsed(None, "value-under-min", (("raw", raw_text), ("min", fmt_decimal(minimum))))
    if maximum is not None and value > maximum:
        return Parsed(None, "value-over-max", (("raw", raw_text), ("max", fmt_decimal(maximum))))
    if (
        abs(value) >= EXACT_LIMIT
    ):  # no count or amount is that large; a spreadsheet cannot even hold it exactly
        return Parsed(None, "value-too-large", (("raw", raw_text), ("unit", unit)))
    converted = note == "value-unit-converted"
    if converted:  # 5000.0000 from 50000000元: as few places as the exact figure needs
        value = value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()
    shown = (("raw", raw_text), ("value", fmt_decimal(value)), ("unit", unit), ("places", str(places)))
    if type == "integer" and value != value.to_integral_value():
        # a count converted from another unit that is not whole was not an exact figure in the first place
        return Parsed(None, "value-unit-inexact" if converted else "value-not-integer", shown)
    if type == "integer":
        value = value.quantize(Decimal(1))
    elif type == "decimal" and -value.as_tuple().exponent > places and not converted:
        # (a converted figure keeps every place it has: rounding it would change what the clerk wrote)
        # more places than the scheme keeps: round and warn, the order of magnitude is unchanged
        value = round_half_up(value, places)
        note = note or "value-too-many-places"
    return Parsed(
        value,
        note,
        (("raw", raw_text), ("value", fmt_decimal(value)), ("places", str(places)), ("unit", unit)),
    )


def _parse_text(text: str, unit: str = "") -> tuple[Decimal | None, str]:
    """(value, finding code) for a number typed as text; (None, code) when it is not one number."""
    original = text.strip()
    s = unicodedata.normalize("NFKC", original).strip()  # full-width digits, commas and spaces to ASCII
    s = _SPACES.sub(" ", s)
    if s.lower() in ZERO_WORDS or original in ZERO_WORDS:
        return Decimal(0), "value-zero-word"
    if _DATE_TEXT.fullmatch(s):
        return None, "value-date"
    m = _FIGURE.fullmatch(s)
    if m is None:
        return None, "value-not-number"
    number, suffix = m.group("num").strip(), m.group("suffix")
    changed = s != original
    if _GROUPED.fullmatch(number):
        number = number.replace(",", "").replace(" ", "")
        changed = True
    if not _NUMBER.fullmatch(number):
        return None, "value-not-number"  # "12 3", "1,2345": not a figure as any program prints one
    try:
        value = Decimal(number)
    except InvalidOperation:
        return None, "value-not-number"
    if not suffix:
        return value, "value-normalised" if changed else "value-text-number"
    if suffix.startswith("(") and suffix.endswith(")"):  # 30（家）
        suffix = suffix[1:-1].strip()
    own = unicodedata.normalize("NFKC", unit).strip()
    factor = _unit_factor(suffix, own)
    if factor is None:
        bare = suffix.lstrip("".join(MULTIPLIERS))
        return None, "value-unit-wrong" if known_unit(suffix) or known_unit(bare) else "value-not-number"
    if factor == 1:
        return value, "value-normalised"
    return value * factor, "value-unit-converted"


def _unit_factor(suffix: str, own: str) -> Decimal | None:
    """How many of the field's unit one `suffix` is (1: the field's own unit); None when it is no multiple."""
    if suffix == own or unit_agrees(suffix, own):  # 4人 for 名, 3次 for 场, 50万 for 万元
        return Decimal(1)
    if own in MONEY_UNITS:
        # a bare 亿 is 亿元 (a bare 千 in a 万元 field could be 千元 or 千万元: no multiple, an error)
        base = MONEY_UNITS.get("亿元" if suffix == "亿" else suffix)
        return None if base is None else Decimal(base) / Decimal(MONEY_UNITS[own])
    for word, times in MULTIPLIERS.items():  # 1.2万人次, 3千 in a count
        if suffix in (word, f"{word}{own}") and own and own not in MONEY_UNITS:
            return Decimal(times)
    return None


def _parse_bool(raw: object) -> Parsed:
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        return Parsed(None, "value-missing")
    if isinstance(raw, bool):
        return Parsed(raw)
    text = unicodedata.normalize("NFKC", as_text(raw)).strip().lower()
    if text in YES_WORDS:
        return Parsed(
            True, "" if text == "是" else "value-yes-no-word", (("raw", as_text(raw)), ("value", "是"))
        )
    if text in NO_WORDS:
        return Parsed(
            False, "" if text == "否" else "value-yes-no-word", (("raw", as_text(raw)), ("value", "否"))
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
