//! The compile context: what compiling one script's expressions, actions
//! and Snippet code shares (variable slots, reads and writes, diagnostics,
//! shared strings).

use std::collections::HashSet;
use std::sync::Arc;

use indexmap::IndexMap;

use crate::diagnostics::{Diagnostic, DiagnosticCode, Span};
use crate::program::{Signatures, VarId};

pub(crate) struct Ctx<'a> {
    pub functions: &'a dyn Signatures,
    pub(super) vars: IndexMap<String, VarId, foldhash::fast::RandomState>,
    /// The first read of each variable, in the order first read: where a
    /// "read but never assigned" warning points.
    pub(super) first_reads: Vec<(VarId, Span)>,
    /// Per variable slot: read yet?
    pub(super) read: Vec<bool>,
    pub writes: HashSet<String>,
    pub errors: Vec<Diagnostic>,
    /// Warnings found while compiling expressions (`[0]`).
    pub warnings: Vec<Diagnostic>,
    pub max_depth: usize,
    pub(super) list_depth: usize,
    pub(super) max_value_depth: usize,
    pub(super) max_string_bytes: usize,
    /// Ids of the actions that did not parse.
    pub(super) unparsed: HashSet<String>,
    /// Bare identifiers written in a property with [`crate::program::schema::Choices`]
    /// that are not one of its words: refused unless something assigns them.
    pub(super) choice_variables: Vec<ChoiceVariable>,
    /// The script's Snippet FUNCTIONs, for "did you mean" (calls to them
    /// never reach the expression compiler).
    pub snippet_function_names: Vec<String>,
    /// Text the compiled script holds (constants, template text, member
    /// and type names, labels), one copy of each.
    pub(super) strings: HashSet<Arc<str>, foldhash::fast::RandomState>,
}

/// See [`Ctx::choice_variables`].
pub(super) struct ChoiceVariable {
    pub name: String,
    pub span: Span,
    pub property: String,
    pub expected: String,
    /// ` (did you mean `inactive`?)` when a word is close.
    pub suggestion: String,
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
    /// How the script spells the variable `global:name` names: Studio's
    /// names ignore case, so the first variable the script has met whose
    /// name is `name` ignoring ASCII case, else `name` as written.
    pub fn global_spelling(&self, name: &str) -> String {
        if self.vars.contains_key(name) {
            return name.to_string();
        }
        self.vars
            .keys()
            .find(|k| k.eq_ignore_ascii_case(name))
            .cloned()
            .unwrap_or_else(|| name.to_string())
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
    pub(super) fn check_literal_len(&mut self, len: usize, span: Span) -> bool {
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
