/**
 * Worker of the Wasm CPU backend: instantiates the kernel module over the shared memory with its own
 * stack, then loops forever: block in `Atomics.wait` on the job generation (never spin), run this
 * thread's share of the job, count itself done. Exits when the op code is −1.
 */
/// <reference lib="deno.worker" />
import {
  callKernel,
  CTL,
  CTL_LAYOUT,
  type KernelFn,
  KERNELS,
  type WorkerInit,
} from "./_cpu_protocol.ts";

self.onmessage = (e: MessageEvent<WorkerInit>) => {
  const { module, memory, ctlPtr, tid, nt, stackTop } = e.data;
  const inst = new WebAssembly.Instance(module, { env: { memory } });
  (inst.exports.__stack_pointer as WebAssembly.Global).value = stackTop;
  const fns = KERNELS.map((k) => inst.exports[k] as KernelFn);
  const ctl = new Int32Array(memory.buffer, ctlPtr, 16);
  const args = new Float64Array(memory.buffer, ctlPtr + CTL_LAYOUT.ARGS, 16);
  let seen = Atomics.load(ctl, CTL.GEN);
  self.postMessage("ready");
  for (;;) {
    Atomics.wait(ctl, CTL.GEN, seen);
    const gen = Atomics.load(ctl, CTL.GEN);
    if (gen === seen) continue;
    seen = gen;
    const op = Atomics.load(ctl, CTL.OP);
    if (op < 0) break;
    try {
      callKernel(fns[op], args, ctl[CTL.NARGS], tid, nt);
    } catch {
      Atomics.store(ctl, CTL.ERR, 1);
    }
    if (Atomics.add(ctl, CTL.DONE, 1) === nt - 2) Atomics.notify(ctl, CTL.DONE);
  }
  self.close();
};
