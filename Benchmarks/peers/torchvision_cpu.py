"""Imports torchvision beside a CPU-only torch.

PyPI's torchvision wheels carry a C extension linked against CUDA's torch; beside the CPU-only
torch its load fails, and torchvision's operator registrations then raise on import. The models,
datasets and transforms the peers use need neither, so those two modules are left empty.

    from torchvision_cpu import torchvision
"""
import sys
import types

import torch  # noqa: F401  (torchvision expects torch loaded first)

try:
    import torchvision  # noqa: F401
except RuntimeError:
    for name in list(sys.modules):
        if name == "torchvision" or name.startswith("torchvision."):
            del sys.modules[name]
    for name in ("torchvision._meta_registrations", "torchvision._autograd_registrations"):
        sys.modules[name] = types.ModuleType(name)
    import torchvision  # noqa: F401
