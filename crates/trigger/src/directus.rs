//! Directus's API, through the Directus node's own operations (node-definitions/directus/):
//! activity list, permissions getMine, fields list, and the list operation of each collection
//! (items list, or the system collection's own resource: `directus_users` → users list). The
//! trigger sends no request of its own making: paths, query encoding, authentication, timeouts,
//! redirects, error messages and secret redaction are the executor's, as for `noderun run`.

use std::collections::BTreeMap;
use std::sync::Arc;

use noderun_definitions::Registry;
use noderun_executor::{FailureKind, Invocation, Item, ItemFailure, Runner, Settings};
use serde_json::{Map, Value, json};

use crate::Error;

/// The activity fields a feed reads.
const ACTIVITY_FIELDS: &str = "id,action,collection,item,user,timestamp";

/// One prepared runner per operation the feed uses; per-call values come in the input item.
pub(crate) struct Directus {
    registry: Arc<Registry>,
    credentials: Map<String, Value>,
    activity: Runner,
    fields: Runner,
}

impl Directus {
    pub(crate) fn new(
        registry: Arc<Registry>,
        credentials: Map<String, Value>,
    ) -> Result<Directus, Error> {
        let runner = |parameters: Value| runner(&registry, &credentials, parameters);
        Ok(Directus {
            activity: runner(json!({
                "resource": "activity", "operation": "list", "returnAll": false,
                "limit": "={{ $json.limit }}",
                "additionalFields": {"filter": "={{ $json.filter }}", "sort": "={{ $json.sort }}",
                                     "fields": ACTIVITY_FIELDS},
            }))?,
            fields: runner(json!({
                "resource": "fields", "operation": "list", "collection": "={{ $json.collection }}",
            }))?,
            registry: registry.clone(),
            credentials: credentials.clone(),
        })
    }

    /// Activity rows matching `filter`, sorted by `sort`, at most `limit`.
    pub(crate) async fn activity(
        &self,
        filter: Value,
        sort: &str,
        limit: usize,
    ) -> Result<Vec<Value>, Error> {
        call(
            &self.activity,
            json!({"filter": filter, "sort": sort, "limit": limit}),
        )
        .await
    }

    /// The current user's permissions: collection → action → `{access, fields}`.
    pub(crate) async fn my_permissions(&self) -> Result<Map<String, Value>, Error> {
        let runner = runner(
            &self.registry,
            &self.credentials,
            json!({"resource": "permissions", "operation": "getMine"}),
        )?;
        let mut out = call(&runner, json!({})).await?;
        match out.pop() {
            Some(Value::Object(map)) if out.is_empty() => Ok(map),
            _ => Err(Error::Directus {
                message: "GET /permissions/me did not answer with an object of collections".into(),
                retryable: false,
            }),
        }
    }

    /// The primary key field of a collection and whether its values are numbers (`None`:
    /// unknown, a token without read on directus_fields: then it is `id`, and keys that are
    /// integers are taken as numbers).
    pub(crate) async fn primary_key(
        &self,
        collection: &str,
    ) -> Result<(String, Option<bool>), Error> {
        let fields = match call(&self.fields, json!({"collection": collection})).await {
            Ok(f) => f,
            Err(Error::Directus { message, .. }) if message.contains("(HTTP 403") => {
                return Ok(("id".into(), None));
            }
            Err(e) => return Err(e),
        };
        fields
            .iter()
            .find(|f| f.pointer("/schema/is_primary_key") == Some(&Value::Bool(true)))
            .map(|f| {
                let numeric = matches!(
                    f.get("type").and_then(Value::as_str),
                    Some("integer" | "bigInteger")
                );
                (
                    f.get("field")
                        .and_then(Value::as_str)
                        .unwrap_or("id")
                        .to_string(),
                    Some(numeric),
                )
            })
            .ok_or_else(|| {
                Error::Setup(format!(
                    "collection '{collection}' has no primary key field this token may read"
                ))
            })
    }

    /// A reader of a collection's records: items list, or for a system collection
    /// (`directus_<name>`) the list operation of the node's resource `<name>`.
    pub(crate) fn records(&self, collection: &str, fields: &str) -> Result<Runner, Error> {
        let query = json!({"filter": "={{ $json.filter }}", "fields": fields});
        let parameters = match collection.strip_prefix("directus_") {
            Some(resource) => {
                let node = self
                    .registry
                    .node("directus")
                    .map_err(|e| Error::Setup(e.to_string()))?;
                if node.operation(resource, "list").is_err() {
                    return Err(Error::Setup(format!(
                        "system collection '{collection}': the Directus node has no list operation for it (resource '{resource}'), so its records cannot be read"
                    )));
                }
                json!({"resource": resource, "operation": "list", "returnAll": true,
                       "additionalFields": query})
            }
            None => json!({"resource": "items", "operation": "list", "collection": collection,
                           "returnAll": true, "additionalFields": query}),
        };
        runner(&self.registry, &self.credentials, parameters)
    }
}

/// Runs one call of a prepared operation; its output items' json.
pub(crate) async fn call(runner: &Runner, input: Value) -> Result<Vec<Value>, Error> {
    let item = Item::from_input(input).map_err(Error::Setup)?;
    match runner.process(0, &item).await {
        Ok(items) => Ok(items.into_iter().map(|i| Value::Object(i.json)).collect()),
        Err(failure) => Err(Error::from_failure(&failure)),
    }
}

fn runner(
    registry: &Arc<Registry>,
    credentials: &Map<String, Value>,
    parameters: Value,
) -> Result<Runner, Error> {
    let Value::Object(parameters) = parameters else {
        unreachable!("parameters are objects")
    };
    Runner::new(
        registry.clone(),
        Invocation {
            node: "directus".into(),
            parameters,
            credentials: credentials.clone(),
            settings: Settings::default(),
        },
    )
    .map_err(|e| Error::Setup(e.to_string()))
}

impl Error {
    /// A failed call: network failures, 429 and 5xx may pass (retryable); anything else (401,
    /// 403, a bad filter) will not.
    pub(crate) fn from_failure(failure: &ItemFailure) -> Error {
        let status: Option<u16> = failure
            .details
            .http_code
            .as_deref()
            .and_then(|c| c.parse().ok());
        let retryable = match failure.kind {
            FailureKind::Network => true,
            FailureKind::Http => status.is_some_and(|s| s == 429 || s >= 500),
            _ => false,
        };
        Error::Directus {
            message: failure.message().to_string(),
            retryable,
        }
    }
}

/// Read access per collection, from `/permissions/me`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// Every record (admins; a permission without a row rule).
    Full,
    /// Some records (a row rule, such as the app's "own activity").
    Partial,
    /// None, or the collection does not exist.
    None,
}

pub(crate) fn read_access(permissions: &Map<String, Value>, collection: &str) -> Access {
    match permissions
        .get(collection)
        .and_then(|c| c.pointer("/read/access"))
        .and_then(Value::as_str)
    {
        Some("full") => Access::Full,
        Some("partial") => Access::Partial,
        _ => Access::None,
    }
}

/// Keys as the records have them: numbers for integer primary keys, text otherwise (the
/// activity log keeps every key as text); with the key's type unknown, integers are numbers.
pub(crate) fn typed_key(item: &str, numeric: Option<bool>) -> Value {
    if numeric != Some(false)
        && let Ok(n) = item.parse::<i64>()
    {
        return Value::from(n);
    }
    Value::String(item.to_string())
}

/// Records by their primary key's text.
pub(crate) fn by_key(records: Vec<Value>, pk: &str) -> BTreeMap<String, Value> {
    records
        .into_iter()
        .filter_map(|r| {
            let key = match r.get(pk)? {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            Some((key, r))
        })
        .collect()
}
