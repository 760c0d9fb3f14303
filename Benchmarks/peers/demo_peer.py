#!/usr/bin/env python3
"""PyTorch (CPU) run of the recipe of `make demo`: a teacher trained on every Fashion-MNIST training
label, a student trained alone on the first N training images, and the same student distilled from
the teacher (Hinton KD) on the same N images, per seed; the three best test top-1 side by side.

usage: python demo_peer.py [--seeds 1,2] [--teacher plane6] [--student plane2] [--teacher-epochs 3]
           [--student-epochs 3] [--labels 10000] [--batch-size 128] [--lr 0.05]
           [--kd-temperature 4 --kd-gamma 0.1 --kd-alpha 0.9] [--threads 2]
           [--data-dir /usr/share/datasets/fashion-mnist] [--json OUT.json]

Each stage is `distill_peer.fit` (the models, data order, augmentation, SGD and schedule of Retort's
recipe mirrored there): the teacher as `retort train --model T` on all images, the student as
`retort train --model S --limit N` and the distilled student as `retort distill --student S --teacher T
--loss kd --limit N`; `--limit` keeps the first N images of both splits, as in Retort, so N >= 10000
keeps the whole test split. Within a seed the student alone and the distilled student start from the
same initial weights (torch.manual_seed(seed) before each model), as Retort's seeded zoo does.
Prints one line per stage and finally a JSON object: per seed the teacher's, the student's and the
distilled student's best test top-1 (fractions), the gap (distilled - alone) and the seconds per stage.
"""
import argparse
import sys
import time

import torch

from distill_peer import add_kd_arguments, add_run_arguments, evaluate, fit, load_split, make_model, write_result


def stage(recipe, method, epochs, model_name, seed, teacher, train, test, say):
    """Trains a fresh `model_name` (initialised after torch.manual_seed(seed)); returns it and its row."""
    torch.manual_seed(seed)
    model = make_model(model_name)
    args = argparse.Namespace(**recipe, method=method, epochs=epochs, seed=seed)
    started = time.perf_counter()
    history = fit(args, model, teacher, train, test, say)
    top1s = [row["test_top1"] for row in history]
    return model, {"model": model_name, "method": method, "epochs": epochs, "train_images": len(train[1]),
                   "test_images": len(test[1]), "test_top1": top1s, "best_top1": max(top1s), "last_top1": top1s[-1],
                   "seconds": time.perf_counter() - started}


def run_seed(options, recipe, seed, data, say):
    """Teacher, student alone and distilled student for one seed."""
    full_train, full_test, few_train, few_test = data
    say(f"seed {seed}: teacher {options.teacher}, {options.teacher_epochs} epochs on {len(full_train[1])} images")
    teacher, teacher_row = stage(recipe, "ce", options.teacher_epochs, options.teacher, seed, None, full_train, full_test, say)
    for parameter in teacher.parameters():
        parameter.requires_grad_(False)
    teacher.eval()
    teacher_row["few_test_top1"] = evaluate(teacher, *few_test)[0]
    say(f"seed {seed}: student {options.student} alone, {options.student_epochs} epochs on {len(few_train[1])} images")
    _, alone = stage(recipe, "ce", options.student_epochs, options.student, seed, None, few_train, few_test, say)
    say(f"seed {seed}: student {options.student} distilled (kd), {options.student_epochs} epochs on {len(few_train[1])} images")
    _, distilled = stage(recipe, "kd", options.student_epochs, options.student, seed, teacher, few_train, few_test, say)
    return {"seed": seed, "teacher": teacher_row, "alone": alone, "distilled": distilled,
            "gap": distilled["best_top1"] - alone["best_top1"]}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=lambda s: [int(v) for v in s.split(",") if v], default=[1, 2])
    parser.add_argument("--teacher", default="plane6")
    parser.add_argument("--student", default="plane2")
    parser.add_argument("--teacher-epochs", type=int, default=3)
    parser.add_argument("--student-epochs", type=int, default=3)
    parser.add_argument("--labels", type=int, default=10000, help="the student's training images (retort --limit N)")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=0.05)
    add_kd_arguments(parser)
    parser.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", help="also write the result object to this file")
    options = parser.parse_args()
    if min(options.teacher_epochs, options.student_epochs, options.labels, options.batch_size) <= 0:
        parser.error("--teacher-epochs, --student-epochs, --labels and --batch-size must be positive")
    if not options.seeds:
        parser.error("--seeds needs at least one seed")
    if options.kd_temperature <= 0:
        parser.error("--kd-temperature must be positive")

    torch.set_num_threads(options.threads)
    say = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731
    recipe = {"batch_size": options.batch_size, "lr": options.lr, "schedule": "cosine", "momentum": 0.9,
              "weight_decay": 5e-4, "nesterov": False, "gamma": 0.1, "step_size": 30, "milestones": [],
              "kd_temperature": options.kd_temperature, "kd_gamma": options.kd_gamma, "kd_alpha": options.kd_alpha}
    data = (load_split(options.data_dir, "train", None), load_split(options.data_dir, "test", None),
            load_split(options.data_dir, "train", options.labels), load_split(options.data_dir, "test", options.labels))
    runs = [run_seed(options, recipe, seed, data, say) for seed in options.seeds]
    for run in runs:
        say(f"seed {run['seed']}: teacher {run['teacher']['best_top1'] * 100:.2f}%, alone {run['alone']['best_top1'] * 100:.2f}%, "
            f"distilled {run['distilled']['best_top1'] * 100:.2f}% (gap {run['gap'] * 100:+.2f} points)")
    result = {"peer": "pytorch-cpu", "torch": torch.__version__, "threads": options.threads,
              "recipe": {key: value for key, value in vars(options).items() if key not in ("json", "data_dir", "threads")},
              "runs": runs}
    write_result(result, options.json)


if __name__ == "__main__":
    main()
