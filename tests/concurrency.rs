//! Concurrency (issue 4): 1,000 runs of a Role-API script on 8 threads
//! against ONE shared engine and permission model.
//!
//! Each run signs in as `sysadmin`, then either creates a role (names drawn
//! from a small pool in random letter case, so many collide, some with the
//! demo tenant's own roles) or reads a role and updates it with the
//! changeStamp it read (a few runs deliberately pass the next stamp instead).
//! Racing updates make many stamps stale. Every run reports what it did
//! through its final variables, and the test then checks:
//!
//! - every CreateRole landed, or failed with `invalidInput.duplicateName`;
//!   exactly one create per name (case-insensitively) landed;
//! - every UpdateRole either landed with changeStamp = the stamp it gave + 1,
//!   or was rejected with `invalidInput.staleChangeStamp` (built-ins:
//!   `invalidInput.builtInRole`), and a stale rejection of a stamp read from
//!   the model is explained by another update that consumed that stamp;
//! - nothing was lost: per role, the successful updates gave the stamps
//!   initial, initial+1, ..., each exactly once, and the final changeStamp is
//!   the initial one plus the number of successful updates; the final
//!   description is the one written by the last successful update;
//! - the model holds exactly the built-ins, Supervisor and the successful
//!   creates; role ids are unique, and never reused (also after a delete).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use studioflow::{CompileOptions, Engine, Outcome, Run, RunOptions, Script, Value};

const RUNS: usize = 1_000;
const THREADS: usize = 8;
const SYSADMIN: u64 = 1001;

const SCRIPT: &str = r#"
script "Concurrent role admin" type Generic

start: Begin { Default -> signIn }

signIn: SetSecurityUser { Agent = "sysadmin"  Default -> which  Error -> signInFailed }

which: If { Expression = Op = "create"  True -> create  False -> get }

create: CreateRole {
  Name = "{RoleName}"
  Description = "created by run {RunNo}"
  Features = ["attribute", "reasoncode"]
  Default -> created
  Error -> createFailed
}
created: Assign { Variable = Did  Value = "created"  Default -> done }
createFailed: Assign { Variable = Did  Value = "createFailed"  Default -> done }

get: GetRole { Role = "{RoleName}"  Default -> readId  Error -> getFailed }
readId: Assign { Variable = ReadId  Value = Role.id  Default -> readStamp }
readStamp: Assign { Variable = GivenStamp  Value = Role.changeStamp + Lag  Default -> spin }

// Widen the window between the read and the write so updates race.
spin: Loop { Repeat = Spin  CounterName = spun  Repeat -> spin  Finished -> update }

update: UpdateRole {
  Role = "{ReadId}"
  ChangeStamp = GivenStamp
  Description = "updated by run {RunNo}"
  Default -> updated
  Error -> updateFailed
}
updated: Assign { Variable = Did  Value = "updated"  Default -> done }
updateFailed: Assign { Variable = Did  Value = "updateFailed"  Default -> done }
getFailed: Assign { Variable = Did  Value = "getFailed"  Default -> done }
signInFailed: Assign { Variable = Did  Value = "signInFailed"  Default -> done }

done: End
"#;

/// Role names runs draw from; `Supervisor` and `SystemAdmin` already exist.
const NAMES: &[&str] = &[
    "Team_0",
    "Team_1",
    "Team_2",
    "Team_3",
    "Team_4",
    "Team_5",
    "qa.lead",
    "Night_Shift",
    "Supervisor",
    "SystemAdmin",
];

const BUILT_INS: &[&str] = &["AgentAdmin", "ScriptAdmin", "ConfigAdmin", "SystemAdmin"];

#[derive(Debug, Clone)]
struct Job {
    run_no: usize,
    create: bool,
    /// The name as passed (random letter case).
    name: String,
    lag: u64,
    spin: u64,
}

/// xorshift64*: deterministic, so a failure reproduces job for job.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn jobs() -> Vec<Job> {
    let mut rng = Rng(0x5EED_CAFE_F00D_BEEF);
    (0..RUNS)
        .map(|run_no| {
            // Creates cluster early so most updates find their role.
            let create = rng.below(100) < if run_no < 150 { 50 } else { 12 };
            // Built-ins are rarely picked.
            let mut index = rng.below(NAMES.len() as u64) as usize;
            if NAMES[index] == "SystemAdmin" && !create && rng.below(4) != 0 {
                index = 0;
            }
            let name: String = NAMES[index]
                .chars()
                .map(|c| {
                    if rng.below(3) == 0 {
                        c.to_ascii_uppercase()
                    } else if rng.below(2) == 0 {
                        c.to_ascii_lowercase()
                    } else {
                        c
                    }
                })
                .collect();
            Job {
                run_no,
                create,
                name,
                lag: u64::from(rng.below(10) == 0),
                spin: rng.below(12),
            }
        })
        .collect()
}

fn text(run: &Run, name: &str) -> String {
    run.variables
        .get(name)
        .map(Value::to_text)
        .unwrap_or_default()
}

fn number(run: &Run, name: &str) -> u64 {
    let n = run
        .variables
        .get(name)
        .and_then(Value::as_number)
        .unwrap_or_else(|| panic!("{name} is not a number in {:?}", run.variables));
    assert!(n >= 0.0 && n.fract() == 0.0, "{name} = {n}");
    n as u64
}

fn member(run: &Run, var: &str, field: &str) -> Value {
    match run.variables.get(var) {
        Some(Value::Object(map)) => map.get(field).cloned().unwrap_or_default(),
        other => panic!("{var} is not an object: {other:?}"),
    }
}

#[test]
fn engine_and_script_are_shareable() {
    fn assert_shareable<T: Clone + Send + Sync + 'static>() {}
    assert_shareable::<Engine>();
    assert_shareable::<Script>();
}

#[test]
fn a_thousand_role_api_runs_on_eight_threads() {
    let engine = Engine::demo();
    let inputs = ["Op", "RoleName", "RunNo", "Lag", "Spin"];
    let script = engine
        .compile_with(
            SCRIPT,
            "concurrent.script",
            &CompileOptions {
                inputs: inputs.iter().map(|s| s.to_string()).collect(),
            },
        )
        .unwrap_or_else(|d| panic!("{d}"));

    // The model before: built-ins and Supervisor.
    let initial = engine.directory().roles();
    let initial_ids: BTreeSet<u64> = initial.iter().map(|r| r.id).collect();
    let initial_stamps: HashMap<u64, u64> =
        initial.iter().map(|r| (r.id, r.change_stamp)).collect();
    let initial_names: BTreeSet<String> = initial.iter().map(|r| r.name.clone()).collect();
    let expected_initial: BTreeSet<String> = BUILT_INS
        .iter()
        .chain(["Supervisor"].iter())
        .map(|s| s.to_string())
        .collect();
    assert_eq!(initial_names, expected_initial);

    // ---------------------------------------------------------- the runs
    let jobs = jobs();
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(Job, Run)>> = Mutex::new(Vec::with_capacity(RUNS));
    std::thread::scope(|scope| {
        for _ in 0..THREADS {
            // Each thread works on its own clones: Engine and Script are cheap handles.
            let (engine, script) = (engine.clone(), script.clone());
            let (jobs, next, results) = (&jobs, &next, &results);
            scope.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(job) = jobs.get(i) else { break };
                let mut options = RunOptions::default();
                let vars = &mut options.variables;
                vars.insert(
                    "Op".into(),
                    Value::from(if job.create { "create" } else { "update" }),
                );
                vars.insert("RoleName".into(), Value::from(job.name.as_str()));
                vars.insert("RunNo".into(), Value::from(job.run_no as f64));
                vars.insert("Lag".into(), Value::from(job.lag as f64));
                vars.insert("Spin".into(), Value::from(job.spin as f64));
                let run = engine.run(&script, options);
                results.lock().unwrap().push((job.clone(), run));
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by_key(|(job, _)| job.run_no);
    assert_eq!(results.len(), RUNS, "every run reported");

    // ---------------------------------------------------------- per-run checks
    let mut created: BTreeMap<String, Vec<(u64, String, usize)>> = BTreeMap::new(); // lower name -> (id, name, run)
    let mut create_failures = 0;
    // role id -> (given stamp, run_no) of successful updates
    let mut updates: BTreeMap<u64, Vec<(u64, usize)>> = BTreeMap::new();
    // role id -> given stamps of stale rejections of a stamp read from the model
    let mut stale_read: BTreeMap<u64, Vec<(u64, usize)>> = BTreeMap::new();
    let (mut stale, mut stale_lagged, mut built_in_refusals, mut not_found) = (0, 0, 0, 0);

    for (job, run) in &results {
        let context = || format!("run {} {job:?}: {:?}", job.run_no, run.variables);
        assert_eq!(run.outcome, Outcome::Completed, "{}", context());
        assert!(run.error.is_none(), "{}", context());
        let did = text(run, "Did");
        let err = text(run, "_ERR");
        let lower = job.name.to_lowercase();
        match did.as_str() {
            "created" => {
                assert!(job.create, "{}", context());
                assert!(err.is_empty(), "{}", context());
                let id = member(run, "Role", "id").as_number().unwrap() as u64;
                assert_eq!(
                    member(run, "Role", "name").to_text(),
                    job.name,
                    "{}",
                    context()
                );
                assert_eq!(member(run, "Role", "changeStamp"), Value::from(0.0));
                assert_eq!(member(run, "Role", "systemDefined"), Value::from(false));
                assert_eq!(
                    member(run, "Role", "refURL").to_text(),
                    format!("/unifiedconfig/config/role/{id}")
                );
                created
                    .entry(lower)
                    .or_default()
                    .push((id, job.name.clone(), job.run_no));
            }
            "createFailed" => {
                assert!(job.create, "{}", context());
                assert!(
                    err.starts_with("invalidInput.duplicateName"),
                    "a create may only fail as a duplicate here: {}",
                    context()
                );
                create_failures += 1;
            }
            "updated" => {
                assert!(!job.create, "{}", context());
                assert!(err.is_empty(), "{}", context());
                let id = number(run, "ReadId");
                let given = number(run, "GivenStamp");
                assert_eq!(member(run, "Role", "id").as_number(), Some(id as f64));
                assert_eq!(
                    member(run, "Role", "changeStamp").as_number(),
                    Some((given + 1) as f64),
                    "an update moves the stamp from the one given to the next: {}",
                    context()
                );
                assert_eq!(
                    member(run, "Role", "description").to_text(),
                    format!("updated by run {}", job.run_no)
                );
                updates.entry(id).or_default().push((given, job.run_no));
            }
            "updateFailed" => {
                assert!(!job.create, "{}", context());
                let id = number(run, "ReadId");
                let given = number(run, "GivenStamp");
                if lower == "systemadmin" {
                    assert!(err.starts_with("invalidInput.builtInRole"), "{}", context());
                    built_in_refusals += 1;
                } else {
                    assert!(
                        err.starts_with("invalidInput.staleChangeStamp"),
                        "an update of a custom role may only fail as stale here: {}",
                        context()
                    );
                    stale += 1;
                    if job.lag == 0 {
                        stale_read.entry(id).or_default().push((given, job.run_no));
                    } else {
                        stale_lagged += 1;
                    }
                }
            }
            "getFailed" => {
                assert!(!job.create, "{}", context());
                assert!(err.starts_with("notFound"), "{}", context());
                assert!(
                    lower != "supervisor" && lower != "systemadmin",
                    "an existing role was not found: {}",
                    context()
                );
                not_found += 1;
            }
            _ => panic!("unexpected report {did:?}: {}", context()),
        }
    }
    eprintln!(
        "creates: {} landed, {create_failures} duplicates; updates: {} landed, {stale} stale \
         ({stale_lagged} with a future stamp), {built_in_refusals} built-in refusals, \
         {not_found} not found yet",
        created.values().map(Vec::len).sum::<usize>(),
        updates.values().map(Vec::len).sum::<usize>(),
    );

    // ---------------------------------------------------------- creates
    for (lower, landed) in &created {
        assert_eq!(
            landed.len(),
            1,
            "exactly one create per name may land, case-insensitively: {lower}: {landed:?}"
        );
        assert!(
            !initial_names.iter().any(|n| n.to_lowercase() == *lower),
            "a create duplicated an existing role: {landed:?}"
        );
    }
    for name in NAMES {
        let lower = name.to_lowercase();
        let attempted = results
            .iter()
            .any(|(job, _)| job.create && job.name.to_lowercase() == lower);
        let pre_existing = initial_names.iter().any(|n| n.to_lowercase() == lower);
        if attempted && !pre_existing {
            assert!(created.contains_key(&lower), "no create of {name} landed");
        }
    }
    let created_ids: Vec<u64> = created.values().flatten().map(|(id, ..)| *id).collect();
    let unique: BTreeSet<u64> = created_ids.iter().copied().collect();
    assert_eq!(unique.len(), created_ids.len(), "role ids are unique");
    assert!(
        unique.is_disjoint(&initial_ids),
        "a new role reused an existing id"
    );

    // ---------------------------------------------------------- updates: nothing lost
    let final_roles = engine.directory().roles();
    let final_by_id: HashMap<u64, _> = final_roles.iter().map(|r| (r.id, r)).collect();
    for (id, landed) in &updates {
        let role = final_by_id
            .get(id)
            .unwrap_or_else(|| panic!("updated role {id} vanished"));
        let start = initial_stamps.get(id).copied().unwrap_or(0);
        let mut given: Vec<u64> = landed.iter().map(|(g, _)| *g).collect();
        given.sort_unstable();
        let expected: Vec<u64> = (start..start + landed.len() as u64).collect();
        assert_eq!(
            given, expected,
            "role {id}: successful updates must consume each stamp exactly once (a repeat is a lost update)"
        );
        assert_eq!(
            role.change_stamp,
            start + landed.len() as u64,
            "role {id}: final changeStamp = initial + successful updates"
        );
        let last_run = landed.iter().max_by_key(|(g, _)| *g).unwrap().1;
        assert_eq!(
            role.description,
            format!("updated by run {last_run}"),
            "role {id}: the last successful update's description stands"
        );
    }
    for role in &final_roles {
        if !updates.contains_key(&role.id) {
            let start = initial_stamps.get(&role.id).copied().unwrap_or(0);
            assert_eq!(
                role.change_stamp, start,
                "role {} changed without a landed update",
                role.name
            );
        }
    }
    // A stamp read from the model and then rejected as stale must have been
    // consumed by an update that landed in between.
    for (id, rejected) in &stale_read {
        let consumed: BTreeSet<u64> = updates
            .get(id)
            .map(|l| l.iter().map(|(g, _)| *g).collect())
            .unwrap_or_default();
        for (given, run_no) in rejected {
            assert!(
                consumed.contains(given),
                "run {run_no}: stamp {given} of role {id} was rejected as stale, but no update consumed it"
            );
        }
    }

    // ---------------------------------------------------------- the final model
    let final_names: BTreeSet<String> = final_roles.iter().map(|r| r.name.clone()).collect();
    let mut expected_names = initial_names.clone();
    for landed in created.values() {
        for (_, name, _) in landed {
            expected_names.insert(name.clone());
        }
    }
    assert_eq!(
        final_names, expected_names,
        "the model holds built-ins + Supervisor + successful creates"
    );
    assert_eq!(final_roles.len(), initial.len() + created_ids.len());
    let final_ids: BTreeSet<u64> = final_roles.iter().map(|r| r.id).collect();
    assert_eq!(final_ids.len(), final_roles.len(), "role ids are unique");
    for landed in created.values() {
        for (id, name, _) in landed {
            let role = final_by_id[id];
            assert_eq!(&role.name, name);
            assert!(!role.system_defined);
            let features: Vec<&str> = role.access_list.iter().map(|f| f.name.as_str()).collect();
            assert_eq!(features, ["attribute", "reasoncode"]);
        }
    }

    // ---------------------------------------------------------- ids never reused
    // Delete one created role and create it again: it gets a fresh id.
    let (deleted_id, deleted_name) = {
        let (id, name, _) = created.values().next().expect("some create landed")[0].clone();
        (id, name)
    };
    let again = engine
        .compile(
            r#"start: Begin { Default -> su }
su: SetSecurityUser { Agent = "sysadmin"  Default -> del }
del: DeleteRole { Role = "{Name}"  Default -> add }
add: CreateRole { Name = "{Name}"  Default -> done }
done: End
"#,
            "again.script",
        )
        .unwrap();
    let mut options = RunOptions::default();
    options
        .variables
        .insert("Name".into(), Value::from(deleted_name.as_str()));
    let run = engine.run(&again, options);
    assert_eq!(run.outcome, Outcome::Completed, "{:?}", run.error);
    let new_id = member(&run, "Role", "id").as_number().unwrap() as u64;
    let seen_max = final_ids.iter().copied().max().unwrap();
    assert!(
        new_id > seen_max,
        "after deleting {deleted_name} ({deleted_id}) the new role got id {new_id}, not above {seen_max}"
    );
    let roles_now: BTreeSet<u64> = engine.directory().roles().iter().map(|r| r.id).collect();
    assert!(!roles_now.contains(&deleted_id));
    assert!(roles_now.contains(&new_id));
    assert!(engine.directory().get_role(SYSADMIN, &deleted_name).is_ok());
}

/// A shared engine really shares one model: a role made by one run is seen by
/// the next, across threads, and a second engine has its own demo model.
#[test]
fn runs_share_the_engines_model() {
    let engine = Engine::demo();
    let script = engine
        .compile(
            r#"start: Begin { Default -> su }
su: SetSecurityUser { Agent = "sysadmin"  Default -> add }
add: CreateRole { Name = "{Name}"  Default -> done  Error -> done }
done: End
"#,
            "share.script",
        )
        .unwrap();
    std::thread::scope(|scope| {
        for i in 0..THREADS {
            let (engine, script) = (&engine, &script);
            scope.spawn(move || {
                let mut options = RunOptions::default();
                options
                    .variables
                    .insert("Name".into(), Value::from(format!("Shared_{i}")));
                assert_eq!(engine.run(script, options).outcome, Outcome::Completed);
            });
        }
    });
    let names: BTreeSet<String> = engine
        .directory()
        .roles()
        .into_iter()
        .map(|r| r.name)
        .collect();
    for i in 0..THREADS {
        assert!(names.contains(&format!("Shared_{i}")));
    }
    let other = Engine::demo();
    assert!(other.directory().get_role(SYSADMIN, "Shared_0").is_err());
}
