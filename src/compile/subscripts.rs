//! The call graph of a compile: every script a RunSub names, resolved once
//! through the engine's resolver and compiled with the caller into one
//! [`crate::Script`]. Unit 0 is the script being compiled; units 1.. are its
//! subscripts, in the order they were first named.

use std::sync::Arc;

use super::{CompileOptions, CompileSetup, Compiler};
use crate::diagnostics::SourceFile;
use crate::diagnostics::{Diagnostic, DiagnosticCode, Diagnostics, Span};
use crate::program::Script;
use crate::resolver::{ResolveError, ScriptResolver};

/// The most distinct subscripts one compile may pull in.
pub(crate) const MAX_SUBSCRIPTS: usize = 256;

pub(crate) struct Unit {
    /// The resolved name (a path for files): identity of the unit.
    pub name: String,
    /// The ScriptName as first written: how traces name the unit.
    pub label: String,
    pub source: String,
}

/// One RunSub, for the checks that need both ends compiled.
pub(crate) struct Call {
    pub caller: u32,
    pub target: u32,
    pub span: Span,
    /// The number of parameters when written as a list literal.
    pub args: Option<usize>,
}

pub(crate) struct SubGraph<'r> {
    resolver: Option<&'r dyn ScriptResolver>,
    root_name: String,
    pub units: Vec<Unit>,
    pub calls: Vec<Call>,
    /// The unit being compiled.
    pub current: u32,
}

impl<'r> SubGraph<'r> {
    pub fn new(resolver: Option<&'r dyn ScriptResolver>, root_name: &str) -> Self {
        SubGraph {
            resolver,
            root_name: root_name.to_string(),
            units: Vec::new(),
            calls: Vec::new(),
            current: 0,
        }
    }

    fn name_of(&self, unit: u32) -> &str {
        match unit {
            0 => &self.root_name,
            n => &self.units[n as usize - 1].name,
        }
    }

    /// The unit a RunSub in the current unit calls.
    pub fn unit_for(&mut self, written: &str) -> Result<u32, ResolveError> {
        let resolver = self.resolver.ok_or_else(|| ResolveError::NoResolver {
            name: written.to_string(),
        })?;
        let resolved = resolver.resolve(written, self.name_of(self.current))?;
        if resolved.name == self.root_name {
            return Ok(0);
        }
        if let Some(i) = self.units.iter().position(|u| u.name == resolved.name) {
            return Ok(i as u32 + 1);
        }
        if self.units.len() >= MAX_SUBSCRIPTS {
            return Err(ResolveError::Read {
                name: written.to_string(),
                message: format!("more than {MAX_SUBSCRIPTS} subscripts in one compile"),
            });
        }
        self.units.push(Unit {
            name: resolved.name,
            label: written.to_string(),
            source: resolved.source,
        });
        Ok(self.units.len() as u32)
    }

    /// Units that can reach themselves through RunSubs (recursion), in
    /// order; each with the cycle as labels.
    pub fn cycles(&self) -> Vec<(u32, Vec<u32>)> {
        let n = self.units.len() + 1;
        let mut found = Vec::new();
        for start in 0..n as u32 {
            // Breadth-first search for a path back to `start`.
            let mut prev: Vec<Option<u32>> = vec![None; n];
            let mut queue = std::collections::VecDeque::from([start]);
            let mut seen = vec![false; n];
            let mut closing = None;
            while let Some(u) = queue.pop_front() {
                for c in self.calls.iter().filter(|c| c.caller == u) {
                    if c.target == start {
                        closing = Some(u);
                        break;
                    }
                    if !seen[c.target as usize] {
                        seen[c.target as usize] = true;
                        prev[c.target as usize] = Some(u);
                        queue.push_back(c.target);
                    }
                }
                if closing.is_some() {
                    break;
                }
            }
            if let Some(mut u) = closing {
                let mut path = vec![u];
                while u != start {
                    match prev[u as usize] {
                        Some(p) => {
                            path.push(p);
                            u = p;
                        }
                        None => break,
                    }
                }
                path.reverse();
                found.push((start, path));
            }
        }
        found
    }
}

/// Compiles `source` and every script its RunSubs name (and theirs), once
/// each, in the order first named; a subscript's own errors point into its
/// own file. The root holds the subscripts as units 1...
pub(crate) fn compile_script(
    setup: &CompileSetup<'_>,
    source: &str,
    name: &str,
    options: &CompileOptions,
) -> Result<Script, Diagnostics> {
    let graph = std::cell::RefCell::new(SubGraph::new(setup.resolver, name));
    let compile_one = |text: &str, unit_name: &str, options: &CompileOptions| {
        let file = SourceFile::new(unit_name, text);
        Compiler {
            actions: setup.actions,
            functions: setup.functions,
            engine_id: setup.engine_id,
            max_value_depth: setup.max_value_depth,
            max_string_bytes: setup.max_string_bytes,
            subscripts: &graph,
        }
        .compile_source(file, options)
    };
    let mut root = compile_one(source, name, options)?;
    let mut units: Vec<Script> = Vec::new();
    loop {
        let next = units.len() + 1;
        let pending = {
            let mut g = graph.borrow_mut();
            g.current = next as u32;
            g.units
                .get(next - 1)
                .map(|u| (u.name.clone(), u.label.clone(), u.source.clone()))
        };
        let Some((unit_name, label, text)) = pending else {
            break;
        };
        let mut unit = compile_one(&text, &unit_name, &CompileOptions::default())?;
        if let Some(inner) = Arc::get_mut(&mut unit.inner) {
            inner.label = Arc::from(label.as_str());
        }
        units.push(unit);
    }
    check_calls(&mut root, &units, &graph.borrow())?;
    if let Some(inner) = Arc::get_mut(&mut root.inner) {
        inner.subscripts = units.into_iter().map(|u| u.inner).collect();
    }
    Ok(root)
}

/// The checks that need both ends of every RunSub compiled: parameter
/// counts, script types, a Return to come back by, and recursion.
fn check_calls(
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
