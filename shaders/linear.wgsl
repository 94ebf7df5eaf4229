// linear: y = x · Wᵀ + b, the dense layer of every encoder block (torch.nn.Linear layout).
//   x [M, K] row-major input rows, W [N, K] row-major weight (out_features × in_features), b [N] bias,
//   y [M, N] output.
//
// This is the user part of a tfjs-backend-webgpu program: tfjs splices it after its generated header, which
// declares the output buffer `result`, the inputs `x`, `w`, `b` (array<f32>, in variableNames order), the
// uniforms `uniforms.M`, `uniforms.K`, `uniforms.N`, and the builtins `localId` and `workgroupId` (set by its
// `_start` entry point before it calls `main()`). Dispatched by src/core/kernels/linear.ts.
//
// Tiling: a 16×16 workgroup computes a 64×64 tile of y; each thread owns 4×4 outputs spaced 16 apart (so
// neighbouring threads read and write neighbouring columns). K is walked in slices of 16: the workgroup stages
// a 64×16 slice of x and of W in workgroup memory (8 KiB), then every thread accumulates its 16 outputs from
// it. Loads and stores are bounds-checked, so M, K and N need not be multiples of the tile.

const THREADS : i32 = 16;            // threads per side of the workgroup (workgroupSize 16×16×1)
const PER_THREAD : i32 = 4;          // outputs per thread along each of M and N
const TILE : i32 = 64;               // THREADS × PER_THREAD: rows of x / rows of W per workgroup tile
const TILE_K : i32 = 16;             // width of the K slice staged per step
const LOADS : i32 = 4;               // TILE × TILE_K / (THREADS × THREADS): elements each thread stages per matrix

var<workgroup> xTile : array<array<f32, TILE_K>, TILE>;  // [64 rows of x, 16 k]
var<workgroup> wTile : array<array<f32, TILE_K>, TILE>;  // [64 rows of W, 16 k]

fn main() {
  let M = uniforms.M;
  let K = uniforms.K;
  let N = uniforms.N;
  let col = i32(localId.x);                   // thread column in the workgroup, 0..15
  let row = i32(localId.y);                   // thread row in the workgroup, 0..15
  let flat = row * THREADS + col;             // 0..255
  let tileRow = i32(workgroupId.y) * TILE;    // first row of y (and x) of this tile
  let tileCol = i32(workgroupId.x) * TILE;    // first column of y (= row of W) of this tile

  var acc : array<array<f32, PER_THREAD>, PER_THREAD>;  // zero-initialised: acc[i][j] → y[row + 16i, col + 16j]
  let slices = (K + TILE_K - 1) / TILE_K;      // K slices of TILE_K
  for (var slice = 0; slice < slices; slice++) {
    let k0 = slice * TILE_K;
    for (var l = 0; l < LOADS; l++) {
      let e = flat + l * THREADS * THREADS;   // element of the 64×16 slice this thread stages
      let r = e / TILE_K;
      let c = e % TILE_K;
      let k = k0 + c;
      var xv = 0.0;
      if (tileRow + r < M && k < K) { xv = x[(tileRow + r) * K + k]; }
      xTile[r][c] = xv;
      var wv = 0.0;
      if (tileCol + r < N && k < K) { wv = w[(tileCol + r) * K + k]; }
      wTile[r][c] = wv;
    }
    workgroupBarrier();
    for (var c = 0; c < TILE_K; c++) {
      var wCol : array<f32, PER_THREAD>;
      for (var j = 0; j < PER_THREAD; j++) { wCol[j] = wTile[col + j * THREADS][c]; }
      for (var i = 0; i < PER_THREAD; i++) {
        let xv = xTile[row + i * THREADS][c];
        for (var j = 0; j < PER_THREAD; j++) { acc[i][j] += xv * wCol[j]; }
      }
    }
    workgroupBarrier();
  }

  for (var i = 0; i < PER_THREAD; i++) {
    let m = tileRow + row + i * THREADS;
    for (var j = 0; j < PER_THREAD; j++) {
      let n = tileCol + col + j * THREADS;
      if (m < M && n < N) { result[m * N + n] = acc[i][j] + b[n]; }
    }
  }
}
