// RetortDistill: distillation losses, trainers (supervised, offline, chain, online, self), pruning,
// metrics and run reports. Built on RetortNN and RetortData.
@_exported import RetortNN
@_exported import RetortData
