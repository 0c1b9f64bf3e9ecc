//! Compatibility profiles: certificates, CRLs, answers and webhooks that a
//! CA produces outside sections 1–3 and 7 of the SPEC, mapped into the
//! crate's own types at the edge. The verifier's core does not branch on a
//! profile beyond one hook; without a profile configured, such input fails
//! exactly as sections 2–3 say.
//!
//! | profile | module | SPEC |
//! |---|---|---|
//! | `kakunin-2026` | [`kakunin`] | 10 (revision 1.2) |

pub mod kakunin;
