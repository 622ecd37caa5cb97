//! `studioflow test --coverage-html DIR`: one page per tested script (the
//! flow with every branch coloured taken or not, hit counts, untaken
//! branches at file:line:col) and an index page; bad folders are exit 2.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

struct Output {
    code: i32,
    stderr: String,
}

fn studioflow(dir: &Path, args: &[&str]) -> Output {
    let out = Command::cargo_bin("studioflow")
        .unwrap()
        .current_dir(dir)
        .env_remove("CI")
        .args(args)
        .output()
        .unwrap();
    Output {
        code: out.status.code().unwrap_or(-1),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The opening tags of elements whose class list has `class`.
fn tags_with_class<'a>(page: &'a str, class: &str) -> Vec<&'a str> {
    page.split('<')
        .filter(|tag| {
            tag.split_once("class=\"").is_some_and(|(_, rest)| {
                rest.split('"')
                    .next()
                    .is_some_and(|v| v.split_whitespace().any(|w| w == class))
            })
        })
        .collect()
}

#[test]
fn every_example_gets_a_page_that_agrees_with_the_coverage_json() {
    let out_dir = tempfile::tempdir().unwrap();
    let pages = out_dir.path().join("pages");
    let json = out_dir.path().join("cov.json");
    let out = studioflow(
        root(),
        &[
            "test",
            "scripts",
            "--coverage-html",
            pages.to_str().unwrap(),
            "--coverage-json",
            json.to_str().unwrap(),
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("index.html"), "{}", out.stderr);
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let scripts = doc["scripts"].as_array().unwrap();
    // The subscript order_summary calls is covered as a script of its own.
    assert!(scripts
        .iter()
        .any(|s| s["script"] == "scripts/shared/format_money.script"));

    let index = std::fs::read_to_string(pages.join("index.html")).unwrap();
    let rows = tags_with_class(&index, "script");
    assert_eq!(rows.len(), scripts.len());
    let mut files: Vec<PathBuf> = std::fs::read_dir(&pages)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(files.len(), scripts.len() + 1, "{files:?}");

    for (row, script) in rows.iter().zip(scripts) {
        let name = script["script"].as_str().unwrap();
        let percent = script["branches"]["percent"].as_f64().unwrap();
        assert!(
            row.contains(&format!("data-percent=\"{percent:.1}\"")),
            "{row} {name}"
        );
        let href = index
            .split(&format!(">{name}</a>"))
            .next()
            .and_then(|before| before.rsplit("href=\"").next())
            .and_then(|rest| rest.split('"').next())
            .unwrap();
        let page = std::fs::read_to_string(pages.join(href)).unwrap();
        let actions = script["action_hits"].as_array().unwrap();
        let branches = script["branch_hits"].as_array().unwrap();
        // One node per action, one edge per written branch, coloured by hits.
        let nodes = tags_with_class(&page, "node");
        assert_eq!(nodes.len(), actions.len(), "{name}");
        let edges = |class: &str| {
            tags_with_class(&page, class)
                .iter()
                .filter(|t| t.contains("data-branch="))
                .count()
        };
        let taken = branches.iter().filter(|b| b["hits"] != 0).count();
        assert_eq!(edges("covered"), taken, "{name}");
        assert_eq!(edges("uncovered"), branches.len() - taken, "{name}");
        // Hit counts on the edges and the never-run actions.
        for (k, b) in branches.iter().enumerate() {
            let label = page
                .split(&format!("id=\"label-{k}\""))
                .nth(1)
                .and_then(|rest| rest.split("</g>").next())
                .unwrap();
            assert!(
                label.contains(&format!("×{}</text>", b["hits"])),
                "{name} {k}: {label}"
            );
        }
        let never = tags_with_class(&page, "never").len();
        assert_eq!(
            never,
            actions.iter().filter(|a| a["hits"] == 0).count(),
            "{name}"
        );
        // Every untaken branch is listed at its file:line:col.
        for b in branches.iter().filter(|b| b["hits"] == 0) {
            let line = format!(
                "<li>{name}:{}:{}: branch {} of {} ({}) never taken</li>",
                b["line"],
                b["column"],
                b["branch"].as_str().unwrap().replace('"', "&quot;"),
                b["action"].as_str().unwrap(),
                b["type"].as_str().unwrap()
            );
            assert!(page.contains(&line), "{name}: {line}");
        }
        assert!(page.contains("href=\"index.html\""));
    }
    // The RunSub of order_summary links to its subscript's page.
    let order = std::fs::read_to_string(pages.join("scripts_order_summary_script.html")).unwrap();
    assert!(order.contains(
        "<a href=\"scripts_shared_format_money_script.html\" class=\"subscript-link\"><g class=\"node kind-call"
    ));
}

#[test]
fn a_bad_folder_is_exit_2_and_nothing_is_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.script"),
        "start: Begin { Default -> done }\ndone: End",
    )
    .unwrap();
    std::fs::write(dir.path().join("a.test.toml"), "[[case]]\nname = \"runs\"").unwrap();
    std::fs::write(dir.path().join("taken"), "keep me").unwrap();

    let out = studioflow(dir.path(), &["test", "--coverage-html", "taken"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "error: --coverage-html taken: not a directory (give a folder for the coverage pages)"
        ),
        "{}",
        out.stderr
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("taken")).unwrap(),
        "keep me"
    );

    let out = studioflow(dir.path(), &["test", "--coverage-html", "taken/sub"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("error: --coverage-html taken/sub: cannot create the folder"),
        "{}",
        out.stderr
    );

    // A page that exists as a folder is refused, the others are written.
    std::fs::create_dir_all(dir.path().join("cov/index.html")).unwrap();
    let out = studioflow(dir.path(), &["test", "--coverage-html", "cov"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("index.html"), "{}", out.stderr);
    assert!(dir.path().join("cov/index.html").is_dir());
    assert!(dir.path().join("cov/a_script.html").is_file());

    // Only DIR itself is created, never a missing parent (issue 17 item 14).
    let out = studioflow(dir.path(), &["test", "--coverage-html", "new/cov"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("error: --coverage-html new/cov: cannot create the folder"),
        "{}",
        out.stderr
    );
    assert!(!dir.path().join("new").exists());

    // A good folder is created, and the run's exit code is the tests' own.
    std::fs::create_dir(dir.path().join("new")).unwrap();
    let out = studioflow(dir.path(), &["test", "--coverage-html", "new/cov"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let page = std::fs::read_to_string(dir.path().join("new/cov/a_script.html")).unwrap();
    assert!(page.contains("<td id=\"branches\">1/1 "), "{page}");
}

#[test]
fn hostile_captions_and_names_are_text_on_coverage_pages() {
    let dir = tempfile::tempdir().unwrap();
    let script = "start: Begin { Default -> x }\nx: Assign \"</script><img src=x onerror=alert(1)>\" { Variable = a Value = 1 Default -> done Error -> done }\ndone: End";
    std::fs::write(dir.path().join("h.script"), script).unwrap();
    std::fs::write(dir.path().join("h.test.toml"), "[[case]]\nname = \"runs\"").unwrap();
    let out = studioflow(dir.path(), &["test", "--coverage-html", "cov"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let page = std::fs::read_to_string(dir.path().join("cov/h_script.html")).unwrap();
    assert!(!page.contains("<img"));
    assert!(page.contains("&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"));
    assert_eq!(page.matches("<script").count(), 1);
}
