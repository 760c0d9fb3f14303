/// Runs `body`, which may succeed or throw a `DataError` whose message names `file`; any other
/// error is a bug (stops the fuzzer, which keeps the input).
func expectDataError(file: String, _ body: () throws -> Void) {
    do {
        try body()
    } catch let error as DataError {
        precondition(error.description.contains(file), "the error does not name the file: \(error)")
    } catch {
        preconditionFailure("an error that is not a DataError: \(error)")
    }
}
