//! A [`StudioScript`] made into `.script` text.
//!
//! The action id rule (normative): an imported action's id is its caption
//! made into an identifier (every character other than an ASCII letter,
//! digit or `_` becomes `_`; a leading digit gets a `_` before it; an empty
//! caption uses the keyword as the file writes it, e.g. `MENU`), made unique
//! in ActionID order by appending `_2`, `_3`, ... (skipping any suffix
//! another action already has).
//!
//! The entry is the BEGIN with the highest ActionID (Studio starts at the
//! last-added Begin); the others are left out with a warning. Each action is
//! preceded by a comment with its Studio ActionID, keyword and position.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use super::error::StudioError;
use super::model::{BranchKind, PropertyValue, StudioAction, StudioScript};
use super::table::{self, ActionDef, ValueKind};

/// An imported script: its `.script` text (not yet formatted) and what the
/// import left out or had to choose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    /// The `.script` text.
    pub text: String,
    /// Warnings (several Begins, properties not kept yet).
    pub warnings: Vec<String>,
}

/// An action's base id: its caption (or keyword) made into an identifier.
pub fn base_id(caption: &str, keyword: &str) -> String {
    let source = if caption.is_empty() { keyword } else { caption };
    let mut id: String = source
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if id.is_empty() {
        id.push('_');
    }
    if id.starts_with(|c: char| c.is_ascii_digit()) {
        id.insert(0, '_');
    }
    id
}

/// The ids of `actions` (sorted by ActionID), by the action id rule.
pub fn action_ids(actions: &[StudioAction]) -> Vec<String> {
    let bases: Vec<String> = actions
        .iter()
        .map(|a| base_id(&a.caption, &a.keyword))
        .collect();
    let all_bases: HashSet<&str> = bases.iter().map(String::as_str).collect();
    let mut taken: HashSet<String> = HashSet::new();
    let mut ids = Vec::with_capacity(actions.len());
    for base in &bases {
        let id = if taken.contains(base) {
            (2u64..)
                .map(|n| format!("{base}_{n}"))
                .find(|c| !taken.contains(c) && !all_bases.contains(c.as_str()))
                .unwrap_or_default()
        } else {
            base.clone()
        };
        taken.insert(id.clone());
        ids.push(id);
    }
    ids
}

/// A raw string literal (captions, case labels, the script name).
fn raw_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn is_identifier(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !["true", "false", "null", "and", "or", "not"]
            .iter()
            .any(|k| k.eq_ignore_ascii_case(text))
}

/// A template string literal: Studio's `{name}` substitutions (names,
/// dotted or indexed) stay; every other brace is escaped.
fn template(text: &str) -> String {
    let escaped = raw_string(text);
    let inner = &escaped[1..escaped.len() - 1];
    let mut out = String::from("\"");
    let mut rest = inner;
    while let Some(c) = rest.chars().next() {
        if c == '{' {
            if let Some(end) = rest.find('}') {
                let name = &rest[1..end];
                let plausible = !name.is_empty()
                    && name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                    && name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '[' | ']'));
                if plausible {
                    out.push_str(&rest[..=end]);
                    rest = &rest[end + 1..];
                    continue;
                }
            }
            out.push_str("{{");
        } else if c == '}' {
            out.push_str("}}");
        } else {
            out.push(c);
        }
        rest = &rest[c.len_utf8()..];
    }
    out.push('"');
    out
}

/// A value: a number, `true`/`false`, `{name}` as the variable, else a string.
fn value(text: &str) -> String {
    let t = text.trim();
    if !t.is_empty() && t.parse::<f64>().is_ok_and(f64::is_finite) && !t.starts_with('+') {
        return t.to_string();
    }
    if t.eq_ignore_ascii_case("true") || t.eq_ignore_ascii_case("false") {
        return t.to_ascii_lowercase();
    }
    if let Some(name) = t.strip_prefix('{').and_then(|r| r.strip_suffix('}')) {
        if is_identifier(name) {
            return name.to_string();
        }
    }
    template(text)
}

fn name(text: &str) -> String {
    let t = text.trim();
    if is_identifier(t) {
        t.to_string()
    } else {
        raw_string(t)
    }
}

/// Writes `script` as `.script` text. `fallback_name` names the script when
/// the file does not.
pub fn to_script(script: &StudioScript, fallback_name: &str) -> Result<Imported, StudioError> {
    let mut warnings = Vec::new();
    let mut defs: Vec<&'static ActionDef> = Vec::with_capacity(script.actions.len());
    for action in &script.actions {
        let def =
            table::by_keyword(&action.keyword).ok_or_else(|| StudioError::UnknownKeyword {
                path: format!("{}/name", action.origin),
                keyword: action.keyword.clone(),
            })?;
        defs.push(def);
    }
    let begins: Vec<usize> = (0..defs.len())
        .filter(|&i| defs[i].keyword == "BEGIN")
        .collect();
    let entry = *begins.last().ok_or(StudioError::NoBegin)?;
    let left_out: HashSet<usize> = begins[..begins.len() - 1].iter().copied().collect();
    if !left_out.is_empty() {
        let others: Vec<String> = left_out
            .iter()
            .map(|&i| script.actions[i].id.to_string())
            .collect();
        warnings.push(format!(
            "the file has {} BEGIN actions: the entry is ActionID {} (Studio starts at the last-added Begin, the highest ActionID); BEGIN ActionID {} left out",
            begins.len(),
            script.actions[entry].id,
            others.join(", ")
        ));
    }
    let ids = action_ids(&script.actions);
    let id_of: HashMap<i64, usize> = script
        .actions
        .iter()
        .enumerate()
        .map(|(i, a)| (a.id, i))
        .collect();

    let mut out = String::new();
    let format = if script.format.is_empty() {
        "Studio"
    } else {
        &script.format
    };
    let _ = writeln!(
        out,
        "// Imported from a {format} file by `studioflow import`."
    );
    let script_name = script.name.as_deref().unwrap_or(fallback_name);
    let _ = write!(out, "script {}", raw_string(script_name));
    match script.media_type {
        Some(1) => out.push_str(" type Email"),
        Some(3) => out.push_str(" type Chat"),
        Some(4) => out.push_str(" type Phone"),
        Some(5) => out.push_str(" type Voicemail"),
        Some(6) => out.push_str(" type WorkItem"),
        None | Some(0) => {}
        Some(other) => warnings.push(format!(
            "media type {other} has no studioflow script type: imported as Generic"
        )),
    }
    out.push_str("\n\n");

    let order = std::iter::once(entry)
        .chain((0..script.actions.len()).filter(|&i| i != entry && !left_out.contains(&i)));
    for i in order {
        let action = &script.actions[i];
        let def = defs[i];
        let _ = write!(out, "// Studio ActionID {}, {}", action.id, action.keyword);
        if let Some(p) = action.position {
            let _ = write!(out, " at ({}, {})", p.x, p.y);
        }
        out.push('\n');
        let _ = write!(out, "{}: {}", ids[i], def.name);
        if !action.caption.is_empty() {
            let _ = write!(out, " {}", raw_string(&action.caption));
        }
        let mut body = String::new();
        for property in &action.properties {
            let Some(pdef) = def.property(property.position, property.name.as_deref()) else {
                if !is_empty(&property.value) {
                    warnings.push(format!(
                        "{}: {} property {} (position {}) is not kept: the action type has no such property",
                        action.origin,
                        action.keyword,
                        property.name.as_deref().unwrap_or("?"),
                        property.position
                    ));
                }
                continue;
            };
            if is_empty(&property.value) {
                continue;
            }
            let Some(pname) = pdef.name else {
                warnings.push(format!(
                    "{}: {} property {} is not kept yet (studioflow does not use it)",
                    action.origin, action.keyword, pdef.studio
                ));
                continue;
            };
            let text = match (&property.value, pdef.kind) {
                (PropertyValue::List(items), _) => {
                    let names: Vec<&str> = items
                        .iter()
                        .map(|s| s.trim())
                        .filter(|s| !s.is_empty())
                        .collect();
                    if names.is_empty() {
                        continue;
                    }
                    raw_string(&names.join(", "))
                }
                (PropertyValue::Text(t), ValueKind::Text) => template(t),
                (PropertyValue::Text(t), ValueKind::Name | ValueKind::Names) => name(t),
                (PropertyValue::Text(t), ValueKind::Value) => value(t),
                (PropertyValue::Text(t), ValueKind::Expression) => t.replace(['\r', '\n'], " "),
                (PropertyValue::Text(t), ValueKind::Code) => {
                    if t.contains("\"\"\"") {
                        return Err(StudioError::invalid(
                            format!("{}/{}", action.origin.replacen("/actions/", "/properties/", 1), property.position),
                            "Snippet code containing \"\"\" cannot be written as a .script code block",
                        ));
                    }
                    let code = t.replace("\r\n", "\n");
                    let indented: Vec<String> = code
                        .lines()
                        .map(|l| {
                            if l.trim().is_empty() {
                                String::new()
                            } else {
                                format!("    {l}")
                            }
                        })
                        .collect();
                    format!("\"\"\"\n{}\n  \"\"\"", indented.join("\n"))
                }
            };
            let _ = writeln!(body, "  {pname} = {text}");
        }
        // Cases, then named branches, then Default (as `.script` files
        // write them), whatever order the file lists them in.
        let mut branches: Vec<_> = action.branches.iter().collect();
        branches.sort_by_key(|b| match b.kind {
            BranchKind::Case(_) => 0,
            BranchKind::Named { .. } => 1,
            BranchKind::Default => 2,
        });
        for branch in branches {
            let target = id_of.get(&branch.target).copied().unwrap_or(entry);
            if left_out.contains(&target) {
                return Err(StudioError::invalid(
                    &branch.origin,
                    format!(
                        "branches to BEGIN ActionID {}, which is not the entry",
                        branch.target
                    ),
                ));
            }
            let target = &ids[target];
            match &branch.kind {
                BranchKind::Default => {
                    if !def.default {
                        return Err(StudioError::invalid(
                            &branch.origin,
                            format!("{} has no Default branch", action.keyword),
                        ));
                    }
                    let _ = writeln!(body, "  Default -> {target}");
                }
                BranchKind::Named { name, index } => {
                    let found = def.branch(name, *index).ok_or_else(|| {
                        StudioError::invalid(
                            &branch.origin,
                            format!("{} has no branch {name:?}", action.keyword),
                        )
                    })?;
                    let _ = writeln!(body, "  {found} -> {target}");
                }
                BranchKind::Case(label) => {
                    if !def.cases {
                        return Err(StudioError::invalid(
                            &branch.origin,
                            format!("{} takes no custom cases", action.keyword),
                        ));
                    }
                    let _ = writeln!(body, "  Case {} -> {target}", raw_string(label));
                }
            }
        }
        if body.is_empty() {
            out.push('\n');
        } else {
            let _ = write!(out, " {{\n{body}}}\n");
        }
        out.push('\n');
    }
    Ok(Imported {
        text: out,
        warnings,
    })
}

fn is_empty(value: &PropertyValue) -> bool {
    match value {
        PropertyValue::Text(t) => t.trim().is_empty(),
        PropertyValue::List(items) => items.iter().all(|s| s.trim().is_empty()),
    }
}
