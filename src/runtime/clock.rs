//! Where "now" comes from: the system clock, or a fixed instant for
//! reproducible runs and tests.

use chrono::{DateTime, Utc};

/// A source of the current time.
///
/// ```
/// use studioflow::{Clock, SystemClock};
/// assert!(SystemClock.now().timestamp() > 0);
/// ```
pub trait Clock: Send + Sync {
    /// The current instant.
    fn now(&self) -> DateTime<Utc>;
}

/// The machine's clock.
///
/// ```
/// use studioflow::Clock;
/// assert!(studioflow::SystemClock.now().timestamp() > 1_700_000_000);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock stopped at one instant.
///
/// ```
/// use studioflow::{Clock, FixedClock};
/// let c = FixedClock::parse("2026-03-08T06:30:00Z").unwrap();
/// assert_eq!(c.now().to_rfc3339(), "2026-03-08T06:30:00+00:00");
/// assert!(FixedClock::parse("yesterday").is_err());
/// ```
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub DateTime<Utc>);

impl FixedClock {
    /// Parses an RFC 3339 instant such as `2026-03-08T06:30:00Z`.
    ///
    /// ```
    /// assert!(studioflow::FixedClock::parse("2026-03-08T06:30:00+01:00").is_ok());
    /// ```
    pub fn parse(text: &str) -> Result<FixedClock, chrono::ParseError> {
        Ok(FixedClock(
            DateTime::parse_from_rfc3339(text)?.with_timezone(&Utc),
        ))
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}
