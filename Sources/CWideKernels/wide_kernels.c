#include "wide_kernels.h"

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

bool qd_wide_kernels_available(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE)) return false;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || !(b & bit_AVX512F)) return false;
    unsigned lo, hi;
    __asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (lo & 0xE6) == 0xE6;  // XMM, YMM, opmask, ZMM_Hi256 and Hi16_ZMM state enabled
}

#define WIDE __attribute__((target("avx512f"), always_inline)) static inline
/// Before a loop whose trip count is a constant once its function is inlined: unrolled fully, so
/// that its array of vectors lives in registers (SwiftPM compiles C at -O2, whose unrolling can
/// stop short of that and leave the accumulators in memory).
#define UNROLLED _Pragma("clang loop unroll(full)")

/// r[i] lane j ↔ r[j] lane i: a 16 × 16 tile in sixteen registers, transposed by 64 shuffles
/// (pairs of rows interleaved by 32-bit, then 64-bit, then 128-bit, then 256-bit lanes).
WIDE void transpose16(__m512 r[16]) {
    __m512 t[16];
    UNROLLED for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
#define PD(v) _mm512_castps_pd(v)
    UNROLLED for (int i = 0; i < 16; i += 4) {
        r[i] = _mm512_castpd_ps(_mm512_unpacklo_pd(PD(t[i]), PD(t[i + 2])));
        r[i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(PD(t[i]), PD(t[i + 2])));
        r[i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(PD(t[i + 1]), PD(t[i + 3])));
        r[i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(PD(t[i + 1]), PD(t[i + 3])));
    }
#undef PD
    UNROLLED for (int h = 0; h < 16; h += 8) {
        UNROLLED for (int k = 0; k < 4; k++) {
            t[h + k] = _mm512_shuffle_f32x4(r[h + k], r[h + k + 4], 0x88);
            t[h + k + 4] = _mm512_shuffle_f32x4(r[h + k], r[h + k + 4], 0xdd);
        }
    }
    UNROLLED for (int k = 0; k < 8; k++) {
        r[k] = _mm512_shuffle_f32x4(t[k], t[k + 8], 0x88);
        r[k + 8] = _mm512_shuffle_f32x4(t[k], t[k + 8], 0xdd);
    }
}

/// planes[o·positions + p + t] = bias[o] + acc[t][o] for t < R (R ≤ 12) and the sixteen channels
/// o: the R vectors of channels, transposed in registers into sixteen rows of R positions.
WIDE void store_positions(const __m512 *acc, const float *bias, long positions, long p, int R, float *planes) {
    __m512 b = bias ? _mm512_loadu_ps(bias) : _mm512_setzero_ps(), tile[16];
    UNROLLED for (int t = 0; t < 16; t++) tile[t] = t < R ? (bias ? _mm512_add_ps(b, acc[t]) : acc[t]) : _mm512_setzero_ps();
    transpose16(tile);
    __mmask16 inside = (__mmask16)((1u << R) - 1);
    UNROLLED for (int o = 0; o < 16; o++) _mm512_mask_storeu_ps(planes + o * positions + p, inside, tile[o]);
}

/// Output positions p ..< p + R of one output row (R ≤ 12, a constant where it is called), every
/// channel: R chains, each tap loading its weight vector once for the R inputs under it.
WIDE void forward_row(const float *source, const float *wt, const float *bias, const long *taps, long patch,
                      long positions, long p, int R, float *planes) {
    __m512 acc[12];
    for (int t = 0; t < R; t++) acc[t] = _mm512_setzero_ps();
    for (long tap = 0; tap < patch; tap++) {
        const float *s = source + taps[tap];
        __m512 weights = _mm512_loadu_ps(wt + tap * 16);
        for (int t = 0; t < R; t++) acc[t] = _mm512_fmadd_ps(weights, _mm512_set1_ps(s[t]), acc[t]);
    }
    store_positions(acc, bias, positions, p, R, planes);
}

/// forward_row for a kernel five wide: each kernel row (c, ki) broadcasts the R + 4 inputs under
/// it once for its five taps (R accumulators, R + 4 inputs and a weight vector fit in the 32
/// registers), instead of each tap broadcasting its R. The chains are the same: taps in order.
WIDE void forward_row_five(const float *source, const float *wt, const float *bias, const long *taps, long patch,
                           long positions, long p, int R, float *planes) {
    __m512 acc[12];
    UNROLLED for (int t = 0; t < R; t++) acc[t] = _mm512_setzero_ps();
    for (long row = 0; row < patch / 5; row++) {
        const float *s = source + taps[row * 5];
        __m512 inputs[16];
        UNROLLED for (int m = 0; m < R + 4; m++) inputs[m] = _mm512_set1_ps(s[m]);
        UNROLLED for (int kj = 0; kj < 5; kj++) {
            __m512 weights = _mm512_loadu_ps(wt + (row * 5 + kj) * 16);
            UNROLLED for (int t = 0; t < R; t++) acc[t] = _mm512_fmadd_ps(weights, inputs[t + kj], acc[t]);
        }
    }
    store_positions(acc, bias, positions, p, R, planes);
}

__attribute__((target("avx512f")))
void qd_lane_forward_f32(const float *x, const float *wt, const float *bias, const long *taps, long patch, long kernel_width,
                         long image_size, long width, long out_height, long out_width, long first, long end, float *out) {
    long positions = out_height * out_width;
    for (long n = first; n < end; n++) {
        const float *image = x + n * image_size;
        float *planes = out + n * 16 * positions;
        for (long i = 0; i < out_height; i++) {
            for (long j = 0; j < out_width; j += 12) {
                const float *source = image + i * width + j;
                long p = i * out_width + j;
                switch (out_width - j < 12 ? out_width - j : 12) {
#define ROW(R) case R: \
    if (kernel_width == 5) forward_row_five(source, wt, bias, taps, patch, positions, p, R, planes); \
    else forward_row(source, wt, bias, taps, patch, positions, p, R, planes); \
    break;
                ROW(1) ROW(2) ROW(3) ROW(4) ROW(5) ROW(6) ROW(7) ROW(8) ROW(9) ROW(10) ROW(11) ROW(12)
#undef ROW
                }
            }
        }
    }
}

/// cols[tap0 + t, column ..< column + 16] for taps tap0 ..< tap0 + R (R ≤ 12, a constant where it
/// is called): R chains over the outputs, each output loading its ∂y vector once for the R taps.
WIDE void column_tile(const float *dy, const float *w, long patch, long columns, long tap0, long column, int R, float *cols) {
    __m512 acc[12];
    for (int t = 0; t < R; t++) acc[t] = _mm512_setzero_ps();
    for (long o = 0; o < 16; o++) {
        __m512 d = _mm512_loadu_ps(dy + o * columns + column);
        const float *weights = w + o * patch + tap0;
        for (int t = 0; t < R; t++) acc[t] = _mm512_fmadd_ps(d, _mm512_set1_ps(weights[t]), acc[t]);
    }
    for (int t = 0; t < R; t++) _mm512_storeu_ps(cols + (tap0 + t) * columns + column, acc[t]);
}

__attribute__((target("avx512f")))
void qd_lane_columns_f32(const float *dy, const float *w, long patch, long columns, float *cols) {
    for (long tap0 = 0; tap0 < patch; tap0 += 12) {
        for (long column = 0; column < columns; column += 16) {
            switch (patch - tap0 < 12 ? patch - tap0 : 12) {
#define TILE(R) case R: column_tile(dy, w, patch, columns, tap0, column, R, cols); break;
            TILE(1) TILE(2) TILE(3) TILE(4) TILE(5) TILE(6) TILE(7) TILE(8) TILE(9) TILE(10) TILE(11) TILE(12)
#undef TILE
            }
        }
    }
}

/// Input row i of channels c ..< c + R (R ≤ 6, a constant where it is called), vector v of
/// sixteen columns: R sums side by side, each tap adding the lanes it reaches (the others are
/// loaded as +0, which changes nothing).
WIDE void input_row_tile(const float *cols, long columns, long kernel_height, long kernel_width, long height, long width,
                         long out_height, long out_width, long c, int R, long i, long v, float *image) {
    __m512 sum[6];
    for (int r = 0; r < R; r++) sum[r] = _mm512_setzero_ps();
    long plane = kernel_height * kernel_width * columns;
    long first_ki = i - out_height + 1 > 0 ? i - out_height + 1 : 0, last_ki = kernel_height - 1 < i ? kernel_height - 1 : i;
    for (long ki = first_ki; ki <= last_ki; ki++) {
        for (long kj = 0; kj < kernel_width; kj++) {
            // lanes j with 0 ≤ 16v + j − kj < Wo
            long lo = kj - 16 * v, hi = kj - 16 * v + out_width;
            lo = lo < 0 ? 0 : lo;
            hi = hi > 16 ? 16 : hi;
            if (hi <= lo) continue;
            __mmask16 inside = (__mmask16)(((1u << hi) - 1) & ~((1u << lo) - 1));
            const float *tap = cols + ((c * kernel_height + ki) * kernel_width + kj) * columns + (i - ki) * out_width + 16 * v - kj;
            for (int r = 0; r < R; r++) sum[r] = _mm512_add_ps(sum[r], _mm512_maskz_loadu_ps(inside, tap + r * plane));
        }
    }
    long count = width - 16 * v < 16 ? width - 16 * v : 16;
    __mmask16 stored = (__mmask16)((1u << count) - 1);
    for (int r = 0; r < R; r++) _mm512_mask_storeu_ps(image + ((c + r) * height + i) * width + 16 * v, stored, sum[r]);
}

__attribute__((target("avx512f")))
void qd_lane_input_rows_f32(const float *cols, long columns, long channels, long kernel_height, long kernel_width, long height,
                            long width, long out_height, long out_width, float *image) {
    long vectors = (width + 15) / 16;
    for (long c = 0; c < channels; c += 6) {
        for (long i = 0; i < height; i++) {
            for (long v = 0; v < vectors; v++) {
                switch (channels - c < 6 ? channels - c : 6) {
#define TILE(R) case R: input_row_tile(cols, columns, kernel_height, kernel_width, height, width, out_height, out_width, c, R, i, v, image); break;
                TILE(1) TILE(2) TILE(3) TILE(4) TILE(5) TILE(6)
#undef TILE
                }
            }
        }
    }
}

__attribute__((target("avx512f")))
void qd_transpose16_f32(const float *a, long columns, float *t) {
    for (long q = 0; q < columns; q += 16) {
        long count = columns - q < 16 ? columns - q : 16;
        __mmask16 inside = (__mmask16)((1u << count) - 1);
        __m512 block[16];
        UNROLLED for (int r = 0; r < 16; r++) block[r] = _mm512_maskz_loadu_ps(inside, a + r * columns + q);
        transpose16(block);
        for (long k = 0; k < count; k++) _mm512_storeu_ps(t + (q + k) * 16, block[k]);
    }
}

/// Positions j ..< j + J of one output row (J ≤ 4) for kernel rows r ..< r + ROWS (ROWS ≤ 2), KW
/// taps each (KW ≤ 6): J ∂y vectors, and each input under them broadcast once for the taps over
/// it. Each chain still takes the positions in order.
WIDE void weight_block(const float *s0, const float *s1, const float *d, int J, int ROWS, int KW, __m512 *acc) {
    __m512 dy[4];
    UNROLLED for (int jj = 0; jj < J; jj++) dy[jj] = _mm512_loadu_ps(d + 16 * jj);
    UNROLLED for (int row = 0; row < ROWS; row++) {
        const float *s = row == 0 ? s0 : s1;
        __m512 inputs[9];
        UNROLLED for (int m = 0; m < J + KW - 1; m++) inputs[m] = _mm512_set1_ps(s[m]);
        UNROLLED for (int jj = 0; jj < J; jj++)
            UNROLLED for (int kj = 0; kj < KW; kj++) acc[row * KW + kj] = _mm512_fmadd_ps(dy[jj], inputs[jj + kj], acc[row * KW + kj]);
    }
}

/// Kernel rows r ..< r + ROWS (ROWS ≤ 2) of one image, KW taps each (KW ≤ 6; both constants where
/// it is called): ROWS·KW chains over the positions, four positions at a time.
WIDE void weight_tile(const float *x, const float *dyt, const long *row_offsets, long r, int ROWS, int KW,
                      long width, long out_height, long out_width, float *dwt) {
    __m512 acc[12];
    UNROLLED for (int t = 0; t < ROWS * KW; t++) acc[t] = _mm512_setzero_ps();
    const float *d = dyt;
    for (long i = 0; i < out_height; i++) {
        const float *s0 = x + row_offsets[r] + i * width;
        const float *s1 = x + row_offsets[ROWS > 1 ? r + 1 : r] + i * width;
        long j = 0;
        for (; j + 4 <= out_width; j += 4, d += 64) weight_block(s0 + j, s1 + j, d, 4, ROWS, KW, acc);
        for (; j < out_width; j++, d += 16) weight_block(s0 + j, s1 + j, d, 1, ROWS, KW, acc);
    }
    UNROLLED for (int t = 0; t < ROWS * KW; t++) {
        float *target = dwt + (r * KW + t) * 16;
        _mm512_storeu_ps(target, _mm512_add_ps(_mm512_loadu_ps(target), acc[t]));
    }
}

__attribute__((target("avx512f")))
void qd_lane_weight_gradient_f32(const float *x, const float *dyt, const long *row_offsets, long kernel_rows, long kernel_width,
                                 long width, long out_height, long out_width, float *dwt) {
    for (long r = 0; r < kernel_rows; r += 2) {
        int rows = kernel_rows - r < 2 ? 1 : 2;
        switch (kernel_width * 2 + rows - 1) {
#define TILE(KW, ROWS) case KW * 2 + ROWS - 1: weight_tile(x, dyt, row_offsets, r, ROWS, KW, width, out_height, out_width, dwt); break;
        TILE(1, 1) TILE(1, 2) TILE(2, 1) TILE(2, 2) TILE(3, 1) TILE(3, 2) TILE(4, 1) TILE(4, 2) TILE(5, 1) TILE(5, 2) TILE(6, 1) TILE(6, 2)
#undef TILE
        }
    }
}

/// The chains of output channels o ..< o + R (R ≤ 6) of output rows i ..< i + H, vectors
/// v ..< v + V (V ≤ 2) of sixteen columns, into acc[(r·H + h)·V + k] (all constants where it is
/// called; R·H·V ≤ 24): each chain starts at its channel's bias (0 when `bias` is NULL) and adds
/// the taps in (c, ki, kj) order, each tap loading its H·V input vectors once for the R channels'
/// weights. Every caller sums y this way, so their values agree bit for bit.
WIDE void direct_chains(const float *padded, long padded_rows, long padded_width, const float *w, const float *bias, long channels,
                        long kernel_height, long kernel_width, long o, int R, long i, int H, long v, int V, __m512 *acc) {
    long patch = channels * kernel_height * kernel_width;
    for (int r = 0; r < R; r++) for (int h = 0; h < H; h++) for (int k = 0; k < V; k++)
        acc[(r * H + h) * V + k] = _mm512_set1_ps(bias ? bias[o + r] : 0.0f);
    long tap = 0;
    for (long c = 0; c < channels; c++) {
        for (long ki = 0; ki < kernel_height; ki++) {
            const float *source = padded + (c * padded_rows + i + ki) * padded_width + v * 16;
            for (long kj = 0; kj < kernel_width; kj++, tap++) {
                __m512 x[6][2];
                for (int h = 0; h < H; h++) for (int k = 0; k < V; k++)
                    x[h][k] = _mm512_loadu_ps(source + h * padded_width + kj + k * 16);
                for (int r = 0; r < R; r++) {
                    __m512 weight = _mm512_set1_ps(w[(o + r) * patch + tap]);
                    for (int h = 0; h < H; h++) for (int k = 0; k < V; k++)
                        acc[(r * H + h) * V + k] = _mm512_fmadd_ps(x[h][k], weight, acc[(r * H + h) * V + k]);
                }
            }
        }
    }
}

/// direct_chains for R·H·V ≤ 12 chains, stored into the output planes.
WIDE void direct_tile(const float *padded, long padded_rows, long padded_width, const float *w, const float *bias, long channels,
                      long kernel_height, long kernel_width, long o, int R, long i, int H, long v, int V, long out_height,
                      long out_width, float *out) {
    __m512 acc[12];
    direct_chains(padded, padded_rows, padded_width, w, bias, channels, kernel_height, kernel_width, o, R, i, H, v, V, acc);
    for (int k = 0; k < V; k++) {
        long first = (v + k) * 16, count = out_width - first < 16 ? out_width - first : 16;
        __mmask16 inside = (__mmask16)((1u << count) - 1);
        for (int r = 0; r < R; r++) for (int h = 0; h < H; h++)
            _mm512_mask_storeu_ps(out + ((o + r) * out_height + i + h) * out_width + first, inside, acc[(r * H + h) * V + k]);
    }
}

/// Rows per tile for R output channels: tiles of fewer channels take more rows, so that every
/// tile keeps at least eight chains in flight (the transposed convolution of LeNet's first
/// layer, its input gradient, has one or three outputs).
static int direct_rows(int channels_here) { return channels_here == 1 ? 4 : channels_here == 2 ? 3 : channels_here == 3 ? 2 : 1; }

__attribute__((target("avx512f")))
void qd_direct_forward_f32(const float *padded, long padded_rows, long padded_width, const float *w, const float *bias,
                           long channels, long kernel_height, long kernel_width, long outputs, long out_height, long out_width,
                           float *out) {
    long vectors = (out_width + 15) / 16;
    for (long o = 0; o < outputs; o += 6) {
        int channels_here = outputs - o < 6 ? (int)(outputs - o) : 6;
        int tall = direct_rows(channels_here);
        for (long i = 0; i < out_height;) {
            int rows = out_height - i < tall ? 1 : tall;
            for (long v = 0; v < vectors; v += 2) {
                int pair = vectors - v < 2 ? 1 : 2;
                switch ((channels_here * 8 + rows) * 2 + pair - 1) {
#define TILE(R, H, V) case (R * 8 + H) * 2 + V - 1: direct_tile(padded, padded_rows, padded_width, w, bias, channels, kernel_height, \
                                                             kernel_width, o, R, i, H, v, V, out_height, out_width, out); break;
                TILE(1, 4, 1) TILE(1, 4, 2) TILE(1, 1, 1) TILE(1, 1, 2) TILE(2, 3, 1) TILE(2, 3, 2) TILE(2, 1, 1) TILE(2, 1, 2)
                TILE(3, 2, 1) TILE(3, 2, 2) TILE(3, 1, 1) TILE(3, 1, 2) TILE(4, 1, 1) TILE(4, 1, 2) TILE(5, 1, 1) TILE(5, 1, 2)
                TILE(6, 1, 1) TILE(6, 1, 2)
#undef TILE
                }
            }
            i += rows;
        }
    }
}

/// The lanes where b wins over a in max pooling: b is greater, or b is NaN.
WIDE __mmask16 wins(__m512 b, __m512 a) {
    return _mm512_cmp_ps_mask(b, a, _CMP_GT_OQ) | _mm512_cmp_ps_mask(b, b, _CMP_UNORD_Q);
}

/// Window row `pool_row` of output channels o ..< o + R (R ≤ 6, a constant where it is called):
/// the convolution's rows 2·pool_row and 2·pool_row + 1 over two vectors of sixteen columns
/// (direct_chains, R·2·2 ≤ 24 registers), then their 2×2 windows pooled in registers as
/// QDTensor's maxPool2x2Plane pools them: the right cell of a row wins when strictly greater or
/// NaN, the lower row when its maximum is strictly greater or NaN, so the first maximum in
/// row-major order wins, or the last NaN. Writes `pooled_width` maxima and their cells (flat
/// indices into y, whose image starts at cell `image_cell`), ReLU(max) and −1 where `rectified`
/// and the maximum is at most 0 (NaN stays).
WIDE void pooled_tile(const float *padded, long padded_rows, long padded_width, const float *w, const float *bias, long channels,
                      long kernel_height, long kernel_width, long o, int R, long pool_row, long out_height, long out_width,
                      long pooled_height, long pooled_width, bool rectified, long image_cell, float *pooled, int *argmax) {
    long i = 2 * pool_row;
    __m512 acc[24];  // acc[(r·2 + h)·2 + k]: channel r, row i + h, vector k
    direct_chains(padded, padded_rows, padded_width, w, bias, channels, kernel_height, kernel_width, o, R, i, 2, 0, 2, acc);
    const __m512i left = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i right = _mm512_add_epi32(left, _mm512_set1_epi32(1));
    const __m512i zero = _mm512_setzero_si512(), one = _mm512_set1_epi32(1), down = _mm512_set1_epi32((int)out_width);
    const __mmask16 inside = (__mmask16)((1u << pooled_width) - 1);
    UNROLLED for (int r = 0; r < R; r++) {
        long plane = o + r, window = (plane * pooled_height + pool_row) * pooled_width;
        __m512 upper_left = _mm512_permutex2var_ps(acc[r * 4], left, acc[r * 4 + 1]);
        __m512 upper_right = _mm512_permutex2var_ps(acc[r * 4], right, acc[r * 4 + 1]);
        __m512 lower_left = _mm512_permutex2var_ps(acc[r * 4 + 2], left, acc[r * 4 + 3]);
        __m512 lower_right = _mm512_permutex2var_ps(acc[r * 4 + 2], right, acc[r * 4 + 3]);
        __mmask16 right_upper = wins(upper_right, upper_left), right_lower = wins(lower_right, lower_left);
        __m512 max_upper = _mm512_mask_blend_ps(right_upper, upper_left, upper_right);
        __m512 max_lower = _mm512_mask_blend_ps(right_lower, lower_left, lower_right);
        __mmask16 below = wins(max_lower, max_upper);
        __m512 best = _mm512_mask_blend_ps(below, max_upper, max_lower);
        __m512i offsets = _mm512_mask_blend_epi32(below, _mm512_mask_blend_epi32(right_upper, zero, one),
                                                  _mm512_add_epi32(down, _mm512_mask_blend_epi32(right_lower, zero, one)));
        offsets = _mm512_add_epi32(offsets, _mm512_add_epi32(left, _mm512_set1_epi32((int)(image_cell + (plane * out_height + i) * out_width))));
        if (rectified) {
            __mmask16 kept = _mm512_cmp_ps_mask(best, _mm512_setzero_ps(), _CMP_NLE_UQ);  // > 0 or NaN
            best = _mm512_maskz_mov_ps(kept, best);
            offsets = _mm512_mask_blend_epi32(kept, _mm512_set1_epi32(-1), offsets);
        }
        _mm512_mask_storeu_ps(pooled + window, inside, best);
        _mm512_mask_storeu_epi32(argmax + window, inside, offsets);
    }
}

__attribute__((target("avx512f")))
void qd_direct_forward_pooled_f32(const float *padded, long padded_rows, long padded_width, const float *w, const float *bias,
                                  long channels, long kernel_height, long kernel_width, long outputs, long out_height, long out_width,
                                  bool rectified, long image_cell, float *pooled, int *argmax) {
    long pooled_height = out_height / 2, pooled_width = out_width / 2;
    for (long o = 0; o < outputs; o += 6) {
        for (long row = 0; row < pooled_height; row++) {
            switch (outputs - o < 6 ? outputs - o : 6) {
#define TILE(R) case R: pooled_tile(padded, padded_rows, padded_width, w, bias, channels, kernel_height, kernel_width, o, R, row, \
                                    out_height, out_width, pooled_height, pooled_width, rectified, image_cell, pooled, argmax); break;
            TILE(1) TILE(2) TILE(3) TILE(4) TILE(5) TILE(6)
#undef TILE
            }
        }
    }
}

/// Sixteen ∂y values of output pair q, row i, vector k (see qd_direct_weight_gradient_f32).
#define PAIR(q, k) _mm512_loadu_ps(pairs + (((q0 + (q)) * out_height + i) * chunks + (k)) * 16)
/// Eight inputs from `p` in both halves of a vector (a 256-bit broadcast, AVX-512F's f64x4 form).
#define EIGHT_TWICE(p) _mm512_castpd_ps(_mm512_broadcast_f64x4(_mm256_loadu_pd((const double *)(p))))

/// Writes a chain vector of output pair q, tap `tap`: its low eight lanes for output 2(q0 + q),
/// its high eight for the next.
WIDE void store_pair_chains(__m512 chains, long q0, int q, long tap, long patch, float *lanes) {
    long o = 2 * (q0 + q);
    _mm256_storeu_pd((double *)(lanes + (o * patch + tap) * 8), _mm512_extractf64x4_pd(_mm512_castps_pd(chains), 0));
    _mm256_storeu_pd((double *)(lanes + ((o + 1) * patch + tap) * 8), _mm512_extractf64x4_pd(_mm512_castps_pd(chains), 1));
}

/// qd_direct_weight_gradient_f32's tile: output pairs q0 ..< q0 + 3 (six outputs), taps
/// kj ..< kj + 4 of kernel row (c, ki): twelve chains of sixteen lanes (two outputs × eight
/// columns) over every row and vector of ∂y, in order, in named registers.
WIDE void direct_weight_tile(const float *source, long padded_width, const float *pairs, long q0, long out_height, long chunks,
                             long kj, long tap, long patch, float *lanes) {
    __m512 a00 = _mm512_setzero_ps(), a01 = a00, a02 = a00, a03 = a00, a10 = a00, a11 = a00, a12 = a00, a13 = a00;
    __m512 a20 = a00, a21 = a00, a22 = a00, a23 = a00;
    for (long i = 0; i < out_height; i++) {
        for (long chunk = 0; chunk < chunks; chunk++) {
            const float *x = source + i * padded_width + chunk * 8 + kj;
            __m512 d0 = PAIR(0, chunk), d1 = PAIR(1, chunk), d2 = PAIR(2, chunk);
            __m512 v0 = EIGHT_TWICE(x), v1 = EIGHT_TWICE(x + 1), v2 = EIGHT_TWICE(x + 2), v3 = EIGHT_TWICE(x + 3);
            a00 = _mm512_fmadd_ps(d0, v0, a00); a01 = _mm512_fmadd_ps(d0, v1, a01); a02 = _mm512_fmadd_ps(d0, v2, a02); a03 = _mm512_fmadd_ps(d0, v3, a03);
            a10 = _mm512_fmadd_ps(d1, v0, a10); a11 = _mm512_fmadd_ps(d1, v1, a11); a12 = _mm512_fmadd_ps(d1, v2, a12); a13 = _mm512_fmadd_ps(d1, v3, a13);
            a20 = _mm512_fmadd_ps(d2, v0, a20); a21 = _mm512_fmadd_ps(d2, v1, a21); a22 = _mm512_fmadd_ps(d2, v2, a22); a23 = _mm512_fmadd_ps(d2, v3, a23);
        }
    }
    store_pair_chains(a00, q0, 0, tap, patch, lanes); store_pair_chains(a01, q0, 0, tap + 1, patch, lanes);
    store_pair_chains(a02, q0, 0, tap + 2, patch, lanes); store_pair_chains(a03, q0, 0, tap + 3, patch, lanes);
    store_pair_chains(a10, q0, 1, tap, patch, lanes); store_pair_chains(a11, q0, 1, tap + 1, patch, lanes);
    store_pair_chains(a12, q0, 1, tap + 2, patch, lanes); store_pair_chains(a13, q0, 1, tap + 3, patch, lanes);
    store_pair_chains(a20, q0, 2, tap, patch, lanes); store_pair_chains(a21, q0, 2, tap + 1, patch, lanes);
    store_pair_chains(a22, q0, 2, tap + 2, patch, lanes); store_pair_chains(a23, q0, 2, tap + 3, patch, lanes);
}

/// The same for one tap: the chains over even and over odd vectors of each row, added lane by
/// lane at the end.
WIDE void direct_weight_tap(const float *source, long padded_width, const float *pairs, long q0, long out_height, long chunks,
                            long kj, long tap, long patch, float *lanes) {
    __m512 e0 = _mm512_setzero_ps(), e1 = e0, e2 = e0, o0 = e0, o1 = e0, o2 = e0;
    for (long i = 0; i < out_height; i++) {
        const float *x = source + i * padded_width + kj;
        long chunk = 0;
        for (; chunk + 2 <= chunks; chunk += 2) {
            __m512 v = EIGHT_TWICE(x + chunk * 8), w = EIGHT_TWICE(x + chunk * 8 + 8);
            e0 = _mm512_fmadd_ps(PAIR(0, chunk), v, e0); e1 = _mm512_fmadd_ps(PAIR(1, chunk), v, e1); e2 = _mm512_fmadd_ps(PAIR(2, chunk), v, e2);
            o0 = _mm512_fmadd_ps(PAIR(0, chunk + 1), w, o0); o1 = _mm512_fmadd_ps(PAIR(1, chunk + 1), w, o1); o2 = _mm512_fmadd_ps(PAIR(2, chunk + 1), w, o2);
        }
        if (chunk < chunks) {
            __m512 v = EIGHT_TWICE(x + chunk * 8);
            e0 = _mm512_fmadd_ps(PAIR(0, chunk), v, e0); e1 = _mm512_fmadd_ps(PAIR(1, chunk), v, e1); e2 = _mm512_fmadd_ps(PAIR(2, chunk), v, e2);
        }
    }
    store_pair_chains(_mm512_add_ps(e0, o0), q0, 0, tap, patch, lanes);
    store_pair_chains(_mm512_add_ps(e1, o1), q0, 1, tap, patch, lanes);
    store_pair_chains(_mm512_add_ps(e2, o2), q0, 2, tap, patch, lanes);
}
#undef PAIR
#undef EIGHT_TWICE

__attribute__((target("avx512f")))
void qd_direct_weight_gradient_f32(const float *padded, long padded_rows, long padded_width, const float *pairs, long channels,
                                   long kernel_height, long kernel_width, long outputs, long out_height, long chunks, float *lanes) {
    long patch = channels * kernel_height * kernel_width, tiled = kernel_width / 4 * 4;
    for (long q0 = 0; q0 < outputs / 2; q0 += 3) {
        for (long c = 0; c < channels; c++) {
            for (long ki = 0; ki < kernel_height; ki++) {
                const float *source = padded + (c * padded_rows + ki) * padded_width;
                long row = (c * kernel_height + ki) * kernel_width;
                for (long kj = 0; kj < tiled; kj += 4) direct_weight_tile(source, padded_width, pairs, q0, out_height, chunks, kj, row + kj, patch, lanes);
                for (long kj = tiled; kj < kernel_width; kj++) direct_weight_tap(source, padded_width, pairs, q0, out_height, chunks, kj, row + kj, patch, lanes);
            }
        }
    }
}

#else
// Other architectures: no AVX-512, so the kernels below are never called (QDTensor checks
// qd_wide_kernels_available first); they exist so that the package links.

bool qd_wide_kernels_available(void) { return false; }

void qd_lane_forward_f32(const float *x, const float *wt, const float *bias, const long *taps, long patch, long kernel_width,
                         long image_size, long width, long out_height, long out_width, long first, long end, float *out) {}
void qd_lane_columns_f32(const float *dy, const float *w, long patch, long columns, float *cols) {}
void qd_direct_forward_pooled_f32(const float *padded, long padded_rows, long padded_width, const float *w, const float *bias,
                                  long channels, long kernel_height, long kernel_width, long outputs, long out_height, long out_width,
                                  bool rectified, long image_cell, float *pooled, int *argmax) {}
void qd_lane_input_rows_f32(const float *cols, long columns, long channels, long kernel_height, long kernel_width, long height,
                            long width, long out_height, long out_width, float *image) {}
void qd_transpose16_f32(const float *a, long columns, float *t) {}
void qd_lane_weight_gradient_f32(const float *x, const float *dyt, const long *row_offsets, long kernel_rows, long kernel_width,
                                 long width, long out_height, long out_width, float *dwt) {}
void qd_direct_forward_f32(const float *padded, long padded_rows, long padded_width, const float *w, const float *bias,
                           long channels, long kernel_height, long kernel_width, long outputs, long out_height, long out_width,
                           float *out) {}
void qd_direct_weight_gradient_f32(const float *padded, long padded_rows, long padded_width, const float *pairs, long channels,
                                   long kernel_height, long kernel_width, long outputs, long out_height, long chunks, float *lanes) {}
#endif
