import Foundation
import PackagePlugin

/// Lists, at build time, the types of a target that conform to its `Registered…` protocols (the
/// distillation methods of RetortDistill, the commands of `retort`), so that adding one is adding its
/// file: Swift has no run-time discovery of conformances. Writes `Registrations.swift` into the target.
@main
struct RegistryPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        guard let target = target as? SourceModuleTarget else { return [] }
        let sources = target.sourceFiles(withSuffix: "swift").map(\.url).sorted { $0.path < $1.path }
        let output = context.pluginWorkDirectoryURL.appending(path: "Registrations.swift")
        return [
            .buildCommand(
                displayName: "Listing the registered types of \(target.name)",
                executable: try context.tool(named: "RegistryGenerator").url,
                arguments: ["--output", output.path] + sources.map(\.path),
                inputFiles: sources,
                outputFiles: [output]
            )
        ]
    }
}
