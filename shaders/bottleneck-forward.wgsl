// bottleneck forward, fused: out = scaling ⊙ (act(x · W_downᵀ + b_down) · W_upᵀ + b_up) + residual, the adapter
// body of the `adapters` library (up(act(down(x))) · scaling) with the residual add folded in when the caller has one.
//   x [M, K] adapter input rows, wDown [D, K], wUp [N, D] (torch layout), result [M, N].
//   Prelude accessors: downBias(j), upBias(n) (0 without biases, as for LoRA), scaleAt(n) (constant, learned
//   scalar or per-channel scaling), residualAt(index into [M, N]) (0 without residual).
//
// One workgroup per ROWS rows: (1) z = x · W_downᵀ through K_SLICE-wide staged slices, (2) a = act(z + b_down)
// into the workgroup tile `hidden` [ROWS, D], which never goes to global memory, (3) the up-projection COLS output
// columns at a time from W_up chunks staged in workgroup memory, each thread writing a 4 × 4 block.

fn main() {
  let M = uniforms.M;
  let N = uniforms.N;
  let row0 = firstRow();

  var z = downProjection();
  if (kLane() == 0) {
    for (var c = 0; c < J_PER_THREAD; c++) {
      let j = jLane() + J_LANES * c;
      if (j < D) { hidden[j * TPS + ty()] = activateVec(reduceColumn(&z, c) + downBias(j)); }
    }
  }

  for (var n0 = 0; n0 < N; n0 += COLS) {
    // W_up rows n0 … n0 + COLS − 1 are one contiguous run of COLS · D floats.
    for (var e = flatId(); e < COLS * D; e += THREADS) {
      var v = 0.0;
      if (n0 * D + e < N * D) { v = wUp[n0 * D + e]; }
      stageExpandWeight(e / D, e % D, v);
    }
    workgroupBarrier();
    let acc = accumulateExpandChunk();
    for (var c = 0; c < 4; c++) {
      let n = n0 + tx() + TPS * c;
      if (n < N) {
        let s = scaleAt(n);
        let b = upBias(n);
        for (var i = 0; i < 4; i++) {
          let r = row0 + ty() + TPS * i;
          if (r < M) { result[r * N + n] = s * (expandRow(acc, i)[c] + b) + residualAt(r * N + n); }
        }
      }
    }
    workgroupBarrier();
  }
}
