//! polyscore's CPU kernels: `#![no_std]` Rust compiled to WebAssembly SIMD (f32x4).
//!
//! Every exported kernel works on byte offsets into one shared `WebAssembly.Memory` and takes
//! `(tid, nt)` last: it computes thread `tid`'s share of the work out of `nt` threads, so the same
//! call runs on the main thread alone (`0, 1`) or split across workers (`wasm/cpu_backend.ts`).
//! The spec of every kernel is `engine/reference/backend.ts`; the TS side validates nothing here.
//! Not here: allocation (the TS allocator owns the heap above `__heap_base`) and threading.
#![no_std]
#![allow(clippy::missing_safety_doc, clippy::too_many_arguments)]

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

/// The half-open range `[start, end)` of `n` items owned by thread `tid` of `nt`, cut at
/// multiples of `align` so vector loops stay aligned.
#[inline]
pub(crate) fn share(n: usize, tid: usize, nt: usize, align: usize) -> (usize, usize) {
    let units = (n + align - 1) / align;
    let s = units * tid / nt * align;
    let e = units * (tid + 1) / nt * align;
    (s.min(n), e.min(n))
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
