//! A parsed `.script` made into the [`StudioScript`] model the readers
//! produce, which the writers write.

use std::collections::HashMap;

use super::error::ExportError;
use super::Positions;
use crate::studio::kept::{self, Owner};
use crate::studio::table::{self, ActionDef, ValueKind};
use crate::studio::values::{script_value, studio_text};
use crate::studio::{
    ActionExtras, BranchKind, HeaderExtras, Position, PropertyValue, StudioAction, StudioBranch,
    StudioProperty, StudioScript,
};
use crate::syntax::ast::{
    ActionAst, ExprKind, Literal, PropertyAst, ScriptAst, StudioBlock, StudioEntry, StudioValue,
};
use crate::syntax::parse_expression;

fn text_of(entry: Option<&StudioEntry>) -> Option<String> {
    match &entry?.value {
        StudioValue::Text(t) | StudioValue::Number(t) => Some(t.clone()),
        StudioValue::List(items) => Some(items.join(",")),
    }
}

fn list_of(entry: Option<&StudioEntry>) -> Option<Vec<String>> {
    match &entry?.value {
        StudioValue::List(items) => Some(items.clone()),
        StudioValue::Text(t) | StudioValue::Number(t) => Some(vec![t.clone()]),
    }
}

fn number_of(entry: Option<&StudioEntry>) -> Option<i64> {
    let text = text_of(entry)?;
    text.parse::<i64>()
        .ok()
        .or_else(|| text.parse::<f64>().ok().map(|f| f.round() as i64))
}

/// The table's entry for an action type (by studioflow's name or Studio's keyword).
fn definition(action_type: &str) -> Option<&'static ActionDef> {
    table::by_name(action_type).or_else(|| table::by_keyword(action_type))
}

/// The script type of Studio's media type number (as the import writes it).
fn script_type_of(media: i64) -> Option<&'static str> {
    match media {
        1 => Some("Email"),
        3 => Some("Chat"),
        4 => Some("Phone"),
        5 => Some("Voicemail"),
        6 => Some("WorkItem"),
        7 => Some("SMS"),
        9 => Some("Digital"),
        _ => None,
    }
}

/// Studio's media type number for a script type.
fn media_type(script_type: Option<&str>) -> i64 {
    match script_type.map(str::to_ascii_lowercase).as_deref() {
        Some("email") => 1,
        Some("chat") => 3,
        Some("phone") => 4,
        Some("voicemail") => 5,
        Some("workitem") => 6,
        Some("sms") => 7,
        Some("digital") => 9,
        _ => 0,
    }
}

/// The model of `ast` (parsed from `source`).
pub fn build(
    ast: &ScriptAst,
    source: &str,
    positions: &Positions,
) -> Result<StudioScript, ExportError> {
    let empty = StudioBlock {
        entries: Vec::new(),
        keyword_span: Default::default(),
        span: Default::default(),
    };
    let header_block = ast
        .header
        .as_ref()
        .and_then(|h| h.studio.as_ref())
        .unwrap_or(&empty);
    // What `check` refuses in a block, export refuses too (it does not
    // compile the script): a block must not forge what export writes.
    if let Some((_, message)) = kept::check_block(header_block, &Owner::Header).first() {
        return Err(ExportError::Header(message.clone()));
    }
    for a in &ast.actions {
        if let Some(block) = &a.studio {
            let keyword = definition(&a.action_type).map_or(a.action_type.as_str(), |d| d.keyword);
            if let Some((_, message)) = kept::check_block(block, &Owner::Action { keyword }).first()
            {
                return Err(ExportError::Action {
                    id: a.id.clone(),
                    message: message.clone(),
                });
            }
        }
    }
    // ActionIDs: those the blocks keep, then the next free ones in source order.
    let mut next = ast
        .actions
        .iter()
        .filter_map(|a| number_of(a.studio.as_ref().and_then(|b| b.get("ActionID"))))
        .max()
        .unwrap_or(0)
        .max(0)
        + 1;
    let mut action_ids: HashMap<&str, i64> = HashMap::new();
    let mut owners: HashMap<i64, &str> = HashMap::new();
    for a in &ast.actions {
        let id = match number_of(a.studio.as_ref().and_then(|b| b.get("ActionID"))) {
            Some(id) => id,
            None if next > kept::MAX_ACTION_ID => {
                return Err(ExportError::Action {
                    id: a.id.clone(),
                    message: format!(
                    "no ActionID is left for it: the studio blocks' highest is {}, Studio's last",
                    next - 1
                ),
                })
            }
            None => {
                next += 1;
                next - 1
            }
        };
        // As `check` refuses: two actions of one ActionID would be a file
        // the reader refuses (a duplicate key, two ActionStructs).
        if let Some(other) = owners.insert(id, a.id.as_str()) {
            return Err(ExportError::Action {
                id: a.id.clone(),
                message: format!("Studio ActionID {id} is also the ActionID of action `{other}`"),
            });
        }
        if action_ids.insert(a.id.as_str(), id).is_some() {
            return Err(ExportError::Action {
                id: a.id.clone(),
                message: "two actions have this id".to_string(),
            });
        }
    }
    let mut actions = Vec::with_capacity(ast.actions.len());
    let mut total = 0usize;
    for (k, a) in ast.actions.iter().enumerate() {
        let block = a.studio.as_ref().unwrap_or(&empty);
        let default_position = positions
            .get(&a.id)
            .copied()
            .unwrap_or((40, 40 + 100 * k as i64));
        let built = action(a, block, source, &action_ids, default_position)?;
        // Each action has at most 1,000 positions: checked as they come.
        total += built.properties.len();
        if total > kept::MAX_TOTAL_PROPERTIES {
            return Err(ExportError::Action {
                id: a.id.clone(),
                message: format!(
                    "the actions up to this one have more than {} properties in all (PropertyCount, Parameter_N)",
                    kept::MAX_TOTAL_PROPERTIES
                ),
            });
        }
        actions.push(built);
    }
    actions.sort_by_key(|a| a.id);
    let header = ast.header.as_ref();
    let script_type = header.and_then(|h| h.script_type.as_ref().map(|(t, _)| t.as_str()));
    let name = header.map(|h| h.name.clone());
    // What the block keeps about the script is written while the header
    // still says the same; once the header's name or type is edited, the
    // header wins (as a body's property wins over the text kept for it).
    let typed = media_type(script_type);
    let media = number_of(header_block.get("MediaType"))
        .filter(|&m| media_type(script_type_of(m)) == typed)
        .unwrap_or(typed);
    let media_kept = number_of(header_block.get("MediaType")) == Some(media);
    // (A kept path or item that names no script, which the import took
    // the file's name for, is kept as it is.)
    let script_name = text_of(header_block.get("ScriptName")).map(|path| {
        let last = kept::last_segment(&path);
        match &name {
            // The folder is kept, the name is the header's.
            Some(n) if !last.trim().is_empty() && last.trim() != n.as_str() => {
                format!("{}{n}", &path[..path.len() - last.len()])
            }
            _ => path,
        }
    });
    let xml = text_of(header_block.get("Xml")).map(|text| {
        match kept::split_library_item(&text) {
            Some((Some(item), rest))
                if item.name.is_some()
                    && item.name.as_deref() != name.as_deref().map(str::trim)
                    || item.media_type.is_some_and(|m| m != media) =>
            {
                // The writer describes the script anew.
                rest
            }
            _ => text,
        }
    });
    Ok(StudioScript {
        format: String::new(),
        media_type: Some(media),
        header: HeaderExtras {
            script_name,
            bus_no: number_of(header_block.get("BusNo")),
            media_type_name: text_of(header_block.get("MediaTypeName")).filter(|_| media_kept),
            library_id: text_of(header_block.get("LibraryID")),
            user_id: number_of(header_block.get("UserID")),
            modify_date: text_of(header_block.get("ModifyDate")),
            json: text_of(header_block.get("Json")),
            xml: xml.filter(|x| !x.is_empty()),
        },
        name,
        actions,
    })
}

fn action(
    a: &ActionAst,
    block: &StudioBlock,
    source: &str,
    ids: &HashMap<&str, i64>,
    default_position: (i64, i64),
) -> Result<StudioAction, ExportError> {
    let fail = |message: String| ExportError::Action {
        id: a.id.clone(),
        message,
    };
    let def = definition(&a.action_type);
    let keyword = text_of(block.get("Keyword")).unwrap_or_else(|| match def {
        Some(d) => d.keyword.to_string(),
        None if a.studio.is_some() => a.action_type.clone(),
        None => a.action_type.to_ascii_uppercase(),
    });
    let properties = match def {
        Some(def) => known_properties(a, def, block, source),
        None if block.get("Parameters").is_some() => {
            let values = list_of(block.get("Parameters")).unwrap_or_default();
            let names = list_of(block.get("ParameterNames")).unwrap_or_default();
            values
                .into_iter()
                .enumerate()
                .map(|(position, value)| StudioProperty {
                    position,
                    name: names.get(position).filter(|n| !n.is_empty()).cloned(),
                    value: PropertyValue::Text(value),
                })
                .collect()
        }
        // An action of studioflow's own (or a host's): its properties by
        // name, in the order written.
        None => a
            .properties
            .iter()
            .enumerate()
            .map(|(position, p)| StudioProperty {
                position,
                name: Some(p.name.clone()),
                value: PropertyValue::Text(studio_text(&p.value, source, ValueKind::Expression)),
            })
            .collect(),
    };
    // Opaque actions' branch spellings: `Written=AsStudioWrites:index`.
    let spellings: Vec<(String, String, Option<i64>)> = list_of(block.get("Branches"))
        .unwrap_or_default()
        .iter()
        .filter_map(|s| kept::branch_spelling(s).ok())
        .collect();
    let mut branches = Vec::new();
    for b in &a.branches {
        let target = *ids.get(b.target.as_str()).ok_or_else(|| {
            fail(format!(
                "branch {} goes to `{}`, which is no action",
                b.name, b.target
            ))
        })?;
        let kind = if let Some(label) = &b.label {
            BranchKind::Case(match label {
                Literal::String(s) | Literal::DateTime(s) => s.clone(),
                Literal::Number(n) => crate::runtime::Value::Number(*n).to_text(),
                Literal::Bool(v) => v.to_string(),
                Literal::Null => String::new(),
            })
        } else if b.name.eq_ignore_ascii_case("Default") {
            BranchKind::Default
        } else if let Some((_, name, index)) = spellings
            .iter()
            .find(|(w, _, _)| w.eq_ignore_ascii_case(&b.name))
        {
            BranchKind::Named {
                name: name.clone(),
                index: *index,
            }
        } else {
            let index = def.and_then(|d| {
                d.branches
                    .iter()
                    .find(|x| x.name.eq_ignore_ascii_case(&b.name))
                    .map(|x| x.index)
            });
            BranchKind::Named {
                name: def
                    .and_then(|d| {
                        d.branches
                            .iter()
                            .find(|x| x.name.eq_ignore_ascii_case(&b.name))
                    })
                    .map_or(b.name.clone(), |x| x.name.to_string()),
                index,
            }
        };
        branches.push(StudioBranch {
            kind,
            target,
            origin: String::new(),
        });
    }
    let x = number_of(block.get("X"));
    let y = number_of(block.get("Y"));
    // A script written by hand gets what CXone Studio's save demands
    // (web-canvas positions, the implementation type, the version).
    let by_hand = a.studio.is_none();
    let position = Position {
        x: x.unwrap_or(default_position.0),
        y: y.unwrap_or(default_position.1),
        xws: number_of(block.get("xws")).or(by_hand.then_some(default_position.0)),
        yws: number_of(block.get("yws")).or(by_hand.then_some(default_position.1)),
    };
    Ok(StudioAction {
        id: ids[a.id.as_str()],
        keyword,
        caption: a.caption.clone().unwrap_or_default(),
        library_id: text_of(block.get("LibraryID")).or_else(|| {
            by_hand
                .then(|| def.and_then(|d| d.library_id).map(str::to_string))
                .flatten()
        }),
        properties,
        branches,
        position: Some(position),
        extras: ActionExtras {
            dependency_order: text_of(block.get("DependencyOrder")),
            impl_type: text_of(block.get("ImplType")).or(by_hand.then(|| "0".to_string())),
            version: text_of(block.get("Version")).or(by_hand.then(|| "1".to_string())),
            json: text_of(block.get("Json")),
            xml: text_of(block.get("Xml")),
        },
        origin: a.id.clone(),
    })
}

/// Whether Studio's text `kept` (from the block) is what the body's
/// `property` says: then the exact text is written, else the body wins.
fn same_value(kept: &str, kind: ValueKind, action_type: &str, property: &PropertyAst) -> bool {
    let written = script_value(kept, kind);
    let Ok(expr) = parse_expression(&written) else {
        return false;
    };
    let wrap = |value: crate::syntax::ast::Expr| ScriptAst {
        header: None,
        actions: vec![ActionAst {
            id: "a".into(),
            id_span: Default::default(),
            action_type: action_type.into(),
            type_span: Default::default(),
            caption: None,
            properties: vec![PropertyAst {
                name: property.name.clone(),
                name_span: Default::default(),
                value,
            }],
            branches: Vec::new(),
            studio: None,
            span: Default::default(),
        }],
    };
    crate::format::script_without_spans(wrap(expr))
        == crate::format::script_without_spans(wrap(property.value.clone()))
}

/// The values of a [`ValueKind::Spread`] property, one per position: the
/// body's list, or the text the import kept while the list says the same.
fn spread_values(
    a: &ActionAst,
    def: &ActionDef,
    at: usize,
    block: &StudioBlock,
    source: &str,
) -> Vec<String> {
    let pdef = &def.properties[at];
    let kept = match block.get(pdef.studio).map(|e| &e.value) {
        Some(StudioValue::List(items)) => Some(items.clone()),
        _ => None,
    };
    let written = pdef
        .name
        .and_then(|n| a.properties.iter().find(|p| p.name.eq_ignore_ascii_case(n)));
    let Some(property) = written else {
        return kept.unwrap_or_default();
    };
    let items: Vec<String> = match &property.value.kind {
        ExprKind::List(items) => items
            .iter()
            .map(|i| studio_text(i, source, ValueKind::Value))
            .collect(),
        _ => vec![studio_text(&property.value, source, ValueKind::Value)],
    };
    match kept {
        Some(kept) => {
            let mut trimmed = kept.clone();
            while trimmed.last().is_some_and(|t| t.is_empty()) {
                trimmed.pop();
            }
            let same = trimmed.len() == items.len()
                && trimmed.iter().zip(&items).all(|(k, i)| {
                    let w = script_value(k, ValueKind::Value);
                    parse_expression(&w).is_ok_and(|e| studio_text(&e, &w, ValueKind::Value) == *i)
                });
            if same {
                kept
            } else {
                items
            }
        }
        None => items,
    }
}

fn known_properties(
    a: &ActionAst,
    def: &ActionDef,
    block: &StudioBlock,
    source: &str,
) -> Vec<StudioProperty> {
    let body = |name: &str| {
        a.properties
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
    };
    let spread_at = def.spread();
    let spread = spread_at.map_or(Vec::new(), |at| spread_values(a, def, at, block, source));
    let mut count = number_of(block.get("PropertyCount"))
        .map_or(spread_at.unwrap_or(def.properties.len()), |n| {
            n.clamp(0, kept::MAX_PROPERTIES as i64) as usize
        });
    if let Some(at) = spread_at {
        count = count.max(at + spread.len());
    }
    // Every property the body or the block names is written.
    for (i, p) in def.properties.iter().enumerate() {
        if Some(i) == spread_at {
            continue;
        }
        let named = p.name.is_some_and(|n| body(n).is_some()) || block.get(p.studio).is_some();
        if named {
            count = count.max(i + 1);
        }
    }
    for e in &block.entries {
        if let Some(n) = e
            .name
            .get(10..)
            .filter(|_| e.name.len() > 10 && e.name[..10].eq_ignore_ascii_case("Parameter_"))
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|&n| n < kept::MAX_PROPERTIES)
        {
            count = count.max(n + 1);
        }
    }
    let mut out = Vec::with_capacity(count);
    for position in 0..count {
        if let Some(at) = spread_at.filter(|&at| position >= at) {
            out.push(StudioProperty {
                position,
                name: Some(def.properties[at].studio.to_string()),
                value: PropertyValue::Text(spread.get(position - at).cloned().unwrap_or_default()),
            });
            continue;
        }
        let pdef = def.properties.get(position);
        let kept = pdef.and_then(|p| block.get(p.studio));
        let in_body = pdef.and_then(|p| p.name).and_then(body);
        let (name, value) = match (pdef, in_body) {
            (Some(p), Some(prop)) => {
                let value = match kept {
                    Some(StudioEntry {
                        value: StudioValue::Text(t),
                        ..
                    }) if same_value(t, p.kind, &a.action_type, prop) => {
                        PropertyValue::Text(t.clone())
                    }
                    Some(StudioEntry {
                        value: StudioValue::List(items),
                        ..
                    }) if p.kind == ValueKind::Names
                        && items
                            .iter()
                            .map(|s| s.trim())
                            .filter(|s| !s.is_empty())
                            .collect::<Vec<_>>()
                            .join(", ")
                            == studio_text(&prop.value, source, ValueKind::Names) =>
                    {
                        PropertyValue::List(items.clone())
                    }
                    _ if p.kind == ValueKind::Names => PropertyValue::List(
                        studio_text(&prop.value, source, ValueKind::Names)
                            .split(',')
                            .map(|s| s.trim().to_string())
                            .filter(|s| !s.is_empty())
                            .collect(),
                    ),
                    _ => PropertyValue::Text(studio_text(&prop.value, source, p.kind)),
                };
                (Some(p.studio.to_string()), value)
            }
            (Some(p), None) => (
                Some(p.studio.to_string()),
                match kept.map(|e| &e.value) {
                    Some(StudioValue::List(items)) => PropertyValue::List(items.clone()),
                    Some(StudioValue::Text(t) | StudioValue::Number(t)) => {
                        PropertyValue::Text(t.clone())
                    }
                    None if p.kind == ValueKind::Names => PropertyValue::List(Vec::new()),
                    None => PropertyValue::Text(String::new()),
                },
            ),
            (None, _) => {
                let key = format!("Parameter_{position}");
                match block.get(&key).map(|e| &e.value) {
                    Some(StudioValue::List(items)) if items.len() == 2 => (
                        Some(items[0].clone()),
                        PropertyValue::Text(items[1].clone()),
                    ),
                    Some(StudioValue::Text(t) | StudioValue::Number(t)) => {
                        (None, PropertyValue::Text(t.clone()))
                    }
                    _ => (None, PropertyValue::Text(String::new())),
                }
            }
        };
        out.push(StudioProperty {
            position,
            name,
            value,
        });
    }
    // A file's own name for a position the table knows differently.
    for e in &block.entries {
        if let Some(rest) = e.name.get(10..).filter(|_| e.name.len() > 10) {
            if e.name[..10].eq_ignore_ascii_case("Parameter_") {
                if let (Ok(n), StudioValue::List(items)) = (rest.parse::<usize>(), &e.value) {
                    if let (Some(slot), [name, value]) = (out.get_mut(n), items.as_slice()) {
                        slot.name = Some(name.clone());
                        slot.value = PropertyValue::Text(value.clone());
                    }
                }
            }
        }
    }
    out
}
