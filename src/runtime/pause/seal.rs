//! Paused runs as signed bytes (the documented format, docs/contacts.md):
//!
//! ```text
//! studioflow-pause 1\n
//! <HMAC-SHA256 of everything after this line, and of the first line, in hex>\n
//! <the paused run as JSON>
//! ```
//!
//! The signature covers the version line and the JSON, so a pause altered
//! in any byte, signed with another key, or of another format version is
//! refused before anything in it is read.
//!
//! A signed pause is still read as untrusted (the key may be shared, or a
//! build may have a bug): at most 256 MiB, 4,194,304 value tokens and memo
//! nodes, values nested 1,024 deep, 4,096 frames of 4,194,304 slots and
//! counters in all; frames that do not hold together, negative times and
//! duplicate keys are refused, naming what is wrong.

use std::time::Duration;

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::values::{read_budget, Memo, Tokens};
use super::{PausedRun, PausedScript};
use crate::runtime::contact::{ContactState, Wait, Waiting};
use crate::runtime::executor::SavedFrame;

/// The format version this build writes and reads.
pub const PAUSE_FORMAT_VERSION: u32 = 1;

const MAGIC: &str = "studioflow-pause";
/// The largest pause file read (a run's variables are bounded by its
/// memory budget; this bounds what is parsed before that).
pub(crate) const MAX_PAUSE_BYTES: usize = 256 << 20;
/// The most value tokens (and memo nodes) a pause may hold: reading one
/// then costs a bounded amount of memory whatever its file says. A run
/// within the default memory budget (64 MiB, each element counted as at
/// least 16 bytes) holds fewer.
const MAX_TOKENS: u64 = 1 << 22;
/// The most frames a pause may hold (far deeper than any subscript limit
/// a host sets).
const MAX_FRAMES: usize = 1 << 12;
/// The most variable slots (or actions) one frame may have.
const MAX_FRAME_SLOTS: u32 = 1 << 20;
/// The most variable slots and loop counters all frames may hold together.
const MAX_FRAME_CELLS: u64 = 1 << 22;

/// The key paused runs are signed with (HMAC-SHA256): at least 32 bytes.
///
/// ```
/// use studioflow::PauseKey;
/// let key = PauseKey::from_hex(&"ab".repeat(32)).unwrap();
/// assert!(PauseKey::from_hex("abcd").is_err()); // too short
/// let _random = PauseKey::generate();
/// # let _ = key;
/// ```
#[derive(Clone)]
pub struct PauseKey(Vec<u8>);

impl std::fmt::Debug for PauseKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PauseKey(..)")
    }
}

/// Why a paused run was refused.
///
/// ```
/// use studioflow::{PauseError, PauseKey};
/// let key = PauseKey::generate();
/// let now = chrono::Utc::now();
/// assert_eq!(key.open(b"hello", now).unwrap_err(), PauseError::NotAPause);
/// let e = key.open(b"studioflow-pause 9\n00\n{}", now).unwrap_err();
/// assert_eq!(e.to_string(), "pause format version 9: this studioflow reads version 1");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PauseError {
    /// A key of fewer than 32 bytes, or not hex.
    #[error("the pause key must be at least 32 bytes, written in hex ({0})")]
    BadKey(String),
    /// Not a pause at all.
    #[error("not a studioflow pause file (it does not begin with `{MAGIC} <version>`)")]
    NotAPause,
    /// Written by a build with another format.
    #[error("pause format version {found}: this studioflow reads version {expected}")]
    Version {
        /// The file's version.
        found: String,
        /// The version this build reads.
        expected: u32,
    },
    /// Altered, or signed with another key.
    #[error(
        "the pause file's signature does not match: it was altered, or signed with another key"
    )]
    Signature,
    /// Past its expiry.
    #[error(
        "the paused run expired at {expired} (paused at {paused}); it can no longer be resumed"
    )]
    Expired {
        /// When it expired (RFC 3339).
        expired: String,
        /// When it was paused (RFC 3339).
        paused: String,
    },
    /// Signed, yet not readable (a bug, or a key shared with something else).
    #[error("the paused run cannot be read: {0}")]
    Malformed(String),
    /// Larger than any pause this build writes.
    #[error("the pause file is larger than {MAX_PAUSE_BYTES} bytes")]
    TooLarge,
}

impl PauseKey {
    /// A key from its bytes (at least 32).
    pub fn new(bytes: impl Into<Vec<u8>>) -> Result<PauseKey, PauseError> {
        let bytes = bytes.into();
        if bytes.len() < 32 {
            return Err(PauseError::BadKey(format!("{} bytes given", bytes.len())));
        }
        Ok(PauseKey(bytes))
    }

    /// A key from hex text (at least 64 hex digits; surrounding white space ignored).
    pub fn from_hex(text: &str) -> Result<PauseKey, PauseError> {
        let text = text.trim();
        if text.len() % 2 != 0 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(PauseError::BadKey("not hex".into()));
        }
        let bytes = (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap_or(0))
            .collect::<Vec<u8>>();
        PauseKey::new(bytes)
    }

    /// 32 random bytes from the operating system.
    pub fn generate() -> PauseKey {
        let mut bytes = vec![0u8; 32];
        // The OS's generator does not fail on the systems Rust supports;
        // if it did, a fixed key would be a silent hole: stop instead.
        getrandom::fill(&mut bytes).expect("the operating system's random generator failed");
        PauseKey(bytes)
    }

    /// The key as hex text (what `pause.key` holds).
    pub fn to_hex(&self) -> String {
        super::hex(&self.0)
    }

    fn mac(&self) -> Hmac<Sha256> {
        // HMAC takes keys of any length.
        <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("HMAC takes any key length")
    }

    /// The paused run as signed bytes, expiring `ttl` after `now` (the
    /// host's clock).
    ///
    /// See the example on [`PausedRun`].
    pub fn seal(&self, paused: &PausedRun, now: DateTime<Utc>, ttl: Duration) -> Vec<u8> {
        let expires = now
            .checked_add_signed(chrono::TimeDelta::from_std(ttl).unwrap_or(chrono::TimeDelta::MAX))
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        let payload = Payload::of(paused, now, expires);
        let json = serde_json::to_string(&payload).expect("a paused run is always JSON");
        let header = format!("{MAGIC} {PAUSE_FORMAT_VERSION}\n");
        let mut mac = self.mac();
        mac.update(header.as_bytes());
        mac.update(json.as_bytes());
        let signature = super::hex(&mac.finalize().into_bytes());
        let mut out = Vec::with_capacity(header.len() + 65 + json.len() + 1);
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(signature.as_bytes());
        out.push(b'\n');
        out.extend_from_slice(json.as_bytes());
        out.push(b'\n');
        out
    }

    /// Reads sealed bytes back: the version, the signature and the expiry
    /// (against `now`, the host's clock) are checked before anything else.
    /// Scripts are checked when the run resumes ([`crate::Engine::resume`]).
    ///
    /// See the example on [`PausedRun`].
    pub fn open(&self, bytes: &[u8], now: DateTime<Utc>) -> Result<PausedRun, PauseError> {
        if bytes.len() > MAX_PAUSE_BYTES {
            return Err(PauseError::TooLarge);
        }
        let (header, rest) = split_line(bytes).ok_or(PauseError::NotAPause)?;
        let header = std::str::from_utf8(header).map_err(|_| PauseError::NotAPause)?;
        let version = header
            .strip_prefix(MAGIC)
            .and_then(|v| v.strip_prefix(' '))
            .ok_or(PauseError::NotAPause)?;
        if version != PAUSE_FORMAT_VERSION.to_string() {
            let found: String = version.chars().take(20).collect();
            return Err(PauseError::Version {
                found,
                expected: PAUSE_FORMAT_VERSION,
            });
        }
        let (signature, json) = split_line(rest).ok_or(PauseError::Signature)?;
        let json = json.strip_suffix(b"\n").unwrap_or(json);
        let mut mac = self.mac();
        mac.update(header.as_bytes());
        mac.update(b"\n");
        mac.update(json);
        let signature = std::str::from_utf8(signature).map_err(|_| PauseError::Signature)?;
        let expected = decode_hex(signature).ok_or(PauseError::Signature)?;
        mac.verify_slice(&expected)
            .map_err(|_| PauseError::Signature)?;
        let payload: Payload = read_budget(MAX_TOKENS, || serde_json::from_slice(json))
            .map_err(|e| PauseError::Malformed(e.to_string()))?;
        let expires = parse_time(&payload.expires_at)?;
        if now > expires {
            return Err(PauseError::Expired {
                expired: payload.expires_at.clone(),
                paused: payload.paused_at.clone(),
            });
        }
        payload.into_paused()
    }
}

fn split_line(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let at = bytes.iter().position(|&b| b == b'\n')?;
    Some((&bytes[..at], &bytes[at + 1..]))
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if text.len() != 64 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..64)
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

fn parse_time(text: &str) -> Result<DateTime<Utc>, PauseError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| PauseError::Malformed(format!("bad time `{text}`")))
}

// ---- the JSON -------------------------------------------------------------

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Payload {
    paused_at: String,
    expires_at: String,
    scripts: Vec<ScriptData>,
    waiting: WaitingData,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    memo: Option<Memo>,
    /// Innermost first.
    frames: Vec<FrameData>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    extra: Vec<(String, Tokens)>,
    contact: ContactState,
    steps: u64,
    max_steps: u64,
    snippet_budget: u64,
    memory_budget: usize,
    clock: String,
    time_zone: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScriptData {
    name: String,
    sha256: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WaitingData {
    action: String,
    wait: Wait,
    at: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    queued: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FrameData {
    unit: u32,
    action: u32,
    step: u64,
    /// Set variables only: `[slot, tokens]`.
    vars: Vec<(u32, Tokens)>,
    /// Non-zero counters only: `[action, count]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    counters: Vec<(u32, u64)>,
    /// How many slots and counters the frame has.
    slots: u32,
    actions: u32,
}

impl Payload {
    fn of(paused: &PausedRun, now: DateTime<Utc>, expires: DateTime<Utc>) -> Payload {
        let rfc = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        Payload {
            paused_at: rfc(now),
            expires_at: rfc(expires),
            scripts: paused
                .scripts
                .iter()
                .map(|s| ScriptData {
                    name: s.name.clone(),
                    sha256: s.sha256.clone(),
                })
                .collect(),
            waiting: WaitingData {
                action: paused.waiting.action.clone(),
                wait: paused.waiting.wait.clone(),
                at: paused.waiting.at,
                queued: paused.waiting.queued.clone(),
            },
            memo: paused.memo.clone().map(Memo),
            frames: paused
                .frames
                .iter()
                .map(|f| FrameData {
                    unit: f.unit,
                    action: f.action,
                    step: f.step,
                    vars: f
                        .vars
                        .iter()
                        .enumerate()
                        .filter_map(|(i, v)| v.as_ref().map(|v| (i as u32, Tokens(v.clone()))))
                        .collect(),
                    counters: f
                        .counters
                        .iter()
                        .enumerate()
                        .filter(|(_, c)| **c != 0)
                        .map(|(i, &c)| (i as u32, c))
                        .collect(),
                    slots: f.vars.len() as u32,
                    actions: f.counters.len() as u32,
                })
                .collect(),
            extra: paused
                .extra
                .iter()
                .map(|(n, v)| (n.clone(), Tokens(v.clone())))
                .collect(),
            contact: paused.contact.clone(),
            steps: paused.steps,
            max_steps: paused.max_steps,
            snippet_budget: paused.snippet_budget,
            memory_budget: paused.memory_budget,
            clock: rfc(paused.clock),
            time_zone: paused.time_zone.name().to_string(),
        }
    }

    fn into_paused(self) -> Result<PausedRun, PauseError> {
        let bad = |m: String| PauseError::Malformed(m);
        // Virtual times only move forward from 0 (JSON has no NaN).
        let left = match &self.waiting.wait {
            Wait::Digits { timeout, .. } => *timeout,
            Wait::Time { seconds } => *seconds,
            Wait::Http { .. } | Wait::Event => 0.0,
        };
        for (what, t) in [
            ("the wait's time left", left),
            ("the wait's start", self.waiting.at),
            ("the contact's time", self.contact.elapsed),
            ("the contact's spare time", self.contact.spare),
        ] {
            if t < 0.0 {
                return Err(bad(format!("{what} is negative ({t})")));
            }
        }
        // Bounded by the signed data, yet checked: a frame is as large as
        // its script says, no larger, and all of them together are too
        // (the slots are allocated before the script is at hand).
        let cells: u64 = self
            .frames
            .iter()
            .map(|f| u64::from(f.slots) + u64::from(f.actions))
            .sum();
        if cells > MAX_FRAME_CELLS || self.frames.len() > MAX_FRAMES {
            return Err(bad(format!(
                "{} frames of {cells} variables and counters in all: more than any run holds",
                self.frames.len()
            )));
        }
        let units = self.scripts.len();
        let outermost = self.frames.len().saturating_sub(1);
        let mut frames = Vec::with_capacity(self.frames.len());
        for (i, f) in self.frames.into_iter().enumerate() {
            // Positions are checked against the script when the run
            // resumes; what the pause itself says must hold together.
            if f.unit as usize >= units || (i == outermost && f.unit != 0) {
                return Err(bad(format!(
                    "frame {i} is in script {} of a call graph of {units}",
                    f.unit
                )));
            }
            if f.slots > MAX_FRAME_SLOTS || f.actions > MAX_FRAME_SLOTS {
                return Err(bad(format!("frame {i}: a frame larger than any script")));
            }
            if f.action >= f.actions {
                return Err(bad(format!(
                    "frame {i} is at action {} of {}",
                    f.action, f.actions
                )));
            }
            let mut vars = vec![None; f.slots as usize];
            for (slot, Tokens(value)) in f.vars {
                *vars
                    .get_mut(slot as usize)
                    .ok_or_else(|| bad(format!("variable slot {slot} out of range")))? =
                    Some(value);
            }
            let mut counters = vec![0u64; f.actions as usize];
            for (i, c) in f.counters {
                *counters
                    .get_mut(i as usize)
                    .ok_or_else(|| bad(format!("counter {i} out of range")))? = c;
            }
            frames.push(SavedFrame {
                unit: f.unit,
                action: f.action,
                step: f.step,
                vars,
                counters,
            });
        }
        if frames.is_empty() {
            return Err(bad("no frames".into()));
        }
        let extra = self
            .extra
            .into_iter()
            .map(|(n, Tokens(v))| (n, v))
            .collect();
        Ok(PausedRun {
            scripts: self
                .scripts
                .into_iter()
                .map(|s| PausedScript {
                    name: s.name,
                    sha256: s.sha256,
                })
                .collect(),
            frames,
            extra,
            waiting: Waiting {
                action: self.waiting.action,
                wait: self.waiting.wait,
                at: self.waiting.at,
                queued: self.waiting.queued,
            },
            memo: self.memo.map(|Memo(m)| m),
            contact: self.contact,
            steps: self.steps,
            max_steps: self.max_steps,
            snippet_budget: self.snippet_budget,
            memory_budget: self.memory_budget,
            clock: parse_time(&self.clock)?,
            time_zone: self
                .time_zone
                .parse()
                .map_err(|_| bad(format!("unknown time zone `{}`", self.time_zone)))?,
        })
    }
}
