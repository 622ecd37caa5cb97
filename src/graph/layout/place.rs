//! Stage 5 of the layered layout: x coordinates, each layer placed by
//! isotonic regression so nodes never overlap and keep their order.

use super::geometry::{Slot, MARGIN, NODE_GAP, VIRTUAL_GAP};

/// x coordinates: sweeps pulling each slot towards the mean of its
/// neighbours (virtual chains weigh more, so long edges run straight),
/// each layer placed by isotonic regression under the separation rule.
pub(super) fn assign_x(
    layers: &[Vec<usize>],
    slots: &[Slot],
    up: &[Vec<usize>],
    down: &[Vec<usize>],
) -> Vec<f64> {
    let s = slots.len();
    let mut x = vec![0.0; s];
    let gap = |a: usize, b: usize| {
        let g = if slots[a].edge.is_some() || slots[b].edge.is_some() {
            VIRTUAL_GAP
        } else {
            NODE_GAP
        };
        (slots[a].width + slots[b].width) / 2.0 + g
    };
    for layer in layers {
        let mut at = 0.0;
        for (i, &v) in layer.iter().enumerate() {
            if i > 0 {
                at += gap(layer[i - 1], v);
            }
            x[v] = at;
        }
    }
    let weight = |a: usize, b: usize| match (slots[a].edge.is_some(), slots[b].edge.is_some()) {
        (true, true) => 8.0,
        (false, false) => 1.0,
        _ => 2.0,
    };
    let rounds = if s > 4000 { 4 } else { 12 };
    for round in 0..rounds {
        let sequence: Vec<usize> = match round % 3 {
            0 => (0..layers.len()).collect(),
            1 => (0..layers.len()).rev().collect(),
            _ => (0..layers.len()).collect(),
        };
        for l in sequence {
            let layer = &layers[l];
            if layer.is_empty() {
                continue;
            }
            let desired: Vec<(f64, f64)> = layer
                .iter()
                .map(|&v| {
                    let (a, b): (&[usize], &[usize]) = match round % 3 {
                        0 => (&up[v], &[]),
                        1 => (&down[v], &[]),
                        _ => (&up[v], &down[v]),
                    };
                    let (mut total, mut sum) = (0.0, 0.0);
                    for &w in a.iter().chain(b) {
                        let weight = weight(v, w);
                        total += weight;
                        sum += weight * x[w];
                    }
                    if total == 0.0 {
                        (x[v], 0.1)
                    } else {
                        (sum / total, total)
                    }
                })
                .collect();
            let gaps: Vec<f64> = layer.windows(2).map(|w| gap(w[0], w[1])).collect();
            let placed = place_in_order(&desired, &gaps);
            for (i, &v) in layer.iter().enumerate() {
                x[v] = placed[i];
            }
        }
    }
    // Shift so the leftmost box starts at the margin.
    let left = (0..s)
        .map(|v| x[v] - slots[v].width / 2.0)
        .fold(f64::INFINITY, f64::min);
    for v in x.iter_mut() {
        *v += MARGIN - left;
    }
    x
}

/// Weighted least squares placement of boxes in a fixed order with minimum
/// gaps between neighbours: pool adjacent violators on the gap-adjusted
/// desired positions.
pub(super) fn place_in_order(desired: &[(f64, f64)], gaps: &[f64]) -> Vec<f64> {
    let k = desired.len();
    let mut offset = vec![0.0; k];
    for i in 1..k {
        offset[i] = offset[i - 1] + gaps[i - 1];
    }
    // Blocks: (weighted sum, weight, count).
    let mut blocks: Vec<(f64, f64, usize)> = Vec::with_capacity(k);
    for i in 0..k {
        let (d, w) = desired[i];
        blocks.push(((d - offset[i]) * w, w, 1));
        while blocks.len() > 1 {
            let last = blocks[blocks.len() - 1];
            let prev = blocks[blocks.len() - 2];
            if prev.0 / prev.1 > last.0 / last.1 {
                blocks.pop();
                let merged = blocks.last_mut().expect("two blocks");
                merged.0 += last.0;
                merged.1 += last.1;
                merged.2 += last.2;
            } else {
                break;
            }
        }
    }
    let mut out = Vec::with_capacity(k);
    for (sum, weight, count) in blocks {
        let value = sum / weight;
        for _ in 0..count {
            let i = out.len();
            out.push(value + offset[i]);
        }
    }
    out
}
