"""kjjr publish: the 公示 (.docx + PDF) and the payment list, read back from a ranking workbook; and the printed
排名 handout measured from LibreOffice's PDF."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import docx
import openpyxl
import pytest
from click.testing import CliRunner
from kjjr_fixtures import planned_breaks, soffice_convert

from kjjr_excel.app import run_rank
from kjjr_excel.cli import cli
from kjjr_excel.domain.scheme import load_scheme
from kjjr_excel.read.ingest import ingest
from kjjr_excel.write import notice as publish
from kjjr_excel.write.ranking import export_pdf, write_ranking
from kjjr_excel.write.styles import FOOT_KEEPS

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_inputs"
WHEN = datetime(2018, 3, 1, 9, 0, 0)
HAS_PDF = shutil.which("soffice") is not None and shutil.which("pdftotext") is not None


def qd_final():
    """The demo's Qingdao run, with the assessor's table: final, publishable."""
    return run_rank(
        load_scheme("qingdao"),
        [SAMPLES / "qingdao" / "inbox"],
        roster_path=SAMPLES / "qingdao" / "名录.csv",
        assessments=[SAMPLES / "qingdao" / "考核评价表.xlsx"],
    )


@pytest.fixture(scope="module")
def qd_ranking(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("qd") / "青岛_排名.xlsx"
    return write_ranking(qd_final(), out, run_time=WHEN)


@pytest.fixture(scope="module")
def gd_ranking(tmp_path_factory) -> Path:
    """The demo's Guangdong ranking: two centers' figures to correct, so the others' grades are unsettled."""
    gd = load_scheme("guangdong")
    reviews = sorted((SAMPLES / "guangdong" / "reviews").glob("*.xlsx"))
    result = run_rank(gd, [SAMPLES / "guangdong" / "inbox"], assessments=reviews)
    return write_ranking(result, tmp_path_factory.mktemp("gd") / "广东_排名.xlsx", run_time=WHEN)


@pytest.fixture(scope="module")
def gd_settled(tmp_path_factory) -> Path:
    """The demo's Guangdong ranking without the two centers whose figures are to be corrected and 韶关, whose
    撮合贷款金额 (typed in 元) sets the benchmark: publishable."""
    gd = load_scheme("guangdong")
    inbox = tmp_path_factory.mktemp("gd_inbox")
    for path in (SAMPLES / "guangdong" / "inbox").iterdir():
        if not any(open_center in path.name for open_center in ("揭阳", "-中山分中心", "韶关")):
            shutil.copy(path, inbox / path.name)
    reviews = sorted((SAMPLES / "guangdong" / "reviews").glob("*.xlsx"))
    result = run_rank(gd, [inbox], assessments=reviews)
    assert not result.unsettled
    return write_ranking(result, tmp_path_factory.mktemp("gd") / "广东_排名.xlsx", run_time=WHEN)


def ranking_table(path: Path) -> list[dict]:
    ws = openpyxl.load_workbook(path)["排名"]
    header = [c.value for c in ws[2]]
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=3)]
    return [dict(zip(header, r, strict=True)) for r in rows if isinstance(r[0], int)]


def two(value) -> str:
    return "" if value is None else f"{value:.2f}"


# ---------------------------------------------------------------------------------------------- 公示


def test_notice_table_equals_ranking(qd_ranking: Path, tmp_path: Path) -> None:
    qd = load_scheme("qingdao")
    paths, _ = publish.publish(qd, qd_ranking, tmp_path, when=WHEN)
    notice = next(p for p in paths if p.suffix == ".docx")
    assert notice.name == "关于青岛市科技金融服务分中心2017年度考核结果的公示.docx"
    document = docx.Document(str(notice))
    table = [[c.text for c in row.cells] for row in document.tables[0].rows]
    assert table[0] == ["序号", "单位名称", "得分", "等次", "补助金额（万元）"]
    expected = [
        [
            str(r["序号"]),
            r["名称"],
            two(r["总分"]),
            # a grade correcting the center's own figures could change is not announced
            "待定" if "等次待定" in (r["标记"] or "").split("；") else r["等次"],
            "暂缓确定" if "补助暂缓" in (r["标记"] or "") else two(r["补助金额（万元）"]),
        ]
        for r in ranking_table(qd_ranking)
    ]
    assert table[1:] == expected and len(expected) == 10
    assert any(row[4] == "暂缓确定" for row in expected)  # 胶州: 不合格 on a figure in error, could pass
    jiaozhou = next(row for row in table if row[1] == "胶州市科技金融服务分中心")
    assert jiaozhou[3:] == ["待定", "暂缓确定"]  # 排名 says 不合格, flagged 等次待定: 51 + 10 could be 合格
    text = "\n".join(p.text for p in document.paragraphs)
    # the title broken after who is assessed, not where the line ends (考核结 / 果的公示)
    assert text.startswith("关于青岛市科技金融服务分中心\n2017年度考核结果的公示\n")
    assert "青生促字〔2017〕6号" in text  # the notice cited
    assert "公示期为5个工作日" in text
    assert "注：胶州市科技金融服务分中心有填报数据待更正，等次和补助金额待数据更正后确定。" in text
    assert "83802988" in text and "辽宁路127号" in text  # where to object, from the scheme
    assert text.rstrip().endswith("青岛生产力促进中心\n2018年3月1日")
    # the last paragraph, the issuer and the date are kept on one page: a signature never stands alone
    tail = document.paragraphs[-4:]  # the address, a blank line, the issuer, the date
    assert tail[-1].text == "2018年3月1日" and tail[-2].text == "青岛生产力促进中心"
    assert all(p.paragraph_format.keep_with_next for p in tail[:-1]) and "辽宁路" in tail[0].text


def test_notice_days_is_a_parameter(qd_ranking: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["publish", "qingdao", str(qd_ranking), "-o", str(tmp_path), "--days", "7"]
    )
    assert result.exit_code == 0, result.output
    notice = next(tmp_path.glob("*.docx"))
    assert "公示期为7个工作日" in "\n".join(p.text for p in docx.Document(str(notice)).paragraphs)


@pytest.mark.libreoffice
@pytest.mark.skipif(not HAS_PDF, reason="LibreOffice or pdftotext is not installed")
def test_notice_pdf_shows_every_center(gd_settled: Path, tmp_path: Path) -> None:
    paths, notes = publish.publish(load_scheme("guangdong"), gd_settled, tmp_path, when=WHEN)
    assert notes == []
    pdf = next(p for p in paths if p.suffix == ".pdf")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, check=True).stdout.decode()
    flat = re.sub(r"\s+", "", text)
    assert "关于广东省地市科技金融综合服务中心2019年度监测评估结果的公示" in flat
    for r in ranking_table(gd_settled):
        assert r["名称"].replace(" ", "") in flat


def test_publish_without_libreoffice_writes_the_rest(qd_ranking: Path, tmp_path: Path) -> None:
    missing = tmp_path / "LibreOffice" / "program" / "soffice.exe"
    result = CliRunner().invoke(
        cli,
        ["publish", "qingdao", str(qd_ranking), "-o", str(tmp_path / "o")],
        env={"KJJR_SOFFICE": str(missing)},
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.suffix for p in (tmp_path / "o").iterdir()) == [".docx", ".xlsx"]
    assert result.output.splitlines()[-1] == (
        f"公示未生成PDF：环境变量 KJJR_SOFFICE 指定的“{missing}”不存在。请把它改为 soffice 的完整路径"
        "（如 /usr/lib/libreoffice/program/soffice），或删除这个变量后重试。也可以在Word或WPS中打开 .docx 另存为PDF。"
    )


def test_publish_writes_the_payment_list_before_libreoffice_fails(qd_ranking: Path, tmp_path: Path) -> None:
    failing = tmp_path / "soffice"
    failing.write_text("#!/bin/sh\necho 'source file could not be loaded' >&2\nexit 1\n")
    failing.chmod(0o755)
    out = tmp_path / "o"
    result = CliRunner().invoke(
        cli, ["publish", "qingdao", str(qd_ranking), "-o", str(out)], env={"KJJR_SOFFICE": str(failing)}
    )
    assert (
        result.exit_code == 3
        and "用LibreOffice生成PDF失败（source file could not be loaded）" in result.output
    )
    assert sorted(p.suffix for p in out.iterdir()) == [".docx", ".xlsx"]
    # both files written are named: the 补助发放清单 was not, and the clerk thought it missing too
    [docx] = out.glob("*.docx")
    [payment] = out.glob("*.xlsx")
    flat = result.output.replace("\n", "")
    assert f"{docx} 已写好，可直接打印。{payment} 也已生成。" in flat
    assert "补助发放清单" in payment.name


# ---------------------------------------------------------------------------------------------- 发放清单


def test_payment_list_equals_ranking_with_amounts_in_capitals(gd_settled: Path, tmp_path: Path) -> None:
    gd = load_scheme("guangdong")
    paths, _ = publish.publish(gd, gd_settled, tmp_path, when=WHEN)
    pay = next(p for p in paths if p.suffix == ".xlsx")
    ws = openpyxl.load_workbook(pay).active
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=3)]
    listed = [r for r in rows if isinstance(r[0], int)]
    supported = [r for r in ranking_table(gd_settled) if r["支持金额（万元）"]]
    assert [(r[1], r[3], r[4]) for r in listed] == [
        (r["名称"], r["等次"], r["支持金额（万元）"]) for r in supported
    ]
    capitals = {50: "伍拾万元整", 30: "叁拾万元整", 10: "壹拾万元整"}
    assert all(r[5] == capitals[r[4]] for r in listed)
    total_row = next(r for r in rows if isinstance(r[0], str) and r[0].startswith("合计"))
    total = sum(r[4] for r in listed)
    assert total_row[4] == total and total_row[5] == publish.in_capitals(Decimal(str(total)))
    text = " ".join(str(v) for r in rows for v in r if v)
    assert "经办人" in text and "审核人" in text and "负责人" in text
    # the figure (right) and its capitals (left) each a character off the border they share: not 20.00贰拾…
    first = next(r for r in ws.iter_rows(min_row=3) if isinstance(r[0].value, int))
    assert (first[4].alignment.horizontal, first[4].alignment.indent) == ("right", 1)
    assert (first[5].alignment.horizontal, first[5].alignment.indent) == ("left", 1)


@pytest.mark.parametrize(
    "wan, capitals",
    [
        ("20", "贰拾万元整"),
        ("0", "零元整"),
        ("12.5", "壹拾贰万伍仟元整"),
        ("160", "壹佰陆拾万元整"),
        ("0.01", "壹佰元整"),
    ],
)
def test_capitals(wan: str, capitals: str) -> None:
    assert publish.in_capitals(Decimal(wan)) == capitals


def _paid_book(scheme_id: str, count: int) -> publish.RankingBook:
    """A final ranking of `count` centers, every one paid; each name its own, so a page shows whose rows it has."""
    hosts = ["青岛高新技术产业开发区科技局", "市南区科学技术局"]
    rows = tuple(
        publish.PublishedRow(
            n,
            n,
            f"C{n:03d}",
            f"测试{n:03d}科技金融服务分中心",
            hosts[n % 2],
            Decimal(90),
            "优秀",
            Decimal(20),
            "",
        )
        for n in range(1, count + 1)
    )
    return publish.RankingBook(scheme_id=scheme_id, year=2019, rows=rows)


@pytest.mark.libreoffice
@pytest.mark.skipif(not HAS_PDF, reason="LibreOffice or pdftotext is not installed")
@pytest.mark.parametrize(
    ("scheme_id", "count"),
    # 14 and 33 centers printed the signatures on the next page; 16 and 34 the whole foot alone, 合计 included
    [("qingdao", 1), ("qingdao", 14), ("qingdao", 16), ("guangdong", 33), ("guangdong", 34)],
)
def test_printed_payment_foot_shares_the_last_centers_page(
    tmp_path: Path, scheme_id: str, count: int
) -> None:
    from kjjr_excel.write.pdf import convert_to_pdf

    scheme = load_scheme(scheme_id)
    xlsx = publish.write_payment_list(scheme, _paid_book(scheme_id, count), tmp_path / "清单.xlsx", when=WHEN)
    pdf = convert_to_pdf(xlsx, tmp_path / "清单.pdf", shutil.which("soffice"))
    printed = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = ["".join(t.split()) for t in printed.split("\f") if t.strip()]  # CJK comes loosely spaced
    # the foot whole on the last page, with the last center's row: 合计, the basis, signatures and date
    for words in (f"合计（{count}个）", "依据：", "经办人：", "负责人：", "日期："):
        assert [n for n, page in enumerate(pages) if words in page] == [len(pages) - 1], words
    assert f"测试{count:03d}" in pages[-1]
    # every page holds centers' rows under the repeated header row: none holds the foot alone
    for page in pages:
        assert "收款单位签章" in page and "测试" in page


LONG_NAME = "青岛市西海岸新区灵山湾影视文化产业区科技金融服务分中心（试点）"  # wraps to 3 lines on 发放清单


@pytest.mark.libreoffice
@pytest.mark.skipif(not HAS_PDF, reason="LibreOffice or pdftotext is not installed")
def test_a_long_payee_name_prints_whole_inside_its_row(tmp_path: Path) -> None:
    """The row was one line high: LibreOffice printed the name's middle line in it, the first over the row
    above and the last under the row below, and the payee could not be read."""
    from kjjr_excel.write.pdf import convert_to_pdf

    scheme = load_scheme("qingdao")
    book = _paid_book("qingdao", 3)
    book = publish.RankingBook(book.scheme_id, book.year, (book.rows[0], _named(book.rows[1]), book.rows[2]))
    xlsx = publish.write_payment_list(scheme, book, tmp_path / "清单.xlsx", when=WHEN)
    ws = openpyxl.load_workbook(xlsx)["发放清单"]
    assert ws.row_dimensions[4].height >= 3 * 15 > ws.row_dimensions[3].height
    pdf = convert_to_pdf(xlsx, tmp_path / "清单.pdf", shutil.which("soffice"))
    words = _words(pdf)
    above = next(w for w in words if w[4] == "测试001科技金融服务分中心")
    below = next(w for w in words if w[4] == "测试003科技金融服务分中心")
    lines = [w for w in words if w[0] == pytest.approx(above[0], abs=1) and above[3] < w[1] < below[1]]
    assert "".join(w[4] for w in lines) == LONG_NAME  # every line of it, and nothing of another row
    assert lines[0][1] >= above[3] and lines[-1][3] <= below[1]  # printed between its neighbours
    # the amount's heading in two lines, its unit whole: not 补助金额（万元 with '）' alone below
    assert {"补助金额", "（万元）"} <= {w[4] for w in words}


def _named(row: publish.PublishedRow) -> publish.PublishedRow:
    from dataclasses import replace

    return replace(row, name=LONG_NAME)


@pytest.mark.parametrize(("scheme_id", "count"), [("qingdao", 9), ("guangdong", 34), ("guangdong", 150)])
def test_payment_breaks_follow_the_heights_the_file_holds(tmp_path: Path, scheme_id: str, count: int) -> None:
    scheme = load_scheme(scheme_id)
    xlsx = publish.write_payment_list(scheme, _paid_book(scheme_id, count), tmp_path / "清单.xlsx", when=WHEN)
    ws = openpyxl.load_workbook(xlsx)["发放清单"]
    table_end = 2 + count  # the title, the header row, a row a center; the foot from 合计 on
    assert str(ws.cell(table_end + 1, 1).value).startswith("合计")
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
    breaks = planned_breaks(ws, table_end, FOOT_KEEPS)
    assert breaks and [b.id for b in ws.row_breaks.brk] == breaks
    assert all(b.man for b in ws.row_breaks.brk)


# ---------------------------------------------------------------------------------------------- refusals


def test_publish_refuses_what_it_did_not_write(qd_ranking: Path, tmp_path: Path) -> None:
    other = tmp_path / "自制排名.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["排名", "名称", "等次"])
    wb.save(other)
    runner = CliRunner()
    result = runner.invoke(cli, ["publish", "qingdao", str(other), "-o", str(tmp_path / "o")])
    assert result.exit_code == 3 and "不是本工具生成的排名结果表" in result.output
    result = runner.invoke(cli, ["publish", "guangdong", str(qd_ranking), "-o", str(tmp_path / "o")])
    assert result.exit_code == 3 and "不是“广东省" in result.output
    broken = tmp_path / "坏.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really")
    result = runner.invoke(cli, ["publish", "qingdao", str(broken), "-o", str(tmp_path / "o")])
    assert result.exit_code == 3 and "无法读取" in result.output
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())


@pytest.mark.parametrize(
    "name",
    [
        "青岛市科技金融服务分中心2017年度补助发放清单.xlsx",
        "关于青岛市科技金融服务分中心2017年度考核结果的公示.docx",
    ],
)
def test_publish_never_writes_over_the_ranking_it_reads(qd_ranking: Path, tmp_path: Path, name: str) -> None:
    """A ranking saved in the output folder under the payment list's (or the notice's) name was replaced by it:
    the results the notice was made from were gone."""
    ranking = tmp_path / "公示" / name
    ranking.parent.mkdir()
    ranking.write_bytes(qd_ranking.read_bytes())
    result = CliRunner().invoke(cli, ["publish", "qingdao", str(ranking), "-o", str(ranking.parent)])
    assert result.exit_code == 3 and "就是要读取的输入文件" in result.output, result.output
    assert [p.name for p in ranking.parent.iterdir()] == [name]
    assert ranking.read_bytes() == qd_ranking.read_bytes()


def test_publish_refuses_a_provisional_ranking(tmp_path: Path) -> None:
    qd = load_scheme("qingdao")
    result = run_rank(qd, [SAMPLES / "qingdao" / "inbox"], roster_path=SAMPLES / "qingdao" / "名录.csv")
    path = write_ranking(result, tmp_path / "初步.xlsx", run_time=WHEN)
    with pytest.raises(publish.PublishError, match="初步结果（未经考核评价）.*--assessment"):
        publish.read_ranking(qd, path)


def test_an_altered_table_is_refused(qd_ranking: Path, tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(qd_ranking)
    ws = wb["排名"]
    ws.delete_rows(5)  # a row removed by hand: no longer what was ranked
    altered = tmp_path / "改过.xlsx"
    wb.save(altered)
    with pytest.raises(publish.PublishError, match="表格被改动过"):
        publish.read_ranking(load_scheme("qingdao"), altered)


@pytest.mark.parametrize(
    "header, value",
    [("补助金额（万元）", 20), ("等次", "优秀"), ("名称", "青岛某某科技金融服务分中心"), ("标记", None)],
)
def test_a_published_cell_changed_by_hand_is_refused_naming_its_row(
    qd_ranking: Path, tmp_path: Path, header: str, value
) -> None:
    """An amount, a grade, a name or a flag typed over in Excel after the ranking would be published and paid
    as typed: publish names the row and refuses."""
    wb = openpyxl.load_workbook(qd_ranking)
    ws = wb["排名"]
    col = [c.value for c in ws[2]].index(header) + 1
    row = next(r for r in range(3, ws.max_row + 1) if ws.cell(r, col).value != value and ws.cell(r, 5).value)
    name = ws.cell(row, [c.value for c in ws[2]].index("名称") + 1).value
    ws.cell(row, col).value = value
    altered = tmp_path / "改过.xlsx"
    wb.save(altered)
    shown = value if header == "名称" else name
    with pytest.raises(publish.PublishError, match=rf"被改动过：第{row}行（{shown}）.*重新运行 kjjr rank"):
        publish.read_ranking(load_scheme("qingdao"), altered)


def test_row_digests_spread_over_several_meta_cells_are_all_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large ranking's digests do not fit one cell (32,767 characters): they go on in _meta's next rows, and
    a row whose digest is in a later cell is checked like the first."""
    from kjjr_excel.write import ranking

    monkeypatch.setattr(ranking, "DIGEST_CELL", 8 * 3)
    qd = load_scheme("qingdao")
    result = qd_final()
    path = write_ranking(result, tmp_path / "排名.xlsx", run_time=WHEN)
    wb = openpyxl.load_workbook(path)
    assert [c.value for c in wb["_meta"]["A"] if str(c.value).startswith("row_digests_")] == [
        f"row_digests_{k}" for k in range(1, (len(result.ranked) + 2) // 3 + 1)
    ]
    assert len(publish.read_ranking(qd, path).rows) == len(result.ranked)
    ws = wb["排名"]
    last = 2 + len(result.ranked)
    ws.cell(last, 2).value = 99  # the last center's rank, its digest in the last cell
    wb.save(tmp_path / "改过.xlsx")
    with pytest.raises(publish.PublishError, match=rf"第{last}行"):
        publish.read_ranking(qd, tmp_path / "改过.xlsx")


def test_what_publish_does_not_read_may_be_changed(qd_ranking: Path, tmp_path: Path) -> None:
    """Rows sorted another way, a remark typed beside the table, the date filled in below it: the published
    figures are unchanged, so publish reads them."""
    wb = openpyxl.load_workbook(qd_ranking)
    ws = wb["排名"]
    width = ws.max_column
    first, second = ([c.value for c in ws[r]] for r in (3, 4))
    for col in range(1, width + 1):
        ws.cell(3, col).value, ws.cell(4, col).value = second[col - 1], first[col - 1]
    ws.cell(5, width + 1).value = "已核对"
    ws.cell(ws.max_row, 1).value = "2018年3月2日"
    edited = tmp_path / "排序.xlsx"
    wb.save(edited)
    qd = load_scheme("qingdao")
    original = publish.read_ranking(qd, qd_ranking).rows
    # and the 公示 lists them as 排名 was written (it numbered them 1, 2, 3, 5, 4 after a swap)
    assert publish.read_ranking(qd, edited).rows == original
    assert [row[0] for row in publish.notice_table(qd, publish.read_ranking(qd, edited))[1:]] == [
        str(n) for n in range(1, len(original) + 1)
    ]


@pytest.mark.skipif(shutil.which("soffice") is None or shutil.which("ssconvert") is None, reason="no soffice")
@pytest.mark.parametrize("program", ["soffice", "ssconvert"])
def test_a_ranking_saved_again_by_a_spreadsheet_program_still_publishes(
    gd_settled: Path, tmp_path: Path, program: str
) -> None:
    """Opened and saved in LibreOffice or Gnumeric (as an analyst does before mailing it on): every published
    cell reads back as written, so the row digests still match."""
    if program == "soffice":
        saved = soffice_convert(gd_settled, "xlsx", tmp_path / "out", tmp_path.name)
    else:
        saved = tmp_path / gd_settled.name
        subprocess.run(
            ["ssconvert", str(gd_settled), str(saved)], check=True, capture_output=True, timeout=180
        )
    gd = load_scheme("guangdong")
    assert publish.read_ranking(gd, saved).rows == publish.read_ranking(gd, gd_settled).rows


def test_a_ranking_workbook_in_the_inbox_is_not_read_as_a_submission(
    qd_ranking: Path, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(qd_ranking, inbox / "去年排名.xlsx")
    got = ingest(load_scheme("qingdao"), [inbox])
    assert got.submissions == []
    assert [f.code for f in got.findings] == ["ranking-workbook"]


# ---------------------------------------------------------------------------------------------- 排名 printed


def _words(pdf: Path) -> list[tuple[float, float, float, float, str]]:
    xml = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, check=True
    ).stdout.decode()
    return [
        (float(a), float(b), float(c), float(d), w)
        for a, b, c, d, w in re.findall(
            r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]+)<', xml
        )
    ]


@pytest.mark.libreoffice
@pytest.mark.skipif(not HAS_PDF, reason="LibreOffice or pdftotext is not installed")
@pytest.mark.parametrize("which", ["qd_ranking", "gd_ranking"])
def test_printed_ranking_is_a_handout(which: str, request, tmp_path: Path) -> None:
    ranking = request.getfixturevalue(which)
    pdf = export_pdf(ranking, tmp_path, shutil.which("soffice"))
    words = _words(pdf)
    page = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, check=True).stdout.decode()
    width, height = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", page).groups())
    assert width > height  # A4 landscape
    rows = ranking_table(ranking)
    # body text at 10.5 pt or more: a CJK character is as wide as the font is large
    names = [w for w in words if any(w[4] == r["名称"] for r in rows)]
    assert len(names) >= len(rows) // 2  # most names on one line; the rest wrap, still in full below
    for x0, _, x1, _, text in names:
        assert (x1 - x0) / len(text) >= 10.5, text
    # nothing beyond the printed page, and every name in full
    assert all(x1 <= width and y1 <= height for _, _, x1, y1, _ in words)
    flat = re.sub(r"\s+", "", " ".join(w[4] for w in words))
    for r in rows:
        assert r["名称"].replace(" ", "") in flat
    assert "等次汇总" in flat and "合计" in flat and "日期：" in flat


def _pages(pdf: Path) -> list[tuple[str, list[tuple[float, float, float, float, str]]]]:
    """Per page: its running head (the sheet's title at the top right) and its words."""
    xml = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, check=True
    ).stdout.decode()
    pages = []
    for page in xml.split("<page ")[1:]:
        words = [
            (float(a), float(b), float(c), float(d), w)
            for a, b, c, d, w in re.findall(
                r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]+)<', page
            )
        ]
        top = min((w[1] for w in words), default=0)
        head = " ".join(w[4] for w in words if w[1] - top < 3)
        pages.append((head, words))
    return pages


def _cjk_size(words) -> list[float]:
    """Font sizes of the words made only of CJK characters (each as wide as the font is large)."""
    return [
        (x1 - x0) / len(w)
        for x0, _, x1, _, w in words
        if len(w) >= 4 and re.fullmatch(r"[\u4e00-\u9fff]+", w)
    ]


@pytest.mark.libreoffice
@pytest.mark.skipif(not HAS_PDF, reason="LibreOffice or pdftotext is not installed")
def test_whole_guangdong_workbook_prints_sensibly(gd_ranking: Path, tmp_path: Path) -> None:
    from kjjr_excel.write.pdf import convert_to_pdf

    pdf = convert_to_pdf(gd_ranking, tmp_path / "all.pdf", shutil.which("soffice"))
    pages = _pages(pdf)
    assert len(pages) <= 30  # was 105: 得分明细 and 原始数据 carried one or two indicators a page
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, check=True).stdout.decode()
    width, height = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info).groups())
    for _, words in pages:  # no text beyond the page
        assert all(x0 >= 0 and y0 >= 0 and x1 <= width and y1 <= height for x0, y0, x1, y1, _ in words)
    by_sheet: dict[str, list] = {}
    for head, words in pages:
        sheet = head.rsplit(" ", 1)[-1] if "结果 " in head else "排名"
        by_sheet.setdefault(sheet, []).extend(words)
    for sheet in ("校验问题", "说明"):
        sizes = _cjk_size(w for w in by_sheet[sheet] if w[1] > 50)  # below the running head
        # pdftotext measures glyph boxes to about ±0.01 pt: 9 pt type reads 8.995–9.001
        assert sizes and min(sizes) >= 8.99, (sheet, min(sizes))
    # 图表 prints its charts, not the helper table beside them: the scores appear only as data labels
    charts = " ".join(w[4] for w in by_sheet["图表"])
    assert (
        "综合得分（按分中心，从高到低）" in charts.replace(" ", "")
        and "数量" not in charts.split("各等次数量")[0]
    )


@pytest.mark.libreoffice
@pytest.mark.skipif(not HAS_PDF, reason="LibreOffice or pdftotext is not installed")
def test_every_printed_page_of_a_provisional_ranking_says_so(tmp_path: Path) -> None:
    """Only 排名's first page said 初步结果: its second page, or a page of 得分明细, passed round the meeting
    alone read as the final result."""
    from kjjr_excel.write.pdf import convert_to_pdf

    qd = load_scheme("qingdao")
    result = run_rank(qd, [SAMPLES / "qingdao" / "inbox"], roster_path=SAMPLES / "qingdao" / "名录.csv")
    ranking = write_ranking(result, tmp_path / "初步.xlsx", run_time=WHEN)
    pdf = convert_to_pdf(ranking, tmp_path / "初步.pdf", shutil.which("soffice"))
    pages = _pages(pdf)
    assert len(pages) > 3
    for n, (head, _) in enumerate(pages, start=1):
        assert "（初步结果，未经考核评价）" in head.replace(" ", ""), (n, head)


@pytest.mark.libreoffice
@pytest.mark.skipif(not HAS_PDF, reason="LibreOffice or pdftotext is not installed")
def test_a_long_notice_repeats_its_table_header_and_numbers_its_pages(tmp_path: Path) -> None:
    """The 公示 of 40 centers ran onto a second page whose table had no header row: 得分, 等次 and 补助金额
    were numbers under no heading; and no page was numbered. A wrapped name may not be split either."""
    from kjjr_excel.write.pdf import convert_to_pdf

    book = _paid_book("qingdao", 40)
    rows = tuple(_named(r) if r.serial % 3 == 0 else r for r in book.rows)  # every third name wraps
    book = publish.RankingBook(book.scheme_id, book.year, rows)
    docx_path = publish.write_notice(
        load_scheme("qingdao"), book, tmp_path / "公示.docx", days=None, when=WHEN
    )
    pdf = convert_to_pdf(docx_path, tmp_path / "公示.pdf", shutil.which("soffice"))
    printed = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = ["".join(t.split()) for t in printed.split("\f") if t.strip()]
    assert len(pages) >= 2
    for n, page in enumerate(pages, start=1):
        if "测试" in page or "科技金融服务分中心（试点）" in page:  # a page with rows of the table
            assert "序号单位名称得分等次" in page
        assert f"—{n}—" in page  # numbered as official documents are: the pages are posted side by side
    assert sum(page.count(LONG_NAME) for page in pages) == 40 // 3  # each whole, on one page


def test_a_held_amount_is_published_as_held_not_as_nothing(qd_ranking: Path) -> None:
    """胶州 (demo) has data to correct: 排名 shows 0 beside its flag 补助暂缓, and the 公示, which has no flags,
    announced 0.00 for it. (Qingdao grades each center alone, so the others' results are settled.)"""
    qd = load_scheme("qingdao")
    book = publish.read_ranking(qd, qd_ranking)
    held = [r for r in book.rows if "补助暂缓" in r.flags]
    assert held
    table = {row[1]: row for row in publish.notice_table(qd, book)[1:]}
    assert [table[r.name][4] for r in held] == ["暂缓确定"] * len(held)
    paid = next(r for r in book.rows if r.subsidy)
    assert table[paid.name][4] == f"{paid.subsidy:.2f}"
    # every 暂缓确定 is explained under the table, whether or not its grade waits too
    note = publish.pending_note(qd, book)
    assert note.startswith("注：") and all(r.name in note for r in held)
    only_money = replace(book, rows=[replace(r, flags="补助暂缓") for r in held])
    assert publish.pending_note(qd, only_money).endswith("有数据待更正或核实，补助金额暂缓确定。")


def test_a_ranking_whose_grades_hang_on_a_figure_to_correct_is_not_published(gd_ranking: Path) -> None:
    """Guangdong grades by shares: while 揭阳's and 中山's figures are to be corrected (demo), every other
    center's grade and amount may still move. 排名 says so under the grading rule, and publish refuses, naming
    them, rather than announce and pay amounts that may change."""
    grid = [[c.value for c in row] for row in openpyxl.load_workbook(gd_ranking)["排名"].iter_rows()]
    foot = [row[0] for row in grid if isinstance(row[0], str) and row[0].startswith("注：")]
    assert len(foot) == 1 and "揭阳分中心、中山分中心的数据更正" in foot[0] and "也可能改变" in foot[0]
    assert grid[0][0].endswith("年度监测评估结果（结果尚未确定，见表下注）")  # the first line read
    with pytest.raises(
        publish.PublishError, match="尚未确定，不能据此公示或发放支持.*揭阳分中心、中山分中心"
    ):
        publish.read_ranking(load_scheme("guangdong"), gd_ranking)


def test_year_is_said_in_every_publish_text_the_scheme_may_hold_it_in() -> None:
    import dataclasses

    scheme = load_scheme("qingdao")
    texts = {
        **scheme.publish,
        "objection": "对{year}年度结果有异议的，请在公示期内反映。",
        "contact": "联系人：{year}考核组",
    }
    said = publish._texts(dataclasses.replace(scheme, publish=texts), 2018, None)
    assert said["objection"] == "对2018年度结果有异议的，请在公示期内反映。"
    assert said["contact"] == "联系人：2018考核组"
    assert "{year}" not in "".join(said.values())


def test_the_notice_says_why_an_unranked_center_fails(tmp_path: Path) -> None:
    """A vetoed center keeps its score (100.00) but is 不合格 with nothing paid: the 公示 says why under the
    table (the reason 排名's 标记 gives first), so nobody reads a full score failed without a word."""
    qd = load_scheme("qingdao")
    row = publish.PublishedRow
    book = publish.RankingBook(
        scheme_id=qd.id,
        year=2017,
        rows=(
            row(1, 1, "QD01", "市南区分中心", "市南区科技局", Decimal(90), "优秀", Decimal(20), ""),
            row(
                2,
                None,
                "QD09",
                "崂山区分中心",
                "崂山区科技局",
                Decimal(100),
                "不合格",
                Decimal(0),
                "有重大责任事故；摘牌预警",
            ),
        ),
    )
    path = publish.write_notice(qd, book, tmp_path / "公示.docx", days=None, when=WHEN)
    text = "\n".join(p.text for p in docx.Document(str(path)).paragraphs)
    assert "注：崂山区分中心（有重大责任事故）不参加排名，不予补助。" in text
    assert "市南区分中心（" not in text
