//! What a script's syntax tree says about names: its actions, the branch
//! targets naming them, where variables are written and read (Snippet code
//! included), RunSub's script names. Navigation, completion and hover
//! read it; it is built from the parser's tree and the engine's schemas.

use crate::snippet::{Stmt, StmtKind};
use crate::syntax::ast::{ActionAst, Expr, ExprKind, Literal, TemplatePart};
use crate::{Engine, PropertyKind, Span};

use super::documents::ScriptView;

/// One use of a variable.
#[derive(Debug, Clone)]
pub struct VariableUse {
    /// As written (`global:` dropped).
    pub name: String,
    /// Where the name is written.
    pub span: Span,
    /// Written here (an output property, a Snippet assignment or loop variable).
    pub write: bool,
}

/// A branch naming an action.
#[derive(Debug, Clone)]
pub struct TargetUse {
    /// The target's id.
    pub target: String,
    /// Where it is written.
    pub span: Span,
}

/// A RunSub's script name.
#[derive(Debug, Clone)]
pub struct SubscriptUse {
    /// The name (as the resolver reads it).
    pub name: String,
    /// The value as written.
    pub span: Span,
}

/// The names of one script.
#[derive(Debug, Default)]
pub struct ScriptIndex {
    /// Every variable use, in text order.
    pub variables: Vec<VariableUse>,
    /// Every branch target.
    pub targets: Vec<TargetUse>,
    /// Every RunSub script name.
    pub subscripts: Vec<SubscriptUse>,
    /// Snippet code blocks (the code between the `"""`).
    pub snippets: Vec<Span>,
}

impl ScriptIndex {
    /// Indexes `view`'s tree; `engine` says what each property is.
    pub fn new(view: &ScriptView, engine: &Engine) -> ScriptIndex {
        let mut index = ScriptIndex::default();
        // The schemas once, by lower-cased name (not a sorted list per action).
        let schemas: std::collections::HashMap<String, &crate::ActionSchema> = engine
            .action_schemas()
            .map(|s| (s.name.to_ascii_lowercase(), s))
            .collect();
        for action in &view.parsed.ast.actions {
            let schema = schemas
                .get(&action.action_type.to_ascii_lowercase())
                .copied();
            index.action(action, view, schema);
        }
        index.variables.sort_by_key(|v| v.span.start);
        index
    }

    fn action(
        &mut self,
        action: &ActionAst,
        view: &ScriptView,
        schema: Option<&crate::ActionSchema>,
    ) {
        for branch in &action.branches {
            self.targets.push(TargetUse {
                target: branch.target.clone(),
                span: branch.target_span,
            });
        }
        for property in &action.properties {
            let kind = schema
                .and_then(|s| {
                    s.properties
                        .iter()
                        .find(|p| p.name.eq_ignore_ascii_case(&property.name))
                })
                .map_or(PropertyKind::Template, |p| p.kind);
            let value = &property.value;
            match kind {
                PropertyKind::OutputVariable | PropertyKind::InputVariable => {
                    if let Some((name, span)) = name_of(value, &view.text) {
                        self.variables.push(VariableUse {
                            name,
                            span,
                            write: kind == PropertyKind::OutputVariable,
                        });
                    }
                }
                PropertyKind::Subscript => {
                    if let Some((name, _)) = name_of(value, &view.text) {
                        self.subscripts.push(SubscriptUse {
                            name,
                            span: value.span,
                        });
                    }
                }
                PropertyKind::SnippetCode => self.snippet(value, &view.text),
                PropertyKind::Name => {}
                PropertyKind::Template | PropertyKind::Expression => {
                    self.expression(value);
                }
            }
        }
    }

    /// Reads of variables in an expression (iteratively: trees are deep).
    fn expression(&mut self, expr: &Expr) {
        let mut stack = vec![expr];
        while let Some(e) = stack.pop() {
            match &e.kind {
                ExprKind::Variable(name) => self.variables.push(VariableUse {
                    name: name
                        .get(..7)
                        .filter(|p| p.eq_ignore_ascii_case("global:"))
                        .map_or_else(|| name.clone(), |_| name[7..].to_string()),
                    span: e.span,
                    write: false,
                }),
                ExprKind::Literal(_) => {}
                ExprKind::Template(parts) => {
                    for part in parts {
                        if let TemplatePart::Expr(inner) = part {
                            stack.push(inner);
                        }
                    }
                }
                ExprKind::List(items) | ExprKind::Call(_, _, items) => stack.extend(items),
                ExprKind::Member(a, _) | ExprKind::Unary(_, a) => stack.push(a),
                ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) => {
                    stack.push(a);
                    stack.push(b);
                }
            }
        }
    }

    fn snippet(&mut self, value: &Expr, text: &str) {
        let written = text
            .get(value.span.start..value.span.end)
            .unwrap_or("")
            .trim_end();
        if !(written.len() >= 6 && written.starts_with("\"\"\"") && written.ends_with("\"\"\"")) {
            return;
        }
        let start = value.span.start + 3;
        let code = &text[start..value.span.start + written.len() - 3];
        self.snippets.push(Span::new(start, start + code.len()));
        let statements = match crate::snippet::parse_recovering(code, start) {
            Ok(code) | Err((_, Some(code))) => code,
            Err((_, None)) => return,
        };
        let mut stack: Vec<&Stmt> = statements.iter().collect();
        while let Some(statement) = stack.pop() {
            match &statement.kind {
                StmtKind::Assign { target, value } => {
                    self.variables.push(VariableUse {
                        name: target.name.clone(),
                        span: target.span,
                        write: true,
                    });
                    self.expression(value);
                    for step in &target.path {
                        if let crate::snippet::PathStep::Index(e) = step {
                            self.expression(e);
                        }
                    }
                }
                StmtKind::If {
                    cond,
                    then,
                    otherwise,
                } => {
                    self.expression(cond);
                    stack.extend(then.iter().chain(otherwise));
                }
                StmtKind::Switch {
                    subject,
                    cases,
                    default,
                } => {
                    self.expression(subject);
                    for (labels, body) in cases {
                        for label in labels {
                            self.expression(label);
                        }
                        stack.extend(body);
                    }
                    stack.extend(default.iter().flatten());
                }
                StmtKind::Select { cases, default } => {
                    for (labels, body) in cases {
                        for label in labels {
                            self.expression(label);
                        }
                        stack.extend(body);
                    }
                    stack.extend(default.iter().flatten());
                }
                StmtKind::For {
                    start, end, body, ..
                } => {
                    self.expression(start);
                    self.expression(end);
                    stack.extend(body);
                }
                StmtKind::ForEach { array, body, .. } => {
                    self.expression(array);
                    stack.extend(body);
                }
                StmtKind::Repeat { count, body } => {
                    self.expression(count);
                    stack.extend(body);
                }
                StmtKind::Function(f) => stack.extend(&f.body),
                StmtKind::Return(Some(e)) | StmtKind::Trace(e) | StmtKind::Call(e) => {
                    self.expression(e)
                }
                StmtKind::Return(None) | StmtKind::Break | StmtKind::Dynamic(_) => {}
            }
        }
    }

    /// The variable use at byte `offset`, if any.
    pub fn variable_at(&self, offset: usize) -> Option<&VariableUse> {
        self.variables
            .iter()
            .find(|v| v.span.start <= offset && offset <= v.span.end)
    }

    /// The first write of `name` in text order (its "definition").
    pub fn first_write(&self, name: &str) -> Option<&VariableUse> {
        self.variables.iter().find(|v| v.write && v.name == name)
    }

    /// The branch target at byte `offset`, if any.
    pub fn target_at(&self, offset: usize) -> Option<&TargetUse> {
        self.targets
            .iter()
            .find(|t| t.span.start <= offset && offset <= t.span.end)
    }

    /// The RunSub script name at byte `offset`, if any.
    pub fn subscript_at(&self, offset: usize) -> Option<&SubscriptUse> {
        self.subscripts
            .iter()
            .find(|s| s.span.start <= offset && offset <= s.span.end)
    }
}

/// A bare identifier or a plain string: the name and where it is written
/// (inside the quotes for a string).
fn name_of(value: &Expr, text: &str) -> Option<(String, Span)> {
    match &value.kind {
        ExprKind::Variable(name) => Some((name.clone(), value.span)),
        ExprKind::Literal(Literal::String(s)) => {
            let written = text.get(value.span.start..value.span.end)?.trim_end();
            let inner = if written.len() >= 2 {
                Span::new(value.span.start + 1, value.span.start + written.len() - 1)
            } else {
                value.span
            };
            Some((s.clone(), inner))
        }
        ExprKind::Template(parts) if parts.is_empty() => Some((String::new(), value.span)),
        _ => None,
    }
}

/// What Snippet code declares besides its assignments: loop variables,
/// `DYNAMIC` names, `FUNCTION`s with their parameters (added for
/// completion and hover; the index's own lists are unchanged).
#[derive(Debug, Default)]
pub struct SnippetDeclarations {
    /// Loop variables, `DYNAMIC` names and function parameters, in text order.
    pub variables: Vec<String>,
    /// Functions: name, parameters, where the name is written.
    pub functions: Vec<(String, Vec<String>, Span)>,
}

impl ScriptIndex {
    /// The declarations of the Snippet code blocks of `text` (the text the
    /// index was built from).
    pub fn snippet_declarations(&self, text: &str) -> SnippetDeclarations {
        let mut out = SnippetDeclarations::default();
        for span in &self.snippets {
            let Some(code) = text.get(span.start..span.end) else {
                continue;
            };
            let statements = match crate::snippet::parse_recovering(code, span.start) {
                Ok(code) | Err((_, Some(code))) => code,
                Err((_, None)) => continue,
            };
            let mut stack: Vec<&Stmt> = statements.iter().rev().collect();
            while let Some(statement) = stack.pop() {
                let bodies: Vec<&Vec<Stmt>> = match &statement.kind {
                    StmtKind::For { var, body, .. } | StmtKind::ForEach { var, body, .. } => {
                        out.variables.push(var.clone());
                        vec![body]
                    }
                    StmtKind::Dynamic(names) => {
                        out.variables.extend(names.iter().cloned());
                        vec![]
                    }
                    StmtKind::Function(f) => {
                        out.functions
                            .push((f.name.clone(), f.params.clone(), f.name_span));
                        out.variables.extend(f.params.iter().cloned());
                        vec![&f.body]
                    }
                    StmtKind::If {
                        then, otherwise, ..
                    } => vec![then, otherwise],
                    StmtKind::Switch { cases, default, .. }
                    | StmtKind::Select { cases, default } => cases
                        .iter()
                        .map(|(_, body)| body)
                        .chain(default.iter())
                        .collect(),
                    StmtKind::Repeat { body, .. } => vec![body],
                    _ => vec![],
                };
                for body in bodies.into_iter().rev() {
                    stack.extend(body.iter().rev());
                }
            }
        }
        out
    }
}
