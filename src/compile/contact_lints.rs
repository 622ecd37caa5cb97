//! The checks of a phone flow's contact actions: a Menu or Capture that a
//! silent caller cannot leave and Music connected to itself (per action,
//! as it is added); a second OnRelease and media actions after OnRelease
//! (on the whole graph, at the end). The event actions are roots of the
//! reachability check too (`lints.rs`), and the compiled script keeps
//! where they are (`ScriptInner::on_answer`, `on_release`).

use std::collections::VecDeque;

use super::builder::{ContactRole, ScriptBuilder, UNDEFINED};
use crate::diagnostics::{Diagnostic, DiagnosticCode};
use crate::syntax::ast::ActionAst;

/// The variables OnRelease sets besides its CauseCode variable.
const RELEASE_VARIABLES: [&str; 2] = ["_CALLRESULT", "_CAUSECODE"];

impl ScriptBuilder<'_, '_> {
    /// The checks of one contact action, on its written branches.
    pub(super) fn contact_action(&mut self, a: &ActionAst, role: ContactRole, type_name: &str) {
        let written = |name: &str| a.branches.iter().any(|b| b.name.eq_ignore_ascii_case(name));
        match role {
            // A written branch counts as connected even to a target that
            // does not exist: that mistake has its own error.
            ContactRole::Collect if !written("Timeout") && !written("Default") => {
                self.ctx.warnings.push(Diagnostic::new(
                    DiagnosticCode::UnhandledTimeout,
                    a.type_span,
                    format!(
                        "{type_name} `{}` has neither Timeout nor Default connected: a caller who presses nothing gets stuck here (connect Timeout or Default)",
                        a.id
                    ),
                ));
            }
            ContactRole::Music => {
                if let Some(b) = a.branches.iter().find(|b| b.target == a.id) {
                    self.ctx.warnings.push(Diagnostic::new(
                        DiagnosticCode::MusicSelfLoop,
                        b.target_span,
                        format!(
                            "Music `{}` is connected to itself ({}): Studio says never to; loop through a short Wait (Music -> Wait -> Music)",
                            a.id, b.name
                        ),
                    ));
                }
            }
            // Studio fills these when the contact is released: reading
            // them is not reading a variable nothing assigns.
            ContactRole::OnRelease => {
                for name in RELEASE_VARIABLES {
                    self.ctx.writes.insert(name.to_string());
                }
            }
            _ => {}
        }
    }

    /// The event actions (first of their id), in source order: roots of
    /// the flow besides Begin.
    pub(super) fn event_roots(&self) -> Vec<u32> {
        self.actions
            .iter()
            .enumerate()
            .filter(|(i, a)| a.role.is_event() && self.names[a.name as usize] == *i as u32)
            .map(|(i, _)| i as u32)
            .collect()
    }

    /// The first action of `role` (by source order), as the compiled
    /// script's event action.
    pub(super) fn first_of(&self, role: ContactRole) -> Option<u32> {
        self.actions
            .iter()
            .position(|a| a.role == role)
            .map(|i| i as u32)
    }

    /// A second OnRelease; media actions reachable from the OnRelease.
    pub(super) fn release_checks(&mut self) {
        let mut releases = self
            .actions
            .iter()
            .enumerate()
            .filter(|(_, a)| a.role == ContactRole::OnRelease);
        let Some((first, _)) = releases.next() else {
            return;
        };
        let first_span = self.actions[first].id_span;
        let (line, _) = self.source.line_col(first_span.start);
        let first_id = self
            .names
            .get_index(self.actions[first].name as usize)
            .expect("interned")
            .0
            .clone();
        for (_, second) in releases {
            self.ctx.errors.push(Diagnostic::new(
                DiagnosticCode::SecondOnRelease,
                second.id_span,
                format!(
                    "a second OnRelease (the first is `{first_id}` on line {line}): a script has at most one"
                ),
            ));
        }
        // What the OnRelease reaches, on the written branches.
        let names = &self.names;
        let resolve = |name: u32| Some(names[name as usize]).filter(|&a| a != UNDEFINED);
        let mut seen = vec![false; self.actions.len()];
        let mut queue = VecDeque::from([first]);
        seen[first] = true;
        let mut media = Vec::new();
        while let Some(i) = queue.pop_front() {
            let start = match i {
                0 => 0,
                _ => self.actions[i - 1].branches_end as usize,
            };
            let end = self.actions[i].branches_end as usize;
            for b in &self.branches[start..end] {
                let Some(t) = resolve(b.name) else { continue };
                let t = t as usize;
                if !seen[t] {
                    seen[t] = true;
                    queue.push_back(t);
                    if self.actions[t].role.is_media() {
                        media.push(t);
                    }
                }
            }
        }
        media.sort_unstable();
        for t in media {
            let id = names
                .get_index(self.actions[t].name as usize)
                .expect("interned")
                .0;
            self.ctx.errors.push(Diagnostic::new(
                DiagnosticCode::MediaAfterRelease,
                self.actions[t].id_span,
                format!(
                    "`{id}` plays to or listens to the caller, but OnRelease `{first_id}` reaches it: the contact is released by then (Studio allows no media actions after OnRelease)"
                ),
            ));
        }
    }
}
