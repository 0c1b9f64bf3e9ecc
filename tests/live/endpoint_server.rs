//! A raw HTTP/1.1 server in Kakunin's verify-endpoint format (SPEC 7.1
//! endpoint) on 127.0.0.1 with canned answers per serial, counting hits.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

/// How the endpoint server answers for one serial.
#[derive(Clone, Debug)]
pub enum Answer {
    Active,
    Revoked,
    Suspended,
    /// `expired`, `valid: false` (SPEC 7.1: revoked).
    Expired,
    NotFound,
    Status(u16),
    /// Never answers (until the server stops).
    Hang,
    /// `active`, valid, with these extra members (e.g. risk fields).
    ActiveWith(&'static str),
    /// `active`, valid, with an HTTP `Age` header (seconds).
    Aged(u64),
    /// `active` (200), or the given error status, only once the gate opens.
    Gated(watch::Receiver<bool>, u16),
}

/// A raw HTTP/1.1 server in Kakunin's verify-endpoint format on
/// 127.0.0.1, counting hits; answers per serial (uppercase, from the
/// path), unknown serials 404. Stops, aborting every connection, on drop.
pub struct EndpointServer {
    pub addr: SocketAddr,
    hits: Arc<watch::Sender<usize>>,
    answers: Arc<Mutex<HashMap<String, Answer>>>,
    task: JoinHandle<()>,
}

impl EndpointServer {
    pub async fn start() -> EndpointServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let hits = Arc::new(watch::Sender::new(0));
        let answers: Arc<Mutex<HashMap<String, Answer>>> = Arc::default();
        let (h, a) = (hits.clone(), answers.clone());
        let task = tokio::spawn(async move {
            // Dropping the set (when this task is aborted) aborts every connection.
            let mut conns = JoinSet::new();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let (h, a) = (h.clone(), a.clone());
                conns.spawn(async move { serve(stream, h, a).await });
                while conns.try_join_next().is_some() {}
            }
        });
        EndpointServer {
            addr,
            hits,
            answers,
            task,
        }
    }

    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn hits(&self) -> usize {
        *self.hits.borrow()
    }

    /// Waits until the server has received `n` requests (an event, not a
    /// duration; the bound only guards against a wedged test).
    pub async fn wait_for_hits(&self, n: usize) {
        let mut rx = self.hits.subscribe();
        tokio::time::timeout(std::time::Duration::from_secs(60), rx.wait_for(|h| *h >= n))
            .await
            .expect("the server never got the expected request")
            .expect("server alive");
    }

    pub fn set(&self, serial: &str, answer: Answer) {
        self.answers
            .lock()
            .unwrap()
            .insert(serial.to_ascii_uppercase(), answer);
    }
}

impl Drop for EndpointServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(
    mut stream: TcpStream,
    hits: Arc<watch::Sender<usize>>,
    answers: Arc<Mutex<HashMap<String, Answer>>>,
) {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 8192 {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    hits.send_modify(|h| *h += 1);
    let text = String::from_utf8_lossy(&head).into_owned();
    let path = text.split_whitespace().nth(1).unwrap_or("");
    let serial = path.strip_prefix("/v1/verify/").unwrap_or("").to_owned();
    let answer = answers.lock().unwrap().get(&serial).cloned();
    let data = |status: &str, valid: bool, extra: &str| {
        format!(
            r#"{{"data":{{"serial_number":"{serial}","status":"{status}","valid":{valid},"issued_at":"2026-01-01T00:00:00Z","expires_at":"2027-12-31T00:00:00Z","agent":{{"id":"agt_live","name":"bot"}}{extra}}}}}"#
        )
    };
    let mut extra_headers = String::new();
    let (status, body) = match answer {
        None | Some(Answer::NotFound) => ("404 Not Found", r#"{"error":"not_found"}"#.into()),
        Some(Answer::Active) => ("200 OK", data("active", true, "")),
        Some(Answer::ActiveWith(extra)) => ("200 OK", data("active", true, extra)),
        Some(Answer::Revoked) => (
            "200 OK",
            data(
                "revoked",
                false,
                r#","revoked_at":"2026-06-01T00:00:00Z","revocation_reason":"key_compromise""#,
            ),
        ),
        Some(Answer::Suspended) => ("200 OK", data("suspended", false, "")),
        Some(Answer::Expired) => ("200 OK", data("expired", false, "")),
        Some(Answer::Status(500)) => ("500 Internal Server Error", "{}".into()),
        Some(Answer::Status(429)) => ("429 Too Many Requests", "{}".into()),
        Some(Answer::Status(n)) => panic!("no canned answer for HTTP {n}"),
        Some(Answer::Hang) => {
            std::future::pending::<()>().await;
            unreachable!()
        }
        Some(Answer::Aged(age)) => {
            extra_headers = format!("Age: {age}\r\n");
            ("200 OK", data("active", true, ""))
        }
        Some(Answer::Gated(mut gate, code)) => {
            let _ = gate.wait_for(|open| *open).await;
            match code {
                200 => ("200 OK", data("active", true, "")),
                500 => ("500 Internal Server Error", "{}".into()),
                n => panic!("no canned answer for HTTP {n}"),
            }
        }
    };
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n{extra_headers}\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}
