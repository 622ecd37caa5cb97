//! The shape of a compiled script as data: its actions and the branches
//! written between them, with their places in the source.
//!
//! Pictures (`graph`, run reports), branch coverage and test mocks all read
//! this one description instead of re-parsing text. A step of a run names
//! the branch it took by its index here ([`crate::TraceStep::edge`]), so a
//! consumer can count taken branches exactly, `Case` labels included.

use std::sync::Arc;

use crate::diagnostics::Span;

/// What kind of action a node is, for drawing and reporting.
///
/// ```
/// use studioflow::{ActionKind, Engine};
/// let script = Engine::new()
///     .compile("start: Begin { Default -> ask }\nask: If { Expression = true True -> done }\ndone: End", "k.script")
///     .unwrap();
/// let kinds: Vec<ActionKind> = script.flow().iter().map(|a| a.kind).collect();
/// assert_eq!(kinds, [ActionKind::Entry, ActionKind::Decision, ActionKind::Terminal]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActionKind {
    /// Where execution starts (`Begin`).
    Entry,
    /// Ends the script (`End`).
    Terminal,
    /// Chooses among its own branches (`If`, `Case`, `Loop`).
    Decision,
    /// A built-in action that can fail for reasons outside the script
    /// (`SetSecurityUser`, the Role and Agent API actions).
    Api,
    /// An action type registered by the host (not built in).
    Host,
    /// Any other built-in action (`Assign`).
    Plain,
}

impl ActionKind {
    /// A lower-case word for the kind, as used in CSS classes and JSON.
    ///
    /// ```
    /// assert_eq!(studioflow::ActionKind::Api.name(), "api");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            ActionKind::Entry => "entry",
            ActionKind::Terminal => "terminal",
            ActionKind::Decision => "decision",
            ActionKind::Api => "api",
            ActionKind::Host => "host",
            ActionKind::Plain => "plain",
        }
    }
}

/// One action of a compiled script, as written.
///
/// ```
/// let script = studioflow::Engine::new()
///     .compile("start: Begin { Default -> who }\nwho: SetSecurityUser \"Pick\" { Agent = \"sysadmin\" Default -> done }\ndone: End\nlost: End", "f.script")
///     .unwrap();
/// let who = &script.flow()[1];
/// assert_eq!((&*who.id, &*who.action_type, &*who.caption), ("who", "SetSecurityUser", "Pick"));
/// assert!(who.error_unconnected, "an API action with no Error branch is flagged");
/// assert!(!script.flow()[3].reachable);
/// let (line, column) = script.source().line_col(who.id_span.start);
/// assert_eq!((line, column), (2, 1));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowAction {
    /// The action id.
    pub id: Arc<str>,
    /// The canonical action type (`SetSecurityUser`).
    pub action_type: Arc<str>,
    /// The caption, or the action type when none was written.
    pub caption: Arc<str>,
    /// Whether a caption was written in the source.
    pub caption_written: bool,
    /// What kind of node this is.
    pub kind: ActionKind,
    /// Reachable from `Begin` along written branches.
    pub reachable: bool,
    /// The action can fail for outside reasons but has no Error branch
    /// connected (the `check` warning).
    pub error_unconnected: bool,
    /// The whole action in the source.
    pub span: Span,
    /// The action id in the source.
    pub id_span: Span,
    /// The branches written in the action, in source order.
    pub branches: Vec<FlowBranch>,
}

/// One branch written in an action: `Name -> target` or `Case "label" -> target`.
///
/// ```
/// let script = studioflow::Engine::new()
///     .compile("start: Begin { Default -> pick }\npick: Case { Value = 1 Case \"1\" -> done Default -> done }\ndone: End", "b.script")
///     .unwrap();
/// let branches = &script.flow()[1].branches;
/// assert_eq!(&*branches[0].name, "Case");
/// assert_eq!(branches[0].label.as_deref(), Some("1"));
/// assert_eq!(&*branches[0].taken_name, "Case \"1\"");
/// assert_eq!(branches[0].target, 2);
/// assert!(!branches[0].is_error());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowBranch {
    /// The canonical branch name from the action's schema (`Default`,
    /// `Error`, `True`, `Case`, ...).
    pub name: Arc<str>,
    /// The label of a labeled branch (`Case "gold"` → `gold`), as the
    /// action compares it.
    pub label: Option<Arc<str>>,
    /// The name a run's trace gives this branch when taken (`Default`,
    /// `Case "gold"`).
    pub taken_name: Arc<str>,
    /// Index of the target action in [`crate::Script::flow`].
    pub target: usize,
    /// The branch name in the source.
    pub span: Span,
}

impl FlowBranch {
    /// True for the `Error` branch.
    ///
    /// ```
    /// let script = studioflow::Engine::new()
    ///     .compile("start: Begin { Default -> done Error -> done }\ndone: End", "e.script")
    ///     .unwrap();
    /// let errors: Vec<bool> = script.flow()[0].branches.iter().map(|b| b.is_error()).collect();
    /// assert_eq!(errors, [false, true]);
    /// ```
    pub fn is_error(&self) -> bool {
        self.label.is_none() && &*self.name == "Error"
    }
}
