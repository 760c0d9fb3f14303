import Foundation
import Retort
import RetortDistill

/// `retort chain` under `mpirun`: rank 0 runs the chain (which stages to run, reuse or start over,
/// the reports), and every stage that trains is relayed to the other ranks, which train it with rank 0
/// data-parallel. The chain folder must be on a file system every machine of the job sees (a teacher's
/// weights are the previous stage's `best.safetensors`).
struct ChainStageRelay {
    var dataParallel: DataParallel

    /// Rank 0: tells the other ranks to train `request` alongside it.
    func send(_ request: StageRequest) throws {
        var fields: [String: Any] = ["name": request.name, "model": request.model, "directory": request.directory.path,
                                     "resumes": request.resumes]
        if let teacher = request.teacher {
            fields["teacher"] = teacher.model
            fields["weights"] = teacher.weights.path
        }
        var bytes = [UInt8](try JSONSerialization.data(withJSONObject: fields, options: .sortedKeys))
        try dataParallel.group.broadcast(&bytes, from: 0)
    }

    /// Rank 0: tells the other ranks the chain is over.
    func finish() throws {
        var bytes: [UInt8] = []
        try dataParallel.group.broadcast(&bytes, from: 0)
    }

    /// Other ranks: trains each stage rank 0 sends, until it says the chain is over.
    func serve(_ train: (StageRequest) throws -> Void) throws {
        while true {
            var bytes: [UInt8] = []
            try dataParallel.group.broadcast(&bytes, from: 0)
            guard !bytes.isEmpty else { return }
            guard let fields = try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any], let name = fields["name"] as? String,
                  let model = fields["model"] as? String, let directory = fields["directory"] as? String
            else { throw CLIError.failed("chain: rank 0 sent a stage this rank cannot read") }
            let task: StageTask
            if let teacher = fields["teacher"] as? String, let weights = fields["weights"] as? String {
                task = .distill(teacher: teacher, weights: URL(fileURLWithPath: weights))
            } else {
                task = .train
            }
            try train(StageRequest(name: name, model: model, task: task, directory: URL(fileURLWithPath: directory),
                                   resumes: fields["resumes"] as? Bool ?? false))
        }
    }
}
