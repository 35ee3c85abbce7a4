import QDLearning

/// Datasets, models, training and distillation.
enum LearningBuiltins {
    static func register(_ r: inout Registry) {}
}
