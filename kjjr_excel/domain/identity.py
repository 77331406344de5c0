"""Which center a file or a table row is about: center keys, roster matching, the one table of header aliases
(编号, 名称, 年度) every table reader uses, and the one year parser.

Pure: plain data in, plain data out. The readers in `kjjr_excel.read` find the columns; this module says what
the columns are called and how a code and a name become a center.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from types import MappingProxyType

from kjjr_excel.domain.model import Submission
from kjjr_excel.domain.parse import a1, as_text, normalise_name
from kjjr_excel.domain.scheme import RosterEntry

__all__ = [
    "ALIASES",
    "CenterIdentity",
    "CenterRef",
    "CenterResolver",
    "Cell",
    "RowIdentity",
    "TableRow",
    "RosterIndex",
    "aliases",
    "center_identity",
    "center_key",
    "match_center",
    "missing_centers",
    "parse_year",
    "submission_key",
    "year_in_text",
]

# The headers a column of center codes, center names or years goes by in any table we read (roster, history,
# assessor tables, review sheets). A scheme adds its own center label: 分中心名称, 服务站名称 (see `aliases`).
ALIASES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "code": ("编号", "代码", "code"),
        "name": ("名称", "中心名称", "单位名称", "机构名称", "name"),
        "year": ("年度", "考核年度", "评估年度", "年份"),
        # not a column: the label beside (or before) a reviewer's name above a review sheet's header row
        "reviewer": ("评审人", "评审人姓名", "评审专家"),
    }
)


def aliases(role: str, center_label: str = "") -> tuple[str, ...]:
    """The headers of an identity column; for names the scheme's own '<center label>名称' too."""
    names = ALIASES[role]
    return (*names, f"{center_label}名称") if role == "name" and center_label else names


# ---------------------------------------------------------------------------------------------- table rows


@dataclass(frozen=True)
class Cell:
    """One cell of a table row: its value as read (None when empty) and its A1 reference for findings."""

    value: object
    ref: str


@dataclass(frozen=True)
class RowIdentity:
    """Who a table row is about, as it says: its code, its name and the cell of the name."""

    code: str
    name: str
    cell: str


@dataclass(frozen=True)
class TableRow:
    """A row under a table's header row, as `kjjr_excel.read.tables` reads it: the file and sheet it is on, its
    row index (0-based) and values; the column of each role (code, name, year…) and each column's header key,
    shared by the rows of one table. Cells (with their A1 reference) are made when asked for."""

    file: str
    sheet: str
    index: int
    values: Sequence[object]
    columns: Mapping[str, int]  # role -> column
    keys: Mapping[int, str]  # column -> header text (a required text for its own column)

    def _value(self, col: int) -> object:
        values = self.values
        return None if col >= len(values) or values[col] == "" else values[col]

    def _cell(self, col: int) -> Cell:
        return Cell(self._value(col), a1(self.index, col))

    @cached_property
    def cells(self) -> dict[str, Cell]:
        """The cells by header text, in column order (of two columns with one header, the later one's)."""
        return {key: self._cell(col) for col, key in self.keys.items()}

    def role(self, role: str) -> Cell | None:
        """The cell of a role's column (its value None past the row's end); None without such a column."""
        col = self.columns.get(role)
        return None if col is None else self._cell(col)

    def value(self, role: str) -> object:
        col = self.columns.get(role)
        return None if col is None else self._value(col)

    def text(self, role: str) -> str:
        return as_text(self.value(role))

    def identity(self) -> RowIdentity:
        name = self.role("name")
        return RowIdentity(self.text("code"), self.text("name"), name.ref if name is not None else "")


# ---------------------------------------------------------------------------------------------- years

EARLIEST_YEAR, LATEST_YEAR = 1900, 2999
_YEAR_TEXT = re.compile(r"(\d{4})(?:\.0+)?年?度?")
_YEAR_IN_TEXT = re.compile(r"(\d{4})\s*年")


def parse_year(value: object, *, earliest: int = EARLIEST_YEAR, latest: int = LATEST_YEAR) -> int | None:
    """The year a cell holds: 2018, 2018.0, '2018', '２０１８年', '2018 年度'; None for anything else, a year
    outside [earliest, latest], NaN or infinity."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return int(value) if earliest <= value <= latest and value == int(value) else None
    if value.__class__ is str and len(value) == 4 and value.isascii() and value.isdigit():
        return int(value) if earliest <= int(value) <= latest else None  # "2019", as most cells hold it
    m = _YEAR_TEXT.fullmatch(re.sub(r"\s+", "", unicodedata.normalize("NFKC", as_text(value))))
    return int(m.group(1)) if m and earliest <= int(m.group(1)) <= latest else None


def year_in_text(text: object) -> int | None:
    """The first 'YYYY年' in a free text (a title such as '2017年度考核结果'), else None."""
    m = _YEAR_IN_TEXT.search(unicodedata.normalize("NFKC", as_text(text)))
    return int(m.group(1)) if m else None


# ---------------------------------------------------------------------------------------------- centers


def center_key(code: str, name: str) -> str:
    """Identity of a center across files, stages and years: its code, else its normalised name."""
    return f"code:{normalise_name(code)}" if code else f"name:{normalise_name(name)}"


@dataclass(frozen=True)
class CenterRef:
    """A center of this run as other inputs (history, tables) are matched to it."""

    key: str
    code: str
    name: str


@dataclass(frozen=True)
class CenterIdentity:
    """The center a submission belongs to: its key, code, name and host unit."""

    key: str
    code: str
    name: str
    host_unit: str

    @property
    def ref(self) -> CenterRef:
        return CenterRef(self.key, self.code, self.name)


class RosterIndex:
    """Roster lookups by normalised code and name (the first entry wins), built once per run and passed down."""

    def __init__(self, roster: Sequence[RosterEntry]):
        self.entries: tuple[RosterEntry, ...] = tuple(roster)
        self.by_code: dict[str, RosterEntry] = {}
        self.by_name: dict[str, RosterEntry] = {}
        for entry in self.entries:
            self.by_code.setdefault(normalise_name(entry.code), entry)
            self.by_name.setdefault(normalise_name(entry.name), entry)

    def __bool__(self) -> bool:
        return bool(self.entries)

    def __iter__(self):
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)


Roster = Sequence[RosterEntry] | RosterIndex


def roster_index(roster: Roster) -> RosterIndex:
    """The index of a roster; an index as it is (callers matching many submissions build it once)."""
    return roster if isinstance(roster, RosterIndex) else RosterIndex(roster)


def match_center(sub: Submission, roster: Roster) -> RosterEntry | None:
    """The roster entry of a submission: by code first, then by normalised name; none when its name and its
    code are of two different roster centers (which of them it is cannot be told)."""
    if not roster:
        return None
    index = roster_index(roster)
    code = normalise_name(sub.center_code)
    name = normalise_name(sub.center_name)
    if code and code in index.by_code:
        entry = index.by_code[code]
        other = index.by_name.get(name) if name else None
        return entry if other is None or other is entry else None
    return index.by_name.get(name) if name else None


def center_identity(sub: Submission, roster: Roster = ()) -> CenterIdentity:
    """The center a submission belongs to: the roster entry it matches (its host unit from the submission when
    the roster has none), else the submission's own."""
    entry = match_center(sub, roster) if roster else None
    if entry is not None:
        return CenterIdentity(
            center_key(entry.code, entry.name), entry.code, entry.name, entry.host_unit or sub.host_unit
        )
    return CenterIdentity(
        center_key(sub.center_code, sub.center_name), sub.center_code, sub.center_name, sub.host_unit
    )


# what a center's name ends with besides the place that tells it from the others (崂山区科技金融服务分中心)
_NAME_ENDINGS = (
    "科技金融综合服务中心",
    "科技金融服务分中心",
    "科技金融服务中心",
    "综合服务中心",
    "服务分中心",
    "分中心",
    "服务中心",
    "服务站",
    "中心",
)


def name_core(name: str) -> str:
    """The part of a center's name a clerk puts in a file name (崂山区科技金融服务分中心 -> 崂山, 汕头分中心 -> 汕头);
    '' when less than two characters are left."""
    core = normalise_name(name)
    core = next((core.removesuffix(e) for e in _NAME_ENDINGS if core.endswith(e)), core)
    core = core[:-1] if core.endswith(("区", "市", "县")) and len(core) > 2 else core
    return core if len(core) >= 2 else ""


def file_named_for(file: str, own: RosterEntry, roster: Roster) -> RosterEntry | None:
    """The one other roster center a file's name names (崂山分中心.xlsx holding 市北's header) while not naming
    its own; None when it names its own, none, or several. `file` as displayed: its last part is the name."""
    stem = normalise_name(file.rsplit("›", 1)[-1].rsplit("/", 1)[-1].rsplit(".", 1)[0])
    mine = name_core(own.name)
    if mine and _written_in(mine, stem):  # 广州番禺 in 广州市番禺区分中心（更正）: its own
        return None
    named = [
        e
        for e in roster_index(roster)
        if e != own
        and (core := name_core(e.name))
        and core in stem
        and core not in mine  # 广州 of 广州番禺: part of its own name, never another's
        and mine not in core
    ]
    return named[0] if len(named) == 1 else None


def _written_in(core: str, stem: str) -> bool:
    """Whether a name's core stands in a file name, its characters in order with others between them (市, 区
    added: 中山火炬高新 in 中山市火炬高新区分中心)."""
    at = 0
    for ch in core:
        at = stem.find(ch, at) + 1
        if not at:
            return False
    return True


def submission_key(sub: Submission, roster: Roster = ()) -> str:
    """The center a submission belongs to, as center_key."""
    return center_identity(sub, roster).key


def missing_centers(roster: Iterable[RosterEntry], accepted_keys: Iterable[str]) -> list[RosterEntry]:
    """Roster centers without an accepted submission (given by their center keys), in roster order: 未提交,
    and the center-missing findings."""
    have = set(accepted_keys)
    return [entry for entry in roster if center_key(entry.code, entry.name) not in have]


class CenterResolver:
    """A table row's center from its code and name: the accepted submissions' centers first (by code, then by
    a name only one of them has), then the roster's, so that roster centers without a submission resolve too
    (their assessment simply has nothing to apply to)."""

    def __init__(self, identities: Iterable[CenterIdentity], roster: Iterable[RosterEntry] = ()):
        identities = tuple(identities)
        self.by_code = {normalise_name(i.code): i.key for i in identities if i.code}
        self.names = {i.key: i.name or i.code for i in identities}
        self.by_name: dict[str, list[str]] = {}
        for i in identities:
            self.by_name.setdefault(normalise_name(i.name), []).append(i.key)
        roster = tuple(roster)
        # the last entry wins here (the first in RosterIndex): rosters are read with unique codes
        self.roster_by_code = {normalise_name(r.code): center_key(r.code, r.name) for r in roster}
        self.roster_by_name = {normalise_name(r.name): center_key(r.code, r.name) for r in roster}

    def conflict(self, code: str, name: str) -> tuple[str, str] | None:
        """(the center the code is, the center the name is) when a row's code and name are two centers that
        sent forms: which one the row is for cannot be told (its figures are never given to either)."""
        by_code = self.by_code.get(normalise_name(code)) if code else None
        by_name = self.by_name.get(normalise_name(name), []) if name else []
        if by_code is None or len(by_name) != 1 or by_name[0] == by_code:
            return None
        return self.names.get(by_code, code), self.names.get(by_name[0], name)

    def __call__(self, code: str, name: str) -> str | None:
        code_key, name_key = normalise_name(code), normalise_name(name)
        if self.conflict(code, name) is not None:
            return None
        if code and code_key in self.by_code:
            return self.by_code[code_key]
        matches = self.by_name.get(name_key, [])
        if len(matches) == 1:
            return matches[0]
        if code and code_key in self.roster_by_code:
            return self.roster_by_code[code_key]
        return self.roster_by_name.get(name_key)
