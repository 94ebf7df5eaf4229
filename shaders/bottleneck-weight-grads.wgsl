// bottleneck backward, pass 3 of 3: the parameter gradients, each a reduction over all M rows, in one dispatch:
//   dW_up[n, j] = s_n · Σ_m dy[m, n] · a[m, j]        db_up[n] = s_n · Σ_m dy[m, n]
//   dW_down[j, k] = Σ_m g_z[m, j] · x[m, k]            db_down[j] = Σ_m g_z[m, j]
//   dScale[n] = Σ_j W_up[n, j] · P[n, j] + b_up[n] · Σ_m dy[m, n]   (when scaling is a tensor; P the unscaled sums)
// Both products have the form P[q, j] = Σ_m wide[m, q] · narrow[m, j] with a wide side of up to thousands of
// columns (dy, or x) and a narrow side of D columns (a, or g_z); db_down is the product with a column of ones
// appended to the wide side (k = K), db_up a running column sum of the wide side.
//   x [M, K], rows [M, 2D] = [a | g_z] (bottleneck-backward-rows), dy [M, N]; prelude accessors scaleAt(n), and
//   upWeight(n, j) / upBias(n) for dScale. HAS_BIAS (0 or 1) adds the bias outputs.
//   result [1, size]: dW_up [N, D] | db_up [N] | dW_down [D, K] | db_down [D] | dScale [N], flat; the bias and
//   dScale parts are present only with HAS_BIAS and SCALE_GRAD.
//
// Workgroups 0 … ⌈N/Q_TILE⌉ − 1 own Q_TILE columns n of the up product, the rest Q_TILE columns k of the down
// product. They walk M in slices of M_SLICE rows staged in workgroup memory; each of the TPS × TPS threads
// accumulates 4 wide columns (tx + TPS·qi, the components of a vec4) × NARROW_PER_THREAD narrow columns
// (ty + TPS·c, the ColumnAcc of bottleneck-tiles.wgsl). No atomics: every output has exactly one owner.

const Q_TILE : i32 = 4 * TPS;
const NARROW_PER_THREAD : i32 = (D + TPS - 1) / TPS;   // ≤ 8
const NARROW_PAD : i32 = TPS * NARROW_PER_THREAD;

var<workgroup> wideTile : array<vec4<f32>, M_SLICE * TPS>;      // [m][tx]: wide columns tx + TPS·qi
var<workgroup> narrowTile : array<f32, M_SLICE * NARROW_PAD>;   // [m][j], zero for j ≥ D

fn main() {
  let M = uniforms.M;
  let K = uniforms.K;
  let N = uniforms.N;
  let col = tx();
  let lane = ty();
  let upTiles = (N + Q_TILE - 1) / Q_TILE;
  let isUp = i32(workgroupId.x) < upTiles;
  let q0 = select((i32(workgroupId.x) - upTiles) * Q_TILE, i32(workgroupId.x) * Q_TILE, isUp);

  var acc : ColumnAcc;
  var wideSum = vec4<f32>(0.0);   // Σ_m wide[m, q] for this thread's columns: db_up in up workgroups
  for (var m0 = 0; m0 < M; m0 += M_SLICE) {
    for (var e = flatId(); e < M_SLICE * Q_TILE; e += THREADS) {
      let m = m0 + e / Q_TILE;
      let qOffset = e % Q_TILE;
      let q = q0 + qOffset;
      var v = 0.0;
      if (m < M) {
        if (isUp) {
          if (q < N) { v = dy[m * N + q]; }
        } else if (q < K) {
          v = x[m * K + q];
        } else if (q < K + HAS_BIAS) {
          v = 1.0;
        }
      }
      wideTile[(e / Q_TILE) * TPS + qOffset % TPS][qOffset / TPS] = v;
    }
    for (var e = flatId(); e < M_SLICE * NARROW_PAD; e += THREADS) {
      let m = m0 + e / NARROW_PAD;
      let j = e % NARROW_PAD;
      var v = 0.0;
      if (m < M && j < D) { v = rows[m * 2 * D + select(D, 0, isUp) + j]; }
      narrowTile[e] = v;
    }
    workgroupBarrier();
    for (var mm = 0; mm < M_SLICE; mm++) {
      let w = wideTile[mm * TPS + col];
      let n = mm * NARROW_PAD + lane;
      acc.c0 += narrowTile[n] * w;
      if (NARROW_PER_THREAD > 1) { acc.c1 += narrowTile[n + TPS] * w; }
      if (NARROW_PER_THREAD > 2) { acc.c2 += narrowTile[n + 2 * TPS] * w; }
      if (NARROW_PER_THREAD > 3) { acc.c3 += narrowTile[n + 3 * TPS] * w; }
      if (NARROW_PER_THREAD > 4) { acc.c4 += narrowTile[n + 4 * TPS] * w; }
      if (NARROW_PER_THREAD > 5) { acc.c5 += narrowTile[n + 5 * TPS] * w; }
      if (NARROW_PER_THREAD > 6) { acc.c6 += narrowTile[n + 6 * TPS] * w; }
      if (NARROW_PER_THREAD > 7) { acc.c7 += narrowTile[n + 7 * TPS] * w; }
      if (HAS_BIAS == 1) { wideSum += w; }
    }
    workgroupBarrier();
  }

  let upBiasAt = N * D;
  let downWeightAt = upBiasAt + HAS_BIAS * N;
  let downBiasAt = downWeightAt + D * K;
  let scaleGradAt = downBiasAt + HAS_BIAS * D;
  // This thread's share of dScale for its 4 columns n (up workgroups; stays 0 in down workgroups).
  var scalePartial = vec4<f32>(0.0);
  for (var qi = 0; qi < 4; qi++) {
    let q = q0 + col + TPS * qi;
    for (var c = 0; c < NARROW_PER_THREAD; c++) {
      let j = lane + TPS * c;
      let p = reduceColumn(&acc, c)[qi];
      if (j < D) {
        if (isUp) {
          if (q < N) {
            result[q * D + j] = scaleAt(q) * p;
            scalePartial[qi] += upWeight(q, j) * p;
          }
        } else if (q < K) {
          result[downWeightAt + j * K + q] = p;
        } else if (q < K + HAS_BIAS) {
          result[downBiasAt + j] = p;
        }
      }
    }
    if (HAS_BIAS == 1 && isUp && lane == 0 && q < N) {
      result[upBiasAt + q] = scaleAt(q) * wideSum[qi];
      scalePartial[qi] += upBias(q) * wideSum[qi];
    }
  }
  if (SCALE_GRAD) {
    // Sum the TPS lanes' shares per column through workgroup memory (wideTile as [TPS lanes][TPS] vec4s); outside
    // any branch on isUp because barriers need uniform control flow (workgroupId reaches us via a private variable).
    wideTile[lane * TPS + col] = scalePartial;
    workgroupBarrier();
    if (isUp && lane == 0) {
      var sum = vec4<f32>(0.0);
      for (var l = 0; l < TPS; l++) { sum += wideTile[l * TPS + col]; }
      for (var qi = 0; qi < 4; qi++) {
        let n = q0 + col + TPS * qi;
        if (n < N) { result[scaleGradAt + n] = sum[qi]; }
      }
    }
  }
}
