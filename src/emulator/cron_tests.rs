//! Cron parsing and next times, checked against times worked out by hand on a calendar
//! (2026-01-31 is a Saturday; 2028 is a leap year, 2100 is not).

use super::*;
use crate::emulator::util::iso_millis;

/// Unix milliseconds of a UTC time `YYYY-MM-DDTHH:MM:SS`.
fn ms(iso: &str) -> u64 {
    let n = |r: std::ops::Range<usize>| iso[r].parse::<i64>().unwrap();
    let (y, m, d) = (n(0..4), n(5..7), n(8..10));
    // Days from civil (proleptic Gregorian), the inverse of civil_from_days.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    ((days * 86_400 + n(11..13) * 3600 + n(14..16) * 60 + n(17..19)) * 1000) as u64
}

fn next(expr: &str, after: &str, offset: i32) -> Option<String> {
    let cron = Cron::parse(expr).unwrap_or_else(|e| panic!("{expr}: {e}"));
    cron.next_after(ms(after), offset).map(iso_millis)
}

fn at(s: &str) -> Option<String> {
    Some(s.to_string())
}

#[test]
fn the_test_clock_is_right() {
    assert_eq!(
        iso_millis(ms("2026-01-31T10:15:30")),
        "2026-01-31T10:15:30.000Z"
    );
    assert_eq!(
        iso_millis(ms("2000-02-29T00:00:00")),
        "2000-02-29T00:00:00.000Z"
    );
}

#[test]
fn next_times_by_hand() {
    let a = "2026-01-31T10:15:30";
    let cases = [
        ("* * * * *", a, 0, "2026-01-31T10:16:00.000Z"),
        // Strictly after: a time on the minute is not its own next time.
        (
            "* * * * *",
            "2026-01-31T10:16:00",
            0,
            "2026-01-31T10:17:00.000Z",
        ),
        ("*/15 * * * *", a, 0, "2026-01-31T10:30:00.000Z"),
        (
            "5-20/5 * * * *",
            "2026-01-31T10:20:00",
            0,
            "2026-01-31T11:05:00.000Z",
        ),
        ("10/20 * * * *", a, 0, "2026-01-31T10:30:00.000Z"),
        // Month ends: no February 31st, no April 31st.
        ("0 0 31 * *", a, 0, "2026-03-31T00:00:00.000Z"),
        (
            "0 0 30 * *",
            "2026-02-10T00:00:00",
            0,
            "2026-03-30T00:00:00.000Z",
        ),
        (
            "0 6 28-31 2 *",
            "2027-02-28T07:00:00",
            0,
            "2028-02-28T06:00:00.000Z",
        ),
        ("0 12 29 2 *", a, 0, "2028-02-29T12:00:00.000Z"),
        // The longest leap-day wait: 2100 is not a leap year.
        (
            "0 0 29 2 *",
            "2096-03-01T00:00:00",
            0,
            "2104-02-29T00:00:00.000Z",
        ),
        // Year end.
        (
            "@monthly",
            "2026-12-31T23:59:30",
            0,
            "2027-01-01T00:00:00.000Z",
        ),
        ("@yearly", a, 0, "2027-01-01T00:00:00.000Z"),
        ("@hourly", a, 0, "2026-01-31T11:00:00.000Z"),
        ("@daily", a, 0, "2026-02-01T00:00:00.000Z"),
        // Day of week alone: Saturday 12:00 to Monday.
        (
            "30 8 * * MON-FRI",
            "2026-02-07T12:00:00",
            0,
            "2026-02-09T08:30:00.000Z",
        ),
        ("0 0 * * 7", a, 0, "2026-02-01T00:00:00.000Z"),
        ("@weekly", a, 0, "2026-02-01T00:00:00.000Z"),
        ("0 0 1 JAN,jul *", a, 0, "2026-07-01T00:00:00.000Z"),
        // Both day fields restricted: the 13th or a Friday, whichever comes first.
        (
            "0 9 13 * 5",
            "2026-02-01T00:00:00",
            0,
            "2026-02-06T09:00:00.000Z",
        ),
        ("0 0 29 2 1", a, 0, "2026-02-02T00:00:00.000Z"),
        // A day field starting with `*` restricts with AND: the 15th that is an even weekday.
        ("0 0 15 * */2", a, 0, "2026-02-15T00:00:00.000Z"),
        // Time zones east and west of UTC, across midnight.
        ("0 9 * * *", a, 120, "2026-02-01T07:00:00.000Z"),
        ("30 23 * * *", a, -300, "2026-02-01T04:30:00.000Z"),
        ("0 0 * * *", a, 180, "2026-01-31T21:00:00.000Z"),
    ];
    for (expr, after, offset, want) in cases {
        assert_eq!(
            next(expr, after, offset),
            at(want),
            "{expr} after {after} at {offset}"
        );
    }
}

#[test]
fn expressions_that_never_match() {
    assert_eq!(next("0 0 30 2 *", "2026-01-01T00:00:00", 0), None);
    assert_eq!(next("0 0 31 4,6,9,11 *", "2026-01-01T00:00:00", 0), None);
}

#[test]
fn bad_expressions_name_the_problem() {
    let cases = [
        ("* * * *", "4 fields"),
        ("* * * * * *", "6 fields"),
        ("", "0 fields"),
        ("60 * * * *", "minute 60 is out of range"),
        ("* 24 * * *", "hour 24"),
        ("* * 0 * *", "day of month 0"),
        ("* * * 13 *", "month 13"),
        ("* * * * 8", "day of week 8"),
        ("5-1 * * * *", "runs backwards"),
        ("*/0 * * * *", "step '0'"),
        ("a * * * *", "minute 'a' is not a number"),
        ("* * * FOO *", "month 'FOO'"),
        (",1 * * * *", "empty list item"),
        ("@reboot", "not a known shortcut"),
    ];
    for (expr, want) in cases {
        let e = Cron::parse(expr).unwrap_err();
        assert!(e.contains(want), "{expr}: {e}");
    }
}

#[test]
fn time_zones() {
    for (zone, want) in [
        ("UTC", 0),
        ("Etc/UTC", 0),
        ("GMT", 0),
        ("+02:00", 120),
        ("-0530", -330),
        ("UTC+2", 120),
        ("UTC-05:30", -330),
        ("+14:00", 840),
        ("Etc/GMT-3", 180),
        ("Etc/GMT+5", -300),
    ] {
        assert_eq!(timezone_offset(zone), Ok(want), "{zone}");
    }
    for zone in [
        "Europe/Prague",
        "",
        "+15:00",
        "+02:60",
        "UTC+",
        "Etc/GMT+13",
        "2:00",
        "+2:00:00",
    ] {
        let e = timezone_offset(zone).unwrap_err();
        assert!(e.contains(&format!("'{zone}'")), "{zone}: {e}");
    }
}
