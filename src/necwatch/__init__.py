"""necwatch: follow what Labour's NEC does through the reports its members publish."""

__version__ = "0.1.0"
