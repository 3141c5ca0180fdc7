"""The course: curriculum, lessons, exercises, the checker and learner progress."""
