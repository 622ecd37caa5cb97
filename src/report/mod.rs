//! Pages that show what runs did: the HTML run report (`run --report`)
//! and, built from the same pieces, coverage pages.
//!
//! A report is recorded by one [`ChangeObserver`] of the real run (no
//! second executor): [`RunRecorder::observer`] goes into
//! [`RunOptions::change_observer`], then [`run_report_html`] writes one
//! self-contained page (inline SVG, CSS and JavaScript; nothing fetched).
//!
//! ```
//! use studioflow::graph::FlowGraph;
//! use studioflow::report::{run_report_html, RunRecorder};
//! use studioflow::{Engine, RunOptions};
//! let engine = Engine::new();
//! let script = engine.compile("start: Begin { Default -> a }\na: Assign { Variable = x Value = 1 Default -> done }\ndone: End", "r.script").unwrap();
//! let flow = FlowGraph::from_script(&script);
//! let recorder = RunRecorder::new(&flow);
//! let options = RunOptions { change_observer: Some(recorder.observer()), ..Default::default() };
//! let inputs = options.variables.clone();
//! let run = engine.run(&script, options);
//! let page = run_report_html(&flow, &run, &inputs, &recorder.finish());
//! assert_eq!(page.matches("<tr class=\"step\"").count(), 3);
//! ```

mod coverage;
mod html;

use std::sync::{Arc, Mutex};

use indexmap::IndexMap;

use crate::graph::escape::clip;
use crate::graph::FlowGraph;
use crate::{ChangeObserver, TraceStep, Value, VariableChange};

pub use coverage::{
    coverage_index, coverage_page, write_coverage_html, CoverageHtmlError, COVERAGE_INDEX,
};
pub use html::{page, run_report_html};

/// Steps shown in full in a report; later steps are only counted.
pub const MAX_REPORT_STEPS: usize = 1000;
/// Values longer than this (as JSON text) are clipped in a report.
pub const MAX_VALUE_CHARS: usize = 200;
/// Step numbers listed on a node before "+N more".
const MAX_NODE_STEPS: usize = 6;

/// One executed step as a report shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedStep {
    /// 1-based step number.
    pub step: u64,
    /// Index of the action in the flow.
    pub node: usize,
    /// The branch taken (`None` for End).
    pub branch: Option<String>,
    /// Index of the drawn edge taken, if any.
    pub edge: Option<usize>,
    /// Variables changed: name, before, after (JSON text, clipped; `None` = not set).
    pub changes: Vec<(String, Option<String>, Option<String>)>,
}

/// What a run did, as recorded by its observer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RecordedRun {
    /// The first [`MAX_REPORT_STEPS`] steps in full.
    pub steps: Vec<RecordedStep>,
    /// Every executed step, including those not kept in full.
    pub total_steps: u64,
    /// How many times each drawn edge was taken.
    pub edge_counts: Vec<u64>,
    /// How many times each action ran.
    pub node_counts: Vec<u64>,
    /// The first step numbers of each action.
    pub node_steps: Vec<Vec<u64>>,
}

/// Records a run through its change observer.
#[derive(Clone)]
pub struct RunRecorder {
    flow: Arc<FlowGraph>,
    record: Arc<Mutex<RecordedRun>>,
}

/// A value as short JSON text for a report (a security user shows its readable fields only).
pub fn value_text(value: &Value) -> String {
    clip(&value.to_json().to_string(), MAX_VALUE_CHARS)
}

impl RunRecorder {
    /// A recorder for runs of this flow.
    pub fn new(flow: &FlowGraph) -> RunRecorder {
        RunRecorder {
            flow: Arc::new(flow.clone()),
            record: Arc::new(Mutex::new(RecordedRun {
                edge_counts: vec![0; flow.edges.len()],
                node_counts: vec![0; flow.nodes.len()],
                node_steps: vec![Vec::new(); flow.nodes.len()],
                ..Default::default()
            })),
        }
    }

    /// The observer to put in [`crate::RunOptions::change_observer`].
    pub fn observer(&self) -> ChangeObserver {
        let recorder = self.clone();
        Arc::new(move |step: &TraceStep, changes: &[VariableChange]| recorder.record(step, changes))
    }

    fn record(&self, step: &TraceStep, changes: &[VariableChange]) {
        let mut r = self.record.lock().unwrap_or_else(|e| e.into_inner());
        r.total_steps += 1;
        let node = step.action_index;
        if let Some(count) = r.node_counts.get_mut(node) {
            *count += 1;
        }
        if let Some(list) = r.node_steps.get_mut(node) {
            if list.len() < MAX_NODE_STEPS {
                list.push(step.step);
            }
        }
        let edge = self.flow.step_edge(node, step.edge);
        if let Some(k) = edge {
            r.edge_counts[k] += 1;
        }
        if r.steps.len() < MAX_REPORT_STEPS {
            r.steps.push(RecordedStep {
                step: step.step,
                node,
                branch: step.branch.as_deref().map(str::to_string),
                edge,
                changes: changes
                    .iter()
                    .map(|c| {
                        (
                            c.name.to_string(),
                            c.before.as_ref().map(value_text),
                            c.after.as_ref().map(value_text),
                        )
                    })
                    .collect(),
            });
        }
    }

    /// What was recorded.
    pub fn finish(&self) -> RecordedRun {
        self.record
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// The variables a run started with, for the report's inputs table.
pub type Inputs = IndexMap<String, Value>;
