// Placeholder so the target builds; the layer is filled in by its issue.
