import Foundation

/// SwitOKD's switch between its two modes (Qian et al., ECCV 2022; kd-methods §4.4), from three
/// batch means on detached outputs at T = 1:
///
///     s_label = mean_i ‖p_s,i − y_i‖₁,   t_label = mean_i ‖p_t,i − y_i‖₁,   G = mean_i ‖p_t,i − p_s,i‖₁
///     ε = exp(−t_label / (t_label + s_label)),   δ = s_label − ε · t_label
///
/// **Expert** mode (the teacher pauses, the student learns from it) iff `G > δ` and
/// `t_label < s_label`; otherwise **learning** mode (both learn, as DML). A pure value: the rule is
/// testable on constructed numbers.
public struct SwitOKDDecision: Equatable, Sendable {
    public enum Mode: String, Sendable, CaseIterable {
        case expert, learning
    }

    /// `s_label`: the student's mean L1 distance to the one-hot labels.
    public var studentError: Double
    /// `t_label`: the teacher's.
    public var teacherError: Double
    /// `G`: the mean L1 distance between the two predictions (the distillation gap).
    public var gap: Double

    public init(studentError: Double, teacherError: Double, gap: Double) {
        self.studentError = studentError
        self.teacherError = teacherError
        self.gap = gap
    }

    /// `ε = exp(−t_label / (t_label + s_label))`; 1 when both errors are 0 (the rule then picks
    /// learning mode, since `t_label < s_label` fails).
    public var epsilon: Double {
        let total = teacherError + studentError
        return total > 0 ? exp(-teacherError / total) : 1
    }

    /// The adaptive threshold `δ = s_label − ε · t_label`.
    public var threshold: Double { studentError - epsilon * teacherError }

    public var mode: Mode { gap > threshold && teacherError < studentError ? .expert : .learning }
}
