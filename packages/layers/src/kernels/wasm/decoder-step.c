// One decoder layer for one new token per row, in WebAssembly with 128-bit SIMD: the same steps, in the same
// order, as ../decoder-step.ts (the JavaScript kernel, whose reference is the layer's composite path), with the
// products summed in float32 four lanes at a time. It runs inside tfjs-backend-wasm's own memory (imported, not
// copied): every pointer below is a byte offset into the backend's heap, and `scratch` is a block the caller
// allocated there. The module must not own memory of its own: no static data, no libc, no shadow stack (the
// build script checks the binary for all three). Build: scripts/build-wasm.sh (clang and wasm-ld, LLVM ≥ 14).

#include <wasm_simd128.h>

typedef v128_t f32x4;

static inline float hsum(f32x4 v) {
  return wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 1) + wasm_f32x4_extract_lane(v, 2) +
         wasm_f32x4_extract_lane(v, 3);
}

// e^x for four lanes: x = n·ln2 + r with |r| ≤ ln2/2, e^r by Cephes' degree-6 polynomial (~1 ulp), 2^n built in
// the exponent bits. Below -87.3 (e^x under float32's normal range, and -∞) gives 0, above 88.7 gives +∞.
static inline f32x4 exp4(f32x4 x) {
  const f32x4 hi = wasm_f32x4_splat(88.7f), lo = wasm_f32x4_splat(-87.3f);
  f32x4 xc = wasm_f32x4_pmin(wasm_f32x4_pmax(x, lo), hi);
  f32x4 n = wasm_f32x4_floor(wasm_f32x4_add(wasm_f32x4_mul(xc, wasm_f32x4_splat(1.44269504088896341f)),
                                            wasm_f32x4_splat(0.5f)));
  f32x4 r = wasm_f32x4_sub(xc, wasm_f32x4_mul(n, wasm_f32x4_splat(0.693359375f)));
  r = wasm_f32x4_sub(r, wasm_f32x4_mul(n, wasm_f32x4_splat(-2.12194440e-4f)));
  f32x4 p = wasm_f32x4_splat(1.9875691500e-4f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.3981999507e-3f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(8.3334519073e-3f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(4.1665795894e-2f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.6666665459e-1f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(5.0000001201e-1f));
  f32x4 y = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_mul(p, r), r), r), wasm_f32x4_splat(1.0f));
  // 2^n for n in [-126, 128]: n = 128 (x near 88.7) is built as 2^127 · 2
  v128_t ni = wasm_i32x4_trunc_sat_f32x4(n);
  v128_t big = wasm_i32x4_gt(ni, wasm_i32x4_splat(127));
  ni = wasm_i32x4_sub(ni, wasm_v128_and(big, wasm_i32x4_splat(1)));
  f32x4 scale = wasm_i32x4_shl(wasm_i32x4_add(ni, wasm_i32x4_splat(127)), 23);
  y = wasm_f32x4_mul(y, scale);
  y = wasm_v128_bitselect(wasm_f32x4_add(y, y), y, big);
  y = wasm_v128_bitselect(wasm_f32x4_splat(0.0f), y, wasm_f32x4_le(x, lo));
  return wasm_v128_bitselect(wasm_f32x4_splat(__builtin_inff()), y, wasm_f32x4_gt(x, hi));
}

static inline float exp1(float x) { return wasm_f32x4_extract_lane(exp4(wasm_f32x4_splat(x)), 0); }

// out = x · rsqrt(mean(x²) + eps) · gains
static void rms_norm(const float *x, const float *gains, int dim, float eps, float *out) {
  f32x4 acc = wasm_f32x4_splat(0.0f);
  int d = 0;
  for (; d + 4 <= dim; d += 4) {
    f32x4 v = wasm_v128_load(x + d);
    acc = wasm_f32x4_add(acc, wasm_f32x4_mul(v, v));
  }
  float sum = hsum(acc);
  for (; d < dim; d++) sum += x[d] * x[d];
  float scale = 1.0f / __builtin_sqrtf(sum / (float)dim + eps);
  f32x4 s = wasm_f32x4_splat(scale);
  for (d = 0; d + 4 <= dim; d += 4) {
    wasm_v128_store(out + d, wasm_f32x4_mul(wasm_f32x4_mul(wasm_v128_load(x + d), s), wasm_v128_load(gains + d)));
  }
  for (; d < dim; d++) out[d] = x[d] * scale * gains[d];
}

// out[0..width) = x[0..rows) · w, w [rows, width] row-major; sixteen outputs at a time held in registers
static void project(const float *x, int rows, const float *w, int width, float *out) {
  int j = 0;
  for (; j + 16 <= width; j += 16) {
    f32x4 a0 = wasm_f32x4_splat(0.0f), a1 = a0, a2 = a0, a3 = a0;
    const float *row = w + j;
    for (int i = 0; i < rows; i++, row += width) {
      f32x4 xi = wasm_f32x4_splat(x[i]);
      a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(xi, wasm_v128_load(row)));
      a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(xi, wasm_v128_load(row + 4)));
      a2 = wasm_f32x4_add(a2, wasm_f32x4_mul(xi, wasm_v128_load(row + 8)));
      a3 = wasm_f32x4_add(a3, wasm_f32x4_mul(xi, wasm_v128_load(row + 12)));
    }
    wasm_v128_store(out + j, a0);
    wasm_v128_store(out + j + 4, a1);
    wasm_v128_store(out + j + 8, a2);
    wasm_v128_store(out + j + 12, a3);
  }
  for (; j + 4 <= width; j += 4) {
    f32x4 a = wasm_f32x4_splat(0.0f);
    const float *row = w + j;
    for (int i = 0; i < rows; i++, row += width) {
      a = wasm_f32x4_add(a, wasm_f32x4_mul(wasm_f32x4_splat(x[i]), wasm_v128_load(row)));
    }
    wasm_v128_store(out + j, a);
  }
  for (; j < width; j++) {
    float a = 0.0f;
    for (int i = 0; i < rows; i++) a += x[i] * w[i * width + j];
    out[j] = a;
  }
}

// One head's rotary embedding, pairs (2i, 2i + 1) rotated by the position's angles: the layout of ../rotary-heads.ts
static void rotate(const float *x, float *out, const float *cos, const float *sin, int head_dim, float scale) {
  for (int d = 0; d < head_dim; d += 2) {
    float even = x[d], odd = x[d + 1];
    out[d] = (even * cos[d] + -odd * sin[d]) * scale;
    out[d + 1] = (odd * cos[d + 1] + even * sin[d + 1]) * scale;
  }
}

static float dot(const float *a, const float *b, int n) {
  f32x4 acc = wasm_f32x4_splat(0.0f);
  int d = 0;
  for (; d + 4 <= n; d += 4) acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_v128_load(a + d), wasm_v128_load(b + d)));
  float sum = hsum(acc);
  for (; d < n; d++) sum += a[d] * b[d];
  return sum;
}

// out[d] = scale · Σ_j weights[j] · values[j · head_dim + d]
static void weighted_sum(const float *weights, const float *values, int head_dim, int length, float scale,
                         float *out) {
  int d = 0;
  for (; d + 4 <= head_dim; d += 4) {
    f32x4 acc = wasm_f32x4_splat(0.0f);
    const float *v = values + d;
    for (int j = 0; j < length; j++, v += head_dim) {
      acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_f32x4_splat(weights[j]), wasm_v128_load(v)));
    }
    wasm_v128_store(out + d, wasm_f32x4_mul(acc, wasm_f32x4_splat(scale)));
  }
  for (; d < head_dim; d++) {
    float acc = 0.0f;
    for (int j = 0; j < length; j++) acc += weights[j] * values[j * head_dim + d];
    out[d] = acc * scale;
  }
}

// scores[0..n) = e^(scores − max), returning their sum
static float softmax_numerators(float *scores, int n) {
  float max = -__builtin_inff();
  for (int j = 0; j < n; j++) max = scores[j] > max ? scores[j] : max;
  f32x4 m = wasm_f32x4_splat(max), total = wasm_f32x4_splat(0.0f);
  int j = 0;
  for (; j + 4 <= n; j += 4) {
    f32x4 e = exp4(wasm_f32x4_sub(wasm_v128_load(scores + j), m));
    wasm_v128_store(scores + j, e);
    total = wasm_f32x4_add(total, e);
  }
  float sum = hsum(total);
  for (; j < n; j++) {
    scores[j] = exp1(scores[j] - max);
    sum += scores[j];
  }
  return sum;
}

// gate[i] = silu(gate[i]) · up[i]
static void swiglu(float *gate, const float *up, int n) {
  const f32x4 one = wasm_f32x4_splat(1.0f);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    f32x4 g = wasm_v128_load(gate + i);
    f32x4 sigmoid = wasm_f32x4_div(one, wasm_f32x4_add(one, exp4(wasm_f32x4_neg(g))));
    wasm_v128_store(gate + i, wasm_f32x4_mul(wasm_f32x4_mul(g, sigmoid), wasm_v128_load(up + i)));
  }
  for (; i < n; i++) gate[i] = gate[i] * (1.0f / (1.0f + exp1(-gate[i]))) * up[i];
}

// Shapes as ../decoder-step.ts checks them: h and out [B, dim]; weights [in, out]; keys and values
// [B, n_kv_heads, room, head_dim] (the token's go in at `offset`); cos and sin [tables_batch, 1, 1, head_dim];
// mask [mask_batch, 1, 1, offset + 1] or 0 for none. scratch: at least
// 2·dim + 3·n_heads·head_dim + 2·n_kv_heads·head_dim + 2·hidden + room floats.
__attribute__((export_name("decoder_step"))) void decoder_step(
    float *out, const float *h, const float *attention_norm, const float *wq, const float *wk, const float *wv,
    const float *wo, const float *feed_forward_norm, const float *w_gate, const float *w_up, const float *w_down,
    float *keys, float *values, const float *cos, const float *sin, const float *mask, float *scratch, int B,
    int dim, int n_heads, int n_kv_heads, int head_dim, int hidden, int room, int offset, int tables_batch,
    int mask_batch, float eps) {
  const int q_width = n_heads * head_dim, kv_width = n_kv_heads * head_dim, group = n_heads / n_kv_heads;
  const int key_length = offset + 1;
  float *normed = scratch, *q = normed + dim, *rotated = q + q_width, *k = rotated + q_width;
  float *v = k + kv_width, *merged = v + kv_width, *residual = merged + q_width, *gate = residual + dim;
  float *up = gate + hidden, *scores = up + hidden;
  const float query_scale = 1.0f / __builtin_sqrtf((float)head_dim);
  for (int b = 0; b < B; b++) {
    const float *x = h + b * dim;
    const float *cos_row = cos + (tables_batch == 1 ? 0 : b) * head_dim;
    const float *sin_row = sin + (tables_batch == 1 ? 0 : b) * head_dim;
    // attention: normed → q, k, v → rotated q (scaled) and k → the cache → merged heads → residual
    rms_norm(x, attention_norm, dim, eps, normed);
    project(normed, dim, wq, q_width, q);
    project(normed, dim, wk, kv_width, k);
    project(normed, dim, wv, kv_width, v);
    for (int head = 0; head < n_heads; head++) {
      rotate(q + head * head_dim, rotated + head * head_dim, cos_row, sin_row, head_dim, query_scale);
    }
    for (int kv = 0; kv < n_kv_heads; kv++) {
      const int at = ((b * n_kv_heads + kv) * room + offset) * head_dim;
      rotate(k + kv * head_dim, keys + at, cos_row, sin_row, head_dim, 1.0f);
      for (int d = 0; d < head_dim; d++) values[at + d] = v[kv * head_dim + d];
    }
    for (int head = 0; head < n_heads; head++) {
      const int block = (b * n_kv_heads + head / group) * room * head_dim;
      const float *query = rotated + head * head_dim;
      for (int j = 0; j < key_length; j++) scores[j] = dot(query, keys + block + j * head_dim, head_dim);
      if (mask) {
        const float *mask_row = mask + (mask_batch == 1 ? 0 : b) * key_length;
        for (int j = 0; j < key_length; j++) scores[j] += mask_row[j];
      }
      const float sum = softmax_numerators(scores, key_length);
      weighted_sum(scores, values + block, head_dim, key_length, 1.0f / sum, merged + head * head_dim);
    }
    project(merged, q_width, wo, dim, residual);
    for (int d = 0; d < dim; d++) residual[d] += x[d];
    // feed-forward: normed → silu(gate) ⊙ up → down → residual
    rms_norm(residual, feed_forward_norm, dim, eps, normed);
    project(normed, dim, w_gate, hidden, gate);
    project(normed, dim, w_up, hidden, up);
    swiglu(gate, up, hidden);
    float *row = out + b * dim;
    project(gate, hidden, w_down, dim, row);
    for (int d = 0; d < dim; d++) row[d] += residual[d];
  }
}
