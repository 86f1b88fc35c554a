// safetensors read/write, streamed one tensor at a time (F32/F16/BF16 in → Float32Array; F32/BF16 out).
// Format: 8-byte LE header length, JSON header {name: {dtype, shape, data_offsets}, __metadata__}, data.
import { writeAtomicWith } from "../data/atomic_write.ts";

/** Dtypes this reader converts to float32. */
export type ReadDtype = "F32" | "F16" | "BF16";
/** Dtypes this writer encodes. */
export type WriteDtype = "F32" | "BF16";

/** One tensor's header entry; offsets are absolute byte positions in the file. */
export interface TensorInfo {
  dtype: ReadDtype;
  shape: number[];
  /** absolute [begin, end) byte range in the file */
  byteRange: [number, number];
}

/** An open safetensors file: its header and a reader for one tensor at a time. */
export interface SafetensorsFile {
  path: string;
  tensors: Map<string, TensorInfo>;
  metadata: Record<string, string>;
  /** Read one tensor from disk and convert it to float32. */
  read(name: string): Promise<{ shape: number[]; data: Float32Array }>;
  close(): void;
}

/** HF's own reader refuses headers above 100 MB. */
const MAX_HEADER_BYTES = 100_000_000;
const BYTES: Record<ReadDtype, number> = { F32: 4, F16: 2, BF16: 2 };
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

async function readExactly(
  file: Deno.FsFile,
  at: number,
  n: number,
  what: string,
  into: Uint8Array = new Uint8Array(n),
): Promise<Uint8Array> {
  const out = into.subarray(0, n);
  await file.seek(at, Deno.SeekMode.Start);
  let got = 0;
  while (got < n) {
    const r = await file.read(out.subarray(got));
    if (r === null) {
      throw new Error(`${what}: truncated file (wanted ${n} bytes at ${at}, got ${got})`);
    }
    got += r;
  }
  return out;
}

function numel(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Parse and validate a safetensors header (exported for tests on corrupt headers).
 * `fileSize` bounds the data offsets; errors name `path` and the tensor.
 */
export function parseHeader(
  path: string,
  headerJson: Uint8Array,
  fileSize: number,
): { tensors: Map<string, TensorInfo>; metadata: Record<string, string> } {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder().decode(headerJson));
  } catch (e) {
    throw new Error(`${path}: header is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new Error(`${path}: header must be a JSON object`);
  }
  const dataStart = 8 + headerJson.length;
  const tensors = new Map<string, TensorInfo>();
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(raw as Record<string, unknown>)) {
    if (name === "__metadata__") {
      metadata = (entry ?? {}) as Record<string, string>;
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (e.dtype !== "F32" && e.dtype !== "F16" && e.dtype !== "BF16") {
      throw new Error(
        `${path}: tensor "${name}": unknown or unsupported dtype ${JSON.stringify(e.dtype)} ` +
          `(expected F32, F16 or BF16)`,
      );
    }
    const shape = e.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new Error(`${path}: tensor "${name}": shape must be an array of non-negative integers`);
    }
    const off = e.data_offsets;
    if (
      !Array.isArray(off) || off.length !== 2 || !off.every((o) => Number.isInteger(o) && o >= 0) ||
      off[1] < off[0]
    ) {
      throw new Error(
        `${path}: tensor "${name}": data_offsets must be [begin, end] with begin <= end`,
      );
    }
    const [begin, end] = [dataStart + off[0], dataStart + off[1]];
    if (end > fileSize) {
      throw new Error(
        `${path}: tensor "${name}": data_offsets [${off[0]}, ${off[1]}] out of range ` +
          `(data section holds ${fileSize - dataStart} bytes; truncated file?)`,
      );
    }
    const want = numel(shape) * BYTES[e.dtype];
    if (end - begin !== want) {
      throw new Error(
        `${path}: tensor "${name}": data_offsets span ${end - begin} bytes, ` +
          `expected ${want} for ${e.dtype}[${shape.join(",")}]`,
      );
    }
    tensors.set(name, { dtype: e.dtype, shape: shape as number[], byteRange: [begin, end] });
  }
  return { tensors, metadata };
}

/**
 * Open a safetensors file and read its header; tensors are read lazily with `read(name)`.
 *
 * @example
 * ```ts
 * const f = await openSafetensors("tests/fixtures/model/tiny_qwen2/model.safetensors");
 * const { shape, data } = await f.read("model.norm.weight"); // [16], Float32Array(16)
 * f.close();
 * if (shape[0] !== 16 || data.length !== 16) throw new Error(`${shape}`);
 * ```
 */
export async function openSafetensors(path: string): Promise<SafetensorsFile> {
  const file = await Deno.open(path, { read: true });
  try {
    const size = (await file.stat()).size;
    if (size < 8) {
      throw new Error(`${path}: truncated file (${size} bytes; need an 8-byte header length)`);
    }
    const lenBytes = await readExactly(file, 0, 8, path);
    const headerLen = new DataView(lenBytes.buffer).getBigUint64(0, true);
    if (headerLen > BigInt(MAX_HEADER_BYTES)) {
      throw new Error(`${path}: header too large (${headerLen} bytes > ${MAX_HEADER_BYTES})`);
    }
    const n = Number(headerLen);
    if (8 + n > size) {
      throw new Error(`${path}: truncated file (header claims ${n} bytes, file has ${size - 8})`);
    }
    const { tensors, metadata } = parseHeader(path, await readExactly(file, 8, n, path), size);
    return {
      path,
      tensors,
      metadata,
      read: async (name) => {
        const info = tensors.get(name);
        if (!info) throw new Error(`${path}: no tensor named "${name}"`);
        return {
          shape: info.shape,
          data: await readTensor(file, info, `${path}: tensor "${name}"`),
        };
      },
      close: () => file.close(),
    };
  } catch (e) {
    file.close();
    throw e;
  }
}

/**
 * Read one tensor as float32 with a single allocation of its float32 size: 16-bit data is read into
 * the upper half of the output buffer and widened in place, front to back (output element i,
 * bytes [4i, 4i+4), never overwrites input elements j > i, at bytes 2n + 2j).
 */
async function readTensor(
  file: Deno.FsFile,
  info: TensorInfo,
  what: string,
): Promise<Float32Array> {
  const [begin, end] = info.byteRange;
  const n = (end - begin) / BYTES[info.dtype];
  const out = new Float32Array(n);
  const raw = new Uint8Array(out.buffer, 4 * n - (end - begin)); // the last (end - begin) bytes
  await readExactly(file, begin, end - begin, what, raw);
  if (info.dtype === "F32") {
    if (!LITTLE_ENDIAN) out.set(decodeFloats(raw.slice(), "F32"));
    return out;
  }
  const dv = new DataView(out.buffer);
  const bits = new Uint32Array(out.buffer);
  const at = 2 * n; // byte offset of the 16-bit input
  if (info.dtype === "BF16") {
    for (let i = 0; i < n; i++) bits[i] = dv.getUint16(at + 2 * i, true) << 16;
  } else {
    for (let i = 0; i < n; i++) out[i] = halfToFloat(dv.getUint16(at + 2 * i, true));
  }
  return out;
}

/** Convert raw little-endian bytes of `dtype` to float32. `bytes` must start at offset 0 of its buffer. */
export function decodeFloats(bytes: Uint8Array, dtype: ReadDtype): Float32Array {
  const n = bytes.length / BYTES[dtype];
  if (dtype === "F32") {
    if (LITTLE_ENDIAN && bytes.byteOffset % 4 === 0) {
      return new Float32Array(bytes.buffer, bytes.byteOffset, n);
    }
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    return Float32Array.from({ length: n }, (_, i) => dv.getFloat32(4 * i, true));
  }
  const out = new Float32Array(n);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  if (dtype === "BF16") {
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < n; i++) bits[i] = dv.getUint16(2 * i, true) << 16;
  } else {
    for (let i = 0; i < n; i++) out[i] = halfToFloat(dv.getUint16(2 * i, true));
  }
  return out;
}

/** IEEE 754 binary16 bits → number (handles subnormals, inf, NaN). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** float32 values → bfloat16 bits, round-to-nearest-even (NaN stays a quiet NaN). */
export function floatToBf16Bits(values: Float32Array): Uint16Array {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const b = bits[i];
    if ((b & 0x7fffffff) > 0x7f800000) {
      out[i] = (b >>> 16) | 0x0040;
      continue;
    }
    out[i] = (b + 0x7fff + ((b >>> 16) & 1)) >>> 16;
  }
  return out;
}

/** A tensor to write: data given now or produced on demand (so only one tensor is in memory at once). */
export interface TensorToWrite {
  name: string;
  shape: number[];
  data: Float32Array | (() => Float32Array | Promise<Float32Array>);
}

function encodeFloats(data: Float32Array, dtype: WriteDtype): Uint8Array {
  if (dtype === "BF16") {
    const b = floatToBf16Bits(data);
    if (LITTLE_ENDIAN) return new Uint8Array(b.buffer);
    const out = new Uint8Array(2 * b.length);
    const dv = new DataView(out.buffer);
    b.forEach((v, i) => dv.setUint16(2 * i, v, true));
    return out;
  }
  if (LITTLE_ENDIAN) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(4 * data.length);
  const dv = new DataView(out.buffer);
  data.forEach((v, i) => dv.setFloat32(4 * i, v, true));
  return out;
}

/**
 * Write tensors to a safetensors file, one at a time, through a temp file renamed into place.
 * The header is padded with spaces to an 8-byte boundary as the reference implementation does.
 *
 * @example
 * ```ts
 * const path = await Deno.makeTempFile({ suffix: ".safetensors" });
 * await writeSafetensors(path, [
 *   { name: "w", shape: [2], data: new Float32Array([1, 2]) },
 * ], { dtype: "BF16", metadata: { format: "pt" } });
 * const f = await openSafetensors(path);
 * if ((await f.read("w")).data[1] !== 2) throw new Error("1 and 2 are exact in BF16");
 * f.close();
 * await Deno.remove(path);
 * ```
 */
export async function writeSafetensors(
  path: string,
  tensors: TensorToWrite[],
  options: {
    /** @default "F32" */
    dtype?: WriteDtype;
    /** string→string map stored as `__metadata__` @default {} */
    metadata?: Record<string, string>;
  } = {},
): Promise<void> {
  const dtype = options.dtype ?? "F32";
  const width = dtype === "F32" ? 4 : 2;
  const header: Record<string, unknown> = {};
  if (options.metadata) header.__metadata__ = options.metadata;
  let offset = 0;
  const seen = new Set<string>();
  for (const t of tensors) {
    if (seen.has(t.name)) throw new Error(`${path}: duplicate tensor name "${t.name}"`);
    seen.add(t.name);
    const bytes = numel(t.shape) * width;
    header[t.name] = { dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    json = new TextEncoder().encode(JSON.stringify(header) + " ".repeat(padded - json.length));
  }
  await writeAtomicWith(path, async (append) => {
    const len = new Uint8Array(8);
    new DataView(len.buffer).setBigUint64(0, BigInt(json.length), true);
    await append(len);
    await append(json);
    for (const t of tensors) {
      const data = typeof t.data === "function" ? await t.data() : t.data;
      if (data.length !== numel(t.shape)) {
        throw new Error(
          `${path}: tensor "${t.name}": ${data.length} values for shape [${t.shape.join(",")}]`,
        );
      }
      await append(encodeFloats(data, dtype));
    }
  });
}
