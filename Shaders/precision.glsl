// Element storage of the kernels' 16-bit variants. A shader whose header has a `// precisions: fp16 bf16`
// line is compiled once more per precision, with -DPRECISION_FP16 or -DPRECISION_BF16; without either it
// is the fp32 kernel. Arithmetic stays fp32 in every variant: values widen on load and round to nearest
// even on store.
//   value_t / value4_t   the element type of reduced-precision storage buffers (float / vec4 in fp32)
//   valueSampler         the texel-buffer type the launcher binds (TexelFormat.values(precision, vector:))
//   FETCH(s, i)          a texel as vec4
//   TO_FLOAT / TO_VEC4   widen a stored value;  FROM_FLOAT / FROM_VEC4   round a value for storing
// fp16 uses the native type (storageBuffer16BitAccess); bf16 has no GLSL type and is kept as 16-bit words
// (the high half of an fp32), which is also how PyTorch rounds it (round to nearest even, NaN stays NaN).
#if defined(PRECISION_FP16) || defined(PRECISION_BF16)
#extension GL_EXT_shader_16bit_storage : require
#endif

#if defined(PRECISION_FP16)
#define value_t float16_t
#define value4_t f16vec4
#define valueSampler samplerBuffer
#define FETCH(s, i) texelFetch(s, i)
#define TO_FLOAT(v) float(v)
#define TO_VEC4(v) vec4(v)
#define FROM_FLOAT(x) float16_t(x)
#define FROM_VEC4(x) f16vec4(x)
#elif defined(PRECISION_BF16)
uint bf16Bits(float x) {
    uint bits = floatBitsToUint(x);
    if (isnan(x)) return (bits >> 16) | 0x40u;
    return (bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16;
}
uvec4 bf16Bits4(vec4 x) { return uvec4(bf16Bits(x.x), bf16Bits(x.y), bf16Bits(x.z), bf16Bits(x.w)); }
#define value_t uint16_t
#define value4_t u16vec4
#define valueSampler usamplerBuffer
#define FETCH(s, i) uintBitsToFloat(texelFetch(s, i) << 16)
#define TO_FLOAT(v) uintBitsToFloat(uint(v) << 16)
#define TO_VEC4(v) uintBitsToFloat(uvec4(v) << 16)
#define FROM_FLOAT(x) uint16_t(bf16Bits(x))
#define FROM_VEC4(x) u16vec4(bf16Bits4(x))
#else
#define value_t float
#define value4_t vec4
#define valueSampler samplerBuffer
#define FETCH(s, i) texelFetch(s, i)
#define TO_FLOAT(v) (v)
#define TO_VEC4(v) (v)
#define FROM_FLOAT(x) (x)
#define FROM_VEC4(x) (x)
#endif
