/**
 * Uniform schemas: the single source of truth for each kernel's `struct Params`.
 *
 * A schema lists field names and WGSL types in order; `uniformLayout` computes byte offsets with the
 * WGSL alignment rules (scalars 4, vec2 8, vec4 16; struct size rounded up to its largest alignment,
 * per the W3C `#alignof` table) and `packUniforms` writes values through typed-array views.
 * A GPU-free test (uniforms_test.ts) checks each .wgsl struct against its schema.
 */

/** WGSL types a uniform field may have. */
export type UniformType = "f32" | "u32" | "i32" | "vec4<u32>" | "vec4<f32>";

/** One field of a uniform struct. */
export interface UniformField {
  readonly name: string;
  readonly type: UniformType;
}

/** Ordered fields of a `struct Params`. */
export type UniformSchema = readonly UniformField[];

/** Byte layout of a schema. */
export interface UniformLayout {
  readonly schema: UniformSchema;
  /** Byte offset of each field, by name. */
  readonly offsets: ReadonlyMap<string, number>;
  /** Struct size in bytes (rounded up to the largest alignment). */
  readonly size: number;
}

const SIZE: Record<UniformType, number> = {
  "f32": 4,
  "u32": 4,
  "i32": 4,
  "vec4<u32>": 16,
  "vec4<f32>": 16,
};

/** Computes the WGSL byte layout of `schema`. */
export function uniformLayout(schema: UniformSchema): UniformLayout {
  const offsets = new Map<string, number>();
  let offset = 0;
  let maxAlign = 4;
  for (const f of schema) {
    const align = SIZE[f.type]; // size == alignment for every supported type
    offset = Math.ceil(offset / align) * align;
    offsets.set(f.name, offset);
    offset += SIZE[f.type];
    maxAlign = Math.max(maxAlign, align);
  }
  const size = Math.max(maxAlign, Math.ceil(offset / maxAlign) * maxAlign);
  return { schema, offsets, size };
}

/** Values for a schema: a number per scalar, up to 4 numbers per vec4 (missing entries are 0). */
export type UniformValues = Record<string, number | readonly number[]>;

/**
 * Writes `values` into `bytes` at `base` (a multiple of 4) following `layout`. Every schema field
 * must be present; unknown names are a caller bug.
 */
export function packUniforms(
  layout: UniformLayout,
  values: UniformValues,
  bytes: ArrayBuffer,
  base: number,
): void {
  const f32 = new Float32Array(bytes, base, layout.size / 4);
  const u32 = new Uint32Array(bytes, base, layout.size / 4);
  const i32 = new Int32Array(bytes, base, layout.size / 4);
  for (const f of layout.schema) {
    const v = values[f.name];
    if (v === undefined) {
      throw new TypeError(`Cannot pack uniforms: field "${f.name}" is missing`);
    }
    const at = layout.offsets.get(f.name)! / 4;
    const arr = typeof v === "number" ? [v] : v;
    const count = f.type.startsWith("vec4") ? 4 : 1;
    if (arr.length > count) {
      throw new RangeError(
        `Cannot pack uniforms: field "${f.name}" holds ${count} values: current length is ${arr.length}`,
      );
    }
    for (let i = 0; i < count; i++) {
      const x = i < arr.length ? arr[i] : 0;
      if (f.type === "f32" || f.type === "vec4<f32>") f32[at + i] = x;
      else if (f.type === "i32") i32[at + i] = x;
      else u32[at + i] = x >>> 0;
    }
  }
  for (const name of Object.keys(values)) {
    if (!layout.offsets.has(name)) {
      throw new TypeError(`Cannot pack uniforms: unknown field "${name}"`);
    }
  }
}

/**
 * Extracts the fields of `struct <structName>` from WGSL source, as [name, type] in order. Used by
 * the schema test; understands one field per `name: type,` entry.
 */
export function parseWgslStruct(source: string, structName = "Params"): UniformField[] {
  const m = new RegExp(`struct\\s+${structName}\\s*\\{([^}]*)\\}`).exec(source);
  if (m === null) {
    throw new TypeError(`Cannot parse WGSL: struct ${structName} not found`);
  }
  const body = m[1].replace(/\/\/[^\n]*/g, "");
  return body.split(",").map((s) => s.trim()).filter((s) => s.length > 0).map((s) => {
    const [name, type] = s.split(":").map((t) => t.trim());
    return { name, type: type as UniformType };
  });
}
