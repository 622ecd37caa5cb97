//! The run's trace as data: the bounded log of executed steps
//! ([`TraceLog`]) and the Snippet TRACE output of the step being run
//! ([`TraceOutput`]). The run's state holds both; recording a step
//! (`trace.rs`) fills them.

use std::sync::Arc;

#[cfg(doc)]
use super::outcome::Run;
use super::outcome::TraceStep;

/// How many executed actions at the start of a run [`Run::trace`] keeps.
pub const TRACE_KEEP_FIRST: usize = 1_000;
/// How many executed actions at the end of a run [`Run::trace`] keeps.
pub const TRACE_KEEP_LAST: usize = 1_000;

/// The trace as a run records it: the first [`TRACE_KEEP_FIRST`] steps, a
/// ring of the last [`TRACE_KEEP_LAST`], and the count of those that fell
/// out of the ring. Bounded while the run goes, not cut afterwards: a run
/// of millions of steps holds 2,000.
#[derive(Debug, Default)]
pub(crate) struct TraceLog {
    head: Vec<TraceStep>,
    tail: std::collections::VecDeque<TraceStep>,
    omitted: u64,
    /// The highest step number recorded: a step at or below it was
    /// reserved (a RunSub's) and is completed in place, never added again.
    last: u64,
}

impl TraceLog {
    pub(super) fn push(&mut self, step: TraceStep) {
        self.last = self.last.max(step.step);
        if self.head.len() < TRACE_KEEP_FIRST {
            self.head.push(step);
            return;
        }
        if self.tail.len() >= TRACE_KEEP_LAST {
            self.tail.pop_front();
            self.omitted += 1;
        }
        self.tail.push_back(step);
    }

    /// Records `step`, or completes the reserved step of the same number
    /// (`None` when it already fell out of the ring).
    pub(super) fn record(&mut self, step: TraceStep) {
        if step.step > self.last {
            return self.push(step);
        }
        let n = step.step;
        let slot = match self.head.binary_search_by_key(&n, |s| s.step) {
            Ok(i) => self.head.get_mut(i),
            Err(_) => match self.tail.binary_search_by_key(&n, |s| s.step) {
                Ok(i) => self.tail.get_mut(i),
                Err(_) => None,
            },
        };
        if let Some(slot) = slot {
            *slot = step;
        }
    }

    /// The kept steps in order and the number left out.
    pub(crate) fn finish(self) -> (Vec<TraceStep>, u64) {
        let mut steps = self.head;
        steps.extend(self.tail);
        (steps, self.omitted)
    }
}

/// The Snippet TRACE output of the current step (it goes into that
/// step's [`TraceStep::output`]), bounded per run.
#[derive(Debug, Default)]
pub(crate) struct TraceOutput {
    pub lines: Vec<Arc<str>>,
    pub bytes: usize,
    pub truncated: bool,
}
