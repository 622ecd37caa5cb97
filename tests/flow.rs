//! The flow description (`Script::flow`) and the branch index each trace
//! step carries: what pictures, coverage and mocks are built on.

use studioflow::{ActionKind, Engine, Outcome, RunOptions, Value};

const SCRIPT: &str = r#"
start: Begin { Default -> pick }
pick: Case "Route" {
  Value = Tier
  Case "gold" -> vip
  Case 2 -> vip
  Default -> again
}
again: Loop { Repeat = 2 Repeat -> pick Finished -> test }
test: If { Expression = Tier = "none" True -> broken }
vip: Assign { Variable = x Value = 1 Default -> done }
broken: Assign { Variable = y Value = 1 / 0 Error -> done }
done: End
lost: End
"#;

fn run(tier: &str) -> studioflow::Run {
    let engine = Engine::new();
    let script = engine.compile(SCRIPT, "flow.script").unwrap();
    let mut options = RunOptions::default().trace(true);
    options.variables.insert("Tier".into(), Value::from(tier));
    engine.run(&script, options)
}

#[test]
fn flow_lists_actions_branches_kinds_and_reachability() {
    let engine = Engine::new();
    let script = engine.compile(SCRIPT, "flow.script").unwrap();
    let flow = script.flow();
    let ids: Vec<&str> = flow.iter().map(|a| &*a.id).collect();
    assert_eq!(
        ids,
        ["start", "pick", "again", "test", "vip", "broken", "done", "lost"]
    );
    let kinds: Vec<ActionKind> = flow.iter().map(|a| a.kind).collect();
    use ActionKind::*;
    assert_eq!(
        kinds,
        [Entry, Decision, Decision, Decision, Plain, Plain, Terminal, Terminal]
    );
    let pick = &flow[1];
    assert_eq!(&*pick.caption, "Route");
    assert!(pick.caption_written && !flow[0].caption_written);
    let names: Vec<&str> = pick.branches.iter().map(|b| &*b.taken_name).collect();
    assert_eq!(names, ["Case \"gold\"", "Case \"2\"", "Default"]);
    let targets: Vec<&str> = pick.branches.iter().map(|b| &*flow[b.target].id).collect();
    assert_eq!(targets, ["vip", "vip", "again"]);
    // The branch span points at the branch name as written.
    let (line, col) = script.source().line_col(pick.branches[1].span.start);
    assert_eq!((line, col), (6, 3));
    assert!(flow[5].branches[0].is_error());
    let reachable: Vec<bool> = flow.iter().map(|a| a.reachable).collect();
    assert_eq!(reachable, [true, true, true, true, true, true, true, false]);
}

#[test]
fn host_and_api_actions_are_told_apart() {
    let engine = Engine::builder()
        .register_action(
            studioflow::ActionSchema::new("Notify"),
            |_: &mut studioflow::ActionCall<'_>| Ok(studioflow::BranchId::DEFAULT),
        )
        .build();
    let script = engine
        .compile(
            "start: Begin { Default -> n }\nn: Notify { Default -> who }\nwho: SetSecurityUser { Agent = \"sysadmin\" Default -> done Error -> done }\ndone: End",
            "k.script",
        )
        .unwrap();
    let kinds: Vec<ActionKind> = script.flow().iter().map(|a| a.kind).collect();
    assert_eq!(
        kinds,
        [
            ActionKind::Entry,
            ActionKind::Host,
            ActionKind::Api,
            ActionKind::Terminal
        ]
    );
    assert!(!script.flow()[2].error_unconnected);
}

/// Every step's edge names the branch its trace reports and leads to the
/// next executed action.
fn assert_edges_agree(run: &studioflow::Run, flow: &[studioflow::FlowAction]) {
    let trace = run.trace.as_ref().unwrap();
    for (i, step) in trace.iter().enumerate() {
        let action = &flow[step.action_index];
        assert_eq!(action.id, step.action);
        if let Some(e) = step.edge {
            let branch = &action.branches[e];
            assert_eq!(
                Some(&branch.taken_name),
                step.branch.as_ref(),
                "step {}",
                step.step
            );
            if let Some(next) = trace.get(i + 1) {
                assert_eq!(branch.target, next.action_index, "step {}", step.step);
            }
        }
    }
}

#[test]
fn trace_edges_follow_labels_fallbacks_and_errors() {
    let engine = Engine::new();
    let script = engine.compile(SCRIPT, "flow.script").unwrap();
    let flow = script.flow();

    let gold = run("gold");
    assert_eq!(gold.outcome, Outcome::Completed);
    assert_edges_agree(&gold, flow);
    let edges: Vec<Option<usize>> = gold
        .trace
        .as_ref()
        .unwrap()
        .iter()
        .map(|s| s.edge)
        .collect();
    assert_eq!(edges, [Some(0), Some(0), Some(0), None]);

    let numeric = run("2");
    assert_eq!(
        numeric.trace.as_ref().unwrap()[1].edge,
        Some(1),
        "Case 2 is the second written branch"
    );

    // Default twice, Loop Repeat, then Finished, then If False (not written):
    // falls back to Default, which is not written either: no edge.
    let other = run("silver");
    assert_edges_agree(&other, flow);
    let test_step = other
        .trace
        .as_ref()
        .unwrap()
        .iter()
        .find(|s| &*s.action == "test")
        .unwrap();
    assert_eq!(
        (test_step.branch.as_deref(), test_step.edge),
        (Some("Default"), None)
    );

    // The failing Assign takes its written Error branch.
    let broken = run("none");
    assert_edges_agree(&broken, flow);
    let step = broken
        .trace
        .as_ref()
        .unwrap()
        .iter()
        .find(|s| &*s.action == "broken")
        .unwrap();
    assert_eq!(
        (step.branch.as_deref(), step.edge),
        (Some("Error"), Some(0))
    );
}

#[test]
fn an_unconnected_error_stop_has_no_edge() {
    let engine = Engine::new();
    let script = engine
        .compile("start: Begin { Default -> bad }\nbad: Assign { Variable = x Value = 1 / 0 Default -> done }\ndone: End", "s")
        .unwrap();
    let run = engine.run(&script, RunOptions::default().trace(true));
    assert_eq!(run.outcome, Outcome::Stopped);
    let last = run.trace.unwrap().pop().unwrap();
    assert_eq!(
        (last.branch.as_deref(), last.edge, last.action_index),
        (Some("Error"), None, 1)
    );
}
