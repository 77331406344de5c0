"""One center's scoring input (CenterInput) from its submission, the assessor's table and the reviews.

Pure: the submission's values, replaced by the assessor's fields and verified counts (flagged where they
differ from what the center reported), the vetoes, and the reviewers' totals.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from kjjr_excel.domain.assess import VETO_HEADER, Assessment, Review
from kjjr_excel.domain.findings import Finding
from kjjr_excel.domain.identity import CenterIdentity
from kjjr_excel.domain.model import CenterInput, Submission, Value
from kjjr_excel.domain.parse import fmt_decimal
from kjjr_excel.domain.rank import QUALITATIVE
from kjjr_excel.domain.scheme import Scheme


@dataclass
class _CenterDraft:
    """One center's scoring input while build_center puts it together."""

    values: dict[str, Value]
    errors: dict[str, str]
    sources: dict[str, str]
    notes: list[str] = field(default_factory=list)
    vetoes: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    eligible: bool = True
    not_eligible: str = ""


def build_center(
    scheme: Scheme,
    sub: Submission,
    who: CenterIdentity,
    assessment: Assessment | None,
    reviews: list[Review],
    reviews_given: bool,
) -> tuple[CenterInput, list[Finding]]:
    """One center's scoring input: the submitted values, the assessor's fields and verified counts (which
    replace the self-reported figure and are flagged), the reviews and the vetoes."""
    draft = _CenterDraft(
        values={iid: cv.value for iid, cv in sub.values.items() if not cv.error and cv.value is not None},
        errors={iid: cv.cell for iid, cv in sub.values.items() if cv.error},
        sources={iid: "自报" for iid in sub.values},
    )
    if assessment is not None:
        _apply_assessment(scheme, assessment, draft)
        _apply_verified(scheme, sub, who, assessment, draft)
    _apply_vetoes(scheme, sub, who, assessment, draft)
    totals = _apply_reviews(reviews, draft)
    if reviews_given and not totals:
        draft.findings.append(Finding.make("review-missing", center=who.name, name=who.name))
    center = CenterInput(
        key=who.key,
        code=who.code,
        name=who.name,
        host_unit=who.host_unit,
        values=draft.values,
        sources=draft.sources,
        errors=draft.errors,
        review_totals=tuple(sorted(totals)),
        vetoes=tuple(draft.vetoes),
        assessed=assessment is not None,
        eligible=draft.eligible,
        not_eligible_reason=draft.not_eligible,
        file=sub.file,
        notes=tuple(draft.notes),
    )
    return center, draft.findings


def _apply_assessment(scheme: Scheme, assessment: Assessment, draft: _CenterDraft) -> None:
    """The assessor's own fields replace the submitted ones; one filled in wrongly is an error, never the
    neutral value in its place."""
    for iid, value in assessment.values.items():
        draft.values[iid] = value
        draft.sources[iid] = "考核"
    for iid, cell in assessment.errors.items():
        draft.values.pop(iid, None)
        draft.sources[iid] = "考核"
        draft.errors[iid] = cell
        ind = scheme.indicator(iid)
        if ind.is_veto:  # nobody can tell whether it fails the center: not ranked, no money
            draft.eligible = False
            draft.not_eligible = f"{ind.display_label}填写有误，无法确定，未参加排名"
    for iid, cell in sorted(assessment.verified_errors.items()):
        draft.values.pop(iid, None)
        draft.sources[iid] = "核定"
        draft.errors[iid] = f"核定数 {cell}"


def _apply_verified(
    scheme: Scheme, sub: Submission, who: CenterIdentity, assessment: Assessment, draft: _CenterDraft
) -> None:
    """A verified count replaces the self-reported figure; where they differ, the center is flagged."""
    for iid, verified in sorted(assessment.verified.items()):
        ind = scheme.indicator(iid)
        reported = sub.values.get(iid)
        reported_text = reported.raw if reported is not None else ""
        if reported is None or reported.value != verified:
            draft.notes.append(
                f"核定数与自报数不一致（{ind.label}：自报{reported_text or '未填'}，核定{fmt_decimal(verified)}）"
            )
            draft.findings.append(
                Finding.make(
                    "verified-differs",
                    file=assessment.file,
                    sheet=assessment.sheet,
                    cell=assessment.cells.get(iid, ""),
                    center=who.name,
                    indicator=iid,
                    value=fmt_decimal(verified),
                    label=ind.label,
                    reported=reported_text or "未填",
                    verified=fmt_decimal(verified),
                )
            )
        draft.values[iid] = verified
        draft.sources[iid] = "核定"
        draft.errors.pop(iid, None)


def _apply_vetoes(
    scheme: Scheme, sub: Submission, who: CenterIdentity, assessment: Assessment | None, draft: _CenterDraft
) -> None:
    """A veto indicator answered 是, in the submission or by the assessor: its reason, and a finding."""
    for ind in scheme.indicators:
        if not (ind.is_veto and draft.values.get(ind.id) is True):
            continue
        reason = ind.rule.reason or f"{ind.display_label}：是"
        draft.vetoes.append(reason)
        assessed = assessment is not None and ind.id in assessment.values
        draft.findings.append(
            Finding.make(
                "veto",
                file=assessment.file if assessed else sub.file,
                sheet=assessment.sheet if assessed else sub.values[ind.id].sheet,
                cell=assessment.cells[ind.id] if assessed else sub.values[ind.id].cell,
                center=who.name,
                indicator=ind.id,
                value="是",
                reason=reason,
            )
        )


def _apply_reviews(reviews: Sequence[Review], draft: _CenterDraft) -> list[Fraction]:
    """The reviewers' vetoes and errors; returns their totals."""
    totals: list[Fraction] = []
    # a printed sheet must not reveal which expert cast a veto: the reasons only (the file is on 校验问题)
    reasons = sorted({r.reason or "未注明原因" for r in reviews if r.veto})
    if reasons:
        draft.vetoes.append(f"一票否决：{'；'.join(reasons)}")
    for review in reviews:
        if review.total is not None:
            totals.append(review.total)
        if review.error:
            draft.errors[QUALITATIVE] = ""
        if review.veto_unknown and not reasons:
            draft.eligible, draft.not_eligible = False, f"{VETO_HEADER}填写有误，无法确定，未参加排名"
    return totals
