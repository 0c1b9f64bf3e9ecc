//! An axum gateway behind mutual TLS (issue 8, SPEC 4.6): the handshake
//! refuses agents whose certificate does not chain to the pinned roots; the
//! agent's TLS leaf reaches the layer from the connection, so requests may
//! omit `X-Agent-Certificate` (and one that names another certificate is
//! `malformed_request`). Every route of the route file answers 200
//! `{"agent_id", "scope"}` on allow.
//!
//! ```sh
//! cargo run --release --example mtls_gateway --features axum,tls -- \
//!     --roots ../shared/testvectors/v1/root.pem \
//!     --intermediates ../shared/testvectors/v1/intermediate.pem \
//!     --routes ../shared/testvectors/v1/routes.txt --revocation none \
//!     --tls-cert server.pem --tls-key server.key --listen 127.0.0.1:8443
//! ```

mod gateway;

use std::sync::Arc;

use axum::Router;
use clap::Parser;
use gateway::{allow_body, announce, GatewayArgs, WEBHOOK_PATH};
use kakunin_verify::http::axum::{serve_tls, webhook_router, KakuninLayer};
use kakunin_verify::http::VerifiedAgent;

async fn allowed(agent: VerifiedAgent) -> ([(&'static str, &'static str); 1], String) {
    (
        [("content-type", "application/json")],
        allow_body(agent.agent_id(), agent.scope()),
    )
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = GatewayArgs::parse();
    let (chain, key) = args
        .server_identity()?
        .ok_or("mtls_gateway needs --tls-cert and --tls-key")?;
    let verifier = args.verifier().await?;
    // The handshake applies the verifier's own roots, intermediates, arc and profile.
    let config = verifier.tls_server_config(chain, key)?;
    let mut app = Router::new()
        .fallback(allowed)
        .layer(KakuninLayer::new(Arc::clone(&verifier)));
    if let Some(secret) = args.webhook_secret()? {
        app = app.merge(webhook_router(WEBHOOK_PATH, verifier, secret));
    }
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    announce("mtls_gateway", listener.local_addr()?, true);
    serve_tls(listener, Arc::new(config), app).await?;
    Ok(())
}
