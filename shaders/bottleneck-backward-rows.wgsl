// bottleneck backward, pass 1 of 3 (per row tile): recomputes z = x · W_downᵀ + b_down, then
//   g_a = (scaling ⊙ dy) · W_up      the gradient reaching the activation output,
//   g_z = g_a ⊙ act'(z)             the gradient at the bottleneck pre-activation,
// and writes result [M, 2D] = [a = act(z) | g_z] per row, the narrow operands of the weight gradients
// (bottleneck-weight-grads) and of dX = g_z · W_down (bottleneck-backward-input).
//   x [M, K], wDown [D, K], dy [M, N] upstream gradient of the output, wUp [N, D]; prelude: downBias, scaleAt.
// z and g_a land in the same threads (the same ColumnAcc layout), so nothing but the result leaves registers.

fn main() {
  let M = uniforms.M;
  let N = uniforms.N;
  let row0 = firstRow();

  var z = downProjection();

  var g : ColumnAcc;
  for (var n0 = 0; n0 < N; n0 += K_SLICE) {
    for (var e = flatId(); e < ROWS * K_SLICE; e += THREADS) {
      let r = e / K_SLICE;
      let n = n0 + e % K_SLICE;
      var v = 0.0;
      if (row0 + r < M && n < N) { v = dy[(row0 + r) * N + n]; }
      stageX(e % K_SLICE, r, v);
    }
    // The weight slice is W_up transposed, w[j][n] = scaling[n] · W_up[n, j]; neighbouring threads read
    // neighbouring j of one W_up row.
    for (var e = flatId(); e < D_PAD * K_SLICE; e += THREADS) {
      let j = e % D_PAD;
      let n = n0 + e / D_PAD;
      var v = 0.0;
      if (j < D && n < N) { v = scaleAt(n) * wUp[n * D + j]; }
      stageReduceWeight(j, e / D_PAD, v);
    }
    workgroupBarrier();
    accumulateReduceSlice(&g);
    workgroupBarrier();
  }
  finishReduce(&g);

  if (kLane() == 0) {
    for (var c = 0; c < J_PER_THREAD; c++) {
      let j = jLane() + J_LANES * c;
      if (j < D) {
        let zc = reduceColumn(&z, c) + downBias(j);
        let a = activateVec(zc);
        let gz = reduceColumn(&g, c) * activateGradVec(zc);
        for (var i = 0; i < 4; i++) {
          let r = row0 + ty() + TPS * i;
          if (r < M) {
            result[r * 2 * D + j] = a[i];
            result[r * 2 * D + D + j] = gz[i];
          }
        }
      }
    }
  }
}
