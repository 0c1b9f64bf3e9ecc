//! SPEC 10 "Verify endpoint" against a real HTTP/1.1 server on 127.0.0.1
//! that answers as Kakunin's `GET /v1/verify/:serial` does: looked up by
//! the path's text exactly (Kakunin's database holds the 32 uppercase
//! digits), 400 for a serial it refuses, 404 for one it does not know.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use kakunin_verify::revocation::endpoint::EndpointSource;
use kakunin_verify::revocation::http::{HttpClient, HttpConfig};
use kakunin_verify::Revocation;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::fixtures::{code_async, leaf, verifier};

type Answers = Arc<Mutex<HashMap<String, (u16, String)>>>;

/// The server: answers by exact path segment, remembers request heads.
struct Kakunin {
    addr: SocketAddr,
    answers: Answers,
    heads: Arc<Mutex<Vec<String>>>,
    task: JoinHandle<()>,
}

impl Drop for Kakunin {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Kakunin {
    async fn start() -> Kakunin {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let answers: Answers = Arc::default();
        let heads: Arc<Mutex<Vec<String>>> = Arc::default();
        let (a, h) = (answers.clone(), heads.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let (a, h) = (a.clone(), h.clone());
                tokio::spawn(async move { serve(stream, a, h).await });
            }
        });
        Kakunin {
            addr,
            answers,
            heads,
            task,
        }
    }

    /// Kakunin's 200 answer for the database serial `db_serial`.
    fn status(&self, db_serial: &str, status: &str, valid: bool) {
        let body = format!(
            r#"{{"data":{{"serial_number":"{db_serial}","status":"{status}","valid":{valid},"issued_at":"2026-11-01T00:00:00.000Z","expires_at":"2027-11-01T00:00:00.000Z","agent":{{"id":"a"}}}}}}"#
        );
        self.answers
            .lock()
            .unwrap()
            .insert(db_serial.to_owned(), (200, body));
    }

    fn refuse(&self, path_serial: &str, code: u16) {
        self.answers
            .lock()
            .unwrap()
            .insert(path_serial.to_owned(), (code, r#"{"error":"x"}"#.into()));
    }

    fn heads(&self) -> Vec<String> {
        self.heads.lock().unwrap().clone()
    }
}

async fn serve(mut stream: TcpStream, answers: Answers, heads: Arc<Mutex<Vec<String>>>) {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 8192 {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let text = String::from_utf8_lossy(&head).into_owned();
    heads.lock().unwrap().push(text.clone());
    let path = text.split_whitespace().nth(1).unwrap_or("");
    let serial = path.strip_prefix("/v1/verify/").unwrap_or("");
    let (code, body) = answers
        .lock()
        .unwrap()
        .get(serial)
        .cloned()
        .unwrap_or((404, r#"{"error":"Certificate not found"}"#.into()));
    let reason = match code {
        200 => "OK",
        400 => "Bad Request",
        _ => "Not Found",
    };
    let response = format!(
        "HTTP/1.1 {code} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

fn db_serial(name: &str) -> &'static str {
    leaf(name)["db_serial"].as_str().unwrap()
}

// SPEC 10: the URL carries the profile's 32-digit text in uppercase (the
// 15-octet serial's leading 00 kept, the negative ones sign-extended),
// every request sends `Accept: application/json`; revoked / active answers
// map as SPEC 7.1 says; 400 is unavailable, 404 unknown.
#[tokio::test]
async fn spec_10_endpoint_asked_by_the_32_digit_text() {
    let server = Kakunin::start().await;
    let client = HttpClient::new(HttpConfig::default()).unwrap();
    let base = format!("http://{}", server.addr);
    let source = Arc::new(EndpointSource::new(client, &base).unwrap());
    let v = verifier(Revocation::Source(source));
    server.status(db_serial("leaf_15octet"), "revoked", false);
    server.status(db_serial("leaf_ff15octet"), "suspended", false);
    server.status(db_serial("leaf_nonminimal"), "active", true);
    server.status(db_serial("leaf_positive"), "active", true);
    server.refuse(db_serial("leaf_negative"), 400);
    assert_eq!(db_serial("leaf_15octet").len(), 32);
    assert_eq!(
        code_async(&v, "leaf_15octet").await,
        Some("certificate_revoked")
    );
    assert_eq!(
        code_async(&v, "leaf_ff15octet").await,
        Some("certificate_revoked")
    );
    assert_eq!(code_async(&v, "leaf_nonminimal").await, None);
    assert_eq!(code_async(&v, "leaf_positive").await, None);
    assert_eq!(
        code_async(&v, "leaf_negative").await,
        Some("revocation_unavailable")
    );
    assert_eq!(
        code_async(&v, "leaf_sign_octet").await,
        Some("certificate_unknown")
    );
    let heads = server.heads();
    assert_eq!(heads.len(), 6);
    for head in &heads {
        let accept = head.lines().find_map(|l| {
            l.strip_prefix("accept: ")
                .or_else(|| l.strip_prefix("Accept: "))
        });
        assert_eq!(accept, Some("application/json"), "{head}");
        let path = head.split_whitespace().nth(1).unwrap_or("");
        let serial = path.strip_prefix("/v1/verify/").unwrap_or("");
        assert_eq!(serial.len(), 32, "{head}");
        assert_eq!(serial, serial.to_ascii_uppercase());
    }
}
