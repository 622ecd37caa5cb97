//! The final variables of a run, without copying names: the values stay in
//! the run's slot table and the names in the shared compiled script.

use std::fmt;
use std::ops::Index;
use std::sync::Arc;

use super::Value;
use crate::compile::ScriptInner;

/// A run's final variables, in name order (only those that were set).
///
/// ```
/// use studioflow::{Engine, RunOptions, Value};
/// let engine = Engine::new();
/// let script = engine.compile(
///     "start: Begin { Default -> a }\na: Assign { Variable = x Value = 2 Default -> b }\nb: End",
///     "v.script",
/// ).unwrap();
/// let run = engine.run(&script, RunOptions::default());
/// assert_eq!(run.variables["x"], Value::from(2.0));
/// assert_eq!(run.variables.get("missing"), None);
/// assert_eq!(run.variables.iter().map(|(name, _)| name).collect::<Vec<_>>(), ["x"]);
/// ```
#[derive(Clone)]
pub struct Variables {
    script: Option<Arc<ScriptInner>>,
    slots: Vec<Option<Value>>,
    /// Inputs the script never mentions, sorted by name.
    extra: Vec<(String, Value)>,
}

impl Variables {
    pub(crate) fn new(
        script: Arc<ScriptInner>,
        slots: Vec<Option<Value>>,
        mut extra: Vec<(String, Value)>,
    ) -> Variables {
        extra.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        Variables {
            script: Some(script),
            slots,
            extra,
        }
    }

    pub(crate) fn empty() -> Variables {
        Variables {
            script: None,
            slots: Vec::new(),
            extra: Vec::new(),
        }
    }

    /// The value of a variable, if it was set.
    ///
    /// ```
    /// let e = studioflow::Engine::new();
    /// let s = e.compile("start: Begin { Default -> a }\na: Assign { Variable = x Value = 1 Default -> b }\nb: End", "g").unwrap();
    /// assert_eq!(e.run(&s, Default::default()).variables.get("x"), Some(&studioflow::Value::from(1.0)));
    /// ```
    pub fn get(&self, name: &str) -> Option<&Value> {
        if let Some(script) = &self.script {
            if let Some(id) = script.var_index.get(name) {
                return self.slots.get(id.0 as usize).and_then(Option::as_ref);
            }
        }
        self.extra
            .binary_search_by(|(n, _)| n.as_str().cmp(name))
            .ok()
            .map(|i| &self.extra[i].1)
    }

    /// True when the variable was set.
    ///
    /// ```
    /// let e = studioflow::Engine::new();
    /// let s = e.compile("start: Begin", "c").unwrap();
    /// assert!(!e.run(&s, Default::default()).variables.contains_key("x"));
    /// ```
    pub fn contains_key(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// The set variables, sorted by name.
    ///
    /// ```
    /// let e = studioflow::Engine::new();
    /// let s = e.compile("start: Begin { Default -> a }\na: Assign { Variable = z Value = 1 Default -> b }\nb: Assign { Variable = a Value = 2 }", "i").unwrap();
    /// let run = e.run(&s, Default::default());
    /// assert_eq!(run.variables.iter().map(|(k, _)| k).collect::<Vec<_>>(), ["a", "z"]);
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        let mut from_script = self.script.iter().flat_map(move |script| {
            script.vars_by_name.iter().filter_map(move |&id| {
                self.slots[id as usize]
                    .as_ref()
                    .map(|v| (&*script.var_names[id as usize], v))
            })
        });
        let mut extra = self.extra.iter().map(|(n, v)| (n.as_str(), v));
        let mut a = from_script.next();
        let mut b = extra.next();
        // Merge two sorted sequences.
        std::iter::from_fn(move || match (a, b) {
            (Some(x), Some(y)) if x.0 <= y.0 => {
                a = from_script.next();
                Some(x)
            }
            (Some(_), Some(y)) | (None, Some(y)) => {
                b = extra.next();
                Some(y)
            }
            (Some(x), None) => {
                a = from_script.next();
                Some(x)
            }
            (None, None) => None,
        })
    }

    /// The names of the set variables, sorted.
    ///
    /// ```
    /// let e = studioflow::Engine::new();
    /// let mut o = studioflow::RunOptions::default();
    /// o.variables.insert("b".into(), 1.0.into());
    /// o.variables.insert("a".into(), 2.0.into());
    /// let s = e.compile("start: Begin", "k").unwrap();
    /// assert_eq!(e.run(&s, o).variables.keys().collect::<Vec<_>>(), ["a", "b"]);
    /// ```
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.iter().map(|(k, _)| k)
    }

    /// How many variables are set.
    ///
    /// ```
    /// let e = studioflow::Engine::new();
    /// let s = e.compile("start: Begin", "l").unwrap();
    /// assert_eq!(e.run(&s, Default::default()).variables.len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.slots.iter().filter(|s| s.is_some()).count() + self.extra.len()
    }

    /// True when none is set.
    ///
    /// ```
    /// let e = studioflow::Engine::new();
    /// let s = e.compile("start: Begin", "l").unwrap();
    /// assert!(e.run(&s, Default::default()).variables.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The variables as a JSON object, sorted by name.
    ///
    /// ```
    /// let e = studioflow::Engine::new();
    /// let mut o = studioflow::RunOptions::default();
    /// o.variables.insert("n".into(), 3.0.into());
    /// let s = e.compile("start: Begin", "j").unwrap();
    /// assert_eq!(e.run(&s, o).variables.to_json(), serde_json::json!({"n": 3}));
    /// ```
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::Value::Object(
            self.iter()
                .map(|(k, v)| (k.to_string(), v.to_json()))
                .collect(),
        )
    }
}

impl Index<&str> for Variables {
    type Output = Value;
    /// Panics when the variable is not set, like a map's index.
    fn index(&self, name: &str) -> &Value {
        match self.get(name) {
            Some(v) => v,
            None => panic!("variable `{name}` is not set"),
        }
    }
}

impl<'a> IntoIterator for &'a Variables {
    type Item = (&'a str, &'a Value);
    type IntoIter = Box<dyn Iterator<Item = (&'a str, &'a Value)> + 'a>;
    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

impl fmt::Debug for Variables {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}
