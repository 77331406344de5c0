"""The plain data passed between the stages."""

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal as D
from fractions import Fraction

from kjjr_excel.domain.model import (
    ARCHIVE_SEPARATOR,
    CenterInput,
    CenterScore,
    MailOrigin,
    RankedCenter,
)


def test_a_mail_origin_says_who_when_and_what():
    sent = datetime(2020, 3, 5, 9, 30, tzinfo=timezone(timedelta(hours=8)))
    o = MailOrigin(file="收件箱.eml", sender="a@example.cn", sender_name="张三", sent_at=sent, subject="报送")
    assert o.who == "张三 <a@example.cn>"
    assert o.sent_text == "2020-03-05 09:30"
    assert o.sent_utc == datetime(2020, 3, 5, 1, 30)
    assert o.describe() == "张三 <a@example.cn>，2020-03-05 09:30，主题“报送”，邮件文件 收件箱.eml"


def test_a_sent_time_is_shown_in_beijing_time_whatever_its_zone():
    """An Outlook .msg keeps its sent time in UTC: a mail sent at 09:30 was said to have come at 01:30."""
    utc = datetime(2020, 3, 5, 1, 30, tzinfo=UTC)
    assert MailOrigin(file="x.msg", sent_at=utc).sent_text == "2020-03-05 09:30"
    late = datetime(2020, 3, 5, 20, 0, tzinfo=timezone(timedelta(hours=-5)))  # sent from New York
    assert MailOrigin(file="x.eml", sent_at=late).sent_text == "2020-03-06 09:00"
    assert MailOrigin(file="x.eml", sent_at=datetime(2020, 3, 5, 9, 30)).sent_text == "2020-03-05 09:30"


def test_a_mail_origin_without_details_says_so():
    o = MailOrigin(file="x.eml")
    assert (o.who, o.sent_text, o.sent_utc) == ("（发件人不详）", "（发送时间不详）", None)
    assert "主题“（无主题）”" in o.describe()
    naive = datetime(2020, 3, 5, 9, 30)
    assert MailOrigin(file="x.eml", sent_at=naive).sent_utc == naive


def test_a_ranked_center_is_its_scores_center():
    c = CenterInput(key="k", code="GD01", name="甲")
    s = CenterScore(center=c, items=(), quantitative=Fraction(0), qualitative=None, total=Fraction(0))
    r = RankedCenter(score=s, total=D(0), rank=None, grade="", subsidy=D(0), flags=())
    assert r.center is c


def test_the_archive_separator_is_what_the_reader_shows():
    from kjjr_excel.read.inbox import ARCHIVE_SEPARATOR as shown

    assert shown == ARCHIVE_SEPARATOR == " › "
