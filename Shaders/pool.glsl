// Shared by the pooling kernels.

// n / d for n < 2^31 without a hardware division (there is no vector integer division on CPUs, so
// lavapipe would divide lane by lane): (mulhi(n, magic) + n) >> shift, with magic and shift
// computed on the host for the divisor d (Pooling.swift, `FastDivisor`).
uint fastdiv(uint n, uint magic, uint shift) {
    uint hi, lo;
    umulExtended(n, magic, hi, lo);
    return (hi + n) >> shift;
}

// The invocation's index across the x and y workgroup axes (launchers spread large grids over y).
uint linearInvocation() {
    return gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * gl_WorkGroupSize.x;
}
