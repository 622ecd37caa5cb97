//! CXone Studio JSON, as the Admin API and NICE's GitHub sync store it.

use serde_json::{json, Map, Value};

use crate::studio::{BranchKind, PropertyValue, StudioScript};

/// A JSON number for text that is one, else the text.
fn number_or_text(text: &str) -> Value {
    match text.parse::<i64>() {
        Ok(n) => Value::from(n),
        Err(_) => Value::from(text),
    }
}

/// Extra fields (a JSON object's text) merged into `object`.
fn merge(object: &mut Map<String, Value>, extra: Option<&str>) {
    if let Some(Value::Object(extra)) = extra.and_then(|e| crate::studio::json::value_of(e).ok()) {
        for (k, v) in extra {
            object.insert(k, v);
        }
    }
}

/// The model as CXone Studio JSON, two spaces deep.
pub(super) fn write(script: &StudioScript) -> String {
    let h = &script.header;
    let mut header = Map::new();
    let name = h
        .script_name
        .clone()
        .or_else(|| script.name.clone())
        .unwrap_or_default();
    header.insert("scriptName".into(), name.into());
    header.insert("busNo".into(), h.bus_no.unwrap_or(0).into());
    let media = script.media_type.unwrap_or(0);
    header.insert("mediaType".into(), media.into());
    match &h.media_type_name {
        Some(n) => {
            header.insert("mediaTypeName".into(), n.clone().into());
        }
        None if media == 4 => {
            header.insert("mediaTypeName".into(), "call".into());
        }
        None => {}
    }
    if let Some(l) = &h.library_id {
        header.insert("libraryId".into(), l.clone().into());
    }
    header.insert("variableRedaction".into(), "".into());
    merge(&mut header, h.json.as_deref());
    let next = script.actions.iter().map(|a| a.id).max().unwrap_or(0) + 1;
    header.insert("nextActionId".into(), next.into());

    let mut actions = Map::new();
    let mut properties = Map::new();
    let mut branches = Map::new();
    for a in &script.actions {
        let key = a.id.to_string();
        let mut o = Map::new();
        o.insert("actionId".into(), a.id.into());
        if let Some(l) = &a.library_id {
            o.insert("libraryId".into(), l.clone().into());
        }
        o.insert("name".into(), a.keyword.clone().into());
        if let Some(v) = &a.extras.version {
            o.insert("version".into(), number_or_text(v));
        }
        o.insert("label".into(), a.caption.clone().into());
        if let Some(d) = &a.extras.dependency_order {
            o.insert("dependencyOrder".into(), d.clone().into());
        }
        if let Some(t) = &a.extras.impl_type {
            o.insert("implType".into(), t.clone().into());
        }
        if let Some(p) = a.position {
            o.insert("x".into(), p.x.into());
            o.insert("y".into(), p.y.into());
            if let Some(v) = p.xws {
                o.insert("xws".into(), v.into());
            }
            if let Some(v) = p.yws {
                o.insert("yws".into(), v.into());
            }
        }
        merge(&mut o, a.extras.json.as_deref());
        actions.insert(key.clone(), Value::Object(o));

        let mut props = Map::new();
        for p in &a.properties {
            let value = match &p.value {
                PropertyValue::Text(t) => Value::from(t.clone()),
                PropertyValue::List(items) => Value::from(items.clone()),
            };
            let name = p.name.clone().unwrap_or_else(|| p.position.to_string());
            props.insert(
                p.position.to_string(),
                json!({ "name": name, "value": value }),
            );
        }
        properties.insert(key.clone(), Value::Object(props));

        if !a.branches.is_empty() {
            let list: Vec<Value> = a
                .branches
                .iter()
                .enumerate()
                .map(|(k, b)| {
                    let (label, kind, index) = match &b.kind {
                        BranchKind::Default => (String::new(), "default", 0),
                        BranchKind::Named { name, index } => {
                            (name.clone(), "branch", index.unwrap_or(0))
                        }
                        BranchKind::Case(label) => (label.clone(), "case", k as i64),
                    };
                    json!({ "to": b.target, "label": label, "type": kind, "index": index })
                })
                .collect();
            branches.insert(key, Value::from(list));
        }
    }
    let root = json!({
        "header": Value::Object(header),
        "actions": Value::Object(actions),
        "properties": Value::Object(properties),
        "branches": Value::Object(branches),
    });
    let mut text = serde_json::to_string_pretty(&root).unwrap_or_default();
    text.push('\n');
    text
}
