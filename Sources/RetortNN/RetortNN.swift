// RetortNN: the Module protocol, layers, the CIFAR model zoo, optimizers, schedules and safetensors
// checkpoints. Built on Retort (tensors and autograd); knows nothing of datasets or distillation.
@_exported import Retort
