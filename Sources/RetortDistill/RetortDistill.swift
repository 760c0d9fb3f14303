// RetortDistill: distillation losses, trainers (supervised, offline, chain, online, self), pruning,
// metrics and run reports, and the distillation-only kernels and their tensor ops (CRD's contrastive
// memory bank, Zipf label-smoothing targets; shaders in Shaders/, typed as `DistillationShader`).
// Built on RetortNN and RetortData.
@_exported import RetortNN
@_exported import RetortData
