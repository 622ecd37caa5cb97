//! Snippet statements → [`Program`]: expressions become the runtime's one
//! expression code ([`Code`]), names become variable slots, user functions
//! become entries of the script's function table.
//!
//! The runtime evaluates expressions against an immutable view of the
//! variables, but a user function may assign variables. So calls to user
//! functions are lifted out of expressions: `x = f(a) + 1` compiles to "call
//! `f(a)` into a hidden slot, then evaluate `slot + 1`". Calls run left to
//! right, innermost first, before the expression that uses them.

use std::collections::HashMap;
use std::sync::Arc;

use super::ast::{FunctionDecl, PathStep, Stmt, StmtKind, Target};
use super::program::{
    method, CExpr, CStep, CTarget, Callee, Case, Method, MethodKind, Op, OpKind, PreCall, Program,
    UserFunction, METHODS,
};
use crate::compile::ctx::Ctx;
use crate::compile::expr::{compile as compile_expr, warn_index_below_one};
use crate::diagnostics::{suggestion, Diagnostic, DiagnosticCode, SourceFile, Span};
use crate::program::names::{RESERVED_MEMBER, VALUE_MEMBER};
use crate::program::{Code, VarId, HIDDEN_PREFIX};
use crate::syntax::ast::{global_name, Expr, ExprKind, TemplatePart};

// The executor reads the call bound here until it imports `program`.
pub(crate) use super::program::MAX_CALL_DEPTH;

struct Signature {
    id: u32,
    name: String,
    params: Vec<VarId>,
    param_names: Vec<String>,
}

/// The functions declared by every snippet of a script, and the hidden
/// slots handed out so far.
pub(crate) struct SnippetUnit<'s> {
    source: &'s SourceFile,
    signatures: HashMap<String, Signature>,
    pub functions: Vec<UserFunction>,
    temps: u32,
    /// Parameter renames of the function being compiled.
    locals: HashMap<String, VarId>,
    /// Hidden slots created while compiling the current function body.
    created: Vec<VarId>,
    /// Names written as `global:name`.
    pub globals: Vec<String>,
}

impl<'s> SnippetUnit<'s> {
    pub fn new(source: &'s SourceFile) -> Self {
        SnippetUnit {
            source,
            signatures: HashMap::new(),
            functions: Vec::new(),
            temps: 0,
            locals: HashMap::new(),
            created: Vec::new(),
            globals: Vec::new(),
        }
    }

    /// Registers the FUNCTION declarations of every snippet (they are
    /// visible to every snippet of the script, in any order), then compiles
    /// their bodies. Declarations are taken out of `snippets`.
    pub fn declare(&mut self, snippets: &mut [Vec<Stmt>], ctx: &mut Ctx<'_>) {
        let mut decls: Vec<FunctionDecl> = Vec::new();
        for code in snippets.iter_mut() {
            let mut kept = Vec::with_capacity(code.len());
            for stmt in std::mem::take(code) {
                match stmt.kind {
                    StmtKind::Function(f) => decls.push(f),
                    _ => kept.push(stmt),
                }
            }
            *code = kept;
        }
        let mut registered: Vec<&FunctionDecl> = Vec::new();
        for f in &decls {
            let key = f.name.to_ascii_lowercase();
            if ctx.functions.signature(&f.name).is_some() {
                ctx.errors.push(Diagnostic::new(
                    DiagnosticCode::ReservedName,
                    f.name_span,
                    format!("FUNCTION `{}` has the name of a built-in function", f.name),
                ));
                continue;
            }
            if let Some(first) = self.signatures.get(&key) {
                ctx.errors.push(Diagnostic::new(
                    DiagnosticCode::DuplicateDeclaration,
                    f.name_span,
                    format!("FUNCTION `{}` is declared twice", first.name),
                ));
                continue;
            }
            let params = f
                .params
                .iter()
                .map(|p| ctx.var(&format!("{HIDDEN_PREFIX}{}.{p}", f.name)))
                .collect();
            let id = self.signatures.len() as u32;
            self.signatures.insert(
                key,
                Signature {
                    id,
                    name: f.name.clone(),
                    params,
                    param_names: f.params.clone(),
                },
            );
            registered.push(f);
        }
        ctx.snippet_function_names = self.signatures.values().map(|s| s.name.clone()).collect();
        // Bodies are compiled once every name is known (functions may call
        // each other in any order), in id order so `functions[id]` lines up.
        for f in registered {
            let sig = &self.signatures[&f.name.to_ascii_lowercase()];
            let (params, names) = (sig.params.clone(), sig.param_names.clone());
            self.locals = names.into_iter().zip(params.iter().copied()).collect();
            self.created.clear();
            let body = self.block(&f.body, ctx, true);
            let mut saved = params.clone();
            saved.append(&mut self.created);
            self.locals.clear();
            self.functions.push(UserFunction {
                name: Arc::from(f.name.as_str()),
                params: params.into_boxed_slice(),
                saved: saved.into_boxed_slice(),
                body,
            });
        }
    }

    /// Compiles one snippet's statements.
    pub fn program(&mut self, code: &[Stmt], ctx: &mut Ctx<'_>) -> Program {
        Program {
            body: self.block(code, ctx, false),
        }
    }

    fn block(&mut self, code: &[Stmt], ctx: &mut Ctx<'_>, in_function: bool) -> Box<[Op]> {
        code.iter()
            .filter_map(|s| self.statement(s, ctx, in_function))
            .collect()
    }

    fn line(&self, stmt: &Stmt) -> u32 {
        self.source.line_col(stmt.span.start).0 as u32
    }

    fn statement(&mut self, stmt: &Stmt, ctx: &mut Ctx<'_>, in_function: bool) -> Option<Op> {
        let kind = match &stmt.kind {
            StmtKind::Assign { target, value } => {
                let value = self.expr(value, ctx);
                let target = self.target(target, ctx);
                OpKind::Assign {
                    target: target?,
                    value: value?,
                }
            }
            StmtKind::If {
                cond,
                then,
                otherwise,
            } => {
                let cond = self.expr(cond, ctx);
                let then = self.block(then, ctx, in_function);
                let otherwise = self.block(otherwise, ctx, in_function);
                OpKind::If {
                    cond: cond?,
                    then,
                    otherwise,
                }
            }
            StmtKind::Switch {
                subject,
                cases,
                default,
            } => {
                let subject = self.expr(subject, ctx);
                let cases = self.cases(cases, ctx, in_function);
                let default = default.as_ref().map(|d| self.block(d, ctx, in_function));
                OpKind::Switch {
                    subject: subject?,
                    cases: cases?,
                    default,
                }
            }
            StmtKind::Select { cases, default } => {
                let cases = self.cases(cases, ctx, in_function);
                let default = default.as_ref().map(|d| self.block(d, ctx, in_function));
                OpKind::Select {
                    cases: cases?,
                    default,
                }
            }
            StmtKind::For {
                var,
                start,
                end,
                body,
            } => {
                let start = self.expr(start, ctx);
                let end = self.expr(end, ctx);
                let var = self.write_var(var, ctx);
                let body = self.block(body, ctx, in_function);
                OpKind::For {
                    var,
                    start: start?,
                    end: end?,
                    body,
                }
            }
            StmtKind::ForEach { var, array, body } => {
                let write_back = self.target_of(array, ctx);
                let array = self.expr(array, ctx);
                let var = self.write_var(var, ctx);
                let body = self.block(body, ctx, in_function);
                OpKind::ForEach {
                    var,
                    array: array?,
                    write_back,
                    body,
                }
            }
            StmtKind::Repeat { count, body } => {
                let count = self.expr(count, ctx);
                let body = self.block(body, ctx, in_function);
                OpKind::Repeat {
                    count: count?,
                    body,
                }
            }
            StmtKind::Break => OpKind::Break,
            StmtKind::Dynamic(names) => {
                OpKind::Dynamic(names.iter().map(|n| self.write_var(n, ctx)).collect())
            }
            StmtKind::Function(f) => {
                ctx.errors.push(Diagnostic::new(
DiagnosticCode::SyntaxError,
                    f.name_span,
                    "FUNCTION is declared at the top level of a snippet, not inside another statement",
                ));
                return None;
            }
            StmtKind::Return(value) => {
                let value = match value {
                    Some(v) => Some(self.expr(v, ctx)?),
                    None => None,
                };
                let _ = in_function; // RETURN outside a function ends the snippet.
                OpKind::Return(value)
            }
            StmtKind::Trace(e) => OpKind::Trace(self.expr(e, ctx)?),
            StmtKind::Call(e) => match statement_method(e) {
                Some((m, MethodKind::Update { function })) => self.update(e, m, function, ctx)?,
                Some((m, MethodKind::Save)) => self.save(e, m, ctx)?,
                _ => OpKind::Call(self.expr(e, ctx)?),
            },
        };
        Some(Op {
            kind,
            line: self.line(stmt),
        })
    }

    /// `receiver.Method(args)` of a method that changes its receiver:
    /// `receiver = function(receiver, args)`.
    fn update(
        &mut self,
        e: &Expr,
        m: &Method,
        function: &str,
        ctx: &mut Ctx<'_>,
    ) -> Option<OpKind> {
        let ExprKind::Call(_, name_span, args) = &e.kind else {
            return None;
        };
        if !self.method_arity(m, *name_span, args.len() - 1, ctx) {
            return None;
        }
        let Some(target) = self.receiver(&args[0], ctx) else {
            ctx.errors.push(Diagnostic::new(
                DiagnosticCode::SyntaxError,
                args[0].span,
                format!(
                    "{}() changes {}: call it on a variable, as in `p.{}(...)`",
                    m.name, m.receiver, m.name
                ),
            ));
            return None;
        };
        let mut call = e.clone();
        call.kind = ExprKind::Call(function.to_string(), *name_span, args.clone());
        let value = self.expr(&call, ctx)?;
        Some(OpKind::Assign { target, value })
    }

    /// `value.savetodb([n])`: the receiver and `n` evaluated as one list.
    fn save(&mut self, e: &Expr, m: &Method, ctx: &mut Ctx<'_>) -> Option<OpKind> {
        let ExprKind::Call(_, name_span, args) = &e.kind else {
            return None;
        };
        if !self.method_arity(m, *name_span, args.len() - 1, ctx) {
            return None;
        }
        let receiver = &args[0].span;
        let written = self
            .source
            .text()
            .get(receiver.start..receiver.end)
            .unwrap_or_default();
        let mut list = e.clone();
        list.kind = ExprKind::List(args.clone());
        Some(OpKind::Save {
            value: self.expr(&list, ctx)?,
            written: Arc::from(written),
        })
    }

    /// Checks a method call's argument count (`given` after the receiver).
    fn method_arity(&self, m: &Method, span: Span, given: usize, ctx: &mut Ctx<'_>) -> bool {
        if (m.min_args..=m.max_args).contains(&given) {
            return true;
        }
        let expected = if m.min_args == m.max_args {
            m.min_args.to_string()
        } else {
            format!("{} to {}", m.min_args, m.max_args)
        };
        ctx.errors.push(Diagnostic::new(
            DiagnosticCode::WrongArgumentCount,
            span,
            format!(
                "{}() takes {expected} argument{}, got {given}",
                m.name,
                if m.min_args == 1 && m.max_args == 1 {
                    ""
                } else {
                    "s"
                },
            ),
        ));
        false
    }

    /// The variable (or member path on one) a method's receiver is, for
    /// methods that write into it; `None` for any other expression.
    fn receiver(&mut self, e: &Expr, ctx: &mut Ctx<'_>) -> Option<CTarget> {
        let mut members = Vec::new();
        let mut cur = e;
        loop {
            match &cur.kind {
                ExprKind::Member(base, m) => {
                    if m == VALUE_MEMBER || m == RESERVED_MEMBER {
                        return None;
                    }
                    members.push(CStep::Member(Arc::from(m.as_str())));
                    cur = base;
                }
                ExprKind::Variable(name) => {
                    members.reverse();
                    let var = match global_name(name) {
                        Some(shared) => self.global_var(shared, ctx),
                        None => self.write_var(name, ctx),
                    };
                    return Some(CTarget {
                        var,
                        path: members.into_boxed_slice(),
                    });
                }
                _ => return None,
            }
        }
    }

    fn cases(
        &mut self,
        cases: &[(Vec<Expr>, Vec<Stmt>)],
        ctx: &mut Ctx<'_>,
        in_function: bool,
    ) -> Option<Box<[Case]>> {
        let mut compiled: Vec<Option<Case>> = Vec::with_capacity(cases.len());
        for (labels, body) in cases {
            let labels: Vec<Option<CExpr>> = labels.iter().map(|e| self.expr(e, ctx)).collect();
            let mut body = Some(self.block(body, ctx, in_function));
            let last = labels.len().saturating_sub(1);
            for (j, label) in labels.into_iter().enumerate() {
                let stacked = j < last;
                compiled.push(label.map(|label| Case {
                    label,
                    body: if stacked {
                        Box::default()
                    } else {
                        body.take().unwrap_or_default()
                    },
                    stacked,
                }));
            }
        }
        compiled.into_iter().collect()
    }

    /// The slot a statement writes by name (loop variables, DYNAMIC).
    fn write_var(&mut self, name: &str, ctx: &mut Ctx<'_>) -> VarId {
        if let Some(id) = self.locals.get(name) {
            return *id;
        }
        ctx.writes.insert(name.to_string());
        ctx.var(name)
    }

    /// The slot of `global:name`, written: the script's own `name` (never
    /// a parameter); RunSub shares it with the caller.
    fn global_var(&mut self, name: &str, ctx: &mut Ctx<'_>) -> VarId {
        let name = ctx.global_spelling(name);
        self.globals.push(name.clone());
        ctx.writes.insert(name.clone());
        ctx.var(&name)
    }

    fn target(&mut self, t: &Target, ctx: &mut Ctx<'_>) -> Option<CTarget> {
        let var = if t.global {
            self.global_var(&t.name, ctx)
        } else {
            self.write_var(&t.name, ctx)
        };
        let mut path = Vec::with_capacity(t.path.len());
        let mut ok = true;
        for step in &t.path {
            match step {
                PathStep::Member(m) if m == VALUE_MEMBER || m == RESERVED_MEMBER => {
                    ctx.errors.push(Diagnostic::new(
                        DiagnosticCode::ReadOnlyMember,
                        t.span,
                        format!("the member `{m}` cannot be assigned: Studio reserves it"),
                    ));
                    ok = false;
                }
                PathStep::Member(m) => path.push(CStep::Member(Arc::from(m.as_str()))),
                PathStep::Index(e) => {
                    warn_index_below_one(e, ctx);
                    match self.expr(e, ctx) {
                        Some(c) => path.push(CStep::Index(c)),
                        None => ok = false,
                    }
                }
            }
        }
        ok.then(|| CTarget {
            var,
            path: path.into_boxed_slice(),
        })
    }

    /// FOREACH writes a changed iterator back into its array when the array
    /// is a variable or a member/index path on one.
    fn target_of(&mut self, e: &Expr, ctx: &mut Ctx<'_>) -> Option<CTarget> {
        let mut steps = Vec::new();
        let mut cur = e;
        loop {
            match &cur.kind {
                ExprKind::Variable(name) => {
                    steps.reverse();
                    let var = match (global_name(name), self.locals.get(name)) {
                        (Some(shared), _) => self.global_var(shared, ctx),
                        (None, Some(id)) => *id,
                        (None, None) => ctx.var(name),
                    };
                    let mut path = Vec::with_capacity(steps.len());
                    for s in steps {
                        path.push(match s {
                            Ok(m) => CStep::Member(m),
                            Err(i) => CStep::Index(self.expr(i, ctx)?),
                        });
                    }
                    return Some(CTarget {
                        var,
                        path: path.into_boxed_slice(),
                    });
                }
                ExprKind::Member(base, m) => {
                    steps.push(Ok(Arc::<str>::from(m.as_str())));
                    cur = base;
                }
                ExprKind::Index(base, i) => {
                    steps.push(Err(&**i));
                    cur = base;
                }
                _ => return None,
            }
        }
    }

    /// Compiles an expression: parameters renamed to their hidden slots,
    /// user-function calls lifted into [`PreCall`]s.
    fn expr(&mut self, e: &Expr, ctx: &mut Ctx<'_>) -> Option<CExpr> {
        let mut e = e.clone();
        let mut pre = Vec::new();
        let before = ctx.errors.len();
        self.lift(&mut e, &mut pre, ctx);
        if ctx.errors.len() > before {
            return None;
        }
        ctx.max_depth = ctx.max_depth.max(e.depth as usize);
        let code = compile_expr(&e, ctx)?;
        Some(CExpr {
            pre: pre.into_boxed_slice(),
            code,
        })
    }

    /// Post-order walk (bounded by the expression's height, at most
    /// MAX_NESTING).
    fn lift(&mut self, e: &mut Expr, pre: &mut Vec<PreCall>, ctx: &mut Ctx<'_>) {
        match &mut e.kind {
            ExprKind::Literal(_) => {}
            ExprKind::Variable(name) => {
                if let Some(shared) = global_name(name) {
                    // `global:x` is the script's `x`, never a parameter.
                    let shared = ctx.global_spelling(shared);
                    self.globals.push(shared.clone());
                    *name = shared;
                } else if let Some(id) = self.locals.get(name.as_str()) {
                    *name = self.slot_name(*id, ctx);
                }
            }
            ExprKind::Template(parts) => {
                for p in parts {
                    if let TemplatePart::Expr(inner) = p {
                        self.lift(inner, pre, ctx);
                    }
                }
            }
            ExprKind::List(items) => items.iter_mut().for_each(|i| self.lift(i, pre, ctx)),
            ExprKind::Member(a, _) | ExprKind::Unary(_, a) => self.lift(a, pre, ctx),
            ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) => {
                self.lift(a, pre, ctx);
                self.lift(b, pre, ctx);
            }
            ExprKind::Call(name, name_span, args) => {
                let is_method = is_method_call(*name_span, args);
                // A request's proxy is taken before its arguments are
                // lifted (a parameter is still written by its own name).
                let mut proxy = None;
                if let Some(m) = method(name).filter(|_| is_method) {
                    if m.kind != MethodKind::Request {
                        let (what, example) = match m.kind {
                            MethodKind::Save => ("saves its receiver".to_string(), "x"),
                            _ => (format!("changes {}", m.receiver), "p"),
                        };
                        ctx.errors.push(Diagnostic::new(
                            DiagnosticCode::SyntaxError,
                            *name_span,
                            format!(
                                "{}() {what}: write it as a statement of its own, as in `{example}.{}(...)`",
                                m.name, m.name
                            ),
                        ));
                        return;
                    }
                    if !self.method_arity(m, *name_span, args.len() - 1, ctx) {
                        return;
                    }
                    proxy = self.receiver(&args[0], ctx);
                    if proxy.is_none() {
                        ctx.errors.push(Diagnostic::new(
                            DiagnosticCode::SyntaxError,
                            args[0].span,
                            format!(
                                "{}() needs {} in a variable: `ASSIGN p = GetRESTProxy()`, then `p.{}(...)`",
                                m.name, m.receiver, m.name
                            ),
                        ));
                        return;
                    }
                }
                for a in args.iter_mut() {
                    self.lift(a, pre, ctx);
                }
                if let Some(proxy) = proxy {
                    self.lift_call(e, Callee::Request { proxy }, pre, ctx);
                    return;
                }
                let Some(sig) = self.signatures.get(&name.to_ascii_lowercase()) else {
                    if is_method && ctx.functions.signature(name).is_none() {
                        let names = METHODS
                            .iter()
                            .map(|m| m.name)
                            .chain(ctx.functions.names())
                            .chain(self.signatures.values().map(|s| s.name.as_str()));
                        let hint = suggestion(name, names);
                        ctx.errors.push(Diagnostic::new(
                            DiagnosticCode::UnknownFunction,
                            *name_span,
                            format!("unknown method `{name}`{hint}"),
                        ));
                    }
                    return; // a built-in (or unknown: reported by the expression compiler)
                };
                if args.len() != sig.params.len() {
                    ctx.errors.push(Diagnostic::new(
                        DiagnosticCode::WrongArgumentCount,
                        *name_span,
                        format!(
                            "{}() takes {} argument{}, got {} (every parameter is required)",
                            sig.name,
                            sig.params.len(),
                            if sig.params.len() == 1 { "" } else { "s" },
                            args.len()
                        ),
                    ));
                    return;
                }
                let func = sig.id;
                self.lift_call(e, Callee::Function(func), pre, ctx);
            }
        }
    }

    /// Replaces the call `e` (its arguments lifted) by a hidden slot that
    /// `callee` fills first.
    fn lift_call(
        &mut self,
        e: &mut Expr,
        callee: Callee,
        pre: &mut Vec<PreCall>,
        ctx: &mut Ctx<'_>,
    ) {
        let ExprKind::Call(_, _, args) = &e.kind else {
            return;
        };
        let mut codes = Vec::with_capacity(args.len());
        for a in args.iter() {
            ctx.max_depth = ctx.max_depth.max(a.depth as usize);
            if let Some(c) = compile_expr(a, ctx) {
                codes.push(c);
            }
        }
        if codes.len() != args.len() {
            return;
        }
        self.temps += 1;
        let temp_name = format!("{HIDDEN_PREFIX}t{}", self.temps);
        let into = ctx.var(&temp_name);
        self.created.push(into);
        pre.push(PreCall {
            callee,
            args: codes.into_boxed_slice(),
            into,
        });
        e.kind = ExprKind::Variable(temp_name);
        e.depth = 1;
    }

    fn slot_name(&self, id: VarId, ctx: &Ctx<'_>) -> String {
        ctx.var_name(id).to_string()
    }
}

/// Whether a call is written as a method, `receiver.name(args)`: the
/// receiver (the first argument) is written before the name.
fn is_method_call(name_span: Span, args: &[Expr]) -> bool {
    args.first()
        .is_some_and(|receiver| receiver.span.end <= name_span.start)
}

/// The method a call statement calls, when it is one.
fn statement_method(e: &Expr) -> Option<(&'static Method, MethodKind)> {
    let ExprKind::Call(name, name_span, args) = &e.kind else {
        return None;
    };
    let m = method(name).filter(|_| is_method_call(*name_span, args))?;
    Some((m, m.kind))
}

/// A compiled snippet's `Code` never needs the source again.
#[allow(dead_code)]
fn _assert_send_sync() {
    fn check<T: Send + Sync>() {}
    check::<Program>();
    check::<Code>();
}
