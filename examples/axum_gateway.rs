//! An axum gateway that verifies every agent request (issue 8): every route
//! of the route file answers 200 `{"agent_id", "scope"}` on allow and the
//! SPEC 6 denial otherwise; `POST /kakunin/webhook` applies Kakunin's
//! revocation webhooks when a secret is given.
//!
//! ```sh
//! cargo run --release --example axum_gateway --features axum -- \
//!     --roots ../shared/testvectors/v1/root.pem \
//!     --intermediates ../shared/testvectors/v1/intermediate.pem \
//!     --routes ../shared/testvectors/v1/routes.txt \
//!     --revocation crl --crl ../shared/testvectors/v1/crl.pem --listen 127.0.0.1:8080
//! ```
//!
//! With `--tls-cert/--tls-key` it serves HTTPS (server authentication
//! only; `mtls_gateway` requires client certificates).

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

/// Every route of the route table (the layer refuses what the table does
/// not allow), and the webhook route beside the layer.
pub async fn app(args: &GatewayArgs) -> Result<Router, Box<dyn std::error::Error>> {
    let verifier = args.verifier().await?;
    let mut app = Router::new()
        .fallback(allowed)
        .layer(KakuninLayer::new(Arc::clone(&verifier)));
    if let Some(secret) = args.webhook_secret()? {
        app = app.merge(webhook_router(WEBHOOK_PATH, verifier, secret));
    }
    Ok(app)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = GatewayArgs::parse();
    let app = app(&args).await?;
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    let addr = listener.local_addr()?;
    match args.server_identity()? {
        None => {
            announce("axum_gateway", addr, false);
            axum::serve(listener, app).await?;
        }
        Some((chain, key)) => {
            let config = rustls::ServerConfig::builder_with_provider(Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(chain, key)?;
            announce("axum_gateway", addr, true);
            serve_tls(listener, Arc::new(config), app).await?;
        }
    }
    Ok(())
}
