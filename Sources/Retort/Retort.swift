// Retort: tensors in device memory, the ops on them and reverse-mode autograd. Built on
// RetortCompute (the Vulkan runtime); knows nothing of layers, datasets or distillation.

// The seeded generator lives in the Vulkan-free RetortRandom so that datasets can use it without
// the runtime; it is re-exported because it belongs to this module's vocabulary: the layers,
// initializers and trainers built on Retort take an `inout SplitMix64`, and code that imports
// Retort (or RetortNN, which re-exports it) keeps seeing the type without a second import.
@_exported import RetortRandom
