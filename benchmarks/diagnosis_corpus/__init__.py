"""Wrong implementations written outside the grader's catalogue, to measure diagnosis.

Each entry is ``(function, expected, impl)``: ``expected`` is the set of
diagnosis ids that name the mistake correctly (a family id such as
"lr missing", or a failure kind such as "kind: modified input"). The
development part is what the mechanism was built against; the held-out part
was written first and only graded at the end.
"""
