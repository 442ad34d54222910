"""Errors the command line turns into an exit status with one line for the tutor."""


class UsageError(Exception):
    """The command cannot run as asked; the message says what to do."""


class ClusterLost(ConnectionError):
    """The Dask scheduler went away mid-run: the results finished so far are in
    the journal, and no row is written for the submissions it held (exit status 3)."""
