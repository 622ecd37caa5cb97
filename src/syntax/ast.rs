//! The abstract syntax tree: what the text said, with spans, before any
//! schema is consulted.

use crate::diagnostics::Span;

/// A whole script file.
#[derive(Debug, Clone, PartialEq)]
pub struct ScriptAst {
    /// `script "name" type T`, when present.
    pub header: Option<Header>,
    /// The actions in source order.
    pub actions: Vec<ActionAst>,
}

/// The optional first line.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    /// The script's display name.
    pub name: String,
    /// The script type as written, with its span.
    pub script_type: Option<(String, Span)>,
}

/// One action: `id: Type "caption" { ... }`.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionAst {
    /// The action id and its span.
    pub id: String,
    /// Where the id is written.
    pub id_span: Span,
    /// The action type as written.
    pub action_type: String,
    /// Where the type is written.
    pub type_span: Span,
    /// The caption, when written.
    pub caption: Option<String>,
    /// Properties in source order.
    pub properties: Vec<PropertyAst>,
    /// Branches in source order.
    pub branches: Vec<BranchAst>,
    /// The whole action.
    pub span: Span,
}

/// `Name = expression`.
#[derive(Debug, Clone, PartialEq)]
pub struct PropertyAst {
    /// The property name as written.
    pub name: String,
    /// Where the name is written.
    pub name_span: Span,
    /// The value.
    pub value: Expr,
}

/// `Name -> target` or `Case "label" -> target`.
#[derive(Debug, Clone, PartialEq)]
pub struct BranchAst {
    /// The branch name as written.
    pub name: String,
    /// Where the name is written.
    pub name_span: Span,
    /// The literal label of a `Case` branch.
    pub label: Option<Literal>,
    /// The target action id.
    pub target: String,
    /// Where the target is written.
    pub target_span: Span,
}

/// A literal value.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// A number.
    Number(f64),
    /// A string without interpolation.
    String(String),
}

/// An expression with its span.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// What kind of expression.
    pub kind: ExprKind,
    /// Where it is written.
    pub span: Span,
    /// Written inside parentheses (used to reject chained comparisons).
    pub parenthesized: bool,
    /// Height of this tree (a leaf is 1); bounded by the parser so that
    /// compiling, evaluating and dropping it never recurse deeply.
    pub depth: u32,
}

impl ExprKind {
    /// The greatest depth among the direct children (0 for a leaf).
    pub fn child_depth(&self) -> u32 {
        match self {
            ExprKind::Literal(_) | ExprKind::Variable(_) => 0,
            ExprKind::Template(parts) => parts
                .iter()
                .map(|p| match p {
                    TemplatePart::Text(_) => 0,
                    TemplatePart::Expr(e) => e.depth,
                })
                .max()
                .unwrap_or(0),
            ExprKind::List(items) | ExprKind::Call(_, _, items) => {
                items.iter().map(|e| e.depth).max().unwrap_or(0)
            }
            ExprKind::Member(a, _) | ExprKind::Unary(_, a) => a.depth,
            ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) => a.depth.max(b.depth),
        }
    }
}

/// The shapes of expressions.
#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// A literal.
    Literal(Literal),
    /// A string literal with `{expression}` parts.
    Template(Vec<TemplatePart>),
    /// `[a, b]`
    List(Vec<Expr>),
    /// A variable name.
    Variable(String),
    /// `a.b`
    Member(Box<Expr>, String),
    /// `a[i]`
    Index(Box<Expr>, Box<Expr>),
    /// `-a`, `not a`
    Unary(UnaryOp, Box<Expr>),
    /// `a + b` and friends.
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    /// `f(a, b)`
    Call(String, Span, Vec<Expr>),
}

/// One part of a template string.
#[derive(Debug, Clone, PartialEq)]
pub enum TemplatePart {
    /// Literal text (escapes and `{{`/`}}` already resolved).
    Text(String),
    /// `{expression}`
    Expr(Expr),
}

/// Prefix operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    /// `-`
    Neg,
    /// `not`, `!`
    Not,
}

/// Infix operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    /// `or`, `||`
    Or,
    /// `and`, `&&`
    And,
    /// `=`, `==`
    Eq,
    /// `<>`, `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Mod,
}

impl BinaryOp {
    /// True for `= <> < <= > >=`.
    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge
        )
    }
    /// The operator as written in messages.
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Eq => "=",
            BinaryOp::Ne => "<>",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Mod => "%",
        }
    }
}
