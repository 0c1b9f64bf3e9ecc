//! Raw HTTP/1.1 request files, as the CLI reads them (SPEC 9): request
//! line, headers, empty line, body; CRLF or LF line ends in the head; the
//! body runs to `Content-Length` if given (a shorter body, or any
//! `Transfer-Encoding`, is `malformed_request`), else to the end of the file.

use crate::error::Error;

/// Largest head (request line and headers) accepted.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;

/// A parsed raw request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRequest {
    /// The method.
    pub method: String,
    /// The request-target as written.
    pub target: String,
    /// The headers in order.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The body.
    pub body: Vec<u8>,
}

fn bad(msg: &'static str) -> Error {
    Error::MalformedRequest(msg.into())
}

fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c))
}

/// Splits the head from the body at the first empty line (CRLF or LF).
fn split_head(input: &[u8]) -> Result<(&[u8], &[u8]), Error> {
    let mut i = 0;
    while i < input.len() {
        let rest = input.get(i..).unwrap_or_default();
        if rest.starts_with(b"\r\n\r\n") {
            return Ok((
                input.get(..i + 2).unwrap_or_default(),
                input.get(i + 4..).unwrap_or_default(),
            ));
        }
        if rest.starts_with(b"\n\n") {
            return Ok((
                input.get(..i + 1).unwrap_or_default(),
                input.get(i + 2..).unwrap_or_default(),
            ));
        }
        if rest.starts_with(b"\n\r\n") {
            return Ok((
                input.get(..i + 1).unwrap_or_default(),
                input.get(i + 3..).unwrap_or_default(),
            ));
        }
        if i > MAX_HEAD_BYTES {
            return Err(bad("request head too large"));
        }
        i += 1;
    }
    // A head with no empty line and no body.
    Ok((input, &[]))
}

impl RawRequest {
    /// Parses a raw HTTP/1.1 request.
    ///
    /// ```
    /// use kakunin_verify::rawhttp::RawRequest;
    /// let r = RawRequest::parse(b"POST /v1/trades HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}").unwrap();
    /// assert_eq!((r.method.as_str(), r.target.as_str(), r.body.as_slice()), ("POST", "/v1/trades", &b"{}"[..]));
    /// assert!(RawRequest::parse(b"POST / HTTP/1.1\nContent-Length: 5\n\n{}").is_err());
    /// ```
    pub fn parse(input: &[u8]) -> Result<RawRequest, Error> {
        let (head, rest) = split_head(input)?;
        let head = std::str::from_utf8(head).map_err(|_| bad("request head is not UTF-8"))?;
        let mut lines = head.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
        let request_line = lines.next().ok_or_else(|| bad("no request line"))?;
        let mut parts = request_line.split(' ');
        let (Some(method), Some(target), Some(version), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad("request line is not METHOD TARGET HTTP/1.1"));
        };
        if !is_token(method) || target.is_empty() || !matches!(version, "HTTP/1.1" | "HTTP/1.0") {
            return Err(bad("request line is not METHOD TARGET HTTP/1.1"));
        }
        let mut headers = Vec::new();
        let mut content_length: Option<usize> = None;
        for line in lines {
            if line.is_empty() {
                continue;
            }
            if line.starts_with([' ', '\t']) {
                return Err(bad("obsolete header line folding"));
            }
            let (name, value) = line
                .split_once(':')
                .ok_or_else(|| bad("header line without ':'"))?;
            if !is_token(name) {
                return Err(bad("invalid header name"));
            }
            let value = value.trim_matches([' ', '\t']);
            if name.eq_ignore_ascii_case("transfer-encoding") {
                return Err(bad("Transfer-Encoding is not accepted"));
            }
            if name.eq_ignore_ascii_case("content-length") {
                if content_length.is_some()
                    || value.is_empty()
                    || !value.bytes().all(|c| c.is_ascii_digit())
                {
                    return Err(bad("invalid Content-Length"));
                }
                content_length = Some(value.parse().map_err(|_| bad("invalid Content-Length"))?);
            }
            headers.push((name.to_owned(), value.as_bytes().to_vec()));
        }
        let body = match content_length {
            Some(n) => rest
                .get(..n)
                .ok_or_else(|| bad("body shorter than Content-Length"))?
                .to_vec(),
            None => rest.to_vec(),
        };
        Ok(RawRequest {
            method: method.to_owned(),
            target: target.to_owned(),
            headers,
            body,
        })
    }

    /// The headers as borrowed pairs, for [`crate::HttpRequest`].
    pub fn header_pairs(&self) -> Vec<(&str, &[u8])> {
        self.headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_slice()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lf_and_crlf_heads_and_body_rules() {
        let r = RawRequest::parse(b"GET /x HTTP/1.1\nA: 1\n\nbody").unwrap();
        assert_eq!(r.body, b"body");
        assert_eq!(r.headers, vec![("A".to_owned(), b"1".to_vec())]);
        let r = RawRequest::parse(b"GET /x HTTP/1.1\r\nA:  2 \r\n\r\n").unwrap();
        assert_eq!(r.headers[0].1, b"2");
        assert!(r.body.is_empty());
        let r = RawRequest::parse(b"GET /x HTTP/1.1\r\nContent-Length: 2\r\n\r\nabcd").unwrap();
        assert_eq!(r.body, b"ab");
        for bad in [
            &b"GET /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"[..],
            b"GET /x HTTP/1.1\r\nContent-Length: 9\r\n\r\nab",
            b"GET /x HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\na",
            b"GET /x HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
            b"GET /x\r\n\r\n",
            b"GET  /x HTTP/1.1\r\n\r\n",
            b"GET /x HTTP/1.1\r\n folded\r\n\r\n",
            b"GET /x HTTP/1.1\r\nNoColon\r\n\r\n",
        ] {
            assert!(
                RawRequest::parse(bad).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}
