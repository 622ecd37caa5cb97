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
pub(crate) mod values;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sha2::{Digest, Sha256};

pub use seal::{PauseError, PauseKey, PAUSE_FORMAT_VERSION};

use crate::compile::ScriptInner;
use crate::runtime::contact::{ContactState, Waiting};
use crate::runtime::env::RunEnv;
use crate::runtime::executor::{RunState, SavedFrame, Suspension};
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

    /// The waiting run as it ends a run: its frames (the script's own gets
    /// its variables here), the contact, the budgets and the clock.
    pub(crate) fn capture(
        env: &RunEnv,
        root: &Arc<ScriptInner>,
        state: &mut RunState,
        suspension: Suspension,
    ) -> (Waiting, PausedRun) {
        let Suspension {
            wait,
            memo,
            action,
            mut frames,
        } = suspension;
        if let Some(own) = frames.last_mut() {
            own.vars = state.vars.clone();
        }
        let contact = state.contact.as_deref().cloned().unwrap_or_default();
        let waiting = Waiting {
            action,
            wait,
            at: contact.elapsed,
            queued: contact.queued.clone(),
        };
        let clock = match &state.virtual_clock {
            Some(clock) => crate::runtime::Clock::now(&**clock),
            None => env.clock.now(),
        };
        let paused = PausedRun {
            scripts: identities(root),
            frames,
            extra: state.extra.clone(),
            waiting: waiting.clone(),
            memo,
            contact,
            steps: state.steps,
            max_steps: state.max_steps,
            snippet_budget: state.snippet_budget,
            memory_budget: state.memory.budget,
            clock,
            time_zone: state.time_zone,
        };
        (waiting, paused)
    }
}

/// Every unit of the call graph with the SHA-256 of its text.
pub(crate) fn identities(root: &ScriptInner) -> Vec<PausedScript> {
    (0..=root.subscripts.len() as u32)
        .map(|i| {
            let unit = root.unit(i);
            PausedScript {
                name: unit.name.clone(),
                sha256: hex(&source_sha256(unit)),
            }
        })
        .collect()
}

/// A script's identity: the SHA-256 of its text (a changed comment is a
/// changed script), computed once per compiled script.
pub(crate) fn source_sha256(unit: &ScriptInner) -> [u8; 32] {
    *unit.source_sha256.get_or_init(|| {
        let text = unit.warnings.source().text();
        Sha256::digest(text.as_bytes()).into()
    })
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}
