//! CXone Studio JSON (`{header, actions, properties, branches}`, optionally
//! wrapped in `{"scriptContent": ...}`) read into a [`StudioScript`].
//!
//! Tolerant on input: unknown fields are ignored, numbers may be written as
//! strings, `label` may be missing or null, a branch `to` of `-1` is not
//! connected, a branch without a `type` is told apart by its label. Every
//! error names its JSON path; duplicate keys (which JSON parsers usually keep
//! silently) are found.

use std::cell::Cell;
use std::collections::BTreeSet;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::error::StudioError;
use super::fields::{is_guid, ACTION_FIELDS, HEADER_FIELDS, MAX_ACTION_ID, MAX_PROPERTIES};
use super::model::{
    ActionExtras, BranchKind, HeaderExtras, Position, PropertyValue, StudioAction, StudioBranch,
    StudioProperty, StudioScript,
};
use super::table;

/// A JSON value that keeps an object's keys in order, duplicates included.
#[derive(Debug, Clone, PartialEq)]
enum J {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Array(Vec<J>),
    Object(Vec<(String, J)>),
}

/// The most JSON values (strings, numbers, arrays, objects, ...) a file may
/// hold: a Studio action takes some 50, so this allows scripts of 20,000
/// actions while a file of millions of tiny values is refused before it
/// fills memory. (serde_json bounds the nesting depth at 128.)
pub const MAX_JSON_VALUES: usize = 1_000_000;

/// Reads one [`J`], counting it and every value inside it against `budget`.
struct Seed<'a> {
    budget: &'a Cell<usize>,
}

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = J;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<J, D::Error> {
        d.deserialize_any(Counted {
            budget: self.budget,
        })
    }
}

struct Counted<'a> {
    budget: &'a Cell<usize>,
}

impl Counted<'_> {
    /// Takes one value from the budget (serde_json adds the place).
    fn take<E: de::Error>(&self) -> Result<(), E> {
        match self.budget.get().checked_sub(1) {
            Some(left) => {
                self.budget.set(left);
                Ok(())
            }
            None => Err(E::custom(format!(
                "more than {MAX_JSON_VALUES} values (the limit for a Studio file)"
            ))),
        }
    }
}

impl<'de> Visitor<'de> for Counted<'_> {
    type Value = J;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<J, E> {
        self.take()?;
        Ok(J::Null)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<J, E> {
        self.take()?;
        Ok(J::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<J, E> {
        self.take()?;
        Ok(J::Number(v.into()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<J, E> {
        self.take()?;
        Ok(J::Number(v.into()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<J, E> {
        self.take()?;
        Ok(serde_json::Number::from_f64(v).map_or(J::Null, J::Number))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<J, E> {
        self.take()?;
        Ok(J::String(v.to_string()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<J, E> {
        self.take()?;
        Ok(J::String(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<J, A::Error> {
        self.take()?;
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(Seed {
            budget: self.budget,
        })? {
            items.push(item);
        }
        Ok(J::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<J, A::Error> {
        self.take()?;
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(Seed {
                budget: self.budget,
            })?;
            entries.push((key, value));
        }
        Ok(J::Object(entries))
    }
}

impl J {
    fn type_name(&self) -> &'static str {
        match self {
            J::Null => "null",
            J::Bool(_) => "a boolean",
            J::Number(_) => "a number",
            J::String(_) => "a string",
            J::Array(_) => "an array",
            J::Object(_) => "an object",
        }
    }

    /// As a `serde_json` value (the parser's depth limit bounds the recursion).
    fn to_value(&self) -> serde_json::Value {
        use serde_json::Value as V;
        match self {
            J::Null => V::Null,
            J::Bool(b) => V::Bool(*b),
            J::Number(n) => V::Number(n.clone()),
            J::String(s) => V::String(s.clone()),
            J::Array(items) => V::Array(items.iter().map(J::to_value).collect()),
            J::Object(entries) => V::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_value()))
                    .collect(),
            ),
        }
    }

    fn get(&self, key: &str) -> Option<&J> {
        match self {
            J::Object(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
}

/// A JSON Pointer segment (`~` and `/` escaped).
fn seg(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn object<'a>(value: &'a J, path: &str) -> Result<&'a [(String, J)], StudioError> {
    match value {
        J::Object(entries) => Ok(entries),
        other => Err(StudioError::invalid(
            path,
            format!("expected an object, found {}", other.type_name()),
        )),
    }
}

/// An optional field that must be a string when present (null is absent).
fn opt_string(parent: &J, key: &str, path: &str) -> Result<Option<String>, StudioError> {
    match parent.get(key) {
        None | Some(J::Null) => Ok(None),
        Some(J::String(s)) => text(s, &format!("{path}/{}", seg(key))).map(Some),
        Some(other) => Err(StudioError::invalid(
            format!("{path}/{}", seg(key)),
            format!("expected a string, found {}", other.type_name()),
        )),
    }
}

/// A string that becomes `.script` text: a `.script` file cannot hold a
/// NUL (it is taken for a binary file), so one is refused where it is.
fn text(s: &str, path: &str) -> Result<String, StudioError> {
    if s.contains('\0') {
        return Err(StudioError::invalid(
            path,
            "holds a NUL character (U+0000), which a .script file cannot hold",
        ));
    }
    Ok(s.to_string())
}

/// A LibraryID: a GUID, or empty (as CXone writes for a script not yet
/// saved); anything else would be no action type Studio knows.
fn library_id(value: Option<String>, path: &str) -> Result<Option<String>, StudioError> {
    match value {
        Some(l) if !l.trim().is_empty() && !is_guid(l.trim()) => Err(StudioError::invalid(
            path,
            format!(
                "expected a GUID such as \"daee9c00-12ce-4222-a42e-307c37d53b7f\", found {l:?}"
            ),
        )),
        other => Ok(other),
    }
}

/// An integer, written as a number or a string of digits.
fn integer(value: &J, path: &str) -> Result<i64, StudioError> {
    let parsed = match value {
        J::Number(n) => n.as_i64(),
        J::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    };
    parsed.ok_or_else(|| {
        let found = match value {
            J::String(s) => format!("{s:?}"),
            J::Number(n) => n.to_string(),
            other => other.type_name().to_string(),
        };
        StudioError::invalid(path, format!("expected an integer, found {found}"))
    })
}

fn opt_integer(parent: &J, key: &str, path: &str) -> Result<Option<i64>, StudioError> {
    match parent.get(key) {
        None | Some(J::Null) => Ok(None),
        Some(v) => integer(v, &format!("{path}/{}", seg(key))).map(Some),
    }
}

/// A property or label value as text: strings as they are, numbers and
/// booleans as JSON writes them (`True`/`False` for booleans, as Studio).
fn scalar_text(value: &J, path: &str) -> Result<String, StudioError> {
    match value {
        J::Null => Ok(String::new()),
        J::String(s) => text(s, path),
        J::Number(n) => Ok(n.to_string()),
        J::Bool(true) => Ok("True".into()),
        J::Bool(false) => Ok("False".into()),
        other => Err(StudioError::invalid(
            path,
            format!("expected a string, found {}", other.type_name()),
        )),
    }
}

/// An optional scalar field as text (null is absent).
fn opt_scalar(parent: &J, key: &str, path: &str) -> Result<Option<String>, StudioError> {
    match parent.get(key) {
        None | Some(J::Null) => Ok(None),
        Some(J::Bool(b)) => Ok(Some(b.to_string())),
        Some(v) => scalar_text(v, &format!("{path}/{}", seg(key))).map(Some),
    }
}

/// The fields of `object` not in `known`, as a JSON object's text.
fn unknown_fields(object: &J, known: &[&str]) -> Option<String> {
    let J::Object(entries) = object else {
        return None;
    };
    let mut rest = serde_json::Map::new();
    for (k, v) in entries {
        if !known.contains(&k.as_str()) {
            rest.insert(k.clone(), v.to_value());
        }
    }
    (!rest.is_empty()).then(|| serde_json::Value::Object(rest).to_string())
}

fn action_id_key(key: &str, path: &str) -> Result<i64, StudioError> {
    key.trim().parse::<i64>().map_err(|_| {
        StudioError::invalid(path, format!("the key {key:?} is no ActionID (an integer)"))
    })
}

/// Reads JSON text into [`J`], within the value budget and serde_json's
/// nesting limit, in small stack frames (serde_json's own `Value`
/// deserializer takes kilobytes a level in a debug build: 128 levels
/// overflow a 256 KiB stack).
fn read_j(text: &str) -> Result<J, serde_json::Error> {
    let budget = Cell::new(MAX_JSON_VALUES);
    let mut reader = serde_json::Deserializer::from_str(text);
    Seed { budget: &budget }
        .deserialize(&mut reader)
        .and_then(|root| reader.end().map(|()| root))
}

/// JSON text as a `serde_json` value, read as a Studio file is (see
/// [`read_j`]): what `check` and `export` read a kept `Json` entry with.
pub(crate) fn value_of(text: &str) -> Result<serde_json::Value, serde_json::Error> {
    read_j(text).map(|j| j.to_value())
}

/// Reads a CXone Studio JSON file's text.
pub fn parse(text: &str) -> Result<StudioScript, StudioError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let root = read_j(text);
    let root = root.map_err(|e| StudioError::Syntax {
        // serde_json says column 0 at a line's end (and for empty text):
        // columns are 1-based here, as in every other message.
        line: e.line().max(1),
        column: e.column().max(1),
        message: strip_position(&e.to_string()),
    })?;
    object(&root, "/")?;
    let (root, base) = match root.get("scriptContent") {
        Some(inner) => (inner, "/scriptContent".to_string()),
        None => (&root, String::new()),
    };
    object(root, if base.is_empty() { "/" } else { &base })?;
    let mut script = StudioScript {
        format: "CXone Studio JSON".into(),
        ..StudioScript::default()
    };
    if let Some(header) = root.get("header").filter(|h| **h != J::Null) {
        let path = format!("{base}/header");
        object(header, &path)?;
        script.name = opt_string(header, "scriptName", &path)?
            .map(|n| {
                n.rsplit(['\\', '/'])
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_string()
            })
            .filter(|n| !n.is_empty());
        script.media_type = opt_integer(header, "mediaType", &path)?;
        let full_name = opt_string(header, "scriptName", &path)?;
        script.header = HeaderExtras {
            script_name: full_name.filter(|n| Some(n.trim()) != script.name.as_deref()),
            bus_no: opt_integer(header, "busNo", &path)?,
            media_type_name: opt_scalar(header, "mediaTypeName", &path)?,
            library_id: library_id(
                opt_scalar(header, "libraryId", &path)?,
                &format!("{path}/libraryId"),
            )?,
            json: unknown_fields(header, HEADER_FIELDS),
            ..HeaderExtras::default()
        };
    }
    let actions_path = format!("{base}/actions");
    let actions = root.get("actions").ok_or_else(|| {
        StudioError::invalid(
            if base.is_empty() { "/" } else { &base },
            "no \"actions\" object",
        )
    })?;
    let mut ids = BTreeSet::new();
    for (key, value) in object(actions, &actions_path)? {
        let path = format!("{actions_path}/{}", seg(key));
        let id = action_id_key(key, &path)?;
        if id < 1 {
            // As `check` requires of a studio block, at the file's own place.
            return Err(StudioError::invalid(
                &path,
                format!("Studio ActionIDs are whole numbers from 1, not {id}"),
            ));
        }
        if id > MAX_ACTION_ID {
            return Err(StudioError::invalid(
                &path,
                format!("Studio ActionIDs are 32-bit: at most {MAX_ACTION_ID}, not {id}"),
            ));
        }
        object(value, &path)?;
        if let Some(field) = opt_integer(value, "actionId", &path)? {
            if field != id {
                return Err(StudioError::invalid(
                    format!("{path}/actionId"),
                    format!("actionId {field} does not match its key {key:?}"),
                ));
            }
        }
        if !ids.insert(id) {
            return Err(StudioError::DuplicateActionId { path, id });
        }
        let keyword = opt_string(value, "name", &path)?
            .filter(|k| !k.trim().is_empty())
            .ok_or_else(|| {
                StudioError::invalid(
                    format!("{path}/name"),
                    "no action type (the \"name\" field, e.g. \"MENU\")",
                )
            })?;
        let caption = match value.get("label") {
            None => String::new(),
            Some(v) => scalar_text(v, &format!("{path}/label"))?,
        };
        let library_id = library_id(
            opt_string(value, "libraryId", &path)?,
            &format!("{path}/libraryId"),
        )?;
        let x = opt_integer(value, "x", &path)?;
        let y = opt_integer(value, "y", &path)?;
        let xws = opt_integer(value, "xws", &path)?;
        let yws = opt_integer(value, "yws", &path)?;
        let position = match (x, y, xws, yws) {
            (None, None, None, None) => None,
            _ => Some(Position {
                x: x.unwrap_or(0),
                y: y.unwrap_or(0),
                xws,
                yws,
            }),
        };
        script.actions.push(StudioAction {
            id,
            keyword: keyword.trim().to_string(),
            caption,
            library_id,
            properties: Vec::new(),
            branches: Vec::new(),
            position,
            extras: ActionExtras {
                dependency_order: opt_scalar(value, "dependencyOrder", &path)?,
                impl_type: opt_scalar(value, "implType", &path)?,
                version: opt_scalar(value, "version", &path)?,
                json: unknown_fields(value, ACTION_FIELDS),
                xml: None,
            },
            origin: path,
        });
    }
    script.actions.sort_by_key(|a| a.id);
    let index_of =
        |id: i64, actions: &[StudioAction]| actions.binary_search_by_key(&id, |a| a.id).ok();

    if let Some(properties) = root.get("properties").filter(|p| **p != J::Null) {
        let props_path = format!("{base}/properties");
        let mut seen = BTreeSet::new();
        for (key, value) in object(properties, &props_path)? {
            let path = format!("{props_path}/{}", seg(key));
            let id = action_id_key(key, &path)?;
            if !seen.insert(id) {
                return Err(StudioError::invalid(
                    path,
                    format!("a second property list for ActionID {id}"),
                ));
            }
            let at = index_of(id, &script.actions).ok_or_else(|| {
                StudioError::invalid(
                    &path,
                    format!("properties of ActionID {id}, which is no action in the file"),
                )
            })?;
            let list = match value {
                J::Array(items) if items.is_empty() => continue,
                _ => object(value, &path)?,
            };
            let mut positions = BTreeSet::new();
            for (pkey, pvalue) in list {
                let ppath = format!("{path}/{}", seg(pkey));
                let position: usize = pkey.trim().parse().map_err(|_| {
                    StudioError::invalid(
                        &ppath,
                        format!("the key {pkey:?} is no property position (0, 1, ...)"),
                    )
                })?;
                if position >= MAX_PROPERTIES {
                    return Err(StudioError::invalid(
                        ppath,
                        format!("property position {position}: an action has at most {MAX_PROPERTIES} properties (positions 0 to {})", MAX_PROPERTIES - 1),
                    ));
                }
                if !positions.insert(position) {
                    return Err(StudioError::invalid(
                        ppath,
                        format!("a second property at position {position}"),
                    ));
                }
                let (name, raw) = match pvalue {
                    J::Object(_) => (opt_string(pvalue, "name", &ppath)?, pvalue.get("value")),
                    // A bare value, as a lenient writer may put it.
                    other => (None, Some(other)),
                };
                let vpath = format!("{ppath}/value");
                let value = match raw {
                    None => PropertyValue::Text(String::new()),
                    Some(J::Array(items)) => PropertyValue::List(
                        items
                            .iter()
                            .enumerate()
                            .map(|(i, v)| scalar_text(v, &format!("{vpath}/{i}")))
                            .collect::<Result<_, _>>()?,
                    ),
                    Some(v) => PropertyValue::Text(scalar_text(v, &vpath)?),
                };
                script.actions[at].properties.push(StudioProperty {
                    position,
                    name,
                    value,
                });
            }
            script.actions[at].properties.sort_by_key(|p| p.position);
        }
    }

    if let Some(branches) = root.get("branches").filter(|b| **b != J::Null) {
        let branches_path = format!("{base}/branches");
        let mut seen = BTreeSet::new();
        for (key, value) in object(branches, &branches_path)? {
            let path = format!("{branches_path}/{}", seg(key));
            let id = action_id_key(key, &path)?;
            if !seen.insert(id) {
                return Err(StudioError::invalid(
                    path,
                    format!("a second branch list for ActionID {id}"),
                ));
            }
            let at = index_of(id, &script.actions).ok_or_else(|| {
                StudioError::invalid(
                    &path,
                    format!("branches of ActionID {id}, which is no action in the file"),
                )
            })?;
            let items = match value {
                J::Array(items) => items,
                other => {
                    return Err(StudioError::invalid(
                        path,
                        format!("expected an array, found {}", other.type_name()),
                    ))
                }
            };
            let def = table::by_keyword(&script.actions[at].keyword);
            for (i, item) in items.iter().enumerate() {
                let bpath = format!("{path}/{i}");
                object(item, &bpath)?;
                let target = item
                    .get("to")
                    .ok_or_else(|| StudioError::invalid(&bpath, "no target (the \"to\" field)"))
                    .and_then(|t| integer(t, &format!("{bpath}/to")))?;
                if target == -1 {
                    continue; // declared, not connected
                }
                if index_of(target, &script.actions).is_none() {
                    return Err(StudioError::DanglingTarget {
                        path: format!("{bpath}/to"),
                        target,
                    });
                }
                let label = match item.get("label") {
                    None => String::new(),
                    Some(v) => scalar_text(v, &format!("{bpath}/label"))?,
                };
                let index = opt_integer(item, "index", &bpath)?;
                let kind_text = opt_string(item, "type", &bpath)?.unwrap_or_default();
                let kind = match kind_text.to_ascii_lowercase().as_str() {
                    "default" => BranchKind::Default,
                    "branch" => BranchKind::Named { name: label, index },
                    "case" => BranchKind::Case(label),
                    // No type (an S2-converter artifact): an empty label is
                    // the default, a branch name of the type is named, the
                    // rest are cases.
                    "" if label.is_empty() || label == "0" => BranchKind::Default,
                    "" if def.is_some_and(|d| d.branch(&label, None).is_some()) => BranchKind::Named { name: label, index },
                    "" => BranchKind::Case(label),
                    other => {
                        return Err(StudioError::invalid(
                            format!("{bpath}/type"),
                            format!("unknown branch type {other:?} (expected \"default\", \"branch\" or \"case\")"),
                        ))
                    }
                };
                script.actions[at].branches.push(StudioBranch {
                    kind,
                    target,
                    origin: bpath,
                });
            }
        }
    }
    Ok(script)
}

/// serde_json's message without its own " at line L column C" (the error
/// names the place itself).
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_string(),
        None => message.to_string(),
    }
}
