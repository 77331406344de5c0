"""An indicator's printed scoring standard and range kept true to its rule.

A scheme's `standard` is the notice's sentence (每年收集30家……基本分5分，每多录入一家加0.25分), printed on the
template beside the form; its `rule` is what scores. An office that raises a target (SPEC §2: Qingdao's 30
enterprises to 40) changes `target = 40` and may well leave the sentence as it was: the clerks would then read
30 while they are scored against 40. The stated figures of a rule (RULE_PARAMS: a linear step's base, step and
target, a shortfall's full score, step and target, ...) are looked for in the sentence:

- all there: nothing changes (every shipped indicator);
- exactly one rule figure missing and exactly one figure of the sentence that is none of the rule's: that figure
  is the old one, and is replaced by the rule's wherever it stands (30 -> 40), with a note saying so;
- otherwise the sentence cannot be told apart: it is kept, with a note asking the office to correct it.

The range (分值：0-10) is the rule's min and max; one that says other figures is rewritten from them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

__all__ = ["Worded", "agree", "figure_text"]

_NUMBER = re.compile(r"(?<![\d.])\d+(?:\.\d+)?(?![\d.])")
# figures a sentence may give in words: 每月 (12 a year), 每季度 (4), 一次, 两名 ...
_IN_WORDS = {
    "每月": Decimal(12),
    "每个月": Decimal(12),
    "每季度": Decimal(4),
    "每季": Decimal(4),
    "每半年": Decimal(2),
}
_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CHINESE = re.compile(r"[零一二两三四五六七八九十百]+")
_RANGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([-–—~～至到])\s*(\d+(?:\.\d+)?)\s*$")


@dataclass(frozen=True)
class Worded:
    """An indicator's standard and range as printed, and what was changed or is to be checked (Chinese)."""

    standard: str
    range: str
    notes: tuple[str, ...] = ()


def agree(
    name: str,
    standard: str,
    range_text: str,
    stated: Mapping[str, Decimal],
    low: Decimal | None,
    high: Decimal | None,
) -> Worded:
    """`standard` and `range_text` of the indicator called `name`, agreeing with its rule's stated figures
    (param name -> value) and its score range (low, high: the rule's min and max, None when it has none)."""
    notes: list[str] = []
    standard = _agree_standard(name, standard, stated, (low, high), notes)
    range_text = _agree_range(name, range_text, low, high, notes)
    return Worded(standard, range_text, tuple(notes))


def _agree_standard(
    name: str,
    text: str,
    stated: Mapping[str, Decimal],
    bounds: tuple[Decimal | None, Decimal | None],
    notes: list[str],
) -> str:
    if not text or not stated:
        return text
    written = [Decimal(m.group()) for m in _NUMBER.finditer(text)]
    said = set(written) | _said_in_words(text)
    missing = [(key, value) for key, value in stated.items() if value not in said]
    if not missing:
        return text
    known = set(stated.values()) | {b for b in bounds if b is not None}
    strange = sorted({w for w in written if w not in known})
    rule = "、".join(f"{key} = {figure_text(value)}" for key, value in missing)
    if len(missing) == 1 and len(strange) == 1:
        old, new = strange[0], missing[0][1]
        rewritten = _NUMBER.sub(lambda m: figure_text(new) if Decimal(m.group()) == old else m.group(), text)
        notes.append(
            f"指标“{name}”：计分标准文字中的 {figure_text(old)} 已按计分规则（{rule}）改为 {figure_text(new)}。"
        )
        return rewritten
    notes.append(
        f"请核对：指标“{name}”的计分标准（standard）“{text}”与计分规则（{rule}）不一致，"
        "填报模板照原文印出；请修改 standard。"
    )
    return text


def _agree_range(name: str, text: str, low: Decimal | None, high: Decimal | None, notes: list[str]) -> str:
    match = _RANGE.match(text)
    if match is None or low is None or high is None:
        return text
    if (Decimal(match.group(1)), Decimal(match.group(3))) == (low, high):
        return text
    new = f"{figure_text(low)}{match.group(2)}{figure_text(high)}"
    notes.append(
        f"指标“{name}”：分值 {text} 已按计分规则（min = {figure_text(low)}、max = {figure_text(high)}）改为 {new}。"
    )
    return new


def _said_in_words(text: str) -> set[Decimal]:
    found = {value for words, value in _IN_WORDS.items() if words in text}
    for match in _CHINESE.finditer(text):
        value = _chinese_number(match.group())
        if value is not None:
            found.add(Decimal(value))
    return found


def _chinese_number(words: str) -> int | None:
    """一 -> 1, 十二 -> 12, 三十 -> 30, 一百 -> 100 (the small numbers a sentence of a notice spells out)."""
    total, digit = 0, None
    for ch in words:
        if ch in _DIGITS:
            digit = _DIGITS[ch]
        elif ch in ("十", "百"):
            total += (1 if digit is None else digit) * (10 if ch == "十" else 100)
            digit = None
        else:
            return None
    return total + (digit or 0)


def figure_text(value: Decimal) -> str:
    """A scheme figure as its file writes it: 0.25, 30, 100 (scheme's own; this module imports nothing)."""
    return f"{value.normalize():f}"
