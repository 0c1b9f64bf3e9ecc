//! What the three example gateways share: their command line (exactly the
//! flags the integration issue names), the verifier it describes, the
//! webhook secret, the audit trail and the TLS configuration.
//!
//! ```text
//! --roots FILE --intermediates FILE --routes FILE
//! --revocation none|crl|ocsp|endpoint=URL [--crl FILE]... [--ocsp-url URL]
//! [--audience NAME]... --listen ADDR [--tls-cert FILE --tls-key FILE]
//! [--webhook-secret-file FILE] [--audit-log FILE]
//! [--shared-store redis://HOST:PORT]
//! ```
//!
//! With `--shared-store` (a build with the feature `redis`), the nonce
//! store, rate limiter, daily limiter and revoked set live in Redis: several
//! gateway processes on one Redis act as one verifier, and a webhook
//! received by one revokes on all of them at once (SPEC 4.5, 7.3).
#![allow(dead_code)]

use std::error::Error;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Parser;
use kakunin_verify::audit::sink::{AuditSink, FanOut, JsonLinesSink, TracingSink};
use kakunin_verify::setup::{read_file, VerifierFiles};
use kakunin_verify::{Verifier, VerifierBuilder};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// The gateways' command line.
#[derive(Parser, Debug)]
pub struct GatewayArgs {
    /// Pinned root certificates (PEM).
    #[arg(long)]
    pub roots: PathBuf,
    /// Intermediate certificates (PEM).
    #[arg(long)]
    pub intermediates: PathBuf,
    /// The route table (SPEC 5.2); every route is served.
    #[arg(long)]
    pub routes: PathBuf,
    /// none | crl | ocsp | endpoint=URL
    #[arg(long)]
    pub revocation: String,
    /// CRL files (PEM or DER), with --revocation crl; repeatable.
    #[arg(long)]
    pub crl: Vec<PathBuf>,
    /// The OCSP responder, with --revocation ocsp.
    #[arg(long)]
    pub ocsp_url: Option<String>,
    /// Accepted audiences; repeatable (default api.exchange.example).
    #[arg(long)]
    pub audience: Vec<String>,
    /// Address to listen on, e.g. 127.0.0.1:8443.
    #[arg(long)]
    pub listen: SocketAddr,
    /// The server's certificate chain (PEM), to serve HTTPS.
    #[arg(long, requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The server's private key (PEM).
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// A file holding the webhook secret (SPEC 7.3); enables POST /kakunin/webhook.
    #[arg(long)]
    pub webhook_secret_file: Option<PathBuf>,
    /// Append every decision's audit record (SPEC 8) to this JSON-lines file.
    #[arg(long)]
    pub audit_log: Option<PathBuf>,
    /// Share nonces, rate windows, daily totals and revocations in Redis.
    #[arg(long)]
    pub shared_store: Option<String>,
}

/// The server's certificate chain and private key.
pub type ServerIdentity = (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>);

/// The webhook route's path.
pub const WEBHOOK_PATH: &str = "/kakunin/webhook";

impl GatewayArgs {
    /// The verifier these flags describe: the system clock, the audit trail
    /// (a JSON-lines file when asked, and `tracing` events).
    /// The verifier these flags describe. Inside the tokio runtime the
    /// server runs on (a shared store's connection and subscription live
    /// there).
    pub async fn verifier(&self) -> Result<Arc<Verifier>, Box<dyn Error>> {
        let files = VerifierFiles {
            roots: self.roots.clone(),
            intermediates: Some(self.intermediates.clone()),
            crl: self.crl.clone(),
            revocation: Some(self.revocation.clone()),
            ocsp_url: self.ocsp_url.clone(),
            audiences: self.audience.clone(),
            routes: Some(self.routes.clone()),
            ..VerifierFiles::default()
        };
        let mut sinks: Vec<Arc<dyn AuditSink>> = vec![Arc::new(TracingSink)];
        if let Some(path) = &self.audit_log {
            sinks.push(Arc::new(JsonLinesSink::open(path)?));
        }
        let builder = files.builder()?.audit_sink(Arc::new(FanOut(sinks)));
        let builder = self.shared_store(builder).await?;
        Ok(Arc::new(builder.build()?))
    }

    #[cfg(feature = "redis")]
    async fn shared_store(
        &self,
        builder: VerifierBuilder,
    ) -> Result<VerifierBuilder, Box<dyn Error>> {
        let Some(url) = &self.shared_store else {
            return Ok(builder);
        };
        let audience = self
            .audience
            .first()
            .map_or(kakunin_verify::setup::DEFAULT_AUDIENCE, String::as_str);
        let shared = kakunin_verify::setup::SharedStore::connect(url, audience).await?;
        let builder = shared.apply(builder)?;
        eprintln!("shared store: {url} (prefix kakunin:{{{audience}}}:)");
        Ok(builder)
    }

    #[cfg(not(feature = "redis"))]
    async fn shared_store(
        &self,
        builder: VerifierBuilder,
    ) -> Result<VerifierBuilder, Box<dyn Error>> {
        match &self.shared_store {
            Some(_) => Err("--shared-store needs a build with the feature `redis`".into()),
            None => Ok(builder),
        }
    }

    /// The webhook secret: the file's contents without a trailing newline.
    pub fn webhook_secret(&self) -> Result<Option<Vec<u8>>, Box<dyn Error>> {
        let Some(path) = &self.webhook_secret_file else {
            return Ok(None);
        };
        let mut secret = read_file(path)?;
        while secret.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
            secret.pop();
        }
        if secret.is_empty() {
            return Err("the webhook secret file is empty".into());
        }
        Ok(Some(secret))
    }

    /// The server's certificate chain and key, when HTTPS was asked for.
    pub fn server_identity(&self) -> Result<Option<ServerIdentity>, Box<dyn Error>> {
        let (Some(cert), Some(key)) = (&self.tls_cert, &self.tls_key) else {
            return Ok(None);
        };
        let chain = CertificateDer::pem_slice_iter(&read_file(cert)?)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("--tls-cert: {e}"))?;
        let key = PrivateKeyDer::from_pem_slice(&read_file(key)?)
            .map_err(|e| format!("--tls-key: {e}"))?;
        Ok(Some((chain, key)))
    }
}

/// The answer of every route on allow (SPEC 9's gateways).
pub fn allow_body(agent_id: &str, scope: &str) -> String {
    serde_json::json!({ "agent_id": agent_id, "scope": scope }).to_string()
}

/// One line on stderr when the gateway is up (tests wait for it).
pub fn announce(name: &str, addr: SocketAddr, tls: bool) {
    let scheme = if tls { "https" } else { "http" };
    eprintln!("{name} listening on {scheme}://{addr}");
}
