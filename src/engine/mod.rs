//! The embedding API: an [`Engine`] built once, then compiling and running
//! scripts from many threads.

mod simulate;

pub use simulate::{Responder, Simulation, SimulationError};

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use thiserror::Error;

use crate::action::{ActionHandler, ActionSchema};
use crate::compile::registry::{ActionRegistry, RegisteredAction};
use crate::compile::{CompileOptions, CompileSetup, Script};
use crate::diagnostics::{Diagnostics, SourceFile};
use crate::permissions::Directory;
use crate::runtime::convert::{native, HostFunction};
use crate::runtime::env::{RunEnv, RUN_STACK_BASE, RUN_STACK_PER_LEVEL};
use crate::runtime::functions::{builtins, FunctionDef, FunctionRegistry};
use crate::runtime::{
    Clock, Event, FunctionContext, Limits, NativeFunction, Outcome, PausedRun, ResumeError, Run,
    RunError, RunOptions, RuntimeError, SystemClock, Value,
};

/// Stack for parsing and compiling: room for MAX_NESTING levels of pest
/// recursion in a debug build, with a wide margin. Reserved, not committed:
/// pages are only touched as deep as the input nests.
const COMPILE_STACK_BYTES: usize = 64 * 1024 * 1024;

/// The engine's frozen configuration: what compiles (the action registry,
/// the resolver) and what a run reads (its [`RunEnv`]).
pub(crate) struct EngineInner {
    pub id: u64,
    pub actions: ActionRegistry,
    pub env: RunEnv,
    pub resolver: Option<Arc<dyn crate::ScriptResolver>>,
}

/// Compiles and runs scripts. Built by an [`EngineBuilder`], frozen once
/// built. `Engine` is `Send + Sync` and cheap to clone (one reference count):
/// clone it into each thread or task, no `Arc` needed.
///
/// ```
/// use studioflow::{Engine, RunOptions, Outcome, Value};
/// let engine = Engine::new();
/// let script = engine.compile(r#"
///   start: Begin { Default -> greet }
///   greet: Assign { Variable = Greeting  Value = "Hello {Name}"  Default -> done }
///   done: End
/// "#, "hello.script").unwrap();
/// let mut options = RunOptions::default();
/// options.variables.insert("Name".into(), Value::from("Ada"));
/// let run = engine.run(&script, options);
/// assert_eq!(run.outcome, Outcome::Completed);
/// assert_eq!(run.variables["Greeting"], Value::from("Hello Ada"));
/// ```
#[derive(Clone)]
pub struct Engine {
    inner: Arc<EngineInner>,
}

impl Default for Engine {
    fn default() -> Self {
        Engine::new()
    }
}

impl Engine {
    /// Every action type this engine compiles (the built-ins, a manifest's
    /// and a host's), as their schemas, sorted by name: what an editor
    /// completes and explains.
    ///
    /// ```
    /// let engine = studioflow::Engine::new();
    /// let assign = engine.action_schemas().find(|s| s.name == "Assign").unwrap();
    /// assert!(assign.properties.iter().any(|p| p.name == "Variable" && p.required));
    /// ```
    pub fn action_schemas(&self) -> impl Iterator<Item = &crate::ActionSchema> {
        let mut schemas: Vec<&crate::ActionSchema> = self
            .inner
            .actions
            .names()
            .filter_map(|name| self.inner.actions.lookup(name))
            .map(|action| &*action.schema)
            .collect();
        schemas.sort_by(|a, b| a.name.cmp(&b.name));
        schemas.into_iter()
    }

    /// Every function scripts can call, as (name, fewest arguments, most
    /// arguments), sorted by name.
    ///
    /// ```
    /// let engine = studioflow::Engine::new();
    /// let upper = engine.functions().find(|f| f.0 == "upper").unwrap();
    /// assert_eq!((upper.1, upper.2), (1, 1));
    /// ```
    pub fn functions(&self) -> impl Iterator<Item = (&str, usize, usize)> {
        let registry = &self.inner.env.functions;
        let mut all: Vec<(&str, usize, usize)> = registry
            .names()
            .filter_map(|name| {
                let signature = crate::program::Signatures::signature(registry, name)?;
                Some((signature.name, signature.min_args, signature.max_args))
            })
            .collect();
        all.sort_by(|a, b| a.0.cmp(b.0));
        all.into_iter()
    }

    /// The built-in actions and functions, an empty permission model
    /// ([`Directory::empty`]: no people, UTC) and the system clock. For the
    /// demo tenant, see [`Engine::demo`]; for your own, [`EngineBuilder::directory`].
    ///
    /// ```
    /// let engine = studioflow::Engine::new();
    /// assert!(engine.directory().agent(1001).is_none());
    /// ```
    pub fn new() -> Engine {
        Engine::builder().build()
    }

    /// [`Engine::new`] with the demo tenant ([`Directory::demo`]: seven
    /// people, among them `sysadmin`, and the Supervisor role; Denver time),
    /// what the command line runs with unless given `--directory`.
    ///
    /// ```
    /// let engine = studioflow::Engine::demo();
    /// assert_eq!(engine.directory().business_unit().name, "Demo Contact Center");
    /// assert!(engine.directory().agent(1001).is_some());
    /// ```
    pub fn demo() -> Engine {
        Engine::builder().directory(Directory::demo()).build()
    }

    /// Reads `path` (a regular UTF-8 file of at most
    /// [`crate::files::DEFAULT_MAX_INPUT_BYTES`]) and compiles it under its
    /// path, so the RunSub actions it holds find their scripts beside it.
    /// A file that cannot be read is one `unreadable-file` diagnostic.
    ///
    /// ```
    /// let engine = studioflow::Engine::new();
    /// let script = engine.compile_file("scripts/greeting.script").unwrap();
    /// assert_eq!(script.name(), "scripts/greeting.script");
    /// let missing = engine.compile_file("no/such.script").unwrap_err();
    /// assert!(missing.to_string().contains("no/such.script"), "{missing}");
    /// ```
    pub fn compile_file(&self, path: impl AsRef<std::path::Path>) -> Result<Script, Diagnostics> {
        let path = path.as_ref();
        let name = path.display().to_string();
        match crate::files::read_text(path, crate::files::DEFAULT_MAX_INPUT_BYTES) {
            Ok(text) => self.compile(&text, &name),
            Err(e) => {
                let diagnostic = crate::diagnostics::Diagnostic::new(
                    crate::diagnostics::DiagnosticCode::UnreadableFile,
                    crate::diagnostics::Span::new(0, 0),
                    e.to_string(),
                );
                Err(Diagnostics::new(
                    SourceFile::new(name, ""),
                    vec![diagnostic],
                ))
            }
        }
    }

    /// A builder starting from the built-ins, an empty permission model and the system clock.
    ///
    /// ```
    /// let engine = studioflow::Engine::builder().limits(studioflow::Limits::default().max_steps(50)).build();
    /// assert_eq!(engine.limits().max_steps, 50);
    /// ```
    pub fn builder() -> EngineBuilder {
        EngineBuilder::new()
    }

    /// Parses and checks `source`; `name` labels diagnostics (usually a path).
    ///
    /// ```
    /// let engine = studioflow::Engine::new();
    /// assert!(engine.compile("start: Begin", "ok.script").is_ok());
    /// assert!(engine.compile("start: Begin\nstart: End", "dup.script").is_err());
    /// ```
    pub fn compile(&self, source: &str, name: &str) -> Result<Script, Diagnostics> {
        self.compile_with(source, name, &CompileOptions::default())
    }

    /// [`Engine::compile`] with options (declared host inputs).
    ///
    /// ```
    /// use studioflow::{CompileOptions, Engine};
    /// let src = "start: Begin { Default -> a }\na: Assign { Variable = x Value = Tier Default -> b }\nb: End";
    /// let engine = Engine::new();
    /// assert_eq!(engine.compile(src, "s").unwrap().warnings().warnings().count(), 1);
    /// let options = CompileOptions { inputs: vec!["Tier".into()] };
    /// assert!(engine.compile_with(src, "s", &options).unwrap().warnings().is_empty());
    /// ```
    pub fn compile_with(
        &self,
        source: &str,
        name: &str,
        options: &CompileOptions,
    ) -> Result<Script, Diagnostics> {
        // pest's generated parser recurses once per nesting level with large
        // frames (especially in debug builds); nesting is bounded by the
        // pre-scan, and the parse and compile run on a stack segment sized for
        // that bound, so a host thread's own stack size never matters.
        stacker::grow(COMPILE_STACK_BYTES, || {
            let setup = CompileSetup {
                actions: &self.inner.actions,
                functions: &self.inner.env.functions,
                engine_id: self.inner.id,
                max_value_depth: self.inner.env.limits.max_value_depth,
                max_string_bytes: self.inner.env.limits.max_string_bytes,
                resolver: self.inner.resolver.as_deref(),
            };
            crate::compile::compile_script(&setup, source, name, options)
        })
    }

    /// Resumes a waiting run with an event: the waiting action takes it
    /// (digits, a timeout, time passing, an HTTP reply) or the event takes
    /// the run elsewhere (`answer` to OnAnswer, `hangup` to OnRelease).
    /// `script` must be the script the run paused in, compiled again if
    /// need be: every script of its call graph is checked against the
    /// pause's SHA-256. The run goes on with the pause's variables, step
    /// count, budgets and clock; `options` gives only how to watch it
    /// (trace, observers, cancel token, deadline, test mocks): its
    /// variables and step budget are not used.
    ///
    /// ```
    /// use studioflow::{Engine, Event, Outcome, RunOptions};
    /// let engine = Engine::new();
    /// let script = engine.compile(r#"
    ///     start: Begin { Default -> ask }
    ///     ask: Menu { Sequence = "Press 1 for sales" Case "1" -> sales Default -> done }
    ///     sales: Assign { Variable = team Value = "sales" Default -> done }
    ///     done: End
    /// "#, "menu.script").unwrap();
    /// let run = engine.run(&script, RunOptions::default());
    /// assert_eq!(run.outcome, Outcome::Waiting);
    /// let run = engine.resume(&script, *run.paused.unwrap(), Event::Digits("1".into())).unwrap();
    /// assert_eq!(run.variable("team").unwrap().to_text(), "sales");
    /// ```
    pub fn resume(
        &self,
        script: &Script,
        paused: PausedRun,
        event: Event,
    ) -> Result<Run, ResumeError> {
        self.resume_with(script, paused, event, RunOptions::default())
    }

    /// [`Engine::resume`] with options for watching the resumed part
    /// (trace, observers, cancel token, deadline, overrides).
    pub fn resume_with(
        &self,
        script: &Script,
        paused: PausedRun,
        event: Event,
        options: RunOptions,
    ) -> Result<Run, ResumeError> {
        if script.inner.engine_id != self.inner.id {
            return Err(ResumeError::OtherEngine);
        }
        let need = RUN_STACK_BASE + script.inner.max_expr_depth * RUN_STACK_PER_LEVEL;
        stacker::maybe_grow(need, need + (1 << 20), || {
            self.inner.env.resume(&script.inner, paused, event, options)
        })
    }

    /// Runs a compiled script to its end. A script compiled by another
    /// engine is refused with a stopped run (its registries may differ).
    ///
    /// ```
    /// use studioflow::{Engine, Outcome, RunOptions};
    /// let engine = Engine::new();
    /// let script = engine.compile("start: Begin { Default -> done }\ndone: End", "r.script").unwrap();
    /// let run = engine.run(&script, RunOptions::default().max_steps(1));
    /// assert_eq!(run.outcome, Outcome::Limit);
    /// ```
    pub fn run(&self, script: &Script, options: RunOptions) -> Run {
        if script.inner.engine_id != self.inner.id {
            return Run {
                outcome: Outcome::Stopped,
                end: None,
                error: Some(RunError {
                    action: String::new(),
                    message: "the script was compiled by another engine".into(),
                    kind: Outcome::Stopped,
                }),
                steps: 0,
                trace: options.trace.then(Vec::new),
                trace_omitted: 0,
                counts: None,
                returned: None,
                variables: crate::runtime::Variables::empty(),
                transcript: Vec::new(),
                transcript_omitted: 0,
                waiting: None,
                paused: None,
            };
        }
        // Evaluation recurses as deep as the script's deepest expression
        // (bounded by compile). Make sure that much stack is there before the
        // run starts — one check per run, not one per node — and otherwise
        // run on a fresh segment, whatever the host thread's stack size.
        let need = RUN_STACK_BASE + script.inner.max_expr_depth * RUN_STACK_PER_LEVEL;
        if stacker::remaining_stack().is_some_and(|free| free >= need) {
            self.inner.env.execute(&script.inner, options)
        } else {
            stacker::grow(need, || self.inner.env.execute(&script.inner, options))
        }
    }

    /// The permission model this engine's API actions use.
    ///
    /// ```
    /// let engine = studioflow::Engine::demo();
    /// assert!(engine.directory().agent(1001).is_some());
    /// assert!(studioflow::Engine::new().directory().agent(1001).is_none());
    /// ```
    pub fn directory(&self) -> &Directory {
        &self.inner.env.directory
    }

    /// The limits in force.
    ///
    /// ```
    /// assert_eq!(studioflow::Engine::new().limits(), studioflow::Limits::default());
    /// ```
    pub fn limits(&self) -> Limits {
        self.inner.env.limits
    }

    /// Calls a registered function directly (handy for tests and hosts).
    ///
    /// ```
    /// let engine = studioflow::Engine::new();
    /// let v = engine.call_function("upper", &["ab".into()]).unwrap();
    /// assert_eq!(v, studioflow::Value::from("AB"));
    /// ```
    pub fn call_function(&self, name: &str, args: &[Value]) -> Result<Value, RuntimeError> {
        let Some((_, def)) = self.inner.env.functions.lookup(name) else {
            return Err(RuntimeError::Host(format!("unknown function `{name}`")));
        };
        if args.len() < def.min_args || args.len() > def.max_args {
            return Err(RuntimeError::Host(format!(
                "{}() takes {} to {} arguments",
                def.name, def.min_args, def.max_args
            )));
        }
        let ctx = FunctionContext::new(
            &*self.inner.env.clock,
            self.inner.env.directory.business_unit().time_zone,
        );
        (def.func)(args, &ctx)
    }
}

/// Configures an [`Engine`]: actions, functions, limits, clock, permission model.
///
/// Registering a function under a name that is taken (a built-in such as
/// `upper`, or one registered before) is refused: [`EngineBuilder::try_build`]
/// returns the [`BuildError`] (and [`EngineBuilder::build`] panics with it), so
/// a host never silently changes what a script's `upper(x)` means. Replacing a
/// function is explicit:
/// [`EngineBuilder::replace_fn`].
///
/// ```
/// use studioflow::{ActionSchema, BranchId, BuildError, Engine, FixedClock, Value};
/// let engine = Engine::builder()
///     .clock(FixedClock::parse("2026-03-08T06:30:00Z").unwrap())
///     .register_fn("double", |x: f64| x * 2.0)
///     .register_action(
///         ActionSchema::new("Noop"),
///         |_call: &mut studioflow::ActionCall<'_>| Ok(BranchId::DEFAULT),
///     )
///     .build();
/// assert_eq!(engine.call_function("double", &[Value::from(21)]).unwrap(), Value::from(42));
///
/// let refused = Engine::builder().register_fn("upper", |s: String| s).try_build();
/// assert!(matches!(refused, Err(BuildError::FunctionExists { builtin: true, .. })));
/// ```
pub struct EngineBuilder {
    actions: ActionRegistry,
    functions: FunctionRegistry,
    /// Lower-cased names of the built-in functions, for the refusal message.
    /// The first configuration mistake, reported by `try_build`.
    error: Option<BuildError>,
    limits: Limits,
    clock: Arc<dyn Clock>,
    directory: Option<Directory>,
    resolver: Option<Arc<dyn crate::ScriptResolver>>,
}

/// A mistake in an [`EngineBuilder`]'s configuration, reported by
/// [`EngineBuilder::try_build`] (the first one made).
///
/// ```
/// use studioflow::{BuildError, Engine};
/// let error = Engine::builder().register_fn("Len", |s: String| s.len()).try_build().err().unwrap();
/// assert_eq!(error.to_string(), "function `Len` is built in; use `replace_fn` to replace it explicitly");
/// assert!(matches!(error, BuildError::FunctionExists { builtin: true, .. }));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum BuildError {
    /// `register_fn` under a name already taken
    /// (function names are case-insensitive).
    #[error(
        "function `{name}` is {}; use `replace_fn` to replace it explicitly",
        if *builtin { "built in" } else { "already registered" }
    )]
    FunctionExists {
        /// The name as given.
        name: String,
        /// Whether it names a built-in function.
        builtin: bool,
    },
    /// `replace_fn` of a name nothing is registered under.
    #[error("there is no function `{name}` to replace; use `register_fn`")]
    NoSuchFunction {
        /// The name as given.
        name: String,
    },
    /// A name a script could never call.
    #[error(
        "`{name}` is not a valid function name: a letter or `_`, then letters, digits, `_` or `$`, \
         and not true, false, null, and, or, not"
    )]
    InvalidFunctionName {
        /// The name as given.
        name: String,
    },
}

impl Default for EngineBuilder {
    fn default() -> Self {
        EngineBuilder::new()
    }
}

/// The built-in actions and functions, registered once per process; every
/// [`EngineBuilder`] starts from a copy (a short `studioflow run` builds two
/// engines' worth of registries otherwise, a tenth of its instructions).
struct BuiltinRegistries {
    actions: ActionRegistry,
    functions: FunctionRegistry,
}

impl BuiltinRegistries {
    fn get() -> &'static BuiltinRegistries {
        static BUILTINS: std::sync::OnceLock<BuiltinRegistries> = std::sync::OnceLock::new();
        BUILTINS.get_or_init(|| {
            let mut builder = EngineBuilder::empty();
            for f in builtins().into_iter().chain(crate::snippet::builtins()) {
                builder.functions.insert(f);
            }
            for (schema, handler) in crate::builtins::actions() {
                builder.add_action(schema, handler);
            }
            builder.actions.mark_builtins();
            builder
                .actions
                .set_opaque_handler(crate::builtins::not_simulated());
            BuiltinRegistries {
                actions: builder.actions,
                functions: builder.functions,
            }
        })
    }
}

impl EngineBuilder {
    /// Starts from the built-in actions and functions.
    ///
    /// ```
    /// let engine = studioflow::EngineBuilder::new().build();
    /// assert!(engine.compile("start: Begin", "b").is_ok());
    /// ```
    pub fn new() -> Self {
        let builtins = BuiltinRegistries::get();
        // Both registries are copy-on-write: these clones share the
        // built-in tables until a host registers something.
        EngineBuilder {
            actions: builtins.actions.clone(),
            functions: builtins.functions.clone(),
            ..EngineBuilder::empty()
        }
    }

    /// A builder with nothing registered (the built-ins are added to it once
    /// per process, by [`BuiltinRegistries::get`]).
    fn empty() -> Self {
        EngineBuilder {
            actions: ActionRegistry::default(),
            functions: FunctionRegistry::default(),
            error: None,
            limits: Limits::default(),
            clock: Arc::new(SystemClock),
            directory: None,
            resolver: None,
        }
    }

    /// Whether `name` is a built-in action type (case-insensitive), which a
    /// host cannot declare again without replacing it explicitly.
    ///
    /// ```
    /// assert!(studioflow::EngineBuilder::is_builtin_action("setsecurityuser"));
    /// assert!(!studioflow::EngineBuilder::is_builtin_action("Ping"));
    /// ```
    pub fn is_builtin_action(name: &str) -> bool {
        BuiltinRegistries::get().actions.lookup(name).is_some()
    }

    /// The canonical name of the built-in action named `name` (ignoring case).
    pub(crate) fn builtin_action_name(name: &str) -> Option<&'static str> {
        let found = BuiltinRegistries::get().actions.lookup(name)?;
        Some(found.schema.name.as_str())
    }

    /// Registers (or replaces) an action type.
    ///
    /// ```
    /// use studioflow::{ActionSchema, BranchId, Engine};
    /// let engine = Engine::builder()
    ///     .register_action(ActionSchema::new("Ping"), |_: &mut studioflow::ActionCall<'_>| Ok(BranchId::DEFAULT))
    ///     .build();
    /// assert!(engine.compile("start: Begin { Default -> p }\np: Ping", "p").is_ok());
    /// ```
    pub fn register_action(
        mut self,
        schema: ActionSchema,
        handler: impl ActionHandler + 'static,
    ) -> Self {
        self.add_action(schema, Arc::new(handler));
        self
    }

    /// Whether an action type of this name (compared case-insensitively) is registered.
    ///
    /// ```
    /// let builder = studioflow::EngineBuilder::new();
    /// assert!(builder.has_action("assign"));
    /// assert!(!builder.has_action("Notify"));
    /// ```
    pub fn has_action(&self, name: &str) -> bool {
        self.actions.lookup(name).is_some()
    }

    /// Registers an action type in place (the built-ins, a manifest's actions).
    pub(crate) fn add_action(&mut self, schema: ActionSchema, handler: Arc<dyn ActionHandler>) {
        self.actions.insert(RegisteredAction::new(schema, handler));
    }

    /// Registers a Rust function or closure with typed arguments, the way
    /// Rhai's `register_fn` does: the one way to register a function. The
    /// arity comes from the signature (a call with the wrong count is a
    /// `check` error); trailing `Option<T>` arguments may be left out; a
    /// function may take the call's [`FunctionContext`] first (the run's
    /// clock and time zone) — see [`HostFunction`]. Each argument converts by
    /// [`FromValue`](crate::FromValue) (a wrong type is a run-time error naming
    /// the function and argument, which takes the action's Error branch), and
    /// the result by [`IntoFunctionResult`](crate::IntoFunctionResult) (return
    /// a `Result` to fail with your own message). A name already taken is
    /// refused (see [`BuildError`]).
    ///
    /// ```
    /// use studioflow::{Engine, Outcome, RunOptions, Value};
    /// let engine = Engine::builder()
    ///     .register_fn("vat", |net: f64, rate_percent: f64| net * (1.0 + rate_percent / 100.0))
    ///     .register_fn("initials", |name: String| {
    ///         name.split_whitespace().filter_map(|w| w.chars().next()).collect::<String>()
    ///     })
    ///     .register_fn("queue_for", |tier: String| match tier.as_str() {
    ///         "gold" | "silver" => Ok(format!("{tier}-queue")),
    ///         other => Err(format!("no queue for tier {other:?}")),
    ///     })
    ///     .build();
    ///
    /// let script = engine.compile(r#"
    ///     start: Begin { Default -> price }
    ///     price: Assign { Variable = Gross  Value = vat(Net, 20)  Default -> who }
    ///     who: Assign { Variable = Tag  Value = "{initials("Ada Lovelace")}-{queue_for(Tier)}"  Default -> done  Error -> done }
    ///     done: End
    /// "#, "pricing.script").unwrap();
    ///
    /// let mut options = RunOptions::default();
    /// options.variables.insert("Net".into(), Value::from("50"));  // numeric text is a number
    /// options.variables.insert("Tier".into(), Value::from("bronze"));
    /// let run = engine.run(&script, options);
    /// assert_eq!(run.outcome, Outcome::Completed);
    /// assert_eq!(run.variables["Gross"], Value::from(60));
    /// assert_eq!(run.variables["_ERR"], Value::from(r#"Value: no queue for tier "bronze""#));
    ///
    /// // Arity is checked when the script compiles.
    /// let wrong = engine.compile("start: Begin { Default -> a }\na: Assign { Variable = x Value = vat(1) }", "w");
    /// assert!(wrong.unwrap_err().to_string().contains("vat"));
    /// ```
    pub fn register_fn<Args, F: HostFunction<Args>>(mut self, name: &str, func: F) -> Self {
        self.add_function(name, F::MIN_ARITY, F::ARITY, native(name, func), false);
        self
    }

    /// Replaces a registered function (a built-in included) on purpose with a
    /// typed one, as [`EngineBuilder::register_fn`] takes them; the name must
    /// already be registered.
    ///
    /// ```
    /// use studioflow::{BuildError, Engine, Value};
    /// let engine = Engine::builder().replace_fn("len", |s: String| s.len()).build(); // bytes, not characters
    /// assert_eq!(engine.call_function("len", &["né".into()]).unwrap(), Value::from(3));
    /// assert!(matches!(
    ///     Engine::builder().replace_fn("lenght", |s: String| s.len()).try_build(),
    ///     Err(BuildError::NoSuchFunction { .. })
    /// ));
    /// ```
    pub fn replace_fn<Args, F: HostFunction<Args>>(mut self, name: &str, func: F) -> Self {
        self.add_function(name, F::MIN_ARITY, F::ARITY, native(name, func), true);
        self
    }

    /// Registers (`replace: false`) or replaces a function, recording the
    /// first mistake for `try_build`.
    fn add_function(
        &mut self,
        name: &str,
        min_args: usize,
        max_args: usize,
        func: Arc<NativeFunction>,
        replace: bool,
    ) {
        if let Err(e) = self.check_function(name, min_args, max_args, replace) {
            self.error.get_or_insert(e);
            return;
        }
        self.functions.insert(FunctionDef {
            name: name.to_string(),
            min_args,
            max_args,
            func,
        });
    }

    fn check_function(
        &self,
        name: &str,
        min_args: usize,
        max_args: usize,
        replace: bool,
    ) -> Result<(), BuildError> {
        let callable = crate::syntax::is_identifier(name)
            && !["true", "false", "null", "and", "or", "not"]
                .iter()
                .any(|k| k.eq_ignore_ascii_case(name));
        if !callable {
            return Err(BuildError::InvalidFunctionName { name: name.into() });
        }
        debug_assert!(min_args <= max_args, "typed functions have min <= max");
        match (self.functions.lookup(name).is_some(), replace) {
            (true, false) => Err(BuildError::FunctionExists {
                name: name.into(),
                builtin: BuiltinRegistries::get().functions.lookup(name).is_some(),
            }),
            (false, true) => Err(BuildError::NoSuchFunction { name: name.into() }),
            _ => Ok(()),
        }
    }

    /// Sets the limits.
    ///
    /// ```
    /// let limits = studioflow::Limits::default().max_string_bytes(64);
    /// assert_eq!(studioflow::Engine::builder().limits(limits).build().limits().max_string_bytes, 64);
    /// ```
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Supplies the scripts that `RunSub` actions call (see
    /// [`crate::ScriptResolver`]); without one, a RunSub is a check error.
    ///
    /// ```
    /// let _engine = studioflow::Engine::builder()
    ///     .script_resolver(studioflow::FileResolver::new(16 << 20))
    ///     .build();
    /// ```
    pub fn script_resolver(mut self, resolver: impl crate::ScriptResolver + 'static) -> Self {
        self.resolver = Some(Arc::new(resolver));
        self
    }

    /// Sets the clock.
    ///
    /// ```
    /// let engine = studioflow::Engine::builder().clock(studioflow::FixedClock::parse("2026-01-01T00:00:00Z").unwrap()).build();
    /// // Shown in the business unit's time zone: UTC in the empty permission model.
    /// assert_eq!(engine.call_function("now", &[]).unwrap(), studioflow::Value::from("2026-01-01T00:00:00+00:00"));
    /// ```
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Sets the permission model ([`Directory::empty`] by default).
    ///
    /// ```
    /// let tenant = studioflow::permissions::Directory::demo();
    /// let engine = studioflow::Engine::builder().directory(tenant).build();
    /// assert_eq!(engine.directory().roles().len(), 5);
    /// ```
    pub fn directory(mut self, directory: Directory) -> Self {
        self.directory = Some(directory);
        self
    }

    /// Freezes the configuration into an engine, or reports the first
    /// configuration mistake (a function name already taken, a replacement
    /// of a function that does not exist, an uncallable name).
    ///
    /// ```
    /// use studioflow::{BuildError, Engine};
    /// let result = Engine::builder().register_fn("my fn", || 1).try_build();
    /// assert_eq!(result.err(), Some(BuildError::InvalidFunctionName { name: "my fn".into() }));
    /// assert!(Engine::builder().register_fn("triple", |x: f64| x * 3.0).try_build().is_ok());
    /// ```
    pub fn try_build(self) -> Result<Engine, BuildError> {
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        if let Some(error) = self.error {
            return Err(error);
        }
        Ok(Engine {
            inner: Arc::new(EngineInner {
                id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
                actions: self.actions,
                env: RunEnv {
                    functions: self.functions,
                    limits: self.limits,
                    clock: self.clock,
                    directory: self.directory.unwrap_or_else(Directory::empty),
                },
                resolver: self.resolver,
            }),
        })
    }

    /// Freezes the configuration into an engine.
    ///
    /// # Panics
    ///
    /// On a configuration mistake (see [`EngineBuilder::try_build`], which
    /// returns it instead): a host's own code is wrong, like registering a
    /// function over `upper` without saying so.
    ///
    /// ```
    /// let engine = studioflow::Engine::builder().build();
    /// assert_eq!(engine.limits().max_steps, 10_000);
    /// ```
    ///
    /// ```should_panic
    /// // panics: function `upper` is built in; use `replace_fn` ...
    /// studioflow::Engine::builder().register_fn("upper", |s: String| s).build();
    /// ```
    pub fn build(self) -> Engine {
        match self.try_build() {
            Ok(engine) => engine,
            Err(error) => panic!("EngineBuilder::build: {error}"),
        }
    }
}
