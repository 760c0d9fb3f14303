// The push and specialization constants of the pooling shaders, declared field by field in the shaders' order.

extension PoolLauncher {
    /// The window geometry the windowed pooling shaders' push constants start with (`pool.glsl`).
    public struct WindowPush: PushConstants {
        public static let count = 10
        /// Input height.
        public var H: Int
        /// Input width.
        public var W: Int
        /// Output height.
        public var OH: Int
        /// Output width.
        public var OW: Int
        /// Window height.
        public var KH: Int
        /// Window width.
        public var KW: Int
        /// Vertical stride.
        public var SH: Int
        /// Horizontal stride.
        public var SW: Int
        /// Vertical padding.
        public var PH: Int
        /// Horizontal padding.
        public var PW: Int

        public init(H: Int, W: Int, OH: Int, OW: Int, KH: Int, KW: Int, SH: Int, SW: Int, PH: Int, PW: Int) {
            self.H = H
            self.W = W
            self.OH = OH
            self.OW = OW
            self.KH = KH
            self.KW = KW
            self.SH = SH
            self.SW = SW
            self.PH = PH
            self.PW = PW
        }

        public var values: [ShaderValue] {
            [.count(H), .count(W), .count(OH), .count(OW), .count(KH), .count(KW), .count(SH), .count(SW), .count(PH), .count(PW)]
        }
    }

    /// The max-pooling fields after the window: the dilation.
    public struct Dilation: PushConstants {
        public static let count = 2
        /// Vertical dilation.
        public var DH: Int
        /// Horizontal dilation.
        public var DW: Int

        public init(DH: Int, DW: Int) {
            self.DH = DH
            self.DW = DW
        }

        public var values: [ShaderValue] { [.count(DH), .count(DW)] }
    }

    /// The average-pooling field after the window.
    public struct CountPadding: PushConstants {
        public static let count = 1
        /// The divisor counts the padded positions (`count_include_pad`).
        public var countPad: Bool

        public init(countPad: Bool) {
            self.countPad = countPad
        }

        public var values: [ShaderValue] { [.bool(countPad)] }
    }

    /// The push constants of `pool_max.comp` (`Extra` = ``Dilation``) and `pool_avg.comp` (``CountPadding``):
    /// the window, the op's own fields, then the walk over blocks of `run` outputs of an output row.
    public struct ForwardPush<Extra: PushConstants>: PushConstants {
        public static var count: Int { WindowPush.count + Extra.count + 6 }
        /// The window geometry.
        public var window: WindowPush
        /// The op's own fields.
        public var extra: Extra
        /// Blocks of outputs per output row.
        public var rowBlocks: Int
        /// Invocations.
        public var items: Int
        /// Division by `rowBlocks`.
        public var blocks: FastDivisor
        /// Division by the output height.
        public var outputRows: FastDivisor

        public init(window: WindowPush, extra: Extra, rowBlocks: Int, items: Int, blocks: FastDivisor, outputRows: FastDivisor) {
            self.window = window
            self.extra = extra
            self.rowBlocks = rowBlocks
            self.items = items
            self.blocks = blocks
            self.outputRows = outputRows
        }

        public var values: [ShaderValue] {
            window.values + extra.values + [.count(rowBlocks), .count(items)] + blocks.values + outputRows.values
        }
    }

    /// The push constants of `pool_max_backward.comp` (`Extra` = ``Dilation``) and `pool_avg_backward.comp`
    /// (``CountPadding``): the window, the op's own fields, then the walk over blocks of `run` positions of an
    /// input row.
    public struct BackwardPush<Extra: PushConstants>: PushConstants {
        public static var count: Int { WindowPush.count + Extra.count + 10 }
        /// The window geometry.
        public var window: WindowPush
        /// The op's own fields.
        public var extra: Extra
        /// Blocks of positions per input row.
        public var rowBlocks: Int
        /// Invocations.
        public var items: Int
        /// Division by `rowBlocks`, the input height, the vertical and the horizontal stride.
        public var divisors: (blocks: FastDivisor, height: FastDivisor, strideHeight: FastDivisor, strideWidth: FastDivisor)

        public init(window: WindowPush, extra: Extra, rowBlocks: Int, items: Int,
                    divisors: (blocks: FastDivisor, height: FastDivisor, strideHeight: FastDivisor, strideWidth: FastDivisor)) {
            self.window = window
            self.extra = extra
            self.rowBlocks = rowBlocks
            self.items = items
            self.divisors = divisors
        }

        public var values: [ShaderValue] {
            window.values + extra.values + [.count(rowBlocks), .count(items)] + divisors.blocks.values + divisors.height.values
                + divisors.strideHeight.values + divisors.strideWidth.values
        }
    }

    /// The push constants of `pool_max_2x2.comp` and `pool_max_2x2_backward.comp`: one invocation per 4 outputs.
    public struct HalvingPush: PushConstants {
        public static let count = 9
        /// Input height.
        public var H: Int
        /// Input width (a multiple of 8).
        public var W: Int
        /// Output height.
        public var OH: Int
        /// Blocks of 8 input columns per row.
        public var blocks: Int
        /// Invocations.
        public var items: Int
        /// Division by `blocks`: magic number.
        public var blocksMagic: UInt32
        /// Division by `blocks`: shift.
        public var blocksShift: UInt32
        /// Division by `OH`: magic number.
        public var ohMagic: UInt32
        /// Division by `OH`: shift.
        public var ohShift: UInt32

        public init(H: Int, W: Int, OH: Int, blocks: Int, items: Int, blocksMagic: UInt32, blocksShift: UInt32, ohMagic: UInt32,
                    ohShift: UInt32) {
            self.H = H
            self.W = W
            self.OH = OH
            self.blocks = blocks
            self.items = items
            self.blocksMagic = blocksMagic
            self.blocksShift = blocksShift
            self.ohMagic = ohMagic
            self.ohShift = ohShift
        }

        public var values: [ShaderValue] {
            [.count(H), .count(W), .count(OH), .count(blocks), .count(items), .uint(blocksMagic), .uint(blocksShift), .uint(ohMagic),
             .uint(ohShift)]
        }
    }

    /// The push constants of `pool_global_avg.comp`.
    public struct GlobalPush: PushConstants {
        public static let count = 2
        /// Planes (N·C).
        public var planes: Int
        /// Texels per plane.
        public var P: Int

        public init(planes: Int, P: Int) {
            self.planes = planes
            self.P = P
        }

        public var values: [ShaderValue] { [.count(planes), .count(P)] }
    }

    /// The push constants of `pool_global_avg_backward.comp`.
    public struct GlobalBackwardPush: PushConstants {
        public static let count = 4
        /// Positions per plane.
        public var HW: Int
        /// Elements of the input gradient.
        public var count: Int
        /// Division by `HW`: magic number.
        public var hwMagic: UInt32
        /// Division by `HW`: shift.
        public var hwShift: UInt32

        public init(HW: Int, count: Int, hwMagic: UInt32, hwShift: UInt32) {
            self.HW = HW
            self.count = count
            self.hwMagic = hwMagic
            self.hwShift = hwShift
        }

        public var values: [ShaderValue] { [.count(HW), .count(count), .uint(hwMagic), .uint(hwShift)] }
    }

    /// The specialization constant of the pooling shaders that walk runs of a row (all but the 2×2 and
    /// global-forward ones).
    public struct RunLength: SpecializationConstants {
        /// constant_id 3: `RUN`: outputs (forward) or input positions (backward) per invocation.
        public var run: Int

        public init(run: Int) {
            self.run = run
        }

        public var values: [ShaderValue] { [.count(run)] }
    }
}
