//! Running a subscript from a RunSub action: a new frame of variables on
//! the same run state.

use super::outcome::{Outcome, RunError, TraceStep};
use super::state::{SlotSizes, StoreError};
use super::suspend::ResumePoint;
use crate::action::ActionCall;
use crate::action::ActionError;
use crate::compile::PropSlot;
use crate::runtime::env::{RUN_STACK_BASE, RUN_STACK_PER_LEVEL};
use crate::runtime::Value;

impl ActionCall<'_> {
    /// Runs the subscript named by the action's Subscript property with
    /// `args` as p1, p2, ... (and the names of its Begin's Parameters), and
    /// returns what its Return action returned ("" when none ran). The
    /// subscript starts with the caller's `SecurityUser` and `_ERR`;
    /// variables it writes as `global:name` come back to the caller. A
    /// failure inside it is this action's failure; a limit or a cancellation
    /// ends the whole run.
    ///
    /// `Ok(None)`: the subscript waits (the run unwinds to return the wait)
    /// or the contact's end or an event took the run elsewhere.
    pub(crate) fn run_subscript(&mut self, args: Vec<Value>) -> Result<Option<Value>, ActionError> {
        let Some(unit) = self.action.properties.iter().find_map(|p| match p {
            PropSlot::Subscript(unit, _) => Some(*unit),
            _ => None,
        }) else {
            return Err(ActionError::failed("no subscript to run"));
        };
        let (root, caller) = (self.root, self.script);
        let sub = root.unit(unit);
        if self.state.depth >= self.env.limits.max_subscript_depth {
            let message = format!(
                "RunSub calls nest deeper than {} levels",
                self.env.limits.max_subscript_depth
            );
            return Err(self.stop_run(Outcome::Limit, message));
        }
        // A resumed run re-enters the subscript it waited in: its frame
        // comes back as it was (already counted against the memory budget
        // when the run resumed).
        if let Some(saved) = self
            .state
            .contact
            .as_mut()
            .and_then(|c| c.resume_frames.pop())
        {
            if saved.unit != unit {
                return Err(self.stop_run(
                    Outcome::Stopped,
                    "the paused run does not match this script's subscripts".into(),
                ));
            }
            let limits = self.state.limits;
            let sizes: SlotSizes = saved
                .vars
                .iter()
                .map(|v| v.as_ref().map_or(0, |v| limits.measure(v).unwrap_or(0)))
                .collect();
            let start = ResumePoint {
                action: saved.action,
                step: Some(saved.step),
            };
            return self.enter_subscript(
                unit,
                saved.vars,
                sizes,
                saved.counters.into(),
                Some(start),
            );
        }
        // The subscript's variables are counted against the run's memory
        // budget like the caller's (which it keeps meanwhile): a parameter
        // shared with the caller counts again, as every shared part does.
        let mut vars: Vec<Option<Value>> = vec![None; sub.var_names.len()];
        let mut sizes: SlotSizes = super::state::zeroed(sub.var_names.len());
        let (limits, memory) = (self.state.limits, &mut self.state.memory);
        let mut put = |name: &str, value: Value| -> Result<(), StoreError> {
            let Some(id) = sub.var_index.get(name) else {
                return Ok(());
            };
            let slot = id.0 as usize;
            let size = limits.measure(&value).map_err(|source| {
                StoreError::TooLarge(ActionError::OversizedResult {
                    variable: format!("{}:{name}", sub.label),
                    source,
                })
            })?;
            memory
                .replace(sizes[slot], size)
                .map_err(StoreError::Memory)?;
            sizes[slot] = size;
            vars[slot] = Some(value);
            Ok(())
        };
        let mut setup = Ok(());
        for (i, value) in args.into_iter().enumerate() {
            if let Some(name) = sub.param_names.get(i) {
                setup = setup.and_then(|()| put(name, value.clone()));
            }
            setup = setup.and_then(|()| put(&format!("p{}", i + 1), value));
        }
        let inherited = [crate::ERR_VARIABLE, "SecurityUser"];
        for name in inherited
            .iter()
            .copied()
            .chain(sub.global_names.iter().map(|n| &**n))
        {
            if let Some(Some(v)) = caller
                .var_index
                .get(name)
                .map(|id| self.state.vars[id.0 as usize].clone())
            {
                setup = setup.and_then(|()| put(name, v));
            }
        }
        if let Err(e) = setup {
            self.state.memory.release(sizes.iter().sum());
            return Err(match e {
                StoreError::TooLarge(e) => e,
                StoreError::Memory(m) => self.stop_run(Outcome::Limit, m.to_string()),
            });
        }
        let counters = super::state::zeroed(sub.actions.len());
        self.enter_subscript(unit, vars, sizes, counters, None)
    }

    /// Runs subscript `unit` in a new frame with these variables (from its
    /// start, or from where it waited), then puts the caller's frame back.
    fn enter_subscript(
        &mut self,
        unit: u32,
        vars: Vec<Option<Value>>,
        sizes: SlotSizes,
        counters: smallvec::SmallVec<[u64; 16]>,
        start: Option<ResumePoint>,
    ) -> Result<Option<Value>, ActionError> {
        let (root, caller) = (self.root, self.script);
        let sub = root.unit(unit);
        let caller_vars = std::mem::replace(&mut self.state.vars, vars);
        let caller_sizes = std::mem::replace(&mut self.state.sizes, sizes);
        let caller_counters = std::mem::replace(&mut self.state.counters, counters);
        // This RunSub's step comes before its subscript's steps everywhere:
        // its place in the trace is taken now (completed when the action
        // ends, with the branch it took), and the observers are told about
        // the subscript's steps after it.
        if let Some(trace) = self.state.trace.as_mut() {
            trace.push(TraceStep {
                step: self.step,
                action: self.action.id.clone(),
                action_type: self.action.type_name.clone(),
                caption: self.action.caption.clone(),
                branch: None,
                action_index: self.index,
                edge: None,
                output: Vec::new(),
                script: (!std::ptr::eq(root, caller)).then(|| caller.label.clone()),
                depth: self.state.depth,
            });
        }
        if self.state.observer.is_some() || self.state.change_observer.is_some() {
            self.state.deferred.push(Vec::new());
        }
        self.state.depth += 1;
        self.state.returned = None;
        let label = sub.label.clone();
        // Frames nest (up to max_subscript_depth): make sure this one has
        // the stack its deepest expression needs, as Engine::run does.
        let need = RUN_STACK_BASE + sub.max_expr_depth * RUN_STACK_PER_LEVEL;
        let (env, state) = (self.env, &mut *self.state);
        let end = stacker::maybe_grow(need, need + (1 << 20), || {
            env.run_frame(root, sub, unit, Some(&label), start, state)
        });
        self.state.depth -= 1;
        let sub_vars = std::mem::replace(&mut self.state.vars, caller_vars);
        let sub_sizes = std::mem::replace(&mut self.state.sizes, caller_sizes);
        self.state.counters = caller_counters;
        if end.outcome == Outcome::Waiting {
            // The subscript's frame (saved by its loop) keeps its variables;
            // the steps held back for this RunSub go to the observers now.
            if let Some(frame) = self
                .state
                .contact
                .as_mut()
                .and_then(|c| c.suspension.as_mut())
                .and_then(|s| s.frames.last_mut())
            {
                frame.vars = sub_vars;
            }
            self.state.flush_deferred_level();
            return Ok(None);
        }
        // The subscript's variables are gone; its globals come back to the
        // caller through the same limits as every other store.
        self.state.memory.release(sub_sizes.iter().sum());
        if self
            .state
            .contact
            .as_ref()
            .is_some_and(|c| c.divert.is_some())
            && end.outcome == Outcome::Completed
        {
            // The contact ended or an agent answered inside the subscript:
            // what it was doing is abandoned, its globals with it.
            return Ok(None);
        }
        let mut copied_back = Ok(());
        for name in sub.global_names.iter() {
            if let (Some(from), Some(to)) =
                (sub.var_index.get(&**name), caller.var_index.get(&**name))
            {
                if let Some(value) = sub_vars[from.0 as usize].clone() {
                    let stored = self.state.store(to.0 as usize, value, &caller.var_names);
                    copied_back = copied_back.and(stored);
                }
            }
        }
        let returned = self.state.returned.take();
        match (end.outcome, end.error, copied_back) {
            (Outcome::Completed, _, Err(StoreError::Memory(m))) => {
                Err(self.stop_run(Outcome::Limit, m.to_string()))
            }
            (Outcome::Completed, _, Err(StoreError::TooLarge(e))) => Err(e),
            (Outcome::Completed, _, Ok(())) => Ok(Some(returned.unwrap_or_else(Value::empty))),
            (Outcome::Stopped, Some(e), _) => Err(ActionError::Failed(format!(
                "subscript {label} stopped in {}: {}",
                e.action, e.message
            ))),
            (outcome, error, _) => {
                let mut error = error.unwrap_or_else(|| RunError {
                    action: label.to_string(),
                    message: "the subscript stopped".into(),
                    kind: Outcome::Limit,
                });
                // Stopped before the subscript's first action: this RunSub
                // is the action that was running.
                if end.last.is_none() {
                    error.action = match self.subscript() {
                        Some(caller) => format!("{caller}:{}", self.action.id),
                        None => self.action.id.to_string(),
                    };
                }
                error.kind = outcome;
                let message = error.message.clone();
                self.state.stop = Some(error);
                Err(ActionError::Failed(message))
            }
        }
    }
}
