//! The embedding API: an [`Engine`] built once, then compiling and running
//! scripts from many threads.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::action::{ActionHandler, ActionSchema};
use crate::compile::registry::{ActionRegistry, RegisteredAction};
use crate::compile::{CompileOptions, Compiler, Script};
use crate::diagnostics::{Diagnostics, SourceFile};
use crate::permissions::Directory;
use crate::runtime::functions::{builtins, FunctionDef, FunctionRegistry};
use crate::runtime::{
    Clock, FunctionContext, Outcome, Run, RunError, RunOptions, RuntimeError, StopKind,
    SystemClock, Value,
};

/// Bounds on what one run may do.
///
/// ```
/// let limits = studioflow::Limits::default();
/// assert_eq!(limits.max_steps, 10_000);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Executed actions per run before it stops with a limit error.
    pub max_steps: u64,
    /// The longest string (bytes) an expression may build.
    pub max_string_bytes: usize,
    /// The most elements a list or object an expression builds may hold,
    /// counting the elements of nested lists and objects.
    pub max_list_len: usize,
    /// The deepest nesting of lists and objects an expression may build.
    pub max_value_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_steps: 10_000,
            max_string_bytes: 1 << 20,
            max_list_len: 100_000,
            max_value_depth: 64,
        }
    }
}

/// Stack for parsing and compiling: room for MAX_NESTING levels of pest
/// recursion in a debug build, with a wide margin. Reserved, not committed:
/// pages are only touched as deep as the input nests.
const COMPILE_STACK_BYTES: usize = 64 * 1024 * 1024;

/// Stack a run needs besides expression evaluation: handlers, the model, serde.
const RUN_STACK_BASE: usize = 256 * 1024;
/// Stack per level of expression nesting, generous enough for debug builds.
const RUN_STACK_PER_LEVEL: usize = 16 * 1024;

pub(crate) struct EngineInner {
    pub id: u64,
    pub actions: ActionRegistry,
    pub functions: FunctionRegistry,
    pub limits: Limits,
    pub clock: Arc<dyn Clock>,
    pub directory: Directory,
}

/// Compiles and runs scripts. Built by an [`EngineBuilder`], frozen once
/// built, cheap to clone and share between threads.
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
    /// The built-in actions and functions, the demo tenant and the system clock.
    ///
    /// ```
    /// let engine = studioflow::Engine::new();
    /// assert_eq!(engine.directory().business_unit().name, "Demo Contact Center");
    /// ```
    pub fn new() -> Engine {
        Engine::builder().build()
    }

    /// A builder starting from the built-ins, the demo tenant and the system clock.
    ///
    /// ```
    /// let engine = studioflow::Engine::builder().limits(studioflow::Limits { max_steps: 50, ..Default::default() }).build();
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
            let file = SourceFile::new(name, source);
            let ast = crate::syntax::parse_script(source)
                .map_err(|d| Diagnostics::new(file.clone(), vec![d]))?;
            Compiler {
                actions: &self.inner.actions,
                functions: &self.inner.functions,
                engine_id: self.inner.id,
                max_value_depth: self.inner.limits.max_value_depth,
            }
            .compile(&ast, file, options)
        })
    }

    /// Runs a compiled script to its end. A script compiled by another
    /// engine is refused with a stopped run (its registries may differ).
    ///
    /// ```
    /// use studioflow::{Engine, Outcome, RunOptions};
    /// let engine = Engine::new();
    /// let script = engine.compile("start: Begin { Default -> done }\ndone: End", "r.script").unwrap();
    /// let run = engine.run(&script, RunOptions { max_steps: Some(1), ..Default::default() });
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
                    kind: StopKind::Action,
                }),
                steps: 0,
                trace: options.trace.then(Vec::new),
                variables: crate::runtime::Variables::empty(),
            };
        }
        // Evaluation recurses as deep as the script's deepest expression
        // (bounded by compile). Make sure that much stack is there before the
        // run starts — one check per run, not one per node — and otherwise
        // run on a fresh segment, whatever the host thread's stack size.
        let need = RUN_STACK_BASE + script.inner.max_expr_depth * RUN_STACK_PER_LEVEL;
        if stacker::remaining_stack().is_some_and(|free| free >= need) {
            self.inner.execute(&script.inner, options)
        } else {
            stacker::grow(need, || self.inner.execute(&script.inner, options))
        }
    }

    /// The permission model this engine's API actions use.
    ///
    /// ```
    /// let engine = studioflow::Engine::new();
    /// assert!(engine.directory().agent(1001).is_some());
    /// ```
    pub fn directory(&self) -> &Directory {
        &self.inner.directory
    }

    /// The limits in force.
    ///
    /// ```
    /// assert_eq!(studioflow::Engine::new().limits(), studioflow::Limits::default());
    /// ```
    pub fn limits(&self) -> Limits {
        self.inner.limits
    }

    /// Calls a registered function directly (handy for tests and hosts).
    ///
    /// ```
    /// let engine = studioflow::Engine::new();
    /// let v = engine.call_function("upper", &["ab".into()]).unwrap();
    /// assert_eq!(v, studioflow::Value::from("AB"));
    /// ```
    pub fn call_function(&self, name: &str, args: &[Value]) -> Result<Value, RuntimeError> {
        let Some((_, def)) = self.inner.functions.lookup(name) else {
            return Err(RuntimeError::Host(format!("unknown function `{name}`")));
        };
        if args.len() < def.min_args || args.len() > def.max_args {
            return Err(RuntimeError::Host(format!(
                "{}() takes {} to {} arguments",
                def.name, def.min_args, def.max_args
            )));
        }
        let ctx = FunctionContext::new(
            &*self.inner.clock,
            self.inner.directory.business_unit().time_zone,
        );
        (def.func)(args, &ctx)
    }
}

/// Configures an [`Engine`]: actions, functions, limits, clock, permission model.
///
/// ```
/// use studioflow::{ActionSchema, BranchId, Engine, FixedClock, PropertyKind, PropertySchema, Value};
/// let engine = Engine::builder()
///     .clock(FixedClock::parse("2026-03-08T06:30:00Z").unwrap())
///     .register_function("double", 1, 1, |args, _| {
///         Ok(Value::from(args[0].as_number().unwrap_or(0.0) * 2.0))
///     })
///     .register_action(
///         ActionSchema::new("Noop"),
///         |_call: &mut studioflow::ActionCall<'_>| Ok(BranchId::DEFAULT),
///     )
///     .build();
/// assert_eq!(engine.call_function("double", &[Value::from(21.0)]).unwrap(), Value::from(42.0));
/// ```
pub struct EngineBuilder {
    actions: ActionRegistry,
    functions: FunctionRegistry,
    limits: Limits,
    clock: Arc<dyn Clock>,
    directory: Option<Directory>,
}

impl Default for EngineBuilder {
    fn default() -> Self {
        EngineBuilder::new()
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
        let mut builder = EngineBuilder {
            actions: ActionRegistry::default(),
            functions: FunctionRegistry::default(),
            limits: Limits::default(),
            clock: Arc::new(SystemClock),
            directory: None,
        };
        for f in builtins() {
            builder.functions.insert(f);
        }
        crate::actions::register_builtins(&mut builder);
        builder.actions.mark_builtins();
        builder
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

    /// Registers an action type in place (used for the built-ins).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use studioflow::{ActionSchema, BranchId, EngineBuilder};
    /// let mut builder = EngineBuilder::new();
    /// builder.add_action(ActionSchema::new("Ping"), Arc::new(|_: &mut studioflow::ActionCall<'_>| Ok(BranchId::DEFAULT)));
    /// assert!(builder.build().compile("start: Begin { Default -> p }\np: Ping", "p").is_ok());
    /// ```
    pub fn add_action(&mut self, schema: ActionSchema, handler: Arc<dyn ActionHandler>) {
        self.actions.insert(RegisteredAction::new(schema, handler));
    }

    /// Registers (or replaces) an expression function taking `min_args..=max_args` arguments.
    ///
    /// ```
    /// let engine = studioflow::Engine::builder().register_function("answer", 0, 0, |_, _| Ok(42.0.into())).build();
    /// assert_eq!(engine.call_function("ANSWER", &[]).unwrap(), studioflow::Value::from(42.0));
    /// ```
    pub fn register_function(
        mut self,
        name: &str,
        min_args: usize,
        max_args: usize,
        func: impl Fn(&[Value], &FunctionContext<'_>) -> Result<Value, RuntimeError>
            + Send
            + Sync
            + 'static,
    ) -> Self {
        self.functions.insert(FunctionDef {
            name: name.to_string(),
            min_args,
            max_args,
            func: Arc::new(func),
        });
        self
    }

    /// Sets the limits.
    ///
    /// ```
    /// let limits = studioflow::Limits { max_string_bytes: 64, ..Default::default() };
    /// assert_eq!(studioflow::Engine::builder().limits(limits).build().limits().max_string_bytes, 64);
    /// ```
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Sets the clock.
    ///
    /// ```
    /// let engine = studioflow::Engine::builder().clock(studioflow::FixedClock::parse("2026-01-01T00:00:00Z").unwrap()).build();
    /// assert_eq!(engine.call_function("now", &[]).unwrap(), studioflow::Value::from("2025-12-31T17:00:00-07:00"));
    /// ```
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Sets the permission model (the demo tenant by default).
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

    /// Freezes the configuration into an engine.
    ///
    /// ```
    /// let engine = studioflow::Engine::builder().build();
    /// assert_eq!(engine.limits().max_steps, 10_000);
    /// ```
    pub fn build(self) -> Engine {
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        Engine {
            inner: Arc::new(EngineInner {
                id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
                actions: self.actions,
                functions: self.functions,
                limits: self.limits,
                clock: self.clock,
                directory: self.directory.unwrap_or_else(Directory::demo),
            }),
        }
    }
}
