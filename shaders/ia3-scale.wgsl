// ia3 scale: out[m, n] = y[m, n] · vector[g, n] with g = m / ROWS_PER_GROUP, the (IA)³ rescaling of a Linear's
// output per channel — forward (y · v) and, with dy in place of y, the input gradient (dy · v).
//   y [M, N] rows, vector [G, N]: G = 1 (one vector shared by all rows) or G = batch (per sequence, rows grouped
//   by sequence). One invocation per buffer entry (flat dispatch): tfjs declares the buffers array<f32>, or
//   array<vec4<f32>> when N is a multiple of 4 (src/core/kernels/ia3.ts); uniforms.N and uniforms.size count
//   entries, so the same code serves both.

fn main(index : i32) {
  if (index < uniforms.size) {
    let n = index % uniforms.N;
    let group = index / uniforms.N / uniforms.rowsPerGroup;
    result[index] = y[index] * vector[group * uniforms.N + n];
  }
}
