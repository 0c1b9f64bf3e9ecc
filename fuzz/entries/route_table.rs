//! `routes::RouteTable` from text (`FromStr`, SPEC 5.2).
//!
//! Invariants: an accepted table has at most one route per line; each
//! route's method is a 1..32-byte HTTP token, its scope 1..128 bytes without
//! blanks or `#` and not a flag word, its pattern an absolute path of at
//! most 1024 bytes that re-parses to itself; the table written back as text
//! parses to the same table; a path made from each pattern (every `*` as
//! `x`) matches that pattern, and `find` answers it with a route of that
//! method whose pattern matches, no later in the table. A refusal names the
//! route table.

use kakunin_verify::routes::{
    PathPattern, RouteTable, MAX_METHOD_LEN, MAX_PATTERN_LEN, MAX_SCOPE_LEN,
};

/// The route written back as one table line.
fn line(r: &kakunin_verify::routes::Route) -> String {
    let mut s = format!("{} {} {}", r.method, r.pattern, r.scope);
    if r.resource {
        s.push_str(" resource");
    }
    if r.trade {
        s.push_str(" trade");
    }
    s
}

/// A path the pattern must match: each `*` segment becomes `x`.
fn sample_path(pattern: &str) -> String {
    if pattern == "/" {
        return "/".into();
    }
    pattern
        .split('/')
        .map(|seg| if seg == "*" { "x" } else { seg })
        .collect::<Vec<_>>()
        .join("/")
}

/// The fuzz target's body (see the module documentation).
pub fn route_table(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let table = match text.parse::<RouteTable>() {
        Ok(t) => t,
        Err(e) => {
            assert!(e.to_string().contains("route table"), "{e}");
            return;
        }
    };
    assert!(table.routes().len() <= text.lines().count());
    for (index, r) in table.routes().iter().enumerate() {
        assert!(
            !r.method.is_empty() && r.method.len() <= MAX_METHOD_LEN,
            "{r:?}"
        );
        assert!(r.method.bytes().all(|b| b.is_ascii_graphic()), "{r:?}");
        assert!(
            !r.scope.is_empty() && r.scope.len() <= MAX_SCOPE_LEN,
            "{r:?}"
        );
        assert!(
            !r.scope
                .contains(|c: char| c.is_ascii_whitespace() || c == '#'),
            "{r:?}"
        );
        assert!(r.scope != "resource" && r.scope != "trade", "{r:?}");
        let pattern = r.pattern.as_str();
        assert!(
            pattern.starts_with('/') && pattern.len() <= MAX_PATTERN_LEN,
            "{r:?}"
        );
        assert_eq!(PathPattern::parse(pattern).as_ref(), Ok(&r.pattern));
        let path = sample_path(pattern);
        assert!(
            r.pattern.matches(&path),
            "{pattern:?} does not match {path:?}"
        );
        let found = table
            .find(&r.method, &path)
            .expect("a route matches its own path");
        assert!(found.method == r.method && found.pattern.matches(&path));
        let found_at = table.routes().iter().position(|x| std::ptr::eq(x, found));
        assert!(found_at.is_some_and(|i| i <= index));
    }
    let written: Vec<String> = table.routes().iter().map(line).collect();
    let again = written
        .join("\n")
        .parse::<RouteTable>()
        .expect("written table parses");
    assert_eq!(again, table, "table written back differs");
}
