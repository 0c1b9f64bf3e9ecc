//! Time formatting and parsing (RFC 3339) for records and the CLI.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// An X.509 `Time` as Unix milliseconds (saturating).
pub fn x509_ms(t: &x509_cert::time::Time) -> u64 {
    u64::try_from(t.to_unix_duration().as_millis()).unwrap_or(u64::MAX)
}

/// RFC 3339 with seconds, e.g. `2026-05-28T00:00:00Z`.
pub fn rfc3339_seconds(unix_ms: u64) -> Option<String> {
    let secs = i64::try_from(unix_ms / 1000).ok()?;
    let t = OffsetDateTime::from_unix_timestamp(secs).ok()?;
    t.format(&Rfc3339).ok()
}

/// RFC 3339 with milliseconds, e.g. `2026-06-15T14:33:45.120Z` (SPEC 8).
///
/// Written by hand (one allocation, no formatting machinery): every
/// decision's audit record carries one.
///
/// ```
/// assert_eq!(kakunin_verify::time::rfc3339_millis(1_781_534_025_120), "2026-06-15T14:33:45.120Z");
/// assert_eq!(kakunin_verify::time::rfc3339_millis(0), "1970-01-01T00:00:00.000Z");
/// ```
pub fn rfc3339_millis(unix_ms: u64) -> String {
    let (y, mo, d) = civil_from_days(unix_ms / 86_400_000);
    let ms_of_day = unix_ms % 86_400_000;
    let fields = [
        (y, 4),
        (u64::from(mo), 2),
        (u64::from(d), 2),
        (ms_of_day / 3_600_000, 2),
        (ms_of_day / 60_000 % 60, 2),
        (ms_of_day / 1000 % 60, 2),
        (ms_of_day % 1000, 3),
    ];
    let mut out = String::with_capacity(24);
    for ((value, width), sep) in fields.iter().zip(["-", "-", "T", ":", ":", ".", "Z"]) {
        push_padded(&mut out, *value, *width);
        out.push_str(sep);
    }
    out
}

fn push_padded(out: &mut String, value: u64, width: u32) {
    let mut div = 10u64.pow(width.saturating_sub(1));
    if value >= div * 10 {
        // Wider than the field (years past 9999): all digits.
        out.push_str(&value.to_string());
        return;
    }
    while div > 0 {
        out.push(char::from(
            b'0' + u8::try_from(value / div % 10).unwrap_or(0),
        ));
        div /= 10;
    }
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian
/// (H. Hinnant's `civil_from_days`, for non-negative day counts).
fn civil_from_days(days: u64) -> (u64, u8, u8) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (
        year,
        u8::try_from(month).unwrap_or(1),
        u8::try_from(day).unwrap_or(1),
    )
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn millis_format_matches_the_time_crate_across_dates() {
        use time::format_description::well_known::Rfc3339;
        let mut t: u64 = 0;
        while t < 4_102_444_800_000 {
            let expected =
                time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(t) * 1_000_000)
                    .unwrap()
                    .format(&Rfc3339)
                    .unwrap();
            let ours = rfc3339_millis(t);
            // The time crate omits a zero fraction; compare the shared prefix and the ms.
            assert_eq!(&ours[..19], &expected[..19], "{t}");
            assert_eq!(&ours[19..], &format!(".{:03}Z", t % 1000), "{t}");
            t += 86_399_999 + 7 * 3_600_000;
        }
    }
}
