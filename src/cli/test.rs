//! `studioflow test [PATH...]`: runs test files through the library's
//! [`studioflow::testing`] and prints one line per case, a summary and,
//! when asked, coverage.

use std::path::PathBuf;

use studioflow::testing::{snapshot_path, Report, SnapshotChange, TestRunner};

use super::args::TestArgs;
use super::exit::{EXIT_INPUT, EXIT_OK, EXIT_STOPPED};
use super::io::{refuse_over_inputs, script_inputs};

/// True when `CI` says this runs in CI (`CI=true`, or any value but `false`/`0`/empty).
fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !matches!(v.trim(), "" | "0" | "false"))
}

pub(super) fn test(args: TestArgs) -> i32 {
    if let Some(pct) = args.min_coverage {
        if !(0.0..=100.0).contains(&pct) {
            errln!("error: --min-coverage {pct}: expected a percentage from 0 to 100");
            return EXIT_INPUT;
        }
    }
    let mut update = args.update;
    if update && in_ci() {
        errln!("warning: --update is refused under CI=true: no snapshot is written, and missing or changed snapshots fail");
        update = false;
    }
    let mut runner = TestRunner::new().update_snapshots(update);
    if let Some(filter) = &args.filter {
        runner = runner.filter(filter.as_str());
    }
    if let Some(jobs) = args.jobs {
        runner = runner.threads(usize::from(jobs));
    }
    // `--store`: the store's tenant, copied once; each case gets a fresh
    // copy of it, so tests never write to the database.
    if let Some(url) = args.store.url() {
        match store_tenant(url)
            .and_then(|json| runner.default_tenant(&json).map_err(|e| e.to_string()))
        {
            Ok(with_tenant) => runner = with_tenant,
            Err(message) => {
                errln!("error: {message}");
                return EXIT_INPUT;
            }
        }
    }
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let report = match runner.run_paths(&paths) {
        Ok(report) => report,
        Err(e) => {
            errln!("error: {e}");
            return EXIT_INPUT;
        }
    };
    print_report(&report);

    let mut code = if report.bad_files() > 0 {
        EXIT_INPUT
    } else if report.failed() > 0 {
        EXIT_STOPPED
    } else {
        EXIT_OK
    };
    // No output may replace a file the run read: a test file, its script,
    // its snapshots (checked before anything is written).
    let inputs = report_inputs(&report);
    for (option, output) in [
        ("--junit", &args.junit),
        ("--coverage-json", &args.coverage_json),
    ] {
        if let Some(path) = output {
            if let Err(message) = refuse_over_inputs(option, path, &inputs) {
                errln!("error: {message}");
                return EXIT_INPUT;
            }
        }
    }
    let coverage = report.coverage();
    if args.coverage {
        outln!("{}", coverage.to_text().trim_end());
    }
    if let Some(path) = &args.junit {
        if let Err(e) = report.write_junit(path) {
            errln!("error: --junit {}: {e}", path.display());
            code = EXIT_INPUT;
        }
    }
    if let Some(path) = &args.coverage_json {
        if let Err(e) = coverage.write_json(path) {
            errln!("error: --coverage-json {}: {e}", path.display());
            code = EXIT_INPUT;
        }
    }
    if let Some(dir) = &args.coverage_html {
        match coverage.write_html(dir) {
            Ok(written) => {
                if let Some(index) = written.last() {
                    errln!("note: wrote coverage pages; open {}", index.display());
                }
            }
            Err(e) => {
                errln!("error: --coverage-html {e}");
                code = EXIT_INPUT;
            }
        }
    }
    if let Some(min) = args.min_coverage {
        for script in coverage.scripts() {
            if script.branch_percent() < min {
                errln!(
                    "coverage: {} has branch coverage {:.1}%, below --min-coverage {min}",
                    script.script,
                    script.branch_percent()
                );
                if code == EXIT_OK {
                    code = EXIT_STOPPED;
                }
            }
        }
    }
    code
}

/// The files a test run read: each test file, the script it tests (with
/// its subscripts and `studioflow.toml`) and every snapshot of its cases.
fn report_inputs(report: &Report) -> Vec<PathBuf> {
    let mut inputs = Vec::new();
    for file in &report.files {
        inputs.push(file.path.clone());
        inputs.extend(script_inputs(&file.script, None));
        for case in &file.cases {
            inputs.push(snapshot_path(&file.path, &case.name));
        }
        inputs.extend(file.stale_snapshots.iter().cloned());
    }
    inputs.extend(report.errors.iter().map(|e| e.path.clone()));
    inputs
}

fn print_report(report: &Report) {
    for error in &report.errors {
        errln!("error: {error}");
    }
    for file in &report.files {
        let shown = file.path.display();
        for case in &file.cases {
            if case.passed() {
                outln!("ok {shown}: {}", case.name);
            } else {
                outln!("FAILED {shown}: {}", case.name);
                for mismatch in &case.mismatches {
                    for line in mismatch.to_string().lines() {
                        outln!("    {line}");
                    }
                }
            }
            match &case.snapshot {
                SnapshotChange::Unchanged => {}
                SnapshotChange::Written(path) => errln!("note: wrote snapshot {}", path.display()),
                SnapshotChange::Updated(path) => {
                    errln!("note: updated snapshot {}", path.display())
                }
            }
        }
        for stale in &file.stale_snapshots {
            errln!(
                "note: snapshot {} belongs to no case of {shown} (left in place; delete it if it is obsolete)",
                stale.display()
            );
        }
    }
    outln!("{}", report.summary());
}

/// The store's tenant as a tenant document.
fn store_tenant(url: &str) -> Result<String, String> {
    #[cfg(feature = "postgres")]
    {
        use studioflow::permissions::postgres::{connect, load_tenant, StoreUrl};
        let url = StoreUrl::parse(url).map_err(|e| e.to_string())?;
        let mut client = connect(&url).map_err(|e| e.to_string())?;
        let (directory, _) = load_tenant(&mut client, &url).map_err(|e| e.to_string())?;
        Ok(directory.to_tenant_json().to_string())
    }
    #[cfg(not(feature = "postgres"))]
    {
        Err(format!(
            "--store {url}: this studioflow was built without the postgres feature"
        ))
    }
}
