//! Stage 2: AST → an immutable, fully resolved [`Script`].
//!
//! Every static error is found here: unknown action types, properties and
//! branches, missing targets, broken expressions in reachable and unreachable
//! actions alike. Names are resolved once: action ids to indices, branch
//! names to slots, variables to slots, functions to registry entries.

mod expr;
pub(crate) use expr::compile as compile_expr;
pub(crate) use expr::warn_index_below_one;
pub(crate) mod registry;
mod subscripts;
pub(crate) use subscripts::SubGraph;

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;

use indexmap::IndexMap;

use crate::diagnostics::{
    did_you_mean, suggestion, Diagnostic, DiagnosticCode, Diagnostics, SourceFile, Span,
};
use crate::program::schema::{PropertyKind, ScriptType};
use crate::program::{Code, Signatures, VarId, HIDDEN_PREFIX};
use crate::runtime::Value;
use crate::syntax::ast::{ActionAst, Expr, ExprKind, Header, Literal, ParsedScript};
use crate::syntax::is_variable_name;
use crate::syntax::ParsedPiece;
use registry::{ActionRegistry, RegisteredAction};

// The compiled form lives in `program`; these names are re-exported at
// their old paths for the runtime and the tools until they import
// `crate::program` directly.
pub use crate::program::{ActionKind, FlowAction, FlowBranch, Script, ScriptUnit, ERR_VARIABLE};
pub(crate) use crate::program::{CompiledAction, LabelBranch, PropSlot, ScriptInner};

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

/// The variables Studio itself gives a script of type `t` before its Begin
/// runs (NICE's "Pre-Defined Variables": set by the system scripts and the
/// carrier). `check` does not warn that they are never assigned; a run
/// gets them from `--var` (or `RunOptions::variables`) like any input.
///
/// ```
/// use studioflow::{system_variables, ScriptType};
/// assert!(system_variables(ScriptType::Phone).contains(&"ANI"));
/// assert!(system_variables(ScriptType::Generic).contains(&"CONTACTID"));
/// assert!(!system_variables(ScriptType::Generic).contains(&"ANI"));
/// ```
pub fn system_variables(t: ScriptType) -> &'static [&'static str] {
    // Every contact has these; a contact with a caller or sender (every
    // media type but Generic) has an ANI and a DNIS too.
    const CONTACT: &[&str] = &["BUSNO", "CONTACTID", "MASTERID", "SKILL", "SKILLNAME"];
    const ADDRESSED: &[&str] = &[
        "ANI",
        "BUSNO",
        "CONTACTID",
        "DNIS",
        "MASTERID",
        "SKILL",
        "SKILLNAME",
    ];
    match t {
        ScriptType::Generic => CONTACT,
        _ => ADDRESSED,
    }
}

pub(crate) struct Compiler<'a> {
    pub actions: &'a ActionRegistry,
    pub functions: &'a dyn Signatures,
    pub engine_id: u64,
    pub max_value_depth: usize,
    pub max_string_bytes: usize,
    /// The call graph being built, when subscripts can be resolved.
    pub subscripts: &'a std::cell::RefCell<SubGraph<'a>>,
}

pub(crate) struct Ctx<'a> {
    pub functions: &'a dyn Signatures,
    vars: IndexMap<String, VarId>,
    /// The first read of each variable, in the order first read: where a
    /// "read but never assigned" warning points.
    first_reads: Vec<(VarId, Span)>,
    /// Per variable slot: read yet?
    read: Vec<bool>,
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
    /// Bare identifiers written in a property with [`crate::program::schema::Choices`]
    /// that are not one of its words: refused unless something assigns them.
    choice_variables: Vec<ChoiceVariable>,
    /// The script's Snippet FUNCTIONs, for "did you mean" (calls to them
    /// never reach the expression compiler).
    pub snippet_function_names: Vec<String>,
    /// Text the compiled script holds (constants, template text, member
    /// and type names, labels), one copy of each.
    strings: HashSet<Arc<str>, foldhash::fast::RandomState>,
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
    /// One shared copy of `text` for the compiled script.
    pub fn shared(&mut self, text: &str) -> Arc<str> {
        if let Some(shared) = self.strings.get(text) {
            return shared.clone();
        }
        let shared: Arc<str> = Arc::from(text);
        self.strings.insert(shared.clone());
        shared
    }
    /// Notes a read of `var` at `span`.
    pub fn read(&mut self, var: VarId, span: Span) {
        let i = var.0 as usize;
        if self.read.len() <= i {
            self.read.resize(i + 1, false);
        }
        if !self.read[i] {
            self.read[i] = true;
            self.first_reads.push((var, span));
        }
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
fn bare_choice(ps: &crate::program::schema::PropertySchema, e: &Expr) -> Option<String> {
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

/// How many actions a streaming compile takes before it sizes its vectors
/// from the share of the text read (fewer would predict from the header and
/// first actions, which are rarely typical).
const ESTIMATE_AFTER: usize = 256;

/// No action (yet) for a name in [`ScriptBuilder::names`].
const UNDEFINED: u32 = u32::MAX;

/// What the whole-graph checks need of one source action once its AST is
/// gone: its id (as a name number), where the id is written, and where its
/// branches end in [`ScriptBuilder::branches`].
struct ActionSummary {
    name: u32,
    id_span: Span,
    branches_end: u32,
}

/// One written branch's target, for reachability and the missing-target check.
struct BranchRef {
    /// The target as a name number.
    name: u32,
    /// Where the target is written (offsets fit in u32: scripts are bounded
    /// far below 4 GiB).
    start: u32,
    end: u32,
    /// Checked for existence (branches of a terminal action are an error of
    /// their own and are not).
    checked: bool,
}

/// One script's compile, fed one action at a time so that a caller can drop
/// each action's AST as soon as it is lowered (see [`Compiler::compile_source`]).
///
/// Branch targets are names until [`ScriptBuilder::finish`]: every id and
/// target is interned once in `names` (its `Arc<str>` is the compiled
/// action's id too), and compiled targets hold name numbers that `finish`
/// turns into action indices. The checks that need the whole graph
/// (missing targets, Begin, reachability, variables read but never
/// assigned) run there, on the compiled form and the per-action summaries.
struct ScriptBuilder<'c, 'a> {
    compiler: &'c Compiler<'a>,
    source: SourceFile,
    options: &'c CompileOptions,
    /// Every action parsed (false with syntax errors: graph checks are guesses then).
    complete: bool,
    ctx: Ctx<'a>,
    err_var: VarId,
    script_type: ScriptType,
    title: Option<String>,
    /// Ids and branch targets → the first action with that id (or [`UNDEFINED`]).
    names: IndexMap<Arc<str>, u32, foldhash::fast::RandomState>,
    actions: Vec<ActionSummary>,
    branches: Vec<BranchRef>,
    compiled: Vec<CompiledAction>,
    flow: Vec<FlowAction>,
    entries: Vec<(u32, Span)>,
    /// Some action's type is unknown (it may be a misspelt Begin).
    unknown_type: bool,
    /// The header's `inputs`: variables the host supplies.
    header_inputs: Vec<String>,
    /// Every word of the text that did not parse: what a broken action may
    /// branch to or assign, for the warnings that stay sure without it.
    unparsed_words: HashSet<String>,
    /// Compiled actions that can fail for outside reasons: (compiled index,
    /// type span, type name), checked for a connected Error branch at the end.
    external: Vec<(u32, Span, String)>,
    snippet_programs: HashMap<(usize, usize), Arc<crate::snippet::program::Program>>,
    snippet_functions: Vec<crate::snippet::program::UserFunction>,
    global_names: Vec<Arc<str>>,
}

impl<'c, 'a> ScriptBuilder<'c, 'a> {
    fn new(
        compiler: &'c Compiler<'a>,
        source: SourceFile,
        options: &'c CompileOptions,
        parse_errors: Vec<Diagnostic>,
        unparsed: HashSet<String>,
    ) -> Self {
        let complete = parse_errors.is_empty();
        let mut ctx = Ctx {
            functions: compiler.functions,
            vars: IndexMap::new(),
            first_reads: Vec::new(),
            read: Vec::new(),
            writes: HashSet::new(),
            errors: parse_errors,
            warnings: Vec::new(),
            max_depth: 0,
            list_depth: 0,
            max_value_depth: compiler.max_value_depth,
            max_string_bytes: compiler.max_string_bytes,
            unparsed,
            choice_variables: Vec::new(),
            snippet_function_names: Vec::new(),
            strings: HashSet::default(),
        };
        let err_var = ctx.var(ERR_VARIABLE);
        ScriptBuilder {
            compiler,
            source,
            options,
            complete,
            ctx,
            err_var,
            script_type: ScriptType::Generic,
            title: None,
            names: IndexMap::default(),
            actions: Vec::new(),
            branches: Vec::new(),
            compiled: Vec::new(),
            flow: Vec::new(),
            entries: Vec::new(),
            unknown_type: false,
            header_inputs: Vec::new(),
            unparsed_words: HashSet::new(),
            external: Vec::new(),
            snippet_programs: HashMap::new(),
            snippet_functions: Vec::new(),
            global_names: Vec::new(),
        }
    }

    /// Room for about `expected` actions in all, so that the big vectors do
    /// not double past what the script needs.
    fn reserve_for(&mut self, expected: usize) {
        let more = expected.saturating_sub(self.compiled.len());
        self.compiled.reserve_exact(more);
        self.flow.reserve_exact(more);
        self.actions.reserve_exact(more);
        // Ids are most of the names (targets name ids, mostly).
        let names = expected.saturating_sub(self.names.len());
        self.names.reserve_exact(names);
    }

    fn header(&mut self, h: &Header) {
        let ctx = &mut self.ctx;
        ctx.check_literal_len(h.name.len(), Span::default());
        self.title = Some(h.name.clone());
        if let Some((t, span)) = &h.script_type {
            match t.parse::<ScriptType>() {
                Ok(t) => self.script_type = t,
                Err(msg) => ctx.errors.push(Diagnostic::new(
                    DiagnosticCode::UnknownScriptType,
                    *span,
                    msg,
                )),
            }
        }
        for (k, (name, span)) in h.inputs.iter().enumerate() {
            if h.inputs[..k].iter().any(|(n, _)| n == name) {
                ctx.errors.push(Diagnostic::new(
                    DiagnosticCode::DuplicateDeclaration,
                    *span,
                    format!("input `{name}` is declared twice in the header"),
                ));
            } else {
                self.header_inputs.push(name.clone());
            }
        }
    }

    /// The number of a name, interned on first sight.
    fn name(&mut self, text: &str) -> u32 {
        if let Some(i) = self.names.get_index_of(text) {
            return i as u32;
        }
        self.names.insert_full(Arc::from(text), UNDEFINED).0 as u32
    }

    /// True when `a` has Snippet code: its FUNCTIONs are visible to every
    /// snippet of the script, so those are compiled from the whole AST.
    fn has_snippet_code(&self, a: &ActionAst) -> bool {
        let Some(reg) = self.compiler.actions.lookup(&a.action_type) else {
            return false;
        };
        let snippet_kind =
            |p: &crate::program::schema::PropertySchema| p.kind == PropertyKind::SnippetCode;
        reg.schema.properties.iter().any(snippet_kind)
            && a.properties.iter().any(|p| {
                reg.property_index(&p.name)
                    .is_some_and(|pi| snippet_kind(&reg.schema.properties[pi]))
            })
    }

    /// Parses and declares the Snippet code of every action first: its
    /// FUNCTIONs are visible to every snippet of the script, whatever the
    /// order of the actions.
    fn snippets(&mut self, actions: &[ActionAst]) {
        let ctx = &mut self.ctx;
        let mut snippet_unit = crate::snippet::compile::SnippetUnit::new(&self.source);
        let mut snippet_sites: Vec<(usize, usize)> = Vec::new();
        let mut snippet_code: Vec<Vec<crate::snippet::Stmt>> = Vec::new();
        for (i, a) in actions.iter().enumerate() {
            let Some(reg) = self.compiler.actions.lookup(&a.action_type) else {
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
                match snippet_text(&p.value, &self.source) {
                    Ok((text, offset)) => match crate::snippet::parse_recovering(text, offset) {
                        Ok(code) => {
                            snippet_sites.push((i, pi));
                            snippet_code.push(code);
                        }
                        // A block left open: reported at its construct, and
                        // the rest of the code is still checked.
                        Err((d, Some(code))) => {
                            ctx.errors.push(d);
                            snippet_sites.push((i, pi));
                            snippet_code.push(code);
                        }
                        Err((d, None)) => ctx.errors.push(d),
                    },
                    Err(d) => ctx.errors.push(d),
                }
            }
        }
        snippet_unit.declare(&mut snippet_code, ctx);
        for (site, code) in snippet_sites.iter().zip(&snippet_code) {
            let program = snippet_unit.program(code, ctx);
            self.snippet_programs.insert(*site, Arc::new(program));
        }
        self.snippet_functions = std::mem::take(&mut snippet_unit.functions);
        self.global_names = snippet_unit
            .globals
            .iter()
            .map(|g| Arc::from(g.as_str()))
            .collect();
        self.global_names.sort_unstable();
        self.global_names.dedup();
    }

    /// Checks and lowers the next action in source order.
    fn add(&mut self, a: &ActionAst) {
        let i = self.actions.len();
        let name = self.name(&a.id);
        let first = &mut self.names[name as usize];
        if *first == UNDEFINED {
            *first = i as u32;
        } else {
            let first_span = self.actions[*first as usize].id_span;
            let (line, _) = self.source.line_col(first_span.start);
            self.ctx.errors.push(Diagnostic::new(
                DiagnosticCode::DuplicateActionId,
                a.id_span,
                format!(
                    "duplicate action id `{}` (first defined on line {line})",
                    a.id
                ),
            ));
        }
        let reg = self.compiler.actions.lookup(&a.action_type);
        // Every written branch counts for reachability; a known non-terminal
        // action's targets are checked for existence too.
        let checked = reg.is_some_and(|r| !r.schema.terminal);
        let first_branch = self.branches.len();
        for b in &a.branches {
            let name = self.name(&b.target);
            self.branches.push(BranchRef {
                name,
                start: b.target_span.start as u32,
                end: b.target_span.end as u32,
                checked,
            });
        }
        self.actions.push(ActionSummary {
            name,
            id_span: a.id_span,
            branches_end: self.branches.len() as u32,
        });
        // A Begin counts even when it does not compile (its own errors say
        // what is wrong with it; "no Begin" would be a second, false one).
        match reg {
            Some(r) if r.schema.entry => self.entries.push((i as u32, a.type_span)),
            Some(_) => {}
            None => self.unknown_type = true,
        }
        let Some((c, branches)) = self.compile_action(a, i, name, reg, first_branch) else {
            return;
        };
        let reg = reg.expect("compiled actions have a registered type");
        if reg.schema.external_failures {
            self.external.push((
                self.compiled.len() as u32,
                a.type_span,
                reg.schema.name.clone(),
            ));
        }
        self.flow.push(FlowAction {
            id: c.id.clone(),
            action_type: c.type_name.clone(),
            caption: c.caption.clone(),
            caption_written: a.caption.is_some(),
            kind: action_kind(reg),
            reachable: false,
            error_unconnected: false,
            span: a.span,
            id_span: a.id_span,
            branches,
        });
        self.compiled.push(c);
    }

    /// The checks that need every action, then the script.
    fn finish(mut self) -> Result<Script, Diagnostics> {
        let ctx = &mut self.ctx;
        let complete = self.complete;
        let options = self.options;
        let names = &self.names;
        // Branch targets: every name a branch points at must be an action
        // (or one that did not parse).
        for b in self.branches.iter().filter(|b| b.checked) {
            let (target, &action) = names.get_index(b.name as usize).expect("interned");
            if action == UNDEFINED && !ctx.unparsed.contains(&**target) {
                ctx.errors.push(Diagnostic::new(
                    DiagnosticCode::MissingTarget,
                    Span::new(b.start as usize, b.end as usize),
                    format!(
                        "branch target `{target}` does not exist{}",
                        suggestion(
                            target,
                            names
                                .iter()
                                .filter(|(_, a)| **a != UNDEFINED)
                                .map(|(n, _)| &**n)
                        )
                    ),
                ));
            }
        }
        // An Error branch that is written counts as connected even when its
        // target does not exist: that mistake has its own error
        // (`missing-target`), one diagnostic per mistake.
        let mut external_without_error: Vec<(Span, String)> = Vec::new();
        for (at, span, name) in std::mem::take(&mut self.external) {
            let unconnected = self.compiled[at as usize]
                .targets
                .get(1)
                .copied()
                .flatten()
                .is_none();
            if unconnected {
                self.flow[at as usize].error_unconnected = true;
                external_without_error.push((span, name));
            }
        }
        let resolve = |name: u32| Some(names[name as usize]).filter(|&a| a != UNDEFINED);
        for (c, f) in self.compiled.iter_mut().zip(self.flow.iter_mut()) {
            let labeled = c.label_branches.iter_mut().map(|l| &mut l.target);
            for t in c.targets.iter_mut().chain(labeled) {
                *t = t.and_then(resolve);
            }
            for b in f.branches.iter_mut() {
                // (Unresolved only when the compile fails.)
                b.target = resolve(b.target as u32).map_or(usize::MAX, |t| t as usize);
            }
        }
        let mut warnings: Vec<Diagnostic> = Vec::new();

        let entry = match self.entries.as_slice() {
            [(i, _)] => *i,
            [] => {
                // Reported with every other error (one check shows them
                // all), unless an action that did not parse, or whose type
                // is unknown (`Begn`), may be the Begin.
                let broken_begin = !complete
                    && self
                        .unparsed_words
                        .iter()
                        .any(|w| w.eq_ignore_ascii_case("begin"));
                // (Text that does not parse at all, empty or binary, is its
                // own error.)
                let sure = complete || (!broken_begin && !self.actions.is_empty());
                if sure && !self.unknown_type {
                    ctx.errors.push(Diagnostic::new(
                        DiagnosticCode::NoBegin,
                        self.actions.first().map(|a| a.id_span).unwrap_or_default(),
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
        // What the host supplies: `--var` inputs, the header's `inputs`,
        // and the variables Studio itself provides to this script type.
        let system = system_variables(self.script_type);
        let header_inputs = &self.header_inputs;
        let declared = |name: &str| {
            options.inputs.iter().any(|i| i == name)
                || header_inputs.iter().any(|i| i == name)
                || system.contains(&name)
        };
        let mut refused_choices: HashSet<String> = HashSet::new();
        for choice in std::mem::take(&mut ctx.choice_variables) {
            if !complete || ctx.writes.contains(&choice.name) || declared(&choice.name) {
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

        // Reachability from Begin, on the source's graph (every written
        // branch) so that it is known even when some actions did not compile.
        // Text that did not parse is one more node: reached from Begin's
        // side through a branch to an action that did not parse (or a root
        // itself when no Begin parsed), it may branch to any action it
        // names. What is unreachable then is unreachable whatever it says.
        let mut seen = vec![false; self.actions.len()];
        let unparsed_root = !complete && self.entries.is_empty();
        if !self.entries.is_empty() || unparsed_root {
            let mut queue = VecDeque::new();
            if !self.entries.is_empty() {
                queue.push_back(entry);
                seen[entry as usize] = true;
            }
            let mut unparsed_seen = false;
            let words = &self.unparsed_words;
            let reach_unparsed = |seen: &mut Vec<bool>, queue: &mut VecDeque<u32>| {
                for (i, a) in self.actions.iter().enumerate() {
                    let id = names.get_index(a.name as usize).expect("interned").0;
                    if !seen[i] && words.contains(&**id) {
                        seen[i] = true;
                        queue.push_back(i as u32);
                    }
                }
            };
            if unparsed_root {
                unparsed_seen = true;
                reach_unparsed(&mut seen, &mut queue);
            }
            while let Some(i) = queue.pop_front() {
                let i = i as usize;
                let start = match i {
                    0 => 0,
                    _ => self.actions[i - 1].branches_end as usize,
                };
                let end = self.actions[i].branches_end as usize;
                for b in &self.branches[start..end] {
                    if let Some(t) = resolve(b.name) {
                        if !seen[t as usize] {
                            seen[t as usize] = true;
                            queue.push_back(t);
                        }
                    } else if !complete && !unparsed_seen {
                        let target = names.get_index(b.name as usize).expect("interned").0;
                        if ctx.unparsed.contains(&**target) {
                            unparsed_seen = true;
                            reach_unparsed(&mut seen, &mut queue);
                        }
                    }
                }
            }
            for (i, a) in self.actions.iter().enumerate() {
                // A second action with an id is already an error.
                let first_of_its_id = names[a.name as usize] == i as u32;
                if !seen[i] && first_of_its_id {
                    let id = names.get_index(a.name as usize).expect("interned").0;
                    warnings.push(Diagnostic::new(
                        DiagnosticCode::UnreachableAction,
                        a.id_span,
                        format!("action `{id}` is unreachable from Begin"),
                    ));
                }
            }
        }
        for (f, reachable) in self.flow.iter_mut().zip(&seen) {
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
        let param_names: Box<[Arc<str>]> = Some(&self.compiled)
            .filter(|c| c.len() == self.actions.len())
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
        for (var, span) in ctx.first_reads.iter() {
            let name = ctx.var_name(*var);
            // Text that did not parse may assign any variable it names.
            if !complete && self.unparsed_words.contains(name) {
                continue;
            }
            // A subscript's parameters are set by the RunSub that calls it.
            let parameter = param_names.iter().any(|p| **p == *name)
                || (name.len() == 2
                    && name.starts_with('p')
                    && name[1..].parse::<u8>().is_ok_and(|n| (1..=9).contains(&n)));
            if name == ERR_VARIABLE
                || parameter
                || name.starts_with(HIDDEN_PREFIX)
                || ctx.writes.contains(name)
                || declared(name)
                || refused_choices.contains(name)
            {
                continue;
            }
            // A near miss of a variable the script does set is most likely a typo.
            let known = ctx
                .writes
                .iter()
                .map(String::as_str)
                .chain(options.inputs.iter().map(String::as_str))
                .chain(header_inputs.iter().map(String::as_str))
                .chain(param_names.iter().map(|p| &**p))
                .filter(|n| !n.starts_with(HIDDEN_PREFIX));
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

        let source = self.source;
        // Warnings are reported alongside errors: both are worth fixing.
        if !self.ctx.errors.is_empty() {
            let mut errors = std::mem::take(&mut self.ctx.errors);
            errors.extend(warnings);
            // Snippet code recovered from a block left open was parsed with
            // the missing `}` supplied after it: no span may point past the
            // text.
            let len = source.text().len();
            for d in &mut errors {
                d.span.end = d.span.end.min(len);
                d.span.start = d.span.start.min(d.span.end);
            }
            return Err(Diagnostics::new(source, errors));
        }

        let source_name = source.name().to_string();
        let ctx = self.ctx;
        let max_depth = ctx.max_depth;
        let var_names: Box<[Arc<str>]> = ctx.vars.keys().map(|k| Arc::from(k.as_str())).collect();
        // Hidden slots (Snippet function parameters and lifted calls) are
        // not variables a run reports.
        let mut vars_by_name: Vec<u32> = (0..var_names.len() as u32)
            .filter(|&i| !var_names[i as usize].starts_with(HIDDEN_PREFIX))
            .collect();
        vars_by_name.sort_unstable_by(|&a, &b| var_names[a as usize].cmp(&var_names[b as usize]));
        let var_index = ctx.vars.into_iter().collect();
        Ok(Script {
            inner: Arc::new(ScriptInner {
                engine_id: self.compiler.engine_id,
                name: source.name().to_string(),
                title: self.title,
                script_type: self.script_type,
                actions: self.compiled.into_boxed_slice(),
                entry,
                var_names,
                vars_by_name: vars_by_name.into_boxed_slice(),
                var_index,
                err_var: self.err_var,
                error_branch: Arc::from("Error"),
                max_expr_depth: max_depth,
                warnings: Diagnostics::new(source, warnings),
                flow: self.flow.into_boxed_slice(),
                snippet_functions: self.snippet_functions.into_boxed_slice(),
                subscripts: Box::default(),
                label: Arc::from(source_name.as_str()),
                param_names,
                global_names: self.global_names.into_boxed_slice(),
            }),
        })
    }
}

impl Compiler<'_> {
    /// Parses and compiles `source`. A script without syntax errors and
    /// without Snippet code is parsed one action at a time and each action
    /// is lowered and its AST dropped before the next is parsed, so the
    /// whole AST is never in memory; anything else (syntax errors to
    /// recover from, Snippet FUNCTIONs visible to every snippet) is compiled
    /// from the whole AST, with the same checks in the same order.
    pub fn compile_source(
        &self,
        source: SourceFile,
        options: &CompileOptions,
    ) -> Result<Script, Diagnostics> {
        if let Some(result) = self.compile_streaming(&source, options) {
            return result;
        }
        let parsed = crate::syntax::parse_script_recovering(source.text());
        self.compile(parsed, source, options)
    }

    /// The streaming compile, or `None` when the script needs the whole AST
    /// (nothing it did is kept then: the call graph is rolled back).
    fn compile_streaming(
        &self,
        source: &SourceFile,
        options: &CompileOptions,
    ) -> Option<Result<Script, Diagnostics>> {
        #[cfg(test)]
        if tests::WHOLE_AST_ONLY.with(std::cell::Cell::get) {
            return None;
        }
        let text = source.text();
        // Snippet code is written in `"""` blocks: no need to try. An
        // empty or binary text gets its error from the whole parse.
        if text.contains("\"\"\"") || crate::syntax::refused_input(text).is_some() {
            return None;
        }
        let (calls, units) = {
            let graph = self.subscripts.borrow();
            (graph.calls.len(), graph.units.len())
        };
        let mut builder =
            ScriptBuilder::new(self, source.clone(), options, Vec::new(), HashSet::new());
        let streamed = crate::syntax::parse_pieces(text, |piece| match piece {
            ParsedPiece::Header(header) => {
                builder.header(&header);
                true
            }
            ParsedPiece::Action(action) => {
                if builder.has_snippet_code(&action) {
                    return false;
                }
                // Once a few hundred actions are in, the big vectors grow
                // to what the share of the text read so far predicts (plus
                // 2%), not to double: they end close to the script's size.
                // (By an eighth at least: never quadratically.)
                let read = action.span.end.max(1);
                let expected = |n: usize| (n * text.len() / read + n / 50).max(n + n / 8);
                let n = builder.compiled.len() + 1;
                if n > builder.compiled.capacity() && n > ESTIMATE_AFTER {
                    builder.reserve_for(expected(n));
                }
                let b = builder.branches.len() + action.branches.len();
                if b > builder.branches.capacity() && n > ESTIMATE_AFTER {
                    let more = expected(b) - builder.branches.len();
                    builder.branches.reserve_exact(more);
                }
                builder.add(&action);
                true
            }
            ParsedPiece::Unbuilt(..) => false,
        });
        if streamed {
            #[cfg(test)]
            tests::STREAMED.with(|n| n.set(n.get() + 1));
            return Some(builder.finish());
        }
        drop(builder);
        let mut graph = self.subscripts.borrow_mut();
        graph.calls.truncate(calls);
        graph.units.truncate(units);
        None
    }

    /// Compiles a whole parse result (with syntax errors recovered from).
    pub fn compile(
        &self,
        parsed: ParsedScript,
        source: SourceFile,
        options: &CompileOptions,
    ) -> Result<Script, Diagnostics> {
        let unparsed = parsed.unparsed.into_iter().map(|u| u.id).collect();
        let words = words_in(source.text(), &parsed.unparsed_text);
        let mut builder = ScriptBuilder::new(self, source, options, parsed.errors, unparsed);
        builder.unparsed_words = words;
        if let Some(h) = &parsed.ast.header {
            builder.header(h);
        }
        builder.reserve_for(parsed.ast.actions.len());
        builder.snippets(&parsed.ast.actions);
        for a in &parsed.ast.actions {
            builder.add(a);
        }
        builder.finish()
    }
}

impl ScriptBuilder<'_, '_> {
    /// Checks and lowers one action (`id` is its id's name number). Branch
    /// targets are left as name numbers for [`ScriptBuilder::finish`].
    fn compile_action(
        &mut self,
        a: &ActionAst,
        action_index: usize,
        id: u32,
        reg: Option<&RegisteredAction>,
        first_branch: usize,
    ) -> Option<(CompiledAction, Vec<FlowBranch>)> {
        let compiler = self.compiler;
        let script_type = self.script_type;
        let snippets = &self.snippet_programs;
        let ctx = &mut self.ctx;
        if let Some(caption) = &a.caption {
            ctx.check_literal_len(caption.len(), a.type_span);
        }
        let Some(reg) = reg else {
            let mut known: Vec<&str> = compiler.actions.names().collect();
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
                        let resolved = compiler.subscripts.borrow_mut().unit_for(&name);
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
                                let mut graph = compiler.subscripts.borrow_mut();
                                let caller = graph.current;
                                graph.calls.push(subscripts::Call {
                                    caller,
                                    target: unit,
                                    span: e.span,
                                    args,
                                });
                                PropSlot::Subscript(unit, Value::from(ctx.shared(&name)))
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
                        let word = bare_choice(ps, e).unwrap_or_default();
                        PropSlot::Const(Value::from(ctx.shared(&word)))
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
                        Some(s) => PropSlot::Const(Value::from(ctx.shared(&s))),
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
                                    let var = ctx.var(&n);
                                    ctx.read(var, e.span);
                                }
                                PropSlot::Var(ctx.var(&n), Value::from(ctx.shared(&n)))
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
        let mut label_branches: Vec<LabelBranch> = Vec::new();
        let mut target_edges: Vec<Option<u32>> = vec![None; reg.branch_names.len()];
        let mut flow_branches: Vec<FlowBranch> = Vec::with_capacity(a.branches.len());
        for (j, b) in a.branches.iter().enumerate() {
            if schema.terminal {
                ctx.errors.push(Diagnostic::new(
                    DiagnosticCode::BranchOnTerminal,
                    b.name_span,
                    format!("{} ends the script and has no branches", schema.name),
                ));
                continue;
            }
            // The target's name number: checked and resolved by `finish`.
            let target = Some(self.branches[first_branch + j].name);
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
                    let taken_name = ctx.shared(&format!("{labeled} {text:?}"));
                    let label = ctx.shared(&text);
                    let edge;
                    if let Some(t) = target {
                        edge = flow_branches.len() as u32;
                        flow_branches.push(FlowBranch {
                            name: ctx.shared(labeled),
                            label: Some(label.clone()),
                            taken_name: taken_name.clone(),
                            target: t as usize,
                            span: b.name_span,
                        });
                    } else {
                        edge = u32::MAX;
                    }
                    label_branches.push(LabelBranch {
                        target,
                        taken_name,
                        edge,
                    });
                    labels.push(label);
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

        let type_name = ctx.shared(&schema.name);
        Some((
            CompiledAction {
                id: self
                    .names
                    .get_index(id as usize)
                    .expect("interned")
                    .0
                    .clone(),
                caption: match &a.caption {
                    Some(caption) => Arc::from(caption.as_str()),
                    None => type_name.clone(),
                },
                type_name,
                handler: reg.handler.clone(),
                terminal: schema.terminal,
                properties: properties.into_boxed_slice(),
                schema: schema.clone(),
                targets: targets.into_boxed_slice(),
                branch_names: reg.branch_names.clone(),
                labels: labels.into_boxed_slice(),
                label_branches: label_branches.into_boxed_slice(),
                target_edges: target_edges.into_boxed_slice(),
                checks_choices: schema
                    .properties
                    .iter()
                    .any(|p| p.choices.as_ref().is_some_and(|c| c.only)),
                host: !reg.builtin,
            },
            flow_branches,
        ))
    }
}

/// Every identifier-like word in the `spans` of `text`.
fn words_in(text: &str, spans: &[Span]) -> HashSet<String> {
    let mut words = HashSet::new();
    for span in spans {
        let Some(piece) = text.get(span.start..span.end) else {
            continue;
        };
        for word in piece.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '$')) {
            if !word.is_empty() {
                words.insert(word.to_string());
            }
        }
    }
    words
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

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use crate::Engine;

    thread_local! {
        /// Makes [`super::Compiler::compile_source`] use the whole AST.
        pub(super) static WHOLE_AST_ONLY: Cell<bool> = const { Cell::new(false) };
        /// How many compiles streamed.
        pub(super) static STREAMED: Cell<usize> = const { Cell::new(0) };
    }

    /// What a compile gave, in a comparable form.
    fn outcome(text: &str, whole: bool) -> String {
        WHOLE_AST_ONLY.with(|w| w.set(whole));
        let result = Engine::new().compile(text, "s.script");
        WHOLE_AST_ONLY.with(|w| w.set(false));
        match result {
            Ok(script) => {
                let inner = &script.inner;
                format!(
                    "ok {:?}\n{:?}\n{:?} {} {}\n{:?}",
                    script.warnings().items(),
                    script.flow(),
                    inner.var_names,
                    inner.entry,
                    inner.max_expr_depth,
                    inner
                        .actions
                        .iter()
                        .map(|a| (&a.targets, &a.label_branches, &a.target_edges,))
                        .collect::<Vec<_>>(),
                )
            }
            Err(diagnostics) => format!("error {:?}", diagnostics.items()),
        }
    }

    /// Every script in the repository (examples, golden cases, malformed
    /// ones) and a few edge cases compile to the same script, warnings and
    /// errors, in the same order, whether the compiler is fed one action at
    /// a time while it is parsed or from the whole AST.
    #[test]
    fn streaming_equals_whole_ast() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        crate::test_support::script_files(&root.join("scripts"), &mut files);
        crate::test_support::script_files(&root.join("tests"), &mut files);
        let mut texts: Vec<String> = files
            .iter()
            .map(|p| std::fs::read_to_string(p).unwrap())
            .collect();
        texts.extend(
            [
                // Forward, backward and missing targets; a duplicate id; an
                // unreachable action; an unconnected Error branch.
                "start: Begin { Default -> b }\nb: GetAgent { Agent = 1 Default -> c Error -> nowhere }\nc: End\nb: End\nlost: End",
                "start: Begin { Default -> a }\na: GetAgent { Agent = 1 Default -> e }\ne: End",
                // Two Begins, branches on a terminal action, an unknown type.
                "start: Begin { Default -> s2 }\ns2: Begin { Default -> x }\nx: Mystery { Default -> start }\nd: End { Default -> start }",
                // No Begin; a variable read but never assigned, read twice.
                "a: Assign { Variable = x Value = y + y Default -> b }\nb: End",
                "start: Begin { Default -> c }\nc: Case { Value = v Case \"a\" -> e Case \"a\" -> e Case 2 -> gone Default -> e }\ne: End",
            ]
            .map(String::from),
        );
        let before = STREAMED.with(Cell::get);
        for text in &texts {
            assert_eq!(outcome(text, false), outcome(text, true), "{text}");
        }
        let streamed = STREAMED.with(Cell::get) - before;
        assert!(
            streamed > 30,
            "only {streamed} of {} scripts streamed",
            texts.len()
        );
    }
}
