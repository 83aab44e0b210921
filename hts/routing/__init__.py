"""Routes: the published network, travel times, and (later) optimisation and change control."""
