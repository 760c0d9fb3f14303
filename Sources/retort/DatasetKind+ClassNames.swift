import RetortDistill

extension DatasetKind {
    /// The names of the classes in label order, where the dataset names them (CIFAR-100's hundred
    /// are left as numbers; a folder's come from its files: ``RunFolder/classNames(in:)``, the
    /// checkpoint's ``Normalization/classesKey``).
    var classNames: [String]? {
        switch self {
        case .fashionMNIST: ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
        case .mnist: (0...9).map(String.init)
        case .cifar10: ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
        case .cifar100, .folder: nil
        }
    }
}
