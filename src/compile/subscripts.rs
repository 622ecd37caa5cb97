//! Compiling a call graph: the script, then every subscript its RunSubs
//! (and theirs) name, each once; then the checks that need both ends of
//! every RunSub.

use std::sync::Arc;

use super::compiler::Compiler;
use super::graph::SubGraph;
use super::{CompileOptions, CompileSetup};
use crate::diagnostics::{Diagnostic, DiagnosticCode, Diagnostics, SourceFile};
use crate::program::Script;

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
