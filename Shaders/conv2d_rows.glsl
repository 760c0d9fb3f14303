// Zero-padded loads of image rows through texel buffers, shared by the conv2d kernels (in the
// element precision of the kernel: FETCH widens 16-bit texels, see precision.glsl).
#include "precision.glsl"

// Loads `SPANLEN` consecutive values of one image row, starting at column `col0` (may be negative
// or run past the end: those read as zero, as do all values of an invalid row), into `dst`.
// `plane` = first row of the channel plane, `rowIndex` = row within it, `rows`/`cols` = plane size.
// The macro form keeps `dst` a register array after unrolling.
#define LOAD_ROW_WINDOW(dst, SPANLEN, IMG, plane, rowIndex, rows, cols, col0, VEC, SHIFT)              \
    {                                                                                                   \
        bool rowOK_ = (rowIndex) >= 0 && (rowIndex) < int(rows);                                        \
        uint rowStart_ = ((plane) + uint(clamp((rowIndex), 0, int(rows) - 1))) * (cols);                \
        if (VEC) {                                                                                      \
            int a0_ = (col0) - int(SHIFT);                                                              \
            [[unroll]] for (uint q_ = 0u; q_ < ((SHIFT) + (SPANLEN) + 3u) / 4u; ++q_) {                 \
                int a_ = a0_ + int(4u * q_);                                                            \
                bool ok_ = rowOK_ && a_ >= 0 && a_ < int(cols);                                         \
                vec4 t_ = FETCH(IMG, int((rowStart_ + uint(clamp(a_, 0, int(cols) - 4))) >> 2u));  \
                t_ = ok_ ? t_ : vec4(0.0);                                                              \
                [[unroll]] for (uint c_ = 0u; c_ < 4u; ++c_) {                                          \
                    uint s_ = 4u * q_ + c_;                                                             \
                    if (s_ >= (SHIFT) && s_ - (SHIFT) < (SPANLEN)) dst[s_ - (SHIFT)] = t_[c_];          \
                }                                                                                       \
            }                                                                                           \
        } else {                                                                                        \
            [[unroll]] for (uint s_ = 0u; s_ < (SPANLEN); ++s_) {                                       \
                int c_ = (col0) + int(s_);                                                              \
                bool ok_ = rowOK_ && c_ >= 0 && c_ < int(cols);                                         \
                float v_ = FETCH(IMG, int(rowStart_ + uint(clamp(c_, 0, int(cols) - 1)))).x;       \
                dst[s_] = ok_ ? v_ : 0.0;                                                               \
            }                                                                                           \
        }                                                                                               \
    }

// Loads LEN values of one image row at columns col0, col0 + STEP, … (R32F view); out-of-range
// columns and invalid rows read as zero.
#define LOAD_ROW_WINDOW_STRIDED(dst, LEN, STEP, IMG, plane, rowIndex, rows, cols, col0)                \
    {                                                                                                   \
        bool rowOK_ = (rowIndex) >= 0 && (rowIndex) < int(rows);                                        \
        uint rowStart_ = ((plane) + uint(clamp((rowIndex), 0, int(rows) - 1))) * (cols);                \
        [[unroll]] for (uint s_ = 0u; s_ < (LEN); ++s_) {                                               \
            int c_ = (col0) + int(s_ * (STEP));                                                         \
            bool ok_ = rowOK_ && c_ >= 0 && c_ < int(cols);                                             \
            float v_ = FETCH(IMG, int(rowStart_ + uint(clamp(c_, 0, int(cols) - 1)))).x;           \
            dst[s_] = ok_ ? v_ : 0.0;                                                                   \
        }                                                                                               \
    }
