import LinearAlgebra
import RewardDynamics

/// The EX-RM's view of preference pairs: one difference vector per pair,
///
///   z_i = h(x_i, y_i+) - h(x_i, y_i-) = hidden[L](chosen_i) - hidden[L](rejected_i),
///
/// the whole-sequence representations an EX-RM head reads (docs/theory.md §§1 and 4). The head's
/// margin on pair i is <u, z_i>, so training rows z_i determine the max-margin separator u*, and an
/// evaluation pair is predicted to be ranked correctly in the long run when <u*, zbar> > 0.
///
/// Mathematical properties:
/// - row i is the difference of the two sequences' last hidden rows, entry for entry (no rounding beyond
///   one subtraction);
/// - swapping chosen and rejected negates the row.
public enum PairDifferences {
    /// z_i for every pair, one row each (pairs.count x d).
    public static func matrix(_ pairs: [PreferencePair], in instance: Instance) -> Matrix {
        let width = instance.hiddenWidth
        var z = Matrix(rows: pairs.count, columns: width)
        for (i, pair) in pairs.enumerated() {
            let chosen = instance.sequences[pair.chosen]!
            let rejected = instance.sequences[pair.rejected]!
            let plus = chosen.hidden.row(chosen.length)
            let minus = rejected.hidden.row(rejected.length)
            z.setRow(i, to: zip(plus, minus).map(-))
        }
        return z
    }
}
