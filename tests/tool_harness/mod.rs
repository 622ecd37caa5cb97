//! The harness of tests that need a real tool (Graphviz, Chromium, Neovim):
//! each check runs with the tool's path, or prints "skipped: PACKAGE not
//! installed" by name; `STUDIOFLOW_REQUIRE_TOOLS=1` (set by CI) makes a
//! missing tool a failure. Arguments that do not start with `-` filter the
//! checks by name, as libtest's do.

use std::path::{Path, PathBuf};

/// A check, given the tool's path: `Err` says what failed.
pub type Check = fn(&Path) -> Result<(), String>;

/// One check: its name, the tool's executable, the Debian package with it.
pub struct ToolCheck {
    pub name: &'static str,
    pub tool: &'static str,
    pub package: &'static str,
    pub check: Check,
}

/// The executable `name` on PATH.
pub fn tool(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// Runs `checks` and reports as libtest does; exits 101 when one failed.
pub fn run(checks: &[ToolCheck]) {
    let require = std::env::var("STUDIOFLOW_REQUIRE_TOOLS").is_ok_and(|v| v == "1");
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let (mut passed, mut failed, mut skipped) = (0, 0, 0);
    println!("\nrunning {} tests", checks.len());
    for c in checks {
        let name = c.name;
        if !filter.is_empty() && !filter.iter().any(|f| name.contains(f.as_str())) {
            continue;
        }
        let package = c.package;
        match tool(c.tool) {
            None if require => {
                println!("test {name} ... FAILED: {package} not installed and STUDIOFLOW_REQUIRE_TOOLS=1");
                failed += 1;
            }
            None => {
                println!("test {name} ... skipped: {package} not installed (apt-get install {package}; STUDIOFLOW_REQUIRE_TOOLS=1 makes this mandatory)");
                skipped += 1;
            }
            Some(path) => match (c.check)(&path) {
                Ok(()) => {
                    println!("test {name} ... ok");
                    passed += 1;
                }
                Err(message) => {
                    println!("test {name} ... FAILED\n{message}");
                    failed += 1;
                }
            },
        }
    }
    println!(
        "\ntest result: {}. {passed} passed; {failed} failed; {skipped} skipped\n",
        if failed == 0 { "ok" } else { "FAILED" }
    );
    if failed > 0 {
        std::process::exit(101);
    }
}
