"""The fast reading path gives what the plain one gives, through public behaviour only: a pool (forked or
spawned, as on Windows) equals one process, a run's reader with warm memos equals a fresh one per file, the
formula shortcut equals a full parse, the template's positions equal the label fallback."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
from kjjr_fixtures import build_submission, good_values, real_submission, rewrite_zip, sheet_part  # noqa: E402

from kjjr_excel.domain.layout import layout  # noqa: E402
from kjjr_excel.domain.scheme import load_scheme  # noqa: E402
from kjjr_excel.read.book import Refused, open_book  # noqa: E402
from kjjr_excel.read.ingest import ingest  # noqa: E402
from kjjr_excel.read.submission import (
    SubmissionReader,  # noqa: E402
    read_submission,  # noqa: E402
)

GD = load_scheme("guangdong-2019")
QD = load_scheme("qingdao-2017")

DIRTY = {
    "loan_banks": "１２",
    "loan_amount": "1,200",
    "loan_projects": "30家",
    "loan_firms_served": "无",
    "vc_institutions": "/",
    "vc_amount": "约30",
    "vc_projects": "30-40",
    "vc_firms_served": "2019-05-01",
    "ipo_main_board": -3,
    "ipo_neeq": 2.5,
    "ipo_regional_equity": None,
    "ipo_coached_unlisted": "15",
    "roadshow_events": 12.345,
}


def _corpus(root: Path) -> Path:
    """One inbox holding every kind of file the ingestion tests build (clean, dirty, formulas, tampered,
    label fallback, hostile, broken), for both schemes' templates."""
    inbox = root / "inbox"
    inbox.mkdir()
    for n, scheme in enumerate((GD, GD, QD)):
        values = good_values(scheme, base=10 + n)
        real_submission(inbox / f"clean{n}.xlsx", scheme, center=(f"GD0{n + 1}", f"中心{n}"), values=values)
    dirty = {**good_values(GD), **DIRTY}
    build_submission(inbox / "dirty.xlsx", GD, values=dirty, center=("GD05", "脏数据中心"))
    real_submission(inbox / "dirty_real.xlsx", GD, values=dirty, center=("GD06", "脏数据中心二"))
    formula = {**good_values(GD), "loan_banks": "=3+4"}
    cached = real_submission(inbox / "formula.xlsx", GD, values=formula, center=("GD07", "公式中心"))
    wb = openpyxl.load_workbook(cached)
    wb[layout(GD).sheet]["C13"] = "=SUM(1,2)"
    wb.save(inbox / "formula_nocache.xlsx")
    build_submission(inbox / "moved.xlsx", GD, values=good_values(GD), shift_rows=2, center=("GD08", "移行"))
    build_submission(inbox / "own.xlsx", GD, values=good_values(GD), with_meta=False, shift_rows=5)
    build_submission(inbox / "wrong.xlsx", GD, values=good_values(GD), meta={"scheme_id": "qingdao-2017"})
    build_submission(inbox / "old.xlsx", GD, values=good_values(GD), meta={"template_version": "0"})
    mine = openpyxl.Workbook()
    mine.active.title = "我的表"
    mine.active.append(["分中心名称", "自制表中心"])
    mine.active.append(["一级指标", "二级指标", "数量"])
    for ind in GD.self_indicators:
        mine.active.append([ind.category, ind.label, 7])
    mine.save(inbox / "mine.xlsx")
    good = inbox / "clean0.xlsx"
    lol = b'<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY a "aaaa">]><sst xmlns="x"><si><t>&a;</t></si></sst>'
    rewrite_zip(good, inbox / "lol.xlsx", replace={"xl/sharedStrings.xml": lol})
    part = sheet_part(good, layout(GD).sheet)
    with zipfile.ZipFile(good) as z:
        xml = z.read(part)
    xxe = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        + xml.split(b"?>", 1)[1]
    )
    rewrite_zip(good, inbox / "xxe.xlsx", replace={part: xxe})
    commented = b'<?xml version="1.0"?><!-- <root> --><!DOCTYPE x []>' + xml.split(b"?>", 1)[1]
    rewrite_zip(good, inbox / "commented.xlsx", replace={part: commented})
    rewrite_zip(good, inbox / "stored.xlsx", replace={part: xml}, stored=True)
    rewrite_zip(good, inbox / "ratio.xlsx", add={"xl/media/x.bin": b"\0" * (5 * 2**20)})
    (inbox / "empty.xlsx").write_bytes(b"")
    (inbox / "truncated.xlsx").write_bytes(good.read_bytes()[:3000])
    (inbox / "page.xls").write_bytes(b"<html><body><table></table></body></html>")
    return inbox


@pytest.fixture(scope="module")
def inbox(tmp_path_factory) -> Path:
    return _corpus(tmp_path_factory.mktemp("fastpath"))


def _flat(result) -> tuple:
    return (result.submissions, result.findings, result.files)


def _many(inbox: Path, root: Path, copies: int) -> Path:
    """`copies` copies of the corpus, nested: enough files for a pool to be used."""
    big = root / "big"
    for n in range(copies):
        shutil.copytree(inbox, big / f"d{n}")
    return big


def test_corpus_covers_the_paths(inbox):
    result = ingest(GD, [inbox], jobs=1)
    codes = {f.code for f in result.findings}
    assert {"file-unsafe", "file-empty", "file-corrupt", "layout-tampered", "recognised-by-labels"} <= codes
    assert {"formula-cached", "formula-no-cache", "value-normalised", "value-not-number"} <= codes
    assert {"wrong-scheme", "old-template-version", "file-not-workbook"} <= codes
    unsafe = {f.file for f in result.findings if f.code == "file-unsafe"}
    assert unsafe == {"lol.xlsx", "xxe.xlsx", "commented.xlsx", "ratio.xlsx"}
    stored = next(s for s in result.submissions if s.file == "stored.xlsx")
    assert stored.values == next(s for s in result.submissions if s.file == "clean0.xlsx").values


def test_pool_equals_serial(inbox, tmp_path):
    big = _many(inbox, tmp_path, 12)
    serial = ingest(GD, [big], jobs=1)
    ticks: list[int] = []
    pooled = ingest(GD, [big], jobs=2, progress=ticks.append)
    assert _flat(pooled) == _flat(serial)
    assert sum(ticks) == len(serial.files) - len([f for f in serial.files if f.status == "已跳过"])
    assert _flat(ingest(GD, [big])) == _flat(serial)  # the default: every core


@pytest.mark.skipif("spawn" not in multiprocessing.get_all_start_methods(), reason="no spawn here")
def test_spawned_pool_equals_serial_as_on_windows(inbox, tmp_path, monkeypatch):
    """Windows has no fork: its workers start afresh and get the reader by pickling."""
    big = _many(inbox, tmp_path, 12)
    serial = ingest(QD, [big], jobs=1)
    spawn = multiprocessing.get_context("spawn")
    monkeypatch.setattr(multiprocessing, "get_context", lambda method=None: spawn)
    assert _flat(ingest(QD, [big], jobs=2)) == _flat(serial)


def _dies_in_a_worker(parent: int):
    real = SubmissionReader.read

    def read(self, path, display):
        if os.getpid() != parent:
            os._exit(9)
        return real(self, path, display)

    return read


@pytest.mark.skipif(sys.platform == "win32", reason="the patched reader reaches the workers by fork only")
def test_a_worker_that_dies_loses_nothing(inbox, tmp_path, monkeypatch):
    """A worker killed mid-chunk (out of memory, a signal) must neither hang the batch nor lose its files."""
    big = _many(inbox, tmp_path, 12)
    serial = ingest(GD, [big], jobs=1)
    monkeypatch.setattr(SubmissionReader, "read", _dies_in_a_worker(os.getpid()))
    ticks: list[int] = []
    survived = ingest(GD, [big], jobs=2, progress=ticks.append)
    assert _flat(survived) == _flat(serial)
    assert sum(ticks) == len(serial.files) - len([f for f in serial.files if f.status == "已跳过"])


@pytest.mark.parametrize("scheme", [GD, QD], ids=["guangdong", "qingdao"])
def test_memo_cold_equals_warm(inbox, scheme):
    """One reader for the whole run (its memos warm after the first files) reads every file as a fresh
    reader per file does, and reads it again the same."""
    files = sorted(p for p in inbox.iterdir())
    cold = [SubmissionReader(scheme).read(path, path.name) for path in files]
    reader = SubmissionReader(scheme)
    warm = [reader.read(path, path.name) for path in files]
    assert reader.parsed  # the memo was used
    assert warm == cold
    assert [reader.read(path, path.name) for path in reversed(files)] == cold[::-1]


def test_formula_shortcut_equals_full_parse(inbox):
    checked = 0
    for path in sorted(inbox.glob("*.xlsx")):
        for scheme in (GD, QD):
            try:
                book = open_book(path, path.name)
            except Refused:
                continue
            lay = layout(scheme)
            wanted = {(r, lay.value_col) for r in lay.rows.values()}
            wanted |= {(r, lay.header_value_col) for r in lay.header_rows.values()}
            for sheet in book.sheet_names:
                fast = book.formulas(sheet, wanted)
                slow = book.formulas(sheet, wanted, shortcut=False)
                assert fast == slow, (path.name, sheet)
                checked += 1
    assert checked > 20


def test_label_fallback_reads_the_same_values(tmp_path):
    values = {**good_values(GD), "loan_amount": "1,200", "vc_amount": 12.5}
    by_meta = build_submission(tmp_path / "meta.xlsx", GD, values=values)
    by_labels = build_submission(tmp_path / "labels.xlsx", GD, values=values, with_meta=False)
    a = read_submission(by_meta, "x.xlsx", GD)
    b = read_submission(by_labels, "x.xlsx", GD)
    assert a.submission.recognised_by == "meta" and b.submission.recognised_by == "labels"
    assert {k: (v.raw, v.value, v.cell, v.error) for k, v in a.submission.values.items()} == {
        k: (v.raw, v.value, v.cell, v.error) for k, v in b.submission.values.items()
    }
    assert [f for f in b.findings if f.code != "recognised-by-labels"] == a.findings


def _forge_crc(src: Path, dst: Path, part: str) -> Path:
    """A copy whose central directory declares a wrong CRC for `part` (its bytes untouched)."""
    data = bytearray(src.read_bytes())
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        size = int.from_bytes(data[at + 28 : at + 30], "little")
        if data[at + 46 : at + 46 + size] == part.encode():
            data[at + 16 : at + 20] = bytes(b ^ 0xFF for b in data[at + 16 : at + 20])
            break
        at = data.find(b"PK\x01\x02", at + 4)
    assert at >= 0, part
    dst.write_bytes(bytes(data))
    return dst


@pytest.mark.parametrize("part", ["docProps/core.xml", "xl/workbook.xml"])
def test_part_caches_never_change_an_outcome(inbox, tmp_path, part):
    """Facts a run's reader remembered from one file's parts are never taken on trust by a file whose
    directory says something else about them: a warm reader gives the cold result."""
    good = inbox / "clean0.xlsx"
    forged = _forge_crc(good, tmp_path / "forged.xlsx", part)
    reader = SubmissionReader(GD)
    assert reader.read(good, "g.xlsx").submission.saved_at is not None  # warms every memo on these bytes
    warm = reader.read(forged, "f.xlsx")
    cold = SubmissionReader(GD).read(forged, "f.xlsx")
    assert warm == cold
    if part == "xl/workbook.xml":
        assert cold.submission is None and [f.code for f in cold.findings] == ["file-corrupt"]
    else:  # a bad timestamp part only costs the timestamp
        assert cold.submission is not None and cold.submission.saved_at is None


@pytest.mark.parametrize("order", [(-0.0, 0.0), (0.0, -0.0)], ids=["minus-first", "plus-first"])
def test_memos_keep_minus_zero_apart(tmp_path, order):
    """-0 == 0: a memo keyed on the value alone would show whichever came first, and the workbook would
    depend on the order the files were read in."""
    import math

    ind = next(i for i in GD.self_indicators if i.type == "decimal")
    paths = []
    for n, raw in enumerate(order):
        paths.append(build_submission(tmp_path / f"{n}.xlsx", GD, values={**good_values(GD), ind.id: raw}))
    reader = SubmissionReader(GD)
    shown = [reader.read(path, path.name).submission.values[ind.id].raw for path in paths]
    assert shown == ["-0" if math.copysign(1, raw) < 0 else "0" for raw in order]


def test_the_reader_travels_to_a_spawned_worker_whole(inbox):
    """What a spawned worker gets is the run's reader, pickled: the copy reads every file as the original."""
    import pickle

    reader = SubmissionReader(GD)
    files = sorted(inbox.iterdir())
    first = [reader.read(path, path.name) for path in files]
    copy = pickle.loads(pickle.dumps(reader))
    assert [copy.read(path, path.name) for path in files] == first
