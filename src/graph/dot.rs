//! Graphviz DOT output.

use super::escape::{clip, dot};
use super::model::{FlowGraph, NodeKind};
use super::CAPTION_CHARS;

/// The flow as a Graphviz `digraph` (`dot -Tsvg` draws it).
///
/// ```
/// let engine = studioflow::Engine::new();
/// let script = engine.compile("start: Begin { Default -> done }\ndone: End \"Bye \\\"all\\\"\"", "d.script").unwrap();
/// let text = studioflow::graph::to_dot(&studioflow::graph::FlowGraph::from_script(&script));
/// assert!(text.starts_with("digraph \"d.script\" {"));
/// assert!(text.contains(r#"n1 [label="done\nEnd: Bye \"all\"""#));
/// assert!(text.contains(r#"n0 -> n1 [label="Default"]"#));
/// ```
pub fn to_dot(flow: &FlowGraph) -> String {
    let mut out = String::new();
    out += &format!("digraph \"{}\" {{\n", dot(&flow.name));
    let title = flow.title.as_deref().unwrap_or(&flow.name);
    out += &format!(
        "  graph [rankdir=TB, fontname=\"Helvetica\", labelloc=t, label=\"{}\"];\n",
        dot(title)
    );
    out += "  node [fontname=\"Helvetica\", fontsize=11, style=filled, fillcolor=\"#ffffff\"];\n";
    out += "  edge [fontname=\"Helvetica\", fontsize=10];\n";
    for (i, node) in flow.nodes.iter().enumerate() {
        let mut label = format!("{}\\n{}", dot(&node.id), dot(&node.action_type));
        if node.caption != node.action_type {
            label += &format!(": {}", dot(&clip(&node.caption, CAPTION_CHARS)));
        }
        if let Some(sub) = &node.subscript {
            label += &format!("\\n↳ runs {}", dot(&clip(&sub.label, CAPTION_CHARS)));
        }
        if node.error_unconnected {
            label += "\\n⚠ Error branch not connected";
        }
        let (shape, mut style, fill) = match node.kind {
            NodeKind::Entry => ("box", "rounded,filled", "#e3f2e1"),
            NodeKind::Event => ("box", "rounded,filled", "#e3f2e1"),
            NodeKind::Terminal => ("box", "rounded,filled", "#fbe3e1"),
            NodeKind::Decision => ("hexagon", "filled", "#fff6d5"),
            NodeKind::Api => ("box", "filled", "#e3edfb"),
            NodeKind::Host => ("parallelogram", "filled", "#efe3fb"),
            NodeKind::Call => ("box", "rounded,filled", "#e0f2f1"),
            NodeKind::Plain => ("box", "filled", "#ffffff"),
        };
        let mut attrs = format!("label=\"{label}\", shape={shape}");
        if matches!(node.kind, NodeKind::Api | NodeKind::Event) {
            attrs += ", peripheries=2";
        }
        if let Some(sub) = &node.subscript {
            // Rendered SVG links the node to the subscript's file.
            attrs += &format!(", peripheries=2, URL=\"{}\"", dot(&sub.file_href()));
        }
        let mut fill = fill;
        let mut style_owned;
        if !node.reachable {
            style_owned = format!("{style},dashed");
            style = &style_owned;
            fill = "#eeeeee";
            attrs += ", color=\"#9e9e9e\", fontcolor=\"#757575\"";
        }
        if node.error_unconnected {
            attrs += ", color=\"#e65100\", penwidth=2";
            style_owned = format!("{style},bold");
            style = &style_owned;
        }
        let mut tooltip = format!(
            "{}: {} \\\"{}\\\"",
            dot(&node.id),
            dot(&node.action_type),
            dot(&node.caption)
        );
        if !node.reachable {
            tooltip += " (unreachable from Begin)";
        }
        if node.kind == NodeKind::Event {
            tooltip += " (event)";
        }
        attrs += &format!(", style=\"{style}\", fillcolor=\"{fill}\", tooltip=\"{tooltip}\"");
        out += &format!("  n{i} [{attrs}];\n");
    }
    for edge in &flow.edges {
        let mut attrs = format!("label=\"{}\"", dot(&edge.label));
        if edge.is_error {
            attrs += ", color=\"#d32f2f\", fontcolor=\"#d32f2f\", style=dashed";
        }
        out += &format!("  n{} -> n{} [{attrs}];\n", edge.from, edge.to);
    }
    out += "}\n";
    out
}
