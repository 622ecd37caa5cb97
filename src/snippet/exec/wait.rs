//! Running a snippet, and going on with one that waited for a REST reply:
//! the entry points around the machine (`machine.rs`) and its memo
//! (`pause.rs`).

use std::sync::Arc;

use super::machine::{Frame, Machine};
use super::{pause, rest, Exec, RestReply, SnippetError, Step, Suspended, Vars};
use crate::runtime::eval::VarId;
use crate::runtime::pause::values::UserToken;
use crate::runtime::Value;
use crate::snippet::program::{CStep, CTarget, Program};

impl<'a> Exec<'a> {
    /// Runs a whole snippet: `Some` when it waits for the reply to a
    /// REST request (the machine is in the memo; see [`Exec::resume`]).
    pub fn run(
        &mut self,
        program: &'a Program,
        vars: &mut Vars,
    ) -> Result<Option<Suspended>, SnippetError> {
        let mut machine = Machine {
            frames: Vec::with_capacity(8),
            ended: None,
            loops: Vec::new(),
        };
        machine.frames.push(Frame::Block {
            ops: &program.body,
            next: 0,
        });
        self.go(machine, program, vars)
    }

    /// Goes on with a snippet that waited for a REST reply: the machine
    /// rebuilt from `memo` (against the same compiled program), the reply
    /// (or why the request failed) handed to the waiting statement.
    /// `user` issues the security users the machine held again.
    pub fn resume(
        &mut self,
        program: &'a Program,
        vars: &mut Vars,
        memo: &serde_json::Value,
        answer: Result<RestReply, String>,
        user: &mut dyn FnMut(UserToken<'_>) -> Value,
    ) -> Result<Option<Suspended>, SnippetError> {
        let mut machine = pause::decode(memo, program, self.user_functions, vars.len(), user)
            .map_err(|why| SnippetError::Resume(format!("its saved state is refused: {why}")))?;
        self.depth = machine
            .frames
            .iter()
            .filter(|f| matches!(f, Frame::Call { .. }))
            .count();
        // What the calls under way saved is charged again, as the run's
        // variables are.
        let limits = self.limits;
        let mut held = 0usize;
        for frame in &mut machine.frames {
            if let Frame::Call { saved, .. } = frame {
                for (value, size) in saved.iter_mut() {
                    *size = value.as_ref().map_or(0, |v| limits.measure(v).unwrap_or(0));
                    held = held.saturating_add(*size);
                }
            }
        }
        let Some(&Frame::Stmt { op, ref stage }) = machine.frames.last() else {
            return Err(SnippetError::Resume("no statement waits".into()));
        };
        let line = op.line;
        let charged = self.bounds.memory.replace(0, held);
        let answered = match (charged, answer) {
            (Err(m), _) => Err(SnippetError::Limit {
                line,
                message: m.to_string(),
            }),
            (Ok(()), Err(why)) => Err(Self::fail(line, format!("MakeRestRequest() failed: {why}"))),
            (Ok(()), Ok(reply)) => match pause::pending_request(op, stage) {
                Some((into, proxy)) => self.answer(into, proxy, reply, vars, line),
                None => Err(SnippetError::Resume("no REST request waits".into())),
            },
        };
        match answered {
            Ok(()) => self.go(machine, program, vars),
            Err(e) => self.finish(Err(e), machine, vars),
        }
    }

    /// Hands a REST reply to the statement that waits for it: the result
    /// into the call's slot, the status into the proxy.
    fn answer(
        &mut self,
        into: VarId,
        proxy: &CTarget,
        reply: RestReply,
        vars: &mut Vars,
        line: u32,
    ) -> Result<(), SnippetError> {
        self.put(vars, into, Some(reply.result), line)?;
        let mut steps = Vec::with_capacity(proxy.path.len() + 1);
        for step in proxy.path.iter() {
            match step {
                CStep::Member(m) => steps.push(Step::Member(m.clone())),
                CStep::Index(_) => return Err(Self::fail(line, "the proxy is not a variable")),
            }
        }
        steps.push(Step::Member(Arc::from(rest::STATUS_CODE)));
        let code = Value::Number(f64::from(reply.status));
        self.store(proxy.var, &steps, code, vars, line)?;
        steps.pop();
        steps.push(Step::Member(Arc::from(rest::STATUS_DESCRIPTION)));
        let description = Value::from(reply.description);
        self.store(proxy.var, &steps, description, vars, line)
    }

    /// Steps `machine` to its end, or to a REST request it waits for.
    fn go(
        &mut self,
        mut machine: Machine<'a>,
        program: &'a Program,
        vars: &mut Vars,
    ) -> Result<Option<Suspended>, SnippetError> {
        // Expressions nest at most MAX_NESTING deep and are evaluated from
        // this one depth; grow the stack instead of trusting the host thread's.
        let ran = stacker::maybe_grow(64 * 1024, 1024 * 1024, || self.drive(&mut machine, vars));
        let ran = match ran {
            Ok(()) => Ok(None),
            Err(SnippetError::Suspended) => self.suspend(&machine, program, vars).map(Some),
            Err(e) => Err(e),
        };
        self.finish(ran, machine, vars)
    }

    /// The machine, waiting for `self.waiting`, as a memo (what the
    /// statements changed in place charged first).
    fn suspend(
        &mut self,
        machine: &Machine<'a>,
        program: &'a Program,
        vars: &mut Vars,
    ) -> Result<Suspended, SnippetError> {
        let line = self.bounds.line;
        self.bounds.settle(vars).map_err(|b| Self::bound(line, b))?;
        let request = self
            .waiting
            .take()
            .ok_or_else(|| SnippetError::Resume("no request to wait for".into()))?;
        let memo = pause::encode(machine, program, self.user_functions)
            .map_err(|why| Self::fail(line, format!("the Snippet cannot wait here: {why}")))?;
        Ok(Suspended {
            request: *request,
            memo,
        })
    }
}
