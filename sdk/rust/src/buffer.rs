//! sdk/rust/src/buffer.rs: buffer parameters and array results for Rust plugins (docs/buffers.md).
//!
//! Parameters: `&[T]` (read-only, C-contiguous, 1-D; `T` an integer, float or bool type other than
//! `u8`, because `&[u8]` is a `bytes` argument), `&mut [T]` (writable, any `T` including `u8`),
//! [`View`] and [`ViewMut`] (`NDIM` dimensions, any strides) and [`ByteView`] (any C-contiguous
//! bytes-like object). They borrow the caller's memory for the call only (the lifetime says so),
//! also in a `#[release_gil]` function. Results: [`Array`], a new array the function fills in.

use core::marker::PhantomData;

use crate::abi::*;
use crate::registry::*;
use crate::{sys, FromArg, IntoResult, PyErr, PyObject};

/// An element type a buffer or array can have.
///
/// # Safety
/// `CODE` is the registry code of a type with exactly this size and representation.
pub unsafe trait Element: Copy + 'static {
    /// `PYZ3_T_*` code of the element.
    const CODE: u8;
}

macro_rules! element {
    ($($t:ty => $code:ident),* $(,)?) => {$(
        // SAFETY: the registry code names this exact width and representation.
        unsafe impl Element for $t { const CODE: u8 = $code; }
    )*};
}

element! {
    i8 => PYZ3_T_I8, i16 => PYZ3_T_I16, i32 => PYZ3_T_I32, i64 => PYZ3_T_I64,
    u8 => PYZ3_T_U8, u16 => PYZ3_T_U16, u32 => PYZ3_T_U32, u64 => PYZ3_T_U64,
    f32 => PYZ3_T_F32, f64 => PYZ3_T_F64, bool => PYZ3_T_BOOL,
}

/// The view the loader passed.
///
/// # Safety
/// `v` holds a `buf` member valid while `v` is.
unsafe fn buffer(v: &pyz3_value) -> &pyz3_buffer {
    // SAFETY: per the contract.
    unsafe { &*v.buf }
}

macro_rules! contiguous_slice {
    ($($t:ty),* $(,)?) => {$(
        // SAFETY: reads `buf`: a C-contiguous, aligned 1-D view of `len` elements of this type.
        unsafe impl<'a> FromArg<'a> for &'a [$t] {
            const TYPE: u8 = PYZ3_T_BUFFER;
            const ELEM: u8 = <$t as Element>::CODE;
            const TYPE_FLAGS: u8 = PYZ3_BUF_CONTIGUOUS;
            const NDIM: u8 = 1;
            unsafe fn from_value(
        v: &'a pyz3_value,
        _none: bool,
        _: &mut crate::rt::Guards,
    ) -> Result<Self, PyErr> {
        Ok({
                // SAFETY: the loader checked element type, contiguity and alignment; the data
                // pointer is never NULL.
                unsafe {
                    let b = buffer(v);
                    core::slice::from_raw_parts(b.data as *const $t, b.len)
                }
            })
    }
        }
    )*};
}

contiguous_slice!(i8, i16, i32, i64, u16, u32, u64, f32, f64, bool);

// SAFETY: reads `buf`: a writable, C-contiguous, aligned 1-D view, borrowed exclusively for the
// call (no other argument of the call aliases it mutably through pyz3).
unsafe impl<'a, T: Element> FromArg<'a> for &'a mut [T] {
    const TYPE: u8 = PYZ3_T_BUFFER;
    const ELEM: u8 = T::CODE;
    const TYPE_FLAGS: u8 = PYZ3_BUF_CONTIGUOUS | PYZ3_BUF_WRITABLE;
    const NDIM: u8 = 1;
    unsafe fn from_value(
        v: &'a pyz3_value,
        _none: bool,
        _: &mut crate::rt::Guards,
    ) -> Result<Self, PyErr> {
        Ok({
            // SAFETY: as above, and the object is writable.
            unsafe {
                let b = buffer(v);
                core::slice::from_raw_parts_mut(b.data as *mut T, b.len)
            }
        })
    }
}

/// Any C-contiguous bytes-like object seen as its bytes (`bytes`, `bytearray`, `memoryview`,
/// `array.array`, numpy arrays of any element type), read-only, valid for the call.
#[derive(Clone, Copy, Debug)]
pub struct ByteView<'a>(pub &'a [u8]);

impl core::ops::Deref for ByteView<'_> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.0
    }
}

// SAFETY: reads `buf` of a PYZ3_T_BYTES view: C-contiguous, `len` bytes.
unsafe impl<'a> FromArg<'a> for ByteView<'a> {
    const TYPE: u8 = PYZ3_T_BUFFER;
    const ELEM: u8 = PYZ3_T_BYTES;
    unsafe fn from_value(
        v: &'a pyz3_value,
        _none: bool,
        _: &mut crate::rt::Guards,
    ) -> Result<Self, PyErr> {
        Ok({
            // SAFETY: per the trait contract.
            unsafe {
                let b = buffer(v);
                ByteView(core::slice::from_raw_parts(b.data as *const u8, b.len))
            }
        })
    }
}

/// A read-only `NDIM`-dimensional buffer of `T` with any strides (`a[::2]`, `m.T`, Fortran
/// order), valid for the call: `x.at([i])`, `m.at([i, j])`.
#[derive(Clone, Copy, Debug)]
pub struct View<'a, T: Element, const NDIM: usize = 1> {
    data: *const u8,
    shape: [usize; NDIM],
    strides: [isize; NDIM],
    contiguous: bool,
    _borrow: PhantomData<&'a [T]>,
}

/// A writable `NDIM`-dimensional buffer of `T` with any strides, valid for the call.
#[derive(Debug)]
pub struct ViewMut<'a, T: Element, const NDIM: usize = 1> {
    data: *mut u8,
    shape: [usize; NDIM],
    strides: [isize; NDIM],
    contiguous: bool,
    _borrow: PhantomData<&'a mut [T]>,
}

// SAFETY: a View is a shared borrow of `T`s, like `&[T]`.
unsafe impl<T: Element + Sync, const N: usize> Send for View<'_, T, N> {}
// SAFETY: as above.
unsafe impl<T: Element + Sync, const N: usize> Sync for View<'_, T, N> {}
// SAFETY: a ViewMut is an exclusive borrow of `T`s, like `&mut [T]`.
unsafe impl<T: Element + Send, const N: usize> Send for ViewMut<'_, T, N> {}

/// Shape and strides of a view, checked against `N` (the loader already did).
fn dims<const N: usize>(b: &pyz3_buffer) -> ([usize; N], [isize; N]) {
    let mut shape = [0usize; N];
    let mut strides = [0isize; N];
    for d in 0..N.min(b.ndim as usize) {
        // SAFETY: `shape` and `strides` hold `ndim` entries.
        unsafe {
            shape[d] = *b.shape.add(d);
            strides[d] = *b.strides.add(d);
        }
    }
    (shape, strides)
}

macro_rules! view_common {
    ($name:ident) => {
        impl<T: Element, const N: usize> $name<'_, T, N> {
            /// Number of elements.
            pub fn len(&self) -> usize {
                self.shape.iter().product()
            }
            /// Whether there are no elements.
            pub fn is_empty(&self) -> bool {
                self.len() == 0
            }
            /// The extent of each dimension.
            pub fn shape(&self) -> [usize; N] {
                self.shape
            }
            /// The step between elements of each dimension, in bytes.
            pub fn strides(&self) -> [isize; N] {
                self.strides
            }
            fn offset(&self, index: [usize; N]) -> isize {
                let mut off = 0isize;
                for d in 0..N {
                    assert!(index[d] < self.shape[d], "index out of bounds");
                    off += index[d] as isize * self.strides[d];
                }
                off
            }
            /// The element at `index` (panics when out of bounds).
            pub fn at(&self, index: [usize; N]) -> T {
                // SAFETY: the index is in bounds, so the address is an aligned element.
                unsafe { *(self.data.offset(self.offset(index)) as *const T) }
            }
            /// The elements as a slice, when they are C-contiguous.
            pub fn as_slice(&self) -> Option<&[T]> {
                // SAFETY: contiguous and aligned, `len` elements.
                self.contiguous.then(|| unsafe {
                    core::slice::from_raw_parts(self.data as *const T, self.len())
                })
            }
        }
    };
}

view_common!(View);
view_common!(ViewMut);

impl<'a, T: Element, const N: usize> ViewMut<'a, T, N> {
    /// Sets the element at `index` (panics when out of bounds).
    pub fn set(&mut self, index: [usize; N], value: T) {
        let off = self.offset(index);
        // SAFETY: the index is in bounds; the view is writable and exclusively borrowed.
        unsafe { *(self.data.offset(off) as *mut T) = value }
    }
    /// The elements as a mutable slice, when they are C-contiguous.
    pub fn as_mut_slice(&mut self) -> Option<&mut [T]> {
        let len = self.len();
        // SAFETY: contiguous, aligned and writable, `len` elements, borrowed exclusively.
        self.contiguous
            .then(|| unsafe { core::slice::from_raw_parts_mut(self.data as *mut T, len) })
    }
}

impl<'a, T: Element> ViewMut<'a, T, 1> {
    /// Splits a 1-D view into `[0, mid)` and `[mid, len)`, which can be written from different
    /// threads (`std::thread::scope`). Panics when `mid > len`.
    pub fn split_at(self, mid: usize) -> (ViewMut<'a, T, 1>, ViewMut<'a, T, 1>) {
        assert!(mid <= self.shape[0], "split point out of bounds");
        let tail = ViewMut {
            // SAFETY: `mid` elements along the only dimension stay within the buffer.
            data: unsafe { self.data.offset(mid as isize * self.strides[0]) },
            shape: [self.shape[0] - mid],
            strides: self.strides,
            contiguous: self.contiguous,
            _borrow: PhantomData,
        };
        let head = ViewMut {
            shape: [mid],
            ..self
        };
        (head, tail)
    }
}

// SAFETY: reads `buf` of a view with `N` dimensions (N > 0) of `T`, any strides.
unsafe impl<'a, T: Element, const N: usize> FromArg<'a> for View<'a, T, N> {
    const TYPE: u8 = PYZ3_T_BUFFER;
    const ELEM: u8 = T::CODE;
    const NDIM: u8 = {
        assert!(N > 0 && N <= 64, "a pyz3 View has 1 to 64 dimensions");
        N as u8
    };
    unsafe fn from_value(
        v: &'a pyz3_value,
        _none: bool,
        _: &mut crate::rt::Guards,
    ) -> Result<Self, PyErr> {
        Ok({
            // SAFETY: per the trait contract.
            let b = unsafe { buffer(v) };
            let (shape, strides) = dims::<N>(b);
            View {
                data: b.data as *const u8,
                shape,
                strides,
                contiguous: b.contiguous,
                _borrow: PhantomData,
            }
        })
    }
}

// SAFETY: reads `buf` of a writable view with `N` dimensions of `T`, any strides.
unsafe impl<'a, T: Element, const N: usize> FromArg<'a> for ViewMut<'a, T, N> {
    const TYPE: u8 = PYZ3_T_BUFFER;
    const ELEM: u8 = T::CODE;
    const TYPE_FLAGS: u8 = PYZ3_BUF_WRITABLE;
    const NDIM: u8 = {
        assert!(N > 0 && N <= 64, "a pyz3 ViewMut has 1 to 64 dimensions");
        N as u8
    };
    unsafe fn from_value(
        v: &'a pyz3_value,
        _none: bool,
        _: &mut crate::rt::Guards,
    ) -> Result<Self, PyErr> {
        Ok({
            // SAFETY: per the trait contract.
            let b = unsafe { buffer(v) };
            let (shape, strides) = dims::<N>(b);
            ViewMut {
                data: b.data as *mut u8,
                shape,
                strides,
                contiguous: b.contiguous,
                _borrow: PhantomData,
            }
        })
    }
}

/// A new C-contiguous array of `NDIM` dimensions and elements of type `T`, made by libpyz3 for
/// the function to fill and return (`pyz3.Array` in Python; no copy after the function writes).
/// Dropped without being returned, it is freed.
pub struct Array<T: Element, const NDIM: usize = 1> {
    obj: *mut PyObject,
    data: *mut T,
    len: usize,
    shape: [usize; NDIM],
}

impl<T: Element, const N: usize> Array<T, N> {
    /// A new array of `shape`, its elements uninitialised until written (like `numpy.empty`,
    /// but zeroed here so Rust never reads uninitialised memory). Callable with or without the
    /// GIL. On failure the Python exception is set (`PyErr::already_set`).
    pub fn new(shape: [usize; N]) -> Result<Self, PyErr> {
        let mut obj = core::ptr::null_mut();
        // SAFETY: `shape` holds N extents; libpyz3 writes a new reference to `obj`.
        let b = unsafe { sys::pyz3_array_new(T::CODE, N, shape.as_ptr(), &mut obj) };
        if b.is_null() {
            return Err(PyErr::already_set());
        }
        // SAFETY: the description lives inside the new array.
        let (data, len) = unsafe { ((*b).data as *mut T, (*b).len) };
        // SAFETY: the block holds `len` elements; zero is a valid value of every Element.
        unsafe { core::ptr::write_bytes(data, 0, len) };
        Ok(Array {
            obj,
            data,
            len,
            shape,
        })
    }

    /// The elements, row-major.
    pub fn as_mut_slice(&mut self) -> &mut [T] {
        // SAFETY: the array owns `len` initialised elements.
        unsafe { core::slice::from_raw_parts_mut(self.data, self.len) }
    }

    /// The extent of each dimension.
    pub fn shape(&self) -> [usize; N] {
        self.shape
    }
}

impl<T: Element, const N: usize> Drop for Array<T, N> {
    fn drop(&mut self) {
        let _gil = crate::Gil::acquire();
        // SAFETY: the array's reference, released with the GIL held.
        unsafe { sys::pyz3_decref(self.obj) }
    }
}

impl<T: Element, const N: usize> IntoResult for Array<T, N> {
    const TYPE: u8 = PYZ3_T_ARRAY;
    const RET_ELEM: u8 = T::CODE;
    const RET_NDIM: u8 = {
        assert!(N > 0 && N <= 64, "a pyz3 Array has 1 to 64 dimensions");
        N as u8
    };
    unsafe fn write(self, out: *mut pyz3_value, _call: *const pyz3_call) -> i32 {
        // SAFETY: `out` is the function's result slot (the trait's contract).
        unsafe { (*out).obj = self.obj };
        core::mem::forget(self);
        PYZ3_OK
    }
}
