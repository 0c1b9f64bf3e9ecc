//! SPEC 8: the value types of the audit record's fields. Filling a record
//! on the hot path allocates nothing for them: short text is held inline,
//! digests and the decision time are kept as fixed-size values and
//! formatted only when the record is serialized. Their JSON is the text
//! itself, so the record's JSON is the same as with plain strings.

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use serde::{Serialize, Serializer};

/// Text of at most this many bytes is held inline in an [`AuditText`]
/// (nonces are at most 64 characters, SPEC 4.1; agent ids, serials,
/// methods, audiences, scopes, markets and sizes are typically shorter).
pub const AUDIT_TEXT_INLINE_BYTES: usize = 64;

/// One text field of an audit record: the text itself, held inline when
/// short (no heap allocation), else shared on the heap. Dereferences to
/// `str` and serializes as a JSON string.
///
/// ```
/// use kakunin_verify::audit::AuditText;
/// let t = AuditText::from("EUR_USD");
/// assert_eq!(t.as_str(), "EUR_USD");
/// assert_eq!(serde_json::to_string(&t).unwrap(), r#""EUR_USD""#);
/// let long = "x".repeat(100);
/// assert_eq!(AuditText::from(long.as_str()).as_str(), long);
/// ```
#[derive(Clone)]
pub struct AuditText(Repr);

#[derive(Clone)]
enum Repr {
    Static(&'static str),
    Inline {
        len: u8,
        bytes: [u8; AUDIT_TEXT_INLINE_BYTES],
    },
    Shared(Arc<str>),
}

impl AuditText {
    /// A text known at compile time (no copy).
    pub const fn from_static(text: &'static str) -> Self {
        AuditText(Repr::Static(text))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Static(s) => s,
            Repr::Inline { len, bytes } => bytes
                .get(..usize::from(*len))
                .and_then(|b| std::str::from_utf8(b).ok())
                // Always whole: `from` copies a whole `str` of `len` bytes.
                .unwrap_or_default(),
            Repr::Shared(s) => s,
        }
    }
}

impl From<&str> for AuditText {
    fn from(text: &str) -> Self {
        let mut bytes = [0u8; AUDIT_TEXT_INLINE_BYTES];
        match (bytes.get_mut(..text.len()), u8::try_from(text.len())) {
            (Some(slot), Ok(len)) => {
                slot.copy_from_slice(text.as_bytes());
                AuditText(Repr::Inline { len, bytes })
            }
            _ => AuditText(Repr::Shared(Arc::from(text))),
        }
    }
}

impl From<String> for AuditText {
    fn from(text: String) -> Self {
        AuditText::from(text.as_str())
    }
}

impl From<Arc<str>> for AuditText {
    fn from(text: Arc<str>) -> Self {
        AuditText(Repr::Shared(text))
    }
}

impl Deref for AuditText {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for AuditText {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq for AuditText {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for AuditText {}

impl PartialEq<str> for AuditText {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for AuditText {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl fmt::Debug for AuditText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for AuditText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for AuditText {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A SHA-256 digest in an audit record, serialized as 64 lowercase hex
/// digits.
///
/// ```
/// use kakunin_verify::audit::AuditDigest;
/// let d = AuditDigest([0xab; 32]);
/// assert_eq!(d.to_string(), "ab".repeat(32));
/// assert_eq!(serde_json::to_string(&d).unwrap(), format!("\"{}\"", "ab".repeat(32)));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct AuditDigest(pub [u8; 32]);

impl AuditDigest {
    fn with_hex<R>(&self, f: impl FnOnce(&str) -> R) -> R {
        let hex = crate::hex::sha256_hex(&self.0);
        // Hex digits are ASCII.
        f(std::str::from_utf8(&hex).unwrap_or_default())
    }
}

impl fmt::Display for AuditDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.with_hex(|h| f.write_str(h))
    }
}

impl fmt::Debug for AuditDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.with_hex(|h| fmt::Debug::fmt(h, f))
    }
}

impl Serialize for AuditDigest {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.with_hex(|h| s.serialize_str(h))
    }
}

/// The verifier's time of a decision (Unix ms), serialized as RFC 3339 with
/// milliseconds in UTC (`2026-07-01T09:15:00.000Z`).
///
/// ```
/// use kakunin_verify::audit::AuditTime;
/// let t = AuditTime(1_782_897_300_000);
/// assert_eq!(t.to_string(), "2026-07-01T09:15:00.000Z");
/// assert_eq!(serde_json::to_string(&t).unwrap(), r#""2026-07-01T09:15:00.000Z""#);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct AuditTime(pub u64);

impl AuditTime {
    /// The Unix time in milliseconds.
    pub fn unix_ms(self) -> u64 {
        self.0
    }
}

impl fmt::Display for AuditTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::time::rfc3339_millis(self.0))
    }
}

impl fmt::Debug for AuditTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&crate::time::rfc3339_millis(self.0), f)
    }
}

impl Serialize for AuditTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&crate::time::rfc3339_millis(self.0))
    }
}

impl PartialEq<str> for AuditTime {
    fn eq(&self, other: &str) -> bool {
        crate::time::rfc3339_millis(self.0) == other
    }
}

impl PartialEq<&str> for AuditTime {
    fn eq(&self, other: &&str) -> bool {
        *self == **other
    }
}

impl PartialEq<str> for AuditDigest {
    fn eq(&self, other: &str) -> bool {
        self.with_hex(|h| h == other)
    }
}

impl PartialEq<&str> for AuditDigest {
    fn eq(&self, other: &&str) -> bool {
        *self == **other
    }
}
