"""Load an assessment scheme (TOML) into frozen dataclasses and check it.

A scheme declares everything that differs between assessments: indicators, scoring rules, grades, subsidy,
delisting, cross-field checks and the roster. No indicator id appears in the Python code.
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from .cells import fmt_decimal
from .errors import SchemeError

SCHEME_DIR = "schemes"
INDICATOR_TYPES = ("integer", "decimal", "bool")
SOURCES = ("self", "assessor")
METHODS = ("absolute", "relative")
BENCHMARKS = ("max", "p90", "rank")
CHECK_KINDS = ("paired", "requires", "ratio_range")
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
    neutral: Any = None
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
    center_label: str = "分中心"
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
    sources: dict[str, str] = field(default_factory=dict)
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

    def indicator(self, indicator_id: str) -> Indicator:
        for ind in self.indicators:
            if ind.id == indicator_id:
                return ind
        raise KeyError(indicator_id)

    @property
    def is_relative(self) -> bool:
        return self.method == "relative"

    def parameters(self) -> list[tuple[str, str, str]]:
        """(parameter, value, source) rows for the 说明 sheet; source is 通知原文 or 默认值（待确认）: a figure
        is 通知原文 only where the notice fixes it (a section, or one of its keys `<key>_source`, says so)."""
        from .score import describe_rule  # local: score imports scheme

        def src(section: str) -> str:
            return DEFAULT_SOURCE if self.sources.get(section) == "default" else SEED_SOURCE

        rows: list[tuple[str, str, str]] = [
            ("考核方案", f"{self.name}（{self.id}，版本 {self.version}）", "方案文件"),
            ("依据", self.document, "通知原文"),
            ("考核年度", str(self.year), "方案文件"),
        ]
        if self.period:
            rows.append(("评估周期", self.period, "通知原文"))
        for ind in self.indicators:
            if self.is_relative:
                rows.append(
                    (f"权重：{ind.category}／{ind.label}", fmt_decimal(ind.weight), src("quantitative"))
                )
            elif ind.rule is not None:
                rows.append((f"计分规则：{ind.category}／{ind.label}", describe_rule(ind), "通知原文"))
        if self.is_relative:
            bench = {
                "max": "最高值得满分，其余按比例折算",
                "p90": "以第90百分位数（PERCENTILE.INC）为基准",
                "rank": "按百分比排位（PERCENTRANK.INC）计分",
            }[self.benchmark]
            rows.append(("定量计分方法", bench, src("quantitative")))
            for part in self.parts:
                rows.append((f"定性评分：{part.label}（满分）", fmt_decimal(part.max), src("qualitative")))
            rows.append(("定性评分去掉最高分和最低分的评审人数下限", str(self.trim_at), src("qualitative")))
            rows.append(
                (
                    "综合得分",
                    f"定量得分×{fmt_decimal(self.weight_quantitative)} + 定性得分×{fmt_decimal(self.weight_qualitative)}",
                    src("combination"),
                )
            )
        for g in self.grades:
            if self.grading_method == "thresholds":
                rows.append(
                    (
                        f"等次：{g.name}",
                        f"{fmt_decimal(g.min)}分（含）以上" if not g.failing else "低于合格线",
                        src("grading"),
                    )
                )
            else:
                rows.append((f"等次：{g.name}", _quota_text(self.grades, g), src("grading")))
        if self.subsidy_floor:
            rows.append(("补助下限（万元，合格及以上）", fmt_decimal(self.subsidy_floor), src("subsidy")))
        for name, amount in self.subsidy_amounts.items():
            rows.append((f"{self.subsidy_label}：{name}", fmt_decimal(amount), src("subsidy.amounts")))
        if self.subsidy_budget:
            rows.append(("补助总额（万元）", fmt_decimal(self.subsidy_budget), src("subsidy")))
        if self.delisting:
            rows.append(
                (
                    "摘牌",
                    f"连续{self.delisting_years}年不合格或连续{self.delisting_years}年排名最后一名",
                    src("delisting"),
                )
            )
        return rows


def _quota_text(grades: tuple[Grade, ...], grade: Grade) -> str:
    passing = [g for g in grades if not g.failing]
    if grade.failing:
        return "一票否决等不参加排名的分中心"
    if grade is passing[-1]:
        return "其余参加排名的分中心"
    lead = "前" if grade is passing[0] else "其后"
    return f"{lead}{fmt_decimal(grade.share * 100)}%（人数按四舍五入取整，边界同分者均取较高等次）"


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
    known = "、".join(f"{sid}（{'、'.join(aliases)}）" for _, sid, aliases, _ in shipped)
    raise SchemeError(f"找不到考核方案“{text}”。可用的方案：{known}；或给出方案文件（.toml）的路径。")


def _shipped_dir() -> Path:
    return Path(str(resources.files(__package__).joinpath(SCHEME_DIR)))


def _shipped(base: Path) -> list[tuple[Path, str, tuple[str, ...], str]]:
    """(file, id, aliases, name) of the shipped schemes, from their [scheme] tables (no full load)."""
    out = []
    for toml in sorted(base.glob("*.toml")):
        head = tomllib.loads(toml.read_text(encoding="utf-8"))["scheme"]
        out.append((toml, head["id"], tuple(head.get("aliases", [])), head["name"]))
    return out


def load_scheme(name_or_path: str | Path) -> Scheme:
    """Load and check a scheme; raise SchemeError naming the file, key and line on any problem."""
    import hashlib

    path = resolve_scheme_path(name_or_path)
    raw = path.read_bytes()
    text = raw.decode("utf-8-sig", errors="replace")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SchemeError(f"考核方案文件 {path} 格式错误：{exc}。请按 TOML 格式修改后重试。") from exc
    loader = _Loader(path, text)
    scheme = loader.build(data)
    return _replace(scheme, path=str(path), sha256=hashlib.sha256(raw).hexdigest())


def _replace(scheme: Scheme, **changes: Any) -> Scheme:
    from dataclasses import replace

    return replace(scheme, **changes)


class _Loader:
    def __init__(self, path: Path, text: str):
        self.path = path
        self.lines = text.splitlines()

    def fail(self, key: str, problem: str) -> SchemeError:
        leaf = key.rsplit(".", 1)[-1].split("[")[0]
        line = next(
            (n for n, ln in enumerate(self.lines, 1) if re.match(rf"\s*\"?{re.escape(leaf)}\"?\s*=", ln)),
            None,
        )
        if line is None:
            line = next((n for n, ln in enumerate(self.lines, 1) if leaf in ln), None)
        where = f"第{line}行" if line else "（文件中没有这一项）"
        return SchemeError(f"考核方案文件 {self.path} 的 {key}（{where}）有误：{problem}")

    def need(self, table: dict, key: str, where: str) -> Any:
        if key not in table:
            raise self.fail(f"{where}.{key}", "缺少这一项")
        return table[key]

    def dec(self, value: Any, key: str) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise self.fail(key, f"应为数字，实际为 {value!r}")
        try:
            return Decimal(str(value))
        except Exception as exc:
            raise self.fail(key, f"应为数字，实际为 {value!r}") from exc

    def build(self, data: dict) -> Scheme:
        head = self.need(data, "scheme", "")
        if not isinstance(head, dict):
            raise self.fail("scheme", "应为一个表（[scheme]）")
        method = self.need(head, "method", "scheme")
        if method not in METHODS:
            raise self.fail("scheme.method", f"应为 {' 或 '.join(METHODS)}，实际为 {method!r}")
        year = self.need(head, "year", "scheme")
        if not isinstance(year, int) or not 1990 <= year <= 2100:
            raise self.fail("scheme.year", f"应为四位年份，实际为 {year!r}")
        indicators = self.indicators(self.need(data, "indicators", ""), method)
        ids = {i.id for i in indicators}
        grading = self.need(data, "grading", "")
        grading_method = self.need(grading, "method", "grading")
        grades = self.grades(self.need(grading, "grades", "grading"), grading_method)
        subsidy = self.need(data, "subsidy", "")
        amounts = {
            str(k): self.dec(v, f"subsidy.amounts.{k}")
            for k, v in self.need(subsidy, "amounts", "subsidy").items()
        }
        for name in amounts:
            if name not in {g.name for g in grades}:
                raise self.fail(f"subsidy.amounts.{name}", "不是已定义的等次")
        delisting = data.get("delisting", {})
        checks = tuple(self.check(c, n, ids) for n, c in enumerate(data.get("checks", [])))
        sources = {
            name: str(section.get("source", "seed"))
            for name, section in data.items()
            if isinstance(section, dict)
        }
        # a key of a section may have a source of its own (the amounts the bureau sets, beside the floor
        # the notice fixes): subsidy.amounts_source = "default"
        for name, section in data.items():
            if isinstance(section, dict):
                for key, value in section.items():
                    if key.endswith("_source"):
                        sources[f"{name}.{key.removesuffix('_source')}"] = str(value)
                        continue
                for key in section:
                    sources.setdefault(f"{name}.{key}", sources[name])
        quantitative = data.get("quantitative", {})
        qualitative = data.get("qualitative", {})
        combination = data.get("combination", {})
        validation = data.get("validation", {})
        benchmark = quantitative.get("benchmark", "max")
        if benchmark not in BENCHMARKS:
            raise self.fail(
                "quantitative.benchmark", f"应为 {'、'.join(BENCHMARKS)} 之一，实际为 {benchmark!r}"
            )
        parts = tuple(
            Part(
                str(self.need(p, "id", f"qualitative.parts[{n}]")),
                str(self.need(p, "label", "qualitative.parts")),
                self.dec(self.need(p, "max", "qualitative.parts"), f"qualitative.parts[{n}].max"),
                str(p.get("description", "")),
            )
            for n, p in enumerate(qualitative.get("parts", []))
        )
        if method == "relative":
            total = sum((i.weight or Decimal(0)) for i in indicators)
            if total != 100:
                raise self.fail("indicators.weight", f"各指标权重之和应为100，实际为 {total}")
            if parts and sum(p.max for p in parts) != 100:
                raise self.fail("qualitative.parts.max", "定性评分各部分满分之和应为100")
        wq = self.dec(combination.get("quantitative", 1), "combination.quantitative")
        wl = self.dec(combination.get("qualitative", 0), "combination.qualitative")
        if wq + wl != 1:
            raise self.fail("combination.qualitative", f"定量与定性权重之和应为1，实际为 {wq + wl}")
        roster_file = head.get("roster")
        roster = self.roster(roster_file) if roster_file else ()
        return Scheme(
            id=str(self.need(head, "id", "scheme")),
            version=str(self.need(head, "version", "scheme")),
            name=str(self.need(head, "name", "scheme")),
            title=str(self.need(head, "title", "scheme")),
            issuer=str(head.get("issuer", "")),
            document=str(head.get("document", "")),
            year=year,
            method=method,
            result_title=str(head.get("result_title", "考核结果")),
            total_label=str(head.get("total_label", "总分")),
            indicators=indicators,
            grades=grades,
            grading_method=grading_method,
            subsidy_label=str(subsidy.get("label", "补助金额（万元）")),
            subsidy_amounts=amounts,
            subsidy_floor=self.dec(subsidy.get("floor", 0), "subsidy.floor"),
            subsidy_budget=self.dec(subsidy.get("budget", 0), "subsidy.budget"),
            delisting=bool(delisting.get("enabled", False)),
            delisting_years=int(delisting.get("years", 2)),
            checks=checks,
            aliases=tuple(head.get("aliases", ())),
            period=str(head.get("period", "")),
            center_label=str(head.get("center_label", "分中心")),
            roster=roster,
            roster_required=bool(head.get("roster_required", False)),
            submission={str(k): str(v) for k, v in data.get("submission", {}).items()},
            publish={str(k): str(v) for k, v in data.get("publish", {}).items()},
            benchmark=benchmark,
            parts=parts,
            trim_at=int(qualitative.get("trim_at", 5)),
            review_title=str(qualitative.get("title", "")),
            weight_quantitative=wq,
            weight_qualitative=wl,
            outlier_threshold=self.dec(
                validation.get("outlier_threshold", 3.5), "validation.outlier_threshold"
            ),
            outlier_min_centers=int(validation.get("outlier_min_centers", 5)),
            outlier_ratio=self.dec(validation.get("outlier_ratio", 3), "validation.outlier_ratio"),
            sources=sources,
        )

    def indicators(self, items: Any, method: str) -> tuple[Indicator, ...]:
        if not isinstance(items, list) or not items:
            raise self.fail("indicators", "应至少有一个指标（[[indicators]]）")
        out: list[Indicator] = []
        seen: set[str] = set()
        for n, item in enumerate(items):
            where = f"indicators[{n}]"
            iid = str(self.need(item, "id", where))
            if not re.fullmatch(r"[a-z][a-z0-9_]*", iid):
                raise self.fail(f"{where}.id", f"指标编号 {iid!r} 只能用小写字母、数字和下划线，且以字母开头")
            if iid in seen:
                raise self.fail(f"{where}.id", f"指标编号 {iid} 重复")
            seen.add(iid)
            typ = self.need(item, "type", where)
            if typ not in INDICATOR_TYPES:
                raise self.fail(f"{where}.type", f"应为 {'、'.join(INDICATOR_TYPES)} 之一，实际为 {typ!r}")
            source = item.get("source", "self")
            if source not in SOURCES:
                raise self.fail(f"{where}.source", f"应为 self 或 assessor，实际为 {source!r}")
            rule = None
            if "rule" in item:
                rule = self.rule(item["rule"], f"{where}.rule")
            elif method == "absolute":
                raise self.fail(f"{where}.rule", "按固定规则计分的方案，每个指标都要有计分规则")
            weight = self.dec(item["weight"], f"{where}.weight") if "weight" in item else None
            if method == "relative" and weight is None:
                raise self.fail(f"{where}.weight", "相对计分的方案，每个指标都要有权重")
            out.append(
                Indicator(
                    id=iid,
                    category=str(self.need(item, "category", where)),
                    label=str(self.need(item, "label", where)),
                    unit=str(item.get("unit", "")),
                    type=typ,
                    source=source,
                    number=str(item.get("number", "")),
                    input_label=str(item.get("input_label", "")),
                    places=int(item.get("places", 0 if typ == "integer" else 2)),
                    min=self.dec(item.get("min", 0), f"{where}.min"),
                    max=self.dec(item["max"], f"{where}.max") if "max" in item else None,
                    standard=str(item.get("standard", "")),
                    range=str(item.get("range", "")),
                    note=str(item.get("note", "")),
                    help=str(item.get("help", "")),
                    verifiable=bool(item.get("verifiable", False)),
                    neutral=item.get("neutral"),
                    weight=weight,
                    rule=rule,
                )
            )
        return tuple(out)

    def rule(self, item: Any, where: str) -> Rule:
        from .score import RULES

        if not isinstance(item, dict):
            raise self.fail(where, '应为一个表，例如 { kind = "linear_step", base = 5, ... }')
        kind = self.need(item, "kind", where)
        if kind not in RULES:
            raise self.fail(f"{where}.kind", f"未知的计分规则 {kind!r}，可用：{'、'.join(sorted(RULES))}")
        params = {k: self.dec(v, f"{where}.{k}") for k, v in item.items() if k not in ("kind", "reason")}
        for needed in RULES[kind].params:
            if needed not in params:
                raise self.fail(f"{where}.{needed}", f"计分规则 {kind} 需要参数 {needed}")
        return Rule(kind=kind, params=params, reason=str(item.get("reason", "")))

    def grades(self, items: Any, method: str) -> tuple[Grade, ...]:
        if method not in ("thresholds", "quota"):
            raise self.fail("grading.method", f"应为 thresholds 或 quota，实际为 {method!r}")
        if not isinstance(items, list) or len(items) < 2:
            raise self.fail("grading.grades", "至少要有两个等次")
        out = []
        for n, g in enumerate(items):
            where = f"grading.grades[{n}]"
            name = str(self.need(g, "name", where))
            failing = bool(g.get("failing", False))
            gmin = self.dec(g["min"], f"{where}.min") if "min" in g else None
            share = self.dec(g["share"], f"{where}.share") if "share" in g else None
            if method == "thresholds" and gmin is None:
                raise self.fail(f"{where}.min", f"等次 {name} 缺少分数线 min")
            out.append(Grade(name=name, min=gmin, share=share, failing=failing))
        if method == "thresholds":
            mins = [g.min for g in out]
            if mins != sorted(mins, reverse=True):
                raise self.fail("grading.grades.min", "等次应按分数线从高到低排列")
        if not out[-1].failing:
            raise self.fail("grading.grades", "最后一个等次应为不合格（failing = true）")
        return tuple(out)

    def check(self, item: dict, n: int, ids: set[str]) -> Check:
        where = f"checks[{n}]"
        kind = self.need(item, "kind", where)
        if kind not in CHECK_KINDS:
            raise self.fail(f"{where}.kind", f"应为 {'、'.join(CHECK_KINDS)} 之一")
        if kind == "paired":
            fields = tuple(self.need(item, "fields", where))
        elif kind == "requires":
            fields = (self.need(item, "field", where), self.need(item, "requires", where))
        else:
            fields = (self.need(item, "numerator", where), self.need(item, "denominator", where))
        for f in fields:
            if f not in ids:
                raise self.fail(f"{where}", f"引用了不存在的指标 {f}")
        return Check(
            kind=kind,
            fields=fields,
            min=self.dec(item["min"], f"{where}.min") if "min" in item else None,
            max=self.dec(item["max"], f"{where}.max") if "max" in item else None,
        )

    def roster(self, filename: str) -> tuple[RosterEntry, ...]:
        from .roster import read_roster

        path = self.path.parent / filename
        if not path.is_file():  # a copied scheme may still name the shipped roster
            path = Path(str(resources.files(__package__).joinpath(SCHEME_DIR))) / filename
        if not path.is_file():
            raise self.fail("scheme.roster", f"找不到名录文件 {filename}（应与方案文件放在同一文件夹）")
        return read_roster(path)
