//! The action registry: schemas with case-insensitive lookups, and handlers.

use std::collections::HashMap;
use std::sync::Arc;

use crate::action::{ActionHandler, ActionSchema};

/// A registered action type with its lookups precomputed.
#[derive(Clone)]
pub(crate) struct RegisteredAction {
    pub schema: Arc<ActionSchema>,
    pub handler: Arc<dyn ActionHandler>,
    /// Lower-cased property name → index.
    pub property_index: HashMap<String, usize>,
    /// Lower-cased branch name → branch id number (0 Default, 1 Error, 2.. own).
    pub branch_index: HashMap<String, u32>,
    /// Canonical branch names by id number.
    pub branch_names: Arc<[Arc<str>]>,
    /// Registered by the engine itself rather than by a host.
    pub builtin: bool,
}

impl RegisteredAction {
    pub fn new(schema: ActionSchema, handler: Arc<dyn ActionHandler>) -> Self {
        let property_index = schema
            .properties
            .iter()
            .enumerate()
            .map(|(i, p)| (p.name.to_ascii_lowercase(), i))
            .collect();
        let mut names: Vec<Arc<str>> = Vec::new();
        let mut branch_index = HashMap::new();
        if !schema.terminal {
            names.push(Arc::from("Default"));
            names.push(Arc::from("Error"));
            names.extend(schema.branches.iter().map(|b| Arc::from(b.as_str())));
            for (i, n) in names.iter().enumerate() {
                branch_index
                    .entry(n.to_ascii_lowercase())
                    .or_insert(i as u32);
            }
        }
        RegisteredAction {
            schema: Arc::new(schema),
            handler,
            property_index,
            branch_index,
            branch_names: names.into(),
            builtin: false,
        }
    }
}

/// Action types by case-insensitive name.
#[derive(Clone, Default)]
pub(crate) struct ActionRegistry {
    actions: Vec<RegisteredAction>,
    by_name: HashMap<String, usize>,
}

impl ActionRegistry {
    /// Adds or replaces an action type.
    pub fn insert(&mut self, action: RegisteredAction) {
        let key = action.schema.name.to_ascii_lowercase();
        match self.by_name.get(&key) {
            Some(&i) => self.actions[i] = action,
            None => {
                self.by_name.insert(key, self.actions.len());
                self.actions.push(action);
            }
        }
    }
    pub fn lookup(&self, name: &str) -> Option<&RegisteredAction> {
        self.by_name
            .get(&name.to_ascii_lowercase())
            .map(|&i| &self.actions[i])
    }
    /// Marks every action registered so far as built in (a host's later
    /// replacement of one is not).
    pub fn mark_builtins(&mut self) {
        for a in &mut self.actions {
            a.builtin = true;
        }
    }
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.actions.iter().map(|a| a.schema.name.as_str())
    }
}
