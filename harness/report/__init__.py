"""Tables and figures of the report, drawn from the pipeline's metrics and weight-norm files."""
