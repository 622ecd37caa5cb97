//! Paused runs: a waiting run as data ([`PausedRun`]), turned into signed
//! bytes and back ([`PauseKey`], in `seal.rs`), its values written flat
//! (`values.rs`).
//!
//! What a paused run holds: the identity of every script in its call graph
//! (name, path, SHA-256 of its text), the position (every RunSub frame
//! down to the waiting action, with their variables and loop counters),
//! the step count and budgets, the run's clock and the contact's state,
//! and what it waits for. What it never holds: privileges. A security user
//! is written as who it was and issued again by the resumed run, against
//! the permission model as it is then.

mod seal;
#[cfg(feature = "postgres")]
pub mod store;
pub(crate) mod values;

use crate::tz::Tz;
use chrono::{DateTime, Utc};

pub use seal::{PauseError, PauseKey, PAUSE_FORMAT_VERSION};

use crate::runtime::contact::{ContactState, Waiting};
use crate::runtime::executor::SavedFrame;
use crate::runtime::Value;

/// A waiting run, held until an event resumes it: in memory
/// ([`crate::Engine::resume`]), or as signed bytes ([`PauseKey::seal`],
/// [`PauseKey::open`]) for another process or machine.
///
/// ```
/// use studioflow::{Engine, Event, Outcome, PauseKey, RunOptions};
/// let engine = Engine::new();
/// let script = engine.compile(r#"
///     start: Begin { Default -> hold }
///     hold: Wait { Seconds = 30 Default -> done }
///     done: End
/// "#, "hold.script").unwrap();
/// let run = engine.run(&script, RunOptions::default());
/// let paused = run.paused.unwrap();
/// assert_eq!(paused.scripts()[0].name, "hold.script");
///
/// // Sealed with a key, it travels as bytes.
/// let key = PauseKey::generate();
/// let now = chrono::Utc::now();
/// let bytes = key.seal(&paused, now, std::time::Duration::from_secs(3600));
/// let paused = key.open(&bytes, now).unwrap();
/// let run = engine.resume(&script, paused, Event::Wait(30.0)).unwrap();
/// assert_eq!((run.outcome, run.end.as_deref()), (Outcome::Completed, Some("done")));
/// ```
#[derive(Debug, Clone)]
pub struct PausedRun {
    pub(crate) scripts: Vec<PausedScript>,
    /// Innermost first; the last is the script that was run.
    pub(crate) frames: Vec<SavedFrame>,
    pub(crate) extra: Vec<(String, Value)>,
    pub(crate) waiting: Waiting,
    pub(crate) memo: Option<serde_json::Value>,
    pub(crate) contact: ContactState,
    pub(crate) steps: u64,
    pub(crate) max_steps: u64,
    pub(crate) snippet_budget: u64,
    pub(crate) memory_budget: usize,
    /// The run's time when it paused.
    pub(crate) clock: DateTime<Utc>,
    pub(crate) time_zone: Tz,
}

/// One script of a paused run's call graph, as the run knew it.
///
/// ```
/// let engine = studioflow::Engine::new();
/// let script = engine.compile("start: Begin { Default -> w }\nw: Stop", "idle.script").unwrap();
/// let paused = engine.run(&script, Default::default()).paused.unwrap();
/// let identity = &paused.scripts()[0];
/// assert_eq!((identity.name.as_str(), identity.sha256.len()), ("idle.script", 64));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PausedScript {
    /// The name it was compiled under (the path, for files): where
    /// `studioflow resume` reads it from.
    pub name: String,
    /// The SHA-256 of its text, in hex.
    pub sha256: String,
}

impl PausedRun {
    /// What the run waits for.
    pub fn waiting(&self) -> &Waiting {
        &self.waiting
    }

    /// The scripts of the run's call graph: the script that was run first,
    /// then its subscripts.
    pub fn scripts(&self) -> &[PausedScript] {
        &self.scripts
    }

    /// Actions executed so far (the step budget counts across resumes).
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// The run's virtual time (seconds since the contact began).
    pub fn elapsed(&self) -> f64 {
        self.contact.elapsed
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    // A table, not `write!`: a pause writes two hashes, a resume checks them.
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 15) as usize] as char);
    }
    out
}

/// Whether `text` is `bytes` in lower-case hex (no allocation).
pub(crate) fn hex_is(text: &str, bytes: &[u8]) -> bool {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    text.len() == bytes.len() * 2
        && text.as_bytes().chunks(2).zip(bytes).all(|(pair, &b)| {
            pair[0] == DIGITS[(b >> 4) as usize] && pair[1] == DIGITS[(b & 15) as usize]
        })
}
