//! A run that waits: the frames it saves while it unwinds to return its
//! wait ([`Suspension`]), what the action it re-enters on resume is handed
//! ([`Resumed`]) and a resumed run's clock ([`VirtualClock`]).

use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};

use crate::runtime::clock::Clock;
use crate::runtime::contact::{Event, Wait};
use crate::runtime::Value;

/// One frame of a waiting run: which script (its unit in the call graph),
/// the action in progress and its step number, the frame's variables and
/// loop counters.
#[derive(Debug, Clone)]
pub(crate) struct SavedFrame {
    pub unit: u32,
    pub action: u32,
    pub step: u64,
    pub vars: Vec<Option<Value>>,
    pub counters: Vec<u64>,
}

/// The wait an action asked for, and the frames saved so far while the
/// run unwinds (innermost first).
#[derive(Debug)]
pub(crate) struct Suspension {
    pub wait: Wait,
    /// The waiting action's own data, handed back on resume.
    pub memo: Option<serde_json::Value>,
    /// The waiting action as errors name it (`subscript:action`).
    pub action: String,
    pub frames: Vec<SavedFrame>,
}

/// What a resumed action is handed: the event that resumed the run, and
/// the data it kept when it began to wait.
///
/// ```
/// use studioflow::{ActionCall, ActionError, ActionSchema, BranchId, Engine, Event, HttpRequest,
///     PropertyKind, PropertySchema, RunOptions, Value, Wait};
/// // A host action that waits for an HTTP reply and stores its status.
/// let engine = Engine::builder()
///     .register_action(
///         ActionSchema::new("Lookup").property(
///             PropertySchema::optional("Status", PropertyKind::OutputVariable)
///                 .with_default(Value::from("status")),
///         ),
///         |call: &mut ActionCall<'_>| match call.take_resumed() {
///             None => call.wait_with(
///                 Wait::Http { request: HttpRequest::new("GET", "https://crm.example/x") },
///                 serde_json::json!({"tries": 1}),
///             ),
///             Some(resumed) => {
///                 assert_eq!(resumed.memo, Some(serde_json::json!({"tries": 1})));
///                 let Event::Reply(reply) = resumed.event else { unreachable!() };
///                 call.set_output(0, Value::from(reply.status as f64))?;
///                 Ok(BranchId::DEFAULT)
///             }
///         },
///     )
///     .build();
/// let script = engine.compile("start: Begin { Default -> l }\nl: Lookup { Default -> done }\ndone: End",
///     "lookup.script").unwrap();
/// let run = engine.run(&script, RunOptions::default());
/// let paused = run.paused.unwrap();
/// let run = engine.resume(&script, *paused, "reply:404:".parse().unwrap()).unwrap();
/// assert_eq!(run.variables["status"], Value::from(404.0));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Resumed {
    /// The event.
    pub event: Event,
    /// What the action passed to [`crate::ActionCall::wait_with`].
    pub memo: Option<serde_json::Value>,
}

/// A resumed run's "now": the time the run had when it paused, plus the
/// virtual time that passed since (a simulated contact never sleeps).
#[derive(Debug)]
pub(crate) struct VirtualClock {
    /// The run's time when its virtual time was 0.
    pub origin: DateTime<Utc>,
    /// Virtual microseconds since `origin`.
    pub elapsed_us: AtomicU64,
}

impl VirtualClock {
    pub(crate) fn new(origin: DateTime<Utc>, elapsed: f64) -> VirtualClock {
        let clock = VirtualClock {
            origin,
            elapsed_us: AtomicU64::new(0),
        };
        clock.set_elapsed(elapsed);
        clock
    }

    pub(crate) fn set_elapsed(&self, seconds: f64) {
        let us = (seconds.max(0.0) * 1e6).min(u64::MAX as f64) as u64;
        self.elapsed_us.store(us, Ordering::Relaxed);
    }
}

impl Clock for VirtualClock {
    fn now(&self) -> DateTime<Utc> {
        let us = self.elapsed_us.load(Ordering::Relaxed);
        self.origin
            .checked_add_signed(chrono::TimeDelta::microseconds(
                us.min(i64::MAX as u64) as i64
            ))
            .unwrap_or(self.origin)
    }
}

/// Where a resumed frame starts: the action it waited in (or a RunSub it
/// waited under) under that action's step number, or an event action as
/// a new step (`step: None`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ResumePoint {
    pub action: u32,
    pub step: Option<u64>,
}
