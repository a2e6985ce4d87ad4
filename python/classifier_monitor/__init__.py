"""classifier_monitor: metrics pipeline helpers for classification models."""
