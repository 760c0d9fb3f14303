import Foundation

exit(CLI.main(arguments: Array(CommandLine.arguments.dropFirst())))
