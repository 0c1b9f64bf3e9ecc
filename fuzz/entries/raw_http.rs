//! `rawhttp::RawRequest::parse` (SPEC 9 request files).
//!
//! Invariants: every refusal is `malformed_request` (400); an accepted
//! request has a token method, a non-empty target, header names without
//! ':' or line ends, no Transfer-Encoding, a body no longer than the input
//! and exactly `Content-Length` bytes when that header is present; the
//! output never holds more bytes than the input.

use kakunin_verify::rawhttp::RawRequest;
use kakunin_verify::Code;

/// The fuzz target's body (see the module documentation).
pub fn raw_http(data: &[u8]) {
    match RawRequest::parse(data) {
        Ok(r) => {
            assert!(!r.method.is_empty() && !r.target.is_empty());
            assert!(r.method.len() + r.target.len() <= data.len());
            assert!(r.body.len() <= data.len());
            let mut total = r.method.len() + r.target.len() + r.body.len();
            let mut content_length = None;
            for (name, value) in &r.headers {
                assert!(
                    !name.is_empty() && !name.contains([':', '\r', '\n', ' ']),
                    "{name:?}"
                );
                assert!(!value.contains(&b'\n'), "header value with LF");
                assert!(!name.eq_ignore_ascii_case("transfer-encoding"));
                if name.eq_ignore_ascii_case("content-length") {
                    assert!(
                        content_length.is_none(),
                        "two Content-Length headers accepted"
                    );
                    content_length = Some(
                        std::str::from_utf8(value)
                            .unwrap()
                            .parse::<usize>()
                            .expect("Content-Length"),
                    );
                }
                total += name.len() + value.len();
            }
            assert!(total <= data.len(), "parsed request larger than its input");
            if let Some(n) = content_length {
                assert_eq!(r.body.len(), n, "body length differs from Content-Length");
            }
            let pairs = r.header_pairs();
            assert_eq!(pairs.len(), r.headers.len());
        }
        Err(e) => {
            assert_eq!(e.code(), Code::MalformedRequest, "{e:?}");
            assert_eq!(e.http_status(), 400);
        }
    }
}
