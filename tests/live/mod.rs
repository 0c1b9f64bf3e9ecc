//! Shared helpers of the live revocation tests (`revocation_live`,
//! `cli_revocation`): a PKI made at test time with the `openssl` CLI, a real
//! `openssl ocsp` responder (child process) behind an optional counting TCP
//! proxy, and a raw HTTP/1.1 server answering in Kakunin's verify-endpoint
//! format. Everything started here is stopped by a Drop guard.
//!
//! `openssl ocsp` stamps `thisUpdate` with the REAL time, so the PKI is
//! valid around the real now (notBefore one day back, notAfter 300 days on)
//! and the tests' verifier clocks start at the real now.
#![allow(dead_code)]

use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener as StdListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU16, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use kakunin_verify::signer::{AgentSigner, RequestToSign};
use kakunin_verify::{Clock, SystemClock};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

pub const OPENSSL: &str = "openssl";
pub const AUDIENCE: &str = "api.exchange.example";
pub const ROUTES: &str = "POST /v1/trades submit_limit_order trade\n";
pub const TRADE: &str = r#"{"market":"EUR_USD","size":45000,"direction":"BUY"}"#;
pub const DAY_S: i64 = 24 * 60 * 60;
const POLICY_OID: &str = "1.3.6.1.4.1.32473.1.1";

/// Serials (openssl / index.txt form, uppercase hex) of the leaves.
pub const GOOD_SERIAL: &str = "5A01";
pub const REVOKED_SERIAL: &str = "5A02";
pub const UNKNOWN_SERIAL: &str = "5A03";
/// A good leaf whose policy says revocationTimeout 2 s (an age limit below the 5 s TTL).
pub const SHORT_SERIAL: &str = "5A04";

/// One agent leaf of the test PKI.
pub struct Leaf {
    pub name: &'static str,
    /// Uppercase hex, as in index.txt and in endpoint URLs.
    pub serial: &'static str,
    pub key_pem: Vec<u8>,
    pub cert_pem: Vec<u8>,
}

impl Leaf {
    pub fn signer(&self) -> AgentSigner {
        AgentSigner::from_pem(&self.key_pem, &self.cert_pem, None).expect("test signer")
    }
}

/// The PKI: root → intermediate → leaves + OCSP responder, in a temp dir.
pub struct Pki {
    pub dir: PathBuf,
    pub good: Leaf,
    pub revoked: Leaf,
    pub unknown: Leaf,
    pub short: Leaf,
    /// Issued by `intermediate2` with the serial of `revoked`; good in
    /// `index2.txt`.
    pub twin: Leaf,
    /// notAfter of the leaves, as index.txt wants it.
    pub leaf_end: String,
    /// notBefore of the leaves (a day before the real now), index.txt form.
    pub start: String,
}

impl Pki {
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    pub fn trust(&self) -> kakunin_verify::chain::TrustStore {
        let mut t = kakunin_verify::chain::TrustStore::new();
        t.add_roots_pem(&read(&self.path("root.pem"))).unwrap();
        t.add_intermediates_pem(&read(&self.path("intermediate.pem")))
            .unwrap();
        t.add_intermediates_pem(&read(&self.path("intermediate2.pem")))
            .unwrap();
        t
    }
}

pub fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

pub fn write(dir: &Path, name: &str, contents: &[u8]) {
    std::fs::write(dir.join(name), contents).expect("write fixture file");
}

pub fn openssl(dir: &Path, args: &[&str]) -> String {
    let out = Command::new(OPENSSL)
        .args(args)
        .current_dir(dir)
        .env("OPENSSL_CONF", "/dev/null")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {OPENSSL} ({e}): these tests need the openssl CLI"));
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `YYMMDDHHMMSSZ` (UTCTime, as `openssl ca` and index.txt want it).
pub fn utc_time(unix_s: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(unix_s).expect("time in range");
    format!(
        "{:02}{:02}{:02}{:02}{:02}{:02}Z",
        t.year() % 100,
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// The agentPolicy of these tests, DER as hex: scope `submit_limit_order`,
/// market `EUR_USD`, maxTransaction 50000, revocationTimeout 15 s (no
/// allowedHours: the tests run at any real hour).
pub fn policy_hex(dir: &Path, revocation_timeout_s: u32) -> String {
    let cnf = format!(
        "asn1 = SEQUENCE:policy\n\
          [policy]\n\
          version = INTEGER:1\n\
          scopes = IMPLICIT:0,SEQUENCE:scopes\n\
          maxTransaction = IMPLICIT:1,SEQUENCE:amount\n\
          allowedMarkets = IMPLICIT:2,SEQUENCE:markets\n\
          revocationTimeout = IMPLICIT:3,INTEGER:{revocation_timeout_s}\n\
          [scopes]\n\
          s0 = UTF8String:submit_limit_order\n\
          [amount]\n\
          mantissa = INTEGER:50000\n\
          exponent = INTEGER:0\n\
          currency = UTF8String:USD\n\
          [markets]\n\
          m0 = UTF8String:EUR_USD\n"
    );
    let (cnf_name, der_name) = (
        format!("policy{revocation_timeout_s}.cnf"),
        format!("policy{revocation_timeout_s}.der"),
    );
    write(dir, &cnf_name, cnf.as_bytes());
    openssl(
        dir,
        &[
            "asn1parse",
            "-genconf",
            &cnf_name,
            "-noout",
            "-out",
            &der_name,
        ],
    );
    read(&dir.join(der_name))
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Signs `name.csr` with `openssl ca` (so notBefore can lie in the past).
/// `issuer` is `None` for the self-signed root.
#[allow(clippy::too_many_arguments)]
pub fn ca_sign(
    dir: &Path,
    name: &str,
    issuer: Option<&str>,
    issuer_key: &str,
    serial: &str,
    start: &str,
    end: &str,
    ext: &str,
) {
    let db = dir.join(format!("db-{name}"));
    std::fs::create_dir_all(&db).unwrap();
    write(&db, "index.txt", b"");
    write(&db, "serial", format!("{serial}\n").as_bytes());
    let cnf = format!(
        "[ca]\ndefault_ca = CA_default\n[CA_default]\ndatabase = {db}/index.txt\n\
         serial = {db}/serial\nnew_certs_dir = {db}\npolicy = policy_any\n\
         unique_subject = no\nemail_in_dn = no\ncopy_extensions = none\n\
         [policy_any]\norganizationName = optional\ncommonName = optional\n",
        db = db.display()
    );
    write(dir, &format!("{name}.ca.cnf"), cnf.as_bytes());
    write(
        dir,
        &format!("{name}.ext"),
        format!("[ext]\n{ext}").as_bytes(),
    );
    let (cnf, ext_file, csr, out) = (
        format!("{name}.ca.cnf"),
        format!("{name}.ext"),
        format!("{name}.csr"),
        format!("{name}.pem"),
    );
    let mut args = vec![
        "ca",
        "-batch",
        "-notext",
        "-preserveDN",
        "-config",
        &cnf,
        "-md",
        "sha256",
        "-keyfile",
        issuer_key,
        "-in",
        &csr,
        "-startdate",
        start,
        "-enddate",
        end,
        "-extfile",
        &ext_file,
        "-extensions",
        "ext",
        "-out",
        &out,
    ];
    match issuer {
        Some(cert) => args.extend_from_slice(&["-cert", cert]),
        None => args.push("-selfsign"),
    }
    openssl(dir, &args);
}

pub fn key_and_csr(dir: &Path, name: &str, subject: &str) {
    let (key, csr) = (format!("{name}.key"), format!("{name}.csr"));
    openssl(
        dir,
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-pkeyopt",
            "ec_param_enc:named_curve",
            "-out",
            &key,
        ],
    );
    openssl(
        dir,
        &["req", "-new", "-key", &key, "-subj", subject, "-out", &csr],
    );
}

fn make_pki() -> Pki {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    remove_stale_pkis(tmp);
    let dir = tmp.join(format!(
        "kakunin-live-{}-{}",
        std::process::id(),
        SystemClock.now_ms()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create temp dir");
    let d = dir.as_path();
    let now_s = i64::try_from(SystemClock.now_ms() / 1000).unwrap();
    let start = utc_time(now_s - DAY_S);
    let leaf_end = utc_time(now_s + 300 * DAY_S);
    let ca_end = utc_time(now_s + 3000 * DAY_S);
    let policy = policy_hex(d, 15);
    let short_policy = policy_hex(d, 2);

    key_and_csr(d, "root", "/O=Kakunin Live Test/CN=Live Root");
    ca_sign(
        d,
        "root",
        None,
        "root.key",
        "01",
        &start,
        &ca_end,
        "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n\
         subjectKeyIdentifier=hash\n",
    );
    key_and_csr(
        d,
        "intermediate",
        "/O=Kakunin Live Test/CN=Live Intermediate",
    );
    ca_sign(
        d,
        "intermediate",
        Some("root.pem"),
        "root.key",
        "02",
        &start,
        &ca_end,
        "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n\
         subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid:always\n",
    );
    // A second issuing CA under the same root, for serial-collision tests.
    key_and_csr(
        d,
        "intermediate2",
        "/O=Kakunin Live Test/CN=Live Intermediate 2",
    );
    ca_sign(
        d,
        "intermediate2",
        Some("root.pem"),
        "root.key",
        "03",
        &start,
        &ca_end,
        "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n\
         subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid:always\n",
    );
    let leaf = |name: &'static str, serial: &'static str, policy: &str, ca: &str| {
        key_and_csr(d, name, &format!("/O=Kakunin Live Test/CN={name}"));
        let ext = format!(
            "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n\
             extendedKeyUsage=clientAuth\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n\
             subjectAltName=URI:urn:kakunin:agent:{name}\n{POLICY_OID}=DER:{policy}\n"
        );
        ca_sign(
            d,
            name,
            Some(&format!("{ca}.pem")),
            &format!("{ca}.key"),
            serial,
            &start,
            &leaf_end,
            &ext,
        );
        Leaf {
            name,
            serial,
            key_pem: read(&d.join(format!("{name}.key"))),
            cert_pem: read(&d.join(format!("{name}.pem"))),
        }
    };
    let good = leaf("live_good", GOOD_SERIAL, &policy, "intermediate");
    let revoked = leaf("live_revoked", REVOKED_SERIAL, &policy, "intermediate");
    let unknown = leaf("live_unknown", UNKNOWN_SERIAL, &policy, "intermediate");
    let short = leaf("live_short", SHORT_SERIAL, &short_policy, "intermediate");
    // Same serial as `revoked`, other issuer, not revoked (RFC 5280:
    // serials are unique per issuer only).
    let twin = leaf("live_twin", REVOKED_SERIAL, &policy, "intermediate2");
    // The delegated OCSP responders, one per issuing CA.
    for (resp, ca, serial) in [
        ("resp", "intermediate", "5A10"),
        ("resp2", "intermediate2", "5A11"),
    ] {
        key_and_csr(
            d,
            resp,
            &format!("/O=Kakunin Live Test/CN=Live OCSP Responder {ca}"),
        );
        ca_sign(
            d,
            resp,
            Some(&format!("{ca}.pem")),
            &format!("{ca}.key"),
            serial,
            &start,
            &leaf_end,
            "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n\
             extendedKeyUsage=OCSPSigning\n",
        );
    }
    openssl(
        d,
        &[
            "x509",
            "-in",
            "intermediate.pem",
            "-outform",
            "DER",
            "-out",
            "intermediate.der",
        ],
    );
    // The CA database: one good and one revoked leaf; the third is absent.
    let index = format!(
        "{}{}{}",
        index_line(false, &leaf_end, &start, GOOD_SERIAL, "live_good"),
        index_line(true, &leaf_end, &start, REVOKED_SERIAL, "live_revoked"),
        index_line(false, &leaf_end, &start, SHORT_SERIAL, "live_short"),
    );
    write(d, "index.txt", index.as_bytes());
    let index2 = index_line(false, &leaf_end, &start, REVOKED_SERIAL, "live_twin");
    write(d, "index2.txt", index2.as_bytes());
    write(d, "routes.txt", ROUTES.as_bytes());
    Pki {
        dir,
        good,
        revoked,
        unknown,
        short,
        twin,
        leaf_end,
        start,
    }
}

/// One line of an `openssl ca` index.txt: valid, or revoked (keyCompromise).
pub fn index_line(
    revoked: bool,
    not_after: &str,
    revoked_at: &str,
    serial: &str,
    cn: &str,
) -> String {
    if revoked {
        format!("R\t{not_after}\t{revoked_at},keyCompromise\t{serial}\tunknown\t/O=Kakunin Live Test/CN={cn}\n")
    } else {
        format!("V\t{not_after}\t\t{serial}\tunknown\t/O=Kakunin Live Test/CN={cn}\n")
    }
}

/// Removes PKIs of earlier runs (more than an hour old; a concurrent
/// run's PKI is younger).
fn remove_stale_pkis(tmp: &Path) {
    let Ok(entries) = std::fs::read_dir(tmp) else {
        return;
    };
    for e in entries.flatten() {
        let old = e
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > std::time::Duration::from_secs(3600));
        if old && e.file_name().to_string_lossy().starts_with("kakunin-live-") {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// The PKI, made once per test binary.
pub fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(make_pki)
}

/// A port that was free a moment ago (bind 127.0.0.1:0, read, drop).
fn free_port() -> u16 {
    let l = StdListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().unwrap().port()
}

/// A running `openssl ocsp` responder; killed (by its `Child`) on drop.
pub struct OcspResponder {
    child: Option<Child>,
    pub port: u16,
}

impl OcspResponder {
    /// Starts `openssl ocsp -index index.txt -port N ...` and waits until it
    /// listens: its `ACCEPT` line on stdout, printed once the socket is
    /// bound. (A connect probe would not do: `openssl ocsp` 3.0 stops
    /// answering for good after a client connects and closes without a
    /// request.) Retries on another port when the chosen one was taken.
    pub fn start(pki: &Pki) -> OcspResponder {
        Self::start_with_index(pki, "index.txt")
    }

    /// Like [`Self::start`] with another index file of the PKI dir.
    pub fn start_with_index(pki: &Pki, index: &str) -> OcspResponder {
        Self::start_for(pki, index, "intermediate.pem", "resp")
    }

    /// A responder for the CA `ca_pem` with its database `index`, signing
    /// as `{rsigner}.pem` / `{rsigner}.key`.
    pub fn start_for(pki: &Pki, index: &str, ca_pem: &str, rsigner: &str) -> OcspResponder {
        let (rcert, rkey) = (format!("{rsigner}.pem"), format!("{rsigner}.key"));
        for _attempt in 0..5 {
            let port = free_port();
            let mut child = Command::new(OPENSSL)
                .args([
                    "ocsp",
                    "-index",
                    index,
                    "-port",
                    &port.to_string(),
                    "-rsigner",
                    &rcert,
                    "-rkey",
                    &rkey,
                    "-CA",
                    ca_pem,
                    "-nmin",
                    "5",
                    "-ignore_err",
                ])
                .current_dir(&pki.dir)
                .env("OPENSSL_CONF", "/dev/null")
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn openssl ocsp");
            let stdout = child.stdout.take().expect("piped stdout");
            let mut responder = OcspResponder {
                child: Some(child),
                port,
            };
            if wait_for_accept_line(stdout) {
                return responder;
            }
            responder.kill();
        }
        panic!("openssl ocsp did not start listening");
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    /// Kills the responder (by its PID) and reaps it.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

// Readiness, not timing: the first stdout line is `ACCEPT ...` once the
// responder listens; EOF first means it exited (port taken?). The rest of
// stdout is drained by a thread that ends with the child. The bound only
// guards against a wedged child.
fn wait_for_accept_line(stdout: std::process::ChildStdout) -> bool {
    use std::io::BufRead;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = std::io::BufReader::new(stdout).lines();
        let first = lines.next().and_then(Result::ok);
        let _ = tx.send(first.is_some_and(|l| l.starts_with("ACCEPT")));
        for _ in lines {}
    });
    rx.recv_timeout(std::time::Duration::from_secs(60))
        .unwrap_or(false)
}

impl Drop for OcspResponder {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Aborts a tokio task on drop.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A TCP proxy on 127.0.0.1 counting the HTTP requests (`POST /`) that pass
/// to `upstream`; stops (aborting every connection) on drop.
pub struct CountingProxy {
    pub addr: SocketAddr,
    hits: Arc<AtomicUsize>,
    upstream: Arc<AtomicU16>,
    task: JoinHandle<()>,
}

impl CountingProxy {
    pub async fn start(upstream_port: u16) -> CountingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let hits = Arc::new(AtomicUsize::new(0));
        let upstream = Arc::new(AtomicU16::new(upstream_port));
        let (h, u) = (hits.clone(), upstream.clone());
        let task = tokio::spawn(async move {
            // Dropping the set (when this task is aborted) aborts every connection.
            let mut conns = JoinSet::new();
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    continue;
                };
                let (h, port) = (h.clone(), u.load(Ordering::SeqCst));
                conns.spawn(async move { pipe(client, port, h).await });
                while conns.try_join_next().is_some() {}
            }
        });
        CountingProxy {
            addr,
            hits,
            upstream,
            task,
        }
    }

    /// New connections go to `port` from now on.
    pub fn set_upstream(&self, port: u16) {
        self.upstream.store(port, Ordering::SeqCst);
    }

    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

impl Drop for CountingProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

// Counts `POST /` in the client's bytes (across reads) and pipes both ways.
async fn pipe(client: TcpStream, upstream_port: u16, hits: Arc<AtomicUsize>) {
    let Ok(upstream) = TcpStream::connect(("127.0.0.1", upstream_port)).await else {
        return; // the responder is gone: the client sees the connection close
    };
    let (mut cr, mut cw) = client.into_split();
    let (mut ur, mut uw) = upstream.into_split();
    let mut back = AbortOnDrop(tokio::spawn(async move {
        let _ = tokio::io::copy(&mut ur, &mut cw).await;
        let _ = cw.shutdown().await;
    }));
    let mut window: Vec<u8> = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = match cr.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        window.extend_from_slice(&buf[..n]);
        let found = window.windows(6).filter(|w| w == b"POST /").count();
        hits.fetch_add(found, Ordering::SeqCst);
        let keep = window.len().min(5);
        window.drain(..window.len() - keep);
        if uw.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
    let _ = uw.shutdown().await;
    let _ = (&mut back.0).await;
    drop(back);
}

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

static NONCE: AtomicUsize = AtomicUsize::new(0);

/// A signed request (headers owned), fresh nonce.
#[derive(Clone, Debug)]
pub struct Signed {
    pub method: &'static str,
    pub target: &'static str,
    pub headers: Vec<(&'static str, String)>,
    pub body: &'static str,
}

pub fn sign_trade(signer: &AgentSigner, ts_ms: u64) -> Signed {
    let n = NONCE.fetch_add(1, Ordering::SeqCst);
    let nonce = format!("live-nonce-{n:08}-{}-{ts_ms}", std::process::id());
    let headers = signer
        .sign(&RequestToSign {
            audience: AUDIENCE,
            method: "POST",
            target: "/v1/trades",
            body: TRADE.as_bytes(),
            timestamp_ms: ts_ms,
            nonce: Some(&nonce),
            model_sha256: None,
            prompt_sha256: None,
        })
        .expect("sign");
    let mut headers = headers;
    // SPEC 4.1 (rev 1.1): a non-empty body is `application/json`; added
    // unless the signer already emits it.
    if !headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
    {
        headers.push(("Content-Type", "application/json".to_owned()));
    }
    Signed {
        method: "POST",
        target: "/v1/trades",
        headers,
        body: TRADE,
    }
}

impl Signed {
    /// The request as a raw HTTP/1.1 file (SPEC 9).
    pub fn raw_http(&self) -> Vec<u8> {
        let mut s = format!(
            "{} {} HTTP/1.1\r\nHost: {AUDIENCE}\r\n",
            self.method, self.target
        );
        for (n, v) in &self.headers {
            s.push_str(&format!("{n}: {v}\r\n"));
        }
        // SPEC 4.1 (1.1): the signer sends the Content-Type of a non-empty body.
        if !self
            .headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
        {
            s.push_str("Content-Type: application/json\r\n");
        }
        s.push_str(&format!(
            "Content-Length: {}\r\n\r\n{}",
            self.body.len(),
            self.body
        ));
        s.into_bytes()
    }
}
