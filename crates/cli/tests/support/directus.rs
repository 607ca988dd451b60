//! The real Directus servers that `scripts/test` starts, driven as their admin through the REST
//! API: fresh users, a two-factor user, the captured emails (password reset, registration),
//! settings.
//!
//! `scripts/test` describes the main server with four environment variables and a second, fresh
//! one (for schema migrations between servers) with two more; without them the tests fail (they
//! are never skipped silently).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use reqwest::Method;
use serde_json::{Value, json};

/// The variables `scripts/test` exports for the main server: its URL, the admin's email and
/// password (the same on both servers) and the directory its SMTP sink writes to.
const VARIABLES: [&str; 4] = [
    "NODERUN_TEST_DIRECTUS_URL",
    "NODERUN_TEST_ADMIN_EMAIL",
    "NODERUN_TEST_ADMIN_PASSWORD",
    "NODERUN_TEST_MAIL_DIR",
];

/// The URL and mail directory of the second server.
const SECOND: [&str; 2] = [
    "NODERUN_TEST_DIRECTUS2_URL",
    "NODERUN_TEST_DIRECTUS2_MAIL_DIR",
];

/// The URL of the PostgreSQL server (same admin, no mail directory).
const POSTGRES: &str = "NODERUN_TEST_DIRECTUS_PG_URL";

/// The reset URL the server's PASSWORD_RESET_URL_ALLOW_LIST allows (set by
/// scripts/directus-server).
pub const ALLOWED_RESET_URL: &str = "http://127.0.0.1:3000/reset-password";

/// How long a reset email may take to reach the mail directory.
const MAIL_WAIT: Duration = Duration::from_secs(10);

/// The one user with a role (two-factor authentication needs one; the free licence has three
/// seats). Created or reset on every use, so the suite can run again on the same server.
const TFA_EMAIL: &str = "noderun-e2e-tfa@example.com";
const TFA_PASSWORD: &str = "E2e-tfa-Passw0rd-1";

/// A user created for one test.
#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub email: String,
    pub password: String,
}

/// The two-factor user and its TOTP secret (base32).
#[derive(Debug, Clone)]
pub struct TfaUser {
    pub user: User,
    pub secret: String,
}

/// The token of a captured reset email and the page its link goes to.
#[derive(Debug, Clone, PartialEq)]
pub struct ResetMail {
    /// The link without its query, e.g. `http://127.0.0.1:3000/reset-password`.
    pub page: String,
    pub token: String,
}

/// A connection to the server as its admin. Each test makes its own (its own runtime).
pub struct Directus {
    pub url: String,
    /// Where the server's SMTP sink writes (none for the PostgreSQL server).
    mail_dir: Option<PathBuf>,
    runtime: tokio::runtime::Runtime,
    http: reqwest::Client,
    admin_token: String,
}

/// Held around the schema changes of the test binary (its tests run on threads): Directus rebuilds
/// its schema cache on every change, and requests that arrive meanwhile may fail ("Failed to get
/// Schema information") or see a schema without the change.
static SCHEMA: Mutex<()> = Mutex::new(());

/// The body of a `POST /items/<collection>` that tells whether Directus's schema cache knows a
/// new collection with its key `id` (auto-increment or generated), and writes nothing.
///
/// Directus 12.4 can cache a schema without the collection or with its auto-increment key as a
/// required value: its SQLite inspector lists the tables with an AUTOINCREMENT key and then all
/// tables in two queries, and a schema rebuild under way while a collection was being made is
/// stored anyway, until the next schema change (`overview` in `@directus/schema`, `getSchema` in
/// `@directus/api`). Directus validates the first entry (a 400 "Value is required" for `id` or a
/// 403 naming the collection while the cache is stale), then refuses the second's key (a 403
/// without a reason) and rolls the batch back: no row, no activity, no key used.
pub fn key_probe() -> Value {
    json!([{}, {"id": "not a key"}])
}

/// Whether Directus's answer to [`key_probe`] says its schema cache knows the collection and its
/// key.
pub fn key_probe_settled(status: u16, answer: &Value) -> bool {
    status == 403 && answer["errors"][0]["extensions"]["reason"].is_null()
}

/// Takes [`SCHEMA`] (also after a test that held it panicked).
pub fn schema_lock() -> std::sync::MutexGuard<'static, ()> {
    SCHEMA.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Directus {
    /// Reads the main server's description from the environment and logs in as the admin.
    ///
    /// # Panics
    /// When a variable is missing (with what to do), or the server does not answer.
    pub fn connect() -> Directus {
        Directus::connect_to(VARIABLES[0], Some(VARIABLES[3]))
    }

    /// The second server (a fresh one, for schema migrations), as [`Directus::connect`].
    pub fn connect_second() -> Directus {
        Directus::connect_to(SECOND[0], Some(SECOND[1]))
    }

    /// The PostgreSQL server (for the trigger tests; no mail directory), as
    /// [`Directus::connect`].
    pub fn connect_postgres() -> Directus {
        Directus::connect_to(POSTGRES, None)
    }

    fn connect_to(url_variable: &str, mail_variable: Option<&str>) -> Directus {
        let missing: Vec<&str> = [url_variable, VARIABLES[1], VARIABLES[2]]
            .into_iter()
            .chain(mail_variable)
            .filter(|v| std::env::var(v).map_or(true, |s| s.trim().is_empty()))
            .collect();
        assert!(
            missing.is_empty(),
            "The Directus end-to-end tests need the real Directus server that scripts/test \
             starts, but {} not set. Run them with `scripts/test` (e.g. `scripts/test -p \
             noderun --test directus`), or start a server with `eval \"$(scripts/directus-server \
             start --fresh)\"` and export NODERUN_TEST_DIRECTUS_URL=$DIRECTUS_URL \
             NODERUN_TEST_ADMIN_EMAIL=$ADMIN_EMAIL NODERUN_TEST_ADMIN_PASSWORD=$ADMIN_PASSWORD \
             NODERUN_TEST_MAIL_DIR=$MAIL_DIR (and for a second server NODERUN_TEST_DIRECTUS2_URL, \
             NODERUN_TEST_DIRECTUS2_MAIL_DIR; for the PostgreSQL one NODERUN_TEST_DIRECTUS_PG_URL).",
            if missing.len() == 1 {
                format!("{} is", missing[0])
            } else {
                format!("{} are", missing.join(", "))
            }
        );
        let var = |name: &str| std::env::var(name).expect("checked above");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        // No idle connections kept: the runtime only runs during a call, so a connection that
        // Directus closed in between (Node closes idle ones after 5 s) would not be noticed and
        // the next request on it would fail.
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(120))
            .pool_max_idle_per_host(0)
            .build()
            .expect("an HTTP client");
        let mut directus = Directus {
            url: var(url_variable).trim_end_matches('/').to_string(),
            mail_dir: mail_variable.map(|v| PathBuf::from(var(v))),
            runtime,
            http,
            admin_token: String::new(),
        };
        let (email, password) = (
            var("NODERUN_TEST_ADMIN_EMAIL"),
            var("NODERUN_TEST_ADMIN_PASSWORD"),
        );
        // One admin login per server for all the tests of the binary (a login costs the server a
        // password hash), which sets the admin's static token (Directus's `token` field of a
        // user, what a community node credential holds): the tests use it, as it does not
        // expire after 15 minutes as the access token does. One per server and process: setting
        // another would invalidate the one the other tests use.
        static ADMIN_TOKENS: Mutex<BTreeMap<String, String>> = Mutex::new(BTreeMap::new());
        let mut tokens = ADMIN_TOKENS.lock().unwrap_or_else(|e| e.into_inner());
        directus.admin_token = tokens
            .entry(directus.url.clone())
            .or_insert_with(|| {
                let access = directus.login(&email, &password)["access_token"]
                    .as_str()
                    .expect("an access token")
                    .to_string();
                let token = format!("noderun-e2e-{}", unique(""));
                directus.expect(
                    Method::PATCH,
                    "/users/me?fields=id",
                    Some(&access),
                    Some(json!({"token": token})),
                    200,
                );
                token
            })
            .clone();
        drop(tokens);
        directus
    }

    /// One request; the status and the body (JSON, `Null` when empty, else a string).
    pub fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let url = format!("{}{path}", self.url);
        self.runtime.block_on(async {
            let mut request = self.http.request(method.clone(), &url);
            if let Some(t) = token {
                request = request.bearer_auth(t);
            }
            if let Some(b) = &body {
                request = request.json(b);
            }
            let response = request.send().await.unwrap_or_else(|e| {
                panic!("{method} {url}: {e} (does the Directus of scripts/test still run?)")
            });
            let status = response.status().as_u16();
            let bytes = response.bytes().await.expect("a response body");
            let value = if bytes.is_empty() {
                Value::Null
            } else {
                serde_json::from_slice(&bytes)
                    .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
            };
            (status, value)
        })
    }

    /// A request that must answer `want`; its body.
    fn expect(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        want: u16,
    ) -> Value {
        let (status, value) = self.call(method.clone(), path, token, body);
        assert_eq!(status, want, "{method} {path} answered {status}: {value}");
        value
    }

    /// The admin's static token (set once per server by this test binary).
    pub fn admin_token(&self) -> &str {
        &self.admin_token
    }

    /// A request as the admin that must answer `want`; its body.
    pub fn admin(&self, method: Method, path: &str, body: Option<Value>, want: u16) -> Value {
        self.expect(method, path, Some(&self.admin_token), body, want)
    }

    /// The requests the server logged (its own record, `logs/directus.log` beside the mail
    /// directory) as `METHOD /path?query` (the query decoded) that `wanted` keeps, in order;
    /// waits until there are at least `at_least` of them (the log is written as each response
    /// completes), at most 10 s.
    pub fn logged_requests(&self, wanted: impl Fn(&str) -> bool, at_least: usize) -> Vec<String> {
        let log = self
            .mail_dir()
            .parent()
            .expect("the mail directory is in the state directory")
            .join("logs/directus.log");
        let started = std::time::Instant::now();
        loop {
            let text = std::fs::read_to_string(&log)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", log.display()));
            let requests: Vec<String> = text
                .lines()
                .filter_map(|line| serde_json::from_str::<Value>(line).ok())
                .filter(|entry| entry["msg"] == "request completed")
                .filter_map(|entry| {
                    let method = entry["req"]["method"].as_str()?.to_string();
                    let url =
                        reqwest::Url::parse(&format!("http://x{}", entry["req"]["url"].as_str()?))
                            .ok()?;
                    let query: Vec<String> =
                        url.query_pairs().map(|(k, v)| format!("{k}={v}")).collect();
                    let target = if query.is_empty() {
                        url.path().to_string()
                    } else {
                        format!("{}?{}", url.path(), query.join("&"))
                    };
                    let request = format!("{method} {target}");
                    wanted(&request).then_some(request)
                })
                .collect();
            if requests.len() >= at_least || started.elapsed() > Duration::from_secs(10) {
                return requests;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Logs in (json mode); the response's `data`.
    pub fn login(&self, email: &str, password: &str) -> Value {
        self.expect(
            Method::POST,
            "/auth/login",
            None,
            Some(json!({"email": email, "password": password})),
            200,
        )["data"]
            .clone()
    }

    /// A fresh user without a role (role-less users take no licence seat), with a unique email
    /// and a password of at least 12 characters.
    pub fn create_user(&self, tag: &str) -> User {
        let email = unique_email(tag);
        let password = format!("E2e-Passw0rd-{}", unique(""));
        let created = self.admin(
            Method::POST,
            "/users?fields=id",
            Some(json!({"email": email, "password": password, "status": "active"})),
            200,
        );
        User {
            id: created["data"]["id"]
                .as_str()
                .expect("the new user's id")
                .to_string(),
            email,
            password,
        }
    }

    /// The two-factor user with a new secret: created with the admin's role if it does not
    /// exist, else reset (password, status, two-factor off), then two-factor enabled as that
    /// user. Only one test may use it.
    pub fn tfa_user(&self) -> TfaUser {
        let role =
            self.admin(Method::GET, "/users/me?fields=role", None, 200)["data"]["role"].clone();
        let found = self.admin(
            Method::GET,
            &format!("/users?filter[email][_eq]={TFA_EMAIL}&fields=id,role"),
            None,
            200,
        );
        let mut fields = json!({"password": TFA_PASSWORD, "status": "active", "role": role});
        let id = match found["data"][0]["id"].as_str() {
            Some(id) => {
                // Changing a role makes Directus rebuild its schema cache, and requests that
                // arrive meanwhile may fail with 500 on a busy machine: only when needed.
                if found["data"][0]["role"] == fields["role"] {
                    fields.as_object_mut().expect("an object").remove("role");
                }
                self.admin(
                    Method::PATCH,
                    &format!("/users/{id}?fields=id"),
                    Some(fields),
                    200,
                );
                self.admin(
                    Method::POST,
                    &format!("/users/{id}/tfa/disable"),
                    Some(json!({})),
                    204,
                );
                id.to_string()
            }
            None => {
                fields["email"] = json!(TFA_EMAIL);
                self.admin(Method::POST, "/users?fields=id", Some(fields), 200)["data"]["id"]
                    .as_str()
                    .expect("the new user's id")
                    .to_string()
            }
        };
        let token = self.login(TFA_EMAIL, TFA_PASSWORD)["access_token"]
            .as_str()
            .expect("an access token")
            .to_string();
        let generated = self.expect(
            Method::POST,
            "/users/me/tfa/generate",
            Some(&token),
            Some(json!({"password": TFA_PASSWORD})),
            200,
        );
        let secret = generated["data"]["secret"]
            .as_str()
            .expect("a TOTP secret")
            .to_string();
        self.expect(
            Method::POST,
            "/users/me/tfa/enable",
            Some(&token),
            Some(json!({"secret": secret, "otp": current_totp(&secret)})),
            204,
        );
        TfaUser {
            user: User {
                id,
                email: TFA_EMAIL.into(),
                password: TFA_PASSWORD.into(),
            },
            secret,
        }
    }

    /// The id of the user an access token belongs to (`/users/me`: a role-less user may read
    /// nothing else of itself), or the status of the refusal.
    pub fn me(&self, access_token: &str) -> Result<String, u16> {
        match self.call(Method::GET, "/users/me?fields=id", Some(access_token), None) {
            (200, body) => Ok(body["data"]["id"].as_str().unwrap_or_default().into()),
            (status, _) => Err(status),
        }
    }

    /// The id of the user a session token belongs to, or the status of the refusal.
    pub fn me_by_session(&self, session_token: &str) -> Result<String, u16> {
        let url = format!("{}/users/me?fields=id", self.url);
        let (status, body) = self.runtime.block_on(async {
            let response = self
                .http
                .get(&url)
                .header("Cookie", format!("directus_session_token={session_token}"))
                .send()
                .await
                .unwrap_or_else(|e| {
                    panic!("GET {url}: {e} (does the Directus of scripts/test still run?)")
                });
            let status = response.status().as_u16();
            (
                status,
                response.json::<Value>().await.unwrap_or(Value::Null),
            )
        });
        match status {
            200 => Ok(body["data"]["id"].as_str().unwrap_or_default().into()),
            s => Err(s),
        }
    }

    /// Sets the password policy (a regex in Directus's `/…/` form) until the guard is dropped,
    /// which restores the previous one.
    pub fn password_policy(&self, policy: &str) -> SettingsGuard<'_> {
        self.settings(json!({"auth_password_policy": policy}))
    }

    /// Changes the settings in `patch` (an object) until the guard is dropped, which restores
    /// their previous values.
    pub fn settings(&self, patch: Value) -> SettingsGuard<'_> {
        let names: Vec<&str> = patch
            .as_object()
            .expect("settings as an object")
            .keys()
            .map(String::as_str)
            .collect();
        let path = format!("/settings?fields={}", names.join(","));
        let previous = self.admin(Method::GET, &path, None, 200)["data"].clone();
        self.admin(Method::PATCH, &path, Some(patch), 200);
        SettingsGuard {
            directus: self,
            path,
            previous,
        }
    }

    /// The emails with a `?token=` link (password reset, registration) sent to `email`, oldest
    /// first, once there are `count` of them (waits up to 10 s).
    ///
    /// # Panics
    /// When fewer arrive in time.
    pub fn reset_mails(&self, email: &str, count: usize) -> Vec<ResetMail> {
        let started = Instant::now();
        loop {
            let mails = self.mails_to(email);
            if mails.len() >= count {
                return mails;
            }
            assert!(
                started.elapsed() < MAIL_WAIT,
                "{count} emails with a token to {email} expected in {} within {MAIL_WAIT:?}; found {mails:?}",
                self.mail_dir().display()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The directory the server's SMTP sink writes to.
    fn mail_dir(&self) -> &Path {
        self.mail_dir
            .as_deref()
            .expect("a server with a mail directory")
    }

    fn mails_to(&self, email: &str) -> Vec<ResetMail> {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(self.mail_dir())
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", self.mail_dir().display()))
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        // <unix-time>-<sequence>.eml: the name orders them.
        paths.sort();
        paths
            .iter()
            .filter_map(|p| {
                let text = std::fs::read_to_string(p).ok()?;
                let (headers, body) = split_message(&text);
                let to = header(headers, "x-sink-to").or_else(|| header(headers, "to"))?;
                if !to
                    .trim()
                    .trim_matches(['<', '>'])
                    .eq_ignore_ascii_case(email)
                {
                    return None;
                }
                let quoted = header(headers, "content-transfer-encoding")
                    .is_some_and(|e| e.trim().eq_ignore_ascii_case("quoted-printable"));
                let body = if quoted {
                    quoted_printable(body)
                } else {
                    body.to_string()
                };
                Some(reset_link(&body).unwrap_or_else(|| {
                    panic!("the email {} has no link with a token", p.display())
                }))
            })
            .collect()
    }

    /// A credentials file pointing at the server (no static token: the Authentication
    /// operations need none), in a directory of the test's own.
    pub fn credentials_file(&self, test: &str) -> PathBuf {
        let file = scratch(test).join("credentials.json");
        std::fs::write(&file, json!({"url": self.url}).to_string()).expect("write");
        file
    }
}

impl Directus {
    /// A credentials file with the admin's static token (Directus's `token` field of a user,
    /// what a community node credential holds; it does not expire as an access token does), in a
    /// directory of the test's own (`name` tells apart the files of one test).
    pub fn admin_credentials_file(&self, test: &str, name: &str) -> PathBuf {
        let file = scratch(test).join(format!("{name}.json"));
        std::fs::write(
            &file,
            json!({"url": self.url, "accessToken": self.admin_token}).to_string(),
        )
        .expect("write");
        file
    }

    /// Makes the standard test tables (see [`Directus::table`]) named by `tags` that this process
    /// has not made yet on the server; the first call per server drops the tables (`nr_…`) that
    /// earlier runs left there (the Core licence allows 25 collections per server, which is why
    /// the modules with tables of their own beside `resources` use the second server).
    ///
    /// Directus 12.4 rebuilds its schema cache after every schema change, and a rebuild that was
    /// under way while a table was being made is stored anyway (`getSchema` in `@directus/api`),
    /// so requests on the new table then fail (403 "does not exist", 400 "Value is required" for
    /// its auto-increment key) until the next schema change: the tables are made under
    /// [`schema_lock`] and checked through the cache ([`Directus::settle`]).
    pub fn prepare_tables(&self, tags: &[&str]) {
        // (SCHEMA before TABLES, always in this order)
        let _schema = schema_lock();
        let mut made = TABLES.lock().unwrap_or_else(PoisonError::into_inner);
        if !made.contains_key(&self.url) {
            let ours = format!("_{}_", std::process::id());
            let existing = self.admin(Method::GET, "/collections?fields=collection", None, 200);
            for old in existing["data"].as_array().into_iter().flatten() {
                let name = old["collection"].as_str().unwrap_or_default();
                if name.starts_with(TABLE_PREFIX) && !name.contains(&ours) {
                    self.admin(Method::DELETE, &format!("/collections/{name}"), None, 204);
                }
            }
        }
        let tables = made.entry(self.url.clone()).or_default();
        let new: BTreeMap<String, String> = tags
            .iter()
            .filter(|tag| !tables.contains_key(**tag))
            .map(|tag| (tag.to_string(), identifier(tag)))
            .collect();
        if new.is_empty() {
            return;
        }
        // One request for all: each schema change costs Directus a schema rebuild.
        let collections: Vec<Value> = new
            .values()
            .map(|name| {
                json!({
                    "collection": name,
                    "schema": {},
                    "meta": {"sort_field": "sort"},
                    "fields": [
                        {"field": "id", "type": "integer",
                         "schema": {"is_primary_key": true, "has_auto_increment": true}},
                        {"field": "title", "type": "string"},
                        {"field": "rank", "type": "integer"},
                        {"field": "sort", "type": "integer"},
                    ],
                })
            })
            .collect();
        self.admin(
            Method::POST,
            "/collections?fields=collection",
            Some(Value::Array(collections)),
            200,
        );
        for name in new.values() {
            self.settle(name, "id,title,rank,sort");
        }
        tables.extend(new);
    }

    /// The standard test table of `tag` (made by [`Directus::prepare_tables`]): `id`
    /// (auto-increment integer key), `title` (string), `rank` (integer) and `sort` (integer, the
    /// collection's sort field), empty at first.
    ///
    /// # Panics
    /// When `tag` was not prepared.
    pub fn table(&self, tag: &str) -> String {
        TABLES
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&self.url)
            .and_then(|tables| tables.get(tag))
            .unwrap_or_else(|| panic!("no table {tag:?} prepared (prepare_tables first)"))
            .clone()
    }

    /// Creates a collection (`body` as `POST /collections` takes it, with its fields, keyed by
    /// `id`) and waits until Directus's schema cache knows it ([`Directus::settle`]). The caller
    /// holds [`schema_lock`].
    pub fn create_collection(&self, body: Value) {
        self.admin(Method::POST, "/collections", Some(body.clone()), 200);
        self.settle(body["collection"].as_str().expect("a collection name"), "");
    }

    /// Waits until Directus's schema cache knows `collection` with its key `id` ([`key_probe`])
    /// and `fields` (comma-separated, read with a GET; none when empty), clearing the cache
    /// between tries (see [`Directus::prepare_tables`] for why).
    ///
    /// # Panics
    /// When it does not within 10 s.
    pub fn settle(&self, collection: &str, fields: &str) {
        let read = format!("/items/{collection}?limit=0&fields={fields}");
        let write = format!("/items/{collection}");
        let started = Instant::now();
        loop {
            let (status, body) = if fields.is_empty() {
                (200, Value::Null)
            } else {
                self.call(Method::GET, &read, Some(&self.admin_token), None)
            };
            let (probed, answer) = self.call(
                Method::POST,
                &write,
                Some(&self.admin_token),
                Some(key_probe()),
            );
            if status == 200 && key_probe_settled(probed, &answer) {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "collection {collection}: after 10 s of clearing Directus's schema cache, \
                 GET {read} answers {status} {body} and the key probe {probed} {answer}"
            );
            self.admin(Method::POST, "/utils/cache/clear?system", None, 200);
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// A new access policy (Directus 11+: permissions belong to a policy), deleted with its
    /// permissions when the guard is dropped. Made here because the node has no policies
    /// resource.
    pub fn policy(&self, name: &str) -> (String, Dropper<'_>) {
        let created = self.admin(
            Method::POST,
            "/policies?fields=id",
            Some(
                json!({"name": name, "icon": "badge", "app_access": false, "admin_access": false}),
            ),
            200,
        );
        let id = created["data"]["id"]
            .as_str()
            .expect("the new policy's id")
            .to_string();
        let dropper = self.dropper(format!("/policies/{id}"));
        (id, dropper)
    }

    /// A guard that sends `DELETE path` as the admin when dropped (a 403 or 404 answer is
    /// fine: the test may have deleted it already).
    pub fn dropper(&self, path: String) -> Dropper<'_> {
        Dropper {
            directus: self,
            path,
            keys: None,
        }
    }

    /// A guard that deletes the records `keys` of a collection path (e.g. `/users`) in one
    /// request when dropped (those already deleted are ignored by Directus).
    pub fn keys_dropper(&self, path: &str, keys: &[Value]) -> Dropper<'_> {
        Dropper {
            directus: self,
            path: path.to_string(),
            keys: Some(Value::Array(keys.to_vec())),
        }
    }
}

/// Deletes what it names when dropped (also when the test fails).
pub struct Dropper<'a> {
    directus: &'a Directus,
    path: String,
    keys: Option<Value>,
}

impl Drop for Dropper<'_> {
    fn drop(&mut self) {
        let (status, body) = self.directus.call(
            Method::DELETE,
            &self.path,
            Some(&self.directus.admin_token),
            self.keys.clone(),
        );
        if ![204, 403, 404].contains(&status) && !std::thread::panicking() {
            panic!("DELETE {} answered {status}: {body}", self.path);
        }
    }
}

/// The standard tables this test binary has made, by server URL and tag
/// ([`Directus::prepare_tables`]).
static TABLES: Mutex<BTreeMap<String, BTreeMap<String, String>>> = Mutex::new(BTreeMap::new());

/// How the names of [`identifier`] begin.
const TABLE_PREFIX: &str = "nr_";

/// A name for a table, a field or a record that no other call (in this or another run)
/// gives: lower case letters, digits and `_` only, `tag` first.
pub fn identifier(tag: &str) -> String {
    unique(&format!("{TABLE_PREFIX}{tag}_")).replace('-', "_")
}

impl Directus {
    /// Saves the settings `fields` (comma-separated) until the guard is dropped, which puts them
    /// back.
    pub fn save_settings(&self, fields: &str) -> SettingsGuard<'_> {
        let path = format!("/settings?fields={fields}");
        let previous = self.admin(Method::GET, &path, None, 200)["data"].clone();
        SettingsGuard {
            directus: self,
            path,
            previous,
        }
    }
}

/// Deletes a collection of a test when dropped (also when the test fails): the Core licence
/// allows 25 collections per server, and the tests of the binary run side by side.
pub struct CollectionGuard<'a> {
    directus: &'a Directus,
    name: String,
}

impl Directus {
    /// Deletes `collection` when the guard is dropped (a collection that is not there, as one
    /// the test failed before making, is fine).
    pub fn dropping(&self, collection: &str) -> CollectionGuard<'_> {
        CollectionGuard {
            directus: self,
            name: collection.to_string(),
        }
    }
}

impl Drop for CollectionGuard<'_> {
    fn drop(&mut self) {
        let _schema = schema_lock();
        let path = format!("/collections/{}", self.name);
        let (status, body) = self.directus.call(
            Method::DELETE,
            &path,
            Some(&self.directus.admin_token),
            None,
        );
        if ![204, 403].contains(&status) && !std::thread::panicking() {
            panic!("DELETE {path} answered {status}: {body}");
        }
    }
}

/// Restores the settings it changed when dropped (also when the test fails).
pub struct SettingsGuard<'a> {
    directus: &'a Directus,
    path: String,
    previous: Value,
}

impl Drop for SettingsGuard<'_> {
    fn drop(&mut self) {
        let (status, body) = self.directus.call(
            Method::PATCH,
            &self.path,
            Some(&self.directus.admin_token),
            Some(self.previous.clone()),
        );
        if status != 200 && !std::thread::panicking() {
            panic!(
                "restoring the settings ({}) answered {status}: {body}",
                self.path
            );
        }
    }
}

/// A directory of the test's own under Cargo's scratch directory.
pub fn scratch(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("directus_e2e")
        .join(test);
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

/// A string no other call (in this or another run) gives: `tag`, the process, the time and a
/// counter.
pub fn unique(tag: &str) -> String {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_nanos();
    format!(
        "{tag}{}-{nanos:x}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// A unique address for a new user.
pub fn unique_email(tag: &str) -> String {
    format!("e2e-{}@example.com", unique(&format!("{tag}-")))
}

// ---------------------------------------------------------------------------------------------
// Emails

fn split_message(text: &str) -> (&str, &str) {
    text.split_once("\r\n\r\n")
        .or_else(|| text.split_once("\n\n"))
        .unwrap_or((text, ""))
}

fn header<'a>(headers: &'a str, name: &str) -> Option<&'a str> {
    headers.lines().find_map(|line| {
        let (n, v) = line.split_once(':')?;
        n.trim().eq_ignore_ascii_case(name).then_some(v.trim())
    })
}

/// Decodes a quoted-printable body: soft line breaks (`=` at a line's end) removed, `=XX`
/// turned into the byte.
pub fn quoted_printable(text: &str) -> String {
    let bytes = text.as_bytes();
    let hex = |b: u8| (b as char).to_digit(16);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' {
            let rest = &bytes[i + 1..];
            if rest.starts_with(b"\r\n") {
                i += 3;
                continue;
            }
            if rest.starts_with(b"\n") {
                i += 2;
                continue;
            }
            if let (Some(&h), Some(&l)) = (rest.first(), rest.get(1))
                && let (Some(h), Some(l)) = (hex(h), hex(l))
            {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The first `…?token=<token>` link of a (decoded) email body.
fn reset_link(body: &str) -> Option<ResetMail> {
    let token_char = |c: char| c.is_ascii_alphanumeric() || "-_.".contains(c);
    let at = body.find("?token=")?;
    let start = body[..at]
        .rfind(|c: char| c == '"' || c == '\'' || c == '>' || c.is_whitespace())
        .map_or(0, |p| p + 1);
    let rest = &body[at + "?token=".len()..];
    let end = rest.find(|c: char| !token_char(c)).unwrap_or(rest.len());
    Some(ResetMail {
        page: body[start..at].to_string(),
        token: rest[..end].to_string(),
    })
}

// ---------------------------------------------------------------------------------------------
// Tokens

/// The claims of a JWT (its middle part, base64url-decoded).
///
/// # Panics
/// When `token` is not three dot-separated parts with a JSON object in the middle.
pub fn jwt_claims(token: &str) -> Value {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "not a JWT (3 dot-separated parts): {token}");
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut bits = 0u32;
    let mut count = 0;
    let mut bytes = Vec::new();
    for c in parts[1].bytes() {
        let v = alphabet
            .iter()
            .position(|a| *a == c)
            .unwrap_or_else(|| panic!("not base64url: {}", parts[1])) as u32;
        bits = (bits << 6) | v;
        count += 6;
        if count >= 8 {
            count -= 8;
            bytes.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    let claims: Value = serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("the JWT's claims are not JSON ({e}): {token}"));
    assert!(claims.is_object(), "the JWT's claims: {claims}");
    claims
}

/// The RFC 6238 one-time password (SHA-1, 30 s, 6 digits) of a base32 secret at `unix_time`.
pub fn totp(secret: &str, unix_time: u64) -> String {
    use hmac::{KeyInit, Mac};
    let key = base32(secret);
    let mut mac =
        hmac::Hmac::<sha1::Sha1>::new_from_slice(&key).expect("HMAC takes keys of any length");
    mac.update(&(unix_time / 30).to_be_bytes());
    let hash = mac.finalize().into_bytes();
    let offset = (hash[hash.len() - 1] & 0x0f) as usize;
    let code = u32::from_be_bytes([
        hash[offset],
        hash[offset + 1],
        hash[offset + 2],
        hash[offset + 3],
    ]) & 0x7fff_ffff;
    format!("{:06}", code % 1_000_000)
}

/// The current one-time password, with at least 15 s of its 30 s step left (waits for the next
/// step otherwise), so that it is still valid when the server checks it.
pub fn current_totp(secret: &str) -> String {
    loop {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("a clock after 1970");
        let left = 30.0 - (now.as_secs_f64() % 30.0);
        if left >= 15.0 {
            return totp(secret, now.as_secs());
        }
        std::thread::sleep(Duration::from_secs_f64(left + 0.2));
    }
}

/// RFC 4648 base32 (padding optional, case-insensitive).
fn base32(text: &str) -> Vec<u8> {
    let mut bits = 0u64;
    let mut count = 0;
    let mut out = Vec::new();
    for c in text.trim_end_matches('=').chars() {
        let v = match c.to_ascii_uppercase() {
            c @ 'A'..='Z' => c as u64 - 'A' as u64,
            c @ '2'..='7' => c as u64 - '2' as u64 + 26,
            other => panic!("not base32: {other:?} in {text}"),
        };
        bits = (bits << 5) | v;
        count += 5;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    out
}

#[test]
fn totp_matches_rfc_6238() {
    // RFC 6238 appendix B, SHA-1, secret "12345678901234567890": the last 6 of its 8 digits.
    let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    assert_eq!(totp(secret, 59), "287082");
    assert_eq!(totp(secret, 1_111_111_109), "081804");
    assert_eq!(totp(secret, 2_000_000_000), "279037");
}

#[test]
fn quoted_printable_and_reset_links() {
    let body = "<a href=3D\"http://127.0.0.=\r\n1:3000/reset-password?token=3DeyJ.ab=\ncd.x_y-z\"\r\nstyle";
    let decoded = quoted_printable(body);
    assert_eq!(
        decoded,
        "<a href=\"http://127.0.0.1:3000/reset-password?token=eyJ.abcd.x_y-z\"\r\nstyle"
    );
    assert_eq!(
        reset_link(&decoded),
        Some(ResetMail {
            page: ALLOWED_RESET_URL.into(),
            token: "eyJ.abcd.x_y-z".into()
        })
    );
}
