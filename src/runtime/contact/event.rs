//! [`Event`]: what resumes a waiting run, with the command line's syntax
//! (`digits:12#`, `timeout`, `hangup`, `answer:AGENT`, `wait:SECONDS`,
//! `reply:STATUS:BODY`).

use super::wait::{HttpReply, WaitFor};

/// What happens on a waiting contact.
///
/// Events are written as the command line's `--event` takes them:
///
/// ```
/// use studioflow::Event;
/// assert_eq!("digits:12#".parse::<Event>().unwrap(), Event::Digits("12#".into()));
/// assert_eq!("wait:1.5".parse::<Event>().unwrap(), Event::Wait(1.5));
/// let reply: Event = "reply:200:{\"name\":\"Ada\"}".parse().unwrap();
/// assert_eq!(reply.to_string(), "reply:200:{\"name\":\"Ada\"}");
/// assert!("digits:12a".parse::<Event>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// The caller presses keys (`0-9`, `*`, `#`).
    Digits(String),
    /// The caller stays silent until the wait's timeout.
    Timeout,
    /// The caller hangs up.
    Hangup,
    /// An agent answers (a userName or an agent id): OnAnswer fires.
    Answer(String),
    /// Virtual time passes, in seconds.
    Wait(f64),
    /// The reply to the pending HTTP request.
    Reply(HttpReply),
    /// The pending HTTP request failed in transport (no connection, timed
    /// out): the action takes its Error branch with this text as `_ERR`.
    /// A host's event; the command line makes it itself under `--allow-http`.
    HttpFailed(String),
}

/// Why an event's text was refused.
///
/// ```
/// use studioflow::{Event, EventError};
/// let e = "dial:5".parse::<Event>().unwrap_err();
/// assert!(matches!(e, EventError::Unknown(_)));
/// let e = "wait:-1".parse::<Event>().unwrap_err();
/// assert!(e.to_string().starts_with("event `wait:-1`: expected seconds"), "{e}");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EventError {
    /// The text names no event.
    #[error(
        "unknown event `{0}`: expected digits:DIGITS, timeout, hangup, answer:AGENT, wait:SECONDS or reply:STATUS:BODY"
    )]
    Unknown(String),
    /// The event's value is malformed.
    #[error("event `{event}`: {reason}")]
    Malformed {
        /// The event as written.
        event: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// The most seconds one `wait:` event may pass (a year).
const MAX_WAIT_SECONDS: f64 = 366.0 * 24.0 * 3600.0;
/// The most keys one `digits:` event may press.
const MAX_DIGITS: usize = 1024;

impl std::str::FromStr for Event {
    type Err = EventError;

    fn from_str(text: &str) -> Result<Event, EventError> {
        let shown: String = text.chars().take(80).collect();
        let malformed = |reason: &str| EventError::Malformed {
            event: shown.clone(),
            reason: reason.to_string(),
        };
        let (name, value) = match text.split_once(':') {
            Some((name, value)) => (name, Some(value)),
            None => (text, None),
        };
        match (name, value) {
            ("timeout", None) => Ok(Event::Timeout),
            ("hangup", None) => Ok(Event::Hangup),
            ("timeout" | "hangup", Some(_)) => Err(malformed("takes no value")),
            ("digits", Some(d)) => {
                if d.is_empty() {
                    return Err(malformed("expected one or more of 0-9, * and #"));
                }
                if d.len() > MAX_DIGITS {
                    return Err(malformed(&format!("more than {MAX_DIGITS} keys")));
                }
                match d.chars().find(|c| !matches!(c, '0'..='9' | '*' | '#')) {
                    Some(c) => Err(malformed(&format!(
                        "`{}` is not a key: expected 0-9, * and #",
                        c.escape_debug()
                    ))),
                    None => Ok(Event::Digits(d.to_string())),
                }
            }
            ("answer", Some(agent)) => {
                let agent = agent.trim();
                if agent.is_empty() {
                    return Err(malformed("expected an agent's userName or id"));
                }
                if agent.len() > 256 {
                    return Err(malformed("the agent's name is longer than 256 bytes"));
                }
                Ok(Event::Answer(agent.to_string()))
            }
            ("wait", Some(s)) => {
                let plain = !s.is_empty()
                    && s.chars().all(|c| c.is_ascii_digit() || c == '.')
                    && s.matches('.').count() <= 1
                    && s != ".";
                match s.parse::<f64>() {
                    Ok(seconds) if plain && seconds.is_finite() && seconds <= MAX_WAIT_SECONDS => {
                        Ok(Event::Wait(seconds))
                    }
                    _ => Err(malformed(
                        "expected seconds: a number such as 5 or 0.5, at most a year",
                    )),
                }
            }
            ("reply", Some(rest)) => {
                let (status, body) = rest.split_once(':').unwrap_or((rest, ""));
                match status.parse::<u16>() {
                    Ok(code) if (100..=599).contains(&code) && status.len() == 3 => {
                        Ok(Event::Reply(HttpReply::new(code, body)))
                    }
                    _ => Err(malformed(
                        "expected reply:STATUS:BODY with STATUS 100 to 599",
                    )),
                }
            }
            ("digits" | "answer" | "wait" | "reply", None) => Err(malformed(match name {
                "digits" => "expected digits:DIGITS",
                "answer" => "expected answer:AGENT",
                "wait" => "expected wait:SECONDS",
                _ => "expected reply:STATUS:BODY",
            })),
            _ => Err(EventError::Unknown(shown)),
        }
    }
}

impl std::fmt::Display for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Event::Digits(d) => write!(f, "digits:{d}"),
            Event::Timeout => f.write_str("timeout"),
            Event::Hangup => f.write_str("hangup"),
            Event::Answer(a) => write!(f, "answer:{a}"),
            Event::Wait(s) => write!(f, "wait:{s}"),
            Event::Reply(r) => write!(f, "reply:{}:{}", r.status, r.body),
            Event::HttpFailed(why) => write!(f, "http failure: {why}"),
        }
    }
}

impl Event {
    /// Checks an event a host built in code as its text form is checked:
    /// keys only of `0-9*#` (1 to 1,024 of them), an agent named, seconds
    /// finite, not negative and at most a year, a status of 100 to 599.
    ///
    /// ```
    /// use studioflow::Event;
    /// assert!(Event::Wait(2.5).check().is_ok());
    /// assert!(Event::Wait(f64::NAN).check().is_err());
    /// assert!(Event::Digits("1x".into()).check().is_err());
    /// ```
    pub fn check(&self) -> Result<(), EventError> {
        let bad = |reason: &str| EventError::Malformed {
            event: self.to_string().chars().take(80).collect(),
            reason: reason.to_string(),
        };
        match self {
            Event::Digits(keys) => {
                if keys.is_empty() || keys.len() > MAX_DIGITS {
                    return Err(bad(&format!("expected 1 to {MAX_DIGITS} keys")));
                }
                if keys.chars().any(|c| !matches!(c, '0'..='9' | '*' | '#')) {
                    return Err(bad("expected only the keys 0-9, * and #"));
                }
            }
            Event::Answer(agent) if agent.trim().is_empty() || agent.len() > 256 => {
                return Err(bad("expected an agent's userName or id"));
            }
            Event::Wait(s) if !(s.is_finite() && (0.0..=MAX_WAIT_SECONDS).contains(s)) => {
                return Err(bad("expected seconds: a number from 0 to a year"));
            }
            Event::Reply(reply) if !(100..=599).contains(&reply.status) => {
                return Err(bad("expected a status from 100 to 599"));
            }
            _ => {}
        }
        Ok(())
    }

    /// The event's name: `digits`, `timeout`, `hangup`, `answer`, `wait`,
    /// `reply` or `http-failure`.
    pub fn name(&self) -> &'static str {
        match self {
            Event::Digits(_) => "digits",
            Event::Timeout => "timeout",
            Event::Hangup => "hangup",
            Event::Answer(_) => "answer",
            Event::Wait(_) => "wait",
            Event::Reply(_) => "reply",
            Event::HttpFailed(_) => "http-failure",
        }
    }

    /// Whether a wait of this kind takes the event: `answer` and `hangup`
    /// interrupt every wait; a Menu or Capture takes `digits`, `timeout`
    /// and `wait`; a Wait or Music takes `wait`; an HTTP request takes
    /// `reply` (and a transport failure).
    ///
    /// ```
    /// use studioflow::{Event, WaitFor};
    /// assert!(Event::Timeout.fits(WaitFor::Digits));
    /// assert!(!Event::Timeout.fits(WaitFor::Time));
    /// assert!(Event::Hangup.fits(WaitFor::Event));
    /// ```
    pub fn fits(&self, wait: WaitFor) -> bool {
        match self {
            Event::Answer(_) | Event::Hangup => true,
            Event::Digits(_) | Event::Timeout => wait == WaitFor::Digits,
            Event::Wait(_) => matches!(wait, WaitFor::Digits | WaitFor::Time),
            Event::Reply(_) | Event::HttpFailed(_) => wait == WaitFor::Http,
        }
    }
}
