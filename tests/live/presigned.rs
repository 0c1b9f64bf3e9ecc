//! Fixtures of `tests/revocation_age.rs`: what it adds to the shared live
//! PKI (a leaf without revocationTimeout, CA databases for the root and
//! the intermediate), OCSP answers pre-signed with `openssl ocsp
//! -reqin/-respout` as RFC 5019 responders do, and a small HTTP server
//! serving such an answer for every POST, counting them.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use super::live::*;

/// The leaf of these tests whose policy states no revocationTimeout.
pub const OPEN_SERIAL: &str = "5A20";

/// What these tests add to the shared live PKI (once per test binary).
pub struct AgeFixtures {
    /// A good leaf of the intermediate with no revocationTimeout.
    pub open: Leaf,
    /// index.txt of the intermediate naming `open` and the good leaf (valid).
    pub index: &'static str,
    /// index.txt of the root naming the intermediate (valid).
    pub root_index: &'static str,
    pub root_der: Vec<u8>,
    pub intermediate_der: Vec<u8>,
}

pub fn fixtures() -> &'static AgeFixtures {
    static F: OnceLock<AgeFixtures> = OnceLock::new();
    F.get_or_init(make_fixtures)
}

fn make_fixtures() -> AgeFixtures {
    let p = pki();
    let d = p.dir.as_path();
    // An agentPolicy without revocationTimeout (SPEC 3).
    std::fs::write(
        d.join("age-policy.cnf"),
        "asn1 = SEQUENCE:policy\n[policy]\nversion = INTEGER:1\n\
         scopes = IMPLICIT:0,SEQUENCE:scopes\nmaxTransaction = IMPLICIT:1,SEQUENCE:amount\n\
         allowedMarkets = IMPLICIT:2,SEQUENCE:markets\n\
         [scopes]\ns0 = UTF8String:submit_limit_order\n\
         [amount]\nmantissa = INTEGER:50000\nexponent = INTEGER:0\ncurrency = UTF8String:USD\n\
         [markets]\nm0 = UTF8String:EUR_USD\n",
    )
    .unwrap();
    openssl(
        d,
        &[
            "asn1parse",
            "-genconf",
            "age-policy.cnf",
            "-noout",
            "-out",
            "age-policy.der",
        ],
    );
    let policy: String = read(&d.join("age-policy.der"))
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    std::fs::write(
        d.join("age_open.ext"),
        format!(
            "[ext]\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n\
             extendedKeyUsage=clientAuth\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n\
             subjectAltName=URI:urn:kakunin:agent:age_open\n1.3.6.1.4.1.32473.1.1=DER:{policy}\n"
        ),
    )
    .unwrap();
    openssl(
        d,
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            "age_open.key",
        ],
    );
    openssl(
        d,
        &[
            "req",
            "-new",
            "-key",
            "age_open.key",
            "-subj",
            "/O=Kakunin Live Test/CN=age_open",
            "-out",
            "age_open.csr",
        ],
    );
    openssl(
        d,
        &[
            "x509",
            "-req",
            "-in",
            "age_open.csr",
            "-CA",
            "intermediate.pem",
            "-CAkey",
            "intermediate.key",
            "-set_serial",
            &format!("0x{OPEN_SERIAL}"),
            "-days",
            "30",
            "-sha256",
            "-extfile",
            "age_open.ext",
            "-extensions",
            "ext",
            "-out",
            "age_open.pem",
        ],
    );
    let index = "age-index.txt";
    std::fs::write(
        d.join(index),
        format!(
            "{}{}",
            index_line(false, &p.leaf_end, &p.start, OPEN_SERIAL, "age_open"),
            index_line(false, &p.leaf_end, &p.start, GOOD_SERIAL, "live_good"),
        ),
    )
    .unwrap();
    let root_index = "age-root-index.txt";
    std::fs::write(
        d.join(root_index),
        index_line(false, &p.leaf_end, &p.start, "02", "Live Intermediate"),
    )
    .unwrap();
    openssl(
        d,
        &[
            "x509", "-in", "root.pem", "-outform", "DER", "-out", "root.der",
        ],
    );
    AgeFixtures {
        open: Leaf {
            name: "age_open",
            serial: OPEN_SERIAL,
            key_pem: read(&d.join("age_open.key")),
            cert_pem: read(&d.join("age_open.pem")),
        },
        index,
        root_index,
        root_der: read(&d.join("root.der")),
        intermediate_der: read(&d.join("intermediate.der")),
    }
}

/// An OCSP answer pre-signed by the intermediate's delegated responder
/// (`openssl ocsp -reqin/-respout`), with its times as openssl reports them.
pub struct PreSigned {
    pub der: Vec<u8>,
    pub this_update_ms: u64,
    pub next_update_ms: u64,
}

static PRESIGN_SEQ: AtomicUsize = AtomicUsize::new(0);

/// Pre-signs the answer about `serial` (uppercase hex), valid for
/// `validity` (`-nmin N` or `-ndays N`).
pub fn presign(serial: &str, validity: [&str; 2]) -> PreSigned {
    let p = pki();
    let f = fixtures();
    let n = PRESIGN_SEQ.fetch_add(1, Ordering::SeqCst);
    let (req, resp) = (format!("age-req-{n}.der"), format!("age-resp-{n}.der"));
    let d = p.dir.as_path();
    openssl(
        d,
        &[
            "ocsp",
            "-issuer",
            "intermediate.pem",
            "-serial",
            &format!("0x{serial}"),
            "-no_nonce",
            "-reqout",
            &req,
        ],
    );
    let mut args = vec![
        "ocsp",
        "-index",
        f.index,
        "-CA",
        "intermediate.pem",
        "-rsigner",
        "resp.pem",
        "-rkey",
        "resp.key",
        "-reqin",
        &req,
        "-respout",
        &resp,
    ];
    args.extend_from_slice(&validity);
    openssl(d, &args);
    let text = openssl(d, &["ocsp", "-respin", &resp, "-resp_text", "-noverify"]);
    assert!(text.contains("Cert Status: good"), "{text}");
    PreSigned {
        der: read(&d.join(&resp)),
        this_update_ms: openssl_time_ms(&text, "This Update: "),
        next_update_ms: openssl_time_ms(&text, "Next Update: "),
    }
}

/// `Dec  3 09:55:25 2026 GMT` after `label` in `openssl ocsp -resp_text`.
fn openssl_time_ms(text: &str, label: &str) -> u64 {
    let line = text
        .lines()
        .find_map(|l| l.trim().strip_prefix(label))
        .unwrap_or_else(|| panic!("no {label:?} in {text}"));
    let format = time::format_description::parse_borrowed::<1>(
        "[month repr:short] [day padding:space] [hour]:[minute]:[second] [year] GMT",
    )
    .unwrap();
    let t = time::PrimitiveDateTime::parse(line.trim(), &format)
        .unwrap_or_else(|e| panic!("{line:?}: {e}"))
        .assume_utc();
    u64::try_from(t.unix_timestamp()).unwrap() * 1000
}

/// An HTTP/1.1 server on 127.0.0.1 answering every request with the
/// current pre-signed OCSP answer, counting requests. Stops on drop.
pub struct StaticOcsp {
    addr: std::net::SocketAddr,
    hits: Arc<AtomicUsize>,
    answer: Arc<Mutex<Vec<u8>>>,
    task: JoinHandle<()>,
}

impl StaticOcsp {
    pub async fn start(der: Vec<u8>) -> StaticOcsp {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let hits = Arc::new(AtomicUsize::new(0));
        let answer = Arc::new(Mutex::new(der));
        let (h, a) = (hits.clone(), answer.clone());
        let task = tokio::spawn(async move {
            let mut conns = tokio::task::JoinSet::new();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let (h, a) = (h.clone(), a.clone());
                conns.spawn(async move { serve_static(stream, h, a).await });
                while conns.try_join_next().is_some() {}
            }
        });
        StaticOcsp {
            addr,
            hits,
            answer,
            task,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    pub fn serve(&self, der: Vec<u8>) {
        *self.answer.lock().unwrap() = der;
    }
}

impl Drop for StaticOcsp {
    fn drop(&mut self) {
        self.task.abort();
    }
}

// Reads one request (head, then Content-Length bytes) and answers it.
async fn serve_static(
    mut stream: tokio::net::TcpStream,
    hits: Arc<AtomicUsize>,
    answer: Arc<Mutex<Vec<u8>>>,
) {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => data.extend_from_slice(&buf[..n]),
        }
    };
    let head = String::from_utf8_lossy(&data[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while data.len() < head_end + length {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => data.extend_from_slice(&buf[..n]),
        }
    }
    hits.fetch_add(1, Ordering::SeqCst);
    let body = answer.lock().unwrap().clone();
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/ocsp-response\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(&body).await;
    let _ = stream.shutdown().await;
}
