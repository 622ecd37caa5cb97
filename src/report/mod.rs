//! Pages that show what runs did: the HTML run report (`run --report`)
//! and, built from the same pieces, coverage pages.
//!
//! A report is recorded by one [`ChangeObserver`] of the real run (no
//! second executor): [`RunRecorder::observer`] goes into
//! [`RunOptions::change_observer`](field@crate::RunOptions::change_observer), then [`run_report_html`] writes one
//! self-contained page (inline SVG, CSS and JavaScript; nothing fetched).
//!
//! ```
//! use studioflow::graph::FlowGraph;
//! use studioflow::report::{run_report_html, RunRecorder};
//! use studioflow::{Engine, RunOptions};
//! let engine = Engine::new();
//! let script = engine.compile("start: Begin { Default -> a }\na: Assign { Variable = x Value = 1 Default -> done }\ndone: End", "r.script").unwrap();
//! let flow = FlowGraph::from_script(&script);
//! let recorder = RunRecorder::new(&script);
//! let options = RunOptions::default().change_observer(recorder.observer());
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
use crate::{ChangeObserver, Script, TraceStep, Value, VariableChange};

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
    /// The script it ran in: 0 for the script that was run, else the
    /// subscript `RecordedRun::subscripts[unit - 1]`.
    pub unit: usize,
    /// How many RunSub frames deep it ran (0 in the script that was run).
    pub depth: usize,
    /// The subscript it ran in, as the trace names it (`None`: the script that was run).
    pub script: Option<String>,
    /// Index of the action in its script's flow.
    pub node: usize,
    /// The branch taken (`None` for End).
    pub branch: Option<String>,
    /// Index of the drawn edge taken, if any.
    pub edge: Option<usize>,
    /// Variables changed: name, before, after (JSON text, clipped; `None` = not set).
    pub changes: Vec<(String, Option<String>, Option<String>)>,
    /// What Snippet `TRACE` statements wrote in this step (clipped).
    pub output: Vec<String>,
}

/// How often the actions and branches of one script of the run were taken.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UnitCounts {
    /// How many times each drawn edge was taken.
    pub edge_counts: Vec<u64>,
    /// How many times each action ran.
    pub node_counts: Vec<u64>,
    /// The first step numbers of each action.
    pub node_steps: Vec<Vec<u64>>,
}

impl UnitCounts {
    fn new(flow: &FlowGraph) -> UnitCounts {
        UnitCounts {
            edge_counts: vec![0; flow.edges.len()],
            node_counts: vec![0; flow.nodes.len()],
            node_steps: vec![Vec::new(); flow.nodes.len()],
        }
    }
}

/// A subscript the run's script calls: its picture and what the run did in it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedSubscript {
    /// Its flow.
    pub flow: FlowGraph,
    /// The subscript as traces name it.
    pub label: String,
    /// Its counts over every frame it ran in.
    pub counts: UnitCounts,
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
    /// Every subscript of the script's call graph (unit 1 first), with
    /// what the run did in it.
    pub subscripts: Vec<RecordedSubscript>,
}

/// Records a run through its change observer.
#[derive(Clone)]
pub struct RunRecorder {
    script: Script,
    /// Unit 0's flow, then each subscript's.
    flows: Arc<Vec<FlowGraph>>,
    record: Arc<Mutex<Recording>>,
}

#[derive(Default)]
struct Recording {
    run: RecordedRun,
}

/// A value as short JSON text for a report (a security user shows its readable fields only).
pub fn value_text(value: &Value) -> String {
    clip(&value.to_json().to_string(), MAX_VALUE_CHARS)
}

impl RunRecorder {
    /// A recorder for runs of this script (and the subscripts it calls).
    ///
    /// See the example in the [module documentation](self).
    pub fn new(script: &Script) -> RunRecorder {
        let flows: Vec<FlowGraph> = script.units().map(FlowGraph::from_unit).collect();
        let root = UnitCounts::new(&flows[0]);
        let run = RecordedRun {
            edge_counts: root.edge_counts,
            node_counts: root.node_counts,
            node_steps: root.node_steps,
            subscripts: script
                .units()
                .skip(1)
                .zip(&flows[1..])
                .map(|(unit, flow)| RecordedSubscript {
                    flow: flow.clone(),
                    label: unit.label().to_string(),
                    counts: UnitCounts::new(flow),
                })
                .collect(),
            ..Default::default()
        };
        RunRecorder {
            script: script.clone(),
            flows: Arc::new(flows),
            record: Arc::new(Mutex::new(Recording { run })),
        }
    }

    /// The observer to put in [`crate::RunOptions::change_observer`].
    pub fn observer(&self) -> ChangeObserver {
        let recorder = self.clone();
        Arc::new(move |step: &TraceStep, changes: &[VariableChange]| recorder.record(step, changes))
    }

    fn record(&self, step: &TraceStep, changes: &[VariableChange]) {
        let Some(unit) = self.script.unit_of_step(step).map(|u| u.index()) else {
            return;
        };
        let flow = &self.flows[unit];
        let node = step.action_index;
        let mut guard = self.record.lock().unwrap_or_else(|e| e.into_inner());
        let r = &mut guard.run;
        let depth = step.depth;
        r.total_steps += 1;
        let edge = flow.step_edge(node, step.edge);
        let counts: (&mut Vec<u64>, &mut Vec<u64>, &mut Vec<Vec<u64>>) = if unit == 0 {
            (&mut r.edge_counts, &mut r.node_counts, &mut r.node_steps)
        } else {
            let c = &mut r.subscripts[unit - 1].counts;
            (&mut c.edge_counts, &mut c.node_counts, &mut c.node_steps)
        };
        if let Some(count) = counts.1.get_mut(node) {
            *count += 1;
        }
        if let Some(list) = counts.2.get_mut(node) {
            if list.len() < MAX_NODE_STEPS {
                list.push(step.step);
            }
        }
        if let Some(k) = edge {
            counts.0[k] += 1;
        }
        if r.steps.len() < MAX_REPORT_STEPS {
            r.steps.push(RecordedStep {
                step: step.step,
                unit,
                depth,
                script: step.script.as_deref().map(str::to_string),
                node,
                branch: step.branch.as_deref().map(str::to_string),
                edge,
                changes: changes
                    .iter()
                    // Snippet's hidden slots (function parameters, lifted calls) are not variables.
                    .filter(|c| !c.name.starts_with(crate::program::HIDDEN_PREFIX))
                    .map(|c| {
                        (
                            c.name.to_string(),
                            c.before.as_ref().map(value_text),
                            c.after.as_ref().map(value_text),
                        )
                    })
                    .collect(),
                output: step
                    .output
                    .iter()
                    .take(MAX_OUTPUT_LINES)
                    .map(|line| clip(line, MAX_VALUE_CHARS))
                    .collect(),
            });
        }
    }

    /// What was recorded, steps in step-number order (a RunSub's step
    /// before the steps of the subscript it ran).
    pub fn finish(&self) -> RecordedRun {
        let mut run = self
            .record
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .run
            .clone();
        run.steps.sort_by_key(|s| s.step);
        run
    }
}

/// TRACE lines shown per step.
const MAX_OUTPUT_LINES: usize = 20;

/// The variables a run started with, for the report's inputs table.
pub type Inputs = IndexMap<String, Value>;
