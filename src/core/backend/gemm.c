// Single-precision GEMM for tfjs-backend-wasm's BatchMatMul (src/core/backend/wasm-gemm.ts), compiled by
// scripts/build-gemm.mjs into src/core/backend/gemm-binaries.ts.
//
// It runs inside tfjs' own wasm memory (imported), reading and writing tensors where they lie, so it must not touch
// linear memory of its own: no data segments and no C stack (no local arrays, nothing whose address is taken);
// build-gemm.mjs refuses a build that declares data or reads the stack pointer.
//
// The product is blocked as in GotoBLAS: for each KC-deep slice of k and each NR-wide strip of columns, the strip
// of B is packed once into a KC × NR panel (8 KB, stays in L1), then every MR rows of A multiply it in a 5 × 8
// register tile (10 SIMD accumulators). A and B are read through strides, so a transposed operand costs no copy.
// Measured on this project's 2-core Xeon (best of 15, V8 11.3): 29-32 GFLOP/s at bert-base's products, 23-30 at
// attention's, against 33 for a loop of nothing but independent fused multiply-adds. A 6 × 8 tile spills an
// accumulator (V8 leaves 15 xmm registers to wasm code: 24 GFLOP/s); packing A as well, or 4 rows, measured slower.
#include <wasm_simd128.h>

#ifdef RELAXED
#define MADD(a, b, c) wasm_f32x4_relaxed_madd(a, b, c)
#else
#define MADD(a, b, c) wasm_f32x4_add(wasm_f32x4_mul(a, b), c)
#endif

#define MR 5
#define NR 8
#define KC 256

static inline __attribute__((always_inline)) void pack_b(const float *b, int sbk, int sbn, int kc, int nr, float *panel) {
  if (nr == NR && sbn == 1) {
    for (int k = 0; k < kc; k++) {
      const float *row = b + k * sbk;
      wasm_v128_store(panel + k * NR, wasm_v128_load(row));
      wasm_v128_store(panel + k * NR + 4, wasm_v128_load(row + 4));
    }
    return;
  }
  for (int k = 0; k < kc; k++) {
    for (int j = 0; j < NR; j++) panel[k * NR + j] = j < nr ? b[k * sbk + j * sbn] : 0.0f;
  }
}

static inline __attribute__((always_inline)) void micro(
    int mr, const float *a, int sam, int sak, const float *panel, int kc, float *c, int ldc, int nr, int first) {
  v128_t acc[MR][2];
  _Pragma("clang loop unroll(full)") for (int i = 0; i < MR; i++) {
    acc[i][0] = wasm_f32x4_splat(0.0f);
    acc[i][1] = wasm_f32x4_splat(0.0f);
  }
  for (int k = 0; k < kc; k++) {
    v128_t b0 = wasm_v128_load(panel + k * NR);
    v128_t b1 = wasm_v128_load(panel + k * NR + 4);
    _Pragma("clang loop unroll(full)") for (int i = 0; i < MR; i++) {
      if (i < mr) {
        v128_t ai = wasm_v128_load32_splat(a + i * sam + k * sak);
        acc[i][0] = MADD(ai, b0, acc[i][0]);
        acc[i][1] = MADD(ai, b1, acc[i][1]);
      }
    }
  }
  _Pragma("clang loop unroll(full)") for (int i = 0; i < MR; i++) {
    if (i < mr) {
      float *ci = c + i * ldc;
      if (nr == NR) {
        if (!first) {
          acc[i][0] = wasm_f32x4_add(acc[i][0], wasm_v128_load(ci));
          acc[i][1] = wasm_f32x4_add(acc[i][1], wasm_v128_load(ci + 4));
        }
        wasm_v128_store(ci, acc[i][0]);
        wasm_v128_store(ci + 4, acc[i][1]);
      } else {
        // Lane by lane with constant lane numbers: a lanes[] array would live on a C stack in linear memory,
        // which is tfjs's heap here.
#define EDGE(j, v, l) if (j < nr) ci[j] = first ? wasm_f32x4_extract_lane(v, l) : ci[j] + wasm_f32x4_extract_lane(v, l)
        EDGE(0, acc[i][0], 0); EDGE(1, acc[i][0], 1); EDGE(2, acc[i][0], 2); EDGE(3, acc[i][0], 3);
        EDGE(4, acc[i][1], 0); EDGE(5, acc[i][1], 1); EDGE(6, acc[i][1], 2); EDGE(7, acc[i][1], 3);
#undef EDGE
      }
    }
  }
}

static __attribute__((noinline)) void rows(int mr, const float *a, int sam, int sak, const float *panel, int kc, float *c, int ldc, int nr, int first) {
  switch (mr) {
    case 5: micro(5, a, sam, sak, panel, kc, c, ldc, nr, first); break;
    case 4: micro(4, a, sam, sak, panel, kc, c, ldc, nr, first); break;
    case 3: micro(3, a, sam, sak, panel, kc, c, ldc, nr, first); break;
    case 2: micro(2, a, sam, sak, panel, kc, c, ldc, nr, first); break;
    default: micro(1, a, sam, sak, panel, kc, c, ldc, nr, first); break;
  }
}

/**
 * For each of `batch` products: C (M×N, row-major, contiguous) = A · B, where element (m, k) of A sits at
 * a + m·sam + k·sak and element (k, n) of B at b + k·sbk + n·sbn (strides in floats), so transposed operands
 * need no copy. Batch i reads A at a + i·batchA and B at b + i·batchB (0 broadcasts one matrix).
 * `panel` is scratch for KC × NR floats, 16-byte aligned.
 */
__attribute__((export_name("gemm")))
void gemm(const float *a, const float *b, float *c, int batch, int M, int N, int K,
          int sam, int sak, int sbk, int sbn, int batchA, int batchB, float *panel) {
  for (int p = 0; p < batch; p++) {
    const float *ap = a + p * batchA;
    const float *bp = b + p * batchB;
    float *cp = c + p * M * N;
    if (K == 0) {
      for (int i = 0; i < M * N; i++) cp[i] = 0.0f;
      continue;
    }
    for (int k0 = 0; k0 < K; k0 += KC) {
      int kc = K - k0 < KC ? K - k0 : KC;
      for (int n0 = 0; n0 < N; n0 += NR) {
        int nr = N - n0 < NR ? N - n0 : NR;
        pack_b(bp + k0 * sbk + n0 * sbn, sbk, sbn, kc, nr, panel);
        for (int m0 = 0; m0 < M; m0 += MR) {
          int mr = M - m0 < MR ? M - m0 : MR;
          rows(mr, ap + m0 * sam + k0 * sak, sam, sak, panel, kc, cp + m0 * N + n0, N, nr, k0 == 0);
        }
      }
    }
  }
}
