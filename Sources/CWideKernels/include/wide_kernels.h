// AVX-512 versions of QDTensor's direct convolution kernels (ChannelLaneConvolution, and
// DirectConvolution's forward pass and weight gradient), chosen at run time on CPUs that have
// AVX-512 (the package itself builds for AVX2). A 512-bit vector holds sixteen lanes where the
// AVX2 kernels use two of eight (the direct weight gradient: two outputs' eight lanes), and each
// value is the same chain of fused multiply-adds, in the same order, as on the AVX2 path: the
// results are bit for bit the same.
#ifndef QD_WIDE_KERNELS_H
#define QD_WIDE_KERNELS_H

#include <stdbool.h>

/// Whether this CPU and OS run AVX-512F code (CPUID leaf 7 and the ZMM state enabled in XCR0).
bool qd_wide_kernels_available(void);

/// y[n, o, p] = b[o] + Σ_tap w[o, tap]·x[n, tap, p] for images first ..< end (stride 1, no
/// padding, sixteen outputs). `wt` is the weight transposed to [patch][16]; `taps[tap]` is the
/// offset c·H·W + ki·W + kj of each tap; `bias` may be NULL. Kernels five wide (LeNet's) load each
/// input once per kernel row instead of once per tap; the sums are the same.
void qd_lane_forward_f32(const float *x, const float *wt, const float *bias, const long *taps, long patch, long kernel_width,
                         long image_size, long width, long out_height, long out_width, long first, long end, float *out);

/// cols[tap, column] = Σ_o w[o, tap]·dy[o, column] over the sixteen outputs o, for every tap and
/// every column in 0 ..< `columns` (a multiple of 16): `dy` holds one image's ∂y rows of `columns`
/// values, `w` the weight [16][patch], `cols` rows of `columns` values.
void qd_lane_columns_f32(const float *dy, const float *w, long patch, long columns, float *cols);

/// The input gradient's second pass for one image (`image`: its C planes of H × W):
/// dx[c, i, j] = Σ_{(ki, kj)} cols[(c, ki, kj), (i − ki)·Wo + j − kj] over the taps that reach ∂y,
/// added in (ki, kj) order from +0. `cols` holds a row of `columns` values per tap (c, ki, kj),
/// from the chains of qd_lane_columns_f32.
void qd_lane_input_rows_f32(const float *cols, long columns, long channels, long kernel_height, long kernel_width, long height,
                            long width, long out_height, long out_width, float *image);

/// t[q][r] = a[r][q] for a of sixteen rows of `columns` values (one image's ∂y, for the weight
/// gradient): blocks of sixteen columns transposed in registers.
void qd_transpose16_f32(const float *a, long columns, float *t);

/// dwt[tap][0 ..< 16] += Σ_p dyt[p][0 ..< 16]·x[tap, p] for one image and every tap, kernel rows
/// (c, ki) two at a time: `x` is the image, `dyt` its ∂y transposed to [positions][16],
/// `row_offsets[r]` the offset c·H·W + ki·W of kernel row r = c·kh + ki, and `kernel_width` at
/// most 6 (twelve chains per tile, each input broadcast once for the taps over it in a block of
/// four positions).
void qd_lane_weight_gradient_f32(const float *x, const float *dyt, const long *row_offsets, long kernel_rows, long kernel_width,
                                 long width, long out_height, long out_width, float *dwt);

/// One image of DirectConvolution's forward pass: y[o, i, j] = b[o] + Σ_{c, ki, kj} w[o, c, ki, kj]·
/// xpad[c, i + ki, j + kj], a chain from the bias (0 when `bias` is NULL) over the taps in order.
/// `padded` holds C planes of `padded_rows` rows of `padded_width` values, wide enough for reads
/// of whole 16-value vectors; `out` receives the image's O planes of Ho × Wo.
void qd_direct_forward_f32(const float *padded, long padded_rows, long padded_width, const float *w, const float *bias,
                           long channels, long kernel_height, long kernel_width, long outputs, long out_height, long out_width,
                           float *out);

/// One image of qd_direct_forward_f32 (out_width at most 32, the padded rows wide enough for two
/// vectors of sixteen) followed by 2×2 max pooling with stride 2, without writing y: `pooled`
/// receives the image's O planes of ⌊Ho/2⌋ × ⌊Wo/2⌋ window maxima and `argmax` each window's cell
/// as a flat index into y (the image's first cell is `image_cell`), the first maximum in
/// row-major order among equal ones; where `rectified`, ReLU of the maximum, and −1 when it is
/// not positive. The maxima are y's values bit for bit.
void qd_direct_forward_pooled_f32(const float *padded, long padded_rows, long padded_width, const float *w, const float *bias,
                                  long channels, long kernel_height, long kernel_width, long outputs, long out_height, long out_width,
                                  bool rectified, long image_cell, float *pooled, int *argmax);

/// One image of DirectConvolution's weight gradient for a multiple of six outputs, as per-lane
/// chains: for output o and tap (c, ki, kj), `lanes[(o·patch + tap)·8 + l]` receives
/// Σ_{i, v} ∂y[o, i, 8v + l]·xpad[c, i + ki, 8v + l + kj] over rows i and vectors v in order, one
/// chain for kj < 4·⌊kw/4⌋, else the chains over even and odd v added (the AVX2 kernel's tiles).
/// `pairs` holds ∂y as [O/2][Ho][chunks][2][8]: for outputs 2q and 2q + 1, row i and vector v,
/// output 2q's eight values, then output 2q + 1's (zeros past Wo); `padded` as the forward pass.
void qd_direct_weight_gradient_f32(const float *padded, long padded_rows, long padded_width, const float *pairs, long channels,
                                   long kernel_height, long kernel_width, long outputs, long out_height, long chunks, float *lanes);

#endif
