// Conv2d: the block sizes and grid shapes of the direct kernels.
//   x: [N, C, H, W]; w: [K, C / groups, KH, KW]; y: [N, K, OH, OW]

extension Conv2dLauncher {
    /// Picks block sizes. Lavapipe runs a workgroup as one task of 8-lane SIMD chunks and every
    /// texel fetch is a call: small workgroups whose invocations each compute a large block (many
    /// multiply-adds per fetch) are fastest there (``KernelChoice/convolutionLanes``).
    static func plan(for prm: Parameters, device: Device) -> Plan {
        let lanes = device.kernelChoice.convolutionLanes
        let cinG = prm.inChannels / prm.groups, coutG = prm.outChannels / prm.groups
        let taps = prm.kernelHeight * prm.kernelWidth
        // A channel block of 4 or 8 when there are that many channels (then packed weights), else 1
        // (and then a block of rows, which share input rows: depthwise convolutions).
        // (16 for 1×1 kernels, whose few taps give few multiply-adds per fetched input.)
        func channelBlock(_ channels: Int, taps: Int) -> Int { channels >= 16 && taps == 1 ? 16 : channels >= 8 ? 8 : channels >= 4 ? 4 : 1 }
        // Columns of one row (a multiple of 4 for the RGBA32F path): 16, fewer for narrow images.
        func columns(_ width: Int) -> Int { width >= 16 ? 16 : width >= 8 ? 8 : 4 }

        let forwardColumns = columns(prm.outputWidth)
        // Backward data: a multiple of the stride (whole column phases), of dy columns a multiple of 4.
        let dataColumns = prm.strideWidth == 1 ? columns(prm.width) : prm.strideWidth * min(8, columns(ceilDiv(prm.width, prm.strideWidth)))
        let forwardChannels = channelBlock(coutG, taps: taps), dataChannels = channelBlock(cinG, taps: taps)

        // Weight gradient: TM output channels × TC input channels × all taps per invocation.
        let filterChannels = min(coutG, taps <= 1 ? 16 : taps <= 25 ? 8 : 4)
        let filterInputChannels = min(cinG, taps <= 1 ? 4 : taps <= 9 ? 2 : 1)
        // Lanes over input-channel blocks (output channels uniform per workgroup) when they fill at
        // least half a workgroup; otherwise over (group, output block, input block).
        let lanesOverInput = ceilDiv(cinG, filterInputChannels) >= lanes / 2
        let invocations = prm.groups * ceilDiv(coutG, filterChannels) * ceilDiv(cinG, filterInputChannels)
        let rows = prm.batch * prm.outputHeight
        let target = device.kernelChoice.convolutionFilterTarget
        let splits = max(1, min(rows, min(64, target / max(invocations, 1))))
        let rowsPerSplit = ceilDiv(rows, splits)
        let filterColumns = columns(prm.outputWidth) == 4 ? 4 : 8
        let plan = Plan(lanes: lanes,
                        forwardChannels: forwardChannels, forwardRows: forwardChannels == 1 ? min(8, prm.outputHeight) : 1,
                        forwardColumns: forwardColumns,
                        forwardVectorRows: prm.width % 4 == 0, forwardPacked: forwardChannels % 4 == 0,
                        dataChannels: dataChannels, dataRows: dataChannels == 1 && prm.strideHeight == 1 ? min(8, prm.height) : 1,
                        dataColumns: dataColumns,
                        dataVectorRows: prm.outputWidth % 4 == 0 && (dataColumns / prm.strideWidth) % 4 == 0,
                        dataPacked: dataChannels % 4 == 0,
                        filterChannels: filterChannels, filterRows: filterChannels == 1 && taps > 1 ? min(8, prm.outputHeight) : 1,
                        filterColumns: filterColumns,
                        filterVectorRows: prm.width % 4 == 0, filterVectorGradient: prm.outputWidth % 4 == 0,
                        filterLanesOverInputChannels: lanesOverInput, filterInputChannels: filterInputChannels,
                        filterSplits: ceilDiv(rows, rowsPerSplit), filterRowsPerSplit: rowsPerSplit,
                        biasVector: (prm.outputHeight * prm.outputWidth) % 4 == 0)
        return plan
    }
}
