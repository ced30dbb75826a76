"""The pure heart of hedgebot: values in, values out, no I/O."""
