# Retort — the two commands:
#   make demo   install what is missing, build, run the main job
#   make test   install what is missing, build, run the tests (validation layer on)
SHELL := /bin/bash
SWIFT ?= $(shell command -v swift 2>/dev/null || echo /opt/swift/usr/bin/swift)

# Debian 12 packages: Vulkan loader + headers, the GLSL compiler used at build time, SPIR-V tools
# (spirv-val in tests), Mesa's CPU Vulkan driver (lavapipe), the validation layer, vulkaninfo,
# and the Fashion-MNIST data the demo trains on.
PACKAGES := libvulkan1 libvulkan-dev glslc glslang-tools spirv-tools mesa-vulkan-drivers \
            vulkan-validationlayers vulkan-tools dataset-fashion-mnist

# Mesa's JIT cache: the second run of the test suite skips most shader compilation.
export MESA_SHADER_CACHE_DIR ?= $(HOME)/.cache/mesa_shader_cache

.PHONY: deps build release test demo bench clean

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

# The kernel tests run at lavapipe subgroup sizes 8 and 4 (LP_NATIVE_VECTOR_WIDTH=256 and 128);
# on a GPU the variable is ignored.
test: deps
	$(SWIFT) build --build-tests
	RETORT_VALIDATION=1 LP_NATIVE_VECTOR_WIDTH=256 $(SWIFT) test --skip-build
	RETORT_VALIDATION=1 LP_NATIVE_VECTOR_WIDTH=128 $(SWIFT) test --skip-build --filter RetortComputeTests

demo: release
	.build/release/retort devices
	.build/release/retort selftest

bench: release
	.build/release/retort-bench dispatch

clean:
	rm -rf .build
