"""Reading the benchmark files that installed packages carry, safely, into cached tables.

Nothing above this package unpickles anything; everything else reads the neutral
tables (numpy arrays) these functions return.
"""
