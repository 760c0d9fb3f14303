/// Tensors of a state dict that hold NaN or ±infinity, as one error: weights saved after training
/// diverged, or a corrupt file. A model never loads them (``SafeTensors/checkFinite(_:source:)``
/// runs before anything is copied), so a run cannot train on them or evaluate them silently.
public struct NonFiniteValues: Error, Equatable, Sendable, CustomStringConvertible {
    /// One tensor's non-finite elements.
    public struct Tensor: Equatable, Sendable {
        public var name: String
        public var nanCount: Int
        public var infinityCount: Int
        /// The flat (row-major) index of the first non-finite element.
        public var firstIndex: Int

        public init(name: String, nanCount: Int, infinityCount: Int, firstIndex: Int) {
            self.name = name
            self.nanCount = nanCount
            self.infinityCount = infinityCount
            self.firstIndex = firstIndex
        }
    }

    /// Where the tensors came from (a file path), for the message; nil if unknown.
    public var source: String?
    /// The tensors holding non-finite values, sorted by name.
    public var tensors: [Tensor]

    public init(source: String?, tensors: [Tensor]) {
        self.source = source
        self.tensors = tensors
    }

    /// The non-finite elements of one tensor's values, or nil when all are finite.
    public static func scan(_ values: [Float], name: String) -> Tensor? {
        guard let first = values.firstIndex(where: { !$0.isFinite }) else { return nil }
        let nans = values[first...].reduce(0) { $0 + ($1.isNaN ? 1 : 0) }
        let infinities = values[first...].reduce(0) { $0 + ($1.isInfinite ? 1 : 0) }
        return Tensor(name: name, nanCount: nans, infinityCount: infinities, firstIndex: first)
    }

    public var description: String {
        var lines = ["state dict\(source.map { " '\($0)'" } ?? "") holds non-finite values in \(tensors.count) "
                     + "tensor\(tensors.count == 1 ? "" : "s"); nothing was loaded (weights saved after training diverged? "
                     + "use an earlier checkpoint)"]
        lines += tensors.map { "  \($0.name): \($0.nanCount) NaN, \($0.infinityCount) ±inf (first at element \($0.firstIndex))" }
        return lines.joined(separator: "\n")
    }
}

extension SafeTensors {
    /// Throws one ``NonFiniteValues`` naming every floating-point tensor among `names` that holds NaN
    /// or ±infinity (as `Float`, so an F64 value beyond `Float`'s range counts as infinite).
    public func checkFinite(_ names: some Sequence<String>, source: String? = nil) throws(NonFiniteValues) {
        let found = names.compactMap { name -> NonFiniteValues.Tensor? in
            guard let tensor = tensors[name], tensor.dtype.isFloatingPoint else { return nil }
            return NonFiniteValues.scan(tensor.floats(), name: name)
        }
        if !found.isEmpty { throw NonFiniteValues(source: source, tensors: found.sorted { $0.name < $1.name }) }
    }
}
