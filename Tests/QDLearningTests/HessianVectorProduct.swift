import QDLearning
import QDTensor

/// H·v of a model's mean cross-entropy at θ, by double backward, and the same by central finite
/// differences of gradients, (∇L(θ + εv) − ∇L(θ − εv)) / 2ε, in Float64.
func hessianVectorProducts<M: Model>(_ model: M, x: Tensor<Double>, labels: [Int], theta: Tensor<Double>, v: Tensor<Double>,
                                     epsilon: Double) throws -> (exact: Tensor<Double>, finiteDifference: Tensor<Double>) {
    func gradient(_ p: Tensor<Double>, createGraph: Bool) throws -> (Tensor<Double>, Tensor<Double>) {
        let leaf = p.requiringGrad()
        let loss = try model.forward(x, parameters: leaf).crossEntropy(labels: labels)
        return (try Autograd.gradients(of: loss, wrt: [leaf], createGraph: createGraph)[0], leaf)
    }
    let (g, leaf) = try gradient(theta, createGraph: true)
    let exact = try Autograd.gradients(of: (g * v).sum(), wrt: [leaf])[0]
    let plus = try gradient(theta + v * epsilon, createGraph: false).0, minus = try gradient(theta - v * epsilon, createGraph: false).0
    return (exact, try (plus - minus) * (1 / (2 * epsilon)))
}
