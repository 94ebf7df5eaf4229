// bottleneck down-projection of one row tile: z = x · W_downᵀ (bias not yet added), the first half of the
// bottleneck, shared by bottleneck-forward and bottleneck-backward-rows (which recomputes z instead of storing it).
//   x [M, K] row-major rows (tokens), wDown [D, K] (torch layout out × in).
// Returns this thread's ColumnAcc (see bottleneck-tiles.wgsl), complete in the kLane() == 0 threads.

fn downProjection() -> ColumnAcc {
  let M = uniforms.M;
  let K = uniforms.K;
  let row0 = firstRow();
  var acc : ColumnAcc;
  for (var k0 = 0; k0 < K; k0 += K_SLICE) {
    // Neighbouring threads read neighbouring k of one x row, and of one W_down row.
    for (var e = flatId(); e < ROWS * K_SLICE; e += THREADS) {
      let r = e / K_SLICE;
      let k = k0 + e % K_SLICE;
      var v = 0.0;
      if (row0 + r < M && k < K) { v = x[(row0 + r) * K + k]; }
      stageX(e % K_SLICE, r, v);
    }
    for (var e = flatId(); e < D_PAD * K_SLICE; e += THREADS) {
      let j = e / K_SLICE;
      let k = k0 + e % K_SLICE;
      var v = 0.0;
      if (j < D && k < K) { v = wDown[j * K + k]; }
      stageReduceWeight(j, e % K_SLICE, v);
    }
    workgroupBarrier();
    accumulateReduceSlice(&acc);
    workgroupBarrier();
  }
  finishReduce(&acc);
  return acc;
}
