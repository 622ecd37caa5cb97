//! The run report across RunSub: subscript steps in frames (indented,
//! named `script:action`, in step order after their RunSub), each
//! subscript's own picture with its path, the RunSub node linking to it,
//! and Snippet TRACE output in the step list.

use studioflow::graph::FlowGraph;
use studioflow::report::{run_report_html, RunRecorder};
use studioflow::{Engine, MemoryResolver, RunOptions, Script};

fn engine() -> Engine {
    let mut scripts = MemoryResolver::default();
    scripts.insert(
        "outer",
        r#"start: Begin { Parameters = "n" Default -> note }
note: Snippet { Data = """
    TRACE "outer got {n}"
    doubled = n * 2
  """ Default -> inner }
inner: RunSub { ScriptName = "inner" Parameters = [doubled] ReturnVariable = r Default -> back }
back: Return { ReturnValue = r }"#,
    );
    scripts.insert(
        "inner",
        r#"start: Begin { Parameters = "m" Default -> back }
back: Return { ReturnValue = m + 1 }"#,
    );
    Engine::builder().script_resolver(scripts).build()
}

const MAIN: &str = r#"start: Begin { Default -> call }
call: RunSub "Ask outer" { ScriptName = "outer" Parameters = [20] ReturnVariable = Answer Default -> done }
done: End"#;

fn report(script: &Script, engine: &Engine) -> (studioflow::report::RecordedRun, String) {
    let flow = FlowGraph::from_script(script);
    let recorder = RunRecorder::new(script);
    let options = RunOptions::default().change_observer(recorder.observer());
    let inputs = options.variables.clone();
    let run = engine.run(script, options);
    assert_eq!(
        run.variables.get("Answer").map(|v| v.to_text()).as_deref(),
        Some("41")
    );
    let record = recorder.finish();
    let page = run_report_html(&flow, &run, &inputs, &record);
    (record, page)
}

#[test]
fn subscript_steps_are_recorded_in_frames_in_step_order() {
    let engine = engine();
    let script = engine.compile(MAIN, "main").unwrap();
    let (record, _) = report(&script, &engine);
    let steps: Vec<(u64, Option<&str>, usize, usize)> = record
        .steps
        .iter()
        .map(|s| (s.step, s.script.as_deref(), s.unit, s.depth))
        .collect();
    assert_eq!(
        steps,
        [
            (1, None, 0, 0),
            (2, None, 0, 0),
            (3, Some("outer"), 1, 1),
            (4, Some("outer"), 1, 1),
            (5, Some("outer"), 1, 1),
            (6, Some("inner"), 2, 2),
            (7, Some("inner"), 2, 2),
            (8, Some("outer"), 1, 1),
            (9, None, 0, 0),
        ]
    );
    // Counts go to the script each step ran in, never to the caller's nodes.
    assert_eq!(record.node_counts, [1, 1, 1]);
    let outer = &record.subscripts[0];
    assert_eq!(
        (outer.label.as_str(), outer.counts.node_counts.as_slice()),
        ("outer", &[1, 1, 1, 1][..])
    );
    assert_eq!(record.subscripts[1].counts.node_counts, [1, 1]);
    assert_eq!(record.steps[3].output, ["outer got 20"]);
}

#[test]
fn the_page_shows_frames_subscript_pictures_links_and_trace_output() {
    let engine = engine();
    let script = engine.compile(MAIN, "main").unwrap();
    let (_, page) = report(&script, &engine);
    // One picture per script of the call graph, with its own ids.
    for (section, prefix, nodes) in [("picture", "", 3), ("sub-1", "u1-", 4), ("sub-2", "u2-", 2)] {
        assert!(page.contains(&format!("id=\"{section}\"")), "{section}");
        assert_eq!(
            (0..10)
                .filter(|i| page.contains(&format!("id=\"{prefix}node-{i}\"")))
                .count(),
            nodes,
            "{section}"
        );
    }
    // RunSub nodes link to the subscript's picture.
    assert!(page.contains("<a href=\"#sub-1\" class=\"subscript-link\"><g class=\"node kind-call visited\" id=\"node-1\""));
    assert!(page.contains("<a href=\"#sub-2\" class=\"subscript-link\"><g class=\"node kind-call visited\" id=\"u1-node-2\""));
    // Frame rows: indented by depth, named script:action, aimed at their picture's node.
    assert_eq!(page.matches("class=\"step frame depth-1\"").count(), 4);
    assert_eq!(page.matches("class=\"step frame depth-2\"").count(), 2);
    assert!(page.contains("data-target=\"u2-node-1\""));
    assert!(page.contains("<span class=\"frame-name\">inner:</span>back"));
    let rows: Vec<&str> = page.split("<tr class=\"step").skip(1).collect();
    assert_eq!(rows.len(), 9);
    assert!(
        rows[1].contains("id=\"step-2\"") && rows[2].contains("id=\"step-3\""),
        "RunSub's step comes before its frame"
    );
    assert!(page.contains("<div class=\"trace\">TRACE outer got 20</div>"));
}
