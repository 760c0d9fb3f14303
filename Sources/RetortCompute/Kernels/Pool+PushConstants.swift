// The push and specialization constants of the pooling shaders, declared field by field in the shaders' order.

extension PoolLauncher {
    /// The window geometry the windowed pooling shaders' push constants start with (`pool.glsl`).
    ///
    /// - `H`: input height
    /// - `W`: input width
    /// - `OH`: output height
    /// - `OW`: output width
    /// - `KH`: window height
    /// - `KW`: window width
    /// - `SH`: vertical stride
    /// - `SW`: horizontal stride
    /// - `PH`: vertical padding
    /// - `PW`: horizontal padding
    public struct WindowPush: PushConstants {
        public static let count = 10
        public var H, W, OH, OW, KH, KW, SH, SW, PH, PW: Int

        public var values: [ShaderValue] {
            [.count(H), .count(W), .count(OH), .count(OW), .count(KH), .count(KW), .count(SH), .count(SW), .count(PH), .count(PW)]
        }
    }

    /// The max-pooling fields after the window: the dilation.
    ///
    /// - `DH`: vertical dilation
    /// - `DW`: horizontal dilation
    public struct Dilation: PushConstants {
        public static let count = 2
        public var DH, DW: Int

        public var values: [ShaderValue] { [.count(DH), .count(DW)] }
    }

    /// The average-pooling field after the window.
    public struct CountPadding: PushConstants {
        public static let count = 1
        /// The divisor counts the padded positions (`count_include_pad`).
        public var countPad: Bool

        public var values: [ShaderValue] { [.bool(countPad)] }
    }

    /// The push constants of `pool_max.comp` (`Extra` = ``Dilation``) and `pool_avg.comp` (``CountPadding``):
    /// the window, the op's own fields, then the walk over blocks of `run` outputs of an output row.
    ///
    /// - `window`: the window geometry
    /// - `extra`: the op's own fields
    /// - `rowBlocks`: blocks of outputs per output row
    /// - `items`: invocations
    /// - `blocks`: division by `rowBlocks`
    /// - `outputRows`: division by the output height
    public struct ForwardPush<Extra: PushConstants>: PushConstants {
        public static var count: Int { WindowPush.count + Extra.count + 6 }
        public var window: WindowPush
        public var extra: Extra
        public var rowBlocks, items: Int
        public var blocks, outputRows: FastDivisor

        public var values: [ShaderValue] {
            window.values + extra.values + [.count(rowBlocks), .count(items)] + blocks.values + outputRows.values
        }
    }

    /// The push constants of `pool_max_backward.comp` (`Extra` = ``Dilation``) and `pool_avg_backward.comp`
    /// (``CountPadding``): the window, the op's own fields, then the walk over blocks of `run` positions of an
    /// input row.
    ///
    /// - `window`: the window geometry
    /// - `extra`: the op's own fields
    /// - `rowBlocks`: blocks of positions per input row
    /// - `items`: invocations
    public struct BackwardPush<Extra: PushConstants>: PushConstants {
        public static var count: Int { WindowPush.count + Extra.count + 10 }
        public var window: WindowPush
        public var extra: Extra
        public var rowBlocks, items: Int
        /// Division by `rowBlocks`, the input height, the vertical and the horizontal stride.
        public var divisors: (blocks: FastDivisor, height: FastDivisor, strideHeight: FastDivisor, strideWidth: FastDivisor)

        public var values: [ShaderValue] {
            window.values + extra.values + [.count(rowBlocks), .count(items)] + divisors.blocks.values + divisors.height.values
                + divisors.strideHeight.values + divisors.strideWidth.values
        }
    }

    /// The push constants of `pool_max_2x2.comp` and `pool_max_2x2_backward.comp`: one invocation per 4 outputs.
    ///
    /// - `H`: input height
    /// - `W`: input width (a multiple of 8)
    /// - `OH`: output height
    /// - `blocks`: blocks of 8 input columns per row
    /// - `items`: invocations
    /// - `blocksMagic`: division by `blocks`: magic number
    /// - `blocksShift`: division by `blocks`: shift
    /// - `ohMagic`: division by `OH`: magic number
    /// - `ohShift`: division by `OH`: shift
    public struct HalvingPush: PushConstants {
        public static let count = 9
        public var H, W, OH, blocks, items: Int
        public var blocksMagic, blocksShift, ohMagic, ohShift: UInt32

        public var values: [ShaderValue] {
            [.count(H), .count(W), .count(OH), .count(blocks), .count(items), .uint(blocksMagic), .uint(blocksShift), .uint(ohMagic),
             .uint(ohShift)]
        }
    }

    /// The push constants of `pool_global_avg.comp`.
    ///
    /// - `planes`: planes (N·C)
    /// - `P`: texels per plane
    public struct GlobalPush: PushConstants {
        public static let count = 2
        public var planes, P: Int

        public var values: [ShaderValue] { [.count(planes), .count(P)] }
    }

    /// The push constants of `pool_global_avg_backward.comp`.
    ///
    /// - `HW`: positions per plane
    /// - `count`: elements of the input gradient
    /// - `hwMagic`: division by `HW`: magic number
    /// - `hwShift`: division by `HW`: shift
    public struct GlobalBackwardPush: PushConstants {
        public static let count = 4
        public var HW, count: Int
        public var hwMagic, hwShift: UInt32

        public var values: [ShaderValue] { [.count(HW), .count(count), .uint(hwMagic), .uint(hwShift)] }
    }

    /// The specialization constant of the pooling shaders that walk runs of a row (all but the 2×2 and
    /// global-forward ones).
    public struct RunLength: SpecializationConstants {
        /// constant_id 3: `RUN`: outputs (forward) or input positions (backward) per invocation.
        public var run: Int

        public var values: [ShaderValue] { [.count(run)] }
    }
}
