/// The commands whose settings are training settings plus their own keys.
enum TrainingCommand: String {
    case train, distill, selfdistill, prune, online
}
