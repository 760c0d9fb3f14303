import RetortDistributed

extension Module {
    /// Makes every batch norm of this module compute its training-mode statistics over the global
    /// batch of `group`'s ranks (PyTorch's `convert_sync_batchnorm`), or, with nil, over this
    /// process's batch again. The fused batch norm + ReLU follows its norm; evaluation mode and a
    /// norm folded into its convolution (a frozen teacher) communicate nothing. Every rank must
    /// synchronize the same model, since each training forward and backward of a norm is a collective.
    /// - Returns: the number of batch norms changed.
    @discardableResult
    public func synchronizeBatchNorms(over group: (any ProcessGroup)?) -> Int {
        let norms = synchronizableBatchNorms
        for norm in norms { norm.synchronization = group }
        return norms.count
    }

    /// The number of batch norms whose statistics cover the ranks of a process group.
    public var synchronizedBatchNormCount: Int {
        synchronizableBatchNorms.filter { $0.synchronization != nil }.count
    }

    private var synchronizableBatchNorms: [BatchNorm2d] { descendants().compactMap { $0 as? BatchNorm2d } }
}
