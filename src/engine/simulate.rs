//! A contact simulated from start to end: a run, then a resume per event
//! at each of its waits, the parts put together as one [`Run`] (steps,
//! trace, coverage counts and transcript across the waits).

use crate::runtime::{Run, RunCounts, TRACE_KEEP_FIRST, TRACE_KEEP_LAST};
use crate::{
    Engine, Event, Outcome, PausedRun, ResumeError, RunOptions, Script, Waiting,
    TRANSCRIPT_KEEP_FIRST, TRANSCRIPT_KEEP_LAST,
};

/// A simulated contact: the run as it ended, and the events it did not use.
///
/// ```
/// use studioflow::{Engine, Event, Outcome, RunOptions};
/// let engine = Engine::new();
/// let script = engine.compile("start: Begin { Default -> w }\nw: Wait { Seconds = 5 }", "w.script").unwrap();
/// let events = [Event::Wait(5.0), Event::Hangup];
/// let sim = engine.simulate(&script, RunOptions::default(), events, None).unwrap();
/// assert_eq!(sim.run.outcome, Outcome::Completed);
/// assert_eq!(sim.unused, [Event::Hangup]); // the run ended before it
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub struct Simulation {
    /// The whole contact as one run: its trace, counts and transcript hold
    /// every part (bounded as one run's), the rest is how it ended.
    pub run: Run,
    /// Events left when the run ended (it completed or stopped before
    /// their waits): a caller usually treats them as a mistake.
    pub unused: Vec<Event>,
}

/// Why a simulation stopped before the run ended: an event did not fit.
///
/// ```
/// use studioflow::{Engine, Event, Outcome, RunOptions};
/// let engine = Engine::new();
/// let script = engine.compile("start: Begin { Default -> w }\nw: Wait { Seconds = 5 }", "w.script").unwrap();
/// let e = engine.simulate(&script, RunOptions::default(), [Event::Timeout], None).unwrap_err();
/// assert_eq!(e.index, 0);
/// assert!(e.to_string().starts_with("event 1 of 1: event `timeout` does not fit"), "{e}");
/// assert_eq!(e.run.outcome, Outcome::Waiting); // the run as far as it went
/// ```
#[derive(Debug, thiserror::Error)]
#[error("event {} of {}: {source}", index + 1, count)]
#[non_exhaustive]
pub struct SimulationError {
    /// The event's place in the list (0-based).
    pub index: usize,
    /// How many events were given.
    pub count: usize,
    /// Why it was refused.
    pub source: ResumeError,
    /// The run up to the wait the event did not fit.
    pub run: Box<Run>,
}

/// Answers a wait without an event from the list (an HTTP request made by
/// the host, a test's mock): `None` leaves the wait to the next event.
///
/// ```
/// use studioflow::{Engine, Event, HttpReply, RunOptions, Wait, Waiting};
/// let engine = Engine::new();
/// let script = engine.compile(
///     "start: Begin { Default -> ask }\nask: RestApi { ServiceAddress = \"https://x.example/\" ResultSet = r Default -> done }\ndone: End",
///     "ask.script",
/// ).unwrap();
/// let mut replies = |waiting: &Waiting| match &waiting.wait {
///     Wait::Http { .. } => Some(Event::Reply(HttpReply::new(200, "{\"ok\": true}"))),
///     _ => None,
/// };
/// let sim = engine.simulate(&script, RunOptions::default(), [], Some(&mut replies)).unwrap();
/// assert_eq!(sim.run.variable("r").unwrap().to_json(), serde_json::json!({"ok": true}));
/// ```
pub type Responder<'a> = &'a mut dyn FnMut(&Waiting) -> Option<Event>;

impl Engine {
    /// Runs `script` as a contact: at each wait, the next of `events`
    /// resumes it (the responder first, when given and it answers), until
    /// the run ends or the events run out (the run then ends waiting).
    ///
    /// ```
    /// use studioflow::{Engine, Event, Outcome, RunOptions};
    /// let engine = Engine::new();
    /// let script = engine.compile(r#"
    ///     start: Begin { Default -> ask }
    ///     ask: Menu { Sequence = "Press 1 for sales, 2 for support" Case "1" -> sales Case "2" -> support Default -> ask }
    ///     sales: Play { Sequence = "Connecting you to sales" Default -> done }
    ///     support: Play { Sequence = "Connecting you to support" Default -> done }
    ///     done: End
    /// "#, "menu.script").unwrap();
    /// let events = ["digits:2".parse().unwrap()];
    /// let sim = engine.simulate(&script, RunOptions::default(), events, None).unwrap();
    /// assert_eq!(sim.run.outcome, Outcome::Completed);
    /// let heard: Vec<&str> = sim.run.transcript.iter().map(|e| &*e.text).collect();
    /// assert_eq!(heard, ["Press 1 for sales, 2 for support", "2", "Connecting you to support"]);
    /// ```
    pub fn simulate(
        &self,
        script: &Script,
        options: RunOptions,
        events: impl IntoIterator<Item = Event>,
        responder: Option<Responder<'_>>,
    ) -> Result<Simulation, SimulationError> {
        let watch = watching(&options);
        let first = self.run(script, options);
        self.go_on(
            script,
            first,
            watch,
            events.into_iter().collect(),
            responder,
            0,
        )
    }

    /// [`Engine::simulate`] from a paused run.
    pub fn simulate_paused(
        &self,
        script: &Script,
        paused: PausedRun,
        options: RunOptions,
        events: impl IntoIterator<Item = Event>,
        responder: Option<Responder<'_>>,
    ) -> Result<Simulation, SimulationError> {
        let events: Vec<Event> = events.into_iter().collect();
        let start = PausedStart {
            waiting: paused.waiting().clone(),
            steps: paused.steps(),
        };
        let mut responder = responder;
        let count = events.len();
        let mut queue = events.into_iter();
        let first_event = match responder.as_mut().and_then(|r| r(&start.waiting)) {
            Some(event) => Some((event, None)),
            None => queue.next().map(|e| (e, Some(0))),
        };
        let Some((event, index)) = first_event else {
            // Nothing to resume with: the run still waits, as it was (in
            // the scripts it was paused in, or nothing is shown of it).
            if let Err(source) = crate::runtime::check_identity(&script.inner, &paused) {
                return Err(SimulationError {
                    index: 0,
                    count,
                    source,
                    run: Box::new(waiting_run_empty(start, &options)),
                });
            }
            let run = waiting_run(paused, start, script, &options);
            return Ok(Simulation {
                run,
                unused: Vec::new(),
            });
        };
        let watch = watching(&options);
        let rest: Vec<Event> = queue.collect();
        // Events after the first are numbered as the caller gave them.
        let used = usize::from(index.is_some());
        match self.resume_with(script, paused, event, options.clone()) {
            Ok(run) => self.go_on(script, run, watch, rest, responder, used),
            Err(source) => {
                let paused = match &source {
                    ResumeError::EventDoesNotFit { paused, .. }
                    | ResumeError::UnknownAgent { paused, .. }
                    | ResumeError::BadEvent { paused, .. }
                    | ResumeError::Released { paused, .. } => Some((**paused).clone()),
                    _ => None,
                };
                let run = match paused {
                    Some(p) => waiting_run(p, start, script, &options),
                    None => waiting_run_empty(start, &options),
                };
                Err(SimulationError {
                    index: index.unwrap_or(0),
                    count,
                    source,
                    run: Box::new(run),
                })
            }
        }
    }

    fn go_on(
        &self,
        script: &Script,
        mut run: Run,
        options: RunOptions,
        events: Vec<Event>,
        mut responder: Option<Responder<'_>>,
        used: usize,
    ) -> Result<Simulation, SimulationError> {
        // `used`: events of the caller's list taken before these.
        let count = used + events.len();
        let mut queue = events
            .into_iter()
            .enumerate()
            .map(|(i, e)| (used + i, e))
            .peekable();
        while run.outcome == Outcome::Waiting {
            let Some(waiting) = run.waiting.as_deref().cloned() else {
                break;
            };
            let (event, index) = match responder.as_mut().and_then(|r| r(&waiting)) {
                Some(event) => (event, None),
                None => match queue.next() {
                    Some((i, event)) => (event, Some(i)),
                    None => break,
                },
            };
            let Some(paused) = run.paused.take() else {
                break;
            };
            // The part before keeps its trace, counts and transcript; its
            // variables are the paused run's own. Let go of them first, so
            // the resumed run owns its values alone, as it does when
            // resumed from bytes (a Snippet charges copying a shared list
            // to its statement budget).
            run.variables = crate::runtime::Variables::empty();
            match self.resume_with(script, *paused, event, options.clone()) {
                Ok(next) => run = join(run, next),
                Err(source) => {
                    if let Some(paused) = match &source {
                        ResumeError::EventDoesNotFit { paused, .. }
                        | ResumeError::UnknownAgent { paused, .. }
                        | ResumeError::BadEvent { paused, .. }
                        | ResumeError::Released { paused, .. } => Some(paused.clone()),
                        _ => None,
                    } {
                        // Nothing ran: the variables are the paused run's.
                        run.variables = own_variables(&paused, script);
                        run.paused = Some(paused);
                    }
                    return Err(SimulationError {
                        index: index.unwrap_or(0),
                        count,
                        source,
                        run: Box::new(run),
                    });
                }
            }
        }
        Ok(Simulation {
            run,
            unused: queue.map(|(_, e)| e).collect(),
        })
    }
}

/// The options that watch a run (trace, observers, mocks, deadline), for
/// each resumed part.
fn watching(options: &RunOptions) -> RunOptions {
    let mut watch = options.clone();
    watch.variables = Default::default();
    watch
}

struct PausedStart {
    waiting: Waiting,
    steps: u64,
}

/// A run that still waits where the paused run waited, with its variables
/// (those of the script that was run).
fn waiting_run(
    paused: PausedRun,
    start: PausedStart,
    script: &Script,
    options: &RunOptions,
) -> Run {
    let mut run = waiting_run_empty(start, options);
    run.variables = own_variables(&paused, script);
    run.paused = Some(Box::new(paused));
    run
}

/// The variables of the script that was run, as a paused run holds them.
fn own_variables(paused: &PausedRun, script: &Script) -> crate::runtime::Variables {
    crate::runtime::Variables::new(
        script.inner.clone(),
        paused
            .frames
            .last()
            .map(|f| f.vars.clone())
            .unwrap_or_default(),
        paused.extra.clone(),
    )
}

fn waiting_run_empty(start: PausedStart, options: &RunOptions) -> Run {
    Run {
        outcome: Outcome::Waiting,
        end: Some(start.waiting.action.clone()),
        error: None,
        steps: start.steps,
        trace: options.trace.then(Vec::new),
        trace_omitted: 0,
        counts: options.trace.then(RunCounts::default),
        returned: None,
        variables: crate::runtime::Variables::empty(),
        transcript: Vec::new(),
        transcript_omitted: 0,
        waiting: Some(Box::new(start.waiting)),
        paused: None,
    }
}

/// One run of the parts before and the part after a resume.
fn join(before: Run, after: Run) -> Run {
    let (trace, trace_omitted) = match (before.trace, after.trace) {
        (Some(a), Some(b)) => {
            let (kept, dropped) = bounded(a, b, TRACE_KEEP_FIRST, TRACE_KEEP_LAST);
            (
                Some(kept),
                before.trace_omitted + after.trace_omitted + dropped,
            )
        }
        (a, b) => (b.or(a), before.trace_omitted + after.trace_omitted),
    };
    let counts = match (before.counts, after.counts) {
        (Some(mut a), Some(b)) => {
            a.absorb(b);
            Some(a)
        }
        (a, b) => b.or(a).map(|c: RunCounts| c),
    };
    let (transcript, dropped) = bounded(
        before.transcript,
        after.transcript,
        TRANSCRIPT_KEEP_FIRST,
        TRANSCRIPT_KEEP_LAST,
    );
    Run {
        trace,
        trace_omitted,
        counts,
        transcript,
        transcript_omitted: before.transcript_omitted + after.transcript_omitted + dropped,
        ..after
    }
}

/// `a` then `b`, keeping the first `first` and the last `last`; returns
/// how many were left out.
fn bounded<T>(mut a: Vec<T>, b: Vec<T>, first: usize, last: usize) -> (Vec<T>, u64) {
    a.extend(b);
    if a.len() <= first + last {
        return (a, 0);
    }
    let dropped = a.len() - first - last;
    a.drain(first..first + dropped);
    (a, dropped as u64)
}
