//! `authorization::ModelInventory::parse` (SPEC 5.6 inventory files): one
//! lowercase hex SHA-256 per line, `#` comments, blank lines ignored.
//!
//! Invariants: an accepted inventory lists exactly the distinct hashes of
//! its non-blank lines (each 64 lowercase hex digits) and `contains` each;
//! a refused one has a line that is not such a hash, and the error names
//! the first one (1-based).

use std::collections::HashSet;

use kakunin_verify::authorization::ModelInventory;
use kakunin_verify::hex::decode_sha256_lower;

/// The fuzz target's body (see the module documentation).
pub fn model_inventory(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut hashes = HashSet::new();
    let mut first_bad = None;
    for (i, line) in text.lines().enumerate() {
        let content = line.split('#').next().unwrap_or_default().trim();
        if content.is_empty() {
            continue;
        }
        let is_hash = content.len() == 64
            && content
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        match decode_sha256_lower(content) {
            Some(h) if is_hash => {
                hashes.insert(h);
            }
            None if !is_hash => {
                first_bad.get_or_insert(i + 1);
            }
            decoded => panic!("{content:?}: is_hash {is_hash}, decoded {decoded:?}"),
        }
    }
    match (ModelInventory::parse(text), first_bad) {
        (Ok(inv), None) => {
            assert_eq!(inv.len(), hashes.len());
            assert_eq!(inv.is_empty(), hashes.is_empty());
            assert!(hashes.iter().all(|h| inv.contains(h)));
            assert!(!inv.contains(&[0x5a; 32]) || hashes.contains(&[0x5a; 32]));
        }
        (Err(e), Some(line)) => {
            let text = e.to_string();
            assert!(
                text.contains(&format!("line {line}:")),
                "{text} (first bad line {line})"
            );
        }
        (Ok(inv), Some(line)) => panic!("line {line} is not a hash, yet {} accepted", inv.len()),
        (Err(e), None) => panic!("refused an inventory of valid lines: {e}"),
    }
}
