//! The statement tree of Snippet code. Expressions are the one expression
//! AST of [`crate::syntax::ast`]; every span is an offset into the `.script`
//! file, so diagnostics point at the real line and column.

use crate::diagnostics::Span;
use crate::syntax::ast::Expr;

/// One statement with its span.
///
/// ```
/// let code = studioflow::snippet::parse("x = 1", 0).unwrap();
/// assert!(matches!(code[0].kind, studioflow::snippet::StmtKind::Assign { .. }));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Stmt {
    /// What the statement does.
    pub kind: StmtKind,
    /// Where it is written.
    pub span: Span,
}

/// The statements of the Snippet language.
///
/// ```
/// use studioflow::snippet::{parse, StmtKind};
/// let code = parse("FOR i = 1 TO 3 { TRACE i }", 0).unwrap();
/// let StmtKind::For { var, body, .. } = &code[0].kind else { unreachable!() };
/// assert_eq!((var.as_str(), body.len()), ("i", 1));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum StmtKind {
    /// `ASSIGN target = value` (ASSIGN optional).
    Assign {
        /// What is written.
        target: Target,
        /// The value.
        value: Expr,
    },
    /// `IF cond { } ELSE { }`.
    If {
        /// The condition.
        cond: Expr,
        /// Runs when true.
        then: Vec<Stmt>,
        /// Runs when false (empty without ELSE).
        otherwise: Vec<Stmt>,
    },
    /// `SWITCH subject { CASE v { } DEFAULT { } }`.
    Switch {
        /// The value compared.
        subject: Expr,
        /// `CASE value { body }` in order; stacked labels (`CASE 1 CASE 2
        /// { body }`) share one body.
        cases: Vec<(Vec<Expr>, Vec<Stmt>)>,
        /// `DEFAULT { body }` (or `CASE OTHER { body }`).
        default: Option<Vec<Stmt>>,
    },
    /// `SELECT { CASE cond { } DEFAULT { } }`: the first true case runs.
    ///
    /// ```
    /// use studioflow::snippet::{parse, StmtKind};
    /// let code = parse("SELECT { CASE s = 200 // ok\n CASE s = 204 { r = 1 } CASE OTHER { r = 0 } }", 0).unwrap();
    /// let StmtKind::Select { cases, default } = &code[0].kind else { unreachable!() };
    /// assert_eq!((cases.len(), cases[0].0.len(), default.is_some()), (1, 2, true));
    /// ```
    Select {
        /// `CASE condition { body }` in order; stacked labels share a body.
        cases: Vec<(Vec<Expr>, Vec<Stmt>)>,
        /// `DEFAULT { body }` (or `CASE OTHER { body }`).
        default: Option<Vec<Stmt>>,
    },
    /// `FOR var = start TO end { }`.
    For {
        /// The iterator variable.
        var: String,
        /// First value (evaluated once).
        start: Expr,
        /// Last value (evaluated once).
        end: Expr,
        /// The body.
        body: Vec<Stmt>,
    },
    /// `FOREACH var IN array { }`.
    ForEach {
        /// The iterator variable.
        var: String,
        /// The array.
        array: Expr,
        /// The body.
        body: Vec<Stmt>,
    },
    /// `REPEAT count { }`.
    Repeat {
        /// How many times.
        count: Expr,
        /// The body.
        body: Vec<Stmt>,
    },
    /// `BREAK`.
    Break,
    /// `DYNAMIC a, b`: each becomes an empty dynamic data object.
    Dynamic(Vec<String>),
    /// `FUNCTION name(params) { }`.
    Function(FunctionDecl),
    /// `RETURN [value]`.
    Return(Option<Expr>),
    /// `TRACE value`: recorded in the run's trace.
    Trace(Expr),
    /// A function call used as a statement.
    Call(Expr),
}

/// `FUNCTION name(a, b) { ... }`.
///
/// ```
/// use studioflow::snippet::{parse, StmtKind};
/// let code = parse("FUNCTION add(a, b) { RETURN a + b }", 0).unwrap();
/// let StmtKind::Function(f) = &code[0].kind else { unreachable!() };
/// assert_eq!(f.params, ["a", "b"]);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionDecl {
    /// The function's name.
    pub name: String,
    /// Where the name is written.
    pub name_span: Span,
    /// Parameter names.
    pub params: Vec<String>,
    /// The body.
    pub body: Vec<Stmt>,
}

/// The left side of an assignment: `name`, `global:name`, `o.a.b`, `a[i].c`.
///
/// ```
/// use studioflow::snippet::{parse, PathStep, StmtKind};
/// let code = parse("global:o.a[2] = 1", 0).unwrap();
/// let StmtKind::Assign { target, .. } = &code[0].kind else { unreachable!() };
/// assert!(target.global && target.name == "o");
/// assert!(matches!(target.path[0], PathStep::Member(ref m) if m == "a"));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// The variable.
    pub name: String,
    /// Written `global:name`.
    pub global: bool,
    /// Where the variable name is written.
    pub span: Span,
    /// Member and index steps below the variable.
    pub path: Vec<PathStep>,
}

/// One step of an assignment target.
///
/// ```
/// let step = studioflow::snippet::PathStep::Member("name".into());
/// assert!(matches!(step, studioflow::snippet::PathStep::Member(_)));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum PathStep {
    /// `.member`
    Member(String),
    /// `[index]`
    Index(Expr),
}
