import Retort
import RetortNN

/// What building an objective needs to know about the run.
public struct DistillationSetup {
    /// Options by key (`ce-weight`, `loss-weight`, `temperature`, and the method's numeric and
    /// boolean options, booleans as 1 or 0); missing keys take the method's defaults.
    public var options: [String: Double]
    /// Text options (choices such as `kd-reduction`).
    public var textOptions: [String: String]
    public var classes: Int
    /// The labels of the whole training set in index order (CRD samples negatives from them).
    public var trainingLabels: [Int]
    /// Width of the student's and each teacher's pooled feature vector (CRD's heads).
    public var studentFeatures: Int
    public var teacherFeatures: [Int]
    /// Whether the student pools its last feature map (``FeatureTaps/pooledMap`` is set), which
    /// Zipf's dense votes need; the plain CNNs flatten it instead.
    public var studentPoolsItsMap: Bool
    /// The frozen teacher networks (CA-MKD's feature term runs their heads); may be empty where no
    /// method needs them.
    public var teachers: [any Classifier]
    /// `[C, H, W]` of the student's and each teacher's last stage map (``FeatureTaps/stages``), for
    /// terms that embed feature maps (CA-MKD); empty when unknown.
    public var studentStage: [Int]
    public var teacherStages: [[Int]]
    public var labelSmoothing: Double
    public var seed: UInt64
    public var context: Context

    public init(options: [String: Double] = [:], textOptions: [String: String] = [:], classes: Int, trainingLabels: [Int] = [],
                studentFeatures: Int = 0, teacherFeatures: [Int] = [], studentPoolsItsMap: Bool = true, teachers: [any Classifier] = [],
                studentStage: [Int] = [], teacherStages: [[Int]] = [], labelSmoothing: Double = 0, seed: UInt64 = 0,
                context: Context) {
        self.options = options
        self.textOptions = textOptions
        self.classes = classes
        self.trainingLabels = trainingLabels
        self.studentFeatures = studentFeatures
        self.teacherFeatures = teacherFeatures
        self.studentPoolsItsMap = studentPoolsItsMap
        self.teachers = teachers
        self.studentStage = studentStage
        self.teacherStages = teacherStages
        self.labelSmoothing = labelSmoothing
        self.seed = seed
        self.context = context
    }

    /// Cross-entropy with the labels, smoothed by `labelSmoothing`.
    public var crossEntropy: CrossEntropyLoss { CrossEntropyLoss(labelSmoothing: Float(labelSmoothing)) }
}
