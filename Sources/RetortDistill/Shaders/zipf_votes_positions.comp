#version 450
// Zipf's dense votes, step 1: the feature vector at every position of the final feature map, as
// rows (channels last), optionally upsampled ×2 first with PyTorch's bilinear interpolation
// (`F.interpolate(scale_factor=2, mode='bilinear', align_corners=False)`).
// map: [N, D, H, W] (R32F texel buffer); rows: [N · H' · W', D] with H' = s·H, W' = s·W, s = 1 or 2.
//
//   rows[(n·H' + y)·W' + x, d] = map[n, d, y, x]                                   (s = 1)
//   src(o, L) = max((o + 0.5)/2 − 0.5, 0);  i0 = floor(src), i1 = min(i0 + 1, L − 1), λ = src − i0
//   rows[…, d] = (1−λy)·((1−λx)·map[y0, x0] + λx·map[y0, x1]) + λy·((1−λx)·map[y1, x0] + λx·map[y1, x1])   (s = 2)
//
// One invocation per output value; the grid strides over them.
layout(local_size_x_id = 0, local_size_y_id = 1, local_size_z_id = 2) in;

layout(binding = 0) uniform samplerBuffer map;
layout(binding = 1) writeonly buffer Rows { float rows[]; };

layout(push_constant) uniform Push { uint batch; uint channels; uint height; uint width; uint scale; } p;

void main() {
    uint outHeight = p.height * p.scale, outWidth = p.width * p.scale;
    uint total = p.batch * outHeight * outWidth * p.channels;
    uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    for (uint index = gl_GlobalInvocationID.x; index < total; index += stride) {
        uint d = index % p.channels;
        uint position = index / p.channels;
        uint x = position % outWidth;
        uint y = (position / outWidth) % outHeight;
        uint n = position / (outWidth * outHeight);
        int plane = int((n * p.channels + d) * p.height * p.width);
        if (p.scale == 1u) {
            rows[index] = texelFetch(map, plane + int(y * p.width + x)).x;
            continue;
        }
        float sy = max((float(y) + 0.5) * 0.5 - 0.5, 0.0), sx = max((float(x) + 0.5) * 0.5 - 0.5, 0.0);
        uint y0 = uint(sy), x0 = uint(sx);
        uint y1 = min(y0 + 1u, p.height - 1u), x1 = min(x0 + 1u, p.width - 1u);
        float ly = sy - float(y0), lx = sx - float(x0);
        float top = (1.0 - lx) * texelFetch(map, plane + int(y0 * p.width + x0)).x + lx * texelFetch(map, plane + int(y0 * p.width + x1)).x;
        float bottom = (1.0 - lx) * texelFetch(map, plane + int(y1 * p.width + x0)).x + lx * texelFetch(map, plane + int(y1 * p.width + x1)).x;
        rows[index] = (1.0 - ly) * top + ly * bottom;
    }
}
