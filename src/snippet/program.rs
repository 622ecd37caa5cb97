//! Compiled Snippet code: what the statement executor runs. Immutable and
//! shared by every run of the script; it never refers back to source text.

use std::sync::Arc;

use crate::program::{Code, VarId};

/// User functions are at most this many calls deep at run time.
pub(crate) const MAX_CALL_DEPTH: usize = 200;

/// One Snippet action's compiled code.
#[derive(Debug)]
pub(crate) struct Program {
    pub body: Box<[Op]>,
}

/// A user function (`FUNCTION name(a, b) { ... }`), visible to every
/// snippet of the script.
#[derive(Debug)]
pub(crate) struct UserFunction {
    pub name: Arc<str>,
    /// Hidden slots of the parameters, in order.
    pub params: Box<[VarId]>,
    /// Slots a call saves and restores (parameters and the hidden slots of
    /// lifted calls in the body), so that recursion does not clobber them.
    pub saved: Box<[VarId]>,
    pub body: Box<[Op]>,
}

/// A statement with the `.script` line it is written on (for `_ERR`).
#[derive(Debug)]
pub(crate) struct Op {
    pub kind: OpKind,
    pub line: u32,
}

#[derive(Debug)]
pub(crate) enum OpKind {
    Assign {
        target: CTarget,
        value: CExpr,
    },
    If {
        cond: CExpr,
        then: Box<[Op]>,
        otherwise: Box<[Op]>,
    },
    Switch {
        subject: CExpr,
        cases: Box<[Case]>,
        default: Option<Box<[Op]>>,
    },
    Select {
        cases: Box<[Case]>,
        default: Option<Box<[Op]>>,
    },
    For {
        var: VarId,
        start: CExpr,
        end: CExpr,
        body: Box<[Op]>,
    },
    ForEach {
        var: VarId,
        array: CExpr,
        /// Where a changed iterator is written back, when the array is a
        /// variable (or a member/index path on one).
        write_back: Option<CTarget>,
        body: Box<[Op]>,
    },
    Repeat {
        count: CExpr,
        body: Box<[Op]>,
    },
    Break,
    Dynamic(Box<[VarId]>),
    Return(Option<CExpr>),
    Trace(CExpr),
    /// A call statement: the call itself is the expression's lifted PreCall.
    Call(CExpr),
}

/// `CASE value { body }` of a SWITCH, or `CASE condition { body }` of a SELECT.
pub(crate) type Case = (CExpr, Box<[Op]>);

/// An expression whose user-function calls run first, in order.
#[derive(Debug)]
pub(crate) struct CExpr {
    pub pre: Box<[PreCall]>,
    pub code: Code,
}

/// `into = function(args)`.
#[derive(Debug)]
pub(crate) struct PreCall {
    pub func: u32,
    pub args: Box<[Code]>,
    pub into: VarId,
}

/// An assignment target: a variable and member/index steps below it.
#[derive(Debug)]
pub(crate) struct CTarget {
    pub var: VarId,
    pub path: Box<[CStep]>,
}

#[derive(Debug)]
pub(crate) enum CStep {
    Member(Arc<str>),
    Index(CExpr),
}
