"""Lesson 01's exercises cover every topic of section 01, in the stub file's order.

That every reference solution passes and every stub fails is proved for all lessons at once
by tests/course/test_checker_can_fail_and_pass.py.
"""

from exercise_helpers import assert_exercises_cover_the_section


def test_every_topic_has_an_exercise_in_stub_order():
    assert_exercises_cover_the_section("01")
