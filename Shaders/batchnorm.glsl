// Shared by the batch-norm kernels: how one lane walks one channel of an NCHW tensor.
//
// Viewed in texels (1 or 4 floats, see VEC), channel c of x: [N, C, P] is N runs of P texels that
// start C·P texels apart. Lane t of an L-lane workgroup visits the channel's texels t, t + L,
// t + 2L, … in that order; `channelAdvance` steps by L without dividing (L = q·P + r).

// Texel index of the channel's `t`-th texel, as (n, i, address).
void channelStart(uint t, uint c, uint P, uint CP, out uint n, out uint i, out uint address) {
    n = t / P;
    i = t - n * P;
    address = n * CP + c * P + i;
}

// Moves (n, i, address) forward by L = q·P + r texels of the channel.
void channelAdvance(uint q, uint r, uint P, uint CP, inout uint n, inout uint i, inout uint address) {
    i += r;
    n += q;
    address += q * CP + r;
    if (i >= P) {
        i -= P;
        n += 1u;
        address += CP - P;
    }
}

// Lane partials of a channel reduction, combined by lane 0 in lane order (deterministic and
// independent of the subgroup size). Workgroups have at most MAX_LANES invocations.
const uint MAX_LANES = 256u;
shared float partialA[MAX_LANES];
shared float partialB[MAX_LANES];
