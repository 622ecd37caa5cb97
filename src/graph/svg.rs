//! SVG drawn by studioflow itself: the layered layout of [`super::layout`],
//! shapes by kind, labelled edges. No Graphviz or browser needed.

use super::escape::{clip, html};
use super::layout::{layout, num, EdgeSpec, Layout, Point};
use super::model::{FlowGraph, NodeKind};
use super::CAPTION_CHARS;

const FONT_SIZE: f64 = 12.0;
const CHAR_WIDTH: f64 = 7.3;
const LABEL_FONT_SIZE: f64 = 11.0;
const LABEL_CHAR_WIDTH: f64 = 6.7;
const LINE_HEIGHT: f64 = 15.0;
const PAD_X: f64 = 12.0;
const PAD_Y: f64 = 7.0;

/// Extra marks a report or a coverage page puts on the picture. Every
/// vector is either empty or has one entry per node (per edge).
#[derive(Debug, Clone, Default)]
pub struct Decorations {
    /// Prefix for element ids, so several pictures can share a page.
    pub id_prefix: String,
    /// Extra CSS classes per node (`taken`, `end`...).
    pub node_classes: Vec<String>,
    /// An extra last line per node (e.g. its step numbers).
    pub node_notes: Vec<Option<String>>,
    /// Extra CSS classes per edge.
    pub edge_classes: Vec<String>,
    /// Text appended to each edge's label (e.g. `×3`).
    pub edge_notes: Vec<Option<String>>,
    /// Edges drawn with the emphasised arrow head.
    pub edge_emphasis: Vec<bool>,
    /// Where a node links to (a RunSub to its subscript's picture); `None`
    /// keeps the default (a RunSub links to its subscript's file).
    pub node_links: Vec<Option<String>>,
}

/// Display width of text in character cells (wide East Asian characters count two).
fn cells(text: &str) -> f64 {
    text.chars()
        .map(|c| {
            let u = c as u32;
            if (0x1100..=0x115f).contains(&u)
                || (0x2e80..=0xa4cf).contains(&u)
                || (0xac00..=0xd7a3).contains(&u)
                || (0xf900..=0xfaff).contains(&u)
                || (0xfe30..=0xfe4f).contains(&u)
                || (0xff00..=0xff60).contains(&u)
                || (0x1f300..=0x1faff).contains(&u)
                || (0x20000..=0x3fffd).contains(&u)
            {
                2.0
            } else {
                1.0
            }
        })
        .sum()
}

/// The text lines of a node: id, type and caption, warnings, note.
fn node_lines(
    flow: &FlowGraph,
    i: usize,
    decorations: &Decorations,
) -> Vec<(String, &'static str)> {
    let node = &flow.nodes[i];
    let mut lines = vec![(clip(&node.id, CAPTION_CHARS), "id")];
    let mut kind_line = node.action_type.clone();
    if node.caption != node.action_type {
        kind_line += &format!(": {}", clip(&node.caption, CAPTION_CHARS));
    }
    lines.push((kind_line, "type"));
    if let Some(sub) = &node.subscript {
        lines.push((
            format!("↳ runs {}", clip(&sub.label, CAPTION_CHARS)),
            "call",
        ));
    }
    if node.error_unconnected {
        lines.push(("⚠ Error branch not connected".into(), "warning"));
    }
    if !node.reachable {
        lines.push(("unreachable from Begin".into(), "warning"));
    }
    if let Some(Some(note)) = decorations.node_notes.get(i) {
        lines.push((clip(note, 48), "note"));
    }
    lines
}

fn edge_text(flow: &FlowGraph, k: usize, decorations: &Decorations) -> String {
    let mut text = clip(&flow.edges[k].label, CAPTION_CHARS);
    if let Some(Some(note)) = decorations.edge_notes.get(k) {
        text += " ";
        text += note;
    }
    text
}

/// Extra width a shape needs around its text.
fn shape_extra(kind: NodeKind) -> f64 {
    match kind {
        NodeKind::Decision => 24.0,
        NodeKind::Host => 20.0,
        NodeKind::Call => 16.0,
        NodeKind::Api => 14.0,
        NodeKind::Entry | NodeKind::Terminal => 12.0,
        NodeKind::Event => 18.0,
        NodeKind::Plain => 0.0,
    }
}

/// Node sizes and the layout of a flow.
pub fn compute_layout(flow: &FlowGraph, decorations: &Decorations) -> (Vec<(f64, f64)>, Layout) {
    let sizes: Vec<(f64, f64)> = (0..flow.nodes.len())
        .map(|i| {
            let lines = node_lines(flow, i, decorations);
            let widest = lines.iter().map(|(t, _)| cells(t)).fold(0.0, f64::max);
            let w = (widest * CHAR_WIDTH + 2.0 * PAD_X + shape_extra(flow.nodes[i].kind)).max(90.0);
            let h = lines.len() as f64 * LINE_HEIGHT + 2.0 * PAD_Y;
            (w.ceil(), h)
        })
        .collect();
    let edges: Vec<EdgeSpec> = flow
        .edges
        .iter()
        .enumerate()
        .map(|(k, e)| EdgeSpec {
            from: e.from,
            to: e.to,
            label: (
                (cells(&edge_text(flow, k, decorations)) * LABEL_CHAR_WIDTH + 8.0).ceil(),
                16.0,
            ),
        })
        .collect();
    let l = layout(&sizes, &edges, &flow.roots());
    (sizes, l)
}

const STYLE: &str = "\
.flow{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,'DejaVu Sans Mono','Liberation Mono',monospace;font-size:12px}
.flow .node .shape{fill:#fff;stroke:#455a64;stroke-width:1.2}
.flow .node.kind-entry .shape{fill:#e3f2e1;stroke:#2e7d32}
.flow .node.kind-terminal .shape{fill:#fbe3e1;stroke:#b71c1c}
.flow .node.kind-decision .shape{fill:#fff6d5;stroke:#8d6e00}
.flow .node.kind-api .shape{fill:#e3edfb;stroke:#1a4f9c}
.flow .node.kind-api .inner{stroke:#1a4f9c;stroke-width:1}
.flow .node.kind-host .shape{fill:#efe3fb;stroke:#5e35b1}
.flow .node.kind-call .shape{fill:#e0f2f1;stroke:#00695c}
.flow .node.kind-call .inner{fill:none;stroke:#00695c;stroke-width:1}
.flow .node text.call{fill:#00695c;text-decoration:underline}
.flow .node.unreachable .shape{fill:#eeeeee;stroke:#9e9e9e;stroke-dasharray:4 3}
.flow .node.unreachable text{fill:#757575}
.flow .node.noerror .shape{stroke:#e65100;stroke-width:2.5}
.flow .node text{fill:#1b1b1b}
.flow .node text.id{font-weight:bold}
.flow .node text.warning{fill:#b34700}
.flow .node text.note{fill:#0b57d0}
.flow .edge path{fill:none;stroke:#607d8b;stroke-width:1.3}
.flow .edge.error path{stroke:#d32f2f;stroke-dasharray:5 4}
.flow .edge-label rect{fill:#fff;opacity:.9}
.flow .edge-label text{font-size:11px;fill:#37474f}
.flow .edge-label.error text{fill:#d32f2f}
";

/// The flow as a standalone SVG document.
///
/// ```
/// let engine = studioflow::Engine::new();
/// let script = engine.compile("start: Begin { Default -> done }\ndone: End \"<b>bye</b>\"", "s.script").unwrap();
/// let flow = studioflow::graph::FlowGraph::from_script(&script);
/// let svg = studioflow::graph::to_svg(&flow);
/// assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
/// assert_eq!(svg.matches("class=\"node ").count(), 2);
/// assert!(svg.contains("End: &lt;b&gt;bye&lt;/b&gt;"));
/// ```
pub fn to_svg(flow: &FlowGraph) -> String {
    render_svg(flow, &Decorations::default())
}

/// SVG pictures draw at most this many actions (past it: a picture that says
/// so, and `graph --format svg` refuses with exit 2).
///
/// ```
/// assert_eq!(studioflow::graph::MAX_DRAWN_NODES, 5_000);
/// ```
pub const MAX_DRAWN_NODES: usize = 5_000;

/// SVG pictures draw at most this many branches (see [`MAX_DRAWN_NODES`]).
///
/// ```
/// assert_eq!(studioflow::graph::MAX_DRAWN_EDGES, 20_000);
/// ```
pub const MAX_DRAWN_EDGES: usize = 20_000;

/// Tooltips longer than this are clipped (a caption can be long).
const TIP_CHARS: usize = 200;

/// Why the flow is too large for an SVG picture, if it is: more than
/// [`MAX_DRAWN_NODES`] actions or [`MAX_DRAWN_EDGES`] branches. Below that
/// the picture is at most a few megabytes; flows past
/// [`super::layout::MAX_LAYOUT_SLOTS`] get the simpler drawing.
///
/// ```
/// let engine = studioflow::Engine::new();
/// let script = engine.compile("start: Begin { Default -> done }\ndone: End", "s.script").unwrap();
/// assert_eq!(studioflow::graph::svg_size_error(&studioflow::graph::FlowGraph::from_script(&script)), None);
/// ```
pub fn svg_size_error(flow: &FlowGraph) -> Option<String> {
    let (nodes, edges) = (flow.nodes.len(), flow.edges.len());
    (nodes > MAX_DRAWN_NODES || edges > MAX_DRAWN_EDGES).then(|| {
        format!(
            "the flow has {nodes} actions and {edges} branches, over the SVG drawing's bound of {MAX_DRAWN_NODES} actions and {MAX_DRAWN_EDGES} branches: use `--format dot` or `--format mermaid`"
        )
    })
}

/// The picture of a flow too large to draw: it says why.
fn too_large_svg(flow: &FlowGraph, why: &str) -> String {
    let title = html(flow.title.as_deref().unwrap_or(&flow.name));
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"flow too-large\" viewBox=\"0 0 900 60\" width=\"900\" height=\"60\" role=\"img\" aria-label=\"{title}\">\n<title>{title}</title>\n<text x=\"20\" y=\"34\" font-family=\"monospace\" font-size=\"12\">Not drawn: {}</text>\n</svg>\n",
        html(why)
    )
}

/// The flow as SVG with a report's or coverage page's marks.
///
/// Bounded: a flow past [`super::layout::MAX_LAYOUT_SLOTS`] gets the
/// simpler drawing (it says so at its top), one past [`MAX_DRAWN_NODES`] or
/// [`MAX_DRAWN_EDGES`] a picture saying it is not drawn ([`svg_size_error`]).
pub fn render_svg(flow: &FlowGraph, decorations: &Decorations) -> String {
    if let Some(why) = svg_size_error(flow) {
        return too_large_svg(flow, &why);
    }
    let (sizes, l) = compute_layout(flow, decorations);
    let p = html(&decorations.id_prefix);
    let mut out = String::new();
    let title = flow.title.as_deref().unwrap_or(&flow.name);
    out += &format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"flow\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"{t}\">\n<title>{t}</title>\n<style>\n{STYLE}</style>\n",
        w = num(l.width),
        h = num(l.height),
        t = html(title)
    );
    if l.simplified {
        out += &format!(
            "<text class=\"simplified\" x=\"20\" y=\"14\">Simplified drawing: {} actions and {} branches are past the full layout's bound ({} slots); branches are drawn as direct curves.</text>\n",
            flow.nodes.len(),
            flow.edges.len(),
            super::layout::MAX_LAYOUT_SLOTS
        );
    }
    out += "<defs>\n";
    for (name, color) in [
        ("arrow", "#607d8b"),
        ("arrow-error", "#d32f2f"),
        ("arrow-hot", "#0b57d0"),
    ] {
        out += &format!(
            "<marker id=\"{p}{name}\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerUnits=\"userSpaceOnUse\" markerWidth=\"9\" markerHeight=\"9\" orient=\"auto-start-reverse\"><path d=\"M0 0L10 5L0 10z\" fill=\"{color}\"/></marker>\n"
        );
    }
    out += "</defs>\n<g class=\"edges\">\n";
    for (k, edge) in flow.edges.iter().enumerate() {
        let mut class = String::from("edge");
        if edge.is_error {
            class += " error";
        }
        if let Some(extra) = decorations.edge_classes.get(k).filter(|c| !c.is_empty()) {
            class += " ";
            class += &html(extra);
        }
        let marker = if decorations.edge_emphasis.get(k).copied().unwrap_or(false) {
            "arrow-hot"
        } else if edge.is_error {
            "arrow-error"
        } else {
            "arrow"
        };
        out += &format!(
            "<g class=\"{class}\" id=\"{p}edge-{k}\" data-from=\"{}\" data-to=\"{}\" data-branch=\"{}\"><path d=\"{}\" marker-end=\"url(#{p}{marker})\"/></g>\n",
            edge.from,
            edge.to,
            html(&edge.branch),
            l.edges[k].svg_path()
        );
    }
    out += "</g>\n<g class=\"nodes\">\n";
    for (i, node) in flow.nodes.iter().enumerate() {
        // An event action is drawn as an entry (the entry style, no new
        // rule in the style sheet) with a second outline.
        let mut class = match node.kind {
            NodeKind::Event => "node kind-entry kind-event".to_string(),
            kind => format!("node kind-{}", kind.name()),
        };
        if !node.reachable {
            class += " unreachable";
        }
        if node.error_unconnected {
            class += " noerror";
        }
        if let Some(extra) = decorations.node_classes.get(i).filter(|c| !c.is_empty()) {
            class += " ";
            class += &html(extra);
        }
        let c = l.centers[i];
        let (w, h) = sizes[i];
        // A RunSub links to its subscript: the page's own picture of it
        // when the page has one, else the subscript's file.
        let link = decorations
            .node_links
            .get(i)
            .cloned()
            .flatten()
            .or_else(|| node.subscript.as_ref().map(|s| s.file_href()));
        if let Some(href) = &link {
            out += &format!("<a href=\"{}\" class=\"subscript-link\">", html(href));
        }
        out += &format!(
            "<g class=\"{class}\" id=\"{p}node-{i}\" data-action=\"{}\">",
            html(&node.id)
        );
        let mut tip = format!("{}: {} \"{}\"", node.id, node.action_type, node.caption);
        if !node.reachable {
            tip += " (unreachable from Begin)";
        }
        if node.error_unconnected {
            tip += " (Error branch not connected)";
        }
        if let Some(sub) = &node.subscript {
            tip += &format!(" runs subscript {}", sub.name);
        }
        if node.kind == NodeKind::Event {
            tip += match node.action_type.as_str() {
                "OnAnswer" => " (event: runs when an agent answers)",
                _ => " (event: runs when the contact is released)",
            };
        }
        out += &format!("<title>{}</title>", html(&clip(&tip, TIP_CHARS)));
        out += &shape(node.kind, c, w, h);
        let lines = node_lines(flow, i, decorations);
        let top = c.y - h / 2.0 + PAD_Y + LINE_HEIGHT * 0.75;
        for (j, (text, kind)) in lines.iter().enumerate() {
            out += &format!(
                "<text class=\"{kind}\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                num(c.x),
                num(top + j as f64 * LINE_HEIGHT),
                html(text)
            );
        }
        out += "</g>";
        if link.is_some() {
            out += "</a>";
        }
        out += "\n";
    }
    out += "</g>\n<g class=\"labels\">\n";
    for (k, edge) in flow.edges.iter().enumerate() {
        let text = edge_text(flow, k, decorations);
        let at = l.edges[k].label_at;
        let width = (cells(&text) * LABEL_CHAR_WIDTH + 8.0).ceil();
        let mut class = String::from("edge-label");
        if edge.is_error {
            class += " error";
        }
        if let Some(extra) = decorations.edge_classes.get(k).filter(|c| !c.is_empty()) {
            class += " ";
            class += &html(extra);
        }
        out += &format!(
            "<g class=\"{class}\" id=\"{p}label-{k}\"><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"16\" rx=\"3\"/><text x=\"{}\" y=\"{}\">{}</text></g>\n",
            num(at.x),
            num(at.y),
            num(width),
            num(at.x + 4.0),
            num(at.y + 12.0),
            html(&text)
        );
    }
    out += "</g>\n</svg>\n";
    let _ = FONT_SIZE;
    let _ = LABEL_FONT_SIZE;
    out
}

/// The outline of a node of this kind centred at `c`.
fn shape(kind: NodeKind, c: Point, w: f64, h: f64) -> String {
    let (x0, y0, x1, y1) = (c.x - w / 2.0, c.y - h / 2.0, c.x + w / 2.0, c.y + h / 2.0);
    match kind {
        NodeKind::Entry | NodeKind::Terminal => format!(
            "<rect class=\"shape\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"{}\"/>",
            num(x0),
            num(y0),
            num(w),
            num(h),
            num(h / 2.0)
        ),
        // A rounded box with a second outline inside: an entry point
        // reached by an event.
        NodeKind::Event => format!(
            "<rect class=\"shape\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"{}\"/><rect class=\"inner\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"{}\" fill=\"none\" stroke=\"#2e7d32\"/>",
            num(x0),
            num(y0),
            num(w),
            num(h),
            num(h / 2.0),
            num(x0 + 3.0),
            num(y0 + 3.0),
            num(w - 6.0),
            num(h - 6.0),
            num(h / 2.0 - 3.0)
        ),
        NodeKind::Decision => {
            let d = 12.0;
            format!(
                "<polygon class=\"shape\" points=\"{},{} {},{} {},{} {},{} {},{} {},{}\"/>",
                num(x0 + d),
                num(y0),
                num(x1 - d),
                num(y0),
                num(x1),
                num(c.y),
                num(x1 - d),
                num(y1),
                num(x0 + d),
                num(y1),
                num(x0),
                num(c.y)
            )
        }
        NodeKind::Api => format!(
            "<rect class=\"shape\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/><path class=\"inner\" d=\"M{} {}V{}M{} {}V{}\"/>",
            num(x0),
            num(y0),
            num(w),
            num(h),
            num(x0 + 7.0),
            num(y0),
            num(y1),
            num(x1 - 7.0),
            num(y0),
            num(y1)
        ),
        NodeKind::Host => {
            let d = 10.0;
            format!(
                "<polygon class=\"shape\" points=\"{},{} {},{} {},{} {},{}\"/>",
                num(x0 + d),
                num(y0),
                num(x1),
                num(y0),
                num(x1 - d),
                num(y1),
                num(x0),
                num(y1)
            )
        }
        // A subroutine box: a rectangle with a second outline inside.
        NodeKind::Call => format!(
            "<rect class=\"shape\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"6\"/><rect class=\"inner\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"4\"/>",
            num(x0),
            num(y0),
            num(w),
            num(h),
            num(x0 + 3.0),
            num(y0 + 3.0),
            num(w - 6.0),
            num(h - 6.0)
        ),
        NodeKind::Plain => format!(
            "<rect class=\"shape\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"3\"/>",
            num(x0),
            num(y0),
            num(w),
            num(h)
        ),
    }
}
