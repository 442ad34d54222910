"""A submission's status: the word every report shows, declared in one place.

A ``Status`` is a ``str``, so records keep plain strings (the journal is
JSON) and compare equal to the members.
"""
import enum


class Status(str, enum.Enum):
    GRADED = "graded"                      # ran to the end; every check scored
    TIMEOUT = "timeout"                    # the submission's time ran out
    MEMORY = "memory"                      # its cells went over the memory cap
    ERROR = "error"                        # the process died or broke the protocol
    UNREADABLE = "unreadable"              # not a notebook we can run
    WRONG_ASSIGNMENT = "wrong-assignment"  # a notebook of another assignment

    def __str__(self) -> str:
        return self.value

    __format__ = str.__format__


class RunEnd(str, enum.Enum):
    """How the run of a submission's process ended (``RawRun.status``), before
    scoring turns it into the submission's ``Status``."""
    OK = "ok"                  # every program answered
    TIMEOUT = "timeout"        # the submission's time ran out
    CRASHED = "crashed"        # the process ended before the end
    PROTOCOL = "protocol"      # it sent a frame that is not one of ours
    MEMORY = "memory"          # it went over the memory cap

    def __str__(self) -> str:
        return self.value

    __format__ = str.__format__

    @property
    def status(self) -> Status:
        return _STATUS_OF_RUN[self]


_STATUS_OF_RUN = {RunEnd.OK: Status.GRADED, RunEnd.TIMEOUT: Status.TIMEOUT,
                  RunEnd.CRASHED: Status.ERROR, RunEnd.PROTOCOL: Status.ERROR,
                  RunEnd.MEMORY: Status.MEMORY}

#: The order reports list statuses in.
ORDER = tuple(Status)
#: Submissions whose notebook never ran: nothing of theirs is compared.
NOT_RUN = (Status.UNREADABLE, Status.WRONG_ASSIGNMENT)
