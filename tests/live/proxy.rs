//! A TCP proxy on 127.0.0.1 in front of an OCSP responder, counting the
//! HTTP requests that pass (how the tests see SPEC 7.2 reuse and
//! coalescing), with a switchable upstream.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU16, AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

/// Aborts a tokio task on drop.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A TCP proxy on 127.0.0.1 counting the HTTP requests (`POST /`) that pass
/// to `upstream`; stops (aborting every connection) on drop.
pub struct CountingProxy {
    pub addr: SocketAddr,
    hits: Arc<AtomicUsize>,
    upstream: Arc<AtomicU16>,
    task: JoinHandle<()>,
}

impl CountingProxy {
    pub async fn start(upstream_port: u16) -> CountingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let hits = Arc::new(AtomicUsize::new(0));
        let upstream = Arc::new(AtomicU16::new(upstream_port));
        let (h, u) = (hits.clone(), upstream.clone());
        let task = tokio::spawn(async move {
            // Dropping the set (when this task is aborted) aborts every connection.
            let mut conns = JoinSet::new();
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    continue;
                };
                let (h, port) = (h.clone(), u.load(Ordering::SeqCst));
                conns.spawn(async move { pipe(client, port, h).await });
                while conns.try_join_next().is_some() {}
            }
        });
        CountingProxy {
            addr,
            hits,
            upstream,
            task,
        }
    }

    /// New connections go to `port` from now on.
    pub fn set_upstream(&self, port: u16) {
        self.upstream.store(port, Ordering::SeqCst);
    }

    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

impl Drop for CountingProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

// Counts `POST /` in the client's bytes (across reads) and pipes both ways.
async fn pipe(client: TcpStream, upstream_port: u16, hits: Arc<AtomicUsize>) {
    let Ok(upstream) = TcpStream::connect(("127.0.0.1", upstream_port)).await else {
        return; // the responder is gone: the client sees the connection close
    };
    let (mut cr, mut cw) = client.into_split();
    let (mut ur, mut uw) = upstream.into_split();
    let mut back = AbortOnDrop(tokio::spawn(async move {
        let _ = tokio::io::copy(&mut ur, &mut cw).await;
        let _ = cw.shutdown().await;
    }));
    let mut window: Vec<u8> = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = match cr.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        window.extend_from_slice(&buf[..n]);
        let found = window.windows(6).filter(|w| w == b"POST /").count();
        hits.fetch_add(found, Ordering::SeqCst);
        let keep = window.len().min(5);
        window.drain(..window.len() - keep);
        if uw.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
    let _ = uw.shutdown().await;
    let _ = (&mut back.0).await;
    drop(back);
}
