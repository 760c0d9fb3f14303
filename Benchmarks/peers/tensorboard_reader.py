"""Reads Retort's TensorBoard event files with TensorBoard's own reader.

    python tensorboard_reader.py LOGDIR [--check RUN_FOLDER ...]

Loads every run under LOGDIR as `tensorboard --logdir LOGDIR` does (an EventMultiplexer over the folders
holding `events.out.tfevents.*` files, through tensorboard.backend.event_processing.event_accumulator)
and prints each run, its scalar tags, how many points each has and the last value. With --check, each
given run folder's epoch scalars (an online run's network folder: that network's) must equal its
metrics.jsonl (as 32-bit floats, at the step of that epoch's `epoch` scalar); the script exits 1 when
TensorBoard loaded no scalars or a value differs.
"""
import argparse
import json
import os
import struct
import sys

from tensorboard.backend.event_processing import event_accumulator, event_multiplexer

# metrics.jsonl keys of each epoch scalar.
EPOCH_TAGS = {"train/loss": "train_loss", "train/accuracy": "train_acc", "test/loss": "test_loss",
              "test/top1": "test_top1", "test/top5": "test_top5", "test/ece": "test_ece", "lr": "lr",
              "fidelity/agreement": "agreement", "fidelity/predictive_kl": "predictive_kl"}


def as_float32(value):
    return struct.unpack("<f", struct.pack("<f", value))[0]


def load(logdir):
    multiplexer = event_multiplexer.EventMultiplexer(size_guidance={event_accumulator.SCALARS: 0})
    multiplexer.AddRunsFromDirectory(logdir)
    multiplexer.Reload()
    return multiplexer


def read_metrics(folder):
    """The folder's metrics.jsonl lines; for an online run's network folder, that network's part of
    the run's lines."""
    own = os.path.join(folder, "metrics.jsonl")
    path = own if os.path.exists(own) else os.path.join(os.path.dirname(os.path.normpath(folder)), "metrics.jsonl")
    with open(path) as lines:
        metrics = [json.loads(line) for line in lines if line.strip()]
    if path == own:
        return metrics
    network = os.path.basename(os.path.normpath(folder))
    return [line["networks"][network] for line in metrics]


def check(multiplexer, logdir, folder):
    """Problems of one run folder: its epoch scalars against its metrics.jsonl."""
    run = os.path.relpath(folder, logdir)
    run = "." if run == os.curdir else run
    if run not in multiplexer.Runs():
        return ["%s: TensorBoard found no run there (runs: %s)" % (folder, sorted(multiplexer.Runs()))]
    metrics = read_metrics(folder)
    epochs = {int(event.value): event.step for event in multiplexer.Scalars(run, "epoch")}
    problems, compared = [], 0
    for tag, key in EPOCH_TAGS.items():
        expected = {epochs.get(line["epoch"]): as_float32(line[key]) for line in metrics if line.get(key) is not None}
        if not expected:
            continue
        loaded = {event.step: event.value for event in multiplexer.Scalars(run, tag)}
        if loaded != expected:
            problems.append("%s %s: TensorBoard loaded %s, metrics.jsonl says %s" % (run, tag, loaded, expected))
        compared += len(expected)
    if compared == 0:
        problems.append("%s: no epoch scalars to compare" % run)
    print("%s: %d epoch values equal metrics.jsonl" % (run, compared) if not problems else "%s: differs" % run)
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("logdir")
    parser.add_argument("--check", nargs="*", default=[], metavar="RUN_FOLDER")
    arguments = parser.parse_args()
    multiplexer = load(arguments.logdir)
    points = 0
    for run in sorted(multiplexer.Runs()):
        tags = multiplexer.Runs()[run].get(event_accumulator.SCALARS, [])
        print("run %s: %d scalar tags" % (run, len(tags)))
        for tag in sorted(tags):
            events = multiplexer.Scalars(run, tag)
            points += len(events)
            print("  %-24s %4d points, last step %6d value %.6g" % (tag, len(events), events[-1].step, events[-1].value))
    problems = [] if points else ["TensorBoard loaded no scalars from %s" % arguments.logdir]
    for folder in arguments.check:
        problems += check(multiplexer, arguments.logdir, folder)
    for problem in problems:
        print("error: " + problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
