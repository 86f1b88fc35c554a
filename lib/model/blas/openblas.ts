// Locates Debian's OpenBLAS and calls its row-major cblas_sgemm through Deno FFI (needs --allow-ffi).
// Beyond the paper: a CPU speed path only; results equal a plain matmul up to float32 rounding.

/** Debian package that ships the library this module loads. */
export const OPENBLAS_APT_PACKAGE = "libopenblas0-pthread";

/** Where Debian (and a few other distributions) put the OpenBLAS shared library, in search order. */
export const OPENBLAS_CANDIDATE_PATHS: readonly string[] = [
  "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0",
  "/usr/lib/aarch64-linux-gnu/openblas-pthread/libopenblas.so.0",
  "/usr/lib/x86_64-linux-gnu/libopenblas.so.0",
  "/usr/lib/aarch64-linux-gnu/libopenblas.so.0",
  "/usr/lib64/libopenblas.so.0",
  "/usr/lib/libopenblas.so.0",
];

const ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112;

const SYMBOLS = {
  cblas_sgemm: {
    // order, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc
    parameters: [
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "f32",
      "buffer",
      "i32",
      "buffer",
      "i32",
      "f32",
      "buffer",
      "i32",
    ],
    result: "void",
  },
  openblas_set_num_threads: { parameters: ["i32"], result: "void" },
  openblas_get_num_threads: { parameters: [], result: "i32" },
} as const;

/** Dimensions and flags of one {@link OpenBlas.sgemm} call: C (m, n) = alpha·op(A)·op(B) + beta·C. */
export interface SgemmDims {
  /** rows of op(A) and C */
  m: number;
  /** columns of op(B) and C */
  n: number;
  /** columns of op(A) = rows of op(B) */
  k: number;
  /** A is stored (k, m) and used transposed @default false */
  transA?: boolean;
  /** B is stored (n, k) and used transposed @default false */
  transB?: boolean;
  /** @default 1 */
  alpha?: number;
  /** 0 overwrites C; 1 accumulates into it @default 0 */
  beta?: number;
  /** row stride of A as stored @default its column count (k, or m with transA) */
  lda?: number;
  /** row stride of B as stored @default its column count (n, or k with transB) */
  ldb?: number;
  /** row stride of C @default n */
  ldc?: number;
}

/** Floats a row-major (rows, cols) matrix with row stride `ld` spans: (rows − 1)·ld + cols. */
function span(rows: number, cols: number, ld: number): number {
  return rows === 0 || cols === 0 ? 0 : (rows - 1) * ld + cols;
}

/** A loaded OpenBLAS: row-major sgemm, its thread count, and the file it came from. */
export interface OpenBlas {
  /** absolute path of the loaded shared library */
  path: string;
  /** threads OpenBLAS uses for large products */
  threads: number;
  /**
   * Row-major C = alpha·op(A)·op(B) + beta·C on arrays (views with offsets are fine). A holds m·k
   * floats, B k·n, C m·n, densely unless row strides lda/ldb/ldc say otherwise.
   */
  sgemm(a: Float32Array, b: Float32Array, c: Float32Array, dims: SgemmDims): void;
  /** Unload the library; the handle must not be used afterwards. */
  close(): void;
}

/** Options of {@link openBlas}. */
export interface OpenBlasOptions {
  /** shared library to load @default first existing of OPENBLAS_CANDIDATE_PATHS */
  path?: string;
  /** OpenBLAS threads @default OPENBLAS_NUM_THREADS, else what the library picked (all cores) */
  threads?: number;
}

/**
 * The first existing OpenBLAS library among the candidate paths, or undefined when none is installed.
 *
 * @example
 * ```ts
 * const path = findOpenBlas(); // "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0"
 * console.log(path ?? "OpenBLAS is not installed");
 * ```
 */
export function findOpenBlas(
  candidates: readonly string[] = OPENBLAS_CANDIDATE_PATHS,
): string | undefined {
  for (const p of candidates) {
    try {
      if (Deno.statSync(p).isFile) return p;
    } catch {
      // not there: try the next one
    }
  }
  return undefined;
}

/**
 * Whether this process may load OpenBLAS: the library exists and --allow-ffi was granted.
 * Returns the reason when not (for test skips and error messages).
 *
 * @example
 * ```ts
 * const { ok, reason } = openBlasAvailable();
 * if (!ok) console.log(`BLAS path unavailable: ${reason}`);
 * ```
 */
export function openBlasAvailable(): { ok: boolean; reason: string } {
  const path = findOpenBlas();
  if (!path) {
    return {
      ok: false,
      reason: `OpenBLAS not found; install it with: apt-get install ${OPENBLAS_APT_PACKAGE}`,
    };
  }
  if (Deno.permissions.querySync({ name: "ffi", path }).state !== "granted") {
    return { ok: false, reason: `run with --allow-ffi (or --allow-ffi=${path}) to use OpenBLAS` };
  }
  return { ok: true, reason: "" };
}

function threadsFromEnv(): number | undefined {
  let raw: string | undefined;
  try {
    raw = Deno.env.get("OPENBLAS_NUM_THREADS");
  } catch {
    return undefined; // no --allow-env: keep the library's choice
  }
  if (raw === undefined || raw === "") return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(`openblas.ts: env OPENBLAS_NUM_THREADS="${raw}": expected a positive integer`);
  }
  return n;
}

/**
 * Load OpenBLAS through FFI. Throws naming the apt package when the library is missing, and the
 * flag when --allow-ffi is not granted.
 *
 * @example
 * ```ts
 * if (openBlasAvailable().ok) { // needs libopenblas and --allow-ffi
 *   const blas = openBlas({ threads: 2 });
 *   const c = new Float32Array(4);
 *   blas.sgemm(Float32Array.of(1, 2, 3, 4), Float32Array.of(1, 0, 0, 1), c, { m: 2, n: 2, k: 2 });
 *   if (c.join() !== "1,2,3,4") throw new Error(`${c}`);
 *   blas.close();
 * }
 * ```
 */
export function openBlas(options: OpenBlasOptions = {}): OpenBlas {
  const candidates = options.path !== undefined ? [options.path] : OPENBLAS_CANDIDATE_PATHS;
  const path = findOpenBlas(candidates);
  if (!path) {
    throw new Error(
      `openblas.ts: OpenBLAS not found in ${candidates.join(", ")}; ` +
        `install it with: apt-get install ${OPENBLAS_APT_PACKAGE}`,
    );
  }
  if (Deno.permissions.querySync({ name: "ffi", path }).state !== "granted") {
    throw new Error(`openblas.ts: loading ${path} needs --allow-ffi (or --allow-ffi=${path})`);
  }
  const lib = Deno.dlopen(path, SYMBOLS);
  const threads = options.threads ?? threadsFromEnv();
  if (threads !== undefined) {
    if (!Number.isInteger(threads) || threads < 1) {
      throw new Error(`openblas.ts: option threads=${threads}: expected a positive integer`);
    }
    lib.symbols.openblas_set_num_threads(threads);
  }
  const sgemm = (a: Float32Array, b: Float32Array, c: Float32Array, dims: SgemmDims) => {
    const { m, n, k, transA = false, transB = false, alpha = 1, beta = 0 } = dims;
    const aRows = transA ? k : m, aCols = transA ? m : k;
    const bRows = transB ? n : k, bCols = transB ? k : n;
    const { lda = aCols, ldb = bCols, ldc = n } = dims;
    const needA = span(aRows, aCols, lda), needB = span(bRows, bCols, ldb), needC = span(m, n, ldc);
    if (
      a.length < needA || b.length < needB || c.length < needC || lda < aCols || ldb < bCols ||
      ldc < n
    ) {
      throw new Error(
        `openblas.ts: sgemm m=${m} n=${n} k=${k} lda=${lda} ldb=${ldb} ldc=${ldc} needs ` +
          `A ≥ ${needA}, B ≥ ${needB}, C ≥ ${needC} floats and strides ≥ row lengths; ` +
          `got ${a.length}, ${b.length}, ${c.length}`,
      );
    }
    if (m === 0 || n === 0) return;
    if (k === 0) {
      for (let i = 0; i < m; i++) { // BLAS skips the product; C = beta·C
        const row = c.subarray(i * ldc, i * ldc + n);
        if (beta === 0) row.fill(0);
        else if (beta !== 1) { for (let j = 0; j < n; j++) row[j] *= beta; }
      }
      return;
    }
    lib.symbols.cblas_sgemm(
      ROW_MAJOR,
      transA ? TRANS : NO_TRANS,
      transB ? TRANS : NO_TRANS,
      m,
      n,
      k,
      alpha,
      a,
      Math.max(lda, 1),
      b,
      Math.max(ldb, 1),
      beta,
      c,
      Math.max(ldc, 1),
    );
  };
  return {
    path,
    threads: lib.symbols.openblas_get_num_threads(),
    sgemm,
    close: () => lib.close(),
  };
}
