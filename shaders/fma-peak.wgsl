// fma peak: a multiply-add throughput probe, the yardstick the kernel bench (src/core/kernels/bench.ts) divides
// achieved GFLOP/s by. Each invocation runs 8 independent vec4 multiply-add chains (enough to hide latency on GPUs
// and to fill SIMD lanes on CPU implementations such as SwiftShader) for uniforms.iterations rounds, two steps per
// round: 8 · 4 · 2 · 2 = 128 FLOP per round. The result is written so the work cannot be optimised away.
//   seed [64] any values; result [workgroups, 64].

fn main() {
  let s = seed[localIndex % 64u];
  var a = vec4<f32>(s, s + 1.0, s + 2.0, s + 3.0);
  var b = a + 0.5;
  var c = a + 1.5;
  var d = a + 2.5;
  var e = a + 3.5;
  var f = a + 4.5;
  var g = a + 5.5;
  var h = a + 6.5;
  let m = vec4<f32>(0.9999);
  let k = vec4<f32>(0.0001);
  for (var i = 0; i < uniforms.iterations; i++) {
    a = a * m + k; b = b * m + k; c = c * m + k; d = d * m + k;
    e = e * m + k; f = f * m + k; g = g * m + k; h = h * m + k;
    a = a * m + k; b = b * m + k; c = c * m + k; d = d * m + k;
    e = e * m + k; f = f * m + k; g = g * m + k; h = h * m + k;
  }
  let sum = a + b + c + d + e + f + g + h;
  result[workgroupId.x * 64u + localIndex] = sum.x + sum.y + sum.z + sum.w;
}
