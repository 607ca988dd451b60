//! The planner without any IO: a run compiled once, items resolved and validated against it, and
//! their requests built, with the same messages whether a parameter is literal or an expression.

use std::sync::Arc;

use noderun_definitions::Registry;
use noderun_plan::{Item, Paging, Plan};
use serde_json::{Map, Value, json};

fn object(v: Value) -> Map<String, Value> {
    v.as_object().cloned().expect("an object")
}

fn compile(parameters: Value) -> Plan {
    Plan::compile(
        Arc::new(Registry::embedded().expect("the embedded definitions load")),
        "directus",
        object(parameters),
        object(json!({"url": "http://127.0.0.1:9", "accessToken": "secret-token-1"})),
    )
    .expect("the run compiles")
}

/// The headers of a JSON request with the test credential, as a dry run shows them.
static HEADERS: std::sync::LazyLock<Value> = std::sync::LazyLock::new(|| {
    json!({"Accept": "application/json", "Authorization": "Bearer ***",
           "Content-Type": "application/json"})
});

/// The same with the secrets shown (`--show-secrets`).
static SHOWN_HEADERS: std::sync::LazyLock<Value> = std::sync::LazyLock::new(|| {
    json!({"Accept": "application/json", "Authorization": "Bearer secret-token-1",
           "Content-Type": "application/json"})
});

/// [`outcome`] with the secrets shown.
fn shown(plan: &Plan, index: usize, json: Value) -> Result<Value, String> {
    dry_run(plan, index, json, true)
}

fn item(json: Value) -> Item {
    Item::from_input(json).expect("an item")
}

/// The message an item gets, or its requests as a dry run prints them (secrets hidden).
fn outcome(plan: &Plan, index: usize, json: Value) -> Result<Value, String> {
    dry_run(plan, index, json, false)
}

/// The message an item gets, or its requests as a dry run prints them.
fn dry_run(plan: &Plan, index: usize, json: Value, show_secrets: bool) -> Result<Value, String> {
    let item = item(json);
    let planned = plan
        .for_item(index, &item)
        .map_err(|f| f.message().to_string())?;
    let mut pages = planned
        .pages(&Paging::default())
        .map_err(|f| f.message().to_string())?;
    let request = pages
        .next_request()
        .map_err(|f| f.message().to_string())?
        .expect("a first request");
    Ok(Value::Object(
        planned.dry_run(&request, Map::new(), show_secrets).json,
    ))
}

#[test]
fn a_literal_parameter_is_checked_once_at_compile_time() {
    let plan = compile(json!({"resource": "auth", "operation": "refreshToken"}));
    let expected = "Missing required parameter: refreshToken";
    assert_eq!(plan.literal_failure().map(|f| f.message()), Some(expected));
    // Each item still gets it as its failure (the run decides when to refuse it).
    assert_eq!(outcome(&plan, 0, json!({})), Err(expected.to_string()));
    assert_eq!(
        outcome(&plan, 1, json!({"a": 1})),
        Err(expected.to_string())
    );
}

#[test]
fn a_literal_parameter_beside_an_expression_is_checked_at_compile_time() {
    let plan = compile(json!({
        "resource": "auth", "operation": "refreshToken",
        "refreshToken": "={{ $json.rt }}",
        "additionalFields": {"mode": "bogus"},
    }));
    let expected =
        "Parameter 'mode' must be one of json, cookie, session; got 'bogus' (in additionalFields)";
    assert_eq!(plan.literal_failure().map(|f| f.message()), Some(expected));
    assert_eq!(
        outcome(&plan, 0, json!({"rt": "abc"})),
        Err(expected.to_string())
    );
    // An item whose expression fails gets that failure first.
    assert_eq!(
        outcome(&plan, 1, json!({})),
        Err("Parameter 'refreshToken': the expression ={{ $json.rt }} refers to $json.rt, which the item does not have".to_string())
    );
}

#[test]
fn values_of_expressions_are_validated_with_the_messages_of_the_whole_schema() {
    let plan = compile(json!({
        "resource": "auth", "operation": "refreshToken",
        "refreshToken": "={{ $json.rt }}",
        "additionalFields": {"mode": "={{ $json.mode }}"},
    }));
    assert_eq!(plan.literal_failure(), None);
    let ok = |rt: &str, mode: &str| {
        json!({"method": "POST", "url": "http://127.0.0.1:9/auth/refresh",
               "headers": SHOWN_HEADERS.clone(), "body": {"refresh_token": rt, "mode": mode}})
    };
    // Valid items, also after invalid ones: each is decided by its own values.
    assert_eq!(
        shown(&plan, 0, json!({"rt": "abc", "mode": "json"})),
        Ok(ok("abc", "json"))
    );
    assert_eq!(
        shown(&plan, 1, json!({"rt": "abc", "mode": "nope"})),
        Err("Parameter 'mode' must be one of json, cookie, session; got 'nope' (in additionalFields)".to_string())
    );
    assert_eq!(
        shown(&plan, 2, json!({"rt": {"a": 1}, "mode": "json"})),
        Err(
            "Parameter 'refreshToken' must be of type string; got an object (value hidden)"
                .to_string()
        )
    );
    assert_eq!(
        shown(&plan, 3, json!({"rt": "", "mode": "json"})),
        Err("Missing required parameter: refreshToken".to_string())
    );
    // A number where text is declared is its decimal text, as n8n passes it.
    assert_eq!(
        shown(&plan, 4, json!({"rt": 15, "mode": "json"})),
        Ok(ok("15", "json"))
    );
    assert_eq!(
        shown(&plan, 5, json!({"rt": "xyz", "mode": "json"})),
        Ok(ok("xyz", "json"))
    );
}

#[test]
fn a_run_without_expressions_is_resolved_once() {
    let plan = compile(json!({
        "resource": "auth", "operation": "login",
        "email": "a@example.com", "password": "pw-123456",
    }));
    assert_eq!(plan.literal_failure(), None);
    let expected = json!({"method": "POST", "url": "http://127.0.0.1:9/auth/login",
                          "headers": HEADERS.clone(),
                          "body": {"email": "a@example.com", "password": "***"}});
    for index in 0..3 {
        assert_eq!(
            outcome(&plan, index, json!({"any": index})),
            Ok(expected.clone())
        );
    }
}

/// The responses of an items list's key lookup (`GET /fields/<collection>`, `GET
/// /collections/<collection>`) as Directus 12.4 gives them, reduced to what the lookup reads.
fn lookup_responses(key_type: &str, sort_field: Value) -> Vec<Value> {
    vec![
        json!({"statusCode": 200, "body": {"data": [
            {"field": "title", "type": "string", "schema": {"is_primary_key": false}},
            {"field": "sort", "type": "integer", "schema": {"is_primary_key": false}},
            {"field": "code", "type": key_type, "schema": {"is_primary_key": true}},
            {"field": "alias", "type": "alias", "schema": null}]}}),
        json!({"statusCode": 200, "body": {"data": {"collection": "articles",
            "meta": {"sort_field": sort_field}, "schema": {"name": "articles"}}}}),
    ]
}

#[test]
fn an_items_list_looks_its_key_up_and_pages_by_it() {
    let plan = compile(
        json!({"resource": "items", "operation": "list", "collection": "art icles",
        "additionalFields": {"filter": "{\"status\":{\"_eq\":\"published\"}}"}}),
    );
    let input = item(json!({}));
    let planned = plan.for_item(0, &input).expect("valid");
    let mut pages = planned.pages(&Paging::default()).expect("pages");
    let lookup = pages.key_lookup().expect("resolves").expect("a lookup");
    let urls: Vec<_> = lookup
        .iter()
        .map(|r| (r.method.as_str(), r.url.as_str()))
        .collect();
    assert_eq!(
        urls,
        [
            ("GET", "http://127.0.0.1:9/fields/art%20icles"),
            ("GET", "http://127.0.0.1:9/collections/art%20icles")
        ]
    );
    assert_eq!(
        planned.dry_run_lookup(&lookup, false),
        json!([
            {"method": "GET", "url": "http://127.0.0.1:9/fields/art%20icles",
             "headers": {"Accept": "application/json", "Authorization": "Bearer ***"}, "body": null},
            {"method": "GET", "url": "http://127.0.0.1:9/collections/art%20icles",
             "headers": {"Accept": "application/json", "Authorization": "Bearer ***"}, "body": null}
        ])
    );
    let key = pages.key_in(lookup_responses("integer", Value::Null));
    assert_eq!(key.as_deref(), Some("code"));
    assert!(pages.use_key(key.as_deref()));
    let first = pages.next_request().expect("builds").expect("a first page");
    assert_eq!(
        first.url,
        "http://127.0.0.1:9/items/art%20icles?filter=%7B%22status%22%3A%7B%22_eq%22%3A%22published%22%7D%7D&limit=1000&offset=0&sort=code"
    );
    let page: Vec<Item> = (1..=1000).map(|code| item(json!({"code": code}))).collect();
    assert_eq!(pages.advance(page, None).expect("a page").len(), 1000);
    let second = pages
        .next_request()
        .expect("builds")
        .expect("a second page");
    assert_eq!(
        second.url,
        "http://127.0.0.1:9/items/art%20icles?filter=%7B%22_and%22%3A%5B%7B%22status%22%3A%7B%22_eq%22%3A%22published%22%7D%7D%2C%7B%22code%22%3A%7B%22_gt%22%3A1000%7D%7D%5D%7D&limit=1000&offset=0&sort=code"
    );
}

#[test]
fn an_items_list_without_a_comparable_key_in_its_order_pages_by_offset() {
    let plan = compile(json!({"resource": "items", "operation": "list", "collection": "articles"}));
    let input = item(json!({}));
    let planned = plan.for_item(0, &input).expect("valid");
    // A UUID or text key (Directus 12.4: no `_gt` for them), a manual sort field, a failed
    // lookup: no key, and the requests of offset paging, without a sort.
    for responses in [
        Some(lookup_responses("uuid", Value::Null)),
        Some(lookup_responses("string", Value::Null)),
        Some(lookup_responses("integer", json!("sort"))),
        None,
    ] {
        let mut pages = planned.pages(&Paging::default()).expect("pages");
        assert!(pages.key_lookup().expect("resolves").is_some());
        let key = responses.and_then(|r| pages.key_in(r));
        assert_eq!(key, None);
        assert!(pages.use_key(None));
        let first = pages.next_request().expect("builds").expect("a page");
        assert_eq!(
            first.url,
            "http://127.0.0.1:9/items/articles?limit=1000&offset=0"
        );
        let page: Vec<Item> = (1..=1000).map(|id| item(json!({"id": id}))).collect();
        pages.advance(page, None).expect("a page");
        let second = pages.next_request().expect("builds").expect("a page");
        assert_eq!(
            second.url,
            "http://127.0.0.1:9/items/articles?limit=1000&offset=1000"
        );
    }
    // A user sort, Group By, an aggregate, n8n's offset paging: nothing to look up.
    for (additional, paging) in [
        (json!({"sort": "title"}), Paging::default()),
        (json!({"groupBy": "status"}), Paging::default()),
        (
            json!({"aggregate": {"aggregationFunctions": [{"name": "count", "value": "*"}]}}),
            Paging::default(),
        ),
        (
            json!({}),
            Paging {
                offset_only: true,
                ..Paging::default()
            },
        ),
    ] {
        let plan = compile(json!({"resource": "items", "operation": "list",
            "collection": "articles", "additionalFields": additional}));
        let planned = plan.for_item(0, &input).expect("valid");
        let mut pages = planned.pages(&paging).expect("pages");
        assert!(
            pages.key_lookup().expect("resolves").is_none(),
            "{additional}"
        );
        let first = pages.next_request().expect("builds").expect("a page");
        assert!(!first.url.contains("sort=id"), "{}", first.url);
    }
}
