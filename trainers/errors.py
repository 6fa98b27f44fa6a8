"""The one exception type the command line turns into a clean message (no traceback).

Raise `UserError` for anything a person can fix by changing what they typed or wrote: an unknown
method, a bad config key or value, a missing checkpoint. Bugs stay ordinary exceptions.
"""
from __future__ import annotations


class UserError(Exception):
    """Bad input from the person running a command; the message says what to change."""


class TrainingDiverged(UserError):
    """The loss or the parameters became NaN or infinite; the last good checkpoint is kept."""
