import Foundation
import Retort
import RetortCheckpoint

/// A 64-bit integer state value of a module, such as BatchNorm's `num_batches_tracked` (an int64
/// buffer in PyTorch's `state_dict`).
///
/// Why `@unchecked Sendable` is safe: under the contract of the module's tensors (see `Context`).
/// ``value`` changes without a lock (BatchNorm counts batches in its forward pass), so it is used only
/// by the thread that currently runs the module, the one using its context.
public final class IntegerBuffer: @unchecked Sendable {
    public var value: Int64
    public init(_ value: Int64 = 0) { self.value = value }
}

/// One registered member of a module, as PyTorch's `nn.Module` registers them.
public enum ModuleEntry {
    case parameter(String, Tensor)
    case buffer(String, Tensor)
    case integerBuffer(String, IntegerBuffer)
    case child(String, any Module)
}

/// A layer or model: a function of a tensor with named parameters, buffers and children.
///
/// Names follow PyTorch's `state_dict` keys (`layer1.0.conv1.weight`, `bn1.running_mean`), so
/// checkpoints move between PyTorch and Retort unchanged.
public protocol Module: AnyObject {
    /// This module's own members, in PyTorch's registration order (children recurse).
    var entries: [ModuleEntry] { get }
    /// Training (batch statistics, dropout on) or evaluation mode. Set it with ``train()``/``eval()``.
    var isTraining: Bool { get set }
    func callAsFunction(_ input: Tensor) throws -> Tensor
}

extension Module {
    /// Every float buffer (batch-norm running statistics) with its dotted name, depth first.
    public func namedBuffers() -> [(name: String, tensor: Tensor)] {
        walk().compactMap { name, entry in
            if case .buffer(_, let tensor) = entry { return (name, tensor) }
            return nil
        }
    }

    /// Every integer buffer (batch-norm batch counts) with its dotted name, depth first.
    public func namedIntegerBuffers() -> [(name: String, counter: IntegerBuffer)] {
        walk().compactMap { name, entry in
            if case .integerBuffer(_, let counter) = entry { return (name, counter) }
            return nil
        }
    }

    /// Every parameter with its dotted name, depth first in registration order.
    public func namedParameters() -> [(name: String, tensor: Tensor)] {
        walk().compactMap { name, entry in
            if case .parameter(_, let tensor) = entry { return (name, tensor) }
            return nil
        }
    }

    /// Every parameter, in `namedParameters()` order.
    public func parameters() -> [Tensor] { namedParameters().map(\.tensor) }

    /// Number of parameter elements (what model tables report).
    public var parameterCount: Int { parameters().reduce(0) { $0 + $1.count } }

    /// Sets training mode here and in every child.
    public func train(_ training: Bool = true) {
        isTraining = training
        for case .child(_, let child) in entries { child.train(training) }
    }

    /// Sets evaluation mode here and in every child.
    public func eval() { train(false) }

    /// Stops (or restarts) gradient collection for every parameter, e.g. for a frozen teacher.
    public func freeze(_ frozen: Bool = true) throws {
        for parameter in parameters() { try parameter.setRequiresGrad(!frozen) }
    }

    /// Parameters and buffers under PyTorch `state_dict` names, copied to the host.
    public func stateDict() throws -> SafeTensors {
        var tensors: [String: HostTensor] = [:]
        for (name, entry) in walk() {
            switch entry {
            case .parameter(_, let tensor), .buffer(_, let tensor):
                tensors[name] = try HostTensor(tensor.toArray(), shape: tensor.shape)
            case .integerBuffer(_, let counter):
                tensors[name] = HostTensor(scalar: counter.value)
            case .child:
                break
            }
        }
        return SafeTensors(tensors: tensors)
    }

    /// Loads parameters and buffers from a state dict. Every key must match by name and shape, and
    /// every value must be finite: otherwise one error lists each missing, unexpected and misshaped
    /// key (``StateDictMismatch``), or each tensor holding NaN or ±inf (``NonFiniteValues``), and
    /// nothing is changed.
    /// A network with folded batch norms folds the new weights.
    public func load(stateDict: SafeTensors, source: String? = nil) throws {
        var expected: [String: [Int]] = [:]
        let members = walk().filter { if case .child = $0.entry { return false } else { return true } }
        for (name, entry) in members {
            switch entry {
            case .parameter(_, let tensor), .buffer(_, let tensor): expected[name] = tensor.shape
            case .integerBuffer: expected[name] = []
            case .child: break
            }
        }
        try stateDict.checkShapes(against: expected, source: source)
        try stateDict.checkFinite(expected.keys, source: source)
        for (name, entry) in members {
            guard let stored = stateDict[name] else { continue }
            switch entry {
            case .parameter(_, let tensor), .buffer(_, let tensor): try tensor.assign(stored.floats())
            case .integerBuffer(_, let counter): counter.value = try stored.int64s().first ?? 0
            case .child: break
            }
        }
        try refreshFoldedBatchNorms()
    }

    /// Every entry with its dotted name, depth first.
    func walk(prefix: String = "") -> [(name: String, entry: ModuleEntry)] {
        var result: [(String, ModuleEntry)] = []
        for entry in entries {
            switch entry {
            case .parameter(let name, _), .buffer(let name, _), .integerBuffer(let name, _):
                result.append((prefix + name, entry))
            case .child(let name, let child):
                result.append((prefix + name, entry))
                result += child.walk(prefix: prefix + name + ".")
            }
        }
        return result
    }
}
