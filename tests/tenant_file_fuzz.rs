//! Property tests over mutated tenant files: loading never panics, a loaded
//! tenant round-trips through save and load unchanged, and the CLI exits with
//! a documented code (0–3) on whatever tenant file it is given.

use proptest::prelude::*;
use serde_json::{json, Value};
use studioflow::permissions::{Directory, DEMO_TENANT_JSON};

/// Values that probe the loader's edges: sizes, exactness, types, Unicode.
fn hostile_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!(null)),
        Just(json!(-1)),
        Just(json!(0)),
        Just(json!(4999)),
        Just(json!(5000)),
        Just(json!(9_007_199_254_740_991u64)),
        Just(json!(9_007_199_254_740_992u64)),
        Just(json!(u64::MAX)),
        Just(json!(1.5)),
        Just(json!(1e300)),
        Just(json!("")),
        Just(json!("ǅmir")),
        Just(json!("SYSADMIN")),
        Just(json!("Supervisor")),
        Just(json!("5000")),
        Just(json!("Mars/Base")),
        Just(json!("inactive")),
        Just(json!([])),
        Just(json!({})),
        Just(json!(["role", "attribute"])),
        "[a-zA-Z0-9ǅ_. ]{0,40}".prop_map(Value::from),
    ]
}

/// Every path (object keys and array indexes) in a document.
fn paths(value: &Value, prefix: &mut Vec<PathStep>, out: &mut Vec<Vec<PathStep>>) {
    out.push(prefix.clone());
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                prefix.push(PathStep::Key(key.clone()));
                paths(child, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                prefix.push(PathStep::Index(index));
                paths(child, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

#[derive(Clone, Debug)]
enum PathStep {
    Key(String),
    Index(usize),
}

fn at<'a>(value: &'a mut Value, path: &[PathStep]) -> &'a mut Value {
    path.iter().fold(value, |value, step| match step {
        PathStep::Key(key) => &mut value[key.as_str()],
        PathStep::Index(index) => &mut value[*index],
    })
}

#[derive(Clone, Debug)]
enum Mutation {
    /// Replace the value at a path.
    Replace(prop::sample::Index, Value),
    /// Remove the value at a path (a key from its object, an item from its array).
    Remove(prop::sample::Index),
    /// Duplicate an item of an array (same ids, same names).
    DuplicateItem(prop::sample::Index),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<prop::sample::Index>(), hostile_value()).prop_map(|(i, v)| Mutation::Replace(i, v)),
        2 => any::<prop::sample::Index>().prop_map(Mutation::Remove),
        1 => any::<prop::sample::Index>().prop_map(Mutation::DuplicateItem),
    ]
}

fn apply(doc: &mut Value, mutation: &Mutation) {
    let mut all = Vec::new();
    paths(doc, &mut Vec::new(), &mut all);
    match mutation {
        Mutation::Replace(index, value) => {
            let path = index.get(&all).clone();
            *at(doc, &path) = value.clone();
        }
        Mutation::Remove(index) => {
            let mut path = index.get(&all).clone();
            let Some(last) = path.pop() else { return };
            match (at(doc, &path), last) {
                (Value::Object(map), PathStep::Key(key)) => {
                    map.shift_remove(&key);
                }
                (Value::Array(items), PathStep::Index(i)) => {
                    items.remove(i);
                }
                _ => {}
            }
        }
        Mutation::DuplicateItem(index) => {
            let mut path = index.get(&all).clone();
            let Some(PathStep::Index(i)) = path.pop() else {
                return;
            };
            if let Value::Array(items) = at(doc, &path) {
                let copy = items[i].clone();
                items.push(copy);
            }
        }
    }
}

fn mutated(mutations: &[Mutation]) -> String {
    let mut doc: Value = serde_json::from_str(DEMO_TENANT_JSON).unwrap();
    for mutation in mutations {
        apply(&mut doc, mutation);
    }
    serde_json::to_string_pretty(&doc).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_tenants_load_or_fail_with_a_place_and_round_trip(
        mutations in prop::collection::vec(mutation(), 1..5),
    ) {
        let text = mutated(&mutations);
        match Directory::from_json_str(&text) {
            Ok(directory) => {
                let saved = directory.to_tenant_json();
                let again = Directory::from_json_str(&saved.to_string())
                    .expect("a saved tenant loads again");
                prop_assert_eq!(again.to_tenant_json(), saved);
            }
            Err(error) => {
                let message = error.to_string();
                prop_assert!(!message.is_empty());
                prop_assert!(error.place().is_some() || message.starts_with("line "), "{}", message);
            }
        }
    }

    #[test]
    fn byte_level_damage_never_panics(
        cut in any::<prop::sample::Index>(),
        insert in "[{}\\[\\],:\"0-9a-z ǅ]{0,8}",
        delete in 0usize..16,
    ) {
        let text = DEMO_TENANT_JSON;
        let mut at = cut.index(text.len());
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        let mut end = (at + delete).min(text.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let damaged = format!("{}{}{}", &text[..at], insert, &text[end..]);
        let _ = Directory::from_json_str(&damaged);
    }
}

proptest! {
    // Each case starts the binary: few cases, still every mutation kind.
    #![proptest_config(ProptestConfig { cases: 40, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn the_cli_exits_with_a_documented_code_on_mutated_tenants(
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let tenant = dir.path().join("tenant.json");
        std::fs::write(&tenant, mutated(&mutations)).unwrap();
        let out = assert_cmd::Command::cargo_bin("studioflow")
            .unwrap()
            .args(["run", "scripts/roles_admin.script", "--max-steps", "1000", "--directory"])
            .arg(&tenant)
            .arg("--save")
            .arg(&tenant)
            .output()
            .unwrap();
        let code = out.status.code();
        prop_assert!(matches!(code, Some(0..=3)), "exit {:?}: {}", code, String::from_utf8_lossy(&out.stderr));
        if code == Some(2) {
            prop_assert!(!out.stderr.is_empty());
        }
    }
}
