// RetortNN: the Module protocol, layers, the CIFAR model zoo, optimizers, schedules, and binding
// safetensors checkpoints to modules. Built on Retort (tensors and autograd) and RetortCheckpoint
// (the host-only file format); knows nothing of datasets or distillation.
@_exported import Retort
// Re-exported because checkpoints are part of this module's API: `Module.stateDict()` returns and
// `Module.load(stateDict:)` takes a `SafeTensors`, optimizers save their state as one, so code that
// imports RetortNN needs those types and keeps seeing them without a second import.
@_exported import RetortCheckpoint
