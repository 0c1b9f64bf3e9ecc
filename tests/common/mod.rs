//! Shared helpers for the integration tests: the shared v1 vectors' PKI,
//! a verifier over it, and freshly signed requests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use kakunin_verify::chain::TrustStore;
use kakunin_verify::routes::RouteTable;
use kakunin_verify::signer::{AgentSigner, RequestToSign};
use kakunin_verify::{
    Denial, HttpRequest, ManualClock, Revocation, VerifiedRequest, Verifier, VerifierBuilder,
};

/// 2026-07-01T09:15:00Z, the vectors' "now".
pub const NOW_MS: u64 = 1_782_897_300_000;
pub const AUDIENCE: &str = "api.exchange.example";

pub fn v1_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/testvectors/v1")
}

pub fn testdata_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/pki")
}

pub fn read(path: impl AsRef<Path>) -> Vec<u8> {
    let p = path.as_ref();
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

pub fn v1_trust() -> TrustStore {
    let mut t = TrustStore::new();
    t.add_roots_pem(&read(v1_dir().join("root.pem"))).unwrap();
    t.add_intermediates_pem(&read(v1_dir().join("intermediate.pem")))
        .unwrap();
    t
}

pub fn v1_routes() -> RouteTable {
    String::from_utf8(read(v1_dir().join("routes.txt")))
        .unwrap()
        .parse()
        .unwrap()
}

/// A builder over the v1 PKI and routes at `clock`, revocation disabled.
pub fn v1_builder(clock: Arc<ManualClock>) -> VerifierBuilder {
    Verifier::builder(v1_trust())
        .audience(AUDIENCE)
        .routes(v1_routes())
        .clock(clock)
        .revocation(Revocation::Disabled)
}

pub fn v1_signer(agent: &str) -> AgentSigner {
    let d = v1_dir();
    AgentSigner::from_pem(
        &read(d.join(format!("{agent}.key"))),
        &read(d.join(format!("{agent}.pem"))),
        None,
    )
    .unwrap()
}

/// A signed request, owned; `.verify(&verifier)` runs it.
#[derive(Clone, Debug)]
pub struct Signed {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: Vec<u8>,
    pub tls: Option<Vec<u8>>,
}

impl Signed {
    pub fn verify(&self, v: &Verifier) -> Result<VerifiedRequest, Denial> {
        let pairs: Vec<(&str, &[u8])> = self
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_slice()))
            .collect();
        let mut req = HttpRequest::new(&self.method, &self.target, &pairs, &self.body);
        req.tls_client_certificate = self.tls.as_deref();
        pollster::block_on(v.verify(&req))
    }

    pub fn code(&self, v: &Verifier) -> Option<&'static str> {
        self.verify(v).err().map(|d| d.error.code().as_str())
    }

    pub fn set_header(mut self, name: &str, value: &str) -> Self {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers
            .push((name.to_owned(), value.as_bytes().to_vec()));
        self
    }

    pub fn add_header(mut self, name: &str, value: &str) -> Self {
        self.headers
            .push((name.to_owned(), value.as_bytes().to_vec()));
        self
    }

    pub fn remove_header(mut self, name: &str) -> Self {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self
    }
}

static NONCE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

pub fn fresh_nonce() -> String {
    let n = NONCE.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    format!("test-nonce-{n:016}-{}", std::process::id())
}

/// Signs `method target body` at `ts` with a fresh nonce.
pub fn sign(signer: &AgentSigner, method: &str, target: &str, body: &str, ts: u64) -> Signed {
    sign_with(signer, method, target, body, ts, None, None)
}

pub fn sign_with(
    signer: &AgentSigner,
    method: &str,
    target: &str,
    body: &str,
    ts: u64,
    model: Option<&str>,
    prompt: Option<&str>,
) -> Signed {
    let nonce = fresh_nonce();
    let headers = signer
        .sign(&RequestToSign {
            audience: AUDIENCE,
            method,
            target,
            body: body.as_bytes(),
            timestamp_ms: ts,
            nonce: Some(&nonce),
            model_sha256: model,
            prompt_sha256: prompt,
        })
        .unwrap();
    Signed {
        method: method.to_owned(),
        target: target.to_owned(),
        headers: headers
            .into_iter()
            .map(|(n, v)| (n.to_owned(), v.into_bytes()))
            .collect(),
        body: body.as_bytes().to_vec(),
        tls: None,
    }
}

/// A networked revocation source (SPEC 7.2: its answers are cached) that
/// answers valid and records the serial of every certificate it is asked
/// about, so a test can tell how often, and about what, it was asked.
#[derive(Default)]
pub struct RecordingValid(pub std::sync::Mutex<Vec<String>>);

impl RecordingValid {
    /// The serials asked about so far, in order.
    pub fn asked(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

impl kakunin_verify::revocation::RevocationSource for RecordingValid {
    fn name(&self) -> &'static str {
        "recording"
    }
    fn is_networked(&self) -> bool {
        true
    }
    fn check<'a>(
        &'a self,
        c: kakunin_verify::revocation::CertificateRef<'a>,
        now_ms: u64,
    ) -> kakunin_verify::revocation::BoxFuture<
        'a,
        Result<
            kakunin_verify::revocation::RevocationAnswer,
            kakunin_verify::revocation::Unavailable,
        >,
    > {
        self.0.lock().unwrap().push(c.serial_hex.to_owned());
        Box::pin(std::future::ready(Ok(
            kakunin_verify::revocation::RevocationAnswer {
                status: kakunin_verify::revocation::RevocationStatus::Valid,
                produced_at_ms: now_ms,
                next_update_ms: None,
                risk_score: None,
                risk_band: None,
                source: "recording",
            },
        )))
    }
}
