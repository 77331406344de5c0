"""Load an assessment scheme (TOML) into frozen dataclasses and check it.

A scheme declares everything that differs between assessments: indicators, scoring rules, grades, subsidy,
delisting, cross-field checks and the roster. No indicator id appears in the Python code.
"""

from __future__ import annotations

import csv
import difflib
import functools
import hashlib
import io
import re
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from decimal import ROUND_UP, Decimal
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from kjjr_excel.domain.wording import agree, figure_text
from kjjr_excel.errors import SchemeError, os_error_text

if TYPE_CHECKING:
    from kjjr_excel.domain.layout import Layout

SCHEME_DIR = "schemes"
INDICATOR_TYPES = ("integer", "decimal", "bool")
SOURCES = ("self", "assessor")
METHODS = ("absolute", "relative")
BENCHMARKS = ("max", "p90", "rank")
CHECK_KINDS = ("paired", "requires", "ratio_range")
GRADING_METHODS = ("thresholds", "quota")
# The parameters each scoring rule kind takes besides its range (min, max); score.RULES gives each its formula.
RULE_PARAMS: dict[str, tuple[str, ...]] = MappingProxyType(
    {
        "linear_step": ("base", "step", "target"),
        "shortfall": ("full", "step", "target"),
        "per_unit": ("step",),
        "deduction": ("full", "step"),
        "as_awarded": (),
        "veto": (),
    }
)
SEED_SOURCE = "通知原文"  # a figure the notice itself fixes
DEFAULT_SOURCE = (
    "默认值（待确认）"  # a figure the notice leaves to the office (or the bureau): to be confirmed
)


@dataclass(frozen=True)
class Rule:
    """A scoring rule: its kind (a key of score.RULES) and its numeric parameters."""

    kind: str
    params: dict[str, Decimal] = field(default_factory=dict)
    reason: str = ""
    source: str = "seed"  # "default": the office's own rule, not the notice's (说明 says 默认值（待确认）)

    def get(self, name: str, default: Decimal | None = None) -> Decimal | None:
        return self.params.get(name, default)


@dataclass(frozen=True)
class Indicator:
    id: str
    category: str
    label: str
    unit: str
    type: str
    source: str = "self"
    number: str = ""
    input_label: str = ""
    places: int = 0
    min: Decimal = Decimal(0)
    max: Decimal | None = None
    standard: str = ""
    range: str = ""
    note: str = ""
    help: str = ""
    verifiable: bool = False
    neutral: Decimal | bool | None = None  # an assessor field left empty counts as this
    weight: Decimal | None = None
    rule: Rule | None = None

    @property
    def display_label(self) -> str:
        return self.input_label or self.label

    @property
    def neutral_value(self) -> Decimal | bool:
        """What an assessor field counts as when the assessor leaves it empty (the scheme's `neutral`)."""
        if self.type == "bool":
            return bool(self.neutral)
        return Decimal(str(self.neutral or 0))

    @property
    def neutral_text(self) -> str:
        """neutral_value as the notes and the templates say it: 否, 0次."""
        if self.type == "bool":
            return "是" if self.neutral else "否"
        return f"{self.neutral or 0}{self.unit}"

    @property
    def is_veto(self) -> bool:
        return self.rule is not None and self.rule.kind == "veto"


@dataclass(frozen=True)
class Grade:
    name: str
    min: Decimal | None = None
    share: Decimal | None = None
    failing: bool = False


@dataclass(frozen=True)
class Part:
    id: str
    label: str
    max: Decimal
    description: str = ""  # the seed's wording for the reviewer's instructions


@dataclass(frozen=True)
class Check:
    kind: str
    fields: tuple[str, ...]
    min: Decimal | None = None
    max: Decimal | None = None
    # ratio_range: the units a clerk probably used instead when the ratio is too large / too small
    large_unit: str = ""
    small_unit: str = ""


@dataclass(frozen=True)
class RosterEntry:
    code: str
    name: str
    host_unit: str = ""
    number: str = ""
    contact: str = ""  # 联系人
    phone: str = ""  # 电话
    email: str = ""  # 邮箱: where receipts and 催报 drafts are addressed when no mail came from the center

    @property
    def contact_line(self) -> str:
        """联系人, 电话 and 邮箱 on one line, as the 未提交 and 催报 lists print them."""
        return "　".join(x for x in (self.contact, self.phone, self.email) if x)


@dataclass(frozen=True)
class Scheme:
    id: str
    version: str
    name: str
    title: str
    issuer: str
    document: str
    year: int
    method: str
    result_title: str
    total_label: str
    indicators: tuple[Indicator, ...]
    grades: tuple[Grade, ...]
    grading_method: str
    subsidy_label: str
    subsidy_amounts: dict[str, Decimal]
    subsidy_floor: Decimal
    subsidy_budget: Decimal
    delisting: bool
    delisting_years: int
    checks: tuple[Check, ...] = ()
    aliases: tuple[str, ...] = ()
    period: str = ""
    center_label: str = ""
    roster: tuple[RosterEntry, ...] = ()
    roster_required: bool = False
    submission: dict[str, str] = field(default_factory=dict)
    publish: dict[str, str] = field(default_factory=dict)  # the 公示 and the payment list: wording, contact
    benchmark: str = "max"
    parts: tuple[Part, ...] = ()
    trim_at: int = 5
    review_title: str = ""
    weight_quantitative: Decimal = Decimal(1)
    weight_qualitative: Decimal = Decimal(0)
    outlier_threshold: Decimal = Decimal("3.5")
    outlier_min_centers: int = 5
    outlier_ratio: Decimal = Decimal(3)
    total_max: Decimal = Decimal(100)
    sources: dict[str, str] = field(default_factory=dict)
    wording_notes: tuple[str, ...] = ()  # standards and ranges rewritten from their rules, or to be checked
    path: str = ""
    sha256: str = ""

    @property
    def subject(self) -> str:
        """Who is assessed, as the name says it: the name without the kind of assessment it ends with, when the
        result title names that kind too (青岛市科技金融服务分中心 of …考核 and 考核结果), so that a title that adds
        the year or the form's name does not say it twice."""
        stem = self.result_title.removesuffix("结果")
        return self.name.removesuffix(stem) if stem else self.name

    @functools.cached_property
    def self_indicators(self) -> tuple[Indicator, ...]:
        return tuple(i for i in self.indicators if i.source == "self")

    @functools.cached_property
    def assessor_indicators(self) -> tuple[Indicator, ...]:
        return tuple(i for i in self.indicators if i.source == "assessor")

    @functools.cached_property
    def scored_indicators(self) -> tuple[Indicator, ...]:
        """Indicators that contribute points (vetoes excluded)."""
        return tuple(i for i in self.indicators if not i.is_veto)

    @functools.cached_property
    def sheet_layout(self) -> Layout:
        """Where every field is on the submission sheet (domain.layout), worked out once per scheme object."""
        # imported here, not at the top: layout imports the methods, which import this module
        from kjjr_excel.domain.layout import build_layout

        return build_layout(self)

    @property
    def year_label(self) -> str:
        """What the scheme calls the year assessed (考核年度, 评估年度)."""
        return self.submission["year_label"]

    @property
    def money_label(self) -> str:
        """The subsidy label without its unit: 补助金额, 支持金额."""
        return re.split(r"[（(]", self.subsidy_label, maxsplit=1)[0].strip()

    @property
    def money_word(self) -> str:
        """What the scheme calls the money, as in 补助暂缓 or 不予支持: its label without 金额."""
        return _money_word(self.subsidy_label)

    @property
    def failing_grade(self) -> str:
        """The name of the failing grade (the loader makes it the last, and the only one)."""
        return self.grades[-1].name

    def paid(self, grade: str) -> bool:
        """Whether a grade is paid: not the failing one, and its amount is more than 0 (with a total budget too:
        a grade the scheme gives 0 takes no share of it)."""
        return grade != self.failing_grade and self.subsidy_amounts.get(grade, Decimal(0)) > 0

    @property
    def lowest_paid_grade(self) -> str:
        """The lowest grade that is paid (合格), else the one above the failing grade."""
        unfailing = [g.name for g in reversed(self.grades) if not g.failing]
        return next((g for g in unfailing if self.paid(g)), unfailing[0])

    @property
    def remarks_grade_the_centers(self) -> bool:
        """The remarks state the grades themselves (a grade's name and a figure, as 考核分值90分（含）以上为优秀…):
        the loader has held them to [grading], and a form prints them instead of the sentence worded from it."""
        return grades_in_remarks(self.submission.get("remarks", ""), self.grades)

    def for_year(self, year: int) -> Scheme:
        """The scheme with {year} in its period and help texts said as the year assessed, so that a form made
        for 2020 (--year, or an edited year) never asks for 2019's figures."""

        return replace(
            self,
            period=say_year(self.period, year),
            indicators=tuple(replace(i, help=say_year(i.help, year)) for i in self.indicators),
        )

    def indicator(self, indicator_id: str) -> Indicator:
        for ind in self.indicators:
            if ind.id == indicator_id:
                return ind
        raise KeyError(indicator_id)


# ---------------------------------------------------------------------------------------------- loading


def shipped_schemes() -> list[tuple[str, tuple[str, ...], str]]:
    """(id, aliases, name) of every scheme shipped in the package."""
    return [(sid, aliases, name) for _, sid, aliases, name in _shipped(_shipped_dir())]


def resolve_scheme_path(name_or_path: str | Path) -> Path:
    """A shipped scheme id or alias, or a path to a scheme file."""
    text = str(name_or_path)
    shipped = _shipped(_shipped_dir())
    for path, sid, aliases, _ in shipped:
        if text == sid or text in aliases:
            return path
    path = Path(text)
    if path.is_file():
        return path
    if path.is_dir():
        raise SchemeError(f"“{text}”是一个文件夹，不是考核方案文件。请给出方案文件（.toml）本身的路径。")
    if path.exists():  # a FIFO or a device: never opened, it could wait for ever
        raise SchemeError(f"“{text}”不是普通文件，未读取。请给出考核方案文件（.toml）的路径。")
    known = "、".join(f"{sid}（{'、'.join(aliases)}）" for _, sid, aliases, _ in shipped)
    raise SchemeError(f"找不到考核方案“{text}”。可用的方案：{known}；或给出方案文件（.toml）的路径。")


def _shipped_dir() -> Path:
    return Path(str(resources.files("kjjr_excel").joinpath(SCHEME_DIR)))


def _shipped(base: Path) -> list[tuple[Path, str, tuple[str, ...], str]]:
    """(file, id, aliases, name) of the shipped schemes, from their [scheme] tables (no full load)."""
    out = []
    for toml in sorted(base.glob("*.toml")):
        head = tomllib.loads(toml.read_text(encoding="utf-8"))["scheme"]
        out.append((toml, head["id"], tuple(head.get("aliases", [])), head["name"]))
    return out


# tomllib's reasons (English), in the words of a clerk editing the file in Notepad; by their first words
_TOML_REASONS = (
    ("Unclosed inline table", "花括号 { } 没有闭合（一对花括号须写在同一行）"),
    ("Unclosed array", "方括号 [ ] 没有闭合"),
    ("Unterminated string", "引号没有闭合"),
    ("Invalid value", "值的写法有误（文字要加英文双引号，数字和 true/false 不加）"),
    ("Invalid statement", "这一行不是“名称 = 值”的写法"),
    ("Expected '=' after a key", "名称后面缺少“=”"),
    ("Expected ']]'", "表头缺少“]]”"),
    ("Expected ']'", "表头缺少“]”"),
    ("Expected newline or end of document", "值的后面有多余的内容（一行只写一项；可能是中文标点）"),
    ("Expected", "缺少必要的符号（逗号、等号或括号）"),
    (
        "Invalid initial character for a key",
        "名称以不允许的字符开头（名称请用英文字母、数字、_ 或 -，或加引号）",
    ),
    ("Illegal character '\\n'", "引号没有闭合（一行中的文字须以英文双引号结束）"),
    ("Found invalid character", "有不允许的字符（可能是中文标点：请用英文的引号、逗号、等号）"),
    ("Illegal character", "有不允许的字符（可能是中文标点：请用英文的引号、逗号、等号）"),
    ("Invalid date or datetime", "日期或时间的写法有误"),
    ("Cannot overwrite a value", "同一个名称赋值了两次"),
    ("Cannot declare", "同一个名称或表头写了两次"),
    ("Cannot redefine namespace", "同一个表头写了两次"),
    ("Cannot mutate immutable namespace", "不能在写完的内联表或数组之外再给它添加内容"),
    ("Duplicate inline table key", "花括号中的名称重复"),
    ("Escaped character", "字符串中的反斜杠（\\）用法有误（路径请用 / 或写成 \\\\）"),
    ("Invalid hex value", "字符串中的反斜杠（\\）用法有误（路径请用 / 或写成 \\\\）"),
    ("Unescaped '\\'", "字符串中的反斜杠（\\）用法有误（路径请用 / 或写成 \\\\）"),
)
_TOML_WHERE = re.compile(r"\s*\((?:at line (\d+), column (\d+)|at end of document)\)$")


def toml_error_text(exc: tomllib.TOMLDecodeError, text: str = "") -> str:
    """Where and what tomllib found wrong, in Chinese: '第3行第12列格式错误：引号没有闭合'; a Chinese punctuation
    mark outside quotes on that line (a full-width comma typed in a list) is named, as the likely cause."""
    message = str(exc)
    where = _TOML_WHERE.search(message)
    reason = message[: where.start()] if where else message
    said = next((zh for en, zh in _TOML_REASONS if reason.startswith(en)), "格式不规范")
    if where is None:
        return f"格式错误：{said}"
    if where.group(1) is None:
        return f"在文件末尾格式错误：{said}"
    lines = text.splitlines()
    row = int(where.group(1))
    line = re.sub(r'"[^"]*"|\'[^\']*\'|#.*', "", lines[row - 1]) if 0 < row <= len(lines) else ""
    marks = "".join(dict.fromkeys(ch for ch in line if ch in _FULL_WIDTH_MARKS))
    hint = f"（这一行有中文标点“{'”“'.join(marks)}”，请改为英文半角标点）" if marks else ""
    return f"第{where.group(1)}行第{where.group(2)}列格式错误：{said}{hint}"


_FULL_WIDTH_MARKS = "，：；＝“”‘’（）［］｛｝"


def load_scheme(name_or_path: str | Path) -> Scheme:
    """Load and check a scheme; raise SchemeError naming the file, key and line on any problem."""
    path = resolve_scheme_path(name_or_path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SchemeError(
            f"考核方案文件 {path} 无法读取（{os_error_text(exc)}）。请检查文件的权限，或把它复制到自己的文件夹后重试。"
        ) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SchemeError(
            f"考核方案文件 {path} 不是 UTF-8 编码的文本。请用记事本等另存为 UTF-8 后重试。"
        ) from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SchemeError(
            f"考核方案文件 {path} {toml_error_text(exc, text)}。请按 TOML 格式修改后重试。", path=str(path)
        ) from exc
    if not data:
        raise SchemeError(
            f"考核方案文件 {path} 是空的（没有任何设置，只有空白或注释）。请用 kjjr scheme new 从内置方案复制一份，"
            "修改后重试。",
            path=str(path),
        )
    scheme = _Loader(path, text).build(data)
    return replace(scheme, path=str(path), sha256=hashlib.sha256(raw).hexdigest())


# ------------------------------------------------------------------------------------ where a key stands

_HEADER = re.compile(r"^[ \t]*(\[\[?)[ \t]*([^\]\n]+?)[ \t]*\]\]?", re.M)


def key_line(text: str, path: Iterable[str | int]) -> int | None:
    """The line (1-based) of a key path such as ("indicators", 3, "rule", "kind") in a TOML text.

    tomllib keeps no positions, so this scans the text: the [table] or n-th [[array]] header first, then each
    further key (`name =`) or n-th inline table (`{`) after it, within that table. A part that cannot be
    found leaves the line of the deepest part that was (a missing key points at its table)."""
    parts = list(path)
    headers = [(m.start(), m.group(1) == "[[", m.group(2).strip()) for m in _HEADER.finditer(text)]
    start, end, found = 0, (headers[0][0] if headers else len(text)), None
    if parts and isinstance(parts[0], str):
        name = parts[0]
        same = [(pos, arr) for pos, arr, h in headers if h == name]
        index = parts[1] if len(parts) > 1 and isinstance(parts[1], int) else None
        pick = None
        if same and same[0][1] and index is not None and index < len(same):
            pick, parts = same[index][0], parts[2:]
        elif same and not same[0][1]:
            pick, parts = same[0][0], parts[1:]
        if pick is not None:
            start = found = pick
            following = [pos for pos, _, _ in headers if pos > pick]
            end = following[0] if following else len(text)
    pos = start
    for n, part in enumerate(parts):
        if isinstance(part, int):
            hit = None
            cursor = pos
            for _ in range(part + 1):
                hit = text.find("{", cursor, end)
                if hit < 0:
                    break
                cursor = hit + 1
            if hit is None or hit < 0:
                break
            pos = found = hit
            continue
        key = re.escape(part)
        at_line_start = n == 0 and found == start
        pattern = rf"(?m)^[ \t]*\"?{key}\"?[ \t]*=" if at_line_start else rf"(?<!\w)\"?{key}\"?[ \t]*="
        match = re.compile(pattern).search(text, pos, end)
        if match is None:
            break
        pos = found = match.start() + len(match.group(0)) - len(match.group(0).lstrip())
    return None if found is None else text.count("\n", 0, found) + 1


def _dotted(path: Iterable[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


# ---------------------------------------------------------------------------------------------- loader

_REQUIRED = object()


class _Loader:
    """The strict reading of one scheme text: every key known, typed and range-checked."""

    def __init__(self, path: Path, text: str):
        self.path = path
        self.text = text
        self.wording_notes: list[str] = []  # standards and ranges rewritten from their rules, or to check

    def fail(self, path: tuple[str | int, ...], problem: str) -> SchemeError:
        key = _dotted(path)
        line = key_line(self.text, path)
        where = f"第{line}行" if line else "文件中没有这一项"
        return SchemeError(
            f"考核方案文件 {self.path} 的 {key}（{where}）有误：{problem}",
            path=str(self.path),
            key=key,
            line=line,
        )

    def table(self, value: Any, path: tuple[str | int, ...]) -> _Table:
        if not isinstance(value, dict):
            raise self.fail(path, f"应为一个表（[{_dotted(path)}] 或 {{ … }}），实际为 {_shown(value)}")
        return _Table(self, value, path)

    def tables(self, value: Any, path: tuple[str | int, ...]) -> list[_Table]:
        if not isinstance(value, list):
            raise self.fail(
                path, f"应为若干个表（[[{_dotted(path)}]] 或 [{{ … }}, …]），实际为 {_shown(value)}"
            )
        return [self.table(v, (*path, n)) for n, v in enumerate(value)]

    # ------------------------------------------------------------------------------------------ whole file

    def build(self, data: dict) -> Scheme:
        # The tables are read in the order the file is explained in, and the first problem found is the one
        # reported: the steps below keep that order.
        top = self.table(data, ())
        # a misspelt table ([qualitive]) is named before a table it leaves empty is complained of
        top.known.update(TOP_TABLES)
        top.used.update(TOP_TABLES)
        top.done()
        head = top.table("scheme")
        tables: dict[str, _Table] = {"scheme": head}
        fields: dict[str, Any] = {}
        self.scoring(top, head, tables, fields)
        self.paying(top, tables, fields)
        self.handling(top, head, tables, fields)
        scheme = Scheme(**self.naming(head, fields))
        self.year_texts(scheme)
        self.stray_year(data, ())
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", scheme.id):
            raise self.fail(("scheme", "id"), f"方案编号 {scheme.id!r} 只能用字母、数字、点、横线和下划线")
        order = ("scheme", "submission", "quantitative", "qualitative", "combination", "grading", "subsidy")
        for name in (*order, "delisting", "publish", "validation"):
            tables[name].done()
        top.done()
        return scheme

    def scoring(self, top: _Table, head: _Table, tables: dict[str, _Table], fields: dict[str, Any]) -> None:
        """[scheme]'s method, year and total, the indicators, the relative method's tables and [grading]."""
        method = head.choice("method", METHODS)
        year = head.integer("year", lo=1990, hi=2100)
        total_max = head.number("total_max", Decimal(100), lo=Decimal(1))
        relative = method == "relative"
        indicators = tuple(self.worded(self.indicator(t, relative)) for t in top.tables("indicators"))
        self.unique([(i.id, ("indicators", n, "id")) for n, i in enumerate(indicators)], "指标编号")
        for name in ("quantitative", "qualitative", "combination"):
            tables[name] = top.table(name, required=False, allowed=relative)
        qualitative, combination = tables["qualitative"], tables["combination"]
        benchmark = tables["quantitative"].choice("benchmark", BENCHMARKS, "max")
        parts = tuple(self.part(t) for t in qualitative.tables("parts", required=False))
        self.unique(
            [(p.id, (*qualitative.path, "parts", n, "id")) for n, p in enumerate(parts)], "定性评分部分编号"
        )
        trim_at = qualitative.integer("trim_at", 5, lo=3, hi=1000)
        review_title = qualitative.text("title", "")
        wq = combination.number("quantitative", Decimal(1), lo=Decimal(0), hi=Decimal(1))
        wl = combination.number("qualitative", Decimal(0), lo=Decimal(0), hi=Decimal(1))
        self.sums(relative, indicators, parts, wq, wl, total_max)
        grading = tables["grading"] = top.table("grading")
        grading_method = grading.choice("method", GRADING_METHODS)
        grades = self.grades(grading, grading_method, total_max)
        fields.update(
            year=year,
            method=method,
            indicators=indicators,
            grades=grades,
            grading_method=grading_method,
            benchmark=benchmark,
            parts=parts,
            trim_at=trim_at,
            review_title=review_title,
            weight_quantitative=wq,
            weight_qualitative=wl,
            total_max=total_max,
            wording_notes=tuple(self.wording_notes),
        )

    def sums(
        self,
        relative: bool,
        indicators: tuple[Indicator, ...],
        parts: tuple[Part, ...],
        wq: Decimal,
        wl: Decimal,
        total_max: Decimal,
    ) -> None:
        """The weights, the parts' maxima or the rules' maxima add up to what the scheme says they do."""
        if wq + wl != 1:
            raise self.fail(
                ("combination", "qualitative"), f"定量与定性权重之和应为1，实际为 {_fmt(wq + wl)}"
            )
        if wl and not parts:
            raise self.fail(
                ("combination", "qualitative"), "定性权重大于0，但 [qualitative] 中没有定性评分部分（parts）"
            )
        if relative:
            total = sum((i.weight or Decimal(0)) for i in indicators)
            if total != total_max:
                raise self.fail(
                    ("indicators", 0, "weight"),
                    f"各指标权重之和应为{_fmt(total_max)}（满分，[scheme] total_max），实际为 {_fmt(total)}",
                )
            if parts and sum(p.max for p in parts) != total_max:
                raise self.fail(
                    ("qualitative", "parts"),
                    f"定性评分各部分满分之和应为{_fmt(total_max)}（满分，[scheme] total_max），实际为 {_fmt(sum(p.max for p in parts))}",
                )
            return
        scored = [(n, i) for n, i in enumerate(indicators) if i.rule is not None and i.rule.kind != "veto"]
        total = sum((i.rule.params["max"] for _, i in scored), Decimal(0))  # type: ignore[union-attr]
        if total != total_max:
            raise self.fail(
                ("indicators", scored[-1][0] if scored else 0, "rule", "max"),
                f"各指标计分上限（rule 的 max）之和应为{_fmt(total_max)}（满分，[scheme] total_max），"
                f"实际为 {_fmt(total)}",
            )

    def paying(self, top: _Table, tables: dict[str, _Table], fields: dict[str, Any]) -> None:
        """[subsidy]: an amount for every grade but the failing one, the floor, the budget."""
        grades: tuple[Grade, ...] = fields["grades"]
        names = [g.name for g in grades]
        subsidy = tables["subsidy"] = top.table("subsidy")
        label = subsidy.text("label")
        word = _money_word(label)
        unit = _money_unit(label)
        if unit not in ("", "万元"):
            raise subsidy.fail(
                "label",
                f"写的单位是“{unit}”，而金额（amounts、floor、budget）一律以万元计，排名表、公示和发放清单都按万元"
                f"写（大写金额也按万元换算）：请把金额换算为万元（如 50000 元写为 5），并把 label 改为"
                f"“{label.split('（', 1)[0].split('(', 1)[0]}（万元）”",
            )
        amounts_table = subsidy.table("amounts")
        amounts: dict[str, Decimal] = {}
        for name in amounts_table.data:
            if name not in names:
                raise self.fail(
                    (*amounts_table.path, name), f"“{name}”不是 [grading] 中定义的等次（{'、'.join(names)}）"
                )
            amounts[name] = amounts_table.money(name)
        for g in grades:
            if g.name not in amounts and not g.failing:
                raise self.fail(amounts_table.path, f"缺少等次“{g.name}”的金额")
            if g.failing and amounts.get(g.name):
                raise self.fail((*amounts_table.path, g.name), f"最低等次（{g.name}）不给予{word}，金额应为0")
        amounts_table.done()
        floor = subsidy.money("floor", Decimal(0))
        budget = subsidy.money("budget", Decimal(0))
        if budget and not any(amounts.values()):
            raise self.fail(
                amounts_table.path,
                f"有总额（budget = {_fmt(budget)}）时，金额大于0的等次参加分配，金额为0的等次不分配；"
                "现在没有一个等次的金额大于0：请把参加分配的等次的金额写为大于0的数（如其保底金额）",
            )
        # without a budget the amounts are what is paid: one under the floor would print a 下限 nobody gets
        short = [g for g in grades if not g.failing and not budget and amounts[g.name] < floor]
        if short:
            raise self.fail(
                (*amounts_table.path, short[0].name),
                f"等次“{short[0].name}”的金额 {_fmt(amounts[short[0].name])} 低于{word}下限 floor = {_fmt(floor)}"
                f"（{grades[-1].name}以外的等次至少给予的金额）；请提高该等次的金额，或降低 floor",
            )
        fields.update(
            subsidy_amounts=amounts,
            subsidy_floor=floor,
            subsidy_budget=budget,
            subsidy_label=label,
        )

    def handling(self, top: _Table, head: _Table, tables: dict[str, _Table], fields: dict[str, Any]) -> None:
        """Delisting, the cross-field checks, [validation], [submission], the roster, the sources, [publish]."""
        delisting = tables["delisting"] = top.table("delisting", required=False)
        fields["delisting"] = delisting.flag("enabled", False)
        fields["delisting_years"] = delisting.integer("years", 2, lo=1, hi=20)
        units = {i.id: i.unit for i in fields["indicators"]}
        fields["checks"] = tuple(self.check(t, units) for t in top.tables("checks", required=False))
        validation = tables["validation"] = top.table("validation", required=False)
        fields["outlier_threshold"] = validation.number(
            "outlier_threshold", Decimal("3.5"), lo=Decimal("0.1")
        )
        fields["outlier_min_centers"] = validation.integer("outlier_min_centers", 5, lo=3, hi=10000)
        fields["outlier_ratio"] = validation.number("outlier_ratio", Decimal(3), lo=Decimal(1))
        submission = tables["submission"] = top.table("submission")
        submission.text("year_label")  # required: 考核年度, 评估年度… is the scheme's word, not ours
        texts = {k: submission.text(k, None) for k in SUBMISSION_KEYS}
        fields["submission"] = {k: v for k, v in texts.items() if v is not None}
        self.sheet_names(submission, fields["submission"])
        self.remarks_grades(submission, fields["submission"].get("remarks", ""), fields["grades"])
        roster_file = head.text("roster", "")
        fields["roster"] = self.roster(roster_file) if roster_file else ()
        sources: dict[str, str] = {}
        for name in ("quantitative", "qualitative", "combination", "grading", "subsidy", "delisting"):
            sources[name] = tables[name].choice("source", ("seed", "default"), "seed")
        # the amounts per grade may have a source of their own: the notice may fix only the floor
        sources["subsidy.amounts"] = tables["subsidy"].choice(
            "amounts_source", ("seed", "default"), sources["subsidy"]
        )
        # an indicator's rule may have a source of its own: an office that raises one target keeps the rest
        sources.update(
            {f"indicators.{i.id}": i.rule.source for i in fields["indicators"] if i.rule is not None}
        )
        fields["sources"] = sources
        publish = tables["publish"] = top.table("publish", required=False)
        publish_texts = {k: v for k in PUBLISH_KEYS if (v := publish.text(k, None)) is not None}
        for key, value in publish_texts.items():
            # {year} is the one placeholder: a misspelt one would reach the public notice as typed
            if _stray_placeholder(value):
                raise publish.fail(key, _stray_placeholder(value))
        publish_texts["notice_days"] = str(publish.integer("notice_days", 5, lo=1, hi=60))
        fields["publish"] = publish_texts

    def year_texts(self, scheme: Scheme) -> None:
        """The period and the help texts name the year assessed by {year}, or by the scheme's own year: a copy
        whose year was changed would otherwise ask for the old year's figures."""
        texts = [(("scheme", "period"), scheme.period, r"(\d{4})年")]
        texts += [
            (("indicators", n, "help"), i.help, r"(\d{4})年度") for n, i in enumerate(scheme.indicators)
        ]
        for path, text, pattern in texts:
            if _stray_placeholder(text):
                raise self.fail(path, _stray_placeholder(text))
            other = next((y for y in re.findall(pattern, text) if int(y) != scheme.year), None)
            if other:
                raise self.fail(
                    path,
                    f"写的是{other}年，而考核年度（[scheme] year）是{scheme.year}年：请把{other}改为 {{year}}"
                    "（生成模板时自动换成考核年度）",
                )

    def stray_year(self, value: Any, path: tuple[str | int, ...]) -> None:
        """{year} is said as the year only in the period, the help texts and [publish]: anywhere else it would
        be printed as typed."""
        if isinstance(value, dict):
            for key, item in value.items():
                self.stray_year(item, (*path, key))
        elif isinstance(value, list):
            for n, item in enumerate(value):
                self.stray_year(item, (*path, n))
        elif (
            isinstance(value, str)
            and "{year}" in value
            and path[0] != "publish"
            and path[-1] not in YEAR_KEYS
        ):
            raise self.fail(
                path,
                "这里的 {year} 不会换成考核年度（只有 period、help 和 [publish] 中的会），请直接写出年份或删去",
            )

    def sheet_names(self, submission: _Table, texts: dict[str, str]) -> None:
        """The template's sheet names are ones Excel accepts (the writer would stop half way otherwise)."""
        given = [(k, texts[k]) for k in ("sheet", "instructions_sheet") if k in texts]
        for key, name in given:
            bad = "".join(sorted({c for c in name if c in SHEET_NAME_FORBIDDEN}))
            if bad:
                raise submission.fail(
                    key, f"工作表名称“{name}”含有 Excel 不允许的字符 {bad}，请删去或换成其他字符"
                )
            if len(name) > 31:
                raise submission.fail(key, f"工作表名称“{name}”有 {len(name)} 个字，Excel 最多允许31个字")
            if name.startswith("'") or name.endswith("'") or name.casefold() == "_meta":
                raise submission.fail(
                    key, f"工作表名称“{name}”不能用：不能以单引号开头或结尾，也不能是 _meta"
                )
        if len(given) == 2 and given[0][1].casefold() == given[1][1].casefold():
            raise submission.fail(
                "instructions_sheet", f"填报说明表与填报表同名（“{given[1][1]}”），请换一个名称"
            )

    def remarks_grades(self, submission: _Table, remarks: str, grades: tuple[Grade, ...]) -> None:
        """Remarks that state the grades say every grade and bound of [grading]: a copy whose bounds were edited
        would otherwise print the old ones beside the new."""
        if not grades_in_remarks(remarks, grades):
            return
        missing = [g.name for g in grades if g.name not in remarks]
        missing += [f"{_fmt(g.min)}分" for g in grades if g.min and _fmt(g.min) not in remarks]
        if missing:
            raise submission.fail(
                "remarks",
                f"写的等次与 [grading] 不一致（没有写到：{'、'.join(missing)}）。表格上的等次说明会按 [grading] 自动写出："
                "请删除 remarks 中关于等次的文字（或删除整行 remarks），或改得与 [grading] 一致",
            )

    def naming(self, head: _Table, fields: dict[str, Any]) -> dict[str, Any]:
        """All of a Scheme's fields: [scheme]'s names and labels, read last, with what the other steps read."""
        return dict(
            id=head.text("id"),
            version=head.text("version"),
            name=head.text("name"),
            title=head.text("title"),
            issuer=head.text("issuer", ""),
            document=head.text("document", ""),
            # titled "{subject}{year}年度{result_title}": a title starting 年度 would print 年度年度
            result_title=head.text("result_title", "考核结果").removeprefix("年度") or "考核结果",
            total_label=head.text("total_label", "总分"),
            aliases=head.texts("aliases"),
            period=head.text("period", ""),
            center_label=head.text("center_label"),
            roster_required=head.flag("roster_required", False),
            **fields,
        )

    def unique(self, items: list[tuple[str, tuple[str | int, ...]]], what: str) -> None:
        seen: set[str] = set()
        for value, path in items:
            if value in seen:
                raise self.fail(path, f"{what} {value} 重复")
            seen.add(value)

    # ------------------------------------------------------------------------------------------ indicators

    def indicator(self, t: _Table, relative: bool) -> Indicator:
        iid = t.text("id")
        if not re.fullmatch(r"[a-z][a-z0-9_]*", iid):
            raise self.fail((*t.path, "id"), f"指标编号 {iid!r} 只能用小写字母、数字和下划线，且以字母开头")
        typ = t.choice("type", INDICATOR_TYPES)
        source = t.choice("source", SOURCES, "self")
        numeric = typ != "bool"
        places = t.integer("places", 0 if typ == "integer" else 2, lo=0, hi=6, allowed=typ == "decimal")
        lo = t.number("min", Decimal(0), lo=Decimal(0), allowed=numeric)
        hi = t.number("max", None, allowed=numeric)
        if hi is not None and hi < lo:
            raise self.fail((*t.path, "max"), f"上限 {_fmt(hi)} 小于下限 {_fmt(lo)}")
        neutral: Decimal | bool | None = None
        t.known.add("neutral")
        if "neutral" in t:
            if source != "assessor":
                raise self.fail(
                    (*t.path, "neutral"), '只有考核方填写的指标（source = "assessor"）才有未填写时的取值'
                )
            neutral = t.flag("neutral") if typ == "bool" else t.number("neutral", lo=lo, hi=hi)
        rule = None
        if relative:
            weight = self.weight(t, typ, source)
        else:
            t.forbid("weight", "按固定规则计分的方案，指标不设权重（weight）；计分由 rule 决定")
            weight = None
            rule = self.rule(t.table("rule"), typ)
        indicator = Indicator(
            id=iid,
            category=t.text("category"),
            label=t.text("label"),
            unit=t.text("unit", ""),
            type=typ,
            source=source,
            number=t.text("number", ""),
            input_label=t.text("input_label", ""),
            places=places,
            min=lo,
            max=hi,
            standard=t.text("standard", ""),
            range=t.text("range", ""),
            note=t.text("note", ""),
            help=t.text("help", ""),
            verifiable=t.flag("verifiable", False, allowed=source == "self"),
            neutral=neutral,
            weight=weight,
            rule=rule,
        )
        t.done()
        return indicator

    def worded(self, indicator: Indicator) -> Indicator:
        """The indicator with its printed standard and range agreeing with its rule (domain/wording)."""
        rule = indicator.rule
        if rule is None:
            return indicator
        stated = {key: rule.params[key] for key in RULE_PARAMS[rule.kind] if key in rule.params}
        worded = agree(
            indicator.label, indicator.standard, indicator.range, stated, rule.get("min"), rule.get("max")
        )
        self.wording_notes.extend(worded.notes)
        if worded.standard != indicator.standard and rule.source == "seed":
            # the notice's sentence no longer says this rule: the rule is not the notice's either
            rule = replace(rule, source="default")
            self.wording_notes.append(
                f"指标“{indicator.label}”的计分规则与通知原文不同，排名结果“说明”表标为“{DEFAULT_SOURCE}”。"
            )
        return replace(indicator, standard=worded.standard, range=worded.range, rule=rule)

    def weight(self, t: _Table, typ: str, source: str) -> Decimal:
        """A relative scheme's indicator: its weight. Every weighted figure is compared with the other centers'
        own figures: a yes/no value, or one no form of this method asks anyone for, would score 0 for
        everyone, silently."""
        t.forbid("rule", "相对计分的方案按权重计分，指标不设计分规则（rule）")
        weight = t.number("weight", lo=Decimal(0))
        if typ == "bool":
            raise self.fail(
                (*t.path, "type"),
                "相对计分的方案把各单位填报的数量相互比较计分，“是/否”指标无法比较；请改为 integer 或 decimal",
            )
        if source != "self":
            raise self.fail(
                (*t.path, "source"),
                "相对计分的方案没有考核方填写表（评审人只填定性评分表），指标只能由各单位填报："
                '请删去 source 或写 source = "self"',
            )
        return weight

    def rule(self, t: _Table, typ: str) -> Rule:
        kind = t.choice("kind", tuple(RULE_PARAMS))
        source = t.choice("source", ("seed", "default"), "seed")
        if kind == "veto":
            if typ != "bool":
                raise self.fail((*t.path, "kind"), '一票否决（veto）只能用于“是/否”指标（type = "bool"）')
            reason = t.text("reason")
            t.done()
            return Rule(kind=kind, params={}, reason=reason, source=source)
        if typ == "bool":  # a 是 in a figure's formula: the form previews 请填数字 where Python counted 1
            raise self.fail(
                (*t.path, "kind"),
                '“是/否”指标（type = "bool"）只能用一票否决（veto）；要按“是”加分，请把 type 改为 integer'
                "（填0或1，max = 1）并用 per_unit",
            )
        params = {name: t.number(name) for name in RULE_PARAMS[kind]}
        lo = t.number("min", lo=Decimal(0))
        hi = t.number("max", lo=Decimal(0))
        if hi <= lo:
            raise self.fail((*t.path, "max"), f"计分上限 {_fmt(hi)} 应大于下限 {_fmt(lo)}")
        if "step" in params and params["step"] <= 0:
            raise self.fail((*t.path, "step"), f"每单位的分值应大于0，实际为 {_fmt(params['step'])}")
        if "target" in params and params["target"] < 0:
            raise self.fail((*t.path, "target"), f"目标数不能为负数，实际为 {_fmt(params['target'])}")
        for name in ("base", "full"):
            if name in params and not lo <= params[name] <= hi:
                raise self.fail(
                    (*t.path, name), f"基本分 {_fmt(params[name])} 应在计分范围 {_fmt(lo)}–{_fmt(hi)} 之内"
                )
        t.done()
        return Rule(kind=kind, params={**params, "min": lo, "max": hi}, source=source)

    def part(self, t: _Table) -> Part:
        part = Part(t.text("id"), t.text("label"), t.number("max", lo=Decimal(0)), t.text("description", ""))
        if part.max <= 0:
            raise self.fail((*t.path, "max"), "满分应大于0")
        t.done()
        return part

    # ------------------------------------------------------------------------------------------ grades

    def grades(self, grading: _Table, method: str, total_max: Decimal) -> tuple[Grade, ...]:
        items = grading.tables("grades")
        if len(items) < 2:
            raise self.fail((*grading.path, "grades"), "至少要有两个等次")
        out: list[Grade] = []
        uppers: list[Decimal | None] = []
        for t in items:
            failing = t.flag("failing", False)
            thresholds = method == "thresholds"
            gmin = t.number("min", _REQUIRED if thresholds else None, lo=Decimal(0), allowed=thresholds)
            uppers.append(t.number("max", None, lo=Decimal(0), allowed=thresholds))
            for key, value in (("min", gmin), ("max", uppers[-1])):
                if value is not None and value.normalize().as_tuple().exponent < -2:
                    raise self.fail(
                        (*t.path, key),
                        f"分数线 {_fmt(value)} 超过两位小数：总分按两位小数计，"
                        f"请写成两位小数（如 {_fmt(value.quantize(Decimal('0.01'), rounding=ROUND_UP))}）",
                    )
            share = t.number(
                "share", None, lo=Decimal(0), hi=Decimal(1), allowed=not thresholds and not failing
            )
            out.append(Grade(name=t.text("name"), min=gmin, share=share, failing=failing))
            t.done()
        self.unique([(g.name, (*t.path, "name")) for g, t in zip(out, items, strict=True)], "等次名称")
        if not out[-1].failing or any(g.failing for g in out[:-1]):
            raise self.fail(
                (*items[-1].path, "failing"), "最后一个等次、且只有它，应为不合格（failing = true）"
            )
        if method == "thresholds":
            self.threshold_bounds(out, uppers, items, total_max)
        else:
            passing = [(g, t) for g, t in zip(out, items, strict=True) if not g.failing]
            for g, t in passing[:-1]:
                if g.share is None:
                    raise self.fail(
                        (*t.path, "share"), f"等次 {g.name} 缺少所占比例 share（如 0.2 表示前20%）"
                    )
            given = sum((g.share for g, _ in passing if g.share is not None), Decimal(0))
            last, last_t = passing[-1]
            if last.share is not None and given != 1:
                raise self.fail((*last_t.path, "share"), f"各等次比例之和应为1，实际为 {_fmt(given)}")
            if last.share is None and given >= 1:
                raise self.fail(
                    (*passing[-2][1].path, "share"), f"前面各等次比例之和应小于1，实际为 {_fmt(given)}"
                )
        return tuple(out)

    def threshold_bounds(
        self, grades: list[Grade], uppers: list[Decimal | None], items: list[_Table], total_max: Decimal
    ) -> None:
        """Each grade from its min up to the next higher grade's min (the bound belongs to the higher grade):
        no score between 0 and the maximum without a grade, none with two."""
        for n, (g, t) in enumerate(zip(grades, items, strict=True)):
            assert g.min is not None
            above = grades[n - 1] if n else None
            if above is not None and above.min is not None and g.min >= above.min:
                raise self.fail(
                    (*t.path, "min"),
                    f"等次“{g.name}”的分数线 {_fmt(g.min)} 不低于上一等次“{above.name}”的 {_fmt(above.min)}，"
                    "两个等次的分数区间重叠；等次应按分数线从高到低排列",
                )
            if g.min > total_max:
                raise self.fail((*t.path, "min"), f"分数线 {_fmt(g.min)} 高于满分 {_fmt(total_max)}")
            upper = uppers[n]
            expected = above.min if above is not None else total_max
            if upper is not None and upper != expected:
                which = "重叠" if upper > expected else "之间有空档（没有等次）"
                whose = f"上一等次“{above.name}”的分数线" if above is not None else "满分"
                raise self.fail(
                    (*t.path, "max"),
                    f"等次“{g.name}”的上限 {_fmt(upper)} 与{whose} {_fmt(expected)} 不一致，分数区间{which}",
                )
        if grades[-1].min != 0:
            raise self.fail(
                (*items[-1].path, "min"),
                f"最低等次“{grades[-1].name}”的分数线应为0，否则0至{_fmt(grades[-1].min)}分之间没有等次",
            )

    # ------------------------------------------------------------------------------------------ checks

    def check(self, t: _Table, units: dict[str, str]) -> Check:
        kind = t.choice("kind", CHECK_KINDS)
        if kind == "paired":
            fields = t.texts("fields", _REQUIRED)
            if len(fields) < 2:
                raise self.fail((*t.path, "fields"), "应至少列出两个指标")
            keys: tuple[str, ...] = ("fields",) * len(fields)
        elif kind == "requires":
            fields, keys = (t.text("field"), t.text("requires")), ("field", "requires")
        else:
            fields, keys = (t.text("numerator"), t.text("denominator")), ("numerator", "denominator")
        for n, (f, key) in enumerate(zip(fields, keys, strict=True)):
            if f not in units:
                raise self.fail((*t.path, key), f"引用了不存在的指标 {f}")
            if f in fields[:n]:
                raise self.fail((*t.path, key), f"指标 {f} 写了两次：核对要在不同的指标之间进行")
        ratio = kind == "ratio_range"
        lo = t.number("min", _REQUIRED if ratio else None, lo=Decimal(0), allowed=ratio)
        hi = t.number("max", _REQUIRED if ratio else None, lo=Decimal(0), allowed=ratio)
        if ratio and lo is not None and hi is not None and hi <= lo:
            raise self.fail((*t.path, "max"), f"上限 {_fmt(hi)} 应大于下限 {_fmt(lo)}")
        check = Check(
            kind=kind,
            fields=tuple(fields),
            min=lo,
            max=hi,
            large_unit=t.text("large_unit", "", allowed=ratio),
            small_unit=t.text("small_unit", "", allowed=ratio),
        )
        unit = units.get(fields[0], "")
        for key, wrong in (("large_unit", check.large_unit), ("small_unit", check.small_unit)):
            if ratio and unit and wrong == unit:
                raise self.fail(
                    (*t.path, key),
                    f"“{wrong}”就是指标 {fields[0]} 的单位：这里应写可能被误填成的其他单位（例如万元的指标写“元”和“亿元”）；"
                    f"min、max 也按 {unit} 计",
                )
        t.done()
        return check

    # ------------------------------------------------------------------------------------------ roster

    def roster(self, filename: str) -> tuple[RosterEntry, ...]:
        """The scheme's own roster: a UTF-8 CSV beside the scheme file (or the shipped one of that name) with
        exactly the columns 序号, 编号, 名称, 依托单位 and optionally 联系人 — a fixed companion of the scheme,
        read as strictly as the scheme (a user's own roster, in any format, is read by roster.py)."""
        path = self.path.parent / filename
        if not path.is_file():  # a copied scheme may still name the shipped roster
            path = _shipped_dir() / filename
        if not path.is_file() or path.suffix.lower() != ".csv":
            raise self.fail(
                ("scheme", "roster"), f"找不到名录文件 {filename}（应为与方案文件放在同一文件夹的 .csv 文件）"
            )
        try:
            rows = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"))))
        except OSError as exc:
            raise SchemeError(
                f"方案的名录文件 {path} 无法读取（{os_error_text(exc)}）。请检查文件的权限后重试。"
            ) from None
        except (UnicodeDecodeError, csv.Error) as exc:
            raise SchemeError(
                f"方案的名录文件 {path} 无法读取（{exc}）。请另存为 UTF-8 编码的 CSV。"
            ) from exc
        columns = {
            "序号": "number",
            "编号": "code",
            "名称": "name",
            "依托单位": "host_unit",
            "联系人": "contact",
        }
        header = [c.strip() for c in rows[0]] if rows else []
        for n, name in enumerate(header):
            if name not in columns:
                raise SchemeError(
                    f"方案的名录文件 {path} 第1行第{n + 1}列“{name}”不是已知的列（{'、'.join(columns)}）。"
                )
        if "编号" not in header or "名称" not in header:
            raise SchemeError(f"方案的名录文件 {path} 第1行应有“编号”和“名称”两列。")
        entries: list[RosterEntry] = []
        seen: set[str] = set()
        for line, row in enumerate(rows[1:], start=2):
            if not any(cell.strip() for cell in row):
                continue
            values = {columns[h]: (row[n].strip() if n < len(row) else "") for n, h in enumerate(header)}
            if not values["code"] or not values["name"] or values["code"] in seen:
                problem = "编号重复" if values["code"] in seen else "缺少编号或名称"
                raise SchemeError(f"方案的名录文件 {path} 第{line}行{problem}。")
            seen.add(values["code"])
            entries.append(RosterEntry(**values))
        if not entries:
            raise SchemeError(f"方案的名录文件 {path} 中没有任何名单。")
        return tuple(entries)


def _money_word(label: str) -> str:
    """What a subsidy label calls the money (补助金额（万元） -> 补助), as Scheme.money_word."""
    name = re.split(r"[（(]", label, maxsplit=1)[0].strip()
    return name.removesuffix("金额") or name


_MONEY_UNITS = ("元", "千元", "万元", "百万元", "亿元")  # parse.MONEY_UNITS (scheme imports no parser)
_LABEL_UNIT = re.compile(r"[（(]\s*(?:单位\s*[:：]\s*)?([^（）()]*?)\s*[）)]")


def _money_unit(label: str) -> str:
    """The unit of money a subsidy label names in brackets (（万元）, (元), （单位：元）), '' when none."""
    for inner in _LABEL_UNIT.findall(label):
        if inner in _MONEY_UNITS or inner == "万":
            return "万元" if inner == "万" else inner
    return ""


def say_year(text: str, year: int) -> str:
    """A scheme text with its one placeholder, {year}, said as the year (other braces are kept as written)."""
    return text.replace("{year}", str(year))


def _stray_placeholder(text: str) -> str:
    """The message for a placeholder other than {year} in a scheme text ("" when there is none): it would be
    printed as typed."""
    slot = next((m for m in re.findall(r"\{[A-Za-z_]\w*\}", text) if m != "{year}"), None)
    return f"{slot} 不是可用的占位符：只有 {{year}}（考核年度）会被替换，请改正拼写" if slot else ""


TOP_TABLES = (
    "scheme", "submission", "indicators", "quantitative", "qualitative", "combination", "grading", "subsidy",
    "delisting", "publish", "validation", "checks",
)  # fmt: skip
YEAR_KEYS = ("period", "help")  # the texts Scheme.for_year says {year} in (and [publish], at kjjr publish)
SHEET_NAME_FORBIDDEN = "[]:*?/\\"  # what Excel refuses in a sheet name
SUBMISSION_KEYS = (
    "sheet",
    "instructions_sheet",
    "value_header",
    "year_label",
    "subtitle",
    "deadline",
    "send_to",
    "contact",
    "remarks",
    "sign",  # the stamp and signature block under the form, parts separated by ；
)
# The 公示 notice and the payment list (kjjr publish): their wording and where objections go.
PUBLISH_KEYS = ("issuer", "intro", "objection", "contact", "address", "payment_title")


class _Table:
    """One TOML table being read: typed getters that remember which keys were used, so that `done()` can
    refuse any key left over (a typo such as outlier_treshold) with the nearest known key."""

    def __init__(self, loader: _Loader, data: dict, path: tuple[str | int, ...]):
        self.loader, self.data, self.path = loader, data, path
        self.used: set[str] = set()
        self.known: set[str] = set()

    def __contains__(self, key: str) -> bool:
        return key in self.data

    def fail(self, key: str, problem: str) -> SchemeError:
        return self.loader.fail((*self.path, key), problem)

    def missing(self, key: str) -> SchemeError:
        """A required key is absent; a key of the table that looks like it (stepp for step) is named."""
        others = sorted(k for k in self.data if isinstance(k, str) and k not in self.known)
        near = difflib.get_close_matches(key, others, n=1, cutoff=0.6)
        hint = f"（此处写有 {near[0]}，是否应为 {key}？）" if near else ""
        return self.fail(key, f"缺少这一项{hint}")

    def _get(self, key: str, default: Any, allowed: bool, check: Callable[[Any], bool], kind: str) -> Any:
        self.known.add(key)
        if key not in self.data:
            if default is _REQUIRED:
                raise self.missing(key)
            return default
        if not allowed:
            return self.forbid(key, "此处不使用这一项")
        self.used.add(key)
        value = self.data[key]
        if not check(value):
            raise self.fail(key, f"应为{kind}，实际为 {_shown(value)}")
        return value

    def forbid(self, key: str, problem: str) -> None:
        if key in self.data:
            raise self.fail(key, problem)

    def text(self, key: str, default: Any = _REQUIRED, allowed: bool = True) -> Any:
        value = self._get(key, default, allowed, lambda v: isinstance(v, str), "文字（加英文引号）")
        if isinstance(value, str) and default is _REQUIRED and not value.strip():
            raise self.fail(key, "不能为空")
        return value

    def texts(self, key: str, default: Any = ()) -> tuple[str, ...]:
        value = self._get(
            key,
            default,
            True,
            lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
            "文字的列表",
        )
        return tuple(value)

    def flag(self, key: str, default: Any = _REQUIRED, allowed: bool = True) -> bool:
        return self._get(key, default, allowed, lambda v: isinstance(v, bool), " true 或 false")

    def integer(
        self,
        key: str,
        default: Any = _REQUIRED,
        lo: int | None = None,
        hi: int | None = None,
        allowed: bool = True,
    ) -> Any:
        value = self._get(
            key, default, allowed, lambda v: isinstance(v, int) and not isinstance(v, bool), "整数"
        )
        if key in self.used:
            self.in_range(key, Decimal(value), lo, hi)
        return value

    def number(
        self, key: str, default: Any = _REQUIRED, lo: Any = None, hi: Any = None, allowed: bool = True
    ) -> Any:
        value = self._get(
            key, default, allowed, lambda v: isinstance(v, int | float) and not isinstance(v, bool), "数字"
        )
        if key not in self.used:
            return value
        number = Decimal(str(value))
        if not number.is_finite():
            raise self.fail(key, f"应为数字，实际为 {_shown(value)}")
        self.in_range(key, number, lo, hi)
        return number

    def money(self, key: str, default: Any = _REQUIRED) -> Any:
        """An amount in 万元, paid to 0.01 万元 (100 元): a finer one could not be paid as written."""
        number = self.number(key, default, lo=Decimal(0))
        if isinstance(number, Decimal) and number != number.quantize(Decimal("0.01")):
            raise self.fail(key, f"金额以万元计，最多保留2位小数（0.01万元即100元），实际为 {_fmt(number)}")
        return number

    def in_range(self, key: str, value: Decimal, lo: Any, hi: Any) -> None:
        if lo is not None and value < lo:
            raise self.fail(key, f"不能小于 {_fmt(Decimal(lo))}，实际为 {_fmt(value)}")
        if hi is not None and value > hi:
            raise self.fail(key, f"不能大于 {_fmt(Decimal(hi))}，实际为 {_fmt(value)}")

    def choice(self, key: str, choices: tuple[str, ...], default: Any = _REQUIRED) -> Any:
        value = self._get(key, default, True, lambda v: isinstance(v, str), "文字（加英文引号）")
        if value not in choices:
            raise self.fail(key, f"应为 {'、'.join(choices)} 之一，实际为 {_shown(value)}")
        return value

    def table(self, key: str, required: bool = True, allowed: bool = True) -> _Table:
        self.known.add(key)
        if key not in self.data:
            if required:
                raise self.missing(key)
            return _Table(self.loader, {}, (*self.path, key))
        if not allowed:
            self.forbid(key, '按固定规则计分（method = "absolute"）的方案不使用这一部分')
        self.used.add(key)
        return self.loader.table(self.data[key], (*self.path, key))

    def tables(self, key: str, required: bool = True) -> list[_Table]:
        self.known.add(key)
        if key not in self.data:
            if required:
                raise self.missing(key)
            return []
        self.used.add(key)
        items = self.loader.tables(self.data[key], (*self.path, key))
        if required and not items:
            raise self.fail(key, "至少要有一项")
        return items

    def done(self) -> None:
        for key in self.data:
            if key not in self.used:
                near = difflib.get_close_matches(key, sorted(self.known), n=1, cutoff=0.6)
                hint = (
                    f"；是否应为 {near[0]}？" if near else f"；此处可用的项：{'、'.join(sorted(self.known))}"
                )
                raise self.fail(key, f"未知的项 {key}{hint}")


def _shown(value: Any) -> str:
    if isinstance(value, dict):
        return "一个表"
    if isinstance(value, list):
        return "一个列表"
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, str) else str(value)


def grades_in_remarks(remarks: str, grades: Iterable[Grade]) -> bool:
    return bool(re.search(r"[0-9]", remarks)) and any(g.name in remarks for g in grades)


_fmt = figure_text  # 0.25, 30, 100: a figure as the scheme file writes it
