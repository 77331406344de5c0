"""The sample generator and the demo (`kjjr demo`): the only code that names the shipped schemes' indicators.

Nothing else in the package imports it; the CLI loads it for `kjjr demo` alone.
"""
