//! Splitting text at an ASCII byte, for the request checks of every
//! request (SPEC 4.1, 4.2, 5.2).
//!
//! Hand-written, not `str::split(char)`: that one runs a general character
//! searcher (a `memchr` call per piece), which cost about 250 instructions
//! per hot request (target, segments, route match) for paths of a few short
//! segments. An ASCII byte is always a character boundary, so splitting at
//! its position by bytes gives the same pieces.

/// The pieces of `s` between the occurrences of the ASCII byte `sep`, as
/// `s.split(sep as char)` gives them (an empty piece between adjacent
/// separators and at either end).
pub(crate) fn split(s: &str, sep: u8) -> impl Iterator<Item = &str> {
    debug_assert!(sep.is_ascii());
    let mut rest = Some(s);
    std::iter::from_fn(move || {
        let r = rest?;
        match split_once(r, sep) {
            Some((piece, tail)) => {
                rest = Some(tail);
                Some(piece)
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

/// `s` before and after the first ASCII byte `sep`, as
/// `s.split_once(sep as char)` gives it.
pub(crate) fn split_once(s: &str, sep: u8) -> Option<(&str, &str)> {
    let at = s.bytes().position(|b| b == sep)?;
    let (head, tail) = s.split_at_checked(at)?;
    Some((head, tail.get(1..)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_as_str_split_does() {
        for s in [
            "",
            "/",
            "//",
            "/v1/trades",
            "a/",
            "/a",
            "é/ü//ß/",
            "no-separator",
            "x?y?z",
        ] {
            for sep in [b'/', b'?', b';'] {
                let ours: Vec<&str> = split(s, sep).collect();
                let std: Vec<&str> = s.split(char::from(sep)).collect();
                assert_eq!(ours, std, "{s:?} at {sep}");
                assert_eq!(split_once(s, sep), s.split_once(char::from(sep)), "{s:?}");
            }
        }
    }
}
