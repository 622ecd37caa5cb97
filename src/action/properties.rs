//! Reading an action's properties by name, typed.

use super::{ActionError, BranchId};
use crate::runtime::convert::FromValue;
use crate::runtime::Value;

use super::ActionCall;

impl ActionCall<'_> {
    /// The branch named `name` (ignoring case): `Default`, `Error` or one of
    /// the action's own branches. A name the schema does not declare is an
    /// [`ActionError::UnknownBranch`] (the action takes its Error branch).
    ///
    /// ```
    /// use studioflow::{ActionSchema, Engine, PropertyKind, PropertySchema, RunOptions};
    /// let engine = Engine::builder()
    ///     .register_action(
    ///         ActionSchema::new("Transfer").property(PropertySchema::required("Queue", PropertyKind::Template)).branch("Busy"),
    ///         |call: &mut studioflow::ActionCall<'_>| {
    ///             let queue = call.text_property("Queue")?;
    ///             call.branch(if queue == "sales" { "Busy" } else { "Idle" })
    ///         },
    ///     )
    ///     .build();
    /// let script = engine.compile(r#"
    ///     start: Begin { Default -> t }
    ///     t: Transfer { Queue = Q  Busy -> busy  Default -> done  Error -> oops }
    ///     busy: End
    ///     done: End
    ///     oops: End
    /// "#, "t.script").unwrap();
    /// assert_eq!(engine.run(&script, RunOptions::default().var("Q", "sales")).end.as_deref(), Some("busy"));
    /// let run = engine.run(&script, RunOptions::default().var("Q", "support"));
    /// assert_eq!(run.end.as_deref(), Some("oops"));
    /// assert_eq!(run.variables["_ERR"].to_text(), "Transfer has no branch `Idle`");
    /// ```
    pub fn branch(&self, name: &str) -> Result<BranchId, ActionError> {
        self.action
            .schema
            .branch_id(name)
            .ok_or_else(|| ActionError::UnknownBranch {
                action_type: self.action.type_name.to_string(),
                branch: name.to_string(),
            })
    }

    /// The schema index of the property named `name` (case-insensitive, like
    /// the script), or `None` when the action's schema has no such property.
    ///
    /// See the example on [`ActionCall::get_property`].
    pub fn property_index(&self, name: &str) -> Option<usize> {
        self.action
            .schema
            .properties
            .iter()
            .position(|p| p.name.eq_ignore_ascii_case(name))
    }

    /// The evaluated value of the property named `name`; `None` when it was
    /// left out and has no default, or when the schema has no such property.
    ///
    /// See the example on [`ActionCall::get_property`].
    pub fn property_named(&self, name: &str) -> Option<&Value> {
        self.property(self.property_index(name)?)
    }

    /// The property named `name`, converted to `T` (see [`FromValue`]): the
    /// typed way for a handler to read what the script wrote. Fails, naming
    /// the property, when the value is not a `T` (the action then takes its
    /// Error branch with that text in `_ERR`), when the property was left out
    /// without a default, or when the schema has no such property (a host bug).
    /// Read optional properties as `Option<T>` (left out, `null` and `""` are
    /// `None`).
    ///
    /// ```
    /// use studioflow::{ActionCall, ActionError, ActionSchema, BranchId, Engine, Outcome,
    ///                  PropertyKind, PropertySchema, RunOptions, Value};
    ///
    /// // A host action that queues a callback: `Retries` is optional.
    /// fn callback(call: &mut ActionCall<'_>) -> Result<BranchId, ActionError> {
    ///     let phone: String = call.text_property("Phone")?;
    ///     let delay = call.number_property("DelayMinutes")?;
    ///     let retries: Option<u32> = call.get_property("Retries")?;
    ///     let skills = call.list_property("Skills")?;
    ///     let summary = format!("{phone} in {delay} min, {} retries, {} skills",
    ///                           retries.unwrap_or(1), skills.len());
    ///     call.set_output_named("Result", Value::from(summary))?;
    ///     Ok(BranchId::DEFAULT)
    /// }
    ///
    /// let engine = Engine::builder()
    ///     .register_action(
    ///         ActionSchema::new("QueueCallback")
    ///             .property(PropertySchema::required("Phone", PropertyKind::Template))
    ///             .property(PropertySchema::required("DelayMinutes", PropertyKind::Expression))
    ///             .property(PropertySchema::optional("Retries", PropertyKind::Expression))
    ///             .property(PropertySchema::required("Skills", PropertyKind::Expression))
    ///             .property(PropertySchema::optional("Result", PropertyKind::OutputVariable)
    ///                 .with_default(Value::from("Callback"))),
    ///         callback,
    ///     )
    ///     .build();
    ///
    /// let script = engine.compile(r#"
    ///     start: Begin { Default -> cb }
    ///     cb: QueueCallback { Phone = "+1 555 {ext}" DelayMinutes = 7.5 Skills = ["billing"]
    ///                         Default -> done Error -> done }
    ///     done: End
    /// "#, "callback.script").unwrap();
    /// let mut options = RunOptions::default();
    /// options.variables.insert("ext".into(), Value::from(123));
    /// let run = engine.run(&script, options);
    /// assert_eq!(run.variables["Callback"], Value::from("+1 555 123 in 7.5 min, 1 retries, 1 skills"));
    ///
    /// // A value of the wrong type fails the action, naming the property.
    /// let script = engine.compile(r#"
    ///     start: Begin { Default -> cb }
    ///     cb: QueueCallback { Phone = "1" DelayMinutes = "soon" Skills = [] Default -> done }
    ///     done: End
    /// "#, "bad.script").unwrap();
    /// let run = engine.run(&script, RunOptions::default());
    /// assert_eq!(run.outcome, Outcome::Stopped);
    /// assert_eq!(run.variables["_ERR"], Value::from(r#"DelayMinutes: expected a number, got "soon""#));
    /// ```
    pub fn get_property<T: FromValue>(&self, name: &str) -> Result<T, ActionError> {
        let Some(index) = self.property_index(name) else {
            return Err(ActionError::UnknownProperty {
                action_type: self.action.type_name.to_string(),
                property: name.to_string(),
            });
        };
        let canonical = &self.action.schema.properties[index].name;
        match self.property(index) {
            Some(value) => T::from_value(value)
                .ok_or_else(|| ActionError::invalid(canonical, T::EXPECTED, value)),
            // Left out: only an Option may be absent.
            None => T::from_value(&Value::Null).ok_or_else(|| ActionError::MissingProperty {
                property: canonical.clone(),
            }),
        }
    }

    /// The property named `name` as text (numbers and booleans by their text).
    ///
    /// See the example on [`ActionCall::get_property`].
    pub fn text_property(&self, name: &str) -> Result<String, ActionError> {
        self.get_property(name)
    }

    /// The property named `name` as a number (numeric strings included).
    ///
    /// See the example on [`ActionCall::get_property`].
    pub fn number_property(&self, name: &str) -> Result<f64, ActionError> {
        self.get_property(name)
    }

    /// The property named `name` as a whole number.
    ///
    /// ```
    /// use studioflow::{ActionSchema, BranchId, Engine, PropertyKind, PropertySchema, RunOptions, Value};
    /// let engine = Engine::builder()
    ///     .register_action(
    ///         ActionSchema::new("Wait").property(PropertySchema::required("Seconds", PropertyKind::Expression)),
    ///         |call: &mut studioflow::ActionCall<'_>| {
    ///             let seconds = call.whole_property("Seconds")?; // 2.5 fails here
    ///             std::thread::sleep(std::time::Duration::from_secs(seconds.clamp(0, 60) as u64));
    ///             Ok(BranchId::DEFAULT)
    ///         },
    ///     )
    ///     .build();
    /// let script = engine.compile(
    ///     "start: Begin { Default -> w }\nw: Wait { Seconds = 2.5 Error -> done }\ndone: End",
    ///     "wait.script",
    /// ).unwrap();
    /// let run = engine.run(&script, RunOptions::default());
    /// assert_eq!(run.variables["_ERR"], Value::from("Seconds: expected a whole number, got 2.5"));
    /// ```
    pub fn whole_property(&self, name: &str) -> Result<i64, ActionError> {
        self.get_property(name)
    }

    /// The property named `name` as a list.
    ///
    /// See the example on [`ActionCall::get_property`].
    pub fn list_property(&self, name: &str) -> Result<Vec<Value>, ActionError> {
        self.get_property(name)
    }

    /// Writes the variable named by the output-variable property `name`.
    ///
    /// See the example on [`ActionCall::get_property`].
    pub fn set_output_named(&mut self, name: &str, value: Value) -> Result<(), ActionError> {
        let Some(index) = self.property_index(name) else {
            return Err(ActionError::UnknownProperty {
                action_type: self.action.type_name.to_string(),
                property: name.to_string(),
            });
        };
        self.set_output(index, value)
    }
}
