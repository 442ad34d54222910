"""Grade notebooks of the batching and optimizer assignments against the reference.

Data flows one way, one module per step:

    submissions  -> find and read what students handed in
    execute      -> run each notebook in its own process, collect raw outputs
    checks       -> the check format, tolerances and the mistake catalogue
    scoring      -> compare raw outputs with the reference, give points
    reports      -> grades.csv, Gradescope JSON, feedback, JUnit, summary
"""
__version__ = "0.1.0"
