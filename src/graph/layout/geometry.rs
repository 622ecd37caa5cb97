//! The picture's types (points, edge specs and routes, the finished
//! layout), its spacing, and the self-loop route both drawings use.

/// A point in picture coordinates (y grows downwards).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// Horizontal position.
    pub x: f64,
    /// Vertical position.
    pub y: f64,
}

/// What the layout needs to know about an edge.
#[derive(Debug, Clone, PartialEq)]
pub struct EdgeSpec {
    /// Source node index.
    pub from: usize,
    /// Target node index.
    pub to: usize,
    /// Width and height of the edge's label box (`(0, 0)` for none).
    pub label: (f64, f64),
}

/// Where an edge goes.
#[derive(Debug, Clone, PartialEq)]
pub struct EdgeRoute {
    /// From the source's border to the target's border, in drawing order.
    /// Consecutive points are joined by vertical-tangent curves (see
    /// [`EdgeRoute::svg_path`]); a self loop has four points (a cubic curve).
    pub points: Vec<Point>,
    /// Top-left corner of the label box.
    pub label_at: Point,
    /// True for an edge from a node to itself.
    pub self_loop: bool,
}

impl EdgeRoute {
    /// The SVG path data of the route.
    pub fn svg_path(&self) -> String {
        let p = &self.points;
        let mut d = format!("M{} {}", num(p[0].x), num(p[0].y));
        if self.self_loop {
            d += &format!(
                " C{} {} {} {} {} {}",
                num(p[1].x),
                num(p[1].y),
                num(p[2].x),
                num(p[2].y),
                num(p[3].x),
                num(p[3].y)
            );
            return d;
        }
        for w in p.windows(2) {
            let (a, b) = (w[0], w[1]);
            if (a.x - b.x).abs() < 0.05 {
                d += &format!(" L{} {}", num(b.x), num(b.y));
            } else {
                let mid = (a.y + b.y) / 2.0;
                d += &format!(
                    " C{} {} {} {} {} {}",
                    num(a.x),
                    num(mid),
                    num(b.x),
                    num(mid),
                    num(b.x),
                    num(b.y)
                );
            }
        }
        d
    }
}

/// A finished layout.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    /// Centre of each node, by node index.
    pub centers: Vec<Point>,
    /// One route per edge, in input order.
    pub edges: Vec<EdgeRoute>,
    /// Size of the whole picture, margins included.
    pub width: f64,
    /// Size of the whole picture, margins included.
    pub height: f64,
    /// True when the flow was past [`MAX_LAYOUT_SLOTS`] and got the simpler
    /// drawing: nodes in rows by rank, edges as direct curves that may
    /// cross nodes.
    pub simplified: bool,
}

/// The full layout's bound: real nodes plus the virtual nodes long edges
/// pass through (an edge spanning k ranks has 2k - 1). Past it, [`layout`](fn@super::layout)
/// draws the simpler picture (linear in nodes and edges), so a large flow
/// takes milliseconds and megabytes instead of seconds and gigabytes.
///
/// ```
/// assert_eq!(studioflow::graph::layout::MAX_LAYOUT_SLOTS, 100_000);
/// ```
pub const MAX_LAYOUT_SLOTS: usize = 100_000;

/// Formats a coordinate with at most one decimal (stable text output).
pub(crate) fn num(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    if r == r.trunc() {
        format!("{}", r as i64)
    } else {
        format!("{r:.1}")
    }
}

pub(super) const MARGIN: f64 = 20.0;
pub(super) const NODE_GAP: f64 = 28.0;
pub(super) const VIRTUAL_GAP: f64 = 10.0;
pub(super) const LAYER_GAP: f64 = 22.0;
pub(super) const VIRTUAL_WIDTH: f64 = 6.0;
pub(super) const LABEL_PAD: f64 = 6.0;
pub(super) const SELF_LOOP_REACH: f64 = 28.0;

/// One slot in a layer: a real node or a virtual node of an edge.
#[derive(Debug, Clone)]
pub(super) struct Slot {
    pub(super) width: f64,
    pub(super) height: f64,
    /// `Some(edge)` for a virtual node.
    pub(super) edge: Option<usize>,
    /// The label box sits to the right of the line through a labelled virtual node.
    pub(super) labelled: bool,
    /// Extra room on the right for a self loop and its label.
    pub(super) loop_room: f64,
}

/// A self loop on the right of a node centred at `c` of size `size`.
pub(super) fn self_loop_route(c: Point, size: (f64, f64), label: (f64, f64)) -> EdgeRoute {
    let right = c.x + size.0 / 2.0;
    let h = size.1;
    EdgeRoute {
        points: vec![
            Point {
                x: right,
                y: c.y - h / 4.0,
            },
            Point {
                x: right + SELF_LOOP_REACH,
                y: c.y - h / 2.0 - 4.0,
            },
            Point {
                x: right + SELF_LOOP_REACH,
                y: c.y + h / 2.0 + 4.0,
            },
            Point {
                x: right,
                y: c.y + h / 4.0,
            },
        ],
        label_at: Point {
            x: right + SELF_LOOP_REACH + 4.0,
            y: c.y - label.1 / 2.0,
        },
        self_loop: true,
    }
}
