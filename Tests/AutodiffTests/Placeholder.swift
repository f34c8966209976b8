// Tests for this layer arrive with its issue.
