import Foundation
import Retort
import RetortCompute

/// The `retort` command line: parses arguments, runs one command, maps errors to exit codes.
enum CLI {
    static let specs: [String: Arguments.Spec] = [
        "devices": .init(flags: ["json"]),
        "selftest": .init(options: ["size", "seed"]),
        "models": .init(options: ["input", "classes"], flags: ["json"]),
        "eval": .init(options: ["model", "weights", "dataset", "data-dir", "split", "limit"]),
        "predict": .init(options: ["model", "weights", "dataset", "data-dir", "split", "limit", "out"]),
        "train": .init(options: Set(TrainConfiguration.keys(for: .train) + TrainConfiguration.renamedKeys.keys).subtracting(["nesterov"])
                       .union(["config", "resume"]), flags: ["nesterov"]),
        "distill": .init(options: Set(TrainConfiguration.keys(for: .distill)).subtracting(["nesterov"]).union(["config", "resume"]),
                         flags: ["nesterov"], repeatable: ["teacher", "teacher-weights"]),
        "selfdistill": .init(options: Set(TrainConfiguration.keys(for: .selfdistill)).subtracting(["nesterov"]).union(["config", "resume"]),
                             flags: ["nesterov"]),
        "chain": .init(options: Set(ChainConfiguration.ownKeys + StageSettings.keys).subtracting(["nesterov", "compare-direct"]).union(["config", "resume"]),
                       flags: ["nesterov", "compare-direct"]),
        "sweep-teachers": .init(options: Set(SweepConfiguration.ownKeys + StageSettings.keys).subtracting(["nesterov", "dataset"]).union(["config"]),
                                flags: ["nesterov"]),
        "prune": .init(options: Set(TrainConfiguration.keys(for: .prune)).subtracting(["nesterov"]).union(["config"]), flags: ["nesterov"]),
        "online": .init(options: Set(TrainConfiguration.keys(for: .online)).subtracting(["nesterov"]).union(["config", "resume"]), flags: ["nesterov"]),
    ]

    static let usage = """
        retort — GPU training and knowledge distillation on Vulkan compute

        usage: retort <command> [options]

        commands:
          devices               list Vulkan devices, one summary line each, and mark the one Retort uses
                                  --json      machine-readable output
          train                 train a zoo model on a dataset into a run folder (config.json, metrics.jsonl,
                                best/last checkpoints, summary.md)
                                  --model NAME --dataset fashion-mnist|mnist|cifar10|cifar100 [--data-dir DIR]
                                  --epochs N --batch-size N --lr X --momentum X --weight-decay X [--nesterov]
                                  --schedule cosine|multistep|step|constant [--milestones A,B] [--gamma X]
                                  [--step-size N] [--warmup-epochs N] [--label-smoothing X] --seed N [--limit N]
                                  [--save-every K]   also keep the weights after every K-th epoch (epoch-<n>.safetensors)
                                  --out DIR   (default runs/<model>-<dataset>)
                                  --config FILE   the same keys in JSON; flags win
                                  --resume DIR    continue a run from its last checkpoint (Ctrl-C saves it)
                                  --teacher-model NAME --teacher-weights FILE   distill (Hinton KD) from a
                                  trained teacher: γ·CE + α·T²·KL, --kd-temperature 4 --kd-gamma 0.1 --kd-alpha 0.9
          distill               distill a student from frozen teachers (the training options of train, and)
                                  --student NAME --teacher NAME --teacher-weights FILE (repeat both for several
                                  teachers; weights from retort train or PyTorch safetensors)
                                  --loss kd|dkd|nkd|dist|sp|crd|camkd|mixkd (default kd)
                                  --ce-weight X --loss-weight X --temperature X   (defaults per loss, see README)
                                  kd: --kd-reduction batchmean|mean|sum --kd-t2 true|false
                                  dkd: --dkd-alpha 1 --dkd-beta 8 --dkd-warmup 20 (epochs)
                                  nkd: --nkd-gamma 1.5   dist: --dist-beta 1 --dist-gamma 1
                                  crd: --crd-dim 128 --crd-negatives 16384 --crd-momentum 0.5
                                  mixkd: --mixup-alpha 1 --mixup-unmixed 0.9
          selfdistill           train with self-distillation (the training options of train, and)
                                  --model NAME --method bake|zipf|tfnkd|ls
                                  bake: --bake-omega 0.5 --temperature 4   zipf: --zipf-power 1   ls: --label-smoothing 0.1
          chain                 teacher-assistant distillation (TAKD): train the teacher, then distill each model
                                from the previous stage's best checkpoint (the training and loss options of distill)
                                  --models TEACHER,[ASSISTANT,…,]STUDENT   largest first, e.g. plane10,plane6,plane2
                                  --assistants auto|auto:N|NAME,…   with --models TEACHER,STUDENT: choose N family
                                  members spaced evenly in log-parameters (plain CNNs, CIFAR ResNets, WRNs)
                                  [--teacher-weights FILE]   a trained teacher: evaluate it instead of training
                                  [--compare-direct]   also distill the student straight from the teacher
                                  --out DIR   stage folders DIR/0-<teacher>/ …, DIR/summary.md, DIR/chain.json;
                                  run again (or --resume DIR) to reuse finished stages and continue
          sweep-teachers        distill a fresh student from every kept checkpoint of a teacher run and find the
                                teacher epoch that teaches best (the training and loss options of distill)
                                  --run DIR   a run from retort train --save-every K   --student NAME
                                  --out DIR   DIR/from-epoch-<n>/, DIR/sweep.md, DIR/sweep.json
          prune                 prune a trained teacher (global, unstructured) and fine-tune it with the masks held;
                                DIR/best.safetensors (zeros in place; masks in best.masks.safetensors) is a
                                teacher for distill --teacher-weights; before/after table in DIR/pruning.md|json
                                  --model NAME --weights FILE (the dense teacher) --out DIR, and the training
                                  options of train for fine-tuning (--epochs --lr --schedule --batch-size --seed …)
                                  --method prue|magnitude|random --sparsity 0.5   one shot over the Conv2d weights
                                    (prue: prediction-uncertainty scores, PrUE), fine-tuned in DIR/finetune
                                  --method iterative --rate 0.2 --rounds N   prune 20% of the remaining Conv2d AND
                                    Linear weights by |w| per round (prune-then-distill), each round fine-tuned
                                    with the schedule restarted (LR rewinding) in DIR/round-<k>; --sparsity S
                                    instead of --rounds picks the rounds whose 1 − 0.8^k is closest to S
          online                train several networks together, each with its own SGD (the training options
                                of train, and)
                                  --models A,B[,…] --method dml|switokd|bdkd|sokd   (names repeat as A-a, A-b)
                                  [--lrs X,Y,…]   one learning rate per network (default --lr for all)
                                  switokd, bdkd: first = teacher, second = student; dml: two or more
                                  sokd: --models TEACHER,STUDENT --teacher-weights FILE [--temperature 4]
                                  --resume DIR    continue from the last finished epoch
          eval                  top-1, top-5 and loss of saved weights
                                  --model NAME --weights FILE --dataset NAME [--data-dir DIR] [--split test|train]
          predict               write a split's logits ([N, classes], tensor "logits") and labels to safetensors
                                  --model NAME --weights FILE --dataset NAME --split train|test --out FILE
          models                the model zoo with parameter counts and forward FLOPs
                                  --input CxHxW   input shape (default 3x32x32)
                                  --classes N     class count (default 100)
                                  --json          machine-readable output
          selftest              run a GEMM on the chosen device and compare it with a CPU reference
                                  --size N    largest square size to check (default 256)
                                  --seed S    random seed (default 1)

        options:
          -h, --help            show this help
          --version             print the version

        environment:
          RETORT_DEVICE=<index|name>   use this device instead of the automatic choice
                                       (discrete > integrated > virtual > CPU)
          RETORT_VALIDATION=1          enable the Khronos validation layer
        """

    static func main(arguments: [String]) -> Int32 {
        do {
            let parsed = try Arguments.parse(arguments, specs: specs, global: ["help", "version"])
            if parsed.flags.contains("version") {
                print("retort \(RetortVersion.string)")
                return 0
            }
            if parsed.flags.contains("help") {
                print(usage)
                return 0
            }
            guard let command = parsed.command else {
                FileHandle.standardError.write(Data((usage + "\n").utf8))
                return 2
            }
            if let extra = parsed.positionals.first {
                throw CLIError.usage("unexpected argument '\(extra)' for '\(command)'")
            }
            switch command {
            case "devices": try DevicesCommand.run(parsed)
            case "selftest": try SelfTestCommand.run(parsed)
            case "models": try ModelsCommand.run(parsed)
            case "train": try TrainCommand.run(parsed, command: .train)
            case "distill": try TrainCommand.run(parsed, command: .distill)
            case "selfdistill": try TrainCommand.run(parsed, command: .selfdistill)
            case "chain": try ChainCommand.run(parsed)
            case "sweep-teachers": try SweepTeachersCommand.run(parsed)
            case "prune": try PruneCommand.run(parsed)
            case "online": try OnlineCommand.run(parsed)
            case "eval": try EvaluateCommand.run(parsed, predict: false)
            case "predict": try EvaluateCommand.run(parsed, predict: true)
            default: throw CLIError.usage("unknown command '\(command)'")
            }
            return 0
        } catch let error as CLIError {
            report(error.description)
            return error.exitCode
        } catch {
            report("\(error)")
            return 1
        }
    }

    static func report(_ message: String) {
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
    }
}
