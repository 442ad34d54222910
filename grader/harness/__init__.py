"""Code that runs on the student's side, needing only numpy (and IPython for the worker).

It runs in three places: inside the student's isolated process during
grading (``worker``), inside the grader's own process with the reference or
a catalogued mistake in place of the student's functions (``programs``), and
inside the student's notebook as the self-check (``selfcheck``), where it is
shipped as a verbatim copy. Its modules therefore import one another only
relatively, and never import ``grader``, ``reference`` or ``assignments``.
An assignment's own comparators and objectives (its folder's ``harness.py``)
join it in all three places as a module of this package (``extension``).
"""
