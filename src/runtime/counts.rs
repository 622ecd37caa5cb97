//! What a traced run counts for coverage: how often each action ran and
//! each written branch was taken, per unit of the call graph, and how often
//! each arm of a branching Snippet statement was taken. Unlike the trace
//! (bounded to its first and last 1,000 steps) the counts cover every step.

use std::collections::HashMap;

/// Hit counts of one run, collected when [`crate::RunOptions::trace`] is
/// on ([`crate::Run::counts`]). Coverage reads them
/// ([`crate::testing::Coverage::record`]).
///
/// ```
/// let e = studioflow::Engine::new();
/// let s = e.compile("start: Begin { Default -> a }\na: Assign { Variable = n Value = 1 Default -> a }", "l").unwrap();
/// let run = e.run(&s, studioflow::RunOptions::default().trace(true).max_steps(5_000));
/// let counts = run.counts.unwrap();
/// // Unit 0 (the script run), action 1 (`a`): every execution, though the trace keeps 2,000 steps.
/// assert_eq!(counts.action_hits(0, 1), 4_999);
/// assert_eq!(counts.branch_hits(0, 1, 0), 4_999); // its Default, back to itself
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunCounts {
    /// Executions per unit, per action (index in the unit's flow).
    actions: Vec<Vec<u64>>,
    /// Written branches taken: (unit, action, branch index in the flow).
    branches: HashMap<(u32, u32, u32), u64>,
    /// Arms of Snippet statements taken, by statement identity and arm.
    pub(crate) snippet: SnippetHits,
}

/// Arms of branching Snippet statements taken, keyed by the compiled
/// statement's address (stable while its script lives) and the arm.
pub(crate) type SnippetHits = HashMap<(usize, u32), u64>;

impl RunCounts {
    /// How often action `action` of unit `unit` ran.
    ///
    /// See the example on [`RunCounts`].
    pub fn action_hits(&self, unit: usize, action: usize) -> u64 {
        self.actions
            .get(unit)
            .and_then(|a| a.get(action))
            .copied()
            .unwrap_or(0)
    }

    /// How often written branch `branch` (index in the action's
    /// [`crate::FlowAction::branches`]) of action `action` of unit `unit`
    /// was taken.
    ///
    /// See the example on [`RunCounts`].
    pub fn branch_hits(&self, unit: usize, action: usize, branch: usize) -> u64 {
        let key = (unit as u32, action as u32, branch as u32);
        self.branches.get(&key).copied().unwrap_or(0)
    }

    /// Counts one executed action and the written branch it took.
    pub(crate) fn step(&mut self, unit: u32, action: usize, actions: usize, edge: Option<u32>) {
        let unit_index = unit as usize;
        if self.actions.len() <= unit_index {
            self.actions.resize_with(unit_index + 1, Vec::new);
        }
        let counts = &mut self.actions[unit_index];
        if counts.len() < actions {
            counts.resize(actions, 0);
        }
        if let Some(n) = counts.get_mut(action) {
            *n += 1;
        }
        if let Some(edge) = edge {
            *self
                .branches
                .entry((unit, action as u32, edge))
                .or_insert(0) += 1;
        }
    }

    /// How often arm `arm` of the Snippet statement at `key` was taken.
    pub(crate) fn snippet_hits(&self, key: usize, arm: u32) -> u64 {
        self.snippet.get(&(key, arm)).copied().unwrap_or(0)
    }
}

impl RunCounts {
    /// Adds another run's counts (a resumed run's, for a contact simulated
    /// across its waits).
    pub(crate) fn absorb(&mut self, other: RunCounts) {
        if self.actions.len() < other.actions.len() {
            self.actions.resize_with(other.actions.len(), Vec::new);
        }
        for (mine, theirs) in self.actions.iter_mut().zip(other.actions) {
            if mine.len() < theirs.len() {
                mine.resize(theirs.len(), 0);
            }
            for (m, t) in mine.iter_mut().zip(theirs) {
                *m += t;
            }
        }
        for (key, n) in other.branches {
            *self.branches.entry(key).or_insert(0) += n;
        }
        for (key, n) in other.snippet {
            *self.snippet.entry(key).or_insert(0) += n;
        }
    }
}
