"""kjjr-excel: yearly assessment of science-and-technology finance service centers through Excel files."""

__version__ = "0.1.0"
TEMPLATE_VERSION = "1"
