// ia3 vector gradient: dv[g, n] = Σ_{m in group g} dy[m, n] · y[m, n], the (IA)³ vector's gradient as a column
// reduction over the rows of each group (all rows for a shared vector, one sequence's rows for a per-sequence one).
//   dy [M, N] upstream gradient, y [M, N] the unscaled Linear output; result [G, N].
// Workgroup (x, y) = (column tile of 4·TPS columns, group). Thread (tx, ty) sums the rows ty, ty + TPS, … of the
// group for the 4 columns tx + TPS·c (one vec4); the TPS row lanes then meet in workgroup memory. No atomics.

const TPS : i32 = 8;
const COLUMNS : i32 = 4 * TPS;

var<workgroup> partial : array<vec4<f32>, TPS * TPS>;   // [row lane][tx]

fn main() {
  let N = uniforms.N;
  let tx = i32(localId.x);
  let ty = i32(localId.y);
  let n0 = i32(workgroupId.x) * COLUMNS + tx;
  let firstRow = i32(workgroupId.y) * uniforms.rowsPerGroup;
  var sum = vec4<f32>(0.0);
  for (var r = ty; r < uniforms.rowsPerGroup; r += TPS) {
    let at = (firstRow + r) * N;
    for (var c = 0; c < 4; c++) {
      let n = n0 + TPS * c;
      if (n < N) { sum[c] += dy[at + n] * y[at + n]; }
    }
  }
  partial[ty * TPS + tx] = sum;
  workgroupBarrier();
  if (ty == 0) {
    var total = vec4<f32>(0.0);
    for (var lane = 0; lane < TPS; lane++) { total += partial[lane * TPS + tx]; }
    for (var c = 0; c < 4; c++) {
      let n = n0 + TPS * c;
      if (n < N) { result[i32(workgroupId.y) * N + n] = total[c]; }
    }
  }
}
