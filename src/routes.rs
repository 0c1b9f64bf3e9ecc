//! TEMPORARY placeholder replaced by the routes module from the wt-stores branch.
#![allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathPattern(String);
impl PathPattern {
    pub fn parse(s: &str) -> Result<Self, ()> {
        if s.starts_with('/') {
            Ok(PathPattern(s.into()))
        } else {
            Err(())
        }
    }
}
