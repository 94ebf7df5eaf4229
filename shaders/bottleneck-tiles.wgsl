// bottleneck tiles: the workgroup-memory arithmetic shared by the row-tile programs of the bottleneck family
// (bottleneck-forward, bottleneck-backward-rows, bottleneck-backward-input). Each workgroup owns ROWS = 4·TPS rows
// (tokens) and all D bottleneck columns; two tile shapes recur:
//   reduce  z[r][j] = Σ_k in[r][k] · w[j][k]        wide → narrow   (x · W_downᵀ, and dy · W_up)
//   expand  out[r][n] = Σ_j hidden[r][j] · w[n][j]  narrow → wide   (a · W_upᵀ, and g_z · W_down)
// The calling program stages the operands in workgroup memory (stageX, stageReduceWeight, stageHidden,
// stageExpandWeight); the accumulate functions only read workgroup memory.
//
// Every thread (tx, ty) of the TPS × TPS workgroup owns the 4 rows ty + TPS·i (i < 4) of the tile, held as the
// components of one vec4, so a single vec4 load brings a thread its 4 rows' operand. Accumulators are named
// registers (c0 … c7, r0 … r3), never arrays indexed in loops: SwiftShader (and other compilers) keep those in
// memory, which measured 2–3× slower.
// The prelude (src/core/kernels/bottleneck-programs.ts) defines TPS, K_SLICE (= 4·TPS), D (≤ 8·TPS) and the
// reduce layout: J_LANES threads along j, each holding the J_PER_THREAD (≤ 8) columns jLane + J_LANES·c, and
// K_SPLIT = TPS / J_LANES threads splitting k when D < TPS (their partial sums meet in finishReduce).

const THREADS : i32 = TPS * TPS;
const ROWS : i32 = 4 * TPS;
const COLS : i32 = 4 * TPS;                   // output columns per expand chunk: tx + TPS·c, c < 4
const D_PAD : i32 = J_LANES * J_PER_THREAD;   // reduce columns incl. padding (staged as zeros)

// reduce: the input slice, [K_SLICE][TPS] vec4s of rows (ty, ty + TPS, ty + 2·TPS, ty + 3·TPS).
var<workgroup> xTile : array<vec4<f32>, K_SLICE * TPS>;
// reduce: the weight slice [D_PAD][K_SLICE].
var<workgroup> wTile : array<f32, D_PAD * K_SLICE>;
// expand: the weight chunk, [D][TPS] vec4s of output columns (tx, tx + TPS, tx + 2·TPS, tx + 3·TPS).
var<workgroup> chunk : array<vec4<f32>, D * TPS>;
// expand: the narrow operand [D][TPS] vec4s of rows: a = act(z) (forward) or g_z (input gradient).
var<workgroup> hidden : array<vec4<f32>, D * TPS>;

// Eight vec4 accumulators by name. In a reduce tile c<c>[i] ↔ row ty + TPS·i, column jLane() + J_LANES·c;
// bottleneck-weight-grads uses the same shape for its narrow columns.
struct ColumnAcc { c0 : vec4<f32>, c1 : vec4<f32>, c2 : vec4<f32>, c3 : vec4<f32>, c4 : vec4<f32>, c5 : vec4<f32>, c6 : vec4<f32>, c7 : vec4<f32> }
// A thread's expand accumulators: r<i>[c] ↔ row ty + TPS·i, column n0 + tx + TPS·c.
struct ExpandAcc { r0 : vec4<f32>, r1 : vec4<f32>, r2 : vec4<f32>, r3 : vec4<f32> }

fn tx() -> i32 { return i32(localId.x); }
fn ty() -> i32 { return i32(localId.y); }
fn flatId() -> i32 { return i32(localIndex); }
fn jLane() -> i32 { return tx() % J_LANES; }
fn kLane() -> i32 { return tx() / J_LANES; }
fn firstRow() -> i32 { return i32(workgroupId.x) * ROWS; }
// Global row of tile row r (0 … ROWS − 1) and where its value sits in a rows vec4: lane r % TPS, component r / TPS.
fn rowLane(r : i32) -> i32 { return r % TPS; }
fn rowComponent(r : i32) -> i32 { return r / TPS; }

fn stageX(kk : i32, r : i32, v : f32) { xTile[kk * TPS + rowLane(r)][rowComponent(r)] = v; }
fn stageReduceWeight(j : i32, kk : i32, v : f32) { wTile[j * K_SLICE + kk] = v; }
fn stageHidden(r : i32, j : i32, v : f32) { hidden[j * TPS + rowLane(r)][rowComponent(r)] = v; }
fn stageExpandWeight(c : i32, j : i32, v : f32) { chunk[j * TPS + c % TPS][c / TPS] = v; }

// Accumulator c of a ColumnAcc.
fn reduceColumn(acc : ptr<function, ColumnAcc>, c : i32) -> vec4<f32> {
  switch (c) {
    case 0: { return (*acc).c0; }
    case 1: { return (*acc).c1; }
    case 2: { return (*acc).c2; }
    case 3: { return (*acc).c3; }
    case 4: { return (*acc).c4; }
    case 5: { return (*acc).c5; }
    case 6: { return (*acc).c6; }
    default: { return (*acc).c7; }
  }
}

// Row i of an expand accumulator.
fn expandRow(acc : ExpandAcc, i : i32) -> vec4<f32> {
  switch (i) {
    case 0: { return acc.r0; }
    case 1: { return acc.r1; }
    case 2: { return acc.r2; }
    default: { return acc.r3; }
  }
}

// Adds one staged K_SLICE to the reduce accumulators (this thread's k: kLane() + K_SPLIT·t).
fn accumulateReduceSlice(acc : ptr<function, ColumnAcc>) {
  let row = ty();
  let stride = J_LANES * K_SLICE;
  for (var kk = kLane(); kk < K_SLICE; kk += K_SPLIT) {
    let x4 = xTile[kk * TPS + row];
    let w = jLane() * K_SLICE + kk;
    (*acc).c0 += x4 * wTile[w];
    if (J_PER_THREAD > 1) { (*acc).c1 += x4 * wTile[w + stride]; }
    if (J_PER_THREAD > 2) { (*acc).c2 += x4 * wTile[w + 2 * stride]; }
    if (J_PER_THREAD > 3) { (*acc).c3 += x4 * wTile[w + 3 * stride]; }
    if (J_PER_THREAD > 4) { (*acc).c4 += x4 * wTile[w + 4 * stride]; }
    if (J_PER_THREAD > 5) { (*acc).c5 += x4 * wTile[w + 5 * stride]; }
    if (J_PER_THREAD > 6) { (*acc).c6 += x4 * wTile[w + 6 * stride]; }
    if (J_PER_THREAD > 7) { (*acc).c7 += x4 * wTile[w + 7 * stride]; }
  }
}

// Sums the K_SPLIT partial accumulators into those of the kLane() == 0 threads. Call from uniform control flow,
// after the last slice's barrier.
fn finishReduce(acc : ptr<function, ColumnAcc>) {
  if (K_SPLIT == 1) { return; }
  // K_SPLIT > 1 only when D < TPS, so J_PER_THREAD == 1: partials [K_SPLIT][J_LANES][TPS] fit in xTile.
  xTile[(kLane() * J_LANES + jLane()) * TPS + ty()] = (*acc).c0;
  workgroupBarrier();
  if (kLane() == 0) {
    for (var s = 1; s < K_SPLIT; s++) { (*acc).c0 += xTile[(s * J_LANES + jLane()) * TPS + ty()]; }
  }
  workgroupBarrier();
}

// One expand chunk: Σ_j hidden[r][j] · w[n][j] for this thread's 4 rows and 4 columns of the staged chunk.
fn accumulateExpandChunk() -> ExpandAcc {
  var acc : ExpandAcc;
  let col = tx();
  let row = ty();
  for (var j = 0; j < D; j++) {
    let h = hidden[j * TPS + row];
    let w = chunk[j * TPS + col];
    acc.r0 += h.x * w;
    acc.r1 += h.y * w;
    acc.r2 += h.z * w;
    acc.r3 += h.w * w;
  }
  return acc;
}
