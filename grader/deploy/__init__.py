"""Running the grader where courses run: Gradescope and GitHub Classroom."""
