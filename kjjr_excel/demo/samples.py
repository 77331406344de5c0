"""Realistic sample inputs for both schemes, for the demo (`app.run_demo`) and the tests.

`python -m kjjr_excel.demo.samples` rewrites the committed `sample_inputs/`; `kjjr demo` uses them (or builds them
afresh when the package runs outside the repository). Values come from a seeded generator: same files each time.
"""

from __future__ import annotations

import csv
import random
from datetime import datetime
from pathlib import Path

from kjjr_excel.domain.parse import parse_value
from kjjr_excel.domain.scheme import RosterEntry, Scheme, load_scheme
from kjjr_excel.write.template import write_assessment, write_submission

QINGDAO_ROSTER = (
    ("QD01", "市南区科技金融服务分中心", "市南区科学技术局", "张敏", "0532-82871234", "qd01@example.cn"),
    ("QD02", "市北区科技金融服务分中心", "市北区科学技术局", "李强", "0532-83662345", "qd02@example.cn"),
    ("QD03", "李沧区科技金融服务分中心", "李沧区科学技术局", "王磊", "0532-87633456", "qd03@example.cn"),
    (
        "QD04",
        "崂山区科技金融服务分中心",
        "崂山区科技和人才工作局",
        "刘洋",
        "0532-88994567",
        "qd04@example.cn",
    ),
    ("QD05", "城阳区科技金融服务分中心", "城阳区科学技术局", "陈静", "0532-87865678", "qd05@example.cn"),
    ("QD06", "西海岸新区科技金融服务分中心", "西海岸新区科技局", "杨帆", "0532-86986789", "qd06@example.cn"),
    ("QD07", "即墨区科技金融服务分中心", "即墨区科学技术局", "赵伟", "0532-88517890", "qd07@example.cn"),
    ("QD08", "胶州市科技金融服务分中心", "胶州市科学技术局", "孙丽", "0532-82218901", "qd08@example.cn"),
    ("QD09", "平度市科技金融服务分中心", "平度市科学技术局", "周军", "0532-88369012", "qd09@example.cn"),
    ("QD10", "莱西市科技金融服务分中心", "莱西市科学技术局", "吴芳", "0532-88480123", "qd10@example.cn"),
    (
        "QD11",
        "高新区科技金融服务分中心",
        "青岛高新技术产业开发区科技局",
        "郑浩",
        "0532-66781234",
        "qd11@example.cn",
    ),
    (
        "QD12",
        "蓝色硅谷核心区科技金融服务分中心",
        "青岛蓝色硅谷核心区管理局",
        "冯雪",
        "0532-66782345",
        "qd12@example.cn",
    ),
)

# Qingdao submissions: code -> raw values as the clerk typed them (strings where the clerk typed text)
QINGDAO_VALUES: dict[str, dict[str, object]] = {
    "QD01": dict(
        enterprise_info=52,
        financing_needs=130,
        monthly_reports=12,
        finance_events=17,
        policies_implemented=8,
        new_policies_products=4,
        fulltime_staff=4,
    ),
    "QD02": dict(
        enterprise_info=34,
        financing_needs=104,
        monthly_reports=11,
        finance_events=15,
        policies_implemented=4,
        new_policies_products=3,
        fulltime_staff=3,
    ),
    "QD03": dict(
        enterprise_info=31,
        financing_needs=96,
        monthly_reports=12,
        finance_events="15场",
        policies_implemented=6,
        new_policies_products=3,
        fulltime_staff=3,
    ),
    "QD04": dict(
        enterprise_info=33,
        financing_needs=112,
        monthly_reports=12,
        finance_events=15,
        policies_implemented=8,
        new_policies_products=4,
        fulltime_staff=4,
    ),
    "QD05": dict(
        enterprise_info="３２",
        financing_needs=100,
        monthly_reports=10,
        finance_events=16,
        policies_implemented=3,
        new_policies_products=1,
        fulltime_staff=2,
    ),
    "QD06": dict(
        enterprise_info=45,
        financing_needs=150,
        monthly_reports=12,
        finance_events=16,
        policies_implemented=7,
        new_policies_products=3,
        fulltime_staff=4,
    ),
    "QD07": dict(
        enterprise_info=30,
        financing_needs=100,
        monthly_reports=12,
        finance_events=12,
        policies_implemented=4,
        new_policies_products=2,
        fulltime_staff=3,
    ),
    "QD08": dict(
        enterprise_info=36,
        financing_needs="约90",
        monthly_reports=11,
        finance_events=14,
        policies_implemented=4,
        new_policies_products=2,
        fulltime_staff=3,
    ),
    "QD10": dict(
        enterprise_info=15,
        financing_needs=60,
        monthly_reports=7,
        finance_events=6,
        policies_implemented=1,
        new_policies_products="无",
        fulltime_staff=1,
    ),
    "QD11": dict(
        enterprise_info=40,
        financing_needs=120,
        monthly_reports=12,
        finance_events=14,
        policies_implemented=5,
        new_policies_products=3,
        fulltime_staff=4,
    ),
}
QINGDAO_ASSESSMENT: dict[str, dict[str, object]] = {
    "QD01": {"major_contribution": 5},
    "QD02": {"major_errors": 2},
    "QD04": {"enterprise_info": 28},
    "QD07": {"major_accident": "是"},
    "QD10": {"major_errors": 1},
}
GUANGDONG_MISSING = ("GD19", "GD30", "GD32")


def _roster_entries(rows) -> tuple[RosterEntry, ...]:
    return tuple(
        RosterEntry(code=c, name=n, host_unit=h, contact=ct, phone=ph, email=em)
        for c, n, h, ct, ph, em in rows
    )


def _filler(rng: random.Random) -> dict[str, object]:
    surname = rng.choice("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林")
    given = rng.choice(["伟", "芳", "娜", "敏", "静", "磊", "洋", "艳", "勇", "军", "杰", "涛", "明", "超"])
    return {
        "filler_name": surname + given,
        "filler_phone": f"1{rng.randint(3, 9)}{rng.randint(100000000, 999999999)}",
    }


def build_qingdao(root: Path) -> dict[str, Path]:
    """sample_inputs/qingdao: 名录.csv, 考核评价表.xlsx and an inbox of filled submissions."""

    scheme = load_scheme("qingdao")
    rng = random.Random(2017)
    base = root / "qingdao"
    inbox = base / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    roster = _roster_entries(QINGDAO_ROSTER)
    with (base / "名录.csv").open("w", newline="", encoding="utf-8-sig") as fh:
        writer = csv.writer(fh)
        writer.writerow(["编号", "名称", "依托单位", "联系人", "电话", "邮箱"])
        writer.writerows(QINGDAO_ROSTER)
    _write_qingdao_inbox(inbox, scheme, roster, scheme.year, lambda code, figures: figures, rng)
    rows = {}
    for code, fields in QINGDAO_ASSESSMENT.items():
        rows[code] = fields
    write_assessment(base / "考核评价表.xlsx", scheme, roster=roster, rows=rows)
    _build_qingdao_next_year(base, scheme, roster, rng)
    return {"inbox": inbox, "roster": base / "名录.csv", "assessment": base / "考核评价表.xlsx"}


def _build_qingdao_next_year(base: Path, scheme: Scheme, roster, rng: random.Random) -> None:
    """inbox_2018: the following year, filled in 2018 templates, to show delisting against the 2017 result:
    莱西 (last and 不合格 in 2017) stays at the bottom, 城阳 recovers, 胶州 fails again."""
    year = scheme.year + 1
    lift = {"QD05": 4, "QD10": 0, "QD08": -2}

    def next_year(code: str, figures: dict[str, object]) -> dict[str, object]:
        # last year's figures, read as numbers, moved by a few units per center
        bump = lift.get(code, 1)
        nxt = {k: max(0, _as_int(v, scheme.indicator(k).unit) + bump) for k, v in figures.items()}
        nxt["monthly_reports"] = min(12, nxt["monthly_reports"])
        return nxt

    _write_qingdao_inbox(base / f"inbox_{year}", scheme, roster, year, next_year, rng)


def _write_qingdao_inbox(
    inbox: Path, scheme: Scheme, roster, year: int, figures_of, rng: random.Random
) -> None:
    """A filled submission of `year` for every roster center with sample figures (as figures_of(code,
    QINGDAO_VALUES[code]) gives them), filled in the January after."""

    inbox.mkdir(parents=True, exist_ok=True)
    for entry in roster:
        figures = QINGDAO_VALUES.get(entry.code)
        if figures is None:
            continue
        header = {**_filler(rng), "fill_date": f"{year + 1}-01-{rng.randint(5, 20):02d}"}
        write_submission(
            inbox / f"{entry.name}_{year}年度考核自报表.xlsx",
            scheme,
            center=entry,
            year=year,
            values=figures_of(entry.code, figures),
            header=header,
        )


def _as_int(raw: object, unit: str) -> int:
    """A sample's figure as the tool reads it ('３２' -> 32, '14场' -> 14, '无' -> 0); unreadable ('约90') -> 0."""
    parsed = parse_value(raw, type="integer", unit=unit)
    return int(parsed.value) if parsed.value is not None else 0


def guangdong_values(scheme: Scheme, code: str, rng: random.Random) -> dict[str, object]:
    """Plausible Annex 3 figures for one center; a size factor keeps each center's figures coherent."""
    size = rng.choice([0.3, 0.5, 0.8, 1.0, 1.3, 1.8, 2.5])
    spans = {
        "loan_banks": (3, 20),
        "loan_amount": (5000, 120000),
        "loan_projects": (10, 200),
        "loan_firms_served": (20, 400),
        "vc_institutions": (2, 25),
        "vc_amount": (1000, 60000),
        "vc_projects": (3, 50),
        "vc_firms_served": (10, 150),
        "ipo_main_board": (0, 2),
        "ipo_neeq": (0, 6),
        "ipo_regional_equity": (0, 15),
        "ipo_coached_unlisted": (5, 60),
        "roadshow_events": (2, 24),
        "roadshow_attendees": (80, 2400),
        "training_events": (2, 20),
        "training_attendees": (100, 2000),
        "contest_coaching_events": (0, 8),
    }
    out: dict[str, object] = {}
    for ind in scheme.indicators:
        lo, hi = spans.get(ind.id, (0, 10))
        value = lo + (hi - lo) * min(1.0, size * rng.random())
        out[ind.id] = round(value, 2) if ind.type == "decimal" else int(round(value))
    return out


def build_guangdong(root: Path) -> dict[str, Path]:
    """sample_inputs/guangdong: an inbox of Annex 3 tables for the 32 centers (three missing, a few with
    clerks' mistakes) and five reviewers' score sheets (one veto, one partly filled row)."""

    scheme = load_scheme("guangdong")
    rng = random.Random(2019)
    base = root / "guangdong"
    inbox = base / "inbox"
    reviews = base / "reviews"
    inbox.mkdir(parents=True, exist_ok=True)
    reviews.mkdir(parents=True, exist_ok=True)
    submitted = []
    for entry in scheme.roster:
        values = guangdong_values(scheme, entry.code, rng)
        header = {**_filler(rng), "fill_date": "2020-05-26"}
        if entry.code in GUANGDONG_MISSING:
            continue
        if entry.code == "GD13":  # the clerk typed yuan instead of 万元
            values["loan_amount"] = int(float(values["loan_amount"]) * 10000)
        if entry.code == "GD21":
            values["vc_amount"] = f"{float(values['vc_amount']):,.2f}"
        if entry.code == "GD05":
            values["ipo_main_board"] = "无"
        if entry.code == "GD28":
            values["roadshow_events"] = "若干"
        if entry.code == "GD09":
            values["training_attendees"] = f"{values['training_attendees']}人次"
        name = f"{entry.number}-{entry.name}-评估数据统计表"
        saved = datetime(2020, 5, 26, 9, 30)
        if entry.code == "GD10":  # sent twice: a first version with a slip, then a corrected one
            first = {**values, "loan_projects": 0}
            write_submission(
                inbox / f"{name}.xlsx", scheme, center=entry, values=first, header=header, created=saved
            )
            name, saved = f"{name}（更正）", datetime(2020, 5, 28, 16, 5)
        write_submission(
            inbox / f"{name}.xlsx", scheme, center=entry, values=values, header=header, created=saved
        )
        submitted.append(entry)
    _write_guangdong_reviews(scheme, reviews, submitted, rng)
    return {"inbox": inbox, "reviews": reviews}


def _write_guangdong_reviews(
    scheme: Scheme, reviews: Path, submitted: list[RosterEntry], rng: random.Random
) -> None:
    """Five reviewers' score sheets for the centers that submitted: one veto, one row partly filled."""
    for reviewer in range(1, 6):
        rows: dict[str, dict[str, object]] = {}
        for entry in submitted:
            quality = 0.55 + 0.4 * random.Random(f"{entry.code}").random()
            row: dict[str, object] = {}
            for part in scheme.parts:
                noise = rng.uniform(-0.08, 0.08)
                row[part.id] = round(float(part.max) * max(0.2, min(1.0, quality + noise)), 1)
            if entry.code == "GD17" and reviewer == 3:
                row["veto"] = "是"
                row["veto_reason"] = "考核材料弄虚作假（撮合贷款项目重复申报）"
            if entry.code == "GD26" and reviewer == 2:
                row.pop(scheme.parts[-1].id)
            rows[entry.code] = row
        write_assessment(
            reviews / f"定性评分表_评审人{reviewer}.xlsx",
            scheme,
            roster=scheme.roster,
            rows=rows,
            reviewer=f"评审专家{reviewer}",
        )


def build_all(root: Path) -> None:
    build_qingdao(root)
    build_guangdong(root)


if __name__ == "__main__":
    build_all(Path("sample_inputs"))
    print("sample_inputs/ 已重新生成")
