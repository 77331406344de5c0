"""demo/samples.py: the sample inputs are made from the real templates, the same every time, and are the
committed sample_inputs/."""

from __future__ import annotations

import hashlib
from pathlib import Path

from kjjr_excel.demo.samples import build_guangdong, build_qingdao

ROOT = Path(__file__).resolve().parents[1]


def _digests(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_qingdao_samples_are_the_committed_ones(tmp_path):
    made = build_qingdao(tmp_path)
    assert {"inbox", "roster", "assessment"} <= made.keys()
    assert len(list(made["inbox"].glob("*.xlsx"))) >= 10
    assert _digests(tmp_path / "qingdao") == _digests(ROOT / "sample_inputs" / "qingdao")


def test_guangdong_samples_are_the_same_on_every_run(tmp_path):
    build_guangdong(tmp_path / "a")
    build_guangdong(tmp_path / "b")
    first = _digests(tmp_path / "a" / "guangdong")
    assert first and first == _digests(tmp_path / "b" / "guangdong")
    assert first == _digests(ROOT / "sample_inputs" / "guangdong")
