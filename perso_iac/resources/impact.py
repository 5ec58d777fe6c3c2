"""What replacing or deleting a resource of one type costs its users: per-type facts that each
adapter declares as its `impact` class attribute (see campaign.py, filter.py, ...).

Durations are typical for AWS. Where real responses recorded one (ACTIVE, lastUpdatedDateTime -
creationDateTime in tests/emulator/real_aws/: dataset groups 12-28 s, imports 778-795 s, trainings
1,209-2,657 s, campaigns 477-610 s), they are near its median (tests/unit/test_durations.py);
others are orders of magnitude from AWS's documentation. Small notebook datasets set those
medians: a production training can take hours. They give a plan's reader the size of the window,
not a promise, and set the waiter's polling schedule (wait.py).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Impact:
    typical_create: float                 # seconds until a new one is usable (ACTIVE)
    typical_delete: float = 60.0          # seconds until the old one is gone (its name is free again)
    unavailable: str = ""                 # what stops working while it is missing
    changes: tuple[str, ...] = ()         # identities that change when it is recreated
    pick_up: str = ""                     # who must pick the new identities up
    loss: str = ""                        # what is lost for good when it is deleted

    def describe_loss(self) -> str:
        return self.loss or "it is deleted"


def duration(seconds: float) -> str:
    """A rough human duration: 'about 2 min', 'about 1 h 20 min'."""
    minutes = max(1, round(seconds / 60))
    if minutes < 60:
        return f"about {minutes} min"
    hours, rest = divmod(minutes, 60)
    return f"about {hours} h" + (f" {rest} min" if rest >= 5 else "")
