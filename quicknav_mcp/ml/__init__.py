"""The model service: registry, trainer, A/B tests and the document classifier."""
