//! The flow model a picture is drawn from: built from a compiled
//! [`Script`], never from source text.

use crate::{ActionKind, Script, ScriptUnit};

/// What an action is, for its shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NodeKind {
    /// `Begin`: where a run starts.
    Entry,
    /// An event action (`OnAnswer`, `OnRelease`): where a run goes on when
    /// its event fires, an entry point of its own.
    Event,
    /// `End` and other terminal actions.
    Terminal,
    /// An action that chooses among its own branches (`If`, `Case`, `Loop`).
    Decision,
    /// A Role or Agent API action or `SetSecurityUser`: can fail for reasons outside the script.
    Api,
    /// An action a host registered.
    Host,
    /// `RunSub`: runs a subscript (drawn linked to it).
    Call,
    /// Any other built-in action (`Assign`).
    Plain,
}

impl NodeKind {
    /// The lower-case word used in CSS classes and legends.
    pub fn name(self) -> &'static str {
        match self {
            NodeKind::Entry => "entry",
            NodeKind::Event => "event",
            NodeKind::Terminal => "terminal",
            NodeKind::Decision => "decision",
            NodeKind::Api => "api",
            NodeKind::Host => "host",
            NodeKind::Call => "call",
            NodeKind::Plain => "plain",
        }
    }
}

/// The action types that start a run's path when their event fires.
fn is_event_type(action_type: &str) -> bool {
    matches!(action_type, "OnAnswer" | "OnRelease")
}

/// One action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowNode {
    /// The action id.
    pub id: String,
    /// The canonical action type.
    pub action_type: String,
    /// The caption (the type when none was written).
    pub caption: String,
    /// Its shape.
    pub kind: NodeKind,
    /// False when Begin cannot reach it (drawn greyed).
    pub reachable: bool,
    /// An action that can fail from outside (API) whose Error branch is not connected.
    pub error_unconnected: bool,
    /// 1-based line of the action in its file.
    pub line: usize,
    /// For a RunSub: the subscript it calls, as its ScriptName names it
    /// and as resolved (the file path), and its unit index in the call graph.
    pub subscript: Option<SubscriptLink>,
}

impl SubscriptLink {
    /// The subscript's file as a link relative to the calling script's
    /// folder (where RunSub resolves it): `./shared/format_money.script`.
    ///
    /// The link never carries a scheme (a file named
    /// `javascript:alert(1).script` must not become a `javascript:` link):
    /// it starts with `./` and every byte but ASCII letters, digits,
    /// `-._~` and the `/` between folders is percent-encoded.
    ///
    /// ```
    /// use studioflow::graph::SubscriptLink;
    /// let link = SubscriptLink { label: "shared/lookup".into(), name: "x/shared/lookup.script".into(), unit: 1 };
    /// assert_eq!(link.file_href(), "./shared/lookup.script");
    /// let evil = SubscriptLink { label: "javascript:alert(1)".into(), name: String::new(), unit: 1 };
    /// assert_eq!(evil.file_href(), "./javascript%3Aalert%281%29.script");
    /// ```
    pub fn file_href(&self) -> String {
        let file = if self.label.ends_with(".script") {
            self.label.clone()
        } else {
            format!("{}.script", self.label)
        };
        let mut out = String::with_capacity(file.len() + 2);
        out.push_str("./");
        for byte in file.bytes() {
            if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~' | b'/') {
                out.push(byte as char);
            } else {
                out.push_str(&format!("%{byte:02X}"));
            }
        }
        out
    }
}

/// Where a RunSub node leads: the subscript it calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptLink {
    /// The subscript as traces name it (the ScriptName written).
    pub label: String,
    /// The resolved name: the file path for scripts read from files.
    pub name: String,
    /// Its index in [`Script::units`].
    pub unit: usize,
}

/// One written branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowEdge {
    /// Index of the source node.
    pub from: usize,
    /// Index of the target node.
    pub to: usize,
    /// The branch as the trace names it (`Default`, `Error`, `Case "gold"`).
    pub branch: String,
    /// The label drawn on the edge: the branch name, or for `Case` the label as written.
    pub label: String,
    /// The Error branch (drawn red and dashed).
    pub is_error: bool,
    /// 1-based line and column where the branch is written.
    pub line: usize,
    /// 1-based column where the branch is written.
    pub column: usize,
}

/// A script as boxes and arrows.
///
/// ```
/// let engine = studioflow::Engine::new();
/// let script = engine
///     .compile("start: Begin { Default -> ask }\nask: If { Expression = x > 1 True -> done False -> done }\ndone: End", "f.script")
///     .unwrap();
/// let flow = studioflow::graph::FlowGraph::from_script(&script);
/// assert_eq!(flow.nodes.len(), 3);
/// assert_eq!(flow.edges.iter().map(|e| e.label.as_str()).collect::<Vec<_>>(), ["Default", "True", "False"]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowGraph {
    /// The script's name (its file path).
    pub name: String,
    /// The title from the header, if any.
    pub title: Option<String>,
    /// Actions in source order.
    pub nodes: Vec<FlowNode>,
    /// Written branches, per action in source order.
    pub edges: Vec<FlowEdge>,
    /// Index of the entry action.
    pub entry: usize,
    /// Indices of the event actions (`OnAnswer`, `OnRelease`), in source order.
    pub events: Vec<usize>,
    /// Index in `edges` of each action's first branch.
    pub edge_offsets: Vec<usize>,
}

impl FlowGraph {
    /// The flow model of a compiled script.
    pub fn from_script(script: &Script) -> FlowGraph {
        FlowGraph::from_unit(script.as_unit())
    }

    /// The flow model of one script of a call graph (see [`Script::units`]):
    /// a subscript draws as its own picture.
    ///
    /// ```
    /// let mut scripts = studioflow::MemoryResolver::default();
    /// scripts.insert("lookup", "start: Begin { Default -> r }\nr: Return { ReturnValue = 1 }");
    /// let engine = studioflow::Engine::builder().script_resolver(scripts).build();
    /// let main = engine
    ///     .compile("start: Begin { Default -> c }\nc: RunSub { ScriptName = lookup Default -> done }\ndone: End", "main")
    ///     .unwrap();
    /// let flow = studioflow::graph::FlowGraph::from_script(&main);
    /// assert_eq!(flow.nodes[1].subscript.as_ref().map(|s| s.label.as_str()), Some("lookup"));
    /// let sub = studioflow::graph::FlowGraph::from_unit(main.unit(1).unwrap());
    /// assert_eq!(sub.nodes.iter().map(|n| n.id.as_str()).collect::<Vec<_>>(), ["start", "r"]);
    /// ```
    pub fn from_unit(unit: ScriptUnit<'_>) -> FlowGraph {
        let source = unit.source();
        let line_col = |offset: usize| source.line_col(offset);
        let flow = unit.flow();
        let nodes = flow
            .iter()
            .enumerate()
            .map(|(i, a)| FlowNode {
                id: a.id.to_string(),
                action_type: a.action_type.to_string(),
                caption: a.caption.to_string(),
                kind: match a.kind {
                    _ if unit.called_by(i).is_some() => NodeKind::Call,
                    _ if is_event_type(&a.action_type) => NodeKind::Event,
                    ActionKind::Entry => NodeKind::Entry,
                    ActionKind::Terminal => NodeKind::Terminal,
                    ActionKind::Decision => NodeKind::Decision,
                    ActionKind::Api => NodeKind::Api,
                    ActionKind::Host => NodeKind::Host,
                    ActionKind::Plain => NodeKind::Plain,
                },
                reachable: a.reachable,
                error_unconnected: a.error_unconnected,
                line: line_col(a.id_span.start).0,
                subscript: unit.called_by(i).map(|sub| SubscriptLink {
                    label: sub.label().to_string(),
                    name: sub.name().to_string(),
                    unit: sub.index(),
                }),
            })
            .collect();
        let mut edges = Vec::new();
        let mut edge_offsets = Vec::with_capacity(flow.len());
        for (from, a) in flow.iter().enumerate() {
            edge_offsets.push(edges.len());
            for b in &a.branches {
                let (line, column) = line_col(b.span.start);
                edges.push(FlowEdge {
                    from,
                    to: b.target,
                    branch: b.taken_name.to_string(),
                    // A Case label as written: `"gold"`.
                    label: match &b.label {
                        Some(label) => format!("{:?}", &**label),
                        None => b.name.to_string(),
                    },
                    is_error: b.is_error(),
                    line,
                    column,
                });
            }
        }
        let entry = flow
            .iter()
            .position(|a| a.kind == ActionKind::Entry)
            .unwrap_or(0);
        let events = flow
            .iter()
            .enumerate()
            .filter(|(_, a)| is_event_type(&a.action_type))
            .map(|(i, _)| i)
            .collect();
        FlowGraph {
            name: unit.name().to_string(),
            title: unit.title().map(str::to_string),
            nodes,
            edges,
            edge_offsets,
            entry,
            events,
        }
    }

    /// Where a run starts: Begin, then the event actions (laid out as
    /// entry points of their own).
    ///
    /// ```
    /// let engine = studioflow::Engine::new();
    /// let script = engine
    ///     .compile("start: Begin { Default -> done }\ndone: End\nbye: OnRelease { Default -> log }\nlog: Assign { Variable = x Value = 1 }", "e.script")
    ///     .unwrap();
    /// let flow = studioflow::graph::FlowGraph::from_script(&script);
    /// assert_eq!(flow.roots(), [0, 2]);
    /// assert_eq!(flow.nodes[2].kind, studioflow::graph::NodeKind::Event);
    /// assert!(flow.nodes[3].reachable);
    /// ```
    pub fn roots(&self) -> Vec<usize> {
        std::iter::once(self.entry)
            .chain(self.events.iter().copied())
            .collect()
    }

    /// The drawn edge a run step took (`TraceStep::action_index` and `TraceStep::edge`).
    ///
    /// ```
    /// let engine = studioflow::Engine::new();
    /// let script = engine.compile("start: Begin { Default -> done }\ndone: End", "t.script").unwrap();
    /// let flow = studioflow::graph::FlowGraph::from_script(&script);
    /// let run = engine.run(&script, studioflow::RunOptions::default().trace(true));
    /// let first = &run.trace.unwrap()[0];
    /// assert_eq!(flow.step_edge(first.action_index, first.edge), Some(0));
    /// ```
    pub fn step_edge(&self, action_index: usize, edge: Option<usize>) -> Option<usize> {
        let k = self.edge_offsets.get(action_index)? + edge?;
        (k < self.edges.len() && self.edges[k].from == action_index).then_some(k)
    }

    /// The index of the node with this action id.
    pub fn node_index(&self, id: &str) -> Option<usize> {
        self.nodes.iter().position(|n| n.id == id)
    }
}
