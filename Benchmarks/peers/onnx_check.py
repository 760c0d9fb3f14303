"""Checks an ONNX model written by `retort export` with ONNX's own checker and runs it in ONNX Runtime.

Two modes, both on the IDX images (.gz or not) of Fashion-MNIST (or MNIST) read with numpy:

  onnx_check.py MODEL.onnx… --logits PREDICTIONS.safetensors… [--data-dir DIR] [--tolerance 1e-4]
      compares ONNX Runtime's logits with those `retort predict` wrote (tensor "logits", [N, classes])
      for the first N images of the split the file records, normalized with the mean and std it
      records; fails when the largest absolute difference exceeds the tolerance times the logits'
      scale (the largest |logit|, at least 1: float32 rounding grows with it), or the labels differ.
      The first image also runs alone, so a batch size other than N is checked too. Several models
      and their predictions (in the same order) are checked in one run. A predictions file with a
      tensor "inputs" ([N, C, H, W], normalized) gives the inputs itself (any image size, no dataset).

  onnx_check.py MODEL.onnx --accuracy [--weights W.safetensors | --mean M --std S] [--limit N] [--data-dir DIR]
      prints the top-1 accuracy on the test split (normalized as the model's metadata records — `retort
      export` copies the checkpoint's —, as the checkpoint records, or as given), to compare with `retort eval`.

Exit status: 0 when the check passes, 1 when it fails, 2 for a usage error.
"""

import argparse
import gzip
import json
import os
import struct
import sys

import numpy as np
import onnx
import onnxruntime

DATASET_ROOT = os.path.join(os.sep, "usr", "share", "datasets")
IDX_FILES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
             "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}


def fail(message, status=1):
    print(f"onnx_check: {message}", file=sys.stderr)
    sys.exit(status)


def read_safetensors(path):
    """The tensors (as numpy arrays) and the metadata of a safetensors file."""
    dtypes = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "I32": np.int32, "U8": np.uint8}
    try:
        with open(path, "rb") as file:
            data = file.read()
    except OSError as error:
        fail(f"cannot read {path}: {error.strerror}")
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    metadata = header.pop("__metadata__", {})
    body = data[8 + length:]
    tensors = {}
    for name, entry in header.items():
        start, end = entry["data_offsets"]
        tensors[name] = np.frombuffer(body[start:end], dtype=dtypes[entry["dtype"]]).reshape(entry["shape"])
    return tensors, metadata


def read_idx(path):
    """An IDX array (unsigned bytes) from `path`, or from `path`.gz when only that exists."""
    compressed = not os.path.exists(path)
    try:
        with (gzip.open(path + ".gz", "rb") if compressed else open(path, "rb")) as file:
            data = file.read()
    except OSError as error:
        fail(f"cannot read {path + '.gz' if compressed else path}: {error}; install the dataset (make deps) or give --data-dir")
    dimensions = data[3]
    shape = struct.unpack(">" + "I" * dimensions, data[4:4 + 4 * dimensions])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dimensions).reshape(shape)


def load_split(directory, split, limit):
    """The first `limit` images [N, 1, H, W] in [0, 1] and labels of a split."""
    images_file, labels_file = IDX_FILES[split]
    images = read_idx(os.path.join(directory, images_file))[:limit]
    labels = read_idx(os.path.join(directory, labels_file))[:limit].astype(np.int64)
    return images.astype(np.float32)[:, None, :, :] / np.float32(255), labels


def normalized(images, mean, std):
    mean = np.asarray(mean, dtype=np.float32).reshape(1, -1, 1, 1)
    std = np.asarray(std, dtype=np.float32).reshape(1, -1, 1, 1)
    return ((images - mean) / std).astype(np.float32)


def recorded_normalization(metadata, source):
    try:
        return ([float(v) for v in metadata["normalization_mean"].split(",")],
                [float(v) for v in metadata["normalization_std"].split(",")])
    except KeyError:
        fail(f"{source} records no normalization; give --mean and --std", 2)


def checked_session(model_path):
    """ONNX's full check of the model (with shape inference), then an ONNX Runtime session on the CPU."""
    try:
        model = onnx.load(model_path)
    except Exception as error:  # onnx raises DecodeError and OSError subclasses alike
        fail(f"{model_path} is not a readable ONNX model: {error}")
    onnx.checker.check_model(model, full_check=True)
    opset = {entry.domain: entry.version for entry in model.opset_import}.get("", 0)
    print(f"{model_path}: ONNX checker passed (IR {model.ir_version}, opset {opset}, {len(model.graph.node)} nodes, "
          f"producer {model.producer_name} {model.producer_version})")
    return onnxruntime.InferenceSession(model_path, providers=["CPUExecutionProvider"])


def run(session, images, batch=500):
    name = session.get_inputs()[0].name
    return np.concatenate([session.run(None, {name: images[i:i + batch]})[0] for i in range(0, len(images), batch)])


def check_logits(arguments, model, predictions):
    """Whether ONNX Runtime's logits of `model` are those in `predictions` (a message on stderr when not)."""
    session = checked_session(model)
    tensors, metadata = read_safetensors(predictions)
    if "logits" not in tensors:
        fail(f"{predictions} has no tensor 'logits' (write it with `retort predict`)", 2)
    expected = tensors["logits"].astype(np.float32)
    if "inputs" in tensors:
        # The model's inputs themselves (normalized images of any shape), written beside their logits.
        inputs, dataset, split = tensors["inputs"].astype(np.float32), "given", "input"
    else:
        dataset, split = metadata.get("dataset", "fashion-mnist"), metadata.get("split", "test")
        if split not in IDX_FILES:
            fail(f"{predictions} records split '{split}'; only train and test are known", 2)
        directory = arguments.data_dir or os.path.join(DATASET_ROOT, dataset)
        images, labels = load_split(directory, split, len(expected))
        if "labels" in tensors and not np.array_equal(tensors["labels"].astype(np.int64), labels):
            fail(f"the labels in {predictions} are not those of the first {len(expected)} {dataset} {split} images in {directory}")
        inputs = normalized(images, *recorded_normalization(metadata, predictions))
    actual = run(session, inputs)
    single = run(session, inputs[:1])
    if actual.shape != expected.shape:
        print(f"onnx_check: ONNX Runtime gave logits {list(actual.shape)}, retort predict {list(expected.shape)}", file=sys.stderr)
        return False
    difference = float(np.max(np.abs(actual - expected)))
    alone = float(np.max(np.abs(single[0] - actual[0])))
    scale = max(1.0, float(np.max(np.abs(expected))))
    print(f"{len(expected)} {dataset} {split} images: max |ONNX Runtime − retort| = {difference:.3g} "
          f"= {difference / scale:.3g} of the largest |logit| {scale:.3g} (tolerance {arguments.tolerance:g}); "
          f"batch of 1 vs {len(expected)}: {alone:.3g}")
    if not difference <= arguments.tolerance * scale or not alone <= arguments.tolerance * scale:
        print(f"onnx_check: the logits of {model} differ by more than {arguments.tolerance:g} of their scale {scale:.3g}",
              file=sys.stderr)
        return False
    return True


def check_accuracy(arguments, model):
    if arguments.mean and arguments.std:
        mean = [float(v) for v in arguments.mean.split(",")]
        std = [float(v) for v in arguments.std.split(",")]
    elif arguments.weights:
        mean, std = recorded_normalization(read_safetensors(arguments.weights)[1], arguments.weights)
    else:
        # The normalization `retort export` copied from the checkpoint into the model's metadata.
        recorded = {entry.key: entry.value for entry in onnx.load(model, load_external_data=False).metadata_props}
        if "normalization_mean" not in recorded:
            fail(f"{model} records no normalization: give --weights (the checkpoint's) or --mean and --std", 2)
        mean, std = recorded_normalization(recorded, model)
    session = checked_session(model)
    directory = arguments.data_dir or os.path.join(DATASET_ROOT, "fashion-mnist")
    images, labels = load_split(directory, "test", arguments.limit)
    logits = run(session, normalized(images, mean, std))
    top1 = float(np.mean(np.argmax(logits, axis=1) == labels))
    print(f"ONNX Runtime on {os.path.basename(directory)} test ({len(labels)} images): top-1 {top1 * 100:.2f}%")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+", metavar="MODEL.onnx")
    parser.add_argument("--logits", nargs="+", help="predictions written by `retort predict`, one per model")
    parser.add_argument("--accuracy", action="store_true", help="top-1 on the test split")
    parser.add_argument("--weights", help="the checkpoint whose recorded normalization to use (accuracy mode)")
    parser.add_argument("--mean")
    parser.add_argument("--std")
    parser.add_argument("--limit", type=int, default=None, help="the first N test images (accuracy mode)")
    parser.add_argument("--data-dir", help="the folder of the IDX .gz files")
    parser.add_argument("--tolerance", type=float, default=1e-4)
    arguments = parser.parse_args()
    if bool(arguments.logits) == arguments.accuracy:
        parser.error("give either --logits FILE… or --accuracy")
    if arguments.logits and len(arguments.logits) != len(arguments.models):
        parser.error(f"{len(arguments.models)} models but {len(arguments.logits)} prediction files")
    if arguments.accuracy:
        if len(arguments.models) != 1:
            parser.error("--accuracy takes one model")
        check_accuracy(arguments, arguments.models[0])
        return
    failed = [model for model, predictions in zip(arguments.models, arguments.logits)
              if not check_logits(arguments, model, predictions)]
    if failed:
        fail(f"{len(failed)} of {len(arguments.models)} models differ from retort predict: {', '.join(failed)}")


if __name__ == "__main__":
    main()
