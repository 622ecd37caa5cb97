//! The compiled script: its actions with their properties and branches,
//! its variables, and its subscripts. Compile builds it; the run loop only
//! indexes it.

use std::collections::HashMap;
use std::sync::Arc;

use super::code::{Code, VarId};
use super::flow::FlowAction;
use super::handler::Handler;
use super::schema::{ActionSchema, BranchId, ScriptType, LABEL_BASE};
use crate::diagnostics::{Diagnostics, SourceFile};
use crate::runtime::Value;

/// A compiled script: immutable, `Send + Sync`, cheap to clone (shared).
///
/// ```
/// let engine = studioflow::Engine::new();
/// let script = engine.compile("start: Begin { Default -> done }\ndone: End", "a.script").unwrap();
/// assert_eq!(script.name(), "a.script");
/// assert_eq!(script.action_count(), 2);
/// let copy = script.clone(); // shares the compiled form
/// std::thread::spawn(move || copy.action_count()).join().unwrap();
/// ```
#[derive(Clone)]
pub struct Script {
    pub(crate) inner: Arc<ScriptInner>,
}

pub(crate) struct ScriptInner {
    pub engine_id: u64,
    pub name: String,
    pub title: Option<String>,
    pub script_type: ScriptType,
    pub actions: Box<[CompiledAction]>,
    pub entry: u32,
    pub var_names: Box<[Arc<str>]>,
    /// Variable ids in name order, for sorted output without a sort per run.
    pub vars_by_name: Box<[u32]>,
    pub var_index: HashMap<String, VarId>,
    pub err_var: VarId,
    /// The height of the deepest expression, to size the run's stack.
    pub max_expr_depth: usize,
    /// "Error", for the trace of a terminal action that failed (it has no branches).
    pub error_branch: Arc<str>,
    pub warnings: Diagnostics,
    /// The script's shape as data, index-aligned with `actions`.
    pub flow: Box<[FlowAction]>,
    /// Snippet code's user functions (`FUNCTION f(a) { }`), shared by every
    /// Snippet action of the script.
    pub snippet_functions: Box<[crate::snippet::program::UserFunction]>,
    /// The scripts RunSub actions call (units 1..; unit 0 is this script).
    /// Only the script that was compiled holds them; a subscript's own list
    /// is empty and its RunSubs index this one.
    pub subscripts: Box<[Arc<ScriptInner>]>,
    /// How traces and errors name this script when it runs as a subscript.
    pub label: Arc<str>,
    /// Begin's Parameters: names for p1, p2, ...
    pub param_names: Box<[Arc<str>]>,
    /// Variables written as `global:name`, shared with a calling script.
    pub global_names: Box<[Arc<str>]>,
    /// The event actions (the first OnAnswer, the OnRelease), found at
    /// compile time so that a run that diverts to one (or an End that
    /// asks whether there is one) never searches for it.
    pub on_answer: Option<u32>,
    pub on_release: Option<u32>,
    /// The SHA-256 of the source text: the script's identity in a paused
    /// run (computed at the first pause, not by every compile).
    pub source_sha256: std::sync::OnceLock<[u8; 32]>,
}

impl ScriptInner {
    /// Unit `i` of the call graph this script is the root of.
    pub(crate) fn unit(&self, i: u32) -> &ScriptInner {
        match i {
            0 => self,
            n => &self.subscripts[n as usize - 1],
        }
    }
}

impl Script {
    /// The name given to `compile` (usually the file path).
    ///
    /// ```
    /// let s = studioflow::Engine::new().compile("start: Begin", "n.script").unwrap();
    /// assert_eq!(s.name(), "n.script");
    /// ```
    pub fn name(&self) -> &str {
        &self.inner.name
    }
    /// The title from the `script "..."` header, if any.
    ///
    /// ```
    /// let s = studioflow::Engine::new().compile("script \"Lookup\" type Chat\nstart: Begin", "t.script").unwrap();
    /// assert_eq!(s.title(), Some("Lookup"));
    /// assert_eq!(s.script_type(), studioflow::ScriptType::Chat);
    /// ```
    pub fn title(&self) -> Option<&str> {
        self.inner.title.as_deref()
    }
    /// The script type from the header (Generic by default).
    ///
    /// ```
    /// let s = studioflow::Engine::new().compile("start: Begin", "t").unwrap();
    /// assert_eq!(s.script_type(), studioflow::ScriptType::Generic);
    /// ```
    pub fn script_type(&self) -> ScriptType {
        self.inner.script_type
    }
    /// How many actions it has.
    ///
    /// ```
    /// assert_eq!(studioflow::Engine::new().compile("start: Begin", "c").unwrap().action_count(), 1);
    /// ```
    pub fn action_count(&self) -> usize {
        self.inner.actions.len()
    }
    /// The warnings of the successful compile.
    ///
    /// ```
    /// let s = studioflow::Engine::new().compile("start: Begin\nlost: End", "w").unwrap();
    /// assert!(s.warnings().items()[0].message.contains("unreachable"));
    /// ```
    pub fn warnings(&self) -> &Diagnostics {
        &self.inner.warnings
    }
    /// The ids of its actions, in source order.
    ///
    /// ```
    /// let s = studioflow::Engine::new().compile("start: Begin { Default -> done }\ndone: End", "i.script").unwrap();
    /// assert_eq!(s.action_ids().collect::<Vec<_>>(), ["start", "done"]);
    /// ```
    pub fn action_ids(&self) -> impl Iterator<Item = &str> {
        self.inner.actions.iter().map(|a| &*a.id)
    }
    /// The actions and the branches written between them, in source order,
    /// for pictures, coverage and mocks.
    ///
    /// ```
    /// let script = studioflow::Engine::new()
    ///     .compile("start: Begin { Default -> done }\ndone: End", "f.script")
    ///     .unwrap();
    /// let start = &script.flow()[0];
    /// assert_eq!(&*start.branches[0].name, "Default");
    /// assert_eq!(&*script.flow()[start.branches[0].target].id, "done");
    /// ```
    pub fn flow(&self) -> &[FlowAction] {
        &self.inner.flow
    }
    /// The index in [`Script::flow`] of the action with this id (ids are case-sensitive).
    ///
    /// ```
    /// let script = studioflow::Engine::new().compile("start: Begin { Default -> done }\ndone: End", "i").unwrap();
    /// assert_eq!(script.action_index("done"), Some(1));
    /// assert_eq!(script.action_index("Done"), None);
    /// ```
    pub fn action_index(&self, id: &str) -> Option<usize> {
        self.inner.actions.iter().position(|a| &*a.id == id)
    }
    /// The source text the script was compiled from, with its name, for
    /// turning spans into lines and columns.
    ///
    /// ```
    /// let script = studioflow::Engine::new().compile("start: Begin", "s.script").unwrap();
    /// assert_eq!(script.source().name(), "s.script");
    /// assert_eq!(script.source().line_col(script.flow()[0].id_span.start), (1, 1));
    /// ```
    pub fn source(&self) -> &SourceFile {
        self.inner.warnings.source()
    }
}

impl Script {
    /// For a RunSub action (by index, as in [`Script::flow`]): the script it
    /// calls, as its ScriptName names it and as the resolver resolved it
    /// (a path for files). `None` for every other action.
    ///
    /// ```
    /// let mut scripts = studioflow::MemoryResolver::default();
    /// scripts.insert("lookup", "start: Begin { Default -> r }\nr: Return");
    /// let engine = studioflow::Engine::builder().script_resolver(scripts).build();
    /// let s = engine.compile("start: Begin { Default -> c }\nc: RunSub { ScriptName = lookup }", "main").unwrap();
    /// assert_eq!(s.subscript_of(1), Some(("lookup", "lookup")));
    /// assert_eq!(s.subscript_of(0), None);
    /// ```
    pub fn subscript_of(&self, action: usize) -> Option<(&str, &str)> {
        let a = self.inner.actions.get(action)?;
        a.properties.iter().find_map(|p| match p {
            PropSlot::Subscript(unit, written) => {
                let target = self.inner.unit(*unit);
                Some((written.as_str().unwrap_or(""), target.name.as_str()))
            }
            _ => None,
        })
    }
}

impl Script {
    /// Every script this one calls, directly or through other subscripts,
    /// each once, as the resolver named it (a path for files): the files a
    /// command read besides the script itself.
    ///
    /// ```
    /// let mut scripts = studioflow::MemoryResolver::default();
    /// scripts.insert("lookup", "start: Begin { Default -> r }\nr: Return");
    /// let engine = studioflow::Engine::builder().script_resolver(scripts).build();
    /// let s = engine.compile("start: Begin { Default -> c }\nc: RunSub { ScriptName = lookup }", "main").unwrap();
    /// assert_eq!(s.subscript_names().collect::<Vec<_>>(), ["lookup"]);
    /// ```
    pub fn subscript_names(&self) -> impl Iterator<Item = &str> {
        self.inner.subscripts.iter().map(|unit| unit.name.as_str())
    }
}

impl std::fmt::Debug for Script {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Script")
            .field("name", &self.inner.name)
            .field("actions", &self.inner.actions.len())
            .finish()
    }
}

/// A property after compile.
#[derive(Debug, Clone)]
pub(crate) enum PropSlot {
    /// Not written and no default.
    Absent,
    /// A literal or a Name.
    Const(Value),
    /// An expression evaluated on every execution, and where its value is
    /// kept for the step: the action's `k`-th evaluated property.
    Code(Code, u32),
    /// A variable name resolved to its slot; the value is its name.
    Var(VarId, Value),
    /// Compiled Snippet code.
    Snippet(Arc<crate::snippet::program::Program>),
    /// A RunSub's script: its unit in the call graph, and its name as written.
    Subscript(u32, Value),
}

pub(crate) struct CompiledAction {
    pub id: Arc<str>,
    pub type_name: Arc<str>,
    pub caption: Arc<str>,
    pub handler: Handler,
    pub terminal: bool,
    pub properties: Box<[PropSlot]>,
    /// The slots from the first expression property to the last (empty
    /// when there is none): what a step evaluates (each expression's value
    /// is the `k`-th of the step's: see [`PropSlot::Code`]). A range, not a
    /// list: compiled actions allocate nothing for it.
    pub expression_slots: std::ops::Range<u32>,
    /// The action type's schema (shared with the registry).
    pub schema: Arc<ActionSchema>,
    /// Indexed by branch id number: 0 Default, 1 Error, 2.. own branches.
    pub targets: Box<[Option<u32>]>,
    pub branch_names: Arc<[Arc<str>]>,
    /// Labeled branches (`Case "x" -> y`) in source order.
    pub labels: Box<[Arc<str>]>,
    /// Per labeled branch, in the order of `labels`: where it leads.
    pub label_branches: Box<[LabelBranch]>,
    /// Per branch id number: the index of the written branch in the flow
    /// description (`None` when not written).
    pub target_edges: Box<[Option<u32>]>,
    /// A property has a closed set of words, checked on every run.
    pub checks_choices: bool,
    /// Registered by the host (not a built-in): it may block, so the run
    /// reads the clock after it (issue 17 item 18).
    pub host: bool,
}

impl CompiledAction {
    /// The target of a branch id and the branch name actually taken after
    /// the fallback to Default.
    #[inline(always)]
    pub fn follow(&self, branch: BranchId) -> Option<Followed<'_>> {
        let n = branch.0;
        if n & LABEL_BASE != 0 {
            let i = (n & !LABEL_BASE) as usize;
            let label = self.label_branches.get(i)?;
            return Some(match label.target {
                Some(t) => Followed {
                    target: Some(t),
                    name: &label.taken_name,
                    edge: Some(label.edge),
                },
                None => self.fallback(),
            });
        }
        let target = *self.targets.get(n as usize)?;
        Some(match target {
            Some(t) => Followed {
                target: Some(t),
                name: &self.branch_names[n as usize],
                edge: self.target_edges[n as usize],
            },
            None => self.fallback(),
        })
    }

    /// Default, connected or not: where an unconnected branch leads.
    fn fallback(&self) -> Followed<'_> {
        Followed {
            target: self.targets[0],
            name: &self.branch_names[0],
            edge: self.target_edges[0],
        }
    }
}

/// A labeled branch (`Case "x" -> y`) of a compiled action.
#[derive(Debug)]
pub(crate) struct LabelBranch {
    /// The next action (`None` only while a compile fails).
    pub target: Option<u32>,
    /// The branch name a trace shows: `Case "x"`.
    pub taken_name: Arc<str>,
    /// Its index in the action's flow branches.
    pub edge: u32,
}

/// Where a branch leads once the fallback to Default is applied.
pub(crate) struct Followed<'a> {
    /// The next action; `None` ends the script.
    pub target: Option<u32>,
    /// The branch name actually taken.
    pub name: &'a Arc<str>,
    /// The written branch taken, as an index into the action's flow branches.
    pub edge: Option<u32>,
}
