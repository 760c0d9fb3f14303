# Retort — the two commands:
#   make demo   install what is missing, build, run the main job
#   make test   install what is missing, build, run the tests (validation layer on)
SHELL := /bin/bash
SWIFT ?= $(shell command -v swift 2>/dev/null || echo /opt/swift/usr/bin/swift)

# Debian 12 packages: Vulkan loader + headers, the GLSL compiler used at build time, SPIR-V tools
# (spirv-val in tests), Mesa's CPU Vulkan driver (lavapipe), the validation layer, vulkaninfo,
# the Fashion-MNIST data the demo trains on, and Open MPI (`mpirun -np N retort …`: data-parallel
# training, which the tests run with 2 ranks; plain `retort` never loads it), and Chromium (the
# tests open the report pages in headless Chromium and check it logs no console errors), libjpeg-turbo
# and libpng (the JPEG and PNG files of image-folder datasets).
PACKAGES := libvulkan1 libvulkan-dev glslc glslang-tools spirv-tools mesa-vulkan-drivers \
            vulkan-validationlayers vulkan-tools dataset-fashion-mnist zlib1g-dev openmpi-bin libopenmpi-dev chromium \
            libturbojpeg0-dev libpng-dev

# Mesa's JIT cache: the second run of the test suite skips most shader compilation.
export MESA_SHADER_CACHE_DIR ?= $(HOME)/.cache/mesa_shader_cache

.PHONY: deps build release test test-sanitizers crash-test fuzz examples demo study-demo study-ddp study-methods study-precision bench bench-peers \
        bench-data bench-ddp interop-venv peers-venv check-tensorboard check-torchvision parity-fixtures dist check-dist clean

deps:
	@missing=""; \
	for p in $(PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi; \
	  $$sudo apt-get update -q && \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	fi
	@test -x "$(SWIFT)" || { echo "error: swift not found. Install the Swift 6 toolchain (swift.org) and put it on PATH, or run make SWIFT=/path/to/swift."; exit 1; }

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

# The kernel tests (RetortCompute's and RetortDistill's kernels) run at lavapipe subgroup sizes 8 and 4
# (LP_NATIVE_VECTOR_WIDTH=256 and 128), and so does `retort selftest --all` (every kernel family against the
# CPU oracles: SelfTestCommandTests runs it at 8, the line after the tests at 4); on a GPU the variable is ignored.
# The kernel families with device-dependent variants run once more with RETORT_KERNELS=gpu: the GPU variants
# (tiled GEMM, 64- and 256-wide workgroups, …) against the CPU references.
# The size report (Tools/size-report.sh) fails the run when a budget is crossed.
# Then the example client package builds against Retort by path and trains. The ONNX export check
# (ExportCommandTests) runs ONNX's checker and ONNX Runtime from the interop venv.
test: deps interop-venv
	$(SWIFT) build --build-tests
	Tools/size-report.sh .build/debug/retort
	RETORT_VALIDATION=1 LP_NATIVE_VECTOR_WIDTH=256 $(SWIFT) test --skip-build
	RETORT_VALIDATION=1 LP_NATIVE_VECTOR_WIDTH=128 $(SWIFT) test --skip-build \
	  --filter 'RetortComputeTests|RetortDistillTests\.(ContrastiveMemory|ZipfTargets|ZipfVotes|DistillationShader)'
	RETORT_VALIDATION=1 RETORT_KERNELS=gpu LP_NATIVE_VECTOR_WIDTH=256 $(SWIFT) test --skip-build \
	  --filter 'RetortComputeTests\.(GEMM|Conv2d|Conv2dWinograd|BatchNorm|Softmax|SoftmaxKL|CrossEntropy|KernelChoiceDevice)Tests'
	RETORT_VALIDATION=1 LP_NATIVE_VECTOR_WIDTH=128 .build/debug/retort selftest --all
	$(MAKE) examples

# The test suite under AddressSanitizer, then under ThreadSanitizer, each in its own build folder (about
# 15 and 20 minutes on 2 cores: run by hand, not in every CI run). Leak checking is off: at the test
# process's exit LeakSanitizer still finds objects left in reference cycles (19.7 MB in 17.7k allocations,
# most of it lavapipe objects they hold; the training loop itself does not grow, see `retort-bench soak`).
# The full-disk test is left out of the ThreadSanitizer run only: under a file-size limit TSan's own
# runtime dies (SIGBUS, even for `retort devices`); `make test` and the ASan run cover it.
SANITIZED_TEST = LP_NATIVE_VECTOR_WIDTH=256 $(SWIFT) test --skip-build
test-sanitizers: deps
	ASAN_OPTIONS=detect_leaks=0 $(SWIFT) build --build-tests --sanitize=address --build-path .build/asan
	ASAN_OPTIONS=detect_leaks=0 $(SANITIZED_TEST) --sanitize=address --build-path .build/asan
	$(SWIFT) build --build-tests --sanitize=thread --build-path .build/tsan
	TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 $(SANITIZED_TEST) --sanitize=thread --build-path .build/tsan \
	  --skip 'WriteFailureTests.testAFullDisk'

# kill -9 at random moments during train, distill (kd, crd), selfdistill, online, chain and prune runs,
# then --resume: every trial resumes and ends bit-equal to an uninterrupted run. `make test` runs a few
# trials per command; this runs CRASH_TRIALS (default 24) of each, from RETORT_CRASH_SEED (default 14).
# About 30 minutes.
CRASH_TRIALS ?= 24
crash-test: deps
	$(SWIFT) build --build-tests
	RETORT_CRASH_TRIALS=$(CRASH_TRIALS) $(SWIFT) test --skip-build --filter CrashConsistencyTests

# libFuzzer targets of the readers of untrusted input (Fuzz/: safetensors, IDX, CIFAR, JSON settings,
# command line), built with AddressSanitizer by Tools/fuzz.sh and run FUZZ_SECONDS each (default 60)
# from the seeds in Fuzz/Corpus/. A crash fails the run and leaves its input in .build/fuzz/artifacts/.
FUZZ_SECONDS ?= 60
fuzz: deps
	$(SWIFT) build
	SWIFTC=$(dir $(SWIFT))swiftc FUZZ_SECONDS=$(FUZZ_SECONDS) Tools/fuzz.sh

examples: deps
	@# SwiftPM re-plans a client only when the client's own manifest changes: drop its plan so files
	@# added to Retort since the last build are seen.
	rm -f Examples/TrainOnRandomData/.build/debug.yaml
	cd Examples/TrainOnRandomData && $(SWIFT) build && cd .build && RETORT_VALIDATION=1 ./debug/TrainOnRandomData

# The main job: on the embedded Fashion-MNIST, train a teacher on all 60,000 training labels, a
# student alone on only the first $(DEMO_LABELS) labels, and the same student distilled from the
# teacher (Hinton KD, $(DEMO_KD)) on those images, then print the three test accuracies side by side (all 10,000
# test images: --limit N keeps the first N of both splits, so N >= 10000). About 11 minutes on a
# 2-core CPU with lavapipe, 9 of them the teacher's 3 epochs. `make demo DEMO_SEED=2` runs the
# recipe with another seed; `make study-demo` runs it for seeds 1 and 2 in Retort and in PyTorch.
DEMO := runs/demo
DEMO_SEED := 1
DEMO_TEACHER_EPOCHS := 3
DEMO_STUDENT_EPOCHS := 3
DEMO_LABELS := 10000
RECIPE := --dataset fashion-mnist --batch-size 128 --lr 0.05 --schedule cosine --seed $(DEMO_SEED)
STUDENT_RECIPE := $(RECIPE) --epochs $(DEMO_STUDENT_EPOCHS) --limit $(DEMO_LABELS)
# Hinton KD with the labels and the teacher weighted equally (0.5·CE + 0.5·T²·KL, T 4): with only
# 10,000 labels, kd's default 0.1·CE + 0.9·KD gave no gain over the student alone (−0.15, −0.10).
DEMO_KD := --ce-weight 0.5 --loss-weight 0.5
# `--force`: running the demo again trains it again (it replaces its own runs in runs/demo).
demo: release
	.build/release/retort devices
	.build/release/retort train --model plane6 $(RECIPE) --epochs $(DEMO_TEACHER_EPOCHS) --out $(DEMO)/teacher --force
	.build/release/retort train --model plane2 $(STUDENT_RECIPE) --out $(DEMO)/student --force
	.build/release/retort distill --student plane2 $(STUDENT_RECIPE) --out $(DEMO)/distilled --force \
	  --teacher plane6 --teacher-weights $(DEMO)/teacher/best.safetensors --loss kd $(DEMO_KD)
	@echo; echo "Fashion-MNIST test accuracy (10,000 test images), seed $(DEMO_SEED):"
	@echo "teacher: 60,000 labels, $(DEMO_TEACHER_EPOCHS) epochs; students: the first $(DEMO_LABELS) labels, $(DEMO_STUDENT_EPOCHS) epochs"
	@.build/release/retort eval --model plane6 --weights $(DEMO)/teacher/best.safetensors | tail -1 | sed 's/^/  teacher            /'
	@.build/release/retort eval --model plane2 --weights $(DEMO)/student/best.safetensors | tail -1 | sed 's/^/  student alone      /'
	@.build/release/retort eval --model plane2 --weights $(DEMO)/distilled/best.safetensors | tail -1 | sed 's/^/  student distilled  /'
	@echo; set -o pipefail; .build/release/retort report $(DEMO)/student $(DEMO)/distilled $(DEMO)/teacher | grep -v '^wrote '
	@echo "the comparison page of the three runs: $(DEMO)/report.html (each run's own page: $(DEMO)/<run>/report.html)"

# The demo's recipe for seeds 1 and 2, in Retort and in PyTorch (Benchmarks/peers/demo_peer.py, the
# same models, data, augmentation, optimizer and schedule): one table of teacher, alone, distilled
# and the gap; runs in runs/demo-study (finished runs are reused). Four plane6 teachers (two per engine)
# are most of its time.
study-demo: release peers-venv
	DEMO_KD="$(DEMO_KD)" Tools/demo-study.sh .build/release/retort runs/demo-study $(PEERS_PYTHON) \
	  $(DEMO_TEACHER_EPOCHS) $(DEMO_STUDENT_EPOCHS) $(DEMO_LABELS)

# The data-parallel study: KD on Fashion-MNIST in one process and as 2 ranks under mpirun, seeds 1
# and 2 (about 25 minutes on 2 cores); prints the accuracy table.
study-ddp: release
	Tools/ddp-study.sh .build/release/retort runs/ddp-study

# The study of the seed methods completed last (Zipf dense votes, CA-MKD's feature term, SwitOKD's
# three-network topologies, the teacher sweet-spot grid): tables on stdout, runs in runs/methods-study.
study-methods: release
	Tools/methods-study.sh .build/release/retort runs/methods-study

# The mixed-precision study: plane6 on Fashion-MNIST, 3 epochs, in fp32, fp16 and bf16, seeds 1 and 2
# (about an hour on 2 cores with lavapipe); prints the accuracy table. Runs in runs/precision-study.
study-precision: release
	Tools/precision-study.sh .build/release/retort runs/precision-study

# Benchmarks (JSON on stdout). `make bench-peers` runs the kernel benchmark beside PyTorch (CPU) and
# ncnn (Vulkan, same device) from Benchmarks/peers/, in a virtual environment it creates.
bench: release
	.build/release/retort-bench dispatch

PYTHON3 ?= python3
PEERS_VENV := .build/peers-venv
PEERS_PYTHON := $(PEERS_VENV)/bin/python
TORCH_CPU_INDEX := https://download.pytorch.org/whl/cpu

# The interop checks' Python environment (`make test` checks every zoo model's ONNX export with ONNX's checker
# and ONNX Runtime, Benchmarks/peers/onnx_check.py): onnx, onnxruntime and numpy in a venv, no torch.
interop-venv:
	@$(PYTHON3) -c 'import venv, ensurepip' 2>/dev/null || { \
	  echo "Installing Debian package: python3-venv"; \
	  if [ "$$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi; \
	  $$sudo apt-get update -q && \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3-venv; }
	@$(PEERS_PYTHON) -m pip --version >/dev/null 2>&1 || $(PYTHON3) -m venv --clear $(PEERS_VENV)
	@$(PEERS_PYTHON) -c 'import onnx, onnxruntime, numpy' 2>/dev/null || { \
	  echo "Installing onnx, onnxruntime and numpy into $(PEERS_VENV)"; \
	  $(PEERS_PYTHON) -m pip install -q onnx onnxruntime numpy; }

# The Python environment of the peers, the parity fixtures and the interop checks: the interop venv plus
# ncnn, torch, tensorboard and torchvision.
# torch: the CPU-only build from its own index, else a CPU build among pip's configured local wheels
# (dependencies then come from the default index), else the default index's build.
peers-venv: interop-venv
	@$(PEERS_PYTHON) -c 'import ncnn' 2>/dev/null || { echo "Installing ncnn into $(PEERS_VENV)"; \
	  $(PEERS_PYTHON) -m pip install -q ncnn; }
	@$(PEERS_PYTHON) -c 'import torch' 2>/dev/null || { echo "Installing torch into $(PEERS_VENV)"; \
	  { $(PEERS_PYTHON) -m pip install -q --no-deps --retries 1 --timeout 20 --index-url $(TORCH_CPU_INDEX) torch \
	    || $(PEERS_PYTHON) -m pip install -q --no-deps --no-index torch; } && $(PEERS_PYTHON) -m pip install -q torch \
	  || { echo "No CPU-only torch build reachable: installing the default one (large download)"; \
	       $(PEERS_PYTHON) -m pip install -q torch; }; }
	@$(PEERS_PYTHON) -c 'import tensorboard' 2>/dev/null || { echo "Installing tensorboard into $(PEERS_VENV)"; \
	  $(PEERS_PYTHON) -m pip install -q tensorboard; }
	@# torchvision's wheel matching torch, without its dependencies (they would replace the CPU-only torch);
	@# Benchmarks/peers/torchvision_cpu.py imports it without its CUDA-linked operators.
	@$(PEERS_PYTHON) -c 'import importlib.util as u, sys; sys.exit(u.find_spec("torchvision") is None)' 2>/dev/null || { \
	  echo "Installing torchvision into $(PEERS_VENV)"; \
	  v=$$($(PEERS_PYTHON) -c 'import torch; m = int(torch.__version__.split(".")[1]); print(f"0.{m + 15}.*")') && \
	  $(PEERS_PYTHON) -m pip install -q --no-deps "torchvision==$$v" pillow; }

# TensorBoard's own reader (the tensorboard package's event accumulator, as `tensorboard --logdir`
# loads runs) reads the event files of a tiny training run, of its resumption, and of an online run's
# networks; it fails when it loads no scalars or an epoch's value differs from metrics.jsonl.
TENSORBOARD_CHECK := .build/check-tensorboard
TENSORBOARD_DATA := --dataset fashion-mnist --limit 512 --batch-size 16 --seed 1
check-tensorboard: build peers-venv
	rm -rf $(TENSORBOARD_CHECK)
	.build/debug/retort train --model plane2 $(TENSORBOARD_DATA) --epochs 2 --out $(TENSORBOARD_CHECK)/train
	.build/debug/retort train --resume $(TENSORBOARD_CHECK)/train --epochs 3
	.build/debug/retort online --models plane4,plane2 --method switokd --lr 0.01 $(TENSORBOARD_DATA) --epochs 2 \
	  --out $(TENSORBOARD_CHECK)/online
	$(PEERS_PYTHON) Benchmarks/peers/tensorboard_reader.py $(TENSORBOARD_CHECK) --check $(TENSORBOARD_CHECK)/train \
	  $(TENSORBOARD_CHECK)/online/plane4 $(TENSORBOARD_CHECK)/online/plane2

# torchvision's ImageNet-size models against Retort's zoo (resnet18, resnet34, resnet50, mobilenetv2_1.0/1.4; by
# hand, needs the peers venv): Benchmarks/peers/torchvision_parity.py builds each in torchvision at 1000 classes with
# its own seeded initialisation and randomised batch-norm statistics, saves its state_dict() unchanged and its outputs
# on a batch of TORCHVISION_BATCH × 3 × TORCHVISION_SIZE² into $(TORCHVISION_CHECK); TorchvisionParityTests loads those
# weights and compares eval-mode logits, train-mode pooled features and running statistics, printing the largest
# differences. (`make test` runs the same test on the committed Tests/RetortNNTests/Fixtures/torchvision/.)
TORCHVISION_CHECK := .build/check-torchvision
TORCHVISION_SIZE ?= 64
TORCHVISION_BATCH ?= 4
check-torchvision: peers-venv
	$(SWIFT) build --build-tests
	rm -rf $(TORCHVISION_CHECK) && mkdir -p $(TORCHVISION_CHECK)
	$(PEERS_PYTHON) Benchmarks/peers/torchvision_parity.py parity $(TORCHVISION_CHECK) --size $(TORCHVISION_SIZE) \
	  --batch $(TORCHVISION_BATCH)
	set -o pipefail; RETORT_TORCHVISION_PARITY=$(CURDIR)/$(TORCHVISION_CHECK) $(SWIFT) test --skip-build \
	  --filter TorchvisionParityTests 2>&1 | grep -E "torchvision parity|error|Executed"

bench-peers: release peers-venv
	.build/release/retort-bench kernels --peers

# The training loader's images/s (decode, RandomResizedCrop, flip, normalize on every core) on generated
# 64×64 and ImageNet-size JPEG folders, beside torchvision's ImageFolder + DataLoader on the same files.
bench-data: release peers-venv
	.build/release/retort-bench data

# What data-parallel training spends communicating (Open MPI): the Trainer's data-parallel step of
# resnet8x4 and plane6 as one process, as 1 rank and as 2 ranks over shared memory (vader) and over TCP
# (as between machines), then the raw all-reduce by message size over both, its ranks polling while
# they wait (nothing else runs then; --oversubscribe would make them yield, which on a busy host adds
# scheduling delays to the transfer). Tables on stderr, each report's JSON in $(BENCH_DDP). Ranks are
# not bound to cores (Open MPI binds them with -np 2, which starves lavapipe's threads); as root, Open
# MPI wants the two variables below.
BENCH_DDP := .build/bench-ddp
BENCH_MPIRUN := OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun --oversubscribe --bind-to none
bench-ddp: release
	@command -v mpirun >/dev/null || { echo "error: mpirun not found: install Open MPI (apt-get install openmpi-bin libopenmpi-dev)"; exit 1; }
	@mkdir -p $(BENCH_DDP)
	.build/release/retort-bench data-parallel > $(BENCH_DDP)/alone.json
	$(BENCH_MPIRUN) -np 1 .build/release/retort-bench data-parallel > $(BENCH_DDP)/np1.json
	for btl in vader tcp; do \
	  $(BENCH_MPIRUN) -np 2 --mca btl self,$$btl .build/release/retort-bench data-parallel > $(BENCH_DDP)/np2-$$btl.json || exit 1; \
	  $(BENCH_MPIRUN) -np 2 --mca btl self,$$btl --mca mpi_yield_when_idle 0 .build/release/retort-bench allreduce \
	    > $(BENCH_DDP)/allreduce-$$btl.json || exit 1; \
	done

# The self-contained release bundle, dist/retort-<version>-linux-x86_64.tar.gz (Tools/dist.sh): `retort` and
# `retort-bench` built -c release in .build/dist with the static Swift standard library and Foundation, linked
# into one stripped binary (retort-bench a link to it) with libjpeg-turbo, libpng and zlib from their static
# archives and ICU's data trimmed; it needs only glibc, libstdc++ and a Vulkan driver. It fails when the binary
# needs another library or passes 60 MB.
VERSION := $(shell sed -n 's/.*string = "\(.*\)"/\1/p' Sources/Retort/Version.swift)
DIST_BUNDLE := dist/retort-$(VERSION)-linux-x86_64.tar.gz
dist: deps
	Tools/dist.sh $(SWIFT)

# The bundle on a clean Debian 12 without Swift (Tools/check-dist.sh; by hand, as root, not in `make test`): a
# debootstrap minbase root cached in .build/dist-check with only libvulkan1 and mesa-vulkan-drivers, where the
# bundle runs --version, devices, selftest --all, retort-bench train and one small training epoch.
check-dist: dist
	Tools/check-dist.sh $(DIST_BUNDLE)

# Regenerates the PyTorch parity fixtures the engine tests compare against (committed; a few KB).
parity-fixtures: peers-venv
	$(PEERS_PYTHON) Benchmarks/peers/parity.py Tests/RetortNNTests/Fixtures

clean:
	rm -rf .build
