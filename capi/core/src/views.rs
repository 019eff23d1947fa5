//! capi/core/src/views.rs: per-call views — argument state the trampoline owns for one call.
//!
//! Most arguments fit the two words of `pyz3_value`. The types whose registry entry says
//! `arg_view` (buffers; the containers' sequences and dicts) do not: their conversion fills a
//! *view*, state kept in storage the trampoline owns for the call, and the `pyz3_value` carries
//! a pointer into that storage. This module is the storage and its one rule: every view that was
//! filled is released exactly once, on every way out of the call — success, a plugin error, a
//! later argument failing to convert, a panic unwinding through the trampoline — with the GIL
//! held and after the plugin returned, so a view stays valid across `PYZ3_FN_RELEASE_GIL`.
//!
//! Storage is a [`ViewStack`] in the trampoline's frame with room for [`INLINE_VIEWS`] views of
//! [`VIEW_STATE_BYTES`] each, lent to the call's [`CallViews`]; a function with more view
//! parameters gets the rest from the heap, allocated once when the first of them is converted. A type whose state does not fit a slot
//! for some argument (a long sequence) allocates the excess itself and frees it in its release
//! hook.
//!
//! How a view type plugs in (docs/design.md, "Per-call views"):
//!
//! 1. its registry entry says `arg_view: true` (the loader then counts it in `Function::nviews`
//!    and serves the function with the view-aware trampoline);
//! 2. its arm of `convert::to_arg_into` takes [`CallViews::slot`], writes its state into
//!    [`ViewSlot::state`], points the argument's `pyz3_value` member at it, and only then calls
//!    [`CallViews::commit`] with its release hook (or `None` when there is nothing to release).
//!    A conversion that fails cleans up its own partial state and commits nothing;
//! 3. nothing else: the trampoline drops the `CallViews`, which runs the hooks in reverse order.

use core::ffi::c_void;
use core::mem::{align_of, size_of, MaybeUninit};

/// How a view is released: called once, with the GIL held, with the state its conversion wrote
/// (the pointer [`ViewSlot::state`] gave it).
pub type Release = unsafe fn(state: *mut c_void);

/// Bytes of state one view may keep in its slot (a buffer keeps a `pyz3_buffer`, a `Py_buffer`
/// and four dimensions' shape and strides).
pub const VIEW_STATE_BYTES: usize = 232;

/// Views kept on the trampoline's stack; a function with more view parameters takes the rest
/// from the heap.
pub const INLINE_VIEWS: usize = 4;

/// The storage of one view: its state, and (once committed with a hook) its release hook and
/// the view committed before it that also needs releasing.
#[repr(C, align(16))]
pub struct ViewSlot {
    release: MaybeUninit<Release>,
    previous: *mut ViewSlot,
    state: MaybeUninit<[u8; VIEW_STATE_BYTES]>,
}

impl ViewSlot {
    /// The slot's state storage as a `T` (uninitialised until the conversion writes it).
    #[inline(always)]
    pub fn state<T>(slot: *mut ViewSlot) -> *mut T {
        const {
            assert!(
                size_of::<T>() <= VIEW_STATE_BYTES,
                "view state too large for a slot"
            );
            assert!(align_of::<T>() <= 16, "view state over-aligned for a slot");
        }
        // Address arithmetic only: nothing is read or written here.
        slot.cast::<u8>()
            .wrapping_add(core::mem::offset_of!(ViewSlot, state))
            .cast()
    }
}

/// The stack part of a call's view storage: declare it in the trampoline's frame
/// (`ViewStack::new()` writes nothing) and lend it to [`CallViews::new`].
pub struct ViewStack([MaybeUninit<ViewSlot>; INLINE_VIEWS]);

impl ViewStack {
    /// Uninitialised storage for [`INLINE_VIEWS`] views.
    #[inline(always)]
    #[allow(
        clippy::new_without_default,
        reason = "uninitialised storage is not a default value"
    )]
    pub const fn new() -> ViewStack {
        ViewStack([const { MaybeUninit::uninit() }; INLINE_VIEWS])
    }
}

/// The views of one call. Create one per call of a function that has view parameters, over a
/// [`ViewStack`] in the same frame, pass it to every conversion, and let it drop after the
/// result object exists: dropping releases every committed view, last first. The stack storage
/// is lent, not owned, so creating a `CallViews` copies nothing; the views that need releasing
/// form a list through their slots, so dropping walks only those.
pub struct CallViews<'a> {
    stack: &'a mut ViewStack,
    /// Slots past the stack's, allocated once when the first is needed (`heap_len` of them).
    heap: *mut ViewSlot,
    heap_len: usize,
    /// The most views this call can have (the function's view parameters).
    capacity: usize,
    /// Slots taken by committed views.
    live: usize,
    /// The last committed view that needs releasing (NULL: none).
    last: *mut ViewSlot,
}

impl<'a> CallViews<'a> {
    /// Storage for a call of a function with `capacity` view parameters: `stack` first, then
    /// the heap.
    #[inline(always)]
    pub fn new(stack: &'a mut ViewStack, capacity: usize) -> CallViews<'a> {
        CallViews {
            stack,
            heap: core::ptr::null_mut(),
            heap_len: 0,
            capacity,
            live: 0,
            last: core::ptr::null_mut(),
        }
    }

    /// The slot the next conversion fills. Taking it commits nothing: a conversion that fails
    /// leaves the slot to the next one.
    ///
    /// # Panics
    /// When more views are taken than the `capacity` given to [`CallViews::new`] (a loader bug).
    #[inline(always)]
    pub fn slot(&mut self) -> *mut ViewSlot {
        let i = self.live;
        if i < INLINE_VIEWS {
            return self.stack.0[i].as_mut_ptr();
        }
        self.heap_slot(i - INLINE_VIEWS)
    }

    #[cold]
    #[inline(never)]
    fn heap_slot(&mut self, j: usize) -> *mut ViewSlot {
        if self.heap.is_null() {
            let n = self.capacity.saturating_sub(INLINE_VIEWS);
            // Allocated once, at its final size: slots handed out never move.
            let block: Box<[MaybeUninit<ViewSlot>]> =
                (0..n).map(|_| MaybeUninit::uninit()).collect();
            self.heap_len = block.len();
            self.heap = Box::into_raw(block).cast();
        }
        assert!(j < self.heap_len, "more views than view parameters");
        // SAFETY: `j` is within the block.
        unsafe { self.heap.add(j) }
    }

    /// Marks the slot from the last [`CallViews::slot`] as filled, to be released with `release`
    /// (`None`: the view holds nothing that needs releasing).
    #[inline(always)]
    pub fn commit(&mut self, release: Option<Release>) {
        if let Some(release) = release {
            let slot = self.slot();
            // SAFETY: `slot` is this call's current slot; its hook and link are written here.
            unsafe {
                (*slot).release.write(release);
                (*slot).previous = self.last;
            }
            self.last = slot;
        }
        self.live += 1;
    }

    /// How many views are committed.
    #[inline(always)]
    pub fn live(&self) -> usize {
        self.live
    }
}

impl Drop for CallViews<'_> {
    #[inline(always)]
    fn drop(&mut self) {
        let mut slot = self.last;
        while !slot.is_null() {
            // SAFETY: every slot on the list was committed with a hook: hook, link and state
            // are initialised; each runs once, with the GIL the trampoline holds.
            unsafe {
                let release = (*slot).release.assume_init();
                let previous = (*slot).previous;
                release(ViewSlot::state::<c_void>(slot));
                slot = previous;
            }
        }
        if !self.heap.is_null() {
            // SAFETY: the block came from `Box::into_raw` of `heap_len` slots in `heap_slot`.
            drop(unsafe {
                Box::from_raw(core::ptr::slice_from_raw_parts_mut(
                    self.heap.cast::<MaybeUninit<ViewSlot>>(),
                    self.heap_len,
                ))
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    thread_local! {
        static RELEASED: RefCell<Vec<u32>> = const { RefCell::new(Vec::new()) };
    }

    unsafe fn note(state: *mut c_void) {
        // SAFETY: the tests below store a u32 in each state.
        let v = unsafe { *(state as *const u32) };
        RELEASED.with(|r| r.borrow_mut().push(v));
    }

    fn fill(views: &mut CallViews, n: u32, hook: bool) {
        for v in 0..n {
            let slot = views.slot();
            // SAFETY: the slot's state has room for a u32.
            unsafe { ViewSlot::state::<u32>(slot).write(v) };
            views.commit(if hook { Some(note) } else { None });
        }
    }

    #[test]
    fn views_are_released_once_in_reverse_order() {
        RELEASED.with(|r| r.borrow_mut().clear());
        let mut stack = ViewStack::new();
        let mut views = CallViews::new(&mut stack, 3);
        fill(&mut views, 3, true);
        assert_eq!(views.live(), 3);
        drop(views);
        RELEASED.with(|r| assert_eq!(*r.borrow(), [2, 1, 0]));
    }

    #[test]
    fn more_views_than_inline_slots_use_the_heap_and_keep_their_state() {
        RELEASED.with(|r| r.borrow_mut().clear());
        let n = INLINE_VIEWS as u32 + 3;
        let mut stack = ViewStack::new();
        let mut views = CallViews::new(&mut stack, n as usize);
        fill(&mut views, n, true);
        drop(views);
        let expected: Vec<u32> = (0..n).rev().collect();
        RELEASED.with(|r| assert_eq!(*r.borrow(), expected));
    }

    #[test]
    fn an_uncommitted_slot_is_not_released() {
        RELEASED.with(|r| r.borrow_mut().clear());
        let mut stack = ViewStack::new();
        let mut views = CallViews::new(&mut stack, 2);
        fill(&mut views, 1, true);
        let _unused = views.slot();
        drop(views);
        RELEASED.with(|r| assert_eq!(*r.borrow(), [0]));
    }

    #[test]
    fn views_without_a_hook_take_a_slot_and_release_nothing() {
        RELEASED.with(|r| r.borrow_mut().clear());
        let mut stack = ViewStack::new();
        let mut views = CallViews::new(&mut stack, 2);
        fill(&mut views, 2, false);
        assert_eq!(views.live(), 2);
        drop(views);
        RELEASED.with(|r| assert!(r.borrow().is_empty()));
    }

    #[test]
    #[should_panic(expected = "more views than view parameters")]
    fn taking_more_slots_than_declared_is_a_bug() {
        let mut stack = ViewStack::new();
        let mut views = CallViews::new(&mut stack, INLINE_VIEWS);
        fill(&mut views, INLINE_VIEWS as u32 + 1, false);
    }
}
