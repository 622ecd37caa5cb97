//! 10,000 simulated calls at once on tokio, with no thread per call: each
//! runs the repository's phone flow (`scripts/phone.script`) and waits at
//! its menu (the caller's keys), its REST lookup (a real HTTP request to a
//! local server, made by the host: the engine does no I/O) and its queue
//! (hold music until an agent answers). A waiting call is just its
//! `PausedRun`: no task, no thread, no socket is held while it waits.
//!
//! It prints the memory one waiting call takes, the size of a sealed pause,
//! and how many resumes per second the machine sustains.
//!
//! ```sh
//! cargo run --release -p studioflow-contact-center --example contact_center -- --contacts 10000
//! ```

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use studioflow::{
    Clock, Engine, Event, HttpReply, Outcome, PauseKey, PausedRun, RunOptions, SystemClock, Value,
    Wait,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Counts the bytes the process holds on the heap, to measure what a
/// waiting call costs.
struct Counting;

static HELD: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        HELD.fetch_add(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        HELD.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        HELD.fetch_add(new_size, Ordering::Relaxed);
        HELD.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const PHONE: &str = include_str!("../scripts/phone.script");

/// The agent who answers (one of the demo tenant's).
const AGENT: &str = "agentadmin";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let contacts: usize = std::env::args()
        .skip_while(|a| a != "--contacts")
        .nth(1)
        .map(|n| n.parse())
        .transpose()?
        .unwrap_or(10_000);

    // The caller-lookup web service, on this machine.
    let server = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", server.local_addr()?);
    tokio::spawn(serve(server));

    let engine = Arc::new(Engine::demo());
    let script = Arc::new(
        engine
            .compile(PHONE, "scripts/phone.script")
            .map_err(|d| d.to_string())?,
    );
    let options = |i: usize| {
        RunOptions::default()
            .var("ANI", Value::from(format!("555{i:07}")))
            .var("CRM_URL", Value::from(url.as_str()))
    };

    // 1. Every call starts and waits at the menu: what does a waiting call hold?
    let before = HELD.load(Ordering::Relaxed);
    let mut waiting: Vec<PausedRun> = Vec::with_capacity(contacts);
    for i in 0..contacts {
        let run = engine.run(&script, options(i));
        match (run.outcome, run.paused) {
            (Outcome::Waiting, Some(paused)) => waiting.push(*paused),
            (outcome, _) => {
                return Err(format!("call {i} did not wait at the menu: {outcome}").into())
            }
        }
    }
    let held = HELD.load(Ordering::Relaxed).saturating_sub(before);
    let sealed = PauseKey::generate()
        .seal(&waiting[0], SystemClock.now(), Duration::from_secs(3600))
        .len();
    println!("{contacts} calls waiting at the menu");
    println!(
        "memory per waiting call: {} bytes ({:.1} MB for all {contacts}); a sealed pause: {sealed} bytes",
        held / contacts,
        held as f64 / 1e6
    );

    // 2. Every call goes on at once, each in a task that holds nothing
    // while it waits: keys, a REST lookup over HTTP, hold music, an agent.
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;
    let resumes = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(contacts);
    for paused in waiting.drain(..) {
        let (engine, script, client, resumes) = (
            engine.clone(),
            script.clone(),
            client.clone(),
            resumes.clone(),
        );
        tasks.push(tokio::spawn(async move {
            call(&engine, &script, &client, paused, &resumes).await
        }));
    }
    let mut completed = 0;
    for task in tasks {
        match task.await? {
            Ok(()) => completed += 1,
            Err(e) => eprintln!("a call failed: {e}"),
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let resumes = resumes.load(Ordering::Relaxed);
    println!(
        "{completed} of {contacts} calls completed: {resumes} resumes in {seconds:.2} s ({:.0} resumes per second)",
        resumes as f64 / seconds
    );
    if completed != contacts {
        return Err("not every call completed".into());
    }
    Ok(())
}

/// One call, from the menu to the end: the caller presses 1, the host
/// makes the REST request, two rounds of hold music pass, an agent answers.
async fn call(
    engine: &Engine,
    script: &studioflow::Script,
    client: &reqwest::Client,
    paused: PausedRun,
    resumes: &AtomicU64,
) -> Result<(), String> {
    let mut paused = paused;
    let mut holds = 0;
    loop {
        let event = match &paused.waiting().wait {
            Wait::Digits { .. } => Event::Digits("1".into()),
            Wait::Http { request } => match http(client, request).await {
                Ok(reply) => Event::Reply(reply),
                Err(why) => Event::HttpFailed(why),
            },
            Wait::Time { seconds } if holds < 2 => {
                holds += 1;
                // A simulated call never sleeps: the time passes virtually.
                Event::Wait(*seconds)
            }
            Wait::Time { .. } => Event::Answer(AGENT.into()),
            _ => Event::Hangup,
        };
        let run = engine
            .resume(script, paused, event)
            .map_err(|e| e.to_string())?;
        resumes.fetch_add(1, Ordering::Relaxed);
        match (run.outcome, run.paused) {
            (Outcome::Waiting, Some(next)) => paused = *next,
            (Outcome::Completed, _) => return Ok(()),
            (outcome, _) => return Err(format!("{outcome}: {:?}", run.error)),
        }
        // Let other calls run between two of this one's steps.
        tokio::task::yield_now().await;
    }
}

async fn http(
    client: &reqwest::Client,
    request: &studioflow::HttpRequest,
) -> Result<HttpReply, String> {
    let method =
        reqwest::Method::from_bytes(request.method.as_bytes()).map_err(|e| e.to_string())?;
    let mut builder = client
        .request(method, &request.url)
        .timeout(Duration::from_millis(request.timeout_ms));
    for (name, value) in &request.headers {
        builder = builder.header(name, value);
    }
    let response = builder
        .body(request.body.clone())
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    let body = response.text().await.map_err(|e| e.to_string())?;
    Ok(HttpReply::new(status, body))
}

/// The caller-lookup service: answers every request with the same caller,
/// keeping connections alive.
async fn serve(listener: TcpListener) {
    loop {
        let Ok((mut socket, _)) = listener.accept().await else {
            continue;
        };
        tokio::spawn(async move {
            let mut buffer = Vec::with_capacity(1024);
            let mut chunk = [0u8; 1024];
            loop {
                // One request: headers up to the blank line (no bodies are sent).
                let Ok(n) = socket.read(&mut chunk).await else {
                    return;
                };
                if n == 0 {
                    return;
                }
                buffer.extend_from_slice(&chunk[..n]);
                while let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                    buffer.drain(..end + 4);
                    let body = r#"{"name":"Ada Lovelace","tier":"gold","open_orders":2}"#;
                    let response = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    if socket.write_all(response.as_bytes()).await.is_err() {
                        return;
                    }
                }
                if buffer.len() > 64 * 1024 {
                    return;
                }
            }
        });
    }
}
