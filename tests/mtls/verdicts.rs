//! SPEC 4.6 (and SPEC 2 for the key types): handshakes the server accepts,
//! after which the verifier gives the verdict on each request.

use base64::Engine;
use kakunin_verify::chain::TrustStore;

use crate::client::{connect, error_code, exchange, one_request};
use crate::fixtures::{cert_der, trust, KEY_TYPES};
use crate::http::{signer, trade_request, CertHeader};
use crate::server::Server;

// (a) SPEC 4.6: handshake with the configured (not sent) intermediate, request
// without X-Agent-Certificate → allowed for the TLS certificate's agent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_over_mtls_without_certificate_header_is_allowed() {
    let server = Server::start(trust(true)).await;
    let (status, body) = one_request(
        &server,
        Some("p256"),
        &trade_request(&signer("p256"), CertHeader::Omit),
    )
    .await
    .unwrap();
    assert_eq!((status, body.as_str()), (200, "sample_p256"));
    assert_eq!(server.verify_calls(), 1);
    assert!(server.refusals.lock().unwrap().is_empty());
    server.stop().await;
}

// SPEC 2 / 4.6: every leaf key type handshakes and is allowed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_leaf_key_type_is_allowed_over_mtls() {
    every_leaf_key_type_is_allowed(trust(true)).await;
}

/// Each key type's leaf handshakes with a server over `trust` and its
/// request is allowed.
async fn every_leaf_key_type_is_allowed(trust: TrustStore) {
    let server = Server::start(trust).await;
    for kind in KEY_TYPES {
        let (status, body) = one_request(
            &server,
            Some(kind),
            &trade_request(&signer(kind), CertHeader::Omit),
        )
        .await
        .unwrap_or_else(|e| panic!("{kind}: {e}"));
        assert_eq!((status, body), (200, format!("sample_{kind}")), "{kind}");
    }
    assert_eq!(server.verify_calls(), KEY_TYPES.len());
    server.stop().await;
}

// SPEC 4.6 with the ring backend chosen explicitly (the tests above use the
// build's default, aws-lc with feature `aws-lc-rs`): handshake (rustls' ring
// provider, webpki's ring algorithms) and verification both succeed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_leaf_key_type_is_allowed_over_mtls_with_the_ring_backend() {
    let mut trust = trust(true);
    trust.set_crypto_backend(kakunin_verify::CryptoBackend::Ring);
    every_leaf_key_type_is_allowed(trust).await;
}

// (b) SPEC 4.6: on one connection, a header equal to the TLS certificate is
// fine, another certificate is malformed_request (400, SPEC 6 body), and the
// next request on the same connection is judged on its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificate_header_must_be_the_tls_certificate() {
    let server = Server::start(trust(true)).await;
    let agent = signer("p256");
    let other = base64::engine::general_purpose::STANDARD.encode(cert_der("p384/leaf.pem"));
    let mut stream = connect(&server, Some("p256")).await.unwrap();

    let (status, body) = exchange(&mut stream, &trade_request(&agent, CertHeader::Own))
        .await
        .unwrap();
    assert_eq!((status, body.as_str()), (200, "sample_p256"));

    let (status, body) = exchange(
        &mut stream,
        &trade_request(&agent, CertHeader::Other(other)),
    )
    .await
    .unwrap();
    assert_eq!(status, 400, "{body}");
    assert_eq!(error_code(&body), "malformed_request");

    let (status, body) = exchange(&mut stream, &trade_request(&agent, CertHeader::Omit))
        .await
        .unwrap();
    assert_eq!((status, body.as_str()), (200, "sample_p256"));
    assert_eq!(server.verify_calls(), 3);
    server.stop().await;
}

// SPEC 4.6: a request signed by another agent's key cannot ride on this
// agent's TLS connection (the signature is checked against the TLS leaf).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_signed_by_another_key_is_refused_on_the_connection() {
    let server = Server::start(trust(true)).await;
    let (status, body) = one_request(
        &server,
        Some("p256"),
        &trade_request(&signer("p384"), CertHeader::Omit),
    )
    .await
    .unwrap();
    assert_eq!(status, 401, "{body}");
    assert_eq!(error_code(&body), "signature_invalid");
    server.stop().await;
}

// SPEC 4.6: accepting the handshake is not the verdict — a valid leaf with no
// agentPolicy connects, and its request is still refused by 5.1.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handshake_acceptance_is_not_the_verdict() {
    let server = Server::start(trust(true)).await;
    let request = trade_request(&signer("bad/no_policy"), CertHeader::Omit);
    let (status, body) = one_request(&server, Some("bad/no_policy"), &request)
        .await
        .unwrap();
    assert_eq!(status, 403, "{body}");
    assert_eq!(error_code(&body), "policy_missing");
    server.stop().await;
}
