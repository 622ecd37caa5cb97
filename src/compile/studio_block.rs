//! `studio { ... }` blocks (what a Studio file said that running the flow
//! does not use) checked, and Studio actions studioflow does not simulate
//! compiled as opaque actions.
//!
//! An action whose type is no registered action but which carries a
//! `studio` block is an opaque Studio action (`XFERQUEUE`, `PLACECALL`,
//! ...): it keeps its keyword, parameters and branches for `export`, takes
//! any named branch and `Case` branches, draws as a host action, and when
//! run fails with "XFERQUEUE is not simulated: mock it in a test" (its
//! Error branch, as an unprovided host action). `check` warns once per
//! keyword.

use super::builder::ScriptBuilder;
use super::registry::RegisteredAction;
use crate::diagnostics::{suggestion, Diagnostic, DiagnosticCode, Span};
use crate::program::schema::ActionSchema;
use crate::studio::kept::{self, Owner};
use crate::studio::table::{self, ActionDef};
use crate::syntax::ast::{ActionAst, StudioBlock, StudioValue};

/// The entries every action's block may hold, whatever its type.
const ACTION_KEYS: &[&str] = &[
    "ActionID",
    "LibraryID",
    "Keyword",
    "PropertyCount",
    "X",
    "Y",
    "xws",
    "yws",
    "DependencyOrder",
    "ImplType",
    "Version",
    "Json",
    "Xml",
];

/// The entries only an opaque action's block holds.
const OPAQUE_KEYS: &[&str] = &["Parameters", "ParameterNames", "Branches"];

/// The entries of the block after the header.
pub(crate) const HEADER_KEYS: &[&str] = &[
    "ScriptName",
    "BusNo",
    "MediaType",
    "MediaTypeName",
    "LibraryID",
    "UserID",
    "ModifyDate",
    "Json",
    "Xml",
];

fn invalid(span: Span, message: String) -> Diagnostic {
    Diagnostic::new(DiagnosticCode::InvalidStudioEntry, span, message)
}

/// `Parameter_N`: a property at position N the table does not name.
fn positional(name: &str) -> Option<usize> {
    let rest = name.get(..10)?;
    if !rest.eq_ignore_ascii_case("Parameter_") {
        return None;
    }
    name[10..]
        .parse()
        .ok()
        .filter(|&n: &usize| n < kept::MAX_PROPERTIES)
}

/// The entries' values and duplicate names (see [`kept::check_block`]).
fn check_common(block: &StudioBlock, owner: &Owner<'_>, errors: &mut Vec<Diagnostic>) {
    for (span, message) in kept::check_block(block, owner) {
        errors.push(invalid(span, message));
    }
}

impl ScriptBuilder<'_, '_> {
    /// The header's studio block.
    pub(super) fn check_header_studio(&mut self, block: &StudioBlock) {
        check_common(block, &Owner::Header, &mut self.ctx.errors);
        for e in &block.entries {
            if !HEADER_KEYS.iter().any(|k| k.eq_ignore_ascii_case(&e.name)) {
                self.ctx.errors.push(invalid(
                    e.name_span,
                    format!(
                        "unknown studio entry `{}` for the script{}; expected one of {}",
                        e.name,
                        suggestion(&e.name, HEADER_KEYS.iter().copied()),
                        HEADER_KEYS.join(", ")
                    ),
                ));
            }
        }
    }

    /// Checks `a`'s studio block against its type (`reg`, or an opaque
    /// action when `opaque`).
    pub(super) fn check_action_studio(
        &mut self,
        a: &ActionAst,
        block: &StudioBlock,
        reg: Option<&RegisteredAction>,
        opaque: bool,
    ) {
        let errors = &mut self.ctx.errors;
        let def: Option<&ActionDef> = reg.and_then(|r| table::by_name(&r.schema.name));
        let keyword = def.map_or(a.action_type.as_str(), |d| d.keyword);
        check_common(block, &Owner::Action { keyword }, errors);
        if let Some(e) = block.get("ActionID") {
            if let StudioValue::Number(n) = &e.value {
                if let Ok(n) = n.parse::<i64>() {
                    self.studio.places.push((a.span, n));
                    match self.studio.action_ids.get(&n) {
                        Some(other) => errors.push(invalid(
                            e.value_span,
                            format!("Studio ActionID {n} is also the ActionID of action `{other}`"),
                        )),
                        None => {
                            self.studio.action_ids.insert(n, a.id.clone());
                        }
                    }
                }
            }
        }
        for e in &block.entries {
            let name = e.name.as_str();
            if ACTION_KEYS.iter().any(|k| k.eq_ignore_ascii_case(name)) {
                continue;
            }
            let studio_property = def.and_then(|d| {
                d.properties
                    .iter()
                    .find(|p| p.studio.eq_ignore_ascii_case(name))
            });
            if studio_property.is_none() && OPAQUE_KEYS.iter().any(|k| k.eq_ignore_ascii_case(name))
            {
                if !opaque {
                    errors.push(invalid(
                        e.name_span,
                        format!(
                            "`{name}` belongs in the studio block of an action studioflow does not simulate; {} has named properties",
                            a.action_type
                        ),
                    ));
                }
                continue;
            }
            if positional(name).is_some() {
                if !matches!(&e.value, StudioValue::Text(_))
                    && !matches!(&e.value, StudioValue::List(l) if l.len() == 2)
                {
                    errors.push(invalid(
                        e.value_span,
                        format!("studio entry `{name}` must be a string, or a list [\"name\", \"value\"]"),
                    ));
                }
                continue;
            }
            match studio_property {
                Some(_) if matches!(e.value, StudioValue::Number(_)) => errors.push(invalid(
                    e.value_span,
                    format!("studio entry `{name}` must be a string (Studio's value as written)"),
                )),
                Some(_) => {}
                None => {
                    let mut known: Vec<&str> = ACTION_KEYS.to_vec();
                    if let Some(d) = def {
                        known.extend(d.properties.iter().map(|p| p.studio));
                    }
                    if opaque {
                        known.extend(OPAQUE_KEYS);
                    }
                    errors.push(invalid(
                        e.name_span,
                        format!(
                            "unknown studio entry `{name}` for {}{}; expected one of {}, or Parameter_N",
                            a.action_type,
                            suggestion(name, known.iter().copied()),
                            known.join(", ")
                        ),
                    ));
                }
            }
        }
    }

    /// An opaque Studio action for `a` (with a studio block, a type no
    /// registry knows, or Studio's positional `Parameters` for a type
    /// studioflow has but Studio's table does not map, such as
    /// `SETSECURITYUSER` imported from a file), warning once per keyword;
    /// `None` when the engine has no handler for opaque actions or `a` is
    /// no such action.
    pub(super) fn opaque_action(&mut self, a: &ActionAst) -> Option<RegisteredAction> {
        let block = a.studio.as_ref()?;
        if self.compiler.actions.lookup(&a.action_type).is_some()
            && (block.get("Parameters").is_none()
                || table::by_name(&a.action_type).is_some()
                || table::by_keyword(&a.action_type).is_some())
        {
            return None;
        }
        let handler = self.compiler.actions.opaque_handler()?;
        let keyword = a.action_type.clone();
        let lower = keyword.to_ascii_lowercase();
        if !self.studio.warned.contains(&lower) {
            self.studio.warned.push(lower);
            self.ctx.warnings.push(Diagnostic::new(
                DiagnosticCode::NotSimulated,
                a.type_span,
                format!("{keyword} is not simulated: mock it in a test"),
            ));
        }
        let mut schema = ActionSchema::new(&keyword);
        schema.labeled_branch = Some("Case".to_string());
        // A set: a file may give an action thousands of named branches.
        let mut seen = std::collections::HashSet::new();
        for b in &a.branches {
            let plain = b.label.is_none()
                && !b.name.eq_ignore_ascii_case("Default")
                && !b.name.eq_ignore_ascii_case("Error");
            if plain && seen.insert(b.name.to_ascii_lowercase()) {
                schema.branches.push(b.name.clone());
            }
        }
        Some(RegisteredAction::new(schema, handler))
    }
}
