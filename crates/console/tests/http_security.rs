//! Goal: the console's access rules hold at the HTTP layer — what a browser or an attacker
//! observes. Method: the real axum router driven in-process with `tower::ServiceExt::oneshot`
//! (no cluster is needed: every request here is decided before any Kafka call).
//!
//! Covered: login sets an `HttpOnly; SameSite=Strict` session cookie and returns the CSRF
//! token; changes without a session → 401; with a wrong/missing CSRF token → 403; as a viewer
//! → 403 (viewers may GET); path traversal on `/static` (plain and percent-encoded) → 400/404;
//! `/metrics` is unauthenticated with a Prometheus content type; security headers are set.

// Test helpers outside #[test] fns fail loudly by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use fjord_console::ConsoleConfig;
use fjord_console::server::{AppState, router};
use tower::ServiceExt;

const ADMIN_PASSWORD: &str = "admin-password-1";

fn app(metrics: Option<fjord_console::MetricsRender>) -> (Router, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    // Port 9 (discard) on loopback: nothing answers, and nothing here reaches Kafka.
    let mut config = ConsoleConfig::new("127.0.0.1:9", dir.path().to_path_buf());
    config.admin_password = Some(ADMIN_PASSWORD.to_owned());
    config.metrics = metrics;
    let (state, generated): (Arc<AppState>, _) = AppState::new(config).unwrap();
    assert!(
        generated.is_none(),
        "a configured password generates nothing"
    );
    (router(state), dir)
}

async fn send(app: &Router, request: Request<Body>) -> (StatusCode, axum::http::HeaderMap, String) {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    (
        status,
        headers,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

fn json_request(
    method: &str,
    uri: &str,
    body: &str,
    cookie: Option<&str>,
    csrf: Option<&str>,
) -> Request<Body> {
    let mut builder = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(cookie) = cookie {
        builder = builder.header(header::COOKIE, cookie);
    }
    if let Some(csrf) = csrf {
        builder = builder.header("x-csrf-token", csrf);
    }
    builder.body(Body::from(body.to_owned())).unwrap()
}

fn get(uri: &str, cookie: Option<&str>) -> Request<Body> {
    let mut builder = Request::builder().uri(uri);
    if let Some(cookie) = cookie {
        builder = builder.header(header::COOKIE, cookie);
    }
    builder.body(Body::empty()).unwrap()
}

/// Logs in; returns the `name=value` cookie and the CSRF token.
async fn login(app: &Router, user: &str, password: &str) -> (String, String) {
    let body = serde_json::json!({ "username": user, "password": password }).to_string();
    let (status, headers, text) =
        send(app, json_request("POST", "/api/login", &body, None, None)).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let set_cookie = headers
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    assert!(set_cookie.contains("SameSite=Strict"), "{set_cookie}");
    let cookie = set_cookie.split(';').next().unwrap().to_owned();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    (cookie, json["csrf"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn wrong_password_is_401_and_right_one_opens_a_session() {
    let (app, _dir) = app(None);
    let body = r#"{"username":"admin","password":"nope"}"#;
    let (status, headers, _) =
        send(&app, json_request("POST", "/api/login", body, None, None)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(headers.get(header::SET_COOKIE).is_none());
    let (cookie, csrf) = login(&app, "admin", ADMIN_PASSWORD).await;
    let (status, _, text) = send(&app, get("/api/session", Some(&cookie))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(text.contains(&csrf) && text.contains("\"admin\""), "{text}");
}

#[tokio::test]
async fn repeated_wrong_passwords_lock_the_user_name_for_a_while() {
    let (app, _dir) = app(None);
    let wrong = r#"{"username":"admin","password":"guess"}"#;
    for _ in 0..fjord_console::auth::LOGIN_FAILURES_MAX {
        let (status, _, _) =
            send(&app, json_request("POST", "/api/login", wrong, None, None)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let right = serde_json::json!({ "username": "admin", "password": ADMIN_PASSWORD }).to_string();
    let (status, _, text) =
        send(&app, json_request("POST", "/api/login", &right, None, None)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{text}");
}

#[tokio::test]
async fn changes_without_a_session_are_401() {
    let (app, _dir) = app(None);
    for (method, uri) in [
        ("POST", "/api/topics"),
        ("DELETE", "/api/topics/orders"),
        ("POST", "/api/topics/orders/messages"),
        ("POST", "/api/groups/g/reset"),
        ("POST", "/api/alerts/rules"),
        ("POST", "/api/users"),
    ] {
        let (status, _, _) = send(&app, json_request(method, uri, "{}", None, None)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {uri}");
        let forged =
            "fjord_session=0000000000000000000000000000000000000000000000000000000000000000";
        let (status, _, _) = send(
            &app,
            json_request(method, uri, "{}", Some(forged), Some("x")),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "forged cookie: {method} {uri}"
        );
    }
    let (status, _, _) = send(&app, get("/api/topics", None)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "reads need a session too");
}

#[tokio::test]
async fn bad_or_missing_csrf_token_is_403() {
    let (app, _dir) = app(None);
    let (cookie, csrf) = login(&app, "admin", ADMIN_PASSWORD).await;
    let rule = r#"{"name":"r","condition":{"kind":"broker_down"},"for_seconds":0}"#;
    let (status, _, text) = send(
        &app,
        json_request("POST", "/api/alerts/rules", rule, Some(&cookie), None),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{text}");
    assert!(text.contains("X-CSRF-Token"), "{text}");
    // Change the last character (to one it is not: a token ending in '0' made this "wrong"
    // token the right one, about one run in sixteen).
    let last = if csrf.ends_with('0') { '1' } else { '0' };
    let wrong = format!("{}{last}", &csrf[..csrf.len() - 1]);
    assert_ne!(wrong, csrf);
    let (status, _, _) = send(
        &app,
        json_request(
            "POST",
            "/api/alerts/rules",
            rule,
            Some(&cookie),
            Some(&wrong),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The right token goes through (this change is console-local: no Kafka call).
    let (status, _, text) = send(
        &app,
        json_request(
            "POST",
            "/api/alerts/rules",
            rule,
            Some(&cookie),
            Some(&csrf),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{text}");
    let (_, _, alerts) = send(&app, get("/api/alerts", Some(&cookie))).await;
    assert!(alerts.contains("broker_down"), "{alerts}");
}

#[tokio::test]
async fn viewers_may_look_but_not_change() {
    let (app, _dir) = app(None);
    let (admin_cookie, admin_csrf) = login(&app, "admin", ADMIN_PASSWORD).await;
    let viewer = r#"{"name":"vera","password":"viewer-pass","role":"viewer"}"#;
    let (status, _, text) = send(
        &app,
        json_request(
            "POST",
            "/api/users",
            viewer,
            Some(&admin_cookie),
            Some(&admin_csrf),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{text}");
    let (cookie, csrf) = login(&app, "vera", "viewer-pass").await;
    let (status, _, _) = send(&app, get("/api/alerts", Some(&cookie))).await;
    assert_eq!(status, StatusCode::OK, "viewers may GET");
    for (method, uri, body) in [
        ("POST", "/api/topics", r#"{"name":"x"}"#),
        ("DELETE", "/api/topics/x", ""),
        (
            "POST",
            "/api/alerts/rules",
            r#"{"name":"r","condition":{"kind":"broker_down"}}"#,
        ),
        (
            "POST",
            "/api/users",
            r#"{"name":"evil","password":"12345678","role":"admin"}"#,
        ),
        ("POST", "/api/groups/g/reset", r#"{"to":"earliest"}"#),
    ] {
        let (status, _, text) = send(
            &app,
            json_request(method, uri, body, Some(&cookie), Some(&csrf)),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {uri}: {text}");
    }
    let (_, _, users) = send(&app, get("/api/users", Some(&cookie))).await;
    assert!(!users.contains("evil"), "{users}");
    assert!(
        !users.contains("argon2"),
        "hashes never leave the server: {users}"
    );
    // Logging out is allowed for viewers and ends the session.
    let (status, _, _) = send(
        &app,
        json_request("POST", "/api/logout", "", Some(&cookie), Some(&csrf)),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _, _) = send(&app, get("/api/alerts", Some(&cookie))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn static_path_traversal_is_refused() {
    let (app, _dir) = app(None);
    for uri in [
        "/static/../../etc/passwd",
        "/static/..%2f..%2fetc%2fpasswd",
        "/static/%2e%2e/%2e%2e/etc/passwd",
        "/static/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "/static/..%5c..%5cetc%5cpasswd",
        "/static/%2fetc%2fpasswd",
        "/static/app.js/../../../Cargo.toml",
        "/static/%252e%252e/%252e%252e/etc/passwd",
        "/../../etc/passwd",
    ] {
        let (status, _, body) = send(&app, get(uri, None)).await;
        assert!(
            status == StatusCode::BAD_REQUEST || status == StatusCode::NOT_FOUND,
            "{uri} → {status}"
        );
        assert!(!body.contains("root:"), "{uri} leaked a file");
    }
    let (status, headers, body) = send(&app, get("/static/app.js", None)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers[header::CONTENT_TYPE],
        "text/javascript; charset=utf-8"
    );
    assert!(body.contains("X-CSRF-Token"));
    let (status, headers, _) = send(&app, get("/static/app.css", None)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "text/css; charset=utf-8");
    let (status, headers, body) = send(&app, get("/", None)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "text/html; charset=utf-8");
    assert!(body.contains("/static/app.js"));
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(
        headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'self'")
    );
}

#[tokio::test]
async fn metrics_are_unauthenticated_with_a_prometheus_content_type() {
    let (app, _dir) = app(None);
    let (status, _, _) = send(&app, get("/metrics", None)).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "standalone console has no broker metrics"
    );
    let render: fjord_console::MetricsRender =
        Arc::new(|| "# TYPE fjord_up gauge\nfjord_up 1\n".to_owned());
    let (app, _dir) = self::app(Some(render));
    let (status, headers, body) = send(&app, get("/metrics", None)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers[header::CONTENT_TYPE],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    assert_eq!(body, "# TYPE fjord_up gauge\nfjord_up 1\n");
    let render: fjord_console::MetricsRender = Arc::new(|| "fjord_up 1\n# EOF\n".to_owned());
    let (app, _dir) = self::app(Some(render));
    let (_, headers, _) = send(&app, get("/metrics", None)).await;
    assert_eq!(
        headers[header::CONTENT_TYPE],
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    );
}

#[tokio::test]
async fn state_survives_a_restart_and_passwords_are_stored_hashed() {
    let dir = tempfile::tempdir().unwrap();
    let config = || {
        let mut config = ConsoleConfig::new("127.0.0.1:9", dir.path().to_path_buf());
        config.admin_password = Some(ADMIN_PASSWORD.to_owned());
        config
    };
    let (state, _) = AppState::new(config()).unwrap();
    let app = router(state);
    let (cookie, csrf) = login(&app, "admin", ADMIN_PASSWORD).await;
    let rule = r#"{"name":"lag","condition":{"kind":"group_lag","group":"g","threshold":5},"for_seconds":3,"webhook_url":"http://127.0.0.1:1/hook"}"#;
    let (status, _, _) = send(
        &app,
        json_request(
            "POST",
            "/api/alerts/rules",
            rule,
            Some(&cookie),
            Some(&csrf),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let file = std::fs::read_to_string(dir.path().join("console.json")).unwrap();
    assert!(
        file.contains("$argon2id$") && !file.contains(ADMIN_PASSWORD),
        "{file}"
    );
    let (state, _) = AppState::new(config()).unwrap();
    let app = router(state);
    let (cookie, _) = login(&app, "admin", ADMIN_PASSWORD).await;
    let (_, _, alerts) = send(&app, get("/api/alerts", Some(&cookie))).await;
    assert!(alerts.contains("\"threshold\":5"), "{alerts}");
}

#[tokio::test]
async fn a_real_listener_serves_the_page_and_prints_a_generated_password_once() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = tempfile::tempdir().unwrap();
    let mut config = ConsoleConfig::new("127.0.0.1:9", dir.path().to_path_buf());
    config.listen = "127.0.0.1:0".parse().unwrap();
    let server = fjord_console::ConsoleServer::start(config.clone())
        .await
        .unwrap();
    let password = server.generated_admin_password().unwrap().to_owned();
    assert!(password.len() >= 16, "{password}");
    assert!(server.url().starts_with("http://127.0.0.1:"));
    let mut stream = tokio::net::TcpStream::connect(server.local_addr())
        .await
        .unwrap();
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).await.unwrap();
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    assert!(reply.contains("fjord console"));
    server.shutdown().await;
    // A second start keeps the stored admin: no new password is generated.
    let again = fjord_console::ConsoleServer::start(config).await.unwrap();
    assert_eq!(again.generated_admin_password(), None);
    again.shutdown().await;
}
