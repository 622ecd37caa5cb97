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
use super::fields::{MAX_PROPERTIES, MAX_TOTAL_PROPERTIES};
use super::model::{BranchKind, PropertyValue, StudioAction, StudioBranch, StudioScript};
use super::table::{self, ActionDef, ValueKind};
use super::values::{is_name, raw_string, script_value, value};

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
    // The next suffix to try per base: the taken set only grows, so a
    // suffix refused once stays refused (linear, not quadratic, in the
    // number of actions sharing a caption).
    let mut next: HashMap<&str, u64> = HashMap::new();
    let mut ids = Vec::with_capacity(actions.len());
    for base in &bases {
        let id = if taken.contains(base) {
            let n = next.entry(base.as_str()).or_insert(2);
            loop {
                let candidate = format!("{base}_{n}");
                *n += 1;
                if !taken.contains(&candidate) && !all_bases.contains(candidate.as_str()) {
                    break candidate;
                }
            }
        } else {
            base.clone()
        };
        taken.insert(id.clone());
        ids.push(id);
    }
    ids
}

/// Writes `script` as `.script` text. `fallback_name` names the script when
/// the file does not.
pub fn to_script(script: &StudioScript, fallback_name: &str) -> Result<Imported, StudioError> {
    let mut warnings = Vec::new();
    let defs: Vec<Option<&'static ActionDef>> = script
        .actions
        .iter()
        .map(|a| table::by_keyword(&a.keyword))
        .collect();
    let begins: Vec<usize> = (0..defs.len())
        .filter(|&i| defs[i].is_some_and(|d| d.keyword == "BEGIN"))
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
        Some(7) => out.push_str(" type SMS"),
        Some(9) => out.push_str(" type Digital"),
        None | Some(0) => {}
        Some(other) => warnings.push(format!(
            "media type {other} has no studioflow script type: imported as Generic"
        )),
    }
    out.push_str(&header_block(script));
    out.push_str("\n\n");

    let targets = Targets {
        ids: &ids,
        id_of: &id_of,
        entry,
        left_out: &left_out,
    };
    let mut total = 0usize;
    for a in &script.actions {
        total += a.property_count();
        if total > MAX_TOTAL_PROPERTIES {
            return Err(StudioError::invalid(
                &a.origin,
                format!("the actions up to this one have more than {MAX_TOTAL_PROPERTIES} property positions in all (the limit for a Studio file)"),
            ));
        }
    }
    let order = std::iter::once(entry)
        .chain((0..script.actions.len()).filter(|&i| i != entry && !left_out.contains(&i)));
    for i in order {
        let action = &script.actions[i];
        let mut block = Block::default();
        block.number("ActionID", action.id);
        if let Some(l) = &action.library_id {
            block.text("LibraryID", l);
        }
        let body = match defs[i] {
            Some(def) => {
                if action.keyword != def.keyword {
                    block.text("Keyword", &action.keyword);
                }
                let _ = write!(out, "{}: {}", ids[i], def.name);
                known_body(action, def, &mut block, &targets)?
            }
            None => {
                if !is_name(&action.keyword) {
                    return Err(StudioError::invalid(
                        keyword_place(action),
                        format!(
                            "the action type {:?} is no name studioflow can write",
                            action.keyword
                        ),
                    ));
                }
                let _ = write!(out, "{}: {}", ids[i], action.keyword);
                opaque_body(action, &mut block, &targets)?
            }
        };
        if !action.caption.is_empty() {
            let _ = write!(out, " {}", raw_string(&action.caption));
        }
        if let Some(p) = action.position {
            block.number("X", p.x);
            block.number("Y", p.y);
            if let Some(v) = p.xws {
                block.number("xws", v);
            }
            if let Some(v) = p.yws {
                block.number("yws", v);
            }
        }
        let extras = &action.extras;
        for (key, v) in [
            ("DependencyOrder", &extras.dependency_order),
            ("ImplType", &extras.impl_type),
            ("Version", &extras.version),
            ("Json", &extras.json),
            ("Xml", &extras.xml),
        ] {
            if let Some(v) = v {
                block.text(key, v);
            }
        }
        let _ = write!(out, " {{\n{body}  studio {{\n{}  }}\n}}\n\n", block.0);
    }
    Ok(Imported {
        text: out,
        warnings,
    })
}

/// The entries of a `studio { ... }` block being written.
#[derive(Default)]
struct Block(String);

impl Block {
    fn text(&mut self, key: &str, value: &str) {
        let _ = writeln!(self.0, "    {key} = {}", raw_string(value));
    }
    fn number(&mut self, key: &str, value: i64) {
        let _ = writeln!(self.0, "    {key} = {value}");
    }
    fn list(&mut self, key: &str, items: &[String]) {
        let items: Vec<String> = items.iter().map(|i| raw_string(i)).collect();
        let _ = writeln!(self.0, "    {key} = [{}]", items.join(", "));
    }
}

/// The block after the header: what the file says about the script.
fn header_block(script: &StudioScript) -> String {
    let h = &script.header;
    let mut block = Block::default();
    if let Some(v) = &h.script_name {
        block.text("ScriptName", v);
    }
    if let Some(v) = h.bus_no {
        block.number("BusNo", v);
    }
    if let Some(v) = script.media_type {
        block.number("MediaType", v);
    }
    for (key, v) in [
        ("MediaTypeName", &h.media_type_name),
        ("LibraryID", &h.library_id),
        ("ModifyDate", &h.modify_date),
        ("Json", &h.json),
        ("Xml", &h.xml),
    ] {
        if let Some(v) = v {
            block.text(key, v);
        }
    }
    if let Some(v) = h.user_id {
        block.number("UserID", v);
    }
    if block.0.is_empty() {
        return String::new();
    }
    format!(" studio {{\n{}}}", block.0)
}

/// Where `action`'s keyword is in the file: its JSON path's `name`, or the
/// action's line and column and the `<Action>` element.
fn keyword_place(action: &StudioAction) -> String {
    if action.origin.starts_with('/') {
        format!("{}/name", action.origin)
    } else {
        format!("{}, <Action>", action.origin)
    }
}

/// Where property `position` of `action` is in the file: a JSON path, or
/// the action's line and column and the parameter's number.
fn property_place(action: &StudioAction, position: usize) -> String {
    if action.origin.starts_with('/') {
        format!(
            "{}/{position}",
            action.origin.replacen("/actions/", "/properties/", 1)
        )
    } else {
        format!("{}, parameter {}", action.origin, position + 1)
    }
}

/// The ids actions are written with, and which ActionIDs branches may go to.
struct Targets<'a> {
    /// Each action's id, by index.
    ids: &'a [String],
    /// Each ActionID's index.
    id_of: &'a HashMap<i64, usize>,
    /// The entry's index.
    entry: usize,
    /// The BEGINs left out.
    left_out: &'a HashSet<usize>,
}

impl<'a> Targets<'a> {
    /// The target id of a branch, refusing a branch to a Begin left out.
    fn of(&self, branch: &StudioBranch) -> Result<&'a str, StudioError> {
        let target = self
            .id_of
            .get(&branch.target)
            .copied()
            .unwrap_or(self.entry);
        if self.left_out.contains(&target) {
            return Err(StudioError::invalid(
                &branch.origin,
                format!(
                    "branches to BEGIN ActionID {}, which is not the entry",
                    branch.target
                ),
            ));
        }
        Ok(&self.ids[target])
    }
}

/// The body of an action studioflow simulates: properties by name, the
/// ones it does not use (and Studio's exact text where the body's
/// expression would export differently) in the block.
fn known_body(
    action: &StudioAction,
    def: &ActionDef,
    block: &mut Block,
    targets: &Targets<'_>,
) -> Result<String, StudioError> {
    let mut body = String::new();
    let count = action.property_count();
    if count != def.properties.len() {
        block.number("PropertyCount", count as i64);
    }
    let spread = def.spread();
    if let Some(at) = spread {
        // One value per position from `at` on, as a list.
        let mut texts: Vec<String> = action
            .properties
            .iter()
            .filter(|p| p.position >= at)
            .map(|p| p.value.text())
            .collect();
        let studio = def.properties[at].studio;
        let all = texts.clone();
        while texts.last().is_some_and(|t| t.is_empty()) {
            texts.pop();
        }
        if !texts.is_empty() {
            let items: Vec<String> = texts.iter().map(|t| value(t)).collect();
            let list = format!("[{}]", items.join(", "));
            let back: Option<Vec<String>> =
                crate::syntax::parse_expression(&list)
                    .ok()
                    .and_then(|e| match e.kind {
                        crate::syntax::ast::ExprKind::List(items) => Some(
                            items
                                .iter()
                                .map(|i| super::values::studio_text(i, &list, ValueKind::Value))
                                .collect(),
                        ),
                        _ => None,
                    });
            if back.as_ref() != Some(&texts) {
                block.list(studio, &all);
            }
            let _ = writeln!(
                body,
                "  {} = {list}",
                def.properties[at].name.unwrap_or(studio)
            );
        }
    }
    for property in &action.properties {
        if spread.is_some_and(|at| property.position >= at) {
            continue;
        }
        let pdef = def.properties.get(property.position).filter(|d| {
            property
                .name
                .as_deref()
                .is_none_or(|n| n.eq_ignore_ascii_case(d.studio))
        });
        let Some(pdef) = pdef else {
            // A position the table does not know (or names differently).
            let key = format!("Parameter_{}", property.position);
            let text = property.value.text();
            match &property.name {
                Some(n) => block.list(&key, &[n.clone(), text]),
                None => block.text(&key, &text),
            }
            continue;
        };
        let Some(pname) = pdef.name else {
            match &property.value {
                PropertyValue::Text(t) if t.is_empty() => {}
                PropertyValue::Text(t) => block.text(pdef.studio, t),
                PropertyValue::List(items) => block.list(pdef.studio, items),
            }
            continue;
        };
        match &property.value {
            PropertyValue::List(items) => {
                let names: Vec<&str> = items
                    .iter()
                    .map(|s| s.trim())
                    .filter(|s| !s.is_empty())
                    .collect();
                if names.join(",") != items.join(",") || names.is_empty() {
                    block.list(pdef.studio, items);
                }
                if !names.is_empty() {
                    let _ = writeln!(body, "  {pname} = {}", raw_string(&names.join(", ")));
                }
            }
            PropertyValue::Text(t) if t.is_empty() => {
                // Empty is a value to an Assign (clearing a variable) and to
                // a Snippet (no code yet), whose schemas require one.
                match pdef.kind {
                    ValueKind::Assigned => {
                        let _ = writeln!(body, "  {pname} = \"\"");
                    }
                    ValueKind::Code => {
                        let _ = writeln!(body, "  {pname} = {}", script_value("", pdef.kind));
                    }
                    _ => {}
                }
            }
            PropertyValue::Text(t) => {
                if pdef.kind == ValueKind::Code && t.contains("\"\"\"") {
                    return Err(StudioError::invalid(
                        property_place(action, property.position),
                        "Snippet code containing \"\"\" cannot be written as a .script code block",
                    ));
                }
                let written = script_value(t, pdef.kind);
                if let Err(d) = crate::syntax::parse_expression(&written) {
                    return Err(StudioError::invalid(
                        property_place(action, property.position),
                        format!(
                            "{} {} of ActionID {}: {:?} is no expression: {}",
                            action.keyword, pdef.studio, action.id, t, d.message
                        ),
                    ));
                }
                let back = crate::syntax::parse_expression(&written)
                    .map(|e| super::values::studio_text(&e, &written, pdef.kind));
                if back.as_deref() != Ok(t.as_str()) {
                    block.text(pdef.studio, t);
                }
                let _ = writeln!(body, "  {pname} = {written}");
            }
        }
    }
    // Cases, then named branches, then Default (as `.script` files write
    // them), whatever order the file lists them in.
    let mut branches: Vec<_> = action.branches.iter().collect();
    branches.sort_by_key(|b| match b.kind {
        BranchKind::Case(_) => 0,
        BranchKind::Named { .. } => 1,
        BranchKind::Default => 2,
    });
    for branch in branches {
        let target = targets.of(branch)?;
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
    Ok(body)
}

/// The body of an action studioflow does not simulate: its branches (an
/// `OnError`/`Error` exit as `Error`, so that the run's failure takes it),
/// its parameters and branch spellings in the block.
fn opaque_body(
    action: &StudioAction,
    block: &mut Block,
    targets: &Targets<'_>,
) -> Result<String, StudioError> {
    let mut body = String::new();
    let count = action.property_count();
    // The readers bound positions; a model built by a host may not.
    if count > MAX_PROPERTIES {
        return Err(StudioError::invalid(
            property_place(action, count - 1),
            format!("an action has at most {MAX_PROPERTIES} properties"),
        ));
    }
    let mut values = vec![String::new(); count];
    let mut names = vec![String::new(); count];
    for p in &action.properties {
        values[p.position] = p.value.text();
        names[p.position] = p.name.clone().unwrap_or_default();
    }
    block.list("Parameters", &values);
    if names.iter().any(|n| !n.is_empty()) {
        block.list("ParameterNames", &names);
    }
    let mut spellings = Vec::new();
    for branch in &action.branches {
        let target = targets.of(branch)?;
        match &branch.kind {
            BranchKind::Default => {
                let _ = writeln!(body, "  Default -> {target}");
            }
            BranchKind::Case(label) => {
                let _ = writeln!(body, "  Case {} -> {target}", raw_string(label));
            }
            BranchKind::Named { name, index } => {
                let written =
                    if name.eq_ignore_ascii_case("Error") || name.eq_ignore_ascii_case("OnError") {
                        "Error".to_string()
                    } else if is_name(name)
                        && !name.eq_ignore_ascii_case("Default")
                        && !name.eq_ignore_ascii_case("Case")
                    {
                        name.clone()
                    } else {
                        return Err(StudioError::invalid(
                            &branch.origin,
                            format!("the branch name {name:?} is no name studioflow can write"),
                        ));
                    };
                if &written != name || index.is_some() {
                    spellings.push(match index {
                        Some(i) => format!("{written}={name}:{i}"),
                        None => format!("{written}={name}"),
                    });
                }
                let _ = writeln!(body, "  {written} -> {target}");
            }
        }
    }
    if !spellings.is_empty() {
        block.list("Branches", &spellings);
    }
    Ok(body)
}
