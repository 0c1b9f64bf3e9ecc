//! The SPEC 4.6 test server: a task on 127.0.0.1 (port 0) that requires agent
//! client certificates through `kakunin_verify::tls`, records refused
//! handshakes, and runs `Verifier::verify` with the TLS leaf on each request.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kakunin_verify::chain::TrustStore;
use kakunin_verify::rawhttp::RawRequest;
use kakunin_verify::{tls, HttpRequest, Verifier};
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::CertificateDer;
use tokio_rustls::TlsAcceptor;

use crate::fixtures::{server_identity, verifier, FixedTime};
use crate::http::{read_message, response};
use crate::IO_TIMEOUT;

/// A handshake the server refused: the rustls error when there is one.
#[derive(Debug, Clone)]
pub(crate) struct Refusal {
    pub(crate) rustls: Option<rustls::Error>,
    pub(crate) text: String,
}

pub(crate) struct Server {
    pub(crate) addr: SocketAddr,
    pub(crate) server_root: CertificateDer<'static>,
    verify_calls: Arc<AtomicUsize>,
    pub(crate) refusals: Arc<Mutex<Vec<Refusal>>>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl Server {
    pub(crate) async fn start(trust: TrustStore) -> Server {
        let id = server_identity();
        let config =
            tls::server_config_with_time(&trust, id.chain, id.key, Arc::new(FixedTime)).unwrap();
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let verifier = Arc::new(verifier(trust));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let verify_calls = Arc::new(AtomicUsize::new(0));
        let refusals = Arc::new(Mutex::new(Vec::new()));
        let (stop, mut stopped) = oneshot::channel();
        let (calls, refused) = (Arc::clone(&verify_calls), Arc::clone(&refusals));
        let task = tokio::spawn(async move {
            let mut conns = JoinSet::new();
            loop {
                tokio::select! {
                    _ = &mut stopped => break,
                    accepted = listener.accept() => {
                        let Ok((tcp, _)) = accepted else { break };
                        conns.spawn(serve_connection(
                            acceptor.clone(), tcp, Arc::clone(&verifier), Arc::clone(&calls), Arc::clone(&refused),
                        ));
                    }
                }
            }
            conns.shutdown().await;
        });
        Server {
            addr,
            server_root: id.root,
            verify_calls,
            refusals,
            stop: Some(stop),
            task,
        }
    }

    pub(crate) fn verify_calls(&self) -> usize {
        self.verify_calls.load(Ordering::SeqCst)
    }

    /// Waits (briefly) for the server side of a refused handshake to be recorded.
    pub(crate) async fn refusals(&self) -> Vec<Refusal> {
        for _ in 0..200 {
            let r = self.refusals.lock().unwrap().clone();
            if !r.is_empty() {
                return r;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Vec::new()
    }

    pub(crate) async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        tokio::time::timeout(IO_TIMEOUT, self.task)
            .await
            .unwrap()
            .unwrap();
    }
}

async fn serve_connection(
    acceptor: TlsAcceptor,
    tcp: TcpStream,
    verifier: Arc<Verifier>,
    calls: Arc<AtomicUsize>,
    refusals: Arc<Mutex<Vec<Refusal>>>,
) {
    let stream = match acceptor.accept(tcp).await {
        Ok(s) => s,
        Err(e) => {
            let rustls = e
                .get_ref()
                .and_then(|i| i.downcast_ref::<rustls::Error>())
                .cloned();
            refusals.lock().unwrap().push(Refusal {
                rustls,
                text: e.to_string(),
            });
            return;
        }
    };
    let mut stream = BufReader::new(stream);
    while let Ok(Some(msg)) = read_message(&mut stream).await {
        let mut bytes = msg.head.into_bytes();
        bytes.extend_from_slice(&msg.body);
        let answer = match RawRequest::parse(&bytes) {
            Err(e) => response(e.http_status(), "application/json", &e.to_json_body()),
            Ok(raw) => {
                let headers = raw.header_pairs();
                // SPEC 4.6: the certificate comes from the TLS layer.
                let peer = tls::peer_certificate(stream.get_ref().get_ref().1);
                let req = HttpRequest {
                    tls_client_certificate: peer,
                    ..HttpRequest::new(&raw.method, &raw.target, &headers, &raw.body)
                };
                calls.fetch_add(1, Ordering::SeqCst);
                match verifier.verify(&req).await {
                    Ok(ok) => response(200, "text/plain", ok.agent_id()),
                    Err(d) => response(
                        d.error.http_status(),
                        "application/json",
                        &d.error.to_json_body(),
                    ),
                }
            }
        };
        let w = stream.get_mut();
        if w.write_all(&answer).await.is_err() || w.flush().await.is_err() {
            return;
        }
    }
}
