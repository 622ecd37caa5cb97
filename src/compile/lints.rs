//! The checks that need the whole script (missing targets, Begin, choice
//! words, OnRelease, reachability from Begin and the event actions,
//! variables read but never assigned, unconnected Error branches), then
//! the compiled [`Script`].

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;

use super::builder::{ContactRole, ScriptBuilder, UNDEFINED};
use super::system_variables;
use crate::diagnostics::{
    did_you_mean, suggestion, Diagnostic, DiagnosticCode, Diagnostics, Span, INPUTS_HINT,
};
use crate::program::{CompiledAction, PropSlot, Script, ScriptInner, ERR_VARIABLE, HIDDEN_PREFIX};

impl ScriptBuilder<'_, '_> {
    /// The checks that need every action, then the script. Errors and
    /// warnings come in this order: missing targets, Begin, choice words;
    /// unreachable actions, the expressions' warnings, unconnected Error
    /// branches, variables read but never assigned.
    pub(super) fn finish(mut self) -> Result<Script, Diagnostics> {
        self.check_targets();
        let external_without_error = self.unconnected_error_branches();
        self.resolve_targets();
        let entry = self.entry();
        let refused_choices = self.refuse_choice_variables();
        self.release_checks();
        let mut warnings = self.reachability(entry);
        warnings.append(&mut self.ctx.warnings);
        for (span, name) in external_without_error {
            warnings.push(Diagnostic::new(
DiagnosticCode::ErrorBranchNotConnected,
                span,
                format!("{name} can fail for reasons outside the script, but its Error branch is not connected: a failure will stop the script"),
            ));
        }
        let param_names = self.param_names(entry);
        self.unassigned(&param_names, &refused_choices, &mut warnings);
        self.script(entry, param_names, warnings)
    }

    /// What the host supplies: `CompileOptions::inputs`, the header's
    /// `inputs`, and the variables Studio itself provides to this script
    /// type.
    fn declared(&self, name: &str) -> bool {
        self.options.inputs.iter().any(|i| i == name)
            || self.header_inputs.iter().any(|i| i == name)
            || system_variables(self.script_type).contains(&name)
    }

    fn check_targets(&mut self) {
        let ctx = &mut self.ctx;
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
    }

    /// External-failure actions whose Error branch is not written: marked
    /// in the flow, and returned for their warning.
    fn unconnected_error_branches(&mut self) -> Vec<(Span, String)> {
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
        external_without_error
    }

    /// Branch targets from name numbers to action indices.
    fn resolve_targets(&mut self) {
        let names = &self.names;
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
    }

    /// The Begin action (0 when there is none or more than one: both are
    /// errors).
    fn entry(&mut self) -> u32 {
        let ctx = &mut self.ctx;
        let complete = self.complete;
        match self.entries.as_slice() {
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
        }
    }

    /// Bare words that are not one of a property's choices (`Status =
    /// inactiv`): a misspelt word reads as an unset variable, i.e. "",
    /// which silently means the default (all agents). Refused unless the
    /// script assigns it or the host declares it (only when every action
    /// parsed: an unparsed one may assign it). The names refused, which
    /// are not warned about again as never assigned.
    fn refuse_choice_variables(&mut self) -> HashSet<String> {
        let complete = self.complete;
        let mut refused_choices: HashSet<String> = HashSet::new();
        for choice in std::mem::take(&mut self.ctx.choice_variables) {
            if !complete || self.ctx.writes.contains(&choice.name) || self.declared(&choice.name) {
                continue;
            }
            refused_choices.insert(choice.name.clone());
            self.ctx.errors.push(Diagnostic::new(
                DiagnosticCode::InvalidPropertyValue,
                choice.span,
                format!(
                    "`{}` is not one of {} for `{}`{}, and as a variable it is never assigned (it would read as \"\"); write one of the words, or declare the input with {INPUTS_HINT}",
                    choice.name, choice.expected, choice.property, choice.suggestion
                ),
            ).with_input(&choice.name));
        }
        refused_choices
    }

    /// Marks what Begin reaches in the flow; the unreachable actions'
    /// warnings.
    fn reachability(&mut self, entry: u32) -> Vec<Diagnostic> {
        let ctx = &self.ctx;
        let complete = self.complete;
        let names = &self.names;
        let resolve = |name: u32| Some(names[name as usize]).filter(|&a| a != UNDEFINED);
        let mut warnings = Vec::new();
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
            // Event actions (OnAnswer, OnRelease) start when their event
            // fires: they are roots too.
            for root in self.event_roots() {
                if !seen[root as usize] {
                    seen[root as usize] = true;
                    queue.push_back(root);
                }
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
        warnings
    }

    /// Begin's parameter names, for a subscript.
    fn param_names(&self, entry: u32) -> Box<[Arc<str>]> {
        // Begin's Parameters name p1, p2, ... (Studio renames them there).
        // (Only when every action compiled: otherwise indices do not line up.)
        Some(&self.compiled)
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
            .unwrap_or_default()
    }

    /// Variables read but never assigned (nor declared, nor parameters).
    fn unassigned(
        &self,
        param_names: &[Arc<str>],
        refused_choices: &HashSet<String>,
        warnings: &mut Vec<Diagnostic>,
    ) {
        let ctx = &self.ctx;
        let complete = self.complete;
        let options = self.options;
        let header_inputs = &self.header_inputs;
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
                || self.declared(name)
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
                    "variable `{name}` is read but never assigned (declare host inputs with {INPUTS_HINT})"
                ),
            };
            warnings.push(
                Diagnostic::new(DiagnosticCode::UnassignedVariable, *span, message)
                    .with_input(name),
            );
        }
    }

    /// The compiled script, or every error and warning.
    fn script(
        mut self,
        entry: u32,
        param_names: Box<[Arc<str>]>,
        warnings: Vec<Diagnostic>,
    ) -> Result<Script, Diagnostics> {
        let on_answer = self.first_of(ContactRole::OnAnswer);
        let on_release = self.first_of(ContactRole::OnRelease);
        let source = self.source;
        let mut warnings = warnings;
        self.studio.mark(&mut warnings);
        // Warnings are reported alongside errors: both are worth fixing.
        if !self.ctx.errors.is_empty() {
            let mut errors = std::mem::take(&mut self.ctx.errors);
            self.studio.mark(&mut errors);
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
                on_answer,
                on_release,
                source_sha256: std::sync::OnceLock::new(),
            }),
        })
    }
}
