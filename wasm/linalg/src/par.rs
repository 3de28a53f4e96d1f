//! Sharing the O(n³) loops of eigh with worker threads over one shared memory.
//!
//! A parallel region is a loop over independent chunks. The main thread publishes it (a function
//! pointer, its arguments and the chunk count), wakes the workers, and then claims chunks from a
//! shared counter like any worker; it spins until every claimed chunk is done. A worker that is
//! late, asleep or absent claims nothing, so the main thread alone completes any region, and with
//! no worker joined the region is a plain loop. Every chunk writes only its own rows, columns or
//! buffer, so results never depend on which thread ran which chunk: eigh is bitwise identical for
//! any number of threads.
//!
//! Workers are JS `Worker`s that instantiate this module over the same memory, each with its own
//! stack, and call [`linalg_worker`], which returns only when [`linalg_stop_workers`] is called.
//! Only the main thread allocates (the allocator of Rust's std for wasm32 takes no lock).

use core::sync::atomic::{AtomicU32, AtomicU64, Ordering::SeqCst};

// `memory.atomic.wait32` / `notify` are unstable in Rust 1.63's core::arch, so the host provides
// them (`Atomics.wait` / `Atomics.notify` on the shared memory; see wasm/linalg/mod.ts).
#[link(wasm_import_module = "env")]
extern "C" {
    /// Blocks while the i32 at byte offset `ptr` equals `expected`.
    fn linalg_wait(ptr: *const AtomicU32, expected: u32);
    /// Wakes every thread blocked on the i32 at byte offset `ptr`.
    fn linalg_notify(ptr: *const AtomicU32);
}

/// Largest number of chunks in one region (16 bits of the claim word).
pub const MAX_CHUNKS: usize = 0xffff;

/// Generation of the newest region; workers sleep on it.
static GEN: AtomicU32 = AtomicU32::new(0);
/// Claim word of the current region: generation (32 bits) | front (16) | back (16); the chunks
/// front..back are unclaimed. The main thread claims from the front and workers from the back, so
/// with chunk boundaries that move little from one region to the next each thread keeps working
/// on the same rows or columns (they stay in its core's cache). A chunk may be claimed only while
/// the generation matches the one whose job the thread read, which makes a stale or half-read job
/// harmless (see [`work`]).
static CLAIM: AtomicU64 = AtomicU64::new(0);
/// Chunks of the current region finished (by any thread).
static DONE: AtomicU32 = AtomicU32::new(0);
/// Workers inside [`linalg_worker`].
static WORKERS: AtomicU32 = AtomicU32::new(0);
/// Workers blocked in `Atomics.wait` (the main thread notifies only when there are some).
static SLEEPERS: AtomicU32 = AtomicU32::new(0);
/// Set by [`linalg_stop_workers`]; cleared by [`linalg_reset_workers`] once all have left.
static QUIT: AtomicU32 = AtomicU32::new(0);
/// Set by [`linalg_worker_failed`] when a worker left [`linalg_worker`] with an exception: the
/// chunk it held is lost, so the main thread traps instead of waiting for it forever.
static FAILED: AtomicU32 = AtomicU32::new(0);
/// Test hook ([`linalg_debug_fail_worker`]): the next chunk a worker claims traps.
static FAIL_NEXT: AtomicU32 = AtomicU32::new(0);

/// Spins of an idle worker before it sleeps: a few hundred microseconds, longer than the serial
/// work between two regions of eigh (a QL batch of sweeps), shorter than anything a user notices.
const SPIN_LIMIT: u32 = 200_000;

#[derive(Clone, Copy)]
struct Job {
    body: unsafe fn(*const (), usize),
    args: *const (),
}

unsafe fn no_body(_: *const (), _: usize) {}

/// The current region's job; written by the main thread before the generation is published.
static mut JOB: Job = Job {
    body: no_body,
    args: core::ptr::null(),
};

/// Runs `body(args, c)` for every c in 0..chunks (chunks ≤ [`MAX_CHUNKS`]), shared with the
/// joined workers. `body` must be safe to run concurrently on different chunks.
pub fn for_each_chunk<A: Sync>(args: &A, chunks: usize, body: fn(&A, usize)) {
    unsafe { start(args, chunks, body) }.join();
}

/// A region started by [`start`] and not yet joined by the calling thread.
#[must_use = "a started region must be joined"]
pub struct Pending {
    job: Job,
    chunks: usize,
    /// The region's generation, or None when the calling thread runs it alone at the join.
    gen: Option<u32>,
}

/// Publishes a region for the workers to start on, and returns at once; the calling thread does
/// other work and then [`Pending::join`]s it (running the chunks still unclaimed). Only one region
/// may be pending at a time. With no worker joined, all chunks run at the join.
///
/// # Safety
/// `args` must stay valid and unchanged until the join.
pub unsafe fn start<A: Sync>(args: *const A, chunks: usize, body: fn(&A, usize)) -> Pending {
    debug_assert!(chunks <= MAX_CHUNKS);
    let job = Job {
        // Both are (i32, i32) -> () in wasm; the pointer is cast back to &A inside `body`.
        body: core::mem::transmute::<fn(&A, usize), unsafe fn(*const (), usize)>(body),
        args: args as *const (),
    };
    if chunks <= 1 || WORKERS.load(SeqCst) == 0 {
        return Pending {
            job,
            chunks,
            gen: None,
        };
    }
    JOB = job;
    DONE.store(0, SeqCst);
    let gen = GEN.load(SeqCst).wrapping_add(1);
    CLAIM.store(((gen as u64) << 32) | chunks as u64, SeqCst);
    GEN.store(gen, SeqCst);
    if SLEEPERS.load(SeqCst) > 0 {
        linalg_notify(&GEN);
    }
    Pending {
        job,
        chunks,
        gen: Some(gen),
    }
}

impl Pending {
    /// Runs the chunks no worker has claimed and waits for the others.
    pub fn join(self) {
        match self.gen {
            None => {
                for c in 0..self.chunks {
                    unsafe { (self.job.body)(self.job.args, c) };
                }
            }
            Some(gen) => {
                unsafe { work(gen, false) };
                while (DONE.load(SeqCst) as usize) < self.chunks {
                    if FAILED.load(SeqCst) != 0 {
                        core::arch::wasm32::unreachable();
                    }
                    core::hint::spin_loop();
                }
            }
        }
    }
}

/// Claims and runs chunks of region `gen` (from the back for workers, else from the front) until
/// none is left or the region is over.
///
/// The job is read before claiming: the main thread writes the next job only after every chunk
/// of this one was claimed and done, so a claim that succeeds with this generation proves the job
/// read was this region's.
unsafe fn work(gen: u32, from_back: bool) {
    let job = core::ptr::read_volatile(core::ptr::addr_of!(JOB));
    loop {
        let v = CLAIM.load(SeqCst);
        let (g, front, back) = ((v >> 32) as u32, (v >> 16) & 0xffff, v & 0xffff);
        if g != gen || front >= back {
            return;
        }
        let (next, chunk) = if from_back {
            (v - 1, back - 1)
        } else {
            (v + (1 << 16), front)
        };
        if CLAIM.compare_exchange(v, next, SeqCst, SeqCst).is_ok() {
            if from_back && FAIL_NEXT.swap(0, SeqCst) != 0 {
                core::arch::wasm32::unreachable();
            }
            (job.body)(job.args, chunk as usize);
            DONE.fetch_add(1, SeqCst);
        }
    }
}

/// Registers the calling worker; call once before [`linalg_worker`].
#[no_mangle]
pub extern "C" fn linalg_worker_join() {
    WORKERS.fetch_add(1, SeqCst);
}

/// The loop of a worker thread (after [`linalg_worker_join`]): waits for regions, spinning for a
/// while and then sleeping, and works on them; returns after [`linalg_stop_workers`].
#[no_mangle]
pub extern "C" fn linalg_worker() {
    let mut seen = GEN.load(SeqCst);
    'outer: loop {
        let mut spins = 0;
        let gen = loop {
            if QUIT.load(SeqCst) != 0 {
                break 'outer;
            }
            let g = GEN.load(SeqCst);
            if g != seen {
                break g;
            }
            spins += 1;
            if spins < SPIN_LIMIT {
                core::hint::spin_loop();
                continue;
            }
            // Announce the sleep before re-checking, so that a region published in between is
            // either seen here or followed by a notify (all operations are sequentially
            // consistent).
            SLEEPERS.fetch_add(1, SeqCst);
            if GEN.load(SeqCst) == seen && QUIT.load(SeqCst) == 0 {
                unsafe { linalg_wait(&GEN, seen) };
            }
            SLEEPERS.fetch_sub(1, SeqCst);
            spins = 0;
        };
        seen = gen;
        unsafe { work(gen, true) };
    }
    WORKERS.fetch_sub(1, SeqCst);
}

/// Asks every worker to leave [`linalg_worker`] (they return to JS, which then closes them).
#[no_mangle]
pub extern "C" fn linalg_stop_workers() {
    QUIT.store(1, SeqCst);
    GEN.fetch_add(1, SeqCst);
    unsafe { linalg_notify(&GEN) };
}

/// Workers still inside [`linalg_worker`] (or joined and about to enter it).
#[no_mangle]
pub extern "C" fn linalg_worker_count() -> u32 {
    WORKERS.load(SeqCst)
}

/// Clears the stop request (and a failure) once [`linalg_worker_count`] is 0, so that new workers
/// can join.
#[no_mangle]
pub extern "C" fn linalg_reset_workers() {
    QUIT.store(0, SeqCst);
    FAILED.store(0, SeqCst);
    FAIL_NEXT.store(0, SeqCst);
}

/// Called by a worker whose [`linalg_worker`] ended in an exception (a trap): leaves the pool and
/// makes the main thread trap at its next wait rather than wait for the lost chunk.
#[no_mangle]
pub extern "C" fn linalg_worker_failed() {
    WORKERS.fetch_sub(1, SeqCst);
    FAILED.store(1, SeqCst);
}

/// Whether a worker has failed since the pool started (see [`linalg_worker_failed`]).
#[no_mangle]
pub extern "C" fn linalg_workers_failed() -> u32 {
    FAILED.load(SeqCst)
}

/// Test hook: the next chunk a worker claims traps (to exercise [`linalg_worker_failed`]).
#[no_mangle]
pub extern "C" fn linalg_debug_fail_worker() {
    FAIL_NEXT.store(1, SeqCst);
}
