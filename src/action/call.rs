//! [`ActionCall`]: what an action handler sees of the run (its evaluated
//! properties by schema index, variables, the security user, the clock and
//! the permission model). Reading properties by name is in `properties.rs`;
//! running a subscript is the run loop's (`runtime/executor/subscript.rs`).

use std::sync::Arc;

use crate::tz::Tz;
use chrono::{DateTime, Utc};

use super::{ActionError, BranchId, ScriptType};
use crate::compile::{CompiledAction, PropSlot, ScriptInner};
use crate::permissions::{ApiError, Directory};
use crate::runtime::env::RunEnv;
use crate::runtime::eval::VarId;
use crate::runtime::executor::{Outcome, Pending, RunError, RunState, StoreError};
use crate::runtime::value::SecurityUser;
use crate::runtime::Value;
use crate::snippet::run::SnippetRun;

/// What an action handler sees: its evaluated properties and the run.
///
/// Properties are addressed by their index in the action's schema. The
/// example below uses every method of the handler's view of the run.
///
/// ```
/// use studioflow::{
///     ActionCall, ActionError, ActionSchema, BranchId, Engine, FixedClock, PropertyKind,
///     PropertySchema, RunOptions, ScriptType, Value,
/// };
///
/// const WHO: usize = 0; // InputVariable: the security user
/// const TARGET: usize = 1; // Template
/// const RESULT: usize = 2; // OutputVariable
/// const SEEN: BranchId = BranchId::own(0);
///
/// fn audit(call: &mut ActionCall<'_>) -> Result<BranchId, ActionError> {
///     let user = call.security_user(WHO)?; // only a handle issued in this run
///     let target = call.text(TARGET).unwrap_or_default();
///     assert_eq!(call.text_ref(TARGET).as_deref(), Some(target.as_str()));
///     assert_eq!(call.property(TARGET), Some(&Value::from(target.as_str())));
///     assert_eq!(call.action_id(), "audit");
///     assert_eq!(call.subscript(), None); // not inside a RunSub
///     assert_eq!(call.script_type(), ScriptType::Generic);
///     assert!(call.labels().is_empty());
///     assert_eq!(call.time_zone(), user.time_zone());
///     assert!(call.directory().agent(user.agent_id()).is_some());
///     *call.counter() += 1; // private to this action in this run
///     let stamp = call.now().to_rfc3339();
///     let out = call.variable(RESULT).expect("an output variable");
///     let before = call.get(out); // "" when unset
///     call.set(out, Value::from(format!("{before}{} saw {target} at {stamp};", user.user_name())));
///     if *call.counter() > 1 {
///         return Ok(SEEN);
///     }
///     call.set_output(RESULT, call.get(out))?;
///     Ok(BranchId::DEFAULT)
/// }
///
/// let engine = Engine::builder()
///     .directory(studioflow::permissions::Directory::demo()) // sysadmin
///     .clock(FixedClock::parse("2026-03-08T06:30:00Z").unwrap())
///     .register_action(
///         ActionSchema::new("Audit")
///             .property(PropertySchema::optional("SecurityUser", PropertyKind::InputVariable)
///                 .with_default(Value::from("SecurityUser")))
///             .property(PropertySchema::required("Target", PropertyKind::Template))
///             .property(PropertySchema::optional("ScriptVariable", PropertyKind::OutputVariable)
///                 .with_default(Value::from("Log")))
///             .branch("Seen"),
///         audit,
///     )
///     .build();
/// let script = engine.compile(r#"
///     start: Begin { Default -> who }
///     who: SetSecurityUser { Agent = "sysadmin" TimeZone = "UTC" Default -> audit }
///     audit: Audit { Target = "agent {1000 + 4}" Default -> audit Seen -> done }
///     done: End
/// "#, "audit.script").unwrap();
/// let run = engine.run(&script, RunOptions::default());
/// assert_eq!(
///     run.variables["Log"].to_text(),
///     "sysadmin saw agent 1004 at 2026-03-08T06:30:00+00:00;sysadmin saw agent 1004 at 2026-03-08T06:30:00+00:00;"
/// );
/// ```
pub struct ActionCall<'a> {
    pub(crate) env: &'a RunEnv,
    pub(crate) root: &'a ScriptInner,
    pub(crate) script: &'a ScriptInner,
    pub(crate) action: &'a CompiledAction,
    pub(crate) index: usize,
    /// The step number of this action's step.
    pub(crate) step: u64,
    /// The properties evaluated for this step (see [`StepValues`]).
    pub(crate) values: &'a mut StepValues,
    pub(crate) state: &'a mut RunState,
}

/// What one step's properties are, beside the script's own constants.
///
/// A property is read where it is: the script's constants (literals,
/// variable and subscript names) in the compiled action, borrowed, never
/// cloned (cloning an `Arc`-backed value writes its reference count, a cache
/// line every thread running the same compiled script shares); the
/// expressions' values, evaluated for this step, here in slot order (the
/// `k` of [`PropSlot::Code`]), so a handler may take one instead of cloning
/// it. Nothing is built per property, only per evaluated expression.
#[derive(Default)]
pub(crate) struct StepValues {
    /// Whether the properties were evaluated: an [`ActionOverride`](crate::ActionOverride)
    /// replaces the action before they are, and then reads none.
    pub evaluated: bool,
    /// The expressions' values, then the words of closed word sets that
    /// replace a constant (see `overrides`).
    pub owned: Vec<Value>,
    /// Constants replaced for this step by their listed spelling (property
    /// `slot` reads `owned[at]`); empty unless the action has word sets.
    pub overrides: Vec<(u32, u32)>,
}

impl StepValues {
    /// Ready for the next step (the allocations kept).
    #[inline]
    pub fn clear(&mut self) {
        self.evaluated = false;
        self.owned.clear();
        self.overrides.clear();
    }

    /// Where property `i`, a constant, was replaced for this step.
    #[inline]
    fn overridden(&self, i: usize) -> Option<usize> {
        if self.overrides.is_empty() {
            return None;
        }
        self.overrides
            .iter()
            .find(|(slot, _)| *slot as usize == i)
            .map(|(_, at)| *at as usize)
    }
}

/// Where property `i` of a step is: the script's constant or a value of the step.
enum PropAt<'s> {
    Absent,
    Const(&'s Value),
    Owned(usize),
}

impl<'a> ActionCall<'a> {
    /// The subscript this action runs in, as the RunSub named it (`None` in
    /// the script that was run): mocks address actions inside subscripts as
    /// `subscript:action`.
    ///
    /// See the example on [`ActionCall`].
    #[inline]
    pub fn subscript(&self) -> Option<&str> {
        (!std::ptr::eq(self.root, self.script)).then_some(&*self.script.label)
    }

    /// Ends the whole run from inside this action (a limit or a
    /// cancellation met by code the action runs): the run stops with
    /// `outcome` when the handler returns, whatever it returns, naming this
    /// action as the executor names it (`subscript:action` inside a RunSub).
    /// The error returned (the message as a failure) is for the handler to
    /// return; the run loop does not read it.
    pub(crate) fn stop_run(&mut self, outcome: Outcome, message: String) -> ActionError {
        let action = match self.subscript() {
            Some(label) => format!("{label}:{}", self.action.id),
            None => self.action.id.to_string(),
        };
        let error = RunError {
            action,
            message: message.clone(),
            kind: outcome,
        };
        // The first stop is the one reported.
        self.state.stop.get_or_insert(error);
        ActionError::Failed(message)
    }

    /// Sets the value the running subscript returns (Return's ReturnValue).
    #[inline]
    pub(crate) fn set_return(&mut self, value: Value) {
        self.state.returned = Some(value);
    }

    /// The Snippet code of property `i`, ready to run against the run: the
    /// Snippet action's one seam into the run (`None` when the property
    /// holds no Snippet code).
    pub(crate) fn snippet(&mut self, i: usize) -> Option<SnippetRun<'_>> {
        let Some(PropSlot::Snippet(program)) = self.action.properties.get(i) else {
            return None;
        };
        let action: Arc<str> = match self.subscript() {
            Some(label) => format!("{label}:{}", self.action.id).into(),
            None => self.action.id.clone(),
        };
        Some(SnippetRun {
            program,
            user_functions: &self.script.snippet_functions,
            var_names: &self.script.var_names,
            env: self.env,
            state: self.state,
            step: self.step,
            action,
        })
    }
    /// The evaluated value of property `i` (schema order); `None` when left out without default.
    ///
    /// See the example on [`ActionCall`], which uses every method.
    #[inline]
    pub fn property(&self, i: usize) -> Option<&Value> {
        match self.prop_at(i) {
            PropAt::Absent => None,
            PropAt::Const(v) => Some(v),
            PropAt::Owned(k) => self.values.owned.get(k),
        }
    }
    /// Where property `i` is for this step.
    #[inline]
    fn prop_at(&self, i: usize) -> PropAt<'a> {
        if !self.values.evaluated {
            return PropAt::Absent;
        }
        let action: &'a CompiledAction = self.action;
        match action.properties.get(i) {
            None | Some(PropSlot::Absent | PropSlot::Snippet(_)) => PropAt::Absent,
            Some(PropSlot::Code(_, k)) => PropAt::Owned(*k as usize),
            Some(PropSlot::Const(v) | PropSlot::Var(_, v) | PropSlot::Subscript(_, v)) => {
                match self.values.overridden(i) {
                    Some(at) => PropAt::Owned(at),
                    None => PropAt::Const(v),
                }
            }
        }
    }
    /// Property `i`, moved out when it was evaluated for this step (its
    /// place then reads as null), cloned when it is one of the script's
    /// constants: a handler that stores a property writes no reference count.
    #[inline]
    pub(crate) fn take_property(&mut self, i: usize) -> Option<Value> {
        match self.prop_at(i) {
            PropAt::Absent => None,
            PropAt::Const(v) => Some(v.clone()),
            PropAt::Owned(k) => self.values.owned.get_mut(k).map(std::mem::take),
        }
    }
    /// Property `i` detached from the call, so a handler can read it while
    /// it changes the run: the script's constants borrowed, values evaluated
    /// for this step taken out (as [`ActionCall::take_property`]).
    #[inline]
    pub(crate) fn detach_property(&mut self, i: usize) -> Option<std::borrow::Cow<'a, Value>> {
        match self.prop_at(i) {
            PropAt::Absent => None,
            PropAt::Const(v) => Some(std::borrow::Cow::Borrowed(v)),
            PropAt::Owned(k) => self
                .values
                .owned
                .get_mut(k)
                .map(|v| std::borrow::Cow::Owned(std::mem::take(v))),
        }
    }
    /// Property `i` as text (`None` when absent).
    ///
    /// See the example on [`ActionCall`], which uses every method.
    #[inline]
    pub fn text(&self, i: usize) -> Option<String> {
        self.property(i).map(Value::to_text)
    }
    /// Property `i` as text, borrowed when it already is a string.
    ///
    /// See the example on [`ActionCall`], which uses every method.
    #[inline]
    pub fn text_ref(&self, i: usize) -> Option<std::borrow::Cow<'_, str>> {
        self.property(i).map(Value::text)
    }
    /// The variable named by property `i` (an input or output variable property).
    ///
    /// See the example on [`ActionCall`], which uses every method.
    #[inline]
    pub fn variable(&self, i: usize) -> Option<VarId> {
        match self.action.properties.get(i)? {
            PropSlot::Var(id, _) => Some(*id),
            _ => None,
        }
    }
    /// Reads a variable (unset reads as the empty string).
    ///
    /// See the example on [`ActionCall`], which uses every method.
    #[inline]
    pub fn get(&self, var: VarId) -> Value {
        self.state
            .vars
            .get(var.0 as usize)
            .cloned()
            .flatten()
            .unwrap_or_else(Value::empty)
    }
    /// Writes a variable.
    ///
    /// See the example on [`ActionCall`], which uses every method.
    ///
    /// The value goes through the engine's size limits and the run's memory
    /// budget. A value over the size limits is not stored and the action
    /// fails (its `_ERR` names the variable); passing the memory budget stops
    /// the run with [`Outcome::Limit`]. Both are reported when the handler
    /// returns; [`ActionCall::set_output`] also returns them at once.
    #[inline]
    pub fn set(&mut self, var: VarId, value: Value) {
        if let Err(e) = self
            .state
            .store(var.0 as usize, value, &self.script.var_names)
        {
            let pending = match e {
                StoreError::TooLarge(e) => Pending::Failure(e),
                StoreError::Memory(m) => Pending::Limit(m),
            };
            // The first problem is the one reported.
            self.state.pending.get_or_insert(pending);
        }
    }
    /// Writes the variable named by output-variable property `i`, through
    /// the same limits as [`ActionCall::set`]; a refused value is an `Err`
    /// the handler can return as it is.
    ///
    /// See the example on [`ActionCall`], which uses every method.
    #[inline]
    pub fn set_output(&mut self, i: usize, value: Value) -> Result<(), ActionError> {
        let var = self.output_slot(i)?;
        let stored = self.state.store(var, value, &self.script.var_names);
        self.output_stored(stored)
    }

    /// [`ActionCall::set_output`] of a value already measured against the
    /// run's size limits (`bytes`: what
    /// [`SizeLimits::measure`](crate::runtime::limits::SizeLimits) answered
    /// for them): an agent object shared between runs is not walked again.
    pub(crate) fn set_output_measured(
        &mut self,
        i: usize,
        value: Value,
        bytes: usize,
    ) -> Result<(), ActionError> {
        let var = self.output_slot(i)?;
        let stored = self.state.store_measured(var, value, bytes);
        self.output_stored(stored)
    }

    /// The run's size limits, which stored values are measured against.
    pub(crate) fn size_limits(&self) -> crate::runtime::limits::SizeLimits {
        self.state.limits
    }

    /// The variable slot output-variable property `i` names.
    #[inline]
    fn output_slot(&self, i: usize) -> Result<usize, ActionError> {
        match self.variable(i) {
            Some(var) => Ok(var.0 as usize),
            None => Err(ActionError::failed(format!(
                "property {} of {} is not a variable name",
                i, self.action.type_name
            ))),
        }
    }

    /// A store's outcome as [`ActionCall::set_output`] returns it (a memory
    /// limit is also recorded to stop the run).
    #[inline]
    fn output_stored(&mut self, stored: Result<(), StoreError>) -> Result<(), ActionError> {
        match stored {
            Ok(()) => Ok(()),
            Err(StoreError::TooLarge(e)) => Err(e),
            Err(StoreError::Memory(m)) => {
                self.state.pending.get_or_insert(Pending::Limit(m));
                Err(ActionError::failed(m.to_string()))
            }
        }
    }

    /// The engine's limits, for handlers that can check a result's size
    /// before building it (e.g. a list of matches against
    /// [`crate::Limits::max_list_len`]).
    ///
    /// ```
    /// use studioflow::{ActionCall, ActionError, BranchId};
    /// fn page(call: &mut ActionCall<'_>) -> Result<BranchId, ActionError> {
    ///     let matches = 250_000; // counted, not yet built
    ///     if matches > call.limits().max_list_len {
    ///         return Err(ActionError::failed("too many matches: narrow the query"));
    ///     }
    ///     Ok(BranchId::DEFAULT)
    /// }
    /// let _ = page;
    /// ```
    #[inline]
    pub fn limits(&self) -> &crate::runtime::Limits {
        &self.env.limits
    }
    /// The literal labels of the action's labeled branches (`Case "x"`), in source order.
    ///
    /// See the example on [`ActionCall`], which uses every method.
    #[inline]
    pub fn labels(&self) -> &[Arc<str>] {
        &self.action.labels
    }
    /// The case branch (`Case "1" -> x`) a handler takes for `label`,
    /// compared as the `Case` action compares (the language's `=`: `"1"`
    /// matches `Case 1` and `Case "1.0"`); Default when the script wrote no
    /// branch with that label. An action type without case branches (a
    /// host action declared without `cases = true`) is an error.
    ///
    /// ```
    /// use studioflow::{ActionSchema, BranchId, Engine};
    /// let engine = Engine::builder()
    ///     .register_action(ActionSchema::new("Menu").labeled_branch("Case"), |call: &mut studioflow::ActionCall<'_>| {
    ///         call.case_branch("2")
    ///     })
    ///     .build();
    /// let script = engine.compile("start: Begin { Default -> m }\nm: Menu { Case \"1\" -> one Case \"2\" -> two }\none: End\ntwo: End", "m").unwrap();
    /// assert_eq!(engine.run(&script, Default::default()).end.as_deref(), Some("two"));
    /// ```
    pub fn case_branch(&self, label: &str) -> Result<BranchId, ActionError> {
        if self.action.schema.labeled_branch.is_none() {
            return Err(ActionError::failed(format!(
                "{} has no case branches (declare the action with `cases = true`)",
                self.action.type_name
            )));
        }
        let label = Value::from(label);
        Ok(self
            .action
            .labels
            .iter()
            .position(|l| crate::runtime::ops::equals_str(&label, l))
            .map_or(BranchId::DEFAULT, |i| BranchId::label(i as u32)))
    }
    /// A counter private to this action in this run (Loop's count).
    ///
    /// See the example on [`ActionCall`], which uses every method.
    #[inline]
    pub fn counter(&mut self) -> &mut u64 {
        &mut self.state.counters[self.index]
    }
    /// The action's id.
    ///
    /// See the example on [`ActionCall`], which uses every method.
    #[inline]
    pub fn action_id(&self) -> &str {
        &self.action.id
    }
    /// The action's type as the script writes it (`Assign`; an opaque Studio
    /// action's keyword, `XFERQUEUE`).
    ///
    /// ```
    /// use studioflow::{ActionSchema, BranchId, Engine};
    /// let engine = Engine::builder()
    ///     .register_action(ActionSchema::new("Ping"), |call: &mut studioflow::ActionCall<'_>| {
    ///         call.set_variable("kind", call.action_type().into());
    ///         Ok(BranchId::DEFAULT)
    ///     })
    ///     .build();
    /// let script = engine.compile("start: Begin { Default -> p }\np: Ping", "p").unwrap();
    /// let run = engine.run(&script, studioflow::RunOptions::default());
    /// assert_eq!(run.variable("kind").unwrap().to_text(), "Ping");
    /// ```
    #[inline]
    pub fn action_type(&self) -> &str {
        &self.action.type_name
    }
    /// The script's type.
    ///
    /// See the example on [`ActionCall`], which uses every method.
    #[inline]
    pub fn script_type(&self) -> ScriptType {
        self.script.script_type
    }
    /// The permission model.
    ///
    /// See the example on [`ActionCall`], which uses every method.
    #[inline]
    pub fn directory(&self) -> &Directory {
        &self.env.directory
    }
    /// The run's current time: the engine's clock, or for a resumed run
    /// the time it paused at plus the virtual time passed since.
    ///
    /// See the example on [`ActionCall`], which uses every method.
    #[inline]
    pub fn now(&self) -> DateTime<Utc> {
        match self.state.virtual_clock() {
            Some(clock) => crate::runtime::Clock::now(clock),
            None => self.env.clock.now(),
        }
    }
    /// The time zone for displaying times: the current security user's, else the business unit's.
    ///
    /// See the example on [`ActionCall`], which uses every method.
    #[inline]
    pub fn time_zone(&self) -> Tz {
        self.state.time_zone
    }

    /// Writes a variable by name; a name the script never mentions is kept
    /// with the run's other variables (it shows in [`Run::variables`]).
    /// Meant for [`ActionOverride`]s, which set what a mocked action would.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use studioflow::{ActionCall, ActionError, ActionOverride, BranchId, Engine, RunOptions, Value};
    ///
    /// struct SetsTier;
    /// impl ActionOverride for SetsTier {
    ///     fn run_instead(&self, call: &mut ActionCall<'_>) -> Option<Result<BranchId, ActionError>> {
    ///         (call.action_id() == "lookup").then(|| {
    ///             call.set_variable("Tier", Value::from("gold"));
    ///             Ok(BranchId::DEFAULT)
    ///         })
    ///     }
    /// }
    /// let engine = Engine::new();
    /// let script = engine
    ///     .compile("start: Begin { Default -> lookup }\nlookup: Assign { Variable = x Value = 1 }", "s")
    ///     .unwrap();
    /// let run = engine.run(&script, RunOptions::default().action_override(Arc::new(SetsTier)));
    /// assert_eq!(run.variables["Tier"], Value::from("gold"));
    /// assert!(run.variables.get("x").is_none_or(|v| v.is_null_or_empty()));
    /// ```
    pub fn set_variable(&mut self, name: &str, value: Value) {
        match self.script.var_index.get(name) {
            // Through the same size limits and memory budget as `set`.
            Some(id) => self.set(*id, value),
            // A name the script never mentions: measured here (this is the
            // rare path of mocks), with the same outcome as `set`.
            None => {
                let state = &mut *self.state;
                let new = match state.limits.measure(&value) {
                    Ok(size) => size,
                    Err(source) => {
                        let failure = ActionError::OversizedResult {
                            variable: name.to_string(),
                            source,
                        };
                        state.pending.get_or_insert(Pending::Failure(failure));
                        return;
                    }
                };
                let index = state.extra.iter().position(|(n, _)| n == name);
                let old = index.map_or(0, |i| state.limits.measure(&state.extra[i].1).unwrap_or(0));
                if let Err(m) = state.memory.replace(old, new) {
                    state.pending.get_or_insert(Pending::Limit(m));
                    return;
                }
                match index {
                    Some(i) => state.extra[i].1 = value,
                    None => state.extra.push((name.to_string(), value)),
                }
            }
        }
    }

    /// The security user held by the variable that input-variable property `i`
    /// names. Only a handle issued in this run is accepted; anything else —
    /// a string, an object, a handle from another run — is refused.
    ///
    /// See the example on [`ActionCall`], which uses every method.
    #[inline]
    pub fn security_user(&self, i: usize) -> Result<SecurityUser, ActionError> {
        self.security_user_ref(i).cloned()
    }

    /// [`ActionCall::security_user`], borrowed from the variable.
    #[inline]
    pub(crate) fn security_user_ref(&self, i: usize) -> Result<&SecurityUser, ActionError> {
        let var = self
            .variable(i)
            .ok_or_else(|| ActionError::Api(ApiError::no_security_user()))?;
        match self.state.vars.get(var.0 as usize).and_then(Option::as_ref) {
            Some(Value::SecurityUser(user)) if user.issued_by(self.state.run_id) => Ok(user),
            Some(Value::SecurityUser(_)) => Err(ActionError::Api(ApiError::invalid_security_user(
                "the security user was issued by another run",
            ))),
            None => Err(ActionError::Api(ApiError::no_security_user())),
            Some(v) if v.is_null_or_empty() => Err(ActionError::Api(ApiError::no_security_user())),
            Some(other) => Err(ActionError::Api(ApiError::invalid_security_user(format!(
                "variable `{}` holds {}, not a security user set by SetSecurityUser",
                self.script.var_names[var.0 as usize],
                other.type_name()
            )))),
        }
    }

    /// The checked call that mints a security user: the agent (an id, else a
    /// userName) must exist and be active. `time_zone` is an IANA name, or
    /// `None`/`"Default"` for the agent's own time zone. Later `now()` calls and
    /// API timestamps in this run use that time zone.
    ///
    /// See the example on [`ActionCall`], which uses every method.
    pub fn set_security_user(
        &mut self,
        agent: &str,
        time_zone: Option<&str>,
    ) -> Result<SecurityUser, ActionError> {
        // One borrowing read of the store; the handle is minted from the
        // snapshot's own strings (compared with the last one's fields,
        // copied only when they differ).
        let run_id = self.state.run_id;
        let user = self
            .env
            .directory
            .with_security_user(agent, |agent, role| {
                let tz = match time_zone.map(str::trim) {
                    None | Some("") => agent.time_zone,
                    Some(t) if t.eq_ignore_ascii_case("default") => agent.time_zone,
                    Some(t) => t.parse::<Tz>().map_err(|_| ActionError::UnknownTimeZone {
                        name: t.to_string(),
                    })?,
                };
                Ok::<_, ActionError>(SecurityUser::mint(
                    run_id,
                    agent.id,
                    &agent.user_name,
                    tz,
                    role.map(|role| role.name.as_str()),
                ))
            })??;
        let tz = user.time_zone();
        self.state.time_zone = tz;
        Ok(user)
    }
}
