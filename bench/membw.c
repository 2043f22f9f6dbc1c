/* Read bandwidth of this machine (GB/s): the bound for memory-bound decoding. Sums a 1 GiB float array (vectorised: -O3 -march=native -ffast-math) with
   OMP_NUM_THREADS threads, best of 5 passes after one warm-up; prints one number. Used by bench/scale.ts. */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

int main(void) {
  const size_t n = (size_t)1 << 28; /* 2^28 floats = 1 GiB */
  float *a = malloc(n * sizeof(float));
  if (!a) return 1;
#pragma omp parallel for
  for (size_t i = 0; i < n; i++) a[i] = (float)(i & 1023);
  double best = 0;
  float sink = 0;
  for (int pass = 0; pass < 6; pass++) {
    double t0 = omp_get_wtime();
    float s = 0;
#pragma omp parallel for reduction(+ : s)
    for (size_t i = 0; i < n; i++) s += a[i];
    double gbs = n * sizeof(float) / (omp_get_wtime() - t0) / 1e9;
    sink += s;
    if (pass > 0 && gbs > best) best = gbs;
  }
  printf("%.2f\n", best);
  return sink == -1.0f; /* keeps the sums live */
}
