import Foundation
import RetortNN

/// Side-by-side numbers from peer libraries: runs `Benchmarks/peers/peers.py` (PyTorch on the CPU,
/// ncnn's Vulkan path) on the kernel cases it shares with Retort's report and computes
/// Retort / peer ratios. The script runs under `RETORT_PEERS_PYTHON` when set, else under
/// `.build/peers-venv/bin/python` when that exists (`make bench-peers` creates it), else under `python3` from `PATH`.
struct PeerComparison {
    /// The peers script.
    let script: URL
    /// The Python interpreter that runs it.
    let python: URL
    /// Passed to the script so that ncnn uses the device Retort used (a name substring).
    let vulkanDevice: String

    static let scriptPath = "Benchmarks/peers/peers.py"
    static let venvPython = ".build/peers-venv/bin/python"

    /// Why the comparison cannot run: the script or Python is missing, or the script failed.
    struct Unavailable: Error, CustomStringConvertible {
        var description: String
    }

    /// Finds the script (from `RETORT_PEERS_SCRIPT`, the working directory, or the folders above
    /// the executable) and the interpreter to run it with.
    static func locate(vulkanDevice: String) throws(Unavailable) -> PeerComparison {
        let fileManager = FileManager.default
        let environment = ProcessInfo.processInfo.environment
        var roots: [URL] = [URL(fileURLWithPath: fileManager.currentDirectoryPath)]
        let executable = URL(fileURLWithPath: CommandLine.arguments[0])
        for start in [executable, executable.resolvingSymlinksInPath()] {
            var folder = start.deletingLastPathComponent()
            for _ in 0..<4 {
                roots.append(folder)
                folder = folder.deletingLastPathComponent()
            }
        }
        let script: URL
        let root: URL?
        if let explicit = environment["RETORT_PEERS_SCRIPT"], !explicit.isEmpty {
            script = URL(fileURLWithPath: explicit)
            root = nil
            guard fileManager.fileExists(atPath: script.path) else {
                throw Unavailable(description: "RETORT_PEERS_SCRIPT=\(explicit) does not exist")
            }
        } else if let found = roots.first(where: { fileManager.fileExists(atPath: $0.appendingPathComponent(scriptPath).path) }) {
            script = found.appendingPathComponent(scriptPath)
            root = found
        } else {
            throw Unavailable(description: "\(scriptPath) not found (run from the repository root, or set RETORT_PEERS_SCRIPT)")
        }
        if let explicit = environment["RETORT_PEERS_PYTHON"], !explicit.isEmpty {
            guard fileManager.isExecutableFile(atPath: explicit) else {
                throw Unavailable(description: "RETORT_PEERS_PYTHON=\(explicit) is not an executable")
            }
            return PeerComparison(script: script, python: URL(fileURLWithPath: explicit), vulkanDevice: vulkanDevice)
        }
        let venv = (root ?? URL(fileURLWithPath: fileManager.currentDirectoryPath)).appendingPathComponent(venvPython)
        if fileManager.isExecutableFile(atPath: venv.path) {
            return PeerComparison(script: script, python: venv, vulkanDevice: vulkanDevice)
        }
        let path = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for folder in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(folder)).appendingPathComponent("python3")
            if fileManager.isExecutableFile(atPath: candidate.path) {
                return PeerComparison(script: script, python: candidate, vulkanDevice: vulkanDevice)
            }
        }
        throw Unavailable(description: "python3 not found on PATH; `make bench-peers` sets up \(venvPython)")
    }

    /// Runs the peers on the GFLOP/s cases of a `KernelBenchmark` report and returns the report's
    /// `peers` section: each peer's availability and, per shared case, the peer's GFLOP/s and the
    /// ratio Retort / peer (above 1: Retort is faster).
    func compare(_ report: [String: Any]) throws(Unavailable) -> [String: Any] {
        let rows = (report["results"] as? [[String: Any]] ?? [])
            .filter { $0["unit"] as? String == KernelCase.Unit.gflops.rawValue }
        let retort = Dictionary(rows.compactMap { row -> (String, Double)? in
            guard let name = row["name"] as? String, let value = row["value"] as? Double else { return nil }
            return (name, value)
        }, uniquingKeysWith: { first, _ in first })
        let names = rows.compactMap { $0["name"] as? String }
        let list = (try? JSONSerialization.data(withJSONObject: names)) ?? Data("[]".utf8)
        let output = try runScript(["--vulkan-device", vulkanDevice, "-"], input: list)
        guard let object = try? JSONSerialization.jsonObject(with: output) as? [String: Any] else {
            throw Unavailable(description: "\(script.path) printed no JSON report")
        }
        let peerCases = object["cases"] as? [String: Any] ?? [:]
        let sharedCases = names.filter { peerCases[$0] != nil }
        let peers = object["peers"] as? [String: [String: Any]] ?? [:]
        var section: [String: Any] = [
            "script": script.path, "python": python.path,
            "peer_cases": object["known_cases"] as? [String] ?? [],
            "note": "ratio = Retort GFLOP/s / peer GFLOP/s (above 1: Retort is faster); Retort's time is GPU "
                + "timestamps, ncnn's gflops includes upload + download, gflops_device leaves them out",
            "peers": peers.mapValues { peer -> [String: Any] in
                var entry: [String: Any] = ["available": peer["available"] as? Bool ?? false]
                entry["reason"] = peer["reason"]
                entry["info"] = peer["info"]
                return entry
            },
        ]
        section["cases"] = sharedCases.map { name -> [String: Any] in
            var entry: [String: Any] = ["name": name, "retort_gflops": retort[name] ?? 0]
            for (peer, outcome) in peers {
                guard let result = (outcome["results"] as? [String: [String: Any]])?[name] else { continue }
                var values: [String: Any] = [:]
                for key in ["gflops", "gflops_device"] {
                    guard let peerRate = result[key] as? Double, peerRate > 0 else { continue }
                    values[key] = peerRate
                    values[key.replacingOccurrences(of: "gflops", with: "ratio")] = Self.round(retort[name]! / peerRate)
                }
                // Fastest-run figures (steadier on a busy machine), without ratios.
                for key in ["gflops_best", "gflops_device_best"] { values[key] = result[key] }
                values["error"] = result["error"]
                entry[peer] = values
            }
            return entry
        }
        return section
    }

    /// Runs the script with `arguments` and `input` on its stdin; its stderr (progress) goes to
    /// ours. Returns its stdout.
    func runScript(_ arguments: [String], input: Data) throws(Unavailable) -> Data {
        let process = Process()
        process.executableURL = python
        process.arguments = [script.path] + arguments
        let output = Pipe()
        let feed = Pipe()
        process.standardOutput = output
        process.standardInput = feed
        do {
            try process.run()
        } catch {
            throw Unavailable(description: "cannot start \(python.path): \(error)")
        }
        // The case list is a few hundred bytes, far below the pipe's buffer. A script that exits
        // before reading it must not kill this process: no SIGPIPE, and a failed write is ignored.
        signal(SIGPIPE, SIG_IGN)
        try? feed.fileHandleForWriting.write(contentsOf: input)
        try? feed.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Unavailable(description: "\(script.path) exited with status \(process.terminationStatus)")
        }
        return data
    }

    /// A Markdown table of a `peers` section: one row per shared case, a GFLOP/s and a ratio
    /// column per available peer (ncnn twice: with and without transfers).
    static func markdown(_ section: [String: Any]) -> String {
        let cases = section["cases"] as? [[String: Any]] ?? []
        let peers = (section["peers"] as? [String: [String: Any]] ?? [:])
        var lines: [String] = []
        for (name, peer) in peers.sorted(by: { $0.key < $1.key }) where peer["available"] as? Bool != true {
            lines.append("peer \(name) unavailable: \(peer["reason"] ?? "no reason given")")
        }
        if cases.isEmpty {
            let peerCases = (section["peer_cases"] as? [String] ?? []).joined(separator: ", ")
            lines.append("peers: no Retort GFLOP/s case has a peer counterpart (peer cases: \(peerCases))")
            return lines.joined(separator: "\n")
        }
        var columns: [(title: String, peer: String, key: String)] = []
        for name in peers.keys.sorted() where peers[name]?["available"] as? Bool == true {
            for (key, suffix) in [("gflops", ""), ("gflops_device", " device only")]
            where cases.contains(where: { ($0[name] as? [String: Any])?[key] != nil }) {
                columns.append(("\(name)\(suffix)", name, key))
            }
        }
        lines.append("| kernel | Retort GFLOP/s | " + columns.map { "\($0.title) GFLOP/s | Retort / \($0.title)" }
            .joined(separator: " | ") + " |")
        lines.append("|---|---|" + String(repeating: "---|---|", count: columns.count))
        for entry in cases {
            var cells = ["\(entry["name"] ?? "")", "\(entry["retort_gflops"] ?? "")"]
            for column in columns {
                let values = entry[column.peer] as? [String: Any] ?? [:]
                let ratioKey = column.key.replacingOccurrences(of: "gflops", with: "ratio")
                cells.append(values[column.key].map { "\($0)" } ?? "–")
                cells.append(values[ratioKey].map { "\($0)×" } ?? "–")
            }
            lines.append("| " + cells.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n")
    }

    private static func round(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }
}

extension PeerComparison {
    /// PyTorch (CPU) images/s for the same steps as `retort-bench train`, from
    /// `Benchmarks/peers/train_peer.py` beside the peers script, keyed by ``TrainBenchmark/Workload/key``
    /// (a model name, or `teacher->student` for a KD step; folded and unfolded rows share one).
    func trainingRates(of workloads: [TrainBenchmark.Workload], batchSize: Int) throws(Unavailable) -> [String: Double] {
        let trainScript = script.deletingLastPathComponent().appendingPathComponent("train_peer.py")
        let peer = PeerComparison(script: trainScript, python: python, vulkanDevice: vulkanDevice)
        var arguments = ["--batch-size", "\(batchSize)"]
        var seen: Set<String> = []
        for workload in workloads where seen.insert(workload.key).inserted {
            arguments += workload.teacher == nil ? [workload.student] : ["--distill", workload.peerArgument]
            // Plain CNNs: the layer lists Retort builds, so the peer builds the same network.
            for name in [workload.teacher, workload.student].compactMap({ $0 }) {
                guard let spec = PlainCNN.specification(name, hundred: workload.classes > 10),
                      seen.insert("\(name):\(workload.classes)").inserted else { continue }
                arguments = ["--plane-spec", "\(name):\(workload.classes)=" + spec.joined(separator: ",")] + arguments
            }
        }
        let data = try peer.runScript(arguments, input: Data())
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let rates = object["pytorch-cpu"] as? [String: Double] else {
            throw Unavailable(description: "\(trainScript.path) printed no \"pytorch-cpu\" rates")
        }
        return rates
    }
}
