//! Helpers of tests/http_actix.rs: real actix servers on 127.0.0.1 (port 0),
//! a reqwest client and a raw HTTP/1.1 client (for what reqwest would
//! normalize or never send), an audit trail to count, replies to assert.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::{web, App, HttpServer};
use kakunin_verify::audit::sink::{AuditSink, JsonLinesSink};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::Signed;

pub const IO_TIMEOUT: Duration = Duration::from_secs(20);

/// The routes of one server.
pub type Configure = Arc<dyn Fn(&mut web::ServiceConfig) + Send + Sync>;

/// A running actix server; `stop` shuts it down.
pub struct Running {
    pub addr: SocketAddr,
    handle: ServerHandle,
}

impl Running {
    pub fn url(&self, target: &str) -> String {
        format!("http://{}{target}", self.addr)
    }

    pub async fn stop(self) {
        self.handle.stop(true).await;
    }
}

fn app(
    configure: &Configure,
) -> App<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let c = Arc::clone(configure);
    App::new().configure(move |cfg| c(cfg))
}

fn run(server: actix_web::dev::Server, addr: SocketAddr) -> Running {
    let handle = server.handle();
    actix_rt::spawn(server);
    Running { addr, handle }
}

/// Plain HTTP on 127.0.0.1, one worker.
pub fn serve(configure: Configure) -> Running {
    let server = HttpServer::new(move || app(&configure))
        .workers(1)
        .disable_signals()
        .bind(("127.0.0.1", 0))
        .unwrap();
    let addr = server.addrs()[0];
    run(server.run(), addr)
}

/// HTTPS with `config` on 127.0.0.1, the TLS leaf stored by
/// `peer_certificate_on_connect`.
#[cfg(feature = "tls")]
pub fn serve_tls(configure: Configure, config: tokio_rustls::rustls::ServerConfig) -> Running {
    let server = HttpServer::new(move || app(&configure))
        .workers(1)
        .disable_signals()
        .on_connect(kakunin_verify::http::actix::peer_certificate_on_connect)
        .bind_rustls_0_23(("127.0.0.1", 0), config)
        .unwrap();
    let addr = server.addrs()[0];
    run(server.run(), addr)
}

/// A JSON-lines audit trail in a fresh temporary file (SPEC 8).
pub struct Audit {
    path: PathBuf,
    sink: Arc<JsonLinesSink>,
}

impl Audit {
    pub fn new(name: &str) -> Audit {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "kakunin-actix-{name}-{}-{}.jsonl",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_file(&path);
        let sink = Arc::new(JsonLinesSink::open(&path).unwrap());
        Audit { path, sink }
    }

    pub fn sink(&self) -> Arc<dyn AuditSink> {
        self.sink.clone()
    }

    /// The records in the file, parsed.
    pub fn records(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(&self.path)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// The `code` of each record (null for an allowed request), in order.
    pub fn codes(&self) -> Vec<Option<String>> {
        self.records()
            .iter()
            .map(|r| r["code"].as_str().map(str::to_owned))
            .collect()
    }
}

impl Drop for Audit {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Status, headers and body of a response.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {self:?}"))
    }

    /// SPEC 6: status, `application/json` `{"error": code, "message": text}`,
    /// `Retry-After: 1` exactly on 503.
    #[track_caller]
    pub fn assert_denied(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "{self:?}");
        assert_eq!(
            self.header("content-type"),
            Some("application/json"),
            "{self:?}"
        );
        let v = self.json();
        assert_eq!(v["error"], code, "{self:?}");
        assert!(
            v["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{self:?}"
        );
        let retry = (status == 503).then_some("1");
        assert_eq!(self.header("retry-after"), retry, "{self:?}");
    }

    /// The handler's `{"agent_id","scope"}` of an allowed request.
    #[track_caller]
    pub fn assert_allowed(&self, agent_id: &str, scope: &str) {
        assert_eq!(self.status, 200, "{self:?}");
        let v = self.json();
        assert_eq!(
            (v["agent_id"].as_str(), v["scope"].as_str()),
            (Some(agent_id), Some(scope)),
            "{self:?}"
        );
    }
}

/// A reqwest client on a connection of its own (no pooling across clients);
/// plain HTTP, but reqwest wants a TLS configuration (ring, no roots).
pub fn client() -> reqwest::Client {
    use tokio_rustls::rustls;
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(rustls::RootCertStore::empty())
    .with_no_client_auth();
    reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .no_proxy()
        .pool_max_idle_per_host(0)
        .timeout(IO_TIMEOUT)
        .build()
        .unwrap()
}

/// Sends a signed request with its headers as the signer made them.
pub async fn send(client: &reqwest::Client, server: &Running, r: &Signed) -> Reply {
    let method = reqwest::Method::from_bytes(r.method.as_bytes()).unwrap();
    let mut b = client.request(method, server.url(&r.target));
    for (name, value) in &r.headers {
        b = b.header(name.as_str(), value.as_slice());
    }
    let resp = b.body(r.body.clone()).send().await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    Reply {
        status,
        headers,
        body: resp.text().await.unwrap(),
    }
}

/// How a raw request carries its body.
pub enum Framing {
    ContentLength,
    /// `Transfer-Encoding: chunked`, in chunks of this many bytes.
    Chunked(usize),
    /// Chunked, without the last chunk: the stream never ends.
    ChunkedUnfinished(usize),
    /// This `Content-Length`, and only the body's bytes (fewer).
    DeclaredLength(usize),
}

/// The signed request as HTTP/1.1 bytes, the target byte for byte as signed.
pub fn raw_request(r: &Signed, framing: Framing) -> Vec<u8> {
    let mut out = format!(
        "{} {} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n",
        r.method, r.target
    )
    .into_bytes();
    for (name, value) in &r.headers {
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value);
        out.extend_from_slice(b"\r\n");
    }
    match framing {
        Framing::ContentLength => {
            out.extend_from_slice(format!("Content-Length: {}\r\n\r\n", r.body.len()).as_bytes());
            out.extend_from_slice(&r.body);
        }
        Framing::DeclaredLength(declared) => {
            out.extend_from_slice(format!("Content-Length: {declared}\r\n\r\n").as_bytes());
            out.extend_from_slice(&r.body);
        }
        Framing::Chunked(size) | Framing::ChunkedUnfinished(size) => {
            out.extend_from_slice(b"Transfer-Encoding: chunked\r\n\r\n");
            for chunk in r.body.chunks(size) {
                out.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
                out.extend_from_slice(chunk);
                out.extend_from_slice(b"\r\n");
            }
            if matches!(framing, Framing::Chunked(_)) {
                out.extend_from_slice(b"0\r\n\r\n");
            }
        }
    }
    out
}

/// Writes `request` on a new connection and reads one response (its head
/// and `Content-Length` body; the connection may stay open).
pub async fn raw_exchange(addr: SocketAddr, request: &[u8]) -> Reply {
    let run = async {
        let mut tcp = TcpStream::connect(addr).await.unwrap();
        tcp.write_all(request).await.unwrap();
        tcp.flush().await.unwrap();
        let mut bytes = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            if let Some(reply) = complete_reply(&bytes) {
                return reply;
            }
            let n = tcp.read(&mut buf).await.unwrap();
            assert!(
                n > 0,
                "connection closed before a whole response: {bytes:?}"
            );
            bytes.extend_from_slice(&buf[..n]);
        }
    };
    tokio::time::timeout(IO_TIMEOUT, run).await.unwrap()
}

/// The response in `bytes` once its head and `Content-Length` body are there.
fn complete_reply(bytes: &[u8]) -> Option<Reply> {
    let text = std::str::from_utf8(bytes).ok()?;
    let (_, rest) = text.split_once("\r\n\r\n")?;
    let reply = parse_reply(bytes);
    let len: usize = reply.header("content-length")?.parse().ok()?;
    (rest.len() >= len).then_some(reply)
}

/// Parses one HTTP/1.1 response with a `Content-Length` body.
pub fn parse_reply(bytes: &[u8]) -> Reply {
    let text = String::from_utf8_lossy(bytes);
    let (head, rest) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no head: {text}"));
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status: {text}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let len = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .map_or(rest.len(), |(_, v)| v.parse().unwrap());
    Reply {
        status,
        headers,
        body: rest.get(..len).unwrap_or(rest).to_owned(),
    }
}
