//! A real `openssl ocsp` responder (child process) over the test PKI's CA
//! database (SPEC 7.1 OCSP), started on a free 127.0.0.1 port and killed
//! on drop.

use std::net::TcpListener as StdListener;
use std::process::{Child, Command, Stdio};

use super::openssl_cli::OPENSSL;
use super::pki::Pki;

/// A port that was free a moment ago (bind 127.0.0.1:0, read, drop).
fn free_port() -> u16 {
    let l = StdListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().unwrap().port()
}

/// A running `openssl ocsp` responder; killed (by its `Child`) on drop.
pub struct OcspResponder {
    child: Option<Child>,
    pub port: u16,
}

impl OcspResponder {
    /// Starts `openssl ocsp -index index.txt -port N ...` and waits until it
    /// listens: its `ACCEPT` line on stdout, printed once the socket is
    /// bound. (A connect probe would not do: `openssl ocsp` 3.0 stops
    /// answering for good after a client connects and closes without a
    /// request.) Retries on another port when the chosen one was taken.
    pub fn start(pki: &Pki) -> OcspResponder {
        Self::start_with_index(pki, "index.txt")
    }

    /// Like [`Self::start`] with another index file of the PKI dir.
    pub fn start_with_index(pki: &Pki, index: &str) -> OcspResponder {
        Self::start_for(pki, index, "intermediate.pem", "resp")
    }

    /// A responder for the CA `ca_pem` with its database `index`, signing
    /// as `{rsigner}.pem` / `{rsigner}.key`.
    pub fn start_for(pki: &Pki, index: &str, ca_pem: &str, rsigner: &str) -> OcspResponder {
        let (rcert, rkey) = (format!("{rsigner}.pem"), format!("{rsigner}.key"));
        for _attempt in 0..5 {
            let port = free_port();
            let mut child = Command::new(OPENSSL)
                .args([
                    "ocsp",
                    "-index",
                    index,
                    "-port",
                    &port.to_string(),
                    "-rsigner",
                    &rcert,
                    "-rkey",
                    &rkey,
                    "-CA",
                    ca_pem,
                    "-nmin",
                    "5",
                    "-ignore_err",
                ])
                .current_dir(&pki.dir)
                .env("OPENSSL_CONF", "/dev/null")
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn openssl ocsp");
            let stdout = child.stdout.take().expect("piped stdout");
            let mut responder = OcspResponder {
                child: Some(child),
                port,
            };
            if wait_for_accept_line(stdout) {
                return responder;
            }
            responder.kill();
        }
        panic!("openssl ocsp did not start listening");
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    /// Kills the responder (by its PID) and reaps it.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

// Readiness, not timing: the first stdout line is `ACCEPT ...` once the
// responder listens; EOF first means it exited (port taken?). The rest of
// stdout is drained by a thread that ends with the child. The bound only
// guards against a wedged child.
fn wait_for_accept_line(stdout: std::process::ChildStdout) -> bool {
    use std::io::BufRead;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = std::io::BufReader::new(stdout).lines();
        let first = lines.next().and_then(Result::ok);
        let _ = tx.send(first.is_some_and(|l| l.starts_with("ACCEPT")));
        for _ in lines {}
    });
    rx.recv_timeout(std::time::Duration::from_secs(60))
        .unwrap_or(false)
}

impl Drop for OcspResponder {
    fn drop(&mut self) {
        self.kill();
    }
}
