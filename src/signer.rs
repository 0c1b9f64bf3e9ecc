//! The agent side of SPEC 4: signs requests with a local PKCS#8 key, for
//! agent developers testing against a verifier (the CLI's `sign`), and for
//! this crate's tests and benchmarks.

use base64_simd::STANDARD;
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{self as sig, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair};

use crate::certificate::{AgentCertificate, ExtensionOids, KeyAlgorithm};
use crate::error::{ConfigError, Error};
use crate::signature::{SignatureAlgorithm, SigningInput};

enum Key {
    Rsa(RsaKeyPair),
    Ecdsa(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
}

/// A request to sign (SPEC 4.4 fields the agent chooses).
#[derive(Debug, Clone, Copy)]
pub struct RequestToSign<'a> {
    /// The exchange API meant.
    pub audience: &'a str,
    /// The method.
    pub method: &'a str,
    /// The request-target.
    pub target: &'a str,
    /// The body bytes (empty, or a JSON object).
    pub body: &'a [u8],
    /// Unix ms.
    pub timestamp_ms: u64,
    /// The nonce (16-64 of `[A-Za-z0-9_-]`), or `None` to send none.
    pub nonce: Option<&'a str>,
    /// `X-Agent-Model-Sha256`, when sent.
    pub model_sha256: Option<&'a str>,
    /// `X-Agent-Prompt-Sha256`, when sent.
    pub prompt_sha256: Option<&'a str>,
}

/// An agent's key and certificate.
///
/// ```
/// use kakunin_verify::signer::{AgentSigner, RequestToSign};
/// let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/pki/ed25519");
/// let signer = AgentSigner::from_pem(
///     &std::fs::read(format!("{dir}/leaf.key")).unwrap(),
///     &std::fs::read(format!("{dir}/leaf.pem")).unwrap(),
///     None,
/// ).unwrap();
/// let headers = signer.sign(&RequestToSign {
///     audience: "api.exchange.example", method: "GET", target: "/v1/orderbook", body: b"",
///     timestamp_ms: 1_782_897_300_000, nonce: Some("n0001-0123456789abcdef"),
///     model_sha256: None, prompt_sha256: None,
/// }).unwrap();
/// assert!(headers.iter().any(|(n, _)| *n == "X-Agent-Signature"));
/// ```
pub struct AgentSigner {
    key: Key,
    algorithm: SignatureAlgorithm,
    cert: AgentCertificate,
    chain_b64: Option<String>,
}

impl std::fmt::Debug for AgentSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "AgentSigner({}, {:?})",
            self.algorithm.name(),
            self.cert.claimed_agent_id()
        )
    }
}

fn pem_block(pem: &[u8], wanted: &[&str]) -> Result<Vec<u8>, ConfigError> {
    let (label, der) = der::pem::decode_vec(pem.trim_ascii_start())
        .map_err(|_| ConfigError::new("PEM does not decode"))?;
    if !wanted.contains(&label) {
        return Err(ConfigError::new(format!("unexpected PEM label {label}")));
    }
    Ok(der)
}

impl AgentSigner {
    /// Loads a PKCS#8 PEM private key and the agent's PEM certificate, with an
    /// optional PEM bundle of intermediates to send as `X-Agent-Chain`.
    pub fn from_pem(
        key_pem: &[u8],
        cert_pem: &[u8],
        chain_pem: Option<&[u8]>,
    ) -> Result<Self, ConfigError> {
        // The signer only needs the key's type: it also reads what only the
        // kakunin-2026 profile reads (SPEC 10: their agents sign as 4 says).
        let oids = ExtensionOids::default();
        let profile = crate::profile::kakunin::KakuninProfile::new();
        let cert = AgentCertificate::from_pem_or_der(cert_pem, &oids)
            .or_else(|_| AgentCertificate::from_pem_or_der_with(cert_pem, &oids, Some(&profile)))
            .map_err(|e| ConfigError::new(format!("certificate: {e}")))?;
        let pkcs8 = pem_block(key_pem, &["PRIVATE KEY"])?;
        let rng = SystemRandom::new();
        let bad_key =
            |_| ConfigError::new("the key does not load as PKCS#8 for the certificate's key type");
        let key = match cert.key_algorithm() {
            KeyAlgorithm::Rsa(_) => {
                Key::Rsa(RsaKeyPair::from_pkcs8(&pkcs8).map_err(|_| bad_key(()))?)
            }
            KeyAlgorithm::EcdsaP256 => Key::Ecdsa(
                EcdsaKeyPair::from_pkcs8(&sig::ECDSA_P256_SHA256_ASN1_SIGNING, &pkcs8, &rng)
                    .map_err(|_| bad_key(()))?,
            ),
            KeyAlgorithm::EcdsaP384 => Key::Ecdsa(
                EcdsaKeyPair::from_pkcs8(&sig::ECDSA_P384_SHA384_ASN1_SIGNING, &pkcs8, &rng)
                    .map_err(|_| bad_key(()))?,
            ),
            KeyAlgorithm::Ed25519 => Key::Ed25519(
                Ed25519KeyPair::from_pkcs8_maybe_unchecked(&pkcs8).map_err(|_| bad_key(()))?,
            ),
            KeyAlgorithm::Unsupported => {
                return Err(ConfigError::new("unsupported certificate key type"))
            }
        };
        let public = match &key {
            Key::Rsa(k) => k.public_key().as_ref().to_vec(),
            Key::Ecdsa(k) => k.public_key().as_ref().to_vec(),
            Key::Ed25519(k) => k.public_key().as_ref().to_vec(),
        };
        if public != cert.public_key() {
            return Err(ConfigError::new("the key does not match the certificate"));
        }
        let chain_b64 = match chain_pem {
            None => None,
            Some(pem) => {
                use rustls_pki_types::pem::PemObject;
                let certs = rustls_pki_types::CertificateDer::pem_slice_iter(pem)
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|_| ConfigError::new("chain PEM does not parse"))?;
                Some(
                    certs
                        .iter()
                        .map(|c| STANDARD.encode_to_string(c.as_ref()))
                        .collect::<Vec<_>>()
                        .join(","),
                )
            }
        };
        let algorithm = SignatureAlgorithm::default_for(cert.key_algorithm())
            .ok_or_else(|| ConfigError::new("unsupported certificate key type"))?;
        Ok(AgentSigner {
            key,
            algorithm,
            cert,
            chain_b64,
        })
    }

    /// Chooses another algorithm that fits the key (e.g. `rsa-pss-sha256`).
    pub fn with_algorithm(mut self, algorithm: SignatureAlgorithm) -> Result<Self, ConfigError> {
        if !algorithm.fits(self.cert.key_algorithm()) {
            return Err(ConfigError::new("the algorithm does not fit the key"));
        }
        self.algorithm = algorithm;
        Ok(self)
    }

    /// The agent's certificate.
    pub fn certificate(&self) -> &AgentCertificate {
        &self.cert
    }

    /// Signs raw bytes with the agent's key and algorithm.
    pub fn sign_bytes(&self, message: &[u8]) -> Result<Vec<u8>, Error> {
        let rng = SystemRandom::new();
        let fail = |_| Error::SignatureInvalid("signing failed".into());
        Ok(match &self.key {
            Key::Rsa(k) => {
                let padding: &dyn sig::RsaEncoding = match self.algorithm {
                    SignatureAlgorithm::RsaPssSha256 => &sig::RSA_PSS_SHA256,
                    _ => &sig::RSA_PKCS1_SHA256,
                };
                let mut out = vec![0u8; k.public().modulus_len()];
                k.sign(padding, &rng, message, &mut out).map_err(fail)?;
                out
            }
            Key::Ecdsa(k) => k.sign(&rng, message).map_err(fail)?.as_ref().to_vec(),
            Key::Ed25519(k) => k.sign(message).as_ref().to_vec(),
        })
    }

    /// Signs a request; returns the headers to send, in order.
    ///
    /// For a non-empty body the list includes `Content-Type:
    /// application/json`, which SPEC 4.1 (1.1) requires of every non-empty
    /// body: send the headers as they are and do not add another
    /// `Content-Type` (two are `malformed_request`).
    pub fn sign(&self, req: &RequestToSign<'_>) -> Result<Vec<(&'static str, String)>, Error> {
        let input = self.signing_input(req)?;
        let timestamp = req.timestamp_ms.to_string();
        let signature = self.sign_bytes(&input)?;
        let mut h = vec![(
            "X-Agent-Certificate",
            STANDARD.encode_to_string(self.cert.der()),
        )];
        if let Some(c) = &self.chain_b64 {
            h.push(("X-Agent-Chain", c.clone()));
        }
        h.push(("X-Agent-Audience", req.audience.to_owned()));
        h.push(("X-Agent-Timestamp", timestamp));
        if let Some(n) = req.nonce {
            h.push(("X-Agent-Nonce", n.to_owned()));
        }
        h.push(("X-Agent-Signature", STANDARD.encode_to_string(signature)));
        h.push((
            "X-Agent-Signature-Algorithm",
            self.algorithm.name().to_owned(),
        ));
        if let Some(m) = req.model_sha256 {
            h.push(("X-Agent-Model-Sha256", m.to_owned()));
        }
        if let Some(p) = req.prompt_sha256 {
            h.push(("X-Agent-Prompt-Sha256", p.to_owned()));
        }
        if !req.body.is_empty() {
            // SPEC 4.1 (1.1): a non-empty body is sent as JSON.
            h.push(("Content-Type", JSON_CONTENT_TYPE.to_owned()));
        }
        Ok(h)
    }
}

impl AgentSigner {
    /// The SPEC 4.4 signing input [`sign`](Self::sign) signs for `req`.
    ///
    /// `malformed_request` (or `malformed_body`) for what every verifier
    /// refuses at step 1 of SPEC 5.1, so nothing is signed that cannot
    /// verify: a target that is not plain (SPEC 4.2), a nonce that is not
    /// 16–64 characters of `[A-Za-z0-9_-]`, a model or prompt hash that is
    /// not 64 lowercase hex digits, a timestamp of more than 15 digits
    /// (SPEC 4.1), a body that is not a canonical-form I-JSON object (SPEC
    /// 4.3).
    ///
    /// ```
    /// # use kakunin_verify::signer::{AgentSigner, RequestToSign};
    /// # let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/pki/ed25519");
    /// # let s = AgentSigner::from_pem(&std::fs::read(format!("{dir}/leaf.key"))?,
    /// #     &std::fs::read(format!("{dir}/leaf.pem"))?, None)?;
    /// let req = RequestToSign { audience: "api.exchange.example", method: "GET",
    ///     target: "/v1/orderbook", body: b"", timestamp_ms: 1_782_897_300_000,
    ///     nonce: None, model_sha256: None, prompt_sha256: None };
    /// let input = s.signing_input(&req)?;
    /// assert!(input.starts_with(b"KAKUNIN-SIG-V1\napi.exchange.example\nGET\n"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn signing_input(&self, req: &RequestToSign<'_>) -> Result<Vec<u8>, Error> {
        let timestamp = req.timestamp_ms.to_string();
        check_request(req, &timestamp)?;
        let body_sha256 = crate::canonical::canonicalize(req.body)?.sha256();
        Ok(SigningInput {
            audience: req.audience,
            method: req.method,
            target: req.target,
            timestamp: &timestamp,
            nonce: req.nonce.unwrap_or(""),
            cert_sha256: self.cert.sha256(),
            body_sha256: &body_sha256,
            model_sha256: req.model_sha256.unwrap_or(""),
            prompt_sha256: req.prompt_sha256.unwrap_or(""),
        }
        .to_bytes())
    }
}

// SPEC 4.1 / 4.2: the header values and target a verifier checks at step 1
// of SPEC 5.1, checked by the same rules before signing.
fn check_request(req: &RequestToSign<'_>, timestamp: &str) -> Result<(), Error> {
    crate::request::check_target(req.target)?;
    crate::request::check_timestamp(timestamp)?;
    if let Some(nonce) = req.nonce {
        crate::request::check_nonce(nonce)?;
    }
    for hash in [req.model_sha256, req.prompt_sha256].into_iter().flatten() {
        crate::request::check_hash_header(hash)?;
    }
    Ok(())
}

/// The `Content-Type` [`AgentSigner::sign`] sends with a non-empty body.
pub const JSON_CONTENT_TYPE: &str = "application/json";

/// A fresh random nonce: 32 lowercase hex characters.
pub fn random_nonce() -> Result<String, Error> {
    let mut b = [0u8; 16];
    SystemRandom::new()
        .fill(&mut b)
        .map_err(|_| Error::Overloaded("no randomness available".into()))?;
    Ok(crate::hex::encode(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer() -> AgentSigner {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/pki/ed25519");
        let read = |f: &str| std::fs::read(format!("{dir}/{f}")).unwrap();
        AgentSigner::from_pem(&read("leaf.key"), &read("leaf.pem"), None).unwrap()
    }

    fn request() -> RequestToSign<'static> {
        RequestToSign {
            audience: "api.exchange.example",
            method: "GET",
            target: "/v1/orderbook",
            body: b"",
            timestamp_ms: 1_782_897_300_000,
            nonce: Some("n0001-0123456789ab"),
            model_sha256: None,
            prompt_sha256: None,
        }
    }

    // SPEC 4.1 / 4.2: the signer refuses what every verifier refuses at
    // step 1, so it never hands out headers that cannot verify.
    #[test]
    fn refuses_to_sign_what_step_1_refuses() {
        let s = signer();
        assert!(s.sign(&request()).is_ok());
        let upper = "A".repeat(64);
        let short = "a".repeat(63);
        let cases = [
            RequestToSign {
                nonce: Some("short-nonce"),
                ..request()
            },
            RequestToSign {
                nonce: Some(&"n".repeat(65)),
                ..request()
            },
            RequestToSign {
                nonce: Some("n0001.0123456789ab"),
                ..request()
            },
            RequestToSign {
                model_sha256: Some(&upper),
                ..request()
            },
            RequestToSign {
                prompt_sha256: Some(&short),
                ..request()
            },
            RequestToSign {
                target: "/v1/../orderbook",
                ..request()
            },
            RequestToSign {
                target: "/v1/orderbook/",
                ..request()
            },
            RequestToSign {
                timestamp_ms: 1_000_000_000_000_000,
                ..request()
            },
        ];
        for req in &cases {
            let e = s.sign(req).unwrap_err();
            assert_eq!(e.code(), crate::Code::MalformedRequest, "{e}");
        }
        // The bounds themselves are signed.
        let lower = "a".repeat(64);
        for req in [
            RequestToSign {
                nonce: Some(&"n".repeat(16)),
                ..request()
            },
            RequestToSign {
                nonce: Some(&"n".repeat(64)),
                ..request()
            },
            RequestToSign {
                nonce: None,
                ..request()
            },
            RequestToSign {
                model_sha256: Some(&lower),
                ..request()
            },
            RequestToSign {
                timestamp_ms: 999_999_999_999_999,
                ..request()
            },
        ] {
            assert!(s.sign(&req).is_ok());
        }
    }
}
