//! A layered (Sugiyama-style) layout, written for flow pictures.
//!
//! The stages are the classic ones (Gansner et al., "A technique for drawing
//! directed graphs", 1993), kept simple and fully deterministic:
//! 1. cycle removal: edges that close a cycle in a depth-first search from
//!    the entry are reversed for the layout (and drawn pointing back up);
//! 2. layering: longest path, every rank doubled so that each edge has a
//!    virtual node between its ends; that node carries the edge's label, so
//!    labels take part in the layout and never overlap nodes or each other;
//! 3. virtual nodes on every layer an edge passes, so edges are routed
//!    through reserved slots and never across a node;
//! 4. crossing reduction: barycenter sweeps down and up, keeping the best
//!    order seen, then adjacent transpositions;
//! 5. x coordinates: repeated sweeps that pull each node towards its
//!    neighbours, each layer solved exactly as an isotonic regression (pool
//!    adjacent violators) so nodes never overlap and keep their order.
//!
//! Everything is plain `Vec` arithmetic in a fixed order: the same input
//! always gives the same coordinates.
//!
//! Past [`MAX_LAYOUT_SLOTS`] the flow gets a simpler drawing instead: rows
//! by rank, direct curves (`simple.rs`). This file is the layered driver;
//! `geometry.rs` holds the picture's types and spacing, `ranks.rs` the cycle
//! removal, layering and crossing reduction, `place.rs` the x coordinates.

mod geometry;
mod place;
mod ranks;
mod simple;
#[cfg(test)]
mod tests;

pub(crate) use geometry::num;
pub use geometry::{EdgeRoute, EdgeSpec, Layout, Point, MAX_LAYOUT_SLOTS};

use geometry::{
    self_loop_route, Slot, LABEL_PAD, LAYER_GAP, MARGIN, SELF_LOOP_REACH, VIRTUAL_WIDTH,
};
use place::assign_x;
use ranks::{back_edges, longest_path_ranks, order_layers};
use simple::simple_layout;

/// Lays out `sizes.len()` nodes (width, height) and `edges`; `roots` are
/// visited first when breaking cycles (the entry action), so flows read
/// from the top.
pub fn layout(sizes: &[(f64, f64)], edges: &[EdgeSpec], roots: &[usize]) -> Layout {
    let n = sizes.len();
    if n == 0 {
        return Layout {
            centers: Vec::new(),
            edges: Vec::new(),
            width: 2.0 * MARGIN,
            height: 2.0 * MARGIN,
            simplified: false,
        };
    }
    // Self loops take room on their node's right.
    let mut loop_room = vec![0.0f64; n];
    for e in edges.iter().filter(|e| e.from == e.to) {
        loop_room[e.from] = loop_room[e.from].max(SELF_LOOP_REACH + 8.0 + e.label.0);
    }

    // 1. Cycle removal.
    let reversed = back_edges(n, edges, roots);

    // 2. Layering (longest path on the acyclic orientation), doubled.
    let dag: Vec<(usize, usize)> = edges
        .iter()
        .enumerate()
        .map(|(i, e)| {
            if reversed[i] {
                (e.to, e.from)
            } else {
                (e.from, e.to)
            }
        })
        .collect();
    let rank = longest_path_ranks(n, edges, &dag);
    // The virtual nodes the full layout would make, counted before any is made.
    let virtual_slots: usize = dag
        .iter()
        .filter(|(u, v)| u != v)
        .map(|&(u, v)| (2 * rank[v].abs_diff(rank[u])).saturating_sub(1))
        .fold(0usize, usize::saturating_add);
    if n.saturating_add(virtual_slots) > MAX_LAYOUT_SLOTS {
        return simple_layout(sizes, edges, &rank, &reversed, &loop_room);
    }
    let layer_of: Vec<usize> = rank.iter().map(|r| r * 2).collect();
    let layer_count = layer_of.iter().max().map_or(1, |m| m + 1);

    // 3. Slots: real nodes, then the virtual nodes of each edge.
    let mut slots: Vec<Slot> = (0..n)
        .map(|i| Slot {
            width: sizes[i].0 + loop_room[i],
            height: sizes[i].1,
            edge: None,
            labelled: false,
            loop_room: loop_room[i],
        })
        .collect();
    let mut slot_layer: Vec<usize> = layer_of.clone();
    // For each edge, its chain of slots from the upper end to the lower end.
    let mut chains: Vec<Vec<usize>> = vec![Vec::new(); edges.len()];
    for (i, e) in edges.iter().enumerate() {
        if e.from == e.to {
            continue;
        }
        let (upper, lower) = dag[i];
        let (lu, ll) = (layer_of[upper], layer_of[lower]);
        // The label sits next to the edge's source.
        let label_layer = if reversed[i] { ll - 1 } else { lu + 1 };
        let mut chain = vec![upper];
        for layer in lu + 1..ll {
            let labelled = layer == label_layer && e.label.0 > 0.0;
            slots.push(Slot {
                width: if labelled {
                    VIRTUAL_WIDTH + LABEL_PAD + e.label.0
                } else {
                    VIRTUAL_WIDTH
                },
                height: if labelled { e.label.1 } else { 0.0 },
                edge: Some(i),
                labelled,
                loop_room: 0.0,
            });
            slot_layer.push(layer);
            chain.push(slots.len() - 1);
        }
        chain.push(lower);
        chains[i] = chain;
    }
    let s = slots.len();
    let mut up: Vec<Vec<usize>> = vec![Vec::new(); s];
    let mut down: Vec<Vec<usize>> = vec![Vec::new(); s];
    for chain in &chains {
        for w in chain.windows(2) {
            down[w[0]].push(w[1]);
            up[w[1]].push(w[0]);
        }
    }

    // 4. Ordering. Initial order: a depth-first walk from the roots, so
    // that related nodes start near each other.
    let mut layers: Vec<Vec<usize>> = vec![Vec::new(); layer_count];
    {
        let mut seen = vec![false; s];
        let mut starts: Vec<usize> = roots.iter().copied().filter(|&r| r < n).collect();
        starts.extend(0..s);
        for start in starts {
            if seen[start] {
                continue;
            }
            let mut stack = vec![start];
            while let Some(v) = stack.pop() {
                if seen[v] {
                    continue;
                }
                seen[v] = true;
                layers[slot_layer[v]].push(v);
                for &w in down[v].iter().rev() {
                    if !seen[w] {
                        stack.push(w);
                    }
                }
            }
        }
    }
    order_layers(&mut layers, &up, &down, s);

    // 5. Coordinates.
    let xs = assign_x(&layers, &slots, &up, &down);
    let mut band_top = vec![0.0; layer_count];
    let mut band_height = vec![0.0f64; layer_count];
    for (l, layer) in layers.iter().enumerate() {
        band_height[l] = layer.iter().map(|&v| slots[v].height).fold(0.0, f64::max);
    }
    let mut y = MARGIN;
    for l in 0..layer_count {
        band_top[l] = y;
        y += band_height[l] + LAYER_GAP;
    }
    let height = y - LAYER_GAP + MARGIN;
    let mut max_right: f64 = 0.0;
    for v in 0..s {
        max_right = max_right.max(xs[v] + slots[v].width / 2.0);
    }
    let width = max_right + MARGIN;
    // A real node's centre: its slot, minus the self-loop room on the right.
    let center = |v: usize| Point {
        x: xs[v] - slots[v].loop_room / 2.0,
        y: band_top[slot_layer[v]] + band_height[slot_layer[v]] / 2.0,
    };
    let centers: Vec<Point> = (0..n).map(center).collect();
    // Where an edge's line passes a virtual node: at the left of its slot
    // when it carries a label (the label box sits to its right).
    let line_x = |v: usize| {
        if slots[v].labelled {
            xs[v] - slots[v].width / 2.0 + VIRTUAL_WIDTH / 2.0
        } else {
            xs[v]
        }
    };

    // Ports: spread the edges leaving a node's bottom (and entering its top)
    // in the order of where they go, so parallel edges do not overlap.
    let mut bottom_port: Vec<f64> = vec![0.0; edges.len()];
    let mut top_port: Vec<f64> = vec![0.0; edges.len()];
    // Each node's outgoing and incoming chains, gathered once (not per node).
    let mut leaving: Vec<Vec<(f64, usize)>> = vec![Vec::new(); n];
    let mut entering: Vec<Vec<(f64, usize)>> = vec![Vec::new(); n];
    for (i, chain) in chains.iter().enumerate() {
        if chain.is_empty() {
            continue;
        }
        leaving[chain[0]].push((line_x(chain[1]), i));
        entering[chain[chain.len() - 1]].push((line_x(chain[chain.len() - 2]), i));
    }
    for v in 0..n {
        let mut outgoing = std::mem::take(&mut leaving[v]);
        let mut incoming = std::mem::take(&mut entering[v]);
        let width = sizes[v].0;
        for (list, ports) in [
            (&mut outgoing, &mut bottom_port),
            (&mut incoming, &mut top_port),
        ] {
            list.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            let k = list.len();
            let span = (width * 0.6).min(14.0 * (k as f64 - 1.0).max(0.0));
            for (j, &(_, e)) in list.iter().enumerate() {
                let offset = if k > 1 {
                    -span / 2.0 + span * j as f64 / (k - 1) as f64
                } else {
                    0.0
                };
                ports[e] = centers[v].x + offset;
            }
        }
    }

    let mut routes = Vec::with_capacity(edges.len());
    for (i, e) in edges.iter().enumerate() {
        if e.from == e.to {
            routes.push(self_loop_route(centers[e.from], sizes[e.from], e.label));
            continue;
        }
        let chain = &chains[i];
        let (upper, lower) = (chain[0], chain[chain.len() - 1]);
        let mut points = vec![Point {
            x: bottom_port[i],
            y: centers[upper].y + sizes[upper].1 / 2.0,
        }];
        let mut label_at = Point { x: 0.0, y: 0.0 };
        for &v in &chain[1..chain.len() - 1] {
            let l = slot_layer[v];
            let x = line_x(v);
            points.push(Point { x, y: band_top[l] });
            if band_height[l] > 0.0 {
                points.push(Point {
                    x,
                    y: band_top[l] + band_height[l],
                });
            }
            if slots[v].labelled {
                label_at = Point {
                    x: x + VIRTUAL_WIDTH / 2.0 + LABEL_PAD,
                    y: band_top[l] + (band_height[l] - e.label.1) / 2.0,
                };
            }
        }
        points.push(Point {
            x: top_port[i],
            y: centers[lower].y - sizes[lower].1 / 2.0,
        });
        if reversed[i] {
            points.reverse();
        }
        routes.push(EdgeRoute {
            points,
            label_at,
            self_loop: false,
        });
    }
    Layout {
        centers,
        edges: routes,
        width,
        height,
        simplified: false,
    }
}
