// Rank objective, pass 2: one workgroup per row. Per token: the bin's importance weight w = exp(mean
// log-ratio) from pass 1 (token / sequence / item level), the clipped surrogate, the k3 KL and the
// normalisation weight c_t (token: 1 / batch tokens; rank: 1 / (|item bin| · B·N)); then per ratio bin
// (one invocation each, barrier-free) the pooled surrogate gradient, broadcast back to its tokens as
// d loss / d logpNew (paper Eq. 7). Row partial sums (loss, clip counts, KL, ratio, advantage, tokens)
// are tree-reduced in workgroup memory. Bindings, `Params`, BIN_CAP, WG_CAP come from rank_objective.ts.

override WG_SIZE: u32 = 64u;

var<workgroup> bin_mean: array<f32, BIN_CAP>; // mean log-ratio of each ratio bin of this row
var<workgroup> bin_count: array<f32, BIN_CAP>; // tokens in each ratio bin
var<workgroup> bin_pool: array<f32, BIN_CAP>; // Σ_{t ∈ bin} c_t · dℓ_t / dlog w
var<workgroup> red_a: array<vec4<f32>, WG_CAP>;
var<workgroup> red_b: array<vec4<f32>, WG_CAP>;

struct Term {
  loss: f32, // clipped surrogate ℓ_t (without c_t)
  dlw: f32, // dℓ_t / dlog w (0 where the clip is active)
  coef: f32, // normalisation weight c_t
  kl: f32, // k3 KL (0 when β = 0)
  dkl: f32, // d k3 / d logp
  w: f32,
  low: bool,
  high: bool,
}

fn in_loss(i: u32) -> bool {
  return mask[i] != 0 && seg_ids[i] >= 0;
}

fn item_bin(i: u32) -> u32 {
  return min(u32(seg_ids[i]), params.n);
}

// Ratio bin of a loss token at sequence (0) or item level; token level has no shared bins.
fn ratio_bin(i: u32) -> u32 {
  if (params.level == 1u) { return 0u; }
  return item_bin(i);
}

fn log_ratio(i: u32) -> f32 {
  if (params.has_old != 0u) { return logp_new[i] - logp_old[i]; }
  return 0.0;
}

fn term(row: u32, i: u32, total: f32) -> Term {
  var o: Term;
  var logw = log_ratio(i);
  if (params.level != 0u) { logw = bin_mean[ratio_bin(i)]; }
  // WGSL's exp may be off by a few ULP even at 0; μ = 1 must give w = 1 exactly, as on the CPU
  o.w = select(exp(logw), 1.0, logw == 0.0);
  if (params.norm == 0u) {
    o.coef = 1.0 / max(1.0, total);
  } else {
    let cnt = item_stats[(row * (params.n + 1u) + item_bin(i)) * 2u + 1u];
    o.coef = 1.0 / (cnt * max(1.0, f32(params.b) * f32(params.n)));
  }
  let a = advantages[i];
  let lo = 1.0 - params.eps_low;
  let hi = 1.0 + params.eps_high;
  o.low = o.w < lo && a < 0.0;
  o.high = o.w > hi && a > 0.0;
  if (o.low || o.high) {
    o.loss = -select(hi, lo, o.low) * a;
    o.dlw = 0.0;
  } else {
    o.loss = -min(o.w * a, clamp(o.w, lo, hi) * a);
    o.dlw = -o.w * a;
  }
  o.kl = 0.0;
  o.dkl = 0.0;
  if (params.beta > 0.0) {
    let d = logp_ref[i] - logp_new[i];
    let e = exp(d);
    o.kl = e - d - 1.0;
    o.dkl = 1.0 - e;
  }
  return o;
}

@compute @workgroup_size(WG_SIZE)
fn objective(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let row = wid.x;
  let x = lid.x;
  let t = params.t;
  let nb = params.n + 1u;
  var cut = false;

  // batch loss tokens (token normalisation): every workgroup sums the (B, N + 1) pass-1 counts
  let entries = params.b * nb;
  var part = 0.0;
  var j = x;
  loop {
    if (j >= entries) { break; }
    part = part + item_stats[j * 2u + 1u];
    j = j + WG_SIZE;
  }
  cut = cut || j < entries;
  red_a[x] = vec4<f32>(part, 0.0, 0.0, 0.0);
  workgroupBarrier();
  for (var s = WG_SIZE / 2u; s > 0u; s = s / 2u) {
    if (x < s) { red_a[x] = red_a[x] + red_a[x + s]; }
    workgroupBarrier();
  }
  let total = red_a[0].x;

  // ratio-bin means and counts of this row
  if (params.level == 2u) {
    j = x;
    loop {
      if (j >= nb) { break; }
      let c = item_stats[(row * nb + j) * 2u + 1u];
      bin_count[j] = c;
      bin_mean[j] = item_stats[(row * nb + j) * 2u] / max(1.0, c);
      j = j + WG_SIZE;
    }
    cut = cut || j < nb;
  } else if (params.level == 1u && x == 0u) {
    var s = 0.0;
    var c = 0.0;
    j = 0u;
    loop {
      if (j >= nb) { break; }
      s = s + item_stats[(row * nb + j) * 2u];
      c = c + item_stats[(row * nb + j) * 2u + 1u];
      j = j + 1u;
    }
    cut = cut || j < nb;
    bin_count[0] = c;
    bin_mean[0] = s / max(1.0, c);
  }
  workgroupBarrier(); // also: everyone has read red_a[0] before it is reused below

  // per token: loss contribution, weight, partial sums; token level also its gradient
  var acc_a = vec4<f32>(0.0); // loss, clip low, clip high, kl
  var acc_b = vec4<f32>(0.0); // ratio, advantage, tokens, 0
  var c = x;
  loop {
    if (c >= t) { break; }
    let i = row * t + c;
    if (in_loss(i)) {
      let tm = term(row, i, total);
      let tl = tm.coef * (tm.loss + params.beta * tm.kl);
      token_loss[i] = tl;
      ratio_out[i] = tm.w;
      if (params.level == 0u) { grad[i] = tm.coef * (tm.dlw + params.beta * tm.dkl); }
      acc_a = acc_a + vec4<f32>(
        tl,
        select(0.0, 1.0, tm.low),
        select(0.0, 1.0, tm.high),
        tm.kl,
      );
      acc_b = acc_b + vec4<f32>(tm.w, advantages[i], 1.0, 0.0);
    } else {
      token_loss[i] = 0.0;
      ratio_out[i] = 0.0;
      grad[i] = 0.0;
    }
    c = c + WG_SIZE;
  }
  cut = cut || c < t;

  // sequence / item level: pooled surrogate gradient per ratio bin (one invocation per bin)
  if (params.level != 0u) {
    let k = select(nb, 1u, params.level == 1u);
    j = x;
    loop {
      if (j >= k) { break; }
      var pool = 0.0;
      var c2 = 0u;
      loop {
        if (c2 >= t) { break; }
        let i = row * t + c2;
        if (in_loss(i) && ratio_bin(i) == j) {
          let tm = term(row, i, total);
          pool = pool + tm.coef * tm.dlw;
        }
        c2 = c2 + 1u;
      }
      cut = cut || c2 < t;
      bin_pool[j] = pool;
      j = j + WG_SIZE;
    }
    cut = cut || j < k;
  }
  red_a[x] = acc_a;
  red_b[x] = acc_b;
  workgroupBarrier();

  if (params.level != 0u) {
    c = x;
    loop {
      if (c >= t) { break; }
      let i = row * t + c;
      if (in_loss(i)) {
        let tm = term(row, i, total);
        let bin = ratio_bin(i);
        grad[i] = bin_pool[bin] / bin_count[bin] + tm.coef * params.beta * tm.dkl;
      }
      c = c + WG_SIZE;
    }
    cut = cut || c < t;
  }

  for (var s = WG_SIZE / 2u; s > 0u; s = s / 2u) {
    if (x < s) {
      red_a[x] = red_a[x] + red_a[x + s];
      red_b[x] = red_b[x] + red_b[x + s];
    }
    workgroupBarrier();
  }
  if (x == 0u) {
    let a = red_a[0];
    let b = red_b[0];
    let o = row * 8u;
    row_stats[o] = a.x;
    row_stats[o + 1u] = a.y;
    row_stats[o + 2u] = a.z;
    row_stats[o + 3u] = a.w;
    row_stats[o + 4u] = b.x;
    row_stats[o + 5u] = b.y;
    row_stats[o + 6u] = b.z;
    row_stats[o + 7u] = 0.0;
  }
  if (cut) { atomicStore(&status[0], 1u); } // a loop was cut short
}
