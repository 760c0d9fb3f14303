// swift-tools-version:6.0
// A client of Retort, as a user's own package would depend on it.
import PackageDescription

let package = Package(
    name: "TrainOnRandomData",
    dependencies: [.package(name: "Retort", path: "../..")],
    targets: [
        .executableTarget(name: "TrainOnRandomData", dependencies: [.product(name: "Retort", package: "Retort")]),
    ]
)
