/**
 * The safetensors file format (huggingface/safetensors, docs "Format"): an 8-byte little-endian
 * header length N, N bytes of UTF-8 JSON (`{name: {dtype, shape, data_offsets: [begin, end]}}` plus
 * an optional `"__metadata__"` string map), then the raw little-endian tensor bytes. Offsets are
 * relative to the byte after the header. Encodes F32/F64/I32/U8; decodes those. Not a general
 * reader: no F16/BF16/I64 (they are rejected with a clear error).
 */

/** Element types this module reads and writes (safetensors' dtype names). */
export type SafetensorsDtype = "F32" | "F64" | "I32" | "U8";

/** A typed array of one of the supported element types. */
export type TensorData = Float32Array | Float64Array | Int32Array | Uint8Array;

/** One tensor: row-major data of `shape`, the dtype follows the array's type. */
export interface SafeTensor {
  shape: number[];
  data: TensorData;
}

/** A decoded file: tensors by name and the `__metadata__` map (empty when absent). */
export interface SafetensorsFile {
  tensors: Record<string, SafeTensor>;
  metadata: Record<string, string>;
}

const BYTES: Record<SafetensorsDtype, number> = { F32: 4, F64: 8, I32: 4, U8: 1 };
/** The largest header we accept, as the reference implementation does (100 MB). */
const MAX_HEADER = 100_000_000;

function dtypeOf(data: TensorData): SafetensorsDtype {
  if (data instanceof Float32Array) return "F32";
  if (data instanceof Float64Array) return "F64";
  if (data instanceof Int32Array) return "I32";
  if (data instanceof Uint8Array) return "U8";
  throw new TypeError(
    "Cannot encode safetensors: tensor data must be a Float32Array, Float64Array, Int32Array or " +
      `Uint8Array: current value is ${Object.prototype.toString.call(data)}`,
  );
}

function product(shape: number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * Encodes tensors (and string metadata) as a safetensors file. Tensors are laid out in name order,
 * the header is space-padded so the data starts at an 8-byte boundary. The bytes are a pure function
 * of the input.
 *
 * @example
 * ```ts
 * const bytes = encodeSafetensors({ w: { shape: [2], data: new Float32Array([1, 2]) } });
 * ```
 */
export function encodeSafetensors(
  tensors: Record<string, SafeTensor>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const names = Object.keys(tensors).sort();
  // deno-lint-ignore no-explicit-any
  const header: Record<string, any> = {};
  if (Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== "string") {
        throw new TypeError(
          `Cannot encode safetensors: metadata values must be strings: key "${k}" is ${typeof v}`,
        );
      }
    }
    header.__metadata__ = metadata;
  }
  let offset = 0;
  for (const name of names) {
    if (name === "__metadata__") {
      throw new RangeError('Cannot encode safetensors: "__metadata__" is not a valid tensor name');
    }
    const { shape, data } = tensors[name];
    const dtype = dtypeOf(data);
    if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
      throw new TypeError(
        `Cannot encode safetensors: tensor "${name}" has an invalid shape: current value is ${
          JSON.stringify(shape)
        }`,
      );
    }
    if (product(shape) !== data.length) {
      throw new RangeError(
        `Cannot encode safetensors: tensor "${name}" has shape [${shape}] (${
          product(shape)
        } elements) but ${data.length} values`,
      );
    }
    const end = offset + data.length * BYTES[dtype];
    header[name] = { dtype, shape, data_offsets: [offset, end] };
    offset = end;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil((8 + json.length) / 8) * 8 - 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  const base = 8 + json.length;
  for (const name of names) {
    const { data } = tensors[name];
    const [begin] = header[name].data_offsets as [number, number];
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    // Typed arrays use the platform's byte order, little-endian on every target Deno supports.
    out.set(bytes, base + begin);
  }
  return out;
}

function fail(name: string, detail: string): never {
  throw new TypeError(`Cannot decode safetensors file ${name}: ${detail}`);
}

/**
 * Decodes a safetensors file, validating the header length, the JSON, every dtype and shape, and that
 * the data offsets tile the data section exactly (no gaps, overlaps or bytes past the end), as the
 * reference implementation does. Errors name the file (`name`) and what is wrong.
 *
 * @example
 * ```ts
 * const bytes = encodeSafetensors({ w: { shape: [2], data: new Float32Array([1, 2]) } });
 * const { tensors } = decodeSafetensors(bytes, "w.safetensors");
 * ```
 */
export function decodeSafetensors(bytes: Uint8Array, name = "<buffer>"): SafetensorsFile {
  if (bytes.length < 8) {
    fail(name, `file is truncated: it has ${bytes.length} bytes, fewer than the 8-byte header`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER)) fail(name, `header length ${n} exceeds ${MAX_HEADER} bytes`);
  const headerLen = Number(n);
  if (8 + headerLen > bytes.length) {
    fail(
      name,
      `file is truncated: header length is ${headerLen} but only ${bytes.length - 8} bytes follow`,
    );
  }
  // deno-lint-ignore no-explicit-any
  let header: any;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(
      bytes.subarray(8, 8 + headerLen),
    ));
  } catch (e) {
    fail(name, `header is not valid UTF-8 JSON: ${(e as Error).message}`);
  }
  if (header === null || typeof header !== "object" || Array.isArray(header)) {
    fail(name, "header is not a JSON object");
  }
  const base = 8 + headerLen;
  const dataLen = bytes.length - base;
  const metadata: Record<string, string> = {};
  if (header.__metadata__ !== undefined) {
    const m = header.__metadata__;
    if (m === null || typeof m !== "object" || Array.isArray(m)) {
      fail(name, "__metadata__ is not an object");
    }
    for (const [k, v] of Object.entries(m)) {
      if (typeof v !== "string") fail(name, `__metadata__ value of "${k}" is not a string`);
      metadata[k] = v as string;
    }
  }
  const entries: {
    key: string;
    dtype: SafetensorsDtype;
    shape: number[];
    begin: number;
    end: number;
  }[] = [];
  for (const [key, info] of Object.entries(header)) {
    if (key === "__metadata__") continue;
    // deno-lint-ignore no-explicit-any
    const t = info as any;
    if (t === null || typeof t !== "object") fail(name, `entry "${key}" is not an object`);
    if (!(t.dtype in BYTES)) {
      fail(
        name,
        `tensor "${key}" has unsupported dtype: current value is ${JSON.stringify(t.dtype)}`,
      );
    }
    if (
      !Array.isArray(t.shape) ||
      t.shape.some((d: unknown) => !Number.isSafeInteger(d) || (d as number) < 0)
    ) {
      fail(
        name,
        `tensor "${key}" has an invalid shape: current value is ${JSON.stringify(t.shape)}`,
      );
    }
    const off = t.data_offsets;
    if (
      !Array.isArray(off) || off.length !== 2 || !Number.isSafeInteger(off[0]) ||
      !Number.isSafeInteger(off[1]) || off[0] < 0 || off[1] < off[0]
    ) {
      fail(
        name,
        `tensor "${key}" has invalid data_offsets: current value is ${JSON.stringify(off)}`,
      );
    }
    const dtype = t.dtype as SafetensorsDtype;
    if (off[1] - off[0] !== product(t.shape) * BYTES[dtype]) {
      fail(
        name,
        `tensor "${key}" has data_offsets [${off}] (${
          off[1] - off[0]
        } bytes) but shape [${t.shape}] ${dtype} needs ${product(t.shape) * BYTES[dtype]} bytes`,
      );
    }
    entries.push({ key, dtype, shape: t.shape, begin: off[0], end: off[1] });
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  for (const e of entries) {
    if (e.begin !== expected) {
      fail(
        name,
        `tensor "${e.key}" starts at byte ${e.begin} but the previous tensor ends at ${expected}`,
      );
    }
    expected = e.end;
  }
  if (expected > dataLen) {
    fail(
      name,
      `file is truncated: tensors need ${expected} data bytes but only ${dataLen} are present`,
    );
  }
  if (expected < dataLen) {
    fail(name, `data section has ${dataLen - expected} trailing bytes not covered by any tensor`);
  }
  const tensors: Record<string, SafeTensor> = {};
  for (const e of entries) {
    // Copy: the data section need not be aligned for the element type.
    const raw = bytes.slice(base + e.begin, base + e.end).buffer;
    const data = e.dtype === "F32"
      ? new Float32Array(raw)
      : e.dtype === "F64"
      ? new Float64Array(raw)
      : e.dtype === "I32"
      ? new Int32Array(raw)
      : new Uint8Array(raw);
    tensors[e.key] = { shape: e.shape.slice(), data };
  }
  return { tensors, metadata };
}
