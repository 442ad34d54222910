"""Errors the command line turns into exit status 2 with one line for the tutor."""


class UsageError(Exception):
    """The command cannot run as asked; the message says what to do."""
