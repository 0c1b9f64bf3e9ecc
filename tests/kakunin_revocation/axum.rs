//! SPEC 10 webhooks through a real axum server on 127.0.0.1
//! (`http::axum::webhook_router`).

use kakunin_verify::http::axum::webhook_router;
use kakunin_verify::Revocation;
use tokio::net::TcpListener;

use crate::fixtures::{secret, verifier, webhook_route_cases};

// SPEC 10 (done means, axum): a Kakunin-form delivery revokes the profile
// certificate at once; mixed and truncated deliveries are refused.
#[tokio::test]
async fn spec_10_kakunin_form_webhook_through_axum() {
    let v = verifier(Revocation::Disabled);
    let app: axum::Router = webhook_router("/kakunin/webhook", v.clone(), secret());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    webhook_route_cases(&format!("http://{addr}/kakunin/webhook"), &v).await;
    task.abort();
}
