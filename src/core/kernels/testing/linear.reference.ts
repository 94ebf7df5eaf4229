/** Plain-loop float64 references for linear (y = x · Wᵀ + b), the yardstick of its tests. */

/**
 * @param x [m, k] row-major
 * @param w [n, k] row-major (torch layout)
 * @param b [n]
 * @returns y [m, n] row-major in float64
 */
export function linearReference(x: ArrayLike<number>, w: ArrayLike<number>, b: ArrayLike<number>, m: number, k: number, n: number): Float64Array {
  const y = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = b[j];
      for (let p = 0; p < k; p++) sum += x[i * k + p] * w[j * k + p];
      y[i * n + j] = sum;
    }
  }
  return y;
}

/**
 * Central finite differences of L = Σ linear(x, W, b) ⊙ dy with respect to every element of x, W and b, in
 * float64 (L is linear in each argument, so they are exact up to rounding).
 */
export function linearGradientsByFiniteDifferences(
  x: ArrayLike<number>, w: ArrayLike<number>, b: ArrayLike<number>, dy: ArrayLike<number>, m: number, k: number, n: number, h = 1e-3,
): { dx: Float64Array; dw: Float64Array; db: Float64Array } {
  const args = [Float64Array.from(x), Float64Array.from(w), Float64Array.from(b)];
  const loss = () => linearReference(args[0], args[1], args[2], m, k, n).reduce((s, v, i) => s + v * dy[i], 0);
  const [dx, dw, db] = args.map((arg) => {
    const grad = new Float64Array(arg.length);
    for (let i = 0; i < arg.length; i++) {
      const saved = arg[i];
      arg[i] = saved + h;
      const up = loss();
      arg[i] = saved - h;
      const down = loss();
      arg[i] = saved;
      grad[i] = (up - down) / (2 * h);
    }
    return grad;
  });
  return { dx, dw, db };
}
