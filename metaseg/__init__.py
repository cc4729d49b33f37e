"""metaseg: customer segmentation by meta-grouping."""

__version__ = "0.1.0"
