//! A waiting machine as JSON, and back (the memo of a paused Snippet).
//!
//! Frames point into the compiled program; the memo writes them as
//! positions relative to the frame below, bottom first:
//! - `{"block": c, "next": n}`: a block whose statement `n - 1` is under
//!   way. The bottom block is the snippet's body and a block above a call
//!   is the function's body (`c` = 0); a block above a block is branch `c`
//!   of the statement under way below (IF: 0 then, 1 else; SWITCH and
//!   SELECT: CASE `c`, or DEFAULT after the last CASE); a block above a
//!   statement is the loop's body (`c` = 0).
//! - `{"stmt": {...}}`: the statement under way in the block below, at a
//!   stage (`"at"`, with the stage's numbers and values).
//! - `{"call": [saved...]}`: a call of the user FUNCTION the statement
//!   below calls at its stage, with the slots it saved.
//!
//! FOREACH loops under way follow (`"loops"`). Values are the pause's flat
//! tokens (`runtime::pause::values`). Reading checks every position
//! against the program and every stage against its statement, so a memo
//! that does not fit gives an error, never a panic.

use serde_json::{json, Value as J};

use super::machine::{ForEachLoop, Frame, Machine, Saved, Stage};
use super::{Flow, Step};
use crate::runtime::eval::VarId;
use crate::runtime::pause::values::{decode as decode_value, encode as encode_value, UserToken};
use crate::runtime::Value;
use crate::snippet::program::{CExpr, CStep, CTarget, Callee, Op, OpKind, Program, UserFunction};

/// The memo's own version, checked on resume.
const MEMO_VERSION: u64 = 1;

/// Branch `c` of an IF, SWITCH or SELECT.
fn branch(op: &Op, c: usize) -> Option<&[Op]> {
    match &op.kind {
        OpKind::If {
            then, otherwise, ..
        } => [&**then, &**otherwise].get(c).copied(),
        OpKind::Switch { cases, default, .. } | OpKind::Select { cases, default } => {
            match cases.get(c) {
                Some(case) => Some(&case.body),
                None if c == cases.len() => default.as_deref(),
                None => None,
            }
        }
        _ => None,
    }
}

/// A loop's body.
fn body(op: &Op) -> Option<&[Op]> {
    match &op.kind {
        OpKind::For { body, .. } | OpKind::ForEach { body, .. } | OpKind::Repeat { body, .. } => {
            Some(body)
        }
        _ => None,
    }
}

/// The expression a statement evaluates at `stage`, and the pre-call it
/// is at (`k`, one past the call begun), when the stage evaluates one.
fn expr_at<'a>(op: &'a Op, stage: &Stage) -> Option<(&'a CExpr, usize)> {
    let index = |target: &'a CTarget, done: usize| match target.path.get(done) {
        Some(CStep::Index(e)) => Some(e),
        _ => None,
    };
    let (e, k) = match (&op.kind, stage) {
        (OpKind::Assign { value, .. }, Stage::Expr { k }) => (value, *k),
        (OpKind::Assign { target, .. }, Stage::AssignIndex { steps, k, .. }) => {
            (index(target, steps.len())?, *k)
        }
        (OpKind::If { cond, .. }, Stage::Expr { k }) => (cond, *k),
        (OpKind::Switch { subject, .. }, Stage::Expr { k }) => (subject, *k),
        (OpKind::Switch { cases, .. }, Stage::SwitchCase { i, k, .. })
        | (OpKind::Select { cases, .. }, Stage::SelectCase { i, k }) => (&cases.get(*i)?.label, *k),
        (OpKind::For { start, .. }, Stage::Expr { k }) => (start, *k),
        (OpKind::For { end, .. }, Stage::ForEnd { k, .. }) => (end, *k),
        (OpKind::ForEach { array, .. }, Stage::Expr { k }) => (array, *k),
        (
            OpKind::ForEach {
                write_back: Some(target),
                ..
            },
            Stage::WriteBack { steps, k, .. },
        ) => (index(target, steps.len())?, *k),
        (OpKind::Repeat { count, .. }, Stage::Expr { k }) => (count, *k),
        (OpKind::Return(Some(e)), Stage::Expr { k })
        | (OpKind::Trace(e), Stage::Expr { k })
        | (OpKind::Save { value: e, .. }, Stage::Expr { k })
        | (OpKind::Call(e), Stage::Expr { k }) => (e, *k),
        _ => return None,
    };
    (1..=e.pre.len()).contains(&k).then_some((e, k))
}

/// Whether `stage` is a loop running its body.
fn at_body(op: &Op, stage: &Stage) -> bool {
    matches!(
        (&op.kind, stage),
        (OpKind::For { .. }, Stage::ForBody { .. })
            | (OpKind::ForEach { .. }, Stage::ForEachBody { .. })
            | (OpKind::Repeat { .. }, Stage::RepeatBody { .. })
    )
}

/// The REST request a statement waits for at `stage`: its result's slot
/// and where the proxy is.
pub(super) fn pending_request<'a>(op: &'a Op, stage: &Stage) -> Option<(VarId, &'a CTarget)> {
    let (e, k) = expr_at(op, stage)?;
    let call = &e.pre[k - 1];
    match &call.callee {
        Callee::Request { proxy } => Some((call.into, proxy)),
        Callee::Function(_) => None,
    }
}

fn tokens(v: &Value) -> J {
    J::Array(encode_value(v))
}

fn flow_json(flow: &Flow) -> J {
    match flow {
        Flow::Next => json!("next"),
        Flow::Break => json!("break"),
        Flow::Return(v) => json!({ "return": tokens(v) }),
    }
}

/// The index values among `steps` (members are the target's own).
fn index_values(steps: &[Step]) -> J {
    J::Array(
        steps
            .iter()
            .filter_map(|s| match s {
                Step::Index(v) => Some(tokens(v)),
                Step::Member(_) => None,
            })
            .collect(),
    )
}

fn stage_json(stage: &Stage) -> Result<J, String> {
    Ok(match stage {
        Stage::Expr { k } => json!({"at": "expr", "k": k}),
        Stage::AssignIndex { value, steps, k } => json!({
            "at": "assign", "value": tokens(value), "done": steps.len(),
            "index": index_values(steps), "k": k,
        }),
        Stage::SwitchCase { subject, i, k } => {
            json!({"at": "case", "subject": tokens(subject), "i": i, "k": k})
        }
        Stage::SelectCase { i, k } => json!({"at": "select", "i": i, "k": k}),
        Stage::ForEnd { from, k } => json!({"at": "for-end", "from": from, "k": k}),
        Stage::ForBody { i, to, step } => {
            json!({"at": "for", "i": i, "to": to, "step": step})
        }
        Stage::ForEachBody { i } => json!({"at": "foreach", "i": i}),
        Stage::WriteBack { i, steps, k } => json!({
            "at": "write-back", "i": i, "done": steps.len(),
            "index": index_values(steps), "k": k,
        }),
        Stage::RepeatBody { left } => json!({"at": "repeat", "left": left}),
        Stage::ForEachNext { .. } | Stage::ForEachAfter { .. } | Stage::RepeatNext { .. } => {
            return Err("a loop between two iterations".into())
        }
    })
}

/// The machine (waiting at a REST request) as a memo.
pub(super) fn encode(
    m: &Machine<'_>,
    program: &Program,
    functions: &[UserFunction],
) -> Result<J, String> {
    if m.ended.is_some() {
        return Err("a block ended".into());
    }
    let mut out = Vec::with_capacity(m.frames.len());
    let mut below: Option<&Frame<'_>> = None;
    for frame in &m.frames {
        out.push(match frame {
            Frame::Block { ops, next } => {
                let c = match below {
                    None if std::ptr::eq(*ops, &*program.body) => 0,
                    Some(Frame::Call { func, .. }) if std::ptr::eq(*ops, &*func.body) => 0,
                    Some(Frame::Stmt { op, .. })
                        if body(op).is_some_and(|b| std::ptr::eq(*ops, b)) =>
                    {
                        0
                    }
                    Some(Frame::Block {
                        ops: outer,
                        next: n,
                    }) => {
                        let op = n
                            .checked_sub(1)
                            .and_then(|i| outer.get(i))
                            .ok_or("a block")?;
                        (0..)
                            .map_while(|c| branch(op, c).map(|b| (c, b)))
                            .find(|(_, b)| std::ptr::eq(*ops, *b))
                            .ok_or("a branch not found")?
                            .0
                    }
                    _ => return Err("a block not found".into()),
                };
                json!({"block": c, "next": next})
            }
            Frame::Stmt { stage, .. } => json!({ "stmt": stage_json(stage)? }),
            Frame::Call { func, saved, .. } => {
                if !functions.iter().any(|f| std::ptr::eq(f, *func)) {
                    return Err("a function not found".into());
                }
                let saved: Vec<J> = saved
                    .iter()
                    .map(|(v, _)| v.as_ref().map_or(J::Null, tokens))
                    .collect();
                json!({ "call": saved })
            }
        });
        below = Some(frame);
    }
    let loops: Vec<J> = m
        .loops
        .iter()
        .map(|lp| {
            json!({
                "items": lp.items.iter().map(tokens).collect::<Vec<_>>(),
                "item": tokens(&lp.item),
                "flow": flow_json(&lp.flow),
                "now": tokens(&lp.now),
            })
        })
        .collect();
    Ok(json!({"v": MEMO_VERSION, "frames": out, "loops": loops}))
}

/// Reads what [`encode`] wrote, against the same compiled program.
pub(super) fn decode<'a>(
    memo: &J,
    program: &'a Program,
    functions: &'a [UserFunction],
    slots: usize,
    user: &mut dyn FnMut(UserToken<'_>) -> Value,
) -> Result<Machine<'a>, String> {
    let mut reader = Reader { user };
    if memo.get("v").and_then(J::as_u64) != Some(MEMO_VERSION) {
        return Err(format!("it is not a version {MEMO_VERSION} Snippet memo"));
    }
    let list = |key: &str| -> Result<&Vec<J>, String> {
        memo.get(key)
            .and_then(J::as_array)
            .ok_or_else(|| format!("`{key}` is missing"))
    };
    let mut frames: Vec<Frame<'a>> = Vec::new();
    let mut foreach_loops = 0usize;
    for (at, f) in list("frames")?.iter().enumerate() {
        let frame = reader
            .frame(f, frames.last(), program, functions, slots)
            .map_err(|why| format!("frame {at}: {why}"))?;
        if let Frame::Stmt {
            stage: Stage::ForEachBody { .. } | Stage::WriteBack { .. },
            ..
        } = frame
        {
            foreach_loops += 1;
        }
        frames.push(frame);
    }
    // The top is the statement that made the request.
    match frames.last() {
        Some(Frame::Stmt { op, stage }) if pending_request(op, stage).is_some() => {}
        _ => return Err("no REST request is under way".into()),
    }
    let calls = frames
        .iter()
        .filter(|f| matches!(f, Frame::Call { .. }))
        .count();
    if calls > crate::snippet::program::MAX_CALL_DEPTH {
        return Err("calls nest too deep".into());
    }
    let loops = list("loops")?
        .iter()
        .map(|lp| reader.foreach(lp))
        .collect::<Result<Vec<_>, _>>()?;
    if loops.len() != foreach_loops {
        return Err("the FOREACH loops do not match the statements".into());
    }
    Ok(Machine {
        frames,
        ended: None,
        loops,
    })
}

struct Reader<'u> {
    user: &'u mut dyn FnMut(UserToken<'_>) -> Value,
}

fn number<T: TryFrom<i64>>(j: &J, key: &str) -> Result<T, String> {
    j.get(key)
        .and_then(J::as_i64)
        .and_then(|n| T::try_from(n).ok())
        .ok_or_else(|| format!("a bad `{key}`"))
}

impl Reader<'_> {
    fn value(&mut self, j: Option<&J>) -> Result<Value, String> {
        let tokens = j.and_then(J::as_array).ok_or("a value is missing")?;
        decode_value(tokens, self.user)
    }

    fn frame<'a>(
        &mut self,
        f: &J,
        below: Option<&Frame<'a>>,
        program: &'a Program,
        functions: &'a [UserFunction],
        slots: usize,
    ) -> Result<Frame<'a>, String> {
        if let Some(c) = f.get("block") {
            let c = c.as_u64().ok_or("a bad block")? as usize;
            let ops: &'a [Op] = match below {
                None if c == 0 => &program.body,
                Some(&Frame::Call { func, .. }) if c == 0 => &func.body,
                Some(&Frame::Stmt { op, ref stage }) if c == 0 && at_body(op, stage) => {
                    body(op).ok_or("no loop body")?
                }
                Some(&Frame::Block { ops, next }) => {
                    branch(&ops[next - 1], c).ok_or("no such branch")?
                }
                _ => return Err("a block that is no statement's".into()),
            };
            let next: usize = number(f, "next")?;
            if next == 0 || next > ops.len() {
                return Err("a statement out of its block".into());
            }
            return Ok(Frame::Block { ops, next });
        }
        if let Some(s) = f.get("stmt") {
            let Some(&Frame::Block { ops, next }) = below else {
                return Err("a statement outside a block".into());
            };
            let op = &ops[next - 1];
            let stage = self.stage(op, s)?;
            return Ok(Frame::Stmt { op, stage });
        }
        if let Some(saved) = f.get("call").and_then(J::as_array) {
            let Some(&Frame::Stmt { op, ref stage }) = below else {
                return Err("a call outside a statement".into());
            };
            let (e, k) = expr_at(op, stage).ok_or("a call at no call")?;
            let call = &e.pre[k - 1];
            let Callee::Function(id) = call.callee else {
                return Err("a call at a request".into());
            };
            let func = functions.get(id as usize).ok_or("no such function")?;
            if saved.len() != func.saved.len() || call.into.0 as usize >= slots {
                return Err("a call's saved slots do not fit".into());
            }
            let saved = saved
                .iter()
                .map(|v| match v {
                    J::Null => Ok((None, 0)),
                    v => self.value(Some(v)).map(|v| (Some(v), 0)),
                })
                .collect::<Result<Vec<Saved>, String>>()?;
            return Ok(Frame::Call {
                func,
                saved,
                into: call.into,
                line: op.line,
            });
        }
        Err("an unknown frame".into())
    }

    /// The steps of an assignment target done so far.
    fn steps(&mut self, target: &CTarget, s: &J) -> Result<Vec<Step>, String> {
        let done: usize = number(s, "done")?;
        let path = target.path.get(..done).ok_or("too many steps")?;
        let mut index = s
            .get("index")
            .and_then(J::as_array)
            .ok_or("no index")?
            .iter();
        let mut steps = Vec::with_capacity(target.path.len() + 1);
        for step in path {
            steps.push(match step {
                CStep::Member(m) => Step::Member(m.clone()),
                CStep::Index(_) => Step::Index(self.value(index.next())?),
            });
        }
        if index.next().is_some() {
            return Err("too many index values".into());
        }
        Ok(steps)
    }

    fn stage(&mut self, op: &Op, s: &J) -> Result<Stage, String> {
        let at = s.get("at").and_then(J::as_str).ok_or("no stage")?;
        let k = || number::<usize>(s, "k");
        let stage = match (at, &op.kind) {
            ("expr", _) => Stage::Expr { k: k()? },
            ("assign", OpKind::Assign { target, .. }) => Stage::AssignIndex {
                value: self.value(s.get("value"))?,
                steps: self.steps(target, s)?,
                k: k()?,
            },
            ("case", _) => Stage::SwitchCase {
                subject: self.value(s.get("subject"))?,
                i: number(s, "i")?,
                k: k()?,
            },
            ("select", _) => Stage::SelectCase {
                i: number(s, "i")?,
                k: k()?,
            },
            ("for-end", _) => Stage::ForEnd {
                from: number(s, "from")?,
                k: k()?,
            },
            ("for", _) => {
                let (i, to, step): (i64, i64, i64) =
                    (number(s, "i")?, number(s, "to")?, number(s, "step")?);
                // The counter runs from where it is to `to`, one at a time.
                if !((step == 1 && i <= to) || (step == -1 && i >= to)) {
                    return Err("a FOR counter out of its range".into());
                }
                Stage::ForBody { i, to, step }
            }
            ("foreach", _) => Stage::ForEachBody { i: number(s, "i")? },
            (
                "write-back",
                OpKind::ForEach {
                    write_back: Some(target),
                    ..
                },
            ) => Stage::WriteBack {
                i: number(s, "i")?,
                steps: self.steps(target, s)?,
                k: k()?,
            },
            ("repeat", _) => Stage::RepeatBody {
                left: number(s, "left")?,
            },
            _ => return Err(format!("a stage `{at}` its statement does not have")),
        };
        // Every stage read is one its statement has: waiting at a call
        // (or the request) or running its body.
        if expr_at(op, &stage).is_none() && !at_body(op, &stage) {
            return Err(format!("a stage `{at}` its statement does not have"));
        }
        Ok(stage)
    }

    fn foreach(&mut self, lp: &J) -> Result<ForEachLoop, String> {
        let items = lp
            .get("items")
            .and_then(J::as_array)
            .ok_or("a FOREACH loop without items")?
            .iter()
            .map(|v| self.value(Some(v)))
            .collect::<Result<Vec<_>, _>>()?;
        let flow = match lp.get("flow") {
            Some(J::String(f)) if f == "next" => Flow::Next,
            Some(J::String(f)) if f == "break" => Flow::Break,
            Some(J::Object(r)) => Flow::Return(self.value(r.get("return"))?),
            _ => return Err("a FOREACH loop without its flow".into()),
        };
        Ok(ForEachLoop {
            source: Value::Null,
            items,
            item: self.value(lp.get("item"))?,
            flow,
            now: self.value(lp.get("now"))?,
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value as J;

    use crate::{Engine, Event, HttpReply, Outcome, RunOptions};

    /// Every leaf of `memo` changed, and every list cut short, one at a
    /// time.
    fn variants(memo: &J) -> Vec<J> {
        fn walk(at: &J, path: &mut Vec<J>, out: &mut Vec<(Vec<J>, J)>) {
            let mut push = |v: J| out.push((path.clone(), v));
            match at {
                J::Number(n) => {
                    let n = n.as_i64().unwrap_or(0);
                    for v in [n + 1, n - 1, 0, -1, i64::MAX, 1 << 40] {
                        push(J::from(v));
                    }
                    push(J::from(1.5));
                    push(J::Null);
                }
                J::String(_) => {
                    for s in ["expr", "for", "foreach", "repeat", "case", "assign", "x"] {
                        push(J::from(s));
                    }
                    push(J::from(3));
                }
                J::Bool(_) | J::Null => push(J::from(7)),
                J::Array(items) => {
                    for cut in 0..items.len() {
                        push(J::Array(items[..cut].to_vec()));
                    }
                    let mut doubled = items.clone();
                    doubled.extend(items.iter().cloned());
                    push(J::Array(doubled));
                    for (i, item) in items.iter().enumerate() {
                        path.push(J::from(i));
                        walk(item, path, out);
                        path.pop();
                    }
                }
                J::Object(map) => {
                    push(J::Null);
                    for (k, v) in map {
                        path.push(J::from(k.as_str()));
                        walk(v, path, out);
                        path.pop();
                    }
                }
            }
        }
        let mut edits = Vec::new();
        walk(memo, &mut Vec::new(), &mut edits);
        edits
            .into_iter()
            .map(|(path, value)| {
                let mut m = memo.clone();
                let mut at = &mut m;
                for step in &path {
                    at = match step {
                        J::String(k) => &mut at[k.as_str()],
                        _ => &mut at[step.as_u64().unwrap() as usize],
                    };
                }
                *at = value;
                m
            })
            .collect()
    }

    const NESTED: &str = r#"
    FUNCTION Get(n, id) {
      IF n > 1 { ASSIGN inner = Get(n - 1, id) }
      SWITCH id {
        CASE "a" { o.x[n] = p.MakeRestRequest("https://x.example/{id}/{n}") }
        DEFAULT { RETURN 0 }
      }
      RETURN o
    }
    ASSIGN p = GetRESTProxy()
    FOREACH id IN "a|b" {
      FOR i = 1 TO 2 { REPEAT 1 { ASSIGN got = Get(2, id) } }
      id = "{id}!"
    }
    "#;

    const STAGES: &str = r#"
    ASSIGN p = GetRESTProxy()
    DYNAMIC o
    o.arr[1] = "a|b|c"
    SWITCH 1 { CASE p.MakeRestRequest("https://x.example/case") { ASSIGN c = 1 } }
    o.y[p.MakeRestRequest("https://x.example/index")] = 5
    FOREACH it IN o.arr[p.MakeRestRequest("https://x.example/array")] { it = "changed" }
    SELECT { CASE p.MakeRestRequest("https://x.example/select") = "1" { ASSIGN s = 1 } }
    FOR i = p.MakeRestRequest("https://x.example/from") TO p.MakeRestRequest("https://x.example/to") { ASSIGN f = i }
    "#;

    #[test]
    fn a_memo_that_does_not_fit_is_refused_never_a_panic() {
        let engine = Engine::new();
        let mut stages = std::collections::BTreeSet::new();
        for code in [NESTED, STAGES] {
            let text = format!(
                "start: Begin {{ Default -> calc }}\ncalc: Snippet {{\n  Data = \"\"\"\n{code}\n  \"\"\"\n  Default -> done\n  Error -> failed\n}}\ndone: End\nfailed: End\n"
            );
            let script = engine.compile(&text, "fuzz.script").unwrap();
            let reply = || Event::Reply(HttpReply::new(200, "1"));
            let mut run = engine.run(&script, RunOptions::default());
            let mut waits = 0;
            while run.outcome == Outcome::Waiting {
                waits += 1;
                let paused = *run.paused.unwrap();
                let memo = paused.memo.clone().unwrap();
                for frame in memo["frames"].as_array().unwrap() {
                    if let Some(at) = frame["stmt"]["at"].as_str() {
                        stages.insert(at.to_string());
                    }
                }
                let all = variants(&memo);
                let mut refused = 0;
                for variant in &all {
                    let mut p = paused.clone();
                    p.memo = Some(variant.clone());
                    let run = engine.resume(&script, p, reply()).unwrap();
                    refused += usize::from(run.end.as_deref() == Some("failed"));
                }
                assert!(
                    refused * 4 > all.len(),
                    "{refused} of {}: {memo}",
                    all.len()
                );
                run = engine.resume(&script, paused, reply()).unwrap();
            }
            assert_eq!(run.end.as_deref(), Some("done"), "{:?}", run.error);
            assert!(waits >= 4, "{waits}");
        }
        let expected = [
            "assign",
            "case",
            "expr",
            "for",
            "for-end",
            "foreach",
            "repeat",
            "select",
            "write-back",
        ];
        assert_eq!(stages.into_iter().collect::<Vec<_>>(), expected);
    }
}
