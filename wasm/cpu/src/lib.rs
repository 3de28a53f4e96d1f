//! polyscore's CPU kernels: `#![no_std]` Rust compiled to WebAssembly SIMD (f32x4).
//!
//! Every exported kernel works on byte offsets into one shared `WebAssembly.Memory` and takes
//! `(tid, nt)` last and is called once per thread of a job; the threads claim chunks of the work
//! from a shared counter (`claims`), so the same call runs on the main thread alone (`0, 1`) or
//! split across workers (`wasm/cpu/backend.ts`), however late a worker starts.
//! The spec of every kernel is `engine/reference/backend.ts`; the TS side validates nothing here.
//! Not here: allocation (the TS allocator owns the heap above `__heap_base`) and threading.
#![no_std]
#![allow(clippy::missing_safety_doc, clippy::too_many_arguments)]
use core::sync::atomic::{AtomicU32, Ordering};

/// A splatted f32 constant loaded from a (never written) `static mut`. V8 materialises a
/// `v128.const` with several instructions at every use inside a loop; a `load32_splat` from memory
/// is one instruction, and LLVM cannot fold the mutable static back into a constant.
macro_rules! kv {
    ($v:expr) => {{
        static mut K: f32 = $v;
        #[allow(unused_unsafe)]
        unsafe {
            core::arch::wasm32::v128_load32_splat(core::ptr::addr_of!(K) as *const u32)
        }
    }};
}

/// The i32 version of `kv!`.
macro_rules! kvi {
    ($v:expr) => {{
        static mut K: i32 = $v;
        #[allow(unused_unsafe)]
        unsafe {
            core::arch::wasm32::v128_load32_splat(core::ptr::addr_of!(K) as *const u32)
        }
    }};
}

mod conv;
mod elementwise;
mod gemm;
mod math;
mod norm;
mod optim;
mod random;
mod reduce;

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

/// The job's shared work counter (in the control block), set once per memory by the TS side.
static mut WORK_COUNTER: *const AtomicU32 = core::ptr::null();

/// Points the kernels at the work counter that the TS side zeroes before every job.
#[no_mangle]
pub unsafe extern "C" fn set_work_counter(p: *const AtomicU32) {
    WORK_COUNTER = p;
}

/// Chunks `[start, end)` of `0..n` claimed one at a time from the job's work counter: every
/// thread of a job loops over `claims(…)` and together they cover `0..n` exactly once, however
/// late a thread starts (a descheduled worker just claims fewer chunks). About 4 chunks per
/// thread, cut at multiples of `align`.
pub(crate) struct Claims {
    n: usize,
    chunk: usize,
    ctr: &'static AtomicU32,
}

impl Iterator for Claims {
    type Item = (usize, usize);
    #[inline]
    fn next(&mut self) -> Option<(usize, usize)> {
        let s = self.ctr.fetch_add(1, Ordering::Relaxed) as usize * self.chunk;
        if s >= self.n {
            None
        } else {
            Some((s, (s + self.chunk).min(self.n)))
        }
    }
}

/// See `Claims`.
#[inline]
pub(crate) fn claims(n: usize, nt: usize, align: usize) -> Claims {
    let per = (n + 4 * nt - 1) / (4 * nt);
    let chunk = if nt == 1 {
        n.max(1)
    } else {
        ((per + align - 1) / align * align).max(align)
    };
    Claims {
        n,
        chunk,
        ctr: unsafe { &*WORK_COUNTER },
    }
}

/// Address of a stack local of the calling instance: lets the tests check that every worker
/// runs on its own stack.
#[no_mangle]
pub extern "C" fn probe_stack(out: *mut u32, tid: usize, _nt: usize) {
    let mut local = [0u32; 4];
    unsafe {
        core::ptr::write_volatile(&mut local[0], tid as u32);
        let addr = &local as *const [u32; 4] as usize as u32;
        core::ptr::write_volatile(out.add(tid), addr);
    }
}
