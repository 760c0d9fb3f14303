import RetortDistill

/// `retort train`: training of a zoo model on a dataset, with a run folder; with `--teacher-model`,
/// `distill --loss kd` from that teacher.
enum TrainCommand: RegisteredCommand {
    static let name = "train"
    static let order = 20
    static let summary = """
        train a zoo model on a dataset into a run folder (config.json, metrics.jsonl,
        best/last checkpoints, summary.md)
        """
    /// The training options every training command takes.
    static let trainingOptions = """
        --model NAME --dataset fashion-mnist|mnist|cifar10|cifar100|folder [--data-dir DIR]
        --dataset folder --data-dir DIR   DIR/train/<class>/*, DIR/val/<class>/* (torchvision's ImageFolder;
          classes sorted by name) or Tiny-ImageNet (DIR/wnids.txt, train/<wnid>/images/, val/val_annotations.txt);
          JPEG and PNG files, decoded as the loader needs them; classes.txt in the run folder
          [--input CxHxW]   sample shape (default 3x224x224, Tiny-ImageNet 3x64x64; 1xHxW decodes gray)
          [--bad-images fail|skip]   a file that is no readable image stops the run, naming it (fail, the
          default), or is left out and counted (skip)
          [--normalization imagenet|dataset]   ImageNet's mean/std (default) or measured on 2000 training images
        [--workers N]   threads preparing each batch's samples (default: the cores; same batches for any N)
        --epochs N --batch-size N --lr X --momentum X --weight-decay X [--nesterov]
        --schedule cosine|multistep|step|constant [--milestones A,B] [--gamma X]
        [--step-size N] [--warmup-epochs N] [--label-smoothing X] --seed N
        [--limit N]   the first N images of each split (a folder's: the first N in class order)
        [--save-every K]   also keep the weights after every K-th epoch (epoch-<n>.safetensors)
        [--save-every-steps N]   also save last every N steps: a crash loses at most N steps
        [--ghost-batches N]   run each batch as N ghost batches (batch norm per part, gradients averaged):
          one process trains as N data-parallel ranks with per-rank batch norm do
        [--sync-bn]   under mpirun -np N, batch norms use the statistics of the whole global batch
        (all ranks: PyTorch's SyncBatchNorm) instead of each rank's rows; one process: no change
        [--precision fp32|fp16|bf16]   mixed precision: activations and the weights' working copy in 16 bits,
          fp32 master weights, optimizer state, losses and checkpoints; fp16 scales the loss dynamically
          (PyTorch's autocast + GradScaler); needs 16-bit storage buffers (retort devices --verbose)
        --out DIR   (default runs/<model>-<dataset>)
        --config FILE   the same keys in JSON; flags win
        --resume DIR    continue a run from its last checkpoint (Ctrl-C saves it; after a
        crash or kill, from the last save, or from the start if none was made)
        [--force]   --out DIR holds a previous run: start over (removes its checkpoints,
        metrics and summaries; without it the command refuses and writes nothing)
        """
    static var usage: String {
        let kd = DistillationMethod.kd
        return trainingOptions + """

            --teacher-model NAME --teacher-weights FILE   distill --loss kd from a trained teacher:
            --ce-weight \(MethodOption.text(of: kd.defaultCrossEntropyWeight)) --loss-weight \
            \(MethodOption.text(of: kd.defaultLossWeight)) --temperature \(MethodOption.text(of: kd.defaultTemperature)) \
            \(MethodHelp.options(kd.options))
            """
    }
    static var spec: Arguments.Spec {
        .settings(TrainConfiguration.keys + TrainConfiguration.renamedKeys.keys, flags: ["nesterov", "sync-bn", "force"],
                  extra: ["config", "resume"])
    }

    static func run(_ arguments: Arguments, launch: Launch) throws {
        try TrainingJob.run(TrainConfiguration.self, arguments, launch: launch)
    }
}
