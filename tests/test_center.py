"""domain.center: one center's scoring input from its submission, the assessor's table and the reviews."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from kjjr_excel.domain.assess import Assessment, Review
from kjjr_excel.domain.center import build_center
from kjjr_excel.domain.identity import CenterIdentity
from kjjr_excel.domain.model import CellValue, Submission
from kjjr_excel.domain.rank import QUALITATIVE
from kjjr_excel.domain.scheme import load_scheme

QD = load_scheme("qingdao")
WHO = CenterIdentity("k1", "QD01", "市南区分中心", "市南区科技局")


def submission(**raw: object) -> Submission:
    values = {
        iid: CellValue(iid, str(v), None if v is None else Decimal(v), "填报", f"C{n}", error=v is None)
        for n, (iid, v) in enumerate(raw.items(), 5)
    }
    return Submission(file="a.xlsx", sha256="0" * 64, values=values)


def test_submitted_values_their_errors_and_sources():
    center, findings = build_center(
        QD, submission(enterprise_info=40, financing_needs=None), WHO, None, [], False
    )
    assert (center.key, center.code, center.name, center.host_unit) == (
        "k1",
        "QD01",
        "市南区分中心",
        "市南区科技局",
    )
    assert center.values == {"enterprise_info": Decimal(40)}
    assert center.errors == {"financing_needs": "C6"}
    assert center.sources == {"enterprise_info": "自报", "financing_needs": "自报"}
    assert center.eligible and not center.assessed and findings == []


def test_a_verified_count_replaces_the_reported_one_and_is_flagged():
    assessment = Assessment(
        values={"major_errors": Decimal(1)},
        verified={"enterprise_info": Decimal(35), "financing_needs": Decimal(120)},
        cells={"enterprise_info": "D4", "financing_needs": "E4"},
        file="考核.xlsx",
        sheet="考核评价",
    )
    sub = submission(enterprise_info=40, financing_needs=120)
    center, findings = build_center(QD, sub, WHO, assessment, [], False)
    assert center.values["enterprise_info"] == Decimal(35) and center.sources["enterprise_info"] == "核定"
    assert center.values["major_errors"] == Decimal(1) and center.sources["major_errors"] == "考核"
    assert [f.code for f in findings] == ["verified-differs"]  # 120 agrees with what was reported
    assert findings[0].cell == "D4" and len(center.notes) == 1 and "自报40" in center.notes[0]


def test_an_assessor_veto_in_error_leaves_the_center_unranked_and_a_veto_is_a_finding():
    unclear = Assessment(errors={"major_accident": "F4"}, file="考核.xlsx", sheet="考核评价")
    center, _ = build_center(QD, submission(enterprise_info=40), WHO, unclear, [], False)
    assert not center.eligible and "填写有误" in center.not_eligible_reason
    assert center.errors["major_accident"] == "F4" and "major_accident" not in center.values
    vetoed = Assessment(values={"major_accident": True}, cells={"major_accident": "F4"}, file="考核.xlsx")
    center, findings = build_center(QD, submission(enterprise_info=40), WHO, vetoed, [], False)
    assert center.vetoes == ("有重大责任事故，评定为不合格",)
    assert [(f.code, f.file, f.cell) for f in findings] == [("veto", "考核.xlsx", "F4")]


def test_reviews_give_totals_vetoes_without_names_and_missing_reviews_a_finding():
    reviews = [
        Review(Fraction(80), "r1.xlsx"),
        Review(Fraction(70), "r2.xlsx", veto=True, reason="弄虚作假"),
        Review(None, "r3.xlsx", error=True),
    ]
    center, findings = build_center(QD, submission(), WHO, None, reviews, True)
    assert center.review_totals == (Fraction(70), Fraction(80))
    assert center.vetoes == ("一票否决：弄虚作假",) and "r2" not in str(center.vetoes)
    assert center.errors == {QUALITATIVE: ""}  # r3 had an error: the qualitative score is flagged
    assert findings == []
    _, findings = build_center(QD, submission(), WHO, None, [], True)
    assert [f.code for f in findings] == ["review-missing"]
