//! Cron expressions as schedules take them, and the time zones the emulator knows: parse,
//! check, and the next time an expression matches.
//!
//! Five fields, `minute hour day-of-month month day-of-week`, each `*`, a number, a range
//! `a-b`, a step (`*/n`, `a-b/n`, `a/n`) or a comma list of those; months `JAN`-`DEC` and days
//! `SUN`-`SAT` by name too (any case), day 7 is Sunday as 0 is. As in Vixie cron, when both day
//! fields are restricted (neither starts with `*`) a day matches if either does. Shortcuts:
//! `@yearly` (`@annually`), `@monthly`, `@weekly`, `@daily` (`@midnight`), `@hourly`.
//!
//! Time zones: `UTC` (also `Etc/UTC`, `GMT`, `Etc/GMT`, `Z`), fixed offsets (`+02:00`, `-0530`,
//! `UTC+2`, `UTC-05:30`) and the IANA fixed-offset zones `Etc/GMT+N` / `Etc/GMT-N` (whose sign is
//! inverted, as in IANA). Named zones with daylight saving time (`Europe/Prague`) are refused:
//! the emulator has no time zone database.

use super::util::civil_from_days;

/// How far ahead a match is looked for: 8 years, the longest wait for a leap day (2096 to 2104,
/// 2100 not being one); an expression with no match by then never matches.
const SEARCH_DAYS: i64 = 8 * 366;

/// A parsed cron expression: the allowed values of each field as bit sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cron {
    minutes: u64,
    hours: u32,
    days: u32,
    months: u16,
    weekdays: u8,
    /// The day-of-month field starts with `*` (unrestricted, for the either-day rule).
    days_star: bool,
    /// The day-of-week field starts with `*`.
    weekdays_star: bool,
}

/// One field's name, range and value names.
struct Field {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
}

const MINUTE: Field = Field {
    name: "minute",
    min: 0,
    max: 59,
    names: &[],
};
const HOUR: Field = Field {
    name: "hour",
    min: 0,
    max: 23,
    names: &[],
};
const DAY: Field = Field {
    name: "day of month",
    min: 1,
    max: 31,
    names: &[],
};
const MONTH: Field = Field {
    name: "month",
    min: 1,
    max: 12,
    names: &[
        "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
    ],
};
// 7 is Sunday too; folded onto 0 after parsing.
const WEEKDAY: Field = Field {
    name: "day of week",
    min: 0,
    max: 7,
    names: &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"],
};

impl Field {
    fn value(&self, text: &str) -> Result<u32, String> {
        let upper = text.to_ascii_uppercase();
        if let Some(i) = self.names.iter().position(|n| *n == upper) {
            // Month names count from 1 (the month's minimum), day names from 0.
            return Ok(i as u32 + self.min);
        }
        let n: u32 = text
            .parse()
            .map_err(|_| format!("{} '{text}' is not a number", self.name))?;
        if n < self.min || n > self.max {
            return Err(format!(
                "{} {n} is out of range ({}-{})",
                self.name, self.min, self.max
            ));
        }
        Ok(n)
    }

    /// The bit set of one field's text.
    fn parse(&self, text: &str) -> Result<u64, String> {
        let mut bits = 0u64;
        for item in text.split(',') {
            if item.is_empty() {
                return Err(format!("{} '{text}' has an empty list item", self.name));
            }
            let (range, step) = match item.split_once('/') {
                Some((r, s)) => {
                    let step: u32 = s.parse().ok().filter(|s| *s > 0).ok_or_else(|| {
                        format!("{} step '{s}' is not a positive number", self.name)
                    })?;
                    (r, Some(step))
                }
                None => (item, None),
            };
            let (lo, hi) = if range == "*" {
                (self.min, self.max)
            } else if let Some((a, b)) = range.split_once('-') {
                let (a, b) = (self.value(a)?, self.value(b)?);
                if a > b {
                    return Err(format!("{} range {range} runs backwards", self.name));
                }
                (a, b)
            } else {
                let a = self.value(range)?;
                // `a/n` runs from a to the end of the range.
                (a, if step.is_some() { self.max } else { a })
            };
            let step = step.unwrap_or(1);
            let mut v = lo;
            while v <= hi {
                bits |= 1 << v;
                v += step;
            }
        }
        Ok(bits)
    }
}

impl Cron {
    /// Parses an expression; the error names what is wrong.
    pub(crate) fn parse(expression: &str) -> Result<Cron, String> {
        let text = expression.trim();
        let expanded = match text.to_ascii_lowercase().as_str() {
            "@yearly" | "@annually" => "0 0 1 1 *",
            "@monthly" => "0 0 1 * *",
            "@weekly" => "0 0 * * 0",
            "@daily" | "@midnight" => "0 0 * * *",
            "@hourly" => "0 * * * *",
            s if s.starts_with('@') => {
                return Err(format!(
                    "'{text}' is not a known shortcut (@yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly)"
                ))
            }
            _ => text,
        };
        let fields: Vec<&str> = expanded.split_whitespace().collect();
        if fields.len() != 5 {
            return Err(format!(
                "it has {} fields; a cron expression has 5 (minute hour day-of-month month day-of-week)",
                fields.len()
            ));
        }
        let weekdays = WEEKDAY.parse(fields[4])?;
        let cron = Cron {
            minutes: MINUTE.parse(fields[0])?,
            hours: HOUR.parse(fields[1])? as u32,
            days: DAY.parse(fields[2])? as u32,
            months: MONTH.parse(fields[3])? as u16,
            // Sunday is both 0 and 7.
            weekdays: ((weekdays | (weekdays >> 7)) & 0x7f) as u8,
            days_star: fields[2].starts_with('*'),
            weekdays_star: fields[4].starts_with('*'),
        };
        Ok(cron)
    }

    fn day_matches(&self, day: u32, month: u32, weekday: u32) -> bool {
        if self.months & (1 << month) == 0 {
            return false;
        }
        let dom = self.days & (1 << day) != 0;
        let dow = self.weekdays & (1 << weekday) != 0;
        // Vixie cron: either day field restricted alone must match; both restricted, either.
        if self.days_star || self.weekdays_star {
            dom && dow
        } else {
            dom || dow
        }
    }

    /// The first matching minute strictly after `after_ms` (Unix milliseconds), in a zone
    /// `offset_minutes` east of UTC, as Unix milliseconds; `None` if none within 8 years.
    pub(crate) fn next_after(&self, after_ms: u64, offset_minutes: i32) -> Option<u64> {
        let start = (after_ms / 60_000) as i64 + 1 + i64::from(offset_minutes);
        let first_day = start.div_euclid(1440);
        let start_minute = start.rem_euclid(1440) as u32;
        for day in first_day..first_day + SEARCH_DAYS {
            let (_, month, dom) = civil_from_days(day);
            // 1970-01-01 was a Thursday (4).
            let weekday = (day + 4).rem_euclid(7) as u32;
            if !self.day_matches(dom, month, weekday) {
                continue;
            }
            let from = if day == first_day { start_minute } else { 0 };
            if let Some(minute_of_day) = self.first_time_from(from) {
                let local = day * 1440 + i64::from(minute_of_day);
                let utc = local - i64::from(offset_minutes);
                return u64::try_from(utc * 60_000).ok();
            }
        }
        None
    }

    /// The first matching minute of a day at or after `from` (minutes since midnight).
    fn first_time_from(&self, from: u32) -> Option<u32> {
        for hour in from / 60..24 {
            if self.hours & (1 << hour) == 0 {
                continue;
            }
            let first = if hour == from / 60 { from % 60 } else { 0 };
            if let Some(minute) = (first..60).find(|m| self.minutes & (1 << m) != 0) {
                return Some(hour * 60 + minute);
            }
        }
        None
    }
}

/// A time zone's offset east of UTC in minutes, or why it is not one the emulator knows.
pub(crate) fn timezone_offset(zone: &str) -> Result<i32, String> {
    let z = zone.trim();
    if [
        "UTC",
        "Etc/UTC",
        "GMT",
        "Etc/GMT",
        "Z",
        "Etc/Universal",
        "Universal",
    ]
    .contains(&z)
    {
        return Ok(0);
    }
    let unknown = || {
        format!(
            "time zone '{zone}' is not known to the emulator: use UTC, a fixed offset (+02:00, UTC-5) or Etc/GMT±N (it has no time zone database for zones with daylight saving time)"
        )
    };
    // IANA's Etc/GMT+N is N hours west of Greenwich.
    if let Some(rest) = z.strip_prefix("Etc/GMT") {
        let hours: i32 = rest.parse().map_err(|_| unknown())?;
        if !(-14..=12).contains(&hours) || !(rest.starts_with('+') || rest.starts_with('-')) {
            return Err(unknown());
        }
        return Ok(-hours * 60);
    }
    let offset = z.strip_prefix("UTC").unwrap_or(z);
    let (sign, digits) = match offset.as_bytes().first() {
        Some(b'+') => (1, &offset[1..]),
        Some(b'-') => (-1, &offset[1..]),
        _ => return Err(unknown()),
    };
    let (h, m) = match digits.split_once(':') {
        Some((h, m)) => (h, m),
        None if digits.len() == 4 => digits.split_at(2),
        None => (digits, "0"),
    };
    let all_digits =
        |s: &str| !s.is_empty() && s.len() <= 2 && s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(h) || !all_digits(m) {
        return Err(unknown());
    }
    let (h, m): (i32, i32) = (
        h.parse().map_err(|_| unknown())?,
        m.parse().map_err(|_| unknown())?,
    );
    if m >= 60 || h * 60 + m > 14 * 60 {
        return Err(unknown());
    }
    Ok(sign * (h * 60 + m))
}

#[cfg(test)]
#[path = "cron_tests.rs"]
mod tests;
