//! SPEC 4.6 through the axum layer: a real rustls server on 127.0.0.1
//! asking for client certificates, and real mTLS clients.

use super::*;

struct TlsServer {
    addr: SocketAddr,
    root: CertificateDer<'static>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve_tls(verifier: Arc<Verifier>) -> TlsServer {
    use rcgen::{CertificateParams, IsCa, Issuer, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let root = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);
    let key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .signed_by(&key, &issuer)
        .unwrap();
    let config = kakunin_verify::tls::server_config_with_time(
        &trust(),
        vec![leaf.der().clone()],
        PrivateKeyDer::try_from(key.serialize_der()).unwrap(),
        Arc::new(FixedTime),
    )
    .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = app(verifier);
    let task = tokio::spawn(async move {
        let _ = kakunin_verify::http::axum::serve_tls(listener, Arc::new(config), app).await;
    });
    TlsServer {
        addr,
        root: root.der().clone(),
        task,
    }
}

#[derive(Debug)]
struct FixedTime;

impl rustls::time_provider::TimeProvider for FixedTime {
    fn current_time(&self) -> Option<rustls::pki_types::UnixTime> {
        Some(rustls::pki_types::UnixTime::since_unix_epoch(
            std::time::Duration::from_millis(NOW_MS),
        ))
    }
}

fn tls_client(server: &TlsServer, agent: Option<&str>) -> reqwest::Client {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(server.root.clone()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots);
    let config = match agent {
        None => builder.with_no_client_auth(),
        Some(dir) => builder
            .with_client_auth_cert(
                vec![CertificateDer::from_pem_slice(&pki(&format!("{dir}/leaf.pem"))).unwrap()],
                PrivateKeyDer::from_pem_slice(&pki(&format!("{dir}/leaf.key"))).unwrap(),
            )
            .unwrap(),
    };
    reqwest::Client::builder()
        .use_preconfigured_tls(config)
        .resolve("localhost", server.addr)
        .build()
        .unwrap()
}

// SPEC 4.6: the TLS leaf reaches the layer from the connection: the
// certificate header may be omitted; if present it must be the TLS leaf.
#[tokio::test]
async fn mtls_leaf_comes_from_the_connection() {
    let server = serve_tls(Arc::new(builder().build().unwrap())).await;
    let url = format!("https://localhost:{}/v1/trades", server.addr.port());
    let client = tls_client(&server, Some("p256"));
    let signer = agent("p256");
    let without: Vec<_> = signed(&signer, "/v1/trades", TRADE)
        .into_iter()
        .filter(|(n, _)| *n != "X-Agent-Certificate")
        .collect();
    let (s, _, body) = post_json(&client, &url, &without, TRADE).await;
    assert_eq!(s, 200, "{body}");
    // The header naming the TLS leaf itself is fine too.
    let with = signed(&signer, "/v1/trades", TRADE);
    let (s, _, body) = post_json(&client, &url, &with, TRADE).await;
    assert_eq!(s, 200, "{body}");
    // The header naming another certificate than the TLS leaf: 400.
    let mut other = signed(&signer, "/v1/trades", TRADE);
    let rsa = agent("rsa2048");
    let rsa_cert = signed(&rsa, "/v1/trades", TRADE)
        .into_iter()
        .find(|(n, _)| *n == "X-Agent-Certificate")
        .unwrap();
    other.retain(|(n, _)| *n != "X-Agent-Certificate");
    other.push(rsa_cert);
    let (s, _, body) = post_json(&client, &url, &other, TRADE).await;
    assert_eq!(
        (s, body["error"].as_str()),
        (400, Some("malformed_request"))
    );
}

// SPEC 4.6: no client certificate, or one from a rogue CA: refused at the
// handshake (the request never reaches the layer).
#[tokio::test]
async fn mtls_refuses_missing_and_rogue_client_certificates() {
    let server = serve_tls(Arc::new(builder().build().unwrap())).await;
    let url = format!("https://localhost:{}/v1/trades", server.addr.port());
    let h = signed(&agent("p256"), "/v1/trades", TRADE);
    for who in [None, Some("untrusted")] {
        let client = tls_client(&server, who);
        let mut req = client.post(&url).body(TRADE);
        for (n, v) in &h {
            req = req.header(*n, v);
        }
        assert!(req.send().await.is_err(), "{who:?} must be refused");
    }
}
