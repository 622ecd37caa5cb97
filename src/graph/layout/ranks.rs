//! Stages 1, 2 and 4 of the layered layout: cycle removal (back edges of a
//! depth-first search), longest-path ranks, and crossing reduction
//! (barycenter sweeps, then adjacent transpositions).

use super::geometry::EdgeSpec;

/// Marks the edges that close a cycle in an iterative depth-first search
/// from the roots, then from every node not yet visited (in index order).
pub(super) fn back_edges(n: usize, edges: &[EdgeSpec], roots: &[usize]) -> Vec<bool> {
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, e) in edges.iter().enumerate() {
        if e.from != e.to {
            out[e.from].push(i);
        }
    }
    // 0 unvisited, 1 on the stack, 2 done.
    let mut state = vec![0u8; n];
    let mut reversed = vec![false; edges.len()];
    let mut starts: Vec<usize> = roots.iter().copied().filter(|&r| r < n).collect();
    starts.extend(0..n);
    for start in starts {
        if state[start] != 0 {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        state[start] = 1;
        while let Some(&mut (v, ref mut next)) = stack.last_mut() {
            if let Some(&e) = out[v].get(*next) {
                *next += 1;
                let w = edges[e].to;
                match state[w] {
                    0 => {
                        state[w] = 1;
                        stack.push((w, 0));
                    }
                    1 => reversed[e] = true,
                    _ => {}
                }
            } else {
                state[v] = 2;
                stack.pop();
            }
        }
    }
    reversed
}

/// Longest-path ranks on the acyclic orientation (Kahn's algorithm).
pub(super) fn longest_path_ranks(
    n: usize,
    edges: &[EdgeSpec],
    dag: &[(usize, usize)],
) -> Vec<usize> {
    let mut indegree = vec![0usize; n];
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, &(u, v)) in dag.iter().enumerate() {
        if edges[i].from != edges[i].to {
            indegree[v] += 1;
            out[u].push(v);
        }
    }
    let mut rank = vec![0usize; n];
    let mut queue: std::collections::VecDeque<usize> =
        (0..n).filter(|&v| indegree[v] == 0).collect();
    while let Some(u) = queue.pop_front() {
        for &v in &out[u] {
            rank[v] = rank[v].max(rank[u] + 1);
            indegree[v] -= 1;
            if indegree[v] == 0 {
                queue.push_back(v);
            }
        }
    }
    rank
}

/// Crossings between two adjacent layers, counted with a Fenwick tree.
pub(super) fn crossings_between(
    upper: &[usize],
    lower_pos: &[usize],
    down: &[Vec<usize>],
    width: usize,
) -> u64 {
    let mut pairs: Vec<usize> = Vec::new();
    for &u in upper {
        let mut targets: Vec<usize> = down[u].iter().map(|&w| lower_pos[w]).collect();
        targets.sort_unstable();
        pairs.extend(targets);
    }
    let mut tree = vec![0u64; width + 1];
    let mut count = 0u64;
    for (seen, &p) in pairs.iter().enumerate() {
        // Edges seen so far that end right of p cross this one.
        let mut i = p + 1;
        let mut not_greater = 0u64;
        while i > 0 {
            not_greater += tree[i];
            i &= i - 1;
        }
        count += seen as u64 - not_greater;
        let mut i = p + 1;
        while i <= width {
            tree[i] += 1;
            i += i & i.wrapping_neg();
        }
    }
    count
}

fn total_crossings(layers: &[Vec<usize>], pos: &[usize], down: &[Vec<usize>]) -> u64 {
    layers
        .windows(2)
        .map(|w| crossings_between(&w[0], pos, down, w[1].len()))
        .sum()
}

fn positions(layers: &[Vec<usize>], s: usize) -> Vec<usize> {
    let mut pos = vec![0; s];
    for layer in layers {
        for (i, &v) in layer.iter().enumerate() {
            pos[v] = i;
        }
    }
    pos
}

/// Barycenter sweeps, keeping the best order; then adjacent transpositions.
pub(super) fn order_layers(
    layers: &mut [Vec<usize>],
    up: &[Vec<usize>],
    down: &[Vec<usize>],
    s: usize,
) {
    let mut pos = positions(layers, s);
    let mut best = layers.to_vec();
    let mut best_count = total_crossings(layers, &pos, down);
    // Bounded work for very large scripts: fewer sweeps when there are many slots.
    let sweeps = if s > 4000 { 4 } else { 24 };
    for sweep in 0..sweeps {
        if best_count == 0 {
            break;
        }
        let downward = sweep % 2 == 0;
        let order: Vec<usize> = if downward {
            (1..layers.len()).collect()
        } else {
            (0..layers.len().saturating_sub(1)).rev().collect()
        };
        for l in order {
            let neighbours = if downward { up } else { down };
            let mut keyed: Vec<(f64, usize, usize)> = layers[l]
                .iter()
                .enumerate()
                .map(|(i, &v)| {
                    let ns = &neighbours[v];
                    let key = if ns.is_empty() {
                        i as f64
                    } else {
                        ns.iter().map(|&w| pos[w] as f64).sum::<f64>() / ns.len() as f64
                    };
                    (key, i, v)
                })
                .collect();
            keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            layers[l] = keyed.into_iter().map(|k| k.2).collect();
            for (i, &v) in layers[l].iter().enumerate() {
                pos[v] = i;
            }
        }
        let count = total_crossings(layers, &pos, down);
        if count < best_count {
            best_count = count;
            best = layers.to_vec();
        }
    }
    layers.clone_from_slice(&best);
    let mut pos = positions(layers, s);
    // Transpositions: swap neighbours while that lowers their crossings.
    if s <= 20000 {
        for _round in 0..4 {
            let mut improved = false;
            for layer in layers.iter_mut() {
                for i in 0..layer.len().saturating_sub(1) {
                    let (u, v) = (layer[i], layer[i + 1]);
                    if pair_crossings(v, u, &pos, up, down) < pair_crossings(u, v, &pos, up, down) {
                        layer.swap(i, i + 1);
                        pos[v] = i;
                        pos[u] = i + 1;
                        improved = true;
                    }
                }
            }
            if !improved {
                break;
            }
        }
    }
}

/// Crossings between the edges of `left` and `right` when `left` is placed
/// just before `right` (both directions).
fn pair_crossings(
    left: usize,
    right: usize,
    pos: &[usize],
    up: &[Vec<usize>],
    down: &[Vec<usize>],
) -> u64 {
    let mut c = 0;
    for side in [up, down] {
        for &a in &side[left] {
            for &b in &side[right] {
                if pos[a] > pos[b] {
                    c += 1;
                }
            }
        }
    }
    c
}
