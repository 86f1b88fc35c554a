// Similarity top-k, pass 2..n (merge): one invocation = one query x one group of `group` input lists
// (each k long, unsorted, padding row -1); it merges them with a bounded min-heap (O(log k) per
// candidate, so its loop count stays within llvmpipe's 65535-iteration limit) and writes the group's
// top-k sorted best first (higher score, then lower row) as output list `g`. Repeated until one list
// per query remains. Bindings, `Params` and TOPK_CAP are generated from the spec in similarity_topk.ts.

override WG_SIZE: u32 = 64u;

var<private> hs: array<f32, TOPK_CAP>;
var<private> hi: array<i32, TOPK_CAP>;
var<private> hn: u32;

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
fn merge(@builtin(global_invocation_id) gid: vec3<u32>) {
  let q = gid.x;
  let g = gid.y;
  if (q >= params.nq) { return; }
  let k = params.k;
  hn = 0u;
  let l0 = g * params.group;
  let l1 = min(l0 + params.group, params.lanes_in);
  let n_in = (l1 - l0) * k;
  let base = (q * params.lanes_in + l0) * k;
  var c = 0u;
  loop {
    if (c >= n_in) { break; }
    let i = in_indices[base + c];
    if (i >= 0) { push(in_scores[base + c], i, k); }
    c = c + 1u;
  }
  // heap -> sorted best first: pop the worst into the last free slot
  let out = (q * params.lanes_out + g) * k;
  var t = k;
  loop {
    if (t == 0u) { break; }
    t = t - 1u;
    if (t >= hn) {
      out_scores[out + t] = -bitcast<f32>(0x7f800000u);
      out_indices[out + t] = -1;
      continue;
    }
    out_scores[out + t] = hs[0];
    out_indices[out + t] = hi[0];
    hn = hn - 1u;
    hs[0] = hs[hn];
    hi[0] = hi[hn];
    sift_down(hn);
  }
  if (c != n_in || hn != 0u || t != 0u) { atomicStore(&status[0], 1u); } // a loop was cut short
}
