//! Studio's datetime values: wall-clock times (no zone of their own, read
//! in the run's time zone: the security user's, else the business unit's,
//! as `now()`), their literal and text forms, .NET-style format
//! specifiers (`datefmt`), and the date functions of Studio's Built-In
//! Functions page.
//!
//! Every datetime a script can hold is in one range, that of .NET's
//! `DateTime` that Studio runs on: years 0001 to 9999 ([`MIN_YEAR`],
//! [`MAX_YEAR`]). Text, OLE numbers and literals outside it are not dates;
//! a function whose result would leave it fails (`_ERR`, the Error branch).
//! Keeping every value inside it also keeps chrono's arithmetic (which
//! panics past year ±262,143) far from its edges.

use crate::tz::Tz;
use chrono::{
    DateTime, Datelike, Duration, FixedOffset, Months, NaiveDate, NaiveDateTime, NaiveTime,
    TimeZone, Timelike, Utc,
};

/// The text forms a datetime is read from, tried in order: Studio's US
/// forms (`02/09/2023`, `2/9/2023 8:00 AM`, `02/09/2023 14:30:05`) and ISO
/// 8601 (`2023-02-09`, `2023-02-09T14:30:05`, with an optional fraction
/// and an offset or `Z`).
///
/// An offset or `Z` moves the instant into `zone` (the run's time zone);
/// without one the text is already a wall-clock time there.
pub(crate) fn parse(text: &str, zone: Option<Tz>) -> Option<NaiveDateTime> {
    if let Some(local) = parse_wall_clock(text) {
        return Some(local);
    }
    let t = text.trim();
    if t.len() > 64 {
        return None;
    }
    let with_offset: DateTime<FixedOffset> = DateTime::parse_from_rfc3339(t).ok()?;
    in_range(match zone {
        Some(z) => with_offset.with_timezone(&z).naive_local(),
        None => with_offset.with_timezone(&Utc).naive_utc(),
    })
}

/// The first year a datetime may have (.NET's `DateTime.MinValue`).
pub const MIN_YEAR: i32 = 1;
/// The last year a datetime may have (.NET's `DateTime.MaxValue`).
pub const MAX_YEAR: i32 = 9999;

/// `date` when its year is within [`MIN_YEAR`]..=[`MAX_YEAR`].
pub(crate) fn in_range(date: NaiveDateTime) -> Option<NaiveDateTime> {
    (MIN_YEAR..=MAX_YEAR).contains(&date.year()).then_some(date)
}

/// [`parse`] without offsets: the forms a `#"..."` literal may take (a
/// literal is read before any run has a time zone).
pub(crate) fn parse_wall_clock(text: &str) -> Option<NaiveDateTime> {
    parse_any_year(text).and_then(in_range)
}

/// [`parse_wall_clock`] before the range check (chrono reads signed years
/// up to ±262,143: `+262142-12-31T23:30:00`).
fn parse_any_year(text: &str) -> Option<NaiveDateTime> {
    let t = text.trim();
    if t.is_empty() || t.len() > 64 {
        return None;
    }
    const US: &[&str] = &[
        "%m/%d/%Y %I:%M:%S %p",
        "%m/%d/%Y %I:%M %p",
        "%m/%d/%Y %H:%M:%S",
        "%m/%d/%Y %H:%M",
    ];
    for f in US {
        if let Ok(dt) = NaiveDateTime::parse_from_str(t, f) {
            return Some(dt);
        }
    }
    for f in ["%m/%d/%Y", "%Y-%m-%d"] {
        if let Ok(d) = NaiveDate::parse_from_str(t, f) {
            return d.and_hms_opt(0, 0, 0);
        }
    }
    for f in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(t, f) {
            return Some(dt);
        }
    }
    None
}

/// The OLE Automation date Studio uses for a datetime in a numeric
/// expression: days since midnight, 30 December 1899, with the time of day
/// as the fraction (6:00 AM on 31 December 1899 is 1.25).
pub(crate) fn to_ole(dt: NaiveDateTime) -> f64 {
    let epoch = ole_epoch();
    let delta = dt - epoch;
    delta.num_milliseconds() as f64 / 86_400_000.0
}

/// The datetime an OLE Automation date stands for, when it is in range.
pub(crate) fn from_ole(days: f64) -> Option<NaiveDateTime> {
    if !days.is_finite() || days.abs() > 3_000_000.0 {
        return None;
    }
    let millis = (days * 86_400_000.0).round() as i64;
    ole_epoch()
        .checked_add_signed(Duration::milliseconds(millis))
        .and_then(in_range)
}

fn ole_epoch() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(1899, 12, 30)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .expect("a valid date")
}

/// A unit of `dateadd`, `datediff` and `datepart`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unit {
    Year,
    Month,
    Week,
    Day,
    Hour,
    Minute,
    Second,
}

impl Unit {
    /// Reads a unit name: the word (singular or plural) or its .NET/VB
    /// abbreviation, in any case.
    pub(crate) fn parse(name: &str) -> Option<Unit> {
        Some(match name.trim().to_ascii_lowercase().as_str() {
            "year" | "years" | "yyyy" | "yy" => Unit::Year,
            "month" | "months" | "mm" | "m" => Unit::Month,
            "week" | "weeks" | "wk" | "ww" => Unit::Week,
            "day" | "days" | "dd" | "d" => Unit::Day,
            "hour" | "hours" | "hh" | "h" => Unit::Hour,
            "minute" | "minutes" | "mi" | "n" => Unit::Minute,
            "second" | "seconds" | "ss" | "s" => Unit::Second,
            _ => return None,
        })
    }

    /// The names [`Unit::parse`] accepts, for messages.
    pub(crate) const NAMES: &'static str =
        "year, month, week, day, hour, minute or second (or yyyy, m, ww, d, h, n, s)";
}

/// `date` moved by `amount` units; months and years keep the day of the
/// month where it exists and otherwise take the month's last day (31 January
/// plus one month is 28 or 29 February). `None` when the result is outside
/// years 0001-9999.
pub(crate) fn add(date: NaiveDateTime, unit: Unit, amount: i64) -> Option<NaiveDateTime> {
    add_any_year(date, unit, amount).and_then(in_range)
}

fn add_any_year(date: NaiveDateTime, unit: Unit, amount: i64) -> Option<NaiveDateTime> {
    let months = |n: i64| -> Option<NaiveDateTime> {
        let m = Months::new(u32::try_from(n.unsigned_abs()).ok()?);
        if n >= 0 {
            date.checked_add_months(m)
        } else {
            date.checked_sub_months(m)
        }
    };
    match unit {
        Unit::Year => months(amount.checked_mul(12)?),
        Unit::Month => months(amount),
        Unit::Week => date.checked_add_signed(Duration::try_weeks(amount)?),
        Unit::Day => date.checked_add_signed(Duration::try_days(amount)?),
        Unit::Hour => date.checked_add_signed(Duration::try_hours(amount)?),
        Unit::Minute => date.checked_add_signed(Duration::try_minutes(amount)?),
        Unit::Second => date.checked_add_signed(Duration::try_seconds(amount)?),
    }
}

/// `later - earlier` in whole units: calendar units count boundaries
/// crossed (VB's DateDiff: 31 Dec to 1 Jan is one year); time units count
/// whole elapsed units.
pub(crate) fn diff(unit: Unit, earlier: NaiveDateTime, later: NaiveDateTime) -> i64 {
    let months = |d: NaiveDateTime| d.year() as i64 * 12 + d.month0() as i64;
    let delta = later - earlier;
    match unit {
        Unit::Year => later.year() as i64 - earlier.year() as i64,
        Unit::Month => months(later) - months(earlier),
        Unit::Week => delta.num_weeks(),
        Unit::Day => (later.date() - earlier.date()).num_days(),
        Unit::Hour => delta.num_hours(),
        Unit::Minute => delta.num_minutes(),
        Unit::Second => delta.num_seconds(),
    }
}

/// One part of a datetime (`datepart`): year, month (1-12), week (1-53, ISO),
/// day (1-31), hour (0-23), minute, second.
pub(crate) fn part(date: NaiveDateTime, unit: Unit) -> i64 {
    match unit {
        Unit::Year => date.year() as i64,
        Unit::Month => date.month() as i64,
        Unit::Week => date.iso_week().week() as i64,
        Unit::Day => date.day() as i64,
        Unit::Hour => date.hour() as i64,
        Unit::Minute => date.minute() as i64,
        Unit::Second => date.second() as i64,
    }
}

/// Day of the week as Studio numbers it: 0 is Sunday.
pub(crate) fn dow(date: NaiveDateTime) -> i64 {
    date.weekday().num_days_from_sunday() as i64
}

/// A datetime from its parts, when they make one.
pub(crate) fn build(y: i64, mo: i64, d: i64, h: i64, mi: i64, s: i64) -> Option<NaiveDateTime> {
    if !(i64::from(MIN_YEAR)..=i64::from(MAX_YEAR)).contains(&y) {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(
        i32::try_from(y).ok()?,
        u32::try_from(mo).ok()?,
        u32::try_from(d).ok()?,
    )?;
    let time = NaiveTime::from_hms_opt(
        u32::try_from(h).ok()?,
        u32::try_from(mi).ok()?,
        u32::try_from(s).ok()?,
    )?;
    Some(date.and_time(time))
}

/// The wall-clock time `date` (in `zone`) as UTC; `None` when that is
/// outside years 0001-9999 (31 December 9999 at 11:30 PM in New York is
/// already year 10000 in UTC).
pub(crate) fn to_utc(date: NaiveDateTime, zone: Tz) -> Option<NaiveDateTime> {
    let utc = match zone.from_local_datetime(&date).earliest() {
        Some(local) => local.naive_utc(),
        // A time skipped by a daylight-saving jump: read it an hour later.
        None => {
            let later = date.checked_add_signed(Duration::hours(1))?;
            zone.from_local_datetime(&later)
                .earliest()
                .map_or(date, |l| l.naive_utc())
        }
    };
    in_range(utc)
}

/// ISO 8601 with the offset of `zone` at that time:
/// `yyyy-MM-ddTHH:mm:ss.SSSXXX` (Studio's asisodatetime()); `None` when the
/// instant is outside years 0001-9999 in UTC.
pub(crate) fn iso(date: NaiveDateTime, zone: Tz) -> Option<String> {
    let utc = to_utc(date, zone)?;
    let local = Utc.from_utc_datetime(&utc).with_timezone(&zone);
    Some(local.format("%Y-%m-%dT%H:%M:%S%.3f%:z").to_string())
}

/// Why a format string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum FormatError {
    /// A quoted literal that never closes.
    #[error("the format has an unterminated quote")]
    UnterminatedQuote,
    /// The format would build more text than allowed.
    #[error("the format is longer than {0} characters")]
    TooLong(usize),
}

/// The longest format `datefmt` accepts (the result is bounded by it).
pub(crate) const MAX_FORMAT_CHARS: usize = 256;

/// Formats `date` with .NET custom date and time specifiers, as Studio's
/// `datefmt()` and its date formatting page: `yyyy`, `yy`, `MMMM`, `MMM`,
/// `MM`, `M`, `dddd`, `ddd`, `dd`, `d`, `HH`, `H`, `hh`, `h`, `mm`, `m`,
/// `ss`, `s`, `f`…`fffffff`, `tt`, `t`; text in quotes and after `\` is
/// copied; every other character is copied as is.
pub(crate) fn format(date: NaiveDateTime, spec: &str) -> Result<String, FormatError> {
    let chars: Vec<char> = spec.chars().collect();
    if chars.len() > MAX_FORMAT_CHARS {
        return Err(FormatError::TooLong(MAX_FORMAT_CHARS));
    }
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' || c == '"' {
            let close = chars[i + 1..]
                .iter()
                .position(|&x| x == c)
                .ok_or(FormatError::UnterminatedQuote)?;
            out.extend(&chars[i + 1..i + 1 + close]);
            i += close + 2;
            continue;
        }
        if c == '\\' {
            if let Some(&next) = chars.get(i + 1) {
                out.push(next);
            }
            i += 2;
            continue;
        }
        let run = chars[i..].iter().take_while(|&&x| x == c).count();
        i += run;
        let hour12 = match date.hour() % 12 {
            0 => 12,
            h => h,
        };
        let pm = date.hour() >= 12;
        match (c, run) {
            ('y', 1) => out.push_str(&(date.year() % 100).to_string()),
            ('y', 2) => out.push_str(&format!("{:02}", date.year().rem_euclid(100))),
            ('y', n) => out.push_str(&format!("{:0n$}", date.year())),
            ('M', 1) => out.push_str(&date.month().to_string()),
            ('M', 2) => out.push_str(&format!("{:02}", date.month())),
            ('M', 3) => out.push_str(&date.format("%b").to_string()),
            ('M', _) => out.push_str(&date.format("%B").to_string()),
            ('d', 1) => out.push_str(&date.day().to_string()),
            ('d', 2) => out.push_str(&format!("{:02}", date.day())),
            ('d', 3) => out.push_str(&date.format("%a").to_string()),
            ('d', _) => out.push_str(&date.format("%A").to_string()),
            ('H', 1) => out.push_str(&date.hour().to_string()),
            ('H', _) => out.push_str(&format!("{:02}", date.hour())),
            ('h', 1) => out.push_str(&hour12.to_string()),
            ('h', _) => out.push_str(&format!("{hour12:02}")),
            ('m', 1) => out.push_str(&date.minute().to_string()),
            ('m', _) => out.push_str(&format!("{:02}", date.minute())),
            ('s', 1) => out.push_str(&date.second().to_string()),
            ('s', _) => out.push_str(&format!("{:02}", date.second())),
            ('f' | 'F', n) => {
                let digits = format!("{:09}", date.nanosecond() % 1_000_000_000);
                out.push_str(&digits[..n.min(7)]);
            }
            ('t', 1) => out.push(if pm { 'P' } else { 'A' }),
            ('t', _) => out.push_str(if pm { "PM" } else { "AM" }),
            (other, n) => out.extend(std::iter::repeat_n(other, n)),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dt(text: &str) -> NaiveDateTime {
        parse(text, None).unwrap_or_else(|| panic!("{text}"))
    }

    #[test]
    fn reads_studio_and_iso_forms() {
        let eight = dt("02/09/2023 08:00:00");
        assert_eq!(dt("02/09/2023 8:00 AM"), eight);
        assert_eq!(dt("2/9/2023 8:00:00 AM"), eight);
        assert_eq!(dt("2023-02-09T08:00:00"), eight);
        assert_eq!(dt("02/09/2023"), dt("2023-02-09"));
        assert_eq!(dt("02/09/2023 8:00 PM"), dt("02/09/2023 20:00"));
        assert_eq!(
            parse(
                "2023-02-09T08:00:00Z",
                Some("Europe/Paris".parse::<Tz>().unwrap())
            ),
            Some(dt("02/09/2023 09:00"))
        );
        for bad in [
            "",
            "13/01/2023",
            "02/30/2023",
            "yesterday",
            "2023-02-09T25:00:00",
        ] {
            assert_eq!(parse(bad, None), None, "{bad}");
        }
    }

    #[test]
    fn ole_automation_dates_match_studio_s_example() {
        // "6:00 AM December 31, 1899 is 1.25"
        assert_eq!(to_ole(dt("12/31/1899 06:00")), 1.25);
        assert_eq!(from_ole(1.25), Some(dt("12/31/1899 06:00")));
        assert_eq!(from_ole(f64::NAN), None);
    }

    #[test]
    fn formats_with_dotnet_specifiers() {
        // The formatting page's examples: 04/04/2023 04:29:12 AM and
        // 6/29/2023 3:15:45 PM.
        assert_eq!(
            format(dt("04/04/2023 04:29:12"), "MM/dd/yyyy hh:mm:ss tt").unwrap(),
            "04/04/2023 04:29:12 AM"
        );
        assert_eq!(
            format(dt("06/29/2023 15:15:45"), "M/d/yy h:m:s tt").unwrap(),
            "6/29/23 3:15:45 PM"
        );
        assert_eq!(
            format(dt("04/22/2023 00:05:00"), "ddd MMM dd yyyy HH'h'mm").unwrap(),
            "Sat Apr 22 2023 00h05"
        );
        assert_eq!(
            format(dt("04/22/2023 00:05:00"), "dddd, MMMM d \\a\\t h tt").unwrap(),
            "Saturday, April 22 at 12 AM"
        );
        assert!(format(dt("04/22/2023"), "'open").is_err());
    }

    #[test]
    fn adds_and_subtracts_calendar_units() {
        let jan31 = dt("01/31/2024");
        assert_eq!(add(jan31, Unit::Month, 1), Some(dt("02/29/2024")));
        assert_eq!(add(jan31, Unit::Year, -1), Some(dt("01/31/2023")));
        assert_eq!(add(jan31, Unit::Day, 1), Some(dt("02/01/2024")));
        assert_eq!(add(jan31, Unit::Hour, -1), Some(dt("01/30/2024 23:00")));
        assert_eq!(add(jan31, Unit::Year, i64::MAX), None);
        assert_eq!(diff(Unit::Year, dt("12/31/2023"), dt("01/01/2024")), 1);
        assert_eq!(
            diff(Unit::Day, dt("12/31/2023 23:00"), dt("01/01/2024 01:00")),
            1
        );
        assert_eq!(
            diff(Unit::Hour, dt("12/31/2023 23:00"), dt("01/01/2024 01:00")),
            2
        );
        assert_eq!(diff(Unit::Month, dt("03/01/2024"), dt("01/15/2024")), -2);
        assert_eq!(dow(dt("02/09/2023")), 4); // a Thursday
        assert_eq!(part(dt("02/09/2023 08:07:06"), Unit::Minute), 7);
        assert_eq!(Unit::parse("Days"), Some(Unit::Day));
        assert_eq!(Unit::parse("fortnight"), None);
    }
}
