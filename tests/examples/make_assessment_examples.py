"""Rebuild the assessor-table and review-sheet cases of the example corpus (run from the repository root, with
the package installed, `pip install -e '.[test]'`):

    python -m tests.examples.make_assessment_examples

Each case is a folder of the corpus (README.md): inbox/ (submissions from the real template, and the tables
where a case hands them in with the submissions), assessment/ (assessor tables or review sheets from the real
template, filled, then saved by LibreOffice or Gnumeric in the format the case is about), and expected.toml
(written by hand; never rewritten here). The files are committed; this script only says how they were made.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import zipfile
from datetime import datetime
from pathlib import Path

from kjjr_excel.domain.scheme import RosterEntry, load_scheme
from kjjr_excel.write.template import write_assessment, write_submission

# Run as a module from the repository root, `tests` is a namespace package there: the fixtures the test suite
# uses are importable without editing sys.path.
from tests.fixtures.kjjr_fixtures import strip_cached_values

HERE = Path(__file__).resolve().parent

QD = load_scheme("qingdao")
GD = load_scheme("guangdong")
QD_CENTERS = [
    RosterEntry("QD01", "市南区科技金融服务分中心", "市南区科技局"),
    RosterEntry("QD02", "市北区科技金融服务分中心", "市北区科技局"),
    RosterEntry("QD03", "崂山区科技金融服务分中心", "崂山区科技局"),
]
# self-reported scores 80, 54 and 59 (工作落实 adds 10 when the assessor finds no mistake)
QD_VALUES = {
    "QD01": [50, 120, 12, 17, 10, 5, 4],
    "QD02": [40, 110, 10, 14, 6, 3, 3],
    "QD03": [30, 100, 12, 15, 8, 4, 4],
}
GD_CENTERS = GD.roster[:6]


def soffice(src: Path, fmt: str, out_dir: Path) -> Path:
    """Open src in LibreOffice and save it as fmt into out_dir (a profile of its own)."""
    profile = Path(tempfile.mkdtemp(prefix="lo-14-build-"))
    try:
        subprocess.run(
            [
                "soffice",
                f"-env:UserInstallation={profile.as_uri()}",
                "--headless",
                "--convert-to",
                fmt,
                "--outdir",
                str(out_dir),
                str(src),
            ],
            check=True,
            capture_output=True,
            timeout=300,
        )
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    return out_dir / f"{src.stem}.{fmt}"


def ssconvert(src: Path, fmt: str, out_dir: Path) -> Path:
    """Open src in Gnumeric and save it as fmt into out_dir."""
    out = out_dir / f"{src.stem}.{fmt}"
    subprocess.run(["ssconvert", str(src), str(out)], check=True, capture_output=True, timeout=300)
    return out


def case_dir(name: str) -> Path:
    case = HERE / name
    shutil.rmtree(case / "inbox", ignore_errors=True)
    shutil.rmtree(case / "assessment", ignore_errors=True)
    (case / "inbox").mkdir(parents=True)
    (case / "assessment").mkdir()
    return case


def qd_inbox(case: Path) -> None:
    for entry in QD_CENTERS:
        ids = [i.id for i in QD.self_indicators]
        values = dict(zip(ids, QD_VALUES[entry.code], strict=True))
        write_submission(case / "inbox" / f"{entry.code}.xlsx", QD, center=entry, values=values)


def qd_table(case: Path, name: str, rows: dict, fmt: str | None) -> Path:
    """The real 考核评价表 filled with rows, then saved by LibreOffice as fmt (None: as the template wrote it)."""
    src = case / "assessment" / f"{name}.xlsx"
    write_assessment(src, QD, roster=QD_CENTERS, rows=rows)
    if fmt is None:
        return src
    with tempfile.TemporaryDirectory() as tmp:
        moved = Path(tmp) / src.name
        shutil.move(src, moved)
        out = soffice(moved, fmt, case / "assessment")
    return out


def gd_inbox(case: Path) -> None:
    for n, entry in enumerate(GD_CENTERS):
        values = {ind.id: (n + 1) * 10 for ind in GD.indicators}
        write_submission(case / "inbox" / f"{entry.code}.xlsx", GD, center=entry, values=values)


def gd_rows(total: float) -> dict[str, float]:
    return {p.id: float(p.max) * total / 100 for p in GD.parts}


def gd_review(
    folder: Path, name: str, reviewer: str, rows: dict, fmt: str | None, saved: datetime | None = None
) -> Path:
    src = folder / f"{name}.xlsx"
    write_assessment(src, GD, roster=GD_CENTERS, rows=rows, reviewer=reviewer, created=saved)
    if fmt is None:
        return src
    with tempfile.TemporaryDirectory() as tmp:
        moved = Path(tmp) / src.name
        shutil.move(src, moved)
        return soffice(moved, fmt, folder)


def build() -> None:
    # Qingdao: the assessor's table saved by LibreOffice as .xlsx and as .xls; 重大责任事故 fails QD02
    for fmt in ("xlsx", "xls", "ods"):
        case = case_dir(f"qd-assessment-{fmt}")
        qd_inbox(case)
        rows = {
            "QD01": {"major_contribution": 5},
            "QD02": {"major_accident": "是"},
            "QD03": {"major_errors": 2},
        }
        qd_table(case, "考核评价表", rows, fmt)
    # Qingdao: values in error are flagged 数据有误, never clamped or replaced by the neutral value
    case = case_dir("qd-assessment-bad-values")
    qd_inbox(case)
    rows = {
        "QD01": {"major_contribution": 12},
        "QD02": {"major_errors": 0.5, "enterprise_info": "二十"},
        "QD03": {"major_errors": -2},
    }
    qd_table(case, "考核评价表", rows, "xlsx")
    # Qingdao: formulas — a cached value is used with a 提示; a formula without one is an error
    case = case_dir("qd-assessment-formulas")
    qd_inbox(case)
    rows = {"QD01": {"enterprise_info": "=50+2"}, "QD02": {"major_contribution": "=2*3"}}
    path = qd_table(case, "考核评价表", rows, "xlsx")
    # QD02's 重大贡献: saved without its result (LibreOffice numbers the sheet parts from 1)
    strip_cached_values(path, path, {"F4"}, sheets="xl/worksheets/sheet")
    # the same table saved as .ods: both formulas keep the result LibreOffice found (0: the template writer
    # does not calculate), read with a 提示 each
    case = case_dir("qd-assessment-formulas-ods")
    qd_inbox(case)
    qd_table(case, "考核评价表", rows, "ods")
    # Qingdao: the table cannot be read (a truncated download): the run is provisional, nobody is paid
    case = case_dir("qd-assessment-unreadable")
    qd_inbox(case)
    path = qd_table(case, "考核评价表", {"QD02": {"major_accident": "是"}}, None)
    path.write_bytes(path.read_bytes()[:3000])
    # Qingdao: the assessor's table handed in among the submissions is used as the assessor's table
    case = case_dir("qd-assessment-in-inbox")
    qd_inbox(case)
    shutil.rmtree(case / "assessment")
    write_assessment(
        case / "inbox" / "考核评价表.xlsx", QD, roster=QD_CENTERS, rows={"QD02": {"major_accident": "是"}}
    )
    # Guangdong: five reviewers, sheets saved by LibreOffice as .xlsx, .xls and .ods; the veto is on an .ods
    case = case_dir("gd-reviews")
    gd_inbox(case)
    for r, total in enumerate((60, 70, 80, 90, 100)):
        rows = {e.code: gd_rows(total) for e in GD_CENTERS[:5]}
        if r == 2:
            rows[GD_CENTERS[0].code].update(veto="是", veto_reason="考核材料弄虚作假")
        gd_review(
            case / "assessment",
            f"定性评分表_{r + 1}",
            f"专家{r + 1}",
            rows,
            ("xlsx", "xls", "ods", "xlsx", "ods")[r],
        )
    # Guangdong: three reviewers' sheets saved by Gnumeric as .ods, .xls and .xlsx; the .ods one vetoes GD02
    case = case_dir("gd-reviews-gnumeric")
    gd_inbox(case)
    for r, fmt in enumerate(("ods", "xls", "xlsx")):
        rows = {e.code: gd_rows(70 + 10 * r) for e in GD_CENTERS}
        if fmt == "ods":
            rows[GD_CENTERS[1].code].update(veto="是", veto_reason="有重大不良信用记录")
        with tempfile.TemporaryDirectory() as tmp:
            src = gd_review(Path(tmp), f"评审表_{fmt}", f"专家{r + 1}", rows, None)
            ssconvert(src, fmt, case / "assessment")
    # Guangdong: the reviewers' sheets mailed as one .zip (LibreOffice .xlsx and .ods inside), in assessment/
    case = case_dir("gd-reviews-zip")
    gd_inbox(case)
    with tempfile.TemporaryDirectory() as tmp:
        members = []
        for r, fmt in enumerate(("xlsx", "ods", "xlsx")):
            rows = {e.code: gd_rows(70 + 10 * r) for e in GD_CENTERS}
            if r == 1:
                rows[GD_CENTERS[3].code].update(veto="是", veto_reason="考核材料弄虚作假")
            members.append(gd_review(Path(tmp), f"定性评分表_专家{r + 1}", f"专家{r + 1}", rows, fmt))
        with zipfile.ZipFile(case / "assessment" / "评审表.zip", "w", zipfile.ZIP_DEFLATED) as archive:
            for member in members:
                archive.write(member, member.name)
    # Guangdong: reviewer identity — a corrected copy, a sheet without a name, a center listed twice
    case = case_dir("gd-reviewer-identity")
    gd_inbox(case)
    full = {e.code: gd_rows(80) for e in GD_CENTERS}
    gd_review(
        case / "assessment",
        "张三",
        "张三",
        {e.code: gd_rows(50) for e in GD_CENTERS},
        None,
        datetime(2020, 3, 1, 9),
    )
    gd_review(case / "assessment", "张三（更正）", "张三", full, None, datetime(2020, 3, 2, 9))
    gd_review(case / "assessment", "李四", "李四", full, None, datetime(2020, 3, 1, 9))
    gd_review(
        case / "assessment",
        "无名",
        "",
        {**full, GD_CENTERS[1].code: {"veto": "是", "veto_reason": "严重失信"}},
        None,
    )
    # Guangdong: a center listed twice on one sheet (the reviewer typed an extra row of their own)
    case = case_dir("gd-center-twice")
    gd_inbox(case)
    rows = {e.code: gd_rows(80) for e in GD_CENTERS}
    rows["X1"] = {"name": GD_CENTERS[2].name, **gd_rows(20)}
    gd_review(case / "assessment", "王五", "王五", rows, "xlsx")
    gd_review(case / "assessment", "赵六", "赵六", {e.code: gd_rows(60) for e in GD_CENTERS}, "xlsx")
    # Guangdong: review sheets given as inputs (what a shell glob gives), none with --assessment
    case = case_dir("gd-reviews-as-inputs")
    gd_inbox(case)
    shutil.rmtree(case / "assessment")
    for r, total in enumerate((70, 80, 90)):
        gd_review(
            case / "inbox", f"r{r + 1}", f"专家{r + 1}", {e.code: gd_rows(total) for e in GD_CENTERS}, "xlsx"
        )


if __name__ == "__main__":
    build()
