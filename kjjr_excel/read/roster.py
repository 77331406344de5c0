"""Read a roster (名录): xlsx, xls or csv with the columns 编号, 名称, 依托单位 (optionally 序号, 联系人, 电话, 邮箱)."""

from __future__ import annotations

from pathlib import Path

from kjjr_excel.domain.findings import Finding, Severity
from kjjr_excel.domain.parse import as_text, decode_text, normalise_name
from kjjr_excel.domain.scheme import RosterEntry
from kjjr_excel.errors import RosterError
from kjjr_excel.read import guards

COLUMNS = {
    "code": ("编号", "代码", "code"),
    "name": ("名称", "分中心名称", "中心名称", "name"),
    "host_unit": ("依托单位", "host_unit"),
    "number": ("序号",),
    "contact": ("联系人", "联系方式", "contact"),
    "phone": ("电话", "联系电话", "手机", "phone"),
    "email": ("邮箱", "电子邮箱", "邮件地址", "email", "e-mail"),
}


def read_roster(path: str | Path) -> tuple[RosterEntry, ...]:
    """Roster rows in file order; raise RosterError (Chinese, naming the file) when unusable."""
    path = Path(path)
    rows = _rows_csv(path) if path.suffix.lower() in (".csv", ".txt") else _rows_workbook(path)
    header_at = next((n for n, row in enumerate(rows[:20]) if _column(row, "name") is not None), None)
    if header_at is None:
        raise RosterError(
            f"名录文件 {path} 中找不到“名称”列。名录应有“编号”“名称”“依托单位”三列，第一行为列标题。"
        )
    header = rows[header_at]
    cols = {key: _column(header, key) for key in COLUMNS}
    entries: list[RosterEntry] = []
    seen: set[str] = set()
    for n, row in enumerate(rows[header_at + 1 :], start=header_at + 2):

        def get(key: str, row=row) -> str:
            idx = cols[key]
            return as_text(row[idx]) if idx is not None and idx < len(row) else ""

        name = get("name")
        if not name:
            continue
        code = get("code") or name
        key = normalise_name(code)
        if key in seen:
            raise RosterError(f"名录文件 {path} 第{n}行：编号“{code}”重复，请修改后重试。")
        seen.add(key)
        entries.append(
            RosterEntry(
                code=code,
                name=name,
                host_unit=get("host_unit"),
                number=get("number"),
                contact=get("contact"),
                phone=get("phone"),
                email=get("email"),
            )
        )
    if not entries:
        raise RosterError(f"名录文件 {path} 中没有任何名单（“名称”列下没有内容）。")
    return tuple(entries)


def _column(row: list, key: str) -> int | None:
    names = {normalise_name(n) for n in COLUMNS[key]}
    for idx, cell in enumerate(row):
        if normalise_name(as_text(cell)) in names:
            return idx
    return None


MAX_CSV_BYTES = 20 * 2**20


def _rows_csv(path: Path) -> list[list[str]]:
    try:
        text = decode_text(guards.read_input(path, MAX_CSV_BYTES))
        if text is None:
            raise RosterError(f"名录文件 {path} 的编码无法识别，请另存为 UTF-8 编码的 CSV 或 Excel 文件。")
        return guards.csv_rows(text)
    except guards.Guarded as refused:
        message = Finding.make(refused.code, file=str(path), **refused.fields).message
        raise RosterError(f"名录文件 {path} 无法读取：{message}") from None


def _rows_workbook(path: Path) -> list[list]:
    from kjjr_excel.read.ingest import read_sheets

    sheets, problems = read_sheets(path, path.name)
    refused = [f for f in problems if f.severity is Severity.ERROR]
    if refused or not sheets:
        detail = refused[0].message if refused else "文件中没有工作表"
        raise RosterError(f"名录文件 {path} 无法读取：{detail}")
    return sheets[0][1]
