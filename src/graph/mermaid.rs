//! Mermaid `flowchart` output (GitHub, GitLab and mdBook render it).

use super::escape::{clip, mermaid};
use super::model::{FlowGraph, NodeKind};
use super::CAPTION_CHARS;

/// The flow as a Mermaid `flowchart TD`. Node ids are generated (`n0`,
/// `n1`, ...): an action id such as `end` is a Mermaid keyword.
///
/// ```
/// let engine = studioflow::Engine::new();
/// let script = engine.compile("start: Begin { Default -> done }\ndone: End", "m.script").unwrap();
/// let text = studioflow::graph::to_mermaid(&studioflow::graph::FlowGraph::from_script(&script));
/// assert!(text.starts_with("flowchart TD\n"));
/// assert!(text.contains("n0([\"start<br/>Begin\"])"));
/// assert!(text.contains("n0 -->|Default| n1"));
/// ```
pub fn to_mermaid(flow: &FlowGraph) -> String {
    let mut out = String::from("flowchart TD\n");
    if let Some(title) = &flow.title {
        out.insert_str(0, &format!("---\ntitle: \"{}\"\n---\n", mermaid(title)));
    }
    for (i, node) in flow.nodes.iter().enumerate() {
        let mut label = format!("{}<br/>{}", mermaid(&node.id), mermaid(&node.action_type));
        if node.caption != node.action_type {
            label += &format!(": {}", mermaid(&clip(&node.caption, CAPTION_CHARS)));
        }
        if let Some(sub) = &node.subscript {
            label += &format!("<br/>↳ runs {}", mermaid(&clip(&sub.label, CAPTION_CHARS)));
        }
        if node.error_unconnected {
            label += "<br/>⚠ Error branch not connected";
        }
        let (open, close) = match node.kind {
            NodeKind::Entry | NodeKind::Terminal => ("([", "])"),
            // A double circle: an entry point reached by an event.
            NodeKind::Event => ("(((", ")))"),
            NodeKind::Decision => ("{{", "}}"),
            NodeKind::Api => ("[[", "]]"),
            NodeKind::Host => ("[/", "/]"),
            NodeKind::Call => ("[\\", "\\]"),
            NodeKind::Plain => ("[", "]"),
        };
        out += &format!("  n{i}{open}\"{label}\"{close}\n");
    }
    // A RunSub links to its subscript's file (Mermaid `click ... href`).
    for (i, node) in flow.nodes.iter().enumerate() {
        if let Some(sub) = &node.subscript {
            out += &format!(
                "  click n{i} href \"{}\" \"runs {}\"\n",
                mermaid(&sub.file_href()),
                mermaid(&sub.label)
            );
        }
    }
    let mut error_links = Vec::new();
    for (k, edge) in flow.edges.iter().enumerate() {
        let arrow = if edge.is_error { "-.->" } else { "-->" };
        if edge.is_error {
            error_links.push(k.to_string());
        }
        out += &format!(
            "  n{} {arrow}|{}| n{}\n",
            edge.from,
            mermaid(&edge.label),
            edge.to
        );
    }
    out +=
        "  classDef unreachable fill:#eeeeee,stroke:#9e9e9e,color:#757575,stroke-dasharray:4 3\n";
    out += "  classDef noerror stroke:#e65100,stroke-width:3px\n";
    let unreachable: Vec<String> = flow
        .nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| !n.reachable)
        .map(|(i, _)| format!("n{i}"))
        .collect();
    if !unreachable.is_empty() {
        out += &format!("  class {} unreachable\n", unreachable.join(","));
    }
    let no_error: Vec<String> = flow
        .nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| n.error_unconnected)
        .map(|(i, _)| format!("n{i}"))
        .collect();
    if !no_error.is_empty() {
        out += &format!("  class {} noerror\n", no_error.join(","));
    }
    if !error_links.is_empty() {
        out += &format!(
            "  linkStyle {} stroke:#d32f2f,color:#d32f2f\n",
            error_links.join(",")
        );
    }
    out
}
