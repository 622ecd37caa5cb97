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
    /// `value.savetodb(n)`: `value` is the list `[receiver, n]`, `written`
    /// the receiver as the code writes it. Recorded in the transcript;
    /// offline there is no database to save into.
    Save {
        value: CExpr,
        written: Arc<str>,
    },
    /// A call statement: the call itself is the expression's lifted PreCall.
    Call(CExpr),
}

/// `CASE value { body }` of a SWITCH, or `CASE condition { body }` of a
/// SELECT. Each label of stacked labels (`CASE a CASE b { body }`) is a
/// case of its own (its own coverage arm); all but the last are `stacked`,
/// with an empty body: a match runs the body of the next case that is not.
#[derive(Debug)]
pub(crate) struct Case {
    pub label: CExpr,
    pub body: Box<[Op]>,
    pub stacked: bool,
}

impl Case {
    /// The body a match of case `i` runs.
    pub(crate) fn body_of(cases: &[Case], i: usize) -> &[Op] {
        cases[i..]
            .iter()
            .find(|c| !c.stacked)
            .map_or(&[], |c| &*c.body)
    }
}

/// An expression whose user-function calls run first, in order.
#[derive(Debug)]
pub(crate) struct CExpr {
    pub pre: Box<[PreCall]>,
    pub code: Code,
}

/// `into = callee(args)`.
#[derive(Debug)]
pub(crate) struct PreCall {
    pub callee: Callee,
    pub args: Box<[Code]>,
    pub into: VarId,
}

/// What a lifted call runs.
#[derive(Debug)]
pub(crate) enum Callee {
    /// A user FUNCTION (its index in the script's table).
    Function(u32),
    /// `proxy.MakeRestRequest(url, body, timeout, verb)`: the run waits for
    /// the reply. `args` are the proxy's value then the method's arguments;
    /// the reply's status is written into the proxy at `proxy`.
    Request { proxy: CTarget },
}

/// A method of a value (`x.Name(args)`): what compile looks methods up in.
/// Only the REST proxy's exist; methods of other values (text, say) take
/// their own rows with their own receiver.
#[derive(Debug)]
pub(crate) struct Method {
    /// The name, as Studio spells it (matched ignoring ASCII case).
    pub name: &'static str,
    /// The value that has the method, for messages.
    pub receiver: &'static str,
    /// Arguments after the receiver.
    pub min_args: usize,
    pub max_args: usize,
    pub kind: MethodKind,
}

/// How a method call compiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MethodKind {
    /// Changes its receiver: a statement of its own, compiled as
    /// `receiver = function(receiver, args)`.
    Update { function: &'static str },
    /// Waits for an HTTP reply ([`Callee::Request`]).
    Request,
    /// Saves its receiver for reporting: a statement of its own
    /// ([`OpKind::Save`]).
    Save,
}

/// The REST proxy's type, as its `__type` member holds it.
pub(crate) const REST_PROXY_TYPE: &str = "RESTProxy";

/// The function `proxy.AddHeader(name, value)` compiles to (a name no
/// script can write: it is no identifier).
pub(crate) const ADD_HEADER_FUNCTION: &str = "RESTProxy.AddHeader";

/// Every method of every value.
pub(crate) const METHODS: &[Method] = &[
    Method {
        name: "AddHeader",
        receiver: "the REST proxy (GetRESTProxy())",
        min_args: 2,
        max_args: 2,
        kind: MethodKind::Update {
            function: ADD_HEADER_FUNCTION,
        },
    },
    Method {
        name: "savetodb",
        receiver: "a value",
        min_args: 0,
        max_args: 1,
        kind: MethodKind::Save,
    },
    Method {
        name: "MakeRestRequest",
        receiver: "the REST proxy (GetRESTProxy())",
        min_args: 1,
        max_args: 4,
        kind: MethodKind::Request,
    },
];

/// The method named `name` (ignoring ASCII case).
pub(crate) fn method(name: &str) -> Option<&'static Method> {
    METHODS.iter().find(|m| m.name.eq_ignore_ascii_case(name))
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
