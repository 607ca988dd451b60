//! End to end against a REAL Directus: the `noderun` binary run as a user runs it (NDJSON on
//! stdin, output items on stdout) against the Directus 12 server that `scripts/test` starts and
//! describes with NODERUN_TEST_DIRECTUS_URL, NODERUN_TEST_ADMIN_EMAIL,
//! NODERUN_TEST_ADMIN_PASSWORD and NODERUN_TEST_MAIL_DIR. Without them every test here fails
//! and says to run `scripts/test`.
//!
//! Each test makes what it needs through the admin API (`support::directus`): fresh role-less
//! users with unique emails, so the tests are independent of each other and of earlier runs
//! against the same server. Outputs are asserted exactly: whole items for errors; for items
//! carrying random tokens, the exact keys, `pairedItem`, the fixed values and the tokens' shape
//! (and that they work).

use crate::support;

use std::collections::HashSet;
use std::path::Path;

use serde_json::{Value, json};
use support::directus::{
    ALLOWED_RESET_URL, Directus, User, current_totp, jwt_claims, scratch, unique, unique_email,
};
use support::{assert_output, error_item, keys, ndjson, noderun, noderun_with_env, parse_lines};

const INVALID_CREDENTIALS: &str = "Invalid user credentials. (HTTP 401, INVALID_CREDENTIALS)";
const INVALID_OTP: &str = "Invalid user OTP. (HTTP 401, INVALID_OTP)";
const WRONG_PASSWORD: &str = "Wrong-Passw0rd-123";
const SUCCESS: &str = r#"{"json":{"success":true},"pairedItem":{"item":0}}"#;

/// `run directus --resource auth --operation OP --parameters P --credentials C -q EXTRA...`
fn auth(operation: &str, parameters: &Value, credentials: &Path, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = [
        "run",
        "directus",
        "--resource",
        "auth",
        "--operation",
        operation,
        "--parameters",
    ]
    .map(String::from)
    .into();
    args.push(parameters.to_string());
    args.push("--credentials".into());
    args.push(credentials.to_str().expect("a UTF-8 path").into());
    args.push("-q".into());
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

/// A JWT of `user`, as a string.
fn assert_jwt(value: &Value, user: &User) -> String {
    let token = value
        .as_str()
        .unwrap_or_else(|| panic!("not a string: {value}"));
    assert_eq!(
        jwt_claims(token)["id"],
        json!(user.id),
        "the JWT is not {}'s",
        user.email
    );
    token.to_string()
}

/// A json- or cookie-mode login or refresh of `user` for input `index`: exactly `expires`
/// 900000 (ms), an access token (a JWT of the user) and a refresh token (64 characters).
/// Returns both tokens.
fn assert_tokens(item: &Value, index: usize, user: &User) -> (String, String) {
    let json = assert_output(item, index);
    assert_eq!(
        keys(json),
        ["access_token", "expires", "refresh_token"],
        "{item}"
    );
    assert_eq!(json["expires"], json!(900000), "{item}");
    let access = assert_jwt(&json["access_token"], user);
    let refresh = json["refresh_token"]
        .as_str()
        .unwrap_or_else(|| panic!("no refresh token: {item}"));
    assert_eq!(refresh.len(), 64, "{item}");
    assert!(
        refresh
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
        "{item}"
    );
    (access, refresh.to_string())
}

/// A session-mode login or refresh of `user` for input `index`: exactly `expires` 86400000 (ms)
/// and the session token (a JWT of the user), which it returns.
fn assert_session(item: &Value, index: usize, user: &User) -> String {
    let json = assert_output(item, index);
    assert_eq!(keys(json), ["expires", "session_token"], "{item}");
    assert_eq!(json["expires"], json!(86400000), "{item}");
    assert_jwt(&json["session_token"], user)
}

fn invalid_credentials(index: usize) -> Value {
    error_item(index, INVALID_CREDENTIALS, 401, "INVALID_CREDENTIALS")
}

fn email_and_password(user: &User) -> Value {
    json!({"email": user.email, "password": user.password})
}

const LOGIN: &str = r#"{"email":"={{ $json.email }}","password":"={{ $json.password }}"}"#;

fn login_parameters() -> Value {
    serde_json::from_str(LOGIN).expect("JSON")
}

// ---------------------------------------------------------------------------------------------
// Log in

#[test]
fn login_in_every_mode_with_two_factor_and_failures() {
    let directus = Directus::connect();
    let creds = directus.credentials_file("login");
    let user = directus.create_user("login");
    let throwaway = directus.create_user("login-wrong");
    let tfa = directus.tfa_user();

    // One batch: the three modes, a wrong password, an unknown user, a two-factor user without
    // an OTP.
    let mut parameters = login_parameters();
    parameters["additionalFields"] = json!({"mode": "={{ $json.mode }}"});
    let input = ndjson(&[
        json!({"email": user.email, "password": user.password, "mode": "json"}),
        json!({"email": user.email, "password": user.password, "mode": "session"}),
        json!({"email": user.email, "password": user.password, "mode": "cookie"}),
        json!({"email": throwaway.email, "password": WRONG_PASSWORD, "mode": "json"}),
        json!({"email": unique_email("nobody"), "password": WRONG_PASSWORD, "mode": "json"}),
        json!({"email": tfa.user.email, "password": tfa.user.password, "mode": "json"}),
    ]);
    let out = noderun(
        &auth("login", &parameters, &creds, &["--continue-on-fail"]),
        &input,
    );
    assert_eq!((out.code, out.stderr.as_str()), (0, ""));
    let items = out.items();
    assert_eq!(items.len(), 6, "{}", out.stdout);
    let (access, _) = assert_tokens(&items[0], 0, &user);
    assert_eq!(directus.me(&access), Ok(user.id.clone()));
    let session = assert_session(&items[1], 1, &user);
    assert_eq!(directus.me_by_session(&session), Ok(user.id.clone()));
    let (access, _) = assert_tokens(&items[2], 2, &user);
    assert_eq!(directus.me(&access), Ok(user.id.clone()));
    assert_eq!(items[3], invalid_credentials(3));
    assert_eq!(items[4], invalid_credentials(4));
    assert_eq!(items[5], error_item(5, INVALID_OTP, 401, "INVALID_OTP"));

    // With an OTP: the right one, a wrong one, and one for a user without two-factor (ignored).
    let otp = current_totp(&tfa.secret);
    let wrong = format!(
        "{:06}",
        (otp.parse::<u32>().expect("digits") + 1) % 1_000_000
    );
    let mut parameters = login_parameters();
    parameters["additionalFields"] = json!({"otp": "={{ $json.otp }}"});
    let input = ndjson(&[
        json!({"email": tfa.user.email, "password": tfa.user.password, "otp": otp}),
        json!({"email": tfa.user.email, "password": tfa.user.password, "otp": wrong}),
        json!({"email": user.email, "password": user.password, "otp": "123456"}),
    ]);
    let out = noderun(
        &auth("login", &parameters, &creds, &["--continue-on-fail"]),
        &input,
    );
    assert_eq!((out.code, out.stderr.as_str()), (0, ""));
    let items = out.items();
    assert_eq!(items.len(), 3, "{}", out.stdout);
    let (access, _) = assert_tokens(&items[0], 0, &tfa.user);
    assert_eq!(directus.me(&access), Ok(tfa.user.id.clone()));
    assert_eq!(items[1], error_item(1, INVALID_OTP, 401, "INVALID_OTP"));
    assert_tokens(&items[2], 2, &user);
}

// ---------------------------------------------------------------------------------------------
// Chains: login → refresh → logout → refresh fails

#[test]
fn json_mode_chain() {
    let directus = Directus::connect();
    let creds = directus.credentials_file("chain_json");
    let user = directus.create_user("chain-json");
    let refresh = json!({"refreshToken": "={{ $json.refresh_token }}"});

    let login = noderun(
        &auth("login", &login_parameters(), &creds, &[]),
        ndjson(&[email_and_password(&user)]),
    );
    assert_eq!((login.code, login.stderr.as_str()), (0, ""));
    let (_, first) = assert_tokens(&login.items()[0], 0, &user);

    let refreshed = noderun(&auth("refreshToken", &refresh, &creds, &[]), &login.stdout);
    assert_eq!((refreshed.code, refreshed.stderr.as_str()), (0, ""));
    assert_eq!(refreshed.lines().len(), 1, "{}", refreshed.stdout);
    let (access, second) = assert_tokens(&refreshed.items()[0], 0, &user);
    assert_ne!(first, second, "the refresh token is rotated");
    assert_eq!(directus.me(&access), Ok(user.id.clone()));

    let logout = noderun(&auth("logout", &refresh, &creds, &[]), &refreshed.stdout);
    assert_eq!((logout.code, logout.stderr.as_str()), (0, ""));
    assert_eq!(logout.lines(), [SUCCESS]);

    // The logged-out token, then the rotated one.
    let again = noderun(
        &auth("refreshToken", &refresh, &creds, &["--continue-on-fail"]),
        format!("{}{}", refreshed.stdout, login.stdout),
    );
    assert_eq!((again.code, again.stderr.as_str()), (0, ""));
    assert_eq!(
        again.items(),
        [invalid_credentials(0), invalid_credentials(1)]
    );
}

#[test]
fn session_mode_chain() {
    let directus = Directus::connect();
    let creds = directus.credentials_file("chain_session");
    let user = directus.create_user("chain-session");
    let mut parameters = login_parameters();
    parameters["additionalFields"] = json!({"mode": "session"});
    let refresh = json!({
        "refreshToken": "={{ $json.session_token }}",
        "additionalFields": {"mode": "session"}
    });

    let login = noderun(
        &auth("login", &parameters, &creds, &[]),
        ndjson(&[email_and_password(&user)]),
    );
    assert_eq!((login.code, login.stderr.as_str()), (0, ""));
    let first = assert_session(&login.items()[0], 0, &user);

    let refreshed = noderun(&auth("refreshToken", &refresh, &creds, &[]), &login.stdout);
    assert_eq!((refreshed.code, refreshed.stderr.as_str()), (0, ""));
    assert_eq!(refreshed.lines().len(), 1, "{}", refreshed.stdout);
    let second = assert_session(&refreshed.items()[0], 0, &user);
    assert_ne!(first, second, "the session token is rotated");
    assert_eq!(directus.me_by_session(&second), Ok(user.id.clone()));

    let logout = noderun(&auth("logout", &refresh, &creds, &[]), &refreshed.stdout);
    assert_eq!((logout.code, logout.stderr.as_str()), (0, ""));
    assert_eq!(logout.lines(), [SUCCESS]);
    assert_eq!(directus.me_by_session(&second), Err(401));

    // (The first session token is not tried: Directus keeps a rotated session usable for a
    // grace period, even after the new one logged out.)
    let again = noderun(
        &auth("refreshToken", &refresh, &creds, &["--continue-on-fail"]),
        &refreshed.stdout,
    );
    assert_eq!((again.code, again.stderr.as_str()), (0, ""));
    assert_eq!(again.items(), [invalid_credentials(0)]);
}

#[test]
fn cookie_mode_chain() {
    let directus = Directus::connect();
    let creds = directus.credentials_file("chain_cookie");
    let user = directus.create_user("chain-cookie");
    let mut parameters = login_parameters();
    parameters["additionalFields"] = json!({"mode": "cookie"});
    let refresh = json!({
        "refreshToken": "={{ $json.refresh_token }}",
        "additionalFields": {"mode": "cookie"}
    });

    let login = noderun(
        &auth("login", &parameters, &creds, &[]),
        ndjson(&[email_and_password(&user)]),
    );
    assert_eq!((login.code, login.stderr.as_str()), (0, ""));
    let (_, first) = assert_tokens(&login.items()[0], 0, &user);

    let refreshed = noderun(&auth("refreshToken", &refresh, &creds, &[]), &login.stdout);
    assert_eq!((refreshed.code, refreshed.stderr.as_str()), (0, ""));
    assert_eq!(refreshed.lines().len(), 1, "{}", refreshed.stdout);
    let (access, second) = assert_tokens(&refreshed.items()[0], 0, &user);
    assert_ne!(first, second, "the refresh token is rotated");
    assert_eq!(directus.me(&access), Ok(user.id.clone()));

    let logout = noderun(&auth("logout", &refresh, &creds, &[]), &refreshed.stdout);
    assert_eq!((logout.code, logout.stderr.as_str()), (0, ""));
    assert_eq!(logout.lines(), [SUCCESS]);

    let again = noderun(
        &auth("refreshToken", &refresh, &creds, &["--continue-on-fail"]),
        format!("{}{}", refreshed.stdout, login.stdout),
    );
    assert_eq!((again.code, again.stderr.as_str()), (0, ""));
    assert_eq!(
        again.items(),
        [invalid_credentials(0), invalid_credentials(1)]
    );
}

// ---------------------------------------------------------------------------------------------
// Password reset

#[test]
fn password_reset_flow() {
    let directus = Directus::connect();
    let creds = directus.credentials_file("reset");
    let user = directus.create_user("reset");
    let email = json!({"email": "={{ $json.email }}"});

    // Without a reset URL; an unknown address is answered the same (no enumeration).
    let out = noderun(
        &auth("requestReset", &email, &creds, &[]),
        ndjson(&[
            json!({"email": user.email}),
            json!({"email": unique_email("nobody")}),
        ]),
    );
    assert_eq!((out.code, out.stderr.as_str()), (0, ""));
    assert_eq!(
        out.lines(),
        [
            r#"{"json":{"success":true},"pairedItem":{"item":0}}"#,
            r#"{"json":{"success":true},"pairedItem":{"item":1}}"#
        ]
    );

    // With the allowed reset URL, and with one outside the allow list.
    let mut parameters = email.clone();
    parameters["additionalFields"] = json!({"resetUrl": "={{ $json.reset_url }}"});
    let evil = "http://evil.example.com/reset";
    let out = noderun(
        &auth("requestReset", &parameters, &creds, &["--continue-on-fail"]),
        ndjson(&[
            json!({"email": user.email, "reset_url": ALLOWED_RESET_URL}),
            json!({"email": user.email, "reset_url": evil}),
        ]),
    );
    assert_eq!((out.code, out.stderr.as_str()), (0, ""));
    assert_eq!(
        out.items(),
        [
            json!({"json": {"success": true}, "pairedItem": {"item": 0}}),
            error_item(
                1,
                &format!(
                    "Invalid payload. URL \"{evil}\" can't be used to reset passwords. (HTTP 400, INVALID_PAYLOAD)"
                ),
                400,
                "INVALID_PAYLOAD"
            )
        ]
    );

    let mails = directus.reset_mails(&user.email, 2);
    assert_eq!(mails.len(), 2, "{mails:?}");
    let pages: Vec<&str> = mails.iter().map(|m| m.page.as_str()).collect();
    assert_eq!(
        pages,
        [
            format!("{}/admin/reset-password", directus.url).as_str(),
            ALLOWED_RESET_URL
        ]
    );
    let (first, second) = (&mails[0].token, &mails[1].token);
    jwt_claims(first);
    jwt_claims(second);

    // Reset with the second token; then it, the first one (issued for the old password) and a
    // garbage token fail.
    let new_password = format!("New-Passw0rd-{}", unique(""));
    let parameters = json!({"token": "={{ $json.token }}", "password": "={{ $json.password }}"});
    let out = noderun(
        &auth(
            "resetPassword",
            &parameters,
            &creds,
            &["--continue-on-fail"],
        ),
        ndjson(&[
            json!({"token": second, "password": new_password}),
            json!({"token": second, "password": "Other-Passw0rd-1"}),
            json!({"token": first, "password": "Other-Passw0rd-1"}),
            json!({"token": "garbage", "password": "Other-Passw0rd-1"}),
        ]),
    );
    assert_eq!((out.code, out.stderr.as_str()), (0, ""));
    let forbidden = "You don't have permission to access this. (HTTP 403, FORBIDDEN)";
    assert_eq!(
        out.items(),
        [
            json!({"json": {"success": true}, "pairedItem": {"item": 0}}),
            error_item(1, forbidden, 403, "FORBIDDEN"),
            error_item(2, forbidden, 403, "FORBIDDEN"),
            error_item(
                3,
                "Invalid token. (HTTP 403, INVALID_TOKEN)",
                403,
                "INVALID_TOKEN"
            ),
        ]
    );

    // The old password no longer works, the new one does.
    let out = noderun(
        &auth(
            "login",
            &login_parameters(),
            &creds,
            &["--continue-on-fail"],
        ),
        ndjson(&[
            email_and_password(&user),
            json!({"email": user.email, "password": new_password}),
        ]),
    );
    assert_eq!((out.code, out.stderr.as_str()), (0, ""));
    let items = out.items();
    assert_eq!(items.len(), 2, "{}", out.stdout);
    assert_eq!(items[0], invalid_credentials(0));
    assert_tokens(&items[1], 1, &user);
}

#[test]
fn a_password_policy_violation_is_reported_without_the_password() {
    let directus = Directus::connect();
    let creds = directus.credentials_file("policy");
    let user = directus.create_user("policy");
    let out = noderun(
        &auth(
            "requestReset",
            &json!({"email": "={{ $json.email }}"}),
            &creds,
            &[],
        ),
        ndjson(&[json!({"email": user.email})]),
    );
    assert_eq!(out.lines(), [SUCCESS], "{}", out.stderr);
    let token = directus.reset_mails(&user.email, 1)[0].token.clone();

    let rejected = "Short-7";
    let accepted = format!("Long-enough-{}", unique(""));
    let parameters = json!({"token": "={{ $json.token }}", "password": "={{ $json.password }}"});
    let input = ndjson(&[
        json!({"token": token, "password": rejected}),
        json!({"token": token, "password": accepted}),
    ]);
    let out = {
        // Every password the other tests use has 12 characters or more: they are not disturbed.
        let _policy = directus.password_policy("/^.{12,}$/");
        noderun_with_env(
            &auth(
                "resetPassword",
                &parameters,
                &creds,
                &["--continue-on-fail", "-vvv"],
            ),
            &[("RUST_LOG", "trace")],
            &input,
        )
    };
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.items(),
        [
            error_item(
                0,
                "Validation failed for field \"password\". Value doesn't have the correct format. \
                 (HTTP 400, FAILED_VALIDATION)",
                400,
                "FAILED_VALIDATION"
            ),
            json!({"json": {"success": true}, "pairedItem": {"item": 1}}),
        ]
    );
    for (what, text) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        assert!(
            !text.contains(rejected),
            "{what} shows the password: {text}"
        );
        assert!(
            !text.contains(&accepted),
            "{what} shows the password: {text}"
        );
        assert!(
            !text.contains(&token),
            "{what} shows the reset token: {text}"
        );
    }
    assert!(directus.login(&user.email, &accepted).is_object());
}

// ---------------------------------------------------------------------------------------------
// The JSON/RAW toggle

/// Parameters sending `body` as the raw JSON body (a JSON string, as the n8n editor stores it).
fn raw(body: Value) -> Value {
    json!({"jsonParameters": true, "bodyParametersJson": body.to_string()})
}

#[test]
fn raw_json_bodies_for_every_operation() {
    let directus = Directus::connect();
    let creds = directus.credentials_file("raw");
    let user = directus.create_user("raw");
    let run = |operation: &str, body: Value| {
        let out = noderun(&auth(operation, &raw(body), &creds, &[]), "{}\n");
        assert_eq!((out.code, out.stderr.as_str()), (0, ""), "{operation}");
        assert_eq!(out.lines().len(), 1, "{operation}: {}", out.stdout);
        out.items().remove(0)
    };

    let login = run("login", email_and_password(&user));
    let (_, first) = assert_tokens(&login, 0, &user);
    let mut body = email_and_password(&user);
    body["mode"] = json!("session");
    let session = assert_session(&run("login", body), 0, &user);
    assert_eq!(directus.me_by_session(&session), Ok(user.id.clone()));

    let refreshed = run("refreshToken", json!({"refresh_token": first}));
    let (access, second) = assert_tokens(&refreshed, 0, &user);
    assert_eq!(directus.me(&access), Ok(user.id.clone()));

    let logout = run("logout", json!({"refresh_token": second}));
    assert_eq!(
        logout,
        json!({"json": {"success": true}, "pairedItem": {"item": 0}})
    );
    let out = noderun(
        &auth(
            "refreshToken",
            &raw(json!({"refresh_token": second})),
            &creds,
            &["--continue-on-fail"],
        ),
        "{}\n",
    );
    assert_eq!(out.items(), [invalid_credentials(0)], "{}", out.stderr);

    let request = run(
        "requestReset",
        json!({"email": user.email, "reset_url": ALLOWED_RESET_URL}),
    );
    assert_eq!(
        request,
        json!({"json": {"success": true}, "pairedItem": {"item": 0}})
    );
    let mail = directus.reset_mails(&user.email, 1).remove(0);
    assert_eq!(mail.page, ALLOWED_RESET_URL);

    let new_password = format!("Raw-Passw0rd-{}", unique(""));
    let reset = run(
        "resetPassword",
        json!({"token": mail.token, "password": new_password}),
    );
    assert_eq!(
        reset,
        json!({"json": {"success": true}, "pairedItem": {"item": 0}})
    );
    let login = run(
        "login",
        json!({"email": user.email, "password": new_password}),
    );
    assert_tokens(&login, 0, &user);
}

// ---------------------------------------------------------------------------------------------
// List providers, start an OAuth flow

#[test]
fn list_providers_of_a_fresh_directus() {
    let directus = Directus::connect();
    let creds = directus.credentials_file("list");
    let out = noderun(
        &auth("list", &json!({"splitIntoItems": false}), &creds, &[]),
        "{}\n",
    );
    assert_eq!((out.code, out.stderr.as_str()), (0, ""));
    assert_eq!(
        out.lines(),
        [r#"{"json":{"data":[],"disableDefault":false},"pairedItem":{"item":0}}"#]
    );

    // No provider, no item (as n8n splits an empty list); the summary counts the item as run.
    let mut args = auth("list", &json!({"splitIntoItems": true}), &creds, &[]);
    args.retain(|a| a != "-q");
    let out = noderun(&args, "{}\n");
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "");
    assert!(
        out.stderr
            .starts_with("noderun: 1 item: 1 succeeded, 0 failed, 0 not run in "),
        "{}",
        out.stderr
    );
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
}

#[test]
fn start_oauth_flow_with_an_unknown_provider() {
    let directus = Directus::connect();
    let creds = directus.credentials_file("oauth");
    let out = noderun(
        &auth(
            "startOauthFlow",
            &json!({"provider": "={{ $json.provider }}"}),
            &creds,
            &["--continue-on-fail"],
        ),
        ndjson(&[
            json!({"provider": "nope"}),
            json!({"provider": "no such/provider"}),
        ]),
    );
    assert_eq!((out.code, out.stderr.as_str()), (0, ""));
    assert_eq!(
        out.items(),
        [
            error_item(
                0,
                "Route /auth/login/nope doesn't exist. (HTTP 404, ROUTE_NOT_FOUND)",
                404,
                "ROUTE_NOT_FOUND"
            ),
            error_item(
                1,
                "Route /auth/login/no%20such%2Fprovider doesn't exist. (HTTP 404, ROUTE_NOT_FOUND)",
                404,
                "ROUTE_NOT_FOUND"
            ),
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// onError

/// The mixed batch of the onError tests: a good login, a wrong password, a good login.
fn mixed_batch(user: &User, throwaway: &User) -> String {
    ndjson(&[
        email_and_password(user),
        json!({"email": throwaway.email, "password": WRONG_PASSWORD}),
        email_and_password(user),
    ])
}

/// The summary line of a run without -q (its time left out), checking it is the only line on
/// stderr before the error line of a stopped run.
fn summary(stderr: &str, stopped: bool) -> String {
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1 + usize::from(stopped), "{stderr}");
    let (counts, time) = lines[0]
        .rsplit_once(" in ")
        .unwrap_or_else(|| panic!("no summary line: {stderr}"));
    assert!(
        time.strip_suffix('s')
            .is_some_and(|t| t.parse::<f64>().is_ok()),
        "{stderr}"
    );
    counts.to_string()
}

/// What each onError mode gives for the mixed batch, run with `args` (which choose the mode,
/// without -q).
fn assert_on_error_modes(
    test: &str,
    user: &User,
    throwaway: &User,
    args: impl Fn(Option<&str>, &Path) -> Vec<String>,
) {
    let input = mixed_batch(user, throwaway);
    let errors = scratch(test).join("errors.ndjson");

    let out = noderun(&args(Some("continueRegularOutput"), &errors), &input);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        summary(&out.stderr, false),
        "noderun: 3 items: 2 succeeded, 1 failed, 0 not run"
    );
    let items = out.items();
    assert_eq!(items.len(), 3, "{}", out.stdout);
    assert_tokens(&items[0], 0, user);
    assert_eq!(items[1], invalid_credentials(1));
    assert_tokens(&items[2], 2, user);

    let _ = std::fs::remove_file(&errors);
    let out = noderun(&args(Some("continueErrorOutput"), &errors), &input);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        summary(&out.stderr, false),
        "noderun: 3 items: 2 succeeded, 1 failed, 0 not run"
    );
    let items = out.items();
    assert_eq!(items.len(), 2, "{}", out.stdout);
    assert_tokens(&items[0], 0, user);
    assert_tokens(&items[1], 2, user);
    let error_output = std::fs::read_to_string(&errors).expect("the error output file");
    assert_eq!(parse_lines(&error_output), [invalid_credentials(1)]);

    let out = noderun(&args(None, &errors), &input);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let items = out.items();
    assert_eq!(items.len(), 1, "{}", out.stdout);
    assert_tokens(&items[0], 0, user);
    assert_eq!(
        summary(&out.stderr, true),
        "noderun: 3 items: 1 succeeded, 1 failed, 1 not run"
    );
    assert_eq!(
        out.stderr.lines().nth(1),
        Some(format!("noderun: error: item 1: {INVALID_CREDENTIALS}").as_str())
    );
}

#[test]
fn on_error_modes_on_a_mixed_batch() {
    let directus = Directus::connect();
    let creds = directus.credentials_file("on_error");
    let user = directus.create_user("on-error");
    let throwaway = directus.create_user("on-error-wrong");
    assert_on_error_modes("on_error", &user, &throwaway, |mode, errors| {
        let mut args = auth("login", &login_parameters(), &creds, &[]);
        // The summary line is part of what stopWorkflow is checked for.
        args.retain(|a| a != "-q");
        match mode {
            Some(mode) => {
                args.extend(["--on-error".into(), mode.into()]);
                if mode == "continueErrorOutput" {
                    args.extend(["--error-output".into(), errors.display().to_string()]);
                }
            }
            None => args.extend(["--on-error".into(), "stopWorkflow".into()]),
        }
        args
    });
}

#[test]
fn on_error_modes_from_an_exported_workflow_node() {
    let directus = Directus::connect();
    let creds = directus.credentials_file("workflow_node");
    let user = directus.create_user("workflow");
    let throwaway = directus.create_user("workflow-wrong");
    assert_on_error_modes("workflow_node", &user, &throwaway, |mode, errors| {
        // As n8n exports it: the resource and operation (the node's defaults are the community
        // node's, items and list), no jsonParameters (at its default) and no onError for the
        // default stopWorkflow.
        let mut node = json!({
            "parameters": {
                "resource": "auth",
                "operation": "login",
                "email": "={{ $json.email }}",
                "password": "={{ $json.password }}",
                "additionalFields": {}
            },
            "id": "3f1c9a52-6f0e-4c1b-9d7e-0a4b2c8d1e55",
            "name": "Directus",
            "type": "n8n-nodes-base.directus",
            "typeVersion": 1,
            "position": [460, 300],
            "credentials": {"directusApi": {"id": "1", "name": "Directus account"}}
        });
        if let Some(mode) = mode {
            node["onError"] = json!(mode);
        }
        let file = scratch("workflow_node").join(format!("{}.json", mode.unwrap_or("default")));
        std::fs::write(&file, node.to_string()).expect("write");
        let mut args: Vec<String> = vec![
            "run".into(),
            "--workflow-node".into(),
            file.display().to_string(),
            "--credentials".into(),
            creds.display().to_string(),
        ];
        if mode == Some("continueErrorOutput") {
            args.extend(["--error-output".into(), errors.display().to_string()]);
        }
        args
    });
}

// ---------------------------------------------------------------------------------------------
// Concurrency

#[test]
fn concurrent_refreshes_keep_the_input_order_and_lose_no_rotated_token() {
    let directus = Directus::connect();
    let creds = directus.credentials_file("concurrency");
    // Three users taking turns: an output in the wrong place would carry another user's token.
    let users: Vec<User> = (0..3)
        .map(|i| directus.create_user(&format!("concurrency{i}")))
        .collect();
    let user_of = |i: usize| &users[i % users.len()];
    let input = ndjson(
        &(0..30)
            .map(|i| email_and_password(user_of(i)))
            .collect::<Vec<_>>(),
    );
    let login = noderun(
        &auth(
            "login",
            &login_parameters(),
            &creds,
            &["--concurrency", "4"],
        ),
        &input,
    );
    assert_eq!((login.code, login.stderr.as_str()), (0, ""));
    let items = login.items();
    assert_eq!(items.len(), 30, "{}", login.stdout);
    let old: Vec<String> = items
        .iter()
        .enumerate()
        .map(|(i, item)| assert_tokens(item, i, user_of(i)).1)
        .collect();

    let refresh = json!({"refreshToken": "={{ $json.refresh_token }}"});
    let refreshed = noderun(
        &auth("refreshToken", &refresh, &creds, &["--concurrency", "8"]),
        &login.stdout,
    );
    assert_eq!((refreshed.code, refreshed.stderr.as_str()), (0, ""));
    let items = refreshed.items();
    assert_eq!(items.len(), 30, "{}", refreshed.stdout);
    let new: HashSet<String> = items
        .iter()
        .enumerate()
        .map(|(i, item)| assert_tokens(item, i, user_of(i)).1)
        .collect();
    assert_eq!(new.len(), 30, "every refresh gives a new token");
    assert!(new.iter().all(|t| !old.contains(t)));

    // Each old token was used exactly once: all are rotated now.
    let out = noderun(
        &auth(
            "refreshToken",
            &refresh,
            &creds,
            &["--concurrency", "8", "--continue-on-fail"],
        ),
        &login.stdout,
    );
    assert_eq!((out.code, out.stderr.as_str()), (0, ""));
    assert_eq!(
        out.items(),
        (0..30).map(invalid_credentials).collect::<Vec<_>>()
    );

    // A run stopped by a failure under concurrency: 16 of the new tokens, item 5 bad. No new
    // item starts after it, but the items in flight (at most 7 after it) finish: each refresh
    // Directus did must reach the output, and the items not run must not have been sent.
    let mut input = refreshed.items();
    input.truncate(16);
    input[5] = json!({"refresh_token": "garbage"});
    let mut args = auth("refreshToken", &refresh, &creds, &["--concurrency", "8"]);
    args.retain(|a| a != "-q");
    let out = noderun(&args, ndjson(&input));
    assert_eq!(out.code, 1, "{}", out.stderr);
    let items = out.items();
    let ran: Vec<usize> = items
        .iter()
        .map(|i| i["pairedItem"]["item"].as_u64().expect("a pairedItem") as usize)
        .collect();
    assert_eq!(ran[..5], [0, 1, 2, 3, 4], "{}", out.stdout);
    assert!(
        ran[5..].is_sorted() && ran[5..].iter().all(|i| (6..13).contains(i)),
        "{ran:?}"
    );
    for (item, &i) in items.iter().zip(&ran) {
        assert_tokens(item, i, user_of(i));
    }
    assert_eq!(
        summary(&out.stderr, true),
        format!(
            "noderun: 16 items: {} succeeded, 1 failed, {} not run",
            ran.len(),
            15 - ran.len()
        )
    );
    assert_eq!(
        out.stderr.lines().nth(1),
        Some(format!("noderun: error: item 5: {INVALID_CREDENTIALS}").as_str())
    );

    // The tokens of the items that ran are rotated; those of the items not run still work.
    let (rotated, kept): (Vec<usize>, Vec<usize>) =
        (0..16).filter(|i| *i != 5).partition(|i| ran.contains(i));
    let again = |indexes: &[usize]| {
        let lines: Vec<Value> = indexes.iter().map(|i| input[*i].clone()).collect();
        let out = noderun(
            &auth("refreshToken", &refresh, &creds, &["--continue-on-fail"]),
            ndjson(&lines),
        );
        assert_eq!((out.code, out.stderr.as_str()), (0, ""));
        out.items()
    };
    assert_eq!(
        again(&rotated),
        (0..rotated.len())
            .map(invalid_credentials)
            .collect::<Vec<_>>()
    );
    let items = again(&kept);
    assert_eq!(items.len(), kept.len());
    for (i, item) in items.iter().enumerate() {
        assert_tokens(item, i, user_of(kept[i]));
    }
}
