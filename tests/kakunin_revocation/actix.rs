//! SPEC 10 webhooks through a real actix-web server on 127.0.0.1
//! (`http::actix::webhook_resource`).

use std::sync::Arc;

use actix_web::{App, HttpServer};
use kakunin_verify::http::actix::webhook_resource;
use kakunin_verify::Revocation;

use crate::fixtures::{secret, verifier, webhook_route_cases};

// SPEC 10 (done means, actix-web): a Kakunin-form delivery revokes the
// profile certificate at once; mixed and truncated deliveries are refused.
#[actix_rt::test]
async fn spec_10_kakunin_form_webhook_through_actix() {
    let v = verifier(Revocation::Disabled);
    let secret: Arc<[u8]> = Arc::from(secret());
    let served = Arc::clone(&v);
    let server = HttpServer::new(move || {
        App::new().service(webhook_resource(
            "/kakunin/webhook",
            Arc::clone(&served),
            Arc::clone(&secret),
        ))
    })
    .workers(1)
    .disable_signals()
    .bind(("127.0.0.1", 0))
    .unwrap();
    let addr = server.addrs()[0];
    let server = server.run();
    let handle = server.handle();
    actix_rt::spawn(server);
    webhook_route_cases(&format!("http://{addr}/kakunin/webhook"), &v).await;
    handle.stop(true).await;
}
