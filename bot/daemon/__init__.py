"""The hedging daemon: scheduled cycles wiring the pipeline's stages together."""
