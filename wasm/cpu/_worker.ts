/**
 * Worker of the Wasm CPU backend: instantiates the kernel module over the shared memory with its own
 * stack, then loops: poll the job generation for `CTL.SPIN_US` microseconds, then block in
 * `Atomics.wait` on it, join the job (unless the main thread revoked it; see `CTL`), run this
 * thread's share, mark it done. Exits when QUIT is set.
 */
/// <reference lib="deno.worker" />
import {
  callKernel,
  CTL,
  CTL_LAYOUT,
  instantiateKernels,
  type KernelFn,
  KERNELS,
  spinWhile,
  type WorkerInit,
} from "./_protocol.ts";

self.onmessage = (e: MessageEvent<WorkerInit>) => {
  const { module, fmaModule, memory, ctlPtr, tid, nt, stackTop } = e.data;
  const inst = instantiateKernels(module, fmaModule, memory);
  (inst.exports.__stack_pointer as WebAssembly.Global).value = stackTop;
  const fns = KERNELS.map((k) => inst.exports[k] as KernelFn);
  const ctl = new Int32Array(memory.buffer, ctlPtr, CTL_LAYOUT.ARGS / 4);
  const args = new Float64Array(memory.buffer, ctlPtr + CTL_LAYOUT.ARGS, 16);
  let seen = Atomics.load(ctl, CTL.GEN);
  self.postMessage("ready");
  for (;;) {
    // Poll for a while first: the main thread's next op usually follows within microseconds.
    spinWhile(ctl, CTL.GEN, seen, Atomics.load(ctl, CTL.SPIN_US));
    Atomics.wait(ctl, CTL.GEN, seen);
    const gen = Atomics.load(ctl, CTL.GEN);
    if (gen === seen) continue;
    seen = gen;
    if (Atomics.load(ctl, CTL.QUIT) !== 0) break;
    // Join the newest job unless the main thread has already revoked this worker from it.
    if (Atomics.compareExchange(ctl, CTL.STATE + tid, gen - 1, gen) !== gen - 1) continue;
    try {
      callKernel(fns[ctl[CTL.OP]], args, ctl[CTL.NARGS], tid, nt);
    } catch {
      Atomics.store(ctl, CTL.ERR, 1);
    }
    Atomics.store(ctl, CTL.DONE + tid, gen);
    Atomics.notify(ctl, CTL.DONE + tid);
  }
  self.close();
};
