"""Django's entry point for the community app's models: it finds them here, and tests may
import them from here. The models live in each feature's package (community/reviews/models.py,
community/forum/models.py, community/events/models.py); code inside a feature imports its own
``community.<feature>.models``, never this module, which would make it depend on the other two."""

from community.events.models import (
    EventAttendance,
    EventChatMessage,
    EventMute,
    EventQuestion,
    EventQuestionVote,
    EventRsvp,
    LiveRoom,
    RoomActivity,
    RoomPresence,
)
from community.forum.models import (
    ForumCategory,
    ForumCategoryWatch,
    ForumFlag,
    ForumPreferences,
    ForumPresence,
    ForumSanction,
    Post,
    PostImage,
    PostRevision,
    Reaction,
    TaggedThread,
    Thread,
    ThreadReadState,
    post_image_upload_to,
)
from community.reviews.models import HelpfulVote, Review, ReviewPhoto, review_photo_upload_to

__all__ = [
    "EventAttendance",
    "EventChatMessage",
    "EventMute",
    "EventQuestion",
    "EventQuestionVote",
    "EventRsvp",
    "ForumCategory",
    "ForumCategoryWatch",
    "ForumFlag",
    "ForumPreferences",
    "ForumPresence",
    "ForumSanction",
    "HelpfulVote",
    "LiveRoom",
    "Post",
    "PostImage",
    "PostRevision",
    "Reaction",
    "Review",
    "ReviewPhoto",
    "RoomActivity",
    "RoomPresence",
    "TaggedThread",
    "Thread",
    "ThreadReadState",
    "post_image_upload_to",
    "review_photo_upload_to",
]
