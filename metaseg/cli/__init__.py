"""The ``metaseg`` command line: thin verbs over the library, errors mapped to exit codes."""

from metaseg.cli.main import main

__all__ = ["main"]
