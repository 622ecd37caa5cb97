//! Stage 2: AST → an immutable, fully resolved [`Script`].
//!
//! Every static error is found here: unknown action types, properties and
//! branches, missing targets, broken expressions in reachable and unreachable
//! actions alike. Names are resolved once: action ids to indices, branch
//! names to slots, variables to slots, functions to registry entries.

mod expr;
mod flow;
pub(crate) use expr::compile as compile_expr;
pub(crate) use expr::warn_index_below_one;
pub(crate) mod registry;
mod subscripts;
mod units;
pub(crate) use subscripts::SubGraph;

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;

use indexmap::IndexMap;

use crate::action::{ActionHandler, PropertyKind, ScriptType, LABEL_BASE};
use crate::diagnostics::{
    did_you_mean, suggestion, Diagnostic, DiagnosticCode, Diagnostics, SourceFile, Span,
};
use crate::runtime::eval::{Code, VarId};
use crate::runtime::functions::FunctionRegistry;
use crate::runtime::Value;
use crate::syntax::ast::{ActionAst, Expr, ExprKind, Literal, ParsedScript};
use crate::syntax::is_variable_name;
use registry::ActionRegistry;

pub use flow::{ActionKind, FlowAction, FlowBranch};
pub use units::ScriptUnit;

/// The name of the system variable holding the last error.
///
/// ```
/// assert_eq!(studioflow::ERR_VARIABLE, "_ERR");
/// ```
pub const ERR_VARIABLE: &str = "_ERR";

/// A compiled script: immutable, `Send + Sync`, cheap to clone (shared).
///
/// ```
/// let engine = studioflow::Engine::new();
/// let script = engine.compile("start: Begin { Default -> done }\ndone: End", "a.script").unwrap();
/// assert_eq!(script.name(), "a.script");
/// assert_eq!(script.action_count(), 2);
/// let copy = script.clone(); // shares the compiled form
/// std::thread::spawn(move || copy.action_count()).join().unwrap();
/// ```
#[derive(Clone)]
pub struct Script {
    pub(crate) inner: Arc<ScriptInner>,
}

pub(crate) struct ScriptInner {
    pub engine_id: u64,
    pub name: String,
    pub title: Option<String>,
    pub script_type: ScriptType,
    pub actions: Box<[CompiledAction]>,
    pub entry: u32,
    pub var_names: Box<[Arc<str>]>,
    /// Variable ids in name order, for sorted output without a sort per run.
    pub vars_by_name: Box<[u32]>,
    pub var_index: HashMap<String, VarId>,
    pub err_var: VarId,
    /// The height of the deepest expression, to size the run's stack.
    pub max_expr_depth: usize,
    /// "Error", for the trace of a terminal action that failed (it has no branches).
    pub error_branch: Arc<str>,
    pub warnings: Diagnostics,
    /// The script's shape as data, index-aligned with `actions`.
    pub flow: Box<[FlowAction]>,
    /// Snippet code's user functions (`FUNCTION f(a) { }`), shared by every
    /// Snippet action of the script.
    pub snippet_functions: Box<[crate::snippet::program::UserFunction]>,
    /// The scripts RunSub actions call (units 1..; unit 0 is this script).
    /// Only the script that was compiled holds them; a subscript's own list
    /// is empty and its RunSubs index this one.
    pub subscripts: Box<[Arc<ScriptInner>]>,
    /// How traces and errors name this script when it runs as a subscript.
    pub label: Arc<str>,
    /// Begin's Parameters: names for p1, p2, ...
    pub param_names: Box<[Arc<str>]>,
    /// Variables written as `global:name`, shared with a calling script.
    pub global_names: Box<[Arc<str>]>,
}

impl ScriptInner {
    /// Unit `i` of the call graph this script is the root of.
    pub(crate) fn unit(&self, i: u32) -> &ScriptInner {
        match i {
            0 => self,
            n => &self.subscripts[n as usize - 1],
        }
    }
}

impl Script {
    /// The name given to `compile` (usually the file path).
    ///
    /// ```
    /// let s = studioflow::Engine::new().compile("start: Begin", "n.script").unwrap();
    /// assert_eq!(s.name(), "n.script");
    /// ```
    pub fn name(&self) -> &str {
        &self.inner.name
    }
    /// The title from the `script "..."` header, if any.
    ///
    /// ```
    /// let s = studioflow::Engine::new().compile("script \"Lookup\" type Chat\nstart: Begin", "t.script").unwrap();
    /// assert_eq!(s.title(), Some("Lookup"));
    /// assert_eq!(s.script_type(), studioflow::ScriptType::Chat);
    /// ```
    pub fn title(&self) -> Option<&str> {
        self.inner.title.as_deref()
    }
    /// The script type from the header (Generic by default).
    ///
    /// ```
    /// let s = studioflow::Engine::new().compile("start: Begin", "t").unwrap();
    /// assert_eq!(s.script_type(), studioflow::ScriptType::Generic);
    /// ```
    pub fn script_type(&self) -> ScriptType {
        self.inner.script_type
    }
    /// How many actions it has.
    ///
    /// ```
    /// assert_eq!(studioflow::Engine::new().compile("start: Begin", "c").unwrap().action_count(), 1);
    /// ```
    pub fn action_count(&self) -> usize {
        self.inner.actions.len()
    }
    /// The warnings of the successful compile.
    ///
    /// ```
    /// let s = studioflow::Engine::new().compile("start: Begin\nlost: End", "w").unwrap();
    /// assert!(s.warnings().items()[0].message.contains("unreachable"));
    /// ```
    pub fn warnings(&self) -> &Diagnostics {
        &self.inner.warnings
    }
    /// The ids of its actions, in source order.
    ///
    /// ```
    /// let s = studioflow::Engine::new().compile("start: Begin { Default -> done }\ndone: End", "i.script").unwrap();
    /// assert_eq!(s.action_ids().collect::<Vec<_>>(), ["start", "done"]);
    /// ```
    pub fn action_ids(&self) -> impl Iterator<Item = &str> {
        self.inner.actions.iter().map(|a| &*a.id)
    }
    /// The actions and the branches written between them, in source order,
    /// for pictures, coverage and mocks.
    ///
    /// ```
    /// let script = studioflow::Engine::new()
    ///     .compile("start: Begin { Default -> done }\ndone: End", "f.script")
    ///     .unwrap();
    /// let start = &script.flow()[0];
    /// assert_eq!(&*start.branches[0].name, "Default");
    /// assert_eq!(&*script.flow()[start.branches[0].target].id, "done");
    /// ```
    pub fn flow(&self) -> &[crate::FlowAction] {
        &self.inner.flow
    }
    /// The index in [`Script::flow`] of the action with this id (ids are case-sensitive).
    ///
    /// ```
    /// let script = studioflow::Engine::new().compile("start: Begin { Default -> done }\ndone: End", "i").unwrap();
    /// assert_eq!(script.action_index("done"), Some(1));
    /// assert_eq!(script.action_index("Done"), None);
    /// ```
    pub fn action_index(&self, id: &str) -> Option<usize> {
        self.inner.actions.iter().position(|a| &*a.id == id)
    }
    /// The source text the script was compiled from, with its name, for
    /// turning spans into lines and columns.
    ///
    /// ```
    /// let script = studioflow::Engine::new().compile("start: Begin", "s.script").unwrap();
    /// assert_eq!(script.source().name(), "s.script");
    /// assert_eq!(script.source().line_col(script.flow()[0].id_span.start), (1, 1));
    /// ```
    pub fn source(&self) -> &SourceFile {
        self.inner.warnings.source()
    }
}

impl Script {
    /// For a RunSub action (by index, as in [`Script::flow`]): the script it
    /// calls, as its ScriptName names it and as the resolver resolved it
    /// (a path for files). `None` for every other action.
    ///
    /// ```
    /// let mut scripts = studioflow::MemoryResolver::default();
    /// scripts.insert("lookup", "start: Begin { Default -> r }\nr: Return");
    /// let engine = studioflow::Engine::builder().script_resolver(scripts).build();
    /// let s = engine.compile("start: Begin { Default -> c }\nc: RunSub { ScriptName = lookup }", "main").unwrap();
    /// assert_eq!(s.subscript_of(1), Some(("lookup", "lookup")));
    /// assert_eq!(s.subscript_of(0), None);
    /// ```
    pub fn subscript_of(&self, action: usize) -> Option<(&str, &str)> {
        let a = self.inner.actions.get(action)?;
        a.properties.iter().find_map(|p| match p {
            PropSlot::Subscript(unit, written) => {
                let target = self.inner.unit(*unit);
                Some((written.as_str().unwrap_or(""), target.name.as_str()))
            }
            _ => None,
        })
    }
}

impl std::fmt::Debug for Script {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Script")
            .field("name", &self.inner.name)
            .field("actions", &self.inner.actions.len())
            .finish()
    }
}

/// A property after compile.
#[derive(Debug, Clone)]
pub(crate) enum PropSlot {
    /// Not written and no default.
    Absent,
    /// A literal or a Name.
    Const(Value),
    /// An expression evaluated on every execution.
    Code(Code),
    /// A variable name resolved to its slot; the value is its name.
    Var(VarId, Value),
    /// Compiled Snippet code.
    Snippet(Arc<crate::snippet::program::Program>),
    /// A RunSub's script: its unit in the call graph, and its name as written.
    Subscript(u32, Value),
}

pub(crate) struct CompiledAction {
    pub id: Arc<str>,
    pub type_name: Arc<str>,
    pub caption: Arc<str>,
    pub handler: Arc<dyn ActionHandler>,
    pub terminal: bool,
    pub properties: Box<[PropSlot]>,
    /// The action type's schema (shared with the registry).
    pub schema: Arc<crate::action::ActionSchema>,
    /// Indexed by branch id number: 0 Default, 1 Error, 2.. own branches.
    pub targets: Box<[Option<u32>]>,
    pub branch_names: Arc<[Arc<str>]>,
    /// Labeled branches (`Case "x" -> y`) in source order.
    pub labels: Box<[Arc<str>]>,
    pub label_targets: Box<[Option<u32>]>,
    pub label_names: Box<[Arc<str>]>,
    /// Per branch id number: the index of the written branch in the flow
    /// description (`None` when not written).
    pub target_edges: Box<[Option<u32>]>,
    /// Per labeled branch: its index in the flow description.
    pub label_edges: Box<[u32]>,
    /// A property has a closed set of words, checked on every run.
    pub checks_choices: bool,
}

impl CompiledAction {
    /// The target of a branch id and the branch name actually taken after
    /// the fallback to Default.
    pub fn follow(&self, branch: crate::action::BranchId) -> Option<Followed<'_>> {
        let n = branch.0;
        if n & LABEL_BASE != 0 {
            let i = (n & !LABEL_BASE) as usize;
            let target = *self.label_targets.get(i)?;
            return Some(match target {
                Some(t) => Followed {
                    target: Some(t),
                    name: &self.label_names[i],
                    edge: Some(self.label_edges[i]),
                },
                None => self.fallback(),
            });
        }
        let target = *self.targets.get(n as usize)?;
        Some(match target {
            Some(t) => Followed {
                target: Some(t),
                name: &self.branch_names[n as usize],
                edge: self.target_edges[n as usize],
            },
            None => self.fallback(),
        })
    }

    /// Default, connected or not: where an unconnected branch leads.
    fn fallback(&self) -> Followed<'_> {
        Followed {
            target: self.targets[0],
            name: &self.branch_names[0],
            edge: self.target_edges[0],
        }
    }
}

/// Where a branch leads once the fallback to Default is applied.
pub(crate) struct Followed<'a> {
    /// The next action; `None` ends the script.
    pub target: Option<u32>,
    /// The branch name actually taken.
    pub name: &'a Arc<str>,
    /// The written branch taken, as an index into the action's flow branches.
    pub edge: Option<u32>,
}

/// What the host declares about a compile.
///
/// ```
/// let options = studioflow::CompileOptions { inputs: vec!["Tier".into()] };
/// let s = studioflow::Engine::new().compile_with("start: Begin { Default -> a }\na: Assign { Variable = x Value = Tier }", "i", &options).unwrap();
/// assert!(s.warnings().is_empty());
/// ```
#[derive(Debug, Clone, Default)]
pub struct CompileOptions {
    /// Variables the host will supply (no "never assigned" warning for them).
    pub inputs: Vec<String>,
}

pub(crate) struct Compiler<'a> {
    pub actions: &'a ActionRegistry,
    pub functions: &'a FunctionRegistry,
    pub engine_id: u64,
    pub max_value_depth: usize,
    pub max_string_bytes: usize,
    /// The call graph being built, when subscripts can be resolved.
    pub subscripts: &'a std::cell::RefCell<SubGraph<'a>>,
}

pub(crate) struct Ctx<'a> {
    pub functions: &'a FunctionRegistry,
    vars: IndexMap<String, VarId>,
    reads: Vec<(String, Span)>,
    pub writes: HashSet<String>,
    pub errors: Vec<Diagnostic>,
    /// Warnings found while compiling expressions (`[0]`).
    pub warnings: Vec<Diagnostic>,
    pub max_depth: usize,
    list_depth: usize,
    max_value_depth: usize,
    max_string_bytes: usize,
    /// Ids of the actions that did not parse.
    unparsed: HashSet<String>,
    /// Bare identifiers written in a property with [`crate::action::Choices`]
    /// that are not one of its words: refused unless something assigns them.
    choice_variables: Vec<ChoiceVariable>,
    /// The script's Snippet FUNCTIONs, for "did you mean" (calls to them
    /// never reach the expression compiler).
    pub snippet_function_names: Vec<String>,
}

/// See [`Ctx::choice_variables`].
struct ChoiceVariable {
    name: String,
    span: Span,
    property: String,
    expected: String,
    /// ` (did you mean `inactive`?)` when a word is close.
    suggestion: String,
}

impl Ctx<'_> {
    /// The name of a slot.
    pub fn var_name(&self, id: VarId) -> &str {
        self.vars
            .get_index(id.0 as usize)
            .map(|(k, _)| k.as_str())
            .unwrap_or("")
    }
    /// The slot of a variable, created on first use.
    pub fn var(&mut self, name: &str) -> VarId {
        if let Some(id) = self.vars.get(name) {
            return *id;
        }
        let id = VarId(self.vars.len() as u32);
        self.vars.insert(name.to_string(), id);
        id
    }

    /// A literal string longer than runs may build would only fail later
    /// (or hold memory the limits promise not to): refuse it now.
    fn check_literal_len(&mut self, len: usize, span: Span) -> bool {
        if len <= self.max_string_bytes {
            return true;
        }
        self.errors.push(Diagnostic::new(
            DiagnosticCode::StringTooLong,
            span,
            format!(
                "this string literal is {len} bytes, over the string limit of {} bytes",
                self.max_string_bytes
            ),
        ));
        false
    }
}

/// The literal text of a Name property: a bare identifier or a plain string.
/// The word a bare identifier stands for in a property with choices.
fn bare_choice(ps: &crate::action::PropertySchema, e: &Expr) -> Option<String> {
    match (&ps.choices, &e.kind) {
        (Some(choices), ExprKind::Variable(name)) if !e.parenthesized => {
            choices.find(name).map(str::to_string)
        }
        _ => None,
    }
}

fn name_text(e: &Expr) -> Option<String> {
    match &e.kind {
        ExprKind::Variable(n) if !e.parenthesized => Some(n.clone()),
        ExprKind::Literal(Literal::String(s)) => Some(s.clone()),
        _ => None,
    }
}

/// How a registered action type is drawn and reported.
fn action_kind(reg: &registry::RegisteredAction) -> ActionKind {
    let schema = &reg.schema;
    if schema.entry {
        ActionKind::Entry
    } else if schema.terminal {
        ActionKind::Terminal
    } else if !reg.builtin {
        ActionKind::Host
    } else if schema.external_failures {
        ActionKind::Api
    } else if schema.labeled_branch.is_some() || !schema.branches.is_empty() {
        ActionKind::Decision
    } else {
        ActionKind::Plain
    }
}

fn literal_text(l: &Literal) -> String {
    match l {
        Literal::Null => String::new(),
        Literal::Bool(b) => b.to_string(),
        Literal::Number(n) => Value::Number(*n).to_text(),
        Literal::String(s) | Literal::DateTime(s) => s.clone(),
    }
}

impl Compiler<'_> {
    pub fn compile(
        &self,
        parsed: &ParsedScript,
        source: SourceFile,
        options: &CompileOptions,
    ) -> Result<Script, Diagnostics> {
        let ast = &parsed.ast;
        // With syntax errors some actions are unknown: anything that depends
        // on the whole graph (Begin, reachability, assignments) is a guess.
        let complete = parsed.errors.is_empty();
        let mut ctx = Ctx {
            functions: self.functions,
            vars: IndexMap::new(),
            reads: Vec::new(),
            writes: HashSet::new(),
            errors: parsed.errors.clone(),
            warnings: Vec::new(),
            max_depth: 0,
            list_depth: 0,
            max_value_depth: self.max_value_depth,
            max_string_bytes: self.max_string_bytes,
            unparsed: HashSet::new(),
            choice_variables: Vec::new(),
            snippet_function_names: Vec::new(),
        };
        let err_var = ctx.var(ERR_VARIABLE);
        let mut warnings: Vec<Diagnostic> = Vec::new();

        let mut script_type = ScriptType::Generic;
        let mut title = None;
        if let Some(h) = &ast.header {
            ctx.check_literal_len(h.name.len(), Span::default());
            title = Some(h.name.clone());
            if let Some((t, span)) = &h.script_type {
                match t.parse::<ScriptType>() {
                    Ok(t) => script_type = t,
                    Err(msg) => ctx.errors.push(Diagnostic::new(
                        DiagnosticCode::UnknownScriptType,
                        *span,
                        msg,
                    )),
                }
            }
        }

        // Action ids → indices.
        let mut index: HashMap<&str, u32> = HashMap::new();
        for (i, a) in ast.actions.iter().enumerate() {
            if let Some(&first) = index.get(a.id.as_str()) {
                let (line, _) = source.line_col(ast.actions[first as usize].id_span.start);
                ctx.errors.push(Diagnostic::new(
                    DiagnosticCode::DuplicateActionId,
                    a.id_span,
                    format!(
                        "duplicate action id `{}` (first defined on line {line})",
                        a.id
                    ),
                ));
            } else {
                index.insert(&a.id, i as u32);
            }
        }
        // Branches to an action that did not parse are not reported missing.
        ctx.unparsed = parsed.unparsed.iter().map(|u| u.id.clone()).collect();

        // Snippet code is parsed first: its FUNCTIONs are visible to every
        // snippet of the script, whatever the order of the actions.
        let mut snippet_unit = crate::snippet::compile::SnippetUnit::new(&source);
        let mut snippet_sites: Vec<(usize, usize)> = Vec::new();
        let mut snippet_code: Vec<Vec<crate::snippet::Stmt>> = Vec::new();
        for (i, a) in ast.actions.iter().enumerate() {
            let Some(reg) = self.actions.lookup(&a.action_type) else {
                continue;
            };
            for p in &a.properties {
                let Some(pi) = reg.property_index(&p.name) else {
                    continue;
                };
                if reg.schema.properties[pi].kind != PropertyKind::SnippetCode
                    || snippet_sites.contains(&(i, pi))
                {
                    continue;
                }
                match snippet_text(&p.value, &source) {
                    Ok((text, offset)) => match crate::snippet::parse(text, offset) {
                        Ok(code) => {
                            snippet_sites.push((i, pi));
                            snippet_code.push(code);
                        }
                        Err(d) => ctx.errors.push(d),
                    },
                    Err(d) => ctx.errors.push(d),
                }
            }
        }
        snippet_unit.declare(&mut snippet_code, &mut ctx);
        let mut snippet_programs: HashMap<(usize, usize), Arc<crate::snippet::program::Program>> =
            HashMap::new();
        for (site, code) in snippet_sites.iter().zip(&snippet_code) {
            let program = snippet_unit.program(code, &mut ctx);
            snippet_programs.insert(*site, Arc::new(program));
        }
        let snippet_functions = std::mem::take(&mut snippet_unit.functions);
        let mut global_names: Vec<Arc<str>> = snippet_unit
            .globals
            .iter()
            .map(|g| Arc::from(g.as_str()))
            .collect();
        global_names.sort_unstable();
        global_names.dedup();
        drop(snippet_unit);

        let mut compiled = Vec::with_capacity(ast.actions.len());
        let mut flow: Vec<FlowAction> = Vec::with_capacity(ast.actions.len());
        let mut entries: Vec<(u32, Span)> = Vec::new();
        let mut external_without_error: Vec<(Span, String)> = Vec::new();
        for (i, a) in ast.actions.iter().enumerate() {
            match self.compile_action(a, i, &index, script_type, &mut ctx, &snippet_programs) {
                Some((c, branches)) => {
                    let reg = self
                        .actions
                        .lookup(&a.action_type)
                        .expect("looked up before");
                    if reg.schema.entry {
                        entries.push((i as u32, a.type_span));
                    }
                    let error_unconnected = reg.schema.external_failures
                        && c.targets.get(1).copied().flatten().is_none();
                    if error_unconnected {
                        external_without_error.push((a.type_span, reg.schema.name.clone()));
                    }
                    flow.push(FlowAction {
                        id: c.id.clone(),
                        action_type: c.type_name.clone(),
                        caption: c.caption.clone(),
                        caption_written: a.caption.is_some(),
                        kind: action_kind(reg),
                        reachable: false,
                        error_unconnected,
                        span: a.span,
                        id_span: a.id_span,
                        branches,
                    });
                    compiled.push(c);
                }
                None => continue,
            }
        }

        let entry = match entries.as_slice() {
            [(i, _)] => *i,
            [] => {
                if ctx.errors.is_empty() && complete {
                    ctx.errors.push(Diagnostic::new(
                        DiagnosticCode::NoBegin,
                        ast.actions.first().map(|a| a.id_span).unwrap_or_default(),
                        "the script has no Begin action: exactly one is required",
                    ));
                }
                0
            }
            [_, rest @ ..] => {
                for (_, span) in rest {
                    ctx.errors.push(Diagnostic::new(
                        DiagnosticCode::SecondBegin,
                        *span,
                        "a second Begin action: a script has exactly one",
                    ));
                }
                0
            }
        };

        // `Status = inactiv`: a misspelt word reads as an unset variable,
        // i.e. "", which silently means the default (all agents). (Only
        // when every action parsed: an unparsed one may assign it.)
        // (Such a name is not warned about again as never assigned.)
        let mut refused_choices: HashSet<String> = HashSet::new();
        for choice in std::mem::take(&mut ctx.choice_variables) {
            if !complete
                || ctx.writes.contains(&choice.name)
                || options.inputs.contains(&choice.name)
            {
                continue;
            }
            refused_choices.insert(choice.name.clone());
            ctx.errors.push(Diagnostic::new(
                DiagnosticCode::InvalidPropertyValue,
                choice.span,
                format!(
                    "`{}` is not one of {} for `{}`{}, and as a variable it is never assigned (it would read as \"\"); write one of the words, or declare the input with --var {}",
                    choice.name, choice.expected, choice.property, choice.suggestion, choice.name
                ),
            ));
        }

        // Reachability from Begin, on the source's graph so that it is known
        // even when some actions did not compile.
        let mut seen = vec![false; ast.actions.len()];
        if complete && !entries.is_empty() {
            let mut queue = VecDeque::from([entry]);
            seen[entry as usize] = true;
            while let Some(i) = queue.pop_front() {
                for b in &ast.actions[i as usize].branches {
                    if let Some(&t) = index.get(b.target.as_str()) {
                        if !seen[t as usize] {
                            seen[t as usize] = true;
                            queue.push_back(t);
                        }
                    }
                }
            }
            for (i, a) in ast.actions.iter().enumerate() {
                // A second action with an id is already an error.
                let first_of_its_id = index.get(a.id.as_str()) == Some(&(i as u32));
                if !seen[i] && first_of_its_id {
                    warnings.push(Diagnostic::new(
                        DiagnosticCode::UnreachableAction,
                        a.id_span,
                        format!("action `{}` is unreachable from Begin", a.id),
                    ));
                }
            }
        }
        for (f, reachable) in flow.iter_mut().zip(&seen) {
            f.reachable = *reachable;
        }
        warnings.append(&mut ctx.warnings);
        for (span, name) in external_without_error {
            warnings.push(Diagnostic::new(
DiagnosticCode::ErrorBranchNotConnected,
                span,
                format!("{name} can fail for reasons outside the script, but its Error branch is not connected: a failure will stop the script"),
            ));
        }
        // Begin's Parameters name p1, p2, ... (Studio renames them there).
        // (Only when every action compiled: otherwise indices do not line up.)
        let param_names: Box<[Arc<str>]> = Some(&compiled)
            .filter(|c| c.len() == ast.actions.len())
            .and_then(|c| c.get(entry as usize))
            .and_then(|begin: &CompiledAction| {
                begin
                    .schema
                    .properties
                    .iter()
                    .position(|p| p.name == "Parameters")
                    .and_then(|i| match &begin.properties[i] {
                        PropSlot::Const(v) => Some(v.to_text()),
                        _ => None,
                    })
            })
            .map(|names| {
                names
                    .split(',')
                    .map(str::trim)
                    .filter(|n| !n.is_empty())
                    .map(Arc::from)
                    .collect()
            })
            .unwrap_or_default();
        let mut warned = HashSet::new();
        for (name, span) in ctx.reads.iter().filter(|_| complete) {
            // A subscript's parameters are set by the RunSub that calls it.
            let parameter = param_names.iter().any(|p| **p == **name)
                || (name.len() == 2
                    && name.starts_with('p')
                    && name[1..].parse::<u8>().is_ok_and(|n| (1..=9).contains(&n)));
            if name == ERR_VARIABLE
                || parameter
                || name.starts_with(crate::snippet::compile::HIDDEN_PREFIX)
                || ctx.writes.contains(name)
                || options.inputs.iter().any(|i| i == name)
                || refused_choices.contains(name)
                || !warned.insert(name.clone())
            {
                continue;
            }
            // A near miss of a variable the script does set is most likely a typo.
            let known = ctx
                .writes
                .iter()
                .map(String::as_str)
                .chain(options.inputs.iter().map(String::as_str))
                .chain(param_names.iter().map(|p| &**p))
                .filter(|n| !n.starts_with(crate::snippet::compile::HIDDEN_PREFIX));
            let message = match did_you_mean(name, known) {
                Some(close) => format!(
                    "variable `{name}` is read but never assigned (did you mean `{close}`?)"
                ),
                None => format!(
                    "variable `{name}` is read but never assigned (declare host inputs with --var {name})"
                ),
            };
            warnings.push(Diagnostic::new(
                DiagnosticCode::UnassignedVariable,
                *span,
                message,
            ));
        }

        // Warnings are reported alongside errors: both are worth fixing.
        if !ctx.errors.is_empty() {
            ctx.errors.extend(warnings);
            return Err(Diagnostics::new(source, ctx.errors));
        }

        let source_name = source.name().to_string();
        let max_depth = ctx.max_depth;
        let var_names: Box<[Arc<str>]> = ctx.vars.keys().map(|k| Arc::from(k.as_str())).collect();
        // Hidden slots (Snippet function parameters and lifted calls) are
        // not variables a run reports.
        let mut vars_by_name: Vec<u32> = (0..var_names.len() as u32)
            .filter(|&i| !var_names[i as usize].starts_with(crate::snippet::compile::HIDDEN_PREFIX))
            .collect();
        vars_by_name.sort_unstable_by(|&a, &b| var_names[a as usize].cmp(&var_names[b as usize]));
        let var_index = ctx.vars.into_iter().collect();
        Ok(Script {
            inner: Arc::new(ScriptInner {
                engine_id: self.engine_id,
                name: source.name().to_string(),
                title,
                script_type,
                actions: compiled.into_boxed_slice(),
                entry,
                var_names,
                vars_by_name: vars_by_name.into_boxed_slice(),
                var_index,
                err_var,
                error_branch: Arc::from("Error"),
                max_expr_depth: max_depth,
                warnings: Diagnostics::new(source, warnings),
                flow: flow.into_boxed_slice(),
                snippet_functions: snippet_functions.into_boxed_slice(),
                subscripts: Box::default(),
                label: Arc::from(source_name.as_str()),
                param_names,
                global_names: global_names.into_boxed_slice(),
            }),
        })
    }

    fn compile_action(
        &self,
        a: &ActionAst,
        action_index: usize,
        index: &HashMap<&str, u32>,
        script_type: ScriptType,
        ctx: &mut Ctx<'_>,
        snippets: &HashMap<(usize, usize), Arc<crate::snippet::program::Program>>,
    ) -> Option<(CompiledAction, Vec<FlowBranch>)> {
        if let Some(caption) = &a.caption {
            ctx.check_literal_len(caption.len(), a.type_span);
        }
        let Some(reg) = self.actions.lookup(&a.action_type) else {
            let mut known: Vec<&str> = self.actions.names().collect();
            known.sort_unstable();
            ctx.errors.push(Diagnostic::new(
                DiagnosticCode::UnknownActionType,
                a.type_span,
                format!(
                    "unknown action type `{}`{}; known types: {}",
                    a.action_type,
                    suggestion(&a.action_type, known.iter().copied()),
                    known.join(", ")
                ),
            ));
            return None;
        };
        let schema = &reg.schema;
        if !schema.script_types.contains(script_type) {
            ctx.errors.push(Diagnostic::new(
                DiagnosticCode::UnsupportedActionType,
                a.type_span,
                format!(
                    "{} is not supported in {} scripts (supported: {})",
                    schema.name,
                    script_type,
                    schema
                        .script_types
                        .iter()
                        .map(|t| t.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }

        // Properties.
        let mut written: Vec<Option<&Expr>> = vec![None; schema.properties.len()];
        for p in &a.properties {
            match reg.property_index(&p.name) {
                None => {
                    let known: Vec<&str> =
                        schema.properties.iter().map(|p| p.name.as_str()).collect();
                    ctx.errors.push(Diagnostic::new(
                        DiagnosticCode::UnknownProperty,
                        p.name_span,
                        if known.is_empty() {
                            format!("{} has no properties, found `{}`", schema.name, p.name)
                        } else {
                            format!(
                                "unknown property `{}` for {}{}; expected one of {}",
                                p.name,
                                schema.name,
                                suggestion(&p.name, known.iter().copied()),
                                known.join(", ")
                            )
                        },
                    ));
                }
                Some(i) if written[i].is_some() => ctx.errors.push(Diagnostic::new(
                    DiagnosticCode::DuplicateProperty,
                    p.name_span,
                    format!("property `{}` is set twice", schema.properties[i].name),
                )),
                Some(i) => written[i] = Some(&p.value),
            }
        }
        let mut properties = Vec::with_capacity(schema.properties.len());
        for (i, ps) in schema.properties.iter().enumerate() {
            let slot = match written[i] {
                None if ps.required => {
                    ctx.errors.push(Diagnostic::new(
                        DiagnosticCode::MissingProperty,
                        a.id_span,
                        format!(
                            "{} `{}` is missing its required property `{}`",
                            schema.name, a.id, ps.name
                        ),
                    ));
                    PropSlot::Absent
                }
                None => match (&ps.default, ps.kind) {
                    (None, _) => PropSlot::Absent,
                    (Some(v), PropertyKind::OutputVariable | PropertyKind::InputVariable) => {
                        let name = v.to_text();
                        if ps.kind == PropertyKind::OutputVariable {
                            ctx.writes.insert(name.clone());
                        }
                        PropSlot::Var(ctx.var(&name), v.clone())
                    }
                    (Some(v), _) => PropSlot::Const(v.clone()),
                },
                Some(_) if ps.kind == PropertyKind::SnippetCode => {
                    match snippets.get(&(action_index, i)) {
                        Some(program) => PropSlot::Snippet(program.clone()),
                        // Its parse error is already reported.
                        None => PropSlot::Absent,
                    }
                }
                Some(e) if ps.kind == PropertyKind::Subscript => match name_text(e) {
                    Some(name) => {
                        let resolved = self.subscripts.borrow_mut().unit_for(&name);
                        match resolved {
                            Ok(unit) => {
                                let args = a
                                    .properties
                                    .iter()
                                    .find(|p| p.name.eq_ignore_ascii_case("Parameters"))
                                    .and_then(|p| match &p.value.kind {
                                        ExprKind::List(items) => Some(items.len()),
                                        _ => None,
                                    });
                                let mut graph = self.subscripts.borrow_mut();
                                let caller = graph.current;
                                graph.calls.push(subscripts::Call {
                                    caller,
                                    target: unit,
                                    span: e.span,
                                    args,
                                });
                                PropSlot::Subscript(unit, Value::from(name))
                            }
                            Err(err) => {
                                ctx.errors.push(Diagnostic::new(
                                    DiagnosticCode::UnresolvedSubscript,
                                    e.span,
                                    err.to_string(),
                                ));
                                PropSlot::Absent
                            }
                        }
                    }
                    None => {
                        ctx.errors.push(Diagnostic::new(
                            DiagnosticCode::InvalidPropertyValue,
                            e.span,
                            format!(
                                "`{}` takes a script name: a bare identifier or a plain string",
                                ps.name
                            ),
                        ));
                        PropSlot::Absent
                    }
                },
                Some(e) => match ps.kind {
                    PropertyKind::SnippetCode | PropertyKind::Subscript => PropSlot::Absent,
                    PropertyKind::Template | PropertyKind::Expression
                        if bare_choice(ps, e).is_some() =>
                    {
                        PropSlot::Const(Value::from(bare_choice(ps, e).unwrap_or_default()))
                    }
                    PropertyKind::Template | PropertyKind::Expression => {
                        if let (Some(choices), ExprKind::Variable(name)) = (&ps.choices, &e.kind) {
                            if !e.parenthesized {
                                ctx.choice_variables.push(ChoiceVariable {
                                    name: name.clone(),
                                    span: e.span,
                                    property: ps.name.clone(),
                                    expected: choices.expected(),
                                    suggestion: suggestion(
                                        name,
                                        choices.words.iter().map(String::as_str),
                                    ),
                                });
                            }
                        }
                        ctx.max_depth = ctx.max_depth.max(e.depth as usize);
                        match expr::compile(e, ctx) {
                            Some(Code::Const(v)) => PropSlot::Const(v),
                            Some(code) => PropSlot::Code(code),
                            None => PropSlot::Absent,
                        }
                    }
                    PropertyKind::Name => match name_text(e) {
                        Some(s) if !ctx.check_literal_len(s.len(), e.span) => PropSlot::Absent,
                        Some(s) => PropSlot::Const(Value::from(s)),
                        None => {
                            ctx.errors.push(Diagnostic::new(
DiagnosticCode::InvalidPropertyValue,
                                e.span,
                                format!("`{}` takes a name: a bare identifier or a plain string, not an expression", ps.name),
                            ));
                            PropSlot::Absent
                        }
                    },
                    PropertyKind::OutputVariable | PropertyKind::InputVariable => {
                        match name_text(e).filter(|n| is_variable_name(n)) {
                            Some(n) => {
                                if ps.kind == PropertyKind::OutputVariable {
                                    ctx.writes.insert(n.clone());
                                } else {
                                    ctx.reads.push((n.clone(), e.span));
                                }
                                PropSlot::Var(ctx.var(&n), Value::from(n))
                            }
                            None => {
                                ctx.errors.push(Diagnostic::new(
DiagnosticCode::InvalidPropertyValue,
                                    e.span,
                                    format!("`{}` takes a variable name (letters, digits, `_`; not starting with a digit)", ps.name),
                                ));
                                PropSlot::Absent
                            }
                        }
                    }
                },
            };
            properties.push(slot);
        }

        // Branches.
        let mut targets: Vec<Option<u32>> = vec![None; reg.branch_names.len()];
        let mut set_at: Vec<Option<Span>> = vec![None; reg.branch_names.len()];
        let mut labels: Vec<Arc<str>> = Vec::new();
        let mut label_targets = Vec::new();
        let mut label_names = Vec::new();
        let mut target_edges: Vec<Option<u32>> = vec![None; reg.branch_names.len()];
        let mut label_edges: Vec<u32> = Vec::new();
        let mut flow_branches: Vec<FlowBranch> = Vec::new();
        for b in &a.branches {
            if schema.terminal {
                ctx.errors.push(Diagnostic::new(
                    DiagnosticCode::BranchOnTerminal,
                    b.name_span,
                    format!("{} ends the script and has no branches", schema.name),
                ));
                continue;
            }
            let target = match index.get(b.target.as_str()) {
                Some(&t) => Some(t),
                None if ctx.unparsed.contains(&b.target) => None,
                None => {
                    ctx.errors.push(Diagnostic::new(
                        DiagnosticCode::MissingTarget,
                        b.target_span,
                        format!(
                            "branch target `{}` does not exist{}",
                            b.target,
                            suggestion(&b.target, index.keys().copied())
                        ),
                    ));
                    None
                }
            };
            let is_labeled = schema
                .labeled_branch
                .as_deref()
                .is_some_and(|l| l.eq_ignore_ascii_case(&b.name));
            match (&b.label, is_labeled) {
                (Some(label), true) => {
                    let text = literal_text(label);
                    if !ctx.check_literal_len(text.len(), b.name_span) {
                        continue;
                    }
                    if labels.iter().any(|l| **l == *text) {
                        ctx.errors.push(Diagnostic::new(
                            DiagnosticCode::DuplicateBranch,
                            b.name_span,
                            format!("duplicate branch `{} {:?}`", b.name, text),
                        ));
                        continue;
                    }
                    let labeled = schema.labeled_branch.as_deref().unwrap_or("Case");
                    let taken_name: Arc<str> = Arc::from(format!("{labeled} {text:?}"));
                    let label: Arc<str> = Arc::from(text);
                    if let Some(t) = target {
                        label_edges.push(flow_branches.len() as u32);
                        flow_branches.push(FlowBranch {
                            name: Arc::from(labeled),
                            label: Some(label.clone()),
                            taken_name: taken_name.clone(),
                            target: t as usize,
                            span: b.name_span,
                        });
                    } else {
                        label_edges.push(u32::MAX);
                    }
                    label_names.push(taken_name);
                    labels.push(label);
                    label_targets.push(target);
                }
                (None, true) => ctx.errors.push(Diagnostic::new(
                    DiagnosticCode::InvalidCaseLabel,
                    b.name_span,
                    format!(
                        "a `{}` branch needs a literal label, as in `{} \"value\" -> target`",
                        b.name, b.name
                    ),
                )),
                (Some(_), false) => ctx.errors.push(Diagnostic::new(
                    DiagnosticCode::InvalidCaseLabel,
                    b.name_span,
                    format!(
                        "only `{}` branches take a label",
                        schema.labeled_branch.as_deref().unwrap_or("Case")
                    ),
                )),
                (None, false) => match reg.branch_index(&b.name) {
                    None => ctx.errors.push(Diagnostic::new(
                        DiagnosticCode::UnknownBranch,
                        b.name_span,
                        format!(
                            "unknown branch `{}` for {}{}; expected one of {}",
                            b.name,
                            schema.name,
                            suggestion(&b.name, reg.branch_names.iter().map(|n| &**n)),
                            reg.branch_names
                                .iter()
                                .map(|n| &**n)
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )),
                    Some(slot) => {
                        let slot = slot as usize;
                        if set_at[slot].is_some() {
                            ctx.errors.push(Diagnostic::new(
                                DiagnosticCode::DuplicateBranch,
                                b.name_span,
                                format!("duplicate branch `{}`", reg.branch_names[slot]),
                            ));
                        } else {
                            set_at[slot] = Some(b.name_span);
                            targets[slot] = target;
                            if let Some(t) = target {
                                target_edges[slot] = Some(flow_branches.len() as u32);
                                flow_branches.push(FlowBranch {
                                    name: reg.branch_names[slot].clone(),
                                    label: None,
                                    taken_name: reg.branch_names[slot].clone(),
                                    target: t as usize,
                                    span: b.name_span,
                                });
                            }
                        }
                    }
                },
            }
        }

        Some((
            CompiledAction {
                id: Arc::from(a.id.as_str()),
                type_name: Arc::from(schema.name.as_str()),
                caption: Arc::from(a.caption.as_deref().unwrap_or(&schema.name)),
                handler: reg.handler.clone(),
                terminal: schema.terminal,
                properties: properties.into_boxed_slice(),
                schema: schema.clone(),
                targets: targets.into_boxed_slice(),
                branch_names: reg.branch_names.clone(),
                labels: labels.into_boxed_slice(),
                label_targets: label_targets.into_boxed_slice(),
                label_names: label_names.into_boxed_slice(),
                target_edges: target_edges.into_boxed_slice(),
                label_edges: label_edges.into_boxed_slice(),
                checks_choices: schema
                    .properties
                    .iter()
                    .any(|p| p.choices.as_ref().is_some_and(|c| c.only)),
            },
            flow_branches,
        ))
    }
}

/// The text of a `"""` code block and where it starts in the file.
fn snippet_text<'s>(e: &Expr, source: &'s SourceFile) -> Result<(&'s str, usize), Diagnostic> {
    let text = source.text();
    // An expression's span may run over trailing whitespace.
    let written = text.get(e.span.start..e.span.end).unwrap_or("").trim_end();
    if matches!(e.kind, ExprKind::Literal(Literal::String(_)))
        && written.len() >= 6
        && written.starts_with("\"\"\"")
        && written.ends_with("\"\"\"")
    {
        let start = e.span.start + 3;
        return Ok((&text[start..e.span.start + written.len() - 3], start));
    }
    Err(Diagnostic::new(
        DiagnosticCode::InvalidPropertyValue,
        e.span,
        "Snippet code is written as a `\"\"\"` block: Data = \"\"\" ... \"\"\"",
    ))
}

/// The checks that need both ends of every RunSub compiled: parameter
/// counts, script types, a Return to come back by, and recursion.
pub(crate) fn check_calls(
    root: &mut Script,
    units: &[Script],
    graph: &SubGraph<'_>,
) -> Result<(), Diagnostics> {
    let unit = |i: u32| -> &Script {
        match i {
            0 => &*root,
            n => &units[n as usize - 1],
        }
    };
    let mut errors: Vec<(u32, Diagnostic)> = Vec::new();
    let mut warnings: Vec<Diagnostic> = Vec::new();
    for call in &graph.calls {
        let (caller, target) = (unit(call.caller), unit(call.target));
        let label = &target.inner.label;
        if caller.inner.script_type != target.inner.script_type {
            errors.push((
                call.caller,
                Diagnostic::new(
                    DiagnosticCode::SubscriptTypeMismatch,
                    call.span,
                    format!(
                        "subscript `{label}` is a {} script, the caller a {} script: a subscript has the caller's type",
                        target.inner.script_type, caller.inner.script_type
                    ),
                ),
            ));
        }
        let declared = target.inner.param_names.len();
        match call.args {
            Some(n) if n > 9 => errors.push((
                call.caller,
                Diagnostic::new(
                    DiagnosticCode::WrongParameterCount,
                    call.span,
                    format!("{n} parameters: a subscript takes at most 9 (p1 to p9)"),
                ),
            )),
            Some(n) if declared > 0 && n != declared => errors.push((
                call.caller,
                Diagnostic::new(
                    DiagnosticCode::WrongParameterCount,
                    call.span,
                    format!(
                        "subscript `{label}` takes {declared} parameter{} ({}), got {n}",
                        if declared == 1 { "" } else { "s" },
                        target.inner.param_names.join(", ")
                    ),
                ),
            )),
            _ => {}
        }
        let returns = target
            .inner
            .actions
            .iter()
            .any(|a| &*a.type_name == "Return");
        if call.caller == 0 && !returns {
            warnings.push(Diagnostic::new(
                DiagnosticCode::SubscriptWithoutReturn,
                call.span,
                format!("subscript `{label}` has no Return action: it returns nothing"),
            ));
        }
    }
    for (start, path) in graph.cycles() {
        if start != 0 && !path.contains(&0) {
            continue;
        }
        if let Some(first) = graph
            .calls
            .iter()
            .find(|c| c.caller == 0 && path.get(1).is_none_or(|t| *t == c.target))
        {
            let names: Vec<&str> = path.iter().map(|u| &*unit(*u).inner.label).collect();
            warnings.push(Diagnostic::new(
                DiagnosticCode::SubscriptRecursion,
                first.span,
                format!(
                    "RunSub recursion ({} -> {}): it must end before the subscript depth limit",
                    names.join(" -> "),
                    names[0]
                ),
            ));
            break;
        }
    }
    if let Some((at, _)) = errors.first() {
        let at = *at;
        let source = unit(at).inner.warnings.source().clone();
        let items = errors
            .into_iter()
            .filter(|(u, _)| *u == at)
            .map(|(_, d)| d)
            .collect();
        return Err(Diagnostics::new(source, items));
    }
    // Variables a subscript writes as `global:name` are assigned for the caller.
    let globals: Vec<String> = units
        .iter()
        .flat_map(|u| u.inner.global_names.iter())
        .map(|g| format!("variable `{g}` is read but never assigned"))
        .collect();
    if !warnings.is_empty() || !globals.is_empty() {
        if let Some(inner) = Arc::get_mut(&mut root.inner) {
            let mut all: Vec<Diagnostic> = inner
                .warnings
                .items()
                .iter()
                .filter(|d| !globals.iter().any(|g| d.message.starts_with(g.as_str())))
                .cloned()
                .collect();
            all.extend(warnings);
            inner.warnings = Diagnostics::new(inner.warnings.source().clone(), all);
        }
    }
    Ok(())
}
