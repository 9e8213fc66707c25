"""Who is filing: the filer online, or a caseworker keying in a paper return for them.
One journey serves both; a lane says where its pages live and whose obligations it opens."""

from dataclasses import dataclass
from typing import Any, get_args

from cabinet_web.sessions import CaseworkerUser, CurrentUser, FilerUser


@dataclass(frozen=True)
class Lane:
    prefix: str  # the list page; a return's pages are under prefix/{obligation_id}
    section: str  # the navigation item lit on its pages
    channel: str  # what intake records: "online" or "paper"
    # FilerUser or CaseworkerUser: the signed-in user, if their role may use the lane.
    user_type: Any

    @property
    def signed_in(self) -> Any:
        """The user type's Depends(...), for Annotated[CurrentUser, lane.signed_in]."""
        return get_args(self.user_type)[1]

    def may_open(self, user: CurrentUser, obligation: dict[str, Any]) -> bool:
        """A filer opens only their own obligations; a caseworker any of the department's
        (the department is the user's own in every backend call)."""
        if self.channel == "paper":
            return True
        return obligation.get("filer_id") == user.filer_id

    def base(self, obligation_id: str) -> str:
        return f"{self.prefix}/{obligation_id}"


FILER = Lane(prefix="/returns", section="returns", channel="online", user_type=FilerUser)
PAPER = Lane(prefix="/paper", section="paper", channel="paper", user_type=CaseworkerUser)
