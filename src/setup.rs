//! A [`VerifierBuilder`] from the files and choices an operator names on a
//! command line (SPEC 9): pinned roots, intermediates, CRLs, the revocation
//! choice (`none | crl | ocsp | endpoint=URL`), audiences, the route table
//! and a model inventory. The `kakunin-verify` CLI and the example gateways
//! build their verifiers here, so they read the same flags the same way.
//! Feature `fetch` (OCSP and the verify endpoint are networked).
//!
//! ```
//! use kakunin_verify::setup::VerifierFiles;
//! let files = VerifierFiles {
//!     roots: concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/pki/p256/root.pem").into(),
//!     revocation: Some("none".into()),
//!     ..VerifierFiles::default()
//! };
//! let verifier = files.builder()?.build()?;
//! # let _ = verifier;
//! # Ok::<(), kakunin_verify::ConfigError>(())
//! ```

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::authorization::ModelInventory;
use crate::chain::TrustStore;
use crate::error::ConfigError;
use crate::revocation::crl::CrlSource;
use crate::revocation::endpoint::EndpointSource;
use crate::revocation::http::{HttpClient, HttpConfig};
use crate::revocation::ocsp_source::OcspSource;
use crate::routes::RouteTable;
use crate::verifier::{Revocation, Verifier, VerifierBuilder};

/// The audience when none is named (SPEC 9).
pub const DEFAULT_AUDIENCE: &str = "api.exchange.example";

/// What an operator names: files and choices, not yet read.
#[derive(Debug, Clone, Default)]
pub struct VerifierFiles {
    /// Pinned root certificates (PEM).
    pub roots: PathBuf,
    /// Intermediate certificates (PEM).
    pub intermediates: Option<PathBuf>,
    /// CRL files (PEM or DER).
    pub crl: Vec<PathBuf>,
    /// `none | crl | ocsp | endpoint=URL`; `crl` when CRLs are given and
    /// this is not.
    pub revocation: Option<String>,
    /// The OCSP responder (AIA responders are not followed from here).
    pub ocsp_url: Option<String>,
    /// Accepted audiences ([`DEFAULT_AUDIENCE`] when none).
    pub audiences: Vec<String>,
    /// The route table file (SPEC 5.2).
    pub routes: Option<PathBuf>,
    /// Authorized model hashes (SPEC 5.6).
    pub model_inventory: Option<PathBuf>,
    /// Root certificates (PEM) for HTTPS revocation responders.
    pub tls_roots: Option<PathBuf>,
}

/// Reads a file, naming it in the error.
pub fn read_file(path: &Path) -> Result<Vec<u8>, ConfigError> {
    std::fs::read(path)
        .map_err(|e| ConfigError::new(format!("cannot read {}: {e}", path.display())))
}

fn read_text(path: &Path) -> Result<String, ConfigError> {
    String::from_utf8(read_file(path)?)
        .map_err(|_| ConfigError::new(format!("{} is not UTF-8", path.display())))
}

impl VerifierFiles {
    /// The pinned roots and configured intermediates.
    pub fn trust_store(&self) -> Result<TrustStore, ConfigError> {
        let mut trust = TrustStore::new();
        trust
            .add_roots_pem(&read_file(&self.roots)?)
            .map_err(|e| ConfigError::new(format!("--roots: {e}")))?;
        if let Some(p) = &self.intermediates {
            trust
                .add_intermediates_pem(&read_file(p)?)
                .map_err(|e| ConfigError::new(format!("--intermediates: {e}")))?;
        }
        Ok(trust)
    }

    /// SPEC 7 / 9: the revocation choice; contradictions are errors, and
    /// there is no silent default.
    pub fn revocation(&self) -> Result<Revocation, ConfigError> {
        let choice =
            match (&self.revocation, self.crl.is_empty()) {
                (Some(r), _) => r.clone(),
                (None, false) => "crl".to_owned(),
                (None, true) => return Err(ConfigError::new(
                    "--revocation is required (none|crl|ocsp|endpoint=URL) when no --crl is given",
                )),
            };
        if !self.crl.is_empty() && choice != "crl" {
            return Err(ConfigError::new(format!(
                "--crl contradicts --revocation {choice}"
            )));
        }
        match choice.as_str() {
            "none" if self.ocsp_url.is_none() => Ok(Revocation::Disabled),
            "none" => Err(ConfigError::new("--revocation none contradicts --ocsp-url")),
            "crl" if self.crl.is_empty() => {
                Err(ConfigError::new("--revocation crl needs --crl FILE"))
            }
            "crl" => self.crl_source(),
            other => self.networked(other),
        }
    }

    fn crl_source(&self) -> Result<Revocation, ConfigError> {
        let files = self
            .crl
            .iter()
            .map(|p| read_file(p))
            .collect::<Result<Vec<_>, _>>()?;
        let refs: Vec<&[u8]> = files.iter().map(Vec::as_slice).collect();
        let source = CrlSource::from_pem_or_der(&refs)?;
        Ok(Revocation::Source(Arc::new(source)))
    }

    fn http_client(&self) -> Result<HttpClient, ConfigError> {
        let mut config = HttpConfig::default();
        if let Some(p) = &self.tls_roots {
            use rustls_pki_types::pem::PemObject;
            config.root_certificates =
                rustls_pki_types::CertificateDer::pem_slice_iter(&read_file(p)?)
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| ConfigError::new(format!("--tls-roots: {e}")))?;
        }
        HttpClient::new(config)
    }

    // SPEC 9: `ocsp` (with --ocsp-url) and `endpoint=URL`.
    fn networked(&self, choice: &str) -> Result<Revocation, ConfigError> {
        if choice == "ocsp" {
            let url = self
                .ocsp_url
                .as_deref()
                .ok_or_else(|| ConfigError::new("--revocation ocsp needs --ocsp-url URL"))?;
            let source = OcspSource::new(self.http_client()?, Some(url))?;
            return Ok(Revocation::Source(Arc::new(source)));
        }
        if let Some(base) = choice.strip_prefix("endpoint=") {
            let source = EndpointSource::new(self.http_client()?, base)?;
            return Ok(Revocation::Source(Arc::new(source)));
        }
        Err(ConfigError::new(format!(
            "unknown --revocation {choice:?} (none|crl|ocsp|endpoint=URL)"
        )))
    }

    /// A builder with the trust store, revocation, audiences, routes and
    /// inventory set (the clock, stores and sinks are the caller's).
    pub fn builder(&self) -> Result<VerifierBuilder, ConfigError> {
        let revocation = self.revocation()?;
        let mut builder = Verifier::builder(self.trust_store()?).revocation(revocation);
        if self.audiences.is_empty() {
            builder = builder.audience(DEFAULT_AUDIENCE);
        }
        for a in &self.audiences {
            builder = builder.audience(a.clone());
        }
        if let Some(p) = &self.routes {
            let routes: RouteTable = read_text(p)?
                .parse()
                .map_err(|e| ConfigError::new(format!("--routes: {e}")))?;
            builder = builder.routes(routes);
        }
        if let Some(p) = &self.model_inventory {
            let inv = ModelInventory::parse(&read_text(p)?)
                .map_err(|e| ConfigError::new(format!("--model-inventory: {e}")))?;
            builder = builder.model_inventory(inv);
        }
        Ok(builder)
    }
}

/// A fleet's shared stores on Redis (SPEC 4.5 / 7.3, feature `redis`): what
/// `--shared-store redis://HOST:PORT` sets up.
#[cfg(feature = "redis")]
#[derive(Debug, Clone)]
pub struct SharedStore {
    /// The stores' connection.
    pub stores: crate::stores::redis::RedisStores,
    /// The shared revoked set (its subscription starts when the verifier is built).
    pub revoked: crate::stores::redis::RedisRevokedSet,
}

#[cfg(feature = "redis")]
impl SharedStore {
    /// Connects (lazily: an unreachable Redis is not an error here — every
    /// request is `overloaded` until it answers) under the key prefix of
    /// `audience` (`kakunin:{audience}:`). Inside a tokio runtime.
    pub async fn connect(url: &str, audience: &str) -> Result<SharedStore, ConfigError> {
        use crate::stores::redis::{RedisRevokedSet, RedisStoreConfig, RedisStores};
        let stores = RedisStores::connect_lazy(RedisStoreConfig::new(url, audience))?;
        let revoked = RedisRevokedSet::new(&stores)?;
        Ok(SharedStore { stores, revoked })
    }

    /// The builder with the nonce store, rate limiter, daily limiter and
    /// revoked set all on Redis.
    pub fn apply(&self, builder: VerifierBuilder) -> Result<VerifierBuilder, ConfigError> {
        let nonce = self.stores.nonce_store(Default::default())?;
        Ok(builder
            .nonce_store(Arc::new(nonce))
            .rate_limiter(Arc::new(self.stores.rate_limiter()))
            .daily_limiter(Arc::new(self.stores.daily_limiter()))
            .shared_revoked_set(Arc::new(self.revoked.clone())))
    }
}
