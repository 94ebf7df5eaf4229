// bottleneck backward, pass 2 of 3 (per row tile): the input gradient dX = g_z · W_down.
//   rows [M, 2D] = [a | g_z] from bottleneck-backward-rows, wDown [D, K]; result [M, K].
// Same expand tile as the forward's up-projection: g_z rows in `hidden`, W_down chunks of COLS input columns
// staged transposed in `chunk`.

fn main() {
  let M = uniforms.M;
  let K = uniforms.K;
  let row0 = firstRow();

  for (var e = flatId(); e < ROWS * D; e += THREADS) {
    let r = e / D;
    var v = 0.0;
    if (row0 + r < M) { v = rows[(row0 + r) * 2 * D + D + e % D]; }
    stageHidden(r, e % D, v);
  }

  for (var k0 = 0; k0 < K; k0 += COLS) {
    // Chunk w[c][j] = W_down[j, k0 + c]; neighbouring threads read neighbouring columns of one W_down row.
    for (var e = flatId(); e < COLS * D; e += THREADS) {
      let j = e / COLS;
      let c = e % COLS;
      var v = 0.0;
      if (k0 + c < K) { v = wDown[j * K + k0 + c]; }
      stageExpandWeight(c, j, v);
    }
    workgroupBarrier();
    let acc = accumulateExpandChunk();
    for (var i = 0; i < 4; i++) {
      let r = row0 + ty() + TPS * i;
      let out = expandRow(acc, i);
      for (var c = 0; c < 4; c++) {
        let k = k0 + tx() + TPS * c;
        if (r < M && k < K) { result[r * K + k] = out[c]; }
      }
    }
    workgroupBarrier();
  }
}
