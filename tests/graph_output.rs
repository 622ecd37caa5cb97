//! Pictures of the example scripts: golden DOT, Mermaid and SVG (stable
//! output), layout geometry (no overlaps, edges clear of nodes), and
//! escaping of hostile text in every format.
//!
//! `UPDATE_GOLDEN=1 cargo test --test graph_output` rewrites the golden files
//! in `tests/graph/`; check every change is intended.

use std::path::{Path, PathBuf};

use studioflow::graph::{compute_layout, render, Decorations, FlowGraph, Format};
use studioflow::Engine;

fn examples() -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "script"))
            .collect();
    paths.sort();
    assert!(paths.len() >= 4, "the examples are found");
    paths
}

fn flow_of(path: &Path) -> FlowGraph {
    let source = std::fs::read_to_string(path).unwrap();
    let name = format!("scripts/{}", path.file_name().unwrap().to_string_lossy());
    // Examples may call shared subscripts (RunSub), read next to them.
    let script = Engine::builder()
        .script_resolver(studioflow::FileResolver::new(1 << 20))
        .build()
        .compile(&source, &name)
        .expect("example compiles");
    FlowGraph::from_script(&script)
}

fn flow_of_text(source: &str) -> FlowGraph {
    FlowGraph::from_script(&Engine::new().compile(source, "t.script").expect("compiles"))
}

#[test]
fn golden_pictures_of_the_examples() {
    let update =
        std::env::var_os("UPDATE_GOLDEN").is_some() && std::env::var("CI").as_deref() != Ok("true");
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/graph");
    let mut mismatches = Vec::new();
    for path in examples() {
        let flow = flow_of(&path);
        let stem = path.file_stem().unwrap().to_string_lossy().to_string();
        for (format, ext) in [
            (Format::Dot, "dot"),
            (Format::Mermaid, "mmd"),
            (Format::Svg, "svg"),
        ] {
            let text = render(&flow, format);
            assert_eq!(
                text,
                render(&flow_of(&path), format),
                "{stem}.{ext} is deterministic"
            );
            let golden = folder.join(format!("{stem}.{ext}"));
            if update {
                std::fs::write(&golden, &text).unwrap();
            } else {
                match std::fs::read_to_string(&golden) {
                    Ok(expected) if expected == text => {}
                    Ok(_) => mismatches.push(format!("{} differs", golden.display())),
                    Err(_) => mismatches.push(format!("{} is missing", golden.display())),
                }
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "{}\n(run UPDATE_GOLDEN=1 cargo test --test graph_output and review the diff)",
        mismatches.join("\n")
    );
}

#[test]
fn every_action_is_one_node_and_every_written_branch_one_edge() {
    for path in examples() {
        let flow = flow_of(&path);
        let source = std::fs::read_to_string(&path).unwrap();
        let name = path.to_string_lossy();
        let script = Engine::builder()
            .script_resolver(studioflow::FileResolver::new(1 << 20))
            .build()
            .compile(&source, &name)
            .unwrap();
        assert_eq!(flow.nodes.len(), script.action_count());
        let branches: usize = script.flow().iter().map(|a| a.branches.len()).sum();
        assert_eq!(flow.edges.len(), branches);
        let svg = render(&flow, Format::Svg);
        assert_eq!(
            svg.matches("<g class=\"node ").count(),
            flow.nodes.len(),
            "{}",
            path.display()
        );
        assert_eq!(svg.matches("\" id=\"edge-").count(), flow.edges.len());
        let dot = render(&flow, Format::Dot);
        assert_eq!(dot.matches(" -> n").count(), flow.edges.len());
        let mermaid = render(&flow, Format::Mermaid);
        assert_eq!(
            mermaid.matches("-->|").count() + mermaid.matches("-.->|").count(),
            flow.edges.len()
        );
    }
}

/// Axis-aligned box of a node.
struct Rect {
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
}

impl Rect {
    fn contains(&self, x: f64, y: f64, inset: f64) -> bool {
        x > self.x0 + inset && x < self.x1 - inset && y > self.y0 + inset && y < self.y1 - inset
    }
}

/// Points along one drawn segment (a vertical-tangent cubic).
fn samples(
    a: studioflow::graph::layout::Point,
    b: studioflow::graph::layout::Point,
) -> Vec<(f64, f64)> {
    let mid = (a.y + b.y) / 2.0;
    (0..=20)
        .map(|i| {
            let t = i as f64 / 20.0;
            let u = 1.0 - t;
            let x =
                u * u * u * a.x + 3.0 * u * u * t * a.x + 3.0 * u * t * t * b.x + t * t * t * b.x;
            let y =
                u * u * u * a.y + 3.0 * u * u * t * mid + 3.0 * u * t * t * mid + t * t * t * b.y;
            (x, y)
        })
        .collect()
}

fn check_geometry(flow: &FlowGraph, what: &str) {
    let (sizes, layout) = compute_layout(flow, &Decorations::default());
    let rects: Vec<Rect> = layout
        .centers
        .iter()
        .zip(&sizes)
        .map(|(c, (w, h))| Rect {
            x0: c.x - w / 2.0,
            y0: c.y - h / 2.0,
            x1: c.x + w / 2.0,
            y1: c.y + h / 2.0,
        })
        .collect();
    for i in 0..rects.len() {
        for j in i + 1..rects.len() {
            let (a, b) = (&rects[i], &rects[j]);
            let apart = a.x1 <= b.x0 || b.x1 <= a.x0 || a.y1 <= b.y0 || b.y1 <= a.y0;
            assert!(
                apart,
                "{what}: nodes {} and {} overlap",
                flow.nodes[i].id, flow.nodes[j].id
            );
        }
    }
    for (k, route) in layout.edges.iter().enumerate() {
        let edge = &flow.edges[k];
        if route.self_loop {
            continue;
        }
        for w in route.points.windows(2) {
            let (top, bottom) = (w[0].y.min(w[1].y), w[0].y.max(w[1].y));
            let near: Vec<usize> = (0..rects.len())
                .filter(|&i| {
                    i != edge.from && i != edge.to && rects[i].y1 > top && rects[i].y0 < bottom
                })
                .collect();
            if near.is_empty() {
                continue;
            }
            for (x, y) in samples(w[0], w[1]) {
                for &i in &near {
                    assert!(
                        !rects[i].contains(x, y, 1.0),
                        "{what}: edge {} -> {} crosses node {}",
                        flow.nodes[edge.from].id,
                        flow.nodes[edge.to].id,
                        flow.nodes[i].id
                    );
                }
            }
        }
        // The label box never covers a node.
        let at = route.label_at;
        for (i, r) in rects.iter().enumerate() {
            assert!(
                !(r.contains(at.x + 2.0, at.y + 2.0, 0.0)),
                "{what}: label of edge {k} covers node {}",
                flow.nodes[i].id
            );
        }
    }
}

#[test]
fn examples_are_laid_out_without_overlaps_and_edges_clear_of_nodes() {
    for path in examples() {
        check_geometry(&flow_of(&path), &path.display().to_string());
    }
}

/// A few hundred actions: a chain of Case fan-outs with back edges and
/// long edges, as a large real flow has.
fn big_script(n: usize) -> String {
    let mut s = String::from("start: Begin { Default -> a0 }\n");
    for i in 0..n {
        let next = if i + 1 < n {
            format!("a{}", i + 1)
        } else {
            "done".into()
        };
        match i % 4 {
            0 => s += &format!("a{i}: Case \"step {i}\" {{ Value = x Case \"1\" -> {next} Case \"2\" -> done Default -> {next} }}\n"),
            1 => s += &format!("a{i}: If {{ Expression = x > {i} True -> {next} False -> a{} }}\n", i.saturating_sub(1)),
            2 => s += &format!("a{i}: Assign {{ Variable = x Value = {i} Default -> {next} Error -> start }}\n"),
            _ => s += &format!("a{i}: Loop {{ Repeat = 2 Repeat -> a{i} Finished -> {next} }}\n"),
        }
    }
    s += "done: End\n";
    s
}

#[test]
fn a_flow_of_three_hundred_actions_is_laid_out_cleanly() {
    let flow = flow_of_text(&big_script(300));
    assert_eq!(flow.nodes.len(), 302);
    check_geometry(&flow, "300 actions");
    let svg = render(&flow, Format::Svg);
    assert_eq!(
        svg,
        render(&flow_of_text(&big_script(300)), Format::Svg),
        "deterministic"
    );
}

const HOSTILE: &str = "</script><img src=x onerror=alert(1)>";

fn hostile_flow() -> FlowGraph {
    let caption = HOSTILE.replace('"', "\\\"");
    flow_of_text(&format!(
        "script \"{caption}\"\nstart: Begin \"{caption}\" {{ Default -> pick }}\n\
         pick: Case \"a \\\"quoted\\\" \\\\N label\" {{ Value = x Case \"{caption}\" -> done Case \"|#` ]\" -> done Default -> done }}\n\
         done: End \"{caption}\"\n"
    ))
}

#[test]
fn hostile_text_is_escaped_in_svg() {
    let svg = render(&hostile_flow(), Format::Svg);
    assert!(!svg.contains("<img"), "{svg}");
    assert!(!svg.contains("</script>"));
    assert!(svg.contains("&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"));
}

#[test]
fn hostile_text_is_escaped_in_dot() {
    let dot = render(&hostile_flow(), Format::Dot);
    // Every quote inside a label is escaped, and a backslash cannot start a Graphviz escape.
    assert!(dot.contains(r#"a \"quoted\" \\N label"#), "{dot}");
    for line in dot.lines().filter(|l| l.contains(" [label=")) {
        let unescaped = line.replace("\\\\", "").replace("\\\"", "");
        assert_eq!(
            unescaped.matches('"').count() % 2,
            0,
            "balanced quotes: {line}"
        );
    }
}

#[test]
fn hostile_text_is_escaped_in_mermaid() {
    let mermaid = render(&hostile_flow(), Format::Mermaid);
    for line in mermaid.lines().skip(4) {
        // Our own markup is `<br/>`; nothing a user wrote may add a tag, a quote or a pipe.
        let without_ours = line.replace("<br/>", "");
        assert!(
            !without_ours.contains('<') && !without_ours.contains('>')
                || without_ours.contains("-->")
                || without_ours.contains("-.->"),
            "{line}"
        );
        assert!(!without_ours.contains("<img"), "{line}");
    }
    assert!(
        mermaid.contains("#60;/script#62;#60;img src=x onerror=alert(1)#62;"),
        "{mermaid}"
    );
    assert!(mermaid.contains("#124;#35;#96; ]"), "{mermaid}");
}
