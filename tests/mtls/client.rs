//! The agent side of the SPEC 4.6 tests: `tokio-rustls` client connections
//! (the leaf only, the intermediate being configured on the server), one
//! request/response exchange, and the assertions on refused handshakes.

use std::io;
use std::sync::Arc;

use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio_rustls::rustls::{self, CertificateError, ClientConfig, RootCertStore};
use tokio_rustls::TlsConnector;

use crate::fixtures::{cert_der, pki};
use crate::http::{agent_files, read_message, signer, trade_request, CertHeader};
use crate::server::{Refusal, Server};
use crate::IO_TIMEOUT;

fn client_config(server_root: &CertificateDer<'static>, agent: Option<&str>) -> Arc<ClientConfig> {
    let mut roots = RootCertStore::empty();
    roots.add(server_root.clone()).unwrap();
    let builder =
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots);
    let config = match agent {
        None => builder.with_no_client_auth(),
        Some(agent) => {
            let (cert, key) = agent_files(agent);
            // The leaf only: the intermediate is configured on the server.
            let chain = vec![cert_der(&cert)];
            let key = PrivateKeyDer::from_pem_slice(&pki(&key)).unwrap();
            builder.with_client_auth_cert(chain, key).unwrap()
        }
    };
    Arc::new(config)
}

pub(crate) type ClientStream = BufReader<tokio_rustls::client::TlsStream<TcpStream>>;

pub(crate) async fn connect(server: &Server, agent: Option<&str>) -> io::Result<ClientStream> {
    let connector = TlsConnector::from(client_config(&server.server_root, agent));
    let tcp = TcpStream::connect(server.addr).await?;
    let name = ServerName::try_from("localhost").unwrap();
    let stream = tokio::time::timeout(IO_TIMEOUT, connector.connect(name, tcp)).await??;
    Ok(BufReader::new(stream))
}

/// Status and body of the response to `request`.
pub(crate) async fn exchange(
    stream: &mut ClientStream,
    request: &[u8],
) -> io::Result<(u16, String)> {
    let run = async {
        stream.get_mut().write_all(request).await?;
        stream.get_mut().flush().await?;
        let msg = read_message(stream)
            .await?
            .ok_or(io::ErrorKind::UnexpectedEof)?;
        let status = msg
            .head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or(io::ErrorKind::InvalidData)?;
        Ok((
            status,
            String::from_utf8(msg.body).map_err(|_| io::ErrorKind::InvalidData)?,
        ))
    };
    tokio::time::timeout(IO_TIMEOUT, run).await?
}

/// Connects as `agent` and sends one trade; the first error wins.
pub(crate) async fn one_request(
    server: &Server,
    agent: Option<&str>,
    request: &[u8],
) -> io::Result<(u16, String)> {
    let mut stream = connect(server, agent).await?;
    exchange(&mut stream, request).await
}

pub(crate) fn error_code(json: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    assert!(
        v["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{json}"
    );
    v["error"].as_str().unwrap().to_owned()
}

/// Asserts the handshake was refused on both sides and no request was verified;
/// returns the server's refusal.
pub(crate) async fn assert_refused(server: &Server, agent: Option<&str>) -> Refusal {
    // Any signed request: it must never reach the verifier.
    let request = trade_request(&signer("p256"), CertHeader::Omit);
    let outcome = one_request(server, agent, &request).await;
    assert!(
        outcome.is_err(),
        "{agent:?}: the client got a response: {outcome:?}"
    );
    let refusals = server.refusals().await;
    assert_eq!(refusals.len(), 1, "{agent:?}: {refusals:?}");
    assert_eq!(
        server.verify_calls(),
        0,
        "{agent:?}: a request was verified"
    );
    refusals.into_iter().next().unwrap()
}

pub(crate) fn certificate_error(r: &Refusal) -> &CertificateError {
    match &r.rustls {
        Some(rustls::Error::InvalidCertificate(e)) => e,
        other => panic!("not an InvalidCertificate refusal: {other:?} ({})", r.text),
    }
}
