//! Regression tests from fuzzing (`fuzz/`, target `expression`; see docs/fuzzing.md).
//!
//! Parsing, evaluating, listing the `$json` paths of and dropping a template must never panic
//! or overflow the stack, however the input nests. The crashes the fuzzer found were stack
//! overflows on deep nesting; the parser now refuses expressions nested deeper than its limit.

use noderun_expression::{Resolvable, Scope, Template};
use serde_json::{Map, Value, json};

/// Everything the `expression` fuzz target does with one input, minus its assertions.
fn exercise(source: &str) {
    let json: Map<String, Value> = json!({"a": {"b": [1, "x", null]}, "token": "t"})
        .as_object()
        .cloned()
        .unwrap_or_default();
    let scope = Scope {
        json: Some(&json),
        ..Scope::default()
    };
    if let Ok(template) = Template::parse(source) {
        let _ = template.json_paths();
        let _ = template.evaluate(&scope);
        let _ = template.evaluate(&Scope::default());
    }
    if let Ok(r) = Resolvable::new(&json!({ "p": source })) {
        let _ = r.resolve_dropping_undefined(&scope);
    }
}

/// Far deeper than any thread's stack would allow without the parser's nesting limit (the depths
/// that overflowed a 2 MiB thread in a release build were 1,000–6,000; see docs/fuzzing.md).
const DEEP: usize = 100_000;

// Depths that real expressions reach, and more: these must keep working after a depth limit.

#[test]
fn moderate_nesting_still_parses_and_evaluates() {
    let parens = format!("={{{{ {}$json.token{} }}}}", "(".repeat(32), ")".repeat(32));
    let t = Template::parse(&parens).expect("32 parentheses parse");
    assert_eq!(t.evaluate(&Scope::default()).unwrap(), None);

    let arrays = format!("={{{{ {}1{} }}}}", "[".repeat(32), "]".repeat(32));
    let t = Template::parse(&arrays).expect("32 nested arrays parse");
    let mut v = t.evaluate(&Scope::default()).unwrap().unwrap();
    for _ in 0..32 {
        v = v.as_array().expect("nested array")[0].clone();
    }
    assert_eq!(v, json!(1));

    let sum = format!("={{{{ 0{} }}}}", " + 1".repeat(100));
    let t = Template::parse(&sum).expect("a 100-term sum parses");
    assert_eq!(t.evaluate(&Scope::default()).unwrap(), Some(json!(100)));

    let concat = format!("={{{{ ''{} }}}}", " + 'ab'".repeat(100));
    let t = Template::parse(&concat).expect("a 100-term concatenation parses");
    assert_eq!(
        t.evaluate(&Scope::default()).unwrap(),
        Some(json!("ab".repeat(100)))
    );

    let path = format!("={{{{ $json{} }}}}", ".a".repeat(100));
    let t = Template::parse(&path).expect("a 100-step path parses");
    assert_eq!(t.json_paths(), vec![vec!["a"; 100].join(".")]);

    let negations = format!("={{{{ {}true }}}}", "!".repeat(64));
    let t = Template::parse(&negations).expect("64 negations parse");
    assert_eq!(t.evaluate(&Scope::default()).unwrap(), Some(json!(true)));
}

#[test]
fn seed_expressions_do_not_panic() {
    for source in [
        "={{ $json.a.b }}",
        "=Bearer {{ $json.token }}",
        "={{ $credentials.accessToken ? 'Bearer ' + $credentials.accessToken : undefined }}",
        "={{ ($parameter.additionalFields.mode || 'json') === 'json' ? $value : undefined }}",
        "={{ typeof $value === 'string' ? JSON.parse($value) : $value }}",
        "=/auth/login/{{ encodeURIComponent($parameter.provider) }}",
        "={{ {a: {b: '}}'}} }}",
        "={{ }}",
        "={{",
        "=}}{{",
        "={{ '\\",
        "={{ `${x}` }}",
        "={{ 1e999 * -1 }}",
        "={{ 0 % 0 }}",
        "={{ 'a'.split('') }}",
        "={{ $json[$json] }}",
        "={{ JSON.parse('[[[[[[[[[[1]]]]]]]]]]') }}",
    ] {
        exercise(source);
    }
}

// Crashes found by fuzzing (stack overflows), fixed by the parser's nesting limit.

#[test]
fn deeply_nested_parentheses() {
    exercise(&format!(
        "={{{{ {}1{} }}}}",
        "(".repeat(DEEP),
        ")".repeat(DEEP)
    ));
}

/// The input of `fuzz/artifacts/expression/crash-c0be3e7dc7770166994017251d6cb3e12cb82943`
/// (found by the fuzzer, run 3 in docs/fuzzing.md), decoded: the bytes `ff 08 5b` then `={{ `, `(`,
/// `$son.count`, `)`, ` }}` separated by `ff` stand for 23,304 nested parentheses.
#[test]
fn fuzzer_crash_c0be3e7d() {
    let n = 0x5b08;
    exercise(&format!(
        "={{{{ {}$son.count{} }}}}",
        "(".repeat(n),
        ")".repeat(n)
    ));
}

#[test]
fn deeply_nested_brackets() {
    exercise(&format!(
        "={{{{ {}{} }}}}",
        "[".repeat(DEEP),
        "]".repeat(DEEP)
    ));
}

#[test]
fn deeply_nested_objects() {
    exercise(&format!(
        "={{{{ {}1{} }}}}",
        "{a:".repeat(DEEP),
        "}".repeat(DEEP)
    ));
}

#[test]
fn deeply_nested_index_expressions() {
    exercise(&format!(
        "={{{{ {}0{} }}}}",
        "$json[".repeat(DEEP),
        "]".repeat(DEEP)
    ));
}

#[test]
fn long_run_of_prefix_operators() {
    exercise(&format!("={{{{ {}1 }}}}", "!".repeat(DEEP)));
    exercise(&format!("={{{{ {}1 }}}}", "-".repeat(DEEP)));
    exercise(&format!("={{{{ {}1 }}}}", "typeof ".repeat(DEEP)));
}

#[test]
fn long_chain_of_conditionals() {
    exercise(&format!("={{{{ {}1 }}}}", "1 ? 1 : ".repeat(DEEP)));
}

#[test]
fn long_flat_chains() {
    exercise(&format!("={{{{ 1{} }}}}", " + 1".repeat(DEEP)));
    exercise(&format!("={{{{ 1{} }}}}", " && 1".repeat(DEEP)));
    exercise(&format!("={{{{ null{} }}}}", " ?? null".repeat(DEEP)));
    exercise(&format!("={{{{ $json{} }}}}", ".a".repeat(DEEP)));
    exercise(&format!("={{{{ $json{} }}}}", "[0]".repeat(DEEP)));
    exercise(&format!("={{{{ 'x'{} }}}}", ".trim()".repeat(DEEP)));
}

// The deepest expressions the parser accepts must also evaluate within a 2 MiB stack (the size
// of test threads and tokio's worker threads), in every build profile.

/// The deepest accepted instance of `make(n)` (acceptance falls as `n` grows).
fn deepest_accepted(make: impl Fn(usize) -> String) -> (usize, String) {
    let (mut lo, mut hi) = (1, 1024);
    assert!(Template::parse(&make(lo)).is_ok(), "{}", make(lo));
    while hi - lo > 1 {
        let mid = (lo + hi) / 2;
        if Template::parse(&make(mid)).is_ok() {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (lo, make(lo))
}

/// Parses, evaluates and drops the deepest accepted `make(n)` on a 2 MiB thread.
fn deepest_in_two_mib(make: impl Fn(usize) -> String + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || {
            let (_, source) = deepest_accepted(make);
            exercise(&source);
        })
        .expect("a thread")
        .join()
        .expect("no panic");
}

#[test]
fn deepest_accepted_nesting_evaluates_in_two_mib() {
    deepest_in_two_mib(|n| format!("={{{{ {}1{} }}}}", "(".repeat(n), ")".repeat(n)));
    deepest_in_two_mib(|n| format!("={{{{ {}1{} }}}}", "[".repeat(n), "]".repeat(n)));
    deepest_in_two_mib(|n| format!("={{{{ {}1{} }}}}", "{a:".repeat(n), "}".repeat(n)));
    deepest_in_two_mib(|n| format!("={{{{ {}0{} }}}}", "$json[".repeat(n), "]".repeat(n)));
    deepest_in_two_mib(|n| format!("={{{{ {}1 }}}}", "!".repeat(n)));
    deepest_in_two_mib(|n| format!("={{{{ {}1 }}}}", "1 ? 1 : ".repeat(n)));
    deepest_in_two_mib(|n| format!("={{{{ 1{} }}}}", " && 1".repeat(n)));
    deepest_in_two_mib(|n| format!("={{{{ null{} }}}}", " ?? null".repeat(n)));
    deepest_in_two_mib(|n| format!("={{{{ $json{} }}}}", ".a".repeat(n)));
}

#[test]
fn deepest_accepted_arithmetic_evaluates_in_two_mib() {
    deepest_in_two_mib(|n| format!("={{{{ 1{} }}}}", " + 1".repeat(n)));
    deepest_in_two_mib(|n| format!("={{{{ {}1 }}}}", "-".repeat(n)));
    deepest_in_two_mib(|n| format!("={{{{ 'x'{} }}}}", ".trim()".repeat(n)));
    deepest_in_two_mib(|n| format!("={{{{ {}1 }}}}", "typeof ".repeat(n)));
}
