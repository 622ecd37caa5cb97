//! The permission model in PostgreSQL (issue 21, first part), against a
//! real server: `STUDIOFLOW_TEST_DATABASE_URL` names one whose user may
//! create databases (`.ci/postgres start DIR` starts a throwaway cluster and
//! prints such a URL; `.ci/run` does it). Each check works in a database of
//! its own. Without the variable each check prints `skipped: ...` by name;
//! `STUDIOFLOW_REQUIRE_TOOLS=1` (set by CI) makes them mandatory.

use std::path::{Path, PathBuf};
use std::process::Command;

use postgres::fallible_iterator::FallibleIterator;
use studioflow::permissions::postgres::{
    connect, import_tenant, load_tenant, migrate, revision, DbError, StoreUrl,
};
use studioflow::permissions::Directory;

type Check = fn(&str) -> Result<(), String>;

/// The permission matrix of tests/permissions_matrix.rs, run here on the
/// PostgreSQL store.
#[path = "permissions_matrix.rs"]
#[allow(dead_code)]
mod matrix;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn studioflow(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_studioflow"))
        .args(args)
        .env_remove("STUDIOFLOW_STORE")
        .output()
        .expect("the binary runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

/// A fresh database for one check: its URL (the server's URL with another
/// database name).
fn fresh_database(server: &str, name: &str) -> Result<String, String> {
    let url = StoreUrl::parse(server).map_err(|e| e.to_string())?;
    let mut client = connect(&url).map_err(|e| e.to_string())?;
    let db = format!("sf_{name}_{}", std::process::id());
    // One statement each: CREATE DATABASE cannot run in a transaction block.
    for sql in [
        format!("DROP DATABASE IF EXISTS {db}"),
        format!("CREATE DATABASE {db}"),
    ] {
        client
            .batch_execute(&sql)
            .map_err(|e| format!("{sql}: {e:?}"))?;
    }
    let (base, query) = match server.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (server, String::new()),
    };
    let cut = base.rfind('/').ok_or("no database in the URL")?;
    Ok(format!("{}/{db}{query}", &base[..cut]))
}

fn open(url: &str) -> Result<(postgres::Client, StoreUrl), String> {
    let parsed = StoreUrl::parse(url).map_err(|e| e.to_string())?;
    let client = connect(&parsed).map_err(|e| e.to_string())?;
    Ok((client, parsed))
}

fn ensure(ok: bool, message: impl FnOnce() -> String) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(message())
    }
}

fn migrate_is_versioned_and_idempotent(server: &str) -> Result<(), String> {
    let url = fresh_database(server, "migrate")?;
    let (code, out) = studioflow(&["db", "migrate", "--store", &url]);
    ensure(code == 0 && out.contains("2 migrations applied"), || {
        format!("first migrate: {code} {out}")
    })?;
    let (code, out) = studioflow(&["db", "migrate", "--store", &url]);
    ensure(code == 0 && out.contains("(current)"), || {
        format!("second migrate: {code} {out}")
    })?;
    // A schema newer than this studioflow's is refused, never changed.
    let (mut client, parsed) = open(&url)?;
    client
        .batch_execute("INSERT INTO studioflow_schema (version) VALUES (99)")
        .map_err(|e| e.to_string())?;
    match migrate(&mut client, &parsed) {
        Err(DbError::SchemaTooNew { found: 99, .. }) => {}
        other => return Err(format!("expected SchemaTooNew, got {other:?}")),
    }
    let (code, out) = studioflow(&["db", "export", "/dev/null/x", "--store", &url]);
    ensure(
        code == 2 && out.contains("newer than this studioflow"),
        || format!("{code} {out}"),
    )
}

fn import_then_export_round_trips_a_tenant_file(server: &str) -> Result<(), String> {
    let url = fresh_database(server, "roundtrip")?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let tenant = root().join("tests/fixtures/tenant.json");
    // Before the schema exists: a clear error naming the command to run.
    let (code, out) = studioflow(&["db", "import", tenant.to_str().unwrap(), "--store", &url]);
    ensure(code == 2 && out.contains("db migrate"), || {
        format!("{code} {out}")
    })?;
    studioflow(&["db", "migrate", "--store", &url]);
    // Before any import: no tenant.
    let out_file: PathBuf = dir.path().join("out.json");
    let (code, out) = studioflow(&["db", "export", out_file.to_str().unwrap(), "--store", &url]);
    ensure(code == 2 && out.contains("holds no tenant"), || {
        format!("{code} {out}")
    })?;
    let (code, out) = studioflow(&["db", "import", tenant.to_str().unwrap(), "--store", &url]);
    ensure(code == 0 && out.contains("revision 1"), || {
        format!("{code} {out}")
    })?;
    let (code, out) = studioflow(&["db", "export", out_file.to_str().unwrap(), "--store", &url]);
    ensure(code == 0, || format!("{code} {out}"))?;
    let original = Directory::load_file(&tenant).map_err(|e| e.to_string())?;
    let exported = Directory::load_file(&out_file).map_err(|e| e.to_string())?;
    ensure(
        original.to_tenant_json() == exported.to_tenant_json(),
        || "the exported tenant differs from the imported file".into(),
    )?;
    // The demo tenant too, through the library.
    let (mut client, parsed) = open(&url)?;
    let demo = Directory::demo();
    let revision_2 = import_tenant(&mut client, &parsed, &demo).map_err(|e| e.to_string())?;
    ensure(revision_2 == 2, || {
        format!("revision {revision_2}, expected 2")
    })?;
    let (loaded, at) = load_tenant(&mut client, &parsed).map_err(|e| e.to_string())?;
    ensure(
        at == 2 && loaded.to_tenant_json() == demo.to_tenant_json(),
        || "the demo tenant did not come back as it went in".into(),
    )
}

fn every_write_notifies_its_revision(server: &str) -> Result<(), String> {
    let url = fresh_database(server, "notify")?;
    studioflow(&["db", "migrate", "--store", &url]);
    let (mut listener, _) = open(&url)?;
    listener
        .batch_execute("LISTEN studioflow_tenant")
        .map_err(|e| e.to_string())?;
    let (mut writer, parsed) = open(&url)?;
    let written =
        import_tenant(&mut writer, &parsed, &Directory::demo()).map_err(|e| e.to_string())?;
    let mut notifications = listener.notifications();
    let mut heard = notifications
        .timeout_iter(std::time::Duration::from_secs(5))
        .iterator();
    let note = heard
        .next()
        .ok_or("no notification within 5 s")?
        .map_err(|e| e.to_string())?;
    ensure(note.payload() == written.to_string(), || {
        format!("heard {:?}, wrote revision {written}", note.payload())
    })?;
    ensure(
        revision(&mut writer, &parsed).map_err(|e| e.to_string())? == written,
        || "revision() disagrees".into(),
    )
}

fn role_names_are_unique_ignoring_case_in_the_database(server: &str) -> Result<(), String> {
    let url = fresh_database(server, "unique")?;
    studioflow(&["db", "migrate", "--store", &url]);
    let (mut client, parsed) = open(&url)?;
    import_tenant(&mut client, &parsed, &Directory::demo()).map_err(|e| e.to_string())?;
    // Another row whose folded name equals Supervisor's: the constraint, not
    // only studioflow's own check, refuses it.
    let refused = client.batch_execute(
        "INSERT INTO studioflow_roles (id, name, name_key, change_stamp, data) VALUES (9999, 'SUPERVISOR', 'supervisor', 0, '{}')",
    );
    ensure(refused.is_err(), || {
        "a second Supervisor was accepted".into()
    })
}

fn an_unreachable_store_is_exit_2_with_the_url(_server: &str) -> Result<(), String> {
    let (code, out) = studioflow(&[
        "db",
        "migrate",
        "--store",
        "postgres://me:secret@127.0.0.1:1/x",
    ]);
    ensure(
        code == 2 && out.contains("cannot connect to the store at postgres://me:***@127.0.0.1:1/x"),
        || format!("{code} {out}"),
    )?;
    ensure(!out.contains("secret"), || {
        "the password was printed".into()
    })?;
    let (code, out) = studioflow(&["db", "migrate", "--store", "mysql://x"]);
    ensure(code == 2 && out.contains("not a PostgreSQL URL"), || {
        format!("{code} {out}")
    })
}

/// A store with the demo tenant imported, in a database of its own.
fn demo_store(server: &str, name: &str) -> Result<String, String> {
    let url = fresh_database(server, name)?;
    studioflow(&["db", "migrate", "--store", &url]);
    let (mut client, parsed) = open(&url)?;
    import_tenant(&mut client, &parsed, &Directory::demo()).map_err(|e| e.to_string())?;
    Ok(url)
}

fn a_run_writes_through_and_the_next_run_sees_it(server: &str) -> Result<(), String> {
    let url = demo_store(server, "runs")?;
    let script = root().join("scripts/roles_admin.script");
    let script = script.to_str().unwrap();
    let (code, out) = studioflow(&["run", script, "--store", &url]);
    ensure(out.contains("made QualityLead"), || {
        format!("first run: {code} {out}")
    })?;
    // Another process (another host) sees the role the first one made.
    let (_, out) = studioflow(&["run", script, "--store", &url]);
    ensure(out.contains("invalidInput.duplicateName"), || {
        format!("second run: {out}")
    })?;
    // --store with --directory or --save is refused before anything runs.
    let (code, out) = studioflow(&["run", script, "--store", &url, "--save", "/tmp/x.json"]);
    ensure(code == 2 && out.contains("--store cannot be used"), || {
        format!("{code} {out}")
    })?;
    let (code, out) = studioflow(&["run", script, "--store", "postgres://x@127.0.0.1:1/x"]);
    ensure(code == 2 && out.contains("cannot connect"), || {
        format!("{code} {out}")
    })
}

fn test_store_copies_the_tenant_and_never_writes(server: &str) -> Result<(), String> {
    let url = demo_store(server, "tests")?;
    let (mut client, parsed) = open(&url)?;
    let before = revision(&mut client, &parsed).map_err(|e| e.to_string())?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    std::fs::copy(
        root().join("scripts/roles_admin.script"),
        dir.path().join("admin.script"),
    )
    .map_err(|e| e.to_string())?;
    std::fs::write(
        dir.path().join("admin.test.toml"),
        "[[case]]\nname = \"makes a role\"\n[case.expect]\nvariables = { Summary = { contains = \"made QualityLead\" } }\n\n[[case]]\nname = \"each case starts from the store's tenant\"\n[case.expect]\nvariables = { Summary = { contains = \"made QualityLead\" } }\n",
    )
    .map_err(|e| e.to_string())?;
    let (code, out) = studioflow(&["test", dir.path().to_str().unwrap(), "--store", &url]);
    ensure(code == 0 && out.contains("2 passed"), || {
        format!("{code} {out}")
    })?;
    let after = revision(&mut client, &parsed).map_err(|e| e.to_string())?;
    ensure(before == after, || {
        format!("the tests wrote to the store: revision {before} -> {after}")
    })
}

fn concurrent_hosts_lose_no_update(server: &str) -> Result<(), String> {
    use studioflow::permissions::postgres::PostgresStore;
    use studioflow::permissions::{RoleChange, StoreConflict, TenantStore};
    let url = demo_store(server, "race")?;
    // Four hosts, each its own store (own connections, own copy), updating
    // one role with the changeStamp they last saw.
    const HOSTS: usize = 4;
    const WRITES: usize = 50;
    let handles: Vec<_> = (0..HOSTS)
        .map(|host| {
            let url = url.clone();
            std::thread::spawn(move || -> Result<(usize, usize), String> {
                let store = PostgresStore::open(StoreUrl::parse(&url).map_err(|e| e.to_string())?)
                    .map_err(|e| e.to_string())?;
                let (mut won, mut stale) = (0, 0);
                for n in 0..WRITES {
                    let seen = store.role(5000).ok_or("no role 5000")?.change_stamp;
                    let change = RoleChange {
                        description: Some(format!("host {host} write {n}")),
                        ..Default::default()
                    };
                    match store.update_role(5000, seen, change) {
                        Ok(_) => won += 1,
                        Err(StoreConflict::StaleChangeStamp { .. }) => stale += 1,
                        Err(other) => return Err(format!("host {host}: {other:?}")),
                    }
                }
                Ok((won, stale))
            })
        })
        .collect();
    let mut total_won = 0;
    for handle in handles {
        let (won, stale) = handle.join().map_err(|_| "a host panicked")??;
        ensure(won + stale == WRITES, || {
            "a write was neither won nor refused".into()
        })?;
        total_won += won;
    }
    let (mut client, parsed) = open(&url)?;
    let (directory, _) = load_tenant(&mut client, &parsed).map_err(|e| e.to_string())?;
    let stamp = directory
        .store()
        .role(5000)
        .ok_or("no role 5000")?
        .change_stamp;
    ensure(stamp as usize == total_won, || {
        format!("changeStamp {stamp} but {total_won} writes won: an update was lost or doubled")
    })
}

fn a_reader_at_least_as_fresh_as_the_writer_sees_the_write(server: &str) -> Result<(), String> {
    use studioflow::permissions::postgres::PostgresStore;
    use studioflow::permissions::TenantStore;
    let url = demo_store(server, "fresh")?;
    let reader = std::sync::Arc::new(
        PostgresStore::open(StoreUrl::parse(&url).map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?,
    );
    ensure(reader.is_active(1001) == Some(true), || {
        "sysadmin starts active".into()
    })?;
    // Another process deactivates sysadmin and says which revision it made.
    let lines = finish_worker(worker("deactivate", &url, 0)?)?;
    let written: i64 = lines
        .first()
        .and_then(|l| l.parse().ok())
        .ok_or_else(|| format!("the writer said {lines:?}"))?;
    let reached = reader
        .reach(written, std::time::Duration::from_secs(5))
        .map_err(|e| e.to_string())?;
    ensure(reached >= written, || {
        format!("reached {reached}, wanted {written}")
    })?;
    // The next API action here runs as the now inactive user: refused.
    let engine = studioflow::Engine::builder()
        .directory(Directory::new(reader))
        .build();
    let script = engine
        .compile(
            r#"start: Begin { Default -> who }
who: SetSecurityUser { Agent = "sysadmin" Default -> list Error -> refused }
list: ListRoles { Default -> done Error -> refused }
refused: Assign { Variable = refusal Value = _ERR Default -> done }
done: End"#,
            "fresh.script",
        )
        .map_err(|e| e.to_string())?;
    let run = engine.run(&script, studioflow::RunOptions::default());
    let refusal = run
        .variable("refusal")
        .map(|v| v.to_text())
        .unwrap_or_default();
    ensure(refusal.starts_with("unauthorized.inactiveUser"), || {
        format!("expected unauthorized.inactiveUser, got {refusal:?}")
    })
}

/// TLS: the server's certificate is verified against the URL's
/// `sslrootcert` (libpq's spelling), `verify-full` is taken, and without
/// the CA the connection is refused with a message saying what to give.
fn tls_verifies_the_server_against_sslrootcert(server: &str) -> Result<(), String> {
    let Ok(ca) = std::env::var("STUDIOFLOW_TEST_DATABASE_CA") else {
        if std::env::var("STUDIOFLOW_REQUIRE_TOOLS").is_ok_and(|v| v == "1") {
            return Err("STUDIOFLOW_TEST_DATABASE_CA is not set (the cluster's CA; `.ci/postgres start DIR` writes DIR/ca.crt)".into());
        }
        return Err(SKIPPED_NO_CA.into());
    };
    let url = fresh_database(server, "tls")?;
    let with = |query: &str| url.replace("sslmode=disable", query);
    let verified = with(&format!("sslmode=verify-full&sslrootcert={ca}"));
    let parsed = StoreUrl::parse(&verified).map_err(|e| e.to_string())?;
    let mut client = connect(&parsed).map_err(|e| format!("verify-full with the CA: {e}"))?;
    let row = client
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .map_err(|e| e.to_string())?;
    ensure(row.get::<_, bool>(0), || {
        "the connection is not encrypted".into()
    })?;
    // The command line takes the same URL.
    let (code, out) = studioflow(&["db", "migrate", "--store", &verified]);
    ensure(code == 0, || format!("db migrate over TLS: {code} {out}"))?;
    // Without the CA: refused, and the message says what to do.
    let (code, out) = studioflow(&["db", "migrate", "--store", &with("sslmode=require")]);
    ensure(code == 2 && out.contains("sslrootcert=PATH"), || {
        format!("require without the CA: {code} {out}")
    })?;
    // A missing CA file is named.
    let (code, out) = studioflow(&[
        "db",
        "migrate",
        "--store",
        &with("sslmode=verify-full&sslrootcert=/nonexistent/ca.crt"),
    ]);
    ensure(code == 2 && out.contains("/nonexistent/ca.crt"), || {
        format!("a missing CA file: {code} {out}")
    })?;
    // An sslmode libpq does not know is a bad URL.
    let (code, out) = studioflow(&["db", "migrate", "--store", &with("sslmode=sometimes")]);
    ensure(code == 2 && out.contains("sslmode \"sometimes\""), || {
        format!("a bad sslmode: {code} {out}")
    })
}

const SKIPPED_NO_CA: &str =
    "skipped: no TLS certificate (set STUDIOFLOW_TEST_DATABASE_CA to the cluster's CA)";

/// The hot check answers from a per-thread copy of the mirror: two stores
/// used in turn on one thread must each answer from their own tenant, and
/// a write (or a reach) must be seen by the next check at once.
fn two_stores_on_one_thread_answer_from_their_own_tenant(server: &str) -> Result<(), String> {
    use studioflow::permissions::postgres::PostgresStore;
    use studioflow::permissions::{AgentStatus, Grant, TenantStore};
    let open_store = |url: &str| -> Result<PostgresStore, String> {
        PostgresStore::open(StoreUrl::parse(url).map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())
    };
    let first = open_store(&demo_store(server, "hot_a")?)?;
    let second = open_store(&demo_store(server, "hot_b")?)?;
    let role = Directory::demo()
        .feature_id("role")
        .ok_or("no role feature")?;
    ensure(first.grant(1001, role) == Grant::Allowed, || {
        "first starts allowed".into()
    })?;
    second
        .set_agent_status(1001, AgentStatus::Inactive)
        .map_err(|e| format!("{e:?}"))?;
    // One write on the first store too (another agent), so both stores are
    // at the same revision: only the store's identity tells the copies apart.
    first
        .set_agent_status(1006, AgentStatus::Inactive)
        .map_err(|e| format!("{e:?}"))?;
    ensure(first.revision() == second.revision(), || {
        format!("revisions {} and {}", first.revision(), second.revision())
    })?;
    for round in 0..3 {
        ensure(second.grant(1001, role) == Grant::Inactive, || {
            format!("round {round}: the second store's own write is not seen")
        })?;
        ensure(first.grant(1001, role) == Grant::Allowed, || {
            format!("round {round}: the first store answered from the second's tenant")
        })?;
        ensure(second.is_active(1001) == Some(false), || {
            format!("round {round}: is_active on the second store")
        })?;
        ensure(first.is_active(1001) == Some(true), || {
            format!("round {round}: is_active on the first store")
        })?;
    }
    Ok(())
}

/// A sealed paused run (a script waiting 30 s) and its waiting text.
fn sealed_pause() -> Result<Vec<u8>, String> {
    let engine = studioflow::Engine::new();
    let script = engine
        .compile(
            "start: Begin { Default -> hold }\nhold: Wait { Seconds = 30 Default -> done }\ndone: End",
            "hold.script",
        )
        .map_err(|e| e.to_string())?;
    let run = engine.run(&script, studioflow::RunOptions::default());
    let paused = run.paused.ok_or("the run did not pause")?;
    let key = studioflow::PauseKey::from_hex(&"ab".repeat(32)).map_err(|e| e.to_string())?;
    Ok(key.seal(
        &paused,
        chrono::Utc::now(),
        std::time::Duration::from_secs(3600),
    ))
}

fn paused_runs_are_taken_exactly_once(server: &str) -> Result<(), String> {
    use studioflow::{PauseStore, Repause};
    let url = fresh_database(server, "pauses")?;
    studioflow(&["db", "migrate", "--store", &url]);
    let sealed = sealed_pause()?;
    let store = PauseStore::new(StoreUrl::parse(&url).map_err(|e| e.to_string())?);
    let expires_at = chrono::Utc::now() + chrono::Duration::hours(1);
    for n in 0..100 {
        store
            .save(&Repause {
                id: &format!("call-{n}"),
                sealed: &sealed,
                waiting: "{}",
                expires_at,
            })
            .map_err(|e| e.to_string())?;
    }
    // Two hosts, each a process, race through the same 100 ids.
    let hosts: Vec<_> = (0..2)
        .map(|host| worker("take", &url, host))
        .collect::<Result<_, _>>()?;
    let mut all = Vec::new();
    for host in hosts {
        all.extend(finish_worker(host)?);
    }
    all.sort();
    let before = all.len();
    all.dedup();
    ensure(before == 100 && all.len() == 100, || {
        format!(
            "{before} resumes of {} distinct runs, expected 100 of 100",
            all.len()
        )
    })?;
    ensure(store.count().map_err(|e| e.to_string())? == 0, || {
        "runs left behind".into()
    })
}

fn a_host_dying_mid_resume_loses_nothing_and_expiry_removes(server: &str) -> Result<(), String> {
    use studioflow::{PauseStore, Repause, Take};
    let url = fresh_database(server, "crash")?;
    studioflow(&["db", "migrate", "--store", &url]);
    let sealed = sealed_pause()?;
    let store = PauseStore::new(StoreUrl::parse(&url).map_err(|e| e.to_string())?);
    let later = chrono::Utc::now() + chrono::Duration::hours(1);
    store
        .save(&Repause {
            id: "call",
            sealed: &sealed,
            waiting: "{}",
            expires_at: later,
        })
        .map_err(|e| e.to_string())?;
    // Taken, then the host dies (the take is dropped unfinished).
    match store
        .take("call", chrono::Utc::now())
        .map_err(|e| e.to_string())?
    {
        Take::Taken(taken) => {
            // While it is held, nobody else gets it.
            ensure(
                matches!(
                    store
                        .take("call", chrono::Utc::now())
                        .map_err(|e| e.to_string())?,
                    Take::Absent
                ),
                || "a held run was taken twice".into(),
            )?;
            drop(taken);
        }
        _ => return Err("the saved run was not there".into()),
    }
    match store
        .take("call", chrono::Utc::now())
        .map_err(|e| e.to_string())?
    {
        Take::Taken(taken) => ensure(taken.sealed() == sealed.as_slice(), || "other bytes".into())?,
        _ => return Err("the run was lost with its host".into()),
    }
    // An expired one is removed and reported.
    let past = chrono::Utc::now() - chrono::Duration::seconds(1);
    store
        .save(&Repause {
            id: "old",
            sealed: &sealed,
            waiting: "{}",
            expires_at: past,
        })
        .map_err(|e| e.to_string())?;
    ensure(
        matches!(
            store
                .take("old", chrono::Utc::now())
                .map_err(|e| e.to_string())?,
            Take::Expired { .. }
        ),
        || "an expired run was taken".into(),
    )?;
    ensure(
        matches!(
            store
                .take("old", chrono::Utc::now())
                .map_err(|e| e.to_string())?,
            Take::Absent
        ),
        || "an expired run stayed".into(),
    )
}

fn run_pause_and_resume_through_the_store(server: &str) -> Result<(), String> {
    let url = demo_store(server, "cli_pause")?;
    studioflow(&["db", "migrate", "--store", &url]);
    let phone = root().join("scripts/phone.script");
    let phone = phone.to_str().unwrap();
    let key = "cd".repeat(32);
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_studioflow"))
            .args(args)
            .env("STUDIOFLOW_PAUSE_KEY", &key)
            .env_remove("STUDIOFLOW_STORE")
            .output()
            .expect("runs");
        (
            out.status.code().unwrap_or(-1),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    };
    let (code, out) = run(&[
        "run",
        phone,
        "--store",
        &url,
        "--pause",
        "call-1",
        "--event",
        "reply:200:{\"name\":\"Ada\"}",
    ]);
    ensure(code == 5, || format!("run: {code} {out}"))?;
    let (code, out) = run(&["resume", "call-1", "--store", &url, "--event", "digits:1"]);
    ensure(code == 5 && out.contains("skill = \"Orders\""), || {
        format!("resume 1: {code} {out}")
    })?;
    let (code, out) = run(&[
        "resume",
        "call-1",
        "--store",
        &url,
        "--event",
        "wait:25",
        "--event",
        "answer:agentadmin",
        "--event",
        "hangup",
    ]);
    ensure(code == 0, || format!("resume 2: {code} {out}"))?;
    let (code, out) = run(&["resume", "call-1", "--store", &url, "--event", "hangup"]);
    ensure(
        code == 2 && out.contains("no paused run \"call-1\""),
        || format!("resume 3: {code} {out}"),
    )
}

/// A TCP proxy in front of the server that the test can cut and restore:
/// cutting closes every connection through it and refuses new ones.
struct Proxy {
    port: u16,
    open: std::sync::Arc<std::sync::atomic::AtomicBool>,
    streams: std::sync::Arc<std::sync::Mutex<Vec<std::net::TcpStream>>>,
}

impl Proxy {
    fn start(target: std::net::SocketAddr) -> Result<Proxy, String> {
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::sync::{Arc, Mutex};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        let open = Arc::new(AtomicBool::new(true));
        let streams: Arc<Mutex<Vec<std::net::TcpStream>>> = Arc::new(Mutex::new(Vec::new()));
        let (open2, streams2) = (open.clone(), streams.clone());
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                if !open2.load(Ordering::Acquire) {
                    let _ = client.shutdown(std::net::Shutdown::Both);
                    continue;
                }
                let Ok(server) = std::net::TcpStream::connect(target) else {
                    continue;
                };
                let pairs = [
                    (client.try_clone(), server.try_clone()),
                    (server.try_clone(), client.try_clone()),
                ];
                if let Ok(mut all) = streams2.lock() {
                    all.extend(client.try_clone());
                    all.extend(server.try_clone());
                }
                for (from, to) in pairs {
                    if let (Ok(mut from), Ok(mut to)) = (from, to) {
                        std::thread::spawn(move || {
                            let _ = std::io::copy(&mut from, &mut to);
                            let _ = to.shutdown(std::net::Shutdown::Both);
                        });
                    }
                }
            }
        });
        Ok(Proxy {
            port,
            open,
            streams,
        })
    }

    fn cut(&self) {
        self.open.store(false, std::sync::atomic::Ordering::Release);
        if let Ok(mut all) = self.streams.lock() {
            for s in all.drain(..) {
                let _ = s.shutdown(std::net::Shutdown::Both);
            }
        }
    }

    fn restore(&self) {
        self.open.store(true, std::sync::atomic::Ordering::Release);
    }
}

fn the_database_lost_mid_run_is_the_error_branch_and_recovers(server: &str) -> Result<(), String> {
    use studioflow::permissions::postgres::PostgresStore;
    let url = demo_store(server, "proxy")?;
    // The same database through the proxy.
    let after_scheme = url.split_once('@').ok_or("no @ in the URL")?;
    let host_port = after_scheme.1.split('/').next().unwrap_or("");
    let target: std::net::SocketAddr =
        host_port.parse().map_err(|e| format!("{host_port}: {e}"))?;
    let proxy = Proxy::start(target)?;
    let proxied = url.replace(host_port, &format!("127.0.0.1:{}", proxy.port));
    let store = PostgresStore::open(StoreUrl::parse(&proxied).map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())?;
    let directory = Directory::new(std::sync::Arc::new(store));
    let engine = studioflow::Engine::builder().directory(directory).build();
    let script = engine
        .compile(
            r#"start: Begin { Default -> who }
who: SetSecurityUser { Agent = "sysadmin" Default -> make }
make: CreateRole { Name = "CutRole" Features = ["attribute"] Default -> done Error -> failed }
failed: Assign { Variable = failure Value = _ERR Default -> done }
done: End"#,
            "cut.script",
        )
        .map_err(|e| e.to_string())?;
    proxy.cut();
    let run = engine.run(&script, studioflow::RunOptions::default());
    let failure = run
        .variable("failure")
        .map(|v| v.to_text())
        .unwrap_or_default();
    ensure(failure.starts_with("serviceUnavailable.store"), || {
        format!(
            "expected the Error branch with serviceUnavailable.store, got {failure:?} ({:?})",
            run.outcome
        )
    })?;
    // Nothing half-written: the role is not in the database.
    let (mut client, parsed) = open(&url)?;
    let (tenant, _) = load_tenant(&mut client, &parsed).map_err(|e| e.to_string())?;
    ensure(tenant.store().role_by_name("CutRole").is_none(), || {
        "a role was written while cut".into()
    })?;
    // The database returns: the next run writes.
    proxy.restore();
    let run = engine.run(&script, studioflow::RunOptions::default());
    ensure(run.variable("failure").is_none(), || {
        format!(
            "after the restore: {:?}",
            run.variable("failure").map(|v| v.to_text())
        )
    })?;
    let (tenant, _) = load_tenant(&mut client, &parsed).map_err(|e| e.to_string())?;
    ensure(tenant.store().role_by_name("CutRole").is_some(), || {
        "the role was not written after the restore".into()
    })
}

/// One successful write, for the serial replay.
#[derive(Debug, Clone)]
enum Wrote {
    Create(String),
    Update(u64, u64, String),
    Delete(u64),
}

fn mixed_writes_from_four_hosts_equal_a_serial_replay(server: &str) -> Result<(), String> {
    use studioflow::permissions::{FeatureSet, NewRole, RoleChange};
    let url = demo_store(server, "replay")?;
    const HOSTS: usize = 4;
    // Four hosts, each a process of its own (this test binary as a worker).
    let workers: Vec<_> = (0..HOSTS)
        .map(|host| worker("replay", &url, host))
        .collect::<Result<_, _>>()?;
    let mut log = Vec::new();
    for child in workers {
        for line in finish_worker(child)? {
            log.push(parse_wrote(&line)?);
        }
    }
    log.sort_by_key(|(revision, _)| *revision);
    let revisions: Vec<i64> = log.iter().map(|(r, _)| *r).collect();
    let mut unique = revisions.clone();
    unique.dedup();
    ensure(unique.len() == revisions.len(), || {
        "two writes share a revision".into()
    })?;
    // The successful writes replayed one after another in revision order
    // on the in-memory store give the database's state.
    let replay = Directory::demo();
    for (_, wrote) in &log {
        let store = replay.store();
        let ok = match wrote {
            Wrote::Create(name) => store
                .create_role(NewRole {
                    name: name.clone(),
                    description: String::new(),
                    access: FeatureSet::EMPTY,
                })
                .is_ok(),
            Wrote::Update(id, stamp, text) => store
                .update_role(
                    *id,
                    *stamp,
                    RoleChange {
                        description: Some(text.clone()),
                        ..Default::default()
                    },
                )
                .is_ok(),
            Wrote::Delete(id) => store.delete_role(*id).is_ok(),
        };
        ensure(ok, || format!("the replay refused {wrote:?}"))?;
    }
    let (mut client, parsed) = open(&url)?;
    let (stored, _) = load_tenant(&mut client, &parsed).map_err(|e| e.to_string())?;
    ensure(
        stored.store().snapshot() == replay.store().snapshot(),
        || "the database differs from the serial replay of the writes that won".into(),
    )
}

/// One host's 200 mixed writes (a worker process's work): the successful
/// ones with the revision each made.
fn replay_worker(url: &str, host: usize) -> Result<Vec<(i64, Wrote)>, String> {
    use studioflow::permissions::postgres::PostgresStore;
    use studioflow::permissions::{FeatureSet, NewRole, RoleChange, StoreConflict, TenantStore};
    const WRITES: usize = 200;
    let store = PostgresStore::open(StoreUrl::parse(url).map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())?;
    let mut done = Vec::new();
    let mut mine: Vec<u64> = Vec::new();
    for n in 0..WRITES {
        let (result, wrote) = match n % 3 {
            0 => {
                let name = format!("H{host}_{n}");
                let r = store.create_role(NewRole {
                    name: name.clone(),
                    description: String::new(),
                    access: FeatureSet::EMPTY,
                });
                if let Ok(role) = &r {
                    mine.push(role.id);
                }
                (r.map(|_| ()), Wrote::Create(name))
            }
            1 => {
                let seen = store.role(5000).ok_or("no role 5000")?.change_stamp;
                let text = format!("host {host} write {n}");
                let change = RoleChange {
                    description: Some(text.clone()),
                    ..Default::default()
                };
                (
                    store.update_role(5000, seen, change).map(|_| ()),
                    Wrote::Update(5000, seen, text),
                )
            }
            _ => match mine.pop() {
                Some(id) => (store.delete_role(id).map(|_| ()), Wrote::Delete(id)),
                None => continue,
            },
        };
        match result {
            Ok(()) => done.push((store.last_write(), wrote)),
            Err(StoreConflict::StaleChangeStamp { .. }) => {}
            Err(other) => return Err(format!("host {host} write {n}: {other:?}")),
        }
    }
    Ok(done)
}

fn format_wrote((revision, wrote): &(i64, Wrote)) -> String {
    match wrote {
        Wrote::Create(name) => format!("{revision}\tC\t{name}"),
        Wrote::Update(id, stamp, text) => format!("{revision}\tU\t{id}\t{stamp}\t{text}"),
        Wrote::Delete(id) => format!("{revision}\tD\t{id}"),
    }
}

fn parse_wrote(line: &str) -> Result<(i64, Wrote), String> {
    let parts: Vec<&str> = line.split('\t').collect();
    let num = |i: usize| -> Result<u64, String> {
        parts
            .get(i)
            .and_then(|p| p.parse().ok())
            .ok_or_else(|| format!("bad line {line:?}"))
    };
    let revision = num(0)? as i64;
    let wrote = match parts.get(1) {
        Some(&"C") => Wrote::Create(parts.get(2).ok_or("no name")?.to_string()),
        Some(&"U") => Wrote::Update(num(2)?, num(3)?, parts.get(4).ok_or("no text")?.to_string()),
        Some(&"D") => Wrote::Delete(num(2)?),
        _ => return Err(format!("bad line {line:?}")),
    };
    Ok((revision, wrote))
}

/// Starts this test binary as a worker process (`kind` of work on `url`,
/// as host number `host`).
fn worker(kind: &str, url: &str, host: usize) -> Result<std::process::Child, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    Command::new(exe)
        .env("STUDIOFLOW_PG_WORKER", format!("{kind}\t{host}\t{url}"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())
}

/// A worker's output lines, or its error.
fn finish_worker(child: std::process::Child) -> Result<Vec<String>, String> {
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!(
            "a worker failed: {}{}",
            stdout,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(stdout.lines().map(str::to_string).collect())
}

/// The worker side: runs the work the environment names and exits.
fn run_worker(spec: &str) -> ! {
    let mut parts = spec.splitn(3, '\t');
    let (kind, host, url) = (
        parts.next().unwrap_or(""),
        parts
            .next()
            .and_then(|h| h.parse::<usize>().ok())
            .unwrap_or(0),
        parts.next().unwrap_or(""),
    );
    let result: Result<Vec<String>, String> = match kind {
        "replay" => replay_worker(url, host).map(|log| log.iter().map(format_wrote).collect()),
        "take" => take_worker(url, host),
        "deactivate" => deactivate_worker(url),
        other => Err(format!("unknown worker {other:?}")),
    };
    match result {
        Ok(lines) => {
            for line in lines {
                println!("{line}");
            }
            std::process::exit(0)
        }
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(1)
        }
    }
}

/// Deactivates sysadmin (agent 1001); prints the revision written.
fn deactivate_worker(url: &str) -> Result<Vec<String>, String> {
    use studioflow::permissions::postgres::PostgresStore;
    use studioflow::permissions::{AgentStatus, TenantStore};
    let store = PostgresStore::open(StoreUrl::parse(url).map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())?;
    store
        .set_agent_status(1001, AgentStatus::Inactive)
        .map_err(|e| format!("{e:?}"))?;
    Ok(vec![store.last_write().to_string()])
}

/// One host resuming what it can of the 100 paused runs `call-0`..`call-99`
/// (host 1 goes through them backwards): the ids it resumed.
fn take_worker(url: &str, host: usize) -> Result<Vec<String>, String> {
    use studioflow::{PauseStore, Take};
    let store = PauseStore::new(StoreUrl::parse(url).map_err(|e| e.to_string())?);
    let mut resumed = Vec::new();
    for k in 0..100 {
        let n = if host == 0 { k } else { 99 - k };
        let id = format!("call-{n}");
        match store
            .take(&id, chrono::Utc::now())
            .map_err(|e| e.to_string())?
        {
            Take::Taken(taken) => {
                taken.finish(None).map_err(|e| e.to_string())?;
                resumed.push(id);
            }
            Take::Absent => {}
            Take::Expired { .. } => return Err(format!("{id} expired")),
        }
    }
    Ok(resumed)
}

fn the_permission_matrix_holds_on_the_postgres_store(server: &str) -> Result<(), String> {
    use studioflow::permissions::postgres::PostgresStore;
    let url = fresh_database(server, "matrix")?;
    studioflow(&["db", "migrate", "--store", &url]);
    let mut failures = Vec::new();
    for (name, check) in matrix::CHECKS {
        let url = url.clone();
        // Each check's tenant: the demo tenant imported afresh, read and
        // written through a PostgresStore.
        let make = move || {
            let parsed = StoreUrl::parse(&url).expect("url");
            let mut client = connect(&parsed).expect("connect");
            import_tenant(&mut client, &parsed, &Directory::demo()).expect("import");
            let store = PostgresStore::open(parsed).expect("open");
            Directory::new(std::sync::Arc::new(store))
        };
        let outcome = matrix::with_tenant(make, || std::panic::catch_unwind(check));
        if let Err(panic) = outcome {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            failures.push(format!("{name}: {message}"));
        }
    }
    ensure(failures.is_empty(), || failures.join("\n"))
}

fn main() {
    if let Ok(spec) = std::env::var("STUDIOFLOW_PG_WORKER") {
        run_worker(&spec);
    }
    let require = std::env::var("STUDIOFLOW_REQUIRE_TOOLS").is_ok_and(|v| v == "1");
    let server = std::env::var("STUDIOFLOW_TEST_DATABASE_URL").ok();
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let checks: [(&str, Check); 17] = [
        (
            "migrate_is_versioned_and_idempotent",
            migrate_is_versioned_and_idempotent,
        ),
        (
            "import_then_export_round_trips_a_tenant_file",
            import_then_export_round_trips_a_tenant_file,
        ),
        (
            "every_write_notifies_its_revision",
            every_write_notifies_its_revision,
        ),
        (
            "role_names_are_unique_ignoring_case_in_the_database",
            role_names_are_unique_ignoring_case_in_the_database,
        ),
        (
            "an_unreachable_store_is_exit_2_with_the_url",
            an_unreachable_store_is_exit_2_with_the_url,
        ),
        (
            "the_permission_matrix_holds_on_the_postgres_store",
            the_permission_matrix_holds_on_the_postgres_store,
        ),
        (
            "a_run_writes_through_and_the_next_run_sees_it",
            a_run_writes_through_and_the_next_run_sees_it,
        ),
        (
            "test_store_copies_the_tenant_and_never_writes",
            test_store_copies_the_tenant_and_never_writes,
        ),
        (
            "concurrent_hosts_lose_no_update",
            concurrent_hosts_lose_no_update,
        ),
        (
            "mixed_writes_from_four_hosts_equal_a_serial_replay",
            mixed_writes_from_four_hosts_equal_a_serial_replay,
        ),
        (
            "a_reader_at_least_as_fresh_as_the_writer_sees_the_write",
            a_reader_at_least_as_fresh_as_the_writer_sees_the_write,
        ),
        (
            "tls_verifies_the_server_against_sslrootcert",
            tls_verifies_the_server_against_sslrootcert,
        ),
        (
            "two_stores_on_one_thread_answer_from_their_own_tenant",
            two_stores_on_one_thread_answer_from_their_own_tenant,
        ),
        (
            "paused_runs_are_taken_exactly_once",
            paused_runs_are_taken_exactly_once,
        ),
        (
            "a_host_dying_mid_resume_loses_nothing_and_expiry_removes",
            a_host_dying_mid_resume_loses_nothing_and_expiry_removes,
        ),
        (
            "run_pause_and_resume_through_the_store",
            run_pause_and_resume_through_the_store,
        ),
        (
            "the_database_lost_mid_run_is_the_error_branch_and_recovers",
            the_database_lost_mid_run_is_the_error_branch_and_recovers,
        ),
    ];
    let (mut passed, mut failed, mut skipped) = (0, 0, 0);
    println!("\nrunning {} tests", checks.len());
    for (name, check) in checks {
        if !filter.is_empty() && !filter.iter().any(|f| name.contains(f.as_str())) {
            continue;
        }
        match &server {
            None if require => {
                println!("test {name} ... FAILED: PostgreSQL not available (STUDIOFLOW_TEST_DATABASE_URL unset) and STUDIOFLOW_REQUIRE_TOOLS=1");
                failed += 1;
            }
            None => {
                println!("test {name} ... skipped: PostgreSQL not installed (set STUDIOFLOW_TEST_DATABASE_URL, e.g. from `bash .ci/postgres start DIR`)");
                skipped += 1;
            }
            Some(server) => match check(server) {
                Ok(()) => {
                    println!("test {name} ... ok");
                    passed += 1;
                }
                Err(message) if message == SKIPPED_NO_CA => {
                    println!("test {name} ... {message}");
                    skipped += 1;
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
