//! The Snippet action's one seam into the run: [`SnippetRun`], handed out
//! by `ActionCall::snippet`. The action sees nothing of the run but this.

use std::cell::RefCell;
use std::sync::Arc;

use super::bounds::SnippetBounds;
use super::exec::{Exec, RestReply, SnippetError, Suspended};
use super::program::{Program, UserFunction};
use crate::runtime::contact::TranscriptLog;
use crate::runtime::env::RunEnv;
use crate::runtime::executor::RunState;
use crate::runtime::functions::FunctionContext;
use crate::runtime::limits::Pacer;
use crate::runtime::pause::values::UserToken;
use crate::runtime::value::SecurityUser;
use crate::runtime::Value;

/// One Snippet action's code, ready to run against the run's variables.
pub(crate) struct SnippetRun<'a> {
    pub(crate) program: &'a Program,
    pub(crate) user_functions: &'a [UserFunction],
    /// The script's variable names, for messages.
    pub(crate) var_names: &'a [Arc<str>],
    pub(crate) env: &'a RunEnv,
    pub(crate) state: &'a mut RunState,
    /// The step and the action (`subscript:action` inside a RunSub) that
    /// transcript entries of `.savetodb()` name.
    pub(crate) step: u64,
    pub(crate) action: Arc<str>,
}

impl SnippetRun<'_> {
    /// Runs the code, its strings bounded by MaxStringSize (`max_string`
    /// bytes, named `max_string_name` in messages) and the run's budgets.
    /// `Some` when it waits for the reply to a REST request.
    pub(crate) fn run(
        self,
        max_string: usize,
        max_string_name: &str,
    ) -> Result<Option<Suspended>, SnippetError> {
        self.with_exec(max_string, max_string_name, |exec, program, vars| {
            exec.run(program, vars)
        })
    }

    /// Goes on with code that waited for a REST reply: `memo` is what
    /// [`SnippetRun::run`] returned, `answer` the reply (or why the request
    /// failed). The security users the waiting code held are issued again
    /// by this run, from the permission model as it is now (as the run's
    /// variables are): a pause never carries privileges.
    pub(crate) fn resume(
        self,
        max_string: usize,
        max_string_name: &str,
        memo: &serde_json::Value,
        answer: Result<RestReply, String>,
    ) -> Result<Option<Suspended>, SnippetError> {
        let (env, run_id) = (self.env, self.state.run_id);
        let mut user = |u: UserToken<'_>| {
            let tz = u.time_zone.parse().unwrap_or(crate::tz::Tz::UTC);
            match SecurityUser::placeholder(u.agent_id, u.user_name, tz) {
                Value::SecurityUser(held) => {
                    Value::SecurityUser(held.reissue(run_id, &env.directory))
                }
                other => other,
            }
        };
        self.with_exec(max_string, max_string_name, |exec, program, vars| {
            exec.resume(program, vars, memo, answer, &mut user)
        })
    }

    /// Calls `f` with an executor over the run (and the program it runs).
    fn with_exec<R>(
        self,
        max_string: usize,
        max_string_name: &str,
        f: impl for<'e> FnOnce(&mut Exec<'e>, &'e Program, &mut Vec<Option<Value>>) -> R,
    ) -> R {
        let SnippetRun {
            program,
            user_functions,
            var_names,
            env,
            state,
            step,
            action,
        } = self;
        let at = state.elapsed();
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
            waiting: None,
            saved: TranscriptLog::default(),
            saving_as: (step, action, at),
        };
        let result = f(&mut exec, program, &mut state.vars);
        let saved = std::mem::take(&mut exec.saved);
        drop(exec);
        // Written back whatever happened, a wait included: the statement
        // budget counts across resumes.
        state.snippet_budget = budget;
        // What was saved before a failure or a wait was saved all the same.
        let (entries, omitted) = saved.finish();
        if !entries.is_empty() {
            let transcript = &mut state.contact_run().transcript;
            for entry in entries {
                transcript.push(entry);
            }
            transcript.omitted += omitted;
        }
        result
    }
}
