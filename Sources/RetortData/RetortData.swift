// RetortData: IDX (MNIST / Fashion-MNIST) and CIFAR readers, transforms, seeded shuffling and a
// background loader that feeds host batches. Knows nothing of Vulkan.
