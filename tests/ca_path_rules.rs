//! SPEC 2 (revision 1.1), RFC 5280 6.1.4 (k), (n): every CA certificate of
//! the path — the intermediates and the pinned root — has basicConstraints
//! cA TRUE and, when it has keyUsage, keyCertSign (else `untrusted_chain`);
//! the pinned root's validity counts (`certificate_expired`,
//! `certificate_not_yet_valid`). PKIs made at test time with the `openssl`
//! CLI (an independent tool), one per case, verified through the whole
//! `Verifier::verify`. And the path's shape: a leaf the pinned root signed
//! itself is `untrusted_chain` (SPEC 2: one or more intermediates).

mod live;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use kakunin_verify::chain::TrustStore;
use kakunin_verify::signer::{AgentSigner, RequestToSign};
use kakunin_verify::{Clock, HttpRequest, ManualClock, Revocation, SystemClock, Verifier};
use live::{ca_sign, key_and_csr, policy_hex, read, utc_time, DAY_S};

const GOOD_CA: &str = "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n";
const LEAF_EXT: &str = "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n\
                        extendedKeyUsage=clientAuth\nsubjectAltName=URI:urn:kakunin:agent:ca_rules_bot\n";
const POLICY_OID: &str = "1.3.6.1.4.1.32473.1.1";

/// One certificate's extensions and validity (days relative to the real now).
struct Spec {
    ext: &'static str,
    from_days: i64,
    to_days: i64,
}

const fn ca(ext: &'static str) -> Spec {
    Spec {
        ext,
        from_days: -10,
        to_days: 3000,
    }
}

struct Pki {
    dir: PathBuf,
    now_ms: u64,
}

fn real_now_s() -> i64 {
    i64::try_from(SystemClock.now_ms() / 1000).unwrap()
}

/// Which CA signs the leaf.
#[derive(Clone, Copy)]
enum LeafIssuer {
    Intermediate,
    /// The pinned root itself (the intermediate is still made and
    /// configured).
    Root,
}

/// root → intermediate → leaf, with the given root and intermediate specs.
fn make(name: &str, root: Spec, intermediate: Spec) -> Pki {
    make_with(name, root, intermediate, LeafIssuer::Intermediate)
}

/// [`make`], the leaf signed by `leaf_issuer`.
fn make_with(name: &str, root: Spec, intermediate: Spec, leaf_issuer: LeafIssuer) -> Pki {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("kakunin-ca-rules-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let d = dir.as_path();
    let now_s = real_now_s();
    let t = |days: i64| utc_time(now_s + days * DAY_S);
    let policy = policy_hex(d, 60);
    key_and_csr(d, "root", "/O=CA Rules Test/CN=Root");
    ca_sign(
        d,
        "root",
        None,
        "root.key",
        "01",
        &t(root.from_days),
        &t(root.to_days),
        root.ext,
    );
    key_and_csr(d, "intermediate", "/O=CA Rules Test/CN=Intermediate");
    ca_sign(
        d,
        "intermediate",
        Some("root.pem"),
        "root.key",
        "02",
        &t(intermediate.from_days),
        &t(intermediate.to_days),
        intermediate.ext,
    );
    key_and_csr(d, "leaf", "/O=CA Rules Test/CN=ca_rules_bot");
    let issuer = match leaf_issuer {
        LeafIssuer::Intermediate => "intermediate",
        LeafIssuer::Root => "root",
    };
    ca_sign(
        d,
        "leaf",
        Some(&format!("{issuer}.pem")),
        &format!("{issuer}.key"),
        "03",
        &t(-5),
        &t(200),
        &format!("{LEAF_EXT}{POLICY_OID}=DER:{policy}\n"),
    );
    Pki {
        dir,
        now_ms: SystemClock.now_ms(),
    }
}

impl Pki {
    fn verifier(&self, clock: Arc<ManualClock>) -> Verifier {
        let mut trust = TrustStore::new();
        trust
            .add_roots_pem(&read(&self.dir.join("root.pem")))
            .unwrap();
        trust
            .add_intermediates_pem(&read(&self.dir.join("intermediate.pem")))
            .unwrap();
        Verifier::builder(trust)
            .audience(live::AUDIENCE)
            .routes(live::ROUTES.parse().unwrap())
            .clock(clock)
            .revocation(Revocation::Disabled)
            .build()
            .unwrap()
    }

    /// Verifies one freshly signed trade at `now_ms`; the code, or "allow".
    fn verify_at(&self, v: &Verifier, now_ms: u64, nonce: &str) -> &'static str {
        let signer = AgentSigner::from_pem(
            &read(&self.dir.join("leaf.key")),
            &read(&self.dir.join("leaf.pem")),
            None,
        )
        .unwrap();
        let headers = signer
            .sign(&RequestToSign {
                audience: live::AUDIENCE,
                method: "POST",
                target: "/v1/trades",
                body: live::TRADE.as_bytes(),
                timestamp_ms: now_ms,
                nonce: Some(nonce),
                model_sha256: None,
                prompt_sha256: None,
            })
            .unwrap();
        let pairs: Vec<(&str, &[u8])> = headers.iter().map(|(n, v)| (*n, v.as_bytes())).collect();
        let req = HttpRequest::new("POST", "/v1/trades", &pairs, live::TRADE.as_bytes());
        match pollster::block_on(v.verify(&req)) {
            Ok(_) => "allow",
            Err(d) => d.error.code().as_str(),
        }
    }

    fn code(&self) -> &'static str {
        let clock = Arc::new(ManualClock::new(self.now_ms));
        let v = self.verifier(Arc::clone(&clock));
        self.verify_at(&v, self.now_ms, "ca-rules-nonce-000001")
    }
}

// Control: the rules admit a path that follows them.
#[test]
fn spec_2_conforming_path_is_allowed() {
    assert_eq!(make("good", ca(GOOD_CA), ca(GOOD_CA)).code(), "allow");
}

// SPEC 2: a pinned root → one or more intermediate CAs → the agent. A
// leaf the pinned root signed itself has no such path, though an
// intermediate is configured and the signature is the root's:
// untrusted_chain (SPEC 5.1 step 4). SPEC 10 allows it for its profile's
// certificates only (tests/kakunin_profile.rs).
#[test]
fn spec_2_leaf_issued_by_the_pinned_root_itself_is_untrusted() {
    let pki = make_with("root-issued", ca(GOOD_CA), ca(GOOD_CA), LeafIssuer::Root);
    assert_eq!(pki.code(), "untrusted_chain");
}

// RFC 5280 6.1.4 (n): an intermediate whose keyUsage lacks keyCertSign.
#[test]
fn spec_2_intermediate_without_key_cert_sign_is_untrusted() {
    let pki = make(
        "int-no-kcs",
        ca(GOOD_CA),
        ca("basicConstraints=critical,CA:TRUE\nkeyUsage=critical,digitalSignature,cRLSign\n"),
    );
    assert_eq!(pki.code(), "untrusted_chain");
}

// RFC 5280 6.1.4 (n): keyUsage absent is allowed ("when present").
#[test]
fn spec_2_intermediate_without_key_usage_is_allowed() {
    let pki = make(
        "int-no-ku",
        ca(GOOD_CA),
        ca("basicConstraints=critical,CA:TRUE\n"),
    );
    assert_eq!(pki.code(), "allow");
}

// RFC 5280 6.1.4 (k): an intermediate without cA TRUE (webpki refuses it
// too; the crate's own rule backs it).
#[test]
fn spec_2_intermediate_with_ca_false_is_untrusted() {
    let pki = make(
        "int-ca-false",
        ca(GOOD_CA),
        ca("basicConstraints=critical,CA:FALSE\nkeyUsage=critical,keyCertSign\n"),
    );
    assert_eq!(pki.code(), "untrusted_chain");
}

// SPEC 2 (1.1): the pinned root is a certificate of the path: keyUsage
// without keyCertSign is untrusted.
#[test]
fn spec_2_root_without_key_cert_sign_is_untrusted() {
    let pki = make(
        "root-no-kcs",
        ca("basicConstraints=critical,CA:TRUE\nkeyUsage=critical,cRLSign\n"),
        ca(GOOD_CA),
    );
    assert_eq!(pki.code(), "untrusted_chain");
}

// SPEC 2 (1.1): a pinned root without basicConstraints, or with cA FALSE.
#[test]
fn spec_2_root_without_ca_true_is_untrusted() {
    for (name, ext) in [
        ("root-no-bc", "keyUsage=critical,keyCertSign,cRLSign\n"),
        (
            "root-ca-false",
            "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,keyCertSign\n",
        ),
    ] {
        assert_eq!(
            make(name, ca(ext), ca(GOOD_CA)).code(),
            "untrusted_chain",
            "{name}"
        );
    }
}

// SPEC 2 (1.1): an expired pinned root does not validate.
#[test]
fn spec_2_expired_root_is_certificate_expired() {
    let root = Spec {
        ext: GOOD_CA,
        from_days: -20,
        to_days: -1,
    };
    assert_eq!(
        make("root-expired", root, ca(GOOD_CA)).code(),
        "certificate_expired"
    );
}

// SPEC 2 (1.1): a pinned root not yet valid does not validate.
#[test]
fn spec_2_not_yet_valid_root_is_certificate_not_yet_valid() {
    let root = Spec {
        ext: GOOD_CA,
        from_days: 1,
        to_days: 3000,
    };
    assert_eq!(
        make("root-future", root, ca(GOOD_CA)).code(),
        "certificate_not_yet_valid"
    );
}

// SPEC 5.1 step 4: a cached path is not used past its root's notAfter; the
// path is validated again and the expired root refuses it.
#[test]
fn spec_5_1_cached_path_ends_with_its_root() {
    let root = Spec {
        ext: GOOD_CA,
        from_days: -20,
        to_days: 1,
    };
    let pki = make("root-expires-later", root, ca(GOOD_CA));
    let clock = Arc::new(ManualClock::new(pki.now_ms));
    let v = pki.verifier(Arc::clone(&clock));
    assert_eq!(
        pki.verify_at(&v, pki.now_ms, "ca-rules-nonce-000002"),
        "allow"
    );
    let later = pki.now_ms + 2 * 86_400_000;
    clock.set_ms(later);
    assert_eq!(
        pki.verify_at(&v, later, "ca-rules-nonce-000003"),
        "certificate_expired"
    );
}

// SPEC 4.6 with SPEC 2 (1.1): the mutual-TLS handshake refuses the same
// paths: an intermediate without keyCertSign, and an expired pinned root.
#[cfg(feature = "tls")]
#[test]
fn spec_4_6_handshake_applies_the_ca_rules() {
    use rustls::pki_types::{pem::PemObject, CertificateDer, UnixTime};
    let check = |pki: &Pki| {
        let mut trust = TrustStore::new();
        trust
            .add_roots_pem(&read(&pki.dir.join("root.pem")))
            .unwrap();
        let verifier = kakunin_verify::tls::client_cert_verifier(&trust).unwrap();
        let leaf = CertificateDer::from_pem_slice(&read(&pki.dir.join("leaf.pem"))).unwrap();
        let inter =
            CertificateDer::from_pem_slice(&read(&pki.dir.join("intermediate.pem"))).unwrap();
        let now = UnixTime::since_unix_epoch(std::time::Duration::from_millis(pki.now_ms));
        verifier.verify_client_cert(&leaf, &[inter], now).is_ok()
    };
    assert!(check(&make("tls-good", ca(GOOD_CA), ca(GOOD_CA))));
    let no_kcs = make(
        "tls-int-no-kcs",
        ca(GOOD_CA),
        ca("basicConstraints=critical,CA:TRUE\nkeyUsage=critical,digitalSignature\n"),
    );
    assert!(!check(&no_kcs));
    let expired_root = Spec {
        ext: GOOD_CA,
        from_days: -20,
        to_days: -1,
    };
    assert!(!check(&make("tls-root-expired", expired_root, ca(GOOD_CA))));
    // SPEC 2: one or more intermediates, in the handshake too.
    let root_issued = make_with(
        "tls-root-issued",
        ca(GOOD_CA),
        ca(GOOD_CA),
        LeafIssuer::Root,
    );
    assert!(!check(&root_issued));
}
