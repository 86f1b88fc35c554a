// Per-rank group advantages: one workgroup per (prompt, block of WG_SIZE ranks), one invocation per
// (prompt, rank); it loops over the G rollouts three times (sum + all-equal test, squared deviations,
// advantages). Barrier-free. Zero-variance groups (G = 1 included) get A = 0 and std 0 exactly and are
// counted with an atomic u32 add. Bindings and `Params` are generated from the spec in group_advantages.ts.

override WG_SIZE: u32 = 64u;

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let p = wid.x; // prompt
  let k = wid.y * WG_SIZE + lid.x; // rank
  let g = params.g;
  let n = params.n;
  if (p >= params.prompts || k >= n) { return; }
  let base = p * g * n + k; // (p, rollout 0, rank k)
  let first = rewards[base];
  var sum = 0.0;
  var all_equal = true;
  var i = 0u;
  loop {
    if (i >= g) { break; }
    let r = rewards[base + i * n];
    sum = sum + r;
    if (r != first) { all_equal = false; }
    i = i + 1u;
  }
  let m = sum / f32(g);
  mean[p * n + k] = m;
  var cut = i != g;
  if (all_equal) {
    std_out[p * n + k] = 0.0;
    var j = 0u;
    loop {
      if (j >= g) { break; }
      advantages[base + j * n] = 0.0;
      j = j + 1u;
    }
    cut = cut || j != g;
    atomicAdd(&counts[0], 1u);
  } else {
    var ss = 0.0;
    var j = 0u;
    loop {
      if (j >= g) { break; }
      let d = rewards[base + j * n] - m;
      ss = ss + d * d;
      j = j + 1u;
    }
    cut = cut || j != g;
    let s = sqrt(ss / f32(g - 1u)); // unbiased; g ≥ 2 here since two rewards differ
    std_out[p * n + k] = s;
    j = 0u;
    loop {
      if (j >= g) { break; }
      let idx = base + j * n;
      advantages[idx] = (rewards[idx] - m) / (s + params.std_eps);
      j = j + 1u;
    }
    cut = cut || j != g;
  }
  if (cut) { atomicStore(&counts[1], 1u); } // a loop was cut short
}
