//! n8n expressions on arbitrary text: `Template::parse`, and when it parses, `evaluate`,
//! `json_paths` and `Resolvable` against a fixed scope whose `$json` has nested objects,
//! arrays, numbers, strings, booleans and nulls.
//!
//! Must never panic, hang or overflow the stack. Also checked: a template with no `{{` is
//! plain text and evaluates to itself (without the leading `=`), and evaluation is repeatable.
//!
//! Nesting amplifier: random mutation rarely builds thousands of nested brackets, so an input
//! starting with the byte 0xFF (never valid UTF-8, so no text input is lost) is read as
//! `0xFF, count (u16 LE), head, 0xFF, prefix, 0xFF, middle, 0xFF, suffix, 0xFF, tail` and
//! stands for the text `head + prefix × count + middle + suffix × count + tail`, e.g.
//! `={{ ((((…1)))) }}` or `={{ 1 + 1 + 1 … }}`. The repeated part is kept under 100 kB: larger
//! inputs only time the sanitizer (1 MB of template takes 70 ms uninstrumented, 14 s here).
//! Everything else is the text itself.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use noderun_expression::{Resolvable, Scope, Template};
use serde_json::{Map, Value, json};

struct Fixture {
    json: Map<String, Value>,
    parameter: Map<String, Value>,
    value: Value,
    credentials: Map<String, Value>,
    self_value: Value,
    response: Value,
}

fn object(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => unreachable!("fixtures are objects"),
    }
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| Fixture {
        json: object(json!({
            "a": {"b": {"c": "deep", "n": 42, "list": [1, 2.5, -3, null, "x"]}},
            "token": "s3cr3t-token",
            "refresh_token": "r-123",
            "email": "name@example.com",
            "count": 3,
            "ratio": 0.125,
            "big": 1.0e300,
            "neg": -17,
            "zero": 0,
            "empty": "",
            "spaces": "  padded  ",
            "unicode": "héllo wörld ✓ 😀",
            "flag": true,
            "off": false,
            "nothing": null,
            "items": [{"id": 1, "name": "one"}, {"id": 2, "name": "two", "tags": ["a", "b"]}],
            "matrix": [[1, 2], [3, [4, [5]]]],
            "json_text": "{\"k\": [1, {\"x\": null}]}",
            "key with spaces": {"inner.dot": "v"},
            "": "empty key"
        })),
        parameter: object(json!({
            "resource": "auth",
            "operation": "refreshToken",
            "refreshToken": "={{ $json.refresh_token }}",
            "additionalFields": {"mode": "cookie"},
            "splitIntoItems": true
        })),
        value: json!("the-value"),
        credentials: object(json!({"url": "http://127.0.0.1:9", "accessToken": "tok"})),
        self_value: json!({"mode": "session", "otp": "123456"}),
        response: json!({"statusCode": 200, "body": {"data": [{"name": "github"}]}, "headers": {}}),
    })
}

/// The text an input stands for (see the module's documentation).
fn source(data: &[u8]) -> Option<String> {
    let Some((&0xFF, rest)) = data.split_first() else {
        return std::str::from_utf8(data).ok().map(str::to_string);
    };
    let (count, rest) = rest.split_at_checked(2)?;
    let count = usize::from(u16::from_le_bytes([count[0], count[1]]));
    let mut parts = rest.splitn(5, |b| *b == 0xFF);
    let mut part = || std::str::from_utf8(parts.next().unwrap_or_default()).ok();
    let (head, prefix, middle, suffix, tail) = (part()?, part()?, part()?, part()?, part()?);
    let count = count.min(100_000 / (prefix.len() + suffix.len()).max(1));
    Some(head.to_string() + &prefix.repeat(count) + middle + &suffix.repeat(count) + tail)
}

fuzz_target!(|data: &[u8]| {
    let Some(source) = source(data) else {
        return;
    };
    let source = source.as_str();
    let f = fixture();
    let scopes = [
        Scope {
            json: Some(&f.json),
            parameter: Some(&f.parameter),
            value: Some(&f.value),
            credentials: Some(&f.credentials),
            item_index: 7,
            self_value: Some(&f.self_value),
            parent: Some(&f.self_value),
            response: Some(&f.response),
            response_item: Some(&f.value),
        },
        // Nothing set: `$json` is `{}`, every other variable `undefined`.
        Scope::default(),
    ];

    let Ok(template) = Template::parse(source) else {
        return;
    };
    let _ = template.json_paths();
    for scope in &scopes {
        let first = template.evaluate(scope);
        assert_eq!(first, template.evaluate(scope), "evaluation is repeatable");
        if !source.contains("{{") {
            let body = source.strip_prefix('=').unwrap_or(source);
            assert_eq!(
                first,
                Ok(Some(Value::String(body.to_string()))),
                "plain text"
            );
        }
    }

    // The same text as a parameter value, inside an object and an array (as `Plan` uses it).
    let expression = if source.starts_with('=') {
        source.to_string()
    } else {
        format!("={source}")
    };
    let value = json!({"p": expression, "list": [1, expression, {"q": expression}]});
    if let Ok(resolvable) = Resolvable::new(&value) {
        for scope in &scopes {
            let _ = resolvable.resolve_dropping_undefined(scope);
        }
    }
});
