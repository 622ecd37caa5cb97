//! The abstract syntax tree: what the text said, with spans, before any
//! schema is consulted.

use crate::diagnostics::{Diagnostic, Span};

/// A whole script file.
///
/// ```
/// let ast = studioflow::syntax::parse_script("script \"X\" type Chat\nstart: Begin").unwrap();
/// assert_eq!(ast.actions.len(), 1);
/// assert_eq!(ast.header.unwrap().name, "X");
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ScriptAst {
    /// `script "name" type T`, when present.
    pub header: Option<Header>,
    /// The actions in source order.
    pub actions: Vec<ActionAst>,
}

/// What parsing a script produced when syntax errors are recovered from:
/// every action that parsed, one error per stretch of text that did not,
/// and the ids of the actions inside those stretches (so that the checker
/// neither reports branches to them as missing nor guesses at their
/// contents).
///
/// ```
/// let parsed = studioflow::syntax::parse_script_recovering(
///     "start: Begin { Default -> a }\na: Assign { Value = ) }\nb: Assign { Value = ( }\nc: End",
/// );
/// assert_eq!(parsed.errors.len(), 2);
/// assert_eq!(parsed.ast.actions.len(), 2);
/// assert_eq!(parsed.unparsed.iter().map(|u| u.id.as_str()).collect::<Vec<_>>(), ["a", "b"]);
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ParsedScript {
    /// The header and the actions that parsed.
    pub ast: ScriptAst,
    /// Syntax errors, in source order, at most one per action.
    pub errors: Vec<Diagnostic>,
    /// The actions that did not parse, as far as their id is known.
    pub unparsed: Vec<UnparsedAction>,
    /// The stretches of text that did not parse (or parsed but could not be
    /// built), one per error: what the checker must assume may say anything
    /// (assign a variable, branch to an action) it mentions.
    pub unparsed_text: Vec<Span>,
}

/// An action whose text did not parse: only its id is known.
///
/// ```
/// let parsed = studioflow::syntax::parse_script_recovering("start: Begin { Default -> x }\nx: End {");
/// assert_eq!(parsed.unparsed[0].id, "x");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct UnparsedAction {
    /// The id written at the start of the action.
    pub id: String,
    /// Where the id is written.
    pub id_span: Span,
}

/// The optional first line: `script "Name" type Phone inputs Tier, LastAgent`.
///
/// ```
/// let ast = studioflow::syntax::parse_script("script \"X\" type Phone inputs Tier, LastAgent\nstart: Begin").unwrap();
/// let header = ast.header.unwrap();
/// let inputs: Vec<&str> = header.inputs.iter().map(|(n, _)| n.as_str()).collect();
/// assert_eq!(inputs, ["Tier", "LastAgent"]);
/// ```
///
/// ```
/// let ast = studioflow::syntax::parse_script("script \"X\"\nstart: Begin").unwrap();
/// assert!(ast.header.unwrap().script_type.is_none());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    /// The script's display name.
    pub name: String,
    /// The script type as written, with its span.
    pub script_type: Option<(String, Span)>,
    /// `inputs A, B`: the variables the host supplies, with their spans.
    pub inputs: Vec<(String, Span)>,
    /// `studio { ... }` after the header: what a Studio file said about the
    /// script that the flow does not use (kept for `export`).
    pub studio: Option<StudioBlock>,
}

/// `studio { Name = value ... }`: what a Studio file said about an action
/// (or the script) that running it does not use, kept verbatim so that
/// `export` writes it back.
///
/// ```
/// use studioflow::syntax::ast::StudioValue;
/// let ast = studioflow::syntax::parse_script(
///     "m: Menu \"Main menu\" { Variable = choice studio { ActionID = 4 X = 40 Phrase = \"\" } }",
/// ).unwrap();
/// let block = ast.actions[0].studio.as_ref().unwrap();
/// assert_eq!(block.entries[0].name, "ActionID");
/// assert_eq!(block.entries[0].value, StudioValue::Number("4".into()));
/// assert_eq!(block.entries[2].value, StudioValue::Text(String::new()));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct StudioBlock {
    /// The entries in source order.
    pub entries: Vec<StudioEntry>,
    /// Where the `studio` keyword is written.
    pub keyword_span: Span,
    /// The whole block, `studio` to `}`.
    pub span: Span,
}

/// One `Name = value` of a [`StudioBlock`].
#[derive(Debug, Clone, PartialEq)]
pub struct StudioEntry {
    /// The name as written.
    pub name: String,
    /// Where the name is written.
    pub name_span: Span,
    /// The value.
    pub value: StudioValue,
    /// Where the value is written.
    pub value_span: Span,
}

/// A [`StudioEntry`]'s value, as Studio's file wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StudioValue {
    /// A raw string (escapes, no templates).
    Text(String),
    /// A number, as written.
    Number(String),
    /// A list of raw strings.
    List(Vec<String>),
}

impl StudioBlock {
    /// The entry named `name` (ignoring ASCII case).
    pub fn get(&self, name: &str) -> Option<&StudioEntry> {
        self.entries
            .iter()
            .find(|e| e.name.eq_ignore_ascii_case(name))
    }

    #[cfg(test)]
    pub(crate) fn shift(&mut self, by: usize) {
        self.keyword_span.shift(by);
        self.span.shift(by);
        for e in &mut self.entries {
            e.name_span.shift(by);
            e.value_span.shift(by);
        }
    }

    pub(crate) fn zero_spans(&mut self) {
        self.keyword_span = Span::new(0, 0);
        self.span = Span::new(0, 0);
        for e in &mut self.entries {
            e.name_span = Span::new(0, 0);
            e.value_span = Span::new(0, 0);
        }
    }
}

/// One action: `id: Type "caption" { ... }`.
///
/// ```
/// let ast = studioflow::syntax::parse_script("go: Begin \"Start here\" { Default -> go }").unwrap();
/// let a = &ast.actions[0];
/// assert_eq!((a.id.as_str(), a.action_type.as_str(), a.caption.as_deref()), ("go", "Begin", Some("Start here")));
/// ```
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
    /// `studio { ... }`: what a Studio file said about the action that
    /// running it does not use (ActionID, position, ...).
    pub studio: Option<StudioBlock>,
    /// The whole action.
    pub span: Span,
}

/// `Name = expression`.
///
/// ```
/// let ast = studioflow::syntax::parse_script("a: Assign { Variable = x Value = 1 }").unwrap();
/// assert_eq!(ast.actions[0].properties[1].name, "Value");
/// ```
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
///
/// ```
/// use studioflow::syntax::ast::Literal;
/// let ast = studioflow::syntax::parse_script("c: Case { Value = x Case \"gold\" -> c }").unwrap();
/// let b = &ast.actions[0].branches[0];
/// assert_eq!(b.label, Some(Literal::String("gold".into())));
/// assert_eq!(b.target, "c");
/// ```
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
///
/// ```
/// use studioflow::syntax::{ast::{ExprKind, Literal}, parse_expression};
/// assert_eq!(parse_expression("null").unwrap().kind, ExprKind::Literal(Literal::Null));
/// ```
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
    /// `#"02/09/2023 8:00 AM"`: a datetime, as written between the quotes
    /// (read when the script compiles).
    DateTime(String),
}

/// An expression with its span.
///
/// ```
/// let e = studioflow::syntax::parse_expression("(1 + 2) * 3").unwrap();
/// assert_eq!(e.depth, 3);
/// assert_eq!((e.span.start, e.span.end), (0, 11));
/// ```
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
    ///
    /// ```
    /// let e = studioflow::syntax::parse_expression("-x").unwrap();
    /// assert_eq!(e.kind.child_depth(), 1);
    /// ```
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
///
/// ```
/// use studioflow::syntax::{ast::ExprKind, parse_expression};
/// assert!(matches!(parse_expression("f(1, 2)").unwrap().kind, ExprKind::Call(ref name, _, ref args) if name == "f" && args.len() == 2));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// A literal.
    Literal(Literal),
    /// A string literal with `{expression}` parts.
    Template(Vec<TemplatePart>),
    /// `[a, b]`
    List(Vec<Expr>),
    /// A variable name. A name written `global:name` (in any case) is
    /// kept as `global:name` (see [`GLOBAL_PREFIX`]).
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
///
/// ```
/// use studioflow::syntax::{ast::{ExprKind, TemplatePart}, parse_expression};
/// let ExprKind::Template(parts) = parse_expression(r#""Hi {Name}""#).unwrap().kind else { unreachable!() };
/// assert_eq!(parts[0], TemplatePart::Text("Hi ".into()));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum TemplatePart {
    /// Literal text (escapes and `{{`/`}}` already resolved).
    Text(String),
    /// `{expression}`
    Expr(Expr),
}

/// Prefix operators.
///
/// ```
/// use studioflow::syntax::{ast::{ExprKind, UnaryOp}, parse_expression};
/// assert!(matches!(parse_expression("not x").unwrap().kind, ExprKind::Unary(UnaryOp::Not, _)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    /// `-`
    Neg,
    /// `not`, `!`
    Not,
}

/// Infix operators.
///
/// ```
/// use studioflow::syntax::{ast::{BinaryOp, ExprKind}, parse_expression};
/// assert!(matches!(parse_expression("a <> b").unwrap().kind, ExprKind::Binary(BinaryOp::Ne, _, _)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    /// `|`, `or`, `||`
    Or,
    /// `~`: exclusive or
    Xor,
    /// `&`, `and`, `&&`
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
    /// `\`: integer division (the quotient without its fraction)
    IntDiv,
    /// `%`
    Mod,
    /// `^`: power
    Pow,
}

impl BinaryOp {
    /// True for `= <> < <= > >=`.
    ///
    /// ```
    /// use studioflow::syntax::ast::BinaryOp;
    /// assert!(BinaryOp::Le.is_comparison() && !BinaryOp::Add.is_comparison());
    /// ```
    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge
        )
    }
    /// The operator as written in messages.
    ///
    /// ```
    /// assert_eq!(studioflow::syntax::ast::BinaryOp::Or.symbol(), "or");
    /// ```
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "or",
            BinaryOp::Xor => "~",
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
            BinaryOp::IntDiv => "\\",
            BinaryOp::Mod => "%",
            BinaryOp::Pow => "^",
        }
    }
}

impl Span {
    #[cfg(test)]
    fn shift(&mut self, by: usize) {
        self.start += by;
        self.end += by;
    }
}

impl Header {
    /// Moves every span by `by` bytes (for text parsed as a slice of a larger source).
    #[cfg(test)]
    pub(crate) fn shift(&mut self, by: usize) {
        if let Some((_, span)) = &mut self.script_type {
            span.shift(by);
        }
        for (_, span) in &mut self.inputs {
            span.shift(by);
        }
        if let Some(block) = &mut self.studio {
            block.shift(by);
        }
    }

    /// Sets every span to `0..0` (for comparing two headers as written).
    pub(crate) fn zero_spans(&mut self) {
        if let Some((_, span)) = &mut self.script_type {
            *span = Span::new(0, 0);
        }
        for (_, span) in &mut self.inputs {
            *span = Span::new(0, 0);
        }
        if let Some(block) = &mut self.studio {
            block.zero_spans();
        }
    }
}

impl ActionAst {
    /// Moves every span by `by` bytes (for text parsed as a slice of a larger source).
    #[cfg(test)]
    pub(crate) fn shift(&mut self, by: usize) {
        self.id_span.shift(by);
        self.type_span.shift(by);
        self.span.shift(by);
        for p in &mut self.properties {
            p.name_span.shift(by);
            p.value.shift(by);
        }
        for b in &mut self.branches {
            b.name_span.shift(by);
            b.target_span.shift(by);
        }
        if let Some(block) = &mut self.studio {
            block.shift(by);
        }
    }
}

impl Expr {
    /// Moves every span by `by` bytes. Recursion is bounded by the parser's
    /// depth limit, as for every other walk of the tree.
    #[cfg(test)]
    pub(crate) fn shift(&mut self, by: usize) {
        self.span.shift(by);
        match &mut self.kind {
            ExprKind::Literal(_) | ExprKind::Variable(_) => {}
            ExprKind::Template(parts) => {
                for part in parts {
                    if let TemplatePart::Expr(e) = part {
                        e.shift(by);
                    }
                }
            }
            ExprKind::List(items) => items.iter_mut().for_each(|e| e.shift(by)),
            ExprKind::Call(_, name_span, args) => {
                name_span.shift(by);
                args.iter_mut().for_each(|e| e.shift(by));
            }
            ExprKind::Member(a, _) | ExprKind::Unary(_, a) => a.shift(by),
            ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) => {
                a.shift(by);
                b.shift(by);
            }
        }
    }
}

/// How a variable written `global:name` (or `Global:name`, in any case)
/// is named in [`ExprKind::Variable`]: the name after this prefix is the
/// variable, shared with the scripts of the contact (RunSub).
///
/// ```
/// use studioflow::syntax::{ast::{global_name, ExprKind}, parse_expression};
/// let e = parse_expression("\"{Global:Lang}\"").unwrap();
/// let ExprKind::Template(parts) = e.kind else { unreachable!() };
/// let studioflow::syntax::ast::TemplatePart::Expr(v) = &parts[0] else { unreachable!() };
/// let ExprKind::Variable(name) = &v.kind else { unreachable!() };
/// assert_eq!((name.as_str(), global_name(name)), ("global:Lang", Some("Lang")));
/// assert_eq!(global_name("Lang"), None);
/// ```
pub const GLOBAL_PREFIX: &str = "global:";

/// The variable a `global:name` reference names; `None` for a plain name.
pub fn global_name(name: &str) -> Option<&str> {
    name.strip_prefix(GLOBAL_PREFIX)
}
