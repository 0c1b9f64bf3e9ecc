//! SPEC section 5.2: the route table and its path patterns.
//!
//! A route table maps `METHOD PATH` to the scope an agent must hold. The same
//! [`PathPattern`] syntax serves the `dataAccess` rules of SPEC 5.4.
//!
//! ```
//! use kakunin_verify::routes::RouteTable;
//!
//! let table: RouteTable = "\
//! ## METHOD PATTERN SCOPE [resource] [trade]
//! POST /v1/trades submit_limit_order trade
//! GET  /data/*    read_data resource   # any path below /data
//! ".parse()?;
//! let route = table.find("GET", "/data/a/b").expect("a route");
//! assert_eq!(route.scope, "read_data");
//! assert!(route.resource && !route.trade);
//! assert!(table.find("HEAD", "/data/a").is_none()); // HEAD is not GET
//! assert!(table.find("GET", "/data").is_none());
//! # Ok::<(), kakunin_verify::ConfigError>(())
//! ```

use std::fmt;
use std::str::FromStr;

use crate::error::ConfigError;

mod octets;

/// Longest accepted pattern text, in bytes.
pub const MAX_PATTERN_LEN: usize = 1024;
/// Most segments a pattern may have.
pub const MAX_PATTERN_SEGMENTS: usize = 32;
/// Most lines (comments and blank lines included) a route table may have.
pub const MAX_ROUTE_LINES: usize = 10_000;
/// Longest accepted route-table line, in bytes.
pub const MAX_ROUTE_LINE_LEN: usize = 2048;
/// Longest accepted method token, in bytes.
pub const MAX_METHOD_LEN: usize = 32;
/// Longest accepted scope name, in bytes.
pub const MAX_SCOPE_LEN: usize = 128;

/// Why a path pattern was refused.
///
/// For `dataAccess` (SPEC 5.4) the caller maps this to `policy_invalid`; in a
/// route table it becomes a [`ConfigError`] naming the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PatternError {
    /// The pattern does not start with `/`.
    #[error("pattern is not an absolute path")]
    NotAbsolute,
    /// The pattern has an empty segment (`//`, or a trailing `/`).
    #[error("pattern has an empty segment")]
    EmptySegment,
    /// A segment mixes `*` with other characters (`a*`, `**`).
    #[error("pattern has a partial wildcard; `*` must be a whole segment")]
    PartialWildcard,
    /// A segment is `.` or `..`, which a plain request path never contains.
    #[error("pattern has a `.` or `..` segment")]
    DotSegment,
    /// A segment holds a character a plain request path never contains
    /// (control characters, whitespace, `?`, `#`, `;`, `\`).
    #[error("pattern has a forbidden character")]
    ForbiddenCharacter,
    /// More than [`MAX_PATTERN_LEN`] bytes or [`MAX_PATTERN_SEGMENTS`] segments.
    #[error("pattern is too long")]
    TooLong,
}

/// One segment of a parsed pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    /// Matches a segment that denotes exactly these octets (percent escapes
    /// decoded, in either case; see `octets`).
    Literal(Box<[u8]>),
    /// `*`: one segment, or one or more when last.
    Wildcard,
}

/// A path pattern of SPEC 5.2: an absolute path whose segments are literal
/// or `*`.
///
/// A `*` segment matches exactly one (non-empty) segment, except as the last
/// segment, where it matches one or more. The pattern `/` alone is accepted
/// and matches only the path `/` (it is the one pattern with no segments).
///
/// ```
/// use kakunin_verify::routes::PathPattern;
///
/// let p = PathPattern::parse("/data/*").unwrap();
/// assert!(p.matches("/data/x"));
/// assert!(p.matches("/data/x/y"));
/// assert!(!p.matches("/data"));
/// assert!(!p.matches("/datax"));
///
/// let mid = PathPattern::parse("/v1/*/orders").unwrap();
/// assert!(mid.matches("/v1/abc/orders"));
/// assert!(!mid.matches("/v1/a/b/orders"));
///
/// assert!(PathPattern::parse("data/*").is_err());
/// assert!(PathPattern::parse("/data/a*").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathPattern {
    text: Box<str>,
    segments: Box<[Segment]>,
    /// No `*` and no `%`: the pattern matches exactly its own text, when
    /// the path has no `%` either.
    literal: bool,
}

impl PathPattern {
    /// Parses a pattern (SPEC 5.2). See the type's documentation for the syntax.
    pub fn parse(s: &str) -> Result<PathPattern, PatternError> {
        check_pattern_shape(s)?;
        let mut segments = Vec::new();
        if s != "/" {
            for seg in s.get(1..).unwrap_or_default().split('/') {
                if segments.len() >= MAX_PATTERN_SEGMENTS {
                    return Err(PatternError::TooLong);
                }
                segments.push(parse_segment(seg)?);
            }
        }
        Ok(PathPattern {
            text: s.into(),
            literal: !segments.contains(&Segment::Wildcard) && octets::is_plain(s),
            segments: segments.into_boxed_slice(),
        })
    }

    /// The pattern's text as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// `true` when `path` matches (SPEC 5.2).
    ///
    /// `path` is the request path without its query, already validated plain
    /// by the caller (SPEC 4.2); nothing is normalized here. A literal
    /// segment matches a path segment that denotes the same octets (RFC
    /// 3986 percent escapes decoded, in either case), so no spelling of a
    /// name escapes a rule written with another. Matching does not
    /// allocate. An empty path segment never matches anything.
    ///
    /// ```
    /// use kakunin_verify::routes::PathPattern;
    /// let p = PathPattern::parse("/d/caf%C3%A9/*").unwrap();
    /// assert!(p.matches("/d/caf%C3%A9/x"));
    /// assert!(p.matches("/d/caf%c3%a9/x"));
    /// assert!(PathPattern::parse("/d/café/*").unwrap().matches("/d/caf%c3%a9/x"));
    /// assert!(!p.matches("/d/cafe/x"));
    /// ```
    pub fn matches(&self, path: &str) -> bool {
        // Without `*` or `%` on either side, a pattern matches, segment by
        // segment, exactly the path that is its text (one comparison on the
        // hot path, where `/v1/trades` is usual).
        if self.literal && octets::is_plain(path) {
            return path == &*self.text;
        }
        self.matches_by_segments(path)
    }

    fn matches_by_segments(&self, path: &str) -> bool {
        // SPEC 5.2: the pattern `/` (no segments) matches only the root.
        let Some(rest) = path.strip_prefix('/') else {
            return false;
        };
        if self.segments.is_empty() {
            return rest.is_empty();
        }
        let mut parts = crate::ascii::split(rest, b'/');
        let last = self.segments.len() - 1;
        for (i, seg) in self.segments.iter().enumerate() {
            if i == last && *seg == Segment::Wildcard {
                return trailing_wildcard_matches(parts);
            }
            match parts.next() {
                Some(part) if segment_matches(seg, part) => {}
                _ => return false,
            }
        }
        parts.next().is_none()
    }
}

// SPEC 5.2: a pattern is an absolute path, bounded in size.
fn check_pattern_shape(s: &str) -> Result<(), PatternError> {
    if s.len() > MAX_PATTERN_LEN {
        return Err(PatternError::TooLong);
    }
    if !s.starts_with('/') {
        return Err(PatternError::NotAbsolute);
    }
    Ok(())
}

// SPEC 5.2: a segment is a literal or a whole `*`; a literal is what a plain
// path (SPEC 4.2) can contain, so no pattern is written that can never match.
fn parse_segment(seg: &str) -> Result<Segment, PatternError> {
    match seg {
        "" => Err(PatternError::EmptySegment),
        "*" => Ok(Segment::Wildcard),
        "." | ".." => Err(PatternError::DotSegment),
        _ if seg.contains('*') => Err(PatternError::PartialWildcard),
        _ if seg.chars().any(is_forbidden_pattern_char) => Err(PatternError::ForbiddenCharacter),
        _ => Ok(Segment::Literal(octets::decode(seg))),
    }
}

// SPEC 4.2: characters a plain request path never holds.
fn is_forbidden_pattern_char(c: char) -> bool {
    c.is_control() || c.is_whitespace() || matches!(c, '?' | '#' | ';' | '\\')
}

// SPEC 5.2: a literal matches a segment denoting its octets; a `*` matches
// one non-empty segment.
fn segment_matches(seg: &Segment, part: &str) -> bool {
    match seg {
        Segment::Literal(lit) => octets::denotes(part, lit),
        Segment::Wildcard => !part.is_empty(),
    }
}

// SPEC 5.2: a last `*` matches one or more non-empty segments.
fn trailing_wildcard_matches<'a>(mut parts: impl Iterator<Item = &'a str>) -> bool {
    let mut seen = false;
    for part in parts.by_ref() {
        if part.is_empty() {
            return false;
        }
        seen = true;
    }
    seen
}

impl FromStr for PathPattern {
    type Err = PatternError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PathPattern::parse(s)
    }
}

impl fmt::Display for PathPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// One line of the route table (SPEC 5.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The HTTP method, matched exactly and case-sensitively.
    pub method: String,
    /// The path pattern.
    pub pattern: PathPattern,
    /// The scope the policy's `scopes` must contain.
    pub scope: String,
    /// `resource`: the path is checked against `dataAccess` (SPEC 5.4).
    pub resource: bool,
    /// `trade`: the body must carry `market` and `size` (SPEC 5.3).
    pub trade: bool,
}

/// The integrator's route table (SPEC 5.2): `METHOD PATTERN SCOPE [resource]
/// [trade]` per line, `#` comments, blank lines ignored.
///
/// An empty table is valid: every request is then `action_not_allowed`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RouteTable {
    routes: Vec<Route>,
}

impl RouteTable {
    /// Parses a route table. Any line that does not parse is a
    /// [`ConfigError`] naming its (1-based) line number.
    ///
    /// ```
    /// use kakunin_verify::routes::RouteTable;
    /// let err = RouteTable::parse("GET /a s\nGET b s\n").unwrap_err();
    /// assert!(err.to_string().contains("line 2"));
    /// ```
    pub fn parse(text: &str) -> Result<RouteTable, ConfigError> {
        let mut routes = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let number = index + 1;
            if number > MAX_ROUTE_LINES {
                return Err(ConfigError::new(format!(
                    "route table: more than {MAX_ROUTE_LINES} lines"
                )));
            }
            let parsed = parse_route_line(line)
                .map_err(|why| ConfigError::new(format!("route table line {number}: {why}")))?;
            routes.extend(parsed);
        }
        Ok(RouteTable { routes })
    }

    /// The first route whose method equals `method` exactly and whose
    /// pattern matches `path` (SPEC 5.2), or `None` (`action_not_allowed`).
    pub fn find(&self, method: &str, path: &str) -> Option<&Route> {
        self.routes
            .iter()
            .find(|r| r.method == method && r.pattern.matches(path))
    }

    /// Every route, in table order.
    pub fn routes(&self) -> &[Route] {
        &self.routes
    }
}

impl FromStr for RouteTable {
    type Err = ConfigError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RouteTable::parse(s)
    }
}

// SPEC 5.2: one line is `METHOD PATTERN SCOPE [resource] [trade]`; `#` starts
// a comment; a blank line is no route.
fn parse_route_line(line: &str) -> Result<Option<Route>, String> {
    if line.len() > MAX_ROUTE_LINE_LEN {
        return Err(format!("longer than {MAX_ROUTE_LINE_LEN} bytes"));
    }
    let content = line.split('#').next().unwrap_or_default();
    let mut words = content.split_ascii_whitespace();
    let Some(method) = words.next() else {
        return Ok(None);
    };
    let method = parse_method(method)?;
    let pattern = words.next().ok_or("missing pattern")?;
    let pattern = PathPattern::parse(pattern).map_err(|e| e.to_string())?;
    let scope = parse_scope(words.next().ok_or("missing scope")?)?;
    let (resource, trade) = parse_flags(words)?;
    Ok(Some(Route {
        method,
        pattern,
        scope,
        resource,
        trade,
    }))
}

// SPEC 5.2: a method is an HTTP token (RFC 9110 tchar), kept exactly as written.
fn parse_method(m: &str) -> Result<String, String> {
    let tchar = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    if m.len() > MAX_METHOD_LEN || !m.bytes().all(tchar) {
        return Err(format!("invalid method {:?}", truncate(m)));
    }
    Ok(m.to_owned())
}

// SPEC 5.2 / 3: a scope is a non-empty action name; it must not look like a flag.
fn parse_scope(s: &str) -> Result<String, String> {
    if s.len() > MAX_SCOPE_LEN {
        return Err(format!("scope longer than {MAX_SCOPE_LEN} bytes"));
    }
    if s == "resource" || s == "trade" {
        return Err(format!("missing scope before flag {s:?}"));
    }
    Ok(s.to_owned())
}

// SPEC 5.2: the flags `resource` and `trade`, in any order, each at most once.
fn parse_flags<'a>(words: impl Iterator<Item = &'a str>) -> Result<(bool, bool), String> {
    let (mut resource, mut trade) = (false, false);
    for word in words {
        let flag = match word {
            "resource" => &mut resource,
            "trade" => &mut trade,
            _ => return Err(format!("unknown flag {:?}", truncate(word))),
        };
        if *flag {
            return Err(format!("duplicate flag {word:?}"));
        }
        *flag = true;
    }
    Ok((resource, trade))
}

// Keeps configuration error messages short.
fn truncate(s: &str) -> &str {
    const MAX_ECHO: usize = 40;
    let mut end = s.len().min(MAX_ECHO);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or_default()
}

#[cfg(test)]
mod tests;
