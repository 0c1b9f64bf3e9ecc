//! Time formatting and parsing (RFC 3339) for records and the CLI.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// RFC 3339 with seconds, e.g. `2026-05-28T00:00:00Z`.
pub fn rfc3339_seconds(unix_ms: u64) -> Option<String> {
    let secs = i64::try_from(unix_ms / 1000).ok()?;
    let t = OffsetDateTime::from_unix_timestamp(secs).ok()?;
    t.format(&Rfc3339).ok()
}

/// RFC 3339 with milliseconds, e.g. `2026-06-15T14:33:45.120Z` (SPEC 8).
pub fn rfc3339_millis(unix_ms: u64) -> String {
    let secs = i64::try_from(unix_ms / 1000).unwrap_or(i64::MAX);
    match OffsetDateTime::from_unix_timestamp(secs) {
        Ok(t) => format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            unix_ms % 1000
        ),
        Err(_) => String::from("invalid"),
    }
}

/// Parses RFC 3339 (`2026-07-01T09:15:00.000Z`) or Unix milliseconds.
///
/// ```
/// use kakunin_verify::time::parse_time_ms;
/// assert_eq!(parse_time_ms("2026-07-01T09:15:00.000Z"), Some(1_782_897_300_000));
/// assert_eq!(parse_time_ms("1782897300000"), Some(1_782_897_300_000));
/// ```
pub fn parse_time_ms(s: &str) -> Option<u64> {
    if !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()) {
        return s.parse().ok();
    }
    let t = OffsetDateTime::parse(s, &Rfc3339).ok()?;
    u64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok()
}

/// UTC minute of the day (0..1439) of a Unix ms time (SPEC 5.5).
pub fn minute_of_day(unix_ms: u64) -> u16 {
    u16::try_from((unix_ms / 60_000) % 1440).unwrap_or(0)
}
