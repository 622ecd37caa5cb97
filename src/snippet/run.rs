//! The Snippet action's one seam into the run: [`SnippetRun`], handed out
//! by `ActionCall::snippet`. The action sees nothing of the run but this.

use std::cell::RefCell;
use std::sync::Arc;

use super::bounds::SnippetBounds;
use super::exec::{Exec, SnippetError};
use super::program::{Program, UserFunction};
use crate::runtime::env::RunEnv;
use crate::runtime::executor::RunState;
use crate::runtime::functions::FunctionContext;
use crate::runtime::limits::Pacer;

/// One Snippet action's code, ready to run against the run's variables.
pub(crate) struct SnippetRun<'a> {
    pub(crate) program: &'a Program,
    pub(crate) user_functions: &'a [UserFunction],
    /// The script's variable names, for messages.
    pub(crate) var_names: &'a [Arc<str>],
    pub(crate) env: &'a RunEnv,
    pub(crate) state: &'a mut RunState,
}

impl SnippetRun<'_> {
    /// Runs the code, its strings bounded by MaxStringSize (`max_string`
    /// bytes, named `max_string_name` in messages) and the run's budgets.
    pub(crate) fn run(self, max_string: usize, max_string_name: &str) -> Result<(), SnippetError> {
        let SnippetRun {
            program,
            user_functions,
            var_names,
            env,
            state,
        } = self;
        let limits = state.limits;
        let mut budget = state.snippet_budget;
        let mut exec = Exec {
            functions: &env.functions,
            user_functions,
            limits,
            context: FunctionContext::new(
                match state
                    .contact
                    .as_ref()
                    .and_then(|c| c.virtual_clock.as_ref())
                {
                    Some(clock) => clock,
                    None => &*env.clock,
                },
                state.time_zone,
            )
            .with_max_string_bytes(limits.max_string_bytes),
            budget: &mut budget,
            budget_limit: env.limits.max_snippet_statements,
            max_string: max_string.min(env.limits.max_string_bytes),
            max_string_name,
            trace: state.trace_output.as_mut(),
            scratch: RefCell::new(String::new()),
            depth: 0,
            pacer: Pacer::new(&*env.clock, state.deadline, state.cancel.clone()),
            hits: state.counts.as_mut().map(|c| &mut c.snippet),
            // The run's bounds, shared with every action and RunSub frame.
            bounds: SnippetBounds::new(
                limits,
                &mut state.memory,
                &mut state.sizes,
                var_names,
                &*env.clock,
                state.deadline,
                state.cancel.as_ref(),
            ),
        };
        let result = exec.run(program, &mut state.vars);
        state.snippet_budget = budget;
        result
    }
}
