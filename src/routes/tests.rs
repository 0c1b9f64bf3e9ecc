//! Unit tests of SPEC 5.2's route table and path patterns.

use super::*;

/// A verbatim copy of `testvectors/v1/routes.txt` (kept inline so the
/// test does not depend on where the shared vectors are checked out).
const V1_ROUTES: &str = "\
# METHOD PATTERN SCOPE [resource] [trade]
POST /v1/trades submit_limit_order trade
GET /v1/orderbook query_anonymized_order_book
DELETE /v1/orders/* cancel_order
GET /data/* read_data resource
PUT /data/* write_data resource
PUT /reports/* write_report resource
";

fn pat(s: &str) -> PathPattern {
    PathPattern::parse(s).unwrap()
}

#[test]
fn v1_route_table_parses_into_six_routes() {
    let t = RouteTable::parse(V1_ROUTES).unwrap();
    assert_eq!(t.routes().len(), 6);
    let trade = t.find("POST", "/v1/trades").unwrap();
    assert_eq!(trade.scope, "submit_limit_order");
    assert!(trade.trade && !trade.resource);
    let cancel = t.find("DELETE", "/v1/orders/123").unwrap();
    assert_eq!(cancel.scope, "cancel_order");
    assert!(!cancel.trade && !cancel.resource);
    assert_eq!(t.find("PUT", "/reports/q1").unwrap().scope, "write_report");
    assert_eq!(t.find("GET", "/data/x/y").unwrap().scope, "read_data");
    assert!(t.find("GET", "/v1/trades").is_none());
}

#[test]
fn trailing_wildcard_matches_one_or_more_segments() {
    let p = pat("/data/*");
    assert!(p.matches("/data/x"));
    assert!(p.matches("/data/x/y"));
    assert!(p.matches("/data/x/y/z"));
    assert!(!p.matches("/data"));
    assert!(!p.matches("/datax"));
    assert!(!p.matches("/datax/y"));
    assert!(!p.matches("/data/"));
    assert!(!p.matches("/data//x"));
    assert!(!p.matches("/other/x"));
    assert!(!p.matches("data/x"));
}

// SPEC 5.2: a pattern without `*` matches by one comparison with its
// text: the same answer as the segment walk, for paths around it.
#[test]
fn literal_patterns_match_their_text_as_segment_by_segment() {
    for text in ["/", "/v1/trades", "/a", "/v1/orders/open", "/data/x.json"] {
        let p = pat(text);
        assert!(p.literal && p.matches(text), "{text}");
        let t = text.trim_end_matches('/');
        let paths = [
            format!("{t}/"),
            format!("{t}//"),
            format!("/{t}"),
            format!("{t}x"),
            format!("{t}/x"),
            t.to_uppercase(),
            t.replacen('/', "//", 1),
            t.get(..t.len().saturating_sub(1)).unwrap_or("").to_owned(),
            text.trim_start_matches('/').to_owned(),
            String::new(),
        ];
        for path in paths.iter().map(String::as_str).chain([text]) {
            assert_eq!(
                p.matches(path),
                p.matches_by_segments(path),
                "{text} {path}"
            );
        }
    }
    assert!(!pat("/data/*").literal);
}

#[test]
fn middle_wildcard_matches_exactly_one_segment() {
    let p = pat("/v1/*/orders");
    assert!(p.matches("/v1/a/orders"));
    assert!(!p.matches("/v1/orders"));
    assert!(!p.matches("/v1/a/b/orders"));
    assert!(!p.matches("/v1//orders"));
    assert!(!p.matches("/v1/a/orders/x"));
    let two = pat("/*/*");
    assert!(two.matches("/a/b"));
    assert!(two.matches("/a/b/c"));
    assert!(!two.matches("/a"));
}

#[test]
fn literal_patterns_match_exactly() {
    let p = pat("/v1/orderbook");
    assert!(p.matches("/v1/orderbook"));
    assert!(!p.matches("/v1/orderbook/x"));
    assert!(!p.matches("/v1/orderboo"));
    assert!(!p.matches("/V1/orderbook"));
    assert!(!p.matches("/v1"));
}

#[test]
fn root_pattern_matches_only_root() {
    let p = pat("/");
    assert!(p.matches("/"));
    assert!(!p.matches("/a"));
    assert!(!p.matches(""));
    assert_eq!(p.as_str(), "/");
}

#[test]
fn malformed_patterns_are_refused() {
    use PatternError::*;
    let cases: &[(&str, PatternError)] = &[
        ("", NotAbsolute),
        ("data/*", NotAbsolute),
        ("*", NotAbsolute),
        ("/data/", EmptySegment),
        ("//data", EmptySegment),
        ("/a//b", EmptySegment),
        ("/data/a*", PartialWildcard),
        ("/data/**", PartialWildcard),
        ("/*x", PartialWildcard),
        ("/a/../b", DotSegment),
        ("/a/./b", DotSegment),
        ("/a;b", ForbiddenCharacter),
        ("/a?b", ForbiddenCharacter),
        ("/a\\b", ForbiddenCharacter),
        ("/a\u{0}b", ForbiddenCharacter),
    ];
    for (text, want) in cases {
        assert_eq!(PathPattern::parse(text), Err(*want), "{text:?}");
    }
    let long = "/a".repeat(MAX_PATTERN_SEGMENTS + 1);
    assert_eq!(PathPattern::parse(&long), Err(TooLong));
    let ok = "/a".repeat(MAX_PATTERN_SEGMENTS);
    assert!(PathPattern::parse(&ok).is_ok());
    let huge = format!("/{}", "a".repeat(MAX_PATTERN_LEN));
    assert_eq!(PathPattern::parse(&huge), Err(TooLong));
}

#[test]
fn first_match_wins() {
    let t = RouteTable::parse("GET /data/public/* read_public\nGET /data/* read_data resource\n")
        .unwrap();
    assert_eq!(
        t.find("GET", "/data/public/x").unwrap().scope,
        "read_public"
    );
    assert_eq!(t.find("GET", "/data/private/x").unwrap().scope, "read_data");
    let reversed =
        RouteTable::parse("GET /data/* read_data resource\nGET /data/public/* read_public\n")
            .unwrap();
    assert_eq!(
        reversed.find("GET", "/data/public/x").unwrap().scope,
        "read_data"
    );
}

#[test]
fn methods_match_exactly() {
    let t = RouteTable::parse("GET /a s\n").unwrap();
    assert!(t.find("GET", "/a").is_some());
    assert!(t.find("HEAD", "/a").is_none());
    assert!(t.find("get", "/a").is_none());
    assert!(t.find("POST", "/a").is_none());
}

#[test]
fn flags_in_any_order_and_comments() {
    let t = RouteTable::parse(
        "  # whole-line comment\n\
         \n\
         \t \n\
         POST /t s trade resource # trailing comment\n\
         POST /u s resource trade\n\
         GET /v s#no space before comment\n\
         PUT\t/w\ts\r\n",
    )
    .unwrap();
    let r = t.routes();
    assert_eq!(r.len(), 4);
    assert!(r[0].trade && r[0].resource);
    assert!(r[1].trade && r[1].resource);
    assert_eq!(r[2].scope, "s");
    assert!(!r[2].trade && !r[2].resource);
    assert_eq!(r[3].method, "PUT");
    assert_eq!(r[3].pattern.as_str(), "/w");
}

#[test]
fn empty_table_is_valid_and_matches_nothing() {
    let t = RouteTable::parse("# nothing\n\n").unwrap();
    assert!(t.routes().is_empty());
    assert!(t.find("GET", "/").is_none());
}

#[test]
fn each_malformed_line_kind_names_its_line() {
    let cases: &[&str] = &[
        "GET",                  // missing pattern
        "GET /a",               // missing pattern's scope
        "GET /a # s",           // scope only in a comment
        "GET a s",              // pattern not absolute
        "GET /a/ s",            // empty segment
        "GET /a* s",            // partial wildcard
        "GET /a resource",      // flag where the scope belongs
        "GET /a s bogus",       // unknown flag
        "GET /a s trade trade", // duplicate flag
        "GET /a s resource x",  // unknown word after a flag
        "G(T /a s",             // method is not a token
        "/a GET s",             // pattern where the method belongs
    ];
    for bad in cases {
        let text = format!("# header\nGET /ok s\n\n{bad}\nGET /later s\n");
        let err = RouteTable::parse(&text).unwrap_err();
        assert!(err.to_string().contains("line 4"), "{bad:?}: {err}");
    }
    let long = format!("GET /{} s", "a".repeat(MAX_ROUTE_LINE_LEN));
    assert!(RouteTable::parse(&long)
        .unwrap_err()
        .to_string()
        .contains("line 1"));
}

#[test]
fn line_count_is_bounded() {
    let ok = "\n".repeat(MAX_ROUTE_LINES - 1) + "GET /a s";
    assert_eq!(RouteTable::parse(&ok).unwrap().routes().len(), 1);
    let too_many = "\n".repeat(MAX_ROUTE_LINES) + "GET /a s";
    assert!(RouteTable::parse(&too_many).is_err());
}

#[test]
fn from_str_parses() {
    let t: RouteTable = "GET /a s".parse().unwrap();
    assert_eq!(t.routes().len(), 1);
    let p: PathPattern = "/a/*".parse().unwrap();
    assert_eq!(p.to_string(), "/a/*");
}

// SPEC 5.2 / 5.4 with RFC 3986 2.1: a literal segment matches every
// spelling of its octets — escapes in either case, the raw character in the
// pattern — and nothing else; `*` is unchanged.
#[test]
fn literal_segments_match_by_the_octets_they_denote() {
    let escaped = pat("/d/caf%C3%A9/*");
    let raw = pat("/d/café/*");
    for p in [&escaped, &raw] {
        for path in ["/d/caf%C3%A9/x", "/d/caf%c3%a9/x", "/d/caf%c3%A9/x/y"] {
            assert!(p.matches(path), "{} {path}", p.as_str());
        }
        for path in [
            "/d/cafe/x",
            "/d/caf%C3%A8/x",
            "/d/caf%C3/x",
            "/d/caf%C3%A9",
            "/d/x/caf%C3%A9",
        ] {
            assert!(!p.matches(path), "{} {path}", p.as_str());
        }
    }
    // A pattern without `*`: the one-comparison path and the segment walk
    // agree whether or not the path or the pattern has escapes.
    for (text, yes, no) in [
        ("/v1/a!b", "/v1/a%21b", "/v1/a%22b"),
        ("/v1/a%21b", "/v1/a!b", "/v1/a%2"),
        ("/v1/%7e", "/v1/%7E", "/v1/~x"),
    ] {
        let p = pat(text);
        assert!(
            p.matches(text) && p.matches(yes) && !p.matches(no),
            "{text}"
        );
        for path in [text, yes, no] {
            assert_eq!(
                p.matches(path),
                p.matches_by_segments(path),
                "{text} {path}"
            );
        }
    }
    // A `%` not followed by two hex digits stands for itself.
    assert!(pat("/v1/100%").matches("/v1/100%25"));
    assert!(pat("/v1/%zz").matches("/v1/%25zz"));
    assert!(!pat("/v1/%zz").matches("/v1/zz"));
    // The hot path's usual literal is still matched by one comparison.
    assert!(pat("/v1/trades").literal && !pat("/v1/caf%C3%A9").literal);
}
