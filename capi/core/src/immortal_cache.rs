//! capi/core/src/immortal_cache.rs: a lock-free cache of immortal values keyed by address, for
//! free-threaded builds.
//!
//! Under a GIL the pool's intern cache is a plain array touched only with the GIL held. On a
//! free-threaded CPython several threads look names up at once, so the cache is a table of
//! atomic slots instead: a writer stores the value, then the key; a reader loads the key, then
//! the value. Two writers racing on one slot can leave a key beside another key's value, so a
//! reader confirms every hit with `matches` (the pool compares the string's text). That is
//! sound because the values are immortal — interned strings are, on free-threaded builds — so a
//! value read from a slot is alive whatever was stored since. No lock, no reference counting.

use core::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};

/// `N` slots of (key, value) with last-writer-wins replacement.
pub struct ImmortalCache<T, const N: usize> {
    keys: [AtomicUsize; N],
    values: [AtomicPtr<T>; N],
}

impl<T, const N: usize> Default for ImmortalCache<T, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T, const N: usize> ImmortalCache<T, N> {
    /// An empty cache.
    pub const fn new() -> Self {
        ImmortalCache {
            keys: [const { AtomicUsize::new(0) }; N],
            values: [const { AtomicPtr::new(core::ptr::null_mut()) }; N],
        }
    }

    /// The slot of `key`: keys are addresses, so the low bits carry little.
    #[inline(always)]
    fn slot(key: usize) -> usize {
        (key >> 3).wrapping_mul(0x9E37_79B9) % N
    }

    /// The value cached for `key`, if there is one and `matches` confirms that it is `key`'s.
    ///
    /// `matches` receives a value some thread stored in the slot: it is valid (the contract of
    /// [`put`](Self::put)) but may belong to another key.
    #[inline]
    pub fn get(&self, key: usize, matches: impl FnOnce(*mut T) -> bool) -> Option<*mut T> {
        let slot = Self::slot(key);
        if self.keys[slot].load(Ordering::Acquire) != key {
            return None;
        }
        let value = self.values[slot].load(Ordering::Acquire);
        (!value.is_null() && matches(value)).then_some(value)
    }

    /// Caches `value` for `key` (key 0 is never found).
    ///
    /// `value` must stay valid until [`clear`](Self::clear) has run and no thread can still be
    /// inside [`get`](Self::get): for the pool, until the interpreter is gone.
    #[inline]
    pub fn put(&self, key: usize, value: *mut T) {
        let slot = Self::slot(key);
        self.values[slot].store(value, Ordering::Release);
        self.keys[slot].store(key, Ordering::Release);
    }

    /// Forgets every entry.
    pub fn clear(&self) {
        for (key, value) in self.keys.iter().zip(&self.values) {
            key.store(0, Ordering::Release);
            value.store(core::ptr::null_mut(), Ordering::Release);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU64;

    /// A stand-in for an immortal object: never freed, knows its own key.
    struct Entry {
        key: usize,
    }

    /// The key of a value the tests put (every one is a leaked `Entry`).
    fn key_of(v: *mut Entry) -> usize {
        // SAFETY: the tests only put leaked, never freed `Entry`s.
        unsafe { (*v).key }
    }

    fn entries(n: usize) -> Vec<&'static Entry> {
        (0..n)
            .map(|i| &*Box::leak(Box::new(Entry { key: 4096 + 8 * i })))
            .collect()
    }

    #[test]
    fn finds_what_was_put_and_confirms_it() {
        let cache: ImmortalCache<Entry, 16> = ImmortalCache::new();
        let [a] = entries(1)[..] else { unreachable!() };
        let ptr = core::ptr::from_ref(a).cast_mut();
        assert!(cache.get(a.key, |_| true).is_none());
        cache.put(a.key, ptr);
        assert_eq!(cache.get(a.key, |v| key_of(v) == a.key), Some(ptr));
        // A hit that `matches` refuses is a miss.
        assert!(cache.get(a.key, |_| false).is_none());
        cache.clear();
        assert!(cache.get(a.key, |_| true).is_none());
    }

    #[test]
    fn concurrent_readers_and_writers_never_get_another_keys_value() {
        // Four slots for 64 keys: every slot is fought over by many writers at once.
        let cache: &'static ImmortalCache<Entry, 4> = Box::leak(Box::new(ImmortalCache::new()));
        let all = entries(64);
        let hits = AtomicU64::new(0);
        let refused = AtomicU64::new(0);
        std::thread::scope(|s| {
            for t in 0..8 {
                let all = &all;
                let (hits, refused) = (&hits, &refused);
                s.spawn(move || {
                    for round in 0..20_000 {
                        // Each key four times in a row, so a thread finds its own entries even
                        // when it happens to run alone.
                        let e = all[(t * 8 + round / 4) % all.len()];
                        let found = cache.get(e.key, |v| {
                            let ok = key_of(v) == e.key;
                            if !ok {
                                refused.fetch_add(1, Ordering::Relaxed);
                            }
                            ok
                        });
                        match found {
                            Some(v) => {
                                assert_eq!(key_of(v), e.key);
                                hits.fetch_add(1, Ordering::Relaxed);
                            }
                            None => cache.put(e.key, core::ptr::from_ref(e).cast_mut()),
                        }
                    }
                });
            }
        });
        assert!(hits.load(Ordering::Relaxed) > 0, "the cache never hit");
        // A torn (key, value) pair may have been seen (`refused`): it was refused, not returned.
        eprintln!("torn pairs refused: {}", refused.load(Ordering::Relaxed));
    }
}
