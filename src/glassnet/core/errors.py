"""glassnet's own error type: a ValueError that names the bad value and what was expected."""


class GlassnetError(ValueError):
    """Raised for bad input: the message quotes the bad value and says what was expected.

    >>> raise GlassnetError("layer sizes must be >= 1; received: sizes=[2, 0]")
    Traceback (most recent call last):
    ...
    glassnet.core.errors.GlassnetError: layer sizes must be >= 1; received: sizes=[2, 0]
    """
