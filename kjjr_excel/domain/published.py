"""A row of 排名 as it is published: what `kjjr publish` prints and pays from, and its digest, which the ranking
workbook keeps in `_meta` so that a cell changed by hand after the ranking was written is told (publish refuses
it; a history file with it is not trusted for 摘牌). Pure: the write side digests the rows it writes, the read
side the cells it reads back, through the same function."""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from kjjr_excel.domain.parse import as_text

ROW_DIGESTS = "row_digests_"  # _meta keys row_digests_1, _2…: a cell holds at most 32,767 characters
SERIAL_HEADER = "序号"  # 排名's first column: the row's number, which its digest is kept under
CENT = Decimal("0.01")


@dataclass(frozen=True)
class PublishedRow:
    """One row of 排名 as publish reads it back: what the 公示 table and the payment list show."""

    serial: int
    rank: int | None
    code: str
    name: str
    host_unit: str
    total: Decimal | None
    grade: str
    subsidy: Decimal | None
    flags: str


def published_labels(total_label: str, subsidy_label: str) -> list[str]:
    """The headers of 排名 whose cells are published, for a scheme's total and subsidy labels."""
    return [SERIAL_HEADER, "排名", "编号", "名称", "依托单位", total_label, "等次", subsidy_label, "标记"]


def published_row_of(cells: Mapping[str, object], total_label: str, subsidy_label: str) -> PublishedRow:
    """A row of 排名 from its cells by header: the values written or the cells read back. Both sides go through
    here, so a row's digest is the same after a re-save by Excel, WPS or LibreOffice, and differs when one of
    these cells was changed."""
    rank = cells.get("排名")
    return PublishedRow(
        serial=int(cells[SERIAL_HEADER]),
        rank=int(rank) if isinstance(rank, int | float) and not isinstance(rank, bool) else None,
        code=as_text(cells.get("编号")),
        name=as_text(cells.get("名称")),
        host_unit=as_text(cells.get("依托单位")),
        total=published_amount(cells.get(total_label)),
        grade=as_text(cells.get("等次")),
        subsidy=published_amount(cells.get(subsidy_label)),
        flags=as_text(cells.get("标记")),
    )


def published_amount(value: object) -> Decimal | None:
    """A score or an amount as 排名 shows it (two places); None for an empty or non-numeric cell."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return Decimal(repr(float(value))).quantize(CENT, ROUND_HALF_UP)


def row_digest(row: PublishedRow) -> str:
    """Eight hex digits (CRC-32) of a published row: it tells a cell changed by mistake after the ranking was
    written, not a forgery (_meta can be edited as well)."""
    fields = (
        row.serial,
        row.rank,
        row.code,
        row.name,
        row.host_unit,
        row.total,
        row.grade,
        row.subsidy,
        row.flags,
    )
    text = "\x1f".join("" if v is None else str(v) for v in fields)
    return f"{zlib.crc32(text.encode('utf-8')):08x}"


def kept_digests(meta: Mapping[str, str]) -> str:
    """The row digests a ranking workbook's `_meta` keeps under row_digests_1, _2… ('' when none)."""
    return "".join(meta.get(f"{ROW_DIGESTS}{k}", "") for k in range(1, len(meta) + 1))


def digest_of(digests: str, serial: int) -> str:
    """The digest kept for row `serial` (1-based); '' when there is none."""
    return digests[(serial - 1) * 8 : serial * 8] if serial >= 1 else ""
