//! SPEC 2 and 4.6 (and 5.1 step 3): client certificates the server refuses
//! at the handshake, before any request reaches the verifier.

use tokio_rustls::rustls::{self, CertificateError};

use crate::client::{assert_refused, certificate_error};
use crate::fixtures::trust;
use crate::server::Server;

// (c) SPEC 2: a chain to a root that is not pinned is refused at the handshake.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn untrusted_chain_is_refused_at_the_handshake() {
    let server = Server::start(trust(true)).await;
    let r = assert_refused(&server, Some("untrusted")).await;
    assert_eq!(
        certificate_error(&r),
        &CertificateError::UnknownIssuer,
        "{}",
        r.text
    );
    server.stop().await;
}

// SPEC 4.6: without the configured intermediate (and none sent) there is no path.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_configured_intermediate_is_what_completes_the_path() {
    let server = Server::start(trust(false)).await;
    let r = assert_refused(&server, Some("p256")).await;
    assert_eq!(
        certificate_error(&r),
        &CertificateError::UnknownIssuer,
        "{}",
        r.text
    );
    server.stop().await;
}

// (d) SPEC 2: EKU must be present (webpki alone accepts a leaf without one).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leaf_without_eku_is_refused_at_the_handshake() {
    let server = Server::start(trust(true)).await;
    let r = assert_refused(&server, Some("bad/no_eku")).await;
    assert_eq!(
        certificate_error(&r),
        &CertificateError::InvalidPurpose,
        "{}",
        r.text
    );
    server.stop().await;
}

// (e) SPEC 2: EKU must contain clientAuth.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leaf_with_server_only_eku_is_refused_at_the_handshake() {
    let server = Server::start(trust(true)).await;
    let r = assert_refused(&server, Some("bad/eku_server_only")).await;
    assert!(
        matches!(
            certificate_error(&r),
            CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. }
        ),
        "{}",
        r.text
    );
    server.stop().await;
}

// (f) SPEC 4.6: client authentication is mandatory.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_client_certificate_is_refused() {
    let server = Server::start(trust(true)).await;
    let r = assert_refused(&server, None).await;
    assert!(
        matches!(r.rustls, Some(rustls::Error::NoCertificatesPresented)),
        "{r:?}"
    );
    server.stop().await;
}

// SPEC 2: profile rules webpki does not know refuse the handshake, carrying
// the SPEC error (malformed_certificate / policy_invalid).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profile_violations_webpki_accepts_are_refused_at_the_handshake() {
    for (agent, code) in [
        ("bad/serial_21_octets", "malformed_certificate"),
        ("bad/two_urns", "malformed_certificate"),
        ("bad/validity_400d", "malformed_certificate"),
        ("bad/policy_version2", "policy_invalid"),
    ] {
        let server = Server::start(trust(true)).await;
        let r = assert_refused(&server, Some(agent)).await;
        let CertificateError::Other(other) = certificate_error(&r) else {
            panic!("{agent}: {}", r.text)
        };
        let spec = other
            .0
            .downcast_ref::<kakunin_verify::Error>()
            .expect("a kakunin error");
        assert_eq!(spec.code().as_str(), code, "{agent}");
        server.stop().await;
    }
}

// SPEC 2 / 5.1 step 3: a leaf that does not parse as an agent certificate
// (agentPolicy twice) is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leaf_that_does_not_parse_is_refused_at_the_handshake() {
    let server = Server::start(trust(true)).await;
    let r = assert_refused(&server, Some("bad/duplicate_policy")).await;
    assert_eq!(
        certificate_error(&r),
        &CertificateError::BadEncoding,
        "{}",
        r.text
    );
    server.stop().await;
}
