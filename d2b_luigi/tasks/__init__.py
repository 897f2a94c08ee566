"""The pipeline's tasks, one module per stage."""
