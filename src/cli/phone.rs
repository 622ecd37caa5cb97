//! The terminal as the phone: the person at it plays the caller. Prompts
//! are printed as the run plays them; at each wait the person types keys
//! (a line of 0-9, * and #), `h` to hang up, an empty line for a timeout,
//! `a AGENT` for an agent to answer; time passes by itself unless the
//! contact is queued (then Enter lets the hold time pass, so an agent can
//! answer in between); an HTTP wait is a real call under `--allow-http`,
//! else the person types the reply as `STATUS BODY`. End of input
//! (Ctrl-D) leaves the run waiting, as when `--event`s run out.

use std::io::{BufRead, Read as _, Write as _};

use studioflow::{
    Engine, Event, Outcome, PausedRun, Run, RunOptions, Script, TranscriptEntry, Wait, Waiting,
    TRANSCRIPT_KEEP_FIRST, TRANSCRIPT_KEEP_LAST,
};

use super::http;
use super::show::{describe_wait, printable, seconds, transcript_line};

/// The longest line read from the person; the rest of a longer one is skipped.
const MAX_LINE_BYTES: usize = 4096;

/// The conversation so far: every part's transcript, bounded as one run's.
#[derive(Default)]
struct Heard {
    head: Vec<TranscriptEntry>,
    tail: std::collections::VecDeque<TranscriptEntry>,
    omitted: u64,
}

impl Heard {
    /// Prints a part's transcript and keeps it.
    fn take(&mut self, run: &mut Run) {
        self.omitted += run.transcript_omitted;
        for entry in std::mem::take(&mut run.transcript) {
            outln!("{}", transcript_line(&entry));
            if self.head.len() < TRANSCRIPT_KEEP_FIRST {
                self.head.push(entry);
            } else {
                if self.tail.len() == TRANSCRIPT_KEEP_LAST {
                    self.tail.pop_front();
                    self.omitted += 1;
                }
                self.tail.push_back(entry);
            }
        }
    }

    /// The last part with the whole conversation in it.
    fn into_run(self, mut run: Run) -> Run {
        let mut entries = self.head;
        entries.extend(self.tail);
        run.transcript = entries;
        run.transcript_omitted = self.omitted;
        run
    }
}

/// Plays the contact with the person at the terminal, from the start or
/// from `paused`; returns the run as it ended (waiting when the input
/// ended first), or why it cannot go on.
pub(super) fn converse(
    engine: &Engine,
    script: &Script,
    (options, paused): (RunOptions, Option<PausedRun>),
    allow_http: bool,
    input: &mut dyn BufRead,
) -> Result<Run, String> {
    let mut heard = Heard::default();
    let (options, mut last, mut paused) = match paused {
        None => {
            let mut run = engine.run(script, options.clone());
            heard.take(&mut run);
            match run.paused.take() {
                Some(paused) if run.outcome == Outcome::Waiting => (options, Some(run), *paused),
                _ => return Ok(heard.into_run(run)),
            }
        }
        Some(paused) => {
            let waiting = paused.waiting();
            outln!(
                "resuming: {} waits for {}",
                waiting.action,
                describe_wait(waiting)
            );
            (options, None, paused)
        }
    };
    // The resumed parts take their variables from the paused run.
    let mut watch = options;
    watch.variables = Default::default();
    loop {
        let Some(event) = ask(paused.waiting(), allow_http, input) else {
            return Ok(heard.into_run(still_waiting(engine, script, last, paused, &watch)));
        };
        match engine.resume_with(script, paused, event, watch.clone()) {
            Ok(mut run) => {
                heard.take(&mut run);
                match run.paused.take() {
                    Some(next) if run.outcome == Outcome::Waiting => {
                        last = Some(run);
                        paused = *next;
                    }
                    _ => return Ok(heard.into_run(run)),
                }
            }
            Err(e) => {
                let message = e.to_string();
                match e.into_paused() {
                    // Say so and ask again: nothing ran.
                    Some(again) => {
                        outln!("  {}", printable(&message));
                        paused = again;
                    }
                    None => {
                        return Err(message);
                    }
                }
            }
        }
    }
}

/// The run as it waits when the person stopped answering.
fn still_waiting(
    engine: &Engine,
    script: &Script,
    last: Option<Run>,
    paused: PausedRun,
    options: &RunOptions,
) -> Run {
    match last {
        Some(mut run) => {
            run.paused = Some(Box::new(paused));
            run
        }
        // Resumed and never answered: the paused run as it was.
        None => match engine.simulate_paused(script, paused, options.clone(), [], None) {
            Ok(simulation) => simulation.run,
            Err(e) => *e.run,
        },
    }
}

/// Asks the person for the event at `waiting`; `None` at the end of input.
fn ask(waiting: &Waiting, allow_http: bool, input: &mut dyn BufRead) -> Option<Event> {
    let at = seconds(waiting.at);
    loop {
        let question = match &waiting.wait {
            Wait::Time { seconds: left } if waiting.queued.is_none() => {
                // Nobody to wait for: the time passes by itself.
                return Some(Event::Wait(*left));
            }
            Wait::Time { seconds: left } => format!(
                "{at:>9}  on hold ({}): Enter lets {} s pass, `a AGENT` an agent answers, `h` hangs up> ",
                describe_wait(waiting),
                studioflow::Value::Number(*left).to_text()
            ),
            Wait::Http { request } if allow_http => {
                outln!(
                    "{at:>9}  calling {} {} ...",
                    printable(&request.method),
                    printable(&request.url)
                );
                let event = http::call(request);
                match &event {
                    Event::Reply(reply) => outln!("{at:>9}  the reply: {}", reply.status),
                    other => outln!("{at:>9}  {}", printable(&other.to_string())),
                }
                return Some(event);
            }
            Wait::Http { request } => format!(
                "{at:>9}  {} {} waits for its reply: type STATUS BODY (e.g. 200 {{\"ok\":true}}), `h` hangs up> ",
                printable(&request.method),
                printable(&request.url)
            ),
            Wait::Digits { .. } => format!(
                "{at:>9}  keys (0-9 * #; Enter alone: timeout; `h` hangs up; `a AGENT` an agent answers)> "
            ),
            _ => format!("{at:>9}  waiting: `a AGENT` an agent answers, `h` hangs up> "),
        };
        {
            let mut out = std::io::stdout().lock();
            let _ = write!(out, "{question}");
            let _ = out.flush();
        }
        let Some(line) = read_line(input) else {
            // End of input: finish the prompt's line.
            outln!();
            return None;
        };
        match understand(waiting, line.trim()) {
            Ok(event) => return Some(event),
            Err(why) => outln!("  {why}"),
        }
    }
}

/// What the person's line means at this wait.
fn understand(waiting: &Waiting, line: &str) -> Result<Event, String> {
    if line.eq_ignore_ascii_case("h") {
        return Ok(Event::Hangup);
    }
    if let Some(agent) = line.strip_prefix("a ").or_else(|| line.strip_prefix("A ")) {
        return format!("answer:{}", agent.trim())
            .parse()
            .map_err(|e| format!("{e}"));
    }
    match &waiting.wait {
        Wait::Digits { .. } if line.is_empty() => Ok(Event::Timeout),
        Wait::Digits { .. } => format!("digits:{line}").parse().map_err(|_| {
            format!(
                "not understood: {:?}: type keys (0-9, * and #), h, `a AGENT`, or Enter alone for a timeout",
                printable(line)
            )
        }),
        Wait::Time { seconds } if line.is_empty() => Ok(Event::Wait(*seconds)),
        Wait::Http { .. } => {
            let (status, body) = line.split_once(' ').unwrap_or((line, ""));
            format!("reply:{status}:{body}")
                .parse()
                .map_err(|_| "not understood: type STATUS BODY, e.g. 200 {\"ok\":true}, or h".into())
        }
        _ => Err(format!("not understood: {:?}", printable(line))),
    }
}

/// One line of input, at most [`MAX_LINE_BYTES`] (the rest of a longer
/// line is skipped); `None` at the end of input.
fn read_line(input: &mut dyn BufRead) -> Option<String> {
    let mut line = Vec::new();
    let read = (&mut *input)
        .take(MAX_LINE_BYTES as u64)
        .read_until(b'\n', &mut line)
        .ok()?;
    if read == 0 {
        return None;
    }
    if line.last() != Some(&b'\n') && line.len() == MAX_LINE_BYTES {
        // Skip to the end of the long line, a bounded piece at a time.
        let mut rest = Vec::new();
        loop {
            rest.clear();
            match (&mut *input)
                .take(MAX_LINE_BYTES as u64)
                .read_until(b'\n', &mut rest)
            {
                Ok(0) | Err(_) => break,
                Ok(_) if rest.last() == Some(&b'\n') => break,
                Ok(_) => {}
            }
        }
    }
    Some(String::from_utf8_lossy(&line).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn waiting(wait: Wait) -> Waiting {
        let engine = Engine::new();
        let script = engine
            .compile(
                "start: Begin { Default -> w }\nw: Wait { Seconds = 1 Default -> done }\ndone: End",
                "w.script",
            )
            .unwrap();
        let mut w = engine.run(&script, RunOptions::default()).waiting.unwrap();
        w.wait = wait;
        *w
    }

    #[test]
    fn lines_mean_events_at_each_wait() {
        let digits = waiting(Wait::Digits {
            max_digits: 1,
            terminator: "#".into(),
            entered: String::new(),
            timeout: 5.0,
        });
        assert_eq!(understand(&digits, ""), Ok(Event::Timeout));
        assert_eq!(understand(&digits, "12#"), Ok(Event::Digits("12#".into())));
        assert_eq!(understand(&digits, "h"), Ok(Event::Hangup));
        assert_eq!(
            understand(&digits, "a maria"),
            Ok(Event::Answer("maria".into()))
        );
        assert!(understand(&digits, "12x").is_err());
        let http = waiting(Wait::Http {
            request: studioflow::HttpRequest::new("GET", "https://crm.example/x"),
        });
        let Ok(Event::Reply(reply)) = understand(&http, "404 {\"error\": 1}") else {
            panic!()
        };
        assert_eq!((reply.status, reply.body.as_str()), (404, "{\"error\": 1}"));
        assert!(understand(&http, "").is_err());
        let hold = waiting(Wait::Time { seconds: 30.0 });
        assert_eq!(understand(&hold, ""), Ok(Event::Wait(30.0)));
        assert!(understand(&waiting(Wait::Event), "").is_err());
    }

    #[test]
    fn a_long_line_is_cut_and_the_rest_skipped() {
        let mut text = "1".repeat(MAX_LINE_BYTES * 3);
        text.push_str("\nh\n");
        let mut input = std::io::Cursor::new(text.into_bytes());
        assert_eq!(read_line(&mut input).unwrap().len(), MAX_LINE_BYTES);
        assert_eq!(read_line(&mut input).unwrap(), "h\n");
        assert_eq!(read_line(&mut input), None);
    }
}
