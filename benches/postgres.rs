//! The permission model in PostgreSQL against the in-memory default
//! (issue 21): a permission check (both answer from memory), role writes
//! (one host, and four hosts at once), how soon another host sees a write
//! through LISTEN/NOTIFY alone, and a paused run's save–take–resume round
//! trip. Needs `STUDIOFLOW_BENCH_DATABASE_URL` naming a server whose user
//! may create databases (`bash .ci/postgres start DIR` prints one):
//!
//! ```text
//! URL=$(bash .ci/postgres start /tmp/sfpg)
//! STUDIOFLOW_BENCH_DATABASE_URL=$URL cargo bench -p studioflow-benches --bench postgres -- --warm-up-time 1 --measurement-time 3
//! bash .ci/postgres stop /tmp/sfpg
//! ```

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use studioflow::permissions::postgres::{connect, import_tenant, migrate, PostgresStore, StoreUrl};
use studioflow::permissions::{Directory, RoleChange, TenantStore};
use studioflow::{Engine, Event, PauseKey, PauseStore, Repause, RunOptions, Take};

/// A fresh database with the schema and the demo tenant: its URL.
fn database(server: &str) -> String {
    let url = StoreUrl::parse(server).expect("a postgres URL");
    let mut client = connect(&url).expect("the server answers");
    let db = format!("sf_bench_{}", std::process::id());
    client
        .batch_execute(&format!("DROP DATABASE IF EXISTS {db}"))
        .expect("drop");
    client
        .batch_execute(&format!("CREATE DATABASE {db}"))
        .expect("create");
    let (base, query) = server.split_once('?').unwrap_or((server, ""));
    let cut = base.rfind('/').expect("a database in the URL");
    let bench_url = format!("{}/{db}?{query}", &base[..cut]);
    let parsed = StoreUrl::parse(&bench_url).expect("the bench URL");
    let mut client = connect(&parsed).expect("the bench database");
    migrate(&mut client, &parsed).expect("migrate");
    import_tenant(&mut client, &parsed, &Directory::demo()).expect("import");
    bench_url
}

fn open(url: &str) -> PostgresStore {
    PostgresStore::open(StoreUrl::parse(url).expect("url")).expect("the store opens")
}

fn update(store: &PostgresStore, text: &str) -> bool {
    let seen = store.role(5000).expect("role 5000").change_stamp;
    let change = RoleChange {
        description: Some(text.to_string()),
        ..Default::default()
    };
    store.update_role(5000, seen, change).is_ok()
}

fn main() {
    let Ok(server) = std::env::var("STUDIOFLOW_BENCH_DATABASE_URL") else {
        eprintln!(
            "skipped: set STUDIOFLOW_BENCH_DATABASE_URL (e.g. from `bash .ci/postgres start DIR`)"
        );
        return;
    };
    let url = database(&server);
    let mut c = Criterion::default().configure_from_args();

    // A permission check: both stores answer from memory.
    let memory = Directory::demo();
    let pg = open(&url);
    let role = memory.feature_id("role").expect("role feature");
    let mut group = c.benchmark_group("postgres_check");
    group.bench_function("in_memory_store", |b| {
        b.iter(|| memory.store().grant(black_box(1001), black_box(role)))
    });
    group.bench_function("postgres_store", |b| {
        b.iter(|| pg.grant(black_box(1001), black_box(role)))
    });
    group.finish();

    // Role writes: one host; four hosts at once (each its own store).
    let mut group = c.benchmark_group("postgres_writes");
    group.throughput(Throughput::Elements(1));
    group.bench_function("update_role_1_host", |b| b.iter(|| update(&pg, "one host")));
    let hosts: Vec<Arc<PostgresStore>> = (0..4).map(|_| Arc::new(open(&url))).collect();
    group.throughput(Throughput::Elements(4));
    group.bench_function("update_role_4_hosts_x1", |b| {
        b.iter(|| {
            let handles: Vec<_> = hosts
                .iter()
                .map(|h| {
                    let h = h.clone();
                    std::thread::spawn(move || update(&h, "four hosts"))
                })
                .collect();
            handles.into_iter().filter(|_| true).for_each(|h| {
                let _ = h.join();
            });
        })
    });
    group.finish();

    // How soon another host sees a write, by the notification alone.
    let reader = open(&url);
    let mut group = c.benchmark_group("postgres_notify");
    group.bench_function("write_then_seen_by_another_host", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let start = Instant::now();
                update(&pg, "notify");
                let written = pg.last_write();
                while reader.revision() < written {
                    if start.elapsed() > Duration::from_secs(5) {
                        break;
                    }
                    std::thread::yield_now();
                }
                total += start.elapsed();
            }
            total
        })
    });
    group.finish();

    // A paused run: sealed, saved, taken, opened, resumed, settled.
    let engine = Engine::new();
    let script = engine
        .compile(
            "start: Begin { Default -> hold }\nhold: Wait { Seconds = 30 Default -> done }\ndone: End",
            "hold.script",
        )
        .expect("compiles");
    let paused = *engine
        .run(&script, RunOptions::default())
        .paused
        .expect("pauses");
    let key = PauseKey::from_hex(&"ab".repeat(32)).expect("key");
    let pauses = PauseStore::new(StoreUrl::parse(&url).expect("url"));
    let mut group = c.benchmark_group("postgres_pause");
    group.bench_function("save_take_resume_finish", |b| {
        b.iter(|| {
            let now = chrono::Utc::now();
            let sealed = key.seal(&paused, now, Duration::from_secs(3600));
            pauses
                .save(&Repause {
                    id: "bench",
                    sealed: &sealed,
                    waiting: "{}",
                    expires_at: now + chrono::Duration::hours(1),
                })
                .expect("save");
            let Take::Taken(taken) = pauses.take("bench", now).expect("take") else {
                panic!("not taken");
            };
            let opened = key.open(taken.sealed(), now).expect("open");
            let run = engine
                .resume(&script, opened, Event::Wait(30.0))
                .expect("resume");
            black_box(run.outcome);
            taken.finish(None).expect("finish");
        })
    });
    group.finish();
    c.final_summary();
}
