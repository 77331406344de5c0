"""The fast ingestion path gives what the slow one gives: pool vs serial, memo cold vs warm, byte-search
shortcuts vs full parses, template positions vs label fallback, on the fixtures the ingestion tests build."""

from __future__ import annotations

import shutil
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
from kjjr_fixtures import build_submission, good_values, real_submission, rewrite_zip, sheet_part  # noqa: E402

from kjjr_excel.domain.layout import layout  # noqa: E402
from kjjr_excel.domain.scheme import load_scheme  # noqa: E402
from kjjr_excel.read import ingest as ingest_mod  # noqa: E402
from kjjr_excel.read.ingest import ingest, read_submission  # noqa: E402

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


def _clear_memos() -> None:
    ingest_mod._PARSED.clear()
    ingest_mod._SHEET_PARTS.clear()
    ingest_mod._CELL_TAGS.clear()
    ingest_mod._strip_label.cache_clear()
    ingest_mod._PLAIN_PROLOG_PARTS.clear()
    ingest_mod._INFLATED.clear()


def _flat(result) -> tuple:
    return (result.submissions, result.findings, result.files)


def test_corpus_covers_the_paths(inbox):
    result = ingest(GD, [inbox], workers=1)
    codes = {f.code for f in result.findings}
    assert {"file-unsafe", "file-empty", "file-corrupt", "layout-tampered", "recognised-by-labels"} <= codes
    assert {"formula-cached", "formula-no-cache", "value-normalised", "value-not-number"} <= codes
    assert {"wrong-scheme", "old-template-version", "file-not-workbook"} <= codes
    unsafe = {f.file for f in result.findings if f.code == "file-unsafe"}
    assert unsafe == {"lol.xlsx", "xxe.xlsx", "commented.xlsx", "ratio.xlsx"}
    stored = next(s for s in result.submissions if s.file == "stored.xlsx")
    assert stored.values == next(s for s in result.submissions if s.file == "clean0.xlsx").values


def test_pool_equals_serial(inbox, monkeypatch):
    serial = ingest(GD, [inbox], workers=1)
    monkeypatch.setattr(ingest_mod, "CHUNK", 3)  # several chunks over the pool, in any completion order
    ticks: list[int] = []
    pooled = ingest(GD, [inbox], workers=2, progress=ticks.append)
    assert _flat(pooled) == _flat(serial)
    assert sum(ticks) == len(serial.files)
    three = ingest(GD, [inbox], workers=3)
    assert _flat(three) == _flat(serial)


@pytest.mark.skipif(sys.platform == "win32", reason="workers are forked only where fork exists")
def test_a_worker_that_dies_loses_nothing(inbox, monkeypatch):
    """A worker killed mid-chunk (out of memory, a signal) must neither hang the batch nor lose its files."""
    import os

    serial = ingest(GD, [inbox], workers=1)
    monkeypatch.setattr(ingest_mod, "CHUNK", 3)
    main_pid = os.getpid()
    real = ingest_mod.read_submission

    def dies_in_a_worker(path, display, scheme):
        if os.getpid() != main_pid:
            os._exit(9)
        return real(path, display, scheme)

    monkeypatch.setattr(ingest_mod, "read_submission", dies_in_a_worker)
    ticks: list[int] = []
    survived = ingest(GD, [inbox], workers=2, progress=ticks.append)
    assert _flat(survived) == _flat(serial)
    assert sum(ticks) == len(serial.files)


@pytest.mark.parametrize("scheme", [GD, QD], ids=["guangdong", "qingdao"])
def test_memo_cold_equals_warm(inbox, scheme):
    _clear_memos()
    cold = ingest(scheme, [inbox], workers=1)
    assert ingest_mod._PARSED  # the memo was used
    warm = ingest(scheme, [inbox], workers=1)
    assert _flat(cold) == _flat(warm)


@pytest.mark.parametrize("step", [8192, 64], ids=["usual-step", "many-small-steps"])
def test_formula_shortcut_equals_full_parse(inbox, monkeypatch, step):
    monkeypatch.setattr(ingest_mod, "HEAD_STEP", step)  # the partial inflation, in one step or in many
    checked = 0
    for path in sorted(inbox.glob("*.xlsx")):
        for scheme in (GD, QD):
            try:
                book = ingest_mod._open_book(path, path.name)
            except ingest_mod._Refused:
                continue
            lay = layout(scheme)
            wanted = set(ingest_mod._positions(lay, scheme).values())
            for sheet in book.reader.sheet_names:
                fast = ingest_mod._formulas(book, sheet, wanted, path.name)
                slow = ingest_mod._formulas(book, sheet, wanted, path.name, shortcut=False)
                assert fast == slow, (path.name, sheet)
                checked += 1
    assert checked > 20


def test_formula_shortcut_inflates_the_rows_it_needs_only(inbox):
    """A template's data validations and print settings follow its rows: the shortcut stops inflating at the
    end of the row that holds the last wanted cell, and decides a clean file from there."""
    book = ingest_mod._open_book(inbox / "clean0.xlsx", "c")
    lay = layout(GD)
    tags = ingest_mod._cell_tags(set(ingest_mod._positions(lay, GD).values()))
    name = ingest_mod._sheet_part_cached(book, lay.sheet, "c")
    head, whole = ingest_mod._head_through(book, name, tags[-1]), book.part(name, "c")
    assert head is not None and len(head) < len(whole) and whole.startswith(head)
    assert ingest_mod._surely_no_formula(head, tags)
    assert ingest_mod._head_through(book, name, b'<c r="ZZ999"') is None  # not there: the whole part decides


def test_formula_shortcut_sees_typed_formulas(inbox):
    book = ingest_mod._open_book(inbox / "formula_nocache.xlsx", "f")
    lay = layout(GD)
    wanted = set(ingest_mod._positions(lay, GD).values())
    found = ingest_mod._formulas(book, lay.sheet, wanted, "f")
    # openpyxl re-saved the file: neither typed formula (C12, C13) has a cached value any more
    assert {ref: cached for ref, (_, cached) in found.items()} == {(11, 2): False, (12, 2): False}


def test_inflate_and_prolog_shortcut_agree_with_zipfile(inbox):
    inflated = 0
    for path in sorted(inbox.glob("*.xlsx")):
        try:
            zf = ingest_mod._check_zip(path.read_bytes(), path.name)
        except ingest_mod._Refused:
            continue
        for info in zf.infolist():
            full = zf.read(info)
            fast = ingest_mod._inflate(zf, info)
            assert fast is None or fast == full, (path.name, info.filename)
            inflated += fast is not None
            if ingest_mod._root_starts_prolog(zf, info):
                assert b"<!DOCTYPE" not in full and b"<!ENTITY" not in full, (path.name, info.filename)
    assert inflated > 100


def test_label_fallback_reads_the_same_values(tmp_path):
    values = {**good_values(GD), "loan_amount": "1,200", "vc_amount": 12.5}
    by_meta = build_submission(tmp_path / "meta.xlsx", GD, values=values)
    by_labels = build_submission(tmp_path / "labels.xlsx", GD, values=values, with_meta=False)
    a, fa, _ = read_submission(by_meta, "x.xlsx", GD)
    b, fb, _ = read_submission(by_labels, "x.xlsx", GD)
    assert a.recognised_by == "meta" and b.recognised_by == "labels"
    assert {k: (v.raw, v.value, v.cell, v.error) for k, v in a.values.items()} == {
        k: (v.raw, v.value, v.cell, v.error) for k, v in b.values.items()
    }
    assert [f for f in fb if f.code != "recognised-by-labels"] == fa


def test_copies_in_many_folders_read_alike(inbox, tmp_path):
    """More files than one chunk, nested: the default (pooled when large) run equals the serial one."""
    big = tmp_path / "big"
    for n in range(4):
        shutil.copytree(inbox, big / f"d{n}")
    serial = ingest(GD, [big], workers=1)
    default = ingest(GD, [big])
    assert _flat(default) == _flat(serial)
    assert len(serial.files) == 4 * len(list(inbox.iterdir()))


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
    """Facts remembered from one file's parts (keyed by their compressed bytes) are never taken on trust by
    a file whose directory says something else about the same bytes: warm caches give the cold result."""
    good = inbox / "clean0.xlsx"
    forged = _forge_crc(good, tmp_path / "forged.xlsx", part)
    _clear_memos()
    assert read_submission(good, "g.xlsx", GD)[0].saved_at is not None  # warms every cache on these bytes
    assert ingest_mod._INFLATED and ingest_mod._PLAIN_PROLOG_PARTS
    warm = read_submission(forged, "f.xlsx", GD)
    _clear_memos()
    cold = read_submission(forged, "f.xlsx", GD)
    assert warm == cold
    if part == "xl/workbook.xml":
        assert cold[0] is None and [f.code for f in cold[1]] == ["file-corrupt"]
    else:  # a bad timestamp part only costs the timestamp
        assert cold[0] is not None and cold[0].saved_at is None


@pytest.mark.parametrize("order", [(-0.0, 0.0), (0.0, -0.0)], ids=["minus-first", "plus-first"])
def test_memos_keep_minus_zero_apart(order):
    """-0 == 0, for floats and decimals alike: a memo keyed on the value alone would show whichever came
    first, and the workbook would depend on the order the files were read in."""
    import math
    from decimal import Decimal

    from kjjr_excel.domain import parse as cells

    expected = ["-0" if math.copysign(1, raw) < 0 else "0" for raw in order]
    _clear_memos()
    ind = next(i for i in GD.self_indicators if i.type == "decimal")
    assert [ingest_mod._parse(ind, raw)[0] for raw in order] == expected
    cells._decimal_text.cache_clear()
    assert [cells.as_text(Decimal(text)) for text in expected] == expected
