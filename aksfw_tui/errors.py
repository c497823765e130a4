"""Errors a user can act on: they carry a one-line message, never a traceback."""


class InputError(Exception):
    """The input (a path, a file, a flag) cannot be used; exit code 2."""
