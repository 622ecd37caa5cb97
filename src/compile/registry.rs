//! The action registry: schemas with case-insensitive lookups, and handlers.

use std::sync::Arc;

use crate::program::cmp_ignore_ascii_case;
use crate::program::handler::Handler;
use crate::program::schema::ActionSchema;

/// A registered action type with its lookups precomputed.
#[derive(Clone)]
pub(crate) struct RegisteredAction {
    pub schema: Arc<ActionSchema>,
    pub handler: Handler,
    /// Canonical branch names by id number.
    pub branch_names: Arc<[Arc<str>]>,
    /// Registered by the engine itself rather than by a host.
    pub builtin: bool,
}

impl RegisteredAction {
    pub fn new(schema: ActionSchema, handler: Handler) -> Self {
        let mut names: Vec<Arc<str>> = Vec::new();
        if !schema.terminal {
            names.push(Arc::from("Default"));
            names.push(Arc::from("Error"));
            names.extend(schema.branches.iter().map(|b| Arc::from(b.as_str())));
        }
        RegisteredAction {
            schema: Arc::new(schema),
            handler,
            branch_names: names.into(),
            builtin: false,
        }
    }

    /// The index of the property named `name`, ignoring ASCII case.
    ///
    /// A linear scan: an action has a handful of properties, so this beats
    /// hashing a lower-cased copy, and building no map keeps start-up cheap.
    pub fn property_index(&self, name: &str) -> Option<usize> {
        self.schema
            .properties
            .iter()
            .position(|p| p.name.eq_ignore_ascii_case(name))
    }

    /// The branch id number (0 Default, 1 Error, 2.. own) of the branch
    /// named `name`, ignoring ASCII case; the first of equal names wins.
    pub fn branch_index(&self, name: &str) -> Option<u32> {
        self.branch_names
            .iter()
            .position(|b| b.eq_ignore_ascii_case(name))
            .map(|i| i as u32)
    }
}

/// Studio's keywords that name a type by another spelling than its
/// canonical name: (keyword, canonical name), matched ignoring ASCII case.
/// (`REST_API` is how Studio's files name the RestApi action.)
pub(crate) const ALIASES: &[(&str, &str)] = &[("REST_API", "RestApi")];

/// Action types by case-insensitive name.
///
/// Copy-on-write: every builder starts from a clone of the built-in table,
/// which shares it (one reference count) until a host registers an action.
#[derive(Clone, Default)]
pub(crate) struct ActionRegistry {
    table: Arc<ActionTable>,
}

/// Actions in registration order and their positions sorted by name,
/// ignoring ASCII case (see `FunctionRegistry` for why not a hash map).
#[derive(Clone, Default)]
struct ActionTable {
    actions: Vec<RegisteredAction>,
    by_name: Vec<usize>,
    /// The handler of Studio actions studioflow does not simulate.
    opaque: Option<Handler>,
}

impl ActionTable {
    fn search(&self, name: &str) -> Result<usize, usize> {
        self.by_name
            .binary_search_by(|&i| cmp_ignore_ascii_case(&self.actions[i].schema.name, name))
    }
}

impl ActionRegistry {
    /// Adds or replaces an action type.
    pub fn insert(&mut self, action: RegisteredAction) {
        let table = Arc::make_mut(&mut self.table);
        match table.search(&action.schema.name) {
            Ok(slot) => {
                let i = table.by_name[slot];
                table.actions[i] = action;
            }
            Err(slot) => {
                table.by_name.insert(slot, table.actions.len());
                table.actions.push(action);
            }
        }
    }
    /// The action type named `name` (ignoring ASCII case), or named by one
    /// of Studio's other spellings of it ([`ALIASES`]).
    pub fn lookup(&self, name: &str) -> Option<&RegisteredAction> {
        let slot = match self.table.search(name) {
            Ok(slot) => slot,
            // Only a name that is no action type pays for the aliases.
            Err(_) => {
                let (_, canonical) = ALIASES
                    .iter()
                    .find(|(alias, _)| alias.eq_ignore_ascii_case(name))?;
                self.table.search(canonical).ok()?
            }
        };
        Some(&self.table.actions[self.table.by_name[slot]])
    }
    /// Marks every action registered so far as built in (a host's later
    /// replacement of one is not).
    pub fn mark_builtins(&mut self) {
        for a in &mut Arc::make_mut(&mut self.table).actions {
            a.builtin = true;
        }
    }
    /// Sets the handler of opaque Studio actions (see `compile::studio_block`).
    pub fn set_opaque_handler(&mut self, handler: Handler) {
        Arc::make_mut(&mut self.table).opaque = Some(handler);
    }
    /// The handler of opaque Studio actions, when the engine has one.
    pub fn opaque_handler(&self) -> Option<Handler> {
        self.table.opaque.clone()
    }
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.table.actions.iter().map(|a| a.schema.name.as_str())
    }
}
