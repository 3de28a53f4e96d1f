//! polyscore's CPU kernels: `#![no_std]` Rust compiled to WebAssembly SIMD (f32x4).
//!
//! Every exported kernel works on byte offsets into one shared `WebAssembly.Memory` and takes
//! `(tid, nt)` last and is called once per thread of a job; the threads claim chunks of the work
//! from a shared counter (`claims`), so the same call runs on the main thread alone (`0, 1`) or
//! split across workers (`wasm/cpu/backend.ts`), however late a worker starts. Which thread runs
//! which chunk depends on timing, so no result may depend on it.
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

/// Test hook (`set_claim_schedule`): 0 = chunks go to whichever thread asks first; any other
/// value = chunk c of every job goes to thread `owner(seed, c, nt)`, which waits its turn.
static CLAIM_SCHEDULE: AtomicU32 = AtomicU32::new(0);

/// Turns the test schedule of `claim` on (a nonzero seed) or off (0). The TS side then keeps every
/// worker in every job (none is revoked), or a thread would wait forever for its turn.
#[no_mangle]
pub extern "C" fn set_claim_schedule(seed: u32) {
    CLAIM_SCHEDULE.store(seed, Ordering::SeqCst);
}

/// The thread that chunk `c` goes to under the test schedule `seed` (lowbias32 of seed and c).
fn owner(seed: u32, c: u32, nt: usize) -> usize {
    let mut x = seed ^ c.wrapping_mul(0x9e37_79b9);
    x ^= x >> 16;
    x = x.wrapping_mul(0x7feb_352d);
    x ^= x >> 15;
    x = x.wrapping_mul(0x846c_a68b);
    x ^= x >> 16;
    x as usize % nt
}

/// Claims the next of `count` chunks from the job's counter `ctr` for thread `tid` of `nt`: the
/// first thread to ask gets it, so which thread runs which chunk depends on timing (a descheduled
/// worker just claims fewer). Kernels therefore never let a result depend on the claiming thread:
/// every chunk writes its own outputs (or its own partial, combined in chunk order).
#[inline]
pub(crate) fn claim(ctr: &AtomicU32, count: usize, tid: usize, nt: usize) -> Option<usize> {
    let seed = CLAIM_SCHEDULE.load(Ordering::Relaxed);
    if seed == 0 || nt == 1 {
        let c = ctr.fetch_add(1, Ordering::Relaxed) as usize;
        return if c < count { Some(c) } else { None };
    }
    loop {
        let c = ctr.load(Ordering::Acquire);
        if c as usize >= count {
            return None;
        }
        if owner(seed, c, nt) == tid {
            ctr.store(c + 1, Ordering::Release);
            return Some(c as usize);
        }
        core::hint::spin_loop();
    }
}

/// Chunks `[start, end)` of `0..n` of `chunk` elements each, claimed one at a time (`claim`) from
/// the job's work counter: every thread of a job loops over them and together they cover `0..n`
/// exactly once, however late a thread starts.
pub(crate) struct Claims {
    n: usize,
    chunk: usize,
    count: usize,
    tid: usize,
    nt: usize,
    ctr: &'static AtomicU32,
}

impl Iterator for Claims {
    type Item = (usize, usize);
    #[inline]
    fn next(&mut self) -> Option<(usize, usize)> {
        let s = claim(self.ctr, self.count, self.tid, self.nt)? * self.chunk;
        Some((s, (s + self.chunk).min(self.n)))
    }
}

/// `Claims` of `chunk` elements (> 0) each: chunk c is `[c·chunk, (c+1)·chunk)`, whatever `nt`.
#[inline]
pub(crate) fn claims_of(n: usize, chunk: usize, tid: usize, nt: usize) -> Claims {
    Claims {
        n,
        chunk,
        count: (n + chunk - 1) / chunk,
        tid,
        nt,
        ctr: unsafe { &*WORK_COUNTER },
    }
}

/// `Claims` of about 4 chunks per thread, cut at multiples of `align` (one chunk when `nt` = 1).
#[inline]
pub(crate) fn claims(n: usize, tid: usize, nt: usize, align: usize) -> Claims {
    let per = (n + 4 * nt - 1) / (4 * nt);
    let chunk = if nt == 1 {
        n.max(1)
    } else {
        ((per + align - 1) / align * align).max(align)
    };
    claims_of(n, chunk, tid, nt)
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
