//! The statement executor as an explicit-stack machine.
//!
//! A Snippet's whole execution state is one [`Machine`]: a stack of plain
//! [`Frame`]s plus the flow the frame on top just handed down. No Rust stack
//! frame holds interpreter state from one statement to the next, so a run
//! stops between two steps — at a REST request inside a FOR inside a
//! FUNCTION, say — keeps the machine, and goes on from there (`wait.rs`).
//!
//! The frames, bottom to top:
//! - [`Frame::Block`]: a block of statements and the position of the next
//!   one (the program's body, a function's body, a branch, a loop's body);
//! - [`Frame::Stmt`]: a statement part-way through, its [`Stage`] saying
//!   where: which expression it is evaluating and at which of that
//!   expression's lifted user-FUNCTION calls ("pre-call k"), the values it
//!   has computed so far (an assignment's value and index steps, a
//!   SWITCH's subject and the CASE it is at, a SELECT's CASE), or which
//!   iteration of a loop is running (FOR's counter, FOREACH's array,
//!   elements, current element and write-back, REPEAT's remaining count);
//! - [`Frame::Call`]: a user FUNCTION call, with the slots it saved (put
//!   back when it ends, error or not) and the slot its result goes to.
//!
//! A step pops the top frame. A block starts its next statement (the
//! statement's cost is ticked and the run's memory settled when due, as
//! before). A statement advances through its stages until it either ends
//! (its `Flow` goes to the frame below) or must wait: for a function call
//! (it pushes itself back, then the call and the function's body) or for a
//! block (a loop pushes itself back then its body; IF, SWITCH and SELECT
//! replace themselves with the branch taken, whose flow is theirs). A call
//! that ends puts its saved slots back and stores its result, and the
//! statement below goes on with its next pre-call. Function calls are at
//! most `MAX_CALL_DEPTH` deep and blocks nest at most `MAX_NESTING` deep,
//! so the stack is bounded as the recursion was.
//!
//! Frames point into the compiled program (`&Op`, `&[Op]`), which is
//! immutable and shared by every run of the script: those references stand
//! for positions. A waiting machine is written as indexes (which block of
//! the statement below, which statement) with the values the frames hold
//! (`pause.rs`); nothing else of the run lives outside the frames, the
//! variables and the run's bounds.
//!
//! A REST request is a lifted call too: the statement pushes itself back
//! past the request and the machine stops (`SnippetError::Suspended`,
//! through the error path, so that code that never waits pays nothing);
//! on resume the reply fills the call's slot and the statement goes on.

use super::{elements, rest, Exec, Flow, SnippetError, Step, Suspended, Vars};
use crate::runtime::eval::VarId;
use crate::runtime::ops::equals;
use crate::runtime::Value;
use crate::snippet::compile::MAX_CALL_DEPTH;
use crate::snippet::program::{CExpr, CStep, Callee, Case, Op, OpKind, UserFunction};

/// A value saved by a function call: the slot's value and charged size.
pub(super) type Saved = (Option<Value>, usize);

/// The executor's whole state (see the module documentation).
pub(super) struct Machine<'a> {
    /// The frames, innermost last.
    pub frames: Vec<Frame<'a>>,
    /// The flow the frame popped last ended with, for the frame below it;
    /// `None` when the frame below goes on (a call returned, a block began).
    pub ended: Option<Flow>,
    /// The FOREACH loops under way, innermost last (kept apart from the
    /// frames so that a frame stays small).
    pub loops: Vec<ForEachLoop>,
}

/// A FOREACH loop's values.
pub(super) struct ForEachLoop {
    /// The array as evaluated, kept to the loop's end (as the recursion
    /// kept it: it shares the array's elements). A paused loop does not
    /// keep it: nothing reads it.
    #[expect(dead_code, reason = "held for the references it keeps, never read")]
    pub source: Value,
    /// Its elements, each taken out as its iteration begins.
    pub items: Vec<Value>,
    /// The current element, as the iterator was set to.
    pub item: Value,
    /// How the current iteration's body ended.
    pub flow: Flow,
    /// The changed iterator being written back.
    pub now: Value,
}

/// One frame of the machine's stack.
pub(super) enum Frame<'a> {
    /// Statements run in order; `next` is the next one's position.
    Block { ops: &'a [Op], next: usize },
    /// A statement waiting at `stage` for the frames above it.
    Stmt { op: &'a Op, stage: Stage },
    /// A user FUNCTION call whose body runs above it; `saved` are its
    /// slots' values from before the call, `into` takes the result and
    /// `line` is the calling statement's.
    Call {
        func: &'a UserFunction,
        saved: Vec<Saved>,
        into: VarId,
        line: u32,
    },
}

/// Where a statement is. `k` is the next pre-call of the expression being
/// evaluated.
pub(super) enum Stage {
    /// The statement's first expression: ASSIGN's value, IF's condition,
    /// SWITCH's subject, FOR's start, FOREACH's array, REPEAT's count,
    /// RETURN's value, TRACE's text or a call statement's call.
    Expr { k: usize },
    /// ASSIGN: the target's index steps, `steps.len()` of them done.
    AssignIndex {
        value: Value,
        steps: Vec<Step>,
        k: usize,
    },
    /// SWITCH: the value of CASE `i`.
    SwitchCase { subject: Value, i: usize, k: usize },
    /// SELECT: the condition of CASE `i`.
    SelectCase { i: usize, k: usize },
    /// FOR: the end, the start known.
    ForEnd { from: i64, k: usize },
    /// FOR: the body running with the counter at `i`.
    ForBody { i: i64, to: i64, step: i64 },
    /// FOREACH: iteration `i` about to begin (the loop's values are the
    /// machine's innermost [`ForEachLoop`]).
    ForEachNext { i: usize },
    /// FOREACH: the body running with element `i`.
    ForEachBody { i: usize },
    /// FOREACH: writing a changed iterator back into the array, the
    /// write-back target's index steps being evaluated.
    WriteBack {
        i: usize,
        steps: Vec<Step>,
        k: usize,
    },
    /// FOREACH: iteration `i` done (with the loop's `flow`).
    ForEachAfter { i: usize },
    /// REPEAT: `left` more runs of the body to begin.
    RepeatNext { left: i64 },
    /// REPEAT: the body running, `left` more to come.
    RepeatBody { left: i64 },
}

/// An expression evaluated, or a user FUNCTION call begun in it. (A REST
/// request made in it is `SnippetError::Suspended`, the request in
/// `Exec::waiting`: the error path keeps this type, and the statements'
/// hot path, as they were.)
enum Progress<'a> {
    Value(Value),
    Call(Frame<'a>),
}

impl<'a> Exec<'a> {
    /// Ends a run of the machine: calls cut short by an error put back what
    /// they saved, and what the statements changed in place is charged.
    pub(super) fn finish(
        &mut self,
        ran: Result<Option<Suspended>, SnippetError>,
        mut machine: Machine<'a>,
        vars: &mut Vars,
    ) -> Result<Option<Suspended>, SnippetError> {
        if ran.is_err() {
            // Calls cut short put back what they saved, innermost first.
            while let Some(frame) = machine.frames.pop() {
                if let Frame::Call { func, saved, .. } = frame {
                    self.depth -= 1;
                    self.restore(func, saved, vars);
                }
            }
        }
        // Whatever happened, what the statements changed in place is
        // charged before the action ends (the first problem is reported).
        let settled = self.bounds.settle(vars);
        let line = self.bounds.line;
        ran.and_then(|r| settled.map(|()| r).map_err(|b| Self::bound(line, b)))
    }

    /// Steps the machine until its stack is empty.
    pub(super) fn drive(
        &mut self,
        m: &mut Machine<'a>,
        vars: &mut Vars,
    ) -> Result<(), SnippetError> {
        while let Some(top) = m.frames.last_mut() {
            if let Frame::Block { ops, next } = top {
                let ops: &'a [Op] = ops;
                let op = match m.ended.take() {
                    None | Some(Flow::Next) => ops.get(*next),
                    // BREAK or RETURN: the block ends with it.
                    flow => {
                        m.ended = flow;
                        None
                    }
                };
                let Some(op) = op else {
                    m.frames.pop();
                    m.ended = m.ended.take().or(Some(Flow::Next));
                    continue;
                };
                *next += 1;
                m.ended = self.begin(op, vars, &mut m.frames, &mut m.loops)?;
                continue;
            }
            match m.frames.pop() {
                Some(Frame::Stmt { op, stage }) => {
                    let ended = m.ended.take();
                    m.ended = self.advance(op, stage, ended, vars, &mut m.frames, &mut m.loops)?;
                }
                Some(Frame::Call {
                    func,
                    saved,
                    into,
                    line,
                }) => {
                    self.depth -= 1;
                    self.restore(func, saved, vars);
                    let result = match m.ended.take() {
                        Some(Flow::Return(v)) => v,
                        _ => Value::empty(),
                    };
                    self.put(vars, into, Some(result), line)?;
                }
                Some(Frame::Block { .. }) | None => unreachable!("blocks are stepped in place"),
            }
        }
        Ok(())
    }

    fn restore(&mut self, func: &UserFunction, saved: Vec<Saved>, vars: &mut Vars) {
        for (id, s) in func.saved.iter().zip(saved) {
            self.bounds.restore(vars, id.0 as usize, s);
        }
    }

    /// Starts a statement: its cost, then its first stage.
    fn begin(
        &mut self,
        op: &'a Op,
        vars: &mut Vars,
        frames: &mut Vec<Frame<'a>>,
        loops: &mut Vec<ForEachLoop>,
    ) -> Result<Option<Flow>, SnippetError> {
        let line = op.line;
        self.tick(line, 1)?;
        if self.bounds.settle_due() {
            self.bounds.settle(vars).map_err(|b| Self::bound(line, b))?;
        }
        let stage = match &op.kind {
            OpKind::Break => return Ok(Some(Flow::Break)),
            OpKind::Dynamic(names) => {
                for id in names.iter() {
                    self.put(vars, *id, Some(Value::Object(Default::default())), line)?;
                }
                return Ok(Some(Flow::Next));
            }
            OpKind::Return(value) => {
                self.hit(op, 0);
                if value.is_none() {
                    return Ok(Some(Flow::Return(Value::empty())));
                }
                Stage::Expr { k: 0 }
            }
            OpKind::Select { .. } => Stage::SelectCase { i: 0, k: 0 },
            _ => Stage::Expr { k: 0 },
        };
        self.advance(op, stage, None, vars, frames, loops)
    }

    /// Evaluates `e` from pre-call `*k` on. A pre-call begins a call (the
    /// frame returned); the statement comes back for pre-call `*k` then.
    fn expr(
        &mut self,
        e: &'a CExpr,
        k: &mut usize,
        vars: &mut Vars,
        line: u32,
    ) -> Result<Progress<'a>, SnippetError> {
        if let Some(call) = e.pre.get(*k) {
            *k += 1;
            let args = call
                .args
                .iter()
                .map(|a| self.eval_code(a, vars, line))
                .collect::<Result<Vec<_>, _>>()?;
            let func = match call.callee {
                Callee::Function(func) => func,
                Callee::Request { .. } => {
                    self.tick(line, 1)?;
                    let request = rest::request(&args).map_err(|m| Self::fail(line, m))?;
                    self.waiting = Some(Box::new(request));
                    return Err(SnippetError::Suspended);
                }
            };
            let user_functions: &'a [UserFunction] = self.user_functions;
            let func = &user_functions[func as usize];
            return self
                .enter(func, args, call.into, vars, line)
                .map(Progress::Call);
        }
        self.eval_code(&e.code, vars, line).map(Progress::Value)
    }

    /// Begins a call of `func`: its cost, the depth bound, its slots saved
    /// and its parameters set.
    fn enter(
        &mut self,
        func: &'a UserFunction,
        args: Vec<Value>,
        into: VarId,
        vars: &mut Vars,
        line: u32,
    ) -> Result<Frame<'a>, SnippetError> {
        self.tick(line, 1)?;
        if self.depth >= MAX_CALL_DEPTH {
            return Err(SnippetError::Limit {
                line,
                message: format!(
                    "{}() calls nest deeper than {} levels",
                    func.name, MAX_CALL_DEPTH
                ),
            });
        }
        let mut saved = Vec::with_capacity(func.saved.len());
        for id in func.saved.iter() {
            match self.bounds.save(vars, id.0 as usize) {
                Ok(s) => saved.push(s),
                Err(b) => {
                    self.restore(func, saved, vars);
                    return Err(Self::bound(line, b));
                }
            }
        }
        for (slot, value) in func.params.iter().zip(args) {
            if let Err(e) = self.put(vars, *slot, Some(value), line) {
                self.restore(func, saved, vars);
                return Err(e);
            }
        }
        self.depth += 1;
        Ok(Frame::Call {
            func,
            saved,
            into,
            line,
        })
    }

    /// Takes a statement from `stage` as far as it goes: `Some(flow)` when
    /// it ended, `None` when it pushed itself back under what it waits for.
    /// `ended` is the flow of the block it waited for, if any.
    fn advance(
        &mut self,
        op: &'a Op,
        mut stage: Stage,
        mut ended: Option<Flow>,
        vars: &mut Vars,
        frames: &mut Vec<Frame<'a>>,
        loops: &mut Vec<ForEachLoop>,
    ) -> Result<Option<Flow>, SnippetError> {
        let line = op.line;
        // Evaluates `$e` from pre-call `$k`; when a call begins, the
        // statement waits at `$wait` (which reads the advanced `$k`).
        macro_rules! eval {
            ($e:expr, $k:ident, $wait:expr) => {
                match self.expr($e, &mut $k, vars, line) {
                    Ok(Progress::Value(v)) => v,
                    Ok(Progress::Call(call)) => {
                        let body: &'a [Op] = match &call {
                            Frame::Call { func, .. } => &func.body,
                            _ => unreachable!("expr begins calls only"),
                        };
                        frames.push(Frame::Stmt { op, stage: $wait });
                        frames.push(call);
                        frames.push(Frame::Block { ops: body, next: 0 });
                        return Ok(None);
                    }
                    // The run waits: the statement stays on the stack,
                    // past the request, until the reply comes.
                    Err(SnippetError::Suspended) => {
                        frames.push(Frame::Stmt { op, stage: $wait });
                        return Err(SnippetError::Suspended);
                    }
                    Err(e) => return Err(e),
                }
            };
        }
        // Waits for `$body` with the statement at `$wait`.
        macro_rules! run_body {
            ($body:expr, $wait:expr) => {{
                frames.push(Frame::Stmt { op, stage: $wait });
                frames.push(Frame::Block {
                    ops: $body,
                    next: 0,
                });
                return Ok(None);
            }};
        }
        loop {
            stage = match (&op.kind, stage) {
                (OpKind::Assign { target, value }, Stage::Expr { mut k }) => {
                    let v = eval!(value, k, Stage::Expr { k });
                    self.check_stored(&v, line)?;
                    Stage::AssignIndex {
                        value: v,
                        steps: Vec::with_capacity(target.path.len()),
                        k: 0,
                    }
                }
                (
                    OpKind::Assign { target, .. },
                    Stage::AssignIndex {
                        value,
                        mut steps,
                        mut k,
                    },
                ) => {
                    // Index values are computed before the variable is taken apart.
                    while let Some(s) = target.path.get(steps.len()) {
                        let step = match s {
                            CStep::Member(m) => Step::Member(m.clone()),
                            CStep::Index(e) => {
                                let v = eval!(e, k, Stage::AssignIndex { value, steps, k });
                                k = 0;
                                Step::Index(v)
                            }
                        };
                        steps.push(step);
                    }
                    self.store(target.var, &steps, value, vars, line)?;
                    return Ok(Some(Flow::Next));
                }
                (
                    OpKind::If {
                        cond,
                        then,
                        otherwise,
                    },
                    Stage::Expr { mut k },
                ) => {
                    let v = eval!(cond, k, Stage::Expr { k });
                    let (branch, arm) = if self.truth(v, line)? {
                        (then, 0)
                    } else {
                        (otherwise, 1)
                    };
                    self.hit(op, arm);
                    return Ok(branch_taken(frames, branch));
                }
                (OpKind::Switch { subject, .. }, Stage::Expr { mut k }) => {
                    let subject = eval!(subject, k, Stage::Expr { k });
                    Stage::SwitchCase {
                        subject,
                        i: 0,
                        k: 0,
                    }
                }
                (
                    OpKind::Switch { cases, default, .. },
                    Stage::SwitchCase {
                        subject,
                        mut i,
                        mut k,
                    },
                ) => {
                    while let Some(case) = cases.get(i) {
                        let v = eval!(&case.label, k, Stage::SwitchCase { subject, i, k });
                        if equals(&subject, &v) {
                            self.hit(op, i as u32);
                            return Ok(branch_taken(frames, Case::body_of(cases, i)));
                        }
                        i += 1;
                        k = 0;
                    }
                    self.hit(op, cases.len() as u32);
                    return Ok(default_taken(frames, default.as_deref()));
                }
                (OpKind::Select { cases, default }, Stage::SelectCase { mut i, mut k }) => {
                    while let Some(case) = cases.get(i) {
                        let v = eval!(&case.label, k, Stage::SelectCase { i, k });
                        if self.truth(v, line)? {
                            self.hit(op, i as u32);
                            return Ok(branch_taken(frames, Case::body_of(cases, i)));
                        }
                        i += 1;
                        k = 0;
                    }
                    self.hit(op, cases.len() as u32);
                    return Ok(default_taken(frames, default.as_deref()));
                }
                (OpKind::For { start, .. }, Stage::Expr { mut k }) => {
                    let v = eval!(start, k, Stage::Expr { k });
                    let from = self.whole(&v, line, "FOR's start")?;
                    Stage::ForEnd { from, k: 0 }
                }
                (OpKind::For { var, end, body, .. }, Stage::ForEnd { from, mut k }) => {
                    let v = eval!(end, k, Stage::ForEnd { from, k });
                    let to = self.whole(&v, line, "FOR's end")?;
                    let step: i64 = if to < from { -1 } else { 1 };
                    self.hit(op, 0);
                    // Studio: the body runs at least once, counting down when end < start.
                    self.tick(line, 1)?;
                    self.put(vars, *var, Some(Value::Number(from as f64)), line)?;
                    run_body!(body, Stage::ForBody { i: from, to, step })
                }
                (OpKind::For { var, body, .. }, Stage::ForBody { i, to, step }) => {
                    match ended.take() {
                        Some(Flow::Next) => {}
                        Some(Flow::Break) => return Ok(Some(Flow::Next)),
                        ret => return Ok(ret),
                    }
                    if i == to {
                        return Ok(Some(Flow::Next));
                    }
                    let i = i + step;
                    self.tick(line, 1)?;
                    self.put(vars, *var, Some(Value::Number(i as f64)), line)?;
                    run_body!(body, Stage::ForBody { i, to, step })
                }
                (OpKind::ForEach { array, .. }, Stage::Expr { mut k }) => {
                    let source = eval!(array, k, Stage::Expr { k });
                    let items = elements(&source).map_err(|m| Self::fail(line, m))?;
                    self.hit(op, u32::from(items.is_empty()));
                    loops.push(ForEachLoop {
                        source,
                        items,
                        item: Value::Null,
                        flow: Flow::Next,
                        now: Value::Null,
                    });
                    Stage::ForEachNext { i: 0 }
                }
                (OpKind::ForEach { var, body, .. }, Stage::ForEachNext { i }) => {
                    let lp = innermost(loops);
                    let Some(slot) = lp.items.get_mut(i) else {
                        // Studio: the iterator exists only inside the loop.
                        self.put(vars, *var, None, line)?;
                        loops.pop();
                        return Ok(Some(Flow::Next));
                    };
                    lp.item = std::mem::take(slot);
                    let item = lp.item.clone();
                    self.tick(line, 1)?;
                    self.put(vars, *var, Some(item), line)?;
                    run_body!(body, Stage::ForEachBody { i })
                }
                (
                    OpKind::ForEach {
                        var, write_back, ..
                    },
                    Stage::ForEachBody { i },
                ) => {
                    let lp = innermost(loops);
                    lp.flow = ended.take().unwrap_or(Flow::Next);
                    // A changed iterator is written back into the array.
                    match (write_back, vars[var.0 as usize].clone()) {
                        (Some(target), Some(now)) if !now.deep_eq(&lp.item) => {
                            lp.now = now;
                            Stage::WriteBack {
                                i,
                                steps: Vec::with_capacity(target.path.len() + 1),
                                k: 0,
                            }
                        }
                        _ => Stage::ForEachAfter { i },
                    }
                }
                (
                    OpKind::ForEach {
                        write_back: Some(target),
                        ..
                    },
                    Stage::WriteBack {
                        i,
                        mut steps,
                        mut k,
                    },
                ) => {
                    while let Some(s) = target.path.get(steps.len()) {
                        let step = match s {
                            CStep::Member(m) => Step::Member(m.clone()),
                            CStep::Index(e) => {
                                let v = eval!(e, k, Stage::WriteBack { i, steps, k });
                                k = 0;
                                Step::Index(v)
                            }
                        };
                        steps.push(step);
                    }
                    let now = std::mem::take(&mut innermost(loops).now);
                    self.write_element(target, i, now, steps, vars, line)?;
                    Stage::ForEachAfter { i }
                }
                (OpKind::ForEach { var, .. }, Stage::ForEachAfter { i }) => {
                    let lp = innermost(loops);
                    lp.item = Value::Null;
                    match std::mem::replace(&mut lp.flow, Flow::Next) {
                        Flow::Next => Stage::ForEachNext { i: i + 1 },
                        flow => {
                            self.put(vars, *var, None, line)?;
                            loops.pop();
                            return Ok(Some(match flow {
                                Flow::Break => Flow::Next,
                                ret => ret,
                            }));
                        }
                    }
                }
                (OpKind::Repeat { count, .. }, Stage::Expr { mut k }) => {
                    let v = eval!(count, k, Stage::Expr { k });
                    let n = self.whole(&v, line, "REPEAT's count")?;
                    if n < 0 {
                        return Err(Self::fail(
                            line,
                            format!("REPEAT's count must be 0 or more, got {n}"),
                        ));
                    }
                    self.hit(op, u32::from(n == 0));
                    Stage::RepeatNext { left: n }
                }
                (OpKind::Repeat { body, .. }, Stage::RepeatNext { left }) => {
                    if left == 0 {
                        return Ok(Some(Flow::Next));
                    }
                    self.tick(line, 1)?;
                    run_body!(body, Stage::RepeatBody { left: left - 1 })
                }
                (OpKind::Repeat { .. }, Stage::RepeatBody { left }) => match ended.take() {
                    Some(Flow::Next) => Stage::RepeatNext { left },
                    Some(Flow::Break) => return Ok(Some(Flow::Next)),
                    ret => return Ok(ret),
                },
                (OpKind::Return(Some(e)), Stage::Expr { mut k }) => {
                    let v = eval!(e, k, Stage::Expr { k });
                    return Ok(Some(Flow::Return(v)));
                }
                (OpKind::Trace(e), Stage::Expr { mut k }) => {
                    let v = eval!(e, k, Stage::Expr { k });
                    self.trace_text(&v);
                    return Ok(Some(Flow::Next));
                }
                (OpKind::Save { value, written }, Stage::Expr { mut k }) => {
                    let v = eval!(value, k, Stage::Expr { k });
                    self.save(written, &v);
                    return Ok(Some(Flow::Next));
                }
                (OpKind::Call(e), Stage::Expr { mut k }) => {
                    eval!(e, k, Stage::Expr { k });
                    return Ok(Some(Flow::Next));
                }
                _ => unreachable!("a statement's stage is one of its own"),
            };
        }
    }
}

/// The innermost FOREACH loop's values.
fn innermost(loops: &mut [ForEachLoop]) -> &mut ForEachLoop {
    loops.last_mut().expect("a FOREACH stage has its loop")
}

/// IF, SWITCH and SELECT become the branch they take: its flow is theirs.
fn branch_taken<'a>(frames: &mut Vec<Frame<'a>>, body: &'a [Op]) -> Option<Flow> {
    frames.push(Frame::Block { ops: body, next: 0 });
    None
}

/// The DEFAULT of a SWITCH or SELECT no CASE matched, if it has one.
fn default_taken<'a>(frames: &mut Vec<Frame<'a>>, default: Option<&'a [Op]>) -> Option<Flow> {
    match default {
        Some(body) => branch_taken(frames, body),
        None => Some(Flow::Next),
    }
}
