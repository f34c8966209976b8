import Foundation
import XCTest

/// Small instance files for the Theorem 2 commands, written into a test's temporary folder.
enum ShiftCommandFixtures {
    /// A hand-made single-token instance in R^2: training differences (2, 0) and (0, 1), so u* = (1/2, 1)
    /// with margin 1/|u*| = 2/sqrt(5) and both pairs support vectors; tokens 0-3 in training, 4-5 unseen.
    static let separableJSON = """
        { "beta": 0.5,
          "unembedding": [[0.1, 0.2], [0.3, -0.1], [-0.2, 0.4], [0.5, 0.1], [0.2, 0.2], [-0.3, 0.1]],
          "sequences": {
            "a+": { "tokens": [0], "hidden": [[0.3, -0.2], [2, 0]] },
            "a-": { "tokens": [1], "hidden": [[0.3, -0.2], [0, 0]] },
            "b+": { "tokens": [2], "hidden": [[0.1, 0.4], [0, 1]] },
            "b-": { "tokens": [3], "hidden": [[0.1, 0.4], [0, 0]] },
            "e+": { "tokens": [4], "hidden": [[0.2, 0.2], [-1, 0.7]] },
            "e-": { "tokens": [5], "hidden": [[0.2, 0.2], [0, 0]] }
          },
          "train": [ { "chosen": "a+", "rejected": "a-" }, { "chosen": "b+", "rejected": "b-" } ],
          "eval": { "unseen": [ { "chosen": "e+", "rejected": "e-" } ] } }
        """

    /// Opposite training differences (1, 1) and (-1, -1): no separator through the origin.
    static let nonSeparableJSON = """
        { "beta": 1,
          "unembedding": [[0.1, 0.2], [0.3, -0.1], [-0.2, 0.4], [0.5, 0.1]],
          "sequences": {
            "a+": { "tokens": [0], "hidden": [[1, 0], [1, 1]] },
            "a-": { "tokens": [1], "hidden": [[1, 0], [0, 0]] },
            "b+": { "tokens": [2], "hidden": [[0, 1], [-1, -1]] },
            "b-": { "tokens": [3], "hidden": [[0, 1], [0, 0]] }
          },
          "train": [ { "chosen": "a+", "rejected": "a-" }, { "chosen": "b+", "rejected": "b-" } ],
          "eval": { "train": [ { "chosen": "a+", "rejected": "a-" } ] } }
        """

    static func write(_ text: String, named name: String, in folder: URL) throws -> String {
        let url = folder.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }
}
