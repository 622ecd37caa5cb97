//! What bounds a run besides its step budget: the size of every value
//! (measured once, when it is built or stored), the memory its variables
//! hold, the length of error texts, and a wall-clock deadline.
//!
//! Measuring a value both checks it against the size limits and estimates
//! the bytes it holds, in one walk that stops at the first excess, so its
//! cost is bounded by the limits, never by the value's logical size.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::cancel::CancelToken;
use super::clock::Clock;
use super::error::RuntimeError;
use super::Value;

/// The longest `_ERR` (and run error message), in bytes. Longer texts are
/// cut at a character boundary and end with [`TRUNCATION_MARKER`].
pub const MAX_ERROR_TEXT_BYTES: usize = 4096;

/// Ends an error text that was cut to [`MAX_ERROR_TEXT_BYTES`].
pub const TRUNCATION_MARKER: &str = " ... [truncated]";

/// Size limits a value may reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SizeLimits {
    pub max_string_bytes: usize,
    pub max_list_len: usize,
    pub max_value_depth: usize,
}

/// Estimated bookkeeping bytes of a shared string, list or object besides
/// its contents (reference counts, length, capacity slack).
const SHARED_OVERHEAD: usize = 32;
/// Estimated bytes an object member costs besides its value and key text:
/// the shared key pointer and the hash index entry.
const MEMBER_OVERHEAD: usize = 24;
/// Bytes a security user is counted as (its fields are shared with the model).
const SECURITY_USER_BYTES: usize = 128;

impl SizeLimits {
    /// Checks `v` against the limits and returns the bytes it is estimated
    /// to hold beyond its own slot: conservative (shared parts are counted
    /// at every place they appear) and cheap (one walk, bounded by the
    /// limits). A string's length, a list's or object's total element count,
    /// nesting depth and text size (every string and key inside) are checked.
    pub fn measure(&self, v: &Value) -> Result<usize, RuntimeError> {
        match v {
            Value::Null | Value::Bool(_) | Value::Number(_) | Value::DateTime(_) => Ok(0),
            Value::String(s) => {
                if s.len() > self.max_string_bytes {
                    return Err(RuntimeError::TooLarge {
                        what: "a string",
                        size: s.len(),
                        limit: self.max_string_bytes,
                    });
                }
                Ok(SHARED_OVERHEAD + s.len())
            }
            Value::SecurityUser(_) => Ok(SECURITY_USER_BYTES),
            Value::List(_) | Value::Object(_) => {
                let mut walk = Walk {
                    limits: self,
                    elements: self.max_list_len,
                    text: self.max_string_bytes,
                    bytes: 0,
                };
                walk.visit(v, 1)?;
                Ok(walk.bytes)
            }
        }
    }
}

/// The state of one [`SizeLimits::measure`] walk: what the value may still hold.
struct Walk<'a> {
    limits: &'a SizeLimits,
    elements: usize,
    text: usize,
    bytes: usize,
}

impl Walk<'_> {
    fn visit(&mut self, v: &Value, depth: usize) -> Result<(), RuntimeError> {
        let count = match v {
            Value::List(items) => items.len(),
            Value::Object(map) => map.len(),
            Value::String(s) => {
                self.take_text(s.len())?;
                self.bytes += SHARED_OVERHEAD + s.len();
                return Ok(());
            }
            Value::SecurityUser(_) => {
                self.bytes += SECURITY_USER_BYTES;
                return Ok(());
            }
            _ => return Ok(()),
        };
        // Checked before descending, so the walk itself recurses at most
        // `max_value_depth` levels whatever the value's real depth.
        if depth > self.limits.max_value_depth {
            return Err(RuntimeError::TooDeep {
                limit: self.limits.max_value_depth,
            });
        }
        if count > self.elements {
            return Err(RuntimeError::TooLarge {
                what: "a list",
                size: self.limits.max_list_len - self.elements + count,
                limit: self.limits.max_list_len,
            });
        }
        self.elements -= count;
        self.bytes += SHARED_OVERHEAD + count * std::mem::size_of::<Value>();
        match v {
            Value::List(items) => items.iter().try_for_each(|i| self.element(i, depth + 1)),
            Value::Object(map) => map.iter().try_for_each(|(k, i)| {
                self.take_text(k.len())?;
                self.bytes += MEMBER_OVERHEAD + SHARED_OVERHEAD + k.len();
                self.element(i, depth + 1)
            }),
            _ => Ok(()),
        }
    }

    /// [`Walk::visit`] of an element, with the leaves (most elements: text,
    /// numbers) counted in place instead of by a call.
    #[inline(always)]
    fn element(&mut self, v: &Value, depth: usize) -> Result<(), RuntimeError> {
        match v {
            Value::Null | Value::Bool(_) | Value::Number(_) | Value::DateTime(_) => Ok(()),
            Value::String(s) => {
                self.take_text(s.len())?;
                self.bytes += SHARED_OVERHEAD + s.len();
                Ok(())
            }
            _ => self.visit(v, depth),
        }
    }

    fn take_text(&mut self, n: usize) -> Result<(), RuntimeError> {
        if n > self.text {
            return Err(RuntimeError::TooLarge {
                what: "the text inside a list",
                size: self.limits.max_string_bytes - self.text + n,
                limit: self.limits.max_string_bytes,
            });
        }
        self.text -= n;
        Ok(())
    }
}

/// Drops a value without recursion, however deeply it nests. A host can
/// hand the engine a value nested far deeper than any limit; the default
/// drop of such a value recurses once per level and would overflow the stack.
pub(crate) fn drop_iteratively(value: Value) {
    let mut pending = vec![value];
    while let Some(v) = pending.pop() {
        match v {
            // Only the last owner takes the children apart; other owners
            // just release their reference.
            Value::List(items) => {
                if let Ok(items) = Arc::try_unwrap(items) {
                    pending.extend(items);
                }
            }
            Value::Object(map) => {
                if let Ok(map) = Arc::try_unwrap(map) {
                    pending.extend(map.into_values());
                }
            }
            _ => {}
        }
    }
}

/// The bytes a run's variables are estimated to hold, against its budget.
#[derive(Debug)]
pub(crate) struct MemoryMeter {
    pub used: usize,
    pub budget: usize,
}

impl MemoryMeter {
    /// Accounts replacing a value of `old` bytes by one of `new` bytes;
    /// `Err` (and no change) when that would pass the budget.
    pub fn replace(&mut self, old: usize, new: usize) -> Result<(), MemoryExceeded> {
        let used = self.used.saturating_sub(old).saturating_add(new);
        if used > self.budget {
            return Err(MemoryExceeded {
                budget: self.budget,
                wanted: used,
            });
        }
        self.used = used;
        Ok(())
    }

    /// Accounts `bytes` no longer held (a frame's variables when it returns).
    pub fn release(&mut self, bytes: usize) {
        self.used = self.used.saturating_sub(bytes);
    }
}

/// A store that would have passed the run's memory budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MemoryExceeded {
    pub budget: usize,
    pub wanted: usize,
}

impl fmt::Display for MemoryExceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "memory budget of {} exceeded: the variables would hold an estimated {} bytes",
            ByteSize(self.budget),
            self.wanted
        )
    }
}

/// A byte count as people write it: `64 MiB`, `1.5 KiB`, `100 bytes`.
pub(crate) struct ByteSize(pub usize);

impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [(&str, usize); 3] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)];
        for (unit, size) in UNITS {
            if self.0 >= size {
                let whole = self.0 / size;
                return if self.0 % size == 0 {
                    write!(f, "{whole} {unit} ({} bytes)", self.0)
                } else {
                    write!(
                        f,
                        "{:.1} {unit} ({} bytes)",
                        self.0 as f64 / size as f64,
                        self.0
                    )
                };
            }
        }
        write!(f, "{} bytes", self.0)
    }
}

/// A run's wall-clock deadline, read from the engine clock's monotonic source.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deadline {
    pub timeout: Duration,
    pub at: Duration,
}

/// Work units (see [`Pacer::charge`]) an expression may do between two
/// looks at the clock and the cancel token: a cheap call is one unit, every
/// 4 KiB a call reads or builds one more, so a few hundred cheap operations
/// or one call building 1 MiB read the clock once.
pub(crate) const EVAL_CHECK_UNITS: u32 = 256;

/// Bytes a function reads or builds that count one work unit.
pub(crate) const BYTES_PER_UNIT: usize = 4096;

/// The deadline and cancel token as expression evaluation meets them: one
/// per frame (or snippet), counting work in a cell so that an evaluator
/// borrowed immutably can still pace itself.
pub(crate) struct Pacer<'a> {
    clock: &'a dyn Clock,
    deadline: Option<Deadline>,
    cancel: Option<CancelToken>,
    work: std::cell::Cell<u32>,
}

impl<'a> Pacer<'a> {
    pub fn new(
        clock: &'a dyn Clock,
        deadline: Option<Deadline>,
        cancel: Option<CancelToken>,
    ) -> Self {
        Pacer {
            clock,
            deadline,
            cancel,
            work: std::cell::Cell::new(0),
        }
    }

    /// Counts `units` of work; every [`EVAL_CHECK_UNITS`] it looks at the
    /// cancel token and the clock.
    #[inline]
    pub fn charge(&self, units: usize) -> Result<(), RuntimeError> {
        let work = (self.work.get() as usize).saturating_add(units);
        if work < EVAL_CHECK_UNITS as usize {
            self.work.set(work as u32);
            return Ok(());
        }
        self.work.set(0);
        self.look()
    }

    #[cold]
    fn look(&self) -> Result<(), RuntimeError> {
        if self.cancel.as_ref().is_some_and(CancelToken::is_cancelled) {
            return Err(RuntimeError::Cancelled);
        }
        match self.deadline {
            Some(d) if self.clock.monotonic() >= d.at => {
                Err(RuntimeError::TimeLimit { timeout: d.timeout })
            }
            _ => Ok(()),
        }
    }
}

/// The text of an error display, cut to `max` bytes (at a character
/// boundary) with [`TRUNCATION_MARKER`], and condensed to one line. Writing
/// stops as soon as the cap is reached, so a huge error costs no more than
/// the cap to render.
pub(crate) fn bounded_one_line(error: &dyn fmt::Display, max: usize) -> String {
    struct Capped {
        out: String,
        cap: usize,
        truncated: bool,
    }
    impl fmt::Write for Capped {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            let room = self.cap.saturating_sub(self.out.len());
            if s.len() <= room {
                self.out.push_str(s);
                return Ok(());
            }
            let cut = crate::diagnostics::floor_char_boundary(s, room);
            self.out.push_str(&s[..cut]);
            self.truncated = true;
            Err(fmt::Error)
        }
    }
    let mut capped = Capped {
        out: String::new(),
        cap: max.saturating_sub(TRUNCATION_MARKER.len()),
        truncated: false,
    };
    let _ = fmt::write(&mut capped, format_args!("{error}"));
    let mut text = if capped.out.contains(['\n', '\r']) {
        capped.out.split_whitespace().collect::<Vec<_>>().join(" ")
    } else {
        capped.out
    };
    if capped.truncated {
        text.push_str(TRUNCATION_MARKER);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: SizeLimits = SizeLimits {
        max_string_bytes: 100,
        max_list_len: 10,
        max_value_depth: 3,
    };

    #[test]
    fn measures_and_checks_in_one_walk() {
        assert_eq!(LIMITS.measure(&Value::from(1.0)), Ok(0));
        assert_eq!(LIMITS.measure(&Value::from("abc")), Ok(SHARED_OVERHEAD + 3));
        assert!(LIMITS.measure(&Value::from("x".repeat(101))).is_err());
        let list = Value::from(vec![Value::from("ab"), Value::from(2.0)]);
        let size = LIMITS.measure(&list).unwrap();
        assert!(size >= SHARED_OVERHEAD + 2 * std::mem::size_of::<Value>() + 2);
        let deep = Value::from(vec![Value::from(vec![Value::from(vec![Value::from(
            vec![],
        )])])]);
        assert_eq!(
            LIMITS.measure(&deep),
            Err(RuntimeError::TooDeep { limit: 3 })
        );
    }

    #[test]
    fn error_text_is_cut_with_a_marker() {
        let long = "é".repeat(5000);
        let text = bounded_one_line(&long, 101);
        assert!(text.ends_with(TRUNCATION_MARKER), "{text}");
        assert!(text.len() <= 101);
        assert_eq!(bounded_one_line(&"a\n b", 100), "a b");
        assert_eq!(bounded_one_line(&"short", 100), "short");
    }

    #[test]
    fn deep_values_drop_without_recursion() {
        let mut v = Value::Null;
        for _ in 0..200_000 {
            v = Value::from(vec![v]);
        }
        drop_iteratively(v);
    }

    #[test]
    fn byte_sizes_read_well() {
        assert_eq!(ByteSize(64 << 20).to_string(), "64 MiB (67108864 bytes)");
        assert_eq!(ByteSize(10).to_string(), "10 bytes");
    }
}
