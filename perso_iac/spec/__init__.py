"""The spec: YAML in, a validated `Spec` out."""
