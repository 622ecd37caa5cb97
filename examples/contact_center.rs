//! 10,000 simulated calls at once on tokio, with no thread per call: each
//! runs the repository's phone flow (`scripts/phone.script`) and waits at
//! its REST lookup (a real HTTP request to a local server, made by the
//! host: the engine does no I/O), its menu (the caller's keys) and its
//! queue (hold music until an agent answers). A waiting call is just its
//! `PausedRun`: no task, no thread, no socket is held while it waits.
//!
//! It prints the memory one waiting call takes (every call waiting at the
//! menu), the size of a sealed pause and what takes its bytes, and how many
//! resumes per second the machine sustains. It fails (exit 1) unless every
//! call completes as the flow says it should.
//!
//! ```sh
//! cargo run --release -p studioflow-contact-center --example contact_center -- --contacts 10000
//! ```

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use studioflow::{
    Clock, Engine, Event, HttpReply, Outcome, PauseKey, PausedRun, RunOptions, Script, SystemClock,
    TranscriptKind, Value, Wait,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// Counts what the process holds on the heap, to measure what a waiting
/// call costs: the bytes asked for, the live blocks, and the bytes glibc's
/// malloc spends on them (8 bytes of header, rounded up to 16, at least 32).
struct Counting;

static HELD: AtomicI64 = AtomicI64::new(0);
static BLOCKS: AtomicI64 = AtomicI64::new(0);
static CHUNKS: AtomicI64 = AtomicI64::new(0);

fn chunk(size: usize) -> i64 {
    ((size + 8).div_ceil(16) * 16).max(32) as i64
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            HELD.fetch_add(layout.size() as i64, Ordering::Relaxed);
            BLOCKS.fetch_add(1, Ordering::Relaxed);
            CHUNKS.fetch_add(chunk(layout.size()), Ordering::Relaxed);
        }
        ptr
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        HELD.fetch_sub(layout.size() as i64, Ordering::Relaxed);
        BLOCKS.fetch_sub(1, Ordering::Relaxed);
        CHUNKS.fetch_sub(chunk(layout.size()), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            HELD.fetch_add(new_size as i64 - layout.size() as i64, Ordering::Relaxed);
            CHUNKS.fetch_add(chunk(new_size) - chunk(layout.size()), Ordering::Relaxed);
        }
        new
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// (bytes asked for, live blocks, bytes in malloc's chunks) held now.
fn heap() -> [i64; 3] {
    [
        HELD.load(Ordering::Relaxed),
        BLOCKS.load(Ordering::Relaxed),
        CHUNKS.load(Ordering::Relaxed),
    ]
}

const PHONE: &str = include_str!("../scripts/phone.script");

/// The agent who answers (one of the demo tenant's): Adam Novak.
const AGENT: &str = "agentadmin";
/// HTTP requests in flight at once (the host's connection pool): 10,000
/// sockets at once would pass a common limit of open files.
const CONNECTIONS: usize = 256;
/// What the caller-lookup service answers for every number.
const CALLER: &str = r#"{"name":"Ada Lovelace","tier":"gold","open_orders":2}"#;
/// What every call's `outcome` variable says at its end: the caller hung
/// up (OnRelease ran) after the agent who answered took the Orders queue.
const OUTCOME: &str = "caller: Adam Novak (Orders)";

type Failure = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let contacts: usize = match std::env::args().skip_while(|a| a != "--contacts").nth(1) {
        Some(n) => n.parse().map_err(|e| format!("--contacts {n}: {e}"))?,
        None => 10_000,
    };
    if contacts == 0 {
        return Err("--contacts must be at least 1".into());
    }

    // The caller-lookup web service, on this machine.
    let server = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", server.local_addr()?);
    let connections = Arc::new(AtomicUsize::new(0));
    tokio::spawn(serve(server, connections.clone()));

    let engine = Arc::new(Engine::demo());
    let script = Arc::new(
        engine
            .compile(PHONE, "scripts/phone.script")
            .map_err(|d| d.to_string())?,
    );
    let url = Arc::<str>::from(url);
    let resumes = Arc::new(AtomicU64::new(0));
    // Warm up what is built once per process (time zones, the directory's
    // snapshot), so that the memory below is the calls' own.
    drop(engine.run(&script, options(0, &url)));
    let before = heap();

    // 1. Every call starts at once: it runs to its REST lookup, the host
    // makes the request over HTTP, and the reply takes the call to the menu.
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(CONNECTIONS)
        .build()?;
    let in_flight = Arc::new(Semaphore::new(CONNECTIONS));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(contacts);
    for i in 0..contacts {
        let (engine, script, url, resumes) =
            (engine.clone(), script.clone(), url.clone(), resumes.clone());
        let http = (client.clone(), in_flight.clone());
        tasks.push(tokio::spawn(async move {
            to_the_menu(&engine, &script, &http, options(i, &url), &resumes).await
        }));
    }
    let mut waiting: Vec<PausedRun> = Vec::with_capacity(contacts);
    for (i, task) in tasks.into_iter().enumerate() {
        waiting.push(task.await?.map_err(|e| format!("call {i}: {e}"))?);
    }
    let lookups = started.elapsed().as_secs_f64();

    // What the calls hold while they all wait at the menu: the HTTP
    // client's pool and the server's connections are gone first, so that
    // the figure is the waiting calls' (tokio's own tables, grown for 10,000
    // tasks and sockets, count against it).
    drop((client, in_flight));
    while connections.load(Ordering::Relaxed) > 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    let [held, blocks, chunks] = {
        let now = heap();
        [0, 1, 2].map(|i| now[i] - before[i])
    };
    let per_call = held as f64 / contacts as f64;
    println!(
        "{contacts} calls waiting at the menu (after a REST lookup each: {:.0} requests per second)",
        contacts as f64 / lookups
    );
    println!(
        "memory per waiting call: {per_call:.0} bytes in {:.1} blocks ({:.0} bytes with malloc's own overhead); all {contacts}: {:.1} MB ({:.1} MB)",
        blocks as f64 / contacts as f64,
        chunks as f64 / contacts as f64,
        held as f64 / 1e6,
        chunks as f64 / 1e6,
    );
    sealed_size(&waiting[0])?;

    // 2. Every call goes on at once, each in a task that holds nothing
    // while it waits: keys, hold music, an agent, the caller hanging up.
    let resumed_before = resumes.load(Ordering::Relaxed);
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(contacts);
    for paused in waiting.drain(..) {
        let (engine, script, resumes) = (engine.clone(), script.clone(), resumes.clone());
        tasks.push(tokio::spawn(async move {
            from_the_menu(&engine, &script, paused, &resumes).await
        }));
    }
    let mut failed = 0;
    for (i, task) in tasks.into_iter().enumerate() {
        if let Err(e) = task.await? {
            eprintln!("call {i} failed: {e}");
            failed += 1;
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let resumed = resumes.load(Ordering::Relaxed) - resumed_before;
    println!(
        "{} of {contacts} calls completed: {resumed} resumes from the menu on in {seconds:.3} s ({:.0} resumes per second)",
        contacts - failed,
        resumed as f64 / seconds
    );
    if failed > 0 {
        return Err(format!("{failed} of {contacts} calls did not complete").into());
    }
    Ok(())
}

/// Call `i`'s inputs: its number and the lookup service's address.
fn options(i: usize, url: &str) -> RunOptions {
    RunOptions::default()
        .var("ANI", Value::from(format!("555{i:07}")))
        .var("CRM_URL", Value::from(url))
}

/// A call from its start to the menu: the lookup's request is made over
/// HTTP and its reply resumes the run, which greets the caller by name.
async fn to_the_menu(
    engine: &Engine,
    script: &Script,
    (client, in_flight): &(reqwest::Client, Arc<Semaphore>),
    options: RunOptions,
    resumes: &AtomicU64,
) -> Result<PausedRun, String> {
    let run = engine.run(script, options);
    let paused = match (run.outcome, run.paused) {
        (Outcome::Waiting, Some(paused)) => *paused,
        (outcome, _) => return Err(format!("the lookup did not wait: {outcome}")),
    };
    let Wait::Http { request } = &paused.waiting().wait else {
        return Err(format!(
            "waits for {:?} before the lookup",
            paused.waiting().wait
        ));
    };
    // The host keeps at most CONNECTIONS requests in flight (a call waits
    // for a free connection as it would for a slow service).
    let permit = in_flight.acquire().await.map_err(|e| e.to_string())?;
    let reply = http(client, request).await;
    drop(permit);
    let event = match reply {
        Ok(reply) => Event::Reply(reply),
        Err(why) => return Err(format!("the lookup failed: {why}")),
    };
    let run = engine
        .resume(script, paused, event)
        .map_err(|e| e.to_string())?;
    resumes.fetch_add(1, Ordering::Relaxed);
    let greeted = run
        .transcript
        .iter()
        .any(|t| t.kind == TranscriptKind::Prompt && t.text.contains("Hello Ada Lovelace"));
    if !greeted {
        return Err("the caller was not greeted by the name the lookup returned".into());
    }
    match (run.outcome, run.paused) {
        (Outcome::Waiting, Some(paused))
            if matches!(paused.waiting().wait, Wait::Digits { .. }) =>
        {
            Ok(*paused)
        }
        (outcome, _) => Err(format!("did not wait at the menu: {outcome}")),
    }
}

/// A call from the menu to its end: the caller presses 1, two rounds of
/// hold music and the message pass, an agent answers, the caller hangs up.
async fn from_the_menu(
    engine: &Engine,
    script: &Script,
    paused: PausedRun,
    resumes: &AtomicU64,
) -> Result<(), String> {
    let mut paused = paused;
    let mut holds = 0;
    loop {
        let event = match &paused.waiting().wait {
            Wait::Digits { .. } => Event::Digits("1".into()),
            Wait::Time { seconds } if holds < 2 => {
                holds += 1;
                // A simulated call never sleeps: the time passes virtually.
                Event::Wait(*seconds)
            }
            Wait::Time { .. } => Event::Answer(AGENT.into()),
            Wait::Event => Event::Hangup,
            other => return Err(format!("an unexpected wait: {other:?}")),
        };
        let run = engine
            .resume(script, paused, event)
            .map_err(|e| e.to_string())?;
        resumes.fetch_add(1, Ordering::Relaxed);
        match (run.outcome, run.paused) {
            (Outcome::Waiting, Some(next)) => paused = *next,
            (Outcome::Completed, _) => {
                let outcome = run.variables["outcome"].to_text();
                return if outcome == OUTCOME {
                    Ok(())
                } else {
                    Err(format!("ended with outcome {outcome:?}, not {OUTCOME:?}"))
                };
            }
            (outcome, _) => return Err(format!("{outcome}: {:?}", run.error)),
        }
        // Let other calls run between two of this one's resumes.
        tokio::task::yield_now().await;
    }
}

/// Prints the size of one call's sealed pause (waiting at the menu) and
/// what takes its bytes: the variables' values, and the rest by key.
fn sealed_size(paused: &PausedRun) -> Result<(), Failure> {
    let bytes = PauseKey::generate().seal(paused, SystemClock.now(), Duration::from_secs(3600));
    // The sealed format: a version line, the signature line, the JSON.
    let text = std::str::from_utf8(&bytes)?;
    let mut lines = text.splitn(3, '\n');
    let (version, signature, json) = (
        lines.next().unwrap_or(""),
        lines.next().unwrap_or(""),
        lines.next().unwrap_or(""),
    );
    let payload: serde_json::Value = serde_json::from_str(json)?;
    let size = |v: &serde_json::Value| serde_json::to_string(v).map_or(0, |s| s.len());
    let mut variables = 0;
    for frame in payload["frames"].as_array().into_iter().flatten() {
        variables += size(&frame["vars"]);
    }
    variables += payload.get("extra").map_or(0, size);
    println!(
        "a sealed pause at the menu: {} bytes, of which {variables} are the variables' values and {} the rest (format line {}, signature {}, JSON {})",
        bytes.len(),
        bytes.len() - variables,
        version.len() + 1,
        signature.len() + 1,
        json.len(),
    );
    if let Some(keys) = payload.as_object() {
        let parts: Vec<String> = keys
            .iter()
            .map(|(key, value)| format!("{key} {}", size(value) + key.len() + 4))
            .collect();
        println!("  its JSON by key (bytes): {}", parts.join(", "));
    }
    Ok(())
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
/// keeping connections alive; `open` counts its connections.
async fn serve(listener: TcpListener, open: Arc<AtomicUsize>) {
    loop {
        let Ok((mut socket, _)) = listener.accept().await else {
            // Out of file descriptors, say: let connections close first.
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        open.fetch_add(1, Ordering::Relaxed);
        let open = open.clone();
        tokio::spawn(async move {
            answer(&mut socket).await;
            drop(socket);
            open.fetch_sub(1, Ordering::Relaxed);
        });
    }
}

/// Answers one connection's requests until the client closes it.
async fn answer(socket: &mut tokio::net::TcpStream) {
    let mut buffer = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        // One request: headers up to the blank line (the lookups send no body).
        let Ok(n) = socket.read(&mut chunk).await else {
            return;
        };
        if n == 0 {
            return;
        }
        buffer.extend_from_slice(&chunk[..n]);
        while let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            buffer.drain(..end + 4);
            let response = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{CALLER}",
                CALLER.len()
            );
            if socket.write_all(response.as_bytes()).await.is_err() {
                return;
            }
        }
        if buffer.len() > 64 * 1024 {
            return;
        }
    }
}
