//! Secrets (access token, passwords, refresh tokens, OTPs) never appear in logs at any level,
//! in error messages or in Debug output, whatever the server sends back: whole flows run with
//! `RUST_LOG=trace` and every byte written is searched.

use crate::support;

use serde_json::json;
use support::noderun_with_env;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const ACCESS_TOKEN: &str = "STATIC-access-token-4f9a";
const PASSWORD: &str = "Pa55word-never-logged";
const OTP: &str = "864213";
const REFRESH: &str = "refresh-token-8c1e2d";
const RESET_TOKEN: &str = "reset-jwt-55aa66bb";
const SECRETS: [&str; 5] = [ACCESS_TOKEN, PASSWORD, OTP, REFRESH, RESET_TOKEN];

/// A server that echoes the secrets it receives in its error bodies and cookies, as a careless
/// (or Directus's own password-policy) error does.
async fn echoing_server() -> MockServer {
    let server = MockServer::start().await;
    let echo = |status: u16| {
        ResponseTemplate::new(status)
            .insert_header("set-cookie", format!("directus_refresh_token={REFRESH}; Path=/; HttpOnly"))
            .set_body_json(json!({"errors": [{
                "message": format!("Validation failed for \"{PASSWORD}\" with otp {OTP}, token {REFRESH}, reset {RESET_TOKEN}, bearer {ACCESS_TOKEN}"),
                "extensions": {"code": "FAILED_VALIDATION", "invalid": PASSWORD}
            }]}))
    };
    for (p, status) in [
        ("/auth/login", 400),
        ("/auth/refresh", 401),
        ("/auth/password/reset", 400),
    ] {
        Mock::given(method("POST"))
            .and(path(p))
            .respond_with(echo(status))
            .mount(&server)
            .await;
    }
    Mock::given(method("POST"))
        .and(path("/auth/logout"))
        .respond_with(
            ResponseTemplate::new(500)
                .set_body_string(format!("internal error near {REFRESH} / {ACCESS_TOKEN}")),
        )
        .mount(&server)
        .await;
    server
}

fn run(
    url: &str,
    operation: &str,
    parameters: serde_json::Value,
    stdin: &str,
    extra: &[&str],
) -> (String, String) {
    let dir = std::env::temp_dir().join(format!(
        "noderun-secrets-{}-{operation}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let creds = dir.join("credentials.json");
    std::fs::write(
        &creds,
        json!({"url": url, "accessToken": ACCESS_TOKEN}).to_string(),
    )
    .unwrap();
    let parameters = parameters.to_string();
    let creds = creds.to_string_lossy().into_owned();
    let mut args = vec![
        "-vvv",
        "run",
        "directus",
        "--resource",
        "auth",
        "--operation",
        operation,
    ];
    args.extend(["--parameters", &parameters, "--credentials", &creds]);
    args.extend(extra);
    let out = noderun_with_env(&args, &[("RUST_LOG", "trace")], stdin);
    (out.stdout, out.stderr)
}

fn assert_clean(what: &str, text: &str, secrets: &[&str]) {
    for secret in secrets {
        assert!(
            !text.contains(secret),
            "{what} contains the secret {secret:?}:\n{text}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_reaches_logs_or_error_messages_at_trace_level() {
    let server = echoing_server().await;
    let url = server.uri();
    let items = format!(
        "{}\n",
        json!({"password": PASSWORD, "otp": OTP, "rt": REFRESH, "token": RESET_TOKEN})
    );
    // Each flow with the secrets it sends: those must not come back in its messages (the
    // server cannot echo what it was not sent); no secret at all may reach the logs.
    let flows = [
        (
            "login",
            json!({"email": "a@example.com", "password": "={{ $json.password }}", "additionalFields": {"otp": "={{ $json.otp }}"}}),
            vec![ACCESS_TOKEN, PASSWORD, OTP],
        ),
        (
            "refreshToken",
            json!({"refreshToken": "={{ $json.rt }}", "additionalFields": {"mode": "cookie"}}),
            vec![ACCESS_TOKEN, REFRESH],
        ),
        (
            "logout",
            json!({"refreshToken": "={{ $json.rt }}"}),
            vec![ACCESS_TOKEN, REFRESH],
        ),
        (
            "resetPassword",
            json!({"token": "={{ $json.token }}", "password": "={{ $json.password }}"}),
            vec![ACCESS_TOKEN, RESET_TOKEN, PASSWORD],
        ),
    ];
    for (operation, parameters, sent) in flows {
        // Continued: the error goes to stdout as an item; stopped: to stderr as the run's error.
        let (stdout, stderr) = run(
            &url,
            operation,
            parameters.clone(),
            &items,
            &["--continue-on-fail"],
        );
        assert!(stdout.contains("\"error\""), "{operation}: {stdout}");
        assert!(
            stderr.contains("TRACE") || stderr.contains("DEBUG"),
            "no trace logs were written: {stderr}"
        );
        assert_clean(&format!("{operation} stderr"), &stderr, &SECRETS);
        assert_clean(&format!("{operation} error item"), &stdout, &sent);
        let (stdout, stderr) = run(&url, operation, parameters, &items, &[]);
        assert!(stderr.contains("noderun: error: item 0:"), "{stderr}");
        let (logs, message): (Vec<&str>, Vec<&str>) = stderr
            .lines()
            .partition(|l| !l.starts_with("noderun: error:"));
        assert_clean(
            &format!("{operation} logs (stopped)"),
            &logs.join("\n"),
            &SECRETS,
        );
        assert_clean(
            &format!("{operation} run error (stopped)"),
            &message.join("\n"),
            &sent,
        );
        assert_clean(&format!("{operation} stdout (stopped)"), &stdout, &SECRETS);
    }
    // The JSON/RAW body's values are not known as secrets; the static token still is, and
    // nothing reaches the logs.
    let raw = json!({"jsonParameters": true, "bodyParametersJson": {"email": "a@example.com", "password": "x"}});
    let (_, stderr) = run(&url, "login", raw, &items, &["--continue-on-fail"]);
    assert_clean("raw login stderr", &stderr, &SECRETS);
    // The redaction keeps the rest of the message useful: only what this item sent is masked.
    let (stdout, _) = run(
        &url,
        "login",
        json!({"email": "a@example.com", "password": PASSWORD}),
        "{}\n",
        &["--continue-on-fail"],
    );
    let item: serde_json::Value = serde_json::from_str(stdout.lines().next().unwrap()).unwrap();
    assert_eq!(
        item["json"]["error"],
        "Validation failed for \"***\" with otp 864213, token refresh-token-8c1e2d, reset reset-jwt-55aa66bb, bearer *** (HTTP 400, FAILED_VALIDATION)"
    );
}

#[test]
fn credentials_debug_is_redacted() {
    let registry = noderun_definitions::Registry::embedded().unwrap();
    let credential_type = registry.credential("directusApi").unwrap();
    let fields = json!({"url": "http://127.0.0.1:8055", "accessToken": ACCESS_TOKEN})
        .as_object()
        .unwrap()
        .clone();
    let credentials = noderun_executor::Credentials::new(credential_type, fields).unwrap();
    let debug = format!("{credentials:?}");
    assert_eq!(
        debug,
        "Credentials { type: \"directusApi\", url: String(\"http://127.0.0.1:8055\"), accessToken: <redacted> }"
    );
}

#[test]
fn invocation_runner_and_request_debug_show_no_values() {
    let registry = std::sync::Arc::new(noderun_definitions::Registry::embedded().unwrap());
    let invocation = noderun_executor::Invocation {
        node: "directus".into(),
        parameters: json!({"resource": "auth", "operation": "login", "email": "a@example.com", "password": PASSWORD})
            .as_object()
            .unwrap()
            .clone(),
        credentials: json!({"url": "http://127.0.0.1:9", "accessToken": ACCESS_TOKEN}).as_object().unwrap().clone(),
        settings: noderun_executor::Settings::default(),
    };
    let debug = format!("{invocation:?}");
    assert!(debug.starts_with(
        "Invocation { node: \"directus\", parameters: [\"resource\", \"operation\", \"email\", \"password\"], credentials: [\"url\", \"accessToken\"], settings: Settings {"
    ), "{debug}");
    let runner = noderun_executor::Runner::new(registry, invocation).unwrap();
    let debug = format!("{runner:?}");
    assert!(
        debug.contains("Plan { node: \"directus\", resource: \"auth\", operation: \"login\", .. }"),
        "{debug}"
    );
    assert_clean("Runner Debug", &debug, &SECRETS);
    let spec = noderun_executor::RequestSpec {
        method: noderun_definitions::model::Method::Post,
        url: format!("http://127.0.0.1:9/auth/refresh?otp={OTP}"),
        headers: vec![("Authorization".into(), format!("Bearer {ACCESS_TOKEN}"))],
        body: Some(json!({"refresh_token": REFRESH})),
        follow_redirects: true,
        files: Vec::new(),
        encoding: None,
    };
    assert_eq!(
        format!("{spec:?}"),
        "RequestSpec { method: Post, path: \"http://127.0.0.1:9/auth/refresh\", headers: [\"Authorization\"], body: Some(\"<hidden>\") }"
    );
}

/// A dry run shows the whole request, headers included, with every secret as `***`: the
/// credential's token (Authorization), password-type parameters (also in a collection, and the
/// keys they are sent as inside a raw JSON body), cookies; `--show-secrets` shows them in clear.
#[test]
fn dry_runs_hide_every_secret_unless_asked() {
    let dry_run = |operation: &str, parameters: serde_json::Value, stdin: &str, extra: &[&str]| {
        let (resource, operation) = operation.split_once(' ').unwrap();
        let parameters = parameters.to_string();
        let mut args = vec![
            "run",
            "directus",
            "--resource",
            resource,
            "--operation",
            operation,
            "--dry-run",
            "-q",
            "--parameters",
            &parameters,
        ];
        args.extend(extra);
        let out = noderun_with_env(
            &args,
            &[
                ("DIRECTUS_URL", "http://127.0.0.1:9"),
                ("DIRECTUS_TOKEN", ACCESS_TOKEN),
            ],
            stdin,
        );
        assert_eq!((out.code, out.stderr.as_str()), (0, ""), "{operation}");
        out.stdout
    };
    let login = json!({"email": "={{ $json.email }}", "password": "={{ $json.password }}", "additionalFields": {"otp": "={{ $json.otp }}"}});
    let item = format!(
        "{}\n",
        json!({"email": "a@b.c", "password": PASSWORD, "otp": OTP})
    );
    assert_eq!(
        dry_run("auth login", login.clone(), &item, &[]),
        "{\"json\":{\"method\":\"POST\",\"url\":\"http://127.0.0.1:9/auth/login\",\"headers\":{\"Accept\":\"application/json\",\"Authorization\":\"Bearer ***\",\"Content-Type\":\"application/json\"},\"body\":{\"email\":\"a@b.c\",\"password\":\"***\",\"otp\":\"***\"}},\"pairedItem\":{\"item\":0}}\n"
    );
    assert_eq!(
        dry_run("auth login", login, &item, &["--show-secrets"]),
        format!(
            "{{\"json\":{{\"method\":\"POST\",\"url\":\"http://127.0.0.1:9/auth/login\",\"headers\":{{\"Accept\":\"application/json\",\"Authorization\":\"Bearer {ACCESS_TOKEN}\",\"Content-Type\":\"application/json\"}},\"body\":{{\"email\":\"a@b.c\",\"password\":\"{PASSWORD}\",\"otp\":\"{OTP}\"}}}},\"pairedItem\":{{\"item\":0}}}}\n"
        )
    );
    // A raw JSON body: the keys the operation's secret parameters are sent as.
    let raw = json!({"jsonParameters": true, "bodyParametersJson": "={{ JSON.stringify($json) }}"});
    assert_eq!(
        dry_run(
            "users create",
            raw,
            &format!(
                "{}\n",
                json!({"email": "x@y.z", "password": PASSWORD, "role": null})
            ),
            &[]
        ),
        "{\"json\":{\"method\":\"POST\",\"url\":\"http://127.0.0.1:9/users\",\"headers\":{\"Accept\":\"application/json\",\"Authorization\":\"Bearer ***\",\"Content-Type\":\"application/json\"},\"body\":{\"email\":\"x@y.z\",\"password\":\"***\",\"role\":null}},\"pairedItem\":{\"item\":0}}\n"
    );
    // The refresh token as a cookie: its name shown, its value hidden.
    assert_eq!(
        dry_run(
            "auth refreshToken",
            json!({"refreshToken": "={{ $json.rt }}", "additionalFields": {"mode": "cookie"}}),
            &format!("{}\n", json!({"rt": REFRESH})),
            &[]
        ),
        "{\"json\":{\"method\":\"POST\",\"url\":\"http://127.0.0.1:9/auth/refresh\",\"headers\":{\"Accept\":\"application/json\",\"Cookie\":\"directus_refresh_token=***\",\"Authorization\":\"Bearer ***\",\"Content-Type\":\"application/json\"},\"body\":{\"mode\":\"cookie\"}},\"pairedItem\":{\"item\":0}}\n"
    );
    // A secret in the query string, percent-encoded or not.
    let token = "a b/c+d";
    assert_eq!(
        dry_run(
            "users verifyEmail",
            json!({"token": "={{ $json.token }}"}),
            &format!("{}\n", json!({"token": token})),
            &[]
        ),
        "{\"json\":{\"method\":\"GET\",\"url\":\"http://127.0.0.1:9/users/register/verify-email?token=***\",\"headers\":{\"Accept\":\"application/json\",\"Authorization\":\"Bearer ***\"},\"body\":null},\"pairedItem\":{\"item\":0}}\n"
    );
    // --show-secrets is for dry runs only.
    let out = noderun_with_env(
        &[
            "run",
            "directus",
            "--resource",
            "server",
            "--operation",
            "ping",
            "--show-secrets",
        ],
        &[("DIRECTUS_URL", "http://127.0.0.1:9")],
        "{}\n",
    );
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .starts_with("error: the following required arguments were not provided:\n  --dry-run"),
        "{}",
        out.stderr
    );
}
