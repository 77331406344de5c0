"""The corpus of returned files (tests/examples/*/): each case's inbox ranked as `kjjr rank` does, and its
figures, grades, subsidies and findings compared with the expected.toml beside it."""

from __future__ import annotations

import os
import shutil
import tomllib
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from kjjr_excel.app import run_rank
from kjjr_excel.domain.findings import Severity
from kjjr_excel.domain.scheme import load_scheme

EXAMPLES = Path(__file__).parent / "examples"
CASES = sorted(p.parent for p in EXAMPLES.glob("*/expected.toml"))
FINDING_KEYS = ("code", "file", "sheet", "cell", "indicator")


def test_the_corpus_is_there():
    assert len(CASES) >= 20
    for case in CASES:
        files = [p for p in (case / "inbox").rglob("*") if p.is_file()]
        assert files and all(p.stat().st_size < 64 * 2**10 for p in files), case.name  # small binaries


def _matches(finding, wanted: dict) -> bool:
    if any(getattr(finding, k) != wanted[k] for k in FINDING_KEYS if k in wanted):
        return False
    if "severity" in wanted and finding.severity.value != wanted["severity"]:
        return False
    return wanted.get("message_contains", "") in finding.message


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_example(case: Path, tmp_path: Path) -> None:
    expected = tomllib.loads((case / "expected.toml").read_text(encoding="utf-8"))
    inbox = tmp_path / "inbox"
    shutil.copytree(case / "inbox", inbox)
    for name, stamp in expected.get("mtime", {}).items():  # git keeps no file times: the case sets them
        t = datetime.fromisoformat(stamp).timestamp()
        os.utime(inbox / name, (t, t))
    inputs = [inbox / p.name for p in sorted((case / "inbox").iterdir())]
    assessments = [case / p for p in expected.get("assessment", [])]  # given with --assessment
    result = run_rank(
        load_scheme(expected["scheme"]), inputs, year=expected.get("year"), assessments=assessments
    )
    if "provisional" in expected:
        assert result.provisional == expected["provisional"]

    ranked = {r.center.code: r for r in result.ranked}
    centers = expected.get("center", [])
    assert sorted(ranked) == sorted(c["code"] for c in centers)
    for want in centers:
        got = ranked[want["code"]]
        assert got.total == Decimal(want["total"]), want["code"]
        assert got.grade == want["grade"] and got.subsidy == Decimal(want["subsidy"]), want["code"]
        assert got.rank == want.get("rank"), want["code"]
        for iid, value in want.get("values", {}).items():
            if value == "error":
                assert iid in got.center.errors and iid not in got.center.values, iid
            else:
                assert got.center.values.get(iid) == Decimal(value), iid
        scores = {item.indicator: item.score for item in got.score.items}
        for iid, score in want.get("scores", {}).items():
            assert scores[iid] == Fraction(Decimal(score)), iid
        for flag in want.get("flags", []):
            assert flag in got.flags

    for want in expected.get("finding", []):
        hits = [f for f in result.findings if _matches(f, want)]
        assert not hits if want.get("absent") else hits, want
    errors = sorted(f.code for f in result.findings if f.severity is Severity.ERROR)
    assert errors == sorted(expected.get("errors", []))

    read = {s.file: s for s in result.submissions}
    for iid, cell in expected.get("cells", {}).items():
        assert [s.values[iid].cell for s in read.values()] == [cell]
    status = {f.file: f.status for f in result.files}
    for name, wanted in expected.get("files", {}).items():
        assert status.get(name) == wanted, name


def test_readme_lists_every_case():
    readme = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    assert [c.name for c in CASES if f"| `{c.name}` |" not in readme] == []
