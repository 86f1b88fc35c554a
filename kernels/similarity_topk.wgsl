// Similarity top-k, pass 1 (scan): one invocation = one query x one lane (a contiguous block of
// catalog rows of one segment); it keeps a bounded min-heap of (score, row) in private memory (root =
// worst; O(log k) per insert, so its loop count is bounded — llvmpipe/lavapipe silently stop loops
// after 65535 iterations per invocation) and writes the heap, unsorted, as the lane's candidates.
// Barrier-free and register-blocked (4 rows x vec4 over d): the fast shape on CPU "GPUs". All
// invocations of a workgroup share a lane, so catalog reads are uniform across it; queries are stored
// transposed as (ceil(dim/4), nq_stride) vec4s so query reads are contiguous. Bindings, `Params` and
// TOPK_CAP are generated from the spec in similarity_topk.ts.

override WG_SIZE: u32 = 64u;

var<private> hs: array<f32, TOPK_CAP>; // heap scores
var<private> hi: array<i32, TOPK_CAP>; // heap rows
var<private> hn: u32; // heap size

// (sa, ia) ranks below (sb, ib): lower score, or equal score and higher row.
fn worse(sa: f32, ia: i32, sb: f32, ib: i32) -> bool {
  return sa < sb || (sa == sb && ia > ib);
}

fn sift_down(n: u32) {
  var pos = 0u;
  let s = hs[0];
  let i = hi[0];
  loop {
    var c = 2u * pos + 1u;
    if (c >= n) { break; }
    let r = c + 1u;
    if (r < n && worse(hs[r], hi[r], hs[c], hi[c])) { c = r; }
    if (!worse(hs[c], hi[c], s, i)) { break; }
    hs[pos] = hs[c];
    hi[pos] = hi[c];
    pos = c;
  }
  hs[pos] = s;
  hi[pos] = i;
}

fn push(s: f32, i: i32, k: u32) {
  if (!(s > -bitcast<f32>(0x7f800000u))) { return; } // NaN and -inf are never results
  if (hn < k) {
    var pos = hn;
    loop {
      if (pos == 0u) { break; }
      let p = (pos - 1u) / 2u;
      if (!worse(s, i, hs[p], hi[p])) { break; }
      hs[pos] = hs[p];
      hi[pos] = hi[p];
      pos = p;
    }
    hs[pos] = s;
    hi[pos] = i;
    hn = hn + 1u;
    return;
  }
  if (!worse(hs[0], hi[0], s, i)) { return; }
  hs[0] = s;
  hi[0] = i;
  sift_down(k);
}

@compute @workgroup_size(WG_SIZE)
fn scan(@builtin(global_invocation_id) gid: vec3<u32>) {
  let q = gid.x;
  let lane = gid.y;
  if (q >= params.nq) { return; }
  let k = params.k;
  let d4 = params.dim4; // vec4s per row (rows zero-padded to a multiple of 4 floats)
  let qs = params.nq_stride;
  hn = 0u;
  let r0 = lane * params.rows_per_lane;
  let r1 = min(r0 + params.rows_per_lane, params.seg_rows);
  let base = i32(params.seg_base);
  var r = r0;
  loop {
    if (r + 4u > r1) { break; }
    let o0 = r * d4;
    var s = vec4<f32>(0.0);
    for (var j = 0u; j < d4; j = j + 1u) {
      let x = queries_t[j * qs + q];
      s = s + vec4<f32>(
        dot(x, catalog[o0 + j]),
        dot(x, catalog[o0 + d4 + j]),
        dot(x, catalog[o0 + 2u * d4 + j]),
        dot(x, catalog[o0 + 3u * d4 + j]),
      );
    }
    let row = base + i32(r);
    push(s.x, row, k);
    push(s.y, row + 1, k);
    push(s.z, row + 2, k);
    push(s.w, row + 3, k);
    r = r + 4u;
  }
  loop {
    if (r >= r1) { break; }
    let o0 = r * d4;
    var s0 = 0.0;
    for (var j = 0u; j < d4; j = j + 1u) {
      s0 = s0 + dot(queries_t[j * qs + q], catalog[o0 + j]);
    }
    push(s0, base + i32(r), k);
    r = r + 1u;
  }
  let out = (q * params.lanes_total + params.lane_base + lane) * k;
  var t = 0u;
  loop {
    if (t >= k) { break; }
    if (t < hn) {
      cand_scores[out + t] = hs[t];
      cand_indices[out + t] = hi[t];
    } else {
      cand_scores[out + t] = -bitcast<f32>(0x7f800000u);
      cand_indices[out + t] = -1;
    }
    t = t + 1u;
  }
  if (r != r1 || t != k) { atomicStore(&status[0], 1u); } // a loop was cut short
}
