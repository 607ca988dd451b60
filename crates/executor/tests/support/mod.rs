//! Servers and definitions shared by the paging tests and the n8n cross-check.

// Each test crate that includes this module uses a part of it.
#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use wiremock::{Request, Respond, ResponseTemplate};

/// Rows `1..=total` of a collection, paged by `limit`/`offset` and keyset (`filter` with
/// `{"id": {"_gt": n}}`, alone or in an `_and`; other conditions are ignored); the request with `offset ==
/// fail_at` fails with 500 (`failures` times), and every request waits `delay`. The schema is
/// not told: `/fields/…` and `/collections/…` (an items list's key lookup) answer 403, as
/// Directus does to a token that may not read it, so the items lists page by offset.
pub struct Pages {
    pub total: usize,
    pub fail_at: Option<usize>,
    pub failures: AtomicUsize,
    pub delay: Duration,
}

pub fn query(request: &Request, key: &str) -> Option<String> {
    request
        .url
        .query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

impl Respond for Pages {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let path = request.url.path();
        if path.starts_with("/fields/") || path.starts_with("/collections/") {
            return ResponseTemplate::new(403).set_body_json(json!({"errors": [{"message": "You don't have permission to access this.", "extensions": {"code": "FORBIDDEN"}}]}));
        }
        let limit: i64 = query(request, "limit").map_or(100, |l| l.parse().unwrap());
        let offset: usize = query(request, "offset").map_or(0, |o| o.parse().unwrap());
        if Some(offset) == self.fail_at && self.failures.load(Ordering::SeqCst) > 0 {
            self.failures.fetch_sub(1, Ordering::SeqCst);
            return ResponseTemplate::new(500).set_body_json(json!({"errors": [{"message": "Database is busy", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}]}));
        }
        let after = query(request, "filter")
            .and_then(|f| serde_json::from_str::<Value>(&f).ok())
            .and_then(|f| id_after(&f))
            .unwrap_or(0);
        let start = after + offset;
        let end = if limit < 0 {
            self.total
        } else {
            (start + limit as usize).min(self.total)
        };
        let rows: Vec<Value> = (start.min(end)..end)
            .map(|i| json!({"id": i + 1}))
            .collect();
        ResponseTemplate::new(200)
            .set_body_json(json!({"data": rows}))
            .set_delay(self.delay)
    }
}

pub fn pages(total: usize) -> Pages {
    Pages {
        total,
        fail_at: None,
        failures: AtomicUsize::new(0),
        delay: Duration::ZERO,
    }
}

/// `n` of a filter `{"id": {"_gt": n}}`, alone or in an `_and`.
fn id_after(filter: &Value) -> Option<usize> {
    if let Some(n) = filter.pointer("/id/_gt").and_then(Value::as_u64) {
        return Some(n as usize);
    }
    filter.get("_and")?.as_array()?.iter().find_map(id_after)
}

/// The test node `cursor` (tests/data/cursor), which pages with n8n's `generic` pagination.
pub fn cursor_node() -> Vec<(String, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    [
        ("cursor/node.json", "tests/data/cursor/node.json"),
        ("cursor/rows.json", "tests/data/cursor/rows.json"),
        (
            "credentials/directusApi.json",
            "../../node-definitions/credentials/directusApi.json",
        ),
    ]
    .map(|(name, file)| {
        let text = std::fs::read_to_string(root.join(file)).unwrap();
        (name.to_string(), text)
    })
    .into()
}

/// Rows 1..=7 by cursor: `?cursor=c&size=n` gives the n rows after row c and the next cursor.
pub struct Cursor;

impl Respond for Cursor {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let path = request.url.path();
        if path.starts_with("/fields/") || path.starts_with("/collections/") {
            return ResponseTemplate::new(403).set_body_json(json!({"errors": [{"message": "You don't have permission to access this.", "extensions": {"code": "FORBIDDEN"}}]}));
        }
        let after: u64 = query(request, "cursor").map_or(0, |c| c.parse().unwrap());
        let size: u64 = query(request, "size").unwrap().parse().unwrap();
        let end = (after + size).min(7);
        let rows: Vec<Value> = (after + 1..=end).map(|i| json!({"id": i})).collect();
        let next = (end < 7).then(|| end.to_string());
        ResponseTemplate::new(200).set_body_json(json!({"data": rows, "next": next}))
    }
}
