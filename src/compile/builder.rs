//! One script's compile, fed one action at a time: interning ids and
//! targets, the per-action summaries the whole-graph checks need, and the
//! compiled actions and flow.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use indexmap::IndexMap;

use super::compiler::Compiler;
use super::ctx::Ctx;
use super::registry::RegisteredAction;
use super::CompileOptions;
use crate::diagnostics::{Diagnostic, DiagnosticCode, SourceFile, Span};
use crate::program::schema::ScriptType;
use crate::program::{ActionKind, CompiledAction, FlowAction, VarId, ERR_VARIABLE};
use crate::syntax::ast::{ActionAst, Header};

/// How many actions a streaming compile takes before it sizes its vectors
/// from the share of the text read (fewer would predict from the header and
/// first actions, which are rarely typical).
pub(super) const ESTIMATE_AFTER: usize = 256;

/// No action (yet) for a name in [`ScriptBuilder::names`].
pub(super) const UNDEFINED: u32 = u32::MAX;

/// What the whole-graph checks need of one source action once its AST is
/// gone: its id (as a name number), where the id is written, and where its
/// branches end in [`ScriptBuilder::branches`].
pub(super) struct ActionSummary {
    pub(super) name: u32,
    pub(super) id_span: Span,
    pub(super) branches_end: u32,
    /// What the contact checks need to know of its type.
    pub(super) role: ContactRole,
}

/// What the contact checks need to know of an action's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ContactRole {
    /// Not a contact action these checks look at.
    Other,
    /// Plays to the caller (Play).
    Media,
    /// Plays (Menu) or not (Capture), then collects digits.
    Collect,
    /// Hold music.
    Music,
    /// The event action run when an agent answers.
    OnAnswer,
    /// The event action run when the contact is released.
    OnRelease,
}

impl ContactRole {
    /// The role of an action type, by its canonical name.
    pub(super) fn of(type_name: &str) -> ContactRole {
        match type_name {
            "Play" => ContactRole::Media,
            "Menu" | "Capture" => ContactRole::Collect,
            "Music" => ContactRole::Music,
            "OnAnswer" => ContactRole::OnAnswer,
            "OnRelease" => ContactRole::OnRelease,
            _ => ContactRole::Other,
        }
    }

    /// Talks to the caller: nothing to talk to once the contact is released.
    pub(super) fn is_media(self) -> bool {
        matches!(
            self,
            ContactRole::Media | ContactRole::Collect | ContactRole::Music
        )
    }

    /// Runs when an event fires, not from Begin.
    pub(super) fn is_event(self) -> bool {
        matches!(self, ContactRole::OnAnswer | ContactRole::OnRelease)
    }
}

/// One written branch's target, for reachability and the missing-target check.
pub(super) struct BranchRef {
    /// The target as a name number.
    pub(super) name: u32,
    /// Where the target is written (offsets fit in u32: scripts are bounded
    /// far below 4 GiB).
    pub(super) start: u32,
    pub(super) end: u32,
    /// Checked for existence (branches of a terminal action are an error of
    /// their own and are not).
    pub(super) checked: bool,
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
pub(super) struct ScriptBuilder<'c, 'a> {
    pub(super) compiler: &'c Compiler<'a>,
    pub(super) source: SourceFile,
    pub(super) options: &'c CompileOptions,
    /// Every action parsed (false with syntax errors: graph checks are guesses then).
    pub(super) complete: bool,
    pub(super) ctx: Ctx<'a>,
    pub(super) err_var: VarId,
    pub(super) script_type: ScriptType,
    pub(super) title: Option<String>,
    /// Ids and branch targets → the first action with that id (or [`UNDEFINED`]).
    pub(super) names: IndexMap<Arc<str>, u32, foldhash::fast::RandomState>,
    pub(super) actions: Vec<ActionSummary>,
    pub(super) branches: Vec<BranchRef>,
    pub(super) compiled: Vec<CompiledAction>,
    pub(super) flow: Vec<FlowAction>,
    pub(super) entries: Vec<(u32, Span)>,
    /// Some action's type is unknown (it may be a misspelt Begin).
    pub(super) unknown_type: bool,
    /// The header's `inputs`: variables the host supplies.
    pub(super) header_inputs: Vec<String>,
    /// Every word of the text that did not parse: what a broken action may
    /// branch to or assign, for the warnings that stay sure without it.
    pub(super) unparsed_words: HashSet<String>,
    /// Compiled actions that can fail for outside reasons: (compiled index,
    /// type span, type name), checked for a connected Error branch at the end.
    pub(super) external: Vec<(u32, Span, String)>,
    pub(super) snippet_programs: HashMap<(usize, usize), Arc<crate::snippet::program::Program>>,
    pub(super) snippet_functions: Vec<crate::snippet::program::UserFunction>,
    pub(super) global_names: Vec<Arc<str>>,
    /// Studio ActionIDs and opaque keywords seen so far.
    pub(super) studio: StudioChecks,
    /// A labeled branch's name (`Case "gold"`) is written here to be
    /// interned: one buffer for the script, not a `String` for each.
    pub(super) label_text: String,
}

impl<'c, 'a> ScriptBuilder<'c, 'a> {
    pub(super) fn new(
        compiler: &'c Compiler<'a>,
        source: SourceFile,
        options: &'c CompileOptions,
        parse_errors: Vec<Diagnostic>,
        unparsed: HashSet<String>,
    ) -> Self {
        let complete = parse_errors.is_empty();
        let mut ctx = Ctx {
            functions: compiler.functions,
            vars: IndexMap::default(),
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
            studio: Default::default(),
            label_text: String::new(),
        }
    }

    /// Room for about `expected` actions in all, so that the big vectors do
    /// not double past what the script needs.
    pub(super) fn reserve_for(&mut self, expected: usize) {
        let more = expected.saturating_sub(self.compiled.len());
        self.compiled.reserve_exact(more);
        self.flow.reserve_exact(more);
        self.actions.reserve_exact(more);
        // Ids are most of the names (targets name ids, mostly).
        let names = expected.saturating_sub(self.names.len());
        self.names.reserve_exact(names);
    }

    pub(super) fn header(&mut self, h: &Header) {
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
        if let Some(block) = &h.studio {
            self.check_header_studio(block);
        }
    }

    /// The number of a name, interned on first sight.
    pub(super) fn name(&mut self, text: &str) -> u32 {
        if let Some(i) = self.names.get_index_of(text) {
            return i as u32;
        }
        self.names.insert_full(Arc::from(text), UNDEFINED).0 as u32
    }

    /// Checks and lowers the next action in source order.
    pub(super) fn add(&mut self, a: &ActionAst) {
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
        let opaque = self.opaque_action(a);
        let reg = match &opaque {
            Some(r) => Some(r),
            None => self.compiler.actions.lookup(&a.action_type),
        };
        if let Some(block) = &a.studio {
            self.check_action_studio(a, block, reg, opaque.is_some());
        }
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
        let role = reg.map_or(ContactRole::Other, |r| ContactRole::of(&r.schema.name));
        if let Some(r) = reg.filter(|_| role != ContactRole::Other) {
            self.contact_action(a, role, &r.schema.name);
        }
        self.actions.push(ActionSummary {
            name,
            id_span: a.id_span,
            branches_end: self.branches.len() as u32,
            role,
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
}

/// How a registered action type is drawn and reported.
fn action_kind(reg: &RegisteredAction) -> ActionKind {
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

/// What the builder remembers across actions.
#[derive(Default)]
pub(super) struct StudioChecks {
    /// Studio ActionIDs seen, with the action id that has each.
    pub(super) action_ids: std::collections::HashMap<i64, String>,
    /// Opaque keywords already warned about (lower case).
    pub(super) warned: Vec<String>,
    /// Each action's span with its Studio ActionID, for diagnostics.
    pub(super) places: Vec<(Span, i64)>,
}

impl StudioChecks {
    /// Names the Studio ActionID of the action each diagnostic is in, so
    /// that a Studio developer finds it in Studio.
    pub(super) fn mark(&self, diagnostics: &mut [Diagnostic]) {
        if self.places.is_empty() {
            return;
        }
        for d in diagnostics {
            let at = d.span.start;
            if let Some((_, id)) = self
                .places
                .iter()
                .find(|(span, _)| span.start <= at && at < span.end.max(span.start + 1))
            {
                d.message.push_str(&format!(" (Studio ActionID {id})"));
            }
        }
    }
}
