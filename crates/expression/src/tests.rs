use serde_json::{Value, json};

use crate::{Resolvable, Scope, Template};

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
    assert_eq!(eval("={{ $json['a b'] }} "), Some(json!("{\"c\":[1,2]} ")));
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
fn unsupported_constructs_are_named() {
    let err = |src: &str| eval_with(src, &json!({})).unwrap_err();
    assert_eq!(
        err("={{ $node.foo }}"),
        "'$node' is not supported; the variables are $json, $parameter, $value, $credentials, $itemIndex, $self, $parent, $response and $responseItem"
    );
    assert_eq!(
        err("={{ $json.a.b }}"),
        "cannot read property 'b' of undefined"
    );
    assert_eq!(
        err("={{ $json.x.map(a => a) }}"),
        "the method 'map()' is not supported"
    );
    assert_eq!(err("={{ $json.a "), "'{{' without a matching '}}'");
    assert_eq!(err("={{ }}"), "empty expression '{{ }}'");
    assert_eq!(err("={{ 1 + }}"), "the expression ended too early");
    assert_eq!(err("={{ a = 1 }}"), "'a' is not supported in expressions");
    assert_eq!(
        err("={{ JSON.parse('{') }}"),
        "JSON.parse: EOF while parsing an object at line 1 column 1"
    );
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
        Resolvable::new(&json!({"x": "={{ $nope }}"}))
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
