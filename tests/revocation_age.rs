//! SPEC 7.2 (revision 1.1) and SPEC 7.3 end to end, against real peers on
//! 127.0.0.1: the reuse TTL counted from the fetch and never past
//! `nextUpdate`, the separate answer-age limit (the policy's
//! `revocationTimeout`, else the source's maximum: OCSP 24 h, endpoint
//! 300 s), `revocation_age_ms` in the audit record, one OCSP responder per
//! issuing CA for a whole-chain check (SPEC 7.1), and a revoked set that
//! never lets a revocation lapse early and fails closed when full.
//!
//! OCSP answers are pre-signed, as RFC 5019 responders do: `openssl ocsp`
//! (the real responder code, in its `-reqin`/`-respout` mode) signs an
//! answer once, and a small HTTP server serves those exact bytes for every
//! POST, counting them — the way a CDN in front of a responder does.
//! `openssl ocsp` stamps `thisUpdate` with the real time, so "an answer an
//! hour old" is that answer judged by a verifier whose `ManualClock` is set
//! exactly an hour after its `thisUpdate` (read back with `openssl ocsp
//! -resp_text`). Nothing sleeps for timing.
#![cfg(feature = "fetch")]

mod live;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use kakunin_verify::audit::RevocationOutcome;
use kakunin_verify::revocation::cache::CacheConfig;
use kakunin_verify::revocation::endpoint::EndpointSource;
use kakunin_verify::revocation::http::{HttpClient, HttpConfig};
use kakunin_verify::revocation::ocsp_source::OcspSource;
use kakunin_verify::revocation::webhook::WebhookError;
use kakunin_verify::routes::RouteTable;
use kakunin_verify::{
    Clock, Denial, HttpRequest, ManualClock, Revocation, SystemClock, VerifiedRequest, Verifier,
};
use live::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

const HOUR_MS: u64 = 3_600_000;
const DAY_MS: u64 = 24 * HOUR_MS;
/// The leaf of these tests whose policy states no revocationTimeout.
const OPEN_SERIAL: &str = "5A20";
const WEBHOOK_SECRET: &[u8] = b"whsec_age_test_secret";

// --- Fixtures ----------------------------------------------------------------

/// What these tests add to the shared live PKI (once per test binary).
struct AgeFixtures {
    /// A good leaf of the intermediate with no revocationTimeout.
    open: Leaf,
    /// index.txt of the intermediate naming `open` and the good leaf (valid).
    index: &'static str,
    /// index.txt of the root naming the intermediate (valid).
    root_index: &'static str,
    root_der: Vec<u8>,
    intermediate_der: Vec<u8>,
}

fn fixtures() -> &'static AgeFixtures {
    static F: OnceLock<AgeFixtures> = OnceLock::new();
    F.get_or_init(make_fixtures)
}

fn make_fixtures() -> AgeFixtures {
    let p = pki();
    let d = p.dir.as_path();
    // An agentPolicy without revocationTimeout (SPEC 3).
    std::fs::write(
        d.join("age-policy.cnf"),
        "asn1 = SEQUENCE:policy\n[policy]\nversion = INTEGER:1\n\
         scopes = IMPLICIT:0,SEQUENCE:scopes\nmaxTransaction = IMPLICIT:1,SEQUENCE:amount\n\
         allowedMarkets = IMPLICIT:2,SEQUENCE:markets\n\
         [scopes]\ns0 = UTF8String:submit_limit_order\n\
         [amount]\nmantissa = INTEGER:50000\nexponent = INTEGER:0\ncurrency = UTF8String:USD\n\
         [markets]\nm0 = UTF8String:EUR_USD\n",
    )
    .unwrap();
    openssl(
        d,
        &[
            "asn1parse",
            "-genconf",
            "age-policy.cnf",
            "-noout",
            "-out",
            "age-policy.der",
        ],
    );
    let policy: String = read(&d.join("age-policy.der"))
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    std::fs::write(
        d.join("age_open.ext"),
        format!(
            "[ext]\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n\
             extendedKeyUsage=clientAuth\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n\
             subjectAltName=URI:urn:kakunin:agent:age_open\n1.3.6.1.4.1.32473.1.1=DER:{policy}\n"
        ),
    )
    .unwrap();
    openssl(
        d,
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            "age_open.key",
        ],
    );
    openssl(
        d,
        &[
            "req",
            "-new",
            "-key",
            "age_open.key",
            "-subj",
            "/O=Kakunin Live Test/CN=age_open",
            "-out",
            "age_open.csr",
        ],
    );
    openssl(
        d,
        &[
            "x509",
            "-req",
            "-in",
            "age_open.csr",
            "-CA",
            "intermediate.pem",
            "-CAkey",
            "intermediate.key",
            "-set_serial",
            &format!("0x{OPEN_SERIAL}"),
            "-days",
            "30",
            "-sha256",
            "-extfile",
            "age_open.ext",
            "-extensions",
            "ext",
            "-out",
            "age_open.pem",
        ],
    );
    let index = "age-index.txt";
    std::fs::write(
        d.join(index),
        format!(
            "{}{}",
            index_line(false, &p.leaf_end, &p.start, OPEN_SERIAL, "age_open"),
            index_line(false, &p.leaf_end, &p.start, GOOD_SERIAL, "live_good"),
        ),
    )
    .unwrap();
    let root_index = "age-root-index.txt";
    std::fs::write(
        d.join(root_index),
        index_line(false, &p.leaf_end, &p.start, "02", "Live Intermediate"),
    )
    .unwrap();
    openssl(
        d,
        &[
            "x509", "-in", "root.pem", "-outform", "DER", "-out", "root.der",
        ],
    );
    AgeFixtures {
        open: Leaf {
            name: "age_open",
            serial: OPEN_SERIAL,
            key_pem: read(&d.join("age_open.key")),
            cert_pem: read(&d.join("age_open.pem")),
        },
        index,
        root_index,
        root_der: read(&d.join("root.der")),
        intermediate_der: read(&d.join("intermediate.der")),
    }
}

/// An OCSP answer pre-signed by the intermediate's delegated responder
/// (`openssl ocsp -reqin/-respout`), with its times as openssl reports them.
struct PreSigned {
    der: Vec<u8>,
    this_update_ms: u64,
    next_update_ms: u64,
}

static PRESIGN_SEQ: AtomicUsize = AtomicUsize::new(0);

/// Pre-signs the answer about `serial` (uppercase hex), valid for
/// `validity` (`-nmin N` or `-ndays N`).
fn presign(serial: &str, validity: [&str; 2]) -> PreSigned {
    let p = pki();
    let f = fixtures();
    let n = PRESIGN_SEQ.fetch_add(1, Ordering::SeqCst);
    let (req, resp) = (format!("age-req-{n}.der"), format!("age-resp-{n}.der"));
    let d = p.dir.as_path();
    openssl(
        d,
        &[
            "ocsp",
            "-issuer",
            "intermediate.pem",
            "-serial",
            &format!("0x{serial}"),
            "-no_nonce",
            "-reqout",
            &req,
        ],
    );
    let mut args = vec![
        "ocsp",
        "-index",
        f.index,
        "-CA",
        "intermediate.pem",
        "-rsigner",
        "resp.pem",
        "-rkey",
        "resp.key",
        "-reqin",
        &req,
        "-respout",
        &resp,
    ];
    args.extend_from_slice(&validity);
    openssl(d, &args);
    let text = openssl(d, &["ocsp", "-respin", &resp, "-resp_text", "-noverify"]);
    assert!(text.contains("Cert Status: good"), "{text}");
    PreSigned {
        der: read(&d.join(&resp)),
        this_update_ms: openssl_time_ms(&text, "This Update: "),
        next_update_ms: openssl_time_ms(&text, "Next Update: "),
    }
}

/// `Dec  3 09:55:25 2026 GMT` after `label` in `openssl ocsp -resp_text`.
fn openssl_time_ms(text: &str, label: &str) -> u64 {
    let line = text
        .lines()
        .find_map(|l| l.trim().strip_prefix(label))
        .unwrap_or_else(|| panic!("no {label:?} in {text}"));
    let format = time::format_description::parse_borrowed::<1>(
        "[month repr:short] [day padding:space] [hour]:[minute]:[second] [year] GMT",
    )
    .unwrap();
    let t = time::PrimitiveDateTime::parse(line.trim(), &format)
        .unwrap_or_else(|e| panic!("{line:?}: {e}"))
        .assume_utc();
    u64::try_from(t.unix_timestamp()).unwrap() * 1000
}

/// An HTTP/1.1 server on 127.0.0.1 answering every request with the
/// current pre-signed OCSP answer, counting requests. Stops on drop.
struct StaticOcsp {
    addr: std::net::SocketAddr,
    hits: Arc<AtomicUsize>,
    answer: Arc<Mutex<Vec<u8>>>,
    task: JoinHandle<()>,
}

impl StaticOcsp {
    async fn start(der: Vec<u8>) -> StaticOcsp {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let hits = Arc::new(AtomicUsize::new(0));
        let answer = Arc::new(Mutex::new(der));
        let (h, a) = (hits.clone(), answer.clone());
        let task = tokio::spawn(async move {
            let mut conns = tokio::task::JoinSet::new();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let (h, a) = (h.clone(), a.clone());
                conns.spawn(async move { serve_static(stream, h, a).await });
                while conns.try_join_next().is_some() {}
            }
        });
        StaticOcsp {
            addr,
            hits,
            answer,
            task,
        }
    }

    fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    fn serve(&self, der: Vec<u8>) {
        *self.answer.lock().unwrap() = der;
    }
}

impl Drop for StaticOcsp {
    fn drop(&mut self) {
        self.task.abort();
    }
}

// Reads one request (head, then Content-Length bytes) and answers it.
async fn serve_static(
    mut stream: tokio::net::TcpStream,
    hits: Arc<AtomicUsize>,
    answer: Arc<Mutex<Vec<u8>>>,
) {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => data.extend_from_slice(&buf[..n]),
        }
    };
    let head = String::from_utf8_lossy(&data[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while data.len() < head_end + length {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => data.extend_from_slice(&buf[..n]),
        }
    }
    hits.fetch_add(1, Ordering::SeqCst);
    let body = answer.lock().unwrap().clone();
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/ocsp-response\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(&body).await;
    let _ = stream.shutdown().await;
}

// --- Verifiers ---------------------------------------------------------------

fn no_refresh_ahead() -> CacheConfig {
    CacheConfig {
        refresh_ahead_ms: 0,
        ..CacheConfig::default()
    }
}

fn http() -> HttpClient {
    HttpClient::new(HttpConfig {
        connect_timeout: Duration::from_secs(10),
        total_timeout: Duration::from_secs(10),
        ..HttpConfig::default()
    })
    .unwrap()
}

fn verifier_with(
    clock: &Arc<ManualClock>,
    revocation: Revocation,
    cache: CacheConfig,
    fail_open: bool,
) -> Verifier {
    Verifier::builder(pki().trust())
        .audience(AUDIENCE)
        .routes(ROUTES.parse::<RouteTable>().unwrap())
        .clock(clock.clone())
        .revocation(revocation)
        .revocation_cache(cache)
        .fail_open_when_revocation_unavailable(fail_open)
        .build()
        .unwrap()
}

fn ocsp_verifier(clock: &Arc<ManualClock>, url: &str, cache: CacheConfig) -> Verifier {
    let source = OcspSource::new(http(), Some(url)).unwrap();
    verifier_with(clock, Revocation::Source(Arc::new(source)), cache, false)
}

fn endpoint_source(base: &str) -> Revocation {
    Revocation::Source(Arc::new(EndpointSource::new(http(), base).unwrap()))
}

async fn verify(v: &Verifier, leaf: &Leaf) -> Result<VerifiedRequest, Denial> {
    let s = sign_trade(&leaf.signer(), v.clock().now_ms());
    let pairs: Vec<(&str, &[u8])> = s.headers.iter().map(|(n, v)| (*n, v.as_bytes())).collect();
    v.verify(&HttpRequest::new(
        s.method,
        s.target,
        &pairs,
        s.body.as_bytes(),
    ))
    .await
}

/// Allowed with a valid revocation answer `age_ms` old.
fn allowed_at_age(r: Result<VerifiedRequest, Denial>, source: &str, age_ms: u64) {
    let ok = r.unwrap_or_else(|d| panic!("denied: {:?} {:?}", d.error, d.audit));
    let a = ok.audit();
    assert_eq!(a.revocation, RevocationOutcome::Valid);
    assert_eq!(a.revocation_source, Some(source));
    assert_eq!(a.revocation_age_ms, Some(age_ms), "revocation_age_ms");
    assert!(a
        .to_json()
        .contains(&format!(r#""revocation_age_ms":{age_ms}"#)));
}

fn denied_with(r: Result<VerifiedRequest, Denial>, code: &str) -> Denial {
    let Err(d) = r else {
        panic!("allowed, expected {code}");
    };
    assert_eq!(d.error.code().as_str(), code, "{:?}", d.error);
    d
}

fn unavailable(r: Result<VerifiedRequest, Denial>) -> Denial {
    let d = denied_with(r, "revocation_unavailable");
    assert_eq!(d.audit.revocation, RevocationOutcome::Unavailable);
    assert_eq!(d.audit.http_status, 503);
    assert_eq!(d.audit.revocation_age_ms, None);
    d
}

// --- SPEC 7.2: answer age ------------------------------------------------------

/// SPEC 7.2: an RFC 5019 pre-signed answer an hour old is used (no
/// revocationTimeout: the OCSP maximum, 24 h, applies), and the audit
/// record carries its age.
#[tokio::test(flavor = "multi_thread")]
async fn spec_7_2_a_presigned_ocsp_answer_an_hour_old_is_used() {
    let f = fixtures();
    let answer = presign(OPEN_SERIAL, ["-ndays", "1"]);
    let server = StaticOcsp::start(answer.der.clone()).await;
    let clock = Arc::new(ManualClock::new(answer.this_update_ms + HOUR_MS));
    let v = ocsp_verifier(&clock, &server.url(), no_refresh_ahead());
    allowed_at_age(verify(&v, &f.open).await, "ocsp", HOUR_MS);
    assert_eq!(server.hits(), 1);
}

/// SPEC 7.2: the policy's revocationTimeout (15 s for the good leaf) is the
/// age limit: the same kind of answer is used up to 15 s old, asked again
/// once older (within the TTL), and unavailable an hour old.
#[tokio::test(flavor = "multi_thread")]
async fn spec_7_2_revocation_timeout_15s_makes_an_old_answer_unavailable() {
    let p = pki();
    let answer = presign(GOOD_SERIAL, ["-ndays", "1"]);
    let server = StaticOcsp::start(answer.der.clone()).await;

    let clock = Arc::new(ManualClock::new(answer.this_update_ms + HOUR_MS));
    let v = ocsp_verifier(&clock, &server.url(), no_refresh_ahead());
    let d = unavailable(verify(&v, &p.good).await);
    assert!(
        format!("{:?}", d.error).contains("age limit"),
        "{:?}",
        d.error
    );

    let clock = Arc::new(ManualClock::new(answer.this_update_ms + 15_000));
    let v = ocsp_verifier(&clock, &server.url(), no_refresh_ahead());
    let before = server.hits();
    allowed_at_age(verify(&v, &p.good).await, "ocsp", 15_000);
    clock.advance_ms(1);
    unavailable(verify(&v, &p.good).await);
    assert_eq!(
        server.hits(),
        before + 2,
        "too old at its second use: asked again"
    );
}

/// SPEC 7.1 / 7.2: the endpoint answer was made at the fetch minus `Age`;
/// without a revocationTimeout its age limit is 300 s.
#[tokio::test(flavor = "multi_thread")]
async fn spec_7_2_endpoint_age_299_is_used_and_301_is_unavailable() {
    let f = fixtures();
    for (age_s, ok) in [(299u64, true), (300, true), (301, false)] {
        let server = EndpointServer::start().await;
        server.set(OPEN_SERIAL, Answer::Aged(age_s));
        let clock = Arc::new(ManualClock::new(SystemClock.now_ms()));
        let v = verifier_with(
            &clock,
            endpoint_source(&server.base()),
            no_refresh_ahead(),
            false,
        );
        let r = verify(&v, &f.open).await;
        if ok {
            allowed_at_age(r, "endpoint", age_s * 1000);
        } else {
            unavailable(r);
        }
        assert_eq!(server.hits(), 1);
    }
}

// --- SPEC 7.2: reuse (TTL) -----------------------------------------------------

/// SPEC 7.2: an answer is reused for the TTL counted from its fetch (not
/// from its thisUpdate, which is a minute older), then fetched again.
#[tokio::test(flavor = "multi_thread")]
async fn spec_7_2_an_answer_is_refetched_once_its_ttl_from_the_fetch_passed() {
    let f = fixtures();
    let answer = presign(OPEN_SERIAL, ["-ndays", "1"]);
    let server = StaticOcsp::start(answer.der.clone()).await;
    let fetched_at = answer.this_update_ms + 60_000;
    let clock = Arc::new(ManualClock::new(fetched_at));
    let v = ocsp_verifier(&clock, &server.url(), no_refresh_ahead());
    allowed_at_age(verify(&v, &f.open).await, "ocsp", 60_000);
    clock.advance_ms(4_999);
    allowed_at_age(verify(&v, &f.open).await, "ocsp", 64_999);
    assert_eq!(server.hits(), 1, "within the TTL: no I/O");
    clock.advance_ms(1);
    allowed_at_age(verify(&v, &f.open).await, "ocsp", 65_000);
    assert_eq!(server.hits(), 2, "TTL passed: fetched again");
}

/// SPEC 7.2: never used at or past nextUpdate, even with a longer TTL; the
/// responder still serving that answer is unavailable; a new one is used.
#[tokio::test(flavor = "multi_thread")]
async fn spec_7_2_an_answer_is_never_used_past_its_next_update() {
    let f = fixtures();
    let answer = presign(OPEN_SERIAL, ["-nmin", "10"]);
    let server = StaticOcsp::start(answer.der.clone()).await;
    let clock = Arc::new(ManualClock::new(answer.this_update_ms + 60_000));
    let cache = CacheConfig {
        ttl_ms: HOUR_MS,
        ..no_refresh_ahead()
    };
    let v = ocsp_verifier(&clock, &server.url(), cache);
    allowed_at_age(verify(&v, &f.open).await, "ocsp", 60_000);
    clock.set_ms(answer.next_update_ms - 1);
    let age = answer.next_update_ms - 1 - answer.this_update_ms;
    allowed_at_age(verify(&v, &f.open).await, "ocsp", age);
    assert_eq!(server.hits(), 1);
    clock.advance_ms(1);
    unavailable(verify(&v, &f.open).await);
    assert_eq!(server.hits(), 2, "at nextUpdate: asked again, and refused");
    // The responder pre-signs a new answer: used once the failure (1 s) passed.
    let fresh = presign(OPEN_SERIAL, ["-ndays", "1"]);
    server.serve(fresh.der);
    clock.advance_ms(1_000);
    let now = clock.now_ms();
    allowed_at_age(
        verify(&v, &f.open).await,
        "ocsp",
        now.saturating_sub(fresh.this_update_ms),
    );
    assert_eq!(server.hits(), 3);
}

// --- SPEC 7.1: a responder per issuing CA ------------------------------------

/// SPEC 7.1: with the whole chain checked, the root's responder (answers
/// signed by the root itself) is asked about the intermediate and the
/// intermediate's (delegated responder) about the leaf.
#[tokio::test(flavor = "multi_thread")]
async fn spec_7_1_whole_chain_asks_each_issuing_cas_responder() {
    let p = pki();
    let f = fixtures();
    let leaf_ca = OcspResponder::start_for(p, f.index, "intermediate.pem", "resp");
    let root_ca = OcspResponder::start_for(p, f.root_index, "root.pem", "root");
    let leaf_proxy = CountingProxy::start(leaf_ca.port).await;
    let root_proxy = CountingProxy::start(root_ca.port).await;
    let source = OcspSource::new(http(), None)
        .unwrap()
        .with_issuer_responder(&f.intermediate_der, &leaf_proxy.url())
        .unwrap()
        .with_issuer_responder(&f.root_der, &root_proxy.url())
        .unwrap();
    let clock = Arc::new(ManualClock::new(SystemClock.now_ms()));
    let v = Verifier::builder(p.trust())
        .audience(AUDIENCE)
        .routes(ROUTES.parse::<RouteTable>().unwrap())
        .clock(clock.clone())
        .revocation(Revocation::Source(Arc::new(source)))
        .check_whole_chain(true)
        .build()
        .unwrap();
    let ok = verify(&v, &f.open).await.expect("allowed");
    assert_eq!(ok.audit().revocation, RevocationOutcome::Valid);
    assert_eq!((leaf_proxy.hits(), root_proxy.hits()), (1, 1));
    // A CA without a named responder (and no default, no AIA) is unavailable.
    let only_leaf = OcspSource::new(http(), None)
        .unwrap()
        .with_issuer_responder(&f.intermediate_der, &leaf_proxy.url())
        .unwrap();
    let v = Verifier::builder(p.trust())
        .audience(AUDIENCE)
        .routes(ROUTES.parse::<RouteTable>().unwrap())
        .clock(clock.clone())
        .revocation(Revocation::Source(Arc::new(only_leaf)))
        .check_whole_chain(true)
        .build()
        .unwrap();
    let d = denied_with(verify(&v, &f.open).await, "revocation_unavailable");
    assert_eq!(d.audit.revocation, RevocationOutcome::Unavailable);
    assert!(format!("{:?}", d.error).contains("no allowed OCSP responder"));
}

// --- SPEC 7.3: pushed revocations never lapse early ---------------------------

fn hmac_hex(secret: &[u8], message: &[u8]) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret);
    ring::hmac::sign(&key, message)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Delivers a signed `certificate.revoked` webhook for `serial` to `v`.
fn push_revocation(
    v: &Verifier,
    serial: &str,
) -> Result<kakunin_verify::revocation::webhook::WebhookEvent, WebhookError> {
    let body =
        format!(r#"{{"event":"certificate.revoked","data":{{"serial_number":"{serial}"}}}}"#);
    let t = v.clock().now_ms() / 1000;
    let v1 = hmac_hex(WEBHOOK_SECRET, format!("{t}.{body}").as_bytes());
    v.apply_revocation_webhook(WEBHOOK_SECRET, &format!("t={t},v1={v1}"), body.as_bytes())
}

fn small_set(max_revoked: usize) -> CacheConfig {
    CacheConfig {
        max_revoked,
        ..no_refresh_ahead()
    }
}

/// SPEC 7.3: a pushed revocation (notAfter unknown) is kept for the longest
/// validity accepted: the agent is still denied 299 days later, while the
/// other entries of a full set lapse around it.
#[tokio::test(flavor = "multi_thread")]
async fn spec_7_3_a_revoked_agent_stays_denied_while_the_other_entries_lapse() {
    let p = pki();
    let clock = Arc::new(ManualClock::new(SystemClock.now_ms()));
    let v = verifier_with(&clock, Revocation::Disabled, small_set(3), false);
    push_revocation(&v, p.good.serial).expect("recorded");
    // Two more revocations that end soon (learnt for short-lived certificates).
    let set = v.revocation_cache().revoked_set();
    let now = clock.now_ms();
    set.insert("0b01", now + 1_000, "ocsp", now).unwrap();
    set.insert("0b02", now + DAY_MS, "ocsp", now).unwrap();
    denied_with(verify(&v, &p.good).await, "certificate_revoked");
    clock.advance_ms(DAY_MS);
    // Both others lapsed; the pushed one did not.
    let d = denied_with(verify(&v, &p.good).await, "certificate_revoked");
    assert_eq!(d.audit.revocation, RevocationOutcome::Revoked);
    verify(&v, &p.unknown)
        .await
        .expect("the set has room again");
    clock.advance_ms(298 * DAY_MS);
    denied_with(verify(&v, &p.good).await, "certificate_revoked");
}

/// SPEC 7.3: a full revoked set makes every request `revocation_unavailable`
/// — with no source (`Revocation::Disabled`), with a source, and even when
/// failing open is configured — until entries lapse; a webhook it cannot
/// record is refused with the 503-mapped error.
#[tokio::test(flavor = "multi_thread")]
async fn spec_7_3_a_full_revoked_set_denies_everyone_until_entries_lapse() {
    let p = pki();
    let f = fixtures();
    let server = EndpointServer::start().await;
    server.set(OPEN_SERIAL, Answer::Active);
    server.set(p.unknown.serial, Answer::Active);
    let clock = Arc::new(ManualClock::new(SystemClock.now_ms()));
    let verifiers = [
        verifier_with(&clock, Revocation::Disabled, small_set(2), false),
        verifier_with(&clock, endpoint_source(&server.base()), small_set(2), false),
        verifier_with(&clock, endpoint_source(&server.base()), small_set(2), true),
    ];
    for v in &verifiers {
        let now = clock.now_ms();
        push_revocation(v, p.revoked.serial).expect("recorded");
        verify(v, &f.open).await.expect("room left: allowed");
        v.revocation_cache()
            .revoked_set()
            .insert("0c01", now + 1_000, "ocsp", now)
            .unwrap();
        // Full: everyone is unavailable, whatever the source or fail-open says.
        unavailable(verify(v, &f.open).await);
        unavailable(verify(v, &p.unknown).await);
        denied_with(verify(v, &p.revoked).await, "certificate_revoked");
        // A revocation that cannot be recorded is answered 503.
        let refused = push_revocation(v, p.good.serial);
        assert_eq!(refused, Err(WebhookError::RevokedSetFull));
        assert_eq!(refused.unwrap_err().http_status(), 503);
        // Once an entry lapses, requests pass again and the retry is recorded.
        clock.advance_ms(1_000);
        verify(v, &f.open).await.expect("room again: allowed");
        push_revocation(v, p.good.serial).expect("the retry is recorded");
        denied_with(verify(v, &p.good).await, "certificate_revoked");
    }
}
