//! The generated ~1 MB script the `parse_check` (studioflow.rs) and `lsp`
//! (lsp.rs) benchmarks read.

/// A ~1 MB script using every built-in core action type: one Begin, then
/// blocks of Assign (templates), If, Case, Loop and a Loop-body Assign,
/// chained by branches, and one End.
pub fn generated_script(target_bytes: usize) -> String {
    let mut s = String::with_capacity(target_bytes + 4096);
    s.push_str("// Generated for the parse_check benchmark.\n");
    s.push_str("script \"Generated\" type Phone\n\n");
    s.push_str("start: Begin {\n  Default -> init0\n}\n\n");
    s.push_str("init0: Assign { Variable = Name  Value = \"caller\"  Default -> init1 }\n");
    s.push_str("init1: Assign { Variable = count  Value = 2  Default -> init2 }\n");
    s.push_str("init2: Assign { Variable = Tier  Value = \"gold\"  Default -> a0 }\n\n");
    let mut i = 0usize;
    loop {
        let last = s.len() + 700 >= target_bytes;
        let next = if last {
            "done".to_string()
        } else {
            format!("a{}", i + 1)
        };
        let g = i % 16;
        let n = i % 8;
        let m = i % 7;
        s.push_str(&format!(
            "// block {i}\n\
             a{i}: Assign \"Greeting {i}\" {{\n  Variable = Greeting{g}\n  \
             Value = \"Hello {{Name}}, you have {{count + {i}}} items ({{upper(Tier)}} tier), ref {{{{#{i}}}}}\"\n  \
             Default -> b{i}\n}}\n\n\
             b{i}: If \"Busy {i}?\" {{\n  Expression = count > {m} and (Tier = \"gold\" or len(Name) >= 3)\n  \
             True -> c{i}\n  False -> d{i}\n}}\n\n\
             c{i}: Case {{\n  Value = lower(Tier)\n  Case \"gold\" -> d{i}\n  Case \"silver\" -> d{i}\n  \
             Case \"bronze\" -> e{i}\n  Default -> d{i}\n}}\n\n\
             d{i}: Loop {{\n  Repeat = 2\n  CounterName = n{n}\n  Repeat -> e{i}\n  Finished -> {next}\n}}\n\n\
             e{i}: Assign \"Count {i}\" {{\n  Variable = count\n  Value = count * 2 + n{n} - {m}\n  \
             Default -> d{i}\n}}\n\n"
        ));
        if last {
            break;
        }
        i += 1;
    }
    s.push_str("done: End\n");
    s
}

/// A denser ~1 MB script (issue 23, item 2): one action a line, each a mix
/// of templates, arithmetic and boolean expressions, as in
/// ```text
/// a17: Assign "step 17" { Variable = v1 Value = "x {v1 + 17} and {upper(name)} {{lit}}" Default -> i17 }
/// i17: If { Expression = len(v1) > 3 and (count + 17) * 2 >= 7 or flag True -> c17 False -> c17 }
/// c17: Case { Value = lower(name) Case "a" -> a18 Case "b" -> a18 Default -> a18 }
/// ```
/// chained from one Begin to one End. `name`, `count`, `flag` and the
/// sixteen variables `v0`..`v15` (block `i` uses `v{i % 16}`) are inputs
/// of the header, so nothing is read before it is set.
// lsp.rs includes this file for `generated_script` only.
#[allow(dead_code)]
pub fn dense_script(target_bytes: usize) -> String {
    let mut s = String::with_capacity(target_bytes + 4096);
    s.push_str("script \"Dense\" type Phone inputs name, count, flag");
    for v in 0..16 {
        s.push_str(&format!(", v{v}"));
    }
    s.push_str("\nstart: Begin { Default -> a0 }\n");
    let mut i = 0usize;
    loop {
        let last = s.len() + 600 >= target_bytes;
        let next = if last {
            "done".to_string()
        } else {
            format!("a{}", i + 1)
        };
        let v = i % 16;
        s.push_str(&format!(
            "a{i}: Assign \"step {i}\" {{ Variable = v{v} Value = \"x {{v{v} + {i}}} and {{upper(name)}} {{{{lit}}}}\" Default -> i{i} }}\n\
             i{i}: If {{ Expression = len(v{v}) > 3 and (count + {i}) * 2 >= 7 or flag True -> c{i} False -> c{i} }}\n\
             c{i}: Case {{ Value = lower(name) Case \"a\" -> {next} Case \"b\" -> {next} Default -> {next} }}\n"
        ));
        if last {
            break;
        }
        i += 1;
    }
    s.push_str("done: End\n");
    s
}
