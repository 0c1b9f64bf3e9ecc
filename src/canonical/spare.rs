//! One spare body buffer per thread, so that a server verifying request
//! after request reuses the buffer of the last [`CanonicalBody`] it dropped
//! instead of allocating one per request (issue 11: "canonical bytes written
//! into one reused buffer").
//!
//! Bounded: a thread keeps at most one buffer, and only one of at most
//! [`MAX_SPARE_CAPACITY`] bytes; larger buffers are freed as before. A
//! buffer taken from here is cleared and then reserved for the body's
//! estimated need, so the memory bound of a body's buffer is unchanged (the
//! larger of that need and the spare's capacity). Nothing of an earlier
//! body can be read through it: its length is zero and every read of a tape
//! is within its length. Dropped on another thread (an async handler moved
//! by the runtime), a buffer becomes that thread's spare.
//!
//! [`CanonicalBody`]: super::CanonicalBody

use std::cell::Cell;

/// The largest buffer kept for reuse: the buffer of a body up to about
/// 2 KiB ([`estimate`](super::estimate) gives small bodies 8 × their size),
/// which covers order-sized requests.
pub(super) const MAX_SPARE_CAPACITY: usize = 16 * 1024;

thread_local! {
    static SPARE: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
}

/// This thread's spare buffer (empty: [`give_back`] clears it, possibly
/// with capacity), or a new empty one.
pub(super) fn take() -> Vec<u8> {
    SPARE.try_with(Cell::take).unwrap_or_default()
}

/// Keeps `buf` as this thread's spare if it is within the bound (replacing,
/// and so freeing, any spare already there).
pub(super) fn give_back(mut buf: Vec<u8>) {
    if buf.capacity() == 0 || buf.capacity() > MAX_SPARE_CAPACITY {
        return;
    }
    buf.clear();
    // During the thread's teardown there is no spare slot: `buf` is freed.
    let _ = SPARE.try_with(move |spare| spare.set(buf));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bounded_buffer_comes_back_empty_with_its_capacity() {
        let mut buf = Vec::with_capacity(1000);
        buf.extend_from_slice(b"left from an earlier body");
        give_back(buf);
        let again = take();
        assert!(again.is_empty());
        assert_eq!(again.capacity(), 1000);
        // Taken: the slot is empty until a buffer is given back.
        assert_eq!(take().capacity(), 0);
    }

    #[test]
    fn a_buffer_over_the_bound_is_not_kept() {
        give_back(Vec::with_capacity(MAX_SPARE_CAPACITY + 1));
        assert_eq!(take().capacity(), 0);
        give_back(Vec::with_capacity(MAX_SPARE_CAPACITY));
        assert_eq!(take().capacity(), MAX_SPARE_CAPACITY);
    }
}
