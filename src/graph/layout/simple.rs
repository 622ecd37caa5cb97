//! The simpler drawing for flows past [`super::MAX_LAYOUT_SLOTS`]: one row per
//! rank, direct curves. Linear in nodes and edges.

use super::geometry::{
    self_loop_route, EdgeRoute, EdgeSpec, Layout, Point, LAYER_GAP, MARGIN, NODE_GAP,
};

/// The simpler drawing past [`super::MAX_LAYOUT_SLOTS`]: one row per rank, nodes
/// in index order, each edge one curve from border to border with its
/// label at the middle. Linear in nodes and edges.
pub(super) fn simple_layout(
    sizes: &[(f64, f64)],
    edges: &[EdgeSpec],
    rank: &[usize],
    reversed: &[bool],
    loop_room: &[f64],
) -> Layout {
    let n = sizes.len();
    let rows = rank.iter().max().map_or(1, |m| m + 1);
    let mut row_width = vec![0.0f64; rows];
    let mut row_height = vec![0.0f64; rows];
    let mut xs = vec![0.0f64; n];
    for v in 0..n {
        let r = rank[v];
        let width = sizes[v].0 + loop_room[v];
        if row_width[r] > 0.0 {
            row_width[r] += NODE_GAP;
        }
        xs[v] = row_width[r] + sizes[v].0 / 2.0;
        row_width[r] += width;
        row_height[r] = row_height[r].max(sizes[v].1);
    }
    let widest = row_width.iter().copied().fold(0.0, f64::max);
    // Rows are centred; the gap between rows leaves room for edge labels.
    let row_gap = LAYER_GAP + 24.0;
    let mut row_top = vec![0.0f64; rows];
    let mut y = MARGIN;
    for r in 0..rows {
        row_top[r] = y;
        y += row_height[r] + row_gap;
    }
    let centers: Vec<Point> = (0..n)
        .map(|v| {
            let r = rank[v];
            Point {
                x: MARGIN + (widest - row_width[r]) / 2.0 + xs[v],
                y: row_top[r] + row_height[r] / 2.0,
            }
        })
        .collect();
    let routes = edges
        .iter()
        .enumerate()
        .map(|(i, e)| {
            if e.from == e.to {
                return self_loop_route(centers[e.from], sizes[e.from], e.label);
            }
            // Downward edges leave the bottom and enter the top; edges that
            // close a cycle go up from the top to the bottom.
            let (a, b) = (centers[e.from], centers[e.to]);
            let up = reversed[i] || b.y < a.y;
            let sign = if up { -1.0 } else { 1.0 };
            let start = Point {
                x: a.x,
                y: a.y + sign * sizes[e.from].1 / 2.0,
            };
            let end = Point {
                x: b.x,
                y: b.y - sign * sizes[e.to].1 / 2.0,
            };
            EdgeRoute {
                points: vec![start, end],
                label_at: Point {
                    x: (start.x + end.x) / 2.0 + 4.0,
                    y: (start.y + end.y) / 2.0 - e.label.1 / 2.0,
                },
                self_loop: false,
            }
        })
        .collect();
    Layout {
        centers,
        edges: routes,
        width: widest + 2.0 * MARGIN,
        height: y - row_gap + MARGIN,
        simplified: true,
    }
}
