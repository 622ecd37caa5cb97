//! The HTML of run reports (and the page shell coverage pages share).

use base64::Engine as _;
use sha2::{Digest, Sha256};

use super::{value_text, Inputs, RecordedRun, UnitCounts, MAX_REPORT_STEPS, MAX_VALUE_CHARS};
use crate::graph::escape::clip;
use crate::graph::escape::html;
use crate::graph::{render_svg, Decorations, FlowGraph};
use crate::{Run, ERR_VARIABLE};

const PAGE_STYLE: &str = "\
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;margin:0;color:#1b1b1b;background:#fafafa}
header{padding:14px 20px;background:#263238;color:#fff}
header h1{margin:0;font-size:18px}
header .file{opacity:.8;font-size:13px}
main{display:grid;grid-template-columns:minmax(320px,auto) minmax(420px,1fr);gap:16px;padding:16px;align-items:start}
section{background:#fff;border:1px solid #ddd;border-radius:6px;padding:10px 14px;overflow:auto}
section h2{font-size:15px;margin:4px 0 10px}
.picture{max-height:92vh}
.badge{display:inline-block;padding:2px 8px;border-radius:10px;font-weight:bold;font-size:13px}
.badge.completed{background:#c8e6c9;color:#1b5e20}.badge.stopped,.badge.cancelled{background:#ffcdd2;color:#b71c1c}.badge.limit{background:#ffe0b2;color:#e65100}.badge.waiting{background:#bbdefb;color:#0d47a1}
.conversation td.at{font-family:monospace;color:#666;white-space:nowrap}.conversation tr.prompt th{color:#1565c0}.conversation tr.digits th{color:#2e7d32}.conversation tr.answered th,.conversation tr.queued th{color:#6a1b9a}.conversation tr.hangup th{color:#b71c1c}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{border-bottom:1px solid #eee;padding:3px 6px;text-align:left;vertical-align:top}
td.value,td.changes{font-family:ui-monospace,Menlo,Consolas,'DejaVu Sans Mono',monospace;font-size:12px;word-break:break-all}
tr.step{cursor:pointer}tr.step.frame{background:#f5fbfa}.frame-name{color:#00695c}
.trace{font-family:ui-monospace,Menlo,Consolas,'DejaVu Sans Mono',monospace;font-size:12px;color:#6a1b9a}
.pictures{display:flex;flex-direction:column;gap:16px;min-width:0}
.picture.subscript{border-color:#80cbc4}tr.step:hover{background:#f1f8ff}tr.step.selected{background:#fff3c4}
.change .arrow{color:#888}.muted{color:#888}
.error{color:#b71c1c}
.flow .edge:not(.taken) path{opacity:.45}
.flow .edge.taken path{stroke:#0b57d0;stroke-width:2.6;opacity:1}
.flow .edge.taken.error path{stroke:#d32f2f}
.flow .edge-label.taken text{fill:#0b57d0;font-weight:bold}
.flow .node.visited .shape{stroke:#0b57d0;stroke-width:2.6}
.flow .node.end .shape{stroke:#000;stroke-width:4}
.flow .node.failed .shape{stroke:#b71c1c;stroke-width:4}
.flow .node{cursor:pointer}
.flow .node.selected .shape{fill:#ffe082}
.legend span{margin-right:12px;font-size:12px}
";

/// The pages' one script (run report and coverage pages): selecting a row
/// highlights what it names in the picture; `?step=N` / `#step-N` and
/// `?branch=N` / `#branch-N` select on load (how the browser tests drive it).
pub(crate) const PAGE_SCRIPT: &str = include_str!("page.js");

/// A complete, self-contained HTML page: a Content Security Policy that
/// allows nothing from the network and only this page's own script.
pub fn page(title: &str, body: &str, script: &str) -> String {
    page_styled(title, "", body, script)
}

/// [`page`] with extra CSS after the shared style (coverage pages).
pub(crate) fn page_styled(title: &str, style: &str, body: &str, script: &str) -> String {
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(script.as_bytes()));
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{hash}'; img-src data:\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>\n{PAGE_STYLE}{style}</style>\n</head>\n<body>\n{body}<script>{script}</script>\n</body>\n</html>\n",
        html(title)
    )
}

fn step_list(numbers: &[u64], count: u64) -> String {
    let mut text = numbers
        .iter()
        .map(|n| format!("#{n}"))
        .collect::<Vec<_>>()
        .join(" ");
    if count > numbers.len() as u64 {
        text += &format!(" +{}", count - numbers.len() as u64);
    }
    text
}

/// The picture marks of a path: visited nodes with their step numbers,
/// taken edges `×N`; RunSub nodes link to their subscript's picture.
fn path_decorations(flow: &FlowGraph, counts: &UnitCounts, id_prefix: &str) -> Decorations {
    let mut decorations = Decorations {
        id_prefix: id_prefix.to_string(),
        node_classes: vec![String::new(); flow.nodes.len()],
        node_notes: vec![None; flow.nodes.len()],
        node_links: vec![None; flow.nodes.len()],
        edge_classes: vec![String::new(); flow.edges.len()],
        edge_notes: vec![None; flow.edges.len()],
        edge_emphasis: vec![false; flow.edges.len()],
    };
    for (i, node) in flow.nodes.iter().enumerate() {
        let count = counts.node_counts.get(i).copied().unwrap_or(0);
        if count > 0 {
            decorations.node_classes[i] = "visited".into();
            decorations.node_notes[i] = Some(step_list(&counts.node_steps[i], count));
        }
        if let Some(sub) = &node.subscript {
            decorations.node_links[i] = Some(match sub.unit {
                0 => "#picture".to_string(),
                u => format!("#sub-{u}"),
            });
        }
    }
    for (k, &count) in counts.edge_counts.iter().enumerate() {
        if count > 0 {
            decorations.edge_classes[k] = "taken".into();
            decorations.edge_notes[k] = Some(format!("×{count}"));
            decorations.edge_emphasis[k] = true;
        }
    }
    decorations
}

/// The HTML report of a run: the flow with the path taken, the outcome,
/// inputs and final variables, and the step list.
pub fn run_report_html(
    flow: &FlowGraph,
    run: &Run,
    inputs: &Inputs,
    record: &RecordedRun,
) -> String {
    // The run ends in the script that was run (a subscript's end is its Return).
    let end_node = run.end.as_deref().and_then(|id| flow.node_index(id));
    let failed = run.error.is_some();
    let counts = UnitCounts {
        edge_counts: record.edge_counts.clone(),
        node_counts: record.node_counts.clone(),
        node_steps: record.node_steps.clone(),
    };
    let mut decorations = path_decorations(flow, &counts, "");
    if let Some(i) = end_node {
        decorations.node_classes[i] += if failed { " failed" } else { " end" };
        let word = if failed {
            "■ stopped here"
        } else {
            "■ ended here"
        };
        let note = decorations.node_notes[i].take().unwrap_or_default();
        decorations.node_notes[i] = Some(format!("{note} {word}").trim().to_string());
    }
    let svg = render_svg(flow, &decorations);
    // Each subscript's own picture, its path marked, below the main one.
    let mut sub_pictures = String::new();
    for (u, sub) in record.subscripts.iter().enumerate() {
        let unit = u + 1;
        let ran = sub.counts.node_counts.iter().sum::<u64>();
        let decorations = path_decorations(&sub.flow, &sub.counts, &format!("u{unit}-"));
        sub_pictures += &format!(
            "<section class=\"picture subscript\" id=\"sub-{unit}\"><h2>Subscript {} <span class=\"muted\">{} · {}</span></h2>\n{}</section>\n",
            html(&sub.label),
            html(&sub.flow.name),
            if ran == 0 {
                "not run".to_string()
            } else {
                format!("{ran} step{}", if ran == 1 { "" } else { "s" })
            },
            render_svg(&sub.flow, &decorations)
        );
    }

    let title = flow.title.clone().unwrap_or_else(|| flow.name.clone());
    let mut body = String::new();
    body += &format!(
        "<header><h1>Run of {}</h1><div class=\"file\">{}</div></header>\n<main>\n",
        html(&title),
        html(&flow.name)
    );
    body += &format!(
        "<div class=\"pictures\"><section class=\"picture\" id=\"picture\"><h2>Flow</h2><div class=\"legend\"><span>blue: the path taken, ×N times</span><span>■ where the run ended</span><span>#N: step numbers</span></div>\n{svg}</section>\n{sub_pictures}</div>\n"
    );
    body += "<div class=\"details\">\n<section id=\"summary\"><h2>Outcome</h2>\n<table>\n";
    let word = run.outcome.name();
    body += &format!(
        "<tr><th>outcome</th><td><span class=\"badge {word}\" id=\"outcome\">{word}</span></td></tr>\n"
    );
    body += &format!(
        "<tr><th>ended at</th><td id=\"end\">{}</td></tr>\n",
        html(run.end.as_deref().unwrap_or("(none)"))
    );
    body += &format!(
        "<tr><th>steps</th><td id=\"steps\">{}</td></tr>\n",
        run.steps
    );
    if let Some(e) = &run.error {
        body += &format!(
            "<tr><th>run error</th><td class=\"error\" id=\"run-error\">{} in action <code>{}</code>: {}</td></tr>\n",
            html(e.kind.stop_kind()),
            html(&e.action),
            html(&e.message)
        );
    }
    if let Some(err) = run.variables.get(ERR_VARIABLE) {
        body += &format!(
            "<tr><th>{ERR_VARIABLE}</th><td class=\"value error\" id=\"err\">{}</td></tr>\n",
            html(&value_text(err))
        );
    }
    if let Some(waiting) = &run.waiting {
        body += &format!(
            "<tr><th>waits for</th><td id=\"waiting\">{} in action <code>{}</code></td></tr>\n",
            html(waiting.wait.kind().as_str()),
            html(&waiting.action)
        );
    }
    body += "</table></section>\n";
    body += &conversation(run);

    body += "<section id=\"inputs\"><h2>Inputs</h2>\n";
    if inputs.is_empty() {
        body += "<p class=\"muted\">none</p>\n";
    } else {
        body += "<table>\n";
        for (name, value) in inputs {
            body += &format!(
                "<tr><th>{}</th><td class=\"value\">{}</td></tr>\n",
                html(name),
                html(&value_text(value))
            );
        }
        body += "</table>\n";
    }
    body += "</section>\n<section id=\"variables\"><h2>Final variables</h2>\n<table>\n";
    for (name, value) in run.variables.iter() {
        body += &format!(
            "<tr><th>{}</th><td class=\"value\">{}</td></tr>\n",
            html(name),
            html(&value_text(value))
        );
    }
    body += "</table></section>\n";

    body += "<section id=\"step-list\"><h2>Steps</h2>\n<table>\n<thead><tr><th>#</th><th>action</th><th>type</th><th>caption</th><th>branch</th><th>variables changed</th></tr></thead>\n<tbody>\n";
    for s in &record.steps {
        let step_flow = match s.unit {
            0 => flow,
            u => match record.subscripts.get(u - 1) {
                Some(sub) => &sub.flow,
                None => continue,
            },
        };
        let Some(node) = step_flow.nodes.get(s.node) else {
            continue;
        };
        let mut changes = s
            .changes
            .iter()
            .map(|(name, before, after)| {
                format!(
                    "<div class=\"change\"><b>{}</b>: {} <span class=\"arrow\">→</span> {}</div>",
                    html(name),
                    html(before.as_deref().unwrap_or("(unset)")),
                    html(after.as_deref().unwrap_or("(unset)"))
                )
            })
            .collect::<String>();
        for line in &s.output {
            changes += &format!("<div class=\"trace\">TRACE {}</div>", html(line));
        }
        let prefix = if s.unit == 0 {
            String::new()
        } else {
            format!("u{}-", s.unit)
        };
        // Steps inside a subscript are indented by frame and named `script:action`.
        let (class, action) = match &s.script {
            Some(script) => (
                format!("step frame depth-{}", s.depth),
                format!(
                    "<span class=\"frame-name\">{}:</span>{}",
                    html(script),
                    html(&node.id)
                ),
            ),
            None => ("step".to_string(), html(&node.id)),
        };
        body += &format!(
            "<tr class=\"{class}\" id=\"step-{}\" data-step=\"{}\" data-node=\"{}\" data-target=\"{prefix}node-{}\" tabindex=\"0\"><td>{}</td><td style=\"padding-left:{}px\">{action}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"changes\">{changes}</td></tr>\n",
            s.step,
            s.step,
            s.node,
            s.node,
            s.step,
            6 + 18 * s.depth,
            html(&node.action_type),
            html(&node.caption),
            html(s.branch.as_deref().unwrap_or("(end)"))
        );
    }
    body += "</tbody></table>\n";
    let hidden = record.total_steps.saturating_sub(record.steps.len() as u64);
    if hidden > 0 {
        body += &format!(
            "<p class=\"muted\" id=\"more-steps\">… and {hidden} more step{} not shown (the first {MAX_REPORT_STEPS} are listed; the picture counts them all).</p>\n",
            if hidden == 1 { "" } else { "s" }
        );
    }
    body += "</section>\n</div>\n</main>\n";
    page(&format!("Run of {title}"), &body, PAGE_SCRIPT)
}

/// The contact as a conversation: who said or did what, at which virtual
/// time, each line linked to its step. Empty for a run with no contact.
fn conversation(run: &Run) -> String {
    if run.transcript.is_empty() {
        return String::new();
    }
    use crate::TranscriptKind as K;
    let mut out = String::from(
        "<section id=\"transcript\"><h2>Conversation</h2>\n<table class=\"conversation\">\n",
    );
    for entry in &run.transcript {
        let (who, what) = match entry.kind {
            K::Prompt => ("caller hears", "prompt"),
            K::Digits => ("caller presses", "digits"),
            K::Queued => ("queued for", "queued"),
            K::Answered => ("agent answers", "answered"),
            K::Music => ("music", "music"),
            K::Wait => ("time passes (s)", "wait"),
            K::Http => ("web service", "http"),
            K::Data => ("data saved", "data"),
            K::Hangup => ("hangup", "hangup"),
        };
        let seconds = entry.at;
        out += &format!(
            "<tr class=\"say {what}\" data-step=\"{}\"><td class=\"at\">{}:{:04.1}</td><th>{who}</th><td>{}</td><td class=\"muted\"><a href=\"#step-{}\" title=\"{}\">#{}</a></td></tr>\n",
            entry.step,
            (seconds / 60.0).floor() as u64,
            seconds % 60.0,
            html(&clip(&entry.text, MAX_VALUE_CHARS)),
            entry.step,
            html(&entry.action),
            entry.step,
        );
    }
    if run.transcript_omitted > 0 {
        out += &format!(
            "<tr><td colspan=\"4\" class=\"muted\">… {} more lines not shown</td></tr>\n",
            run.transcript_omitted
        );
    }
    out += "</table></section>\n";
    out
}
