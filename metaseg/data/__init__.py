"""Reading, mapping and validating the standard events and customers tables."""
