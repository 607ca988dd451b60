use serde_json::{Value, json};

use crate::{Evaluator, Resolvable, Scope, Template};

fn eval_with(src: &str, json: &Value) -> Result<Option<Value>, String> {
    let params = json!({"collection": "articles", "mode": "json"});
    let scope = Scope {
        json: json.as_object(),
        parameter: params.as_object(),
        value: Some(&json!("v")),
        item_index: 3,
        ..Scope::default()
    };
    Template::parse(src)
        .and_then(|t| t.evaluate(&scope))
        .map_err(|e| e.message)
}

fn eval(src: &str) -> Option<Value> {
    eval_with(
        src,
        &json!({"refresh_token": "rt", "a b": {"c": [1, 2]}, "n": 2, "s": " Hi ", "t": true}),
    )
    .unwrap_or_else(|e| panic!("{src}: {e}"))
}

#[test]
fn single_segment_keeps_the_type() {
    assert_eq!(eval("={{ $json.refresh_token }}"), Some(json!("rt")));
    assert_eq!(eval("={{ $json.n }}"), Some(json!(2)));
    assert_eq!(eval("={{$json.t}}"), Some(json!(true)));
    assert_eq!(eval("={{ $json[\"a b\"].c[1] }}"), Some(json!(2)));
    assert_eq!(eval("={{ $json['a b'] }}"), Some(json!({"c": [1, 2]})));
    assert_eq!(eval("={{ $json.missing }}"), None);
    assert_eq!(eval("={{ $itemIndex }}"), Some(json!(3)));
    assert_eq!(
        eval("={{ $parameter.collection }}"),
        Some(json!("articles"))
    );
    assert_eq!(eval("={{ $value }}"), Some(json!("v")));
}

#[test]
fn templates_build_strings() {
    assert_eq!(
        eval("=Bearer {{ $json.refresh_token }}"),
        Some(json!("Bearer rt"))
    );
    assert_eq!(
        eval("=/items/{{ $parameter.collection }}/{{ $json.n }}"),
        Some(json!("/items/articles/2"))
    );
    assert_eq!(eval("=plain"), Some(json!("plain")));
    assert_eq!(eval("=x{{ $json.missing }}y"), Some(json!("xy")));
    // As n8n: text around a segment makes a string of `String(value)` (objects as
    // `[object Object]`, arrays joined with commas).
    assert_eq!(
        eval("={{ $json['a b'] }} "),
        Some(json!("[object Object] "))
    );
    assert_eq!(eval("=x{{ $json['a b'].c }}"), Some(json!("x1,2")));
}

#[test]
fn operators_follow_javascript() {
    assert_eq!(eval("={{ $json.n + 1 }}"), Some(json!(3)));
    assert_eq!(eval("={{ 'a' + $json.n }}"), Some(json!("a2")));
    assert_eq!(eval("={{ $json.n / 4 }}"), Some(json!(0.5)));
    assert_eq!(eval("={{ $json.missing || 'd' }}"), Some(json!("d")));
    assert_eq!(eval("={{ $json.missing ?? 'd' }}"), Some(json!("d")));
    assert_eq!(eval("={{ '' ?? 'd' }}"), Some(json!("")));
    assert_eq!(
        eval("={{ $json.n === 2 ? 'two' : 'other' }}"),
        Some(json!("two"))
    );
    assert_eq!(eval("={{ $json.n == '2' }}"), Some(json!(true)));
    assert_eq!(eval("={{ $json.n === '2' }}"), Some(json!(false)));
    assert_eq!(eval("={{ !$json.t }}"), Some(json!(false)));
    assert_eq!(eval("={{ typeof $json.s }}"), Some(json!("string")));
    assert_eq!(
        eval("={{ typeof $json.missing === 'undefined' }}"),
        Some(json!(true))
    );
    assert_eq!(
        eval("={{ $json.n > 1 && $json.n <= 2 }}"),
        Some(json!(true))
    );
    assert_eq!(
        eval("={{ $parameter.mode === 'json' ? $value : undefined }}"),
        Some(json!("v"))
    );
    assert_eq!(
        eval("={{ $parameter.mode !== 'json' ? $value : undefined }}"),
        None
    );
}

#[test]
fn functions_and_methods() {
    assert_eq!(
        eval("={{ JSON.parse('{\"a\":1}') }}"),
        Some(json!({"a": 1}))
    );
    assert_eq!(
        eval("={{ JSON.stringify($json['a b']) }}"),
        Some(json!("{\"c\":[1,2]}"))
    );
    assert_eq!(
        eval("={{ $json.s.trim().toLowerCase() }}"),
        Some(json!("hi"))
    );
    assert_eq!(eval("={{ $json.refresh_token.length }}"), Some(json!(2)));
    assert_eq!(eval("={{ $json['a b'].c.join('-') }}"), Some(json!("1-2")));
    assert_eq!(eval("={{ String($json.n) }}"), Some(json!("2")));
    assert_eq!(
        eval("={{ encodeURIComponent('a b/ü') }}"),
        Some(json!("a%20b%2F%C3%BC"))
    );
    assert_eq!(
        eval("={{ JSON.parse($json['a b']) }}"),
        Some(json!({"c": [1, 2]}))
    );
    assert_eq!(eval("={{ [1, 'a'] }}"), Some(json!([1, "a"])));
    assert_eq!(
        eval("={{ { a: $json.n, 'b': 'x' } }}"),
        Some(json!({"a": 2, "b": "x"}))
    );
}

#[test]
fn errors_name_the_path_or_the_construct() {
    let err = |src: &str| eval_with(src, &json!({})).unwrap_err();
    assert_eq!(
        err("={{ $json.a.b }}"),
        "$json.a is undefined (cannot read \"b\")"
    );
    assert_eq!(
        err("={{ $json.x.map(a => a) }}"),
        "$json.x is undefined (cannot read \"map\")"
    );
    assert_eq!(
        err("={{ $node.foo.json }}"),
        "Referenced node doesn't exist"
    );
    assert!(err("={{ }}").starts_with("invalid syntax"));
    assert!(err("={{ 1 + }}").starts_with("invalid syntax"));
    assert_eq!(
        err("={{ $json.constructor }}"),
        "Expression contains invalid constructor function call"
    );
    assert_eq!(
        err("={{ $json['__proto__'] }}"),
        "Cannot access \"__proto__\" due to security concerns"
    );
    assert_eq!(
        err("={{ JSON.parse('{') }}"),
        "JSON.parse: EOF while parsing an object at line 1 column 1"
    );
}

#[test]
fn what_the_subset_does_not_cover_runs_in_the_engine() {
    assert_eq!(eval("={{ $json.n > 1 }}"), Some(json!(true)));
    assert_eq!(
        Template::parse("={{ $json.n }}").unwrap().evaluator(),
        Evaluator::Native
    );
    assert_eq!(
        Template::parse("={{ [1, 2].map(x => x * $json.n) }}")
            .unwrap()
            .evaluator(),
        Evaluator::Script
    );
    assert_eq!(
        eval("={{ [1, 2].map(x => x * $json.n) }}"),
        Some(json!([2, 4]))
    );
    assert_eq!(eval("={{ `${$json.n}!` }}"), Some(json!("2!")));
    assert_eq!(eval("={{ $json.s.trim().isEmpty() }}"), Some(json!(false)));
    // An inherited property is the engine's to answer, also from the subset.
    assert_eq!(
        eval_with("={{ $json.s.toUpperCase }}", &json!({"s": "x"})).unwrap_err(),
        "this is a function, please add ()"
    );
    // n8n leaves an unclosed segment running to the end.
    assert_eq!(eval("={{ $json.n "), Some(json!(2)));
}

#[test]
fn resolvable_parses_once_and_resolves_nested_values() {
    let value = json!({"a": "={{ $json.n }}", "b": ["x", "={{ $itemIndex }}"], "c": 1});
    let r = Resolvable::new(&value).unwrap();
    let item = json!({"n": 7});
    let scope = Scope {
        json: item.as_object(),
        item_index: 4,
        ..Scope::default()
    };
    let out = r
        .resolve(&scope, &mut |_, _, _| Ok(Some(Value::Null)))
        .unwrap();
    assert_eq!(out, Some(json!({"a": 7, "b": ["x", 4], "c": 1})));
    let dropping = Resolvable::new(&json!({"a": "={{ $json.missing }}", "b": 1})).unwrap();
    assert_eq!(
        dropping.resolve_dropping_undefined(&scope).unwrap(),
        Some(json!({"b": 1}))
    );
    assert_eq!(
        Resolvable::new(&json!({"x": "={{ $json. }}"}))
            .unwrap_err()
            .0,
        "x"
    );
}

#[test]
fn json_paths_explain_undefined() {
    let t = Template::parse("={{ $json.refresh_token }}").unwrap();
    assert_eq!(t.json_paths(), vec!["refresh_token".to_string()]);
    let t = Template::parse("={{ $json['a b'].c }}").unwrap();
    assert_eq!(t.json_paths(), vec!["a b.c".to_string()]);
}

#[test]
fn vendored_libraries_are_the_pinned_ones() {
    use sha2::Digest;
    let readme = include_str!("../js/vendor/README.md");
    for (file, bytes) in [
        ("acorn.js", &include_bytes!("../js/vendor/acorn.js")[..]),
        ("luxon.min.js", include_bytes!("../js/vendor/luxon.min.js")),
        ("jmespath.js", include_bytes!("../js/vendor/jmespath.js")),
        (
            "transliteration.min.js",
            include_bytes!("../js/vendor/transliteration.min.js"),
        ),
    ] {
        let hash: String = sha2::Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert!(
            readme.contains(&format!("| `{file}` |")) && readme.contains(&hash),
            "js/vendor/{file} is not the file js/vendor/README.md pins (sha256 {hash})"
        );
    }
}

/// A definition's follow-up reads a property of an object computed on the way
/// (`$response.body.data[0]`): the subset answers it.
#[test]
fn members_of_computed_objects_stay_in_the_subset() {
    let parameters = json!({"collection": "articles", "idFieldname": "id"});
    let response = json!({"statusCode": 200, "body": {"data": [{"id": 7, "title": "x"}]}});
    let scope = Scope {
        parameter: parameters.as_object(),
        response: Some(&response),
        ..Scope::default()
    };
    let url = "=/items/{{ encodeURIComponent($parameter.collection) }}/{{ encodeURIComponent($response.body.data[0][$parameter.idFieldname]) }}";
    for (source, expected) in [
        (url, json!("/items/articles/7")),
        ("={{ $response.body.data[0].id }}", json!(7)),
        ("={{ $response.body.data[0]['title'] }}", json!("x")),
    ] {
        let template = Template::parse(source).unwrap();
        assert_eq!(template.evaluator(), Evaluator::Native, "{source}");
        assert_eq!(template.evaluate(&scope), Ok(Some(expected)), "{source}");
    }
}

/// A definition's expression beyond the subset (an arrow function) sees `$response` and
/// `$request` in the engine as the subset does (a keyset's key lookup).
#[test]
fn the_engine_sees_response_and_request() {
    let response = json!([{"statusCode": 200, "body": {"data": [
        {"field": "title", "schema": {"is_primary_key": false}},
        {"field": "code", "schema": {"is_primary_key": true}}]}}]);
    let request = json!({"qs": {"groupBy": "status"}});
    let scope = Scope {
        response: Some(&response),
        request: Some(&request),
        ..Scope::default()
    };
    for (source, expected) in [
        (
            "={{ $response[0].body.data.find(f => f.schema.is_primary_key).field }}",
            json!("code"),
        ),
        (
            "={{ [$request.qs].map(q => q.groupBy)[0] }}",
            json!("status"),
        ),
    ] {
        let template = Template::parse(source).unwrap();
        assert_eq!(template.evaluator(), Evaluator::Script, "{source}");
        assert_eq!(template.evaluate(&scope), Ok(Some(expected)), "{source}");
    }
}
