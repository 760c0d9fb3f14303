#!/usr/bin/env python3
"""Times Retort's benchmark GEMM and conv shapes in peer libraries, for side-by-side ratios.

Peers:
  pytorch-cpu   torch.matmul / torch.nn.functional.conv2d on the CPU, torch's default thread count
  ncnn-vulkan   ncnn's Vulkan path (fp32 storage and arithmetic) on a Vulkan device, by default the
                one Retort would use (RETORT_DEVICE, or --vulkan-device)

Usage:
  peers.py [options] [CASE ...]        cases as arguments (all known cases when none are given)
  peers.py [options] -                 cases as a JSON list on stdin: ["gemm_nn_512", ...]
                                       (a list of {"name": ...} objects is accepted too)
  peers.py --list                      the known cases, as JSON

Output: one JSON object on stdout (progress goes to stderr):
  {"cases": {name: {"shape", "flop"}}, "unknown_cases": [...], "known_cases": [...],
   "peers": {peer: {"available": bool, "reason"?: str, "info": {...},
                    "results": {name: {"gflops", "ms", "runs", ...}}}}}

A peer whose module is missing, or that has no Vulkan device, is reported with "available": false
and a reason; the script itself does not fail for that. Each peer runs in its own child process,
so a peer that crashes is reported the same way.

GFLOP/s is the case's nominal FLOP (GEMM 2*M*N*K, conv 2*N*Cout*H*W*Cin*9) divided by the median
wall time of the timed runs after warm-up runs. ncnn may use Winograd for 3x3 convolutions (its
default; --ncnn-no-winograd turns it off), so its conv GFLOP/s is an effective rate.

Each peer also reports "gflops_best", from the fastest timed run (another process sharing the
cores can only slow a run down, so on a busy machine the best run is the steadier figure).

ncnn is timed two ways:
  gflops         one extractor run: input upload, the layer, output download (what ncnn's
                 Python API does per inference)
  gflops_device  the layer alone, without transfers: the difference between a net holding
                 1 + R copies of the layer and a net holding 1 copy, both reading one uploaded
                 input and downloading one float per copy, divided by R. ncnn's Python API has
                 no device-side tensors, so this difference is how the transfers are left out.
ncnn has no batch dimension: a conv batch is folded into the image height (N images stacked into
one image of height N*H). The arithmetic and memory traffic are exactly those of the batched conv;
only the rows at image borders see the neighbouring image instead of zero padding.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

# name -> description. Names match Retort's `retort-bench kernels` cases.
CASES = {
    "gemm_nn_512": {"kind": "gemm", "m": 512, "n": 512, "k": 512},
    "gemm_nn_1024": {"kind": "gemm", "m": 1024, "n": 1024, "k": 1024},
    "gemm_nn_2048": {"kind": "gemm", "m": 2048, "n": 2048, "k": 2048},
    "conv3x3_64_fwd": {"kind": "conv", "batch": 64, "cin": 64, "cout": 64, "h": 32, "w": 32},
    "conv3x3_3to32_fwd": {"kind": "conv", "batch": 64, "cin": 3, "cout": 32, "h": 32, "w": 32},
}

PEERS = ("pytorch-cpu", "ncnn-vulkan")


def flop(case):
    if case["kind"] == "gemm":
        return 2.0 * case["m"] * case["n"] * case["k"]
    # 3x3, stride 1, pad 1: the output is H x W.
    return 2.0 * case["batch"] * case["cout"] * case["h"] * case["w"] * case["cin"] * 9


def shape_text(case):
    if case["kind"] == "gemm":
        return f"{case['m']}x{case['n']}x{case['k']}"
    return (f"x[{case['batch']},{case['cin']},{case['h']},{case['w']}] "
            f"w[{case['cout']},{case['cin']},3,3] pad 1")


def log(message):
    print(message, file=sys.stderr, flush=True)


def measure(run, warmup, repeats, max_seconds):
    """Median wall time of `repeats` calls after `warmup` calls; stops early (after at least three
    timed calls) once `max_seconds` of timed calls have passed."""
    for _ in range(warmup):
        run()
    times = []
    started = time.perf_counter()
    while len(times) < repeats:
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
        if len(times) >= 3 and time.perf_counter() - started > max_seconds:
            break
    return statistics.median(times), times


def measure_pair(run_a, run_b, warmup, repeats, max_seconds):
    """Like `measure` for two functions, alternating their timed calls so that both see the same
    machine load; returns both lists of times."""
    for _ in range(warmup):
        run_a()
        run_b()
    times_a, times_b = [], []
    started = time.perf_counter()
    while len(times_a) < repeats:
        for run, times in ((run_a, times_a), (run_b, times_b)):
            t0 = time.perf_counter()
            run()
            times.append(time.perf_counter() - t0)
        if len(times_a) >= 3 and time.perf_counter() - started > 2 * max_seconds:
            break
    return times_a, times_b


def rate(case, seconds):
    return round(flop(case) / seconds / 1e9, 2)


# ---------------------------------------------------------------------------------------------
# PyTorch on the CPU


def run_pytorch(names, settings):
    try:
        import torch
        import torch.nn.functional as F
    except Exception as error:  # ImportError, or a broken install raising something else
        return {"available": False, "reason": f"cannot import torch: {error}"}

    info = {"version": torch.__version__, "threads": torch.get_num_threads(),
            "mkldnn": bool(torch.backends.mkldnn.is_available())}
    results = {}
    generator = torch.Generator().manual_seed(1)
    with torch.inference_mode():
        for name in names:
            case = CASES[name]
            if case["kind"] == "gemm":
                a = torch.rand(case["m"], case["k"], generator=generator) * 2 - 1
                b = torch.rand(case["k"], case["n"], generator=generator) * 2 - 1
                run = lambda: torch.matmul(a, b)  # noqa: E731
            else:
                x = torch.rand(case["batch"], case["cin"], case["h"], case["w"], generator=generator) * 2 - 1
                w = torch.rand(case["cout"], case["cin"], 3, 3, generator=generator) * 2 - 1
                run = lambda: F.conv2d(x, w, padding=1)  # noqa: E731
            median, times = measure(run, settings.warmup, settings.repeats, settings.max_seconds)
            results[name] = {"gflops": rate(case, median), "ms": round(median * 1e3, 3), "runs": len(times),
                             "gflops_best": rate(case, min(times))}
            log(f"  pytorch-cpu  {name:20s} {results[name]['gflops']:9.2f} GFLOP/s  ({median * 1e3:.3f} ms)")
    return {"available": True, "info": info, "results": results}


# ---------------------------------------------------------------------------------------------
# ncnn's Vulkan path


class NcnnModel:
    """A one-layer ncnn net (or 1 + R copies of the layer for the device-only timing), written as
    a .param/.bin pair into a temporary folder and loaded with Vulkan compute on."""

    MAGIC = 7767517

    def __init__(self, ncnn, np, case, gpu_index, copies, crop, settings, weights):
        layers, blobs, self.output = self._layers(case, copies, crop)
        net = ncnn.Net()
        opt = net.opt
        opt.use_vulkan_compute = True
        # fp32 against fp32: no half or bfloat16 storage or arithmetic, no int8.
        for option in ("use_fp16_packed", "use_fp16_storage", "use_fp16_arithmetic",
                       "use_bf16_packed", "use_bf16_storage",
                       "use_int8_packed", "use_int8_storage", "use_int8_arithmetic", "use_int8_inference"):
            if hasattr(opt, option):
                setattr(opt, option, False)
        if settings.ncnn_no_winograd:
            opt.use_winograd_convolution = False
        net.set_vulkan_device(gpu_index)
        with tempfile.TemporaryDirectory() as folder:
            param_path = os.path.join(folder, "model.param")
            bin_path = os.path.join(folder, "model.bin")
            with open(param_path, "w") as handle:
                handle.write(f"{self.MAGIC}\n{len(layers)} {blobs}\n" + "\n".join(layers) + "\n")
            with open(bin_path, "wb") as handle:
                for _ in range(copies):
                    # A 4-byte zero tag marks raw fp32 data for ModelBin::load(..., type 0).
                    handle.write(np.zeros(1, dtype=np.uint32).tobytes())
                    handle.write(np.ascontiguousarray(weights, dtype=np.float32).tobytes())
            if net.load_param(param_path) != 0:
                raise RuntimeError("ncnn rejected the generated param file:\n" + "\n".join(layers))
            if net.load_model(bin_path) != 0:
                raise RuntimeError("ncnn rejected the generated weights")
        self.net = net

    @staticmethod
    def _layers(case, copies, crop):
        """Param-file lines (Input -> [Split] -> layer copies -> [Crop to one float -> Concat]), the
        blob count and the name of the blob to extract."""
        lines = []
        if case["kind"] == "gemm":
            lines.append(f"Input input 0 1 data 0={case['k']} 1={case['m']}")
            # C = A * B with B constant (K rows of N): transA=0 transB=0 constantB=1, no C.
            layer = lambda i, src, dst: (  # noqa: E731
                f"Gemm gemm{i} 1 1 {src} {dst} 2=0 3=0 4=0 5=1 6=0 8={case['n']} 9={case['k']}")
        else:
            lines.append(f"Input input 0 1 data 0={case['w']} 1={case['batch'] * case['h']} 2={case['cin']}")
            size = case["cout"] * case["cin"] * 9
            layer = lambda i, src, dst: (  # noqa: E731
                f"Convolution conv{i} 1 1 {src} {dst} 0={case['cout']} 1=3 11=3 2=1 3=1 4=1 14=1 5=0 6={size}")
        blobs = 1
        sources = ["data"] * copies
        if copies > 1:
            sources = [f"data_{i}" for i in range(copies)]
            lines.append(f"Split split 1 {copies} data " + " ".join(sources))
            blobs += copies
        outputs = []
        for i in range(copies):
            lines.append(layer(i, sources[i], f"out_{i}"))
            outputs.append(f"out_{i}")
            blobs += 1
        if crop:
            cropped = []
            for i, out in enumerate(outputs):
                dims = "3=1 4=1" if case["kind"] == "gemm" else "3=1 4=1 5=1"
                lines.append(f"Crop crop{i} 1 1 {out} one_{i} 0=0 1=0 {dims}")
                cropped.append(f"one_{i}")
                blobs += 1
            if copies > 1:
                lines.append(f"Concat concat {copies} 1 " + " ".join(cropped) + " output 0=0")
                blobs += 1
                outputs = ["output"]
            else:
                outputs = cropped
        return lines, blobs, outputs[0]

    def run(self, input_mat):
        extractor = self.net.create_extractor()
        extractor.input("data", input_mat)
        status, output = extractor.extract(self.output)
        if status != 0:
            raise RuntimeError(f"ncnn extract failed with status {status}")
        return output


def choose_gpu(ncnn, selector):
    """The ncnn GPU index matching `selector` (an index or a case-insensitive name substring), or
    ncnn's default device; and the names of all ncnn's devices."""
    count = ncnn.get_gpu_count()
    names = [ncnn.get_gpu_info(i).device_name() for i in range(count)]
    if selector:
        selector = selector.strip()
        if selector.isdigit() and int(selector) < count:
            return int(selector), names
        for i, name in enumerate(names):
            if selector.lower() in name.lower():
                return i, names
        log(f"  ncnn-vulkan: no ncnn device matches '{selector}' among {names}; using ncnn's default")
    return ncnn.get_default_gpu_index(), names


def check_ncnn(np, case, x, weights, output):
    """Max relative error of part of ncnn's output against a NumPy reference (float64); raises when
    the output is wrong, so that a misbuilt net is never timed."""
    out = np.array(output)
    if case["kind"] == "gemm":
        reference = x[:8].astype(np.float64) @ weights.astype(np.float64)
        got = out[:8]
    else:
        # Image 1 of the folded batch; rows 1..H-2 do not touch the neighbouring images.
        h, w = case["h"], case["w"]
        image = x[:, h:2 * h, :].astype(np.float64)
        padded = np.pad(image, ((0, 0), (1, 1), (1, 1)))
        kernel = weights.reshape(case["cout"], case["cin"], 3, 3).astype(np.float64)
        reference = np.zeros((case["cout"], h, w))
        for ky in range(3):
            for kx in range(3):
                reference += np.einsum("oc,chw->ohw", kernel[:, :, ky, kx], padded[:, ky:ky + h, kx:kx + w])
        reference = reference[:, 1:h - 1, :]
        got = out[:, h + 1:2 * h - 1, :]
    if got.shape != reference.shape:
        raise RuntimeError(f"ncnn's output has shape {got.shape}, expected {reference.shape}")
    error = float(np.max(np.abs(got - reference)) / max(np.max(np.abs(reference)), 1e-30))
    if not error <= 1e-3:
        raise RuntimeError(f"ncnn's output differs from the NumPy reference (max relative error {error:.2e})")
    return error


def run_ncnn(names, settings):
    try:
        import numpy as np
    except Exception as error:
        return {"available": False, "reason": f"cannot import numpy (ncnn's Python API needs it): {error}"}
    try:
        import ncnn
    except Exception as error:
        return {"available": False, "reason": f"cannot import ncnn: {error}"}
    if not hasattr(ncnn, "get_gpu_count"):
        return {"available": False, "reason": "this ncnn build has no Vulkan support (no get_gpu_count)"}
    try:
        count = ncnn.get_gpu_count()
    except Exception as error:
        return {"available": False, "reason": f"ncnn could not start Vulkan: {error}"}
    if count == 0:
        return {"available": False,
                "reason": "ncnn found no Vulkan device (the wheel may be built without Vulkan, or no driver is installed)"}
    gpu, names_seen = choose_gpu(ncnn, settings.vulkan_device)
    info = {"version": getattr(ncnn, "__version__", "unknown"), "device": names_seen[gpu], "devices": names_seen,
            "fp16": False, "winograd": not settings.ncnn_no_winograd, "copies_for_device_timing": 1 + settings.copies,
            "batch": "conv batch folded into the image height"}
    results = {}
    rng = np.random.default_rng(1)
    for name in names:
        case = CASES[name]
        if case["kind"] == "gemm":
            x = rng.uniform(-1, 1, (case["m"], case["k"])).astype(np.float32)
            weights = rng.uniform(-1, 1, (case["k"], case["n"])).astype(np.float32)
        else:
            batch = rng.uniform(-1, 1, (case["batch"], case["cin"], case["h"], case["w"])).astype(np.float32)
            x = np.ascontiguousarray(batch.transpose(1, 0, 2, 3).reshape(case["cin"], case["batch"] * case["h"], case["w"]))
            weights = rng.uniform(-1, 1, (case["cout"], case["cin"], 3, 3)).astype(np.float32)
        input_mat = ncnn.Mat(x)
        row = {}
        try:
            full = NcnnModel(ncnn, np, case, gpu, 1, False, settings, weights)
            output = full.run(input_mat)
            row["max_rel_error"] = check_ncnn(np, case, x, weights, output)
            median, times = measure(lambda: full.run(input_mat), settings.warmup, settings.repeats, settings.max_seconds)
            row.update({"gflops": rate(case, median), "ms": round(median * 1e3, 3), "runs": len(times),
                        "gflops_best": rate(case, min(times))})
            del full
            if settings.copies > 0:
                one = NcnnModel(ncnn, np, case, gpu, 1, True, settings, weights)
                many = NcnnModel(ncnn, np, case, gpu, 1 + settings.copies, True, settings, weights)
                one_times, many_times = measure_pair(lambda: one.run(input_mat), lambda: many.run(input_mat),
                                                     settings.warmup, settings.repeats, settings.max_seconds)
                device = (statistics.median(many_times) - statistics.median(one_times)) / settings.copies
                best = (min(many_times) - min(one_times)) / settings.copies
                row["runs_device"] = len(one_times)
                if best > 0:
                    row["gflops_device_best"] = rate(case, best)
                if device > 0:
                    row.update({"gflops_device": rate(case, device), "ms_device": round(device * 1e3, 3)})
                else:
                    row["device_note"] = "timing noise exceeded the layer's cost; no device-only figure"
                del one, many
        except Exception as error:
            row = {"error": str(error)}
            log(f"  ncnn-vulkan  {name:20s} failed: {error}")
        else:
            device_text = f", device only {row['gflops_device']:.2f}" if "gflops_device" in row else ""
            log(f"  ncnn-vulkan  {name:20s} {row['gflops']:9.2f} GFLOP/s with transfers{device_text}"
                f"  ({row['ms']:.3f} ms; max rel error {row['max_rel_error']:.1e})")
        results[name] = row
    return {"available": True, "info": info, "results": results}


RUNNERS = {"pytorch-cpu": run_pytorch, "ncnn-vulkan": run_ncnn}


# ---------------------------------------------------------------------------------------------
# Driver: each peer in its own child process (a crash or a hang there is reported, not fatal).


def run_peer_in_child(peer, names, settings, arguments):
    command = [sys.executable, os.path.abspath(__file__), "--worker", peer] + arguments + names
    try:
        finished = subprocess.run(command, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                  timeout=settings.peer_timeout)
    except subprocess.TimeoutExpired:
        return {"available": False, "reason": f"{peer} did not finish within {settings.peer_timeout} s"}
    text = finished.stdout.decode("utf-8", "replace").strip()
    if finished.returncode != 0 or not text:
        how = f"signal {-finished.returncode}" if finished.returncode < 0 else f"status {finished.returncode}"
        return {"available": False, "reason": f"{peer} worker exited with {how} (its messages are above on stderr)"}
    try:
        return json.loads(text.splitlines()[-1])
    except json.JSONDecodeError:
        return {"available": False, "reason": f"{peer} worker printed no JSON result"}


def parse(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("cases", nargs="*", help="case names, or - to read a JSON list from stdin")
    parser.add_argument("--list", action="store_true", help="print the known cases as JSON and exit")
    parser.add_argument("--peers", default=",".join(PEERS), help=f"comma-separated subset of {','.join(PEERS)}")
    parser.add_argument("--repeats", type=int, default=7, help="timed runs per measurement (median reported)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed runs before timing")
    parser.add_argument("--max-seconds", type=float, default=15.0,
                        help="stop timing a measurement after this long (at least 3 runs)")
    parser.add_argument("--copies", type=int, default=2,
                        help="extra layer copies for ncnn's device-only timing (0 turns it off)")
    parser.add_argument("--vulkan-device", default=os.environ.get("RETORT_DEVICE"),
                        help="ncnn device: an index or a name substring (default: RETORT_DEVICE, else ncnn's default)")
    parser.add_argument("--ncnn-no-winograd", action="store_true", help="turn off ncnn's Winograd convolution")
    parser.add_argument("--peer-timeout", type=float, default=1800.0, help="seconds before a peer is given up")
    parser.add_argument("--worker", choices=PEERS, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def forwarded_arguments(settings):
    arguments = ["--repeats", str(settings.repeats), "--warmup", str(settings.warmup),
                 "--max-seconds", str(settings.max_seconds), "--copies", str(settings.copies)]
    if settings.vulkan_device:
        arguments += ["--vulkan-device", settings.vulkan_device]
    if settings.ncnn_no_winograd:
        arguments.append("--ncnn-no-winograd")
    return arguments


def requested_cases(settings):
    if settings.cases == ["-"]:
        data = json.load(sys.stdin)
        if not isinstance(data, list):
            raise ValueError("stdin must hold a JSON list of case names")
        return [item["name"] if isinstance(item, dict) else str(item) for item in data]
    return settings.cases or list(CASES)


def main(argv):
    settings = parse(argv)
    # Native libraries may print to stdout; keep stdout for the JSON result alone.
    result_stream = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    if settings.list:
        print(json.dumps({name: {"shape": shape_text(c), "flop": flop(c)} for name, c in CASES.items()}),
              file=result_stream, flush=True)
        return 0
    if settings.worker:
        print(json.dumps(RUNNERS[settings.worker](settings.cases, settings)), file=result_stream, flush=True)
        return 0

    try:
        names = requested_cases(settings)
    except (ValueError, KeyError, TypeError, json.JSONDecodeError) as error:
        log(f"peers.py: cannot read the case list: {error}")
        return 2
    known = [name for name in dict.fromkeys(names) if name in CASES]
    unknown = [name for name in dict.fromkeys(names) if name not in CASES]
    peers = [peer.strip() for peer in settings.peers.split(",") if peer.strip()]
    report = {"cases": {name: {"shape": shape_text(CASES[name]), "flop": flop(CASES[name])} for name in known},
              "unknown_cases": unknown, "known_cases": list(CASES), "peers": {}}
    for peer in peers:
        if peer not in RUNNERS:
            report["peers"][peer] = {"available": False, "reason": f"unknown peer; peers: {', '.join(PEERS)}"}
            continue
        if not known:
            report["peers"][peer] = {"available": True, "info": {}, "results": {}}
            continue
        log(f"peers: {peer} on {len(known)} case(s)")
        outcome = run_peer_in_child(peer, known, settings, forwarded_arguments(settings))
        if not outcome.get("available", False):
            log(f"peers: {peer} unavailable: {outcome.get('reason')}")
        report["peers"][peer] = outcome
    print(json.dumps(report, indent=2, sort_keys=True), file=result_stream, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
