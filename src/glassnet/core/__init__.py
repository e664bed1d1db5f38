"""The numeric core: NumPy and the standard library only. No printing, no files, no globals."""
