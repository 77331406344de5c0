"""Plain data passed between the stages: what was read, what is scored, what is ranked."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, NamedTuple

from kjjr_excel.domain.findings import Finding

if TYPE_CHECKING:  # for the types only: both are plain data of the same stage
    from kjjr_excel.domain.assess import TableUse
    from kjjr_excel.domain.scheme import RosterEntry, Scheme

Value = Decimal | bool | None

# Between an archive's or a mail's name and a member's in a file as shown to the user (Submission.file)
ARCHIVE_SEPARATOR = " › "


class CellValue(NamedTuple):
    """One input cell of a submission: as typed, as read, and where. (A NamedTuple: N × 17 of these are made
    and sent between processes on the hot path, where a frozen dataclass costs three times as much.)"""

    indicator: str
    raw: str  # as the clerk typed it (formulas as their text)
    value: Value  # as read after normalisation; None when missing or in error
    sheet: str = ""
    cell: str = ""
    error: bool = False  # an error finding was raised on this cell


# the offices and centers assessed are in China: a sent time is shown as their mail programs show it, in
# Beijing time, whatever zone the mail was stamped in (an Outlook .msg keeps its sent time in UTC)
BEIJING_TIME = timezone(timedelta(hours=8))


def beijing_time(utc: datetime) -> datetime:
    """A time in UTC without a zone (a workbook's saved time) as the clocks in China show it, to the second."""
    return utc.replace(tzinfo=UTC).astimezone(BEIJING_TIME).replace(tzinfo=None, microsecond=0)


def _utc(when: datetime | None) -> datetime | None:
    """A mail's time comparable across mails: in UTC without a zone (a time without a zone is taken as given)."""
    if when is None or when.tzinfo is None:
        return when
    return when.astimezone(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class MailOrigin:
    """Where an attachment came from."""

    file: str  # the message's file, as shown to the user
    sender: str = ""  # address
    sender_name: str = ""
    sent_at: datetime | None = None  # timezone-aware when the mail says its zone
    subject: str = ""
    # a file of a mail forwarded inside this one: when the forwarded (innermost) mail was sent, and by whom
    # (the clerk who wrote it: the one to answer, beside the office that forwarded it)
    first_sent_at: datetime | None = None
    first_sender: str = ""
    first_sender_name: str = ""

    @property
    def who(self) -> str:
        """发件人 as a clerk would recognise it: 张三 <zhangsan@example.cn>."""
        if self.sender_name and self.sender:
            return f"{self.sender_name} <{self.sender}>"
        return self.sender_name or self.sender or "（发件人不详）"

    @property
    def sent_text(self) -> str:
        if self.sent_at is None:
            return "（发送时间不详）"
        local = self.sent_at.astimezone(BEIJING_TIME) if self.sent_at.tzinfo else self.sent_at
        return local.strftime("%Y-%m-%d %H:%M")

    @property
    def sent_utc(self) -> datetime | None:
        """The sent time comparable across mails (a time without a zone is taken as given)."""
        return _utc(self.sent_at)

    @property
    def version_utc(self) -> datetime | None:
        """When this version of the file was first sent, comparable across mails: a forwarded mail's own time,
        not the forward's (an old version forwarded later is still the old version)."""
        return _utc(self.first_sent_at or self.sent_at)

    @property
    def answered(self) -> list[tuple[str, str]]:
        """(name, address) of whom a reply goes to: the forwarded mail's writer first, then this mail's sender."""
        first = [(self.first_sender_name, self.first_sender)] if self.first_sender else []
        return [*first, (self.sender_name, self.sender)]

    def describe(self) -> str:
        """One line for 原始数据, 说明 and the findings: sender, time, subject and the message's file."""
        forwarded = ""
        if self.first_sender:
            who = (
                f"{self.first_sender_name} <{self.first_sender}>"
                if self.first_sender_name
                else self.first_sender
            )
            forwarded = f"（转发 {who} 的来信）"
        return f"{self.who}{forwarded}，{self.sent_text}，主题“{self.subject or '（无主题）'}”，邮件文件 {self.file}"


@dataclass(frozen=True)
class Submission:
    """One recognised submission workbook."""

    file: str  # path as shown to the user (relative to the input folder when possible)
    sha256: str
    center_code: str = ""
    center_name: str = ""
    host_unit: str = ""
    year: int | None = None
    # the year typed in the header's year cell when _meta records another one (the clerk edited either)
    typed_year: int | None = None
    filler_name: str = ""
    filler_phone: str = ""
    fill_date: str = ""
    values: dict[str, CellValue] = field(default_factory=dict)
    scheme_id: str = ""
    scheme_version: str = ""
    template_version: str = ""
    saved_at: datetime | None = None
    modified_at: datetime | None = None  # the file's own modification time (an archive member's, in a zip)
    recognised_by: str = "meta"  # meta | labels
    sheet: str = ""
    header_cells: dict[str, str] = field(default_factory=dict)  # header field -> A1 cell
    file_format: str = "xlsx"
    origins: tuple[MailOrigin, ...] = ()  # the mails that brought this file (empty: it lay in the folder)


@dataclass(frozen=True)
class InputFile:
    """Every file looked at, recognised or not, for the 说明 sheet and receipts."""

    file: str
    sha256: str
    status: str  # 已读取 / 已跳过 / 无法读取
    size: int = 0
    origin: MailOrigin | None = None  # the mail that brought it (or, for a mail's own row, the mail)


@dataclass(frozen=True)
class CenterInput:
    """What the scoring of one center needs: effective values and their provenance, assessments, reviews."""

    key: str
    code: str
    name: str
    host_unit: str = ""
    values: dict[str, Value] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)  # id -> 自报 / 核定 / 考核 / 默认
    errors: dict[str, str] = field(default_factory=dict)  # id -> cell of the error
    review_totals: tuple[Fraction, ...] = ()
    vetoes: tuple[str, ...] = ()  # reasons (a veto indicator, a reviewer's 一票否决)
    assessed: bool = False
    eligible: bool = True  # may be ranked and enters benchmarks
    not_eligible_reason: str = ""
    file: str = ""
    notes: tuple[str, ...] = ()  # extra flags decided upstream (e.g. 核定数与自报数不一致)


class Parameter(NamedTuple):
    """One row of 说明's parameters: what, its value as applied, where it comes from (通知原文 / 默认值（待确认）)."""

    name: str
    value: str
    source: str


class ItemScore(NamedTuple):
    indicator: str
    value: Value
    score: Fraction
    derivation: str
    source: str = "自报"


@dataclass(frozen=True)
class CenterScore:
    center: CenterInput
    items: tuple[ItemScore, ...]
    quantitative: Fraction
    qualitative: Fraction | None
    total: Fraction
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class HistoryRecord:
    year: int
    grade: str
    rank: int | None
    last: bool = False
    score: Decimal | None = None
    failing: bool = False
    pending: bool = False  # that year's 标记 said its grade or place waited for a figure to be corrected
    last_unknown: bool = (
        False  # last of the rows given, but places are missing that year: last or not, unknown
    )


@dataclass(frozen=True)
class RankedCenter:
    score: CenterScore
    total: Decimal  # rounded half up to 2 places: what the meeting sees and what decides
    rank: int | None
    grade: str
    subsidy: Decimal
    flags: tuple[str, ...]
    history: tuple[HistoryRecord, ...] = ()

    @property
    def center(self) -> CenterInput:
        return self.score.center


@dataclass
class RunResult:
    """Everything the ranking workbook shows."""

    scheme: Scheme
    year: int
    ranked: list[RankedCenter]
    submissions: list[Submission]
    findings: list[Finding]
    missing: list[RosterEntry]  # without a valid submission
    files: list[InputFile]
    reviews_given: bool = False
    assessed: bool = False
    parameters: list[Parameter] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)
    history_years: list[int] = field(default_factory=list)
    tables: list[TableUse] = field(default_factory=list)  # each table given, used as what
    provisional: str = ""  # why the results are provisional (未经考核评价 / 定性评分缺失), "" when final
    table_unusable: bool = False  # a table given to the run could not be used (the CLI exits non-zero)
    unsettled: str = (
        ""  # others' grades or amounts hang on a center in error (rank.unsettled_note), "" if none
    )
    short_budget: str = ""  # a budget too small for every qualifying center's floor (rank.short_budget_note)
