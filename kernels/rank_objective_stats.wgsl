// Rank objective, pass 1 (segment statistics): one workgroup per row, one invocation per item bin j
// (0..N−1 items, N = the shared overflow bin; strided by WG_SIZE when N + 1 > WG_SIZE). Each invocation
// scans its row's T tokens and writes (Σ log-ratio, count) over the loss-mask tokens of bin j. No float
// atomics: every (row, bin) has exactly one writer. Bindings and `Params` come from rank_objective.ts.

override WG_SIZE: u32 = 32u;

@compute @workgroup_size(WG_SIZE)
fn stats(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let row = wid.x;
  let t = params.t;
  let n = params.n;
  let nb = n + 1u;
  var cut = false;
  var j = lid.x;
  loop {
    if (j >= nb) { break; }
    var sum = 0.0;
    var count = 0u;
    var c = 0u;
    loop {
      if (c >= t) { break; }
      let i = row * t + c;
      let seg = seg_ids[i];
      if (mask[i] != 0 && seg >= 0 && min(u32(seg), n) == j) {
        count = count + 1u;
        if (params.has_old != 0u) { sum = sum + (logp_new[i] - logp_old[i]); }
      }
      c = c + 1u;
    }
    cut = cut || c != t;
    item_stats[(row * nb + j) * 2u] = sum;
    item_stats[(row * nb + j) * 2u + 1u] = f32(count);
    j = j + WG_SIZE;
  }
  if (cut || j < nb) { atomicStore(&status[0], 1u); } // a loop was cut short
}
