/** The most requests within any `ms`-long window (a rate limit's ceiling is checked against it). */
export function peakPerWindow(times: number[], ms: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let peak = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i] - sorted[j] >= ms) j++;
    peak = Math.max(peak, i - j + 1);
  }
  return peak;
}
