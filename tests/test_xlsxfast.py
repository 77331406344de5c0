"""kjjr_excel.write.xlsxfast against the plain path: the same workbooks written both ways are equal part for
part, unzipped, byte for byte; an XlsxWriter version it is not tested with gets the plain path."""

from __future__ import annotations

import importlib.metadata
import zipfile
from pathlib import Path

import pytest
from test_golden import CASES, write_case
from xlsxwriter.worksheet import Worksheet

from kjjr_excel.domain.scheme import load_scheme
from kjjr_excel.write import styles, xlsxfast
from kjjr_excel.write.template import write_assessment, write_submission

pytestmark = pytest.mark.skipif(
    not xlsxfast.ENABLED,
    reason=f"XlsxWriter {importlib.metadata.version('XlsxWriter')} takes the plain path only",
)


def _parts(path: Path) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(path) as zf:
        return [(info.filename, zf.read(info)) for info in zf.infolist()]


def _both_ways(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, write) -> tuple[list, list]:
    fast = write(tmp_path / "fast")
    with monkeypatch.context() as m:
        m.setattr(xlsxfast, "ENABLED", False)
        plain = write(tmp_path / "plain")
    return fast, plain


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_ranking_workbooks_are_the_same_both_ways(
    case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def write(folder: Path) -> list:
        folder.mkdir()
        return _parts(write_case(case, folder))

    fast, plain = _both_ways(tmp_path, monkeypatch, write)
    assert [name for name, _ in fast] == [name for name, _ in plain]
    assert [name for (name, data), (_, other) in zip(fast, plain, strict=True) if data != other] == []
    assert any(b'fitToWidth="1"' in data for name, data in fast if name.startswith("xl/worksheets/"))


@pytest.mark.parametrize("scheme_id", ["guangdong", "qingdao"])
def test_templates_are_the_same_both_ways(
    scheme_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scheme = load_scheme(scheme_id)

    def write(folder: Path) -> list:
        folder.mkdir()
        paths = [
            write_submission(folder / "blank.xlsx", scheme),
            write_submission(
                folder / "center.xlsx", scheme, center=scheme.roster[0] if scheme.roster else None
            ),
            write_assessment(folder / "assessment.xlsx", scheme, roster=scheme.roster),
        ]
        return [(p.name, _parts(p)) for p in paths]

    fast, plain = _both_ways(tmp_path, monkeypatch, write)
    assert len(fast) == 3 and fast == plain


def test_an_untested_version_takes_the_plain_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert not xlsxfast.enabled_for("3.1.0") and not xlsxfast.enabled_for("99.0")
    assert xlsxfast.enabled_for(importlib.metadata.version("XlsxWriter"))  # else this module is skipped
    monkeypatch.setattr(xlsxfast, "ENABLED", xlsxfast.enabled_for("3.1.0"))
    wb = styles.Workbook(str(tmp_path / "plain.xlsx"))
    assert type(wb) is styles.Workbook and type(wb.add_worksheet()) is Worksheet
    wb.close()
    monkeypatch.setattr(xlsxfast, "ENABLED", True)
    wb = styles.Workbook(str(tmp_path / "fast.xlsx"))
    assert isinstance(wb, styles.Workbook) and isinstance(wb, xlsxfast.FastWorkbook)
    assert type(wb.add_worksheet()) is xlsxfast.FastWorksheet
    wb.close()
