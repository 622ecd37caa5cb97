//! The run's bounds as Snippet code meets them (memory, size limits, the
//! deadline, the cancel token), kept with the Snippet code that meets them.

use std::sync::Arc;
use std::time::Duration;

use crate::runtime::cancel::CancelToken;
use crate::runtime::clock::Clock;
use crate::runtime::limits::{drop_iteratively, Deadline, MemoryExceeded, MemoryMeter, SizeLimits};
use crate::runtime::{RuntimeError, Value};

/// How many Snippet statements run between two looks at the clock, the
/// cancel token and the memory of the variables the statements changed in
/// place: often enough that a runaway loop overshoots by little, seldom
/// enough that a statement costs no clock reading.
pub(crate) const SNIPPET_CHECK_STATEMENTS: u64 = 1024;

/// Growth in place below this is not measured at once (a small value
/// measures cheaply at the next settle anyway).
pub(crate) const GROWTH_FLOOR: usize = 4096;

/// Why the run's bounds stopped a Snippet statement.
#[derive(Debug)]
pub(crate) enum Bound {
    /// A value over the size limits: the statement fails. `variable` is
    /// ready to print: `` `x` ``, `` `x` in f() ``, or "a function's result".
    TooLarge {
        variable: String,
        source: RuntimeError,
    },
    /// The memory budget: the run stops.
    Memory(MemoryExceeded),
    /// The deadline (this timeout) passed: the run stops.
    Time(Duration),
    /// The host cancelled the run.
    Cancelled,
}

/// The run's bounds as Snippet code meets them: the memory meter with the
/// bytes each variable of the frame is counted as, the deadline and the
/// cancel token (the same ones every action and RunSub frame sees).
///
/// A value stored whole into a variable is measured and charged at once.
/// A value changed in place (`o.a.b = 1`, `arr[5] = x`) is marked, with an
/// estimate of what it grew by (see [`Self::grew`]); it is measured when it
/// may have doubled since it was last measured, when the growth of all
/// marked variables may pass the memory budget, every
/// [`SNIPPET_CHECK_STATEMENTS`] statements and when the snippet ends (and a
/// function's parameter or local before the call returns). Measuring a
/// 100,000-element array on every element write would make filling it
/// quadratic; measuring it each time it doubles costs a constant per write.
pub(crate) struct SnippetBounds<'a> {
    pub limits: SizeLimits,
    pub memory: &'a mut MemoryMeter,
    pub sizes: &'a mut [usize],
    pub names: &'a [Arc<str>],
    pub clock: &'a dyn Clock,
    pub deadline: Option<Deadline>,
    pub cancel: Option<&'a CancelToken>,
    /// The line of the statement that last paced, for the end-of-snippet settle.
    pub line: u32,
    since_check: u64,
    settle_due: bool,
    /// Variables changed in place since the last settle, each with the
    /// bytes it is estimated to have grown by since.
    changed: Vec<(usize, usize)>,
    /// The sum of those estimates.
    growth: usize,
}

type Slots = [Option<Value>];

impl<'a> SnippetBounds<'a> {
    pub fn new(
        limits: SizeLimits,
        memory: &'a mut MemoryMeter,
        sizes: &'a mut [usize],
        names: &'a [Arc<str>],
        clock: &'a dyn Clock,
        deadline: Option<Deadline>,
        cancel: Option<&'a CancelToken>,
    ) -> Self {
        SnippetBounds {
            limits,
            memory,
            sizes,
            names,
            clock,
            deadline,
            cancel,
            line: 0,
            since_check: 0,
            settle_due: false,
            changed: Vec::new(),
            growth: 0,
        }
    }

    /// Counts `statements` executed at `line`; every
    /// [`SNIPPET_CHECK_STATEMENTS`] it looks at the cancel token and the
    /// clock, and asks for a settle (see [`Self::settle_due`]).
    pub fn pace(&mut self, line: u32, statements: u64) -> Result<(), Bound> {
        self.line = line;
        self.since_check = self.since_check.saturating_add(statements);
        if self.since_check < SNIPPET_CHECK_STATEMENTS {
            return Ok(());
        }
        self.since_check = 0;
        self.settle_due = !self.changed.is_empty();
        if self.cancel.is_some_and(CancelToken::is_cancelled) {
            return Err(Bound::Cancelled);
        }
        match self.deadline {
            Some(d) if self.clock.monotonic() >= d.at => Err(Bound::Time(d.timeout)),
            _ => Ok(()),
        }
    }

    /// Whether the variables changed in place are due to be measured.
    pub fn settle_due(&self) -> bool {
        self.settle_due
    }

    /// Stores `value` whole in `slot`: measured against the size limits
    /// and charged to the memory budget first; refused, the slot keeps its
    /// old value.
    pub fn put(
        &mut self,
        vars: &mut Slots,
        slot: usize,
        value: Option<Value>,
    ) -> Result<(), Bound> {
        let new = match &value {
            None => 0,
            Some(v) => self.limits.measure(v).map_err(|source| Bound::TooLarge {
                variable: self.name(slot),
                source,
            })?,
        };
        self.memory
            .replace(self.sizes[slot], new)
            .map_err(Bound::Memory)?;
        self.sizes[slot] = new;
        vars[slot] = value;
        Ok(())
    }

    /// Notes that `slot` is about to be changed in place.
    pub fn changing(&mut self, slot: usize) {
        if !self.changed.iter().any(|&(s, _)| s == slot) {
            self.changed.push((slot, 0));
        }
    }

    /// Notes that `slot`, changed in place, grew by an estimated `bytes`,
    /// and measures it now when it may have doubled since it was last
    /// measured (or grown past [`GROWTH_FLOOR`] from nothing) or when the
    /// growth of every changed variable may pass the memory budget: a value
    /// grown in place is charged before it can hold much more than it was
    /// charged for, parameters and locals of Snippet functions included.
    pub fn grew(&mut self, vars: &mut Slots, slot: usize, bytes: usize) -> Result<(), Bound> {
        let Some(i) = self.changed.iter().position(|&(s, _)| s == slot) else {
            return Ok(());
        };
        let entry = &mut self.changed[i].1;
        *entry = entry.saturating_add(bytes);
        self.growth = self.growth.saturating_add(bytes);
        let doubled = *entry >= self.sizes[slot].max(GROWTH_FLOOR);
        let over = self.memory.used.saturating_add(self.growth) > self.memory.budget;
        if doubled || over {
            self.settle_slot(vars, slot)?;
        }
        Ok(())
    }

    /// Takes a variable's value out for a Snippet function call (its
    /// parameters and locals reuse slots); its bytes stay charged while
    /// the call runs.
    pub fn save(&mut self, vars: &mut Slots, slot: usize) -> Result<(Option<Value>, usize), Bound> {
        self.settle_slot(vars, slot)?;
        let saved = (vars[slot].take(), self.sizes[slot]);
        self.sizes[slot] = 0;
        Ok(saved)
    }

    /// Puts back what [`Self::save`] took, freeing what the call left in the slot.
    pub fn restore(
        &mut self,
        vars: &mut Slots,
        slot: usize,
        (value, size): (Option<Value>, usize),
    ) {
        // Growth in place that was never settled was never charged either
        // (it was measured as it grew: see `grew`).
        if let Some(i) = self.changed.iter().position(|&(s, _)| s == slot) {
            let (_, grown) = self.changed.swap_remove(i);
            self.growth = self.growth.saturating_sub(grown);
        }
        self.memory.release(self.sizes[slot]);
        self.sizes[slot] = size;
        vars[slot] = value;
    }

    /// Measures every variable changed in place since the last settle and
    /// charges the difference. A variable grown past the size limits is
    /// emptied (it cannot be kept, and the old value is gone) and the
    /// statement fails; past the memory budget the run stops.
    pub fn settle(&mut self, vars: &mut Slots) -> Result<(), Bound> {
        self.settle_due = false;
        let mut first = Ok(());
        self.growth = 0;
        for (slot, _) in std::mem::take(&mut self.changed) {
            let settled = self.measure_slot(vars, slot);
            if first.is_ok() {
                first = settled;
            }
        }
        first
    }

    /// Measures `slot` if it changed in place since the last settle.
    fn settle_slot(&mut self, vars: &mut Slots, slot: usize) -> Result<(), Bound> {
        match self.changed.iter().position(|&(s, _)| s == slot) {
            Some(i) => {
                let (_, grown) = self.changed.swap_remove(i);
                self.growth = self.growth.saturating_sub(grown);
                self.measure_slot(vars, slot)
            }
            None => Ok(()),
        }
    }

    fn measure_slot(&mut self, vars: &mut Slots, slot: usize) -> Result<(), Bound> {
        let measured = vars[slot]
            .as_ref()
            .map_or(Ok(0), |v| self.limits.measure(v));
        match measured {
            Ok(new) => {
                self.memory
                    .replace(self.sizes[slot], new)
                    .map_err(Bound::Memory)?;
                self.sizes[slot] = new;
                Ok(())
            }
            Err(source) => {
                if let Some(v) = vars[slot].take() {
                    drop_iteratively(v);
                }
                self.memory.release(self.sizes[slot]);
                self.sizes[slot] = 0;
                Err(Bound::TooLarge {
                    variable: self.name(slot),
                    source,
                })
            }
        }
    }

    /// A variable as messages name it. Snippet functions keep their
    /// parameters and call results in hidden slots (`#f.x`, `#t1`).
    fn name(&self, slot: usize) -> String {
        let name = self.names.get(slot).map_or("", |n| &**n);
        match name.strip_prefix(crate::program::HIDDEN_PREFIX) {
            None => format!("`{name}`"),
            Some(hidden) => match hidden.split_once('.') {
                Some((function, local)) => format!("`{local}` in {function}()"),
                None => "a function's result".to_string(),
            },
        }
    }
}
