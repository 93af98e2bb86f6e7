//! Posts alert events as JSON to a webhook: a minimal HTTP/1.1 client for `http://` URLs
//! (RFC 9112: one request, `Connection: close`, status line read back). TLS webhooks are not
//! supported; a receiver behind a local proxy covers that case.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Bound on one delivery (connect + write + status line).
pub const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(5);

/// Splits `http://host[:port][/path]` into host, port and path.
pub fn parse_http_url(url: &str) -> Result<(String, u16, String), String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("webhook URL {url:?} must start with http://"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(']') || authority.starts_with('[') => (
            host,
            port.parse::<u16>()
                .map_err(|_| format!("webhook URL {url:?} has a bad port"))?,
        ),
        _ => (authority, 80),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return Err(format!("webhook URL {url:?} has no host"));
    }
    Ok((host.to_owned(), port, path.to_owned()))
}

/// POSTs `body` (JSON) to `url`; returns the HTTP status code.
pub async fn post_json(url: &str, body: &str) -> Result<u16, String> {
    let (host, port, path) = parse_http_url(url)?;
    let exchange = async {
        let mut stream = TcpStream::connect((host.as_str(), port))
            .await
            .map_err(|e| format!("connect {host}:{port}: {e}"))?;
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\nUser-Agent: fjord-console\r\n\r\n{body}",
            body.len()
        );
        stream
            .write_all(request.as_bytes())
            .await
            .map_err(|e| format!("write: {e}"))?;
        let mut head = vec![0u8; 1024];
        let mut read = 0;
        while read < head.len() && !head[..read].contains(&b'\n') {
            let n = stream
                .read(&mut head[read..])
                .await
                .map_err(|e| format!("read: {e}"))?;
            if n == 0 {
                break;
            }
            read += n;
        }
        let line = String::from_utf8_lossy(&head[..read]);
        line.split_whitespace()
            .nth(1)
            .and_then(|code| code.parse::<u16>().ok())
            .ok_or_else(|| format!("no HTTP status line in reply: {:?}", line.lines().next()))
    };
    tokio::time::timeout(WEBHOOK_TIMEOUT, exchange)
        .await
        .unwrap_or_else(|_| Err(format!("timed out after {WEBHOOK_TIMEOUT:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_into_host_port_path() {
        assert_eq!(
            parse_http_url("http://127.0.0.1:9000/hook?x=1").unwrap(),
            ("127.0.0.1".into(), 9000, "/hook?x=1".into())
        );
        assert_eq!(
            parse_http_url("http://example").unwrap(),
            ("example".into(), 80, "/".into())
        );
        assert!(parse_http_url("https://x/").is_err());
        assert!(parse_http_url("http://:80/").is_err());
    }

    #[tokio::test]
    async fn posts_json_to_a_receiver_and_reads_its_status() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut got = Vec::new();
            let mut buf = [0u8; 4096];
            while !String::from_utf8_lossy(&got).contains("\"firing\"") {
                let n = socket.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                got.extend_from_slice(&buf[..n]);
            }
            socket
                .write_all(b"HTTP/1.1 204 No Content\r\n\r\n")
                .await
                .unwrap();
            String::from_utf8(got).unwrap()
        });
        let status = post_json(
            &format!("http://127.0.0.1:{port}/hook"),
            r#"{"state":"firing"}"#,
        )
        .await
        .unwrap();
        assert_eq!(status, 204);
        let request = server.await.unwrap();
        assert!(request.starts_with("POST /hook HTTP/1.1\r\n"), "{request}");
        assert!(request.contains("Content-Type: application/json"));
    }
}
