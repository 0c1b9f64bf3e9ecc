//! Unit tests of SPEC 4.1's header rules.

use super::*;

// SPEC 4.1: names are compared without case — every known name in any
// case is itself, and nothing else is any of them (a prefix, a longer
// name, a name differing in one byte, a non-ASCII look-alike).
#[test]
fn spec_4_1_known_names_are_matched_without_case_and_only_them() {
    let known = [
        (names::CERTIFICATE, Known::Certificate),
        (names::CHAIN, Known::Chain),
        (names::AUDIENCE, Known::Audience),
        (names::TIMESTAMP, Known::Timestamp),
        (names::NONCE, Known::Nonce),
        (names::SIGNATURE, Known::Signature),
        (names::SIGNATURE_ALGORITHM, Known::SignatureAlgorithm),
        (names::MODEL_SHA256, Known::ModelSha256),
        (names::PROMPT_SHA256, Known::PromptSha256),
        (names::METHOD_OVERRIDES[0], Known::MethodOverride),
        (names::METHOD_OVERRIDES[1], Known::MethodOverride),
        (names::METHOD_OVERRIDES[2], Known::MethodOverride),
        (names::CONTENT_ENCODING, Known::ContentEncoding),
        (names::CONTENT_TYPE, Known::ContentType),
    ];
    for (name, kind) in known {
        assert_eq!(Known::of(name), Some(kind), "{name}");
        assert_eq!(Known::of(&name.to_ascii_uppercase()), Some(kind), "{name}");
        let mixed: String = name
            .chars()
            .enumerate()
            .map(|(i, c)| {
                if i % 2 == 0 {
                    c.to_ascii_uppercase()
                } else {
                    c
                }
            })
            .collect();
        assert_eq!(Known::of(&mixed), Some(kind), "{mixed}");
        assert_eq!(Known::of(&name[..name.len() - 1]), None, "{name}");
        assert_eq!(Known::of(&format!("{name}x")), None, "{name}");
        assert_eq!(Known::of(&format!("{name}-{name}")), None, "{name}");
        let mut changed = name.as_bytes().to_vec();
        changed[1] ^= 0x01;
        assert_eq!(Known::of(std::str::from_utf8(&changed).unwrap()), None);
        // U+017F LATIN SMALL LETTER LONG S folds to `s` in Unicode,
        // never in ASCII.
        if name.contains('s') {
            assert_eq!(Known::of(&name.replacen('s', "\u{17f}", 1)), None);
        }
    }
    assert_eq!(Known::of(""), None);
    assert_eq!(Known::of(&"x".repeat(1000)), None);
}

// SPEC 4.1: the timestamp's value is its decimal digits, read in the
// pass that checks them; it agrees with `str::parse` up to 15 digits
// (leading zeros included) and refuses what is not 1 to 15 digits.
#[test]
fn timestamps_read_as_their_decimal_value() {
    let mut n: u64 = 7;
    for digits in 1..=MAX_TIMESTAMP_DIGITS {
        for v in [
            "9".repeat(digits),
            "0".repeat(digits),
            format!("{:0digits$}", n % 10u64.pow(digits as u32)),
        ] {
            assert_eq!(
                check_timestamp(&v).unwrap(),
                v.parse::<u64>().unwrap(),
                "{v}"
            );
        }
        n = n.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    }
    assert_eq!(check_timestamp("1782897300000").unwrap(), 1_782_897_300_000);
    for v in [
        "",
        "1234567890123456",
        "-1",
        "+1",
        " 1",
        "1 ",
        "1.0",
        "1e3",
        "0x1",
        "١",
    ] {
        assert!(check_timestamp(v).is_err(), "{v:?}");
    }
}

#[test]
fn header_rules() {
    let parse = |hs: &[(&'static str, &'static str)]| {
        AgentHeaders::parse(hs.iter().map(|(n, v)| (*n, v.as_bytes()))).map(|_| ())
    };
    assert!(parse(&[("X-Agent-Nonce", "abcdefghijklmnop")]).is_ok());
    let bad: &[&[(&str, &str)]] = &[
        &[
            ("x-agent-nonce", "abcdefghijklmnop"),
            ("X-AGENT-NONCE", "abcdefghijklmnop"),
        ],
        &[("X-Agent-Nonce", "short")],
        &[("X-Agent-Nonce", "abcdefghijklmnop!")],
        &[("X-Agent-Timestamp", "-1")],
        &[("X-Agent-Timestamp", "1234567890123456")],
        &[("X-Agent-Timestamp", "")],
        &[("X-Agent-Signature-Algorithm", "RSA-PKCS1-SHA256")],
        &[("X-HTTP-Method-Override", "GET")],
        &[("x-method-override", "GET")],
        &[("X-HTTP-Method", "GET")],
        &[("Content-Encoding", "gzip")],
        &[("X-Agent-Model-Sha256", "ABCDEF")],
        &[(
            "X-Agent-Prompt-Sha256",
            "0000000000000000000000000000000000000000000000000000000000000000A",
        )],
    ];
    for hs in bad {
        assert_eq!(
            parse(hs).map_err(|e| e.code()),
            Err(crate::Code::MalformedRequest),
            "{hs:?}"
        );
    }
    assert!(parse(&[("Content-Encoding", "identity")]).is_ok());
    let big = "a".repeat(MAX_HEADER_VALUE_BYTES + 1);
    let r = AgentHeaders::parse([("X-Other", big.as_bytes())]);
    assert!(r.is_err());
}

#[test]
fn base64_and_chain_rules() {
    assert_eq!(decode_base64("AAEC").unwrap(), vec![0, 1, 2]);
    assert!(decode_base64("AAE=").is_ok());
    assert!(
        decode_base64("AAF=").is_err(),
        "non-canonical trailing bits"
    );
    assert!(decode_base64("AAE").is_err(), "missing padding");
    assert!(decode_base64("AA E=").is_err(), "whitespace");
    assert!(decode_base64("AAE=\n").is_err(), "line break");
    assert!(decode_chain("AAEC,,AAEC").is_err());
    assert!(decode_chain("AAEC,").is_err());
    assert!(decode_chain("AAEC,AAEC,AAEC,AAEC,AAEC").is_err());
    assert_eq!(decode_chain("AAEC, AAEC").unwrap().len(), 2);
}
