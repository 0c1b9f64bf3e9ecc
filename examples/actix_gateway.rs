//! An actix-web gateway that verifies every agent request (issue 8): every
//! route of the route file answers 200 `{"agent_id", "scope"}` on allow and
//! the SPEC 6 denial otherwise; `POST /kakunin/webhook` applies Kakunin's
//! revocation webhooks when a secret is given.
//!
//! ```sh
//! cargo run --release --example actix_gateway --features actix -- \
//!     --roots ../shared/testvectors/v1/root.pem \
//!     --intermediates ../shared/testvectors/v1/intermediate.pem \
//!     --routes ../shared/testvectors/v1/routes.txt --revocation none --listen 127.0.0.1:8081
//! ```
//!
//! Built with `--features actix,tls`, `--tls-cert/--tls-key` serve mutual
//! TLS: the handshake refuses agents outside the pinned roots and the TLS
//! leaf reaches the middleware from the connection (SPEC 4.6).

mod gateway;

use std::sync::Arc;

use actix_web::{web, App, HttpResponse, HttpServer};
use clap::Parser;
use gateway::{allow_body, announce, GatewayArgs, WEBHOOK_PATH};
use kakunin_verify::http::actix::{webhook_resource, KakuninMiddleware};
use kakunin_verify::http::VerifiedAgent;

async fn allowed(agent: VerifiedAgent) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(allow_body(agent.agent_id(), agent.scope()))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = GatewayArgs::parse();
    let secret: Option<Arc<[u8]>> = args.webhook_secret()?.map(Arc::from);
    let listen = args.listen;
    // The verifier is made on the server's runtime: a shared store's
    // connection and subscription (`--shared-store`) live there.
    actix_web::rt::System::new().block_on(async move {
        let verifier = args.verifier().await?;
        // With TLS, the handshake applies the verifier's own configuration.
        #[cfg(feature = "tls")]
        let tls = match args.server_identity()? {
            Some((chain, key)) => Some(verifier.tls_server_config(chain, key)?),
            None => None,
        };
        #[cfg(not(feature = "tls"))]
        let tls: Option<std::convert::Infallible> = match args.server_identity()? {
            Some(_) => return Err("--tls-cert needs a build with --features actix,tls".into()),
            None => None,
        };
        let server = HttpServer::new(move || {
            let verifier = Arc::clone(&verifier);
            let secret = secret.clone();
            App::new()
                .configure(|cfg| {
                    // The webhook route sits beside the middleware: Kakunin
                    // signs it with HMAC, not an agent key.
                    if let Some(secret) = secret {
                        cfg.service(webhook_resource(
                            WEBHOOK_PATH,
                            Arc::clone(&verifier),
                            secret,
                        ));
                    }
                })
                .service(
                    web::scope("")
                        .wrap(KakuninMiddleware::new(Arc::clone(&verifier)))
                        .default_service(web::to(allowed)),
                )
        })
        .workers(2);
        let server = match tls {
            None => server.bind(listen)?,
            #[cfg(feature = "tls")]
            Some(config) => server
                .on_connect(kakunin_verify::http::actix::peer_certificate_on_connect)
                .bind_rustls_0_23(listen, config)?,
            #[cfg(not(feature = "tls"))]
            Some(never) => match never {},
        };
        let addr = server.addrs().first().copied().ok_or("no address bound")?;
        announce(
            "actix_gateway",
            addr,
            !server.addrs_with_scheme().iter().any(|(_, s)| *s == "http"),
        );
        server.run().await?;
        Ok(())
    })
}
