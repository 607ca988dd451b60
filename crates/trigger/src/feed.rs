//! The feed: reads the activity log from a cursor and turns each change of the chosen
//! collections into an n8n item, with the record as the token may read it.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use noderun_definitions::Registry;
use noderun_executor::Runner;
use serde_json::{Map, Value, json};

use crate::Error;
use crate::cursor::{Cursor, Seen};
use crate::directus::{Access, Directus, by_key, call, read_access, typed_key};

/// Activity rows read per request.
const PAGE: usize = 1000;
/// Runs of pending ids asked for per request (keeps the URL short).
const PENDING_PER_READ: usize = 100;

/// The kinds of change a feed delivers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Event {
    /// A record was created.
    Create,
    /// A record was updated.
    Update,
    /// A record was deleted.
    Delete,
}

impl Event {
    /// The event's name, as Directus's activity log and the items have it.
    pub fn name(self) -> &'static str {
        match self {
            Event::Create => "create",
            Event::Update => "update",
            Event::Delete => "delete",
        }
    }

    /// All three.
    pub const ALL: [Event; 3] = [Event::Create, Event::Update, Event::Delete];

    /// Parses `create,update,delete` (any subset, any order).
    ///
    /// # Errors
    /// An unknown name or an empty list, naming what is accepted.
    pub fn parse_list(text: &str) -> Result<BTreeSet<Event>, String> {
        let mut out = BTreeSet::new();
        for name in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let event = Event::ALL
                .into_iter()
                .find(|e| e.name() == name)
                .ok_or_else(|| {
                    format!("unknown event '{name}': the events are create, update and delete")
                })?;
            out.insert(event);
        }
        if out.is_empty() {
            return Err("no event given: the events are create, update and delete".into());
        }
        Ok(out)
    }
}

/// What a feed delivers.
#[derive(Debug, Clone)]
pub struct Options {
    /// Collections whose changes are delivered (user collections, and system collections such
    /// as `directus_users`, `directus_files`).
    pub collections: Vec<String>,
    /// The kinds of change delivered.
    pub events: BTreeSet<Event>,
    /// The record fields in `data` (Directus's `fields` syntax, e.g. `id,title,author.name`);
    /// `None` for all the token may read.
    pub fields: Option<String>,
    /// A Directus filter the record must match for its creates and updates to be delivered.
    pub filter: Option<Value>,
    /// How long an activity id missing below seen ones is waited for: the longest a writing
    /// transaction may take to commit (PostgreSQL, MySQL).
    pub commit_window: Duration,
}

/// One delivered change: the n8n item, and the cursor to save once the item is delivered.
#[derive(Debug, Clone)]
pub struct Change {
    /// `{"json": {"event", "collection", "keys", "data"?, "user", "timestamp"}}`.
    pub item: Value,
    /// The activity row's id.
    pub activity: u64,
    /// Where the feed stands once this change is delivered.
    pub cursor: Cursor,
}

/// A collection the feed follows.
struct Followed {
    /// Primary key field and whether its values are numbers (`None`: unknown).
    pk: String,
    numeric: Option<bool>,
    /// Whether the token may read every record (deletes are delivered only then: a deleted
    /// record cannot be checked against a row rule).
    deletes: bool,
    /// Its records' reader.
    records: Runner,
    /// Whether `pk` was added to the fields asked for (then it is left out of `data`).
    pk_added: bool,
}

/// A Directus change feed over the activity log. See the crate documentation.
pub struct Feed {
    directus: Directus,
    options: Options,
    followed: BTreeMap<String, Followed>,
    cursor: Cursor,
    /// Warnings of the last [`Feed::open`] or [`Feed::poll`], for the caller to show.
    warnings: Vec<String>,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl Feed {
    /// Checks what the token may read, finds each collection's primary key, and places the
    /// cursor: `cursor` as saved, or (without one) at the newest activity row, "from now".
    ///
    /// # Errors
    /// A collection the token may not read (or that does not exist), no read access to the
    /// activity log, a cursor of another Directus, or Directus not answering.
    pub async fn open(
        registry: Arc<Registry>,
        credentials: Map<String, Value>,
        options: Options,
        cursor: Option<Cursor>,
    ) -> Result<Feed, Error> {
        let url = credentials
            .get("url")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .trim_end_matches('/')
            .to_string();
        if options.collections.is_empty() {
            return Err(Error::Setup("name at least one collection".into()));
        }
        let directus = Directus::new(registry, credentials)?;
        let permissions = directus.my_permissions().await?;
        let mut warnings = Vec::new();
        match read_access(&permissions, "directus_activity") {
            Access::Full => {}
            Access::Partial => warnings.push(
                "this token may read only part of the activity log (directus_activity): changes it may not see there are not delivered, and on PostgreSQL the ids it may not see are waited for as late commits; grant its policy read on directus_activity (fields id, action, collection, item, user, timestamp, all rows) to follow every change".into(),
            ),
            Access::None => return Err(Error::Setup(
                "this token may not read the activity log (directus_activity), the trigger's source: grant its policy read on directus_activity (fields id, action, collection, item, user, timestamp)".into(),
            )),
        }
        let mut followed = BTreeMap::new();
        for collection in &options.collections {
            let access = read_access(&permissions, collection);
            if access == Access::None {
                return Err(Error::Setup(format!(
                    "collection '{collection}': this token may not read it, or it does not exist"
                )));
            }
            let (pk, numeric) = directus.primary_key(collection).await?;
            let (fields, pk_added) = match &options.fields {
                None => ("*".to_string(), false),
                Some(f) => {
                    let has = f.split(',').map(str::trim).any(|x| x == "*" || x == pk);
                    if has {
                        (f.clone(), false)
                    } else {
                        (format!("{pk},{f}"), true)
                    }
                }
            };
            let deletes = access == Access::Full;
            if !deletes && options.events.contains(&Event::Delete) {
                warnings.push(format!(
                    "collection '{collection}': this token may read only some of its records, and a deleted record cannot be checked against that rule, so its deletes are not delivered"
                ));
            }
            followed.insert(
                collection.clone(),
                Followed {
                    records: directus.records(collection, &fields)?,
                    pk,
                    numeric,
                    deletes,
                    pk_added,
                },
            );
        }
        let cursor = match cursor {
            Some(c) if c.directus.trim_end_matches('/') != url => {
                return Err(Error::Setup(format!(
                    "the cursor belongs to {}, not to {url}: activity ids of one Directus mean nothing on another; give another cursor file",
                    c.directus
                )));
            }
            Some(c) => c,
            None => now(&directus, &url).await?,
        };
        Ok(Feed {
            directus,
            options,
            followed,
            cursor,
            warnings,
        })
    }

    /// Where the feed stands (save it after the last change delivered, and after a poll that
    /// delivered nothing: rows of other collections move it too).
    pub fn cursor(&self) -> &Cursor {
        &self.cursor
    }

    /// Moves the cursor back over the last `rows` activity rows, nothing pending: what an
    /// editor's test run reads to show recent changes (its cursor is not kept).
    pub fn rewind(&mut self, rows: u64) {
        self.cursor.after = self.cursor.after.saturating_sub(rows);
        self.cursor.pending.clear();
    }

    /// The followed collections and their primary key fields (what a WebSocket subscription
    /// asks for).
    pub fn primary_keys(&self) -> Vec<(String, String)> {
        self.followed
            .iter()
            .map(|(c, f)| (c.clone(), f.pk.clone()))
            .collect()
    }

    /// Warnings gathered since the last call (each once).
    pub fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }

    /// Reads what is new in the activity log (and the late commits of pending ids) and returns
    /// the changes to deliver, in activity order, at most `max` (the rest stays for the next
    /// poll). Returns an empty list when nothing new came.
    ///
    /// # Errors
    /// Directus failing; [`Error::retryable`] says whether trying again later can help.
    pub async fn poll(&mut self, max: usize) -> Result<Vec<Change>, Error> {
        let now = now_ms();
        // The feed's cursor moves only when the poll returns: a poll dropped half-way (the
        // caller stopped) leaves it where the delivered changes put it.
        let mut cursor = self.cursor.clone();
        cursor.expire(now, self.options.commit_window.as_millis() as u64);
        let mut out = Vec::new();
        loop {
            // late commits first (ids below `after`), then what is new
            // (a full page means more to read: the loop goes on)
            let mut rows = Vec::new();
            let mut full = false;
            for filter in cursor.pending_filters(PENDING_PER_READ) {
                let late = self.directus.activity(filter, "id", PAGE).await?;
                full = late.len() == PAGE;
                rows.extend(late);
                if full {
                    break;
                }
            }
            if !full {
                let new = self
                    .directus
                    .activity(json!({"id": {"_gt": cursor.after}}), "id", PAGE)
                    .await?;
                full = new.len() == PAGE;
                rows.extend(new);
            }
            let mut working = cursor.clone();
            let mut accepted = Vec::new();
            let mut limit_hit = false;
            for row in rows {
                let Some(id) = row.get("id").and_then(Value::as_u64) else {
                    continue;
                };
                let (seen, dropped) = working.observe(id, now);
                if dropped > 0 {
                    self.warnings.push(format!(
                        "{dropped} activity ids below {id} are no longer waited for: more than {} runs of ids were missing at once (rows this token may not read, or long transactions)",
                        crate::cursor::MAX_PENDING
                    ));
                }
                if seen == Seen::New && self.wanted(&row) {
                    accepted.push((row, working.clone()));
                    if out.len() + accepted.len() >= max {
                        limit_hit = true;
                        break;
                    }
                }
            }
            let end = match accepted.last() {
                Some((_, at)) if limit_hit => at.clone(),
                _ => working,
            };
            // on a failure the cursor stays: the next poll reads the same rows again
            let changes = self.changes(accepted).await?;
            cursor = end;
            out.extend(changes);
            if !full || limit_hit {
                self.cursor = cursor;
                return Ok(out);
            }
        }
    }

    /// Whether an activity row is a change this feed delivers.
    fn wanted(&self, row: &Value) -> bool {
        let collection = row.get("collection").and_then(Value::as_str);
        let action = row.get("action").and_then(Value::as_str);
        let Some(followed) = collection.and_then(|c| self.followed.get(c)) else {
            return false;
        };
        let Some(event) = Event::ALL.into_iter().find(|e| Some(e.name()) == action) else {
            return false;
        };
        self.options.events.contains(&event) && (event != Event::Delete || followed.deletes)
    }

    /// The items of accepted rows: records read per collection in one request each. A create or
    /// update whose record cannot be read (not permitted, not matching the filter, or deleted
    /// since) is not delivered, but the cursor moves past it; except when its delete follows in
    /// the same read and the token may read every record of the collection (without --filter):
    /// then it is delivered without `data`.
    async fn changes(&self, rows: Vec<(Value, Cursor)>) -> Result<Vec<Change>, Error> {
        let text = |row: &Value, key: &str| {
            row.get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let mut wanted: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
        for (row, _) in &rows {
            if row.get("action").and_then(Value::as_str) != Some("delete")
                && let Some((c, _)) = row
                    .get("collection")
                    .and_then(Value::as_str)
                    .and_then(|c| self.followed.get_key_value(c))
            {
                wanted.entry(c).or_default().insert(text(row, "item"));
            }
        }
        let mut records: BTreeMap<&str, BTreeMap<String, Value>> = BTreeMap::new();
        for (collection, keys) in wanted {
            let f = &self.followed[collection];
            let keys: Vec<Value> = keys.iter().map(|k| typed_key(k, f.numeric)).collect();
            let mut filter = json!({ f.pk.as_str(): {"_in": keys} });
            if let Some(user) = &self.options.filter {
                filter = json!({"_and": [filter, user]});
            }
            let found = call(&f.records, json!({ "filter": filter })).await?;
            records.insert(collection, by_key(found, &f.pk));
        }
        // keys deleted later in this read, per collection: a create or update of those whose
        // record is gone is still delivered (without data) where the token may read every record
        let mut deleted: BTreeMap<(String, String), usize> = BTreeMap::new();
        for (i, (row, _)) in rows.iter().enumerate() {
            if row.get("action").and_then(Value::as_str) == Some("delete") {
                deleted.insert((text(row, "collection"), text(row, "item")), i);
            }
        }
        let mut out = Vec::new();
        for (i, (row, cursor)) in rows.into_iter().enumerate() {
            let collection = text(&row, "collection");
            let action = text(&row, "action");
            let key = text(&row, "item");
            let f = &self.followed[collection.as_str()];
            let mut json = Map::new();
            json.insert("event".into(), Value::String(action.clone()));
            json.insert("collection".into(), Value::String(collection.clone()));
            json.insert("keys".into(), json!([typed_key(&key, f.numeric)]));
            if action != "delete" {
                let record = records
                    .get(collection.as_str())
                    .and_then(|r| r.get(&key))
                    .cloned();
                let gone_since = || {
                    f.deletes
                        && self.options.filter.is_none()
                        && deleted
                            .get(&(collection.clone(), key.clone()))
                            .is_some_and(|d| *d > i)
                };
                match record {
                    Some(mut record) => {
                        if f.pk_added
                            && let Value::Object(m) = &mut record
                        {
                            m.remove(&f.pk);
                        }
                        json.insert("data".into(), record);
                    }
                    None if gone_since() => {}
                    None => continue,
                }
            }
            json.insert(
                "user".into(),
                row.get("user").cloned().unwrap_or(Value::Null),
            );
            json.insert(
                "timestamp".into(),
                row.get("timestamp").cloned().unwrap_or(Value::Null),
            );
            out.push(Change {
                item: json!({ "json": json }),
                activity: row.get("id").and_then(Value::as_u64).unwrap_or_default(),
                cursor,
            });
        }
        Ok(out)
    }
}

/// A cursor at the newest activity row; ids missing among the last rows (transactions still
/// committing) are pending, so that they are delivered when they commit.
async fn now(directus: &Directus, url: &str) -> Result<Cursor, Error> {
    let rows = directus.activity(json!({}), "-id", 100).await?;
    let mut ids: Vec<u64> = rows
        .iter()
        .filter_map(|r| r.get("id").and_then(Value::as_u64))
        .collect();
    ids.sort_unstable();
    let mut cursor = Cursor::at(url, ids.first().map_or(0, |f| f.saturating_sub(1)));
    if ids.is_empty() {
        return Ok(cursor);
    }
    let now = now_ms();
    for id in ids {
        cursor.observe(id, now);
    }
    Ok(cursor)
}
