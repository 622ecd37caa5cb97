//! How much heap compiling a script takes, and how much the compiled
//! [`studioflow::Script`] keeps: a counting global allocator, so the figures
//! are exact bytes asked of the allocator (no allocator overhead) and the
//! same on every run of the same build.
//!
//! ```text
//! cargo run --release --example compile_memory -- FILE.script
//! ```
//!
//! The peak is measured above the text already read (as a host holding the
//! text would see it); the script keeps its own copy of the text and a line
//! index for diagnostics, and they are counted in what it keeps. See
//! docs/benchmarks.md ("Issue 11, part 5") for the figures.

use std::alloc::{GlobalAlloc, Layout, System};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

/// Counts live bytes and their high-water mark.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let now = LIVE.fetch_add(by, Relaxed) + by;
    PEAK.fetch_max(now, Relaxed);
}

// SAFETY: every call is forwarded to the system allocator unchanged; only
// counters are updated around it.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as is.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded as is.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded as is.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_sub(layout.size(), Relaxed);
            grew(new_size);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: compile_memory FILE.script");
        return ExitCode::from(2);
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("error: cannot read {path}: {e}");
            return ExitCode::from(2);
        }
    };
    let engine = studioflow::Engine::new();
    let before = LIVE.load(Relaxed);
    PEAK.store(before, Relaxed);
    let compiled = engine.compile(&text, &path);
    let peak = PEAK.load(Relaxed) - before;
    let kept = LIVE.load(Relaxed) - before;
    let per_byte = |n: usize| n as f64 / text.len().max(1) as f64;
    println!("source: {} bytes", text.len());
    println!(
        "peak while compiling: {peak} bytes ({:.2} per byte of source)",
        per_byte(peak)
    );
    match compiled {
        Ok(script) => {
            println!(
                "kept by the compiled script ({} actions): {kept} bytes ({:.2} per byte of source, {} per action; its copy of the text and its line index included)",
                script.action_count(),
                per_byte(kept),
                kept / script.action_count().max(1),
            );
            ExitCode::SUCCESS
        }
        Err(diagnostics) => {
            eprintln!("{diagnostics}");
            ExitCode::from(1)
        }
    }
}
