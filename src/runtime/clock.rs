//! Where "now" comes from: the system clock, or a fixed instant for
//! reproducible runs and tests.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

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

    /// A monotonic reading (time since an arbitrary fixed origin) that run
    /// deadlines are measured on. The default is the machine's monotonic
    /// clock, also for [`FixedClock`], so fixing "now" for reproducible
    /// output keeps the deadline real. A test clock can replace it to make
    /// time pass on demand:
    ///
    /// ```
    /// use std::sync::atomic::{AtomicU64, Ordering};
    /// use std::time::Duration;
    /// use studioflow::{Clock, Engine, Limits, Outcome, RunOptions};
    ///
    /// /// Every reading is one second later than the last.
    /// struct Ticking(AtomicU64);
    /// impl Clock for Ticking {
    ///     fn now(&self) -> chrono::DateTime<chrono::Utc> { chrono::Utc::now() }
    ///     fn monotonic(&self) -> Duration {
    ///         Duration::from_secs(self.0.fetch_add(1, Ordering::Relaxed))
    ///     }
    /// }
    /// let engine = Engine::builder().clock(Ticking(AtomicU64::new(0))).build();
    /// let script = engine.compile("start: Begin { Default -> start }", "spin.script").unwrap();
    /// let options = RunOptions::default().timeout(Duration::from_secs(5));
    /// let run = engine.run(&script, options);
    /// assert_eq!(run.outcome, Outcome::Limit);
    /// assert!(run.error.unwrap().message.contains("time limit of 5 s"));
    /// ```
    fn monotonic(&self) -> Duration {
        static ORIGIN: OnceLock<Instant> = OnceLock::new();
        ORIGIN.get_or_init(Instant::now).elapsed()
    }
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
