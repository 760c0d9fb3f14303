// RetortDistill: distillation losses, trainers (offline, chain, online, self), pruning, metrics and
// run reports. Built on RetortNN and RetortData.
@_exported import RetortNN
