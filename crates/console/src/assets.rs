//! The UI's static files, embedded in the binary with `include_str!` (no CDN, no build step):
//! a small hand-written vanilla JS app. Lookups are by exact name in a fixed table, so no
//! request can reach the filesystem; names with `..`, backslashes, NUL or a leading `/` are
//! refused with 400 before the lookup, so traversal attempts are visible as such.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// One embedded file.
#[derive(Debug)]
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static str,
}

/// Every file the UI serves.
const ASSETS: &[Asset] = &[
    Asset {
        name: "app.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../assets/app.js"),
    },
    Asset {
        name: "charts.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../assets/charts.js"),
    },
    Asset {
        name: "app.css",
        content_type: "text/css; charset=utf-8",
        body: include_str!("../assets/app.css"),
    },
    Asset {
        name: "favicon.svg",
        content_type: "image/svg+xml",
        body: include_str!("../assets/favicon.svg"),
    },
];

/// The single page.
const INDEX_HTML: &str = include_str!("../assets/index.html");

/// Why a static path was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum AssetLookup {
    /// Found: content type and body.
    Found(&'static str, &'static str),
    /// A path that tries to leave the asset table (`..`, `\`, NUL, absolute).
    Traversal,
    /// Not an embedded file.
    Missing,
}

/// Looks `name` (already percent-decoded) up in the embedded table.
pub fn lookup(name: &str) -> AssetLookup {
    let suspicious = name.starts_with('/')
        || name.contains('\\')
        || name.contains('\0')
        || name
            .split('/')
            .any(|segment| segment == ".." || segment == ".");
    if suspicious {
        return AssetLookup::Traversal;
    }
    match ASSETS.iter().find(|asset| asset.name == name) {
        Some(asset) => AssetLookup::Found(asset.content_type, asset.body),
        None => AssetLookup::Missing,
    }
}

/// `GET /static/{*path}`.
pub async fn static_file(Path(path): Path<String>) -> Response {
    match lookup(&path) {
        AssetLookup::Found(content_type, body) => (
            [
                (header::CONTENT_TYPE, content_type),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            body,
        )
            .into_response(),
        AssetLookup::Traversal => (StatusCode::BAD_REQUEST, "bad path").into_response(),
        AssetLookup::Missing => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

/// `GET /`: the single-page app (routes live in the URL fragment).
pub async fn index() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        INDEX_HTML,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traversal_names_are_refused_and_unknown_names_missing() {
        assert_eq!(lookup("../../etc/passwd"), AssetLookup::Traversal);
        assert_eq!(lookup("a/../../x"), AssetLookup::Traversal);
        assert_eq!(lookup("/etc/passwd"), AssetLookup::Traversal);
        assert_eq!(lookup("..\\..\\x"), AssetLookup::Traversal);
        assert_eq!(lookup("%2e%2e/x"), AssetLookup::Missing);
        assert_eq!(lookup("Cargo.toml"), AssetLookup::Missing);
        assert!(matches!(
            lookup("app.css"),
            AssetLookup::Found("text/css; charset=utf-8", _)
        ));
    }
}
