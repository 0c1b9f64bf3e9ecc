//! HTTP/1.1 over the test connections: reading one message, writing a
//! response, and the signed `POST /v1/trades` agents send (SPEC 4.1, 4.6, 5.6).

use std::io;

use kakunin_verify::signer::{AgentSigner, RequestToSign};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, BufReader};

use crate::fixtures::{fresh_nonce, pki};
use crate::{AUDIENCE, NOW_MS, TRADE};

/// One HTTP/1.1 message: the head (up to and including the empty line) and
/// the `Content-Length` body.
pub(crate) struct Message {
    pub(crate) head: String,
    pub(crate) body: Vec<u8>,
}

/// Reads one message; `None` on a clean end of stream before any byte.
pub(crate) async fn read_message<R: AsyncRead + Unpin>(
    r: &mut BufReader<R>,
) -> io::Result<Option<Message>> {
    let mut head = String::new();
    loop {
        let n = r.read_line(&mut head).await?;
        if n == 0 {
            return if head.is_empty() {
                Ok(None)
            } else {
                Err(io::ErrorKind::UnexpectedEof.into())
            };
        }
        if head.ends_with("\r\n\r\n") {
            break;
        }
    }
    let len = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(n, _)| n.trim().eq_ignore_ascii_case("content-length"))
        .map(|(_, v)| {
            v.trim()
                .parse::<usize>()
                .map_err(|_| io::Error::from(io::ErrorKind::InvalidData))
        })
        .transpose()?
        .unwrap_or(0);
    let mut body = vec![0; len];
    r.read_exact(&mut body).await?;
    Ok(Some(Message { head, body }))
}

pub(crate) fn response(status: u16, content_type: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n{body}",
        if status == 200 { "OK" } else { "Denied" },
        body.len()
    )
    .into_bytes()
}

/// A signed `POST /v1/trades` with a fresh nonce, serialized as HTTP/1.1,
/// with `X-Agent-Certificate` as `cert_header` says.
pub(crate) fn trade_request(signer: &AgentSigner, cert_header: CertHeader) -> Vec<u8> {
    let nonce = fresh_nonce();
    // Only p256/leaf.pem certifies model and prompt hashes (SPEC 5.6).
    let hash = |s: &str| {
        kakunin_verify::hex::encode(
            ring::digest::digest(&ring::digest::SHA256, s.as_bytes()).as_ref(),
        )
    };
    let has_provenance = matches!(
        signer.certificate().provenance(),
        kakunin_verify::certificate::Decoded::Present(_)
    );
    let (model, prompt) = (hash("weights"), hash("prompt"));
    let headers = signer
        .sign(&RequestToSign {
            audience: AUDIENCE,
            method: "POST",
            target: "/v1/trades",
            body: TRADE.as_bytes(),
            timestamp_ms: NOW_MS,
            nonce: Some(&nonce),
            model_sha256: has_provenance.then_some(model.as_str()),
            prompt_sha256: has_provenance.then_some(prompt.as_str()),
        })
        .unwrap();
    let mut out = format!(
        // The signer's headers carry the Content-Type (SPEC 4.1, 1.1).
        "POST /v1/trades HTTP/1.1\r\nHost: localhost\r\nContent-Length: {}\r\n",
        TRADE.len()
    );
    for (name, value) in headers {
        if name.eq_ignore_ascii_case("X-Agent-Certificate") {
            match &cert_header {
                CertHeader::Omit => continue,
                CertHeader::Own => {}
                CertHeader::Other(v) => {
                    out.push_str(&format!("{name}: {v}\r\n"));
                    continue;
                }
            }
        }
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    out.push_str(TRADE);
    out.into_bytes()
}

/// What a request carries as `X-Agent-Certificate`.
pub(crate) enum CertHeader {
    /// No header (SPEC 4.6 allows it over mutual TLS).
    Omit,
    /// The signer's own certificate, as `AgentSigner::sign` writes it.
    Own,
    /// This base64 value (another certificate).
    Other(String),
}

pub(crate) fn signer(rel_dir_or_bad: &str) -> AgentSigner {
    let (cert, key) = agent_files(rel_dir_or_bad);
    AgentSigner::from_pem(&pki(&key), &pki(&cert), None).unwrap()
}

/// `"p256"` → `p256/leaf.pem`; `"bad/no_eku"` → `bad/no_eku.pem`.
pub(crate) fn agent_files(agent: &str) -> (String, String) {
    if agent.contains('/') {
        (format!("{agent}.pem"), format!("{agent}.key"))
    } else {
        (format!("{agent}/leaf.pem"), format!("{agent}/leaf.key"))
    }
}
