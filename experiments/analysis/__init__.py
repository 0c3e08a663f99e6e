"""What-if analysis: paired comparisons of scenarios."""
