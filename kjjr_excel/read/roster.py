"""Read a roster (名录): xlsx, xls or csv with the columns 编号, 名称, 依托单位 (optionally 序号, 联系人, 电话, 邮箱)."""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType

from kjjr_excel.domain.identity import TableRow
from kjjr_excel.domain.parse import normalise_name
from kjjr_excel.domain.scheme import RosterEntry
from kjjr_excel.errors import RosterError
from kjjr_excel.read.tables import (
    Sheet,
    TableSpec,
    Undecodable,
    Unreadable,
    find_header,
    identity_roles,
    open_sheets,
    table_rows,
)

# a roster's own columns besides the code and the name (identity.ALIASES)
COLUMNS = MappingProxyType(
    {
        "host_unit": (
            "依托单位",
            "依托机构",
            "承建单位",
            "建设单位",
            "运营单位",
            "运营机构",
            "主办单位",
            "host_unit",
        ),
        "number": ("序号",),
        "contact": ("联系人", "联系方式", "contact"),
        "phone": ("电话", "联系电话", "手机", "phone"),
        "email": ("邮箱", "电子邮箱", "邮件地址", "email", "e-mail"),
    }
)
HEADER_SCAN_ROWS = 20
MAX_CSV_BYTES = 20 * 2**20


def read_roster(path: str | Path, *, center_label: str = "") -> tuple[RosterEntry, ...]:
    """Roster rows in file order; raise RosterError (Chinese, naming the file) when unusable. center_label: the
    scheme's (分中心), whose '分中心名称' is a name column too."""
    path = Path(path)
    sheet = _first_sheet(path)
    spec = TableSpec(identity_roles(center_label) | COLUMNS, needs=(("name",),), scan_rows=HEADER_SCAN_ROWS)
    header = find_header([sheet], spec)
    if header is None:
        raise RosterError(
            f"名录文件 {path} 中找不到“名称”列。名录应有“编号”“名称”“依托单位”三列，第一行为列标题。"
        )
    entries: list[RosterEntry] = []
    seen: set[str] = set()
    for row in table_rows(header, str(path)):
        entry = _entry(row)
        if entry is None:
            continue
        key = normalise_name(entry.code)
        if key in seen:
            raise RosterError(f"名录文件 {path} 第{row.index + 1}行：编号“{entry.code}”重复，请修改后重试。")
        seen.add(key)
        entries.append(entry)
    if not entries:
        raise RosterError(f"名录文件 {path} 中没有任何名单（“名称”列下没有内容）。")
    return tuple(entries)


def _entry(row: TableRow) -> RosterEntry | None:
    """The entry of a row with a name (its code defaults to the name); None for a row without one."""
    name = row.text("name")
    if not name:
        return None
    return RosterEntry(
        code=row.text("code") or name,
        name=name,
        **{key: row.text(key) for key in COLUMNS},
    )


def _first_sheet(path: Path) -> Sheet:
    try:
        sheets = open_sheets(path, limit=MAX_CSV_BYTES, sniff=False)
    except Undecodable:
        raise RosterError(
            f"名录文件 {path} 的编码无法识别，请另存为 UTF-8 编码的 CSV 或 Excel 文件。"
        ) from None
    except Unreadable as refused:
        raise RosterError(f"名录文件 {path} 无法读取：{refused.detail}") from None
    if not sheets:
        raise RosterError(f"名录文件 {path} 无法读取：文件中没有工作表")
    return sheets[0]
