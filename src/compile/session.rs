//! One script's compile: streamed action by action when the text allows it
//! (the AST of each action dropped before the next is parsed), else from
//! the whole AST with syntax errors recovered from.

use std::collections::HashSet;

use super::builder::{ScriptBuilder, ESTIMATE_AFTER};
use super::compiler::Compiler;
use super::CompileOptions;
use crate::diagnostics::{Diagnostics, SourceFile, Span};
use crate::program::Script;
use crate::syntax::ast::ParsedScript;
use crate::syntax::ParsedPiece;

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
        let parsed = match self.compile_streaming(&source, options) {
            Streamed::Compiled(result) => return result,
            // The stream stopped at a syntax error: recover without
            // parsing up to it a second time.
            Streamed::SyntaxError => {
                crate::syntax::parse_script_recovering_after_error(source.text())
            }
            Streamed::NeedsWholeTree => crate::syntax::parse_script_recovering(source.text()),
        };
        self.compile(parsed, source, options)
    }

    /// The streaming compile, or why the script needs the whole AST
    /// (nothing it did is kept then: the call graph is rolled back).
    fn compile_streaming(&self, source: &SourceFile, options: &CompileOptions) -> Streamed {
        #[cfg(test)]
        if tests::WHOLE_AST_ONLY.with(std::cell::Cell::get) {
            return Streamed::NeedsWholeTree;
        }
        let text = source.text();
        // Snippet code is written in `"""` blocks: no need to try. An
        // empty or binary text gets its error from the whole parse.
        if text.contains("\"\"\"") || crate::syntax::refused_input(text).is_some() {
            return Streamed::NeedsWholeTree;
        }
        // Set when the stream is stopped for a reason of its own (Snippet
        // code, an action that cannot be built), not a syntax error.
        let mut stopped = false;
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
                    stopped = true;
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
            ParsedPiece::Unbuilt(..) => {
                stopped = true;
                false
            }
        });
        if streamed {
            #[cfg(test)]
            tests::STREAMED.with(|n| n.set(n.get() + 1));
            return Streamed::Compiled(builder.finish());
        }
        drop(builder);
        let mut graph = self.subscripts.borrow_mut();
        graph.calls.truncate(calls);
        graph.units.truncate(units);
        if stopped {
            Streamed::NeedsWholeTree
        } else {
            Streamed::SyntaxError
        }
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

/// How the streaming compile ended.
enum Streamed {
    /// The script, compiled (or its diagnostics).
    Compiled(Result<Script, Diagnostics>),
    /// The text has a syntax error (or is nested too deep).
    SyntaxError,
    /// The script needs the whole tree (Snippet code, an action that
    /// cannot be built, empty or binary text).
    NeedsWholeTree,
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
