// The CPU oracles (one per op) and `maxRelativeError` live in RetortOracle, shared with `retort selftest`;
// every test that imports RetortTestSupport sees them.
@_exported import RetortOracle
