//! Snippet code in a script: every action's `"""` blocks parsed and their
//! FUNCTIONs declared before any action is compiled (they are visible to
//! every snippet, whatever the order of the actions).

use std::sync::Arc;

use super::builder::ScriptBuilder;
use crate::diagnostics::{Diagnostic, DiagnosticCode, SourceFile};
use crate::program::schema::PropertyKind;
use crate::syntax::ast::{ActionAst, Expr, ExprKind, Literal};

impl ScriptBuilder<'_, '_> {
    /// True when `a` has Snippet code: its FUNCTIONs are visible to every
    /// snippet of the script, so those are compiled from the whole AST.
    pub(super) fn has_snippet_code(&self, a: &ActionAst) -> bool {
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
    pub(super) fn snippets(&mut self, actions: &[ActionAst]) {
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
