"""The interactive SolaraViz app and its front-end assets."""
