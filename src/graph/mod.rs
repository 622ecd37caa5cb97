//! Pictures of a flow: a model drawn from the compiled [`crate::Script`]
//! (never from source text), written as Graphviz DOT, a Mermaid
//! `flowchart`, or SVG laid out by studioflow's own layered layout.
//!
//! ```
//! use studioflow::graph::{render, FlowGraph, Format};
//! let engine = studioflow::Engine::new();
//! let script = engine.compile("start: Begin { Default -> done }\ndone: End", "g.script").unwrap();
//! let flow = FlowGraph::from_script(&script);
//! for format in [Format::Dot, Format::Mermaid, Format::Svg] {
//!     assert!(render(&flow, format).contains("start"));
//! }
//! ```

mod dot;
pub mod escape;
pub mod layout;
mod mermaid;
mod model;
mod svg;

pub use dot::to_dot;
pub use mermaid::to_mermaid;
pub use model::{FlowEdge, FlowGraph, FlowNode, NodeKind, SubscriptLink};
pub use svg::{
    compute_layout, render_svg, svg_size_error, to_svg, Decorations, MAX_DRAWN_EDGES,
    MAX_DRAWN_NODES,
};

/// Captions and labels longer than this are clipped in pictures.
pub(crate) const CAPTION_CHARS: usize = 40;

/// An output format of `studioflow graph`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Graphviz input.
    Dot,
    /// A Mermaid `flowchart`.
    Mermaid,
    /// SVG laid out by studioflow.
    Svg,
}

/// The flow in the given format.
///
/// ```
/// # let engine = studioflow::Engine::new();
/// # let script = engine.compile("start: Begin", "g.script").unwrap();
/// let flow = studioflow::graph::FlowGraph::from_script(&script);
/// let text = studioflow::graph::render(&flow, studioflow::graph::Format::Mermaid);
/// assert!(text.starts_with("flowchart TD"));
/// ```
pub fn render(flow: &FlowGraph, format: Format) -> String {
    match format {
        Format::Dot => to_dot(flow),
        Format::Mermaid => to_mermaid(flow),
        Format::Svg => to_svg(flow),
    }
}
