"""The plain rules behind meetings, attendance, commitments and received files."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import attendance, commitments, meetings
from bot.documents import PDF, Incoming, check_content, check_incoming
from bot.errors import InputError
from bot.meetings import Dates
from bot.models.meetings import MeetingKind, Responsible
from bot.spreadsheets import csv_bytes

CR = ZoneInfo("America/Costa_Rica")
NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # 09:00 in Costa Rica


@pytest.mark.parametrize(
    ("word", "kind"),
    [
        ("rcgm", MeetingKind.RCGM),
        ("RCGM", MeetingKind.RCGM),
        ("grcm", MeetingKind.RCGM),
        ("vm", MeetingKind.VM),
        ("wg", MeetingKind.WG),
        ("gt", MeetingKind.WG),
        ("other", MeetingKind.OTHER),
        ("otra", MeetingKind.OTHER),
    ],
)
def test_meeting_kinds_in_both_languages(word: str, kind: MeetingKind) -> None:
    assert meetings.parse_kind(word) == kind


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(InputError):
        meetings.parse_kind("summit")


def test_time_zones_by_iana_name_in_any_case() -> None:
    assert meetings.parse_timezone("america/mexico_city") == "America/Mexico_City"
    assert meetings.parse_timezone(" America/Toronto ") == "America/Toronto"
    for bad in ("CST", "Mexico City", "Mars/Olympus", ""):
        with pytest.raises(InputError):
            meetings.parse_timezone(bad)


def test_dates_and_what_follows_them() -> None:
    assert meetings.parse_dates(["2026-07-06", "San", "José"]) == (
        Dates(date(2026, 7, 6), date(2026, 7, 6)),
        ["San", "José"],
    )
    assert meetings.parse_dates(["06/07/2026", "07/07/2026", "Mexico"]) == (
        Dates(date(2026, 7, 6), date(2026, 7, 7)),
        ["Mexico"],
    )
    with pytest.raises(InputError):
        meetings.parse_dates([])
    with pytest.raises(InputError):
        meetings.parse_dates(["July", "6"])


def test_a_meeting_starts_today_or_later_in_its_own_zone() -> None:
    today = Dates(date(2026, 3, 2), date(2026, 3, 2))
    assert meetings.check_dates(today, CR, NOW) == today
    with pytest.raises(InputError):
        meetings.check_dates(Dates(date(2026, 3, 1), date(2026, 3, 2)), CR, NOW)
    # 00:30 UTC on 3 March is still 2 March in Costa Rica, already 3 March in Madrid.
    late_evening = datetime(2026, 3, 3, 0, 30, tzinfo=UTC)
    meetings.check_dates(today, CR, late_evening)
    with pytest.raises(InputError):
        meetings.check_dates(today, ZoneInfo("Europe/Madrid"), late_evening)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (date(2026, 6, 15), date(2026, 6, 14)),  # ends before it starts
        (date(2026, 6, 1), date(2026, 7, 2)),  # 32 days
        (date(2029, 3, 3), date(2029, 3, 3)),  # more than three years ahead
    ],
)
def test_implausible_dates_are_refused(start: date, end: date) -> None:
    with pytest.raises(InputError):
        meetings.check_dates(Dates(start, end), CR, NOW)


def test_place_and_title_are_tidied_and_bounded() -> None:
    assert meetings.check_place("  San   Salvador ") == "San Salvador"
    with pytest.raises(InputError):
        meetings.check_place("   ")
    with pytest.raises(InputError):
        meetings.check_place("x" * 121)
    title = meetings.check_title(meetings.Bi(" First  RCGM ", "Primera\nGRCM"))
    assert (title.en, title.es) == ("First RCGM", "Primera GRCM")
    with pytest.raises(InputError):
        meetings.check_title(meetings.Bi("x" * 201, "y"))


def test_delegates_names_one_per_line_and_their_number() -> None:
    assert attendance.parse_names(" Juan  Pérez \n\n María López\n") == [
        "Juan Pérez",
        "María López",
    ]
    with pytest.raises(InputError):
        attendance.parse_names("x" * 81)
    attendance.check_delegates(2, ["a", "b"])
    attendance.check_delegates(3, [])  # names may come later
    for count, names in ((0, []), (31, []), (2, ["only one"])):
        with pytest.raises(InputError):
            attendance.check_delegates(count, names)


async def test_responsible_parties(session: AsyncSession) -> None:
    mexico = await commitments.parse_party(session, "mx")
    assert mexico.kind == Responsible.STATE and mexico.state is not None
    assert mexico.state.code == "MX"
    assert (await commitments.parse_party(session, "TS")).kind == Responsible.TS
    assert (await commitments.parse_party(session, "st")).kind == Responsible.TS
    assert (await commitments.parse_party(session, "PPT")).kind == Responsible.PPT
    other = await commitments.parse_party(session, "otro: Red  Regional de OSC")
    assert (other.kind, other.name) == (Responsible.OTHER, "Red Regional de OSC")
    for bad in ("ZZ", "other:", "Mexico", "other:" + "x" * 121):
        with pytest.raises(InputError):
            await commitments.parse_party(session, bad)


def test_commitment_deadline_in_the_meetings_zone() -> None:
    assert commitments.check_due(date(2026, 7, 15), CR, NOW) == datetime(
        2026, 7, 16, 5, 59, tzinfo=UTC
    )
    with pytest.raises(InputError):
        commitments.check_due(date(2026, 3, 1), CR, NOW)


def test_received_files_are_checked_by_size_type_and_content() -> None:
    good = Incoming("f", "report.pdf", "application/pdf", 1000)
    check_incoming(good, PDF)
    check_incoming(Incoming("f", "REPORT.PDF", "Application/PDF", None), PDF)
    for refused in (
        Incoming("f", "report.pdf", "application/pdf", 20 * 1024 * 1024 + 1),
        Incoming("f", "report.docx", "application/msword", 1000),
        Incoming("f", "report", None, 1000),
    ):
        with pytest.raises(InputError):
            check_incoming(refused, PDF)
    check_content(b"%PDF-1.7\n...", good, PDF)
    check_content(b"\x00" * 500 + b"%PDF-1.4", good, PDF)  # a little junk before the header
    for content in (b"", b"PK\x03\x04 a zip", b"\x00" * 2000 + b"%PDF-1.4"):
        with pytest.raises(InputError):
            check_content(content, good, PDF)


def test_csv_is_excel_friendly_and_never_a_formula() -> None:
    data = csv_bytes(["Name", "Count"], [['=HYPERLINK("x")', 3], ["María", None], ["-1", 0]])
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").splitlines()
    assert lines == ["Name,Count", '"\'=HYPERLINK(""x"")",3', "María,", "'-1,0"]
