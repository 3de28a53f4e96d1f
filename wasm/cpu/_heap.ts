/**
 * The heap of the Wasm CPU backend: regions of the shared `WebAssembly.Memory` above the module's
 * `__heap_base`, handed out by size class (four classes per power of two, 64-byte aligned) from free
 * lists, with a bump pointer behind them. Grows the memory when needed and refreshes the main
 * thread's views. Memory is never returned to the system, only to the free lists.
 */

const PAGE = 65536;
/** Largest memory the module declares (4 GiB). */
export const MAX_PAGES = 65536;
const MIN_CLASS = 256;

/** Bytes actually reserved for a request of `bytes`: 256, then 4 classes per octave. */
export function sizeClass(bytes: number): number {
  if (bytes <= MIN_CLASS) return MIN_CLASS;
  const p = 2 ** Math.floor(Math.log2(bytes));
  if (p === bytes) return p;
  const q = p / 4;
  return Math.ceil(bytes / q) * q;
}

/** Size-class allocator over a shared wasm memory. */
export class WasmHeap {
  readonly memory: WebAssembly.Memory;
  #top: number;
  #free = new Map<number, number[]>();
  /** f32 view of the whole memory (refreshed after every growth). */
  f32: Float32Array;
  /** Bytes of live allocations (by class size). */
  bytesInUse = 0;
  /** Bytes ever taken from the bump pointer. */
  bytesReserved = 0;

  constructor(memory: WebAssembly.Memory, heapBase: number) {
    this.memory = memory;
    this.#top = Math.ceil(heapBase / 64) * 64;
    this.f32 = new Float32Array(memory.buffer);
  }

  /** Current size of the memory in bytes. */
  get memoryBytes(): number {
    return this.f32.length * 4;
  }

  /** Reserves a region of at least `bytes`; returns its byte offset and class size. */
  alloc(bytes: number): { ptr: number; cls: number } {
    const cls = sizeClass(bytes);
    const list = this.#free.get(cls);
    this.bytesInUse += cls;
    if (list && list.length > 0) return { ptr: list.pop()!, cls };
    const ptr = this.#top;
    const end = ptr + cls;
    if (end > this.memoryBytes) this.#grow(end);
    this.#top = end;
    this.bytesReserved += cls;
    return { ptr, cls };
  }

  /** Returns a region to its free list. */
  release(ptr: number, cls: number): void {
    let list = this.#free.get(cls);
    if (!list) this.#free.set(cls, list = []);
    list.push(ptr);
    this.bytesInUse -= cls;
  }

  #grow(end: number): void {
    const have = this.memoryBytes / PAGE;
    const need = Math.ceil(end / PAGE) - have;
    // Grow by at least an eighth of the current size so repeated growth stays rare.
    const pages = Math.min(Math.max(need, Math.ceil(have / 8), 256), MAX_PAGES - have);
    if (pages < need) {
      throw new RangeError(
        `Cannot allocate ${
          end - this.#top
        } bytes on the wasm heap: it would exceed 4 GiB: current size is ${this.memoryBytes} bytes`,
      );
    }
    this.memory.grow(pages);
    this.f32 = new Float32Array(this.memory.buffer);
  }
}
