//! The whole mutable state of one run, kept apart from the immutable script:
//! variables, counters, budgets, the trace being recorded.

use std::sync::Arc;
use std::time::Duration;

use crate::tz::Tz;
use smallvec::SmallVec;

use super::options::{ActionOverride, ChangeObserver, StepObserver, VariableChange};
use super::outcome::{Outcome, RunError, TraceStep};
use super::suspend::{Resumed, SavedFrame, Suspension, VirtualClock};
use super::trace_log::{TraceLog, TraceOutput};
use crate::action::ActionError;
use crate::runtime::cancel::CancelToken;
use crate::runtime::clock::Clock;
use crate::runtime::contact::{ContactState, Divert, TranscriptLog};
use crate::runtime::limits::{drop_iteratively, Deadline, MemoryExceeded, MemoryMeter, SizeLimits};
use crate::runtime::security::RunId;
use crate::runtime::{RunCounts, Value};

/// Mutable per-run state, kept apart from the immutable script.
pub(crate) struct RunState {
    pub run_id: RunId,
    pub vars: Vec<Option<Value>>,
    pub extra: Vec<(String, Value)>,
    /// Per-action counters (Loop); inline for small scripts, so a run of a
    /// typical flow allocates nothing for them.
    pub counters: SmallVec<[u64; 16]>,
    /// The time zone `now()` and API timestamps use: the last security user's, else the business unit's.
    pub time_zone: Tz,
    /// Snippet statements this run may still execute.
    pub snippet_budget: u64,
    /// TRACE output of the current step, when the run is traced or observed.
    pub trace_output: Option<TraceOutput>,
    /// Executed actions so far, in every frame.
    pub steps: u64,
    pub max_steps: u64,
    /// The step count at which the next action looks at the step budget and
    /// the deadline (one comparison per action until then): the budget, the
    /// next step the deadline is due at, or now (0) after a store passed
    /// [`DEADLINE_CHECK_BYTES`].
    pub check_at: u64,
    pub trace: Option<TraceLog>,
    /// Coverage counts, when the run is traced.
    pub counts: Option<RunCounts>,
    /// Steps of running subscripts held back from the observers, one level
    /// per RunSub being run, so that a RunSub's own step (whose branch is
    /// known only when its subscript ends) reaches them first.
    pub deferred: Vec<Vec<DeferredStep>>,
    pub observer: Option<StepObserver>,
    pub cancel: Option<CancelToken>,
    /// RunSub frames below the main script.
    pub depth: usize,
    /// The value the last Return action returned.
    pub returned: Option<Value>,
    /// A limit or cancellation met inside an action (its Snippet, its
    /// subscript, the evaluation of its properties): it ends the whole run
    /// when the action returns, whatever the handler returned.
    pub stop: Option<RunError>,
    /// The host's override (test mocks), for every frame.
    pub action_override: Option<Arc<dyn ActionOverride>>,
    /// Told each step's variable changes, in every frame.
    pub change_observer: Option<ChangeObserver>,
    /// What every stored value is checked against.
    pub limits: SizeLimits,
    /// The estimated bytes the variables hold, against the memory budget:
    /// those of every frame (a RunSub's caller keeps its variables while
    /// the subscript runs) and of every Snippet statement.
    pub memory: MemoryMeter,
    /// The bytes each variable of the current frame is counted as (parallel
    /// to `vars`), so replacing a value frees exactly what it was charged.
    pub sizes: SlotSizes,
    /// Bytes stored since the deadline was last checked.
    pub stored_since_check: usize,
    /// A failure or limit met while a handler stored a value through
    /// [`ActionCall::set`] (which cannot return it); reported when the
    /// handler returns.
    pub pending: Option<Pending>,
    /// The run's wall-clock deadline, seen by every frame and snippet.
    pub deadline: Option<Deadline>,
    // ---- the contact (none of this is touched by a run that never waits) ----
    /// The contact's state and the run's waits, from the first contact
    /// action or event on.
    pub contact: Option<Box<ContactRun>>,
    /// Set whenever the contact's `suspension`, `resumed` or `divert` may be set: the
    /// run loop looks at those three only then (one test per step, so a
    /// run that never waits pays almost nothing for contacts).
    pub contact_events: bool,
}

/// What a run that talks to a contact keeps besides the rest of its state
/// (boxed: a run that never does pays one pointer for it).
#[derive(Default)]
pub(crate) struct ContactRun {
    /// The contact's own state (digit buffer, virtual time, queue, agent).
    pub contact: ContactState,
    /// What happened on the contact.
    pub transcript: TranscriptLog,
    /// The wait an action asked for, and the frames saved while the run
    /// unwinds to return it.
    pub suspension: Option<Suspension>,
    /// The frames of a resumed run still to be entered, innermost first
    /// (the next one to enter is last).
    pub resume_frames: Vec<SavedFrame>,
    /// The event (and the waiting action's memo) for the action a resumed
    /// run re-enters.
    pub resumed: Option<Resumed>,
    /// Where the run goes instead of the branch taken (an event action).
    pub divert: Option<Divert>,
    /// A resumed run's clock: the paused run's time plus virtual time.
    pub virtual_clock: Option<VirtualClock>,
}

/// A subscript's step waiting for its RunSub's step (see [`RunState::deferred`]).
pub(crate) struct DeferredStep {
    pub(super) step: TraceStep,
    pub(super) changes: Option<Vec<VariableChange>>,
}

impl RunState {
    /// Hands a finished step to the observers, or holds it back while a
    /// RunSub's subscript runs.
    pub(super) fn deliver(&mut self, step: TraceStep, changes: Option<Vec<VariableChange>>) {
        match self.deferred.last_mut() {
            Some(level) => level.push(DeferredStep { step, changes }),
            None => self.observe(&step, changes.as_deref()),
        }
    }

    /// Tells the observers about a step now.
    pub(super) fn observe(&self, step: &TraceStep, changes: Option<&[VariableChange]>) {
        if let Some(observer) = &self.observer {
            observer(step);
        }
        if let (Some(observer), Some(changes)) = (&self.change_observer, changes) {
            observer(step, changes);
        }
    }

    /// Hands the steps held back for the innermost running RunSub to the
    /// observers now (the run waits inside its subscript).
    pub(super) fn flush_deferred_level(&mut self) {
        if let Some(level) = self.deferred.pop() {
            for held in level {
                self.deliver(held.step, held.changes);
            }
        }
    }

    /// The contact side of the run, created on first use.
    pub(crate) fn contact_run(&mut self) -> &mut ContactRun {
        self.contact.get_or_insert_with(Default::default)
    }

    /// The resumed run's clock, if this run was resumed.
    #[inline]
    pub(crate) fn virtual_clock(&self) -> Option<&VirtualClock> {
        self.contact.as_ref().and_then(|c| c.virtual_clock.as_ref())
    }

    /// The contact's virtual time (0 before any contact action).
    pub(crate) fn elapsed(&self) -> f64 {
        self.contact.as_ref().map_or(0.0, |c| c.contact.elapsed)
    }

    /// Adds a transcript entry.
    pub(crate) fn note(&mut self, entry: crate::runtime::contact::TranscriptEntry) {
        self.contact_run().transcript.push(entry);
    }

    /// Passes virtual time on the contact (and on a resumed run's clock).
    pub(crate) fn elapse(&mut self, seconds: f64) {
        let run = self.contact_run();
        run.contact.elapse(seconds);
        if let Some(clock) = &run.virtual_clock {
            clock.set_elapsed(run.contact.elapsed);
        }
    }
}

/// The bytes each variable of a frame is counted as; inline for small
/// scripts, so a run of a typical flow allocates nothing for them.
pub(crate) type SlotSizes = SmallVec<[usize; 16]>;

/// How one frame (the main script or a subscript) ended.
pub(crate) struct FrameEnd {
    pub outcome: Outcome,
    pub last: Option<usize>,
    pub error: Option<RunError>,
}

/// See [`RunState::pending`].
pub(crate) enum Pending {
    Failure(ActionError),
    Limit(MemoryExceeded),
}

/// Why a store was refused.
pub(crate) enum StoreError {
    TooLarge(ActionError),
    Memory(MemoryExceeded),
}

impl RunState {
    /// The timeout, when the run's deadline has passed. The clock is read
    /// only every [`DEADLINE_CHECK_STEPS`] actions or after
    /// [`DEADLINE_CHECK_BYTES`] stored bytes, unless `now` asks for a
    /// reading at once (long built-ins and snippets, which pace themselves).
    /// The step count at which the checks before an action are due next:
    /// the step budget, or the next multiple of [`DEADLINE_CHECK_STEPS`] when
    /// there is a deadline.
    #[inline]
    pub(crate) fn next_check_at(&self) -> u64 {
        match self.deadline {
            None => self.max_steps,
            Some(_) => {
                let due = (self.steps / DEADLINE_CHECK_STEPS)
                    .saturating_add(1)
                    .saturating_mul(DEADLINE_CHECK_STEPS);
                due.min(self.max_steps)
            }
        }
    }

    pub(crate) fn past_deadline(&mut self, clock: &dyn Clock, now: bool) -> Option<Duration> {
        let deadline = self.deadline?;
        let due = now
            || (self.steps % DEADLINE_CHECK_STEPS == 0 && self.steps > 0)
            || self.stored_since_check >= DEADLINE_CHECK_BYTES;
        if !due {
            return None;
        }
        self.stored_since_check = 0;
        (clock.monotonic() >= deadline.at).then_some(deadline.timeout)
    }

    /// Stores a value in a variable slot, through the size limits and the
    /// memory budget; on refusal the slot keeps its old value.
    pub(crate) fn store(
        &mut self,
        slot: usize,
        value: Value,
        names: &[Arc<str>],
    ) -> Result<(), StoreError> {
        let new = self.limits.measure(&value).map_err(|source| {
            StoreError::TooLarge(ActionError::OversizedResult {
                variable: names.get(slot).map(|n| n.to_string()).unwrap_or_default(),
                source,
            })
        })?;
        self.store_measured(slot, value, new)
    }

    /// [`RunState::store`] of a value already measured against
    /// `self.limits` (`bytes` is what [`SizeLimits::measure`] answered).
    pub(crate) fn store_measured(
        &mut self,
        slot: usize,
        value: Value,
        new: usize,
    ) -> Result<(), StoreError> {
        let (Some(target), Some(counted)) = (self.vars.get_mut(slot), self.sizes.get_mut(slot))
        else {
            return Ok(());
        };
        let old = *counted;
        self.memory.replace(old, new).map_err(StoreError::Memory)?;
        *counted = new;
        self.stored_since_check = self.stored_since_check.saturating_add(new);
        if self.stored_since_check >= DEADLINE_CHECK_BYTES {
            self.check_at = 0;
        }
        let previous = target.replace(value);
        if old > DROP_INLINE_BYTES {
            if let Some(previous) = previous {
                drop_iteratively(previous);
            }
        }
        Ok(())
    }
}

/// Values counted above this are dropped without recursion (a value that
/// small cannot nest deep enough to matter).
const DROP_INLINE_BYTES: usize = 4096;

/// The deadline is checked before every action whose step number is a
/// multiple of this, and whenever more than [`DEADLINE_CHECK_BYTES`] were
/// stored since the last check: reading the clock on every step would cost
/// a measurable share of a small action.
const DEADLINE_CHECK_STEPS: u64 = 8;
const DEADLINE_CHECK_BYTES: usize = 1 << 20;

/// `n` unset variables (`vec![None; n]` clones its element `n` times).
#[inline]
pub(crate) fn unset(n: usize) -> Vec<Option<Value>> {
    let mut vars = Vec::with_capacity(n);
    vars.resize_with(n, || None);
    vars
}

/// `n` zeros, inline when they fit: `smallvec![0; n]` without the
/// out-of-line `from_elem` (a run builds two of these before its first step).
#[inline]
pub(crate) fn zeroed<T: Copy + Default>(n: usize) -> SmallVec<[T; 16]> {
    if n <= 16 {
        SmallVec::from_buf_and_len([T::default(); 16], n)
    } else {
        SmallVec::from_vec(vec![T::default(); n])
    }
}
