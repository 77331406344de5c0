"""Fuzz: a fixed-seed sample of mutated .xlsx, .xls and .ods (damaged deflate data, flipped bytes, truncation,
far cells, absurd numbers) and the hostile cases of the guards, all in one inbox beside good files. The run
must end with exit 0 (never 4, never a signal), every good file ranked, every mutant a finding or read;
it runs in a child process under a memory cap, with a timeout as a hang guard."""

from __future__ import annotations

import io
import os
import random
import re
import subprocess
import sys
import zipfile
from pathlib import Path

from kjjr_fixtures import good_values, real_submission  # noqa: E402

from kjjr_excel.domain.scheme import load_scheme  # noqa: E402

QD = load_scheme("qingdao-2017")
ROOT = Path(__file__).parent.parent
EXAMPLES = Path(__file__).parent / "examples"
SEED = 15
CAP = 1536 * 2**20
XLSX_MUTANTS = 48
XLS_MUTANTS = 24
ODS_MUTANTS = 12
# what a clerk's cell may hold after a bad paste: absurd magnitudes, not-a-numbers, endless digits
ABSURD = ["1e30", "-1e308", "1e309", "NaN", "INF", "-inf", "9" * 5000, "0." + "1" * 5000, "1E+99999"]


def _flip(data: bytes, rng: random.Random, count: int) -> bytes:
    out = bytearray(data)
    for _ in range(count):
        at = rng.randrange(len(out))
        out[at] = rng.randrange(256)
    return bytes(out)


def _rezip(data: bytes, change) -> bytes:
    """A copy of a zip package with change(name, bytes) applied to each part."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info, change(info.filename, zin.read(info)))
    return out.getvalue()


def _xlsx_mutant(data: bytes, rng: random.Random) -> bytes:
    kind = rng.randrange(5)
    if kind == 0:  # bytes flipped anywhere: deflate streams, headers, the directory
        return _flip(data, rng, rng.randint(1, 8))
    if kind == 1:
        return data[: rng.randrange(len(data))]
    if kind == 2:  # the sheets' XML itself damaged, the zip intact
        return _rezip(data, lambda n, b: _flip(b, rng, 3) if n.startswith("xl/worksheets/") else b)
    if kind == 3:  # an absurd number in every number cell of the data sheet
        value = rng.choice(ABSURD).encode()
        return _rezip(
            data, lambda n, b: re.sub(rb"<v>[0-9.]+</v>", b"<v>" + value + b"</v>", b) if "sheet" in n else b
        )
    ref = rng.choice(["XFD1048576", "Z1048576", "CV1048576", "A1048576", "XFD1"])  # a far cell
    row = re.sub("[A-Z]", "", ref).encode()
    extra = b'<row r="%s"><c r="%s"><v>1</v></c></row></sheetData>' % (row, ref.encode())
    return _rezip(
        data, lambda n, b: b.replace(b"</sheetData>", extra) if n.startswith("xl/worksheets/") else b
    )


def _ods_mutant(data: bytes, rng: random.Random) -> bytes:
    if rng.randrange(2):
        return _flip(data, rng, rng.randint(1, 6))

    def change(name: str, part: bytes) -> bytes:
        if name != "content.xml":
            return part
        repeat = str(rng.choice([1_048_576, 65_536, 16_384, 10**9])).encode()
        return part.replace(
            b"<table:table-cell", b'<table:table-cell table:number-columns-repeated="%s" ' % repeat, 1
        )

    return _rezip(data, change)


def test_mutated_workbooks_never_stop_the_batch(tmp_path):
    rng = random.Random(SEED)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    good = {"Q1": "甲中心", "Q2": "乙中心"}
    for code, name in good.items():
        real_submission(inbox / f"good_{code}.xlsx", QD, center=(code, name), values=good_values(QD))
    base = real_submission(tmp_path / "base.xlsx", QD, center=("Q9", "变异中心"), values=good_values(QD))
    xlsx = base.read_bytes()
    xls = [p.read_bytes() for p in sorted(EXAMPLES.glob("*/inbox/*.xls"))]
    ods = [p.read_bytes() for p in sorted(EXAMPLES.glob("*/inbox/*.ods"))]
    assert xls and ods, "the examples corpus has .xls and .ods files to mutate"
    mutants = inbox / "mutants"
    mutants.mkdir()
    for n in range(XLSX_MUTANTS):
        (mutants / f"m{n:03}.xlsx").write_bytes(_xlsx_mutant(xlsx, rng))
    for n in range(XLS_MUTANTS):
        data = rng.choice(xls)
        mutant = (
            _flip(data, rng, rng.randint(1, 12)) if rng.randrange(4) else data[: rng.randrange(len(data))]
        )
        (mutants / f"x{n:03}.xls").write_bytes(mutant)
    for n in range(ODS_MUTANTS):
        (mutants / f"o{n:03}.ods").write_bytes(_ods_mutant(rng.choice(ods), rng))
    # the hostile cases of the guards, in the same inbox
    os.mkfifo(inbox / "pipe.xlsx")
    os.symlink("loop.xlsx", inbox / "loop.xlsx")
    with open(os.fsencode(inbox) + b"/" + "市南区.xlsx".encode("gbk"), "wb") as fh:
        fh.write(xlsx)
    code = (
        f"import resource, sys; resource.setrlimit(resource.RLIMIT_AS, ({CAP}, {CAP})); "
        "sys.argv = ['kjjr', *sys.argv[1:]]; from kjjr_excel.cli import main; main()"
    )
    out = tmp_path / "out.xlsx"
    done = subprocess.run(
        [sys.executable, "-c", code, "rank", "qingdao-2017", str(inbox), "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=600,  # a hang guard, not a speed assertion
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr and "程序内部错误" not in done.stderr

    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(out))
    ranking = book.get_sheet_by_name("排名").to_python()
    names = {cell for row in ranking for cell in row if isinstance(cell, str)}
    assert set(good.values()) <= names
    findings = book.get_sheet_by_name("校验问题").to_python()
    text = "\n".join("\t".join(str(c) for c in row) for row in findings)
    for english in ("XmlError", "Bad magic", "Cannot detect", "(Error)", "（Error）", "Traceback", "Errno"):
        assert english not in text
    listed = {row[0] for row in book.get_sheet_by_name("说明").to_python() if row}
    assert listed  # 说明 written: the run finished with its report
